/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of common/conf: defaults, every key, every error with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "common/conf.h"
#include "wire/err.h"

static struct dnsift_conf *new_conf(void)
{
	struct dnsift_conf *c = malloc(sizeof(*c));

	assert_non_null(c);
	conf_init_defaults(c);
	return c;
}

static int load(struct dnsift_conf *c, const char *text, char *err, size_t len)
{
	return conf_load_string(c, text, "t.conf", err, len);
}

static void defaults_cover_every_key_without_a_file(void **state)
{
	struct dnsift_conf *c = new_conf();
	char err[512];

	(void)state;
	assert_string_equal(c->sensor_id, "dnsift");
	assert_string_equal(c->spool_dir, "/var/spool/dnsift");
	assert_string_equal(c->eal_args, "");
	assert_int_equal(c->port_count, 0);
	assert_int_equal(c->rx_queues, 1);
	assert_int_equal(c->resolver_count, 0);
	assert_int_equal(c->dns_port_count, 1);
	assert_int_equal(c->dns_port[0], 53);
	assert_int_equal(c->unmatched, CONF_UNMATCHED_DROP);
	assert_int_equal(c->query_timeout_ms, 5000);
	assert_int_equal(c->window_s, 300);
	assert_false(c->first_sight);
	assert_int_equal(c->dedup_max_entries, 1000000);
	assert_int_equal(c->dedup_max_bytes, 1024ULL << 20);
	assert_int_equal(c->tcp_max_flows, 4096);
	assert_int_equal(c->frag_max_flows, 4096);
	assert_int_equal(c->segment_max_bytes, 64ULL << 20);
	assert_int_equal(c->segment_max_age_s, 60);
	assert_int_equal(c->segment_flush_ms, 1000);
	assert_string_equal(c->cli_socket, "/run/dnsift/cli.sock");
	assert_string_equal(c->cli_group, "");
	assert_int_equal(c->cli_mode, 0660);
	assert_string_equal(c->telemetry_socket, "/var/run/dpdk/dnsift/dpdk_telemetry.v2");
	assert_int_equal(c->collector_count, 0);
	assert_int_equal(c->collector_header_count, 0);
	assert_string_equal(c->collector_ca, "");
	assert_string_equal(c->collector_cert, "");
	assert_string_equal(c->collector_key, "");
	assert_false(c->collector_insecure);
	assert_int_equal(c->ship_retry_min_ms, 1000);
	assert_int_equal(c->ship_retry_max_ms, 300000);
	assert_int_equal(c->spool_quota, 10ULL << 30);
	assert_false(c->spool_keep_sent);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9163");
	/* Defaults are valid by themselves, and an empty file changes nothing. */
	assert_int_equal(conf_validate(c, err, sizeof(err)), 0);
	assert_int_equal(load(c, "", err, sizeof(err)), 0);
	assert_int_equal(load(c, "# only a comment\n\n   \n", err, sizeof(err)), 0);
	assert_string_equal(c->sensor_id, "dnsift");
	free(c);
}

