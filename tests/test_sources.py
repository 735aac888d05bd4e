"""Every way flow logs arrive on disk: AWS Parquet delivery, mixed directories, S3 key layouts and selection."""
from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vpcflow
from vpcflow.sources import Selection, parse_key, to_epoch

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def rows_of(t: vpcflow.Table) -> list[tuple]:
    """Rows as sorted tuples over a fixed column order (for order-free comparisons)."""
    names = sorted(t.column_names)
    d = t.to_pydict()
    return sorted(zip(*(d[n] for n in names)), key=repr)


# ===================================================================
# AWS Parquet delivery
# ===================================================================
def test_pandas_sample_reads_as_text_would(samples_dir: Path):
    path = samples_dir / "flowlogs-reader-pandas.parquet"
    t = vpcflow.read_logs(path)
    assert dict(t.schema) == {
        "version": "int32", "account_id": "string", "interface_id": "string", "srcaddr": "address",
        "dstaddr": "address", "srcport": "int32", "dstport": "int32", "protocol": "int32", "packets": "int64",
        "bytes": "int64", "start": "int64", "end": "int64", "action": "string", "log_status": "string"}
    # the three records the README describes, as the text parser gives them ('-' and pandas' 'None' are null)
    assert t.to_pylist() == [
        dict(version=2, account_id="123456789010", interface_id="eni-102010ab", srcaddr="198.51.100.1",
             dstaddr="192.0.2.1", srcport=443, dstport=49152, protocol=6, packets=10, bytes=840, start=1439387263,
             end=1439387264, action="ACCEPT", log_status="OK"),
        dict(version=2, account_id="123456789010", interface_id="eni-202010ab", srcaddr=None, dstaddr=None,
             srcport=None, dstport=None, protocol=None, packets=None, bytes=None, start=1439387263, end=1439387264,
             action=None, log_status="NODATA"),
        dict(version=2, account_id="123456789010", interface_id="eni-202010ab", srcaddr="198.51.100.7",
             dstaddr="192.0.2.156", srcport=80, dstport=100, protocol=8080, packets=None, bytes=None,
             start=1439387263, end=1439387264, action=None, log_status="NODATA"),
    ]
    # and against pyarrow's reading of the same file, column by column
    ref = pq.read_table(path).to_pydict()
    nullish = {"-", "None"}
    for name, vals in ref.items():
        got = t[name].tolist()
        want = [None if v is None or str(v) in nullish else v for v in vals]
        if t.schema[name] in ("int32", "int64"):
            want = [None if v is None else int(v) for v in want]
        else:
            want = [None if v is None else str(v) for v in want]
        assert got == want, name
    assert t.report.files == 1 and t.report.rows == 3 and t.report.bad_lines == 0


def test_pandas_sample_equals_the_same_records_as_text(samples_dir: Path):
    text = vpcflow.read_logs(samples_dir / "flowlogs-reader-v2.log", on_error="skip")
    par = vpcflow.read_logs(samples_dir / "flowlogs-reader-pandas.parquet")
    assert par.schema == text.schema
    # the first record is the same flow in both fixtures
    assert par.to_pylist()[0] == text.to_pylist()[0]


@pytest.mark.parametrize("wrap", [False, True], ids=["parquet", "gzip-wrapped"])
def test_parquet_delivery_equals_text_delivery(tmp_path: Path, wrap: bool):
    kw = dict(records=6000, seed=11, hours=1, accounts=2, regions=("us-east-1", "eu-west-1"))
    text = vpcflow.synth.write_sample(tmp_path / "text", **kw)
    par = vpcflow.synth.write_sample(tmp_path / "pq", delivery="parquet", gzip=wrap, **kw)
    assert all(p.endswith(".log.parquet") for p in par.paths)
    assert len(par.paths) == len(text.paths)
    a = vpcflow.read_logs(tmp_path / "text")
    b = vpcflow.read_logs(tmp_path / "pq")
    assert b.num_rows == 6000 and b.schema == a.schema
    assert b.to_pydict() == a.to_pydict()  # same rows in the same (object) order
    assert b.report.files == len(par.paths) and b.report.bytes_in == par.bytes
    if not wrap:  # pyarrow reads the same values from the objects
        ref = pa.concat_tables([pq.read_table(p) for p in par.paths], promote_options="default")
        assert ref.num_rows == 6000
        for name in ("srcport", "bytes", "packets", "start"):
            assert b[name].tolist() == ref.column(name).to_pylist()
        assert b["srcaddr"].tolist() == ref.column("srcaddr").to_pylist()


