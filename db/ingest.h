/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/ingest: segments into the store.
 *
 * Each segment is verified by the segment reader (segment/seg.h: frame and content
 * checksums, head, tail counts) while its lines are decoded by the COF reader and
 * added to the open batch. A segment that fails (checksum, truncation, a line that
 * is not a COF object) is rolled out of the batch, moved to the quarantine folder
 * with NAME.reason beside it, and counted; nothing of it is committed. A record that
 * is well-formed COF but has a bad name, rrtype or rdata is skipped and counted by
 * reason; the rest of its segment goes in.
 *
 * A segment is identified by (sensor id, sequence) from its head. One already in the
 * store (or in the open batch) is not read again: it is counted as a duplicate and
 * the count is committed with the next batch (db_batch_add_duplicate). Batches close
 * at a segment boundary once they hold batch_entries entries, or under watch when
 * the oldest segment in them has waited freshness_ms / 2 (so commit and the reader's
 * refresh fit in the rest of the freshness budget).
 *
 * Threads: one ingest per store, used by one thread.
 */
#ifndef DNSIFT_DB_INGEST_H
#define DNSIFT_DB_INGEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db/store.h"
#include "wire/err.h"

struct ingest_params {
	struct db_store *store;		/* writable */
	const char *quarantine_dir;	/* created on first use */
	uint64_t batch_entries;		/* 0 = 1 Mi entries */
	uint32_t freshness_ms;		/* watch: 0 = 10000 */
	uint32_t rescan_ms;		/* watch: full rescan period; 0 = 5000 */
	bool compact;			/* tiered compaction after each commit */
	FILE *log;			/* one line per quarantined segment; NULL = stderr */
};

struct ingest_stats {
	uint64_t files_seen;		/* segment files looked at */
	uint64_t segments;		/* segments committed (or in the open batch) */
	uint64_t duplicates;		/* segments already in the database */
	uint64_t quarantined;		/* segments moved to quarantine */
	uint64_t records;		/* records added */
	uint64_t count_sum;		/* sum of count over records added */
	uint64_t unmatched;		/* of records, flagged "unmatched" */
	uint64_t bad_records;		/* records skipped (by reason below) */
	uint64_t bad_by_reason[DNSIFT_E_COUNT];
	uint64_t batches;		/* batches committed */
	uint64_t compactions_failed;
	uint64_t errors;		/* files that could not be read or moved */
};

struct ingest;

/* NULL with errno. */
struct ingest *ingest_create(const struct ingest_params *p);
/* Commits the open batch first (so nothing accepted is left behind). */
int ingest_free(struct ingest *in);

/*
 * A segment file, or a directory's *.ndjson.lz4 files in name order (not recursive).
 * The records go into the open batch; 0 or a negative error only for a failure of the
 * store (a bad segment is quarantined and counted, not an error).
 */
int ingest_path(struct ingest *in, const char *path);

/* Commit the open batch now. */
int ingest_flush(struct ingest *in);

/*
 * Watch directories (inotify for close-write and moved-in files, plus a full rescan
 * every rescan_ms) until *stop; files already present are taken first. 0 or negative.
 */
int ingest_watch(struct ingest *in, const char *const *dirs, unsigned ndirs,
		 volatile sig_atomic_t *stop);

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out);

#endif
