/* SPDX-License-Identifier: BSD-3-Clause */
/* The delegation table and the bailiwick rule: see deleg.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "dataplane/deleg.h"
#include "wire/dns.h"
#include "wire/err.h"

#define PROBE_WINDOW 8
#define PINNED UINT64_MAX
/* The pairing of NS targets with glue is quadratic; bigger messages teach no glue. */
#define DELEG_MAX_LEARN_RRS 256
#define SEED_ZONE 0x7a6f6e65ull		/* "zone" */
#define SEED_NS 0x6e73ull		/* "ns" */
#define SEED_ADDR 0x61646472ull		/* "addr" */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define COUNT(p) __atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

struct pair_slot {
	uint64_t tag;		/* hash(address hash, zone hash); 0 = empty */
	uint64_t seen_sec;	/* PINNED for root hints */
};

struct ns_slot {
	uint64_t tag;		/* hash of the NS name; 0 = empty */
	uint64_t seen_sec;
	uint64_t next;		/* round-robin replacement cursor for full value lists */
	uint64_t derived_sec;	/* last re-derivation of every (address, zone) pair */
	uint64_t addr[DELEG_NS_ADDRS];	/* address hashes ^ tag; 0 = empty */
	uint64_t zone[DELEG_NS_ZONES];	/* zone hashes ^ tag */
};

struct deleg {
	struct pair_slot *pair;
	struct ns_slot *ns;
	uint32_t pair_mask;
	uint32_t ns_mask;
	uint64_t max_age;
	uint64_t rederive;	/* seconds between re-derivations of a name's pairs */
	bool has_hints;
	struct deleg_stats stats;
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t v = 64;

	while (v < n && v < (1u << 30))
		v <<= 1;
	return v;
}

struct deleg *deleg_create(const struct deleg_params *params)
{
	struct deleg *d;

	if (params == NULL || params->max_pairs == 0 || params->max_nameservers == 0) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	uint32_t np = pow2_at_least(params->max_pairs);
	uint32_t nn = pow2_at_least(params->max_nameservers);
	d->pair = calloc(np, sizeof(*d->pair));
	d->ns = calloc(nn, sizeof(*d->ns));
	if (d->pair == NULL || d->ns == NULL) {
		deleg_free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->pair_mask = np - 1;
	d->ns_mask = nn - 1;
	d->max_age = params->max_age_sec ? params->max_age_sec : UINT32_MAX;
	/* A name seen again refreshes its derived pairs at most this often: they then
	 * stay live as long as the name is seen once per max_age - rederive. */
	d->rederive = d->max_age / 8 ? d->max_age / 8 : 1;
	return d;
}

void deleg_free(struct deleg *d)
{
	if (d == NULL)
		return;
	free(d->pair);
	free(d->ns);
	free(d);
}

bool deleg_has_hints(const struct deleg *d)
{
	return d->has_hints;
}

const struct deleg_stats *deleg_stats(const struct deleg *d)
{
	return &d->stats;
}

static inline uint64_t nonzero(uint64_t h)
{
	return h ? h : 1;
}

static inline uint64_t zone_hash(const uint8_t *zone, size_t len)
{
	return nonzero(XXH3_64bits_withSeed(zone, len, SEED_ZONE));
}

static inline uint64_t ns_hash(const uint8_t *ns, size_t len)
{
	return nonzero(XXH3_64bits_withSeed(ns, len, SEED_NS));
}

static inline uint64_t addr_hash(const uint8_t *addr, uint8_t len)
{
	return nonzero(XXH3_64bits_withSeed(addr, len, SEED_ADDR ^ len));
}

/* Both inputs are already XXH3 hashes: a 64-bit finaliser (murmur3's fmix64) over an
 * asymmetric combination is enough, and costs a few cycles instead of a third hash. */
static inline uint64_t pair_tag(uint64_t ah, uint64_t zh)
{
	uint64_t k = ah ^ (zh * 0x9e3779b97f4a7c15ull) ^ (zh >> 29);

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return nonzero(k);
}

static inline bool live(uint64_t seen, uint64_t now, uint64_t max_age)
{
	return seen == PINNED || seen + max_age >= now;
}

/* ---- pairs ---- */

static void pair_learn(struct deleg *d, uint64_t ah, uint64_t zh, uint64_t now, bool pinned)
{
	uint64_t tag = pair_tag(ah, zh);
	uint64_t stamp = pinned ? PINNED : now;
	struct pair_slot *victim = NULL;
	uint64_t victim_seen = 0;
	bool victim_empty = false;

	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		struct pair_slot *s = &d->pair[(tag + i) & d->pair_mask];
		uint64_t t = LOAD(&s->tag), seen = LOAD(&s->seen_sec);

		if (t == tag) {
			/* At most one shared-line write per pair and second. */
			if (seen != stamp && seen != PINNED) {
				STORE(&s->seen_sec, stamp);
				COUNT(&d->stats.pairs_refreshed);
			}
			return;
		}
		if (t == 0) {
			if (!victim_empty) {
				victim = s;
				victim_empty = true;
			}
		} else if (!victim_empty && seen != PINNED && (victim == NULL || seen < victim_seen)) {
			victim = s;
			victim_seen = seen;
		}
	}
	if (victim == NULL) {
		COUNT(&d->stats.learn_full);
		return;
	}
	if (victim_empty)
		COUNT(&d->stats.pairs_used);
	else
		COUNT(&d->stats.pairs_evicted);
	STORE(&victim->seen_sec, stamp);
	STORE(&victim->tag, tag);
	COUNT(&d->stats.pairs_learned);
}

