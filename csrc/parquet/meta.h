/*
 * meta.h - Parquet metadata: the structures of parquet.thrift that a flat
 * reader and writer need, and their Thrift compact-protocol encoders and
 * decoders (internal).
 *
 * Decoding is for untrusted bytes: every read is bounds-checked, nesting is
 * limited, unknown fields are skipped (forward compatibility), required
 * fields are checked, and no count taken from the input allocates more
 * than the remaining input could describe.  A failure is VF_EFORMAT with a
 * message that says which structure and field was wrong and at which byte
 * offset (relative to the start of the buffer given, also in err->offset),
 * e.g. "ColumnChunk.file_offset: required field missing from the struct at
 * byte 123"; the caller adds the file name.  On failure *out is zeroed
 * (what was allocated stays in the arena until it is freed).
 *
 * Decoding rules beyond the Thrift IDL (details in meta.c):
 *   - a known field with an unexpected wire type is skipped like an
 *     unknown one, as Thrift's own decoders do (an early parquet-mr wrote a
 *     list as ColumnMetaData field 15); if it was required, that is the error;
 *   - a known field twice, or a union with more than one member, is an error;
 *   - sizes, counts and offsets must not be negative: page sizes and value
 *     counts in page headers, ColumnMetaData's sizes/counts/offsets,
 *     ColumnChunk's index offsets and lengths, RowGroup.total_byte_size,
 *     num_rows and total_compressed_size, FileMetaData.num_rows,
 *     SchemaElement.num_children, PageLocation, BloomFilterHeader.numBytes
 *     (RowGroup.file_offset and ordinal are not checked: writers got them
 *     wrong);
 *   - strings (names, paths, created_by, file_path) must not contain NUL;
 *   - bytes after the structure are ignored (the plaintext footer of an
 *     encrypted file is followed by its signature); page and bloom filter
 *     headers report their length in *used.
 *
 * Decoded strings and lists live in a vf_arena the caller provides (free it
 * to free the metadata); binary values (statistics, column-index bounds)
 * point into the decoded buffer itself, so that buffer must outlive the
 * metadata.  pq_bytes.p == NULL means "absent"; an empty present value has
 * p != NULL and n == 0.
 *
 * Encoding appends to a vf_buf (check buf->oom once at the end) and writes
 * exactly the fields marked present (has_* flags, non-NULL pointers; an
 * optional list is present when its pointer is not NULL, even if empty),
 * with field ids in increasing order, as the compact protocol wants.  A
 * required string, bytes or list left NULL is written empty.  The bytes
 * match what parquet-mr and parquet-cpp write for the same fields (short
 * field and list headers, bool list elements as 1/2 with element type 1,
 * DataPageHeaderV2.is_compressed only when false).
 *
 * Enum values are Parquet's own numbers (see the PQ_* constants).
 */
#ifndef VF_PQ_META_H
#define VF_PQ_META_H

#include "../common/internal.h"

/* ---- enums (parquet.thrift numbering) -------------------------------- */
enum { /* Type */
    PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4, PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7
};
enum { /* ConvertedType */
    PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5,
    PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8, PQ_CT_TIMESTAMP_MILLIS = 9,
    PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11, PQ_CT_UINT_16 = 12, PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14,
    PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20,
    PQ_CT_INTERVAL = 21
};
enum { /* FieldRepetitionType */
    PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2
};
enum { /* Encoding */
    PQ_PLAIN = 0, PQ_PLAIN_DICTIONARY = 2, PQ_RLE = 3, PQ_BIT_PACKED = 4, PQ_DELTA_BINARY_PACKED = 5,
    PQ_DELTA_LENGTH_BYTE_ARRAY = 6, PQ_DELTA_BYTE_ARRAY = 7, PQ_RLE_DICTIONARY = 8, PQ_BYTE_STREAM_SPLIT = 9
};
enum { /* PageType */
    PQ_DATA_PAGE = 0, PQ_INDEX_PAGE = 1, PQ_DICTIONARY_PAGE = 2, PQ_DATA_PAGE_V2 = 3
};
enum { /* BoundaryOrder */
    PQ_UNORDERED = 0, PQ_ASCENDING = 1, PQ_DESCENDING = 2
};
/* LogicalType union member (the thrift field id of the union's member) */
enum {
    PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4, PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8, PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12,
    PQ_LT_BSON = 13, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15, PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17,
    PQ_LT_GEOGRAPHY = 18,
    PQ_LT_OTHER = 1000 /* a union member this code does not know: keep the column, ignore the annotation */
};
/* PQ_LT_OTHER is also what an empty LogicalType union, a TIME/TIMESTAMP
 * with an unknown unit and an INTEGER of a width other than 8/16/32/64
 * decode to (nothing else in pq_logical is set then).  It encodes as an
 * empty union.  VARIANT's version and GEOMETRY/GEOGRAPHY's crs are not kept. */
