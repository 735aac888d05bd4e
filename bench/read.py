#!/usr/bin/env python3
"""Parquet read benchmark: vpcflow against pyarrow and DuckDB on Hive-partitioned datasets.

Usage::

    python bench/read.py [--records N] [--repeat R] [--data DIR] [--threads 1,2] [--engines a,b]
                         [--cases all,two,filter] [--json FILE]

A benchmark, not a test: it asserts nothing about speed.  It checks that every engine read the
same rows (row counts, and the sums of the integer columns) and exits non-zero if not.

Data
----
``vpcflow.synth.write_sample`` generates ``--records`` flow-log records (default 1,000,000, v2
and v5 formats: 29 columns, many null in the v2 records) over 48 hours, as .log.gz objects in the
S3 layout.  Two datasets hold the same rows, cached under ``--data`` (default
``bench/data/read-r{records}/``):

``vpcflow``  ``vpcflow.convert(logs, dest)`` with its defaults: ``year=/month=/day=`` partitions,
             rows sorted by start, zstd, statistics, page index, bloom filters on the addresses.
``pyarrow``  those rows (read back, in the same order, strings as plain Arrow strings) written by
             ``pyarrow.dataset.write_dataset(format="parquet", partitioning=["year", "month",
             "day"], partitioning_flavor="hive")`` with zstd and its defaults otherwise.

Cases
-----
``all``     every column.
``two``     ``srcaddr`` and ``bytes``.
``filter``  the selective filter: one source address AND one hour (``start`` in
            ``[h, h + 3600)``, the 25th hour), every column of the matching rows.  The address
            is one of that hour's sources, picked once (the 90th percentile by row count).

Engines
-------
``vpcflow``  ``all``/``two``: ``vpcflow.read_parquet(dataset, columns=..., threads=T)`` (partition
             keys become columns; strings dictionary-encoded; addresses parsed).  ``filter``:
             ``vpcflow.dataset(path).filter((col("srcaddr") == a) & (col("start") >= h) &
             (col("start") < h + 3600)).collect(T)``: partitions, row-group statistics, bloom
             filters and the page index prune; the filter's columns are read first and the
             others only for the matching rows.
``pyarrow``  ``pyarrow.parquet.read_table(dataset, columns=..., use_threads=T > 1)``; ``filter``:
             ``pyarrow.dataset.dataset(path, partitioning="hive").to_table(filter=...)``; with
             ``pyarrow.set_cpu_count(T)`` and ``set_io_thread_count(T)``.
``duckdb``   ``SET threads=T``; ``SELECT ... FROM read_parquet('path/**/*.parquet',
             hive_partitioning=true) [WHERE srcaddr = a AND start >= h AND start < h + 3600]``
             fetched with ``.to_arrow_table()``.

Method
------
Each (engine, dataset, case, threads) runs in a fresh subprocess pinned to T CPUs
(``sched_setaffinity``) before anything is imported; it runs ``--repeat`` times (default 5) and
keeps the best wall time.  The files are in the page cache, so this measures decoding and
pruning, not the disk.  Figures: best seconds, MB/s of the dataset's size on disk, bytes read
(``/proc/self/io`` rchar of the best repetition: what the engine read from files with read/pread;
vpcflow maps files, so for it the reader's own count of the bytes it touched), peak RSS, and the
ratio to pyarrow's and DuckDB's time on the same dataset, case and threads (> 1: vpcflow faster).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TWO = ["srcaddr", "bytes"]
CASES = ("all", "two", "filter")
START = 1_700_000_000
HOURS = 48


def _du(path: str) -> int:
    total = 0
    for dirpath, dirnames, files in os.walk(path):
        dirnames[:] = [x for x in dirnames if not x.startswith((".", "_"))]
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files if f.endswith(".parquet"))
    return total


def ensure_data(root: Path, records: int) -> dict:
    d = root / f"read-r{records}"
    man = d / "datasets.json"
    if man.exists():
        return json.loads(man.read_text())
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as pds

    import vpcflow

    d.mkdir(parents=True, exist_ok=True)
    logs = d / "logs"
    if not logs.exists():
        vpcflow.synth.write_sample(logs, records=records, seed=1, formats=("v2", "v5"), start=START, hours=HOURS)
    out = {"vpcflow": str(d / "vpcflow"), "pyarrow": str(d / "pyarrow")}
    shutil.rmtree(out["vpcflow"], ignore_errors=True)
    vpcflow.convert(logs, out["vpcflow"], progress=False)
    t = vpcflow.read_parquet(out["vpcflow"])
    arrow = t.to_arrow()
    cols = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in arrow.columns]
    arrow = pa.table(cols, names=arrow.column_names)
    shutil.rmtree(out["pyarrow"], ignore_errors=True)
    pds.write_dataset(arrow, out["pyarrow"], format="parquet", partitioning=["year", "month", "day"],
                      partitioning_flavor="hive",
                      file_options=pds.ParquetFileFormat().make_write_options(compression="zstd"))
    # the filter: the 25th hour, one of its sources (90th percentile by rows)
    h0 = START // 3600 * 3600 + 25 * 3600
    start = t.column("start").values
    m = (start >= h0) & (start < h0 + 3600)
    counts = collections.Counter(np.asarray(t["srcaddr"], dtype=object)[m].tolist())
    counts.pop(None, None)
    ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
    addr, n = ranked[int(len(ranked) * 0.9)]
    info = {**out, "records": records, "hour": h0, "srcaddr": addr, "matches": n, "hour_rows": int(m.sum()),
            "bytes": {k: _du(v) for k, v in out.items()}}
    man.write_text(json.dumps(info))
    return info


# ---------------------------------------------------------------------------
# the child: one engine, one dataset, one case, one thread count
# ---------------------------------------------------------------------------
PARTITION_KEYS = ("year", "month", "day")


def _check(engine: str, t) -> dict:
    """Rows, and the sum of each integer column but the partition keys (which each engine types its
    own way: int32, dictionary, int64): the same for every engine."""
    sums = {}
    if engine == "vpcflow":
        for c in t.columns:
            if c.type in ("int32", "int64") and c.name not in PARTITION_KEYS:
                sums[c.name] = int(c.values[c.valid].sum(dtype="int64"))
        return {"rows": t.num_rows, "sums": sums}
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in t.column_names:
        if pa.types.is_integer(t.schema.field(name).type) and name not in PARTITION_KEYS:
            sums[name] = int(pc.sum(t.column(name).cast(pa.int64())).as_py() or 0)
    return {"rows": t.num_rows, "sums": sums}


def _rchar() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def _rss_mb(field: str = "VmHWM") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker(spec: dict) -> dict:
    threads, engine, path, case = spec["threads"], spec["engine"], spec["path"], spec["case"]
    cols = TWO if case == "two" else None
    addr, h0 = spec["srcaddr"], spec["hour"]
    if engine == "vpcflow":
        import vpcflow

        if case == "filter":
            C = vpcflow.col

            def read():
                return vpcflow.dataset(path).filter(
                    (C("srcaddr") == addr) & (C("start") >= h0) & (C("start") < h0 + 3600)).collect(threads)
        else:
            def read():
                return vpcflow.read_parquet(path, columns=cols, threads=threads)
    elif engine == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as pds
        import pyarrow.parquet as pq

        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)
        if case == "filter":
            F = pc.field

            def read():
                return pds.dataset(path, format="parquet", partitioning="hive").to_table(
                    filter=(F("srcaddr") == addr) & (F("start") >= h0) & (F("start") < h0 + 3600),
                    use_threads=threads > 1)
        else:
            def read():
                return pq.read_table(path, columns=cols, use_threads=threads > 1)
    else:
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        sel = "*" if cols is None else ", ".join(f'"{c}"' for c in cols)
        where = f" WHERE srcaddr = '{addr}' AND start >= {h0} AND start < {h0 + 3600}" if case == "filter" else ""
        sql = f"SELECT {sel} FROM read_parquet('{path}/**/*.parquet', hive_partitioning=true){where}"

        def read():
            return con.sql(sql).to_arrow_table()
    best, result, extra, rss0 = None, None, {}, _rss_mb("VmRSS")
    for i in range(spec["repeat"]):
        r0 = _rchar()
        t0 = time.perf_counter()
        result = read()
        dt = time.perf_counter() - t0
        rc = _rchar() - r0
        if i == 0:
            extra["rss_peak_mb"] = _rss_mb()
            extra["rss_read_mb"] = extra["rss_peak_mb"] - rss0
        if best is None or dt < best:
            best = dt
            extra["rchar"] = rc
            if engine == "vpcflow":
                extra["bytes_read"] = result.report.bytes_read
    if hasattr(result, "read_all"):  # a RecordBatchReader from some DuckDB versions
        result = result.read_all()
    return {"seconds": best, **_check(engine, result), **extra}


def run_child(spec: dict) -> dict:
    code = ("import json, os, sys; os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:%d]));"
            "sys.path.insert(0, %r); import read; print(json.dumps(read.worker(json.loads(sys.argv[1]))))"
            % (spec["threads"], str(HERE)))
    # (NumPy's OpenBLAS threads would otherwise spin on the pinned cores)
    env = dict(os.environ, OMP_NUM_THREADS=str(spec["threads"]), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{spec}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--engines", default="vpcflow,pyarrow,duckdb")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--json", type=Path, help="write every figure here too")
    args = ap.parse_args()
    data = ensure_data(args.data, args.records)
    engines = args.engines.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    runs = []
    print(f"{args.records:,} records over {HOURS} h; best of {args.repeat}; filter: srcaddr = {data['srcaddr']} "
          f"and start in [{data['hour']}, +3600): {data['matches']} of the hour's {data['hour_rows']:,} rows")
    print("per engine: ms, MB/s of the dataset on disk, MB read, peak RSS MB; "
          "[x pyarrow / x duckdb]: their time over vpcflow's (> 1: vpcflow faster)")
    bad = False
    for writer in ("vpcflow", "pyarrow"):
        path, size = data[writer], data["bytes"][writer]
        print(f"\n{writer}-written dataset: {path} ({size / 1e6:.1f} MB)")
        for case in args.cases.split(","):
            for t in threads:
                row = {}
                for e in engines:
                    r = run_child({"engine": e, "path": path, "case": case, "threads": t, "repeat": args.repeat,
                                   "srcaddr": data["srcaddr"], "hour": data["hour"]})
                    row[e] = r
                    runs.append({"writer": writer, "case": case, "threads": t, "engine": e, **r})
                ref = next(iter(row.values()))
                for e, r in row.items():
                    if r["rows"] != ref["rows"] or r["sums"] != ref["sums"]:
                        print(f"  MISMATCH: {e} read {r['rows']} rows, sums {r['sums']}; expected {ref}")
                        bad = True
                label = {"all": "all columns", "two": "+".join(TWO), "filter": "filter"}[case]
                cells = []
                for e, r in row.items():
                    mb = r.get("bytes_read", r["rchar"]) / 1e6
                    cells.append(f"{e} {r['seconds'] * 1000:7.1f} ms ({size / 1e6 / r['seconds']:5.0f} MB/s, "
                                 f"{mb:5.1f} MB read, {r['rss_peak_mb']:4.0f} MB)")
                v = row.get("vpcflow")
                ratios = ""
                if v:
                    ratios = " [" + " / ".join(f"x{o} {row[o]['seconds'] / v['seconds']:.2f}" for o in row if o != "vpcflow") + "]"
                print(f"  {label:14s} {t} thr: " + "   ".join(cells) + ratios)
    if args.json:
        args.json.write_text(json.dumps({"data": data, "runs": runs}, indent=1))
    res_dir = HERE / "results"
    res_dir.mkdir(exist_ok=True)
    out = res_dir / f"read-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"data": data, "runs": runs}, indent=1))
    print(f"\nresults: {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
