/*
 * writer.h - the Parquet writer: flat tables of vf_colview columns to a
 * Parquet file that Athena, Spark, DuckDB and pyarrow read unchanged.
 *
 * The schema mirrors AWS's own Parquet delivery of flow logs: the column
 * names as given, int32 -> INT32 and int64 -> INT64 (no annotation),
 * string and address -> BYTE_ARRAY with the STRING logical type (converted
 * type UTF8), every column OPTIONAL.  The other column types map as
 * int8/int16/uint8/uint16/uint32 -> INT32 and uint64 -> INT64 with the
 * INTEGER logical type (and converted type), float32/float64 -> FLOAT/DOUBLE,
 * bool -> BOOLEAN, binary -> BYTE_ARRAY; a column's `logical` string (as
 * the Parquet reader gives it: "timestamp[us, UTC]", "date32", "time[ms]",
 * "decimal(9,2)", "json", "bson") becomes the Parquet logical type again.
 *
 * Each column chunk: strings and addresses dictionary-encoded (a sorted
 * PLAIN dictionary page of the entries the row group uses, addresses as
 * text; RLE_DICTIONARY data pages), or PLAIN when that page would exceed
 * the limit; integers PLAIN or DELTA_BINARY_PACKED (auto: whichever a
 * sample of the chunk compresses smaller); definition levels RLE.
 * Statistics per chunk and per page with TypeDefinedOrder column orders,
 * ColumnIndex + OffsetIndex after the row groups, split-block bloom
 * filters on chosen columns.
 *
 * The file is written to a temporary file beside it (".<name>.tmp-<pid>-<random>"),
 * fsync'ed and renamed into place by close: the final name never holds a
 * partial file, and on any error the temporary file is removed.
 *
 * Memory is bounded by one row group: its columns are encoded in parallel
 * (one task per column, each thread with its own compressor and scratch
 * buffers), then written in order.  No global state; errors are values
 * naming the file and, where there is one, the column.
 */
#ifndef VF_PQ_WRITER_H
#define VF_PQ_WRITER_H

#include "../common/internal.h"

/* zstd level when none is given: 1 (Arrow's default; smaller and faster than
 * 3 on dictionary/delta-encoded flow-log pages, see bench/README.md) */
#define PQ_ZSTD_DEFAULT_LEVEL 1

enum { PQ_INT_AUTO = 0, PQ_INT_PLAIN = 1, PQ_INT_DELTA = 2 };

typedef struct pq_write_opts {
    int codec;                  /* VF_BC_UNCOMPRESSED, _SNAPPY, _GZIP or _ZSTD (default ZSTD) */
    int level;                  /* codec level; 0: the writer's default (zstd PQ_ZSTD_DEFAULT_LEVEL, gzip 6) */
    int64_t row_group_rows;     /* at most this many rows per row group (default 1,000,000) */
    int64_t row_group_bytes;    /* and at most about this many bytes of in-memory column data (128 MiB) */
    size_t page_bytes;          /* target uncompressed size of a data page (1 MiB) */
    int64_t page_rows;          /* and at most this many rows per data page (20,000, as Arrow and parquet-mr):
                                   what lets a reader's page index skip inside a row group of small values */
    int data_page_version;      /* 1 (default) or 2 */
    bool dictionary;            /* dictionary-encode strings and addresses (true) */
    size_t dictionary_page_limit; /* a larger dictionary page makes the chunk PLAIN (2 MiB) */
    int int_encoding;           /* PQ_INT_AUTO, PQ_INT_PLAIN or PQ_INT_DELTA */
    bool statistics;            /* chunk and page statistics and the ColumnIndex (true) */
    bool page_index;            /* OffsetIndex, and ColumnIndex with statistics (true) */
    const char *const *bloom_columns; /* names of the columns that get bloom filters (names not in the
                                         table are ignored); default: srcaddr dstaddr pkt_srcaddr pkt_dstaddr */
    size_t n_bloom_columns;
    double bloom_fpp;           /* false-positive probability the filters are sized for (0.01) */
    const char *const *kv_keys; /* extra key-value metadata (n_kv pairs; a key given twice keeps the last) */
    const char *const *kv_values;
    size_t n_kv;
    int threads;                /* columns encoded in parallel; <= 0: 1 */
    int64_t fail_after_bytes;   /* testing: fail with VF_EIO once this many bytes are written (< 0: never) */
} pq_write_opts;

/* The defaults above. */
void pq_write_opts_init(pq_write_opts *o);

/* What a write did.  The caller may point col_compressed/col_uncompressed
 * at arrays of ncols to get each column's total sizes (page headers
 * included, as in the column metadata), or leave them NULL. */
typedef struct pq_write_result {
    int64_t rows;
    int64_t row_groups;
    int64_t file_bytes;
    int64_t *col_compressed;
    int64_t *col_uncompressed;
} pq_write_result;

/* ---- streaming: open, write batches, close ----------------------------- */
typedef struct pq_writer pq_writer;

/* Start a file at path with the schema of cols (names, types, logical
 * types; the values are not read).  Nothing appears at path until close. */
vf_status pq_writer_open(pq_writer **out, const char *path, const vf_colview *cols, int ncols, const pq_write_opts *o,
                         vf_error *err);
/* Append nrows rows: one or more row groups.  cols must have the schema's
 * names, types and logical types, in order.  After an error the writer can
 * only be closed (which fails and cleans up) or aborted. */
vf_status pq_writer_write(pq_writer *w, const vf_colview *cols, int64_t nrows, vf_error *err);
/* Write the page index and footer, fsync, rename into place, free w.  On
 * failure (or after a failed write) the temporary file is removed and w freed. */
vf_status pq_writer_close(pq_writer *w, pq_write_result *res, vf_error *err);
/* Remove the temporary file and free w (NULL is fine). */
void pq_writer_abort(pq_writer *w);

/* ---- all at once ---------------------------------------------------------- */
vf_status pq_write_table(const char *path, const vf_colview *cols, int ncols, int64_t nrows, const pq_write_opts *o,
                         pq_write_result *res, vf_error *err);

/* "vpcflow version 0.1.0 (build ...)": the FileMetaData.created_by this build writes. */
const char *pq_writer_created_by(void);

#endif
