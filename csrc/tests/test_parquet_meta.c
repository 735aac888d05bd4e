/*
 * test_parquet_meta.c - unit tests of the Parquet metadata codec
 * (csrc/parquet/meta.c over the compact-protocol primitives of thrift.c).
 *
 *   - the primitives, and exact bytes for small structures worked out by
 *     hand from the Thrift compact protocol specification;
 *   - round trips of every structure with all optional fields present and
 *     with all absent, and a check that field ids come out increasing;
 *   - real files from apache/parquet-testing ($VPCFLOW_SHARED, default
 *     ../shared, /parquet-testing/data): footers, page headers, column and
 *     offset indexes, bloom filter headers, checked against what pyarrow 26
 *     and DuckDB report for those files (the expected values are written
 *     out below); every page of every chunk is walked, and re-encoding
 *     gives the files' own bytes back;
 *   - malformed input: every truncation of real footers (from exact-size
 *     heap copies, so that ASan sees any overread), random byte flips,
 *     deep nesting, huge counts, missing, mistyped, duplicate and negative
 *     fields, with the messages checked.
 */
#include "parquet/meta.h"
#include "parquet/thrift.h"
#include "codec/block.h"
#include "check.h"

/* ==================================================================== */
/* Helpers                                                               */
/* ==================================================================== */
typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob load(const char *name) {
    const char *shared = getenv("VPCFLOW_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/parquet-testing/data/%s", shared && *shared ? shared : "../shared", name);
    blob b = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (set VPCFLOW_SHARED to the directory holding parquet-testing)\n", path);
        g_fail++;
        return b;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc((size_t)n);
    if (b.p && fread(b.p, 1, (size_t)n, f) == (size_t)n) b.n = (size_t)n;
    fclose(f);
    return b;
}

/* The footer: the u32 LE length and "PAR1" are the file's last 8 bytes. */
static const uint8_t *footer_of(const blob *f, size_t *n) {
    *n = 0;
    if (f->n < 12 || memcmp(f->p + f->n - 4, "PAR1", 4) != 0) return NULL;
    uint32_t len;
    memcpy(&len, f->p + f->n - 8, 4);
    if (len > f->n - 8) return NULL;
    *n = len;
    return f->p + f->n - 8 - len;
}

static uint8_t *copy_exact(const uint8_t *p, size_t n) {
    uint8_t *q = malloc(n ? n : 1);
    if (n) memcpy(q, p, n);
    return q;
}

static bool same_bytes(const uint8_t *a, size_t na, const vf_buf *b) {
    return na == b->len && (na == 0 || memcmp(a, b->p, na) == 0);
}

static bool bytes_eq(pq_bytes b, const void *s, size_t n) { return b.p && b.n == n && memcmp(b.p, s, n) == 0; }

