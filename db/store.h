/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/store: the passive DNS database's storage interface.
 *
 * Ingest (db/ingest.c) and the API (db/api*.c) see only this header, so a second
 * backend (ClickHouse, issue 14) implements the same functions and passes the same
 * tests. The MTBL backend is db/store_mtbl.c.
 *
 * Data model (dnstable's):
 *   - an RRset entry: (rrname, rrtype, rrclass, bailiwick, rdata set) with the
 *     triplet (time_first, time_last, count), merged by min, max and sum;
 *   - an rdata entry per RR of each RRset: (rdata, rrtype, rrname) with its own
 *     triplet, merged the same way. It is indexed by the names inside the rdata
 *     (NS, CNAME, DNAME, PTR, MX, SRV, SOA, SVCB, HTTPS: label-reversed, so
 *     "*.example.com" is a key range) and by binary IPv4 / IPv6 address for A and
 *     AAAA (so a network is a key range).
 *
 * Names everywhere in this interface are presentation form as the sensor writes
 * them: lowercase, absolute (trailing dot), "\." and "\DDD" escapes inside labels.
 * rdata strings are master-file presentation, one per RR, as in a COF record.
 *
 * Threads: one writer (the ingest process) and any number of readers. A store
 * handle may be used by one thread at a time for writing (db_batch_*, compact);
 * db_store_query may be called from several threads at once on one handle
 * (the serve process's connection threads). Readers in other processes see a
 * committed batch after db_store_refresh.
 */
#ifndef DNSIFT_DB_STORE_H
#define DNSIFT_DB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_RRTYPE_ANY		255	/* every type */
#define DB_RRTYPE_ANY_DNSSEC	0xFFFFU	/* DS RRSIG NSEC DNSKEY NSEC3 NSEC3PARAM DLV CDS CDNSKEY TA */

/* ---- records in ---------------------------------------------------------------- */

/* One COF record, as ingest decoded it from a segment line. Strings are not owned. */
struct db_record {
	const char *rrname;		/* presentation, lowercase, absolute */
	uint16_t rrtype;
	uint16_t rrclass;		/* 1 = IN (COF leaves rrclass out for IN) */
	const char *bailiwick;		/* NULL or "" when the record has none */
	const char *const *rdata;	/* rdata_count presentation strings */
	unsigned int rdata_count;
	uint64_t time_first;
	uint64_t time_last;
	uint64_t count;
};

/* What a segment contributes to the per-sensor book; committed with its records. */
struct db_segment_meta {
	const char *sensor_id;
	uint64_t seq;
	uint64_t open_time;
	uint64_t close_time;
	uint64_t records;
	uint64_t count_sum;
	bool recovered;
	const char *drops_json;	/* the tail's "drops" object as JSON text, or NULL */
	uint64_t ingest_time;	/* when ingest took it (Unix seconds) */
	uint64_t duplicates;	/* db_store_segments: times it was offered again (see
				 * db_batch_add_duplicate); ignored by db_batch_add_segment */
};

/* ---- queries ------------------------------------------------------------------- */

enum db_query_kind {
	DB_QUERY_RRSET_NAME,	/* RRsets owned by name */
	DB_QUERY_RDATA_NAME,	/* rdata that holds name (NS, CNAME, MX, ...) */
	DB_QUERY_RDATA_IP,	/* A / AAAA rdata inside [ip_lo, ip_hi] */
	DB_QUERY_RDATA_RAW,	/* rdata equal to one presentation string of rrtype */
};

enum db_wildcard {
	DB_WILDCARD_NONE,	/* exactly name */
	DB_WILDCARD_LEFT,	/* "*.name": names strictly below name (not name itself) */
	DB_WILDCARD_RIGHT,	/* "name.*": names whose leading labels are name's */
};

struct db_query {
	enum db_query_kind kind;
	/* RRSET_NAME / RDATA_NAME: presentation, lowercase, absolute; for
	 * DB_WILDCARD_RIGHT the labels before the "*" with a trailing dot ("www.example.") */
	const char *name;
	enum db_wildcard wildcard;
	/* RDATA_IP: family AF_INET (4 bytes used) or AF_INET6; inclusive range */
	int ip_family;
	uint8_t ip_lo[16];
	uint8_t ip_hi[16];
	/* RDATA_RAW: presentation rdata of rrtype (rrtype must not be ANY) */
	const char *rdata;
	/* filters */
	uint32_t rrtype;		/* 0 or DB_RRTYPE_ANY: all; DB_RRTYPE_ANY_DNSSEC; else one type */
	const char *bailiwick;		/* RRSET_NAME only; NULL = any */
	/* time fences, Unix seconds; 0 = no fence. A result passes when all set fences hold:
	 * time_first <  time_first_before, time_first > time_first_after,
	 * time_last  <  time_last_before,  time_last  > time_last_after  (DNSDB semantics) */
	uint64_t time_first_before, time_first_after;
	uint64_t time_last_before, time_last_after;
	bool aggregate;			/* true: merged over all files (DNSDB aggr=true) */
	uint64_t offset;		/* results skipped (after filtering) */
	uint64_t limit;			/* results delivered at most; 0 = no limit */
};

/* One result. rdata lookups give rdata_count == 1 and bailiwick NULL. Valid only
 * during the callback. */
struct db_result {
	const char *rrname;
	uint16_t rrtype;
	uint16_t rrclass;
	const char *bailiwick;
	const char *const *rdata;
	unsigned int rdata_count;
	uint64_t time_first;
	uint64_t time_last;
	uint64_t count;
};

/* Return 0 to go on, non-zero to stop (the query then returns DB_QUERY_STOPPED). */
typedef int (*db_result_fn)(void *arg, const struct db_result *r);

enum db_query_status {
	DB_QUERY_COMPLETE = 0,	/* every matching result was delivered */
	DB_QUERY_LIMITED = 1,	/* limit reached with more results left */
	DB_QUERY_STOPPED = 2,	/* the callback asked to stop */
};

/* ---- the store ----------------------------------------------------------------- */

struct db_store_params {
	const char *dir;		/* database directory; created when writable */
	bool writable;			/* ingest/compact: true; serve/stats: false */
	uint64_t batch_max_entries;	/* close a batch at this many entries; 0 = default */
	uint64_t memory_bytes;		/* sort memory of a batch; 0 = default */
	bool background_compaction;	/* tiered compaction in the committer thread after
					 * each db_batch_commit_async */
};

struct db_store;

/* Open (and for a writable store, recover: see store_mtbl.c). NULL with errno. */
struct db_store *db_store_open(const struct db_store_params *p);
void db_store_close(struct db_store *s);

/* Pick up files committed by another process since open or the last refresh.
 * 0 or negative -DNSIFT_E... . Any thread; queries in flight keep their view. */
int db_store_refresh(struct db_store *s);

/* Run a query. Returns enum db_query_status (>= 0) or a negative -DNSIFT_E... error
 * (-DNSIFT_EINVAL for a query the store cannot answer, e.g. RAW without rrtype). */
int db_store_query(struct db_store *s, const struct db_query *q, db_result_fn fn, void *arg);

/* Has a committed batch taken segment (sensor_id, seq)? Writer thread. */
bool db_store_has_segment(struct db_store *s, const char *sensor_id, uint64_t seq);

/* ---- writing: batches, committed atomically with their segment book ------------- */

struct db_batch;

/* A new empty batch. NULL with errno. Writer thread; one open batch at a time. */
struct db_batch *db_batch_begin(struct db_store *s);
/* Add one record (all its index entries). 0 or -DNSIFT_E... (bad name, bad rdata). */
int db_batch_add(struct db_batch *b, const struct db_record *r);
/* Note that this batch holds segment m; committed together with the records. */
int db_batch_add_segment(struct db_batch *b, const struct db_segment_meta *m);
/* Where a batch stands, so ingest can drop the records of a segment that turns out
 * to be bad after some of its lines were added (verification runs as it reads). */
struct db_batch_mark {
	uint64_t entries, chunks, used, segments;
};
void db_batch_mark(const struct db_batch *b, struct db_batch_mark *m);
/* Forget everything added after m was taken. */
void db_batch_rollback(struct db_batch *b, const struct db_batch_mark *m);
/* Count that segment (sensor_id, seq), already committed, was offered again; the
 * count is committed with the batch and summed into db_segment_meta.duplicates. */
int db_batch_add_duplicate(struct db_batch *b, const char *sensor_id, uint64_t seq);
/* Entries held so far (to close batches on size). */
uint64_t db_batch_entries(const struct db_batch *b);
/* True once the batch holds batch_max_entries entries or memory_bytes of memory
 * (db_store_params): the writer should commit at its next segment boundary. */
bool db_batch_full(const struct db_batch *b);
/* Write, fsync, rename, publish; then free b. After 0 the batch survives kill -9.
 * On error nothing of the batch is visible, and b is freed. */
int db_batch_commit(struct db_batch *b);
/* Drop an uncommitted batch. */
void db_batch_abort(struct db_batch *b);

/*
 * Commit in the store's committer thread, so the writer can fill the next batch
 * meanwhile (ingest uses both cores this way). At most one batch is in flight: this
 * first waits for the previous one and returns its error, if any (b is then dropped).
 * b is durable only once db_store_sync returned 0 after this call. Writer thread.
 */
int db_batch_commit_async(struct db_batch *b);
/* Wait for the batch in flight (if any); 0 or its commit error. Writer thread. */
int db_store_sync(struct db_store *s);

/* Merge files into larger tiers (a full merge when full is true). Writer thread.
 * Crash-safe: a kill -9 at any point neither loses nor doubles an entry. */
int db_store_compact(struct db_store *s, bool full);

/* ---- statistics ---------------------------------------------------------------- */

struct db_store_stats {
	uint64_t files;
	uint64_t bytes;			/* on disk, data files */
	uint64_t entries;		/* entries summed over files (before merging) */
	uint64_t rrset_entries;
	uint64_t rdata_entries;
	uint64_t segments;		/* segments committed */
};

int db_store_stats(struct db_store *s, struct db_store_stats *out);

/* Each sensor's committed segments, in (sensor_id, seq) order. Return non-zero to stop. */
typedef int (*db_segment_fn)(void *arg, const struct db_segment_meta *m);
int db_store_segments(struct db_store *s, db_segment_fn fn, void *arg);

#endif
