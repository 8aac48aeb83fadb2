/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of segment/: format, writer, reader, recovery.
 *
 * Most writer tests drive the writer with seg_writer_run_once() and a fake
 * clock, so rotation by age and flush intervals are exact and nothing sleeps.
 * The thread, disk-full and kill -9 tests use the real clock and wait for
 * conditions with generous bounds; no test asserts a duration.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "segment/seg.h"
#include "segment/seg_internal.h"
#include "segment/seg_json.h"
#include "wire/err.h"

#ifndef DNSIFT_SEG_TOOL
#define DNSIFT_SEG_TOOL "build/segment/dnsift-seg"
#endif

#define T0_MS 1764190000000ULL	/* 2025-11-26T20:46:40Z */

/* ---- helpers ------------------------------------------------------------------------- */

struct fake_clock {
	uint64_t ms;
};

static uint64_t fake_now(void *arg)
{
	return ((struct fake_clock *)arg)->ms;
}

struct lines {
	char **v;
	size_t n;
	size_t cap;
};

static void lines_add(struct lines *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strndup(s, len);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int collect_line(void *arg, const char *line, size_t len)
{
	lines_add(arg, line, len);
	return 0;
}

/* Record i: a COF line ending in '\n'; count is 1 + i % 5. */
static int make_line(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size,
			"{\"rrname\":\"r%u.example.com.\",\"rrtype\":\"A\",\"rdata\":[\"192.0.2.%u\"],"
			"\"time_first\":1764190000,\"time_last\":1764190001,\"count\":%u,"
			"\"sensor_id\":\"t-1\"}\n", i, i % 256, 1 + i % 5);
}

