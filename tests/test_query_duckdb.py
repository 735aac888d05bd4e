"""The query engine gives exactly DuckDB's answers on the same Parquet files.

Every recipe and 240 randomly generated queries (filters x keys x aggregates;
60 of them also in batches of one row group, as a tiny memory limit makes them)
run through vpcflow (``vpcflow.dataset``) and as SQL through DuckDB
(``read_parquet(..., hive_partitioning=true)``) on one converted dataset.
Integers must be equal, floats within 1e-9 relative; groups are compared as
sorted lists, so the order DuckDB returns them in does not matter; top-k
queries add the group keys as tie-breakers on both sides.

DuckDB semantics the SQL spells out where the defaults differ: division by
zero is null (``TRY``); the time bucket is ``start - start % 900`` for
non-negative times.
"""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

import vpcflow as vf
from vpcflow import recipes

duckdb = pytest.importorskip("duckdb")

RECORDS = 30_000
N_RANDOM = 240


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("qdata")
    vf.synth.write_sample(root / "logs", records=RECORDS, seed=11, formats=("v2", "v5"), hours=6)
    vf.convert(root / "logs", root / "flows", partition_by="hour", progress=False, row_group_size=4000)
    con = duckdb.connect()
    con.sql("SET error_on_division_by_zero=false")
    con.sql(f"CREATE VIEW flows AS SELECT * FROM read_parquet('{root}/flows/**/*.parquet', "
            "hive_partitioning=true, union_by_name=true)")
    return vf.dataset(root / "flows"), con


# ------------------------------------------------------------------------------------------
def _norm(v):
    if isinstance(v, float):
        return v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _rows(table: vf.Table) -> list[tuple]:
    d = table.to_pydict()
    cols = list(d.values())
    return [tuple(_norm(c[i]) for c in cols) for i in range(table.num_rows)]


def _sortkey(row: tuple) -> tuple:
    out = []
    for v in row:
        if v is None:
            out.append((1, 0))
        elif isinstance(v, float):
            out.append((0, -1e308 if math.isnan(v) else float(f"{v:.6g}")))
        else:
            out.append((0, v))
    return tuple(out)


def _same(a: list[tuple], b: list[tuple], ordered: bool, what: str) -> None:
    """Equal rows: integers and strings exactly, floats within 1e-9 relative, null as null, NaN as NaN."""
    assert len(a) == len(b), f"{what}: {len(a)} rows from vpcflow, {len(b)} from DuckDB"
    if not ordered:
        a, b = sorted(a, key=_sortkey), sorted(b, key=_sortkey)
    for ra, rb in zip(a, b):
        assert len(ra) == len(rb), what
        for x, y in zip(ra, rb):
            if isinstance(x, float) and isinstance(y, float):
                if math.isnan(x) or math.isnan(y):
                    assert math.isnan(x) and math.isnan(y), f"{what}: {ra} != {rb}"
                else:
                    assert x == pytest.approx(y, rel=1e-9, abs=1e-12), f"{what}: {ra} != {rb}"
            else:
                assert x == y and type(x) is type(y) or (isinstance(x, int) and isinstance(y, int) and x == y), \
                    f"{what}: {ra} != {rb}"


def check(con, table: vf.Table, sql: str, ordered: bool = False) -> None:
    got = _rows(table)
    want = [tuple(_norm(v) for v in r) for r in con.sql(sql).fetchall()]
    _same(got, want, ordered, sql)


# ------------------------------------------------------------------------------------------
# recipes
# ------------------------------------------------------------------------------------------
def test_top_talkers(data):
    ds, con = data
    for by in ("bytes", "packets"):
        check(con, recipes.top_talkers(ds, n=10, by=by),
              f"SELECT srcaddr, sum({by}) AS m FROM flows WHERE srcaddr IS NOT NULL GROUP BY srcaddr "
              f"ORDER BY m DESC, srcaddr LIMIT 10", ordered=True)


def test_top_talkers_packet_level(data):
    ds, con = data
    check(con, recipes.top_talkers(ds, n=10, packet_level=True),
          "SELECT pkt_srcaddr, sum(bytes) AS m FROM flows WHERE pkt_srcaddr IS NOT NULL GROUP BY pkt_srcaddr "
          "ORDER BY m DESC, pkt_srcaddr LIMIT 10", ordered=True)


