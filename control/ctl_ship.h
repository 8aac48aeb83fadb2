/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spool keeper and shipper of the control process.
 *
 * Watches SPOOL/ready/ (inotify plus a periodic rescan), PUTs every segment to
 * every collector with the libcurl multi interface (driven from the control
 * process's single poll loop, so uploads never block the CLI), records each
 * delivery durably as a marker file SPOOL/ship-state/NAME.<collector-hash>.done,
 * and removes a segment from ready/ (deleted, or moved to sent/) only once every
 * collector has it. A marker NAME.<hash>.inflight, written before each upload
 * and removed after it, tells a restarted process that an upload was cut short:
 * the next PUT of that segment is counted as a re-send.
 *
 * Each collector has its own queue position, backoff and counters, so one dead
 * collector never holds up the others. Uploads go one at a time per collector in
 * sequence order. When ready/ plus sent/ exceed spool_quota, the oldest segments
 * (sent/ first, since those are delivered) are discarded, counted and logged.
 *
 * Threads: everything here runs on the control process's main thread.
 */
#ifndef DNSIFT_CTL_SHIP_H
#define DNSIFT_CTL_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/conf.h"
#include "control/ctl_report.h"

struct ship;

struct ship_params {
	const struct dnsift_conf *conf;	/* must outlive the ship object */
	unsigned int rescan_interval_ms;	/* periodic rescan backing up inotify */
	unsigned int low_speed_time_s;		/* abort uploads under 1 KiB/s this long */
};

/* Create spool subdirectories, scan, start watching. NULL with errno on failure. */
struct ship *ship_create(const struct ship_params *params);
/* Aborts uploads in flight (their inflight markers stay, so a restart counts a re-send). */
void ship_free(struct ship *ship);

/*
 * Wait up to timeout_ms for curl sockets, the inotify descriptor or the caller's
 * extra descriptors (revents filled in), then run transfers, handle completions,
 * rescans and retries. The wait is cut short by the next retry or rescan due.
 * Returns 0 or a negative dnsift error if curl itself failed.
 */
int ship_poll(struct ship *ship, struct curl_waitfd *extra, unsigned int extra_count,
	      int timeout_ms);

/* Rescan ready/ and sent/ now (after SIGHUP, or on an operator's request). */
void ship_rescan(struct ship *ship);

/* True when name looks like SENSORID.SEQ(12 digits).YYYYMMDDTHHMMSSZ.ndjson.lz4. */
bool ship_segment_name_valid(const char *name, uint64_t *seq);

/* Counters ("control.*"), per-collector state ("collector.N.*"), spool figures ("spool.*"). */
void ship_report_counters(const struct ship *ship, struct ctl_report *r);
void ship_report_collectors(const struct ship *ship, struct ctl_report *r);
void ship_report_spool(const struct ship *ship, struct ctl_report *r);

#endif
