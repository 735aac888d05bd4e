/*
 * read.c - vf_read: sources -> tasks -> batches (in parallel) -> one table.
 *
 * Planning: every source is one task, except a large uncompressed file,
 * which is split into byte ranges of about chunk_size so that one big file
 * still uses every thread.  A task loads its bytes (mmap for files,
 * decompressing gzip/zstd whole), finds the header, and parses its text in
 * pieces of about chunk_size, so a batch's arrays stay small.
 *
 * Merging: batches are taken in source order; the columns are the union of
 * every batch's columns (known fields in canonical order, then the others
 * in order of appearance), a batch lacking a column contributing nulls.
 * Dictionaries are merged per column and codes remapped, columns in
 * parallel.  Line numbers of range tasks are fixed up from the newline
 * counts of the tasks before them, and a range whose starting header is
 * not the one its predecessor ended with is parsed again.
 *
 * What a source holds is sniffed from its bytes after decompression:
 * flow-log text, JSON or base64 payloads (CloudWatch Logs subscriptions,
 * Firehose records: read through json/payload.h into the same batches),
 * or Parquet (refused).  An object of payloads is one task.
 */
#include "../json/payload.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CHUNK (8u << 20)

void vf_read_opts_init(vf_read_opts *o) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
}

/* ================================================================== */
/* Loading a source                                                    */
/* ================================================================== */
typedef struct loaded {
    const char *text;      /* the text to parse */
    size_t len;
    void *map;             /* mmap'd file, or NULL */
    size_t maplen;
} loaded;

static void unload(loaded *l) {
    if (l->map) munmap(l->map, l->maplen);
    memset(l, 0, sizeof *l);
}

static vf_status map_file(const char *path, void **map, size_t *len, vf_error *err) {
    *map = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vf_fail(err, VF_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vf_fail(err, VF_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vf_fail(err, VF_EIO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return VF_OK;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) return vf_fail(err, VF_EIO, "%s: cannot map: %s", path, strerror(e));
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    *map = m;
    *len = (size_t)st.st_size;
    return VF_OK;
}

/* The raw bytes of a source: mapped from its file, or the caller's. */
static vf_status load_source(const vf_source *s, loaded *l, vf_error *err) {
    memset(l, 0, sizeof *l);
    if (s->data) {
        l->text = s->data;
        l->len = s->len;
    } else {
        vf_status st = map_file(s->name, &l->map, &l->maplen, err);
        if (st != VF_OK) return st;
        l->text = l->map ? l->map : "";
        l->len = l->maplen;
    }
    return VF_OK;
}

static bool is_parquet(const char *p, size_t n) { return n >= 4 && memcmp(p, "PAR1", 4) == 0; }

/* How much of the first line the sniff looks at (see sniff). */
#define SNIFF_LINE 65536

/* The first non-blank line of p[0..n), at most SNIFF_LINE bytes of it;
 * false when it may go on past n. */
static bool first_line(const char *p, size_t n, const char **line, size_t *len) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    size_t max = n - i < SNIFF_LINE ? n - i : SNIFF_LINE;
    const char *nl = memchr(p + i, '\n', max);
    *line = p + i;
    *len = nl ? (size_t)(nl - (p + i)) : max;
    return nl || max == SNIFF_LINE;
}

/* What decompressed bytes hold (all of them, or a window's worth with at
 * least the first line, see first_line).  Header-less text may start with
 * '{', '[' or "H4sI" too, as the value of a string field: when the first
 * line is a valid record in the default format (dflt), the source is
 * text, as a line that looks like a header but is a valid record is data. */
static vf_content sniff(const vf_parse_cfg *pcfg, const vf_hdr *dflt, const char *p, size_t n) {
    vf_content k = vf_sniff_content(p, n);
    if (k != VF_CONTENT_JSON && k != VF_CONTENT_BASE64) return k;
    const char *line;
    size_t len;
    first_line(p, n, &line, &len);
    vf_parse_cfg cfg = *pcfg;
    cfg.on_error = VF_ON_ERROR_RAISE;
    vf_batch *b = vf_parse_batch(line, len, dflt, &cfg, 0);
    bool record = b && b->status == VF_OK && b->nrows == 1;
    vf_batch_free(b);
    return record ? VF_CONTENT_TEXT : k;
}

/* Whether an uncompressed file may hold payloads (JSON or base64), which
 * are read whole, not split into ranges (the task decides, see sniff). */
static bool holds_payloads(const char *path) {
    void *m;
    size_t n;
    if (map_file(path, &m, &n, NULL) != VF_OK || !m) return false;
    vf_content k = vf_sniff_content(m, n);
    munmap(m, n);
    return k == VF_CONTENT_JSON || k == VF_CONTENT_BASE64;
}

/* The header in force at the start of text: its first non-blank line if
 * that is a header, else the default. */
static vf_hdr *first_header(const char *text, size_t len, const vf_hdr *dflt, vf_error *err) {
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e--; /* as the line parser does */
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t')) q++;
        if (q < e) {
            if (*q >= 'a' && *q <= 'z') {
                size_t n = (size_t)(e - q);
                vf_error herr;
                vf_error_clear(&herr);
                vf_hdr *h = vf_try_header(q, n, &herr);
                if (h) return h;
            }
            break;
        }
        p = nl ? nl + 1 : end;
    }
    vf_hdr *h = vf_hdr_copy(dflt);
    if (!h) vf_fail(err, VF_ENOMEM, "out of memory");
    return h;
}

