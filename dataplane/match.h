/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * match: per-worker query/response matching, as ISC's dnsqr does.
 *
 * A bounded table of outstanding queries keyed by (client addr, client port,
 * server addr, server port, transport, DNS ID, qname, qtype, qclass). A query
 * inserts (a repeat of an outstanding query refreshes it), a response looks its
 * query up and removes it, unanswered queries time out, and when the table is
 * full the oldest entry is evicted so new queries still match.
 *
 * The qname is compared as bytes: callers pass it in uncompressed wire format
 * with every ASCII letter already folded to lowercase (what wire/dns produces).
 * Case is NOT folded here; a query for "WWW.example.com" and a response for
 * "www.example.com" only match if the caller lowercased both.
 *
 * The table stores a 64-bit XXH3 hash of the qname (seeded per table from the
 * params, or from the clock at create) plus its length instead of the name:
 * ~80 bytes per entry instead of ~340. A response for a different name can then
 * wrongly match only if addresses, ports, transport, ID, qtype, qclass and
 * qname length are all equal and the two 64-bit hashes collide: 2^-64 per such
 * response, and an off-path forger cannot aim for a collision without the seed.
 *
 * Time is "now" in nanoseconds (any monotonic origin, the same one per table).
 * Memory: all of it at create; the hot calls never allocate, lock or log.
 * One table per worker; only that worker calls the hot functions.
 */
#ifndef DNSIFT_DATAPLANE_MATCH_H
#define DNSIFT_DATAPLANE_MATCH_H

#include <stdint.h>

#include "wire/err.h"

#define MATCH_DEFAULT_MAX_ENTRIES (64u * 1024u)
#define MATCH_DEFAULT_QUERY_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
#define MATCH_QNAME_MAX 255

struct match_params {
	unsigned int max_entries;	/* outstanding queries held; 0 = default */
	uint64_t query_timeout_ns;	/* unanswered after this; 0 = default (5 s) */
	uint64_t hash_seed;		/* 0 = pick one from the clock at create */
};

/*
 * The key of one exchange, always from the client's point of view, so a query
 * and its response build the same key: fill it with match_key_from_packet().
 * Addresses: 4 bytes (AF_INET) or 16 bytes (AF_INET6) at the start of the
 * 16-byte arrays, rest zero. Ports, id, qtype, qclass in host byte order.
 */
struct match_key {
	uint8_t client[16];
	uint8_t server[16];
	uint16_t client_port;
	uint16_t server_port;
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t transport;	/* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t qname_len;	/* 1..255, root label included */
	const uint8_t *qname;	/* lowercase wire format; not copied, not kept */
};

/* What one packet says about itself, in the packet's own direction. */
struct match_packet {
	int family;
	int transport;
	const uint8_t *src;	/* 4 or 16 bytes by family */
	const uint8_t *dst;
	uint16_t sport;
	uint16_t dport;
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint16_t qname_len;
	const uint8_t *qname;	/* lowercase wire format */
};

enum match_direction {
	MATCH_DIR_QUERY,	/* the packet goes client -> server */
	MATCH_DIR_RESPONSE,	/* the packet goes server -> client */
};

/*
 * Fill key from a packet: for a query the client is the source, for a response
 * the destination. The one place the address/port swap happens. Returns 0 or
 * -DNSIFT_EINVAL (bad family, qname_len 0 or > 255, NULL pointers). Any thread.
 */
int match_key_from_packet(struct match_key *key, const struct match_packet *pkt,
			  enum match_direction dir);

/*
 * Per-table counters. Written only by the owning worker, read by the telemetry
 * thread: plain aligned u64 stores are atomic on x86-64, so a reader sees each
 * counter whole (maybe a little stale). Sum over workers at read time.
 */
#define MATCH_STATS(X) \
	X(queries,             "queries offered") \
	X(queries_inserted,    "new outstanding queries") \
	X(queries_duplicate,   "repeat of an outstanding query: refreshed") \
	X(responses,           "responses offered") \
	X(responses_matched,   "responses that matched an outstanding query") \
	X(responses_unmatched, "responses with no outstanding query") \
	X(unanswered,          "queries timed out without a response") \
	X(evicted,             "oldest query evicted because the table was full") \
	X(invalid_key,         "calls with an invalid key")

struct match_stats {
#define MATCH_STATS_FIELD(name, text) uint64_t name;
	MATCH_STATS(MATCH_STATS_FIELD)
#undef MATCH_STATS_FIELD
};

struct match;

/* NULL with errno (EINVAL, ENOMEM). Any thread, before the worker starts. */
struct match *match_create(const struct match_params *params);
/* Any thread, once the worker has stopped using it. NULL is fine. */
void match_free(struct match *t);

/*
 * Record an outstanding query. 0 = inserted, 1 = it was already outstanding and
 * its time is refreshed (counted queries_duplicate), -DNSIFT_EINVAL. A full
 * table evicts its oldest entry first (counted evicted). Owning worker only.
 */
int match_query(struct match *t, const struct match_key *key, uint64_t now_ns);

/*
 * Look up and remove the query a response answers. 1 = matched (and, if
 * query_ns is not NULL, the query's time is stored there: RTT = now - query),
 * 0 = no outstanding query (counted responses_unmatched), -DNSIFT_EINVAL.
 * A query older than query_timeout_ns that expire() has not yet reaped does not
 * match: the result never depends on when expire() last ran. Owning worker only.
 */
int match_response(struct match *t, const struct match_key *key, uint64_t now_ns,
		   uint64_t *query_ns);

/*
 * Remove up to budget queries older than query_timeout_ns (counted unanswered),
 * oldest first. Returns how many were removed. Owning worker only, from its
 * poll loop every so often, so one call's cost stays bounded.
 */
unsigned int match_expire(struct match *t, uint64_t now_ns, unsigned int budget);

/* Outstanding queries now held. Owning worker only. */
unsigned int match_count(const struct match *t);

/* The table's counters (live; see struct match_stats). Any thread. */
const struct match_stats *match_stats(const struct match *t);

#endif
