/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The segment writer: one producer hands record lines over through a
 * single-producer single-consumer byte ring; the writer thread compresses
 * them into spool/.open/NAME.part, flushes regularly, and rotates closed
 * segments into spool/ready/.
 *
 * Every filesystem step is resumable: when a write, fsync, open or rename
 * fails (ENOSPC above all), the bytes stay in the encoder's output buffer,
 * the writer stops taking records from the ring, and retries the same step
 * every retry interval. The ring then fills and the producer sees
 * -DNSIFT_ELIMIT, so the observations stay upstream in dedup instead of
 * being dropped here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "segment/seg_internal.h"
#include "wire/err.h"

#define RING_HDR	16	/* u32 len, u32 reserved, u64 count */
#define RING_ALIGN	8
#define CACHE_LINE	64
/* Per run_once round: stop taking records after this much input so flush and rotation checks
 * stay timely even when the ring never empties. */
#define ROUND_BYTES	(1U << 20)

enum wstate {
	W_IDLE,		/* no segment open */
	W_OPEN,		/* a segment takes records */
	W_CLOSING,	/* end mark and tail are in the output buffer; then fsync, rename */
};

enum close_step { CLOSE_WRITE, CLOSE_FSYNC, CLOSE_RENAME, CLOSE_DIRSYNC };

struct seg_writer {
	/* ---- set at create, read-only afterwards ---- */
	char *spool;
	char *open_dir;
	char *ready_dir;
	char *seq_path;
	char *seq_tmp;
	char sensor_id[SEG_SENSOR_ID_MAX + 1];
	char hostname[SEG_HOSTNAME_MAX + 1];
	uint64_t max_bytes;
	uint64_t max_age_ms;
	uint64_t flush_ms;
	uint64_t retry_ms;
	uint64_t stop_timeout_ms;
	seg_drops_fn drops_fn;
	void *drops_arg;
	seg_now_fn now_fn;
	void *now_arg;
	uint8_t *ring;
	uint64_t cap;		/* power of two */

	/* ---- producer side ---- */
	_Alignas(CACHE_LINE) _Atomic uint64_t head;	/* bytes ever queued */
	_Atomic uint64_t st_submitted;
	_Atomic uint64_t st_queue_full;

	/* ---- consumer side ---- */
	_Alignas(CACHE_LINE) _Atomic uint64_t tail;	/* bytes ever consumed */

	/* ---- any thread ---- */
	_Alignas(CACHE_LINE) _Atomic uint64_t rotate_req;
	_Atomic int stopping;
	_Atomic uint64_t st_records;
	_Atomic uint64_t st_bytes_in;
	_Atomic uint64_t st_bytes_out;
	_Atomic uint64_t st_segments;
	_Atomic uint64_t st_write_errors;
	_Atomic uint64_t st_enospc;
	_Atomic uint64_t st_recovered;
	_Atomic uint64_t st_recovered_records;
	_Atomic uint64_t st_abandoned;
	_Atomic uint64_t st_seq;
	_Atomic uint64_t st_last_closed;
	_Atomic int st_disk_full;

	/* ---- writer thread only ---- */
	_Alignas(CACHE_LINE) enum wstate state;
	enum close_step close_step;
	struct seg_enc enc;
	int fd;
	uint64_t seq;		/* the open segment's */
	uint64_t next_seq;	/* first unused; persisted in .seq before a segment opens */
	bool seq_persisted;	/* .seq already says next_seq + 1 for this open */
	uint64_t open_ms;
	uint64_t last_flush_ms;
	uint64_t rotate_seen;
	uint64_t seg_records;
	uint64_t seg_count_sum;
	bool failing;		/* in an error episode */
	uint64_t retry_at_ms;
	char name[SEG_NAME_MAX];
	char part_path[PATH_MAX];
	char ready_path[PATH_MAX];
	struct seg_counter drops[SEG_DROPS_MAX];

	pthread_t thread;
	bool started;
	bool stopped;
};

static uint64_t default_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

/* ---- ring ---------------------------------------------------------------------------- */

