"""The buffer pool (vpcflow.memory): the reader's large arrays reuse blocks freed by earlier reads.

What must hold: a block is reused only once every array over it is gone (a table still held, or a
slice of one, keeps its values), reused blocks give exactly the values fresh memory gives (nulls
are 0, as Column.values promises), the limit is honoured, and turning the pool off returns what it
holds.
"""
from __future__ import annotations

import gc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vpcflow
from vpcflow import recipes

ROWS = 600_000  # int64 4.8 MB and int32 2.4 MB: above the pool's 2 MiB floor (the 0.6 MB validity is not)


@pytest.fixture()
def pool():
    """A pool with room, emptied before and after each test."""
    vpcflow.set_memory_pool(0)
    vpcflow.set_memory_pool("256M")
    yield
    vpcflow.set_memory_pool(vpcflow.memory.DEFAULT_POOL_KEEP)


def _write(path, seed: int, null_every: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    big = rng.integers(1, 1 << 60, ROWS, dtype=np.int64)
    port = rng.integers(1, 65536, ROWS).astype(np.int32)
    mask = np.arange(ROWS) % null_every == 0
    t = pa.table({"bytes": pa.array(big, mask=mask), "port": pa.array(port)})
    pq.write_table(t, path, row_group_size=150_000)
    return t


def _check(t: vpcflow.Table, ref: pa.Table) -> None:
    for name in ("bytes", "port"):
        c = t.column(name)
        want = ref.column(name).combine_chunks()
        valid = ~np.asarray(want.is_null())
        assert np.array_equal(c.valid, valid)
        assert np.array_equal(c.values[valid], want.drop_null().to_numpy())
        assert not c.values[~valid].any()  # nulls are 0, whatever the block held before


def test_a_second_read_reuses_the_blocks_of_the_first(tmp_path, pool):
    ref = _write(tmp_path / "a.parquet", 1, 7)
    start = vpcflow.memory_pool()
    t = vpcflow.read_parquet(tmp_path / "a.parquet")
    _check(t, ref)
    before = vpcflow.memory_pool()
    assert before.blocks == 0 and before.misses == start.misses + 2  # bytes and port
    del t
    gc.collect()
    after = vpcflow.memory_pool()
    assert after.blocks == 2 and after.given == before.given + 2 and after.kept == (6 + 4) << 20
    t = vpcflow.read_parquet(tmp_path / "a.parquet")
    assert vpcflow.memory_pool().hits == after.hits + 2 and vpcflow.memory_pool().blocks == 0
    _check(t, ref)


def test_reused_blocks_hold_nulls_as_zero(tmp_path, pool):
    dense = _write(tmp_path / "dense.parquet", 2, 1_000_000)  # one null: the first row
    sparse = _write(tmp_path / "sparse.parquet", 3, 2)  # every other row null
    vpcflow.read_parquet(tmp_path / "dense.parquet")  # dropped at once: its blocks are kept
    gc.collect()
    before = vpcflow.memory_pool()
    assert before.blocks == 2
    t = vpcflow.read_parquet(tmp_path / "sparse.parquet")
    assert vpcflow.memory_pool().hits == before.hits + 2
    _check(t, sparse)
    del dense


def test_arrays_still_alive_keep_their_blocks(tmp_path, pool):
    ref_a = _write(tmp_path / "a.parquet", 4, 5)
    ref_b = _write(tmp_path / "b.parquet", 5, 3)
    a = vpcflow.read_parquet(tmp_path / "a.parquet")
    part = a.column("bytes").values[1000:2000]  # a view: its base is the whole block
    expected = part.copy()
    del a
    gc.collect()
    kept = vpcflow.memory_pool()
    assert kept.blocks == 1  # port came back; bytes is still in use
    b = vpcflow.read_parquet(tmp_path / "b.parquet")
    _check(b, ref_b)
    assert np.array_equal(part, expected)
    assert not np.shares_memory(part, b.column("bytes").values)
    del part
    gc.collect()
    assert vpcflow.memory_pool().blocks == 1  # the bytes block, now free (b still holds its own)
    a2 = vpcflow.read_parquet(tmp_path / "a.parquet")
    _check(a2, ref_a)
    _check(b, ref_b)  # b untouched by a2's read


def test_the_limit_and_turning_it_off(tmp_path, pool):
    _write(tmp_path / "a.parquet", 6, 9)
    vpcflow.set_memory_pool("7M")  # room for the 6 MiB block or the 4 MiB one, not both
    vpcflow.read_parquet(tmp_path / "a.parquet")
    gc.collect()
    info = vpcflow.memory_pool()
    assert info.keep == 7 << 20 and info.kept <= info.keep and info.blocks == 1
    vpcflow.set_memory_pool(0)
    info = vpcflow.memory_pool()
    assert info.kept == 0 and info.blocks == 0 and info.keep == 0
    vpcflow.read_parquet(tmp_path / "a.parquet")
    gc.collect()
    assert vpcflow.memory_pool().blocks == 0


@pytest.mark.parametrize("bad", ["lots", "-1", -5, "5X"])
def test_a_bad_limit_is_refused(bad, pool):
    with pytest.raises(ValueError, match="size|at least 0"):
        vpcflow.set_memory_pool(bad)
    assert vpcflow.memory_pool().keep == 256 << 20


def test_queries_answer_the_same_from_reused_blocks(tmp_path, pool):
    vpcflow.synth.write_sample(tmp_path / "logs", records=300_000, seed=11)  # 2.4 MB int64 columns
    vpcflow.convert(tmp_path / "logs", tmp_path / "flows", progress=False)
    ds = vpcflow.dataset(tmp_path / "flows")
    vpcflow.set_memory_pool(0)
    fresh = [recipes.top_talkers(ds), recipes.rejected_by_port(ds), recipes.top_host_pairs(ds)]
    vpcflow.set_memory_pool("256M")
    for _ in range(3):  # the second and third rounds read into kept blocks
        again = [recipes.top_talkers(ds), recipes.rejected_by_port(ds), recipes.top_host_pairs(ds)]
        assert [t.to_pylist() for t in again] == [t.to_pylist() for t in fresh]
    assert vpcflow.memory_pool().hits >= 6
