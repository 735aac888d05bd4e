"""Deterministic, realistic synthetic AWS VPC Flow Logs.

Pure Python + NumPy (no dependency on the C extension).  Used by the demo notebooks, the tests
and the benchmarks.  Output depends only on the arguments: the same ``seed`` (and other
arguments) gives identical lines and identical file bytes (gzip members are written with
``mtime=0`` and no file name), on any run of the same NumPy/zlib.

Public API
----------
``generate_lines(n, *, seed, fmt, start, duration)``
    ``n`` data lines (no header) of one flow log in the ``"v2"`` default format or the ``"v5"``
    custom format (see :func:`format_fields`).
``format_fields(fmt)``
    The header field names of a format.
``write_sample(dest, *, records, seed, files, accounts, regions, start, hours, gzip, ...)``
    An S3-like tree of delivered log objects, returning a :class:`SampleInfo`.

The simulated world
-------------------
Every (account, region) has one VPC: primary CIDR ``10.0.0.0/16``, secondary CIDR
``172.31.0.0/16``, an Amazon-style IPv6 ``/56`` inside ``2600:1f18::/32``, and three
availability zones picked from the region's (6 in us-east-1, 4 in us-west-2, else 3); ``az-id``
is AWS's short form (``us-east-1`` -> ``use1-az4``).  Flow log ``j`` of the pair is a
subnet-level flow log over its own nine ``/24`` subnets, one of each kind per zone: public
``10.0.(16j+z).0``, private ``10.0.(128+16j+z).0``, secondary ``172.31.(16j+z).0`` (zone
``z`` = 0..2; disjoint for ``j < 8``), each with its own ``/64``.  ``generate_lines`` uses the
first flow log of the first account in ``us-east-1``.  The world of a flow log (its hosts and
peers) is drawn once from ``(seed, account, region, flow log)``; the records are then drawn from
a second generator seeded the same way.

* **Hosts** (network interfaces): uniform 250..350 per flow log, each with one ENI, one
  subnet, a unique IPv4 address at offset 4..254 of its subnet, and a role: 3 NAT gateways
  (one per public subnet, no instance), 1 bastion (public), ``round(0.22 * H)`` web (public;
  30% are load-balancer ENIs without instance), 2 DNS servers, 8 databases, 4 caches, 6 search
  nodes (private), and app servers for the rest (65% in private subnets, 35% in secondary-CIDR
  subnets, 20% of the latter without instance, e.g. Lambda).  Instance-backed ENIs are Nitro
  with probability 0.85 (this picks traffic-path 7/8 over 2).  Dual stack (an IPv6 address in
  the subnet's ``/64`` with a random interface id): the bastion, 40% of web and 10% of app
  hosts (at least one of each).
* **External peers.**  20,000 public IPv4 addresses drawn uniformly from the unicast space
  minus every private, shared, loopback, link-local, documentation, benchmarking, multicast and
  reserved range, minus the AWS service prefixes below, and never ending in .0 or .255;
  3,000 IPv6 peers, half in the documentation prefix ``2001:db8::/32`` and half under real
  provider ``/32`` prefixes (Google, Cloudflare, Meta, Microsoft, Akamai, Fastly), a third of
  those with small server-style interface ids; 6 scanner addresses (public IPv4); the public
  resolvers 8.8.8.8, 8.8.4.4, 1.1.1.1, 1.0.0.1, 9.9.9.9, 208.67.222.222; AWS service
  addresses labelled for ``pkt-*-aws-service``: 40 ``S3`` (52.216.0.0/15, 3.5.0.0/19,
  54.231.0.0/16), 12 ``DYNAMODB`` (3.218.180.0/22, 3.218.184.0/22, 52.94.0.0/22), 300 ``EC2``
  (3.80.0.0/12, 54.144.0.0/14, 18.204.0.0/14, 44.192.0.0/11) and 150 ``AMAZON``
  (52.119.128.0/17, 15.230.0.0/16, 16.182.0.0/16).  Every other address has service ``-``.
  Noise sources (below) are fresh addresses drawn the same way for each record.
* **Heavy tails.**  Whenever a talker is picked from a pool (web servers, clients, external
  peers, resolvers, AWS service addresses, scanners), the pick is Zipf-like: the item of rank
  ``r`` (ranks are a random order fixed per world) has weight ``r ** -s``, with ``s = 1.0``
  for external peers and resolvers and ``s = 1.1`` otherwise.  Scan, noise, ICMP and SSH
  targets, DNS servers, NAT gateways and NODATA/SKIPDATA ENIs are picked uniformly.

Records
-------
Each record's category is drawn with these shares (one multinomial over the ``n`` records).
A category then draws whole flows, each emitting the records listed (a REJECTed flow emits
only its first record, at the ENI that rejected it), until it has its count; its last flow may
be cut short.

===========  =====  =======================================================================
category     share  flows (records per accepted flow, where they are captured)
===========  =====  =======================================================================
web_in       27.0%  external client -> web host, TCP 443 (85%) / 80; 99% ACCEPT;
                    2 records at the web ENI (request ingress, response egress)
egress       13.0%  public host -> external peer (93% pool, 7% EC2 addresses): TCP 443
                    (80%), TCP 80 (15%), UDP 123 (5%); 99.7% ACCEPT; 2 at the host
nat          12.0%  private app/cache/search host -> NAT gateway -> external peer (85% pool,
                    15% AMAZON/EC2), TCP 443 (90%) / 80; ACCEPT; 6 records: 4 at the NAT
                    ENI (inside legs with ``pkt-*`` = the peer; outside legs from a
                    translated source port) and 2 at the host ENI
east_west    20.0%  app -> db 5432 (25%), db 3306 (10%), cache 6379 (20%), search 9200
                    (10%), app 8080 (25%), app 443 (5%); bastion -> any private host 22
                    (5%); TCP; 97% ACCEPT; 4 records (both ENIs, both directions)
dns_int       5.5%  host -> internal DNS server, port 53, UDP (95%) / TCP; 4 records
dns_ext       2.5%  public host -> public resolver, port 53, UDP (95%) / TCP; 2 at the host
aws_service   3.0%  private host -> S3 (65%) / DYNAMODB TCP 443 through a gateway endpoint;
                    2 at the host
icmp_in       0.8%  external -> public host, ICMP echo; 60% ACCEPT; 2 at the host
icmp_int      0.8%  host -> private host, ICMP; 98% ACCEPT; 4 records
icmp_out      0.4%  public host -> external, ICMP; ACCEPT; 2 at the host
scanner       8.0%  scanner -> public host, TCP to 22 (25%), 3389 (15%), 23 (10%), 445
                    (10%), 1433 (5%), 3306 (7%), 5432 (5%), 6379 (8%), 9200 (5%), 8080
                    (10%); ACCEPT for the bastion's port 22 and 2% of the rest, else
                    REJECT (about 97% REJECT); 2 at the target
noise         2.5%  fresh public IPv4 -> public host, TCP (85%) / UDP, port uniform
                    1..65535 (50%) or a common service port; REJECT; 1 record
ipv6_in       1.6%  IPv6 peer -> dual-stack web host, TCP 443 (85%) / 80; 98% ACCEPT; 2
ipv6_out      1.0%  dual-stack host -> IPv6 peer, TCP 443; ACCEPT; 2 at the host
icmpv6        0.4%  IPv6 peer -> dual-stack host, protocol 58; 70% ACCEPT; 2 at the host
nodata        1.0%  ``NODATA`` record on an ENI
skipdata      0.5%  ``SKIPDATA`` record on an ENI
===========  =====  =======================================================================

So about 3% of records are IPv6 and 1.5% carry no traffic.

* **Ports.**  Client (ephemeral) ports: 80% uniform 32768..60999 (Linux), 20% uniform
  49152..65535 (Windows); NAT gateways translate to a fresh port from the same mixture; a
  scanner uses its own fixed source port (uniform 1024..65535, drawn per flow log) with
  probability 0.6, else an ephemeral one.  ICMP and ICMPv6 records have ports 0.
* **Packets and bytes.**  TCP data flows: forward packets ``ceil(xm * (1 + Lomax(1.2)))`` (a
  Pareto tail; ``xm`` 2..6 by category), reverse packets
  ``max(1, round(forward * ratio * LogNormal(0, 0.35)))`` (``ratio`` 1.0..1.5), both capped at
  5,000,000; bytes = ``round(packets * size)`` with the per-packet size
  ``LogNormal(log(median), sigma)`` clipped to 40..1500 (forward: median 90..600 by category,
  sigma 0.6; reverse: median 120..1100, sigma 0.35).  So ``40 * packets <= bytes <= 1500 *
  packets`` always.  Rejected flows and noise: Geometric(0.6) packets (1, 2, ...) of 40..60
  bytes each.  ICMP (also when rejected): Geometric(0.25) packets of 84 bytes.  DNS and NTP:
  Geometric(0.7) packets of 60..89 bytes out and 80..399 back.  The records of one flow at
  both ENIs repeat the flow's numbers.
* **TCP flags** (``tcp-flags``; 0 for non-TCP): initiator records 2 (SYN, 25%), 3 (SYN+FIN,
  45%), 1 (FIN, 10%), 0 (20%); responder records the matching 18, 19, 1, 0.  A REJECTed TCP
  flow has 2.
* **Time.**  A flow starts uniformly in ``[start, start + duration)``; records after the first
  of a flow start 0..2 s later (capped at the range end).  ``end - start`` is uniform 45..60
  with probability 0.75, else uniform 0..44 (a 60 s aggregation interval).  Records are ordered
  by the (UTC) minute of their start and randomly within a minute, as in a delivered object.
* **NODATA / SKIPDATA.**  ``srcaddr dstaddr srcport dstport protocol packets bytes action`` are
  ``-`` (as AWS writes them); ``version account-id interface-id start end log-status`` and the
  ENI's metadata (``vpc-id subnet-id instance-id region az-id sublocation-*``) are written;
  ``tcp-flags type pkt-* pkt-*-aws-service flow-direction traffic-path`` are ``-``.
* **v5 fields.**  ``vpc-id``/``subnet-id``/``instance-id``/``az-id`` come from the ENI (instance
  ``-`` for NAT gateways, load balancers, Lambda).  ``type`` is ``IPv4``/``IPv6`` from the
  address family.  ``pkt-srcaddr``/``pkt-dstaddr`` equal ``srcaddr``/``dstaddr`` except on the
  inside legs of NAT flows, where one of them is the peer behind the gateway.
  ``pkt-*-aws-service`` is the label of the ``pkt-*`` address.  ``flow-direction`` is
  ``egress`` when ``srcaddr`` is the capturing ENI's address, else ``ingress``.
  ``traffic-path`` is ``-`` for ingress; for egress: within the VPC (including to or through a
  NAT gateway) 1 (94%), 4 (3%), 5 (1%), 3 (2%); to the internet 8 on Nitro, else 2; to
  S3/DynamoDB through the gateway endpoint 7 on Nitro, else 2.
  ``sublocation-type``/``sublocation-id`` are ``-``.

Delivered objects (``write_sample``)
------------------------------------
Each (account, region) pair has ``len(formats)`` flow logs, flow log ``i`` in format
``formats[i]``.  Records are split over all flow logs by an equal-probability multinomial.
Time is cut into 5-minute delivery windows aligned to multiples of 300 s since the epoch; one
object per window per flow log (windows without records are skipped), named by the window's
start ``YYYYMMDDTHHmmZ`` (UTC) and an 8-hex-digit hash of (seed, account, region, flow log,
window, part).  Objects begin with their format's header line.  See :func:`write_sample` for
the layouts and the ``files`` option.

Rendering
---------
Columns are built as NumPy arrays and rendered without a per-row Python loop: every field is a
code into a byte-string table (addresses, ports, times, enums, and per-ENI metadata, fused into
one piece when consecutive) or a decimal rendered from a digit matrix (packets, bytes).  Chunk
by chunk, the pieces fill a NUL-padded byte matrix (row gathers from padded tables), and one
boolean compaction drops the padding.
"""

