/*
 * dict.c - dictionaries for string and address columns.
 *
 * Open addressing with linear probing over a power-of-two slot array; each
 * slot keeps 32 bits of the hash beside the code so most mismatches never
 * touch the key bytes.  Keys are stored once: strings in one growing byte
 * buffer with int64 offsets, addresses as 16 bytes plus a family byte.
 */
#include "internal.h"

typedef struct {
    uint32_t tag; /* high hash bits */
    int32_t code; /* -1: empty */
} vf_slot;

struct vf_dict {
    vf_type type;
    int32_t n;
    int32_t cap;        /* entry capacity */
    /* strings */
    int64_t *offs;      /* cap + 1 */
    char *data;
    size_t data_len, data_cap;
    /* addresses */
    uint8_t *addr;      /* 16 * cap */
    uint8_t *fam;       /* cap */
    /* hash */
    vf_slot *slots;
    size_t mask;
    /* IPv4 addresses: a table of their own keyed by the 32-bit value, each
     * slot (address << 32 | code + 1), 0 when empty: one load per probe */
    uint64_t *v4;
    size_t v4mask;
    int32_t nv4;
};

static bool slots_alloc(vf_dict *d, size_t nslots) {
    vf_slot *s = vf_malloc_n(nslots, sizeof *s);
    if (!s) return false;
    for (size_t i = 0; i < nslots; i++) s[i].code = -1;
    free(d->slots);
    d->slots = s;
    d->mask = nslots - 1;
    return true;
}

vf_dict *vf_dict_new(vf_type type) {
    vf_dict *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->type = type;
    d->cap = 16;
    if (type == VF_T_ADDR) {
        d->addr = malloc(16 * (size_t)d->cap);
        d->fam = malloc((size_t)d->cap);
    } else {
        d->offs = malloc(sizeof(int64_t) * ((size_t)d->cap + 1));
        d->data_cap = 256;
        d->data = malloc(d->data_cap);
        if (d->offs) d->offs[0] = 0;
    }
    if ((type == VF_T_ADDR && (!d->addr || !d->fam)) ||
        (type != VF_T_ADDR && (!d->offs || !d->data)) || !slots_alloc(d, 64)) {
        vf_dict_free(d);
        return NULL;
    }
    return d;
}

void vf_dict_free(vf_dict *d) {
    if (!d) return;
    free(d->v4);
    free(d->offs);
    free(d->data);
    free(d->addr);
    free(d->fam);
    free(d->slots);
    free(d);
}

int32_t vf_dict_size(const vf_dict *d) { return d->n; }
vf_type vf_dict_type(const vf_dict *d) { return d->type; }
const int64_t *vf_dict_offsets(const vf_dict *d) { return d->offs; }
const char *vf_dict_data(const vf_dict *d) { return d->data; }
const uint8_t *vf_dict_addrs(const vf_dict *d) { return d->addr; }
const uint8_t *vf_dict_families(const vf_dict *d) { return d->fam; }

static uint64_t hash_addr(const uint8_t a[16], uint8_t fam) {
    uint64_t lo, hi;
    memcpy(&hi, a, 8);
    memcpy(&lo, a + 8, 8);
    return vf_mix64(hi * 0x9e3779b97f4a7c15ULL ^ vf_mix64(lo ^ fam));
}

static uint64_t entry_hash(const vf_dict *d, int32_t i) {
    if (d->type == VF_T_ADDR) return hash_addr(d->addr + 16 * (size_t)i, d->fam[i]);
    return vf_hash_bytes(d->data + d->offs[i], (size_t)(d->offs[i + 1] - d->offs[i]));
}

/* A slot array of nslots (a power of two) holding every entry (IPv4
 * addresses live in their own table and are left out). */
