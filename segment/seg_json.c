/* SPDX-License-Identifier: BSD-3-Clause */
#include "segment/seg_json.h"

#include <stdbool.h>
#include <string.h>

/* Records nest rdata arrays one level; metadata nests drops one level. 32 is generous. */
#define SJ_MAX_DEPTH 32

struct sj {
	const char *s;
	size_t n;
	size_t pos;
};

static void sj_ws(struct sj *p)
{
	while (p->pos < p->n) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static bool sj_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At the opening quote; leaves pos after the closing quote. */
static int sj_string(struct sj *p, const char **start, size_t *len)
{
	p->pos++;
	*start = p->s + p->pos;
	while (p->pos < p->n) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			*len = (size_t)(p->s + p->pos - *start);
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (p->pos + 1 >= p->n)
				return -1;
			c = (unsigned char)p->s[++p->pos];
			if (c == 'u') {
				if (p->pos + 4 >= p->n)
					return -1;
				for (int i = 1; i <= 4; i++)
					if (!sj_hex(p->s[p->pos + (size_t)i])) {
						p->pos += (size_t)i;
						return -1;
					}
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
				return -1;
			}
		}
		p->pos++;
	}
	return -1;
}

static bool sj_digit(const struct sj *p)
{
	return p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static int sj_number(struct sj *p)
{
	if (p->pos < p->n && p->s[p->pos] == '-')
		p->pos++;
	if (!sj_digit(p))
		return -1;
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (sj_digit(p))
			p->pos++;
	if (p->pos < p->n && p->s[p->pos] == '.') {
		p->pos++;
		if (!sj_digit(p))
			return -1;
		while (sj_digit(p))
			p->pos++;
	}
	if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!sj_digit(p))
			return -1;
		while (sj_digit(p))
			p->pos++;
	}
	return 0;
}

static int sj_literal(struct sj *p, const char *word)
{
	size_t l = strlen(word);

	if (p->n - p->pos < l || memcmp(p->s + p->pos, word, l) != 0)
		return -1;
	p->pos += l;
	return 0;
}

static int sj_value(struct sj *p, int depth, enum sj_type *type, sj_member_fn fn, void *arg);

/* At '{'. Members are reported to fn only for the top-level object. */
static int sj_obj(struct sj *p, int depth, sj_member_fn fn, void *arg)
{
	if (depth > SJ_MAX_DEPTH)
		return -1;
	p->pos++;
	sj_ws(p);
	if (p->pos < p->n && p->s[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key, *val;
		size_t klen, vlen, vstart;
		enum sj_type type;

		sj_ws(p);
		if (p->pos >= p->n || p->s[p->pos] != '"' || sj_string(p, &key, &klen) < 0)
			return -1;
		sj_ws(p);
		if (p->pos >= p->n || p->s[p->pos] != ':')
			return -1;
		p->pos++;
		sj_ws(p);
		vstart = p->pos;
		if (sj_value(p, depth + 1, &type, NULL, NULL) < 0)
			return -1;
		val = p->s + vstart;
		vlen = p->pos - vstart;
		if (type == SJ_STRING) {
			val++;
			vlen -= 2;
		}
		if (fn && fn(arg, key, klen, type, val, vlen) != 0) {
			p->pos = vstart;
			return -1;
		}
		sj_ws(p);
		if (p->pos >= p->n)
			return -1;
		if (p->s[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return -1;
		p->pos++;
	}
}

static int sj_arr(struct sj *p, int depth)
{
	enum sj_type type;

	if (depth > SJ_MAX_DEPTH)
		return -1;
	p->pos++;
	sj_ws(p);
	if (p->pos < p->n && p->s[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		sj_ws(p);
		if (sj_value(p, depth + 1, &type, NULL, NULL) < 0)
			return -1;
		sj_ws(p);
		if (p->pos >= p->n)
			return -1;
		if (p->s[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return -1;
		p->pos++;
	}
}

static int sj_value(struct sj *p, int depth, enum sj_type *type, sj_member_fn fn, void *arg)
{
	const char *str;
	size_t len;

	if (p->pos >= p->n)
		return -1;
	switch (p->s[p->pos]) {
	case '{':
		*type = SJ_OBJECT;
		return sj_obj(p, depth, fn, arg);
	case '[':
		*type = SJ_ARRAY;
		return sj_arr(p, depth);
	case '"':
		*type = SJ_STRING;
		return sj_string(p, &str, &len);
	case 't':
		*type = SJ_TRUE;
		return sj_literal(p, "true");
	case 'f':
		*type = SJ_FALSE;
		return sj_literal(p, "false");
	case 'n':
		*type = SJ_NULL;
		return sj_literal(p, "null");
	default:
		*type = SJ_NUMBER;
		return sj_number(p);
	}
}

int sj_object(const char *s, size_t n, sj_member_fn fn, void *arg, size_t *err_pos)
{
	struct sj p = { .s = s, .n = n, .pos = 0 };
	enum sj_type type;

	sj_ws(&p);
	if (p.pos >= n || s[p.pos] != '{')
		goto bad;
	if (sj_value(&p, 0, &type, fn, arg) < 0)
		goto bad;
	sj_ws(&p);
	if (p.pos != n)
		goto bad;
	return 0;
bad:
	if (err_pos)
		*err_pos = p.pos;
	return -1;
}

int sj_u64(const char *val, size_t vlen, uint64_t *out)
{
	uint64_t v = 0;

	if (vlen == 0 || vlen > 20 || (vlen > 1 && val[0] == '0'))
		return -1;
	for (size_t i = 0; i < vlen; i++) {
		unsigned d;

		if (val[i] < '0' || val[i] > '9')
			return -1;
		d = (unsigned)(val[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

size_t sj_unescape(const char *val, size_t vlen, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < vlen && o + 1 < size; i++) {
		char c = val[i];

		if (c == '\\' && i + 1 < vlen) {
			c = val[++i];
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;

				for (int k = 0; k < 4 && i + 1 < vlen; k++) {
					char h = val[++i];

					v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
				}
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				break;	/* \" \\ \/ stand for themselves */
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

int sj_put_string(char *out, size_t size, size_t *len, const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = *len;

	if (o + 1 >= size)
		return -1;
	out[o++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			if (o + 2 >= size)
				goto full;
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			if (o + 6 >= size)
				goto full;
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		} else {
			if (o + 1 >= size)
				goto full;
			out[o++] = (char)c;
		}
	}
	if (o + 1 >= size)
		goto full;
	out[o++] = '"';
	out[o] = '\0';
	*len = o;
	return 0;
full:
	out[*len] = '\0';
	return -1;
}
