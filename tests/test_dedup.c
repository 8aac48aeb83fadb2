/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dedup/ unit tests: window semantics with a clock passed in, emit refusal,
 * first-sight records, memory caps under a unique-key flood, and a
 * multi-threaded stress that checks the conservation law key by key.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dedup/dedup.h"

/* ---- helpers ---- */

struct rec {
	uint8_t *key;
	uint32_t key_len;
	uint64_t hash, time_first, time_last, count;
	enum dedup_reason reason;
};

struct sink {
	pthread_mutex_t lock;	/* the callback runs on one thread; the lock is for the checks */
	struct rec *recs;
	size_t n, cap;
	int refuse;		/* refuse every record while set */
	unsigned refuse_every;	/* refuse one call in N (0 = never) */
	unsigned calls;
	uint64_t count_sum;
	int keep;		/* copy records (single-thread tests) */
};

static int sink_emit(const struct dedup_record *r, void *arg)
{
	struct sink *s = arg;
	s->calls++;
	if (s->refuse || (s->refuse_every && s->calls % s->refuse_every == 0))
		return 1;
	s->count_sum += r->count;
	if (!s->keep)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->recs = realloc(s->recs, s->cap * sizeof(*s->recs));
		assert_non_null(s->recs);
	}
	struct rec *c = &s->recs[s->n++];
	c->key = malloc(r->key_len);
	assert_non_null(c->key);
	memcpy(c->key, r->key, r->key_len);
	c->key_len = r->key_len;
	c->hash = r->hash;
	c->time_first = r->time_first;
	c->time_last = r->time_last;
	c->count = r->count;
	c->reason = r->reason;
	return 0;
}

static void sink_reset(struct sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->recs[i].key);
	free(s->recs);
	memset(s, 0, sizeof(*s));
	s->keep = 1;
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A key shaped like a canonical RRset key: header, owner name, one A rdata. */
static uint32_t make_key(uint8_t *buf, uint32_t id)
{
	static const uint8_t head[] = { 1, 0, 0, 1, 0, 1 };
	char label[32];
	int n = snprintf(label, sizeof(label), "host-%u", id);
	uint32_t len = 0;
	memcpy(buf, head, sizeof(head));
	len += sizeof(head);
	buf[len++] = (uint8_t)(1 + n + 1 + 7 + 1 + 3 + 1);
	buf[len++] = (uint8_t)n;
	memcpy(buf + len, label, (size_t)n);
	len += (uint32_t)n;
	memcpy(buf + len, "\7example\3com\0", 13);
	len += 13;
	buf[len++] = 0;		/* bailiwick unknown */
	buf[len++] = 0;
	buf[len++] = 1;		/* one rdata */
	buf[len++] = 0;
	buf[len++] = 4;
	memcpy(buf + len, &id, 4);
	len += 4;
	return len;
}

/* The id make_key() put in a key (the rdata). */
static uint32_t key_id(const uint8_t *key, uint32_t len)
{
	uint32_t id;
	memcpy(&id, key + len - 4, 4);
	return id;
}

static struct dedup *make_table(struct sink *s, unsigned workers, uint32_t window,
				uint64_t max_entries, uint64_t max_bytes)
{
	struct dedup_params p = {
		.workers = workers, .window_sec = window, .max_entries = max_entries,
		.max_bytes = max_bytes, .emit = sink_emit, .emit_arg = s,
	};
	struct dedup *d = dedup_create(&p);
	assert_non_null(d);
	return d;
}

static int observe_id(struct dedup *d, unsigned w, uint32_t id, uint64_t now)
{
	uint8_t key[64];
	uint32_t len = make_key(key, id);
	return dedup_observe(d, w, key, len, fnv1a(key, len), now);
}

static const struct rec *find_rec(const struct sink *s, uint32_t id, uint64_t time_first,
				  enum dedup_reason reason)
{
	for (size_t i = 0; i < s->n; i++)
		if (key_id(s->recs[i].key, s->recs[i].key_len) == id &&
		    s->recs[i].time_first == time_first && s->recs[i].reason == reason)
			return &s->recs[i];
	return NULL;
}

static int setup_thread(void **state)
{
	(void)state;
	dedup_thread_register();
	return 0;
}

static int teardown_thread(void **state)
{
	(void)state;
	dedup_thread_unregister();
	return 0;
}

/* ---- single-thread semantics ---- */

