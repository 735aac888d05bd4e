"""Flow logs delivered as Parquet, read into the Table the text parser gives.

AWS's Parquet delivery (``*.log.parquet`` objects) already uses the canonical
names and types; files written by other tools (pandas, Spark, Glue jobs) often
do not.  Every Parquet input of :func:`vpcflow.read_logs` is normalised:

* **Names**: ``-`` becomes ``_`` (``account-id`` -> ``account_id``); pandas'
  index columns (``__index_level_0__``) are dropped; columns keep the
  canonical order of the known fields, then the others in file order.
* **Integers** (``version``, ports, ``protocol``, ``tcp_flags``,
  ``traffic_path``: int32; ``packets``, ``bytes``, ``start``, ``end``,
  ``packets_lost_*``: int64) from any integer width, from floats holding
  whole numbers (NaN is null: pandas writes nullable integers so), and from
  strings parsed as the text parser parses them, where ``-``, the empty
  string, ``None``, ``nan``, ``NaN``, ``null``, ``NULL`` and ``<NA>`` (the
  spellings of a missing value that pandas and others write) are null.
  ``start``/``end`` stored as Parquet timestamps become epoch seconds, and
  values that are clearly milliseconds become seconds, as in text.
* **Addresses** (``srcaddr``, ``dstaddr``, ``pkt_srcaddr``, ``pkt_dstaddr``)
  from strings, with the same null spellings.
* **Strings**: ``-`` is null, as in text; integers become their decimal text,
  account ids (``account_id``, ``tgw_*_account_id``) zero-padded to AWS's 12
  digits (an int64 column has lost the leading zeros).
* Other columns keep their Parquet type.

A value that does not convert is a bad record: with ``on_error="raise"`` a
:class:`~vpcflow.ParseError` naming the object, the row (``line``, 1-based
within the file), the column and the text; with ``"skip"`` the row is
dropped, counted in ``report.bad_lines`` and kept in ``report.bad_records``.
A file that cannot be read at all (corrupt, truncated, not Parquet inside
its gzip) is one bad record with ``"skip"`` (line 0), else its
:class:`~vpcflow.ParquetError`.  Conversions work on each column's distinct
values (the dictionary), never row by row in Python.
"""
from __future__ import annotations

import numpy as np

from . import _core as _core
from .errors import ParquetError, ParseError
from .table import DICT_TYPES, BadRecord, Column, ParseReport, Table

__all__ = ["read_parquet_objects", "normalize", "concat_tables", "merge_reports"]

_KNOWN = _core.known_fields()
CANONICAL: dict[str, str] = {col: typ for _, col, typ, _ in _KNOWN}
_ORDER: dict[str, int] = {col: i for i, (_, col, _, _) in enumerate(_KNOWN)}
_NULL_TEXT = frozenset({"", "-", "None", "none", "nan", "NaN", "NAN", "null", "NULL", "<NA>"})
_ACCOUNT_COLUMNS = frozenset({"account_id", "tgw_src_vpc_account_id", "tgw_dst_vpc_account_id"})
_MS_THRESHOLD = 100_000_000_000
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_TS_DIV = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


# ===================================================================
# Dictionaries
# ===================================================================
def string_dictionary(values: list[str]) -> tuple:
    """A string dictionary as the core keeps it: ``("string", offsets, bytes)``."""
    enc = [v.encode("utf-8", "surrogatepass") for v in values]
    offs = np.zeros(len(enc) + 1, dtype=np.int64)
    if enc:
        offs[1:] = np.cumsum([len(b) for b in enc])
    return ("string", offs, b"".join(enc))


def _string_column(name: str, values: list[str], codes: np.ndarray) -> Column:
    return Column(name, "string", codes.astype(np.int32, copy=False), None, string_dictionary(values))


