"""The lazy query API and the pipe-string DSL on in-memory tables: semantics, errors, display."""
from __future__ import annotations

import math

import numpy as np
import pytest

import vpcflow as vf
from vpcflow import QueryError
from vpcflow.pipe import parse

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
ROWS = [
    "2 1 eni-a 10.0.0.1 10.0.0.9 40000 22 6 3 120 1000 1060 REJECT OK",
    "2 1 eni-a 10.0.0.2 10.0.0.9 40001 22 6 5 300 1000 1060 REJECT OK",
    "2 1 eni-b 10.0.0.1 8.8.8.8 40002 443 6 7 900 1900 1960 ACCEPT OK",
    "2 1 eni-b 2001:db8::1 2001:db8::2 53 53 17 1 80 2000 2060 ACCEPT OK",
    "2 1 eni-c - - - - - - - 2100 2160 - NODATA",
    "2 1 eni-c 192.168.1.5 10.0.0.9 5000 3389 6 2 100 2800 2860 REJECT OK",
]


@pytest.fixture(scope="module")
def t() -> vf.Table:
    return vf.parse_text(HEADER + "\n".join(ROWS) + "\n")


def rows(table: vf.Table) -> list[tuple]:
    return [tuple(r.values()) for r in table.to_pylist()]


# -- filters -------------------------------------------------------------------------------------
def test_filter_strings_ints_and_nulls(t):
    assert t.lazy().filter(vf.col("action") == "REJECT").collect().num_rows == 3
    assert t.lazy().filter(vf.col("action") != "REJECT").collect().num_rows == 2  # null action is not != REJECT
    assert t.lazy().filter(vf.col("dstport").isin([22, 3389])).collect().num_rows == 3
    assert t.lazy().filter(vf.col("bytes").is_null()).collect()["interface_id"].tolist() == ["eni-c"]
    assert t.lazy().filter(~(vf.col("bytes") > 200)).collect().num_rows == 3  # null stays null under NOT
    assert t.lazy().filter(vf.col("packets").between(2, 5)).collect()["packets"].tolist() == [3, 5, 2]


def test_filter_addresses(t):
    q = t.lazy()
    assert q.filter(vf.col("srcaddr") == "10.0.0.1").collect().num_rows == 2
    assert q.filter(vf.col("srcaddr") == "2001:DB8:0::1").collect().num_rows == 1  # parsed, canonical
    assert q.filter(vf.in_subnet("srcaddr", "10.0.0.0/8")).collect().num_rows == 3
    assert q.filter(vf.col("srcaddr").in_subnet("10.0.0.0/8", "2001:db8::/32")).collect().num_rows == 4
    assert q.filter(vf.col("dstaddr").isin(["8.8.8.8", "2001:db8::2"])).collect().num_rows == 2
    assert q.filter(vf.col("srcaddr") == vf.col("srcaddr")).collect().num_rows == 5
    with pytest.raises(QueryError, match="not an IP address"):
        q.filter(vf.col("srcaddr") == "10.0.0.300").collect()


