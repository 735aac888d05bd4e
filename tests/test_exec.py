"""The query kernels (vpcflow._exec) against DuckDB running the same SQL on the same data.

The table is synthetic flow-log text parsed by vpcflow (addresses and strings dictionary-encoded,
integers with nulls) plus columns of every other kind (floats with NaN, -0.0 and nulls, bools,
int8, uint16, wide int64, a unique ordering column).  DuckDB reads it through Arrow.  Ties are
avoided by construction (ARG_MIN/ARG_MAX and top-k order by unique values or break ties by row).
"""
from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vpcflow
from vpcflow import _exec
from vpcflow.table import Column, Table

N = 20_000


def _extra_columns(n: int, seed: int = 7) -> list[Column]:
    rng = np.random.default_rng(seed)
    f = rng.normal(0.3, 1.0, n).round(3)
    f[rng.random(n) < 0.02] = np.nan
    f[rng.random(n) < 0.02] = -0.0
    f[rng.random(n) < 0.02] = 0.0
    fok = rng.random(n) > 0.1
    g = 2 * np.nan_to_num(f) + rng.normal(0, 0.5, n)
    b = rng.random(n) < 0.4
    bok = rng.random(n) > 0.05
    i8 = rng.integers(-128, 128, n).astype(np.int8)
    i8ok = rng.random(n) > 0.2
    u16 = rng.integers(0, 65536, n).astype(np.uint16)
    w = rng.integers(-(1 << 61), 1 << 61, n, dtype=np.int64)
    wok = rng.random(n) > 0.05
    uniq = rng.permutation(n).astype(np.int64)
    return [
        Column("f", "float64", f, fok), Column("g", "float64", g), Column("b", "bool", b, bok),
        Column("i8", "int8", i8, i8ok), Column("u16", "uint16", u16), Column("w", "int64", w, wok),
        Column("uniq", "int64", uniq), Column("rid", "int64", np.arange(n, dtype=np.int64)),
    ]


@pytest.fixture(scope="module")
def table() -> Table:
    lines = vpcflow.synth.generate_lines(N, seed=11)
    # some NODATA-style rows: nulls in every integer, address and string column
    for i in range(0, N, 97):
        p = lines[i].split()
        lines[i] = " ".join(p[:3] + ["-"] * 9 + p[12:13] + ["NODATA"]) if i % 2 else " ".join(p[:9] + ["-"] + p[10:])
    t = vpcflow.parse_text("\n".join(lines) + "\n")
    return Table(t.columns + _extra_columns(t.num_rows))


@pytest.fixture(scope="module")
def con(table: Table) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.register("t", table.to_arrow())
    return c


