"""Write the seed corpus of fuzz_pqread (csrc/fuzz/corpus/pqread/): small
Parquet files, a few KB each, that between them reach every reader path:
dictionary and PLAIN pages, dictionary fallback, the DELTA encodings,
BYTE_STREAM_SPLIT, RLE booleans, data pages v1 and v2, snappy/zstd/gzip/
lz4/brotli, nulls, page indexes, bloom filters, struct leaves, INT96,
decimals, float16 and a nested (list) column.

Run from the repository root with the test virtualenv:
    .venv/bin/python csrc/fuzz/make_pqread_corpus.py
"""
from __future__ import annotations

import os
import sys
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pqread")


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    n = 120
    null = rng.random(n) < 0.25
    words = np.array(["ACCEPT", "REJECT", "OK", "NODATA", "10.0.0.1", "2001:db8::1", ""])

    def arr(v, t):
        return pa.array(v, type=t, mask=null)

    base = pa.table({
        "srcaddr": arr(words[rng.integers(0, len(words), n)], pa.string()),
        "port": arr(rng.integers(0, 65536, n).astype(np.int32), pa.int32()),
        "bytes": arr(rng.integers(0, 2**40, n), pa.int64()),
        "flag": arr(rng.random(n) < 0.5, pa.bool_()),
        "f": arr(rng.normal(size=n), pa.float64()),
    })
    files = {
        "dict-snappy-v1-index.parquet": (base, dict(compression="snappy", row_group_size=50, data_page_size=200,
                                                      write_page_index=True)),
        "plain-zstd-v2.parquet": (base, dict(compression="zstd", use_dictionary=False, data_page_version="2.0",
                                             row_group_size=80, write_page_checksum=True)),
        "delta-gzip-v2.parquet": (base.select(["srcaddr", "port", "bytes"]),
                                  dict(compression="gzip", use_dictionary=False, data_page_version="2.0",
                                       column_encoding={"srcaddr": "DELTA_BYTE_ARRAY", "port": "DELTA_BINARY_PACKED",
                                                        "bytes": "DELTA_BINARY_PACKED"})),
        "dlba-lz4.parquet": (base.select(["srcaddr"]), dict(compression="lz4", use_dictionary=False,
                                                           column_encoding={"srcaddr": "DELTA_LENGTH_BYTE_ARRAY"})),
        "bss-brotli.parquet": (pa.table({
            "f": arr(rng.normal(size=n), pa.float64()),
            "g": arr(rng.normal(size=n).astype(np.float32), pa.float32()),
            "h": arr(rng.normal(size=n).astype(np.float16), pa.float16()),
            "i": arr(rng.integers(0, 1000, n).astype(np.int32), pa.int32()),
            "fx": arr([rng.integers(0, 256, 3, dtype=np.uint8).tobytes() for _ in range(n)], pa.binary(3)),
        }), dict(compression="brotli", use_dictionary=False,
                 column_encoding={c: "BYTE_STREAM_SPLIT" for c in ("f", "g", "h", "i", "fx")})),
        "types-bloom.parquet": (pa.table({
            "ts": arr(rng.integers(0, 2**50, n), pa.timestamp("us", tz="UTC")),
            "old": arr(rng.integers(0, 2**60, n), pa.timestamp("ns")),
            "d": arr(rng.integers(0, 20000, n).astype(np.int32), pa.date32()),
            "dec": pa.array([None if m else Decimal(int(v)).scaleb(-2) for m, v in zip(null, rng.integers(-10**6, 10**6, n))],
                            pa.decimal128(12, 2)),
            "u8": arr(rng.integers(0, 256, n).astype(np.uint8), pa.uint8()),
            "u64": arr(rng.integers(0, 2**63, n, dtype=np.uint64), pa.uint64()),
            "st": pa.StructArray.from_arrays([arr(rng.integers(0, 9, n), pa.int64()), arr(words[:1].repeat(n), pa.string())],
                                             names=["a", "b"]),
            "lst": pa.array([[1, 2], None, [], [3]] * (n // 4), pa.list_(pa.int32())),
            "s": arr(words[rng.integers(0, len(words), n)], pa.string()),
        }), dict(compression="none", use_deprecated_int96_timestamps=True, row_group_size=60, data_page_version="2.0",
                 bloom_filter_options={"s": {"ndv": 10, "fpp": 0.05}, "u8": True}, write_page_index=True)),
        "fallback.parquet": (pa.table({"s": pa.array([f"v{i}" for i in range(400)])}),
                             dict(dictionary_pagesize_limit=300, data_page_size=300, compression="snappy")),
    }
    for name, (table, kw) in files.items():
        path = os.path.join(OUT, name)
        pq.write_table(table, path, **kw)
        print(f"{name}: {os.path.getsize(path):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
