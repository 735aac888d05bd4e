"""A plain, obviously-correct pure-Python reader of flow-log text, to cross-check the C parser.

Nothing here is fast or clever: one file at a time, one line at a time, one field at a time,
with the rules of the API contract spelled out.

Rules
-----
* **Inputs.**  ``paths`` is a path or a list of paths.  A directory is replaced by every
  regular file below it, recursively, sorted by the path relative to the directory (POSIX
  separators, plain string order).  Nothing is filtered out.
* **Bytes.**  A file starting with the gzip magic ``1f 8b`` is gunzipped (all members);
  anything else is text.  Lines are split on ``\\n``; one trailing ``\\r`` is dropped; fields are
  separated by runs of spaces or tabs (leading/trailing blanks ignored).  Blank lines are
  skipped.  Text must be UTF-8 (in practice ASCII).
* **Header.**  The first non-blank line is a header when every token matches
  ``[a-z][a-z0-9-]*`` and at least one token is a known field name (:data:`KNOWN_FIELDS`).  Later
  lines with exactly the same tokens are skipped as repeated headers.  A file without a header
  uses the field list of ``fields=``, else the v2 default format.  With ``fields=`` given, a
  header line is still recognised and skipped, but ``fields`` names the columns.
* **Values.**  ``-`` is null in every field.  int32/int64 fields are ``-?[0-9]+`` within the
  type's range; ``start``/``end`` values ``>= 100_000_000_000`` are milliseconds and are
  floor-divided by 1000.  Addresses are IPv4 or IPv6 (no zone id) and come back as
  ``str(ipaddress.ip_address(token))``.  Everything else is a string as written.
* **Columns.**  Names are header names with ``-`` -> ``_``.  Known fields come first in the
  order of :data:`KNOWN_FIELDS`, then unknown fields (strings) in order of first appearance.
  Only fields named by some header (or by ``fields=``) appear; a column a file lacks is
  ``None`` for that file's rows.  An input without any non-blank line adds no columns.
* **Errors.**  A line with the wrong number of fields or a bad value raises
  :class:`RefParseError` (a ``ValueError``) naming file, line (1-based), field and text.  With
  ``on_error="skip"`` the line is left out and, if ``report`` is given, recorded in it.
"""

from __future__ import annotations

import gzip
import ipaddress
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DEFAULT_FIELDS",
    "KNOWN_FIELDS",
    "RefParseError",
    "RefReport",
    "column_name",
    "parse_fields",
    "ref_parse_bytes",
    "ref_parse_files",
]

PathArg = str | os.PathLike
Value = int | str | None

# (header name, type), in canonical AWS order: v2, v3, v4, v5, v6, v7, v8 (DESIGN.md).
KNOWN_FIELDS: list[tuple[str, str]] = [
    # v2 (the default format)
    ("version", "int32"), ("account-id", "string"), ("interface-id", "string"),
    ("srcaddr", "address"), ("dstaddr", "address"), ("srcport", "int32"),
    ("dstport", "int32"), ("protocol", "int32"), ("packets", "int64"), ("bytes", "int64"),
    ("start", "int64"), ("end", "int64"), ("action", "string"), ("log-status", "string"),
    # v3
    ("vpc-id", "string"), ("subnet-id", "string"), ("instance-id", "string"),
    ("tcp-flags", "int32"), ("type", "string"), ("pkt-srcaddr", "address"),
    ("pkt-dstaddr", "address"),
    # v4
    ("region", "string"), ("az-id", "string"), ("sublocation-type", "string"),
    ("sublocation-id", "string"),
    # v5
    ("pkt-src-aws-service", "string"), ("pkt-dst-aws-service", "string"),
    ("flow-direction", "string"), ("traffic-path", "int32"),
    # v6 (transit gateway)
    ("resource-type", "string"), ("tgw-id", "string"), ("tgw-attachment-id", "string"),
    ("tgw-src-vpc-account-id", "string"), ("tgw-dst-vpc-account-id", "string"),
    ("tgw-src-vpc-id", "string"), ("tgw-dst-vpc-id", "string"),
    ("tgw-src-subnet-id", "string"), ("tgw-dst-subnet-id", "string"),
    ("tgw-src-eni", "string"), ("tgw-dst-eni", "string"), ("tgw-src-az-id", "string"),
    ("tgw-dst-az-id", "string"), ("tgw-pair-attachment-id", "string"),
    ("packets-lost-no-route", "int64"), ("packets-lost-blackhole", "int64"),
    ("packets-lost-mtu-exceeded", "int64"), ("packets-lost-ttl-expired", "int64"),
    # v7 (ECS)
    ("ecs-cluster-arn", "string"), ("ecs-cluster-name", "string"),
    ("ecs-container-instance-arn", "string"), ("ecs-container-instance-id", "string"),
    ("ecs-container-id", "string"), ("ecs-second-container-id", "string"),
    ("ecs-service-name", "string"), ("ecs-task-definition-arn", "string"),
    ("ecs-task-arn", "string"), ("ecs-task-id", "string"),
    # v8
    ("reject-reason", "string"),
]

