/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/db_keys: names, varints and rdata name extraction for the key layout.
 * Presentation is what the sensor writes (wire/rdata_text.c): labels of printable
 * ASCII with "\X" and "\DDD" escapes, so parsing here inverts exactly that.
 */
#include "db/db_keys.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "wire/cof.h"
#include "wire/err.h"

int db_name_to_wire(const char *s, size_t n, uint8_t wire[DB_NAME_WIRE_MAX])
{
	size_t w = 0, i = 0;

	if (n == 0)
		return -DNSIFT_EDB_NAME;
	if (n == 1 && s[0] == '.') {
		wire[0] = 0;
		return 1;
	}
	while (i < n) {
		size_t lpos = w++;
		size_t l = 0;

		if (lpos >= DB_NAME_WIRE_MAX)
			return -DNSIFT_EDB_NAME;
		while (i < n && s[i] != '.') {
			unsigned c = (unsigned char)s[i++];

			if (c == '\\') {
				if (i >= n)
					return -DNSIFT_EDB_NAME;
				c = (unsigned char)s[i];
				if (c >= '0' && c <= '9') {
					if (i + 3 > n || s[i + 1] < '0' || s[i + 1] > '9' ||
					    s[i + 2] < '0' || s[i + 2] > '9')
						return -DNSIFT_EDB_NAME;
					c = (unsigned)(s[i] - '0') * 100 + (unsigned)(s[i + 1] - '0') * 10 +
					    (unsigned)(s[i + 2] - '0');
					if (c > 255)
						return -DNSIFT_EDB_NAME;
					i += 3;
				} else {
					i++;
				}
			} else if (c <= 0x20 || c >= 0x7f) {
				return -DNSIFT_EDB_NAME;
			}
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (++l > 63 || w >= DB_NAME_WIRE_MAX)
				return -DNSIFT_EDB_NAME;
			wire[w++] = (uint8_t)c;
		}
		if (l == 0)
			return -DNSIFT_EDB_NAME;	/* empty label: ".." or a leading dot */
		wire[lpos] = (uint8_t)l;
		i++;	/* the dot (or past the end) */
	}
	if (w >= DB_NAME_WIRE_MAX)
		return -DNSIFT_EDB_NAME;
	wire[w++] = 0;
	return (int)w;
}

void db_wire_reverse(const uint8_t *wire, size_t len, uint8_t *out)
{
	size_t starts[128];
	unsigned nl = 0;
	size_t p = 0, o = 0;

	while (p < len && wire[p] != 0 && nl < 128) {
		starts[nl++] = p;
		p += 1 + wire[p];
	}
	while (nl > 0) {
		size_t s = starts[--nl];

		memcpy(out + o, wire + s, 1u + wire[s]);
		o += 1u + wire[s];
	}
	out[o] = 0;
}

size_t db_rname_len(const uint8_t *p, size_t max)
{
	size_t i = 0;

	while (i < max) {
		uint8_t l = p[i];

		if (l == 0)
			return i + 1 <= DB_NAME_WIRE_MAX ? i + 1 : 0;
		if (l > 63)
			return 0;
		i += 1u + l;
	}
	return 0;
}

int db_rname_to_text(const uint8_t *rev, size_t len, char *out, size_t size)
{
	uint8_t fwd[DB_NAME_WIRE_MAX];

	if (len == 0 || len > DB_NAME_WIRE_MAX || db_rname_len(rev, len) != len)
		return -DNSIFT_EFORMAT;
	/* Reversing is its own inverse on the label sequence. */
	db_wire_reverse(rev, len, fwd);
	return name_to_text(fwd, len, out, size);
}

/* [start, end) of the next blank-separated token from *pos. */
static bool next_token(const char *s, size_t len, size_t *pos, size_t *ts, size_t *tl)
{
	size_t i = *pos;

	while (i < len && s[i] == ' ')
		i++;
	if (i >= len)
		return false;
	*ts = i;
	while (i < len && s[i] != ' ') {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		i++;
	}
	if (i > len)
		i = len;
	*tl = i - *ts;
	*pos = i;
	return true;
}

unsigned db_rdata_names(uint16_t rrtype, const char *rdata, size_t len, size_t start[2],
			size_t nlen[2])
{
	unsigned skip, want;
	size_t pos = 0, ts, tl;

	switch (rrtype) {
	case 2: case 5: case 39: case 12:	/* NS CNAME DNAME PTR: the name */
		skip = 0, want = 1;
		break;
	case 15:				/* MX: preference exchange */
	case 64: case 65:			/* SVCB HTTPS: priority target params */
		skip = 1, want = 1;
		break;
	case 33:				/* SRV: priority weight port target */
		skip = 3, want = 1;
		break;
	case 6:					/* SOA: mname rname ... */
		skip = 0, want = 2;
		break;
	default:
		return 0;
	}
	if (len > 0 && rdata[0] == '\\' && len > 1 && rdata[1] == '#')
		return 0;	/* RFC 3597 fallback: the rdata did not parse as its type */
	for (unsigned k = 0; k < skip; k++)
		if (!next_token(rdata, len, &pos, &ts, &tl))
			return 0;
	for (unsigned k = 0; k < want; k++) {
		if (!next_token(rdata, len, &pos, &ts, &tl))
			return 0;
		start[k] = ts;
		nlen[k] = tl;
	}
	if (want == 2 && nlen[0] == nlen[1] && memcmp(rdata + start[0], rdata + start[1],
						    nlen[0]) == 0)
		return 1;	/* the same name twice: one index entry */
	return want;
}

size_t db_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

size_t db_varint_get(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < len && i < 10; i++) {
		if (i == 9 && p[i] > 1)
			return 0;
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

/* Mnemonic -> type: an open-addressed table built once from wire's rrtype_name(). */
#define RRT_SLOTS 1024
static struct {
	const char *name;
	uint16_t type;
} rrt_table[RRT_SLOTS];
static pthread_once_t rrt_once = PTHREAD_ONCE_INIT;

static unsigned rrt_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void rrt_build(void)
{
	for (unsigned t = 0; t < 65536; t++) {
		const char *nm = rrtype_name((uint16_t)t);

		if (!nm)
			continue;
		unsigned h = rrt_hash(nm, strlen(nm)) & (RRT_SLOTS - 1);

		while (rrt_table[h].name)
			h = (h + 1) & (RRT_SLOTS - 1);
		rrt_table[h].name = nm;
		rrt_table[h].type = (uint16_t)t;
	}
}

int db_rrtype_from_text(const char *s, size_t n)
{
	if (n > 4 && strncasecmp(s, "TYPE", 4) == 0) {
		uint32_t v = 0;

		if (n > 9 || s[4] == '0')
			return -1;
		for (size_t i = 4; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (uint32_t)(s[i] - '0');
		}
		return v <= 65535 ? (int)v : -1;
	}
	pthread_once(&rrt_once, rrt_build);
	unsigned h = rrt_hash(s, n) & (RRT_SLOTS - 1);

	while (rrt_table[h].name) {
		if (strlen(rrt_table[h].name) == n && strncasecmp(rrt_table[h].name, s, n) == 0)
			return rrt_table[h].type;
		h = (h + 1) & (RRT_SLOTS - 1);
	}
	return -1;
}
