"""Helpers for the Parquet reader tests: compare a vpcflow Table with what
pyarrow reads, column by column, values and nulls."""
from __future__ import annotations

import decimal
import math
from typing import Any

import numpy as np
import pyarrow as pa

import vpcflow


def flatten_structs(t: pa.Table) -> pa.Table:
    """Struct columns as their leaves ("a.b"), nulls of the parent carried down, as vpcflow reads them."""
    while any(pa.types.is_struct(f.type) for f in t.schema):
        t = t.flatten()
    return t


def arrow_values(arr: pa.ChunkedArray | pa.Array) -> list[Any]:
    """pyarrow values in vpcflow's representation: timestamps, dates and
    times as their stored numbers, float16 as float, dictionaries decoded."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_timestamp(t) or pa.types.is_date64(t) or pa.types.is_time64(t) or pa.types.is_duration(t):
        return arr.cast(pa.int64()).to_pylist()
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        return arr.cast(pa.int32()).to_pylist()
    if pa.types.is_float16(t):
        return [None if v is None else float(v) for v in arr.to_pylist()]
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.cast(pa.string()).to_pylist()
    return arr.to_pylist()


def our_values(col: vpcflow.Column) -> list[Any]:
    """A vpcflow column's values, decimals as decimal.Decimal (pyarrow's form)."""
    vals = col.to_pylist()
    lg = col.logical or ""
    if lg.startswith("decimal("):
        scale = int(lg[lg.index(",") + 1:-1])
        out = []
        for v in vals:
            if v is None:
                out.append(None)
            else:
                n = int.from_bytes(v, "big", signed=True) if isinstance(v, bytes) else int(v)
                out.append(decimal.Decimal(n).scaleb(-scale))
        return out
    return vals


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, decimal.Decimal) and isinstance(b, decimal.Decimal):
        return a == b
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def assert_column_equal(col: vpcflow.Column, expected: pa.ChunkedArray | pa.Array, where: str = "") -> None:
    ours = our_values(col)
    exp = arrow_values(expected)
    assert len(ours) == len(exp), f"{where}{col.name}: {len(ours)} rows, pyarrow {len(exp)}"
    for i, (a, b) in enumerate(zip(ours, exp)):
        if not same_value(a, b):
            raise AssertionError(f"{where}{col.name}[{i}] ({col.type}, {col.logical}): vpcflow {a!r}, pyarrow {b!r}")


def assert_table_equal(t: vpcflow.Table, expected: pa.Table, where: str = "", columns: list[str] | None = None) -> None:
    """Every column of t equals pyarrow's (structs flattened), and the same columns are there."""
    expected = flatten_structs(expected)
    names = columns if columns is not None else expected.column_names
    assert t.column_names == list(names), f"{where}columns {t.column_names} != {list(names)}"
    assert t.num_rows == expected.num_rows, f"{where}{t.num_rows} rows, pyarrow {expected.num_rows}"
    for name in names:
        assert_column_equal(t.column(name), expected.column(name), where)


def value_columns_equal(a: vpcflow.Table, b: vpcflow.Table) -> None:
    """Two vpcflow tables hold the same values (dictionaries compared decoded)."""
    assert a.column_names == b.column_names
    assert a.schema == b.schema, (a.schema, b.schema)
    for name in a.column_names:
        ca, cb = a.column(name), b.column(name)
        if ca.is_dictionary:
            assert ca.to_pylist() == cb.to_pylist(), name
        else:
            assert np.array_equal(ca.valid, cb.valid), name
            va, vb = ca.values[ca.valid], cb.values[cb.valid]
            assert np.array_equal(va, vb, equal_nan=va.dtype.kind == "f"), name
