"""Tests of the synthetic flow-log generator (vpcflow.synth) and the reference parser.

Pure Python + NumPy: nothing here needs the C extension.
"""

from __future__ import annotations

import calendar
import collections
import gzip
import importlib.util
import ipaddress
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.no_asan  # pure Python: nothing for the sanitizers to check

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from refparse import (
    KNOWN_FIELDS,
    RefParseError,
    RefReport,
    ref_parse_bytes,
    ref_parse_files,
)

try:
    from vpcflow import synth
except ImportError:  # the package's __init__ may need the C extension; synth itself does not
    _spec = importlib.util.spec_from_file_location("vpcflow_synth", ROOT / "vpcflow" / "synth.py")
    assert _spec is not None and _spec.loader is not None
    synth = importlib.util.module_from_spec(_spec)
    sys.modules["vpcflow_synth"] = synth
    _spec.loader.exec_module(synth)

# the same place as conftest.py's samples_dir: ../shared/samples, or $VPCFLOW_SHARED/samples
SAMPLES = Path(os.environ.get("VPCFLOW_SHARED", ROOT.parent / "shared")) / "samples"
BOGUS = "flowlogs-reader-v5-alphabetical-with-bogus-line.log"

V5_ORDER = [
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
    "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region",
    "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
    "flow-direction", "traffic-path",
]
ADMIN_PORTS = {22, 3389, 23, 445, 1433, 3306, 5432, 6379, 9200, 8080}
INTERNAL = [ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("172.31.0.0/16")]
V6_DOC = ipaddress.ip_network("2001:db8::/32")

REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
NAME = (r"(?P<acct>\d{12})_vpcflowlogs_(?P<region>" + REGION + r")_(?P<fl>fl-[0-9a-f]{17})_"
        r"(?P<ts>(?P<Y>\d{4})(?P<M>\d{2})(?P<D>\d{2})T(?P<h>\d{2})\d{2}Z)_[0-9a-f]{8}\.log\.gz")
LAYOUT_RE = {
    "default": r"AWSLogs/(?P<a>\d{12})/vpcflowlogs/(?P<r>" + REGION
               + r")/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/" + NAME,
    "hourly": r"AWSLogs/(?P<a>\d{12})/vpcflowlogs/(?P<r>" + REGION
              + r")/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<H>\d{2})/" + NAME,
    "hive": r"AWSLogs/aws-account-id=(?P<a>\d{12})/aws-service=vpcflowlogs/aws-region=(?P<r>"
            + REGION + r")/year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/hour=(?P<H>\d{2})/"
            + NAME,
    "flat": NAME,
}


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def text_of(path: str | Path) -> str:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("ascii")


def is_internal(addr: str) -> bool:
    a = ipaddress.ip_address(addr)
    return any(a in n for n in INTERNAL) or (a.version == 6 and a in
                                             ipaddress.ip_network("2600:1f18::/32"))


def share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, list]]:
    """A 30k-record default sample (one v2 and one v5 flow log), parsed by refparse."""
    dest = tmp_path_factory.mktemp("sample")
    info = synth.write_sample(dest, records=30_000, seed=11, hours=1)
    return info, ref_parse_files(dest)


# ------------------------------------------------------------------------------------------
# formats and lines
# ------------------------------------------------------------------------------------------

def test_format_fields() -> None:
    assert synth.format_fields("v2") == V5_ORDER[:14]
    assert synth.format_fields("v5") == V5_ORDER
    known = {name for name, _ in KNOWN_FIELDS}
    assert set(V5_ORDER) <= known
    with pytest.raises(ValueError):
        synth.format_fields("v9")


@pytest.mark.parametrize("fmt", ["v2", "v5"])
def test_generate_lines_deterministic(fmt: str) -> None:
    a = synth.generate_lines(3000, seed=7, fmt=fmt)
    assert a == synth.generate_lines(3000, seed=7, fmt=fmt)
    assert a != synth.generate_lines(3000, seed=8, fmt=fmt)
    assert len(a) == 3000
    width = len(synth.format_fields(fmt))
    assert all(len(line.split(" ")) == width for line in a)
    assert all("\n" not in line and line == line.strip() for line in a)
    assert {line.split()[0] for line in a} == {fmt[1]}


