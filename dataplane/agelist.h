/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An age-ordered doubly linked list threaded by index through a preallocated
 * array (oldest first). Matching and TCP reassembly both keep one, for their
 * timeout scans and their "evict the oldest" victims, in O(1) each. Indexes,
 * not pointers, keep the links 8 bytes per element.
 */
#ifndef DNSIFT_DP_AGELIST_H
#define DNSIFT_DP_AGELIST_H

#include <stddef.h>
#include <stdint.h>

#define AGE_NIL UINT32_MAX

struct age_link {
	uint32_t older;
	uint32_t newer;
};

struct age_list {
	uint32_t oldest;	/* AGE_NIL when empty */
	uint32_t newest;
};

/* The link of element i, given the link of element 0 and the array's stride. */
static inline struct age_link *age_link_at(struct age_link *first, size_t stride, uint32_t i)
{
	return (struct age_link *)((char *)first + (size_t)i * stride);
}

static inline void age_list_init(struct age_list *l)
{
	l->oldest = AGE_NIL;
	l->newest = AGE_NIL;
}

static inline void age_list_unlink(struct age_list *l, struct age_link *first, size_t stride,
				   uint32_t i)
{
	struct age_link *e = age_link_at(first, stride, i);

	if (e->older != AGE_NIL)
		age_link_at(first, stride, e->older)->newer = e->newer;
	else
		l->oldest = e->newer;
	if (e->newer != AGE_NIL)
		age_link_at(first, stride, e->newer)->older = e->older;
	else
		l->newest = e->older;
}

static inline void age_list_append(struct age_list *l, struct age_link *first, size_t stride,
				   uint32_t i)
{
	struct age_link *e = age_link_at(first, stride, i);

	e->older = l->newest;
	e->newer = AGE_NIL;
	if (l->newest != AGE_NIL)
		age_link_at(first, stride, l->newest)->newer = i;
	else
		l->oldest = i;
	l->newest = i;
}

#endif
