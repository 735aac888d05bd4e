"""Reading Parquet: :class:`ParquetFile` and :func:`read_parquet`.

vpcflow reads Parquet with its own C reader (no Arrow underneath): every
physical type, the logical types of flat schemas, every encoding (PLAIN,
dictionary, RLE, BIT_PACKED, the DELTA encodings, BYTE_STREAM_SPLIT), data
pages v1 and v2, and the codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW,
LZ4 and BROTLI.  Files written by pyarrow, DuckDB, Spark, parquet-mr and
AWS's own flow-log delivery read the same as pyarrow reads them.

What a read gives (a :class:`~vpcflow.Table`):

* Integers, floats and bools as NumPy arrays with a validity mask;
  ``INT(8/16/32/64, signed or not)`` as ``int8`` ... ``uint64``.
* Strings and binary values dictionary-encoded, one dictionary per column
  shared by all row groups and files: a string column is never expanded to
  one Python object per row.  String columns named in ``addresses`` (by
  default ``srcaddr``, ``dstaddr``, ``pkt_srcaddr``, ``pkt_dstaddr``) whose
  every value is an IP address become ``address`` columns, as
  :func:`~vpcflow.read_logs` gives them; one value that is not an address
  keeps the column a string column.
* Timestamps, dates, times, decimals keep their stored values, with
  :attr:`Column.logical <vpcflow.Column.logical>` saying what they mean:
  ``"timestamp[ms, UTC]"``, ``"date32"``, ``"decimal(9,2)"``...  INT96
  timestamps become int64 nanoseconds (``"timestamp[ns]"``), FLOAT16 values
  float32 (``"float16"``).
* The leaves of structs read as flat columns named by their dotted path
  (``"a.b"``); lists and maps are not read: asking for one is a
  :class:`~vpcflow.ParquetError` naming it, and the file's other columns
  still read.  Encrypted files are refused with a ParquetError.

Reading less: ``columns=`` touches only those columns' bytes;
``row_groups=`` and ``row_ranges=`` select row groups and rows inside them,
and with an OffsetIndex only the pages that hold wanted rows are read.
``table.report`` (a :class:`ParquetReadReport`) says what was read.

For planning (filter pushdown): :attr:`ParquetFile.metadata`,
:meth:`ParquetFile.row_group` (statistics decoded to Python values, with
the unusable ones dropped), :meth:`ParquetFile.page_index` and
:meth:`ParquetFile.bloom_may_contain`; :func:`read_plan` reads per-file lists
of row groups and row ranges in one parallel call.

Example:
    >>> import vpcflow, tempfile, os
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> d = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"srcaddr": ["10.0.0.1", "10.0.0.2", None], "bytes": [40, 80, 120]}),
    ...                os.path.join(d, "flows.parquet"), row_group_size=2)
    >>> t = vpcflow.read_parquet(d)
    >>> t.schema["srcaddr"], t["srcaddr"].tolist(), int(t["bytes"].sum())
    ('address', ['10.0.0.1', '10.0.0.2', None], 240)
    >>> t.report.row_groups_read, t.report.files
    (2, 1)
"""
from __future__ import annotations

import os
import re
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, Union
from urllib.parse import unquote

import numpy as np

from . import _core as _core
from .reader import _threads
from .table import Column, Table

__all__ = [
    "ParquetFile",
    "ParquetReadReport",
    "FileMetadata",
    "ColumnInfo",
    "RowGroupInfo",
    "ColumnChunkInfo",
    "Statistics",
    "PageInfo",
    "read_parquet",
    "read_plan",
    "find_parquet_files",
    "DEFAULT_ADDRESS_COLUMNS",
]

PathLike = Union[str, "os.PathLike[str]"]
#: Row ranges of one row group: ``(start, stop)`` pairs, rows relative to the row group.
Ranges = Sequence[tuple[int, int]]
#: What :func:`read_plan` reads of one file: None for everything, or ``(row group, ranges or None)`` pairs.
FilePlan = Union[None, Sequence[tuple[int, Union[Ranges, None]]]]

#: The string columns read as addresses unless ``addresses=`` says otherwise.
DEFAULT_ADDRESS_COLUMNS: tuple[str, ...] = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")

_MAGIC = b"PAR1"
_GZIP = b"\x1f\x8b"


# ---------------------------------------------------------------------------
# metadata
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnInfo:
    """A leaf column of a file's schema.

    Attributes:
        name: the dotted path (``"srcaddr"``, ``"a.b"`` for a struct field).
        physical: the Parquet physical type (``"INT32"``, ``"BYTE_ARRAY"``...).
        annotation: the logical or converted type as written (``"STRING"``,
            ``"TIMESTAMP(MICROS,UTC)"``, ``"INTEGER(8,signed)"``...), or None.
        logical: the vpcflow logical string of the values read, or None.
        type: the vpcflow column type it reads as (before the address
            conversion), or None when it cannot be read.
        nullable: whether it can hold nulls.
        unreadable: why it cannot be read (a list or map), or None.
        type_length: the byte width of a FIXED_LEN_BYTE_ARRAY (else 0).
        max_definition_level, max_repetition_level: from the schema tree.
        field_id: the schema's field id, or None.
    """

    name: str
    physical: str
    annotation: str | None
    logical: str | None
    type: str | None
    nullable: bool
    unreadable: str | None
    type_length: int
    max_definition_level: int
    max_repetition_level: int
    field_id: int | None