static void ring_put(struct seg_writer *w, uint64_t pos, const void *src, size_t n)
{
	size_t at = (size_t)(pos & (w->cap - 1));
	size_t first = n < w->cap - at ? n : (size_t)(w->cap - at);

	memcpy(w->ring + at, src, first);
	memcpy(w->ring, (const uint8_t *)src + first, n - first);
}

static void ring_get(const struct seg_writer *w, uint64_t pos, void *dst, size_t n)
{
	size_t at = (size_t)(pos & (w->cap - 1));
	size_t first = n < w->cap - at ? n : (size_t)(w->cap - at);

	memcpy(dst, w->ring + at, first);
	memcpy((uint8_t *)dst + first, w->ring, n - first);
}

static uint64_t ring_entry_size(size_t len)
{
	return (RING_HDR + len + RING_ALIGN - 1) & ~(uint64_t)(RING_ALIGN - 1);
}

int seg_writer_submit(struct seg_writer *w, const char *line, size_t len, uint64_t count)
{
	uint8_t hdr[RING_HDR];
	uint64_t head, tail, esz;
	bool add_nl;
	size_t dlen;

	if (!w || !line || len == 0 || atomic_load_explicit(&w->stopping, memory_order_relaxed))
		return -DNSIFT_EINVAL;
	if (len > 1 && memchr(line, '\n', len - 1))
		return -DNSIFT_EINVAL;
	add_nl = line[len - 1] != '\n';
	dlen = len + add_nl;
	esz = ring_entry_size(dlen);
	if (esz > w->cap || dlen > SEG_LINE_MAX)
		return -DNSIFT_EINVAL;
	head = atomic_load_explicit(&w->head, memory_order_relaxed);
	tail = atomic_load_explicit(&w->tail, memory_order_acquire);
	if (w->cap - (head - tail) < esz) {
		atomic_fetch_add_explicit(&w->st_queue_full, 1, memory_order_relaxed);
		return -DNSIFT_ELIMIT;
	}
	seg_put_le32(hdr, (uint32_t)dlen);
	seg_put_le32(hdr + 4, 0);
	memcpy(hdr + 8, &count, sizeof(count));
	ring_put(w, head, hdr, RING_HDR);
	ring_put(w, head + RING_HDR, line, len);
	if (add_nl)
		ring_put(w, head + RING_HDR + len, "\n", 1);
	atomic_store_explicit(&w->head, head + esz, memory_order_release);
	atomic_fetch_add_explicit(&w->st_submitted, 1, memory_order_relaxed);
	return 0;
}

/* ---- error episodes ------------------------------------------------------------------ */

/* A filesystem step failed: count, log once per episode, and schedule a retry. */
static void writer_fail(struct seg_writer *w, uint64_t now, const char *what, int err)
{
	bool full = err == ENOSPC || err == EDQUOT;

	atomic_fetch_add_explicit(&w->st_write_errors, 1, memory_order_relaxed);
	if (!w->failing) {
		if (full)
			atomic_fetch_add_explicit(&w->st_enospc, 1, memory_order_relaxed);
		fprintf(stderr, "dnsift segment: %s in %s: %s; holding records in memory, "
			"retrying every %" PRIu64 " ms\n", what, w->spool, strerror(err),
			w->retry_ms);
		w->failing = true;
		atomic_store_explicit(&w->st_disk_full, 1, memory_order_relaxed);
	}
	w->retry_at_ms = now + w->retry_ms;
}

static void writer_ok(struct seg_writer *w)
{
	if (w->failing) {
		fprintf(stderr, "dnsift segment: writing to %s again\n", w->spool);
		w->failing = false;
		atomic_store_explicit(&w->st_disk_full, 0, memory_order_relaxed);
	}
}

/* Write what the encoder produced. 0 when the buffer is empty, -1 on failure (scheduled). */
static int writer_drain(struct seg_writer *w, uint64_t now)
{
	while (w->enc.out_len) {
		ssize_t n = write(w->fd, w->enc.out, w->enc.out_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			writer_fail(w, now, "write", errno);
			return -1;
		}
		seg_enc_consume(&w->enc, (size_t)n);
		atomic_fetch_add_explicit(&w->st_bytes_out, (uint64_t)n, memory_order_relaxed);
	}
	return 0;
}

