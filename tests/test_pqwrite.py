"""vpcflow.write_parquet: files that pyarrow and DuckDB read back equal to the
table, with the statistics, page index, bloom filters and schema AWS's
flow-log delivery has; atomic writes; argument checking.

The footer and the page index are also decoded here with a few lines of
Thrift compact protocol, independent of the C code, to check what neither
pyarrow nor DuckDB exposes (column orders, ColumnIndex, OffsetIndex).
"""
from __future__ import annotations

import decimal
import itertools
import math
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import vpcflow
from vpcflow import Column, Table

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")
duckdb = pytest.importorskip("duckdb")

from conftest import SAMPLES  # noqa: E402

ADDRESS_COLUMNS = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")


# ---------------------------------------------------------------------------
# a minimal Thrift compact-protocol decoder (structs as {field id: value})
# ---------------------------------------------------------------------------
def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def _zz(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(b: bytes, i: int, t: int) -> tuple[object, int]:
    if t in (1, 2):
        return t == 1, i
    if t == 3:
        return struct.unpack_from("b", b, i)[0], i + 1
    if t in (4, 5, 6):
        v, i = _varint(b, i)
        return _zz(v), i
    if t == 7:
        return struct.unpack_from("<d", b, i)[0], i + 8
    if t == 8:
        n, i = _varint(b, i)
        return bytes(b[i:i + n]), i + n
    if t in (9, 10):
        h = b[i]
        i += 1
        n, et = h >> 4, h & 0x0F
        if n == 15:
            n, i = _varint(b, i)
        items = []
        for _ in range(n):
            if et in (1, 2):
                items.append(b[i] == 1)
                i += 1
            else:
                v, i = _value(b, i, et)
                items.append(v)
        return items, i
    if t == 12:
        return _struct(b, i)
    raise ValueError(f"thrift type {t}")


def _struct(b: bytes, i: int) -> tuple[dict, int]:
    out: dict[int, object] = {}
    last = 0
    while True:
        h = b[i]
        i += 1
        if h == 0:
            return out, i
        t, d = h & 0x0F, h >> 4
        if d:
            fid = last + d
        else:
            v, i = _varint(b, i)
            fid = _zz(v)
        last = fid
        out[fid], i = _value(b, i, t)


def footer(path: Path) -> dict:
    data = path.read_bytes()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    n = struct.unpack_from("<I", data, len(data) - 8)[0]
    meta, end = _struct(data, len(data) - 8 - n)
    assert end == len(data) - 8
    return meta


def struct_at(path: Path, offset: int, length: int | None = None) -> dict:
    data = path.read_bytes()
    s, end = _struct(data, offset)
    if length is not None:
        assert end - offset == length
    return s


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def synth_table(tmp_path_factory) -> Table:
    """v2 and v5 records with IPv6, NODATA/SKIPDATA rows and their nulls."""
    d = tmp_path_factory.mktemp("synth")
    vpcflow.synth.write_sample(d, records=6000, seed=11, formats=("v2", "v5"))
    t = vpcflow.read_logs(d)
    assert any(":" in (a or "") for a in t["srcaddr"].tolist()), "the sample should have IPv6"
    assert t.column("srcaddr").null_count > 0
    return t


def arrow_expected(t: Table) -> "pa.Table":
    """The table as pyarrow reads a Parquet file of it: dictionaries decoded."""
    a = t.to_arrow()
    cols = []
    for name, col in zip(a.column_names, a.columns):
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        cols.append(col)
    return pa.table(cols, names=a.column_names)


def assert_reads_back(path: Path, t: Table) -> None:
    """pyarrow (read_table and dataset) and DuckDB read the file equal to t."""
    exp = arrow_expected(t)
    got = pq.read_table(path)
    assert got.schema.names == exp.schema.names
    assert got.cast(exp.schema).equals(exp)
    dsg = ds.dataset(str(path), format="parquet").to_table()
    assert dsg.cast(exp.schema).equals(exp)
    con = duckdb.connect()
    dk = con.sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
    assert dk.num_rows == t.num_rows
    for name in exp.column_names:
        assert dk.column(name).cast(exp.schema.field(name).type).to_pylist() == exp.column(name).to_pylist(), name


# ---------------------------------------------------------------------------
# every codec x page version x int encoding x dictionary, many pages and row groups
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("compression", ["zstd", "snappy", "gzip", "none"])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("ints", ["auto", "plain", "delta"])
@pytest.mark.parametrize("dictionary", [True, False])
def test_matrix_reads_back(tmp_path, synth_table, compression, version, ints, dictionary):
    p = tmp_path / "m.parquet"
    r = vpcflow.write_parquet(synth_table, p, compression=compression, data_page_version=version,
                              int_encoding=ints, dictionary=dictionary, row_group_size=1700, page_size=300)
    assert r.rows == synth_table.num_rows and r.row_groups == 4 and r.bytes == p.stat().st_size
    assert_reads_back(p, synth_table)
    md = pq.ParquetFile(p).metadata
    assert md.num_row_groups == 4
    col = md.row_group(0).column(synth_table.column_names.index("srcaddr"))
    assert col.compression == {"none": "UNCOMPRESSED"}.get(compression, compression.upper())
    assert ("RLE_DICTIONARY" in col.encodings) == dictionary
    assert col.has_dictionary_page == dictionary
    packets = md.row_group(0).column(synth_table.column_names.index("packets"))
    if ints == "delta":
        assert "DELTA_BINARY_PACKED" in packets.encodings
    elif ints == "plain":
        assert "PLAIN" in packets.encodings and "DELTA_BINARY_PACKED" not in packets.encodings
    oi = struct_at(p, _oi_offset(p, 0, synth_table.column_names.index("srcaddr")))
    assert len(oi[1]) > 3, "small pages: many pages per chunk"


def _oi_offset(p: Path, rg: int, col: int) -> int:
    return footer(p)[4][rg][1][col][4]


def test_samples_read_back(tmp_path, samples_dir):
    logs = sorted(samples_dir.glob("*.log"))
    assert logs
    for f in logs:
        t = vpcflow.read_logs(f, on_error="skip")
        p = tmp_path / (f.stem + ".parquet")
        vpcflow.write_parquet(t, p)
        assert_reads_back(p, t)


def test_empty_table(tmp_path, synth_table):
    t = synth_table.slice(0, 0)
    p = tmp_path / "empty.parquet"
    r = vpcflow.write_parquet(t, p)
    assert (r.rows, r.row_groups) == (0, 0)
    got = pq.read_table(p)
    assert got.num_rows == 0 and got.column_names == t.column_names
    assert duckdb.sql(f"SELECT count(*) FROM '{p}'").fetchall()[0][0] == 0


def test_single_row_groups_are_even(tmp_path, synth_table):
    p = tmp_path / "rg.parquet"
    r = vpcflow.write_parquet(synth_table, p, row_group_size=4000)
    md = pq.ParquetFile(p).metadata
    assert r.row_groups == md.num_row_groups == 2
    assert [md.row_group(i).num_rows for i in range(2)] == [3000, 3000]


def test_row_group_bytes(tmp_path, synth_table):
    p = tmp_path / "rgb.parquet"
    # 29 columns of 4-8 bytes (+1 validity byte for some): a few hundred KB for 6000 rows
    r = vpcflow.write_parquet(synth_table, p, row_group_bytes=100_000)
    assert r.row_groups > 3
    assert_reads_back(p, synth_table)


# ---------------------------------------------------------------------------
# schema, statistics, column orders, page index, metadata
# ---------------------------------------------------------------------------
def test_schema_is_aws(tmp_path, synth_table):
    p = tmp_path / "s.parquet"
    vpcflow.write_parquet(synth_table, p)
    rows = duckdb.sql(f"SELECT name, type, repetition_type, converted_type, logical_type "
                      f"FROM parquet_schema('{p}')").fetchall()
    by_name = {r[0]: r[1:] for r in rows}
    for name, typ in synth_table.schema.items():
        phys, rep, conv, logical = by_name[name]
        assert rep == "OPTIONAL"
        if typ == "int32":
            assert phys == "INT32" and conv is None and logical is None
        elif typ == "int64":
            assert phys == "INT64" and conv is None and logical is None
        else:
            assert phys == "BYTE_ARRAY" and conv == "UTF8" and "String" in logical
    schema = pq.ParquetFile(p).schema
    assert schema.column(synth_table.column_names.index("srcaddr")).logical_type.type == "STRING"


def _page_rows(locs: list, num_rows: int) -> list[tuple[int, int]]:
    firsts = [loc[3] for loc in locs] + [num_rows]
    return list(zip(firsts[:-1], firsts[1:]))


def _plain(value, typ: str) -> bytes:
    if typ in ("string", "address"):
        return value.encode()
    return struct.pack("<i" if typ == "int32" else "<q", value)


def test_statistics_and_page_index(tmp_path, synth_table):
    p = tmp_path / "st.parquet"
    t = synth_table
    vpcflow.write_parquet(t, p, row_group_size=2500, page_size=3000)
    md = pq.ParquetFile(p).metadata
    meta = footer(p)
    assert meta[7] == [{1: {}}] * len(t.columns), "TypeDefinedOrder for every column"
    assert meta[6].startswith(b"vpcflow version ")
    exp = arrow_expected(t)
    start = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        for j, name in enumerate(t.column_names):
            vals = exp.column(name).slice(start, rg.num_rows).to_pylist()
            present = [v for v in vals if v is not None]
            st = rg.column(j).statistics
            assert st.null_count == len(vals) - len(present)
            if present:
                key = (lambda v: v.encode()) if isinstance(present[0], str) else (lambda v: v)
                assert st.has_min_max and st.min == min(present, key=key) and st.max == max(present, key=key)
            else:
                assert not st.has_min_max
            cc = meta[4][g][1][j]
            assert rg.column(j).has_column_index and rg.column(j).has_offset_index
            ci = struct_at(p, cc[6], cc[7])
            oi = struct_at(p, cc[4], cc[5])
            locs = oi[1]
            assert len(ci[1]) == len(locs) >= 1
            for k, (a, b) in enumerate(_page_rows(locs, rg.num_rows)):
                page = [v for v in vals[a:b] if v is not None]
                assert ci[5][k] == (b - a) - len(page)
                assert ci[1][k] == (not page)
                if page:
                    assert ci[2][k] == _plain(min(page, key=key), t.schema[name])
                    assert ci[3][k] == _plain(max(page, key=key), t.schema[name])
                # the page header at that offset has the same statistics
                hdr = struct_at(p, locs[k][1])
                assert hdr[3] + len(_encode_header_len(p, locs[k][1])) == locs[k][2]
                dph = hdr[5]
                assert dph[1] == b - a
                assert dph[5][3] == ci[5][k]
                if page:
                    assert dph[5][6] == ci[2][k] and dph[5][5] == ci[3][k]
        start += rg.num_rows


def _encode_header_len(p: Path, offset: int) -> bytes:
    data = p.read_bytes()
    _, end = _struct(data, offset)
    return data[offset:end]


def test_kv_metadata_and_created_by(tmp_path, synth_table):
    p = tmp_path / "kv.parquet"
    vpcflow.write_parquet(synth_table, p, metadata={"source": "s3://bucket/AWSLogs", "b": b"\x01\x02"})
    md = pq.ParquetFile(p).metadata
    assert md.created_by == vpcflow._core.parquet_created_by()
    assert md.created_by.startswith(f"vpcflow version {vpcflow.__version__} (build ")
    assert md.metadata[b"source"] == b"s3://bucket/AWSLogs"
    assert md.metadata[b"b"] == b"\x01\x02"
    assert md.metadata[b"vpcflow.writer"] == f"vpcflow {vpcflow.__version__}".encode()
    dk = duckdb.sql(f"SELECT key, value FROM parquet_kv_metadata('{p}')").fetchall()
    assert (b"source", b"s3://bucket/AWSLogs") in dk


def test_duckdb_metadata_agrees(tmp_path, synth_table):
    p = tmp_path / "dm.parquet"
    vpcflow.write_parquet(synth_table, p, compression="snappy", row_group_size=2000)
    rows = duckdb.sql(f"SELECT row_group_id, path_in_schema, compression, num_values, stats_null_count "
                      f"FROM parquet_metadata('{p}')").fetchall()
    assert {r[0] for r in rows} == {0, 1, 2}
    assert {r[2] for r in rows} == {"SNAPPY"}
    nulls = {}
    for r in rows:
        nulls[r[1]] = nulls.get(r[1], 0) + r[4]
    assert nulls["srcaddr"] == synth_table.column("srcaddr").null_count


def test_all_null_chunk_has_no_min_max(tmp_path):
    t = vpcflow.parse_text("2 1 eni-a - - - - - - - 10 20 - NODATA\n" * 5)
    p = tmp_path / "n.parquet"
    vpcflow.write_parquet(t, p)
    st = pq.ParquetFile(p).metadata.row_group(0).column(t.column_names.index("srcaddr")).statistics
    assert st.null_count == 5 and not st.has_min_max
    assert pq.read_table(p).column("srcaddr").null_count == 5


@pytest.mark.parametrize("dictionary", [True, False])
def test_chunk_of_empty_strings_has_empty_bounds(tmp_path, dictionary):
    # min and max are both "": zero bytes of bounds (once a memcpy from NULL, caught by UBSan)
    t = Table([dict_column("s", "string", ["", None, ""])])
    p = tmp_path / "e.parquet"
    vpcflow.write_parquet(t, p, dictionary=dictionary)
    st = pq.ParquetFile(p).metadata.row_group(0).column(0).statistics
    assert st.has_min_max and st.min == "" and st.max == "" and st.null_count == 1
    assert pq.read_table(p).column("s").to_pylist() == ["", None, ""]


# ---------------------------------------------------------------------------
# bloom filters
# ---------------------------------------------------------------------------
def test_bloom_filters(tmp_path, synth_table):
    p = tmp_path / "b.parquet"
    t = synth_table
    vpcflow.write_parquet(t, p)
    md = pq.ParquetFile(p).metadata
    for j, name in enumerate(t.column_names):
        c = md.row_group(0).column(j)
        if name in ADDRESS_COLUMNS:
            assert c.bloom_filter_offset > 0 and c.bloom_filter_length > 32
        else:
            assert c.bloom_filter_offset is None or c.bloom_filter_offset <= 0
    con = duckdb.connect()
    present = [a for a in t["srcaddr"].tolist() if a][:50]
    for a in present:
        r = con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, 'srcaddr', ?)", [str(p), a]).fetchall()
        assert r == [(False,)], a
    absent = [f"198.18.{i // 256}.{i % 256}" for i in range(200)]
    excluded = sum(con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, 'srcaddr', ?)",
                               [str(p), a]).fetchall()[0][0] for a in absent)
    assert excluded >= 190


