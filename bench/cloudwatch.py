#!/usr/bin/env python3
"""CloudWatch Logs payload benchmark: flow-log events in subscription payloads, vpcflow against DuckDB.

Usage::

    python bench/cloudwatch.py [--records N] [--repeat R] [--data DIR] [--quick]
                               [--engines vpcflow,duckdb] [--max-bg X]

A benchmark, not a test: it asserts nothing about speed, but it checks that both engines read the
same events (count and sum(bytes)) and exits non-zero if not.

Data: ``vpcflow.synth.generate_lines(N, seed=1, fmt="v2")`` (default 1,000,000 events) as
CloudWatch Logs subscription payloads (``DATA_MESSAGE``: messageType, owner, logGroup, logStream,
subscriptionFilters, logEvents[id, timestamp, message]) of 1,000 events each, the log stream an
ENI id, every 50th payload followed by a ``CONTROL_MESSAGE``.  Each payload is gzip'd on its own
and written back to back with the others (a multi-member gzip, one JSON document per line once
decompressed), as a Firehose delivery of a subscription lands in S3; 20 files
(``*.json.gz``), cached under ``--data`` (default ``bench/data/``).

Engines, each with 1 thread and with all cores:

``vpcflow``  ``vpcflow.read_logs(dir, threads=T)``: sniffs the payloads, scans the JSON in C,
             parses each message as a flow-log line (typed columns, addresses parsed, strings
             dictionary-encoded) plus ``log_group``, ``log_stream`` and ``event_timestamp``.
``duckdb``   ``SET threads=T``; ``read_json(glob, format='newline_delimited', columns={...})``,
             control messages filtered out, ``unnest(logEvents)``, the message split on spaces
             (``string_split``) into the 14 v2 fields cast to their types (``-`` as null), with
             logGroup, logStream and the event timestamp; fetched with ``.to_arrow_table()``.

Each (engine, threads) runs in a fresh process (``bench/harness.py``) pinned to T CPUs, best of
``--repeat``; figures: wall time, events/s, MB/s of decompressed JSON, peak RSS (VmHWM of the
child), and DuckDB's time over vpcflow's at the same thread count.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import cached_data, cpu_seconds, machine_info, measure_engines, status_kb  # noqa: E402

V2 = [("version", "INTEGER"), ("account_id", "VARCHAR"), ("interface_id", "VARCHAR"), ("srcaddr", "VARCHAR"),
      ("dstaddr", "VARCHAR"), ("srcport", "INTEGER"), ("dstport", "INTEGER"), ("protocol", "INTEGER"),
      ("packets", "BIGINT"), ("bytes", "BIGINT"), ("start", "BIGINT"), ("end", "BIGINT"), ("action", "VARCHAR"),
      ("log_status", "VARCHAR")]
ENGINES = ("vpcflow", "duckdb")
EVENTS_PER_PAYLOAD = 1000
FILES = 20


def ensure_data(root: Path, records: int, seed: int) -> dict:
    def build(d: Path) -> dict:
        import vpcflow

        (d / "payloads").mkdir()
        lines = vpcflow.synth.generate_lines(records, seed=seed, fmt="v2")
        npayloads = -(-records // EVENTS_PER_PAYLOAD)
        per_file = -(-npayloads // FILES)
        control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                   "subscriptionFilters": [],
                   "logEvents": [{"id": "", "timestamp": 1700000000000,
                                  "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}
        json_bytes = gz_bytes = 0
        paths = []
        for fi in range(FILES):
            members = []
            for pi in range(fi * per_file, min(npayloads, (fi + 1) * per_file)):
                batch = lines[pi * EVENTS_PER_PAYLOAD:(pi + 1) * EVENTS_PER_PAYLOAD]
                eni = batch[0].split(" ")[2]
                ts0 = 1_700_000_000_000 + pi * 1000
                payload = {"messageType": "DATA_MESSAGE", "owner": "123456789010", "logGroup": "/aws/vpc/flowlogs",
                           "logStream": eni, "subscriptionFilters": ["flowlogs-to-firehose"],
                           "logEvents": [{"id": str(37_000_000_000_000_000 + pi * 1000 + i), "timestamp": ts0 + i,
                                          "message": m} for i, m in enumerate(batch)]}
                docs = [payload] + ([control] if pi % 50 == 49 else [])
                for doc in docs:
                    raw = (json.dumps(doc, separators=(",", ":")) + "\n").encode()
                    json_bytes += len(raw)
                    members.append(gzip.compress(raw, compresslevel=6, mtime=0))
            if not members:
                continue
            p = d / "payloads" / f"flowlogs-to-firehose-1-2023-11-14-22-{fi:02d}-00-{fi:08x}.json.gz"
            data = b"".join(members)
            p.write_bytes(data)
            gz_bytes += len(data)
            paths.append(str(p))
        return {"dir": str(d / "payloads"), "records": records, "files": len(paths), "payloads": npayloads,
                "json_bytes": json_bytes, "bytes": gz_bytes}
    return cached_data(root / f"cloudwatch-v2-r{records}-s{seed}", build)


def _engine(name: str, data: dict, threads: int):
    if name == "vpcflow":
        import vpcflow

        def run():
            t = vpcflow.read_logs(data["dir"], threads=threads)
            b = t.column("bytes")
            return t.num_rows, int(b.values[b.valid].sum(dtype="int64"))
        return run, vpcflow.__version__
    if name == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.sql(f"SET threads={threads}")
        fields = ", ".join(
            (f"nullif(f[{i + 1}], '-') AS {n}" if t == "VARCHAR" else f"CAST(nullif(f[{i + 1}], '-') AS {t}) AS \"{n}\"")
            for i, (n, t) in enumerate(V2))
        cols = ("{messageType: 'VARCHAR', owner: 'VARCHAR', logGroup: 'VARCHAR', logStream: 'VARCHAR', "
                "subscriptionFilters: 'VARCHAR[]', logEvents: 'STRUCT(id VARCHAR, \"timestamp\" BIGINT, message VARCHAR)[]'}")
        sql = (f"SELECT {fields}, log_group, log_stream, event_timestamp FROM ("
               f"SELECT string_split(e.message, ' ') AS f, logGroup AS log_group, logStream AS log_stream, "
               f"e.timestamp AS event_timestamp FROM ("
               f"SELECT logGroup, logStream, unnest(logEvents) AS e FROM read_json('{data['dir']}/*.json.gz', "
               f"format='newline_delimited', columns={cols}) WHERE messageType = 'DATA_MESSAGE'))")

        def run():
            t = con.sql(sql).to_arrow_table()
            import pyarrow.compute as pc
            return t.num_rows, int(pc.sum(t.column("bytes")).as_py() or 0)
        return run, duckdb.__version__
    raise SystemExit(f"unknown engine {name}")


def worker(spec: dict) -> dict:
    threads = spec["threads"]
    if spec.get("pin", True):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    run, version = _engine(spec["engine"], spec["data"], threads)
    rss_base = status_kb("VmRSS")
    times, cpus, rss_peak, res = [], [], 0, (0, 0)
    for i in range(spec["repeat"]):
        c0, t0 = cpu_seconds(), time.perf_counter()
        res = run()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
        if i == 0:
            rss_peak = status_kb("VmHWM")
    best = min(range(len(times)), key=times.__getitem__)
    return {"version": version, "seconds": times[best], "times": times, "cpu_seconds": cpus[best],
            "rows": res[0], "sum_bytes": res[1], "rss_base_mb": rss_base / 1024, "rss_peak_mb": rss_peak / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--records", type=int, default=None)
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
    records = args.records or (100_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    data = ensure_data(Path(args.data), records, args.seed)
    info = machine_info()
    threads_list = sorted({1, os.cpu_count() or 1})
    print(f"{records:,} events in {data['payloads']:,} payloads ({EVENTS_PER_PAYLOAD:,} events each, plus control "
          f"messages), {data['files']} multi-member .json.gz files, {data['bytes'] / 1e6:.1f} MB "
          f"({data['json_bytes'] / 1e6:.1f} MB of JSON); {info['cpu_model']}")
    runs = measure_engines(__file__, args.engines.split(","), threads_list, {"repeat": repeat, "data": data},
                           args.max_bg)
    head = (f"{'engine':<10} {'thr':>3} {'best s':>8} {'Mev/s':>7} {'MB/s':>7} {'RSS MB':>7} {'time x':>7} "
            f"{'bg':>5}")
    print(head)
    print("-" * len(head))
    failures = []
    for threads in threads_list:
        vp = next((r for r in runs if r["engine"] == "vpcflow" and r["threads"] == threads and "error" not in r), None)
        for r in runs:
            if r["threads"] != threads or "error" in r:
                continue
            tx = r["seconds"] / vp["seconds"] if vp else float("nan")
            print(f"{r['engine']:<10} {threads:>3} {r['seconds']:>8.3f} {records / r['seconds'] / 1e6:>7.2f} "
                  f"{data['json_bytes'] / 1e6 / r['seconds']:>7.0f} {r['rss_peak_mb']:>7.0f} {tx:>7.2f} "
                  f"{r.get('bg_cores', 0):>5.2f}")
            if r["rows"] != records or (vp and r["sum_bytes"] != vp["sum_bytes"]):
                failures.append(f"{r['engine']} t{threads}: {r['rows']} rows, sum(bytes) {r['sum_bytes']}")
        print()
    print("time x: the engine's time over vpcflow's at the same thread count (> 1: vpcflow faster); "
          "MB/s of decompressed JSON")
    for f in failures:
        print(f"MISMATCH: {f}")
    res_dir = HERE / "results"
    res_dir.mkdir(exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = res_dir / f"cloudwatch-{stamp}.json"
    out.write_text(json.dumps({"machine": info, "data": data, "runs": runs}, indent=1))
    print(f"results: {out}")
    return 1 if failures or any("error" in r for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