from __future__ import annotations

import gzip as _gzip
import hashlib
import ipaddress
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = [
    "LAYOUTS",
    "V2_FIELDS",
    "V5_FIELDS",
    "SampleInfo",
    "format_fields",
    "generate_lines",
    "write_sample",
]

IntArray = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
PathLike = str | os.PathLike

# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

V2_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)
"""The default (version 2) flow-log format."""

V5_FIELDS: tuple[str, ...] = V2_FIELDS + (
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path",
)
"""A custom format with every field up to version 5, in a realistic order."""

_FORMATS: dict[str, tuple[str, ...]] = {"v2": V2_FIELDS, "v5": V5_FIELDS}
_VERSION: dict[str, str] = {"v2": "2", "v5": "5"}

LAYOUTS: tuple[str, ...] = ("default", "hourly", "hive", "hive-daily", "flat")
"""The object-key layouts :func:`write_sample` knows."""

_WINDOW = 300  # seconds per delivery window


def format_fields(fmt: str) -> list[str]:
    """Return the header field names of flow-log format ``fmt``.

    ``"v2"`` is AWS's default format; ``"v5"`` is a custom format with all 29 fields of
    versions 2 to 5.

    >>> format_fields("v2")[:4]
    ['version', 'account-id', 'interface-id', 'srcaddr']
    >>> len(format_fields("v5"))
    29
    """
    try:
        return list(_FORMATS[fmt])
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(_FORMATS)}") from None


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _hexid(rng: np.random.Generator) -> str:
    """An AWS-style 17-hex-digit resource id suffix ('0' + 16 random hex digits)."""
    return "0" + rng.bytes(8).hex()


def _v4str(x: int) -> str:
    return f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}"


def _net(cidr: str) -> tuple[int, int]:
    n = ipaddress.IPv4Network(cidr)
    return int(n.network_address), int(n.netmask)


_SPECIAL_V4 = tuple(_net(c) for c in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
))

_SERVICES: tuple[str, ...] = ("-", "AMAZON", "EC2", "S3", "DYNAMODB")
_SVC = {name: i for i, name in enumerate(_SERVICES)}
_SERVICE_NETS: dict[str, tuple[str, ...]] = {
    "S3": ("52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16"),
    "DYNAMODB": ("3.218.180.0/22", "3.218.184.0/22", "52.94.0.0/22"),
    "EC2": ("3.80.0.0/12", "54.144.0.0/14", "18.204.0.0/14", "44.192.0.0/11"),
    "AMAZON": ("52.119.128.0/17", "15.230.0.0/16", "16.182.0.0/16"),
}
_SERVICE_COUNTS = {"S3": 40, "DYNAMODB": 12, "EC2": 300, "AMAZON": 150}
_AWS_V4 = tuple(_net(c) for nets in _SERVICE_NETS.values() for c in nets)

_RESOLVERS = ("8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222")
_V6_PROVIDERS = (0x2A001450, 0x26064700, 0x2A032880, 0x262001EC, 0x2A0226F0, 0x2A044E42)
_V6_DOC = 0x20010DB8
_V6_AWS = 0x26001F18

_AZ_COUNT = {"us-east-1": 6, "us-west-2": 4}
_DIRECTIONS = {
    "north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


def _az_prefix(region: str) -> str:
    """AWS's short region code used in AZ ids: ``ap-southeast-2`` -> ``apse2``."""
    parts = region.split("-")
    return parts[0] + "".join(_DIRECTIONS.get(p, p[0]) for p in parts[1:-1]) + parts[-1]


def _public_v4(rng: np.random.Generator, k: int) -> npt.NDArray[np.uint32]:
    """``k`` distinct random public unicast IPv4 addresses outside special and AWS ranges."""
    out = np.empty(0, np.uint32)
    while out.size < k:
        x = rng.integers(1 << 24, 224 << 24, size=2 * k + 16, dtype=np.int64).astype(np.uint32)
        ok = ((x & 255) != 0) & ((x & 255) != 255)
        for net, mask in _SPECIAL_V4 + _AWS_V4:
            ok &= (x & np.uint32(mask)) != np.uint32(net)
        out = np.concatenate([out, x[ok]])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:k]


@lru_cache(maxsize=64)
def _zipf_cdf(n: int, s: float) -> npt.NDArray[np.float64]:
    w = np.arange(1, n + 1, dtype=np.float64) ** -s
    c = np.cumsum(w)
    return c / c[-1]


def _zipf_pos(rng: np.random.Generator, n: int, size: int, s: float) -> IntArray:
    """Positions 0..n-1 drawn with weight ``(pos + 1) ** -s``."""
    pos = np.searchsorted(_zipf_cdf(n, s), rng.random(size), side="right")
    return np.minimum(pos, n - 1).astype(np.int64)