def test_bloom_filter_choice_and_ints(tmp_path, synth_table):
    p = tmp_path / "b2.parquet"
    t = synth_table
    vpcflow.write_parquet(t, p, bloom_filters=["dstport", "interface_id"], bloom_fpp=0.001)
    md = pq.ParquetFile(p).metadata
    on = {name for j, name in enumerate(t.column_names) if (md.row_group(0).column(j).bloom_filter_offset or 0) > 0}
    assert on == {"dstport", "interface_id"}
    con = duckdb.connect()
    port = int(t["dstport"].compressed()[0])
    assert con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, 'dstport', ?)",
                       [str(p), port]).fetchall() == [(False,)]
    ports = set(t["dstport"].compressed().tolist())
    absent = [x for x in range(100000, 100400) if x not in ports]
    excluded = sum(con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, 'dstport', ?)",
                               [str(p), x]).fetchall()[0][0] for x in absent)
    assert excluded >= len(absent) - 5
    q = tmp_path / "b3.parquet"
    vpcflow.write_parquet(t, q, bloom_filters=None)
    md = pq.ParquetFile(q).metadata
    assert all((md.row_group(0).column(j).bloom_filter_offset or 0) <= 0 for j in range(len(t.columns)))


# ---------------------------------------------------------------------------
# all column types (hypothesis)
# ---------------------------------------------------------------------------
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
from hypothesis import HealthCheck, given, settings  # noqa: E402

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1), "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}


