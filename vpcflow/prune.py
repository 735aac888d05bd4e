"""Deciding from statistics alone which parts of a Parquet dataset a filter can skip.

A filter expression is evaluated abstractly: instead of values it gets what
is known about a column in a file, row group or page (min, max, null count,
row count, and a bloom filter to ask), and yields the set of outcomes the
condition could have there, a subset of {true, false, null}.  A part whose
set lacks "true" cannot contribute a row and is skipped.  The analysis is
conservative: whatever it cannot reason about (arithmetic, subnets, two
columns compared) may be anything, so nothing that could match is ever
skipped; the exact filter still runs on every row that is read.

Page pruning uses the page index per conjunct: each top-level ``&`` part that
reads a single column is evaluated against that column's pages, giving row
ranges; the ranges of the parts are intersected.

Example:
    >>> import vpcflow as vf
    >>> from vpcflow.prune import ColumnStats, outcomes
    >>> s = {"dstport": ColumnStats(min=1000, max=2000, null_count=0, num_values=50)}
    >>> sorted(outcomes(vf.col("dstport") == 22, s.get))
    ['F']
    >>> sorted(outcomes(vf.col("dstport").between(1500, 3000), s.get))
    ['F', 'T']
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from . import expr as E

__all__ = ["ColumnStats", "outcomes", "may_match", "conjuncts", "bloom_values", "RowRanges"]

T, F, N = "T", "F", "N"
ANY = frozenset((T, F, N))


@dataclass(frozen=True)
class ColumnStats:
    """What is known about one column in one part (file, row group or page).

    ``min``/``max`` are None when unknown; ``null_count`` None when unknown;
    ``num_values`` counts rows, nulls included.
    """

    min: Any = None
    max: Any = None
    null_count: Optional[int] = None
    num_values: Optional[int] = None


StatsFn = Callable[[str], Optional[ColumnStats]]
BloomFn = Callable[[str, list], bool]  # (column, values) -> may any be present


def _kleene_and(a: str, b: str) -> str:
    if a == F or b == F:
        return F
    if a == N or b == N:
        return N
    return T


def _kleene_or(a: str, b: str) -> str:
    if a == T or b == T:
        return T
    if a == N or b == N:
        return N
    return F


def _comparable(v: Any, lo: Any) -> bool:
    if isinstance(v, bool) or isinstance(lo, bool):
        return False
    if isinstance(v, (int, float)) and isinstance(lo, (int, float)):
        return not (isinstance(v, float) and math.isnan(v)) and not (isinstance(lo, float) and math.isnan(lo))
    return isinstance(v, str) and isinstance(lo, str)


def _cmp_outcomes(op: str, s: ColumnStats, v: Any) -> frozenset:
    """Outcomes of `column op v` given the column's stats."""
    out: set[str] = set()
    nulls_possible = s.null_count is None or s.null_count > 0
    if nulls_possible:
        out.add(N)
    all_null = s.null_count is not None and s.num_values is not None and s.null_count >= s.num_values
    if all_null:
        return frozenset(out or {N})
    lo, hi = s.min, s.max
    if v is None:
        return frozenset({N})
    if lo is None or hi is None or not _comparable(v, lo) or not _comparable(v, hi):
        return frozenset(out | {T, F})
    if op == "==":
        if lo <= v <= hi:
            out.add(T)
        if not (lo == hi == v):
            out.add(F)
    elif op == "!=":
        if not (lo == hi == v):
            out.add(T)
        if lo <= v <= hi:
            out.add(F)
    elif op == "<":
        if lo < v:
            out.add(T)
        if hi >= v:
            out.add(F)
    elif op == "<=":
        if lo <= v:
            out.add(T)
        if hi > v:
            out.add(F)
    elif op == ">":
        if hi > v:
            out.add(T)
        if lo <= v:
            out.add(F)
    elif op == ">=":
        if hi >= v:
            out.add(T)
        if lo < v:
            out.add(F)
    return frozenset(out)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _literal(e: E.Expr, column_type: Callable[[str], str | None], colname: str) -> tuple[bool, Any]:
    """(ok, value) of a literal, canonicalised for the column it is compared with."""
    if not isinstance(e, E.Lit):
        return False, None
    v = e.value
    if isinstance(v, str) and column_type(colname) == "address":
        from .compile import canonical_address

        v = canonical_address(v)
        if v is None:
            return False, None
    return True, v


def outcomes(e: E.Expr, stats: StatsFn, bloom: BloomFn | None = None,
             column_type: Callable[[str], str | None] = lambda name: None) -> frozenset:
    """The outcomes (subset of {"T", "F", "N"}) the condition could have in a part."""
    e = _unalias(e)
    if isinstance(e, E.Logic):
        a = outcomes(e.left, stats, bloom, column_type)
        b = outcomes(e.right, stats, bloom, column_type)
        f = _kleene_and if e.op == "&" else _kleene_or
        return frozenset(f(x, y) for x in a for y in b)
    if isinstance(e, E.Not):
        a = outcomes(e.arg, stats, bloom, column_type)
        return frozenset({T: F, F: T, N: N}[x] for x in a)
    if isinstance(e, E.Lit):
        v = e.value
        return frozenset({N}) if v is None else frozenset({T if v else F})
    if isinstance(e, E.Cmp):
        return _cmp(e, stats, bloom, column_type)
    if isinstance(e, E.IsIn):
        return _isin(e, stats, bloom, column_type)
    if isinstance(e, E.IsNull):
        arg = _unalias(e.arg)
        if isinstance(arg, E.NameOf):
            arg = _unalias(arg.arg)
        if isinstance(arg, E.Col):
            s = stats(arg.name)
            if s is not None and s.null_count is not None:
                can_null = s.null_count > 0
                can_value = s.num_values is None or s.null_count < s.num_values
                res = {T} if can_null else set()
                if can_value:
                    res.add(F)
                if e.negate:
                    res = {{T: F, F: T}[x] for x in res}
                return frozenset(res)
        return frozenset({T, F})
    return ANY