enum { /* TimeUnit */
    PQ_MILLIS = 1, PQ_MICROS = 2, PQ_NANOS = 3
};
/* CompressionCodec values are VF_BC_* in codec/block.h */

typedef struct pq_bytes {
    const uint8_t *p; /* NULL: absent */
    size_t n;
} pq_bytes;

typedef struct pq_logical {
    int kind;            /* PQ_LT_* */
    int32_t scale, precision;  /* DECIMAL */
    bool utc;            /* TIME, TIMESTAMP: isAdjustedToUTC */
    int unit;            /* TIME, TIMESTAMP: PQ_MILLIS/MICROS/NANOS */
    int bit_width;       /* INTEGER: 8, 16, 32, 64 */
    bool is_signed;      /* INTEGER */
} pq_logical;

typedef struct pq_schema_elem {
    const char *name;    /* required */
    bool has_type;
    int type;            /* PQ_BOOLEAN.. (leaf nodes only) */
    bool has_type_length;
    int32_t type_length; /* FIXED_LEN_BYTE_ARRAY */
    bool has_repetition;
    int repetition;      /* PQ_REQUIRED/OPTIONAL/REPEATED */
    bool has_num_children;
    int32_t num_children; /* group nodes */
    bool has_converted_type;
    int converted_type;  /* PQ_CT_* */
    bool has_scale, has_precision;
    int32_t scale, precision;
    bool has_field_id;
    int32_t field_id;
    pq_logical logical;  /* kind PQ_LT_NONE when absent */
} pq_schema_elem;

typedef struct pq_stats {
    pq_bytes max, min;             /* deprecated fields 1, 2 (signed order) */
    bool has_null_count;
    int64_t null_count;
    bool has_distinct_count;
    int64_t distinct_count;
    pq_bytes max_value, min_value; /* fields 5, 6 (column order) */
    bool has_is_max_value_exact, is_max_value_exact;
    bool has_is_min_value_exact, is_min_value_exact;
    bool has_nan_count;
    int64_t nan_count;
} pq_stats;

typedef struct pq_kv {
    pq_bytes key;   /* required */
    pq_bytes value; /* optional */
} pq_kv;

typedef struct pq_page_enc_stats {
    int page_type, encoding;
    int32_t count;
} pq_page_enc_stats;

typedef struct pq_column_meta {
    int type;                   /* required */
    int n_encodings;
    int *encodings;             /* required list */
    int n_path;
    const char **path_in_schema; /* required list */
    int codec;                  /* required: VF_BC_* */
    int64_t num_values;         /* required */
    int64_t total_uncompressed_size, total_compressed_size; /* required */
    int n_kv;
    pq_kv *kv;
    int64_t data_page_offset;   /* required */
    bool has_index_page_offset;
    int64_t index_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    bool has_statistics;
    pq_stats statistics;
    int n_encoding_stats;
    pq_page_enc_stats *encoding_stats;
    bool has_bloom_filter_offset;
    int64_t bloom_filter_offset;
    bool has_bloom_filter_length;
    int32_t bloom_filter_length;
} pq_column_meta;

typedef struct pq_column_chunk {
    const char *file_path;       /* NULL: this file */
    int64_t file_offset;         /* required (deprecated, write 0 or the column metadata's offset) */
    bool has_meta_data;
    pq_column_meta meta;
    bool has_offset_index;       /* offset and length both present (a lone one is dropped); same for the column index */
    int64_t offset_index_offset;
    int32_t offset_index_length;
    bool has_column_index;
    int64_t column_index_offset;
    int32_t column_index_length;
    bool has_crypto_metadata;     /* the column is encrypted (field 8) */
    bool has_encrypted_column_metadata; /* field 9 */
} pq_column_chunk;

typedef struct pq_sorting_column {
    int32_t column_idx;
    bool descending, nulls_first;
} pq_sorting_column;

typedef struct pq_row_group {
    int n_columns;
    pq_column_chunk *columns;    /* required */
    int64_t total_byte_size;     /* required */
    int64_t num_rows;            /* required */
    int n_sorting_columns;
    pq_sorting_column *sorting_columns;
    bool has_file_offset;
    int64_t file_offset;
    bool has_total_compressed_size;
    int64_t total_compressed_size;
    bool has_ordinal;
    int16_t ordinal;
} pq_row_group;

