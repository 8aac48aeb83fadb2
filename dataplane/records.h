/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record path of the sensor: the dedup table, its housekeeping (expiry in
 * bounded slices on the main lcore), COF rendering of each emitted entry, and
 * the segment writer thread that spools them.
 *
 * records_setup/shutdown/free and records_housekeeping: the main lcore only.
 * records_request_flush/rotate and the counters: any thread (telemetry).
 */
#ifndef DNSIFT_DP_RECORDS_H
#define DNSIFT_DP_RECORDS_H

#include <stdint.h>

struct sensor;

int records_setup(struct sensor *s);
/* Expire what is due at now_ns (and serve a pending flush). Returns entries emitted. */
unsigned int records_housekeeping(uint64_t now_ns, unsigned int budget);
/* Flush every live entry into records, drain and stop the writer. */
void records_shutdown(void);
void records_free(void);

/* Ask the housekeeping thread to flush all live entries; returns a ticket that
 * records_flush_done() reports as served. Any thread. */
uint64_t records_request_flush(void);
uint64_t records_flushes_done(void);

void records_foreach_counter(void (*fn)(void *arg, const char *name, uint64_t value),
			     void *arg);

#endif
