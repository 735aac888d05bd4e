"""The buffer pool: large arrays the readers reuse instead of asking the kernel again.

A query over a few million rows reads columns of tens of megabytes each.
Fresh memory of that size comes from the kernel as new pages that it must
zero and fault in, and goes back to it when NumPy frees the array; on a
2-core machine that cost 15% of an aggregation.  vpcflow keeps the large
blocks (2 MiB and up) that the Parquet reader's arrays give back, up to a
limit, and reads the next query's columns into them when the size matches,
the way DuckDB keeps its buffer pool between queries.

The limit defaults to an eighth of the machine's memory, at most 1 GiB.
What the pool keeps stays in the process (it counts in its resident size);
``set_memory_pool(0)`` returns all of it and turns the reuse off.

Example:
    >>> import vpcflow
    >>> info = vpcflow.memory_pool()
    >>> info.keep == vpcflow.memory.DEFAULT_POOL_KEEP and info.kept <= info.keep
    True
    >>> vpcflow.set_memory_pool("256M"); vpcflow.memory_pool().keep
    268435456
    >>> vpcflow.set_memory_pool(vpcflow.memory.DEFAULT_POOL_KEEP)
"""
from __future__ import annotations

import os
import re
from typing import NamedTuple

from . import _core

__all__ = ["PoolInfo", "memory_pool", "set_memory_pool", "machine_memory", "parse_bytes", "DEFAULT_POOL_KEEP"]


def machine_memory() -> int:
    """The machine's physical memory in bytes (0 when the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_bytes(text: str | int) -> int:
    """A size in bytes from ``1500000``, ``"512K"``, ``"64M"``, ``"2G"``, ``"1.5G"`` or ``"2GiB"``.

    >>> parse_bytes("64M"), parse_bytes("1.5G"), parse_bytes(4096)
    (67108864, 1610612736, 4096)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (expected a number of bytes, or one with K, M, G or T: 512M, 2G)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


#: the pool's limit until set_memory_pool() changes it
DEFAULT_POOL_KEEP = min(1 << 30, machine_memory() // 8)


class PoolInfo(NamedTuple):
    """What the buffer pool holds and how often it served a read."""

    keep: int    #: the limit, bytes
    kept: int    #: bytes held now, ready for the next read
    blocks: int  #: blocks held now
    hits: int    #: arrays read into a kept block
    misses: int  #: arrays of a poolable size (2 MiB and up) that got fresh memory
    given: int   #: blocks taken back when their arrays were freed
    freed: int   #: blocks returned to the system to stay within the limit


def memory_pool() -> PoolInfo:
    """The buffer pool's limit, contents and counters (see the module's text).

    >>> import vpcflow
    >>> vpcflow.memory_pool().blocks >= 0
    True
    """
    return PoolInfo(**_core.pool_info())


def set_memory_pool(keep: int | str) -> None:
    """Set the most the buffer pool keeps (bytes, or ``"512M"``); what is over it is freed now.

    ``0`` frees everything it holds and turns reuse off.

    >>> import vpcflow
    >>> vpcflow.set_memory_pool(0); vpcflow.memory_pool().kept
    0
    >>> vpcflow.set_memory_pool(vpcflow.memory.DEFAULT_POOL_KEEP)
    """
    n = parse_bytes(keep)
    if n < 0:
        raise ValueError(f"the pool's limit must be at least 0 bytes, not {keep!r}")
    _core.pool_set_keep(n)


_core.pool_set_keep(DEFAULT_POOL_KEEP)
