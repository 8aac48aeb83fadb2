/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The canonical RRset key: the bytes dedup/ stores and compares, and the only
 * input the COF renderer needs. TTL is not part of it.
 *
 *   off  size  field
 *   0    1     version (RRKEY_VERSION)
 *   1    1     flags (RRKEY_F_*)
 *   2    2     rrtype  (network order)
 *   4    2     rrclass (network order)
 *   6    1     owner length L1 (1..255), then L1 octets: uncompressed wire-format
 *              name, every ASCII letter folded to lowercase, ending in the root label
 *   .    1     bailiwick length L2: 0 = unknown, else 1..255 octets as for the owner
 *   .    2     rdata count N (network order, >= 1)
 *   N x  2+n   rdata length n (network order), then n octets of canonical rdata
 *
 * Canonical rdata: embedded domain names are uncompressed and lowercased (for
 * every type whose names may be compressed, and for RRSIG signer / NSEC next /
 * SVCB target names); everything else is the octets as received. The N rdata
 * are sorted as left-justified octet strings (RFC 4034 6.3: shorter wins a
 * tie on a common prefix) and duplicates are removed, so one RRset has exactly
 * one key whatever the order on the wire.
 *
 * The hash stored with a key is XXH3_64bits over all its bytes (rrkey_hash()).
 */
#ifndef DNSIFT_RRKEY_H
#define DNSIFT_RRKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/err.h"
#include "wire/wire_ctx.h"

#define RRKEY_VERSION 1
/* The response this RRset came from matched no outstanding query (policy "record"). */
#define RRKEY_F_UNMATCHED 0x01
/* Largest key the wire path builds: fits a 64 KiB TCP message after name expansion. */
#define RRKEY_MAX_LEN (256u * 1024u)

struct rrkey_view {
	uint8_t version;
	uint8_t flags;
	uint16_t rrtype;
	uint16_t rrclass;
	const uint8_t *owner;	/* wire format, owner_len octets */
	uint8_t owner_len;
	const uint8_t *bailiwick; /* NULL when unknown */
	uint8_t bailiwick_len;
	uint16_t rdata_count;
	const uint8_t *rdata;	/* first rdata length field */
	size_t rdata_bytes;	/* from the first rdata length field to the end of the key */
};

/*
 * Split a key into its fields, checking lengths (not name syntax) so that a
 * corrupt key is rejected rather than read past. Returns 0 or -DNSIFT_EFORMAT.
 * Any thread.
 */
static inline int rrkey_view_init(struct rrkey_view *v, const uint8_t *key, size_t len)
{
	struct wire_ctx c = wire_ctx_init(key, len, -DNSIFT_EFORMAT);
	v->version = wire_ctx_read_u8(&c);
	v->flags = wire_ctx_read_u8(&c);
	v->rrtype = wire_ctx_read_u16(&c);
	v->rrclass = wire_ctx_read_u16(&c);
	v->owner_len = wire_ctx_read_u8(&c);
	v->owner = wire_ctx_ptr(&c);
	wire_ctx_skip(&c, v->owner_len);
	v->bailiwick_len = wire_ctx_read_u8(&c);
	v->bailiwick = v->bailiwick_len ? wire_ctx_ptr(&c) : NULL;
	wire_ctx_skip(&c, v->bailiwick_len);
	v->rdata_count = wire_ctx_read_u16(&c);
	if (wire_ctx_error(&c) || v->version != RRKEY_VERSION || v->owner_len == 0 ||
	    v->rdata_count == 0)
		return -DNSIFT_EFORMAT;
	v->rdata = wire_ctx_ptr(&c);
	v->rdata_bytes = wire_ctx_available(&c);
	/* Walk once so iterators below never need to check again. */
	for (unsigned i = 0; i < v->rdata_count; i++) {
		uint16_t n = wire_ctx_read_u16(&c);
		wire_ctx_skip(&c, n);
	}
	if (wire_ctx_error(&c) || wire_ctx_available(&c) != 0)
		return -DNSIFT_EFORMAT;
	return 0;
}

/* Iterate the rdata of a validated view: pass *pos = 0 first; false at the end. */
static inline bool rrkey_next_rdata(const struct rrkey_view *v, size_t *pos,
				    const uint8_t **rdata, uint16_t *rdlen)
{
	if (*pos >= v->rdata_bytes)
		return false;
	uint16_t n = wire_get_u16(v->rdata + *pos);
	*rdata = v->rdata + *pos + 2;
	*rdlen = n;
	*pos += 2u + n;
	return true;
}

/* XXH3-64 of the whole key; defined in rrset.c. Any thread. */
uint64_t rrkey_hash(const uint8_t *key, size_t len);

#endif
