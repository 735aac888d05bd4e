"""The Parquet reader against pyarrow: the parquet-testing files, files
pyarrow and DuckDB write with every option, flow-log tables, row ranges,
column subsets, directories, Hive partitions and schema merging."""
from __future__ import annotations

import csv
import gzip
import itertools
import os
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vpcflow
from conftest import SHARED
from pqutil import arrow_values, assert_column_equal, assert_table_equal, flatten_structs, our_values, \
    value_columns_equal
from vpcflow.cli import main as cli_main

DATA = SHARED / "parquet-testing" / "data"

# ---------------------------------------------------------------------------
# the parquet-testing files
# ---------------------------------------------------------------------------
#: Files not read whole, and why: every one still opens, its flat columns
#: read (compared with pyarrow where pyarrow reads them), and asking for all
#: its columns raises a ParquetError naming the nested column.
NESTED = {
    "datapage_v2.snappy.parquet": "column e is a list",
    "large_string_map.brotli.parquet": "a map column (pyarrow cannot read it into one chunk either)",
    "list_columns.parquet": "list columns",
    "map_no_value.parquet": "map and list columns",
    "nested_lists.snappy.parquet": "nested lists",
    "nested_maps.snappy.parquet": "nested maps",
    "nonnullable.impala.parquet": "lists, maps and structs of lists",
    "null_list.parquet": "a list column",
    "nullable.impala.parquet": "lists, maps and structs of lists",
    "old_list_structure.parquet": "a two-level list",
    "repeated_no_annotation.parquet": "a repeated group",
    "repeated_primitive_no_list.parquet": "repeated primitive fields",
    "incorrect_map_schema.parquet": "a map whose keys are optional (pyarrow refuses the file)",
}
#: Encrypted files (Parquet Modular Encryption): refused with a ParquetError.
ENCRYPTED = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*.parquet.encrypted"))
#: Everything else reads whole, equal to pyarrow, column by column.
FLAT = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*.parquet") if p.name not in NESTED)


def test_the_lists_cover_every_file():
    every = {str(p.relative_to(DATA)) for p in DATA.rglob("*.parquet*") if p.suffix in (".parquet", ".encrypted")}
    assert every == set(FLAT) | set(NESTED) | set(ENCRYPTED)
    assert len(FLAT) >= 60 and len(ENCRYPTED) >= 10


@pytest.mark.parametrize("name", FLAT)
def test_parquet_testing_file_reads_as_pyarrow_reads_it(name):
    path = DATA / name
    t = vpcflow.read_parquet(path, threads=2, addresses=())
    assert_table_equal(t, pq.read_table(path), where=f"{name}: ")
    assert t.report.files == 1 and t.report.rows == t.num_rows


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_file_refuses_its_nested_columns_and_reads_its_flat_ones(name):
    f = vpcflow.ParquetFile(DATA / name)
    nested = [c for c in f.schema if c.type is None]
    assert nested and all("list or map" in c.unreadable for c in nested)
    with pytest.raises(vpcflow.ParquetError) as e:
        f.read()
    assert name in str(e.value) and f"column '{nested[0].name}'" in str(e.value) and "list or map" in str(e.value)
    assert e.value.field == nested[0].name
    flat = [c.name for c in f.schema if c.type is not None]
    if flat:
        t = f.read(columns=flat)
        assert_table_equal(t, pq.read_table(DATA / name, columns=[n.split(".")[0] for n in flat]), where=name,
                           columns=flat)


@pytest.mark.parametrize("name", ENCRYPTED)
def test_encrypted_files_are_refused(name):
    with pytest.raises(vpcflow.ParquetError) as e:
        vpcflow.read_parquet(DATA / name)
    msg = str(e.value)
    assert str(DATA / name) in msg and "encrypted" in msg
    assert ("PARE" in msg) != ("plaintext footer" in msg)


@pytest.mark.parametrize("name", ["delta_binary_packed", "delta_byte_array", "delta_encoding_optional_column",
                                  "delta_encoding_required_column"])
