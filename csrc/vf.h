/*
 * vf.h - the public header of libvpcflow, the C core of vpcflow.
 *
 * Pure C11, no Python. Every entry point is reentrant: there is no global
 * mutable state, errors are returned as values (vf_status plus a vf_error
 * that names the file, line, byte offset, field and offending text).
 *
 * Data model (see DESIGN.md):
 *   - int32 / int64 columns: a value array plus an optional validity array
 *     (1 = valid, 0 = null; NULL when the column has no nulls);
 *   - string and address columns are dictionary-encoded: int32 codes into a
 *     vf_dict, code -1 meaning null.  Address dictionaries hold 16-byte
 *     network-order addresses plus a family byte (4 or 6); IPv4 addresses
 *     are stored IPv4-mapped (::ffff:a.b.c.d) with family 4, so an IPv6
 *     "::ffff:1.2.3.4" stays distinct from the IPv4 "1.2.3.4".
 */
#ifndef VF_H
#define VF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VF_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */
typedef enum vf_status {
    VF_OK = 0,
    VF_ENOMEM,   /* allocation failed */
    VF_EIO,      /* open/read/stat failed */
    VF_EPARSE,   /* a record or header could not be parsed */
    VF_ECODEC,   /* corrupt or truncated compressed stream */
    VF_EARG,     /* bad argument from the caller */
    VF_EFORMAT   /* input is not flow-log text (e.g. a Parquet file) */
} vf_status;

#define VF_ERR_MSG 1024
#define VF_ERR_FIELD 96
#define VF_ERR_TEXT 256

typedef struct vf_error {
    vf_status code;
    int64_t line;              /* 1-based line number, 0 if not applicable */
    int64_t offset;            /* byte offset in the (decompressed) text, -1 if n/a */
    char file[512];            /* file or buffer name */
    char field[VF_ERR_FIELD];  /* field (column) name, "" if n/a */
    char text[VF_ERR_TEXT];    /* offending text, truncated */
    char msg[VF_ERR_MSG];      /* full human-readable message */
} vf_error;

const char *vf_status_name(vf_status s);

/* ------------------------------------------------------------------ */
/* Types and the known flow-log fields                                 */
/* ------------------------------------------------------------------ */
/* Column types.  The flow-log parser produces the first four; the Parquet
 * reader produces any of them.  Every non-dictionary type is a plain
 * value array of vf_type_width() bytes per row (bool: one byte, 0 or 1)
 * plus the optional validity array; STRING, ADDR and BINARY are
 * dictionary-encoded (int32 codes, -1 null).  A BINARY dictionary is a
 * string dictionary whose entries need not be UTF-8. */
typedef enum vf_type {
    VF_T_INT32 = 1,
    VF_T_INT64 = 2,
    VF_T_STRING = 3,
    VF_T_ADDR = 4,
    VF_T_BOOL = 5,
    VF_T_FLOAT32 = 6,
    VF_T_FLOAT64 = 7,
    VF_T_BINARY = 8,
    VF_T_INT8 = 9,
    VF_T_INT16 = 10,
    VF_T_UINT8 = 11,
    VF_T_UINT16 = 12,
    VF_T_UINT32 = 13,
    VF_T_UINT64 = 14
} vf_type;

const char *vf_type_name(vf_type t);
/* Bytes per row of the value array (4 for the int32 codes of dictionary types). */
size_t vf_type_width(vf_type t);
/* STRING, ADDR and BINARY. */
bool vf_type_is_dict(vf_type t);

typedef struct vf_known_field {
    const char *header;  /* name in the log header, e.g. "log-status" */
    const char *column;  /* column name, e.g. "log_status" */
    vf_type type;
    int version;         /* format version that introduced it */
} vf_known_field;

/* The table of known fields in canonical order; *n receives its length. */
const vf_known_field *vf_known_fields(size_t *n);
/* Index into vf_known_fields() of a header or column name, or -1. */
int vf_known_field_index(const char *name, size_t len);