_TYPES: dict[str, str] = dict(KNOWN_FIELDS)
_ORDER: dict[str, int] = {name: i for i, (name, _) in enumerate(KNOWN_FIELDS)}
DEFAULT_FIELDS: list[str] = [name for name, _ in KNOWN_FIELDS[:14]]
"""The v2 default format, used for header-less input."""

_HEADER_TOKEN = re.compile(r"[a-z][a-z0-9-]*")
_INT = re.compile(r"-?[0-9]+")
_BLANKS = re.compile(r"[ \t]+")
_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_MS_THRESHOLD = 100_000_000_000


class RefParseError(ValueError):
    """A bad line: ``file``, ``line`` (1-based), ``field`` (header name or None), ``text``."""

    def __init__(self, file: str, line: int, field: str | None, text: str,
                 message: str) -> None:
        self.file, self.line, self.field, self.text, self.message = file, line, field, text, message
        where = f"{file}:{line}" + (f": field {field}" if field else "")
        super().__init__(f"{where}: {message}: {text!r}")


@dataclass
class RefReport:
    """Counters in the spirit of the contract's ParseReport (filled when passed in)."""

    files: int = 0
    lines: int = 0          # data + header + blank lines, excluding the empty one after a final \n
    rows: int = 0
    header_lines: int = 0
    ms_fixed: int = 0
    bytes_in: int = 0
    bytes_text: int = 0
    bad: list[RefParseError] = field(default_factory=list)

    @property
    def bad_lines(self) -> int:
        return len(self.bad)


def column_name(header_name: str) -> str:
    """``pkt-srcaddr`` -> ``pkt_srcaddr``."""
    return header_name.replace("-", "_")


def parse_fields(fields: str | Sequence[str]) -> list[str]:
    """Header names from a list (hyphens or underscores) or an AWS ``${a} ${b}`` LogFormat."""
    if isinstance(fields, str):
        names = re.findall(r"\$\{([^}]*)\}", fields) if "${" in fields else fields.split()
    else:
        names = list(fields)
    if not names:
        raise ValueError(f"no field names in {fields!r}")
    return [n.strip().replace("_", "-") for n in names]