static void test_repeats_inside_window_are_one_record(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 60, 1024, 0);

	assert_int_equal(observe_id(d, 0, 1, 1000), DEDUP_NEW);
	assert_int_equal(observe_id(d, 0, 1, 1005), DEDUP_HIT);
	assert_int_equal(observe_id(d, 0, 1, 1003), DEDUP_HIT);	/* late packet: time_last stays */
	assert_int_equal(observe_id(d, 0, 2, 1010), DEDUP_NEW);

	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.live_entries, 2);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.observations, 4);

	assert_int_equal(dedup_expire(d, 1059, 100), 0);
	assert_int_equal(dedup_expire(d, 1060, 100), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(key_id(s.recs[0].key, s.recs[0].key_len), 1);
	assert_int_equal(s.recs[0].time_first, 1000);
	assert_int_equal(s.recs[0].time_last, 1005);
	assert_int_equal(s.recs[0].count, 3);
	assert_int_equal(s.recs[0].reason, DEDUP_REASON_EXPIRED);
	assert_string_equal(dedup_reason_name(s.recs[0].reason), "expired");

	assert_int_equal(dedup_expire(d, 1070, 100), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.recs[1].count, 1);
	assert_int_equal(s.recs[1].time_last, 1010);

	/* A later observation starts a new window. */
	assert_int_equal(observe_id(d, 0, 1, 2000), DEDUP_NEW);
	assert_int_equal(dedup_flush_all(d), 1);
	assert_int_equal(s.recs[2].reason, DEDUP_REASON_FLUSH);
	assert_int_equal(s.recs[2].time_first, 2000);

	dedup_stats(d, &st);
	assert_int_equal(st.live_entries, 0);
	assert_int_equal(st.count_emitted, st.observations);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.flushes, 1);
	assert_int_equal(s.count_sum, 5);
	dedup_free(d);
	sink_reset(&s);
}

static void test_window_ends_at_first_plus_w_even_before_housekeeping(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 10, 1024, 0);

	assert_int_equal(observe_id(d, 0, 7, 100), DEDUP_NEW);
	assert_int_equal(observe_id(d, 0, 7, 109), DEDUP_HIT);	/* last second of [100, 110) */
	assert_int_equal(observe_id(d, 0, 7, 110), DEDUP_NEW);	/* first second of the next */
	assert_int_equal(observe_id(d, 0, 7, 111), DEDUP_HIT);

	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.worker[0].window_closes, 1);
	assert_int_equal(st.live_entries, 2);

	/* The closed window is due at once; the new one at 120. */
	assert_int_equal(dedup_expire(d, 110, 100), 1);
	assert_int_equal(s.recs[0].time_first, 100);
	assert_int_equal(s.recs[0].time_last, 109);
	assert_int_equal(s.recs[0].count, 2);
	assert_int_equal(s.recs[0].reason, DEDUP_REASON_EXPIRED);
	assert_int_equal(dedup_expire(d, 119, 100), 0);
	assert_int_equal(dedup_expire(d, 120, 100), 1);
	assert_int_equal(s.recs[1].time_first, 110);
	assert_int_equal(s.recs[1].time_last, 111);
	assert_int_equal(s.recs[1].count, 2);

	/* A clock step backwards counts, without moving time_last before time_first. */
	assert_int_equal(observe_id(d, 0, 8, 500), DEDUP_NEW);
	assert_int_equal(observe_id(d, 0, 8, 490), DEDUP_HIT);
	assert_int_equal(dedup_flush_all(d), 1);
	assert_int_equal(s.recs[2].time_last, 500);
	assert_int_equal(s.recs[2].count, 2);
	dedup_free(d);
	sink_reset(&s);
}

static void test_same_hash_different_keys_stay_apart(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 60, 1024, 0);
	uint8_t a[64], b[64];
	uint32_t la = make_key(a, 1), lb = make_key(b, 2);
	assert_int_equal(dedup_observe(d, 0, a, la, 42, 10), DEDUP_NEW);
	assert_int_equal(dedup_observe(d, 0, b, lb, 42, 10), DEDUP_NEW);
	assert_int_equal(dedup_observe(d, 0, b, lb, 42, 11), DEDUP_HIT);
	assert_int_equal(dedup_observe(d, 0, a, la - 1, 42, 11), DEDUP_NEW);	/* prefix */
	assert_int_equal(dedup_flush_all(d), 3);
	assert_int_equal(s.count_sum, 4);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.recs[i].hash, 42);
		if (s.recs[i].key_len == lb && !memcmp(s.recs[i].key, b, lb))
			assert_int_equal(s.recs[i].count, 2);
		else
			assert_int_equal(s.recs[i].count, 1);
	}
	dedup_free(d);
	sink_reset(&s);
}