static bool pair_live(const struct deleg *d, uint64_t ah, uint64_t zh, uint64_t now)
{
	uint64_t tag = pair_tag(ah, zh);

	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		const struct pair_slot *s = &d->pair[(tag + i) & d->pair_mask];
		uint64_t t = LOAD(&s->tag);

		if (t == tag)
			return live(LOAD(&s->seen_sec), now, d->max_age);
		if (t == 0)
			return false;
	}
	return false;
}

/* ---- nameserver names ---- */

static struct ns_slot *ns_find(struct deleg *d, uint64_t tag, uint64_t now)
{
	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		struct ns_slot *s = &d->ns[(tag + i) & d->ns_mask];
		uint64_t t = LOAD(&s->tag);

		if (t == tag)
			return live(LOAD(&s->seen_sec), now, d->max_age) ? s : NULL;
		if (t == 0)
			return NULL;
	}
	return NULL;
}

static struct ns_slot *ns_get(struct deleg *d, uint64_t tag, uint64_t now, bool pinned)
{
	uint64_t stamp = pinned ? PINNED : now;
	struct ns_slot *victim = NULL;
	uint64_t victim_seen = 0;
	bool victim_empty = false;

	for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
		struct ns_slot *s = &d->ns[(tag + i) & d->ns_mask];
		uint64_t t = LOAD(&s->tag), seen = LOAD(&s->seen_sec);

