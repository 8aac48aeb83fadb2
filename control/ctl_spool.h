/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spool keeper of the control process: what lies in SPOOL/ready/ and sent/, who
 * has it, and the quota.
 *
 * Watches SPOOL/ready/ (inotify plus a periodic rescan) and keeps the segments
 * found there sorted by sequence. Deliveries are recorded durably as marker files
 * SPOOL/ship-state/NAME.<collector-hash>.done; a marker NAME.<hash>.inflight,
 * written before each upload and removed after it, tells a restarted process that
 * an upload was cut short. A segment leaves ready/ (deleted, or moved to sent/)
 * once every collector has it. When ready/ plus sent/ exceed spool_quota, the
 * oldest segments (sent/ first, since those are delivered) are discarded, counted
 * and logged.
 *
 * Collectors are named by their index in conf->collector (at most 32); the
 * transport (ctl_ship) says what was delivered, the spool does the files.
 *
 * Threads: everything here runs on the control process's main thread.
 */
#ifndef DNSIFT_CTL_SPOOL_H
#define DNSIFT_CTL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "control/ctl_report.h"

#define SPOOL_NAME_MAX 192

struct spool_segment {
	char name[SPOOL_NAME_MAX];
	uint64_t seq;
	uint64_t size;
	uint32_t delivered;	/* bit per collector */
	uint32_t seen_scan;	/* rescan generation that last saw the file */
};

/*
 * Called just before a segment of ready/ is forgotten without being delivered
 * (discarded for the quota, or removed from ready/ by someone else), so that the
 * transport can stop uploading it.
 */
typedef void (*spool_forget_fn)(void *arg, const char *name);

struct spool_params {
	const struct dnsift_conf *conf;		/* must outlive the spool object */
	unsigned int rescan_interval_ms;	/* periodic rescan backing up inotify */
	spool_forget_fn forget;			/* required */
	void *forget_arg;
};

/*
 * Create the spool subdirectories and start watching ready/ (no scan yet: call
 * spool_rescan() and spool_sweep_markers() once the transport is ready for
 * forget calls). NULL with errno on failure.
 */
struct spool *spool_create(const struct spool_params *params);
void spool_free(struct spool *spool);

/* Rescan ready/ and sent/ now, forget what vanished, apply the quota. */
void spool_rescan(struct spool *spool);
/* Remove markers of segments that are no longer in ready/ (finished while we were down). */
void spool_sweep_markers(struct spool *spool);
/* The inotify descriptor to poll for input, and what to do when it has some. */
int spool_event_fd(const struct spool *spool);
void spool_drain_events(struct spool *spool);
/* Monotonic time (ms) of the next periodic rescan. */
uint64_t spool_next_rescan_ms(const struct spool *spool);

/* Segments of ready/, in sequence order; pointers are valid until the next spool call. */
size_t spool_ready_count(const struct spool *spool);
const struct spool_segment *spool_ready_at(const struct spool *spool, size_t index);
struct spool_segment *spool_ready_lookup(struct spool *spool, const char *name);
const char *spool_ready_dir(const struct spool *spool);

/* Record durably that collector has seg (its done marker and bit). */
void spool_delivered(struct spool *spool, struct spool_segment *seg, unsigned int collector);
/* Take seg out of ready/ if every collector has it. seg is invalid afterwards. */
void spool_complete_if_delivered(struct spool *spool, struct spool_segment *seg);
/*
 * An upload of name to collector starts: true when an inflight marker was already
 * there (a killed process's upload, so this one is a re-send), else writes it.
 */
bool spool_inflight_begin(struct spool *spool, const char *name, unsigned int collector);
/* The upload ended with the collector storing the segment: drop its inflight marker. */
void spool_inflight_end(struct spool *spool, const char *name, unsigned int collector);

/* True when name looks like SENSORID.SEQ(12 digits).YYYYMMDDTHHMMSSZ.ndjson.lz4. */
bool spool_segment_name_valid(const char *name, uint64_t *seq);

struct spool_stats {
	uint64_t segments_seen, segments_completed, files_ignored, inotify_overflows;
	uint64_t ready_segments, ready_bytes, sent_segments, sent_bytes;
	uint64_t discarded_ready, discarded_ready_bytes, discarded_sent, discarded_sent_bytes;
	uint64_t fs_errors;
	unsigned int ignored_now;	/* files ready/ holds now that are not segments */
};

void spool_stats(const struct spool *spool, struct spool_stats *out);
/* Spool figures ("spool.*"). */
void spool_report(const struct spool *spool, struct ctl_report *r);

#endif
