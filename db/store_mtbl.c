/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/store_mtbl: db/store.h on MTBL files (libmtbl), in dnstable's layout. The key
 * layout is in db_keys.h and docs/db-format.md.
 *
 * Files: DIR/NNNNNNNNNNNNNNNN.mtbl, a 16-digit number that only grows. A batch is
 * sorted in memory (an arena of entries and an MSD radix sort, equal keys merged),
 * written to NAME.tmp with mtbl_writer, fsynced, renamed and the directory fsynced;
 * its SEGMENT entries say which segments it holds, so "these records" and "these
 * segments are in" become durable in one rename.
 *
 * Compaction merges files into a new one whose REPLACES entries name its inputs.
 * A view (the set of files queries read) never includes a file that a present file
 * replaces, so between the rename of the merged file and the unlink of its inputs
 * (or after a kill -9 there) nothing is counted twice; a writable open deletes such
 * replaced files and any *.tmp left by a crash.
 *
 * Reading: a view is a reference-counted list of open mtbl_readers. A query takes a
 * reference under the mutex and builds its own mtbl_merger over the readers (the
 * merge function is min/max/sum), so refresh can swap views while queries run.
 */
#include "db/store.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mtbl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db_keys.h"
#include "wire/cof.h"
#include "wire/err.h"

#define DB_DEFAULT_BATCH_ENTRIES	(4u << 20)
#define DB_DEFAULT_MEMORY		(1ull << 30)
#define DB_CHUNK_BYTES			(8u << 20)
#define DB_VAL_TRIPLET			UINT32_MAX
#define DB_FILE_NAME_LEN		21	/* 16 digits + ".mtbl" */
#define DB_TIER_FANIN			4	/* files of one tier merged together */

/* ---- files and views ------------------------------------------------------------- */

struct db_file {
	uint64_t num;
	uint64_t bytes;
	struct mtbl_reader *reader;
	atomic_int refs;
};

struct db_view {
	atomic_int refs;
	size_t n;
	struct db_file **files;	/* ascending num */
};

struct db_store {
	char *dir;
	int dirfd;
	int lockfd;
	bool writable;
	uint64_t batch_max_entries;
	uint64_t memory_bytes;
	_Atomic uint64_t next_num;	/* committer and compactor both take numbers */
	pthread_mutex_t lock;	/* guards view */
	pthread_mutex_t vmod;	/* one view change (read, build, publish) at a time */
	struct db_view *view;
	struct mtbl_merger_options *mopt;
	bool batch_open;
	/* the committer thread (db_batch_commit_async) */
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	pthread_t committer;
	bool committer_started, committer_stop, background_compaction;
	struct db_batch *inflight;	/* handed over, not yet committed */
	int inflight_rc;
	/* the compactor thread: tiered merges after commits, off the commit path so a
	 * long merge of a big tier never delays a commit (freshness) */
	pthread_mutex_t cmpmu;		/* one compaction at a time (compactor or caller) */
	pthread_t compactor;
	bool compactor_started, compactor_kicked;
	atomic_bool compactor_stop;
	uint64_t compactions_failed;
};

static void file_unref(struct db_file *f)
{
	if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
		mtbl_reader_destroy(&f->reader);
		free(f);
	}
}

static void view_unref(struct db_view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	for (size_t i = 0; i < v->n; i++)
		file_unref(v->files[i]);
	free(v->files);
	free(v);
}

static struct db_view *view_get(struct db_store *s)
{
	struct db_view *v;

	pthread_mutex_lock(&s->lock);
	v = s->view;
	atomic_fetch_add(&v->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void view_set(struct db_store *s, struct db_view *nv)
{
	struct db_view *old;

	pthread_mutex_lock(&s->lock);
	old = s->view;
	s->view = nv;
	pthread_mutex_unlock(&s->lock);
	view_unref(old);
}

static void file_name(char out[DB_FILE_NAME_LEN + 8], uint64_t num, bool tmp)
{
	snprintf(out, DB_FILE_NAME_LEN + 8, "%016" PRIu64 ".mtbl%s", num, tmp ? ".tmp" : "");
}

static bool parse_file_name(const char *n, uint64_t *num)
{
	uint64_t v = 0;

	if (strlen(n) != DB_FILE_NAME_LEN || strcmp(n + 16, ".mtbl") != 0)
		return false;
	for (int i = 0; i < 16; i++) {
		if (n[i] < '0' || n[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(n[i] - '0');
	}
	*num = v;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct db_file *file_open(struct db_store *s, uint64_t num, int *err)
{
	char name[DB_FILE_NAME_LEN + 8];
	struct db_file *f;
	struct stat st;
	int fd;

	file_name(name, num, false);
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*err = errno;
		close(fd);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	f->num = num;
	f->bytes = (uint64_t)st.st_size;
	/* mtbl_reader_init_fd maps the file; the fd is not needed afterwards. */
	f->reader = mtbl_reader_init_fd(fd, NULL);
	close(fd);
	if (!f->reader) {
		fprintf(stderr, "dnsift-db: %s/%s: not a readable MTBL file\n", s->dir, name);
		free(f);
		*err = EIO;
		return NULL;
	}
	atomic_init(&f->refs, 1);
	return f;
}

/* Numbers of the files f says it replaces. */
static int file_replaces(struct db_file *f, uint64_t **out, size_t *n, size_t *cap)
{
	const uint8_t k = DB_ET_REPLACES;
	struct mtbl_iter *it = mtbl_source_get_prefix(mtbl_reader_source(f->reader), &k, 1);
	const uint8_t *key, *val;
	size_t klen, vlen;

	if (!it)
		return 0;	/* none */
	while (mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success) {
		char nm[DB_FILE_NAME_LEN + 1];
		uint64_t num;

		if (klen != 1 + DB_FILE_NAME_LEN)
			continue;
		memcpy(nm, key + 1, DB_FILE_NAME_LEN);
		nm[DB_FILE_NAME_LEN] = 0;
		if (!parse_file_name(nm, &num))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			uint64_t *p = realloc(*out, nc * sizeof(*p));

			if (!p) {
				mtbl_iter_destroy(&it);
				return -DNSIFT_ENOMEM;
			}
			*out = p;
			*cap = nc;
		}
		(*out)[(*n)++] = num;
	}
	mtbl_iter_destroy(&it);
	return 0;
}

/*
 * A new view of the directory: the present files minus those a present file
 * replaces. Files open in cur are shared, not reopened. With writable, replaced
 * files are unlinked. A file that vanishes while listing (a compaction in another
 * process) makes the listing start over.
 */
static int view_load(struct db_store *s, struct db_view *cur, struct db_view **out)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		uint64_t *nums = NULL, *repl = NULL;
		size_t n = 0, cap = 0, nrepl = 0, crepl = 0;
		struct db_view *v = NULL;
		bool retry = false;
		int rc = 0;
		DIR *d;
		struct dirent *de;
		int dfd = dup(s->dirfd);

		if (dfd < 0)
			return -DNSIFT_EIO;
		d = fdopendir(dfd);
		if (!d) {
			close(dfd);
			return -DNSIFT_EIO;
		}
		rewinddir(d);
		while ((de = readdir(d))) {
			uint64_t num;

			if (!parse_file_name(de->d_name, &num))
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 32;
				uint64_t *p = realloc(nums, nc * sizeof(*p));

				if (!p) {
					rc = -DNSIFT_ENOMEM;
					break;
				}
				nums = p;
				cap = nc;
			}
			nums[n++] = num;
		}
		closedir(d);
		if (rc == 0 && n)
			qsort(nums, n, sizeof(*nums), cmp_u64);
		v = rc ? NULL : calloc(1, sizeof(*v));
		if (!v && rc == 0)
			rc = -DNSIFT_ENOMEM;
		if (v) {
			atomic_init(&v->refs, 1);
			v->files = calloc(n ? n : 1, sizeof(*v->files));
			if (!v->files)
				rc = -DNSIFT_ENOMEM;
		}
		for (size_t i = 0; rc == 0 && i < n; i++) {
			struct db_file *f = NULL;
			int e = 0;

			for (size_t j = 0; cur && j < cur->n; j++)
				if (cur->files[j]->num == nums[i]) {
					f = cur->files[j];
					atomic_fetch_add(&f->refs, 1);
					break;
				}
			if (!f)
				f = file_open(s, nums[i], &e);
			if (!f) {
				if (e == ENOENT)
					retry = true;
				else
					rc = e == ENOMEM ? -DNSIFT_ENOMEM : -DNSIFT_EDB_CORRUPT;
				break;
			}
			v->files[v->n++] = f;
			if (atomic_load(&s->next_num) <= f->num)
				atomic_store(&s->next_num, f->num + 1);
		}
		for (size_t i = 0; rc == 0 && !retry && i < v->n; i++)
			rc = file_replaces(v->files[i], &repl, &nrepl, &crepl);
		if (rc == 0 && !retry && nrepl) {
			size_t w = 0;

			for (size_t i = 0; i < v->n; i++) {
				bool gone = false;

				for (size_t j = 0; j < nrepl; j++)
					if (repl[j] == v->files[i]->num)
						gone = true;
				if (!gone) {
					v->files[w++] = v->files[i];
					continue;
				}
				if (s->writable) {
					char name[DB_FILE_NAME_LEN + 8];

					file_name(name, v->files[i]->num, false);
					unlinkat(s->dirfd, name, 0);
				}
				file_unref(v->files[i]);
			}
			v->n = w;
			if (s->writable)
				fsync(s->dirfd);
		}
		free(nums);
		free(repl);
		if (rc == 0 && !retry) {
			*out = v;
			return 0;
		}
		view_unref(v);
		if (rc)
			return rc;
	}
	return -DNSIFT_EBUSY;
}

/* ---- merge function -------------------------------------------------------------- */

static bool triplet_get(const uint8_t *v, size_t len, uint64_t *tf, uint64_t *tl, uint64_t *c)
{
	size_t a, b, d;

	a = db_varint_get(v, len, tf);
	if (!a)
		return false;
	b = db_varint_get(v + a, len - a, tl);
	if (!b)
		return false;
	d = db_varint_get(v + a + b, len - a - b, c);
	return d && a + b + d == len;
}

static size_t triplet_put(uint8_t *p, uint64_t tf, uint64_t tl, uint64_t c)
{
	size_t n = db_varint_put(p, tf);

	n += db_varint_put(p + n, tl);
	n += db_varint_put(p + n, c);
	return n;
}

static bool key_is_triplet(const uint8_t *key, size_t klen)
{
	return klen > 0 && key[0] >= DB_ET_RRSET && key[0] <= DB_ET_RDATA_OTHER &&
	       key[0] != DB_ET_RRSET_NAME_FWD && key[0] != DB_ET_RDATA_NAME_FWD;
}

/* A SEGMENT key with the duplicate suffix 'd': the value is a count, summed. */
static bool key_is_dup(const uint8_t *key, size_t klen)
{
	return klen > 10 && key[0] == DB_ET_SEGMENT && key[klen - 1] == 'd' &&
	       key[klen - 10] == 0;
}

static void merge_fn(void *clos, const uint8_t *key, size_t klen, const uint8_t *v0,
		     size_t l0, const uint8_t *v1, size_t l1, uint8_t **out, size_t *olen)
{
	(void)clos;
	if (key_is_triplet(key, klen)) {
		uint64_t a0, b0, c0, a1, b1, c1;

		if (triplet_get(v0, l0, &a0, &b0, &c0) && triplet_get(v1, l1, &a1, &b1, &c1)) {
			*out = malloc(30);
			if (*out) {
				*olen = triplet_put(*out, a0 < a1 ? a0 : a1, b0 > b1 ? b0 : b1,
						    c0 + c1);
				return;
			}
		}
	} else if (key_is_dup(key, klen)) {
		uint64_t c0, c1;

		if (db_varint_get(v0, l0, &c0) && db_varint_get(v1, l1, &c1)) {
			*out = malloc(10);
			if (*out) {
				*olen = db_varint_put(*out, c0 + c1);
				return;
			}
		}
	}
	/* Anything else (SEGMENT meta, forward names, stats): keep the first. */
	*out = malloc(l0 ? l0 : 1);
	if (*out) {
		memcpy(*out, v0, l0);
		*olen = l0;
	} else {
		*olen = 0;
	}
}

/* ---- open / close ---------------------------------------------------------------- */

static void remove_tmp_files(struct db_store *s)
{
	int dfd = dup(s->dirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0)
			unlinkat(s->dirfd, de->d_name, 0);
	}
	closedir(d);
}

