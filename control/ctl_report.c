/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_report.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_report_init(struct ctl_report *r)
{
	memset(r, 0, sizeof(*r));
}

void ctl_report_free(struct ctl_report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].name);
		free(r->items[i].value);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void add(struct ctl_report *r, const char *name, const char *value, bool number)
{
	struct ctl_kv kv;

	if (r->count == r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 32;
		struct ctl_kv *items = realloc(r->items, n * sizeof(*items));

		if (items == NULL)
			return;	/* a report is best effort under memory exhaustion */
		r->items = items;
		r->alloc = n;
	}
	kv.name = strdup(name);
	kv.value = strdup(value);
	kv.number = number;
	if (kv.name == NULL || kv.value == NULL) {
		free(kv.name);
		free(kv.value);
		return;
	}
	r->items[r->count++] = kv;
}

void ctl_report_u64(struct ctl_report *r, const char *name, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	add(r, name, buf, true);
}

void ctl_report_str(struct ctl_report *r, const char *name, const char *value)
{
	add(r, name, value, false);
}

void ctl_report_json(struct ctl_report *r, const char *prefix, const struct ctl_json *v)
{
	char name[256];
	uint64_t u;

	switch (v->type) {
	case CTL_JSON_OBJECT:
	case CTL_JSON_ARRAY:
		for (size_t i = 0; i < v->count; i++) {
			if (v->type == CTL_JSON_OBJECT)
				snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
					 v->keys[i]);
			else
				snprintf(name, sizeof(name), "%s%s%zu", prefix, *prefix ? "." : "",
					 i);
			ctl_report_json(r, name, &v->items[i]);
		}
		break;
	case CTL_JSON_NUMBER:
		add(r, prefix, v->text, ctl_json_u64(v, &u));
		break;
	case CTL_JSON_STRING:
		add(r, prefix, v->text, false);
		break;
	case CTL_JSON_BOOL:
		add(r, prefix, v->boolean ? "1" : "0", true);
		break;
	case CTL_JSON_NULL:
		add(r, prefix, "", false);
		break;
	}
}

void ctl_report_render_text(const struct ctl_report *r, struct ctl_buf *out)
{
	for (size_t i = 0; i < r->count; i++) {
		/* A value never breaks the line protocol: newlines become spaces. */
		ctl_buf_printf(out, "%s=", r->items[i].name);
		for (const char *p = r->items[i].value; *p; p++) {
			char c = (*p == '\n' || *p == '\r') ? ' ' : *p;

			ctl_buf_append(out, &c, 1);
		}
		ctl_buf_append(out, "\n", 1);
	}
}

void ctl_report_render_json(const struct ctl_report *r, struct ctl_buf *out)
{
	ctl_buf_append(out, "{", 1);
	for (size_t i = 0; i < r->count; i++) {
		if (i)
			ctl_buf_append(out, ",", 1);
		ctl_buf_json_string(out, r->items[i].name);
		ctl_buf_append(out, ":", 1);
		if (r->items[i].number)
			ctl_buf_printf(out, "%s", r->items[i].value);
		else
			ctl_buf_json_string(out, r->items[i].value);
	}
	ctl_buf_append(out, "}\n", 2);
}
