/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which zones each authoritative server has been seen serving, so that an
 * answer that does not name its zone (an AA answer with no SOA and no
 * referral) still gets a bailiwick: the longest zone at or above the qname
 * that this server was seen answering for.
 *
 * Learned from (a) responses whose own content tells their zone (SOA in the
 * authority section, or a referral: the server speaks for the parent), and
 * (b) referrals: the glue addresses of a delegation serve the child zone.
 * Only in-bailiwick referrals teach (b), so a server cannot claim zones above
 * the one it was delegated.
 *
 * The table keeps a 64-bit hash of (server address, zone name) and no names:
 * a lookup walks the qname's ancestors, which carry the zone's bytes anyway.
 * A false match needs a 64-bit collision. Open addressing over a fixed array
 * sized at create time; a full probe window evicts its stalest entry.
 *
 * One table for all workers (RSS sends a referral and the later answers from
 * its glue servers to different workers): zones_learn and zones_lookup may be
 * called by any thread at once; slots use relaxed atomics, no locks.
 */
#ifndef DNSIFT_DP_ZONES_H
#define DNSIFT_DP_ZONES_H

#include <stdbool.h>
#include <stdint.h>

struct dns_msg;
struct zones;

struct zones_stats {
	uint64_t learned;	/* new (server, zone) pairs */
	uint64_t refreshed;	/* pairs seen again in a later second */
	uint64_t evicted;	/* stalest pair replaced in a full probe window */
};

/* capacity: pairs held (rounded up to a power of two). NULL + errno. */
struct zones *zones_create(uint32_t capacity);
void zones_free(struct zones *z);

/* Remember that server (addr_len 4 or 16 bytes) serves zone (wire name). */
void zones_learn(struct zones *z, const uint8_t *server, uint8_t addr_len,
		 const uint8_t *zone, uint8_t zone_len, uint64_t now_sec);

/*
 * Learn what a response teaches: its own zone (bailiwick, when known) for the
 * answering server, and for each in-bailiwick delegation in the authority
 * section, the child zone for every glue address in the additional section.
 */
void zones_learn_response(struct zones *z, const struct dns_msg *m, const uint8_t *server,
			  uint8_t addr_len, const uint8_t *bailiwick, uint8_t bailiwick_len,
			  uint64_t now_sec);

/*
 * The longest zone at or above qname that server was seen serving: its length
 * (the zone is the last *len bytes of qname), or 0 when none is known.
 */
uint8_t zones_lookup(struct zones *z, const uint8_t *server, uint8_t addr_len,
		     const uint8_t *qname, uint8_t qname_len);

const struct zones_stats *zones_stats(const struct zones *z);

#endif
