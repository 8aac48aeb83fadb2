/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/match: outstanding-query table, dnsqr-style matching. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dataplane/match.h"

#define SEC 1000000000ull

/* "www.example.com." in lowercase wire format */
static const uint8_t WWW[] = "\3www\7example\3com";
static const uint8_t WWW_UPPER[] = "\3WWW\7Example\3COM";
static const uint8_t MAIL[] = "\4mail\7example\3com";

struct pkt {
	struct match_packet p;
	uint8_t src[16], dst[16];
};

/* A query resolver 192.0.2.53:40000 -> 203.0.113.1:53 (UDP), A IN www.example.com. */
static void query_pkt(struct pkt *q)
{
	memset(q, 0, sizeof(*q));
	inet_pton(AF_INET, "192.0.2.53", q->src);
	inet_pton(AF_INET, "203.0.113.1", q->dst);
	q->p.family = AF_INET;
	q->p.transport = IPPROTO_UDP;
	q->p.src = q->src;
	q->p.dst = q->dst;
	q->p.sport = 40000;
	q->p.dport = 53;
	q->p.id = 0x1234;
	q->p.qtype = 1;
	q->p.qclass = 1;
	q->p.qname = WWW;
	q->p.qname_len = sizeof(WWW);	/* includes the root label (the string's NUL) */
}

/* The response to q: same fields, addresses and ports swapped. */
static void response_pkt(struct pkt *r, const struct pkt *q)
{
	*r = *q;
	memcpy(r->src, q->dst, 16);
	memcpy(r->dst, q->src, 16);
	r->p.src = r->src;
	r->p.dst = r->dst;
	r->p.sport = q->p.dport;
	r->p.dport = q->p.sport;
}

static struct match *make(unsigned int max, uint64_t timeout)
{
	struct match_params p = { .max_entries = max, .query_timeout_ns = timeout,
				  .hash_seed = 42 };
	struct match *t = match_create(&p);

	assert_non_null(t);
	return t;
}

static int ask(struct match *t, const struct pkt *q, uint64_t now)
{
	struct match_key k;

	assert_int_equal(match_key_from_packet(&k, &q->p, MATCH_DIR_QUERY), 0);
	return match_query(t, &k, now);
}

static int answer(struct match *t, const struct pkt *r, uint64_t now)
{
	struct match_key k;

	assert_int_equal(match_key_from_packet(&k, &r->p, MATCH_DIR_RESPONSE), 0);
	return match_response(t, &k, now, NULL);
}

static void test_query_then_response_matches_once(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;
	struct match_key k;
	uint64_t sent = 0;

	(void)state;
	query_pkt(&q);
	response_pkt(&r, &q);
	assert_int_equal(ask(t, &q, 100), 0);
	assert_int_equal(match_count(t), 1);
	assert_int_equal(match_key_from_packet(&k, &r.p, MATCH_DIR_RESPONSE), 0);
	assert_int_equal(match_response(t, &k, 250, &sent), 1);
	assert_int_equal(sent, 100);
	assert_int_equal(match_count(t), 0);
	/* removed on match: a second copy of the response is unmatched */
	assert_int_equal(answer(t, &r, 300), 0);
	assert_int_equal(match_stats(t)->responses_matched, 1);
	assert_int_equal(match_stats(t)->responses_unmatched, 1);
	match_free(t);
}

static void test_ipv6_tcp_query_matches(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;

	(void)state;
	query_pkt(&q);
	memset(q.src, 0, 16);
	memset(q.dst, 0, 16);
	inet_pton(AF_INET6, "2001:db8::53", q.src);
	inet_pton(AF_INET6, "2001:db8:ffff::1", q.dst);
	q.p.family = AF_INET6;
	q.p.transport = IPPROTO_TCP;
	response_pkt(&r, &q);
	assert_int_equal(ask(t, &q, 1), 0);
	r.p.transport = IPPROTO_UDP;
	assert_int_equal(answer(t, &r, 2), 0);	/* transport is part of the key */
	r.p.transport = IPPROTO_TCP;
	assert_int_equal(answer(t, &r, 2), 1);
	match_free(t);
}

static void test_response_without_query_is_unmatched(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;

	(void)state;
	query_pkt(&q);
	response_pkt(&r, &q);
	assert_int_equal(answer(t, &r, 1), 0);
	assert_int_equal(match_stats(t)->responses_unmatched, 1);
	/* a response key built as a query (no swap) does not find the query either */
	assert_int_equal(ask(t, &q, 1), 0);
	{
		struct match_key k;

		assert_int_equal(match_key_from_packet(&k, &r.p, MATCH_DIR_QUERY), 0);
		assert_int_equal(match_response(t, &k, 2, NULL), 0);
	}
	match_free(t);
}

