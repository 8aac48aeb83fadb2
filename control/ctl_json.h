/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers the control process needs around text: a growable string
 * buffer with a hard cap, a minimal JSON reader (enough for DPDK telemetry
 * replies) and JSON string escaping for --json output.
 *
 * Threads: no shared state; any thread may use its own objects.
 */
#ifndef DNSIFT_CTL_JSON_H
#define DNSIFT_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable NUL-terminated buffer. Appends past cap set overflow and are dropped. */
struct ctl_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
	bool overflow;
};

void ctl_buf_init(struct ctl_buf *b, size_t cap);
void ctl_buf_free(struct ctl_buf *b);
void ctl_buf_reset(struct ctl_buf *b);
void ctl_buf_append(struct ctl_buf *b, const char *data, size_t len);
void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
void ctl_buf_json_string(struct ctl_buf *b, const char *s);

enum ctl_json_type {
	CTL_JSON_NULL,
	CTL_JSON_BOOL,
	CTL_JSON_NUMBER,
	CTL_JSON_STRING,
	CTL_JSON_ARRAY,
	CTL_JSON_OBJECT,
};

struct ctl_json {
	enum ctl_json_type type;
	bool boolean;
	char *text;		/* STRING: decoded text; NUMBER: literal as written */
	size_t count;		/* ARRAY / OBJECT: number of children */
	char **keys;		/* OBJECT: key per child */
	struct ctl_json *items;	/* ARRAY / OBJECT: children */
};

/*
 * Parse one JSON document (surrounding whitespace allowed). Nesting is limited
 * to 32 levels. Returns NULL on malformed input or no memory.
 */
struct ctl_json *ctl_json_parse(const char *text, size_t len);
void ctl_json_free(struct ctl_json *v);
/* Child of an object by key, or NULL. */
const struct ctl_json *ctl_json_get(const struct ctl_json *obj, const char *key);
/* Number as u64 (0 and false when not a non-negative integer). */
bool ctl_json_u64(const struct ctl_json *v, uint64_t *out);
/* Re-serialise v compactly. */
void ctl_json_write(struct ctl_buf *b, const struct ctl_json *v);

#endif
