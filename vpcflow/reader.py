"""Reading flow logs: :func:`read_logs`, :func:`parse_text` and :func:`parse_payload`.

Flow logs arrive as text (S3 objects, files) or inside CloudWatch Logs
subscription payloads and Firehose records; every reader sniffs which from
the bytes, after gzip/zstd, never from a name:

* **flow-log text**: lines, with a header line or in ``fields=``'s format;
* **JSON** (first non-blank byte ``{`` or ``[``), any number of values one
  after the other, with or without whitespace between them (Firehose
  concatenates), each one of these or an array of them:

  - a CloudWatch Logs subscription payload ``{"messageType": "DATA_MESSAGE",
    "logGroup", "logStream", "logEvents": [{"id", "timestamp", "message"}]}``,
    as CloudWatch sends it (gzip'd) or as Firehose writes a subscription to S3
    (gzip'd payloads back to back: a multi-member gzip);
  - a Lambda event ``{"awslogs": {"data": "<base64>"}}``, a Kinesis event
    ``{"Records": [{"kinesis": {"data": "<base64>"}}]}`` or a Firehose
    transformation event ``{"records": [{"recordId", "data": "<base64>"}]}``,
    each data the base64 of a gzip'd payload (or of plain JSON);
  - a Firehose direct-delivery record ``{"message": "<flow-log line>"}``;
* **base64 records**: lines, each the base64 of a gzip'd payload, as Kinesis
  and Firehose carry them (a file whose first line starts ``H4sI``);
* **Parquet** (``PAR1``, also gzip-wrapped): read by :func:`read_logs` into
  the same columns and types (:mod:`vpcflow.awsparquet`);
  :func:`parse_text` and :func:`parse_payload` refuse it with a
  :class:`~vpcflow.ParseError`.

Header-less text whose first field is a string may also begin with ``{``,
``[`` or ``H4sI``: a source whose first line is a valid record in
``fields=``'s format is text (data wins, as for lines that look like a
header).

Each log event's message (and each Firehose record's) is a header-less line
in ``fields=``'s format (the v2 default otherwise), parsed exactly like a
line of text.  CloudWatch payloads add three columns: ``log_group`` and
``log_stream`` (strings; the stream is usually the ENI id) and
``event_timestamp`` (int64, the event's milliseconds since the epoch);
a field of ``fields=`` with one of those names wins over it.
``CONTROL_MESSAGE`` payloads (CloudWatch's health checks) yield no records.

**Line numbers** of JSON input count records: line ``n`` of an object is
its ``n``-th log event or Firehose record (events of control messages do
not count), whatever payload it came in.  Bad records also carry the byte
offset of their record in the decompressed object
(:attr:`BadRecord.offset`, :attr:`ParseError.offset`).

**Bad input**, with ``on_error="raise"`` a :class:`~vpcflow.ParseError`,
with ``"skip"`` counted in ``report.bad_lines`` and kept in
``report.bad_records``:

* a bad flow-log message: as for text, on the event's line;
* a bad event (not an object, no message, a message that is not a string or
  holds a line break, a timestamp that is not an integer): on its own line;
* a bad payload or record (valid JSON of the wrong shape, e.g. a
  ``DATA_MESSAGE`` without ``logEvents`` or ``"logEvents": 5``; bad base64; a
  damaged gzip stream inside a record; a wrapper record without data): one
  bad record, numbered as the next event would be; none of its events is
  kept, and the next payload is read;
* invalid JSON: one bad record likewise; the value it is in is dropped and
  reading resumes at the next line that starts with ``{`` or ``[`` (JSON
  lines and newline-separated payloads lose one record; a broken document
  with no line breaks after the damage loses the rest of the object).

A JSON value, or decoded record, larger than 1 GiB is refused.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Iterable, Mapping, Sequence, Union

from . import _core as _core
from .table import Table, parse_report, table_from_core

__all__ = ["read_logs", "read_objects", "parse_text", "parse_payload", "expand_paths", "normalize_fields", "DEFAULT_FIELDS",
           "KNOWN_FIELDS"]

PathLike = Union[str, "os.PathLike[str]"]
Fields = Union[None, str, Sequence[str]]

#: (header name, column name, type, version) of every known field, in canonical order.
KNOWN_FIELDS: list[tuple[str, str, str, int]] = _core.known_fields()
#: The v2 default format's fields, which header-less input gets unless ``fields=`` says otherwise.
DEFAULT_FIELDS: list[str] = [h for h, _, _, v in KNOWN_FIELDS if v == 2]

_ON_ERROR = ("raise", "skip")


def normalize_fields(fields: Fields) -> list[str] | None:
    """Turn ``fields=`` into a list of names.

    Accepts None, a list of header or column names, an AWS ``LogFormat``
    string (``"${version} ${account-id} ..."``) or a space-separated header.

    Example:
        >>> normalize_fields("${version} ${srcaddr} ${log-status}")
        ['version', 'srcaddr', 'log-status']
    """
    if fields is None:
        return None
    if isinstance(fields, str):
        if "$" in fields:
            return _core.parse_log_format(fields)
        names = fields.split()
    else:
        names = list(fields)
    if not names:
        raise ValueError("fields must name at least one field")
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"field names must be strings, not {type(n).__name__}")
    return names


def expand_paths(paths: PathLike | Iterable[PathLike]) -> list[str]:
    """Files to read: each path, with directories walked recursively.

    Directory entries are visited in sorted order; hidden files and
    folders (names starting with ``.``) and bookkeeping ones (starting
    with ``_``, as ``_SUCCESS`` or a dataset's ``_vpcflow/``) are skipped.  A path that does not
    exist raises ``FileNotFoundError``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith((".", "_")))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p!r}")
    return out


