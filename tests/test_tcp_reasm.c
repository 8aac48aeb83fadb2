/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/tcp_reasm: DNS-over-TCP stream reassembly. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dataplane/tcp_reasm.h"

#define SEC 1000000000ull

/* --- what the callback saw --------------------------------------------------------- */

#define SEEN_MAX 512
#define ARENA_SIZE (2u * 1024u * 1024u)

struct seen {
	unsigned int count;
	unsigned int zero_copy_hint;	/* messages whose pointer was inside the segment */
	uint32_t off[SEEN_MAX];
	uint16_t len[SEEN_MAX];
	struct tcp_reasm_key key[SEEN_MAX];
	uint32_t used;
	const uint8_t *seg_lo, *seg_hi;	/* the segment being fed */
	uint8_t arena[ARENA_SIZE];
};

static struct seen *seen;

static void on_message(void *ctx, const struct tcp_reasm_key *key, const uint8_t *msg,
		       uint16_t len)
{
	struct seen *s = ctx;

	assert_true(s->count < SEEN_MAX);
	assert_true(s->used + len <= ARENA_SIZE);
	if (msg >= s->seg_lo && msg < s->seg_hi)
		s->zero_copy_hint++;
	s->off[s->count] = s->used;
	s->len[s->count] = len;
	s->key[s->count] = *key;
	memcpy(s->arena + s->used, msg, len);
	s->used += len;
	s->count++;
}

static int setup(void **state)
{
	(void)state;
	seen = calloc(1, sizeof(*seen));
	return seen == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(seen);
	seen = NULL;
	return 0;
}

/* --- a DNS-over-TCP byte stream of messages with recognisable contents ------------- */

struct wire {
	uint8_t bytes[200000];
	uint32_t size;
	unsigned int count;
	uint16_t len[SEEN_MAX];
	uint32_t start[SEEN_MAX];	/* offset of each message's length prefix */
};

static uint8_t content(unsigned int msg, unsigned int i)
{
	return (uint8_t)(msg * 37u + i * 11u + 5u);
}

static void wire_add(struct wire *w, uint16_t len)
{
	unsigned int m = w->count, i;

	assert_true(w->size + 2u + len <= sizeof(w->bytes));
	w->start[m] = w->size;
	w->len[m] = len;
	w->bytes[w->size++] = (uint8_t)(len >> 8);
	w->bytes[w->size++] = (uint8_t)len;
	for (i = 0; i < len; i++)
		w->bytes[w->size++] = content(m, i);
	w->count++;
}

static struct wire *wire_new(unsigned int n, const uint16_t *lens)
{
	struct wire *w = calloc(1, sizeof(*w));
	unsigned int i;

	assert_non_null(w);
	for (i = 0; i < n; i++)
		wire_add(w, lens[i]);
	return w;
}

/* The callback saw exactly messages [first, first + n) of w, in order. */
static void expect_messages(const struct wire *w, unsigned int first, unsigned int n)
{
	unsigned int m;

	assert_int_equal(seen->count, n);
	for (m = 0; m < n; m++) {
		const struct wire *ww = w;

		assert_int_equal(seen->len[m], ww->len[first + m]);
		assert_memory_equal(seen->arena + seen->off[m],
				    ww->bytes + ww->start[first + m] + 2, ww->len[first + m]);
	}
}

static void seen_reset(void)
{
	seen->count = 0;
	seen->used = 0;
	seen->zero_copy_hint = 0;
}

/* --- feeding ------------------------------------------------------------------------ */

static struct tcp_reasm_key K1, K2, K3;

