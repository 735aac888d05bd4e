/*
 * scan.c - parsers for single field values: integers and IPv4/IPv6
 * addresses, and the canonical rendering of addresses.
 *
 * The integer and address grammars follow Python's int() (restricted to an
 * optional '-' and ASCII digits) and ipaddress (no leading zeros in IPv4
 * octets, RFC 4291 IPv6 text with at most one "::" and an optional
 * trailing dotted quad, no zone index), so property tests can compare them.
 */
#include "../common/internal.h"

#include <stdio.h>

int vf_parse_int64(const char *p, size_t n, int64_t *out) {
    bool neg = false;
    if (n && p[0] == '-') {
        neg = true;
        p++;
        n--;
    }
    if (n == 0 || n > 19) {
        /* more than 19 digits can still be in range with leading zeros */
        if (n == 0) return -1;
        while (n > 19 && *p == '0') {
            p++;
            n--;
        }
        if (n > 19) return -1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9) return -1;
        v = v * 10 + d; /* 19 digits fit in uint64 */
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return -1;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return -1;
        *out = (int64_t)v;
    }
    return 0;
}

int vf_parse_int32(const char *p, size_t n, int32_t *out) {
    int64_t v;
    if (vf_parse_int64(p, n, &v) != 0 || v < INT32_MIN || v > INT32_MAX) return -1;
    *out = (int32_t)v;
    return 0;
}

/* Dotted quad into 4 bytes; no leading zeros, each octet <= 255. */
static int parse_quad(const char *p, size_t n, uint8_t q[4]) {
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        if (i >= n) return -1;
        size_t s = i;
        unsigned v = 0;
        while (i < n && i - s < 4 && (unsigned)((unsigned char)p[i] - '0') <= 9u) v = v * 10 + (unsigned)(p[i++] - '0');
        size_t len = i - s;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && p[s] == '0')) return -1;
        q[k] = (uint8_t)v;
        if (k < 3) {
            if (i >= n || p[i] != '.') return -1;
            i++;
        }
    }
    return i == n ? 0 : -1;
}

int vf_parse_ipv4(const char *p, size_t n, uint8_t a[16]) {
    uint8_t q[4];
    if (n < 7 || n > 15 || parse_quad(p, n, q) != 0) return -1;
    memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    memcpy(a + 12, q, 4);
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vf_parse_ipv6(const char *p, size_t n, uint8_t a[16]) {
    uint16_t g[8];
    int ng = 0, gap = -1; /* gap: index in g where "::" stands */
    size_t i = 0;
    if (n < 2 || n > 45) return -1;
    if (p[0] == ':') {
        if (p[1] != ':') return -1;
        gap = 0;
        i = 2;
        if (i == n) goto done;
    }
    for (;;) {
        /* one group: hex digits, or a trailing dotted quad */
        size_t s = i;
        unsigned v = 0;
        while (i < n && i - s < 5 && hexval(p[i]) >= 0) v = (v << 4) | (unsigned)hexval(p[i++]);
        size_t len = i - s;
        if (i < n && p[i] == '.') {
            uint8_t q[4];
            if (ng > 6 || parse_quad(p + s, n - s, q) != 0) return -1;
            g[ng++] = (uint16_t)(q[0] << 8 | q[1]);
            g[ng++] = (uint16_t)(q[2] << 8 | q[3]);
            i = n;
            break;
        }
        if (len == 0 || len > 4 || ng >= 8) return -1;
        g[ng++] = (uint16_t)v;
        if (i == n) break;
        if (p[i] != ':') return -1;
        i++;
        if (i < n && p[i] == ':') {
            if (gap >= 0) return -1;
            gap = ng;
            i++;
            if (i == n) break;
        } else if (i == n) {
            return -1; /* trailing single ':' */
        }
    }
done:
    if (gap < 0) {
        if (ng != 8) return -1;
    } else if (ng > 7) {
        return -1;
    }
    uint16_t full[8] = {0};
    if (gap < 0) {
        memcpy(full, g, sizeof full);
    } else {
        int tail = ng - gap;
        for (int k = 0; k < gap; k++) full[k] = g[k];
        for (int k = 0; k < tail; k++) full[8 - tail + k] = g[gap + k];
    }
    for (int k = 0; k < 8; k++) {
        a[2 * k] = (uint8_t)(full[k] >> 8);
        a[2 * k + 1] = (uint8_t)full[k];
    }
    return 0;
}

int vf_parse_addr(const char *p, size_t n, uint8_t a[16], uint8_t *family) {
    for (size_t i = 0; i < n && i < 5; i++) {
        if (p[i] == ':') {
            *family = 6;
            return vf_parse_ipv6(p, n, a);
        }
        if (p[i] == '.') break;
    }
    *family = 4;
    return vf_parse_ipv4(p, n, a);
}

/* "a.b.c.d" of bytes q[0..4) at buf, NUL-terminated; its length.  (No
 * sprintf: the Parquet writer renders every distinct address of a chunk.) */
static size_t format_dotted(const uint8_t q[4], char *buf) {
    size_t len = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = q[i];
        if (v >= 100) buf[len++] = (char)('0' + v / 100);
        if (v >= 10) buf[len++] = (char)('0' + v / 10 % 10);
        buf[len++] = (char)('0' + v % 10);
        buf[len++] = '.';
    }
    buf[--len] = 0;
    return len;
}

/* lower-case hex of g without leading zeros; its length */
static size_t format_hex16(unsigned g, char *buf) {
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;
    for (int sh = 12; sh > 0; sh -= 4)
        if (g >> sh || len) buf[len++] = hex[(g >> sh) & 15];
    buf[len++] = hex[g & 15];
    return len;
}

size_t vf_format_addr(const uint8_t a[16], uint8_t family, char *buf) {
    if (family == 4) return format_dotted(a + 12, buf);
    uint16_t g[8];
    for (int k = 0; k < 8; k++) g[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
    /* RFC 5952: longest run (>= 2) of zero groups becomes "::", first on ties */
    int best = -1, bestlen = 0;
    for (int k = 0; k < 8;) {
        if (g[k] == 0) {
            int s = k;
            while (k < 8 && g[k] == 0) k++;
            if (k - s > bestlen) {
                best = s;
                bestlen = k - s;
            }
        } else {
            k++;
        }
    }
    if (bestlen < 2) best = -1;
    /* Python's ipaddress renders IPv4-mapped addresses as ::ffff:a.b.c.d */
    bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
    size_t len = 0;
    if (mapped) {
        memcpy(buf, "::ffff:", 7);
        return 7 + format_dotted(a + 12, buf + 7);
    }
    for (int k = 0; k < 8; k++) {
        if (k == best) {
            buf[len++] = ':';
            if (k == 0) buf[len++] = ':';
            k += bestlen - 1;
            continue;
        }
        len += format_hex16(g[k], buf + len);
        if (k < 7) buf[len++] = ':';
    }
    buf[len] = 0;
    return len;
}
