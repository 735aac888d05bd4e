/*
 * meta.c - Parquet metadata <-> Thrift compact protocol (meta.h).
 *
 * One generic decoder and one generic encoder, both driven by tables that
 * describe the parquet.thrift structures: for each field its id, its type,
 * where its value lives in the C structure, its has_* flag (if any) and
 * whether it is required.  Adding a field is adding a table row; the
 * tables are listed bottom-up (a structure before those that contain it)
 * and each one in increasing field-id order, which is the order the
 * encoder writes.
 *
 * Unions (LogicalType, TimeUnit, ColumnOrder, the bloom filter unions)
 * decode to an int tag at the start of their C object, the tag being the
 * member's field id; a member's fields are decoded into that same object
 * (pq_logical holds DecimalType's scale and TimeType's unit side by side).
 * A member not in the table gets the union's `unknown` tag.
 *
 * Structures whose C form does not match the wire one (ColumnIndex's four
 * lists share one count; BloomFilterHeader's unions have no C field) go
 * through a private "wire" struct that the public functions convert.
 */
#include "meta.h"

#include "thrift.h"

#include <stddef.h>

/* enums (stored as int) and i32 fields (int32_t) are read by one kind */
_Static_assert(_Generic((int32_t)0, int: 1, default: 0), "int32_t must be int");
/* union tags are the first member of their object */
_Static_assert(offsetof(pq_logical, kind) == 0, "pq_logical.kind must come first");

/* ==================================================================== */
/* Type descriptions                                                     */
/* ==================================================================== */
typedef enum pq_kind {
    K_BOOL,    /* bool */
    K_I8,      /* int (from a thrift i8) */
    K_I16,     /* int16_t */
    K_I32,     /* int32_t or an enum's int */
    K_I64,     /* int64_t */
    K_BYTES,   /* pq_bytes pointing into the input */
    K_STR,     /* const char *, a NUL-terminated copy in the arena */
    K_STRUCT,  /* an inline C struct */
    K_UNION,   /* an int tag (+ the members' fields) */
    K_LIST,    /* a pointer to arena elements + an int count elsewhere */
    K_PRESENT  /* a value only noted as present: the bool has_* flag itself */
} pq_kind;

typedef struct pq_type pq_type;

#define NONE (-1)

typedef struct pq_field {
    int id;
    const char *name;     /* as in parquet.thrift, for messages */
    const pq_type *type;
    bool required;
    int off;              /* of the value, from the start of the containing object */
    int has;              /* of the bool has_* flag, or NONE */
    int count;            /* lists: of the int element count */
    bool dflt_true;       /* an optional flagless bool whose default is true: set before decoding, written
                             only when false (as Thrift's libraries do) */
} pq_field;

struct pq_type {
    pq_kind kind;
    const char *name;     /* structs, unions: the thrift name (NULL: an empty member, named by its union) */
    size_t size;          /* of the C value: list stride, cleared before decoding */
    const pq_field *fields; /* struct fields or union members, by increasing id */
    int n_fields;
    const pq_type *elem;  /* lists */
    int unknown;          /* unions: the tag for a member not in `fields`, or for none */
    int wire;             /* K_PRESENT: the wire type to skip */
    bool nonneg;          /* integers: a negative value is an error (sizes, counts, offsets) */
    /* after decoding: cross-field rules; `seen` has bit i set for fields[i] */
    vf_status (*check)(th_reader *r, const pq_type *t, void *obj, uint64_t seen, size_t start);
};

static const pq_type T_BOOL = {.kind = K_BOOL, .size = sizeof(bool)};
static const pq_type T_I8 = {.kind = K_I8, .size = sizeof(int)};
static const pq_type T_I16 = {.kind = K_I16, .size = sizeof(int16_t)};
static const pq_type T_I32 = {.kind = K_I32, .size = sizeof(int32_t)};
static const pq_type T_I64 = {.kind = K_I64, .size = sizeof(int64_t)};
static const pq_type T_SIZE32 = {.kind = K_I32, .size = sizeof(int32_t), .nonneg = true};
static const pq_type T_SIZE64 = {.kind = K_I64, .size = sizeof(int64_t), .nonneg = true};
static const pq_type T_BYTES = {.kind = K_BYTES, .size = sizeof(pq_bytes)};
static const pq_type T_STR = {.kind = K_STR, .size = sizeof(const char *)};
static const pq_type T_EMPTY = {.kind = K_STRUCT}; /* an empty struct: any fields in it are skipped */
static const pq_type T_PRESENT_STRUCT = {.kind = K_PRESENT, .size = sizeof(bool), .wire = TH_STRUCT};
static const pq_type T_PRESENT_BINARY = {.kind = K_PRESENT, .size = sizeof(bool), .wire = TH_BINARY};

#define NFIELDS(F) ((int)(sizeof(F) / sizeof((F)[0])))
#define STRUCT(NAME, C, F, ...) \
    {.kind = K_STRUCT, .name = NAME, .size = sizeof(C), .fields = F, .n_fields = NFIELDS(F), __VA_ARGS__}
#define UNION(NAME, C, F, UNKNOWN, ...)                                                                \
    {.kind = K_UNION, .name = NAME, .size = sizeof(C), .fields = F, .n_fields = NFIELDS(F), .unknown = UNKNOWN, \
     __VA_ARGS__}
#define LIST_OF(T) {.kind = K_LIST, .size = sizeof(void *), .elem = &(T)}

#define FIELD(ID, NAME, T, REQUIRED, OFF, HAS, COUNT) \
    {.id = ID, .name = NAME, .type = &(T), .required = REQUIRED, .off = OFF, .has = HAS, .count = COUNT}
/* a required field */
#define REQ(S, ID, NAME, T, M) FIELD(ID, NAME, T, true, offsetof(S, M), NONE, NONE)
/* an optional field with a has_* flag */
#define OPT(S, ID, NAME, T, M, HAS) FIELD(ID, NAME, T, false, offsetof(S, M), offsetof(S, HAS), NONE)
/* an optional field present when its value says so: a non-NULL pointer, a
 * union tag other than 0 */
#define OPTV(S, ID, NAME, T, M) FIELD(ID, NAME, T, false, offsetof(S, M), NONE, NONE)
/* an optional bool that is true when absent */
#define OPT_TRUE(S, ID, NAME, M) \
    {.id = ID, .name = NAME, .type = &T_BOOL, .off = offsetof(S, M), .has = NONE, .count = NONE, .dflt_true = true}