/* ================================================================== */
/* Tasks                                                               */
/* ================================================================== */
typedef struct task {
    int src;
    bool range;           /* a byte range of a large plain file */
    size_t off, len;      /* range only */
    /* results */
    vf_batch **batches;
    size_t nbatches;
    vf_status status;     /* load failure (I/O, codec, format, memory) */
    vf_error err;
    int64_t bytes_in, bytes_text;
    int64_t payloads, control, messages; /* JSON input */
    vf_scratch *scratch;  /* the running worker's copy buffer (see reader.scratch) */
    vf_scratch *stream;   /* the running worker's decompression buffer */
} task;

typedef struct reader {
    const vf_source *src;
    const vf_read_opts *opts;
    vf_parse_cfg cfg;
    size_t chunk;
    vf_hdr *dflt;
    task *tasks;
    size_t ntasks;
    atomic_size_t first_failed; /* lowest failed task index (raise mode) */
    /* one copy buffer per worker thread, reused by all its tasks: buffers
     * allocated per task, between the batches' long-lived arrays, leave
     * the heap fragmented (+135 MB retained reading a 228 MB file) */
    vf_scratch scratch[VF_MAX_THREADS];
    vf_scratch stream[VF_MAX_THREADS];
} reader;

static bool push_batch(task *t, vf_batch *b) {
    vf_batch **nb = vf_realloc_n(t->batches, t->nbatches + 1, sizeof *nb);
    if (!nb) {
        vf_batch_free(b);
        return false;
    }
    t->batches = nb;
    t->batches[t->nbatches++] = b;
    return true;
}

static void note_failure(reader *r, size_t ti) {
    size_t cur = atomic_load(&r->first_failed);
    while (ti < cur && !atomic_compare_exchange_weak(&r->first_failed, &cur, ti)) {
    }
}

/* Take a parsed batch into the task: the lines before it (*base, which it
 * advances), and the header it ends with (*hdr, for the next).  Returns
 * false when the task must stop: the batch failed, or no memory. */
static bool take_batch(reader *r, task *t, size_t ti, vf_batch *b, const vf_hdr **hdr, int64_t *base) {
    if (!b) {
        t->status = vf_fail(&t->err, VF_ENOMEM, "out of memory");
        return false;
    }
    b->line_base = *base;
    *base += b->newlines;
    *hdr = b->end_hdr;
    bool failed = b->status != VF_OK;
    if (!push_batch(t, b)) {
        t->status = vf_fail(&t->err, VF_ENOMEM, "out of memory");
        return false;
    }
    if (failed) {
        /* A range after the first was parsed under a guessed header (the
         * file's first): its failure is provisional until vf_read has
         * checked that guess, so it must not stop the tasks after it. */
        if (!(t->range && t->off > 0)) note_failure(r, ti);
        return false;
    }
    return true;
}

/* Parse text (whole lines) in pieces of about chunk bytes, each ending at
 * a newline.  *hdr is the header in force at the start and receives the
 * one at the end (owned by the last batch); *base counts the lines before
 * text in its source.  Returns false when the task must stop. */
static bool parse_pieces(reader *r, task *t, size_t ti, const char *text, size_t len, const vf_hdr **hdrp,
                         int64_t *basep) {
    size_t pos = 0;
    while (pos < len) {
        if (atomic_load(&r->first_failed) < ti) return false;
        size_t want = len - pos > r->chunk ? r->chunk : len - pos;
        size_t stop = pos + want;
        if (stop < len) {
            const char *nl = memchr(text + stop, '\n', len - stop);
            stop = nl ? (size_t)(nl - text) + 1 : len;
        }
        vf_batch *b = vf_parse_batch_with(text + pos, stop - pos, *hdrp, &r->cfg, t->src, t->scratch);
        if (!take_batch(r, t, ti, b, hdrp, basep)) return false;
        pos = stop;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Decompression ahead of parsing                                      */
/* ------------------------------------------------------------------ */
/* When a thread would otherwise sit idle (fewer tasks than threads), a
 * compressed source is decompressed by a producer thread into two slots
 * while the task's thread parses: the two stages overlap.  Otherwise the
 * task's thread reads the stream itself.  Either way the parser sees the
 * same bytes through ahead_read(). */
typedef struct ahead {
    vf_dstream *ds;
    bool threaded;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *slot[2];
    size_t cap, len[2], off;
    bool full[2], last[2];   /* last: the stream ended (or failed) with this slot */
    vf_status st[2];
    vf_error err;            /* the producer's error, for the slot marked last */
    int prod, cons;
    bool stop;
} ahead;

static void *ahead_producer(void *arg) {
    ahead *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (a->full[a->prod] && !a->stop) pthread_cond_wait(&a->cv, &a->mu);
        bool stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop) return NULL;
        int i = a->prod;
        size_t len = 0;
        bool eof = false;
        vf_status st = VF_OK;
        while (len < a->cap && !eof && st == VF_OK) {
            size_t got = 0;
            st = vf_dstream_read(a->ds, a->slot[i] + len, a->cap - len, &got, &eof, &a->err);
            len += got;
        }
        pthread_mutex_lock(&a->mu);
        a->len[i] = len;
        a->last[i] = eof || st != VF_OK;
        a->st[i] = st;
        a->full[i] = true;
        a->prod ^= 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        if (eof || st != VF_OK) return NULL;
    }
}

static void ahead_start(ahead *a, vf_dstream *ds, bool threaded, size_t cap) {
    memset(a, 0, sizeof *a);
    a->ds = ds;
    if (!threaded) return;
    a->cap = cap;
    a->slot[0] = malloc(cap);
    a->slot[1] = malloc(cap);
    if (!a->slot[0] || !a->slot[1]) goto fallback;
    if (pthread_mutex_init(&a->mu, NULL) != 0) goto fallback;
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        goto fallback;
    }
    if (pthread_create(&a->tid, NULL, ahead_producer, a) != 0) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        goto fallback;
    }
    a->threaded = true;
    return;