static bool hex_eq(const vf_buf *b, const char *hex) {
    size_t n = strlen(hex) / 2;
    if (b->len != n) {
        fprintf(stderr, "  length %zu, expected %zu\n", b->len, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        if (b->p[i] != v) {
            fprintf(stderr, "  byte %zu is %02x, expected %02x\n", i, b->p[i], v);
            return false;
        }
    }
    return true;
}

static size_t unhex(const char *hex, uint8_t *out) {
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        if (*hex == ' ') {
            hex--;
            continue;
        }
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Field ids increase within every struct (the compact protocol's order),
 * and the bytes are one well-formed struct. */
static bool walk_value(th_reader *r, int type, bool elem);
static bool walk_struct(th_reader *r) {
    int last = 0, prev = INT32_MIN, type, id;
    for (;;) {
        if (th_field(r, &last, &type, &id) != VF_OK) return false;
        if (type == TH_STOP) return true;
        if (id <= prev) return false;
        prev = id;
        if (!walk_value(r, type, false)) return false;
    }
}
static bool walk_value(th_reader *r, int type, bool elem) {
    if (type == TH_STRUCT) return walk_struct(r);
    if (type == TH_LIST) {
        int et;
        size_t n;
        if (th_list(r, &et, &n, 1) != VF_OK) return false;
        for (size_t i = 0; i < n; i++)
            if (!walk_value(r, et, true)) return false;
        return true;
    }
    return th_skip(r, type, elem) == VF_OK;
}
static bool ids_increasing(const vf_buf *b) {
    th_reader r;
    th_init(&r, b->p, b->len, NULL);
    return walk_struct(&r) && th_left(&r) == 0;
}

/* The footer decodes, and encoding what it decoded is a fixpoint:
 * encode(decode(encode(m))) == encode(m). */
static void footer_fixpoint(const uint8_t *p, size_t n) {
    vf_arena a = {0}, a2 = {0};
    pq_file_meta m, m2;
    vf_buf b1 = {0}, b2 = {0};
    vf_error err;
    CHECK_INT(pq_decode_file_meta(p, n, &a, &m, &err), VF_OK);
    pq_encode_file_meta(&b1, &m);
    CHECK(ids_increasing(&b1));
    CHECK_INT(pq_decode_file_meta(b1.p, b1.len, &a2, &m2, &err), VF_OK);
    pq_encode_file_meta(&b2, &m2);
    CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
    vf_buf_free(&b1);
    vf_buf_free(&b2);
    vf_arena_free(&a);
    vf_arena_free(&a2);
}

/* ==================================================================== */
/* Primitives                                                            */
/* ==================================================================== */
static void test_varints(void) {
    const int64_t v64[] = {0, 1, -1, 63, -64, 64, 1000000, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof v64 / sizeof v64[0]; i++) {
        vf_buf b = {0};
        th_put_i64(&b, v64[i]);
        th_reader r;
        th_init(&r, b.p, b.len, NULL);
        int64_t x = 0;
        CHECK_INT(th_i64(&r, &x), VF_OK);
        CHECK(x == v64[i]);
        CHECK_INT(th_left(&r), 0);
        if (v64[i] >= INT32_MIN && v64[i] <= INT32_MAX) {
            th_init(&r, b.p, b.len, NULL);
            int32_t y = 0;
            CHECK_INT(th_i32(&r, &y), VF_OK);
            CHECK_INT(y, v64[i]);
        } else {
            th_init(&r, b.p, b.len, NULL);
            int32_t y;
            CHECK_INT(th_i32(&r, &y), VF_EFORMAT); /* does not fit an i32 */
        }
        vf_buf_free(&b);
    }
    /* zigzag: 0 -1 1 -2 -> 0 1 2 3; 50399 is df 89 03 (the spec's example) */
    vf_buf b = {0};
    th_put_i32(&b, -2);
    th_put_varint(&b, 50399);
    th_put_i64(&b, INT64_MIN);
    CHECK(hex_eq(&b, "03df8903ffffffffffffffffff01"));
    vf_buf_free(&b);

    const struct {
        const char *hex, *msg;
    } bad[] = {
        {"ffffffffffffffffff02", "varint overflows 64 bits"},      /* 10th byte above 1 */
        {"ffffffffffffffffffff01", "varint longer than 10 bytes"}, /* 11 bytes */
        {"8080", "truncated varint"},
        {"", "truncated varint"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[16];
        size_t n = unhex(bad[i].hex, buf);
        uint8_t *p = copy_exact(buf, n);
        th_reader r;
        vf_error err;
        vf_error_clear(&err);
        th_init(&r, p, n, &err);
        uint64_t v;
        CHECK_INT(th_varint(&r, &v), VF_EFORMAT);
        CHECK_CONTAINS(err.msg, bad[i].msg);
        CHECK_INT(err.offset, 0);
        free(p);
    }
    /* i16 range; a 10-byte varint of exactly 2^63 is fine as an i64 */
    uint8_t buf[16];
    size_t n = unhex("808004", buf); /* 65536 */
    th_reader r;
    vf_error err;
    th_init(&r, buf, n, &err);
    int16_t s;
    CHECK_INT(th_i16(&r, &s), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "does not fit an i16");
    n = unhex("80808080808080808001", buf);
    th_init(&r, buf, n, &err);
    uint64_t u;
    CHECK_INT(th_varint(&r, &u), VF_OK);
    CHECK(u == (uint64_t)1 << 63);
}

static void test_headers(void) {
    vf_buf b = {0};
    int last = 0;
    th_put_field(&b, TH_I32, 1, &last);   /* 15 */
    th_put_field(&b, TH_TRUE, 16, &last); /* delta 15: f1 */
    th_put_field(&b, TH_I64, 40, &last);  /* long form: 06 50 */
    th_put_field(&b, TH_I8, 3, &last);    /* backwards: long form 03 06 */
    th_put_list(&b, TH_I32, 14);          /* e5 */
    th_put_list(&b, TH_STRUCT, 15);       /* fc 0f */
    th_put_list(&b, TH_TRUE, 300);        /* f1 ac 02 */
    CHECK(hex_eq(&b, "15" "f1" "0650" "0306" "e5" "fc0f" "f1ac02"));
    th_reader r;
    th_init(&r, b.p, b.len, NULL);
    int type, id, et;
    size_t n;
    last = 0;
    CHECK(th_field(&r, &last, &type, &id) == VF_OK && type == TH_I32 && id == 1);
    CHECK(th_field(&r, &last, &type, &id) == VF_OK && type == TH_TRUE && id == 16);
    CHECK(th_field(&r, &last, &type, &id) == VF_OK && type == TH_I64 && id == 40);
    CHECK(th_field(&r, &last, &type, &id) == VF_OK && type == TH_I8 && id == 3);
    vf_buf_free(&b);
    /* list headers: a count must fit in the bytes left, at min_elem bytes each */
    uint8_t lists[64] = {0xe5};
    th_init(&r, lists, 15, NULL);
    CHECK(th_list(&r, &et, &n, 1) == VF_OK && et == TH_I32 && n == 14);
    th_init(&r, lists, 14, NULL);
    CHECK_INT(th_list(&r, &et, &n, 1), VF_EFORMAT);
    lists[0] = 0xfc;
    lists[1] = 0x0f;
    th_init(&r, lists, 32, NULL);
    CHECK(th_list(&r, &et, &n, 2) == VF_OK && et == TH_STRUCT && n == 15);
    th_init(&r, lists, 31, NULL);
    CHECK_INT(th_list(&r, &et, &n, 2), VF_EFORMAT);
    lists[0] = 0x07; /* an empty list's element type is not looked at */
    th_init(&r, lists, 1, NULL);
    CHECK(th_list(&r, &et, &n, 1) == VF_OK && n == 0);
    lists[0] = 0x1e;
    th_init(&r, lists, 2, NULL);
    CHECK_INT(th_list(&r, &et, &n, 1), VF_EFORMAT);

    /* skipping every type, nested */
    uint8_t in[256];
    size_t len = unhex("11"                           /* 1: bool true */
                       "23ff"                         /* 3: i8 */
                       "1402"                         /* 4: i16 */
                       "157f"                         /* 5: i32 */
                       "16ffffffffffffffffff01"       /* 6: i64 */
                       "170000000000000000"           /* 7: double */
                       "1803616263"                   /* 8: binary */
                       "1931010002"                   /* 9: list<bool> [t, f, f] */
                       "1a" "25" "0202"               /* 10: set<i32> of 2 */
                       "1b" "02" "58" "02" "0161" "04" "0162" /* 11: map<i32, binary> of 2 */
                       "1b00"                         /* 12: an empty map */
                       "1c" "1c" "1928" "0161" "00" "00" "00" /* 13: struct{struct{list<binary>}} */
                       "1d00112233445566778899aabbccddeeff" /* 14: uuid */
                       "00",
                       in);
    vf_error err;
    vf_error_clear(&err);
    th_init(&r, in, len, &err);
    CHECK_INT(th_skip(&r, TH_STRUCT, false), VF_OK);
    CHECK_INT(th_left(&r), 0);
    if (err.msg[0]) fprintf(stderr, "  %s\n", err.msg);

    /* invalid field types; a field id pushed past 32767 by deltas */
    len = unhex("1e00", in);
    th_init(&r, in, len, &err);
    CHECK_INT(th_skip(&r, TH_STRUCT, false), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "invalid field type 14");
    len = unhex("1000", in);
    th_init(&r, in, len, &err);
    CHECK_INT(th_skip(&r, TH_STRUCT, false), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "invalid field type 0");
    len = unhex("04feff03" "00", in); /* long form id 32767, then +15 */
    in[len++] = 0xf1;
    th_init(&r, in, len, &err);
    last = 0;
    CHECK(th_field(&r, &last, &type, &id) == VF_OK && id == 32767);
    CHECK_INT(th_skip(&r, type, false), VF_OK);
    CHECK_INT(th_field(&r, &last, &type, &id), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "field id above 32767");
    CHECK_STR(th_type_name(TH_UUID), "uuid");
    CHECK_STR(th_type_name(99), "invalid type");
}

/* ==================================================================== */
/* Exact encodings, worked out by hand                                   */
/* ==================================================================== */
static void test_exact_footer(void) {
    /* version 1, schema [{name "s"}], num_rows 0, row_groups [], kv [{"k", "v"}] */
    pq_schema_elem root = {.name = "s"};
    pq_kv kv = {{(const uint8_t *)"k", 1}, {(const uint8_t *)"v", 1}};
    pq_file_meta m = {.version = 1, .n_schema = 1, .schema = &root, .n_kv = 1, .kv = &kv};
    vf_buf b = {0};
    pq_encode_file_meta(&b, &m);
    CHECK(hex_eq(&b, "1502"                 /* 1: i32 1 */
                     "191c" "480173" "00"   /* 2: list of 1 struct: {4: "s"} */
                     "1600"                 /* 3: i64 0 */
                     "190c"                 /* 4: empty list of struct */
                     "191c" "18016b" "180176" "00" /* 5: [{1: "k", 2: "v"}] */
                     "00"));
    vf_buf_free(&b);

    /* a TIMESTAMP(isAdjustedToUTC, MICROS) leaf */
    pq_schema_elem ts = {.name = "t", .logical = {.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = PQ_MICROS}};
    pq_file_meta m2 = {.version = 2, .n_schema = 1, .schema = &ts, .num_rows = 1};
    pq_encode_file_meta(&b, &m2);
    CHECK(hex_eq(&b, "1504" "191c" "480174"
                     "6c"     /* 10: logicalType, delta 6 */
                     "8c"     /* member 8: TIMESTAMP */
                     "11"     /* 1: isAdjustedToUTC true */
                     "1c2c00" /* 2: unit = member 2 (MICROS), empty */
                     "00" "00" "00" "00" /* TimeUnit, TimestampType, LogicalType, SchemaElement */
                     "1602" "190c" "00"));
    vf_arena a = {0};
    pq_file_meta d;
    vf_error err;
    CHECK_INT(pq_decode_file_meta(b.p, b.len, &a, &d, &err), VF_OK);
    CHECK_INT(d.schema[0].logical.kind, PQ_LT_TIMESTAMP);
    CHECK(d.schema[0].logical.utc);
    CHECK_INT(d.schema[0].logical.unit, PQ_MICROS);
    CHECK(d.kv == NULL && d.created_by == NULL && d.column_orders == NULL);
    CHECK(d.row_groups != NULL && d.n_row_groups == 0); /* present, empty */
    vf_arena_free(&a);
    vf_buf_free(&b);
}

static void test_exact_page_header(void) {
    pq_page_header h = {
        .type = PQ_DATA_PAGE,
        .uncompressed_page_size = 100,
        .compressed_page_size = 50,
        .has_crc = true,
        .crc = -1,
        .has_data_page_header = true,
        .data_page_header = {.num_values = 10, .encoding = PQ_PLAIN, .definition_level_encoding = PQ_RLE,
                             .repetition_level_encoding = PQ_RLE},
    };
    vf_buf b = {0};
    pq_encode_page_header(&b, &h);
    const char *want = "1500" "15c801" "1564" "1501" /* type 0, sizes 100 and 50, crc -1 */
                       "1c" "1514" "1500" "1506" "1506" "00" /* 5: data_page_header */
                       "00";
    CHECK(hex_eq(&b, want));
    /* decoding stops at the header's end: the page follows it */
    vf_buf_append(&b, "page bytes", 10);
    pq_page_header d;
    size_t used = 0;
    vf_error err;
    CHECK_INT(pq_decode_page_header(b.p, b.len, &d, &used, &err), VF_OK);
    CHECK_INT(used, strlen(want) / 2);
    CHECK_INT(d.crc, -1);
    CHECK_INT(d.data_page_header.num_values, 10);
    CHECK_INT(d.data_page_header.definition_level_encoding, PQ_RLE);
    CHECK(!d.has_dictionary_page_header && !d.has_data_page_header_v2 && !d.data_page_header.has_statistics);
    vf_buf_free(&b);

    /* v2: is_compressed is written only when false (absent means true) */
    pq_page_header v2 = {.type = PQ_DATA_PAGE_V2, .uncompressed_page_size = 3, .compressed_page_size = 3,
                         .has_data_page_header_v2 = true,
                         .data_page_header_v2 = {.num_values = 1, .num_rows = 1, .encoding = PQ_PLAIN,
                                                 .is_compressed = true}};
    pq_encode_page_header(&b, &v2);
    CHECK(hex_eq(&b, "1506" "1506" "1506" "5c" "1502" "1500" "1502" "1500" "1500" "1500" "00" "00"));
    CHECK_INT(pq_decode_page_header(b.p, b.len, &d, &used, &err), VF_OK);
    CHECK(d.data_page_header_v2.is_compressed);
    b.len = 0;
    v2.data_page_header_v2.is_compressed = false;
    pq_encode_page_header(&b, &v2);
    CHECK(hex_eq(&b, "1506" "1506" "1506" "5c" "1502" "1500" "1502" "1500" "1500" "1500" "12" "00" "00"));
    CHECK_INT(pq_decode_page_header(b.p, b.len, &d, &used, &err), VF_OK);
    CHECK(!d.data_page_header_v2.is_compressed);
    vf_buf_free(&b);

    /* an INDEX_PAGE decodes without a sub-header, and with its (empty) one */
    uint8_t in[32];
    size_t n = unhex("1502" "1500" "1500" "00", in);
    CHECK_INT(pq_decode_page_header(in, n, &d, &used, &err), VF_OK);
    CHECK_INT(d.type, PQ_INDEX_PAGE);
    n = unhex("1502" "1500" "1500" "3c00" "00", in); /* 6: index_page_header {} */
    CHECK_INT(pq_decode_page_header(in, n, &d, &used, &err), VF_OK);
    CHECK_INT(used, n);
}

static void test_exact_indexes(void) {
    bool null_pages[] = {true, false};
    pq_bytes mins[] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"a", 1}};
    pq_bytes maxs[] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"b", 1}};
    int64_t nulls[] = {3, 0};
    pq_column_index ci = {2, null_pages, mins, maxs, PQ_ASCENDING, true, nulls};
    vf_buf b = {0};
    pq_encode_column_index(&b, &ci);
    CHECK(hex_eq(&b, "19" "21" "0102"  /* list<bool> [true, false]: element type 1, values 1 and 2 */
                     "19" "28" "00" "0161" "19" "28" "00" "0162" "1502" "19" "26" "0600" "00"));
    vf_arena a = {0};
    pq_column_index d;
    vf_error err;
    CHECK_INT(pq_decode_column_index(b.p, b.len, &a, &d, &err), VF_OK);
    CHECK_INT(d.n_pages, 2);
    CHECK(d.null_pages[0] && !d.null_pages[1]);
    CHECK(bytes_eq(d.min_values[0], "", 0) && bytes_eq(d.max_values[1], "b", 1));
    CHECK(d.has_null_counts && d.null_counts[0] == 3 && d.null_counts[1] == 0);
    CHECK_INT(d.boundary_order, PQ_ASCENDING);
    vf_buf_free(&b);
    /* without null_counts */
    ci.has_null_counts = false;
    pq_encode_column_index(&b, &ci);
    CHECK_INT(pq_decode_column_index(b.p, b.len, &a, &d, &err), VF_OK);
    CHECK(!d.has_null_counts && d.null_counts == NULL);
    vf_buf_free(&b);

    pq_page_location loc[] = {{4, 100, 0}, {104, 50, 1000}};
    pq_offset_index oi = {2, loc};
    pq_encode_offset_index(&b, &oi);
    CHECK(hex_eq(&b, "19" "2c" "1608" "15c801" "1600" "00" "16d001" "1564" "16d00f" "00" "00"));
    pq_offset_index od;
    CHECK_INT(pq_decode_offset_index(b.p, b.len, &a, &od, &err), VF_OK);
    CHECK(od.n_pages == 2 && od.page_locations[1].offset == 104 && od.page_locations[1].first_row_index == 1000);
    vf_buf_free(&b);

    pq_bloom_header bh = {32};
    pq_encode_bloom_header(&b, &bh);
    CHECK(hex_eq(&b, "1540" "1c1c0000" "1c1c0000" "1c1c0000" "00"));
    pq_bloom_header bd;
    size_t used;
    vf_buf_append(&b, "bitset", 6);
    CHECK_INT(pq_decode_bloom_header(b.p, b.len, &bd, &used, &err), VF_OK);
    CHECK_INT(bd.num_bytes, 32);
    CHECK_INT(used, b.len - 6);
    vf_buf_free(&b);
    vf_arena_free(&a);
}

/* ==================================================================== */
/* Round trips of every structure: all optional fields, then none        */
/* ==================================================================== */
#define B(s) ((pq_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static pq_stats full_stats(void) {
    return (pq_stats){
        .max = B("\x09"), .min = B(""), .has_null_count = true, .null_count = 7, .has_distinct_count = true,
        .distinct_count = 1LL << 40, .max_value = B("zz"), .min_value = B("a"), .has_is_max_value_exact = true,
        .is_max_value_exact = false, .has_is_min_value_exact = true, .is_min_value_exact = true,
        .has_nan_count = true, .nan_count = 0,
    };
}

static void check_full_stats(const pq_stats *s) {
    CHECK(bytes_eq(s->max, "\x09", 1) && bytes_eq(s->min, "", 0));
    CHECK(bytes_eq(s->max_value, "zz", 2) && bytes_eq(s->min_value, "a", 1));
    CHECK(s->has_null_count && s->null_count == 7);
    CHECK(s->has_distinct_count && s->distinct_count == 1LL << 40);
    CHECK(s->has_is_max_value_exact && !s->is_max_value_exact);
    CHECK(s->has_is_min_value_exact && s->is_min_value_exact);
    CHECK(s->has_nan_count && s->nan_count == 0);
}