/* Each field of the key on its own must prevent a match, and leave the query there. */
static void test_each_key_field_must_agree(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;
	int field;

	(void)state;
	query_pkt(&q);
	assert_int_equal(ask(t, &q, 1), 0);
	for (field = 0; field < 10; field++) {
		response_pkt(&r, &q);
		switch (field) {
		case 0: r.p.id ^= 1; break;
		case 1: r.p.qname = MAIL; r.p.qname_len = sizeof(MAIL); break;
		case 2: r.p.qtype = 28; break;
		case 3: r.p.qclass = 3; break;
		case 4: r.p.sport = 5353; break;	/* server port */
		case 5: r.p.dport = 40001; break;	/* client port */
		case 6: r.src[3] ^= 1; break;		/* server address */
		case 7: r.dst[3] ^= 1; break;		/* client address */
		case 8: r.p.transport = IPPROTO_TCP; break;
		case 9: r.p.qname_len = sizeof(WWW) - 4; break;	/* a prefix of the name */
		}
		assert_int_equal(answer(t, &r, 2), 0);
	}
	assert_int_equal(match_count(t), 1);
	response_pkt(&r, &q);
	assert_int_equal(answer(t, &r, 3), 1);
	assert_int_equal(match_stats(t)->responses_unmatched, 10);
	match_free(t);
}

static void test_duplicate_query_refreshes(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;
	struct match_key k;
	uint64_t sent = 0;

	(void)state;
	query_pkt(&q);
	response_pkt(&r, &q);
	assert_int_equal(ask(t, &q, 1 * SEC), 0);
	assert_int_equal(ask(t, &q, 4 * SEC), 1);	/* retransmission */
	assert_int_equal(match_count(t), 1);
	assert_int_equal(match_stats(t)->queries_duplicate, 1);
	/* 7 s after the first query, 3 s after the refresh: still outstanding */
	assert_int_equal(match_expire(t, 7 * SEC, 100), 0);
	assert_int_equal(match_key_from_packet(&k, &r.p, MATCH_DIR_RESPONSE), 0);
	assert_int_equal(match_response(t, &k, 7 * SEC, &sent), 1);
	assert_int_equal(sent, 4 * SEC);
	match_free(t);
}

static void test_timeout_counts_unanswered(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, q2, r;

	(void)state;
	query_pkt(&q);
	q2 = q;
	q2.p.id = 99;
	response_pkt(&r, &q);
	assert_int_equal(ask(t, &q, 0), 0);
	assert_int_equal(ask(t, &q2, 3 * SEC), 0);
	assert_int_equal(match_expire(t, 5 * SEC - 1, 100), 0);
	assert_int_equal(match_expire(t, 5 * SEC, 100), 1);
	assert_int_equal(match_stats(t)->unanswered, 1);
	assert_int_equal(match_count(t), 1);
	assert_int_equal(answer(t, &r, 5 * SEC), 0);	/* too late */
	/* a stale query expire() has not reaped yet does not match either */
	response_pkt(&r, &q2);
	assert_int_equal(answer(t, &r, 9 * SEC), 0);
	assert_int_equal(match_stats(t)->unanswered, 2);
	assert_int_equal(match_count(t), 0);
	match_free(t);
}

static void test_expire_respects_budget(void **state)
{
	struct match *t = make(64, 1 * SEC);
	struct pkt q;
	int i;

	(void)state;
	query_pkt(&q);
	for (i = 0; i < 10; i++) {
		q.p.id = (uint16_t)i;
		assert_int_equal(ask(t, &q, (uint64_t)i), 0);
	}
	assert_int_equal(match_expire(t, 10 * SEC, 3), 3);
	assert_int_equal(match_count(t), 7);
	assert_int_equal(match_expire(t, 10 * SEC, 100), 7);
	assert_int_equal(match_count(t), 0);
	match_free(t);
}