def test_generate_lines_bounds() -> None:
    assert synth.generate_lines(0) == []
    assert len(synth.generate_lines(1)) == 1
    cols = ref_parse_bytes("\n".join(synth.generate_lines(5000, seed=3, start=1_600_000_000,
                                                          duration=600)))
    assert min(cols["start"]) >= 1_600_000_000
    assert max(cols["start"]) < 1_600_000_600
    assert all(0 <= e - s <= 60 for s, e in zip(cols["start"], cols["end"]))
    with pytest.raises(ValueError):
        synth.generate_lines(10, fmt="v3")
    with pytest.raises(ValueError):
        synth.generate_lines(10, seed=-1)


def test_generate_lines_prefix_independent_of_n() -> None:
    """The world (accounts, ENIs, addresses) depends on the seed, not on n."""
    small = ref_parse_bytes("\n".join(synth.generate_lines(2000, seed=4)))
    big = ref_parse_bytes("\n".join(synth.generate_lines(20_000, seed=4)))
    assert set(small["account_id"]) == set(big["account_id"])
    assert set(small["interface_id"]) <= set(big["interface_id"])


# ------------------------------------------------------------------------------------------
# write_sample: files, names, layouts
# ------------------------------------------------------------------------------------------

def test_write_sample_deterministic(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"records": 4000, "hours": 1, "accounts": 2}
    a = synth.write_sample(tmp_path / "a", seed=3, **kw)
    b = synth.write_sample(tmp_path / "b", seed=3, **kw)
    synth.write_sample(tmp_path / "c", seed=4, **kw)
    ta, tb, tc = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(tmp_path / "c")
    assert ta == tb
    assert set(ta) != set(tc)
    assert (a.records, a.bytes, len(a.paths)) == (b.records, b.bytes, len(b.paths))
    assert a.bytes == sum(len(v) for v in ta.values())
    assert sorted(a.paths) == a.paths == sorted(str(tmp_path / "a" / k) for k in ta)
    assert not [k for k in ta if Path(k).name.startswith(".")], "temporary files left behind"


@pytest.mark.parametrize("layout", ["default", "hourly", "hive", "flat"])
def test_layouts(tmp_path: Path, layout: str) -> None:
    info = synth.write_sample(tmp_path, records=6000, seed=2, hours=3, layout=layout,
                              accounts=2, regions=("us-east-1", "eu-west-1"),
                              start=1_700_000_000)
    assert info.layout == layout
    files = tree(tmp_path)
    assert len(files) == len(info.paths) > 0
    accounts, flow_logs = set(), collections.defaultdict(set)
    for key, data in files.items():
        m = re.fullmatch(LAYOUT_RE[layout], key)
        assert m, key
        g = m.groupdict()
        if layout != "flat":
            assert g["a"] == g["acct"] and g["r"] == g["region"]
            assert (g["y"], g["m"], g["d"]) == (g["Y"], g["M"], g["D"])
        if layout in ("hourly", "hive"):
            assert g["H"] == g["h"]
        assert data[:2] == b"\x1f\x8b"
        ts = time.strptime(g["ts"], "%Y%m%dT%H%MZ")
        assert ts.tm_min % 5 == 0
        accounts.add(g["acct"])
        flow_logs[(g["acct"], g["region"])].add(g["fl"])
    assert len(accounts) == 2
    assert len(flow_logs) == 4 and all(len(v) == 2 for v in flow_logs.values())
    # 3 hours from 22:13:20 UTC cross midnight: two day folders
    assert len({k.split("_")[-2][:8] for k in files}) == 2


