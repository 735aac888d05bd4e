"""Parquet datasets: many files, Hive partitions, and scans that read only what a query needs.

:func:`dataset` opens a directory of Parquet files (a ``vpcflow convert``
output, AWS's own Parquet delivery, anything pyarrow, DuckDB or Spark wrote)
as a :class:`Dataset`, which takes the same query methods as a Table's lazy
query.  A scan pushes the query's columns and leading filters down:

1. partitions: ``key=value`` directories (``year=2024/month=06``) are
   constants of their files; in a vpcflow dataset the partition of a file
   also bounds its ``start`` times, so a time filter skips whole files
   without opening them;
2. row groups: min/max/null counts of the filter's columns, and bloom
   filters for equality and ``isin`` (the address columns of vpcflow files
   have them);
3. pages: the page index of each single-column part of the filter gives
   the row ranges that can match; only those pages are read.

Only the needed columns' bytes of the surviving row groups and pages are
read, in one parallel call (:func:`vpcflow.pqread.read_plan`); the filter then
runs exactly on those rows.  :meth:`Dataset.explain` and the ``report`` of a
result say what was skipped, in files, row groups, pages and bytes: the
figure Athena bills by.

Example:
    >>> import vpcflow as vf, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = vf.synth.write_sample(os.path.join(d, "logs"), records=4000, seed=2)
    >>> _ = vf.convert(os.path.join(d, "logs"), os.path.join(d, "flows"), progress=False)
    >>> ds = vf.dataset(os.path.join(d, "flows"))
    >>> ds.filter(vf.col("action") == "REJECT").agg(vf.count()).collect()["count"].tolist()[0] > 0
    True
"""
from __future__ import annotations

import calendar
import html
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from . import expr as E
from .errors import QueryError
from .manifest import DIRNAME, Manifest
from .memory import machine_memory
from .pqread import (DEFAULT_ADDRESS_COLUMNS, ParquetFile, _hive, _open, _read_report, find_parquet_files,
                     read_plan, read_plan_selected)
from .prune import ColumnStats, RowRanges, StatsFn, conjuncts, int_bound_test, may_match, outcomes
from .table import Column, Table

__all__ = ["dataset", "Dataset", "ScanReport", "is_parquet"]

PathLike = Any
_PARTITION_KEYS = ("year", "month", "day", "hour")


def _default_query_memory() -> int:
    """A quarter of the machine's memory, at least 1 GiB (DuckDB's default limit is 80% of it)."""
    return max(1 << 30, machine_memory() // 4)


#: a query's scan budget unless the dataset or the query says otherwise
DEFAULT_QUERY_MEMORY = _default_query_memory()

#: bytes per row and column in memory while a query runs on it: the values (dictionary codes are
#: 4 bytes), a validity byte, and as much again for selections, gathers and computed columns
_WIDTH = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "float32": 4,
          "int64": 8, "uint64": 8, "float64": 8}


def check_memory_limit(memory_limit: Any) -> int:
    """``memory_limit`` if it is a positive number of bytes, else a ValueError saying so."""
    if isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit <= 0:
        raise ValueError(f"memory_limit must be a positive number of bytes, not {memory_limit!r}")
    return memory_limit


