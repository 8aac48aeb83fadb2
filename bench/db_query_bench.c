/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Query latency of the passive DNS database: the four questions, p50 / p99 / max,
 * at 10 million records or more. Reports numbers; never passes or fails on time.
 *
 *   db_query_bench [--records N] [--queries Q] [--dir DIR] [--keep] [--compact]
 *
 * Records are synthetic, written through db/store.h's batch API (the path ingest
 * uses after parsing): zones zNNNNNN.bench. of 100 records each: an NS RRset (two
 * names at one of 5000 providers: 20 zones per nameserver), an MX, 90 A hosts
 * (addresses 10.0.0.0/8 in order, so a /24 holds 256 of them) and 8 AAAA.
 * Then, for random keys, each question is asked in-process (api_request_parse +
 * api_run rendering SAF into a counting sink: what serve does minus the socket)
 * and over HTTP through db_serve_run on loopback (connect, GET, whole body, close):
 *   rrset/name  hNN.zNNNNNN.bench/A        1 result
 *   rdata/name  ns1.pNNNN.bench/NS        20 results
 *   rdata/ip    10.A.B.0,24              256 results
 *   rrset/name  *.zNNNNNN.bench          98 results (every owner below the apex)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/api_query.h"
#include "db/api_render.h"
#include "db/serve.h"
#include "db/store.h"
#include "wire/err.h"

#define PER_ZONE 100
#define PROVIDERS 5000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int generate(struct db_store *s, uint64_t records, uint64_t batch_entries)
{
	uint64_t zones = records / PER_ZONE, done = 0;
	struct db_batch *b = db_batch_begin(s);
	double t0 = now_s();
	char owner[128], zone[64], r0[128], r1[128], bw[64];
	const char *rd[2] = { r0, r1 };

	if (b == NULL)
		return -1;
	for (uint64_t z = 0; z < zones; z++) {
		uint64_t tf = 1700000000 + rnd() % 10000000;
		snprintf(zone, sizeof(zone), "z%06llu.bench.", (unsigned long long)z);
		snprintf(bw, sizeof(bw), "%s", zone);
		for (unsigned int h = 0; h < PER_ZONE; h++) {
			struct db_record r = {
				.rrname = owner, .rrclass = 1, .bailiwick = bw, .rdata = rd,
				.rdata_count = 1, .time_first = tf + h, .time_last = tf + h + rnd() % 86400,
				.count = 1 + rnd() % 100,
			};
			uint64_t n = z * 90 + h;		/* the zone's A hosts, numbered */
			if (h == 0) {
				unsigned int p = (unsigned int)(z % PROVIDERS);
				snprintf(owner, sizeof(owner), "%s", zone);
				r.rrtype = 2;
				snprintf(r0, sizeof(r0), "ns1.p%04u.bench.", p);
				snprintf(r1, sizeof(r1), "ns2.p%04u.bench.", p);
				r.rdata_count = 2;
			} else if (h == 1) {
				snprintf(owner, sizeof(owner), "%s", zone);
				r.rrtype = 15;
				snprintf(r0, sizeof(r0), "10 mail.%s", zone);
			} else if (h < 92) {
				n = z * 90 + (h - 2);
				snprintf(owner, sizeof(owner), "h%02u.%s", h - 2, zone);
				r.rrtype = 1;
				snprintf(r0, sizeof(r0), "10.%llu.%llu.%llu",
					 (unsigned long long)(n >> 16 & 255),
					 (unsigned long long)(n >> 8 & 255), (unsigned long long)(n & 255));
			} else {
				snprintf(owner, sizeof(owner), "v%u.%s", h - 92, zone);
				r.rrtype = 28;
				snprintf(r0, sizeof(r0), "2001:db8:%llx::%x",
					 (unsigned long long)(z & 0xffff), h);
			}
			if (db_batch_add(b, &r) != 0) {
				fprintf(stderr, "db_batch_add failed\n");
				db_batch_abort(b);
				return -1;
			}
			done++;
		}
		if (db_batch_entries(b) >= batch_entries) {
			if (db_batch_commit(b) != 0)
				return -1;
			b = db_batch_begin(s);
			if (b == NULL)
				return -1;
			fprintf(stderr, "  %llu records, %.0f records/s\n", (unsigned long long)done,
				(double)done / (now_s() - t0));
		}
	}
	if (db_batch_commit(b) != 0)
		return -1;
	printf("generated %llu records in %.1f s (%.0f records/s through db_batch_add/commit)\n",
	       (unsigned long long)done, now_s() - t0, (double)done / (now_s() - t0));
	return 0;
}