def test_arithmetic_and_with_columns(t):
    r = (t.lazy().filter(vf.col("bytes").is_not_null())
         .with_columns(rate=vf.col("bytes") / vf.col("packets"), dur=vf.col("end") - vf.col("start"))
         .select("rate", "dur").collect())
    assert r.schema == {"rate": "float64", "dur": "int64"}
    assert r["rate"].tolist() == [40.0, 60.0, 900 / 7, 80.0, 50.0]
    assert set(r["dur"].tolist()) == {60}
    z = t.lazy().with_columns(x=vf.col("bytes") / 0, y=vf.col("bytes") // 0).collect()
    assert z.column("x").null_count == 1 and np.isinf(z["x"].compressed()).all()  # as DuckDB: inf
    assert z.column("y").null_count == t.num_rows  # integer division by zero is null


def test_protocol_and_service_names(t):
    r = t.lazy().group_by(vf.protocol_name("protocol").alias("p")).agg(vf.count()).sort("p").collect()
    assert rows(r) == [("TCP", 4), ("UDP", 1), (None, 1)]
    assert t.lazy().filter(vf.protocol_name("protocol") == "UDP").collect().num_rows == 1
    s = t.lazy().filter(vf.col("dstport").is_not_null()).select(vf.service_name("dstport").alias("s")).collect()
    assert s["s"].tolist() == ["ssh", "ssh", "https", "domain", "ms-wbt-server"]


def test_groups_by_a_name_are_those_of_the_names_even_when_two_numbers_share_one(t, monkeypatch):
    """Keys that name numbers are grouped by the numbers, then named; if two numbers present
    share a name, the groups are those of the names all the same."""
    import vpcflow.names as names

    q = (t.lazy().group_by(vf.service_name("dstport").alias("s"), "action")
         .agg(vf.count().alias("n"), vf.sum("bytes").alias("b"), vf.avg("packets").alias("p")).sort(["s", "action"]))
    assert rows(q.collect()) == [("domain", "ACCEPT", 1, 80, 1.0), ("https", "ACCEPT", 1, 900, 7.0),
                                 ("ms-wbt-server", "REJECT", 1, 100, 2.0), ("ssh", "REJECT", 2, 420, 4.0),
                                 (None, None, 1, None, None)]
    shared = names.service_names().copy()
    shared[53] = shared[443] = "web-or-dns"  # two ports present under one name
    monkeypatch.setattr(names, "service_names", lambda: shared)
    assert rows(q.collect()) == [("ms-wbt-server", "REJECT", 1, 100, 2.0), ("ssh", "REJECT", 2, 420, 4.0),
                                 ("web-or-dns", "ACCEPT", 2, 980, 4.0), (None, None, 1, None, None)]


# -- aggregation -----------------------------------------------------------------------------------
def test_group_by_with_null_group(t):
    r = t.lazy().group_by("action").agg(vf.count(), vf.sum("bytes").alias("b")).sort("action").collect()
    assert rows(r) == [("ACCEPT", 2, 980), ("REJECT", 3, 520), (None, 1, None)]


def test_aggregates_ignore_nulls(t):
    r = t.lazy().agg(vf.count(), vf.count("bytes").alias("n"), vf.sum("bytes").alias("s"),
                     vf.min("bytes").alias("lo"), vf.max("bytes").alias("hi"), vf.avg("packets").alias("avg"),
                     vf.count_distinct("srcaddr").alias("d"), vf.count_distinct("srcaddr", approx=True).alias("ad"),
                     vf.earliest("interface_id").alias("first"), vf.latest("interface_id").alias("last")).collect()
    row = r.to_pylist()[0]
    assert row["count"] == 6 and row["n"] == 5 and row["s"] == 1500 and row["lo"] == 80 and row["hi"] == 900
    assert row["avg"] == pytest.approx(18 / 5)
    assert row["d"] == 4 and row["ad"] == 4
    assert row["first"] == "eni-a" and row["last"] == "eni-c"


def test_stddev_corr(t):
    b = np.array([120, 300, 900, 80, 100], dtype=float)
    p = np.array([3, 5, 7, 1, 2], dtype=float)
    r = t.lazy().agg(vf.stddev("bytes").alias("sd"), vf.corr("bytes", "packets").alias("c"),
                     vf.variance("bytes").alias("v"), vf.stddev_pop("bytes").alias("sp")).collect().to_pylist()[0]
    assert r["sd"] == pytest.approx(b.std(ddof=1), rel=1e-12)
    assert r["v"] == pytest.approx(b.var(ddof=1), rel=1e-12)
    assert r["sp"] == pytest.approx(b.std(), rel=1e-12)
    assert r["c"] == pytest.approx(np.corrcoef(b, p)[0, 1], rel=1e-12)


def test_empty_input_aggregates_like_sql(t):
    r = t.lazy().filter(vf.col("bytes") > 10**9).agg(vf.count(), vf.sum("bytes")).collect()
    assert rows(r) == [(0, None)]
    g = t.lazy().filter(vf.col("bytes") > 10**9).group_by("srcaddr").agg(vf.count()).collect()
    assert g.num_rows == 0


def test_time_bins(t):
    r = t.lazy().group_by(vf.bin("start", "15m").alias("w")).agg(vf.count()).sort("w").collect()
    assert rows(r) == [(900, 2), (1800, 3), (2700, 1)]


def test_sort_top_limit_tie_rules(t):
    r = t.lazy().group_by("dstaddr").agg(vf.count().alias("n")).top(2, by="n").collect()
    assert rows(r) == [("10.0.0.9", 3), ("2001:db8::2", 1)]  # ties at 1: keys ascending as text
    raw = t.lazy().top(2, by="bytes").select("bytes").collect()
    assert raw["bytes"].tolist() == [900, 300]
    s = t.lazy().sort("bytes").select("bytes").collect()
    assert s["bytes"].tolist()[-1] is None or s.column("bytes").null_count == 1  # nulls last
    assert t.lazy().sort("bytes", descending=True).limit(1).collect()["bytes"].tolist() == [900]


def test_sample_is_repeatable(t):
    a = t.lazy().sample(0.5, seed=3).collect()
    b = t.lazy().sample(0.5, seed=3).collect()
    assert a.to_pylist() == b.to_pylist()


# -- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, message", [
    (lambda q: q.filter(vf.col("nope") == 1), "unknown column 'nope'"),
    (lambda q: q.filter(vf.col("action") > 5), "type mismatch"),
    (lambda q: q.filter(vf.col("bytes") == "x"), "type mismatch"),
    (lambda q: q.filter(vf.col("srcaddr").in_subnet("10.0.0.0/33")), "bad CIDR"),
    (lambda q: q.group_by(vf.bin("start", "15 parsecs")).agg(vf.count()), "bad duration"),
    (lambda q: q.agg(vf.sum("action")), "needs a numeric column"),
    (lambda q: q.with_columns(x=vf.col("action") + 1), "type mismatch"),
])
def test_bad_queries_raise_query_error(t, build, message):
    with pytest.raises(QueryError, match=message):
        build(t.lazy()).collect()