		if (t == tag) {
			if (seen != stamp && seen != PINNED) {
				if (!live(seen, now, d->max_age)) {
					/* Expired facts do not come back with a refresh. */
					for (unsigned j = 0; j < DELEG_NS_ADDRS; j++)
						STORE(&s->addr[j], 0);
					for (unsigned j = 0; j < DELEG_NS_ZONES; j++)
						STORE(&s->zone[j], 0);
				}
				STORE(&s->seen_sec, stamp);
			}
			return s;
		}
		if (t == 0) {
			if (!victim_empty) {
				victim = s;
				victim_empty = true;
			}
		} else if (!victim_empty && seen != PINNED && (victim == NULL || seen < victim_seen)) {
			victim = s;
			victim_seen = seen;
		}
	}
	if (victim == NULL) {
		COUNT(&d->stats.learn_full);
		return NULL;
	}
	if (victim_empty)
		COUNT(&d->stats.ns_used);
	else
		COUNT(&d->stats.ns_evicted);
	/* The old tag's values decode to noise under the new tag; clear them anyway. */
	STORE(&victim->tag, 0);
	for (unsigned j = 0; j < DELEG_NS_ADDRS; j++)
		STORE(&victim->addr[j], 0);
	for (unsigned j = 0; j < DELEG_NS_ZONES; j++)
		STORE(&victim->zone[j], 0);
	STORE(&victim->seen_sec, stamp);
	STORE(&victim->derived_sec, now);
	STORE(&victim->tag, tag);
	COUNT(&d->stats.ns_learned);
	return victim;
}

