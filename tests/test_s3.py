"""Reading flow logs straight from S3, against moto's S3 server started here on 127.0.0.1.

Nothing leaves the machine: the endpoint is always the local server, and the
credentials are dummies set for the test only.
"""
from __future__ import annotations

import gzip
import itertools
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import vpcflow

pytestmark = pytest.mark.no_asan  # starts a server

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

T0 = 1_700_000_000
_names = itertools.count()


@pytest.fixture(scope="module")
def endpoint():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    env = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._server.port}"
    finally:
        server.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def bucket(endpoint):
    name = f"flow-logs-{next(_names)}"
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=name)
    return name, client


def upload(client, bucket: str, root: Path, prefix: str) -> list[str]:
    keys = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = f"{prefix}{path.relative_to(root).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            keys.append(key)
    return keys


def rows_of(t: vpcflow.Table) -> list[tuple]:
    names = sorted(t.column_names)
    d = t.to_pydict()
    return sorted(zip(*(d[n] for n in names)), key=repr)


@pytest.mark.parametrize("layout", ["default", "hourly", "hive"])
def test_s3_prefix_reads_as_the_local_tree(tmp_path: Path, bucket, endpoint, layout: str):
    name, client = bucket
    info = vpcflow.synth.write_sample(tmp_path, records=8000, seed=4, hours=2, layout=layout, accounts=2, start=T0)
    keys = upload(client, name, tmp_path, "exports/")
    assert len(keys) == len(info.paths)
    local = vpcflow.read_logs(tmp_path)
    t = vpcflow.read_logs(f"s3://{name}/exports", endpoint_url=endpoint)
    assert t.num_rows == 8000 and t.schema == local.schema
    assert rows_of(t) == rows_of(local)
    assert t.report.files == len(keys) and t.report.bytes_in == info.bytes
    objs = vpcflow.list_objects(f"s3://{name}/exports/", endpoint_url=endpoint)
    assert [o.path for o in objs] == [f"s3://{name}/{k}" for k in keys]
    assert all(o.layout == layout and o.account and o.region == "us-east-1" and o.timestamp for o in objs)
    assert [o.size for o in objs] == [os.path.getsize(tmp_path / k[len("exports/"):]) for k in keys]
    # the same through the environment variable, one download thread or many
    os.environ["VPCFLOW_S3_ENDPOINT"] = endpoint
    try:
        one = vpcflow.read_logs(f"s3://{name}/exports", download_threads=1)
    finally:
        del os.environ["VPCFLOW_S3_ENDPOINT"]
    assert one.to_pydict() == t.to_pydict()


def test_s3_selection_and_mixed_formats(tmp_path: Path, bucket, endpoint):
    name, client = bucket
    kw = dict(records=6000, seed=8, hours=2, start=T0, regions=("us-east-1", "eu-west-1"))
    vpcflow.synth.write_sample(tmp_path / "text", layout="hive", **kw)
    vpcflow.synth.write_sample(tmp_path / "pq", layout="hive", delivery="parquet", **dict(kw, seed=9))
    vpcflow.synth.write_sample(tmp_path / "pqgz", layout="default", delivery="parquet", gzip=True,
                               **dict(kw, seed=10))
    upload(client, name, tmp_path, "")
    local = vpcflow.read_logs(tmp_path)
    t = vpcflow.read_logs(f"s3://{name}", endpoint_url=endpoint)
    assert t.num_rows == 18_000 and rows_of(t) == rows_of(local)
    sel = dict(include_regions="eu-west-1", start=T0 + 1800, end=T0 + 3600)
    objs = vpcflow.list_objects(f"s3://{name}", endpoint_url=endpoint, **sel)
    local_objs = vpcflow.list_objects(tmp_path, **sel)
    assert sorted(os.path.basename(o.path) for o in objs) == sorted(os.path.basename(o.path) for o in local_objs)
    assert 0 < len(objs) < len(vpcflow.list_objects(f"s3://{name}", endpoint_url=endpoint)) / 3
    t = vpcflow.read_logs(f"s3://{name}", endpoint_url=endpoint, **sel)
    assert rows_of(t) == rows_of(vpcflow.read_logs(tmp_path, **sel))
    assert {o.region for o in objs} == {"eu-west-1"}
    assert set(t["region"].tolist()) == {"eu-west-1", None}  # the v2 flow logs have no region field


