/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A command's answer as an ordered list of name=value pairs, rendered as text
 * lines ("name=value", the unbound-control/HAProxy habit), as one flat JSON
 * object (--json), or as Prometheus exposition (metrics). One collection feeds
 * all three, so dnsiftctl stats and /metrics always show the same numbers.
 *
 * Threads: no shared state; a report belongs to its caller.
 */
#ifndef DNSIFT_CTL_REPORT_H
#define DNSIFT_CTL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/ctl_json.h"

struct ctl_kv {
	char *name;
	char *value;
	bool number;	/* an unsigned integer, unquoted in JSON, exported as a metric */
};

struct ctl_report {
	struct ctl_kv *items;
	size_t count;
	size_t alloc;
};

void ctl_report_init(struct ctl_report *r);
void ctl_report_free(struct ctl_report *r);
void ctl_report_u64(struct ctl_report *r, const char *name, uint64_t value);
void ctl_report_str(struct ctl_report *r, const char *name, const char *value);
/*
 * Flatten a JSON value under prefix: objects add ".key", arrays ".index",
 * non-negative integers become numbers, everything else text.
 */
void ctl_report_json(struct ctl_report *r, const char *prefix, const struct ctl_json *v);
/* Text: one "name=value\n" per item. */
void ctl_report_render_text(const struct ctl_report *r, struct ctl_buf *out);
/* One JSON object {"name": value, ...} and a newline. */
void ctl_report_render_json(const struct ctl_report *r, struct ctl_buf *out);

#endif
