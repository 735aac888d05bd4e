/*
 * test_json.c - unit tests of the JSON scanner, the base64 decoder and the
 * payload shapes (csrc/json/): exact unescaping, every grammar error,
 * truncation at every byte, depth limits; every CloudWatch Logs and
 * Firehose shape read through vf_read, malformed ones included, in one
 * batch and in small ones, from memory and from compressed streams.
 */
#include "json/payload.h"
#include "check.h"

#include <zlib.h>

/* ================================================================== */
/* Helpers                                                             */
/* ================================================================== */
static char *gzip_bytes(const char *in, size_t n, size_t *outlen) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) exit(2);
    *outlen = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static void sb_gzip(sbuf *b, const char *s, size_t n) {
    size_t gl;
    char *g = gzip_bytes(s, n, &gl);
    sb_add(b, g, gl);
    free(g);
}

static void sb_base64(sbuf *b, const uint8_t *p, size_t n, int pad) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {A[v >> 18], A[v >> 12 & 63], A[v >> 6 & 63], A[v & 63]};
        size_t k = n - i >= 3 ? 4 : n - i + 1;
        sb_add(b, q, k);
        for (; pad && k < 4; k++) sb_puts(b, "=");
    }
}

/* base64 of gzip of s */
static void sb_b64gz(sbuf *b, const char *s) {
    size_t gl;
    char *g = gzip_bytes(s, strlen(s), &gl);
    sb_base64(b, (const uint8_t *)g, gl, 1);
    free(g);
}

static const char L1[] = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 "
                         "1418530070 ACCEPT OK";
static const char L2[] = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 "
                         "1418530070 REJECT OK";

/* A CloudWatch Logs DATA_MESSAGE with the given events' messages. */
static void sb_cwl(sbuf *b, const char *stream, int64_t ts0, const char *const *msgs, int n) {
    sb_printf(b, "{\"messageType\": \"DATA_MESSAGE\", \"owner\": \"123456789010\", \"logGroup\": \"/aws/vpc/flowlogs\", "
                 "\"logStream\": \"%s\", \"subscriptionFilters\": [\"f\"], \"logEvents\": [", stream);
    for (int i = 0; i < n; i++)
        sb_printf(b, "%s{\"id\": \"3434740106315202121344714839121521323213325645453421%d\", \"timestamp\": %lld, "
                     "\"message\": \"%s\"}", i ? ", " : "", i, (long long)(ts0 + i), msgs[i]);
    sb_puts(b, "]}");
}

static const char CONTROL[] = "{\"messageType\": \"CONTROL_MESSAGE\", \"owner\": \"CloudwatchLogs\", \"logGroup\": \"\", "
                              "\"logStream\": \"\", \"subscriptionFilters\": [], \"logEvents\": [{\"id\": \"\", "
                              "\"timestamp\": 1510109208016, \"message\": \"CWL CONTROL MESSAGE: Checking health of "
                              "destination Firehose.\"}]}";

static vf_status read_opts(const char *data, size_t n, int on_error, size_t chunk, int threads, vf_table **t,
                           vf_error *err) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    o.on_error = on_error;
    o.chunk_size = chunk;
    o.threads = threads;
    vf_source s = {"obj.json", data, n};
    *t = NULL;
    return vf_read(&s, 1, &o, t, err);
}

static vf_table *read_ok(const char *data, size_t n, int on_error) {
    vf_table *t;
    vf_error err;
    vf_status st = read_opts(data, n, on_error, 0, 1, &t, &err);
    if (st != VF_OK) fprintf(stderr, "  read failed: %s\n", err.msg);
    CHECK_INT(st, VF_OK);
    return t;
}