static void check_no_stats(const pq_stats *s) {
    CHECK(!s->max.p && !s->min.p && !s->max_value.p && !s->min_value.p);
    CHECK(!s->has_null_count && !s->has_distinct_count && !s->has_is_max_value_exact);
    CHECK(!s->has_is_min_value_exact && !s->has_nan_count);
}

/* every LogicalType member, and one element with every optional field */
static const pq_logical logicals[] = {
    {.kind = PQ_LT_STRING},
    {.kind = PQ_LT_MAP},
    {.kind = PQ_LT_LIST},
    {.kind = PQ_LT_ENUM},
    {.kind = PQ_LT_DECIMAL, .scale = 2, .precision = 38},
    {.kind = PQ_LT_DATE},
    {.kind = PQ_LT_TIME, .utc = true, .unit = PQ_MILLIS},
    {.kind = PQ_LT_TIMESTAMP, .utc = false, .unit = PQ_NANOS},
    {.kind = PQ_LT_INTEGER, .bit_width = 16, .is_signed = false},
    {.kind = PQ_LT_INTEGER, .bit_width = 64, .is_signed = true},
    {.kind = PQ_LT_UNKNOWN},
    {.kind = PQ_LT_JSON},
    {.kind = PQ_LT_BSON},
    {.kind = PQ_LT_UUID},
    {.kind = PQ_LT_FLOAT16},
    {.kind = PQ_LT_VARIANT},
    {.kind = PQ_LT_GEOMETRY},
    {.kind = PQ_LT_GEOGRAPHY},
    {.kind = PQ_LT_OTHER},
};
#define N_LOGICALS ((int)(sizeof logicals / sizeof logicals[0]))

static void test_roundtrip_file_meta(void) {
    pq_schema_elem schema[2 + N_LOGICALS];
    memset(schema, 0, sizeof schema);
    schema[0] = (pq_schema_elem){.name = "root", .has_num_children = true, .num_children = 1 + N_LOGICALS};
    schema[1] = (pq_schema_elem){
        .name = "all", .has_type = true, .type = PQ_FIXED_LEN_BYTE_ARRAY, .has_type_length = true,
        .type_length = 16, .has_repetition = true, .repetition = PQ_REPEATED, .has_num_children = true,
        .num_children = 0, .has_converted_type = true, .converted_type = PQ_CT_INTERVAL, .has_scale = true,
        .scale = -1, .has_precision = true, .precision = 100, .has_field_id = true, .field_id = INT32_MIN,
    };
    for (int i = 0; i < N_LOGICALS; i++)
        schema[2 + i] = (pq_schema_elem){.name = "", .has_type = true, .type = PQ_INT64, .logical = logicals[i]};

    const char *path[] = {"all", "x"};
    int encodings[16];
    for (int i = 0; i < 16; i++) encodings[i] = i % 10; /* 16 > 14: a long-form list header */
    pq_kv kvs[] = {{B("key"), B("value")}, {B("no value"), {NULL, 0}}, {B(""), B("")}};
    pq_page_enc_stats es[] = {{PQ_DICTIONARY_PAGE, PQ_PLAIN, 1}, {PQ_DATA_PAGE, PQ_RLE_DICTIONARY, 3}};
    pq_column_chunk cols[2] = {{
        .file_path = "other.parquet", .file_offset = -5, .has_meta_data = true,
        .meta = {
            .type = PQ_BYTE_ARRAY, .n_encodings = 16, .encodings = encodings, .n_path = 2, .path_in_schema = path,
            .codec = VF_BC_ZSTD, .num_values = 1LL << 33, .total_uncompressed_size = 1000,
            .total_compressed_size = 900, .n_kv = 3, .kv = kvs, .data_page_offset = 4,
            .has_index_page_offset = true, .index_page_offset = 5, .has_dictionary_page_offset = true,
            .dictionary_page_offset = 6, .has_statistics = true, .statistics = full_stats(),
            .n_encoding_stats = 2, .encoding_stats = es, .has_bloom_filter_offset = true,
            .bloom_filter_offset = 7, .has_bloom_filter_length = true, .bloom_filter_length = 8,
        },
        .has_offset_index = true, .offset_index_offset = 9, .offset_index_length = 10,
        .has_column_index = true, .column_index_offset = 11, .column_index_length = 12,
        .has_crypto_metadata = true, .has_encrypted_column_metadata = true,
    }, {
        .file_offset = 0 /* nothing else: no meta_data at all */
    }};
    pq_sorting_column sort[] = {{1, true, false}, {0, false, true}};
    pq_row_group rgs[2] = {{
        .n_columns = 2, .columns = cols, .total_byte_size = 123, .num_rows = 45, .n_sorting_columns = 2,
        .sorting_columns = sort, .has_file_offset = true, .file_offset = -1, .has_total_compressed_size = true,
        .total_compressed_size = 99, .has_ordinal = true, .ordinal = -3,
    }, {.total_byte_size = 0, .num_rows = 0}};
    int orders[] = {1, 0, 1};
    pq_file_meta m = {
        .version = 2, .n_schema = 2 + N_LOGICALS, .schema = schema, .num_rows = 45, .n_row_groups = 2,
        .row_groups = rgs, .n_kv = 1, .kv = kvs, .created_by = "vpcflow test", .n_column_orders = 3,
        .column_orders = orders, .has_encryption_algorithm = true, .has_footer_signing_key_metadata = true,
    };
    vf_buf b = {0};
    pq_encode_file_meta(&b, &m);
    CHECK(!b.oom);
    CHECK(ids_increasing(&b));

    vf_arena a = {0};
    pq_file_meta d;
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(pq_decode_file_meta(b.p, b.len, &a, &d, &err), VF_OK);
    if (err.msg[0]) fprintf(stderr, "  %s\n", err.msg);
    CHECK_INT(d.version, 2);
    CHECK_INT(d.num_rows, 45);
    CHECK_STR(d.created_by, "vpcflow test");
    CHECK(d.has_encryption_algorithm && d.has_footer_signing_key_metadata);
    CHECK(d.n_column_orders == 3 && d.column_orders[0] == 1 && d.column_orders[1] == 0 && d.column_orders[2] == 1);
    CHECK(d.n_kv == 1 && bytes_eq(d.kv[0].key, "key", 3) && bytes_eq(d.kv[0].value, "value", 5));
    CHECK_INT(d.n_schema, 2 + N_LOGICALS);
    const pq_schema_elem *e = &d.schema[1];
    CHECK_STR(d.schema[0].name, "root");
    CHECK(d.schema[0].has_num_children && d.schema[0].num_children == 1 + N_LOGICALS && !d.schema[0].has_type);
    CHECK_STR(e->name, "all");
    CHECK(e->has_type && e->type == PQ_FIXED_LEN_BYTE_ARRAY && e->has_type_length && e->type_length == 16);
    CHECK(e->has_repetition && e->repetition == PQ_REPEATED && e->has_num_children && e->num_children == 0);
    CHECK(e->has_converted_type && e->converted_type == PQ_CT_INTERVAL);
    CHECK(e->has_scale && e->scale == -1 && e->has_precision && e->precision == 100);
    CHECK(e->has_field_id && e->field_id == INT32_MIN && e->logical.kind == PQ_LT_NONE);
    for (int i = 0; i < N_LOGICALS; i++) {
        const pq_logical *l = &d.schema[2 + i].logical;
        CHECK_INT(l->kind, logicals[i].kind);
        CHECK(l->scale == logicals[i].scale && l->precision == logicals[i].precision);
        CHECK(l->utc == logicals[i].utc && l->unit == logicals[i].unit);
        CHECK(l->bit_width == logicals[i].bit_width && l->is_signed == logicals[i].is_signed);
        CHECK_STR(d.schema[2 + i].name, "");
    }
    CHECK_INT(d.n_row_groups, 2);
    const pq_row_group *rg = &d.row_groups[0];
    CHECK(rg->total_byte_size == 123 && rg->num_rows == 45 && rg->n_columns == 2);
    CHECK(rg->has_file_offset && rg->file_offset == -1);
    CHECK(rg->has_total_compressed_size && rg->total_compressed_size == 99 && rg->has_ordinal && rg->ordinal == -3);
    CHECK(rg->n_sorting_columns == 2 && rg->sorting_columns[0].column_idx == 1 && rg->sorting_columns[0].descending &&
          !rg->sorting_columns[0].nulls_first && rg->sorting_columns[1].nulls_first);
    const pq_column_chunk *c = &rg->columns[0];
    CHECK_STR(c->file_path, "other.parquet");
    CHECK_INT(c->file_offset, -5);
    CHECK(c->has_offset_index && c->offset_index_offset == 9 && c->offset_index_length == 10);
    CHECK(c->has_column_index && c->column_index_offset == 11 && c->column_index_length == 12);
    CHECK(c->has_crypto_metadata && c->has_encrypted_column_metadata && c->has_meta_data);
    const pq_column_meta *cm = &c->meta;
    CHECK(cm->type == PQ_BYTE_ARRAY && cm->codec == VF_BC_ZSTD && cm->num_values == 1LL << 33);
    CHECK(cm->n_encodings == 16 && cm->encodings[15] == 5 && cm->encodings[9] == 9);
    CHECK(cm->n_path == 2 && strcmp(cm->path_in_schema[0], "all") == 0 && strcmp(cm->path_in_schema[1], "x") == 0);
    CHECK(cm->total_uncompressed_size == 1000 && cm->total_compressed_size == 900 && cm->data_page_offset == 4);
    CHECK(cm->n_kv == 3 && bytes_eq(cm->kv[1].key, "no value", 8) && cm->kv[1].value.p == NULL);
    CHECK(bytes_eq(cm->kv[2].key, "", 0) && bytes_eq(cm->kv[2].value, "", 0));
    CHECK(cm->has_index_page_offset && cm->index_page_offset == 5);
    CHECK(cm->has_dictionary_page_offset && cm->dictionary_page_offset == 6);
    CHECK(cm->has_statistics);
    check_full_stats(&cm->statistics);
    CHECK(cm->n_encoding_stats == 2 && cm->encoding_stats[1].page_type == PQ_DATA_PAGE &&
          cm->encoding_stats[1].encoding == PQ_RLE_DICTIONARY && cm->encoding_stats[1].count == 3);
    CHECK(cm->has_bloom_filter_offset && cm->bloom_filter_offset == 7);
    CHECK(cm->has_bloom_filter_length && cm->bloom_filter_length == 8);
    /* the bare chunk and row group */
    c = &rg->columns[1];
    CHECK(!c->file_path && !c->has_meta_data && !c->has_offset_index && !c->has_column_index);
    CHECK(!c->has_crypto_metadata && !c->has_encrypted_column_metadata);
    rg = &d.row_groups[1];
    CHECK(rg->n_columns == 0 && rg->columns != NULL && rg->sorting_columns == NULL);
    CHECK(!rg->has_file_offset && !rg->has_total_compressed_size && !rg->has_ordinal);

    /* decode(encode(decoded)) encodes to the same bytes */
    footer_fixpoint(b.p, b.len);
    vf_buf_free(&b);
    vf_arena_free(&a);

    /* only the required fields: a required list or string left NULL is written empty */
    pq_file_meta bare = {.version = 1};
    pq_encode_file_meta(&b, &bare);
    CHECK(hex_eq(&b, "1502" "190c" "1600" "190c" "00"));
    CHECK_INT(pq_decode_file_meta(b.p, b.len, &a, &d, &err), VF_OK);
    CHECK(d.n_schema == 0 && d.schema != NULL && d.kv == NULL && !d.created_by && !d.column_orders);
    CHECK(!d.has_encryption_algorithm && !d.has_footer_signing_key_metadata);
    vf_buf_free(&b);
    pq_column_chunk bare_chunk = {.has_meta_data = true};
    pq_row_group bare_rg = {.n_columns = 1, .columns = &bare_chunk};
    pq_schema_elem unnamed = {0};
    pq_file_meta bare2 = {.n_schema = 1, .schema = &unnamed, .n_row_groups = 1, .row_groups = &bare_rg};
    pq_encode_file_meta(&b, &bare2);
    CHECK(ids_increasing(&b));
    CHECK_INT(pq_decode_file_meta(b.p, b.len, &a, &d, &err), VF_OK);
    CHECK_STR(d.schema[0].name, "");
    cm = &d.row_groups[0].columns[0].meta;
    CHECK(d.row_groups[0].columns[0].has_meta_data && cm->n_encodings == 0 && cm->n_path == 0);
    CHECK(!cm->has_statistics && !cm->kv && !cm->encoding_stats && !cm->has_bloom_filter_offset);
    CHECK(!cm->has_index_page_offset && !cm->has_dictionary_page_offset && !cm->has_bloom_filter_length);
    footer_fixpoint(b.p, b.len);
    vf_buf_free(&b);
    vf_arena_free(&a);
}

