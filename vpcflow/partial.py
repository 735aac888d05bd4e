"""Aggregation in batches (private): partial aggregates per batch, combined exactly.

A dataset query whose scan would not fit its memory budget runs a batch of
whole row groups at a time (:meth:`vpcflow.Query.collect`, ``memory_limit``):
each batch is filtered and aggregated on its own into *partial* aggregates, a
few rows per group, and the partial rows of every batch are then combined into
the final groups here.  Memory is then bounded by one batch plus the partial
rows, not by the rows scanned.

Every aggregate is split into parts that combine exactly (:func:`split`):

=====================  ====================================  =====================================
aggregate              parts per batch                       combined
=====================  ====================================  =====================================
count(), count(x)      the count                             added
sum(x)                 sum(x)                                added (null when every part is)
min(x), max(x)         min(x), max(x)                        min, max (NaN largest, as SQL's)
avg(x)                 avg(x), count(x)                      weighted by the counts
variance, stddev(_pop) count, mean, stddev_pop                Chan's merge of the moments
corr(x, y)             over the rows with both: count, the   Chan's merge of the moments and of
                       means, stddev_pop of each, corr       the co-moment
earliest/latest(x, b)  x and b at the batch's first/last b   the row of the first/last b (ties:
                       (rows with x or b null passed over)   the earliest batch, as the first row)
count_distinct(x)      the distinct (keys, x) pairs          pairs deduplicated, then counted
=====================  ====================================  =====================================

``count_distinct(x, approx=True)`` is computed exactly in batches (a
HyperLogLog sketch per group cannot leave the C core); the exact count is
within the estimate's error by definition.

Known differences from one scan, all at the edges of 64-bit integers: an
integer ``sum`` whose total over one batch leaves int64 fails even when the
whole total would fit (one scan counts in 128 bits; flow-log byte counts are
nowhere near); ``avg`` of integers combines float means, so values near
2^62 that cancel lose digits (one scan sums them exactly).  Groups come out
sorted by their keys; one scan gives them in no particular order, and either
way only a ``sort``/``top`` fixes the order.

The combine sorts the partial rows by their group keys (the batches' tables
are concatenated with their dictionaries merged and sorted by value, so codes
compare as values do) and reduces each run of equal keys with NumPy; no
Python loop per row or per group.

Example:
    >>> import vpcflow as vf
    >>> from vpcflow import partial
    >>> s = partial.split([vf.avg("bytes").alias("mean"), vf.count_distinct("srcaddr")])
    >>> [(p.op, p.output_name) for p in s.parts], [i for i, _ in s.distinct]
    ([('avg', '__p0_0'), ('count', '__p0_1')], [1])
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import expr as E
from .errors import QueryError
from .table import DICT_TYPES, Column, Table

__all__ = ["Split", "split", "combine"]


@dataclass
class Split:
    """How a list of aggregates is computed in batches.

    Attributes:
        aggs: the aggregates asked for.
        parts: the partial aggregates each batch computes, grouped by the
            query's keys (named ``__p{i}_{j}``: part j of aggregate i).
        owner: per part, the index of the aggregate it computes.
        distinct: per aggregate i that counts distinct values, (i, the
            value expression): each batch also lists its distinct (keys,
            value) pairs for it, the values as a column :attr:`value`.
        prefix: how the columns of parts and values start (``__p`` unless a
            group key's name starts so).
    """

    aggs: list[E.Agg]
    prefix: str = "__p"
    parts: list[E.Agg] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    distinct: list[tuple[int, E.Expr]] = field(default_factory=list)

    def part(self, i: int, j: int) -> str:
        """The column of part j of aggregate i."""
        return f"{self.prefix}{i}_{j}"

    @property
    def value(self) -> str:
        """The column of the values of the distinct pairs."""
        return f"{self.prefix}d"


def split(aggs: Sequence[E.Agg], avoid: Sequence[str] = ()) -> Split:
    """The partial aggregates (and distinct-pair lists) that compute ``aggs`` batch by batch; their
    column names start with a prefix no name in ``avoid`` (the group keys) starts with."""
    prefix = "__p"
    while any(n.startswith(prefix) for n in avoid):
        prefix = "_" + prefix
    s = Split(list(aggs), prefix)
    for i, a in enumerate(aggs):
        if a.op in ("count_all", "count", "sum", "min", "max"):
            parts = [E.Agg(a.op, a.args)]
        elif a.op == "avg":
            parts = [E.Agg("avg", a.args), E.Agg("count", a.args)]
        elif a.op in ("variance", "stddev", "stddev_pop"):
            # min and max tell a constant group, whose moment is 0 however the means round
            parts = [E.Agg("count", a.args), E.Agg("avg", a.args), E.Agg("stddev_pop", a.args),
                     E.Agg("min", a.args), E.Agg("max", a.args)]
        elif a.op == "corr":
            x, y = a.args
            # the moments over the rows where both are non-null, as corr counts them
            xm = E.when(y.is_null(), None, x)
            ym = E.when(x.is_null(), None, y)
            parts = [E.Agg("count", (xm,)), E.Agg("avg", (xm,)), E.Agg("avg", (ym,)),
                     E.Agg("stddev_pop", (xm,)), E.Agg("stddev_pop", (ym,)), E.Agg("corr", a.args),
                     E.Agg("min", (xm,)), E.Agg("max", (xm,)), E.Agg("min", (ym,)), E.Agg("max", (ym,))]
        elif a.op in ("earliest", "latest"):
            x, by = a.args
            # the chosen row's `by`: the C core passes over rows whose value or `by` is null
            parts = [E.Agg(a.op, a.args), E.Agg(a.op, (E.when(x.is_null(), None, by), by))]
        elif a.op in ("count_distinct", "approx_count_distinct"):
            parts = []
            s.distinct.append((i, a.args[0]))
        else:  # pragma: no cover - every op of expr.Agg is listed above
            raise QueryError(f"{a.op}() cannot be computed in batches")
        s.parts.extend(p.alias(s.part(i, j)) for j, p in enumerate(parts))
        s.owner.extend(i for _ in parts)
    return s


# ===================================================================
# Grouping the partial rows
# ===================================================================
def _key_arrays(c: Column) -> list[np.ndarray]:
    """lexsort keys for one group-key column, most significant first: [null flag, value].

    Dictionary columns sort by their codes: the partial tables are concatenated with their
    dictionaries merged and sorted by value (:func:`vpcflow.query._concat`), so codes order the
    values alike in every table of the same query (the pairs of a distinct count line up with
    the groups)."""
    if c.type in DICT_TYPES:
        codes = c.codes
        return [codes < 0, codes]
    nulls = ~c.valid if c.null_count else np.zeros(len(c), dtype=bool)
    v = c.values
    if v.dtype.kind == "f":
        # one group for -0.0 and 0.0, and one for every NaN, as the C core groups them
        v = np.where(v == 0, 0.0, v.astype(np.float64))
        v = np.where(np.isnan(v), np.nan, v).view(np.int64)
    elif v.dtype == np.bool_:
        v = v.astype(np.int8)
    if c.null_count:
        v = np.where(nulls, 0, v)
    return [nulls, v]


def _runs(t: Table, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(order, starts, sorted key arrays): the rows of ``t`` sorted by the columns ``names`` (stable), and
    where each run of equal keys starts in that order."""
    n = t.num_rows
    arrays: list[np.ndarray] = []
    for name in names:
        arrays.extend(_key_arrays(t.column(name)))
    if not arrays:
        return np.arange(n), np.zeros(1 if n else 0, dtype=np.int64), []
    order = np.lexsort(arrays[::-1])
    ordered = [a[order] for a in arrays]
    return order, _run_starts(ordered, n), ordered


def _run_starts(arrays: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Where a run of equal rows of the n-row ``arrays`` (sorted together) starts."""
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for a in arrays:
        change[1:] |= a[1:] != a[:-1]
    return np.flatnonzero(change)


# ===================================================================
# Combining
# ===================================================================
def _reduce(fn: np.ufunc, a: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``fn`` over each run of ``a`` from ``starts`` on (ufunc.reduceat; empty for no runs)."""
    return fn.reduceat(a, starts) if len(starts) else a[:0]


def _ordered(c: Column, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of a value column in ``order``."""
    return c.values[order], c.valid[order] if c.null_count else np.ones(len(order), dtype=bool)


def _floats(c: Column, order: np.ndarray) -> np.ndarray:
    """The values as float64 in ``order``, 0 for null."""
    v, valid = _ordered(c, order)
    return np.where(valid, v.astype(np.float64), 0.0)


def _result(c: Column, values: np.ndarray, any_valid: np.ndarray) -> Column:
    """A column like ``c`` of per-group values, null where a group had no valid part."""
    return Column(c.name, c.type, values.astype(c.values.dtype, copy=False), None if any_valid.all() else any_valid,
                  logical=c.logical)


def _sum(c: Column, order: np.ndarray, starts: np.ndarray, what: str) -> Column:
    v, valid = _ordered(c, order)
    v = np.where(valid, v, 0)
    total = _reduce(np.add, v, starts)
    if v.dtype.kind in "iu":
        # partial sums are within int64; their total may not be (the one-pass sum counts in 128 bits
        # and fails only when the total is outside int64): groups whose float total comes near the
        # limit are added again exactly, in Python integers
        near = np.flatnonzero(np.abs(_reduce(np.add, v.astype(np.float64), starts)) > 2.0 ** 62)
        if len(near):
            exact = np.add.reduceat(v.astype(object), starts)[near]
            if any(not -(2 ** 63) <= int(x) < 2 ** 63 for x in exact):
                raise QueryError(f"{what}: the sum is outside the 64-bit integer range")
            total[near] = np.array([int(x) for x in exact], dtype=np.int64)
    return _result(c, total, _reduce(np.logical_or, valid, starts))


def _extreme(c: Column, order: np.ndarray, starts: np.ndarray, largest: bool) -> Column:
    v, valid = _ordered(c, order)
    fn: np.ufunc
    fill: Any
    if v.dtype.kind == "f":
        # NaN is the largest value (SQL's order): max keeps it, min takes it only when nothing else
        fn, fill = (np.maximum, -np.inf) if largest else (np.fmin, np.nan)
    else:
        info = np.iinfo(v.dtype) if v.dtype.kind in "iu" else None
        fill = (info.min if largest else info.max) if info else (not largest)
        fn = np.maximum if largest else np.minimum
    out = _reduce(fn, np.where(valid, v, fill).astype(v.dtype), starts)
    return _result(c, out, _reduce(np.logical_or, valid, starts))


def _moments(n: np.ndarray, mean: np.ndarray, ngroup: np.ndarray, starts: np.ndarray, lens: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """(the groups' means, each part's mean minus its group's).  The means are taken relative to
    the group's first part, so values far from 0 (epoch seconds) lose no digits to the weights."""
    if not len(starts):
        return np.zeros(0), mean
    shift = np.repeat(mean[starts], lens)
    rel = np.where(n > 0, mean - shift, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        grel = np.add.reduceat(n * rel, starts) / ngroup
    grel = np.where(ngroup > 0, grel, 0.0)
    return mean[starts] + grel, rel - np.repeat(grel, lens)


def _second_moment(n: np.ndarray, ngroup: np.ndarray, mean: Column, sd: Column, lo: Column, hi: Column,
                   order: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each part's mean minus its group's, the groups' sums of squared deviations) by Chan's
    merge of the parts' counts, means and population stddevs; exactly 0 for a group whose every
    value was the same (min == max), however the means round."""
    _, d = _moments(n, _floats(mean, order), ngroup, starts, lens)
    sdv = _floats(sd, order)
    m2 = _reduce(np.add, sdv * sdv * n + n * d * d, starts)
    constant = _extreme(lo, order, starts, False).values == _extreme(hi, order, starts, True).values
    return d, np.where(constant, 0.0, m2)


def combine(main: Table, distinct: Sequence[Table], keys: Sequence[str], s: Split,
            names: Sequence[str]) -> Table:
    """The final groups from the partial rows of every batch.

    ``main`` holds the keys and the parts of :func:`split` (every batch's rows
    concatenated), ``distinct`` per distinct aggregate the (keys, value)
    pairs; ``names`` are the output names of the aggregates.  Returns the keys
    then the aggregates, one row per group, in the order of the sorted keys.
    """
    order, starts, _ = _runs(main, keys)
    lens = np.diff(np.append(starts, main.num_rows))
    out: list[Column] = [main.column(k).take(order[starts]) for k in keys]
    dist = dict(zip((i for i, _ in s.distinct), distinct))
    for i, (a, name) in enumerate(zip(s.aggs, names)):
        def col(j: int, i: int = i) -> Column:
            return main.column(s.part(i, j))
        if a.op in ("count_all", "count"):
            out.append(Column(name, "int64", _reduce(np.add, col(0).values[order].astype(np.int64), starts)))
            continue
        if a.op == "sum":
            out.append(_sum(col(0), order, starts, repr(a)).renamed(name))
            continue
        if a.op in ("min", "max"):
            out.append(_extreme(col(0), order, starts, a.op == "max").renamed(name))
            continue
        if a.op in ("earliest", "latest"):
            out.append(_pick(col(0), col(1), order, starts, lens, a.op == "latest").renamed(name))
            continue
        if a.op in ("count_distinct", "approx_count_distinct"):
            out.append(Column(name, "int64", _count_pairs(dist[i], keys, s.value, len(starts))))
            continue
        # avg, variance, stddev(_pop), corr: the parts' counts first
        n = col(1 if a.op == "avg" else 0).values[order].astype(np.float64)
        ng = _reduce(np.add, n, starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            if a.op == "avg":
                v, valid = _moments(n, _floats(col(0), order), ng, starts, lens)[0], ng > 0
            elif a.op == "corr":
                dx, m2x = _second_moment(n, ng, col(1), col(3), col(6), col(7), order, starts, lens)
                dy, m2y = _second_moment(n, ng, col(2), col(4), col(8), col(9), order, starts, lens)
                # each part's co-moment: n * covar_pop = n * corr * sx * sy (0 when corr is NaN: a constant)
                r, sx, sy = _floats(col(5), order), _floats(col(3), order), _floats(col(4), order)
                c = _reduce(np.add, np.where(np.isnan(r), 0.0, n * r * sx * sy) + n * dx * dy, starts)
                gx = np.where(ng > 1, np.sqrt(m2x / ng), 0.0)
                gy = np.where(ng > 1, np.sqrt(m2y / ng), 0.0)
                prod = gx * gy
                v = np.where(prod != 0, (c / ng) / np.where(prod != 0, prod, 1.0), np.nan)
                valid = ng > 0
            else:
                _, m2 = _second_moment(n, ng, col(1), col(2), col(3), col(4), order, starts, lens)
                valid = ng >= (1 if a.op == "stddev_pop" else 2)
                v = m2 / (ng if a.op == "stddev_pop" else ng - 1)
                if a.op != "variance":
                    v = np.sqrt(v)
        out.append(Column(name, "float64", np.where(valid, v, 0.0), valid))
    return Table(out)


def _pick(value: Column, by: Column, order: np.ndarray, starts: np.ndarray, lens: np.ndarray,
          last: bool) -> Column:
    """Per group, ``value`` in the part whose ``by`` is first (or last); ties and nulls as the C core:
    null ``by`` never wins, ties go to the earlier part (the earlier batch)."""
    gid = np.repeat(np.arange(len(starts)), lens)
    if by.type in DICT_TYPES:
        # codes order the values alike in every batch (query._concat sorts the merged dictionary)
        nulls, rank = by.codes[order] < 0, by.codes[order].astype(np.int64)
    else:
        v, valid = _ordered(by, order)
        nulls = ~valid
        # the order of the values (NaN largest, as np.unique sorts it): their rank among the distinct ones
        _, rank = np.unique(np.where(nulls, 0, v), return_inverse=True)
        rank = rank.ravel().astype(np.int64)
    if last:
        rank = -rank
    # lexsort is stable: among ties the earlier part (the earlier batch) stays first
    win = np.lexsort((rank, nulls, gid))[starts]
    chosen = order[win]
    out = value.take(chosen)
    ok = ~nulls[win]
    if not ok.all():
        out = _null_where(out, ~ok)
    return out


def _null_where(c: Column, null: np.ndarray) -> Column:
    if c.type in DICT_TYPES:
        codes = np.where(null, -1, c.codes).astype(np.int32)
        return Column(c.name, c.type, codes, None, c._dict, logical=c.logical)
    valid = (c.valid if c.null_count else np.ones(len(c), dtype=bool)) & ~null
    return Column(c.name, c.type, c.values, valid, logical=c.logical)


def _count_pairs(pairs: Table, keys: Sequence[str], value: str, G: int) -> np.ndarray:
    """Per group (in sorted key order), the distinct non-null values (column ``value``) of its pairs."""
    order, starts, ordered = _runs(pairs, list(keys) + [value])
    nk = 2 * len(keys)
    # a run of equal (keys, value) is one distinct pair; it counts unless the value is null
    d_null = ordered[nk][starts] if len(starts) else np.zeros(0, dtype=bool)
    counts_pair = (~d_null).astype(np.int64)
    # the groups: where the keys alone change, among the pair runs
    gstarts = _run_starts([a[starts] for a in ordered[:nk]], len(starts))
    if len(gstarts) != G:  # pragma: no cover - every group of a batch has pairs in that batch
        raise AssertionError(f"distinct pairs cover {len(gstarts)} groups, the partials {G}")
    return np.add.reduceat(counts_pair, gstarts) if G else np.zeros(0, np.int64)
