"""Named answers to the questions people ask of flow logs.

Each recipe takes ``data`` (a Table, a dataset from :func:`vpcflow.dataset`,
a lazy :class:`~vpcflow.query.Query`, or a path to a converted dataset) and
returns a :class:`~vpcflow.Table`; ``threads=`` (keyword, default all
cores) is passed to :meth:`~vpcflow.query.Query.collect`.  They are short compositions of the
public query API, so each doubles as an example; the docstring of each says
the SQL it is equivalent to.  Ties are broken by the group keys, ascending
(text order), so results are repeatable.

Example:
    >>> import vpcflow as vf
    >>> t = vf.parse_text(
    ...     "2 1 eni-a 10.0.0.1 10.0.0.9 40000 22 6 3 120 10 20 REJECT OK\\n"
    ...     "2 1 eni-a 10.0.0.2 10.0.0.9 40001 22 6 5 300 10 20 REJECT OK\\n"
    ...     "2 1 eni-b 10.0.0.1 8.8.8.8 40002 443 6 7 900 10 20 ACCEPT OK\\n")
    >>> vf.recipes.top_talkers(t, n=2).to_pylist()
    [{'srcaddr': '10.0.0.1', 'bytes': 1020}, {'srcaddr': '10.0.0.2', 'bytes': 300}]
"""
from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from . import expr as E
from .errors import QueryError
from .table import Table

__all__ = [
    "top_talkers", "top_talking_instances", "top_talking_subnets", "top_host_pairs", "rejected_by_source",
    "rejected_by_port", "rejected_by_protocol", "admin_port_traffic", "accepted_tcp", "ip_version_bytes",
    "internal_external", "corr_bytes_packets", "rejected_packets_per_window", "top_https_destinations",
    "emr_top_talkers", "traffic_for", "RECIPES", "ADMIN_PORTS", "PRIVATE_NETWORKS",
]

#: ports of remote administration and databases that should rarely be open to the world
ADMIN_PORTS = (22, 23, 3389, 5900, 5985, 5986, 1433, 3306, 5432, 6379, 9200, 27017)
#: RFC 1918, RFC 6598 (carrier-grade NAT) and IPv6 unique-local ranges: "internal" by default
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")


def _q(data: Any):
    """Any accepted input as a lazy query."""
    from .query import Query

    if isinstance(data, Query):
        return data
    if isinstance(data, Table):
        return data.lazy()
    if isinstance(data, (str, os.PathLike)):
        from .dataset import dataset

        return dataset(data).lazy()
    if hasattr(data, "lazy"):
        return data.lazy()
    raise TypeError(f"expected a Table, dataset, Query or path, not {type(data).__name__}")


def _metric(by: str) -> str:
    if by not in ("bytes", "packets"):
        raise QueryError(f"by must be 'bytes' or 'packets', not {by!r}")
    return by


def _has(q: Any, name: str) -> bool:
    return name in q._source_columns()


def top_talkers(data: Any, n: int = 10, by: str = "bytes", packet_level: bool = False,
                *, threads: int | None = None) -> Table:
    """Source addresses that sent the most bytes (or packets).

    ``packet_level=True`` groups by ``pkt_srcaddr`` (v3+: the original
    source behind a NAT gateway or load balancer).
    SQL: ``SELECT srcaddr, sum(bytes) AS bytes ... GROUP BY srcaddr ORDER BY bytes DESC, srcaddr LIMIT n``.
    """
    key = "pkt_srcaddr" if packet_level else "srcaddr"
    m = _metric(by)
    q = _q(data)
    return (q.filter(E.col(key).is_not_null()).group_by(key).agg(E.sum(m).alias(m))
            .top(n, by=m).collect(threads))


def top_talking_instances(data: Any, n: int = 10, by: str = "bytes", *, threads: int | None = None) -> Table:
    """Instances (``instance_id``, v3+; else network interfaces) that sent the most bytes or packets."""
    q = _q(data)
    key = "instance_id" if _has(q, "instance_id") else "interface_id"
    m = _metric(by)
    return q.filter(E.col(key).is_not_null()).group_by(key).agg(E.sum(m).alias(m)).top(n, by=m).collect(threads)