def test_normalisation_of_foreign_parquet(tmp_path: Path):
    path = tmp_path / "foreign.parquet"
    tbl = pa.table({
        "version": pa.array([2, 2, 5], pa.int64()),
        "account-id": pa.array([12345678901, 123456789012, None], pa.int64()),   # lost its leading zero
        "srcaddr": ["10.0.0.1", "-", "2001:db8::1"],
        "dstaddr": ["10.0.0.2", None, "::ffff:1.2.3.4"],
        "srcport": ["443", "None", "nan"],
        "dstport": pa.array([49152, None, 53], pa.uint16()),
        "protocol": pa.array([6.0, float("nan"), 17.0]),
        "packets": ["10", "<NA>", ""],
        "bytes": pa.array([840, 0, 2**40], pa.int64()),
        "start": pa.array([1_700_000_000_000, 1_700_000_060_000, None], pa.timestamp("ms", tz="UTC")),
        "end": pa.array([1_700_000_060_123, 1_700_000_100, None], pa.int64()),   # one in milliseconds
        "action": ["ACCEPT", "-", None],
        "tcp-flags": pa.array([2, 18, None], pa.int8()),
        "next-hop-thing": pa.array([1.5, None, 3.0]),   # unknown: kept as it is
        "__index_level_0__": pa.array([0, 1, 2], pa.int64()),
    })
    pq.write_table(tbl, path)
    t = vpcflow.read_logs(path)
    assert t.column_names == ["version", "account_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
                              "packets", "bytes", "start", "end", "action", "tcp_flags", "next_hop_thing"]
    assert dict(t.schema) == {
        "version": "int32", "account_id": "string", "srcaddr": "address", "dstaddr": "address", "srcport": "int32",
        "dstport": "int32", "protocol": "int32", "packets": "int64", "bytes": "int64", "start": "int64",
        "end": "int64", "action": "string", "tcp_flags": "int32", "next_hop_thing": "float64"}
    d = t.to_pydict()
    assert d["account_id"] == ["012345678901", "123456789012", None]
    assert d["srcaddr"] == ["10.0.0.1", None, "2001:db8::1"]
    assert d["dstaddr"] == ["10.0.0.2", None, "::ffff:1.2.3.4"]
    assert d["srcport"] == [443, None, None]
    assert d["dstport"] == [49152, None, 53]
    assert d["protocol"] == [6, None, 17]
    assert d["packets"] == [10, None, None]
    assert d["bytes"] == [840, 0, 2**40]
    assert d["start"] == [1_700_000_000, 1_700_000_060, None]
    assert d["end"] == [1_700_000_060, 1_700_000_100, None]
    assert t.report.ms_fixed == 1
    assert d["action"] == ["ACCEPT", None, None]
    assert d["tcp_flags"] == [2, 18, None]
    assert d["next_hop_thing"] == [1.5, None, 3.0]
    # the address columns are the text parser's (the same dictionary bytes as parsing the text)
    ref = vpcflow.parse_text("srcaddr dstaddr\n10.0.0.1 10.0.0.2\n- -\n2001:db8::1 ::ffff:1.2.3.4\n")
    for name in ("srcaddr", "dstaddr"):
        assert t[name].tolist() == ref[name].tolist()
        a, b = t.column(name), ref.column(name)
        assert sorted(map(bytes, np.concatenate([a.address_bytes[0], a.address_bytes[1][:, None]], 1))) == \
            sorted(map(bytes, np.concatenate([b.address_bytes[0], b.address_bytes[1][:, None]], 1)))


def test_bad_parquet_values_name_object_row_field_text(tmp_path: Path):
    path = tmp_path / "bad.log.parquet"
    pq.write_table(pa.table({"srcaddr": ["10.0.0.1", "10.0.0.300", "10.0.0.3", "x"],
                             "srcport": ["1", "2", "abc", "4"],
                             "dstport": pa.array([1, 2, 3, 70000], pa.int64())}), path)
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(path)
    e = ei.value
    assert (e.file, e.line, e.field, e.text) == (str(path), 2, "srcaddr", "10.0.0.300")
    assert str(path) in str(e) and "row 2" in str(e) and "invalid IP address" in str(e)
    t = vpcflow.read_logs(path, on_error="skip")
    assert t.to_pylist() == [{"srcaddr": "10.0.0.1", "srcport": 1, "dstport": 1}]
    assert t.report.bad_lines == 3 and t.report.rows == 1
    assert [(b.line, b.field, b.text) for b in t.report.bad_records] == [
        (2, "srcaddr", "10.0.0.300"), (3, "srcport", "abc"), (4, "srcaddr", "x")]
    assert all(b.file == str(path) for b in t.report.bad_records)