def test_records_headers_and_windows(tmp_path: Path) -> None:
    info = synth.write_sample(tmp_path, records=7777, seed=5, hours=2, formats=("v2", "v5", "v2"))
    assert info.records == 7777
    total = 0
    fmt_of_flow_log: dict[str, str] = {}
    for p in info.paths:
        lines = text_of(p).split("\n")
        assert lines[-1] == ""
        header, data = lines[0], lines[1:-1]
        fmt = "v5" if header == " ".join(synth.format_fields("v5")) else "v2"
        assert header == " ".join(synth.format_fields(fmt))
        fl = re.search(r"_(fl-[0-9a-f]{17})_", p).group(1)  # type: ignore[union-attr]
        assert fmt_of_flow_log.setdefault(fl, fmt) == fmt, "one format per flow log"
        ts = time.strptime(re.search(r"_(\d{8}T\d{4}Z)_", p).group(1),  # type: ignore[union-attr]
                           "%Y%m%dT%H%MZ")
        window = calendar.timegm(ts)
        start_col = synth.format_fields(fmt).index("start")
        for line in data:
            s = int(line.split()[start_col])
            assert window <= s < window + 300, (p, line)
        assert data, "files=None never writes an empty object"
        total += len(data)
    assert total == 7777
    assert sorted(fmt_of_flow_log.values()) == ["v2", "v2", "v5"]


@pytest.mark.parametrize("files", [2, 3, 7, 40, 61])
def test_files_option(tmp_path: Path, files: int) -> None:
    info = synth.write_sample(tmp_path, records=3000, seed=9, hours=1, files=files)
    assert len(info.paths) == len(set(info.paths)) == files
    cols = ref_parse_files(tmp_path)
    assert len(cols["version"]) == 3000
    # the same records as without files=, only cut differently
    other = ref_parse_files(synth.write_sample(tmp_path / "x", records=3000, seed=9,
                                               hours=1).paths)
    key = lambda c: sorted(zip(c["interface_id"], c["start"], c["end"],
                               map(str, c["srcaddr"]), map(str, c["bytes"])))
    assert key(cols) == key(other)


def test_files_too_few_and_bad_args(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        synth.write_sample(tmp_path, records=10, files=1)          # 2 flow logs
    with pytest.raises(ValueError):
        synth.write_sample(tmp_path, records=10, layout="s3")
    with pytest.raises(ValueError):
        synth.write_sample(tmp_path, records=10, formats=("v4",))
    with pytest.raises(ValueError):
        synth.write_sample(tmp_path, records=10, regions=("US_EAST",))


def test_plain_text(tmp_path: Path) -> None:
    info = synth.write_sample(tmp_path, records=500, seed=1, gzip=False, layout="flat",
                              formats=("v5",))
    assert all(p.endswith(".log") and not p.endswith(".gz") for p in info.paths)
    for p in info.paths:
        assert Path(p).parent == tmp_path
        assert Path(p).read_bytes().startswith(b"version account-id interface-id")
    assert len(ref_parse_files(info.paths)["version"]) == 500


def test_zero_records(tmp_path: Path) -> None:
    info = synth.write_sample(tmp_path, records=0)
    assert info.paths == [] and info.records == 0 and info.bytes == 0
    info = synth.write_sample(tmp_path / "f", records=0, files=2)
    assert len(info.paths) == 2                        # header-only objects, as asked
    assert ref_parse_files(info.paths)["version"] == []


# ------------------------------------------------------------------------------------------
# content: the documented distributions, via refparse
# ------------------------------------------------------------------------------------------

def test_sample_shape(sample: tuple[Any, dict[str, list]]) -> None:
    info, c = sample
    n = info.records
    assert list(c) == [name.replace("-", "_") for name in V5_ORDER]
    assert all(len(v) == n for v in c.values())
    assert set(c["version"]) == {2, 5}
    status = collections.Counter(c["log_status"])
    assert set(status) == {"OK", "NODATA", "SKIPDATA"}
    assert 0.006 < status["NODATA"] / n < 0.014
    assert 0.002 < status["SKIPDATA"] / n < 0.008


def test_nodata_skipdata_rows(sample: tuple[Any, dict[str, list]]) -> None:
    _, c = sample
    traffic = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
               "action"]
    v3plus = ["tcp_flags", "type", "pkt_srcaddr", "pkt_dstaddr", "pkt_src_aws_service",
              "pkt_dst_aws_service", "flow_direction", "traffic_path"]
    for i, st in enumerate(c["log_status"]):
        if st == "OK":
            assert all(c[f][i] is not None for f in traffic)
            continue
        assert all(c[f][i] is None for f in traffic)
        assert all(c[f][i] is not None for f in ("version", "account_id", "interface_id",
                                                 "start", "end"))
        if c["version"][i] == 5:
            assert all(c[f][i] is None for f in v3plus)
            assert c["vpc_id"][i] and c["region"][i] and c["az_id"][i]


