/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * buddy: the power-of-two chunk allocator behind dedup's entries (internal to
 * dedup/, not a public header).
 *
 * One arena is reserved at create time (mmap, MAP_NORESERVE, huge pages advised)
 * and never grows; resident memory follows use. Chunks are 128 B << order, order
 * 0 .. BUDDY_ORDERS - 1 (at most the arena's top order); a freed chunk merges with
 * its free buddy.
 *
 * Locking: buddy_alloc() and buddy_release() do no locking of their own. The
 * caller holds the pool's spinlock (buddy_lock / buddy_trylock / buddy_unlock)
 * around them; dedup keeps every hold to a bounded number of operations (a worker
 * refilling its cache, the housekeeper returning a batch of chunks), so a waiter
 * can spin a bounded number of times and give up. The stats readers need no lock.
 */
#ifndef DNSIFT_DEDUP_BUDDY_H
#define DNSIFT_DEDUP_BUDDY_H

#include <stddef.h>
#include <stdint.h>

#define BUDDY_MIN_SHIFT 7	/* smallest chunk: 128 bytes */
#define BUDDY_ORDERS 13		/* 128 B << 12 = 512 KiB: header + DEDUP_MAX_KEY_LEN fits */

/* Bytes of a chunk of this order. */
static inline uint64_t buddy_order_bytes(unsigned order)
{
	return (uint64_t)1 << (order + BUDDY_MIN_SHIFT);
}

struct buddy;

/*
 * Reserve an arena of at most max_bytes, rounded down to a whole number of
 * top-order chunks (the top order is the largest below BUDDY_ORDERS that fits).
 * Returns NULL when max_bytes is below 128 bytes or the reservation fails. Any
 * thread.
 */
struct buddy *buddy_create(uint64_t max_bytes);

/* Unmap the arena. No chunk may be in use any more. Any thread; NULL is a no-op. */
void buddy_free(struct buddy *b);

/*
 * A chunk of the given order, or NULL when none is free. order must not exceed
 * buddy_top_order(). Caller holds the lock.
 */
void *buddy_alloc(struct buddy *b, unsigned order);

/* Give back a chunk buddy_alloc() returned, with the same order. Caller holds the lock. */
void buddy_release(struct buddy *b, void *ptr, unsigned order);

/* The pool spinlock. buddy_trylock() returns 0 when it got the lock. Any thread. */
void buddy_lock(struct buddy *b);
int buddy_trylock(struct buddy *b);
void buddy_unlock(struct buddy *b);

/* Largest order this arena serves. Any thread, no lock. */
unsigned buddy_top_order(const struct buddy *b);

struct buddy_stats {
	uint64_t bytes_in_use;	/* chunk bytes handed out (written under the lock) */
	uint64_t capacity;	/* arena bytes */
};

/* Counters without the lock (each value exact, the pair not one instant). Any thread. */
void buddy_stats(const struct buddy *b, struct buddy_stats *out);

#endif