def test_expressions_have_no_truth_value():
    with pytest.raises(TypeError):
        bool(vf.col("a") == 1)


# -- the pipe form -------------------------------------------------------------------------------------
def test_pipe_query(t):
    r = t.query('filter action = "REJECT" and dstport in [22, 3389] | stats sum(packets) as packets, count(*) '
                'by srcaddr | sort packets desc | limit 10')
    assert rows(r) == [("10.0.0.2", 5, 1), ("10.0.0.1", 3, 1), ("192.168.1.5", 2, 1)]
    assert r.column_names == ["srcaddr", "packets", "count(*)"]
    r2 = t.query('filter isIpInSubnet(srcaddr, "10.0.0.0/8") and not action like "ACC" '
                 '| stats count(*) as n by bin(15m) as w | sort w')
    assert rows(r2) == [(900, 2)]
    r3 = t.query("fields srcaddr, bytes / packets as rate | filter rate > 50 | sort rate desc")
    assert r3.column_names == ["srcaddr", "rate"] and r3.num_rows == 3
    r4 = t.query("filter srcaddr like /^10\\.0/ | stats count(*) as n")
    assert rows(r4) == [(3,)]
    r5 = t.query("filter ispresent(bytes) and protocol_name(protocol) = 'UDP' | display srcaddr")
    assert rows(r5) == [("2001:db8::1",)]


@pytest.mark.parametrize("text, pos, expected", [
    ('filter action = "REJECT" | stats sum(packets) by', 48, "expected a field"),
    ("filter bytes >", 14, "expected a field, number, string or function"),
    ("stats sum(bytes) as", 19, "a name after 'as'"),
    ("sort bytes | limit x", 19, "whole number"),
    ("frobnicate bytes", 0, "expected a command"),
    ('filter action = "REJECT', 16, "unterminated string"),
    ("filter dstport in [22, ", 23, "number or string"),
    ("stats count(*) by bin(start, 15q)", 29, "bad duration"),
    ("filter bytes > 5 bytes", 17, "'|' and another command"),
])
def test_syntax_errors_point_at_the_problem(text, pos, expected):
    with pytest.raises(QueryError) as ei:
        parse(text)
    e = ei.value
    assert e.position == pos, str(e)
    assert expected in str(e)
    assert "^" in str(e) and e.query == text


def test_pipe_semantic_errors(t):
    with pytest.raises(QueryError, match="unknown column 'nope'"):
        t.query("filter nope = 1")
    with pytest.raises(QueryError, match="bad CIDR"):
        t.query('filter isIpInSubnet(srcaddr, "10.0.0/8x")')
    with pytest.raises(QueryError, match="is an aggregate"):
        t.query("filter sum(bytes) > 1")


def test_a_when_of_texts_compared_with_isin_is_a_query_error(t):
    """It crashed with an AttributeError (found by the type check); `when(...) == "a"` already said this."""
    big = vf.when(vf.col("bytes") > 1000, "big", "small")
    with pytest.raises(QueryError, match="cannot compare .* with text"):
        t.lazy().filter(big.isin(["big"])).collect()
    with pytest.raises(QueryError, match="cannot compare .* with text"):
        t.lazy().filter(big == "big").collect()


# -- display -------------------------------------------------------------------------------------------
def test_explain_and_html(t):
    q = t.lazy().filter(vf.col("action") == "REJECT").group_by("srcaddr").agg(vf.sum("bytes")).top(3, by="sum(bytes)")
    text = q.explain()
    assert "Filter" in text and "Aggregate" in text and "Top 3" in text
    html = q.collect()._repr_html_()
    assert "vpcflow-table" in html and "10.0.0.2" in html


def test_nan_and_math(t):
    r = t.lazy().filter(vf.col("bytes").is_not_null()).agg(vf.max(vf.col("bytes") / vf.col("packets")).alias("m")) \
        .collect().to_pylist()[0]["m"]
    assert math.isclose(r, 900 / 7)
