"""Exceptions raised by vpcflow."""
from __future__ import annotations

__all__ = ["ParseError", "ParquetError", "QueryError"]


class ParseError(ValueError):
    """Input that is not valid flow-log data.

    The message names the file, the line number, the field and the
    offending text; the same facts are attributes, for code that handles
    the error.

    Attributes:
        file: the file (or buffer name) being read.
        line: 1-based line number in the decompressed text, or None.  For
            JSON input (CloudWatch Logs payloads, Firehose records) the
            record's position: the object's n-th log event or Firehose
            record (a bad payload gets the number of the event after it).
        offset: byte offset, or None: where a compressed stream is damaged,
            or, for JSON input, where the bad record (or the invalid JSON)
            is in the decompressed object.
        field: the column whose value was invalid, or None when the whole
            line is wrong (for example the wrong number of fields).
        text: the offending line (truncated), or None; for JSON input the
            message, the event's JSON or the JSON from the problem on.
        kind: "parse error", "corrupt compressed data" or
            "unsupported input format".

    Example:
        >>> import vpcflow
        >>> try:
        ...     vpcflow.parse_text(b"2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 x 40 1 2 ACCEPT OK\\n", name="a.log")
        ... except vpcflow.ParseError as e:
        ...     print(e.file, e.line, e.field)
        a.log 1 packets
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        offset: int | None = None,
        field: str | None = None,
        text: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file or None
        self.line = line if line else None
        self.offset = offset if offset is not None and offset >= 0 else None
        self.field = field or None
        self.text = text if text else None
        self.kind = kind


class ParquetError(ParseError):
    """A Parquet file that cannot be read (or written) as asked.

    Raised for corrupt or truncated files, encrypted files, unsupported
    codecs, encodings or nested columns.  The message names the file and
    what is wrong, and where it is known the column (``field``) and the
    byte offset in the file (``offset``).

    It is a :class:`ParseError` (input that is not valid data), so code
    that handles bad input catches both.

    Example:
        >>> import vpcflow
        >>> issubclass(vpcflow.ParquetError, vpcflow.ParseError)
        True
    """


class QueryError(ValueError):
    """A query that cannot run: unknown column, type mismatch, bad CIDR,
    bad duration, or a syntax error in a pipe-string query.

    Attributes:
        position: for syntax errors, the 0-based character offset in the
            query text where the problem is; otherwise None.
        query: the query text, when there is one.
    """

    def __init__(self, message: str, *, position: int | None = None, query: str | None = None, **_: object) -> None:
        super().__init__(message)
        self.position = position
        self.query = query
