/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dnsift/... commands on the DPDK telemetry socket: the control process's
 * (and dpdk-telemetry.py's) window into the sensor. Handlers run on DPDK's
 * telemetry thread; they read counters (summed at read time) and post
 * requests that the owning threads serve.
 *
 * Every handler runs behind one gate: DPDK 22.11 cannot unregister a command,
 * and its telemetry thread lives until the process exits, so teardown closes
 * the gate (telemetry_close) before it frees anything a handler reads. A
 * request after that gets {"error":"sensor shutting down"}.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dataplane/deleg.h"
#include "dataplane/records.h"
#include "dataplane/sensor.h"
#include "dataplane/upstream.h"
#include "dedup/dedup.h"
#include "segment/seg.h"

#define STATS_MAX 240

static pthread_rwlock_t gate = PTHREAD_RWLOCK_INITIALIZER;
static bool gate_closed;		/* under gate */
static atomic_bool gate_closing;	/* handlers waiting for other threads give up */

struct stat_acc {
	struct {
		char name[RTE_TEL_MAX_STRING_LEN];
		uint64_t value;
	} e[STATS_MAX];
	unsigned int n;
	unsigned int dropped;	/* names past STATS_MAX */
};

/* Add value under name, summing equal names (module counters of several workers). */
static void acc_add(void *arg, const char *name, uint64_t value)
{
	struct stat_acc *a = arg;

	for (unsigned int i = 0; i < a->n; i++) {
		if (strcmp(a->e[i].name, name) == 0) {
			a->e[i].value += value;
			return;
		}
	}
	if (a->n < STATS_MAX) {
		snprintf(a->e[a->n].name, sizeof(a->e[0].name), "%s", name);
		a->e[a->n++].value = value;
	} else {
		a->dropped++;
	}
}

/* A telemetry dict holds RTE_TEL_MAX_DICT_ENTRIES; what does not fit is said, not lost
 * silently: the last entry then counts the counters left out. */
static void acc_to_dict(const struct stat_acc *a, struct rte_tel_data *d)
{
	const unsigned int room = RTE_TEL_MAX_DICT_ENTRIES;
	unsigned int fit = a->n;

	if (fit > room || (a->dropped && fit == room))
		fit = room - 1;	/* keep one slot for counters_omitted */
	unsigned int omitted = a->dropped + (a->n - fit);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < fit; i++)
		rte_tel_data_add_dict_u64(d, a->e[i].name, a->e[i].value);
	if (omitted)
		rte_tel_data_add_dict_u64(d, "counters_omitted", omitted);
}

static void add_port_counters(struct stat_acc *a)
{
	for (unsigned int i = 0; i < sensor.nb_ports; i++) {
		struct dp_port_counters c;
		if (dp_port_counters(&sensor.ports[i], &c) != 0)
			continue;
		acc_add(a, "nic_ipackets", c.ipackets);
		acc_add(a, "nic_imissed", c.imissed);
		acc_add(a, "nic_ierrors", c.ierrors);
		acc_add(a, "nic_rx_nombuf", c.rx_nombuf);
	}
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stat_acc *a = calloc(1, sizeof(*a));
	struct dp_stats t;

	(void)cmd;
	(void)params;
	if (a == NULL)
		return -1;
	sensor_sum_stats(&t);
	dp_stats_foreach(&t, 0, acc_add, a);
	for (unsigned int i = 0; i < sensor.nb_workers; i++)
		pipeline_foreach_module_counter(sensor.workers[i].pipe, acc_add, a);
	records_foreach_counter(acc_add, a);
	deleg_foreach_counter(sensor.deleg, acc_add, a);
	add_port_counters(a);
	acc_to_dict(a, d);
	free(a);
	return 0;
}

static int cmd_worker_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long w;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -1;
	w = strtoul(params, &end, 10);
	if (*end != '\0' || w >= sensor.nb_workers)
		return -1;
	struct stat_acc *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -1;
	dp_stats_foreach(pipeline_stats(sensor.workers[w].pipe), 0, acc_add, a);
	pipeline_foreach_module_counter(sensor.workers[w].pipe, acc_add, a);
	acc_add(a, "lcore", sensor.workers[w].lcore);
	acc_add(a, "port", sensor.ports[sensor.workers[w].port_index].port_id);
	acc_add(a, "queue", sensor.workers[w].queue);
	acc_to_dict(a, d);
	free(a);
	return 0;
}