def test_s3_prefix_is_a_folder_and_skips_bookkeeping(bucket, endpoint):
    name, client = bucket
    line = b"version srcport\n2 %d\n"
    for key, port in (("logs/a.log", 1), ("logs/sub/b.log", 2), ("logs2/c.log", 3), ("logs/_SUCCESS", 4),
                      ("logs/.hidden.log", 5), ("logs/_tmp/d.log", 6), ("logs/dir/", 7)):
        client.put_object(Bucket=name, Key=key, Body=line % port)
    t = vpcflow.read_logs(f"s3://{name}/logs", endpoint_url=endpoint)
    assert t["srcport"].tolist() == [1, 2]
    assert vpcflow.read_logs(f"s3://{name}/logs/a.log", endpoint_url=endpoint)["srcport"].tolist() == [1]
    assert vpcflow.read_logs(f"s3://{name}/log", endpoint_url=endpoint).num_rows == 0
    assert vpcflow.read_logs(f"s3://{name}/logs2/", endpoint_url=endpoint)["srcport"].tolist() == [3]


def test_s3_errors_name_the_object(bucket, endpoint):
    name, client = bucket
    client.put_object(Bucket=name, Key="logs/good.log", Body=b"version srcport\n2 443\n")
    client.put_object(Bucket=name, Key="logs/bad.log.gz", Body=gzip.compress(b"version srcport\n2 443\n2 http\n"))
    url = f"s3://{name}/logs/bad.log.gz"
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(f"s3://{name}/logs", endpoint_url=endpoint)
    assert ei.value.file == url and ei.value.line == 3 and ei.value.field == "srcport" and url in str(ei.value)
    t = vpcflow.read_logs(f"s3://{name}/logs", endpoint_url=endpoint, on_error="skip")
    assert t["srcport"].tolist() == [443, 443] and t.report.bad_lines == 1
    assert t.report.bad_records[0].file == url
    with pytest.raises(OSError, match=r"s3://no-such-bucket-here/x: S3 error NoSuchBucket"):
        vpcflow.read_logs("s3://no-such-bucket-here/x", endpoint_url=endpoint)
    with pytest.raises(OSError, match=rf"s3://{name}/logs/gone.log: S3 error NoSuchKey"):
        vpcflow.read_logs([vpcflow.sources.parse_key(f"s3://{name}/logs/gone.log", endpoint_url=endpoint)])
    with pytest.raises(ValueError, match="not an S3 URL"):
        vpcflow.list_objects("s3:///x")


def test_missing_boto3_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ImportError, match=r"pip install 'vpcflow\[s3\]'"):
        vpcflow.read_logs("s3://flow-logs/x")
    from vpcflow.cli import main

    assert main(["ls", "s3://flow-logs/x"]) == 1


def test_convert_and_ingest_from_s3(tmp_path: Path, bucket, endpoint):
    name, client = bucket
    vpcflow.synth.write_sample(tmp_path / "a", records=5000, seed=12, hours=1, start=T0)
    upload(client, name, tmp_path / "a", "AWS/")
    src = f"s3://{name}/AWS"
    flows = tmp_path / "flows"
    rep = vpcflow.convert(src, flows, endpoint_url=endpoint, progress=False)
    assert rep.rows == 5000 and rep.inputs == len(vpcflow.list_objects(src, endpoint_url=endpoint))
    again = vpcflow.convert(src, flows, endpoint_url=endpoint, progress=False)
    assert again.rows == 0 and again.skipped == rep.inputs
    # new objects arrive: ingest converts exactly those
    vpcflow.synth.write_sample(tmp_path / "b", records=2000, seed=13, hours=1, start=T0 + 7200)
    new_keys = upload(client, name, tmp_path / "b", "AWS/")
    r = vpcflow.ingest(src, flows, endpoint_url=endpoint)
    assert (r.objects, r.rows, r.already) == (len(new_keys), 2000, rep.inputs)
    assert vpcflow.ingest(src, flows, endpoint_url=endpoint).objects == 0
    ds = vpcflow.dataset(flows).to_table()
    both = vpcflow.read_logs([tmp_path / "a", tmp_path / "b"])
    assert ds.num_rows == 7000
    assert int(ds["bytes"].sum()) == int(both["bytes"].sum())
    assert int(ds["packets"].sum()) == int(both["packets"].sum())
    manifest = vpcflow.manifest.Manifest.peek(str(flows))
    assert all(n.startswith(f"s3://{name}/AWS/") for n in manifest.inputs)
    assert np.array_equal(np.sort(ds["start"].compressed()), np.sort(both["start"].compressed()))
