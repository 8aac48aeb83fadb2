/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/upstream: resolver prefixes, DNS ports, RCU updates. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include "dataplane/upstream.h"

struct addr {
	int family;
	uint8_t b[16];
};

static struct addr A(const char *text)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.b) == 1)
		a.family = AF_INET6;
	else
		fail_msg("bad test address %s", text);
	return a;
}

static enum upstream_class classify(const struct upstream *u, const char *src, uint16_t sport,
				    const char *dst, uint16_t dport)
{
	struct addr s = A(src), d = A(dst);

	assert_int_equal(s.family, d.family);
	return upstream_classify(u, s.family, s.b, sport, d.b, dport);
}

static struct upstream *make(void)
{
	struct upstream_params p = { 0 };
	struct upstream *u = upstream_create(&p);

	assert_non_null(u);
	return u;
}

static void test_four_directions_v4(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	/* resolver -> authoritative: its query, and the answer back */
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "203.0.113.1", 53, "192.0.2.53", 40000), UPSTREAM_RESPONSE);
	/* client -> resolver, and the resolver's answer to that client */
	assert_int_equal(classify(u, "198.51.100.7", 5555, "192.0.2.53", 53),
			 UPSTREAM_CLIENT_SIDE);
	assert_int_equal(classify(u, "192.0.2.53", 53, "198.51.100.7", 5555),
			 UPSTREAM_CLIENT_SIDE);
	/* a DNS exchange no resolver takes part in */
	assert_int_equal(classify(u, "198.51.100.7", 5555, "203.0.113.1", 53), UPSTREAM_FOREIGN);
	upstream_free(u);
}

static void test_four_directions_v6(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_add(u, "2001:db8:53::/48"), 0);
	assert_int_equal(classify(u, "2001:db8:53::1", 40000, "2001:db8:ffff::1", 53),
			 UPSTREAM_QUERY);
	assert_int_equal(classify(u, "2001:db8:ffff::1", 53, "2001:db8:53::1", 40000),
			 UPSTREAM_RESPONSE);
	assert_int_equal(classify(u, "2001:db8:c::7", 5555, "2001:db8:53:1::1", 53),
			 UPSTREAM_CLIENT_SIDE);
	assert_int_equal(classify(u, "2001:db8:53:1::1", 53, "2001:db8:c::7", 5555),
			 UPSTREAM_CLIENT_SIDE);
	/* just outside the /48 */
	assert_int_equal(classify(u, "2001:db8:54::1", 40000, "2001:db8:ffff::1", 53),
			 UPSTREAM_FOREIGN);
	/* an IPv6 prefix says nothing about IPv4 traffic */
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 53), UPSTREAM_FOREIGN);
	upstream_free(u);
}

static void test_prefix_lengths_host_and_default(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.1/32"), 0);
	assert_int_equal(classify(u, "192.0.2.1", 1024, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "192.0.2.2", 1024, "203.0.113.1", 53), UPSTREAM_FOREIGN);
	assert_int_equal(upstream_add(u, "2001:db8::1/128"), 0);
	assert_int_equal(classify(u, "2001:db8::1", 1024, "2001:db8::99", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "2001:db8::2", 1024, "2001:db8::99", 53), UPSTREAM_FOREIGN);
	/* /0 makes every address a resolver: DNS-port traffic all looks client-side or up */
	assert_int_equal(upstream_add(u, "0.0.0.0/0"), 0);
	assert_int_equal(classify(u, "198.18.0.1", 1024, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "203.0.113.1", 53, "198.18.0.1", 1024), UPSTREAM_RESPONSE);
	assert_int_equal(upstream_add(u, "::/0"), 0);
	assert_int_equal(classify(u, "2001:db8:1::1", 1024, "2001:db8:2::2", 53), UPSTREAM_QUERY);
	/* /25 and /65: masks that do not fall on a byte or word boundary */
	assert_int_equal(upstream_clear(u), 0);
	assert_int_equal(upstream_add(u, "198.51.100.128/25"), 0);
	assert_int_equal(classify(u, "198.51.100.200", 1, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "198.51.100.127", 1, "203.0.113.1", 53), UPSTREAM_FOREIGN);
	assert_int_equal(upstream_add(u, "2001:db8:0:0:8000::/65"), 0);
	assert_int_equal(classify(u, "2001:db8::8000:0:0:1", 1, "2001:db8:9::", 53),
			 UPSTREAM_QUERY);
	assert_int_equal(classify(u, "2001:db8::7fff:0:0:1", 1, "2001:db8:9::", 53),
			 UPSTREAM_FOREIGN);
	upstream_free(u);
}

