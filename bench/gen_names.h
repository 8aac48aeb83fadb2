/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_names: the trace generator's name universe. Every name, its zone and the
 * zone's parent are a pure function of (seed, index), shaped like real ones
 * (words, hyphens, digits, CDN-style hex labels; TLDs weighted as in resolver
 * traffic), so a name drawn twice is the same name.
 *
 * Threads: gen_names_init() once before any other call; then any thread.
 */
#ifndef DNSIFT_BENCH_GEN_NAMES_H
#define DNSIFT_BENCH_GEN_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/gen_msg.h"
#include "bench/gen_rng.h"

/* Word list of labels, service labels of SRV names, DNS providers' zone labels. */
#define GEN_NWORDS 200u
#define GEN_NSRV 10u
#define GEN_NPROVIDERS 12u
extern const char *const gen_words[GEN_NWORDS];
extern const char *const gen_srv_names[GEN_NSRV];
extern const char *const gen_providers[GEN_NPROVIDERS];

/*
 * The universe entry for a name index: a forward name with its zone (the registered
 * domain) and the zone's parent. Everything is derived from (seed, idx) alone.
 */
struct gen_uname {
	struct gen_name fqdn;	/* 2-5 labels */
	struct gen_name zone;	/* registered domain */
	struct gen_name parent;	/* TLD (or co.uk) */
	uint64_t h;		/* identity of the name */
	uint64_t zh;		/* identity of the zone (servers, signing) */
	uint64_t ph;		/* identity of the parent zone */
	uint32_t ttl;
};

/* Build the TLD weight table. */
void gen_names_init(void);

/* A label shaped like real ones: words, hyphenated words, digits, hex CDN labels. */
void gen_label(struct gen_name *n, struct rng *r, bool host);
/* The forward name of index idx; short_share of names get short TTLs. */
void gen_uname(struct gen_uname *u, uint64_t seed, uint32_t idx, double short_share);
/* The reverse (in-addr.arpa) name of an address of the trace's ranges; zone: the /24. */
void gen_ptr_uname(struct gen_uname *u, uint64_t seed, uint32_t idx);
/* Identity of a finished name under seed. */
uint64_t gen_name_hash(const struct gen_name *n, uint64_t seed);
/* name = label (with num when non-zero) + zone, for host names inside a zone. */
void gen_name_in_zone(struct gen_name *out, const char *label, unsigned int num,
		      const struct gen_name *zone);

#endif
