"""Names for protocol numbers and ports, from IANA tables shipped with the package.

``protocol_name(6) == "TCP"``, ``service_name(443) == "https"``.  The
tables are ``iana_protocols.csv`` (IANA's protocol-number keywords) and
``iana_services.csv`` (well-known service names by port, TCP and UDP).
A number the tables do not name comes back as its decimal text (``"200"``),
so grouping by a name never merges distinct unknown numbers.

Example:
    >>> from vpcflow.names import protocol_name, service_name
    >>> protocol_name(6), protocol_name(17), protocol_name(58), protocol_name(200)
    ('TCP', 'UDP', 'IPv6-ICMP', '200')
    >>> service_name(443), service_name(22), service_name(123), service_name(50000)
    ('https', 'ssh', 'ntp', '50000')
"""
from __future__ import annotations

import csv
import functools
import os

import numpy as np

__all__ = ["protocol_name", "service_name", "protocol_names", "service_names", "protocol_number"]

_HERE = os.path.dirname(__file__)


def _rows(name: str) -> list[list[str]]:
    with open(os.path.join(_HERE, name), newline="") as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return list(csv.reader(lines))[1:]


@functools.lru_cache(maxsize=None)
def protocol_names() -> np.ndarray:
    """An object array of 256 names, indexed by protocol number."""
    names = np.array([str(i) for i in range(256)], dtype=object)
    for number, keyword in _rows("iana_protocols.csv"):
        names[int(number)] = keyword
    return names


@functools.lru_cache(maxsize=None)
def service_names() -> np.ndarray:
    """An object array of 65536 names, indexed by port (the TCP name, else the UDP one)."""
    names = np.array([str(i) for i in range(65536)], dtype=object)
    for port, tcp, udp in _rows("iana_services.csv"):
        names[int(port)] = tcp or udp
    return names


def protocol_name(number: int) -> str:
    """The IANA keyword of an IP protocol number (``6 -> "TCP"``)."""
    if 0 <= number < 256:
        return str(protocol_names()[number])
    return str(number)


def service_name(port: int) -> str:
    """The IANA service name of a port (``443 -> "https"``)."""
    if 0 <= port < 65536:
        return str(service_names()[port])
    return str(port)


@functools.lru_cache(maxsize=None)
def _protocol_numbers() -> dict[str, int]:
    return {str(n).lower(): i for i, n in enumerate(protocol_names())}


def protocol_number(name: str | int) -> int:
    """The protocol number for a keyword, case-insensitive (``"tcp" -> 6``); numbers pass through.

    Raises:
        ValueError: for a name that is not an IANA protocol keyword.
    """
    if isinstance(name, int):
        return name
    try:
        return _protocol_numbers()[name.lower()]
    except KeyError:
        raise ValueError(f"unknown protocol name {name!r}") from None
