/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounds-checked read cursor over a byte buffer, after Knot DNS's wire_ctx.
 *
 * The cursor remembers its first error: once a read would pass the end, every
 * later read returns zero and leaves the position alone, so a run of reads is
 * checked once at the end with wire_ctx_error(). Reads never touch a byte
 * outside [base, base + size).
 */
#ifndef DNSIFT_WIRE_CTX_H
#define DNSIFT_WIRE_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_ctx {
	const uint8_t *base;
	size_t size;
	size_t pos;
	int error;		/* 0 or the first negative dnsift_err */
	int trunc_error;	/* code to record when a read passes the end */
};

static inline struct wire_ctx wire_ctx_init(const uint8_t *base, size_t size, int trunc_error)
{
	struct wire_ctx c = { .base = base, .size = size, .pos = 0, .error = 0,
			      .trunc_error = trunc_error };
	return c;
}

static inline size_t wire_ctx_available(const struct wire_ctx *c)
{
	return c->error ? 0 : c->size - c->pos;
}

static inline int wire_ctx_error(const struct wire_ctx *c)
{
	return c->error;
}

static inline void wire_ctx_set_error(struct wire_ctx *c, int err)
{
	if (c->error == 0)
		c->error = err;
}

static inline bool wire_ctx_can_read(struct wire_ctx *c, size_t n)
{
	if (c->error)
		return false;
	if (n > c->size - c->pos) {
		c->error = c->trunc_error;
		return false;
	}
	return true;
}

static inline const uint8_t *wire_ctx_ptr(const struct wire_ctx *c)
{
	return c->base + c->pos;
}

static inline void wire_ctx_skip(struct wire_ctx *c, size_t n)
{
	if (wire_ctx_can_read(c, n))
		c->pos += n;
}

static inline uint8_t wire_ctx_read_u8(struct wire_ctx *c)
{
	if (!wire_ctx_can_read(c, 1))
		return 0;
	return c->base[c->pos++];
}

static inline uint16_t wire_ctx_read_u16(struct wire_ctx *c)
{
	if (!wire_ctx_can_read(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->base[c->pos] << 8 | c->base[c->pos + 1]);
	c->pos += 2;
	return v;
}

static inline uint32_t wire_ctx_read_u32(struct wire_ctx *c)
{
	if (!wire_ctx_can_read(c, 4))
		return 0;
	const uint8_t *p = c->base + c->pos;
	uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	c->pos += 4;
	return v;
}

static inline void wire_ctx_read(struct wire_ctx *c, void *dst, size_t n)
{
	if (!wire_ctx_can_read(c, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->base + c->pos, n);
	c->pos += n;
}

/* Big-endian helpers for code that has already checked its bounds. */
static inline uint16_t wire_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
