/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shipper of the control process: the transport half (the spool half, what lies
 * in ready/ and sent/, delivery markers and quota, is ctl_spool.h).
 *
 * PUTs every segment of SPOOL/ready/ to every collector with the libcurl multi
 * interface (driven from the control process's single poll loop, so uploads
 * never block the CLI) and tells the spool what each collector stored; the spool
 * removes a segment once every collector has it. An upload cut short by a killed
 * process is counted as a re-send when it is repeated (the spool's inflight
 * marker says so).
 *
 * Each collector has its own queue position, backoff and counters, so one dead
 * collector never holds up the others. Uploads go one at a time per collector in
 * sequence order.
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

/* Create the spool (subdirectories, watch, scan) and the transfers. NULL with errno on failure. */
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

/* Counters ("control.*"), per-collector state ("collector.N.*"), spool figures ("spool.*"). */
void ship_report_counters(const struct ship *ship, struct ctl_report *r);
void ship_report_collectors(const struct ship *ship, struct ctl_report *r);
void ship_report_spool(const struct ship *ship, struct ctl_report *r);

#endif