static const vf_column *col(const vf_table *t, const char *name) {
    for (int i = 0; t && i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return &t->cols[i];
    return NULL;
}

#define NUL_INT INT64_MIN

static int64_t ival(const vf_table *t, const char *name, int64_t r) {
    const vf_column *c = col(t, name);
    if (!c || r >= t->nrows) return INT64_MIN + 1;
    if (c->valid && !c->valid[r]) return NUL_INT;
    return c->type == VF_T_INT64 ? ((const int64_t *)c->values)[r] : ((const int32_t *)c->values)[r];
}

static const char *sval(const vf_table *t, const char *name, int64_t r) {
    static char buf[8][512];
    static int k;
    const vf_column *c = col(t, name);
    if (!c || r >= t->nrows || c->type != VF_T_STRING) return "<no column>";
    int32_t code = ((const int32_t *)c->values)[r];
    if (code < 0) return NULL;
    const int64_t *o = vf_dict_offsets(c->dict);
    size_t n = (size_t)(o[code + 1] - o[code]);
    char *out = buf[k++ & 7];
    if (n >= sizeof buf[0]) n = sizeof buf[0] - 1;
    memcpy(out, vf_dict_data(c->dict) + o[code], n);
    out[n] = 0;
    return out;
}

/* same columns, values and dictionaries, report counts and bad records */
static int same_tables(const vf_table *a, const vf_table *b) {
    if (!a || !b || a->nrows != b->nrows || a->ncols != b->ncols) return 0;
    const vf_report *p = &a->report, *q = &b->report;
    if (p->lines != q->lines || p->bad_lines != q->bad_lines || p->blank_lines != q->blank_lines ||
        p->payloads != q->payloads || p->control_messages != q->control_messages || p->messages != q->messages ||
        p->nbad_kept != q->nbad_kept)
        return 0;
    for (int64_t i = 0; i < p->nbad_kept; i++)
        if (p->bad[i].line != q->bad[i].line || p->bad[i].offset != q->bad[i].offset ||
            strcmp(p->bad[i].message, q->bad[i].message) != 0)
            return 0;
    for (int i = 0; i < a->ncols; i++) {
        const vf_column *x = &a->cols[i], *y = &b->cols[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->null_count != y->null_count) return 0;
        size_t w = x->type == VF_T_INT64 ? 8 : 4;
        for (int64_t r = 0; r < a->nrows; r++) {
            int vx = !x->valid || x->valid[r], vy = !y->valid || y->valid[r];
            if (vx != vy || (vx && memcmp((const char *)x->values + r * w, (const char *)y->values + r * w, w)))
                return 0;
        }
        if (x->dict) {
            int32_t n = vf_dict_size(x->dict);
            if (n != vf_dict_size(y->dict)) return 0;
            if (x->type == VF_T_ADDR) {
                if (memcmp(vf_dict_addrs(x->dict), vf_dict_addrs(y->dict), 16 * (size_t)n)) return 0;
            } else {
                const int64_t *ox = vf_dict_offsets(x->dict), *oy = vf_dict_offsets(y->dict);
                if (memcmp(ox, oy, sizeof *ox * (size_t)(n + 1)) ||
                    memcmp(vf_dict_data(x->dict), vf_dict_data(y->dict), (size_t)ox[n]))
                    return 0;
            }
        }
    }
    return 1;
}

/* ================================================================== */
/* The scanner                                                         */
/* ================================================================== */
static bool skip_all(const char *s, vf_jscan *j) {
    vf_jscan_init(j, s, strlen(s));
    bool ok = vf_jskip(j);
    if (ok && vf_jws(j)) return vf_jfail(j, j->p, "trailing bytes");
    return ok;
}

static void test_scan_valid(void) {
    static const char *const good[] = {
        "{}", "[]", "0", "-0", "1", "-12", "1.5", "-0.0e+10", "1E5", "2e-3", "true", "false", "null", "\"\"",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\uD83D\\uDE00\"", " { \"a\" : [ 1 , 2 , { } , [ ] ] } ",
        "{\"a\":{\"b\":{\"c\":[true,false,null]}},\"d\":\"\\u0000\"}", "[[[[[[[[[[]]]]]]]]]]", "\"\xc3\xa9 raw utf-8\"",
        "\t\r\n [1]\n",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        vf_jscan j;
        bool ok = skip_all(good[i], &j);
        if (!ok) fprintf(stderr, "  rejected %s: %s\n", good[i], j.err);
        CHECK(ok);
        CHECK(j.depth == 0);
    }
}

static void test_scan_errors(void) {
    static const struct {
        const char *in, *err;
        bool truncated;
    } bad[] = {
        {"", "ends where a value", true},
        {"{", "ends inside an object", true},
        {"{\"a\"", "':'", true},
        {"{\"a\":", "ends where a value", true},
        {"{\"a\":1", "ends inside an object", true},
        {"[1,", "ends where a value", true},
        {"\"abc", "unterminated string", true},
        {"\"ab\\", "inside an escape", true},
        {"\"\\u12", "inside a \\u escape", true},
        {"\"\\ud83d", "surrogate pair", true},
        {"\"\\ud83d\\", "surrogate pair", true},
        {"tru", "inside a literal", true},
        {"-", "inside a number", true},
        {"1.", "inside a number", true},
        {"1e", "inside a number", true},
        {"1e+", "inside a number", true},
        {"{]", "expected a string key", false},
        {"[1}", "expected ',' or ']'", false},
        {"{\"a\":1]", "expected ',' or '}'", false},
        {"{\"a\" 1}", "expected ':'", false},
        {"{\"a\":1,}", "expected a string key", false},
        {"[1,]", "where a JSON value was expected", false},
        {"{1:2}", "expected a string key", false},
        {"[01]", "expected ',' or ']'", false},
        {"[-]", "invalid number", false},
        {"[1.e5]", "a digit must follow '.'", false},
        {"[1e+x]", "a digit must follow the exponent", false},
        {"[+1]", "where a JSON value was expected", false},
        {"[.5]", "where a JSON value was expected", false},
        {"[truth]", "invalid literal", false},
        {"[nul]", "invalid literal", false},
        {"[True]", "where a JSON value was expected", false},
        {"\"\\x\"", "invalid escape", false},
        {"\"\\U0041\"", "invalid escape", false},
        {"\"\\u12G4\"", "four hex digits", false},
        {"\"\\ud800\"", "lone high surrogate", false},
        {"\"\\ud800x\"", "lone high surrogate", false},
        {"\"\\ud800\\n\"", "lone high surrogate", false},
        {"\"\\ud800\\u0041\"", "lone high surrogate", false},
        {"\"\\udc00\"", "lone low surrogate", false},
        {"\"\\ud800\\uzzzz\"", "four hex digits", false},
        {"\"a\nb\"", "raw control character", false},
        {"\"a\tb\"", "raw control character", false},
        {"\"\x01\"", "raw control character", false},
        {"[1]]", "trailing bytes", false},
        {"'a'", "where a JSON value was expected", false},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vf_jscan j;
        CHECK(!skip_all(bad[i].in, &j));
        if (!j.err || !strstr(j.err, bad[i].err))
            fprintf(stderr, "  %s: got '%s', want '%s'\n", bad[i].in, j.err ? j.err : "(none)", bad[i].err);
        CHECK(j.err && strstr(j.err, bad[i].err));
        CHECK_INT(j.truncated, bad[i].truncated);
        CHECK(j.err_at >= j.base && j.err_at <= j.end);
        /* the first error sticks */
        const char *e = j.err;
        CHECK(!vf_jskip(&j) && j.err == e);
    }
}

/* Every proper prefix of a valid text is "truncated", never a definite
 * error: a stream that stopped mid-value asks for more bytes. */
static void test_scan_prefixes(void) {
    static const char doc[] = "{\"messageType\": \"DATA_MESSAGE\", \"n\": -12.5e+3, \"t\": [true, false, null], "
                              "\"s\": \"a\\\"\\\\\\u00e9\\ud83d\\ude00\\n\", \"e\": {}, \"x\": []}";
    size_t n = strlen(doc);
    for (size_t k = 0; k < n; k++) {
        vf_jscan j;
        vf_jscan_init(&j, doc, k);
        bool ok = vf_jskip(&j);
        CHECK(!ok);
        if (ok || !j.truncated) fprintf(stderr, "  prefix %zu: %s\n", k, j.err ? j.err : "accepted");
        CHECK(j.truncated);
    }
    vf_jscan j;
    vf_jscan_init(&j, doc, n);
    CHECK(vf_jskip(&j) && j.p == doc + n);
    /* a number at the end may go on: it is accepted, and says so */
    vf_jscan_init(&j, "123", 3);
    CHECK(vf_jskip(&j) && j.touched_end);
    vf_jscan_init(&j, "123 ", 4);
    CHECK(vf_jskip(&j) && !j.touched_end);
}

static void test_scan_depth(void) {
    sbuf b = {0};
    for (int d = 1; d <= 70; d++) {
        b.len = 0;
        for (int i = 0; i < d; i++) sb_puts(&b, i % 2 ? "{\"k\":" : "[");
        sb_puts(&b, "0");
        for (int i = d - 1; i >= 0; i--) sb_puts(&b, i % 2 ? "}" : "]");
        vf_jscan j;
        bool ok = skip_all(b.p, &j);
        CHECK_INT(ok, d <= VF_JSON_MAX_DEPTH);
        if (!ok) CHECK(j.err && strstr(j.err, "64 levels"));
    }
    /* a million opening brackets: an error at the limit, no stack use */
    b.len = 0;
    for (int i = 0; i < 1000000; i++) sb_puts(&b, "[");
    vf_jscan j;
    vf_jscan_init(&j, b.p, b.len);
    CHECK(!vf_jskip(&j) && strstr(j.err, "64 levels") && !j.truncated);
    /* the caller's containers count too */
    vf_jscan_init(&j, b.p, b.len);
    for (int i = 0; i < 60; i++) CHECK(vf_jarray(&j));
    CHECK_INT(j.depth, 60);
    CHECK(!vf_jskip(&j) && j.err_at == b.p + 64);
    free(b.p);
}

static void test_scan_pull(void) {
    const char *s = " {\"a\": 1, \"b\\u0063\": [\"x\", {\"y\": null}], \"msg\": \"h\\u00e9\", \"n\": -7} ";
    vf_jscan j;
    vf_jscan_init(&j, s, strlen(s));
    vf_buf kb = {0}, sb = {0};
    vf_jstr key, v;
    CHECK(vf_jpeek(&j) == VF_J_OBJECT);
    CHECK(vf_jobject(&j));
    CHECK_INT(vf_jmember(&j, 0, &key, &kb), 1);
    CHECK(key.n == 1 && key.s[0] == 'a');
    CHECK(vf_jpeek(&j) == VF_J_NUMBER && vf_jskip(&j));
    CHECK_INT(vf_jmember(&j, 1, &key, &kb), 1);
    CHECK(key.n == 2 && memcmp(key.s, "bc", 2) == 0); /* an escaped key, unescaped */
    CHECK(vf_jarray(&j));
    CHECK_INT(vf_jelement(&j, 0), 1);
    CHECK(vf_jstring(&j, &v, &sb) && v.n == 1 && v.s[0] == 'x');
    CHECK_INT(vf_jelement(&j, 1), 1);
    CHECK(vf_jpeek(&j) == VF_J_OBJECT && vf_jskip(&j));
    CHECK_INT(vf_jelement(&j, 2), 0);
    CHECK_INT(vf_jmember(&j, 2, &key, &kb), 1);
    CHECK(vf_jstring(&j, &v, &sb) && v.n == 3 && memcmp(v.s, "h\xc3\xa9", 3) == 0);
    CHECK_INT(vf_jmember(&j, 3, &key, &kb), 1);
    const char *t;
    size_t tn;
    bool is_int;
    CHECK(vf_jnumber(&j, &t, &tn, &is_int) && is_int && tn == 2 && memcmp(t, "-7", 2) == 0);
    CHECK_INT(vf_jmember(&j, 4, &key, &kb), 0);
    CHECK_INT(j.depth, 0);
    CHECK(!vf_jws(&j));
    /* wrong kinds are errors, not crashes */
    vf_jscan_init(&j, "[1]", 3);
    CHECK(!vf_jobject(&j) && strstr(j.err, "expected an object"));
    vf_jscan_init(&j, "5", 1);
    CHECK(!vf_jstring(&j, &v, &sb) && strstr(j.err, "expected a string"));
    vf_jscan_init(&j, "\"5\"", 3);
    CHECK(!vf_jnumber(&j, &t, &tn, &is_int) && strstr(j.err, "expected a number"));
    vf_jscan_init(&j, "1.5", 3);
    CHECK(vf_jnumber(&j, &t, &tn, &is_int) && !is_int);
    /* vf_jstring_to appends */
    vf_buf out = {0};
    vf_buf_append(&out, "<", 1);
    vf_jscan_init(&j, "\"a\\tb\" \"cd\"", 11);
    CHECK(vf_jstring_to(&j, &out) && vf_jstring_to(&j, &out));
    CHECK(out.len == 6 && memcmp(out.p, "<a\tbcd", 6) == 0);
    vf_buf_free(&out);
    vf_buf_free(&kb);
    vf_buf_free(&sb);
}

/* ================================================================== */
/* Unescaping                                                          */
/* ================================================================== */
static void test_unescape(void) {
    static const struct {
        const char *in, *out;
        size_t outlen;
    } good[] = {
        {"", "", 0},
        {"plain", "plain", 5},
        {"\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t", 8},
        {"\\u0041\\u00e9\\u20AC", "A\xc3\xa9\xe2\x82\xac", 6},
        {"\\u0000", "\0", 1},
        {"\\u007f\\u0080\\u07ff\\u0800\\uffff", "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11},
        {"\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4},
        {"\\uD800\\uDC00\\uDBFF\\uDFFF", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8},
        {"a\\u0062c", "abc", 3},
        {"\xe2\x82\xac raw", "\xe2\x82\xac raw", 7},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        vf_buf out = {0};
        size_t at = 99;
        const char *e = vf_json_unescape(good[i].in, strlen(good[i].in), &out, &at);
        CHECK(e == NULL);
        CHECK_INT(out.len, good[i].outlen);
        if (out.len == good[i].outlen) CHECK_MEM(out.p, good[i].out, out.len);
        vf_buf_free(&out);
    }
    static const struct {
        const char *in;
        size_t at;
        const char *err;
    } bad[] = {
        {"ab\"c", 2, "unescaped"},        {"\\q", 0, "invalid escape"},      {"x\\u004", 1, "inside a \\u escape"},
        {"\\ud800", 0, "surrogate pair"}, {"\\udfff", 0, "lone low"},         {"\\ud800\\ud800", 0, "lone high"},
        {"a\x1f", 1, "control"},          {"\\u00G0", 0, "four hex digits"}, {"\\", 0, "inside an escape"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vf_buf out = {0};
        size_t at = 99;
        const char *e = vf_json_unescape(bad[i].in, strlen(bad[i].in), &out, &at);
        CHECK(e && strstr(e, bad[i].err));
        if (e && !strstr(e, bad[i].err)) fprintf(stderr, "  %s: %s\n", bad[i].in, e);
        if (e && !strstr(e, "inside") && !strstr(e, "surrogate pair")) CHECK_INT(at, bad[i].at);
        vf_buf_free(&out);
    }
    /* every code point round-trips through \uXXXX (pairs above U+FFFF) */
    int fails = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp += cp < 0x3000 ? 1 : 97) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        char esc[16];
        if (cp < 0x10000) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
        } else {
            uint32_t v = cp - 0x10000;
            snprintf(esc, sizeof esc, "\\u%04X\\u%04X", (unsigned)(0xd800 + (v >> 10)), (unsigned)(0xdc00 + (v & 0x3ff)));
        }
        vf_buf out = {0};
        size_t at;
        if (vf_json_unescape(esc, strlen(esc), &out, &at) != NULL) fails++;
        /* decode the UTF-8 back */
        uint32_t back = 0;
        const uint8_t *u = out.p;
        if (out.len == 1) back = u[0];
        else if (out.len == 2) back = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
        else if (out.len == 3) back = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
        else if (out.len == 4)
            back = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 | (uint32_t)(u[2] & 0x3f) << 6 |
                   (u[3] & 0x3f);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (back != cp || out.len != want) fails++;
        vf_buf_free(&out);
    }
    CHECK_INT(fails, 0);
}

/* ================================================================== */
/* base64                                                              */
/* ================================================================== */
static void test_base64(void) {
    /* RFC 4648 test vectors */
    static const char *const vec[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                         {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) {
        vf_buf out = {0};
        size_t at;
        CHECK(vf_base64_decode(vec[i][1], strlen(vec[i][1]), &out, &at) == NULL);
        CHECK(out.len == strlen(vec[i][0]) && (out.len == 0 || memcmp(out.p, vec[i][0], out.len) == 0));
        vf_buf_free(&out);
    }
    /* round trips: random bytes, padded or not, whitespace anywhere */
    int fails = 0;
    for (int round = 0; round < 400; round++) {
        size_t n = rnd() % 300;
        uint8_t *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++) data[i] = (uint8_t)rnd();
        sbuf enc = {0}, spaced = {0};
        sb_base64(&enc, data, n, round % 2);
        for (size_t i = 0; i < enc.len; i++) {
            if (round % 3 == 0 && rnd() % 10 == 0) sb_add(&spaced, &" \t\r\n"[rnd() % 4], 1);
            if (round % 3 == 1 && i % 76 == 0 && i) sb_puts(&spaced, "\r\n");
            sb_add(&spaced, enc.p + i, 1);
        }
        if (round % 5 == 0) sb_puts(&spaced, "\n");
        vf_buf out = {0};
        size_t at;
        const char *e = vf_base64_decode(spaced.p ? spaced.p : "", spaced.len, &out, &at);
        if (e || out.len != n || (n && memcmp(out.p, data, n))) fails++;
        vf_buf_free(&out);
        free(enc.p);
        free(spaced.p);
        free(data);
    }
    CHECK_INT(fails, 0);
    static const struct {
        const char *in;
        size_t n, at; /* n: 0 for strlen */
        const char *err;
    } bad[] = {
        {"Zm9v!", 0, 4, "invalid base64 character"},
        {"Zm9v-_", 0, 4, "invalid base64 character"}, /* the URL-safe alphabet is not the standard one */
        {"Z", 0, 1, "final group of one"},
        {"Zm9vY", 0, 5, "final group of one"},
        {"Zg=", 0, 3, "incomplete base64 padding"},
        {"Zg===", 0, 4, "misplaced base64 padding"},
        {"Zm8==", 0, 4, "misplaced base64 padding"},
        {"=Zm8", 0, 0, "misplaced base64 padding"},
        {"Zm9v=", 0, 4, "misplaced base64 padding"},
        {"Zg==Zg==", 0, 4, "after padding"},
        {"Zh==", 0, 4, "non-canonical"},
        {"Zm9=", 0, 4, "non-canonical"},
        {"Zm\x80v", 0, 2, "invalid base64 character"},
        {"Zm9v\0", 5, 4, "invalid base64 character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vf_buf out = {0};
        size_t at = 99, n = bad[i].n ? bad[i].n : strlen(bad[i].in);
        const char *e = vf_base64_decode(bad[i].in, n, &out, &at);
        if (!e || !strstr(e, bad[i].err)) fprintf(stderr, "  %s: %s\n", bad[i].in, e ? e : "accepted");
        CHECK(e && strstr(e, bad[i].err));
        CHECK_INT(at, bad[i].at);
        vf_buf_free(&out);
    }
    /* whitespace and padding together */
    vf_buf out = {0};
    size_t at;
    CHECK(vf_base64_decode(" Zm 9v\nYg\t= =\r\n", 15, &out, &at) == NULL && out.len == 4 && !memcmp(out.p, "foob", 4));
    vf_buf_free(&out);
}

/* ================================================================== */
/* Sniffing                                                            */
/* ================================================================== */
static void test_sniff(void) {
    CHECK(vf_sniff_content("{\"a\":1}", 7) == VF_CONTENT_JSON);
    CHECK(vf_sniff_content(" \r\n\t[1]", 7) == VF_CONTENT_JSON);
    CHECK(vf_sniff_content("\xef\xbb\xbf{}", 5) == VF_CONTENT_JSON);
    CHECK(vf_sniff_content("H4sIAAAA\n", 9) == VF_CONTENT_BASE64);
    CHECK(vf_sniff_content("\n\nH4sIAAAA", 10) == VF_CONTENT_BASE64);
    CHECK(vf_sniff_content("H4s", 3) == VF_CONTENT_TEXT);
    CHECK(vf_sniff_content("2 123 eni-1", 11) == VF_CONTENT_TEXT);
    CHECK(vf_sniff_content("version account-id", 18) == VF_CONTENT_TEXT);
    CHECK(vf_sniff_content("PAR1xxxx", 8) == VF_CONTENT_PARQUET);
    CHECK(vf_sniff_content("  \n ", 4) == VF_CONTENT_BLANK);
    CHECK(vf_sniff_content("", 0) == VF_CONTENT_BLANK);
}

/* ================================================================== */
/* Payload shapes                                                      */
/* ================================================================== */
static const char *const MSGS[] = {L1, L2};

static void check_sample_rows(const vf_table *t, int64_t r0, int64_t nrows) {
    for (int64_t r = r0; r < r0 + nrows; r++) {
        int k = (int)((r - r0) % 2);
        CHECK_STR(sval(t, "log_group", r), "/aws/vpc/flowlogs");
        CHECK_STR(sval(t, "log_stream", r), "eni-1235b8ca123456789");
        CHECK_INT(ival(t, "event_timestamp", r), 1418530010000 + k);
        CHECK_INT(ival(t, "dstport", r), k ? 3389 : 22);
        CHECK_STR(sval(t, "action", r), k ? "REJECT" : "ACCEPT");
    }
}

static void test_cloudwatch(void) {
    sbuf one = {0};
    sb_cwl(&one, "eni-1235b8ca123456789", 1418530010000, MSGS, 2);
    /* plain JSON and gzip'd */
    vf_table *t = read_ok(one.p, one.len, VF_ON_ERROR_RAISE);
    CHECK_INT(t->nrows, 2);
    CHECK_INT(t->ncols, 17);
    CHECK_STR(t->cols[14].name, "log_group");
    CHECK_STR(t->cols[15].name, "log_stream");
    CHECK_STR(t->cols[16].name, "event_timestamp");
    CHECK_INT(t->report.payloads, 1);
    CHECK_INT(t->report.messages, 2);
    CHECK_INT(t->report.control_messages, 0);
    CHECK_INT(t->report.lines, 2);
    CHECK_INT(t->report.bytes_text, (int64_t)one.len);
    check_sample_rows(t, 0, 2);
    sbuf gz = {0};
    sb_gzip(&gz, one.p, one.len);
    vf_table *g = read_ok(gz.p, gz.len, VF_ON_ERROR_RAISE);
    CHECK(same_tables(t, g) || (fprintf(stderr, "  gzip'd payload differs\n"), 0));
    vf_table_free(g);

    /* Firehose to S3: gzip members back to back, with and without newlines
     * between the documents; and concatenated JSON */
    sbuf multi = {0}, nl = {0}, cat = {0};
    for (int i = 0; i < 5; i++) {
        sb_gzip(&multi, one.p, one.len);
        sb_add(&nl, one.p, one.len);
        sb_puts(&nl, "\n");
        sb_add(&cat, one.p, one.len);
    }
    vf_table *a = read_ok(multi.p, multi.len, VF_ON_ERROR_RAISE), *b = read_ok(nl.p, nl.len, VF_ON_ERROR_RAISE),
             *c = read_ok(cat.p, cat.len, VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 10);
    CHECK_INT(a->report.payloads, 5);
    check_sample_rows(a, 0, 10);
    CHECK(same_tables(b, c));
    CHECK(a->nrows == b->nrows && a->report.payloads == b->report.payloads);
    vf_table_free(a);
    vf_table_free(b);
    vf_table_free(c);

    /* keys in any order; a null stream; no timestamp */
    const char *odd = "{\"logEvents\": [{\"message\": \"2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 40 5 6 ACCEPT OK\"}, "
                      "{\"timestamp\": null, \"message\": \"2 1 eni-b 10.0.0.1 10.0.0.2 1 2 6 1 40 5 6 ACCEPT OK\", "
                      "\"id\": {\"x\": [1]}}], \"logStream\": null, \"logGroup\": \"g\\/h\", "
                      "\"messageType\": \"DATA_MESSAGE\"}";
    a = read_ok(odd, strlen(odd), VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 2);
    CHECK_STR(sval(a, "log_group", 1), "g/h");
    CHECK_STR(sval(a, "log_stream", 0), NULL);
    CHECK_INT(ival(a, "event_timestamp", 0), NUL_INT);
    CHECK_INT(ival(a, "event_timestamp", 1), NUL_INT);
    CHECK_STR(sval(a, "interface_id", 1), "eni-b");
    vf_table_free(a);

    /* CONTROL_MESSAGE: counted, no records, even with its events first */
    a = read_ok(CONTROL, strlen(CONTROL), VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 0);
    CHECK_INT(a->report.payloads, 1);
    CHECK_INT(a->report.control_messages, 1);
    CHECK_INT(a->report.messages, 0);
    CHECK_INT(a->report.bad_lines, 0);
    CHECK_INT(a->ncols, 14);
    vf_table_free(a);
    const char *ctl2 = "{\"logEvents\": [{\"message\": 5}, \"junk\"], \"messageType\": \"CONTROL_MESSAGE\"}";
    a = read_ok(ctl2, strlen(ctl2), VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 0);
    CHECK_INT(a->report.control_messages, 1);
    vf_table_free(a);

    /* control and data payloads mixed, as a subscription delivers them */
    sbuf mix = {0};
    sb_puts(&mix, CONTROL);
    sb_add(&mix, one.p, one.len);
    sb_puts(&mix, "\n");
    sb_puts(&mix, CONTROL);
    sb_add(&mix, one.p, one.len);
    a = read_ok(mix.p, mix.len, VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 4);
    CHECK_INT(a->report.payloads, 4);
    CHECK_INT(a->report.control_messages, 2);
    CHECK_INT(a->report.messages, 4);
    check_sample_rows(a, 0, 4);
    vf_table_free(a);

    /* a top-level array of payloads */
    sbuf arr = {0};
    sb_puts(&arr, "[");
    sb_add(&arr, one.p, one.len);
    sb_puts(&arr, ",");
    sb_puts(&arr, CONTROL);
    sb_puts(&arr, ", ");
    sb_add(&arr, one.p, one.len);
    sb_puts(&arr, "]");
    a = read_ok(arr.p, arr.len, VF_ON_ERROR_RAISE);
    CHECK_INT(a->nrows, 4);
    CHECK_INT(a->report.payloads, 3);
    vf_table_free(a);

    vf_table_free(t);
    free(one.p);
    free(gz.p);
    free(multi.p);
    free(nl.p);
    free(cat.p);
    free(mix.p);
    free(arr.p);
}

static void test_wrappers(void) {
    sbuf one = {0};
    sb_cwl(&one, "eni-1235b8ca123456789", 1418530010000, MSGS, 2);
    sbuf b64 = {0};
    sb_b64gz(&b64, one.p);

    /* Lambda: {"awslogs": {"data": ...}} */
    sbuf ev = {0};
    sb_puts(&ev, "{\"awslogs\": {\"data\": \"");
    sb_add(&ev, b64.p, b64.len);
    sb_puts(&ev, "\"}}");
    vf_table *t = read_ok(ev.p, ev.len, VF_ON_ERROR_RAISE);
    CHECK_INT(t->nrows, 2);
    check_sample_rows(t, 0, 2);
    CHECK_INT(t->report.payloads, 1);
    vf_table_free(t);

    /* Kinesis: {"Records": [{"kinesis": {"data": ...}}, ...]}, and Firehose
     * transformation: {"records": [{"recordId": ..., "data": ...}, ...]};
     * JSON escapes in the base64 ("\/" for "/") are undone first */
    sbuf kin = {0}, fh = {0};
    sb_puts(&kin, "{\"Records\": [");
    sb_puts(&fh, "{\"invocationId\": \"x\", \"records\": [");
    for (int i = 0; i < 3; i++) {
        sb_puts(&kin, i ? ", " : "");
        sb_puts(&kin, "{\"eventSource\": \"aws:kinesis\", \"kinesis\": {\"partitionKey\": \"p\", \"data\": \"");
        sb_puts(&fh, i ? ", " : "");
        sb_printf(&fh, "{\"recordId\": \"%d\", \"approximateArrivalTimestamp\": 1, \"data\": \"", i);
        for (size_t k = 0; k < b64.len; k++) {
            sb_add(&kin, b64.p + k, 1);
            sb_puts(&fh, b64.p[k] == '/' ? "\\/" : (char[2]){b64.p[k], 0});
        }
        sb_puts(&kin, "\"}}");
        sb_puts(&fh, "\"}");
    }
    sb_puts(&kin, "]}");
    sb_puts(&fh, "]}");
    t = read_ok(kin.p, kin.len, VF_ON_ERROR_RAISE);
    CHECK_INT(t->nrows, 6);
    CHECK_INT(t->report.payloads, 3);
    check_sample_rows(t, 0, 6);
    vf_table *f = read_ok(fh.p, fh.len, VF_ON_ERROR_RAISE);
    CHECK(same_tables(t, f));
    vf_table_free(f);

    /* base64 records, one per line (CRLF, blank lines, no final newline),
     * also gzip'd as a whole */
    sbuf lines = {0};
    for (int i = 0; i < 3; i++) {
        sb_add(&lines, b64.p, b64.len);
        sb_puts(&lines, i == 0 ? "\r\n\n" : i == 1 ? "\n" : "");
    }
    f = read_ok(lines.p, lines.len, VF_ON_ERROR_RAISE);
    CHECK(same_tables(t, f));
    vf_table_free(f);
    sbuf lgz = {0};
    sb_gzip(&lgz, lines.p, lines.len);
    f = read_ok(lgz.p, lgz.len, VF_ON_ERROR_RAISE);
    CHECK(same_tables(t, f));
    vf_table_free(f);

    /* a record's data may be base64 of plain JSON too, and may hold
     * several payloads, or Firehose records */
    sbuf plain = {0}, e2 = {0};
    sb_add(&plain, one.p, one.len);
    sb_puts(&plain, CONTROL);
    sb_puts(&plain, "{\"message\": \"");
    sb_puts(&plain, L2);
    sb_puts(&plain, "\"}");
    sb_puts(&e2, "{\"awslogs\": {\"data\": \"");
    sb_base64(&e2, (const uint8_t *)plain.p, plain.len, 0);
    sb_puts(&e2, "\"}}");
    f = read_ok(e2.p, e2.len, VF_ON_ERROR_RAISE);
    CHECK_INT(f->nrows, 3);
    CHECK_INT(f->report.payloads, 2);
    CHECK_INT(f->report.control_messages, 1);
    CHECK_INT(f->report.messages, 3);
    CHECK_STR(sval(f, "log_stream", 2), NULL); /* the Firehose record has no stream */
    CHECK_INT(ival(f, "dstport", 2), 3389);
    vf_table_free(f);

    vf_table_free(t);
    free(one.p);
    free(b64.p);
    free(ev.p);
    free(kin.p);
    free(fh.p);
    free(lines.p);
    free(lgz.p);
    free(plain.p);
    free(e2.p);
}

static void test_firehose_direct(void) {
    sbuf a = {0}, b = {0}, c = {0}, d = {0};
    for (int i = 0; i < 4; i++) {
        sb_printf(&a, "{\"message\":\"%s\"}\n", MSGS[i % 2]);
        sb_printf(&b, "{\"message\": \"%s\"}", MSGS[i % 2]); /* concatenated */
        sb_printf(&c, "%s{\"message\":\"%s\"}", i ? "\n" : "", MSGS[i % 2]); /* no final newline */
    }
    sb_gzip(&d, a.p, a.len);
    vf_table *ta = read_ok(a.p, a.len, VF_ON_ERROR_RAISE), *tb = read_ok(b.p, b.len, VF_ON_ERROR_RAISE),
             *tc = read_ok(c.p, c.len, VF_ON_ERROR_RAISE), *td = read_ok(d.p, d.len, VF_ON_ERROR_RAISE);
    CHECK_INT(ta->nrows, 4);
    CHECK_INT(ta->ncols, 14); /* no CloudWatch columns */
    CHECK_INT(ta->report.messages, 4);
    CHECK_INT(ta->report.payloads, 0);
    CHECK_INT(ival(ta, "dstport", 3), 3389);
    CHECK(same_tables(ta, tb));
    CHECK(same_tables(ta, tc));
    CHECK(same_tables(ta, td));
    vf_table_free(ta);
    vf_table_free(tb);
    vf_table_free(tc);
    vf_table_free(td);
    /* escapes in messages are undone before parsing; a header in a message
     * switches the fields as in text */
    const char *esc = "{\"message\": \"2\\t123 eni-\\u0031 10.0.0.1 10.0.0.2 1 2 6 1 40 5 6 ACCEPT OK\\r\"}\n"
                      "{\"message\": \"version srcaddr\"}\n{\"message\": \"3 10.1.1.1\"}\n{\"message\": \"\"}";
    ta = read_ok(esc, strlen(esc), VF_ON_ERROR_RAISE);
    CHECK_INT(ta->nrows, 2);
    CHECK_STR(sval(ta, "interface_id", 0), "eni-1");
    CHECK_INT(ival(ta, "version", 1), 3);
    CHECK_INT(ta->report.header_lines, 1);
    CHECK_INT(ta->report.blank_lines, 1);
    CHECK_INT(ta->report.messages, 4);
    vf_table_free(ta);
    free(a.p);
    free(b.p);
    free(c.p);
    free(d.p);
}

/* ------------------------------------------------------------------ */
/* Malformed input                                                     */
/* ------------------------------------------------------------------ */
typedef struct badcase {
    const char *name, *json;
    int64_t line, rows;      /* error line; rows kept when skipping */
    const char *reason;      /* a piece of the message */
} badcase;

static void check_bad(const char *name, const char *data, size_t n, int64_t line, int64_t rows, const char *reason) {
    vf_table *t = NULL;
    vf_error err;
    vf_status st = read_opts(data, n, VF_ON_ERROR_RAISE, 0, 1, &t, &err);
    if (st != VF_EPARSE || !strstr(err.msg, reason) || err.line != line)
        fprintf(stderr, "  %s: status %d line %lld: %s\n", name, st, (long long)err.line, err.msg);
    CHECK_INT(st, VF_EPARSE);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, reason);
    CHECK_CONTAINS(err.msg, "obj.json:");
    CHECK_INT(err.line, line);
    CHECK(err.offset >= 0 && err.offset <= (int64_t)n);
    CHECK_STR(err.file, "obj.json");
    st = read_opts(data, n, VF_ON_ERROR_SKIP, 0, 1, &t, &err);
    CHECK_INT(st, VF_OK);
    if (!t) return;
    if (t->nrows != rows || t->report.bad_lines < 1)
        fprintf(stderr, "  %s (skip): %lld rows, %lld bad\n", name, (long long)t->nrows, (long long)t->report.bad_lines);
    CHECK_INT(t->nrows, rows);
    CHECK(t->report.bad_lines >= 1);
    CHECK(t->report.nbad_kept >= 1);
    if (t->report.nbad_kept) {
        CHECK_INT(t->report.bad[0].line, line);
        CHECK_CONTAINS(t->report.bad[0].message, reason);
        CHECK(t->report.bad[0].offset >= 0);
    }
    CHECK(t->report.rows + t->report.bad_lines + t->report.header_lines <= t->report.lines);
    vf_table_free(t);
}

#define EV(m) "{\"id\": \"1\", \"timestamp\": 5, \"message\": \"" m "\"}"
#define GOOD "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 40 5 6 ACCEPT OK"
#define DATA(events) "{\"messageType\": \"DATA_MESSAGE\", \"logGroup\": \"g\", \"logStream\": \"s\", \"logEvents\": [" events "]}"

static void test_malformed(void) {
    static const badcase cases[] = {
        /* payloads bad as a whole: line = the next event's */
        {"no-logEvents", "{\"messageType\": \"DATA_MESSAGE\", \"logGroup\": \"g\"}", 1, 0, "DATA_MESSAGE without logEvents"},
        {"logEvents-number", "{\"messageType\": \"DATA_MESSAGE\", \"logEvents\": 5}", 1, 0,
         "logEvents: expected an array, found a number"},
        {"logEvents-object", "{\"logEvents\": {}}", 1, 0, "logEvents: expected an array, found an object"},
        {"bad-type", "{\"messageType\": \"DATA\", \"logEvents\": []}", 1, 0, "unknown messageType 'DATA'"},
        {"type-number", "{\"messageType\": 1, \"logEvents\": []}", 1, 0, "messageType: expected a string"},
        {"group-array", "{\"logGroup\": [], \"logEvents\": []}", 1, 0, "logGroup: expected a string, found an array"},
        {"dup-key", DATA(EV(GOOD)) "{\"logEvents\": [], \"logEvents\": []}", 2, 1, "the key 'logEvents' appears twice"},
        {"no-shape", "{\"a\": 1}", 1, 0, "not a CloudWatch Logs payload"},
        {"two-shapes", "{\"message\": \"" GOOD "\", \"logEvents\": []}", 1, 0, "more than one payload shape"},
        {"scalar", DATA(EV(GOOD)) " 5", 2, 1, "expected an object"},
        {"string", DATA(EV(GOOD)) "\n\"" GOOD "\"", 2, 1, "expected an object"},
        {"nested-array", "[[" DATA(EV(GOOD)) "]]", 1, 0, "expected an object"},
        {"awslogs-no-data", "{\"awslogs\": {\"dat\": \"x\"}}", 1, 0, "awslogs: no data"},
        {"awslogs-bad-b64", "{\"awslogs\": {\"data\": \"H4sI!!!!\"}}", 1, 0, "awslogs.data: invalid base64 at character 4"},
        {"awslogs-not-gzip", "{\"awslogs\": {\"data\": \"aGVsbG8=\"}}", 1, 0, "holds neither JSON nor gzip'd JSON"},
        {"records-no-data", "{\"records\": [{\"recordId\": \"1\"}]}", 1, 0, "records[0].data: missing"},
        {"kinesis-no-data", "{\"Records\": [{\"kinesis\": {\"data\": 5}}]}", 1, 0, "Records[0].kinesis.data: missing"},
        {"records-number", "{\"records\": 5}", 1, 0, "records: expected an array"},
        /* bad events: their own line */
        {"event-number", DATA(EV(GOOD) ", 5, " EV(GOOD)), 2, 2, "a log event must be an object, found a number"},
        {"message-number", DATA(EV(GOOD) ", {\"message\": 5}"), 2, 1, "message: expected a string, found a number"},
        {"no-message", DATA("{\"id\": \"1\"}, " EV(GOOD)), 1, 1, "a log event without a message"},
        {"message-newline", DATA(EV(GOOD) ", " EV(GOOD "\\n" GOOD)), 2, 1, "holds a line break"},
        {"message-twice", DATA("{\"message\": \"" GOOD "\", \"message\": \"x\"}"), 1, 0, "'message' appears twice"},
        {"timestamp-float", DATA("{\"timestamp\": 1.5, \"message\": \"" GOOD "\"}"), 1, 0,
         "timestamp: expected an integer (milliseconds) in int64 range, found '1.5'"},
        {"timestamp-big", DATA("{\"timestamp\": 99999999999999999999, \"message\": \"" GOOD "\"}"), 1, 0,
         "in int64 range"},
        {"timestamp-string", DATA("{\"timestamp\": \"5\", \"message\": \"" GOOD "\"}"), 1, 0,
         "timestamp: expected an integer (milliseconds), found a string"},
        {"firehose-number", "{\"message\": \"" GOOD "\"}\n{\"message\": 5}\n{\"message\": \"" GOOD "\"}", 2, 2,
         "message: expected a string, found a number"},
        /* bad flow-log messages: the parser's bad records, numbered by event */
        {"bad-message", DATA(EV(GOOD) ", " EV(GOOD)) DATA(EV(GOOD) ", " EV("2 1 eni-a 10.0.0.1 10.0.0.300 1 2 6 1 40 5 6 ACCEPT OK")),
         4, 3, "invalid IP address '10.0.0.300'"},
        /* invalid JSON: the value is dropped, reading resumes at the next line starting a value */
        {"bad-escape", "{\"message\": \"" GOOD "\"}\n{\"message\": \"\\q\"}\n{\"message\": \"" GOOD "\"}", 2, 2,
         "invalid JSON: invalid escape"},
        {"truncated", DATA(EV(GOOD)) "\n{\"logEvents\": [" EV(GOOD), 2, 1, "invalid JSON: the JSON text ends"},
        {"garbage-between", DATA(EV(GOOD)) " xx " DATA(EV(GOOD)), 2, 1, "invalid JSON: unexpected byte"},
        {"array-element", "[" DATA(EV(GOOD)) ", " DATA(EV(GOOD) ", [") "]", 2, 1, "invalid JSON"},
        {"unquoted-key", "{message: 1}", 1, 0, "invalid JSON: expected a string key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_bad(cases[i].name, cases[i].json, strlen(cases[i].json), cases[i].line, cases[i].rows, cases[i].reason);

    /* resynchronisation keeps the good payloads after a broken one */
    const char *lines = "{\"message\": \"" GOOD "\"}\n{\"message\": \"" GOOD "\", bad}\n  {\"message\": \"x\"}\n"
                        "{\"message\": \"" GOOD "\"}\n";
    vf_table *t = read_ok(lines, strlen(lines), VF_ON_ERROR_SKIP);
    CHECK_INT(t->nrows, 2);
    CHECK_INT(t->report.bad_lines, 1);
    CHECK_INT(t->report.messages, 2);
    CHECK_INT(t->report.bad[0].line, 2);
    CHECK_INT(t->report.bad[0].offset, (int64_t)(strstr(lines, "bad}") - lines));
    vf_table_free(t);

    /* a gzip'd object cut short: the payloads before the damage, then the
     * codec error */
    sbuf obj = {0}, gz = {0};
    for (int i = 0; i < 50; i++) sb_printf(&obj, "{\"message\": \"%s\"}\n", MSGS[i % 2]);
    sb_gzip(&gz, obj.p, obj.len);
    vf_error err;
    t = NULL;
    CHECK_INT(read_opts(gz.p, gz.len - 12, VF_ON_ERROR_RAISE, 0, 1, &t, &err), VF_ECODEC);
    CHECK_CONTAINS(err.msg, "truncated gzip stream");
    CHECK_STR(err.file, "obj.json");
    CHECK_INT(read_opts(gz.p, gz.len - 12, VF_ON_ERROR_SKIP, 0, 1, &t, &err), VF_OK);
    CHECK(t && t->nrows > 30 && t->nrows < 50);
    CHECK(t && t->report.bad_lines == 1 && t->report.bad[0].line == t->nrows + 1);
    vf_table_free(t);

    /* a truncated gzip'd payload inside a Lambda event: that record is bad */
    sbuf one = {0}, ev = {0};
    sb_cwl(&one, "eni-1", 1, MSGS, 2);
    size_t gl;
    char *g = gzip_bytes(one.p, one.len, &gl);
    sb_puts(&ev, "{\"awslogs\": {\"data\": \"");
    sb_base64(&ev, (const uint8_t *)g, gl - 6, 1);
    sb_puts(&ev, "\"}}");
    check_bad("awslogs-truncated-gzip", ev.p, ev.len, 1, 0, "awslogs.data: gzip: truncated gzip stream");
    /* ... and one whose payload has no logEvents */
    ev.len = 0;
    sb_puts(&ev, "{\"Records\": [{\"kinesis\": {\"data\": \"");
    sb_b64gz(&ev, "{\"messageType\": \"DATA_MESSAGE\"}");
    sb_puts(&ev, "\"}}, {\"kinesis\": {\"data\": \"");
    sb_b64gz(&ev, one.p);
    sb_puts(&ev, "\"}}]}");
    check_bad("kinesis-no-events", ev.p, ev.len, 1, 2, "Records[0].kinesis.data, byte 0 of its payload: a DATA_MESSAGE without logEvents");
    /* ... or invalid JSON, or an event wrapper inside */
    ev.len = 0;
    sb_puts(&ev, "{\"awslogs\": {\"data\": \"");
    sb_b64gz(&ev, "{\"logEvents\": [1,]}");
    sb_puts(&ev, "\"}}\n");
    sb_puts(&ev, "{\"awslogs\": {\"data\": \"");
    sb_b64gz(&ev, "{\"awslogs\": {}}");
    sb_puts(&ev, "\"}}");
    check_bad("inner-invalid-json", ev.p, ev.len, 1, 0, "awslogs.data, byte 17 of its payload: invalid JSON");
    t = read_ok(ev.p, ev.len, VF_ON_ERROR_SKIP);
    CHECK_INT(t->report.bad_lines, 2);
    if (t->report.nbad_kept == 2) CHECK_CONTAINS(t->report.bad[1].message, "an event wrapper ('awslogs') inside a record");
    vf_table_free(t);
    /* base64 lines: a bad line is one bad record, the others are read */
    sbuf bl = {0};
    sb_b64gz(&bl, one.p);
    sb_puts(&bl, "\nH4sI-not-base64\n");
    sb_b64gz(&bl, one.p);
    sb_puts(&bl, "\n");
    check_bad("base64-line", bl.p, bl.len, 3, 4, "base64 record: invalid base64 at character 4");

    free(g);
    free(one.p);
    free(ev.p);
    free(bl.p);
    free(obj.p);
    free(gz.p);
}

/* Bad records of every kind keep their order and numbering, and skip
 * mode's first bad record is raise mode's error. */
static void test_error_order(void) {
    const char *s = DATA(EV(GOOD) ", 7, " EV("2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 x 40 5 6 ACCEPT OK") ", " EV(GOOD))
        "\n{\"logEvents\": 3}\n" DATA(EV(GOOD) ", {\"message\": \"" GOOD "\", \"timestamp\": \"t\"}");
    vf_table *t = read_ok(s, strlen(s), VF_ON_ERROR_SKIP);
    CHECK_INT(t->nrows, 3);
    CHECK_INT(t->report.bad_lines, 4);
    CHECK_INT(t->report.messages, 6);
    CHECK_INT(t->report.lines, 7);
    CHECK_INT(t->report.nbad_kept, 4);
    if (t->report.nbad_kept == 4) {
        const int64_t lines[] = {2, 3, 5, 6};
        const char *what[] = {"must be an object", "'packets'", "logEvents: expected an array", "timestamp"};
        for (int i = 0; i < 4; i++) {
            CHECK_INT(t->report.bad[i].line, lines[i]);
            CHECK_CONTAINS(t->report.bad[i].message, what[i]);
        }
        CHECK_STR(t->report.bad[1].field, "packets");
        CHECK_STR(t->report.bad[3].field, "event_timestamp");
        CHECK_STR(t->report.bad[1].text, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 x 40 5 6 ACCEPT OK");
    }
    CHECK_INT(ival(t, "event_timestamp", 2), 5);
    vf_table_free(t);
    vf_error err;
    CHECK_INT(read_opts(s, strlen(s), VF_ON_ERROR_RAISE, 0, 1, &t, &err), VF_EPARSE);
    CHECK_INT(err.line, 2);
    CHECK_CONTAINS(err.msg, "obj.json:2 (byte ");
    CHECK_CONTAINS(err.msg, "a log event must be an object, found a number; text: '7'");
}

/* ------------------------------------------------------------------ */
/* Batches, streams and threads                                        */
/* ------------------------------------------------------------------ */
/* A large object: many payloads of many events with varied streams, some
 * bad events and messages, some control messages. */
static void big_object(sbuf *b, int npayloads, int bad) {
    for (int p = 0; p < npayloads; p++) {
        if (p % 17 == 5) {
            sb_puts(b, CONTROL);
            sb_puts(b, "\n");
            continue;
        }
        sb_printf(b, "{\"messageType\": \"DATA_MESSAGE\", \"logGroup\": \"grp-%d\", \"logStream\": \"eni-%05d\", "
                     "\"logEvents\": [", p % 3, p % 41);
        int n = 1 + (int)(rnd() % 60);
        for (int e = 0; e < n; e++) {
            unsigned x = rnd();
            if (bad && x % 97 == 0)
                sb_printf(b, "%s{\"message\": %u}", e ? "," : "", x);
            else
                sb_printf(b, "%s{\"id\": \"%u\", \"timestamp\": %lld, \"message\": \"2 123456789010 eni-%05d 10.0.%u.%u "
                             "172.31.%u.%u %u %u 6 %u %u %u %u %s OK\"}",
                          e ? "," : "", x, 1418530010000LL + p * 1000 + e, p % 41, x % 256, (x >> 8) % 256,
                          (x >> 16) % 256, (bad && x % 89 == 0) ? 300 : (x >> 24) % 256, x % 65536, x % 1024, x % 100,
                          x % 100000, 1418530010 + p, 1418530070 + p, x % 2 ? "ACCEPT" : "REJECT");
        }
        sb_puts(b, p % 2 ? "]}\n" : "]}");
    }
}

static void test_batches_and_streams(void) {
    for (int bad = 0; bad < 2; bad++) {
        sbuf obj = {0};
        big_object(&obj, 400, bad);
        int mode = bad ? VF_ON_ERROR_SKIP : VF_ON_ERROR_RAISE;
        vf_table *ref = NULL, *t = NULL;
        vf_error err;
        CHECK_INT(read_opts(obj.p, obj.len, mode, 0, 1, &ref, &err), VF_OK);
        CHECK(ref && ref->nrows > 5000);
        CHECK(ref && ref->report.control_messages == 24);
        if (bad) CHECK(ref && ref->report.bad_lines > 10);
        /* small batches */
        CHECK_INT(read_opts(obj.p, obj.len, mode, 4096, 1, &t, &err), VF_OK);
        CHECK(same_tables(ref, t) || (fprintf(stderr, "  4 KiB batches differ (bad=%d)\n", bad), 0));
        vf_table_free(t);
        /* gzip'd: a stream read a window at a time, windows of 4 KiB too */
        sbuf gz = {0};
        sb_gzip(&gz, obj.p, obj.len);
        for (size_t chunk = 0; chunk <= 4096; chunk += 4096) {
            for (int threads = 1; threads <= 3; threads += 2) {
                CHECK_INT(read_opts(gz.p, gz.len, mode, chunk, threads, &t, &err), VF_OK);
                CHECK(same_tables(ref, t) || (fprintf(stderr, "  gzip, chunk %zu, %d threads differs\n", chunk, threads), 0));
                vf_table_free(t);
            }
        }
        /* many objects at once: the same rows, in order */
        vf_source src[6];
        for (int i = 0; i < 6; i++) src[i] = (vf_source){"obj.json", i % 2 ? gz.p : obj.p, i % 2 ? gz.len : obj.len};
        vf_read_opts o;
        vf_read_opts_init(&o);
        o.on_error = mode;
        vf_table *t1 = NULL, *t4 = NULL;
        o.threads = 1;
        CHECK_INT(vf_read(src, 6, &o, &t1, &err), VF_OK);
        o.threads = 4;
        o.chunk_size = 4096;
        CHECK_INT(vf_read(src, 6, &o, &t4, &err), VF_OK);
        CHECK(t1 && t1->nrows == 6 * ref->nrows);
        CHECK(t1 && t1->report.payloads == 6 * ref->report.payloads);
        CHECK(same_tables(t1, t4));
        vf_table_free(t1);
        vf_table_free(t4);
        vf_table_free(ref);
        free(obj.p);
        free(gz.p);
    }
}

/* The payload layer fed a growing window, a byte more at a time: the same
 * lines as from the whole text at once (a value cut off at the window's
 * end is read again, never half-taken or misreported). */
static void scan_all(const char *text, size_t n, size_t step, vf_content mode, sbuf *lines, sbuf *rejects) {
    vf_parse_cfg cfg = {VF_ON_ERROR_SKIP, 1000, 4096, false};
    vf_payload s;
    vf_payload_init(&s, mode, &cfg);
    size_t pos = 0, avail = step < n ? step : n;
    for (int guard = 0; guard < 1000000; guard++) {
        bool eof = avail == n;
        size_t used = vf_payload_scan(&s, text + pos, avail - pos, (int64_t)pos, eof, 1 << 20);
        pos += used;
        if (eof && pos == n) break;
        if (avail < n) avail = avail + step < n ? avail + step : n;
    }
    sb_add(lines, s.text.len ? (const char *)s.text.p : "", s.text.len);
    for (size_t i = 0; i < s.nrej; i++)
        sb_printf(rejects, "%lld@%lld %s|", (long long)s.rej[i].line, (long long)s.rej[i].offset, s.rej[i].reason);
    sb_printf(rejects, "payloads %lld control %lld messages %lld", (long long)s.payloads, (long long)s.control,
              (long long)s.messages);
    vf_payload_free(&s);
}

static void test_incremental(void) {
    sbuf obj = {0}, one = {0};
    big_object(&obj, 4, 1);
    sb_puts(&obj, "{\"message\": \"a \\ud83d\\ude00 b\"} 12 {\"x\": [1, {\"message\": 5}]}\n[1, 2]");
    sb_puts(&obj, "{\"message\": \"");
    sb_puts(&obj, L1);
    sb_puts(&obj, "\"}  {\"messageType\": \"DATA_MESSAGE\", \"logEvents\": [");
    for (int i = 0; i < 5; i++) sb_printf(&obj, "%s" EV(GOOD), i ? "," : "");
    sb_puts(&obj, "], \"logStream\": \"late\"}\n{broken\n{\"message\": \"" GOOD "\"}");
    sb_cwl(&one, "s", 1, MSGS, 2);
    sbuf b64 = {0};
    for (int i = 0; i < 4; i++) {
        sb_b64gz(&b64, one.p);
        sb_puts(&b64, i == 2 ? "\n!!\n" : "\n");
    }
    const struct {
        sbuf *b;
        vf_content mode;
    } inputs[] = {{&obj, VF_CONTENT_JSON}, {&b64, VF_CONTENT_BASE64}};
    for (int k = 0; k < 2; k++) {
        sbuf l0 = {0}, r0 = {0};
        scan_all(inputs[k].b->p, inputs[k].b->len, inputs[k].b->len, inputs[k].mode, &l0, &r0);
        CHECK(l0.len > 0);
        const size_t steps[] = {1, 7, 64, 1000};
        for (size_t i = 0; i < 4; i++) {
            sbuf l = {0}, r = {0};
            scan_all(inputs[k].b->p, inputs[k].b->len, steps[i], inputs[k].mode, &l, &r);
            CHECK(l.len == l0.len && memcmp(l.p, l0.p, l.len) == 0);
            CHECK_STR(r.p, r0.p);
            free(l.p);
            free(r.p);
        }
        free(l0.p);
        free(r0.p);
    }
    free(obj.p);
    free(one.p);
    free(b64.p);
}

/* Values above the size limit are refused, not held. */
static void test_limits(void) {
    vf_parse_cfg cfg = {VF_ON_ERROR_SKIP, 1000, 4096, false};
    vf_payload s;
    vf_payload_init(&s, VF_CONTENT_JSON, &cfg);
    s.max_value = 100;
    sbuf b = {0};
    sb_puts(&b, "{\"message\": \"");
    for (int i = 0; i < 300; i++) sb_puts(&b, "x");
    sb_puts(&b, "\"}\n{\"message\": \"" GOOD "\"}\n");
    /* incomplete and above the limit: rejected, then skipped to the next line */
    size_t used = vf_payload_scan(&s, b.p, 150, 0, false, 1 << 20);
    CHECK_INT(s.rej_all, 1);
    CHECK(s.nrej == 1 && strstr(s.rej[0].reason, "larger than 100 bytes"));
    used += vf_payload_scan(&s, b.p + used, b.len - used, (int64_t)used, true, 1 << 20);
    CHECK_INT(used, b.len);
    CHECK_INT(s.nlines, 1);
    vf_payload_free(&s);
    /* decoded records too */
    vf_payload_init(&s, VF_CONTENT_BASE64, &cfg);
    s.max_value = 1000;
    sbuf big = {0}, rec = {0};
    for (int i = 0; i < 200; i++) sb_printf(&big, "{\"message\": \"%s\"}", GOOD);
    sb_b64gz(&rec, big.p);
    sb_puts(&rec, "\n");
    vf_payload_scan(&s, rec.p, rec.len, 0, true, 1 << 20);
    CHECK(s.nrej == 1 && strstr(s.rej[0].reason, "decompresses to more than 1000 bytes"));
    CHECK_INT(s.nlines, 0);
    vf_payload_free(&s);
    free(b.p);
    free(big.p);
    free(rec.p);
}

/* A field of the log format named like a CloudWatch column wins. */
static void test_name_clash(void) {
    sbuf one = {0};
    const char *m[] = {"x 10.0.0.1"};
    sb_cwl(&one, "s", 7, m, 1);
    vf_read_opts o;
    vf_read_opts_init(&o);
    const char *fields[] = {"log-stream", "srcaddr"};
    o.fields = fields;
    o.nfields = 2;
    vf_source src = {"obj.json", one.p, one.len};
    vf_table *t = NULL;
    vf_error err;
    CHECK_INT(vf_read(&src, 1, &o, &t, &err), VF_OK);
    CHECK_INT(t ? t->ncols : 0, 4);
    CHECK_STR(sval(t, "log_stream", 0), "x");
    CHECK_STR(sval(t, "log_group", 0), "/aws/vpc/flowlogs");
    CHECK_INT(ival(t, "event_timestamp", 0), 7);
    vf_table_free(t);
    free(one.p);
}

/* Header-less text whose first field is a string that starts like JSON or
 * base64 is text when its first line is a valid record (data wins). */
static void test_text_that_looks_like_json(void) {
    static const char *const texts[] = {"{ 10.0.0.1\n[x 10.0.0.2\n", "H4sIabc 10.0.0.1\n{} 10.0.0.3",
                                        "\n\n[] 10.0.0.1\n"};
    static const int64_t rows[] = {2, 2, 1};
    const char *fields[] = {"account-id", "srcaddr"};
    vf_read_opts o;
    vf_read_opts_init(&o);
    o.fields = fields;
    o.nfields = 2;
    for (int i = 0; i < 3; i++) {
        for (int z = 0; z < 2; z++) {
            sbuf b = {0};
            if (z) sb_gzip(&b, texts[i], strlen(texts[i]));
            else sb_puts(&b, texts[i]);
            vf_source src = {"t.log", b.p, b.len};
            vf_table *t = NULL;
            vf_error err;
            CHECK_INT(vf_read(&src, 1, &o, &t, &err), VF_OK);
            CHECK_INT(t ? t->nrows : -1, rows[i]);
            CHECK_INT(t ? t->report.payloads + t->report.messages : -1, 0);
            vf_table_free(t);
            free(b.p);
        }
    }
    /* ... but in the default format "{" is no record: JSON, and invalid */
    vf_table *t = NULL;
    vf_error err;
    CHECK_INT(read_opts("{ 10.0.0.1\n", 11, VF_ON_ERROR_RAISE, 0, 1, &t, &err), VF_EPARSE);
    CHECK_CONTAINS(err.msg, "invalid JSON");
    /* a first line longer than the window: read on until it is all in */
    sbuf big = {0}, gz = {0};
    sb_puts(&big, "{\"message\": \"");
    for (int i = 0; i < 20000; i++) sb_puts(&big, "x ");
    sb_puts(&big, "\"}\n");
    sb_gzip(&gz, big.p, big.len);
    for (size_t chunk = 0; chunk <= 4096; chunk += 4096) {
        CHECK_INT(read_opts(gz.p, gz.len, VF_ON_ERROR_SKIP, chunk, 1, &t, &err), VF_OK);
        CHECK(t && t->report.messages == 1 && t->report.bad_lines == 1);
        vf_table_free(t);
    }
    free(big.p);
    free(gz.p);
}

int main(void) {
    test_scan_valid();
    test_scan_errors();
    test_scan_prefixes();
    test_scan_depth();
    test_scan_pull();
    test_unescape();
    test_base64();
    test_sniff();
    test_cloudwatch();
    test_wrappers();
    test_firehose_direct();
    test_malformed();
    test_error_order();
    test_batches_and_streams();
    test_incremental();
    test_limits();
    test_name_clash();
    test_text_that_looks_like_json();
    return check_summary();
}