def top_talking_subnets(data: Any, n: int = 10, by: str = "bytes", *, threads: int | None = None) -> Table:
    """Subnets (``subnet_id``, v3+) whose interfaces sent the most bytes or packets."""
    q = _q(data)
    if not _has(q, "subnet_id"):
        raise QueryError("top_talking_subnets needs the subnet_id field (flow-log format v3 or later)")
    m = _metric(by)
    return (q.filter(E.col("subnet_id").is_not_null()).group_by("subnet_id").agg(E.sum(m).alias(m))
            .top(n, by=m).collect(threads))


def top_host_pairs(data: Any, n: int = 10, by: str = "bytes", *, threads: int | None = None) -> Table:
    """Source/destination address pairs that moved the most bytes (or packets)."""
    m = _metric(by)
    return (_q(data).filter(E.col("srcaddr").is_not_null() & E.col("dstaddr").is_not_null())
            .group_by("srcaddr", "dstaddr").agg(E.sum(m).alias(m)).top(n, by=m).collect(threads))


def rejected_by_source(data: Any, n: int = 20, *, threads: int | None = None) -> Table:
    """Source addresses with the most rejected flows (and their packets)."""
    return (_q(data).filter(E.col("action") == "REJECT")
            .group_by("srcaddr").agg(E.count().alias("flows"), E.sum("packets").alias("packets"))
            .top(n, by="flows").collect(threads))


def rejected_by_port(data: Any, n: int = 20, tcp_only: bool = False, *, threads: int | None = None) -> Table:
    """Destination ports with the most rejected flows; ``tcp_only`` keeps protocol 6."""
    cond = E.col("action") == "REJECT"
    if tcp_only:
        cond = cond & (E.col("protocol") == 6)
    return (_q(data).filter(cond).group_by("dstport")
            .agg(E.count().alias("flows"), E.sum("packets").alias("packets")).top(n, by="flows").collect(threads))


def rejected_by_protocol(data: Any, *, threads: int | None = None) -> Table:
    """Rejected flows and packets per protocol, named (TCP, UDP, ICMP...)."""
    return (_q(data).filter(E.col("action") == "REJECT")
            .group_by(E.protocol_name("protocol").alias("protocol"))
            .agg(E.count().alias("flows"), E.sum("packets").alias("packets"))
            .sort("flows", descending=True).collect(threads))


def admin_port_traffic(data: Any, ports: Sequence[int] = ADMIN_PORTS, *, threads: int | None = None) -> Table:
    """Flows to SSH, RDP and other admin/database ports, by port and action."""
    return (_q(data).filter(E.col("dstport").isin(list(ports)))
            .group_by("dstport", E.service_name("dstport").alias("service"), "action")
            .agg(E.count().alias("flows"), E.sum("bytes").alias("bytes"),
                 E.count_distinct("srcaddr").alias("sources"))
            .sort(["flows", "dstport"], descending=[True, False]).collect(threads))


def accepted_tcp(data: Any, n: int = 20, *, threads: int | None = None) -> Table:
    """Accepted TCP flows by destination port: flows, bytes, distinct sources."""
    return (_q(data).filter((E.col("action") == "ACCEPT") & (E.col("protocol") == 6))
            .group_by("dstport").agg(E.count().alias("flows"), E.sum("bytes").alias("bytes"),
                                     E.count_distinct("srcaddr").alias("sources"))
            .top(n, by="flows").collect(threads))


def ip_version_bytes(data: Any, *, threads: int | None = None) -> Table:
    """Bytes and flows over IPv4 and over IPv6 (by source address family)."""
    version = E.when(E.col("srcaddr").is_null(), None,
                     E.when(E.in_subnet("srcaddr", "0.0.0.0/0"), 4, 6)).alias("ip_version")
    return (_q(data).filter(E.col("srcaddr").is_not_null()).group_by(version)
            .agg(E.count().alias("flows"), E.sum("bytes").alias("bytes")).sort("ip_version").collect(threads))


def internal_external(data: Any, internal: Sequence[str] = PRIVATE_NETWORKS, *,
                      threads: int | None = None) -> Table:
    """Traffic by direction and action: internal, egress (internal to external), ingress, external.

    ``internal`` lists the CIDR blocks counted as inside the network.
    """
    src_in = E.col("srcaddr").in_subnet(*internal)
    dst_in = E.col("dstaddr").in_subnet(*internal)
    direction = E.when(src_in & dst_in, "internal",
                       E.when(src_in, "egress", E.when(dst_in, "ingress", "external"))).alias("direction")
    return (_q(data).filter(E.col("srcaddr").is_not_null() & E.col("dstaddr").is_not_null())
            .group_by(direction, "action")
            .agg(E.count().alias("flows"), E.sum("bytes").alias("bytes"), E.sum("packets").alias("packets"))
            .sort(["direction", "action"]).collect(threads))


