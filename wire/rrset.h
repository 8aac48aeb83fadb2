/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RRset extraction: the RRs of a parsed message (wire/dns.h) grouped by
 * (section, owner, type, class), each group turned into its canonical key
 * (wire/rrkey.h) and handed to a callback with its XXH3-64 hash. Also the
 * bailiwick the message itself reveals, and the out-of-bailiwick test a
 * sensor uses to drop poisoning attempts (Weimer 2004).
 */
#ifndef DNSIFT_RRSET_H
#define DNSIFT_RRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/dns.h"
#include "wire/rrkey.h"

struct rrset_params {
	uint8_t flags;			/* RRKEY_F_* written into every key */
	const uint8_t *bailiwick;	/* canonical wire name; NULL = unknown */
	uint8_t bailiwick_len;		/* 0 = unknown */
	uint8_t *key;			/* key scratch, the caller's */
	size_t key_size;		/* RRKEY_MAX_LEN fits any 64 KiB message */
	/* Deliver sets outside a known bailiwick too (default: drop and count). */
	bool keep_out_of_bailiwick;
};

/* One RRset besides its key; pointers valid during the callback only. */
struct rrset_view {
	uint8_t section;	/* enum dns_section */
	uint16_t rrtype;
	uint16_t rrclass;
	const uint8_t *owner;	/* canonical wire name */
	uint8_t owner_len;
	uint16_t rr_count;	/* distinct rdata in the key */
	uint16_t rr_seen;	/* RRs of the set in the message, duplicates included */
	uint32_t min_ttl;	/* smallest TTL of the set (not part of the key) */
	bool out_of_bailiwick;	/* only ever true with keep_out_of_bailiwick */
};

struct rrset_result {
	uint32_t sets;			/* sets handed to the callback */
	uint32_t out_of_bailiwick;	/* sets dropped (or flagged) as out of bailiwick */
	uint32_t out_of_bailiwick_by_section[4]; /* the same, by enum dns_section */
	uint32_t rrs;			/* RRs of the delivered sets, duplicates included */
};

/*
 * Called once per RRset with its canonical key (wire/rrkey.h) and
 * rrkey_hash() of it. Return 0 to go on; a negative value stops
 * rrset_extract(), which returns it.
 */
typedef int (*rrset_fn)(void *arg, const struct rrset_view *v, const uint8_t *key,
			uint32_t key_len, uint64_t hash);

/*
 * Group the RRs of msg into RRsets (section, owner, type, class) and call fn
 * once per set, ordered by section, then type, class, owner. Each key is
 * built in params->key. With a bailiwick, sets whose owner is not at or below
 * it are dropped and counted (rrset_out_of_bailiwick()). Every set is sized
 * before the first call, so -DNSIFT_EDNS_RRSET_TOO_BIG (a set that does not
 * fit key_size) means fn was not called at all. res (may be NULL) is always
 * filled, also on error. Returns the number of sets delivered or a negative
 * code (-DNSIFT_EINVAL, -DNSIFT_EDNS_RRSET_TOO_BIG, or fn's own).
 * No allocation; about 4 KiB of stack. Any thread.
 */
int rrset_extract(const struct dns_msg *msg, const struct rrset_params *params, rrset_fn fn,
		  void *arg, struct rrset_result *res);

/*
 * The zone the message itself claims to speak for. Only evidence: a server can
 * claim any ancestor of the qname ("." included), so a sensor must not take it
 * as the bailiwick (dataplane/deleg.h clamps it to the delegation chain). Used
 * by the test tools and benchmarks, which have no chain. The claim is:
 *  1. an SOA in the authority section whose owner is the qname or an
 *     ancestor of it (negative answers, NODATA): that owner;
 *  2. else a referral (no answer RRs, AA clear, an NS RRset in authority
 *     whose owner is the qname or an ancestor of it): the parent of that
 *     delegation owner, the zone that delegated;
 *  3. else unknown.
 * Writes the canonical wire name to out and its length to *len (0 when
 * unknown). Returns 0, or -DNSIFT_EINVAL for NULL arguments. Any thread.
 */
int dns_msg_bailiwick(const struct dns_msg *msg, uint8_t out[DNS_NAME_MAX], uint8_t *len);

/* Which rule gave dns_msg_bailiwick_from() its answer. */
enum dns_bailiwick_source {
	DNS_BAILIWICK_UNKNOWN = 0,
	DNS_BAILIWICK_SOA,	/* the owner of an SOA at or above the qname: certain */
	DNS_BAILIWICK_REFERRAL,	/* the parent of the delegation owner: a guess a caller
				 * with more knowledge of the server may widen */
};

/* As dns_msg_bailiwick(), also saying which rule answered (source may be NULL). */
int dns_msg_bailiwick_from(const struct dns_msg *msg, uint8_t out[DNS_NAME_MAX], uint8_t *len,
			   enum dns_bailiwick_source *source);

/*
 * True when a bailiwick is known and owner is neither it nor below it: the
 * server had no authority to say anything about owner, so a sensor drops the
 * set and counts it. False when the bailiwick is unknown (len 0). Any thread.
 */
bool rrset_out_of_bailiwick(const uint8_t *owner, size_t owner_len,
			    const uint8_t *bailiwick, size_t bailiwick_len);

#endif