def _norm(v: Any) -> Any:
    """A comparable form: NaN as a marker, -0.0 as 0.0, bools as ints."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        return v + 0.0
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    return v


def _same(a: Any, b: Any, rel: float = 1e-9) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str):
            return a == b
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)
    return a == b


# ---------------------------------------------------------------------------------------------
# filters and computed columns
# ---------------------------------------------------------------------------------------------
def _action_lut(table: Table, *values: str) -> np.ndarray:
    return _exec.dict_lut(table.column("action"), values)


FILTERS = [
    ([("col", "bytes"), ("int", 1000), ("gt",)], "bytes > 1000"),
    ([("int", 443), ("col", "dstport"), ("ge",)], "443 >= dstport"),
    ([("col", "dstport"), ("int", 22), ("eq",)], "dstport = 22"),
    ([("col", "protocol"), ("in", [6, 17])], "protocol IN (6, 17)"),
    ([("col", "dstport"), ("in", [22, 80, 443, 3389, 8080, 65535])], "dstport IN (22, 80, 443, 3389, 8080, 65535)"),
    ([("col", "srcport"), ("int", 1024), ("lt",), ("col", "dstport"), ("int", 1024), ("lt",), ("and",), ("not",)],
     "NOT (srcport < 1024 AND dstport < 1024)"),
    ([("col", "f"), ("float", 0.5), ("gt",), ("col", "f"), ("is_null",), ("or",)], "f > 0.5 OR f IS NULL"),
    ([("col", "f"), ("float", math.nan), ("eq",)], "f = 'NaN'::DOUBLE"),
    ([("col", "f"), ("float", 1e9), ("gt",)], "f > 1e9"),
    ([("col", "f"), ("int", 0), ("eq",)], "f = 0"),
    ([("col", "f"), ("col", "g"), ("lt",)], "f < g"),
    ([("col", "packets"), ("int", 0), ("coalesce",), ("int", 5), ("gt",)], "coalesce(packets, 0) > 5"),
    ([("col", "bytes"), ("col", "packets"), ("div",), ("int", 100), ("gt",)], "bytes / packets > 100"),
    ([("col", "b"), ("not",)], "NOT b"),
    ([("col", "b")], "b"),
    ([("col", "u16"), ("int", 2), ("mod",)], "u16 % 2 <> 0"),
    ([("col", "b"), ("col", "i8"), ("int", 0), ("gt",), ("or",)], "b OR i8 > 0"),
    ([("col", "b"), ("col", "i8"), ("int", 0), ("gt",), ("and",), ("not",)], "NOT (b AND i8 > 0)"),
    ([("col", "i8"), ("int", 3), ("mul",), ("col", "u16"), ("sub",), ("int", -30000), ("lt",)], "i8::BIGINT * 3 - u16 < -30000"),
    ([("col", "uniq"), ("int", 7), ("mod",), ("int", 3), ("eq",)], "uniq % 7 = 3"),
    ([("col", "srcaddr"), ("is_null",), ("col", "b"), ("or",)], "srcaddr IS NULL OR b"),
    ([("col", "log_status"), ("is_not_null",), ("col", "f"), ("float", 0.0), ("ge",), ("and",)],
     "log_status IS NOT NULL AND f >= 0"),
    ([("col", "w"), ("int", 0), ("lt",), ("col", "u16"), ("int", 1000), ("lt",), ("col", "b"), ("if",)],
     "CASE WHEN w < 0 THEN u16 < 1000 ELSE b END"),
]


@pytest.mark.parametrize("i", range(len(FILTERS)))
def test_filter_matches_duckdb(table: Table, con: duckdb.DuckDBPyConnection, i: int) -> None:
    program, where = FILTERS[i]
    want = [r for (r,) in con.sql(f"SELECT rid FROM t WHERE {where} ORDER BY rid").fetchall()]
    for threads in (1, 2):
        got = _exec.filter(table, program, threads=threads)
        assert got.dtype == np.int64
        assert got.tolist() == want


def test_filter_dictionary_luts(table: Table, con: duckdb.DuckDBPyConnection) -> None:
    prog = [("col", "action"), ("lut", _action_lut(table, "REJECT"), None)]
    want = [r for (r,) in con.sql("SELECT rid FROM t WHERE action = 'REJECT' ORDER BY rid").fetchall()]
    assert _exec.filter(table, prog).tolist() == want
    # NOT keeps the null codes null
    prog_not = prog + [("not",)]
    want = [r for (r,) in con.sql("SELECT rid FROM t WHERE NOT (action = 'REJECT') ORDER BY rid").fetchall()]
    assert _exec.filter(table, prog_not).tolist() == want
    # an address set, and a null result for a null code
    addrs = table.column("dstaddr").dictionary[:40:3].tolist()
    lut = _exec.dict_lut(table.column("dstaddr"), addrs)
    inlist = ", ".join(f"'{a}'" for a in addrs)
    want = [r for (r,) in con.sql(f"SELECT rid FROM t WHERE dstaddr IN ({inlist}) OR dstaddr IS NULL "
                                  "ORDER BY rid").fetchall()]
    assert _exec.filter(table, [("col", "dstaddr"), ("lut", lut, True)]).tolist() == want


def test_filter_over_selection(table: Table, con: duckdb.DuckDBPyConnection) -> None:
    sel = _exec.filter(table, [("col", "protocol"), ("int", 6), ("eq",)])
    got = _exec.filter(table, [("col", "bytes"), ("int", 500), ("lt",)], sel=sel, threads=2)
    want = [r for (r,) in con.sql("SELECT rid FROM t WHERE protocol = 6 AND bytes < 500 ORDER BY rid").fetchall()]
    assert got.tolist() == want


EVALS = [
    ([("col", "bytes"), ("int", 8), ("mul",), ("col", "packets"), ("add",)], "bytes * 8 + packets", "int"),
    ([("col", "bytes"), ("col", "packets"), ("div",)], "bytes / packets", "float"),
    ([("col", "f"), ("int", 2), ("mul",), ("col", "g"), ("sub",)], "f * 2 - g", "float"),
    ([("col", "i8"), ("abs",)], "abs(i8::BIGINT)", "int"),
    ([("col", "w"), ("neg",)], "-w", "int"),
    ([("col", "start"), ("bin", 300, 0)], "(start // 300) * 300", "int"),
    ([("col", "f"), ("col", "g"), ("coalesce",)], "coalesce(f, g)", "float"),
    ([("col", "b"), ("col", "bytes"), ("col", "f"), ("if",)], "CASE WHEN b THEN bytes ELSE f END", "float"),
    ([("col", "dstport"), ("int", 1024), ("lt",)], "dstport < 1024", "bool"),
    ([("col", "u16"), ("col", "i8"), ("add",)], "u16 + i8", "int"),
]


@pytest.mark.parametrize("i", range(len(EVALS)))
def test_eval_matches_duckdb(table: Table, con: duckdb.DuckDBPyConnection, i: int) -> None:
    program, expr, kind = EVALS[i]
    want = [v for (v,) in con.sql(f"SELECT {expr} FROM t ORDER BY rid").fetchall()]
    values, valid, got_kind = _exec.evaluate(table, program, threads=2)
    assert got_kind == kind
    assert _exec.check(table, program) == kind
    got = values.tolist()
    if valid is not None:
        got = [v if ok else None for v, ok in zip(got, valid.tolist())]
    bad = [(j, g, w) for j, (g, w) in enumerate(zip(got, want)) if not _same(g, w)]
    assert not bad, bad[:5]
    assert (valid is None) == all(w is not None for w in want)


def test_eval_floor_division(table: Table) -> None:
    """IDIV and MOD are Python's // and % (DuckDB truncates); by zero null."""
    w, ok = table.column("w").values, table.column("w").valid
    for d in (7, -7, 1, -1):
        q, qv, _ = _exec.evaluate(table, [("col", "w"), ("int", d), ("idiv",)])
        m, mv, _ = _exec.evaluate(table, [("col", "w"), ("int", d), ("mod",)])
        assert np.array_equal(q[ok], np.floor_divide(w[ok], d))
        assert np.array_equal(m[ok], np.mod(w[ok], d))
        assert np.array_equal(qv, ok) and np.array_equal(mv, ok)
    q, qv, _ = _exec.evaluate(table, [("col", "w"), ("int", 0), ("idiv",)])
    assert qv is not None and not qv.any()
    f, _, _ = _exec.evaluate(table, [("col", "g"), ("float", 0.7), ("mod",)])
    g = table.column("g").values
    assert np.allclose(f, np.mod(g, 0.7), rtol=0, atol=1e-12)