def test_top_talking_instances_and_subnets(data):
    ds, con = data
    check(con, recipes.top_talking_instances(ds, n=5),
          "SELECT instance_id, sum(bytes) AS m FROM flows WHERE instance_id IS NOT NULL GROUP BY instance_id "
          "ORDER BY m DESC, instance_id LIMIT 5", ordered=True)
    check(con, recipes.top_talking_subnets(ds, n=5, by="packets"),
          "SELECT subnet_id, sum(packets) AS m FROM flows WHERE subnet_id IS NOT NULL GROUP BY subnet_id "
          "ORDER BY m DESC, subnet_id LIMIT 5", ordered=True)


def test_top_host_pairs(data):
    ds, con = data
    check(con, recipes.top_host_pairs(ds, n=10),
          "SELECT srcaddr, dstaddr, sum(bytes) AS m FROM flows WHERE srcaddr IS NOT NULL AND dstaddr IS NOT NULL "
          "GROUP BY ALL ORDER BY m DESC, srcaddr, dstaddr LIMIT 10", ordered=True)


def test_rejected(data):
    ds, con = data
    check(con, recipes.rejected_by_source(ds, n=20),
          "SELECT srcaddr, count(*) AS f, sum(packets) FROM flows WHERE action = 'REJECT' GROUP BY srcaddr "
          "ORDER BY f DESC, srcaddr NULLS LAST LIMIT 20", ordered=True)
    for tcp in (False, True):
        cond = "action = 'REJECT'" + (" AND protocol = 6" if tcp else "")
        check(con, recipes.rejected_by_port(ds, n=20, tcp_only=tcp),
              f"SELECT dstport, count(*) AS f, sum(packets) FROM flows WHERE {cond} GROUP BY dstport "
              f"ORDER BY f DESC, dstport NULLS LAST LIMIT 20", ordered=True)
    names = vf.names.protocol_names()
    got = recipes.rejected_by_protocol(ds)
    want = con.sql("SELECT protocol, count(*), sum(packets) FROM flows WHERE action = 'REJECT' "
                   "GROUP BY protocol").fetchall()
    want = [(None if p is None else str(names[p]), c, s) for p, c, s in want]
    _same(_rows(got), want, False, "rejected_by_protocol")


def test_admin_and_accepted(data):
    ds, con = data
    ports = ", ".join(str(p) for p in recipes.ADMIN_PORTS)
    names = vf.names.service_names()
    got = recipes.admin_port_traffic(ds)
    want = con.sql(f"SELECT dstport, action, count(*), sum(bytes), count(DISTINCT srcaddr) FROM flows "
                   f"WHERE dstport IN ({ports}) GROUP BY ALL").fetchall()
    want = [(p, str(names[p]), a, c, b, s) for p, a, c, b, s in want]
    _same(_rows(got), want, False, "admin_port_traffic")
    check(con, recipes.accepted_tcp(ds, n=20),
          "SELECT dstport, count(*) AS f, sum(bytes), count(DISTINCT srcaddr) FROM flows "
          "WHERE action = 'ACCEPT' AND protocol = 6 GROUP BY dstport ORDER BY f DESC, dstport LIMIT 20", ordered=True)


def test_ip_versions_and_directions(data):
    ds, con = data
    check(con, recipes.ip_version_bytes(ds),
          "SELECT CASE WHEN contains(srcaddr, ':') THEN 6 ELSE 4 END AS v, count(*), sum(bytes) FROM flows "
          "WHERE srcaddr IS NOT NULL GROUP BY v ORDER BY v", ordered=True)
    private = ("regexp_full_match({c}, '^(10\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|"
               "100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.).*') OR regexp_full_match({c}, '^f[cd].*')")
    s, d = private.format(c="srcaddr"), private.format(c="dstaddr")
    check(con, recipes.internal_external(ds),
          f"SELECT CASE WHEN ({s}) AND ({d}) THEN 'internal' WHEN ({s}) THEN 'egress' WHEN ({d}) THEN 'ingress' "
          f"ELSE 'external' END AS dir, action, count(*), sum(bytes), sum(packets) FROM flows "
          f"WHERE srcaddr IS NOT NULL AND dstaddr IS NOT NULL GROUP BY ALL ORDER BY dir, action", ordered=True)


