"""Queries over more rows than their memory budget run in batches of row groups and give the same answer.

A dataset query whose columns would need more than ``memory_limit`` is scanned a batch of whole
row groups at a time; each batch is aggregated into partial groups and the partials are combined
(vpcflow/partial.py).  Every test runs the same query with the default budget (one scan) and with
a budget so small that every row group is a batch of its own, and requires the same answer
(integers and strings exactly, floats within 1e-9 relative).  tests/test_query_duckdb.py also
runs a quarter of its random queries batched against DuckDB.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import vpcflow as vf
from vpcflow import recipes

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

TINY = 1  # bytes: every row group is a batch of its own


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b and type(a) is type(b)


def same(a: vf.Table, b: vf.Table) -> None:
    assert a.column_names == b.column_names
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert a.column(name).type == b.column(name).type, name
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        bad = [(i, u, v) for i, (u, v) in enumerate(zip(x, y)) if not _close(u, v)]
        assert not bad, f"{name}: {bad[:5]}"


def by_keys(t: vf.Table, keys: list[str]) -> vf.Table:
    return t.lazy().sort(keys).collect()


@pytest.fixture(scope="module")
def flows_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("batched")
    vf.synth.write_sample(root / "logs", records=20_000, seed=5, formats=("v2", "v5"), hours=4)
    vf.convert(root / "logs", root / "flows", partition_by="hour", progress=False, row_group_size=2500)
    return root / "flows"


@pytest.fixture(scope="module")
def flows(flows_dir):
    return vf.dataset(flows_dir), vf.dataset(flows_dir, memory_limit=TINY)


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """Float keys with -0.0, NaN and null, values with NaN, nulls and ties, in row groups of 3 rows."""
    root = tmp_path_factory.mktemp("edge")
    k = [0.0, -0.0, float("nan"), 1.5, None, 0.0, float("nan"), None, -0.0, 1.5, 1.5, 2.5]
    x = [1.0, float("nan"), 2.0, None, 4.0, -1.0, float("nan"), 3.0, None, 7.0, 7.0, 5.0]
    n = [5, 7, None, 3, 3, 5, 1, 2, 9, 4, 4, 4]
    t = [10, 10, 30, 20, 20, 10, 5, 5, 10, 20, 20, 20]   # ties for earliest/latest across row groups
    s = ["a", "b", "c", "d", None, "f", "g", "h", "i", "j", "k", "l"]
    c = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0]  # constant within a row group
    table = pa.table({"k": pa.array(k, pa.float64()), "x": pa.array(x, pa.float64()), "n": pa.array(n, pa.int64()),
                      "t": pa.array(t, pa.int64()), "s": pa.array(s, pa.string()), "c": pa.array(c, pa.float64())})
    pq.write_table(table, root / "e.parquet", row_group_size=3)
    return vf.dataset(root), vf.dataset(root, memory_limit=TINY)


RECIPES = ["top_talkers", "top_talking_instances", "top_talking_subnets", "top_host_pairs", "rejected_by_source",
           "rejected_by_port", "rejected_by_protocol", "admin_port_traffic", "accepted_tcp", "ip_version_bytes",
           "internal_external", "corr_bytes_packets", "rejected_packets_per_window", "top_https_destinations",
           "emr_top_talkers"]


@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_gives_the_same_answer_in_batches(flows, name):
    ds, small = flows
    f = getattr(recipes, name)
    one, many = f(ds, threads=2), f(small, threads=2)
    assert one.report.batches == 1
    assert many.report.batches > 4
    same(one, many)


def test_rows_for_one_address_in_batches(flows):
    ds, small = flows
    addr = ds.filter(vf.col("srcaddr").is_not_null()).limit(1).collect().column("srcaddr").to_pylist()[0]
    one, many = recipes.traffic_for(ds, addr), recipes.traffic_for(small, addr)
    assert one.num_rows > 0
    same(one, many)


def test_every_aggregate_in_batches(flows):
    ds, small = flows

    def q(d):
        return (d.filter(vf.col("action") == "REJECT")
                .group_by("dstport", vf.protocol_name("protocol").alias("p"), vf.bin("start", "15m").alias("w"))
                .agg(vf.count(), vf.count("srcaddr").alias("n"), vf.sum("bytes").alias("b"),
                     vf.min("start").alias("lo"), vf.max("end").alias("hi"), vf.avg("bytes").alias("a"),
                     vf.stddev("packets").alias("sd"), vf.stddev_pop("bytes").alias("sp"),
                     vf.variance("bytes").alias("v"), vf.corr("bytes", "packets").alias("r"),
                     vf.count_distinct("srcaddr").alias("cd"), vf.count_distinct("dstaddr").alias("cd2"),
                     vf.earliest("srcaddr").alias("e"), vf.latest("bytes").alias("l"))
                .sort(["dstport", "p", "w"]))
    one, many = q(ds).collect(), q(small).collect()
    assert one.num_rows > 100 and many.report.batches > 4
    same(one, many)


def test_an_approximate_distinct_count_is_exact_in_batches(flows):
    ds, small = flows
    approx = small.group_by("dstport").agg(vf.count_distinct("srcaddr", approx=True).alias("c")).sort("dstport")
    exact = ds.group_by("dstport").agg(vf.count_distinct("srcaddr").alias("c")).sort("dstport")
    same(exact.collect(), approx.collect())


def test_global_aggregates_and_empty_results_in_batches(flows):
    ds, small = flows
    for q in (lambda d: d.filter(vf.col("bytes") > 1000).agg(vf.count(), vf.avg("bytes").alias("a"),
                                                             vf.count_distinct("srcaddr").alias("c")),
              lambda d: d.filter(vf.col("bytes") < 0).group_by("srcaddr").agg(vf.count()),
              lambda d: d.filter(vf.col("bytes") < 0).agg(vf.count(), vf.sum("bytes").alias("s")),
              lambda d: d.filter(vf.col("dstport") == 99999).agg(vf.count(), vf.max("bytes").alias("m"))):
        same(q(ds).collect(), q(small).collect())
    r = small.filter(vf.col("bytes") > 1000).agg(vf.count()).collect()
    assert r.report.batches > 4 and r.to_pylist()[0]["count"] == ds.filter(vf.col("bytes") > 1000).collect().num_rows


def test_rows_without_aggregation_in_batches(flows):
    ds, small = flows
    for q in (lambda d: d.filter(vf.col("dstport") == 22).select("srcaddr", "dstport", "start")
              .sort(["start", "srcaddr"]),
              lambda d: d.filter(vf.col("dstport") == 443).with_columns(x=vf.col("bytes") * 2).select("x", "start")
              .sort(["start", "x"]),
              lambda d: d.select("srcaddr", "bytes", "start").top(7, by="bytes"),
              lambda d: d.lazy().filter(vf.col("srcaddr").in_subnet("10.0.0.0/8")).select("srcaddr", "bytes")):
        same(q(ds).collect(), q(small).collect())


def test_a_limit_stops_reading_batches(flows):
    ds, small = flows
    r = small.filter(vf.col("dstport") == 443).limit(5).collect()
    assert r.num_rows == 5
    assert r.report.rows_read < ds.filter(vf.col("dstport") == 443).collect().report.rows_read
    same(ds.filter(vf.col("dstport") == 443).limit(5).collect(), r)


def test_the_plan_and_report_show_the_batches(flows):
    ds, small = flows
    q = small.filter(vf.col("dstport") == 22).group_by("srcaddr").agg(vf.count())
    batches = [line for line in q.explain().splitlines() if "batches:" in line]
    assert len(batches) == 1 and re.search(r"batches: \d+ of whole row groups .* the largest [\d,]+ rows", batches[0])
    assert "batches:" in ds.filter(vf.col("dstport") == 22).group_by("srcaddr").agg(vf.count()).explain(TINY)
    r = q.collect()
    assert r.report.batches > 4 and r.report.rows_read > 0 and r.report.bytes_read > 0
    assert "batches:" not in ds.filter(vf.col("dstport") == 22).group_by("srcaddr").agg(vf.count()).explain()
    # one query can ask for another budget than its dataset's
    assert ds.group_by("action").agg(vf.count()).collect(memory_limit=TINY).report.batches > 4
    assert small.group_by("action").agg(vf.count()).collect(memory_limit=1 << 30).report.batches == 1


def test_the_pipe_form_in_batches(flows):
    ds, small = flows
    text = ('filter action = "REJECT" | stats sum(packets) as packets, count(*) as n by srcaddr, bin(15m) as w '
            '| sort packets desc | limit 10')
    same(ds.query(text), small.query(text))


def test_names_shared_by_two_numbers_group_together_in_batches(flows, monkeypatch):
    import vpcflow.names as names

    ds, small = flows
    q = lambda d: (d.group_by(vf.service_name("dstport").alias("s"))  # noqa: E731
                   .agg(vf.count().alias("n"), vf.sum("bytes").alias("b")).sort("s"))
    shared = names.service_names().copy()
    shared[22] = shared[443] = "ssh-or-https"
    monkeypatch.setattr(names, "service_names", lambda: shared)
    one, many = q(ds).collect(), q(small).collect()
    same(one, many)
    groups = dict(zip(one.column("s").to_pylist(), one.column("n").to_pylist()))
    want = ds.filter(vf.col("dstport").isin([22, 443])).agg(vf.count()).collect().to_pylist()[0]["count"]
    assert groups["ssh-or-https"] == want and "ssh" not in groups and "https" not in groups


def test_float_keys_nan_nulls_and_ties_in_batches(edge):
    ds, small = edge

    def q(d):
        return (d.group_by("k").agg(vf.count(), vf.min("x").alias("lo"), vf.max("x").alias("hi"),
                                    vf.sum("x").alias("sx"), vf.avg("n").alias("a"), vf.earliest("s", by="t").alias("e"),
                                    vf.latest("s", by="t").alias("l"), vf.corr("c", "n").alias("r"),
                                    vf.stddev("c").alias("sd"), vf.count_distinct("n").alias("d"))
                .collect())
    one, many = q(ds), q(small)
    assert many.report.batches == 4
    same(by_keys(one, ["k"]), by_keys(many, ["k"]))
    got = {(None if v is None else ("nan" if v != v else v)): row for v, row in
           zip(many.column("k").to_pylist(), many.to_pylist())}
    assert set(got) == {0.0, 1.5, 2.5, "nan", None}          # -0.0 and 0.0 one group, NaNs one group
    assert got[0.0]["count"] == 4 and got["nan"]["count"] == 2 and got[None]["count"] == 2
    assert math.isnan(got[0.0]["hi"]) and got[0.0]["lo"] == -1.0   # NaN is the largest value, never the least
    assert got[1.5]["lo"] == 7.0 and got[1.5]["sx"] == 14.0         # a null x ignored
    assert got[0.0]["e"] == "a" and got[0.0]["l"] == "a"            # ties on t: the first row, over batches
    assert got[1.5]["e"] == "d" and got[1.5]["l"] == "d"
    assert got["nan"]["e"] == "g" and got["nan"]["l"] == "c"


def test_an_integer_sum_beyond_64_bits_fails_in_batches_as_in_one_scan(tmp_path):
    big = 2 ** 62
    pq.write_table(pa.table({"g": [1, 1, 1, 2], "v": pa.array([big, big, big, 5], pa.int64())}),
                   tmp_path / "b.parquet", row_group_size=1)
    for d in (vf.dataset(tmp_path), vf.dataset(tmp_path, memory_limit=TINY)):
        with pytest.raises(vf.QueryError, match=r"sum\(col\(.v.\)\).*64-bit integer range"):
            d.group_by("g").agg(vf.sum("v")).collect()
    # the mean of the same values needs no 64-bit total, in either form
    for d in (vf.dataset(tmp_path), vf.dataset(tmp_path, memory_limit=TINY)):
        got = d.group_by("g").agg(vf.avg("v").alias("a")).sort("g").collect().to_pylist()
        assert got == [{"g": 1, "a": float(big)}, {"g": 2, "a": 5.0}]


@pytest.mark.parametrize("bad", [0, -1, "1G", 1.5, True, None])
def test_a_bad_memory_limit_is_refused(flows, bad):
    ds, _ = flows
    if bad is None:
        with pytest.raises(ValueError, match="memory_limit"):
            vf.dataset(ds.files[0], memory_limit=bad)  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match="memory_limit"):
        ds.group_by("action").agg(vf.count()).collect(memory_limit=bad)
    with pytest.raises(ValueError, match="memory_limit"):
        vf.dataset(ds.files[0], memory_limit=bad)


def test_the_same_aggregate_twice_under_two_names(flows):
    ds, small = flows
    for d in (ds, small):
        r = d.group_by("action").agg(vf.sum("bytes").alias("a"), vf.sum("bytes").alias("b")).collect()
        assert r.column("a").to_pylist() == r.column("b").to_pylist()
    t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\n")
    assert t.lazy().agg(vf.count().alias("x"), vf.count().alias("y")).collect().to_pylist() == [{"x": 1, "y": 1}]


def test_partial_groups_of_many_batches_combine_without_a_python_loop_per_group():
    """The combine on its own: 50,000 groups in 3 tables of partial rows."""
    from vpcflow import partial
    from vpcflow.table import Column, Table

    rng = np.random.default_rng(3)
    s = partial.split([vf.sum("x").alias("s"), vf.count().alias("n")])
    tables = []
    for _ in range(3):
        g = rng.permutation(50_000)[:40_000].astype(np.int64)
        tables.append(Table([Column("g", "int64", g), Column("__p0_0", "int64", g * 2),
                             Column("__p1_0", "int64", np.ones(len(g), np.int64))]))
    from vpcflow.query import _concat

    out = partial.combine(_concat(tables), [], ["g"], s, ["s", "n"])
    g = out.column("g").values
    assert np.array_equal(g, np.sort(g)) and len(np.unique(g)) == len(g)
    assert np.array_equal(out.column("s").values, 2 * g * out.column("n").values)
    want = np.zeros(50_000, np.int64)
    for t in tables:
        want[t.column("g").values] += 1
    assert np.array_equal(out.column("n").values, want[g])


def test_the_command_line_takes_a_memory_limit(flows_dir, capsys):
    from vpcflow.cli import main

    root = str(flows_dir)
    text = 'filter dstport = 22 | stats count(*) as n by srcaddr | sort n desc, srcaddr | limit 5'
    assert main(["query", root, text, "--format", "csv"]) == 0
    whole = capsys.readouterr().out
    assert main(["query", root, text, "--format", "csv", "--memory-limit", "1K"]) == 0
    assert capsys.readouterr().out == whole and whole.count("\n") == 6
    assert main(["query", root, text, "--memory-limit", "1K", "--explain"]) == 0
    assert "batches:" in capsys.readouterr().out
    assert main(["query", root, text, "--memory-limit", "0"]) == 1
    assert "memory_limit must be a positive number of bytes" in capsys.readouterr().err


def test_files_without_a_column_in_batches_and_after_pruning(tmp_path):
    """A column only some files have (v2 logs, then v5) is null in the others' rows, whichever files
    a batch or the pruning leaves."""
    (tmp_path / "hour=0").mkdir()
    (tmp_path / "hour=1").mkdir()
    pq.write_table(pa.table({"k": ["a", "b", "a"], "x": [1, 2, 3]}), tmp_path / "hour=0" / "a.parquet",
                   row_group_size=2)
    pq.write_table(pa.table({"k": ["b", "c", "a"], "x": [4, 5, 6], "z": ["p", "q", None]}),
                   tmp_path / "hour=1" / "b.parquet", row_group_size=2)
    for lim in (None, TINY):
        ds = vf.dataset(tmp_path) if lim is None else vf.dataset(tmp_path, memory_limit=lim)
        r = ds.group_by("k").agg(vf.count_distinct("z").alias("cz"), vf.count().alias("n")).sort("k").collect()
        assert r.to_pylist() == [{"k": "a", "cz": 0, "n": 3}, {"k": "b", "cz": 1, "n": 2}, {"k": "c", "cz": 1, "n": 1}]
        assert ds.select("k", "z").collect().column("z").to_pylist() == [None, None, None, "p", "q", None]
        assert ds.filter(vf.col("z") == "p").select("k").collect().to_pylist() == [{"k": "b"}]
        # pruning leaves only the file without z: its rows, z null
        assert ds.filter(vf.col("hour") == 0).select("k", "z").collect().to_pylist() == \
            [{"k": "a", "z": None}, {"k": "b", "z": None}, {"k": "a", "z": None}]
        assert ds.filter(vf.col("hour") == 0).select("z").collect().num_rows == 3


def test_constant_groups_and_far_from_zero_values_in_batches(tmp_path):
    """A group whose values are all equal has variance 0 and corr NaN however each batch's mean
    rounds; epoch-second sized values keep their variance's digits."""
    rng = np.random.default_rng(7)
    k = np.repeat(["a", "b"], 30)
    c = np.full(60, 0.1)
    t = (1_700_000_000 + rng.integers(0, 900, 60)).astype(np.int64)
    y = rng.normal(size=60)
    pq.write_table(pa.table({"k": k, "c": c, "t": t, "y": y}), tmp_path / "c.parquet", row_group_size=7)
    q = lambda d: (d.group_by("k").agg(vf.stddev("c").alias("sd"), vf.corr("c", "y").alias("r"),  # noqa: E731
                                       vf.variance("t").alias("vt"), vf.corr("t", "y").alias("rt"),
                                       vf.avg("t").alias("at")).sort("k").collect())
    one, many = q(vf.dataset(tmp_path)), q(vf.dataset(tmp_path, memory_limit=TINY))
    assert many.report.batches == 9
    same(one, many)
    for row in many.to_pylist():
        assert row["sd"] == 0.0 and math.isnan(row["r"])
    want = [float(np.var(t[k == g].astype(np.float64), ddof=1)) for g in ("a", "b")]
    assert many.column("vt").to_pylist() == pytest.approx(want, rel=1e-10)
    assert one.column("vt").to_pylist() == pytest.approx(want, rel=1e-10)


def test_an_integer_sum_near_the_64_bit_limit_is_exact_in_batches(tmp_path):
    h = 9_200_000_000_000_000_000 // 4
    pq.write_table(pa.table({"h": pa.array([h, h, h, h, 7, 8], pa.int64())}), tmp_path / "h.parquet",
                   row_group_size=2)
    for d in (vf.dataset(tmp_path), vf.dataset(tmp_path, memory_limit=TINY)):
        assert d.agg(vf.sum("h").alias("s")).collect().to_pylist() == [{"s": 4 * h + 15}]


def test_group_keys_named_like_the_internal_columns(flows):
    ds, small = flows
    for alias in ("__n", "__d", "__p0_0", "__pd"):
        q = lambda d: (d.group_by(vf.col("action").alias(alias))  # noqa: E731
                       .agg(vf.sum("bytes").alias("b"), vf.count_distinct("dstport").alias("p")).sort(alias))
        same(q(ds).collect(), q(small).collect())
