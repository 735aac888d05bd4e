"""vpcflow.convert / compact / the manifest: a raw-log tree to a Hive-partitioned
Parquet dataset that pyarrow and DuckDB read to exactly the parsed records."""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

import vpcflow
from vpcflow.synth import write_sample

README = Path(__file__).resolve().parent.parent / "README.md"
PART_RE = {
    "hour": re.compile(r"^year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/part-[^/]+\.parquet$"),
    "day": re.compile(r"^year=(\d{4})/month=(\d\d)/day=(\d\d)/part-[^/]+\.parquet$"),
    "month": re.compile(r"^year=(\d{4})/month=(\d\d)/part-[^/]+\.parquet$"),
    None: re.compile(r"^part-[^/]+\.parquet$"),
}


def _parquet_files(dest: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(dest):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        out += [os.path.relpath(os.path.join(root, f), dest) for f in files if not f.startswith(("_", "."))]
    return sorted(out)


def _rows(table_like, columns: list[str]) -> list[tuple]:
    """Rows as sorted tuples of Python values (None for null)."""
    cols = [table_like.column(c).to_pylist() for c in columns]
    return sorted(zip(*cols), key=lambda r: tuple((v is None, v if v is not None else 0) for v in r))


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("logs")
    # 30 hours so that hour/day/month partitions all have several values
    write_sample(d, records=30_000, seed=11, hours=30, start=1_700_000_000 - 12 * 3600)
    return d


@pytest.fixture(scope="module")
def parsed(logs):
    return vpcflow.read_logs(logs)


@pytest.mark.parametrize("by", ["hour", "day", "month", None])
def test_partitions_hold_their_records_sorted_by_start(tmp_path, logs, parsed, by):
    dest = tmp_path / "flows"
    rep = vpcflow.convert(logs, dest, partition_by=by, progress=False)
    assert rep.rows == parsed.num_rows and rep.bad_records == 0 and rep.skipped == 0
    assert rep.inputs == len(vpcflow.reader.expand_paths(logs))
    files = _parquet_files(dest)
    assert files and all(PART_RE[by].match(f) for f in files), files
    total = 0
    for f in files:
        t = pq.read_table(dest / f, columns=["start"])
        start = t.column("start").to_numpy()
        total += len(start)
        assert np.all(np.diff(start) >= 0), f"{f}: rows not sorted by start"
        m = PART_RE[by].match(f)
        if by is not None:
            lo = np.datetime64(f"{m[1]}-{m[2]}-{m[3] if by != 'month' else '01'}T{m[4] if by == 'hour' else '00'}")
            span = {"hour": np.timedelta64(1, "h"), "day": np.timedelta64(1, "D")}.get(by)
            hi = lo + span if span is not None else np.datetime64(f"{m[1]}-{m[2]}", "M") + np.timedelta64(1, "M")
            ts = start.astype("datetime64[s]")
            assert ts.min() >= lo and ts.max() < hi, f
    assert total == parsed.num_rows
    if by is not None:
        assert rep.partitions == len({os.path.dirname(f) for f in files}) > (by != "month")


def test_pyarrow_and_duckdb_read_exactly_the_parsed_records(tmp_path, logs, parsed):
    dest = tmp_path / "flows"
    vpcflow.convert(logs, dest, partition_by="hour", progress=False)
    cols = parsed.column_names
    want = _rows(parsed.to_arrow(), cols)
    ds = pads.dataset(dest, format="parquet", partitioning="hive")
    got = ds.to_table(columns=cols)
    assert _rows(got, cols) == want
    # partition columns come back too, and agree with start
    part = ds.to_table(columns=["start", "year", "month", "day", "hour"])
    starts = part.column("start").to_numpy().astype("datetime64[s]").astype(object)
    for s, y, mo, d, h in list(zip(starts, *(part.column(c).to_pylist() for c in ("year", "month", "day", "hour"))))[:500]:
        assert (int(y), int(mo), int(d), int(h)) == (s.year, s.month, s.day, s.hour)
    sel = ", ".join(f'"{c}"' for c in cols)
    dk = duckdb.sql(f"SELECT {sel} FROM read_parquet('{dest}/**/*.parquet', hive_partitioning=true)").to_arrow_table()
    assert _rows(dk, cols) == want
    # and our own reader
    assert _rows(vpcflow.read_parquet(dest).to_arrow(), cols) == want


def test_second_run_skips_and_force_converts_again(tmp_path, logs, parsed):
    dest = tmp_path / "flows"
    first = vpcflow.convert(logs, dest, progress=False)
    again = vpcflow.convert(logs, dest, progress=False)
    n = len(vpcflow.reader.expand_paths(logs))
    assert (first.inputs, first.skipped) == (n, 0)
    assert (again.inputs, again.skipped, again.rows) == (0, n, 0)
    assert vpcflow.read_parquet(dest).num_rows == parsed.num_rows
    forced = vpcflow.convert(logs, dest, progress=False, force=True)
    assert forced.rows == parsed.num_rows
    assert vpcflow.read_parquet(dest).num_rows == 2 * parsed.num_rows


def test_new_inputs_are_added_and_compacted(tmp_path):
    logs, dest = tmp_path / "logs", tmp_path / "flows"
    write_sample(logs / "a", records=4000, seed=1)
    vpcflow.convert(logs, dest, progress=False, compact_after=False)
    write_sample(logs / "b", records=3000, seed=2)
    rep = vpcflow.convert(logs, dest, progress=False, compact_after=False)
    assert rep.rows == 3000 and rep.skipped > 0
    before = _parquet_files(dest)
    expect = vpcflow.read_logs(logs)
    c = vpcflow.compact(dest)
    after = _parquet_files(dest)
    assert c.files_before == len(before) and c.files_after == len(after) < len(before)
    got = vpcflow.read_parquet(dest)
    assert got.num_rows == 7000
    for name in ("bytes", "packets", "start"):
        assert int(got.column(name).values.sum()) == int(expect.column(name).values.sum())
    # each merged file is still sorted by start
    for f in after:
        s = pq.read_table(dest / f, columns=["start"]).column("start").to_numpy()
        assert np.all(np.diff(s) >= 0)


def test_parsed_manifest_is_reused_only_while_nothing_changed(tmp_path):
    from vpcflow.dataset import _committed_state as state
    from vpcflow.manifest import Manifest

    logs, dest = tmp_path / "logs", tmp_path / "flows"
    write_sample(logs / "a", records=4000, seed=1)
    vpcflow.convert(logs, dest, progress=False, compact_after=False)
    first = state(str(dest))
    assert state(str(dest)) is first  # unchanged: parsed once
    assert vpcflow.dataset(dest).to_table().num_rows == 4000
    # a new batch appends to the manifest: parsed again, the new rows are seen
    write_sample(logs / "b", records=3000, seed=2)
    vpcflow.convert(logs, dest, progress=False, compact_after=False)
    second = state(str(dest))
    assert second is not first and len(second.files) > len(first.files)
    assert vpcflow.dataset(dest).to_table().num_rows == 7000
    # compaction replaces files: the scan sees exactly the live ones
    vpcflow.compact(dest)
    third = state(str(dest))
    assert set(third.files) == set(Manifest.peek(str(dest)).files) != set(second.files)
    assert vpcflow.dataset(dest).to_table().num_rows == 7000
    # a transaction in flight (here: abandoned) bypasses the cache, so recovery runs as before
    assert state(str(dest)) is third
    txn = Manifest.open(str(dest), create=False).begin("batch", {})
    assert os.path.exists(txn.journal)
    fourth = state(str(dest))
    assert fourth is not third and fourth == third
    assert not os.path.exists(txn.journal)  # rolled back by the opening
    assert state(str(dest)) is third  # the committed state never changed: the cached one still holds


def test_bad_lines_raise_without_committing_or_are_counted(tmp_path, samples_dir):
    src = samples_dir / "flowlogs-reader-v5-alphabetical-with-bogus-line.log"
    dest = tmp_path / "flows"
    with pytest.raises(vpcflow.ParseError, match="bogus"):
        vpcflow.convert(src, dest, progress=False)
    assert _parquet_files(dest) == []
    rep = vpcflow.convert(src, dest, progress=False, on_error="skip")
    assert rep.bad_records == 1 and rep.bad and "bogus" in rep.bad[0].text
    assert vpcflow.read_parquet(dest).num_rows == rep.rows == vpcflow.read_logs(src, on_error="skip").num_rows


def test_memory_budget_makes_batches(tmp_path):
    logs = tmp_path / "logs"
    info = write_sample(logs, records=60_000, seed=5)
    rep = vpcflow.convert(logs, tmp_path / "flows", progress=False, memory_limit=16 << 20, compact_after=False)
    assert rep.rows == 60_000
    assert rep.batches > 1 or info.bytes * 12 < (16 << 20) // 3


def test_peak_memory_is_bounded_by_the_budget(tmp_path):
    """A subprocess converts ~4x its memory budget of text; its peak RSS stays
    within the interpreter's own footprint plus the budget."""
    logs = tmp_path / "logs"
    info = write_sample(logs, records=400_000, seed=6, hours=4)
    text_bytes = vpcflow.read_logs(logs).report.bytes_text
    budget = 32 << 20
    assert text_bytes > 2 * budget
    code = ("import resource, sys, vpcflow;"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            f"r = vpcflow.convert({str(logs)!r}, {str(tmp_path / 'flows')!r}, progress=False, "
            f"memory_limit={budget}, threads=2);"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            "print(r.rows, r.batches, base, peak)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    rows, batches, base_kb, peak_kb = map(int, out)
    assert rows == 400_000 and batches > 1
    assert (peak_kb - base_kb) * 1024 < 2 * budget + (64 << 20), (base_kb, peak_kb)
    assert info.records == rows


def test_convert_cli_reports(tmp_path, logs, parsed):
    dest = tmp_path / "flows"
    r = subprocess.run([sys.executable, "-m", "vpcflow", "convert", str(logs), str(dest), "--partition-by", "hour",
                        "--compression", "snappy", "--int-encoding", "delta"], capture_output=True, text=True,
                       check=True)
    n = len(vpcflow.reader.expand_paths(logs))
    assert f"{n} input files, {parsed.num_rows:,} rows, 0 bad records" in r.stdout
    assert r.stderr == ""  # no progress bar when stderr is not a terminal
    codecs = {pq.ParquetFile(dest / f).metadata.row_group(0).column(0).compression for f in _parquet_files(dest)}
    assert codecs == {"SNAPPY"}
    md = pq.ParquetFile(dest / _parquet_files(dest)[0]).metadata
    names = [md.schema.column(i).name for i in range(md.num_columns)]
    for name in ("srcport", "dstport", "packets", "bytes"):
        assert "DELTA_BINARY_PACKED" in md.row_group(0).column(names.index(name)).encodings, name
    r2 = subprocess.run([sys.executable, "-m", "vpcflow", "convert", str(logs), str(dest), "--partition-by", "hour"],
                        capture_output=True, text=True, check=True)
    assert "skipped" in r2.stdout


CHILD = """
import sys, vpcflow
vpcflow.convert(sys.argv[1], sys.argv[2], partition_by="hour", memory_limit=16 << 20, progress=False,
                row_group_size=5000)
"""


@pytest.mark.no_asan
def test_killed_at_random_points_finishes_with_every_record_once(tmp_path):
    """SIGKILL a convert at random moments; every run leaves only complete
    Parquet files behind, and re-running converges to the one-shot result."""
    logs = tmp_path / "logs"
    write_sample(logs, records=120_000, seed=8, hours=6)
    ref = tmp_path / "ref"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(logs), str(ref)], check=True)
    t_full = time.perf_counter() - t0  # interpreter start-up included
    want = vpcflow.read_parquet(ref)
    rng = random.Random(1234)
    killed_trials = 0
    for trial in range(4):
        dest = tmp_path / f"flows{trial}"
        wanted = 1 + trial % 2  # trials 1 and 3 are killed twice before finishing
        kills, scale = 0, 1.0
        for attempt in range(10):
            if kills == wanted:
                break
            p = subprocess.Popen([sys.executable, "-c", CHILD, str(logs), str(dest)])
            time.sleep(rng.uniform(0.1, 0.9) * t_full * scale)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            p.wait()
            # whatever is visible is complete: pyarrow opens every file
            for f in _parquet_files(dest):
                pq.ParquetFile(dest / f).metadata
            if p.returncode == 0:
                # it finished before the kill (a faster or quieter moment than the reference run):
                # start the trial over, killing sooner, so the count of kills does not depend on timing
                shutil.rmtree(dest, ignore_errors=True)
                kills, scale = 0, scale * 0.5
        killed_trials += kills > 0
        subprocess.run([sys.executable, "-c", CHILD, str(logs), str(dest)], check=True)
        got = vpcflow.read_parquet(dest)
        assert got.num_rows == want.num_rows, trial
        for name in ("bytes", "packets", "start", "end", "srcport"):
            assert int(got.column(name).values.sum()) == int(want.column(name).values.sum()), (trial, name)
    assert killed_trials == 4