def _zipf(rng: np.random.Generator, items: npt.NDArray[np.int32], size: int,
          s: float = 1.1) -> I32Array:
    return items[_zipf_pos(rng, items.size, size, s)]


def _uniform(rng: np.random.Generator, items: npt.NDArray[np.int32], size: int) -> I32Array:
    return items[rng.integers(0, items.size, size)]


def _ephemeral(rng: np.random.Generator, m: int) -> IntArray:
    linux = rng.integers(32768, 61000, m)
    windows = rng.integers(49152, 65536, m)
    return np.where(rng.random(m) < 0.8, linux, windows)


def _sized(rng: np.random.Generator, pk: IntArray, median: float, sigma: float) -> IntArray:
    size = np.clip(rng.lognormal(np.log(median), sigma, pk.size), 40.0, 1500.0)
    return np.rint(pk * size).astype(np.int64)


_Volumes = tuple[IntArray, IntArray, IntArray, IntArray]  # fwd packets, fwd bytes, rev ...


def _data_volumes(rng: np.random.Generator, m: int, *, xm: float, fwd_size: float,
                  rev_size: float, ratio: float) -> _Volumes:
    fpk = np.minimum(np.ceil(xm * (1.0 + rng.pareto(1.2, m))), 5_000_000).astype(np.int64)
    rpk = np.maximum(1, np.rint(fpk * ratio * rng.lognormal(0.0, 0.35, m))).astype(np.int64)
    rpk = np.minimum(rpk, 5_000_000)
    return fpk, _sized(rng, fpk, fwd_size, 0.6), rpk, _sized(rng, rpk, rev_size, 0.35)


def _probe_volumes(rng: np.random.Generator, m: int) -> _Volumes:
    pk = rng.geometric(0.6, m).astype(np.int64)
    by = pk * rng.integers(40, 61, m)
    return pk, by, pk.copy(), pk * rng.integers(40, 61, m)


def _icmp_volumes(rng: np.random.Generator, m: int) -> _Volumes:
    pk = rng.geometric(0.25, m).astype(np.int64)
    return pk, pk * 84, pk.copy(), pk * 84


def _dns_volumes(rng: np.random.Generator, m: int) -> _Volumes:
    pk = rng.geometric(0.7, m).astype(np.int64)
    return pk, pk * rng.integers(60, 90, m), pk.copy(), pk * rng.integers(80, 400, m)


def _where_vol(mask: BoolArray, a: _Volumes, b: _Volumes) -> _Volumes:
    return tuple(np.where(mask, x, y) for x, y in zip(a, b))  # type: ignore[return-value]


_FWD_FLAGS = np.array([0, 1, 2, 3])
_REV_FLAGS = np.array([0, 1, 18, 19])


def _tcp_flags(rng: np.random.Generator, m: int) -> tuple[IntArray, IntArray]:
    k = rng.choice(4, size=m, p=[0.2, 0.1, 0.25, 0.45])
    return _FWD_FLAGS[k], _REV_FLAGS[k]


def _flows_needed(k: IntArray, records: int) -> int:
    """How many leading flows with ``k`` records each make at least ``records`` records."""
    return int(np.searchsorted(np.cumsum(k), records, side="left")) + 1


# --------------------------------------------------------------------------------------------
# The world of one flow log
# --------------------------------------------------------------------------------------------

@dataclass
class _World:
    account: str
    region: str
    vpc_id: str
    flow_log_id: str
    addr_str: list[str]            # address table; index 0 is '-'
    addr_v6: BoolArray
    addr_svc: npt.NDArray[np.int8]
    addr_host: I32Array            # host index of an internal address, else -1
    host_v4: I32Array              # address index per host
    host_v6: I32Array              # address index per host, 0 if none
    host_eni: list[str]
    host_subnet: list[str]
    host_instance: list[str]
    host_az: list[str]
    host_nitro: BoolArray
    groups: dict[str, I32Array] = field(default_factory=dict)   # host indices by role
    pools: dict[str, I32Array] = field(default_factory=dict)    # address indices


class _AddrBook:
    def __init__(self) -> None:
        self.strs: list[str] = ["-"]
        self.v6: list[bool] = [False]
        self.svc: list[int] = [0]
        self.host: list[int] = [-1]

    def add(self, strs: Sequence[str], *, v6: bool = False, svc: int = 0,
            hosts: Sequence[int] | None = None) -> I32Array:
        base = len(self.strs)
        self.strs.extend(strs)
        self.v6.extend([v6] * len(strs))
        self.svc.extend([svc] * len(strs))
        self.host.extend(hosts if hosts is not None else [-1] * len(strs))
        return np.arange(base, base + len(strs), dtype=np.int32)


def _world_rng(seed: int, account_index: int, region_index: int, flow_log_index: int,
               purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, account_index, region_index, flow_log_index, purpose])


def _account_ids(seed: int, k: int) -> list[str]:
    """``k`` distinct 12-digit account ids; the first ones do not depend on ``k``."""
    rng = np.random.default_rng([seed, 0xACC0])
    out: list[str] = []
    while len(out) < k:
        a = str(int(rng.integers(10**11, 10**12)))
        if a not in out:
            out.append(a)
    return out


