/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/ingest: see ingest.h.
 */
#include "db/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/cof_read.h"
#include "segment/seg.h"

#define INGEST_DEFAULT_BATCH	(1u << 20)
#define SUFFIX			".ndjson.lz4"

struct seen_seg {
	char sensor_id[SEG_SENSOR_ID_MAX + 1];
	uint64_t seq;
};

/* Files already handled under watch, so a rescan does not offer them again. */
struct handled {
	char *path;
	uint64_t size;
	int64_t mtime;
};

struct ingest {
	struct ingest_params p;
	struct db_batch *batch;
	uint64_t batch_opened_ms;	/* when the batch got its first segment */
	struct seen_seg *inbatch;	/* segments of the open batch */
	size_t ninbatch, capinbatch;
	struct seen_seg *inflight;	/* segments of the batch being committed (async) */
	size_t ninflight, capinflight;
	struct cof_reader *cof;
	struct ingest_stats st;
	struct handled *hd;
	size_t nhd, caphd;
	/* per segment being read */
	uint64_t seg_records, seg_count_sum, seg_unmatched, seg_bad;
	uint64_t seg_bad_by[DNSIFT_E_COUNT];
	int line_err;
	uint64_t line_no;
	char line_why[200];
	int store_err;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ingest *ingest_create(const struct ingest_params *p)
{
	struct ingest *in;

	if (!p || !p->store || !p->quarantine_dir) {
		errno = EINVAL;
		return NULL;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		errno = ENOMEM;
		return NULL;
	}
	in->p = *p;
	if (!in->p.batch_entries)
		in->p.batch_entries = INGEST_DEFAULT_BATCH;
	if (!in->p.freshness_ms)
		in->p.freshness_ms = 10000;
	if (!in->p.rescan_ms)
		in->p.rescan_ms = 5000;
	if (!in->p.log)
		in->p.log = stderr;
	in->cof = cof_reader_create();
	if (!in->cof) {
		free(in);
		errno = ENOMEM;
		return NULL;
	}
	return in;
}

/* The batch in flight is done (or failed): its segments are the store's now. */
static int sync_inflight(struct ingest *in)
{
	int rc = db_store_sync(in->p.store);

	if (in->ninflight && rc == 0)
		in->st.batches++;
	in->ninflight = 0;
	if (rc)
		fprintf(in->p.log, "dnsift-db: commit failed: %s\n", dnsift_strerror(rc));
	return rc;
}

int ingest_flush(struct ingest *in)
{
	int rc = sync_inflight(in);

	if (rc || !in->batch)
		return rc;
	rc = db_batch_commit(in->batch);
	in->batch = NULL;
	in->ninbatch = 0;
	if (rc) {
		fprintf(in->p.log, "dnsift-db: commit failed: %s\n", dnsift_strerror(rc));
		return rc;
	}
	in->st.batches++;
	if (in->p.compact && db_store_compact(in->p.store, false) != 0)
		in->st.compactions_failed++;
	return 0;
}

/*
 * A full batch: commit it in the store's committer thread while the next one fills
 * (both cores busy). Its segments stay known here until it is in.
 */
static int flush_async(struct ingest *in)
{
	int rc = sync_inflight(in);
	struct seen_seg *t;
	size_t tc;

	if (rc)
		return rc;
	/* Swap the lists: the open batch's segments become the in-flight ones. */
	t = in->inflight;
	tc = in->capinflight;
	in->inflight = in->inbatch;
	in->capinflight = in->capinbatch;
	in->ninflight = in->ninbatch;
	in->inbatch = t;
	in->capinbatch = tc;
	in->ninbatch = 0;
	rc = db_batch_commit_async(in->batch);
	in->batch = NULL;
	if (rc) {
		in->ninflight = 0;
		fprintf(in->p.log, "dnsift-db: commit failed: %s\n", dnsift_strerror(rc));
	}
	return rc;
}

int ingest_free(struct ingest *in)
{
	int rc;

	if (!in)
		return 0;
	rc = ingest_flush(in);
	cof_reader_free(in->cof);
	for (size_t i = 0; i < in->caphd; i++)
		free(in->hd[i].path);
	free(in->hd);
	free(in->inbatch);
	free(in->inflight);
	free(in);
	return rc;
}

static int ensure_batch(struct ingest *in)
{
	if (in->batch)
		return 0;
	in->batch = db_batch_begin(in->p.store);
	if (!in->batch)
		return errno == ENOMEM ? -DNSIFT_ENOMEM : -DNSIFT_EINVAL;
	in->batch_opened_ms = 0;
	return 0;
}

static bool in_batch(const struct ingest *in, const char *sid, uint64_t seq)
{
	for (size_t i = 0; i < in->ninbatch; i++)
		if (in->inbatch[i].seq == seq && strcmp(in->inbatch[i].sensor_id, sid) == 0)
			return true;
	for (size_t i = 0; i < in->ninflight; i++)
		if (in->inflight[i].seq == seq && strcmp(in->inflight[i].sensor_id, sid) == 0)
			return true;
	return false;
}

static bool is_known(struct ingest *in, const char *sid, uint64_t seq)
{
	return in_batch(in, sid, seq) || db_store_has_segment(in->p.store, sid, seq);
}

static int note_duplicate(struct ingest *in, const char *sid, uint64_t seq)
{
	int rc = ensure_batch(in);

	in->st.duplicates++;
	return rc ? rc : db_batch_add_duplicate(in->batch, sid, seq);
}

/* seg_read_file callback: one record line. */
static int on_line(void *arg, const char *line, size_t len)
{
	struct ingest *in = arg;
	struct cof_line cl;
	int rc;

	in->line_no++;
	rc = cof_read_line(in->cof, line, len, &cl, in->line_why, sizeof(in->line_why));
	if (rc == -DNSIFT_EDB_COF_SYNTAX || rc == -DNSIFT_EDB_COF_FIELD || rc == -DNSIFT_ENOMEM) {
		in->line_err = rc;
		return 1;	/* the segment is bad: stop reading it */
	}
	if (rc == 0)
		rc = db_batch_add(in->batch, &cl.rec);
	if (rc == -DNSIFT_ENOMEM) {
		in->store_err = rc;
		return 1;
	}
	if (rc) {
		int code = rc < 0 ? -rc : rc;

		in->seg_bad++;
		if (code < DNSIFT_E_COUNT)
			in->seg_bad_by[code]++;
		return 0;
	}
	in->seg_records++;
	in->seg_count_sum += cl.rec.count;
	if (cl.unmatched)
		in->seg_unmatched++;
	return 0;
}

/* The "drops" object of a tail's JSON text, copied into out ("" when absent). */
static void tail_drops(const char *tail, char *out, size_t size)
{
	const char *p = strstr(tail, "\"drops\":");
	size_t i, depth = 0;
	bool str = false;

	out[0] = 0;
	if (!p)
		return;
	p += 8;
	while (*p == ' ')
		p++;
	if (*p != '{')
		return;
	for (i = 0; p[i]; i++) {
		char c = p[i];

		if (str) {
			if (c == '\\' && p[i + 1])
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '{')
			depth++;
		else if (c == '}' && --depth == 0)
			break;
	}
	if (!p[i] || i + 2 > size)
		return;
	memcpy(out, p, i + 1);
	out[i + 1] = 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;
	int rc = 0;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0 || fsync(out) != 0)
		rc = -1;
	close(in);
	close(out);
	return rc;
}