def test_delta_files_match_their_expect_csv(name):
    t = vpcflow.read_parquet(DATA / f"{name}.parquet", addresses=())
    with open(DATA / f"{name}_expect.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]]
    # (delta_encoding_required_column's names end in ':'; its CSV's do not)
    assert header == [n.rstrip(":") for n in t.column_names] and len(rows) - 1 == t.num_rows
    for j, col in enumerate(t.column_names):
        got = ["" if v is None else str(v) for v in t.column(col).to_pylist()]
        assert got == [r[j] for r in rows[1:]], col


def test_dictionary_page_at_offset_zero():
    f = vpcflow.ParquetFile(DATA / "dict-page-offset-zero.parquet")
    assert f.row_group(0).columns[0].dictionary_page_offset in (0, None)
    assert f.read()["l_partkey"].tolist() == pq.read_table(DATA / "dict-page-offset-zero.parquet")["l_partkey"].to_pylist()


def test_zero_row_file_keeps_its_columns():
    t = vpcflow.read_parquet(DATA / "column_chunk_key_value_metadata.parquet")
    assert t.num_rows == 0 and t.column_names == ["column1", "column2"] and t.schema["column1"] == "int32"
    f = vpcflow.ParquetFile(DATA / "column_chunk_key_value_metadata.parquet")
    assert f.row_group(0).column("column1").key_value_metadata == {"foo": "bar", "thisiskeywithoutvalue": None}


@pytest.mark.parametrize("name", ["datapage_v2_empty_datapage.snappy.parquet", "page_v2_empty_compressed.parquet"])
def test_empty_v2_pages(name):
    t = vpcflow.read_parquet(DATA / name)
    col = t.columns[0]
    assert col.null_count == t.num_rows > 0


def test_more_than_32767_pages_in_a_row_group():
    t = vpcflow.read_parquet(DATA / "overflow_i16_page_cnt.parquet")
    assert t.num_rows == 40000 and t.report.pages_read == 40000
    assert_table_equal(t, pq.read_table(DATA / "overflow_i16_page_cnt.parquet"))


def test_nan_in_statistics_does_not_prune():
    st = vpcflow.ParquetFile(DATA / "nan_in_stats.parquet").row_group(0).column("x").statistics
    assert st.min == 1.0 and st.max is None  # the NaN max is dropped: it bounds nothing
    t = vpcflow.read_parquet(DATA / "nan_in_stats.parquet")
    assert np.isnan(t["x"][1]) and t["x"][0] == 1.0


def test_nan_counts_and_zero_bounds():
    f = vpcflow.ParquetFile(DATA / "floating_orders_nan_count.parquet")
    for rg in f.row_groups():
        for c in rg.columns:
            st = c.statistics
            if st is None:
                continue
            for v in (st.min, st.max):
                assert v is None or not np.isnan(v)
            if st.min == 0:
                assert np.signbit(st.min)  # +0 or -0 min: -0 bounds both
            if st.max == 0:
                assert not np.signbit(st.max)


def test_float16_values_and_statistics():
    f = vpcflow.ParquetFile(DATA / "float16_nonzeros_and_nans.parquet")
    assert f.schema[0].type == "float32" and f.schema[0].logical == "float16"
    st = f.row_group(0).column("x").statistics
    assert (st.min, st.max, st.null_count) == (-2.0, 2.0, 1)
    vals = f.read().column("x").to_pylist()
    assert vals[:3] == [None, 1.0, -2.0] and np.isnan(vals[3])
    z = vpcflow.ParquetFile(DATA / "float16_zeros_and_nans.parquet").row_group(0).column("x").statistics
    assert np.signbit(z.min) and z.min == 0 and not np.signbit(z.max) and z.max == 0


def test_unknown_logical_type_reads_the_physical_values():
    f = vpcflow.ParquetFile(DATA / "unknown-logical-type.parquet")
    c = f.metadata.column("column with unknown type")
    assert c.type == "binary" and c.logical is None
    assert f.read()["column with unknown type"].tolist()[0] == b"unknown string 1"


def test_truncated_statistics_say_so():
    f = vpcflow.ParquetFile(DATA / "binary_truncated_min_max.parquet")
    rg = f.row_group(0)
    full = rg.column("utf8_full_truncation").statistics
    assert (full.min, full.max, full.min_exact, full.max_exact) == ("Al", "Kf", False, False)
    part = rg.column("binary_partial_truncation").statistics
    assert (part.min, part.max, part.min_exact, part.max_exact) == (b"Al", b"\xff\xff\x01\x02", False, True)
    exact = rg.column("utf8_no_truncation").statistics
    assert (exact.min_exact, exact.max_exact) == (True, True)


def test_int96_timestamps_are_nanoseconds():
    t = vpcflow.read_parquet(DATA / "int96_from_spark.parquet")
    assert t.schema["a"] == "int64" and t.column("a").logical == "timestamp[ns]"
    assert_table_equal(t, pq.read_table(DATA / "int96_from_spark.parquet"))
    st = vpcflow.ParquetFile(DATA / "int96_from_spark.parquet").row_group(0).column("a").statistics
    assert st is None or (st.min is None and st.max is None)  # INT96 has no defined order


def test_page_index_of_a_parquet_mr_file():
    f = vpcflow.ParquetFile(DATA / "alltypes_tiny_pages.parquet")
    rg = f.row_group(0)
    assert rg.column("id").has_page_index
    pages = f.page_index(0, "id")
    assert pages[0].first_row_index == 0 and sum(p.num_rows for p in pages) == 7300
    assert all(p.min <= p.max for p in pages) and all(p.null_count == 0 for p in pages)
    ids = f.read(columns=["id"])["id"]
    for p in pages[:20]:
        chunk = ids[p.first_row_index:p.first_row_index + p.num_rows]
        assert chunk.min() >= p.min and chunk.max() <= p.max
    assert vpcflow.ParquetFile(DATA / "alltypes_plain.parquet").page_index(0, "id") is None


def test_null_pages_in_the_page_index():
    f = vpcflow.ParquetFile(DATA / "int32_with_null_pages.parquet")
    pages = f.page_index(0, f.schema[0].name)
    null = [p for p in pages if p.null_page]
    assert null and all(p.min is None and p.max is None for p in null)


def test_bloom_filters_of_parquet_mr_and_parquet_rs():
    for name in ("data_index_bloom_encoding_stats.parquet", "data_index_bloom_encoding_with_length.parquet"):
        f = vpcflow.ParquetFile(DATA / name)
        col = f.schema[0].name
        assert f.row_group(0).column(col).has_bloom_filter
        present = [v for v in f.read()[col].tolist() if v is not None]
        assert all(f.bloom_may_contain(0, col, [v]) for v in present)
        absent = [f"no such value {i}" for i in range(200)]
        assert sum(f.bloom_may_contain(0, col, [v]) for v in absent) < 20  # false positives are rare
        assert f.bloom_may_contain(0, col, absent + [present[0]])
        assert not f.bloom_may_contain(0, col, [12345])  # an int is never in a string column


def test_bloom_filters_of_pyarrow_for_every_type(tmp_path):
    cols = ["i8", "i32", "u32", "u64", "i64", "f32", "f64", "word", "blob", "ts_us", "day", "dec9", "dec30", "half",
            "fixed"]
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED.select(cols), path, bloom_filter_options={c: True for c in cols}, row_group_size=1500)
    f = vpcflow.ParquetFile(path)
    t = f.read(row_groups=[1], addresses=())
    for c in cols:
        assert f.row_group(1).column(c).has_bloom_filter
        present = [v for v in our_values(t.column(c))[:200] if v is not None]
        assert all(f.bloom_may_contain(1, c, [v]) for v in present), c
    assert not f.bloom_may_contain(1, "dec9", [Decimal("0.001")])  # more digits than the column has
    assert not f.bloom_may_contain(1, "word", ["surely not a word in it"])