@lru_cache(maxsize=16)
def _build_world(seed: int, account_index: int, region_index: int, flow_log_index: int,
                 account: str, region: str) -> _World:
    """The world of one flow log (cached; treat it as immutable)."""
    # The VPC of the account/region, shared by its flow logs.
    vpc_rng = _world_rng(seed, account_index, region_index, 0, 0x7C)
    vpc_id = "vpc-" + _hexid(vpc_rng)
    n_az = _AZ_COUNT.get(region, 3)
    az_ids = [f"{_az_prefix(region)}-az{k + 1}"
              for k in np.sort(vpc_rng.choice(n_az, 3, replace=False))]
    v6_56 = ((_V6_AWS << 96) | (int(vpc_rng.integers(0, 1 << 16)) << 80)
             | (int(vpc_rng.integers(0, 256)) << 72))

    # This flow log's subnets: (first address, kind, zone index); /24s, disjoint for j < 8.
    rng = _world_rng(seed, account_index, region_index, flow_log_index, 0)
    j = flow_log_index % 8
    flow_log_id = "fl-" + _hexid(rng)
    subnets: list[tuple[int, str, int]] = []
    for kind, base in (("public", (10 << 24) | ((16 * j) << 8)),
                       ("private", (10 << 24) | ((128 + 16 * j) << 8)),
                       ("secondary", (172 << 24) | (31 << 16) | ((16 * j) << 8))):
        for zone in range(3):
            subnets.append((base + (zone << 8), kind, zone))
    subnet_ids = ["subnet-" + _hexid(rng) for _ in subnets]
    by_kind = {kind: [i for i, s in enumerate(subnets) if s[1] == kind]
               for kind in ("public", "private", "secondary")}

    # Hosts by role.
    n_hosts = int(rng.integers(250, 351))
    n_web = round(0.22 * n_hosts)
    n_app = n_hosts - n_web - (3 + 1 + 2 + 8 + 4 + 6)
    n_app_sec = round(0.35 * n_app)
    roles = (("nat", 3, "public"), ("bastion", 1, "public"), ("web", n_web, "public"),
             ("dns", 2, "private"), ("db", 8, "private"), ("cache", 4, "private"),
             ("search", 6, "private"), ("app", n_app - n_app_sec, "private"),
             ("app", n_app_sec, "secondary"))
    role_of: list[str] = []
    subnet_of: list[int] = []
    zones = rng.integers(0, 3, n_hosts).tolist()
    for role, count, kind in roles:
        for i in range(count):
            zone = i if role == "nat" else zones[len(role_of)]
            role_of.append(role)
            subnet_of.append(by_kind[kind][zone])
    subnet_arr = np.array(subnet_of)

    host_ip = np.zeros(n_hosts, np.int64)
    for s, (first, _, _) in enumerate(subnets):
        members = np.flatnonzero(subnet_arr == s)
        host_ip[members] = first + 4 + rng.choice(251, size=members.size, replace=False)

    instance: list[str] = []
    coin = rng.random(n_hosts).tolist()
    for i, role in enumerate(role_of):
        secondary = subnets[subnet_of[i]][1] == "secondary"
        no_instance = (role == "nat" or (role == "web" and coin[i] < 0.3)
                       or (role == "app" and secondary and coin[i] < 0.2))
        instance.append("-" if no_instance else "i-" + _hexid(rng))
    nitro = np.array([inst != "-" for inst in instance]) & (rng.random(n_hosts) < 0.85)
    eni = ["eni-" + _hexid(rng) for _ in range(n_hosts)]

    role_arr = np.array(role_of)
    dual = (role_arr == "bastion") | ((role_arr == "web") & (rng.random(n_hosts) < 0.4)) \
        | ((role_arr == "app") & (rng.random(n_hosts) < 0.1))
    dual[np.flatnonzero(role_arr == "web")[0]] = True
    dual[np.flatnonzero(role_arr == "app")[0]] = True

    book = _AddrBook()
    host_v4 = book.add([_v4str(int(x)) for x in host_ip], hosts=range(n_hosts))
    dual_hosts = np.flatnonzero(dual)
    v6_strs = []
    for h in dual_hosts:
        iid = int.from_bytes(rng.bytes(8), "big")
        v6_64 = v6_56 | ((16 * j + subnet_of[h]) << 64)
        v6_strs.append(str(ipaddress.IPv6Address(v6_64 | iid)))
    host_v6 = np.zeros(n_hosts, np.int32)
    host_v6[dual_hosts] = book.add(v6_strs, v6=True, hosts=dual_hosts.tolist())

    pools: dict[str, I32Array] = {}
    pools["ext4"] = book.add([_v4str(int(x)) for x in _public_v4(rng, 20_000)])
    half = 1_500
    doc = rng.bytes(12 * half)
    provider = rng.integers(0, len(_V6_PROVIDERS), half).tolist()
    net = rng.bytes(4 * half)
    small = (rng.random(half) < 1 / 3).tolist()
    small_iid = rng.integers(1, 1 << 16, half).tolist()
    big_iid = rng.bytes(8 * half)
    ext6: list[str] = []
    for i in range(half):
        ext6.append(str(ipaddress.IPv6Address(
            (_V6_DOC << 96) | int.from_bytes(doc[12 * i:12 * i + 12], "big"))))
        iid = small_iid[i] if small[i] else int.from_bytes(big_iid[8 * i:8 * i + 8], "big")
        ext6.append(str(ipaddress.IPv6Address(
            (_V6_PROVIDERS[provider[i]] << 96)
            | (int.from_bytes(net[4 * i:4 * i + 4], "big") << 64) | iid)))
    pools["ext6"] = book.add(ext6, v6=True)
    pools["scanners"] = book.add([_v4str(int(x)) for x in _public_v4(rng, 6)])
    pools["resolvers"] = book.add(list(_RESOLVERS))
    for name, nets in _SERVICE_NETS.items():
        seen: list[str] = []
        while len(seen) < _SERVICE_COUNTS[name]:
            n = ipaddress.IPv4Network(nets[int(rng.integers(0, len(nets)))])
            a = _v4str(int(n.network_address) + int(rng.integers(1, n.num_addresses - 1)))
            if a not in seen:
                seen.append(a)
        pools[name] = book.add(seen, svc=_SVC[name])

    def shuffled(mask: BoolArray) -> I32Array:
        """The hosts in ``mask`` in a random order (their Zipf ranks)."""
        return rng.permutation(np.flatnonzero(mask)).astype(np.int32)

    groups: dict[str, I32Array] = {}
    for role in ("nat", "bastion", "web", "dns", "db", "cache", "search", "app"):
        groups[role] = shuffled(role_arr == role)
    public = np.array([subnets[s][1] == "public" for s in subnet_of])
    groups["public"] = shuffled(public & (role_arr != "nat"))
    groups["private"] = shuffled(~public)
    groups["private_app"] = shuffled(~public & np.isin(role_arr, ["app", "search", "cache"]))
    groups["clients"] = shuffled(np.isin(role_arr, ["app", "web", "search", "bastion"]))
    groups["dual_web"] = shuffled(dual & (role_arr == "web"))
    groups["dual"] = shuffled(dual)

    return _World(
        account=account, region=region, vpc_id=vpc_id, flow_log_id=flow_log_id,
        addr_str=book.strs, addr_v6=np.array(book.v6), addr_svc=np.array(book.svc, np.int8),
        addr_host=np.array(book.host, np.int32), host_v4=host_v4, host_v6=host_v6,
        host_eni=eni, host_subnet=[subnet_ids[s] for s in subnet_of], host_instance=instance,
        host_az=[az_ids[subnets[s][2]] for s in subnet_of], host_nitro=nitro,
        groups=groups, pools=pools,
    )


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

# Traffic-path kinds of a record variant.
_TP_NONE, _TP_LOCAL, _TP_INET, _TP_GWE = 0, 1, 2, 3

# A spec row describes one record of a flow, as indices into the flow's endpoint and port lists:
#   src, dst, pkt-src, pkt-dst, srcport, dstport, capturing ENI (an endpoint), reverse?, tp kind.
# Row 0 is always the record of the first packet seen where it is accepted or rejected, so a
# REJECTed flow keeps only row 0.
_SPEC_IN2 = np.array([          # endpoint 0 outside -> endpoint 1 (captured at 1)
    [0, 1, 0, 1, 0, 1, 1, 0, _TP_NONE],
    [1, 0, 1, 0, 1, 0, 1, 1, _TP_INET],
])
_SPEC_OUT2 = np.array([         # endpoint 0 (captured) -> endpoint 1 outside
    [0, 1, 0, 1, 0, 1, 0, 0, _TP_INET],
    [1, 0, 1, 0, 1, 0, 0, 1, _TP_NONE],
])
_SPEC_GWE2 = np.array([         # endpoint 0 (captured) -> AWS service through gateway endpoint
    [0, 1, 0, 1, 0, 1, 0, 0, _TP_GWE],
    [1, 0, 1, 0, 1, 0, 0, 1, _TP_NONE],
])
_SPEC_INT4 = np.array([         # endpoint 0 -> endpoint 1, both in the VPC
    [0, 1, 0, 1, 0, 1, 1, 0, _TP_NONE],
    [1, 0, 1, 0, 1, 0, 1, 1, _TP_LOCAL],
    [0, 1, 0, 1, 0, 1, 0, 0, _TP_LOCAL],
    [1, 0, 1, 0, 1, 0, 0, 1, _TP_NONE],
])
_SPEC_NAT6 = np.array([         # ends: host, NAT gateway, peer; ports: eph, service, NAT port
    [0, 1, 0, 2, 0, 1, 1, 0, _TP_NONE],    # host -> NAT (pkt-dst = peer), at NAT, ingress
    [1, 0, 2, 0, 1, 0, 1, 1, _TP_LOCAL],   # NAT -> host (pkt-src = peer), at NAT, egress
    [1, 2, 1, 2, 2, 1, 1, 0, _TP_INET],    # NAT -> peer, at NAT, egress
    [2, 1, 2, 1, 1, 2, 1, 1, _TP_NONE],    # peer -> NAT, at NAT, ingress
    [0, 2, 0, 2, 0, 1, 0, 0, _TP_LOCAL],   # host -> peer, at host (via the NAT gateway)
    [2, 0, 2, 0, 1, 0, 0, 1, _TP_NONE],    # peer -> host, at host
])
for _spec in (_SPEC_IN2, _SPEC_OUT2, _SPEC_GWE2, _SPEC_INT4, _SPEC_NAT6):
    assert ((_spec[:, 0] == _spec[:, 6]) | (_spec[:, 8] == _TP_NONE)).all()

_Records = dict[str, np.ndarray]
_REC_FIELDS = ("src", "dst", "psrc", "pdst", "sport", "dport", "proto", "packets", "bytes",
               "start", "end", "action", "status", "eni", "flags", "tpath", "egress")

_ADMIN_PORTS = np.array([22, 3389, 23, 445, 1433, 3306, 5432, 6379, 9200, 8080])
_ADMIN_P = np.array([.25, .15, .10, .10, .05, .07, .05, .08, .05, .10])
_NOISE_PORTS = np.array([80, 443, 8443, 21, 25, 53, 123, 161, 1900, 5060, 8000, 8888, 5900,
                         11211, 27017])