static int cmd_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t now = sensor_now_ns(rte_rdtsc());

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", DNSIFT_VERSION);
	rte_tel_data_add_dict_string(d, "sensor_id", sensor.conf.sensor_id);
	rte_tel_data_add_dict_u64(d, "uptime_s", (now - sensor.start_ns) / 1000000000ull);
	rte_tel_data_add_dict_u64(d, "pid", (uint64_t)getpid());
	rte_tel_data_add_dict_u64(d, "workers", sensor.nb_workers);
	rte_tel_data_add_dict_u64(d, "ports", sensor.nb_ports);
	for (unsigned int i = 0; i < sensor.nb_ports && i < 8; i++) {
		char k[32], v[RTE_TEL_MAX_STRING_LEN];
		snprintf(k, sizeof(k), "port%u", i);
		snprintf(v, sizeof(v), "%s %s queues=%u%s", sensor.ports[i].name,
			 sensor.ports[i].driver, sensor.ports[i].rx_queues,
			 sensor.ports[i].rss ? " rss" : "");
		rte_tel_data_add_dict_string(d, k, v);
	}
	rte_tel_data_add_dict_u64(d, "resolvers", upstream_prefix_count(sensor.upstream));
	rte_tel_data_add_dict_u64(d, "window", dedup_window(sensor.dedup));
	rte_tel_data_add_dict_string(d, "mode", sensor.offline ? "offline" : "live");
	rte_tel_data_add_dict_string(d, "spool_dir", sensor.conf.spool_dir);
	return 0;
}

static int cmd_rotate(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	uint64_t seq = seg_writer_rotate_request(sensor.writer);
	/* Wait (briefly; this is the telemetry thread) so the reply can say it happened. */
	struct seg_writer_stats ws;
	for (int i = 0; i < 2000 && !atomic_load(&gate_closing); i++) {
		seg_writer_stats(sensor.writer, &ws);
		if (ws.last_closed_seq >= seq)
			break;
		usleep(1000);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sequence", seq);
	rte_tel_data_add_dict_string(d, "state", ws.last_closed_seq >= seq ? "closed" : "pending");
	return 0;
}

static int cmd_flush(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	uint64_t ticket = records_request_flush();
	for (int i = 0; i < 5000 && records_flushes_done() < ticket &&
			!atomic_load(&gate_closing); i++)
		usleep(1000);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state",
				     records_flushes_done() >= ticket ? "flushed" : "pending");
	return 0;
}

static int cmd_window(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	rte_tel_data_start_dict(d);
	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long w = strtoul(params, &end, 10);
		if (*end != '\0' || w == 0 || w > 86400 * 7 ||
		    dedup_set_window(sensor.dedup, (uint32_t)w) != 0) {
			rte_tel_data_add_dict_string(d, "error",
						     "window must be 1..604800 seconds");
			return 0;
		}
	}
	rte_tel_data_add_dict_u64(d, "window", dedup_window(sensor.dedup));
	return 0;
}

static int cmd_resolvers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[CONF_MAX_RESOLVERS * (UPSTREAM_PREFIX_TEXT_MAX + 1) + 1];
	struct rte_tel_data *list = rte_tel_data_alloc();

	(void)cmd;
	(void)params;
	if (list == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	if (upstream_list(sensor.upstream, buf, sizeof(buf)) >= 0) {
		for (char *tok = strtok(buf, " \n,"); tok; tok = strtok(NULL, " \n,"))
			rte_tel_data_add_array_string(list, tok);
	}
	rte_tel_data_add_dict_u64(d, "count", upstream_prefix_count(sensor.upstream));
	rte_tel_data_add_dict_container(d, "list", list, 0);
	return 0;
}

