"""vpcflow: fast analysis of AWS VPC Flow Logs on one machine.

A CPython extension with a C core: a header-driven parser for every
flow-log format (v2 to v8 and newer fields, any field order, ``-`` as null,
IPv4/IPv6, plain/gzip/zstd), as text or inside CloudWatch Logs subscription
payloads and Firehose records, or as AWS's Parquet delivery, from local trees
or S3 (:func:`list_objects` selects objects by key; :func:`ingest` keeps a
dataset up to date), that returns typed NumPy columns, and a Parquet
reader and writer of their own (:func:`read_parquet`, :class:`ParquetFile`,
:func:`write_parquet`).

Example:
    >>> import vpcflow, tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = vpcflow.synth.write_sample(d, records=2000, seed=7)
    >>> t = vpcflow.read_logs(d)
    >>> t.num_rows, t.schema["srcaddr"]
    (2000, 'address')
"""
from __future__ import annotations

from . import _core as _core
from .errors import ParquetError, ParseError, QueryError
from .pqread import ParquetFile, ParquetReadReport, read_parquet
from .pqwrite import WriteReport, write_parquet
from .reader import DEFAULT_FIELDS, KNOWN_FIELDS, parse_payload, parse_text, read_logs
from .table import BadRecord, Column, ParseReport, Schema, Table

_core._set_errors(ParseError, ParquetError, QueryError)

from . import synth  # noqa: E402  (needs nothing from the C core)
from . import names, recipes  # noqa: E402
from .expr import (  # noqa: E402
    Agg, Expr, avg, bin, col, corr, count, count_distinct, earliest, in_subnet, latest, lit, max, mean, min,
    protocol_name, service_name, stddev, stddev_pop, sum, variance, when,
)
from .query import GroupBy, Query  # noqa: E402
from .dataset import Dataset, ScanReport, dataset  # noqa: E402
from .convert import CompactReport, ConvertReport, compact, convert  # noqa: E402
from .sources import LogObject, list_objects  # noqa: E402
from .ingest import IngestReport, ingest  # noqa: E402
from . import sources  # noqa: E402
from . import memory  # noqa: E402
from .memory import PoolInfo, memory_pool, set_memory_pool  # noqa: E402

__version__: str = _core.__version__

__all__ = [
    "Agg", "CompactReport", "ConvertReport", "Dataset", "Expr", "GroupBy", "IngestReport", "LogObject", "Query",
    "ScanReport", "compact", "memory", "PoolInfo", "memory_pool", "set_memory_pool", "ingest", "list_objects", "sources",
    "convert", "dataset", "avg", "bin", "col", "corr", "count", "count_distinct", "earliest",
    "in_subnet", "latest", "lit", "max", "mean", "min", "names", "protocol_name", "recipes", "service_name",
    "stddev", "stddev_pop", "sum", "variance", "when",
    "BadRecord",
    "Column",
    "DEFAULT_FIELDS",
    "KNOWN_FIELDS",
    "ParseError",
    "ParquetError",
    "ParquetFile",
    "ParquetReadReport",
    "QueryError",
    "ParseReport",
    "Schema",
    "Table",
    "WriteReport",
    "parse_payload",
    "parse_text",
    "read_logs",
    "read_parquet",
    "synth",
    "write_parquet",
    "__version__",
]