def test_crc_check():
    good = DATA / "datapage_v1-snappy-compressed-checksum.parquet"
    assert vpcflow.read_parquet(good, check_crc=True).num_rows == 5120
    bad = DATA / "datapage_v1-corrupt-checksum.parquet"
    vpcflow.read_parquet(bad)  # off by default, as in pyarrow
    with pytest.raises(vpcflow.ParquetError, match=r"column 'a', row group 0, page 0 at byte \d+: page CRC mismatch"):
        vpcflow.read_parquet(bad, check_crc=True)
    with pytest.raises(vpcflow.ParquetError, match="CRC mismatch"):
        vpcflow.read_parquet(DATA / "rle-dict-uncompressed-corrupt-checksum.parquet", check_crc=True)


# ---------------------------------------------------------------------------
# files pyarrow writes, with every option
# ---------------------------------------------------------------------------
def _typed_table(n: int = 3000, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    null = rng.random(n) < 0.2

    def arr(values, typ):
        return pa.array(values, type=typ, mask=null)

    words = np.array(["alpha", "beta", "gamma", "δέλτα", "", "x" * 40, "10.0.0.1"])
    t = pa.table({
        "i8": arr(rng.integers(-128, 128, n), pa.int8()),
        "i16": arr(rng.integers(-2**15, 2**15, n), pa.int16()),
        "i32": arr(rng.integers(-2**31, 2**31, n), pa.int32()),
        "i64": arr(rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64), pa.int64()),
        "u8": arr(rng.integers(0, 256, n), pa.uint8()),
        "u16": arr(rng.integers(0, 2**16, n), pa.uint16()),
        "u32": arr(rng.integers(0, 2**32, n, dtype=np.uint64), pa.uint32()),
        "u64": arr(rng.integers(0, 2**64 - 1, n, dtype=np.uint64), pa.uint64()),
        "small": pa.array(rng.integers(0, 5, n), type=pa.int32()),  # required, few values
        "f32": arr(rng.normal(size=n).astype(np.float32), pa.float32()),
        "f64": arr(np.where(rng.random(n) < 0.05, np.nan, rng.normal(size=n)), pa.float64()),
        "flag": arr(rng.random(n) < 0.3, pa.bool_()),
        "word": arr(words[rng.integers(0, len(words), n)], pa.string()),
        "unique": pa.array([f"id-{i:06d}-{rng.integers(1e9)}" for i in range(n)], pa.string()),
        "blob": arr([rng.integers(0, 256, int(k), dtype=np.uint8).tobytes() for k in rng.integers(0, 20, n)], pa.binary()),
        "ts_ms": arr(rng.integers(0, 2**41, n), pa.timestamp("ms")),
        "ts_us": arr(rng.integers(0, 2**51, n), pa.timestamp("us", tz="UTC")),
        "ts_ns": arr(rng.integers(0, 2**62, n), pa.timestamp("ns")),
        "day": arr(rng.integers(0, 30000, n).astype(np.int32), pa.date32()),
        "t_ms": arr(rng.integers(0, 86400000, n).astype(np.int32), pa.time32("ms")),
        "t_us": arr(rng.integers(0, 86400000000, n), pa.time64("us")),
        "dec9": pa.array([None if m else Decimal(int(v)).scaleb(-2) for m, v in zip(null, rng.integers(-10**8, 10**8, n))],
                         pa.decimal128(9, 2)),
        "dec30": pa.array([None if m else Decimal(int(v)).scaleb(-4) for m, v in zip(null, rng.integers(-10**17, 10**17, n))],
                          pa.decimal128(30, 4)),
        "half": arr(rng.normal(size=n).astype(np.float16), pa.float16()),
        "fixed": arr([rng.integers(0, 256, 6, dtype=np.uint8).tobytes() for _ in range(n)], pa.binary(6)),
        "cat": arr(words[rng.integers(0, 3, n)], pa.string()).dictionary_encode(),
    })
    return t.cast(t.schema.set(t.schema.get_field_index("small"), pa.field("small", pa.int32(), nullable=False)))


TYPED = _typed_table()
CODECS = ["NONE", "SNAPPY", "GZIP", "ZSTD", "LZ4", "BROTLI"]


def _write_and_compare(tmp_path: Path, table: pa.Table, name: str = "t.parquet", **kw) -> vpcflow.Table:
    path = tmp_path / name
    pq.write_table(table, path, **kw)
    t = vpcflow.read_parquet(path, threads=2, addresses=())
    assert_table_equal(t, pq.read_table(path), where=f"{kw}: ")
    return t


@pytest.mark.parametrize("codec,version,dictionary",
                         list(itertools.product(CODECS, ["1.0", "2.0"], [True, False])))
