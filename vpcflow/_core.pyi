"""Type stubs for the C extension vpcflow._core (csrc/py/module.c)."""
from typing import Any, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Source = Union[str, tuple[str, Union[bytes, bytearray, memoryview]]]

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
def _set_errors(parse_error: type, parquet_error: type, query_error: type) -> None: ...
def write_parquet(
    columns: list[tuple[Any, ...]],
    path: str | bytes,
    codec: int = ...,
    level: int = ...,
    row_group_rows: int = ...,
    row_group_bytes: int = ...,
    page_bytes: int = ...,
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