@dataclass(frozen=True)
class FileMetadata:
    """What a file's footer says.

    Attributes:
        num_rows, num_row_groups: counts.
        created_by: the writer (``"parquet-cpp-arrow version 26.0.0"``...), or None.
        key_value_metadata: the footer's key/value pairs (a value may be None).
        schema: one :class:`ColumnInfo` per leaf column.
        version: the format version the writer declared.
        size: the file's size in bytes.
        row_group_rows: the rows of each row group.
    """

    num_rows: int
    num_row_groups: int
    created_by: str | None
    key_value_metadata: dict[str, str | None]
    schema: list[ColumnInfo]
    version: int
    size: int
    row_group_rows: list[int]

    def column(self, name: str) -> ColumnInfo:
        """The :class:`ColumnInfo` named ``name``."""
        for c in self.schema:
            if c.name == name:
                return c
        raise KeyError(f"no column {name!r}; columns are: {', '.join(c.name for c in self.schema)}")


@dataclass(frozen=True)
class Statistics:
    """A column chunk's statistics as Python values.

    ``min``/``max`` are in the representation of the column's values in a
    Table (ints for integers, timestamps and dates; floats; str or bytes),
    except decimals, which are :class:`decimal.Decimal`.  They are None when
    the file has none, or when they cannot be trusted: deprecated min/max of
    byte arrays and unsigned integers, byte-array bounds from parquet-mr
    before 1.8.0 (PARQUET-251), bounds under an unknown column order, NaN
    bounds, INT96 and INTERVAL.  A float min of 0 is given as -0.0 and a max
    of 0 as +0.0 (either zero may be in the data).  ``min_exact`` and
    ``max_exact`` are False when the writer truncated the bound (it then
    still bounds the values).  Counts are None when absent (0 is a count).
    """

    min: Any
    max: Any
    null_count: int | None
    distinct_count: int | None
    nan_count: int | None
    min_exact: bool
    max_exact: bool


@dataclass(frozen=True)
class ColumnChunkInfo:
    """One column of one row group.

    Attributes:
        name, physical: the column.
        codec: ``"SNAPPY"``, ``"ZSTD"``...; ``codec_supported`` says whether this build reads it.
        encodings: the encodings the chunk lists.
        num_values: values, nulls included.
        total_compressed_size, total_uncompressed_size: bytes.
        data_page_offset, dictionary_page_offset: where the pages start.
        statistics: a :class:`Statistics`, or None when the chunk has none.
        has_bloom_filter: whether a bloom filter is stored.
        has_column_index, has_offset_index: the page index parts present;
            ``has_page_index`` when both are.
        key_value_metadata: the chunk's own key/value pairs.
    """

    name: str
    physical: str
    codec: str
    codec_supported: bool
    encodings: list[str]
    num_values: int
    total_compressed_size: int
    total_uncompressed_size: int
    data_page_offset: int
    dictionary_page_offset: int | None
    statistics: Statistics | None
    has_bloom_filter: bool
    bloom_filter_offset: int | None
    bloom_filter_length: int | None
    has_column_index: bool
    has_offset_index: bool
    key_value_metadata: dict[str, str | None]

    @property
    def has_page_index(self) -> bool:
        """Both the ColumnIndex and the OffsetIndex are present."""
        return self.has_column_index and self.has_offset_index


