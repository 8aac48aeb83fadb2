/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of bpf/: the prefilter's verdicts run in the kernel through
 * BPF_PROG_TEST_RUN (no interface, no traffic), and the loader's argument checks.
 *
 * The verdict tests need root (CAP_BPF) and skip without it; argv[1] is the built
 * dns_prefilter.bpf.o. With no AF_XDP socket in xsks_map a DNS frame cannot be
 * redirected: the program then passes it and counts no_socket, which is what these
 * tests observe (the redirect itself is exercised by tests/bpf_prefilter.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dns_prefilter.h"
#include "bpf/xdp_loader.h"
#include "wire/err.h"

static const char *obj_path;

struct prefilter {
	struct bpf_object *obj;
	int prog_fd, ports_fd, config_fd, stats_fd;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int setup_prefilter(void **state)
{
	struct prefilter *p;

	if (geteuid() != 0 || !obj_path)
		return 0;	/* each test skips */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->obj = bpf_object__open_file(obj_path, NULL);
	if (libbpf_get_error(p->obj) || bpf_object__load(p->obj)) {
		fprintf(stderr, "cannot load %s\n", obj_path);
		free(p);
		return -1;
	}
	p->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(p->obj, "dns_prefilter"));
	p->ports_fd = bpf_object__find_map_fd_by_name(p->obj, DNS_PREFILTER_MAP_PORTS);
	p->config_fd = bpf_object__find_map_fd_by_name(p->obj, DNS_PREFILTER_MAP_CONFIG);
	p->stats_fd = bpf_object__find_map_fd_by_name(p->obj, DNS_PREFILTER_MAP_STATS);
	if (p->prog_fd < 0 || p->ports_fd < 0 || p->config_fd < 0 || p->stats_fd < 0) {
		bpf_object__close(p->obj);
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int teardown_prefilter(void **state)
{
	struct prefilter *p = *state;

	if (p) {
		bpf_object__close(p->obj);
		free(p);
	}
	return 0;
}

static struct prefilter *need_prefilter(void **state)
{
	if (!*state) {
		fprintf(stderr, "skipped: needs root and the built dns_prefilter.bpf.o\n");
		skip();
	}
	return *state;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ')
			continue;
		v = *hex <= '9' ? *hex - '0' : (*hex | 0x20) - 'a' + 10;
		assert_true(v >= 0 && v < 16);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

static void stats_sum(struct prefilter *p, uint64_t sum[DNS_PREFILTER_STAT_COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *values = calloc((size_t)ncpu, sizeof(*values));

	assert_non_null(values);
	for (uint32_t key = 0; key < DNS_PREFILTER_STAT_COUNT; key++) {
		sum[key] = 0;
		assert_int_equal(bpf_map_lookup_elem(p->stats_fd, &key, values), 0);
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum[key] += values[cpu];
	}
	free(values);
}

/* Run one frame; check the action and which counters moved (by one each). */
static void run_frame(struct prefilter *p, const char *hex, uint32_t want_action,
		      int want_stat, bool want_parse_error)
{
	uint8_t frame[256];
	uint64_t before[DNS_PREFILTER_STAT_COUNT], after[DNS_PREFILTER_STAT_COUNT];
	size_t len = unhex(hex, frame, sizeof(frame));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .repeat = 1);

	stats_sum(p, before);
	assert_int_equal(bpf_prog_test_run_opts(p->prog_fd, &opts), 0);
	assert_int_equal(opts.retval, want_action);
	stats_sum(p, after);
	for (int s = 0; s < DNS_PREFILTER_STAT_COUNT; s++) {
		uint64_t want = s == want_stat ||
			(s == DNS_PREFILTER_STAT_PARSE_ERRORS && want_parse_error);

		assert_int_equal(after[s] - before[s], want);
	}
}

static void config_set(struct prefilter *p, uint32_t key, uint32_t value)
{
	assert_int_equal(bpf_map_update_elem(p->config_fd, &key, &value, BPF_ANY), 0);
}

static void port_set(struct prefilter *p, uint32_t port, uint8_t on)
{
	assert_int_equal(bpf_map_update_elem(p->ports_fd, &port, &on, BPF_ANY), 0);
}

#define ETH "020000000001 020000000002 "
#define IP4 "c0000202 c0000201 "
#define IP6 "20010db8000000000000000000000002 20010db8000000000000000000000001 "
#define UDP_TO(port) "c350" port "00080000"

static const char arp[] = ETH "0806 0001 0800 0604 0001 020000000002 c0000202 "
	"000000000000 c0000201";
static const char udp4_53[] = ETH "0800 4500001c 00000000 40110000 " IP4 UDP_TO("0035");
static const char udp4_5353[] = ETH "0800 4500001c 00000000 40110000 " IP4 UDP_TO("14e9");
static const char udp4_from_53[] = ETH "0800 4500001c 00000000 40110000 " IP4 "0035c350 00080000";
static const char tcp4_53[] = ETH "0800 45000028 00004000 40060000 " IP4
	"c3500035 00000000 00000000 5002ffff 00000000";
static const char icmp4[] = ETH "0800 4500001c 00000000 40010000 " IP4 "08000000 00000000";
static const char udp6_53[] = ETH "86dd 60000000 0008 11 40 " IP6 UDP_TO("0035");
static const char icmp6[] = ETH "86dd 60000000 0008 3a ff " IP6 "87000000 00000000";

static void test_unconfigured_program_sends_port_53_only(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	/* A filled array is ignored until ports_configured says otherwise. */
	port_set(p, 5353, 1);
	run_frame(p, udp4_53, XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, udp4_from_53, XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, tcp4_53, XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, udp6_53, XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, udp4_5353, XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	port_set(p, 5353, 0);
}

static void test_configured_ports_replace_port_53(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	port_set(p, 5353, 1);
	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 1);
	run_frame(p, udp4_5353, XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	/* 53 is not in the configured set: it is an ordinary port now. */
	run_frame(p, udp4_53, XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	port_set(p, 5353, 0);
	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
}

static void test_non_dns_passes_to_host_unless_drop_other(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	run_frame(p, arp, XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	run_frame(p, icmp4, XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	run_frame(p, icmp6, XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 1);
	run_frame(p, arp, XDP_DROP, DNS_PREFILTER_STAT_DROPPED, false);
	run_frame(p, icmp6, XDP_DROP, DNS_PREFILTER_STAT_DROPPED, false);
	/* DNS with no socket follows the same policy, but is counted as DNS. */
	run_frame(p, udp4_53, XDP_DROP, DNS_PREFILTER_STAT_NO_SOCKET, false);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
}

static void test_vlan_tags_up_to_two_are_parsed(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	run_frame(p, ETH "8100 0064 0800 4500001c 00000000 40110000 " IP4 UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, ETH "88a8 0064 8100 00c8 86dd 60000000 0008 11 40 " IP6 UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, ETH "88a8 0064 8100 00c8 0800 4500001c 00000000 40110000 " IP4
		  UDP_TO("1f90"), XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	run_frame(p, ETH "8100 0001 8100 0002 8100 0003 0800 4500001c 00000000 40110000 " IP4
		  UDP_TO("0035"), XDP_PASS, DNS_PREFILTER_STAT_PASSED, true);
	/* A tag cut short. */
	run_frame(p, ETH "8100 00", XDP_PASS, DNS_PREFILTER_STAT_PASSED, true);
}

static void test_fragments_and_ipv6_extensions_go_to_socket(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	/* First fragment (MF) of a datagram to port 8080: the sensor reassembles all. */
	run_frame(p, ETH "0800 4500001c 00012000 40110000 " IP4 UDP_TO("1f90"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	/* Non-first fragment: no ports at all. */
	run_frame(p, ETH "0800 45000020 00010010 40110000 " IP4 "000000000000000000000000",
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	/* A fragment of something that is neither UDP nor TCP is not ours. */
	run_frame(p, ETH "0800 4500001c 00012000 40010000 " IP4 "08000000 00000000",
		  XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
	/* IPv6 fragment header and hop-by-hop: not walked, the sensor decides. */
	run_frame(p, ETH "86dd 60000000 0010 2c 40 " IP6 "11000001 00000001 " UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	run_frame(p, ETH "86dd 60000000 0010 00 40 " IP6 "11000104 00000000 " UDP_TO("1f90"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	/* ESP is opaque: passed. */
	run_frame(p, ETH "86dd 60000000 0008 32 40 " IP6 "00000001 00000001",
		  XDP_PASS, DNS_PREFILTER_STAT_PASSED, false);
}

static void test_ipv4_options_are_skipped_by_ihl(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	/* IHL 6: the ports are four bytes further; reading at 20 would see 0x0101. */
	run_frame(p, ETH "0800 46000020 00000000 40110000 " IP4 "01010101 " UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_NO_SOCKET, false);
	/* IHL 15 runs past the frame. */
	run_frame(p, ETH "0800 4f000020 00000000 40110000 " IP4 "01010101 " UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_PASSED, true);
	/* IHL below 5. */
	run_frame(p, ETH "0800 4400001c 00000000 40110000 " IP4 UDP_TO("0035"),
		  XDP_PASS, DNS_PREFILTER_STAT_PASSED, true);
}

static void test_truncated_headers_count_parse_errors(void **state)
{
	struct prefilter *p = need_prefilter(state);

	config_set(p, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 0);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
	run_frame(p, ETH "0800 45000014 00000000 40110000 " IP4, XDP_PASS,
		  DNS_PREFILTER_STAT_PASSED, true);
	run_frame(p, ETH "0800 45000014 00000000 40060000 " IP4 "c3500035 00000000", XDP_PASS,
		  DNS_PREFILTER_STAT_PASSED, true);
	run_frame(p, ETH "0800 4500", XDP_PASS, DNS_PREFILTER_STAT_PASSED, true);
	run_frame(p, ETH "86dd 60000000 0008 11 40 20010db8", XDP_PASS,
		  DNS_PREFILTER_STAT_PASSED, true);
	/* Version nibble disagrees with the EtherType. */
	run_frame(p, ETH "0800 6500001c 00000000 40110000 " IP4 UDP_TO("0035"), XDP_PASS,
		  DNS_PREFILTER_STAT_PASSED, true);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 1);
	run_frame(p, ETH "0800 4500", XDP_DROP, DNS_PREFILTER_STAT_DROPPED, true);
	config_set(p, DNS_PREFILTER_CFG_DROP_OTHER, 0);
}

static void test_loader_refuses_bad_arguments(void **state)
{
	const uint16_t ports[] = { 53, 0 };
	struct xdp_prefilter_stats st;
	char err[128] = "";

	(void)state;
	assert_int_equal(xdp_prefilter_configure("lo", ports, 0, false, err, sizeof(err)),
			 -DNSIFT_EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(xdp_prefilter_configure("lo", NULL, 1, false, err, sizeof(err)),
			 -DNSIFT_EINVAL);
	assert_int_equal(xdp_prefilter_configure("lo", ports, 2, false, err, sizeof(err)),
			 -DNSIFT_EINVAL);
	assert_non_null(strstr(err, "port 0"));
	assert_int_equal(xdp_prefilter_configure("", ports, 1, false, err, sizeof(err)),
			 -DNSIFT_EINVAL);
	assert_int_equal(xdp_prefilter_stats(NULL, &st), -DNSIFT_EINVAL);
	assert_int_equal(xdp_prefilter_show("lo", NULL, NULL, 0, NULL, NULL, NULL, NULL, 0),
			 -DNSIFT_EINVAL);
	assert_int_equal(xdp_prefilter_attach("lo", "", XDP_PREFILTER_MODE_SKB, err,
					      sizeof(err)), -DNSIFT_EINVAL);
}

static void test_loader_reports_missing_interface(void **state)
{
	const uint16_t ports[] = { 53 };
	struct xdp_prefilter_stats st;
	char err[128] = "";

	(void)state;
	assert_int_equal(xdp_prefilter_configure("dnsift-none0", ports, 1, false, err,
						 sizeof(err)), -DNSIFT_ENOTFOUND);
	assert_non_null(strstr(err, "dnsift-none0"));
	assert_int_equal(xdp_prefilter_stats("dnsift-none0", &st), -DNSIFT_ENOTFOUND);
	assert_int_equal(xdp_prefilter_detach("dnsift-none0", err, sizeof(err)),
			 -DNSIFT_ENOTFOUND);
	assert_int_equal(xdp_prefilter_attach("dnsift-none0", "x.o", XDP_PREFILTER_MODE_SKB,
					      err, sizeof(err)), -DNSIFT_ENOTFOUND);
	/* A tiny buffer is cut, never overrun. */
	assert_int_equal(xdp_prefilter_detach("dnsift-none0", err, 4), -DNSIFT_ENOTFOUND);
	assert_int_equal(strlen(err), 3);
	/* No buffer at all is fine too. */
	assert_int_equal(xdp_prefilter_detach("dnsift-none0", NULL, 0), -DNSIFT_ENOTFOUND);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest prefilter_tests[] = {
		cmocka_unit_test(test_unconfigured_program_sends_port_53_only),
		cmocka_unit_test(test_configured_ports_replace_port_53),
		cmocka_unit_test(test_non_dns_passes_to_host_unless_drop_other),
		cmocka_unit_test(test_vlan_tags_up_to_two_are_parsed),
		cmocka_unit_test(test_fragments_and_ipv6_extensions_go_to_socket),
		cmocka_unit_test(test_ipv4_options_are_skipped_by_ihl),
		cmocka_unit_test(test_truncated_headers_count_parse_errors),
	};
	const struct CMUnitTest loader_tests[] = {
		cmocka_unit_test(test_loader_refuses_bad_arguments),
		cmocka_unit_test(test_loader_reports_missing_interface),
	};
	int failed;

	obj_path = argc > 1 ? argv[1] : NULL;
	libbpf_set_print(quiet);
	failed = cmocka_run_group_tests_name("xdp_prefilter", prefilter_tests,
					     setup_prefilter, teardown_prefilter);
	failed += cmocka_run_group_tests_name("xdp_loader", loader_tests, NULL, NULL);
	return failed ? 1 : 0;
}