static void test_window_change_applies_to_open_windows(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 300, 1024, 0);
	assert_int_equal(dedup_window(d), 300);
	assert_int_equal(observe_id(d, 0, 1, 1000), DEDUP_NEW);
	assert_int_equal(dedup_expire(d, 1010, 100), 0);
	assert_int_equal(dedup_set_window(d, 10), 0);
	assert_int_equal(dedup_window(d), 10);
	assert_int_equal(dedup_expire(d, 1010, 100), 1);
	assert_int_equal(dedup_set_window(d, 0), -DEDUP_EINVAL);
	assert_int_equal(dedup_window(d), 10);

	/* Longer again: an open window grows with it. */
	assert_int_equal(observe_id(d, 0, 1, 2000), DEDUP_NEW);
	assert_int_equal(dedup_set_window(d, 100), 0);
	assert_int_equal(observe_id(d, 0, 1, 2050), DEDUP_HIT);
	assert_int_equal(dedup_expire(d, 2099, 100), 0);
	assert_int_equal(dedup_expire(d, 2100, 100), 1);
	assert_int_equal(s.recs[1].count, 2);
	dedup_free(d);
	sink_reset(&s);
}

static void test_first_sight_records_carry_count_zero(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup_params p = {
		.workers = 1, .window_sec = 60, .max_entries = 1024, .first_sight = 1,
		.emit = sink_emit, .emit_arg = &s,
	};
	struct dedup *d = dedup_create(&p);
	assert_non_null(d);
	assert_int_equal(observe_id(d, 0, 5, 100), DEDUP_NEW);
	assert_int_equal(observe_id(d, 0, 5, 101), DEDUP_HIT);
	assert_int_equal(observe_id(d, 0, 6, 102), DEDUP_NEW);
	assert_int_equal(dedup_expire(d, 102, 100), 2);	/* two first sights, no window over */
	const struct rec *r = find_rec(&s, 5, 100, DEDUP_REASON_FIRST_SIGHT);
	assert_non_null(r);
	assert_int_equal(r->count, 0);
	assert_int_equal(r->time_last, 100);
	assert_int_equal(observe_id(d, 0, 5, 130), DEDUP_HIT);
	assert_int_equal(dedup_expire(d, 103, 100), 0);	/* nothing twice */
	assert_int_equal(dedup_expire(d, 160, 100), 1);
	r = find_rec(&s, 5, 100, DEDUP_REASON_EXPIRED);
	assert_non_null(r);
	assert_int_equal(r->count, 3);

	/* An entry flushed before its first sight went out gets both, in order. */
	assert_int_equal(observe_id(d, 0, 9, 200), DEDUP_NEW);
	assert_int_equal(dedup_flush_all(d), 3);	/* 6 and 9, first sight of 9 */
	size_t n = s.n;
	assert_int_equal(s.recs[n - 2].reason, DEDUP_REASON_FIRST_SIGHT);
	assert_int_equal(key_id(s.recs[n - 2].key, s.recs[n - 2].key_len), 9);
	assert_int_equal(s.recs[n - 1].reason, DEDUP_REASON_FLUSH);

	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.first_sight_records, 3);
	assert_int_equal(s.count_sum, 5);
	assert_int_equal(st.count_emitted, st.observations);
	dedup_free(d);
	sink_reset(&s);
}

static void test_refused_records_stay_and_are_retried(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 10, 1024, 0);
	for (uint32_t id = 0; id < 5; id++)
		assert_int_equal(observe_id(d, 0, id, 100), DEDUP_NEW);
	s.refuse = 1;
	assert_int_equal(dedup_expire(d, 110, 100), 0);
	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.emit_refusals, 1);	/* the pass stops at the first refusal */
	assert_int_equal(st.live_entries, 5);
	assert_int_equal(s.n, 0);

	/* The refused entry is closed: a new observation opens a new window. */
	assert_int_equal(observe_id(d, 0, 0, 105), DEDUP_NEW);
	assert_int_equal(observe_id(d, 0, 1, 105), DEDUP_HIT);	/* not reached: still open */
	assert_int_equal(dedup_flush_all(d), -DEDUP_EBUSY);

	s.refuse = 0;
	assert_int_equal(dedup_expire(d, 110, 100), 5);
	const struct rec *r = find_rec(&s, 0, 100, DEDUP_REASON_EXPIRED);
	assert_non_null(r);
	assert_int_equal(r->count, 1);
	r = find_rec(&s, 1, 100, DEDUP_REASON_EXPIRED);
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	assert_int_equal(dedup_flush_all(d), 1);
	assert_non_null(find_rec(&s, 0, 105, DEDUP_REASON_FLUSH));
	dedup_stats(d, &st);
	assert_int_equal(st.emit_refusals, 2);
	assert_int_equal(st.live_entries, 0);
	assert_int_equal(s.count_sum, 7);
	assert_int_equal(st.count_emitted, st.observations);
	dedup_free(d);
	sink_reset(&s);
}

