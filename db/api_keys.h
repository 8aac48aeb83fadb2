/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_keys: the API keys file of dnsift-db serve.
 *
 * Format: one key per line, the first whitespace-separated token; anything after
 * it on the line is a free-form label (whose key it is). Blank lines and lines
 * starting with '#' are ignored. A key is 1..256 printable ASCII characters.
 * A file with no key is an error (it would lock everyone out silently).
 *
 * A loaded set is immutable: any thread may check keys against it; serve.c
 * swaps in a new set when the file changes.
 */
#ifndef DNSIFT_DB_API_KEYS_H
#define DNSIFT_DB_API_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define API_KEY_MAX 256

struct api_keys;

/* Load path. NULL with a reason (file and line) in err. */
struct api_keys *api_keys_load(const char *path, char *err, size_t err_size);
void api_keys_free(struct api_keys *k);
/* Is key one of the set? Compares in time independent of where keys differ. */
bool api_keys_check(const struct api_keys *k, const char *key);
/* How many keys the set holds. */
size_t api_keys_count(const struct api_keys *k);

#endif