/* ------------------------------------------------------------------ */
/* Field parsers (exposed for tests and for other decoders)            */
/* ------------------------------------------------------------------ */
/* Return 0 on success, -1 if the text is not a valid value. */
int vf_parse_int64(const char *p, size_t n, int64_t *out);
int vf_parse_int32(const char *p, size_t n, int32_t *out);
/* addr: 16 bytes, network order; *family receives 4 or 6. */
int vf_parse_ipv4(const char *p, size_t n, uint8_t addr[16]);
int vf_parse_ipv6(const char *p, size_t n, uint8_t addr[16]);
int vf_parse_addr(const char *p, size_t n, uint8_t addr[16], uint8_t *family);
/* Canonical text (dotted quad, RFC 5952 for IPv6).  buf >= 46 bytes.
 * Returns the length written (not counting the NUL). */
size_t vf_format_addr(const uint8_t addr[16], uint8_t family, char *buf);

/* ------------------------------------------------------------------ */
/* Dictionaries                                                        */
/* ------------------------------------------------------------------ */
typedef struct vf_dict vf_dict;

vf_dict *vf_dict_new(vf_type type);
void vf_dict_free(vf_dict *d);
int32_t vf_dict_size(const vf_dict *d);
vf_type vf_dict_type(const vf_dict *d);
/* Make room for n more entries (and, for strings, data_bytes more bytes of
 * them) so that inserting them rehashes nothing; false when out of memory. */
bool vf_dict_reserve(vf_dict *d, size_t n, size_t data_bytes);
/* Insert (or find) a value; returns its code, or -1 on allocation failure. */
int32_t vf_dict_put_str(vf_dict *d, const char *s, size_t n);
int32_t vf_dict_put_addr(vf_dict *d, const uint8_t addr[16], uint8_t family);
/* An IPv4 address given as its 32-bit value (a.b.c.d = a << 24 | ...). */
int32_t vf_dict_put_ipv4(vf_dict *d, uint32_t addr);
/* String dictionaries: entry i is data[offsets[i] .. offsets[i+1]). */
const int64_t *vf_dict_offsets(const vf_dict *d);
const char *vf_dict_data(const vf_dict *d);
/* Address dictionaries: 16 bytes per entry, and one family byte each. */
const uint8_t *vf_dict_addrs(const vf_dict *d);
const uint8_t *vf_dict_families(const vf_dict *d);

/* ------------------------------------------------------------------ */
/* Buffer pool                                                         */
/* ------------------------------------------------------------------ */
/* A thread-safe cache of large row buffers (common/pool.c): blocks given
 * back are kept, up to `keep` bytes, oldest dropped first, and handed out
 * again to a request of the same rounded size instead of fresh memory the
 * kernel must zero.  Reference counted: vf_pool_new() returns one
 * reference, the last vf_pool_unref() frees the pool and what it keeps. */
typedef struct vf_pool vf_pool;
typedef struct vf_pool_info {
    size_t keep;      /* the limit, bytes */
    size_t kept;      /* bytes held now */
    int blocks;       /* blocks held now */
    int64_t hits;     /* requests served from the pool */
    int64_t misses;   /* requests (of a poolable size) that were not */
    int64_t given;    /* blocks taken back */
    int64_t freed;    /* blocks dropped to stay within the limit */
} vf_pool_info;

vf_pool *vf_pool_new(size_t keep);
vf_pool *vf_pool_ref(vf_pool *p);
void vf_pool_unref(vf_pool *p);
/* Change the limit; what is over it is freed now (0: keep nothing). */
void vf_pool_set_keep(vf_pool *p, size_t keep);
/* n rows of sz bytes, as vf_malloc_rows(n, sz) allocates them (free() may
 * free the block); p NULL: simply that.  NULL when out of memory. */