/* a list: pointer M, int count N; an optional one is present when M is not NULL */
#define LIST(S, ID, NAME, T, M, N, REQUIRED) FIELD(ID, NAME, T, REQUIRED, offsetof(S, M), NONE, offsetof(S, N))
/* a union member: a struct decoded into the union's own object */
#define MEMBER(ID, NAME, T) FIELD(ID, NAME, T, false, 0, NONE, NONE)

/* ==================================================================== */
/* The parquet.thrift structures                                         */
/* ==================================================================== */
static const pq_field stats_fields[] = {
    OPTV(pq_stats, 1, "max", T_BYTES, max),
    OPTV(pq_stats, 2, "min", T_BYTES, min),
    OPT(pq_stats, 3, "null_count", T_I64, null_count, has_null_count),
    OPT(pq_stats, 4, "distinct_count", T_I64, distinct_count, has_distinct_count),
    OPTV(pq_stats, 5, "max_value", T_BYTES, max_value),
    OPTV(pq_stats, 6, "min_value", T_BYTES, min_value),
    OPT(pq_stats, 7, "is_max_value_exact", T_BOOL, is_max_value_exact, has_is_max_value_exact),
    OPT(pq_stats, 8, "is_min_value_exact", T_BOOL, is_min_value_exact, has_is_min_value_exact),
    OPT(pq_stats, 9, "nan_count", T_I64, nan_count, has_nan_count),
};
static const pq_type T_STATS = STRUCT("Statistics", pq_stats, stats_fields);

static const pq_field kv_fields[] = {
    REQ(pq_kv, 1, "key", T_BYTES, key),
    OPTV(pq_kv, 2, "value", T_BYTES, value),
};
static const pq_type T_KV = STRUCT("KeyValue", pq_kv, kv_fields);

/* ---- LogicalType ------------------------------------------------------ */
static const pq_field time_unit_members[] = {
    MEMBER(PQ_MILLIS, "MILLIS", T_EMPTY),
    MEMBER(PQ_MICROS, "MICROS", T_EMPTY),
    MEMBER(PQ_NANOS, "NANOS", T_EMPTY),
};
static const pq_type T_TIME_UNIT = UNION("TimeUnit", int, time_unit_members, 0);

static const pq_field decimal_fields[] = {
    REQ(pq_logical, 1, "scale", T_I32, scale),
    REQ(pq_logical, 2, "precision", T_I32, precision),
};
static const pq_type T_DECIMAL = STRUCT("DecimalType", pq_logical, decimal_fields);

static const pq_field time_fields[] = {
    REQ(pq_logical, 1, "isAdjustedToUTC", T_BOOL, utc),
    REQ(pq_logical, 2, "unit", T_TIME_UNIT, unit),
};
static const pq_type T_TIME = STRUCT("TimeType", pq_logical, time_fields);
static const pq_type T_TIMESTAMP = STRUCT("TimestampType", pq_logical, time_fields);

static const pq_field int_fields[] = {
    REQ(pq_logical, 1, "bitWidth", T_I8, bit_width),
    REQ(pq_logical, 2, "isSigned", T_BOOL, is_signed),
};
static const pq_type T_INT = STRUCT("IntType", pq_logical, int_fields);

/* An annotation this code cannot use becomes PQ_LT_OTHER with nothing
 * else set: a time unit it does not know, an impossible integer width. */
static vf_status logical_check(th_reader *r, const pq_type *t, void *obj, uint64_t seen, size_t start) {
    (void)r, (void)t, (void)seen, (void)start;
    pq_logical *l = obj;
    if ((l->kind == PQ_LT_TIME || l->kind == PQ_LT_TIMESTAMP) && l->unit == 0) l->kind = PQ_LT_OTHER;
    if (l->kind == PQ_LT_INTEGER && l->bit_width != 8 && l->bit_width != 16 && l->bit_width != 32 &&
        l->bit_width != 64)
        l->kind = PQ_LT_OTHER;
    if (l->kind == PQ_LT_OTHER) *l = (pq_logical){.kind = PQ_LT_OTHER};
    return VF_OK;
}

/* VARIANT's specification_version and the geospatial types' crs and
 * algorithm are skipped: nothing here uses them */
static const pq_field logical_members[] = {
    MEMBER(PQ_LT_STRING, "STRING", T_EMPTY),       MEMBER(PQ_LT_MAP, "MAP", T_EMPTY),
    MEMBER(PQ_LT_LIST, "LIST", T_EMPTY),           MEMBER(PQ_LT_ENUM, "ENUM", T_EMPTY),
    MEMBER(PQ_LT_DECIMAL, "DECIMAL", T_DECIMAL),   MEMBER(PQ_LT_DATE, "DATE", T_EMPTY),
    MEMBER(PQ_LT_TIME, "TIME", T_TIME),            MEMBER(PQ_LT_TIMESTAMP, "TIMESTAMP", T_TIMESTAMP),
    MEMBER(PQ_LT_INTEGER, "INTEGER", T_INT),       MEMBER(PQ_LT_UNKNOWN, "UNKNOWN", T_EMPTY),
    MEMBER(PQ_LT_JSON, "JSON", T_EMPTY),           MEMBER(PQ_LT_BSON, "BSON", T_EMPTY),
    MEMBER(PQ_LT_UUID, "UUID", T_EMPTY),           MEMBER(PQ_LT_FLOAT16, "FLOAT16", T_EMPTY),
    MEMBER(PQ_LT_VARIANT, "VARIANT", T_EMPTY),     MEMBER(PQ_LT_GEOMETRY, "GEOMETRY", T_EMPTY),
    MEMBER(PQ_LT_GEOGRAPHY, "GEOGRAPHY", T_EMPTY),
};
static const pq_type T_LOGICAL = UNION("LogicalType", pq_logical, logical_members, PQ_LT_OTHER,
                                       .check = logical_check);

