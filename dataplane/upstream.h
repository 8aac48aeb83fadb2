/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * upstream: the rule "only resolver-upstream traffic is recorded".
 *
 * A set of resolver prefixes (IPv4 and IPv6 CIDRs) and a set of DNS server ports
 * decide, per packet and before any DNS parsing, whether a packet is part of an
 * exchange in which a configured resolver is the CLIENT (recorded) or the SERVER
 * (its own clients' traffic: dropped, so no client address ever leaves the worker).
 *
 * One instance is shared by all workers. The prefix set can be changed at run time
 * (CLI "resolvers add/del") while workers classify: the prefixes live in an
 * immutable table published with rcu_assign_pointer() and read with
 * rcu_dereference() (liburcu QSBR flavour, the one dedup/ uses). An update copies
 * the table, publishes the copy and frees the old one after synchronize_rcu().
 * The DNS port set is fixed at create time.
 *
 * Classification rules, with R(a) = "a is in the prefix set" and D(p) = "p is a
 * DNS port", first match wins:
 *   1. !D(sport) && !D(dport)                      -> UPSTREAM_OTHER
 *   2. empty prefix set: D(dport) -> UPSTREAM_QUERY, else UPSTREAM_RESPONSE
 *      (no resolver configured: every exchange with a DNS server counts as
 *      upstream; the sensor says so in its start-up log)
 *   3. D(sport) && D(dport) && R(src) != R(dst)    -> UPSTREAM_CLIENT_SIDE
 *      (port 53 to port 53 with one resolver end: the direction cannot be told
 *      from ports, and privacy wins over the rare resolver that queries from 53)
 *   4. R(src) && D(dport)                          -> UPSTREAM_QUERY
 *   5. R(dst) && D(sport)                          -> UPSTREAM_RESPONSE
 *   6. R(src) || R(dst)                            -> UPSTREAM_CLIENT_SIDE
 *   7. otherwise (DNS port, no resolver on either end) -> UPSTREAM_FOREIGN
 * With rule 2 and both ports DNS ports the packet is called a query; the worker
 * must check the QR bit agrees, the only arbiter left.
 */
#ifndef DNSIFT_DATAPLANE_UPSTREAM_H
#define DNSIFT_DATAPLANE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "wire/err.h"

enum upstream_class {
	UPSTREAM_OTHER = 0,	/* neither port is a DNS port: not DNS, not counted as a drop */
	UPSTREAM_QUERY,		/* resolver -> server DNS port: record */
	UPSTREAM_RESPONSE,	/* server DNS port -> resolver: record (if it matches a query) */
	UPSTREAM_CLIENT_SIDE,	/* the resolver is the server: drop before parsing, count */
	UPSTREAM_FOREIGN,	/* DNS port, but no configured resolver on either end: drop */
	UPSTREAM_CLASS_COUNT
};

/* Upper bound on prefixes when upstream_params.max_prefixes is 0; see below for cost. */
#define UPSTREAM_DEFAULT_MAX_PREFIXES 256
#define UPSTREAM_DEFAULT_DNS_PORT 53
/* Longest text upstream_list() writes for one prefix, newline included. */
#define UPSTREAM_PREFIX_TEXT_MAX 50

struct upstream_params {
	/*
	 * Most prefixes the set may hold (IPv4 and IPv6 together). A lookup is a
	 * linear scan of the prefixes of the packet's family, at most twice per DNS
	 * packet: about 1 ns per prefix, so keep it to a few hundred. 0 = default.
	 */
	unsigned int max_prefixes;
	/* DNS server ports; NULL / 0 entries = { 53 }. Port 0 is rejected. */
	const uint16_t *dns_ports;
	unsigned int dns_port_count;
};

/*
 * Per-worker counters of classify results, one instance per worker, written only
 * by that worker and read by the telemetry thread: plain aligned u64 stores are
 * atomic on x86-64, so a reader sees each counter whole (maybe a little stale).
 */
struct upstream_stats {
	uint64_t by_class[UPSTREAM_CLASS_COUNT];
};

struct upstream;

/*
 * Create the classifier with an empty prefix set. NULL with errno on failure
 * (EINVAL for bad params, ENOMEM). Control thread, before workers start.
 */
struct upstream *upstream_create(const struct upstream_params *params);

/* Free it and its table. Control thread, after every worker has stopped using it. */
void upstream_free(struct upstream *u);

/*
 * Add / delete one resolver prefix "ADDRESS[/LENGTH]" (a bare address is /32 or
 * /128). 0, or -DNSIFT_EUPSTREAM_CIDR (not an address/length),
 * -DNSIFT_EUPSTREAM_HOST_BITS (e.g. 192.0.2.1/24), -DNSIFT_EEXISTS / -DNSIFT_ENOTFOUND,
 * -DNSIFT_ELIMIT (max_prefixes), -DNSIFT_ENOMEM. When it returns 0 the new set is
 * visible to every worker's next classify and the old table is freed.
 * Any non-worker thread (serialised internally); blocks for an RCU grace period,
 * so it must never be called from a worker. Callable from a registered QSBR
 * thread (liburcu takes it offline around the grace period).
 */
int upstream_add(struct upstream *u, const char *cidr);
int upstream_del(struct upstream *u, const char *cidr);
/* Remove every prefix (back to "no resolver configured"). Same rules as add/del. */
int upstream_clear(struct upstream *u);

/*
 * Write the current prefixes, one "ADDRESS/LENGTH\n" per line, IPv4 first, each
 * family sorted by address then length, NUL-terminated. Returns the length
 * written (without the NUL) or -DNSIFT_ENOSPACE (buffer left empty). Sizing:
 * count * UPSTREAM_PREFIX_TEXT_MAX + 1 always suffices. Any non-worker thread.
 */
int upstream_list(struct upstream *u, char *buf, size_t size);

/* Number of prefixes now in the set (0 = "no resolver configured"). Any thread. */
unsigned int upstream_prefix_count(struct upstream *u);

/*
 * Classify one packet. family is AF_INET (src/dst: 4 bytes in network order) or
 * AF_INET6 (16 bytes); ports in host byte order. Any other family -> UPSTREAM_OTHER.
 * Hot path: no locks, no writes to shared memory. Worker threads only, and the
 * calling thread MUST be a registered liburcu-QSBR reader
 * (urcu_qsbr_register_thread) that announces quiescent states outside this call
 * (urcu_qsbr_quiescent_state() in its poll loop, or goes offline when idle):
 * the table it reads stays valid only until its next quiescent state.
 */
/*
 * Classify by addresses alone (an IP fragment that carries no ports): UPSTREAM_FOREIGN
 * when a prefix set is configured and neither address is in it, else UPSTREAM_OTHER,
 * meaning "cannot tell without ports". Same thread rules as upstream_classify.
 */
enum upstream_class upstream_classify_addrs(const struct upstream *u, int family,
					    const uint8_t *src, const uint8_t *dst);

enum upstream_class upstream_classify(const struct upstream *u, int family, const uint8_t *src,
				      uint16_t sport, const uint8_t *dst, uint16_t dport);

/* Classify and count the result in the worker's own stats. Same rules as above. */
static inline enum upstream_class upstream_classify_count(const struct upstream *u,
							  struct upstream_stats *stats, int family,
							  const uint8_t *src, uint16_t sport,
							  const uint8_t *dst, uint16_t dport)
{
	enum upstream_class c = upstream_classify(u, family, src, sport, dst, dport);

	stats->by_class[c]++;
	return c;
}

/* "other", "query", "response", "client_side", "foreign". Any thread. */
const char *upstream_class_name(enum upstream_class c);

#endif