struct db_store *db_store_open(const struct db_store_params *p)
{
	struct db_store *s;
	int rc, e;

	if (!p || !p->dir || !*p->dir) {
		errno = EINVAL;
		return NULL;
	}
	if (p->writable && mkdir(p->dir, 0755) != 0 && errno != EEXIST)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->lockfd = -1;
	s->writable = p->writable;
	s->background_compaction = p->background_compaction;
	s->batch_max_entries = p->batch_max_entries ? p->batch_max_entries
						    : DB_DEFAULT_BATCH_ENTRIES;
	s->memory_bytes = p->memory_bytes ? p->memory_bytes : DB_DEFAULT_MEMORY;
	s->dir = strdup(p->dir);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->cmu, NULL);
	pthread_cond_init(&s->ccv, NULL);
	pthread_mutex_init(&s->vmod, NULL);
	pthread_mutex_init(&s->cmpmu, NULL);
	atomic_init(&s->compactor_stop, false);
	s->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!s->dir || s->dirfd < 0) {
		e = s->dir ? errno : ENOMEM;
		goto fail;
	}
	if (p->writable) {
		/* One writer per directory: two ingest processes would race on numbers. */
		s->lockfd = openat(s->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lockfd < 0) {
			e = errno;
			goto fail;
		}
		if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
			e = errno == EWOULDBLOCK ? EBUSY : errno;
			goto fail;
		}
		remove_tmp_files(s);
	}
	s->mopt = mtbl_merger_options_init();
	mtbl_merger_options_set_merge_func(s->mopt, merge_fn, NULL);
	rc = view_load(s, NULL, &s->view);
	if (rc) {
		e = rc == -DNSIFT_ENOMEM ? ENOMEM : EIO;
		goto fail;
	}
	return s;
fail:
	if (s->mopt)
		mtbl_merger_options_destroy(&s->mopt);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->cmu);
	pthread_cond_destroy(&s->ccv);
	pthread_mutex_destroy(&s->vmod);
	pthread_mutex_destroy(&s->cmpmu);
	free(s->dir);
	free(s);
	errno = e;
	return NULL;
}

void db_store_close(struct db_store *s)
{
	if (!s)
		return;
	if (s->committer_started) {
		db_store_sync(s);
		pthread_mutex_lock(&s->cmu);
		s->committer_stop = true;
		pthread_cond_broadcast(&s->ccv);
		pthread_mutex_unlock(&s->cmu);
		pthread_join(s->committer, NULL);
	}
	if (s->compactor_started) {
		/* A merge in progress gives up (its .tmp is removed); the next open's
		 * compactor does it again. */
		pthread_mutex_lock(&s->cmu);
		atomic_store(&s->compactor_stop, true);
		pthread_cond_broadcast(&s->ccv);
		pthread_mutex_unlock(&s->cmu);
		pthread_join(s->compactor, NULL);
	}
	pthread_mutex_destroy(&s->cmu);
	pthread_cond_destroy(&s->ccv);
	pthread_mutex_destroy(&s->vmod);
	pthread_mutex_destroy(&s->cmpmu);
	view_unref(s->view);
	mtbl_merger_options_destroy(&s->mopt);
	if (s->lockfd >= 0)
		close(s->lockfd);
	close(s->dirfd);
	pthread_mutex_destroy(&s->lock);
	free(s->dir);
	free(s);
}

int db_store_refresh(struct db_store *s)
{
	struct db_view *cur, *nv;
	int rc;

	pthread_mutex_lock(&s->vmod);
	cur = view_get(s);
	rc = view_load(s, cur, &nv);
	view_unref(cur);
	if (rc == 0)
		view_set(s, nv);
	pthread_mutex_unlock(&s->vmod);
	return rc;
}

/* A merged source over a view; *m must be destroyed by the caller. */
static const struct mtbl_source *view_source(struct db_store *s, struct db_view *v,
					     struct mtbl_merger **m)
{
	*m = mtbl_merger_init(s->mopt);
	if (!*m)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		mtbl_merger_add_source(*m, mtbl_reader_source(v->files[i]->reader));
	return mtbl_merger_source(*m);
}

static size_t segment_key(uint8_t *k, const char *sensor_id, uint64_t seq)
{
	size_t l = strlen(sensor_id);

	k[0] = DB_ET_SEGMENT;
	memcpy(k + 1, sensor_id, l);
	k[1 + l] = 0;
	for (int i = 0; i < 8; i++)
		k[2 + l + i] = (uint8_t)(seq >> (56 - 8 * i));
	return 10 + l;
}

bool db_store_has_segment(struct db_store *s, const char *sensor_id, uint64_t seq)
{
	uint8_t k[80];
	struct db_view *v;
	bool found = false;

	if (!sensor_id || strlen(sensor_id) > 64)
		return false;
	size_t kl = segment_key(k, sensor_id, seq);

	v = view_get(s);
	for (size_t i = 0; i < v->n && !found; i++) {
		struct mtbl_iter *it = mtbl_source_get(mtbl_reader_source(v->files[i]->reader),
						       k, kl);
		const uint8_t *key, *val;
		size_t klen, vlen;

		if (it && mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success)
			found = true;
		mtbl_iter_destroy(&it);
	}
	view_unref(v);
	return found;
}

/* ---- batches --------------------------------------------------------------------- */

struct bent {
	uint32_t klen;
	uint32_t vlen;		/* DB_VAL_TRIPLET or bytes of value after the key */
	uint64_t tf, tl, count;
	uint8_t data[];
};

struct db_batch {
	struct db_store *s;
	uint8_t **chunks;
	size_t *chunk_size;
	size_t nchunks, chunks_cap;
	size_t used;		/* in chunks[nchunks - 1] */
	struct bent **ents;
	size_t n, cap;
	uint64_t segments;
	uint64_t bytes;
	bool detached;		/* handed to the committer: not the store's open batch */
};

struct db_batch *db_batch_begin(struct db_store *s)
{
	struct db_batch *b;

	if (!s || !s->writable || s->batch_open) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->s = s;
	s->batch_open = true;
	return b;
}

static struct bent *batch_alloc(struct db_batch *b, size_t klen, size_t vlen)
{
	size_t need = (sizeof(struct bent) + klen + vlen + 7) & ~(size_t)7;
	struct bent *e;

	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 65536;
		struct bent **p = realloc(b->ents, nc * sizeof(*p));

		if (!p)
			return NULL;
		b->ents = p;
		b->cap = nc;
	}
	if (!b->nchunks || b->used + need > b->chunk_size[b->nchunks - 1]) {
		size_t sz = need > DB_CHUNK_BYTES ? need : DB_CHUNK_BYTES;

		if (b->nchunks == b->chunks_cap) {
			size_t nc = b->chunks_cap ? b->chunks_cap * 2 : 16;
			uint8_t **pc = realloc(b->chunks, nc * sizeof(*pc));
			size_t *ps;

			if (!pc)
				return NULL;
			b->chunks = pc;
			ps = realloc(b->chunk_size, nc * sizeof(*ps));
			if (!ps)
				return NULL;
			b->chunk_size = ps;
			b->chunks_cap = nc;
		}
		b->chunks[b->nchunks] = malloc(sz);
		if (!b->chunks[b->nchunks])
			return NULL;
		b->chunk_size[b->nchunks++] = sz;
		b->used = 0;
		b->bytes += sz;
	}
	e = (struct bent *)(void *)(b->chunks[b->nchunks - 1] + b->used);
	b->used += need;
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	b->ents[b->n++] = e;
	return e;
}

