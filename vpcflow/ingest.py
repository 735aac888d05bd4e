"""Incremental ingestion: :func:`ingest` keeps a Parquet dataset up to date with a growing log source.

Each pass lists the source (a local tree or ``s3://bucket/prefix``; the
key filters of :func:`vpcflow.list_objects` apply), leaves out every object
the dataset's manifest already records by name, and converts the rest with
:func:`vpcflow.convert`: new Parquet files go to the partitions of their
records.  Then, when some partition holds more than one small file (this
pass's, or those of a run that was killed before it compacted), the small
files are merged (:func:`vpcflow.compact`).  With
``watch=`` it polls again every ``watch`` seconds until interrupted.

Crash safety and exactly-once come from the manifest
(:mod:`vpcflow.manifest`): every batch is a transaction, a killed run leaves
nothing half-visible, and the next run finishes or undoes what was in flight
and converts exactly the objects not yet committed.  An object is recorded
by name (the ``s3://`` URL, or the absolute path): delivered flow-log objects
are never rewritten, so a later change to an ingested object's size or time
is not read again (``report.changed`` counts such objects); convert it with
``vpcflow.convert(..., force=True)`` into a fresh dataset if that is wanted.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any, Callable, Iterable, Sequence

from .convert import DEFAULT_FILE_ROWS, DEFAULT_MEMORY, CompactReport, ConvertReport, compact, convert
from .manifest import Manifest
from .sources import DEFAULT_SLACK, LogObject, list_objects

__all__ = ["ingest", "IngestReport"]


@dataclass
class IngestReport:
    """What :func:`ingest` did, over all its passes.

    Attributes:
        dest: the dataset.
        polls: passes made (1 without ``watch``).
        listed: objects the last pass selected in the source.
        already: of those, objects the manifest already had (skipped unopened).
        changed: of those, objects recorded under the same name with another size or time (not re-read).
        objects: objects converted, over all passes.
        rows, bad_records, bytes_in, bytes_out: over all passes.
        interrupted: whether Ctrl-C stopped it.
        runs: the :class:`~vpcflow.ConvertReport` of every pass that converted something.
        compactions: the :class:`~vpcflow.CompactReport` of every compaction run.
    """

    dest: str
    polls: int = 0
    listed: int = 0
    already: int = 0
    changed: int = 0
    objects: int = 0
    rows: int = 0
    bad_records: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    runs: list[ConvertReport] = field(default_factory=list)
    compactions: list[CompactReport] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.objects:,} new objects ingested ({self.rows:,} rows, {self.bad_records:,} bad records, "
                f"{self.bytes_in / 1e6:,.1f} MB in, {self.bytes_out / 1e6:,.1f} MB out); "
                f"{self.already:,} of {self.listed:,} listed were already in the dataset; "
                f"{self.polls:,} pass{'es' if self.polls != 1 else ''} in {self.seconds:.2f} s"
                + (" (interrupted)" if self.interrupted else ""))

    def __str__(self) -> str:
        lines = [self.summary()]
        for r in self.runs:
            lines.extend(f"  recovered: {x}" for x in r.recovered)
            lines.extend(f"  {b.message}" for b in r.bad[:10])
        return "\n".join(lines)


def ingest(
    src: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    dest: str | os.PathLike[str],
    *,
    partition_by: str | None | EllipsisType = ...,
    include_accounts: Iterable[str | int] | str | int | None = None,
    include_regions: Iterable[str] | str | None = None,
    start: Any = None,
    end: Any = None,
    slack: float = DEFAULT_SLACK,
    endpoint_url: str | None = None,
    fields: str | Sequence[str] | None = None,
    on_error: str = "raise",
    threads: int | None = None,
    memory_limit: int = DEFAULT_MEMORY,
    watch: float | None = None,
    max_polls: int | None = None,
    progress: bool | None = False,
    on_pass: Callable[[IngestReport], None] | None = None,
    **convert_options: Any,
) -> IngestReport:
    """Convert the objects of ``src`` that ``dest`` does not have yet; with ``watch``, keep doing it.

    Args:
        src: files, directories or ``s3://bucket/prefix`` URLs.
        dest: the dataset directory (created on first use).
        partition_by: ``"hour"``, ``"day"``, ``"month"`` or None; by default
            the dataset's own, or ``"day"`` for a new one.
        include_accounts, include_regions, start, end, slack, endpoint_url:
            which objects to consider (see :func:`vpcflow.list_objects`).
        fields, on_error, threads, memory_limit: as for :func:`vpcflow.convert`.
        watch: poll again every ``watch`` seconds until Ctrl-C (or ``max_polls``).
        max_polls: stop after this many passes.
        progress: a progress bar per pass on stderr.
        on_pass: called with the report after every pass (for logging).
        **convert_options: more :func:`vpcflow.convert` options (compression...).

    Returns:
        An :class:`IngestReport`.  Ctrl-C during a pass rolls its batch in
        flight back (committed batches stay) and ends the call with
        ``report.interrupted`` set, as Ctrl-C between passes does.

    Example:
        >>> import vpcflow, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> logs, flows = os.path.join(d, "logs"), os.path.join(d, "flows")
        >>> _ = vpcflow.synth.write_sample(logs, records=3000, seed=1, hours=1)
        >>> vpcflow.ingest(logs, flows).rows
        3000
        >>> _ = vpcflow.synth.write_sample(logs, records=1000, seed=2, hours=1, start=1_700_010_000)
        >>> r = vpcflow.ingest(logs, flows)
        >>> r.rows, r.already > 0
        (1000, True)
    """
    if watch is not None and (not isinstance(watch, (int, float)) or watch < 0):
        raise ValueError(f"watch must be a number of seconds >= 0, not {watch!r}")
    dest = os.fspath(dest)
    rep = IngestReport(dest=dest)
    t0 = time.perf_counter()
    try:
        while True:
            _one_pass(src, dest, rep, partition_by, dict(
                include_accounts=include_accounts, include_regions=include_regions, start=start, end=end,
                slack=slack, endpoint_url=endpoint_url), dict(
                fields=fields, on_error=on_error, threads=threads, memory_limit=memory_limit, progress=progress,
                **convert_options))
            rep.seconds = time.perf_counter() - t0
            if on_pass is not None:
                on_pass(rep)
            if watch is None or (max_polls is not None and rep.polls >= max_polls):
                break
            time.sleep(watch)
    except KeyboardInterrupt:
        rep.interrupted = True
    rep.seconds = time.perf_counter() - t0
    return rep


def _one_pass(src: Any, dest: str, rep: IngestReport, partition_by: Any, select: dict, opts: dict) -> None:
    rep.polls += 1
    objs = list_objects(src, **select)
    known = Manifest.peek(dest)
    by = known.partition_by if partition_by is ... and os.path.exists(known.path) else partition_by
    if by is ...:
        by = "day"
    dest_abs = os.path.abspath(dest) + os.sep
    new: list[LogObject] = []
    already = changed = 0
    for o in objs:
        if not o.is_s3 and os.path.abspath(o.path).startswith(dest_abs):
            continue  # never read the dataset itself
        got = known.inputs.get(o.input_name)
        if got is None:
            new.append(o)
            continue
        already += 1
        if got.size != o.size or got.mtime != round(float(o.mtime), 6):
            changed += 1
    rep.listed, rep.already, rep.changed = len(objs), already, changed
    if new:
        r = convert(new, dest, partition_by=by, compact_after=False, **opts)
        rep.runs.append(r)
        rep.objects += r.inputs
        rep.rows += r.rows
        rep.bad_records += r.bad_records
        rep.bytes_in += r.bytes_in
        rep.bytes_out += r.bytes_out
    if _needs_compaction(dest):
        c = compact(dest, threads=opts.get("threads"), compression=opts.get("compression", "zstd"))
        rep.compactions.append(c)


def _needs_compaction(dest: str, target_rows: int = DEFAULT_FILE_ROWS) -> bool:
    """Whether a partition holds more than one small file (this pass's, or an interrupted run's)."""
    m = Manifest.peek(dest)
    small: dict[str, int] = {}
    for f, rows in m.files.items():
        if rows < target_rows // 2:
            d = os.path.dirname(f)
            small[d] = small.get(d, 0) + 1
            if small[d] > 1:
                return True
    return False


def _log(rep: IngestReport) -> None:  # pragma: no cover - CLI output
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] pass {rep.polls}: {rep.summary()}", file=sys.stderr, flush=True)
