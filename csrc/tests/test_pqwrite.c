/*
 * test_pqwrite.c - unit tests of the Parquet writer (csrc/parquet/writer.h):
 * tables of every flow-log column kind written under each combination of
 * codec, page version, dictionary and integer encoding, read back by our
 * reader (csrc/parquet/reader.h) value for value; statistics, bloom
 * filters, determinism across thread counts, streaming writes, and the
 * failures that must leave nothing behind.  (tests/test_pqwrite.py checks
 * the same files against pyarrow and DuckDB.)
 */
#include "check.h"
#include "codec/block.h"
#include "parquet/reader.h"
#include "parquet/writer.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 20000
#define NADDR 300

/* One generated table: its columns as views, and the data behind them. */
typedef struct gen {
    int32_t port[N];
    uint8_t port_valid[N];
    int64_t bytes[N];
    uint8_t bytes_valid[N];
    int64_t start[N];
    int32_t action[N];         /* codes into actions (-1 null) */
    int32_t addr[N];           /* codes into the address dictionary (-1 null) */
    int64_t act_off[3];
    uint8_t addrs[NADDR * 16];
    uint8_t fams[NADDR];
    vf_colview cols[5];
} gen;

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void gen_table(gen *g, int64_t n) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    static const char actions[] = "ACCEPTREJECT";
    g->act_off[0] = 0, g->act_off[1] = 6, g->act_off[2] = 12;
    for (int i = 0; i < NADDR; i++) {
        memset(g->addrs + i * 16, 0, 16);
        if (i % 10 == 9) { /* IPv6 2001:db8::i */
            g->addrs[i * 16] = 0x20, g->addrs[i * 16 + 1] = 0x01, g->addrs[i * 16 + 2] = 0x0d, g->addrs[i * 16 + 3] = 0xb8;
            g->addrs[i * 16 + 14] = (uint8_t)(i >> 8), g->addrs[i * 16 + 15] = (uint8_t)i;
            g->fams[i] = 6;
        } else { /* ::ffff:10.0.a.b */
            g->addrs[i * 16 + 10] = g->addrs[i * 16 + 11] = 0xff;
            g->addrs[i * 16 + 12] = 10, g->addrs[i * 16 + 14] = (uint8_t)(i >> 8), g->addrs[i * 16 + 15] = (uint8_t)i;
            g->fams[i] = 4;
        }
    }
    int64_t nulls[5] = {0};
    for (int64_t r = 0; r < n; r++) {
        uint64_t x = rng_next(&s);
        g->port_valid[r] = r % 7 != 3;
        g->port[r] = g->port_valid[r] ? (int32_t)(x % 65536) : 0;
        g->bytes_valid[r] = r % 11 != 5;
        g->bytes[r] = g->bytes_valid[r] ? (int64_t)(x >> 3) - (int64_t)(1ll << 59) : 0;
        g->start[r] = 1700000000 + r / 3;
        g->action[r] = r % 13 == 0 ? -1 : (int32_t)((x >> 20) % 2);
        g->addr[r] = r % 17 == 0 ? -1 : (int32_t)((x >> 30) % NADDR);
        nulls[0] += !g->port_valid[r];
        nulls[1] += !g->bytes_valid[r];
        nulls[3] += g->action[r] < 0;
        nulls[4] += g->addr[r] < 0;
    }
    memset(g->cols, 0, sizeof g->cols);
    g->cols[0] = (vf_colview){.name = "srcport", .type = VF_T_INT32, .null_count = nulls[0], .values = g->port, .valid = g->port_valid};
    g->cols[1] = (vf_colview){.name = "bytes", .type = VF_T_INT64, .null_count = nulls[1], .values = g->bytes, .valid = g->bytes_valid};
    g->cols[2] = (vf_colview){.name = "start", .type = VF_T_INT64, .values = g->start};
    g->cols[3] = (vf_colview){.name = "action", .type = VF_T_STRING, .null_count = nulls[3], .values = g->action,
                              .dict_n = 2, .dict_offsets = g->act_off, .dict_data = actions};
    g->cols[4] = (vf_colview){.name = "srcaddr", .type = VF_T_ADDR, .null_count = nulls[4], .values = g->addr,
                              .dict_n = NADDR, .dict_addrs = g->addrs, .dict_fams = g->fams};
}

static char g_dir[256];