/* ---- the footer ---------------------------------------------------------- */
static const pq_field schema_fields[] = {
    OPT(pq_schema_elem, 1, "type", T_I32, type, has_type),
    OPT(pq_schema_elem, 2, "type_length", T_I32, type_length, has_type_length),
    OPT(pq_schema_elem, 3, "repetition_type", T_I32, repetition, has_repetition),
    REQ(pq_schema_elem, 4, "name", T_STR, name),
    OPT(pq_schema_elem, 5, "num_children", T_SIZE32, num_children, has_num_children),
    OPT(pq_schema_elem, 6, "converted_type", T_I32, converted_type, has_converted_type),
    OPT(pq_schema_elem, 7, "scale", T_I32, scale, has_scale),
    OPT(pq_schema_elem, 8, "precision", T_I32, precision, has_precision),
    OPT(pq_schema_elem, 9, "field_id", T_I32, field_id, has_field_id),
    OPTV(pq_schema_elem, 10, "logicalType", T_LOGICAL, logical),
};
static const pq_type T_SCHEMA = STRUCT("SchemaElement", pq_schema_elem, schema_fields);

static const pq_field enc_stats_fields[] = {
    REQ(pq_page_enc_stats, 1, "page_type", T_I32, page_type),
    REQ(pq_page_enc_stats, 2, "encoding", T_I32, encoding),
    REQ(pq_page_enc_stats, 3, "count", T_I32, count),
};
static const pq_type T_ENC_STATS = STRUCT("PageEncodingStats", pq_page_enc_stats, enc_stats_fields);

static const pq_type T_LIST_ENUM = LIST_OF(T_I32);
static const pq_type T_LIST_STR = LIST_OF(T_STR);
static const pq_type T_LIST_KV = LIST_OF(T_KV);
static const pq_type T_LIST_ENC_STATS = LIST_OF(T_ENC_STATS);

static const pq_field colmeta_fields[] = {
    REQ(pq_column_meta, 1, "type", T_I32, type),
    LIST(pq_column_meta, 2, "encodings", T_LIST_ENUM, encodings, n_encodings, true),
    LIST(pq_column_meta, 3, "path_in_schema", T_LIST_STR, path_in_schema, n_path, true),
    REQ(pq_column_meta, 4, "codec", T_I32, codec),
    REQ(pq_column_meta, 5, "num_values", T_SIZE64, num_values),
    REQ(pq_column_meta, 6, "total_uncompressed_size", T_SIZE64, total_uncompressed_size),
    REQ(pq_column_meta, 7, "total_compressed_size", T_SIZE64, total_compressed_size),
    LIST(pq_column_meta, 8, "key_value_metadata", T_LIST_KV, kv, n_kv, false),
    REQ(pq_column_meta, 9, "data_page_offset", T_SIZE64, data_page_offset),
    OPT(pq_column_meta, 10, "index_page_offset", T_SIZE64, index_page_offset, has_index_page_offset),
    OPT(pq_column_meta, 11, "dictionary_page_offset", T_SIZE64, dictionary_page_offset, has_dictionary_page_offset),
    OPT(pq_column_meta, 12, "statistics", T_STATS, statistics, has_statistics),
    LIST(pq_column_meta, 13, "encoding_stats", T_LIST_ENC_STATS, encoding_stats, n_encoding_stats, false),
    OPT(pq_column_meta, 14, "bloom_filter_offset", T_SIZE64, bloom_filter_offset, has_bloom_filter_offset),
    OPT(pq_column_meta, 15, "bloom_filter_length", T_SIZE32, bloom_filter_length, has_bloom_filter_length),
};
static const pq_type T_COLMETA = STRUCT("ColumnMetaData", pq_column_meta, colmeta_fields);

static int find_field(const pq_type *t, int id) {
    for (int i = 0; i < t->n_fields; i++)
        if (t->fields[i].id == id) return i;
    return -1;
}

static bool seen_id(const pq_type *t, uint64_t seen, int id) {
    int i = find_field(t, id);
    return i >= 0 && (seen >> i & 1);
}

/* An index's offset and length mean something only together: a lone one is dropped. */
static vf_status chunk_check(th_reader *r, const pq_type *t, void *obj, uint64_t seen, size_t start) {
    (void)r, (void)start;
    pq_column_chunk *c = obj;
    if (!seen_id(t, seen, 4) || !seen_id(t, seen, 5)) {
        c->has_offset_index = false;
        c->offset_index_offset = 0;
        c->offset_index_length = 0;
    }
    if (!seen_id(t, seen, 6) || !seen_id(t, seen, 7)) {
        c->has_column_index = false;
        c->column_index_offset = 0;
        c->column_index_length = 0;
    }
    return VF_OK;
}

static const pq_field chunk_fields[] = {
    OPTV(pq_column_chunk, 1, "file_path", T_STR, file_path),
    REQ(pq_column_chunk, 2, "file_offset", T_I64, file_offset),
    OPT(pq_column_chunk, 3, "meta_data", T_COLMETA, meta, has_meta_data),
    OPT(pq_column_chunk, 4, "offset_index_offset", T_SIZE64, offset_index_offset, has_offset_index),
    OPT(pq_column_chunk, 5, "offset_index_length", T_SIZE32, offset_index_length, has_offset_index),
    OPT(pq_column_chunk, 6, "column_index_offset", T_SIZE64, column_index_offset, has_column_index),
    OPT(pq_column_chunk, 7, "column_index_length", T_SIZE32, column_index_length, has_column_index),
    OPT(pq_column_chunk, 8, "crypto_metadata", T_PRESENT_STRUCT, has_crypto_metadata, has_crypto_metadata),
    OPT(pq_column_chunk, 9, "encrypted_column_metadata", T_PRESENT_BINARY, has_encrypted_column_metadata,
        has_encrypted_column_metadata),
};
static const pq_type T_CHUNK = STRUCT("ColumnChunk", pq_column_chunk, chunk_fields, .check = chunk_check);

static const pq_field sorting_fields[] = {
    REQ(pq_sorting_column, 1, "column_idx", T_I32, column_idx),
    REQ(pq_sorting_column, 2, "descending", T_BOOL, descending),
    REQ(pq_sorting_column, 3, "nulls_first", T_BOOL, nulls_first),
};
static const pq_type T_SORTING = STRUCT("SortingColumn", pq_sorting_column, sorting_fields);

static const pq_type T_LIST_CHUNK = LIST_OF(T_CHUNK);
static const pq_type T_LIST_SORTING = LIST_OF(T_SORTING);

/* file_offset and ordinal are not checked for sign: writers have got them
 * wrong (ordinal is an i16 that overflows past 32767 row groups) */
