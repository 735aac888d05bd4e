"""Type stubs for the C extension vpcflow._core (csrc/py/module.c)."""
from typing import Any, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Source = Union[str, tuple[str, Union[bytes, bytearray, memoryview]]]

# read() returns {"nrows", "columns": [(name, type, values, valid, dict, null_count, logical)],
# "report": {files, lines, rows, bad_lines, header_lines, blank_lines, ms_fixed, bytes_in,
# bytes_text, payloads, control_messages, messages}, "bad": [(source, line, field, text,
# message, offset)]}; offset is -1 for text, the record's byte offset for JSON input.
def read(
    sources: list[_Source],
    fields: Sequence[str] | None = ...,
    on_error: str = ...,
    threads: int = ...,
    chunk_size: int = ...,
    max_bad_kept: int = ...,
) -> dict[str, Any]: ...
def parse_log_format(fmt: str) -> list[str]: ...
def known_fields() -> list[tuple[str, str, str, int]]: ...
def parse_int(data: bytes) -> int | None: ...
def parse_addr(data: bytes) -> tuple[bytes, int] | None: ...
def format_addrs(addrs: npt.ArrayLike, families: npt.ArrayLike) -> npt.NDArray[np.object_]: ...
def decode_strings(offsets: npt.ArrayLike, data: bytes) -> npt.NDArray[np.object_]: ...
def decompress(data: bytes | bytearray | memoryview) -> bytes: ...
def gzip_backend() -> str: ...
def json_unescape(data: bytes | bytearray | memoryview) -> bytes: ...
def base64_decode(data: bytes | bytearray | memoryview) -> bytes: ...
def _set_errors(parse_error: type, parquet_error: type, query_error: type) -> None: ...

# the query kernels (csrc/py/exec.c; vpcflow/_exec.py documents them)
_Program = list[tuple[Any, ...]]
_Col = tuple[Any, ...]

def filter(columns: list[_Col], program: _Program, sel: npt.NDArray[np.int64] | None = ..., threads: int = ...) -> npt.NDArray[np.int64]: ...
def eval(columns: list[_Col], program: _Program, sel: npt.NDArray[np.int64] | None = ..., threads: int = ...) -> tuple[np.ndarray, npt.NDArray[np.bool_] | None, str]: ...
def expr_check(columns: list[_Col], program: _Program) -> str: ...
def group_agg(
    columns: list[_Col],
    keys: list[int],
    aggs: list[tuple[str, int, int, int]],
    sel: npt.NDArray[np.int64] | None = ...,
    threads: int = ...,
    strategy: str = ...,
) -> tuple[list[tuple[np.ndarray, npt.NDArray[np.bool_] | None]], list[tuple[np.ndarray, npt.NDArray[np.bool_] | None]], str]: ...
def topk(column: _Col, k: int, descending: bool = ..., sel: npt.NDArray[np.int64] | None = ...) -> npt.NDArray[np.int64]: ...
def take(values: npt.NDArray[Any], indices: npt.ArrayLike, threads: int = ...) -> npt.NDArray[Any]: ...

# csrc/py/pqread.c: the Parquet reader (vpcflow/pqread.py builds on these)
class _ParquetHandle: ...

def pq_open(buffer: bytes | bytearray | memoryview | None, name: str) -> _ParquetHandle: ...
def pq_metadata(handle: _ParquetHandle) -> dict[str, Any]: ...
def pq_row_group(handle: _ParquetHandle, rg: int) -> dict[str, Any]: ...
def pq_page_index(handle: _ParquetHandle, rg: int, col: int | str) -> list[tuple[Any, ...]] | None: ...
def pq_bloom(handle: _ParquetHandle, rg: int, col: int | str, values: Sequence[Any]) -> bool | None: ...
def pq_read(
    handles: list[_ParquetHandle],
    row_groups: list[list[tuple[int, list[tuple[int, int]] | None]] | None],
    columns: Sequence[str] | None = ...,
    addresses: Sequence[str] | None = ...,
    threads: int = ...,
    check_crc: bool = ...,
) -> tuple[dict[str, Any], dict[str, int]]: ...

# csrc/py/pqwrite.c: the Parquet writer (vpcflow/pqwrite.py builds on it)
def write_parquet(
    columns: list[tuple[Any, ...]],
    path: str | bytes,
    codec: int = ...,
    level: int = ...,
    row_group_rows: int = ...,
    row_group_bytes: int = ...,
    page_bytes: int = ...,
    page_rows: int = ...,
    page_version: int = ...,
    dictionary: bool = ...,
    dictionary_page_limit: int = ...,
    int_encoding: int = ...,
    statistics: bool = ...,
    page_index: bool = ...,
    bloom_columns: Sequence[str | bytes] | None = ...,
    bloom_fpp: float = ...,
    metadata: Sequence[tuple[str | bytes, str | bytes]] | None = ...,
    threads: int = ...,
    fail_after_bytes: int = ...,
) -> dict[str, Any]: ...
def parquet_created_by() -> str: ...