def _readme_ddl() -> str:
    text = README.read_text()
    m = re.search(r"```sql\n(CREATE EXTERNAL TABLE.*?)```", text, re.S)
    assert m, "README has the Athena DDL in a ```sql block"
    return m.group(1)


def test_athena_ddl_in_readme_matches_what_we_write(tmp_path, samples_dir):
    ddl = _readme_ddl()
    body = ddl[ddl.index("(") + 1: ddl.index("PARTITIONED BY")]
    body = body[: body.rindex(")")]
    declared = {}
    for line in body.split(","):
        name, typ = line.split()
        declared[name.strip("`")] = typ.lower()
    parts = re.search(r"PARTITIONED BY\s*\((.*?)\)", ddl, re.S).group(1)
    assert [p.split()[0].strip("`") for p in parts.split(",")] == ["year", "month", "day", "hour"]
    assert "STORED AS PARQUET" in ddl or "MapredParquetInputFormat" in ddl
    # a file with every field a v2-v8 flow log has
    dest = tmp_path / "flows"
    vpcflow.convert([samples_dir / n for n in ("aws-docs-v5.log", "flowlogs-reader-v6-transit-gateway.log")], dest,
                    partition_by="hour", progress=False)
    written = {}
    for f in _parquet_files(dest):
        for field in pq.ParquetFile(dest / f).schema:
            written[field.name] = (field.physical_type, field.logical_type.type, field.max_definition_level)
    hive_ok = {"int": {"INT32"}, "bigint": {"INT32", "INT64"}, "string": {"BYTE_ARRAY"}}
    for name, (phys, logical, dlevel) in written.items():
        assert name in declared, f"column {name} we write is not in the README's DDL"
        assert phys in hive_ok[declared[name]], (name, phys, declared[name])
        assert dlevel == 1  # OPTIONAL
        if phys == "BYTE_ARRAY":
            assert logical == "STRING"
    # the v5 columns AWS's own DDL lists are all declared, in its order
    aws_v5 = ("version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end "
              "action log_status vpc_id subnet_id instance_id tcp_flags type pkt_srcaddr pkt_dstaddr region az_id "
              "sublocation_type sublocation_id pkt_src_aws_service pkt_dst_aws_service flow_direction "
              "traffic_path").split()
    assert list(declared)[: len(aws_v5)] == aws_v5


