"""Bad input: every bad line is an error or a counted bad record, never a crash or a silent drop."""
from __future__ import annotations

import gzip
import ipaddress
import os
import random
import shutil
import zlib
from pathlib import Path

import pytest

import vpcflow

#: ../shared beside the repository (as in conftest.py); VPCFLOW_SHARED overrides.
SAMPLES = Path(os.environ.get("VPCFLOW_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "samples"

H2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
GOOD = "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK"
GOOD_ROW = {
    "version": 2, "account_id": "123456789010", "interface_id": "eni-1", "srcaddr": "10.0.0.1",
    "dstaddr": "10.0.0.2", "srcport": 443, "dstport": 49152, "protocol": 6, "packets": 10, "bytes": 840,
    "start": 1439387263, "end": 1439387264, "action": "ACCEPT", "log_status": "OK",
}

# (case id, bad line, field or None, a piece of the message)
BAD_LINES = [
    ("too-few-fields", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT",
     None, "expected 14 fields, found 13"),
    ("too-many-fields", GOOD + " extra", None, "expected 14 fields, found 15"),
    ("bogus-line", "bogus line", "version", "'bogus'"),  # the first field is already wrong
    ("non-numeric-int64", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 ten 840 1439387263 1439387264 ACCEPT OK",
     "packets", "'ten'"),
    ("non-numeric-int32", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 http 6 10 840 1439387263 1439387264 ACCEPT OK",
     "dstport", "'http'"),
    ("plus-sign-int", "+2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "version", "'+2'"),
    ("int32-out-of-range", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 99999999999 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "srcport", "'99999999999'"),
    ("int32-just-out-of-range", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 2147483648 10 840 1439387263 1439387264 ACCEPT OK",
     "protocol", "'2147483648'"),
    ("int64-out-of-range", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 9223372036854775808 1439387263 1439387264 ACCEPT OK",
     "bytes", "'9223372036854775808'"),
    ("invalid-ipv4", "2 123456789010 eni-1 10.0.0.1 10.0.0.256 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "dstaddr", "'10.0.0.256'"),
    ("ipv4-leading-zero", "2 123456789010 eni-1 10.0.0.01 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "srcaddr", "'10.0.0.01'"),
    ("ipv6-zone-id", "2 123456789010 eni-1 fe80::1%eth0 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "srcaddr", "'fe80::1%eth0'"),
    ("ipv6-two-double-colons", "2 123456789010 eni-1 10.0.0.1 1::2::3 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "dstaddr", "'1::2::3'"),
    ("hostname-address", "2 123456789010 eni-1 example.com 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
     "srcaddr", "'example.com'"),
]
CASE_IDS = [c[0] for c in BAD_LINES]


def doc(*lines: str, crlf: bool = False) -> bytes:
    eol = "\r\n" if crlf else "\n"
    return "".join(line + eol for line in lines).encode()


@pytest.mark.parametrize("case", BAD_LINES, ids=CASE_IDS)
def test_bad_line_raise(case, tmp_path):
    _, bad, field, piece = case
    p = tmp_path / "bad.log"
    p.write_bytes(doc(H2, GOOD, GOOD, bad, GOOD))
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.file == str(p)
    assert e.line == 4
    assert e.field == field
    assert e.text == bad
    msg = str(e)
    assert f"{p}:4:" in msg
    assert piece in msg
    assert bad in msg  # the offending line is quoted
    if field is not None:
        assert repr(field) in msg or field in msg
    # the same through parse_text with a name
    with pytest.raises(vpcflow.ParseError) as ei2:
        vpcflow.parse_text(p.read_bytes(), name="mem.log")
    assert (ei2.value.file, ei2.value.line, ei2.value.field, ei2.value.text) == ("mem.log", 4, field, bad)
    assert "mem.log:4:" in str(ei2.value)


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("case", BAD_LINES, ids=CASE_IDS)
def test_bad_line_skip(case, crlf, tmp_path):
    _, bad, field, piece = case
    lines = [H2, GOOD, bad, "", GOOD, bad, GOOD, bad]  # line 4 is blank
    p = tmp_path / "bad.log"
    p.write_bytes(doc(*lines, crlf=crlf))
    t = vpcflow.read_logs(p, on_error="skip")
    r = t.report
    assert t.num_rows == r.rows == 3
    assert t.to_pylist() == [GOOD_ROW] * 3
    assert r.bad_lines == 3
    assert [(b.file, b.line, b.field, b.text) for b in r.bad_records] == [
        (str(p), 3, field, bad), (str(p), 6, field, bad), (str(p), 8, field, bad)
    ]
    for b in r.bad_records:
        assert isinstance(b, vpcflow.BadRecord)
        assert f"{p}:{b.line}:" in b.message and piece in b.message
    # every non-blank line is accounted for: header + rows + bad
    non_blank = sum(1 for line in lines if line.strip())
    assert r.lines == non_blank == r.header_lines + r.rows + r.bad_lines
    assert r.header_lines == 1
    assert r.blank_lines == 1
    assert "3 bad lines" in r.summary()


def test_max_bad_kept_counts_everything():
    bad = "bogus line"
    text = doc(H2, *([bad, GOOD] * 50))
    t = vpcflow.parse_text(text, on_error="skip", max_bad_kept=7)
    r = t.report
    assert r.rows == 50 and r.bad_lines == 50
    assert [b.line for b in r.bad_records] == [2, 4, 6, 8, 10, 12, 14]
    assert r.lines == 101


def test_int_boundaries_accepted():
    line = "2147483647 a eni-1 255.255.255.255 :: -2147483648 0 -1 9223372036854775807 -9223372036854775808 0 99999999999 A B"
    t = vpcflow.parse_text(doc(H2, line))
    assert t.to_pylist() == [{
        "version": 2147483647, "account_id": "a", "interface_id": "eni-1", "srcaddr": "255.255.255.255",
        "dstaddr": "::", "srcport": -2147483648, "dstport": 0, "protocol": -1,
        "packets": 9223372036854775807, "bytes": -9223372036854775808, "start": 0, "end": 99999999999,
        "action": "A", "log_status": "B",
    }]
    assert t.report.ms_fixed == 0


def test_wrong_count_on_header_less_input_with_fields():
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.parse_text(b"1 2\n1 2 3\n", fields="${version} ${srcport}", name="h.log")
    assert (ei.value.file, ei.value.line, ei.value.field, ei.value.text) == ("h.log", 2, None, "1 2 3")
    assert "expected 2 fields, found 3" in str(ei.value)


# -- compressed input that is damaged --------------------------------------------


def big_text(copies: int = 40) -> bytes:
    data = (SAMPLES / "nat-gateway-one-connection.log").read_bytes()
    header, body = data.split(b"\n", 1)
    return header + b"\n" + body * copies


def complete_lines_before(stream: bytes) -> int:
    """What Python's zlib can decode from a damaged gzip stream: the count of complete lines."""
    d = zlib.decompressobj(wbits=31)
    out = b""
    try:
        out = d.decompress(stream)
    except zlib.error:
        pass
    return out[: out.rfind(b"\n") + 1].count(b"\n")


@pytest.mark.parametrize("cut_fraction", [0.02, 0.3, 0.5, 0.9, 0.999])
def test_truncated_gzip(tmp_path, cut_fraction):
    text = big_text()
    g = gzip.compress(text)
    cut = int(len(g) * cut_fraction)
    p = tmp_path / "cut.log.gz"
    p.write_bytes(g[:cut])
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    e = ei.value
    assert e.file == str(p)
    assert str(p) in str(e)
    assert "gzip" in str(e) and "truncated" in str(e)
    n = complete_lines_before(g[:cut])  # header included
    t = vpcflow.read_logs(p, on_error="skip")
    r = t.report
    assert r.bad_lines == 1
    assert r.lines == n
    assert r.rows == max(0, n - 1) == t.num_rows
    [b] = r.bad_records
    assert (b.file, b.line, b.field) == (str(p), n + 1, None)
    assert "truncated" in b.message
    if n > 1:  # the rows that were returned are exactly the first lines of the file
        full = vpcflow.parse_text(text)
        assert t.to_pydict() == full.head(n - 1).to_pydict()


def test_truncated_gzip_trailer_only(tmp_path):
    text = big_text(5)
    g = gzip.compress(text)
    p = tmp_path / "cut.gz"
    p.write_bytes(g[:-3])  # all the data, part of the trailer
    with pytest.raises(vpcflow.ParseError):
        vpcflow.read_logs(p)
    t = vpcflow.read_logs(p, on_error="skip")
    nlines = text.count(b"\n")
    assert t.report.rows == nlines - 1 and t.report.bad_lines == 1
    assert t.report.bad_records[0].line == nlines + 1


def members(text: bytes, parts: int) -> list[bytes]:
    lines = text.splitlines(keepends=True)
    k = -(-len(lines) // parts)
    return [b"".join(lines[i : i + k]) for i in range(0, len(lines), k)]


def test_corrupt_gzip_member(tmp_path):
    text = (SAMPLES / "nat-gateway-one-connection.log").read_bytes()
    m = members(text, 3)
    first_lines = m[0].count(b"\n")  # header + 10 data lines
    z = [gzip.compress(x) for x in m]
    bad = bytearray(z[1])
    bad[12] ^= 0xFF  # inside the first deflate block header of member 2
    bad[13] ^= 0xFF
    blob = z[0] + bytes(bad) + z[2]
    with pytest.raises(zlib.error):
        gzip.decompress(blob)  # the damage is real
    p = tmp_path / "corrupt.gz"
    p.write_bytes(blob)
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    e = ei.value
    assert e.file == str(p) and str(p) in str(e)
    assert "corrupt" in str(e) and "gzip" in str(e)
    assert e.offset is not None and len(z[0]) <= e.offset < len(z[0]) + len(bad)
    t = vpcflow.read_logs(p, on_error="skip")
    r = t.report
    assert r.rows == first_lines - 1
    assert t.to_pydict() == vpcflow.parse_text(m[0]).to_pydict()
    assert r.bad_lines == 1
    [b] = r.bad_records
    assert (b.file, b.line, b.field) == (str(p), first_lines + 1, None)


@pytest.mark.parametrize("where", ["crc", "isize"])
def test_gzip_check_failure(tmp_path, where):
    text = (SAMPLES / "nat-gateway-one-connection.log").read_bytes()
    m = members(text, 3)
    z = [gzip.compress(x) for x in m]
    bad = bytearray(z[1])
    bad[-8 if where == "crc" else -1] ^= 0xFF
    p = tmp_path / "check.gz"
    p.write_bytes(z[0] + bytes(bad) + z[2])
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    assert ei.value.file == str(p)
    t = vpcflow.read_logs(p, on_error="skip")
    assert t.report.bad_lines == 1
    # at least the lines of the intact first member are returned, nothing after the damage
    assert m[0].count(b"\n") - 1 <= t.report.rows <= (m[0] + m[1]).count(b"\n") - 1
    # the damage is a bad record, not a line: the lines seen are the header and the rows
    assert t.report.rows + t.report.header_lines == t.report.lines


def test_gzip_trailing_garbage(tmp_path):
    text = (SAMPLES / "aws-docs-v2.log").read_bytes()
    p = tmp_path / "tg.gz"
    p.write_bytes(gzip.compress(text) + b"this is not gzip\n")
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    assert ei.value.file == str(p)
    t = vpcflow.read_logs(p, on_error="skip")
    assert t.num_rows == 7 and t.report.bad_lines == 1


def test_gzip_header_only_garbage(tmp_path):
    p = tmp_path / "hdr.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 3)
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p)
    assert ei.value.file == str(p)
    t = vpcflow.read_logs(p, on_error="skip")
    assert t.num_rows == 0 and t.report.bad_lines == 1


# -- not flow-log text at all ---------------------------------------------------------


def test_parquet_file_is_read_by_read_logs_and_named_by_parse_text(tmp_path):
    src = SAMPLES / "flowlogs-reader-pandas.parquet"
    data = src.read_bytes()
    assert data[:4] == b"PAR1"
    p = tmp_path / "flows.log"  # the name does not matter: read_logs sniffs Parquet and reads it
    p.write_bytes(data)
    for oe in ("raise", "skip"):
        t = vpcflow.read_logs(p, on_error=oe)
        assert t.num_rows == 3 and t.report.bad_lines == 0
    for oe in ("raise", "skip"):  # text in memory is text only
        with pytest.raises(vpcflow.ParseError) as ei:
            vpcflow.parse_text(data, name=str(p), on_error=oe)
        assert ei.value.file == str(p)
        assert str(p) in str(ei.value)
        assert "Parquet" in str(ei.value)


def test_parquet_inside_gzip_is_named():
    data = (SAMPLES / "flowlogs-reader-pandas.parquet").read_bytes()
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.parse_text(gzip.compress(data), name="pq.gz")
    assert "Parquet" in str(ei.value) and ei.value.file == "pq.gz"


def check_accounted(t: vpcflow.Table) -> None:
    r = t.report
    assert r.rows == t.num_rows
    assert r.lines == r.header_lines + r.rows + r.bad_lines
    assert len(r.bad_records) == r.bad_lines


@pytest.mark.parametrize("seed", range(12))
def test_random_ascii_junk(seed):
    """Printable junk: a ParseError, or every line counted as a row, a header or a bad line."""
    rng = random.Random(seed)
    alphabet = "0123456789abcdefxyz-:. \t\n\r" + H2
    junk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 6000))).encode()
    for text in (junk, H2.encode() + b"\n" + junk):
        try:
            vpcflow.parse_text(text, name="junk")
        except vpcflow.ParseError as e:
            assert e.file == "junk"
        t = vpcflow.parse_text(text, on_error="skip", name="junk")
        check_accounted(t)


# Bad lines need not be UTF-8, and a message may cut a multi-byte character:
# both must still give a ParseError or a bad record (undecodable bytes become U+FFFD).


@pytest.mark.parametrize("seed", range(4))
def test_random_binary_junk(seed):
    rng = random.Random(seed)
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(2000, 6000)))
    for text in (junk, H2.encode() + b"\n" + junk):
        try:
            vpcflow.parse_text(text, name="junk")
        except vpcflow.ParseError as e:
            assert e.file == "junk"
        t = vpcflow.parse_text(text, on_error="skip", name="junk")
        check_accounted(t)


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_invalid_utf8_in_bad_line(on_error):
    text = b"version srcport\n1 \xff\n"  # srcport is not an int, and not UTF-8
    if on_error == "raise":
        with pytest.raises(vpcflow.ParseError) as ei:
            vpcflow.parse_text(text, name="u.log")
        assert ei.value.line == 2 and ei.value.field == "srcport"
    else:
        t = vpcflow.parse_text(text, on_error="skip", name="u.log")
        assert t.num_rows == 0 and t.report.bad_lines == 1
        assert t.report.bad_records[0].line == 2


def test_valid_utf8_bad_line_quoted_text_truncated_mid_character():
    # valid UTF-8 input; the message's quoted line is cut at a byte limit inside the 2-byte 'é'
    bad = ("x" * 250 + "ééé extra").encode()
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.parse_text(b"interface-id\n" + bad + b"\n", name="u.log")
    assert ei.value.line == 2


def test_invalid_utf8_in_a_good_string_value_is_kept():
    t = vpcflow.parse_text(b"version interface-id\n2 eni-\xff\n")
    assert t.to_pylist() == [{"version": 2, "interface_id": "eni-\ufffd"}]


# -- empty things -----------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n", b"\n\n  \n", b"\r\n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.log"
    p.write_bytes(content)
    t = vpcflow.read_logs(p)
    assert t.num_rows == 0 == len(t)
    assert t.report.rows == 0 and t.report.lines == 0 and t.report.bad_lines == 0
    assert t.report.files == 1
    assert t.to_pylist() == []


@pytest.mark.parametrize("content", [H2.encode(), H2.encode() + b"\n", H2.encode() + b"\r\n\n"])
def test_header_only_file(tmp_path, content):
    p = tmp_path / "header.log"
    p.write_bytes(content)
    t = vpcflow.read_logs(p)
    assert t.num_rows == 0
    assert t.column_names == [n.replace("-", "_") for n in H2.split()]
    assert t.schema["bytes"] == "int64" and t.schema["srcaddr"] == "address"
    assert t.report.header_lines == 1 and t.report.lines == 1 and t.report.rows == 0
    assert t.to_pydict() == {n.replace("-", "_"): [] for n in H2.split()}
    assert t["packets"].tolist() == []
    assert t.to_pylist() == []


def test_empty_gzip_file(tmp_path):
    p = tmp_path / "empty.gz"
    p.write_bytes(gzip.compress(b""))
    t = vpcflow.read_logs(p)
    assert t.num_rows == 0 and t.report.bad_lines == 0


def test_empty_directory(tmp_path):
    t = vpcflow.read_logs(tmp_path)
    assert t.num_rows == 0 and t.report.files == 0


# -- arguments ---------------------------------------------------------------------------


def test_nonexistent_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        vpcflow.read_logs(tmp_path / "nope.log")
    with pytest.raises(FileNotFoundError):
        vpcflow.read_logs([SAMPLES / "aws-docs-v2.log", str(tmp_path / "nope.log")])


@pytest.mark.parametrize(
    "fields",
    [
        "${version",  # unclosed
        "${version} ${srcaddr",
        "$",
        "${}",
        "${Version}",  # upper case is not a field-name character
        "${version} ${version}",  # duplicate
        "${log-status} ${log_status}",  # the same field spelt twice
        ["version", "version"],
        ["srcaddr", "log-status", "log_status"],
        "version srcaddr version",
        [],
        "",
    ],
)
def test_bad_fields(fields):
    with pytest.raises(ValueError):
        vpcflow.parse_text(b"1\n", fields=fields)


def test_fields_list_and_logformat_agree():
    line = GOOD + "\n"
    a = vpcflow.parse_text(line, fields=H2.split())
    b = vpcflow.parse_text(line, fields=" ".join("${" + h + "}" for h in H2.split()))
    c = vpcflow.parse_text(line, fields=[h.replace("-", "_") for h in H2.split()])
    d = vpcflow.parse_text(line)  # the v2 default format
    assert a.to_pylist() == b.to_pylist() == c.to_pylist() == d.to_pylist() == [GOOD_ROW]


@pytest.mark.parametrize("on_error", ["bogus", "RAISE", "", None, "ignore"])
def test_bad_on_error(on_error):
    with pytest.raises(ValueError):
        vpcflow.parse_text(GOOD, on_error=on_error)
    with pytest.raises(ValueError):
        vpcflow.read_logs(SAMPLES / "aws-docs-v2.log", on_error=on_error)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "4"])