def value_column(name: str, typ: str, values: list, logical: str | None = None) -> Column:
    valid = np.array([v is not None for v in values], dtype=bool)
    fill = False if typ == "bool" else 0
    data = np.array([fill if v is None else v for v in values], dtype=np.dtype(typ if typ != "bool" else "bool"))
    return Column(name, typ, data, valid if not valid.all() else None, logical=logical)


def dict_column(name: str, typ: str, values: list, logical: str | None = None) -> Column:
    uniq = sorted({v for v in values if v is not None}, key=lambda v: (str(type(v)), v))
    # a dictionary with unused entries too, in an arbitrary order
    entries = list(reversed(uniq)) + (["unused"] if typ == "string" else [b"unused"] if typ == "binary" else [])
    index = {v: i for i, v in enumerate(entries)}
    codes = np.array([-1 if v is None else index[v] for v in values], dtype=np.int32)
    if typ == "address":
        raw, fams = [], []
        for a in entries:
            b, fam = vpcflow._core.parse_addr(a.encode())
            raw.append(b)
            fams.append(fam)
        d = ("address", np.frombuffer(b"".join(raw), dtype=np.uint8).copy(), np.array(fams, dtype=np.uint8))
    else:
        blobs = [e.encode() if isinstance(e, str) else e for e in entries]
        offs = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
        d = ("binary" if typ == "binary" else "string", offs, b"".join(blobs))
    return Column(name, typ, codes, None, d, logical=logical)


