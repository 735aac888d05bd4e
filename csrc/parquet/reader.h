/*
 * reader.h - the Parquet reader (internal): open a file, look at its
 * metadata (schema, row groups, statistics, page index, bloom filters),
 * and read the flat columns of many files, row groups and row ranges into
 * one vf_table on several threads.
 *
 * Files are untrusted.  Every offset, size and count taken from a file is
 * checked against the file before it is used, decoded sizes are checked
 * before anything is allocated for them, and every failure is VF_EFORMAT
 * (VF_ECODEC for corrupt compressed pages) with a message of the form
 *     "<file>: column '<name>', row group R, page P at byte B: <what>"
 * that names as much of the location as is known; err->file, err->field
 * and err->offset carry the same facts.
 *
 * Columns.  A leaf of the schema is readable when nothing above it is
 * repeated (max_rep == 0): top-level columns, and the leaves of structs,
 * which read as flat columns named by their dotted path ("a.b"), null
 * where the struct or the field is null.  Lists and maps are not read:
 * asking for one is an error that names it; the other columns of the same
 * file still read.
 *
 * Types (physical -> vf_type, logical string):
 *   BOOLEAN -> bool; INT32 -> int32, or int8/int16/uint8/uint16/uint32 by
 *   its INT annotation; INT64 -> int64 or uint64; INT96 -> int64
 *   nanoseconds since the epoch ("timestamp[ns]"); FLOAT/DOUBLE ->
 *   float32/float64; FIXED_LEN_BYTE_ARRAY(2) FLOAT16 -> float32
 *   ("float16"); BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY -> string when
 *   annotated STRING/UTF8/ENUM/JSON, else binary (dictionary-encoded).
 *   Timestamps, times, dates and decimals keep their raw values with the
 *   logical string ("timestamp[us, UTC]", "time[ms]", "date32",
 *   "decimal(9,2)", "uuid", "json", "fixed[16]", ...).  Unknown logical
 *   types are ignored: the physical values are read.
 *
 * Byte-array columns come back dictionary-encoded: each page dictionary's
 * entries are inserted into the column's vf_dict once and the page's
 * indices remapped; PLAIN and delta-encoded values are inserted value by
 * value.  One dictionary per output column, shared by all its row groups
 * and files.  String columns named in the address list whose every
 * distinct value parses as an IP address become address columns.
 *
 * Nothing here has global state; a pq_file is read-only once open and may
 * be used by many threads at once.
 */
#ifndef VF_PQ_READER_H
#define VF_PQ_READER_H

#include "meta.h"

/* ---- an open file --------------------------------------------------------------- */
/* How the min/max statistics of a column compare (parquet.thrift's sort orders). */
enum { PQ_SORT_SIGNED = 0, PQ_SORT_UNSIGNED = 1, PQ_SORT_UNKNOWN = 2 };

/* How a statistic value is held (pq_stat_value): the kind of Python value it becomes. */
enum { PQ_V_NONE = 0, PQ_V_BOOL, PQ_V_INT, PQ_V_UINT, PQ_V_FLOAT, PQ_V_BYTES };

typedef struct pq_leaf {
    const char *name;        /* dotted path from the root */
    int schema_index;        /* into meta.schema */
    int physical;            /* PQ_BOOLEAN .. */
    int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY */
    int max_def, max_rep;
    bool nullable;           /* max_def > 0 */
    vf_type vtype;           /* what it reads as; 0 when it cannot be read */
    const char *logical;     /* NULL, or the logical type string */
    const char *unreadable;  /* NULL, or why it cannot be read ("a list or map (repeated field)") */
    int sort;                /* PQ_SORT_* */
    int stat_kind;           /* PQ_V_*: how its statistics are held */
    bool column_order_known; /* min_value/max_value follow an order this reader knows */
    /* decimal: precision and scale (else 0) */
    int32_t precision, scale;
} pq_leaf;

typedef struct pq_file {
    const char *name;        /* for messages */
    const uint8_t *data;     /* the whole file: a mapping, or the caller's buffer */
    size_t size;
    bool mapped;
    vf_arena arena;          /* the decoded footer and everything derived from it */
    pq_file_meta meta;
    size_t footer_start;     /* offset of the footer; column data lies in [4, footer_start) */
    uint32_t footer_len;
    int nleaves;
    pq_leaf *leaves;
    bool bad_binary_stats;   /* PARQUET-251: parquet-mr < 1.8.0 wrote wrong byte-array min/max */
    bool short_dict_chunks;  /* PARQUET-816: parquet-mr < 1.2.9 left the dictionary page header out of
                                a chunk's total_compressed_size */
} pq_file;

/* Open `name` (memory-mapped) or, when data != NULL, the caller's len bytes
 * (which must outlive the pq_file; name is then only used in messages).
 * Checks the magic numbers and footer length, decodes the footer, refuses
 * encrypted files, resolves the schema and checks every column chunk's
 * metadata against it and the file size. */
