/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/records.h"
#include "dataplane/sensor.h"
#include "dedup/dedup.h"
#include "segment/seg.h"
#include "wire/cof.h"
#include "wire/rrkey.h"

static struct {
	char *line;		/* COF rendering buffer, housekeeping thread only */
	size_t line_size;
	_Atomic uint64_t flush_requested;
	_Atomic uint64_t flush_done;
	uint64_t records;	/* written by the emitting thread */
	uint64_t count_sum;
	uint64_t refused;
	uint64_t render_errors;
	uint64_t render_error_counts;	/* observations in records that could not be spooled */
	struct dp_stats drops_prev;	/* writer thread: counters at the last rotation */
} rec;

/* dedup emit callback: render and hand to the writer; refusing keeps the entry. */
static int emit_record(const struct dedup_record *r, void *arg)
{
	struct sensor *s = arg;
	struct cof_meta meta = {
		.time_first = r->time_first,
		.time_last = r->time_last,
		.count = r->count,
		.sensor_id = s->conf.sensor_id,
	};
	int n = cof_render(r->key, r->key_len, &meta, rec.line, rec.line_size);

	if (n < 0) {
		/*
		 * -ENOSPACE: the line would pass SEG_LINE_MAX (an RRset of hundreds of KiB
		 * of rdata); -EFORMAT cannot happen for keys the wire path built. Either
		 * way the record cannot be spooled: counted, with its observations.
		 */
		rec.render_errors++;
		rec.render_error_counts += r->count;
		return 0;
	}
	if (s->writer != NULL) {
		int w = seg_writer_submit(s->writer, rec.line, (size_t)n, r->count);
		if (w == -DNSIFT_ELIMIT) {
			rec.refused++;
			return 1;
		}
		if (w < 0) {
			rec.render_errors++;
			rec.render_error_counts += r->count;
			return 0;
		}
	}
	if (s->print_records)
		fwrite(rec.line, 1, (size_t)n, stdout);
	rec.records++;
	rec.count_sum += r->count;
	return 0;
}

/*
 * Drop counters for a closing segment: the increase since the previous
 * segment of every counter that is a drop. Writer thread.
 */
static unsigned int segment_drops(void *arg, struct seg_counter *out, unsigned int max)
{
	static struct dp_stats now;
	static char names[2 * DNSIFT_E_COUNT][48];
	struct sensor *s = arg;
	unsigned int n = 0;

	sensor_sum_stats(&now);
#define DROP(field) \
	if (n < max && now.field != rec.drops_prev.field) { \
		out[n].name = #field; \
		out[n].value = now.field - rec.drops_prev.field; \
		n++; \
	}
	DROP(oversize)
	DROP(frag_unsupported)
	DROP(client_side)
	DROP(foreign)
	DROP(responses_unmatched)
	DROP(truncated_responses)
	DROP(dns_other)
	DROP(dns_not_query)
	DROP(rrsets_out_of_bailiwick)
	DROP(rrset_errors)
	DROP(dedup_rejected)
#undef DROP
	for (int i = 1; i < DNSIFT_E_COUNT && n < max; i++) {
		if (now.decode_reject[i] != rec.drops_prev.decode_reject[i]) {
			snprintf(names[i], sizeof(names[i]), "decode_%s", dnsift_errname(i));
			out[n].name = names[i];
			out[n++].value = now.decode_reject[i] - rec.drops_prev.decode_reject[i];
		}
		if (n < max && now.parse_reject[i] != rec.drops_prev.parse_reject[i]) {
			snprintf(names[DNSIFT_E_COUNT + i], sizeof(names[0]), "parse_%s",
				 dnsift_errname(i));
			out[n].name = names[DNSIFT_E_COUNT + i];
			out[n++].value = now.parse_reject[i] - rec.drops_prev.parse_reject[i];
		}
	}
	(void)s;
	rec.drops_prev = now;
	return n;
}

