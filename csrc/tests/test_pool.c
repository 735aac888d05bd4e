/*
 * test_pool.c - unit tests of the buffer pool (csrc/common/pool.c): a block
 * given back is handed out again for the same rounded size and only for it,
 * the limit holds (oldest dropped first, 0 keeps nothing), small blocks and
 * a NULL pool are plain malloc/free, and many threads sharing one pool keep
 * its counts straight.  Run under ASan/UBSan with leak checking too.
 */
#include "check.h"
#include "vf.h"

#include <pthread.h>

#define MiB ((size_t)1 << 20)

static vf_pool_info info(vf_pool *p) {
    vf_pool_info i;
    vf_pool_stats(p, &i);
    return i;
}

static void test_reuse_of_the_same_size(void) {
    vf_pool *p = vf_pool_new(64 * MiB);
    CHECK(p != NULL);
    uint8_t *a = vf_pool_rows(p, MiB, 8); /* 8 MiB */
    CHECK(a != NULL);
    memset(a, 7, 8 * MiB); /* the whole block is usable */
    CHECK_INT(info(p).misses, 1);
    vf_pool_give(p, a, MiB, 8);
    CHECK_INT(info(p).kept, 8 * MiB);
    CHECK_INT(info(p).blocks, 1);
    /* 7.5 MiB rounds up to the same 8 MiB block */
    uint8_t *b = vf_pool_rows(p, 15 * MiB / 16, 8);
    CHECK(b == a);
    CHECK_INT(info(p).hits, 1);
    CHECK_INT(info(p).kept, 0);
    /* another size is not served from it */
    vf_pool_give(p, b, 15 * MiB / 16, 8);
    uint8_t *c = vf_pool_rows(p, 2 * MiB, 8); /* 16 MiB */
    CHECK(c != a);
    CHECK_INT(info(p).misses, 2);
    CHECK_INT(info(p).blocks, 1);
    vf_pool_give(p, c, 2 * MiB, 8);
    CHECK_INT(info(p).kept, 24 * MiB);
    CHECK_INT(info(p).given, 3);
    /* the most recent block of a size comes first */
    uint8_t *d = vf_pool_rows(p, 2 * MiB, 8), *e = vf_pool_rows(p, MiB, 8);
    CHECK(d == c && e == a);
    CHECK_INT(info(p).kept, 0);
    free(d); /* a pool block is an ordinary allocation */
    vf_pool_give(p, e, MiB, 8);
    vf_pool_unref(p); /* frees what it keeps (ASan's leak check) */
}

static void test_the_limit(void) {
    vf_pool *p = vf_pool_new(20 * MiB);
    void *a = vf_pool_rows(p, 8 * MiB, 1), *b = vf_pool_rows(p, 8 * MiB, 1), *c = vf_pool_rows(p, 8 * MiB, 1);
    vf_pool_give(p, a, 8 * MiB, 1);
    vf_pool_give(p, b, 8 * MiB, 1);
    CHECK_INT(info(p).kept, 16 * MiB);
    vf_pool_give(p, c, 8 * MiB, 1); /* 24 > 20: the oldest (a) goes */
    CHECK_INT(info(p).kept, 16 * MiB);
    CHECK_INT(info(p).freed, 1);
    void *x = vf_pool_rows(p, 8 * MiB, 1), *y = vf_pool_rows(p, 8 * MiB, 1);
    CHECK((x == c && y == b));
    /* a block larger than the limit is never kept */
    void *big = vf_pool_rows(p, 32 * MiB, 1);
    vf_pool_give(p, big, 32 * MiB, 1);
    CHECK_INT(info(p).kept, 0);
    CHECK_INT(info(p).blocks, 0);
    /* a miss makes room for the new block first: kept + new stays within the limit */
    vf_pool_give(p, x, 8 * MiB, 1);
    vf_pool_give(p, y, 8 * MiB, 1);
    void *z = vf_pool_rows(p, 12 * MiB, 1);
    CHECK_INT(info(p).kept, 8 * MiB);
    vf_pool_give(p, z, 12 * MiB, 1); /* 8 + 12 = 20: fits */
    CHECK_INT(info(p).kept, 20 * MiB);
    /* lowering the limit frees now; 0 keeps nothing */
    vf_pool_set_keep(p, 12 * MiB);
    CHECK_INT(info(p).kept, 12 * MiB);
    vf_pool_set_keep(p, 0);
    CHECK_INT(info(p).kept, 0);
    void *w = vf_pool_rows(p, 8 * MiB, 1);
    vf_pool_give(p, w, 8 * MiB, 1);
    CHECK_INT(info(p).blocks, 0);
    CHECK_INT(info(p).keep, 0);
    vf_pool_unref(p);
}

