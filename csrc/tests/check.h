/*
 * check.h - the tiny test framework the C unit tests share (no library).
 *
 * Each test program includes this once, calls its test functions from
 * main() and ends with `return check_summary();`, which prints
 * "N passed, M failed" and returns the exit status.
 */
#ifndef VF_CHECK_H
#define VF_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long g_pass, g_fail;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            g_pass++;                                                                 \
        } else {                                                                      \
            g_fail++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ == b_) {                                                                            \
            g_pass++;                                                                              \
        } else {                                                                                   \
            g_fail++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                               \
        }                                                                                          \
    } while (0)

/* strings, either of which may be NULL (a null value) */
#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                         \
        if ((!a_ && !b_) || (a_ && b_ && strcmp(a_, b_) == 0)) {                                 \
            g_pass++;                                                                            \
        } else {                                                                                 \
            g_fail++;                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__,     \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                   \
        }                                                                                        \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (h_ && strstr(h_, n_)) {                                                                \
            g_pass++;                                                                              \
        } else {                                                                                   \
            g_fail++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: \"%s\" contains \"%s\"\n", __FILE__, __LINE__, \
                    h_ ? h_ : "(null)", n_);                                                       \
        }                                                                                          \
    } while (0)

/* A growing string buffer for generated inputs. */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static inline void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1) nc *= 2;
        b->p = realloc(b->p, nc);
        if (!b->p) {
            perror("realloc");
            exit(2);
        }
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static inline void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
}

static inline void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static uint64_t g_rng = 0x123456789abcdefULL;
static inline uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(g_rng >> 33);
}

static inline int check_summary(void) {
    printf("%ld passed, %ld failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

/* Compare n bytes; on a mismatch print the first differing offset. */
#define CHECK_MEM(a, b, n)                                                                        \
    do {                                                                                          \
        const unsigned char *a_ = (const unsigned char *)(a), *b_ = (const unsigned char *)(b);   \
        size_t n_ = (n), i_ = 0;                                                                  \
        while (i_ < n_ && a_[i_] == b_[i_]) i_++;                                                 \
        if (i_ == n_) {                                                                           \
            g_pass++;                                                                             \
        } else {                                                                                  \
            g_fail++;                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%zu bytes): first difference at %zu\n", \
                    __FILE__, __LINE__, #a, #b, n_, i_);                                          \
        }                                                                                         \
    } while (0)

#endif
