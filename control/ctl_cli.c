/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_cli.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl_tel.h"
#include "control/ctl_time.h"
#include "wire/err.h"

#ifndef DNSIFT_VERSION
#define DNSIFT_VERSION "unknown"
#endif

#define MAX_WORKERS_QUERIED 256

int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      char *why, size_t whylen)
{
	char *p, *save = NULL, *tok;

	memset(req, 0, sizeof(*req));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= CTL_LINE_MAX) {
		snprintf(why, whylen, "line too long (limit %d bytes)", CTL_LINE_MAX);
		return -DNSIFT_EFORMAT;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(why, whylen, "binary data in request");
			return -DNSIFT_EFORMAT;
		}
	}
	memcpy(req->line, line, len);
	req->line[len] = '\0';
	p = req->line;
	tok = strtok_r(p, " \t", &save);
	if (tok == NULL) {
		snprintf(why, whylen, "empty request");
		return -DNSIFT_EFORMAT;
	}
	if (strcmp(tok, CTL_PROTO_VERSION) != 0) {
		snprintf(why, whylen, "unsupported protocol (expected '%s command ...')",
			 CTL_PROTO_VERSION);
		return -DNSIFT_EFORMAT;
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (req->argc == 0 && strcmp(tok, "--json") == 0 && !req->json) {
			req->json = true;
			continue;
		}
		if (req->argc == CTL_MAX_ARGS) {
			snprintf(why, whylen, "too many arguments (limit %d)", CTL_MAX_ARGS - 1);
			return -DNSIFT_EFORMAT;
		}
		req->argv[req->argc++] = tok;
	}
	if (req->argc == 0) {
		snprintf(why, whylen, "no command (try 'help')");
		return -DNSIFT_EFORMAT;
	}
	return 0;
}

void ctl_answer_error(struct ctl_env *env, struct ctl_buf *out, const char *why)
{
	env->counters.errors++;
	ctl_buf_printf(out, "error ");
	for (const char *p = why; *p; p++) {
		char c = (*p == '\n' || *p == '\r') ? ' ' : *p;

		ctl_buf_append(out, &c, 1);
	}
	ctl_buf_append(out, "\n", 1);
}

/* ---- talking to the sensor ---- */

/* Open a telemetry session, or NULL with "sensor unreachable: ..." in why. */
static struct ctl_tel *sensor_open(struct ctl_env *env, char *why, size_t whylen)
{
	char err[256];
	struct ctl_tel *tel = ctl_tel_open(env->conf->telemetry_socket, env->telemetry_timeout_ms,
					   err, sizeof(err));

	if (tel == NULL)
		snprintf(why, whylen, "sensor unreachable: %s", err);
	return tel;
}

/*
 * One sensor command; NULL with why set. The sensor answers refusals as a dict
 * with an "error" member, which becomes the error text.
 */
static struct ctl_json *sensor_call(struct ctl_env *env, const char *cmd, char *why,
				    size_t whylen)
{
	struct ctl_tel *tel = sensor_open(env, why, whylen);
	struct ctl_json *v;
	const struct ctl_json *e;
	char err[256];

	if (tel == NULL)
		return NULL;
	v = ctl_tel_call(tel, cmd, err, sizeof(err));
	ctl_tel_close(tel);
	if (v == NULL) {
		snprintf(why, whylen, "sensor: %s", err);
		return NULL;
	}
	e = ctl_json_get(v, "error");
	if (e != NULL && e->type == CTL_JSON_STRING) {
		snprintf(why, whylen, "sensor refused: %s", e->text);
		ctl_json_free(v);
		return NULL;
	}
	return v;
}

static void control_counters(struct ctl_env *env, struct ctl_report *r)
{
	const struct ctl_cli_counters *c = &env->counters;

	ctl_report_u64(r, "control.uptime_s", (ctl_mono_ms() - env->started_ms) / 1000);
	ctl_report_u64(r, "control.cli_connections", c->connections);
	ctl_report_u64(r, "control.cli_requests", c->requests);
	ctl_report_u64(r, "control.cli_errors", c->errors);
	ctl_report_u64(r, "control.cli_rejected_busy", c->rejected_busy);
	ctl_report_u64(r, "control.cli_timeouts", c->timeouts);
	ctl_report_u64(r, "control.cli_dropped_incomplete", c->dropped_incomplete);
	ctl_report_u64(r, "control.metrics_requests", c->metrics_requests);
	if (env->ship)
		ship_report_counters(env->ship, r);
}