static void test_no_memory_goes_to_overflow_records(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 60, 16, 0);
	unsigned news = 0, overflow = 0;
	for (uint32_t id = 0; id < 100; id++) {
		int r = observe_id(d, 0, id, 100);
		assert_true(r == DEDUP_NEW || r == DEDUP_OVERFLOW);
		news += r == DEDUP_NEW;
		overflow += r == DEDUP_OVERFLOW;
	}
	assert_int_equal(news, 16);
	assert_int_equal(overflow, 84);
	/* A key already in the table still hits without memory. */
	assert_int_equal(observe_id(d, 0, 0, 101), DEDUP_HIT);

	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.entries_reserved, 16);
	assert_int_equal(st.overflow, 84);
	while (dedup_flush_all(d) < 0)
		;
	const struct rec *r = find_rec(&s, 50, 100, DEDUP_REASON_OVERFLOW);
	assert_non_null(r);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->time_last, 100);
	dedup_stats(d, &st);
	assert_int_equal(st.overflow_records, 84);
	assert_int_equal(s.count_sum, 101);
	assert_int_equal(st.count_emitted, 101);
	dedup_free(d);
	sink_reset(&s);
}

static void test_large_keys_up_to_256k(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 1, 60, 64, 4u << 20);
	uint8_t *big = malloc(DEDUP_MAX_KEY_LEN + 1);
	assert_non_null(big);
	for (uint32_t i = 0; i <= DEDUP_MAX_KEY_LEN; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	uint32_t lens[] = { 300, 5000, 100000, DEDUP_MAX_KEY_LEN };
	for (int rep = 0; rep < 2; rep++)
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(dedup_observe(d, 0, big, lens[i], fnv1a(big, lens[i]), 10),
					 rep ? DEDUP_HIT : DEDUP_NEW);
	assert_int_equal(dedup_observe(d, 0, big, DEDUP_MAX_KEY_LEN + 1, 1, 10),
			 -DEDUP_EINVAL);
	assert_int_equal(dedup_flush_all(d), 4);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.recs[i].count, 2);
		assert_memory_equal(s.recs[i].key, big, s.recs[i].key_len);
		assert_int_equal(s.recs[i].hash, fnv1a(big, s.recs[i].key_len));
	}
	free(big);
	dedup_free(d);
	sink_reset(&s);
}

static void test_bad_arguments_are_rejected(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup_params p = { .workers = 0, .emit = sink_emit };
	errno = 0;
	assert_null(dedup_create(&p));
	assert_int_equal(errno, EINVAL);
	p.workers = 1;
	p.emit = NULL;
	assert_null(dedup_create(&p));
	p.emit = sink_emit;
	p.overflow_bytes = 100;
	assert_null(dedup_create(&p));
	p.overflow_bytes = 0;
	p.max_bytes = 64;	/* smaller than one chunk */
	assert_null(dedup_create(&p));
	assert_null(dedup_create(NULL));

	struct dedup *d = make_table(&s, 2, 60, 64, 0);
	uint8_t key[8] = { 0 };
	assert_int_equal(dedup_observe(d, 2, key, 8, 1, 1), -DEDUP_EINVAL);
	assert_int_equal(dedup_observe(d, 0, key, 0, 1, 1), -DEDUP_EINVAL);
	assert_int_equal(dedup_observe(d, 1, key, 8, 1, 1), DEDUP_NEW);
	assert_int_equal(dedup_observe(d, 0, key, 8, 1, 1), DEDUP_HIT);
	assert_string_equal(dedup_reason_name(DEDUP_REASON_COUNT), "unknown");
	assert_int_equal(dedup_flush_all(d), 1);
	dedup_free(d);
	sink_reset(&s);
}

/* dedup owns its codes: each has its own text, either sign, and strays are named unknown. */
static void test_error_codes_have_their_own_text(void **state)
{
	(void)state;
	for (int e = DEDUP_OK; e < DEDUP_E_COUNT; e++) {
		const char *t = dedup_strerror(-e);
		assert_non_null(t);
		assert_true(t[0] != '\0');
		assert_string_equal(t, dedup_strerror(e));
		assert_string_not_equal(t, "unknown error");
		for (int o = DEDUP_OK; o < e; o++)
			assert_string_not_equal(t, dedup_strerror(o));
	}
	assert_string_equal(dedup_strerror(DEDUP_E_COUNT), "unknown error");
	assert_string_equal(dedup_strerror(-DEDUP_E_COUNT), "unknown error");
	assert_string_equal(dedup_strerror(-1000), "unknown error");
}

/*
 * A random-subdomain flood: every key unique. Memory stays inside the caps,
 * early flushes keep room, and every accepted observation is in one record.
 */
