/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_scenario: the trace generator's traffic. Options and presets, then one
 * resolver-upstream exchange at a time: a query drawn from the name universe
 * (Zipf, or unique names for the random-subdomain attack), the server's
 * response (answers with their RRSIGs, NXDOMAIN and NODATA with SOA and NSEC,
 * referrals with NS, DS and glue; the rdata of an RRset a pure function of name,
 * type and version), and the frames that carry both (UDP, or TCP with a
 * handshake, messages split anywhere, and FIN).
 *
 * Threads: one generator per thread; gen_init() once before gen_make_exchange().
 */
#ifndef DNSIFT_BENCH_GEN_SCENARIO_H
#define DNSIFT_BENCH_GEN_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/gen_frame.h"
#include "bench/gen_rng.h"

#define EXCH_BYTES		(64u * 1024u)
#define EXCH_PKTS		64u
#define MAX_INFLIGHT		1024u

struct gen_opts {
	const char *out;
	uint64_t packets;
	uint64_t seed;
	uint32_t names;
	double zipf;
	double repeat;
	double ipv6;
	double tcp;
	double frag;
	double vlan;
	double dnssec;
	double nxdomain;
	double nodata;
	double referral;
	double edns;
	double ttl_short;
	bool unique;
	uint32_t victims;
	uint32_t inflight;
	uint64_t pps;
	uint64_t start;
	bool quiet;
};

/* The realistic mix. */
void gen_opts_defaults(struct gen_opts *o);
/* Apply a preset (realistic, hotcache, attack, tcpfrag) to o; -1 when unknown. */
int gen_apply_preset(struct gen_opts *o, const char *name);

enum qkind { QK_A, QK_AAAA, QK_HTTPS, QK_PTR, QK_TXT, QK_MX, QK_NS, QK_DS, QK_DNSKEY,
	     QK_SOA, QK_CAA, QK_SRV, QK_CNAME, QK_COUNT };

/* Name of a query kind's type ("A", "AAAA", ...). */
const char *gen_qkind_name(enum qkind k);

/* The frames of one exchange, in the order they are sent. */
struct exch {
	uint8_t data[EXCH_BYTES];
	uint32_t off[EXCH_PKTS];
	uint16_t plen[EXCH_PKTS];
	unsigned int n;
	unsigned int next;
	uint32_t used;
};

struct gen {
	struct gen_opts o;
	struct rng r;
	struct zipf zipf;
	uint64_t fresh;		/* version counter of fresh RRsets */
	uint64_t unique_ctr;
	struct gen_frame_writer fw;	/* IP identifiers; fragment, IPv6, VLAN counts */
	struct exch *slots;
	unsigned int nslots;
	/* statistics */
	uint64_t pkts, bytes, exchanges, tcp_exchanges;
	uint64_t kind_count[QK_COUNT];
	uint64_t rcode_nx, rcode_nodata, referrals;
	struct {
		uint64_t n, bytes;
	} qsize, rsize;
};

/* Seed g from g->o (set it first): tables, random numbers, Zipf, IP identifiers. */
void gen_init(struct gen *g);
/* Build every packet of one exchange into e. */
void gen_make_exchange(struct gen *g, struct exch *e);

#endif
