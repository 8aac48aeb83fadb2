/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for a worker's whole per-packet path with its state: frame decode,
 * upstream rules, TCP reassembly, DNS parse, query/response matching, bailiwick and the
 * (server, zone) table, RRset keys, dedup, and at intervals dedup expiry into COF
 * records. The fuzzer's wire path (fuzz_wire.c) sees one frame at a time; here the
 * pipeline and the dedup table live across inputs, so a run of inputs is a stream of
 * frames: TCP streams, outstanding queries and dedup windows build up and are
 * exercised by what follows.
 *
 * Input: one selector byte (selector % 10 picks the link type, the same table as
 * fuzz_wire.c, so its seed corpus serves here), then the frame. The clock advances 1 ms
 * per input; every 64 inputs the pipeline's timeouts run and dedup expires what is due.
 * Records are rendered with cof_render into a buffer of exactly cof_render_bound()
 * bytes and must be one JSON-ish line. Conservation is checked continuously: the sum of
 * count over emitted records never exceeds the observations dedup accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pipeline.h"
#include "dataplane/upstream.h"
#include "dedup/dedup.h"
#include "wire/cof.h"
#include "wire/pkt.h"

static const uint32_t fuzz_linktypes[] = {
	PKT_LINKTYPE_NULL, PKT_LINKTYPE_ETHERNET, PKT_LINKTYPE_DLT_RAW1, PKT_LINKTYPE_DLT_RAW2,
	PKT_LINKTYPE_RAW, PKT_LINKTYPE_LOOP, PKT_LINKTYPE_LINUX_SLL, PKT_LINKTYPE_IPV4,
	PKT_LINKTYPE_IPV6, PKT_LINKTYPE_LINUX_SLL2,
};
#define FUZZ_NLINKTYPES (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))

static struct pipeline *pipe;
static struct upstream *up;
static struct dedup *dd;
static uint64_t clock_ns = 1764190000ull * 1000000000ull;
static uint64_t inputs, emitted_counts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(const struct dedup_record *r, void *arg)
{
	(void)arg;
	struct cof_meta meta = { r->time_first, r->time_last, r->count, "fuzz" };
	size_t bound = cof_render_bound(r->key_len, meta.sensor_id);
	char *line = malloc(bound);

	if (line == NULL)
		return 1;	/* refused: dedup keeps the entry */
	int n = cof_render(r->key, r->key_len, &meta, line, bound);
	/* A key the wire path built renders, as one line. */
	if (n <= 2 || line[0] != '{' || line[n - 1] != '\n' || line[n - 2] != '}' ||
	    (size_t)n != strlen(line))
		__builtin_trap();
	free(line);
	emitted_counts += r->count;
	return 0;
}

static void setup(void)
{
	struct upstream_params up_params = { 0 };
	struct dedup_params dp = {
		.workers = 1, .window_sec = 5, .max_entries = 4096, .max_bytes = 4u << 20,
		.emit = emit,
	};

	up = upstream_create(&up_params);
	dedup_thread_register();
	dd = dedup_create(&dp);
	struct pipeline_params pp = {
		.worker = 0, .upstream = up, .dedup = dd,
		.unmatched = PIPELINE_UNMATCHED_RECORD,	/* more of the path runs */
		.query_timeout_ns = 50000000ull, .max_queries = 1024,
		.tcp_max_flows = 64, .tcp_timeout_ns = 100000000ull,
	};
	pipe = pipeline_create(&pp);
	if (up == NULL || dd == NULL || pipe == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;

	if (pipe == NULL)
		setup();
	if (size < 1)
		return 0;
	clock_ns += 1000000ull;
	uint32_t linktype = fuzz_linktypes[data[0] % FUZZ_NLINKTYPES];
	/* A fragment would go to rte_ip_frag in the sensor; here it is only counted. */
	(void)pipeline_frame(pipe, data + 1, (uint32_t)(size - 1), linktype, clock_ns, &pi);
	if (++inputs % 64 == 0) {
		pipeline_expire(pipe, clock_ns, 64);
		if (dedup_expire(dd, clock_ns / 1000000000ull, 1024) < 0)
			__builtin_trap();
		struct dedup_stats st;
		dedup_stats(dd, &st);
		/* Conservation: nothing emitted that was not observed. */
		if (emitted_counts > st.observations)
			__builtin_trap();
	}
	dedup_quiescent();
	return 0;
}
