/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/cof_read: see cof_read.h. One pass over the line with a cursor; decoded
 * strings go to a scratch buffer of the line's size (decoding never makes a JSON
 * string longer, and its two quotes leave room for the NUL).
 */
#include "db/cof_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_keys.h"
#include "wire/err.h"

#define COF_MAX_DEPTH 32

struct cof_reader {
	char *scratch;
	size_t scratch_cap;
	const char **rdata;
	size_t rdata_cap;
};

struct cur {
	const char *p, *start, *end;
	char *out;		/* scratch write position */
	char *why;
	size_t why_size;
	int err;
};

struct cof_reader *cof_reader_create(void)
{
	struct cof_reader *r = calloc(1, sizeof(*r));

	if (!r)
		errno = ENOMEM;
	return r;
}

void cof_reader_free(struct cof_reader *r)
{
	if (!r)
		return;
	free(r->scratch);
	free(r->rdata);
	free(r);
}

static int fail(struct cur *c, int code, const char *what)
{
	if (!c->err) {
		c->err = code;
		if (c->why && c->why_size)
			snprintf(c->why, c->why_size, "byte %zu: %s", (size_t)(c->p - c->start),
				 what);
	}
	return code;
}

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(struct cur *c, unsigned *v)
{
	unsigned x = 0;

	if (c->end - c->p < 4)
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char ch = c->p[i];

		x <<= 4;
		if (ch >= '0' && ch <= '9')
			x |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			x |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			x |= (unsigned)(ch - 'A' + 10);
		else
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad hex digit in \\u escape");
	}
	c->p += 4;
	*v = x;
	return 0;
}

static void put_utf8(struct cur *c, unsigned cp)
{
	if (cp < 0x80) {
		*c->out++ = (char)cp;
	} else if (cp < 0x800) {
		*c->out++ = (char)(0xC0 | cp >> 6);
		*c->out++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*c->out++ = (char)(0xE0 | cp >> 12);
		*c->out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*c->out++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*c->out++ = (char)(0xF0 | cp >> 18);
		*c->out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*c->out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*c->out++ = (char)(0x80 | (cp & 0x3F));
	}
}

/*
 * A string at c->p (the opening quote). With keep, decoded into scratch and
 * NUL-terminated (*s, *n); without, only validated. A string holding a NUL
 * (\u0000) is refused when kept: no field of COF can hold one.
 */
static int string(struct cur *c, bool keep, const char **s, size_t *n)
{
	char *o = c->out;

	if (c->p >= c->end || *c->p != '"')
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "expected a string");
	c->p++;
	for (;;) {
		const char *q = c->p;

		/* The common case: a run of plain bytes. */
		while (q < c->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		if (keep && q > c->p) {
			memcpy(c->out, c->p, (size_t)(q - c->p));
			c->out += q - c->p;
		}
		c->p = q;
		if (q >= c->end)
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "unterminated string");
		if (*q == '"') {
			c->p++;
			break;
		}
		if ((unsigned char)*q < 0x20)
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "control character in string");
		/* backslash */
		if (c->end - q < 2)
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "unterminated escape");
		c->p = q + 2;
		char e = q[1], v;
		unsigned cp, lo;

		switch (e) {
		case '"': v = '"'; break;
		case '\\': v = '\\'; break;
		case '/': v = '/'; break;
		case 'b': v = '\b'; break;
		case 'f': v = '\f'; break;
		case 'n': v = '\n'; break;
		case 'r': v = '\r'; break;
		case 't': v = '\t'; break;
		case 'u':
			if (hex4(c, &cp))
				return c->err;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
					return fail(c, -DNSIFT_EDB_COF_SYNTAX, "lone high surrogate");
				c->p += 2;
				if (hex4(c, &lo))
					return c->err;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad low surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return fail(c, -DNSIFT_EDB_COF_SYNTAX, "lone low surrogate");
			}
			if (keep) {
				if (cp == 0)
					return fail(c, -DNSIFT_EDB_COF_FIELD, "NUL in a string");
				put_utf8(c, cp);
			}
			continue;
		default:
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad escape");
		}
		if (keep)
			*c->out++ = v;
	}
	if (keep) {
		*c->out++ = 0;
		*s = o;
		*n = (size_t)(c->out - o - 1);
	}
	return 0;
}

/* A JSON number; *u gets its value when it is an unsigned integer that fits. */
static int number(struct cur *c, bool *is_uint, uint64_t *u)
{
	const char *p = c->p;
	uint64_t v = 0;
	bool ovf = false, neg = false, frac = false;

	if (p < c->end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= c->end || *p < '0' || *p > '9')
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad number");
	if (*p == '0' && p + 1 < c->end && p[1] >= '0' && p[1] <= '9')
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "leading zero in number");
	while (p < c->end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			ovf = true;
		v = v * 10 + d;
		p++;
	}
	if (p < c->end && *p == '.') {
		frac = true;
		p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad fraction");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < c->end && (*p == 'e' || *p == 'E')) {
		frac = true;
		p++;
		if (p < c->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad exponent");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	*is_uint = !neg && !frac && !ovf;
	*u = v;
	return 0;
}

static int literal(struct cur *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "bad literal");
	c->p += n;
	return 0;
}

