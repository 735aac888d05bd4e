/*
 * fuzz_read.c - libFuzzer target for the vpcflow C core.
 *
 * Build and run with `make -f csrc/rules.mk fuzz` (or fuzz-smoke).  Each
 * input is fed to:
 *   - vf_read as an in-memory source: on_error raise and skip, with the
 *     v2 default and with explicit fields, in one batch and in 4 KiB
 *     batches; the results must agree with each other;
 *   - vf_read of the same bytes as a file (a memfd), which splits inputs
 *     above 8 KiB into byte ranges: must agree with the in-memory read;
 *   - vf_read of the bytes gzip'd and base64'd into a CloudWatch Logs
 *     Lambda event and into a base64 record line, so that the payload
 *     layer's decoding paths see fuzzed bytes (inputs that are JSON
 *     payloads, as in the seed corpus, are then read one level down);
 *   - vf_parse_addr / vf_format_addr (round trip) and vf_parse_int64
 *     (against a reference), on the whole input and on its tokens;
 *   - vf_decompress as gzip and as zstd.
 * Everything is freed; a broken invariant aborts with a message.
 */
#include "vf.h"

#include <zlib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FAIL(...)                                          \
    do {                                                   \
        fprintf(stderr, "fuzz_read invariant: " __VA_ARGS__); \
        fprintf(stderr, "\n");                             \
        abort();                                           \
    } while (0)

/* the table is well formed */
static void check_table(const vf_table *t) {
    if (t->nrows != t->report.rows) FAIL("nrows %lld != report.rows %lld", (long long)t->nrows, (long long)t->report.rows);
    if (t->report.nbad_kept > t->report.bad_lines) FAIL("more bad records kept than bad lines");
    if (t->report.rows + t->report.bad_lines + t->report.header_lines > t->report.lines + 1) FAIL("line counts");
    if (t->report.control_messages > t->report.payloads) FAIL("more control messages than payloads");
    for (int i = 0; i < t->ncols; i++) {
        const vf_column *c = &t->cols[i];
        int64_t nulls = 0;
        if (c->type == VF_T_STRING || c->type == VF_T_ADDR) {
            if (!c->dict || vf_dict_type(c->dict) != c->type) FAIL("column %s: dictionary", c->name);
            int32_t n = vf_dict_size(c->dict);
            const int32_t *codes = c->values;
            for (int64_t r = 0; r < t->nrows; r++) {
                if (codes[r] < -1 || codes[r] >= n) FAIL("column %s: code %d out of range", c->name, codes[r]);
                nulls += codes[r] < 0;
            }
            if (c->valid) FAIL("column %s: a dictionary column with a validity array", c->name);
        } else {
            if (c->dict) FAIL("column %s: an integer column with a dictionary", c->name);
            if (c->valid)
                for (int64_t r = 0; r < t->nrows; r++) nulls += !c->valid[r];
            if (!c->valid && c->null_count) FAIL("column %s: nulls without a validity array", c->name);
        }
        if (nulls != c->null_count) FAIL("column %s: null_count %lld, counted %lld", c->name, (long long)c->null_count, (long long)nulls);
    }
    for (int64_t i = 0; i < t->report.nbad_kept; i++) {
        const vf_bad_record *b = &t->report.bad[i];
        if (!b->text || !b->message) FAIL("bad record %lld incomplete", (long long)i);
        if (i && b->line < t->report.bad[i - 1].line && b->source == t->report.bad[i - 1].source)
            FAIL("bad records out of order: line %lld after %lld", (long long)b->line, (long long)t->report.bad[i - 1].line);
    }
}