@dataclass(frozen=True)
class RowGroupInfo:
    """One row group: its size and its column chunks."""

    index: int
    num_rows: int
    total_byte_size: int
    total_compressed_size: int | None
    columns: list[ColumnChunkInfo]
    sorting_columns: list[tuple[int, bool, bool]]

    def column(self, name: str) -> ColumnChunkInfo:
        """The :class:`ColumnChunkInfo` of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"no column {name!r} in row group {self.index}")


@dataclass(frozen=True)
class PageInfo:
    """One data page from the page index.

    ``first_row_index`` and ``num_rows`` are relative to the row group;
    ``min``/``max``/``null_count`` come from the ColumnIndex (None when it
    is absent or the bound unusable); ``null_page`` is True when every
    value of the page is null.
    """

    first_row_index: int | None
    num_rows: int | None
    offset: int | None
    compressed_size: int | None
    min: Any
    max: Any
    null_count: int | None
    null_page: bool | None


@dataclass
class ParquetReadReport:
    """What a Parquet read touched.

    Attributes:
        files: files read.
        row_groups_read, row_groups_skipped: row groups read, and the
            files' other row groups.
        pages_read, pages_skipped: data pages decoded, and pages of the
            read row groups left out because no wanted row was in them.
        bytes_read: bytes of the files touched (footers and the pages of
            the columns read); ``bytes_total`` their size on disk.
        rows: rows returned.
        seconds: wall time.
        threads: threads used.
    """

    files: int = 0
    row_groups_read: int = 0
    row_groups_skipped: int = 0
    pages_read: int = 0
    pages_skipped: int = 0
    bytes_read: int = 0
    bytes_total: int = 0
    rows: int = 0
    seconds: float = 0.0
    threads: int = 1

    def summary(self) -> str:
        """One line: files, row groups, pages, bytes and time."""
        pct = f" ({100 * self.bytes_read / self.bytes_total:.0f}%)" if self.bytes_total else ""
        return (f"{self.files:,} files, {self.rows:,} rows, row groups {self.row_groups_read:,} read / "
                f"{self.row_groups_skipped:,} skipped, pages {self.pages_read:,} read / {self.pages_skipped:,} "
                f"skipped, {self.bytes_read / 1e6:,.1f} of {self.bytes_total / 1e6:,.1f} MB read{pct}, "
                f"{self.seconds:.3f} s")

    def __str__(self) -> str:
        return self.summary()

    def _add(self, other: "ParquetReadReport") -> None:
        for k in ("files", "row_groups_read", "row_groups_skipped", "pages_read", "pages_skipped", "bytes_read",
                  "bytes_total", "rows"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


def _kv(pairs: list[tuple[Any, Any]]) -> dict[str, str | None]:
    return {k if isinstance(k, str) else k.decode("latin-1"): v if (v is None or isinstance(v, str))
            else v.decode("latin-1") for k, v in pairs}


def _plain_value(leaf: ColumnInfo, v: Any) -> Any:
    """A Python value as the C core hashes it for this column: float16 and
    byte-array decimals become their stored bytes, decimals their unscaled int."""
    import decimal

    lg = leaf.logical or ""
    if lg == "float16" and isinstance(v, (int, float)):
        try:
            return struct.pack("<e", v)
        except OverflowError:
            return None
    if lg.startswith("decimal(") and isinstance(v, (int, decimal.Decimal)):
        scale = int(lg[lg.index(",") + 1:-1])
        unscaled = decimal.Decimal(v).scaleb(scale)
        if unscaled != unscaled.to_integral_value():
            return None  # more digits than the column holds: not in it
        n = int(unscaled)
        if leaf.physical in ("INT32", "INT64"):
            return n
        size = leaf.type_length if leaf.physical == "FIXED_LEN_BYTE_ARRAY" else max(1, (n.bit_length() + 8) // 8)
        try:
            return n.to_bytes(size, "big", signed=True)
        except OverflowError:
            return None
    return v


def _decimal(v: Any, logical: str | None) -> Any:
    """A decimal statistic (int or big-endian two's complement bytes) as decimal.Decimal."""
    if v is None or not logical or not logical.startswith("decimal("):
        return v
    import decimal

    scale = int(logical[logical.index(",") + 1:-1])
    n = int.from_bytes(v, "big", signed=True) if isinstance(v, bytes) else int(v)
    return decimal.Decimal(n).scaleb(-scale)


# ---------------------------------------------------------------------------
# ParquetFile
# ---------------------------------------------------------------------------
class ParquetFile:
    """An open Parquet file: its metadata, and reads of any part of it.

    The file is memory-mapped (or, given bytes, read from them); only the
    footer is decoded when it opens.  A corrupt, truncated or encrypted
    file raises :class:`~vpcflow.ParquetError` naming the file and what is
    wrong.

    Args:
        source: a path, or the file's bytes.
        name: the name used in messages when ``source`` is bytes.

    Example:
        >>> import vpcflow, tempfile, os
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
        >>> pq.write_table(pa.table({"port": pa.array([22, 443, 22], pa.int32()), "action": ["REJECT", "ACCEPT", None]}),
        ...                path, row_group_size=2)
        >>> f = vpcflow.ParquetFile(path)
        >>> f.metadata.num_rows, f.metadata.num_row_groups, [c.name for c in f.metadata.schema]
        (3, 2, ['port', 'action'])
        >>> st = f.row_group(0).column("port").statistics
        >>> st.min, st.max, st.null_count
        (22, 443, 0)
        >>> f.read(columns=["action"], row_groups=[1])["action"].tolist()
        [None]
        >>> f.read(row_ranges={0: [(1, 2)]}).to_pylist()
        [{'port': 443, 'action': 'ACCEPT'}]
    """

    def __init__(self, source: PathLike | bytes | bytearray | memoryview, *, name: str | None = None) -> None:
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.path = name or "<bytes>"
            self._h = _core.pq_open(source, self.path)
        else:
            self.path = os.fspath(source)
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"no such file: {self.path!r}")
            self._h = _core.pq_open(None, self.path)
        self._md: FileMetadata | None = None
        self._rgs: dict[int, RowGroupInfo] = {}
        self._col_stats: dict[str, list] = {}
        self._sizes: np.ndarray | None = None

    def __repr__(self) -> str:
        m = self.metadata
        return f"ParquetFile({self.path!r}, rows={m.num_rows:,}, row_groups={m.num_row_groups}, columns={len(m.schema)})"

    @property
    def metadata(self) -> FileMetadata:
        """The file's :class:`FileMetadata` (decoded once)."""
        if self._md is None:
            d = _core.pq_metadata(self._h)
            self._md = FileMetadata(
                num_rows=d["num_rows"], num_row_groups=d["num_row_groups"], created_by=d["created_by"],
                key_value_metadata=_kv(d["key_value_metadata"]), schema=[ColumnInfo(**c) for c in d["schema"]],
                version=d["version"], size=d["size"], row_group_rows=d["row_group_rows"])
        return self._md

    @property
    def schema(self) -> list[ColumnInfo]:
        """The leaf columns (``metadata.schema``)."""
        return self.metadata.schema

    @property
    def num_rows(self) -> int:
        return self.metadata.num_rows

    @property
    def num_row_groups(self) -> int:
        return self.metadata.num_row_groups

    def _leaf(self, column: str | int) -> ColumnInfo:
        return self.metadata.schema[column] if isinstance(column, int) else self.metadata.column(column)

    def row_group(self, i: int) -> RowGroupInfo:
        """Row group ``i``: rows, sizes, and per column its codec, encodings,
        sizes, :class:`Statistics`, bloom filter and page index presence."""
        if i < 0:
            i += self.num_row_groups
        if i not in self._rgs:
            d = _core.pq_row_group(self._h, i)
            cols = []
            for c in d["columns"]:
                st = c.pop("statistics")
                logical = self._leaf(c["name"]).logical
                if st is not None:
                    st["min"], st["max"] = _decimal(st["min"], logical), _decimal(st["max"], logical)
                    st = Statistics(**st)
                cols.append(ColumnChunkInfo(statistics=st, **{**c, "key_value_metadata": _kv(c["key_value_metadata"])}))
            self._rgs[i] = RowGroupInfo(index=i, num_rows=d["num_rows"], total_byte_size=d["total_byte_size"],
                                        total_compressed_size=d["total_compressed_size"], columns=cols,
                                        sorting_columns=d["sorting_columns"])
        return self._rgs[i]

    def column_statistics(self, column: str | int) -> list[tuple[Any, Any, int | None] | None]:
        """``(min, max, null_count)`` of one column in every row group (None where the chunk has no
        statistics), as :attr:`ColumnChunkInfo.statistics` gives them, in one call: what
        planning needs, without describing every column of every row group.

        Example:
            >>> import vpcflow, tempfile, os
            >>> import pyarrow as pa, pyarrow.parquet as pq
            >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
            >>> pq.write_table(pa.table({"x": [3, 1, None, 7]}), path, row_group_size=2)
            >>> vpcflow.ParquetFile(path).column_statistics("x")
            [(1, 3, 0), (7, 7, 1)]
        """
        leaf = self._leaf(column)
        got = self._col_stats.get(leaf.name)
        if got is None:
            got = _core.pq_column_stats(self._h, column)
            if leaf.logical and leaf.logical.startswith("decimal("):
                got = [None if s is None else (_decimal(s[0], leaf.logical), _decimal(s[1], leaf.logical), s[2])
                       for s in got]
            self._col_stats[leaf.name] = got
        return got

    def chunk_sizes(self) -> "np.ndarray":
        """Compressed bytes of every column chunk: an int64 array of shape
        (row groups, columns in :attr:`schema` order)."""
        if self._sizes is None:
            a = np.frombuffer(_core.pq_chunk_sizes(self._h), dtype=np.int64)
            self._sizes = a.reshape(self.num_row_groups, len(self.schema))
        return self._sizes

    def row_groups(self) -> Iterator[RowGroupInfo]:
        """Every row group's :class:`RowGroupInfo`, in order."""
        return (self.row_group(i) for i in range(self.num_row_groups))

    def page_index(self, row_group: int, column: str | int) -> list[PageInfo] | None:
        """The page index of one column chunk (a column name, or its index in
        :attr:`schema`): a :class:`PageInfo` per data page, or None when the
        file has no page index for it.  Decoded on demand (the footer does
        not hold it)."""
        pages = _core.pq_page_index(self._h, row_group, column)
        if pages is None:
            return None
        logical = self._leaf(column).logical
        return [PageInfo(first, n, off, size, _decimal(mn, logical), _decimal(mx, logical), nulls, null_page)
                for first, n, off, size, mn, mx, nulls, null_page in pages]

    def bloom_may_contain(self, row_group: int, column: str | int, values: Iterable[Any]) -> bool:
        """False when the column chunk's bloom filter proves that none of
        ``values`` is in it; True when one may be, or there is no filter.

        Values are hashed in the column's physical representation: ints for
        integer columns (and timestamps, dates, times: their stored numbers),
        floats (float16 columns too), :class:`decimal.Decimal` or the
        unscaled int for decimals, str or bytes for byte arrays.  A value
        that cannot be stored in the column (a str for an int column, say)
        is never in it.
        """
        leaf = self._leaf(column)
        r = _core.pq_bloom(self._h, row_group, column, [_plain_value(leaf, v) for v in values])
        return True if r is None else bool(r)

    def read(
        self,
        columns: Sequence[str] | None = None,
        row_groups: Sequence[int] | None = None,
        row_ranges: Mapping[int, Ranges] | None = None,
        threads: int | None = None,
        *,
        addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
        check_crc: bool = False,
    ) -> Table:
        """Read columns, row groups and rows into a :class:`~vpcflow.Table`.

        Args:
            columns: leaf column names (default: all; a list or map column
                then raises :class:`~vpcflow.ParquetError` naming it).
            row_groups: row group indexes, in the order wanted (default: all,
                or with ``row_ranges`` the row groups it names).
            row_ranges: ``{row_group: [(start, stop), ...]}``: only those
                rows (relative to the row group) of the row groups named;
                overlapping or unsorted ranges are merged, and a row group
                in ``row_groups`` that it does not name is read whole.  With
                an OffsetIndex only the pages holding the rows are read.
            threads: worker threads (default: all cores).
            addresses: string columns to read as addresses when every value
                is one (default: the flow-log address columns; ``()`` for none).
            check_crc: verify the page checksums writers stored (off by default, as in pyarrow).
        """
        if row_groups is not None:
            rgs: Sequence[int] = list(row_groups)
        elif row_ranges:
            rgs = sorted(row_ranges)
        else:
            rgs = range(self.num_row_groups)
        if row_ranges:
            missing = set(row_ranges) - set(rgs)
            if missing:
                raise ValueError(f"row_ranges names row groups {sorted(missing)} that row_groups leaves out")
        plan: FilePlan = None
        if row_groups is not None or row_ranges:
            plan = [(rg, None if not row_ranges or rg not in row_ranges else row_ranges[rg]) for rg in rgs]
        return read_plan([self], [plan], columns=columns, threads=threads, addresses=addresses, check_crc=check_crc)


