/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to the wire library (rdata_text.c and cof.c): the bounded text
 * writer that both presentation format and COF JSON are produced with.
 * Other modules use wire/cof.h.
 *
 * The writer never stores past its capacity but keeps counting, so a caller
 * learns the exact length a render needed and a renderer can parse its input
 * to the end (and so tell "malformed" from "no room") in one pass. In JSON
 * mode every '"' and '\' is preceded by a backslash as it is written, which is
 * all the escaping presentation text needs: the presentation writers below
 * emit only printable ASCII (0x20..0x7e), every other byte having become \DDD.
 */
#ifndef DNSIFT_RDATA_TEXT_H
#define DNSIFT_RDATA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct text_out {
	char *buf;
	size_t cap;	/* bytes that may be stored, the terminating NUL excluded */
	size_t len;	/* bytes produced so far, possibly more than cap */
	bool json;	/* escape '"' and '\' for a JSON string */
};

/*
 * Worst-case JSON-escaped presentation length of one rdata of n octets: 80
 * characters per octet (an NSEC-style type bitmap octet with all 8 bits set in
 * a window >= 39 gives 8 x " TYPEnnnnn") plus 10 for the RFC 3597 header of an
 * empty rdata ("\\# 0" escaped, or "\\# 65535 " before the hex). The proof per
 * type is in rdata_text.c, the property is tested in tests/test_cof.c.
 */
#define TEXT_RDATA_JSON_MAX(n) (80u * (size_t)(n) + 10u)

static inline void text_out_init(struct text_out *t, char *buf, size_t size, bool json)
{
	t->buf = buf;
	t->cap = size ? size - 1 : 0;
	t->len = 0;
	t->json = json;
}

/* NUL-terminate; the length written, or -DNSIFT_ENOSPACE if anything did not fit. */
int text_out_finish(struct text_out *t, size_t size);

/* One byte, no escaping: JSON syntax itself. */
static inline void text_raw(struct text_out *t, char c)
{
	if (t->len < t->cap)
		t->buf[t->len] = c;
	t->len++;
}

static inline void text_raw_mem(struct text_out *t, const char *s, size_t n)
{
	if (t->len < t->cap && n <= t->cap - t->len)
		memcpy(t->buf + t->len, s, n);
	else
		for (size_t i = 0; i < n && t->len + i < t->cap; i++)
			t->buf[t->len + i] = s[i];
	t->len += n;
}

/* One printable presentation character, JSON-escaped when the writer is in JSON mode. */
static inline void text_char(struct text_out *t, char c)
{
	if (t->json && (c == '"' || c == '\\'))
		text_raw(t, '\\');
	text_raw(t, c);
}

void text_str(struct text_out *t, const char *s);
void text_u64(struct text_out *t, uint64_t v);

/*
 * Presentation of one uncompressed wire-format name of exactly len octets.
 * Returns 0, or -DNSIFT_EFORMAT (nothing sensible written) when it is not one.
 */
int text_name(struct text_out *t, const uint8_t *name, size_t len);

/* Presentation of one rdata; falls back to RFC 3597 when it does not parse. */
void text_rdata(struct text_out *t, uint16_t rrtype, const uint8_t *rdata, uint16_t rdlen);

#endif
