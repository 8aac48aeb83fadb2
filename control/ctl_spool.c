/* SPDX-License-Identifier: BSD-3-Clause */
/* Spool keeper: ready/ and sent/ lists, delivery markers, quota (see ctl_spool.h). */
#include "control/ctl_spool.h"

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
#include <unistd.h>

#include "control/ctl_log.h"
#include "control/ctl_time.h"

struct seg_list {
	struct spool_segment *v;
	size_t count, alloc;
	uint64_t bytes;
};

struct spool {
	const struct dnsift_conf *conf;
	struct spool_params params;
	char ready_dir[CONF_PATH_MAX + 16], sent_dir[CONF_PATH_MAX + 16];
	char state_dir[CONF_PATH_MAX + 16];
	int inotify_fd;
	unsigned int collector_count;
	char collector_hash[CONF_MAX_COLLECTORS][17];	/* names collectors in markers */
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

bool spool_segment_name_valid(const char *name, uint64_t *seq)
{
	static const char suffix[] = ".ndjson.lz4";
	const char *p = name, *dot;
	uint64_t s = 0;
	size_t len = strlen(name);

	if (len >= SPOOL_NAME_MAX || len < sizeof(suffix) || strcmp(name + len - (sizeof(suffix) - 1),
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

static int seg_cmp(uint64_t seq, const char *name, const struct spool_segment *s)
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

static struct spool_segment *seg_lookup(const struct seg_list *l, const char *name)
{
	uint64_t seq;
	bool found;
	size_t i;

	if (!spool_segment_name_valid(name, &seq))
		return NULL;
	i = seg_find(l, seq, name, &found);
	return found ? &l->v[i] : NULL;
}

static struct spool_segment *seg_insert(struct seg_list *l, const char *name, uint64_t seq,
				  uint64_t size, bool *is_new)
{
	bool found;
	size_t i = seg_find(l, seq, name, &found);

	*is_new = !found;
	if (found)
		return &l->v[i];
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 64;
		struct spool_segment *v = realloc(l->v, n * sizeof(*v));

		if (v == NULL)
			return NULL;
		l->v = v;
		l->alloc = n;
	}
	memmove(&l->v[i + 1], &l->v[i], (l->count - i) * sizeof(struct spool_segment));
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
	memmove(&l->v[i], &l->v[i + 1], (l->count - i - 1) * sizeof(struct spool_segment));
	l->count--;
}

/* ---- marker files ---- */

static void marker_path(const struct spool *spool, const char *seg, const char *hash,
			const char *kind, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.%s.%s", spool->state_dir, seg, hash, kind);
}

static bool marker_exists(const struct spool *spool, const char *seg, const char *hash,
			  const char *kind)
{
	char path[PATH_MAX];

	marker_path(spool, seg, hash, kind, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static void marker_set(struct spool *spool, const char *seg, const char *hash, const char *kind)
{
	char path[PATH_MAX];
	int fd;

	marker_path(spool, seg, hash, kind, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		/* Losing a marker costs a harmless re-send, not data: log and go on. */
		spool->fs_errors++;
		ctl_log(CTL_LOG_WARN, "cannot create %s: %s", path, strerror(errno));
		return;
	}
	close(fd);
}

static void marker_clear(struct spool *spool, const char *seg, const char *hash, const char *kind)
{
	char path[PATH_MAX];

	marker_path(spool, seg, hash, kind, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT) {
		spool->fs_errors++;
		ctl_log(CTL_LOG_WARN, "cannot remove %s: %s", path, strerror(errno));
	}
}

static void markers_clear_all(struct spool *spool, const char *seg)
{
	for (unsigned int c = 0; c < spool->collector_count; c++) {
		marker_clear(spool, seg, spool->collector_hash[c], "done");
		marker_clear(spool, seg, spool->collector_hash[c], "inflight");
	}
}

/* A segment's every copy is delivered: take it out of ready/. */
static void segment_complete(struct spool *spool, size_t index)
{
	struct spool_segment seg = spool->ready.v[index];
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", spool->ready_dir, seg.name);
	if (spool->conf->spool_keep_sent) {
		snprintf(to, sizeof(to), "%s/%s", spool->sent_dir, seg.name);
		if (rename(from, to) == 0) {
			bool is_new;

			seg_insert(&spool->sent, seg.name, seg.seq, seg.size, &is_new);
		} else {
			spool->fs_errors++;
			ctl_log(CTL_LOG_ERR, "cannot move %s to sent/: %s", seg.name,
				strerror(errno));
			return;
		}
	} else if (unlink(from) != 0 && errno != ENOENT) {
		spool->fs_errors++;
		ctl_log(CTL_LOG_ERR, "cannot remove shipped %s: %s", seg.name, strerror(errno));
		return;
	}
	seg_remove_at(&spool->ready, index);
	markers_clear_all(spool, seg.name);
	spool->segments_completed++;
	ctl_log(CTL_LOG_DEBUG, "%s delivered to every collector", seg.name);
}

/* ---- spool scanning and quota ---- */

static void discard_oldest(struct spool *spool)
{
	while (spool->ready.bytes + spool->sent.bytes > spool->conf->spool_quota) {
		bool from_sent = spool->sent.count > 0;
		struct seg_list *l = from_sent ? &spool->sent : &spool->ready;
		const char *dir = from_sent ? spool->sent_dir : spool->ready_dir;
		struct spool_segment seg;
		char path[PATH_MAX];

		if (l->count == 0)
			break;
		seg = l->v[0];
		if (!from_sent)
			spool->params.forget(spool->params.forget_arg, seg.name);
		snprintf(path, sizeof(path), "%s/%s", dir, seg.name);
		if (unlink(path) != 0 && errno != ENOENT) {
			spool->fs_errors++;
			ctl_log(CTL_LOG_ERR, "quota: cannot remove %s: %s", path, strerror(errno));
			/* Forget it anyway, or one unremovable file would spin this loop. */
		}
		seg_remove_at(l, 0);
		if (from_sent) {
			spool->discarded_sent++;
			spool->discarded_sent_bytes += seg.size;
		} else {
			spool->discarded_ready++;
			spool->discarded_ready_bytes += seg.size;
			markers_clear_all(spool, seg.name);
		}
		ctl_log(from_sent ? CTL_LOG_INFO : CTL_LOG_WARN,
			"spool over quota (%" PRIu64 " bytes): discarded %s%s (%" PRIu64 " bytes)",
			spool->conf->spool_quota, from_sent ? "sent/" : "unshipped ready/",
			seg.name, seg.size);
	}
}

/* Take one file name seen in ready/; returns true when it is a (new or known) segment. */
static bool consider_ready(struct spool *spool, const char *name)
{
	char path[PATH_MAX];
	struct spool_segment *seg;
	struct stat st;
	uint64_t seq;
	bool is_new;

	if (name[0] == '.' || !spool_segment_name_valid(name, &seq))
		return false;
	snprintf(path, sizeof(path), "%s/%s", spool->ready_dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	seg = seg_insert(&spool->ready, name, seq, (uint64_t)st.st_size, &is_new);
	if (seg == NULL) {
		ctl_log(CTL_LOG_ERR, "out of memory tracking %s", name);
		return true;
	}
	seg->seen_scan = spool->scan_gen;
	if (is_new) {
		spool->segments_seen++;
		for (unsigned int c = 0; c < spool->collector_count; c++)
			if (marker_exists(spool, name, spool->collector_hash[c], "done"))
				seg->delivered |= 1u << c;
		ctl_log(CTL_LOG_DEBUG, "new segment %s (%" PRIu64 " bytes)", name, seg->size);
		/* A segment every collector already has (a restart between the last
		 * delivery and the removal) is finished now. With no collector at all
		 * segments wait in ready/ under the quota. */
		if (spool->collector_count > 0 &&
		    (seg->delivered & spool->all_mask) == spool->all_mask)
			segment_complete(spool, (size_t)(seg - spool->ready.v));
	}
	return true;
}

static void scan_sent(struct spool *spool)
{
	DIR *d = opendir(spool->sent_dir);
	struct dirent *e;

	spool->sent.count = 0;
	spool->sent.bytes = 0;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		uint64_t seq;
		bool is_new;

		if (!spool_segment_name_valid(e->d_name, &seq))
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool->sent_dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			seg_insert(&spool->sent, e->d_name, seq, (uint64_t)st.st_size, &is_new);
	}
	closedir(d);
}

void spool_rescan(struct spool *spool)
{
	DIR *d = opendir(spool->ready_dir);
	struct dirent *e;
	unsigned int ignored = 0;

	spool->scan_gen++;
	spool->next_rescan_ms = ctl_mono_ms() + spool->params.rescan_interval_ms;
	if (d == NULL) {
		spool->fs_errors++;
		ctl_log(CTL_LOG_ERR, "cannot read %s: %s", spool->ready_dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!consider_ready(spool, e->d_name) && e->d_name[0] != '.' &&
		    strstr(e->d_name, ".part") == NULL)
			ignored++;
	}
	closedir(d);
	/* Files someone else removed from ready/ are forgotten (and their uploads stopped). */
	for (size_t i = spool->ready.count; i-- > 0;) {
		if (spool->ready.v[i].seen_scan == spool->scan_gen)
			continue;
		spool->params.forget(spool->params.forget_arg, spool->ready.v[i].name);
		ctl_log(CTL_LOG_WARN, "%s vanished from ready/", spool->ready.v[i].name);
		seg_remove_at(&spool->ready, i);
	}
	if (ignored > spool->ignored_now)
		spool->files_ignored += ignored - spool->ignored_now;
	spool->ignored_now = ignored;
	scan_sent(spool);
	discard_oldest(spool);
}

void spool_sweep_markers(struct spool *spool)
{
	DIR *d = opendir(spool->state_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char seg[SPOOL_NAME_MAX], path[PATH_MAX];
		const char *lz4 = strstr(e->d_name, ".ndjson.lz4.");
		size_t n;

		if (lz4 == NULL)
			continue;
		n = (size_t)(lz4 - e->d_name) + strlen(".ndjson.lz4");
		if (n >= sizeof(seg))
			continue;
		memcpy(seg, e->d_name, n);
		seg[n] = '\0';
		if (seg_lookup(&spool->ready, seg) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool->state_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

void spool_drain_events(struct spool *spool)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool need_quota = false;
	ssize_t n;

	while ((n = read(spool->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				spool->inotify_overflows++;
				spool_rescan(spool);
			} else if (ev->len > 0 && (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE))) {
				/* Other files are counted by the next rescan, once each. */
				if (consider_ready(spool, ev->name))
					need_quota = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (need_quota)
		discard_oldest(spool);
}

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

/* ---- life cycle ---- */

struct spool *spool_create(const struct spool_params *params)
{
	const struct dnsift_conf *conf = params->conf;
	struct spool *spool;
	int saved;

	if (conf->collector_count > CONF_MAX_COLLECTORS || params->forget == NULL) {
		errno = EINVAL;
		return NULL;
	}
	spool = calloc(1, sizeof(*spool));
	if (spool == NULL)
		return NULL;
	spool->conf = conf;
	spool->params = *params;
	spool->inotify_fd = -1;
	snprintf(spool->ready_dir, sizeof(spool->ready_dir), "%s/ready", conf->spool_dir);
	snprintf(spool->sent_dir, sizeof(spool->sent_dir), "%s/sent", conf->spool_dir);
	snprintf(spool->state_dir, sizeof(spool->state_dir), "%s/ship-state", conf->spool_dir);
	if (mkdir_p(spool->ready_dir, 0750) != 0 || mkdir_p(spool->state_dir, 0750) != 0 ||
	    (conf->spool_keep_sent && mkdir_p(spool->sent_dir, 0750) != 0)) {
		saved = errno;
		ctl_log(CTL_LOG_ERR, "cannot create spool directories under %s: %s",
			conf->spool_dir, strerror(errno));
		goto fail;
	}
	spool->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (spool->inotify_fd < 0 ||
	    inotify_add_watch(spool->inotify_fd, spool->ready_dir,
			      IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		saved = errno;
		ctl_log(CTL_LOG_ERR, "inotify on %s: %s", spool->ready_dir, strerror(errno));
		goto fail;
	}
	spool->collector_count = conf->collector_count;
	for (unsigned int c = 0; c < spool->collector_count; c++) {
		url_hash(conf->collector[c], spool->collector_hash[c]);
		spool->all_mask |= 1u << c;
	}
	return spool;
fail:
	spool_free(spool);
	errno = saved;
	return NULL;
}

void spool_free(struct spool *spool)
{
	if (spool == NULL)
		return;
	if (spool->inotify_fd >= 0)
		close(spool->inotify_fd);
	free(spool->ready.v);
	free(spool->sent.v);
	free(spool);
}

int spool_event_fd(const struct spool *spool)
{
	return spool->inotify_fd;
}

uint64_t spool_next_rescan_ms(const struct spool *spool)
{
	return spool->next_rescan_ms;
}

/* ---- what the transport sees and says ---- */

size_t spool_ready_count(const struct spool *spool)
{
	return spool->ready.count;
}

const struct spool_segment *spool_ready_at(const struct spool *spool, size_t index)
{
	return &spool->ready.v[index];
}

struct spool_segment *spool_ready_lookup(struct spool *spool, const char *name)
{
	return seg_lookup(&spool->ready, name);
}

const char *spool_ready_dir(const struct spool *spool)
{
	return spool->ready_dir;
}

void spool_delivered(struct spool *spool, struct spool_segment *seg, unsigned int collector)
{
	marker_set(spool, seg->name, spool->collector_hash[collector], "done");
	seg->delivered |= 1u << collector;
}

void spool_complete_if_delivered(struct spool *spool, struct spool_segment *seg)
{
	if (spool->collector_count > 0 && (seg->delivered & spool->all_mask) == spool->all_mask)
		segment_complete(spool, (size_t)(seg - spool->ready.v));
}

bool spool_inflight_begin(struct spool *spool, const char *name, unsigned int collector)
{
	if (marker_exists(spool, name, spool->collector_hash[collector], "inflight"))
		return true;
	marker_set(spool, name, spool->collector_hash[collector], "inflight");
	return false;
}

void spool_inflight_end(struct spool *spool, const char *name, unsigned int collector)
{
	marker_clear(spool, name, spool->collector_hash[collector], "inflight");
}

/* ---- counters ---- */

void spool_stats(const struct spool *spool, struct spool_stats *out)
{
	out->segments_seen = spool->segments_seen;
	out->segments_completed = spool->segments_completed;
	out->files_ignored = spool->files_ignored;
	out->inotify_overflows = spool->inotify_overflows;
	out->ready_segments = spool->ready.count;
	out->ready_bytes = spool->ready.bytes;
	out->sent_segments = spool->sent.count;
	out->sent_bytes = spool->sent.bytes;
	out->discarded_ready = spool->discarded_ready;
	out->discarded_ready_bytes = spool->discarded_ready_bytes;
	out->discarded_sent = spool->discarded_sent;
	out->discarded_sent_bytes = spool->discarded_sent_bytes;
	out->fs_errors = spool->fs_errors;
	out->ignored_now = spool->ignored_now;
}
void spool_report(const struct spool *spool, struct ctl_report *r)
{
	ctl_report_str(r, "spool.dir", spool->conf->spool_dir);
	ctl_report_u64(r, "spool.ready_segments", spool->ready.count);
	ctl_report_u64(r, "spool.ready_bytes", spool->ready.bytes);
	ctl_report_u64(r, "spool.sent_segments", spool->sent.count);
	ctl_report_u64(r, "spool.sent_bytes", spool->sent.bytes);
	ctl_report_u64(r, "spool.quota_bytes", spool->conf->spool_quota);
	ctl_report_u64(r, "spool.keep_sent", spool->conf->spool_keep_sent);
	ctl_report_u64(r, "spool.discarded_unshipped_segments", spool->discarded_ready);
	ctl_report_u64(r, "spool.discarded_unshipped_bytes", spool->discarded_ready_bytes);
	ctl_report_u64(r, "spool.discarded_sent_segments", spool->discarded_sent);
	ctl_report_u64(r, "spool.discarded_sent_bytes", spool->discarded_sent_bytes);
	ctl_report_u64(r, "spool.ignored_files", spool->ignored_now);
}