# ---------------------------------------------------------------------------
# reading: the one parallel call, and the files of a directory tree
# ---------------------------------------------------------------------------
def _merge_ranges(ranges: Ranges) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-empty (start, stop) pairs."""
    if isinstance(ranges, list) and len(ranges) > 64:
        a = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
        if bool(np.all(a[:, 1] > a[:, 0])) and bool(np.all(a[1:, 0] > a[:-1, 1])):
            return ranges  # already sorted, disjoint and non-empty (as late materialisation makes them)
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in ranges):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _normalize_plan(f: ParquetFile, plan: FilePlan) -> tuple[list | None, int, int]:
    """The plan as the C core takes it, the rows it reads, and the row groups it reads."""
    if plan is None:
        return None, f.num_rows, f.num_row_groups
    out: list[tuple[int, list[tuple[int, int]] | None]] = []
    rows = 0
    n = f.num_row_groups
    rg_rows = f.metadata.row_group_rows
    for rg, ranges in plan:
        rg = int(rg)
        if not 0 <= rg < n:
            raise IndexError(f"{f.path}: no row group {rg} (the file has {n})")
        if ranges is None:
            out.append((rg, None))
            rows += rg_rows[rg]
            continue
        merged = _merge_ranges(ranges)
        if merged:  # a row group with no rows wanted is not read at all
            out.append((rg, merged))
            rows += sum(e - s for s, e in merged)
    return out, rows, len(out)


def _columns_from_core(result: dict) -> list[Column]:
    return [Column(name, typ, data, valid, dct, nulls, logical)
            for name, typ, data, valid, dct, nulls, logical in result["columns"]]


def read_plan(
    files: Sequence[ParquetFile],
    plans: Sequence[FilePlan],
    *,
    columns: Sequence[str] | None = None,
    threads: int | None = None,
    addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
    check_crc: bool = False,
    partitions: Sequence[Mapping[str, str | None]] | None = None,
) -> Table:
    """Read per-file lists of row groups and row ranges in one parallel call.

    This is the primitive filter pushdown builds on: decide from
    statistics, page indexes and bloom filters which row groups and rows of
    which files can hold matches, then read exactly those.

    Args:
        files: the open files.
        plans: one per file: None for the whole file, or ``(row_group,
            ranges)`` pairs where ranges is None (every row) or ``(start,
            stop)`` row pairs relative to the row group.  An empty list
            reads nothing of that file.
        columns: output columns by name (default: every column of every
            file, in order of appearance).  A column a file lacks is null
            in that file's rows; a column whose type differs between files
            raises :class:`~vpcflow.ParquetError` naming both.
        threads, addresses, check_crc: as for :meth:`ParquetFile.read`.
        partitions: per file, Hive partition values (``{"year": "2024"}``)
            added as columns after the file columns: int32 when every value
            is an integer that fits, else string; None for a missing key.

    Returns:
        A Table whose ``report`` is a :class:`ParquetReadReport`.

    Example:
        >>> import vpcflow, tempfile, os
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
        >>> pq.write_table(pa.table({"x": list(range(10))}), path, row_group_size=5)
        >>> f = vpcflow.ParquetFile(path)
        >>> t = vpcflow.pqread.read_plan([f, f], [[(1, [(0, 2)])], [(0, [(3, 4)])]])
        >>> t["x"].tolist(), t.report.rows
        ([5, 6, 3], 3)
    """
    if len(plans) != len(files):
        raise ValueError("plans must have one entry per file")
    nthreads = _threads(threads)
    t0 = time.perf_counter()
    norm = [_normalize_plan(f, p) for f, p in zip(files, plans)]
    cols = None if columns is None else [str(c) for c in columns]
    if cols is not None and partitions:
        keys = {k for p in partitions for k in p}
        cols = [c for c in cols if c not in keys or any(c in (x.name for x in f.schema) for f in files)]
    addr = None if addresses is None else list(addresses)
    if files:
        result, stats = _core.pq_read([f._h for f in files], [p for p, _, _ in norm], cols, addr, nthreads, check_crc)
        out = _columns_from_core(result)
    else:
        stats = dict(files=0, row_groups_read=0, row_groups_skipped=0, pages_read=0, pages_skipped=0, bytes_read=0,
                     bytes_total=0, rows=0)
        out = []
    if partitions:
        have = {c.name for c in out}
        counts = [rows for _, rows, _ in norm]
        out += _partition_columns(partitions, counts, have, columns)
    report = ParquetReadReport(**stats, seconds=time.perf_counter() - t0, threads=nthreads)
    return Table(out, report)


def _read_report(table: Table) -> ParquetReadReport:
    """The report of a table :func:`read_plan` returned."""
    rep = table.report
    assert isinstance(rep, ParquetReadReport)  # read_plan's tables always carry one
    return rep


def read_plan_selected(
    files: Sequence[ParquetFile],
    plans: Sequence[FilePlan],
    *,
    columns: Sequence[str],
    filter_columns: Sequence[str],
    select: "Callable[[Table], np.ndarray]",
    threads: int | None = None,
    addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
    partitions: Sequence[Mapping[str, str | None]] | None = None,
    max_fraction: float = 0.25,
    max_runs: float = 0.01,
    cut: bool = True,
) -> Table:
    """:func:`read_plan` of ``columns``, keeping only the rows ``select`` picks,
    reading the other columns of the picked rows only (late materialisation).

    The ``filter_columns`` (a subset of ``columns``) are read first, by the
    plans; ``select(table)`` gives the ascending row indices to keep.  When
    they are few (at most ``max_fraction`` of the rows read) and clustered
    (at most ``max_runs`` runs of consecutive rows per row read), the other
    columns are read for just those rows: each run becomes a row range, so
    only the pages holding them are decompressed and only the dictionary
    entries they use are converted.  Otherwise the other columns are read
    by the same plans and every column is cut to the picked rows.

    With ``cut=False`` the picked rows are only a hint: when the other
    columns are read by the plans (not row range by row range), every row
    read is returned, uncut, for a caller that keeps the selection itself
    (a query hands it to the next step: aggregating or filtering the rows
    at the selection costs less than gathering every column first).

    Returns:
        A Table of ``filter_columns`` then the other ``columns`` (as
        :func:`read_plan` orders them), holding the picked rows in plan
        order (a superset of them with ``cut=False``); its report adds up
        both reads.
    """
    t0 = time.perf_counter()
    first = list(dict.fromkeys(filter_columns))
    rest = [c for c in dict.fromkeys(columns) if c not in first]
    t1 = read_plan(files, plans, columns=first, threads=threads, addresses=addresses, partitions=partitions)
    sel = np.asarray(select(t1), dtype=np.int64)
    report = _read_report(t1)
    nthr = _threads(threads)
    if rest and t1.num_rows:
        # Reading the other columns row range by row range pays when it skips pages: few picked
        # rows in few runs.  Many short runs (a filter keeping 10% of rows scattered through every
        # page) touch every page anyway, and cost a range each: then read by the plans (and cut).
        few = len(sel) <= max_fraction * t1.num_rows
        runs = 1 + int(np.count_nonzero(np.diff(sel) != 1)) if few and len(sel) else 0
        if few and runs <= max_runs * t1.num_rows:
            plans2 = _rows_plan(files, plans, sel)
            t2 = read_plan(files, plans2, columns=rest, threads=threads, addresses=addresses, partitions=partitions)
            t1 = t1.take(sel, nthr)
        else:
            t2 = read_plan(files, plans, columns=rest, threads=threads, addresses=addresses, partitions=partitions)
            if cut:  # (uncut: whatever the plans read is handed over with the selection)
                t1, t2 = t1.take(sel, nthr), t2.take(sel, nthr)
        first_read = (report.files, report.row_groups_read, report.row_groups_skipped, report.bytes_total)
        report._add(_read_report(t2))
        # the same files and row groups: counted once
        report.files, report.row_groups_read, report.row_groups_skipped, report.bytes_total = first_read
        cols = list(t1.columns) + [c for c in t2.columns if c.name not in t1.column_names]
    else:
        if cut:
            t1 = t1.take(sel, nthr)
        cols = list(t1.columns)
    report.rows = t1.num_rows
    report.seconds = time.perf_counter() - t0
    return Table(cols, report)


def _rows_plan(files: Sequence[ParquetFile], plans: Sequence[FilePlan], sel: np.ndarray) -> list[FilePlan]:
    """Plans reading just the rows at ``sel`` (indices into what ``plans`` read, ascending)."""
    # every (file, row group, first row of a span, rows in it), in the order read_plan reads them
    span_file, span_rg, span_row, span_len = [], [], [], []
    for i, (f, plan) in enumerate(zip(files, plans)):
        rg_rows = f.metadata.row_group_rows
        norm, _, _ = _normalize_plan(f, plan)
        entries = [(g, None) for g in range(f.num_row_groups)] if norm is None else norm
        for g, ranges in entries:
            for a, b in ([(0, rg_rows[g])] if ranges is None else ranges):
                if b > a:
                    span_file.append(i)
                    span_rg.append(g)
                    span_row.append(a)
                    span_len.append(b - a)
    out: list[list[tuple[int, list[tuple[int, int]]]]] = [[] for _ in files]
    if not len(sel) or not span_len:
        return list(out)
    offs = np.concatenate([[0], np.cumsum(span_len)]).astype(np.int64)
    k = np.searchsorted(offs, sel, side="right") - 1
    rows = np.asarray(span_row, dtype=np.int64)[k] + (sel - offs[k])
    fi = np.asarray(span_file, dtype=np.int64)[k]
    gi = np.asarray(span_rg, dtype=np.int64)[k]
    # consecutive picked rows of one row group make one range
    brk = np.flatnonzero((np.diff(fi) != 0) | (np.diff(gi) != 0) | (np.diff(rows) != 1)) + 1
    starts = np.concatenate([[0], brk])
    stops = np.concatenate([brk, [len(sel)]])
    lo, hi, f_run, g_run = rows[starts], rows[stops - 1] + 1, fi[starts], gi[starts]
    # runs of one row group are adjacent (sel ascends, spans are in read order)
    change = np.flatnonzero((np.diff(f_run) != 0) | (np.diff(g_run) != 0)) + 1
    first = np.concatenate([[0], change]).tolist()
    end = np.concatenate([change, [len(lo)]]).tolist()
    lo_l, hi_l = lo.tolist(), hi.tolist()
    for a, b in zip(first, end):
        out[int(f_run[a])].append((int(g_run[a]), list(zip(lo_l[a:b], hi_l[a:b]))))
    return list(out)  # (as list[FilePlan]: a list is invariant)


def _partition_columns(partitions: Sequence[Mapping[str, str | None]], counts: Sequence[int], have: set[str],
                       wanted: Sequence[str] | None) -> list[Column]:
    """Hive partition keys as columns: a value per file repeated over its rows."""
    keys: list[str] = []
    for p in partitions:
        keys += [k for k in p if k not in keys and k not in have and (wanted is None or k in wanted)]
    counts_a = np.asarray(counts, dtype=np.int64)
    out = []
    for k in keys:
        vals = [p.get(k) for p in partitions]
        if all(v is None or re.fullmatch(r"[+-]?\d+", v) and -2**31 <= int(v) < 2**31 for v in vals):
            arr = np.repeat(np.array([0 if v is None else int(v) for v in vals], dtype=np.int32), counts_a)
            ok = np.repeat(np.array([v is not None for v in vals], dtype=bool), counts_a)
            out.append(Column(k, "int32", arr, None if ok.all() else ok))
            continue
        distinct = sorted({v for v in vals if v is not None})
        code = {v: i for i, v in enumerate(distinct)}
        codes = np.repeat(np.array([-1 if v is None else code[v] for v in vals], dtype=np.int32), counts_a)
        enc = [v.encode() for v in distinct]
        offs = np.zeros(len(enc) + 1, dtype=np.int64)
        offs[1:] = np.cumsum([len(b) for b in enc])
        out.append(Column(k, "string", codes, None, ("string", offs, b"".join(enc))))
    return out


_HIVE = re.compile(r"^([^=/]+)=(.*)$")


def _hive(path: str, root: str) -> dict[str, str | None]:
    """``key=value`` directory components between root and the file."""
    rel = os.path.relpath(os.path.dirname(path), root)
    out: dict[str, str | None] = {}
    if rel in (".", ""):
        return out
    for part in rel.split(os.sep):
        m = _HIVE.match(part)
        if m:
            v = unquote(m.group(2))
            out[unquote(m.group(1))] = None if v == "__HIVE_DEFAULT_PARTITION__" else v
    return out


def _sniff(path: str) -> str:
    """'parquet', 'gzip' or 'other', from the first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return "other"
    if head == _MAGIC:
        return "parquet"
    if head[:2] == _GZIP:
        return "gzip"
    return "other"