def test_bad_threads(threads):
    with pytest.raises(ValueError):
        vpcflow.read_logs(SAMPLES / "aws-docs-v2.log", threads=threads)


# -- threads and chunks ------------------------------------------------------------------

KNOWN_TYPES = {h: t for h, _, t, _ in vpcflow.KNOWN_FIELDS}
CANON = [h for h, _, _, _ in vpcflow.KNOWN_FIELDS]


def reference_parse(text: str):
    """A slow, obvious parser for the well-formed inputs built below: returns (pydict, bad line numbers)."""
    header = None
    rows, bad = [], []
    seen = []
    for no, line in enumerate(text.split("\n"), 1):
        toks = line.split()
        if not toks:
            continue
        if toks[0] in KNOWN_TYPES and all(t.replace("-", "").isalpha() for t in toks):
            header = toks
            seen += [h for h in toks if h not in seen]
            continue
        if len(toks) != len(header):
            bad.append(no)
            continue
        row = {}
        ok = True
        for h, v in zip(header, toks):
            typ = KNOWN_TYPES[h]
            if v == "-":
                row[h] = None
            elif typ in ("int32", "int64"):
                try:
                    x = int(v)
                except ValueError:
                    ok = False
                    break
                lim = 2**31 if typ == "int32" else 2**63
                if not -lim <= x < lim:
                    ok = False
                    break
                if h in ("start", "end") and x >= 100_000_000_000:
                    x //= 1000
                row[h] = x
            elif typ == "address":
                try:
                    ip = ipaddress.ip_address(v)
                except ValueError:
                    ok = False
                    break
                row[h] = str(ip)
            else:
                row[h] = v
        if ok:
            rows.append(row)
        else:
            bad.append(no)
    cols = [h for h in CANON if h in seen]
    return {h.replace("-", "_"): [r.get(h) for r in rows] for h in cols}, bad