vf_status pq_open(const char *name, const void *data, size_t len, pq_file **out, vf_error *err);
void pq_close(pq_file *f);

/* The leaf named `name` (dotted path), or -1. */
int pq_find_leaf(const pq_file *f, const char *name);

/* ---- statistics --------------------------------------------------------------------- */
typedef struct pq_stat_value {
    int64_t i;       /* PQ_V_BOOL (0/1), PQ_V_INT */
    uint64_t u;      /* PQ_V_UINT */
    double f;        /* PQ_V_FLOAT (float16 and float widened) */
    pq_bytes b;      /* PQ_V_BYTES: points into the file */
} pq_stat_value;

/* Statistics decoded to typed values, with what cannot be trusted dropped:
 * deprecated min/max where the sort order is not signed (byte arrays,
 * unsigned integers), byte-array min/max of parquet-mr < 1.8.0
 * (PARQUET-251), min_value/max_value under an unknown column order, NaN
 * bounds (a NaN min or max is dropped; a +0 min becomes -0 and a -0 max +0,
 * as PARQUET-1222 asks), values of the wrong size, and anything of a type
 * without a defined order (INT96, INTERVAL). */
typedef struct pq_stats_typed {
    int kind;                    /* PQ_V_* of min and max */
    bool has_min, has_max;
    pq_stat_value min, max;
    bool min_exact, max_exact;   /* is_{min,max}_value_exact (true when not stated) */
    bool has_null_count;
    int64_t null_count;
    bool has_distinct_count;
    int64_t distinct_count;
    bool has_nan_count;
    int64_t nan_count;
} pq_stats_typed;

/* The statistics of column chunk (rg, col); all has_* false when there are none. */
void pq_chunk_stats(const pq_file *f, int rg, int col, pq_stats_typed *out);
/* One min/max pair of a leaf (a column index page's bounds): no deprecated rules. */
void pq_stat_bounds(const pq_file *f, const pq_leaf *l, pq_bytes min, pq_bytes max, pq_stats_typed *out);

/* ---- page index and bloom filters ---------------------------------------------------- */
/* Decode the ColumnIndex and OffsetIndex of column chunk (rg, col) into a
 * (either NULL when the file has none).  The offset index is checked
 * against the chunk: pages in order inside it, row indexes increasing from
 * 0 and below the row group's row count. */
vf_status pq_page_index(const pq_file *f, int rg, int col, vf_arena *a, pq_column_index **ci,
                        pq_offset_index **oi, vf_error *err);

/* The bloom filter bitset of column chunk (rg, col), pointing into the
 * file; *bitset NULL when there is none.  An unsupported algorithm, hash
 * or compression is an error. */
vf_status pq_bloom_bitset(const pq_file *f, int rg, int col, const uint8_t **bitset, size_t *nbytes,
                          vf_error *err);

/* ---- reading -------------------------------------------------------------------------- */
typedef struct pq_range {
    int64_t start, end;      /* rows [start, end) of a row group */
} pq_range;

typedef struct pq_rg_req {
    int rg;                  /* row group index */
    const pq_range *ranges;  /* sorted, disjoint, non-empty, inside the row group; NULL: every row */
    size_t nranges;
} pq_rg_req;

typedef struct pq_file_req {
    const pq_file *file;
    const pq_rg_req *rgs;    /* NULL: every row group, every row */
    size_t nrgs;
} pq_file_req;

typedef struct pq_read_opts {
    const char *const *columns; /* output columns by name; NULL: every leaf of every file, in order */
    size_t ncolumns;
    const char *const *addr_columns; /* string columns to turn into addresses; NULL: the flow-log ones */
    size_t naddr;
    int threads;             /* <= 0: 1 */
    bool check_crc;          /* verify page CRCs where the writer stored them */
    vf_pool *pool;           /* output arrays from this pool (borrowed; NULL: malloc) */
} pq_read_opts;

void pq_read_opts_init(pq_read_opts *o);

/* What a read touched. */
typedef struct pq_read_stats {
    int64_t files;
    int64_t row_groups_read, row_groups_skipped;
    int64_t pages_read, pages_skipped; /* data pages (skipped: outside the row ranges) */
    int64_t bytes_read;      /* footers, and the page bytes of the chunks read */
    int64_t bytes_total;     /* the sizes of the files */
    int64_t rows;
} pq_read_stats;

/* Read the requested columns of the requested row groups and ranges of
 * every file into one table, rows in request order.  A column missing
 * from a file is null in that file's rows; a column whose type differs
 * between two files is an error naming both.  On VF_OK *out owns the
 * table (vf_table_free). */
vf_status pq_read(const pq_file_req *req, size_t nreq, const pq_read_opts *o, vf_table **out, pq_read_stats *stats,
                  vf_error *err);

#endif