static int batch_put_triplet(struct db_batch *b, const uint8_t *k, size_t klen,
			     const struct db_record *r)
{
	struct bent *e = batch_alloc(b, klen, 0);

	if (!e)
		return -DNSIFT_ENOMEM;
	e->vlen = DB_VAL_TRIPLET;
	e->tf = r->time_first;
	e->tl = r->time_last;
	e->count = r->count;
	memcpy(e->data, k, klen);
	return 0;
}

static int batch_put_raw(struct db_batch *b, const uint8_t *k, size_t klen,
			 const uint8_t *v, size_t vlen)
{
	struct bent *e = batch_alloc(b, klen, vlen);

	if (!e)
		return -DNSIFT_ENOMEM;
	memcpy(e->data, k, klen);
	if (vlen)
		memcpy(e->data + klen, v, vlen);
	return 0;
}

/* Scratch key buffer: grows for large RRsets. */
struct kbuf {
	uint8_t *p;
	size_t len, cap;
	uint8_t small[1024];
};

static void kb_init(struct kbuf *k)
{
	k->p = k->small;
	k->len = 0;
	k->cap = sizeof(k->small);
}

static void kb_free(struct kbuf *k)
{
	if (k->p != k->small)
		free(k->p);
}

static bool kb_reserve(struct kbuf *k, size_t more)
{
	if (k->len + more <= k->cap)
		return true;
	size_t nc = (k->len + more) * 2;
	uint8_t *n = malloc(nc);

	if (!n)
		return false;
	memcpy(n, k->p, k->len);
	kb_free(k);
	k->p = n;
	k->cap = nc;
	return true;
}

static void kb_put(struct kbuf *k, const void *p, size_t n)
{
	memcpy(k->p + k->len, p, n);
	k->len += n;
}

static void kb_u16(struct kbuf *k, uint16_t v)
{
	k->p[k->len++] = (uint8_t)(v >> 8);
	k->p[k->len++] = (uint8_t)v;
}

/* Index one rdata string of r (the RDATA entries). */
static int index_rdata(struct db_batch *b, const struct db_record *r, const char *rd,
		       const uint8_t *rev_owner, size_t owner_len, struct kbuf *k)
{
	size_t rl = strlen(rd);
	int rc;

	k->len = 0;
	if ((r->rrtype == 1 || r->rrtype == 28) && r->rrclass == 1) {
		uint8_t addr[16];
		int fam = r->rrtype == 1 ? AF_INET : AF_INET6;

		if (inet_pton(fam, rd, addr) == 1) {
			size_t al = fam == AF_INET ? 4 : 16;

			if (!kb_reserve(k, 1 + al + owner_len))
				return -DNSIFT_ENOMEM;
			k->p[k->len++] = fam == AF_INET ? DB_ET_RDATA_IP4 : DB_ET_RDATA_IP6;
			kb_put(k, addr, al);
			kb_put(k, rev_owner, owner_len);
			return batch_put_triplet(b, k->p, k->len, r);
		}
	}
	size_t ns[2], nl[2];
	unsigned nn = db_rdata_names(r->rrtype, rd, rl, ns, nl);
	uint8_t wire[DB_NAME_WIRE_MAX], rev[DB_NAME_WIRE_MAX];
	unsigned done = 0;

	for (unsigned i = 0; i < nn; i++) {
		int wl = db_name_to_wire(rd + ns[i], nl[i], wire);

		if (wl < 0)
			continue;
		db_wire_reverse(wire, (size_t)wl, rev);
		k->len = 0;
		if (!kb_reserve(k, 1 + (size_t)wl + 2 + owner_len + rl))
			return -DNSIFT_ENOMEM;
		k->p[k->len++] = DB_ET_RDATA_NAME;
		kb_put(k, rev, (size_t)wl);
		kb_u16(k, r->rrtype);
		kb_put(k, rev_owner, owner_len);
		kb_put(k, rd, rl);
		rc = batch_put_triplet(b, k->p, k->len, r);
		if (rc)
			return rc;
		/* Forward form for right-hand wildcards ("ns1.example.*"). */
		k->len = 0;
		k->p[k->len++] = DB_ET_RDATA_NAME_FWD;
		kb_put(k, wire, (size_t)wl);
		kb_u16(k, r->rrtype);
		rc = batch_put_raw(b, k->p, k->len, NULL, 0);
		if (rc)
			return rc;
		done++;
	}
	if (done)
		return 0;
	/* Everything else: exact lookup by (rrtype, rdata). */
	uint8_t vl[10];
	size_t vn = db_varint_put(vl, rl);

	k->len = 0;
	if (!kb_reserve(k, 3 + vn + rl + owner_len))
		return -DNSIFT_ENOMEM;
	k->p[k->len++] = DB_ET_RDATA_OTHER;
	kb_u16(k, r->rrtype);
	kb_put(k, vl, vn);
	kb_put(k, rd, rl);
	kb_put(k, rev_owner, owner_len);
	return batch_put_triplet(b, k->p, k->len, r);
}

int db_batch_add(struct db_batch *b, const struct db_record *r)
{
	uint8_t wire[DB_NAME_WIRE_MAX], rev[DB_NAME_WIRE_MAX], bw[DB_NAME_WIRE_MAX];
	struct db_batch_mark m;
	struct kbuf k;
	int wl, bl = 0, rc;
	size_t rsz = 0;

	if (!b || !r || !r->rrname || (r->rdata_count && !r->rdata))
		return -DNSIFT_EINVAL;
	wl = db_name_to_wire(r->rrname, strlen(r->rrname), wire);
	if (wl < 0)
		return wl;
	if (r->bailiwick && *r->bailiwick) {
		uint8_t bwf[DB_NAME_WIRE_MAX];

		bl = db_name_to_wire(r->bailiwick, strlen(r->bailiwick), bwf);
		if (bl < 0)
			return bl;
		db_wire_reverse(bwf, (size_t)bl, bw);
	}
	if (r->rdata_count == 0)
		return -DNSIFT_EDB_RDATA;
	for (unsigned i = 0; i < r->rdata_count; i++) {
		if (!r->rdata[i])
			return -DNSIFT_EDB_RDATA;
		rsz += strlen(r->rdata[i]) + 10;
	}
	db_wire_reverse(wire, (size_t)wl, rev);
	db_batch_mark(b, &m);
	kb_init(&k);
	/* RRSET: the whole set in the record's order, each string length-prefixed. */
	rc = -DNSIFT_ENOMEM;
	if (!kb_reserve(&k, 1 + (size_t)wl + 5 + (size_t)bl + 1 + rsz))
		goto out;
	k.p[k.len++] = DB_ET_RRSET;
	kb_put(&k, rev, (size_t)wl);
	kb_u16(&k, r->rrtype);
	kb_u16(&k, r->rrclass);
	if (bl) {
		k.p[k.len++] = 1;
		kb_put(&k, bw, (size_t)bl);
	} else {
		k.p[k.len++] = 0;
	}
	for (unsigned i = 0; i < r->rdata_count; i++) {
		size_t l = strlen(r->rdata[i]);

		k.len += db_varint_put(k.p + k.len, l);
		kb_put(&k, r->rdata[i], l);
	}
	rc = batch_put_triplet(b, k.p, k.len, r);
	if (rc)
		goto out;
	k.len = 0;
	k.p[k.len++] = DB_ET_RRSET_NAME_FWD;
	kb_put(&k, wire, (size_t)wl);
	kb_u16(&k, r->rrtype);
	rc = batch_put_raw(b, k.p, k.len, NULL, 0);
	for (unsigned i = 0; rc == 0 && i < r->rdata_count; i++)
		rc = index_rdata(b, r, r->rdata[i], rev, (size_t)wl, &k);
out:
	kb_free(&k);
	if (rc)
		db_batch_rollback(b, &m);
	return rc;
}

static size_t segment_value(uint8_t *v, const struct db_segment_meta *m)
{
	size_t n = 0;

	n += db_varint_put(v + n, m->open_time);
	n += db_varint_put(v + n, m->close_time);
	n += db_varint_put(v + n, m->records);
	n += db_varint_put(v + n, m->count_sum);
	v[n++] = m->recovered ? 1 : 0;
	n += db_varint_put(v + n, m->ingest_time);
	return n;
}

int db_batch_add_segment(struct db_batch *b, const struct db_segment_meta *m)
{
	uint8_t k[80], *v;
	size_t dl, vn;
	int rc;

	if (!b || !m || !m->sensor_id || !*m->sensor_id || strlen(m->sensor_id) > 64)
		return -DNSIFT_EINVAL;
	dl = m->drops_json ? strlen(m->drops_json) : 0;
	v = malloc(64 + dl);
	if (!v)
		return -DNSIFT_ENOMEM;
	vn = segment_value(v, m);
	if (dl)
		memcpy(v + vn, m->drops_json, dl);
	rc = batch_put_raw(b, k, segment_key(k, m->sensor_id, m->seq), v, vn + dl);
	free(v);
	if (rc == 0)
		b->segments++;
	return rc;
}

int db_batch_add_duplicate(struct db_batch *b, const char *sensor_id, uint64_t seq)
{
	uint8_t k[80], v[10];
	size_t kl;

	if (!b || !sensor_id || !*sensor_id || strlen(sensor_id) > 64)
		return -DNSIFT_EINVAL;
	kl = segment_key(k, sensor_id, seq);
	k[kl++] = 'd';
	return batch_put_raw(b, k, kl, v, db_varint_put(v, 1));
}