def build_large(seed: int = 1, target: int = 1_200_000) -> str:
    """>1 MB of sample lines: several formats (header switches), blank lines, CRLF, bad lines."""
    rng = random.Random(seed)
    blocks = []
    for name in ("aws-docs-v2.log", "nat-gateway-one-connection.log", "nat-gateway-services.log",
                 "aws-docs-v3-tcp-flags.log", "aws-docs-v5.log"):
        lines = (SAMPLES / name).read_text().splitlines()
        blocks.append((lines[0], lines[1:]))
    bad_choices = ["bogus line", GOOD.replace(" 443 ", " 99999999999 "), GOOD.replace("10.0.0.2", "10.0.0.300"),
                   GOOD.replace(" 10 840 ", " ten 840 ")]
    out: list[str] = []
    size = 0
    hdr, body = blocks[0]
    out.append(hdr)
    while size < target:
        r = rng.random()
        if r < 0.002:
            hdr, body = rng.choice(blocks)
            line = hdr
        elif r < 0.003:
            line = rng.choice(bad_choices)
        elif r < 0.004:
            line = ""
        else:
            line = rng.choice(body)
            if rng.random() < 0.05:  # milliseconds
                toks = line.split(" ")
                line = " ".join(t + "123" if t.startswith("1") and len(t) == 10 else t for t in toks)
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    text = build_large()
    d = tmp_path_factory.mktemp("large")
    p = d / "large.log"
    p.write_bytes(text.encode())
    expected, bad = reference_parse(text)
    assert len(text) > 1_000_000
    assert len(bad) >= 5  # a few bad lines, scattered
    return p, text, expected, bad