/* Number of workers from a /dnsift/status dict: a count or a list of them. */
static unsigned int status_workers(const struct ctl_json *status)
{
	const struct ctl_json *w = ctl_json_get(status, "workers");
	uint64_t n = 0;

	if (w && w->type == CTL_JSON_ARRAY)
		n = w->count;
	else
		ctl_json_u64(w, &n);
	return n > MAX_WORKERS_QUERIED ? MAX_WORKERS_QUERIED : (unsigned int)n;
}

void ctl_collect_stats(struct ctl_env *env, struct ctl_report *r)
{
	char why[320], err[256];
	struct ctl_tel *tel = sensor_open(env, why, sizeof(why));
	struct ctl_json *status = NULL, *stats = NULL;

	if (tel != NULL) {
		status = ctl_tel_call(tel, "/dnsift/status", err, sizeof(err));
		if (status != NULL)
			stats = ctl_tel_call(tel, "/dnsift/stats", err, sizeof(err));
		if (stats == NULL)
			snprintf(why, sizeof(why), "sensor: %s", err);
	}
	ctl_report_u64(r, "sensor.up", stats != NULL);
	if (stats != NULL) {
		unsigned int workers = status_workers(status);

		ctl_report_json(r, "sensor", stats);
		for (unsigned int i = 0; i < workers; i++) {
			char cmd[64], prefix[32];
			struct ctl_json *ws;

			snprintf(cmd, sizeof(cmd), "/dnsift/worker_stats,%u", i);
			ws = ctl_tel_call(tel, cmd, err, sizeof(err));
			if (ws == NULL)
				break;
			snprintf(prefix, sizeof(prefix), "worker.%u", i);
			ctl_report_json(r, prefix, ws);
			ctl_json_free(ws);
		}
	} else {
		ctl_report_str(r, "sensor.error", why);
	}
	ctl_json_free(status);
	ctl_json_free(stats);
	ctl_tel_close(tel);
	control_counters(env, r);
}

/* ---- commands ---- */

struct command {
	const char *name;
	const char *usage;
	const char *help;
	int min_args, max_args;	/* after the command word */
	/* Fill r and return 0, or return -1 with why set. */
	int (*run)(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		   char *why, size_t whylen);
};

static int cmd_status(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		      char *why, size_t whylen)
{
	char err[320];
	struct ctl_tel *tel;
	struct ctl_json *status = NULL;

	(void)req;
	(void)why;
	(void)whylen;
	ctl_report_str(r, "control.version", DNSIFT_VERSION);
	ctl_report_u64(r, "control.pid", (uint64_t)getpid());
	ctl_report_u64(r, "control.uptime_s", (ctl_mono_ms() - env->started_ms) / 1000);
	ctl_report_str(r, "control.telemetry_socket", env->conf->telemetry_socket);
	tel = sensor_open(env, err, sizeof(err));
	if (tel != NULL) {
		char cerr[256];

		status = ctl_tel_call(tel, "/dnsift/status", cerr, sizeof(cerr));
		if (status == NULL)
			snprintf(err, sizeof(err), "sensor: %s (telemetry server %s)", cerr,
				 ctl_tel_server_version(tel));
		ctl_tel_close(tel);
	}
	ctl_report_str(r, "sensor.state", status ? "up" : "down");
	if (status) {
		ctl_report_json(r, "sensor", status);
		ctl_json_free(status);
	} else {
		ctl_report_str(r, "sensor.error", err);
	}
	return 0;
}

static int cmd_stats(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		     char *why, size_t whylen)
{
	(void)req;
	(void)why;
	(void)whylen;
	ctl_collect_stats(env, r);
	return 0;
}