static void every_key_is_parsed_into_its_field(void **state)
{
	static const char text[] =
		"# full example\n"
		"sensor_id = isp1-fra-01\n"
		"spool_dir = /srv/spool # trailing comment\n"
		"eal_args = -l 0-3 --file-prefix dnsift\n"
		"port = net_pcap0,rx_pcap=/tmp/x.pcap\n"
		"port = 0000:3b:00.0\n"
		"rx_queues = 4\n"
		"resolver = 192.0.2.0/24\n"
		"resolver = 2001:db8::53\n"
		"dns_port = 53\n"
		"dns_port = 5353\n"
		"unmatched = record\n"
		"query_timeout_ms = 2s\n"
		"window = 10m\n"
		"first_sight = yes\n"
		"dedup_max_entries = 2000000\n"
		"dedup_max_bytes = 1G\n"
		"tcp_max_flows = 100\n"
		"frag_max_flows = 0\n"
		"segment_max_bytes = 128M\n"
		"segment_max_age = 30\n"
		"segment_flush_ms = 250\n"
		"cli_socket = /tmp/cli.sock\n"
		"cli_group = dnsift\n"
		"cli_mode = 0600\n"
		"telemetry_socket = /tmp/tel.sock\n"
		"collector = https://c1.example.net/dav/\n"
		"collector = http://127.0.0.1:8080/in\n"
		"collector_header = Authorization: Bearer abc#def\n"
		"collector_header = \"X-Sensor: a # b\"\n"
		"collector_ca = /etc/ca.pem\n"
		"collector_cert = /etc/c.pem\n"
		"collector_key = /etc/k.pem\n"
		"collector_insecure = on\n"
		"ship_retry_min_ms = 500\n"
		"ship_retry_max_ms = 1m\n"
		"spool_quota = 2T\n"
		"spool_keep_sent = true\n"
		"metrics_listen =\n";
	struct dnsift_conf *c = new_conf();
	char err[512], buf[64];

	(void)state;
	assert_int_equal(load(c, text, err, sizeof(err)), 0);
	assert_string_equal(c->sensor_id, "isp1-fra-01");
	assert_string_equal(c->spool_dir, "/srv/spool");
	assert_string_equal(c->eal_args, "-l 0-3 --file-prefix dnsift");
	assert_int_equal(c->port_count, 2);
	assert_string_equal(c->port[0], "net_pcap0,rx_pcap=/tmp/x.pcap");
	assert_string_equal(c->port[1], "0000:3b:00.0");
	assert_int_equal(c->rx_queues, 4);
	assert_int_equal(c->resolver_count, 2);
	assert_string_equal(conf_format_cidr(&c->resolver[0], buf, sizeof(buf)), "192.0.2.0/24");
	assert_string_equal(conf_format_cidr(&c->resolver[1], buf, sizeof(buf)),
			    "2001:db8::53/128");
	assert_int_equal(c->dns_port_count, 2);
	assert_int_equal(c->dns_port[1], 5353);
	assert_int_equal(c->unmatched, CONF_UNMATCHED_RECORD);
	assert_int_equal(c->query_timeout_ms, 2000);
	assert_int_equal(c->window_s, 600);
	assert_true(c->first_sight);
	assert_int_equal(c->dedup_max_entries, 2000000);
	assert_int_equal(c->dedup_max_bytes, 1ULL << 30);
	assert_int_equal(c->tcp_max_flows, 100);
	assert_int_equal(c->frag_max_flows, 0);
	assert_int_equal(c->segment_max_bytes, 128ULL << 20);
	assert_int_equal(c->segment_max_age_s, 30);
	assert_int_equal(c->segment_flush_ms, 250);
	assert_string_equal(c->cli_socket, "/tmp/cli.sock");
	assert_string_equal(c->cli_group, "dnsift");
	assert_int_equal(c->cli_mode, 0600);
	assert_string_equal(c->telemetry_socket, "/tmp/tel.sock");
	assert_int_equal(c->collector_count, 2);
	assert_string_equal(c->collector[0], "https://c1.example.net/dav/");
	assert_int_equal(c->collector_header_count, 2);
	/* '#' inside a word is not a comment; a quoted value keeps " # ". */
	assert_string_equal(c->collector_header[0], "Authorization: Bearer abc#def");
	assert_string_equal(c->collector_header[1], "X-Sensor: a # b");
	assert_string_equal(c->collector_ca, "/etc/ca.pem");
	assert_string_equal(c->collector_cert, "/etc/c.pem");
	assert_string_equal(c->collector_key, "/etc/k.pem");
	assert_true(c->collector_insecure);
	assert_int_equal(c->ship_retry_min_ms, 500);
	assert_int_equal(c->ship_retry_max_ms, 60000);
	assert_int_equal(c->spool_quota, 2ULL << 40);
	assert_true(c->spool_keep_sent);
	assert_string_equal(c->metrics_listen, "");
	free(c);
}

static void repeatable_key_replaces_default_list_then_appends(void **state)
{
	struct dnsift_conf *c = new_conf();
	char err[512];

	(void)state;
	assert_int_equal(load(c, "dns_port = 5300\ndns_port = 5301\n", err, sizeof(err)), 0);
	assert_int_equal(c->dns_port_count, 2);
	assert_int_equal(c->dns_port[0], 5300);
	assert_int_equal(c->dns_port[1], 5301);
	/* conf_set is a command-line override: it appends. */
	assert_int_equal(conf_set(c, "dns_port", "5302", err, sizeof(err)), 0);
	assert_int_equal(c->dns_port_count, 3);
	assert_int_equal(conf_set(c, "window", "42", err, sizeof(err)), 0);
	assert_int_equal(c->window_s, 42);
	assert_int_equal(conf_set(c, "nope", "1", err, sizeof(err)), -DNSIFT_ECONFIG);
	assert_non_null(strstr(err, "unknown key 'nope'"));
	free(c);
}

struct bad_case {
	const char *text;
	const char *message;	/* expected substring, including file:line */
};

