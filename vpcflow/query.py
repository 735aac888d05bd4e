"""The lazy query API: filters, projections, grouped aggregates, sorting, top-k.

A :class:`Query` is a recipe over a source (an in-memory :class:`Table`, or
a Parquet dataset from :func:`vpcflow.dataset`); nothing runs until
:meth:`Query.collect`.  Planning pushes the columns a query needs and its
leading filters into the Parquet scan, which skips partitions, row groups
and pages that cannot match (:meth:`Query.explain` shows what it saved);
every per-row step then runs in the C kernels.

Example:
    >>> import vpcflow as vf
    >>> t = vf.parse_text(
    ...     "2 1 eni-a 10.0.0.1 10.0.0.9 40000 22 6 3 120 10 20 REJECT OK\\n"
    ...     "2 1 eni-a 10.0.0.2 10.0.0.9 40001 22 6 5 300 10 20 REJECT OK\\n"
    ...     "2 1 eni-a 10.0.0.1 10.0.0.9 40002 443 6 7 900 10 20 ACCEPT OK\\n")
    >>> r = (t.lazy().filter(vf.col("action") == "REJECT")
    ...      .group_by("srcaddr").agg(vf.sum("packets").alias("packets"))
    ...      .sort("packets", descending=True).collect())
    >>> r.to_pylist()
    [{'srcaddr': '10.0.0.2', 'packets': 5}, {'srcaddr': '10.0.0.1', 'packets': 3}]

Ordering rules: ``sort`` is stable; after an aggregation, rows whose sort
keys tie are ordered by the group keys, ascending (strings and addresses by
their text), so ``top`` and ``sort`` + ``limit`` give the same, repeatable
answer.  Nulls sort last in both directions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence, Union

import numpy as np

from . import _exec, partial
from . import expr as E
from .compile import Compiler, _strip
from .errors import QueryError
from .prune import conjuncts
from .reader import _threads
from .table import DICT_TYPES, Column, Table

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset, ScanReport

__all__ = ["Query", "GroupBy"]

IntoExpr = Union[str, E.Expr]


# ===================================================================
# Steps
# ===================================================================
@dataclass(frozen=True)
class _Filter:
    cond: E.Expr

    def describe(self) -> str:
        return f"Filter {self.cond!r}"


@dataclass(frozen=True)
class _Select:
    exprs: tuple

    def describe(self) -> str:
        return "Select " + ", ".join(_named(e) for e in self.exprs)


@dataclass(frozen=True)
class _WithColumns:
    exprs: tuple

    def describe(self) -> str:
        return "With columns " + ", ".join(_named(e) for e in self.exprs)


@dataclass(frozen=True)
class _Aggregate:
    keys: tuple
    aggs: tuple
    drop_null: tuple = ()   # output names of keys whose null group is dropped (a filter moved here)

    def describe(self) -> str:
        by = f" by {', '.join(_named(k) for k in self.keys)}" if self.keys else ""
        drop = f" (null groups of {', '.join(self.drop_null)} dropped)" if self.drop_null else ""
        return f"Aggregate {', '.join(_named(a) for a in self.aggs)}{by}{drop}"


@dataclass(frozen=True)
class _Sort:
    by: tuple
    descending: tuple

    def describe(self) -> str:
        return "Sort " + ", ".join(f"{_named(b)}{' desc' if d else ''}" for b, d in zip(self.by, self.descending))


@dataclass(frozen=True)
class _Limit:
    n: int

    def describe(self) -> str:
        return f"Limit {self.n}"


@dataclass(frozen=True)
class _Top:
    n: int
    by: E.Expr
    descending: bool

    def describe(self) -> str:
        return f"Top {self.n} by {_named(self.by)}{' desc' if self.descending else ''} (partial selection)"


@dataclass(frozen=True)
class _Sample:
    fraction: float
    seed: int | None

    def describe(self) -> str:
        return f"Sample {self.fraction:g} (seed {self.seed})"


def _named(e: Any) -> str:
    if isinstance(e, E.Agg):
        return f"{e!r}" if e.name is None else f"{E.Agg(e.op, e.args)!r} as {e.name}"
    if isinstance(e, E.Alias):
        return f"{e.arg!r} as {e.name}"
    if isinstance(e, E.Col):
        return e.name
    return repr(e)


# ===================================================================
# Execution state: a table and a selection of its rows
# ===================================================================
@dataclass
class _State:
    table: Table
    sel: np.ndarray | None = None      # row indices, ascending; None = all rows
    tiebreak: tuple = ()               # names of the group keys of the last aggregation

    def rows(self) -> int:
        return self.table.num_rows if self.sel is None else len(self.sel)

    def compact(self, threads: int = 1, columns: "set[str] | None" = None) -> Table:
        """The selected rows as a table of their own (of just ``columns``, when given)."""
        if self.sel is not None:
            t = self.table
            if columns is not None:
                t = t.select([c for c in t.column_names if c in columns])
            self.table = t.take(self.sel, threads)
            self.sel = None
        return self.table


def _evaluator(state: _State, threads: int):
    """Runs a numeric program over the state's selected rows: (values, valid, kind)."""
    def run(comp: Compiler, program: list[tuple]):
        return _exec.evaluate(comp.kernel_table(), program, state.sel, threads)
    return run