def _threads(threads: int | None) -> int:
    """``threads`` checked (a positive int; not a bool), or every core for None."""
    if threads is None:
        return os.cpu_count() or 1
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive integer, not {threads!r}")
    return threads


def _read(sources: list, names: list[str], fields: Fields, on_error: str, threads: int | None,
          chunk_size: int, max_bad_kept: int) -> Table:
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}, not {on_error!r}")
    nthreads = _threads(threads)
    t0 = time.perf_counter()
    result = _core.read(sources, normalize_fields(fields), on_error, nthreads, chunk_size, max_bad_kept)
    return table_from_core(result, names, time.perf_counter() - t0, nthreads)


def read_logs(
    paths: PathLike | Iterable[PathLike],
    *,
    fields: Fields = None,
    on_error: str = "raise",
    threads: int | None = None,
    chunk_size: int = 0,
    max_bad_kept: int = 100_000,
    include_accounts: Iterable[str | int] | str | int | None = None,
    include_regions: Iterable[str] | str | None = None,
    start: Any = None,
    end: Any = None,
    slack: float = 900,
    endpoint_url: str | None = None,
    download_threads: int = 16,
) -> Table:
    """Read flow-log files into a :class:`~vpcflow.Table`.

    Args:
        paths: a file, a directory (walked recursively) or a list of them.
            Files may be plain text, gzip (any number of members) or zstd;
            compression is detected from the bytes, not the name.  A file
            may hold flow-log text, CloudWatch Logs subscription payloads,
            Firehose records or base64 records of payloads: what it holds is
            sniffed too (see the module documentation, :mod:`vpcflow.reader`).
        fields: the fields of header-less input (CloudWatch/Firehose
            messages): a list of names or an AWS ``LogFormat`` string.
            A file's own header line always decides its fields; without
            one the v2 default format is assumed.
        on_error: ``"raise"`` stops at the first bad line with a
            :class:`~vpcflow.ParseError` naming the file, line, field and
            text; ``"skip"`` returns the good records and counts and keeps
            the bad ones in ``table.report``.
        threads: worker threads (default: all cores).  Files, and pieces
            of large plain text files, are parsed in parallel (a file of
            payloads is one piece); the result is the same for any thread
            count.
        chunk_size: bytes of text per parse batch (default 8 MiB).
        max_bad_kept: how many bad records the report keeps (all are counted).
        include_accounts, include_regions, start, end, slack: select S3-style
            objects by their keys without opening them (see
            :func:`vpcflow.list_objects`; objects whose keys say nothing are
            always read).
        endpoint_url: the S3 endpoint for ``s3://`` paths (default:
            ``VPCFLOW_S3_ENDPOINT``, else boto3's own).
        download_threads: parallel S3 downloads (default 16).

    Paths may be ``s3://bucket/prefix`` URLs (needs ``pip install
    'vpcflow[s3]'``): the objects are listed, downloaded in parallel and
    parsed from memory.  Parquet objects (AWS's ``*.log.parquet`` delivery,
    or Parquet written by pandas, Spark...; found by their ``PAR1`` bytes,
    also inside gzip) are read into the same columns and types as text
    (:mod:`vpcflow.awsparquet`), so one directory may mix text, payloads and
    Parquet.  Rows come in input order.

    Returns:
        A Table; ``table.report`` says what was read.

    Example:
        >>> import vpcflow, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> info = vpcflow.synth.write_sample(d, records=1000, seed=1)
        >>> t = vpcflow.read_logs(d)
        >>> t.num_rows
        1000
    """
    from .sources import list_objects

    objs = list_objects(paths, include_accounts=include_accounts, include_regions=include_regions, start=start,
                        end=end, slack=slack, endpoint_url=endpoint_url)
    return read_objects(objs, fields=fields, on_error=on_error, threads=threads, chunk_size=chunk_size,
                        max_bad_kept=max_bad_kept, download_threads=download_threads)


