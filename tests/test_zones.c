/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/zones: which server was seen serving which zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/zones.h"
#include "wire/dns.h"

static const uint8_t srv_a[4] = { 198, 51, 100, 30 };
static const uint8_t srv_b[4] = { 198, 51, 100, 31 };
static const uint8_t srv_v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x40 };

#define NAME(s) (const uint8_t *)(s), (uint8_t)(sizeof(s) - 1)

static void longest_known_zone_at_or_above_the_qname_wins(void **state)
{
	struct zones *z = zones_create(128);
	(void)state;
	assert_non_null(z);
	zones_learn(z, srv_a, 4, NAME("\4test\0"), 1);
	zones_learn(z, srv_a, 4, NAME("\7example\4test\0"), 1);
	/* www.example.test. -> example.test. (longest), 14 octets */
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\3www\7example\4test\0")), 14);
	/* other.test. -> test. */
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\5other\4test\0")), 6);
	/* The zone apex itself. */
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\7example\4test\0")), 14);
	/* Unrelated name: nothing. */
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\3www\3org\0")), 0);
	assert_int_equal(zones_stats(z)->learned, 2);
	zones_free(z);
}

static void another_server_or_family_knows_nothing(void **state)
{
	struct zones *z = zones_create(128);
	(void)state;
	zones_learn(z, srv_a, 4, NAME("\7example\4test\0"), 1);
	assert_int_equal(zones_lookup(z, srv_b, 4, NAME("\3www\7example\4test\0")), 0);
	assert_int_equal(zones_lookup(z, srv_v6, 16, NAME("\3www\7example\4test\0")), 0);
	zones_learn(z, srv_v6, 16, NAME("\4knot\4test\0"), 1);
	assert_int_equal(zones_lookup(z, srv_v6, 16, NAME("\3www\4knot\4test\0")), 11);
	zones_free(z);
}

static void a_full_table_evicts_the_stalest_pair_and_stays_bounded(void **state)
{
	struct zones *z = zones_create(64);
	uint8_t name[16] = { 5, 'z', 'o', 'n', 'e', '0', 4, 't', 'e', 's', 't', 0 };
	(void)state;
	/* 10x more pairs than slots: every learn succeeds, old ones are evicted. */
	for (unsigned i = 0; i < 640; i++) {
		uint8_t srv[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
		zones_learn(z, srv, 4, name, 12, i);
	}
	assert_int_equal(zones_stats(z)->learned, 640);
	assert_true(zones_stats(z)->evicted >= 640 - 64);
	/* The newest pair is still there. */
	uint8_t last[4] = { 198, 18, 2, 127 };
	assert_int_equal(zones_lookup(z, last, 4, name, 12), 12);
	zones_free(z);
}

/* A referral from the test. server for example.test. with glue, built on the wire. */
static const uint8_t referral[] = {
	0x12, 0x34, 0x80, 0x00, 0, 1, 0, 0, 0, 2, 0, 2,
	/* question www.example.test. A IN (offset 12) */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
	0, 1, 0, 1,
	/* authority: example.test. NS ns1.example.test. (owner via pointer to 16) */
	0xc0, 16, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'n', 's', '1', 0xc0, 16,
	/* authority: example.test. NS ns2.other. (out-of-zone target, no glue) */
	0xc0, 16, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 11, 3, 'n', 's', '2', 5, 'o', 't', 'h', 'e',
	'r', 0,
	/* additional: ns1.example.test. A 198.51.100.30 */
	3, 'n', 's', '1', 0xc0, 16, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 51, 100, 30,
	/* additional: unrelated.test. A 192.0.2.1 (glue for no NS here) */
	9, 'u', 'n', 'r', 'e', 'l', 'a', 't', 'e', 'd', 0xc0, 24, 0, 1, 0, 1, 0, 0, 0x0e, 0x10,
	0, 4, 192, 0, 2, 1,
};

static void a_referral_teaches_its_glue_the_child_zone(void **state)
{
	static struct dns_msg m;
	struct zones *z = zones_create(128);
	const uint8_t tld[4] = { 198, 51, 100, 20 };
	const uint8_t unrelated[4] = { 192, 0, 2, 1 };
	(void)state;
	assert_int_equal(dns_parse(referral, sizeof(referral), &m), 0);
	zones_learn_response(z, &m, tld, 4, NAME("\4test\0"), 5);
	/* The referring server serves test. */
	assert_int_equal(zones_lookup(z, tld, 4, NAME("\3www\7example\4test\0")), 6);
	/* The glue address serves example.test. */
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\3www\7example\4test\0")), 14);
	/* An A record that is no NS target's glue teaches nothing. */
	assert_int_equal(zones_lookup(z, unrelated, 4, NAME("\3www\7example\4test\0")), 0);
	zones_free(z);
}

static void an_out_of_bailiwick_delegation_teaches_nothing(void **state)
{
	static struct dns_msg m;
	struct zones *z = zones_create(128);
	const uint8_t other[4] = { 198, 51, 100, 99 };
	(void)state;
	assert_int_equal(dns_parse(referral, sizeof(referral), &m), 0);
	/* A server speaking for org. cannot delegate example.test. */
	zones_learn_response(z, &m, other, 4, NAME("\3org\0"), 1);
	assert_int_equal(zones_lookup(z, srv_a, 4, NAME("\3www\7example\4test\0")), 0);
	zones_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(longest_known_zone_at_or_above_the_qname_wins),
		cmocka_unit_test(another_server_or_family_knows_nothing),
		cmocka_unit_test(a_full_table_evicts_the_stalest_pair_and_stays_bounded),
		cmocka_unit_test(a_referral_teaches_its_glue_the_child_zone),
		cmocka_unit_test(an_out_of_bailiwick_delegation_teaches_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
