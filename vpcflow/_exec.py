"""The query kernels from Python (private): filters, computed columns, grouped
aggregation and top-k over a :class:`~vpcflow.Table`, run by the C core
(``csrc/exec/``, bound in ``csrc/py/exec.c``).  The query layer builds on this;
every per-row step happens in C, a morsel of rows at a time, on ``threads``
threads (default: every core), with the GIL released.

Programs
--------
An expression is a *program*: a list of nodes in postfix order, each a tuple
naming its op.  Leaves push a vector, ops pop their operands and push the
result::

    ("col", c)              the column c (a name or an index)
    ("int", v) ("float", f) ("bool", b) ("null",)      literals
    ("add",) ("sub",) ("mul",) ("div",) ("idiv",) ("mod",) ("neg",) ("abs",)
    ("eq",) ("ne",) ("lt",) ("le",) ("gt",) ("ge",)
    ("and",) ("or",) ("not",) ("is_null",) ("is_not_null",)
    ("in", values)          values: any integers (sorted and deduplicated here)
    ("lut", table, null)    a dictionary column's codes through table[code]
                            (False/True/None, or 0/1/2 for null); ``null`` is
                            the result for a null code (False, True or None)
    ("bin", width, origin)  origin + floor((x - origin) / width) * width
    ("coalesce",) ("if",)   if pops else, then, condition

Kinds: integer and bool columns give ``int`` vectors, float columns
``float``, string/address/binary columns ``codes`` (usable only by ``lut``,
``is_null`` and ``is_not_null``; :func:`dict_lut` builds tables).
Comparisons and logic give ``bool``.  ``int`` op ``int`` stays ``int``
(wrapping on overflow) except ``div``, which gives ``float``; ``idiv`` and
``mod`` are Python's ``//`` and ``%``; division or modulo by zero is null.

Semantics are SQL's (and DuckDB's): a null operand gives null, ``and``/``or``
/``not`` are three-valued, a filter keeps the rows whose condition is true;
NaN equals NaN and is larger than any other number; ``-0.0`` equals ``0.0``;
an ``int`` compared with a ``float`` is converted to float.

Example:
    >>> import vpcflow
    >>> from vpcflow import _exec
    >>> t = vpcflow.parse_text(
    ...     "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 ACCEPT OK\\n"
    ...     "2 1 eni-a 10.0.0.3 10.0.0.2 1 80 6 3 500 10 20 REJECT OK\\n"
    ...     "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 900 10 20 ACCEPT OK\\n")
    >>> _exec.filter(t, [("col", "bytes"), ("int", 200), ("gt",)]).tolist()
    [1, 2]
    >>> rejected = _exec.dict_lut(t.column("action"), ["REJECT"])
    >>> _exec.filter(t, [("col", "action"), ("lut", rejected, None)]).tolist()
    [1]
    >>> g = _exec.group_agg(t, ["srcaddr"], [("sum", "bytes"), ("count_all",)])
    >>> sorted(zip(g["srcaddr"].tolist(), g["sum(bytes)"].tolist(), g["count(*)"].tolist()))
    [('10.0.0.1', 1020, 2), ('10.0.0.3', 500, 1)]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union

import numpy as np

from . import _core
from .reader import _threads
from .table import Column, Table

__all__ = ["Agg", "AGG_OPS", "check", "dict_lut", "evaluate", "filter", "group_agg", "topk"]

#: a program node: ("op", args...)
Node = tuple
Program = Sequence[Node]
ColumnRef = Union[str, int]
Selection = Union[np.ndarray, Sequence[int], None]

#: the aggregate ops :func:`group_agg` knows
AGG_OPS = ("count_all", "count", "sum", "min", "max", "avg", "stddev", "stddev_pop", "variance", "corr",
           "count_distinct", "approx_distinct", "arg_min", "arg_max")


@dataclass(frozen=True)
class Agg:
    """One aggregate of :func:`group_agg`.

    Attributes:
        op: one of :data:`AGG_OPS`.  ``count_all`` counts rows; ``count``
            non-null values; ``sum`` (int64, an error if a group's sum does
            not fit; float64 for floats), ``min``/``max`` (the column's kind:
            int64, uint64 or float64), ``avg``, ``stddev`` (sample),
            ``stddev_pop``, ``variance`` (sample) and ``corr`` (of column and
            column2) ignore nulls and are null without values (``stddev``,
            ``variance``: below two; ``corr`` is NaN when a variance is 0, as
            in DuckDB 2); ``count_distinct`` is exact, ``approx_distinct`` a
            HyperLogLog estimate of precision ``param`` (4..16, default 12);
            ``arg_min``/``arg_max`` give column's value (its own type) at the
            row with the smallest/largest column2, the first such row on ties,
            among rows where both are non-null (``param=1``: column may be
            null, DuckDB's ``arg_min_null``).
        column: the input column (name or index); None for ``count_all``.
        column2: ``corr``'s second column, ``arg_min``/``arg_max``'s ordering column.
        param: see ``op``.
        name: the result column's name (default ``op(column)``).
    """

    op: str
    column: ColumnRef | None = None
    column2: ColumnRef | None = None
    param: int = 0
    name: str | None = None


AggLike = Union[Agg, tuple]


def _index(table: Table, c: ColumnRef) -> int:
    if isinstance(c, (int, np.integer)):
        if not 0 <= c < len(table.columns):
            raise IndexError(f"column {c} out of range ({len(table.columns)} columns)")
        return int(c)
    names = table.column_names
    if c not in names:
        raise KeyError(f"no column {c!r}; columns are: {', '.join(names)}")
    return names.index(c)


class _Cols:
    """The columns a call uses, in order of first use: the core checks every
    column it is given (a pass over dictionary codes), so it gets only these."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.pos: dict[int, int] = {}

    def __call__(self, c: ColumnRef) -> int:
        i = _index(self.table, c)
        return self.pos.setdefault(i, len(self.pos))

    def core(self) -> list[tuple]:
        cols = self.table.columns
        if not self.pos and cols:  # one column at least: it gives the row count
            self(0)
        return [cols[i]._to_core() for i in self.pos]


def _sel(sel: Selection) -> np.ndarray | None:
    return None if sel is None else np.ascontiguousarray(sel, dtype=np.int64)


def _lut_value(v: Any) -> int:
    return 2 if v is None else int(v)


def _program(cols: _Cols, program: Program) -> list[tuple]:
    """Names to indexes, sets and tables to the arrays the core takes."""
    out: list[tuple] = []
    for node in program:
        op, args = node[0], tuple(node[1:])
        if op == "col" and len(args) == 1:
            out.append(("col", cols(args[0])))
        elif op == "in" and len(args) == 1:
            vals = args[0] if isinstance(args[0], np.ndarray) else list(args[0])
            out.append(("in", np.unique(np.asarray(vals, dtype=np.int64))))
        elif op == "lut" and len(args) in (1, 2):
            lut = args[0]
            if not (isinstance(lut, np.ndarray) and lut.dtype == np.uint8):
                lut = np.array([_lut_value(v) for v in lut], dtype=np.uint8)
            out.append(("lut", lut, _lut_value(args[1] if len(args) > 1 else None)))
        elif op == "float" and len(args) == 1:
            out.append(("float", float(args[0])))
        elif op in ("int", "bool") and len(args) == 1:
            out.append((op, int(args[0])))
        else:  # as it is: the core names what is wrong
            out.append((op, *args))
    return out


def dict_lut(column: Column, values: Iterable[Any], negate: bool = False) -> np.ndarray:
    """A ``lut`` table for a dictionary column: 1 where the dictionary value
    is one of ``values`` (0 where not; the other way round with ``negate``).

    Values are compared with the column's rendered dictionary (``str`` for
    strings and addresses, in canonical form, ``bytes`` for binary).
    """
    d = column.dictionary
    want = set(values)
    hit = np.fromiter((v in want for v in d.tolist()), dtype=bool, count=len(d))
    return (hit != negate).astype(np.uint8)


def check(table: Table, program: Program) -> str:
    """The result kind of a program (``"bool"``, ``"int"``, ``"float"`` or
    ``"codes"``); ValueError naming the bad node if it cannot run."""
    cols = _Cols(table)
    prog = _program(cols, program)
    return _core.expr_check(cols.core(), prog)


def filter(table: Table, program: Program, sel: Selection = None, threads: int | None = None) -> np.ndarray:
    """The rows (of ``sel``, in its order, or of the table) where the bool
    program is true (not false, not null), as int64 row indices."""
    cols = _Cols(table)
    prog = _program(cols, program)
    return _core.filter(cols.core(), prog, _sel(sel), _threads(threads))


def evaluate(table: Table, program: Program, sel: Selection = None,
             threads: int | None = None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The program's value for each row (of ``sel``): ``(values, valid, kind)``
    with values int64 (``int``), float64 (``float``) or bool (``bool``), and
    valid a bool array (True where not null) or None when nothing is null."""
    cols = _Cols(table)
    prog = _program(cols, program)
    values, valid, kind = _core.eval(cols.core(), prog, _sel(sel), _threads(threads))
    if kind == "bool":
        values = values.astype(bool)
    return values, valid, kind


def _agg(cols: _Cols, a: AggLike) -> tuple[tuple[str, int, int, int], str, Column | None]:
    if not isinstance(a, Agg):
        a = Agg(*a)
    if a.op not in AGG_OPS:
        raise ValueError(f"unknown aggregate {a.op!r}; known: {', '.join(AGG_OPS)}")
    table = cols.table
    if a.op == "count_all":
        return (a.op, 0, -1, int(a.param)), a.name or "count(*)", None
    if a.column is None:
        raise ValueError(f"aggregate {a.op!r} needs a column")
    src = table.columns[_index(table, a.column)]
    named = [table.columns[_index(table, c)].name for c in (a.column, a.column2) if c is not None]
    col, col2 = cols(a.column), -1 if a.column2 is None else cols(a.column2)
    return (a.op, col, col2, int(a.param)), a.name or f"{a.op}({', '.join(named)})", src


_DTYPE_TYPES = {np.dtype(t): t for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                          "float32", "float64")}
_DTYPE_TYPES[np.dtype(bool)] = "bool"


def group_agg(table: Table, keys: Sequence[ColumnRef], aggs: Sequence[AggLike], sel: Selection = None,
              threads: int | None = None, strategy: str = "auto") -> Table:
    """Group the rows (of ``sel``) by ``keys`` and compute ``aggs``.

    Returns a :class:`Table` with one row per group, in no particular order:
    the key columns (same names and types; string/address columns share the
    input's dictionary; a null key is a group of its own), then one column
    per aggregate (see :class:`Agg`).  Without keys there is exactly one
    row, even for no input rows.  ``strategy`` ("auto", "direct", "packed",
    "multi") forces a grouping method, for tests; the one used is in the
    result's ``strategy`` attribute.
    """
    cols = _Cols(table)
    key_idx = [cols(k) for k in keys]
    specs = [_agg(cols, a) for a in aggs]
    kout, aout, used = _core.group_agg(cols.core(), key_idx, [s for s, _, _ in specs], _sel(sel), _threads(threads),
                                       strategy)
    result: list[Column] = []
    for k, (values, valid) in zip(keys, kout):
        src = table.columns[_index(table, k)]
        result.append(_result_column(src.name, src, values, valid))
    taken = {c.name for c in result}
    for (spec, name, agg_src), (values, valid) in zip(specs, aout):
        keep_type = spec[0] in ("arg_min", "arg_max")
        # the same aggregate asked twice (under two aliases, say) gives two columns
        unique, k = name, 1
        while unique in taken:
            k += 1
            unique = f"{name}#{k}"
        taken.add(unique)
        result.append(_result_column(unique, agg_src if keep_type else None, values, valid))
    out = Table(result)
    out.strategy = used  # type: ignore[attr-defined]
    return out


def _result_column(name: str, like: Column | None, values: np.ndarray, valid: np.ndarray | None) -> Column:
    if like is not None and like.is_dictionary:
        c = Column(name, like.type, values, None, like._dict, logical=like.logical)
        c._dict_values = like._dict_values
        return c
    typ = like.type if like is not None else _DTYPE_TYPES[values.dtype]
    if typ == "bool":
        values = values.view(np.bool_) if values.dtype == np.uint8 else values
    return Column(name, typ, values, valid, logical=like.logical if like is not None else None)


def topk(table: Table, column: ColumnRef, k: int, descending: bool = True, sel: Selection = None) -> np.ndarray:
    """The row indices of the ``k`` rows (of ``sel``) with the largest
    (``descending``) or smallest values of a numeric column, best first;
    nulls last, ties by the lower row index; NaN counts as the largest."""
    col = table.columns[_index(table, column)]
    return _core.topk(col._to_core(), int(k), bool(descending), _sel(sel))
