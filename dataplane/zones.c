/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "dataplane/zones.h"
#include "wire/dns.h"

#define PROBE_WINDOW 8
#define ZONES_MAX_REFERRAL_RRS 128

/*
 * Shared by every worker: a slot's two words are read and written with relaxed
 * atomics and no lock. Two workers learning into one slot at once leave one of
 * the two pairs (the other is simply not remembered); a reader sees a tag
 * whole or not at all. Nothing here needs more than that.
 */
struct zones_slot {
	uint64_t tag;		/* hash of (server, zone); 0 = empty */
	uint64_t seen_sec;
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define COUNT(p) __atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

struct zones {
	struct zones_slot *slot;
	uint32_t mask;
	struct zones_stats stats;
};

struct zones *zones_create(uint32_t capacity)
{
	struct zones *z = calloc(1, sizeof(*z));
	uint32_t n = 64;

	if (z == NULL)
		return NULL;
	while (n < capacity && n < (1u << 30))
		n <<= 1;
	z->slot = calloc(n, sizeof(*z->slot));
	if (z->slot == NULL) {
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	z->mask = n - 1;
	return z;
}

void zones_free(struct zones *z)
{
	if (z == NULL)
		return;
	free(z->slot);
	free(z);
}

static uint64_t pair_tag(const uint8_t *server, uint8_t addr_len, const uint8_t *zone,
			 uint8_t zone_len)
{
	uint64_t t = XXH3_64bits_withSeed(zone, zone_len,
					  XXH3_64bits(server, addr_len) ^ addr_len);
	return t ? t : 1;
}

void zones_learn(struct zones *z, const uint8_t *server, uint8_t addr_len,
		 const uint8_t *zone, uint8_t zone_len, uint64_t now_sec)
{
	uint64_t tag = pair_tag(server, addr_len, zone, zone_len);
	struct zones_slot *victim = NULL;

	uint64_t victim_tag = 0, victim_seen = 0;

	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		struct zones_slot *s = &z->slot[(tag + i) & z->mask];
		uint64_t t = LOAD(&s->tag), seen = LOAD(&s->seen_sec);
		if (t == tag) {
			/* At most one shared-line write per pair and second. */
			if (seen != now_sec) {
				STORE(&s->seen_sec, now_sec);
				COUNT(&z->stats.refreshed);
			}
			return;
		}
		if (t == 0) {
			if (victim == NULL || victim_tag != 0) {
				victim = s;
				victim_tag = 0;
			}
		} else if (victim == NULL || (victim_tag != 0 && seen < victim_seen)) {
			victim = s;
			victim_tag = t;
			victim_seen = seen;
		}
	}
	if (victim_tag != 0)
		COUNT(&z->stats.evicted);
	STORE(&victim->seen_sec, now_sec);
	STORE(&victim->tag, tag);
	COUNT(&z->stats.learned);
}

static bool known(const struct zones *z, uint64_t tag)
{
	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		uint64_t t = LOAD(&z->slot[(tag + i) & z->mask].tag);
		if (t == tag)
			return true;
		if (t == 0)
			return false;
	}
	return false;
}

uint8_t zones_lookup(struct zones *z, const uint8_t *server, uint8_t addr_len,
		     const uint8_t *qname, uint8_t qname_len)
{
	const uint8_t *name = qname;
	size_t len = qname_len;

	/* Longest first: qname itself, then each parent down to the root. */
	while (name != NULL && len > 0) {
		if (known(z, pair_tag(server, addr_len, name, (uint8_t)len)))
			return (uint8_t)len;
		name = dns_name_parent(name, len, &len);
	}
	return 0;
}

static bool name_eq(const uint8_t *a, uint8_t alen, const uint8_t *b, uint8_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

void zones_learn_response(struct zones *z, const struct dns_msg *m, const uint8_t *server,
			  uint8_t addr_len, const uint8_t *bailiwick, uint8_t bailiwick_len,
			  uint64_t now_sec)
{
	if (bailiwick_len == 0)
		return;
	zones_learn(z, server, addr_len, bailiwick, bailiwick_len, now_sec);
	/* Delegations: NS in authority, owner strictly below the bailiwick, not AA.
	 * The pairing below is quadratic; real referrals have a few dozen RRs, and a
	 * message with more than ZONES_MAX_REFERRAL_RRS teaches nothing. */
	if (m->aa || m->rr_count > ZONES_MAX_REFERRAL_RRS)
		return;
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *ns = &m->rr[i];
		if (ns->section != DNS_SECTION_AUTHORITY || ns->rrtype != DNS_TYPE_NS ||
		    name_eq(ns->owner, ns->owner_len, bailiwick, bailiwick_len) ||
		    !dns_name_is_subdomain(ns->owner, ns->owner_len, bailiwick, bailiwick_len))
			continue;
		/* NS rdata is the target name, canonical (uncompressed, lowercase). */
		for (uint32_t j = 0; j < m->rr_count; j++) {
			const struct dns_rr *g = &m->rr[j];
			if (g->section != DNS_SECTION_ADDITIONAL ||
			    !(g->rrtype == DNS_TYPE_A || g->rrtype == DNS_TYPE_AAAA) ||
			    g->rdlen > 255 || !name_eq(g->owner, g->owner_len, ns->rdata,
						       (uint8_t)ns->rdlen))
				continue;
			uint8_t addr[16] = { 0 };
			memcpy(addr, g->rdata, g->rdlen);
			zones_learn(z, addr, g->rrtype == DNS_TYPE_A ? 4 : 16, ns->owner,
				    ns->owner_len, now_sec);
		}
	}
}

const struct zones_stats *zones_stats(const struct zones *z)
{
	return &z->stats;
}