# ===================================================================
# Reports
# ===================================================================
@dataclass
class ScanReport:
    """What a dataset scan read and what pruning skipped.

    Attributes:
        files, files_skipped: files scanned, and files skipped by their
            partition values (never opened).
        row_groups, row_groups_skipped: row groups of the scanned files, and
            those skipped by statistics (``row_groups_bloom_skipped`` of
            them by bloom filters).
        pages, pages_skipped: data pages of the kept row groups that the page
            index could judge, and those skipped.
        bytes_total: bytes on disk of the dataset's files.
        bytes_read: bytes the scan touched (after the read).
        rows_read: rows returned by the scan, before the exact filter.
        filtered: whether those rows are exactly the ones the filter keeps
            (a superset otherwise, for the exact filter to cut).
        columns: the columns read.
        filter: the filter pushed down, or None.
        seconds: wall time of planning and reading.
        batches, batch_rows: how many batches of whole row groups the scan
            ran in, and the rows of the largest (1 and 0: one scan; see
            ``memory_limit`` of :func:`dataset`).
    """

    files: int = 0
    files_skipped: int = 0
    row_groups: int = 0
    row_groups_skipped: int = 0
    row_groups_bloom_skipped: int = 0
    pages: int = 0
    pages_skipped: int = 0
    bytes_total: int = 0
    bytes_planned: int = 0
    bytes_read: int = 0
    rows_read: int = 0
    columns: list[str] | None = None
    filter: str | None = None
    seconds: float = 0.0
    filtered: bool = False
    batches: int = 1
    batch_rows: int = 0

    def add_batches(self, parts: "Sequence[ScanReport]") -> None:
        """Count what the batches of a batched scan read (their planning is this report's already)."""
        self.bytes_read = sum(p.bytes_read for p in parts)
        self.rows_read = sum(p.rows_read for p in parts)
        self.seconds += sum(p.seconds for p in parts)
        pages = sum(p.pages for p in parts)
        if pages > self.pages:  # the reader's count covers every column read, as in one scan
            self.pages = pages
            self.pages_skipped = sum(p.pages_skipped for p in parts)
        self.filtered = all(p.filtered for p in parts)

    def describe_lines(self) -> list[str]:
        cols = "all" if self.columns is None else ", ".join(self.columns)
        lines = [
            f"Scan parquet: {self.files + self.files_skipped:,} files, columns: {cols}",
            f"  pushed filter: {self.filter or '-'}",
            f"  files: {self.files:,} read, {self.files_skipped:,} skipped by partition",
            f"  row groups: {self.row_groups - self.row_groups_skipped:,} of {self.row_groups:,} read "
            f"({self.row_groups_skipped - self.row_groups_bloom_skipped:,} skipped by statistics, "
            f"{self.row_groups_bloom_skipped:,} by bloom filters)",
            f"  pages: {self.pages - self.pages_skipped:,} of {self.pages:,} indexed pages read",
        ]
        b = self.bytes_read or self.bytes_planned
        pct = f" ({100 * b / self.bytes_total:.1f}%)" if self.bytes_total else ""
        word = "read" if self.bytes_read else "to read (column chunks of kept row groups)"
        lines.append(f"  bytes: {b:,} {word} of {self.bytes_total:,} on disk{pct}")
        if self.batches > 1:
            lines.append(f"  batches: {self.batches:,} of whole row groups (the memory limit), the largest "
                         f"{self.batch_rows:,} rows")
        return lines

    def summary(self) -> str:
        return "; ".join(x.strip() for x in self.describe_lines())

    def __str__(self) -> str:
        return "\n".join(self.describe_lines())


# ===================================================================
# Files
# ===================================================================
@dataclass
class _File:
    path: str
    partitions: dict[str, str | None]
    size: int
    handle: ParquetFile | None = None
    time_bounds: tuple[int, int] | None = None  # start-time range implied by a vpcflow partition

    def open(self) -> ParquetFile:
        if self.handle is None:
            f = _open(self.path)
            if f is None:
                raise QueryError(f"{self.path}: a gzip file that does not hold Parquet")
            self.handle = f
        return self.handle


def is_parquet(path: str) -> bool:
    """Whether a file holds Parquet: the PAR1 magic, or a gzip stream that starts with it."""
    import zlib

    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head == b"PAR1":
                return True
            if head[:2] != b"\x1f\x8b":
                return False
            f.seek(0)
            return zlib.decompressobj(31).decompress(f.read(1 << 16), 4)[:4] == b"PAR1"
    except (OSError, zlib.error):
        return False


def _partition_time_bounds(parts: dict[str, str | None], by: str | None) -> tuple[int, int] | None:
    """[first, last] start second of a year=/month=/day=/hour= partition."""
    try:
        y = int(parts["year"] or "")
        mo = int(parts.get("month") or 1) if by in ("month", "day", "hour") else 1
        d = int(parts.get("day") or 1) if by in ("day", "hour") else 1
        h = int(parts.get("hour") or 0) if by == "hour" else 0
    except (KeyError, ValueError):
        return None
    lo = calendar.timegm((y, mo, d, h, 0, 0))
    if by == "hour":
        hi = lo + 3600
    elif by == "day":
        hi = lo + 86400
    elif by == "month":
        hi = calendar.timegm((y + (mo == 12), mo % 12 + 1, 1, 0, 0, 0))
    else:
        return None
    return lo, hi - 1


