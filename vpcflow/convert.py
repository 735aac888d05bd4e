"""Raw flow logs to a Hive-partitioned Parquet dataset: :func:`convert` and :func:`compact`.

``convert`` reads everything :func:`vpcflow.read_logs` reads, in batches
sized to a memory budget, and writes
``DEST/year=YYYY/month=MM/day=DD[/hour=HH]/part-*.parquet`` by record start
time, rows sorted by start within each file so that row-group statistics on
start/end prune well.  Files are as large as a batch allows (a batch holds
many input objects), never one per input; ``compact`` merges the small files
a partition collects over many runs.

Every run is a transaction per batch against the dataset's manifest
(:mod:`vpcflow.manifest`): an interrupted run leaves no partial file visible
and loses nothing, re-running finishes the job, and converting the same
input twice does not duplicate rows (inputs already in the manifest, by name,
size and mtime, are skipped unless ``force=True``).
"""
from __future__ import annotations

import fcntl
import html
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence, Union

import numpy as np

from .manifest import DIRNAME, InputKey, Manifest
from .reader import read_logs
from .sources import LogObject, TimeLike, list_objects
from .table import Column, Table, parse_report

__all__ = ["convert", "compact", "ConvertReport", "CompactReport", "PARTITIONINGS"]

PathLike = Union[str, "os.PathLike[str]"]
PARTITIONINGS = ("hour", "day", "month", None)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Hive's name for a null partition value
DEFAULT_MEMORY = 1 << 30
DEFAULT_FILE_ROWS = 8_000_000


# ===================================================================
# Reports
# ===================================================================
@dataclass
class ConvertReport:
    """What a conversion did.

    Attributes:
        inputs: input files read in this run.
        skipped: inputs already in the manifest (not read again).
        rows: records written.
        bad_records: bad lines counted (with ``on_error="skip"``); the first
            ones are kept in ``bad``.
        bytes_in: bytes of input read (compressed sizes).
        bytes_out: bytes of Parquet written.
        files: Parquet files now in the partitions this run wrote to (after compaction).
        partitions: partitions written to.
        seconds: wall time.
    """

    dest: str
    inputs: int = 0
    skipped: int = 0
    rows: int = 0
    bad_records: int = 0
    bytes_in: int = 0
    bytes_text: int = 0
    bytes_out: int = 0
    files: int = 0
    partitions: int = 0
    batches: int = 0
    seconds: float = 0.0
    recovered: list[str] = field(default_factory=list)
    bad: list = field(default_factory=list)

    @property
    def compression_ratio(self) -> float:
        """Input bytes per output byte (text after decompression, for fairness, is ``bytes_text``)."""
        return self.bytes_in / self.bytes_out if self.bytes_out else 0.0

    def summary(self) -> str:
        rate = f", {self.rows / self.seconds:,.0f} rows/s" if self.seconds > 0 and self.rows else ""
        parts = [
            f"{self.inputs:,} input files" + (f" ({self.skipped:,} already converted, skipped)" if self.skipped else ""),
            f"{self.rows:,} rows",
            f"{self.bad_records:,} bad records",
            f"{self.bytes_in / 1e6:,.1f} MB in",
            f"{self.bytes_out / 1e6:,.1f} MB out in {self.files:,} files",
            f"ratio {self.compression_ratio:.2f}x" if self.bytes_out else "ratio -",
            f"{self.seconds:.2f} s{rate}",
        ]
        return ", ".join(parts)

    def __str__(self) -> str:
        lines = [self.summary()]
        lines.extend(f"  recovered: {r}" for r in self.recovered)
        lines.extend(f"  {b.message}" for b in self.bad[:10])
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [("dest", self.dest), ("input files", f"{self.inputs:,}"), ("skipped", f"{self.skipped:,}"),
                ("rows", f"{self.rows:,}"), ("bad records", f"{self.bad_records:,}"),
                ("bytes in", f"{self.bytes_in:,}"), ("bytes out", f"{self.bytes_out:,}"),
                ("files", f"{self.files:,}"), ("compression ratio", f"{self.compression_ratio:.2f}x"),
                ("seconds", f"{self.seconds:.3f}")]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f'<table class="vpcflow-report"><caption>vpcflow.convert</caption>{body}</table>'


