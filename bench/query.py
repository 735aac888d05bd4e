#!/usr/bin/env python3
"""Query benchmark: every recipe through vpcflow, the same SQL through DuckDB, and polars.

Usage::

    python bench/query.py [--records N] [--repeat R] [--data DIR] [--quick]
                          [--engines vpcflow,duckdb,polars] [--queries a,b] [--max-bg X] [--no-pin]

A benchmark, not a test: it asserts nothing about speed.  It does assert that every vpcflow
answer equals DuckDB's (integers and text exactly, floats within 1e-9 relative; top-k lists in
order, other results as sets of rows), so a fast wrong answer cannot count: the run exits
non-zero and marks the query.  polars' answers are checked the same way; a polars mismatch is
reported and that figure left out.

Data: ``vpcflow.synth.write_sample(records=N, seed=1, formats=("v2", "v5"), hours=24)`` (half
the flow logs v2, half v5, so the v3+ fields such as ``pkt_srcaddr``, ``instance_id`` and
``subnet_id`` are there, null in the v2 rows), converted once by ``vpcflow.convert`` (partitioned
by day, zstd, row groups of about 1M rows) and cached under ``--data`` (default ``bench/data/``).

Engines, each with 1 thread and with all cores:

``vpcflow``  the recipe function, ``recipes.X(vpcflow.dataset(path), ..., threads=T)``: the
             dataset is opened inside the timed call (directory walk, manifest, footers).
``duckdb``   ``SET threads=T``; the recipe's SQL over ``read_parquet('path/**/*.parquet',
             hive_partitioning=true)``, result fetched as an Arrow table (``.to_arrow_table()``).
``polars``   ``pl.scan_parquet('path/**/*.parquet', hive_partitioning=True)``, the same query
             in polars' lazy API, ``.collect()``; ``POLARS_MAX_THREADS=T`` in a fresh process.

Each (engine, threads) runs in a fresh process pinned to T CPUs (``bench/harness.py``); inside
it each query runs ``--repeat`` times (default 5) and the best wall time is kept.  The peak RSS
of each query is the process's high-water mark over its repetitions (reset between queries
through ``/proc/self/clear_refs``), so it includes the interpreter and the engine's library.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import decimal
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from harness import cached_data, machine_info, measure, status_kb  # noqa: E402

ENGINES = ("vpcflow", "duckdb", "polars")
ADMIN_PORTS = (22, 23, 3389, 5900, 5985, 5986, 1433, 3306, 5432, 6379, 9200, 27017)
_PRIVATE_SQL = ("(regexp_full_match({c}, '^(10\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|"
                "100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.).*') OR regexp_full_match({c}, '^f[cd].*'))")
_PRIVATE_RE = (r"^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.)"
               r"|^f[cd]")


# ==========================================================================================
# The queries
# ==========================================================================================
@dataclass(frozen=True)
class Q:
    name: str
    vpcflow: Callable[[Any, int, str], Any]      # (dataset, threads, address) -> Table
    sql: str                                     # over the view "flows"; {addr} is the address
    polars: Callable[[Any, Any, str], Any] | None  # (pl, LazyFrame, address) -> LazyFrame, or None
    ordered: bool = False                        # compare in order (top-k), else as sets of rows
    names: tuple[str, int] | None = None         # ("protocol" or "service", position): vpcflow names it
    digest: bool = False                         # compare row count and a hash (large results)


def _top_sql(key: str, agg: str, where: str, n: int, extra: str = "") -> str:
    return (f"SELECT {key}, {agg} AS m{extra} FROM flows WHERE {where} GROUP BY ALL "
            f"ORDER BY m DESC, {', '.join(k + ' NULLS LAST' for k in key.split(', '))} LIMIT {n}")


def _pl_top(pl, lf, keys: list[str], aggs: list, by: str, n: int):
    return lf.group_by(keys).agg(aggs).sort([by, *keys], descending=[True] + [False] * len(keys),
                                            nulls_last=True).head(n)


def _recipes():
    from vpcflow import recipes as r
    return r


QUERIES: list[Q] = [
    Q("top_talkers_bytes", lambda d, t, a: _recipes().top_talkers(d, n=10, threads=t),
      _top_sql("srcaddr", "sum(bytes)", "srcaddr IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("srcaddr").is_not_null()), ["srcaddr"],
                                [pl.col("bytes").sum().alias("m")], "m", 10), ordered=True),
    Q("top_talkers_packets", lambda d, t, a: _recipes().top_talkers(d, n=10, by="packets", threads=t),
      _top_sql("srcaddr", "sum(packets)", "srcaddr IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("srcaddr").is_not_null()), ["srcaddr"],
                                [pl.col("packets").sum().alias("m")], "m", 10), ordered=True),
    Q("top_talkers_pkt_src", lambda d, t, a: _recipes().top_talkers(d, n=10, packet_level=True, threads=t),
      _top_sql("pkt_srcaddr", "sum(bytes)", "pkt_srcaddr IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("pkt_srcaddr").is_not_null()), ["pkt_srcaddr"],
                                [pl.col("bytes").sum().alias("m")], "m", 10), ordered=True),
    Q("top_instances", lambda d, t, a: _recipes().top_talking_instances(d, n=10, threads=t),
      _top_sql("instance_id", "sum(bytes)", "instance_id IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("instance_id").is_not_null()), ["instance_id"],
                                [pl.col("bytes").sum().alias("m")], "m", 10), ordered=True),
    Q("top_subnets", lambda d, t, a: _recipes().top_talking_subnets(d, n=10, threads=t),
      _top_sql("subnet_id", "sum(bytes)", "subnet_id IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("subnet_id").is_not_null()), ["subnet_id"],
                                [pl.col("bytes").sum().alias("m")], "m", 10), ordered=True),
    Q("top_host_pairs", lambda d, t, a: _recipes().top_host_pairs(d, n=10, threads=t),
      _top_sql("srcaddr, dstaddr", "sum(bytes)", "srcaddr IS NOT NULL AND dstaddr IS NOT NULL", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("srcaddr").is_not_null() & pl.col("dstaddr").is_not_null()),
                                ["srcaddr", "dstaddr"], [pl.col("bytes").sum().alias("m")], "m", 10), ordered=True),
    Q("rejected_by_source", lambda d, t, a: _recipes().rejected_by_source(d, n=20, threads=t),
      _top_sql("srcaddr", "count(*)", "action = 'REJECT'", 20, ", sum(packets)"),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("action") == "REJECT"), ["srcaddr"],
                                [pl.len().cast(pl.Int64).alias("m"), pl.col("packets").sum()], "m", 20),
      ordered=True),
    Q("rejected_by_port", lambda d, t, a: _recipes().rejected_by_port(d, n=20, threads=t),
      _top_sql("dstport", "count(*)", "action = 'REJECT'", 20, ", sum(packets)"),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("action") == "REJECT"), ["dstport"],
                                [pl.len().cast(pl.Int64).alias("m"), pl.col("packets").sum()], "m", 20),
      ordered=True),
    Q("rejected_tcp_by_port", lambda d, t, a: _recipes().rejected_by_port(d, n=20, tcp_only=True, threads=t),
      _top_sql("dstport", "count(*)", "action = 'REJECT' AND protocol = 6", 20, ", sum(packets)"),
      lambda pl, lf, a: _pl_top(pl, lf.filter((pl.col("action") == "REJECT") & (pl.col("protocol") == 6)),
                                ["dstport"], [pl.len().cast(pl.Int64).alias("m"), pl.col("packets").sum()], "m", 20),
      ordered=True),
    Q("rejected_by_protocol", lambda d, t, a: _recipes().rejected_by_protocol(d, threads=t),
      "SELECT protocol, count(*), sum(packets) FROM flows WHERE action = 'REJECT' GROUP BY protocol",
      lambda pl, lf, a: lf.filter(pl.col("action") == "REJECT").group_by("protocol").agg(
          pl.len().cast(pl.Int64), pl.col("packets").sum()), names=("protocol", 0)),
    Q("admin_ports", lambda d, t, a: _recipes().admin_port_traffic(d, threads=t),
      f"SELECT dstport, dstport AS service, action, count(*), sum(bytes), count(DISTINCT srcaddr) FROM flows "
      f"WHERE dstport IN ({', '.join(map(str, ADMIN_PORTS))}) GROUP BY dstport, action",
      lambda pl, lf, a: lf.filter(pl.col("dstport").is_in(list(ADMIN_PORTS))).group_by("dstport", "action").agg(
          pl.len().cast(pl.Int64).alias("n"), pl.col("bytes").sum(),
          pl.col("srcaddr").drop_nulls().n_unique().cast(pl.Int64)).select(
          "dstport", pl.col("dstport").alias("service"), pl.exclude("dstport")), names=("service", 1)),
    Q("accepted_tcp", lambda d, t, a: _recipes().accepted_tcp(d, n=20, threads=t),
      _top_sql("dstport", "count(*)", "action = 'ACCEPT' AND protocol = 6", 20,
               ", sum(bytes), count(DISTINCT srcaddr)"),
      lambda pl, lf, a: _pl_top(pl, lf.filter((pl.col("action") == "ACCEPT") & (pl.col("protocol") == 6)),
                                ["dstport"], [pl.len().cast(pl.Int64).alias("m"), pl.col("bytes").sum(),
                                              pl.col("srcaddr").drop_nulls().n_unique().cast(pl.Int64)], "m", 20),
      ordered=True),
    Q("ip_version_bytes", lambda d, t, a: _recipes().ip_version_bytes(d, threads=t),
      "SELECT CASE WHEN contains(srcaddr, ':') THEN 6 ELSE 4 END AS v, count(*), sum(bytes) FROM flows "
      "WHERE srcaddr IS NOT NULL GROUP BY v ORDER BY v",
      lambda pl, lf, a: lf.filter(pl.col("srcaddr").is_not_null()).group_by(
          pl.when(pl.col("srcaddr").str.contains(":", literal=True)).then(6).otherwise(4).alias("v")).agg(
          pl.len().cast(pl.Int64), pl.col("bytes").sum()).sort("v"), ordered=True),
    Q("internal_external", lambda d, t, a: _recipes().internal_external(d, threads=t),
      "SELECT CASE WHEN {s} AND {d} THEN 'internal' WHEN {s} THEN 'egress' WHEN {d} THEN 'ingress' "
      "ELSE 'external' END AS dir, action, count(*), sum(bytes), sum(packets) FROM flows "
      "WHERE srcaddr IS NOT NULL AND dstaddr IS NOT NULL GROUP BY ALL ORDER BY dir, action".replace(
          "{s}", _PRIVATE_SQL.format(c="srcaddr")).replace("{d}", _PRIVATE_SQL.format(c="dstaddr")),
      lambda pl, lf, a: lf.filter(pl.col("srcaddr").is_not_null() & pl.col("dstaddr").is_not_null()).with_columns(
          s=pl.col("srcaddr").str.contains(_PRIVATE_RE), d=pl.col("dstaddr").str.contains(_PRIVATE_RE)).group_by(
          pl.when(pl.col("s") & pl.col("d")).then(pl.lit("internal")).when(pl.col("s")).then(pl.lit("egress"))
          .when(pl.col("d")).then(pl.lit("ingress")).otherwise(pl.lit("external")).alias("dir"), "action").agg(
          pl.len().cast(pl.Int64), pl.col("bytes").sum(), pl.col("packets").sum()).sort("dir", "action"),
      ordered=True),
    Q("corr_bytes_packets", lambda d, t, a: _recipes().corr_bytes_packets(d, threads=t),
      "SELECT action, corr(bytes, packets), count(*) FROM flows WHERE action IS NOT NULL GROUP BY action "
      "ORDER BY action",
      lambda pl, lf, a: lf.filter(pl.col("action").is_not_null()).group_by("action").agg(
          pl.corr("bytes", "packets"), pl.len().cast(pl.Int64)).sort("action"), ordered=True),
    Q("rejected_tcp_per_15m", lambda d, t, a: _recipes().rejected_packets_per_window(d, window="15m", threads=t),
      "SELECT start - start % 900 AS w, protocol, sum(packets), count(*) FROM flows "
      "WHERE action = 'REJECT' AND protocol = 6 GROUP BY ALL ORDER BY w",
      lambda pl, lf, a: lf.filter((pl.col("action") == "REJECT") & (pl.col("protocol") == 6)).group_by(
          (pl.col("start") - pl.col("start") % 900).alias("w"), "protocol").agg(
          pl.col("packets").sum(), pl.len().cast(pl.Int64)).sort("w"), ordered=True, names=("protocol", 1)),
    Q("top_https_destinations", lambda d, t, a: _recipes().top_https_destinations(d, n=10, threads=t),
      _top_sql("dstaddr", "sum(packets)", "dstport = 443", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter(pl.col("dstport") == 443), ["dstaddr"],
                                [pl.col("packets").sum().alias("m")], "m", 10), ordered=True),
    Q("emr_top_talkers", lambda d, t, a: _recipes().emr_top_talkers(d, n=10, threads=t),
      _top_sql("srcaddr, dstaddr, dstport", "count(*)", "log_status = 'OK' AND dstport <= 1024", 10),
      lambda pl, lf, a: _pl_top(pl, lf.filter((pl.col("log_status") == "OK") & (pl.col("dstport") <= 1024)),
                                ["srcaddr", "dstaddr", "dstport"], [pl.len().cast(pl.Int64).alias("m")], "m", 10),
      ordered=True),
    Q("traffic_for", lambda d, t, a: _recipes().traffic_for(d, a, threads=t),
      "SELECT * FROM flows WHERE srcaddr = '{addr}' OR dstaddr = '{addr}' ORDER BY start, \"end\"",
      lambda pl, lf, a: lf.filter((pl.col("srcaddr") == a) | (pl.col("dstaddr") == a)).sort("start", "end"),
      digest=True),
]
BY_NAME = {q.name: q for q in QUERIES}


# ==========================================================================================
# Data
# ==========================================================================================
def ensure_data(root: Path, records: int, seed: int) -> dict:
    def build(d: Path) -> dict:
        import vpcflow

        t0 = time.perf_counter()
        info = vpcflow.synth.write_sample(d / "logs", records=records, seed=seed, formats=("v2", "v5"), hours=24)
        rep = vpcflow.convert(d / "logs", d / "flows", progress=False)
        ds = vpcflow.dataset(d / "flows")
        m = {"logs": str(d / "logs"), "flows": str(d / "flows"), "records": records, "seed": seed,
             "log_files": len(info.paths), "log_bytes": info.bytes, "files": len(ds.files),
             "parquet_bytes": sum(os.path.getsize(f) for f in ds.files), "rows": ds.num_rows,
             "convert": rep.summary(), "seconds": round(time.perf_counter() - t0, 1)}
        assert m["rows"] == records, m
        return m
    return cached_data(root / f"query-r{records}-s{seed}", build)


def pick_address(flows: str) -> str:
    """The address traffic_for asks about: the 100th most frequent source (a host, not the top talker)."""
    import duckdb

    con = duckdb.connect()
    return con.sql(f"SELECT srcaddr FROM read_parquet('{flows}/**/*.parquet') WHERE srcaddr IS NOT NULL "
                   "GROUP BY srcaddr ORDER BY count(*) DESC, srcaddr LIMIT 1 OFFSET 99").fetchall()[0][0]


# ==========================================================================================
# The worker: one engine, one thread count, every query
# ==========================================================================================
def _norm(v: Any) -> Any:
    import numpy as np

    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, decimal.Decimal):   # DuckDB's sum of BIGINT is a HUGEINT: decimal(38, 0) in Arrow
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _rows_of(result: Any, engine: str) -> tuple[list[str], list[list]]:
    if engine == "vpcflow":
        d = result.to_pydict()
    elif engine == "duckdb":
        d = result.to_pydict()
    else:
        d = result.to_dict(as_series=False)
    cols = list(d)
    n = len(d[cols[0]]) if cols else 0
    return cols, [[_norm(d[c][i]) for c in cols] for i in range(n)]


def _digest(cols: list[str], rows: list[list]) -> list:
    """Row count, a hash of the rows (columns by name, rows sorted) and whether start never decreases."""
    order = sorted(range(len(cols)), key=lambda i: cols[i])
    canon = sorted(repr([r[i] for i in order]) for r in rows)
    si = cols.index("start")
    starts = [r[si] for r in rows]
    monotone = all(a is not None and b is not None and a <= b for a, b in zip(starts, starts[1:]))
    return [len(rows), hashlib.sha256("\n".join(canon).encode()).hexdigest(), monotone]


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")   # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        pass


def worker(spec: dict) -> dict:
    threads, repeat, flows, addr = spec["threads"], spec["repeat"], spec["flows"], spec["address"]
    if spec.get("pin"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    import gc

    engine = spec["engine"]
    glob_ = f"{flows}/**/*.parquet"
    if engine == "vpcflow":
        import vpcflow

        def runner(q: Q) -> Callable[[], Any]:
            return lambda: q.vpcflow(vpcflow.dataset(flows), threads, addr)
        version = vpcflow.__version__
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.sql(f"SET threads={threads}")
        con.sql(f"CREATE VIEW flows AS SELECT * FROM read_parquet('{glob_}', hive_partitioning=true)")

        def runner(q: Q) -> Callable[[], Any]:
            sql = q.sql.replace("{addr}", addr)
            return lambda: con.sql(sql).to_arrow_table()
        version = duckdb.__version__
    elif engine == "polars":
        import polars as pl

        def runner(q: Q) -> Callable[[], Any] | None:
            if q.polars is None:
                return None
            return lambda: q.polars(pl, pl.scan_parquet(glob_, hive_partitioning=True), addr).collect()
        version = pl.__version__
    else:
        raise SystemExit(f"unknown engine {engine}")

    out: dict[str, Any] = {"engine": engine, "threads": threads, "version": version,
                           "rss_base_mb": status_kb("VmRSS") / 1024, "queries": {}}
    for name in spec["queries"]:
        q = BY_NAME[name]
        run = runner(q)
        if run is None:
            continue
        gc.collect()
        _reset_peak()
        times = []
        result = None
        for _ in range(repeat):
            result = None
            t0 = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - t0)
        cols, rows = _rows_of(result, engine)
        out["queries"][name] = {"seconds": min(times), "times": times, "rss_peak_mb": status_kb("VmHWM") / 1024,
                                "rows": _digest(cols, rows) if q.digest else rows}
    out["seconds"] = sum(r["seconds"] for r in out["queries"].values())
    return out


# ==========================================================================================
# Checking answers
# ==========================================================================================
def _named(rows: list[list], q: Q) -> list[list]:
    """DuckDB and polars give numbers where vpcflow gives IANA names: name them the same way."""
    if q.names is None:
        return rows
    from vpcflow import names

    kind, i = q.names
    table = names.protocol_names() if kind == "protocol" else names.service_names()
    out = []
    for r in rows:
        r = list(r)
        r[i] = None if r[i] is None else str(table[r[i]])
        out.append(r)
    return out


def _key(row: list) -> tuple:
    return tuple((1, 0, "") if v is None else (0, float(f"{v:.6g}"), "") if isinstance(v, float)
                 else (0, v, "") if isinstance(v, int) else (0, 0, str(v)) for v in row)


def same(a: list, b: list, ordered: bool) -> str | None:
    """None if equal (ints and text exactly, floats within 1e-9 relative), else what differs."""
    if len(a) != len(b):
        return f"{len(a)} rows vs {len(b)}"
    if not ordered:
        a, b = sorted(a, key=_key), sorted(b, key=_key)
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return f"row {ra} vs {rb}"
        for x, y in zip(ra, rb):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None:
                    if x is not y:
                        return f"row {ra} vs {rb}"
                elif math.isnan(x) or math.isnan(y):
                    if not (math.isnan(x) and math.isnan(y)):
                        return f"row {ra} vs {rb}"
                elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                    return f"row {ra} vs {rb}"
            elif x != y:
                return f"row {ra} vs {rb}"
    return None


def check(q: Q, got: Any, want: Any) -> str | None:
    """None if ``got`` (vpcflow's rows, or another engine's named by :func:`_named`) equals DuckDB's."""
    if q.digest:
        if not got[2]:
            return "not in start order"
        return None if got[:2] == want[:2] else f"{got[:2]} vs {want[:2]}"
    return same(got, _named(want, q), q.ordered)