void *vf_pool_rows(vf_pool *p, size_t n, size_t sz);
/* Give back a block that vf_pool_rows(any pool or NULL, n, sz) returned,
 * with the same n and sz: kept for reuse, or freed. */
void vf_pool_give(vf_pool *p, void *block, size_t n, size_t sz);
void vf_pool_stats(vf_pool *p, vf_pool_info *out);

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */
typedef struct vf_column {
    char *name;
    vf_type type;
    char *logical;    /* NULL, or a logical type over the storage type (Parquet reader):
                         "timestamp[us, UTC]", "date32", "decimal(9,2)", ... */
    int64_t null_count;
    void *values;     /* int32_t*, int64_t*, or int32_t* codes for dict types */
    uint8_t *valid;   /* ints only: NULL when no nulls */
    vf_dict *dict;    /* string/address only */
    vf_pool *pool;    /* not NULL: values (nrows x width) and valid (nrows x 1) came from
                         vf_pool_rows(pool, ...) and may be given back to it */
} vf_column;

/* A borrowed, read-only view of one column, for code that consumes columns
 * it did not produce (the Parquet writer, the query kernels): the Python
 * layer's NumPy arrays, passed without copies.  Dictionaries are given as
 * raw arrays, not a vf_dict. */
typedef struct vf_colview {
    const char *name;
    vf_type type;
    const char *logical;       /* NULL, or as vf_column.logical */
    int64_t null_count;
    const void *values;        /* vf_type_width(type) bytes per row; int32 codes (-1 null) for dictionary types */
    const uint8_t *valid;      /* value types: 1 valid, 0 null; NULL when no nulls */
    int32_t dict_n;            /* dictionary types: number of entries */
    const int64_t *dict_offsets; /* STRING/BINARY: entry i is dict_data[dict_offsets[i] .. dict_offsets[i+1]) */
    const char *dict_data;
    const uint8_t *dict_addrs; /* ADDR: 16 bytes per entry (IPv4 mapped), and one family byte (4 or 6) each */
    const uint8_t *dict_fams;
} vf_colview;

typedef struct vf_bad_record {
    int32_t source;   /* index into the sources */
    int64_t line;     /* 1-based; JSON input: the record's position (see vf_read) */
    int64_t offset;   /* JSON input: byte offset of the record in the decompressed object; else -1 */
    char *field;      /* NULL when the whole line is wrong */
    char *text;       /* the raw line (truncated to max_bad_text bytes) */
    char *message;
} vf_bad_record;

typedef struct vf_report {
    int64_t files;
    int64_t lines;         /* non-blank lines seen, headers included */
    int64_t rows;
    int64_t bad_lines;
    int64_t header_lines;
    int64_t blank_lines;
    int64_t ms_fixed;      /* start/end values converted from milliseconds */
    int64_t bytes_in;      /* bytes read from disk or given */
    int64_t bytes_text;    /* bytes of text after decompression */
    int64_t payloads;      /* CloudWatch Logs subscription payloads read (data and control) */
    int64_t control_messages; /* CONTROL_MESSAGE payloads among them (no records) */
    int64_t messages;      /* log events and Firehose records read, each one flow-log line */
    int64_t nbad_kept;
    vf_bad_record *bad;    /* the first nbad_kept bad records */
} vf_report;

typedef struct vf_table {
    int64_t nrows;
    int ncols;
    vf_column *cols;
    vf_report report;
} vf_table;

void vf_table_free(vf_table *t);

/* ------------------------------------------------------------------ */
/* Reading flow-log text                                               */
/* ------------------------------------------------------------------ */
typedef struct vf_source {
    const char *name;   /* path, or a display name for in-memory data */
    const void *data;   /* NULL: read the file `name`; else in-memory bytes */
    size_t len;
} vf_source;

enum { VF_ON_ERROR_RAISE = 0, VF_ON_ERROR_SKIP = 1 };

