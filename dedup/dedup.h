/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dedup: the window table that suppresses repeated RRsets.
 *
 * One table is shared by every dataplane worker. A key is opaque bytes with a
 * precomputed 64-bit hash (in practice the canonical RRset key of wire/rrkey.h,
 * but this module knows nothing of DNS). The first sight of a key opens a window
 * of W seconds; repeats inside it only bump count and time_last. When the window
 * ends, the housekeeping thread hands the entry to the caller's emit callback as
 * one record and reclaims its memory after an RCU grace period.
 *
 * Threads:
 *  - workers (index 0 .. params.workers-1, one thread per index) call
 *    dedup_observe() and must be registered QSBR readers (dedup_thread_register)
 *    that call dedup_quiescent() from their poll loop and dedup_thread_offline()
 *    when they sleep: memory is only reclaimed once every online worker passed a
 *    quiescent state.
 *  - exactly one housekeeping thread (registered too) calls dedup_expire() and
 *    dedup_flush_all(); the emit callback runs on it.
 *  - dedup_set_window(), dedup_window() and dedup_stats() may be called by any thread.
 *
 * Conservation: the sum of count over all emitted records equals the number of
 * observations dedup_observe() accepted (every return value >= 0), once the
 * table has been flushed; no entry is emitted twice.
 *
 * Memory is reserved at create time (params.max_entries, params.max_bytes); the
 * hot path never allocates. When memory runs low the housekeeper flushes the
 * oldest entries early; a worker that still finds none hands the observation to
 * a per-worker overflow ring, emitted as a count-1 record.
 */
#ifndef DNSIFT_DEDUP_H
#define DNSIFT_DEDUP_H

#include <stddef.h>
#include <stdint.h>

/* Largest key accepted: the largest canonical RRset key (RRKEY_MAX_LEN). */
#define DEDUP_MAX_KEY_LEN (256u * 1024u)
/* Most worker threads one table serves. */
#define DEDUP_MAX_WORKERS 128

/*
 * dedup's own error codes, returned negated (-DEDUP_E...) like the rest of the
 * project's. They are dedup's so that the bottom module depends on nothing of the
 * wire library; callers that count or print them use dedup_strerror().
 */
enum dedup_err {
	DEDUP_OK = 0,
	DEDUP_EINVAL,		/* bad argument: key length, worker index, window 0 */
	DEDUP_ELIMIT,		/* no table memory and the overflow ring full */
	DEDUP_EBUSY,		/* the emit callback refused a record: retry later */
	DEDUP_E_COUNT
};

/* Human text of a code, either sign; "unknown error" outside the enum. Any thread. */
const char *dedup_strerror(int err);

/* What dedup_observe() did with an observation (all are accepted observations). */
enum dedup_outcome {
	DEDUP_HIT = 0,		/* counted in the live entry of this key */
	DEDUP_NEW = 1,		/* opened a new window */
	DEDUP_OVERFLOW = 2,	/* no memory: queued as a count-1 overflow record */
};

/* Why a record was emitted. */
enum dedup_reason {
	DEDUP_REASON_EXPIRED = 0,	/* window of W seconds ended */
	DEDUP_REASON_EARLY_FLUSH,	/* flushed early to make room (memory pressure) */
	DEDUP_REASON_FLUSH,		/* dedup_flush_all() */
	/*
	 * One observation that found no memory: count 1, time_first == time_last.
	 * It is a window of its own and may overlap a table window of the same key.
	 */
	DEDUP_REASON_OVERFLOW,
	/*
	 * params.first_sight: a window opened. count 0 (the observation that opened
	 * it is counted in the window's own record), time_first == time_last; it
	 * always comes before that window's record.
	 */
	DEDUP_REASON_FIRST_SIGHT,
	DEDUP_REASON_COUNT
};

/* Name of a reason for logs and COF ("expired", "early_flush", ...). Any thread. */
const char *dedup_reason_name(enum dedup_reason reason);

struct dedup_record {
	const uint8_t *key;	/* valid only during the callback */
	uint32_t key_len;
	uint64_t hash;
	uint64_t time_first;	/* seconds, as passed to dedup_observe() */
	uint64_t time_last;
	uint64_t count;		/* observations in this window; 0 for first-sight records */
	enum dedup_reason reason;
};

/*
 * Emit callback, housekeeping thread. Return 0 when the record was taken, non-zero
 * when the consumer cannot take it now (writer queue full): the entry stays
 * closed in the table and is offered again, unchanged, on a later pass.
 */
typedef int (*dedup_emit_fn)(const struct dedup_record *rec, void *arg);

struct dedup_params {
	unsigned workers;		/* worker threads, 1..DEDUP_MAX_WORKERS */
	uint32_t window_sec;		/* W; 0 = 300 */
	uint64_t max_entries;		/* entries reserved; 0 = 1 << 20 */
	uint64_t max_bytes;		/* bytes for entries + keys; 0 = 256 * max_entries */
	uint32_t overflow_bytes;	/* per-worker overflow ring; 0 = 1 MiB */
	unsigned reserve_percent;	/* early-flush below this much free memory; 0 = 10 */
	int first_sight;		/* also emit a count-0 record when a window opens */
	dedup_emit_fn emit;		/* required */
	void *emit_arg;
};