def _files(paths: PathArg | Iterable[PathArg]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found = []
            for root, _dirs, names in os.walk(p):
                for name in names:
                    full = os.path.join(root, name)
                    if os.path.isfile(full):
                        found.append((Path(os.path.relpath(full, p)).as_posix(), full))
            out.extend(full for _, full in sorted(found))
        else:
            out.append(p)
    return out


def _value(kind: str, token: str) -> Value:
    """Convert one non-null token; raises ValueError with a short reason."""
    if kind in _RANGES:
        if not _INT.fullmatch(token):
            raise ValueError("not an integer")
        v = int(token)
        lo, hi = _RANGES[kind]
        if not lo <= v <= hi:
            raise ValueError(f"out of {kind} range")
        return v
    if kind == "address":
        if "%" in token:
            raise ValueError("not an IP address (zone id)")
        try:
            return str(ipaddress.ip_address(token))
        except ValueError:
            raise ValueError("not an IP address") from None
    return token


def _split(line: bytes) -> list[str]:
    """The fields of a line (without its \\n and \\r); raises UnicodeDecodeError."""
    text = line.decode("utf-8")
    return [t for t in _BLANKS.split(text.strip(" \t")) if t]


def _is_header(tokens: list[str]) -> bool:
    return (bool(tokens) and all(_HEADER_TOKEN.fullmatch(t) for t in tokens)
            and any(t in _TYPES for t in tokens))


def _parse_one(name: str, data: bytes, fields: list[str] | None, on_error: str,
               report: RefReport) -> tuple[list[str], list[list[Value]]] | None:
    """One input: (its header names, its rows), or None when it has no non-blank line."""
    report.files += 1
    report.bytes_in += len(data)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    report.bytes_text += len(data)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    report.lines += len(lines)
    names: list[str] | None = None
    header: list[str] | None = None
    rows: list[list[Value]] = []
    for lineno, raw in enumerate(lines, 1):
        text = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            tokens = _split(text)
        except UnicodeDecodeError:
            err = RefParseError(name, lineno, None, text.decode("utf-8", "replace"),
                                "not UTF-8 text")
            if on_error == "raise":
                raise err from None
            report.bad.append(err)
            continue
        if not tokens:
            continue
        if names is None:                      # first non-blank line
            if _is_header(tokens):
                header = tokens
                names = fields if fields is not None else tokens
                if len(set(names)) != len(names):
                    raise RefParseError(name, lineno, None, " ".join(tokens),
                                        "duplicate field names")
                report.header_lines += 1
                continue
            names = fields if fields is not None else DEFAULT_FIELDS
        elif header is not None and tokens == header:
            report.header_lines += 1
            continue
        try:
            rows.append(_row(name, lineno, names, tokens, text.decode("utf-8"), report))
        except RefParseError as err:
            if on_error == "raise":
                raise
            report.bad.append(err)
    if names is None:
        return None
    return names, rows


def _row(name: str, lineno: int, names: list[str], tokens: list[str], text: str,
         report: RefReport) -> list[Value]:
    """One data line's values, in the order of ``names``."""
    if len(tokens) != len(names):
        raise RefParseError(name, lineno, None, text,
                            f"expected {len(names)} fields, got {len(tokens)}")
    row: list[Value] = []
    fixed = 0
    for fname, token in zip(names, tokens):
        if token == "-":
            row.append(None)
            continue
        try:
            v = _value(_TYPES.get(fname, "string"), token)
        except ValueError as e:
            raise RefParseError(name, lineno, fname, token, str(e)) from None
        if fname in ("start", "end") and isinstance(v, int) and v >= _MS_THRESHOLD:
            v //= 1000
            fixed += 1
        row.append(v)
    report.ms_fixed += fixed
    report.rows += 1
    return row


def _columns(parsed: list[tuple[list[str], list[list[Value]]]]) -> dict[str, list[Value]]:
    seen: list[str] = []
    for names, _ in parsed:
        for n in names:
            if n not in seen:
                seen.append(n)
    known = sorted((n for n in seen if n in _ORDER), key=_ORDER.__getitem__)
    order = known + [n for n in seen if n not in _ORDER]
    out: dict[str, list[Value]] = {column_name(n): [] for n in order}
    for names, rows in parsed:
        pos = {n: i for i, n in enumerate(names)}
        for n in order:
            col = out[column_name(n)]
            i = pos.get(n)
            if i is None:
                col.extend([None] * len(rows))
            else:
                col.extend(r[i] for r in rows)
    return out


def _check(fields: None | str | Sequence[str], on_error: str) -> list[str] | None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    return None if fields is None else parse_fields(fields)


def ref_parse_files(paths: PathArg | Iterable[PathArg],
                    fields: None | str | Sequence[str] = None, *,
                    on_error: str = "raise",
                    report: RefReport | None = None) -> dict[str, list[Value]]:
    """Parse flow-log files (plain or gzip) into columns ``{name: [value, ...]}``.

    See the module docstring for every rule.  ``fields`` overrides the header (a list of
    header names, hyphens or underscores, or a ``${...}`` LogFormat string).

    For example, on the shared sample ``aws-docs-v2.log``,
    ``ref_parse_files(path)["srcport"][:2]`` is ``[20641, 49761]``.
    """
    names = _check(fields, on_error)
    report = report if report is not None else RefReport()
    parsed = []
    for f in _files(paths):
        with open(f, "rb") as fh:
            data = fh.read()
        one = _parse_one(f, data, names, on_error, report)
        if one is not None:
            parsed.append(one)
    return _columns(parsed)


def ref_parse_bytes(data: bytes | str, fields: None | str | Sequence[str] = None,
                    *, on_error: str = "raise", name: str = "<text>",
                    report: RefReport | None = None) -> dict[str, list[Value]]:
    """:func:`ref_parse_files` on an in-memory buffer (text, or bytes that may be gzip).

    >>> ref_parse_bytes("srcport dstport\\n443 -\\n")
    {'srcport': [443], 'dstport': [None]}
    """
    names = _check(fields, on_error)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    one = _parse_one(name, raw, names, on_error, report if report is not None else RefReport())
    return _columns([one] if one is not None else [])
