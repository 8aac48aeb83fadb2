/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_json.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_buf_init(struct ctl_buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void ctl_buf_reset(struct ctl_buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool buf_reserve(struct ctl_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	char *p;
	size_t n;

	if (b->overflow || need > b->cap + 1) {
		b->overflow = true;
		return false;
	}
	if (need <= b->alloc)
		return true;
	n = b->alloc ? b->alloc : 256;
	while (n < need)
		n *= 2;
	p = realloc(b->data, n);
	if (p == NULL) {
		b->overflow = true;
		return false;
	}
	b->data = p;
	b->alloc = n;
	return true;
}

void ctl_buf_append(struct ctl_buf *b, const char *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ctl_buf_json_string(struct ctl_buf *b, const char *s)
{
	ctl_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };

			ctl_buf_append(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			ctl_buf_printf(b, "\\u%04x", *p);
		} else {
			ctl_buf_append(b, (const char *)p, 1);
		}
	}
	ctl_buf_append(b, "\"", 1);
}

/* ---- reader ---- */

struct reader {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static void free_children(struct ctl_json *v)
{
	for (size_t i = 0; i < v->count; i++) {
		free_children(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *parse_string(struct reader *r)
{
	struct ctl_buf b;

	if (r->p >= r->end || *r->p != '"')
		return NULL;
	r->p++;
	ctl_buf_init(&b, 1 << 24);
	ctl_buf_append(&b, "", 0);
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;

		if ((unsigned char)c < 0x20)
			goto fail;
		if (c != '\\') {
			ctl_buf_append(&b, &c, 1);
			continue;
		}
		if (r->p >= r->end)
			goto fail;
		c = *r->p++;
		switch (c) {
		case '"': case '\\': case '/':
			ctl_buf_append(&b, &c, 1);
			break;
		case 'b': ctl_buf_append(&b, "\b", 1); break;
		case 'f': ctl_buf_append(&b, "\f", 1); break;
		case 'n': ctl_buf_append(&b, "\n", 1); break;
		case 'r': ctl_buf_append(&b, "\r", 1); break;
		case 't': ctl_buf_append(&b, "\t", 1); break;
		case 'u': {
			unsigned int cp = 0;

			if (r->end - r->p < 4)
				goto fail;
			for (int i = 0; i < 4; i++) {
				int h = hexval(r->p[i]);

				if (h < 0)
					goto fail;
				cp = cp * 16 + (unsigned int)h;
			}
			r->p += 4;
			/* Telemetry text is ASCII; others are kept as UTF-8 (BMP only). */
			if (cp == 0)
				goto fail;
			if (cp < 0x80) {
				char o = (char)cp;

				ctl_buf_append(&b, &o, 1);
			} else if (cp < 0x800) {
				char o[2] = { (char)(0xc0 | (cp >> 6)),
					      (char)(0x80 | (cp & 0x3f)) };

				ctl_buf_append(&b, o, 2);
			} else {
				char o[3] = { (char)(0xe0 | (cp >> 12)),
					      (char)(0x80 | ((cp >> 6) & 0x3f)),
					      (char)(0x80 | (cp & 0x3f)) };

				ctl_buf_append(&b, o, 3);
			}
			break;
		}
		default:
			goto fail;
		}
	}
	if (r->p >= r->end || b.overflow)
		goto fail;
	r->p++;
	return b.data;
fail:
	ctl_buf_free(&b);
	return NULL;
}

static bool parse_value(struct reader *r, struct ctl_json *v);

static bool add_child(struct ctl_json *v, size_t *alloc, char *key, struct ctl_json *child)
{
	if (v->count == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 8;
		struct ctl_json *items = realloc(v->items, n * sizeof(*items));

		if (items == NULL)
			return false;
		v->items = items;
		if (v->type == CTL_JSON_OBJECT) {
			char **keys = realloc(v->keys, n * sizeof(*keys));

			if (keys == NULL)
				return false;
			v->keys = keys;
		}
		*alloc = n;
	}
	v->items[v->count] = *child;
	if (v->type == CTL_JSON_OBJECT)
		v->keys[v->count] = key;
	v->count++;
	return true;
}

static bool parse_container(struct reader *r, struct ctl_json *v, char close)
{
	size_t alloc = 0;

	if (++r->depth > 32)
		return false;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return true;
	}
	for (;;) {
		struct ctl_json child;
		char *key = NULL;

		skip_ws(r);
		if (v->type == CTL_JSON_OBJECT) {
			key = parse_string(r);
			if (key == NULL)
				return false;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':') {
				free(key);
				return false;
			}
			r->p++;
			skip_ws(r);
		}
		memset(&child, 0, sizeof(child));
		if (!parse_value(r, &child) || !add_child(v, &alloc, key, &child)) {
			free_children(&child);
			free(key);
			return false;
		}
		skip_ws(r);
		if (r->p >= r->end)
			return false;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p != close)
			return false;
		r->p++;
		r->depth--;
		return true;
	}
}

static bool parse_literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

static bool parse_value(struct reader *r, struct ctl_json *v)
{
	if (r->p >= r->end)
		return false;
	switch (*r->p) {
	case '{':
		v->type = CTL_JSON_OBJECT;
		return parse_container(r, v, '}');
	case '[':
		v->type = CTL_JSON_ARRAY;
		return parse_container(r, v, ']');
	case '"':
		v->type = CTL_JSON_STRING;
		v->text = parse_string(r);
		return v->text != NULL;
	case 't':
		v->type = CTL_JSON_BOOL;
		v->boolean = true;
		return parse_literal(r, "true");
	case 'f':
		v->type = CTL_JSON_BOOL;
		return parse_literal(r, "false");
	case 'n':
		v->type = CTL_JSON_NULL;
		return parse_literal(r, "null");
	default: {
		const char *start = r->p;

		if (*r->p == '-')
			r->p++;
		if (r->p >= r->end || !isdigit((unsigned char)*r->p))
			return false;
		while (r->p < r->end && (isdigit((unsigned char)*r->p) || *r->p == '.' ||
					 *r->p == 'e' || *r->p == 'E' || *r->p == '+' ||
					 *r->p == '-'))
			r->p++;
		v->type = CTL_JSON_NUMBER;
		v->text = strndup(start, (size_t)(r->p - start));
		return v->text != NULL;
	}
	}
}

struct ctl_json *ctl_json_parse(const char *text, size_t len)
{
	struct reader r = { .p = text, .end = text + len, .depth = 0 };
	struct ctl_json *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	skip_ws(&r);
	if (!parse_value(&r, v)) {
		ctl_json_free(v);
		return NULL;
	}
	skip_ws(&r);
	/* DPDK telemetry replies may carry a trailing NUL; tolerate NULs only. */
	while (r.p < r.end && *r.p == '\0')
		r.p++;
	if (r.p != r.end) {
		ctl_json_free(v);
		return NULL;
	}
	return v;
}

void ctl_json_free(struct ctl_json *v)
{
	if (v == NULL)
		return;
	free_children(v);
	free(v);
}

const struct ctl_json *ctl_json_get(const struct ctl_json *obj, const char *key)
{
	if (obj == NULL || obj->type != CTL_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->count; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

bool ctl_json_u64(const struct ctl_json *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	*out = 0;
	if (v == NULL || v->type != CTL_JSON_NUMBER || !isdigit((unsigned char)v->text[0]))
		return false;
	errno = 0;
	n = strtoull(v->text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = n;
	return true;
}

void ctl_json_write(struct ctl_buf *b, const struct ctl_json *v)
{
	switch (v->type) {
	case CTL_JSON_NULL:
		ctl_buf_printf(b, "null");
		break;
	case CTL_JSON_BOOL:
		ctl_buf_printf(b, v->boolean ? "true" : "false");
		break;
	case CTL_JSON_NUMBER:
		ctl_buf_printf(b, "%s", v->text);
		break;
	case CTL_JSON_STRING:
		ctl_buf_json_string(b, v->text);
		break;
	case CTL_JSON_ARRAY:
	case CTL_JSON_OBJECT:
		ctl_buf_append(b, v->type == CTL_JSON_ARRAY ? "[" : "{", 1);
		for (size_t i = 0; i < v->count; i++) {
			if (i)
				ctl_buf_append(b, ",", 1);
			if (v->type == CTL_JSON_OBJECT) {
				ctl_buf_json_string(b, v->keys[i]);
				ctl_buf_append(b, ":", 1);
			}
			ctl_json_write(b, &v->items[i]);
		}
		ctl_buf_append(b, v->type == CTL_JSON_ARRAY ? "]" : "}", 1);
		break;
	}
}
