/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dedup: lock-free RCU window table (liburcu rculfhash, QSBR flavour).
 *
 * Shape
 * -----
 * - Entries live in one rculfhash table, keyed by (hash, full key bytes). Workers
 *   look up and insert with cds_lfht_add_unique(); they never delete.
 * - Each worker appends the entries it inserted to its own intrusive FIFO (a
 *   single-producer single-consumer linked queue with a stub node). Each worker
 *   passes non-decreasing times, so its FIFO is sorted by time_first and the
 *   housekeeper finds due entries at the heads in O(1): expiry and early flush
 *   never scan the table, and the budget is exact.
 * - The housekeeper closes an entry, emits it, removes it from the table with
 *   cds_lfht_del() and puts it on a retired list. At the end of a pass that
 *   retired anything it waits for one grace period (synchronize_rcu(); QSBR takes
 *   the housekeeper itself offline meanwhile) and returns the whole list to the
 *   pool. Workers announce a quiescent state every poll loop, so the wait is
 *   about one loop; an offline worker does not hold it back. call_rcu() was the
 *   alternative, but its thread batches callbacks for milliseconds, and under a
 *   unique-key flood memory must come back within the same pass to be reused.
 *
 * The conservation law (every accepted observation in exactly one record)
 * ---------------------------------------------------------------------
 * An entry's count, time_last and a CLOSED bit share one 64-bit state word:
 *
 *   bit 63      CLOSED: the entry takes no more observations
 *   bits 32..62 time_last - time_first (seconds, saturating)
 *   bits 0..31  count
 *
 * A worker counts a hit with one CAS that requires CLOSED clear, so the count
 * and time_last of an observation are committed together or not at all. The
 * housekeeper (or a worker that finds the window over) sets CLOSED with a CAS;
 * the state read by that successful CAS is final, and the record is built from
 * it. Every successful bump is ordered before the closing CAS on the same word,
 * so it is in the record; a bump whose CAS fails because CLOSED appeared is not
 * counted anywhere yet and the worker retries it as a first sight. The match
 * function treats CLOSED entries as absent, so the retry inserts a fresh entry
 * (add_unique keeps that unique among live entries) even while the closed one
 * is still linked waiting to be emitted. CLOSED never clears, a closed entry is
 * emitted exactly once (only the housekeeper emits, and it removes the entry
 * from its FIFO when the callback accepts), and a refused record stays closed
 * and unchanged until accepted. Hence: sum(count) == accepted observations, and
 * the windows of one key never overlap in time as seen by any one clock.
 *
 * Memory
 * ------
 * Entry header and key bytes share one chunk from a buddy allocator (buddy.c) over an
 * arena of max_bytes reserved at create time (orders of 128 B .. 512 KiB). Each
 * worker keeps a small per-order cache of free chunks and refills it in batches
 * under the pool spinlock, which it tries a bounded number of times: a pool
 * held too long (its holder preempted) sends the observation to the overflow
 * ring instead of waiting. Only the housekeeper returns chunks to the pool. Cost: a chunk is rounded up to a power of two
 * (internal fragmentation up to 50%, 128 B for the 40..72-byte keys that are
 * typical, 256 B up to 200 bytes); the buddy merge keeps external fragmentation
 * low as long as long-lived large keys are rare. A bounded number of chunks per
 * worker sit in its cache (at most ~14 KiB).
 */
#include "dedup/dedup.h"
#include "dedup/buddy.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#define CACHE_LINE 64

#define STATE_CLOSED (1ull << 63)
#define STATE_COUNT_MASK 0xffffffffull
#define STATE_TOFF_SHIFT 32
#define STATE_TOFF_MAX 0x7fffffffull

#define POOL_UNLOCK_EVERY 64	/* housekeeper frees at most this many chunks per lock hold */
#define POOL_SPIN_LIMIT 4096	/* worker tries for the pool lock before overflowing */

#define OVF_WRAP UINT32_MAX

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct dedup_entry {
	struct cds_lfht_node node;
	uint64_t hash;
	uint64_t state;			/* see above; atomic */
	uint64_t time_first;
	/*
	 * FIFO link while queued (written once by the worker when it appends the
	 * next entry), then retire-list link, then free-cache link. Readers never
	 * follow it, so reusing it during the grace period is safe.
	 */
	struct dedup_entry *next;
	uint32_t key_len;
	uint8_t order;
	uint8_t reason;			/* set by whoever closed it, before emission */
	uint8_t pad[2];
	uint8_t key[];
};