/* Run cmd on the sensor and flatten its dict into the report. */
static int sensor_simple(struct ctl_env *env, const char *cmd, struct ctl_report *r, char *why,
			 size_t whylen)
{
	struct ctl_json *v = sensor_call(env, cmd, why, whylen);

	if (v == NULL)
		return -1;
	ctl_report_json(r, "", v);
	ctl_json_free(v);
	return 0;
}

static int cmd_rotate(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		      char *why, size_t whylen)
{
	(void)req;
	return sensor_simple(env, "/dnsift/rotate", r, why, whylen);
}

static int cmd_flush(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		     char *why, size_t whylen)
{
	(void)req;
	return sensor_simple(env, "/dnsift/flush", r, why, whylen);
}

static int cmd_window(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		      char *why, size_t whylen)
{
	char cmd[64];
	uint64_t ms;

	if (req->argc == 1)
		return sensor_simple(env, "/dnsift/window", r, why, whylen);
	/* Same syntax and range as the "window" configuration key. */
	if (conf_parse_duration_ms(req->argv[1], 1000, &ms) != 0 || ms % 1000 != 0 ||
	    ms < 1000 || ms > 7ULL * 86400 * 1000) {
		snprintf(why, whylen, "bad window '%.64s': expected 1 to 604800 seconds "
			 "(suffix s, m, h, d allowed)", req->argv[1]);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "/dnsift/window,%" PRIu64, ms / 1000);
	return sensor_simple(env, cmd, r, why, whylen);
}

static int cmd_resolvers(struct ctl_env *env, const struct ctl_request *req,
			 struct ctl_report *r, char *why, size_t whylen)
{
	const char *verb = req->argv[1];
	struct conf_cidr cidr;
	char cmd[128], text[64];

	if (strcmp(verb, "list") == 0 && req->argc == 2)
		return sensor_simple(env, "/dnsift/resolvers", r, why, whylen);
	if ((strcmp(verb, "add") != 0 && strcmp(verb, "del") != 0) || req->argc != 3) {
		snprintf(why, whylen, "usage: resolvers list | resolvers add CIDR | "
			 "resolvers del CIDR");
		return -1;
	}
	if (conf_parse_cidr(req->argv[2], &cidr) != 0) {
		snprintf(why, whylen, "bad CIDR '%.64s': expected an address or prefix like "
			 "192.0.2.0/24 or 2001:db8::/32 with no host bits set", req->argv[2]);
		return -1;
	}
	/* The canonical form, so the sensor never parses operator spelling. */
	snprintf(cmd, sizeof(cmd), "/dnsift/resolver_%s,%s", verb,
		 conf_format_cidr(&cidr, text, sizeof(text)));
	return sensor_simple(env, cmd, r, why, whylen);
}

static int cmd_collectors(struct ctl_env *env, const struct ctl_request *req,
			  struct ctl_report *r, char *why, size_t whylen)
{
	(void)req;
	(void)why;
	(void)whylen;
	ship_report_collectors(env->ship, r);
	return 0;
}

static int cmd_spool(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		     char *why, size_t whylen)
{
	(void)req;
	(void)why;
	(void)whylen;
	ship_report_spool(env->ship, r);
	return 0;
}

static int cmd_version(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		       char *why, size_t whylen)
{
	(void)env;
	(void)req;
	(void)why;
	(void)whylen;
	ctl_report_str(r, "version", DNSIFT_VERSION);
	ctl_report_str(r, "protocol", CTL_PROTO_VERSION);
	ctl_report_str(r, "curl", curl_version_info(CURLVERSION_NOW)->version);
	return 0;
}

static int cmd_telemetry(struct ctl_env *env, const struct ctl_request *req,
			 struct ctl_report *r, char *why, size_t whylen)
{
	const char *cmd = req->argv[1];
	struct ctl_json *v;

	if (cmd[0] != '/' || strlen(cmd) > 256) {
		snprintf(why, whylen, "usage: telemetry /path[,param] (a DPDK telemetry command)");
		return -1;
	}
	v = sensor_call(env, cmd, why, whylen);
	if (v == NULL)
		return -1;
	ctl_report_json(r, "value", v);
	ctl_json_free(v);
	return 0;
}