def test_pyarrow_codecs_page_versions_dictionaries(tmp_path, codec, version, dictionary):
    _write_and_compare(tmp_path, TYPED, compression=codec, data_page_version=version, use_dictionary=dictionary,
                       row_group_size=1000, data_page_size=2000)


_ENCODED = {
    "DELTA_BINARY_PACKED": ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "small", "ts_ms", "ts_us", "ts_ns",
                            "day", "t_ms", "t_us"],
    "DELTA_LENGTH_BYTE_ARRAY": ["word", "unique", "blob"],
    "DELTA_BYTE_ARRAY": ["word", "unique", "blob", "fixed", "dec30"],
    "BYTE_STREAM_SPLIT": ["f32", "f64", "i32", "i64", "u32", "u64", "fixed", "half", "dec30"],
}


@pytest.mark.parametrize("encoding,version", list(itertools.product(sorted(_ENCODED), ["1.0", "2.0"])))
def test_pyarrow_column_encodings(tmp_path, encoding, version):
    cols = _ENCODED[encoding]
    t = _write_and_compare(tmp_path, TYPED.select(cols), column_encoding={c: encoding for c in cols},
                           use_dictionary=False, data_page_version=version, compression="SNAPPY",
                           row_group_size=1200, data_page_size=3000)
    md = pq.read_metadata(tmp_path / "t.parquet")
    assert encoding in md.row_group(0).column(0).encodings
    assert t.num_rows == TYPED.num_rows


def _null_shapes(n: int = 5000) -> np.ndarray:
    """Null masks the page decoder spreads values over: long valid runs, long
    null runs, nulls first and last in a page, pages with no value at all,
    isolated nulls and dense random ones (True is null)."""
    rng = np.random.default_rng(7)
    null = np.zeros(n, bool)
    null[:37] = True                       # the first page starts with nulls
    null[1000:1300] = True                 # whole pages of nulls
    null[2000:2003] = True
    null[2500::97] = True                  # isolated nulls in long valid runs
    null[3000:3500] = rng.random(500) < 0.5
    null[n - 11:] = True                   # the last page ends with nulls
    return null


@pytest.mark.parametrize("version,dictionary", list(itertools.product(["1.0", "2.0"], [False, True])))
def test_values_spread_over_every_shape_of_nulls(tmp_path, version, dictionary):
    null = _null_shapes()
    n = len(null)
    rng = np.random.default_rng(3)
    t = pa.table({
        "i32": pa.array(rng.integers(-2**31, 2**31, n), pa.int32(), mask=null),
        "i64": pa.array(rng.integers(-2**62, 2**62, n), pa.int64(), mask=null),
        "u16": pa.array(rng.integers(0, 2**16, n), pa.uint16(), mask=null),
        "f64": pa.array(rng.normal(size=n), pa.float64(), mask=null),
        "word": pa.array(np.array(["a", "bb", "ccc"])[rng.integers(0, 3, n)], pa.string(), mask=null),
    })
    for page in (64, 1000):  # pages of a few rows and of many
        got = _write_and_compare(tmp_path, t, compression="ZSTD", data_page_version=version,
                                 use_dictionary=dictionary, data_page_size=page, write_batch_size=64)
        assert [got.column(c).null_count for c in t.column_names] == [int(null.sum())] * len(t.column_names)


@pytest.mark.parametrize("stats,page_index", list(itertools.product([True, False], [True, False])))
def test_pyarrow_statistics_and_page_index_options(tmp_path, stats, page_index):
    _write_and_compare(tmp_path, TYPED, write_statistics=stats, write_page_index=page_index, row_group_size=700,
                       data_page_size=1000, compression="ZSTD")
    f = vpcflow.ParquetFile(tmp_path / "t.parquet")
    c = f.row_group(0).column("i32")
    assert (c.statistics is not None) == stats and c.has_offset_index == page_index
    assert c.has_column_index == (page_index and stats)  # no column index without statistics
    if stats:
        vals = f.read(columns=["i32"], row_groups=[0])["i32"]
        assert (c.statistics.min, c.statistics.max) == (vals.min(), vals.max())
        assert c.statistics.null_count == vals.mask.sum()


def test_statistics_of_every_type_bound_the_values(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED, path, row_group_size=1000)
    f = vpcflow.ParquetFile(path)
    t = f.read(row_groups=[0], addresses=())
    rg = f.row_group(0)
    for col in t.columns:
        st = rg.column(col.name).statistics
        vals = [v for v in our_values(col) if v is not None and v == v]
        assert st.null_count == col.null_count, col.name
        if col.name in ("blob", "fixed"):
            assert st.min == min(vals) and st.max == max(vals)
        elif st.min is not None:
            assert st.min <= min(vals) and st.max >= max(vals), col.name
            assert st.min == min(vals) or st.min == 0, col.name


@pytest.mark.parametrize("name", FLAT + sorted(NESTED))
def test_column_statistics_and_chunk_sizes_agree_with_the_row_group_descriptions(name):
    """The planner's bulk calls give what the per-row-group descriptions give (decimals included)."""
    f = vpcflow.ParquetFile(DATA / name)
    sizes = f.chunk_sizes()
    assert sizes.shape == (f.num_row_groups, len(f.schema))
    for i, rg in enumerate(f.row_groups()):
        assert sizes[i].tolist() == [c.total_compressed_size for c in rg.columns]
    for j, leaf in enumerate(f.schema):
        got = f.column_statistics(leaf.name)
        assert got == f.column_statistics(j)
        want = []
        for rg in f.row_groups():
            st = rg.columns[j].statistics
            want.append(None if st is None else (st.min, st.max, st.null_count))
        # NaN bounds are reported as None by both; compare with NaN-safe equality
        assert [None if w is None else tuple("nan" if x != x else x for x in w) for w in got] == \
               [None if w is None else tuple("nan" if x != x else x for x in w) for w in want], leaf.name


