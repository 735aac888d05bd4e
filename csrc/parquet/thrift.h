/*
 * thrift.h - the Thrift compact protocol, as Parquet metadata uses it
 * (internal; written from the protocol's specification,
 * apache/thrift doc/specs/thrift-compact-protocol.md).
 *
 * Only the primitives: varints, zigzag integers, binary, field and list
 * headers, and skipping a value of any type.  meta.c maps them onto
 * Parquet's structures.
 *
 * The reader takes untrusted bytes.  Every read is bounds-checked, a
 * varint may not be longer than 10 bytes nor overflow its type, a count
 * may not exceed what the remaining bytes could hold, and nesting is
 * limited to TH_MAX_DEPTH so that skipping cannot exhaust the stack.  A
 * failure is VF_EFORMAT with a message "<struct>.<field>: <problem> at
 * byte <offset>", the names taken from the reader's `st` and `field`
 * (set by the caller as it goes) and the offset counted from `base`;
 * err->offset gets the offset too.
 *
 * The writer appends to a vf_buf (whose oom flag is sticky: check once).
 */
#ifndef VF_PQ_THRIFT_H
#define VF_PQ_THRIFT_H

#include "../common/internal.h"

/* Wire types: of a field in its header, of a list's elements.  A bool
 * field carries its value in the type (TRUE or FALSE); a bool list element
 * is one byte (1 true, 0 or 2 false), its list's element type either. */
enum {
    TH_STOP = 0, TH_TRUE = 1, TH_FALSE = 2, TH_I8 = 3, TH_I16 = 4, TH_I32 = 5, TH_I64 = 6, TH_DOUBLE = 7,
    TH_BINARY = 8, TH_LIST = 9, TH_SET = 10, TH_MAP = 11, TH_STRUCT = 12, TH_UUID = 13
};

/* Structs, lists and maps nested deeper than this are an error.  Parquet's
 * own metadata nests about 8 deep. */
#define TH_MAX_DEPTH 64

typedef struct th_reader {
    const uint8_t *base, *p, *end;
    int depth;
    const char *st, *field; /* what is being read, for messages (NULL: unnamed) */
    vf_error *err;
} th_reader;

static inline void th_init(th_reader *r, const uint8_t *p, size_t n, vf_error *err) {
    r->base = r->p = p;
    r->end = p + n;
    r->depth = 0;
    r->st = r->field = NULL;
    r->err = err;
}

static inline size_t th_left(const th_reader *r) { return (size_t)(r->end - r->p); }
static inline size_t th_pos(const th_reader *r) { return (size_t)(r->p - r->base); }

/* VF_EFORMAT with "<st>.<field>: <fmt> at byte <pos>". */
vf_status th_fail(th_reader *r, size_t pos, const char *fmt, ...) VF_PRINTF(3, 4);

/* Count one more level of nesting (fails past TH_MAX_DEPTH); th_leave undoes it. */
vf_status th_enter(th_reader *r);
static inline void th_leave(th_reader *r) { r->depth--; }

vf_status th_byte(th_reader *r, uint8_t *v);
vf_status th_varint(th_reader *r, uint64_t *v);
vf_status th_i16(th_reader *r, int16_t *v);
vf_status th_i32(th_reader *r, int32_t *v);
vf_status th_i64(th_reader *r, int64_t *v);
/* A binary or string value: *p points into the input (never NULL, even
 * when *n == 0). */
vf_status th_binary(th_reader *r, const uint8_t **p, size_t *n);
/* The next field header of a struct: *type TH_STOP at its end, else the
 * field's wire type and id.  *last is the previous field's id (0 at the
 * start of the struct), which short-form headers are relative to. */
vf_status th_field(th_reader *r, int *last, int *type, int *id);
/* A list (or set) header: element wire type and count.  The count is at
 * most the remaining bytes divided by min_elem (every element takes at
 * least one byte), so it is safe to allocate for. */
vf_status th_list(th_reader *r, int *etype, size_t *count, size_t min_elem);
/* Skip a value of wire type `type`: a field's value (elem false: a bool
 * field has none) or a list, set or map element (elem true). */
vf_status th_skip(th_reader *r, int type, bool elem);
/* "i32", "struct", ... for messages. */
const char *th_type_name(int type);

/* ---- writing ---------------------------------------------------------------- */
void th_put_varint(vf_buf *b, uint64_t v);
static inline void th_put_i32(vf_buf *b, int32_t v) {
    th_put_varint(b, ((uint32_t)v << 1) ^ (v < 0 ? UINT32_MAX : 0));
}
static inline void th_put_i64(vf_buf *b, int64_t v) {
    th_put_varint(b, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}
/* A field header: the short form when the id is 1..15 above *last, which
 * then becomes id. */
void th_put_field(vf_buf *b, int type, int id, int *last);
/* A list header: the short form below 15 elements. */
void th_put_list(vf_buf *b, int etype, size_t n);
static inline void th_put_binary(vf_buf *b, const void *p, size_t n) {
    th_put_varint(b, n);
    vf_buf_append(b, p, n);
}
static inline void th_put_stop(vf_buf *b) { vf_buf_push(b, TH_STOP); }

#endif
