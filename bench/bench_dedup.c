/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_dedup: ns per dedup_observe() for hits and misses with 1e4, 1e6 and 1e7
 * live entries, on 1 and 2 worker threads, and bytes per entry. Reports only.
 *
 *   bench_dedup [max_live]     (default 10000000; e.g. 1000000 for a quick run)
 *
 * Keys are canonical RRset keys shaped like real ones (40..80 bytes: an owner
 * name of 2..4 labels, a bailiwick, one or two A/AAAA rdata), hashed with a
 * 64-bit mix; the table is filled first, then:
 *  - hit:  each thread observes random keys already in the table (all threads
 *          over the whole table: shared entries; then each over its own half);
 *  - miss: each thread inserts keys never seen (a fresh range per thread) into
 *          a table holding N entries, while the window is long enough that
 *          nothing expires; the table is sized for N + the misses.
 * Threads touch disjoint key ranges for misses and the same range for hits.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "dedup/dedup.h"

#define KEY_MAX 96
#define MISSES_PER_THREAD 1000000u
#define HITS_PER_THREAD 4000000u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* The hash the wire path stores with a key (rrkey_hash()): XXH3-64. */
static uint64_t hash_bytes(const uint8_t *p, uint32_t n)
{
	return XXH3_64bits(p, n);
}

/* Key number id, rrkey layout (wire/rrkey.h), 40..80 bytes. */
static uint32_t make_key(uint8_t *k, uint64_t id)
{
	static const char *const zones[] = { "\7example\3com", "\4test\3net", "\3isp\2de" };
	static const uint8_t zone_len[] = { 13, 10, 8 };
	unsigned z = (unsigned)(id % 3), v6 = (unsigned)((id >> 2) & 1), two = (unsigned)((id >> 3) & 1);
	uint32_t n = 0;
	char label[24];
	int ll = 0;
	label[ll++] = 'h';
	/* Hex digits of id, least significant first: cheap, unique, 2..8 chars. */
	uint64_t v = id;
	do {
		label[ll++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	k[n++] = 1;
	k[n++] = 0;
	k[n++] = 0;
	k[n++] = v6 ? 28 : 1;
	k[n++] = 0;
	k[n++] = 1;
	k[n++] = (uint8_t)(1 + ll + (two ? 4 : 0) + zone_len[z] + 1);
	k[n++] = (uint8_t)ll;
	memcpy(k + n, label, (size_t)ll);
	n += (uint32_t)ll;
	if (two) {
		memcpy(k + n, "\3www", 4);
		n += 4;
	}
	memcpy(k + n, zones[z], zone_len[z]);
	n += zone_len[z];
	k[n++] = 0;
	k[n++] = (uint8_t)(zone_len[z] + 1);
	memcpy(k + n, zones[z], zone_len[z]);
	n += zone_len[z];
	k[n++] = 0;
	unsigned rdlen = v6 ? 16 : 4, count = two ? 2 : 1;
	k[n++] = 0;
	k[n++] = (uint8_t)count;
	for (unsigned r = 0; r < count; r++) {
		k[n++] = 0;
		k[n++] = (uint8_t)rdlen;
		for (unsigned i = 0; i < rdlen; i++)
			k[n++] = (uint8_t)(mix64(id * 2 + r) >> (i * 4));
	}
	return n;
}

static int sink(const struct dedup_record *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

struct job {
	struct dedup *d;
	unsigned worker;
	uint64_t first, span;	/* keys first .. first+span-1 */
	uint64_t ops;
	int random;		/* 0 walk the span (misses), 1 random in it, 2 random in own slice */
	pthread_barrier_t *barrier;
	uint64_t ns;
	uint64_t bad;		/* outcomes other than the expected one */
	int expect;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	uint8_t key[KEY_MAX];
	uint64_t rng = 0x1234567ull + j->worker;
	dedup_thread_register();
	pthread_barrier_wait(j->barrier);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < j->ops; i++) {
		uint64_t id;
		if (j->random) {
			rng = mix64(rng + 0x9e3779b97f4a7c15ull);
			id = j->first + rng % j->span;
			if (j->random == 2)
				id += j->worker * j->span;	/* this thread's own slice */
		} else {
			id = j->first + i;
		}
		uint32_t len = make_key(key, id);
		int r = dedup_observe(j->d, j->worker, key, len, hash_bytes(key, len), 1000);
		if (r != j->expect)
			j->bad++;
		if ((i & 255) == 0)
			dedup_quiescent();
	}
	j->ns = now_ns() - t0;
	dedup_thread_unregister();
	return NULL;
}

/* Cost of make_key + hash alone, subtracted so that figures are dedup's own. */
static double key_cost_ns(void)
{
	uint8_t key[KEY_MAX];
	uint64_t acc = 0, n = 2000000;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint32_t len = make_key(key, i);
		acc += hash_bytes(key, len);
	}
	uint64_t ns = now_ns() - t0;
	if (acc == 42)
		puts("");
	return (double)ns / (double)n;
}

static double run(struct dedup *d, unsigned threads, uint64_t first, uint64_t span,
		  uint64_t ops, int random, int expect, uint64_t *bad)
{
	pthread_t t[2];
	struct job j[2];
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, threads);
	for (unsigned i = 0; i < threads; i++) {
		j[i] = (struct job){ .d = d, .worker = i, .ops = ops, .random = random,
				     .barrier = &b, .expect = expect };
		j[i].first = random ? first : first + i * ops;
		j[i].span = span;
		pthread_create(&t[i], NULL, run_job, &j[i]);
	}
	uint64_t ns = 0;
	*bad = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		if (j[i].ns > ns)
			ns = j[i].ns;
		*bad += j[i].bad;
	}
	pthread_barrier_destroy(&b);
	/* Wall time per observation per thread, and aggregate throughput below. */
	return (double)ns / (double)ops;
}