uint64_t db_batch_entries(const struct db_batch *b)
{
	return b ? b->n : 0;
}

bool db_batch_full(const struct db_batch *b)
{
	/* Memory: the arena plus the pointer array and the sort's scratch copy of it. */
	return b && (b->n >= b->s->batch_max_entries ||
		     b->bytes + 2 * b->cap * sizeof(*b->ents) >= b->s->memory_bytes);
}

void db_batch_mark(const struct db_batch *b, struct db_batch_mark *m)
{
	m->entries = b->n;
	m->chunks = b->nchunks;
	m->used = b->used;
	m->segments = b->segments;
}

void db_batch_rollback(struct db_batch *b, const struct db_batch_mark *m)
{
	while (b->nchunks > m->chunks && b->nchunks > 0) {
		b->nchunks--;
		b->bytes -= b->chunk_size[b->nchunks];
		free(b->chunks[b->nchunks]);
	}
	b->used = m->chunks ? m->used : 0;
	b->n = m->entries;
	b->segments = m->segments;
}

static void batch_free(struct db_batch *b)
{
	for (size_t i = 0; i < b->nchunks; i++)
		free(b->chunks[i]);
	free(b->chunks);
	free(b->chunk_size);
	free(b->ents);
	if (!b->detached)
		b->s->batch_open = false;
	free(b);
}

void db_batch_abort(struct db_batch *b)
{
	if (b)
		batch_free(b);
}

/* ---- sorting --------------------------------------------------------------------- */