static void test_unique_key_flood_stays_under_cap_and_counts_exactly(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	s.keep = 0;
	const uint64_t max_entries = 512, max_bytes = 64 * 1024;
	struct dedup *d = make_table(&s, 1, 3600, max_entries, max_bytes);
	uint64_t accepted = 0, rejected = 0, peak_bytes = 0, peak_entries = 0;
	struct dedup_stats st;
	for (uint32_t id = 0; id < 200000; id++) {
		int r = observe_id(d, 0, id, 1000 + id / 1000);
		if (r >= 0)
			accepted++;
		else
			rejected++;
		if (id % 64 == 63) {
			dedup_expire(d, 1000 + id / 1000, 1000);
			dedup_stats(d, &st);
			if (st.bytes_in_use > peak_bytes)
				peak_bytes = st.bytes_in_use;
			if (st.entries_reserved > peak_entries)
				peak_entries = st.entries_reserved;
			assert_true(st.bytes_in_use <= st.bytes_capacity);
			assert_true(st.bytes_capacity <= max_bytes);
			assert_true(st.entries_reserved <= max_entries);
		}
	}
	while (dedup_flush_all(d) < 0)
		;
	dedup_stats(d, &st);
	print_message("flood: accepted %llu rejected %llu inserts %llu overflow %llu "
		      "early %llu peak %llu B / %llu entries\n",
		      (unsigned long long)accepted, (unsigned long long)rejected,
		      (unsigned long long)st.inserts, (unsigned long long)st.overflow,
		      (unsigned long long)st.early_flushes, (unsigned long long)peak_bytes,
		      (unsigned long long)peak_entries);
	assert_int_equal(st.rejected, rejected);
	assert_int_equal(st.observations, accepted);
	assert_int_equal(s.count_sum, accepted);
	assert_int_equal(st.count_emitted, accepted);
	assert_int_equal(st.records, accepted);	/* all unique: one record each */
	assert_true(st.early_flushes > 0);
	assert_true(st.inserts > 0);
	assert_int_equal(st.live_entries, 0);
	dedup_free(d);
}

static void test_expiry_budget_is_bounded_and_fair_across_workers(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct dedup *d = make_table(&s, 2, 10, 1024, 0);
	for (uint32_t id = 0; id < 10; id++)
		assert_int_equal(observe_id(d, 0, id, 100), DEDUP_NEW);
	assert_int_equal(observe_id(d, 1, 100, 100), DEDUP_NEW);
	assert_int_equal(dedup_expire(d, 110, 4), 4);	/* worker 0 first */
	assert_null(find_rec(&s, 100, 100, DEDUP_REASON_EXPIRED));
	assert_int_equal(dedup_expire(d, 110, 4), 4);	/* worker 1 first this time */
	assert_non_null(find_rec(&s, 100, 100, DEDUP_REASON_EXPIRED));
	assert_int_equal(observe_id(d, 0, 1, 111), DEDUP_NEW);
	assert_int_equal(dedup_expire(d, 121, 0), 0);	/* no budget, no work */
	assert_int_equal(dedup_expire(d, 110, 100), 3);
	assert_int_equal(dedup_flush_all(d), 1);
	struct dedup_stats st;
	dedup_stats(d, &st);
	assert_int_equal(st.live_entries, 0);
	assert_int_equal(st.worker[0].inserts, 11);
	assert_int_equal(st.worker[1].inserts, 1);
	assert_int_equal(st.expired, 11);
	assert_int_equal(st.flushes, 1);
	dedup_free(d);
	sink_reset(&s);
}

/* ---- threads ---- */

struct offline_arg {
	pthread_barrier_t *barrier;
	bool quiescent_after_offline;	/* what an idle worker's empty poll loop does */
};

static void *offline_reader(void *arg)
{
	struct offline_arg *a = arg;
	pthread_barrier_t *b = a->barrier;
	dedup_thread_register();
	dedup_thread_offline();
	if (a->quiescent_after_offline)
		for (int i = 0; i < 3; i++)
			dedup_quiescent();
	pthread_barrier_wait(b);	/* registered and offline */
	pthread_barrier_wait(b);	/* until the test is done */
	dedup_thread_online();
	dedup_thread_unregister();
	return NULL;
}