/* Add value v to a slot's list; true when it was not there before. */
static bool list_add(struct ns_slot *s, uint64_t *list, unsigned n, uint64_t tag, uint64_t v)
{
	uint64_t e = nonzero(v ^ tag);

	for (unsigned j = 0; j < n; j++)
		if (LOAD(&list[j]) == e)
			return false;
	for (unsigned j = 0; j < n; j++) {
		uint64_t zero = 0;

		if (LOAD(&list[j]) == 0 &&
		    __atomic_compare_exchange_n(&list[j], &zero, e, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	/* Full: the most recent facts replace the oldest, round robin. */
	uint64_t at = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED) % n;
	STORE(&list[at], e);
	return true;
}

static bool list_has(const uint64_t *list, unsigned n, uint64_t tag, uint64_t v)
{
	uint64_t e = nonzero(v ^ tag);

	for (unsigned j = 0; j < n; j++)
		if (LOAD(&list[j]) == e)
			return true;
	return false;
}

/*
 * Re-derive every (address, zone) pair of a name, when due: refreshes what a name
 * seen again still vouches for, at most once per rederive seconds, so the common
 * case (a referral or address seen again) costs no pair probes at all.
 */
static bool rederive_due(struct deleg *d, struct ns_slot *s, uint64_t now, bool pinned)
{
	uint64_t last = LOAD(&s->derived_sec);

	if (pinned || now < last + d->rederive)
		return false;
	STORE(&s->derived_sec, now);
	return true;
}

static void rederive_all(struct deleg *d, struct ns_slot *s, uint64_t tag, uint64_t now)
{
	for (unsigned j = 0; j < DELEG_NS_ADDRS; j++) {
		uint64_t a = LOAD(&s->addr[j]);

		if (a == 0)
			continue;
		for (unsigned k = 0; k < DELEG_NS_ZONES; k++) {
			uint64_t z = LOAD(&s->zone[k]);

			if (z != 0 && LOAD(&s->tag) == tag)
				pair_learn(d, a ^ tag, z ^ tag, now, false);
		}
	}
}

void deleg_learn_ns(struct deleg *d, const uint8_t *zone, uint8_t zone_len, const uint8_t *ns,
		    uint8_t ns_len, uint64_t now_sec, bool pinned)
{
	uint64_t tag = ns_hash(ns, ns_len);
	uint64_t zh = zone_hash(zone, zone_len);
	struct ns_slot *s = ns_get(d, tag, now_sec, pinned);

	if (s == NULL)
		return;
	bool added = list_add(s, s->zone, DELEG_NS_ZONES, tag, zh);

	if (rederive_due(d, s, now_sec, pinned)) {
		rederive_all(d, s, tag, now_sec);
		return;
	}
	if (!added)
		return;
	/* A new zone of ns: every known address of ns now serves it. */
	for (unsigned j = 0; j < DELEG_NS_ADDRS; j++) {
		uint64_t e = LOAD(&s->addr[j]);

		if (e != 0 && LOAD(&s->tag) == tag)
			pair_learn(d, e ^ tag, zh, now_sec, pinned);
	}
}

void deleg_learn_addr(struct deleg *d, const uint8_t *ns, uint8_t ns_len, const uint8_t *addr,
		      uint8_t addr_len, uint64_t now_sec, bool pinned)
{
	uint64_t tag = ns_hash(ns, ns_len);
	uint64_t ah = addr_hash(addr, addr_len);
	struct ns_slot *s = pinned ? ns_get(d, tag, now_sec, true) : ns_find(d, tag, now_sec);

	if (s == NULL)
		return;	/* not a nameserver name: an ordinary address record */
	if (!pinned && LOAD(&s->seen_sec) != PINNED && LOAD(&s->seen_sec) != now_sec)
		STORE(&s->seen_sec, now_sec);
	bool added = list_add(s, s->addr, DELEG_NS_ADDRS, tag, ah);

	if (rederive_due(d, s, now_sec, pinned)) {
		rederive_all(d, s, tag, now_sec);
		return;
	}
	if (!added)
		return;
	/* A new address of ns serves every zone ns was named for. */
	for (unsigned j = 0; j < DELEG_NS_ZONES; j++) {
		uint64_t e = LOAD(&s->zone[j]);

		if (e != 0 && LOAD(&s->tag) == tag)
			pair_learn(d, ah, e ^ tag, now_sec, pinned);
	}
}

void deleg_learn_pair(struct deleg *d, const uint8_t *server, uint8_t addr_len,
		      const uint8_t *zone, uint8_t zone_len, uint64_t now_sec, bool pinned)
{
	pair_learn(d, addr_hash(server, addr_len), zone_hash(zone, zone_len), now_sec, pinned);
}

bool deleg_serves(struct deleg *d, const uint8_t *server, uint8_t addr_len, const uint8_t *zone,
		  uint8_t zone_len, uint64_t now_sec)
{
	return pair_live(d, addr_hash(server, addr_len), zone_hash(zone, zone_len), now_sec);
}

void deleg_foreach_counter(const struct deleg *d,
			   void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	const struct deleg_stats *st = &d->stats;

	fn(arg, "deleg_pairs_capacity", (uint64_t)d->pair_mask + 1);
	fn(arg, "deleg_pairs_used", LOAD(&st->pairs_used));
	fn(arg, "deleg_pairs_learned", LOAD(&st->pairs_learned));
	fn(arg, "deleg_pairs_refreshed", LOAD(&st->pairs_refreshed));
	fn(arg, "deleg_pairs_evicted", LOAD(&st->pairs_evicted));
	fn(arg, "deleg_ns_capacity", (uint64_t)d->ns_mask + 1);
	fn(arg, "deleg_ns_used", LOAD(&st->ns_used));
	fn(arg, "deleg_ns_learned", LOAD(&st->ns_learned));
	fn(arg, "deleg_ns_evicted", LOAD(&st->ns_evicted));
	fn(arg, "deleg_learn_full", LOAD(&st->learn_full));
}

/* ---- the rule ---- */

static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* zone is strictly below z and at or above name. */
static bool between(const uint8_t *zone, size_t zlen, const uint8_t *z, size_t z_len,
		    const uint8_t *name, size_t nlen)
{
	return zlen > z_len && dns_name_is_subdomain(zone, zlen, z, z_len) &&
	       dns_name_is_subdomain(name, nlen, zone, zlen);
}

/* Is server an address of one of the NS targets of the RRset (owner, section)? */
static bool ns_set_lists_server(struct deleg *d, const struct dns_msg *m, const struct dns_rr *first,
				uint64_t ah, uint64_t now)
{
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];

		if (rr->rrtype != DNS_TYPE_NS || rr->section != first->section ||
		    !name_eq(rr->owner, rr->owner_len, first->owner, first->owner_len) ||
		    rr->rdlen == 0 || rr->rdlen > DNS_NAME_MAX)
			continue;
		uint64_t tag = ns_hash(rr->rdata, rr->rdlen);
		struct ns_slot *s = ns_find(d, tag, now);

		if (s && list_has(s->addr, DELEG_NS_ADDRS, tag, ah))
			return true;
	}
	return false;
}

