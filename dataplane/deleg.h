/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delegation chain the sensor has seen, and the bailiwick rule built on it
 * (passive DNS bailiwick reconstruction in the spirit of ISC's and Weimer 2004).
 *
 * Knowledge, learned only from matched responses and only from RRsets that
 * passed the bailiwick test of their own response:
 *   - per nameserver name N: the zones N was named a nameserver of (NS RRsets
 *     from referrals and from authoritative answers) and N's addresses (A/AAAA
 *     RRsets, glue included);
 *   - derived from those two: (server address, zone) pairs, "S is an address of
 *     one of Z's nameservers". A pair is made whichever of the two facts
 *     arrives second, so a delegation to ns1.provider.net connects the zone to
 *     the address the resolver finds for ns1.provider.net later (or earlier).
 *   - the root: root_hints (deleg_load_hints), pinned, never aged out; without
 *     hints, the root servers are learned from a priming answer (". NS", AA,
 *     from a server that lists itself among the answer's glue).
 *
 * The rule (deleg_bailiwick): a response from server S for qname Q has as its
 * bailiwick the deepest zone Z at or above Q (for qtype DS, at or above Q's
 * parent: DS lives in the parent zone) for which (S, Z) is known. The message's
 * own evidence may only narrow that: an AA answer's authority SOA, or an NS
 * RRset whose nameservers include S, naming a zone strictly below Z and at or
 * above Q. Claims above or beside Z are ignored and counted.
 *
 * Storage, bounded at create time and shared by every worker without locks:
 * two open-addressing arrays of 64-bit words read and written with relaxed
 * atomics, as dataplane/zones.c did. The tables hold hashes, never names:
 *   pairs: tag = hash(address hash, zone hash), last-seen second;
 *   nameservers: tag = hash(NS name), last-seen second, up to DELEG_NS_ADDRS
 *     address hashes and DELEG_NS_ZONES zone hashes (the most recent replace
 *     the oldest). Every value is stored XORed with its slot's tag, so a
 *     reader that races a slot being reused for another name decodes noise
 *     that matches nothing, never another name's facts.
 * Entries not refreshed within max_age_sec are ignored by lookups and are the
 * first evicted. Seeing a name again refreshes the name at once and re-derives
 * its pairs at most every max_age_sec / 8 (so a referral seen again costs no pair
 * writes in between). A false pair needs a 64-bit hash collision.
 */
#ifndef DNSIFT_DP_DELEG_H
#define DNSIFT_DP_DELEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_msg;
struct deleg;

#define DELEG_NS_ADDRS 8
#define DELEG_NS_ZONES 8

struct deleg_params {
	uint32_t max_pairs;		/* (server, zone) pairs (rounded up to a power of two) */
	uint32_t max_nameservers;	/* nameserver names (same) */
	uint32_t max_age_sec;		/* unrefreshed entries are ignored after this */
};

/* Table counters; relaxed atomics, written by any worker, read by any thread. */
struct deleg_stats {
	uint64_t pairs_learned;		/* new (server, zone) pairs */
	uint64_t pairs_refreshed;	/* pairs seen again in a later second */
	uint64_t pairs_evicted;		/* a full probe window replaced its stalest pair */
	uint64_t pairs_used;		/* slots holding a pair (stale ones included) */
	uint64_t ns_learned;		/* new nameserver names */
	uint64_t ns_evicted;
	uint64_t ns_used;
	uint64_t learn_full;		/* facts not stored: every candidate slot pinned */
};

enum deleg_outcome {
	DELEG_UNKNOWN = 0,	/* no (S, zone) pair at or above the qname */
	DELEG_CHAIN,		/* the deepest zone the chain says S serves */
	DELEG_NARROWED,		/* the message named a zone below the chain's, S serves it */
	DELEG_PRIMING,		/* no root hints: a priming answer, bailiwick "." */
};

struct deleg_verdict {
	enum deleg_outcome outcome;
	const uint8_t *zone;	/* wire name (points into the message); NULL if unknown */
	uint8_t zone_len;
	bool claim_refused;	/* an SOA/NS claimed a zone above or beside the bailiwick */
	uint32_t lookups;	/* (S, zone) probes made */
	uint32_t hits;		/* probes that found a live pair */
};

/* NULL + errno (EINVAL, ENOMEM). Main thread. */
struct deleg *deleg_create(const struct deleg_params *params);
void deleg_free(struct deleg *d);

/*
 * Read a root hints file (the master-file format Unbound and BIND read: ". NS
 * name" and "name A|AAAA addr" lines, TTL and class optional, ';' comments).
 * Pins the root's nameservers, their addresses and the derived (address, ".")
 * pairs; priming answers are then judged by the ordinary rule. Returns the
 * number of root server addresses, or a negative -DNSIFT_* code with
 * "file:line: why" in err. Main thread, before the workers start.
 */
int deleg_load_hints(struct deleg *d, const char *path, char *err, size_t errlen);

/* True once root hints were loaded (priming then teaches nothing new). Any thread. */
bool deleg_has_hints(const struct deleg *d);

/*
 * Facts, already checked by the caller (the response's bailiwick covers the
 * RRset they come from). zone/ns/owner: canonical wire names; addr 4 or 16
 * bytes. pinned: never aged or evicted (root hints). Any thread.
 */
void deleg_learn_ns(struct deleg *d, const uint8_t *zone, uint8_t zone_len, const uint8_t *ns,
		    uint8_t ns_len, uint64_t now_sec, bool pinned);
/* An address of ns: stored only if ns is a known nameserver name (or pinned). */
void deleg_learn_addr(struct deleg *d, const uint8_t *ns, uint8_t ns_len, const uint8_t *addr,
		      uint8_t addr_len, uint64_t now_sec, bool pinned);
/* S serves zone directly (a narrowed answer's evidence). */
void deleg_learn_pair(struct deleg *d, const uint8_t *server, uint8_t addr_len,
		      const uint8_t *zone, uint8_t zone_len, uint64_t now_sec, bool pinned);

/* True when (server, zone) is a live pair. Any thread. */
bool deleg_serves(struct deleg *d, const uint8_t *server, uint8_t addr_len, const uint8_t *zone,
		  uint8_t zone_len, uint64_t now_sec);

/*
 * The bailiwick of response m from server (addr_len 4 or 16) under the rule
 * above. Fills *v; v->zone points into m (its qname or an RR owner). No
 * allocation, no locks. Any thread.
 */
void deleg_bailiwick(struct deleg *d, const struct dns_msg *m, const uint8_t *server,
		     uint8_t addr_len, uint64_t now_sec, struct deleg_verdict *v);

/*
 * Learn what a response whose bailiwick is bw (from deleg_bailiwick) teaches:
 * NS RRsets (answer, authority) and A/AAAA RRsets (any section) whose owner
 * is at or below bw, and for a narrowed verdict the pair (server, bw).
 * Nothing outside bw is looked at. Any thread.
 */
void deleg_learn_response(struct deleg *d, const struct dns_msg *m, const uint8_t *server,
			  uint8_t addr_len, const struct deleg_verdict *v, uint64_t now_sec);

const struct deleg_stats *deleg_stats(const struct deleg *d);

/* Every table counter and the two capacities as "deleg_<name>", for telemetry
 * and the exit summary. Any thread. */
void deleg_foreach_counter(const struct deleg *d,
			   void (*fn)(void *arg, const char *name, uint64_t value), void *arg);

#endif
