/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment write throughput: one producer submits synthetic COF lines as fast
 * as the writer thread takes them; reports NDJSON MB/s in, records/s, the
 * compression ratio, and the reader's verify speed over the result.
 *
 *   seg_bench [records] [spool-dir]     (default 2000000, a fresh dir in /tmp)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "segment/seg.h"
#include "wire/err.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	char tmpl[] = "/tmp/dnsift-seg-bench.XXXXXX";
	const char *spool = argc > 2 ? argv[2] : mkdtemp(tmpl);
	struct seg_writer_params p = {
		.spool_dir = spool, .sensor_id = "bench-01", .max_bytes = 64ULL << 20,
		.max_age_s = 3600, .queue_bytes = 16U << 20,
	};
	struct seg_writer_stats st;
	struct seg_writer *w;
	char ready[4096], line[512];
	uint64_t in_bytes = 0, verified = 0, retries = 0;
	double t0, t1, t2, verify_s = 0;
	struct dirent *de;
	DIR *d;

	if (!spool || !(w = seg_writer_create(&p)) || seg_writer_start(w) < 0) {
		perror("seg_bench: writer");
		return 1;
	}
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line),
			"{\"rrname\":\"host%" PRIu64 ".zone%" PRIu64 ".example.com.\",\"rrtype\":\"A\","
			"\"rdata\":[\"198.51.100.%" PRIu64 "\",\"203.0.113.%" PRIu64 "\"],"
			"\"time_first\":%" PRIu64 ",\"time_last\":%" PRIu64 ",\"count\":%" PRIu64 ","
			"\"bailiwick\":\"zone%" PRIu64 ".example.com.\",\"sensor_id\":\"bench-01\"}\n",
			i, i % 997, i % 251, (i * 7) % 253, 1764190000 + i / 1000,
			1764190000 + i / 1000 + i % 300, 1 + i % 41, i % 997);

		while (seg_writer_submit(w, line, (size_t)len, 1 + i % 41) == -DNSIFT_ELIMIT) {
			retries++;
			sched_yield();
		}
		in_bytes += (uint64_t)len;
	}
	if (seg_writer_stop(w) < 0)
		fprintf(stderr, "seg_bench: stop failed\n");
	t1 = now_s();
	seg_writer_stats(w, &st);
	seg_writer_free(w);

	snprintf(ready, sizeof(ready), "%s/ready", spool);
	d = opendir(ready);
	while (d && (de = readdir(d))) {
		char path[8192];
		struct seg_info *info = malloc(sizeof(*info));
		struct seg_error err;

		if (de->d_name[0] == '.' || !info) {
			free(info);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", ready, de->d_name);
		t2 = now_s();
		if (seg_verify_file(path, info, &err) < 0)
			fprintf(stderr, "seg_bench: %s: %s\n", path, err.msg);
		verify_s += now_s() - t2;
		verified += info->content_bytes;
		free(info);
		if (argc <= 2)
			unlink(path);
	}
	if (d)
		closedir(d);
	printf("segment write: %" PRIu64 " records, %.1f MB NDJSON in %.3f s: %.1f MB/s, "
	       "%.0f records/s; %" PRIu64 " segments, ratio %.2f, %" PRIu64 " queue-full "
	       "retries\n", st.records, (double)in_bytes / 1e6, t1 - t0,
	       (double)in_bytes / 1e6 / (t1 - t0), (double)st.records / (t1 - t0), st.segments,
	       st.bytes_out ? (double)st.bytes_in / (double)st.bytes_out : 0.0, retries);
	printf("segment verify: %.1f MB of content in %.3f s: %.1f MB/s\n", (double)verified / 1e6,
	       verify_s, verify_s > 0 ? (double)verified / 1e6 / verify_s : 0.0);
	if (argc <= 2) {
		char sub[8192];

		snprintf(sub, sizeof(sub), "%s/.open", spool);
		rmdir(sub);
		rmdir(ready);
		snprintf(sub, sizeof(sub), "%s/.seq", spool);
		unlink(sub);
		rmdir(spool);
	}
	return st.records == n ? 0 : 1;
}