static int resolver_change(const char *params, struct rte_tel_data *d, bool add)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	int r;

	rte_tel_data_start_dict(d);
	if (params == NULL || *params == '\0') {
		rte_tel_data_add_dict_string(d, "error", "a CIDR prefix is required");
		return 0;
	}
	r = add ? upstream_add(sensor.upstream, params) : upstream_del(sensor.upstream, params);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", params, dnsift_strerror(r));
		rte_tel_data_add_dict_string(d, "error", msg);
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s %s", add ? "added" : "deleted", params);
	rte_tel_data_add_dict_string(d, "ok", msg);
	rte_tel_data_add_dict_u64(d, "count", upstream_prefix_count(sensor.upstream));
	return 0;
}

static int cmd_resolver_add(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return resolver_change(params, d, true);
}

static int cmd_resolver_del(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return resolver_change(params, d, false);
}

static int cmd_segments(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct seg_writer_stats ws;

	(void)cmd;
	(void)params;
	seg_writer_stats(sensor.writer, &ws);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "submitted", ws.submitted);
	rte_tel_data_add_dict_u64(d, "queue_full", ws.queue_full);
	rte_tel_data_add_dict_u64(d, "records", ws.records);
	rte_tel_data_add_dict_u64(d, "bytes_in", ws.bytes_in);
	rte_tel_data_add_dict_u64(d, "bytes_out", ws.bytes_out);
	rte_tel_data_add_dict_u64(d, "segments", ws.segments);
	rte_tel_data_add_dict_u64(d, "write_errors", ws.write_errors);
	rte_tel_data_add_dict_u64(d, "enospc", ws.enospc);
	rte_tel_data_add_dict_u64(d, "recovered", ws.recovered);
	rte_tel_data_add_dict_u64(d, "seq", ws.seq);
	rte_tel_data_add_dict_u64(d, "last_closed_seq", ws.last_closed_seq);
	rte_tel_data_add_dict_u64(d, "queue_used", ws.queue_used);
	rte_tel_data_add_dict_string(d, "disk", ws.disk_full ? "full" : "ok");
	return 0;
}

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
} cmds[] = {
		{ "/dnsift/status", cmd_status, "Sensor identity, ports, workers, uptime." },
		{ "/dnsift/stats", cmd_stats, "Every counter, summed over workers." },
		{ "/dnsift/worker_stats", cmd_worker_stats, "Counters of one worker. Param: N" },
		{ "/dnsift/rotate", cmd_rotate, "Close the open segment into ready/." },
		{ "/dnsift/flush", cmd_flush, "Turn every live dedup entry into a record now." },
		{ "/dnsift/window", cmd_window, "Get or set the dedup window. Param: seconds" },
		{ "/dnsift/resolvers", cmd_resolvers, "List the resolver prefixes." },
		{ "/dnsift/resolver_add", cmd_resolver_add, "Add a resolver prefix. Param: CIDR" },
		{ "/dnsift/resolver_del", cmd_resolver_del, "Delete a resolver prefix. Param: CIDR" },
		{ "/dnsift/segments", cmd_segments, "Segment writer counters." },
};

#define NB_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* The one callback DPDK sees: find the command, run it with the gate held open. */
static int gated(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int ret = -1;

	pthread_rwlock_rdlock(&gate);
	if (gate_closed) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "error", "sensor shutting down");
		ret = 0;
	} else {
		for (size_t i = 0; i < NB_CMDS; i++)
			if (strcmp(cmds[i].cmd, cmd) == 0) {
				ret = cmds[i].fn(cmd, params, d);
				break;
			}
	}
	pthread_rwlock_unlock(&gate);
	return ret;
}

int telemetry_register(void)
{
	int ret = 0;

	for (size_t i = 0; i < NB_CMDS; i++)
		if (rte_telemetry_register_cmd(cmds[i].cmd, gated, cmds[i].help) != 0)
			ret = -1;
	return ret;
}

void telemetry_close(void)
{
	atomic_store(&gate_closing, true);
	pthread_rwlock_wrlock(&gate);
	gate_closed = true;
	pthread_rwlock_unlock(&gate);
}