def test_a_column_of_the_wrong_kind_is_an_error(tmp_path: Path):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"srcport": [True, False]}), path)
    with pytest.raises(vpcflow.ParseError, match=r"b\.parquet: column 'srcport' holds bool values"):
        vpcflow.read_logs(path)


def test_damaged_parquet_object_named_or_counted(tmp_path: Path):
    d = tmp_path / "logs"
    info = vpcflow.synth.write_sample(d, records=2000, seed=3, hours=1, delivery="parquet", formats=("v2",))
    victim = info.paths[1]
    data = Path(victim).read_bytes()
    Path(victim).write_bytes(data[: len(data) // 2] + b"PAR1")  # truncated: a footer that is not one
    with pytest.raises(vpcflow.ParquetError) as ei:
        vpcflow.read_logs(d)
    assert victim in str(ei.value)
    whole = vpcflow.read_logs([p for p in info.paths if p != victim])
    t = vpcflow.read_logs(d, on_error="skip")
    assert t.num_rows == whole.num_rows and t.report.bad_lines == 1
    assert t.report.bad_records[0].file == victim and victim in t.report.bad_records[0].message
    assert t.to_pydict() == whole.to_pydict()


def test_gzip_that_is_not_parquet_inside_is_text(tmp_path: Path):
    p = tmp_path / "x.log.parquet"  # the name lies: it is gzip'd text
    p.write_bytes(gzip.compress(b"version srcport\n2 443\n"))
    assert vpcflow.read_logs(p).to_pylist() == [{"version": 2, "srcport": 443}]


# ===================================================================
# A directory that mixes everything
# ===================================================================
def test_mixed_directory_sniffs_every_object(tmp_path: Path, samples_dir: Path):
    d = tmp_path / "mixed"
    d.mkdir()
    parts = []
    # names that lie about the format: the bytes decide
    shutil.copy(samples_dir / "flowlogs-reader-pandas.parquet", d / "a.log.gz")
    parts.append(d / "a.log.gz")
    shutil.copy(samples_dir / "aws-docs-v5.log", d / "b.parquet")
    parts.append(d / "b.parquet")
    shutil.copy(samples_dir / "cwl-subscription-data.json.gz", d / "c.log")
    parts.append(d / "c.log")
    (d / "d.txt").write_bytes(gzip.compress((samples_dir / "flowlogs-reader-pandas.parquet").read_bytes()))
    parts.append(d / "d.txt")
    shutil.copy(samples_dir / "firehose-direct.jsonl", d / "e.log.parquet")
    parts.append(d / "e.log.parquet")
    t = vpcflow.read_logs(d)
    pieces = [vpcflow.read_logs(p) for p in parts]
    assert t.num_rows == sum(p.num_rows for p in pieces) == 3 + 2 + 2 + 3 + 1
    assert t.report.files == 5 and t.report.payloads == 1
    # rows in object order, each as its own read gives it
    full = t.to_pylist()
    i = 0
    for p in pieces:
        for row in p.to_pylist():
            assert {k: v for k, v in full[i].items() if k in row} == row
            assert all(v is None for k, v in full[i].items() if k not in row)
            i += 1
    # the CloudWatch columns are there, null for the other objects
    assert t["log_group"].tolist().count(None) == t.num_rows - 2


def test_convert_takes_a_mixed_directory(tmp_path: Path, samples_dir: Path):
    logs = tmp_path / "logs"
    vpcflow.synth.write_sample(logs / "text", records=3000, seed=5, hours=1)
    vpcflow.synth.write_sample(logs / "pq", records=3000, seed=6, hours=1, delivery="parquet")
    rep = vpcflow.convert(logs, tmp_path / "flows", progress=False)
    t = vpcflow.read_logs(logs)
    assert rep.rows == t.num_rows == 6000
    ds = vpcflow.dataset(tmp_path / "flows").to_table()
    assert int(ds["bytes"].sum()) == int(t["bytes"].sum())
    assert int(ds["packets"].sum()) == int(t["packets"].sum())


# ===================================================================
# Keys and layouts
# ===================================================================
NAME = "123456789012_vpcflowlogs_us-east-1_fl-0123abcd_20240601T1205Z_0a1b2c3d.log.gz"


@pytest.mark.parametrize("key,layout,folder", [
    (f"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/{NAME}", "default", (1717200000, 1717286400)),
    (f"p/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/12/{NAME}", "hourly", (1717243200, 1717246800)),
    ("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=06/day=01/"
     + NAME, "hive", (1717200000, 1717286400)),
    ("s3://b/x/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/"
     f"month=06/day=01/hour=12/{NAME}", "hive", (1717243200, 1717246800)),
    (NAME, None, None),
])
def test_parse_key(key: str, layout: str | None, folder):
    o = parse_key(key, size=5)
    assert (o.account, o.region, o.flow_log_id, o.hash) == ("123456789012", "us-east-1", "fl-0123abcd", "0a1b2c3d")
    assert o.timestamp == int(dt.datetime(2024, 6, 1, 12, 5, tzinfo=dt.timezone.utc).timestamp())
    assert (o.layout, o.folder_time, o.size) == (layout, folder, 5)
    assert o.time_window(900) == (o.timestamp - 900, o.timestamp + 900)


def test_parse_key_without_a_name_uses_the_folders():
    o = parse_key("AWSLogs/210987654321/vpcflowlogs/ap-southeast-2/2024/02/29/23/whatever.log.gz")
    assert (o.account, o.region, o.layout, o.timestamp) == ("210987654321", "ap-southeast-2", "hourly", None)
    lo = int(dt.datetime(2024, 2, 29, 23, tzinfo=dt.timezone.utc).timestamp())
    assert o.time_window(60) == (lo - 60, lo + 3600 + 60)
    for k in ("flows.log", "AWSLogs/123/vpcflowlogs/us-east-1/2024/06/01/x.log", "1234_vpcflowlogs_x.log.gz"):
        o = parse_key(k)
        assert (o.account, o.region, o.timestamp, o.layout, o.time_window()) == (None, None, None, None, None)


def test_parquet_names_parse():
    o = parse_key(NAME.replace(".log.gz", ".log.parquet"))
    assert o.flow_log_id == "fl-0123abcd" and o.hash == "0a1b2c3d"


def test_to_epoch():
    want = 1717243200
    utc = dt.timezone.utc
    for t in (want, float(want) + 0.7, str(want), "2024-06-01T12:00:00Z", "2024-06-01T12:00Z", "2024-06-01 12:00",
              "2024-06-01T14:00:00+02:00", dt.datetime(2024, 6, 1, 12), dt.datetime(2024, 6, 1, 12, tzinfo=utc),
              np.datetime64("2024-06-01T12:00:00")):
        assert to_epoch(t) == want, t
    assert to_epoch(dt.date(2024, 6, 1)) == 1717200000 == to_epoch("2024-06-01")
    with pytest.raises(ValueError, match=r"start='yesterday' is not a time"):
        to_epoch("yesterday", name="start")
    with pytest.raises(TypeError):
        to_epoch(True)
    with pytest.raises(ValueError, match="end .* must be after start"):
        Selection.of(start="2024-06-02", end="2024-06-01")
    with pytest.raises(ValueError, match="select nothing"):
        Selection.of(include_accounts=[])


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> tuple[Path, dict[str, vpcflow.synth.SampleInfo]]:
    root = tmp_path_factory.mktemp("layouts")
    kw = dict(records=12_000, seed=21, hours=3, accounts=2, regions=("us-east-1", "eu-west-1"), start=T0)
    infos = {lay: vpcflow.synth.write_sample(root / lay, layout=lay, **kw)
             for lay in ("flat", "default", "hourly", "hive", "hive-daily")}
    return root, infos


@pytest.mark.parametrize("layout", ["default", "hourly", "hive", "hive-daily"])
def test_every_layout_reads_as_the_plain_files(trees, layout: str):
    root, infos = trees
    flat = vpcflow.read_logs(root / "flat")
    t = vpcflow.read_logs(root / layout)
    assert t.num_rows == 12_000
    assert rows_of(t) == rows_of(flat)
    objs = vpcflow.list_objects(root / layout)
    assert len(objs) == len(infos["flat"].paths)
    want = "hive" if layout.startswith("hive") else layout
    for o in objs:
        assert o.layout == want
        name = os.path.basename(o.path)
        assert name.startswith(f"{o.account}_vpcflowlogs_{o.region}_{o.flow_log_id}_")
        stamp = dt.datetime.fromtimestamp(o.timestamp, dt.timezone.utc).strftime("%Y%m%dT%H%MZ")
        assert f"_{stamp}_{o.hash}.log.gz" in name
        assert o.folder_time[0] <= o.timestamp < o.folder_time[1]
        assert o.size == os.path.getsize(o.path)
    assert {o.account for o in objs} == {o.account for o in vpcflow.list_objects(root / "flat")}


@pytest.mark.parametrize("layout", ["flat", "default", "hive"])
def test_selection_by_account_and_region(trees, layout: str):
    root, _ = trees
    everything = vpcflow.list_objects(root / layout)
    accounts = sorted({o.account for o in everything})
    assert len(accounts) == 2
    sel = vpcflow.list_objects(root / layout, include_accounts=accounts[1], include_regions=["eu-west-1"])
    want = [o for o in everything if o.account == accounts[1] and o.region == "eu-west-1"]
    assert [o.path for o in sel] == [o.path for o in want] and 0 < len(sel) < len(everything)
    t = vpcflow.read_logs(root / layout, include_accounts=[accounts[1]], include_regions="eu-west-1")
    assert set(t["account_id"].tolist()) == {accounts[1]}
    assert rows_of(t) == rows_of(vpcflow.read_logs(want))
    # an int account id is zero-padded like AWS's
    assert vpcflow.list_objects(root / layout, include_accounts=int(accounts[0])) == \
        [o for o in everything if o.account == accounts[0]]


@pytest.mark.parametrize("layout", ["flat", "hourly", "hive-daily"])
def test_selection_by_time_is_conservative(trees, layout: str):
    root, _ = trees
    full = vpcflow.read_logs(root / layout)
    lo, hi = T0 + 3600, T0 + 5400  # 30 minutes in the middle of the 3 hours
    for start, end in ((lo, hi), (dt.datetime.fromtimestamp(lo, dt.timezone.utc), str(hi)),
                       (dt.datetime.fromtimestamp(lo, dt.timezone.utc).isoformat(), hi)):
        objs = vpcflow.list_objects(root / layout, start=start, end=end)
        everything = vpcflow.list_objects(root / layout)
        assert 0 < len(objs) < len(everything) / 2
        assert all(o.timestamp - 900 < hi and o.timestamp + 900 > lo for o in objs)
        assert all(not (o.timestamp - 900 < hi and o.timestamp + 900 > lo) for o in everything if o not in objs)
    t = vpcflow.read_logs(root / layout, start=lo, end=hi)
    s_full, s_sel = full["start"], t["start"]
    # every record of the range is there, nothing is read twice, and little outside it
    assert np.count_nonzero((s_sel >= lo) & (s_sel < hi)) == np.count_nonzero((s_full >= lo) & (s_full < hi)) > 0
    assert t.num_rows < full.num_rows / 2
    assert t.report.files == len(vpcflow.list_objects(root / layout, start=lo, end=hi))
    # only start, or only end
    assert vpcflow.read_logs(root / layout, start=T0 + 3 * 3600 + 900).num_rows == 0
    assert vpcflow.read_logs(root / layout, end=T0 - 1200).num_rows == 0
    assert vpcflow.read_logs(root / layout, end=T0 + 10_800 + 900).num_rows == full.num_rows


def test_keys_that_say_nothing_are_kept(tmp_path: Path, samples_dir: Path):
    vpcflow.synth.write_sample(tmp_path, records=500, seed=1, hours=1, start=T0)
    shutil.copy(samples_dir / "aws-docs-v2.log", tmp_path / "notes.log")
    objs = vpcflow.list_objects(tmp_path, include_accounts="000000000000", include_regions="xx-none-1",
                                start=T0 + 86400 * 30)
    assert [os.path.basename(o.path) for o in objs] == ["notes.log"]


def test_convert_with_a_selection(trees, tmp_path: Path):
    root, _ = trees
    kw = dict(include_regions="us-east-1", start=T0 + 1800, end=T0 + 3600)
    rep = vpcflow.convert(root / "hive", tmp_path / "flows", progress=False, **kw)
    t = vpcflow.read_logs(root / "hive", **kw)
    assert rep.rows == t.num_rows > 0
    assert rep.inputs == len(vpcflow.list_objects(root / "hive", **kw))
    ds = vpcflow.dataset(tmp_path / "flows").to_table()
    assert int(ds["bytes"].sum()) == int(t["bytes"].sum())
    assert set(ds["region"].tolist()) <= {"us-east-1", None}