fallback: /* no thread: read in line, as with one thread */
    free(a->slot[0]);
    free(a->slot[1]);
    a->slot[0] = a->slot[1] = NULL;
}

/* Up to cap bytes of decompressed text, as vf_dstream_read. */
static vf_status ahead_read(ahead *a, char *out, size_t cap, size_t *got, bool *eof, vf_error *err) {
    if (!a->threaded) return vf_dstream_read(a->ds, out, cap, got, eof, err);
    pthread_mutex_lock(&a->mu);
    int i = a->cons;
    while (!a->full[i]) pthread_cond_wait(&a->cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
    size_t n = a->len[i] - a->off;
    if (n > cap) n = cap;
    memcpy(out, a->slot[i] + a->off, n);
    a->off += n;
    *got = n;
    *eof = false;
    vf_status st = VF_OK;
    if (a->off == a->len[i]) {
        if (a->last[i]) {
            st = a->st[i];
            *eof = st == VF_OK;
            if (st != VF_OK && err) *err = a->err;
            return st; /* the final slot stays full: the producer has exited */
        }
        pthread_mutex_lock(&a->mu);
        a->full[i] = false;
        a->off = 0;
        a->cons ^= 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return st;
}

static void ahead_stop(ahead *a) {
    if (a->threaded) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->tid, NULL);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
    }
    free(a->slot[0]);
    free(a->slot[1]);
}

/* ------------------------------------------------------------------ */
/* Windows on a compressed source                                      */
/* ------------------------------------------------------------------ */
/* A compressed source's text, decompressed a window at a time into the
 * worker's stream buffer and parsed as it goes: memory stays bounded by
 * the buffer, whatever the file's size.  A line or record longer than the
 * buffer grows it. */
typedef struct window {
    ahead ah;
    vf_scratch *sb;       /* the window is sb->buf[0 .. len) */
    size_t len;
    bool eof;
    vf_status st;         /* the stream failed (err says why): no more bytes */
    vf_error *err;
    int64_t *bytes_text;
} window;

/* Read on until `target` bytes (at most the buffer) are in, or the stream ends or fails. */
static void win_fill(window *w, size_t target) {
    if (target > w->sb->cap) target = w->sb->cap;
    while (!w->eof && w->st == VF_OK && w->len < target) {
        size_t got = 0;
        w->st = ahead_read(&w->ah, w->sb->buf + w->len, w->sb->cap - w->len, &got, &w->eof, w->err);
        w->len += got;
        *w->bytes_text += (int64_t)got;
    }
}

/* Read on: up to a chunk of text, or at least a byte more when the window
 * holds that much already (it grew for a long line). */
static void win_more(window *w, size_t chunk) {
    size_t target = w->sb->cap < chunk ? w->sb->cap : chunk;
    win_fill(w, target <= w->len ? w->len + 1 : target);
}

/* Twice the room: the window is full of one line or record. */
static bool win_grow(window *w) {
    size_t cap = w->sb->cap;
    char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(w->sb->buf, cap * 2);
    if (!nb) return false;
    w->sb->buf = nb;
    w->sb->cap = cap * 2;
    return true;
}

/* Forget the first n bytes (parsed). */
static void win_drop(window *w, size_t n) {
    memmove(w->sb->buf, w->sb->buf + n, w->len - n);
    w->len -= n;
}

/* The flow-log text of a compressed source: whole lines only, but all of
 * it at the end of a good stream; after damage the partial last line is
 * reported with the codec error. */
static void stream_text(reader *r, task *t, size_t ti, window *w, const char *name) {
    vf_error herr;
    vf_error_clear(&herr);
    vf_hdr *first = first_header(w->sb->buf, w->len, r->dflt, &herr);
    if (!first) {
        w->st = vf_fail(w->err, VF_ENOMEM, "%s: out of memory", name);
        return;
    }
    const vf_hdr *hdr = first;
    int64_t base = 0;
    for (;;) {
        size_t upto = w->len;
        if (!(w->eof && w->st == VF_OK)) {
            const char *nl = w->len ? memrchr(w->sb->buf, '\n', w->len) : NULL;
            upto = nl ? (size_t)(nl - w->sb->buf) + 1 : 0;
        }
        if (upto == 0 && w->st == VF_OK && !w->eof) {
            if (!win_grow(w)) {
                w->st = vf_fail(w->err, VF_ENOMEM, "%s: out of memory (a line longer than %zu bytes)", name, w->sb->cap);
                break;
            }
            win_more(w, r->chunk);
            continue;
        }
        if (upto && !parse_pieces(r, t, ti, w->sb->buf, upto, &hdr, &base)) break;
        win_drop(w, upto);
        if (w->st != VF_OK || (w->eof && w->len == 0)) break;
        win_more(w, r->chunk);
    }
    vf_hdr_free(first);
}

/* ------------------------------------------------------------------ */
/* Objects of payloads                                                 */
/* ------------------------------------------------------------------ */
/* The records of an object of JSON or base64 payloads (json/payload.h):
 * text[0..len) when it is all in memory (w NULL), else the window's
 * stream, read on whenever the payload layer needs the rest of a record.
 * Batches are cut at about chunk bytes of messages. */