def test_dictionary_that_falls_back_to_plain_mid_chunk(tmp_path):
    n = 200_000
    words = pa.array([f"value-{i}" for i in range(n)])
    table = pa.table({"s": words, "i": pa.array(np.arange(n) * 7919 % 1000003)})
    t = _write_and_compare(tmp_path, table, dictionary_pagesize_limit=20_000, data_page_size=10_000)
    encs = pq.read_metadata(tmp_path / "t.parquet").row_group(0).column(0).encodings
    assert "PLAIN" in encs and "RLE_DICTIONARY" in encs
    assert len(t.column("s").dictionary) == n


def test_many_row_groups_share_one_dictionary(tmp_path):
    table = pa.table({"action": pa.array(["ACCEPT", "REJECT", None, "ACCEPT"] * 500)})
    t = _write_and_compare(tmp_path, table, row_group_size=7)
    assert t.report.row_groups_read == 286
    assert sorted(t.column("action").dictionary.tolist()) == ["ACCEPT", "REJECT"]


def test_result_is_the_same_for_any_thread_count(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED, path, row_group_size=300, data_page_size=1000)
    one = vpcflow.read_parquet(path, threads=1)
    for n in (2, 3, 8):
        other = vpcflow.read_parquet(path, threads=n)
        for a, b in zip(one.columns, other.columns):
            assert a.type == b.type
            if a.is_dictionary:
                assert np.array_equal(a.codes, b.codes) and a.dictionary.tolist() == b.dictionary.tolist()
            else:
                assert np.array_equal(a.values[a.valid], b.values[b.valid], equal_nan=a.values.dtype.kind == "f")


# ---------------------------------------------------------------------------
# files DuckDB writes
# ---------------------------------------------------------------------------
duckdb = pytest.importorskip("duckdb")


@pytest.mark.parametrize("codec,version,rg", list(itertools.product(
    ["uncompressed", "snappy", "gzip", "zstd", "lz4", "brotli"], ["V1", "V2"], [1000, 122880])))
def test_duckdb_files_read_as_pyarrow_reads_them(tmp_path, codec, version, rg):
    path = tmp_path / "d.parquet"
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT i::INTEGER AS i, (i * 7919)::BIGINT AS big, (i % 7)::TINYINT AS tiny,
                     (i % 300)::USMALLINT AS us, CASE WHEN i % 5 = 0 THEN NULL ELSE 'host-' || (i % 50) END AS host,
                     '10.0.' || (i % 256) || '.' || (i % 7) AS srcaddr, i % 3 = 0 AS flag, i / 7.0 AS dbl,
                     (i * 1.5)::FLOAT AS flt, DATE '2024-01-01' + (i % 400)::INTEGER AS d,
                     TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS ts,
                     (i / 100.0)::DECIMAL(12, 2) AS dec, uuid() AS u, md5(i::VARCHAR) AS hash
              FROM range(5000) t(i))
        TO '{path}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE {rg}, PARQUET_VERSION {version})""")
    expected = pq.read_table(path)
    names = [c for c in expected.column_names if c != "u"]
    assert_table_equal(vpcflow.read_parquet(path, columns=names, threads=2, addresses=()), expected.select(names))
    u = vpcflow.read_parquet(path, columns=["u"]).column("u")  # pyarrow gives UUID objects
    assert u.type == "binary" and u.logical == "uuid"
    assert u.to_pylist() == [None if v is None else v.bytes for v in expected.column("u").to_pylist()]
    addr = vpcflow.read_parquet(path, columns=["srcaddr"])
    assert addr.schema["srcaddr"] == "address" and addr["srcaddr"].tolist() == expected["srcaddr"].to_pylist()


# ---------------------------------------------------------------------------
# flow logs
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flows(tmp_path_factory) -> tuple[vpcflow.Table, Path]:
    d = tmp_path_factory.mktemp("flows")
    vpcflow.synth.write_sample(d / "logs", records=40_000, seed=11, formats=("v2", "v5"))
    table = vpcflow.read_logs(d / "logs")
    path = d / "flows.parquet"
    pq.write_table(table.to_arrow(), path, compression="zstd", row_group_size=15_000, write_page_index=True,
                   data_page_size=16_000)
    return table, path


def test_flow_logs_written_by_pyarrow_read_back_equal(flows):
    table, path = flows
    t = vpcflow.read_parquet(path)
    value_columns_equal(t, table)
    assert t.schema["srcaddr"] == "address" and t.schema["pkt_dstaddr"] == "address"
    assert t.schema["bytes"] == "int64" and t.schema["srcport"] == "int32"


def test_address_columns_stay_strings_when_a_value_is_not_an_address(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"srcaddr": ["10.0.0.1", "-", "2001:db8::1"], "dstaddr": ["1.2.3.4", None, "::1"]}), path)
    t = vpcflow.read_parquet(path)
    assert t.schema["srcaddr"] == "string" and t["srcaddr"].tolist() == ["10.0.0.1", "-", "2001:db8::1"]
    assert t.schema["dstaddr"] == "address" and t["dstaddr"].tolist() == ["1.2.3.4", None, "::1"]
    assert vpcflow.read_parquet(path, addresses=()).schema["dstaddr"] == "string"
    assert vpcflow.read_parquet(path, addresses=["srcaddr"]).schema["dstaddr"] == "string"