static const pq_field row_group_fields[] = {
    LIST(pq_row_group, 1, "columns", T_LIST_CHUNK, columns, n_columns, true),
    REQ(pq_row_group, 2, "total_byte_size", T_SIZE64, total_byte_size),
    REQ(pq_row_group, 3, "num_rows", T_SIZE64, num_rows),
    LIST(pq_row_group, 4, "sorting_columns", T_LIST_SORTING, sorting_columns, n_sorting_columns, false),
    OPT(pq_row_group, 5, "file_offset", T_I64, file_offset, has_file_offset),
    OPT(pq_row_group, 6, "total_compressed_size", T_SIZE64, total_compressed_size, has_total_compressed_size),
    OPT(pq_row_group, 7, "ordinal", T_I16, ordinal, has_ordinal),
};
static const pq_type T_ROW_GROUP = STRUCT("RowGroup", pq_row_group, row_group_fields);

/* IEEE_754_TOTAL_ORDER and INT96_TIMESTAMP_ORDER are "unknown" (0) too:
 * min/max under them are not what TYPE_ORDER readers expect */
static const pq_field column_order_members[] = {
    MEMBER(1, "TYPE_ORDER", T_EMPTY),
};
static const pq_type T_COLUMN_ORDER = UNION("ColumnOrder", int, column_order_members, 0);

static const pq_type T_LIST_SCHEMA = LIST_OF(T_SCHEMA);
static const pq_type T_LIST_ROW_GROUP = LIST_OF(T_ROW_GROUP);
static const pq_type T_LIST_COLUMN_ORDER = LIST_OF(T_COLUMN_ORDER);

static const pq_field file_meta_fields[] = {
    REQ(pq_file_meta, 1, "version", T_I32, version),
    LIST(pq_file_meta, 2, "schema", T_LIST_SCHEMA, schema, n_schema, true),
    REQ(pq_file_meta, 3, "num_rows", T_SIZE64, num_rows),
    LIST(pq_file_meta, 4, "row_groups", T_LIST_ROW_GROUP, row_groups, n_row_groups, true),
    LIST(pq_file_meta, 5, "key_value_metadata", T_LIST_KV, kv, n_kv, false),
    OPTV(pq_file_meta, 6, "created_by", T_STR, created_by),
    LIST(pq_file_meta, 7, "column_orders", T_LIST_COLUMN_ORDER, column_orders, n_column_orders, false),
    OPT(pq_file_meta, 8, "encryption_algorithm", T_PRESENT_STRUCT, has_encryption_algorithm,
        has_encryption_algorithm),
    OPT(pq_file_meta, 9, "footer_signing_key_metadata", T_PRESENT_BINARY, has_footer_signing_key_metadata,
        has_footer_signing_key_metadata),
};
static const pq_type T_FILE_META = STRUCT("FileMetaData", pq_file_meta, file_meta_fields);

/* ---- page headers ------------------------------------------------------------ */
static const pq_field data_page_fields[] = {
    REQ(pq_data_page_header, 1, "num_values", T_SIZE32, num_values),
    REQ(pq_data_page_header, 2, "encoding", T_I32, encoding),
    REQ(pq_data_page_header, 3, "definition_level_encoding", T_I32, definition_level_encoding),
    REQ(pq_data_page_header, 4, "repetition_level_encoding", T_I32, repetition_level_encoding),
    OPT(pq_data_page_header, 5, "statistics", T_STATS, statistics, has_statistics),
};
static const pq_type T_DATA_PAGE = STRUCT("DataPageHeader", pq_data_page_header, data_page_fields);

static const pq_field dict_page_fields[] = {
    REQ(pq_dict_page_header, 1, "num_values", T_SIZE32, num_values),
    REQ(pq_dict_page_header, 2, "encoding", T_I32, encoding),
    OPT(pq_dict_page_header, 3, "is_sorted", T_BOOL, is_sorted, has_is_sorted),
};
static const pq_type T_DICT_PAGE = STRUCT("DictionaryPageHeader", pq_dict_page_header, dict_page_fields);

static const pq_field data_page_v2_fields[] = {
    REQ(pq_data_page_header_v2, 1, "num_values", T_SIZE32, num_values),
    REQ(pq_data_page_header_v2, 2, "num_nulls", T_SIZE32, num_nulls),
    REQ(pq_data_page_header_v2, 3, "num_rows", T_SIZE32, num_rows),
    REQ(pq_data_page_header_v2, 4, "encoding", T_I32, encoding),
    REQ(pq_data_page_header_v2, 5, "definition_levels_byte_length", T_SIZE32, definition_levels_byte_length),
    REQ(pq_data_page_header_v2, 6, "repetition_levels_byte_length", T_SIZE32, repetition_levels_byte_length),
    OPT_TRUE(pq_data_page_header_v2, 7, "is_compressed", is_compressed),
    OPT(pq_data_page_header_v2, 8, "statistics", T_STATS, statistics, has_statistics),
};
static const pq_type T_DATA_PAGE_V2 = STRUCT("DataPageHeaderV2", pq_data_page_header_v2, data_page_v2_fields);

/* index_page_header (6, an empty struct) is skipped like any unknown field */
static const pq_field page_fields[] = {
    REQ(pq_page_header, 1, "type", T_I32, type),
    REQ(pq_page_header, 2, "uncompressed_page_size", T_SIZE32, uncompressed_page_size),
    REQ(pq_page_header, 3, "compressed_page_size", T_SIZE32, compressed_page_size),
    OPT(pq_page_header, 4, "crc", T_I32, crc, has_crc),
    OPT(pq_page_header, 5, "data_page_header", T_DATA_PAGE, data_page_header, has_data_page_header),
    OPT(pq_page_header, 7, "dictionary_page_header", T_DICT_PAGE, dictionary_page_header, has_dictionary_page_header),
    OPT(pq_page_header, 8, "data_page_header_v2", T_DATA_PAGE_V2, data_page_header_v2, has_data_page_header_v2),
};
static const pq_type T_PAGE = STRUCT("PageHeader", pq_page_header, page_fields);

/* ---- page index ------------------------------------------------------------------ */
typedef struct ci_wire {
    int n_null_pages;
    bool *null_pages;
    int n_min;
    pq_bytes *min_values;
    int n_max;
    pq_bytes *max_values;
    int boundary_order;
    int n_null_counts;
    int64_t *null_counts;
} ci_wire;

