/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny JSON validator for segment metadata and record lines (internal to segment/).
 *
 * It checks RFC 8259 grammar (strings with escapes and no raw control
 * characters, numbers, literals, nested objects and arrays up to a depth
 * limit) without building a tree, and reports each top-level member of an
 * object to a callback. That is all the reader needs: "is this line one JSON
 * object" and "what are count / seq / records". Pure functions; any thread.
 */
#ifndef DNSIFT_SEG_JSON_H
#define DNSIFT_SEG_JSON_H

#include <stddef.h>
#include <stdint.h>

enum sj_type { SJ_STRING, SJ_NUMBER, SJ_OBJECT, SJ_ARRAY, SJ_TRUE, SJ_FALSE, SJ_NULL };

/*
 * Called for each top-level member. key/klen is the raw (still escaped) key
 * without quotes; val/vlen the raw value text (strings without quotes).
 * Return non-zero to reject the object.
 */
typedef int (*sj_member_fn)(void *arg, const char *key, size_t klen, enum sj_type type,
			    const char *val, size_t vlen);

/*
 * Validate that s[0..n) is exactly one JSON object, optionally surrounded by
 * JSON whitespace. fn may be NULL. Returns 0, or -1 with *err_pos (if not NULL)
 * set to the offset of the first offending byte.
 */
int sj_object(const char *s, size_t n, sj_member_fn fn, void *arg, size_t *err_pos);

/* A JSON number that is a plain non-negative integer fitting uint64_t. 0 or -1. */
int sj_u64(const char *val, size_t vlen, uint64_t *out);

/*
 * Unescape a raw JSON string value into out (NUL-terminated, truncated to
 * size - 1). \u escapes beyond ASCII become '?': the metadata strings we read
 * (sensor id, hostname) are ASCII. Returns the length written.
 */
size_t sj_unescape(const char *val, size_t vlen, char *out, size_t size);

/*
 * Append s as a JSON string (with quotes) to out at *len, NUL-terminated.
 * Returns 0, or -1 when out is too small (out is then left NUL-terminated at
 * the old length).
 */
int sj_put_string(char *out, size_t size, size_t *len, const char *s);

#endif
