/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * buddy: power-of-two chunks over an arena reserved at create time.
 *
 * Per 128-byte unit, one meta byte says whether a block starts there, free or
 * used, and its order. Free blocks of each order sit on a circular list whose
 * links live inside the free memory itself. A chunk is rounded up to a power of
 * two (internal fragmentation up to 50%); the buddy merge keeps external
 * fragmentation low as long as long-lived large chunks are rare.
 */
#include "dedup/buddy.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#define META_FREE 0x80
#define META_USED 0x40
#define META_ORDER 0x3f

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct free_block {
	struct free_block *next, *prev;
};

struct buddy {
	pthread_spinlock_t lock;
	uint8_t *base;
	size_t arena_bytes;
	size_t nblocks;			/* in 128-byte units */
	unsigned top_order;
	uint8_t *meta;			/* per 128-byte unit: META_* | order at block heads */
	/*
	 * Top-order blocks from here on were never handed out. They are free but
	 * kept off the free lists, whose links live inside the free memory: writing
	 * them would fault in the whole arena at create time (2 MiB at a time with
	 * huge pages), and resident memory should follow use instead.
	 */
	size_t fresh;
	struct free_block lists[BUDDY_ORDERS];	/* circular, sentinel heads */
	uint64_t bytes_out;		/* written under lock, read by stats */
};

static void list_init(struct free_block *h)
{
	h->next = h->prev = h;
}

static void list_push(struct free_block *h, struct free_block *b)
{
	b->next = h->next;
	b->prev = h;
	h->next->prev = b;
	h->next = b;
}

static void list_unlink(struct free_block *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

void *buddy_alloc(struct buddy *p, unsigned order)
{
	unsigned o = order;
	size_t idx;
	while (o <= p->top_order && p->lists[o].next == &p->lists[o])
		o++;
	if (o <= p->top_order) {
		struct free_block *b = p->lists[o].next;
		list_unlink(b);
		idx = (size_t)((uint8_t *)b - p->base) >> BUDDY_MIN_SHIFT;
	} else if (p->fresh < p->nblocks) {
		idx = p->fresh;
		p->fresh += (size_t)1 << p->top_order;
		o = p->top_order;
	} else {
		return NULL;
	}
	/* Split down, freeing the upper halves. */
	while (o > order) {
		o--;
		size_t bud = idx + ((size_t)1 << o);
		p->meta[bud] = META_FREE | o;
		list_push(&p->lists[o], (struct free_block *)(p->base + (bud << BUDDY_MIN_SHIFT)));
	}
	p->meta[idx] = META_USED | order;
	STAT_ADD(p->bytes_out, buddy_order_bytes(order));
	return p->base + (idx << BUDDY_MIN_SHIFT);
}

void buddy_release(struct buddy *p, void *ptr, unsigned order)
{
	size_t idx = (size_t)((uint8_t *)ptr - p->base) >> BUDDY_MIN_SHIFT;
	STAT_ADD(p->bytes_out, -buddy_order_bytes(order));
	p->meta[idx] = 0;
	while (order < p->top_order) {
		size_t bud = idx ^ ((size_t)1 << order);
		if (bud >= p->nblocks || p->meta[bud] != (META_FREE | order))
			break;
		list_unlink((struct free_block *)(p->base + (bud << BUDDY_MIN_SHIFT)));
		p->meta[bud] = 0;
		if (bud < idx)
			idx = bud;
		order++;
	}
	p->meta[idx] = META_FREE | order;
	list_push(&p->lists[order], (struct free_block *)(p->base + (idx << BUDDY_MIN_SHIFT)));
}

struct buddy *buddy_create(uint64_t max_bytes)
{
	unsigned top = BUDDY_ORDERS - 1;
	while (top > 0 && buddy_order_bytes(top) > max_bytes)
		top--;
	size_t top_bytes = (size_t)buddy_order_bytes(top);
	size_t arena = (size_t)(max_bytes / top_bytes) * top_bytes;
	if (arena == 0)
		return NULL;
	struct buddy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	/* Untouched pages cost nothing until used: the arena is reserved, not populated. */
	void *base = mmap(NULL, arena, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			  MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		free(p);
		return NULL;
	}
	/* Chunks are reached at random: huge pages spare a TLB miss per lookup. */
	(void)madvise(base, arena, MADV_HUGEPAGE);
	p->nblocks = arena >> BUDDY_MIN_SHIFT;
	p->meta = calloc(p->nblocks, 1);
	if (!p->meta) {
		munmap(base, arena);
		free(p);
		return NULL;
	}
	p->base = base;
	p->arena_bytes = arena;
	p->top_order = top;
	for (unsigned o = 0; o < BUDDY_ORDERS; o++)
		list_init(&p->lists[o]);
	p->fresh = 0;
	pthread_spin_init(&p->lock, PTHREAD_PROCESS_PRIVATE);
	return p;
}

void buddy_free(struct buddy *p)
{
	if (!p)
		return;
	munmap(p->base, p->arena_bytes);
	free(p->meta);
	pthread_spin_destroy(&p->lock);
	free(p);
}

void buddy_lock(struct buddy *p)
{
	pthread_spin_lock(&p->lock);
}

int buddy_trylock(struct buddy *p)
{
	return pthread_spin_trylock(&p->lock);
}

void buddy_unlock(struct buddy *p)
{
	pthread_spin_unlock(&p->lock);
}

unsigned buddy_top_order(const struct buddy *p)
{
	return p->top_order;
}

void buddy_stats(const struct buddy *p, struct buddy_stats *out)
{
	out->bytes_in_use = STAT_READ(p->bytes_out);
	out->capacity = p->arena_bytes;
}