struct count_sink {
	uint64_t bytes, lines;
};

static int count(void *arg, const char *data, size_t len)
{
	struct count_sink *c = arg;
	c->bytes += len;
	for (size_t i = 0; i < len; i++)
		c->lines += data[i] == '\n';
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void make_path(int question, uint64_t zones, char *path, size_t size)
{
	uint64_t z = rnd() % zones;
	switch (question) {
	case 0:
		snprintf(path, size, "/dnsdb/v2/lookup/rrset/name/h%02llu.z%06llu.bench/A",
			 (unsigned long long)(rnd() % 90), (unsigned long long)z);
		break;
	case 1:
		snprintf(path, size, "/dnsdb/v2/lookup/rdata/name/ns1.p%04llu.bench/NS",
			 (unsigned long long)(rnd() % (zones < PROVIDERS ? zones : PROVIDERS)));
		break;
	case 2: {
		uint64_t n = rnd() % (zones * 90);
		snprintf(path, size, "/dnsdb/v2/lookup/rdata/ip/10.%llu.%llu.0,24",
			 (unsigned long long)(n >> 16 & 255), (unsigned long long)(n >> 8 & 255));
		break;
	}
	default:
		snprintf(path, size, "/dnsdb/v2/lookup/rrset/name/%%2A.z%06llu.bench",
			 (unsigned long long)z);
	}
}

static const char *const qname[4] = {
	"rrset/name NAME/A (where did it point)",
	"rdata/name NS/NS  (names a server hosts)",
	"rdata/ip NET,24   (names in a network)",
	"rrset/name *.ZONE (names below a zone)",
};

static void report(const char *how, int q, double *lat, unsigned int n, double results)
{
	qsort(lat, n, sizeof(*lat), cmp_d);
	printf("%-5s %-42s p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  (%u queries, %.1f results each)\n",
	       how, qname[q], lat[n / 2] * 1e3, lat[(size_t)((double)n * 0.99)] * 1e3,
	       lat[n - 1] * 1e3, n, results);
}

/* ---- HTTP: db_serve_run in a thread, one keep-alive client ------------------------ */

static volatile sig_atomic_t serve_stop;

static void *serve_thread(void *arg)
{
	db_serve_run(arg, &serve_stop);
	return NULL;
}

static int http_get(int fd, const char *path, char *buf, size_t size, uint64_t *lines)
{
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: b\r\nX-API-Key: k\r\n\r\n", path);
	size_t got = 0;

	if (write(fd, req, (size_t)n) != n)
		return -1;
	/* chunked body (size unknown): ends with the zero chunk; serve closes after it */
	for (;;) {
		ssize_t r = read(fd, buf + got, size - 1 - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		if (got >= 5 && memcmp(buf + got - 5, "0\r\n\r\n", 5) == 0)
			break;
		if (got == size - 1)
			return -1;
	}
	*lines = 0;
	for (char *p = buf; (p = strstr(p, "{\"obj\"")) != NULL; p++)
		(*lines)++;
	return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t records = 10000000, queries = 2000;
	char dir[256] = "";
	bool keep = false, compact = false;
	static const struct option opts[] = {
		{ "records", required_argument, NULL, 'n' }, { "queries", required_argument, NULL, 'q' },
		{ "dir", required_argument, NULL, 'd' }, { "keep", no_argument, NULL, 'k' },
		{ "compact", no_argument, NULL, 'c' }, { NULL, 0, NULL, 0 },
	};
	int c;
	struct db_store *s;
	struct stat st;
	bool fresh;
	double *lat;
	uint64_t zones;

	while ((c = getopt_long(argc, argv, "n:q:d:kc", opts, NULL)) != -1) {
		switch (c) {
		case 'n': records = strtoull(optarg, NULL, 10); break;
		case 'q': queries = strtoull(optarg, NULL, 10); break;
		case 'd': snprintf(dir, sizeof(dir), "%s", optarg); break;
		case 'k': keep = true; break;
		case 'c': compact = true; break;
		default:
			fprintf(stderr, "usage: %s [--records N] [--queries Q] [--dir DIR] [--keep] [--compact]\n",
				argv[0]);
			return 2;
		}
	}
	if (records < PER_ZONE || queries == 0)
		return 2;
	zones = records / PER_ZONE;
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/dnsift-db-query-bench.%d", (int)getpid());
	}
	fresh = stat(dir, &st) != 0;
	{
		struct db_store_params p = { .dir = dir, .writable = true,
					     .batch_max_entries = 0, .memory_bytes = 0 };
		s = db_store_open(&p);
		if (s == NULL) {
			fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
			return 1;
		}
	}
	if (fresh) {
		printf("generating %llu records into %s\n", (unsigned long long)records, dir);
		if (generate(s, zones * PER_ZONE, 8000000) != 0) {
			fprintf(stderr, "generation failed\n");
			return 1;
		}
	} else {
		printf("reusing %s (%llu records assumed)\n", dir, (unsigned long long)records);
	}
	if (compact) {
		double t0 = now_s();
		int r = db_store_compact(s, true);
		printf("full compaction: %s in %.1f s\n", r == 0 ? "done" : dnsift_strerror(r),
		       now_s() - t0);
	}
	{
		struct db_store_stats ss;
		if (db_store_stats(s, &ss) == 0)
			printf("store: %llu files, %llu bytes (%.1f bytes/record), %llu entries\n",
			       (unsigned long long)ss.files, (unsigned long long)ss.bytes,
			       (double)ss.bytes / (double)(zones * PER_ZONE),
			       (unsigned long long)ss.entries);
	}

	lat = calloc(queries, sizeof(*lat));
	if (lat == NULL)
		return 1;
	for (int q = 0; q < 4; q++) {
		uint64_t total = 0;
		for (uint64_t i = 0; i < queries; i++) {
			char path[256], err[API_ERROR_MAX];
			struct api_request req;
			struct count_sink cs = {0};
			double t0;
			make_path(q, zones, path, sizeof(path));
			t0 = now_s();
			if (api_request_parse(path, "swclient=bench", 0, &req, err, sizeof(err)) != 0 ||
			    api_run(s, &req, 1000000, count, &cs) != 0) {
				fprintf(stderr, "%s: failed %s\n", path, err);
				return 1;
			}
			lat[i] = now_s() - t0;
			api_request_clear(&req);
			total += cs.lines - 2;	/* begin and the terminator */
		}
		report("local", q, lat, (unsigned int)queries, (double)total / (double)queries);
	}

	/* over HTTP */
	{
		int lfd = socket(AF_INET, SOCK_STREAM, 0), fd, one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof(a);
		char listen_at[64];
		pthread_t th;
		size_t bsz = 64 << 20;
		char *buf = malloc(bsz);
		struct db_serve_params sp = { .store = s, .listen = listen_at, .result_limit = 1000000,
					      .max_clients = 64, .threads = 2, .refresh_ms = 1000 };

		/* a free port from the kernel, handed to serve (closed just before) */
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(lfd, (struct sockaddr *)&a, &al) != 0 || buf == NULL)
			return 1;
		snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", ntohs(a.sin_port));
		close(lfd);
		pthread_create(&th, NULL, serve_thread, &sp);
		/* wait for the listener */
		for (int tries = 0; tries < 100; tries++) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
				close(fd);
				break;
			}
			close(fd);
			usleep(50000);
		}
		for (int q = 0; q < 4; q++) {
			uint64_t total = 0;
			for (uint64_t i = 0; i < queries; i++) {
				char path[256];
				uint64_t lines;
				double t0;
				make_path(q, zones, path, sizeof(path));
				/* a connection per question, as dnsdbq makes one per query */
				t0 = now_s();
				fd = socket(AF_INET, SOCK_STREAM, 0);
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
				    http_get(fd, path, buf, bsz, &lines) != 0) {
					fprintf(stderr, "HTTP %s failed: %.300s\n", path, buf);
					return 1;
				}
				close(fd);
				lat[i] = now_s() - t0;
				total += lines;
			}
			report("http", q, lat, (unsigned int)queries, (double)total / (double)queries);
		}
		serve_stop = 1;
		pthread_join(th, NULL);
		free(buf);
	}
	free(lat);
	db_store_close(s);
	if (!keep) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