typedef struct pq_file_meta {
    int32_t version;             /* required */
    int n_schema;
    pq_schema_elem *schema;      /* required: depth-first, the root first */
    int64_t num_rows;            /* required */
    int n_row_groups;
    pq_row_group *row_groups;    /* required */
    int n_kv;
    pq_kv *kv;
    const char *created_by;
    int n_column_orders;
    int *column_orders;          /* per leaf: 1 = TYPE_ORDER (TypeDefinedOrder), 0 = any other member
                                    (IEEE_754_TOTAL_ORDER too), encoded as an empty union */
    /* Encryption is only noted (vpcflow reads no encrypted data): these
     * and ColumnChunk's two crypto flags encode as placeholders (an empty
     * binary, a union holding its first member, empty) so that a round
     * trip keeps them. */
    bool has_encryption_algorithm; /* plaintext footer of an encrypted file */
    bool has_footer_signing_key_metadata;
} pq_file_meta;

typedef struct pq_data_page_header {
    int32_t num_values;          /* required: values including nulls */
    int encoding;                /* required */
    int definition_level_encoding; /* required */
    int repetition_level_encoding; /* required */
    bool has_statistics;
    pq_stats statistics;
} pq_data_page_header;

typedef struct pq_dict_page_header {
    int32_t num_values;          /* required */
    int encoding;                /* required */
    bool has_is_sorted, is_sorted;
} pq_dict_page_header;

typedef struct pq_data_page_header_v2 {
    int32_t num_values, num_nulls, num_rows; /* required */
    int encoding;                /* required */
    int32_t definition_levels_byte_length, repetition_levels_byte_length; /* required */
    bool is_compressed;          /* optional, default true: set to true when absent */
    bool has_statistics;
    pq_stats statistics;
} pq_data_page_header_v2;

typedef struct pq_page_header {
    int type;                    /* required: PQ_DATA_PAGE.. */
    int32_t uncompressed_page_size, compressed_page_size; /* required */
    bool has_crc;
    int32_t crc;
    bool has_data_page_header;
    pq_data_page_header data_page_header;
    bool has_dictionary_page_header;
    pq_dict_page_header dictionary_page_header;
    bool has_data_page_header_v2;
    pq_data_page_header_v2 data_page_header_v2;
} pq_page_header;

typedef struct pq_column_index {
    int n_pages;
    bool *null_pages;            /* required, n_pages */
    pq_bytes *min_values;        /* required, n_pages */
    pq_bytes *max_values;        /* required, n_pages */
    int boundary_order;          /* required */
    bool has_null_counts;
    int64_t *null_counts;        /* n_pages when present */
} pq_column_index;               /* decoding checks that every list has n_pages entries */

typedef struct pq_page_location {
    int64_t offset;
    int32_t compressed_page_size;
    int64_t first_row_index;
} pq_page_location;

typedef struct pq_offset_index {
    int n_pages;
    pq_page_location *page_locations; /* required */
} pq_offset_index;

typedef struct pq_bloom_header {
    int32_t num_bytes;           /* required */
    /* algorithm BLOCK, hash XXHASH, compression UNCOMPRESSED: the only
     * members the spec defines; decoding fails on any other */
} pq_bloom_header;

/* ---- decoding (untrusted input) ---------------------------------------- */
/* The footer: FileMetaData from p[0..n). */
vf_status pq_decode_file_meta(const uint8_t *p, size_t n, vf_arena *a, pq_file_meta *out, vf_error *err);
/* A page header at the start of p[0..n); *used gets its encoded length.
 * Needs no arena (statistics point into p). */
vf_status pq_decode_page_header(const uint8_t *p, size_t n, pq_page_header *out, size_t *used, vf_error *err);
vf_status pq_decode_column_index(const uint8_t *p, size_t n, vf_arena *a, pq_column_index *out, vf_error *err);
vf_status pq_decode_offset_index(const uint8_t *p, size_t n, vf_arena *a, pq_offset_index *out, vf_error *err);
/* A bloom filter header at the start of p[0..n); *used gets its length. */
vf_status pq_decode_bloom_header(const uint8_t *p, size_t n, pq_bloom_header *out, size_t *used, vf_error *err);

/* ---- encoding ------------------------------------------------------------ */
void pq_encode_file_meta(vf_buf *b, const pq_file_meta *m);
void pq_encode_page_header(vf_buf *b, const pq_page_header *h);
void pq_encode_column_index(vf_buf *b, const pq_column_index *ci);
void pq_encode_offset_index(vf_buf *b, const pq_offset_index *oi);
void pq_encode_bloom_header(vf_buf *b, const pq_bloom_header *h);

/* ---- names for messages ---------------------------------------------------- */
const char *pq_type_name(int type);         /* "INT32", ... "type 9" never: unknown -> "UNKNOWN" */
const char *pq_encoding_name(int encoding); /* "PLAIN", "RLE_DICTIONARY", ... */
const char *pq_page_type_name(int type);

#endif
