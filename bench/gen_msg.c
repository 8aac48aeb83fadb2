/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_msg: wire names and DNS messages with compression (see gen_msg.h). */
#include "bench/gen_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gen_name_clear(struct gen_name *n)
{
	n->len = 0;
	n->labels = 0;
}

/* Append one label (no root); silently refuses to exceed 255 octets. */
void gen_name_label(struct gen_name *n, const char *s, size_t l)
{
	if (l == 0 || l > 63 || n->len + 1 + l + 1 > 255)
		return;
	n->b[n->len++] = (uint8_t)l;
	memcpy(n->b + n->len, s, l);
	n->len += (uint8_t)l;
	n->labels++;
}

void gen_name_str(struct gen_name *n, const char *s)
{
	gen_name_label(n, s, strlen(s));
}

/* Append a dotted suffix ("in-addr.arpa", "co.uk") label by label. */
void gen_name_dotted(struct gen_name *n, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		gen_name_label(n, s, l);
		s += l + (dot != NULL);
	}
}

/* Append the labels of a finished wire name m (root included), leaving n unfinished. */
void gen_name_append(struct gen_name *n, const struct gen_name *m)
{
	size_t l = m->len ? m->len - 1u : 0u;
	if (n->len + l + 1 > 255)
		return;
	memcpy(n->b + n->len, m->b, l);
	n->len += (uint8_t)l;
	n->labels += m->labels;
}

void gen_name_finish(struct gen_name *n)
{
	n->b[n->len++] = 0;
}

void gen_name_printf_label(struct gen_name *n, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int l;

	va_start(ap, fmt);
	l = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (l > 0)
		gen_name_label(n, buf, (size_t)l < sizeof(buf) ? (size_t)l : sizeof(buf) - 1);
}

/* ---- messages ---- */

void gen_msg_init(struct gen_msg *m, uint8_t *buf, uint32_t cap)
{
	m->p = buf;
	m->cap = cap;
	m->len = 12;
	m->overflow = cap < 12;
	memset(m->counts, 0, sizeof(m->counts));
	m->ncomp = 0;
	m->names_used = 0;
}

void gen_msg_bytes(struct gen_msg *m, const void *b, size_t l)
{
	if (m->len + l > m->cap) {
		m->overflow = true;
		return;
	}
	memcpy(m->p + m->len, b, l);
	m->len += (uint32_t)l;
}

/* Write a wire name, replacing its longest already-written suffix by a pointer. */
void gen_msg_name(struct gen_msg *m, const struct gen_name *n, bool compress)
{
	const uint8_t *src = n->b;
	unsigned int len = n->len;

	if (!compress) {
		gen_msg_bytes(m, src, len);
		return;
	}
	/* Stable copy so later names can point at this one's suffixes. */
	const uint8_t *copy = src;
	if (m->names_used + len <= sizeof(m->names)) {
		memcpy(m->names + m->names_used, src, len);
		copy = m->names + m->names_used;
		m->names_used += len;
	}
	for (unsigned int i = 0; i < len && src[i] != 0; i += 1u + src[i]) {
		unsigned int sl = len - i;
		for (unsigned int e = 0; e < m->ncomp; e++) {
			if (m->comp[e].len == sl && memcmp(m->comp[e].suffix, src + i, sl) == 0) {
				gen_msg_u16(m, (uint16_t)(0xc000u | m->comp[e].off));
				return;
			}
		}
		if (m->len < 0x3fff && m->ncomp < sizeof(m->comp) / sizeof(m->comp[0]) &&
		    copy != src) {
			m->comp[m->ncomp++] = (struct gen_msg_comp){
				.suffix = copy + i, .off = (uint16_t)m->len, .len = (uint8_t)sl };
		}
		gen_msg_bytes(m, src + i, 1u + src[i]);
	}
	gen_msg_u8(m, 0);
}

void gen_msg_header(struct gen_msg *m, uint16_t id, uint16_t flags)
{
	if (m->cap < 12)
		return;
	m->p[0] = (uint8_t)(id >> 8);
	m->p[1] = (uint8_t)id;
	m->p[2] = (uint8_t)(flags >> 8);
	m->p[3] = (uint8_t)flags;
}

void gen_msg_finish(struct gen_msg *m)
{
	if (m->cap < 12)
		return;
	for (int i = 0; i < 4; i++) {
		m->p[4 + 2 * i] = (uint8_t)(m->counts[i] >> 8);
		m->p[5 + 2 * i] = (uint8_t)m->counts[i];
	}
}

void gen_msg_question(struct gen_msg *m, const struct gen_name *qname, uint16_t qtype)
{
	gen_msg_name(m, qname, true);
	gen_msg_u16(m, qtype);
	gen_msg_u16(m, 1);
	m->counts[0]++;
}

/* Start an RR; returns the offset of RDLENGTH to patch with gen_msg_rr_end(). */
uint32_t gen_msg_rr_begin(struct gen_msg *m, int section, const struct gen_name *owner,
			 uint16_t type, uint32_t ttl)
{
	uint32_t at;

	gen_msg_name(m, owner, true);
	gen_msg_u16(m, type);
	gen_msg_u16(m, 1);
	gen_msg_u32(m, ttl);
	at = m->len;
	gen_msg_u16(m, 0);
	m->counts[section]++;
	return at;
}

void gen_msg_rr_end(struct gen_msg *m, uint32_t at)
{
	uint32_t rdlen = m->len - at - 2;

	if (m->overflow)
		return;
	m->p[at] = (uint8_t)(rdlen >> 8);
	m->p[at + 1] = (uint8_t)rdlen;
}
