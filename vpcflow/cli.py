"""The ``vpcflow`` command line.

    vpcflow demo [--records N] [--seed S] [--dir DIR]   generate a sample, read it, summarise it
    vpcflow head PATH... [-n N] [--fields F]            the first rows as a table
    vpcflow summary PATH... [--threads T]              read logs and print the summary
    vpcflow info FILE.parquet [--row-groups N]          a Parquet file's schema, row groups and statistics
    vpcflow convert SRC... DEST [--partition-by day]    raw flow logs to a partitioned Parquet dataset
    vpcflow compact DEST                                merge the small files of a converted dataset
    vpcflow ingest SRC... DEST [--watch SECONDS]        convert only new objects (again every SECONDS)
    vpcflow ls SRC... [--account A] [--start T]         the log objects a source holds, as their keys say
    vpcflow query DATA 'QUERY' [--format table|csv|json] a pipe-string query over a dataset or raw logs
    vpcflow report DATA [-n 10]                         the recipes: top talkers, rejections, admin ports...
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from typing import Sequence

from . import __version__
from .errors import ParseError, QueryError
from .memory import parse_bytes
from .reader import DEFAULT_FIELDS, expand_paths, read_logs
from .summary import summarize
from .table import Table, parse_report

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import synth
    from .convert import convert
    from .dataset import dataset

    def run(d: str) -> None:
        logs, flows = os.path.join(d, "logs"), os.path.join(d, "flows")
        t0 = time.perf_counter()
        info = synth.write_sample(logs, records=args.records, seed=args.seed, hours=args.hours)
        gen = time.perf_counter() - t0
        print(f"wrote {info.records:,} flow-log records in {len(info.paths):,} S3-style .log.gz objects "
              f"({info.bytes / 1e6:,.1f} MB) under {logs} in {gen:.1f} s")
        print(f"  e.g. {os.path.relpath(info.paths[0], logs)}")
        table = read_logs(logs, threads=args.threads)
        print(summarize(table))
        print()
        v2 = [c for c in table.column_names if c.replace("_", "-") in DEFAULT_FIELDS]
        print(table.select(v2).head(5).to_string(limit=5, max_width=24))
        del table
        print(f"\nvpcflow convert {logs} {flows}")
        print("  " + convert(logs, flows, threads=args.threads, progress=False).summary())
        ds = dataset(flows)
        print(f"\nvpcflow report {flows}")
        _print_report(ds, 5, "table", args.threads)
        q = 'filter action = "REJECT" | stats sum(packets) as packets, count(*) as flows by dstport ' \
            '| sort packets desc | limit 5'
        print(f"\nvpcflow query {flows} '{q}'")
        print(_format(ds.query(q, threads=args.threads), "table"))

    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        run(args.dir)
    else:
        with tempfile.TemporaryDirectory(prefix="vpcflow-demo-") as d:
            run(d)
    return 0


def _cmd_head(args: argparse.Namespace) -> int:
    files = expand_paths(args.paths)
    tables: list[Table] = []
    rows = 0
    for f in files:  # read only as many files as the first rows need
        t = read_logs(f, fields=args.fields, on_error=args.on_error, threads=1)
        tables.append(t)
        rows += t.num_rows
        if rows >= args.n:
            break
    if not tables:
        print("no files", file=sys.stderr)
        return 1
    table = tables[0] if len(tables) == 1 else read_logs(files[: len(tables)], fields=args.fields,
                                                           on_error=args.on_error)
    print(table.head(args.n).to_string(limit=args.n, max_width=args.width))
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    table = read_logs(args.paths, fields=args.fields, on_error=args.on_error, threads=args.threads)
    print(summarize(table, n=args.n))
    rep = parse_report(table)
    if rep.bad_records:
        print(f"bad lines ({rep.bad_lines:,}):")
        for b in rep.bad_records[:10]:
            print(f"  {b.message}")
    return 0


def _short(v: object, width: int = 24) -> str:
    """A statistic or metadata value, cut to width."""
    if v is None:
        return "-"
    t = v.hex() if isinstance(v, bytes) else repr(v) if isinstance(v, float) else str(v)
    return t if len(t) <= width else t[: width - 1] + "…"


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Left-aligned columns of text, the first row a header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _cmd_info(args: argparse.Namespace) -> int:
    from .pqread import ParquetFile

    f = ParquetFile(args.path)
    m = f.metadata
    out = [f"{args.path}: {m.size:,} bytes, Parquet format version {m.version}, created by {m.created_by or '?'}",
           f"{m.num_rows:,} rows in {m.num_row_groups:,} row group{'s' if m.num_row_groups != 1 else ''}",
           "", f"schema ({len(m.schema)} columns):"]
    rows = [["column", "physical", "annotation", "reads as", "nullable"]]
    for c in m.schema:
        phys = c.physical + (f"({c.type_length})" if c.physical == "FIXED_LEN_BYTE_ARRAY" else "")
        reads = (c.type + (f" ({c.logical})" if c.logical else "")) if c.type else f"not read: {c.unreadable}"
        rows.append([c.name, phys, c.annotation or "-", reads, "yes" if c.nullable else "no"])
    out += _table(rows)
    if m.key_value_metadata:
        out += ["", "key-value metadata:"]
        for k, v in m.key_value_metadata.items():
            shown = "-" if v is None else v if len(v) <= 70 else f"({len(v):,} characters) {v[:50]}…"
            out.append(f"  {k}: {shown}")
    shown_rgs = m.num_row_groups if args.row_groups < 0 else min(args.row_groups, m.num_row_groups)
    for i in range(shown_rgs):
        rg = f.row_group(i)
        comp = sum(c.total_compressed_size for c in rg.columns)
        uncomp = sum(c.total_uncompressed_size for c in rg.columns)
        out += ["", f"row group {i}: {rg.num_rows:,} rows, {comp:,} bytes compressed, {uncomp:,} uncompressed"]
        rows = [["column", "codec", "encodings", "compressed", "uncompressed", "nulls", "min", "max", "bloom",
                 "page index"]]
        for ch in rg.columns:
            st = ch.statistics
            pidx = "yes" if ch.has_page_index else "column" if ch.has_column_index else "offset" \
                if ch.has_offset_index else "no"
            rows.append([ch.name, ch.codec + ("" if ch.codec_supported else " (unsupported)"), ",".join(ch.encodings),
                         f"{ch.total_compressed_size:,}", f"{ch.total_uncompressed_size:,}",
                         _short(st.null_count if st else None), _short(st.min if st else None),
                         _short(st.max if st else None), "yes" if ch.has_bloom_filter else "no", pidx])
        out += _table(rows)
    if shown_rgs < m.num_row_groups:
        out += ["", f"... {m.num_row_groups - shown_rgs:,} more row groups (--row-groups -1 shows all)"]
    print("\n".join(out))
    return 0


def _format(t: Table, fmt: str, width: int = 40) -> str:
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(t.column_names)
        w.writerows([["" if v is None else v for v in row.values()] for row in t.to_pylist()])
        return buf.getvalue().rstrip("\n")
    if fmt == "json":
        import json

        return "\n".join(json.dumps(row) for row in t.to_pylist())
    return t.to_string(limit=max(t.num_rows, 1), max_width=width)


def _source(path: str, memory_limit: str | None = None):
    """A converted/Parquet dataset when the path holds Parquet files, else the raw logs read into a table."""
    from .dataset import dataset, is_parquet
    from .pqread import find_parquet_files

    if any(is_parquet(f) for f, _ in find_parquet_files(path)):
        if memory_limit is None:
            return dataset(path)
        return dataset(path, memory_limit=parse_bytes(memory_limit))
    return read_logs(path)


def _cmd_convert(args: argparse.Namespace) -> int:
    from .convert import convert

    by = None if args.partition_by == "none" else args.partition_by
    rep = convert(args.paths, args.dest, partition_by=by, compression=args.compression,
                  compression_level=args.level, threads=args.threads, memory_limit=parse_bytes(args.memory_limit),
                  row_group_size=args.row_group_size, fields=args.fields, on_error=args.on_error, force=args.force,
                  progress=False if args.quiet else None, compact_after=not args.no_compact,
                  int_encoding=args.int_encoding, **_selection(args))
    print(rep)
    return 0


def _selection(args: argparse.Namespace) -> dict:
    return dict(include_accounts=args.accounts, include_regions=args.regions, start=args.start, end=args.end,
                slack=args.slack, endpoint_url=args.endpoint_url)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import _log, ingest

    by = ... if args.partition_by is None else None if args.partition_by == "none" else args.partition_by
    rep = ingest(args.paths, args.dest, partition_by=by, compression=args.compression, threads=args.threads,
                 memory_limit=parse_bytes(args.memory_limit), fields=args.fields, on_error=args.on_error,
                 watch=args.watch, progress=False, on_pass=None if args.watch is None or args.quiet else _log,
                 **_selection(args))
    print(rep)
    return 0


def _cmd_ls(args: argparse.Namespace) -> int:
    import datetime as dt

    from .sources import list_objects

    objs = list_objects(args.paths, **_selection(args))
    rows = [["object", "size", "account", "region", "flow log", "timestamp", "layout"]]
    for o in objs:
        ts = "-" if o.timestamp is None else dt.datetime.fromtimestamp(o.timestamp, dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%MZ")
        rows.append([o.path, f"{o.size:,}", o.account or "-", o.region or "-", o.flow_log_id or "-", ts,
                     o.layout or "-"])
    if len(rows) > 1:
        print("\n".join(_table(rows, indent="")))
    print(f"{len(objs):,} objects, {sum(o.size for o in objs):,} bytes", file=sys.stderr)
    return 0


def _cmd_compact(args: argparse.Namespace) -> int:
    from .convert import compact

    print(compact(args.dest, target_rows=args.target_rows, threads=args.threads))
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    src = _source(args.data, args.memory_limit)
    if args.explain:
        from .pipe import apply

        print(apply(src.lazy(), args.query).explain())
        return 0
    print(_format(src.query(args.query, threads=args.threads), args.format, args.width))
    return 0


def _print_report(src, n: int, fmt: str, threads: int | None) -> None:
    from . import recipes
    from .errors import QueryError

    for title, fn in recipes.RECIPES:
        try:
            t = fn(src, n, threads)
        except QueryError as e:  # a recipe that needs fields this data lacks
            print(f"\n== {title}: skipped ({e})")
            continue
        print(f"\n== {title}")
        print(_format(t, fmt))


def _cmd_report(args: argparse.Namespace) -> int:
    _print_report(_source(args.data, args.memory_limit), args.n, args.format, args.threads)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vpcflow", description="Fast analysis of AWS VPC Flow Logs.")
    p.add_argument("--version", action="version", version=f"vpcflow {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate a realistic sample, read it and print a summary")
    d.add_argument("--records", type=int, default=500_000, help="records to generate (default 500000)")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--hours", type=int, default=2, help="hours of traffic to spread the records over")
    d.add_argument("--dir", help="keep the sample in this directory (default: a temporary one)")
    d.add_argument("--threads", type=int, default=None)
    d.set_defaults(func=_cmd_demo)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("paths", nargs="+", help="files or directories (walked recursively)")
        sp.add_argument("--fields", help="fields of header-less input: a LogFormat string or space-separated names")
        sp.add_argument("--on-error", choices=("raise", "skip"), default="raise", dest="on_error")

    h = sub.add_parser("head", help="print the first rows as a table")
    common(h)
    h.add_argument("-n", type=int, default=10, help="rows to show (default 10)")
    h.add_argument("--width", type=int, default=40, help="maximum column width")
    h.set_defaults(func=_cmd_head)

    s = sub.add_parser("summary", help="read logs and print rows, top talkers and rejected ports")
    common(s)
    s.add_argument("-n", type=int, default=5)
    s.add_argument("--threads", type=int, default=None)
    s.set_defaults(func=_cmd_summary)

    i = sub.add_parser("info", help="a Parquet file's schema, row groups, codecs, encodings, sizes and statistics")
    i.add_argument("path", help="a Parquet file")
    i.add_argument("--row-groups", type=int, default=10, dest="row_groups",
                   help="row groups to describe (default 10; -1 for all)")
    i.set_defaults(func=_cmd_info)

    def select(sp: argparse.ArgumentParser) -> None:
        o = sp.add_argument_group("selecting S3-style objects by key (never opening the others)")
        o.add_argument("--account", action="append", dest="accounts", metavar="ID", help="an account id (repeatable)")
        o.add_argument("--region", action="append", dest="regions", metavar="REGION", help="a region (repeatable)")
        o.add_argument("--start", help="records from this time: ISO 8601 (2024-06-01T12:00Z) or epoch seconds")
        o.add_argument("--end", help="records before this time")
        o.add_argument("--slack", type=float, default=900,
                       help="seconds an object's records may start before/after its file timestamp (default 900)")
        o.add_argument("--endpoint-url", dest="endpoint_url", help="S3 endpoint (default: $VPCFLOW_S3_ENDPOINT)")

    c = sub.add_parser("convert", help="convert raw flow logs to a Hive-partitioned Parquet dataset")
    c.add_argument("paths", nargs="+", metavar="SRC", help="files or directories (walked recursively)")
    c.add_argument("dest", metavar="DEST", help="the dataset directory")
    c.add_argument("--partition-by", choices=("hour", "day", "month", "none"), default="day", dest="partition_by")
    c.add_argument("--compression", choices=("zstd", "snappy", "gzip", "none"), default="zstd")
    c.add_argument("--level", type=int, default=None, help="compression level")
    c.add_argument("--threads", type=int, default=None)
    c.add_argument("--memory-limit", default="1G", dest="memory_limit", help="peak memory budget (default 1G)")
    c.add_argument("--row-group-size", type=int, default=1_000_000, dest="row_group_size")
    c.add_argument("--int-encoding", choices=("auto", "plain", "delta"), default="auto", dest="int_encoding",
                   help="integer columns: the smaller of PLAIN and DELTA_BINARY_PACKED (auto), or one of them; "
                        "delta reads 2-4x faster, files about 10%% larger")
    c.add_argument("--fields", help="fields of header-less input: a LogFormat string or space-separated names")
    c.add_argument("--on-error", choices=("raise", "skip"), default="raise", dest="on_error")
    c.add_argument("--force", action="store_true", help="convert inputs the manifest says were converted")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--no-compact", action="store_true", dest="no_compact", help="do not merge small files after")
    select(c)
    c.set_defaults(func=_cmd_convert)

    g = sub.add_parser("ingest", help="convert the objects a dataset does not have yet (crash-safe, idempotent)")
    g.add_argument("paths", nargs="+", metavar="SRC", help="files, directories or s3://bucket/prefix URLs")
    g.add_argument("dest", metavar="DEST", help="the dataset directory")
    g.add_argument("--watch", type=float, default=None, metavar="SECONDS",
                   help="poll the source again every SECONDS until Ctrl-C")
    g.add_argument("--partition-by", choices=("hour", "day", "month", "none"), default=None, dest="partition_by",
                   help="default: the dataset's own, or day")
    g.add_argument("--compression", choices=("zstd", "snappy", "gzip", "none"), default="zstd")
    g.add_argument("--threads", type=int, default=None)
    g.add_argument("--memory-limit", default="1G", dest="memory_limit", help="peak memory budget (default 1G)")
    g.add_argument("--fields", help="fields of header-less input: a LogFormat string or space-separated names")
    g.add_argument("--on-error", choices=("raise", "skip"), default="raise", dest="on_error")
    g.add_argument("--quiet", action="store_true", help="no line per pass with --watch")
    select(g)
    g.set_defaults(func=_cmd_ingest)

    ls = sub.add_parser("ls", help="list log objects with what their keys say (account, region, time, layout)")
    ls.add_argument("paths", nargs="+", metavar="SRC", help="files, directories or s3://bucket/prefix URLs")
    select(ls)
    ls.set_defaults(func=_cmd_ls)

    k = sub.add_parser("compact", help="merge the small files of each partition of a converted dataset")
    k.add_argument("dest", metavar="DEST")
    k.add_argument("--target-rows", type=int, default=8_000_000, dest="target_rows")
    k.add_argument("--threads", type=int, default=None)
    k.set_defaults(func=_cmd_compact)

    q = sub.add_parser("query", help="run a pipe-string query (CloudWatch Logs Insights style)")
    q.add_argument("data", help="a Parquet dataset (directory or file) or raw flow logs")
    q.add_argument("query", help="e.g. 'filter action = \"REJECT\" | stats count(*) by srcaddr'")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("--width", type=int, default=40, help="maximum column width (table format)")
    q.add_argument("--threads", type=int, default=None)
    q.add_argument("--explain", action="store_true", help="print the plan and what pruning saves instead")
    q.set_defaults(func=_cmd_query)

    r = sub.add_parser("report", help="run the recipes: top talkers, rejected traffic, admin ports, ...")
    r.add_argument("data", help="a Parquet dataset (directory or file) or raw flow logs")
    r.add_argument("-n", type=int, default=10, help="rows per top-k answer (default 10)")
    r.add_argument("--format", choices=("table", "csv", "json"), default="table")
    r.add_argument("--threads", type=int, default=None)
    r.set_defaults(func=_cmd_report)
    for sp in (q, r):
        sp.add_argument("--memory-limit", default=None, dest="memory_limit",
                        help="scan budget, e.g. 2G (default: a quarter of the memory): larger scans run in "
                             "batches of row groups")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 bad input, 2 usage)."""
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except (ParseError, QueryError) as e:
        print(f"vpcflow: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`vpcflow query ... | head`): stop quietly, as cat and grep do,
        # and send what is still buffered for stdout to /dev/null so the exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE
    except RuntimeError as e:  # e.g. another process holds the dataset's lock
        print(f"vpcflow: error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"vpcflow: error: {e}", file=sys.stderr)
        return 1
    except ImportError as e:  # an optional extra that is not installed (boto3 for s3:// paths)
        print(f"vpcflow: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vpcflow: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
