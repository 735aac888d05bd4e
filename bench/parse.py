#!/usr/bin/env python3
"""Parse benchmark: vpcflow.read_logs against DuckDB, pyarrow and polars.

Usage::

    python bench/parse.py [--records N] [--repeat R] [--data DIR] [--quick]
                          [--seed S] [--engines a,b,...] [--no-pin] [--max-bg X]

This is a benchmark, not a test: it asserts nothing about speed.  It does check that every
engine read the same data (see *Correctness* below) and exits non-zero if not.

Data
----
``vpcflow.synth.write_sample`` generates ``--records`` records (default 2,000,000; ``--quick``:
200,000) in the v2 default format only (``formats=("v2",)``, so every engine reads the same 14
columns), in the default S3 layout (``AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/``), once
as ``.log.gz`` objects and once, with the same seed, as plain ``.log`` objects (the generator is
deterministic; the script checks that every decompressed object equals its plain twin).  From
the plain objects it also builds one big plain file (header once, objects concatenated in
sorted order) and one big single-member ``.log.gz`` of that file (level 6, as the objects).  The
four inputs therefore hold the same records:

==========  ==================================================================
plain-file  the big plain file
gz-file     the big ``.log.gz`` file
gz-dir      the S3 tree of ``.log.gz`` objects (the shape AWS delivers)
plain-dir   the same tree as plain ``.log`` objects
==========  ==================================================================

Everything is cached under ``--data`` (default ``bench/data/``) in ``v2-r{records}-s{seed}/``,
with a ``manifest.json`` written last; a directory without a manifest is regenerated.

Engines
-------
Each engine reads each input with 1 thread and with ``os.cpu_count()`` threads:

``vpcflow``       ``vpcflow.read_logs(path, threads=T)``: a file or a directory (walked).
                  Result: typed NumPy columns; strings and addresses dictionary-encoded.
``duckdb-arrow``  ``SET threads=T``; ``SELECT * FROM read_csv(path, delim=' ', header=true,
                  nullstr='-', columns={...})`` (INTEGER version/srcport/dstport/protocol,
                  BIGINT packets/bytes/start/end, VARCHAR the rest) exported with
                  ``.to_arrow_table()``; directories as a ``dir/**/*.log[.gz]`` glob.
``duckdb-table``  the same ``read_csv`` into ``CREATE TABLE t AS SELECT * FROM ...`` (a DuckDB
                  table; no Arrow export).  The table is dropped after each repetition.
``pyarrow``       ``pyarrow.csv.read_csv`` (delimiter ' ', null_values ['-'],
                  strings_can_be_null, explicit column_types, use_threads = T > 1,
                  ``pyarrow.set_cpu_count(T)``); gzip is detected from the ``.gz`` name;
                  directories: every file read in turn, then ``pyarrow.concat_tables``.
``polars-read``   ``pl.read_csv(path, separator=' ', null_values='-', schema={...})``
``polars-scan``   ``pl.scan_csv(...same...).collect()``.  Polars has no per-call thread
                  argument; its pool size is ``POLARS_MAX_THREADS=T``, set before import.  It
                  reads ``.gz`` files and globs natively, so directories are globs, as for
                  DuckDB.

Method
------
Every (engine, input, threads) runs in a fresh Python subprocess (this script with
``--worker``), so that imports, caches and allocator state do not leak between runs and the
peak RSS is that run's own: the child reports ``VmHWM`` from ``/proc/self/status`` (peak
resident set of the whole process, interpreter and libraries included) right after the first
read (so later repetitions, and allocator fragmentation from them, do not count; the JSON has
the peak over all repetitions too) and ``VmRSS`` just before it (after imports and engine
set-up), whose difference is "RSS +read".  File pages mapped with ``mmap`` (vpcflow and polars
map plain files) count as resident while mapped.
The child is pinned (``sched_setaffinity``) to ``T`` CPUs before importing anything, so a
1-thread run cannot borrow a second core through helper threads (``--no-pin`` disables this).
Inside the child the read is repeated ``--repeat`` times (default 3; ``--quick``: 1) and the
best wall time (``time.perf_counter`` around the read call only; for ``duckdb-arrow`` that
includes the Arrow export) is kept, with the process CPU time (user + system, all threads) of
that repetition.  Runs are ordered input by input and thread count by thread count, all
engines in turn, so background load hits every engine alike.  The files are in the page cache
(they were just written or read), so this measures parsing, not disk.  Other work on the
machine is measured, not prevented: for each child the parent takes the machine's busy CPU
time (``/proc/stat``) minus the child's own (``RUSAGE_CHILDREN``), per second of the child's
life, and prints it as ``bg`` (cores kept busy by others; ~0 on a quiet machine).  A child
that saw ``bg > --max-bg`` (default 0.25) is run again, up to 3 tries, and the fastest try is
kept, so a burst of outside work does not decide a figure.

Derived figures: rows/s = records / best time; MB/s = MB (10^6 bytes) of decompressed text /
best time (the text is the plain twin's size, whatever the input's compression); speed-up of
vpcflow over an anchor = anchor time / vpcflow time for the same input and thread count.

A separate child (1 CPU) times gzip decompression, held in memory, of the big ``.log.gz``
(whose output is large enough that allocating it, i.e. page faults, weighs in) and of the
largest S3 object (a few MB, closer to the bare decoder speed):
``vpcflow._core.decompress(data)`` (the reader's own gzip path: libdeflate, ISA-L or zlib,
whichever the extension was built with; ``vpcflow._core.gzip_backend()`` says which) against
``zlib.decompress(data, 47)``, and, when installed, the ``isal`` and ``deflate`` (libdeflate)
Python bindings; best of ``--repeat``, in MB/s of decompressed output (and of gzip input).
All outputs must be identical.

Correctness
-----------
For every run the child reports the row count, ``sum(bytes)`` and the number of null
``bytes`` (nulls excluded from the sum, as SQL does).  Each must equal vpcflow's for the same
input, and vpcflow's must be the same on every input with ``rows == records``.  Any mismatch
or failed run is printed loudly and the script exits with status 1 (after writing the JSON).

Output
------
A table on stdout, a speed-up matrix, the issue's targets with the measured ratios, the
decompression figures, and the raw results as JSON in ``bench/results/parse-<timestamp>.json``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import busy_seconds, cpu_seconds, file_id, machine_info, measure, run_child, status_kb  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: The v2 default format: (header name, logical type).  Every engine gets these types.
V2_COLUMNS: list[tuple[str, str]] = [
    ("version", "int32"), ("account-id", "string"), ("interface-id", "string"),
    ("srcaddr", "string"), ("dstaddr", "string"), ("srcport", "int32"), ("dstport", "int32"),
    ("protocol", "int32"), ("packets", "int64"), ("bytes", "int64"), ("start", "int64"),
    ("end", "int64"), ("action", "string"), ("log-status", "string"),
]
INPUTS = ("plain-file", "gz-file", "gz-dir", "plain-dir")
ENGINES = ("vpcflow", "duckdb-arrow", "duckdb-table", "pyarrow", "polars-read", "polars-scan")
ANCHORS = ENGINES[1:]
MB = 1e6


# ============================================================================================
# Data
# ============================================================================================

def _files_under(root: Path, suffix: str) -> list[Path]:
    """Files under ``root`` ending in ``suffix``, in sorted path order."""
    return sorted(p for p in root.rglob("*" + suffix) if p.is_file() and not p.name.startswith("."))


def ensure_data(data_root: Path, records: int, seed: int) -> dict:
    """Generate (or reuse) the four inputs; return the manifest with paths and sizes."""
    key = f"v2-r{records}-s{seed}"
    final = data_root / key
    manifest_path = final / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if all((final / manifest["paths"][k]).exists() for k in INPUTS):
            manifest["root"] = str(final)
            print(f"data: reusing {final}")
            return manifest
    if final.exists():
        shutil.rmtree(final)
    data_root.mkdir(parents=True, exist_ok=True)
    tmp = data_root / f".{key}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()

    from vpcflow import synth   # the generator is pure Python + NumPy

    print(f"data: generating {records:,} records (seed {seed}) in {final} ...", flush=True)
    t0 = time.perf_counter()
    info_gz = synth.write_sample(tmp / "gz", records=records, seed=seed, formats=("v2",))
    info_plain = synth.write_sample(tmp / "plain", records=records, seed=seed, formats=("v2",),
                                    gzip=False)
    gz_files = _files_under(tmp / "gz", ".log.gz")
    plain_files = _files_under(tmp / "plain", ".log")
    if len(gz_files) != len(plain_files) or not info_gz.records == info_plain.records == records:
        raise SystemExit("data: the gzip and plain samples differ in shape")

    # The two trees must hold the same bytes once decompressed; build the big files meanwhile.
    header = None
    text_bytes = 0
    with open(tmp / "all.log", "wb") as big, open(tmp / "all.log.gz", "wb") as raw_gz, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw_gz, compresslevel=6, mtime=0) as big_gz:
        for g, p in zip(gz_files, plain_files):
            text = p.read_bytes()
            if gzip.decompress(g.read_bytes()) != text:
                raise SystemExit(f"data: {g} does not decompress to {p}")
            text_bytes += len(text)
            first, _, body = text.partition(b"\n")
            if header is None:
                header = first
                body = text
            elif first != header:
                raise SystemExit(f"data: {p} has a different header")
            big.write(body)
            big_gz.write(body)

    def rel(p: Path) -> str:
        return str(p.relative_to(tmp))

    manifest = {
        "records": records,
        "seed": seed,
        "format": "v2",
        "layout": "default",
        "generated_seconds": round(time.perf_counter() - t0, 1),
        "paths": {"plain-file": "all.log", "gz-file": "all.log.gz", "gz-dir": "gz",
                  "plain-dir": "plain"},
        "files": {"plain-file": 1, "gz-file": 1, "gz-dir": len(gz_files),
                  "plain-dir": len(plain_files)},
        # bytes on disk
        "bytes": {"plain-file": (tmp / "all.log").stat().st_size,
                  "gz-file": (tmp / "all.log.gz").stat().st_size,
                  "gz-dir": sum(p.stat().st_size for p in gz_files),
                  "plain-dir": sum(p.stat().st_size for p in plain_files)},
        "first_files": [rel(gz_files[0]), rel(plain_files[0])],
    }
    # bytes of decompressed text each input holds
    manifest["text_bytes"] = {"plain-file": manifest["bytes"]["plain-file"],
                              "gz-file": manifest["bytes"]["plain-file"],
                              "gz-dir": text_bytes, "plain-dir": text_bytes}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    tmp.rename(final)
    manifest["root"] = str(final)
    print(f"data: generated in {manifest['generated_seconds']} s", flush=True)
    return manifest


def input_target(manifest: dict, kind: str) -> dict:
    """What each engine is given for an input: a path, a glob and the file list."""
    root = Path(manifest["root"])
    path = root / manifest["paths"][kind]
    if kind.endswith("-dir"):
        suffix = ".log.gz" if kind.startswith("gz") else ".log"
        return {"path": str(path), "glob": f"{path}/**/*{suffix}", "is_dir": True,
                "suffix": suffix}
    return {"path": str(path), "glob": str(path), "is_dir": False, "suffix": ""}


def decompress_targets(manifest: dict) -> list[tuple[str, dict]]:
    """The gzip files the decompression section times: the big one and the largest object."""
    root = Path(manifest["root"])
    big = root / manifest["paths"]["gz-file"]
    obj = max(_files_under(root / manifest["paths"]["gz-dir"], ".log.gz"),
              key=lambda p: p.stat().st_size)
    return [(f"big .log.gz ({big.stat().st_size / MB:.1f} MB)", {"path": str(big)}),
            (f"largest S3 object ({obj.stat().st_size / MB:.1f} MB)", {"path": str(obj)})]


# ============================================================================================
# Worker (runs in the child process)
# ============================================================================================

def _engine(name: str, target: dict, threads: int):
    """Import and set up an engine; return (read, stats, version, note).

    ``read()`` does the timed work and returns the result; ``stats(result)`` returns
    (rows, sum(bytes) with nulls excluded, null count of bytes) and releases the result.
    """
    path, glob_ = target["path"], target["glob"]
    if name == "vpcflow":
        import numpy as np
        import vpcflow

        def read():
            return vpcflow.read_logs(path, threads=threads)

        def stats(t):
            b = t["bytes"]
            return t.num_rows, int(b.sum()), int(np.ma.count_masked(b))

        note = f"gzip via {vpcflow._core.gzip_backend()}"
        return read, stats, vpcflow.__version__, note

    if name.startswith("duckdb"):
        import duckdb

        con = duckdb.connect()
        con.sql(f"SET threads={threads}")
        types = {"int32": "INTEGER", "int64": "BIGINT", "string": "VARCHAR"}
        cols = ", ".join(f"'{n}': '{types[t]}'" for n, t in V2_COLUMNS)
        src = (f"read_csv('{glob_}', delim=' ', header=true, nullstr='-', "
               f"columns={{{cols}}})")
        if name == "duckdb-arrow":
            import pyarrow.compute as pc

            def read():
                return con.sql(f"SELECT * FROM {src}").to_arrow_table()

            def stats(t):
                return t.num_rows, int(pc.sum(t["bytes"]).as_py() or 0), t["bytes"].null_count

            return read, stats, duckdb.__version__, "SELECT * -> .to_arrow_table()"

        def read():
            con.sql(f"CREATE TABLE t AS SELECT * FROM {src}")
            return "t"

        def stats(t):
            r = con.sql(f"SELECT count(*), sum(bytes), count(*) - count(bytes) FROM {t}").fetchall()[0]
            con.sql(f"DROP TABLE {t}")
            return int(r[0]), int(r[1] or 0), int(r[2])

        return read, stats, duckdb.__version__, "CREATE TABLE AS SELECT * (no export)"

    if name == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv

        pa.set_cpu_count(threads)
        ropts = pcsv.ReadOptions(use_threads=threads > 1)
        popts = pcsv.ParseOptions(delimiter=" ")
        types = {"int32": pa.int32(), "int64": pa.int64(), "string": pa.string()}
        copts = pcsv.ConvertOptions(column_types={n: types[t] for n, t in V2_COLUMNS},
                                    null_values=["-"], strings_can_be_null=True)

        def read1(p):
            return pcsv.read_csv(p, read_options=ropts, parse_options=popts,
                                 convert_options=copts)

        if target["is_dir"]:
            def read():
                files = _files_under(Path(path), target["suffix"])
                return pa.concat_tables([read1(str(f)) for f in files])
            note = "one read_csv per file + concat_tables"
        else:
            def read():
                return read1(path)
            note = "read_csv"

        def stats(t):
            return t.num_rows, int(pc.sum(t["bytes"]).as_py() or 0), t["bytes"].null_count

        return read, stats, pa.__version__, note

    if name.startswith("polars"):
        import polars as pl   # POLARS_MAX_THREADS was set by the parent

        types = {"int32": pl.Int32, "int64": pl.Int64, "string": pl.String}
        schema = {n: types[t] for n, t in V2_COLUMNS}
        kw = dict(separator=" ", null_values="-", schema=schema)
        if name == "polars-read":
            def read():
                return pl.read_csv(glob_, **kw)
            note = "read_csv"
        else:
            def read():
                return pl.scan_csv(glob_, **kw).collect()
            note = "scan_csv().collect()"
        if target["is_dir"]:
            note += " on a glob"
        if pl.thread_pool_size() != threads:
            note += f" (pool has {pl.thread_pool_size()} threads, not {threads})"

        def stats(df):
            return df.height, int(df["bytes"].sum() or 0), int(df["bytes"].null_count())

        return read, stats, pl.__version__, note

    raise ValueError(f"unknown engine {name!r}")


def _decompressors(isize: int) -> list[tuple[str, object]]:
    """(label, function bytes -> bytes) of every gzip decoder to time, vpcflow's first.

    ``vpcflow._core.decompress`` is the reader's own code path (its backend is
    ``vpcflow._core.gzip_backend()``: libdeflate, ISA-L or zlib, whichever it was built
    with); ``zlib.decompress(data, 47)`` is the stdlib.  The Python bindings of ISA-L
    (``isal``, given the output size from the gzip trailer, ``isize``, as libdeflate's
    binding finds it itself) and libdeflate (``deflate``) are timed too when installed,
    as references for the bare decoders.
    """
    import zlib

    import vpcflow

    out: list[tuple[str, object]] = [
        (f"vpcflow._core.decompress [{vpcflow._core.gzip_backend()}]", vpcflow._core.decompress),
        ("zlib.decompress(data, 47)", lambda d: zlib.decompress(d, 47)),
    ]
    try:
        from isal import isal_zlib
        out.append(("isal.isal_zlib.decompress(data, 47, n)",
                    lambda d: isal_zlib.decompress(d, 47, isize + 1)))
    except ImportError:
        pass
    try:
        import deflate
        out.append(("deflate.gzip_decompress (libdeflate)", deflate.gzip_decompress))
    except ImportError:
        pass
    return out


def _decompress_bench(target: dict, repeat: int) -> dict:
    """Time each decoder of :func:`_decompressors` on one gzip file held in memory."""
    data = Path(target["path"]).read_bytes()
    isize = int.from_bytes(data[-4:], "little")   # output size mod 2**32 (one member)
    out: dict = {"file": target["path"], "compressed_bytes": len(data), "decoders": {}}
    ref = None
    for name, fn in _decompressors(isize):
        best = float("inf")
        for _ in range(max(repeat, 1)):
            t0 = time.perf_counter()
            text = fn(data)
            best = min(best, time.perf_counter() - t0)
        if ref is None:
            ref = text
        elif text != ref:
            raise SystemExit(f"decompress: {name} differs from vpcflow's output")
        out["decoders"][name] = {"seconds": best, "out_bytes": len(text),
                                 "MB_per_s_out": len(text) / best / MB,
                                 "MB_per_s_in": len(data) / best / MB}
        del text
    return out


def worker(spec: dict) -> dict:
    """Run one measurement described by ``spec``; return the result as a dict."""
    threads, repeat = spec["threads"], spec["repeat"]
    if spec.get("pin"):
        cpus = sorted(os.sched_getaffinity(0))[:threads]
        os.sched_setaffinity(0, cpus)
    if spec["engine"] == "decompress":
        return _decompress_bench(spec["target"], repeat)

    import gc

    read, stats, version, note = _engine(spec["engine"], spec["target"], threads)
    rss_base = status_kb("VmRSS")
    times, cpus = [], []
    result = None
    for i in range(repeat):
        result = None
        gc.collect()
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        result = read()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
        if i == 0:
            rss_first = status_kb("VmHWM")   # peak of one read in a fresh process
        if i < repeat - 1:
            if spec["engine"] == "duckdb-table":
                stats(result)   # drops the table
            result = None
    rows, sum_bytes, null_bytes = stats(result)
    result = None
    best = min(range(repeat), key=times.__getitem__)
    return {
        "version": version, "note": note, "times": times, "seconds": times[best],
        "cpu_seconds": cpus[best], "rows": rows, "sum_bytes": sum_bytes,
        "null_bytes": null_bytes, "rss_base_mb": rss_base / 1024,
        "rss_peak_mb": rss_first / 1024,
        "rss_peak_all_repeats_mb": status_kb("VmHWM") / 1024,
        "affinity": sorted(os.sched_getaffinity(0)),
    }


# ============================================================================================
# Parent: run the children, check, report
# ============================================================================================

def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def print_table(runs: list[dict], manifest: dict) -> None:
    vp = {(r["input"], r["threads"]): r for r in runs if r["engine"] == "vpcflow" and "error" not in r}
    head = (f"{'engine':<13} {'input':<10} {'thr':>3} {'best s':>8} {'Mrows/s':>8} {'MB/s':>7} "
            f"{'CPU s':>7} {'RSS MB':>7} {'+read':>7}  {'vpcflow x':>9} {'bg':>5}")
    print(head)
    print("-" * len(head))
    last = None
    for r in runs:
        if last is not None and (r["input"], r["threads"]) != last:
            print()
        last = (r["input"], r["threads"])
        if "error" in r:
            print(f"{r['engine']:<13} {r['input']:<10} {r['threads']:>3}  FAILED: "
                  f"{r['error'].splitlines()[-1][:70]}")
            continue
        v = vp.get((r["input"], r["threads"]))
        ratio = "" if r["engine"] == "vpcflow" or v is None else f"{r['seconds'] / v['seconds']:.2f}x"
        text = manifest["text_bytes"][r["input"]]
        print(f"{r['engine']:<13} {r['input']:<10} {r['threads']:>3} {r['seconds']:>8.3f} "
              f"{r['rows'] / r['seconds'] / 1e6:>8.2f} {text / r['seconds'] / MB:>7.0f} "
              f"{r['cpu_seconds']:>7.2f} {r['rss_peak_mb']:>7.0f} "
              f"{r['rss_peak_mb'] - r['rss_base_mb']:>7.0f}  {ratio:>9} {r['bg_cores']:>5.2f}")


def speedups(runs: list[dict]) -> dict:
    """{anchor: {(input, threads): anchor_time / vpcflow_time}}."""
    vp = {(r["input"], r["threads"]): r["seconds"] for r in runs
          if r["engine"] == "vpcflow" and "error" not in r}
    out: dict = {}
    for r in runs:
        if r["engine"] != "vpcflow" and "error" not in r and (r["input"], r["threads"]) in vp:
            out.setdefault(r["engine"], {})[(r["input"], r["threads"])] = \
                r["seconds"] / vp[(r["input"], r["threads"])]
    return out


def print_speedups(sp: dict, thread_counts: list[int]) -> None:
    cols = [(i, t) for i in INPUTS for t in thread_counts]
    print(f"{'anchor':<13} " + " ".join(f"{i + '/' + str(t):>12}" for i, t in cols))
    for a in ANCHORS:
        if a in sp:
            print(f"{a:<13} " + " ".join(f"{_fmt(sp[a].get(c), '.2f') + 'x':>12}" for c in cols))


def targets(runs: list[dict], sp: dict, manifest: dict, thread_counts: list[int]) -> list[dict]:
    """The issue's targets, evaluated on the measured ratios."""
    out = []
    for anchor in ("duckdb-arrow", "duckdb-table"):
        for inp in ("plain-file", "plain-dir"):
            r = sp.get(anchor, {}).get((inp, 1))
            out.append({"target": "plain text, 1 thread: >= 3x DuckDB", "anchor": anchor,
                        "input": inp, "threads": 1, "ratio": r, "goal": 3.0,
                        "met": r is not None and r >= 3.0})
    for anchor in ("duckdb-arrow", "duckdb-table"):
        for inp in ("gz-file", "gz-dir"):
            for t in thread_counts:
                r = sp.get(anchor, {}).get((inp, t))
                out.append({"target": ".gz input: >= 2x DuckDB", "anchor": anchor, "input": inp,
                            "threads": t, "ratio": r, "goal": 2.0,
                            "met": r is not None and r >= 2.0})
    for r in runs:
        if r["engine"] == "vpcflow" and "error" not in r and r["input"].startswith("plain"):
            mbps = manifest["text_bytes"][r["input"]] / r["seconds"] / MB
            out.append({"target": "plain text: toward 1 GB/s per core", "anchor": None,
                        "input": r["input"], "threads": r["threads"],
                        "mb_per_s_per_core": mbps / r["threads"], "goal": 1000.0,
                        "met": mbps / r["threads"] >= 1000.0})
    return out