/* Encode h into b (kept: d's statistics point into it), decode it into d,
 * and encode d again: the same bytes. */
static void roundtrip_page(const pq_page_header *h, pq_page_header *d, vf_buf *b) {
    vf_buf b2 = {0};
    size_t used = 0;
    vf_error err;
    b->len = 0;
    pq_encode_page_header(b, h);
    CHECK(ids_increasing(b));
    CHECK_INT(pq_decode_page_header(b->p, b->len, d, &used, &err), VF_OK);
    CHECK_INT(used, b->len);
    pq_encode_page_header(&b2, d);
    CHECK(same_bytes(b->p, b->len, &b2));
    vf_buf_free(&b2);
}

static void test_roundtrip_pages(void) {
    pq_page_header d;
    vf_buf b = {0};
    pq_page_header v1 = {
        .type = PQ_DATA_PAGE, .uncompressed_page_size = INT32_MAX, .compressed_page_size = 0, .has_crc = true,
        .crc = INT32_MIN, .has_data_page_header = true,
        .data_page_header = {.num_values = 5, .encoding = PQ_RLE_DICTIONARY, .definition_level_encoding = PQ_RLE,
                             .repetition_level_encoding = PQ_BIT_PACKED, .has_statistics = true,
                             .statistics = full_stats()},
    };
    roundtrip_page(&v1, &d, &b);
    CHECK(d.has_crc && d.crc == INT32_MIN && d.uncompressed_page_size == INT32_MAX);
    CHECK(d.has_data_page_header && d.data_page_header.num_values == 5);
    CHECK(d.data_page_header.encoding == PQ_RLE_DICTIONARY);
    CHECK(d.data_page_header.repetition_level_encoding == PQ_BIT_PACKED);
    CHECK(d.data_page_header.has_statistics);
    check_full_stats(&d.data_page_header.statistics);
    v1.data_page_header.has_statistics = false;
    v1.has_crc = false;
    roundtrip_page(&v1, &d, &b);
    CHECK(!d.has_crc && !d.data_page_header.has_statistics);
    check_no_stats(&d.data_page_header.statistics);

    pq_page_header dict = {.type = PQ_DICTIONARY_PAGE, .uncompressed_page_size = 8, .compressed_page_size = 8,
                           .has_dictionary_page_header = true,
                           .dictionary_page_header = {.num_values = 2, .encoding = PQ_PLAIN_DICTIONARY,
                                                      .has_is_sorted = true, .is_sorted = true}};
    roundtrip_page(&dict, &d, &b);
    CHECK(d.has_dictionary_page_header && d.dictionary_page_header.num_values == 2);
    CHECK(d.dictionary_page_header.encoding == PQ_PLAIN_DICTIONARY);
    CHECK(d.dictionary_page_header.has_is_sorted && d.dictionary_page_header.is_sorted);
    dict.dictionary_page_header.has_is_sorted = false;
    roundtrip_page(&dict, &d, &b);
    CHECK(!d.dictionary_page_header.has_is_sorted);

    pq_page_header v2 = {
        .type = PQ_DATA_PAGE_V2, .uncompressed_page_size = 10, .compressed_page_size = 9,
        .has_data_page_header_v2 = true,
        .data_page_header_v2 = {.num_values = 7, .num_nulls = 2, .num_rows = 3, .encoding = PQ_DELTA_BINARY_PACKED,
                                .definition_levels_byte_length = 4, .repetition_levels_byte_length = 5,
                                .is_compressed = false, .has_statistics = true, .statistics = full_stats()},
    };
    roundtrip_page(&v2, &d, &b);
    const pq_data_page_header_v2 *h2 = &d.data_page_header_v2;
    CHECK(d.has_data_page_header_v2 && h2->num_values == 7 && h2->num_nulls == 2 && h2->num_rows == 3);
    CHECK(h2->encoding == PQ_DELTA_BINARY_PACKED && h2->definition_levels_byte_length == 4);
    CHECK(h2->repetition_levels_byte_length == 5 && !h2->is_compressed && h2->has_statistics);
    check_full_stats(&h2->statistics);
    v2.data_page_header_v2.has_statistics = false;
    v2.data_page_header_v2.is_compressed = true;
    roundtrip_page(&v2, &d, &b);
    CHECK(d.data_page_header_v2.is_compressed && !d.data_page_header_v2.has_statistics);

    /* a bare header: no sub-header at all */
    pq_page_header bare = {.type = PQ_INDEX_PAGE};
    roundtrip_page(&bare, &d, &b);
    CHECK(d.type == PQ_INDEX_PAGE && !d.has_data_page_header && !d.has_dictionary_page_header);
    CHECK(!d.has_data_page_header_v2 && !d.has_crc);
    vf_buf_free(&b);
}

/* ==================================================================== */
/* Real files                                                            */
/* ==================================================================== */
typedef struct real {
    blob file;
    const uint8_t *footer;
    size_t footer_len;
    vf_arena arena;
    pq_file_meta m;
} real;

static bool open_real(real *r, const char *name, size_t footer_len) {
    memset(r, 0, sizeof *r);
    r->file = load(name);
    if (!r->file.p) return false;
    r->footer = footer_of(&r->file, &r->footer_len);
    CHECK_INT(r->footer_len, footer_len);
    vf_error err;
    vf_error_clear(&err);
    vf_status st = pq_decode_file_meta(r->footer, r->footer_len, &r->arena, &r->m, &err);
    CHECK_INT(st, VF_OK);
    if (st != VF_OK) fprintf(stderr, "  %s: %s\n", name, err.msg);
    return st == VF_OK;
}

static void close_real(real *r) {
    vf_arena_free(&r->arena);
    free(r->file.p);
}

static const pq_column_meta *col(const real *r, int g, int c) { return &r->m.row_groups[g].columns[c].meta; }

/* The leaves' names and physical types, in schema order. */
static void check_leaves(const real *r, const char *const *names, const int *types, int n) {
    int k = 0;
    for (int i = 0; i < r->m.n_schema; i++) {
        const pq_schema_elem *e = &r->m.schema[i];
        if (!e->has_type) continue;
        if (k < n) {
            CHECK_STR(e->name, names[k]);
            CHECK_INT(e->type, types[k]);
        }
        k++;
    }
    CHECK_INT(k, n);
}

/* Walk a chunk's pages from its first: every header decodes and re-encodes
 * to its own bytes, the pages tile total_compressed_size exactly, and the
 * data pages hold num_values values.  The data pages' offsets and sizes
 * (header included) go to locs (if not NULL, up to cap). */
static int walk_pages(const real *r, const pq_column_meta *cm, pq_page_location *locs, int cap) {
    int64_t pos = cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 ? cm->dictionary_page_offset
                                                                                   : cm->data_page_offset;
    int64_t end = pos + cm->total_compressed_size, values = 0, rows = 0;
    int pages = 0, data_pages = 0;
    while (pos < end && pos < (int64_t)r->file.n) {
        pq_page_header h;
        size_t used = 0;
        vf_error err;
        vf_buf b = {0};
        if (pq_decode_page_header(r->file.p + pos, r->file.n - (size_t)pos, &h, &used, &err) != VF_OK) {
            fprintf(stderr, "  page at %lld: %s\n", (long long)pos, err.msg);
            g_fail++;
            return -1;
        }
        pq_encode_page_header(&b, &h);
        CHECK(same_bytes(r->file.p + pos, used, &b) || h.has_data_page_header_v2); /* v2: see test_real_v2 */
        vf_buf_free(&b);
        if (h.type == PQ_DATA_PAGE || h.type == PQ_DATA_PAGE_V2) {
            int32_t nv = h.type == PQ_DATA_PAGE ? h.data_page_header.num_values : h.data_page_header_v2.num_values;
            CHECK(h.type == PQ_DATA_PAGE ? h.has_data_page_header : h.has_data_page_header_v2);
            if (locs && data_pages < cap)
                locs[data_pages] = (pq_page_location){pos, (int32_t)(used + (size_t)h.compressed_page_size), rows};
            values += nv;
            rows += nv; /* flat columns: one value per row */
            data_pages++;
        } else {
            CHECK(h.type == PQ_DICTIONARY_PAGE && h.has_dictionary_page_header);
        }
        pos += (int64_t)used + h.compressed_page_size;
        pages++;
    }
    CHECK_INT(pos, end);
    CHECK_INT(values, cm->num_values);
    return data_pages;
}