def test_corr_windows_https_emr(data):
    ds, con = data
    check(con, recipes.corr_bytes_packets(ds),
          "SELECT action, corr(bytes, packets), count(*) FROM flows WHERE action IS NOT NULL GROUP BY action "
          "ORDER BY action", ordered=True)
    got = recipes.rejected_packets_per_window(ds, window="15m")
    want = con.sql("SELECT start - start % 900 AS w, protocol, sum(packets), count(*) FROM flows "
                   "WHERE action = 'REJECT' AND protocol = 6 GROUP BY ALL ORDER BY w").fetchall()
    want = [(w, "TCP", p, c) for w, _, p, c in want]
    _same(_rows(got), want, True, "rejected_packets_per_window")
    check(con, recipes.top_https_destinations(ds, n=10),
          "SELECT dstaddr, sum(packets) AS p FROM flows WHERE dstport = 443 GROUP BY dstaddr "
          "ORDER BY p DESC, dstaddr NULLS LAST LIMIT 10", ordered=True)
    check(con, recipes.emr_top_talkers(ds, n=10),
          "SELECT srcaddr, dstaddr, dstport, count(*) AS f FROM flows WHERE log_status = 'OK' AND dstport <= 1024 "
          "GROUP BY ALL ORDER BY f DESC, srcaddr NULLS LAST, dstaddr NULLS LAST, dstport NULLS LAST LIMIT 10",
          ordered=True)


def test_traffic_for(data):
    ds, con = data
    addr = con.sql("SELECT srcaddr FROM flows WHERE srcaddr IS NOT NULL GROUP BY srcaddr "
                   "ORDER BY count(*) DESC, srcaddr LIMIT 1").fetchall()[0][0]
    got = recipes.traffic_for(ds, addr)
    n = con.sql(f"SELECT count(*), sum(bytes) FROM flows WHERE srcaddr = '{addr}' OR dstaddr = '{addr}'").fetchall()[0]
    assert got.num_rows == n[0] > 0
    assert int(got["bytes"].sum()) == n[1]
    starts = got["start"].compressed()
    assert (np.diff(starts) >= 0).all()


# ------------------------------------------------------------------------------------------
# random queries
# ------------------------------------------------------------------------------------------
ATOMS_INT = [("dstport", [22, 80, 443, 3389, 53, 123]), ("protocol", [6, 17, 1]), ("srcport", [443, 80])]
KEYS = ["srcaddr", "dstaddr", "dstport", "protocol", "action", "log_status", "interface_id", "bin", "flow_direction"]
AGGS = ["count", "count_x", "sum_bytes", "sum_packets", "min_start", "max_end", "avg_bytes", "stddev_bytes",
        "corr", "cd_srcaddr", "cd_dstport", "variance_packets"]


def _atom(rng: random.Random):
    kind = rng.randrange(9)
    if kind == 0:
        a = rng.choice(["ACCEPT", "REJECT"])
        return vf.col("action") == a, f"action = '{a}'"
    if kind == 1:
        col, vals = rng.choice(ATOMS_INT)
        v = rng.sample(vals, rng.randint(1, len(vals)))
        return vf.col(col).isin(v), f"{col} IN ({', '.join(map(str, v))})"
    if kind == 2:
        k = rng.choice([100, 1000, 5000, 100000])
        op = rng.choice([">", "<", ">=", "<="])
        e = {">": vf.col("bytes") > k, "<": vf.col("bytes") < k, ">=": vf.col("bytes") >= k,
             "<=": vf.col("bytes") <= k}[op]
        return e, f"bytes {op} {k}"
    if kind == 3:
        lo = rng.randint(1, 10)
        hi = lo + rng.randint(0, 50)
        return vf.col("packets").between(lo, hi), f"packets BETWEEN {lo} AND {hi}"
    if kind == 4:
        net, lo, hi = rng.choice([("10.0.0.0/8", 10 << 24, (11 << 24) - 1),
                                  ("172.31.0.0/16", (172 << 24) | (31 << 16), ((172 << 24) | (32 << 16)) - 1),
                                  ("10.1.0.0/16", (10 << 24) | (1 << 16), ((10 << 24) | (2 << 16)) - 1)])
        col = rng.choice(["srcaddr", "dstaddr"])
        # an IPv6 address is not inside an IPv4 network (false, not null); a null address is null
        v4 = (f"(CASE WHEN regexp_full_match({col}, '\\d+\\.\\d+\\.\\d+\\.\\d+') THEN "
              + " + ".join(f"(split_part({col}, '.', {i + 1})::BIGINT << {24 - 8 * i})" for i in range(4))
              + " END)")
        return vf.col(col).in_subnet(net), (f"(CASE WHEN {col} IS NULL THEN NULL WHEN {v4} IS NULL THEN false "
                                            f"ELSE {v4} BETWEEN {lo} AND {hi} END)")
    if kind == 5:
        col = rng.choice(["srcaddr", "dstaddr", "bytes"])
        return vf.col(col).is_null(), f"{col} IS NULL"
    if kind == 6:
        return vf.col("log_status") == "OK", "log_status = 'OK'"
    if kind == 7:
        return (vf.col("bytes") / vf.col("packets")) > 500, "TRY(bytes / packets) > 500"
    return vf.col("end") - vf.col("start") >= 30, "\"end\" - start >= 30"