static void same_tables(const vf_table *a, const vf_table *b, const char *what) {
    if (a->nrows != b->nrows || a->ncols != b->ncols) FAIL("%s: %lld x %d vs %lld x %d", what, (long long)a->nrows, a->ncols, (long long)b->nrows, b->ncols);
    const vf_report *p = &a->report, *q = &b->report;
    if (p->lines != q->lines || p->bad_lines != q->bad_lines || p->header_lines != q->header_lines ||
        p->blank_lines != q->blank_lines || p->ms_fixed != q->ms_fixed || p->nbad_kept != q->nbad_kept ||
        p->payloads != q->payloads || p->control_messages != q->control_messages || p->messages != q->messages)
        FAIL("%s: reports differ (lines %lld/%lld bad %lld/%lld headers %lld/%lld blank %lld/%lld)", what,
             (long long)p->lines, (long long)q->lines, (long long)p->bad_lines, (long long)q->bad_lines,
             (long long)p->header_lines, (long long)q->header_lines, (long long)p->blank_lines, (long long)q->blank_lines);
    for (int64_t i = 0; i < p->nbad_kept; i++)
        if (p->bad[i].line != q->bad[i].line || p->bad[i].offset != q->bad[i].offset) FAIL("%s: bad record %lld at line %lld vs %lld", what, (long long)i, (long long)p->bad[i].line, (long long)q->bad[i].line);
    for (int i = 0; i < a->ncols; i++) {
        const vf_column *x = &a->cols[i], *y = &b->cols[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->null_count != y->null_count)
            FAIL("%s: column %d differs (%s, %s)", what, i, x->name, y->name);
        size_t w = x->type == VF_T_INT64 ? 8 : 4;
        for (int64_t r = 0; r < a->nrows; r++) {
            int vx = !x->valid || x->valid[r], vy = !y->valid || y->valid[r];
            if (vx != vy || (vx && memcmp((const char *)x->values + r * w, (const char *)y->values + r * w, w)))
                FAIL("%s: column %s row %lld differs", what, x->name, (long long)r);
        }
        if (x->dict && vf_dict_size(x->dict) != vf_dict_size(y->dict)) FAIL("%s: column %s dictionary size", what, x->name);
    }
}

static vf_status read_one(const vf_source *s, int on_error, int withfields, size_t chunk, vf_table **t, vf_error *err) {
    static const char *const fields[] = {"version", "srcaddr", "dstaddr", "dstport", "start", "end", "bytes", "action", "my-field"};
    vf_read_opts o;
    vf_read_opts_init(&o);
    o.on_error = on_error;
    o.chunk_size = chunk;
    o.max_bad_kept = 50;
    o.max_bad_text = 64;
    if (withfields) {
        o.fields = fields;
        o.nfields = sizeof fields / sizeof fields[0];
    }
    *t = NULL;
    vf_status st = vf_read(s, 1, &o, t, err);
    if (st == VF_OK) {
        if (!*t) FAIL("VF_OK without a table");
        check_table(*t);
    } else {
        if (*t) FAIL("an error (%d) with a table", st);
        if (!err || err->code != st) FAIL("err.code %d != status %d", err ? err->code : -1, st);
        if (!memchr(err->msg, 0, sizeof err->msg) || !err->msg[0]) FAIL("empty or unterminated message");
        if (st != VF_EPARSE && st != VF_ECODEC && st != VF_EFORMAT && st != VF_EIO) FAIL("unexpected status %d", st);
    }
    return st;
}

/* The reads of one source that must agree: raise and skip, one batch and
 * 4 KiB batches.  Returns the status of raise and skip and their tables
 * (NULL when they failed) for more comparisons; e1 is raise's error. */
typedef struct reads {
    vf_status r1, s1;
    vf_table *raise1, *skip1;
    vf_error e1;
} reads;

/* A damaged compressed stream: how many lines before the damage come out
 * depends on the output room each inflate call had (the decoder may keep
 * decoded bytes of the failing block), so skip-mode tables of different
 * buffer sizes may differ there; their statuses may not. */
static int damaged_stream(const uint8_t *data, size_t size) {
    vf_codec c = vf_sniff((const char *)data, size);
    if (c == VF_CODEC_NONE) return 0;
    char *out = NULL;
    size_t outlen = 0;
    vf_error err;
    memset(&err, 0, sizeof err);
    vf_status st = vf_decompress(c, data, size, "fuzz.bin", &out, &outlen, &err);
    free(out);
    return st == VF_ECODEC;
}