static uint64_t line_count(unsigned i)
{
	return 1 + i % 5;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/dnsift-test-seg.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Sorted names in dir (not starting with '.'); returns count, names in *out. */
static int list_dir(const char *dir, struct dirent ***out)
{
	int n = scandir(dir, out, not_dot, name_cmp);

	assert_true(n >= 0);
	return n;
}

static void free_list(struct dirent **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/*
 * Verify every segment in spool/ready (sorted), append their lines to all;
 * returns the number of segments. Asserts each verifies and sequences grow.
 */
static int read_ready(const char *spool, struct lines *all, uint64_t *recovered_segs)
{
	char dir[4096], path[8192];
	struct dirent **list;
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_error err;
	uint64_t last_seq = 0;
	int n;

	assert_non_null(info);
	snprintf(dir, sizeof(dir), "%s/ready", spool);
	n = list_dir(dir, &list);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (seg_read_file(path, collect_line, all, info, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		assert_true(info->seq > last_seq);
		last_seq = info->seq;
		if (recovered_segs && info->recovered)
			(*recovered_segs)++;
	}
	free_list(list, n);
	free(info);
	return n;
}

static void assert_lines_are(const struct lines *got, unsigned first, unsigned n)
{
	char want[512];

	assert_int_equal(got->n, n);
	for (unsigned i = 0; i < n; i++) {
		make_line(want, sizeof(want), first + i);
		assert_string_equal(got->v[i], want);
	}
}

static struct seg_writer *fake_writer(const char *spool, struct fake_clock *clk,
				      uint64_t max_bytes, size_t queue_bytes)
{
	struct seg_writer_params p = {
		.spool_dir = spool, .sensor_id = "t-1", .hostname = "test-host",
		.max_bytes = max_bytes, .max_age_s = 60, .flush_interval_ms = 1000,
		.queue_bytes = queue_bytes, .now_fn = fake_now, .now_arg = clk,
	};
	struct seg_writer *w = seg_writer_create(&p);

	assert_non_null(w);
	return w;
}

/* Submit records [first, first + n), running the writer whenever the ring is full. */
static void submit_range(struct seg_writer *w, unsigned first, unsigned n)
{
	char line[512];

	for (unsigned i = first; i < first + n; i++) {
		int len = make_line(line, sizeof(line), i);
		int rc;

		while ((rc = seg_writer_submit(w, line, (size_t)len, line_count(i))) ==
		       -DNSIFT_ELIMIT)
			assert_true(seg_writer_run_once(w) > 0);
		assert_int_equal(rc, 0);
	}
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	assert_non_null(f);
	*len = file_size(path);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void write_all_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* First file in spool/ready; path into out. */
static void first_ready(const char *spool, char *out, size_t size)
{
	char dir[4096];
	struct dirent **list;
	int n;

	snprintf(dir, sizeof(dir), "%s/ready", spool);
	n = list_dir(dir, &list);
	assert_true(n >= 1);
	snprintf(out, size, "%s/%s", dir, list[0]->d_name);
	free_list(list, n);
}

/* A segment of n records in small flushed blocks (one flush per record): path in out. */
static char *small_block_segment(unsigned n, char *out, size_t size)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer *w = fake_writer(spool, &clk, 0, 0);

	for (unsigned i = 0; i < n; i++) {
		submit_range(w, i, 1);
		clk.ms += 1000;	/* one flush interval: every record ends a block */
		seg_writer_run_once(w);
	}
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_free(w);
	first_ready(spool, out, size);
	return spool;
}

/* ---- format pieces ------------------------------------------------------------------- */

static void test_sensor_id_rules_and_names_sort(void **state)
{
	char name[SEG_NAME_MAX], id[SEG_SENSOR_ID_MAX + 1], n2[SEG_NAME_MAX], long_id[70];
	uint64_t seq, t;

	(void)state;
	assert_true(seg_sensor_id_valid("isp1-fra-01"));
	assert_true(seg_sensor_id_valid("a.b_c-D9"));
	assert_false(seg_sensor_id_valid(""));
	assert_false(seg_sensor_id_valid("a b"));
	assert_false(seg_sensor_id_valid("a/b"));
	assert_false(seg_sensor_id_valid("caf\xc3\xa9"));
	memset(long_id, 'x', 64);
	long_id[64] = '\0';
	assert_true(seg_sensor_id_valid(long_id));
	long_id[64] = 'x';
	long_id[65] = '\0';
	assert_false(seg_sensor_id_valid(long_id));

	assert_int_equal(seg_name_format(name, sizeof(name), "isp1.fra-01", 42, 1764190000), 52);
	assert_string_equal(name, "isp1.fra-01.000000000042.20251126T204640Z.ndjson.lz4");
	assert_int_equal(seg_name_parse(name, id, &seq, &t), 0);
	assert_string_equal(id, "isp1.fra-01");
	assert_int_equal(seq, 42);
	assert_int_equal(t, 1764190000);
	strcat(name, ".part");
	assert_int_equal(seg_name_parse(name, id, &seq, &t), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(seg_name_format(n2, sizeof(n2), "isp1.fra-01", 43, 1764190000 - 5), 52);
	assert_true(strcmp(name, n2) < 0);	/* sequence sorts first */
	assert_int_equal(seg_name_format(name, sizeof(name), "bad id", 1, 0), -DNSIFT_EINVAL);
	assert_int_equal(seg_name_parse("x.ndjson.lz4", id, &seq, &t), -DNSIFT_EFORMAT);
	assert_int_equal(seg_name_parse("a.12.20251126X204640Z.ndjson.lz4", id, &seq, &t),
			 -DNSIFT_EFORMAT);
}

static void test_crc32_matches_zlib(void **state)
{
	(void)state;
	assert_int_equal(seg_crc32("123456789", 9), 0xCBF43926U);
	assert_int_equal(seg_crc32("", 0), 0);
}

static void test_json_validator_accepts_objects_only(void **state)
{
	static const char *good[] = {
		"{}", "{\"a\":1}", ("{\"a\":[1,2.5e3,-0.1,\"x\\u00e9\\n\"],\"b\":{\"c\":null},"
		"\"d\":true,\"e\":false}"), " {\"a\" : \"b\"} ",
	};
	static const char *bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"\x01\"}",
		"{\"a\":\"\\x\"}", "{\"a\":1}{", "{\"a\":tru}", "{'a':1}", "{\"a\":1} x",
		"{\"a\":\"\\u12\"}", "{\"a\":-}", "{\"a\":1.}",
	};
	uint64_t count;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(sj_object(good[i], strlen(good[i]), NULL, NULL, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sj_object(bad[i], strlen(bad[i]), NULL, NULL, NULL) == 0)
			fail_msg("accepted %s", bad[i]);
#define CHECK(s, c) seg_record_check(s, strlen(s), c)
	assert_int_equal(CHECK("{\"x\":[1],\"count\":41}", &count), 0);
	assert_int_equal(count, 41);
	assert_int_equal(CHECK("{\"x\":{\"count\":5}}", &count), 0);
	assert_int_equal(count, 0);	/* only the top-level count counts */
	assert_int_equal(CHECK("{\"count\":-1}", &count), -1);
	assert_int_equal(CHECK(" {\"count\":1}", &count), -1);	/* a line starts with '{' */
#undef CHECK
}

/* ---- writer -------------------------------------------------------------------------- */

static unsigned drops_calls;

static unsigned test_drops(void *arg, struct seg_counter *out, unsigned max)
{
	(void)arg;
	assert_true(max >= 2);
	out[0].name = "rx_nombuf";
	out[0].value = 7 + drops_calls;
	out[1].name = "dns_\"odd\"";
	out[1].value = 0;
	drops_calls++;
	return 2;
}

static void test_round_trip_keeps_lines_counts_and_metadata(void **state)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer_params p = {
		.spool_dir = spool, .sensor_id = "t-1", .hostname = "host\"x",
		.now_fn = fake_now, .now_arg = &clk, .drops_fn = test_drops,
	};
	struct seg_writer *w = seg_writer_create(&p);
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_writer_stats st;
	struct seg_error err;
	struct lines got = { 0 };
	char path[8192], json[4 * SEG_META_MAX];
	uint64_t sum = 0;

	(void)state;
	assert_non_null(w);
	assert_non_null(info);
	drops_calls = 0;
	submit_range(w, 0, 1000);
	/* a line without its '\n' gets one */
	assert_int_equal(seg_writer_submit(w, "{\"count\":3}", 11, 3), 0);
	while (seg_writer_run_once(w) > 0)
		;
	clk.ms += 5000;
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.submitted, 1001);
	assert_int_equal(st.records, 1001);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.last_closed_seq, 1);
	assert_int_equal(drops_calls, 1);
	seg_writer_free(w);

	first_ready(spool, path, sizeof(path));
	assert_int_equal(seg_read_file(path, collect_line, &got, info, &err), 0);
	assert_int_equal(got.n, 1001);
	assert_string_equal(got.v[1000], "{\"count\":3}\n");
	got.n--;
	free(got.v[1000]);
	assert_lines_are(&got, 0, 1000);
	for (unsigned i = 0; i < 1000; i++)
		sum += line_count(i);
	assert_int_equal(info->records, 1001);
	assert_int_equal(info->count_sum, sum + 3);
	assert_int_equal(info->seq, 1);
	assert_int_equal(info->open_time, T0_MS / 1000);
	assert_int_equal(info->close_time, T0_MS / 1000 + 5);
	assert_string_equal(info->sensor_id, "t-1");
	assert_string_equal(info->hostname, "host\"x");
	assert_false(info->recovered);
	assert_non_null(strstr(info->tail_json,
			       "\"drops\":{\"rx_nombuf\":7,\"dns_\\\"odd\\\"\":0}"));
	assert_true(seg_info_json(info, &err, path, json, sizeof(json)) > 0);
	assert_int_equal(sj_object(json, strlen(json), NULL, NULL, NULL), 0);
	lines_free(&got);
	free(info);
	rm_rf(spool);
	free(spool);
}

static void test_rotation_by_size_bounds_files_and_keeps_order(void **state)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer *w = fake_writer(spool, &clk, 4096, 0);
	struct seg_writer_stats st;
	struct lines got = { 0 };
	char dir[4096], path[8192];
	struct dirent **list;
	int n;

	(void)state;
	for (unsigned i = 0; i < 2000; i += 100) {
		submit_range(w, i, 100);
		while (seg_writer_run_once(w) > 0)
			;
	}
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_stats(w, &st);
	seg_writer_free(w);
	assert_true(st.segments > 5);
	n = read_ready(spool, &got, NULL);
	assert_int_equal(n, st.segments);
	assert_lines_are(&got, 0, 2000);
	/* max_bytes counts buffered input as incompressible: a file overshoots by at most one
	 * record plus the end mark and tail */
	snprintf(dir, sizeof(dir), "%s/ready", spool);
	n = list_dir(dir, &list);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		assert_true(file_size(path) <= 4096 + 512 + 256);
	}
	free_list(list, n);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