def test_large_reference_agrees(large):
    p, text, expected, bad = large
    t = vpcflow.read_logs(p, on_error="skip", threads=1)
    got = t.to_pydict()
    assert list(got) == list(expected)
    for k in expected:
        assert got[k] == expected[k], k
    assert [b.line for b in t.report.bad_records] == bad
    check_accounted(t)
    assert t.report.ms_fixed > 0
    assert t.report.header_lines > 5


@pytest.mark.parametrize("threads,chunk_size", [(4, 4096), (3, 4099), (8, 65536), (4, 0), (2, 1)])
def test_large_threads_identical(large, threads, chunk_size):
    p, text, expected, bad = large
    one = vpcflow.read_logs(p, on_error="skip", threads=1, chunk_size=4096)
    many = vpcflow.read_logs(p, on_error="skip", threads=threads, chunk_size=chunk_size)
    assert list(many.schema.items()) == list(one.schema.items())
    assert many.to_pydict() == one.to_pydict() == expected
    assert [(b.line, b.field, b.text) for b in many.report.bad_records] == \
           [(b.line, b.field, b.text) for b in one.report.bad_records]
    assert [b.line for b in many.report.bad_records] == bad
    for attr in ("rows", "lines", "bad_lines", "header_lines", "blank_lines", "ms_fixed", "bytes_in", "bytes_text"):
        assert getattr(many.report, attr) == getattr(one.report, attr), attr