static int dir_entries(void) {
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* Read path back and compare every value with g's first n rows. */
static void check_file(const char *path, const gen *g, int64_t n, const char *what) {
    pq_file *f = NULL;
    vf_error err;
    memset(&err, 0, sizeof err);
    vf_status st = pq_open(path, NULL, 0, &f, &err);
    if (st != VF_OK) {
        fprintf(stderr, "%s: %s\n", what, err.msg);
        CHECK(0);
        return;
    }
    pq_read_opts o;
    pq_read_opts_init(&o);
    pq_file_req req = {f, NULL, 0};
    vf_table *t = NULL;
    pq_read_stats stats;
    st = pq_read(&req, 1, &o, &t, &stats, &err);
    CHECK_INT(st, VF_OK);
    if (st != VF_OK) {
        fprintf(stderr, "%s: %s\n", what, err.msg);
        pq_close(f);
        return;
    }
    CHECK_INT(t->nrows, n);
    CHECK_INT(t->ncols, 5);
    long bad[5] = {0};
    const vf_column *c = t->cols;
    for (int64_t r = 0; r < n && t->nrows == n && t->ncols == 5; r++) {
        int v0 = !c[0].valid || c[0].valid[r];
        if (v0 != g->port_valid[r] || (v0 && ((int32_t *)c[0].values)[r] != g->port[r])) bad[0]++;
        int v1 = !c[1].valid || c[1].valid[r];
        if (v1 != g->bytes_valid[r] || (v1 && ((int64_t *)c[1].values)[r] != g->bytes[r])) bad[1]++;
        if ((c[2].valid && !c[2].valid[r]) || ((int64_t *)c[2].values)[r] != g->start[r]) bad[2]++;
        int32_t a = ((int32_t *)c[3].values)[r];
        if ((a < 0) != (g->action[r] < 0)) {
            bad[3]++;
        } else if (a >= 0) {
            const int64_t *off = vf_dict_offsets(c[3].dict);
            const char *want = g->action[r] ? "REJECT" : "ACCEPT";
            if (off[a + 1] - off[a] != 6 || memcmp(vf_dict_data(c[3].dict) + off[a], want, 6)) bad[3]++;
        }
        int32_t s = ((int32_t *)c[4].values)[r];
        if ((s < 0) != (g->addr[r] < 0)) {
            bad[4]++;
        } else if (s >= 0 && (vf_dict_type(c[4].dict) != VF_T_ADDR ||
                              memcmp(vf_dict_addrs(c[4].dict) + (size_t)s * 16, g->addrs + (size_t)g->addr[r] * 16, 16) ||
                              vf_dict_families(c[4].dict)[s] != g->fams[g->addr[r]])) {
            bad[4]++;
        }
    }
    for (int k = 0; k < 5; k++) {
        if (bad[k]) fprintf(stderr, "%s: column %d: %ld rows differ\n", what, k, bad[k]);
        CHECK_INT(bad[k], 0);
    }
    int64_t np = 0, na = 0;
    for (int64_t r = 0; r < n; r++) np += !g->port_valid[r], na += g->addr[r] < 0;
    if (t->ncols == 5) {
        CHECK_INT(c[0].null_count, np);
        CHECK_INT(c[4].null_count, na);
    }
    vf_table_free(t);
    pq_close(f);
}

static void test_matrix(const gen *g) {
    static const int codecs[] = {VF_BC_UNCOMPRESSED, VF_BC_SNAPPY, VF_BC_GZIP, VF_BC_ZSTD};
    char path[300], what[200];
    snprintf(path, sizeof path, "%s/m.parquet", g_dir);
    for (int ci = 0; ci < 4; ci++)
        for (int v = 1; v <= 2; v++)
            for (int dict = 0; dict < 3; dict++) /* off, on, on with a tiny limit (PLAIN fallback) */
                for (int ie = PQ_INT_AUTO; ie <= PQ_INT_DELTA; ie++) {
                    pq_write_opts o;
                    pq_write_opts_init(&o);
                    o.codec = codecs[ci];
                    o.data_page_version = v;
                    o.dictionary = dict > 0;
                    if (dict == 2) o.dictionary_page_limit = 64;
                    o.int_encoding = ie;
                    o.row_group_rows = 6000;
                    o.page_bytes = 4096;
                    o.threads = 2;
                    pq_write_result res = {0};
                    vf_error err;
                    memset(&err, 0, sizeof err);
                    snprintf(what, sizeof what, "codec %d v%d dict %d ints %d", codecs[ci], v, dict, ie);
                    vf_status st = pq_write_table(path, g->cols, 5, N, &o, &res, &err);
                    CHECK_INT(st, VF_OK);
                    if (st != VF_OK) {
                        fprintf(stderr, "%s: %s\n", what, err.msg);
                        continue;
                    }
                    CHECK_INT(res.rows, N);
                    CHECK_INT(res.row_groups, (N + 5999) / 6000);
                    struct stat sb;
                    CHECK(stat(path, &sb) == 0 && sb.st_size == res.file_bytes);
                    check_file(path, g, N, what);
                    CHECK_INT(dir_entries(), 1); /* no temporary file left */
                }
    unlink(path);
}

static void test_statistics_and_bloom(const gen *g) {
    char path[300];
    snprintf(path, sizeof path, "%s/s.parquet", g_dir);
    pq_write_opts o;
    pq_write_opts_init(&o);
    o.row_group_rows = 5000;
    vf_error err;
    memset(&err, 0, sizeof err);
    CHECK_INT(pq_write_table(path, g->cols, 5, N, &o, NULL, &err), VF_OK);
    pq_file *f = NULL;
    CHECK_INT(pq_open(path, NULL, 0, &f, &err), VF_OK);
    if (!f) return;
    CHECK_INT(f->meta.n_row_groups, 4);
    CHECK_STR(f->meta.created_by, pq_writer_created_by());
    int cstart = pq_find_leaf(f, "start"), cport = pq_find_leaf(f, "srcport"), caddr = pq_find_leaf(f, "srcaddr");
    CHECK(cstart >= 0 && cport >= 0 && caddr >= 0);
    for (int rg = 0; rg < 4; rg++) {
        pq_stats_typed s;
        pq_chunk_stats(f, rg, cstart, &s);
        CHECK(s.has_min && s.has_max && s.kind == PQ_V_INT);
        CHECK_INT(s.min.i, g->start[rg * 5000]);
        CHECK_INT(s.max.i, g->start[rg * 5000 + 4999]);
        CHECK(s.has_null_count && s.null_count == 0);
        pq_chunk_stats(f, rg, cport, &s);
        int64_t nulls = 0, lo = INT64_MAX, hi = INT64_MIN;
        for (int r = rg * 5000; r < rg * 5000 + 5000; r++) {
            if (!g->port_valid[r]) {
                nulls++;
                continue;
            }
            lo = g->port[r] < lo ? g->port[r] : lo;
            hi = g->port[r] > hi ? g->port[r] : hi;
        }
        CHECK_INT(s.null_count, nulls);
        CHECK_INT(s.min.i, lo);
        CHECK_INT(s.max.i, hi);
        const uint8_t *bits = NULL;
        size_t nb = 0;
        CHECK_INT(pq_bloom_bitset(f, rg, caddr, &bits, &nb, &err), VF_OK);
        CHECK(bits != NULL && nb >= 32 && nb % 32 == 0); /* split blocks of 32 bytes */
        CHECK_INT(pq_bloom_bitset(f, rg, cport, &bits, &nb, &err), VF_OK);
        CHECK(bits == NULL); /* ports get none by default */
    }
    pq_close(f);
    unlink(path);
}

static int read_all(const char *path, uint8_t **out, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *out = malloc((size_t)len + 1);
    *n = fread(*out, 1, (size_t)len, fp);
    fclose(fp);
    return 0;
}

static void test_threads_and_streaming_agree(const gen *g) {
    char p1[300], p2[300], p3[300];
    snprintf(p1, sizeof p1, "%s/t1.parquet", g_dir);
    snprintf(p2, sizeof p2, "%s/t2.parquet", g_dir);
    snprintf(p3, sizeof p3, "%s/t3.parquet", g_dir);
    pq_write_opts o;
    pq_write_opts_init(&o);
    o.row_group_rows = 4000;
    vf_error err;
    memset(&err, 0, sizeof err);
    o.threads = 1;
    CHECK_INT(pq_write_table(p1, g->cols, 5, N, &o, NULL, &err), VF_OK);
    o.threads = 2;
    CHECK_INT(pq_write_table(p2, g->cols, 5, N, &o, NULL, &err), VF_OK);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK(read_all(p1, &a, &na) == 0 && read_all(p2, &b, &nb) == 0);
    CHECK(na == nb && a && b && memcmp(a, b, na) == 0); /* the same bytes whatever the thread count */
    free(a);
    free(b);
    /* streaming: batches of 3000 rows (views offset into the same arrays) */
    pq_writer *w = NULL;
    CHECK_INT(pq_writer_open(&w, p3, g->cols, 5, &o, &err), VF_OK);
    CHECK_INT(dir_entries(), 3); /* the temporary file, not p3 */
    struct stat sb;
    CHECK(stat(p3, &sb) != 0);
    for (int64_t at = 0; at < N && w; at += 3000) {
        int64_t k = N - at < 3000 ? N - at : 3000;
        vf_colview v[5];
        memcpy(v, g->cols, sizeof v);
        v[0].values = g->port + at, v[0].valid = g->port_valid + at;
        v[1].values = g->bytes + at, v[1].valid = g->bytes_valid + at;
        v[2].values = g->start + at;
        v[3].values = g->action + at;
        v[4].values = g->addr + at;
        for (int c = 0; c < 5; c++) v[c].null_count = -1; /* unknown: the writer counts */
        CHECK_INT(pq_writer_write(w, v, k, &err), VF_OK);
    }
    pq_write_result res = {0};
    CHECK_INT(pq_writer_close(w, &res, &err), VF_OK);
    CHECK_INT(res.rows, N);
    check_file(p3, g, N, "streamed");
    unlink(p1);
    unlink(p2);
    unlink(p3);
}

static void test_failures_leave_nothing(const gen *g) {
    char path[300];
    snprintf(path, sizeof path, "%s/f.parquet", g_dir);
    const int64_t points[] = {0, 1, 4, 100, 5000, 60000};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        pq_write_opts o;
        pq_write_opts_init(&o);
        o.fail_after_bytes = points[i];
        vf_error err;
        memset(&err, 0, sizeof err);
        vf_status st = pq_write_table(path, g->cols, 5, N, &o, NULL, &err);
        CHECK_INT(st, VF_EIO);
        CHECK_CONTAINS(err.msg, "f.parquet");
        CHECK_INT(dir_entries(), 0);
    }
    /* an existing file survives a failed rewrite untouched */
    pq_write_opts o;
    pq_write_opts_init(&o);
    vf_error err;
    memset(&err, 0, sizeof err);
    CHECK_INT(pq_write_table(path, g->cols, 5, 100, &o, NULL, &err), VF_OK);
    uint8_t *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;
    read_all(path, &before, &nb);
    o.fail_after_bytes = 50;
    CHECK_INT(pq_write_table(path, g->cols, 5, N, &o, NULL, &err), VF_EIO);
    read_all(path, &after, &na);
    CHECK(nb == na && before && after && memcmp(before, after, nb) == 0);
    CHECK_INT(dir_entries(), 1);
    free(before);
    free(after);
    unlink(path);
    /* a directory that does not exist */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir.parquet", g_dir);
    pq_write_opts_init(&o);
    memset(&err, 0, sizeof err);
    CHECK(pq_write_table(bad, g->cols, 5, N, &o, NULL, &err) != VF_OK);
    CHECK_CONTAINS(err.msg, "no/such/dir.parquet");
    CHECK_INT(dir_entries(), 0);
}

