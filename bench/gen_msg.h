/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_msg: a DNS message writer for generators and tests (EAL-free, libc only).
 *
 * Names are assembled in wire form (struct gen_name: uncompressed labels, then the
 * root), then written into a message with name compression as authoritative
 * servers do it: the longest suffix already written becomes a pointer. Writes
 * past the buffer set gen_msg.overflow and are dropped, so a run of writes is
 * checked once at the end; nothing is ever written out of bounds.
 *
 * This is a writer, not an oracle: tests whose point is the exact wire bytes build
 * them by hand. Used by dnsift-tracegen, whose output is deterministic, so the
 * bytes written for the same calls must never change.
 *
 * Threads: no shared state; a gen_msg or gen_name belongs to its caller.
 */
#ifndef DNSIFT_BENCH_GEN_MSG_H
#define DNSIFT_BENCH_GEN_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A wire-format name being assembled (uncompressed, lowercase). */
struct gen_name {
	uint8_t b[256];
	uint8_t len;	/* bytes including the root label once finished */
	uint8_t labels;
};

void gen_name_clear(struct gen_name *n);
/* Append one label (no root); silently refuses to exceed 63 or 255 octets. */
void gen_name_label(struct gen_name *n, const char *s, size_t l);
void gen_name_str(struct gen_name *n, const char *s);
/* Append a dotted suffix ("in-addr.arpa", "co.uk") label by label. */
void gen_name_dotted(struct gen_name *n, const char *s);
/* Append the labels of a finished wire name m (root included), leaving n unfinished. */
void gen_name_append(struct gen_name *n, const struct gen_name *m);
/* Add the root label: n is a complete wire name. */
void gen_name_finish(struct gen_name *n);
/* Append one label formatted like printf (at most 63 octets). */
void gen_name_printf_label(struct gen_name *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sections, as indexes of gen_msg.counts (and the header's count fields). */
enum gen_msg_section { GEN_SEC_QD = 0, GEN_SEC_AN = 1, GEN_SEC_NS = 2, GEN_SEC_AR = 3 };

struct gen_msg_comp {
	const uint8_t *suffix;	/* points into gen_msg.names */
	uint16_t off;
	uint8_t len;
};

struct gen_msg {
	uint8_t *p;
	uint32_t len;
	uint32_t cap;
	bool overflow;
	uint16_t counts[4];	/* QD, AN, NS, AR */
	unsigned int ncomp;
	struct gen_msg_comp comp[128];
	uint8_t names[8192];	/* stable copies of names used for compression */
	uint32_t names_used;
};

/* Start a message in buf (cap bytes) after a 12-octet header left to gen_msg_header(). */
void gen_msg_init(struct gen_msg *m, uint8_t *buf, uint32_t cap);

static inline void gen_msg_u8(struct gen_msg *m, uint8_t v)
{
	if (m->len + 1 > m->cap) {
		m->overflow = true;
		return;
	}
	m->p[m->len++] = v;
}

static inline void gen_msg_u16(struct gen_msg *m, uint16_t v)
{
	gen_msg_u8(m, (uint8_t)(v >> 8));
	gen_msg_u8(m, (uint8_t)v);
}

static inline void gen_msg_u32(struct gen_msg *m, uint32_t v)
{
	gen_msg_u16(m, (uint16_t)(v >> 16));
	gen_msg_u16(m, (uint16_t)v);
}

void gen_msg_bytes(struct gen_msg *m, const void *b, size_t l);
/* Write a wire name; with compress, its longest already-written suffix becomes a pointer. */
void gen_msg_name(struct gen_msg *m, const struct gen_name *n, bool compress);
/* ID and flags (QR, opcode, AA, TC, RD, RA, rcode) of the header. */
void gen_msg_header(struct gen_msg *m, uint16_t id, uint16_t flags);
/* Write the section counts into the header; call once the last record is in. */
void gen_msg_finish(struct gen_msg *m);
/* A question of class IN. */
void gen_msg_question(struct gen_msg *m, const struct gen_name *qname, uint16_t qtype);
/* Start an RR of class IN in section; returns the offset of RDLENGTH for gen_msg_rr_end(). */
uint32_t gen_msg_rr_begin(struct gen_msg *m, int section, const struct gen_name *owner,
			  uint16_t type, uint32_t ttl);
/* Patch RDLENGTH once the rdata is written. */
void gen_msg_rr_end(struct gen_msg *m, uint32_t at);

#endif