/* ---- sequence ------------------------------------------------------------------------ */

static int seq_store(struct seg_writer *w, uint64_t next)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", next);
	int fd = open(w->seq_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int saved;

	if (fd < 0)
		return -1;
	if (seg_write_all(fd, buf, (size_t)n) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(w->seq_tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || rename(w->seq_tmp, w->seq_path) < 0) {
		saved = errno;
		unlink(w->seq_tmp);
		errno = saved;
		return -1;
	}
	return seg_fsync_dir(w->spool);
}

static uint64_t seq_load(const struct seg_writer *w)
{
	char buf[32] = "";
	uint64_t v = 0;
	int fd = open(w->seq_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = strtoull(buf, NULL, 10);
	}
	return v;
}

/* ---- open / close -------------------------------------------------------------------- */

static int writer_open(struct seg_writer *w, uint64_t now)
{
	struct seg_head h;
	int rc;

	if (!w->seq_persisted) {
		/* persist first: a crash after this leaves a gap, never a reused number */
		if (seq_store(w, w->next_seq + 1) < 0) {
			writer_fail(w, now, "saving the sequence", errno);
			return -1;
		}
		w->seq_persisted = true;
	}
	memset(&h, 0, sizeof(h));
	h.version = SEG_FORMAT_VERSION;
	memcpy(h.sensor_id, w->sensor_id, sizeof(h.sensor_id));
	memcpy(h.hostname, w->hostname, sizeof(h.hostname));
	h.seq = w->next_seq;
	h.open_time = now / 1000;
	if (seg_name_format(w->name, sizeof(w->name), w->sensor_id, h.seq, h.open_time) < 0)
		return -1;
	snprintf(w->part_path, sizeof(w->part_path), "%s/%s.part", w->open_dir, w->name);
	snprintf(w->ready_path, sizeof(w->ready_path), "%s/%s", w->ready_dir, w->name);
	w->fd = open(w->part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		writer_fail(w, now, "creating a segment", errno);
		return -1;
	}
	seg_enc_consume(&w->enc, w->enc.out_len);
	rc = seg_enc_begin(&w->enc, &h);
	if (rc < 0) {
		/* only ENOMEM / a broken LZ4 context: retry like any I/O failure */
		close(w->fd);
		w->fd = -1;
		unlink(w->part_path);
		writer_fail(w, now, "starting a segment", ENOMEM);
		return -1;
	}
	w->seq = h.seq;
	w->next_seq = h.seq + 1;
	w->seq_persisted = false;
	w->open_ms = now;
	w->last_flush_ms = now;
	w->seg_records = 0;
	w->seg_count_sum = 0;
	w->state = W_OPEN;
	atomic_store_explicit(&w->st_seq, w->seq, memory_order_relaxed);
	return 0;
}

static int writer_begin_close(struct seg_writer *w, uint64_t now)
{
	struct seg_tail t;
	unsigned n = 0;

	if (w->drops_fn) {
		n = w->drops_fn(w->drops_arg, w->drops, SEG_DROPS_MAX);
		if (n > SEG_DROPS_MAX)
			n = SEG_DROPS_MAX;
	}
	memset(&t, 0, sizeof(t));
	t.seq = w->seq;
	t.close_time = now / 1000;
	t.records = w->seg_records;
	t.count_sum = w->seg_count_sum;
	t.content_bytes = w->enc.in_bytes;
	t.drops = w->drops;
	t.n_drops = n;
	if (seg_enc_end(&w->enc, &t) < 0) {
		writer_fail(w, now, "ending a segment", ENOMEM);
		return -1;
	}
	w->state = W_CLOSING;
	w->close_step = CLOSE_WRITE;
	return 0;
}

/* Walk the close steps as far as they go. 0 when closed, -1 when waiting for a retry. */
static int writer_finish_close(struct seg_writer *w, uint64_t now)
{
	switch (w->close_step) {
	case CLOSE_WRITE:
		if (writer_drain(w, now) < 0)
			return -1;
		w->close_step = CLOSE_FSYNC;
		/* fall through */
	case CLOSE_FSYNC:
		if (fsync(w->fd) < 0) {
			writer_fail(w, now, "fsync of a segment", errno);
			return -1;
		}
		close(w->fd);
		w->fd = -1;
		w->close_step = CLOSE_RENAME;
		/* fall through */
	case CLOSE_RENAME:
		if (rename(w->part_path, w->ready_path) < 0) {
			writer_fail(w, now, "moving a segment to ready/", errno);
			return -1;
		}
		w->close_step = CLOSE_DIRSYNC;
		/* fall through */
	case CLOSE_DIRSYNC:
		if (seg_fsync_dir(w->ready_dir) < 0) {
			writer_fail(w, now, "fsync of ready/", errno);
			return -1;
		}
		break;
	}
	w->state = W_IDLE;
	atomic_fetch_add_explicit(&w->st_segments, 1, memory_order_relaxed);
	atomic_store_explicit(&w->st_last_closed, w->seq, memory_order_release);
	atomic_store_explicit(&w->st_seq, w->next_seq, memory_order_relaxed);
	return 0;
}

/* ---- the work loop ------------------------------------------------------------------- */

static uint64_t elapsed(uint64_t now, uint64_t since)
{
	return now > since ? now - since : 0;
}

static bool ring_empty(const struct seg_writer *w)
{
	return atomic_load_explicit(&w->head, memory_order_acquire) ==
	       atomic_load_explicit(&w->tail, memory_order_relaxed);
}

static bool size_reached(const struct seg_writer *w)
{
	/* input still inside LZ4F counts as if incompressible: rotate early rather than late */
	return w->enc.produced + w->enc.buffered >= w->max_bytes;
}

/* Move records from the ring into the frame. Returns how many. */
static uint64_t writer_consume(struct seg_writer *w)
{
	uint64_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&w->head, memory_order_acquire);
	uint64_t n = 0, bytes = 0;

	/* at least one record per segment, or a max_bytes below the head would loop forever */
	while (tail != head && bytes < ROUND_BYTES && (!w->seg_records || !size_reached(w))) {
		uint8_t hdr[RING_HDR];
		uint64_t count;
		uint32_t len;
		size_t at, first;

		ring_get(w, tail, hdr, RING_HDR);
		len = seg_get_le32(hdr);
		memcpy(&count, hdr + 8, sizeof(count));
		at = (size_t)((tail + RING_HDR) & (w->cap - 1));
		first = len < w->cap - at ? len : (size_t)(w->cap - at);
		/* only ENOMEM can fail here: leave the record queued and retry later */
		if (seg_enc_add(&w->enc, w->ring + at, first) < 0 ||
		    (first < len && seg_enc_add(&w->enc, w->ring, len - first) < 0))
			break;
		tail += ring_entry_size(len);
		atomic_store_explicit(&w->tail, tail, memory_order_release);
		w->seg_records++;
		w->seg_count_sum += count;
		bytes += len;
		n++;
	}
	if (n) {
		atomic_fetch_add_explicit(&w->st_records, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->st_bytes_in, bytes, memory_order_relaxed);
	}
	return n;
}