@dataclass
class CompactReport:
    """What a compaction did: partitions visited, files merged into how many, seconds."""

    dest: str
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.partitions:,} partitions, {self.files_before:,} files -> {self.files_after:,} "
                f"({self.rows:,} rows rewritten) in {self.seconds:.2f} s")


# ===================================================================
# Progress on a terminal
# ===================================================================
class _Progress:
    def __init__(self, total_bytes: int, enabled: bool) -> None:
        self.total = total_bytes
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.done = 0
        self.rows = 0

    def update(self, nbytes: int, rows: int) -> None:
        self.done += nbytes
        self.rows += rows
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        frac = self.done / self.total if self.total else 1.0
        eta = el / frac - el if frac > 0 else 0
        bar = "#" * int(30 * frac)
        sys.stderr.write(f"\r[{bar:<30}] {frac:6.1%} {self.rows:,} rows {self.done / 1e6 / max(el, 1e-9):,.0f} MB/s "
                         f"ETA {eta:4.0f} s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ===================================================================
# Partitioning
# ===================================================================
def _partition_dir(bucket: int, by: str) -> str:
    """The relative directory of one partition bucket (``datetime64[unit]`` as an int, or int64 min for null)."""
    if bucket == np.iinfo(np.int64).min:
        return "/".join(f"{k}={NULL_PARTITION}" for k in _keys(by))
    unit = _UNITS[by]
    dt = np.datetime64(int(bucket), unit).astype("datetime64[s]").item()
    parts = [f"year={dt.year:04d}", f"month={dt.month:02d}", f"day={dt.day:02d}", f"hour={dt.hour:02d}"]
    return "/".join(parts[: len(_keys(by))])


_UNITS: dict[str, Literal["h", "D", "M"]] = {"hour": "h", "day": "D", "month": "M"}


def _widen(table: Table, columns: list[tuple[str, str]]) -> Table:
    """The table with every column the dataset already has (all null where this batch lacks it), in the
    dataset's order, then its own new columns: files of one dataset share one schema as far as possible."""
    have = {c.name: c for c in table.columns}
    cols: list[Column] = []
    for name, typ in columns:
        got = have.pop(name, None)
        cols.append(got or Column.nulls(name, typ, table.num_rows))
    cols.extend(have.values())
    return Table(cols, table.report)


def _keys(by: str) -> list[str]:
    return {"month": ["year", "month"], "day": ["year", "month", "day"], "hour": ["year", "month", "day", "hour"]}[by]


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for int64 keys, by 16-bit radix passes when the keys span
    less than 2**32 (a batch's start times span hours or days: one or two O(n) passes instead of
    a comparison sort).

    Example:
        >>> _stable_order(np.array([1_700_000_300, 1_700_000_000, 1_700_000_300, 5])).tolist()
        [3, 1, 0, 2]
    """
    if not len(key):
        return np.zeros(0, dtype=np.int64)
    lo = int(key.min())
    span = int(key.max()) - lo
    if span >= 1 << 32:
        return np.argsort(key, kind="stable")
    k = (key - lo).astype(np.uint32)
    order = np.argsort(k.astype(np.uint16), kind="stable")  # NumPy sorts 16-bit keys by radix
    if span >= 1 << 16:
        order = order[np.argsort((k >> 16).astype(np.uint16)[order], kind="stable")]
    return order


def _sorted_runs(table: Table, by: str | None, threads: int = 1) -> tuple[Table, list[tuple[str, int, int]]]:
    """The table ordered by (partition, start) and the row span of each partition.

    A partition is a function of start that never decreases (null start: the
    null partition, first), so one stable sort by start (nulls first) orders
    by (partition, start) too; the partitions are then the runs of equal
    buckets of the sorted starts.  Rows with equal starts keep their order.
    """
    n = table.num_rows
    null_dir = "" if by is None else "/".join(f"{k}={NULL_PARTITION}" for k in _keys(by))
    if "start" not in table:
        return table, ([(null_dir, 0, n)] if n else [])
    start = table.column("start")
    lo = np.iinfo(np.int64).min
    key = start.values.astype(np.int64, copy=False)
    if start.null_count:  # unpartitioned: null starts last; else the null partition first
        key = np.where(start.valid, key, lo if by is not None else np.iinfo(np.int64).max)
    if n > 1 and not bool(np.all(key[1:] >= key[:-1])):
        order = _stable_order(key)
        table = table.take(order, threads=threads)
        key = key[order]
    if by is None:
        return table, ([("", 0, n)] if n else [])
    buckets = key.astype("datetime64[s]").astype(f"datetime64[{_UNITS[by]}]").astype(np.int64)
    nulls = int(np.searchsorted(key, lo, side="right")) if start.null_count else 0
    buckets[:nulls] = lo
    bounds = np.flatnonzero(buckets[1:] != buckets[:-1]) + 1
    starts = np.concatenate([[0], bounds]).astype(np.int64)
    stops = np.concatenate([bounds, [n]]).astype(np.int64)
    runs = [(_partition_dir(int(buckets[a]), by), int(a), int(b)) for a, b in zip(starts, stops) if b > a]
    return table, runs


# ===================================================================
# Batches
# ===================================================================
def _text_estimate(path: LogObject, size: int) -> int:
    """Bytes of text a file holds: gzip's trailer says (single member), else a ratio."""
    if isinstance(path, LogObject) and path.is_s3:  # not opened before its batch downloads it
        return size * 10 if path.path.endswith((".gz", ".parquet")) else size
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == b"\x1f\x8b" and size >= 18:
                f.seek(-4, os.SEEK_END)
                isize = int.from_bytes(f.read(4), "little")
                return isize if isize >= size else size * 10
            if head == b"\x28\xb5\x2f\xfd" or head == b"PAR1":
                return size * 10
    except OSError:
        pass
    return size


def _batches(files: list[tuple[LogObject, InputKey]], budget_text: int) -> list[list[tuple[LogObject, InputKey]]]:
    out: list[list[tuple[LogObject, InputKey]]] = []
    cur: list[tuple[LogObject, InputKey]] = []
    cur_text = 0
    for path, key in files:
        t = _text_estimate(path, key.size)
        if cur and cur_text + t > budget_text:
            out.append(cur)
            cur, cur_text = [], 0
        cur.append((path, key))
        cur_text += t
    if cur:
        out.append(cur)
    return out


class _Lock:
    """An exclusive lock on a dataset directory: one writer at a time."""

    def __init__(self, root: str) -> None:
        os.makedirs(os.path.join(root, DIRNAME), exist_ok=True)
        self.fd = os.open(os.path.join(root, DIRNAME, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise RuntimeError(f"{root!r} is being written by another vpcflow process") from None

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _sweep_pending(root: str) -> None:
    """Remove hidden leftovers of a writer killed mid-file (under the lock nobody else writes)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != DIRNAME and not d.startswith(".")]
        for f in filenames:
            if f.startswith(".") and (".tmp-" in f or f.endswith(".pending")):
                try:
                    os.unlink(os.path.join(dirpath, f))
                except OSError:
                    pass


def _write_runs(table: Table, runs: list[tuple[str, int, int]], dest: str, write_opts: dict,
                threads: int) -> tuple[dict[str, str], dict[str, int], int]:
    """Write each partition's rows to a hidden pending file; (pending -> final, final -> rows, bytes)."""
    from .pqwrite import write_parquet

    pending: dict[str, str] = {}
    rows: dict[str, int] = {}
    nbytes = 0
    try:
        for rel_dir, a, b in runs:
            name = f"part-{uuid.uuid4().hex[:16]}.parquet"
            final = f"{rel_dir}/{name}" if rel_dir else name
            d = os.path.join(dest, rel_dir)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, f".{name}.pending")
            pending[path] = final
            rep = write_parquet(table.slice(a, b - a), path, threads=threads, **write_opts)
            rows[final] = b - a
            nbytes += rep.bytes
    except BaseException:
        for p in pending:
            try:
                os.unlink(p)
            except OSError:
                pass
        raise
    return pending, rows, nbytes


# ===================================================================
# convert
# ===================================================================
def convert(
    src: PathLike | Iterable[PathLike],
    dest: PathLike,
    *,
    partition_by: str | None = "day",
    compression: str = "zstd",
    compression_level: int | None = None,
    threads: int | None = None,
    memory_limit: int = DEFAULT_MEMORY,
    row_group_size: int = 1_000_000,
    fields: str | Sequence[str] | None = None,
    on_error: str = "raise",
    force: bool = False,
    progress: bool | None = None,
    compact_after: bool = True,
    include_accounts: Iterable[str | int] | str | int | None = None,
    include_regions: Iterable[str] | str | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    slack: float = 900,
    endpoint_url: str | None = None,
    **write_options: object,
) -> ConvertReport:
    """Convert raw flow logs into a Hive-partitioned Parquet dataset.

    Args:
        src: files or directories (walked recursively), anything
            :func:`vpcflow.read_logs` reads.
        dest: the dataset directory (created if missing).
        partition_by: ``"hour"``, ``"day"`` (default), ``"month"`` or None:
            ``year=YYYY/month=MM/day=DD[/hour=HH]`` from each record's start
            time (records without one go to ``__HIVE_DEFAULT_PARTITION__``).
        compression: ``"zstd"``, ``"snappy"``, ``"gzip"`` or ``"none"``.
        threads: worker threads (default: all cores).
        memory_limit: peak memory budget in bytes (default 1 GiB); inputs are
            read in batches sized to it, whatever the total input size.
        row_group_size: rows per row group (default 1,000,000).
        fields: fields of header-less input (see :func:`vpcflow.read_logs`).
        on_error: ``"raise"`` stops at the first bad line (nothing of that
            batch is committed); ``"skip"`` counts and reports bad lines.
        force: convert inputs even if the manifest says they were converted.
        progress: show a progress bar on stderr (default: when it is a terminal).
        compact_after: merge small files in the partitions this run wrote to.
        include_accounts, include_regions, start, end, slack: convert only the
            objects these select by key, without opening the others (see
            :func:`vpcflow.list_objects`).
        endpoint_url: the S3 endpoint for ``s3://`` sources.
        **write_options: passed to :func:`vpcflow.write_parquet`.

    Returns:
        A :class:`ConvertReport` (also printed by the CLI).

    Example:
        >>> import vpcflow, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> _ = vpcflow.synth.write_sample(os.path.join(d, "logs"), records=5000, seed=3)
        >>> r = vpcflow.convert(os.path.join(d, "logs"), os.path.join(d, "flows"), progress=False)
        >>> r.rows, r.skipped
        (5000, 0)
        >>> vpcflow.convert(os.path.join(d, "logs"), os.path.join(d, "flows"), progress=False).skipped > 0
        True
    """
    if partition_by not in PARTITIONINGS:
        raise ValueError(f"partition_by must be one of {PARTITIONINGS}, not {partition_by!r}")
    if not isinstance(memory_limit, int) or memory_limit < 16 << 20:
        raise ValueError(f"memory_limit must be at least 16 MiB, not {memory_limit!r}")
    t0 = time.perf_counter()
    dest = os.fspath(dest)
    files = list_objects(src, include_accounts=include_accounts, include_regions=include_regions, start=start,
                         end=end, slack=slack, endpoint_url=endpoint_url)
    os.makedirs(dest, exist_ok=True)
    report = ConvertReport(dest=dest)
    lock = _Lock(dest)
    try:
        manifest = Manifest.open(dest, partition_by)
        report.recovered = list(manifest.recovered)
        _sweep_pending(dest)
        if manifest.partition_by != partition_by:
            raise ValueError(f"{dest!r} is partitioned by {manifest.partition_by!r}; "
                             f"convert into it with partition_by={manifest.partition_by!r}")
        todo: list[tuple[LogObject, InputKey]] = []
        seen: set[str] = set()
        for f in files:
            if os.path.abspath(f).startswith(os.path.abspath(dest) + os.sep):
                continue  # never read the dataset itself
            key = f.input_key
            if key.name in seen:
                continue
            seen.add(key.name)
            if not force and manifest.is_ingested(key):
                report.skipped += 1
            else:
                todo.append((f, key))
        # a batch's table and its sorted copy must fit the budget: text is ~1.2x the table
        budget_text = max(memory_limit // 3, 8 << 20)
        batches = _batches(todo, budget_text)
        show = sys.stderr.isatty() if progress is None else progress
        bar = _Progress(sum(k.size for _, k in todo), bool(show) and bool(todo))
        write_opts = dict(write_options, compression=compression, row_group_size=row_group_size)
        if compression_level is not None:
            write_opts["compression_level"] = compression_level
        touched: set[str] = set()
        for batch in batches:
            _convert_batch(batch, dest, manifest, partition_by, fields, on_error, threads, write_opts, report,
                           touched)
            bar.update(sum(k.size for _, k in batch), report.rows)
        bar.close()
        report.partitions = len(touched)
        if compact_after and touched:
            _compact(dest, manifest, sorted(touched), write_opts, threads, CompactReport(dest))
        report.files = sum(1 for f in manifest.files if os.path.dirname(f) in touched)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - t0
    return report


def _convert_batch(batch: list[tuple[LogObject, InputKey]], dest: str, manifest: Manifest, partition_by: str | None,
                   fields, on_error: str, threads: int | None, write_opts: dict, report: ConvertReport,
                   touched: set[str]) -> None:
    table = read_logs([p for p, _ in batch], fields=fields, on_error=on_error, threads=threads)
    rep = parse_report(table)
    table = _widen(table, manifest.columns)
    nthreads = threads or os.cpu_count() or 1
    table, runs = _sorted_runs(table, partition_by, nthreads)
    pending, rows, nbytes = _write_runs(table, runs, dest, write_opts, nthreads)
    txn = manifest.begin("batch", pending)
    try:
        txn.commit({"inputs": [k.as_dict() for _, k in batch], "rows": int(table.num_rows),
                    "bad": int(rep.bad_lines), "columns": [[c.name, c.type] for c in table.columns]}, rows)
    except BaseException:
        txn.abort()
        raise
    report.inputs += len(batch)
    report.batches += 1
    report.rows += table.num_rows
    report.bad_records += rep.bad_lines
    report.bad.extend(rep.bad_records[: max(0, 1000 - len(report.bad))])
    report.bytes_in += rep.bytes_in
    report.bytes_text += rep.bytes_text
    report.bytes_out += nbytes
    touched.update(d for d, _, _ in runs)


# ===================================================================
# compact
# ===================================================================
def compact(dest: PathLike, *, target_rows: int = DEFAULT_FILE_ROWS, threads: int | None = None,
            compression: str = "zstd", **write_options: object) -> CompactReport:
    """Merge the small files of each partition of a converted dataset.

    Files with fewer than ``target_rows / 2`` rows are merged, in start-time
    order, into files of up to ``target_rows`` rows; the merge is a
    transaction against the manifest, like a conversion.

    Example:
        >>> import vpcflow, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> _ = vpcflow.synth.write_sample(os.path.join(d, "logs"), records=3000, seed=4)
        >>> _ = vpcflow.convert(os.path.join(d, "logs"), os.path.join(d, "flows"), progress=False, compact_after=False)
        >>> r = vpcflow.compact(os.path.join(d, "flows"))
        >>> r.files_after <= r.files_before
        True
    """
    t0 = time.perf_counter()
    dest = os.fspath(dest)
    rep = CompactReport(dest)
    lock = _Lock(dest)
    try:
        manifest = Manifest.open(dest, create=False)
        _sweep_pending(dest)
        dirs = sorted({os.path.dirname(f) for f in manifest.files})
        _compact(dest, manifest, dirs, dict(write_options, compression=compression), threads, rep, target_rows)
    finally:
        lock.release()
    rep.seconds = time.perf_counter() - t0
    return rep


def _compact(dest: str, manifest: Manifest, dirs: list[str], write_opts: dict, threads: int | None,
             rep: CompactReport, target_rows: int = DEFAULT_FILE_ROWS) -> None:
    from .pqread import read_parquet

    nthreads = threads or os.cpu_count() or 1
    for d in dirs:
        files = sorted(f for f in manifest.files if os.path.dirname(f) == d)
        rep.partitions += 1
        rep.files_before += len(files)
        small = [f for f in files if manifest.files[f] < target_rows // 2]
        groups: list[list[str]] = []
        cur: list[str] = []
        cur_rows = 0
        for f in small:
            if cur and cur_rows + manifest.files[f] > target_rows:
                groups.append(cur)
                cur, cur_rows = [], 0
            cur.append(f)
            cur_rows += manifest.files[f]
        if cur:
            groups.append(cur)
        groups = [g for g in groups if len(g) > 1]
        merged = sum(len(g) for g in groups)
        rep.files_after += len(files) - merged + len(groups)
        for g in groups:
            table = read_parquet([os.path.join(dest, f) for f in g], threads=nthreads, partitioning=False)
            table, runs = _sorted_runs(table, None, nthreads)
            runs = [(d, a, b) for _, a, b in runs]
            pending, rows, _ = _write_runs(table, runs, dest, write_opts, nthreads)
            txn = manifest.begin("compact", pending, removed=g)
            try:
                txn.commit({"rows": int(table.num_rows)}, rows)
            except BaseException:
                txn.abort()
                raise
            rep.rows += table.num_rows