#define ENTRY_HDR sizeof(struct dedup_entry)

struct chunk_cache {
	struct dedup_entry *head;
	unsigned n;
};

struct worker_counters {
	uint64_t hits, inserts, overflow, rejected, lost_races, window_closes;
};

struct overflow_hdr {
	uint32_t len;
	uint32_t pad;
	uint64_t hash;
	uint64_t time;
};

struct worker {
	/* written by the worker */
	struct dedup_entry *tail;
	uint64_t ovf_head;		/* bytes produced; atomic release */
	struct chunk_cache cache[BUDDY_ORDERS];
	struct worker_counters ctr;

	/* written by the housekeeper */
	struct dedup_entry *head __attribute__((aligned(CACHE_LINE)));	/* consumed stub */
	struct dedup_entry *fs_cursor;	/* last entry whose first-sight record is out */
	uint64_t consumed;		/* entries emitted from this FIFO */
	uint64_t ovf_tail;		/* bytes consumed; atomic release */
	struct dedup_entry *stub;	/* initial dummy, never freed into the pool */
	uint8_t *ovf_buf;
} __attribute__((aligned(CACHE_LINE)));

struct hk_counters {
	uint64_t records, count_emitted, expired, early_flushes, flushes, overflow_records,
		first_sight_records, emit_refusals, reclaimed;
};

struct dedup {
	struct cds_lfht *ht;
	uint64_t buckets;
	uint32_t window;		/* atomic */
	unsigned nworkers;
	int first_sight;
	dedup_emit_fn emit;
	void *emit_arg;
	uint32_t ovf_size;
	uint64_t reserve_bytes, reserve_entries;

	/*
	 * Entry chunks. entries_out is written under the pool lock (refill and
	 * reclaim), read without it by the housekeeper and stats; the entry cap
	 * max_entries is dedup's, apart from the pool's byte budget. The pad keeps
	 * those writes off the line of the fields every observation reads (struct
	 * dedup comes from calloc, so an aligned attribute would not hold).
	 */
	struct buddy *pool;
	unsigned pool_top_order;
	uint8_t pad_pool[CACHE_LINE];
	uint64_t entries_out;
	uint64_t max_entries;

	/* housekeeper only */
	struct hk_counters hk;
	bool flushing;			/* early-flush hysteresis */
	unsigned next_first_worker;	/* round robin over FIFOs between passes */
	uint64_t pending_bytes;		/* emitted, not yet back in the pool */
	uint64_t pending_entries;
	struct dedup_entry *retired;	/* unlinked, waiting for a grace period */

	struct worker *workers;
	void *ovf_mem;
	size_t ovf_mem_bytes;
};

struct lookup_key {
	const void *key;
	uint32_t len;
};

static __thread int tls_registered;
static __thread int tls_online;

const char *dedup_reason_name(enum dedup_reason reason)
{
	static const char *const names[DEDUP_REASON_COUNT] = {
		[DEDUP_REASON_EXPIRED] = "expired",
		[DEDUP_REASON_EARLY_FLUSH] = "early_flush",
		[DEDUP_REASON_FLUSH] = "flush",
		[DEDUP_REASON_OVERFLOW] = "overflow",
		[DEDUP_REASON_FIRST_SIGHT] = "first_sight",
	};
	if ((unsigned)reason >= DEDUP_REASON_COUNT)
		return "unknown";
	return names[reason];
}

const char *dedup_strerror(int err)
{
	static const char *const text[DEDUP_E_COUNT] = {
		[DEDUP_OK] = "success",
		[DEDUP_EINVAL] = "invalid argument",
		[DEDUP_ELIMIT] = "dedup memory and overflow ring full",
		[DEDUP_EBUSY] = "record consumer busy, retry later",
	};
	unsigned e = err < 0 ? -(unsigned)err : (unsigned)err;
	if (e >= DEDUP_E_COUNT)
		return "unknown error";
	return text[e];
}