def _sniff_parquet(head: bytes) -> bool:
    """Whether bytes start a Parquet file: PAR1, or a gzip stream whose content starts with it."""
    if head[:4] == b"PAR1":
        return True
    if head[:2] != b"\x1f\x8b":
        return False
    import zlib

    try:
        return zlib.decompressobj(31).decompress(head, 4)[:4] == b"PAR1"
    except zlib.error:
        return False


def read_objects(
    objects: Sequence[Any],
    *,
    fields: Fields = None,
    on_error: str = "raise",
    threads: int | None = None,
    chunk_size: int = 0,
    max_bad_kept: int = 100_000,
    download_threads: int = 16,
) -> Table:
    """Read listed objects (:class:`vpcflow.sources.LogObject`, or file paths) in order, as :func:`read_logs`.

    Each object's format is sniffed from its bytes: runs of consecutive text or
    payload objects go to the C reader in one parallel call (local files by
    path, S3 objects from memory), Parquet objects to
    :func:`vpcflow.awsparquet.read_parquet_objects`; the pieces are put
    together in input order.
    """
    from .sources import LogObject, fetch

    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}, not {on_error!r}")
    nthreads = _threads(threads)
    t0 = time.perf_counter()
    objs = [o if isinstance(o, LogObject) else LogObject(os.fspath(o)) for o in objects]
    remote = [o for o in objs if o.is_s3]
    blobs = dict(zip((o.path for o in remote), fetch(remote, threads=download_threads))) if remote else {}
    # (is parquet, name, bytes or None, size) per object, in order
    items: list[tuple[bool, str, bytes | None, int]] = []
    for o in objs:
        data = blobs.get(o.path)
        if data is not None:
            items.append((_sniff_parquet(data[:1024]), o.path, data, len(data)))
            continue
        try:
            with open(o.path, "rb") as f:
                head = f.read(1024)
        except OSError:
            head = b""  # the C reader reports the error, naming the file
        items.append((_sniff_parquet(head), o.path, None, o.size))
    if not any(pq for pq, _, _, _ in items) and not remote:
        files = [name for _, name, _, _ in items]
        return _read(files, files, fields, on_error, nthreads, chunk_size, max_bad_kept)
    runs: list[list[tuple[bool, str, bytes | None, int]]] = []
    for it in items:
        if runs and runs[-1][0][0] == it[0]:
            runs[-1].append(it)
        else:
            runs.append([it])
    if not runs:
        return _read([], [], fields, on_error, nthreads, chunk_size, max_bad_kept)
    from .awsparquet import concat_tables, merge_reports, read_parquet_objects

    tables: list[Table] = []
    reports = []
    for run in runs:
        if run[0][0]:
            t, rep = read_parquet_objects([(n, d, s) for _, n, d, s in run], on_error=on_error, threads=nthreads,
                                          max_bad_kept=max_bad_kept)
        else:
            sources = [n if d is None else (n, d) for _, n, d, _ in run]
            t = _read(sources, [n for _, n, _, _ in run], fields, on_error, nthreads, chunk_size, max_bad_kept)
            rep = parse_report(t)
            rep.bytes_in = rep.bytes_in or sum(s for _, _, _, s in run)
        tables.append(t)
        reports.append(rep)
    table = concat_tables(tables)
    report = merge_reports(reports, max_bad_kept)
    report.seconds = time.perf_counter() - t0
    report.threads = nthreads
    table.report = report
    return table


