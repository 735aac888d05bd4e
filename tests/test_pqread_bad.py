"""Hostile Parquet: the parquet-testing bad_data files, hand-made damage,
truncations at every kind of offset and random corruption.  Every one
raises vpcflow.ParquetError naming the file and what is wrong, or reads:
never a crash or a hang (these tests also run against the ASan build)."""
from __future__ import annotations

import os
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vpcflow
from conftest import REPO, SHARED
from pqutil import assert_table_equal

BAD = SHARED / "parquet-testing" / "bad_data"
CORPUS = REPO / "csrc" / "fuzz" / "corpus" / "pqread"

#: What each bad_data file's error says (besides the file name).
BAD_MESSAGES = {
    "ARROW-GH-41317.parquet": "corrupt footer",  # columns of different sizes; its metadata is also malformed
    "ARROW-GH-41321.parquet": "column 'int64', row group 0, page 1 at byte 1313: RLE",  # levels shorter than values
    "ARROW-GH-45185.parquet": "column 'x.list.element': cannot read a list or map",
    "ARROW-GH-47662.parquet": "column 'flba_field', row group 0, page 0 at byte 4: PLAIN: 100 values",  # nulls in a required column
    "ARROW-RS-GH-6229-DICTHEADER.parquet": "column 'nation_key', row group 0, page 0 at byte 4",
    "ARROW-RS-GH-6229-LEVELS.parquet": "cannot read a list or map",
    "PARQUET-1481.parquet": "column 'Handle': cannot read an unknown physical type",
}
#: Not bad after all: a dictionary-encoded page whose index bit width is 0,
#: which the spec allows (every index is 0; its dictionary has one entry).
#: It reads, equal to pyarrow.
VALID_IN_BAD_DATA = {"ARROW-GH-43605.parquet"}


def test_every_bad_data_file_is_listed():
    assert {p.name for p in BAD.glob("*.parquet")} == set(BAD_MESSAGES) | VALID_IN_BAD_DATA


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
def test_bad_data_raises_a_parquet_error_saying_what(name):
    path = BAD / name
    with pytest.raises(vpcflow.ParquetError) as e:
        f = vpcflow.ParquetFile(path)
        flat = [c.name for c in f.schema if c.type]  # the data's damage, past any list column
        f.read(columns=flat or None)
    msg = str(e.value)
    assert msg.startswith(str(path)) and BAD_MESSAGES[name] in msg, msg
    assert e.value.file == str(path)


@pytest.mark.parametrize("name", sorted(VALID_IN_BAD_DATA))
def test_bit_width_zero_dictionary_indices_read(name):
    assert_table_equal(vpcflow.read_parquet(BAD / name), pq.read_table(BAD / name))


# ---------------------------------------------------------------------------
# hand-made damage
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("good") / "g.parquet"
    pq.write_table(pa.table({"a": pa.array(range(1000), pa.int64()), "s": [f"v{i % 10}" for i in range(1000)]}), path,
                   compression="snappy", row_group_size=400)
    return path.read_bytes()


def _error(data: bytes, **kw) -> str:
    with pytest.raises(vpcflow.ParquetError) as e:
        vpcflow.ParquetFile(data, name="x.parquet").read(**kw)
    assert str(e.value).startswith("x.parquet")
    return str(e.value)


def test_not_parquet_at_all(tmp_path):
    assert "0 bytes is too small" in _error(b"")
    assert "no PAR1 magic at the start" in _error(b"hello world, not parquet" * 3)
    assert "no PAR1 magic at the end" in _error(b"PAR1" + b"\0" * 40)
    assert "footer length 4294967295 does not fit" in _error(b"PAR1" + b"\0" * 8 + b"\xff\xff\xff\xffPAR1")
    assert "encrypted footer" in _error(b"PARE" + b"\0" * 40)
    path = tmp_path / "text.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(vpcflow.ParquetError, match="text.parquet: not a Parquet file"):
        vpcflow.read_parquet(path)