def _cmp(e: E.Cmp, stats: StatsFn, bloom: BloomFn | None, column_type) -> frozenset:
    left, right, op = _unalias(e.left), _unalias(e.right), e.op
    if isinstance(left, E.Lit) and isinstance(right, (E.Col, E.NameOf)):
        left, right, op = right, left, _FLIP[op]
    if isinstance(left, E.NameOf) and isinstance(right, E.Lit) and isinstance(right.value, str) and op in ("==", "!="):
        from .compile import _numbers_named

        nums = [int(x) for x in _numbers_named(left.kind, [right.value])]
        res = _isin(E.IsIn(left.arg, tuple(nums)), stats, bloom, column_type)
        return frozenset({T: F, F: T, N: N}[x] for x in res) if op == "!=" else res
    if not isinstance(left, E.Col):
        return ANY
    ok, v = _literal(right, column_type, left.name)
    if not ok:
        return ANY
    s = stats(left.name)
    if s is None:
        return ANY
    res = _cmp_outcomes(op, s, v)
    if op == "==" and T in res and bloom is not None and v is not None and not bloom(left.name, [v]):
        res = res - {T}
    return res


def _isin(e: E.IsIn, stats: StatsFn, bloom: BloomFn | None, column_type) -> frozenset:
    arg = _unalias(e.arg)
    if isinstance(arg, E.NameOf):
        return ANY
    if not isinstance(arg, E.Col):
        return ANY
    s = stats(arg.name)
    if s is None:
        return ANY
    vals = []
    for v in e.values:
        ok, cv = _literal(E.Lit(v), column_type, arg.name)
        if not ok:
            return ANY
        vals.append(cv)
    if not vals:
        return frozenset({F, N}) if (s.null_count is None or s.null_count > 0) else frozenset({F})
    res: set[str] = set()
    for v in vals:  # the union over-approximates F, which is sound
        res |= _cmp_outcomes("==", s, v)
    if T in res and bloom is not None and not bloom(arg.name, vals):
        res.discard(T)
    return frozenset(res)


def int_bound_test(part: E.Expr) -> Callable[[int, int], bool] | None:
    """For ``column OP integer`` (either side, OP one of ``== < <= > >=``), a test of a part's
    integer ``(min, max)``: whether the comparison can be true there, by the rules
    :func:`outcomes` applies; None for any other condition.  The page-index planner judges
    hundreds of pages with it without the general walk.

    Example:
        >>> from vpcflow import col
        >>> test = int_bound_test(col("start") >= 100)
        >>> test(0, 99), test(50, 150)
        (False, True)
    """
    part = _unalias(part)
    if not isinstance(part, E.Cmp) or part.op not in ("==", "<", "<=", ">", ">="):
        return None
    left, right, op = _unalias(part.left), _unalias(part.right), part.op
    if isinstance(left, E.Lit):
        left, right, op = right, left, _FLIP[op]
    if not isinstance(left, E.Col) or not isinstance(right, E.Lit) or type(right.value) is not int:
        return None
    v = right.value
    return lambda lo, hi: T in _cmp_outcomes(op, ColumnStats(lo, hi, 0, None), v)


def _unalias(e: E.Expr) -> E.Expr:
    while isinstance(e, E.Alias):
        e = e.arg
    return e


def may_match(e: E.Expr, stats: StatsFn, bloom: BloomFn | None = None,
              column_type: Callable[[str], str | None] = lambda name: None) -> bool:
    """Whether any row of a part could satisfy the condition."""
    return T in outcomes(e, stats, bloom, column_type)


def conjuncts(e: E.Expr) -> list[E.Expr]:
    """The top-level ``&`` parts of a condition."""
    e = _unalias(e)
    if isinstance(e, E.Logic) and e.op == "&":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def bloom_values(e: E.Expr) -> dict[str, list]:
    """Columns with equality / isin literals (what a bloom filter can rule out)."""
    out: dict[str, list] = {}
    for part in conjuncts(e):
        part = _unalias(part)
        if isinstance(part, E.Cmp) and part.op == "==":
            l, r = _unalias(part.left), _unalias(part.right)
            if isinstance(r, E.Col):
                l, r = r, l
            if isinstance(l, E.Col) and isinstance(r, E.Lit) and r.value is not None:
                out.setdefault(l.name, []).append(r.value)
        elif isinstance(part, E.IsIn):
            arg = _unalias(part.arg)
            if isinstance(arg, E.Col):
                out.setdefault(arg.name, []).extend(part.values)
    return out


# ===================================================================
# Row ranges
# ===================================================================
class RowRanges:
    """A sorted set of disjoint half-open row ranges [start, stop).

    Example:
        >>> (RowRanges([(0, 10), (20, 30)]) & RowRanges([(5, 25)])).ranges
        [(5, 10), (20, 25)]
    """

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted((int(a), int(b)) for a, b in ranges if b > a):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self.ranges = merged

    def __and__(self, other: "RowRanges") -> "RowRanges":
        out = []
        i = j = 0
        a, b = self.ranges, other.ranges
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo < hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return RowRanges(out)

    def rows(self) -> int:
        return sum(b - a for a, b in self.ranges)

    def __repr__(self) -> str:
        return f"RowRanges({self.ranges})"