static void test_small_blocks_and_no_pool(void) {
    vf_pool *p = vf_pool_new(64 * MiB);
    void *s = vf_pool_rows(p, 1000, 8); /* below 2 MiB: malloc's business */
    CHECK(s != NULL);
    vf_pool_give(p, s, 1000, 8);
    vf_pool_info i = info(p);
    CHECK_INT(i.hits + i.misses + i.given + i.blocks, 0);
    void *z = vf_pool_rows(p, 0, 8);
    CHECK(z != NULL);
    vf_pool_give(p, z, 0, 8);
    CHECK(vf_pool_rows(p, SIZE_MAX / 4, 8) == NULL); /* overflow: no block */
    vf_pool_give(p, NULL, 10, 8);
    void *n = vf_pool_rows(NULL, MiB, 8);
    CHECK(n != NULL);
    vf_pool_give(NULL, n, MiB, 8);
    /* references: the pool lives until the last one goes */
    CHECK(vf_pool_ref(p) == p);
    void *k = vf_pool_rows(p, MiB, 4);
    vf_pool_give(p, k, MiB, 4);
    vf_pool_unref(p);
    CHECK_INT(info(p).blocks, 1);
    vf_pool_unref(p);
    vf_pool_unref(NULL);
}

static void test_slots(void) {
    vf_pool *p = vf_pool_new((size_t)1 << 40);
    void *b[80];
    for (int i = 0; i < 80; i++) b[i] = vf_pool_rows(p, MiB, 2);
    for (int i = 0; i < 80; i++) vf_pool_give(p, b[i], MiB, 2);
    CHECK(info(p).blocks <= 64);
    CHECK_INT(info(p).blocks + info(p).freed, 80);
    CHECK_INT(info(p).kept, (size_t)info(p).blocks * 2 * MiB);
    vf_pool_unref(p);
}

#define THREADS 4
#define ROUNDS 300

static void *churn(void *arg) {
    vf_pool *p = arg;
    uint64_t s = (uint64_t)(uintptr_t)&s | 1;
    for (int r = 0; r < ROUNDS; r++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        size_t n = (size_t)(1 + s % 4) * MiB; /* 2, 4, 6 or 8 MiB of 2-byte rows */
        uint16_t *v = vf_pool_rows(p, n, 2);
        if (!v) return (void *)1;
        v[0] = v[n - 1] = (uint16_t)r; /* the whole block is this thread's */
        if (v[0] != (uint16_t)r || v[n - 1] != (uint16_t)r) return (void *)1;
        vf_pool_give(p, v, n, 2);
    }
    return NULL;
}

static void test_threads(void) {
    vf_pool *p = vf_pool_new(40 * MiB);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, churn, p);
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += r != NULL;
    }
    CHECK_INT(bad, 0);
    vf_pool_info i = info(p);
    CHECK_INT(i.hits + i.misses, THREADS * ROUNDS);
    CHECK_INT(i.given, THREADS * ROUNDS);
    CHECK(i.hits > 0);
    CHECK(i.kept <= 40 * MiB);
    CHECK_INT(i.given - i.freed - i.hits, i.blocks);
    vf_pool_unref(p);
}

int main(void) {
    test_reuse_of_the_same_size();
    test_the_limit();
    test_small_blocks_and_no_pool();
    test_slots();
    test_threads();
    return check_summary();
}