/* every list has one entry per page */
static vf_status ci_check(th_reader *r, const pq_type *t, void *obj, uint64_t seen, size_t start) {
    (void)t, (void)seen;
    const ci_wire *w = obj;
    const struct {
        const char *name;
        int n;
        bool present;
    } lists[] = {
        {"min_values", w->n_min, true},
        {"max_values", w->n_max, true},
        {"null_counts", w->n_null_counts, w->null_counts != NULL},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (lists[i].present && lists[i].n != w->n_null_pages) {
            r->field = lists[i].name;
            return th_fail(r, start, "%d entries but null_pages has %d", lists[i].n, w->n_null_pages);
        }
    }
    return VF_OK;
}

static const pq_type T_LIST_BOOL = LIST_OF(T_BOOL);
static const pq_type T_LIST_BYTES = LIST_OF(T_BYTES);
static const pq_type T_LIST_I64 = LIST_OF(T_I64);

static const pq_field ci_fields[] = {
    LIST(ci_wire, 1, "null_pages", T_LIST_BOOL, null_pages, n_null_pages, true),
    LIST(ci_wire, 2, "min_values", T_LIST_BYTES, min_values, n_min, true),
    LIST(ci_wire, 3, "max_values", T_LIST_BYTES, max_values, n_max, true),
    REQ(ci_wire, 4, "boundary_order", T_I32, boundary_order),
    LIST(ci_wire, 5, "null_counts", T_LIST_I64, null_counts, n_null_counts, false),
};
static const pq_type T_COLUMN_INDEX = STRUCT("ColumnIndex", ci_wire, ci_fields, .check = ci_check);

static const pq_field location_fields[] = {
    REQ(pq_page_location, 1, "offset", T_SIZE64, offset),
    REQ(pq_page_location, 2, "compressed_page_size", T_SIZE32, compressed_page_size),
    REQ(pq_page_location, 3, "first_row_index", T_SIZE64, first_row_index),
};
static const pq_type T_LOCATION = STRUCT("PageLocation", pq_page_location, location_fields);
static const pq_type T_LIST_LOCATION = LIST_OF(T_LOCATION);

static const pq_field oi_fields[] = {
    LIST(pq_offset_index, 1, "page_locations", T_LIST_LOCATION, page_locations, n_pages, true),
};
static const pq_type T_OFFSET_INDEX = STRUCT("OffsetIndex", pq_offset_index, oi_fields);

/* ---- bloom filter header ------------------------------------------------------------ */
typedef struct bloom_wire {
    int32_t num_bytes;
    int algorithm, hash, compression; /* union tags: 1 (BLOCK, XXHASH, UNCOMPRESSED) or 0 */
} bloom_wire;

static const pq_field block_members[] = {MEMBER(1, "BLOCK", T_EMPTY)};
static const pq_field xxhash_members[] = {MEMBER(1, "XXHASH", T_EMPTY)};
static const pq_field uncompressed_members[] = {MEMBER(1, "UNCOMPRESSED", T_EMPTY)};
static const pq_type T_BLOOM_ALGORITHM = UNION("BloomFilterAlgorithm", int, block_members, 0);
static const pq_type T_BLOOM_HASH = UNION("BloomFilterHash", int, xxhash_members, 0);
static const pq_type T_BLOOM_COMPRESSION = UNION("BloomFilterCompression", int, uncompressed_members, 0);

static vf_status bloom_check(th_reader *r, const pq_type *t, void *obj, uint64_t seen, size_t start) {
    (void)t, (void)seen;
    const bloom_wire *w = obj;
    const struct {
        const char *field, *member;
        int tag;
    } unions[] = {
        {"algorithm", "BLOCK", w->algorithm},
        {"hash", "XXHASH", w->hash},
        {"compression", "UNCOMPRESSED", w->compression},
    };
    for (size_t i = 0; i < sizeof unions / sizeof unions[0]; i++) {
        if (unions[i].tag != 1) {
            r->field = unions[i].field;
            return th_fail(r, start, "not %s, the only one Parquet defines", unions[i].member);
        }
    }
    return VF_OK;
}

static const pq_field bloom_fields[] = {
    REQ(bloom_wire, 1, "numBytes", T_SIZE32, num_bytes),
    REQ(bloom_wire, 2, "algorithm", T_BLOOM_ALGORITHM, algorithm),
    REQ(bloom_wire, 3, "hash", T_BLOOM_HASH, hash),
    REQ(bloom_wire, 4, "compression", T_BLOOM_COMPRESSION, compression),
};
static const pq_type T_BLOOM = STRUCT("BloomFilterHeader", bloom_wire, bloom_fields, .check = bloom_check);

/* ==================================================================== */
/* Decoding                                                              */
/* ==================================================================== */
typedef struct dec {
    th_reader r;
    vf_arena *a; /* NULL for page and bloom headers, which hold no lists or strings */
} dec;

static int wire_of(const pq_type *t) {
    switch (t->kind) {
    case K_BOOL: return TH_TRUE;
    case K_I8: return TH_I8;
    case K_I16: return TH_I16;
    case K_I32: return TH_I32;
    case K_I64: return TH_I64;
    case K_BYTES:
    case K_STR: return TH_BINARY;
    case K_STRUCT:
    case K_UNION: return TH_STRUCT;
    case K_LIST: return TH_LIST;
    case K_PRESENT: return t->wire;
    }
    return TH_STOP;
}

static bool wire_ok(const pq_type *t, int wire) {
    return t->kind == K_BOOL ? wire == TH_TRUE || wire == TH_FALSE : wire == wire_of(t);
}

/* The fewest bytes a value of type t takes on the wire: its required
 * fields' headers and values, and a stop byte for a struct. */
static size_t min_size(const pq_type *t) {
    if (t->kind != K_STRUCT) return 1;
    size_t n = 1;
    for (int i = 0; i < t->n_fields; i++) {
        const pq_field *f = &t->fields[i];
        if (f->required) n += f->type->kind == K_BOOL ? 1 : 1 + min_size(f->type);
    }
    return n;
}

static void store_ptr(uint8_t *dst, const void *p) { memcpy(dst, &p, sizeof p); }
static const void *load_ptr(const uint8_t *src) {
    const void *p;
    memcpy(&p, src, sizeof p);
    return p;
}