static void keys_init(void)
{
	uint8_t r[4], s[4], r6[16], s6[16];

	inet_pton(AF_INET, "192.0.2.53", r);
	inet_pton(AF_INET, "203.0.113.1", s);
	inet_pton(AF_INET6, "2001:db8::53", r6);
	inet_pton(AF_INET6, "2001:db8:ffff::1", s6);
	assert_int_equal(tcp_reasm_key_init(&K1, AF_INET, s, 53, r, 40000), 0);
	assert_int_equal(tcp_reasm_key_init(&K2, AF_INET, r, 40000, s, 53), 0);
	assert_int_equal(tcp_reasm_key_init(&K3, AF_INET6, s6, 53, r6, 40001), 0);
}

static struct tcp_reasm *make(unsigned int flows, unsigned int buffers, unsigned int bufsize,
			      unsigned int pending)
{
	struct tcp_reasm_params p = {
		.max_flows = flows, .max_buffers = buffers, .buffer_size = bufsize,
		.max_pending = pending, .idle_timeout_ns = 10 * SEC,
		.on_message = on_message, .ctx = seen,
	};
	struct tcp_reasm *r = tcp_reasm_create(&p);

	keys_init();
	seen_reset();
	assert_non_null(r);
	return r;
}

/* Feed bytes [from, to) of w as one segment; isn is the stream's ISN (data at isn + 1). */
static int feed(struct tcp_reasm *r, const struct tcp_reasm_key *k, uint32_t isn,
		const struct wire *w, uint32_t from, uint32_t to, uint8_t flags, uint64_t now)
{
	seen->seg_lo = w->bytes + from;
	seen->seg_hi = w->bytes + to;
	return tcp_reasm_segment(r, k, isn + 1 + from, flags, w->bytes + from, to - from, now);
}

static void syn(struct tcp_reasm *r, const struct tcp_reasm_key *k, uint32_t isn, uint64_t now)
{
	assert_int_equal(tcp_reasm_segment(r, k, isn, TCP_REASM_SYN, NULL, 0, now), 0);
}

/* --- tests -------------------------------------------------------------------------- */

