"""Reading flow-log text: :func:`read_logs` and :func:`parse_text`."""
from __future__ import annotations

import os
import time
from typing import Iterable, Sequence, Union

from . import _core as _core
from .table import Table, table_from_core

__all__ = ["read_logs", "parse_text", "expand_paths", "normalize_fields", "DEFAULT_FIELDS", "KNOWN_FIELDS"]

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
    folders (names starting with ``.``) are skipped.  A path that does not
    exist raises ``FileNotFoundError``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p!r}")
    return out


def _threads(threads: int | None) -> int:
    if threads is None:
        return os.cpu_count() or 1
    if not isinstance(threads, int) or threads < 1:
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
) -> Table:
    """Read flow-log files into a :class:`~vpcflow.Table`.

    Args:
        paths: a file, a directory (walked recursively) or a list of them.
            Files may be plain text, gzip (any number of members) or zstd;
            compression is detected from the bytes, not the name.
        fields: the fields of header-less input (CloudWatch/Firehose
            messages): a list of names or an AWS ``LogFormat`` string.
            A file's own header line always decides its fields; without
            one the v2 default format is assumed.
        on_error: ``"raise"`` stops at the first bad line with a
            :class:`~vpcflow.ParseError` naming the file, line, field and
            text; ``"skip"`` returns the good records and counts and keeps
            the bad ones in ``table.report``.
        threads: worker threads (default: all cores).  Files, and pieces
            of large plain files, are parsed in parallel; the result is the
            same for any thread count.
        chunk_size: bytes of text per parse batch (default 8 MiB).
        max_bad_kept: how many bad records the report keeps (all are counted).

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
    files = expand_paths(paths)
    return _read(files, files, fields, on_error, threads, chunk_size, max_bad_kept)


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
        data: the text, or its compressed bytes.
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