static vf_status no_memory(dec *d, const char *what) {
    const th_reader *r = &d->r;
    return vf_fail(r->err, VF_ENOMEM, "%s.%s: out of memory for %s", r->st ? r->st : "?", r->field ? r->field : "?",
                   what);
}

static vf_status dec_fields(dec *d, const pq_type *t, uint8_t *obj);
static vf_status dec_union(dec *d, const pq_type *t, uint8_t *obj);

static vf_status dec_struct(dec *d, const pq_type *t, uint8_t *obj) {
    memset(obj, 0, t->size);
    for (int i = 0; i < t->n_fields; i++)
        if (t->fields[i].dflt_true) *(bool *)(obj + t->fields[i].off) = true;
    return dec_fields(d, t, obj);
}

static vf_status check_sign(dec *d, const pq_type *t, int64_t v, size_t start) {
    if (t->nonneg && v < 0) return th_fail(&d->r, start, "negative value %lld", (long long)v);
    return VF_OK;
}

static vf_status dec_string(dec *d, uint8_t *dst) {
    th_reader *r = &d->r;
    size_t start = th_pos(r), n;
    const uint8_t *p;
    vf_status st = th_binary(r, &p, &n);
    if (st != VF_OK) return st;
    if (memchr(p, 0, n)) return th_fail(r, start, "string contains a NUL byte");
    if (!d->a) return vf_fail(r->err, VF_EARG, "internal error: a string but no arena");
    char *s = vf_arena_strndup(d->a, (const char *)p, n);
    if (!s) return no_memory(d, "a string");
    store_ptr(dst, s);
    return VF_OK;
}

/* One value of type t into dst: a list element, or a field's value
 * (except a bool field's, which is in its header, and a list). */
static vf_status dec_value(dec *d, const pq_type *t, uint8_t *dst) {
    th_reader *r = &d->r;
    size_t start = th_pos(r);
    vf_status st;
    uint8_t c;
    switch (t->kind) {
    case K_BOOL:
        if ((st = th_byte(r, &c)) != VF_OK) return st;
        /* 1 is true; the spec writes false as 0, Thrift's own libraries as 2 */
        if (c > 2) return th_fail(r, start, "bool element %u is not 0, 1 or 2", c);
        *(bool *)dst = c == 1;
        return VF_OK;
    case K_I8:
        if ((st = th_byte(r, &c)) == VF_OK) *(int *)dst = c < 128 ? c : c - 256;
        return st;
    case K_I16: return th_i16(r, (int16_t *)dst);
    case K_I32:
        if ((st = th_i32(r, (int32_t *)dst)) != VF_OK) return st;
        return check_sign(d, t, *(int32_t *)dst, start);
    case K_I64:
        if ((st = th_i64(r, (int64_t *)dst)) != VF_OK) return st;
        return check_sign(d, t, *(int64_t *)dst, start);
    case K_BYTES: return th_binary(r, &((pq_bytes *)dst)->p, &((pq_bytes *)dst)->n);
    case K_STR: return dec_string(d, dst);
    case K_STRUCT: return dec_struct(d, t, dst);
    case K_UNION: return dec_union(d, t, dst);
    case K_PRESENT: return th_skip(r, t->wire, false);
    case K_LIST: break;
    }
    return vf_fail(r->err, VF_EARG, "internal error: a list of lists");
}

static vf_status dec_list_body(dec *d, const pq_field *f, uint8_t *obj) {
    th_reader *r = &d->r;
    const pq_type *et = f->type->elem;
    size_t n;
    int wire; /* the element type: type_ok() checked it */
    vf_status st = th_list(r, &wire, &n, min_size(et));
    if (st != VF_OK) return st;
    if (!d->a) return vf_fail(r->err, VF_EARG, "internal error: a list but no arena");
    /* n is bounded by the bytes left (th_list), so this cannot be made huge */
    uint8_t *p = vf_arena_alloc_n(d->a, n, et->size);
    if (!p) return no_memory(d, "a list");
    for (size_t i = 0; i < n && st == VF_OK; i++) st = dec_value(d, et, p + i * et->size);
    if (st != VF_OK) return st;
    store_ptr(obj + f->off, p);
    *(int *)(obj + f->count) = (int)n;
    return VF_OK;
}

static vf_status dec_list(dec *d, const pq_field *f, uint8_t *obj) {
    vf_status st = th_enter(&d->r);
    if (st != VF_OK) return st;
    st = dec_list_body(d, f, obj);
    th_leave(&d->r);
    return st;
}

static vf_status dec_field(dec *d, const pq_field *f, int wire, uint8_t *obj) {
    vf_status st = VF_OK;
    if (f->type->kind == K_BOOL)
        *(bool *)(obj + f->off) = wire == TH_TRUE;
    else if (f->type->kind == K_LIST)
        st = dec_list(d, f, obj);
    else
        st = dec_value(d, f->type, obj + f->off);
    if (st == VF_OK && f->has != NONE) *(bool *)(obj + f->has) = true;
    return st;
}

/* Name what is being read in messages; an unnamed (empty member) struct
 * keeps its union's names. */
static void set_where(th_reader *r, const pq_type *t, const char *field) {
    if (t->name) {
        r->st = t->name;
        r->field = field;
    }
}

/* Whether a field's wire type is the one its table row expects; for a
 * non-empty list, its element type too (peeked at: th_list reads it). */
static bool type_ok(const th_reader *r, const pq_type *t, int wire) {
    if (!wire_ok(t, wire)) return false;
    if (t->kind != K_LIST || r->p == r->end) return true;
    uint8_t h = *r->p;
    return (h >> 4) == 0 || wire_ok(t->elem, h & 15);
}

/* mistyped[i]: the wire type fields[i] came with when it was not the
 * expected one (and so was skipped), else TH_STOP */
static vf_status check_required(th_reader *r, const pq_type *t, uint64_t seen, const uint8_t *mistyped,
                                size_t start) {
    for (int i = 0; i < t->n_fields; i++) {
        const pq_field *f = &t->fields[i];
        if (!f->required || (seen >> i & 1)) continue;
        set_where(r, t, f->name);
        if (mistyped[i] == TH_STOP) return th_fail(r, start, "required field missing from the struct");
        bool list = f->type->kind == K_LIST;
        return th_fail(r, start, "required field has wire type %s, expected %s%s, in the struct",
                       th_type_name(mistyped[i]), list ? "a list of " : "",
                       th_type_name(wire_of(list ? f->type->elem : f->type)));
    }
    return VF_OK;
}