@pytest.mark.parametrize("threads", [1, 3])
def test_one_non_address_in_the_last_row_group_keeps_a_string_column(tmp_path, threads):
    vals = [f"10.0.{i // 250}.{i % 250}" for i in range(5000)]
    pq.write_table(pa.table({"dstaddr": vals}), tmp_path / "1.parquet", row_group_size=1000)
    pq.write_table(pa.table({"dstaddr": vals[:10] + ["unknown"]}), tmp_path / "2.parquet", use_dictionary=False)
    t = vpcflow.read_parquet(tmp_path, threads=threads)
    assert t.schema["dstaddr"] == "string" and t["dstaddr"].tolist() == vals + vals[:10] + ["unknown"]
    assert vpcflow.read_parquet(tmp_path / "1.parquet", threads=threads).schema["dstaddr"] == "address"


def test_the_pandas_sample_reads(samples_dir):
    t = vpcflow.read_parquet(samples_dir / "flowlogs-reader-pandas.parquet")
    assert t.num_rows == 3
    assert_table_equal(t, pq.read_table(samples_dir / "flowlogs-reader-pandas.parquet"))


# ---------------------------------------------------------------------------
# reading less
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("page_index", [True, False])
def test_row_ranges_return_exactly_the_rows_asked_for(tmp_path, page_index):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED, path, row_group_size=1000, data_page_size=500, write_page_index=page_index)
    f = vpcflow.ParquetFile(path)
    full = pq.read_table(path)
    rng = np.random.default_rng(1)
    for trial in range(12):
        ranges = {}
        for rg in sorted(rng.choice(3, size=rng.integers(1, 4), replace=False)):
            cuts = sorted(set(rng.integers(0, 1001, size=2 * rng.integers(1, 5)).tolist()))
            ranges[int(rg)] = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])]
        t = f.read(row_ranges=ranges, threads=2, addresses=())
        want = [rg * 1000 + r for rg in sorted(ranges) for a, b in ranges[rg] for r in range(a, b)]
        assert_table_equal(t, full.take(want), where=f"{ranges}: ")
        if page_index and t.num_rows < 300:
            assert t.report.pages_skipped > 0


@pytest.mark.parametrize("page_index", [True, False])
def test_row_ranges_of_dictionary_columns(tmp_path, page_index):
    """Lazy dictionaries (entries converted as wanted rows use them): strings, addresses, a dictionary page
    that overflows into PLAIN pages mid-chunk, nulls; the same rows as pyarrow, whatever the ranges."""
    rng = np.random.default_rng(3)
    n = 6000
    addr = [None if i % 17 == 0 else f"10.{i % 7}.{(i * 7) % 251}.{(i * 13) % 253}" for i in range(n)]
    v6 = [None if i % 11 == 0 else f"2001:db8::{i % 997 + 1:x}" for i in range(n)]
    word = [None if i % 5 == 0 else f"w{int(x)}" for i, x in enumerate(rng.integers(0, 3000, n))]
    path = tmp_path / "d.parquet"
    # a small dictionary page limit: the chunks fall back to PLAIN pages after their first pages
    pq.write_table(pa.table({"srcaddr": addr, "dstaddr": v6, "word": word}), path, row_group_size=2500,
                   data_page_size=400, dictionary_pagesize_limit=3000, write_page_index=page_index)
    f = vpcflow.ParquetFile(path)
    md = pq.ParquetFile(path).metadata
    assert "PLAIN" in md.row_group(0).column(2).encodings and md.row_group(0).column(2).dictionary_page_offset
    full = pq.read_table(path)
    for trial in range(15):
        ranges = {}
        for rg in sorted(rng.choice(3, size=rng.integers(1, 4), replace=False)):
            nrows = md.row_group(int(rg)).num_rows
            cuts = sorted(set(rng.integers(0, nrows + 1, size=2 * rng.integers(1, 6)).tolist()))
            ranges[int(rg)] = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])]
        t = f.read(row_ranges=ranges, threads=2)
        want = [rg * 2500 + r for rg in sorted(ranges) for a, b in ranges[rg] for r in range(a, b)]
        exp = full.take(want)
        for name in ("srcaddr", "dstaddr", "word"):
            assert t[name].tolist() == exp.column(name).to_pylist(), (name, ranges)
        assert t.schema["srcaddr"] == "address" and t.schema["word"] == "string"
    # all dictionary-encoded: only the entries of the rows read enter the result's dictionary
    pq.write_table(pa.table({"srcaddr": addr, "word": word}), path, data_page_size=400)
    t = vpcflow.ParquetFile(path).read(row_ranges={0: [(100, 110), (4000, 4003)]})
    assert t["word"].tolist() == word[100:110] + word[4000:4003]
    assert t["srcaddr"].tolist() == addr[100:110] + addr[4000:4003]
    assert len(t.column("word").dictionary) <= 13 and len(t.column("srcaddr").dictionary) <= 13


def test_row_ranges_address_column_judged_on_the_rows_read(tmp_path):
    """A value that is not an address keeps a column a string column when a row read holds it."""
    vals = [f"10.0.0.{i % 200}" for i in range(3000)]
    vals[2900] = "unknown"
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"srcaddr": vals}), path, row_group_size=3000, data_page_size=1000)
    f = vpcflow.ParquetFile(path)
    assert f.read().schema["srcaddr"] == "string"
    t = f.read(row_ranges={0: [(2890, 2910)]})
    assert t.schema["srcaddr"] == "string" and t["srcaddr"].tolist() == vals[2890:2910]
    t = f.read(row_ranges={0: [(0, 10)]})
    assert t["srcaddr"].tolist() == vals[:10]