static void test_empty_list_treats_all_dns_as_upstream(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_prefix_count(u), 0);
	assert_int_equal(classify(u, "198.51.100.7", 5555, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "203.0.113.1", 53, "198.51.100.7", 5555), UPSTREAM_RESPONSE);
	assert_int_equal(classify(u, "2001:db8::1", 5555, "2001:db8::2", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "198.51.100.7", 53, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "198.51.100.7", 80, "203.0.113.1", 443), UPSTREAM_OTHER);
	/* back to empty after add + del */
	assert_int_equal(upstream_add(u, "192.0.2.0/24"), 0);
	assert_int_equal(classify(u, "198.51.100.7", 5555, "203.0.113.1", 53), UPSTREAM_FOREIGN);
	assert_int_equal(upstream_del(u, "192.0.2.0/24"), 0);
	assert_int_equal(classify(u, "198.51.100.7", 5555, "203.0.113.1", 53), UPSTREAM_QUERY);
	upstream_free(u);
}

static void test_non_dns_port_is_other(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 443), UPSTREAM_OTHER);
	assert_int_equal(classify(u, "203.0.113.1", 853, "192.0.2.53", 40000), UPSTREAM_OTHER);
	assert_int_equal(upstream_classify(u, AF_UNIX, A("192.0.2.53").b, 1, A("1.2.3.4").b, 53),
			 UPSTREAM_OTHER);
	upstream_free(u);
}

static void test_custom_dns_ports(void **state)
{
	const uint16_t ports[] = { 5353, 53 };
	struct upstream_params p = { .dns_ports = ports, .dns_port_count = 2 };
	const uint16_t bad[] = { 0 };
	struct upstream_params pb = { .dns_ports = bad, .dns_port_count = 1 };
	struct upstream *u = upstream_create(&p);

	(void)state;
	assert_non_null(u);
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 5353), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "192.0.2.53", 40000, "203.0.113.1", 54), UPSTREAM_OTHER);
	upstream_free(u);
	assert_null(upstream_create(&pb));
	assert_null(upstream_create(NULL));
}

static void test_both_ports_dns_privacy_first(void **state)
{
	struct upstream *u = make();

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	assert_int_equal(upstream_add(u, "192.0.2.54"), 0);
	/* 53 -> 53 with one resolver end: could be a client's query, so never parsed */
	assert_int_equal(classify(u, "198.51.100.7", 53, "192.0.2.53", 53), UPSTREAM_CLIENT_SIDE);
	assert_int_equal(classify(u, "192.0.2.53", 53, "198.51.100.7", 53), UPSTREAM_CLIENT_SIDE);
	/* resolver forwarding to another configured resolver: no end-user address */
	assert_int_equal(classify(u, "192.0.2.53", 53, "192.0.2.54", 53), UPSTREAM_QUERY);
	assert_int_equal(classify(u, "192.0.2.54", 53, "192.0.2.53", 4000), UPSTREAM_RESPONSE);
	upstream_free(u);
}

static void test_bad_prefixes_rejected(void **state)
{
	struct upstream_params p = { .max_prefixes = 2 };
	struct upstream *u = upstream_create(&p);

	(void)state;
	assert_non_null(u);
	assert_int_equal(upstream_add(u, ""), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, NULL), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.0/"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.0/33"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.0/-1"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.0/ 24"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.0/0024"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2/24"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "2001:db8::/129"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "resolver.example"), -DNSIFT_EUPSTREAM_CIDR);
	assert_int_equal(upstream_add(u, "192.0.2.1/24"), -DNSIFT_EUPSTREAM_HOST_BITS);
	assert_int_equal(upstream_add(u, "2001:db8::1/64"), -DNSIFT_EUPSTREAM_HOST_BITS);
	assert_int_equal(upstream_add(u, "192.0.2.0/24"), 0);
	assert_int_equal(upstream_add(u, "192.0.2.0/24"), -DNSIFT_EEXISTS);
	assert_int_equal(upstream_add(u, "2001:db8::/32"), 0);
	assert_int_equal(upstream_add(u, "198.51.100.0/24"), -DNSIFT_ELIMIT);
	assert_int_equal(upstream_del(u, "198.51.100.0/24"), -DNSIFT_ENOTFOUND);
	assert_int_equal(upstream_del(u, "192.0.2.0/25"), -DNSIFT_ENOTFOUND);
	assert_int_equal(upstream_prefix_count(u), 2);
	assert_string_equal(dnsift_strerror(-DNSIFT_EUPSTREAM_HOST_BITS),
			    "resolver prefix has address bits set past its length");
	upstream_free(u);
}