static void errors_name_file_line_and_reason(void **state)
{
	static const struct bad_case cases[] = {
		{ "bogus = 1\n", "t.conf:1: unknown key 'bogus'" },
		{ "\n\nsensor_id\n", "t.conf:3: expected 'key = value'" },
		{ "rx_queues = 0\n", "t.conf:1: key 'rx_queues': bad value '0'" },
		{ "rx_queues = 129\n", "from 1 to 128" },
		{ "rx_queues = -1\n", "bad value '-1'" },
		{ "rx_queues = 4x\n", "bad value '4x'" },
		{ "rx_queues = 99999999999999999999999\n", "bad value" },
		{ "window = 0\n", "key 'window'" },
		{ "window = 1500ms\n", "whole number of seconds" },
		{ "window = 8d\n", "key 'window'" },
		{ "query_timeout_ms = 5\n", "key 'query_timeout_ms'" },
		{ "query_timeout_ms = 5 years\n", "key 'query_timeout_ms'" },
		{ "first_sight = maybe\n", "expected yes or no" },
		{ "dedup_max_entries = 10\n", "key 'dedup_max_entries'" },
		{ "dedup_max_bytes = 12Q\n", "key 'dedup_max_bytes'" },
		{ "dedup_max_bytes = 99999999999999999T\n", "key 'dedup_max_bytes'" },
		{ "segment_max_bytes = 1K\n", "key 'segment_max_bytes'" },
		{ "spool_quota =\n", "key 'spool_quota'" },
		{ "unmatched = keep\n", "expected drop or record" },
		{ "resolver = 192.0.2.1/24\n", "no host bits set" },
		{ "resolver = 192.0.2.0/33\n", "key 'resolver'" },
		{ "resolver = 2001:db8::/129\n", "key 'resolver'" },
		{ "resolver = example.com\n", "key 'resolver'" },
		{ "dns_port = 0\n", "from 1 to 65535" },
		{ "dns_port = 65536\n", "key 'dns_port'" },
		{ "cli_mode = 0999\n", "octal file mode" },
		{ "cli_mode = 17777\n", "octal file mode" },
		{ "sensor_id =\n", "key 'sensor_id'" },
		{ "sensor_id = a/b\n", "t.conf: sensor_id 'a/b'" },
		{ "spool_dir = \"/x\n", "t.conf:1: unterminated quoted value" },
		{ "spool_dir = \"/x\" y\n", "text after the quoted value" },
		{ "window = 1\nwindow = 2\n", "t.conf:2: key 'window' given twice" },
		{ "collector =\n", "key 'collector'" },
		{ "collector = ftp://x/\n", "only http:// and https://" },
		{ "collector_header = NoColon\n", "expected 'Name: value'" },
		{ "collector_cert = /c.pem\n", "must be set together" },
		{ "ship_retry_min_ms = 5000\nship_retry_max_ms = 1000\n", "is larger than" },
		{ "collector_insecure = 2\n", "key 'collector_insecure'" },
		{ "spool_keep_sent = \n", "key 'spool_keep_sent'" },
		{ "segment_max_age = 0\n", "key 'segment_max_age'" },
		{ "segment_flush_ms = 1\n", "key 'segment_flush_ms'" },
		{ "tcp_max_flows = 99999999\n", "key 'tcp_max_flows'" },
		{ "frag_max_flows = x\n", "key 'frag_max_flows'" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dnsift_conf *c = new_conf();
		int rc = load(c, cases[i].text, err, sizeof(err));

		if (rc != -DNSIFT_ECONFIG || strstr(err, cases[i].message) == NULL)
			fail_msg("case %zu '%s': rc %d, message '%s', wanted '%s'", i,
				 cases[i].text, rc, err, cases[i].message);
		free(c);
	}
}

static void list_keys_have_limits(void **state)
{
	struct dnsift_conf *c = new_conf();
	char text[4096] = "", err[512];
	size_t off = 0;

	(void)state;
	for (int i = 0; i <= CONF_MAX_COLLECTORS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"collector = http://127.0.0.1/%d\n", i);
	assert_int_equal(load(c, text, err, sizeof(err)), -DNSIFT_ECONFIG);
	assert_non_null(strstr(err, "more than 16 values"));
	free(c);
}

static void file_errors_and_roundtrip_through_dump(void **state)
{
	struct dnsift_conf *a = new_conf(), *b = new_conf();
	char path[] = "/tmp/test_conf_XXXXXX", err[512];
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(conf_load_file(a, "/nonexistent/dnsift.conf", err, sizeof(err)),
			 -DNSIFT_EIO);
	assert_non_null(strstr(err, "/nonexistent/dnsift.conf: cannot open"));

	assert_int_equal(load(a, "resolver = 198.51.100.0/24\ncollector = http://h/\n"
			      "spool_quota = 3000K\nwindow = 7\ncollector_header = A: b\n",
			      err, sizeof(err)), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	conf_dump(a, f);
	fclose(f);
	if (conf_load_file(b, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_memory_equal(a, b, sizeof(*a));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("window = 5\nrx_queues = lots\n", f);
	fclose(f);
	assert_int_equal(conf_load_file(b, path, err, sizeof(err)), -DNSIFT_ECONFIG);
	assert_non_null(strstr(err, ":2: key 'rx_queues'"));
	assert_non_null(strstr(err, path));
	unlink(path);
	free(a);
	free(b);
}

static void value_parsers_reject_garbage(void **state)
{
	struct conf_cidr c;
	uint64_t v;
	bool b;
	mode_t m;
	char buf[64];

	(void)state;
	assert_int_equal(conf_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_size("10k", &v), 0);
	assert_int_equal(v, 10240);
	assert_int_equal(conf_parse_size("3MiB", &v), 0);
	assert_int_equal(v, 3ULL << 20);
	assert_int_equal(conf_parse_size("", &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_size("M", &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_size(" 1", &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_size("20000000T", &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_duration_ms("250", 1, &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(conf_parse_duration_ms("2h", 1, &v), 0);
	assert_int_equal(v, 7200000);
	assert_int_equal(conf_parse_duration_ms("3", 1000, &v), 0);
	assert_int_equal(v, 3000);
	assert_int_equal(conf_parse_duration_ms("3x", 1000, &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_bool("YES", &b), 0);
	assert_true(b);
	assert_int_equal(conf_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(conf_parse_bool("", &b), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(conf_parse_u64("18446744073709551616", 0, UINT64_MAX, &v),
			 -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_u64("+1", 0, 10, &v), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_cidr("0.0.0.0/0", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix_len, 0);
	assert_int_equal(conf_parse_cidr("2001:db8::/32", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_string_equal(conf_format_cidr(&c, buf, sizeof(buf)), "2001:db8::/32");
	assert_int_equal(conf_parse_cidr("2001:db8::1/32", &c), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_cidr("192.0.2.0/", &c), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_cidr("/24", &c), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_cidr("192.0.2.0/24x", &c), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_mode("660", &m), 0);
	assert_int_equal(m, 0660);
	assert_int_equal(conf_parse_mode("8", &m), -DNSIFT_EINVAL);
	assert_int_equal(conf_parse_mode("", &m), -DNSIFT_EINVAL);
}

static void cidr_equality_compares_family_prefix_and_bits(void **state)
{
	struct conf_cidr a, b;

	(void)state;
	assert_int_equal(conf_parse_cidr("192.0.2.0/24", &a), 0);
	assert_int_equal(conf_parse_cidr("192.0.2.0/24", &b), 0);
	assert_true(conf_cidr_equal(&a, &b));
	assert_int_equal(conf_parse_cidr("192.0.2.0/25", &b), 0);
	assert_false(conf_cidr_equal(&a, &b));
	assert_int_equal(conf_parse_cidr("::/0", &b), 0);
	assert_false(conf_cidr_equal(&a, &b));
}

/* The search page's directory: the installed web/ by default, any path, or "" (no page). */
static void db_web_dir_defaults_to_the_installed_page_and_can_be_set_or_emptied(void **state)
{
	struct dnsift_conf *c = new_conf();
	const char *tail = "/share/dnsift/web";
	char err[512];
	size_t n;

	(void)state;
	n = strlen(c->db_web_dir);
	assert_true(n > strlen(tail) && c->db_web_dir[0] == '/');
	assert_string_equal(c->db_web_dir + n - strlen(tail), tail);
	assert_int_equal(load(c, "db_web_dir = /srv/dnsift-web\n", err, sizeof(err)), 0);
	assert_string_equal(c->db_web_dir, "/srv/dnsift-web");
	assert_int_equal(load(c, "db_web_dir = \"\"\n", err, sizeof(err)), 0);
	assert_string_equal(c->db_web_dir, "");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_cover_every_key_without_a_file),
		cmocka_unit_test(every_key_is_parsed_into_its_field),
		cmocka_unit_test(repeatable_key_replaces_default_list_then_appends),
		cmocka_unit_test(errors_name_file_line_and_reason),
		cmocka_unit_test(list_keys_have_limits),
		cmocka_unit_test(file_errors_and_roundtrip_through_dump),
		cmocka_unit_test(value_parsers_reject_garbage),
		cmocka_unit_test(cidr_equality_compares_family_prefix_and_bits),
		cmocka_unit_test(db_web_dir_defaults_to_the_installed_page_and_can_be_set_or_emptied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