static void read_modes(const vf_source *s, int withfields, size_t size, int damaged, reads *out) {
    vf_table *raise1 = NULL, *skip1 = NULL, *skip2 = NULL, *raise2 = NULL;
    vf_error e1, e2, e3, e4;
    vf_status r1 = read_one(s, VF_ON_ERROR_RAISE, withfields, 0, &raise1, &e1);
    vf_status s1 = read_one(s, VF_ON_ERROR_SKIP, withfields, 0, &skip1, &e2);
    /* 4 KiB batches (the minimum) only differ from one batch above 4 KiB */
    const int batched = size > 4096;
    vf_status s2 = batched ? read_one(s, VF_ON_ERROR_SKIP, withfields, 4096, &skip2, &e3) : s1;
    vf_status r2 = batched ? read_one(s, VF_ON_ERROR_RAISE, withfields, 4096, &raise2, &e4) : r1;
    /* raise succeeds exactly when skip finds no bad line */
    if (r1 == VF_OK && (s1 != VF_OK || skip1->report.bad_lines != 0)) FAIL("raise OK but skip found bad lines");
    if (r1 == VF_EPARSE && s1 == VF_OK && skip1->report.bad_lines == 0) FAIL("raise failed but skip found no bad line");
    if (r1 == VF_EPARSE && s1 == VF_OK && skip1->report.nbad_kept && skip1->report.bad[0].line != e1.line)
        FAIL("raise stopped at line %lld, skip's first bad line is %lld", (long long)e1.line, (long long)skip1->report.bad[0].line);
    if (r1 == VF_EPARSE && s1 == VF_OK && skip1->report.nbad_kept && skip1->report.bad[0].offset != e1.offset)
        FAIL("raise's error at byte %lld, skip's first bad record at %lld", (long long)e1.offset, (long long)skip1->report.bad[0].offset);
    if (r1 == VF_OK) same_tables(raise1, skip1, "raise vs skip");
    /* batching changes nothing */
    if (s1 != s2 || r1 != r2) FAIL("status depends on chunk size: %d/%d %d/%d", s1, s2, r1, r2);
    if (batched && s1 == VF_OK && !damaged) same_tables(skip1, skip2, "skip: one batch vs 4 KiB batches");
    if (batched && r1 == VF_OK) same_tables(raise1, raise2, "raise: one batch vs 4 KiB batches");
    if (batched && r1 != VF_OK && e1.line != e4.line) FAIL("error line %lld vs %lld with 4 KiB batches", (long long)e1.line, (long long)e4.line);
    vf_table_free(skip2);
    vf_table_free(raise2);
    *out = (reads){r1, s1, raise1, skip1, e1};
}

static void fuzz_read(const uint8_t *data, size_t size) {
    vf_source s = {"fuzz.log", data, size};
    const int damaged = damaged_stream(data, size);
    for (int withfields = 0; withfields < 2; withfields++) {
        reads m;
        read_modes(&s, withfields, size, damaged, &m);
        vf_status r1 = m.r1, s1 = m.s1;
        vf_table *raise1 = m.raise1, *skip1 = m.skip1;
        vf_error e1 = m.e1;

        /* the same bytes as a file: above 8 KiB it is split into byte ranges
         * of 4 KiB (below, reading a file is reading its bytes) */
        int fd = size > 8192 || size < 64 ? memfd_create("fuzz", MFD_CLOEXEC) : -1;
        if (fd >= 0) {
            if (write(fd, data, size) == (ssize_t)size) {
                char path[64];
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                vf_source fs = {path, NULL, 0};
                vf_table *fskip = NULL, *fraise = NULL;
                vf_error e5, e6;
                vf_status fs1 = read_one(&fs, VF_ON_ERROR_SKIP, withfields, 4096, &fskip, &e5);
                vf_status fr1 = read_one(&fs, VF_ON_ERROR_RAISE, withfields, 4096, &fraise, &e6);
                if (fs1 != s1 || fr1 != r1) FAIL("file vs memory: status %d/%d %d/%d", fs1, s1, fr1, r1);
                if (s1 == VF_OK && !damaged) same_tables(skip1, fskip, "skip: memory vs file ranges");
                if (r1 == VF_OK) same_tables(raise1, fraise, "raise: memory vs file ranges");
                if (r1 != VF_OK && e1.line != e6.line) FAIL("error line %lld in memory, %lld from the file", (long long)e1.line, (long long)e6.line);
                vf_table_free(fskip);
                vf_table_free(fraise);
            }
            close(fd);
        }
        vf_table_free(raise1);
        vf_table_free(skip1);
    }
}

/* ------------------------------------------------------------------ */
/* The input inside payload wrappers                                   */
/* ------------------------------------------------------------------ */
static size_t gzip_into(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    size_t len = zs.total_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? len : 0;
}

static size_t base64_into(const uint8_t *p, size_t n, char *out) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = A[v >> 18];
        out[o++] = A[v >> 12 & 63];
        out[o++] = i + 1 < n ? A[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? A[v & 63] : '=';
    }
    return o;
}