@pytest.mark.parametrize("threads", [1, 4])
def test_large_raise_reports_first_bad_line(large, threads):
    p, text, expected, bad = large
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(p, threads=threads, chunk_size=4096)
    assert ei.value.line == bad[0]
    assert ei.value.file == str(p)


def test_large_many_files_threads(large, tmp_path):
    p, text, expected, bad = large
    d = tmp_path / "many"
    d.mkdir()
    shutil.copy(p, d / "a.log")
    (d / "b.log.gz").write_bytes(gzip.compress(p.read_bytes(), compresslevel=1))
    shutil.copy(p, d / "c.log")
    one = vpcflow.read_logs(d, on_error="skip", threads=1, chunk_size=4096)
    many = vpcflow.read_logs(d, on_error="skip", threads=4, chunk_size=4096)
    assert many.to_pydict() == one.to_pydict()
    assert many.num_rows == 3 * len(expected["version"])
    exp_bad = [(str(d / f), n) for f in ("a.log", "b.log.gz", "c.log") for n in bad]
    assert [(b.file, b.line) for b in one.report.bad_records] == exp_bad
    assert [(b.file, b.line) for b in many.report.bad_records] == exp_bad


@pytest.mark.parametrize("on_error", ["raise", "skip"])
@pytest.mark.parametrize("threads", [1, 4])
def test_header_switch_before_a_chunk_boundary(tmp_path, on_error, threads):
    """A header change in the first byte range governs the ranges after it, in both error modes."""
    p = tmp_path / "switch.log"
    p.write_text("version srcport\n1 2\ninterface-id action\n" + "eni-1 ACCEPT\n" * 1000)
    t = vpcflow.read_logs(p, on_error=on_error, threads=threads, chunk_size=4096)
    assert t.column_names == ["version", "interface_id", "srcport", "action"]
    assert t.num_rows == 1001 and t.report.bad_lines == 0
    assert t.to_pylist()[:2] == [
        {"version": 1, "interface_id": None, "srcport": 2, "action": None},
        {"version": None, "interface_id": "eni-1", "srcport": None, "action": "ACCEPT"},
    ]
    assert t.report.header_lines == 2