def _nullable(s):
    return st.one_of(st.none(), s)


addresses = st.one_of(
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q))),
    st.sampled_from(["::1", "2001:db8::1", "fe80::1:2", "::ffff:1.2.3.4", "2001:db8:1234:a100:8d6e:3477:df66:f105"]),
)


@st.composite
def tables(draw):
    n = draw(st.integers(0, 60))
    cols = []
    for typ, (lo, hi) in INT_RANGES.items():
        cols.append(value_column(typ, typ, draw(st.lists(_nullable(st.integers(lo, hi)), min_size=n, max_size=n))))
    for typ, width in (("float32", 32), ("float64", 64)):
        vals = draw(st.lists(_nullable(st.floats(width=width, allow_nan=True)), min_size=n, max_size=n))
        cols.append(value_column(typ, typ, vals))
    cols.append(value_column("bool", "bool", draw(st.lists(_nullable(st.booleans()), min_size=n, max_size=n))))
    cols.append(dict_column("string", "string", draw(st.lists(_nullable(st.text(max_size=8)), min_size=n, max_size=n))))
    cols.append(dict_column("binary", "binary", draw(st.lists(_nullable(st.binary(max_size=8)), min_size=n, max_size=n))))
    cols.append(dict_column("address", "address", draw(st.lists(_nullable(addresses), min_size=n, max_size=n))))
    ts = st.integers(-(2**62), 2**62)
    cols.append(value_column("ts_us_utc", "int64", draw(st.lists(_nullable(ts), min_size=n, max_size=n)),
                             "timestamp[us, UTC]"))
    cols.append(value_column("ts_ms", "int64", draw(st.lists(_nullable(st.integers(-(2**40), 2**40)), min_size=n,
                                                            max_size=n)), "timestamp[ms]"))
    cols.append(value_column("date", "int32", draw(st.lists(_nullable(st.integers(-100000, 100000)), min_size=n,
                                                           max_size=n)), "date32"))
    cols.append(value_column("dec9", "int32", draw(st.lists(_nullable(st.integers(-999999999, 999999999)), min_size=n,
                                                           max_size=n)), "decimal(9,2)"))
    cols.append(value_column("dec18", "int64", draw(st.lists(_nullable(st.integers(-(10**18) + 1, 10**18 - 1)),
                                                            min_size=n, max_size=n)), "decimal(18,4)"))
    return Table(cols), draw(st.sampled_from([1, 2])), draw(st.booleans()), draw(st.sampled_from(["zstd", "none"]))