static void quarantine(struct ingest *in, const char *path, const char *reason)
{
	const char *base = strrchr(path, '/');
	char dst[PATH_MAX], rpath[PATH_MAX];
	FILE *f;

	base = base ? base + 1 : path;
	in->st.quarantined++;
	fprintf(in->p.log, "dnsift-db: quarantined %s: %s\n", path, reason);
	if (mkdir(in->p.quarantine_dir, 0755) != 0 && errno != EEXIST) {
		in->st.errors++;
		return;
	}
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", in->p.quarantine_dir, base) >= sizeof(dst) ||
	    (size_t)snprintf(rpath, sizeof(rpath), "%s.reason", dst) >= sizeof(rpath)) {
		in->st.errors++;
		return;
	}
	/* The reason first: a segment in quarantine always has its reason beside it. */
	f = fopen(rpath, "w");
	if (f) {
		fprintf(f, "%s\n%s\n", path, reason);
		fclose(f);
	}
	if (rename(path, dst) != 0) {
		if (errno != EXDEV || copy_file(path, dst) != 0 || unlink(path) != 0)
			in->st.errors++;
	}
}

static int ingest_file(struct ingest *in, const char *path)
{
	const char *base = strrchr(path, '/');
	char sid[SEG_SENSOR_ID_MAX + 1];
	uint64_t seq, ot;
	struct seg_info *info;
	struct seg_error err;
	struct db_batch_mark mark;
	int rc;

	base = base ? base + 1 : path;
	in->st.files_seen++;
	/* The name says which segment it is: skip a known one without reading it. */
	if (seg_name_parse(base, sid, &seq, &ot) == 0 && is_known(in, sid, seq))
		return note_duplicate(in, sid, seq);
	rc = ensure_batch(in);
	if (rc)
		return rc;
	info = malloc(sizeof(*info));
	if (!info)
		return -DNSIFT_ENOMEM;
	db_batch_mark(in->batch, &mark);
	in->seg_records = in->seg_count_sum = in->seg_unmatched = in->seg_bad = 0;
	memset(in->seg_bad_by, 0, sizeof(in->seg_bad_by));
	in->line_err = 0;
	in->store_err = 0;
	in->line_no = 0;
	rc = seg_read_file(path, on_line, in, info, &err);
	if (in->store_err) {
		db_batch_rollback(in->batch, &mark);
		free(info);
		return in->store_err;
	}
	if (in->line_err || rc) {
		char reason[512];

		db_batch_rollback(in->batch, &mark);
		if (in->line_err)
			snprintf(reason, sizeof(reason), "%s: record %" PRIu64 ": %s",
				 dnsift_errname(in->line_err), in->line_no, in->line_why);
		else
			snprintf(reason, sizeof(reason), "%s: %s", dnsift_errname(err.code), err.msg);
		if (rc == -DNSIFT_EIO && !in->line_err && access(path, R_OK) != 0) {
			/* Gone or unreadable (e.g. removed while we looked): not the segment's fault. */
			in->st.errors++;
			fprintf(in->p.log, "dnsift-db: %s: %s\n", path, err.msg);
		} else {
			quarantine(in, path, reason);
		}
		free(info);
		return 0;
	}
	/* The head is the authority (the file may have been renamed). */
	if (is_known(in, info->sensor_id, info->seq)) {
		db_batch_rollback(in->batch, &mark);
		rc = note_duplicate(in, info->sensor_id, info->seq);
		free(info);
		return rc;
	}
	char drops[SEG_META_MAX + 1];
	struct db_segment_meta m = {
		.sensor_id = info->sensor_id,
		.seq = info->seq,
		.open_time = info->open_time,
		.close_time = info->close_time,
		.records = info->lines,
		.count_sum = info->lines_count_sum,
		.recovered = info->recovered,
		.ingest_time = (uint64_t)time(NULL),
	};

	tail_drops(info->tail_json, drops, sizeof(drops));
	m.drops_json = drops[0] ? drops : NULL;
	rc = db_batch_add_segment(in->batch, &m);
	if (rc) {
		db_batch_rollback(in->batch, &mark);
		free(info);
		return rc;
	}
	if (in->ninbatch == in->capinbatch) {
		size_t nc = in->capinbatch ? in->capinbatch * 2 : 64;
		struct seen_seg *p = realloc(in->inbatch, nc * sizeof(*p));

		if (!p) {
			free(info);
			return -DNSIFT_ENOMEM;
		}
		in->inbatch = p;
		in->capinbatch = nc;
	}
	snprintf(in->inbatch[in->ninbatch].sensor_id, sizeof(in->inbatch[0].sensor_id), "%s",
		 info->sensor_id);
	in->inbatch[in->ninbatch++].seq = info->seq;
	free(info);
	in->st.segments++;
	in->st.records += in->seg_records;
	in->st.count_sum += in->seg_count_sum;
	in->st.unmatched += in->seg_unmatched;
	in->st.bad_records += in->seg_bad;
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		in->st.bad_by_reason[i] += in->seg_bad_by[i];
	if (!in->batch_opened_ms)
		in->batch_opened_ms = now_ms();
	if (db_batch_entries(in->batch) >= in->p.batch_entries || db_batch_full(in->batch))
		return flush_async(in);
	return 0;
}

