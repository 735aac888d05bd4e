/*
 * internal.h - helpers shared by the core's translation units.
 * Not part of the public API.
 */
#ifndef VF_INTERNAL_H
#define VF_INTERNAL_H

#include "../vf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the SWAR scanners (text/parse.c) assume a little-endian CPU"
#endif

#if defined(__GNUC__)
#define VF_LIKELY(x) __builtin_expect(!!(x), 1)
#define VF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VF_LIKELY(x) (x)
#define VF_UNLIKELY(x) (x)
#define VF_PRINTF(a, b)
#endif

/* Fill err (if not NULL) and return code.  fmt describes the problem; the
 * location fields (file/line/field/text) are set separately. */
vf_status vf_fail(vf_error *err, vf_status code, const char *fmt, ...) VF_PRINTF(3, 4);
/* Reset err to VF_OK with empty strings. */
void vf_error_clear(vf_error *err);
/* Copy at most cap-1 bytes of s[0..n) into dst, escaping control bytes. */
void vf_copy_text(char *dst, size_t cap, const char *s, size_t n);

/* Overflow-checked allocation of n elements of size sz. */
void *vf_malloc_n(size_t n, size_t sz);
void *vf_calloc_n(size_t n, size_t sz);
void *vf_realloc_n(void *p, size_t n, size_t sz);
#define VF_HUGE_PAGE ((size_t)2 << 20)
/* vf_malloc_n for a large array of rows, an output (freed with free(): NumPy
 * adopts it) or scratch.  From 2 MiB up it is aligned to 2 MiB and marked for
 * transparent huge pages: a fresh array is otherwise touched one 4 KiB page
 * fault at a time, which costs as much as writing the rows into it. */
void *vf_malloc_rows(size_t n, size_t sz);
char *vf_strndup(const char *s, size_t n);

/* A growing byte buffer with a sticky out-of-memory flag: after a failed
 * allocation every append is a no-op and `oom` stays set, so an encoder
 * can append freely and check once at the end. */
typedef struct vf_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} vf_buf;

/* Make room for `extra` more bytes; false (and oom set) on failure. */
bool vf_buf_reserve(vf_buf *b, size_t extra);
void vf_buf_free(vf_buf *b);
/* Hand the bytes to the caller (who frees them) and reset b. */
uint8_t *vf_buf_take(vf_buf *b, size_t *len);

static inline void vf_buf_append(vf_buf *b, const void *p, size_t n) {
    if (n == 0 || !vf_buf_reserve(b, n)) return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void vf_buf_push(vf_buf *b, uint8_t c) {
    if (b->len < b->cap || vf_buf_reserve(b, 1)) b->p[b->len++] = c;
}

static inline void vf_buf_put_le32(vf_buf *b, uint32_t v) {
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    vf_buf_append(b, t, 4);
}

/* A bump allocator for many small objects freed together (decoded
 * metadata, say).  Allocations are 8-byte aligned; vf_arena_free releases
 * everything.  Not thread-safe: one arena per owner. */
typedef struct vf_arena_block vf_arena_block;
typedef struct vf_arena {
    vf_arena_block *head;
    size_t used, size;  /* of the head block */
    size_t total;       /* bytes allocated in all blocks */
} vf_arena;

/* n bytes (zeroed), or NULL when out of memory. */
void *vf_arena_alloc(vf_arena *a, size_t n);
/* n elements of size sz (zeroed), overflow-checked. */
void *vf_arena_alloc_n(vf_arena *a, size_t n, size_t sz);
/* A NUL-terminated copy of s[0..n). */
char *vf_arena_strndup(vf_arena *a, const char *s, size_t n);
void vf_arena_free(vf_arena *a);

/* 64-bit hash of a byte string (not cryptographic; fast mixing). */
static inline uint64_t vf_mix64(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

static inline uint64_t vf_load64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t vf_hash_bytes(const char *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    while (n >= 8) {
        h = vf_mix64(h ^ vf_load64(p));
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t t = 0;
        memcpy(&t, p, n);
        h = vf_mix64(h ^ t ^ 0xff51afd7ed558ccdULL);
    }
    return h;
}

/* A run of work items spread over at most VF_MAX_THREADS threads.
 * fn(ctx, i, worker) is called once for each i in [0, n); items are
 * claimed in order; worker (0 .. threads-1) names the thread, so a caller
 * can keep per-thread scratch space.  Always completes every item: if
 * threads cannot be started the calling thread does the rest. */
#define VF_MAX_THREADS 64
typedef void (*vf_work_fn)(void *ctx, size_t i, int worker);
vf_status vf_parallel_for(size_t n, int threads, vf_work_fn fn, void *ctx);

#endif