def _normal(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


def _storage(col: "pa.ChunkedArray", logical: str | None) -> list:
    """Values as the table stores them (timestamps/dates as ints, decimals unscaled)."""
    if logical and logical.startswith("decimal("):
        scale = int(logical[:-1].split(",")[1])
        return [None if v is None else int(v.scaleb(scale)) for v in col.to_pylist()]
    if pa.types.is_timestamp(col.type):
        return col.cast(pa.int64()).to_pylist()
    if pa.types.is_date32(col.type):
        return col.cast(pa.int32()).to_pylist()
    return col.to_pylist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tables())
def test_all_types_round_trip(tmp_path, case):
    t, version, dictionary, compression = case
    p = tmp_path / "h.parquet"
    vpcflow.write_parquet(t, p, data_page_version=version, dictionary=dictionary, compression=compression,
                          page_size=64, row_group_size=25, bloom_filters=["int32", "string", "float64"])
    got = pq.read_table(p)
    md = pq.ParquetFile(p).metadata
    for c in t.columns:
        col = got.column(c.name)
        exp = c.to_pylist()
        if c.type == "address":
            exp = [None if v is None else v for v in exp]
        assert [_normal(v) for v in _storage(col, c.logical)] == [_normal(v) for v in exp], c.name
    types = {f.name: f.type for f in got.schema}
    assert types["uint32"] == pa.uint32() and types["int8"] == pa.int8() and types["uint64"] == pa.uint64()
    assert types["ts_us_utc"] == pa.timestamp("us", tz="UTC") and types["ts_ms"] == pa.timestamp("ms")
    assert types["date"] == pa.date32() and types["dec9"] == pa.decimal128(9, 2)
    assert types["string"] == pa.string() and types["binary"] == pa.binary() and types["bool"] == pa.bool_()
    # statistics agree with the values, in each column's own order
    start = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        for j, c in enumerate(t.columns):
            vals = [v for v in _storage(got.column(c.name).slice(start, rg.num_rows), c.logical) if v is not None]
            stt = rg.column(j).statistics
            assert stt.null_count == rg.num_rows - len(vals)
            orderable = [v for v in vals if not (isinstance(v, float) and math.isnan(v))]
            if orderable:
                assert stt.has_min_max, c.name
                if c.logical and c.logical.startswith(("timestamp", "date")):
                    continue  # pyarrow converts these statistics to datetimes, which overflow out here
                lo, hi = stt.min, stt.max
                if c.logical and c.logical.startswith("decimal("):
                    scale = int(c.logical[:-1].split(",")[1])
                    lo, hi = int(lo.scaleb(scale)), int(hi.scaleb(scale))
                assert lo == min(orderable) and hi == max(orderable), c.name
            else:
                assert not stt.has_min_max, c.name
        start += rg.num_rows
    # DuckDB reads it too
    dk = duckdb.sql(f"SELECT * FROM read_parquet('{p}')").to_arrow_table()
    assert dk.num_rows == t.num_rows
    for name in ("int8", "uint64", "string", "address", "bool", "dec18"):
        assert dk.column(name).to_pylist() == got.column(name).to_pylist(), name