_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("web_in", 0.270), ("egress", 0.130), ("nat", 0.120), ("east_west", 0.200),
    ("dns_int", 0.055), ("dns_ext", 0.025), ("aws_service", 0.030),
    ("icmp_in", 0.008), ("icmp_int", 0.008), ("icmp_out", 0.004),
    ("scanner", 0.080), ("noise", 0.025),
    ("ipv6_in", 0.016), ("ipv6_out", 0.010), ("icmpv6", 0.004),
    ("nodata", 0.010), ("skipdata", 0.005),
)
assert abs(sum(p for _, p in _CATEGORIES) - 1.0) < 1e-9


class _Generator:
    """Draws the records of one flow log (one world) as NumPy columns."""

    def __init__(self, world: _World, rng: np.random.Generator, duration: int) -> None:
        self.w = world
        self.rng = rng
        self.duration = duration
        self.extra: list[str] = []     # addresses made up per record (noise sources)

    # -- assembly ----------------------------------------------------------------------------

    def _agg(self, r: int) -> IntArray:
        rng = self.rng
        return np.where(rng.random(r) < 0.75, rng.integers(45, 61, r), rng.integers(0, 45, r))

    def _traffic_path(self, kind: npt.NDArray[np.int64], eni: I32Array) -> IntArray:
        out = np.full(kind.size, -1, np.int64)
        local = kind == _TP_LOCAL
        out[local] = self.rng.choice([1, 4, 5, 3], size=int(local.sum()), p=[.94, .03, .01, .02])
        nitro = self.w.host_nitro[eni]
        out = np.where(kind == _TP_INET, np.where(nitro, 8, 2), out)
        return np.where(kind == _TP_GWE, np.where(nitro, 7, 2), out)

    def _assemble(self, spec: npt.NDArray[np.int64], k: IntArray, records: int,
                  ends: Sequence[np.ndarray | int], ports: Sequence[np.ndarray | int],
                  proto: np.ndarray | int, accept: BoolArray, vol: _Volumes,
                  flags: tuple[IntArray, IntArray]) -> _Records:
        rng, m = self.rng, k.size
        E = np.stack([np.broadcast_to(np.asarray(e, np.int64), (m,)) for e in ends])
        P = np.stack([np.broadcast_to(np.asarray(p, np.int64), (m,)) for p in ports])
        proto_a = np.broadcast_to(np.asarray(proto, np.int64), (m,))
        cs = np.cumsum(k)
        fi = np.repeat(np.arange(m), k)[:records]
        var = (np.arange(cs[-1]) - np.repeat(cs - k, k))[:records]
        sp = spec[var]
        eni = self.w.addr_host[E[sp[:, 6], fi]]
        assert (eni >= 0).all(), "a record must be captured at an ENI of the VPC"
        rev = sp[:, 7] == 1
        fpk, fby, rpk, rby = vol
        ffl, rfl = flags
        tcp = proto_a[fi] == 6
        t0 = rng.integers(0, self.duration, m)
        jitter = np.where(var > 0, rng.integers(0, 3, records), 0)
        start = np.minimum(t0[fi] + jitter, self.duration - 1)
        return {
            "src": E[sp[:, 0], fi], "dst": E[sp[:, 1], fi],
            "psrc": E[sp[:, 2], fi], "pdst": E[sp[:, 3], fi],
            "sport": P[sp[:, 4], fi], "dport": P[sp[:, 5], fi], "proto": proto_a[fi],
            "packets": np.where(rev, rpk[fi], fpk[fi]), "bytes": np.where(rev, rby[fi], fby[fi]),
            "start": start, "end": start + self._agg(records),
            "action": np.where(accept[fi], 1, 2), "status": np.zeros(records, np.int64),
            "eni": eni, "flags": np.where(tcp, np.where(rev, rfl[fi], ffl[fi]), 0),
            "tpath": self._traffic_path(sp[:, 8], eni),
            "egress": (sp[:, 0] == sp[:, 6]).astype(np.int64),
        }

    def _simple(self, spec: npt.NDArray[np.int64], records: int, accept_p: float,
                ends: Sequence[np.ndarray], ports: Sequence[np.ndarray | int],
                proto: np.ndarray | int, vol: _Volumes, *,
                accept: BoolArray | None = None, probe: bool = True) -> _Records:
        """Records of flows whose columns were drawn for ``records`` flows.

        That many flows always suffice (each has at least one record): the flows are cut to
        the number needed.  An accepted flow has one record per ``spec`` row, a rejected one
        (``accept`` given, else drawn with probability ``accept_p``) only the first, with
        probe volumes when ``probe``.
        """
        rng = self.rng
        if accept is None:
            accept = rng.random(records) < accept_p
        k = np.where(accept, spec.shape[0], 1)
        m = _flows_needed(k, records)

        def cut(a: np.ndarray | int) -> np.ndarray | int:
            return a[:m] if isinstance(a, np.ndarray) and a.ndim else a
        ffl, rfl = _tcp_flags(rng, m)
        ffl = np.where(accept[:m], ffl, 2)
        vol_m: _Volumes = tuple(v[:m] for v in vol)  # type: ignore[assignment]
        if probe:
            vol_m = _where_vol(accept[:m], vol_m, _probe_volumes(rng, m))
        return self._assemble(spec, k[:m], records, [cut(e) for e in ends],
                              [cut(p) for p in ports], cut(proto), accept[:m], vol_m,
                              (ffl, rfl))

    # -- categories --------------------------------------------------------------------------
    # Each returns exactly ``r`` records; see the table in the module docstring.

    def web_in(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        client = _zipf(rng, w.pools["ext4"], r, 1.0)
        server = w.host_v4[_zipf(rng, w.groups["web"], r)]
        dport = np.where(rng.random(r) < 0.85, 443, 80)
        vol = _data_volumes(rng, r, xm=3, fwd_size=180, rev_size=1000, ratio=1.4)
        return self._simple(_SPEC_IN2, r, 0.99, [client, server], [_ephemeral(rng, r), dport],
                            6, vol)

    def egress(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        host = w.host_v4[_zipf(rng, w.groups["public"], r)]
        peer = np.where(rng.random(r) < 0.93, _zipf(rng, w.pools["ext4"], r, 1.0),
                        _zipf(rng, w.pools["EC2"], r, 1.0))
        svc = rng.choice(3, size=r, p=[0.8, 0.15, 0.05])
        dport = np.array([443, 80, 123])[svc]
        proto = np.where(svc == 2, 17, 6)
        vol = _data_volumes(rng, r, xm=4, fwd_size=250, rev_size=1100, ratio=1.5)
        vol = _where_vol(svc == 2, _dns_volumes(rng, r), vol)
        return self._simple(_SPEC_OUT2, r, 0.997, [host, peer], [_ephemeral(rng, r), dport],
                            proto, vol)

    def nat(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        host = w.host_v4[_zipf(rng, w.groups["private_app"], r)]
        gw = w.host_v4[_uniform(rng, w.groups["nat"], r)]
        aws = np.where(rng.random(r) < 0.5, _zipf(rng, w.pools["AMAZON"], r),
                       _zipf(rng, w.pools["EC2"], r))
        peer = np.where(rng.random(r) < 0.85, _zipf(rng, w.pools["ext4"], r, 1.0), aws)
        dport = np.where(rng.random(r) < 0.9, 443, 80)
        vol = _data_volumes(rng, r, xm=4, fwd_size=300, rev_size=1100, ratio=1.5)
        return self._simple(_SPEC_NAT6, r, 1.0, [host, gw, peer],
                            [_ephemeral(rng, r), dport, _ephemeral(rng, r)], 6, vol)

    def east_west(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        kind = rng.choice(7, size=r, p=[.25, .10, .20, .10, .25, .05, .05])
        dport = np.array([5432, 3306, 6379, 9200, 8080, 443, 22])[kind]
        client = _zipf(rng, w.groups["app"], r)
        server = np.empty(r, np.int32)
        for code, group in ((0, "db"), (1, "db"), (2, "cache"), (3, "search")):
            sel = kind == code
            server[sel] = _zipf(rng, w.groups[group], int(sel.sum()))
        app = (kind == 4) | (kind == 5)
        pos = _zipf_pos(rng, w.groups["app"].size, r, 1.1)
        server[app] = w.groups["app"][pos[app]]
        same = app & (server == client)    # never a flow to itself: take the next app host
        server[same] = w.groups["app"][(pos[same] + 1) % w.groups["app"].size]
        ssh = kind == 6
        client[ssh] = w.groups["bastion"][0]
        server[ssh] = _uniform(rng, w.groups["private"], int(ssh.sum()))
        vol = _data_volumes(rng, r, xm=6, fwd_size=300, rev_size=700, ratio=1.2)
        return self._simple(_SPEC_INT4, r, 0.97, [w.host_v4[client], w.host_v4[server]],
                            [_ephemeral(rng, r), dport], 6, vol)

    def dns_int(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        client = w.host_v4[_zipf(rng, w.groups["clients"], r)]
        server = w.host_v4[_uniform(rng, w.groups["dns"], r)]
        proto = np.where(rng.random(r) < 0.95, 17, 6)
        return self._simple(_SPEC_INT4, r, 1.0, [client, server], [_ephemeral(rng, r), 53],
                            proto, _dns_volumes(rng, r))

    def dns_ext(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        client = w.host_v4[_zipf(rng, w.groups["public"], r)]
        server = _zipf(rng, w.pools["resolvers"], r, 1.0)
        proto = np.where(rng.random(r) < 0.95, 17, 6)
        return self._simple(_SPEC_OUT2, r, 1.0, [client, server], [_ephemeral(rng, r), 53],
                            proto, _dns_volumes(rng, r))

    def aws_service(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        host = w.host_v4[_zipf(rng, w.groups["private_app"], r)]
        svc = np.where(rng.random(r) < 0.65, _zipf(rng, w.pools["S3"], r),
                       _zipf(rng, w.pools["DYNAMODB"], r))
        vol = _data_volumes(rng, r, xm=5, fwd_size=600, rev_size=1000, ratio=1.2)
        return self._simple(_SPEC_GWE2, r, 1.0, [host, svc], [_ephemeral(rng, r), 443], 6, vol)

    def icmp_in(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        src = _zipf(rng, w.pools["ext4"], r, 1.0)
        dst = w.host_v4[_uniform(rng, w.groups["public"], r)]
        return self._simple(_SPEC_IN2, r, 0.6, [src, dst], [0, 0], 1,
                            _icmp_volumes(rng, r), probe=False)

    def icmp_int(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        a = _zipf(rng, w.groups["clients"], r)
        b = _uniform(rng, w.groups["private"], r)
        b = np.where(a == b, w.groups["dns"][0], b)
        return self._simple(_SPEC_INT4, r, 0.98, [w.host_v4[a], w.host_v4[b]], [0, 0], 1,
                            _icmp_volumes(rng, r), probe=False)

    def icmp_out(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        src = w.host_v4[_zipf(rng, w.groups["public"], r)]
        dst = _zipf(rng, w.pools["ext4"], r, 1.0)
        return self._simple(_SPEC_OUT2, r, 1.0, [src, dst], [0, 0], 1,
                            _icmp_volumes(rng, r), probe=False)

    def scanner(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        scanners = w.pools["scanners"]
        which = _zipf_pos(rng, scanners.size, r, 1.1)
        src = scanners[which]
        fixed_port = rng.integers(1024, 65536, scanners.size)   # each scanner's own port
        target = _uniform(rng, w.groups["public"], r)
        dport = rng.choice(_ADMIN_PORTS, size=r, p=_ADMIN_P)
        sport = np.where(rng.random(r) < 0.6, fixed_port[which], _ephemeral(rng, r))
        accept = ((target == w.groups["bastion"][0]) & (dport == 22)) | (rng.random(r) < 0.02)
        vol = _data_volumes(rng, r, xm=2, fwd_size=90, rev_size=120, ratio=1.0)
        return self._simple(_SPEC_IN2, r, 0.0, [src, w.host_v4[target]], [sport, dport], 6,
                            vol, accept=accept)

    def noise(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        addrs = _public_v4(rng, r)
        base = len(w.addr_str) + len(self.extra)
        self.extra.extend(_v4str(int(x)) for x in addrs)
        src = np.arange(base, base + r)
        dst = w.host_v4[_uniform(rng, w.groups["public"], r)]
        dport = np.where(rng.random(r) < 0.5, rng.integers(1, 65536, r),
                         rng.choice(_NOISE_PORTS, size=r))
        proto = np.where(rng.random(r) < 0.85, 6, 17)
        vol = _probe_volumes(rng, r)
        return self._simple(_SPEC_IN2, r, 0.0, [src, dst], [_ephemeral(rng, r), dport], proto,
                            vol, accept=np.zeros(r, bool))

    def ipv6_in(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        client = _zipf(rng, w.pools["ext6"], r, 1.0)
        server = w.host_v6[_zipf(rng, w.groups["dual_web"], r)]
        dport = np.where(rng.random(r) < 0.85, 443, 80)
        vol = _data_volumes(rng, r, xm=3, fwd_size=180, rev_size=1000, ratio=1.4)
        return self._simple(_SPEC_IN2, r, 0.98, [client, server], [_ephemeral(rng, r), dport],
                            6, vol)

    def ipv6_out(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        host = w.host_v6[_zipf(rng, w.groups["dual"], r)]
        peer = _zipf(rng, w.pools["ext6"], r, 1.0)
        vol = _data_volumes(rng, r, xm=4, fwd_size=250, rev_size=1100, ratio=1.5)
        return self._simple(_SPEC_OUT2, r, 1.0, [host, peer], [_ephemeral(rng, r), 443], 6,
                            vol)

    def icmpv6(self, r: int) -> _Records:
        w, rng = self.w, self.rng
        src = _zipf(rng, w.pools["ext6"], r, 1.0)
        dst = w.host_v6[_uniform(rng, w.groups["dual"], r)]
        return self._simple(_SPEC_IN2, r, 0.7, [src, dst], [0, 0], 58,
                            _icmp_volumes(rng, r), probe=False)

    def _status(self, r: int, status: int) -> _Records:
        rng = self.rng
        start = rng.integers(0, self.duration, r)
        null = np.full(r, -1, np.int64)
        zero = np.zeros(r, np.int64)
        return {
            "src": zero, "dst": zero, "psrc": zero, "pdst": zero, "sport": null,
            "dport": null, "proto": null, "packets": null, "bytes": null, "start": start,
            "end": start + self._agg(r), "action": zero, "status": np.full(r, status),
            "eni": rng.integers(0, len(self.w.host_eni), r), "flags": null, "tpath": null,
            "egress": null,
        }

    def nodata(self, r: int) -> _Records:
        return self._status(r, 1)

    def skipdata(self, r: int) -> _Records:
        return self._status(r, 2)

    # -- all ---------------------------------------------------------------------------------

    def records(self, n: int, start: int) -> _Records:
        """``n`` records, ordered by start minute (absolute, UTC) and randomly within one."""
        rng = self.rng
        counts = rng.multinomial(n, [p for _, p in _CATEGORIES])
        parts = [getattr(self, name)(int(c)) for (name, _), c in zip(_CATEGORIES, counts) if c]
        if not parts:
            return {f: np.zeros(0, np.int64) for f in _REC_FIELDS}
        rec = {f: np.concatenate([np.asarray(p[f], np.int64) for p in parts]) for f in _REC_FIELDS}
        minute = (start + rec["start"]) // 60
        key = ((minute - minute.min()) << 32) | rng.integers(0, 1 << 32, n)
        order = np.argsort(key)
        return {f: a[order] for f, a in rec.items()}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

class _Table:
    """Byte strings stored back to back: entry ``i`` is ``data[offs[i]:offs[i] + lens[i]]``."""

    def __init__(self, strs: Sequence[str]) -> None:
        enc = [s.encode("ascii") for s in strs]
        self.lens = np.fromiter(map(len, enc), np.int64, len(enc))
        self.offs = np.cumsum(self.lens) - self.lens
        self.data = np.frombuffer(b"".join(enc), np.uint8)


@lru_cache(maxsize=1)
def _number_table() -> _Table:
    """'-', '0', '1', ..., '65535': ports, protocols, flags, traffic paths via code value + 1."""
    return _Table(["-"] + [str(i) for i in range(65536)])


@lru_cache(maxsize=8)
def _time_table(start: int, size: int) -> _Table:
    return _Table([str(start + i) for i in range(size)])


_ACTION = _Table(["-", "ACCEPT", "REJECT"])
_STATUS = _Table(["OK", "NODATA", "SKIPDATA"])
_ACTION_STATUS = _Table(["ACCEPT OK", "REJECT OK", "- NODATA", "- SKIPDATA"])   # fused
_TYPE = _Table(["-", "IPv4", "IPv6"])
_DIRECTION = _Table(["-", "ingress", "egress"])
_SERVICE_TABLE = _Table(list(_SERVICES))

_HOST_FIELDS = frozenset({"version", "account-id", "interface-id", "vpc-id", "subnet-id",
                          "instance-id", "region", "az-id", "sublocation-type", "sublocation-id"})

# A piece of a line: a table and per-row codes into it, or an int column to print (-1 = '-').
_Piece = tuple[_Table, np.ndarray] | np.ndarray


def _pieces(world: _World, extra: Sequence[str], rec: _Records, fmt: str, start: int,
            duration: int) -> list[_Piece]:
    """The pieces of each line of format ``fmt``, consecutive per-ENI fields fused."""
    fields = _FORMATS[fmt]
    addr = _Table(list(world.addr_str) + list(extra))     # noise sources are IPv4, no service
    addr_v6 = np.concatenate([world.addr_v6, np.zeros(len(extra), bool)])
    addr_svc = np.concatenate([world.addr_svc, np.zeros(len(extra), np.int8)]).astype(np.int64)
    nums = _number_table()
    times = _time_table(start, duration + 64)
    ok = rec["status"] == 0
    host_value = {
        "version": lambda h: _VERSION[fmt], "account-id": lambda h: world.account,
        "interface-id": lambda h: world.host_eni[h], "vpc-id": lambda h: world.vpc_id,
        "subnet-id": lambda h: world.host_subnet[h],
        "instance-id": lambda h: world.host_instance[h], "region": lambda h: world.region,
        "az-id": lambda h: world.host_az[h], "sublocation-type": lambda h: "-",
        "sublocation-id": lambda h: "-",
    }
    simple: dict[str, _Piece] = {
        "srcaddr": (addr, rec["src"]), "dstaddr": (addr, rec["dst"]),
        "pkt-srcaddr": (addr, rec["psrc"]), "pkt-dstaddr": (addr, rec["pdst"]),
        "srcport": (nums, rec["sport"] + 1), "dstport": (nums, rec["dport"] + 1),
        "protocol": (nums, rec["proto"] + 1), "tcp-flags": (nums, rec["flags"] + 1),
        "traffic-path": (nums, rec["tpath"] + 1),
        "packets": rec["packets"], "bytes": rec["bytes"],
        "start": (times, rec["start"]), "end": (times, rec["end"]),
        "type": (_TYPE, np.where(ok, 1 + addr_v6[rec["src"]], 0)),
        "pkt-src-aws-service": (_SERVICE_TABLE, addr_svc[rec["psrc"]]),
        "pkt-dst-aws-service": (_SERVICE_TABLE, addr_svc[rec["pdst"]]),
        "flow-direction": (_DIRECTION, rec["egress"] + 1),
        "action": (_ACTION, rec["action"]), "log-status": (_STATUS, rec["status"]),
    }
    pieces: list[_Piece] = []
    i = 0
    while i < len(fields):
        f = fields[i]
        if f in _HOST_FIELDS:
            run = [f]
            while i + len(run) < len(fields) and fields[i + len(run)] in _HOST_FIELDS:
                run.append(fields[i + len(run)])
            table = _Table([" ".join(host_value[g](h) for g in run)
                            for h in range(len(world.host_eni))])
            pieces.append((table, rec["eni"]))
            i += len(run)
        elif f == "action" and i + 1 < len(fields) and fields[i + 1] == "log-status":
            code = np.where(ok, rec["action"] - 1, rec["status"] + 1)
            pieces.append((_ACTION_STATUS, code))
            i += 2
        else:
            pieces.append(simple[f])
            i += 1
    return pieces


_POW10 = 10 ** np.arange(1, 19, dtype=np.int64)


def _padded(table: _Table, sep: int) -> npt.NDArray[np.uint8]:
    """The table as a matrix: row ``i`` is entry ``i``, then ``sep``, then NUL padding."""
    n = table.lens.size
    mat = np.zeros((n, int(table.lens.max(initial=0)) + 1), np.uint8)
    rows = np.repeat(np.arange(n), table.lens)
    mat[rows, np.arange(table.data.size) - table.offs[rows]] = table.data
    mat[np.arange(n), table.lens] = sep
    return mat


class _Renderer:
    """Renders rows of a record set as lines (each ending in '\\n'), fields space-separated.

    Per chunk of rows, each piece becomes a block of a NUL-padded byte matrix with one row per
    line: a row gather from the piece's padded table, or the digits of an int column (leading
    zeros as NUL); dropping the NULs (one boolean compaction) leaves the lines.  Table strings
    never contain NUL.
    """

    def __init__(self, pieces: Sequence[_Piece]) -> None:
        last = len(pieces) - 1
        self.pieces = pieces
        self.seps = [10 if j == last else 32 for j in range(len(pieces))]
        self.mats = [_padded(p[0], self.seps[j]) if isinstance(p, tuple) else None
                     for j, p in enumerate(pieces)]

    def render(self, lo: int, hi: int, chunk: int = 16384) -> list[bytes]:
        """Rows ``lo`` to ``hi`` (exclusive), in chunks of up to ``chunk`` whole lines."""
        out: list[bytes] = []
        for a in range(lo, hi, chunk):
            b = min(hi, a + chunk)
            blocks: list[np.ndarray] = []
            for j, p in enumerate(self.pieces):
                mat = self.mats[j]
                if mat is not None:
                    blocks.append(np.take(mat, p[1][a:b], axis=0))  # type: ignore[index]
                    continue
                v = np.asarray(p)[a:b]
                width = int(np.searchsorted(_POW10, max(int(v.max()), 0), side="right")) + 1
                scale = 10 ** np.arange(width - 1, -1, -1)
                vv = np.maximum(v, 0)[:, None]
                digits = (vv // scale) % 10 + 48
                digits[(vv < scale) & (scale > 1)] = 0          # leading zeros -> padding
                block = np.empty((b - a, width + 1), np.uint8)
                block[:, :width] = digits
                block[:, width] = self.seps[j]
                block[v < 0, width - 1] = ord("-")
                blocks.append(block)
            text = np.concatenate(blocks, axis=1)
            out.append(text[text != 0].tobytes())
        return out


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def _check_common(seed: int, fmt: str | None, start: int, duration: int) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if fmt is not None and fmt not in _FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(_FORMATS)}")
    if start < 0:
        raise ValueError(f"start must be a non-negative epoch second, got {start!r}")
    if duration < 1:
        raise ValueError(f"duration must be at least 1 second, got {duration!r}")


def _stream(seed: int, ai: int, ri: int, fi: int, account: str, region: str, fmt: str,
            n: int, start: int, duration: int) -> tuple[_World, IntArray, _Renderer]:
    """One flow log's ``n`` records: its world, record start offsets, and their renderer."""
    world = _build_world(seed, ai, ri, fi, account, region)
    gen = _Generator(world, _world_rng(seed, ai, ri, fi, 1), duration)
    rec = gen.records(n, start)
    return world, rec["start"], _Renderer(_pieces(world, gen.extra, rec, fmt, start, duration))


def generate_lines(n: int, *, seed: int = 0, fmt: str = "v2", start: int = 1_700_000_000,
                   duration: int = 3600) -> list[str]:
    """Return ``n`` flow-log data lines (no header) in format ``fmt`` (``"v2"`` or ``"v5"``).

    Records start in ``[start, start + duration)`` (epoch seconds) and come from one flow log
    of one account in ``us-east-1``; see the module docstring for every distribution.  The
    result depends only on the arguments.

    >>> lines = generate_lines(3, seed=1)
    >>> len(lines), lines[0].split()[0]
    (3, '2')
    >>> generate_lines(3, seed=1) == lines
    True
    >>> len(generate_lines(1, fmt="v5")[0].split())
    29
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n!r}")
    _check_common(seed, fmt, start, duration)
    account = _account_ids(int(seed), 1)[0]
    _, _, renderer = _stream(int(seed), 0, 0, 0, account, "us-east-1", fmt, n, start, duration)
    lines: list[str] = []
    for c in renderer.render(0, n):
        part = c.decode("ascii").split("\n")
        part.pop()  # the empty string after the chunk's final newline
        lines.extend(part)
    return lines


@dataclass
class SampleInfo:
    """What :func:`write_sample` wrote."""

    paths: list[str]
    """The objects written, sorted."""
    records: int
    """Data records written (header lines excluded)."""
    bytes: int
    """Total size of the objects on disk."""
    layout: str
    """The layout used."""


def _object_dir(dest: Path, layout: str, account: str, region: str, ts: int) -> Path:
    t = time.gmtime(ts)
    y, mo, d, h = f"{t.tm_year:04d}", f"{t.tm_mon:02d}", f"{t.tm_mday:02d}", f"{t.tm_hour:02d}"
    if layout == "default":
        return dest / "AWSLogs" / account / "vpcflowlogs" / region / y / mo / d
    if layout == "hourly":
        return dest / "AWSLogs" / account / "vpcflowlogs" / region / y / mo / d / h
    if layout in ("hive", "hive-daily"):
        day = (dest / "AWSLogs" / f"aws-account-id={account}" / "aws-service=vpcflowlogs"
               / f"aws-region={region}" / f"year={y}" / f"month={mo}" / f"day={d}")
        return day / f"hour={h}" if layout == "hive" else day
    return dest


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    The temporary name is hidden and per process; the file gets the umask's usual mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _to_parquet(text: bytes, name: str) -> bytes:
    """An object's text as AWS's Parquet delivery would hold it (needs the C extension)."""
    import tempfile

    from .pqwrite import write_parquet
    from .reader import parse_text

    table = parse_text(text, name=name)
    with tempfile.TemporaryDirectory(prefix="vpcflow-synth-") as d:
        path = os.path.join(d, "object.parquet")
        write_parquet(table, path, compression="snappy", threads=1)
        with open(path, "rb") as f:
            return f.read()


def _plan(windows: int, objects: int | None) -> list[tuple[int, int, int, int]]:
    """Objects of one flow log as (first window, end window, part, parts)."""
    if objects is None or objects == windows:
        return [(w, w + 1, 0, 1) for w in range(windows)]
    if objects < windows:
        return [(g * windows // objects, (g + 1) * windows // objects, 0, 1)
                for g in range(objects)]
    plan: list[tuple[int, int, int, int]] = []
    for w in range(windows):
        parts = objects // windows + (1 if w < objects % windows else 0)
        plan.extend((w, w + 1, p, parts) for p in range(parts))
    return plan


def write_sample(dest: PathLike, *, records: int = 100_000, seed: int = 0,
                 files: int | None = None, accounts: int = 1,
                 regions: Sequence[str] = ("us-east-1",), start: int = 1_700_000_000,
                 hours: float = 2, gzip: bool | None = None, layout: str = "default",
                 formats: Sequence[str] = ("v2", "v5"), delivery: str = "text") -> SampleInfo:
    """Write ``records`` flow-log records as delivered objects under ``dest``.

    Each of the ``accounts`` (deterministic 12-digit ids) has, in each region of ``regions``,
    ``len(formats)`` flow logs; flow log ``i`` uses ``formats[i]`` (``"v2"`` or ``"v5"``).
    Records start in ``[start, start + hours * 3600)`` and go to objects by their 5-minute
    delivery window (aligned to multiples of 300 s); each object starts with its format's
    header line.  With ``gzip`` (default for text) objects are single-member gzip ``.log.gz`` (level 6,
    mtime 0, no name), else plain ``.log``.  Every object is written to a temporary name in its directory and
    renamed into place.

    Object keys (``{ts}`` is the window start ``YYYYMMDDTHHmmZ`` in UTC; folders use its date;
    ``{hash}`` is 8 hex digits derived from the seed, flow log, window and part)::

        default  AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/{name}
        hourly   AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/HH/{name}
        hive     AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/
                 year=YYYY/month=MM/day=DD/hour=HH/{name}
        hive-daily  the same without hour=HH/ (Hive-compatible prefixes, daily partitions)
        flat     {name}
        name     {account}_vpcflowlogs_{region}_{flow-log-id}_{ts}_{hash}.log.gz

    ``delivery="parquet"`` writes each object as AWS's Parquet delivery does instead
    (``.log.parquet``, the canonical column names and types, snappy; ``gzip=True`` also wraps
    the Parquet bytes in gzip, as some copy tools do, keeping the ``.log.parquet`` name).  It
    parses each object's text with :func:`vpcflow.parse_text` and writes it with
    :func:`vpcflow.write_parquet`, so it needs the C extension, unlike the rest of this module;
    the records are the same as with ``delivery="text"``.

    ``files=None`` writes one object per window per flow log, skipping windows without
    records.  ``files=N`` writes exactly ``N`` objects (``N >= accounts * len(regions) *
    len(formats)``), spread evenly over flow logs; a flow log with fewer objects than windows
    merges consecutive windows, one with more splits windows into parts (as AWS does for large
    deliveries).  Objects may then hold only the header line.

    >>> import tempfile
    >>> info = write_sample(tempfile.mkdtemp(), records=1000, hours=1)
    >>> info.records, info.layout, info.paths[0].endswith(".log.gz")
    (1000, 'default', True)
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {list(LAYOUTS)}")
    if delivery not in ("text", "parquet"):
        raise ValueError(f"unknown delivery {delivery!r}; expected 'text' or 'parquet'")
    if records < 0:
        raise ValueError(f"records must be >= 0, got {records!r}")
    if accounts < 1:
        raise ValueError(f"accounts must be >= 1, got {accounts!r}")
    regions = list(regions)
    formats = list(formats)
    if not regions or not formats:
        raise ValueError("regions and formats must not be empty")
    for r in regions:
        if not _REGION_RE.fullmatch(r):
            raise ValueError(f"not an AWS region name: {r!r}")
    if len(set(regions)) != len(regions):
        raise ValueError(f"duplicate regions: {regions!r}")
    for f in formats:
        format_fields(f)
    duration = round(hours * 3600)
    _check_common(seed, None, start, duration)
    seed = int(seed)

    streams = [(ai, ri, fi) for ai in range(accounts) for ri in range(len(regions))
               for fi in range(len(formats))]
    if files is not None and files < len(streams):
        raise ValueError(f"files={files} is fewer than the {len(streams)} flow logs "
                         f"(accounts * regions * formats)")
    account_ids = _account_ids(seed, accounts)
    counts = np.random.default_rng([seed, 0x5A3]).multinomial(
        records, [1.0 / len(streams)] * len(streams))
    w0 = start // _WINDOW
    n_windows = (start + duration - 1) // _WINDOW - w0 + 1
    dest_path = Path(dest)
    if gzip is None:
        gzip = delivery == "text"
    suffix = ".log.parquet" if delivery == "parquet" else ".log.gz" if gzip else ".log"
    paths: list[str] = []
    total_bytes = 0
    for s, ((ai, ri, fi), n) in enumerate(zip(streams, counts.tolist())):
        account, region, fmt = account_ids[ai], regions[ri], formats[fi]
        world, rec_start, renderer = _stream(seed, ai, ri, fi, account, region, fmt, n, start,
                                             duration)
        header = (" ".join(_FORMATS[fmt]) + "\n").encode("ascii")
        window = (start + rec_start) // _WINDOW - w0   # sorted: records are in minute order
        bounds = np.searchsorted(window, np.arange(n_windows + 1), side="left")
        objects = None if files is None else files // len(streams) + (s < files % len(streams))
        for w_lo, w_hi, part, parts in _plan(n_windows, objects):
            lo, hi = int(bounds[w_lo]), int(bounds[w_hi])
            if parts > 1:
                lo, hi = lo + (hi - lo) * part // parts, lo + (hi - lo) * (part + 1) // parts
            if objects is None and lo == hi:
                continue
            ts = (w0 + w_lo) * _WINDOW
            stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(ts))
            digest = hashlib.sha256(
                f"{seed}/{account}/{region}/{world.flow_log_id}/{ts}/{part}".encode()
            ).hexdigest()[:8]
            name = f"{account}_vpcflowlogs_{region}_{world.flow_log_id}_{stamp}_{digest}{suffix}"
            body = b"".join([header, *renderer.render(lo, hi)])
            if delivery == "parquet":
                body = _to_parquet(body, name)
            blob = _gzip.compress(body, compresslevel=6, mtime=0) if gzip else body
            path = _object_dir(dest_path, layout, account, region, ts) / name
            _write_atomic(path, blob)
            paths.append(str(path))
            total_bytes += len(blob)
    return SampleInfo(paths=sorted(paths), records=int(records), bytes=total_bytes,
                      layout=layout)