def test_truncated_file(good):
    assert "no PAR1 magic at the end" in _error(good[:-1])
    assert "no PAR1 magic at the end" in _error(good[: len(good) // 2])


def test_corrupt_footer(good):
    n = struct.unpack("<I", good[-8:-4])[0]
    start = len(good) - 8 - n
    broken = good[:start] + b"\xff" * 8 + good[start + 8:]
    msg = _error(broken)
    assert "corrupt footer" in msg and f"its bytes from {start}" in msg


def test_footer_length_points_before_the_data(good):
    assert "corrupt footer" in _error(good[:-8] + struct.pack("<I", 20) + b"PAR1")


def _patch_first(data: bytes, old: bytes, new: bytes) -> bytes:
    i = data.index(old)
    return data[:i] + new + data[i + len(old):]


def test_corrupt_page_data(good):
    # the values of the first page: garbage in place of snappy data
    broken = bytearray(good)
    broken[60:120] = b"\xfe" * 60
    msg = _error(bytes(broken))
    assert "column 'a', row group 0, page" in msg


def test_unsupported_and_unknown_codecs(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path, compression="snappy")
    f = vpcflow.ParquetFile(path)
    assert f.row_group(0).column("a").codec == "SNAPPY"
    # the codec is the i32 field 4 of ColumnMetaData: zigzag(1) = 2 after a field header 0x15
    data = path.read_bytes()
    footer_at = len(data) - 8 - struct.unpack("<I", data[-8:-4])[0]
    i = data.index(b"\x15\x02", data.index(b"\x01a", footer_at) - 2)  # the codec follows path_in_schema ["a"]
    lzo = data[:i] + b"\x15\x06" + data[i + 2:]
    assert "unsupported codec LZO in column 'a'" in _error(lzo)
    unknown = data[:i] + b"\x15\x40" + data[i + 2:]
    assert "unsupported codec UNKNOWN in column 'a'" in _error(unknown)
    assert vpcflow.ParquetFile(lzo).row_group(0).column("a").codec_supported is False


# ---------------------------------------------------------------------------
# truncations and random corruption (hypothesis)
# ---------------------------------------------------------------------------
SEEDS = sorted(CORPUS.glob("*.parquet"))
SEED_BYTES = [p.read_bytes() for p in SEEDS]


def _read_everything(data: bytes) -> None:
    """Open, walk the metadata, read every readable column: a ParquetError is fine."""
    try:
        f = vpcflow.ParquetFile(data, name="fuzzed.parquet")
        m = f.metadata
        for i in range(m.num_row_groups):
            rg = f.row_group(i)
            for j in range(len(rg.columns)):
                f.page_index(i, j)
                f.bloom_may_contain(i, j, [1, "10.0.0.1", 2.5, b"x"])
        if sum(f.row_group(i).num_rows for i in range(m.num_row_groups)) > 1 << 20:
            return  # a footer may claim any row count: allocating for it is not a bug
        cols = [c.name for c in m.schema if c.type and "\ufffd" not in c.name]  # (a name not UTF-8 cannot be asked for)
        if cols:
            t = f.read(columns=cols, threads=2)
            for c in t.columns:
                assert c.null_count == len(c) - int(c.valid.sum())
                if c.is_dictionary:
                    assert c.codes.max(initial=-1) < len(c.dictionary)
            half = {i: [(0, f.row_group(i).num_rows // 2)] for i in range(m.num_row_groups)
                    if f.row_group(i).num_rows > 1}
            if half:
                f.read(columns=cols[:1], row_ranges=half)
    except vpcflow.ParquetError as e:
        assert str(e).startswith("fuzzed.parquet"), str(e)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(seed=st.integers(0, len(SEEDS) - 1), cut=st.floats(0, 1, exclude_max=True))
def test_truncations_raise_parquet_error(seed, cut):
    data = SEED_BYTES[seed]
    with pytest.raises(vpcflow.ParquetError):
        vpcflow.ParquetFile(data[: int(cut * len(data))], name="fuzzed.parquet").read()


@FUZZ
@given(seed=st.integers(0, len(SEEDS) - 1),
       edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_random_byte_corruption_raises_or_reads(seed, edits):
    data = bytearray(SEED_BYTES[seed])
    for where, value in edits:
        data[int(where * len(data))] = value
    _read_everything(bytes(data))


@FUZZ
@given(seed=st.integers(0, len(SEEDS) - 1), where=st.floats(0, 1, exclude_max=True), length=st.integers(1, 64))
def test_removed_bytes_raise_or_read(seed, where, length):
    """Bytes cut out of the middle, the footer (and its length) kept: offsets now point elsewhere."""
    data = SEED_BYTES[seed]
    body = len(data) - 8 - struct.unpack("<I", data[-8:-4])[0]
    i = 4 + int(where * max(1, body - 4))
    _read_everything(data[:i] + data[i + length:])


def test_the_seeds_read_cleanly():
    assert len(SEEDS) >= 6
    for p in SEEDS:
        f = vpcflow.ParquetFile(p)
        f.read(columns=[c.name for c in f.schema if c.type])