def test_float_statistics_zeros_and_nan(tmp_path):
    t = Table([value_column("f", "float64", [0.0, -0.0, float("nan"), None]),
               value_column("g", "float32", [float("nan"), None, float("nan"), float("nan")])])
    p = tmp_path / "f.parquet"
    vpcflow.write_parquet(t, p)
    rg = pq.ParquetFile(p).metadata.row_group(0)
    f = rg.column(0).statistics
    assert math.copysign(1, f.min) == -1 and math.copysign(1, f.max) == 1
    assert not rg.column(1).statistics.has_min_max
    assert not rg.column(1).has_column_index  # a page of NaN only has no min/max to index
    assert rg.column(0).has_column_index


def test_dictionary_fallback_to_plain(tmp_path):
    vals = [f"value-{i:06d}" for i in range(5000)]
    t = Table([dict_column("s", "string", vals)])
    p = tmp_path / "fb.parquet"
    vpcflow.write_parquet(t, p, dictionary_page_limit=10_000)
    c = pq.ParquetFile(p).metadata.row_group(0).column(0)
    assert not c.has_dictionary_page and "RLE_DICTIONARY" not in c.encodings
    assert pq.read_table(p).column("s").to_pylist() == vals
    vpcflow.write_parquet(t, p)  # the default limit keeps the dictionary
    assert pq.ParquetFile(p).metadata.row_group(0).column(0).has_dictionary_page


def test_writes_back_a_parquet_written_by_pyarrow(tmp_path):
    src = tmp_path / "src.parquet"
    pq.write_table(pa.table({"a": pa.array([1, None, 3], pa.int16()), "b": ["x", None, "z"]}), src)
    # a Table built like the Parquet reader builds one, from pyarrow's values
    t = Table([value_column("a", "int16", [1, None, 3]), dict_column("b", "string", ["x", None, "z"])])
    p = tmp_path / "back.parquet"
    vpcflow.write_parquet(t, p)
    assert pq.read_table(p).equals(pq.read_table(src))


# ---------------------------------------------------------------------------
# atomicity
# ---------------------------------------------------------------------------
def _leftovers(d: Path) -> list[str]:
    return sorted(x.name for x in d.iterdir())