def test_addresses(sample: tuple[Any, dict[str, list]]) -> None:
    _, c = sample
    ok = [i for i, st in enumerate(c["log_status"]) if st == "OK"]
    v6 = [":" in c["srcaddr"][i] for i in ok]
    assert 0.02 < share(v6) < 0.045
    internal4, external6 = set(), set()
    for i in ok:
        for a in (c["srcaddr"][i], c["dstaddr"][i]):
            ip = ipaddress.ip_address(a)
            assert ip.version == ipaddress.ip_address(c["dstaddr"][i]).version
            if ip.version == 4:
                if any(ip in net for net in INTERNAL):
                    internal4.add(a)
                else:
                    assert ip.is_global, a          # external IPv4 is never private/reserved
            elif not is_internal(a):
                external6.add(ip)
    assert 150 < len(internal4) < 800                # a few hundred hosts (two flow logs)
    assert any(ip in V6_DOC for ip in external6)
    assert any(ip.is_global for ip in external6)


def test_traffic_mix(sample: tuple[Any, dict[str, list]]) -> None:
    _, c = sample
    ok = [i for i, st in enumerate(c["log_status"]) if st == "OK"]
    icmp = [i for i in ok if c["protocol"][i] == 1]
    assert icmp and all(c["srcport"][i] == 0 and c["dstport"][i] == 0 for i in icmp)
    assert any(c["protocol"][i] == 17 and c["dstport"][i] == 53 for i in ok)
    scans = [c["action"][i] == "REJECT" for i in ok
             if c["protocol"][i] == 6 and c["dstport"][i] in ADMIN_PORTS
             and not is_internal(c["srcaddr"][i])]
    assert len(scans) > 500 and share(scans) > 0.9
    web = [c["action"][i] == "ACCEPT" for i in ok
           if c["dstport"][i] in (80, 443) and not is_internal(c["srcaddr"][i])
           and is_internal(c["dstaddr"][i])]
    assert len(web) > 1000 and share(web) > 0.95
    for i in ok:
        p, b = c["packets"][i], c["bytes"][i]
        assert p >= 1 and 40 * p <= b <= 1500 * p
        assert 0 <= c["end"][i] - c["start"][i] <= 60