static void parse_payloads(reader *r, task *t, size_t ti, vf_content kind, const char *text, size_t len, window *w) {
    vf_payload ps;
    vf_payload_init(&ps, kind, &r->cfg);
    const vf_hdr *hdr = r->dflt;
    int64_t base = 0, off = 0;
    size_t pos = 0;
    bool go_on = true;
    while (go_on && atomic_load(&r->first_failed) >= ti) {
        const char *p = w ? w->sb->buf : text;
        size_t n = w ? w->len : len;
        bool eof = !w || (w->eof && w->st == VF_OK);
        size_t used = vf_payload_scan(&ps, p + pos, n - pos, off, eof, r->chunk);
        pos += used;
        off += (int64_t)used;
        if (ps.oom) break;
        bool end = eof && pos == n, full = ps.text.len >= r->chunk;
        if (vf_payload_pending(&ps) && (full || end || vf_payload_failed(&ps)))
            go_on = take_batch(r, t, ti, vf_payload_batch(&ps, hdr, t->src, t->scratch), &hdr, &base);
        if (end || vf_payload_failed(&ps)) break;
        if (full) continue;
        if (!w || w->st != VF_OK) break; /* a damaged stream: the rest goes with its error */
        win_drop(w, pos);
        pos = 0;
        if (w->len == w->sb->cap && !win_grow(w)) ps.oom = true;
        else win_more(w, r->chunk);
    }
    /* the records before a stream's damage */
    if (go_on && !ps.oom && vf_payload_pending(&ps))
        take_batch(r, t, ti, vf_payload_batch(&ps, hdr, t->src, t->scratch), &hdr, &base);
    if (ps.oom && t->status == VF_OK) {
        t->status = vf_fail(&t->err, VF_ENOMEM, "out of memory");
        note_failure(r, ti);
    }
    t->payloads = ps.payloads;
    t->control = ps.control;
    t->messages = ps.messages;
    vf_payload_free(&ps);
}

/* A compressed source, read a window at a time; what it holds is sniffed
 * from its first non-blank bytes (read on through blanks: they count as
 * lines if it is text). */
static void parse_stream(reader *r, task *t, size_t ti, vf_codec c, const loaded *l, const char *name) {
    vf_dstream *ds = vf_dstream_open(c, l->text, l->len, name);
    /* small inputs get a small buffer: deflate rarely beats 16:1 on logs,
     * and a buffer that turns out short only makes the batches smaller */
    size_t cap = l->len < r->chunk / 16 ? l->len * 16 + 65536 : r->chunk + 65536;
    /* the worker's stream buffer, kept for its next task (see reader.scratch) */
    vf_scratch *sb = t->stream;
    if (sb->cap < cap) {
        char *nb = realloc(sb->buf, cap);
        if (nb) {
            sb->buf = nb;
            sb->cap = cap;
        }
    }
    if (!ds || sb->cap < cap) {
        t->status = vf_fail(&t->err, VF_ENOMEM, "%s: out of memory", name);
        note_failure(r, ti);
        vf_dstream_close(ds);
        return;
    }
    window w = {.sb = sb, .st = VF_OK, .err = &t->err, .bytes_text = &t->bytes_text};
    ahead_start(&w.ah, ds, r->opts->threads > 1 && r->ntasks < (size_t)r->opts->threads && sb->cap > r->chunk,
                r->chunk);
    win_more(&w, r->chunk);
    /* read on through blanks, and until the first line is in (see sniff) */
    for (;;) {
        const char *line;
        size_t len;
        vf_content k = vf_sniff_content(sb->buf, w.len);
        bool more = k == VF_CONTENT_BLANK ||
                    ((k == VF_CONTENT_JSON || k == VF_CONTENT_BASE64) && !first_line(sb->buf, w.len, &line, &len));
        if (!more || w.eof || w.st != VF_OK) break;
        if (w.len == sb->cap && !win_grow(&w)) {
            w.st = vf_fail(&t->err, VF_ENOMEM, "%s: out of memory", name);
            break;
        }
        win_fill(&w, sb->cap);
    }
    vf_content kind = sniff(&r->cfg, r->dflt, sb->buf, w.len);
    if (kind == VF_CONTENT_PARQUET)
        w.st = vf_fail(&t->err, VF_EFORMAT,
                       "%s: is a compressed Parquet file, not flow-log text (read it with vpcflow.read_parquet)", name);
    else if (kind == VF_CONTENT_JSON || kind == VF_CONTENT_BASE64)
        parse_payloads(r, t, ti, kind, NULL, 0, &w);
    else
        stream_text(r, t, ti, &w, name);
    ahead_stop(&w.ah);
    if (w.st != VF_OK && t->status == VF_OK) {
        t->status = w.st;
        if (w.st != VF_ECODEC || r->cfg.on_error == VF_ON_ERROR_RAISE) note_failure(r, ti);
    }
    vf_dstream_close(ds);
}

/* The whole lines that start inside the byte range [off, off+len) of
 * text[0..n): text[*a .. *z). */
static void range_lines(const char *text, size_t n, size_t off, size_t len, size_t *a, size_t *z) {
    size_t x = off, y = off + len;
    if (x > 0) {
        const char *nl = memchr(text + x - 1, '\n', n - (x - 1));
        x = nl ? (size_t)(nl - text) + 1 : n;
    }
    if (y < n) {
        const char *nl = memchr(text + y - 1, '\n', n - (y - 1));
        y = nl ? (size_t)(nl - text) + 1 : n;
    }
    *a = x;
    *z = y < x ? x : y;
}

static void run_task_once(reader *r, size_t ti);

static void run_task(void *ctx, size_t ti, int worker) {
    reader *r = ctx;
    r->tasks[ti].scratch = &r->scratch[worker];
    r->tasks[ti].stream = &r->stream[worker];
    run_task_once(r, ti);
    r->tasks[ti].scratch = r->tasks[ti].stream = NULL;
}