def test_injected_failure_leaves_nothing(tmp_path, synth_table):
    for after in (0, 3, 100, 50_000):
        with pytest.raises(OSError, match="injected failure"):
            vpcflow.write_parquet(synth_table, tmp_path / "x.parquet", _fail_after_bytes=after)
        assert _leftovers(tmp_path) == []


def test_failure_keeps_the_old_file(tmp_path, synth_table):
    p = tmp_path / "keep.parquet"
    vpcflow.write_parquet(synth_table.head(10), p)
    before = p.read_bytes()
    with pytest.raises(OSError):
        vpcflow.write_parquet(synth_table, p, _fail_after_bytes=1000)
    assert p.read_bytes() == before and _leftovers(tmp_path) == ["keep.parquet"]
    vpcflow.write_parquet(synth_table, p)  # and a good write replaces it
    assert pq.read_table(p).num_rows == synth_table.num_rows


def test_unwritable_places(tmp_path, synth_table):
    with pytest.raises(OSError, match="temporary file"):
        vpcflow.write_parquet(synth_table, tmp_path / "no" / "such" / "dir.parquet")
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OSError):
        vpcflow.write_parquet(synth_table, f / "under-a-file.parquet")
    d = tmp_path / "a-directory"
    d.mkdir()
    with pytest.raises(OSError, match="rename"):
        vpcflow.write_parquet(synth_table, d)
    assert _leftovers(tmp_path) == ["a-directory", "file"] and _leftovers(d) == []


# ---------------------------------------------------------------------------
# arguments, report, size
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kw,word", [
    (dict(compression="lz4"), "compression"),
    (dict(compression_level=99), "compression_level"),
    (dict(compression="snappy", compression_level=3), "compression_level"),
    (dict(row_group_size=0), "row_group_size"),
    (dict(row_group_bytes=-1), "row_group_bytes"),
    (dict(page_size=0), "page_size"),
    (dict(data_page_version=3), "data_page_version"),
    (dict(dictionary_page_limit=-5), "dictionary_page_limit"),
    (dict(int_encoding="rle"), "int_encoding"),
    (dict(bloom_filters=["nope"]), "bloom_filters"),
    (dict(bloom_filters="srcaddr"), "bloom_filters"),
    (dict(bloom_fpp=1.5), "bloom_fpp"),
    (dict(metadata={"k": 1}), "metadata"),
    (dict(threads=0), "threads"),
])
def test_bad_arguments(tmp_path, synth_table, kw, word):
    with pytest.raises(ValueError, match=word):
        vpcflow.write_parquet(synth_table, tmp_path / "bad.parquet", **kw)
    assert _leftovers(tmp_path) == []


def test_report(tmp_path, synth_table):
    p = tmp_path / "r.parquet"
    r = vpcflow.write_parquet(synth_table, p)
    assert r.path == str(p) and r.rows == synth_table.num_rows and r.seconds > 0
    assert set(r.compressed) == set(synth_table.column_names) == set(r.uncompressed)
    assert sum(r.compressed.values()) < r.bytes
    md = pq.ParquetFile(p).metadata
    j = synth_table.column_names.index("bytes")
    assert r.compressed["bytes"] == md.row_group(0).column(j).total_compressed_size
    assert r.uncompressed["bytes"] == md.row_group(0).column(j).total_uncompressed_size
    assert "rows=" in repr(r) and "srcaddr" in str(r)


@pytest.mark.no_asan
def test_smaller_than_pyarrow(tmp_path):
    d = tmp_path / "s"
    vpcflow.synth.write_sample(d, records=100_000, seed=5)
    t = vpcflow.read_logs(d)
    ours = tmp_path / "ours.parquet"
    theirs = tmp_path / "pyarrow.parquet"
    vpcflow.write_parquet(t, ours)
    pq.write_table(t.to_arrow(), theirs, compression="zstd")
    ratio = ours.stat().st_size / theirs.stat().st_size
    print(f"vpcflow/pyarrow size ratio (zstd, 100k synth records): {ratio:.3f}")
    assert ratio < 1.0


