"""Writing Parquet: :func:`write_parquet` and its :class:`WriteReport`.

vpcflow writes Parquet with its own C writer (no Arrow underneath).  The
files have the shape of AWS's own Parquet delivery of flow logs, so Athena,
Spark, Trino, DuckDB and pyarrow read them unchanged:

* **Schema.** The table's column names; ``int32`` -> INT32, ``int64`` ->
  INT64 (no annotation); ``string`` and ``address`` -> BYTE_ARRAY with the
  STRING logical type (converted type UTF8), addresses as canonical text;
  every column OPTIONAL, with or without nulls.  Tables read from other
  Parquet files write back with their types: ``int8``/``int16``/
  ``uint8``..``uint64`` as INT32/INT64 with the INTEGER logical type,
  ``float32``/``float64`` as FLOAT/DOUBLE, ``bool`` as BOOLEAN, ``binary``
  as BYTE_ARRAY, and a column's ``logical`` (``"timestamp[us, UTC]"``,
  ``"date32"``, ``"time[ms]"``, ``"decimal(9,2)"``, ``"json"``, ``"bson"``)
  as the Parquet logical type it came from (``float16``, ``uuid`` and
  fixed-size binary are written as their storage type).
* **Encodings.** Strings and addresses are dictionary-encoded per column
  chunk: a sorted PLAIN dictionary page of just the values the row group
  uses, RLE_DICTIONARY data pages; a chunk whose dictionary page would
  exceed ``dictionary_page_limit`` is written PLAIN.  Integers are PLAIN or
  DELTA_BINARY_PACKED (``int_encoding="auto"`` tries both on a sample of
  each chunk, compressed, and keeps the smaller).  Definition levels are
  RLE.  Data pages v1 (v2 with ``data_page_version=2``).
* **Statistics** (min, max, null count; distinct count for strings) per
  column chunk and in every data page header, with TypeDefinedOrder column
  orders (strings compare as unsigned bytes; NaN is left out of float
  min/max); none for min/max of an all-null chunk.  ``page_index=True``
  writes a ColumnIndex and an OffsetIndex for every column chunk (only the
  OffsetIndex when ``statistics=False``).
* **Bloom filters** (split-block, xxHash64, as Parquet specifies them) on
  the ``bloom_filters`` columns that the table has, sized for the exact
  number of distinct values in each chunk at ``bloom_fpp``.
* **Metadata.** ``created_by`` is ``vpcflow version X (build Y)``; the key
  ``vpcflow.writer`` names the writer; ``metadata`` adds your own pairs.
* **Safety.** The file is written to ``.<name>.tmp-<pid>-<random>`` in the
  same directory, fsync'ed and renamed into place: ``path`` never holds a
  partial file, and a failed write removes the temporary file.
* **Speed.** The columns of a row group are encoded and compressed in
  parallel (``threads``, default all cores); memory is bounded by one row
  group's encoded size.

Example:
    >>> import vpcflow, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> t = vpcflow.parse_text(
    ...     "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK\\n"
    ...     "2 123456789010 eni-1 - - - - - - - 1439387263 1439387264 - NODATA\\n")
    >>> r = vpcflow.write_parquet(t, os.path.join(d, "flows.parquet"))
    >>> r.rows, r.row_groups, sorted(os.listdir(d))
    (2, 1, ['flows.parquet'])
    >>> import pyarrow.parquet as pq
    >>> pq.read_table(os.path.join(d, "flows.parquet")).column("srcaddr").to_pylist()
    ['10.0.0.1', None]
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

from . import _core as _core

if TYPE_CHECKING:  # pragma: no cover
    from .table import Table

__all__ = ["write_parquet", "WriteReport", "DEFAULT_BLOOM_FILTERS"]

#: the columns that get bloom filters unless told otherwise
DEFAULT_BLOOM_FILTERS = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")

# Parquet's CompressionCodec numbers (csrc/codec/block.h)
_CODECS = {"none": 0, "uncompressed": 0, "snappy": 1, "gzip": 2, "zstd": 6}
_LEVELS = {"zstd": (-131072, 22), "gzip": (1, 9)}
_INT_ENCODINGS = {"auto": 0, "plain": 1, "delta": 2}


@dataclass
class WriteReport:
    """What :func:`write_parquet` wrote.

    Attributes:
        path: the file written.
        rows: rows written.
        row_groups: row groups written.
        bytes: size of the file.
        seconds: wall time of the write.
        compressed: per column, the bytes of its column chunks in the file
            (page headers included), by name.
        uncompressed: per column, the same before compression.
    """

    path: str
    rows: int
    row_groups: int
    bytes: int
    seconds: float
    compressed: dict[str, int] = field(default_factory=dict)
    uncompressed: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: rows, row groups, size, time."""
        speed = f", {self.rows / self.seconds / 1e6:,.1f} M rows/s" if self.seconds > 0 else ""
        return (f"{self.path}: {self.rows:,} rows, {self.row_groups:,} row groups, "
                f"{self.bytes / 1e6:,.2f} MB, {self.seconds:.3f} s{speed}")

    def __repr__(self) -> str:
        return (f"WriteReport({self.path!r}, rows={self.rows:,}, row_groups={self.row_groups}, "
                f"bytes={self.bytes:,}, seconds={self.seconds:.3f})")

    def __str__(self) -> str:
        lines = [self.summary()]
        width = max((len(n) for n in self.compressed), default=0)
        for name, c in self.compressed.items():
            u = self.uncompressed.get(name, 0)
            ratio = f"{u / c:5.1f}x" if c else "     -"
            lines.append(f"  {name:<{width}}  {c:>12,} bytes  ({u:,} uncompressed, {ratio})")
        return "\n".join(lines)