def test_row_ranges_with_a_page_index_read_fewer_bytes(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED, path, row_group_size=3000, data_page_size=500, write_batch_size=50, write_page_index=True,
                   use_dictionary=False)
    f = vpcflow.ParquetFile(path)
    all_rows = f.read()
    few = f.read(row_ranges={0: [(100, 110), (2500, 2501)]})
    assert few.num_rows == 11 and few.report.bytes_read < all_rows.report.bytes_read / 5
    assert few.report.pages_skipped > few.report.pages_read


def test_row_ranges_are_merged_and_validated(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": list(range(100))}), path, row_group_size=50)
    f = vpcflow.ParquetFile(path)
    t = f.read(row_ranges={1: [(10, 20), (0, 5), (15, 25), (30, 30)]})
    assert t["x"].tolist() == list(range(50, 55)) + list(range(60, 75))
    with pytest.raises(ValueError, match="past its 50 rows"):
        f.read(row_ranges={0: [(40, 60)]})
    with pytest.raises(ValueError, match="row_groups leaves out"):
        f.read(row_groups=[0], row_ranges={1: [(0, 1)]})
    with pytest.raises(IndexError, match="no row group 5"):
        f.read(row_groups=[5])
    assert f.read(row_groups=[1, 0])["x"].tolist()[:2] == [50, 51]


def test_a_subset_of_columns_touches_less(flows):
    _, path = flows
    f = vpcflow.ParquetFile(path)
    everything = f.read()
    two = f.read(columns=["srcaddr", "bytes"])
    assert two.column_names == ["srcaddr", "bytes"]
    assert two.report.bytes_read < everything.report.bytes_read / 2
    assert everything.report.bytes_read <= everything.report.bytes_total
    sizes = sum(f.row_group(i).column(c).total_compressed_size for i in range(f.num_row_groups)
                for c in ("srcaddr", "bytes"))
    assert sizes <= two.report.bytes_read <= sizes + f.metadata.size - sum(
        c.total_compressed_size for rg in f.row_groups() for c in rg.columns)


def test_read_plan_reads_many_files_in_one_call(flows):
    table, path = flows
    f = vpcflow.ParquetFile(path)
    t = vpcflow.pqread.read_plan([f, f], [[(2, [(0, 3)])], None], columns=["bytes"])
    assert t["bytes"].tolist()[:3] == table["bytes"][30_000:30_003].tolist()
    assert t.num_rows == 3 + table.num_rows and t.report.files == 2
    assert vpcflow.pqread.read_plan([f], [[]], columns=["bytes"]).num_rows == 0


# ---------------------------------------------------------------------------
# directories, partitions, schema merging
# ---------------------------------------------------------------------------
def test_directory_with_hive_partitions_and_junk(tmp_path):
    for day, n in (("01", 3), ("02", 2)):
        for region in ("us-east-1", "eu-west-1"):
            d = tmp_path / f"year=2024" / f"day={day}" / f"region={region}"
            d.mkdir(parents=True)
            pq.write_table(pa.table({"bytes": pa.array(range(n), pa.int64())}), d / "part-0.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "year=2024" / ".part-0.parquet.crc").write_bytes(b"PAR1junk")
    (tmp_path / "year=2024" / "README.txt").write_text("not parquet")
    (tmp_path / "_temporary").mkdir()
    (tmp_path / "_temporary" / "x.parquet").write_bytes(b"PAR1 half written")
    t = vpcflow.read_parquet(tmp_path)
    assert t.column_names == ["bytes", "year", "day", "region"]
    assert t.schema["year"] == "int32" and t.schema["day"] == "int32" and t.schema["region"] == "string"
    assert t.num_rows == 10 and set(t["region"].tolist()) == {"us-east-1", "eu-west-1"}
    assert t["day"].tolist() == [1] * 6 + [2] * 4
    assert vpcflow.read_parquet(tmp_path, columns=["region", "bytes"]).column_names == ["bytes", "region"]
    assert vpcflow.read_parquet(tmp_path, partitioning=False).column_names == ["bytes"]


def test_gzip_wrapped_parquet(tmp_path):
    raw = tmp_path / "a.parquet"
    pq.write_table(pa.table({"srcaddr": ["10.1.2.3"], "n": [1]}), raw)
    wrapped = tmp_path / "d" / "flows.log.parquet.gz"
    wrapped.parent.mkdir()
    wrapped.write_bytes(gzip.compress(raw.read_bytes()))
    (tmp_path / "d" / "other.gz").write_bytes(gzip.compress(b"just text"))
    t = vpcflow.read_parquet(tmp_path / "d")
    assert t.to_pylist() == [{"srcaddr": "10.1.2.3", "n": 1}]
    assert vpcflow.read_parquet(wrapped).num_rows == 1


def test_schemas_merge_by_name(tmp_path):
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32()), "s": ["x", "y"]}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"s": ["z"], "b": [1.5]}), tmp_path / "2.parquet")
    t = vpcflow.read_parquet(tmp_path)
    assert t.column_names == ["a", "s", "b"]
    assert t.to_pydict() == {"a": [1, 2, None], "s": ["x", "y", "z"], "b": [None, None, 1.5]}


