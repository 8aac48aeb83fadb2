/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * match: outstanding-query table (see match.h).
 *
 * Chained hash over a preallocated node array: bucket heads and chain links are
 * 32-bit node indices, so the table is two flat allocations and a free list. A
 * doubly linked list in arrival order (a refresh moves the node to the tail)
 * gives both the timeout scan and the "evict the oldest" victim in O(1) each.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <xxhash.h>

#include "dataplane/agelist.h"
#include "dataplane/match.h"

#define NIL UINT32_MAX

struct match_entry {
	uint64_t hash;		/* of the whole key: compared first */
	uint64_t qname_hash;
	uint64_t time_ns;	/* of the (last) query */
	uint8_t client[16];
	uint8_t server[16];
	uint16_t client_port;
	uint16_t server_port;
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t family;
	uint8_t transport;
	uint8_t qname_len;	/* 1..255 */
	uint32_t chain_next;	/* bucket chain, or free list */
	struct age_link age;	/* age list */
};

struct match {
	struct match_stats stats;
	struct match_entry *entries;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	struct age_list ages;
	unsigned int count;
	unsigned int max_entries;
	uint64_t timeout_ns;
	uint64_t seed;
};

int match_key_from_packet(struct match_key *key, const struct match_packet *pkt,
			  enum match_direction dir)
{
	size_t alen;
	bool query = dir == MATCH_DIR_QUERY;

	if (key == NULL || pkt == NULL || pkt->src == NULL || pkt->dst == NULL ||
	    pkt->qname == NULL || pkt->qname_len == 0 || pkt->qname_len > MATCH_QNAME_MAX ||
	    (dir != MATCH_DIR_QUERY && dir != MATCH_DIR_RESPONSE))
		return -DNSIFT_EINVAL;
	if (pkt->family == AF_INET)
		alen = 4;
	else if (pkt->family == AF_INET6)
		alen = 16;
	else
		return -DNSIFT_EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->client, query ? pkt->src : pkt->dst, alen);
	memcpy(key->server, query ? pkt->dst : pkt->src, alen);
	key->client_port = query ? pkt->sport : pkt->dport;
	key->server_port = query ? pkt->dport : pkt->sport;
	key->id = pkt->id;
	key->qtype = pkt->qtype;
	key->qclass = pkt->qclass;
	key->family = (uint8_t)pkt->family;
	key->transport = (uint8_t)pkt->transport;
	key->qname_len = pkt->qname_len;
	key->qname = pkt->qname;
	return 0;
}

struct match *match_create(const struct match_params *params)
{
	struct match *t;
	uint64_t buckets = 1;
	unsigned int i;