static void test_empty_and_all_null(gen *g) {
    char path[300];
    snprintf(path, sizeof path, "%s/e.parquet", g_dir);
    pq_write_opts o;
    pq_write_opts_init(&o);
    vf_error err;
    memset(&err, 0, sizeof err);
    pq_write_result res = {0};
    CHECK_INT(pq_write_table(path, g->cols, 5, 0, &o, &res, &err), VF_OK);
    CHECK_INT(res.rows, 0);
    check_file(path, g, 0, "empty");
    /* a chunk of nulls only: no min/max, null_count = rows */
    uint8_t keep[64];
    memcpy(keep, g->port_valid, sizeof keep);
    memset(g->port_valid, 0, sizeof keep);
    vf_colview v = g->cols[0];
    v.valid = g->port_valid;
    v.null_count = 64;
    CHECK_INT(pq_write_table(path, &v, 1, 64, &o, NULL, &err), VF_OK);
    pq_file *f = NULL;
    CHECK_INT(pq_open(path, NULL, 0, &f, &err), VF_OK);
    if (f) {
        pq_stats_typed s;
        pq_chunk_stats(f, 0, 0, &s);
        CHECK(!s.has_min && !s.has_max);
        CHECK(s.has_null_count && s.null_count == 64);
        pq_close(f);
    }
    memcpy(g->port_valid, keep, sizeof keep);
    unlink(path);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/vf-test-pqwrite-XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    gen *g = malloc(sizeof *g);
    gen_table(g, N);
    test_matrix(g);
    test_statistics_and_bloom(g);
    test_threads_and_streaming_agree(g);
    test_failures_leave_nothing(g);
    test_empty_and_all_null(g);
    free(g);
    rmdir(g_dir);
    return check_summary();
}
