"""CloudWatch Logs subscription payloads and Firehose records: every shape, the samples, bad input.

Every shape is built here with ``json``, ``gzip`` and ``base64`` from lines of
``vpcflow.synth.generate_lines`` and must give the same records as those lines
parsed as text, with the CloudWatch columns beside them.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import vpcflow
from vpcflow import _core, synth

CWL_COLUMNS = ["log_group", "log_stream", "event_timestamp"]
SAMPLE_DATA = "cwl-subscription-data.json.gz"
SAMPLE_CONTROL = "cwl-subscription-control.json.gz"
SAMPLE_FIREHOSE = "firehose-direct.jsonl"


# ================================================================================================
# Building payloads
# ================================================================================================

def cwl_payload(lines: list[str], *, stream: str = "eni-0123456789abcdef0", group: str = "/aws/vpc/flowlogs",
                ts0: int = 1_700_000_000_000) -> dict:
    """A DATA_MESSAGE holding ``lines`` as its events (timestamps ts0, ts0 + 1, ...)."""
    return {
        "messageType": "DATA_MESSAGE", "owner": "123456789010", "logGroup": group, "logStream": stream,
        "subscriptionFilters": ["flowlogs-to-firehose"],
        "logEvents": [{"id": str(36_000_000_000_000 + i), "timestamp": ts0 + i, "message": m}
                      for i, m in enumerate(lines)],
    }


CONTROL = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
           "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1510109208016,
                                                     "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}


def gz(obj: dict | bytes) -> bytes:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return gzip.compress(data, mtime=0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def split(lines: list[str], n: int) -> list[list[str]]:
    """lines in n nearly equal consecutive pieces."""
    k, r = divmod(len(lines), n)
    out, i = [], 0
    for j in range(n):
        m = k + (j < r)
        out.append(lines[i:i + m])
        i += m
    return out


def streams_of(pieces: list[list[str]]) -> list[str]:
    return [f"eni-{i:017x}" for i in range(len(pieces))]


# Each shape: lines -> the bytes of one object.  The payloads of an object are its pieces.
def shape_cwl_gzip(pieces):          # one gzip'd payload per piece, concatenated: Firehose -> S3
    return b"".join(gz(cwl_payload(p, stream=s)) for p, s in zip(pieces, streams_of(pieces)))


def shape_cwl_gzip_newlines(pieces):  # the same, the payloads one per line
    return gz(b"\n".join(json.dumps(cwl_payload(p, stream=s)).encode() for p, s in zip(pieces, streams_of(pieces))))


def shape_cwl_plain(pieces):          # plain JSON payloads back to back, a control message among them
    docs = [json.dumps(cwl_payload(p, stream=s)) for p, s in zip(pieces, streams_of(pieces))]
    docs.insert(1, json.dumps(CONTROL))
    return "".join(docs).encode()


def shape_cwl_array(pieces):          # a JSON array of payloads
    return json.dumps([cwl_payload(p, stream=s) for p, s in zip(pieces, streams_of(pieces))], indent=1).encode()


def shape_lambda(pieces):             # Lambda events, one per line
    return b"\n".join(json.dumps({"awslogs": {"data": b64(gz(cwl_payload(p, stream=s)))}}).encode()
                      for p, s in zip(pieces, streams_of(pieces)))


def shape_kinesis(pieces):            # a Kinesis Lambda event
    return json.dumps({"Records": [
        {"eventSource": "aws:kinesis", "eventID": str(i),
         "kinesis": {"partitionKey": "k", "sequenceNumber": str(i), "data": b64(gz(cwl_payload(p, stream=s)))}}
        for i, (p, s) in enumerate(zip(pieces, streams_of(pieces)))]}).encode()


def shape_firehose_transform(pieces):  # a Firehose data-transformation event
    return json.dumps({"invocationId": "x", "region": "us-east-1", "records": [
        {"recordId": str(i), "approximateArrivalTimestamp": 1, "data": b64(gz(cwl_payload(p, stream=s)))}
        for i, (p, s) in enumerate(zip(pieces, streams_of(pieces)))]}).encode()


def shape_base64_lines(pieces):       # base64 records, one per line
    return "".join(b64(gz(cwl_payload(p, stream=s))) + "\n" for p, s in zip(pieces, streams_of(pieces))).encode()


def shape_base64_lines_gzip(pieces):
    return gz(shape_base64_lines(pieces).rstrip(b"\n"))


CWL_SHAPES = {
    "cwl-gzip-members": shape_cwl_gzip, "cwl-gzip-newlines": shape_cwl_gzip_newlines,
    "cwl-plain-concatenated": shape_cwl_plain, "cwl-array": shape_cwl_array, "lambda-awslogs": shape_lambda,
    "kinesis-records": shape_kinesis, "firehose-transform": shape_firehose_transform,
    "base64-lines": shape_base64_lines, "base64-lines-gzip": shape_base64_lines_gzip,
}


def shape_firehose_jsonl(pieces):     # Firehose direct delivery: JSON lines
    return "".join(json.dumps({"message": m}) + "\n" for p in pieces for m in p).encode()


def shape_firehose_concat(pieces):    # ... records back to back, no final newline, gzip'd
    return gz("".join(json.dumps({"message": m}, separators=(",", ":")) for p in pieces for m in p).encode())


def shape_firehose_nofinal(pieces):
    return "\n".join(json.dumps({"message": m}) for p in pieces for m in p).encode()


FIREHOSE_SHAPES = {"firehose-jsonl": shape_firehose_jsonl, "firehose-concatenated-gzip": shape_firehose_concat,
                   "firehose-no-final-newline": shape_firehose_nofinal}


def flow_columns(t: vpcflow.Table) -> dict:
    return t.select([c for c in t.column_names if c not in CWL_COLUMNS]).to_pydict()


def expected_cwl(pieces: list[list[str]]) -> dict:
    """The CloudWatch columns the pieces should give."""
    streams = streams_of(pieces)
    return {
        "log_group": [g for p in pieces for g in ["/aws/vpc/flowlogs"] * len(p)],
        "log_stream": [s for p, s in zip(pieces, streams) for _ in p],
        "event_timestamp": [1_700_000_000_000 + i for p in pieces for i in range(len(p))],
    }


# ================================================================================================
# The samples
# ================================================================================================

def test_sample_data_payload(samples_dir: Path) -> None:
    raw = (samples_dir / SAMPLE_DATA).read_bytes()
    payload = json.loads(gzip.decompress(raw))
    messages = [e["message"] for e in payload["logEvents"]]
    want = vpcflow.parse_text("\n".join(messages) + "\n")
    for t in (vpcflow.read_logs(samples_dir / SAMPLE_DATA), vpcflow.parse_payload(raw)):
        assert t.num_rows == 2
        assert t.column_names == want.column_names + CWL_COLUMNS
        assert flow_columns(t) == want.to_pydict()
        assert t["log_group"].tolist() == ["/aws/vpc/flowlogs"] * 2
        assert t["log_stream"].tolist() == ["eni-1235b8ca123456789"] * 2
        assert t["event_timestamp"].tolist() == [1418530010000] * 2
        assert t.schema["event_timestamp"] == "int64" and t.schema["log_stream"] == "string"
        assert (t.report.payloads, t.report.control_messages, t.report.messages) == (1, 0, 2)
        assert t.report.bad_lines == 0 and t.report.lines == 2
    assert vpcflow.read_logs(samples_dir / SAMPLE_DATA)["dstport"].tolist() == [22, 3389]


def test_sample_control_payload(samples_dir: Path) -> None:
    t = vpcflow.read_logs(samples_dir / SAMPLE_CONTROL)
    assert t.num_rows == 0
    assert t.column_names == [f.replace("-", "_") for f in vpcflow.DEFAULT_FIELDS]
    assert (t.report.payloads, t.report.control_messages, t.report.messages, t.report.bad_lines) == (1, 1, 0, 0)
    assert "1 payloads (1 control)" in t.report.summary()


def test_sample_firehose_direct(samples_dir: Path) -> None:
    path = samples_dir / SAMPLE_FIREHOSE
    messages = [json.loads(line)["message"] for line in path.read_text().splitlines() if line.strip()]
    want = vpcflow.parse_text("\n".join(messages))
    t = vpcflow.read_logs(path)
    assert t.to_pydict() == want.to_pydict()  # no CloudWatch columns
    assert t.num_rows == len(messages) == 1
    assert t.report.messages == 1 and t.report.payloads == 0
    assert t["srcaddr"].tolist() == ["10.30.2.238"]


def test_samples_sniffed_not_named(samples_dir: Path, tmp_path: Path) -> None:
    """The name says nothing: a payload called .log, text called .json."""
    shutil.copy(samples_dir / SAMPLE_DATA, tmp_path / "a.log")
    shutil.copy(samples_dir / "aws-docs-v2.log", tmp_path / "b.json.gz")
    t = vpcflow.read_logs([tmp_path / "a.log", tmp_path / "b.json.gz"])
    assert t.num_rows == 2 + vpcflow.read_logs(samples_dir / "aws-docs-v2.log").num_rows
    assert t["log_stream"].tolist()[:3] == ["eni-1235b8ca123456789"] * 2 + [None]


def test_samples_together(samples_dir: Path) -> None:
    paths = [samples_dir / n for n in (SAMPLE_DATA, SAMPLE_CONTROL, SAMPLE_FIREHOSE)]
    t = vpcflow.read_logs(paths, threads=3)
    assert t.num_rows == 3
    assert (t.report.payloads, t.report.control_messages, t.report.messages) == (2, 1, 3)
    assert t["log_stream"].tolist() == ["eni-1235b8ca123456789"] * 2 + [None]


# ================================================================================================
# Every shape, generated
# ================================================================================================

@pytest.fixture(scope="module", params=["v2", "v5"])
def generated(request) -> tuple[str, list[str], vpcflow.Table]:
    fmt = request.param
    lines = synth.generate_lines(3000, seed=11, fmt=fmt)
    fields = None if fmt == "v2" else synth.format_fields("v5")
    return fmt, lines, vpcflow.parse_text("\n".join(lines) + "\n", fields=fields)


@pytest.mark.parametrize("shape", sorted(CWL_SHAPES))
def test_cloudwatch_shapes(shape: str, generated, tmp_path: Path) -> None:
    fmt, lines, want = generated
    fields = None if fmt == "v2" else synth.format_fields("v5")
    pieces = split(lines, 7)
    data = CWL_SHAPES[shape](pieces)
    t = vpcflow.parse_payload(data, fields=fields)
    assert t.num_rows == len(lines)
    assert flow_columns(t) == want.to_pydict()
    assert {c: t[c].tolist() for c in CWL_COLUMNS} == expected_cwl(pieces)
    assert t.report.payloads == 7 + (shape == "cwl-plain-concatenated")
    assert t.report.control_messages == (shape == "cwl-plain-concatenated")
    assert t.report.messages == len(lines) and t.report.bad_lines == 0
    # the same from files, 1 and several threads, in small batches too
    paths = []
    for i in range(3):
        p = tmp_path / f"obj-{i}.bin"
        p.write_bytes(CWL_SHAPES[shape](split(lines[i * 1000:(i + 1) * 1000], 3)))
        paths.append(p)
    t1 = vpcflow.read_logs(paths, fields=fields, threads=1)
    t3 = vpcflow.read_logs(paths, fields=fields, threads=3, chunk_size=4096)
    assert flow_columns(t1) == want.to_pydict()
    assert t1.to_pydict() == t3.to_pydict()
    assert t1.report.payloads == t3.report.payloads == 9 + 3 * (shape == "cwl-plain-concatenated")


@pytest.mark.parametrize("shape", sorted(FIREHOSE_SHAPES))
def test_firehose_shapes(shape: str, generated, tmp_path: Path) -> None:
    fmt, lines, want = generated
    fields = None if fmt == "v2" else synth.format_fields("v5")
    data = FIREHOSE_SHAPES[shape](split(lines, 4))
    t = vpcflow.parse_payload(data, fields=fields)
    assert t.to_pydict() == want.to_pydict()
    assert t.report.messages == len(lines) and t.report.payloads == 0
    paths = []
    for i in range(4):
        p = tmp_path / f"fh-{i}"
        p.write_bytes(FIREHOSE_SHAPES[shape]([lines[i * 750:(i + 1) * 750]]))
        paths.append(p)
    t1 = vpcflow.read_logs(paths, fields=fields, threads=1)
    t4 = vpcflow.read_logs(paths, fields=fields, threads=4, chunk_size=4096)
    assert t1.to_pydict() == t4.to_pydict() == want.to_pydict()


def test_big_object_streams_in_windows(generated, tmp_path: Path) -> None:
    """A gzip'd object bigger than a window: read a window at a time, same result."""
    fmt, lines, want = generated
    fields = None if fmt == "v2" else synth.format_fields("v5")
    data = shape_cwl_gzip(split(lines * 4, 40))
    p = tmp_path / "big.gz"
    p.write_bytes(data)
    a = vpcflow.read_logs(p, fields=fields, chunk_size=4096, threads=1)
    b = vpcflow.read_logs(p, fields=fields, threads=2)
    assert a.to_pydict() == b.to_pydict()
    assert a.num_rows == 4 * len(lines)
    assert a.report.bytes_text == len(gzip.decompress(data))


