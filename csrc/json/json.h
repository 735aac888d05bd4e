/*
 * json.h - a small pull scanner for JSON text and a base64 decoder: what
 * the payload layer (payload.h) needs to take flow-log messages out of
 * CloudWatch Logs subscription payloads and Firehose records (internal).
 *
 * The scanner walks a buffer [p, end) value by value: the caller enters an
 * object or array and asks for its members or elements one at a time,
 * reads the strings and integers it wants and skips the rest.  It checks
 * the JSON grammar (RFC 8259) of everything it passes over, skipped values
 * included: strings are unescaped exactly (\" \\ \/ \b \f \n \r \t \uXXXX,
 * surrogate pairs to one UTF-8 sequence); an invalid escape, a lone
 * surrogate, a raw control character, an unterminated string, a bad
 * number or literal, a mismatched bracket or nesting deeper than
 * VF_JSON_MAX_DEPTH is an error.  Raw bytes >= 0x80 in strings are passed
 * through unchecked (the flow-log parser treats text the same way).
 *
 * Every read is bounds-checked against end; nothing recurses (skipping
 * nested values keeps its own small stack), so no input can make the
 * scanner crash, hang or use unbounded stack.  The first error sticks: its
 * message (static text) and position are kept, and every later call fails.
 */
#ifndef VF_JSON_H
#define VF_JSON_H

#include "../common/internal.h"

/* Containers open at once, the caller's and skipped ones together. */
#define VF_JSON_MAX_DEPTH 64

typedef enum vf_jkind {
    VF_J_NONE = 0, /* the end of the text, or a byte that starts no value */
    VF_J_OBJECT,
    VF_J_ARRAY,
    VF_J_STRING,
    VF_J_NUMBER,
    VF_J_TRUE,
    VF_J_FALSE,
    VF_J_NULL
} vf_jkind;

typedef struct vf_jscan {
    const char *base;      /* start of the text: offsets count from here */
    const char *p;         /* the cursor */
    const char *end;
    int depth;             /* containers the caller has entered */
    const char *err;       /* the first error (static text), NULL if none */
    const char *err_at;    /* where it was found */
    bool truncated;        /* the error is that the text ended too soon */
    bool touched_end;      /* a number ran up to end (more digits may follow) */
} vf_jscan;

/* A string: s[0..n), pointing into the text when it had no escapes, else
 * into the caller's scratch buffer. */
typedef struct vf_jstr {
    const char *s;
    size_t n;
} vf_jstr;

void vf_jscan_init(vf_jscan *j, const char *p, size_t n);
/* Skip whitespace; false at the end of the text. */
bool vf_jws(vf_jscan *j);
/* The kind of the next value (after whitespace), without consuming it. */
vf_jkind vf_jpeek(vf_jscan *j);
const char *vf_jkind_name(vf_jkind k);
static inline size_t vf_joffset(const vf_jscan *j, const char *at) { return (size_t)(at - j->base); }

/* Objects: vf_jobject consumes '{'; then vf_jmember(j, i, ...) for i = 0,
 * 1, ... gives 1 with the next key (unescaped) and consumes its ':', 0
 * when '}' has been consumed, -1 on error.  The caller reads or skips
 * each member's value before asking for the next. */
bool vf_jobject(vf_jscan *j);
int vf_jmember(vf_jscan *j, size_t i, vf_jstr *key, vf_buf *scratch);
/* Arrays, the same way: vf_jelement gives 1 when an element follows. */
bool vf_jarray(vf_jscan *j);
int vf_jelement(vf_jscan *j, size_t i);

/* A string value, unescaped (into scratch only when it has escapes). */
bool vf_jstring(vf_jscan *j, vf_jstr *out, vf_buf *scratch);
/* A string value, unescaped and appended to out. */
bool vf_jstring_to(vf_jscan *j, vf_buf *out);
/* A number value, checked against the grammar: its text s[0..n), and
 * whether it is an integer (no fraction, no exponent). */
bool vf_jnumber(vf_jscan *j, const char **s, size_t *n, bool *is_int);
/* Any value, checked and skipped. */
bool vf_jskip(vf_jscan *j);
/* Record an error at `at` (the caller's own, e.g. a wrong type); the
 * first error sticks.  Always returns false. */
bool vf_jfail(vf_jscan *j, const char *at, const char *what);

/* Unescape the body of a JSON string (the bytes between the quotes),
 * appending the UTF-8 to out.  Returns NULL, or what is wrong (*at: its
 * offset in s).  Exposed for the tests. */
const char *vf_json_unescape(const char *s, size_t n, vf_buf *out, size_t *at);

/* ------------------------------------------------------------------ */
/* base64                                                              */
/* ------------------------------------------------------------------ */
/* Decode standard base64 (RFC 4648 alphabet A-Z a-z 0-9 + /), appending
 * to out.  Whitespace (space, tab, CR, LF) is ignored anywhere.  Padding
 * is optional, but when present it must complete the last group of four;
 * nothing but whitespace may follow it.  A final group of one character,
 * a non-zero bit left over in the last group (a non-canonical encoding),
 * or any other byte is an error.  Returns NULL, or what is wrong (*at: its
 * offset in s).  out keeps what was decoded before the error. */
const char *vf_base64_decode(const char *s, size_t n, vf_buf *out, size_t *at);

#endif