def _positive(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


def write_parquet(
    table: "Table",
    path: str | os.PathLike[str],
    *,
    compression: str = "zstd",
    compression_level: int | None = None,
    row_group_size: int = 1_000_000,
    row_group_bytes: int = 128 << 20,
    page_size: int = 1 << 20,
    page_rows: int = 20_000,
    data_page_version: int = 1,
    dictionary: bool = True,
    dictionary_page_limit: int = 2 << 20,
    int_encoding: str = "auto",
    statistics: bool = True,
    page_index: bool = True,
    bloom_filters: Iterable[str] | None = DEFAULT_BLOOM_FILTERS,
    bloom_fpp: float = 0.01,
    metadata: Mapping[str, str | bytes] | None = None,
    threads: int | None = None,
    _fail_after_bytes: int | None = None,
) -> WriteReport:
    """Write ``table`` to the Parquet file ``path`` (replacing it atomically).

    Args:
        table: a :class:`~vpcflow.Table`.
        path: the file to write.  It appears complete or not at all.
        compression: ``"zstd"`` (default), ``"snappy"``, ``"gzip"`` or ``"none"``.
        compression_level: zstd -131072..22 (default 1, as Arrow's), gzip 1..9 (default 6);
            None for the codec's default.
        row_group_size: at most this many rows per row group.
        row_group_bytes: and at most about this many bytes of in-memory
            column data per row group (values, 4 bytes per string or address
            code, the validity bytes).  Rows are spread evenly over the row
            groups a table needs.
        page_size: target uncompressed size of a data page, in bytes.
        page_rows: and at most this many rows per data page (as Arrow and
            parquet-mr do): small pages let the page index skip inside row
            groups, e.g. the few pages of one hour in a file sorted by start.
        data_page_version: 1 (default; what every reader knows) or 2.
        dictionary: dictionary-encode strings and addresses.
        dictionary_page_limit: a column chunk whose dictionary page would be
            larger is written PLAIN instead.
        int_encoding: ``"auto"`` (PLAIN or DELTA_BINARY_PACKED, whichever
            compresses a sample of the chunk smaller), ``"plain"`` or ``"delta"``.
        statistics: min/max/null count per column chunk and per page (and
            the ColumnIndex).
        page_index: write the OffsetIndex and ColumnIndex.
        bloom_filters: the columns that get bloom filters (those the table
            lacks are skipped); None for none.  Not for bool columns.
        bloom_fpp: the false-positive probability they are sized for.
        metadata: extra key-value metadata for the footer.
        threads: columns encoded in parallel (default: all cores).

    Returns:
        A :class:`WriteReport`.

    Raises:
        ValueError: a bad argument (the message names it).
        OSError: the file cannot be created or written.
        vpcflow.ParquetError: the table cannot be written as asked.

    Example:
        >>> import vpcflow, tempfile, os
        >>> t = vpcflow.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 ACCEPT OK\\n")
        >>> p = os.path.join(tempfile.mkdtemp(), "f.parquet")
        >>> r = vpcflow.write_parquet(t, p, compression="snappy", row_group_size=1)
        >>> r.rows, r.row_groups, r.bytes == os.path.getsize(p)
        (1, 1, True)
    """
    from .table import Table

    if not isinstance(table, Table):
        raise TypeError(f"table must be a vpcflow.Table, not {type(table).__name__}")
    if not isinstance(compression, str) or compression.lower() not in _CODECS:
        raise ValueError(f"compression must be one of 'zstd', 'snappy', 'gzip', 'none', not {compression!r}")
    codec_name = compression.lower()
    level = 0
    if compression_level is not None:
        lo_hi = _LEVELS.get(codec_name)
        if lo_hi is None:
            raise ValueError(f"compression_level: {codec_name} has no levels")
        if isinstance(compression_level, bool) or not isinstance(compression_level, int) or not (
            lo_hi[0] <= compression_level <= lo_hi[1]
        ) or compression_level == 0:
            raise ValueError(f"compression_level for {codec_name} must be a non-zero integer in "
                             f"{lo_hi[0]}..{lo_hi[1]}, not {compression_level!r}")
        level = compression_level
    _positive("row_group_size", row_group_size)
    _positive("row_group_bytes", row_group_bytes)
    _positive("page_size", page_size)
    _positive("page_rows", page_rows)
    _positive("dictionary_page_limit", dictionary_page_limit, 0)
    if data_page_version not in (1, 2) or isinstance(data_page_version, bool):
        raise ValueError(f"data_page_version must be 1 or 2, not {data_page_version!r}")
    if int_encoding not in _INT_ENCODINGS:
        raise ValueError(f"int_encoding must be 'auto', 'plain' or 'delta', not {int_encoding!r}")
    if not isinstance(bloom_fpp, (int, float)) or isinstance(bloom_fpp, bool) or not 0 < bloom_fpp < 1:
        raise ValueError(f"bloom_fpp must be between 0 and 1 (exclusive), not {bloom_fpp!r}")
    if bloom_filters is None:
        bloom: list[str] = []
    else:
        if isinstance(bloom_filters, str):
            raise ValueError("bloom_filters must be a list of column names (or None), not a string")
        bloom = list(bloom_filters)
        for name in bloom:
            if not isinstance(name, str):
                raise ValueError(f"bloom_filters: column names must be strings, not {name!r}")
            if name not in table and name not in DEFAULT_BLOOM_FILTERS:
                raise ValueError(f"bloom_filters: no column {name!r} in the table")
            if name in table and table.column(name).type == "bool":
                raise ValueError(f"bloom_filters: column {name!r} is bool; bloom filters need other types")
    meta: list[tuple[str | bytes, str | bytes]] = []
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise ValueError("metadata must be a mapping of str keys to str or bytes values")
        for k, v in metadata.items():
            if not isinstance(k, (str, bytes)) or not isinstance(v, (str, bytes)):
                raise ValueError(f"metadata: keys and values must be str or bytes, not {k!r}: {v!r}")
            meta.append((k, v))
    if threads is None:
        threads = os.cpu_count() or 1
    _positive("threads", threads)
    if not table.column_names:
        raise ValueError("table: a Parquet file needs at least one column")
    fspath = os.fspath(path)
    t0 = time.perf_counter()
    res = _core.write_parquet(
        table._to_core(), fspath,
        codec=_CODECS[codec_name], level=level,
        row_group_rows=row_group_size, row_group_bytes=row_group_bytes, page_bytes=page_size, page_rows=page_rows,
        page_version=data_page_version, dictionary=bool(dictionary),
        dictionary_page_limit=dictionary_page_limit, int_encoding=_INT_ENCODINGS[int_encoding],
        statistics=bool(statistics), page_index=bool(page_index), bloom_columns=bloom,
        bloom_fpp=float(bloom_fpp), metadata=meta, threads=threads,
        fail_after_bytes=-1 if _fail_after_bytes is None else _fail_after_bytes,
    )
    seconds = time.perf_counter() - t0
    names = table.column_names
    return WriteReport(
        path=os.fsdecode(fspath), rows=res["rows"], row_groups=res["row_groups"], bytes=res["bytes"],
        seconds=seconds, compressed=dict(zip(names, res["compressed"])),
        uncompressed=dict(zip(names, res["uncompressed"])),
    )
