/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator CLI protocol of dnsift-control, after unbound-control and
 * HAProxy's stats socket.
 *
 * One request per connection: the client sends one line
 *     DNSIFT1 [--json] command [args...]\n
 * (at most CTL_LINE_MAX bytes including the newline, printable ASCII, fields
 * separated by blanks), the server answers and closes. The first answer line is
 * "ok" or "error <why>". After "ok" comes the body: "name=value" lines, or with
 * --json exactly one JSON object on one line. "error" answers have no body.
 *
 * The protocol version is the first word so a future DNSIFT2 can change anything
 * after it; a server answers an unknown version with "error unsupported protocol".
 *
 * Threads: everything here runs on the control process's main thread (it uses
 * the ship object, which belongs to that thread).
 */
#ifndef DNSIFT_CTL_CLI_H
#define DNSIFT_CTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "control/ctl_json.h"
#include "control/ctl_report.h"
#include "control/ctl_ship.h"

#define CTL_PROTO_VERSION "DNSIFT1"
#define CTL_LINE_MAX 4096	/* request line including the newline */
#define CTL_MAX_ARGS 16

struct ctl_request {
	bool json;
	int argc;			/* command and its arguments */
	char *argv[CTL_MAX_ARGS];	/* point into line */
	char line[CTL_LINE_MAX + 1];
};

/* The control process's own CLI counters, exported by stats and metrics. */
struct ctl_cli_counters {
	uint64_t connections;
	uint64_t requests;
	uint64_t errors;		/* answered "error" */
	uint64_t rejected_busy;		/* refused: too many clients */
	uint64_t timeouts;		/* idle clients dropped */
	uint64_t dropped_incomplete;	/* closed before a full line */
	uint64_t metrics_requests;
};

struct ctl_env {
	const struct dnsift_conf *conf;
	struct ship *ship;		/* NULL only in tests of parsing */
	uint64_t started_ms;		/* CLOCK_MONOTONIC at start */
	int telemetry_timeout_ms;
	struct ctl_cli_counters counters;
};

/*
 * Parse one request line (without or with its trailing "\n"; len excludes any
 * NUL). Returns 0, or -DNSIFT_EFORMAT with the reason in why ("line too long",
 * "binary data in request", "unsupported protocol", "empty request", ...).
 */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      char *why, size_t whylen);

/* Run a parsed request; appends the whole answer ("ok\n..." or "error ...\n") to out. */
void ctl_execute(struct ctl_env *env, const struct ctl_request *req, struct ctl_buf *out);

/* Append "error <why>\n" and count it. */
void ctl_answer_error(struct ctl_env *env, struct ctl_buf *out, const char *why);

/* Every counter, as "stats" shows it (sensor.*, worker.N.*, control.*). */
void ctl_collect_stats(struct ctl_env *env, struct ctl_report *r);

/* Prometheus text exposition of a stats report (numeric items only). */
void ctl_render_metrics(const struct ctl_report *r, struct ctl_buf *out);

#endif