int seg_writer_run_once(struct seg_writer *w)
{
	bool stopping = atomic_load_explicit(&w->stopping, memory_order_acquire);
	uint64_t now = w->now_fn(w->now_arg);
	uint64_t req;
	int work = 0;

	if (w->failing && now < w->retry_at_ms)
		return 0;

	if (w->state == W_CLOSING) {
		if (writer_finish_close(w, now) < 0)
			return 0;
		writer_ok(w);
		work = 1;
	}
	if (w->state == W_OPEN && w->enc.out_len) {
		if (writer_drain(w, now) < 0)
			return work;
		writer_ok(w);
	}
	if (w->state == W_IDLE) {
		if (stopping && ring_empty(w))
			return work;
		if (writer_open(w, now) < 0)
			return work;
		writer_ok(w);
		work = 1;
	}

	/* W_OPEN with an empty output buffer from here on */
	if (writer_consume(w))
		work = 1;
	req = atomic_load_explicit(&w->rotate_req, memory_order_acquire);
	/* a wall clock stepped back by more than an hour would leave a misleading name: rotate */
	if (req != w->rotate_seen || (w->seg_records && size_reached(w)) ||
	    elapsed(now, w->open_ms) >= w->max_age_ms || w->open_ms > now + 3600 * 1000 ||
	    (stopping && ring_empty(w))) {
		w->rotate_seen = req;
		if (writer_begin_close(w, now) < 0)
			return work;
		if (writer_finish_close(w, now) == 0)
			writer_ok(w);
		return 1;
	}
	if (w->enc.unflushed && (elapsed(now, w->last_flush_ms) >= w->flush_ms ||
				 now < w->last_flush_ms)) {
		if (seg_enc_flush(&w->enc) < 0)
			return work;
		w->last_flush_ms = now;
		work = 1;
	}
	if (w->enc.out_len) {
		if (writer_drain(w, now) < 0)
			return work;
		work = 1;
	}
	return work;
}