static bool segment_name(const char *n)
{
	size_t l = strlen(n), s = strlen(SUFFIX);

	return n[0] != '.' && l > s && strcmp(n + l - s, SUFFIX) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's segment names, sorted. */
static int list_dir(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return -DNSIFT_EIO;
	while ((de = readdir(d))) {
		if (!segment_name(de->d_name))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(v, nc * sizeof(*p));

			if (!p)
				goto nomem;
			v = p;
			cap = nc;
		}
		v[*n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!v[*n])
			goto nomem;
		sprintf(v[*n], "%s/%s", dir, de->d_name);
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	*out = v;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	free(v);
	return -DNSIFT_ENOMEM;
}

static uint64_t path_hash(const char *p)
{
	uint64_t h = 14695981039346656037ull;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 1099511628211ull;
	return h;
}

/* Open addressing over caphd slots (a power of two, at most half full). */
static bool handled_grow(struct ingest *in)
{
	size_t nc = in->caphd ? in->caphd * 2 : 1024;
	struct handled *n = calloc(nc, sizeof(*n));

	if (!n)
		return false;
	for (size_t i = 0; i < in->caphd; i++) {
		if (!in->hd[i].path)
			continue;
		size_t j = path_hash(in->hd[i].path) & (nc - 1);

		while (n[j].path)
			j = (j + 1) & (nc - 1);
		n[j] = in->hd[i];
	}
	free(in->hd);
	in->hd = n;
	in->caphd = nc;
	return true;
}

/*
 * Under watch: true when path was handled already with this size and mtime (a rescan
 * or a second event must not offer it again); otherwise remember it and say false.
 */
static bool handled_check(struct ingest *in, const char *path, bool add, bool settle)
{
	struct stat st;
	size_t j;

	if (stat(path, &st) != 0)
		return true;	/* gone: nothing to do */
	/* A rescan may meet a file still being written in place (cp, a writer that does
	 * not rename): leave it to its close-write event or a later scan rather than
	 * quarantine it as truncated. */
	if (settle && (int64_t)st.st_mtime > (int64_t)time(NULL) - 2)
		return true;
	if (in->nhd * 2 >= in->caphd && !handled_grow(in))
		return false;
	j = path_hash(path) & (in->caphd - 1);
	while (in->hd[j].path) {
		if (strcmp(in->hd[j].path, path) == 0) {
			if (in->hd[j].size == (uint64_t)st.st_size &&
			    in->hd[j].mtime == (int64_t)st.st_mtime)
				return true;
			if (add) {
				in->hd[j].size = (uint64_t)st.st_size;
				in->hd[j].mtime = (int64_t)st.st_mtime;
			}
			return false;
		}
		j = (j + 1) & (in->caphd - 1);
	}
	if (add) {
		in->hd[j].path = strdup(path);
		if (!in->hd[j].path)
			return false;
		in->hd[j].size = (uint64_t)st.st_size;
		in->hd[j].mtime = (int64_t)st.st_mtime;
		in->nhd++;
	}
	return false;
}

static int ingest_dir(struct ingest *in, const char *dir, bool watch)
{
	char **v;
	size_t n;
	int rc = list_dir(dir, &v, &n);

	if (rc) {
		fprintf(in->p.log, "dnsift-db: %s: cannot list: %s\n", dir, strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && (!watch || !handled_check(in, v[i], true, true)))
			rc = ingest_file(in, v[i]);
		free(v[i]);
	}
	free(v);
	return rc;
}

int ingest_path(struct ingest *in, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(in->p.log, "dnsift-db: %s: %s\n", path, strerror(errno));
		in->st.errors++;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return ingest_dir(in, path, false);
	return ingest_file(in, path);
}

int ingest_watch(struct ingest *in, const char *const *dirs, unsigned ndirs,
		 volatile sig_atomic_t *stop)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int *wd = calloc(ndirs ? ndirs : 1, sizeof(*wd));
	uint64_t next_scan = 0;
	int rc = 0;

	if (ifd < 0 || !wd) {
		if (ifd >= 0)
			close(ifd);
		free(wd);
		return -DNSIFT_EIO;
	}
	for (unsigned i = 0; i < ndirs; i++) {
		wd[i] = inotify_add_watch(ifd, dirs[i], IN_CLOSE_WRITE | IN_MOVED_TO);
		if (wd[i] < 0) {
			fprintf(in->p.log, "dnsift-db: watch %s: %s\n", dirs[i], strerror(errno));
			rc = -DNSIFT_EIO;
			goto out;
		}
	}
	while (!*stop && rc == 0) {
		uint64_t now = now_ms();
		bool scan = now >= next_scan;
		char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t len;

		/* Drain events first, so their files are taken now, not at the next scan. */
		while ((len = read(ifd, buf, sizeof(buf))) > 0) {
			for (char *p = buf; p < buf + len;) {
				struct inotify_event *ev = (struct inotify_event *)(void *)p;

				p += sizeof(*ev) + ev->len;
				if (ev->mask & IN_Q_OVERFLOW) {
					scan = true;
					continue;
				}
				if (!ev->len || !segment_name(ev->name))
					continue;
				for (unsigned i = 0; i < ndirs; i++) {
					char path[PATH_MAX];

					if (wd[i] != ev->wd)
						continue;
					if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirs[i],
							     ev->name) >= sizeof(path))
						continue;
					if (!handled_check(in, path, true, false))
						rc = ingest_file(in, path);
				}
			}
		}
		if (scan) {
			for (unsigned i = 0; i < ndirs && rc == 0; i++)
				rc = ingest_dir(in, dirs[i], true);
			next_scan = now_ms() + in->p.rescan_ms;
		}
		if (rc)
			break;
		/* Freshness: the oldest segment of the batch has waited half the budget. */
		uint64_t half = in->p.freshness_ms / 2, wait = 1000;

		if (in->batch && in->batch_opened_ms) {
			uint64_t age = now_ms() - in->batch_opened_ms;

			if (age >= half) {
				rc = ingest_flush(in);
				continue;
			}
			wait = half - age;
		} else if (in->batch && in->ninbatch == 0) {
			/* Only duplicate counts: commit them at leisure, with the rescan. */
			if (scan)
				rc = ingest_flush(in);
		}
		uint64_t to_scan = next_scan > now_ms() ? next_scan - now_ms() : 0;

		if (to_scan < wait)
			wait = to_scan;
		struct pollfd pfd = { .fd = ifd, .events = POLLIN };

		poll(&pfd, 1, (int)(wait > 1000 ? 1000 : wait));
	}
	if (rc == 0)
		rc = ingest_flush(in);
out:
	close(ifd);
	free(wd);
	return rc;
}

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out)
{
	*out = in->st;
}