def _remap(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """codes through a lookup table; -1 (null) stays -1, as does a table entry of -1."""
    if len(table) == 0:
        return np.full(len(codes), -1, dtype=np.int32)
    out = table[np.where(codes < 0, 0, codes)]
    return np.where(codes < 0, -1, out).astype(np.int32)


# ===================================================================
# One column to its canonical type
# ===================================================================
class _Bad:
    """Rows of a column whose values do not convert, and why."""

    def __init__(self, column: Column, target: str, mask: np.ndarray, why: str) -> None:
        self.column, self.target, self.mask, self.why = column, target, mask, why

    def text(self, row: int) -> str:
        v = self.column.slice(row, row + 1).to_pylist()[0]
        return repr(v) if not isinstance(v, str) else v


def _to_int(c: Column, name: str, target: str, src: str) -> tuple[Column, _Bad | None, int]:
    """An int32/int64 column, the rows that do not convert, and how many ms values were fixed."""
    n = len(c)
    lo, hi = _INT_RANGE[target]
    bad: np.ndarray | None = None
    if c.type in ("string", "binary"):
        d = c.dictionary
        vals = np.zeros(len(d), dtype=np.int64)
        null = np.zeros(len(d), dtype=bool)
        ok = np.zeros(len(d), dtype=bool)
        for i, s in enumerate(d.tolist()):  # per distinct value, not per row
            if isinstance(s, bytes):
                try:
                    s = s.decode()
                except UnicodeDecodeError:
                    continue
            if s.strip() in _NULL_TEXT:
                null[i] = True
                continue
            v = _core.parse_int(s.strip().encode())
            if v is not None and lo <= v <= hi:
                vals[i], ok[i] = v, True
        codes = c.codes
        safe = np.where(codes < 0, 0, codes)
        if len(d) == 0:
            valid = np.zeros(n, dtype=bool)
            values = np.zeros(n, dtype=np.int64)
            bad_rows = np.zeros(n, dtype=bool)
        else:
            valid = (codes >= 0) & ok[safe]
            values = np.where(valid, vals[safe], 0)
            bad_rows = (codes >= 0) & ~ok[safe] & ~null[safe]
        if bad_rows.any():
            bad = bad_rows
        why = "invalid integer"
    elif c.type in ("float32", "float64"):
        x = c.values
        valid = c.valid & np.isfinite(x)
        whole = valid & (np.floor(x) == x) & (x >= lo) & (x <= hi)
        bad_rows = valid & ~whole
        if bad_rows.any():
            bad = bad_rows
        valid = whole
        values = np.where(whole, x, 0).astype(np.int64)
        why = "not a whole number in range"
    elif c.type in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        x = c.values
        valid = c.valid
        if c.type == "uint64":
            inr = x <= np.uint64(hi)
        else:
            x64 = x.astype(np.int64)
            inr = (x64 >= lo) & (x64 <= hi)
        bad_rows = valid & ~inr
        if bad_rows.any():
            bad = bad_rows
            valid = valid & inr
        values = np.where(valid, x, 0).astype(np.int64)
        logical = c.logical or ""
        if logical.startswith("timestamp[") and name in ("start", "end"):
            unit = logical[len("timestamp["):].split(",")[0].split("]")[0].strip()
            values = values // _TS_DIV.get(unit, 1)
        why = "out of range"
    else:
        raise ParseError(f"{src}: column {name!r} holds {c.type} values, which cannot be read as {target}",
                         file=src, field=name, kind="parse error")
    fixed = 0
    if name in ("start", "end"):
        ms = valid & (values >= _MS_THRESHOLD)
        fixed = int(np.count_nonzero(ms))
        if fixed:
            values = np.where(ms, values // 1000, values)
    valid_arr = None if valid.all() else valid
    col = Column(name, target, values.astype(target), valid_arr)
    return col, (None if bad is None else _Bad(c, target, bad, why)), fixed


def _to_address(c: Column, name: str, src: str) -> tuple[Column, _Bad | None]:
    if c.type == "address":
        return c.renamed(name), None
    if c.type not in ("string", "binary"):
        raise ParseError(f"{src}: column {name!r} holds {c.type} values, which cannot be read as addresses",
                         file=src, field=name, kind="parse error")
    d = c.dictionary.tolist()
    addrs: list[bytes] = []
    fams: list[int] = []
    remap = np.full(len(d), -1, dtype=np.int32)
    invalid = np.zeros(len(d), dtype=bool)
    index: dict[tuple[bytes, int], int] = {}
    for i, s in enumerate(d):  # per distinct value
        if isinstance(s, bytes):
            s = s.decode("utf-8", "replace")
        t = s.strip()
        if t in _NULL_TEXT:
            continue
        got = _core.parse_addr(t.encode())
        if got is None:
            invalid[i] = True
            continue
        j = index.setdefault(got, len(addrs))
        if j == len(addrs):
            addrs.append(got[0])
            fams.append(got[1])
        remap[i] = j
    codes = _remap(c.codes, remap)
    raw = c.codes
    bad_rows = (raw >= 0) & (invalid[np.where(raw < 0, 0, raw)] if len(d) else False)
    col = Column(name, "address", codes, None,
                 ("address", np.frombuffer(b"".join(addrs), dtype=np.uint8).copy(), np.array(fams, dtype=np.uint8)))
    bad = _Bad(c, "address", bad_rows, "invalid IP address") if np.any(bad_rows) else None
    return col, bad


def _to_string(c: Column, name: str, src: str) -> Column:
    if c.type in ("string", "binary"):
        d = c.dictionary.tolist()
        if c.type == "binary":
            d = [b.decode("utf-8", "replace") for b in d]
        keep = [i for i, s in enumerate(d) if s != "-"]
        if len(keep) == len(d) and c.type == "string":
            return c.renamed(name)
        remap = np.full(len(d), -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        return _string_column(name, [d[i] for i in keep], _remap(c.codes, remap))
    if c.type == "address":
        return _string_column(name, c.dictionary.tolist(), c.codes)
    valid = c.valid
    x = c.values
    uniq, inv = np.unique(x[valid], return_inverse=True) if valid.any() else (x[:0], np.zeros(0, np.int64))
    if c.type == "bool":
        texts = ["true" if v else "false" for v in uniq.tolist()]
    elif c.type.startswith("float"):
        texts = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in uniq.tolist()]
    else:
        pad = 12 if name in _ACCOUNT_COLUMNS else 0
        texts = [str(v).zfill(pad) if v >= 0 else str(v) for v in uniq.tolist()]
    codes = np.full(len(c), -1, dtype=np.int32)
    codes[valid] = inv
    return _string_column(name, texts, codes)


# ===================================================================
# A table
# ===================================================================
def normalize(table: Table, src: str | list[tuple[str, int]], *, on_error: str = "raise",
              max_bad_kept: int = 100_000) -> tuple[Table, ParseReport]:
    """A Parquet table with the text parser's names and types (see the module documentation).

    Args:
        table: as :func:`vpcflow.pqread.read_plan` reads it (with ``addresses=None``).
        src: the file's name, or ``(name, rows)`` of each file the table holds, in order
            (for the row numbers of bad records).
        on_error, max_bad_kept: as for :func:`vpcflow.read_logs`.

    Returns:
        The normalised table and a report (rows, bad rows, millisecond fixes).
    """
    spans = [(src, table.num_rows)] if isinstance(src, str) else list(src)
    first = spans[0][0] if spans else "<parquet>"
    cols: list[tuple[tuple[int, int], Column]] = []
    bads: list[_Bad] = []
    ms_fixed = 0
    seen: set[str] = set()
    for pos, c in enumerate(table.columns):
        name = c.name.replace("-", "_")
        if name.startswith("__index_level_") and name.endswith("__"):
            continue  # pandas' index
        if name in seen:
            raise ParseError(f"{first}: two columns named {name!r}", file=first, field=name, kind="parse error")
        seen.add(name)
        target = CANONICAL.get(name)
        if target is None:
            out = c.renamed(name)
        elif target == "address":
            out, bad = _to_address(c, name, first)
            if bad is not None:
                bads.append(bad)
        elif target == "string":
            out = _to_string(c, name, first)
        else:
            out, bad, fixed = _to_int(c, name, target, first)
            ms_fixed += fixed
            if bad is not None:
                bads.append(bad)
        cols.append(((_ORDER.get(name, len(_ORDER)), pos), out))
    cols.sort(key=lambda kc: kc[0])
    result = Table([c for _, c in cols])
    rep = ParseReport(files=len(spans), lines=table.num_rows, rows=table.num_rows, ms_fixed=ms_fixed)
    if not bads:
        return result, rep
    any_bad = np.zeros(table.num_rows, dtype=bool)
    for b in bads:
        any_bad |= b.mask
    rows = np.flatnonzero(any_bad)
    starts = np.cumsum([0] + [r for _, r in spans])

    def record(row: int) -> BadRecord:
        b = next(b for b in bads if b.mask[row])
        fi = int(np.searchsorted(starts, row, side="right") - 1)
        name, line = spans[fi][0], row - int(starts[fi]) + 1
        text = b.text(row)
        fld = b.column.name.replace("-", "_")
        msg = f"{name}: row {line}: field {fld!r} ({b.target}): {b.why} {text!r}"
        return BadRecord(name, line, fld, text, msg, None)

    if on_error == "raise":
        r = record(int(rows[0]))
        raise ParseError(r.message, file=r.file, line=r.line, field=r.field, text=r.text, kind="parse error")
    rep.bad_lines = len(rows)
    rep.rows = table.num_rows - len(rows)
    rep.bad_records = [record(int(r)) for r in rows[:max_bad_kept]]
    return result.take(np.flatnonzero(~any_bad)), rep


# ===================================================================
# Putting tables together
# ===================================================================
def _column_order(tables: list[Table]) -> list[tuple[str, str]]:
    names: dict[str, tuple[str, tuple[int, int]]] = {}
    for ti, t in enumerate(tables):
        for ci, c in enumerate(t.columns):
            if c.name in names:
                if names[c.name][0] != c.type:
                    raise ParseError(f"column {c.name!r} is {names[c.name][0]} in one input and {c.type} in another",
                                     field=c.name, kind="parse error")
                continue
            names[c.name] = (c.type, (_ORDER.get(c.name, len(_ORDER)), ti * 100_000 + ci))
    return [(n, t) for n, (t, _) in sorted(names.items(), key=lambda kv: kv[1][1])]


def _concat_dict(name: str, typ: str, parts: list[Column]) -> Column:
    codes_out = []
    if typ == "address":
        keys = []
        for c in parts:
            a, fam = c.address_bytes if c.type == "address" else (np.zeros((0, 16), np.uint8), np.zeros(0, np.uint8))
            k = np.concatenate([a.reshape(-1, 16), fam.reshape(-1, 1)], axis=1) if len(fam) else np.zeros((0, 17), np.uint8)
            keys.append(np.ascontiguousarray(k))
        allk = np.concatenate(keys) if keys else np.zeros((0, 17), np.uint8)
        uniq, inv = np.unique(allk.view(np.dtype((np.void, 17))).ravel(), return_inverse=True)
        u = uniq.view(np.uint8).reshape(-1, 17)
        dictionary = ("address", np.ascontiguousarray(u[:, :16]).ravel(), np.ascontiguousarray(u[:, 16]))
    else:
        vals = [c.dictionary for c in parts]
        allv = np.concatenate(vals) if vals else np.zeros(0, dtype=object)
        if len(allv):
            uniq, inv = np.unique(allv, return_inverse=True)
        else:
            uniq, inv = allv, np.zeros(0, np.int64)
        dictionary = string_dictionary(uniq.tolist()) if typ == "string" else _binary_dictionary(uniq.tolist())
    off = 0
    inv32 = inv.astype(np.int32).ravel()
    for c in parts:
        size = len(c.dictionary) if c.type != "address" else len(c.address_bytes[1])
        codes_out.append(_remap(c.codes, inv32[off:off + size]))
        off += size
    return Column(name, typ, np.concatenate(codes_out) if codes_out else np.zeros(0, np.int32), None, dictionary)


def _binary_dictionary(values: list[bytes]) -> tuple:
    offs = np.zeros(len(values) + 1, dtype=np.int64)
    if values:
        offs[1:] = np.cumsum([len(b) for b in values])
    return ("binary", offs, b"".join(values))


def concat_tables(tables: list[Table]) -> Table:
    """Rows of several tables one after the other: the union of their columns (canonical order first),
    nulls where a table lacks a column, dictionaries merged (each value once)."""
    tables = [t for t in tables]
    if len(tables) == 1:
        return tables[0]
    order = _column_order(tables)
    cols = []
    for name, typ in order:
        parts = [t.column(name) if name in t else Column.nulls(name, typ, t.num_rows) for t in tables]
        if typ in DICT_TYPES:
            cols.append(_concat_dict(name, typ, parts))
            continue
        values = np.concatenate([p.values for p in parts])
        valid = None
        if any(p.null_count for p in parts):
            valid = np.concatenate([p.valid for p in parts])
        logicals = {p.logical for p in parts if p.null_count < len(p)}
        cols.append(Column(name, typ, values, valid, None, logical=logicals.pop() if len(logicals) == 1 else None))
    return Table(cols)


def merge_reports(reports: list[ParseReport], max_bad_kept: int) -> ParseReport:
    """Counts added up, bad records kept in order up to ``max_bad_kept``."""
    out = ParseReport()
    for r in reports:
        for f in ("files", "lines", "rows", "bad_lines", "header_lines", "blank_lines", "ms_fixed", "bytes_in",
                  "bytes_text", "payloads", "control_messages", "messages"):
            setattr(out, f, getattr(out, f) + getattr(r, f))
        out.threads = max(out.threads, r.threads)
        room = max_bad_kept - len(out.bad_records)
        if room > 0:
            out.bad_records.extend(r.bad_records[:room])
    return out


# ===================================================================
# Reading Parquet objects
# ===================================================================
def _open(name: str, data: bytes | None):
    """A ParquetFile for a path or bytes, gzip-wrapped or not."""
    from .pqread import ParquetFile

    if data is None:
        with open(name, "rb") as f:
            head = f.read(2)
        if head != b"\x1f\x8b":
            return ParquetFile(name)
        with open(name, "rb") as f:
            data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = _core.decompress(data)
        except ParseError as e:
            raise ParquetError(f"{name}: damaged gzip around a Parquet file: {e}", file=name,
                               kind="corrupt compressed data") from None
        if data[:4] != b"PAR1":
            raise ParquetError(f"{name}: a gzip file that does not hold Parquet", file=name)
    return ParquetFile(data, name=name)


def _signature(f) -> tuple:
    return tuple((c.name, c.physical, c.annotation, c.type) for c in f.schema)


def read_parquet_objects(items: list[tuple[str, bytes | None, int]], *, on_error: str = "raise",
                         threads: int = 1, max_bad_kept: int = 100_000) -> tuple[Table, ParseReport]:
    """Read Parquet flow-log objects into one normalised table.

    Args:
        items: ``(name, bytes or None, size)`` per object: None reads the local file ``name``.
        on_error, threads, max_bad_kept: as for :func:`vpcflow.read_logs`.

    Returns:
        The table (rows in object order) and its report.
    """
    from .pqread import read_plan

    reports: list[ParseReport] = []
    tables: list[Table] = []
    opened: list[tuple[str, object, int]] = []

    def fail(name: str, e: ParseError) -> None:
        if on_error == "raise":
            raise e
        msg = str(e) if str(e).startswith(name) else f"{name}: {e}"
        reports.append(ParseReport(files=1, bad_lines=1, bytes_in=0,
                                   bad_records=[BadRecord(name, 0, getattr(e, "field", None), "", msg, None)]))

    for name, data, size in items:
        try:
            opened.append((name, _open(name, data), size))
        except ParquetError as e:
            fail(name, e)
            reports[-1].bytes_in = size
    groups: list[list[tuple[str, object, int]]] = []
    for item in opened:
        if groups and _signature(groups[-1][-1][1]) == _signature(item[1]):
            groups[-1].append(item)
        else:
            groups.append([item])

    def read_group(group: list) -> None:
        t = read_plan([f for _, f, _ in group], [None] * len(group), threads=threads, addresses=None)
        spans = [(n, f.num_rows) for n, f, _ in group]
        nt, rep = normalize(t, spans, on_error=on_error, max_bad_kept=max_bad_kept)
        rep.bytes_in = sum(s for _, _, s in group)
        tables.append(nt)
        reports.append(rep)

    for group in groups:
        try:
            read_group(group)
        except ParquetError as e:
            if on_error == "raise" or len(group) == 1:
                fail(group[0][0] if len(group) == 1 else e.file or group[0][0], e)
                if len(group) == 1:
                    reports[-1].bytes_in = group[0][2]
                continue
            for item in group:  # find the damaged file(s); the others still read
                try:
                    read_group([item])
                except ParquetError as e1:
                    fail(item[0], e1)
                    reports[-1].bytes_in = item[2]
    table = concat_tables(tables) if tables else Table([])
    rep = merge_reports(reports, max_bad_kept)
    return table, rep