int main(int argc, char **argv)
{
	uint64_t max_live = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
	const uint64_t sizes[] = { 10000, 1000000, 10000000 };
	double kc = key_cost_ns();
	printf("# dedup benchmark: ns per observation (key build + hash of %.1f ns subtracted)\n",
	       kc);
	printf("# %-9s %-7s %10s %10s %10s %10s %10s %10s %10s %12s\n", "live", "threads",
	       "hit_ns", "hit_own_ns", "miss_ns", "Mops_hit", "Mops_own", "chunk_B", "bucket_B",
	       "bad");
	for (unsigned si = 0; si < 3; si++) {
		uint64_t n = sizes[si];
		if (n > max_live)
			break;
		for (unsigned threads = 1; threads <= 2; threads++) {
			/* Room for the misses plus what worker caches hold back. */
			uint64_t cap = n + (uint64_t)threads * MISSES_PER_THREAD + 4096;
			struct dedup_params p = {
				.workers = 2, .window_sec = 1000000, .max_entries = cap,
				.max_bytes = cap * 256, .emit = sink,
			};
			struct dedup *d = dedup_create(&p);
			if (!d) {
				perror("dedup_create");
				return 1;
			}
			uint64_t bad;
			/*
			 * Warm-up round: touch the arena pages once (fill, misses, flush)
			 * so that the measured round sees the steady state of a running
			 * sensor, where chunks are recycled, not first-touch page faults.
			 */
			run(d, threads, 0, n, n / threads, 0, DEDUP_NEW, &bad);
			run(d, threads, n + 1, 0, MISSES_PER_THREAD, 0, DEDUP_NEW, &bad);
			dedup_thread_register();
			while (dedup_flush_all(d) < 0)
				;
			dedup_thread_unregister();
			/* Fill: N entries, split over the threads. */
			run(d, threads, 0, n, n / threads, 0, DEDUP_NEW, &bad);
			uint64_t fill_bad = bad;
			struct dedup_stats st;
			dedup_stats(d, &st);
			double bpe = (double)st.bytes_in_use / (double)(st.live_entries ? st.live_entries : 1);
			/* Hash buckets (one 16-byte node each) on top of the chunks. */
			double bucket_bpe = 16.0 * (double)st.buckets / (double)cap;
			/* Hits on keys every thread sees (shared entries, counts bounce)... */
			double hit = run(d, threads, 0, n, HITS_PER_THREAD, 1, DEDUP_HIT, &bad) - kc;
			uint64_t hit_bad = bad;
			/* ...and on each thread's own part of the table (RSS-split traffic). */
			double hit_own = run(d, threads, 0, n / threads, HITS_PER_THREAD, 2,
					     DEDUP_HIT, &bad) - kc;
			hit_bad += bad;
			double miss = run(d, threads, n + 1, 0, MISSES_PER_THREAD, 0, DEDUP_NEW, &bad) - kc;
			printf("  %-9llu %-7u %10.1f %10.1f %10.1f %10.2f %10.2f %10.1f %10.1f "
			       "%6llu/%llu/%llu\n",
			       (unsigned long long)n, threads, hit, hit_own, miss,
			       (double)threads * 1000.0 / (hit + kc),
			       (double)threads * 1000.0 / (hit_own + kc), bpe, bucket_bpe,
			       (unsigned long long)fill_bad, (unsigned long long)hit_bad,
			       (unsigned long long)bad);
			fflush(stdout);
			dedup_thread_register();
			while (dedup_flush_all(d) < 0)
				;
			dedup_free(d);
			dedup_thread_unregister();
		}
	}
	printf("# chunk_B = pool bytes per live entry (56-byte header + key in a power-of-two "
	       "chunk, plus worker caches); bucket_B = 16-byte bucket node per entry slot "
	       "(pre-sized to max_entries = live + misses); bad = fill/hit/miss outcomes "
	       "that were not NEW/HIT/NEW\n");
	return 0;
}