/* ---- QSBR wrappers ---- */

void dedup_thread_register(void)
{
	if (tls_registered)
		return;
	rcu_register_thread();
	tls_registered = 1;
	tls_online = 1;
}

void dedup_thread_unregister(void)
{
	if (!tls_registered)
		return;
	if (!tls_online)
		rcu_thread_online();	/* urcu-qsbr wants an online thread to unregister */
	rcu_unregister_thread();
	tls_registered = 0;
	tls_online = 0;
}

void dedup_thread_online(void)
{
	if (tls_registered && !tls_online) {
		rcu_thread_online();
		tls_online = 1;
	}
}

void dedup_thread_offline(void)
{
	if (tls_registered && tls_online) {
		rcu_thread_offline();
		tls_online = 0;
	}
}

/*
 * Only an online reader announces a quiescent state: urcu-qsbr's
 * rcu_quiescent_state() on an offline thread silently makes it online again, and
 * an idle worker that calls this from its empty poll loop and is then descheduled
 * would hold back every grace period (dedup reclaim, resolver updates).
 */
void dedup_quiescent(void)
{
	if (tls_registered && tls_online)
		rcu_quiescent_state();
}

static unsigned order_for(uint32_t key_len)
{
	size_t need = ENTRY_HDR + key_len;
	unsigned order = 0;
	while (buddy_order_bytes(order) < need)
		order++;
	return order;
}

/* Chunks a worker takes per refill: small orders are common, large ones rare. */
static unsigned refill_batch(unsigned order)
{
	return order < 5 ? 32u >> order : 1u;
}

/*
 * Worker: refill its cache. Every holder of the pool lock keeps it for a bounded
 * number of buddy operations (a worker at most 32 allocations, the housekeeper at
 * most POOL_UNLOCK_EVERY frees), so a short bounded spin nearly always gets it;
 * if not (the holder was preempted), the worker gives up and the observation
 * goes to the overflow ring rather than waiting. Returns chunks obtained.
 */
static unsigned cache_refill(struct dedup *d, struct chunk_cache *c, unsigned order)
{
	unsigned spins = 0;
	while (buddy_trylock(d->pool) != 0) {
		if (++spins == POOL_SPIN_LIMIT)
			return 0;
		caa_cpu_relax();
	}
	unsigned got = 0, want = refill_batch(order);
	while (got < want && d->entries_out < d->max_entries) {
		struct dedup_entry *e = buddy_alloc(d->pool, order);
		if (!e)
			break;
		STAT_ADD(d->entries_out, 1);
		e->next = c->head;
		c->head = e;
		got++;
	}
	c->n += got;
	buddy_unlock(d->pool);
	return got;
}

/* ---- match and bump ---- */

static int entry_match(struct cds_lfht_node *node, const void *arg)
{
	const struct dedup_entry *e = caa_container_of(node, struct dedup_entry, node);
	const struct lookup_key *k = arg;
	if (e->key_len != k->len)
		return 0;
	/* A closed entry is waiting to be emitted: to everyone else the key is absent. */
	if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) & STATE_CLOSED)
		return 0;
	return memcmp(e->key, k->key, k->len) == 0;
}

enum bump_result { BUMP_HIT, BUMP_CLOSED, BUMP_CLOSED_BY_ME };