static void test_rotation_by_age_and_empty_period_segment(void **state)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer *w = fake_writer(spool, &clk, 0, 0);
	struct seg_writer_stats st;
	struct lines got = { 0 };
	struct seg_info *info = malloc(sizeof(*info));
	char dir[4096], path[8192];
	struct dirent **list;
	int n;

	(void)state;
	assert_non_null(info);
	submit_range(w, 0, 10);
	seg_writer_run_once(w);
	clk.ms += 59999;
	seg_writer_run_once(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.segments, 0);	/* one ms short of max_age */
	clk.ms += 1;
	seg_writer_run_once(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.last_closed_seq, 1);
	/* a quiet minute still yields a segment, with zero records */
	seg_writer_run_once(w);
	clk.ms += 60000;
	seg_writer_run_once(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.segments, 2);
	seg_writer_free(w);

	assert_int_equal(read_ready(spool, &got, NULL), 2);
	assert_lines_are(&got, 0, 10);
	snprintf(dir, sizeof(dir), "%s/ready", spool);
	n = list_dir(dir, &list);
	assert_int_equal(n, 2);
	snprintf(path, sizeof(path), "%s/%s", dir, list[1]->d_name);
	assert_int_equal(seg_verify_file(path, info, NULL), 0);
	assert_int_equal(info->records, 0);
	assert_int_equal(info->seq, 2);
	assert_int_equal(info->open_time, (T0_MS + 60000) / 1000);
	assert_non_null(strstr(list[1]->d_name, ".000000000002.20251126T204740Z.ndjson.lz4"));
	free_list(list, n);
	free(info);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