/* `seen` and `mistyped` have room for 64 fields: parquet.thrift's largest struct has 17 */
static vf_status dec_fields_body(dec *d, const pq_type *t, uint8_t *obj) {
    th_reader *r = &d->r;
    size_t start = th_pos(r);
    uint64_t seen = 0;
    uint8_t mistyped[64] = {0}; /* TH_STOP */
    int last = 0;
    vf_status st;
    for (;;) {
        set_where(r, t, NULL);
        size_t at = th_pos(r);
        int wire, id;
        if ((st = th_field(r, &last, &wire, &id)) != VF_OK) return st;
        if (wire == TH_STOP) break;
        int i = find_field(t, id);
        if (i >= 0) set_where(r, t, t->fields[i].name);
        /* Unknown fields are a newer writer's; a known field with another
         * wire type is skipped too, as Thrift's own decoders do (an early
         * parquet-mr wrote a list as ColumnMetaData field 15). */
        if (i < 0 || !type_ok(r, t->fields[i].type, wire)) {
            if (i >= 0) mistyped[i] = (uint8_t)wire;
            if ((st = th_skip(r, wire, false)) != VF_OK) return st;
            continue;
        }
        if (seen >> i & 1) return th_fail(r, at, "duplicate field");
        if ((st = dec_field(d, &t->fields[i], wire, obj)) != VF_OK) return st;
        seen |= (uint64_t)1 << i;
    }
    if ((st = check_required(r, t, seen, mistyped, start)) != VF_OK) return st;
    return t->check ? t->check(r, t, obj, seen, start) : VF_OK;
}

/* A struct's fields into obj (cleared by the caller). */
static vf_status dec_fields(dec *d, const pq_type *t, uint8_t *obj) {
    th_reader *r = &d->r;
    const char *st_name = r->st, *field = r->field;
    vf_status st = th_enter(r);
    if (st != VF_OK) return st;
    st = dec_fields_body(d, t, obj);
    th_leave(r);
    r->st = st_name;
    r->field = field;
    return st;
}

static vf_status dec_union_body(dec *d, const pq_type *t, uint8_t *obj) {
    th_reader *r = &d->r;
    size_t start = th_pos(r);
    int *tag = (int *)obj, last = 0, members = 0;
    vf_status st;
    memset(obj, 0, t->size);
    *tag = t->unknown;
    for (;;) {
        set_where(r, t, NULL);
        size_t at = th_pos(r);
        int wire, id;
        if ((st = th_field(r, &last, &wire, &id)) != VF_OK) return st;
        if (wire == TH_STOP) break;
        int i = find_field(t, id);
        set_where(r, t, i >= 0 ? t->fields[i].name : NULL);
        if (members++) return th_fail(r, at, "more than one member in a union");
        if (i < 0) {
            if ((st = th_skip(r, wire, false)) != VF_OK) return st; /* stays `unknown` */
            continue;
        }
        const pq_field *m = &t->fields[i];
        if (wire != TH_STRUCT) { /* skipped like a mistyped field: stays `unknown` */
            if ((st = th_skip(r, wire, false)) != VF_OK) return st;
            continue;
        }
        *tag = m->id;
        if ((st = dec_fields(d, m->type, obj + m->off)) != VF_OK) return st;
    }
    return t->check ? t->check(r, t, obj, 0, start) : VF_OK;
}

static vf_status dec_union(dec *d, const pq_type *t, uint8_t *obj) {
    th_reader *r = &d->r;
    const char *st_name = r->st, *field = r->field;
    vf_status st = th_enter(r);
    if (st != VF_OK) return st;
    st = dec_union_body(d, t, obj);
    th_leave(r);
    r->st = st_name;
    r->field = field;
    return st;
}

/* The structure t at the start of p[0..n) into out (cleared on failure). */
static vf_status decode(const pq_type *t, const uint8_t *p, size_t n, vf_arena *a, void *out, size_t *used,
                        vf_error *err) {
    static const uint8_t nothing[1];
    if (!p) p = nothing, n = 0;
    dec d = {.a = a};
    th_init(&d.r, p, n, err);
    vf_status st = dec_struct(&d, t, out);
    if (st != VF_OK) {
        memset(out, 0, t->size);
        return st;
    }
    if (used) *used = th_pos(&d.r);
    return VF_OK;
}

vf_status pq_decode_file_meta(const uint8_t *p, size_t n, vf_arena *a, pq_file_meta *out, vf_error *err) {
    return decode(&T_FILE_META, p, n, a, out, NULL, err);
}

vf_status pq_decode_page_header(const uint8_t *p, size_t n, pq_page_header *out, size_t *used, vf_error *err) {
    return decode(&T_PAGE, p, n, NULL, out, used, err);
}

vf_status pq_decode_column_index(const uint8_t *p, size_t n, vf_arena *a, pq_column_index *out, vf_error *err) {
    ci_wire w;
    vf_status st = decode(&T_COLUMN_INDEX, p, n, a, &w, NULL, err);
    *out = (pq_column_index){
        .n_pages = w.n_null_pages,
        .null_pages = w.null_pages,
        .min_values = w.min_values,
        .max_values = w.max_values,
        .boundary_order = w.boundary_order,
        .has_null_counts = w.null_counts != NULL,
        .null_counts = w.null_counts,
    };
    return st;
}

vf_status pq_decode_offset_index(const uint8_t *p, size_t n, vf_arena *a, pq_offset_index *out, vf_error *err) {
    return decode(&T_OFFSET_INDEX, p, n, a, out, NULL, err);
}

vf_status pq_decode_bloom_header(const uint8_t *p, size_t n, pq_bloom_header *out, size_t *used, vf_error *err) {
    bloom_wire w;
    vf_status st = decode(&T_BLOOM, p, n, NULL, &w, used, err);
    out->num_bytes = w.num_bytes;
    return st;
}