static void *writer_main(void *arg)
{
	struct seg_writer *w = arg;
	/* poll often enough that a flush interval is met and the ring never idles long */
	uint64_t idle_ms = w->flush_ms / 4 < 10 ? (w->flush_ms / 4 ? w->flush_ms / 4 : 1) : 10;
	struct timespec idle = { .tv_sec = 0, .tv_nsec = (long)idle_ms * 1000000L };

	while (!atomic_load_explicit(&w->stopping, memory_order_acquire)) {
		if (seg_writer_run_once(w) == 0)
			nanosleep(&idle, NULL);
	}
	return NULL;
}

/* ---- public -------------------------------------------------------------------------- */

uint64_t seg_writer_rotate_request(struct seg_writer *w)
{
	uint64_t seq = atomic_load_explicit(&w->st_seq, memory_order_relaxed);

	atomic_fetch_add_explicit(&w->rotate_req, 1, memory_order_release);
	return seq;
}

void seg_writer_stats(const struct seg_writer *w, struct seg_writer_stats *o)
{
	struct seg_writer *m = (struct seg_writer *)w;	/* atomics loads need non-const */
	uint64_t head = atomic_load_explicit(&m->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&m->tail, memory_order_relaxed);

	memset(o, 0, sizeof(*o));
	o->submitted = atomic_load_explicit(&m->st_submitted, memory_order_relaxed);
	o->queue_full = atomic_load_explicit(&m->st_queue_full, memory_order_relaxed);
	o->records = atomic_load_explicit(&m->st_records, memory_order_relaxed);
	o->bytes_in = atomic_load_explicit(&m->st_bytes_in, memory_order_relaxed);
	o->bytes_out = atomic_load_explicit(&m->st_bytes_out, memory_order_relaxed);
	o->segments = atomic_load_explicit(&m->st_segments, memory_order_relaxed);
	o->write_errors = atomic_load_explicit(&m->st_write_errors, memory_order_relaxed);
	o->enospc = atomic_load_explicit(&m->st_enospc, memory_order_relaxed);
	o->recovered = atomic_load_explicit(&m->st_recovered, memory_order_relaxed);
	o->recovered_records = atomic_load_explicit(&m->st_recovered_records,
						    memory_order_relaxed);
	o->abandoned = atomic_load_explicit(&m->st_abandoned, memory_order_relaxed);
	o->seq = atomic_load_explicit(&m->st_seq, memory_order_relaxed);
	o->last_closed_seq = atomic_load_explicit(&m->st_last_closed, memory_order_acquire);
	o->queue_used = head >= tail ? head - tail : 0;
	o->disk_full = atomic_load_explicit(&m->st_disk_full, memory_order_relaxed) != 0;
}

