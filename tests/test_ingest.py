"""Incremental ingestion: exactly once, crash-safe under SIGKILL, watching a growing tree."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vpcflow
from vpcflow.manifest import DIRNAME, Manifest

T0 = 1_700_000_000


def totals(t: vpcflow.Table) -> tuple[int, int, int]:
    return t.num_rows, int(t["bytes"].sum()), int(t["packets"].sum())


def dataset_files(dest: Path) -> set[str]:
    """Parquet files visible in the dataset directory (what an engine that ignores the manifest sees)."""
    out = set()
    for root, dirs, files in os.walk(dest):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for f in files:
            if not f.startswith((".", "_")):
                out.add(os.path.relpath(os.path.join(root, f), dest))
    return out


def hidden_leftovers(dest: Path) -> list[str]:
    return [os.path.join(r, f) for r, ds, fs in os.walk(dest) for f in fs
            if f.startswith(".") and (".tmp-" in f or f.endswith(".pending"))]


def test_ingest_converts_each_object_once(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    a = vpcflow.synth.write_sample(logs, records=4000, seed=1, hours=2, start=T0, layout="hourly")
    r1 = vpcflow.ingest(logs, flows, partition_by="hour")
    assert (r1.objects, r1.rows, r1.already, r1.polls) == (len(a.paths), 4000, 0, 1)
    r2 = vpcflow.ingest(logs, flows)
    assert (r2.objects, r2.rows, r2.already, r2.listed) == (0, 0, len(a.paths), len(a.paths))
    b = vpcflow.synth.write_sample(logs, records=1500, seed=2, hours=1, start=T0 + 86400, layout="hourly")
    r3 = vpcflow.ingest(logs, flows)  # the dataset's partitioning (hour) is kept
    assert (r3.objects, r3.rows, r3.already) == (len(b.paths), 1500, len(a.paths))
    ds = vpcflow.dataset(flows)
    assert totals(ds.to_table()) == totals(vpcflow.read_logs(logs))
    assert all(f.count("/") == 4 and "hour=" in f for f in Manifest.peek(str(flows)).files)
    # an ingested object that changes is counted, not read again (delivered objects are immutable)
    victim = Path(a.paths[0])
    os.utime(victim, (1, 1))
    r4 = vpcflow.ingest(logs, flows)
    assert (r4.objects, r4.changed) == (0, 1)
    assert ds.to_table().num_rows == 5500


def test_ingest_with_a_selection_and_into_a_converted_dataset(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    vpcflow.synth.write_sample(logs, records=6000, seed=3, hours=2, start=T0, regions=("us-east-1", "eu-west-1"))
    c = vpcflow.convert(logs, flows, include_regions="us-east-1", progress=False)
    r = vpcflow.ingest(logs, flows, include_regions=["us-east-1", "eu-west-1"])
    assert r.already == c.inputs and r.objects == len(vpcflow.list_objects(logs, include_regions="eu-west-1"))
    assert c.rows + r.rows == 6000
    assert totals(vpcflow.dataset(flows).to_table()) == totals(vpcflow.read_logs(logs))


def test_ingest_compacts_what_an_interrupted_run_left(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    vpcflow.synth.write_sample(logs, records=20_000, seed=4, hours=1, start=T0)
    # a run that committed its batches but was stopped before compacting
    vpcflow.convert(logs, flows, memory_limit=16 << 20, compact_after=False, progress=False, threads=1)
    vpcflow.synth.write_sample(logs / "more", records=20_000, seed=5, hours=1, start=T0)
    before = Manifest.peek(str(flows)).files
    r = vpcflow.ingest(logs, flows, memory_limit=16 << 20, threads=1)
    after = Manifest.peek(str(flows)).files
    assert r.rows == 20_000 and r.compactions
    assert len({os.path.dirname(f) for f in after}) == len(after)  # one file per partition
    assert sum(after.values()) == sum(before.values()) + 20_000 == 40_000
    assert dataset_files(flows) == set(after)


def test_manifest_survives_a_torn_line(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    vpcflow.synth.write_sample(logs / "a", records=1000, seed=6, hours=1, start=T0)
    vpcflow.ingest(logs, flows)
    m = flows / DIRNAME / "manifest.jsonl"
    with open(m, "ab") as f:
        f.write(b'{"kind":"batch","inputs":[{"name":"/x","si')  # a crash mid-append
    vpcflow.synth.write_sample(logs / "b", records=500, seed=7, hours=1, start=T0 + 7200)
    assert vpcflow.ingest(logs, flows).rows == 500  # the next append starts a fresh line
    lines = m.read_bytes().split(b"\n")
    assert any(line.startswith(b'{"kind":"batch","inputs":[{"name":"/x","si') for line in lines)
    # records after the torn line still count
    assert vpcflow.ingest(logs, flows).objects == 0
    assert vpcflow.dataset(flows).to_table().num_rows == 1500
    assert "/x" not in Manifest.peek(str(flows)).inputs


# ===================================================================
# The CLI under SIGKILL and Ctrl-C
# ===================================================================
def _cmd(logs: Path, flows: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vpcflow", "ingest", str(logs), str(flows), "--memory-limit", "16M",
            "--partition-by", "hour", "--threads", "1", *extra]


@pytest.mark.no_asan  # starts other processes
def test_ingest_killed_at_random_points_loses_and_duplicates_nothing(tmp_path: Path):
    rng = random.Random(6_2026)
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    vpcflow.synth.write_sample(logs / "first", records=400_000, seed=8, hours=8, start=T0, layout="hourly")
    manifest = flows / DIRNAME / "manifest.jsonl"

    def commits() -> int:
        return manifest.read_bytes().count(b"\n") if manifest.exists() else 0

    # Kill at random points until 8 runs have died mid-work. Whenever a run gets to the end first (a fast
    # machine), new objects arrive, so the next run has work to be killed in; the count of kills does
    # not depend on the machine's speed.
    kills = finished = arrivals = 0
    records = 400_000
    for attempt in range(80):
        # a random point: after 0-2 more commits, plus a random fraction of the next batch's work
        base = commits()
        target = base + rng.randint(0, 2)
        delay = rng.uniform(0.05, 0.6) if target == base else rng.uniform(0.0, 0.1)
        p = subprocess.Popen(_cmd(logs, flows), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while p.poll() is None and commits() < target and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        out, err = p.communicate()
        if p.returncode == 0:
            finished += 1
        else:
            assert p.returncode == -signal.SIGKILL, err.decode()
        if p.returncode == 0 or (kills == 3 and not arrivals):  # new objects arrive between runs
            vpcflow.synth.write_sample(logs / f"later-{arrivals}", records=50_000, seed=9 + arrivals, hours=2,
                                       start=T0 + (8 + 2 * arrivals) * 3600, layout="hourly")
            arrivals += 1
            records += 50_000
        if kills >= 8 and finished:
            break
    assert kills >= 8 and arrivals, (kills, finished, arrivals)
    done = subprocess.run(_cmd(logs, flows), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(_cmd(logs, flows), capture_output=True, text=True, timeout=300)
    assert "0 new objects ingested" in again.stdout

    one_shot = tmp_path / "one-shot"
    ref = vpcflow.convert(logs, one_shot, partition_by="hour", progress=False)
    assert ref.rows == records
    got = vpcflow.dataset(flows).to_table()
    want = vpcflow.dataset(one_shot).to_table()
    assert totals(got) == totals(want) == totals(vpcflow.read_logs(logs))
    m = Manifest.peek(str(flows))
    assert set(m.inputs) == {o.input_name for o in vpcflow.list_objects(logs)}
    assert dataset_files(flows) == set(m.files)  # nothing half-written is visible, nothing committed is missing
    assert hidden_leftovers(flows) == []
    assert not [f for f in os.listdir(flows / DIRNAME) if f.startswith("pending-")]
    # the same partitions, compacted to one file each
    assert {os.path.dirname(f) for f in m.files} == {os.path.dirname(f) for f in Manifest.peek(str(one_shot)).files}
    assert len({os.path.dirname(f) for f in m.files}) == len(m.files)


@pytest.mark.no_asan  # starts other processes
def test_ingest_watch_picks_up_new_objects_and_stops_on_ctrl_c(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    a = vpcflow.synth.write_sample(logs, records=3000, seed=10, hours=1, start=T0)
    p = subprocess.Popen(_cmd(logs, flows, "--watch", "0.2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (flows / DIRNAME / "manifest.jsonl").exists() and len(Manifest.peek(str(flows)).inputs) >= n:
                return
            assert p.poll() is None, p.communicate()
            time.sleep(0.1)
        raise AssertionError(f"ingest --watch did not pick up {n} objects")

    try:
        wait_for(len(a.paths))
        b = vpcflow.synth.write_sample(logs, records=1000, seed=11, hours=1, start=T0 + 86400)
        wait_for(len(a.paths) + len(b.paths))
        time.sleep(0.5)  # a few more passes with nothing new
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "(interrupted)" in out and "pass" in err
    assert totals(vpcflow.dataset(flows).to_table()) == totals(vpcflow.read_logs(logs))
    assert vpcflow.dataset(flows).to_table().num_rows == 4000
    with open(flows / DIRNAME / "manifest.jsonl") as f:
        names = [i["name"] for line in f for i in json.loads(line).get("inputs", [])]
    assert len(names) == len(set(names)) == len(a.paths) + len(b.paths)  # each object once


def test_ingest_names_a_malformed_object_and_skip_counts_it(tmp_path: Path):
    logs, flows = tmp_path / "logs", tmp_path / "flows"
    info = vpcflow.synth.write_sample(logs, records=2000, seed=12, hours=1, start=T0, gzip=False)
    victim = Path(info.paths[2])
    lines = victim.read_text().splitlines(keepends=True)
    lines[5] = "this is not a flow log record\n"
    lines[8] = lines[8].replace(lines[8].split()[3], "10.0.0.300", 1)  # srcaddr in both formats
    victim.write_text("".join(lines))
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.ingest(logs, flows)
    assert ei.value.file == str(victim) and ei.value.line == 6 and str(victim) in str(ei.value)
    assert not (flows / DIRNAME / "manifest.jsonl").exists() or not Manifest.peek(str(flows)).inputs
    r = vpcflow.ingest(logs, flows, on_error="skip")
    assert r.bad_records == 2 and r.rows == 2000 - 2
    bad = [b for run in r.runs for b in run.bad]
    assert [(b.file, b.line, b.field) for b in bad] == [(str(victim), 6, "version"), (str(victim), 9, "srcaddr")]
    assert str(victim) in str(r)
    assert vpcflow.ingest(logs, flows, on_error="skip").objects == 0  # counted once, not retried


@pytest.mark.no_asan  # starts other processes
def test_cli_ls_and_convert_select_by_key(tmp_path: Path):
    logs = tmp_path / "logs"
    vpcflow.synth.write_sample(logs, records=4000, seed=13, hours=2, start=T0, regions=("us-east-1", "eu-west-1"),
                               layout="hive-daily")
    run = lambda *a: subprocess.run([sys.executable, "-m", "vpcflow", *a], capture_output=True, text=True,
                                    timeout=120)
    ls = run("ls", str(logs), "--region", "eu-west-1", "--start", "2023-11-14T23:00Z")
    assert ls.returncode == 0, ls.stderr
    want = vpcflow.list_objects(logs, include_regions="eu-west-1", start="2023-11-14T23:00Z")
    body = ls.stdout.splitlines()[1:]
    assert len(body) == len(want) > 0
    assert all(o.path in line and "eu-west-1" in line and "hive" in line for o, line in zip(want, body))
    assert f"{len(want):,} objects" in ls.stderr
    conv = run("convert", str(logs), str(tmp_path / "flows"), "--quiet", "--region", "eu-west-1",
               "--start", "2023-11-14T23:00Z")
    assert conv.returncode == 0, conv.stderr
    rows = vpcflow.read_logs(logs, include_regions="eu-west-1", start="2023-11-14T23:00Z").num_rows
    assert f"{rows:,} rows" in conv.stdout and vpcflow.dataset(tmp_path / "flows").to_table().num_rows == rows
    bad = run("ls", str(logs), "--start", "soon")
    assert bad.returncode == 1 and "start='soon' is not a time" in bad.stderr


def test_reading_while_a_writer_is_mid_batch_leaves_its_batch_alone(tmp_path: Path):
    """A reader (vpcflow.dataset) must not 'recover' a batch that a live writer has in flight."""
    from vpcflow.convert import _Lock
    from vpcflow.pqwrite import write_parquet

    logs, flows = tmp_path / "logs", tmp_path / "flows"
    vpcflow.synth.write_sample(logs, records=1000, seed=14, hours=1, start=T0)
    vpcflow.ingest(logs, flows)
    extra = vpcflow.read_logs(vpcflow.synth.write_sample(tmp_path / "more", records=300, seed=15, hours=1,
                                                         start=T0).paths)
    lock = _Lock(str(flows))  # a writer, mid-batch: pending file and journal written, not committed
    try:
        m = Manifest.open(str(flows))
        part = flows / "year=2023" / "month=11" / "day=14"
        pending = part / ".part-inflight.parquet.pending"
        write_parquet(extra, pending)
        txn = m.begin("batch", {str(pending): "year=2023/month=11/day=14/part-inflight.parquet"})
        assert vpcflow.dataset(flows).to_table().num_rows == 1000  # committed state only
        assert pending.exists() and Path(txn.journal).exists()  # the reader undid nothing
        txn.commit({"inputs": [], "rows": 300}, {"year=2023/month=11/day=14/part-inflight.parquet": 300})
    finally:
        lock.release()
    assert vpcflow.dataset(flows).to_table().num_rows == 1300