def corr_bytes_packets(data: Any, *, threads: int | None = None) -> Table:
    """Pearson correlation of bytes and packets, by action."""
    return (_q(data).filter(E.col("action").is_not_null()).group_by("action")
            .agg(E.corr("bytes", "packets").alias("corr"), E.count().alias("flows")).sort("action").collect(threads))


def rejected_packets_per_window(data: Any, window: str = "15m", tcp_only: bool = True,
                                *, threads: int | None = None) -> Table:
    """Rejected packets per time window (default 15 minutes) and protocol; TCP only by default."""
    cond = E.col("action") == "REJECT"
    if tcp_only:
        cond = cond & (E.col("protocol") == 6)
    return (_q(data).filter(cond)
            .group_by(E.bin("start", window).alias("window"), E.protocol_name("protocol").alias("protocol"))
            .agg(E.sum("packets").alias("packets"), E.count().alias("flows"))
            .sort(["window", "protocol"]).collect(threads))


def top_https_destinations(data: Any, n: int = 10, *, threads: int | None = None) -> Table:
    """Destinations receiving the most HTTPS (port 443) packets."""
    return (_q(data).filter(E.col("dstport") == 443).group_by("dstaddr")
            .agg(E.sum("packets").alias("packets")).top(n, by="packets").collect(threads))


def emr_top_talkers(data: Any, n: int = 10, *, threads: int | None = None) -> Table:
    """The EMR blog's "top talkers": flows by source, destination and port, for OK records to ports <= 1024."""
    return (_q(data).filter((E.col("log_status") == "OK") & (E.col("dstport") <= 1024))
            .group_by("srcaddr", "dstaddr", "dstport").agg(E.count().alias("flows"))
            .top(n, by="flows").collect(threads))


def traffic_for(data: Any, address: str, *, threads: int | None = None) -> Table:
    """Every record from or to one address, in start-time order."""
    return (_q(data).filter((E.col("srcaddr") == address) | (E.col("dstaddr") == address))
            .sort(["start", "end"]).collect(threads))


#: the recipes ``vpcflow report`` runs: (title, function of the data, the number of rows wanted and threads)
RECIPES: list[tuple[str, Callable[..., Table]]] = [
    ("Top talkers by bytes", lambda d, n, t=None: top_talkers(d, n=n, threads=t)),
    ("Top talkers by packets", lambda d, n, t=None: top_talkers(d, n=n, by="packets", threads=t)),
    ("Top talking instances", lambda d, n, t=None: top_talking_instances(d, n=n, threads=t)),
    ("Top host pairs by bytes", lambda d, n, t=None: top_host_pairs(d, n=n, threads=t)),
    ("Rejected flows by source", lambda d, n, t=None: rejected_by_source(d, n=n, threads=t)),
    ("Rejected flows by destination port", lambda d, n, t=None: rejected_by_port(d, n=n, threads=t)),
    ("Rejected TCP by destination port", lambda d, n, t=None: rejected_by_port(d, n=n, tcp_only=True, threads=t)),
    ("Rejected flows by protocol", lambda d, n, t=None: rejected_by_protocol(d, threads=t)),
    ("SSH, RDP and admin-port traffic", lambda d, n, t=None: admin_port_traffic(d, threads=t)),
    ("Accepted TCP by destination port", lambda d, n, t=None: accepted_tcp(d, n=n, threads=t)),
    ("IPv4 vs IPv6", lambda d, n, t=None: ip_version_bytes(d, threads=t)),
    ("Internal vs external by action", lambda d, n, t=None: internal_external(d, threads=t)),
    ("corr(bytes, packets) by action", lambda d, n, t=None: corr_bytes_packets(d, threads=t)),
    ("Rejected TCP packets per 15 minutes", lambda d, n, t=None: rejected_packets_per_window(d, threads=t)),
    ("Top HTTPS destinations", lambda d, n, t=None: top_https_destinations(d, n=n, threads=t)),
    ("EMR top talkers", lambda d, n, t=None: emr_top_talkers(d, n=n, threads=t)),
]