# ---------------------------------------------------------------------------
# convert's ordering: rows sorted by (partition, start), one run per partition
# ---------------------------------------------------------------------------
def _reference_runs(start: np.ndarray, valid: np.ndarray, by):
    """The plain way: a partition key per row, a lexsort on (partition, start), runs of equal keys."""
    import datetime as dt

    def part(i):
        if by is None:
            return (1, "")
        if not valid[i]:
            return (0, "null")
        t = dt.datetime.fromtimestamp(int(start[i]), dt.timezone.utc)
        keys = {"month": (t.year, t.month), "day": (t.year, t.month, t.day),
                "hour": (t.year, t.month, t.day, t.hour)}[by]
        return (1, keys)

    order = sorted(range(len(start)), key=lambda i: (part(i), start[i] if valid[i] else 1 << 62))
    return order, [part(i) for i in order]


@pytest.mark.parametrize("by", ["hour", "day", "month", None])
@pytest.mark.parametrize("null_share", [0.0, 0.2])
def test_convert_sorted_runs(by, null_share):
    import importlib

    cv = importlib.import_module("vpcflow.convert")
    rng = np.random.default_rng(7)
    n = 5000
    start = rng.integers(1_700_000_000, 1_700_000_000 + 40 * 86400, n).astype(np.int64)
    start[rng.random(n) < 0.3] = 1_700_000_000 + 3600  # many equal starts: the sort must be stable
    valid = rng.random(n) >= null_share
    t = Table([Column("start", "int64", start, valid if null_share else None),
               Column("rowid", "int64", np.arange(n, dtype=np.int64))])
    out, runs = cv._sorted_runs(t, by)
    order, parts = _reference_runs(start, valid, by)
    assert out.column("rowid").values.tolist() == order
    # the runs tile the rows, one per partition, in order, with their directory names
    assert [a for _, a, _ in runs] == [0] + [b for _, _, b in runs[:-1]] and runs[-1][2] == n
    assert len(runs) == len(set(parts))
    for d, a, b in runs:
        assert len(set(parts[a:b])) == 1
        p = parts[a]
        if p[0] == 0:
            assert d == "" if by is None else all(x.endswith("=" + cv.NULL_PARTITION) for x in d.split("/"))
        elif by is not None:
            want = "/".join(f"{k}={v:{'04d' if k == 'year' else '02d'}}" for k, v in zip(("year", "month", "day", "hour"), p[1]))
            assert d == want
    # already in order: nothing is moved
    out2, runs2 = cv._sorted_runs(out, by)
    assert out2.column("rowid").values.tolist() == order and runs2 == runs


@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("page_rows", [1, 700, 20_000])
def test_page_rows(tmp_path, synth_table, page_rows, dictionary):
    """No data page holds more than page_rows rows, whatever its encoding; pages of one chunk tile it."""
    p = tmp_path / "pr.parquet"
    t = synth_table.slice(0, 3000) if page_rows == 1 else synth_table
    vpcflow.write_parquet(t, p, page_rows=page_rows, dictionary=dictionary, row_group_size=5000)
    md = pq.ParquetFile(p).metadata
    meta = footer(p)
    for g in range(md.num_row_groups):
        n = md.row_group(g).num_rows
        for j in range(len(t.columns)):
            cc = meta[4][g][1][j]
            spans = _page_rows(struct_at(p, cc[4], cc[5])[1], n)
            assert spans[0][0] == 0 and spans[-1][1] == n
            assert all(0 < b - a <= page_rows for a, b in spans)
            assert len(spans) >= -(-n // page_rows)
    assert_reads_back(p, t)


def test_page_rows_default_lets_the_page_index_skip(tmp_path):
    """The default 20,000-row pages: an hour of a start-sorted day is a few pages of every column."""
    d = tmp_path / "s"
    vpcflow.synth.write_sample(d, records=60_000, seed=5, hours=6, formats=("v2",))
    t = vpcflow.read_logs(d)
    t = t.take(np.argsort(t.column("start").values, kind="stable"))
    p = tmp_path / "sorted.parquet"
    vpcflow.write_parquet(t, p)
    meta = footer(p)
    j = t.column_names.index("start")
    cc = meta[4][0][1][j]
    assert len(struct_at(p, cc[4], cc[5])[1]) == 3  # delta-encoded starts are tiny: the row limit splits them


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_page_rows_checked(tmp_path, synth_table, bad):
    with pytest.raises(ValueError, match="page_rows"):
        vpcflow.write_parquet(synth_table, tmp_path / "x.parquet", page_rows=bad)