# ===================================================================
# The query
# ===================================================================
def _named_numbers(e: E.Expr, t: Table) -> tuple[str, str] | None:
    """(column, "protocol" or "service") when ``e`` names the numbers of an integer column of
    ``t`` (``protocol_name(col("protocol"))``), else None."""
    e = _strip(e)
    if not isinstance(e, E.NameOf):
        return None
    arg = _strip(e.arg)
    if not isinstance(arg, E.Col) or arg.name not in t.column_names:
        return None
    typ = t.column(arg.name).type
    return (arg.name, e.kind) if typ not in DICT_TYPES and np.dtype(typ).kind in "iu" else None


def _name_groups(c: Column, kind: str) -> tuple[Column, bool]:
    """The numbers of a grouped key column as their IANA names, and whether no two of the
    numbers present share a name (only then are the groups those of the names)."""
    from .compile import names_column

    valid = c.valid if c.null_count else None
    named = names_column(c.name, kind, c.values, valid)
    present = c.values if valid is None else c.values[valid]
    codes = named.codes
    distinct = len(np.unique(codes[codes >= 0]))
    return named, distinct == len(np.unique(present))


class Query:
    """A lazy query over a Table or a dataset.  Every method returns a new Query."""

    def __init__(self, source: "Table | Dataset", steps: tuple = ()) -> None:
        self._source = source
        self._steps = steps

    def _then(self, step: Any) -> "Query":
        return Query(self._source, self._steps + (step,))

    # -- building ------------------------------------------------------
    def filter(self, *conditions: E.Expr) -> "Query":
        """Keep the rows where every condition is true.

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
            >>> t.lazy().filter(vf.col("dstport") == 22, vf.col("action") == "REJECT").collect().num_rows
            1
        """
        q = self
        for c in conditions:
            if isinstance(c, E.Agg):
                raise QueryError(f"{c!r} is an aggregate: filter the aggregated result instead")
            if not isinstance(c, E.Expr):
                raise QueryError(f"filter() takes expressions, not {type(c).__name__}")
            q = q._then(_Filter(c))
        return q

    where = filter

    def select(self, *columns: IntoExpr) -> "Query":
        """Keep (and compute) only these columns, in this order."""
        if not columns:
            raise QueryError("select() needs at least one column")
        return self._then(_Select(tuple(E.as_exprs(columns))))

    def with_columns(self, *exprs: E.Expr, **named: E.Expr) -> "Query":
        """Add (or replace) computed columns: ``with_columns(rate=vf.col("bytes") / vf.col("packets"))``."""
        items = list(E.as_exprs(exprs)) + [E._as_expr(v).alias(k) for k, v in named.items()]
        if not items:
            raise QueryError("with_columns() needs at least one expression")
        return self._then(_WithColumns(tuple(items)))

    def group_by(self, *keys: IntoExpr) -> "GroupBy":
        """Group by column names or expressions (``vf.bin("start", "15m").alias("w")``); then ``.agg(...)``."""
        if not keys:
            raise QueryError("group_by() needs at least one key (use .agg() to aggregate everything)")
        return GroupBy(self, tuple(E.as_exprs(keys)))

    def agg(self, *aggs: E.Agg) -> "Query":
        """Aggregate all rows into one: ``agg(vf.count(), vf.sum("bytes"))``."""
        return GroupBy(self, ()).agg(*aggs)

    def sort(self, by: IntoExpr | Sequence[IntoExpr], descending: bool | Sequence[bool] = False) -> "Query":
        """Sort by one or more columns (stable; nulls last)."""
        keys = [by] if isinstance(by, (str, E.Expr)) else list(by)
        if not keys:
            raise QueryError("sort() needs at least one key")
        desc = [descending] * len(keys) if isinstance(descending, bool) else list(descending)
        if len(desc) != len(keys):
            raise QueryError(f"sort(): {len(keys)} keys but {len(desc)} descending flags")
        return self._then(_Sort(tuple(E.as_exprs(keys)), tuple(bool(d) for d in desc)))

    def limit(self, n: int) -> "Query":
        """The first n rows."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise QueryError(f"limit must be a non-negative integer, not {n!r}")
        return self._then(_Limit(n))

    head = limit

    def top(self, n: int, by: IntoExpr, descending: bool = True) -> "Query":
        """The n rows with the largest ``by`` (smallest with ``descending=False``), in rank order.

        A partial selection, not a full sort: over raw rows it keeps a heap of
        n in C; ties go to the earlier row, or after an aggregation to the
        smaller group keys.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise QueryError(f"top() needs a non-negative integer, not {n!r}")
        return self._then(_Top(n, E.as_exprs([by])[0], bool(descending)))

    def sample(self, fraction: float, seed: int | None = None) -> "Query":
        """Each row kept with probability ``fraction`` (Bernoulli; repeatable with ``seed``)."""
        if not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise QueryError(f"sample fraction must be between 0 and 1, not {fraction!r}")
        return self._then(_Sample(float(fraction), seed))

    # -- running -------------------------------------------------------
    def collect(self, threads: int | None = None, *, memory_limit: int | None = None) -> Table:
        """Run the query and return a Table (an HTML table in Jupyter).

        Args:
            threads: threads to run on (default: every core).
            memory_limit: for a dataset, the scan's memory budget in bytes
                (default: the dataset's; see :func:`vpcflow.dataset`).  When the columns the query reads would
                need more, the scan runs in batches of whole row groups:
                filtered and aggregated batch by batch, the partial groups
                combined exactly (:mod:`vpcflow.partial`), so memory is bounded
                by a batch and the groups, not by the rows scanned.  The
                answer is the same either way.

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
            >>> t.lazy().filter(vf.col("bytes") > 100).collect(threads=1).num_rows
            1
        """
        nthreads = _threads(threads)
        src = self._source
        if isinstance(src, Table):
            self._pushdown()  # validates column names up front
            state, steps = _State(src), _optimize(self._steps)
        else:
            pushed, needed = self._pushdown()
            plan = src._plan(needed, pushed)
            batches = src._batches(plan, needed, memory_limit)
            if len(batches) > 1:
                return self._collect_batches(plan, batches, pushed, needed, nthreads)
            state, steps = self._scan(plan, pushed, needed, nthreads)
        for step in steps:
            self._run(step, state, nthreads)
        return _compact_dictionaries(state.compact())

    def explain(self, memory_limit: int | None = None) -> str:
        """The plan, and for datasets what pruning saved (files, row groups, pages, bytes) and the
        batches a scan beyond ``memory_limit`` (default: the dataset's) would run in."""
        lines = []
        if not isinstance(self._source, Table):
            pushed, needed = self._pushdown()
            plan = self._source._plan(needed, pushed)
            self._source._batches(plan, needed, memory_limit)  # counts them in the report
            lines.extend(plan.describe_lines())
        else:
            lines.append(f"Table: {self._source.num_rows:,} rows x {len(self._source.column_names)} columns")
        for step in _optimize(self._steps):
            lines.append(step.describe())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "vpcflow.Query\n" + self.explain()

    # -- planning ------------------------------------------------------
    def _pushdown(self) -> tuple[list[E.Expr], list[str] | None]:
        """(filters pushed into the scan, source columns needed or None for all)."""
        pushed: list[E.Expr] = []
        # the leading filters as they run: a null-key filter the aggregation absorbs (see
        # _optimize) is not pushed, so the scan neither filters rows for it nor reads the other
        # columns late for the rows it keeps
        for step in _optimize(self._steps):
            if not isinstance(step, _Filter):
                break
            pushed.append(step.cond)
        needed: set[str] = set()
        projected = False
        schema = self._source_columns()
        available: set[str] = set(schema)
        defined: set[str] = set()
        for step in self._steps:
            refs = _step_columns(step)
            unknown = sorted(refs - available)
            if unknown:
                raise QueryError(f"unknown column {unknown[0]!r}; columns are: {', '.join(sorted(available))}")
            needed |= refs - defined
            if isinstance(step, _WithColumns):
                new = {e.output_name for e in step.exprs}
                defined |= new
                available |= new
            if isinstance(step, (_Select, _Aggregate)):
                projected = True
                break
        cols = [c for c in schema if c in needed] if projected else None
        return pushed, cols

    def _source_columns(self) -> list[str]:
        src = self._source
        return src.column_names if isinstance(src, Table) else src.column_names

    def _scan(self, plan: Any, pushed: list[E.Expr], needed: list[str] | None,
              threads: int) -> tuple[_State, tuple]:
        """The dataset's rows of ``plan`` (all of it, or one batch), and the (optimized) steps still
        to run on them."""
        steps = _optimize(self._steps)
        table, exact, where = self._source._scan_selected(needed, pushed, threads, plan)  # type: ignore[union-attr]
        # the scan prunes conservatively and the pushed filters run again exactly, unless the
        # scan already knows their rows (late materialisation filtered the filter's columns)
        state = _State(table)
        if exact:
            steps = steps[len(pushed):]
            state.sel = where
        return state, steps

    def _collect_batches(self, plan: Any, batches: list, pushed: list[E.Expr], needed: list[str] | None,
                         threads: int) -> Table:
        """collect() a batch of row groups at a time: the row-wise steps (filters, columns) run per
        batch; an aggregation that follows them aggregates each batch into partial groups, combined
        at the end; otherwise the rows each batch keeps are concatenated.  The other steps run on
        the combined result."""
        steps = _optimize(self._steps)
        k = 0
        while k < len(steps) and isinstance(steps[k], (_Filter, _Select, _WithColumns)):
            k += 1
        agg = steps[k] if k < len(steps) and isinstance(steps[k], _Aggregate) else None
        rest = steps[k + 1:] if agg is not None else steps[k:]
        limit = rest[0].n if rest and isinstance(rest[0], _Limit) else None
        spl = partial.split(agg.aggs, [key.output_name for key in agg.keys]) if agg is not None else None
        named: dict[str, tuple[str, str]] = {}
        mains: list[Table] = []
        pairs: list[list[Table]] = [[] for _ in (spl.distinct if spl else ())]
        pieces: list[Table] = []
        reports = []
        kept = 0
        for sub in batches:
            st, todo = self._scan(sub, pushed, needed, threads)
            reports.append(sub.report)
            for step in todo[:len(todo) - len(steps) + k]:
                self._run(step, st, threads)
            if agg is None or spl is None:
                pieces.append(st.compact(threads))
                kept += pieces[-1].num_rows
                if limit is not None and kept >= limit:
                    break
                continue
            if not mains:
                named = _named_keys(agg.keys, st.table)
            # a key naming numbers groups by the numbers here; the partial groups are named before
            # they are combined (few rows), so the groups are the names' whatever the numbers
            keys = _number_keys(agg.keys, named)
            rows = E.count().alias(spl.prefix + "n")
            one = _State(st.table, st.sel)
            # an error in a part names the user's aggregate it computes
            blame = tuple(spl.aggs[i] for i in spl.owner) + (rows,)
            self._aggregate_by(_Aggregate(keys, tuple(spl.parts) + (rows,)), one, threads, blame)
            mains.append(_compact_dictionaries(one.table))
            for j, (_, x) in enumerate(spl.distinct):
                one = _State(st.table, st.sel)
                self._aggregate_by(_Aggregate(keys + (x.alias(spl.value),), (rows,)), one, threads)
                pairs[j].append(_compact_dictionaries(one.table))
        plan.report.add_batches(reports)
        if agg is None or spl is None:
            state = _State(pieces[0] if len(pieces) == 1 else _concat(pieces))
        else:
            key_names = [key.output_name for key in agg.keys]
            main = _name_numbers(_concat(mains), named)[0]
            dist = [_name_numbers(_concat(p), named)[0] for p in pairs]
            out_names = [a.output_name for a in agg.aggs]
            _check_names(key_names + out_names)
            table = partial.combine(main, dist, key_names, spl, out_names)
            table = _drop_null_groups(table, agg.drop_null)
            state = _State(table, tiebreak=tuple(key_names))
        state.table.report = plan.report
        for step in rest:
            self._run(step, state, threads)
        return _compact_dictionaries(state.compact())

    # -- steps -----------------------------------------------------------
    def _run(self, step: Any, st: _State, threads: int) -> None:
        if isinstance(step, _Filter):
            comp = Compiler(st.table)
            prog = comp.condition(step.cond)
            st.sel = _exec.filter(comp.kernel_table(), prog, st.sel, threads)
        elif isinstance(step, (_Select, _WithColumns)):
            self._project(step, st, threads)
        elif isinstance(step, _Aggregate):
            self._aggregate(step, st, threads)
        elif isinstance(step, _Sort):
            table = st.compact()
            order = _sort_order(table, step.by, step.descending, st.tiebreak, threads)
            st.table = table.take(order)
        elif isinstance(step, _Limit):
            if st.sel is not None:
                st.sel = st.sel[: step.n]
            else:
                st.table = st.table.slice(0, step.n)
        elif isinstance(step, _Top):
            self._top(step, st, threads)
        elif isinstance(step, _Sample):
            rng = np.random.default_rng(step.seed)
            n = st.rows()
            keep = rng.random(n) < step.fraction
            st.sel = np.flatnonzero(keep) if st.sel is None else st.sel[keep]
        else:  # pragma: no cover
            raise AssertionError(step)

    def _project(self, step: Any, st: _State, threads: int) -> None:
        table = st.compact()
        comp = Compiler(table)
        ev = _evaluator(st, threads)
        new = [comp.materialize(e, e.output_name, ev) for e in step.exprs]
        names = [c.name for c in new]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise QueryError(f"two result columns would be called {dup!r}: name them with .alias()")
        if isinstance(step, _Select):
            st.table = Table(new, table.report)
        else:
            by_name = {c.name: c for c in new}
            cols = [by_name.pop(c.name, c) for c in table.columns] + list(by_name.values())
            st.table = Table(cols, table.report)

    def _aggregate(self, step: _Aggregate, st: _State, threads: int) -> None:
        named = _named_keys(step.keys, st.table)
        if named:
            # A key that names a column's numbers (protocol_name(protocol)): group by the numbers and
            # name the groups, unless two numbers present share a name; then group by the names.
            before = (st.table, st.sel, st.tiebreak)
            self._aggregate_by(_Aggregate(_number_keys(step.keys, named), step.aggs, step.drop_null), st, threads)
            table, ok = _name_numbers(st.table, named)
            if ok:
                st.table = table
                return
            st.table, st.sel, st.tiebreak = before
        self._aggregate_by(step, st, threads)

    def _aggregate_by(self, step: _Aggregate, st: _State, threads: int, blame: Sequence[E.Agg] = ()) -> None:
        """Group and aggregate the selected rows; an error names ``blame[i]`` (default the step's
        aggregate i) for aggregate i."""
        exprs = list(step.keys) + [arg for a in step.aggs for arg in a.args]
        ev = _evaluator(st, threads)
        if any(not isinstance(_strip(x), E.Col) for x in exprs) and st.sel is not None:
            if 2 * len(st.sel) < st.table.num_rows:
                # few rows selected: computed keys and inputs are evaluated for those only
                st.compact(threads, set().union(*(x.columns() for x in exprs)))
                ev = _evaluator(st, threads)
            else:
                # most rows selected: computing for every row costs less than gathering every column
                ev = _evaluator(_State(st.table), threads)
        comp = Compiler(st.table)
        key_cols = [comp._add(("key", k.output_name), comp.materialize(k, k.output_name, ev)) for k in step.keys]
        specs = [_agg_spec(comp, a, ev) for a in step.aggs]
        out_names = [k.output_name for k in step.keys] + [a.output_name for a in step.aggs]
        _check_names(out_names)
        try:
            out = _exec.group_agg(comp.kernel_table(), key_cols, specs, st.sel, threads)
        except ValueError as e:
            m = re.match(r"aggregate (\d+): SUM .* overflows int64", str(e))
            if m is None or int(m.group(1)) >= len(step.aggs):
                raise
            who = (blame or step.aggs)[int(m.group(1))]
            raise QueryError(f"{who!r}: the sum is outside the 64-bit integer range") from None
        table = Table([c.renamed(n) for c, n in zip(out.columns, out_names)], st.table.report)
        st.table = _drop_null_groups(table, step.drop_null)
        st.sel = None
        st.tiebreak = tuple(k.output_name for k in step.keys)

    def _top(self, step: _Top, st: _State, threads: int) -> None:
        by = _strip(step.by)
        if (isinstance(by, E.Col) and by.name in st.table and st.table.column(by.name).type not in DICT_TYPES
                and not st.tiebreak):
            c = st.table.column(by.name)
            idx = _exec.topk(Table([c]), 0, step.n, step.descending, st.sel)
            st.table = st.table.take(idx)
            st.sel = None
            return
        table = st.compact()
        order = _sort_order(table, (step.by,), (step.descending,), st.tiebreak, threads, limit=step.n)
        st.table = table.take(order[: step.n])