static void reclaim_stuck(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL: reclamation blocked by an offline reader for 60 s\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* An offline reader (optionally one that then polls dedup_quiescent(), as an idle
 * worker does) sleeps; the housekeeper's grace periods must still complete. A reader
 * left online would block synchronize_rcu() forever: the alarm turns that into a
 * failure instead of a hang. */
static void run_offline_reader_case(bool quiescent_after_offline)
{
	struct sink s;
	memset(&s, 0, sizeof(s));
	s.keep = 0;
	struct dedup *d = make_table(&s, 2, 1, 256, 0);
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, 2);
	struct offline_arg oa = { .barrier = &b, .quiescent_after_offline = quiescent_after_offline };
	pthread_t t;
	signal(SIGALRM, reclaim_stuck);
	alarm(60);
	assert_int_equal(pthread_create(&t, NULL, offline_reader, &oa), 0);
	dedup_thread_offline();
	pthread_barrier_wait(&b);
	dedup_thread_online();
	struct dedup_stats st;
	uint64_t now = 1;
	/* Liveness, not timing: give up after a generous number of passes. */
	for (unsigned pass = 0; pass < 200000; pass++) {
		assert_true(observe_id(d, 0, pass, now) >= 0);
		dedup_expire(d, ++now, 1000);
		dedup_stats(d, &st);
		if (st.reclaimed > 0)
			break;
		if (pass % 64 == 0)
			usleep(1000);
	}
	assert_true(st.reclaimed > 0);
	alarm(0);
	dedup_thread_offline();
	pthread_barrier_wait(&b);
	pthread_join(t, NULL);
	dedup_thread_online();
	pthread_barrier_destroy(&b);
	while (dedup_flush_all(d) < 0)
		;
	dedup_stats(d, &st);
	assert_int_equal(s.count_sum, st.observations);
	dedup_free(d);
}

static void test_offline_worker_does_not_hold_back_reclaim(void **state)
{
	(void)state;
	run_offline_reader_case(false);
}

static void test_idle_worker_polling_quiescent_stays_offline(void **state)
{
	(void)state;
	run_offline_reader_case(true);
}

#define RACE_THREADS 4
#define RACE_ROUNDS 3000

struct race {
	struct dedup *d;
	pthread_barrier_t barrier;
	int outcome[RACE_ROUNDS][RACE_THREADS];
};

struct race_arg {
	struct race *r;
	unsigned index;
};

static void *race_worker(void *arg)
{
	struct race_arg *a = arg;
	dedup_thread_register();
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		dedup_thread_offline();
		pthread_barrier_wait(&a->r->barrier);
		dedup_thread_online();
		a->r->outcome[round][a->index] = observe_id(a->r->d, a->index, round, 50);
	}
	dedup_thread_unregister();
	return NULL;
}

/* Every round all threads see one new key at once: one entry, one NEW, the rest hits. */
static void test_concurrent_first_sights_make_one_entry(void **state)
{
	(void)state;
	struct sink s;
	memset(&s, 0, sizeof(s));
	sink_reset(&s);
	struct race *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->d = make_table(&s, RACE_THREADS, 3600, 2 * RACE_ROUNDS, 0);
	pthread_barrier_init(&r->barrier, NULL, RACE_THREADS);
	pthread_t t[RACE_THREADS];
	struct race_arg args[RACE_THREADS];
	for (unsigned i = 0; i < RACE_THREADS; i++) {
		args[i] = (struct race_arg){ r, i };
		assert_int_equal(pthread_create(&t[i], NULL, race_worker, &args[i]), 0);
	}
	dedup_thread_offline();
	for (unsigned i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	dedup_thread_online();
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		unsigned news = 0, hits = 0;
		for (unsigned i = 0; i < RACE_THREADS; i++) {
			news += r->outcome[round][i] == DEDUP_NEW;
			hits += r->outcome[round][i] == DEDUP_HIT;
		}
		assert_int_equal(news, 1);
		assert_int_equal(hits, RACE_THREADS - 1);
	}
	assert_int_equal(dedup_flush_all(r->d), RACE_ROUNDS);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.recs[i].count, RACE_THREADS);
	struct dedup_stats st;
	dedup_stats(r->d, &st);
	uint64_t lost = 0;
	for (unsigned i = 0; i < RACE_THREADS; i++)
		lost += st.worker[i].lost_races;
	print_message("race: %u rounds, %llu first sights lost to another worker\n",
		      RACE_ROUNDS, (unsigned long long)lost);
	dedup_free(r->d);
	pthread_barrier_destroy(&r->barrier);
	free(r);
	sink_reset(&s);
}

#define STRESS_WORKERS 4
#define STRESS_SHARED 300
#define STRESS_PHASES 40
#define STRESS_PER_PHASE 4000
#define STRESS_UNIQUE (STRESS_PHASES * STRESS_PER_PHASE)
#define STRESS_KEYS (STRESS_SHARED + STRESS_WORKERS * STRESS_UNIQUE)

struct stress_rec {
	uint32_t id;
	uint32_t reason;
	uint64_t time_first, time_last, count;
};