def test_read_parquet_filter_prunes_and_matches_a_full_read(tmp_path, logs, parsed):
    from vpcflow import col

    dest = tmp_path / "flows"
    vpcflow.convert(logs, dest, partition_by="hour", progress=False, row_group_size=2000)
    full = vpcflow.read_parquet(dest)
    src = full.column("srcaddr").to_pylist()
    start = full.column("start").to_pylist()
    lo = 1_700_000_000 - 6 * 3600
    addr = next(s for s, t in zip(src, start) if lo <= t < lo + 3600 and s is not None)
    want = sorted(b for s, t, b in zip(src, start, full.column("bytes").to_pylist()) if s == addr and lo <= t < lo + 3600)
    t = vpcflow.read_parquet(dest, columns=["bytes"], filter=(col("srcaddr") == addr) & col("start").between(lo, lo + 3599))
    assert sorted(t.column("bytes").to_pylist()) == want and want
    r = t.report
    assert r.files_skipped > 0 and r.files + r.files_skipped == len(_parquet_files(dest))
    assert r.bytes_read < r.bytes_total / 5
    # no address at all: bloom filters skip every row group they are asked about
    none = vpcflow.read_parquet(dest, filter=col("srcaddr") == "198.51.100.254")
    assert none.num_rows == 0 and none.report.row_groups_bloom_skipped > 0


@pytest.mark.parametrize("span", [0, 1, 7_199, 65_535, 65_536, 200_000, 2**32 - 1, 2**32, 2**62])
def test_stable_order_is_numpys_stable_argsort(span):
    from vpcflow.convert import _stable_order

    rng = np.random.default_rng(span % 1000)
    key = 1_700_000_000 + rng.integers(0, span + 1, 50_000, dtype=np.int64) if span < 2**62 else \
        rng.integers(-span, span, 50_000, dtype=np.int64)
    key[::7] = key[0]  # many ties: stability matters
    assert np.array_equal(_stable_order(key), np.argsort(key, kind="stable"))
    sentinel = key.copy()
    sentinel[::5] = np.iinfo(np.int64).min  # the null partition's key
    assert np.array_equal(_stable_order(sentinel), np.argsort(sentinel, kind="stable"))
    assert len(_stable_order(key[:0])) == 0