def _cond(rng: random.Random, depth: int = 0):
    if depth < 2 and rng.random() < 0.45:
        (a, sa), (b, sb) = _cond(rng, depth + 1), _cond(rng, depth + 1)
        if rng.random() < 0.5:
            return a & b, f"({sa} AND {sb})"
        return a | b, f"({sa} OR {sb})"
    e, s = _atom(rng)
    if rng.random() < 0.15:
        return ~e, f"(NOT {s})"
    return e, s


def _agg(name: str):
    return {
        "count": (vf.count(), "count(*)"),
        "count_x": (vf.count("srcaddr"), "count(srcaddr)"),
        "sum_bytes": (vf.sum("bytes"), "sum(bytes)"),
        "sum_packets": (vf.sum("packets"), "sum(packets)"),
        "min_start": (vf.min("start"), "min(start)"),
        "max_end": (vf.max("end"), "max(\"end\")"),
        "avg_bytes": (vf.avg("bytes"), "avg(bytes)"),
        "stddev_bytes": (vf.stddev("bytes"), "stddev_samp(bytes)"),
        "corr": (vf.corr("bytes", "packets"), "corr(bytes, packets)"),
        "cd_srcaddr": (vf.count_distinct("srcaddr"), "count(DISTINCT srcaddr)"),
        "cd_dstport": (vf.count_distinct("dstport"), "count(DISTINCT dstport)"),
        "variance_packets": (vf.variance("packets"), "var_samp(packets)"),
    }[name]


def _key_expr(name: str):
    if name == "bin":
        return vf.bin("start", "15m").alias("w"), "start - start % 900"
    return name, name


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_random_query(data, seed):
    ds, con = data
    rng = random.Random(seed)
    cond, where = _cond(rng)
    keys = rng.sample(KEYS, rng.choice([0, 1, 1, 2, 2, 3]))
    aggs = rng.sample(AGGS, rng.randint(1, 3))
    q = ds.filter(cond)
    key_exprs = [_key_expr(k) for k in keys]
    agg_pairs = [_agg(a) for a in aggs]
    vf_aggs = [a.alias(f"a{i}") for i, (a, _) in enumerate(agg_pairs)]
    sql_aggs = ", ".join(f"{s} AS a{i}" for i, (_, s) in enumerate(agg_pairs))
    if keys:
        q = q.group_by(*[k for k, _ in key_exprs]).agg(*vf_aggs)
        sql_keys = ", ".join(s for _, s in key_exprs)
        sql = f"SELECT {sql_keys}, {sql_aggs} FROM flows WHERE {where} GROUP BY {sql_keys}"
    else:
        q = q.agg(*vf_aggs)
        sql = f"SELECT {sql_aggs} FROM flows WHERE {where}"
    if keys and rng.random() < 0.3 and "count" in aggs:
        # a top-k: ties broken by the keys on both sides
        i = aggs.index("count")
        q = q.top(5, by=f"a{i}")
        order = ", ".join(f"{s} ASC NULLS LAST" for _, s in key_exprs)
        sql += f" ORDER BY a{i} DESC, {order} LIMIT 5"
        ordered = True
    else:
        ordered = False
    check(con, q.collect(), sql, ordered=ordered)
    if seed % 4 == 0:
        # a quarter of them again in batches of one row group each (the memory limit), combined
        batched = q.collect(memory_limit=1)
        assert batched.report.batches > 1
        check(con, batched, sql, ordered=ordered)


def test_random_pipe_queries_match_the_api(data):
    ds, _ = data
    text = ('filter action = "REJECT" and dstport in [22, 3389] | stats sum(packets) as packets, count(*) as n '
            'by srcaddr | sort packets desc | limit 10')
    a = ds.query(text)
    b = (ds.filter((vf.col("action") == "REJECT") & vf.col("dstport").isin([22, 3389]))
         .group_by("srcaddr").agg(vf.sum("packets").alias("packets"), vf.count().alias("n"))
         .sort("packets", descending=True).limit(10).collect())
    assert a.to_pylist() == b.to_pylist()
