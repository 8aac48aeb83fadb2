/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "dataplane/stats.h"

void dp_stats_add(struct dp_stats *a, const struct dp_stats *b)
{
#define DP_STATS_ADD(name, help) a->name += b->name;
	DP_COUNTERS(DP_STATS_ADD)
#undef DP_STATS_ADD
	for (int i = 0; i < DNSIFT_E_COUNT; i++) {
		a->decode_reject[i] += b->decode_reject[i];
		a->parse_reject[i] += b->parse_reject[i];
	}
}

void dp_stats_foreach(const struct dp_stats *s, int all,
		      void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	char name[96];

#define DP_STATS_EMIT(n, help) fn(arg, #n, s->n);
	DP_COUNTERS(DP_STATS_EMIT)
#undef DP_STATS_EMIT
	for (int i = 1; i < DNSIFT_E_COUNT; i++) {
		if (all || s->decode_reject[i]) {
			snprintf(name, sizeof(name), "decode_%s", dnsift_errname(i));
			fn(arg, name, s->decode_reject[i]);
		}
	}
	for (int i = 1; i < DNSIFT_E_COUNT; i++) {
		if (all || s->parse_reject[i]) {
			snprintf(name, sizeof(name), "parse_%s", dnsift_errname(i));
			fn(arg, name, s->parse_reject[i]);
		}
	}
}