def test_eval_selection_and_literals(table: Table) -> None:
    sel = np.array([5, 17, 400, N - 1])
    v, valid, kind = _exec.evaluate(table, [("col", "uniq"), ("int", 1), ("add",)], sel=sel)
    assert v.tolist() == (table.column("uniq").values[sel] + 1).tolist() and valid is None and kind == "int"
    v, valid, kind = _exec.evaluate(table, [("null",)], sel=sel)
    assert kind == "int" and valid is not None and not valid.any()


def test_bad_programs(table: Table) -> None:
    with pytest.raises(ValueError, match="needs 2 operands"):
        _exec.filter(table, [("col", "bytes"), ("add",)])
    with pytest.raises(ValueError, match=r"program node 2 \(EQ\): operand 1 is CODES"):
        _exec.filter(table, [("col", "action"), ("int", 1), ("eq",)])
    with pytest.raises(ValueError, match="BOOL or INT program"):
        _exec.filter(table, [("col", "f")])
    with pytest.raises(ValueError, match="unknown op 'frobnicate'"):
        _exec.filter(table, [("frobnicate",)])
    n = len(table.column("action").dictionary)
    with pytest.raises(ValueError, match=f"table of {n + 1} entries for a dictionary of {n}"):
        _exec.filter(table, [("col", "action"), ("lut", [1] * (n + 1), None)])
    with pytest.raises(ValueError, match="takes 1 argument"):
        _exec.filter(table, [("col",)])
    with pytest.raises(KeyError):
        _exec.filter(table, [("col", "nope"), ("is_null",)])
    with pytest.raises(ValueError, match="outside"):
        _exec.filter(table, [("bool", True)], sel=[N])
    with pytest.raises(ValueError, match="codes"):
        _exec.evaluate(table, [("col", "srcaddr")])
    assert _exec.check(table, [("col", "srcaddr")]) == "codes"