/*
 * No hints: is m a priming answer from a root server? AA, qname ".", qtype NS,
 * a ". NS" RRset in the answer, and server's own address among the additional
 * A/AAAA of those NS names (a server that does not list itself is not taken).
 */
static bool priming_answer(const struct dns_msg *m, const uint8_t *server, uint8_t addr_len)
{
	if (!m->aa || m->qname_len != 1 || m->qtype != DNS_TYPE_NS ||
	    m->rr_count > DELEG_MAX_LEARN_RRS)
		return false;
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *ns = &m->rr[i];

		if (ns->section != DNS_SECTION_ANSWER || ns->rrtype != DNS_TYPE_NS ||
		    ns->owner_len != 1)
			continue;
		for (uint32_t j = 0; j < m->rr_count; j++) {
			const struct dns_rr *g = &m->rr[j];

			if (g->section == DNS_SECTION_ADDITIONAL &&
			    ((g->rrtype == DNS_TYPE_A && addr_len == 4) ||
			     (g->rrtype == DNS_TYPE_AAAA && addr_len == 16)) &&
			    g->rdlen == addr_len && memcmp(g->rdata, server, addr_len) == 0 &&
			    name_eq(g->owner, g->owner_len, ns->rdata, ns->rdlen))
				return true;
		}
	}
	return false;
}

void deleg_bailiwick(struct deleg *d, const struct dns_msg *m, const uint8_t *server,
		     uint8_t addr_len, uint64_t now_sec, struct deleg_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!m->has_question || m->qname_len == 0)
		return;
	const uint8_t *start = m->qname;
	size_t start_len = m->qname_len;

	if (m->qtype == DNS_TYPE_DS && start_len > 1) {
		/* DS is the parent's data (RFC 4035 3.1.4.1): the child's servers do not
		 * speak for it, even when one server serves both. */
		start = dns_name_parent(start, start_len, &start_len);
		if (start == NULL)
			return;
	}
	uint64_t ah = addr_hash(server, addr_len);
	const uint8_t *name = start;
	size_t len = start_len;

	while (name != NULL && len > 0) {
		v->lookups++;
		if (pair_live(d, ah, zone_hash(name, len), now_sec)) {
			v->hits++;
			v->zone = name;
			v->zone_len = (uint8_t)len;
			v->outcome = DELEG_CHAIN;
			break;
		}
		name = dns_name_parent(name, len, &len);
	}
	if (v->outcome == DELEG_UNKNOWN) {
		if (!d->has_hints && priming_answer(m, server, addr_len)) {
			v->zone = m->qname;	/* "." */
			v->zone_len = 1;
			v->outcome = DELEG_PRIMING;
		}
		return;
	}
	/* Evidence inside the clamp may narrow; anything above or beside is refused. */
	const uint8_t *best = v->zone;
	size_t best_len = v->zone_len;

	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];

		if (rr->rrtype != DNS_TYPE_SOA && rr->rrtype != DNS_TYPE_NS)
			continue;
		if (rr->section == DNS_SECTION_ADDITIONAL ||
		    (rr->rrtype == DNS_TYPE_SOA && rr->section != DNS_SECTION_AUTHORITY &&
		     !(rr->section == DNS_SECTION_ANSWER && m->qtype == DNS_TYPE_SOA)))
			continue;
		if (!dns_name_is_subdomain(rr->owner, rr->owner_len, v->zone, v->zone_len)) {
			v->claim_refused = true;
			continue;
		}
		if (!m->aa || rr->owner_len <= best_len ||
		    !between(rr->owner, rr->owner_len, best, best_len, start, start_len))
			continue;
		/* Checking an NS set walks the message again: not for huge messages, whose
		 * cost an attacker would choose. */
		if (rr->rrtype == DNS_TYPE_SOA ||
		    (m->rr_count <= DELEG_MAX_LEARN_RRS && ns_set_lists_server(d, m, rr, ah, now_sec))) {
			best = rr->owner;
			best_len = rr->owner_len;
		}
	}
	if (best != v->zone) {
		v->zone = best;
		v->zone_len = (uint8_t)best_len;
		v->outcome = DELEG_NARROWED;
	}
}