def test_conflicting_types_name_both_files(tmp_path):
    pq.write_table(pa.table({"a": pa.array([1], pa.int32())}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"a": ["text"]}), tmp_path / "2.parquet")
    with pytest.raises(vpcflow.ParquetError) as e:
        vpcflow.read_parquet(tmp_path)
    msg = str(e.value)
    assert "2.parquet: column 'a'" in msg and "is string here but int32 in" in msg and "1.parquet" in msg


def test_missing_things(tmp_path):
    with pytest.raises(FileNotFoundError):
        vpcflow.read_parquet(tmp_path / "nope.parquet")
    assert vpcflow.read_parquet(tmp_path).num_rows == 0  # an empty directory
    pq.write_table(pa.table({"a": [1]}), tmp_path / "1.parquet")
    with pytest.raises(ValueError, match="no column 'zz'"):
        vpcflow.read_parquet(tmp_path, columns=["zz"])
    with pytest.raises(ValueError, match="asked for twice"):
        vpcflow.read_parquet(tmp_path, columns=["a", "a"])


def test_parquet_file_from_bytes_and_metadata(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED, path, row_group_size=1000)
    f = vpcflow.ParquetFile(path.read_bytes(), name="mem.parquet")
    m = f.metadata
    assert m.num_rows == 3000 and m.num_row_groups == 3 and m.created_by.startswith("parquet-cpp-arrow")
    assert "ARROW:schema" in m.key_value_metadata
    info = {c.name: c for c in m.schema}
    assert (info["u16"].type, info["u16"].annotation) == ("uint16", "INTEGER(16,unsigned)")
    assert (info["ts_us"].logical, info["dec30"].physical) == ("timestamp[us, UTC]", "FIXED_LEN_BYTE_ARRAY")
    assert info["half"].logical == "float16" and info["small"].nullable is False
    st = f.row_group(0).column("dec9").statistics
    assert str(st.min).count(".") == 1 and st.min < st.max
    st = f.row_group(1).column("u64").statistics
    assert st.max > 2**63  # unsigned order
    assert repr(f).startswith("ParquetFile('mem.parquet', rows=3,000")


def test_cli_info(tmp_path, capsys):
    path = tmp_path / "t.parquet"
    pq.write_table(TYPED.select(["i32", "word", "ts_us"]), path, row_group_size=1000, write_page_index=True)
    assert cli_main(["info", str(path), "--row-groups", "2"]) == 0
    out = capsys.readouterr().out
    assert "3,000 rows in 3 row groups" in out and "timestamp[us, UTC]" in out
    assert "row group 1: 1,000 rows" in out and "... 1 more row groups" in out
    assert "RLE_DICTIONARY" in out and "ARROW:schema" in out
    assert cli_main(["info", str(tmp_path / "missing.parquet")]) == 1
    (tmp_path / "bad.parquet").write_bytes(b"PAR1" + b"\0" * 20)
    assert cli_main(["info", str(tmp_path / "bad.parquet")]) == 1
    assert "no PAR1 magic at the end" in capsys.readouterr().err


@pytest.mark.parametrize("fraction,max_runs", [(0.0, 0.01), (0.01, 0.01), (0.01, 1.0), (0.2, 1.0), (0.3, 0.01),
                                                (1.0, 0.01)])
def test_read_plan_selected_is_read_plan_then_take(flows, fraction, max_runs):
    """Late materialisation gives what reading everything and then taking the picked rows gives."""
    table, path = flows
    f = vpcflow.ParquetFile(path)
    g = vpcflow.ParquetFile(path)
    plans = [[(0, [(5, 900), (1000, 1500)]), (2, None)], None]
    cols = ["bytes", "srcaddr", "dstaddr", "action", "start"]
    full = vpcflow.pqread.read_plan([f, g], plans, columns=cols + ["day"], partitions=[{"day": "1"}, {"day": "2"}])
    rng = np.random.default_rng(11)
    pick = np.flatnonzero(rng.random(full.num_rows) < fraction)
    seen = []

    def select(t):
        seen.append(t.column_names)
        return pick

    t = vpcflow.pqread.read_plan_selected([f, g], plans, columns=cols + ["day"], filter_columns=["start", "day"],
                                          select=select, partitions=[{"day": "1"}, {"day": "2"}], max_runs=max_runs)
    assert seen == [["start", "day"]]
    assert t.num_rows == len(pick) == t.report.rows
    exp = full.take(pick)
    for name in cols + ["day"]:
        assert t[name].tolist() == exp[name].tolist(), name
    assert t.report.row_groups_read == full.report.row_groups_read and t.report.files == 2


@pytest.mark.parametrize("fraction", [0.1, 0.9])
@pytest.mark.parametrize("clustered", [False, True])
def test_read_plan_selected_uncut_keeps_every_row_read_by_the_plans(flows, fraction, clustered):
    table, path = flows
    f = vpcflow.ParquetFile(path)
    plans = [None]
    cols = ["bytes", "srcaddr", "start"]
    full = vpcflow.pqread.read_plan([f], plans, columns=cols)
    if clustered:  # one run: late materialisation reads the other columns for those rows only, and cuts
        pick = np.arange(int(full.num_rows * fraction))
    else:
        pick = np.flatnonzero(np.random.default_rng(3).random(full.num_rows) < fraction)
    t = vpcflow.pqread.read_plan_selected([f], plans, columns=cols, filter_columns=["start"], select=lambda t: pick,
                                          cut=False, max_runs=0.01)
    late = clustered and fraction < 0.25
    want = full.take(pick) if late else full  # read by the plans: uncut, whatever the fraction
    assert t.num_rows == want.num_rows == t.report.rows
    for name in cols:
        assert t[name].tolist() == want[name].tolist(), name