int records_setup(struct sensor *s)
{
	/* A segment line holds at most SEG_LINE_MAX bytes; a longer rendering could not
	 * be spooled anyway, so the buffer stops there (cof_render says ENOSPACE). */
	rec.line_size = SEG_LINE_MAX;
	rec.line = malloc(rec.line_size);
	if (rec.line == NULL) {
		fprintf(stderr, "dnsift: no memory for the record buffer\n");
		return -1;
	}
	struct dedup_params dp = {
		.workers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1,
		.window_sec = s->conf.window_s,
		.max_entries = s->conf.dedup_max_entries,
		.max_bytes = s->conf.dedup_max_bytes,
		.first_sight = s->conf.first_sight,
		.emit = emit_record,
		.emit_arg = s,
	};
	if (dp.workers > DEDUP_MAX_WORKERS)
		dp.workers = DEDUP_MAX_WORKERS;
	s->dedup = dedup_create(&dp);
	if (s->dedup == NULL) {
		fprintf(stderr, "dnsift: dedup table (%" PRIu64 " entries, %" PRIu64
			" bytes): %s\n", dp.max_entries, dp.max_bytes, strerror(errno));
		return -1;
	}
	struct seg_writer_params wp = {
		.spool_dir = s->conf.spool_dir,
		.sensor_id = s->conf.sensor_id,
		.max_bytes = s->conf.segment_max_bytes,
		.max_age_s = s->conf.segment_max_age_s,
		.flush_interval_ms = s->conf.segment_flush_ms,
		.drops_fn = segment_drops,
		.drops_arg = s,
	};
	s->writer = seg_writer_create(&wp);
	if (s->writer == NULL) {
		fprintf(stderr, "dnsift: segment writer in %s: %s\n", s->conf.spool_dir,
			strerror(errno));
		return -1;
	}
	if (seg_writer_start(s->writer) != 0) {
		fprintf(stderr, "dnsift: cannot start the segment writer thread\n");
		return -1;
	}
	/* The main lcore is the one housekeeping thread dedup allows. */
	dedup_thread_register();
	return 0;
}

unsigned int records_housekeeping(uint64_t now_ns, unsigned int budget)
{
	uint64_t want = atomic_load_explicit(&rec.flush_requested, memory_order_acquire);
	int n = 0;

	if (want != atomic_load_explicit(&rec.flush_done, memory_order_relaxed)) {
		if (dedup_flush_all(sensor.dedup) >= 0)
			atomic_store_explicit(&rec.flush_done, want, memory_order_release);
	}
	if (now_ns)
		n = dedup_expire(sensor.dedup, now_ns / 1000000000ull, budget);
	dedup_quiescent();
	return n > 0 ? (unsigned int)n : 0;
}

void records_shutdown(void)
{
	/* flush_all refuses only while the writer's queue is full: wait it out. */
	while (dedup_flush_all(sensor.dedup) < 0) {
		dedup_quiescent();
		usleep(1000);
	}
	if (sensor.writer && seg_writer_stop(sensor.writer) != 0)
		fprintf(stderr, "dnsift: segment writer could not close its segment; the part "
			"file stays for recovery at the next start\n");
	fflush(stdout);
}

void records_free(void)
{
	if (sensor.writer)
		seg_writer_free(sensor.writer);
	sensor.writer = NULL;
	if (sensor.dedup) {
		dedup_thread_unregister();
		dedup_free(sensor.dedup);
	}
	sensor.dedup = NULL;
	free(rec.line);
	rec.line = NULL;
}

uint64_t records_request_flush(void)
{
	return atomic_fetch_add(&rec.flush_requested, 1) + 1;
}

uint64_t records_flushes_done(void)
{
	return atomic_load(&rec.flush_done);
}

void records_foreach_counter(void (*fn)(void *arg, const char *name, uint64_t value),
			     void *arg)
{
	struct dedup_stats ds;
	struct seg_writer_stats ws;

	fn(arg, "records", rec.records);
	fn(arg, "records_count_sum", rec.count_sum);
	fn(arg, "records_refused_queue_full", rec.refused);
	fn(arg, "records_render_errors", rec.render_errors);
	fn(arg, "records_render_error_counts", rec.render_error_counts);
	if (sensor.dedup) {
		dedup_stats(sensor.dedup, &ds);
		fn(arg, "dedup_live_entries", ds.live_entries);
		fn(arg, "dedup_bytes_in_use", ds.bytes_in_use);
		fn(arg, "dedup_bytes_capacity", ds.bytes_capacity);
		fn(arg, "dedup_observations", ds.observations);
		/* Hits and inserts are the workers' dedup_hits / dedup_new. */
		fn(arg, "dedup_expired", ds.expired);
		fn(arg, "dedup_early_flushes", ds.early_flushes);
		fn(arg, "dedup_flushed", ds.flushes);
		fn(arg, "dedup_overflow_records", ds.overflow_records);
		fn(arg, "dedup_emit_refusals", ds.emit_refusals);
		fn(arg, "dedup_count_emitted", ds.count_emitted);
	}
	if (sensor.writer) {
		seg_writer_stats(sensor.writer, &ws);
		fn(arg, "segment_records", ws.records);
		fn(arg, "segment_bytes_in", ws.bytes_in);
		fn(arg, "segment_bytes_out", ws.bytes_out);
		fn(arg, "segments_closed", ws.segments);
		fn(arg, "segment_queue_full", ws.queue_full);
		fn(arg, "segment_write_errors", ws.write_errors);
		fn(arg, "segment_enospc", ws.enospc);
		fn(arg, "segments_recovered", ws.recovered);
		fn(arg, "segment_seq", ws.seq);
	}
}