static void test_one_message_per_segment_zero_copy(void **state)
{
	const uint16_t lens[] = { 30, 100, 512 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);
	unsigned int m;

	(void)state;
	syn(r, &K1, 1000, 1);
	for (m = 0; m < 3; m++)
		assert_int_equal(feed(r, &K1, 1000, w, w->start[m], w->start[m] + 2 + w->len[m], 0,
				      2), 1);
	expect_messages(w, 0, 3);
	assert_memory_equal(&seen->key[0], &K1, sizeof(K1));
	assert_int_equal(seen->zero_copy_hint, 3);
	assert_int_equal(tcp_reasm_stats(r)->messages_zero_copy, 3);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->midstream, 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_many_messages_per_segment(void **state)
{
	const uint16_t lens[] = { 12, 40, 1, 300, 17, 64 };
	struct wire *w = wire_new(6, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	syn(r, &K1, 7, 1);
	/* all six, then the stream is at a boundary holding nothing */
	assert_int_equal(feed(r, &K1, 7, w, 0, w->size, 0, 2), 6);
	expect_messages(w, 0, 6);
	assert_int_equal(tcp_reasm_stats(r)->messages_zero_copy, 6);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	tcp_reasm_free(r);
	free(w);
}

/* Two segments, split at every position, the length prefixes included. */
static void test_split_at_every_byte_position(void **state)
{
	const uint16_t lens[] = { 20, 3, 45 };
	struct wire *w = wire_new(3, lens);
	uint32_t cut;

	(void)state;
	for (cut = 1; cut < w->size; cut++) {
		struct tcp_reasm *r = make(16, 4, 0, 0);
		int a, b;

		syn(r, &K1, 0xabcdef00u, 1);
		a = feed(r, &K1, 0xabcdef00u, w, 0, cut, 0, 2);
		b = feed(r, &K1, 0xabcdef00u, w, cut, w->size, 0, 3);
		assert_int_equal(a + b, 3);
		expect_messages(w, 0, 3);
		assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
		tcp_reasm_free(r);
	}
	free(w);
}

static void test_one_byte_segments(void **state)
{
	const uint16_t lens[] = { 20, 3, 45, 1 };
	struct wire *w = wire_new(4, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);
	uint32_t i;
	int total = 0;

	(void)state;
	syn(r, &K1, 99, 1);
	for (i = 0; i < w->size; i++)
		total += feed(r, &K1, 99, w, i, i + 1, 0, 2);
	assert_int_equal(total, 4);
	expect_messages(w, 0, 4);
	assert_int_equal(tcp_reasm_stats(r)->messages_zero_copy, 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_retransmitted_segments_deliver_once(void **state)
{
	const uint16_t lens[] = { 50, 60 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);
	uint32_t mid = w->start[1] + 10;

	(void)state;
	syn(r, &K1, 5, 1);
	assert_int_equal(feed(r, &K1, 5, w, 0, mid, 0, 2), 1);
	assert_int_equal(feed(r, &K1, 5, w, 0, mid, 0, 3), 0);	/* whole duplicate */
	syn(r, &K1, 5, 3);					/* retransmitted SYN */
	assert_int_equal(feed(r, &K1, 5, w, mid, w->size, 0, 4), 1);
	assert_int_equal(feed(r, &K1, 5, w, mid, w->size, 0, 5), 0);
	assert_int_equal(feed(r, &K1, 5, w, 0, w->size, 0, 6), 0);
	expect_messages(w, 0, 2);
	assert_int_equal(tcp_reasm_stats(r)->retransmit, 3);
	assert_int_equal(tcp_reasm_stats(r)->syn_restart, 0);
	tcp_reasm_free(r);
	free(w);
}

/*
 * A segment exactly 2^31 bytes behind the next expected one (found by the pipeline
 * fuzzer): the distance is INT32_MIN, whose negation in int32_t is undefined. It is a
 * retransmission as far as the stream can tell, and the stream keeps working.
 */
static void test_segment_two_gigabytes_behind_is_a_retransmission(void **state)
{
	const uint16_t lens[] = { 40 };
	struct wire *w = wire_new(1, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);
	static const uint8_t junk[16];

	(void)state;
	syn(r, &K1, 100, 1);
	assert_int_equal(tcp_reasm_segment(r, &K1, 101u - 0x80000000u, 0, junk, sizeof(junk), 2),
			 0);
	assert_int_equal(tcp_reasm_stats(r)->retransmit, 1);
	assert_int_equal(feed(r, &K1, 100, w, 0, w->size, 0, 3), 1);
	expect_messages(w, 0, 1);
	tcp_reasm_free(r);
	free(w);
}

static void test_overlapping_segments_trimmed(void **state)
{
	const uint16_t lens[] = { 50, 60, 70 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);
	int total = 0;

	(void)state;
	syn(r, &K1, 5, 1);
	total += feed(r, &K1, 5, w, 0, 40, 0, 2);
	total += feed(r, &K1, 5, w, 30, 100, 0, 3);	/* 10 bytes old */
	total += feed(r, &K1, 5, w, 1, 150, 0, 4);	/* 99 bytes old */
	total += feed(r, &K1, 5, w, 149, w->size, 0, 5);
	assert_int_equal(total, 3);
	expect_messages(w, 0, 3);
	assert_int_equal(tcp_reasm_stats(r)->overlap_trimmed, 3);
	assert_int_equal(tcp_reasm_stats(r)->retransmit, 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_out_of_order_within_window_held_and_merged(void **state)
{
	const uint16_t lens[] = { 50, 60, 70, 80 };
	struct wire *w = wire_new(4, lens);
	struct tcp_reasm *r = make(16, 4, 0, 8);
	uint32_t a = 30, b = 90, c = 170, d = 240;

	(void)state;
	syn(r, &K1, 1, 1);
	/* pieces arrive: 4th, 2nd, an overlap of 2nd/3rd, 3rd, then the 1st fills the gap */
	assert_int_equal(feed(r, &K1, 1, w, d, w->size, 0, 2), 0);
	assert_int_equal(feed(r, &K1, 1, w, a, b, 0, 3), 0);
	assert_int_equal(feed(r, &K1, 1, w, b - 5, b + 20, 0, 4), 0);
	assert_int_equal(feed(r, &K1, 1, w, b, c, 0, 5), 0);
	assert_int_equal(tcp_reasm_stats(r)->ooo_held, 4);
	assert_int_equal(seen->count, 0);
	/* c..d is still missing: only the first two messages complete */
	assert_int_equal(feed(r, &K1, 1, w, 0, a, 0, 6), 2);
	expect_messages(w, 0, 2);
	assert_int_equal(feed(r, &K1, 1, w, c, d, 0, 7), 2);
	expect_messages(w, 0, 4);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->ooo_beyond_window, 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_out_of_order_reversed_byte_by_byte(void **state)
{
	const uint16_t lens[] = { 9, 4 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 2);
	uint32_t i;
	int total = 0;

	(void)state;
	syn(r, &K1, 1, 1);
	/* from the end backwards: each byte touches the range after it, so one range */
	for (i = w->size; i-- > 0;)
		total += feed(r, &K1, 1, w, i, i + 1, 0, 2);
	assert_int_equal(total, 2);
	expect_messages(w, 0, 2);
	assert_int_equal(tcp_reasm_stats(r)->ooo_pending_full, 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_out_of_order_adjacent_pieces_merge_forward(void **state)
{
	const uint16_t lens[] = { 9, 4 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 1);
	uint32_t i;

	(void)state;
	syn(r, &K1, 1, 1);
	/* bytes 3.. arrive one by one ahead of a gap: each extends the one range */
	for (i = 3; i < w->size; i++)
		assert_int_equal(feed(r, &K1, 1, w, i, i + 1, 0, 2), 0);
	assert_int_equal(tcp_reasm_stats(r)->ooo_pending_full, 0);
	assert_int_equal(feed(r, &K1, 1, w, 0, 3, 0, 3), 2);
	expect_messages(w, 0, 2);
	tcp_reasm_free(r);
	free(w);
}

static void test_out_of_order_beyond_window_dropped(void **state)
{
	const uint16_t lens[] = { 400, 400, 400 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 4, 514, 2);

	(void)state;
	syn(r, &K1, 1, 1);
	/* 600 bytes ahead does not fit a 514-byte buffer: dropped, counted */
	assert_int_equal(feed(r, &K1, 1, w, 600, 700, 0, 2), 0);
	assert_int_equal(tcp_reasm_stats(r)->ooo_beyond_window, 1);
	/* ranges beyond max_pending (2) are dropped too */
	assert_int_equal(feed(r, &K1, 1, w, 100, 110, 0, 3), 0);
	assert_int_equal(feed(r, &K1, 1, w, 200, 210, 0, 3), 0);
	assert_int_equal(feed(r, &K1, 1, w, 300, 310, 0, 3), 0);
	assert_int_equal(tcp_reasm_stats(r)->ooo_pending_full, 1);
	/* in-order data still flows, and a retransmission fills what was dropped */
	assert_int_equal(feed(r, &K1, 1, w, 0, w->size, 0, 4), 3);
	expect_messages(w, 0, 3);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_missing_syn_starts_midstream(void **state)
{
	const uint16_t lens[] = { 33, 44, 55 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	/* capture began after the handshake and the first message */
	assert_int_equal(feed(r, &K1, 1000, w, w->start[1], w->start[2] + 10, 0, 1), 1);
	assert_int_equal(feed(r, &K1, 1000, w, w->start[2] + 10, w->size, 0, 2), 1);
	expect_messages(w, 1, 2);
	assert_int_equal(tcp_reasm_stats(r)->midstream, 1);
	assert_int_equal(tcp_reasm_stats(r)->streams_created, 1);
	/* a bare ACK of an unknown stream creates nothing */
	assert_int_equal(tcp_reasm_segment(r, &K2, 5, 0, NULL, 0, 3), 0);
	assert_int_equal(tcp_reasm_stream_count(r), 1);
	assert_int_equal(tcp_reasm_stats(r)->ignored_no_stream, 1);
	tcp_reasm_free(r);
	free(w);
}

static void test_fin_frees_after_delivery(void **state)
{
	const uint16_t lens[] = { 33, 44 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 4);

	(void)state;
	syn(r, &K1, 1, 1);
	/* the last message and the FIN in one segment */
	assert_int_equal(feed(r, &K1, 1, w, 0, 20, 0, 2), 0);
	assert_int_equal(feed(r, &K1, 1, w, 20, w->size, TCP_REASM_FIN, 3), 2);
	expect_messages(w, 0, 2);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->closed_fin, 1);
	assert_int_equal(tcp_reasm_stats(r)->partial_at_close, 0);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);

	/* a FIN that overtakes missing data waits for it */
	seen_reset();
	syn(r, &K2, 500, 4);
	assert_int_equal(feed(r, &K2, 500, w, 30, w->size, TCP_REASM_FIN, 5), 0);
	assert_int_equal(tcp_reasm_stream_count(r), 1);
	assert_int_equal(feed(r, &K2, 500, w, 0, 30, 0, 6), 2);
	expect_messages(w, 0, 2);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->closed_fin, 2);

	/* a FIN in the middle of a message: freed, the partial message counted */
	seen_reset();
	syn(r, &K3, 9, 7);
	assert_int_equal(feed(r, &K3, 9, w, 0, 40, TCP_REASM_FIN, 8), 1);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->partial_at_close, 1);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_rst_frees_stream(void **state)
{
	const uint16_t lens[] = { 33, 44 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	syn(r, &K1, 1, 1);
	assert_int_equal(feed(r, &K1, 1, w, 0, 50, 0, 2), 1);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 1);
	assert_int_equal(tcp_reasm_segment(r, &K1, 52, TCP_REASM_RST, NULL, 0, 3), 0);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	assert_int_equal(tcp_reasm_stats(r)->closed_rst, 1);
	assert_int_equal(tcp_reasm_stats(r)->partial_at_close, 1);
	/* the rest of the stream after the RST starts again midstream */
	assert_int_equal(feed(r, &K1, 1, w, w->start[1], w->size, 0, 4), 1);
	assert_int_equal(tcp_reasm_stats(r)->midstream, 1);
	tcp_reasm_free(r);
	free(w);
}

static void test_idle_timeout_frees_streams(void **state)
{
	const uint16_t lens[] = { 33, 44 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	syn(r, &K1, 1, 0);
	assert_int_equal(feed(r, &K1, 1, w, 0, 10, 0, 1 * SEC), 0);	/* partial */
	syn(r, &K2, 1, 5 * SEC);
	syn(r, &K3, 1, 6 * SEC);
	assert_int_equal(tcp_reasm_expire(r, 11 * SEC - 1, 10), 0);
	assert_int_equal(tcp_reasm_expire(r, 15 * SEC, 10), 2);
	assert_int_equal(tcp_reasm_stats(r)->expired, 2);
	assert_int_equal(tcp_reasm_stats(r)->partial_at_close, 1);
	assert_int_equal(tcp_reasm_stream_count(r), 1);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	/* a stream with progress is not idle; the budget bounds one call */
	assert_int_equal(feed(r, &K3, 1, w, 0, 10, 0, 15 * SEC), 0);
	assert_int_equal(tcp_reasm_expire(r, 24 * SEC, 10), 0);
	syn(r, &K1, 1, 15 * SEC);
	assert_int_equal(tcp_reasm_expire(r, 100 * SEC, 1), 1);
	assert_int_equal(tcp_reasm_expire(r, 100 * SEC, 1), 1);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	tcp_reasm_free(r);
	free(w);
}

static void test_table_full_evicts_oldest(void **state)
{
	const uint16_t lens[] = { 33, 44 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(2, 4, 0, 0);

	(void)state;
	syn(r, &K1, 1, 1);
	syn(r, &K2, 1, 2);
	assert_int_equal(feed(r, &K1, 1, w, 0, 10, 0, 3), 0);	/* K1 progresses: K2 is older */
	syn(r, &K3, 1, 4);
	assert_int_equal(tcp_reasm_stats(r)->evicted, 1);
	assert_int_equal(tcp_reasm_stream_count(r), 2);
	/* K1 and K3 are tracked, K2 was evicted and comes back midstream */
	assert_int_equal(feed(r, &K1, 1, w, 10, w->size, 0, 5), 2);
	assert_int_equal(feed(r, &K3, 1, w, 0, w->size, 0, 6), 2);
	assert_int_equal(tcp_reasm_stats(r)->midstream, 0);
	assert_int_equal(feed(r, &K2, 1, w, 0, w->size, 0, 7), 2);
	assert_int_equal(tcp_reasm_stats(r)->midstream, 1);
	assert_int_equal(tcp_reasm_stats(r)->evicted, 2);
	tcp_reasm_free(r);
	free(w);
}

static void test_bad_message_lengths_reset_stream(void **state)
{
	const uint16_t lens[] = { 0, 10 };
	struct wire *w = wire_new(2, lens);
	const uint16_t big[] = { 600, 10 };
	struct wire *wb = wire_new(2, big);
	struct tcp_reasm *r = make(16, 4, 514, 0);

	(void)state;
	syn(r, &K1, 1, 1);
	assert_int_equal(feed(r, &K1, 1, w, 0, w->size, 0, 2), 0);
	assert_int_equal(tcp_reasm_stats(r)->bad_length_zero, 1);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	/* the same, found inside the buffer (prefix split across segments) */
	syn(r, &K2, 1, 3);
	assert_int_equal(feed(r, &K2, 1, w, 0, 1, 0, 4), 0);
	assert_int_equal(feed(r, &K2, 1, w, 1, w->size, 0, 5), 0);
	assert_int_equal(tcp_reasm_stats(r)->bad_length_zero, 2);
	/* longer than a 514-byte buffer can hold */
	syn(r, &K3, 1, 6);
	assert_int_equal(feed(r, &K3, 1, wb, 0, 300, 0, 7), 0);
	assert_int_equal(tcp_reasm_stats(r)->bad_length_too_big, 1);
	assert_int_equal(tcp_reasm_stream_count(r), 0);
	assert_int_equal(tcp_reasm_buffers_in_use(r), 0);
	assert_int_equal(seen->count, 0);
	tcp_reasm_free(r);
	free(w);
	free(wb);
}

static void test_sequence_wraps_at_2_32(void **state)
{
	const uint16_t lens[] = { 20, 30, 40 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 4, 0, 4);
	uint32_t isn = 0xffffffffu - 40;	/* the 2nd message straddles 2^32 */

	(void)state;
	syn(r, &K1, isn, 1);
	assert_int_equal(feed(r, &K1, isn, w, 0, 35, 0, 2), 1);
	/* out of order across the wrap, then a retransmission from before it */
	assert_int_equal(feed(r, &K1, isn, w, 60, w->size, 0, 3), 0);
	assert_int_equal(feed(r, &K1, isn, w, 10, 30, 0, 4), 0);
	assert_int_equal(tcp_reasm_stats(r)->retransmit, 1);
	assert_int_equal(feed(r, &K1, isn, w, 30, 60, 0, 5), 2);
	expect_messages(w, 0, 3);
	/* the same with the SYN itself at 0xffffffff: data starts at sequence 0 */
	seen_reset();
	syn(r, &K2, 0xffffffffu, 6);
	assert_int_equal(feed(r, &K2, 0xffffffffu, w, 0, w->size, 0, 7), 3);
	expect_messages(w, 0, 3);
	tcp_reasm_free(r);
	free(w);
}

static void test_buffer_pool_empty_skips_in_step(void **state)
{
	const uint16_t lens[] = { 100, 20, 30 };
	struct wire *w = wire_new(3, lens);
	struct tcp_reasm *r = make(16, 1, 0, 0);

	(void)state;
	syn(r, &K1, 1, 1);
	syn(r, &K2, 1, 1);
	assert_int_equal(feed(r, &K1, 1, w, 0, 50, 0, 2), 0);	/* K1 takes the only buffer */
	assert_int_equal(feed(r, &K2, 1, w, 0, 50, 0, 3), 0);	/* K2 must skip message 0 */
	assert_int_equal(tcp_reasm_stats(r)->no_buffer, 1);
	assert_int_equal(feed(r, &K2, 1, w, 50, w->size, 0, 4), 2);
	expect_messages(w, 1, 2);	/* in step again after the skipped message */
	assert_int_equal(tcp_reasm_stats(r)->skipped_bytes, 102);
	seen_reset();
	assert_int_equal(feed(r, &K1, 1, w, 50, w->size, 0, 5), 3);
	expect_messages(w, 0, 3);
	/* only one length byte and no buffer: cannot stay in step, stream reset */
	{
		const uint16_t more[] = { 200 };
		struct wire *w2 = wire_new(1, more);

		syn(r, &K3, 1, 6);
		assert_int_equal(feed(r, &K3, 1, w2, 0, 10, 0, 7), 0);	/* K3 holds it */
		assert_int_equal(tcp_reasm_segment(r, &K2, 1 + 1 + w->size, 0, w2->bytes, 1, 8),
				 0);
		assert_int_equal(tcp_reasm_stats(r)->no_buffer, 2);
		assert_int_equal(tcp_reasm_stream_count(r), 2);	/* K2 reset, K1 and K3 left */
		free(w2);
	}
	tcp_reasm_free(r);
	free(w);
}

static void test_syn_with_new_isn_restarts(void **state)
{
	const uint16_t lens[] = { 100 };
	struct wire *w = wire_new(1, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	syn(r, &K1, 1, 1);
	assert_int_equal(feed(r, &K1, 1, w, 0, 50, 0, 2), 0);
	/* the 4-tuple is reused by a new connection */
	syn(r, &K1, 777777, 3);
	assert_int_equal(tcp_reasm_stats(r)->syn_restart, 1);
	assert_int_equal(tcp_reasm_stats(r)->partial_at_close, 1);
	assert_int_equal(feed(r, &K1, 777777, w, 0, w->size, 0, 4), 1);
	expect_messages(w, 0, 1);
	tcp_reasm_free(r);
	free(w);
}

static void test_late_syn_keeps_midstream_data(void **state)
{
	const uint16_t lens[] = { 30, 40 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	/* the first data segment overtakes its SYN */
	assert_int_equal(feed(r, &K1, 500, w, 0, 40, 0, 1), 1);
	syn(r, &K1, 500, 2);
	assert_int_equal(tcp_reasm_stats(r)->syn_restart, 0);
	assert_int_equal(feed(r, &K1, 500, w, 40, w->size, 0, 3), 1);
	expect_messages(w, 0, 2);
	/* now the ISN is known: the same SYN again is a retransmission, another ISN not */
	syn(r, &K1, 500, 4);
	assert_int_equal(tcp_reasm_stats(r)->syn_restart, 0);
	syn(r, &K1, 90000, 5);
	assert_int_equal(tcp_reasm_stats(r)->syn_restart, 1);
	tcp_reasm_free(r);
	free(w);
}

static void test_directions_are_separate_streams(void **state)
{
	const uint16_t lens[] = { 25, 35 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 4, 0, 0);

	(void)state;
	syn(r, &K1, 10, 1);
	syn(r, &K2, 20000, 1);
	assert_int_equal(feed(r, &K2, 20000, w, 0, 20, 0, 2), 0);
	assert_int_equal(feed(r, &K1, 10, w, 0, 40, 0, 3), 1);
	assert_int_equal(feed(r, &K2, 20000, w, 20, w->size, 0, 4), 2);
	assert_int_equal(feed(r, &K1, 10, w, 40, w->size, 0, 5), 1);
	assert_int_equal(seen->count, 4);
	assert_memory_equal(&seen->key[0], &K1, sizeof(K1));
	assert_memory_equal(&seen->key[1], &K2, sizeof(K2));
	assert_int_equal(tcp_reasm_stream_count(r), 2);
	tcp_reasm_free(r);
	free(w);
}

static void test_largest_message_reassembled(void **state)
{
	const uint16_t lens[] = { 65535, 7 };
	struct wire *w = wire_new(2, lens);
	struct tcp_reasm *r = make(16, 2, 0, 0);
	uint32_t i;
	int total = 0;

	(void)state;
	syn(r, &K1, 0xfffff000u, 1);
	for (i = 0; i < w->size; i += 1448) {
		uint32_t end = i + 1448 < w->size ? i + 1448 : w->size;

		total += feed(r, &K1, 0xfffff000u, w, i, end, 0, 2);
	}
	assert_int_equal(total, 2);
	expect_messages(w, 0, 2);
	tcp_reasm_free(r);
	free(w);
}

static void test_bad_params_rejected(void **state)
{
	struct tcp_reasm_params p = { .on_message = on_message };

	(void)state;
	assert_null(tcp_reasm_create(NULL));
	p.buffer_size = 100;
	assert_null(tcp_reasm_create(&p));
	p.buffer_size = 70000;
	assert_null(tcp_reasm_create(&p));
	p.buffer_size = 0;
	p.max_pending = 65;
	assert_null(tcp_reasm_create(&p));
	p.max_pending = 0;
	p.on_message = NULL;
	assert_null(tcp_reasm_create(&p));
	{
		struct tcp_reasm_key k;
		uint8_t a[16] = { 0 };

		assert_int_equal(tcp_reasm_key_init(&k, AF_UNIX, a, 1, a, 2), -DNSIFT_EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_message_per_segment_zero_copy),
		cmocka_unit_test(test_many_messages_per_segment),
		cmocka_unit_test(test_split_at_every_byte_position),
		cmocka_unit_test(test_one_byte_segments),
		cmocka_unit_test(test_retransmitted_segments_deliver_once),
		cmocka_unit_test(test_segment_two_gigabytes_behind_is_a_retransmission),
		cmocka_unit_test(test_overlapping_segments_trimmed),
		cmocka_unit_test(test_out_of_order_within_window_held_and_merged),
		cmocka_unit_test(test_out_of_order_reversed_byte_by_byte),
		cmocka_unit_test(test_out_of_order_adjacent_pieces_merge_forward),
		cmocka_unit_test(test_out_of_order_beyond_window_dropped),
		cmocka_unit_test(test_missing_syn_starts_midstream),
		cmocka_unit_test(test_fin_frees_after_delivery),
		cmocka_unit_test(test_rst_frees_stream),
		cmocka_unit_test(test_idle_timeout_frees_streams),
		cmocka_unit_test(test_table_full_evicts_oldest),
		cmocka_unit_test(test_bad_message_lengths_reset_stream),
		cmocka_unit_test(test_sequence_wraps_at_2_32),
		cmocka_unit_test(test_buffer_pool_empty_skips_in_step),
		cmocka_unit_test(test_syn_with_new_isn_restarts),
		cmocka_unit_test(test_late_syn_keeps_midstream_data),
		cmocka_unit_test(test_directions_are_separate_streams),
		cmocka_unit_test(test_largest_message_reassembled),
		cmocka_unit_test(test_bad_params_rejected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