void deleg_learn_response(struct deleg *d, const struct dns_msg *m, const uint8_t *server,
			  uint8_t addr_len, const struct deleg_verdict *v, uint64_t now_sec)
{
	if (v->outcome == DELEG_UNKNOWN || v->zone_len == 0 || m->rr_count > DELEG_MAX_LEARN_RRS)
		return;
	if (v->outcome == DELEG_NARROWED)
		deleg_learn_pair(d, server, addr_len, v->zone, v->zone_len, now_sec, false);
	/* Nameserver names first, so the glue of the same message finds them. */
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];

		if (rr->rrtype != DNS_TYPE_NS || rr->section == DNS_SECTION_ADDITIONAL ||
		    rr->rdlen == 0 || rr->rdlen > DNS_NAME_MAX ||
		    !dns_name_is_subdomain(rr->owner, rr->owner_len, v->zone, v->zone_len))
			continue;
		deleg_learn_ns(d, rr->owner, rr->owner_len, rr->rdata, (uint8_t)rr->rdlen, now_sec,
			       false);
	}
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];
		uint8_t alen = rr->rrtype == DNS_TYPE_A ? 4 : rr->rrtype == DNS_TYPE_AAAA ? 16 : 0;

		if (alen == 0 || rr->rdlen != alen ||
		    !dns_name_is_subdomain(rr->owner, rr->owner_len, v->zone, v->zone_len))
			continue;
		deleg_learn_addr(d, rr->owner, rr->owner_len, rr->rdata, alen, now_sec, false);
	}
}

/* ---- root hints ---- */

/* Presentation name to canonical wire form; absolute with or without the final dot. */
static int name_from_text(const char *s, uint8_t *out, uint8_t *out_len)
{
	size_t n = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		*out_len = 1;
		return 0;
	}
	while (*s) {
		size_t l = strcspn(s, ".");

		if (l == 0 || l > 63 || n + 1 + l + 1 > DNS_NAME_MAX)
			return -1;
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			if (s[i] == '\\')
				return -1;	/* escapes have no place in a hints file */
			out[n++] = (uint8_t)tolower((unsigned char)s[i]);
		}
		s += l;
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	*out_len = (uint8_t)n;
	return 0;
}

struct hint_addr {
	uint8_t name[DNS_NAME_MAX];
	uint8_t name_len;
	uint8_t addr[16];
	uint8_t addr_len;
};

#define HINTS_MAX_ADDRS 256