# ===================================================================
# The dataset
# ===================================================================
def dataset(source: PathLike | Iterable[PathLike], *, partitioning: bool = True,
            addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
            memory_limit: int = DEFAULT_QUERY_MEMORY) -> "Dataset":
    """Open Parquet files or directories as a queryable :class:`Dataset`.

    Args:
        source: a directory (walked recursively; hidden and ``_``-prefixed
            names skipped), a file, or a list.  A directory written by
            :func:`vpcflow.convert` is read through its manifest: only
            committed files, never a file an interrupted run left behind.
        partitioning: ``key=value`` directories become columns.
        addresses: string columns read as addresses (default: the flow-log
            address columns).
        memory_limit: the memory budget of a query's scan, in bytes (default
            a quarter of the machine's memory, at least 1 GiB).  A query
            whose columns would need more is run in batches of whole row
            groups, aggregated batch by batch and combined
            (:mod:`vpcflow.partial`); ``Query.collect(memory_limit=)``
            overrides it for one query.
    """
    return Dataset(source, partitioning=partitioning, addresses=addresses, memory_limit=memory_limit)


class Dataset:
    """A set of Parquet files queried as one table (see the module docstring).

    Query methods (``filter``, ``select``, ``with_columns``, ``group_by``,
    ``agg``, ``sort``, ``limit``, ``top``, ``sample``) start a lazy
    :class:`~vpcflow.query.Query`; :meth:`query` runs a pipe-string query;
    :meth:`to_table` reads it all.
    """

    def __init__(self, source: PathLike | Iterable[PathLike], *, partitioning: bool = True,
                 addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
                 memory_limit: int = DEFAULT_QUERY_MEMORY) -> None:
        self.memory_limit = check_memory_limit(memory_limit)
        self._addresses = tuple(addresses) if addresses is not None else None
        self._partition_by: str | None = None
        self._declared: list[tuple[str, str]] | None = None
        self._files = self._discover(source, partitioning)
        self._schema: list[tuple[str, str]] | None = None
        self._types: dict[str, str] | None = None

    def _discover(self, source: Any, partitioning: bool) -> list[_File]:
        roots = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        out: list[_File] = []
        for r in roots:
            r = os.fspath(r)
            if os.path.isdir(r) and os.path.exists(os.path.join(r, DIRNAME, "manifest.jsonl")):
                state = _committed_state(r)
                self._partition_by = state.partition_by
                self._declared = list(state.columns) or None
                for rel in state.files:
                    path = os.path.join(r, rel)
                    _await_roll_forward(path)
                    parts = _hive(path, r) if partitioning else {}
                    f = _File(path, parts, os.path.getsize(path))
                    f.time_bounds = _partition_time_bounds(parts, state.partition_by)
                    out.append(f)
                continue
            for path, root in find_parquet_files(r):
                if is_parquet(path):
                    out.append(_File(path, _hive(path, root) if partitioning else {}, os.path.getsize(path)))
        return out

    # -- shape -----------------------------------------------------------
    @property
    def files(self) -> list[str]:
        """The Parquet files of the dataset."""
        return [f.path for f in self._files]

    @property
    def schema(self) -> dict[str, str]:
        """Column names and vpcflow types (file columns, then partition keys)."""
        if self._schema is None:
            cols: dict[str, str] = {}
            if self._declared:
                cols.update(self._declared)
            else:
                for f in self._files:
                    for c in f.open().schema:
                        if c.type and c.name not in cols:
                            addr = self._addresses and c.name in self._addresses and c.type == "string"
                            cols[c.name] = "address" if addr else c.type
            for f in self._files:
                for k, v in f.partitions.items():
                    if k not in cols:
                        cols[k] = "int32" if v is None or v.lstrip("+-").isdigit() else "string"
            self._schema = list(cols.items())
        return dict(self._schema)

    @property
    def column_names(self) -> list[str]:
        return list(self.schema)

    @property
    def num_rows(self) -> int:
        """Rows in all files (from their footers)."""
        return sum(f.open().num_rows for f in self._files)

    def __repr__(self) -> str:
        return f"vpcflow.Dataset({len(self._files):,} files, {len(self.schema)} columns)"

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{e(n)}</td><td>{e(t)}</td></tr>" for n, t in self.schema.items())
        return (f'<table class="vpcflow-dataset"><caption>vpcflow.Dataset: {len(self._files):,} files</caption>'
                f"<thead><tr><th>column</th><th>type</th></tr></thead><tbody>{rows}</tbody></table>")

    # -- queries -----------------------------------------------------------
    def lazy(self):
        """A lazy query over the dataset."""
        from .query import Query

        return Query(self)

    def filter(self, *conditions: E.Expr):
        return self.lazy().filter(*conditions)

    where = filter

    def select(self, *columns: Any):
        return self.lazy().select(*columns)

    def with_columns(self, *exprs: Any, **named: Any):
        return self.lazy().with_columns(*exprs, **named)

    def group_by(self, *keys: Any):
        return self.lazy().group_by(*keys)

    def agg(self, *aggs: E.Agg):
        return self.lazy().agg(*aggs)

    def sort(self, by: Any, descending: Any = False):
        return self.lazy().sort(by, descending)

    def limit(self, n: int):
        return self.lazy().limit(n)

    def top(self, n: int, by: Any, descending: bool = True):
        return self.lazy().top(n, by, descending)

    def sample(self, fraction: float, seed: int | None = None):
        return self.lazy().sample(fraction, seed)

    def query(self, text: str, threads: int | None = None) -> Table:
        """Run a pipe-string query (CloudWatch Logs Insights style, :mod:`vpcflow.pipe`)."""
        from .pipe import apply

        return apply(self.lazy(), text).collect(threads)

    def explain(self, filter: E.Expr | None = None) -> str:
        """What a scan with ``filter`` would read and skip."""
        return "\n".join(self._plan(None, [filter] if filter is not None else []).describe_lines())

    def to_table(self, columns: Sequence[str] | None = None, filter: E.Expr | None = None,
                 threads: int | None = None) -> Table:
        """Read the dataset (the given columns, the rows matching ``filter``) into a Table."""
        q = self.lazy()
        if filter is not None:
            q = q.filter(filter)
        if columns is not None:
            q = q.select(*columns)
        return q.collect(threads)

    collect = to_table

    # -- planning ------------------------------------------------------------------
    def _column_type(self, name: str) -> str | None:
        if self._types is None:
            self._types = self.schema
        return self._types.get(name)

    def _plan(self, columns: list[str] | None, filters: list[E.Expr]) -> "_Plan":
        t0 = time.perf_counter()
        cond = None
        for e in filters:
            cond = e if cond is None else (cond & e)
        rep = ScanReport(columns=columns, filter=None if cond is None else repr(cond))
        rep.bytes_total = sum(f.size for f in self._files)
        plan = _Plan(rep)
        names = set(self.schema)
        for f in self._files:
            if cond is not None and not may_match(cond, self._file_stats(f), column_type=self._column_type):
                rep.files_skipped += 1
                continue
            pf = f.open()
            rep.files += 1
            plan.files.append(pf)
            plan.partitions.append(f.partitions)
            if cond is None:
                plan.row_plans.append(None)
                md = pf.metadata
                rep.row_groups += md.num_row_groups
                rep.bytes_planned += int(self._chunk_bytes(pf, columns).sum())
                continue
            plan.row_plans.append(self._plan_file(pf, f, cond, names, columns, rep))
        rep.seconds = time.perf_counter() - t0
        return plan

    def _file_stats(self, f: _File):
        """Statistics callback for a whole file, from its partition values alone."""
        n = None

        def stats(name: str) -> ColumnStats | None:
            if name in f.partitions:
                v = f.partitions[name]
                if v is None:
                    return ColumnStats(None, None, n, n)
                val: Any = int(v) if v.lstrip("+-").isdigit() else v
                return ColumnStats(val, val, 0, n)
            if name == "start" and f.time_bounds is not None:
                return ColumnStats(f.time_bounds[0], f.time_bounds[1], None, None)
            return None
        return stats

    def _plan_file(self, pf: ParquetFile, f: _File, cond: E.Expr, names: set[str], columns: list[str] | None,
                   rep: ScanReport) -> list:
        file_stats = self._file_stats(f)
        out = []
        md = pf.metadata
        file_cols = {c.name for c in md.schema}
        rg_rows = md.row_group_rows
        chunk_bytes = self._chunk_bytes(pf, columns)
        for i in range(md.num_row_groups):
            rep.row_groups += 1
            nrows = rg_rows[i]

            def stats(name: str, i=i, nrows=nrows) -> ColumnStats | None:
                if name in f.partitions or (name == "start" and name not in file_cols):
                    return file_stats(name)
                if name not in file_cols:
                    return ColumnStats(None, None, nrows, nrows) if name in names else None  # all null here
                st = pf.column_statistics(name)[i]
                if st is None:
                    return None
                return ColumnStats(st[0], st[1], st[2], nrows)

            def bloom(name: str, values: list, i=i) -> bool:
                if name not in file_cols:
                    return True
                return pf.bloom_may_contain(i, name, [_bloom_value(self._column_type(name), v) for v in values])

            if not may_match(cond, stats, column_type=self._column_type):
                rep.row_groups_skipped += 1
                continue
            if not may_match(cond, stats, bloom, column_type=self._column_type):
                rep.row_groups_skipped += 1
                rep.row_groups_bloom_skipped += 1
                continue
            ranges = self._page_ranges(pf, i, nrows, cond, file_cols, rep)
            rep.bytes_planned += int(chunk_bytes[i])
            out.append((i, None if ranges is None else ranges.ranges))
        return out

    def _page_ranges(self, pf: ParquetFile, rg: int, nrows: int, cond: E.Expr, file_cols: set[str],
                     rep: ScanReport) -> RowRanges | None:
        """Row ranges of row group rg that the page index cannot rule out (None: all of it)."""
        result: RowRanges | None = None
        for part in conjuncts(cond):
            cols = part.columns()
            if len(cols) != 1:
                continue
            (name,) = cols
            if name not in file_cols:
                continue
            pages = pf.page_index(rg, name)
            if not pages:
                continue
            starts = [p.first_row_index for p in pages if p.first_row_index is not None]
            if len(starts) != len(pages):  # a page without its first row: no ranges from this index
                continue
            keep: list[tuple[int, int]] = []
            fast = int_bound_test(part)
            # pages of a low-cardinality column mostly share their bounds (every page of `action`
            # holds ACCEPT..REJECT): judge each distinct shape of statistics once
            judged: dict[tuple, bool] = {}
            for j, p in enumerate(pages):
                first = starts[j]
                stop = starts[j + 1] if j + 1 < len(pages) else nrows
                if fast is not None and type(p.min) is int and type(p.max) is int and not p.null_page:
                    if fast(p.min, p.max):
                        keep.append((first, stop))
                    continue
                n = stop - first
                nulls = p.null_count if p.null_count is not None else (n if p.null_page else None)
                lo, hi = (None, None) if p.null_page else (p.min, p.max)
                # outcomes (prune.py) see the counts only as "unknown", "any null" and "all null"
                key = (type(lo), lo, type(hi), hi, None if nulls is None else (nulls > 0, nulls >= n))
                may = judged.get(key)
                if may is None:
                    may = judged[key] = "T" in outcomes(part, _only(name, ColumnStats(lo, hi, nulls, n)),
                                                        column_type=self._column_type)
                if may:
                    keep.append((first, stop))
            rep.pages += len(pages)
            rr = RowRanges(keep)
            kept_pages = sum(1 for first in starts if any(a <= first < b for a, b in rr.ranges))
            rep.pages_skipped += len(pages) - kept_pages
            result = rr if result is None else (result & rr)
        if result is not None and result.ranges == [(0, nrows)]:
            return None
        return result

    @staticmethod
    def _chunk_bytes(pf: ParquetFile, columns: list[str] | None) -> "np.ndarray":
        """Compressed bytes of the wanted columns, per row group."""
        sizes = pf.chunk_sizes()
        if columns is not None:
            want = set(columns)
            sizes = sizes[:, [j for j, c in enumerate(pf.schema) if c.name in want]]
        return sizes.sum(axis=1)

    def _batches(self, plan: "_Plan", columns: list[str] | None, memory_limit: int | None = None) -> list["_Plan"]:
        """The plan cut into batches of whole row groups whose columns fit ``memory_limit`` (default
        the dataset's; the plan itself when all of it fits); the report counts them."""
        memory_limit = self.memory_limit if memory_limit is None else check_memory_limit(memory_limit)
        types = self.schema
        names = list(types) if columns is None else [c for c in columns if c in types]
        row_bytes = 2 * sum(_WIDTH.get(types[c], 4) + 1 for c in names) or 1
        per_batch = max(memory_limit // row_bytes, 1)
        units: list[tuple[int, tuple, int]] = []   # (file index, row-plan entry, rows)
        for k, (pf, rp) in enumerate(zip(plan.files, plan.row_plans)):
            rows = pf.metadata.row_group_rows
            entries = [(i, None) for i in range(len(rows))] if rp is None else rp
            for i, ranges in entries:
                n = rows[i] if ranges is None else sum(b - a for a, b in ranges)
                units.append((k, (i, ranges), n))
        if sum(n for _, _, n in units) <= per_batch:
            return [plan]
        groups: list[list[tuple[int, tuple, int]]] = [[]]
        sizes = [0]
        for u in units:
            if groups[-1] and sizes[-1] + u[2] > per_batch:
                groups.append([])
                sizes.append(0)
            groups[-1].append(u)
            sizes[-1] += u[2]
        plan.report.batches = len(groups)
        plan.report.batch_rows = max(sizes)
        return [self._sub_plan(plan, g) for g in groups]

    @staticmethod
    def _sub_plan(plan: "_Plan", units: list[tuple[int, tuple, int]]) -> "_Plan":
        sub = _Plan(ScanReport(columns=plan.report.columns, filter=plan.report.filter))
        for k, entry, _ in units:
            if not sub.files or sub.files[-1] is not plan.files[k]:
                sub.files.append(plan.files[k])
                sub.partitions.append(plan.partitions[k])
                sub.row_plans.append([])
            sub.row_plans[-1].append(entry)
        return sub

    def _scan_selected(self, columns: list[str] | None, filters: list[E.Expr],
                       threads: int, plan: "_Plan | None" = None) -> tuple[Table, bool, "np.ndarray | None"]:
        """The scan, whether the filters' rows are known exactly, and if so where they are.

        Returns (table, exact, sel): when exact, the filters keep the rows of ``table`` at ``sel``
        (every row when sel is None); otherwise ``table`` is a superset for the exact filter to cut.
        ``plan`` (from :meth:`_plan`, or one batch of :meth:`_batches`) saves planning again.
        """
        t0 = time.perf_counter()
        if plan is None:
            plan = self._plan(columns, filters)
        exact, where = False, None
        cols = None if columns is None else [c for c in columns if c in self.schema]
        if plan.files:
            parts = plan.partitions if any(plan.partitions) else None
            # only columns some file of the plan has (or a partition gives): the others are null in
            # all of its rows, added by _conform; with none of them, one column still counts the rows
            present = {c.name for pf in plan.files for c in pf.schema} | {k for p in plan.partitions for k in p}
            want = [c for c in (cols if cols is not None else list(self.schema)) if c in present]
            if not want:
                want = [plan.files[0].schema[0].name]
            cond = None
            for f in filters:
                cond = f if cond is None else (cond & f)
            ccols = set() if cond is None else cond.columns()
            fcols = [c for c in want if c in ccols]
            if fcols and len(fcols) == len(ccols) and len(want) > len(fcols):
                # late materialisation: the filter's columns first, the others for the matching rows only
                assert cond is not None  # (fcols are columns of it)
                from . import _exec
                from .compile import Compiler
                picked: list[np.ndarray] = []

                def select(t: Table):
                    comp = Compiler(_conform(t, self, fcols))
                    prog = comp.condition(cond)
                    sel = _exec.filter(comp.kernel_table(), prog, None, threads)
                    picked.append(sel)
                    return sel

                table = read_plan_selected(plan.files, plan.row_plans, columns=want, filter_columns=fcols,
                                           select=select, threads=threads, addresses=self._addresses,
                                           partitions=parts, cut=False)
                # cut to the picked rows (late materialisation read the others for those rows), or
                # every row read with the picked ones at picked[0]; either way it is exact
                exact = True
                plan.report.filtered = table.num_rows == len(picked[0])
                where = None if plan.report.filtered else picked[0]
            else:
                table = read_plan(plan.files, plan.row_plans, columns=None if cols is None else want, threads=threads,
                                  addresses=self._addresses, partitions=parts)
            rr = _read_report(table)
            plan.report.bytes_read = rr.bytes_read
            if rr.pages_read + rr.pages_skipped > plan.report.pages:
                # the reader's count covers every column read, not just the filter's
                plan.report.pages = rr.pages_read + rr.pages_skipped
                plan.report.pages_skipped = rr.pages_skipped
        else:
            table = _empty_table(self, cols)
            exact = True  # no rows
        plan.report.rows_read = table.num_rows
        plan.report.seconds = time.perf_counter() - t0
        table = _conform(table, self, cols)
        table.report = plan.report
        return table, exact, where


@dataclass
class _Plan:
    report: ScanReport
    files: list[ParquetFile] = field(default_factory=list)
    row_plans: list = field(default_factory=list)
    partitions: list = field(default_factory=list)

    def describe_lines(self) -> list[str]:
        return self.report.describe_lines()


def _only(name: str, stats: ColumnStats) -> StatsFn:
    """A statistics callback knowing ``stats`` of column ``name`` and nothing of the others."""
    return lambda c: stats if c == name else None


def _bloom_value(typ: str | None, v: Any) -> Any:
    """A literal as the file stores it: addresses as their canonical text."""
    if typ == "address" and isinstance(v, str):
        from .compile import canonical_address

        return canonical_address(v) or v
    return v


@dataclass(frozen=True)
class _State:
    """What a scan needs of a manifest: its committed files (sorted) and declared schema."""

    partition_by: str | None
    columns: tuple[tuple[str, str], ...]
    files: tuple[str, ...]


# Parsed manifests by dataset root, with the (device, inode, size, mtime) of manifest.jsonl they were
# parsed from.  The manifest only grows by appends, so an unchanged signature means unchanged
# content; a pending transaction (a writer at work, or one that crashed) bypasses the cache, so that
# recovery and the writer's lock are honoured exactly as without it.
_STATE_CACHE: dict[str, tuple[tuple[int, int, int, int], _State]] = {}
_STATE_CACHE_MAX = 32


def _quiet_signature(mdir: str) -> tuple[int, int, int, int] | None:
    """The (device, inode, size, mtime) of ``mdir``'s manifest.jsonl, or None while a transaction
    is pending there (a writer at work, or one that crashed) or the manifest cannot be read."""
    try:
        if any(f.startswith("pending-") for f in os.listdir(mdir)):
            return None
        st = os.stat(os.path.join(mdir, "manifest.jsonl"))
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _committed_state(root: str) -> _State:
    """The committed state of ``root``'s manifest; parsed once while the manifest is unchanged
    (a notebook re-running queries on a large dataset does not re-read every batch's record)."""
    key = os.path.abspath(root)
    mdir = os.path.join(root, DIRNAME)
    sig = _quiet_signature(mdir)
    hit = _STATE_CACHE.get(key)
    if sig is not None and hit is not None and hit[0] == sig:
        return hit[1]
    m = _open_manifest(root)
    state = _State(m.partition_by, tuple(m.columns), tuple(sorted(m.files)))
    # cached only when nothing appended while it was parsed (recovery or a writer): the state is
    # then exactly that of the signature
    if sig is not None and _quiet_signature(mdir) == sig:
        if len(_STATE_CACHE) >= _STATE_CACHE_MAX:
            _STATE_CACHE.pop(next(iter(_STATE_CACHE)))
        _STATE_CACHE[key] = (sig, state)
    return state


def _open_manifest(root: str) -> Manifest:
    """The manifest, recovered first when no writer holds the dataset's lock; while one does (a
    ``vpcflow ingest --watch`` mid-pass), its committed state, untouched: recovering then would undo
    the writer's batch in flight."""
    if not os.access(root, os.W_OK):
        return _read_only_manifest(root)
    from .convert import _Lock

    try:
        lock = _Lock(root)
    except (RuntimeError, OSError):
        return _read_only_manifest(root)
    try:
        return Manifest.open(root, create=False)
    finally:
        lock.release()


def _await_roll_forward(path: str, timeout: float = 10.0) -> None:
    """A committed file a writer has yet to rename into place appears at once (the rename follows the
    commit); wait for it rather than fail, up to ``timeout`` seconds."""
    if os.path.exists(path):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.01)
        if os.path.exists(path):
            return


def _read_only_manifest(root: str) -> Manifest:
    """The manifest of a dataset we may not write to: committed state only, no recovery."""
    m = Manifest(root)
    m._load()
    return m


def _empty_table(ds: Dataset, cols: list[str] | None) -> Table:
    return Table([Column.nulls(n, t, 0) for n, t in ds.schema.items() if cols is None or n in cols])


def _conform(table: Table, ds: Dataset, cols: list[str] | None) -> Table:
    """Every column of the dataset's schema present (all null if no file read had it), in schema order."""
    want = [n for n in ds.schema if cols is None or n in cols]
    if table.column_names == want:
        return table
    have = {c.name: c for c in table.columns}
    out = [have.get(n) or Column.nulls(n, ds.schema[n], table.num_rows) for n in want]
    return Table(out, table.report)