static void test_rotation_on_request_from_another_thread(void **state)
{
	char *spool = make_tmpdir();
	struct seg_writer_params p = {
		.spool_dir = spool, .sensor_id = "t-1", .flush_interval_ms = 20, .max_age_s = 3600,
	};
	struct seg_writer *w = seg_writer_create(&p);
	struct seg_writer_stats st;
	struct lines got = { 0 };
	char line[512];
	uint64_t seq;

	(void)state;
	assert_non_null(w);
	assert_int_equal(seg_writer_start(w), 0);
	assert_int_equal(seg_writer_start(w), -DNSIFT_EINVAL);
	for (unsigned i = 0; i < 50; i++) {
		int len = make_line(line, sizeof(line), i);

		while (seg_writer_submit(w, line, (size_t)len, line_count(i)) == -DNSIFT_ELIMIT)
			usleep(1000);
	}
	seq = seg_writer_rotate_request(w);
	/* wait (bounded, not timed) for the request to be served */
	for (int i = 0; i < 10000; i++) {
		seg_writer_stats(w, &st);
		if (st.last_closed_seq >= seq && st.records == 50)
			break;
		usleep(1000);
	}
	seg_writer_stats(w, &st);
	assert_true(st.last_closed_seq >= seq);
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_free(w);
	read_ready(spool, &got, NULL);
	assert_lines_are(&got, 0, 50);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

static void test_sequence_continues_after_restart(void **state)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer *w = fake_writer(spool, &clk, 0, 0);
	struct seg_writer_stats st;
	struct lines got = { 0 };
	char path[8192], buf[64] = "";
	FILE *f;

	(void)state;
	submit_range(w, 0, 3);
	seg_writer_run_once(w);
	assert_int_equal(seg_writer_rotate_request(w), 1);
	seg_writer_run_once(w);
	seg_writer_run_once(w);	/* opens 2 */
	assert_int_equal(seg_writer_rotate_request(w), 2);
	seg_writer_run_once(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.last_closed_seq, 2);
	seg_writer_free(w);	/* never started: nothing open after the rotation, nothing new */

	w = fake_writer(spool, &clk, 0, 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.seq, 3);
	submit_range(w, 3, 2);
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.last_closed_seq, 3);
	seg_writer_free(w);

	/* .seq was lost: the names in ready/ still keep numbers from repeating */
	snprintf(path, sizeof(path), "%s/.seq", spool);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "4\n");
	unlink(path);
	w = fake_writer(spool, &clk, 0, 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.seq, 4);
	seg_writer_free(w);

	assert_int_equal(read_ready(spool, &got, NULL), 3);
	assert_lines_are(&got, 0, 5);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

