/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_cof_read: records/s of the COF reader (db/cof_read.c) alone, against
 * jansson (when built with it) decoding the same lines into the same fields, over the
 * record lines of the segments given. Reports numbers; never fails on speed.
 *
 *   bench_cof_read SEGMENT...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/cof_read.h"
#include "segment/seg.h"

#ifdef DNSIFT_HAVE_JANSSON
#include <jansson.h>
#endif

struct lines {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static int keep(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;

	if (l->len + len > l->cap) {
		l->cap = (l->len + len) * 2;
		l->buf = realloc(l->buf, l->cap);
	}
	if (l->n == l->ncap) {
		l->ncap = l->ncap ? l->ncap * 2 : 4096;
		l->off = realloc(l->off, (l->ncap + 1) * sizeof(*l->off));
	}
	if (!l->buf || !l->off)
		return 1;
	memcpy(l->buf + l->len, line, len);
	l->off[l->n++] = l->len;
	l->len += len;
	l->off[l->n] = l->len;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct lines l = { 0 };
	struct cof_reader *r = cof_reader_create();
	struct cof_line cl;
	double t0, best = 1e9;
	uint64_t sum = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_cof_read SEGMENT...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (seg_read_file(argv[i], keep, &l, NULL, NULL) != 0) {
			fprintf(stderr, "bench_cof_read: %s does not verify\n", argv[i]);
			return 1;
		}
	if (!l.n)
		return 1;
	for (int rep = 0; rep < 3; rep++) {
		t0 = now();
		for (size_t i = 0; i < l.n; i++) {
			if (cof_read_line(r, l.buf + l.off[i], l.off[i + 1] - l.off[i], &cl, NULL, 0) != 0)
				return 1;
			sum += cl.rec.count;
		}
		double dt = now() - t0;

		if (dt < best)
			best = dt;
	}
	printf("cof_read: %zu records, %.0f MB, %.0f records/s (%.0f MB/s), best of 3\n", l.n,
	       (double)l.len / 1e6, (double)l.n / best, (double)l.len / 1e6 / best);
#ifdef DNSIFT_HAVE_JANSSON
	double jbest = 1e9;

	for (int rep = 0; rep < 3; rep++) {
		t0 = now();
		for (size_t i = 0; i < l.n; i++) {
			json_error_t e;
			json_t *o = json_loadb(l.buf + l.off[i], l.off[i + 1] - l.off[i], 0, &e);
			json_t *rd;

			if (!o)
				return 1;
			/* The same fields cof_read delivers. */
			(void)json_string_value(json_object_get(o, "rrname"));
			(void)json_string_value(json_object_get(o, "rrtype"));
			(void)json_string_value(json_object_get(o, "bailiwick"));
			rd = json_object_get(o, "rdata");
			for (size_t k = 0; k < json_array_size(rd); k++)
				(void)json_string_value(json_array_get(rd, k));
			sum += (uint64_t)json_integer_value(json_object_get(o, "count"));
			sum += (uint64_t)json_integer_value(json_object_get(o, "time_first"));
			sum += (uint64_t)json_integer_value(json_object_get(o, "time_last"));
			json_decref(o);
		}
		double dt = now() - t0;

		if (dt < jbest)
			jbest = dt;
	}
	printf("jansson:  %zu records, %.0f records/s; cof_read is %.1fx faster\n", l.n,
	       (double)l.n / jbest, jbest / best);
#endif
	if (sum == 42)
		printf(" ");
	cof_reader_free(r);
	free(l.buf);
	free(l.off);
	return 0;
}
