"""Tables of typed, nullable columns backed by NumPy arrays.

A :class:`Table` is what :func:`vpcflow.read_logs` returns: one
:class:`Column` per flow-log field.  Integer columns are NumPy ``int32`` or
``int64`` arrays with a validity mask; string and address columns are
dictionary-encoded (``int32`` codes, ``-1`` for null, plus the distinct
values stored once), so grouping by an address is grouping by a small
integer.

Null handling, in one place:

* ``table["packets"]`` on an integer column gives a
  :class:`numpy.ma.MaskedArray` whose mask is ``True`` where the value is
  null (``-`` in the log).  NumPy's masked reductions ignore nulls, as SQL
  does: ``table["bytes"].sum()`` is the sum of the non-null values.
* ``table["srcaddr"]`` on a string or address column gives a NumPy
  ``object`` array of ``str`` with ``None`` where null.
* :meth:`Table.column` gives the raw :class:`Column` (codes, dictionary,
  values and validity) without materialising anything.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np

from . import _core as _core

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import pyarrow

    from .dataset import ScanReport
    from .pqread import ParquetReadReport
    from .query import Query

__all__ = ["Table", "Column", "Schema", "ParseReport", "BadRecord"]

#: the flow-log parser's integer types
INT_TYPES = ("int32", "int64")
#: every type stored as a plain NumPy value array plus a validity mask
VALUE_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "bool")
#: dictionary-encoded types: int32 codes (-1 null) plus the distinct values
DICT_TYPES = ("string", "address", "binary")
#: right-aligned in displays
NUMERIC_TYPES = VALUE_TYPES


#: Gathers of at least this many rows go to the C core (parallel, no per-row NumPy overhead).
_C_GATHER_MIN = 1 << 16


def _gather(values: np.ndarray, indices: np.ndarray, threads: int) -> np.ndarray:
    """values[indices]: in C for long index arrays of plain numbers, else NumPy (whose rules,
    negative indices included, the C path keeps: it refuses any index outside 0..n-1 and NumPy
    then takes the call)."""
    if (isinstance(indices, np.ndarray) and indices.dtype.kind == "i" and indices.ndim == 1
            and len(indices) >= _C_GATHER_MIN and values.dtype.kind in "biuf" and values.ndim == 1):
        try:
            return _core.take(values, indices, max(1, threads))
        except IndexError:
            pass
    return values[indices]


class Column:
    """One typed, nullable column.

    Attributes:
        name: the column name (``srcaddr``, ``log_status``, ...).
        type: the storage type: ``"int32"``, ``"int64"``, ``"string"`` or
            ``"address"`` for flow-log fields; Parquet files can also give
            ``"int8"``/``"int16"``/``"uint8"``...``"uint64"``,
            ``"float32"``, ``"float64"``, ``"bool"`` and ``"binary"``.
        logical: None, or what the stored values mean when the storage
            type alone does not say (from Parquet's logical types):
            ``"timestamp[us, UTC]"``, ``"date32"``, ``"decimal(9,2)"``...
        null_count: how many values are null.

    Value columns (numbers, bools) expose :attr:`values` and :attr:`valid`;
    string, address and binary columns expose :attr:`codes` and
    :attr:`dictionary`.

    Example:
        >>> import vpcflow
        >>> t = vpcflow.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 ACCEPT OK\\n")
        >>> c = t.column("srcaddr")
        >>> c.type, c.codes.tolist(), c.dictionary.tolist()
        ('address', [0], ['10.0.0.1'])
    """

    __slots__ = ("name", "type", "logical", "null_count", "_data", "_valid", "_dict", "_dict_values")

    def __init__(
        self,
        name: str,
        type: str,
        data: np.ndarray,
        valid: np.ndarray | None = None,
        dictionary: tuple | None = None,
        null_count: int | None = None,
        logical: str | None = None,
    ) -> None:
        if type not in VALUE_TYPES + DICT_TYPES:
            raise ValueError(f"unknown column type {type!r}")
        self.name = name
        self.type = type
        self.logical = logical
        self._data = data
        self._valid = valid
        self._dict = dictionary
        self._dict_values: np.ndarray | None = None
        if null_count is None:
            if type in DICT_TYPES:
                null_count = int(np.count_nonzero(data < 0))
            else:
                null_count = 0 if valid is None else int(len(valid) - np.count_nonzero(valid))
        self.null_count = null_count

    # -- shape ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self._data)

    @property
    def is_dictionary(self) -> bool:
        """True for string and address columns (dictionary-encoded)."""
        return self.type in DICT_TYPES

    # -- value columns -------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        """The raw values of a value column (0 where null)."""
        if self.is_dictionary:
            raise TypeError(f"column {self.name!r} holds {self.type} values: use .codes and .dictionary")
        return self._data

    @property
    def valid(self) -> np.ndarray:
        """Boolean array, True where the value is not null."""
        if self.is_dictionary:
            return self._data >= 0
        if self._valid is None:
            return np.ones(len(self._data), dtype=bool)
        return self._valid

    # -- dictionary columns --------------------------------------------
    @property
    def codes(self) -> np.ndarray:
        """int32 codes into :attr:`dictionary`; -1 where null."""
        if not self.is_dictionary:
            raise TypeError(f"column {self.name!r} holds {self.type} values: use .values")
        return self._data

    @property
    def dictionary(self) -> np.ndarray:
        """The distinct values (object array of str, or bytes for binary
        columns), indexed by code.

        Addresses are rendered in canonical form: dotted quad for IPv4,
        RFC 5952 for IPv6.
        """
        if not self.is_dictionary:
            raise TypeError(f"column {self.name!r} holds {self.type} values, not strings or addresses")
        if self._dict_values is None:
            assert self._dict is not None
            kind, a, b = self._dict
            if kind == "address":
                self._dict_values = _core.format_addrs(a, b)
            elif kind == "binary":
                offs = a.tolist()
                vals = np.empty(len(offs) - 1, dtype=object)
                vals[:] = [b[offs[i]:offs[i + 1]] for i in range(len(offs) - 1)]
                self._dict_values = vals
            else:
                self._dict_values = _core.decode_strings(a, b)
        return self._dict_values

    @property
    def address_bytes(self) -> tuple[np.ndarray, np.ndarray]:
        """For address columns: the dictionary as ``(uint8[n, 16], family uint8[n])``.

        IPv4 addresses are stored IPv4-mapped (``::ffff:a.b.c.d``) with
        family 4; IPv6 ones have family 6.
        """
        if self.type != "address":
            raise TypeError(f"column {self.name!r} is not an address column")
        assert self._dict is not None
        _, a, fam = self._dict
        return a.reshape(-1, 16), fam

    # -- conversion ------------------------------------------------------
    def to_numpy(self) -> np.ndarray:
        """The values as NumPy: a masked array (value columns) or an object
        array (strings, addresses, binary) with None for null."""
        if self.is_dictionary:
            d = self.dictionary
            codes = self._data
            if len(d) == 0:
                return np.full(len(codes), None, dtype=object)
            out = d[np.where(codes < 0, 0, codes)]
            if self.null_count:
                out[codes < 0] = None
            return out
        if self._valid is None:
            return np.ma.MaskedArray(self._data, mask=np.ma.nomask)
        return np.ma.MaskedArray(self._data, mask=~self._valid)

    def to_pylist(self) -> list[Any]:
        """The values as a list of Python ``int``/``float``/``bool``/``str``/``bytes``, ``None`` for null."""
        if self.is_dictionary:
            return self.to_numpy().tolist()
        vals = self._data.tolist()
        if self._valid is None:
            return vals
        return [v if ok else None for v, ok in zip(vals, self._valid.tolist())]

    def slice(self, start: int, stop: int) -> "Column":
        """Rows ``start:stop`` (shares the dictionary)."""
        data = self._data[start:stop]
        valid = None if self._valid is None else self._valid[start:stop]
        c = Column(self.name, self.type, data, valid, self._dict, logical=self.logical)
        c._dict_values = self._dict_values
        return c

    def take(self, indices: np.ndarray, threads: int = 1) -> "Column":
        """The rows at ``indices`` (an integer array, negative counting from the end as in
        NumPy), sharing the dictionary; ``threads`` gather a long list in parallel.

        Example:
            >>> import numpy as np
            >>> Column("x", "int64", np.array([5, 6, 7])).take(np.array([2, -3])).to_pylist()
            [7, 5]
        """
        data = _gather(self._data, indices, threads)
        valid = None if self._valid is None else _gather(self._valid, indices, threads)
        c = Column(self.name, self.type, data, valid, self._dict, logical=self.logical)
        c._dict_values = self._dict_values
        return c

    @classmethod
    def nulls(cls, name: str, type: str, n: int) -> "Column":
        """A column of n nulls of the given type (an empty dictionary for dictionary types).

        Example:
            >>> Column.nulls("x", "address", 3).to_pylist()
            [None, None, None]
        """
        if type in DICT_TYPES:
            empty = (("address", np.zeros(0, np.uint8), np.zeros(0, np.uint8)) if type == "address"
                     else (type, np.zeros(1, np.int64), b""))
            return cls(name, type, np.full(n, -1, dtype=np.int32), None, empty, n)
        return cls(name, type, np.zeros(n, dtype=np.dtype(type)), np.zeros(n, dtype=bool), None, n)

    def renamed(self, name: str) -> "Column":
        """The same column (sharing every array) under another name."""
        c = Column(name, self.type, self._data, self._valid, self._dict, self.null_count, self.logical)
        c._dict_values = self._dict_values
        return c

    def _to_core(self) -> tuple:
        """The column as the C core takes it (csrc/py/binding.h: vfpy_colviews_parse)."""
        return (self.name, self.type, self._data, self._valid, self._dict, self.null_count, self.logical)

    def __repr__(self) -> str:
        lg = f" ({self.logical})" if self.logical else ""
        return f"Column({self.name!r}, {self.type}{lg}, rows={len(self)}, nulls={self.null_count})"


class Schema(Mapping[str, str]):
    """Column names and their types, in order (a read-only mapping).

    Example:
        >>> import vpcflow
        >>> t = vpcflow.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 ACCEPT OK\\n")
        >>> t.schema["bytes"], list(t.schema)[:3]
        ('int64', ['version', 'account_id', 'interface_id'])
    """

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._items = list(items)
        self._map = dict(self._items)

    def __getitem__(self, name: str) -> str:
        return self._map[name]

    def __iter__(self) -> Iterator[str]:
        return (n for n, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Schema):
            return self._items == other._items
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}: {t}" for n, t in self._items)
        return f"Schema({inner})"


@dataclass(frozen=True)
class BadRecord:
    """A line that was not a valid record, kept by ``on_error="skip"``.

    Attributes:
        file: the file (or buffer name) it came from.
        line: its 1-based line number in the decompressed text.  For JSON
            input (CloudWatch Logs payloads, Firehose records) lines are
            records: line ``n`` is the object's ``n``-th log event or
            Firehose record, and a payload that is bad as a whole gets the
            number the next event would have.
        field: the field whose value was invalid, or None when the line as
            a whole is wrong (wrong number of fields, corrupt compression).
        text: the raw line (at most 4096 bytes of it); for JSON input the
            message, the event's JSON, or the JSON from the problem on.
        message: the full error message.
        offset: JSON input: the byte offset of the record in the
            (decompressed) object; None for text.
    """

    file: str
    line: int
    field: str | None
    text: str
    message: str
    offset: int | None = None


@dataclass
class ParseReport:
    """What a read saw: counts, and every bad record it skipped.

    Attributes:
        files: input files (or buffers) read.
        lines: non-blank lines seen, header lines included.
        rows: records returned.
        bad_lines: lines that were not valid records (``on_error="skip"``);
            every one is counted, the first ``max_bad_kept`` are kept in
            :attr:`bad_records`.
        header_lines: header lines (including repeated ones) skipped.
        blank_lines: empty lines skipped.
        ms_fixed: start/end values given in milliseconds and converted to seconds.
        bytes_in: bytes read from disk (compressed size for .gz).
        bytes_text: bytes of text parsed (after decompression).
        payloads: CloudWatch Logs subscription payloads read (data and
            control messages, whether delivered as they are, in Lambda,
            Kinesis or Firehose events, or as base64 records).
        control_messages: CONTROL_MESSAGE payloads among them (they hold
            no records).
        messages: log events of data payloads and Firehose records read,
            each one flow-log line (and counted in ``lines`` or
            ``blank_lines`` like a line of text).
        seconds: wall time of the read.
        threads: threads used.
        bad_records: the kept bad records.
    """

    files: int = 0
    lines: int = 0
    rows: int = 0
    bad_lines: int = 0
    header_lines: int = 0
    blank_lines: int = 0
    ms_fixed: int = 0
    bytes_in: int = 0
    bytes_text: int = 0
    payloads: int = 0
    control_messages: int = 0
    messages: int = 0
    seconds: float = 0.0
    threads: int = 1
    bad_records: list[BadRecord] = field(default_factory=list)

    def summary(self) -> str:
        """One line: files, rows, bad lines, sizes and speed."""
        mb = self.bytes_text / 1e6
        speed = f", {mb / self.seconds:,.0f} MB/s" if self.seconds > 0 else ""
        parts = [
            f"{self.files:,} files",
            f"{self.rows:,} rows",
            f"{self.bad_lines:,} bad lines",
            f"{self.bytes_in / 1e6:,.1f} MB in",
            f"{mb:,.1f} MB text",
            f"{self.seconds:.3f} s{speed}",
        ]
        if self.ms_fixed:
            parts.insert(3, f"{self.ms_fixed:,} ms timestamps fixed")
        if self.payloads or self.messages:
            json = f"{self.messages:,} messages"
            if self.payloads:
                json = f"{self.payloads:,} payloads ({self.control_messages:,} control), " + json
            parts.insert(1, json)
        return ", ".join(parts)

    def __str__(self) -> str:
        lines = [self.summary()]
        for b in self.bad_records[:10]:
            lines.append(f"  {b.message}")
        if self.bad_lines > 10:
            lines.append(f"  ... {self.bad_lines - min(10, len(self.bad_records)):,} more bad lines")
        return "\n".join(lines)


class Table:
    """Flow-log records as typed, nullable NumPy columns.

    Example:
        >>> import vpcflow
        >>> t = vpcflow.parse_text(
        ...     "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\\n"
        ...     "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\\n"
        ...     "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\\n")
        >>> t.num_rows, int(t["bytes"].sum()), t["srcaddr"].tolist()
        (2, 4249, ['172.31.16.139', None])
    """

    def __init__(self, columns: Sequence[Column],
                 report: "ParseReport | ParquetReadReport | ScanReport | None" = None) -> None:
        self._cols = list(columns)
        self._index = {c.name: i for i, c in enumerate(self._cols)}
        if len(self._index) != len(self._cols):
            raise ValueError("duplicate column names")
        n = {len(c) for c in self._cols}
        if len(n) > 1:
            raise ValueError(f"columns differ in length: {sorted(n)}")
        self._nrows = n.pop() if n else 0
        #: what made the table: a ParseReport (logs parsed), ParquetReadReport (Parquet files read)
        #: or ScanReport (a dataset scanned)
        self.report: ParseReport | ParquetReadReport | ScanReport = (
            report if report is not None else ParseReport(rows=self._nrows))

    # -- shape and schema ------------------------------------------------
    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return self._nrows

    def __len__(self) -> int:
        return self._nrows

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self._cols]

    @property
    def schema(self) -> Schema:
        """Column names and types."""
        return Schema([(c.name, c.type) for c in self._cols])

    @property
    def columns(self) -> list[Column]:
        """The columns in order."""
        return list(self._cols)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def column(self, name: str) -> Column:
        """The :class:`Column` ``name`` (raw codes/values, no copies)."""
        try:
            return self._cols[self._index[name]]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns are: {', '.join(self.column_names)}") from None

    def __getitem__(self, name: str) -> np.ndarray:
        """Column values as NumPy (see the module docstring for nulls)."""
        return self.column(name).to_numpy()

    # -- row selection -----------------------------------------------------
    def slice(self, offset: int = 0, length: int | None = None) -> "Table":
        """Rows ``offset`` to ``offset + length`` as a new table."""
        stop = self._nrows if length is None else min(self._nrows, offset + length)
        return Table([c.slice(offset, stop) for c in self._cols], self.report)

    def head(self, n: int = 10) -> "Table":
        """The first ``n`` rows."""
        return self.slice(0, n)

    def take(self, indices: Sequence[int] | np.ndarray, threads: int = 1) -> "Table":
        """The rows at ``indices`` as a new table; with ``threads`` > 1 each long column is
        gathered by that many threads in the C core.

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n"
            ...                   "2 1 eni-b 10.0.0.3 10.0.0.4 1 443 6 5 900 30 40 ACCEPT OK\\n")
            >>> t.take([1, 0], threads=2)["dstport"].tolist()
            [443, 22]
        """
        idx = np.asarray(indices, dtype=np.int64)
        return Table([c.take(idx, threads) for c in self._cols], self.report)

    def select(self, names: Sequence[str]) -> "Table":
        """A table of just the named columns."""
        return Table([self.column(n) for n in names], self.report)

    # -- queries -------------------------------------------------------------
    def lazy(self) -> "Query":
        """A lazy query over this table (see :mod:`vpcflow.query`).

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
            >>> t.lazy().filter(vf.col("bytes") > 100).select("srcaddr", "bytes").collect().to_pylist()
            [{'srcaddr': '10.0.0.1', 'bytes': 120}]
        """
        from .query import Query

        return Query(self)

    def query(self, text: str, threads: int | None = None) -> "Table":
        """Run a pipe-string query (CloudWatch Logs Insights style, :mod:`vpcflow.pipe`).

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
            >>> t.query('filter action = "REJECT" | stats count(*) as n by dstport').to_pylist()
            [{'dstport': 22, 'n': 1}]
        """
        from .pipe import apply

        return apply(self.lazy(), text).collect(threads)

    # -- conversion ----------------------------------------------------------
    def _to_core(self) -> list[tuple]:
        """The columns as the C core takes them (no copies)."""
        return [c._to_core() for c in self._cols]

    def to_pydict(self) -> dict[str, list[Any]]:
        """``{name: [values]}`` with Python ints/strs and None for null."""
        return {c.name: c.to_pylist() for c in self._cols}

    def to_pylist(self) -> list[dict[str, Any]]:
        """A list of row dicts."""
        d = self.to_pydict()
        names = list(d)
        return [dict(zip(names, row)) for row in zip(*d.values())] if names else []

    def to_arrow(self) -> "pyarrow.Table":
        """A ``pyarrow.Table`` (needs pyarrow).

        Value columns become arrays of the same type with nulls; string and
        address columns become dictionary<int32, string> arrays, binary
        columns dictionary<int32, binary>.
        """
        try:
            import pyarrow as pa
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_arrow() needs pyarrow: pip install 'vpcflow[arrow]'") from None
        arrays = []
        for c in self._cols:
            if c.is_dictionary:
                codes = c.codes
                idx = pa.array(codes, type=pa.int32(), mask=codes < 0 if c.null_count else None)
                vt = pa.binary() if c.type == "binary" else pa.string()
                arrays.append(pa.DictionaryArray.from_arrays(idx, pa.array(c.dictionary, type=vt)))
            else:
                mask = None if c._valid is None else ~c._valid
                arrays.append(pa.array(c.values, mask=mask))
        return pa.Table.from_arrays(arrays, names=self.column_names)

    def to_pandas(self) -> "pandas.DataFrame":
        """A ``pandas.DataFrame`` (needs pandas).

        Integer columns use pandas' nullable ``Int32``/``Int64``... dtypes,
        floats ``Float32``/``Float64``, bools ``boolean``; string, address
        and binary columns become ``Categorical``.
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'vpcflow[pandas]'") from None
        data: dict[str, Any] = {}
        for c in self._cols:
            if c.is_dictionary:
                data[c.name] = pd.Categorical.from_codes(c.codes, categories=pd.Index(c.dictionary, dtype=object),
                                                         validate=False)
            else:
                mask = np.zeros(len(c), dtype=bool) if c._valid is None else ~c._valid
                if c.type == "bool":
                    data[c.name] = pd.arrays.BooleanArray(c.values.astype(bool), mask)
                elif c.type.startswith("float"):
                    data[c.name] = pd.arrays.FloatingArray(c.values.copy(), mask)
                else:
                    data[c.name] = pd.arrays.IntegerArray(c.values.copy(), mask)
        return pd.DataFrame(data, columns=self.column_names)

    # -- display ---------------------------------------------------------------
    def _display_rows(self, limit: int) -> tuple[list[int], bool]:
        n = self._nrows
        if n <= limit:
            return list(range(n)), False
        half = limit // 2
        return list(range(half)) + list(range(n - half, n)), True

    def _cells(self, rows: list[int]) -> list[list[str]]:
        out = []
        idx = np.asarray(rows, dtype=np.int64)
        for c in self._cols:
            vals = c.take(idx).to_pylist()
            out.append(["-" if v is None else str(v) for v in vals])
        return out

    def to_string(self, limit: int = 10, max_width: int = 40) -> str:
        """The table as aligned text: the first and last rows if longer than ``limit``."""
        rows, cut = self._display_rows(limit)
        cells = self._cells(rows)
        cols = []
        for c, vals in zip(self._cols, cells):
            vals = [v if len(v) <= max_width else v[: max_width - 1] + "…" for v in vals]
            w = max([len(c.name), len(c.type)] + [len(v) for v in vals])
            cols.append((c, vals, w))
        lines = [f"vpcflow.Table: {self._nrows:,} rows x {len(self._cols)} columns"]
        if not cols:
            return lines[0]
        lines.append("  ".join(c.name.ljust(w) for c, _, w in cols).rstrip())
        lines.append("  ".join(c.type.ljust(w) for c, _, w in cols).rstrip())
        lines.append("  ".join("-" * w for _, _, w in cols))
        half = len(rows) // 2 if cut else len(rows)
        for i in range(len(rows)):
            if cut and i == half:
                lines.append("  ".join("…".ljust(w) for _, _, w in cols).rstrip())
            lines.append("  ".join(vals[i].rjust(w) if c.type in NUMERIC_TYPES else vals[i].ljust(w)
                                   for c, vals, w in cols).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.to_string()

    def _repr_html_(self) -> str:
        rows, cut = self._display_rows(20)
        cells = self._cells(rows)
        e = html.escape
        head = "".join(f"<th>{e(c.name)}<br><small>{e(c.type)}</small></th>" for c in self._cols)
        body = []
        half = len(rows) // 2 if cut else len(rows)
        for i in range(len(rows)):
            if cut and i == half:
                body.append("<tr>" + "<td>…</td>" * len(self._cols) + "</tr>")
            tds = []
            for c, vals in zip(self._cols, cells):
                align = ' style="text-align:right"' if c.type in NUMERIC_TYPES else ""
                tds.append(f"<td{align}>{e(vals[i])}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        caption = f"vpcflow.Table: {self._nrows:,} rows × {len(self._cols)} columns"
        return (f'<table class="vpcflow-table"><caption>{e(caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def parse_report(table: Table) -> ParseReport:
    """The :class:`ParseReport` of a table parsed from logs (what :func:`vpcflow.read_logs` and the
    other parsers return); a TypeError for a table read from Parquet or scanned from a dataset."""
    rep = table.report
    if not isinstance(rep, ParseReport):
        raise TypeError(f"the table was not parsed from logs: its report is a {type(rep).__name__}, "
                        "not a ParseReport")
    return rep


def table_from_core(result: dict, names: Sequence[str], seconds: float, threads: int) -> Table:
    """Build a :class:`Table` from the dict that ``_core.read`` returns."""
    cols = [Column(name, typ, data, valid, dct, nulls, logical)
            for name, typ, data, valid, dct, nulls, logical in result["columns"]]
    rep = ParseReport(**result["report"], seconds=seconds, threads=threads)
    rep.bad_records = [BadRecord(names[src], line, fld, text, msg, off if off >= 0 else None)
                       for src, line, fld, text, msg, off in result["bad"]]
    return Table(cols, rep)