static void test_queue_full_returns_limit_and_bad_lines_einval(void **state)
{
	struct fake_clock clk = { T0_MS };
	char *spool = make_tmpdir();
	struct seg_writer *w = fake_writer(spool, &clk, 0, 4096);
	struct seg_writer_stats st;
	struct lines got = { 0 };
	char line[512], big[8192];
	unsigned accepted = 0;
	int len;

	(void)state;
	for (;;) {
		len = make_line(line, sizeof(line), accepted);
		if (seg_writer_submit(w, line, (size_t)len, line_count(accepted)) == -DNSIFT_ELIMIT)
			break;
		accepted++;
	}
	assert_true(accepted > 10);
	seg_writer_stats(w, &st);
	assert_int_equal(st.queue_full, 1);
	assert_int_equal(st.submitted, accepted);
	assert_true(st.queue_used > 4096 - 256);
	assert_int_equal(seg_writer_submit(w, line, (size_t)len, 1), -DNSIFT_ELIMIT);
	seg_writer_stats(w, &st);
	assert_int_equal(st.queue_full, 2);
	assert_true(seg_writer_run_once(w) > 0);	/* the writer frees the ring */
	assert_int_equal(seg_writer_submit(w, line, (size_t)len, line_count(accepted)), 0);
	accepted++;

	assert_int_equal(seg_writer_submit(w, "", 0, 1), -DNSIFT_EINVAL);
	assert_int_equal(seg_writer_submit(w, "{}\n{}\n", 6, 1), -DNSIFT_EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(seg_writer_submit(w, big, sizeof(big), 1), -DNSIFT_EINVAL);
	assert_int_equal(seg_writer_stop(w), 0);
	assert_int_equal(seg_writer_submit(w, line, (size_t)len, 1), -DNSIFT_EINVAL);
	seg_writer_free(w);
	read_ready(spool, &got, NULL);
	assert_lines_are(&got, 0, accepted);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

static void test_create_rejects_bad_params(void **state)
{
	struct seg_writer_params p = { .spool_dir = "/tmp", .sensor_id = "bad id" };

	(void)state;
	errno = 0;
	assert_null(seg_writer_create(&p));
	assert_int_equal(errno, EINVAL);
	p.sensor_id = NULL;
	assert_null(seg_writer_create(&p));
	p.sensor_id = "ok";
	p.max_bytes = 100;
	assert_null(seg_writer_create(&p));
	assert_null(seg_writer_create(NULL));
	p.max_bytes = 0;
	p.spool_dir = "/proc/dnsift-no-such/spool";
	assert_null(seg_writer_create(&p));
	assert_true(errno != 0);
}

/* ---- stock tools --------------------------------------------------------------------- */

static int have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static void test_stock_lz4_and_jq_read_a_segment(void **state)
{
	char path[8192], cmd[16384], out[64] = "";
	char *spool;
	FILE *f;

	(void)state;
	if (!have_tool("lz4") || !have_tool("lz4cat")) {
		fprintf(stderr, "SKIP: lz4 CLI not installed\n");
		skip();
	}
	spool = small_block_segment(40, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "lz4 -q -t '%s'", path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "lz4cat '%s' | wc -l", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	assert_int_equal(atoi(out), 40);
	if (have_tool("jq")) {
		snprintf(cmd, sizeof(cmd), "lz4cat '%s' | jq -e -s 'length == 40 and "
			 "(map(.count) | add) == 120' >/dev/null", path);
		assert_int_equal(system(cmd), 0);
	} else {
		fprintf(stderr, "note: jq not installed, checked lz4cat only\n");
	}
	rm_rf(spool);
	free(spool);
}

static void test_cli_exit_status_and_output(void **state)
{
	char path[8192], bad[8300], cmd[32768], out[256] = "";
	uint8_t *buf;
	size_t len;
	char *spool;
	FILE *f;

	(void)state;
	if (access(DNSIFT_SEG_TOOL, X_OK) != 0) {
		fprintf(stderr, "SKIP: %s not built\n", DNSIFT_SEG_TOOL);
		skip();
	}
	spool = small_block_segment(12, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s verify '%s' >/dev/null", DNSIFT_SEG_TOOL, path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s cat '%s' | wc -l", DNSIFT_SEG_TOOL, path);
	f = popen(cmd, "r");
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	assert_int_equal(atoi(out), 12);
	snprintf(cmd, sizeof(cmd), "%s info '%s'", DNSIFT_SEG_TOOL, path);
	f = popen(cmd, "r");
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	assert_non_null(strstr(out, "\"valid\":true"));

	buf = read_all(path, &len);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	write_all_file(bad, buf, len - 3);
	snprintf(cmd, sizeof(cmd), "%s verify '%s' >/dev/null", DNSIFT_SEG_TOOL, bad);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s cat '%s' >/dev/null 2>&1", DNSIFT_SEG_TOOL, bad);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s recover '%s' '%s.rec' >/dev/null && %s verify '%s.rec' "
		 ">/dev/null", DNSIFT_SEG_TOOL, bad, bad, DNSIFT_SEG_TOOL, bad);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s frobnicate x 2>/dev/null", DNSIFT_SEG_TOOL);
	assert_int_not_equal(system(cmd), 0);
	free(buf);
	rm_rf(spool);
	free(spool);
}

/* ---- reader rejects damage ----------------------------------------------------------- */

static void test_reader_rejects_every_truncation_and_byte_flip(void **state)
{
	char path[8192], bad[8300];
	struct seg_error err;
	uint8_t *buf;
	size_t len;
	char *spool;

	(void)state;
	spool = small_block_segment(6, path, sizeof(path));
	buf = read_all(path, &len);
	snprintf(bad, sizeof(bad), "%s/bad", spool);
	assert_int_equal(seg_verify_file(path, NULL, &err), 0);
	for (size_t cut = 0; cut < len; cut++) {
		write_all_file(bad, buf, cut);
		if (seg_verify_file(bad, NULL, &err) == 0)
			fail_msg("truncation to %zu of %zu bytes accepted", cut, len);
		assert_true(err.msg[0] != '\0');
	}
	/* the error names the problem and where: a cut inside the second block */
	write_all_file(bad, buf, len - 40);
	assert_true(seg_verify_file(bad, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "offset"));
	for (size_t at = 0; at < len; at++) {
		for (unsigned bit = 0; bit < 8; bit += 3) {
			buf[at] ^= (uint8_t)(1U << bit);
			write_all_file(bad, buf, len);
			if (seg_verify_file(bad, NULL, &err) == 0)
				fail_msg("flip of bit %u at offset %zu of %zu accepted", bit, at, len);
			buf[at] ^= (uint8_t)(1U << bit);
		}
	}
	/* extra bytes after the tail */
	buf = realloc(buf, len + 1);
	buf[len] = '\n';
	write_all_file(bad, buf, len + 1);
	assert_int_equal(seg_verify_file(bad, NULL, &err), -DNSIFT_ESEG_TRAILER);
	/* specific codes */
	write_all_file(bad, buf, 5);
	assert_int_equal(seg_verify_file(bad, NULL, &err), -DNSIFT_ESEG_TRUNCATED);
	buf[0] ^= 1;
	write_all_file(bad, buf, len);
	assert_int_equal(seg_verify_file(bad, NULL, &err), -DNSIFT_ESEG_MAGIC);
	free(buf);
	rm_rf(spool);
	free(spool);
}

static void test_reader_rejects_wrong_version_and_bad_records(void **state)
{
	struct seg_enc enc;
	struct seg_head h = { .version = 2, .sensor_id = "t-1", .seq = 1, .open_time = 1 };
	struct seg_tail t = { .seq = 1, .records = 1, .count_sum = 0 };
	char *dir = make_tmpdir(), path[4096];
	struct seg_error err;

	(void)state;
	snprintf(path, sizeof(path), "%s/x", dir);
	assert_int_equal(seg_enc_init(&enc, 0), 0);

	assert_int_equal(seg_enc_begin(&enc, &h), 0);
	assert_int_equal(seg_enc_add(&enc, "{}\n", 3), 0);
	assert_int_equal(seg_enc_end(&enc, &t), 0);
	write_all_file(path, enc.out, enc.out_len);
	assert_int_equal(seg_verify_file(path, NULL, &err), -DNSIFT_ESEG_VERSION);

	h.version = 1;
	seg_enc_consume(&enc, enc.out_len);
	assert_int_equal(seg_enc_begin(&enc, &h), 0);
	assert_int_equal(seg_enc_add(&enc, "{\"a\":1}\n[1]\n", 12), 0);
	t.records = 2;
	assert_int_equal(seg_enc_end(&enc, &t), 0);
	write_all_file(path, enc.out, enc.out_len);
	assert_int_equal(seg_verify_file(path, NULL, &err), -DNSIFT_ESEG_RECORD);
	assert_int_equal(err.record, 2);

	/* counts that disagree with the tail */
	seg_enc_consume(&enc, enc.out_len);
	assert_int_equal(seg_enc_begin(&enc, &h), 0);
	assert_int_equal(seg_enc_add(&enc, "{\"count\":2}\n", 12), 0);
	t.records = 1;
	t.count_sum = 3;
	assert_int_equal(seg_enc_end(&enc, &t), 0);
	write_all_file(path, enc.out, enc.out_len);
	assert_int_equal(seg_verify_file(path, NULL, &err), -DNSIFT_ESEG_TRAILER);
	assert_non_null(strstr(err.msg, "count_sum"));

	/* no newline after the last record */
	seg_enc_consume(&enc, enc.out_len);
	assert_int_equal(seg_enc_begin(&enc, &h), 0);
	assert_int_equal(seg_enc_add(&enc, "{\"count\":2}", 11), 0);
	t.records = 0;
	t.count_sum = 0;
	assert_int_equal(seg_enc_end(&enc, &t), 0);
	write_all_file(path, enc.out, enc.out_len);
	assert_int_equal(seg_verify_file(path, NULL, &err), -DNSIFT_ESEG_RECORD);
	seg_enc_fini(&enc);
	rm_rf(dir);
	free(dir);
}

/* ---- recovery ------------------------------------------------------------------------ */

static void test_recovery_of_parts_cut_anywhere_keeps_a_prefix(void **state)
{
	char path[8192], part[8300], out[8300], name[SEG_NAME_MAX];
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_recover_result res;
	struct seg_error err;
	uint64_t prev = 0;
	uint8_t *buf;
	size_t len;
	char *spool;

	(void)state;
	assert_non_null(info);
	spool = small_block_segment(30, path, sizeof(path));
	buf = read_all(path, &len);
	snprintf(name, sizeof(name), "%s", strrchr(path, '/') + 1);
	snprintf(part, sizeof(part), "%s/%s.part", spool, name);
	snprintf(out, sizeof(out), "%s/out.ndjson.lz4", spool);
	for (size_t cut = 0; cut <= len; cut += (cut < 200 || cut > len - 64) ? 1 : 5) {
		struct lines got = { 0 };
		uint64_t sum = 0;

		write_all_file(part, buf, cut);
		assert_int_equal(seg_recover_file(part, out, &res), 0);
		if (seg_read_file(out, collect_line, &got, info, &err) != 0)
			fail_msg("cut %zu: recovered file invalid: %s", cut, err.msg);
		assert_lines_are(&got, 0, (unsigned)got.n);	/* a prefix, never garbage */
		assert_true(got.n >= prev);			/* more bytes never fewer lines */
		prev = got.n;
		for (size_t i = 0; i < got.n; i++)
			sum += line_count((unsigned)i);
		assert_int_equal(info->count_sum, sum);
		assert_int_equal(info->seq, 1);
		assert_string_equal(info->sensor_id, "t-1");
		assert_int_equal(res.records, got.n);
		if (cut == len) {
			assert_true(res.complete);
			assert_false(info->recovered);
			assert_int_equal(got.n, 30);
		} else {
			assert_false(res.complete);
			assert_true(info->recovered);
		}
		lines_free(&got);
	}
	assert_int_equal(prev, 30);
	free(buf);
	free(info);
	rm_rf(spool);
	free(spool);
}

static void test_create_recovers_leftover_part_under_its_name(void **state)
{
	char path[8192], part[8300], ready[8300], stale[8400], name[SEG_NAME_MAX];
	struct fake_clock clk = { T0_MS + 3600 * 1000 };
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_writer_stats st;
	struct seg_writer *w;
	struct lines got = { 0 };
	uint8_t *buf;
	size_t len;
	char *spool;

	(void)state;
	assert_non_null(info);
	spool = small_block_segment(20, path, sizeof(path));
	buf = read_all(path, &len);
	snprintf(name, sizeof(name), "%s", strrchr(path, '/') + 1);
	unlink(path);
	/* the writer would have used seq 2 next; pretend it crashed mid-way through seq 1 */
	snprintf(part, sizeof(part), "%s/.open/%s.part", spool, name);
	write_all_file(part, buf, len / 2);
	snprintf(ready, sizeof(ready), "%s/.open/junk.txt", spool);
	write_all_file(ready, (const uint8_t *)"x", 1);
	/* debris of an interrupted earlier recovery goes; the part itself is what counts */
	snprintf(stale, sizeof(stale), "%s.recovered", part);
	write_all_file(stale, (const uint8_t *)"partial", 7);

	w = fake_writer(spool, &clk, 0, 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.recovered, 1);
	assert_true(st.recovered_records > 0 && st.recovered_records < 20);
	assert_int_equal(st.seq, 2);
	seg_writer_free(w);
	assert_int_equal(access(part, F_OK), -1);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(ready, F_OK), 0);	/* foreign files are left alone */
	snprintf(ready, sizeof(ready), "%s/ready/%s", spool, name);
	assert_int_equal(seg_read_file(ready, collect_line, &got, info, NULL), 0);
	assert_true(info->recovered);
	assert_int_equal(got.n, st.recovered_records);
	assert_lines_are(&got, 0, (unsigned)got.n);
	assert_non_null(strstr(info->tail_json, "\"recovery_stop\":\"segment_truncated\""));
	/* crash after the rename into ready/ but before the unlink: the part just goes */
	write_all_file(part, buf, len / 3);
	w = fake_writer(spool, &clk, 0, 0);
	seg_writer_stats(w, &st);
	seg_writer_free(w);
	assert_int_equal(st.recovered, 0);
	assert_int_equal(access(part, F_OK), -1);
	lines_free(&got);
	assert_int_equal(seg_read_file(ready, collect_line, &got, info, NULL), 0);
	assert_true(info->recovered);
	lines_free(&got);
	free(buf);
	free(info);
	rm_rf(spool);
	free(spool);
}

static void test_kill9_mid_stream_then_recover(void **state)
{
	char *spool = make_tmpdir();
	char open_dir[4096];
	struct seg_writer_stats st;
	struct lines got = { 0 };
	uint64_t recovered_segs = 0;
	struct seg_writer *w;
	pid_t pid;
	int status;

	(void)state;
	snprintf(open_dir, sizeof(open_dir), "%s/.open", spool);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct seg_writer_params p = {
			.spool_dir = spool, .sensor_id = "t-1", .flush_interval_ms = 50,
			.max_age_s = 3600,
		};
		struct seg_writer *cw = seg_writer_create(&p);
		char line[512];

		if (!cw || seg_writer_start(cw) < 0)
			_exit(2);
		/* write until killed; the bound only guards against a parent that died */
		for (unsigned i = 0; i < 3000000; i++) {
			int len = make_line(line, sizeof(line), i);

			while (seg_writer_submit(cw, line, (size_t)len, line_count(i)) ==
			       -DNSIFT_ELIMIT)
				usleep(1000);
			usleep(20);
		}
		_exit(3);
	}
	/* wait until flushed data is on disk, then kill without warning */
	for (int i = 0; i < 20000; i++) {
		struct dirent **list;
		char part[8192];
		int n = scandir(open_dir, &list, not_dot, name_cmp);
		uint64_t size = 0;

		if (n == 1) {
			struct stat sb;

			snprintf(part, sizeof(part), "%s/%s", open_dir, list[0]->d_name);
			if (stat(part, &sb) == 0)
				size = (uint64_t)sb.st_size;
		}
		if (n > 0)
			free_list(list, n);
		else
			free(list);
		if (size > 4096)
			break;
		usleep(1000);
	}
	usleep(120 * 1000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	w = fake_writer(spool, &(struct fake_clock){ T0_MS }, 0, 0);
	seg_writer_stats(w, &st);
	seg_writer_free(w);
	assert_int_equal(st.recovered, 1);
	assert_true(st.recovered_records > 0);
	assert_int_equal(read_ready(spool, &got, &recovered_segs), 1);
	assert_int_equal(recovered_segs, 1);
	assert_int_equal(got.n, st.recovered_records);
	assert_lines_are(&got, 0, (unsigned)got.n);
	lines_free(&got);
	rm_rf(spool);
	free(spool);
}

/* ---- disk full ----------------------------------------------------------------------- */

/* Lines that compress poorly, so a 256 KiB tmpfs really fills. */
static int noisy_line(char *buf, size_t size, unsigned i)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL * (i + 1);
	char hex[129];

	for (int k = 0; k < 128; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hex[k] = "0123456789abcdef"[x & 15];
	}
	hex[128] = '\0';
	return snprintf(buf, size, "{\"rrname\":\"n%u.example.\",\"rrtype\":\"TXT\","
			"\"rdata\":[\"%s\"],\"count\":1}\n", i, hex);
}