static void test_real_alltypes_plain(void) {
    real r;
    if (!open_real(&r, "alltypes_plain.parquet", 730)) return close_real(&r);
    static const char *const names[] = {"id", "bool_col", "tinyint_col", "smallint_col", "int_col", "bigint_col",
                                        "float_col", "double_col", "date_string_col", "string_col", "timestamp_col"};
    static const int types[] = {PQ_INT32, PQ_BOOLEAN, PQ_INT32, PQ_INT32, PQ_INT32, PQ_INT64,
                                PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY, PQ_BYTE_ARRAY, PQ_INT96};
    const pq_file_meta *m = &r.m;
    CHECK_INT(m->version, 1);
    CHECK_INT(m->num_rows, 8);
    CHECK_STR(m->created_by, "impala version 1.3.0-INTERNAL (build 8a48ddb1eff84592b3fc06bc6f51ec120e1fffc9)");
    CHECK(m->kv == NULL && m->column_orders == NULL && !m->has_encryption_algorithm);
    CHECK_INT(m->n_schema, 12);
    CHECK_STR(m->schema[0].name, "schema");
    CHECK(m->schema[0].has_num_children && m->schema[0].num_children == 11);
    check_leaves(&r, names, types, 11);
    CHECK(m->schema[1].has_repetition && m->schema[1].repetition == PQ_OPTIONAL);
    CHECK_INT(m->n_row_groups, 1);
    CHECK_INT(m->row_groups[0].num_rows, 8);
    CHECK_INT(m->row_groups[0].total_byte_size, 671);
    CHECK_INT(m->row_groups[0].n_columns, 11);
    /* pyarrow: file_offset, data_page_offset, dictionary_page_offset, total sizes */
    static const int64_t file_offset[] = {77, 133, 215, 303, 392, 484, 571, 665, 793, 889, 1068};
    static const int64_t dpo[] = {49, 109, 189, 277, 366, 458, 545, 639, 766, 863, 1040};
    static const int64_t dict[] = {4, -1, 168, 256, 345, 429, 524, 610, 705, 840, 929};
    static const int64_t tcs[] = {73, 24, 47, 47, 47, 55, 47, 55, 88, 49, 139};
    for (int c = 0; c < 11 && c < m->row_groups[0].n_columns; c++) {
        const pq_column_chunk *cc = &m->row_groups[0].columns[c];
        const pq_column_meta *cm = &cc->meta;
        CHECK(cc->has_meta_data && !cc->file_path);
        CHECK_INT(cc->file_offset, file_offset[c]);
        CHECK_INT(cm->type, types[c]);
        CHECK_INT(cm->codec, VF_BC_UNCOMPRESSED);
        CHECK_INT(cm->num_values, 8);
        CHECK(cm->n_path == 1 && strcmp(cm->path_in_schema[0], names[c]) == 0);
        CHECK(cm->n_encodings == 3 && cm->encodings[0] == PQ_RLE && cm->encodings[1] == PQ_PLAIN_DICTIONARY &&
              cm->encodings[2] == PQ_PLAIN);
        CHECK_INT(cm->data_page_offset, dpo[c]);
        CHECK_INT(cm->has_dictionary_page_offset ? cm->dictionary_page_offset : -1, dict[c]);
        CHECK_INT(cm->total_compressed_size, tcs[c]);
        CHECK_INT(cm->total_uncompressed_size, tcs[c]);
        CHECK(!cm->has_statistics && !cm->has_bloom_filter_offset && !cc->has_column_index && !cc->has_offset_index);
        CHECK_INT(walk_pages(&r, cm, NULL, 0), 1);
    }
    /* the first page of "id" is its dictionary page */
    pq_page_header h;
    size_t used;
    vf_error err;
    CHECK_INT(pq_decode_page_header(r.file.p + 4, r.file.n - 4, &h, &used, &err), VF_OK);
    CHECK(h.type == PQ_DICTIONARY_PAGE && h.has_dictionary_page_header && h.dictionary_page_header.num_values == 8);
    CHECK(h.uncompressed_page_size == 32 && h.compressed_page_size == 32 && used == 13);
    CHECK_INT(h.dictionary_page_header.encoding, PQ_PLAIN_DICTIONARY);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);
}

static void test_real_alltypes_dictionary(void) {
    real r;
    if (!open_real(&r, "alltypes_dictionary.parquet", 723)) return close_real(&r);
    CHECK_INT(r.m.num_rows, 2);
    CHECK_INT(r.m.row_groups[0].total_byte_size, 532);
    const pq_column_meta *cm = col(&r, 0, 0);
    CHECK_INT(r.m.row_groups[0].columns[0].file_offset, 51);
    CHECK(cm->data_page_offset == 25 && cm->dictionary_page_offset == 4 && cm->total_compressed_size == 47);
    CHECK_INT(col(&r, 0, 1)->data_page_offset, 80);
    CHECK(!col(&r, 0, 1)->has_dictionary_page_offset);
    for (int c = 0; c < r.m.row_groups[0].n_columns; c++) CHECK_INT(walk_pages(&r, col(&r, 0, c), NULL, 0), 1);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);
}

static void test_real_v2(void) {
    real r;
    if (!open_real(&r, "datapage_v2.snappy.parquet", 836)) return close_real(&r);
    static const char *const names[] = {"a", "b", "c", "d", "element"};
    static const int types[] = {PQ_BYTE_ARRAY, PQ_INT32, PQ_DOUBLE, PQ_BOOLEAN, PQ_INT32};
    const pq_file_meta *m = &r.m;
    CHECK_INT(m->num_rows, 5);
    CHECK_STR(m->created_by, "parquet-mr version 1.8.1 (build 4aba4dae7bb0d4edbcf7923ae1339f28fd3f7fcf)");
    CHECK_INT(m->n_schema, 8);
    check_leaves(&r, names, types, 5);
    CHECK(m->schema[1].has_converted_type && m->schema[1].converted_type == PQ_CT_UTF8);
    CHECK(m->schema[5].has_converted_type && m->schema[5].converted_type == PQ_CT_LIST && !m->schema[5].has_type);
    CHECK(m->schema[6].repetition == PQ_REPEATED);
    CHECK_INT(m->n_kv, 1);
    CHECK(bytes_eq(m->kv[0].key, "org.apache.spark.sql.parquet.row.metadata", 41));
    CHECK(m->kv[0].value.n > 0 && m->kv[0].value.p[0] == '{');
    CHECK_INT(m->row_groups[0].total_byte_size, 311);
    static const int64_t dpo[] = {4, 67, 116, 204, 243}, tcs[] = {63, 49, 88, 39, 78}, tus[] = {59, 47, 94, 37, 74};
    static const int64_t nv[] = {5, 5, 5, 5, 10}, nulls[] = {1, 0, 0, 0, 2};
    for (int c = 0; c < 5; c++) {
        const pq_column_meta *cm = col(&r, 0, c);
        CHECK_INT(cm->codec, VF_BC_SNAPPY);
        CHECK(cm->data_page_offset == dpo[c] && cm->total_compressed_size == tcs[c]);
        CHECK(cm->total_uncompressed_size == tus[c] && cm->num_values == nv[c]);
        /* parquet-mr 1.8 wrote only the deprecated min/max (pyarrow ignores them for that writer) */
        CHECK(cm->has_statistics && cm->statistics.has_null_count && cm->statistics.null_count == nulls[c]);
        CHECK(cm->statistics.min.p && !cm->statistics.min_value.p);
        walk_pages(&r, cm, NULL, 0);
    }
    CHECK(col(&r, 0, 1)->n_encodings == 1 && col(&r, 0, 1)->encodings[0] == PQ_DELTA_BINARY_PACKED);
    CHECK(bytes_eq(col(&r, 0, 1)->statistics.min, "\x01\0\0\0", 4));
    CHECK(bytes_eq(col(&r, 0, 1)->statistics.max, "\x05\0\0\0", 4));
    CHECK(bytes_eq(col(&r, 0, 2)->statistics.max, "\0\0\0\0\0\0\x14\x40", 8)); /* 5.0 */
    CHECK_INT(col(&r, 0, 4)->n_path, 3);
    CHECK_STR(col(&r, 0, 4)->path_in_schema[1], "list");

    /* column b starts with a v2 data page: 5 values, no nulls, DELTA_BINARY_PACKED */
    pq_page_header h;
    size_t used;
    vf_error err;
    CHECK_INT(pq_decode_page_header(r.file.p + 67, r.file.n - 67, &h, &used, &err), VF_OK);
    CHECK(h.type == PQ_DATA_PAGE_V2 && h.has_data_page_header_v2 && !h.has_data_page_header);
    const pq_data_page_header_v2 *v2 = &h.data_page_header_v2;
    CHECK(v2->num_values == 5 && v2->num_nulls == 0 && v2->num_rows == 5);
    CHECK(v2->encoding == PQ_DELTA_BINARY_PACKED && v2->repetition_levels_byte_length == 0);
    CHECK(v2->is_compressed); /* absent: true */
    CHECK(v2->has_statistics && bytes_eq(v2->statistics.max, "\x05\0\0\0", 4));
    CHECK(h.uncompressed_page_size == 10 && h.compressed_page_size == 12 && used == 37);
    /* re-encoded it is the same except that is_compressed (absent, true) stays absent */
    vf_buf b = {0};
    pq_encode_page_header(&b, &h);
    CHECK(same_bytes(r.file.p + 67, used, &b));
    vf_buf_free(&b);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);
}

static void test_real_nested_lists(void) {
    real r;
    if (!open_real(&r, "nested_lists.snappy.parquet", 709)) return close_real(&r);
    CHECK_INT(r.m.num_rows, 3);
    CHECK_INT(r.m.n_schema, 9);
    CHECK_STR(r.m.schema[7].name, "element");
    CHECK(r.m.schema[7].has_type && r.m.schema[7].type == PQ_BYTE_ARRAY);
    CHECK_STR(r.m.schema[8].name, "b");
    const pq_column_meta *a = col(&r, 0, 0);
    static const char *const path[] = {"a", "list", "element", "list", "element", "list", "element"};
    CHECK_INT(a->n_path, 7);
    for (int i = 0; i < 7 && i < a->n_path; i++) CHECK_STR(a->path_in_schema[i], path[i]);
    CHECK(a->num_values == 18 && a->total_compressed_size == 104 && a->total_uncompressed_size == 103);
    CHECK(a->n_encoding_stats == 2 && a->encoding_stats[0].page_type == PQ_DICTIONARY_PAGE &&
          a->encoding_stats[0].encoding == PQ_PLAIN_DICTIONARY && a->encoding_stats[0].count == 1);
    CHECK_INT(r.m.row_groups[0].total_byte_size, 155);
    CHECK_INT(col(&r, 0, 1)->num_values, 3);
    CHECK_INT(col(&r, 0, 1)->data_page_offset, 108);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);
}

static void test_real_decimal(void) {
    real r;
    if (!open_real(&r, "byte_array_decimal.parquet", 119)) return close_real(&r);
    const pq_schema_elem *e = &r.m.schema[1];
    CHECK_STR(e->name, "value");
    CHECK(e->type == PQ_BYTE_ARRAY && e->converted_type == PQ_CT_DECIMAL);
    CHECK(e->has_scale && e->scale == 2 && e->has_precision && e->precision == 4);
    CHECK(e->has_field_id && e->field_id == 6 && e->logical.kind == PQ_LT_NONE);
    CHECK_STR(r.m.created_by, "HVR 5.3.0/9 (linux_glibc2.5-x64-64bit)");
    const pq_column_meta *cm = col(&r, 0, 0);
    CHECK(cm->n_encodings == 0 && cm->encodings != NULL); /* an empty list, not an absent one */
    CHECK(cm->num_values == 24 && cm->total_compressed_size == 168);
    CHECK_INT(walk_pages(&r, cm, NULL, 0), 1);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);

    if (!open_real(&r, "fixed_length_decimal.parquet", 346)) return close_real(&r);
    e = &r.m.schema[1];
    CHECK(e->type == PQ_FIXED_LEN_BYTE_ARRAY && e->has_type_length && e->type_length == 11);
    CHECK(e->converted_type == PQ_CT_DECIMAL && e->precision == 25 && e->scale == 2);
    /* 2.00 and 24.00, big-endian two's complement */
    CHECK(bytes_eq(col(&r, 0, 0)->statistics.min, "\0\0\0\0\0\0\0\0\0\0\xc8", 11));
    CHECK(bytes_eq(col(&r, 0, 0)->statistics.max, "\0\0\0\0\0\0\0\0\0\x09\x60", 11));
    close_real(&r);
}