/* Skip any value (unknown keys), nested up to COF_MAX_DEPTH. */
static int skip_value(struct cur *c, int depth)
{
	bool u;
	uint64_t v;

	if (depth > COF_MAX_DEPTH)
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "nested too deep");
	ws(c);
	if (c->p >= c->end)
		return fail(c, -DNSIFT_EDB_COF_SYNTAX, "expected a value");
	switch (*c->p) {
	case '"':
		return string(c, false, NULL, NULL);
	case 't':
		return literal(c, "true", 4);
	case 'f':
		return literal(c, "false", 5);
	case 'n':
		return literal(c, "null", 4);
	case '{':
	case '[': {
		char close = *c->p == '{' ? '}' : ']';
		bool obj = close == '}';

		c->p++;
		ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				ws(c);
				if (string(c, false, NULL, NULL))
					return c->err;
				ws(c);
				if (c->p >= c->end || *c->p != ':')
					return fail(c, -DNSIFT_EDB_COF_SYNTAX, "expected ':'");
				c->p++;
			}
			if (skip_value(c, depth + 1))
				return c->err;
			ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == close) {
				c->p++;
				return 0;
			}
			return fail(c, -DNSIFT_EDB_COF_SYNTAX, "expected ',' or a closing bracket");
		}
	}
	default:
		return number(c, &u, &v);
	}
}

enum { F_RRNAME = 1, F_RRTYPE = 2, F_RDATA = 4, F_TF = 8, F_TL = 16, F_COUNT = 32,
	F_RRCLASS = 64, F_BW = 128, F_SENSOR = 256, F_UNMATCHED = 512 };

static int class_from_text(const char *s, size_t n)
{
	static const struct { const char *n; int v; } tab[] = {
		{ "IN", 1 }, { "CS", 2 }, { "CH", 3 }, { "HS", 4 }, { "NONE", 254 }, { "ANY", 255 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].n) == n && memcmp(tab[i].n, s, n) == 0)
			return tab[i].v;
	if (n > 5 && memcmp(s, "CLASS", 5) == 0) {
		uint32_t v = 0;

		for (size_t i = 5; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || v > 65535)
				return -1;
			v = v * 10 + (uint32_t)(s[i] - '0');
		}
		return v <= 65535 ? (int)v : -1;
	}
	return -1;
}

/* rrtype / rrclass: a mnemonic string or a number 0..65535. */
static int type_value(struct cur *c, bool cls, uint16_t *out)
{
	if (c->p < c->end && *c->p == '"') {
		const char *s;
		size_t n;
		char *save = c->out;
		int v;

		if (string(c, true, &s, &n))
			return c->err;
		v = cls ? class_from_text(s, n) : db_rrtype_from_text(s, n);
		c->out = save;	/* the number is all we keep */
		if (v < 0)
			return fail(c, -DNSIFT_EDB_RRTYPE, cls ? "unknown rrclass" : "unknown rrtype");
		*out = (uint16_t)v;
		return 0;
	}
	bool u;
	uint64_t v;

	if (number(c, &u, &v))
		return c->err;
	if (!u || v > 65535)
		return fail(c, -DNSIFT_EDB_COF_FIELD, "rrtype/rrclass number out of range");
	*out = (uint16_t)v;
	return 0;
}

static int uint_value(struct cur *c, uint64_t *out)
{
	bool u;

	if (c->p >= c->end || !(*c->p == '-' || (*c->p >= '0' && *c->p <= '9')))
		return fail(c, -DNSIFT_EDB_COF_FIELD, "expected an unsigned integer");
	if (number(c, &u, out))
		return c->err;
	if (!u)
		return fail(c, -DNSIFT_EDB_COF_FIELD, "not an unsigned 64-bit integer");
	return 0;
}

static bool key_is(const char *k, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(k, lit, n) == 0;
}

