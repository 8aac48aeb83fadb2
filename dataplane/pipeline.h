/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet path of one worker, without DPDK: frame decode, upstream
 * selection, TCP reassembly, DNS parse, query/response matching, RRset keys,
 * bailiwick, dedup. The DPDK worker (worker.c) feeds it frames and does IP
 * fragment reassembly with rte_ip_frag in between; the offline tools, tests,
 * fuzzers and benchmarks feed it frames directly.
 *
 * One pipeline per worker; every function below is called only by that
 * worker's thread, except pipeline_stats() which any thread may call.
 * Nothing here allocates after pipeline_create().
 */
#ifndef DNSIFT_DP_PIPELINE_H
#define DNSIFT_DP_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/stats.h"
#include "wire/pkt.h"

struct upstream;
struct dedup;
struct deleg;

enum pipeline_unmatched {
	PIPELINE_UNMATCHED_DROP = 0,	/* count and drop responses without a query */
	PIPELINE_UNMATCHED_RECORD,	/* record them, flagged RRKEY_F_UNMATCHED */
};

enum pipeline_bailiwick_unknown {
	PIPELINE_BAILIWICK_UNKNOWN_RECORD = 0,	/* record without a bailiwick */
	PIPELINE_BAILIWICK_UNKNOWN_DROP,	/* count and drop the response */
};

struct pipeline_params {
	unsigned int worker;		/* index into dedup's per-worker slots */
	struct upstream *upstream;	/* shared, RCU-updated resolver/port rules */
	struct dedup *dedup;		/* shared table; NULL: count RRsets only (benchmarks) */
	enum pipeline_unmatched unmatched;
	uint64_t query_timeout_ns;	/* unanswered queries forgotten after this */
	uint32_t max_queries;		/* outstanding queries remembered */
	uint32_t tcp_max_flows;		/* TCP streams (each direction counts one) */
	uint64_t tcp_timeout_ns;	/* idle TCP streams freed after this */
	struct deleg *deleg;		/* shared delegation table; NULL: a private one */
	enum pipeline_bailiwick_unknown bailiwick_unknown;
};

struct pipeline;

/* How long a datagram's fragments are held: the worker's rte_ip_frag table and the
 * pipeline's fragment verdicts use the same lifetime. */
#define PIPELINE_FRAG_TIMEOUT_NS 2000000000ull

/* NULL with errno on failure. Main thread, before the worker starts. */
struct pipeline *pipeline_create(const struct pipeline_params *params);
void pipeline_free(struct pipeline *p);

enum pipeline_verdict {
	PIPELINE_DONE = 0,	/* fully handled (recorded, counted or dropped) */
	PIPELINE_FRAGMENT,	/* an IP fragment: reassemble, then pipeline_datagram() */
};

/*
 * Decode one frame and, unless it is a fragment, process it. A fragment is
 * classified before reassembly: a first fragment by its addresses and ports (the
 * verdict is remembered for the datagram's other fragments), any other by that
 * verdict or, failing it, by its addresses. Fragments of client-side, foreign or
 * non-DNS datagrams are dropped here (counted as such) and never fill the
 * reassembly table; the ones that cannot be told are passed on and counted in
 * frag_unclassified. On PIPELINE_FRAGMENT, *pi describes the fragment for the
 * caller's reassembly; the frame has been counted (frag_fragments) but not yet
 * given an outcome: the caller counts frag_absorbed (or frag_unsupported) itself.
 */
enum pipeline_verdict pipeline_frame(struct pipeline *p, const uint8_t *frame, uint32_t len,
				     uint32_t linktype, uint64_t now_ns, struct pkt_info *pi);

/* A datagram rebuilt by reassembly (counted in frag_datagrams), decoded anew. */
void pipeline_datagram(struct pipeline *p, const uint8_t *frame, uint32_t len,
		       uint32_t linktype, uint64_t now_ns);

/* Time out queries and TCP streams, at most budget of each. Worker thread. */
void pipeline_expire(struct pipeline *p, uint64_t now_ns, unsigned int budget);

/* The worker's counters (live: one writer, the worker). */
struct dp_stats *pipeline_stats(struct pipeline *p);

/* Counters of the matching and TCP modules, added into the named sums. */
void pipeline_foreach_module_counter(struct pipeline *p,
				     void (*fn)(void *arg, const char *name, uint64_t value),
				     void *arg);

#endif