def test_heavy_tails(sample: tuple[Any, dict[str, list]]) -> None:
    _, c = sample
    sizes = sorted((b for b in c["bytes"] if b is not None), reverse=True)
    assert sum(sizes[: len(sizes) // 100]) > 0.2 * sum(sizes)      # top 1% of records
    talkers = collections.Counter(a for a in c["srcaddr"] if a is not None)
    counts = sorted(talkers.values(), reverse=True)
    assert sum(counts[: len(counts) // 100 + 1]) > 0.15 * sum(counts)  # top 1% of sources


def test_v5_fields(sample: tuple[Any, dict[str, list]]) -> None:
    _, c = sample
    rows = [i for i, (v, st) in enumerate(zip(c["version"], c["log_status"]))
            if v == 5 and st == "OK"]
    assert rows
    differ = 0
    for i in rows:
        if c["protocol"][i] == 6:
            assert c["tcp_flags"][i] in {0, 1, 2, 3, 18, 19}
        else:
            assert c["tcp_flags"][i] == 0
        assert c["type"][i] == ("IPv6" if ":" in c["srcaddr"][i] else "IPv4")
        assert c["flow_direction"][i] in ("ingress", "egress")
        if c["flow_direction"][i] == "ingress":
            assert c["traffic_path"][i] is None
        else:
            assert 1 <= c["traffic_path"][i] <= 8
        assert c["pkt_src_aws_service"][i] in (None, "S3", "EC2", "AMAZON", "DYNAMODB")
        assert c["sublocation_type"][i] is None and c["sublocation_id"][i] is None
        assert re.fullmatch(r"vpc-0[0-9a-f]{16}", c["vpc_id"][i])
        assert re.fullmatch(r"subnet-0[0-9a-f]{16}", c["subnet_id"][i])
        assert c["instance_id"][i] is None or re.fullmatch(r"i-0[0-9a-f]{16}",
                                                           c["instance_id"][i])
        assert re.fullmatch(r"use1-az[1-6]", c["az_id"][i]) and c["region"][i] == "us-east-1"
        differ += (c["pkt_srcaddr"][i], c["pkt_dstaddr"][i]) != (c["srcaddr"][i], c["dstaddr"][i])
    assert 0 < differ < 0.2 * len(rows)               # NAT legs only
    services = {c["pkt_dst_aws_service"][i] for i in rows} | {c["pkt_src_aws_service"][i]
                                                             for i in rows}
    assert services == {None, "S3", "EC2", "AMAZON", "DYNAMODB"}
    assert {c["traffic_path"][i] for i in rows} >= {None, 1, 2, 7, 8}
    # ENI metadata is a function of the ENI
    meta: dict[str, tuple] = {}
    for i in rows:
        m = (c["vpc_id"][i], c["subnet_id"][i], c["instance_id"][i], c["az_id"][i])
        assert meta.setdefault(c["interface_id"][i], m) == m


# ------------------------------------------------------------------------------------------
# refparse on the external samples and on edge cases
# ------------------------------------------------------------------------------------------

SAMPLE_LOGS = sorted(p.name for p in SAMPLES.glob("*.log"))


def test_samples_present(samples_dir: Path) -> None:
    assert samples_dir == SAMPLES and BOGUS in SAMPLE_LOGS and len(SAMPLE_LOGS) >= 10


@pytest.mark.parametrize("name", [n for n in SAMPLE_LOGS if n != BOGUS])
def test_refparse_samples(name: str) -> None:
    report = RefReport()
    cols = ref_parse_files(SAMPLES / name, report=report)
    text = (SAMPLES / name).read_text().splitlines()
    assert report.rows == len(text) - 1 == len(next(iter(cols.values())))
    assert report.header_lines == 1 and report.bad_lines == 0
    header = text[0].split()
    assert set(cols) == {h.replace("-", "_") for h in header}
    order = [n.replace("-", "_") for n, _ in KNOWN_FIELDS]
    assert list(cols) == sorted(cols, key=order.index)


def test_refparse_bogus_line() -> None:
    with pytest.raises(ValueError) as e:
        ref_parse_files(SAMPLES / BOGUS)
    assert isinstance(e.value, RefParseError)
    assert (e.value.line, e.value.text) == (4, "bogus line")
    report = RefReport()
    cols = ref_parse_files(SAMPLES / BOGUS, on_error="skip", report=report)
    assert len(cols["srcaddr"]) == 2 and report.bad_lines == 1
    assert cols["pkt_src_aws_service"] == ["S3", None] and cols["traffic_path"] == [None, 7]


def test_refparse_sample_values() -> None:
    v2 = ref_parse_files(SAMPLES / "aws-docs-v2.log")
    assert v2["srcaddr"][6] == "2001:db8:1234:a100:8d6e:3477:df66:f105"
    assert v2["action"][2] is None and v2["log_status"][2:4] == ["NODATA", "SKIPDATA"]
    assert v2["srcport"][:2] == [20641, 49761]
    flags = ref_parse_files(SAMPLES / "aws-docs-v3-tcp-flags.log")   # has a double space
    assert flags["dstport"][-1] == 43638 and flags["tcp_flags"][-1] == 19
    tgw = ref_parse_files(SAMPLES / "flowlogs-reader-v6-transit-gateway.log")
    assert tgw["packets_lost_ttl_expired"] == [16] and tgw["tgw_id"] == ["00000000"]
    nat = ref_parse_files(SAMPLES / "nat-gateway-services.log")
    assert nat["pkt_dst_aws_service"][0] == "EC2" and nat["pkt_srcaddr"][1] is None
    both = ref_parse_files([SAMPLES / "aws-docs-v2.log", SAMPLES / "aws-docs-v5.log"])
    assert len(both["version"]) == 9 and both["flow_direction"][:7] == [None] * 7


def test_refparse_rules(tmp_path: Path) -> None:
    header = "version srcaddr start end\n"
    body = "2 10.0.0.1 1700000000000 1700000060\n" + header + "2 2001:DB8:0:0::1 - -\n"
    gz = gzip.compress(header.encode()) + gzip.compress(body.encode())   # two members
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.log.gz").write_bytes(gz)
    (tmp_path / "d" / "sub" / "a.log").write_text("2 1 eni-1 - - - - - - - 5 6 - NODATA\n")
    (tmp_path / "d" / "a.log").write_text("\nnew-field srcport\nx 0\n")
    report = RefReport()
    cols = ref_parse_files(tmp_path / "d", report=report)
    # files in sorted relative-path order: a.log, b.log.gz, sub/a.log
    assert list(cols) == ["version", "account_id", "interface_id", "srcaddr", "dstaddr",
                          "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
                          "action", "log_status", "new_field"]
    assert cols["new_field"] == ["x", None, None, None]
    assert cols["srcport"] == [0, None, None, None]
    assert cols["start"] == [None, 1700000000, None, 5]
    assert cols["srcaddr"] == [None, "10.0.0.1", "2001:db8::1", None]
    assert report.ms_fixed == 1 and report.header_lines == 3 and report.files == 3
    assert report.rows == 4 and report.lines == 3 + 4 + 1
    # fields= overrides; LogFormat string and underscores accepted
    a = ref_parse_bytes("443 -\n", fields="${srcport} ${dst-port}")
    b = ref_parse_bytes("443 -\n", fields=["srcport", "dst_port"])
    assert a == b == {"srcport": [443], "dst_port": [None]}
    # bad values
    for bad in ("2 x", "2 10.0.0.256", "99999999999 10.0.0.1", "2 fe80::1%eth0", "+2 1.2.3.4",
                "2 1.2.3.4 5"):
        with pytest.raises(RefParseError):
            ref_parse_bytes(bad + "\n", fields=["version", "srcaddr"])
    skipped = RefReport()
    assert ref_parse_bytes("2 x\n3 1.2.3.4\n", fields="version srcaddr", on_error="skip",
                           report=skipped) == {"version": [3], "srcaddr": ["1.2.3.4"]}
    assert skipped.bad[0].field == "srcaddr" and skipped.bad[0].line == 1
    # a first line that is not a header: lowercase words but no known field
    with pytest.raises(RefParseError):
        ref_parse_bytes("bogus line\n")


@pytest.mark.parametrize("fmt", ["v2", "v5"])
def test_generated_lines_parse(fmt: str) -> None:
    header = " ".join(synth.format_fields(fmt))
    lines = synth.generate_lines(2000, seed=12, fmt=fmt)
    cols = ref_parse_bytes(header + "\n" + "\n".join(lines) + "\n")
    assert len(cols["version"]) == 2000
    # rendering round-trips: re-rendering the parsed values gives the lines back
    names = [h.replace("-", "_") for h in synth.format_fields(fmt)]
    again = [" ".join("-" if cols[nm][i] is None else str(cols[nm][i]) for nm in names)
             for i in range(2000)]
    assert again == lines