static void run_task_once(reader *r, size_t ti) {
    task *t = &r->tasks[ti];
    const vf_source *s = &r->src[t->src];
    if (atomic_load(&r->first_failed) < ti) return;
    vf_error_clear(&t->err);
    loaded l;
    vf_status st = load_source(s, &l, &t->err);
    if (st == VF_OK && t->range && l.len < t->off + t->len)
        st = vf_fail(&t->err, VF_EIO, "%s: file shrank while being read", s->name);
    vf_codec c = st == VF_OK && !t->range ? vf_sniff(l.text, l.len) : VF_CODEC_NONE;
    if (st == VF_OK && c == VF_CODEC_NONE && is_parquet(l.text, l.len))
        st = vf_fail(&t->err, VF_EFORMAT, "%s: is a Parquet file, not flow-log text (read it with vpcflow.read_parquet)",
                     s->name);
    if (st != VF_OK) {
        t->status = st;
        note_failure(r, ti);
        unload(&l);
        return;
    }
    t->bytes_in = (int64_t)l.len;
    if (c != VF_CODEC_NONE) {
        parse_stream(r, t, ti, c, &l, s->name);
        unload(&l);
        return;
    }
    vf_content kind = t->range ? VF_CONTENT_TEXT : sniff(&r->cfg, r->dflt, l.text, l.len);
    if (kind == VF_CONTENT_JSON || kind == VF_CONTENT_BASE64) {
        t->bytes_text = (int64_t)l.len;
        parse_payloads(r, t, ti, kind, l.text, l.len, NULL);
        unload(&l);
        return;
    }
    vf_error herr;
    vf_error_clear(&herr);
    vf_hdr *hdr = first_header(l.text, l.len, r->dflt, &herr);
    if (!hdr) {
        t->status = VF_ENOMEM;
        t->err = herr;
        note_failure(r, ti);
        unload(&l);
        return;
    }
    const char *text = l.text;
    size_t len = l.len;
    if (t->range) {
        /* the lines that start inside [off, off+len) */
        size_t a, z;
        range_lines(text, l.len, t->off, t->len, &a, &z);
        t->bytes_in = (int64_t)(z - a);
        text += a;
        len = z - a;
    }
    t->bytes_text = (int64_t)len;
    const vf_hdr *h = hdr;
    int64_t base = 0;
    parse_pieces(r, t, ti, text, len, &h, &base);
    vf_hdr_free(hdr);
    unload(&l);
}

/* ================================================================== */
/* Merging                                                             */
/* ================================================================== */
typedef struct gcol {
    char *name;
    vf_type type;
    int known;            /* index among the known fields, or -1 */
    int order;            /* first appearance */
} gcol;

typedef struct merger {
    vf_batch **b;
    size_t nb;
    int64_t *row0;        /* first output row of each batch */
    int *colidx;          /* nb x ncols: batch column index or -1 */
    gcol *g;
    int ng;
    vf_table *t;
    atomic_int failed;
} merger;

static void merge_col(void *ctx, size_t ci, int worker) {
    (void)worker;
    merger *m = ctx;
    vf_column *out = &m->t->cols[ci];
    const int64_t N = m->t->nrows;
    const bool ints = out->type == VF_T_INT32 || out->type == VF_T_INT64;
    const size_t w = out->type == VF_T_INT64 ? 8 : 4;
    out->values = vf_malloc_n((size_t)N, w);
    int64_t nnull = 0;
    for (size_t k = 0; k < m->nb; k++) {
        int bc = m->colidx[k * (size_t)m->ng + ci];
        nnull += bc < 0 ? m->b[k]->nrows : m->b[k]->cols[bc].nnull;
    }
    out->null_count = nnull;
    if (ints && nnull) out->valid = vf_malloc_n((size_t)N, 1);
    if (!ints) out->dict = vf_dict_new(out->type);
    if (!out->values || (ints && nnull && !out->valid) || (!ints && !out->dict)) {
        atomic_store(&m->failed, 1);
        return;
    }
    int32_t *remap = NULL;
    size_t remap_cap = 0;
    for (size_t k = 0; k < m->nb; k++) {
        vf_batch *b = m->b[k];
        const int64_t r0 = m->row0[k], n = b->nrows;
        int bc = m->colidx[k * (size_t)m->ng + ci];
        if (n == 0) continue;
        if (bc < 0) {
            if (ints) {
                memset((char *)out->values + (size_t)r0 * w, 0, (size_t)n * w);
                memset(out->valid + r0, 0, (size_t)n);
            } else {
                int32_t *codes = (int32_t *)out->values + r0;
                for (int64_t i = 0; i < n; i++) codes[i] = -1;
            }
            continue;
        }
        vf_bcol *c = &b->cols[bc];
        if (ints) {
            memcpy((char *)out->values + (size_t)r0 * w, c->vals, (size_t)n * w);
            if (out->valid) memcpy(out->valid + r0, c->valid, (size_t)n);
        } else {
            int32_t nd = vf_dict_size(c->dict);
            if ((size_t)nd > remap_cap) {
                free(remap);
                remap_cap = (size_t)nd;
                remap = vf_malloc_n(remap_cap, sizeof *remap);
                if (!remap) {
                    atomic_store(&m->failed, 1);
                    return;
                }
            }
            if (out->type == VF_T_ADDR) {
                const uint8_t *a = vf_dict_addrs(c->dict), *f = vf_dict_families(c->dict);
                for (int32_t i = 0; i < nd; i++) remap[i] = vf_dict_put_addr(out->dict, a + 16 * (size_t)i, f[i]);
            } else {
                const int64_t *o = vf_dict_offsets(c->dict);
                const char *d = vf_dict_data(c->dict);
                for (int32_t i = 0; i < nd; i++) remap[i] = vf_dict_put_str(out->dict, d + o[i], (size_t)(o[i + 1] - o[i]));
            }
            for (int32_t i = 0; i < nd; i++)
                if (remap[i] < 0) {
                    free(remap);
                    atomic_store(&m->failed, 1);
                    return;
                }
            const int32_t *src = c->vals;
            int32_t *dst = (int32_t *)out->values + r0;
            for (int64_t i = 0; i < n; i++) dst[i] = src[i] < 0 ? -1 : remap[src[i]];
        }
        /* the batch's copy is no longer needed */
        free(c->vals);
        c->vals = NULL;
        free(c->valid);
        c->valid = NULL;
        vf_dict_free(c->dict);
        c->dict = NULL;
    }
    free(remap);
}