def test_parse_payload_inputs() -> None:
    lines = synth.generate_lines(10, seed=3)
    payload = cwl_payload(lines)
    event = {"awslogs": {"data": b64(gz(payload))}}
    want = vpcflow.parse_payload(gz(payload)).to_pydict()
    for data in (event, json.dumps(event), json.dumps(event).encode(), bytearray(gz(payload)),
                 memoryview(gz(payload)), payload, [payload], b64(gz(payload)), event["awslogs"]["data"].encode()):
        assert vpcflow.parse_payload(data).to_pydict() == want
    with pytest.raises(TypeError):
        vpcflow.parse_payload(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_error"):
        vpcflow.parse_payload(event, on_error="ignore")
    # the messages' format from fields=, as a LogFormat string
    fmt = "${version} ${srcaddr} ${dstaddr} ${bytes}"
    t = vpcflow.parse_payload({"message": "3 10.0.0.1 10.0.0.2 99"}, fields=fmt)
    assert t.to_pylist() == [{"version": 3, "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "bytes": 99}]


def test_arrow_and_pandas_carry_the_columns(samples_dir: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    t = vpcflow.read_logs(samples_dir / SAMPLE_DATA)
    at = t.to_arrow()
    assert at.column("event_timestamp").type == pa.int64()
    assert at.column("log_stream").to_pylist() == ["eni-1235b8ca123456789"] * 2


# ================================================================================================
# Exact strings: JSON escaping and base64, as properties
# ================================================================================================

@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.booleans())
def test_json_unescape_is_exact(s: str, ascii_only: bool) -> None:
    body = json.dumps(s, ensure_ascii=ascii_only)[1:-1].encode()
    assert _core.json_unescape(body) == s.encode("utf-8")


TOKEN = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r"), min_size=1).filter(
    lambda s: s != "-")


@settings(max_examples=200, deadline=None)
@given(TOKEN, st.booleans())
def test_json_escaping_inside_a_message(tag: str, ascii_only: bool) -> None:
    """Any token, JSON-escaped inside a Firehose record's message, comes back exactly."""
    rec = json.dumps({"message": f"2 {tag} 10.0.0.1"}, ensure_ascii=ascii_only)
    t = vpcflow.parse_payload(rec, fields=["version", "tag", "srcaddr"])
    assert t["tag"].tolist() == [tag]


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",))), st.booleans())
def test_json_escaping_in_log_stream(stream: str, ascii_only: bool) -> None:
    """Any string as a payload's log stream (spaces, controls, astral planes) comes back exactly."""
    payload = json.dumps(cwl_payload(synth.generate_lines(2, seed=1), stream=stream), ensure_ascii=ascii_only)
    t = vpcflow.parse_payload(gzip.compress(payload.encode()))
    assert t["log_stream"].tolist() == [stream, stream]


def test_lone_surrogates_are_errors() -> None:
    for body in (rb"\ud800", rb"\udc00", rb"\ud800\u0041", rb"\ud800x"):
        with pytest.raises(ValueError, match="surrogate"):
            _core.json_unescape(body)
    with pytest.raises(vpcflow.ParseError, match="lone high surrogate"):
        vpcflow.parse_payload(rb'{"message": "2 \ud800 x"}')


@settings(max_examples=400)
@given(st.binary(max_size=600), st.booleans(), st.randoms(use_true_random=False))
def test_base64_decoding(data: bytes, pad: bool, rnd: random.Random) -> None:
    enc = base64.b64encode(data).decode()
    if not pad:
        enc = enc.rstrip("=")
    chars = list(enc)
    for _ in range(rnd.randrange(4)):  # whitespace anywhere
        chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(" \t\r\n"))
    assert _core.base64_decode("".join(chars).encode()) == data


@settings(max_examples=300)
@given(st.binary(min_size=1, max_size=90), st.sampled_from(list("!-_.*#\x00\x80é")), st.integers(min_value=0))
def test_base64_rejects_other_bytes(data: bytes, bad: str, where: int) -> None:
    enc = base64.b64encode(data).decode()
    i = where % (len(enc) + 1)
    with pytest.raises(ValueError, match="invalid base64 character"):
        _core.base64_decode((enc[:i] + bad + enc[i:]).encode())


@pytest.mark.parametrize("text, err", [("Z", "final group of one"), ("Zg=", "incomplete"), ("Zg===", "misplaced"),
                                       ("Zh==", "non-canonical"), ("Zg==Zg==", "after padding")])
def test_base64_bad_endings(text: str, err: str) -> None:
    with pytest.raises(ValueError, match=err):
        _core.base64_decode(text.encode())


# ================================================================================================
# Bad input
# ================================================================================================
GOOD = "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK"
BAD_ADDR = GOOD.replace("10.0.0.2", "10.0.0.300")


def _truncated_gzip() -> bytes:
    lines = synth.generate_lines(200, seed=8)
    data = gz(b"".join(json.dumps(cwl_payload(p)).encode() for p in split(lines, 4)))
    return data[: len(data) * 2 // 3]


# (id, object bytes, error line, rows kept when skipping, a piece of the message)
MALFORMED = [
    ("bad-json", b'{"messageType": "DATA_MESSAGE", "logEvents": [}', 1, 0, "invalid JSON"),
    ("bad-json-after-good", json.dumps(cwl_payload([GOOD, GOOD])).encode() + b"\n{nope}\n"
     + json.dumps(cwl_payload([GOOD])).encode(), 3, 3, "invalid JSON: expected a string key"),
    ("no-logEvents", b'{"messageType": "DATA_MESSAGE", "logGroup": "g", "logStream": "s"}', 1, 0,
     "DATA_MESSAGE without logEvents"),
    ("logEvents-5", b'{"messageType": "DATA_MESSAGE", "logEvents": 5}', 1, 0,
     "logEvents: expected an array, found a number"),
    ("logStream-5", b'{"logStream": 5, "logEvents": []}', 1, 0, "logStream: expected a string, found a number"),
    ("messageType-unknown", b'{"messageType": "DATA", "logEvents": []}', 1, 0, "unknown messageType 'DATA'"),
    ("event-not-object", json.dumps(cwl_payload([GOOD])).replace('"logEvents": [', '"logEvents": [7, ').encode(),
     1, 1, "a log event must be an object"),
    ("message-not-string", b'{"message": ["x"]}', 1, 0, "message: expected a string, found an array"),
    ("message-line-break", json.dumps({"message": GOOD + "\n" + GOOD}).encode(), 1, 0, "holds a line break"),
    ("bad-message", json.dumps(cwl_payload([GOOD, BAD_ADDR, GOOD])).encode(), 2, 2,
     "field 'dstaddr' (address): invalid IP address '10.0.0.300'"),
    ("bad-base64", b'{"awslogs": {"data": "H4sI$$$"}}', 1, 0, "awslogs.data: invalid base64 at character 4"),
    ("bad-base64-line", (b64(gz(cwl_payload([GOOD]))) + "\nH4sIAAAA=A\n" + b64(gz(cwl_payload([GOOD])))).encode(),
     2, 2, "base64 record: invalid base64"),
    ("truncated-inner-gzip", json.dumps({"awslogs": {"data": b64(gz(cwl_payload([GOOD]))[:-9])}}).encode(), 1, 0,
     "awslogs.data: gzip: truncated gzip stream"),
    ("no-data", b'{"records": [{"recordId": "1"}]}', 1, 0, "records[0].data: missing"),
    ("not-a-payload", b'{"hello": "world"}', 1, 0, "not a CloudWatch Logs payload"),
]


@pytest.mark.parametrize("data, line, rows, what", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed(data: bytes, line: int, rows: int, what: str, tmp_path: Path) -> None:
    path = tmp_path / "obj.json"
    path.write_bytes(data)
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(path)
    e = ei.value
    assert what in str(e)
    assert e.file == str(path) and str(e).startswith(f"{path}:{line} (byte ")
    assert e.line == line
    assert e.offset is not None and 0 <= e.offset <= len(data)
    t = vpcflow.read_logs(path, on_error="skip")
    assert t.num_rows == rows
    assert t.report.bad_lines >= 1
    bad = t.report.bad_records[0]
    assert (bad.file, bad.line, bad.offset) == (str(path), line, e.offset)
    assert what in bad.message
    # in memory, through parse_payload, the same
    with pytest.raises(vpcflow.ParseError, match="^obj:"):
        vpcflow.parse_payload(data, name="obj")


def test_truncated_object() -> None:
    """A gzip'd object cut short: the payloads before the damage, and the codec error."""
    data = _truncated_gzip()
    with pytest.raises(vpcflow.ParseError, match="truncated gzip stream") as ei:
        vpcflow.parse_payload(data, name="cut.gz")
    assert ei.value.offset is not None and ei.value.kind == "corrupt compressed data"
    t = vpcflow.parse_payload(data, name="cut.gz", on_error="skip")
    assert t.num_rows % 50 == 0 and 0 < t.num_rows < 200
    assert t.report.bad_lines == 1
    assert t.report.bad_records[0].line == t.num_rows + 1
    assert "truncated gzip stream" in t.report.bad_records[0].message


def test_skip_counts_everything() -> None:
    """Nothing is dropped silently: every kind of problem is a counted, kept bad record."""
    docs = [json.dumps(cwl_payload([GOOD, BAD_ADDR])), '{"logEvents": 5}', json.dumps(CONTROL),
            '{"message": 5}', "{broken", json.dumps({"message": GOOD})]
    t = vpcflow.parse_payload("\n".join(docs), on_error="skip", name="mix")
    assert t.num_rows == 2
    assert t.report.bad_lines == 4 == len(t.report.bad_records)
    assert [b.line for b in t.report.bad_records] == [2, 3, 3, 4]
    assert [b.field for b in t.report.bad_records] == ["dstaddr", None, None, None]
    assert t.report.payloads == 2 and t.report.control_messages == 1 and t.report.messages == 4
    assert all(b.offset is not None for b in t.report.bad_records)
    assert t.report.rows + t.report.bad_lines <= t.report.lines


def test_error_attributes_for_a_bad_message() -> None:
    data = gz(cwl_payload([GOOD, BAD_ADDR]))
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.parse_payload(data, name="p.json.gz")
    e = ei.value
    assert (e.file, e.line, e.field, e.text) == ("p.json.gz", 2, "dstaddr", BAD_ADDR)
    doc = gzip.decompress(data)
    assert doc[e.offset:].startswith(b'{"id": "36000000000001"')


def test_no_crash_on_junk() -> None:
    """Random mutations of a payload: a table or a ParseError, never anything else."""
    rnd = random.Random(5)
    base = json.dumps({"Records": [{"kinesis": {"data": b64(gz(cwl_payload([GOOD] * 3)))}},
                                   {"kinesis": {"data": b64(json.dumps(CONTROL).encode())}}]}).encode()
    for _ in range(300):
        b = bytearray(base)
        for _ in range(rnd.randrange(1, 6)):
            i = rnd.randrange(len(b))
            b[i] = rnd.choice(b'{}[]",:\\ \n0aH=/+\x00\xff')
        for mode in ("raise", "skip"):
            try:
                t = vpcflow.parse_payload(bytes(b), on_error=mode)
            except vpcflow.ParseError:
                assert mode == "raise"
            else:
                assert t.report.rows == t.num_rows


def test_report_summary_and_bad_record_offset_default() -> None:
    t = vpcflow.parse_text(GOOD + "\nbogus\n", on_error="skip")
    assert t.report.bad_records[0].offset is None
    assert "payloads" not in t.report.summary()
    t = vpcflow.parse_payload([CONTROL, {"message": GOOD}])
    assert "1 payloads (1 control), 1 messages" in t.report.summary()


def test_empty_and_blank_json() -> None:
    for data in (b"[]", b"[]\n[]", b" {\"records\": []}", b"\xef\xbb\xbf[]"):
        t = vpcflow.parse_payload(data)
        assert t.num_rows == 0 and t.report.bad_lines == 0
        assert t.column_names == [f.replace("-", "_") for f in vpcflow.DEFAULT_FIELDS]


def test_planner_does_not_split_json(tmp_path: Path) -> None:
    """A large plain JSON file is one piece, never byte ranges cut through its documents."""
    lines = synth.generate_lines(6000, seed=4)
    p = tmp_path / "big.json"
    p.write_bytes(b"\n\n" + shape_firehose_jsonl([lines]))
    assert os.path.getsize(p) > 3 * 4096
    t = vpcflow.read_logs(p, chunk_size=4096, threads=4)
    assert t.num_rows == 6000 and t.report.bad_lines == 0
    assert t.to_pydict() == vpcflow.parse_text("\n".join(lines)).to_pydict()
    assert np.all(t["bytes"].mask == vpcflow.parse_text("\n".join(lines))["bytes"].mask)


def test_text_starting_like_json_is_text() -> None:
    """A string field's value may begin with '{', '[' or 'H4sI': a valid first record means text."""
    text = "{x 10.0.0.1\n[] 10.0.0.2\nH4sI 10.0.0.3\n"
    for data in (text.encode(), gz(text.encode())):
        t = vpcflow.parse_text(data, fields=["account-id", "srcaddr"])
        assert t["account_id"].tolist() == ["{x", "[]", "H4sI"]
        assert t.report.messages == 0
    with pytest.raises(vpcflow.ParseError, match="invalid JSON"):
        vpcflow.parse_text(text)  # not a record in the default format: JSON, and invalid
