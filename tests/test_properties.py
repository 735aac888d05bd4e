"""Property tests: the C field parsers and the whole-line parser against Python oracles."""
from __future__ import annotations

import ipaddress
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import vpcflow
from vpcflow import _core

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MS_THRESHOLD = 100_000_000_000

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------
# parse_int
# ---------------------------------------------------------------------------

INT_GRAMMAR = re.compile(rb"-?[0-9]+")


def python_int_or_none(s: bytes):
    """The oracle: Python's int() where the text matches the documented grammar, within int64."""
    try:
        text = s.decode("ascii")
        v = int(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not INT_GRAMMAR.fullmatch(s):  # Python also accepts '+1', ' 1', '1_0': the grammar does not
        return None
    return v if INT64_MIN <= v <= INT64_MAX else None


@SETTINGS
@given(st.from_regex(r"-?[0-9]{1,25}", fullmatch=True))
@example("9223372036854775807")
@example("9223372036854775808")
@example("-9223372036854775808")
@example("-9223372036854775809")
@example("0000000000000000000000001")
@example("-0")
@example("18446744073709551616")  # 2**64: must not wrap
@example("18446744073709551615")  # 2**64 - 1
@example("-18446744073709551616")
@example("99999999999999999999")  # wraps to a positive value in uint64 arithmetic
def test_parse_int_digits(s):
    v = int(s)
    expected = v if INT64_MIN <= v <= INT64_MAX else None
    assert _core.parse_int(s.encode()) == expected


@SETTINGS
@given(st.integers(INT64_MIN - 10**4, INT64_MAX + 10**4) | st.integers(-(10**4), 10**4), st.integers(0, 6))
def test_parse_int_boundaries_and_leading_zeros(v, zeros):
    s = ("-" if v < 0 else "") + "0" * zeros + str(abs(v))
    expected = v if INT64_MIN <= v <= INT64_MAX else None
    assert _core.parse_int(s.encode()) == expected


JUNK_INT_ALPHABET = st.sampled_from(list("0123456789") * 3 + list("-+ _\t.eEx\n\r\x00") + ["\u0661", "\uff11"])


@SETTINGS
@given(st.text(JUNK_INT_ALPHABET, max_size=24).map(lambda t: t.encode()) | st.binary(max_size=24))
@example(b"")
@example(b"-")
@example(b"+1")
@example(b" 1")
@example(b"1 ")
@example(b"1_000")
@example(b"--1")
@example(b"1-")
@example(b"\xd9\xa1")  # ARABIC-INDIC DIGIT ONE, which Python's int accepts as text
@example(b"1\x00")
def test_parse_int_junk(s):
    got = _core.parse_int(s)
    assert got == python_int_or_none(s)
    if got is not None:  # never accepts what Python's int rejects
        assert int(s.decode()) == got


def test_parse_int_type():
    assert type(_core.parse_int(b"12")) is int
    assert _core.parse_int(b"12") == 12


# ---------------------------------------------------------------------------
# parse_addr
# ---------------------------------------------------------------------------

V4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"


def expected_addr(ip):
    if ip.version == 4:
        return (V4_MAPPED_PREFIX + ip.packed, 4)
    return (ip.packed, 6)


def canonical(ip) -> str:
    """RFC 5952 text as vpcflow renders it (Python >= 3.13 style for IPv4-mapped)."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return "::ffff:" + str(ip.ipv4_mapped)
    return str(ip)


# IPv6 values with structure: runs of zeros, mapped, compatible, all-ones, etc.
hextet = st.one_of(st.just(0), st.just(0), st.integers(0, 0xFFFF), st.sampled_from([1, 0xFFFF, 0x10, 0xABCD]))
structured_v6 = st.lists(hextet, min_size=8, max_size=8).map(
    lambda hs: ipaddress.IPv6Address(b"".join(h.to_bytes(2, "big") for h in hs))
)
special_v6 = st.sampled_from(
    [
        "::",
        "::1",
        "1::",
        "::ffff:0.0.0.0",
        "::ffff:1.2.3.4",
        "::ffff:255.255.255.255",
        "::1.2.3.4",
        "::ffff:0:1.2.3.4",
        "64:ff9b::1.2.3.4",
        "fe80::1",
        "2001:db8::",
        "2001:db8:0:0:1:0:0:1",
        "2001:0:0:1::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "1:0:0:0:0:0:0:0",
        "0:0:0:0:0:0:0:1",
        "1:2:3:4:5:6:7:8",
        "0:1:0:1:0:1:0:1",
    ]
).map(ipaddress.IPv6Address)
mapped_v6 = st.integers(0, 2**32 - 1).map(lambda v: ipaddress.IPv6Address((0xFFFF << 32) | v))
any_v6 = st.one_of(st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address), structured_v6, special_v6, mapped_v6)
any_v4 = st.one_of(
    st.integers(0, 2**32 - 1),
    st.sampled_from([0, 2**32 - 1, 0x7F000001, 0x0A000001, 0x01020304, 0x00010000]),
).map(ipaddress.IPv4Address)
any_ip = st.one_of(any_v4, any_v6)


@st.composite
def v6_text(draw, ip: ipaddress.IPv6Address) -> str:
    """One of the many valid texts for ip: compressed, exploded, any zero run compressed,
    random leading zeros, random case, optionally the last 32 bits as a dotted quad."""
    style = draw(st.sampled_from(["compressed", "exploded", "random"]))
    if style == "compressed":
        s = ip.compressed
    elif style == "exploded":
        s = ip.exploded
    else:
        hs = [int.from_bytes(ip.packed[i : i + 2], "big") for i in range(0, 16, 2)]
        dotted = draw(st.booleans())
        n = 6 if dotted else 8
        parts = []
        for h in hs[:n]:
            width = draw(st.integers(len(f"{h:x}"), 4))
            parts.append(f"{h:0{width}x}")
        tail = [str(ipaddress.IPv4Address(ip.packed[12:]))] if dotted else []
        # compress one run of zero groups (any run of length >= 1, chosen at random), or none
        runs = []
        i = 0
        while i < n:
            if hs[i] == 0:
                j = i
                while j < n and hs[j] == 0:
                    j += 1
                runs.append((i, j))
                i = j
            else:
                i += 1
        run = draw(st.sampled_from([None] + runs)) if runs else None
        if run is not None:
            a, b = run
            a = draw(st.integers(a, b - 1))
            b = draw(st.integers(a + 1, b))
            left = ":".join(parts[:a])
            right = ":".join(parts[b:] + tail)
            s = left + "::" + right
        else:
            s = ":".join(parts + tail)
    if draw(st.booleans()):
        s = s.upper()
    elif draw(st.booleans()):
        s = "".join(c.upper() if draw(st.booleans()) else c for c in s)
    return s


@st.composite
def ip_and_text(draw):
    ip = draw(any_ip)
    if ip.version == 4:
        text = str(ip)
    else:
        text = draw(v6_text(ip))
    assert ipaddress.ip_address(text) == ip, (text, ip)  # the generator itself is right
    return ip, text


@SETTINGS
@given(ip_and_text())
def test_parse_addr_valid_forms(it):
    ip, text = it
    assert _core.parse_addr(text.encode()) == expected_addr(ip)


@SETTINGS
@given(any_v4, st.integers(0, 3), st.integers(1, 2))
def test_parse_addr_v4_leading_zeros_rejected(ip, octet, zeros):
    parts = str(ip).split(".")
    parts[octet] = "0" * zeros + parts[octet]
    s = ".".join(parts)
    with pytest.raises(ValueError):
        ipaddress.ip_address(s)
    assert _core.parse_addr(s.encode()) is None
    # the same inside an IPv6 text
    assert _core.parse_addr(("::ffff:" + s).encode()) is None


def python_addr_or_none(s: bytes):
    try:
        text = s.decode("ascii")
    except UnicodeDecodeError:
        return None
    if "%" in text:
        return None
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return expected_addr(ip)


ADDR_JUNK_ALPHABET = st.sampled_from(list("0123456789abcdefABCDEF") + list(":::...") + list("%xg -\t/0"))


@st.composite
def mutated_addr_text(draw):
    """A valid text with a small edit: deleted, doubled or replaced characters."""
    _, text = draw(ip_and_text())
    chars = list(text)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["del", "dup", "rep", "ins"]))
        i = draw(st.integers(0, max(0, len(chars) - 1)))
        if op == "del" and chars:
            del chars[i]
        elif op == "dup" and chars:
            chars.insert(i, chars[i])
        elif op == "rep" and chars:
            chars[i] = draw(ADDR_JUNK_ALPHABET)
        else:
            chars.insert(i, draw(ADDR_JUNK_ALPHABET))
    return "".join(chars)


@SETTINGS
@given(
    st.one_of(
        st.text(ADDR_JUNK_ALPHABET, max_size=45),
        mutated_addr_text(),
        mutated_addr_text(),
    ).map(lambda t: t.encode())
    | st.binary(max_size=40)
)
@example(b"")
@example(b":")
@example(b"::")
@example(b":::")
@example(b"1::2::3")
@example(b"fe80::1%eth0")
@example(b"fe80::1%1")
@example(b"1.2.3")
@example(b"1.2.3.4.5")
@example(b"256.0.0.1")
@example(b"1.2.3.4 ")
@example(b" 1.2.3.4")
@example(b"::ffff:1.2.3")
@example(b"::1.2.3.4:5")
@example(b"1:2:3:4:5:6:7:8:9")
@example(b"1:2:3:4:5:6:7::8")
@example(b"1:2:3:4:5:6:7::")
@example(b"::1:2:3:4:5:6:7")
@example(b"1:2:3:4:5:6:7")
@example(b"12345::")
@example(b"1:2:3:4:5:6:1.2.3.4")
@example(b"1:2:3:4:5:6:7:1.2.3.4")
@example(b"::1.2.3.4.5")
@example(b"1.2.3.4::")
@example(b":1::")
@example(b"1::2:")
@example(b"0x1.2.3.4")
@example(b"\xc2\xb9.2.3.4")
def test_parse_addr_junk(s):
    assert _core.parse_addr(s) == python_addr_or_none(s)


# ---------------------------------------------------------------------------
# rendering round trip
# ---------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.one_of(ip_and_text(), st.none()), min_size=1, max_size=40))
def test_address_rendering_roundtrip(items):
    body = "".join(("-" if it is None else it[1]) + "\n" for it in items)
    t = vpcflow.parse_text("srcaddr\n" + body)
    assert t.schema["srcaddr"] == "address"
    got = t.to_pydict()["srcaddr"]
    expected = [None if it is None else canonical(it[0]) for it in items]
    assert got == expected
    arr = t["srcaddr"]
    assert arr.dtype == object and arr.tolist() == expected
    for it, g in zip(items, got):
        if it is None:
            continue
        ip = it[0]
        assert ipaddress.ip_address(g) == ip  # the rendering parses back to the same address
        assert _core.parse_addr(g.encode()) == expected_addr(ip)  # and vpcflow reads it back identically
        if ip.version == 6:
            assert g == g.lower() and g == canonical(ip)
    # the dictionary is distinct values, and codes point to them
    col = t.column("srcaddr")
    d = col.dictionary.tolist()
    assert len(d) == len(set(d)) == len({canonical(it[0]) for it in items if it is not None})
    assert [None if c < 0 else d[c] for c in col.codes.tolist()] == expected
    a, fam = col.address_bytes
    for code, it in zip(col.codes.tolist(), items):
        if it is not None:
            assert (bytes(a[code]), int(fam[code])) == expected_addr(it[0])


@SETTINGS
@given(st.lists(ip_and_text(), min_size=1, max_size=20))
def test_rendering_is_a_fixed_point(items):
    """parse(render(parse(x))) == parse(x): feeding the rendered text back in changes nothing."""
    t1 = vpcflow.parse_text("srcaddr\n" + "".join(x[1] + "\n" for x in items))
    r1 = t1.to_pydict()["srcaddr"]
    t2 = vpcflow.parse_text("srcaddr\n" + "".join(x + "\n" for x in r1))
    assert t2.to_pydict()["srcaddr"] == r1


def test_v4_and_mapped_v6_are_distinct_values():
    t = vpcflow.parse_text("srcaddr dstaddr\n1.2.3.4 ::ffff:1.2.3.4\n::FFFF:1.2.3.4 1.2.3.4\n")
    assert t.to_pydict() == {
        "srcaddr": ["1.2.3.4", "::ffff:1.2.3.4"],
        "dstaddr": ["::ffff:1.2.3.4", "1.2.3.4"],
    }
    assert t.column("srcaddr").dictionary.tolist() == ["1.2.3.4", "::ffff:1.2.3.4"]


# ---------------------------------------------------------------------------
# whole lines
# ---------------------------------------------------------------------------

KNOWN = vpcflow.KNOWN_FIELDS  # (header, column, type, version)
KNOWN_HEADER_NAMES = {h for h, _, _, _ in KNOWN}
TYPE_OF = {h: t for h, _, t, _ in KNOWN}
CANON_INDEX = {h: i for i, (h, _, _, _) in enumerate(KNOWN)}

EXTRA_NAMES = ["resource-id", "encryption-status", "next-hop-type", "zz-tag", "x1"]

string_value = (
    st.text(
        st.characters(
            blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Co", "Cn"),
            blacklist_characters=" \t\r\n\x0b\x0c\x85",
        ),
        min_size=1,
        max_size=12,
    )
    .filter(lambda s: s != "-")
    # a line made only of lowercase field-name-like tokens, one of them a known field name, is a
    # header line by design; keep generated data away from that shape
    .filter(lambda s: s.lower().replace("_", "-") not in KNOWN_HEADER_NAMES)
)


def int_text(draw, v: int) -> str:
    zeros = draw(st.sampled_from([0, 0, 0, 1, 3]))
    return ("-" if v < 0 else "") + "0" * zeros + str(abs(v))


@st.composite
def field_value(draw, header: str):
    """(expected python value, text)."""
    if draw(st.integers(0, 5)) == 0:
        return None, "-"
    typ = TYPE_OF.get(header, "string")
    if typ == "int32":
        v = draw(st.integers(INT32_MIN, INT32_MAX) | st.integers(0, 70000))
        return v, int_text(draw, v)
    if typ == "int64":
        if header in ("start", "end"):
            v = draw(
                st.one_of(
                    st.integers(1_000_000_000, 2_000_000_000),  # seconds
                    st.integers(1_000_000_000_000, 2_000_000_000_000),  # milliseconds
                    st.integers(MS_THRESHOLD - 3, MS_THRESHOLD + 3),  # around the threshold
                    st.integers(INT64_MIN, INT64_MAX),
                )
            )
        else:
            v = draw(st.integers(INT64_MIN, INT64_MAX) | st.integers(0, 10**6))
        return v, int_text(draw, v)
    if typ == "address":
        ip, text = draw(ip_and_text())
        return canonical(ip), text
    s = draw(string_value)
    return s, s


@st.composite
def flow_log(draw):
    known = draw(st.lists(st.sampled_from([h for h, _, _, _ in KNOWN]), min_size=1, max_size=20, unique=True))
    extra = draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2, unique=True))
    headers = draw(st.permutations(known + extra))
    mode = draw(st.sampled_from(["header", "header", "fields-list", "fields-logformat"]))
    # header-less input with no lines at all has no columns to show (see test_errors)
    nrows = draw(st.integers(0 if mode == "header" else 1, 12))
    rows = [[draw(field_value(h)) for h in headers] for _ in range(nrows)]
    crlf = draw(st.booleans())
    final_newline = draw(st.booleans())
    leading = draw(st.booleans())

    def sep():
        return " " * draw(st.integers(1, 4))

    def eol():
        return "\r\n" if crlf and draw(st.booleans()) else "\n"

    out = []
    if mode == "header":
        out.append(sep().join(headers) + eol())
    for r in rows:
        lead = " " * draw(st.integers(0, 2)) if leading else ""
        trail = " " * draw(st.integers(0, 2)) if leading else ""
        out.append(lead + sep().join(text for _, text in r) + trail + eol())
    text = "".join(out)
    if not final_newline:
        text = text.rstrip("\n").rstrip("\r") if text.endswith("\n") else text
    if mode == "fields-list":
        fields = [h.replace("-", "_") if draw(st.booleans()) else h for h in headers]
    elif mode == "fields-logformat":
        fields = " ".join("${" + h + "}" for h in headers)
    else:
        fields = None
    return headers, rows, text, fields, mode


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(flow_log())
def test_whole_lines(case):
    headers, rows, text, fields, mode = case
    t = vpcflow.parse_text(text.encode("utf-8"), fields=fields)

    known = sorted((h for h in headers if h in TYPE_OF), key=CANON_INDEX.__getitem__)
    unknown = [h for h in headers if h not in TYPE_OF]
    order = known + unknown
    exp_schema = [(h.replace("-", "_"), TYPE_OF.get(h, "string")) for h in order]
    assert list(t.schema.items()) == exp_schema
    assert t.column_names == [n for n, _ in exp_schema]

    ms_fixed = 0
    expected = {}
    for h in order:
        i = headers.index(h)
        vals = []
        for r in rows:
            v = r[i][0]
            if h in ("start", "end") and v is not None and v >= MS_THRESHOLD:
                v //= 1000
                ms_fixed += 1
            vals.append(v)
        expected[h.replace("-", "_")] = vals
    got = t.to_pydict()
    for name in expected:
        assert got[name] == expected[name], name
    assert got == expected

    r = t.report
    assert t.num_rows == r.rows == len(rows)
    assert r.bad_lines == 0 and r.bad_records == []
    assert r.header_lines == (1 if mode == "header" else 0)
    assert r.lines == len(rows) + r.header_lines
    assert r.ms_fixed == ms_fixed
    assert r.bytes_text == len(text.encode("utf-8"))

    # typed views agree with the Python values
    for name, typ in exp_schema:
        col = t.column(name)
        assert col.null_count == sum(v is None for v in expected[name])
        arr = t[name]
        if typ in ("int32", "int64"):
            assert isinstance(arr, np.ma.MaskedArray)
            assert str(arr.dtype) == typ
            mask = np.ma.getmaskarray(arr).tolist()
            assert mask == [v is None for v in expected[name]]
            assert [None if m else int(x) for x, m in zip(arr.data.tolist(), mask)] == expected[name]
            assert col.valid.tolist() == [v is not None for v in expected[name]]
        else:
            assert arr.dtype == object
            assert arr.tolist() == expected[name]