void vf_table_free(vf_table *t) {
    if (!t) return;
    for (int i = 0; i < t->ncols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].logical);
        free(t->cols[i].values);
        free(t->cols[i].valid);
        vf_dict_free(t->cols[i].dict);
    }
    free(t->cols);
    for (int64_t i = 0; i < t->report.nbad_kept; i++) {
        free(t->report.bad[i].field);
        free(t->report.bad[i].text);
        free(t->report.bad[i].message);
    }
    free(t->report.bad);
    free(t);
}

static int gcol_cmp(const void *a, const void *b) {
    const gcol *x = a, *y = b;
    if (x->known >= 0 && y->known >= 0) return x->known - y->known;
    if (x->known >= 0) return -1;
    if (y->known >= 0) return 1;
    return x->order - y->order;
}

/* Append a bad record to the report, composing the full message. */
static bool report_bad(vf_report *rep, size_t *cap, size_t max, const char *file, int src, int64_t line,
                       int64_t offset, const char *field, const char *text, const char *reason) {
    if ((size_t)rep->nbad_kept >= max) return true;
    if ((size_t)rep->nbad_kept == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        vf_bad_record *nb = vf_realloc_n(rep->bad, nc, sizeof *nb);
        if (!nb) return false;
        rep->bad = nb;
        *cap = nc;
    }
    vf_bad_record *r = &rep->bad[rep->nbad_kept];
    size_t mlen = strlen(file) + strlen(reason) + 64;
    r->source = src;
    r->line = line;
    r->offset = offset;
    r->field = field ? vf_strndup(field, strlen(field)) : NULL;
    r->text = vf_strndup(text ? text : "", text ? strlen(text) : 0);
    r->message = malloc(mlen);
    if (!r->text || !r->message || (field && !r->field)) {
        free(r->field);
        free(r->text);
        free(r->message);
        return false;
    }
    if (line > 0 && offset >= 0)
        snprintf(r->message, mlen, "%s:%lld (byte %lld): %s", file, (long long)line, (long long)offset, reason);
    else if (line > 0)
        snprintf(r->message, mlen, "%s:%lld: %s", file, (long long)line, reason);
    else
        snprintf(r->message, mlen, "%s: %s", file, reason);
    rep->nbad_kept++;
    return true;
}

/* A record of JSON input (offset >= 0) shows its byte offset, and its
 * text is a message or a piece of JSON rather than a line. */
static vf_status fail_at(vf_error *err, vf_status code, const char *file, int64_t line, int64_t offset,
                         const char *field, const char *text, const char *reason) {
    if (!err) return code;
    err->code = code;
    err->line = line;
    err->offset = offset;
    snprintf(err->file, sizeof err->file, "%s", file);
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    vf_copy_text(err->text, sizeof err->text, text ? text : "", text ? strlen(text) : 0);
    if (line > 0 && offset >= 0)
        snprintf(err->msg, sizeof err->msg, "%s:%lld (byte %lld): %s; text: '%s'", file, (long long)line,
                 (long long)offset, reason, err->text);
    else if (line > 0)
        snprintf(err->msg, sizeof err->msg, "%s:%lld: %s; line: '%s'", file, (long long)line, reason, err->text);
    else
        snprintf(err->msg, sizeof err->msg, "%s: %s", file, reason);
    return code;
}

