/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments: the files the sensor spools and the control process ships.
 *
 * A segment is a head skippable frame (JSON metadata), ONE standard LZ4 frame
 * of COF NDJSON records, and a tail skippable frame (JSON counts and drop
 * counters), so `lz4cat seg | jq .` works with stock tools. The exact layout
 * is in docs/segment-format.md.
 *
 * Thread rules of the writer, in one place:
 *   - create / start / stop / free: one owner thread (the sensor's main thread).
 *   - seg_writer_submit: ONE producer thread at a time (the dedup housekeeper).
 *     It never blocks, never allocates and never does a syscall.
 *   - seg_writer_rotate_request, seg_writer_stats: any thread, any time between
 *     create and free.
 *   - seg_writer_run_once: only when the writer thread is NOT started (tests,
 *     single-threaded tools), from the owner thread.
 *   - the drops and now callbacks run on the writer thread (or the run_once caller).
 *
 * Reader and recovery functions are plain functions: any thread, no globals.
 */
#ifndef DNSIFT_SEG_H
#define DNSIFT_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SEG_FORMAT_VERSION	1
#define SEG_HEAD_MAGIC		0x184D2A5DU	/* LZ4 skippable frame, nibble D = head */
#define SEG_TAIL_MAGIC		0x184D2A5EU	/* LZ4 skippable frame, nibble E = tail */
#define SEG_META_MAX		8192		/* max JSON text in a head or tail frame */
#define SEG_SENSOR_ID_MAX	64
#define SEG_HOSTNAME_MAX	255
#define SEG_LINE_MAX		(1U << 20)	/* longest record line a reader accepts */
#define SEG_DROPS_MAX		64		/* drop counters stored per segment */
/* "<id>.<seq:12+>.<YYYYMMDDTHHMMSSZ>.ndjson.lz4.part" fits easily */
#define SEG_NAME_MAX		160

/* ---- names ---------------------------------------------------------------------------- */

/* 1 if id is 1..64 chars of [A-Za-z0-9._-], else 0. */
int seg_sensor_id_valid(const char *id);

/*
 * "SENSORID.SEQ.OPENTIME.ndjson.lz4": SEQ as %012 PRIu64, OPENTIME as UTC
 * YYYYMMDDTHHMMSSZ, so names of one sensor sort by sequence and time.
 * Returns the length, -DNSIFT_EINVAL (bad id) or -DNSIFT_ENOSPACE.
 */
int seg_name_format(char *out, size_t size, const char *sensor_id, uint64_t seq,
		    uint64_t open_time);

/*
 * Parse a segment file name (a trailing ".part" is accepted). sensor_id gets
 * SEG_SENSOR_ID_MAX + 1 bytes. Returns 0 or -DNSIFT_EFORMAT.
 */
int seg_name_parse(const char *name, char *sensor_id, uint64_t *seq, uint64_t *open_time);

/* ---- writer --------------------------------------------------------------------------- */

struct seg_counter {
	const char *name;	/* copied (JSON-escaped) before the callback's caller returns */
	uint64_t value;
};

/*
 * Drop counters of the period that just ended: fill up to max entries and
 * return how many. Called exactly once per closed segment, on the writer
 * thread, so "since the previous call" is the period.
 */
typedef unsigned (*seg_drops_fn)(void *arg, struct seg_counter *out, unsigned max);

/* Wall clock in milliseconds since the Unix epoch (tests pass a fake one). */
typedef uint64_t (*seg_now_fn)(void *arg);

struct seg_writer_params {
	const char *spool_dir;		/* created if missing, with .open/ and ready/ */
	const char *sensor_id;		/* [A-Za-z0-9._-]{1,64} */
	const char *hostname;		/* NULL = gethostname() */
	uint64_t max_bytes;		/* rotate at this compressed size; 0 = 64 MiB */
	uint32_t max_age_s;		/* rotate at this age; 0 = 60 s */
	uint32_t flush_interval_ms;	/* LZ4F_flush + write at least this often; 0 = 1000 */
	size_t queue_bytes;		/* handoff ring, rounded up to a power of 2; 0 = 8 MiB */
	uint32_t retry_interval_ms;	/* retry after ENOSPC / I/O errors; 0 = 1000 */
	uint32_t stop_timeout_ms;	/* stop gives up on a full disk after this; 0 = 30000 */
	int compression_level;		/* LZ4F level; 0 = fast (the default) */
	seg_drops_fn drops_fn;		/* may be NULL: "drops":{} */
	void *drops_arg;
	seg_now_fn now_fn;		/* NULL = CLOCK_REALTIME */
	void *now_arg;
};

struct seg_writer_stats {
	uint64_t submitted;		/* records accepted by seg_writer_submit */
	uint64_t queue_full;		/* submits refused with -DNSIFT_ELIMIT */
	uint64_t records;		/* records compressed into segments */
	uint64_t bytes_in;		/* NDJSON bytes compressed */
	uint64_t bytes_out;		/* file bytes written (all frames) */
	uint64_t segments;		/* segments closed into ready/ */
	uint64_t write_errors;		/* failed write/fsync/open/rename calls (any errno) */
	uint64_t enospc;		/* disk-full episodes (ENOSPC/EDQUOT) */
	uint64_t recovered;		/* .part files turned into ready/ segments at create */
	uint64_t recovered_records;
	uint64_t abandoned;		/* records not closed when stop timed out (flushed ones come
					 * back by recovery of the .part at the next create) */
	uint64_t seq;			/* sequence of the open segment (or the next one) */
	uint64_t last_closed_seq;	/* 0 = none closed yet by this writer */
	uint64_t queue_used;		/* bytes in the handoff ring */
	bool disk_full;			/* in a disk-full / I/O error episode now */
};

struct seg_writer;

/*
 * Validate params, create the spool folders, recover leftover .part files in .open/
 * into ready/ (marked recovered), load the sequence from spool/.seq.
 * Returns NULL with errno set (EINVAL, ENOMEM, or the failing syscall's errno).
 * Owner thread.
 */
struct seg_writer *seg_writer_create(const struct seg_writer_params *params);

/* Start the writer thread. 0 or -DNSIFT_EINVAL (already started) / -DNSIFT_ENOMEM. Owner. */
int seg_writer_start(struct seg_writer *w);

/*
 * Queue one record line (a COF NDJSON object; a final '\n' is added when
 * missing; no other '\n' allowed) with its count for the tail's count_sum.
 * Never blocks: -DNSIFT_ELIMIT when the ring is full (counted; keep the record
 * and retry later), -DNSIFT_EINVAL for an empty/multi-line/oversized line or
 * after stop. The single producer thread only.
 */
int seg_writer_submit(struct seg_writer *w, const char *line, size_t len, uint64_t count);

/*
 * Ask the writer to close the open segment. Returns the sequence number of
 * the segment open now; the request is served once stats.last_closed_seq
 * reaches it. Any thread.
 */
uint64_t seg_writer_rotate_request(struct seg_writer *w);

/*
 * Do one round of writer work (consume, flush, rotate, retry) in the calling
 * thread. Returns > 0 if something was done, 0 if idle. Only without start().
 */
int seg_writer_run_once(struct seg_writer *w);

/*
 * Drain the ring, close the open segment into ready/, join the thread (works
 * without start() too). 0, or -DNSIFT_EIO when stop_timeout_ms passed with
 * the spool still failing (the .part stays for recovery; stats.abandoned says
 * what was lost). The producer must have stopped submitting. Owner thread.
 */
int seg_writer_stop(struct seg_writer *w);

/* Stop if needed, then free. NULL is fine. Owner thread. */
void seg_writer_free(struct seg_writer *w);

/* Snapshot of the counters (each read atomically; not one consistent cut). Any thread. */
void seg_writer_stats(const struct seg_writer *w, struct seg_writer_stats *out);

/* ---- reader --------------------------------------------------------------------------- */

struct seg_info {
	/* head */
	uint32_t version;
	char sensor_id[SEG_SENSOR_ID_MAX + 1];
	uint64_t seq;
	uint64_t open_time;
	char hostname[SEG_HOSTNAME_MAX + 1];
	/* tail (has_tail false: none read) */
	bool has_tail;
	uint64_t close_time;
	uint64_t records;
	uint64_t count_sum;
	bool recovered;
	/* what the reader counted itself */
	uint64_t lines;
	uint64_t lines_count_sum;
	uint64_t content_bytes;
	uint64_t file_bytes;
	/* the JSON texts as stored, NUL-terminated ("" when absent) */
	char head_json[SEG_META_MAX + 1];
	char tail_json[SEG_META_MAX + 1];
};

struct seg_error {
	int code;		/* 0 or -DNSIFT_ESEG_... (or -DNSIFT_EIO / ENOMEM) */
	uint64_t offset;	/* file offset of the frame/block at fault */
	uint64_t record;	/* 1-based record number for SEG_RECORD, else 0 */
	char msg[256];		/* "what, where": ready to print */
};

/* Called per record line (len includes the '\n'); return non-zero to stop reading. */
typedef int (*seg_record_fn)(void *arg, const char *line, size_t len);

/*
 * Read and fully verify a segment: head, LZ4 frame with block and content
 * checksums, one JSON object per line, tail counts against the lines, nothing
 * after the tail. fn (may be NULL) sees each line as it is decoded, i.e.
 * possibly before a later error is found. info and err may be NULL.
 * Returns 0 or the negative code also stored in err->code.
 */
int seg_read_file(const char *path, seg_record_fn fn, void *arg, struct seg_info *info,
		  struct seg_error *err);

/* seg_read_file without a callback. */
int seg_verify_file(const char *path, struct seg_info *info, struct seg_error *err);

/* seg_read_file writing each record to out (what `dnsift-seg cat` does). */
int seg_cat_file(const char *path, FILE *out, struct seg_info *info, struct seg_error *err);

/*
 * {"file":...,"valid":true|false,"error":...,"head":{...},"tail":{...},"file_bytes":N,
 *  "content_bytes":N,"lines":N,"lines_count_sum":N} into out. err may be NULL.
 * Returns the length or -DNSIFT_ENOSPACE.
 */
int seg_info_json(const struct seg_info *info, const struct seg_error *err, const char *path,
		  char *out, size_t size);

struct seg_recover_result {
	bool complete;		/* the part was a whole valid segment; copied unchanged */
	uint64_t records;	/* lines kept */
	uint64_t count_sum;
	uint64_t bad_lines;	/* complete lines that were not JSON objects: dropped */
	uint64_t part_bytes;
	int stop_code;		/* why decoding stopped (e.g. -DNSIFT_ESEG_TRUNCATED) */
	uint64_t stop_offset;
};

/*
 * Turn a (possibly truncated) .part into a valid segment at out_path
 * (written as out_path.tmp, fsynced, renamed). Keeps every complete line from
 * complete, checksum-verified blocks; the tail says "recovered":true. Head
 * values come from the part's head, or from its file name when the head is
 * unreadable. The part is not touched. 0 or negative (-DNSIFT_EFORMAT when
 * neither head nor name identify the segment; I/O errors as -DNSIFT_EIO with
 * errno kept). Any thread.
 */
int seg_recover_file(const char *part_path, const char *out_path,
		     struct seg_recover_result *res);

#endif
