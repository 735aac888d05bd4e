/* util.c - errors, checked allocation, and the parallel-for runner. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>

const char *vf_status_name(vf_status s) {
    switch (s) {
    case VF_OK: return "ok";
    case VF_ENOMEM: return "out of memory";
    case VF_EIO: return "I/O error";
    case VF_EPARSE: return "parse error";
    case VF_ECODEC: return "corrupt compressed data";
    case VF_EARG: return "invalid argument";
    case VF_EFORMAT: return "unsupported input format";
    }
    return "unknown error";
}

const char *vf_type_name(vf_type t) {
    switch (t) {
    case VF_T_INT32: return "int32";
    case VF_T_INT64: return "int64";
    case VF_T_STRING: return "string";
    case VF_T_ADDR: return "address";
    case VF_T_BOOL: return "bool";
    case VF_T_FLOAT32: return "float32";
    case VF_T_FLOAT64: return "float64";
    case VF_T_BINARY: return "binary";
    case VF_T_INT8: return "int8";
    case VF_T_INT16: return "int16";
    case VF_T_UINT8: return "uint8";
    case VF_T_UINT16: return "uint16";
    case VF_T_UINT32: return "uint32";
    case VF_T_UINT64: return "uint64";
    }
    return "?";
}

void vf_error_clear(vf_error *err) {
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->offset = -1;
}

vf_status vf_fail(vf_error *err, vf_status code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void vf_copy_text(char *dst, size_t cap, const char *s, size_t n) {
    size_t j = 0;
    if (cap == 0) return;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            if (j + 4 >= cap) break;
            static const char hex[] = "0123456789abcdef";
            dst[j++] = '\\';
            dst[j++] = 'x';
            dst[j++] = hex[c >> 4];
            dst[j++] = hex[c & 15];
        } else {
            dst[j++] = (char)c;
        }
    }
    dst[j] = 0;
}

void *vf_malloc_n(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    return malloc(n && sz ? n * sz : 1);
}

void *vf_malloc_rows(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / 2 / sz) return NULL;
    size_t bytes = n * sz;
    if (bytes < VF_HUGE_PAGE) return malloc(bytes ? bytes : 1);
    void *p = NULL;
    size_t rounded = (bytes + VF_HUGE_PAGE - 1) & ~(VF_HUGE_PAGE - 1);
    if (posix_memalign(&p, VF_HUGE_PAGE, rounded) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    return p;
}

void *vf_calloc_n(size_t n, size_t sz) {
    if (n == 0 || sz == 0) return calloc(1, 1);
    return calloc(n, sz);
}

void *vf_realloc_n(void *p, size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    return realloc(p, n && sz ? n * sz : 1);
}

char *vf_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

size_t vf_type_width(vf_type t) {
    switch (t) {
    case VF_T_BOOL: case VF_T_INT8: case VF_T_UINT8: return 1;
    case VF_T_INT16: case VF_T_UINT16: return 2;
    case VF_T_INT64: case VF_T_UINT64: case VF_T_FLOAT64: return 8;
    default: return 4; /* int32, uint32, float32, and the int32 codes of dictionary types */
    }
}

bool vf_type_is_dict(vf_type t) { return t == VF_T_STRING || t == VF_T_ADDR || t == VF_T_BINARY; }

/* ---- growing buffers ---------------------------------------------- */
bool vf_buf_reserve(vf_buf *b, size_t extra) {
    if (b->oom) return false;
    if (extra <= b->cap - b->len) return true;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void vf_buf_free(vf_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

uint8_t *vf_buf_take(vf_buf *b, size_t *len) {
    uint8_t *p = b->p;
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

/* ---- arenas ------------------------------------------------------- */
struct vf_arena_block {
    vf_arena_block *next;
    max_align_t data[];
};

void *vf_arena_alloc(vf_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (n == 0) n = 8;
    if (!a->head || a->size - a->used < n) {
        size_t size = a->size ? a->size * 2 : 4096;
        if (size > (1u << 20)) size = 1u << 20;
        if (size < n) size = n;
        if (size > SIZE_MAX - sizeof(vf_arena_block)) return NULL;
        vf_arena_block *b = malloc(sizeof *b + size);
        if (!b) return NULL;
        b->next = a->head;
        a->head = b;
        a->size = size;
        a->used = 0;
        a->total += size;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void *vf_arena_alloc_n(vf_arena *a, size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    return vf_arena_alloc(a, n * sz);
}

char *vf_arena_strndup(vf_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX) return NULL;
    char *d = vf_arena_alloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void vf_arena_free(vf_arena *a) {
    vf_arena_block *b = a->head;
    while (b) {
        vf_arena_block *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof *a);
}

/* ---- parallel for ------------------------------------------------- */
typedef struct {
    atomic_size_t next;
    size_t n;
    vf_work_fn fn;
    void *ctx;
} vf_pfor;

typedef struct {
    vf_pfor *pf;
    int worker;
} vf_pfor_arg;

static void *pfor_worker(void *arg) {
    vf_pfor_arg *a = arg;
    vf_pfor *pf = a->pf;
    for (;;) {
        size_t i = atomic_fetch_add(&pf->next, 1);
        if (i >= pf->n) break;
        pf->fn(pf->ctx, i, a->worker);
    }
    return NULL;
}

vf_status vf_parallel_for(size_t n, int threads, vf_work_fn fn, void *ctx) {
    vf_pfor pf;
    atomic_init(&pf.next, 0);
    pf.n = n;
    pf.fn = fn;
    pf.ctx = ctx;
    if (threads > VF_MAX_THREADS) threads = VF_MAX_THREADS;
    if ((size_t)threads > n) threads = (int)n;
    vf_pfor_arg args[VF_MAX_THREADS];
    args[0] = (vf_pfor_arg){&pf, 0};
    if (threads <= 1) {
        pfor_worker(&args[0]);
        return VF_OK;
    }
    pthread_t tid[VF_MAX_THREADS];
    int started = 0;
    for (int t = 1; t < threads; t++) {
        /* A thread that cannot start only means less parallelism: the
         * calling thread below finishes whatever is left. */
        args[t] = (vf_pfor_arg){&pf, t};
        if (pthread_create(&tid[started], NULL, pfor_worker, &args[t]) != 0) break;
        started++;
    }
    pfor_worker(&args[0]); /* the calling thread works too, as worker 0 */
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    return VF_OK;
}