static void test_full_table_evicts_oldest(void **state)
{
	struct match *t = make(4, 5 * SEC);
	struct pkt q, r;
	int i;

	(void)state;
	query_pkt(&q);
	for (i = 0; i < 6; i++) {
		q.p.id = (uint16_t)(100 + i);
		assert_int_equal(ask(t, &q, (uint64_t)i), 0);
	}
	assert_int_equal(match_count(t), 4);
	assert_int_equal(match_stats(t)->evicted, 2);
	/* ids 100 and 101 were the oldest and are gone; the newest still match */
	for (i = 0; i < 6; i++) {
		q.p.id = (uint16_t)(100 + i);
		response_pkt(&r, &q);
		assert_int_equal(answer(t, &r, 10), i >= 2 ? 1 : 0);
	}
	/* the free list recycles: fill and drain twice more */
	for (i = 0; i < 8; i++) {
		q.p.id = (uint16_t)i;
		assert_int_equal(ask(t, &q, 20), 0);
	}
	assert_int_equal(match_count(t), 4);
	assert_int_equal(match_expire(t, 20 + 5 * SEC, 10), 4);
	match_free(t);
}

/* The API compares qnames as bytes; the caller (wire/dns) lowercases them. */
static void test_qname_case_is_folded_by_the_caller(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q, r;
	uint8_t folded[sizeof(WWW_UPPER)];
	size_t i;

	(void)state;
	query_pkt(&q);
	q.p.qname = WWW;
	response_pkt(&r, &q);
	r.p.qname = WWW_UPPER;	/* 0x20-randomised case, not folded */
	assert_int_equal(ask(t, &q, 1), 0);
	assert_int_equal(answer(t, &r, 2), 0);
	/* folded as the parser does, it matches */
	memcpy(folded, WWW_UPPER, sizeof(folded));
	for (i = 0; i < sizeof(folded); i++)
		if (folded[i] >= 'A' && folded[i] <= 'Z')
			folded[i] = (uint8_t)(folded[i] + 32);
	r.p.qname = folded;
	assert_int_equal(answer(t, &r, 3), 1);
	match_free(t);
}

static void test_invalid_keys_rejected(void **state)
{
	struct match *t = make(16, 5 * SEC);
	struct pkt q;
	struct match_key k;
	uint8_t longname[300];

	(void)state;
	memset(longname, 1, sizeof(longname));
	query_pkt(&q);
	q.p.qname_len = 0;
	assert_int_equal(match_key_from_packet(&k, &q.p, MATCH_DIR_QUERY), -DNSIFT_EINVAL);
	q.p.qname = longname;
	q.p.qname_len = 256;
	assert_int_equal(match_key_from_packet(&k, &q.p, MATCH_DIR_QUERY), -DNSIFT_EINVAL);
	query_pkt(&q);
	q.p.family = AF_UNIX;
	assert_int_equal(match_key_from_packet(&k, &q.p, MATCH_DIR_QUERY), -DNSIFT_EINVAL);
	query_pkt(&q);
	assert_int_equal(match_key_from_packet(&k, &q.p, MATCH_DIR_QUERY), 0);
	k.qname_len = 300;
	assert_int_equal(match_query(t, &k, 1), -DNSIFT_EINVAL);
	assert_int_equal(match_response(t, &k, 1, NULL), -DNSIFT_EINVAL);
	assert_int_equal(match_stats(t)->invalid_key, 2);
	assert_null(match_create(NULL));
	match_free(t);
}

static void test_many_outstanding_all_match(void **state)
{
	struct match *t = make(1000, 5 * SEC);
	struct pkt q, r;
	int i;

	(void)state;
	query_pkt(&q);
	for (i = 0; i < 1000; i++) {
		q.p.id = (uint16_t)i;
		q.p.sport = (uint16_t)(1024 + i * 7);
		assert_int_equal(ask(t, &q, 1), 0);
	}
	for (i = 999; i >= 0; i--) {
		q.p.id = (uint16_t)i;
		q.p.sport = (uint16_t)(1024 + i * 7);
		response_pkt(&r, &q);
		assert_int_equal(answer(t, &r, 2), 1);
	}
	assert_int_equal(match_count(t), 0);
	assert_int_equal(match_stats(t)->evicted, 0);
	match_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_then_response_matches_once),
		cmocka_unit_test(test_ipv6_tcp_query_matches),
		cmocka_unit_test(test_response_without_query_is_unmatched),
		cmocka_unit_test(test_each_key_field_must_agree),
		cmocka_unit_test(test_duplicate_query_refreshes),
		cmocka_unit_test(test_timeout_counts_unanswered),
		cmocka_unit_test(test_expire_respects_budget),
		cmocka_unit_test(test_full_table_evicts_oldest),
		cmocka_unit_test(test_qname_case_is_folded_by_the_caller),
		cmocka_unit_test(test_invalid_keys_rejected),
		cmocka_unit_test(test_many_outstanding_all_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