def print_targets(tg: list[dict]) -> None:
    for t in tg:
        if "ratio" in t:
            verdict = "not measured" if t["ratio"] is None else "MET" if t["met"] else "NOT MET"
            print(f"  {t['target']:<38} vs {t['anchor']:<13} {t['input']:<10} {t['threads']} thr: "
                  f"{_fmt(t['ratio'], '.2f')}x  {verdict}")
        else:
            print(f"  {t['target']:<38} {'':16} {t['input']:<10} {t['threads']} thr: "
                  f"{t['mb_per_s_per_core']:.0f} MB/s/core ({t['mb_per_s_per_core'] / 10:.0f}% "
                  f"of 1 GB/s)  {'MET' if t['met'] else 'NOT MET'}")


def check(runs: list[dict], records: int) -> list[str]:
    """Every engine must agree with vpcflow on rows, sum(bytes) and null bytes."""
    problems = []
    ref = None
    vp = {}
    for r in runs:
        if "error" in r:
            problems.append(f"{r['engine']} {r['input']} {r['threads']} thr FAILED: {r['error']}")
        elif r["engine"] == "vpcflow":
            key = (r["rows"], r["sum_bytes"], r["null_bytes"])
            vp.setdefault(r["input"], key)
            ref = ref or key
            if key != ref or key != vp[r["input"]]:
                problems.append(f"vpcflow {r['input']} {r['threads']} thr: {key} != {ref}")
            if r["rows"] != records:
                problems.append(f"vpcflow {r['input']} {r['threads']} thr: {r['rows']} rows, "
                                f"expected {records}")
    for r in runs:
        if "error" in r or r["engine"] == "vpcflow" or r["input"] not in vp:
            continue
        key = (r["rows"], r["sum_bytes"], r["null_bytes"])
        if key != vp[r["input"]]:
            problems.append(f"{r['engine']} {r['input']} {r['threads']} thr: (rows, sum(bytes), "
                            f"null bytes) = {key}, vpcflow {vp[r['input']]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=None,
                    help="records to generate (default 2,000,000; --quick: 200,000)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="repetitions per run, best kept (default 3; --quick: 1)")
    ap.add_argument("--data", type=Path, default=HERE / "data", help="data cache root")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="200k records, 1 repetition")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="comma-separated subset of " + ",".join(ENGINES))
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="do not pin each child to T CPUs")
    ap.add_argument("--max-bg", type=float, default=0.25,
                    help="run a measurement again (3 tries at most, fastest kept) when other "
                         "work kept more than this many cores busy meanwhile (default 0.25)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    try:
        import vpcflow  # noqa: F401  (installed, or on PYTHONPATH)
    except ImportError:
        sys.path.insert(0, str(REPO))   # the checkout this script belongs to, built in place

    records = args.records or (200_000 if args.quick else 2_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    engines = [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}")
    if "vpcflow" not in engines:
        engines.insert(0, "vpcflow")   # the reference for checks and ratios
    ncpu = os.cpu_count() or 1
    thread_counts = sorted({1, ncpu})

    info = machine_info()
    print(f"machine: {info['cpu_model']}, {info['cpus']} CPUs, {info['mem_gib']} GiB, "
          f"Linux {info['kernel']}, Python {info['python']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
          + f"; vpcflow gzip via {info['vpcflow_gzip_backend']}")
    print(f"vpcflow from {info['vpcflow_path']}"
          + (f" (git {info['vpcflow_git']})" if info["vpcflow_git"] else ""))
    core = info["vpcflow_core"]
    print(f"vpcflow extension: {Path(core['path']).name} built {core['mtime']}, "
          f"sha256 {core['sha256'][:12]}")

    manifest = ensure_data(args.data.resolve(), records, args.seed)
    print(f"\ndata: {records:,} records, v2 format, seed {args.seed}, {manifest['root']}")
    for k in INPUTS:
        print(f"  {k:<10} {manifest['files'][k]:>5} file(s)  {manifest['bytes'][k] / MB:>8.1f} MB "
              f"on disk  {manifest['text_bytes'][k] / MB:>8.1f} MB text")
    print(f"  repeat {repeat} (best kept), threads {thread_counts}, "
          f"{'pinned to T CPUs' if args.pin else 'not pinned'}\n", flush=True)

    b0 = busy_seconds()
    time.sleep(1.0)
    bg0 = busy_seconds() - b0
    if bg0 > 0.2:
        print(f"!! note: the machine is busy ({bg0:.2f} cores busy with other work just now); "
              f"timings will be noisy, multi-thread ones especially.\n")
    runs = []
    for inp in INPUTS:
        target = input_target(manifest, inp)
        for t in thread_counts:
            for e in engines:
                spec = {"engine": e, "input": inp, "threads": t, "repeat": repeat,
                        "pin": args.pin, "target": target}
                res = measure(__file__, spec, args.max_bg)
                res.update(engine=e, input=inp, threads=t)
                runs.append(res)
                if "error" in res:
                    print(f"  {e:<13} {inp:<10} {t} thr  FAILED", flush=True)
                else:
                    print(f"  {e:<13} {inp:<10} {t} thr  {res['seconds']:.3f} s  "
                          f"({', '.join(f'{x:.3f}' for x in res['times'])})  "
                          f"bg {res['bg_cores']:.2f}"
                          + (f"  ({res['tries']} tries)" if res["tries"] > 1 else ""), flush=True)

    print(f"\n== Parse: best of {repeat} ==\n"
          "   MB/s = MB of decompressed text per second; CPU s = process CPU time of the best run\n"
          "   RSS MB = peak RSS of the child through its first read; +read = that minus RSS before it\n"
          "   vpcflow x = anchor time / vpcflow time, same input and threads\n"
          "   bg = cores kept busy by other work meanwhile (0 on a quiet machine; > 0.2 is suspect)\n")
    print_table(runs, manifest)
    notes: dict[str, set] = {}
    for r in runs:
        if "note" in r:
            notes.setdefault(r["engine"], set()).add(r["note"])
    print("\nHow each engine read:")
    for e, ns in notes.items():
        print(f"  {e:<13} " + "; ".join(sorted(ns)))

    sp = speedups(runs)
    print("\n== vpcflow speed-up over each anchor (anchor time / vpcflow time) ==\n")
    print_speedups(sp, thread_counts)

    tg = targets(runs, sp, manifest, thread_counts)
    print("\n== Targets (issue) ==\n")
    print_targets(tg)

    print("\n== gzip decompression in memory, 1 thread (MB/s of decompressed text) ==")
    decs = []
    for label, target in decompress_targets(manifest):
        dec = run_child(__file__, {"engine": "decompress", "input": label, "threads": 1, "repeat": repeat,
                         "pin": args.pin, "target": target})
        dec["input"] = label
        decs.append(dec)
        print(f"\n  {label}")
        if "error" in dec:
            print("  FAILED:", dec["error"])
            continue
        zl = dec["decoders"]["zlib.decompress(data, 47)"]["seconds"]
        for name, d in dec["decoders"].items():
            print(f"  {name:<42} {d['seconds']:.4f} s  {d['MB_per_s_out']:6.0f} MB/s out  "
                  f"{d['MB_per_s_in']:5.0f} MB/s in  {zl / d['seconds']:5.2f}x zlib")
    if decs and "error" not in decs[0] and len(decs[0]["decoders"]) == 2:
        print("  (pip install isal deflate to time ISA-L's and libdeflate's Python bindings too)")

    bg = [r["bg_cores"] for r in runs if "bg_cores" in r]
    print(f"\nbackground load: {bg0:.2f} cores busy before the runs; during a run other work "
          f"kept {max(bg, default=0):.2f} cores busy at most (mean {sum(bg) / max(len(bg), 1):.2f})")
    problems = check(runs, records)
    core_now = file_id(info["vpcflow_core"]["path"])
    if core_now["sha256"] != info["vpcflow_core"]["sha256"]:
        print(f"\n!! WARNING: the vpcflow extension was rebuilt during the run "
              f"({core_now['mtime']}); the vpcflow figures may mix two builds.")
        info["vpcflow_core_after"] = core_now
    for dec in decs:
        if dec.get("error"):
            problems.append(f"decompress {dec['input']} FAILED: " + dec["error"])
    print("\n== Correctness: rows, sum(bytes), null bytes vs vpcflow ==\n")
    if problems:
        print("!" * 78)
        for p in problems:
            print("!! MISMATCH/FAILURE:", p)
        print("!" * 78)
    else:
        ok = next(r for r in runs if r["engine"] == "vpcflow")
        print(f"  all {len(runs)} runs agree: {ok['rows']:,} rows, sum(bytes) = "
              f"{ok['sum_bytes']:,}, {ok['null_bytes']:,} null bytes")

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = results_dir / f"parse-{stamp}.json"
    out.write_text(json.dumps({
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "args": {"records": records, "repeat": repeat, "seed": args.seed, "quick": args.quick,
                 "pin": args.pin, "max_bg": args.max_bg, "engines": engines, "threads": thread_counts},
        "machine": info, "data": manifest, "runs": runs,
        "background_cores_at_start": bg0,
        "speedups": {a: {f"{i}/{t}": v for (i, t), v in d.items()} for a, d in sp.items()},
        "targets": tg, "decompress": decs, "problems": problems,
    }, indent=2))
    print(f"\nresults: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