int deleg_load_hints(struct deleg *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0, ns_count = 0, naddr = 0;
	static struct hint_addr addrs[HINTS_MAX_ADDRS];
	uint8_t ns_names[64][DNS_NAME_MAX];
	uint8_t ns_lens[64];
	char owner[300] = "";
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -DNSIFT_EIO;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok[8];
		unsigned nt = 0;
		bool continuation = line[0] == ' ' || line[0] == '\t';

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -DNSIFT_ECONFIG;
			break;
		}
		line[strcspn(line, ";\r\n")] = '\0';
		for (char *save = NULL, *t = strtok_r(line, " \t", &save); t && nt < 8;
		     t = strtok_r(NULL, " \t", &save))
			tok[nt++] = t;
		if (nt == 0)
			continue;
		if (tok[0][0] == '$') {
			if (strcmp(tok[0], "$TTL") == 0)
				continue;
			snprintf(err, errlen, "%s:%u: directive %s not supported in root hints",
				 path, lineno, tok[0]);
			rc = -DNSIFT_ECONFIG;
			break;
		}
		unsigned i = 0;

		if (!continuation) {
			snprintf(owner, sizeof(owner), "%s", tok[0]);
			i = 1;
		} else if (owner[0] == '\0') {
			snprintf(err, errlen, "%s:%u: a record without an owner", path, lineno);
			rc = -DNSIFT_ECONFIG;
			break;
		}
		/* [TTL] [class] TYPE RDATA, TTL and class in either order. */
		for (int k = 0; k < 2 && i < nt; k++) {
			if (isdigit((unsigned char)tok[i][0]) || strcasecmp(tok[i], "IN") == 0)
				i++;
		}
		if (i + 2 != nt) {
			snprintf(err, errlen, "%s:%u: expected OWNER [TTL] [IN] TYPE RDATA", path,
				 lineno);
			rc = -DNSIFT_ECONFIG;
			break;
		}
		const char *type = tok[i], *rdata = tok[i + 1];
		uint8_t oname[DNS_NAME_MAX], olen;

		if (name_from_text(owner, oname, &olen) != 0) {
			snprintf(err, errlen, "%s:%u: bad owner name '%.100s'", path, lineno, owner);
			rc = -DNSIFT_ECONFIG;
			break;
		}
		if (strcasecmp(type, "NS") == 0) {
			if (olen != 1) {
				snprintf(err, errlen, "%s:%u: NS for '%.100s': root hints hold only "
					 "the root's NS", path, lineno, owner);
				rc = -DNSIFT_ECONFIG;
				break;
			}
			if (ns_count == 64 || name_from_text(rdata, ns_names[ns_count],
							     &ns_lens[ns_count]) != 0) {
				snprintf(err, errlen, "%s:%u: bad or too many NS names ('%.100s')",
					 path, lineno, rdata);
				rc = -DNSIFT_ECONFIG;
				break;
			}
			ns_count++;
		} else if (strcasecmp(type, "A") == 0 || strcasecmp(type, "AAAA") == 0) {
			struct hint_addr *a = &addrs[naddr];
			bool v4 = strcasecmp(type, "A") == 0;

			if (naddr == HINTS_MAX_ADDRS ||
			    inet_pton(v4 ? AF_INET : AF_INET6, rdata, a->addr) != 1) {
				snprintf(err, errlen, "%s:%u: bad or too many addresses ('%.100s')",
					 path, lineno, rdata);
				rc = -DNSIFT_ECONFIG;
				break;
			}
			a->addr_len = v4 ? 4 : 16;
			memcpy(a->name, oname, olen);
			a->name_len = olen;
			naddr++;
		} else {
			snprintf(err, errlen, "%s:%u: type %.20s not expected in root hints", path,
				 lineno, type);
			rc = -DNSIFT_ECONFIG;
			break;
		}
	}
	fclose(f);
	if (rc != 0)
		return rc;
	for (unsigned k = 0; k < ns_count; k++)
		deleg_learn_ns(d, (const uint8_t *)"", 1, ns_names[k], ns_lens[k], 0, true);
	unsigned used = 0;
	for (unsigned k = 0; k < naddr; k++) {
		for (unsigned j = 0; j < ns_count; j++) {
			if (name_eq(addrs[k].name, addrs[k].name_len, ns_names[j], ns_lens[j])) {
				deleg_learn_addr(d, addrs[k].name, addrs[k].name_len, addrs[k].addr,
						 addrs[k].addr_len, 0, true);
				used++;
				break;
			}
		}
	}
	if (used == 0) {
		snprintf(err, errlen, "%s: no address of a root nameserver (need \". NS name\" "
			 "and \"name A|AAAA address\" lines)", path);
		return -DNSIFT_ECONFIG;
	}
	d->has_hints = true;
	return (int)used;
}
