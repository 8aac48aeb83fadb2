/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_ship.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl_log.h"
#include "wire/err.h"

#define SEG_NAME_MAX 192

struct segment {
	char name[SEG_NAME_MAX];
	uint64_t seq;
	uint64_t size;
	uint32_t delivered;	/* bit per collector */
	uint32_t seen_scan;	/* rescan generation that last saw the file */
};

struct seg_list {
	struct segment *v;
	size_t count, alloc;
	uint64_t bytes;
};

enum collector_state {
	COLLECTOR_IDLE,
	COLLECTOR_UPLOADING,
	COLLECTOR_BACKOFF,
};

static const char *const state_names[] = { "idle", "uploading", "backoff" };

struct collector {
	const char *url;
	char hash[17];
	enum collector_state state;
	CURL *easy;
	FILE *body;
	char current[SEG_NAME_MAX];	/* segment being uploaded */
	char curl_error[CURL_ERROR_SIZE];
	uint64_t next_retry_ms;		/* monotonic */
	unsigned int consecutive_failures;
	uint64_t shipped, shipped_bytes, failures, resends;
	char last_error[256];
};

struct ship {
	const struct dnsift_conf *conf;
	struct ship_params params;
	char ready_dir[PATH_MAX], sent_dir[PATH_MAX], state_dir[PATH_MAX];
	int inotify_fd;
	CURLM *multi;
	struct curl_slist *headers;
	struct collector *collectors;
	unsigned int collector_count;
	uint32_t all_mask;
	struct seg_list ready, sent;
	uint32_t scan_gen;
	uint64_t next_rescan_ms;
	/* counters */
	uint64_t segments_seen, segments_completed, files_ignored, inotify_overflows;
	uint64_t discarded_ready, discarded_ready_bytes, discarded_sent, discarded_sent_bytes;
	uint64_t fs_errors;
	unsigned int ignored_now;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a: a stable name for a collector URL in marker files (not a security boundary). */
static void url_hash(const char *url, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

bool ship_segment_name_valid(const char *name, uint64_t *seq)
{
	static const char suffix[] = ".ndjson.lz4";
	const char *p = name, *dot;
	uint64_t s = 0;
	size_t len = strlen(name);

	if (len >= SEG_NAME_MAX || len < sizeof(suffix) || strcmp(name + len - (sizeof(suffix) - 1),
							       suffix) != 0)
		return false;
	dot = strchr(name, '.');
	if (dot == NULL || dot == name)
		return false;
	for (; p < dot; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	p = dot + 1;
	for (int i = 0; i < 12; i++, p++) {
		if (*p < '0' || *p > '9')
			return false;
		s = s * 10 + (uint64_t)(*p - '0');
	}
	if (*p++ != '.')
		return false;
	/* YYYYMMDDTHHMMSSZ */
	for (int i = 0; i < 16; i++, p++) {
		bool ok = i == 8 ? *p == 'T' : i == 15 ? *p == 'Z' : (*p >= '0' && *p <= '9');

		if (!ok)
			return false;
	}
	if (strcmp(p, suffix) != 0)
		return false;
	if (seq)
		*seq = s;
	return true;
}

/* ---- segment lists, sorted by (seq, name) ---- */

static int seg_cmp(uint64_t seq, const char *name, const struct segment *s)
{
	if (seq != s->seq)
		return seq < s->seq ? -1 : 1;
	return strcmp(name, s->name);
}

/* Index of the element or of the insertion point; *found says which. */
static size_t seg_find(const struct seg_list *l, uint64_t seq, const char *name, bool *found)
{
	size_t lo = 0, hi = l->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = seg_cmp(seq, name, &l->v[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

static struct segment *seg_lookup(struct seg_list *l, const char *name)
{
	uint64_t seq;
	bool found;
	size_t i;

	if (!ship_segment_name_valid(name, &seq))
		return NULL;
	i = seg_find(l, seq, name, &found);
	return found ? &l->v[i] : NULL;
}

static struct segment *seg_insert(struct seg_list *l, const char *name, uint64_t seq,
				  uint64_t size, bool *is_new)
{
	bool found;
	size_t i = seg_find(l, seq, name, &found);

	*is_new = !found;
	if (found)
		return &l->v[i];
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 64;
		struct segment *v = realloc(l->v, n * sizeof(*v));

		if (v == NULL)
			return NULL;
		l->v = v;
		l->alloc = n;
	}
	memmove(&l->v[i + 1], &l->v[i], (l->count - i) * sizeof(struct segment));
	memset(&l->v[i], 0, sizeof(l->v[i]));
	snprintf(l->v[i].name, sizeof(l->v[i].name), "%s", name);
	l->v[i].seq = seq;
	l->v[i].size = size;
	l->count++;
	l->bytes += size;
	return &l->v[i];
}
