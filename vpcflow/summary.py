"""A short summary of a table: the top talkers and the rejected ports.

Everything is computed with vectorised NumPy over the dictionary codes (no
Python loop per row); the query engine of a later release generalises this.
"""
from __future__ import annotations

import numpy as np

from .table import Table, parse_report

__all__ = ["top_by", "summarize"]


def top_by(table: Table, key: str, value: str | None = None, *, n: int = 5,
           where: np.ndarray | None = None) -> list[tuple[object, int]]:
    """The ``n`` keys with the largest sum of ``value`` (or row count when None).

    Rows where the key or the value is null are ignored; ties are broken by
    the smaller key code, i.e. the value seen first.

    Example:
        >>> import vpcflow
        >>> t = vpcflow.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 ACCEPT OK\\n"
        ...                        "2 1 eni-a 10.0.0.9 10.0.0.2 1 22 6 3 500 10 20 ACCEPT OK\\n")
        >>> top_by(t, "srcaddr", "bytes", n=1)
        [('10.0.0.9', 500)]
    """
    col = table.column(key)
    if col.is_dictionary:
        codes = col.codes.astype(np.int64)
        size = len(col.dictionary)
        labels = col.dictionary
    else:
        vals = col.values.astype(np.int64)
        labels, codes = np.unique(vals, return_inverse=True)
        codes = np.where(col.valid, codes, -1)
        size = len(labels)
    keep = codes >= 0
    weights = None
    if value is not None:
        vcol = table.column(value)
        keep &= vcol.valid
        weights = vcol.values.astype(np.int64)
    if where is not None:
        keep &= where
    if size == 0 or not keep.any():
        return []
    if weights is None:
        sums = np.bincount(codes[keep], minlength=size).astype(np.int64)
    else:
        # exact integer sums: np.add.at avoids bincount's float64 weights
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, codes[keep], weights[keep])
    present = np.bincount(codes[keep], minlength=size) > 0
    order = np.lexsort((np.arange(size), -sums))
    order = order[present[order]][:n]
    return [(labels[i].item() if hasattr(labels[i], "item") else labels[i], int(sums[i])) for i in order]


def summarize(table: Table, *, n: int = 5) -> str:
    """A few lines a newcomer can read: size, actions, top talkers, rejected ports (of a table
    parsed from logs, as :func:`vpcflow.read_logs` returns)."""
    rep = parse_report(table)
    out = [f"read {rep.files:,} files: {table.num_rows:,} records, {rep.bad_lines:,} bad lines, "
           f"{rep.bytes_in / 1e6:,.1f} MB on disk, {rep.bytes_text / 1e6:,.1f} MB of text "
           f"in {rep.seconds:.2f} s ({rep.bytes_text / 1e6 / max(rep.seconds, 1e-9):,.0f} MB/s, "
           f"{table.num_rows / max(rep.seconds, 1e-9):,.0f} rows/s, {rep.threads} threads)"]
    if "bytes" in table:
        total = table["bytes"].sum()
        out.append(f"total bytes: {int(total) if total is not np.ma.masked else 0:,}")
    if "action" in table:
        acts = top_by(table, "action", n=10)
        out.append("actions: " + ", ".join(f"{a} {c:,}" for a, c in acts))
    if "log_status" in table:
        st = top_by(table, "log_status", n=10)
        out.append("log status: " + ", ".join(f"{a} {c:,}" for a, c in st))
    if "srcaddr" in table and "bytes" in table:
        out.append(f"top {n} talkers by bytes sent:")
        for addr, b in top_by(table, "srcaddr", "bytes", n=n):
            out.append(f"  {addr:<40} {b:>16,}")
    if "action" in table and "dstport" in table:
        act = table.column("action")
        d = list(act.dictionary)
        if "REJECT" in d:
            rej = act.codes == d.index("REJECT")
            out.append(f"top {n} rejected destination ports (flows):")
            for port, c in top_by(table, "dstport", n=n, where=rej):
                out.append(f"  {port:<40} {c:>16,}")
            if "srcaddr" in table:
                out.append(f"top {n} rejected sources (flows):")
                for addr, c in top_by(table, "srcaddr", n=n, where=rej):
                    out.append(f"  {addr:<40} {c:>16,}")
    return "\n".join(out)