# ---------------------------------------------------------------------------------------------
# grouped aggregation
# ---------------------------------------------------------------------------------------------
def _ours(res: Table, nkeys: int) -> dict[tuple, list]:
    cols = [c.to_pylist() for c in res.columns]
    out: dict[tuple, list] = {}
    for row in zip(*cols):
        k = tuple(_norm(v) for v in row[:nkeys])
        assert k not in out, f"group {k} twice"
        out[k] = list(row[nkeys:])
    return out


def _theirs(con: duckdb.DuckDBPyConnection, sql: str, nkeys: int) -> dict[tuple, list]:
    return {tuple(_norm(v) for v in row[:nkeys]): list(row[nkeys:]) for row in con.sql(sql).fetchall()}


def _compare(ours: dict, theirs: dict, names: list[str], approx: set[int] = frozenset()) -> None:
    assert len(ours) == len(theirs)
    for k, want in theirs.items():
        assert k in ours, f"group {k} missing"
        got = ours[k]
        for j, (g, w) in enumerate(zip(got, want)):
            if j in approx:
                assert abs(g - w) <= 0.05 * w + 2, (k, names[j], g, w)
            else:
                assert _same(g, w), (k, names[j], g, w)


# every aggregate, in our spelling and DuckDB's
AGGS = [
    (("count_all",), "count(*)"),
    (("count", "bytes"), "count(bytes)"),
    (("sum", "bytes"), "sum(bytes)"),
    (("min", "bytes"), "min(bytes)"),
    (("max", "dstport"), "max(dstport)"),
    (("avg", "bytes"), "avg(bytes)"),
    (("stddev", "bytes"), "stddev_samp(bytes)"),
    (("stddev_pop", "packets"), "stddev_pop(packets)"),
    (("variance", "f"), "var_samp(f)"),
    (("corr", "bytes", "packets"), "corr(bytes, packets)"),
    (("corr", "f", "g"), "corr(f, g)"),
    (("count_distinct", "dstport"), "count(DISTINCT dstport)"),
    (("count_distinct", "dstaddr"), "count(DISTINCT dstaddr)"),
    (("count_distinct", "f"), "count(DISTINCT f)"),
    (("arg_min", "dstaddr", "uniq"), "arg_min(dstaddr, uniq)"),
    (("arg_max", "dstport", "uniq"), "arg_max(dstport, uniq)"),
    (("arg_max", "action", "uniq", 1), "arg_max_null(action, uniq)"),
    (("arg_min", "f", "uniq"), "arg_min(f, uniq)"),
    (("sum", "f"), "sum(f)"),
    (("min", "f"), "min(f)"),
    (("max", "f"), "max(f)"),
    (("avg", "u16"), "avg(u16)"),
    (("sum", "uniq"), "sum(uniq)"),
    (("min", "i8"), "min(i8)"),
    (("max", "b"), "max(b)::INT"),
    (("approx_distinct", "srcport"), "count(DISTINCT srcport)"),
]
APPROX = {len(AGGS) - 1}

GROUPINGS = [
    [],
    ["srcaddr"],
    ["srcaddr", "dstaddr", "dstport"],
    ["action", "protocol"],
    ["f"],
    ["b", "i8"],
    ["w", "srcport"],
    ["log_status", "dstport", "b"],
]