/* Worker: count one observation in e, or find/make it closed (see the top comment). */
static enum bump_result entry_bump(struct dedup_entry *e, uint64_t now, uint32_t window)
{
	uint64_t s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	for (;;) {
		if (s & STATE_CLOSED)
			return BUMP_CLOSED;
		uint64_t count = s & STATE_COUNT_MASK;
		if (now >= e->time_first + window || count == STATE_COUNT_MASK) {
			/*
			 * The window is over (or the count would wrap): this observation
			 * belongs to a new window. Close the old one so that nobody counts
			 * into it any more; the housekeeper emits it as expired.
			 */
			if (__atomic_compare_exchange_n(&e->state, &s, s | STATE_CLOSED, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return BUMP_CLOSED_BY_ME;
			continue;
		}
		uint64_t toff = (s >> STATE_TOFF_SHIFT) & STATE_TOFF_MAX;
		if (now > e->time_first) {
			uint64_t d = now - e->time_first;
			if (d > STATE_TOFF_MAX)
				d = STATE_TOFF_MAX;
			if (d > toff)
				toff = d;
		}
		uint64_t ns = (toff << STATE_TOFF_SHIFT) | (count + 1);
		if (__atomic_compare_exchange_n(&e->state, &s, ns, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return BUMP_HIT;
	}
}

/* ---- overflow ring (SPSC: worker produces, housekeeper consumes) ---- */

static uint32_t ovf_need(uint32_t key_len)
{
	return (uint32_t)sizeof(struct overflow_hdr) + ((key_len + 7u) & ~7u);
}

static int ovf_push(struct dedup *d, struct worker *w, const void *key, uint32_t len,
		    uint64_t hash, uint64_t now)
{
	uint64_t head = w->ovf_head;
	uint64_t tail = __atomic_load_n(&w->ovf_tail, __ATOMIC_ACQUIRE);
	uint32_t need = ovf_need(len);
	uint64_t pos = head % d->ovf_size;
	uint64_t skip = pos + need > d->ovf_size ? d->ovf_size - pos : 0;
	if (d->ovf_size - (head - tail) < skip + need)
		return -1;
	if (skip) {
		/* pos and the ring size are multiples of 8, so a marker always fits. */
		((struct overflow_hdr *)(w->ovf_buf + pos))->len = OVF_WRAP;
		pos = 0;
	}
	struct overflow_hdr *h = (struct overflow_hdr *)(w->ovf_buf + pos);
	h->len = len;
	h->hash = hash;
	h->time = now;
	memcpy(h + 1, key, len);
	__atomic_store_n(&w->ovf_head, head + skip + need, __ATOMIC_RELEASE);
	return 0;
}

/* ---- the worker path ---- */

int dedup_observe(struct dedup *d, unsigned worker_index, const void *key, uint32_t key_len,
		  uint64_t hash, uint64_t now_sec)
{
	if (caa_unlikely(worker_index >= d->nworkers || key_len == 0 ||
			 key_len > DEDUP_MAX_KEY_LEN || !key))
		return -DEDUP_EINVAL;
	struct worker *w = &d->workers[worker_index];
	const struct lookup_key k = { key, key_len };
	const uint32_t window = __atomic_load_n(&d->window, __ATOMIC_RELAXED);
	struct dedup_entry *fresh = NULL;
	unsigned order = 0;
	struct cds_lfht_iter iter;

	for (;;) {
		cds_lfht_lookup(d->ht, (unsigned long)hash, entry_match, &k, &iter);
		struct cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
		if (node) {
			enum bump_result r = entry_bump(caa_container_of(node, struct dedup_entry,
									 node), now_sec, window);
			if (r == BUMP_HIT)
				goto hit;
			if (r == BUMP_CLOSED_BY_ME)
				STAT_ADD(w->ctr.window_closes, 1);
			continue;	/* closed: look again, it is now invisible */
		}
		if (!fresh) {
			order = order_for(key_len);
			struct chunk_cache *c = &w->cache[order];
			if (order > d->pool_top_order ||
			    (!c->head && !cache_refill(d, c, order))) {
				if (ovf_push(d, w, key, key_len, hash, now_sec)) {
					STAT_ADD(w->ctr.rejected, 1);
					return -DEDUP_ELIMIT;
				}
				STAT_ADD(w->ctr.overflow, 1);
				return DEDUP_OVERFLOW;
			}
			fresh = c->head;
			c->head = fresh->next;
			c->n--;
			cds_lfht_node_init(&fresh->node);
			fresh->hash = hash;
			fresh->key_len = key_len;
			fresh->order = (uint8_t)order;
			fresh->reason = DEDUP_REASON_EXPIRED;
			fresh->next = NULL;
			memcpy(fresh->key, key, key_len);
		}
		fresh->time_first = now_sec;
		fresh->state = 1;	/* count 1, time_last = time_first, open */
		struct cds_lfht_node *won = cds_lfht_add_unique(d->ht, (unsigned long)hash,
								 entry_match, &k, &fresh->node);
		if (won == &fresh->node) {
			/* Publish to the housekeeper: link, then count (release pairs). */
			__atomic_store_n(&w->tail->next, fresh, __ATOMIC_RELEASE);
			w->tail = fresh;
			__atomic_store_n(&w->ctr.inserts, w->ctr.inserts + 1, __ATOMIC_RELEASE);
			return DEDUP_NEW;
		}
		/* Another worker's first sight won: ours is a hit on its entry. */
		STAT_ADD(w->ctr.lost_races, 1);
		enum bump_result r = entry_bump(caa_container_of(won, struct dedup_entry, node),
						now_sec, window);
		if (r == BUMP_HIT)
			goto hit;
		if (r == BUMP_CLOSED_BY_ME)
			STAT_ADD(w->ctr.window_closes, 1);
	}
hit:
	if (fresh) {
		/* Never published, so no grace period: back into the cache. */
		struct chunk_cache *c = &w->cache[order];
		fresh->next = c->head;
		c->head = fresh;
		c->n++;
	}
	STAT_ADD(w->ctr.hits, 1);
	return DEDUP_HIT;
}

/* ---- housekeeper: reclaim ---- */

static void retire(struct dedup *d, struct dedup_entry *e)
{
	e->next = d->retired;
	d->retired = e;
}

/*
 * End of a pass: once no reader can hold a retired entry any more, give the
 * chunks back. The pool lock is dropped every few chunks so that a worker
 * refilling its cache is turned away only briefly.
 */
static void reclaim_retired(struct dedup *d)
{
	struct dedup_entry *e = d->retired;
	if (!e)
		return;
	d->retired = NULL;
	synchronize_rcu();
	while (e) {
		unsigned n = 0;
		buddy_lock(d->pool);
		while (e && n < POOL_UNLOCK_EVERY) {
			struct dedup_entry *next = e->next;
			d->pending_bytes -= buddy_order_bytes(e->order);
			d->pending_entries--;
			buddy_release(d->pool, e, e->order);
			STAT_ADD(d->entries_out, -1);
			e = next;
			n++;
		}
		buddy_unlock(d->pool);
		STAT_ADD(d->hk.reclaimed, n);
	}
}

/* ---- housekeeper: emission ---- */

static int emit(struct dedup *d, const struct dedup_record *rec)
{
	if (d->emit(rec, d->emit_arg) != 0) {
		STAT_ADD(d->hk.emit_refusals, 1);
		return -1;
	}
	STAT_ADD(d->hk.records, 1);
	STAT_ADD(d->hk.count_emitted, rec->count);
	return 0;
}

static struct dedup_entry *fifo_peek(struct worker *w)
{
	return __atomic_load_n(&w->head->next, __ATOMIC_ACQUIRE);
}

static int emit_first_sight(struct dedup *d, const struct dedup_entry *e)
{
	struct dedup_record rec = {
		.key = e->key, .key_len = e->key_len, .hash = e->hash,
		.time_first = e->time_first, .time_last = e->time_first, .count = 0,
		.reason = DEDUP_REASON_FIRST_SIGHT,
	};
	if (emit(d, &rec))
		return -1;
	STAT_ADD(d->hk.first_sight_records, 1);
	return 0;
}

/*
 * Close (if still open), emit and unlink the entry at the head of w's FIFO.
 * Returns the records emitted (1, or 2 with a late first sight), or -1 when the
 * callback refused (the entry stays, closed).
 */
static int fifo_emit_head(struct dedup *d, struct worker *w, enum dedup_reason reason)
{
	struct dedup_entry *e = fifo_peek(w);
	int records = 1;
	if (d->first_sight && w->fs_cursor == w->head) {
		/* Its first-sight record must precede its window record. */
		if (emit_first_sight(d, e))
			return -1;
		w->fs_cursor = e;
		records++;
	}
	uint64_t s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	while (!(s & STATE_CLOSED)) {
		if (__atomic_compare_exchange_n(&e->state, &s, s | STATE_CLOSED, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			e->reason = (uint8_t)reason;
			break;
		}
	}
	/* The reason was written before CLOSED was visible (worker) or just now (us). */
	s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	struct dedup_record rec = {
		.key = e->key, .key_len = e->key_len, .hash = e->hash,
		.time_first = e->time_first,
		.time_last = e->time_first + ((s >> STATE_TOFF_SHIFT) & STATE_TOFF_MAX),
		.count = s & STATE_COUNT_MASK,
		.reason = (enum dedup_reason)e->reason,
	};
	if (emit(d, &rec))
		return -1;
	switch (e->reason) {
	case DEDUP_REASON_EARLY_FLUSH:
		STAT_ADD(d->hk.early_flushes, 1);
		break;
	case DEDUP_REASON_FLUSH:
		STAT_ADD(d->hk.flushes, 1);
		break;
	default:
		STAT_ADD(d->hk.expired, 1);
		break;
	}
	cds_lfht_del(d->ht, &e->node);
	d->pending_bytes += buddy_order_bytes(e->order);
	d->pending_entries++;
	/*
	 * e becomes the FIFO stub: the worker may still write its next link, so it
	 * is retired only when the next one replaces it. The old stub goes now.
	 */
	struct dedup_entry *old = w->head;
	w->head = e;
	if (old != w->stub)
		retire(d, old);
	__atomic_store_n(&w->consumed, w->consumed + 1, __ATOMIC_RELAXED);
	return records;
}

/* Emit overflow records of w, at most *budget (NULL = no limit). 0, or -1 if refused. */
static int overflow_drain(struct dedup *d, struct worker *w, unsigned *budget, int *emitted)
{
	uint64_t head = __atomic_load_n(&w->ovf_head, __ATOMIC_ACQUIRE);
	uint64_t tail = w->ovf_tail;
	int rc = 0;
	while (tail != head && (!budget || *budget)) {
		uint64_t pos = tail % d->ovf_size;
		const struct overflow_hdr *h = (const struct overflow_hdr *)(w->ovf_buf + pos);
		if (h->len == OVF_WRAP) {
			tail += d->ovf_size - pos;
			continue;
		}
		struct dedup_record rec = {
			.key = (const uint8_t *)(h + 1), .key_len = h->len, .hash = h->hash,
			.time_first = h->time, .time_last = h->time, .count = 1,
			.reason = DEDUP_REASON_OVERFLOW,
		};
		if (budget)
			(*budget)--;
		if (emit(d, &rec)) {
			rc = -1;
			break;
		}
		STAT_ADD(d->hk.overflow_records, 1);
		(*emitted)++;
		tail += ovf_need(h->len);
	}
	__atomic_store_n(&w->ovf_tail, tail, __ATOMIC_RELEASE);
	return rc;
}

static int first_sight_drain(struct dedup *d, struct worker *w, unsigned *budget, int *emitted)
{
	struct dedup_entry *e;
	while ((!budget || *budget) &&
	       (e = __atomic_load_n(&w->fs_cursor->next, __ATOMIC_ACQUIRE)) != NULL) {
		if (budget)
			(*budget)--;
		if (emit_first_sight(d, e))
			return -1;
		w->fs_cursor = e;
		(*emitted)++;
	}
	return 0;
}

static bool memory_low(struct dedup *d)
{
	struct buddy_stats ps;
	buddy_stats(d->pool, &ps);
	uint64_t entries_out = STAT_READ(d->entries_out);
	uint64_t free_bytes = ps.capacity - ps.bytes_in_use + d->pending_bytes;
	uint64_t free_entries = d->max_entries - entries_out + d->pending_entries;
	/* Hysteresis: start below the reserve, stop at twice the reserve. */
	uint64_t mult = d->flushing ? 2 : 1;
	d->flushing = free_bytes < mult * d->reserve_bytes ||
		      free_entries < mult * d->reserve_entries;
	return d->flushing;
}

static void pass_start(void)
{
	/* Between passes the housekeeper holds no entry: a quiescent state. */
	if (tls_registered && tls_online)
		rcu_quiescent_state();
}

int dedup_expire(struct dedup *d, uint64_t now_sec, unsigned budget)
{
	int emitted = 0;
	const uint32_t window = __atomic_load_n(&d->window, __ATOMIC_RELAXED);
	pass_start();

	/* Start one worker further each pass so a busy FIFO cannot starve the others. */
	unsigned first = d->next_first_worker;
	d->next_first_worker = (first + 1) % d->nworkers;
	for (unsigned k = 0; k < d->nworkers; k++) {
		struct worker *w = &d->workers[(first + k) % d->nworkers];
		if (overflow_drain(d, w, &budget, &emitted))
			goto out;
		if (d->first_sight && first_sight_drain(d, w, &budget, &emitted))
			goto out;
		struct dedup_entry *e;
		while (budget && (e = fifo_peek(w)) != NULL) {
			budget--;
			uint64_t s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
			if (!(s & STATE_CLOSED) && now_sec < e->time_first + window)
				break;	/* FIFO is in time_first order: the rest is younger */
			int n = fifo_emit_head(d, w, DEDUP_REASON_EXPIRED);
			if (n < 0)
				goto out;
			emitted += n;
		}
	}
	/* Early flush: oldest heads first, until twice the reserve is free. */
	while (budget && memory_low(d)) {
		struct worker *oldest = NULL;
		uint64_t oldest_t = UINT64_MAX;
		for (unsigned i = 0; i < d->nworkers; i++) {
			struct dedup_entry *e = fifo_peek(&d->workers[i]);
			if (e && e->time_first < oldest_t) {
				oldest_t = e->time_first;
				oldest = &d->workers[i];
			}
		}
		if (!oldest)
			break;	/* the rest sits in worker caches and FIFO stubs */
		budget--;
		int n = fifo_emit_head(d, oldest, DEDUP_REASON_EARLY_FLUSH);
		if (n < 0)
			goto out;
		emitted += n;
	}
out:
	reclaim_retired(d);
	return emitted;
}

int dedup_flush_all(struct dedup *d)
{
	int emitted = 0;
	pass_start();
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];
		if (overflow_drain(d, w, NULL, &emitted))
			goto busy;
		/* Entries inserted after this snapshot belong to the next flush or expiry. */
		uint64_t target = __atomic_load_n(&w->ctr.inserts, __ATOMIC_ACQUIRE);
		while (w->consumed < target) {
			int n = fifo_emit_head(d, w, DEDUP_REASON_FLUSH);
			if (n < 0)
				goto busy;
			emitted += n;
		}
	}
	reclaim_retired(d);
	return emitted;
busy:
	reclaim_retired(d);
	return -DEDUP_EBUSY;
}

/* ---- lifecycle and stats ---- */

int dedup_set_window(struct dedup *d, uint32_t window_sec)
{
	if (window_sec == 0)
		return -DEDUP_EINVAL;
	__atomic_store_n(&d->window, window_sec, __ATOMIC_RELAXED);
	return 0;
}

uint32_t dedup_window(const struct dedup *d)
{
	return __atomic_load_n(&d->window, __ATOMIC_RELAXED);
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

struct dedup *dedup_create(const struct dedup_params *params)
{
	if (!params || !params->emit || params->workers == 0 ||
	    params->workers > DEDUP_MAX_WORKERS || params->reserve_percent >= 50 ||
	    (params->overflow_bytes && params->overflow_bytes < 4096)) {
		errno = EINVAL;
		return NULL;
	}
	struct dedup *d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->nworkers = params->workers;
	d->window = params->window_sec ? params->window_sec : 300;
	d->first_sight = params->first_sight;
	d->emit = params->emit;
	d->emit_arg = params->emit_arg;
	uint64_t max_entries = params->max_entries ? params->max_entries : (1u << 20);
	uint64_t max_bytes = params->max_bytes ? params->max_bytes : 256 * max_entries;
	unsigned pct = params->reserve_percent ? params->reserve_percent : 10;
	d->ovf_size = (params->overflow_bytes ? params->overflow_bytes : (1u << 20)) & ~7u;

	d->pool = buddy_create(max_bytes);
	if (!d->pool)
		goto nomem;
	d->pool_top_order = buddy_top_order(d->pool);
	d->max_entries = max_entries;
	struct buddy_stats ps;
	buddy_stats(d->pool, &ps);
	d->reserve_bytes = ps.capacity * pct / 100;
	d->reserve_entries = max_entries * pct / 100;

	d->workers = aligned_alloc(CACHE_LINE, sizeof(struct worker) * d->nworkers);
	d->ovf_mem_bytes = (size_t)d->ovf_size * d->nworkers;
	d->ovf_mem = mmap(NULL, d->ovf_mem_bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!d->workers || d->ovf_mem == MAP_FAILED) {
		d->ovf_mem = NULL;
		goto nomem;
	}
	memset(d->workers, 0, sizeof(struct worker) * d->nworkers);
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];
		w->stub = calloc(1, sizeof(struct dedup_entry));
		if (!w->stub)
			goto nomem;
		w->head = w->tail = w->fs_cursor = w->stub;
		w->ovf_buf = (uint8_t *)d->ovf_mem + (size_t)i * d->ovf_size;
	}
	/*
	 * Buckets pre-sized for max_entries (load <= 1): the table never resizes, so
	 * there is no resize thread work or stall to account for on the hot path.
	 */
	d->buckets = pow2_at_least(max_entries < 16 ? 16 : max_entries);
	d->ht = cds_lfht_new(d->buckets, d->buckets, d->buckets, 0, NULL);
	if (!d->ht)
		goto nomem;
	return d;
nomem:
	dedup_free(d);
	errno = ENOMEM;
	return NULL;
}

void dedup_free(struct dedup *d)
{
	if (!d)
		return;
	if (d->ht) {
		int was_registered = tls_registered, was_online = tls_online;
		if (!was_registered)
			dedup_thread_register();
		dedup_thread_online();
		/* Unlink what was never emitted (callers flush first) so destroy may run. */
		struct cds_lfht_iter iter;
		struct cds_lfht_node *node;
		cds_lfht_for_each(d->ht, &iter, node)
			cds_lfht_del(d->ht, node);
		dedup_thread_offline();
		cds_lfht_destroy(d->ht, NULL);
		if (!was_registered)
			dedup_thread_unregister();
		else if (was_online)
			dedup_thread_online();
	}
	if (d->workers) {
		for (unsigned i = 0; i < d->nworkers; i++)
			free(d->workers[i].stub);
		free(d->workers);
	}
	if (d->ovf_mem)
		munmap(d->ovf_mem, d->ovf_mem_bytes);
	buddy_free(d->pool);
	free(d);
}

void dedup_stats(const struct dedup *d, struct dedup_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->workers = d->nworkers;
	uint64_t consumed = 0;
	for (unsigned i = 0; i < d->nworkers; i++) {
		const struct worker *w = &d->workers[i];
		struct dedup_worker_stats *ws = &out->worker[i];
		ws->hits = STAT_READ(w->ctr.hits);
		ws->inserts = __atomic_load_n(&w->ctr.inserts, __ATOMIC_ACQUIRE);
		ws->overflow = STAT_READ(w->ctr.overflow);
		ws->rejected = STAT_READ(w->ctr.rejected);
		ws->lost_races = STAT_READ(w->ctr.lost_races);
		ws->window_closes = STAT_READ(w->ctr.window_closes);
		ws->observations = ws->hits + ws->inserts + ws->overflow;
		consumed += STAT_READ(w->consumed);
		out->hits += ws->hits;
		out->inserts += ws->inserts;
		out->overflow += ws->overflow;
		out->rejected += ws->rejected;
		out->observations += ws->observations;
	}
	out->live_entries = out->inserts >= consumed ? out->inserts - consumed : 0;
	struct buddy_stats ps;
	buddy_stats(d->pool, &ps);
	out->entries_reserved = STAT_READ(d->entries_out);
	out->bytes_in_use = ps.bytes_in_use;
	out->bytes_capacity = ps.capacity;
	out->buckets = d->buckets;
	out->records = STAT_READ(d->hk.records);
	out->count_emitted = STAT_READ(d->hk.count_emitted);
	out->expired = STAT_READ(d->hk.expired);
	out->early_flushes = STAT_READ(d->hk.early_flushes);
	out->flushes = STAT_READ(d->hk.flushes);
	out->overflow_records = STAT_READ(d->hk.overflow_records);
	out->first_sight_records = STAT_READ(d->hk.first_sight_records);
	out->emit_refusals = STAT_READ(d->hk.emit_refusals);
	out->reclaimed = STAT_READ(d->hk.reclaimed);
}
