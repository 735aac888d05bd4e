"""What planning changes and what it must not: null-key filters moved after the aggregation,
top-k ranking only its candidates, result dictionaries compacted.  Every answer is checked
against a plain-Python reference on generated tables with nulls, ties and large dictionaries."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

import vpcflow as vf
from vpcflow import recipes


@pytest.fixture(scope="module")
def t() -> vf.Table:
    """20,000 flows: many addresses (a large dictionary), nulls in every column, tied sums."""
    rng = np.random.default_rng(7)
    lines = []
    for i in range(20_000):
        if rng.random() < 0.05:
            lines.append(f"2 1 eni-{i % 7} - - - - - - - {1000 + i} {1060 + i} - NODATA")
            continue
        src = f"10.{rng.integers(0, 4)}.{rng.integers(0, 60)}.{rng.integers(1, 40)}"
        dst = "-" if rng.random() < 0.03 else f"172.31.{rng.integers(0, 3)}.{rng.integers(1, 9)}"
        action = rng.choice(["ACCEPT", "REJECT"])
        port = rng.choice([22, 80, 443, 3389, 53])
        lines.append(f"2 1 eni-{i % 7} {src} {dst} 40000 {port} 6 {rng.integers(1, 4)} "
                     f"{rng.integers(1, 4) * 100} {1000 + i} {1060 + i} {action} OK")
    return vf.parse_text("\n".join(lines) + "\n", fields=None)


def _py(t: vf.Table) -> list[dict]:
    return t.to_pylist()


def _sums(rows: list[dict], keys: tuple[str, ...], metric: str, where=lambda r: True) -> dict:
    out: dict = defaultdict(int)
    for r in rows:
        if where(r) and r[metric] is not None:
            out[tuple(r[k] for k in keys)] += r[metric]
        elif where(r):
            out.setdefault(tuple(r[k] for k in keys), 0)
    return dict(out)


def test_null_key_filter_moves_after_the_aggregation(t):
    q = t.lazy().filter(vf.col("srcaddr").is_not_null()).group_by("srcaddr").agg(vf.sum("bytes").alias("b"))
    plan = q.explain()
    assert "null groups of srcaddr dropped" in plan and "Filter" not in plan
    got = {(r["srcaddr"],): r["b"] for r in q.collect().to_pylist()}
    want = _sums(_py(t), ("srcaddr",), "bytes", lambda r: r["srcaddr"] is not None)
    assert got == want and None not in {k[0] for k in got}


def test_null_key_filter_with_other_conditions_and_aliases(t):
    cond = (vf.col("dstaddr").is_not_null() & (vf.col("bytes") > 100)) & vf.col("srcaddr").is_not_null()
    q = (t.lazy().filter(cond).filter(vf.col("action") == "ACCEPT")
         .group_by(vf.col("srcaddr").alias("s"), "dstaddr").agg(vf.count().alias("n"), vf.sum("packets").alias("p")))
    plan = q.explain()
    assert "null groups of s, dstaddr dropped" in plan or "null groups of dstaddr, s dropped" in plan
    assert "bytes" in plan and "REJECT" not in plan and "ACCEPT" in plan  # the other conditions still run
    got = {(r["s"], r["dstaddr"]): (r["n"], r["p"]) for r in q.collect().to_pylist()}
    want: dict = {}
    for r in _py(t):
        if r["srcaddr"] and r["dstaddr"] and r["bytes"] is not None and r["bytes"] > 100 and r["action"] == "ACCEPT":
            n, p = want.get((r["srcaddr"], r["dstaddr"]), (0, 0))
            want[(r["srcaddr"], r["dstaddr"])] = (n + 1, p + r["packets"])
    assert got == want


def test_a_filter_on_a_non_key_or_after_a_sample_stays(t):
    q = t.lazy().filter(vf.col("dstaddr").is_not_null()).group_by("srcaddr").agg(vf.count())
    assert "Filter" in q.explain() and "dropped" not in q.explain()
    got = {r["srcaddr"]: r["count"] for r in q.collect().to_pylist()}
    want: dict = defaultdict(int)
    for r in _py(t):
        if r["dstaddr"] is not None:
            want[r["srcaddr"]] += 1
    assert got == dict(want)
    # without the filter the null group is there
    assert None in t.lazy().group_by("srcaddr").agg(vf.count()).collect()["srcaddr"].tolist()
    q2 = t.lazy().filter(vf.col("srcaddr").is_not_null()).sample(0.5, seed=1).group_by("srcaddr").agg(vf.count())
    assert "Filter" in q2.explain()
    assert None not in q2.collect()["srcaddr"].tolist()


@pytest.mark.parametrize("n", [1, 5, 37, 500])
def test_top_k_ranks_ties_by_key_text(t, n):
    """top(n) after an aggregation: by the metric, ties by the keys' text (as SQL ORDER BY m DESC, key)."""
    got = (t.lazy().filter(vf.col("srcaddr").is_not_null()).group_by("srcaddr", "dstport")
           .agg(vf.sum("packets").alias("p")).top(n, by="p").collect().to_pylist())
    sums = _sums(_py(t), ("srcaddr", "dstport"), "packets", lambda r: r["srcaddr"] is not None)
    want = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] is None, kv[0][1] or 0))[:n]
    assert [((r["srcaddr"], r["dstport"]), r["p"]) for r in got] == want
    # sort + limit gives the same
    same = (t.lazy().filter(vf.col("srcaddr").is_not_null()).group_by("srcaddr", "dstport")
            .agg(vf.sum("packets").alias("p")).sort("p", descending=True).limit(n).collect().to_pylist())
    assert same == got