@pytest.mark.parametrize("keys", GROUPINGS, ids=lambda k: "+".join(k) or "nokeys")
def test_group_agg_matches_duckdb(table: Table, con: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
    specs = [a for a, _ in AGGS]
    sql_aggs = ", ".join(s for _, s in AGGS)
    key_sql = ", ".join(keys)
    sql = f"SELECT {key_sql + ', ' if keys else ''}{sql_aggs} FROM t" + (f" GROUP BY {key_sql}" if keys else "")
    theirs = _theirs(con, sql, len(keys))
    for threads in (1, 2):
        res = _exec.group_agg(table, keys, specs, threads=threads)
        assert res.column_names[: len(keys)] == keys
        for k in keys:
            assert res.column(k).type == table.column(k).type
        _compare(_ours(res, len(keys)), theirs, [s for _, s in AGGS], APPROX)


def test_group_agg_result_types(table: Table) -> None:
    res = _exec.group_agg(table, ["action"], [("sum", "bytes"), ("sum", "f"), ("min", "u16"), ("avg", "i8"),
                                              ("arg_min", "srcaddr", "uniq"), ("arg_max", "i8", "uniq"),
                                              _exec.Agg("count", "f", name="n")])
    assert [c.type for c in res.columns] == ["string", "int64", "float64", "int64", "float64", "address", "int8",
                                             "int64"]
    assert res.column_names[-1] == "n"
    assert res.column("n").null_count == 0
    assert res.column("arg_min(srcaddr, uniq)").dictionary is not None


def test_group_agg_over_selection(table: Table, con: duckdb.DuckDBPyConnection) -> None:
    sel = _exec.filter(table, [("col", "action"), ("lut", _action_lut(table, "REJECT"), None)])
    res = _exec.group_agg(table, ["dstport"], [("count_all",), ("count_distinct", "srcaddr"), ("sum", "packets")],
                          sel=sel, threads=2)
    theirs = _theirs(con, "SELECT dstport, count(*), count(DISTINCT srcaddr), sum(packets) FROM t "
                          "WHERE action = 'REJECT' GROUP BY dstport", 1)
    _compare(_ours(res, 1), theirs, ["count", "distinct", "sum"])


@pytest.mark.parametrize("keys", [["action", "protocol"], ["srcaddr", "dstport"], ["b"], []])
def test_group_agg_strategies_agree(table: Table, keys: list[str]) -> None:
    specs = [("count_all",), ("sum", "bytes"), ("count_distinct", "srcport"), ("approx_distinct", "dstaddr"),
             ("arg_max", "srcaddr", "uniq"), ("min", "f")]
    results = {}
    for strategy in ("direct", "packed", "multi"):
        for threads in (1, 3):
            try:
                res = _exec.group_agg(table, keys, specs, threads=threads, strategy=strategy)
            except ValueError as e:
                assert "strategy" in str(e)
                continue
            assert res.strategy == (strategy if keys else "direct")  # type: ignore[attr-defined]
            results[(strategy, threads)] = _ours(res, len(keys))
    first = next(iter(results.values()))
    for r in results.values():
        assert r.keys() == first.keys()
        for k in first:
            assert all(_same(a, b) for a, b in zip(r[k], first[k])), k


def test_group_agg_empty_and_errors(table: Table) -> None:
    empty = np.array([], dtype=np.int64)
    res = _exec.group_agg(table, [], [("count_all",), ("sum", "bytes"), ("max", "f")], sel=empty)
    assert res.num_rows == 1 and res.to_pylist() == [{"count(*)": 0, "sum(bytes)": None, "max(f)": None}]
    res = _exec.group_agg(table, ["srcaddr"], [("count_all",)], sel=empty)
    assert res.num_rows == 0
    with pytest.raises(ValueError, match="not a number"):
        _exec.group_agg(table, [], [("sum", "srcaddr")])
    with pytest.raises(ValueError, match="unknown aggregate"):
        _exec.group_agg(table, [], [("median", "bytes")])
    with pytest.raises(ValueError, match="precision 20"):
        _exec.group_agg(table, [], [("approx_distinct", "bytes", None, 20)])
    with pytest.raises(ValueError, match="DIRECT"):
        _exec.group_agg(table, ["w"], [("count_all",)], strategy="direct")
    big = Table([Column("x", "int64", np.array([2**62, 2**62, 2**62], dtype=np.int64))])
    with pytest.raises(ValueError, match=r"SUM of column 0 \(x\) overflows"):
        _exec.group_agg(big, [], [("sum", "x")])
    assert _exec.group_agg(big, [], [("avg", "x")])["avg(x)"].tolist() == [2.0**62]


# ---------------------------------------------------------------------------------------------
# top-k
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("col,desc", [("bytes", True), ("bytes", False), ("f", True), ("f", False),
                                      ("i8", True), ("u16", False), ("b", True)])
def test_topk_matches_duckdb(table: Table, con: duckdb.DuckDBPyConnection, col: str, desc: bool) -> None:
    order = "DESC" if desc else "ASC"
    for k in (1, 37, 1000):
        want = [r for (r,) in con.sql(f"SELECT rid FROM t ORDER BY {col} {order} NULLS LAST, rid LIMIT {k}").fetchall()]
        assert _exec.topk(table, col, k, descending=desc).tolist() == want


def test_topk_selection(table: Table, con: duckdb.DuckDBPyConnection) -> None:
    sel = _exec.filter(table, [("col", "protocol"), ("int", 17), ("eq",)])
    want = [r for (r,) in con.sql("SELECT rid FROM t WHERE protocol = 17 ORDER BY packets DESC NULLS LAST, rid "
                                  "LIMIT 25").fetchall()]
    assert _exec.topk(table, "packets", 25, sel=sel).tolist() == want
    assert _exec.topk(table, "packets", 0).tolist() == []
    with pytest.raises(ValueError, match="numeric"):
        _exec.topk(table, "srcaddr", 3)


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------
_ints = st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=0, max_size=300)
_OPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def _int_table(*cols: list) -> Table:
    out = []
    for i, vals in enumerate(cols):
        v = np.array([0 if x is None else x for x in vals], dtype=np.int32)
        ok = np.array([x is not None for x in vals], dtype=bool)
        out.append(Column(f"c{i}", "int32", v, ok))
    return Table(out)