static int cmd_help(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		    char *why, size_t whylen);

static const struct command commands[] = {
	{ "status", "status", "control and sensor state", 0, 0, cmd_status },
	{ "stats", "stats", "every counter: sensor totals, per worker, control", 0, 0,
	  cmd_stats },
	{ "rotate", "rotate", "close the open segment into ready/ now", 0, 0, cmd_rotate },
	{ "flush", "flush", "emit every dedup entry now (shortens the window)", 0, 0,
	  cmd_flush },
	{ "window", "window [SECONDS]", "show or set the dedup window", 0, 1, cmd_window },
	{ "resolvers", "resolvers list|add CIDR|del CIDR", "resolver prefixes to record",
	  1, 2, cmd_resolvers },
	{ "collectors", "collectors", "per collector: url, state, queued, shipped, "
	  "failures, next retry", 0, 0, cmd_collectors },
	{ "spool", "spool", "ready/sent segments and bytes, quota, discarded", 0, 0,
	  cmd_spool },
	{ "version", "version", "software and protocol versions", 0, 0, cmd_version },
	{ "telemetry", "telemetry /path[,param]", "raw DPDK telemetry command (diagnostics)",
	  1, 1, cmd_telemetry },
	{ "help", "help", "this list", 0, 0, cmd_help },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(struct ctl_env *env, const struct ctl_request *req, struct ctl_report *r,
		    char *why, size_t whylen)
{
	(void)env;
	(void)req;
	(void)why;
	(void)whylen;
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		char line[256];

		snprintf(line, sizeof(line), "%s -- %s", commands[i].usage, commands[i].help);
		ctl_report_str(r, commands[i].name, line);
	}
	return 0;
}

void ctl_execute(struct ctl_env *env, const struct ctl_request *req, struct ctl_buf *out)
{
	const struct command *cmd = NULL;
	struct ctl_report r;
	char why[512];
	int nargs = req->argc - 1;

	env->counters.requests++;
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, req->argv[0]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		snprintf(why, sizeof(why), "unknown command '%.64s' (try 'help')", req->argv[0]);
		ctl_answer_error(env, out, why);
		return;
	}
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		snprintf(why, sizeof(why), "usage: %s", cmd->usage);
		ctl_answer_error(env, out, why);
		return;
	}
	if (env->ship == NULL && (cmd->run == cmd_collectors || cmd->run == cmd_spool)) {
		ctl_answer_error(env, out, "shipping is not running");
		return;
	}
	ctl_report_init(&r);
	if (cmd->run(env, req, &r, why, sizeof(why)) != 0) {
		ctl_answer_error(env, out, why);
	} else {
		ctl_buf_append(out, "ok\n", 3);
		if (req->json)
			ctl_report_render_json(&r, out);
		else
			ctl_report_render_text(&r, out);
	}
	ctl_report_free(&r);
}

/* ---- Prometheus ---- */

static void metric_name(struct ctl_buf *out, const char *prefix, const char *name)
{
	ctl_buf_printf(out, "%s", prefix);
	for (const char *p = name; *p; p++) {
		char c = isalnum((unsigned char)*p) ? *p : '_';

		ctl_buf_append(out, &c, 1);
	}
}

void ctl_render_metrics(const struct ctl_report *r, struct ctl_buf *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct ctl_kv *kv = &r->items[i];
		unsigned int worker;
		int used = 0;

		if (!kv->number)
			continue;
		if (sscanf(kv->name, "worker.%u.%n", &worker, &used) == 1 && used > 0) {
			metric_name(out, "dnsift_sensor_worker_", kv->name + used);
			ctl_buf_printf(out, "{worker=\"%u\"} %s\n", worker, kv->value);
		} else if (strncmp(kv->name, "sensor.", 7) == 0) {
			metric_name(out, "dnsift_sensor_", kv->name + 7);
			ctl_buf_printf(out, " %s\n", kv->value);
		} else if (strncmp(kv->name, "control.", 8) == 0) {
			metric_name(out, "dnsift_control_", kv->name + 8);
			ctl_buf_printf(out, " %s\n", kv->value);
		}
	}
}