def find_parquet_files(paths: PathLike | Iterable[PathLike]) -> list[tuple[str, str]]:
    """The Parquet files under ``paths``: ``(file, root)`` pairs, where root
    is the directory the file was found under (for Hive partitions).

    Directories are walked recursively in sorted order, skipping hidden and
    underscore-prefixed names (``.crc`` files, ``_SUCCESS``,
    ``_common_metadata``) and files that are neither Parquet (``PAR1``) nor
    gzip-wrapped Parquet.  A file named directly is always returned.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[tuple[str, str]] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if not name.startswith((".", "_")) and _sniff(full) in ("parquet", "gzip"):
                        out.append((full, p))
        elif os.path.exists(p):
            out.append((p, os.path.dirname(p)))
        else:
            raise FileNotFoundError(f"no such file or directory: {p!r}")
    return out


def _open(path: str) -> ParquetFile | None:
    """Open a Parquet file, or a gzip-wrapped one (decompressed in memory);
    None for a gzip file that does not hold Parquet."""
    if _sniff(path) != "gzip":
        return ParquetFile(path)
    with open(path, "rb") as fh:
        data = _core.decompress(fh.read())
    if data[:4] != _MAGIC:
        return None
    return ParquetFile(data, name=path)


def read_parquet(
    source: PathLike | Iterable[PathLike],
    *,
    columns: Sequence[str] | None = None,
    threads: int | None = None,
    addresses: Sequence[str] | None = DEFAULT_ADDRESS_COLUMNS,
    partitioning: bool = True,
    check_crc: bool = False,
    filter: Any = None,
) -> Table:
    """Read Parquet files, directories of them, or a list of both into one
    :class:`~vpcflow.Table`.

    Args:
        source: a file, a directory (walked recursively: hidden and
            ``_``-prefixed names are skipped, and files that are not
            Parquet, found by their first bytes) or a list.  A gzip-wrapped
            Parquet file (``.parquet.gz`` from some S3 tools) is
            decompressed in memory and read.
        columns: columns to read, partition keys included (default: all).
        threads: worker threads (default: all cores); the result is the same for any count.
        addresses: string columns read as addresses when every value is an
            IP address (default: srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr).
        partitioning: turn ``key=value`` directories (``year=2024/month=06``)
            into columns, after the file columns: int32 when every value is
            an integer, else string.
        check_crc: verify page checksums.
        filter: an expression (``vpcflow.col("srcaddr") == "10.0.0.5"``):
            only matching rows are returned, and files, row groups and pages
            that cannot match are never read (partition values, statistics,
            bloom filters on addresses, the page index).  ``table.report`` is
            then the scan's :class:`~vpcflow.ScanReport` (files, row groups
            and pages read and skipped, bytes read against bytes on disk).

    Schemas are merged by column name: a column missing from a file is null
    in its rows; conflicting types raise :class:`~vpcflow.ParquetError`
    naming both files.  ``table.report`` is a :class:`ParquetReadReport`.

    Example:
        >>> import vpcflow, tempfile, os
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> d = tempfile.mkdtemp()
        >>> for day, n in (("01", 2), ("02", 3)):
        ...     os.makedirs(os.path.join(d, f"day={day}"))
        ...     pq.write_table(pa.table({"bytes": list(range(n))}), os.path.join(d, f"day={day}", "part-0.parquet"))
        >>> t = vpcflow.read_parquet(d)
        >>> t.column_names, t["day"].tolist()
        (['bytes', 'day'], [1, 1, 2, 2, 2])
    """
    if filter is not None:
        from .dataset import Dataset  # the dataset layer plans the pruning

        ds = Dataset(source, partitioning=partitioning, addresses=addresses)
        return ds.to_table(columns=columns, filter=filter, threads=threads)
    found = find_parquet_files(source)
    files: list[ParquetFile] = []
    parts: list[dict[str, str | None]] = []
    for path, root in found:
        f = _open(path)
        if f is None:
            continue
        files.append(f)
        parts.append(_hive(path, root) if partitioning else {})
    return read_plan(files, [None] * len(files), columns=columns, threads=threads, addresses=addresses,
                     check_crc=check_crc, partitions=parts if any(parts) else None)