/* ==================================================================== */
/* Encoding                                                              */
/* ==================================================================== */
static bool is_present(const pq_field *f, const uint8_t *obj) {
    if (f->required) return true;
    if (f->has != NONE) return *(const bool *)(obj + f->has);
    const uint8_t *v = obj + f->off;
    if (f->dflt_true) return !*(const bool *)v;
    switch (f->type->kind) {
    case K_BYTES: return ((const pq_bytes *)v)->p != NULL;
    case K_STR:
    case K_LIST: return load_ptr(v) != NULL;
    case K_UNION: return *(const int *)v != 0;
    default: return true;
    }
}

static void enc_fields(vf_buf *b, const pq_type *t, const uint8_t *obj);

/* A member's struct; a tag that names none (unknown) is an empty union. */
static void enc_union(vf_buf *b, const pq_type *t, const uint8_t *obj) {
    int i = find_field(t, *(const int *)obj);
    if (i >= 0) {
        int last = 0;
        th_put_field(b, TH_STRUCT, t->fields[i].id, &last);
        enc_fields(b, t->fields[i].type, obj + t->fields[i].off);
    }
    th_put_stop(b);
}

/* What stands in for a value kept only as "present": an empty binary, or
 * a union holding its first member, empty.  (vpcflow writes no encrypted
 * files; this keeps round trips faithful.) */
static void enc_placeholder(vf_buf *b, int wire) {
    static const uint8_t empty_union[] = {1 << 4 | TH_STRUCT, TH_STOP, TH_STOP};
    if (wire == TH_STRUCT)
        vf_buf_append(b, empty_union, sizeof empty_union);
    else
        th_put_binary(b, NULL, 0);
}

static void enc_value(vf_buf *b, const pq_type *t, const uint8_t *v) {
    switch (t->kind) {
    case K_BOOL: vf_buf_push(b, *(const bool *)v ? 1 : 2); break; /* as Thrift's libraries write it */
    case K_I8: vf_buf_push(b, (uint8_t)*(const int *)v); break;
    case K_I16: th_put_i32(b, *(const int16_t *)v); break;
    case K_I32: th_put_i32(b, *(const int32_t *)v); break;
    case K_I64: th_put_i64(b, *(const int64_t *)v); break;
    case K_BYTES: {
        const pq_bytes *x = (const pq_bytes *)v;
        th_put_binary(b, x->p, x->p ? x->n : 0);
        break;
    }
    case K_STR: {
        const char *s = load_ptr(v);
        th_put_binary(b, s, s ? strlen(s) : 0);
        break;
    }
    case K_STRUCT: enc_fields(b, t, v); break;
    case K_UNION: enc_union(b, t, v); break;
    case K_PRESENT: enc_placeholder(b, t->wire); break;
    case K_LIST: break; /* a field: enc_list */
    }
}

static void enc_list(vf_buf *b, const pq_field *f, const uint8_t *obj) {
    const pq_type *et = f->type->elem;
    const uint8_t *p = load_ptr(obj + f->off);
    int n = p ? *(const int *)(obj + f->count) : 0;
    if (n < 0) n = 0;
    th_put_list(b, wire_of(et), (size_t)n);
    for (int i = 0; i < n; i++) enc_value(b, et, p + (size_t)i * et->size);
}

static void enc_fields(vf_buf *b, const pq_type *t, const uint8_t *obj) {
    int last = 0;
    for (int i = 0; i < t->n_fields; i++) {
        const pq_field *f = &t->fields[i];
        if (!is_present(f, obj)) continue;
        if (f->type->kind == K_BOOL) {
            th_put_field(b, *(const bool *)(obj + f->off) ? TH_TRUE : TH_FALSE, f->id, &last);
            continue;
        }
        th_put_field(b, wire_of(f->type), f->id, &last);
        if (f->type->kind == K_LIST)
            enc_list(b, f, obj);
        else
            enc_value(b, f->type, obj + f->off);
    }
    th_put_stop(b);
}

void pq_encode_file_meta(vf_buf *b, const pq_file_meta *m) { enc_fields(b, &T_FILE_META, (const uint8_t *)m); }

void pq_encode_page_header(vf_buf *b, const pq_page_header *h) { enc_fields(b, &T_PAGE, (const uint8_t *)h); }

void pq_encode_column_index(vf_buf *b, const pq_column_index *ci) {
    int n = ci->n_pages;
    ci_wire w = {n, ci->null_pages, n, ci->min_values, n, ci->max_values, ci->boundary_order,
                 ci->has_null_counts ? n : 0, ci->has_null_counts ? ci->null_counts : NULL};
    enc_fields(b, &T_COLUMN_INDEX, (const uint8_t *)&w);
}

void pq_encode_offset_index(vf_buf *b, const pq_offset_index *oi) {
    enc_fields(b, &T_OFFSET_INDEX, (const uint8_t *)oi);
}

void pq_encode_bloom_header(vf_buf *b, const pq_bloom_header *h) {
    bloom_wire w = {h->num_bytes, 1, 1, 1};
    enc_fields(b, &T_BLOOM, (const uint8_t *)&w);
}

/* ==================================================================== */
/* Names                                                                 */
/* ==================================================================== */
const char *pq_type_name(int type) {
    switch (type) {
    case PQ_BOOLEAN: return "BOOLEAN";
    case PQ_INT32: return "INT32";
    case PQ_INT64: return "INT64";
    case PQ_INT96: return "INT96";
    case PQ_FLOAT: return "FLOAT";
    case PQ_DOUBLE: return "DOUBLE";
    case PQ_BYTE_ARRAY: return "BYTE_ARRAY";
    case PQ_FIXED_LEN_BYTE_ARRAY: return "FIXED_LEN_BYTE_ARRAY";
    }
    return "UNKNOWN";
}

const char *pq_encoding_name(int encoding) {
    switch (encoding) {
    case PQ_PLAIN: return "PLAIN";
    case PQ_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PQ_RLE: return "RLE";
    case PQ_BIT_PACKED: return "BIT_PACKED";
    case PQ_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PQ_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PQ_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PQ_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PQ_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    }
    return "UNKNOWN";
}

const char *pq_page_type_name(int type) {
    switch (type) {
    case PQ_DATA_PAGE: return "DATA_PAGE";
    case PQ_INDEX_PAGE: return "INDEX_PAGE";
    case PQ_DICTIONARY_PAGE: return "DICTIONARY_PAGE";
    case PQ_DATA_PAGE_V2: return "DATA_PAGE_V2";
    }
    return "UNKNOWN";
}