static void test_list_sorted_and_bounded(void **state)
{
	struct upstream *u = make();
	char buf[512], tiny[8];

	(void)state;
	assert_int_equal(upstream_add(u, "2001:db8::/32"), 0);
	assert_int_equal(upstream_add(u, "198.51.100.0/24"), 0);
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	assert_int_equal(upstream_add(u, "192.0.2.0/24"), 0);
	assert_int_equal(upstream_list(u, buf, sizeof(buf)),
			 (int)strlen("192.0.2.0/24\n192.0.2.53/32\n198.51.100.0/24\n2001:db8::/32\n"));
	assert_string_equal(buf, "192.0.2.0/24\n192.0.2.53/32\n198.51.100.0/24\n2001:db8::/32\n");
	assert_int_equal(upstream_list(u, tiny, sizeof(tiny)), -DNSIFT_ENOSPACE);
	assert_string_equal(tiny, "");
	assert_int_equal(upstream_del(u, "192.0.2.53/32"), 0);
	assert_int_equal(upstream_list(u, buf, sizeof(buf)) > 0, 1);
	assert_string_equal(buf, "192.0.2.0/24\n198.51.100.0/24\n2001:db8::/32\n");
	assert_int_equal(upstream_clear(u), 0);
	assert_int_equal(upstream_list(u, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	upstream_free(u);
}

static void test_stats_helper_counts_by_class(void **state)
{
	struct upstream *u = make();
	struct upstream_stats st = { { 0 } };
	struct addr r = A("192.0.2.53"), c = A("198.51.100.7"), s = A("203.0.113.1");

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	upstream_classify_count(u, &st, AF_INET, r.b, 1234, s.b, 53);
	upstream_classify_count(u, &st, AF_INET, c.b, 1234, r.b, 53);
	upstream_classify_count(u, &st, AF_INET, c.b, 1234, r.b, 53);
	assert_int_equal(st.by_class[UPSTREAM_QUERY], 1);
	assert_int_equal(st.by_class[UPSTREAM_CLIENT_SIDE], 2);
	assert_string_equal(upstream_class_name(UPSTREAM_CLIENT_SIDE), "client_side");
	upstream_free(u);
}

/* --- runtime add/del while a registered QSBR reader classifies ------------------- */

struct reader {
	struct upstream *u;
	volatile int stop;
	unsigned long loops;
	unsigned long bad;	/* results no state of the table can produce */
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct addr fixed = A("192.0.2.53"), moving = A("198.51.100.1"), server = A("203.0.113.1");

	urcu_qsbr_register_thread();
	while (!__atomic_load_n(&rd->stop, __ATOMIC_RELAXED)) {
		enum upstream_class a, b;

		/* 192.0.2.53 is always configured; 198.51.100.0/24 comes and goes. */
		a = upstream_classify(rd->u, AF_INET, fixed.b, 40000, server.b, 53);
		b = upstream_classify(rd->u, AF_INET, moving.b, 40000, server.b, 53);
		if (a != UPSTREAM_QUERY)
			rd->bad++;
		if (b != UPSTREAM_QUERY && b != UPSTREAM_FOREIGN)
			rd->bad++;
		__atomic_store_n(&rd->loops, rd->loops + 1, __ATOMIC_RELAXED);
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void test_runtime_update_under_concurrent_readers(void **state)
{
	struct upstream *u = make();
	struct reader rd[2];
	pthread_t th[2];
	int i, k;

	(void)state;
	assert_int_equal(upstream_add(u, "192.0.2.53"), 0);
	for (k = 0; k < 2; k++) {
		memset(&rd[k], 0, sizeof(rd[k]));
		rd[k].u = u;
		assert_int_equal(pthread_create(&th[k], NULL, reader_main, &rd[k]), 0);
	}
	/* Updates must overlap reading: wait until both readers are in their loop. */
	for (k = 0; k < 2; k++)
		while (__atomic_load_n(&rd[k].loops, __ATOMIC_RELAXED) == 0)
			sched_yield();
	for (i = 0; i < 300; i++) {
		assert_int_equal(upstream_add(u, "198.51.100.0/24"), 0);
		assert_int_equal(upstream_add(u, "2001:db8::/32"), 0);
		assert_int_equal(upstream_del(u, "198.51.100.0/24"), 0);
		assert_int_equal(upstream_del(u, "2001:db8::/32"), 0);
	}
	for (k = 0; k < 2; k++) {
		__atomic_store_n(&rd[k].stop, 1, __ATOMIC_RELAXED);
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_int_equal(rd[k].bad, 0);
		assert_true(rd[k].loops > 0);
	}
	assert_int_equal(upstream_prefix_count(u), 1);
	upstream_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_directions_v4),
		cmocka_unit_test(test_four_directions_v6),
		cmocka_unit_test(test_prefix_lengths_host_and_default),
		cmocka_unit_test(test_empty_list_treats_all_dns_as_upstream),
		cmocka_unit_test(test_non_dns_port_is_other),
		cmocka_unit_test(test_custom_dns_ports),
		cmocka_unit_test(test_both_ports_dns_privacy_first),
		cmocka_unit_test(test_bad_prefixes_rejected),
		cmocka_unit_test(test_list_sorted_and_bounded),
		cmocka_unit_test(test_stats_helper_counts_by_class),
		cmocka_unit_test(test_runtime_update_under_concurrent_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