static int mkdir_p(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/*
 * Recover every leftover part of a previous run; raise next_seq past what they used.
 * A recovered segment is built as .open/NAME.recovered and only then renamed into
 * ready/, so ready/ never holds anything but complete segments; the part goes last.
 */
static int writer_recover(struct seg_writer *w)
{
	DIR *d = opendir(w->open_dir);
	struct dirent *de;

	if (!d)
		return -1;
	/* first pass: a recovery interrupted before its rename (the part is still here) */
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' ||
		    !(has_suffix(de->d_name, ".tmp") || has_suffix(de->d_name, ".recovered")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", w->open_dir, de->d_name);
		unlink(path);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		char id[SEG_SENSOR_ID_MAX + 1], part[PATH_MAX], out[PATH_MAX], rec[PATH_MAX];
		size_t n = strlen(de->d_name);
		struct seg_recover_result res;
		uint64_t seq, t;
		struct stat st;
		int rc;

		if (de->d_name[0] == '.' || has_suffix(de->d_name, ".tmp") ||
		    has_suffix(de->d_name, ".recovered"))
			continue;
		snprintf(part, sizeof(part), "%s/%s", w->open_dir, de->d_name);
		if (!has_suffix(de->d_name, ".part") ||
		    seg_name_parse(de->d_name, id, &seq, &t) < 0) {
			fprintf(stderr, "dnsift segment: ignoring %s (not a segment part)\n", part);
			continue;
		}
		if (strcmp(id, w->sensor_id) == 0 && seq >= w->next_seq)
			w->next_seq = seq + 1;
		snprintf(out, sizeof(out), "%s/%.*s", w->ready_dir, (int)(n - 5), de->d_name);
		snprintf(rec, sizeof(rec), "%s/%.*s.recovered", w->open_dir, (int)(n - 5),
			 de->d_name);
		if (stat(out, &st) == 0) {
			/* crash between rename and unlink: ready/ has it */
			unlink(part);
			continue;
		}
		rc = seg_recover_file(part, rec, &res);
		if (rc == 0 && rename(rec, out) < 0) {
			unlink(rec);
			rc = -DNSIFT_EIO;
		}
		if (rc < 0) {
			fprintf(stderr, "dnsift segment: cannot recover %s: %s (%s); left in place\n",
				part, dnsift_strerror(rc), strerror(errno));
			continue;
		}
		seg_fsync_dir(w->ready_dir);
		fprintf(stderr, "dnsift segment: recovered %s: %" PRIu64 " records%s\n", part,
			res.records, res.complete ? " (it was complete)" : "");
		unlink(part);
		atomic_fetch_add_explicit(&w->st_recovered, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->st_recovered_records, res.records,
					  memory_order_relaxed);
	}
	closedir(d);
	seg_fsync_dir(w->open_dir);
	return 0;
}

/* Names in ready/ that belong to us also bound the sequence (if .seq was lost). */
static void writer_scan_ready(struct seg_writer *w)
{
	DIR *d = opendir(w->ready_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char id[SEG_SENSOR_ID_MAX + 1];
		uint64_t seq, t;

		if (seg_name_parse(de->d_name, id, &seq, &t) == 0 &&
		    strcmp(id, w->sensor_id) == 0 && seq >= w->next_seq)
			w->next_seq = seq + 1;
	}
	closedir(d);
}

struct seg_writer *seg_writer_create(const struct seg_writer_params *p)
{
	struct seg_writer *w;
	uint64_t cap;
	int saved;

	if (!p || !p->spool_dir || !p->spool_dir[0] || !seg_sensor_id_valid(p->sensor_id) ||
	    (p->max_bytes && p->max_bytes < 1024) || strlen(p->spool_dir) > PATH_MAX - 256) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = -1;
	snprintf(w->sensor_id, sizeof(w->sensor_id), "%s", p->sensor_id);
	if (p->hostname)
		snprintf(w->hostname, sizeof(w->hostname), "%s", p->hostname);
	else if (gethostname(w->hostname, sizeof(w->hostname) - 1) < 0)
		w->hostname[0] = '\0';
	w->max_bytes = p->max_bytes ? p->max_bytes : 64ULL << 20;
	w->max_age_ms = 1000ULL * (p->max_age_s ? p->max_age_s : 60);
	w->flush_ms = p->flush_interval_ms ? p->flush_interval_ms : 1000;
	w->retry_ms = p->retry_interval_ms ? p->retry_interval_ms : 1000;
	w->stop_timeout_ms = p->stop_timeout_ms ? p->stop_timeout_ms : 30000;
	w->drops_fn = p->drops_fn;
	w->drops_arg = p->drops_arg;
	w->now_fn = p->now_fn ? p->now_fn : default_now;
	w->now_arg = p->now_arg;
	for (cap = 4096; cap < (p->queue_bytes ? p->queue_bytes : 8U << 20); cap *= 2)
		;
	w->cap = cap;
	w->ring = malloc(cap);
	w->spool = strdup(p->spool_dir);
	w->open_dir = path_join(p->spool_dir, ".open");
	w->ready_dir = path_join(p->spool_dir, "ready");
	w->seq_path = path_join(p->spool_dir, ".seq");
	w->seq_tmp = path_join(p->spool_dir, ".seq.tmp");
	if (!w->ring || !w->spool || !w->open_dir || !w->ready_dir || !w->seq_path ||
	    !w->seq_tmp || seg_enc_init(&w->enc, p->compression_level) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	if (mkdir_p(w->spool) < 0 || mkdir_p(w->open_dir) < 0 || mkdir_p(w->ready_dir) < 0)
		goto fail;
	w->next_seq = seq_load(w);
	if (w->next_seq == 0)
		w->next_seq = 1;
	writer_scan_ready(w);
	if (writer_recover(w) < 0)
		goto fail;
	atomic_store_explicit(&w->st_seq, w->next_seq, memory_order_relaxed);
	return w;
fail:
	saved = errno;
	w->stopped = true;	/* nothing was ever accepted: free only */
	seg_writer_free(w);
	errno = saved;
	return NULL;
}

int seg_writer_start(struct seg_writer *w)
{
	if (!w || w->started || w->stopped)
		return -DNSIFT_EINVAL;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		return -DNSIFT_ENOMEM;
	w->started = true;
	return 0;
}

/* Records still in the ring when stop gives up. */
static uint64_t ring_count(const struct seg_writer *w)
{
	uint64_t tail = atomic_load_explicit(&((struct seg_writer *)w)->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&((struct seg_writer *)w)->head, memory_order_acquire);
	uint64_t n = 0;

	while (tail != head) {
		uint8_t hdr[RING_HDR];

		ring_get(w, tail, hdr, RING_HDR);
		tail += ring_entry_size(seg_get_le32(hdr));
		n++;
	}
	return n;
}

int seg_writer_stop(struct seg_writer *w)
{
	uint64_t deadline;
	struct timespec idle = { .tv_sec = 0, .tv_nsec = 1000000L };
	int rc = 0;

	if (!w || w->stopped)
		return w ? 0 : -DNSIFT_EINVAL;
	atomic_store_explicit(&w->stopping, 1, memory_order_release);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* drain and close in this thread: the writer thread has exited */
	deadline = mono_ms() + w->stop_timeout_ms;
	while (!(w->state == W_IDLE && ring_empty(w))) {
		if (seg_writer_run_once(w) == 0) {
			if (mono_ms() >= deadline) {
				uint64_t lost = ring_count(w) + (w->state == W_OPEN ?
								 w->seg_records : 0);

				atomic_fetch_add_explicit(&w->st_abandoned, lost,
							  memory_order_relaxed);
				fprintf(stderr, "dnsift segment: stop gave up on %s after %" PRIu64
					" ms; %" PRIu64 " records not closed (%s stays for recovery)\n",
					w->spool, w->stop_timeout_ms, lost,
					w->state == W_IDLE ? "nothing" : w->part_path);
				rc = -DNSIFT_EIO;
				break;
			}
			nanosleep(&idle, NULL);
		}
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->stopped = true;
	return rc;
}

void seg_writer_free(struct seg_writer *w)
{
	if (!w)
		return;
	/* never lose accepted records silently, started or driven by run_once */
	if (!w->stopped)
		seg_writer_stop(w);
	if (w->fd >= 0)
		close(w->fd);
	seg_enc_fini(&w->enc);
	free(w->ring);
	free(w->spool);
	free(w->open_dir);
	free(w->ready_dir);
	free(w->seq_path);
	free(w->seq_tmp);
	free(w);
}