static void test_real_page_index(void) {
    real r;
    if (!open_real(&r, "alltypes_tiny_pages.parquet", 1721)) return close_real(&r);
    const pq_file_meta *m = &r.m;
    CHECK_INT(m->num_rows, 7300);
    CHECK_STR(m->created_by, "parquet-mr version 1.12.0-SNAPSHOT (build 6901a2040848c6b37fa61f4b0a76246445f396db)");
    CHECK(m->n_kv == 1 && bytes_eq(m->kv[0].key, "writer.model.name", 17) &&
          bytes_eq(m->kv[0].value, "2.1.1-cdh6.x-SNAPSHOT", 21));
    CHECK_INT(m->n_column_orders, 13);
    for (int i = 0; i < m->n_column_orders; i++) CHECK_INT(m->column_orders[i], 1);
    CHECK_STR(m->schema[3].name, "tinyint_col");
    CHECK(m->schema[3].logical.kind == PQ_LT_INTEGER && m->schema[3].logical.bit_width == 8 &&
          m->schema[3].logical.is_signed && m->schema[3].converted_type == PQ_CT_INT_8);
    CHECK(m->schema[9].logical.kind == PQ_LT_STRING);
    CHECK_INT(m->row_groups[0].total_byte_size, 323579);
    /* DuckDB: index locations; pages per chunk from the encoding stats */
    static const int64_t ci_off[] = {323583, 327502, 328009}, oi_off[] = {394311, 397814, 398637};
    static const int32_t ci_len[] = {3919, 507, 3919}, oi_len[] = {3503, 823, 3251};
    static const int pages[] = {325, 82, 325};
    static const int64_t min[] = {0, 0, 0}, max[] = {7299, 1, 9}, tcs[] = {37325, 3022, 12394};
    for (int c = 0; c < 3; c++) {
        const pq_column_chunk *cc = &m->row_groups[0].columns[c];
        const pq_column_meta *cm = &cc->meta;
        CHECK(cc->has_column_index && cc->column_index_offset == ci_off[c] && cc->column_index_length == ci_len[c]);
        CHECK(cc->has_offset_index && cc->offset_index_offset == oi_off[c] && cc->offset_index_length == oi_len[c]);
        CHECK_INT(cm->total_compressed_size, tcs[c]);
        CHECK(cm->n_encoding_stats >= 1 && cm->encoding_stats[cm->n_encoding_stats - 1].count == pages[c]);
        CHECK(cm->has_statistics && cm->statistics.has_null_count && cm->statistics.null_count == 0);

        pq_page_location *walked = calloc((size_t)pages[c], sizeof *walked);
        CHECK_INT(walk_pages(&r, cm, walked, pages[c]), pages[c]);
        vf_error err;
        pq_offset_index oi;
        CHECK_INT(pq_decode_offset_index(r.file.p + oi_off[c], (size_t)oi_len[c], &r.arena, &oi, &err), VF_OK);
        CHECK_INT(oi.n_pages, pages[c]);
        int bad = 0;
        for (int i = 0; i < oi.n_pages && i < pages[c]; i++)
            bad += oi.page_locations[i].offset != walked[i].offset ||
                   oi.page_locations[i].compressed_page_size != walked[i].compressed_page_size ||
                   oi.page_locations[i].first_row_index != walked[i].first_row_index;
        CHECK_INT(bad, 0);
        free(walked);

        pq_column_index ci;
        CHECK_INT(pq_decode_column_index(r.file.p + ci_off[c], (size_t)ci_len[c], &r.arena, &ci, &err), VF_OK);
        CHECK_INT(ci.n_pages, pages[c]);
        CHECK(ci.has_null_counts);
        /* the pages' bounds span the chunk's statistics (pyarrow: min, max) */
        int64_t lo = INT64_MAX, hi = INT64_MIN, nulls = 0;
        for (int i = 0; i < ci.n_pages; i++) {
            CHECK(!ci.null_pages[i]);
            int32_t a = 0, b = 0;
            size_t w = c == 1 ? 1 : 4;
            CHECK(ci.min_values[i].n == w && ci.max_values[i].n == w);
            memcpy(&a, ci.min_values[i].p, w);
            memcpy(&b, ci.max_values[i].p, w);
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
            nulls += ci.null_counts[i];
        }
        CHECK_INT(lo, min[c]);
        CHECK_INT(hi, max[c]);
        CHECK_INT(nulls, 0);
        /* re-encoded: the file's own bytes */
        vf_buf b = {0};
        pq_encode_column_index(&b, &ci);
        CHECK(same_bytes(r.file.p + ci_off[c], (size_t)ci_len[c], &b));
        b.len = 0;
        pq_encode_offset_index(&b, &oi);
        CHECK(same_bytes(r.file.p + oi_off[c], (size_t)oi_len[c], &b));
        vf_buf_free(&b);
    }
    /* the id column's first page holds ids 122..142 (pyarrow: the first rows) */
    pq_column_index ci;
    vf_error err;
    CHECK_INT(pq_decode_column_index(r.file.p + ci_off[0], (size_t)ci_len[0], &r.arena, &ci, &err), VF_OK);
    CHECK(bytes_eq(ci.min_values[0], "\x7a\0\0\0", 4) && bytes_eq(ci.max_values[0], "\x8e\0\0\0", 4));
    CHECK_INT(ci.boundary_order, PQ_UNORDERED);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);

    /* pages that hold only nulls */
    if (!open_real(&r, "int32_with_null_pages.parquet", 265)) return close_real(&r);
    const pq_column_chunk *cc = &r.m.row_groups[0].columns[0];
    CHECK(cc->column_index_offset == 3332 && cc->column_index_length == 124);
    CHECK_INT(cc->meta.statistics.null_count, 275);
    CHECK_INT(pq_decode_column_index(r.file.p + 3332, 124, &r.arena, &ci, &err), VF_OK);
    int null_pages = 0;
    for (int i = 0; i < ci.n_pages; i++) {
        null_pages += ci.null_pages[i];
        if (ci.null_pages[i]) CHECK(ci.min_values[i].p && ci.min_values[i].n == 0);
    }
    CHECK_INT(ci.n_pages, 10);
    CHECK(null_pages > 0);
    close_real(&r);
}

static void test_real_bloom(void) {
    real r;
    if (!open_real(&r, "data_index_bloom_encoding_stats.parquet", 403)) return close_real(&r);
    const pq_file_meta *m = &r.m;
    CHECK_INT(m->num_rows, 14);
    CHECK_STR(m->schema[1].name, "String");
    CHECK(m->schema[1].logical.kind == PQ_LT_STRING && m->schema[1].converted_type == PQ_CT_UTF8);
    CHECK_INT(m->n_kv, 2);
    CHECK(bytes_eq(m->kv[1].key, "writer.model.name", 17) && bytes_eq(m->kv[1].value, "avro", 4));
    const pq_column_chunk *cc = &m->row_groups[0].columns[0];
    const pq_column_meta *cm = &cc->meta;
    CHECK_INT(cm->codec, VF_BC_GZIP);
    CHECK(cm->n_encodings == 3 && cm->encodings[0] == PQ_BIT_PACKED && cm->encodings[2] == PQ_PLAIN);
    CHECK(cm->total_compressed_size == 152 && cm->total_uncompressed_size == 163 && cm->num_values == 14);
    CHECK(bytes_eq(cm->statistics.min_value, "Hello", 5) && bytes_eq(cm->statistics.max_value, "today", 5));
    CHECK(!cm->statistics.min.p && cm->statistics.null_count == 0);
    CHECK(cm->n_encoding_stats == 1 && cm->encoding_stats[0].page_type == PQ_DATA_PAGE &&
          cm->encoding_stats[0].encoding == PQ_PLAIN && cm->encoding_stats[0].count == 1);
    CHECK(cm->has_bloom_filter_offset && cm->bloom_filter_offset == 192 && !cm->has_bloom_filter_length);
    CHECK(cc->column_index_offset == 156 && cc->column_index_length == 25);
    CHECK(cc->offset_index_offset == 181 && cc->offset_index_length == 11);
    CHECK_INT(walk_pages(&r, cm, NULL, 0), 1);

    pq_bloom_header bh;
    size_t used;
    vf_error err;
    CHECK_INT(pq_decode_bloom_header(r.file.p + 192, r.file.n - 192, &bh, &used, &err), VF_OK);
    CHECK_INT(bh.num_bytes, 1024);
    CHECK_INT(used, 16);
    CHECK_INT(192 + used + (size_t)bh.num_bytes, r.file.n - 8 - r.footer_len); /* the footer follows the bitset */
    vf_buf b = {0};
    pq_encode_bloom_header(&b, &bh);
    CHECK(same_bytes(r.file.p + 192, used, &b));
    vf_buf_free(&b);
    pq_column_index ci;
    CHECK_INT(pq_decode_column_index(r.file.p + 156, 25, &r.arena, &ci, &err), VF_OK);
    CHECK(ci.n_pages == 1 && bytes_eq(ci.min_values[0], "Hello", 5) && bytes_eq(ci.max_values[0], "today", 5));
    CHECK_INT(ci.boundary_order, PQ_ASCENDING);
    pq_offset_index oi;
    CHECK_INT(pq_decode_offset_index(r.file.p + 181, 11, &r.arena, &oi, &err), VF_OK);
    CHECK(oi.n_pages == 1 && oi.page_locations[0].offset == 4 && oi.page_locations[0].compressed_page_size == 152);
    footer_fixpoint(r.footer, r.footer_len);
    close_real(&r);
}

