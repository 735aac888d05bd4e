"""Aggregates by few groups (lanes) and by many (per row) give the same answers.

stddev, variance and corr by group: the batched path (few groups per morsel: sums, then centred
sums, merged with Chan's formula) and the per-row path (many groups) agree with a float128-free
two-pass reference in NumPy, also on values far from zero where a naive sum of squares fails
(there both paths lose about log10(mean / stddev)^2 digits, as Welford's update does: the
tolerance widens with that conditioning)."""
from __future__ import annotations

import numpy as np
import pytest

from vpcflow import _exec
from vpcflow.table import Column, Table


def _reference(k: np.ndarray, x: np.ndarray, y: np.ndarray, valid: np.ndarray) -> dict:
    out = {}
    for g in np.unique(k):
        m = (k == g) & valid
        xs, ys = x[m], y[m]
        n = len(xs)
        if n < 2:
            out[int(g)] = (n, None, None)
            continue
        dx, dy = xs - xs.mean(), ys - ys.mean()
        var = float((dx * dx).sum() / (n - 1))
        corr = float((dx * dy).sum() / np.sqrt((dx * dx).sum() * (dy * dy).sum()))
        out[int(g)] = (n, var, corr)
    return out


@pytest.mark.parametrize("groups", [1, 2, 5, 63, 64, 300, 5000])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("offset,rel", [(0.0, 1e-9), (1e6, 1e-8), (1e9, 1e-6)])
def test_moments_match_two_pass_reference(groups, threads, offset, rel):
    rng = np.random.default_rng(groups * 10 + threads)
    n = 50_000
    k = rng.integers(0, groups, n).astype(np.int64)
    x = offset + rng.normal(0, 3, n)                   # far from zero: needs centring
    y = 2.5 * x + rng.normal(0, 1, n)
    valid = rng.random(n) > 0.1
    t = Table([Column("k", "int64", k), Column("x", "float64", np.where(valid, x, 0.0), valid),
               Column("y", "float64", y)])
    g = _exec.group_agg(t, ["k"], [("variance", "x"), ("corr", "x", "y"), ("count", "x")], None, threads)
    got = {kk: (c, v, r) for kk, v, r, c in zip(g["k"].tolist(), g["variance(x)"].tolist(),
                                                 g["corr(x, y)"].tolist(), g["count(x)"].tolist())}
    want = _reference(k, x, y, valid)
    assert got.keys() == want.keys()
    for kk, (n_, var, corr) in want.items():
        c, v, r = got[kk]
        assert c == n_
        if var is None:
            assert v is None
        else:
            assert v == pytest.approx(var, rel=rel)
            assert r == pytest.approx(corr, rel=rel, abs=rel)


@pytest.mark.parametrize("groups", [1, 3, 63, 64, 65, 1000])
@pytest.mark.parametrize("threads", [1, 2])
def test_counts_and_integer_sums_by_few_or_many_groups(groups, threads):
    """Row counts and integer sums (signed, unsigned, with nulls) in lanes for few groups, per row
    otherwise: exact either way, and groups of only null values still counted."""
    rng = np.random.default_rng(groups + 100 * threads)
    n = 30_000
    k = rng.integers(0, groups, n).astype(np.int64)
    v = rng.integers(-2**46, 2**46, n).astype(np.int64)
    u = rng.integers(0, 2**64 - 1, n, dtype=np.uint64)
    valid = rng.random(n) > 0.2
    valid[k == 0] = False                                  # group 0: rows, but no values
    t = Table([Column("k", "int64", k), Column("v", "int64", np.where(valid, v, 0), valid),
               Column("u", "uint64", u)])
    g = _exec.group_agg(t, ["k"], [("count_all",), ("sum", "v"), ("count", "v"), ("avg", "u")], None, threads)
    for kk, rows, s, c, a in zip(g["k"].tolist(), g["count(*)"].tolist(), g.column("sum(v)").to_pylist(),
                                 g["count(v)"].tolist(), g["avg(u)"].tolist()):
        m = k == kk
        assert rows == int(m.sum())
        assert c == int((m & valid).sum())
        assert s == (sum(int(x) for x in v[m & valid]) if c else None)
        assert a == pytest.approx(sum(int(x) for x in u[m]) / int(m.sum()), rel=1e-12)


@pytest.mark.parametrize("groups", [1, 5, 5000])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("value", [0.1, 1e9 + 0.3, -7.77])
def test_a_constant_group_has_variance_0_and_corr_nan(groups, threads, value):
    """sum / n of equal values can round away from the value (0.1 * 30 / 30); the moments are taken
    from the group's first value, so a constant column has variance exactly 0 and corr NaN (as
    DuckDB gives: covar_pop / (stddev_pop(x) * stddev_pop(y)) with a zero product)."""
    rng = np.random.default_rng(groups + threads)
    n = 40_000
    k = rng.integers(0, groups, n).astype(np.int64)
    t = Table([Column("k", "int64", k), Column("c", "float64", np.full(n, value)),
               Column("y", "float64", rng.normal(size=n))])
    g = _exec.group_agg(t, ["k"], [("variance", "c"), ("stddev_pop", "c"), ("corr", "c", "y"), ("avg", "c")],
                        None, threads)
    # (with 5000 groups some hold one row: a sample variance of one value is null)
    assert set(g["variance(c)"].tolist()) - {None} == {0.0} and set(g["stddev_pop(c)"].tolist()) == {0.0}
    assert all(np.isnan(r) for r in g["corr(c, y)"].tolist())
    assert g["avg(c)"].tolist() == pytest.approx([value] * len(np.unique(k)), rel=1e-12)