class GroupBy:
    """A query grouped by keys; ``.agg(...)`` aggregates each group."""

    def __init__(self, query: Query, keys: tuple) -> None:
        self._query = query
        self._keys = keys

    def agg(self, *aggs: E.Agg) -> Query:
        """One row per group: the keys, then each aggregate.

        Example:
            >>> import vpcflow as vf
            >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
            >>> t.lazy().group_by("action").agg(vf.count(), vf.sum("bytes").alias("bytes")).collect().to_pylist()
            [{'action': 'REJECT', 'count': 1, 'bytes': 120}]
        """
        if not aggs:
            raise QueryError("agg() needs at least one aggregate, e.g. vf.count()")
        for a in aggs:
            if not isinstance(a, E.Agg):
                raise QueryError(f"agg() takes aggregates such as vf.sum('bytes'), not {a!r}")
        return self._query._then(_Aggregate(self._keys, tuple(aggs)))

    def __repr__(self) -> str:
        return f"GroupBy({', '.join(_named(k) for k in self._keys)})"


# ===================================================================
# Helpers
# ===================================================================
def _step_columns(step: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(step, _Filter):
        return step.cond.columns()
    if isinstance(step, (_Select, _WithColumns)):
        for e in step.exprs:
            out |= e.columns()
    elif isinstance(step, _Aggregate):
        for k in step.keys:
            out |= k.columns()
        for a in step.aggs:
            out |= a.columns()
    elif isinstance(step, _Sort):
        for b in step.by:
            out |= b.columns()
    elif isinstance(step, _Top):
        out |= step.by.columns()
    return out


_AGG_OPS = {
    "count_all": "count_all", "count": "count", "sum": "sum", "min": "min", "max": "max", "avg": "avg",
    "stddev": "stddev", "stddev_pop": "stddev_pop", "variance": "variance", "corr": "corr",
    "count_distinct": "count_distinct", "approx_count_distinct": "approx_distinct",
    "earliest": "arg_min", "latest": "arg_max",
}
_NUMERIC_ONLY = ("sum", "avg", "stddev", "stddev_pop", "variance", "corr", "min", "max")


def _agg_spec(comp: Compiler, a: E.Agg, ev: Any) -> "_exec.Agg":
    """The kernel's aggregate for ``a``, its inputs added to the compiler's columns."""
    idx = []
    for arg in a.args:
        c = comp.materialize(arg, arg.output_name, ev)
        if a.op in _NUMERIC_ONLY and c.type in DICT_TYPES:
            raise QueryError(f"type mismatch: {a.op}() needs a numeric column, but {_strip(arg)!r} is {c.type}")
        idx.append(comp._add(("agg", repr(arg)), c))
    return _exec.Agg(_AGG_OPS[a.op], idx[0] if idx else None, idx[1] if len(idx) > 1 else None)


def _optimize(steps: Sequence[Any]) -> tuple:
    """The steps as they run: a filter part ``key.is_not_null()`` just before an aggregation by that
    key becomes a drop of the key's null group after it (same answer: rows with a null key feed only
    that group), so the rows need no filter pass and no selection vector."""
    out = list(steps)
    for i, step in enumerate(out):
        if not isinstance(step, _Aggregate) or not step.keys:
            continue
        keys: dict[str, str] = {}  # key column -> the key's output name
        for k in step.keys:
            inner = _strip(k)
            if isinstance(inner, E.Col):
                keys.setdefault(inner.name, k.output_name)
        j = i
        while j > 0 and isinstance(out[j - 1], _Filter):
            j -= 1
        dropped: list[str] = []
        for f in range(j, i):
            keep = []
            for part in conjuncts(out[f].cond):
                inner = _strip(part)
                arg = _strip(inner.arg) if isinstance(inner, E.IsNull) and inner.negate else None
                if isinstance(arg, E.Col) and arg.name in keys:
                    name = keys[arg.name]
                    if name not in dropped:
                        dropped.append(name)
                else:
                    keep.append(part)
            cond = None
            for part in keep:
                cond = part if cond is None else (cond & part)
            out[f] = None if cond is None else _Filter(cond)
        if dropped:
            out[i] = _Aggregate(step.keys, step.aggs, tuple(step.drop_null) + tuple(dropped))
    return tuple(s for s in out if s is not None)


def _check_names(out_names: Sequence[str]) -> None:
    if len(set(out_names)) != len(out_names):
        dup = next(n for n in out_names if out_names.count(n) > 1)
        raise QueryError(f"two result columns would be called {dup!r}: name them with .alias()")


def _drop_null_groups(table: Table, drop_null: Sequence[str]) -> Table:
    """The groups whose keys ``drop_null`` are all non-null (a key.is_not_null() filter moved after
    the aggregation by _optimize)."""
    if not drop_null:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    for name in drop_null:
        c = table.column(name)
        if c.null_count:
            keep &= c.valid
    return table if keep.all() else table.take(np.flatnonzero(keep))


def _concat(tables: list[Table]) -> Table:
    """The rows of two or more tables with the same columns, one after the other, in the first
    table's column order; every dictionary merged and sorted by value, so that codes compare as
    the values do (partial.combine relies on it)."""
    from .awsparquet import concat_tables

    if len(tables) < 2:  # pragma: no cover - one table comes back as it is, dictionaries unsorted
        raise AssertionError("concatenating fewer than two tables")
    t = concat_tables(tables)
    return Table([t.column(n) for n in tables[0].column_names])


def _named_keys(keys: Sequence[E.Expr], t: Table) -> dict[str, tuple[str, str]]:
    """The keys naming the numbers of a column of ``t``: output name -> (column, kind)."""
    return {k.output_name: src for k in keys if (src := _named_numbers(k, t))}


def _number_keys(keys: Sequence[E.Expr], named: dict[str, tuple[str, str]]) -> tuple:
    """The keys with those ``named`` grouping by the numbers (under the key's name)."""
    return tuple(E.Col(named[k.output_name][0]).alias(k.output_name) if k.output_name in named else k
                 for k in keys)


def _name_numbers(t: Table, named: dict[str, tuple[str, str]]) -> tuple[Table, bool]:
    """The columns ``named`` (output name -> (column, kind)) of numbers as their IANA names, and
    whether no two numbers present share a name (then the groups of the numbers are the names')."""
    cols, ok = [], True
    for c in t.columns:
        if c.name in named:
            c, distinct = _name_groups(c, named[c.name][1])
            ok = ok and distinct
        cols.append(c)
    return Table(cols, t.report), ok


def _dict_subset(c: Column, used: np.ndarray) -> tuple:
    """The raw dictionary of ``c`` restricted to the entries ``used`` (ascending codes)."""
    assert c._dict is not None
    kind, a, b = c._dict
    if kind == "address":
        return (kind, np.ascontiguousarray(a.reshape(-1, 16)[used]).reshape(-1), np.ascontiguousarray(b[used]))
    offs = np.asarray(a, dtype=np.int64)
    starts, lens = offs[used], offs[used + 1] - offs[used]
    new_offs = np.zeros(len(used) + 1, dtype=np.int64)
    np.cumsum(lens, out=new_offs[1:])
    total = int(new_offs[-1])
    src = np.frombuffer(b, dtype=np.uint8) if isinstance(b, (bytes, bytearray, memoryview)) else np.asarray(b)
    idx = np.repeat(starts - new_offs[:-1], lens) + np.arange(total, dtype=np.int64)
    data = src[idx].tobytes() if total else b""
    return (kind, new_offs, data)


def _compact_column(c: Column) -> Column:
    """A dictionary column whose dictionary holds only the values its rows use (codes renumbered, order kept)."""
    codes = c.codes
    valid = codes >= 0
    used = np.unique(codes[valid]) if c.null_count else np.unique(codes)
    if c._dict_values is None and len(used) == _dict_len(c):
        return c
    new = np.full(len(codes), -1, dtype=np.int32)
    new[valid] = np.searchsorted(used, codes[valid]).astype(np.int32)
    out = Column(c.name, c.type, new, None, _dict_subset(c, used), c.null_count, c.logical)
    if c._dict_values is not None:
        out._dict_values = c._dict_values[used]
    return out


def _dict_len(c: Column) -> int:
    assert c._dict is not None
    kind, a, b = c._dict
    return len(b) if kind == "address" else len(a) - 1


def _compact_dictionaries(table: Table) -> Table:
    """Result columns keep only the dictionary entries they use: a top-10 of addresses then renders
    10 addresses, not every address of the scanned data."""
    cols = table.columns
    if not any(c.is_dictionary and _dict_len(c) > 2 * len(c) + 16 for c in cols):
        return table
    new = [_compact_column(c) if c.is_dictionary and _dict_len(c) > 2 * len(c) + 16 else c for c in cols]
    return Table(new, table.report)


def _dict_ranks(c: Column) -> np.ndarray:
    """Per row, the rank of its value's text among the values the rows use (nulls: 0, flagged elsewhere)."""
    codes = c.codes
    valid = codes >= 0
    if not valid.any():
        return np.zeros(len(codes), np.int64)
    used, inv = np.unique(codes[valid], return_inverse=True)
    if c._dict_values is not None:
        texts = c._dict_values[used]
    else:
        texts = _compact_column(Column(c.name, c.type, used.astype(np.int32), None, c._dict)).dictionary
    if c.type != "binary":
        texts = texts.astype(str)
    rank_of_used = np.empty(len(used), dtype=np.int64)
    rank_of_used[np.argsort(texts, kind="stable")] = np.arange(len(used))
    out = np.zeros(len(codes), np.int64)
    out[valid] = rank_of_used[inv]
    return out


def _sort_keys(table: Table, e: E.Expr, descending: bool, threads: int) -> list[np.ndarray]:
    """lexsort keys for one sort expression, most significant first: [null flag, value]."""
    comp = Compiler(table)
    st = _State(table)
    c = comp.materialize(e, e.output_name, _evaluator(st, threads))
    if c.type in DICT_TYPES:
        nulls = c.codes < 0
        vals = _dict_ranks(c)
    else:
        nulls = ~c.valid if c.null_count else np.zeros(len(c), dtype=bool)
        vals = c.values
        if vals.dtype == np.bool_:
            vals = vals.astype(np.int64)
    if descending:
        vals = -vals if vals.dtype.kind == "f" else ~vals.astype(np.int64)
    return [nulls, vals]


def _sort_order(table: Table, by: Sequence[E.Expr], descending: Sequence[bool], tiebreak: Sequence[str],
                threads: int, limit: int | None = None) -> np.ndarray:
    exprs = list(zip(by, descending))
    for name in tiebreak:
        if name in table and all(_strip(b).output_name != name for b in by):
            exprs.append((E.Col(name), False))
    if not exprs:
        return np.arange(table.num_rows)
    if limit is not None and limit < table.num_rows:
        # partial selection: the rows whose first key is within the best `limit` (ties included),
        # then the full order of only those
        if limit <= 0:
            return np.zeros(0, dtype=np.int64)
        nulls, vals = _sort_keys(table, exprs[0][0], exprs[0][1], threads)
        big = np.inf if vals.dtype.kind == "f" else np.iinfo(np.int64).max
        primary = np.where(nulls, big, vals) if nulls.any() else vals
        kth = np.partition(primary, limit - 1)[limit - 1]
        cand = np.flatnonzero(primary <= kth)
        sub = table.take(cand)
        keys: list[np.ndarray] = [nulls[cand], vals[cand]]
        for e, d in exprs[1:]:
            keys.extend(_sort_keys(sub, e, d, threads))
        return cand[np.lexsort(keys[::-1])]
    keys = []
    for e, d in exprs:
        keys.extend(_sort_keys(table, e, d, threads))
    return np.lexsort(keys[::-1])
