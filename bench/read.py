#!/usr/bin/env python3
"""Parquet read benchmark: vpcflow.read_parquet against pyarrow.parquet.read_table and DuckDB.

Usage::

    python bench/read.py [--records N] [--repeat R] [--data DIR] [--threads 1,2] [--engines a,b]

A benchmark, not a test: it asserts nothing about speed.  It checks that every engine read the
same rows (row counts, and the sums of the integer columns) and exits non-zero if not.

Data
----
``vpcflow.synth.write_sample`` generates ``--records`` flow-log records (default 1,000,000, v2
and v5 formats: 29 columns, many null in the v2 records), ``vpcflow.read_logs`` parses them and
``Table.to_arrow()`` hands them to pyarrow, which writes them once with
``pyarrow.parquet.write_table(compression="zstd")`` (its defaults otherwise: dictionary pages,
1 Mi-row row groups, v1 data pages).  DuckDB then writes the same table with
``COPY ... (FORMAT parquet, COMPRESSION zstd)`` (its defaults: 122,880-row row groups).  Both
files are cached under ``--data`` (default ``bench/data/read-r{records}/``).

Engines
-------
``vpcflow``   ``vpcflow.read_parquet(path, columns=..., threads=T)``: int columns as NumPy arrays
              with validity, strings dictionary-encoded, addresses parsed (srcaddr, dstaddr,
              pkt_srcaddr, pkt_dstaddr become address columns: one parse per distinct value).
``pyarrow``   ``pyarrow.parquet.read_table(path, columns=..., use_threads=T > 1)`` with
              ``pyarrow.set_cpu_count(T)`` and ``set_io_thread_count(T)``.  On the pyarrow file it
              restores dictionary arrays for the string columns (the stored Arrow schema says
              so); on the DuckDB file it builds plain string arrays.
``duckdb``    ``SET threads=T``; ``SELECT cols FROM read_parquet(path)`` fetched with
              ``.to_arrow_table()`` (an Arrow table).

Method
------
Each (engine, file, columns, threads) runs in a fresh subprocess pinned to T CPUs
(``sched_setaffinity``) before anything is imported; it reads ``--repeat`` times (default 5)
and keeps the best wall time.  The files are in the page cache, so this measures decoding, not
the disk.  Figures: best seconds, MB/s of the file's size, and the ratio to pyarrow's time on
the same file, columns and threads (> 1: faster than pyarrow).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TWO = ["srcaddr", "bytes"]


def ensure_data(root: Path, records: int) -> dict[str, str]:
    d = root / f"read-r{records}"
    files = {"pyarrow": d / "flows-pyarrow.zstd.parquet", "duckdb": d / "flows-duckdb.zstd.parquet"}
    if all(p.exists() for p in files.values()):
        return {k: str(v) for k, v in files.items()}
    import duckdb
    import pyarrow.parquet as pq

    import vpcflow

    d.mkdir(parents=True, exist_ok=True)
    logs = d / "logs"
    if not logs.exists():
        vpcflow.synth.write_sample(logs, records=records, seed=1, formats=("v2", "v5"))
    arrow = vpcflow.read_logs(logs).to_arrow()
    pq.write_table(arrow, files["pyarrow"], compression="zstd")
    con = duckdb.connect()
    con.register("flows", arrow)
    con.execute(f"COPY (SELECT * FROM flows) TO '{files['duckdb']}' (FORMAT parquet, COMPRESSION zstd)")
    return {k: str(v) for k, v in files.items()}


# ---------------------------------------------------------------------------
# the child: one engine, one file, one column set, one thread count
# ---------------------------------------------------------------------------
def _check(engine: str, t) -> dict:
    """Rows, and the sum of each integer column: the same for every engine."""
    sums = {}
    if engine == "vpcflow":
        for c in t.columns:
            if c.type in ("int32", "int64"):
                sums[c.name] = int(c.values[c.valid].sum(dtype="int64"))
        return {"rows": t.num_rows, "sums": sums}
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in t.column_names:
        if pa.types.is_integer(t.schema.field(name).type):
            sums[name] = int(pc.sum(t.column(name).cast(pa.int64())).as_py() or 0)
    return {"rows": t.num_rows, "sums": sums}


def worker(spec: dict) -> dict:
    threads, engine, path, cols = spec["threads"], spec["engine"], spec["file"], spec["columns"]
    if engine == "vpcflow":
        import vpcflow

        def read():
            return vpcflow.read_parquet(path, columns=cols, threads=threads)
    elif engine == "pyarrow":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)

        def read():
            return pq.read_table(path, columns=cols, use_threads=threads > 1)
    else:
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        sel = "*" if cols is None else ", ".join(f'"{c}"' for c in cols)

        def read():
            return con.execute(f"SELECT {sel} FROM read_parquet('{path}')").to_arrow_table()
    best, result, extra = None, None, {}
    for _ in range(spec["repeat"]):
        t0 = time.perf_counter()
        result = read()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
        if engine == "vpcflow":
            extra = {"bytes_read": result.report.bytes_read, "bytes_total": result.report.bytes_total}
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
    ap.add_argument("--json", type=Path, help="write every figure here too")
    args = ap.parse_args()
    files = ensure_data(args.data, args.records)
    engines = args.engines.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    runs = []
    print(f"{args.records:,} records; best of {args.repeat}; seconds (MB/s of the file) [time ratio pyarrow/engine]")
    bad = False
    for writer, path in files.items():
        size = os.path.getsize(path)
        print(f"\n{writer}-written file: {path} ({size / 1e6:.1f} MB)")
        for cols in (None, TWO):
            for t in threads:
                row = {}
                for e in engines:
                    r = run_child({"engine": e, "file": path, "columns": cols, "threads": t, "repeat": args.repeat})
                    row[e] = r
                    runs.append({"writer": writer, "columns": cols, "threads": t, "engine": e, **r})
                base = row.get("pyarrow")
                ref = next(iter(row.values()))
                for e, r in row.items():
                    if r["rows"] != ref["rows"] or r["sums"] != ref["sums"]:
                        print(f"  MISMATCH: {e} read {r['rows']} rows, sums {r['sums']}; expected {ref}")
                        bad = True
                label = "all columns" if cols is None else "+".join(cols)
                cells = []
                for e, r in row.items():
                    ratio = f" [{base['seconds'] / r['seconds']:.2f}x]" if base else ""
                    cells.append(f"{e} {r['seconds'] * 1000:7.1f} ms ({size / 1e6 / r['seconds']:6.0f} MB/s){ratio}")
                print(f"  {label:14s} {t} thr: " + "   ".join(cells))
                v = row.get("vpcflow")
                if v and "bytes_read" in v:
                    print(f"  {'':14s}        vpcflow read {v['bytes_read'] / 1e6:.1f} of {v['bytes_total'] / 1e6:.1f} MB")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
