#!/usr/bin/env python3
"""Micro-benchmark of the query kernels (vpcflow._exec) against DuckDB on the same in-memory data.

Usage::

    python bench/exec_micro.py [--rows N] [--repeat R] [--threads 1,2] [--seed S]

Not a test: it asserts nothing about speed, but it checks that both engines give the same answer.

Data: ``--rows`` (default 4,000,000) synthetic v2 flow-log records from ``vpcflow.synth``, parsed
by ``vpcflow.parse_text`` (addresses and strings dictionary-encoded, integers with nulls).  DuckDB
gets the same table twice: as a native DuckDB table (``CREATE TABLE ... AS`` from Arrow, strings
as VARCHAR with DuckDB's own compression) and as the registered Arrow table (dictionary arrays);
each query's DuckDB figure is the faster of the two.

Queries (DuckDB consumes its result inside the engine, ``SELECT count(*), sum(..) FROM (query)``,
so it pays nothing for handing rows to Python; vpcflow returns NumPy arrays):

=============  =============================================================================
group-src      SELECT srcaddr, sum(bytes) GROUP BY srcaddr            (direct array over codes)
group-3key     SELECT srcaddr, dstaddr, dstport, count(*) GROUP BY 1, 2, 3   (packed 64-bit hash)
group-stats    SELECT dstport, count(*), avg(bytes), max(packets), count(DISTINCT srcaddr)
filter         WHERE action = 'REJECT' AND dstport < 1024: vpcflow returns the row indices,
               DuckDB only counts them
filter-range   WHERE bytes > 10000 OR packets > 100
=============  =============================================================================

Each (query, engine, threads) runs ``--repeat`` times (default 7) after one warm-up; the median is
reported.  The last line is the geometric mean of DuckDB / vpcflow per thread count.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any, Callable

import duckdb
import numpy as np

import vpcflow
from vpcflow import _exec


def make_table(rows: int, seed: int) -> vpcflow.Table:
    lines = vpcflow.synth.generate_lines(rows, seed=seed)
    return vpcflow.parse_text("\n".join(lines) + "\n")


def timeit(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=4_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    table = make_table(args.rows, args.seed)
    print(f"{table.num_rows:,} rows generated and parsed in {time.perf_counter() - t0:.1f} s; "
          f"{len(table.column('srcaddr').dictionary):,} srcaddr, {len(table.column('dstaddr').dictionary):,} dstaddr")
    con = duckdb.connect()
    arrow = table.to_arrow()
    con.register("ta", arrow)
    con.execute("CREATE TABLE tn AS SELECT * FROM ta")

    reject = _exec.dict_lut(table.column("action"), ["REJECT"])
    queries: list[tuple[str, str, Callable[[int], Any], Callable[[Any], Any]]] = [
        ("group-src",
         "SELECT count(*), sum(s) FROM (SELECT srcaddr, sum(bytes) AS s FROM {t} GROUP BY srcaddr)",
         lambda th: _exec.group_agg(table, ["srcaddr"], [("sum", "bytes")], threads=th),
         lambda r: (r.num_rows, int(r.column("sum(bytes)").to_numpy().sum()))),
        ("group-3key",
         "SELECT count(*), sum(c) FROM (SELECT srcaddr, dstaddr, dstport, count(*) AS c FROM {t} GROUP BY ALL)",
         lambda th: _exec.group_agg(table, ["srcaddr", "dstaddr", "dstport"], [("count_all",)], threads=th),
         lambda r: (r.num_rows, int(r.column("count(*)").values.sum()))),
        ("group-stats",
         "SELECT count(*), sum(c), sum(d) FROM (SELECT dstport, count(*) AS c, avg(bytes), max(packets), "
         "count(DISTINCT srcaddr) AS d FROM {t} GROUP BY dstport)",
         lambda th: _exec.group_agg(table, ["dstport"], [("count_all",), ("avg", "bytes"), ("max", "packets"),
                                                         ("count_distinct", "srcaddr")], threads=th),
         lambda r: (r.num_rows, int(r.column("count(*)").values.sum()),
                    int(r.column("count_distinct(srcaddr)").values.sum()))),
        ("filter",
         "SELECT count(*) FROM {t} WHERE action = 'REJECT' AND dstport < 1024",
         lambda th: _exec.filter(table, [("col", "action"), ("lut", reject, None), ("col", "dstport"), ("int", 1024),
                                         ("lt",), ("and",)], threads=th),
         lambda r: (len(r),)),
        ("filter-range",
         "SELECT count(*) FROM {t} WHERE bytes > 10000 OR packets > 100",
         lambda th: _exec.filter(table, [("col", "bytes"), ("int", 10000), ("gt",), ("col", "packets"), ("int", 100),
                                         ("gt",), ("or",)], threads=th),
         lambda r: (len(r),)),
    ]

    threads = [int(x) for x in args.threads.split(",")]
    ratios: dict[int, list[float]] = {th: [] for th in threads}
    print(f"{'query':<14}{'threads':>8}{'vpcflow ms':>12}{'duckdb ms':>11}{'(native':>9}{'arrow)':>8}{'speed-up':>10}")
    for name, sql, ours, answer in queries:
        for th in threads:
            con.execute(f"SET threads={th}")
            t_ours, res = timeit(lambda: ours(th), args.repeat)
            t_native, dn = timeit(lambda: con.execute(sql.format(t="tn")).fetchone(), args.repeat)
            t_arrow, da = timeit(lambda: con.execute(sql.format(t="ta")).fetchone(), args.repeat)
            got = answer(res)
            want = tuple(int(x) for x in dn)
            if got != want or tuple(int(x) for x in da) != want:
                raise SystemExit(f"{name}: vpcflow {got} != duckdb {want} / {da}")
            t_duck = min(t_native, t_arrow)
            ratios[th].append(t_duck / t_ours)
            print(f"{name:<14}{th:>8}{t_ours * 1e3:>12.1f}{t_duck * 1e3:>11.1f}{t_native * 1e3:>9.1f}"
                  f"{t_arrow * 1e3:>8.1f}{t_duck / t_ours:>9.1f}x")
    for th in threads:
        gm = math.exp(sum(math.log(r) for r in ratios[th]) / len(ratios[th]))
        print(f"geometric mean speed-up, {th} thread{'s' if th > 1 else ''}: {gm:.2f}x")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
