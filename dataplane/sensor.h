/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sensor process's shared state: what the main lcore sets up, the
 * workers run with, and the telemetry handlers read.
 */
#ifndef DNSIFT_DP_SENSOR_H
#define DNSIFT_DP_SENSOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "common/conf.h"
#include "dataplane/pipeline.h"
#include "dataplane/port.h"

#define SENSOR_MAX_PORTS 16
#define SENSOR_MAX_WORKERS 64

struct rte_ip_frag_tbl;
struct seg_writer;

struct worker {
	struct pipeline *pipe;
	struct rte_ip_frag_tbl *frag_tbl;
	uint16_t port_index;		/* into sensor.ports */
	uint16_t queue;
	unsigned int lcore;
	/* Written by the worker, read by the main lcore and telemetry. */
	_Atomic uint64_t clock_ns;	/* time of the newest packet (offline) or now */
	_Atomic bool idle;		/* the last poll found nothing */
	_Atomic bool exited;		/* worker_main returned (set by the worker) */
	void *scratch;			/* frame linearisation buffer, allocated at setup */
} __rte_cache_aligned;

struct sensor {
	struct dnsift_conf conf;
	struct dp_port ports[SENSOR_MAX_PORTS];
	unsigned int nb_ports;
	struct worker workers[SENSOR_MAX_WORKERS];
	unsigned int nb_workers;
	struct upstream *upstream;
	struct deleg *deleg;		/* the delegation table, shared by the workers */
	struct dedup *dedup;
	struct seg_writer *writer;
	bool offline;			/* every port is a net_pcap file: stop at its end */
	bool print_records;		/* also write records to stdout */
	uint64_t start_ns;		/* wall clock at start */
	uint64_t tsc_hz;
	uint64_t tsc_base;
	uint64_t wall_base_ns;
	volatile bool stop;		/* set by signals or end of input */
};

extern struct sensor sensor;

/* Wall-clock now in ns from the TSC (no syscall). Any thread. */
static inline uint64_t sensor_now_ns(uint64_t tsc)
{
	uint64_t d = tsc - sensor.tsc_base;
	return sensor.wall_base_ns + d / sensor.tsc_hz * 1000000000ull +
	       (d % sensor.tsc_hz) * 1000000000ull / sensor.tsc_hz;
}

/* worker.c: the lcore entry point; arg is the struct worker. Returns 0 after a stop,
 * negative when it could not start (it then sets exited and never polls). */
int worker_main(void *arg);
/* worker.c: a worker's scratch buffer on a NUMA socket (rte_free it). Main lcore. */
void *worker_scratch_alloc(int socket);

/* telemetry.c: register the /dnsift/ commands. Main lcore, after setup. */
int telemetry_register(void);
/* Wait for running handlers, then answer every later request with an error; call
 * before freeing anything a handler reads. Main lcore, once. */
void telemetry_close(void);

/* Totals over all workers. Any thread. */
void sensor_sum_stats(struct dp_stats *out);

#endif
