/*
 * topk.c - the k best rows of a numeric column (exec.h: vf_topk).
 *
 * Every row becomes a rank (null, key, row): key is the value's order key
 * (xint.h), complemented for descending order, so the best rows have the
 * smallest ranks whatever the type, nulls come last and ties go to the
 * lower row.  A max-heap of the k smallest ranks seen keeps the worst of
 * them at the root; most rows lose against the root in one comparison.
 * The heap is then sorted in place (heap sort), best first.
 */
#include "xint.h"

typedef struct rank {
    uint64_t key;
    int64_t row;
    uint8_t null;
} rank;

/* a worse than b */
static inline bool worse(const rank *a, const rank *b) {
    if (a->null != b->null) return a->null > b->null;
    if (a->key != b->key) return a->key > b->key;
    return a->row > b->row;
}

static void sift_down(rank *h, int64_t n, int64_t i) {
    rank x = h[i];
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && worse(&h[c + 1], &h[c])) c++;
        if (!worse(&h[c], &x)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void sift_up(rank *h, int64_t i) {
    rank x = h[i];
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!worse(&x, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

vf_status vf_topk(const vf_colview *col, int64_t nrows, const int64_t *sel, int64_t nsel, int64_t k, bool descending,
                  int64_t **out, int64_t *nout, vf_error *err) {
    *out = NULL;
    *nout = 0;
    vf_error_clear(err);
    vf_status st = vf_check_cols(col, 1, nrows, err);
    if (st == VF_OK) st = vf_check_sel(sel, nsel, nrows, err);
    if (st != VF_OK) return st;
    if (vf_type_is_dict(col->type))
        return vf_fail(err, VF_EARG, "top-k needs a numeric column, %s is %s", col->name ? col->name : "?",
                       vf_type_name(col->type));
    if (k < 0) return vf_fail(err, VF_EARG, "top-k of %lld rows", (long long)k);
    int64_t n = sel ? nsel : nrows, m = k < n ? k : n, size = 0;
    rank *h = vf_malloc_n((size_t)m, sizeof *h);
    uint64_t *kbuf = malloc(VF_MORSEL * sizeof *kbuf);
    uint8_t *vbuf = malloc(VF_MORSEL);
    if (!h || !kbuf || !vbuf) st = vf_fail(err, VF_ENOMEM, "out of memory");
    uint64_t flip = descending ? UINT64_MAX : 0;
    for (int64_t base = 0; st == VF_OK && m > 0 && base < n; base += VF_MORSEL) {
        int cnt = (int)(n - base < VF_MORSEL ? n - base : VF_MORSEL);
        const uint64_t *key = vf_load_okey(col, sel, base, cnt, kbuf);
        const uint8_t *ok = vf_load_valid(col, sel, base, cnt, vbuf);
        for (int i = 0; i < cnt; i++) {
            rank r = {ok && !ok[i] ? 0 : key[i] ^ flip, vf_row(sel, base + i), (uint8_t)(ok && !ok[i])};
            if (size < m) {
                h[size++] = r;
                sift_up(h, size - 1);
            } else if (worse(&h[0], &r)) {
                h[0] = r;
                sift_down(h, m, 0);
            }
        }
    }
    int64_t *rows = st == VF_OK ? vf_malloc_n((size_t)size, sizeof *rows) : NULL;
    if (st == VF_OK && !rows) st = vf_fail(err, VF_ENOMEM, "out of memory");
    if (st == VF_OK) {
        /* heap sort: the worst goes last */
        for (int64_t end = size - 1; end >= 0; end--) {
            rows[end] = h[0].row;
            h[0] = h[end];
            sift_down(h, end, 0);
        }
        *out = rows;
        *nout = size;
    }
    free(h);
    free(kbuf);
    free(vbuf);
    return st;
}