# ==========================================================================================
# Main
# ==========================================================================================
def _geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--records", type=int, default=None, help="records (default 4,000,000; --quick 200,000)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per query, best kept (default 5; --quick 2)")
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--queries", default=",".join(q.name for q in QUERIES))
    ap.add_argument("--threads", default=None, help="thread counts, e.g. 1,2 (default 1 and all cores)")
    ap.add_argument("--max-bg", type=float, default=0.25)
    ap.add_argument("--no-pin", action="store_true")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    records = args.records or (200_000 if args.quick else 4_000_000)
    repeat = args.repeat or (2 if args.quick else 5)
    queries = args.queries.split(",")
    for name in queries:
        if name not in BY_NAME:
            ap.error(f"unknown query {name!r}; known: {', '.join(BY_NAME)}")
    engines = args.engines.split(",")
    if "duckdb" not in engines:
        ap.error("duckdb is the reference: it must be among --engines")
    data = ensure_data(Path(args.data), records, args.seed)
    address = pick_address(data["flows"])
    info = machine_info()
    threads_list = ([int(t) for t in args.threads.split(",")] if args.threads
                    else sorted({1, os.cpu_count() or 1}))
    print(f"{data['rows']:,} records; {data['files']} Parquet files, {data['parquet_bytes'] / 1e6:.1f} MB "
          f"(from {data['log_files']} .log.gz objects, {data['log_bytes'] / 1e6:.1f} MB); best of {repeat}; "
          f"{info['cpu_model']}, {info['cpus']} CPUs; traffic_for({address})")
    runs: dict[tuple[str, int], dict] = {}
    for threads in threads_list:
        for engine in engines:
            spec = {"engine": engine, "threads": threads, "repeat": repeat, "flows": data["flows"],
                    "address": address, "queries": queries, "pin": not args.no_pin}
            t0 = time.perf_counter()
            res = measure(__file__, spec, args.max_bg)
            runs[(engine, threads)] = res
            if "error" in res:
                print(f"  {engine} t{threads}: ERROR {res['error']}")
            else:
                print(f"  {engine} t{threads}: {time.perf_counter() - t0:.0f} s, background load "
                      f"{res.get('bg_cores', 0):.2f} cores, tries {res.get('tries')}", flush=True)

    failures: list[str] = []
    summary: dict[str, Any] = {}
    for threads in threads_list:
        vp, dk, po = (runs.get((e, threads), {}) for e in ("vpcflow", "duckdb", "polars"))
        print(f"\n{threads} thread{'s' if threads > 1 else ''}: best of {repeat}, milliseconds; "
              "x = the engine's time / vpcflow's; RSS = peak MB of the process during that query")
        head = (f"{'query':<24} {'vpcflow':>9} {'duckdb':>9} {'polars':>9} {'duckdb x':>9} {'polars x':>9} "
                f"{'RSS vf':>7} {'RSS dk':>7} {'RSS pl':>7}")
        print(head)
        print("-" * len(head))
        dx_all, px_all = [], []
        for name in queries:
            q = BY_NAME[name]
            v = vp.get("queries", {}).get(name)
            d = dk.get("queries", {}).get(name)
            p = po.get("queries", {}).get(name)
            mark = ""
            if v and d:
                err = check(q, v["rows"], d["rows"])
                if err:
                    failures.append(f"{name} t{threads}: vpcflow != DuckDB: {err}")
                    mark = "  WRONG (vpcflow != DuckDB)"
                    v = None
            if p and d:
                err = check(q, p["rows"] if q.digest else _named(p["rows"], q), d["rows"])
                if err:
                    mark += f"  (polars != DuckDB: {err[:60]})"
                    p = None
            dx = d["seconds"] / v["seconds"] if v and d else None
            px = p["seconds"] / v["seconds"] if v and p else None
            if dx:
                dx_all.append(dx)
            if px:
                px_all.append(px)

            def ms(r):
                return f"{r['seconds'] * 1e3:>9.1f}" if r else f"{'-':>9}"

            def mb(r):
                return f"{r['rss_peak_mb']:>7.0f}" if r else f"{'-':>7}"

            def x(r):
                return f"{r:>9.2f}" if r else f"{'-':>9}"
            print(f"{name:<24} {ms(v)} {ms(d)} {ms(p)} {x(dx)} {x(px)} {mb(v)} {mb(d)} {mb(p)}{mark}")
            summary.setdefault(name, {})[threads] = {"vpcflow_s": v and v["seconds"], "duckdb_s": d and d["seconds"],
                                                     "polars_s": p and p["seconds"], "duckdb_x": dx, "polars_x": px}
        g_d, g_p = _geomean(dx_all), _geomean(px_all)
        print(f"{'geometric mean':<24} {'':>9} {'':>9} {'':>9} {g_d:>9.2f} {g_p:>9.2f}   "
              f"(polars over the {len(px_all)} queries it has)")
        slower = [n for n in queries if (summary[n].get(threads) or {}).get("duckdb_x") is not None
                  and summary[n][threads]["duckdb_x"] < 1]
        print(f"slower than DuckDB: {', '.join(slower) or 'none'}; "
              f"peak RSS over all queries: vpcflow {max((r['rss_peak_mb'] for r in vp.get('queries', {}).values()), default=0):.0f} MB, "
              f"duckdb {max((r['rss_peak_mb'] for r in dk.get('queries', {}).values()), default=0):.0f} MB, "
              f"polars {max((r['rss_peak_mb'] for r in po.get('queries', {}).values()), default=0):.0f} MB")
        summary[f"geomean_t{threads}"] = {"duckdb_x": g_d, "polars_x": g_p}
    for f in failures:
        print(f"MISMATCH: {f}")
    res_dir = HERE / "results"
    res_dir.mkdir(exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = res_dir / f"query-{stamp}.json"
    slim = {f"{e}-t{t}": {k: v for k, v in r.items() if k != "queries"} | {
        "queries": {n: {k: v for k, v in qr.items() if k != "rows"} for n, qr in r.get("queries", {}).items()}}
        for (e, t), r in runs.items()}
    out.write_text(json.dumps({"machine": info, "data": data, "address": address, "repeat": repeat,
                               "runs": slim, "summary": summary, "failures": failures}, indent=1))
    print(f"results: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 1 if failures or any("error" in r for r in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