def test_sort_by_address_text_with_nulls_last(t):
    got = t.lazy().group_by("dstaddr").agg(vf.count()).sort("dstaddr", descending=True).collect()
    keys = got["dstaddr"].tolist()
    assert keys[-1] is None
    assert keys[:-1] == sorted({k for k in t["dstaddr"].tolist() if k is not None}, reverse=True)


def test_results_keep_only_the_dictionary_entries_they_use(t):
    r = recipes.top_talkers(t, n=3)
    c = r.column("srcaddr")
    assert len(c.dictionary) == 3 and sorted(c.codes.tolist()) == [0, 1, 2]
    sums = _sums(_py(t), ("srcaddr",), "bytes", lambda r: r["srcaddr"] is not None)
    want = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0][0]))[:3]
    assert [(x["srcaddr"], x["bytes"]) for x in r.to_pylist()] == [(k[0], v) for k, v in want]
    # strings too, and nulls stay null
    s = t.lazy().filter(vf.col("bytes") > 250).select("interface_id", "srcaddr").limit(4).collect()
    assert s.to_pylist() == t.lazy().filter(vf.col("bytes") > 250).collect().select(
        ["interface_id", "srcaddr"]).head(4).to_pylist()
    one = t.lazy().filter(vf.col("srcaddr").is_null()).select("srcaddr", "interface_id").limit(2).collect()
    assert one["srcaddr"].tolist() == [None, None] and len(one.column("srcaddr").dictionary) == 0


def test_scan_that_cuts_to_the_filter_rows_is_not_filtered_again(t, tmp_path):
    """A filter on a dataset reads its columns first and the others for the picked rows only: those
    rows are exactly the filter's, so the query does not run it again.  When it keeps most rows,
    the scan returns every row read and where the filter's rows are, and the query goes on from
    there (again without filtering twice)."""
    path = tmp_path / "t.parquet"
    vf.write_parquet(t, path, row_group_size=5000, page_rows=1000)
    ds = vf.dataset(str(path))
    rows = _py(t)
    a = next(r["srcaddr"] for r in rows[12_000:] if r["srcaddr"] is not None)
    cases = [
        ((vf.col("srcaddr") == a) & (vf.col("start") > 11_000), True,
         lambda r: r["srcaddr"] == a and r["start"] > 11_000),
        (vf.col("bytes") > 100, False, lambda r: r["bytes"] is not None and r["bytes"] > 100),
        (vf.col("start") >= 20_990, True, lambda r: r["start"] >= 20_990),
    ]
    for cond, filtered, keep in cases:
        table, exact, where = ds._scan_selected(None, [cond], 1)
        assert table.report.filtered is filtered and exact, cond
        want = [r for r in rows if keep(r)]
        assert (where is None) is filtered
        assert (table if where is None else table.take(where)).to_pylist() == want
        assert want and ds.filter(cond).collect(1).to_pylist() == want
        # later steps still run: a second filter, and an aggregation
        got = ds.filter(cond).filter(vf.col("action") == "REJECT").collect(2).to_pylist()
        assert got == [r for r in want if r["action"] == "REJECT"]
        agg = ds.filter(cond).group_by("action").agg(vf.count().alias("n")).sort("action").collect()
        counts: dict = defaultdict(int)
        for r in want:
            counts[r["action"]] += 1
        assert agg.to_pylist() == [{"action": k, "n": counts[k]}
                                   for k in sorted(counts, key=lambda k: (k is None, k))]


def test_recipes_take_threads(t):
    for threads in (1, 2):
        assert (recipes.top_host_pairs(t, n=4, threads=threads).to_pylist()
                == recipes.top_host_pairs(t, n=4).to_pylist())
        assert (recipes.accepted_tcp(t, threads=threads).to_pylist() == recipes.accepted_tcp(t).to_pylist())


def test_integer_page_bounds_test_agrees_with_the_general_pruning_rules():
    """The planner's fast test of a page's integer bounds keeps a page exactly when the general
    outcome rules say the comparison can be true there."""
    import itertools
    import random

    from vpcflow.prune import ColumnStats, outcomes
    from vpcflow.prune import int_bound_test as _int_bound_test

    rng = random.Random(5)
    ops = ["==", "<", "<=", ">", ">="]
    assert _int_bound_test(vf.col("start") == "x") is None
    assert _int_bound_test(vf.col("start").is_null()) is None
    assert _int_bound_test((vf.col("start") > 1) & (vf.col("start") < 5)) is None
    for op, flipped in itertools.product(ops, [False, True]):
        for _ in range(200):
            lo = rng.randint(-5, 5)
            hi = lo + rng.randint(0, 4)
            v = rng.randint(-8, 10)
            c, lit = vf.col("start"), vf.lit(v)
            e = {"==": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                 ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op](*((lit, c) if flipped else (c, lit)))
            fast = _int_bound_test(e)
            assert fast is not None
            st = ColumnStats(lo, hi, rng.randint(0, 3), 10)
            assert fast(lo, hi) == ("T" in outcomes(e, lambda name: st)), (repr(e), lo, hi)