struct stress {
	struct dedup *d;
	pthread_barrier_t barrier;
	uint64_t phase;			/* atomic: the clock */
	int workers_done;		/* atomic */
	uint64_t obs[STRESS_WORKERS][STRESS_SHARED];
	uint64_t accepted[STRESS_WORKERS];
	uint64_t unique_accepted[STRESS_WORKERS];
	/* housekeeper-only */
	struct stress_rec *recs;
	size_t n, cap;
	unsigned calls;
	int refuse_some;
};

struct stress_arg {
	struct stress *st;
	unsigned index;
};

static int stress_emit(const struct dedup_record *r, void *arg)
{
	struct stress *st = arg;
	if (st->refuse_some && ++st->calls % 101 == 0)
		return 1;	/* writer queue full now and then */
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 4096;
		st->recs = realloc(st->recs, st->cap * sizeof(*st->recs));
		if (!st->recs)
			abort();
	}
	st->recs[st->n++] = (struct stress_rec){
		.id = key_id(r->key, r->key_len), .reason = r->reason,
		.time_first = r->time_first, .time_last = r->time_last, .count = r->count,
	};
	return 0;
}

static void *stress_worker(void *arg)
{
	struct stress_arg *a = arg;
	struct stress *st = a->st;
	uint32_t rng = 0x9e3779b9u * (a->index + 1);
	uint32_t next_unique = STRESS_SHARED + a->index * STRESS_UNIQUE;
	dedup_thread_register();
	for (uint64_t phase = 1; phase <= STRESS_PHASES; phase++) {
		for (unsigned i = 0; i < STRESS_PER_PHASE; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 17;
			rng ^= rng << 5;
			uint32_t id;
			int shared = (rng & 3) != 0;	/* 3 of 4 from the shared set */
			id = shared ? (rng >> 8) % STRESS_SHARED : next_unique++;
			int r = observe_id(st->d, a->index, id, phase);
			if (r >= 0) {
				st->accepted[a->index]++;
				if (shared)
					st->obs[a->index][id]++;
				else
					st->unique_accepted[a->index]++;
			}
			if ((i & 63) == 0)
				dedup_quiescent();
		}
		/* Every observation of phase p carries time p; the clock moves between. */
		dedup_thread_offline();
		if (pthread_barrier_wait(&st->barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_store_n(&st->phase, phase + 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&st->barrier);
		dedup_thread_online();
	}
	dedup_thread_unregister();
	__atomic_add_fetch(&st->workers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_housekeeper(void *arg)
{
	struct stress *st = arg;
	dedup_thread_register();
	while (__atomic_load_n(&st->workers_done, __ATOMIC_ACQUIRE) < STRESS_WORKERS) {
		uint64_t now = __atomic_load_n(&st->phase, __ATOMIC_ACQUIRE);
		dedup_expire(st->d, now, 4096);
		dedup_quiescent();
	}
	dedup_thread_unregister();
	return NULL;
}

static int cmp_stress_rec(const void *a, const void *b)
{
	const struct stress_rec *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->time_first != y->time_first)
		return x->time_first < y->time_first ? -1 : 1;
	if (x->time_last != y->time_last)
		return x->time_last < y->time_last ? -1 : 1;
	return 0;
}

static void test_threads_conserve_counts_per_key(void **state)
{
	(void)state;
	struct stress *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	st->refuse_some = 1;
	st->phase = 1;
	struct dedup_params p = {
		.workers = STRESS_WORKERS, .window_sec = 3, .max_entries = 4096,
		.max_bytes = 4096 * 128, .overflow_bytes = 1u << 20,
		.emit = stress_emit, .emit_arg = st,
	};
	st->d = dedup_create(&p);
	assert_non_null(st->d);
	pthread_barrier_init(&st->barrier, NULL, STRESS_WORKERS);
	pthread_t tw[STRESS_WORKERS], th;
	struct stress_arg args[STRESS_WORKERS];
	assert_int_equal(pthread_create(&th, NULL, stress_housekeeper, st), 0);
	for (unsigned i = 0; i < STRESS_WORKERS; i++) {
		args[i] = (struct stress_arg){ st, i };
		assert_int_equal(pthread_create(&tw[i], NULL, stress_worker, &args[i]), 0);
	}
	/* An online reader that blocks would hold every grace period back. */
	dedup_thread_offline();
	for (unsigned i = 0; i < STRESS_WORKERS; i++)
		pthread_join(tw[i], NULL);
	pthread_join(th, NULL);
	dedup_thread_online();

	/* Shutdown: refusals continue, flush_all is simply called again. */
	int rc;
	while ((rc = dedup_flush_all(st->d)) < 0)
		assert_int_equal(rc, -DEDUP_EBUSY);

	struct dedup_stats ds;
	dedup_stats(st->d, &ds);
	uint64_t accepted = 0;
	for (unsigned i = 0; i < STRESS_WORKERS; i++)
		accepted += st->accepted[i];
	print_message("stress: accepted %llu inserts %llu hits %llu lost races %llu closes "
		      "%llu overflow %llu rejected %llu early %llu expired %llu flush %llu "
		      "refusals %llu records %zu\n",
		      (unsigned long long)accepted, (unsigned long long)ds.inserts,
		      (unsigned long long)ds.hits, (unsigned long long)(ds.worker[0].lost_races +
		      ds.worker[1].lost_races + ds.worker[2].lost_races + ds.worker[3].lost_races),
		      (unsigned long long)(ds.worker[0].window_closes + ds.worker[1].window_closes +
		      ds.worker[2].window_closes + ds.worker[3].window_closes),
		      (unsigned long long)ds.overflow, (unsigned long long)ds.rejected,
		      (unsigned long long)ds.early_flushes, (unsigned long long)ds.expired,
		      (unsigned long long)ds.flushes, (unsigned long long)ds.emit_refusals, st->n);
	assert_int_equal(ds.live_entries, 0);
	assert_int_equal(accepted + ds.rejected,
			 (uint64_t)STRESS_WORKERS * STRESS_PHASES * STRESS_PER_PHASE);
	assert_int_equal(ds.observations, accepted);
	assert_int_equal(ds.count_emitted, accepted);

	/* Per key: the counts add up exactly and the windows never cross. */
	qsort(st->recs, st->n, sizeof(*st->recs), cmp_stress_rec);
	uint64_t total = 0;
	size_t i = 0;
	while (i < st->n) {
		uint32_t id = st->recs[i].id;
		uint64_t sum = 0, last_end = 0;
		int have_window = 0;
		for (; i < st->n && st->recs[i].id == id; i++) {
			const struct stress_rec *r = &st->recs[i];
			sum += r->count;
			assert_true(r->count >= 1);
			assert_true(r->time_first <= r->time_last);
			if (r->reason == DEDUP_REASON_OVERFLOW)
				continue;	/* a one-observation window of its own */
			assert_true(r->time_last - r->time_first < 3);
			if (have_window)
				assert_true(r->time_first >= last_end);
			last_end = r->time_last;
			have_window = 1;
		}
		if (id < STRESS_SHARED) {
			uint64_t want = 0;
			for (unsigned w = 0; w < STRESS_WORKERS; w++)
				want += st->obs[w][id];
			assert_int_equal(sum, want);
		} else {
			assert_int_equal(sum, 1);	/* unique keys: seen once */
		}
		total += sum;
	}
	assert_int_equal(total, accepted);
	uint64_t want_unique = 0;
	for (unsigned w = 0; w < STRESS_WORKERS; w++)
		want_unique += st->unique_accepted[w];
	assert_true(want_unique > 0);
	assert_true(ds.early_flushes > 0);
	assert_true(ds.emit_refusals > 0);

	dedup_free(st->d);
	pthread_barrier_destroy(&st->barrier);
	free(st->recs);
	free(st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_thread, teardown_thread)

int main(void)
{
	const struct CMUnitTest single_thread[] = {
		T(test_repeats_inside_window_are_one_record),
		T(test_window_ends_at_first_plus_w_even_before_housekeeping),
		T(test_same_hash_different_keys_stay_apart),
		T(test_window_change_applies_to_open_windows),
		T(test_first_sight_records_carry_count_zero),
		T(test_refused_records_stay_and_are_retried),
		T(test_no_memory_goes_to_overflow_records),
		T(test_large_keys_up_to_256k),
		T(test_bad_arguments_are_rejected),
		cmocka_unit_test(test_error_codes_have_their_own_text),
		T(test_expiry_budget_is_bounded_and_fair_across_workers),
		T(test_unique_key_flood_stays_under_cap_and_counts_exactly),
	};
	const struct CMUnitTest threads[] = {
		T(test_offline_worker_does_not_hold_back_reclaim),
		T(test_idle_worker_polling_quiescent_stays_offline),
		T(test_concurrent_first_sights_make_one_entry),
		T(test_threads_conserve_counts_per_key),
	};
	int failed = cmocka_run_group_tests_name("dedup_single_thread", single_thread, NULL, NULL);
	/* DEDUP_TEST_SINGLE_THREAD=1: only the first group (for valgrind runs). */
	if (!getenv("DEDUP_TEST_SINGLE_THREAD"))
		failed += cmocka_run_group_tests_name("dedup_threads", threads, NULL, NULL);
	return failed ? 1 : 0;
}