	if (params == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->max_entries = params->max_entries ? params->max_entries : MATCH_DEFAULT_MAX_ENTRIES;
	t->timeout_ns = params->query_timeout_ns ? params->query_timeout_ns
						 : MATCH_DEFAULT_QUERY_TIMEOUT_NS;
	/* Node indices are u32 with NIL reserved. */
	if (t->max_entries >= NIL / 2) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	t->seed = params->hash_seed;
	if (t->seed == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		t->seed = XXH3_64bits(&ts, sizeof(ts)) | 1;
	}
	while (buckets < t->max_entries)
		buckets <<= 1;
	t->bucket_mask = (uint32_t)(buckets - 1);
	t->entries = calloc(t->max_entries, sizeof(*t->entries));
	t->buckets = malloc(buckets * sizeof(*t->buckets));
	if (t->entries == NULL || t->buckets == NULL) {
		match_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < buckets; i++)
		t->buckets[i] = NIL;
	for (i = 0; i < t->max_entries; i++)
		t->entries[i].chain_next = i + 1 < t->max_entries ? i + 1 : NIL;
	t->free_head = 0;
	age_list_init(&t->ages);
	return t;
}

void match_free(struct match *t)
{
	if (t == NULL)
		return;
	free(t->entries);
	free(t->buckets);
	free(t);
}

static bool key_valid(const struct match_key *key)
{
	return key != NULL && key->qname != NULL && key->qname_len > 0 &&
	       key->qname_len <= MATCH_QNAME_MAX &&
	       (key->family == AF_INET || key->family == AF_INET6);
}

/* Hash of the fixed fields plus the qname's own hash: one XXH3 call on ~60 bytes. */
static uint64_t key_hash(const struct match *t, const struct match_key *key, uint64_t qname_hash)
{
	uint8_t buf[16 + 16 + 2 * 5 + 2 + 1 + 8];
	uint8_t *p = buf;

	memcpy(p, key->client, 16);
	p += 16;
	memcpy(p, key->server, 16);
	p += 16;
	memcpy(p, &key->client_port, 2);
	memcpy(p + 2, &key->server_port, 2);
	memcpy(p + 4, &key->id, 2);
	memcpy(p + 6, &key->qtype, 2);
	memcpy(p + 8, &key->qclass, 2);
	p += 10;
	*p++ = key->family;
	*p++ = key->transport;
	*p++ = (uint8_t)key->qname_len;
	memcpy(p, &qname_hash, 8);
	return XXH3_64bits_withSeed(buf, sizeof(buf), t->seed);
}

static bool entry_equal(const struct match_entry *e, const struct match_key *key, uint64_t hash,
			uint64_t qname_hash)
{
	return e->hash == hash && e->qname_hash == qname_hash && e->id == key->id &&
	       e->client_port == key->client_port && e->server_port == key->server_port &&
	       e->qtype == key->qtype && e->qclass == key->qclass && e->family == key->family &&
	       e->transport == key->transport && e->qname_len == key->qname_len &&
	       memcmp(e->client, key->client, 16) == 0 && memcmp(e->server, key->server, 16) == 0;
}

static uint32_t lookup(const struct match *t, const struct match_key *key, uint64_t hash,
		       uint64_t qname_hash)
{
	uint32_t i = t->buckets[hash & t->bucket_mask];

	while (i != NIL) {
		if (entry_equal(&t->entries[i], key, hash, qname_hash))
			return i;
		i = t->entries[i].chain_next;
	}
	return NIL;
}

static void age_unlink(struct match *t, uint32_t i)
{
	age_list_unlink(&t->ages, &t->entries[0].age, sizeof(t->entries[0]), i);
}

static void age_append(struct match *t, uint32_t i)
{
	age_list_append(&t->ages, &t->entries[0].age, sizeof(t->entries[0]), i);
}

/* Unlink node i from its bucket chain and the age list, and free it. */
static void entry_remove(struct match *t, uint32_t i)
{
	uint32_t *link = &t->buckets[t->entries[i].hash & t->bucket_mask];

	while (*link != i)
		link = &t->entries[*link].chain_next;
	*link = t->entries[i].chain_next;
	age_unlink(t, i);
	t->entries[i].chain_next = t->free_head;
	t->free_head = i;
	t->count--;
}

int match_query(struct match *t, const struct match_key *key, uint64_t now_ns)
{
	uint64_t qhash, hash;
	uint32_t i, *bucket;
	struct match_entry *e;

	t->stats.queries++;
	if (!key_valid(key)) {
		t->stats.invalid_key++;
		return -DNSIFT_EINVAL;
	}
	qhash = XXH3_64bits_withSeed(key->qname, key->qname_len, t->seed);
	hash = key_hash(t, key, qhash);
	i = lookup(t, key, hash, qhash);
	if (i != NIL) {
		t->entries[i].time_ns = now_ns;
		age_unlink(t, i);
		age_append(t, i);
		t->stats.queries_duplicate++;
		return 1;
	}
	if (t->free_head == NIL) {
		entry_remove(t, t->ages.oldest);
		t->stats.evicted++;
	}
	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->chain_next;
	e->hash = hash;
	e->qname_hash = qhash;
	e->time_ns = now_ns;
	memcpy(e->client, key->client, 16);
	memcpy(e->server, key->server, 16);
	e->client_port = key->client_port;
	e->server_port = key->server_port;
	e->id = key->id;
	e->qtype = key->qtype;
	e->qclass = key->qclass;
	e->family = key->family;
	e->transport = key->transport;
	e->qname_len = (uint8_t)key->qname_len;
	bucket = &t->buckets[hash & t->bucket_mask];
	e->chain_next = *bucket;
	*bucket = i;
	age_append(t, i);
	t->count++;
	t->stats.queries_inserted++;
	return 0;
}

int match_response(struct match *t, const struct match_key *key, uint64_t now_ns,
		   uint64_t *query_ns)
{
	uint64_t qhash, hash, sent;
	uint32_t i;

	t->stats.responses++;
	if (!key_valid(key)) {
		t->stats.invalid_key++;
		return -DNSIFT_EINVAL;
	}
	qhash = XXH3_64bits_withSeed(key->qname, key->qname_len, t->seed);
	hash = key_hash(t, key, qhash);
	i = lookup(t, key, hash, qhash);
	if (i == NIL) {
		t->stats.responses_unmatched++;
		return 0;
	}
	sent = t->entries[i].time_ns;
	entry_remove(t, i);
	if (now_ns >= sent && now_ns - sent >= t->timeout_ns) {
		/* Timed out already; only expire() has not reaped it yet. */
		t->stats.unanswered++;
		t->stats.responses_unmatched++;
		return 0;
	}
	t->stats.responses_matched++;
	if (query_ns != NULL)
		*query_ns = sent;
	return 1;
}

unsigned int match_expire(struct match *t, uint64_t now_ns, unsigned int budget)
{
	unsigned int done = 0;

	while (done < budget && t->ages.oldest != NIL) {
		uint64_t sent = t->entries[t->ages.oldest].time_ns;

		/* The list is in time order, so the first young entry ends the scan. */
		if (now_ns < sent || now_ns - sent < t->timeout_ns)
			break;
		entry_remove(t, t->ages.oldest);
		t->stats.unanswered++;
		done++;
	}
	return done;
}

unsigned int match_count(const struct match *t)
{
	return t->count;
}

const struct match_stats *match_stats(const struct match *t)
{
	return &t->stats;
}
