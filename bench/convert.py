#!/usr/bin/env python3
"""Convert benchmark: raw .log.gz flow logs to a Hive-partitioned Parquet dataset.

Usage::

    python bench/convert.py [--records N] [--codec zstd] [--repeat R] [--data DIR] [--quick]
                            [--engines vpcflow,duckdb,duckdb-sorted,pyarrow] [--max-bg X]

A benchmark, not a test: it asserts nothing about speed, but it checks that every engine wrote
the same rows (count and sum(bytes), read back with DuckDB) and exits non-zero if not.

Data: ``vpcflow.synth.write_sample(records=N, seed=1, formats=("v2",))`` in the default S3 layout
(``AWSLogs/.../YYYY/MM/DD/*.log.gz``), cached under ``--data`` (default ``bench/data/``).

Engines, each with 1 thread and with all cores, the same codec, partitioned by day
(``year=/month=/day=`` from the record start time):

``vpcflow``        ``vpcflow.convert(logs, out, partition_by="day", compression=C, threads=T)``:
                   rows sorted by start within each file, statistics, page index, bloom filters.
``duckdb``         ``COPY (SELECT *, year(ts) AS year, month(ts) AS month, day(ts) AS day FROM
                   (SELECT *, to_timestamp(start) AS ts FROM read_csv(glob, delim=' ', header=true,
                   nullstr='-', columns={...}))) TO out (FORMAT parquet, PARTITION_BY (year, month,
                   day), COMPRESSION C)`` (the helper ``ts`` column excluded), unsorted.
``duckdb-sorted``  the same with ``ORDER BY start`` (what vpcflow gives: start-sorted files).
``pyarrow``        each file by ``pyarrow.csv.read_csv`` (explicit types, ``-`` as null), the
                   tables concatenated, year/month/day computed with ``pyarrow.compute``, then
                   ``pyarrow.dataset.write_dataset(..., partitioning_flavor="hive")`` with codec C.

Each (engine, threads) runs in a fresh process (``bench/harness.py``), best of ``--repeat``;
figures: wall time, rows/s, MB/s of decompressed text, output bytes (all ``.parquet`` files),
peak RSS (VmHWM of the child), and time and size ratios against vpcflow.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from harness import cached_data, cpu_seconds, machine_info, measure_engines, status_kb  # noqa: E402

V2_COLUMNS = [("version", "int32"), ("account_id", "string"), ("interface_id", "string"),
              ("srcaddr", "string"), ("dstaddr", "string"), ("srcport", "int32"), ("dstport", "int32"),
              ("protocol", "int32"), ("packets", "int64"), ("bytes", "int64"), ("start", "int64"),
              ("end", "int64"), ("action", "string"), ("log_status", "string")]
ENGINES = ("vpcflow", "duckdb", "duckdb-sorted", "pyarrow")


def ensure_data(root: Path, records: int, seed: int) -> dict:
    def build(d: Path) -> dict:
        import vpcflow

        info = vpcflow.synth.write_sample(d / "logs", records=records, seed=seed, formats=("v2",))
        text = sum(len(__import__("gzip").decompress(Path(p).read_bytes())) for p in info.paths)
        return {"logs": str(d / "logs"), "records": records, "files": len(info.paths), "bytes": info.bytes,
                "text_bytes": text, "out": str(d / "out")}
    return cached_data(root / f"convert-v2-r{records}-s{seed}", build)


def _du(path: str) -> tuple[int, int]:
    n = size = 0
    for dirpath, dirnames, files in os.walk(path):
        dirnames[:] = [x for x in dirnames if not x.startswith((".", "_"))]
        for f in files:
            if f.endswith(".parquet") and not f.startswith((".", "_")):
                n += 1
                size += os.path.getsize(os.path.join(dirpath, f))
    return n, size


def _engine(name: str, data: dict, out: str, threads: int, codec: str):
    logs = data["logs"]
    glob_ = f"{logs}/**/*.log.gz"
    if name == "vpcflow":
        import vpcflow

        def run():
            vpcflow.convert(logs, out, partition_by="day", compression=codec, threads=threads, progress=False)
        return run, vpcflow.__version__
    if name.startswith("duckdb"):
        import duckdb

        con = duckdb.connect()
        con.sql(f"SET threads={threads}")
        types = {"int32": "INTEGER", "int64": "BIGINT", "string": "VARCHAR"}
        cols = ", ".join(f"'{n}': '{types[t]}'" for n, t in V2_COLUMNS)
        order = " ORDER BY start" if name == "duckdb-sorted" else ""
        sql = (f"COPY (SELECT * EXCLUDE (ts), year(ts) AS year, month(ts) AS month, day(ts) AS day FROM "
               f"(SELECT *, to_timestamp(start) AS ts FROM read_csv('{glob_}', delim=' ', header=true, nullstr='-', "
               f"columns={{{cols}}})){order}) TO '{out}' (FORMAT parquet, PARTITION_BY (year, month, day), "
               f"COMPRESSION {codec if codec != 'none' else 'uncompressed'})")

        def run():
            con.sql(sql)
        return run, duckdb.__version__
    if name == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
        import pyarrow.dataset as pds

        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)
        types = {"int32": pa.int32(), "int64": pa.int64(), "string": pa.string()}
        conv = pcsv.ConvertOptions(column_types={n: types[t] for n, t in V2_COLUMNS}, null_values=["-"],
                                   strings_can_be_null=True)
        parse = pcsv.ParseOptions(delimiter=" ")
        read = pcsv.ReadOptions(use_threads=threads > 1)
        files = sorted(str(p) for p in Path(logs).rglob("*.log.gz"))

        def run():
            t = pa.concat_tables([pcsv.read_csv(f, read_options=read, parse_options=parse, convert_options=conv)
                                  for f in files])
            ts = pc.cast(t["start"], pa.timestamp("s"))
            t = t.append_column("year", pc.year(ts)).append_column("month", pc.month(ts)).append_column(
                "day", pc.day(ts))
            pds.write_dataset(t, out, format="parquet", partitioning=["year", "month", "day"],
                              partitioning_flavor="hive", use_threads=threads > 1,
                              file_options=pds.ParquetFileFormat().make_write_options(
                                  compression=None if codec == "none" else codec),
                              existing_data_behavior="overwrite_or_ignore")
        return run, pa.__version__
    raise SystemExit(f"unknown engine {name}")


def worker(spec: dict) -> dict:
    threads = spec["threads"]
    if spec.get("pin", True):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    data, codec = spec["data"], spec["codec"]
    out = os.path.join(data["out"], f"{spec['engine']}-t{threads}")
    run, version = _engine(spec["engine"], data, out, threads, codec)
    rss_base = status_kb("VmRSS")
    times, cpus = [], []
    for i in range(spec["repeat"]):
        shutil.rmtree(out, ignore_errors=True)
        c0, t0 = cpu_seconds(), time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
        if i == 0:
            rss_peak = status_kb("VmHWM")
    nfiles, nbytes = _du(out)
    import duckdb

    rows, total = duckdb.sql(f"SELECT count(*), sum(bytes) FROM read_parquet('{out}/**/*.parquet')").fetchall()[0]
    best = min(range(len(times)), key=times.__getitem__)
    return {"version": version, "seconds": times[best], "times": times, "cpu_seconds": cpus[best],
            "files": nfiles, "out_bytes": nbytes, "rows": rows, "sum_bytes": int(total or 0),
            "rss_base_mb": rss_base / 1024, "rss_peak_mb": rss_peak / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--records", type=int, default=None)
    ap.add_argument("--codec", default="zstd", choices=("zstd", "snappy", "gzip", "none"))
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--max-bg", type=float, default=0.25)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    records = args.records or (200_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    data = ensure_data(Path(args.data), records, args.seed)
    info = machine_info()
    threads_list = sorted({1, os.cpu_count() or 1})
    print(f"{records:,} records in {data['files']} .log.gz objects, {data['bytes'] / 1e6:.1f} MB "
          f"({data['text_bytes'] / 1e6:.1f} MB of text); codec {args.codec}; {info['cpu_model']}")
    runs = measure_engines(__file__, args.engines.split(","), threads_list, {"repeat": repeat, "data": data, "codec": args.codec},
                           args.max_bg)
    head = (f"{'engine':<14} {'thr':>3} {'best s':>8} {'Mrows/s':>8} {'MB/s':>7} {'out MB':>8} {'files':>5} "
            f"{'RSS MB':>7} {'time x':>7} {'size x':>7} {'bg':>5}")
    print(head)
    print("-" * len(head))
    failures = []
    for threads in threads_list:
        vp = next((r for r in runs if r["engine"] == "vpcflow" and r["threads"] == threads and "error" not in r), None)
        for r in runs:
            if r["threads"] != threads or "error" in r:
                continue
            tx = r["seconds"] / vp["seconds"] if vp else float("nan")
            sx = r["out_bytes"] / vp["out_bytes"] if vp else float("nan")
            print(f"{r['engine']:<14} {threads:>3} {r['seconds']:>8.2f} {records / r['seconds'] / 1e6:>8.2f} "
                  f"{data['text_bytes'] / 1e6 / r['seconds']:>7.0f} {r['out_bytes'] / 1e6:>8.1f} {r['files']:>5} "
                  f"{r['rss_peak_mb']:>7.0f} {tx:>7.2f} {sx:>7.2f} {r.get('bg_cores', 0):>5.2f}")
            if r["rows"] != records or (vp and r["sum_bytes"] != vp["sum_bytes"]):
                failures.append(f"{r['engine']} t{threads}: {r['rows']} rows, sum(bytes) {r['sum_bytes']}")
        print()
    print("time x / size x: the engine's time / output size over vpcflow's at the same thread count")
    for f in failures:
        print(f"MISMATCH: {f}")
    res_dir = HERE / "results"
    res_dir.mkdir(exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = res_dir / f"convert-{stamp}.json"
    out.write_text(json.dumps({"machine": info, "data": data, "codec": args.codec, "runs": runs}, indent=1))
    print(f"results: {out}")
    return 1 if failures or any("error" in r for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