struct dedup;

/*
 * Reserve all memory and build the table. Returns NULL with errno set (EINVAL,
 * ENOMEM). Any thread; the caller need not be registered.
 */
struct dedup *dedup_create(const struct dedup_params *params);

/*
 * Release everything. Entries still in the table are discarded without a record:
 * call dedup_flush_all() first. Workers must have stopped observing. Called by
 * the housekeeping thread or any other (registered or not) after the workers.
 */
void dedup_free(struct dedup *d);

/*
 * Count one observation of key (key_len bytes, hash precomputed by the caller)
 * seen at now_sec by worker worker_index. The window of an entry is
 * [time_first, time_first + W): an observation at or after its end closes the
 * entry and opens a new window even before the housekeeper gets to it. Each
 * worker must pass non-decreasing now_sec (its entries are expired in the order
 * it inserted them; a clock step back only delays their expiry). Returns a dedup_outcome (>= 0, the
 * observation is accepted and will be counted in exactly one record), or
 * -DEDUP_EINVAL (bad length or worker index) or -DEDUP_ELIMIT (no table memory
 * and the overflow ring full: not accepted, counted as rejected).
 * No allocation, syscall or blocking lock. Worker thread worker_index only,
 * registered and online.
 */
int dedup_observe(struct dedup *d, unsigned worker_index, const void *key, uint32_t key_len,
		  uint64_t hash, uint64_t now_sec);

/*
 * Emit every record that is due at now_sec, examining at most budget entries
 * (so one call never stalls), and flush the oldest entries early when free
 * memory is below the reserve. If it removed entries, it then waits for one
 * grace period (online workers each passing dedup_quiescent() once; offline
 * ones are not waited for) and returns their memory to the pool. Announces a
 * quiescent state for the calling thread on entry. Returns the number of
 * records emitted (>= 0). Housekeeping thread only, registered and online.
 */
int dedup_expire(struct dedup *d, uint64_t now_sec, unsigned budget);

/*
 * Emit every entry live at the time of the call (reason flush) plus pending
 * overflow and first-sight records; workers may keep running. Returns the
 * number of records emitted, or -DEDUP_EBUSY when the callback refused one
 * (call again later; nothing is lost). Housekeeping thread only, registered
 * and online.
 */
int dedup_flush_all(struct dedup *d);

/*
 * Set / read W in seconds (>= 1; 0 is -DEDUP_EINVAL); applies to open windows
 * too. Any thread.
 */
int dedup_set_window(struct dedup *d, uint32_t window_sec);
uint32_t dedup_window(const struct dedup *d);

struct dedup_worker_stats {
	uint64_t observations;	/* accepted: hits + inserts + overflow */
	uint64_t hits;
	uint64_t inserts;
	uint64_t overflow;	/* observations queued to the overflow ring */
	uint64_t rejected;	/* overflow ring full too: not accepted */
	uint64_t lost_races;	/* first sights that another worker won (counted as hits) */
	uint64_t window_closes;	/* entries this worker found past their window */
};

struct dedup_stats {
	uint64_t live_entries;	/* inserted and not yet emitted */
	uint64_t entries_reserved; /* entries out of the pool (live + cached + awaiting reclaim) */
	uint64_t bytes_in_use;	/* pool bytes out of the allocator (same scope) */
	uint64_t bytes_capacity;
	uint64_t buckets;	/* hash buckets, pre-sized from max_entries: no resizes */
	uint64_t observations;	/* sums of the worker counters */
	uint64_t hits;
	uint64_t inserts;
	uint64_t overflow;
	uint64_t rejected;
	uint64_t records;	/* every record emitted, all reasons */
	uint64_t count_emitted;	/* sum of count over emitted records */
	uint64_t expired;
	uint64_t early_flushes;
	uint64_t flushes;
	uint64_t overflow_records;
	uint64_t first_sight_records;
	uint64_t emit_refusals;
	uint64_t reclaimed;	/* entries returned to the pool after a grace period */
	unsigned workers;
	struct dedup_worker_stats worker[DEDUP_MAX_WORKERS];
};

/*
 * Snapshot of the counters, summed from per-writer counters (each value is
 * exact, the set is not one atomic instant). Any thread.
 */
void dedup_stats(const struct dedup *d, struct dedup_stats *out);

/*
 * QSBR reader state of the calling thread, so that callers need not know the
 * RCU flavour. A worker registers once, calls dedup_quiescent() every poll loop
 * (it holds no table pointer across it), goes offline before sleeping and online
 * after. dedup_quiescent() on an offline or unregistered thread does nothing (it
 * does not bring the thread back online). Any thread, for itself.
 */
void dedup_thread_register(void);
void dedup_thread_unregister(void);
void dedup_thread_online(void);
void dedup_thread_offline(void);
void dedup_quiescent(void);

#endif