typedef struct vf_read_opts {
    const char *const *fields;  /* header-less input's fields (header or column names); NULL: v2 default */
    size_t nfields;
    int on_error;               /* VF_ON_ERROR_* */
    int threads;                /* <= 0: 1 */
    size_t chunk_size;          /* text bytes per parse batch; 0: default (8 MiB) */
    size_t max_bad_kept;        /* bad records kept in the report; 0: default (100000) */
    size_t max_bad_text;        /* bytes of each bad line kept; 0: default (4096) */
} vf_read_opts;

void vf_read_opts_init(vf_read_opts *o);

/* Parse every source into one table.  On VF_OK *out owns the result
 * (free with vf_table_free).  On error *out is NULL and err says why.
 *
 * What each source holds is sniffed from its bytes after decompression
 * (gzip, zstd): flow-log text; JSON (first non-blank byte '{' or '[',
 * and a first line that is not a valid record in opts->fields' format):
 * CloudWatch Logs subscription payloads, as they are, concatenated (as
 * Firehose writes them to S3) or in Lambda, Kinesis and Firehose events,
 * and Firehose direct-delivery records {"message": ...}; base64 lines of
 * gzip'd payloads (one record per line); Parquet is refused.  Each message
 * of a JSON source is a header-less line in opts->fields' format, parsed
 * by the same rules as text; CloudWatch payloads add the columns
 * log_group, log_stream (strings) and event_timestamp (int64, ms).  A JSON
 * source's lines are numbered by record: line n is its n-th log event or
 * Firehose record, and its bad records carry their byte offset.  See
 * json/payload.h for the shapes and the error rules. */
vf_status vf_read(const vf_source *src, size_t nsrc, const vf_read_opts *opts,
                  vf_table **out, vf_error *err);

/* Parse an AWS LogFormat string ("${version} ${account-id} ...") into field
 * names.  Writes up to max pointers into names (pointing into buf, which
 * receives a NUL-separated copy, size >= strlen(fmt)+1); *n gets the count. */
vf_status vf_parse_log_format(const char *fmt, char *buf, const char **names,
                              size_t max, size_t *n, vf_error *err);

/* ------------------------------------------------------------------ */
/* Codecs                                                              */
/* ------------------------------------------------------------------ */
typedef enum vf_codec { VF_CODEC_NONE = 0, VF_CODEC_GZIP, VF_CODEC_ZSTD, VF_CODEC_SNAPPY } vf_codec;

/* Sniff a compressed container by magic bytes (gzip, zstd frame). */
vf_codec vf_sniff(const void *p, size_t n);
/* A decompressing reader over an in-memory gzip (every member) or zstd
 * stream.  vf_dstream_read fills out[0..cap) as far as it can; *eof is set
 * once everything is delivered.  On a corrupt or truncated stream it
 * returns VF_ECODEC (err names the byte offset) after delivering every
 * byte decoded before the damage.  `name` is used in error messages. */
typedef struct vf_dstream vf_dstream;
vf_dstream *vf_dstream_open(vf_codec c, const void *in, size_t n, const char *name);
vf_status vf_dstream_read(vf_dstream *s, char *out, size_t cap, size_t *got, bool *eof, vf_error *err);
void vf_dstream_close(vf_dstream *s);
/* Decompress a whole gzip (all members) or zstd stream into a new malloc'd
 * buffer (on VF_ECODEC *out holds what was decoded before the damage). */
vf_status vf_decompress(vf_codec c, const void *in, size_t n, const char *name,
                        char **out, size_t *outlen, vf_error *err);
/* Raw snappy block compression and decompression. */
vf_status vf_snappy_compress(const void *in, size_t n, char **out, size_t *outlen, vf_error *err);
vf_status vf_snappy_decompress(const void *in, size_t n, char **out, size_t *outlen, vf_error *err);
/* Which gzip implementation was compiled in: "isa-l" or "zlib". */
const char *vf_gzip_backend(void);

#ifdef __cplusplus
}
#endif
#endif /* VF_H */