static void test_real_misc(void) {
    real r;
    /* sorting columns (pyarrow: (0, descending, nulls first), (1, ascending, nulls last)) */
    if (open_real(&r, "sort_columns.parquet", 699)) {
        CHECK_INT(r.m.n_row_groups, 2);
        for (int g = 0; g < r.m.n_row_groups; g++) {
            const pq_row_group *rg = &r.m.row_groups[g];
            CHECK_INT(rg->n_sorting_columns, 2);
            CHECK(rg->sorting_columns[0].column_idx == 0 && rg->sorting_columns[0].descending &&
                  rg->sorting_columns[0].nulls_first);
            CHECK(rg->sorting_columns[1].column_idx == 1 && !rg->sorting_columns[1].descending &&
                  !rg->sorting_columns[1].nulls_first);
            CHECK(rg->num_rows == 3 && rg->total_byte_size == 166);
        }
        CHECK_INT(r.m.row_groups[1].columns[0].file_offset, 432);
        CHECK_INT(col(&r, 1, 1)->dictionary_page_offset, 525);
        CHECK(col(&r, 0, 0)->statistics.null_count == 1);
        footer_fixpoint(r.footer, r.footer_len);
    }
    close_real(&r);

    /* column chunk key/value metadata; no data page at all (data_page_offset 0) */
    if (open_real(&r, "column_chunk_key_value_metadata.parquet", 237)) {
        const pq_column_meta *cm = col(&r, 0, 0);
        CHECK_INT(cm->n_kv, 2);
        CHECK(bytes_eq(cm->kv[0].key, "foo", 3) && bytes_eq(cm->kv[0].value, "bar", 3));
        CHECK(bytes_eq(cm->kv[1].key, "thisiskeywithoutvalue", 21) && cm->kv[1].value.p == NULL);
        CHECK(col(&r, 0, 1)->kv == NULL);
        CHECK(cm->num_values == 0 && cm->data_page_offset == 0 && cm->dictionary_page_offset == 4);
        CHECK_INT(r.m.row_groups[0].ordinal, 0);
        CHECK_INT(walk_pages(&r, cm, NULL, 0), 0);
        footer_fixpoint(r.footer, r.footer_len);
    }
    close_real(&r);

    /* a LogicalType member this code does not know */
    if (open_real(&r, "unknown-logical-type.parquet", 852)) {
        CHECK_STR(r.m.schema[2].name, "column with unknown type");
        CHECK_INT(r.m.schema[2].logical.kind, PQ_LT_OTHER);
        CHECK_INT(r.m.schema[1].logical.kind, PQ_LT_STRING);
        CHECK(!r.m.schema[2].has_converted_type);
        footer_fixpoint(r.footer, r.footer_len);
    }
    close_real(&r);

    /* an early parquet-mr wrote a list as ColumnMetaData field 15: skipped */
    if (open_real(&r, "dict-page-offset-zero.parquet", 550)) {
        const pq_column_meta *cm = col(&r, 0, 0);
        CHECK(!cm->has_bloom_filter_length && cm->has_dictionary_page_offset && cm->dictionary_page_offset == 0);
        CHECK_INT(cm->data_page_offset, 4);
        CHECK_INT(walk_pages(&r, cm, NULL, 0), 1);
    }
    close_real(&r);

    /* a plaintext footer of an encrypted file: followed by its 28-byte signature */
    if (open_real(&r, "encrypt_columns_plaintext_footer.parquet.encrypted", 1241)) {
        CHECK(r.m.has_encryption_algorithm);
        CHECK_INT(r.m.num_rows, 50);
        CHECK(r.m.schema[2].logical.kind == PQ_LT_TIME && r.m.schema[2].logical.utc &&
              r.m.schema[2].logical.unit == PQ_MILLIS);
        const pq_row_group *rg = &r.m.row_groups[0];
        CHECK_INT(rg->n_columns, 8);
        CHECK(!rg->columns[0].has_crypto_metadata && rg->columns[4].has_crypto_metadata);
        CHECK(rg->columns[4].has_encrypted_column_metadata && rg->columns[4].has_meta_data);
        CHECK(!rg->columns[3].has_column_index && rg->columns[3].has_offset_index);
        footer_fixpoint(r.footer, r.footer_len);
    }
    close_real(&r);
}

/* Every footer, page header, index and bloom header in parquet-testing's
 * good files decodes, and re-encodes to its own bytes or to the fixpoint. */
static void test_real_all_files(void) {
    static const char *const files[] = {
        "binary.parquet", "byte_stream_split.zstd.parquet", "byte_stream_split_extended.gzip.parquet",
        "concatenated_gzip_members.parquet", "data_index_bloom_encoding_with_length.parquet",
        "datapage_v1-snappy-compressed-checksum.parquet", "datapage_v2_empty_datapage.snappy.parquet",
        "delta_binary_packed.parquet", "delta_byte_array.parquet", "delta_encoding_optional_column.parquet",
        "delta_length_byte_array.parquet", "float16_nonzeros_and_nans.parquet", "floating_orders_nan_count.parquet",
        "hadoop_lz4_compressed.parquet", "int32_decimal.parquet", "int64_decimal.parquet",
        "int96_from_spark.parquet", "large_string_map.brotli.parquet", "list_columns.parquet",
        "lz4_raw_compressed.parquet", "map_no_value.parquet", "nan_in_stats.parquet",
        "nested_maps.snappy.parquet", "nested_structs.rust.parquet", "nonnullable.impala.parquet",
        "null_list.parquet", "nullable.impala.parquet", "nulls.snappy.parquet", "old_list_structure.parquet",
        "overflow_i16_page_cnt.parquet", "page_v2_empty_compressed.parquet", "repeated_no_annotation.parquet",
        "repeated_primitive_no_list.parquet", "rle_boolean_encoding.parquet", "single_nan.parquet",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        real r;
        memset(&r, 0, sizeof r);
        r.file = load(files[i]);
        r.footer = footer_of(&r.file, &r.footer_len);
        vf_error err;
        vf_error_clear(&err);
        vf_status st = pq_decode_file_meta(r.footer, r.footer_len, &r.arena, &r.m, &err);
        CHECK_INT(st, VF_OK);
        if (st != VF_OK) {
            fprintf(stderr, "  %s: %s\n", files[i], err.msg);
            close_real(&r);
            continue;
        }
        footer_fixpoint(r.footer, r.footer_len);
        for (int g = 0; g < r.m.n_row_groups; g++) {
            for (int c = 0; c < r.m.row_groups[g].n_columns; c++) {
                const pq_column_chunk *cc = &r.m.row_groups[g].columns[c];
                CHECK(cc->has_meta_data);
                walk_pages(&r, &cc->meta, NULL, 0);
                pq_column_index ci;
                pq_offset_index oi;
                if (cc->has_column_index)
                    CHECK_INT(pq_decode_column_index(r.file.p + cc->column_index_offset,
                                                     (size_t)cc->column_index_length, &r.arena, &ci, &err), VF_OK);
                if (cc->has_offset_index)
                    CHECK_INT(pq_decode_offset_index(r.file.p + cc->offset_index_offset,
                                                     (size_t)cc->offset_index_length, &r.arena, &oi, &err), VF_OK);
                if (cc->meta.has_bloom_filter_offset) {
                    pq_bloom_header bh;
                    size_t used;
                    int64_t at = cc->meta.bloom_filter_offset;
                    CHECK_INT(pq_decode_bloom_header(r.file.p + at, r.file.n - (size_t)at, &bh, &used, &err), VF_OK);
                    if (cc->meta.has_bloom_filter_length)
                        CHECK_INT(used + (size_t)bh.num_bytes, cc->meta.bloom_filter_length);
                }
            }
        }
        close_real(&r);
    }
}

/* ==================================================================== */
/* Malformed input                                                       */
/* ==================================================================== */
/* Every proper prefix of a valid structure fails cleanly: VF_EFORMAT, a
 * message, an offset inside the prefix.  Each prefix is an exact-size heap
 * copy, so that ASan catches a read past it. */
static void truncations(const uint8_t *p, size_t n, int which) {
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *q = copy_exact(p, k);
        vf_arena a = {0};
        vf_error err;
        vf_error_clear(&err);
        vf_status st;
        size_t used;
        if (which == 0) {
            pq_file_meta m;
            st = pq_decode_file_meta(q, k, &a, &m, &err);
        } else {
            pq_page_header h;
            st = pq_decode_page_header(q, k, &h, &used, &err);
        }
        bad += st != VF_EFORMAT || err.code != VF_EFORMAT || !err.msg[0] || err.offset < 0 || (size_t)err.offset > k ||
               !strstr(err.msg, " at byte ");
        vf_arena_free(&a);
        free(q);
    }
    CHECK_INT(bad, 0);
}