static void fuzz_wrapped(const uint8_t *data, size_t size) {
    size_t gcap = size + size / 8 + 128;
    uint8_t *g = malloc(gcap);
    char *buf = malloc(gcap * 4 / 3 + 64);
    size_t gl = g ? gzip_into(data, size, g, gcap) : 0;
    if (gl) {
        static const char pre[] = "{\"awslogs\": {\"data\": \"";
        size_t n = sizeof pre - 1;
        memcpy(buf, pre, n);
        n += base64_into(g, gl, buf + n);
        memcpy(buf + n, "\"}}", 3);
        const size_t shapes[2][2] = {{0, n + 3}, {sizeof pre - 1, n - (sizeof pre - 1)}}; /* the event; the bare line */
        for (int k = 0; k < 2; k++) {
            vf_source s = {"fuzz.json", buf + shapes[k][0], shapes[k][1]};
            reads m;
            read_modes(&s, k, shapes[k][1], 0, &m);
            vf_table_free(m.raise1);
            vf_table_free(m.skip1);
        }
    }
    free(g);
    free(buf);
}

/* reference integer parser: optional '-', then 1+ ASCII digits, in range */
static int ref_int64(const char *p, size_t n, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    if (i < n && p[i] == '-') neg = 1, i++;
    if (i == n) return -1;
    unsigned __int128 v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
        if (v > (unsigned __int128)INT64_MAX + 1) v = (unsigned __int128)INT64_MAX + 2; /* saturate */
    }
    if (neg ? v > (unsigned __int128)INT64_MAX + 1 : v > INT64_MAX) return -1;
    *out = neg ? (int64_t)(0 - (uint64_t)v) : (int64_t)v;
    return 0;
}

static void fuzz_token(const char *p, size_t n) {
    int64_t a = 0, b = 0;
    int ra = vf_parse_int64(p, n, &a), rb = ref_int64(p, n, &b);
    if (ra != rb || (ra == 0 && a != b)) FAIL("vf_parse_int64 disagrees with the reference on '%.*s'", (int)n, p);
    int32_t c;
    if (vf_parse_int32(p, n, &c) == 0 && (ra != 0 || a != c)) FAIL("vf_parse_int32 on '%.*s'", (int)n, p);
    if (ra == 0 && a >= INT32_MIN && a <= INT32_MAX && vf_parse_int32(p, n, &c) != 0) FAIL("vf_parse_int32 rejects '%.*s'", (int)n, p);

    uint8_t addr[16], back[16], fam = 0, fam2 = 0;
    if (vf_parse_addr(p, n, addr, &fam) == 0) {
        if (fam != 4 && fam != 6) FAIL("family %d", fam);
        char buf[64];
        size_t len = vf_format_addr(addr, fam, buf);
        if (len != strlen(buf) || len > 45) FAIL("vf_format_addr length %zu", len);
        if (vf_parse_addr(buf, len, back, &fam2) != 0 || fam2 != fam || memcmp(addr, back, 16) != 0)
            FAIL("address round trip: '%.*s' -> '%s'", (int)n, p, buf);
        /* canonical text is a fixed point */
        char buf2[64];
        vf_format_addr(back, fam2, buf2);
        if (strcmp(buf, buf2) != 0) FAIL("format not canonical: %s vs %s", buf, buf2);
    }
}

static void fuzz_scalars(const uint8_t *data, size_t size) {
    const char *p = (const char *)data;
    fuzz_token(p, size < 64 ? size : 64);
    size_t i = 0, ntok = 0;
    while (i < size && ntok < 256) {
        while (i < size && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
        size_t s = i;
        while (i < size && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') i++;
        if (i > s) {
            fuzz_token(p + s, i - s);
            ntok++;
        }
    }
}

static void fuzz_codecs(const uint8_t *data, size_t size) {
    static const vf_codec codecs[] = {VF_CODEC_GZIP, VF_CODEC_ZSTD};
    for (size_t k = 0; k < 2; k++) {
        char *out = NULL;
        size_t outlen = 0;
        vf_error err;
        memset(&err, 0, sizeof err);
        vf_status st = vf_decompress(codecs[k], data, size, "fuzz.bin", &out, &outlen, &err);
        if (st == VF_OK || st == VF_ECODEC) {
            if (!out) FAIL("vf_decompress: no buffer with status %d", st);
            if (outlen) {
                volatile char sink = out[0] ^ out[outlen - 1]; /* readable */
                (void)sink;
            }
        } else if (out) {
            FAIL("vf_decompress: a buffer with status %d", st);
        }
        free(out);
    }
    char *out = NULL;
    size_t outlen = 0;
    if (vf_snappy_decompress(data, size, &out, &outlen, NULL) == VF_OK) free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_read(data, size);
    fuzz_wrapped(data, size);
    fuzz_scalars(data, size);
    fuzz_codecs(data, size);
    return 0;
}