static bool rehash(vf_dict *d, size_t nslots) {
    if (!slots_alloc(d, nslots)) return false;
    for (int32_t i = 0; i < d->n; i++) {
        if (d->type == VF_T_ADDR && d->fam[i] == 4) continue;
        uint64_t h = entry_hash(d, i);
        size_t j = (size_t)h & d->mask;
        while (d->slots[j].code >= 0) j = (j + 1) & d->mask;
        d->slots[j].tag = (uint32_t)(h >> 32);
        d->slots[j].code = i;
    }
    return true;
}

/* Grow the slot array when its load passes 1/2. */
static bool ensure_slots(vf_dict *d) {
    int32_t used = d->n - d->nv4;
    if ((size_t)(used + 1) * 2 <= d->mask + 1) return true;
    return rehash(d, (d->mask + 1) * 2);
}

/* Entry arrays of ncap entries. */
static bool grow_entries(vf_dict *d, int32_t ncap) {
    if (d->type == VF_T_ADDR) {
        uint8_t *a = vf_realloc_n(d->addr, (size_t)ncap, 16);
        if (!a) return false;
        d->addr = a;
        uint8_t *f = realloc(d->fam, (size_t)ncap);
        if (!f) return false;
        d->fam = f;
    } else {
        int64_t *o = vf_realloc_n(d->offs, (size_t)ncap + 1, sizeof(int64_t));
        if (!o) return false;
        d->offs = o;
    }
    d->cap = ncap;
    return true;
}

/* Grow the entry arrays when full. */
static bool ensure_entries(vf_dict *d) {
    if (d->n >= INT32_MAX - 1) return false;
    if (d->n < d->cap) return true;
    return grow_entries(d, d->cap > INT32_MAX / 2 ? INT32_MAX - 1 : d->cap * 2);
}

static bool ensure_room(vf_dict *d) { return ensure_entries(d) && ensure_slots(d); }

static bool v4_resize(vf_dict *d, size_t n);

bool vf_dict_reserve(vf_dict *d, size_t n, size_t data_bytes) {
    if (n > (size_t)(INT32_MAX - 1 - d->n)) return false;
    size_t want = (size_t)d->n + n;
    if (want > (size_t)d->cap && !grow_entries(d, (int32_t)want)) return false;
    if (d->type == VF_T_ADDR) {
        /* the IPv4 table at most half full once the n entries are in, sized
         * in one step; IPv6 entries (rare) grow their slot array as they come */
        size_t v4 = d->v4 ? d->v4mask + 1 : 256;
        while (v4 < (want + 1) * 2) v4 *= 2;
        if ((!d->v4 || v4 > d->v4mask + 1) && !v4_resize(d, v4)) return false;
    } else {
        /* slot arrays at most half full once the n entries are in */
        size_t slots = d->mask + 1;
        while (slots < (want + 1) * 2) slots *= 2;
        if (slots > d->mask + 1 && !rehash(d, slots)) return false;
    }
    if (d->type != VF_T_ADDR && data_bytes > d->data_cap - d->data_len) {
        size_t nc = d->data_cap;
        while (nc - d->data_len < data_bytes) nc *= 2;
        char *nd = realloc(d->data, nc);
        if (!nd) return false;
        d->data = nd;
        d->data_cap = nc;
    }
    return true;
}

int32_t vf_dict_put_str(vf_dict *d, const char *s, size_t n) {
    uint64_t h = vf_hash_bytes(s, n);
    uint32_t tag = (uint32_t)(h >> 32);
    size_t j = (size_t)h & d->mask;
    for (;;) {
        vf_slot sl = d->slots[j];
        if (sl.code < 0) break;
        if (sl.tag == tag) {
            int64_t a = d->offs[sl.code], b = d->offs[sl.code + 1];
            if ((size_t)(b - a) == n && memcmp(d->data + a, s, n) == 0) return sl.code;
        }
        j = (j + 1) & d->mask;
    }
    if (!ensure_room(d)) return -1;
    if (d->data_len + n > d->data_cap) {
        size_t nc = d->data_cap * 2;
        while (nc < d->data_len + n) nc *= 2;
        char *nd = realloc(d->data, nc);
        if (!nd) return -1;
        d->data = nd;
        d->data_cap = nc;
    }
    memcpy(d->data + d->data_len, s, n);
    d->data_len += n;
    int32_t code = d->n++;
    d->offs[code + 1] = (int64_t)d->data_len;
    /* the slot array may have been rebuilt: probe again */
    j = (size_t)h & d->mask;
    while (d->slots[j].code >= 0) j = (j + 1) & d->mask;
    d->slots[j].tag = tag;
    d->slots[j].code = code;
    return code;
}