static void test_disk_full_holds_records_and_resumes_without_loss(void **state)
{
	char *base = make_tmpdir();
	char mnt[4096], spool[4200], fill[4200], line[512], chunk[4096];
	struct seg_writer_params p = {
		.spool_dir = spool, .sensor_id = "t-1", .flush_interval_ms = 20,
		.retry_interval_ms = 20, .queue_bytes = 16384, .max_bytes = 32768,
		.max_age_s = 3600,
	};
	struct seg_writer_stats st;
	struct lines got = { 0 };
	struct seg_writer *w;
	unsigned next = 0;
	const unsigned total = 700;
	int fd;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/mnt", base);
	snprintf(spool, sizeof(spool), "%s/spool", mnt);
	snprintf(fill, sizeof(fill), "%s/fill", mnt);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0) {
		fprintf(stderr, "SKIP: cannot mount a tmpfs here (%s); disk-full test not run\n",
			strerror(errno));
		rm_rf(base);
		free(base);
		skip();
	}
	w = seg_writer_create(&p);
	assert_non_null(w);
	assert_int_equal(seg_writer_start(w), 0);

	/* fill the file system */
	fd = open(fill, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(chunk, 'f', sizeof(chunk));
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	while (write(fd, chunk, 1) > 0)
		;
	close(fd);

	/* submit until the writer reports the disk full and the ring refuses records */
	for (int i = 0; i < 200000 && next < total; i++) {
		int len = noisy_line(line, sizeof(line), next);

		if (seg_writer_submit(w, line, (size_t)len, 1) == 0) {
			next++;
			continue;
		}
		seg_writer_stats(w, &st);
		if (st.enospc >= 1 && st.disk_full)
			break;
		usleep(500);
	}
	seg_writer_stats(w, &st);
	assert_true(st.enospc >= 1);
	assert_true(st.disk_full);
	assert_true(st.queue_full >= 1);
	assert_true(st.write_errors >= 1);
	assert_true(next < total);

	/* free space: everything accepted so far and the rest must arrive */
	assert_int_equal(unlink(fill), 0);
	for (int i = 0; i < 200000 && next < total; i++) {
		int len = noisy_line(line, sizeof(line), next);

		if (seg_writer_submit(w, line, (size_t)len, 1) == 0)
			next++;
		else
			usleep(500);
	}
	assert_int_equal(next, total);
	assert_int_equal(seg_writer_stop(w), 0);
	seg_writer_stats(w, &st);
	seg_writer_free(w);
	assert_false(st.disk_full);
	assert_int_equal(st.records, total);
	assert_int_equal(st.abandoned, 0);

	read_ready(spool, &got, NULL);
	assert_int_equal(got.n, total);
	for (unsigned i = 0; i < total; i++) {
		noisy_line(line, sizeof(line), i);
		assert_string_equal(got.v[i], line);
	}
	lines_free(&got);
	umount(mnt);
	rm_rf(base);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sensor_id_rules_and_names_sort),
		cmocka_unit_test(test_crc32_matches_zlib),
		cmocka_unit_test(test_json_validator_accepts_objects_only),
		cmocka_unit_test(test_round_trip_keeps_lines_counts_and_metadata),
		cmocka_unit_test(test_rotation_by_size_bounds_files_and_keeps_order),
		cmocka_unit_test(test_rotation_by_age_and_empty_period_segment),
		cmocka_unit_test(test_rotation_on_request_from_another_thread),
		cmocka_unit_test(test_sequence_continues_after_restart),
		cmocka_unit_test(test_queue_full_returns_limit_and_bad_lines_einval),
		cmocka_unit_test(test_create_rejects_bad_params),
		cmocka_unit_test(test_stock_lz4_and_jq_read_a_segment),
		cmocka_unit_test(test_cli_exit_status_and_output),
		cmocka_unit_test(test_reader_rejects_every_truncation_and_byte_flip),
		cmocka_unit_test(test_reader_rejects_wrong_version_and_bad_records),
		cmocka_unit_test(test_recovery_of_parts_cut_anywhere_keeps_a_prefix),
		cmocka_unit_test(test_create_recovers_leftover_part_under_its_name),
		cmocka_unit_test(test_kill9_mid_stream_then_recover),
		cmocka_unit_test(test_disk_full_holds_records_and_resumes_without_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