/* Random byte flips: never a crash; whatever decodes re-encodes to a fixpoint. */
static void flips(const uint8_t *p, size_t n, int rounds) {
    int decoded = 0;
    for (int i = 0; i < rounds; i++) {
        uint8_t *q = copy_exact(p, n);
        int k = 1 + (int)(rnd() % 3);
        for (int j = 0; j < k; j++) q[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
        vf_arena a = {0};
        pq_file_meta m;
        vf_error err;
        vf_error_clear(&err);
        vf_status st = pq_decode_file_meta(q, n, &a, &m, &err);
        if (st == VF_OK) {
            decoded++;
            footer_fixpoint(q, n);
        } else {
            CHECK(st == VF_EFORMAT && err.msg[0]);
        }
        vf_arena_free(&a);
        free(q);
    }
    CHECK(decoded > 0); /* flips in string bytes and values still decode */
}

static void test_truncations_and_flips(void) {
    static const char *const files[] = {"alltypes_plain.parquet", "data_index_bloom_encoding_stats.parquet",
                                        "datapage_v2.snappy.parquet", "alltypes_tiny_pages.parquet"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        blob f = load(files[i]);
        size_t n;
        const uint8_t *footer = footer_of(&f, &n);
        if (!footer) {
            free(f.p);
            continue;
        }
        truncations(footer, n, 0);
        flips(footer, n, 1500);
        /* the first page header */
        pq_page_header h;
        size_t used = 0;
        vf_error err;
        CHECK_INT(pq_decode_page_header(f.p + 4, f.n - 4, &h, &used, &err), VF_OK);
        truncations(f.p + 4, used, 1);
        free(f.p);
    }
}

/* The minimal footer: version 1, schema [{name "r"}], num_rows 0, row_groups [] (last field id 4). */
#define MIN_HEAD "1502" "191c" "480172" "00" "1600" "190c"

static void expect_fail(const char *hex, const char *msg, int64_t offset) {
    uint8_t *in = malloc(strlen(hex) / 2 + 1);
    size_t n = unhex(hex, in);
    uint8_t *q = copy_exact(in, n);
    vf_arena a = {0};
    pq_file_meta m;
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(pq_decode_file_meta(q, n, &a, &m, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, msg);
    if (offset >= 0) CHECK_INT(err.offset, offset);
    CHECK(m.schema == NULL && m.n_schema == 0); /* zeroed on failure */
    vf_arena_free(&a);
    free(q);
    free(in);
}

static void expect_ok(const char *hex) {
    uint8_t *in = malloc(strlen(hex) / 2 + 1);
    size_t n = unhex(hex, in);
    vf_arena a = {0};
    pq_file_meta m;
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(pq_decode_file_meta(in, n, &a, &m, &err), VF_OK);
    if (err.msg[0]) fprintf(stderr, "  %s\n", err.msg);
    CHECK(m.version == 1 && m.n_schema == 1 && m.schema && strcmp(m.schema[0].name, "r") == 0);
    vf_arena_free(&a);
    free(in);
}

static void test_malformed_footers(void) {
    expect_ok(MIN_HEAD "00");
    /* unknown fields of every type, at ids 100 and up (long-form headers) */
    expect_ok(MIN_HEAD "01c801" "02ca01" "03cc01ff" "04ce0102" "05d00102" "06d20102" "07d4010000000000000000"
                       "08d60103616263" "09d801" "2c" "0161" "00" "00" "0ada011501" "0bdc01" "01" "58" "02" "0178"
                       "0cde01" "1c" "11" "00" "00" "0de001" "00112233445566778899aabbccddeeff" "00");
    /* fields in any order (long-form headers to go back) */
    expect_ok("490c" "060600" "050202" "191c" "480172" "00" "00");
    /* a bool element encoded as 0 (the spec) or 2 (Thrift's libraries) */
    expect_ok(MIN_HEAD "0cc801" "1931" "000201" "00" "00");

    /* required fields */
    expect_fail("1502" "191c" "480172" "00" "290c" "00",
                "FileMetaData.num_rows: required field missing from the struct at byte 0", 0);
    expect_fail("1502" "191c" "1500" "00" "1600" "190c" "00", "SchemaElement.name: required field missing", 4);
    expect_fail("1602" "191c" "480172" "00" "1600" "190c" "00",
                "FileMetaData.version: required field has wire type i64, expected i32, in the struct at byte 0", 0);
    expect_fail("1502" "191c" "480172" "00" "1600" "191c" "1900" "1600" "01c801" "00" "00",
                "RowGroup.num_rows: required field missing", 12);
    expect_fail("1502" "191c" "480172" "00" "1600" "191c" "191c" "00" "1600" "1600" "00" "00",
                "ColumnChunk.file_offset: required field missing", 14);
    /* a RowGroup takes at least 7 bytes: its required fields' headers and values */
    expect_fail("1502" "191c" "480172" "00" "1600" "191c" "1900" "1600" "00" "00",
                "FileMetaData.row_groups: list of 1 elements cannot fit in the 6 bytes left at byte 11", 11);
    /* a schema element's logical type: members' required fields, impossible widths, unknown units */
    expect_fail("1502" "191c" "480172" "6c" "5c" "1504" "00" "00" "00" "1600" "190c" "00",
                "DecimalType.precision: required field missing", 9);
    expect_fail("1502" "191c" "480172" "6c" "2c00" "1c00" "00" "00" "1600" "190c" "00",
                "LogicalType.LIST: more than one member in a union at byte 10", 10);

    /* sizes and counts */
    expect_fail("1502" "191c" "480172" "00" "1601" "190c" "00",
                "FileMetaData.num_rows: negative value -1 at byte 9", 9);
    expect_fail("1502" "19fc" "ffffffff07" "00", "FileMetaData.schema: list of 2147483647 elements cannot fit", 3);
    expect_fail("1502" "19fc" "8080808010" "00", "list size 4294967296 out of range", 3);
    expect_fail("1502" "191c" "4805" "72" "00", "SchemaElement.name: binary of 5 bytes but only", 5);
    expect_fail("1502" "191c" "4802" "7200" "00" "1600" "190c" "00",
                "SchemaElement.name: string contains a NUL byte", 5);
    expect_fail("1502" "0502" "04" "00", "FileMetaData.version: duplicate field at byte 2", 2);
    expect_fail("15" "8080808010" "00", "FileMetaData.version: value does not fit an i32 at byte 1", 1);
    expect_fail("1502" "191c" "480172" "1c" "01", "SchemaElement.num_children: truncated varint at byte 9", 9);
    expect_fail(MIN_HEAD "0ec801" "00", "FileMetaData: invalid field type 14", 12);
    /* a required list whose elements are of another type is skipped, then missing */
    expect_fail("1502" "1915" "02" "1600" "190c" "00",
                "FileMetaData.schema: required field has wire type list, expected a list of struct", 0);
}

static void test_deep_nesting(void) {
    /* an unknown field: structs nested 100 deep, then lists of lists */
    for (int kind = 0; kind < 2; kind++) {
        sbuf s = {0};
        sb_puts(&s, MIN_HEAD);
        sb_puts(&s, kind == 0 ? "0cc801" : "09c801");
        for (int i = 0; i < 100; i++) sb_puts(&s, kind == 0 ? "1c" : "19");
        for (int i = 0; i < 101; i++) sb_puts(&s, "00");
        expect_fail(s.p, "nested deeper than 64 levels", -1);
        free(s.p);
    }
    /* 63 levels are fine */
    sbuf s = {0};
    sb_puts(&s, MIN_HEAD "0cc801");
    for (int i = 0; i < 60; i++) sb_puts(&s, "1c");
    for (int i = 0; i < 61; i++) sb_puts(&s, "00");
    sb_puts(&s, "00");
    expect_ok(s.p);
    free(s.p);
    /* maps nest too */
    s = (sbuf){0};
    sb_puts(&s, MIN_HEAD "0bc801");
    for (int i = 0; i < 80; i++) sb_puts(&s, "01bb" "00");
    expect_fail(s.p, "nested deeper than 64 levels", -1);
    free(s.p);
}

static void test_malformed_other(void) {
    uint8_t in[128];
    vf_error err;
    vf_arena a = {0};
    size_t n, used;
    pq_page_header h;
    /* page headers */
    n = unhex("1500" "1501" "1500" "00", in);
    CHECK_INT(pq_decode_page_header(in, n, &h, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "PageHeader.uncompressed_page_size: negative value -1 at byte 3");
    n = unhex("1500" "1500" "1500" "2c" "1501" "1500" "1500" "1500" "00" "00", in);
    CHECK_INT(pq_decode_page_header(in, n, &h, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "DataPageHeader.num_values: negative value -1 at byte 8");
    n = unhex("1500" "1500" "00", in);
    CHECK_INT(pq_decode_page_header(in, n, &h, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "PageHeader.compressed_page_size: required field missing from the struct at byte 0");
    CHECK_INT(err.offset, 0);
    n = unhex("1506" "1500" "1500" "5c" "1500" "1500" "1500" "1500" "1500" "00" "00", in);
    CHECK_INT(pq_decode_page_header(in, n, &h, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "DataPageHeaderV2.repetition_levels_byte_length: required field missing");
    CHECK(h.type == 0 && !h.has_data_page_header_v2); /* zeroed */
    CHECK_INT(pq_decode_page_header(NULL, 0, &h, &used, &err), VF_EFORMAT);

    /* column index lists of different lengths; a bool element that is not 0, 1 or 2 */
    pq_column_index ci;
    n = unhex("19" "21" "0102" "19" "18" "00" "19" "28" "00" "00" "1502" "00", in);
    CHECK_INT(pq_decode_column_index(in, n, &a, &ci, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "ColumnIndex.min_values: 1 entries but null_pages has 2 at byte 0");
    n = unhex("19" "21" "0102" "19" "28" "00" "00" "19" "28" "00" "00" "1502" "19" "16" "00" "00", in);
    CHECK_INT(pq_decode_column_index(in, n, &a, &ci, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "ColumnIndex.null_counts: 1 entries but null_pages has 2");
    n = unhex("19" "21" "0103" "00", in);
    CHECK_INT(pq_decode_column_index(in, n, &a, &ci, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "ColumnIndex.null_pages: bool element 3 is not 0, 1 or 2 at byte 3");
    CHECK(ci.n_pages == 0 && ci.null_pages == NULL);

    /* offset index: a huge list of page locations (3 bytes each at least) */
    pq_offset_index oi;
    n = unhex("19" "fc" "0a" "1600" "1500" "1600" "00", in);
    CHECK_INT(pq_decode_offset_index(in, n, &a, &oi, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "OffsetIndex.page_locations: list of 10 elements cannot fit in the 7 bytes left");
    n = unhex("19" "1c" "1608" "1501" "1600" "00" "00", in);
    CHECK_INT(pq_decode_offset_index(in, n, &a, &oi, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "PageLocation.compressed_page_size: negative value -1");

    /* bloom filter headers: only BLOCK, XXHASH, UNCOMPRESSED */
    pq_bloom_header bh;
    n = unhex("1540" "1c2c0000" "1c1c0000" "1c1c0000" "00", in);
    CHECK_INT(pq_decode_bloom_header(in, n, &bh, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "BloomFilterHeader.algorithm: not BLOCK, the only one Parquet defines at byte 0");
    n = unhex("1540" "1c1c0000" "1c00" "1c1c0000" "00", in);
    CHECK_INT(pq_decode_bloom_header(in, n, &bh, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "BloomFilterHeader.hash: not XXHASH");
    n = unhex("1540" "1c1c0000" "1c1c0000" "1c1c00" "1c0000" "00", in);
    CHECK_INT(pq_decode_bloom_header(in, n, &bh, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "BloomFilterCompression: more than one member in a union");
    n = unhex("1540" "1c1c0000" "1c1c0000" "00", in);
    CHECK_INT(pq_decode_bloom_header(in, n, &bh, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "BloomFilterHeader.compression: required field missing");
    n = unhex("1501" "1c1c0000" "1c1c0000" "1c1c0000" "00", in);
    CHECK_INT(pq_decode_bloom_header(in, n, &bh, &used, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "BloomFilterHeader.numBytes: negative value -1");
    vf_arena_free(&a);
}

/* Annotations that cannot be used become PQ_LT_OTHER, not errors. */
static void test_logical_other(void) {
    const char *const cases[] = {
        "1502" "191c" "480172" "6c" "0c28" "00" "00" "00" "1600" "190c" "00", /* member 20 */
        "1502" "191c" "480172" "6c" "00" "00" "1600" "190c" "00",            /* no member */
        "1502" "191c" "480172" "6c" "7c" "11" "1c4c0000" "00" "00" "00" "1600" "190c" "00", /* TIME, unit 4 */
        "1502" "191c" "480172" "6c" "ac" "1307" "11" "00" "00" "00" "1600" "190c" "00",   /* INTEGER(7) */
        "1502" "191c" "480172" "6c" "15" "02" "00" "00" "1600" "190c" "00",  /* member 1 as an i32 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[64];
        size_t n = unhex(cases[i], in);
        vf_arena a = {0};
        pq_file_meta m;
        vf_error err;
        vf_error_clear(&err);
        CHECK_INT(pq_decode_file_meta(in, n, &a, &m, &err), VF_OK);
        if (err.msg[0]) fprintf(stderr, "  case %zu: %s\n", i, err.msg);
        if (m.schema) {
            const pq_logical *l = &m.schema[0].logical;
            CHECK_INT(l->kind, PQ_LT_OTHER);
            CHECK(!l->utc && !l->unit && !l->bit_width && !l->is_signed);
        }
        footer_fixpoint(in, n);
        vf_arena_free(&a);
    }
    /* ColumnOrder: TYPE_ORDER is 1, anything else 0 */
    uint8_t in[64];
    size_t n = unhex(MIN_HEAD "39" "3c" "1c00" "00" "2c00" "00" "00" "00", in);
    vf_arena a = {0};
    pq_file_meta m;
    vf_error err;
    CHECK_INT(pq_decode_file_meta(in, n, &a, &m, &err), VF_OK);
    CHECK(m.n_column_orders == 3 && m.column_orders[0] == 1 && m.column_orders[1] == 0 && m.column_orders[2] == 0);
    footer_fixpoint(in, n);
    vf_arena_free(&a);
}

static void test_names(void) {
    CHECK_STR(pq_type_name(PQ_INT96), "INT96");
    CHECK_STR(pq_type_name(PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
    CHECK_STR(pq_type_name(8), "UNKNOWN");
    CHECK_STR(pq_type_name(-1), "UNKNOWN");
    CHECK_STR(pq_encoding_name(PQ_RLE_DICTIONARY), "RLE_DICTIONARY");
    CHECK_STR(pq_encoding_name(PQ_BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
    CHECK_STR(pq_encoding_name(1), "UNKNOWN");
    CHECK_STR(pq_page_type_name(PQ_DATA_PAGE_V2), "DATA_PAGE_V2");
    CHECK_STR(pq_page_type_name(PQ_INDEX_PAGE), "INDEX_PAGE");
    CHECK_STR(pq_page_type_name(4), "UNKNOWN");
}

int main(void) {
    test_varints();
    test_headers();
    test_exact_footer();
    test_exact_page_header();
    test_exact_indexes();
    test_roundtrip_file_meta();
    test_roundtrip_pages();
    test_real_alltypes_plain();
    test_real_alltypes_dictionary();
    test_real_v2();
    test_real_nested_lists();
    test_real_decimal();
    test_real_page_index();
    test_real_bloom();
    test_real_misc();
    test_real_all_files();
    test_truncations_and_flips();
    test_malformed_footers();
    test_deep_nesting();
    test_malformed_other();
    test_logical_other();
    test_names();
    return check_summary();
}