static inline size_t v4_hash(uint32_t v) { return (size_t)((uint64_t)v * 0x9e3779b97f4a7c15ULL >> 20); }

/* The IPv4 table with n slots (a power of two above the entries held). */
static bool v4_resize(vf_dict *d, size_t n) {
    uint64_t *t = vf_calloc_n(n, sizeof *t);
    if (!t) return false;
    for (size_t i = 0; d->v4 && i <= d->v4mask; i++) {
        uint64_t x = d->v4[i];
        if (!x) continue;
        size_t j = v4_hash((uint32_t)(x >> 32)) & (n - 1);
        while (t[j]) j = (j + 1) & (n - 1);
        t[j] = x;
    }
    free(d->v4);
    d->v4 = t;
    d->v4mask = n - 1;
    return true;
}

static bool v4_grow(vf_dict *d) { return v4_resize(d, d->v4 ? (d->v4mask + 1) * 2 : 256); }

int32_t vf_dict_put_ipv4(vf_dict *d, uint32_t v) {
    if (VF_UNLIKELY(!d->v4) && !v4_grow(d)) return -1;
    size_t j = v4_hash(v) & d->v4mask;
    for (;;) {
        uint64_t x = d->v4[j];
        if (!x) break;
        if ((uint32_t)(x >> 32) == v) return (int32_t)(uint32_t)x - 1;
        j = (j + 1) & d->v4mask;
    }
    if ((size_t)(d->nv4 + 1) * 2 > d->v4mask + 1) {
        if (!v4_grow(d)) return -1;
        j = v4_hash(v) & d->v4mask;
        while (d->v4[j]) j = (j + 1) & d->v4mask;
    }
    if (!ensure_entries(d)) return -1;
    int32_t code = d->n++;
    uint8_t *a = d->addr + 16 * (size_t)code;
    memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    a[12] = (uint8_t)(v >> 24);
    a[13] = (uint8_t)(v >> 16);
    a[14] = (uint8_t)(v >> 8);
    a[15] = (uint8_t)v;
    d->fam[code] = 4;
    d->v4[j] = (uint64_t)v << 32 | (uint32_t)(code + 1);
    d->nv4++;
    return code;
}

int32_t vf_dict_put_addr(vf_dict *d, const uint8_t a[16], uint8_t fam) {
    if (fam == 4)
        return vf_dict_put_ipv4(d, (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15]);
    uint64_t h = hash_addr(a, fam);
    uint32_t tag = (uint32_t)(h >> 32);
    size_t j = (size_t)h & d->mask;
    for (;;) {
        vf_slot sl = d->slots[j];
        if (sl.code < 0) break;
        if (sl.tag == tag && d->fam[sl.code] == fam &&
            memcmp(d->addr + 16 * (size_t)sl.code, a, 16) == 0)
            return sl.code;
        j = (j + 1) & d->mask;
    }
    if (!ensure_room(d)) return -1;
    int32_t code = d->n++;
    memcpy(d->addr + 16 * (size_t)code, a, 16);
    d->fam[code] = fam;
    j = (size_t)h & d->mask;
    while (d->slots[j].code >= 0) j = (j + 1) & d->mask;
    d->slots[j].tag = tag;
    d->slots[j].code = code;
    return code;
}