@settings(max_examples=80, deadline=None)
@given(_ints, st.integers(-60, 60), st.sampled_from(sorted(_OPS)), st.booleans())
def test_property_compare(vals: list, lit: int, op: str, flip: bool) -> None:
    t = _int_table(vals)
    prog = [("int", lit), ("col", 0), (op,)] if flip else [("col", 0), ("int", lit), (op,)]
    want = [i for i, x in enumerate(vals) if x is not None and (_OPS[op](lit, x) if flip else _OPS[op](x, lit))]
    assert _exec.filter(t, prog, threads=2).tolist() == want


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=n, max_size=n))))
def test_property_group_sum(data: tuple) -> None:
    keys, vals = data
    t = _int_table(keys, vals)
    want: dict = {}
    for k, v in zip(keys, vals):
        cnt, s, nn = want.get(k, (0, 0, 0))
        want[k] = (cnt + 1, s + (v or 0), nn + (v is not None))
    for strategy in ("auto", "packed", "multi"):
        res = _exec.group_agg(t, ["c0"], [("count_all",), ("sum", "c1"), ("count", "c1")], threads=2,
                              strategy=strategy)
        got = {k: (c, s, n) for k, c, s, n in zip(*(c.to_pylist() for c in res.columns))}
        assert got == {k: (c, s if n else None, n) for k, (c, s, n) in want.items()}


@settings(max_examples=40, deadline=None)
@given(_ints, _ints)
def test_property_kleene(a: list, b: list) -> None:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    t = _int_table(a, b)
    pa, pb = [("col", 0), ("int", 0), ("gt",)], [("col", 1), ("int", 0), ("gt",)]

    def truth(x):  # None, True, False
        return None if x is None else x > 0

    for op in ("and", "or"):
        values, valid, _ = _exec.evaluate(t, pa + pb + [(op,)])
        for i in range(n):
            x, y = truth(a[i]), truth(b[i])
            if op == "and":
                w = False if x is False or y is False else (None if x is None or y is None else True)
            else:
                w = True if x is True or y is True else (None if x is None or y is None else False)
            got = None if valid is not None and not valid[i] else bool(values[i])
            assert got == w


def test_group_agg_many_groups_parallel_merge() -> None:
    """Enough groups for the partitioned merge (and a multi-word key), against DuckDB."""
    rng = np.random.default_rng(3)
    n = 150_000
    k1 = rng.integers(0, 60_000, n) * 1_000_003
    k2 = rng.integers(-(1 << 62), 1 << 62, 8)[rng.integers(0, 8, n)]
    v = rng.normal(100, 15, n)
    x = rng.integers(0, 50, n).astype(np.int32)
    xok = rng.random(n) > 0.1
    t = Table([Column("k1", "int64", k1), Column("k2", "int64", k2), Column("v", "float64", v),
               Column("x", "int32", x, xok), Column("o", "int64", rng.permutation(n).astype(np.int64))])
    con = duckdb.connect()
    con.register("t", t.to_arrow())
    specs = [("count_all",), ("sum", "x"), ("stddev_pop", "v"), ("count_distinct", "x"), ("arg_max", "x", "o"),
             ("approx_distinct", "x")]
    sql_aggs = "count(*), sum(x), stddev_pop(v), count(DISTINCT x), arg_max(x, o), count(DISTINCT x)"
    for keys in (["k1"], ["k1", "k2"]):
        theirs = _theirs(con, f"SELECT {', '.join(keys)}, {sql_aggs} FROM t GROUP BY {', '.join(keys)}", len(keys))
        for threads in (1, 2, 4):
            res = _exec.group_agg(t, keys, specs, threads=threads)
            assert res.strategy == ("packed" if len(keys) == 1 else "multi")  # type: ignore[attr-defined]
            _compare(_ours(res, len(keys)), theirs, sql_aggs.split(", "), approx={5})
