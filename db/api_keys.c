/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_keys: load and check API keys (api_keys.h).
 */
#define _GNU_SOURCE
#include "db/api_keys.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct api_keys {
	size_t n;
	char (*key)[API_KEY_MAX + 1];
	size_t *len;
};

void api_keys_free(struct api_keys *k)
{
	if (k == NULL)
		return;
	free(k->key);
	free(k->len);
	free(k);
}

static int add_key(struct api_keys *k, const char *s, size_t n)
{
	void *a = realloc(k->key, (k->n + 1) * sizeof(*k->key));
	if (a == NULL)
		return -1;
	k->key = a;
	a = realloc(k->len, (k->n + 1) * sizeof(*k->len));
	if (a == NULL)
		return -1;
	k->len = a;
	memset(k->key[k->n], 0, sizeof(k->key[k->n]));
	memcpy(k->key[k->n], s, n);
	k->len[k->n] = n;
	k->n++;
	return 0;
}

struct api_keys *api_keys_load(const char *path, char *err, size_t err_size)
{
	FILE *f = fopen(path, "r");
	struct api_keys *k;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned int lineno = 0;

	if (f == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t i = 0, start, n;
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i] == '\0' || line[i] == '#')
			continue;
		start = i;
		while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t') {
			unsigned char c = (unsigned char)line[i];
			if (c < 0x21 || c > 0x7e) {
				snprintf(err, err_size, "%s:%u: key has a byte that is not printable ASCII",
					 path, lineno);
				goto fail;
			}
			i++;
		}
		n = i - start;
		if (n > API_KEY_MAX) {
			snprintf(err, err_size, "%s:%u: key longer than %d characters", path, lineno,
				 API_KEY_MAX);
			goto fail;
		}
		if (add_key(k, line + start, n) != 0) {
			snprintf(err, err_size, "%s: out of memory", path);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, err_size, "%s: read error", path);
		goto fail;
	}
	if (k->n == 0) {
		snprintf(err, err_size, "%s: no keys in the file", path);
		goto fail;
	}
	free(line);
	fclose(f);
	return k;
fail:
	free(line);
	fclose(f);
	api_keys_free(k);
	return NULL;
}

bool api_keys_check(const struct api_keys *k, const char *key)
{
	size_t n = strnlen(key, API_KEY_MAX + 1);
	unsigned int found = 0;
	char probe[API_KEY_MAX + 1];

	if (k == NULL || n == 0 || n > API_KEY_MAX)
		return false;
	memset(probe, 0, sizeof(probe));
	memcpy(probe, key, n);
	/* every key, every byte: the time says nothing about which bytes matched */
	for (size_t i = 0; i < k->n; i++) {
		unsigned int diff = (unsigned int)(k->len[i] ^ n);
		for (size_t j = 0; j < API_KEY_MAX; j++)
			diff |= (unsigned char)(k->key[i][j] ^ probe[j]);
		found |= (diff == 0);
	}
	return found != 0;
}

size_t api_keys_count(const struct api_keys *k)
{
	return k != NULL ? k->n : 0;
}