/* ================================================================== */
/* vf_read                                                             */
/* ================================================================== */
vf_status vf_read(const vf_source *src, size_t nsrc, const vf_read_opts *opts, vf_table **out, vf_error *err) {
    vf_error_clear(err);
    *out = NULL;
    if (nsrc > INT32_MAX) return vf_fail(err, VF_EARG, "too many sources");
    reader r;
    memset(&r, 0, sizeof r);
    r.src = src;
    r.opts = opts;
    r.cfg.on_error = opts->on_error;
    r.cfg.max_bad_kept = opts->max_bad_kept ? opts->max_bad_kept : 100000;
    r.cfg.max_bad_text = opts->max_bad_text ? opts->max_bad_text : 4096;
    r.chunk = opts->chunk_size ? opts->chunk_size : DEFAULT_CHUNK;
    if (r.chunk < 4096) r.chunk = 4096;
    atomic_init(&r.first_failed, SIZE_MAX);
    r.dflt = vf_default_hdr(opts->fields, opts->nfields, err);
    if (!r.dflt) return err ? err->code : VF_EARG;

    /* plan */
    size_t cap = nsrc + 16;
    r.tasks = vf_calloc_n(cap, sizeof *r.tasks);
    vf_status st = VF_OK;
    if (!r.tasks) {
        st = vf_fail(err, VF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nsrc; i++) {
        size_t nparts = 1, size = 0;
        if (!src[i].data) {
            struct stat sb;
            if (stat(src[i].name, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size > 2 * r.chunk) {
                unsigned char magic[4] = {0};
                int fd = open(src[i].name, O_RDONLY | O_CLOEXEC);
                ssize_t got = fd >= 0 ? read(fd, magic, 4) : -1;
                if (fd >= 0) close(fd);
                if (got == 4 && vf_sniff(magic, 4) == VF_CODEC_NONE && memcmp(magic, "PAR1", 4) != 0 &&
                    !holds_payloads(src[i].name)) {
                    size = (size_t)sb.st_size;
                    nparts = (size + r.chunk - 1) / r.chunk;
                }
            }
        }
        if (r.ntasks + nparts > cap) {
            size_t nc = (r.ntasks + nparts) * 2;
            task *nt = vf_realloc_n(r.tasks, nc, sizeof *nt);
            if (!nt) {
                st = vf_fail(err, VF_ENOMEM, "out of memory");
                goto done;
            }
            memset(nt + cap, 0, (nc - cap) * sizeof *nt);
            r.tasks = nt;
            cap = nc;
        }
        for (size_t k = 0; k < nparts; k++) {
            task *t = &r.tasks[r.ntasks++];
            t->src = (int)i;
            if (nparts > 1) {
                t->range = true;
                t->off = k * r.chunk;
                t->len = k + 1 == nparts ? size - t->off : r.chunk;
            }
        }
    }

    /* parse */
    vf_parallel_for(r.ntasks, opts->threads, run_task, &r);
    for (int w = 0; w < VF_MAX_THREADS; w++) {
        free(r.scratch[w].buf);
        free(r.stream[w].buf);
        r.scratch[w] = r.stream[w] = (vf_scratch){NULL, 0};
    }

    /* ranges: line bases, and a header change that crossed a range boundary.
     * The line count and the header in force are carried along the ranges of
     * a file in order: a range may hold no line at all (one long line can
     * span several), so the predecessor alone is not enough.  Tasks after
     * the first real failure do not matter: the merge stops there. */
    {
        int64_t base = 0;
        const vf_hdr *ph = NULL;
        for (size_t i = 0; i < r.ntasks && i <= atomic_load(&r.first_failed); i++) {
            task *t = &r.tasks[i];
            if (!t->range) continue;
            if (t->off == 0) {
                base = 0;
                ph = NULL;
            }
            if (t->status != VF_OK) continue; /* reported by the merge */
            if (t->nbatches && ph && t->batches[0]->start_hdr && ph->sig != t->batches[0]->start_hdr->sig) {
                /* parse this range again under the header really in force */
                loaded l;
                memset(&l, 0, sizeof l);
                vf_batch *nb = NULL;
                vf_status rs = map_file(src[t->src].name, &l.map, &l.maplen, &t->err);
                if (rs == VF_OK && l.maplen < t->off + t->len)
                    rs = vf_fail(&t->err, VF_EIO, "%s: file shrank while being read", src[t->src].name);
                if (rs == VF_OK) {
                    size_t a, z;
                    range_lines(l.map, l.maplen, t->off, t->len, &a, &z);
                    nb = vf_parse_batch((const char *)l.map + a, z - a, ph, &r.cfg, t->src);
                    if (!nb) rs = vf_fail(&t->err, VF_ENOMEM, "out of memory");
                }
                unload(&l);
                if (rs != VF_OK) {
                    t->status = rs;
                    note_failure(&r, i);
                    continue;
                }
                for (size_t k = 0; k < t->nbatches; k++) vf_batch_free(t->batches[k]);
                t->batches[0] = nb;
                t->nbatches = 1;
            }
            for (size_t k = 0; k < t->nbatches; k++) {
                vf_batch *b = t->batches[k];
                b->line_base = base;
                base += b->newlines;
                ph = b->end_hdr;
                if (b->status != VF_OK) note_failure(&r, i); /* now a real failure */
            }
        }
    }

    /* the first failure in source order wins (raise mode, or no memory) */
    vf_table *tab = calloc(1, sizeof *tab);
    if (!tab) {
        st = vf_fail(err, VF_ENOMEM, "out of memory");
        goto done;
    }
    vf_report *rep = &tab->report;
    size_t badcap = 0;
    rep->files = (int64_t)nsrc;
    for (size_t i = 0; i < r.ntasks && st == VF_OK; i++) {
        task *t = &r.tasks[i];
        const char *name = src[t->src].name;
        rep->bytes_in += t->bytes_in;
        rep->bytes_text += t->bytes_text;
        rep->payloads += t->payloads;
        rep->control_messages += t->control;
        rep->messages += t->messages;
        for (size_t k = 0; k < t->nbatches && st == VF_OK; k++) {
            vf_batch *b = t->batches[k];
            if (b->status == VF_EPARSE) {
                st = fail_at(err, VF_EPARSE, name, b->line_base + b->err_line, b->err_offset, b->err_field,
                             b->err_text, b->err_reason ? b->err_reason : "parse error");
            } else if (b->status != VF_OK) {
                st = vf_fail(err, b->status, "%s: out of memory while parsing", name);
            }
            rep->lines += b->lines;
            rep->rows += b->nrows;
            rep->bad_lines += b->bad_lines;
            rep->header_lines += b->header_lines;
            rep->blank_lines += b->blank_lines;
            rep->ms_fixed += b->ms_fixed;
            for (size_t j = 0; j < b->nbad && st == VF_OK; j++) {
                vf_bbad *x = &b->bad[j];
                if (!report_bad(rep, &badcap, r.cfg.max_bad_kept, name, t->src, b->line_base + x->line, x->offset,
                                x->field, x->text, x->reason))
                    st = vf_fail(err, VF_ENOMEM, "out of memory");
            }
        }
        if (st == VF_OK && t->status != VF_OK) {
            if (t->status == VF_ECODEC && r.cfg.on_error == VF_ON_ERROR_SKIP) {
                /* the damaged tail of a compressed stream: one bad record */
                rep->bad_lines++;
                int64_t line = t->nbatches ? t->batches[t->nbatches - 1]->line_base + t->batches[t->nbatches - 1]->newlines + 1 : 1;
                const char *reason = t->err.msg;
                size_t fl = strlen(name);
                if (strncmp(reason, name, fl) == 0 && reason[fl] == ':') reason += fl + 2;
                if (!report_bad(rep, &badcap, r.cfg.max_bad_kept, name, t->src, line, -1, NULL, "", reason))
                    st = vf_fail(err, VF_ENOMEM, "out of memory");
            } else {
                if (err) {
                    *err = t->err;
                    err->code = t->status;
                    snprintf(err->file, sizeof err->file, "%s", name);
                }
                st = t->status;
            }
        }
    }
    if (st != VF_OK) {
        vf_table_free(tab);
        goto done;
    }

    /* merge */
    merger m;
    memset(&m, 0, sizeof m);
    m.t = tab;
    for (size_t i = 0; i < r.ntasks; i++) m.nb += r.tasks[i].nbatches;
    /* nothing parsed at all (no sources, or only empty ones): the columns
     * of the default header, with no rows */
    vf_batch *empty = NULL;
    if (m.nb == 0) {
        empty = vf_parse_batch("", 0, r.dflt, &r.cfg, 0);
        if (!empty || empty->status != VF_OK) {
            vf_batch_free(empty);
            empty = NULL;
            st = vf_fail(err, VF_ENOMEM, "out of memory");
            goto merge_done;
        }
        m.nb = 1;
    }
    m.b = vf_calloc_n(m.nb, sizeof *m.b);
    m.row0 = vf_calloc_n(m.nb, sizeof *m.row0);
    size_t gcap = 64;
    m.g = vf_calloc_n(gcap, sizeof *m.g);
    if (!m.b || !m.row0 || !m.g) {
        st = vf_fail(err, VF_ENOMEM, "out of memory");
        goto merge_done;
    }
    {
        size_t k = 0;
        int64_t rows = 0;
        if (empty) m.b[k++] = empty;
        for (size_t i = 0; i < r.ntasks; i++)
            for (size_t j = 0; j < r.tasks[i].nbatches; j++) {
                m.b[k] = r.tasks[i].batches[j];
                m.row0[k++] = rows;
                rows += r.tasks[i].batches[j]->nrows;
            }
        tab->nrows = rows;
    }
    for (size_t k = 0; k < m.nb; k++) {
        vf_batch *b = m.b[k];
        for (int c = 0; c < b->ncols; c++) {
            int found = -1;
            for (int g = 0; g < m.ng && found < 0; g++)
                if (strcmp(m.g[g].name, b->cols[c].name) == 0) found = g;
            if (found >= 0) continue;
            if ((size_t)m.ng == gcap) {
                gcol *ng = vf_realloc_n(m.g, gcap * 2, sizeof *ng);
                if (!ng) {
                    st = vf_fail(err, VF_ENOMEM, "out of memory");
                    goto merge_done;
                }
                m.g = ng;
                gcap *= 2;
            }
            gcol *g = &m.g[m.ng];
            g->name = b->cols[c].name;
            g->type = b->cols[c].type;
            g->known = vf_known_field_index(g->name, strlen(g->name));
            g->order = m.ng++;
        }
    }
    qsort(m.g, (size_t)m.ng, sizeof *m.g, gcol_cmp);
    m.colidx = vf_malloc_n(m.nb * (size_t)(m.ng ? m.ng : 1), sizeof *m.colidx);
    tab->cols = vf_calloc_n((size_t)(m.ng ? m.ng : 1), sizeof *tab->cols);
    if (!m.colidx || !tab->cols) {
        st = vf_fail(err, VF_ENOMEM, "out of memory");
        goto merge_done;
    }
    tab->ncols = m.ng;
    for (int g = 0; g < m.ng; g++) {
        tab->cols[g].name = vf_strndup(m.g[g].name, strlen(m.g[g].name));
        tab->cols[g].type = m.g[g].type;
        if (!tab->cols[g].name) {
            st = vf_fail(err, VF_ENOMEM, "out of memory");
            goto merge_done;
        }
    }
    for (size_t k = 0; k < m.nb; k++)
        for (int g = 0; g < m.ng; g++) {
            int idx = -1;
            for (int c = 0; c < m.b[k]->ncols && idx < 0; c++)
                if (strcmp(m.b[k]->cols[c].name, m.g[g].name) == 0) idx = c;
            m.colidx[k * (size_t)m.ng + g] = idx;
        }
    atomic_init(&m.failed, 0);
    vf_parallel_for((size_t)m.ng, opts->threads, merge_col, &m);
    if (atomic_load(&m.failed)) st = vf_fail(err, VF_ENOMEM, "out of memory while merging columns");
merge_done:
    vf_batch_free(empty);
    free(m.b);
    free(m.row0);
    free(m.colidx);
    free(m.g);
    if (st != VF_OK)
        vf_table_free(tab);
    else
        *out = tab;
done:
    if (r.tasks) {
        for (size_t i = 0; i < r.ntasks; i++) {
            for (size_t k = 0; k < r.tasks[i].nbatches; k++) vf_batch_free(r.tasks[i].batches[k]);
            free(r.tasks[i].batches);
        }
        free(r.tasks);
    }
    vf_hdr_free(r.dflt);
    return st;
}
