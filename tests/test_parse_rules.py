"""Rules of the line parser that sit between headers, data and nulls."""
from __future__ import annotations

import pytest

import vpcflow


def test_a_valid_record_that_looks_like_a_header_is_data():
    # "x version" is name-shaped and names a known field, but it is a valid
    # record under the active header: it must be kept as data, not taken as a header
    t = vpcflow.parse_text(b"interface-id action\nx version\n")
    assert t.to_pylist() == [{"interface_id": "x", "action": "version"}]
    assert t.report.header_lines == 1 and t.report.bad_lines == 0


def test_a_header_that_is_not_a_valid_record_switches_fields():
    t = vpcflow.parse_text(b"version srcport\n2 443\ninterface-id action\neni-1 ACCEPT\n")
    assert t.to_pydict() == {
        "version": [2, None],
        "srcport": [443, None],
        "interface_id": [None, "eni-1"],
        "action": [None, "ACCEPT"],
    }
    assert t.report.header_lines == 2


def test_repeated_identical_header_is_skipped_even_if_it_would_parse():
    t = vpcflow.parse_text(b"interface-id action\neni-1 ACCEPT\ninterface-id action\neni-2 REJECT\n")
    assert t["interface_id"].tolist() == ["eni-1", "eni-2"]
    assert t.report.header_lines == 2


def test_header_shaped_line_with_a_repeated_name_is_a_bad_line_saying_why():
    t = vpcflow.parse_text(b"version srcport\n2 443\nversion version\n", on_error="skip")
    assert t.num_rows == 1 and t.report.bad_lines == 1
    assert "appears twice" in t.report.bad_records[0].message


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_empty_input_has_the_columns_of_fields(data):
    t = vpcflow.parse_text(data, fields="${version} ${srcport} ${srcaddr}")
    assert t.num_rows == 0
    assert dict(t.schema) == {"version": "int32", "srcport": "int32", "srcaddr": "address"}


def test_empty_input_without_fields_has_the_v2_default_columns():
    t = vpcflow.parse_text(b"")
    assert t.column_names == [n.replace("-", "_") for n in vpcflow.DEFAULT_FIELDS]


@pytest.mark.parametrize("value,why", [
    ("99999999999999999999", "integer out of range"),
    ("9223372036854775808", "integer out of range"),
    ("12x", "invalid integer"),
    ("-", None),
])
def test_int64_errors_say_whether_syntax_or_size(value, why):
    text = f"version packets\n2 {value}\n".encode()
    if why is None:
        assert vpcflow.parse_text(text)["packets"].mask.tolist() == [True]
        return
    with pytest.raises(vpcflow.ParseError, match=why) as ei:
        vpcflow.parse_text(text, name="p.log")
    assert (ei.value.file, ei.value.line, ei.value.field) == ("p.log", 2, "packets")


@pytest.mark.parametrize("threads", [1, 2])  # 2: decompression runs ahead on its own thread
@pytest.mark.parametrize("chunk_size", [4096, 65536, 0])
@pytest.mark.parametrize("codec", ["gzip", "gzip-members", "zstd"])
def test_compressed_input_is_streamed_in_batches_with_the_same_result(tmp_path, chunk_size, codec, threads):
    import gzip as gz

    lines = vpcflow.synth.generate_lines(6000, seed=11, fmt="v5")
    # a line far longer than a 4 KiB batch, and a header change half way
    lines[2500] = lines[2500].replace(" OK ", " OK ", 1)
    text = (" ".join(vpcflow.synth.format_fields("v5")) + "\n" + "\n".join(lines[:3000]) + "\n"
            + "version interface-id ecs-task-arn\n" + "2 eni-1 " + "a" * 20000 + "\n"
            + " ".join(vpcflow.synth.format_fields("v5")) + "\n" + "\n".join(lines[3000:]))  # no final newline
    raw = text.encode()
    if codec == "gzip":
        data = gz.compress(raw, mtime=0)
    elif codec == "gzip-members":
        data = b"".join(gz.compress(raw[i:i + 5000], mtime=0) for i in range(0, len(raw), 5000))
    else:
        import subprocess
        p = tmp_path / "in.log"
        p.write_bytes(raw)
        try:
            subprocess.run(["zstd", "-q", "-f", str(p), "-o", str(tmp_path / "in.zst")], check=True)
        except FileNotFoundError:
            pytest.fail("the zstd command is needed (Debian package zstd; make installs it)")
        data = (tmp_path / "in.zst").read_bytes()
    f = tmp_path / "flows.bin"
    f.write_bytes(data)
    want = vpcflow.parse_text(raw)
    got = vpcflow.read_logs(f, chunk_size=chunk_size, threads=threads)
    assert got.to_pydict() == want.to_pydict()
    assert got.num_rows == 6001
    assert (got.report.lines, got.report.header_lines, got.report.bytes_text) == (
        want.report.lines, want.report.header_lines, len(raw))
    assert got["ecs_task_arn"][3000] == "a" * 20000


@pytest.mark.parametrize("threads", [1, 2])
def test_truncated_gzip_stream_keeps_whole_lines_and_reports_the_tail(tmp_path, threads):
    import gzip as gz

    lines = vpcflow.synth.generate_lines(20000, seed=2, fmt="v2")
    raw = (" ".join(vpcflow.synth.format_fields("v2")) + "\n" + "\n".join(lines) + "\n").encode()
    data = gz.compress(raw, mtime=0)
    f = tmp_path / "cut.log.gz"
    f.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(vpcflow.ParseError, match="truncated gzip stream") as ei:
        vpcflow.read_logs(f, chunk_size=8192, threads=threads)
    assert ei.value.file == str(f) and ei.value.offset is not None
    t = vpcflow.read_logs(f, chunk_size=8192, on_error="skip", threads=threads)
    assert 0 < t.num_rows < 20000 and t.report.bad_lines == 1
    bad = t.report.bad_records[0]
    assert bad.line == t.num_rows + 2 and "truncated gzip stream" in bad.message
    assert t.to_pydict() == vpcflow.parse_text(b"\n".join(raw.split(b"\n")[: t.num_rows + 1])).to_pydict()