def parse_text(
    data: bytes | bytearray | memoryview | str,
    *,
    fields: Fields = None,
    on_error: str = "raise",
    name: str = "<text>",
    max_bad_kept: int = 100_000,
) -> Table:
    """Parse flow-log text held in memory (plain, gzip or zstd bytes).

    Args:
        data: the text, or its compressed bytes.  Payloads and Firehose
            records are sniffed as by :func:`read_logs`
            (:func:`parse_payload` also takes a decoded event).
        fields, on_error, max_bad_kept: as for :func:`read_logs`.
        name: the name used in error messages and bad records.

    Example:
        >>> import vpcflow
        >>> t = vpcflow.parse_text("3 eni-1 10.0.0.1 - 5\\n", fields="${version} ${interface-id} ${srcaddr} ${dstaddr} ${packets}")
        >>> t.to_pylist()
        [{'version': 3, 'interface_id': 'eni-1', 'srcaddr': '10.0.0.1', 'dstaddr': None, 'packets': 5}]
    """
    if isinstance(data, str):
        data = data.encode()
    return _read([(name, data)], [name], fields, on_error, 1, 0, max_bad_kept)



Payload = Union[bytes, bytearray, memoryview, str, Mapping[str, Any], Sequence[Any]]


def parse_payload(
    data: Payload,
    *,
    fields: Fields = None,
    on_error: str = "raise",
    name: str = "<payload>",
    max_bad_kept: int = 100_000,
) -> Table:
    """Parse CloudWatch Logs subscription payloads or Firehose records held in memory.

    For a Lambda function subscribed to a flow log's log group, a Kinesis or
    Firehose consumer, or payloads fetched by hand.  The bytes are sniffed
    as :func:`read_logs` sniffs a file (see :mod:`vpcflow.reader` for every
    shape, the columns ``log_group``, ``log_stream`` and ``event_timestamp``,
    the line numbering and the error rules).

    Args:
        data: a payload's bytes as delivered (gzip'd JSON, plain JSON, one
            or more base64 records, several payloads back to back), a JSON
            string, or the decoded event itself: a dict such as a Lambda
            event (``{"awslogs": {"data": ...}}``, ``{"Records": [...]}``,
            ``{"records": [...]}``) or a payload, or a list of them.
        fields: the messages' format (a list of names or an AWS
            ``LogFormat`` string); the v2 default format otherwise.
        on_error, max_bad_kept: as for :func:`read_logs`.
        name: the name used in error messages and bad records.

    Returns:
        A Table; ``table.report`` counts the payloads, control messages and
        messages seen.

    Example:
        >>> import base64, gzip, json, vpcflow
        >>> payload = {"messageType": "DATA_MESSAGE", "logGroup": "/vpc/flows", "logStream": "eni-1",
        ...            "logEvents": [{"id": "1", "timestamp": 1700000000000, "message":
        ...                "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK"}]}
        >>> event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
        >>> t = vpcflow.parse_payload(event)
        >>> t.num_rows, t["log_stream"].tolist(), t["event_timestamp"].tolist(), t.report.payloads
        (1, ['eni-1'], [1700000000000], 1)
    """
    if isinstance(data, str):
        data = data.encode()
    elif isinstance(data, (Mapping, list, tuple)):
        data = json.dumps(data).encode()
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, str, a dict or a list, not {type(data).__name__}")
    return _read([(name, data)], [name], fields, on_error, 1, 0, max_bad_kept)