static int bent_cmp(const struct bent *a, const struct bent *b, size_t d)
{
	size_t la = a->klen - d, lb = b->klen - d, l = la < lb ? la : lb;
	int c = memcmp(a->data + d, b->data + d, l);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

static void insertion_sort(struct bent **a, size_t n, size_t d)
{
	for (size_t i = 1; i < n; i++) {
		struct bent *x = a[i];
		size_t j = i;

		while (j > 0 && bent_cmp(a[j - 1], x, d) > 0) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* Depth of the prefix all n keys share from d on (keys share a lot: the type byte,
 * the TLD, the zone), so a run of single-bucket passes becomes one pass. */
static size_t common_depth(struct bent **a, size_t n, size_t d)
{
	size_t lcp = a[0]->klen;

	for (size_t i = 1; i < n && lcp > d; i++) {
		size_t l = a[i]->klen < lcp ? a[i]->klen : lcp, j = d;

		while (j < l && a[i]->data[j] == a[0]->data[j])
			j++;
		lcp = j;
	}
	return lcp > d ? lcp : d + 1;
}

/*
 * MSD radix sort on key bytes from depth d; keys that end at d sort first. tmp has
 * room for n pointers. Recursion depth is bounded by the key length; an explicit
 * cut-over to insertion sort keeps small buckets cheap.
 */
static void radix_sort(struct bent **a, struct bent **tmp, size_t n, size_t d)
{
	size_t cnt[257], pos[257];

	while (n > 32) {
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[a[i]->klen > d ? 1u + a[i]->data[d] : 0]++;
		/* All in one bucket: go one byte deeper without moving anything. */
		unsigned only = 257;

		for (unsigned c = 0; c < 257; c++)
			if (cnt[c] == n)
				only = c;
		if (only == 0)
			return;	/* all keys equal up to their end */
		if (only < 257) {
			d = common_depth(a, n, d);
			continue;
		}
		pos[0] = 0;
		for (unsigned c = 1; c < 257; c++)
			pos[c] = pos[c - 1] + cnt[c - 1];
		for (size_t i = 0; i < n; i++)
			tmp[pos[a[i]->klen > d ? 1u + a[i]->data[d] : 0]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
		size_t off = cnt[0];

		/* tmp + off: each bucket uses its own part of tmp, so buckets may be sorted
		 * by different threads at once (sort_parallel). */
		for (unsigned c = 1; c < 257; c++) {
			if (cnt[c] > 1)
				radix_sort(a + off, tmp + off, cnt[c], d + 1);
			off += cnt[c];
		}
		return;
	}
	insertion_sort(a, n, d);
}

/*
 * The sort is most of a commit, and ingest has a core left over: split the array
 * into disjoint buckets with the first radix passes, then let two threads take the
 * buckets, largest first.
 */
struct sort_task {
	struct bent **a, **tmp;
	size_t n, d;
};

struct sort_plan {
	struct sort_task *t;
	size_t n, cap;
	atomic_size_t next;
	bool oom;
};

static void plan_push(struct sort_plan *p, struct bent **a, struct bent **tmp, size_t n, size_t d)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 256;
		struct sort_task *t = realloc(p->t, nc * sizeof(*t));

		if (!t) {
			p->oom = true;
			radix_sort(a, tmp, n, d);	/* do it now rather than lose it */
			return;
		}
		p->t = t;
		p->cap = nc;
	}
	p->t[p->n++] = (struct sort_task){ a, tmp, n, d };
}

static void radix_plan(struct sort_plan *p, struct bent **a, struct bent **tmp, size_t n,
		       size_t d, size_t cut)
{
	size_t cnt[257], pos[257];

	for (;;) {
		if (n <= cut) {
			plan_push(p, a, tmp, n, d);
			return;
		}
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[a[i]->klen > d ? 1u + a[i]->data[d] : 0]++;
		unsigned only = 257;

		for (unsigned c = 0; c < 257; c++)
			if (cnt[c] == n)
				only = c;
		if (only == 0)
			return;
		if (only < 257) {
			d = common_depth(a, n, d);
			continue;
		}
		pos[0] = 0;
		for (unsigned c = 1; c < 257; c++)
			pos[c] = pos[c - 1] + cnt[c - 1];
		for (size_t i = 0; i < n; i++)
			tmp[pos[a[i]->klen > d ? 1u + a[i]->data[d] : 0]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
		size_t off = cnt[0];

		for (unsigned c = 1; c < 257; c++) {
			if (cnt[c] > 1)
				radix_plan(p, a + off, tmp + off, cnt[c], d + 1, cut);
			off += cnt[c];
		}
		return;
	}
}

static int task_cmp(const void *x, const void *y)
{
	const struct sort_task *a = x, *b = y;

	return a->n < b->n ? 1 : a->n > b->n ? -1 : 0;
}

static void *sort_worker(void *arg)
{
	struct sort_plan *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		radix_sort(p->t[i].a, p->t[i].tmp, p->t[i].n, p->t[i].d);
	return NULL;
}

static void sort_parallel(struct bent **a, struct bent **tmp, size_t n)
{
	struct sort_plan p = { 0 };
	pthread_t th;
	bool started;

	if (n < 65536) {
		radix_sort(a, tmp, n, 0);
		return;
	}
	atomic_init(&p.next, 0);
	radix_plan(&p, a, tmp, n, 0, n / 16);
	qsort(p.t, p.n, sizeof(*p.t), task_cmp);
	started = pthread_create(&th, NULL, sort_worker, &p) == 0;
	sort_worker(&p);
	if (started)
		pthread_join(th, NULL);
	free(p.t);
}

/* ---- commit ---------------------------------------------------------------------- */

static int write_file_sync(struct db_store *s, uint64_t num)
{
	char tmp[DB_FILE_NAME_LEN + 8], fin[DB_FILE_NAME_LEN + 8];
	int fd;

	file_name(tmp, num, true);
	file_name(fin, num, false);
	fd = openat(s->dirfd, tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -DNSIFT_EIO;
	if (fsync(fd) != 0) {
		close(fd);
		return -DNSIFT_EIO;
	}
	close(fd);
	if (renameat(s->dirfd, tmp, s->dirfd, fin) != 0)
		return -DNSIFT_EIO;
	if (fsync(s->dirfd) != 0)
		return -DNSIFT_EIO;
	return 0;
}

static struct mtbl_writer *writer_open(struct db_store *s, uint64_t num, bool big)
{
	char tmp[DB_FILE_NAME_LEN + 8];
	struct mtbl_writer_options *wo = mtbl_writer_options_init();
	struct mtbl_writer *w;
	int fd;

	file_name(tmp, num, true);
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		mtbl_writer_options_destroy(&wo);
		return NULL;
	}
	/* Batches: LZ4 (fast to write). Compacted tiers: zstd (smaller, written once). */
	mtbl_writer_options_set_compression(wo, big ? MTBL_COMPRESSION_ZSTD
						    : MTBL_COMPRESSION_LZ4);
	mtbl_writer_options_set_block_size(wo, 16384);
	/* mtbl_writer_init_fd dups the fd; the writer closes its copy on destroy. */
	w = mtbl_writer_init_fd(fd, wo);
	mtbl_writer_options_destroy(&wo);
	close(fd);
	return w;
}

static void tmp_unlink(struct db_store *s, uint64_t num)
{
	char tmp[DB_FILE_NAME_LEN + 8];

	file_name(tmp, num, true);
	unlinkat(s->dirfd, tmp, 0);
}

/* Write the FILE_STATS entry (once, before the first key that sorts after it). */
static mtbl_res write_stats(struct mtbl_writer *w, uint64_t rrsets, uint64_t rdatas)
{
	uint8_t k[6] = { DB_ET_FILE_STATS, 's', 't', 'a', 't', 's' }, v[20];
	size_t n = db_varint_put(v, rrsets);

	n += db_varint_put(v + n, rdatas);
	return mtbl_writer_add(w, k, sizeof(k), v, n);
}

static bool is_rdata_type(uint8_t t)
{
	return t == DB_ET_RDATA_NAME || t == DB_ET_RDATA_IP4 || t == DB_ET_RDATA_IP6 ||
	       t == DB_ET_RDATA_OTHER;
}

/* Publish file num in the writer's view (the caller drops files it replaced). */
static int view_add_file_locked(struct db_store *s, uint64_t num, const uint64_t *drop,
				size_t ndrop);

static int view_add_file(struct db_store *s, uint64_t num, const uint64_t *drop, size_t ndrop)
{
	int rc;

	pthread_mutex_lock(&s->vmod);
	rc = view_add_file_locked(s, num, drop, ndrop);
	pthread_mutex_unlock(&s->vmod);
	return rc;
}

static int view_add_file_locked(struct db_store *s, uint64_t num, const uint64_t *drop,
				size_t ndrop)
{
	struct db_view *cur = view_get(s), *nv = calloc(1, sizeof(*nv));
	struct db_file *f;
	int e = 0;

	if (!nv) {
		view_unref(cur);
		return -DNSIFT_ENOMEM;
	}
	f = file_open(s, num, &e);
	nv->files = calloc(cur->n + 1, sizeof(*nv->files));
	if (!f || !nv->files) {
		if (f)
			file_unref(f);
		free(nv->files);
		free(nv);
		view_unref(cur);
		return f ? -DNSIFT_ENOMEM : -DNSIFT_EDB_CORRUPT;
	}
	atomic_init(&nv->refs, 1);
	for (size_t i = 0; i < cur->n; i++) {
		bool gone = false;

		for (size_t j = 0; j < ndrop; j++)
			if (drop[j] == cur->files[i]->num)
				gone = true;
		if (gone)
			continue;
		atomic_fetch_add(&cur->files[i]->refs, 1);
		nv->files[nv->n++] = cur->files[i];
	}
	/* Keep the view in number order. */
	size_t at = nv->n;

	while (at > 0 && nv->files[at - 1]->num > f->num) {
		nv->files[at] = nv->files[at - 1];
		at--;
	}
	nv->files[at] = f;
	nv->n++;
	view_unref(cur);
	view_set(s, nv);
	return 0;
}

static int batch_commit_now(struct db_batch *b);
static void compactor_kick(struct db_store *s);

int db_batch_commit(struct db_batch *b)
{
	int rc;

	if (!b)
		return -DNSIFT_EINVAL;
	/* Files are numbered in commit order: let the one in flight finish first. */
	rc = db_store_sync(b->s);
	if (rc) {
		db_batch_abort(b);
		return rc;
	}
	return batch_commit_now(b);
}

static int batch_commit_now(struct db_batch *b)
{
	struct db_store *s;
	struct mtbl_writer *w = NULL;
	struct bent **tmp = NULL;
	uint64_t num, rrsets = 0, rdatas = 0;
	bool stats_done = false;
	int rc = 0;

	if (!b)
		return -DNSIFT_EINVAL;
	s = b->s;
	if (b->n == 0) {
		batch_free(b);
		return 0;
	}
	tmp = malloc(b->n * sizeof(*tmp));
	if (!tmp) {
		batch_free(b);
		return -DNSIFT_ENOMEM;
	}
	sort_parallel(b->ents, tmp, b->n);
	free(tmp);
	num = atomic_fetch_add(&s->next_num, 1);
	w = writer_open(s, num, false);
	if (!w) {
		batch_free(b);
		return -DNSIFT_EIO;
	}
	for (size_t i = 0; i < b->n && rc == 0;) {
		struct bent *e = b->ents[i];
		size_t j = i + 1;
		uint8_t v[30];
		const uint8_t *val;
		size_t vlen;

		if (e->vlen == DB_VAL_TRIPLET) {
			uint64_t tf = e->tf, tl = e->tl, c = e->count;

			for (; j < b->n && bent_cmp(b->ents[j], e, 0) == 0; j++) {
				struct bent *x = b->ents[j];

				if (x->tf < tf)
					tf = x->tf;
				if (x->tl > tl)
					tl = x->tl;
				c += x->count;
			}
			vlen = triplet_put(v, tf, tl, c);
			val = v;
		} else if (key_is_dup(e->data, e->klen)) {
			uint64_t c = 0, x;

			for (j = i; j < b->n && bent_cmp(b->ents[j], e, 0) == 0; j++)
				if (db_varint_get(b->ents[j]->data + e->klen, b->ents[j]->vlen, &x))
					c += x;
			vlen = db_varint_put(v, c);
			val = v;
		} else {
			while (j < b->n && bent_cmp(b->ents[j], e, 0) == 0)
				j++;
			val = e->data + e->klen;
			vlen = e->vlen;
		}
		if (e->data[0] == DB_ET_RRSET)
			rrsets++;
		else if (is_rdata_type(e->data[0]))
			rdatas++;
		if (!stats_done && e->data[0] >= DB_ET_FILE_STATS) {
			stats_done = true;
			if (write_stats(w, rrsets, rdatas) != mtbl_res_success)
				rc = -DNSIFT_EIO;
		}
		if (rc == 0 && mtbl_writer_add(w, e->data, e->klen, val, vlen) != mtbl_res_success)
			rc = -DNSIFT_EIO;
		i = j;
	}
	if (rc == 0 && !stats_done && write_stats(w, rrsets, rdatas) != mtbl_res_success)
		rc = -DNSIFT_EIO;
	/* destroy writes the index and trailer and closes the fd. */
	mtbl_writer_destroy(&w);
	batch_free(b);
	if (rc == 0)
		rc = write_file_sync(s, num);
	if (rc) {
		tmp_unlink(s, num);
		return rc;
	}
	rc = view_add_file(s, num, NULL, 0);
	if (rc == 0)
		compactor_kick(s);
	return rc;
}

/* ---- committing in the background ------------------------------------------------ */

static int compact_loop(struct db_store *s, bool full);

static void *compactor_main(void *arg)
{
	struct db_store *s = arg;

	pthread_mutex_lock(&s->cmu);
	for (;;) {
		while (!s->compactor_kicked && !atomic_load(&s->compactor_stop))
			pthread_cond_wait(&s->ccv, &s->cmu);
		if (atomic_load(&s->compactor_stop))
			break;
		s->compactor_kicked = false;
		pthread_mutex_unlock(&s->cmu);
		pthread_mutex_lock(&s->cmpmu);
		int rc = compact_loop(s, false);

		pthread_mutex_unlock(&s->cmpmu);
		pthread_mutex_lock(&s->cmu);
		if (rc && rc != -DNSIFT_EBUSY) {
			/* Nothing is lost (the inputs stay); say so and retry at the next kick. */
			s->compactions_failed++;
			fprintf(stderr, "dnsift-db: %s: background compaction failed: %s\n", s->dir,
				dnsift_strerror(rc));
		}
		if (getenv("DBG_COMPACT")) fprintf(stderr, "compactor rc=%d\n", rc);
	}
	pthread_mutex_unlock(&s->cmu);
	return NULL;
}

/* After a commit: let the compactor look at the tiers (started on first use). */
static void compactor_kick(struct db_store *s)
{
	if (!s->background_compaction)
		return;
	pthread_mutex_lock(&s->cmu);
	if (!s->compactor_started &&
	    pthread_create(&s->compactor, NULL, compactor_main, s) == 0)
		s->compactor_started = true;
	s->compactor_kicked = true;
	pthread_cond_broadcast(&s->ccv);
	pthread_mutex_unlock(&s->cmu);
}

static void *committer_main(void *arg)
{
	struct db_store *s = arg;

	pthread_mutex_lock(&s->cmu);
	for (;;) {
		while (!s->inflight && !s->committer_stop)
			pthread_cond_wait(&s->ccv, &s->cmu);
		if (!s->inflight)
			break;
		struct db_batch *b = s->inflight;

		pthread_mutex_unlock(&s->cmu);
		int rc = batch_commit_now(b);


		pthread_mutex_lock(&s->cmu);
		s->inflight = NULL;
		s->inflight_rc = rc;
		pthread_cond_broadcast(&s->ccv);
	}
	pthread_mutex_unlock(&s->cmu);
	return NULL;
}

int db_store_sync(struct db_store *s)
{
	int rc;

	if (!s || !s->committer_started)
		return 0;
	pthread_mutex_lock(&s->cmu);
	while (s->inflight)
		pthread_cond_wait(&s->ccv, &s->cmu);
	rc = s->inflight_rc;
	s->inflight_rc = 0;
	pthread_mutex_unlock(&s->cmu);
	return rc;
}

int db_batch_commit_async(struct db_batch *b)
{
	struct db_store *s;
	int rc;

	if (!b)
		return -DNSIFT_EINVAL;
	s = b->s;
	rc = db_store_sync(s);
	if (rc) {
		db_batch_abort(b);
		return rc;
	}
	if (!s->committer_started) {
		if (pthread_create(&s->committer, NULL, committer_main, s) != 0)
			return batch_commit_now(b);	/* no thread: commit here */
		s->committer_started = true;
	}
	/* The batch is no longer the open one: the writer may begin the next. */
	s->batch_open = false;
	b->detached = true;
	pthread_mutex_lock(&s->cmu);
	s->inflight = b;
	pthread_cond_broadcast(&s->ccv);
	pthread_mutex_unlock(&s->cmu);
	return 0;
}

/* ---- compaction ------------------------------------------------------------------ */

static unsigned file_tier(uint64_t bytes)
{
	unsigned t = 0;

	bytes >>= 20;	/* tier 0: under 1 MiB; each tier 4 times the previous */
	while (bytes) {
		t++;
		bytes >>= 2;
	}
	return t;
}

/* Merge the files of v numbered in sel[0..n) into one new file. */
static int compact_files(struct db_store *s, struct db_view *v, uint64_t *sel, size_t n)
{
	struct mtbl_merger *m = mtbl_merger_init(s->mopt);
	struct mtbl_writer *w;
	struct mtbl_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	uint64_t num, rrsets = 0, rdatas = 0;
	bool tail_done = false;
	int rc = 0;

	if (!m)
		return -DNSIFT_ENOMEM;
	/* REPLACES keys must go out in order (a view is not always in number order: a
	 * commit may publish while a merge whose number is lower is running). */
	qsort(sel, n, sizeof(*sel), cmp_u64);
	for (size_t i = 0; i < v->n; i++)
		for (size_t j = 0; j < n; j++)
			if (v->files[i]->num == sel[j])
				mtbl_merger_add_source(m, mtbl_reader_source(v->files[i]->reader));
	num = atomic_fetch_add(&s->next_num, 1);
	w = writer_open(s, num, true);
	if (!w) {
		mtbl_merger_destroy(&m);
		return -DNSIFT_EIO;
	}
	it = mtbl_source_iter(mtbl_merger_source(m));
	uint64_t seen = 0;

	while (rc == 0 && it && mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success) {
		if ((++seen & 0xFFFF) == 0 && atomic_load(&s->compactor_stop))
			rc = -DNSIFT_EBUSY;	/* closing: give up, the inputs are intact */
		if (klen == 0)
			continue;
		/* The inputs' own stats and REPLACES entries describe them, not the output. */
		if (key[0] == DB_ET_FILE_STATS || key[0] == DB_ET_REPLACES)
			continue;
		if (key[0] == DB_ET_RRSET)
			rrsets++;
		else if (is_rdata_type(key[0]))
			rdatas++;
		if (!tail_done && key[0] >= DB_ET_FILE_STATS) {
			tail_done = true;
			if (write_stats(w, rrsets, rdatas) != mtbl_res_success)
				rc = -DNSIFT_EIO;
			for (size_t j = 0; rc == 0 && j < n; j++) {
				uint8_t k[1 + DB_FILE_NAME_LEN + 8];

				k[0] = DB_ET_REPLACES;
				file_name((char *)k + 1, sel[j], false);
				if (mtbl_writer_add(w, k, 1 + DB_FILE_NAME_LEN, NULL, 0) !=
				    mtbl_res_success)
					rc = -DNSIFT_EIO;
			}
		}
		if (rc == 0 && mtbl_writer_add(w, key, klen, val, vlen) != mtbl_res_success)
			rc = -DNSIFT_EIO;
	}
	mtbl_iter_destroy(&it);
	if (rc == 0 && !tail_done) {
		if (write_stats(w, rrsets, rdatas) != mtbl_res_success)
			rc = -DNSIFT_EIO;
		for (size_t j = 0; rc == 0 && j < n; j++) {
			uint8_t k[1 + DB_FILE_NAME_LEN + 8];

			k[0] = DB_ET_REPLACES;
			file_name((char *)k + 1, sel[j], false);
			if (mtbl_writer_add(w, k, 1 + DB_FILE_NAME_LEN, NULL, 0) != mtbl_res_success)
				rc = -DNSIFT_EIO;
		}
	}
	mtbl_writer_destroy(&w);
	mtbl_merger_destroy(&m);
	if (rc == 0)
		rc = write_file_sync(s, num);
	if (rc) {
		tmp_unlink(s, num);
		return rc;
	}
	/* From here the new file stands for its inputs, whatever happens next. */
	rc = view_add_file(s, num, sel, n);
	for (size_t j = 0; j < n; j++) {
		char name[DB_FILE_NAME_LEN + 8];

		file_name(name, sel[j], false);
		unlinkat(s->dirfd, name, 0);
	}
	fsync(s->dirfd);
	return rc;
}

static int compact_loop(struct db_store *s, bool full)
{
	for (;;) {
		struct db_view *v = view_get(s);
		uint64_t *sel = calloc(v->n ? v->n : 1, sizeof(*sel));
		size_t n = 0;
		int rc;

		if (!sel) {
			view_unref(v);
			return -DNSIFT_ENOMEM;
		}
		if (full) {
			if (v->n > 1)
				for (size_t i = 0; i < v->n; i++)
					sel[n++] = v->files[i]->num;
		} else {
			/* The lowest tier that holds DB_TIER_FANIN files or more. */
			for (unsigned t = 0; t < 40 && n == 0; t++) {
				size_t c = 0;

				for (size_t i = 0; i < v->n; i++)
					c += file_tier(v->files[i]->bytes) == t;
				if (c < DB_TIER_FANIN)
					continue;
				for (size_t i = 0; i < v->n; i++)
					if (file_tier(v->files[i]->bytes) == t)
						sel[n++] = v->files[i]->num;
			}
		}
		if (n < 2) {
			free(sel);
			view_unref(v);
			return 0;
		}
		rc = compact_files(s, v, sel, n);
		free(sel);
		view_unref(v);
		if (rc || full)
			return rc;
	}
}

int db_store_compact(struct db_store *s, bool full)
{
	int rc;

	if (!s || !s->writable || s->batch_open)
		return -DNSIFT_EINVAL;
	rc = db_store_sync(s);
	if (rc)
		return rc;
	pthread_mutex_lock(&s->cmpmu);
	rc = compact_loop(s, full);
	pthread_mutex_unlock(&s->cmpmu);
	return rc;
}

/* ---- queries --------------------------------------------------------------------- */

struct qctx {
	const struct db_query *q;
	db_result_fn fn;
	void *arg;
	const struct mtbl_source *src;
	uint64_t skipped, delivered;
	int status;
	bool stop;
	size_t left_at;		/* LEFT wildcard: this key byte must be a label, not 0 */
	const uint8_t *pat;	/* rdata wildcards: rev (LEFT) or fwd (RIGHT) name prefix */
	size_t pat_len;
	bool bw_filter;
	uint8_t bw_rev[DB_NAME_WIRE_MAX];
	size_t bw_len;
	char *buf;
	size_t bufcap;
	const char **rd;
	size_t rdcap;
};

static bool type_ok(uint32_t want, uint16_t t)
{
	if (want == 0 || want == DB_RRTYPE_ANY)
		return true;
	if (want == DB_RRTYPE_ANY_DNSSEC)
		return t == 43 || t == 46 || t == 47 || t == 48 || t == 50 || t == 51 ||
		       t == 59 || t == 60 || t == 32768 || t == 32769;
	return t == want;
}

static bool single_type(uint32_t want)
{
	return want != 0 && want != DB_RRTYPE_ANY && want != DB_RRTYPE_ANY_DNSSEC &&
	       want <= 65535;
}

static bool time_ok(const struct db_query *q, uint64_t tf, uint64_t tl)
{
	if (q->time_first_before && !(tf < q->time_first_before))
		return false;
	if (q->time_first_after && !(tf > q->time_first_after))
		return false;
	if (q->time_last_before && !(tl < q->time_last_before))
		return false;
	if (q->time_last_after && !(tl > q->time_last_after))
		return false;
	return true;
}

static bool buf_need(struct qctx *c, size_t n, size_t nrd)
{
	if (n > c->bufcap) {
		char *p = realloc(c->buf, n);

		if (!p)
			return false;
		c->buf = p;
		c->bufcap = n;
	}
	if (nrd > c->rdcap) {
		const char **p = realloc(c->rd, nrd * sizeof(*p));

		if (!p)
			return false;
		c->rd = p;
		c->rdcap = nrd;
	}
	return true;
}

/* Offer one result: filters, offset, limit. */
static void emit(struct qctx *c, struct db_result *r)
{
	if (!type_ok(c->q->rrtype, r->rrtype) || !time_ok(c->q, r->time_first, r->time_last))
		return;
	if (c->skipped < c->q->offset) {
		c->skipped++;
		return;
	}
	if (c->q->limit && c->delivered >= c->q->limit) {
		c->status = DB_QUERY_LIMITED;
		c->stop = true;
		return;
	}
	c->delivered++;
	if (c->fn(c->arg, r)) {
		c->status = DB_QUERY_STOPPED;
		c->stop = true;
	}
}

typedef void (*entry_fn)(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v,
			 size_t vl);

static int scan_prefix(struct qctx *c, const uint8_t *p, size_t pl, entry_fn fn)
{
	struct mtbl_iter *it = mtbl_source_get_prefix(c->src, p, pl);
	const uint8_t *k, *v;
	size_t kl, vl;

	if (!it)
		return 0;	/* libmtbl gives no iterator when nothing is at or after the key */
	while (!c->stop && mtbl_iter_next(it, &k, &kl, &v, &vl) == mtbl_res_success)
		fn(c, k, kl, v, vl);
	mtbl_iter_destroy(&it);
	return 0;
}

static int scan_range(struct qctx *c, const uint8_t *lo, size_t ll, const uint8_t *hi,
		      size_t hl, entry_fn fn)
{
	struct mtbl_iter *it = mtbl_source_get_range(c->src, lo, ll, hi, hl);
	const uint8_t *k, *v;
	size_t kl, vl;

	if (!it)
		return 0;
	while (!c->stop && mtbl_iter_next(it, &k, &kl, &v, &vl) == mtbl_res_success)
		fn(c, k, kl, v, vl);
	mtbl_iter_destroy(&it);
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RRSET entry -> result. */
static void on_rrset(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct db_result r = { 0 };
	size_t p = 1, nl, bl = 0, nrd = 0, need;
	const uint8_t *bw = NULL;
	char *o;

	if (c->left_at && (kl <= c->left_at || k[c->left_at] == 0))
		return;
	nl = db_rname_len(k + 1, kl - 1);
	if (!nl || 1 + nl + 5 > kl)
		return;
	p = 1 + nl;
	r.rrtype = get16(k + p);
	r.rrclass = get16(k + p + 2);
	p += 4;
	if (k[p++]) {
		bl = db_rname_len(k + p, kl - p);
		if (!bl)
			return;
		bw = k + p;
		p += bl;
	}
	if (c->bw_filter && (bl != c->bw_len || memcmp(bw, c->bw_rev, bl) != 0))
		return;
	if (!type_ok(c->q->rrtype, r.rrtype))
		return;
	if (!triplet_get(v, vl, &r.time_first, &r.time_last, &r.count))
		return;
	if (!time_ok(c->q, r.time_first, r.time_last))
		return;
	/* Count the rdata strings to size the scratch. */
	for (size_t q = p; q < kl;) {
		uint64_t l;
		size_t n = db_varint_get(k + q, kl - q, &l);

		if (!n || l > kl - q - n)
			return;
		q += n + l;
		nrd++;
	}
	need = 4 * DB_NAME_WIRE_MAX * 2 + (kl - p) + nrd;
	if (!buf_need(c, need, nrd ? nrd : 1))
		return;
	o = c->buf;
	if (db_rname_to_text(k + 1, nl, o, 4 * DB_NAME_WIRE_MAX) < 0)
		return;
	r.rrname = o;
	o += strlen(o) + 1;
	if (bw) {
		if (db_rname_to_text(bw, bl, o, 4 * DB_NAME_WIRE_MAX) < 0)
			return;
		r.bailiwick = o;
		o += strlen(o) + 1;
	}
	nrd = 0;
	for (size_t q = p; q < kl;) {
		uint64_t l;
		size_t n = db_varint_get(k + q, kl - q, &l);

		memcpy(o, k + q + n, l);
		o[l] = 0;
		c->rd[nrd++] = o;
		o += l + 1;
		q += n + l;
	}
	r.rdata = c->rd;
	r.rdata_count = (unsigned)nrd;
	emit(c, &r);
}

/* This entry is the SOA's rname and its mname matches the wildcard too. */
static bool soa_mname_also_matches(const struct qctx *c, const char *rd, const uint8_t *target,
				   size_t tl)
{
	size_t ns[2], nl[2];
	uint8_t w[DB_NAME_WIRE_MAX], rv[DB_NAME_WIRE_MAX];
	const uint8_t *m;
	int wl;

	if (db_rdata_names(6, rd, strlen(rd), ns, nl) != 2)
		return false;
	wl = db_name_to_wire(rd + ns[0], nl[0], w);
	if (wl <= 0)
		return false;
	db_wire_reverse(w, (size_t)wl, rv);
	if ((size_t)wl == tl && memcmp(rv, target, tl) == 0)
		return false;	/* this is the mname's entry */
	m = c->q->wildcard == DB_WILDCARD_RIGHT ? w : rv;
	return (size_t)wl > c->pat_len && memcmp(m, c->pat, c->pat_len) == 0 &&
	       m[c->pat_len] != 0;
}

/* RDATA_NAME entry: rev(target) rrtype rev(rrname) rdata. */
static void on_rdata_name(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v,
			  size_t vl)
{
	struct db_result r = { 0 };
	size_t tl, ol, p;
	const char *rd;

	if (c->left_at && (kl <= c->left_at || k[c->left_at] == 0))
		return;
	tl = db_rname_len(k + 1, kl - 1);
	if (!tl || 1 + tl + 2 >= kl)
		return;
	p = 1 + tl;
	r.rrtype = get16(k + p);
	p += 2;
	if (!type_ok(c->q->rrtype, r.rrtype))
		return;
	ol = db_rname_len(k + p, kl - p);
	if (!ol)
		return;
	if (!triplet_get(v, vl, &r.time_first, &r.time_last, &r.count))
		return;
	if (!buf_need(c, 4 * DB_NAME_WIRE_MAX + (kl - p - ol) + 2, 1))
		return;
	if (db_rname_to_text(k + p, ol, c->buf, 4 * DB_NAME_WIRE_MAX) < 0)
		return;
	r.rrname = c->buf;
	char *o = c->buf + strlen(c->buf) + 1;

	memcpy(o, k + p + ol, kl - p - ol);
	o[kl - p - ol] = 0;
	rd = o;
	/* A RAW lookup through the name index: the whole rdata must match too. */
	if (c->q->kind == DB_QUERY_RDATA_RAW && strcmp(rd, c->q->rdata) != 0)
		return;
	/* An SOA is indexed under mname and rname: when a wildcard matches both, report
	 * it once, with the mname's entry. */
	if (r.rrtype == 6 && c->pat && soa_mname_also_matches(c, rd, k + 1, tl))
		return;
	c->rd[0] = rd;
	r.rdata = c->rd;
	r.rdata_count = 1;
	r.rrclass = 1;
	emit(c, &r);
}

/* RDATA_IP4/6 entry: addr rev(rrname). */
static void on_rdata_ip(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v,
			size_t vl)
{
	struct db_result r = { 0 };
	size_t al = k[0] == DB_ET_RDATA_IP4 ? 4 : 16, ol;
	char addr[64];

	if (kl <= 1 + al)
		return;
	ol = db_rname_len(k + 1 + al, kl - 1 - al);
	if (ol != kl - 1 - al)
		return;
	r.rrtype = al == 4 ? 1 : 28;
	if (!type_ok(c->q->rrtype, r.rrtype))
		return;
	if (!triplet_get(v, vl, &r.time_first, &r.time_last, &r.count))
		return;
	if (!buf_need(c, 4 * DB_NAME_WIRE_MAX + 64, 1))
		return;
	if (db_rname_to_text(k + 1 + al, ol, c->buf, 4 * DB_NAME_WIRE_MAX) < 0)
		return;
	if (rdata_to_text(r.rrtype, k + 1, (uint16_t)al, addr, sizeof(addr)) < 0)
		return;
	r.rrname = c->buf;
	char *o = c->buf + strlen(c->buf) + 1;

	memcpy(o, addr, strlen(addr) + 1);
	c->rd[0] = o;
	r.rdata = c->rd;
	r.rdata_count = 1;
	r.rrclass = 1;
	emit(c, &r);
}

/* RDATA_OTHER entry: rrtype len rdata rev(rrname). */
static void on_rdata_other(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v,
			   size_t vl)
{
	struct db_result r = { 0 };
	uint64_t rl;
	size_t n, p, ol;

	if (kl < 4)
		return;
	r.rrtype = get16(k + 1);
	n = db_varint_get(k + 3, kl - 3, &rl);
	if (!n || rl > kl - 3 - n)
		return;
	p = 3 + n + rl;
	ol = db_rname_len(k + p, kl - p);
	if (ol != kl - p)
		return;
	if (!triplet_get(v, vl, &r.time_first, &r.time_last, &r.count))
		return;
	if (!buf_need(c, 4 * DB_NAME_WIRE_MAX + rl + 2, 1))
		return;
	if (db_rname_to_text(k + p, ol, c->buf, 4 * DB_NAME_WIRE_MAX) < 0)
		return;
	r.rrname = c->buf;
	char *o = c->buf + strlen(c->buf) + 1;

	memcpy(o, k + 3 + n, rl);
	o[rl] = 0;
	c->rd[0] = o;
	r.rdata = c->rd;
	r.rdata_count = 1;
	r.rrclass = 1;
	emit(c, &r);
}

/* Forward-name entry (RIGHT wildcard): look the name up in the reversed index. */
static void on_fwd(struct qctx *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	uint8_t key[1 + DB_NAME_WIRE_MAX + 2];
	size_t nl;
	uint16_t t;

	(void)v;
	(void)vl;
	if (kl <= c->left_at || k[c->left_at] == 0)
		return;	/* the name itself: a right-hand wildcard wants more labels */
	nl = db_rname_len(k + 1, kl - 1);
	if (!nl || 1 + nl + 2 != kl)
		return;
	t = get16(k + 1 + nl);
	if (!type_ok(c->q->rrtype, t))
		return;
	key[0] = k[0] == DB_ET_RRSET_NAME_FWD ? DB_ET_RRSET : DB_ET_RDATA_NAME;
	db_wire_reverse(k + 1, nl, key + 1);
	key[1 + nl] = (uint8_t)(t >> 8);
	key[2 + nl] = (uint8_t)t;
	size_t save = c->left_at;

	c->left_at = 0;
	scan_prefix(c, key, 3 + nl, key[0] == DB_ET_RRSET ? on_rrset : on_rdata_name);
	c->left_at = save;
}

static int run_name_query(struct qctx *c, uint8_t et, entry_fn fn)
{
	const struct db_query *q = c->q;
	uint8_t wire[DB_NAME_WIRE_MAX], key[1 + DB_NAME_WIRE_MAX + 2];
	int wl;
	size_t kl;

	if (!q->name)
		return -DNSIFT_EINVAL;
	wl = db_name_to_wire(q->name, strlen(q->name), wire);
	if (wl < 0)
		return -DNSIFT_EINVAL;
	if (q->wildcard == DB_WILDCARD_RIGHT) {
		if (wl == 1)
			return -DNSIFT_EINVAL;	/* "*" alone is not a right-hand wildcard */
		key[0] = et == DB_ET_RRSET ? DB_ET_RRSET_NAME_FWD : DB_ET_RDATA_NAME_FWD;
		memcpy(key + 1, wire, (size_t)wl - 1);	/* without the root: a prefix */
		c->left_at = (size_t)wl;
		if (et == DB_ET_RDATA_NAME) {
			c->pat = key + 1;
			c->pat_len = (size_t)wl - 1;
		}
		return scan_prefix(c, key, (size_t)wl, on_fwd);
	}
	key[0] = et;
	db_wire_reverse(wire, (size_t)wl, key + 1);
	if (q->wildcard == DB_WILDCARD_LEFT) {
		/* "this name and below" without the terminator; the name itself is skipped. */
		c->left_at = (size_t)wl;
		if (et == DB_ET_RDATA_NAME) {
			c->pat = key + 1;
			c->pat_len = (size_t)wl - 1;
		}
		return scan_prefix(c, key, (size_t)wl, fn);
	}
	kl = 1 + (size_t)wl;
	if (single_type(q->rrtype)) {
		key[kl++] = (uint8_t)(q->rrtype >> 8);
		key[kl++] = (uint8_t)q->rrtype;
	}
	return scan_prefix(c, key, kl, fn);
}

static int run_ip_query(struct qctx *c, int fam, const uint8_t *lo, const uint8_t *hi)
{
	uint8_t klo[17], khi[18];
	size_t al = fam == AF_INET ? 4 : 16;

	klo[0] = khi[0] = fam == AF_INET ? DB_ET_RDATA_IP4 : DB_ET_RDATA_IP6;
	memcpy(klo + 1, lo, al);
	memcpy(khi + 1, hi, al);
	khi[1 + al] = 0xFF;	/* after every owner name of address hi */
	if (memcmp(lo, hi, al) > 0)
		return -DNSIFT_EINVAL;
	return scan_range(c, klo, 1 + al, khi, 2 + al, on_rdata_ip);
}

static int run_query(struct qctx *c)
{
	const struct db_query *q = c->q;

	switch (q->kind) {
	case DB_QUERY_RRSET_NAME:
		c->bw_filter = false;
		if (q->bailiwick) {
			uint8_t w[DB_NAME_WIRE_MAX];
			int bl = db_name_to_wire(q->bailiwick, strlen(q->bailiwick), w);

			if (bl < 0)
				return -DNSIFT_EINVAL;
			db_wire_reverse(w, (size_t)bl, c->bw_rev);
			c->bw_len = (size_t)bl;
			c->bw_filter = true;
		}
		return run_name_query(c, DB_ET_RRSET, on_rrset);
	case DB_QUERY_RDATA_NAME:
		return run_name_query(c, DB_ET_RDATA_NAME, on_rdata_name);
	case DB_QUERY_RDATA_IP:
		if (q->ip_family != AF_INET && q->ip_family != AF_INET6)
			return -DNSIFT_EINVAL;
		return run_ip_query(c, q->ip_family, q->ip_lo, q->ip_hi);
	case DB_QUERY_RDATA_RAW: {
		size_t rl, ns[2], nl[2];
		uint8_t a[16];

		if (!q->rdata || !single_type(q->rrtype))
			return -DNSIFT_EINVAL;
		rl = strlen(q->rdata);
		if (q->rrtype == 1 && inet_pton(AF_INET, q->rdata, a) == 1)
			return run_ip_query(c, AF_INET, a, a);
		if (q->rrtype == 28 && inet_pton(AF_INET6, q->rdata, a) == 1)
			return run_ip_query(c, AF_INET6, a, a);
		unsigned nn = db_rdata_names((uint16_t)q->rrtype, q->rdata, rl, ns, nl);
		uint8_t wire[DB_NAME_WIRE_MAX];
		int wl = nn ? db_name_to_wire(q->rdata + ns[0], nl[0], wire) : -1;

		if (wl > 0) {
			uint8_t key[1 + DB_NAME_WIRE_MAX + 2];

			key[0] = DB_ET_RDATA_NAME;
			db_wire_reverse(wire, (size_t)wl, key + 1);
			key[1 + wl] = (uint8_t)(q->rrtype >> 8);
			key[2 + wl] = (uint8_t)q->rrtype;
			c->left_at = 0;
			return scan_prefix(c, key, 3 + (size_t)wl, on_rdata_name);
		}
		uint8_t *key = malloc(3 + 10 + rl);
		int rc;

		if (!key)
			return -DNSIFT_ENOMEM;
		key[0] = DB_ET_RDATA_OTHER;
		key[1] = (uint8_t)(q->rrtype >> 8);
		key[2] = (uint8_t)q->rrtype;
		size_t n = db_varint_put(key + 3, rl);

		memcpy(key + 3 + n, q->rdata, rl);
		rc = scan_prefix(c, key, 3 + n + rl, on_rdata_other);
		free(key);
		return rc;
	}
	}
	return -DNSIFT_EINVAL;
}

int db_store_query(struct db_store *s, const struct db_query *q, db_result_fn fn, void *arg)
{
	struct qctx c = { 0 };
	struct db_view *v;
	int rc = 0;

	if (!s || !q || !fn)
		return -DNSIFT_EINVAL;
	c.q = q;
	c.fn = fn;
	c.arg = arg;
	c.status = DB_QUERY_COMPLETE;
	if (!buf_need(&c, 4096, 16))
		return -DNSIFT_ENOMEM;
	v = view_get(s);
	if (q->aggregate) {
		struct mtbl_merger *m = NULL;

		c.src = view_source(s, v, &m);
		rc = c.src ? run_query(&c) : -DNSIFT_ENOMEM;
		mtbl_merger_destroy(&m);
	} else {
		/* Not aggregated: each file's own entries (a batch, or a merged tier). */
		for (size_t i = 0; i < v->n && rc == 0 && !c.stop; i++) {
			c.src = mtbl_reader_source(v->files[i]->reader);
			c.left_at = 0;
			rc = run_query(&c);
		}
	}
	view_unref(v);
	free(c.buf);
	free(c.rd);
	return rc ? rc : c.status;
}

/* ---- statistics ------------------------------------------------------------------ */

int db_store_stats(struct db_store *s, struct db_store_stats *out)
{
	struct db_view *v;
	int rc = 0;

	if (!s || !out)
		return -DNSIFT_EINVAL;
	memset(out, 0, sizeof(*out));
	v = view_get(s);
	for (size_t i = 0; i < v->n; i++) {
		const struct mtbl_source *src = mtbl_reader_source(v->files[i]->reader);
		const uint8_t sk[6] = { DB_ET_FILE_STATS, 's', 't', 'a', 't', 's' };
		struct mtbl_iter *it = mtbl_source_get(src, sk, sizeof(sk));
		const uint8_t *key, *val;
		size_t klen, vlen;

		out->files++;
		out->bytes += v->files[i]->bytes;
		out->entries += mtbl_metadata_count_entries(
			mtbl_reader_metadata(v->files[i]->reader));
		if (it && mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success) {
			uint64_t a = 0, b = 0;
			size_t n = db_varint_get(val, vlen, &a);

			if (n && db_varint_get(val + n, vlen - n, &b)) {
				out->rrset_entries += a;
				out->rdata_entries += b;
			}
		}
		mtbl_iter_destroy(&it);
	}
	/* Segments: distinct SEGMENT keys over the merged view. */
	struct mtbl_merger *m = NULL;
	const struct mtbl_source *src = view_source(s, v, &m);
	const uint8_t pk = DB_ET_SEGMENT;
	struct mtbl_iter *it = src ? mtbl_source_get_prefix(src, &pk, 1) : NULL;
	const uint8_t *key, *val;
	size_t klen, vlen;

	if (!src)
		rc = -DNSIFT_ENOMEM;
	while (it && mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success)
		if (!key_is_dup(key, klen))
			out->segments++;
	mtbl_iter_destroy(&it);
	mtbl_merger_destroy(&m);
	view_unref(v);
	return rc;
}

static bool segment_decode(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
			   char *sid, struct db_segment_meta *m, char **drops)
{
	size_t sl, p = 0, n;
	uint64_t rec;

	if (kl < 11)
		return false;
	sl = kl - 10;	/* 0xFF sid 0 seq8 */
	if (sl > 64 || k[1 + sl] != 0)
		return false;
	memcpy(sid, k + 1, sl);
	sid[sl] = 0;
	memset(m, 0, sizeof(*m));
	m->sensor_id = sid;
	for (int i = 0; i < 8; i++)
		m->seq = m->seq << 8 | k[2 + sl + i];
	uint64_t *f[4] = { &m->open_time, &m->close_time, &m->records, &m->count_sum };

	for (int i = 0; i < 4; i++) {
		n = db_varint_get(v + p, vl - p, f[i]);
		if (!n)
			return false;
		p += n;
	}
	if (p >= vl)
		return false;
	m->recovered = v[p++] != 0;
	n = db_varint_get(v + p, vl - p, &rec);
	if (!n)
		return false;
	m->ingest_time = rec;
	p += n;
	*drops = malloc(vl - p + 1);
	if (!*drops)
		return false;
	memcpy(*drops, v + p, vl - p);
	(*drops)[vl - p] = 0;
	m->drops_json = vl > p ? *drops : NULL;
	return true;
}

int db_store_segments(struct db_store *s, db_segment_fn fn, void *arg)
{
	struct db_view *v = view_get(s);
	struct mtbl_merger *m = NULL;
	const struct mtbl_source *src = view_source(s, v, &m);
	const uint8_t pk = DB_ET_SEGMENT;
	struct mtbl_iter *it = src ? mtbl_source_get_prefix(src, &pk, 1) : NULL;
	const uint8_t *key, *val;
	size_t klen, vlen;
	struct db_segment_meta cur;
	char sid[72], *drops = NULL;
	bool have = false;
	int rc = 0;

	if (!src)
		rc = -DNSIFT_ENOMEM;
	while (rc == 0 && it && mtbl_iter_next(it, &key, &klen, &val, &vlen) == mtbl_res_success) {
		if (key_is_dup(key, klen)) {
			uint64_t c;

			/* The duplicate count sorts right after its segment's entry. */
			if (have && strlen(sid) == klen - 11 && memcmp(key + 1, sid, klen - 11) == 0 &&
			    db_varint_get(val, vlen, &c)) {
				uint64_t seq = 0;

				for (int i = 0; i < 8; i++)
					seq = seq << 8 | key[klen - 9 + i];
				if (seq == cur.seq)
					cur.duplicates += c;
			}
			continue;
		}
		if (have) {
			if (fn(arg, &cur))
				rc = 1;
			free(drops);
			drops = NULL;
			have = false;
		}
		if (rc == 0 && segment_decode(key, klen, val, vlen, sid, &cur, &drops))
			have = true;
	}
	if (have && rc == 0)
		fn(arg, &cur);
	free(drops);
	mtbl_iter_destroy(&it);
	mtbl_merger_destroy(&m);
	view_unref(v);
	return rc < 0 ? rc : 0;
}