int cof_read_line(struct cof_reader *r, const char *line, size_t len, struct cof_line *out,
		  char *why, size_t why_size)
{
	struct cur c = { .p = line, .start = line, .end = line + len, .why = why,
			 .why_size = why_size };
	unsigned seen = 0;
	size_t nrd = 0;

	if (why && why_size)
		why[0] = 0;
	if (len + 1 > r->scratch_cap) {
		size_t nc = len + 1 < 4096 ? 4096 : len + 1;
		char *p = realloc(r->scratch, nc);

		if (!p)
			return -DNSIFT_ENOMEM;
		r->scratch = p;
		r->scratch_cap = nc;
	}
	c.out = r->scratch;
	memset(out, 0, sizeof(*out));
	out->rec.rrclass = 1;
	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "expected '{'");
	c.p++;
	ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
		goto done;
	}
	for (;;) {
		const char *k;
		size_t kn;
		char *kmark;
		unsigned f = 0;

		ws(&c);
		kmark = c.out;
		if (string(&c, true, &k, &kn))
			return c.err;
		c.out = kmark;	/* keys are compared, not kept */
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "expected ':'");
		c.p++;
		ws(&c);
		if (key_is(k, kn, "rrname"))
			f = F_RRNAME;
		else if (key_is(k, kn, "rrtype"))
			f = F_RRTYPE;
		else if (key_is(k, kn, "rdata"))
			f = F_RDATA;
		else if (key_is(k, kn, "time_first"))
			f = F_TF;
		else if (key_is(k, kn, "time_last"))
			f = F_TL;
		else if (key_is(k, kn, "count"))
			f = F_COUNT;
		else if (key_is(k, kn, "rrclass"))
			f = F_RRCLASS;
		else if (key_is(k, kn, "bailiwick"))
			f = F_BW;
		else if (key_is(k, kn, "sensor_id"))
			f = F_SENSOR;
		else if (key_is(k, kn, "unmatched"))
			f = F_UNMATCHED;
		if (f & seen)
			return fail(&c, -DNSIFT_EDB_COF_FIELD, "key given twice");
		seen |= f;
		const char *s;
		size_t sn;

		if (c.p >= c.end)
			return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "expected a value");

		switch (f) {
		case 0:
			if (skip_value(&c, 1))
				return c.err;
			break;
		case F_RRNAME:
		case F_BW:
		case F_SENSOR:
			if (c.p >= c.end || *c.p != '"')
				return fail(&c, -DNSIFT_EDB_COF_FIELD, "expected a string value");
			if (string(&c, true, &s, &sn))
				return c.err;
			if (f == F_RRNAME)
				out->rec.rrname = s;
			else if (f == F_BW)
				out->rec.bailiwick = s;
			else
				out->sensor_id = s;
			break;
		case F_RRTYPE:
		case F_RRCLASS:
			if (type_value(&c, f == F_RRCLASS, f == F_RRTYPE ? &out->rec.rrtype
									 : &out->rec.rrclass))
				return c.err;
			break;
		case F_TF:
			if (uint_value(&c, &out->rec.time_first))
				return c.err;
			break;
		case F_TL:
			if (uint_value(&c, &out->rec.time_last))
				return c.err;
			break;
		case F_COUNT:
			if (uint_value(&c, &out->rec.count))
				return c.err;
			break;
		case F_UNMATCHED:
			if (c.p < c.end && *c.p == 't') {
				if (literal(&c, "true", 4))
					return c.err;
				out->unmatched = true;
			} else if (c.p < c.end && *c.p == 'f') {
				if (literal(&c, "false", 5))
					return c.err;
			} else {
				return fail(&c, -DNSIFT_EDB_COF_FIELD, "unmatched is not a boolean");
			}
			break;
		case F_RDATA:
			if (c.p >= c.end || *c.p != '[')
				return fail(&c, -DNSIFT_EDB_COF_FIELD, "rdata is not an array");
			c.p++;
			ws(&c);
			if (c.p < c.end && *c.p == ']')
				return fail(&c, -DNSIFT_EDB_COF_FIELD, "rdata is empty");
			for (;;) {
				ws(&c);
				if (c.p >= c.end || *c.p != '"')
					return fail(&c, -DNSIFT_EDB_COF_FIELD, "rdata element is not a string");
				if (string(&c, true, &s, &sn))
					return c.err;
				if (nrd == r->rdata_cap) {
					size_t nc = r->rdata_cap ? r->rdata_cap * 2 : 64;
					const char **p = realloc(r->rdata, nc * sizeof(*p));

					if (!p)
						return -DNSIFT_ENOMEM;
					r->rdata = p;
					r->rdata_cap = nc;
				}
				r->rdata[nrd++] = s;
				ws(&c);
				if (c.p < c.end && *c.p == ',') {
					c.p++;
					continue;
				}
				if (c.p < c.end && *c.p == ']') {
					c.p++;
					break;
				}
				return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "expected ',' or ']' in rdata");
			}
			break;
		}
		ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}') {
			c.p++;
			break;
		}
		return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "expected ',' or '}'");
	}
done:
	ws(&c);
	if (c.p != c.end)
		return fail(&c, -DNSIFT_EDB_COF_SYNTAX, "bytes after the object");
	if ((seen & (F_RRNAME | F_RRTYPE | F_RDATA | F_TF | F_TL | F_COUNT)) !=
	    (F_RRNAME | F_RRTYPE | F_RDATA | F_TF | F_TL | F_COUNT)) {
		static const char *const names[] = { "rrname", "rrtype", "rdata", "time_first",
						     "time_last", "count" };

		for (unsigned i = 0; i < 6; i++)
			if (!(seen & (1u << i))) {
				char m[48];

				snprintf(m, sizeof(m), "missing %s", names[i]);
				return fail(&c, -DNSIFT_EDB_COF_FIELD, m);
			}
	}
	out->rec.rdata = r->rdata;
	out->rec.rdata_count = (unsigned)nrd;
	return 0;
}
