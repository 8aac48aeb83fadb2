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
	char last_error[512];
};

struct ship {
	const struct dnsift_conf *conf;
	struct ship_params params;
	char ready_dir[CONF_PATH_MAX + 16], sent_dir[CONF_PATH_MAX + 16];
	char state_dir[CONF_PATH_MAX + 16];
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

static void seg_remove_at(struct seg_list *l, size_t i)
{
	l->bytes -= l->v[i].size;
	memmove(&l->v[i], &l->v[i + 1], (l->count - i - 1) * sizeof(struct segment));
	l->count--;
}

/* ---- marker files ---- */

static void marker_path(const struct ship *ship, const char *seg, const char *hash,
			const char *kind, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.%s.%s", ship->state_dir, seg, hash, kind);
}

static bool marker_exists(const struct ship *ship, const char *seg, const char *hash,
			  const char *kind)
{
	char path[PATH_MAX];

	marker_path(ship, seg, hash, kind, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static void marker_set(struct ship *ship, const char *seg, const char *hash, const char *kind)
{
	char path[PATH_MAX];
	int fd;

	marker_path(ship, seg, hash, kind, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		/* Losing a marker costs a harmless re-send, not data: log and go on. */
		ship->fs_errors++;
		ctl_log(CTL_LOG_WARN, "cannot create %s: %s", path, strerror(errno));
		return;
	}
	close(fd);
}

static void marker_clear(struct ship *ship, const char *seg, const char *hash, const char *kind)
{
	char path[PATH_MAX];

	marker_path(ship, seg, hash, kind, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT) {
		ship->fs_errors++;
		ctl_log(CTL_LOG_WARN, "cannot remove %s: %s", path, strerror(errno));
	}
}

static void markers_clear_all(struct ship *ship, const char *seg)
{
	for (unsigned int c = 0; c < ship->collector_count; c++) {
		marker_clear(ship, seg, ship->collectors[c].hash, "done");
		marker_clear(ship, seg, ship->collectors[c].hash, "inflight");
	}
}

/* ---- uploads ---- */

static void abort_upload(struct ship *ship, struct collector *col)
{
	if (col->easy) {
		curl_multi_remove_handle(ship->multi, col->easy);
		curl_easy_cleanup(col->easy);
		col->easy = NULL;
	}
	if (col->body) {
		fclose(col->body);
		col->body = NULL;
	}
	col->current[0] = '\0';
	col->state = COLLECTOR_IDLE;
}

/* A segment's every copy is delivered: take it out of ready/. */
static void segment_complete(struct ship *ship, size_t index)
{
	struct segment seg = ship->ready.v[index];
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", ship->ready_dir, seg.name);
	if (ship->conf->spool_keep_sent) {
		snprintf(to, sizeof(to), "%s/%s", ship->sent_dir, seg.name);
		if (rename(from, to) == 0) {
			bool is_new;

			seg_insert(&ship->sent, seg.name, seg.seq, seg.size, &is_new);
		} else {
			ship->fs_errors++;
			ctl_log(CTL_LOG_ERR, "cannot move %s to sent/: %s", seg.name,
				strerror(errno));
			return;
		}
	} else if (unlink(from) != 0 && errno != ENOENT) {
		ship->fs_errors++;
		ctl_log(CTL_LOG_ERR, "cannot remove shipped %s: %s", seg.name, strerror(errno));
		return;
	}
	seg_remove_at(&ship->ready, index);
	markers_clear_all(ship, seg.name);
	ship->segments_completed++;
	ctl_log(CTL_LOG_DEBUG, "%s delivered to every collector", seg.name);
}

static void schedule_retry(struct ship *ship, struct collector *col)
{
	uint64_t delay = ship->conf->ship_retry_min_ms;
	unsigned int shift = col->consecutive_failures > 0 ? col->consecutive_failures - 1 : 0;

	/* Exponential, capped; "equal jitter" keeps at least half the delay so a dead
	 * collector is not hammered, while spreading many sensors' retries apart. */
	while (shift-- > 0 && delay < ship->conf->ship_retry_max_ms)
		delay *= 2;
	if (delay > ship->conf->ship_retry_max_ms)
		delay = ship->conf->ship_retry_max_ms;
	delay = delay / 2 + (uint64_t)random() % (delay / 2 + 1);
	col->next_retry_ms = now_ms() + delay;
	col->state = COLLECTOR_BACKOFF;
}

static int start_upload(struct ship *ship, struct collector *col, const struct segment *seg)
{
	char path[PATH_MAX], url[CONF_LONG_MAX + SEG_NAME_MAX + 2];
	size_t ulen = strlen(col->url);
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", ship->ready_dir, seg->name);
	col->body = fopen(path, "rb");
	if (col->body == NULL || fstat(fileno(col->body), &st) != 0) {
		snprintf(col->last_error, sizeof(col->last_error), "open %s: %s", seg->name,
			 strerror(errno));
		if (col->body)
			fclose(col->body);
		col->body = NULL;
		return -DNSIFT_EIO;
	}
	snprintf(url, sizeof(url), "%s%s%s", col->url,
		 ulen && col->url[ulen - 1] == '/' ? "" : "/", seg->name);
	col->easy = curl_easy_init();
	if (col->easy == NULL) {
		fclose(col->body);
		col->body = NULL;
		return -DNSIFT_ENOMEM;
	}
	curl_easy_setopt(col->easy, CURLOPT_URL, url);
	curl_easy_setopt(col->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(col->easy, CURLOPT_READDATA, col->body);
	curl_easy_setopt(col->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(col->easy, CURLOPT_PRIVATE, col);
	curl_easy_setopt(col->easy, CURLOPT_ERRORBUFFER, col->curl_error);
	curl_easy_setopt(col->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(col->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(col->easy, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(col->easy, CURLOPT_LOW_SPEED_TIME, (long)ship->params.low_speed_time_s);
	curl_easy_setopt(col->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ship->headers)
		curl_easy_setopt(col->easy, CURLOPT_HTTPHEADER, ship->headers);
	if (ship->conf->collector_ca[0])
		curl_easy_setopt(col->easy, CURLOPT_CAINFO, ship->conf->collector_ca);
	if (ship->conf->collector_cert[0]) {
		curl_easy_setopt(col->easy, CURLOPT_SSLCERT, ship->conf->collector_cert);
		curl_easy_setopt(col->easy, CURLOPT_SSLKEY, ship->conf->collector_key);
	}
	if (ship->conf->collector_insecure) {
		curl_easy_setopt(col->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(col->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	col->curl_error[0] = '\0';
	if (curl_multi_add_handle(ship->multi, col->easy) != CURLM_OK) {
		abort_upload(ship, col);
		return -DNSIFT_ENOMEM;
	}
	/* An inflight marker left by a killed process means this PUT repeats one. */
	if (marker_exists(ship, seg->name, col->hash, "inflight"))
		col->resends++;
	else
		marker_set(ship, seg->name, col->hash, "inflight");
	snprintf(col->current, sizeof(col->current), "%s", seg->name);
	col->state = COLLECTOR_UPLOADING;
	ctl_log(CTL_LOG_DEBUG, "PUT %s", url);
	return 0;
}

/* Give every idle collector whose retry time has come its oldest undelivered segment. */
static void kick(struct ship *ship)
{
	uint64_t now = now_ms();

	for (unsigned int c = 0; c < ship->collector_count; c++) {
		struct collector *col = &ship->collectors[c];

		if (col->state == COLLECTOR_UPLOADING)
			continue;
		if (col->state == COLLECTOR_BACKOFF && now < col->next_retry_ms)
			continue;
		col->state = COLLECTOR_IDLE;
		for (size_t i = 0; i < ship->ready.count; i++) {
			if (ship->ready.v[i].delivered & (1u << c))
				continue;
			if (start_upload(ship, col, &ship->ready.v[i]) != 0) {
				col->failures++;
				col->consecutive_failures++;
				ctl_log(CTL_LOG_WARN, "collector %s: %s", col->url,
					col->last_error);
				schedule_retry(ship, col);
			}
			break;
		}
	}
}

static void upload_done(struct ship *ship, struct collector *col, CURLcode result)
{
	long status = 0;
	curl_off_t sent = 0;
	struct segment *seg;
	unsigned int c = (unsigned int)(col - ship->collectors);

	curl_easy_getinfo(col->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(col->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
	seg = seg_lookup(&ship->ready, col->current);
	if (result == CURLE_OK && status >= 200 && status < 300) {
		col->shipped++;
		col->shipped_bytes += (uint64_t)sent;
		col->consecutive_failures = 0;
		if (seg) {
			marker_set(ship, seg->name, col->hash, "done");
			seg->delivered |= 1u << c;
		}
		marker_clear(ship, col->current, col->hash, "inflight");
		ctl_log(CTL_LOG_DEBUG, "collector %s: %s stored (HTTP %ld)", col->url,
			col->current, status);
		abort_upload(ship, col);
		if (seg && (seg->delivered & ship->all_mask) == ship->all_mask)
			segment_complete(ship, (size_t)(seg - ship->ready.v));
		return;
	}
	if (result != CURLE_OK)
		snprintf(col->last_error, sizeof(col->last_error), "%s: %s", col->current,
			 col->curl_error[0] ? col->curl_error : curl_easy_strerror(result));
	else
		snprintf(col->last_error, sizeof(col->last_error), "%s: HTTP status %ld",
			 col->current, status);
	col->failures++;
	col->consecutive_failures++;
	ctl_log(CTL_LOG_WARN, "collector %s: upload failed: %s (failure %u in a row)",
		col->url, col->last_error, col->consecutive_failures);
	abort_upload(ship, col);
	schedule_retry(ship, col);
}

/* ---- spool scanning and quota ---- */

static void discard_oldest(struct ship *ship)
{
	while (ship->ready.bytes + ship->sent.bytes > ship->conf->spool_quota) {
		bool from_sent = ship->sent.count > 0;
		struct seg_list *l = from_sent ? &ship->sent : &ship->ready;
		const char *dir = from_sent ? ship->sent_dir : ship->ready_dir;
		struct segment seg;
		char path[PATH_MAX];

		if (l->count == 0)
			break;
		seg = l->v[0];
		if (!from_sent) {
			for (unsigned int c = 0; c < ship->collector_count; c++)
				if (strcmp(ship->collectors[c].current, seg.name) == 0)
					abort_upload(ship, &ship->collectors[c]);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, seg.name);
		if (unlink(path) != 0 && errno != ENOENT) {
			ship->fs_errors++;
			ctl_log(CTL_LOG_ERR, "quota: cannot remove %s: %s", path, strerror(errno));
			/* Forget it anyway, or one unremovable file would spin this loop. */
		}
		seg_remove_at(l, 0);
		if (from_sent) {
			ship->discarded_sent++;
			ship->discarded_sent_bytes += seg.size;
		} else {
			ship->discarded_ready++;
			ship->discarded_ready_bytes += seg.size;
			markers_clear_all(ship, seg.name);
		}
		ctl_log(from_sent ? CTL_LOG_INFO : CTL_LOG_WARN,
			"spool over quota (%" PRIu64 " bytes): discarded %s%s (%" PRIu64 " bytes)",
			ship->conf->spool_quota, from_sent ? "sent/" : "unshipped ready/",
			seg.name, seg.size);
	}
}

/* Take one file name seen in ready/; returns true when it is a (new or known) segment. */
static bool consider_ready(struct ship *ship, const char *name)
{
	char path[PATH_MAX];
	struct segment *seg;
	struct stat st;
	uint64_t seq;
	bool is_new;

	if (name[0] == '.' || !ship_segment_name_valid(name, &seq))
		return false;
	snprintf(path, sizeof(path), "%s/%s", ship->ready_dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	seg = seg_insert(&ship->ready, name, seq, (uint64_t)st.st_size, &is_new);
	if (seg == NULL) {
		ctl_log(CTL_LOG_ERR, "out of memory tracking %s", name);
		return true;
	}
	seg->seen_scan = ship->scan_gen;
	if (is_new) {
		ship->segments_seen++;
		for (unsigned int c = 0; c < ship->collector_count; c++)
			if (marker_exists(ship, name, ship->collectors[c].hash, "done"))
				seg->delivered |= 1u << c;
		ctl_log(CTL_LOG_DEBUG, "new segment %s (%" PRIu64 " bytes)", name, seg->size);
		/* A segment every collector already has (a restart between the last
		 * delivery and the removal) is finished now. With no collector at all
		 * segments wait in ready/ under the quota. */
		if (ship->collector_count > 0 &&
		    (seg->delivered & ship->all_mask) == ship->all_mask)
			segment_complete(ship, (size_t)(seg - ship->ready.v));
	}
	return true;
}

static void scan_sent(struct ship *ship)
{
	DIR *d = opendir(ship->sent_dir);
	struct dirent *e;

	ship->sent.count = 0;
	ship->sent.bytes = 0;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		uint64_t seq;
		bool is_new;

		if (!ship_segment_name_valid(e->d_name, &seq))
			continue;
		snprintf(path, sizeof(path), "%s/%s", ship->sent_dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			seg_insert(&ship->sent, e->d_name, seq, (uint64_t)st.st_size, &is_new);
	}
	closedir(d);
}

void ship_rescan(struct ship *ship)
{
	DIR *d = opendir(ship->ready_dir);
	struct dirent *e;
	unsigned int ignored = 0;

	ship->scan_gen++;
	ship->next_rescan_ms = now_ms() + ship->params.rescan_interval_ms;
	if (d == NULL) {
		ship->fs_errors++;
		ctl_log(CTL_LOG_ERR, "cannot read %s: %s", ship->ready_dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!consider_ready(ship, e->d_name) && e->d_name[0] != '.' &&
		    strstr(e->d_name, ".part") == NULL)
			ignored++;
	}
	closedir(d);
	/* Files someone else removed from ready/ are forgotten (and their uploads stopped). */
	for (size_t i = ship->ready.count; i-- > 0;) {
		if (ship->ready.v[i].seen_scan == ship->scan_gen)
			continue;
		for (unsigned int c = 0; c < ship->collector_count; c++)
			if (strcmp(ship->collectors[c].current, ship->ready.v[i].name) == 0)
				abort_upload(ship, &ship->collectors[c]);
		ctl_log(CTL_LOG_WARN, "%s vanished from ready/", ship->ready.v[i].name);
		seg_remove_at(&ship->ready, i);
	}
	if (ignored > ship->ignored_now)
		ship->files_ignored += ignored - ship->ignored_now;
	ship->ignored_now = ignored;
	scan_sent(ship);
	discard_oldest(ship);
}

/* Remove markers of segments that are no longer in ready/ (finished while we were down). */
static void sweep_markers(struct ship *ship)
{
	DIR *d = opendir(ship->state_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char seg[SEG_NAME_MAX], path[PATH_MAX];
		const char *lz4 = strstr(e->d_name, ".ndjson.lz4.");
		size_t n;

		if (lz4 == NULL)
			continue;
		n = (size_t)(lz4 - e->d_name) + strlen(".ndjson.lz4");
		if (n >= sizeof(seg))
			continue;
		memcpy(seg, e->d_name, n);
		seg[n] = '\0';
		if (seg_lookup(&ship->ready, seg) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", ship->state_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static void drain_inotify(struct ship *ship)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool need_quota = false;
	ssize_t n;

	while ((n = read(ship->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				ship->inotify_overflows++;
				ship_rescan(ship);
			} else if (ev->len > 0 && (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE))) {
				/* Other files are counted by the next rescan, once each. */
				if (consider_ready(ship, ev->name))
					need_quota = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (need_quota)
		discard_oldest(ship);
}

/* ---- life cycle ---- */

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct ship *ship_create(const struct ship_params *params)
{
	const struct dnsift_conf *conf = params->conf;
	struct ship *ship = calloc(1, sizeof(*ship));
	int saved;

	if (ship == NULL)
		return NULL;
	ship->conf = conf;
	ship->params = *params;
	if (ship->params.rescan_interval_ms == 0)
		ship->params.rescan_interval_ms = 10000;
	if (ship->params.low_speed_time_s == 0)
		ship->params.low_speed_time_s = 30;
	ship->inotify_fd = -1;
	snprintf(ship->ready_dir, sizeof(ship->ready_dir), "%s/ready", conf->spool_dir);
	snprintf(ship->sent_dir, sizeof(ship->sent_dir), "%s/sent", conf->spool_dir);
	snprintf(ship->state_dir, sizeof(ship->state_dir), "%s/ship-state", conf->spool_dir);
	if (mkdir_p(ship->ready_dir, 0750) != 0 || mkdir_p(ship->state_dir, 0750) != 0 ||
	    (conf->spool_keep_sent && mkdir_p(ship->sent_dir, 0750) != 0)) {
		saved = errno;
		ctl_log(CTL_LOG_ERR, "cannot create spool directories under %s: %s",
			conf->spool_dir, strerror(errno));
		goto fail;
	}
	ship->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ship->inotify_fd < 0 ||
	    inotify_add_watch(ship->inotify_fd, ship->ready_dir,
			      IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		saved = errno;
		ctl_log(CTL_LOG_ERR, "inotify on %s: %s", ship->ready_dir, strerror(errno));
		goto fail;
	}
	ship->multi = curl_multi_init();
	if (ship->multi == NULL) {
		saved = ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < conf->collector_header_count; i++) {
		struct curl_slist *h = curl_slist_append(ship->headers, conf->collector_header[i]);

		if (h == NULL) {
			saved = ENOMEM;
			goto fail;
		}
		ship->headers = h;
	}
	ship->collector_count = conf->collector_count;
	ship->collectors = calloc(conf->collector_count ? conf->collector_count : 1,
				  sizeof(*ship->collectors));
	if (ship->collectors == NULL) {
		saved = ENOMEM;
		goto fail;
	}
	for (unsigned int c = 0; c < ship->collector_count; c++) {
		ship->collectors[c].url = conf->collector[c];
		url_hash(conf->collector[c], ship->collectors[c].hash);
		ship->all_mask |= 1u << c;
	}
	ship_rescan(ship);
	sweep_markers(ship);
	kick(ship);
	return ship;
fail:
	ship_free(ship);
	errno = saved;
	return NULL;
}

void ship_free(struct ship *ship)
{
	if (ship == NULL)
		return;
	for (unsigned int c = 0; c < ship->collector_count && ship->collectors; c++)
		abort_upload(ship, &ship->collectors[c]);
	if (ship->multi)
		curl_multi_cleanup(ship->multi);
	curl_slist_free_all(ship->headers);
	if (ship->inotify_fd >= 0)
		close(ship->inotify_fd);
	free(ship->collectors);
	free(ship->ready.v);
	free(ship->sent.v);
	free(ship);
}

int ship_poll(struct ship *ship, struct curl_waitfd *extra, unsigned int extra_count,
	      int timeout_ms)
{
	struct curl_waitfd *fds = extra;
	struct curl_waitfd local[65];
	uint64_t now = now_ms(), due = ship->next_rescan_ms;
	unsigned int n = extra_count;
	int running, numfds = 0, queued;
	CURLMsg *msg;
	CURLMcode mc;

	/* The inotify descriptor rides along with the caller's. */
	if (extra_count < sizeof(local) / sizeof(local[0])) {
		memcpy(local, extra, extra_count * sizeof(*extra));
		local[n].fd = ship->inotify_fd;
		local[n].events = CURL_WAIT_POLLIN;
		local[n].revents = 0;
		n++;
		fds = local;
	}
	for (unsigned int c = 0; c < ship->collector_count; c++)
		if (ship->collectors[c].state == COLLECTOR_BACKOFF &&
		    ship->collectors[c].next_retry_ms < due)
			due = ship->collectors[c].next_retry_ms;
	if (due <= now)
		timeout_ms = 0;
	else if (due - now < (uint64_t)timeout_ms)
		timeout_ms = (int)(due - now);
	mc = curl_multi_poll(ship->multi, fds, n, timeout_ms, &numfds);
	if (mc != CURLM_OK) {
		ctl_log(CTL_LOG_ERR, "curl_multi_poll: %s", curl_multi_strerror(mc));
		return -DNSIFT_EIO;
	}
	if (fds == local) {
		memcpy(extra, local, extra_count * sizeof(*extra));
		if (local[extra_count].revents)
			drain_inotify(ship);
	} else {
		drain_inotify(ship);
	}
	curl_multi_perform(ship->multi, &running);
	while ((msg = curl_multi_info_read(ship->multi, &queued)) != NULL) {
		struct collector *col = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&col);
		if (col)
			upload_done(ship, col, msg->data.result);
	}
	if (now_ms() >= ship->next_rescan_ms)
		ship_rescan(ship);
	kick(ship);
	return 0;
}

/* ---- reports ---- */

void ship_report_counters(const struct ship *ship, struct ctl_report *r)
{
	uint64_t shipped = 0, bytes = 0, failures = 0, resends = 0;

	for (unsigned int c = 0; c < ship->collector_count; c++) {
		shipped += ship->collectors[c].shipped;
		bytes += ship->collectors[c].shipped_bytes;
		failures += ship->collectors[c].failures;
		resends += ship->collectors[c].resends;
	}
	ctl_report_u64(r, "control.segments_seen", ship->segments_seen);
	ctl_report_u64(r, "control.segments_completed", ship->segments_completed);
	ctl_report_u64(r, "control.uploads_ok", shipped);
	ctl_report_u64(r, "control.uploads_failed", failures);
	ctl_report_u64(r, "control.uploads_resent", resends);
	ctl_report_u64(r, "control.bytes_shipped", bytes);
	ctl_report_u64(r, "control.spool_ready_segments", ship->ready.count);
	ctl_report_u64(r, "control.spool_ready_bytes", ship->ready.bytes);
	ctl_report_u64(r, "control.spool_sent_segments", ship->sent.count);
	ctl_report_u64(r, "control.spool_sent_bytes", ship->sent.bytes);
	ctl_report_u64(r, "control.spool_quota_bytes", ship->conf->spool_quota);
	ctl_report_u64(r, "control.discarded_unshipped_segments", ship->discarded_ready);
	ctl_report_u64(r, "control.discarded_unshipped_bytes", ship->discarded_ready_bytes);
	ctl_report_u64(r, "control.discarded_sent_segments", ship->discarded_sent);
	ctl_report_u64(r, "control.discarded_sent_bytes", ship->discarded_sent_bytes);
	ctl_report_u64(r, "control.files_ignored", ship->files_ignored);
	ctl_report_u64(r, "control.inotify_overflows", ship->inotify_overflows);
	ctl_report_u64(r, "control.spool_fs_errors", ship->fs_errors);
}

void ship_report_collectors(const struct ship *ship, struct ctl_report *r)
{
	uint64_t now = now_ms();
	char name[64];

	ctl_report_u64(r, "collectors", ship->collector_count);
	for (unsigned int c = 0; c < ship->collector_count; c++) {
		const struct collector *col = &ship->collectors[c];
		uint64_t queued = 0;

		for (size_t i = 0; i < ship->ready.count; i++)
			if (!(ship->ready.v[i].delivered & (1u << c)))
				queued++;
#define KEY(k) (snprintf(name, sizeof(name), "collector.%u." k, c), name)
		ctl_report_str(r, KEY("url"), col->url);
		ctl_report_str(r, KEY("state"), state_names[col->state]);
		ctl_report_u64(r, KEY("queued"), queued);
		ctl_report_u64(r, KEY("shipped"), col->shipped);
		ctl_report_u64(r, KEY("shipped_bytes"), col->shipped_bytes);
		ctl_report_u64(r, KEY("failures"), col->failures);
		ctl_report_u64(r, KEY("consecutive_failures"), col->consecutive_failures);
		ctl_report_u64(r, KEY("resent"), col->resends);
		ctl_report_u64(r, KEY("next_retry_ms"),
			       col->state == COLLECTOR_BACKOFF && col->next_retry_ms > now ?
			       col->next_retry_ms - now : 0);
		ctl_report_str(r, KEY("current"), col->current);
		ctl_report_str(r, KEY("last_error"), col->last_error);
#undef KEY
	}
}

void ship_report_spool(const struct ship *ship, struct ctl_report *r)
{
	ctl_report_str(r, "spool.dir", ship->conf->spool_dir);
	ctl_report_u64(r, "spool.ready_segments", ship->ready.count);
	ctl_report_u64(r, "spool.ready_bytes", ship->ready.bytes);
	ctl_report_u64(r, "spool.sent_segments", ship->sent.count);
	ctl_report_u64(r, "spool.sent_bytes", ship->sent.bytes);
	ctl_report_u64(r, "spool.quota_bytes", ship->conf->spool_quota);
	ctl_report_u64(r, "spool.keep_sent", ship->conf->spool_keep_sent);
	ctl_report_u64(r, "spool.discarded_unshipped_segments", ship->discarded_ready);
	ctl_report_u64(r, "spool.discarded_unshipped_bytes", ship->discarded_ready_bytes);
	ctl_report_u64(r, "spool.discarded_sent_segments", ship->discarded_sent);
	ctl_report_u64(r, "spool.discarded_sent_bytes", ship->discarded_sent_bytes);
	ctl_report_u64(r, "spool.ignored_files", ship->ignored_now);
}
