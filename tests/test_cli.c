/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control process pieces that run without a network: the CLI
 * request parser and command table, the JSON reader, report rendering, metrics
 * naming, segment name checks, the spool quota, and the telemetry client against
 * an in-process fake of the DPDK telemetry server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/conf.h"
#include "control/ctl_cli.h"
#include "control/ctl_json.h"
#include "control/ctl_log.h"
#include "control/ctl_report.h"
#include "control/ctl_ship.h"
#include "control/ctl_spool.h"
#include "control/ctl_tel.h"
#include "wire/err.h"

/* ---- request parsing ---- */

static void request_parse_accepts_version_json_and_args(void **state)
{
	struct ctl_request req;
	char why[128];

	(void)state;
	assert_int_equal(ctl_request_parse("DNSIFT1 status\n", 15, &req, why, sizeof(why)), 0);
	assert_false(req.json);
	assert_int_equal(req.argc, 1);
	assert_string_equal(req.argv[0], "status");

	assert_int_equal(ctl_request_parse("DNSIFT1\t--json  resolvers add 192.0.2.0/24\r\n", 43,
					   &req, why, sizeof(why)), 0);
	assert_true(req.json);
	assert_int_equal(req.argc, 3);
	assert_string_equal(req.argv[2], "192.0.2.0/24");
	/* No newline (the client closed its side): still one request. */
	assert_int_equal(ctl_request_parse("DNSIFT1 help", 12, &req, why, sizeof(why)), 0);
	assert_string_equal(req.argv[0], "help");
}

static void request_parse_rejects_malformed_input_with_reason(void **state)
{
	static const struct { const char *line; size_t len; const char *why; } cases[] = {
		{ "", 0, "empty request" },
		{ "   \n", 4, "empty request" },
		{ "status\n", 7, "unsupported protocol" },
		{ "DNSIFT2 status\n", 15, "unsupported protocol" },
		{ "DNSIFT1\n", 8, "no command" },
		{ "DNSIFT1 --json\n", 15, "no command" },
		{ "DNSIFT1 sta\x01tus\n", 15, "binary data" },
		{ "DNSIFT1 st\xc3\xa4tus\n", 16, "binary data" },
		{ "DNSIFT1 a\0b\n", 12, "binary data" },
		{ "DNSIFT1 a b c d e f g h i j k l m n o p q\n", 42, "too many arguments" },
	};
	struct ctl_request req;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ctl_request_parse(cases[i].line, cases[i].len, &req, why, sizeof(why));

		if (rc != -DNSIFT_EFORMAT || strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: rc %d why '%s', wanted '%s'", i, rc, why, cases[i].why);
	}
}

static void request_parse_rejects_oversized_line(void **state)
{
	struct ctl_request req;
	char *line = malloc(CTL_LINE_MAX + 2);
	char why[128];

	(void)state;
	assert_non_null(line);
	memcpy(line, "DNSIFT1 ", 8);
	memset(line + 8, 'a', CTL_LINE_MAX - 8);
	line[CTL_LINE_MAX] = '\n';
	assert_int_equal(ctl_request_parse(line, CTL_LINE_MAX + 1, &req, why, sizeof(why)),
			 -DNSIFT_EFORMAT);
	assert_non_null(strstr(why, "line too long"));
	/* One byte shorter (4095 + newline) is the largest accepted line. */
	line[CTL_LINE_MAX - 1] = '\n';
	assert_int_equal(ctl_request_parse(line, CTL_LINE_MAX, &req, why, sizeof(why)), 0);
	free(line);
}

/* ---- JSON ---- */

static void json_reads_telemetry_replies_and_rejects_garbage(void **state)
{
	static const char reply[] =
		"{\"/dnsift/stats\":{\"rx_packets\":12,\"name\":\"a\\\"b\\u0041\",\"ok\":true,"
		"\"list\":[1,2,3],\"neg\":-5,\"nested\":{\"x\":null}}}";
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1} x", "\"\\q\"", "tru",
		"{\"a\":\"\x01\"}", "\"\\u00zz\"",
		("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]"
		 "]]]]]]]]]]]]]]]]]]]]]"),
	};
	struct ctl_json *v;
	const struct ctl_json *s;
	struct ctl_buf b;
	uint64_t u;

	(void)state;
	v = ctl_json_parse(reply, sizeof(reply) - 1);
	assert_non_null(v);
	s = ctl_json_get(v, "/dnsift/stats");
	assert_non_null(s);
	assert_true(ctl_json_u64(ctl_json_get(s, "rx_packets"), &u));
	assert_int_equal(u, 12);
	assert_string_equal(ctl_json_get(s, "name")->text, "a\"bA");
	assert_false(ctl_json_u64(ctl_json_get(s, "neg"), &u));
	assert_int_equal(ctl_json_get(s, "list")->count, 3);
	ctl_buf_init(&b, 4096);
	ctl_json_write(&b, v);
	assert_string_equal(b.data, "{\"/dnsift/stats\":{\"rx_packets\":12,\"name\":\"a\\\"bA\","
			    "\"ok\":true,\"list\":[1,2,3],\"neg\":-5,\"nested\":{\"x\":null}}}");
	ctl_buf_free(&b);
	ctl_json_free(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = ctl_json_parse(bad[i], strlen(bad[i]));
		if (v != NULL)
			fail_msg("accepted bad JSON %zu: %s", i, bad[i]);
	}
}

static void report_renders_text_json_and_metrics_alike(void **state)
{
	struct ctl_report r;
	struct ctl_buf b;
	struct ctl_json *v;
	static const char ws[] = "{\"rx\":7,\"reason\":{\"too_long\":2}}";

	(void)state;
	ctl_report_init(&r);
	ctl_report_u64(&r, "sensor.rx_packets", 42);
	ctl_report_str(&r, "sensor.note", "a\nb\"c");
	v = ctl_json_parse(ws, sizeof(ws) - 1);
	assert_non_null(v);
	ctl_report_json(&r, "worker.3", v);
	ctl_json_free(v);
	ctl_report_u64(&r, "control.uploads_ok", 5);

	ctl_buf_init(&b, 1 << 16);
	ctl_report_render_text(&r, &b);
	assert_string_equal(b.data, "sensor.rx_packets=42\nsensor.note=a b\"c\n"
			    "worker.3.rx=7\nworker.3.reason.too_long=2\ncontrol.uploads_ok=5\n");
	ctl_buf_reset(&b);
	ctl_report_render_json(&r, &b);
	assert_string_equal(b.data, "{\"sensor.rx_packets\":42,\"sensor.note\":\"a\\u000ab\\\"c\","
			    "\"worker.3.rx\":7,\"worker.3.reason.too_long\":2,"
			    "\"control.uploads_ok\":5}\n");
	ctl_buf_reset(&b);
	ctl_render_metrics(&r, &b);
	assert_string_equal(b.data, "dnsift_sensor_rx_packets 42\n"
			    "dnsift_sensor_worker_rx{worker=\"3\"} 7\n"
			    "dnsift_sensor_worker_reason_too_long{worker=\"3\"} 2\n"
			    "dnsift_control_uploads_ok 5\n");
	ctl_buf_free(&b);
	ctl_report_free(&r);
}

static void buffer_cap_sets_overflow_instead_of_growing(void **state)
{
	struct ctl_buf b;

	(void)state;
	ctl_buf_init(&b, 8);
	ctl_buf_printf(&b, "%s", "12345678");
	assert_false(b.overflow);
	ctl_buf_append(&b, "9", 1);
	assert_true(b.overflow);
	assert_int_equal(b.len, 8);
	ctl_buf_free(&b);
}

/* ---- segment names ---- */

static void segment_names_follow_the_spool_pattern(void **state)
{
	uint64_t seq = 0;

	(void)state;
	assert_true(spool_segment_name_valid("isp1-fra_01.000000000042.20261126T120000Z.ndjson.lz4",
					    &seq));
	assert_int_equal(seq, 42);
	assert_false(spool_segment_name_valid("x.00000000042.20261126T120000Z.ndjson.lz4", NULL));
	assert_false(spool_segment_name_valid("x.000000000042.20261126T120000.ndjson.lz4", NULL));
	assert_false(spool_segment_name_valid("x.000000000042.20261126T120000Z.ndjson.lz4.part",
					     NULL));
	assert_false(spool_segment_name_valid(".000000000042.20261126T120000Z.ndjson.lz4", NULL));
	assert_false(spool_segment_name_valid("a/b.000000000042.20261126T120000Z.ndjson.lz4", NULL));
	assert_false(spool_segment_name_valid("x.000000000042.20261126X120000Z.ndjson.lz4", NULL));
	assert_false(spool_segment_name_valid("x.000000000042.20261126T120000Z.ndjson", NULL));
	assert_false(spool_segment_name_valid("", NULL));
}

/* ---- spool and commands with a real (temporary) spool ---- */

struct fixture {
	char dir[64];
	struct dnsift_conf conf;
	struct ship *ship;
	struct ctl_env env;
};

static void write_file(const char *dir, const char *sub, const char *name, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
}

static bool file_exists(const char *dir, const char *sub, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_cli_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/ready", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	conf_init_defaults(&f->conf);
	snprintf(f->conf.spool_dir, sizeof(f->conf.spool_dir), "%s", f->dir);
	snprintf(f->conf.telemetry_socket, sizeof(f->conf.telemetry_socket), "%s/tel.sock",
		 f->dir);
	f->env.conf = &f->conf;
	f->env.telemetry_timeout_ms = 2000;
	ctl_log_level = CTL_LOG_ERR;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	ship_free(f->ship);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static char *run_cmd(struct fixture *f, const char *line)
{
	struct ctl_request req;
	struct ctl_buf out;
	char why[128];

	ctl_buf_init(&out, 1 << 20);
	if (ctl_request_parse(line, strlen(line), &req, why, sizeof(why)) != 0)
		fail_msg("parse '%s': %s", line, why);
	ctl_execute(&f->env, &req, &out);
	ctl_buf_append(&out, "", 0);
	return out.data;
}

#define SEG(n) "s1.00000000000" #n ".20261126T120000Z.ndjson.lz4"

static void quota_discards_oldest_by_sequence_and_counts(void **state)
{
	struct fixture *f = *state;
	struct ship_params p = { .conf = &f->conf };
	char *out;

	/* Five 1000-byte segments, written out of order, plus files that must be ignored. */
	write_file(f->dir, "ready", SEG(3), 1000);
	write_file(f->dir, "ready", SEG(1), 1000);
	write_file(f->dir, "ready", SEG(5), 1000);
	write_file(f->dir, "ready", SEG(2), 1000);
	write_file(f->dir, "ready", SEG(4), 1000);
	write_file(f->dir, "ready", SEG(6) ".part", 5000);
	write_file(f->dir, "ready", "README", 5000);
	write_file(f->dir, "ready", ".hidden", 5000);
	f->conf.spool_quota = 3000;
	f->ship = ship_create(&p);
	assert_non_null(f->ship);
	f->env.ship = f->ship;
	assert_false(file_exists(f->dir, "ready", SEG(1)));
	assert_false(file_exists(f->dir, "ready", SEG(2)));
	assert_true(file_exists(f->dir, "ready", SEG(3)));
	assert_true(file_exists(f->dir, "ready", SEG(5)));
	assert_true(file_exists(f->dir, "ready", "README"));

	out = run_cmd(f, "DNSIFT1 spool");
	assert_non_null(strstr(out, "ok\n"));
	assert_non_null(strstr(out, "spool.ready_segments=3\n"));
	assert_non_null(strstr(out, "spool.ready_bytes=3000\n"));
	assert_non_null(strstr(out, "spool.discarded_unshipped_segments=2\n"));
	assert_non_null(strstr(out, "spool.discarded_unshipped_bytes=2000\n"));
	assert_non_null(strstr(out, "spool.ignored_files=1\n"));
	free(out);

	/* A new segment arriving later pushes out the next oldest. */
	write_file(f->dir, "ready", SEG(7), 1000);
	ship_rescan(f->ship);
	assert_false(file_exists(f->dir, "ready", SEG(3)));
	assert_true(file_exists(f->dir, "ready", SEG(7)));
	out = run_cmd(f, "DNSIFT1 --json spool");
	assert_non_null(strstr(out, "\"spool.discarded_unshipped_segments\":3"));
	free(out);
}

static void commands_answer_ok_or_error_without_a_sensor(void **state)
{
	struct fixture *f = *state;
	struct ship_params p = { .conf = &f->conf };
	static const struct { const char *line, *want; } cases[] = {
		{ "DNSIFT1 status", "ok\ncontrol.version=" },
		{ "DNSIFT1 rotate", "error sensor unreachable: connect " },
		{ "DNSIFT1 flush", "error sensor unreachable:" },
		{ "DNSIFT1 window", "error sensor unreachable:" },
		{ "DNSIFT1 window 600", "error sensor unreachable:" },
		{ "DNSIFT1 window 0", "error bad window '0'" },
		{ "DNSIFT1 window 1500ms", "error bad window" },
		{ "DNSIFT1 window abc", "error bad window" },
		{ "DNSIFT1 window 1 2", "error usage: window [SECONDS]" },
		{ "DNSIFT1 resolvers", "error usage: resolvers list|add CIDR|del CIDR" },
		{ "DNSIFT1 resolvers list", "error sensor unreachable:" },
		{ "DNSIFT1 resolvers add 192.0.2.1/24", "error bad CIDR '192.0.2.1/24'" },
		{ "DNSIFT1 resolvers add 192.0.2.0/24", "error sensor unreachable:" },
		{ "DNSIFT1 resolvers frob 192.0.2.0/24", "error usage: resolvers" },
		{ "DNSIFT1 resolvers list extra", "error usage: resolvers" },
		{ "DNSIFT1 collectors", "ok\ncollectors=0\n" },
		{ "DNSIFT1 version", "ok\nversion=" },
		{ "DNSIFT1 help", "ok\nstatus=status -- " },
		{ "DNSIFT1 telemetry ethdev", "error usage: telemetry" },
		{ "DNSIFT1 nosuch", "error unknown command 'nosuch' (try 'help')" },
		{ "DNSIFT1 stats now", "error usage: stats" },
	};
	char *out;

	f->ship = ship_create(&p);
	assert_non_null(f->ship);
	f->env.ship = f->ship;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = run_cmd(f, cases[i].line);
		if (strncmp(out, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("'%s' answered '%s', wanted '%s...'", cases[i].line, out,
				 cases[i].want);
		free(out);
	}
	out = run_cmd(f, "DNSIFT1 status");
	assert_non_null(strstr(out, "\nsensor.state=down\n"));
	assert_non_null(strstr(out, "\nsensor.error=sensor unreachable: connect "));
	free(out);
	/* stats still answers with the control counters and says the sensor is down. */
	out = run_cmd(f, "DNSIFT1 stats");
	assert_non_null(strstr(out, "ok\nsensor.up=0\n"));
	assert_non_null(strstr(out, "\ncontrol.cli_requests="));
	assert_non_null(strstr(out, "\ncontrol.uploads_ok=0\n"));
	free(out);
	out = run_cmd(f, "DNSIFT1 --json help");
	assert_non_null(strstr(out, "ok\n{\"status\":"));
	free(out);
	/* Every "error" answer above was counted. */
	assert_int_equal(f->env.counters.errors, 17);
}

/* ---- a fake DPDK telemetry server (the protocol as telemetry.c speaks it) ---- */

struct fake_tel {
	int listen_fd;
	pthread_t thread;
	int connections;
};

static const char *fake_answer(const char *cmd)
{
	static const struct { const char *cmd, *reply; } table[] = {
		{ "/dnsift/status", "{\"/dnsift/status\":{\"version\":\"0.1.0\",\"sensor_id\":"
		  "\"s1\",\"uptime_s\":5,\"workers\":2,\"ports\":[\"net_null0\"],"
		  "\"resolvers\":1,\"window\":300}}" },
		{ "/dnsift/stats", "{\"/dnsift/stats\":{\"rx_packets\":30,\"records\":4}}" },
		{ "/dnsift/worker_stats,0", "{\"/dnsift/worker_stats\":{\"rx_packets\":10}}" },
		{ "/dnsift/worker_stats,1", "{\"/dnsift/worker_stats\":{\"rx_packets\":20}}" },
		{ "/dnsift/window,600", "{\"/dnsift/window\":{\"window\":600}}" },
		{ "/dnsift/resolver_add,192.0.2.0/24", "{\"/dnsift/resolver_add\":{\"ok\":1}}" },
		{ "/dnsift/resolver_del,198.51.100.0/24",
		  "{\"/dnsift/resolver_del\":{\"error\":\"no such resolver\"}}" },
		{ "/dnsift/rotate", "{\"/dnsift/rotate\":{\"sequence\":17}}" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].cmd, cmd) == 0)
			return table[i].reply;
	return NULL;
}

static void *fake_tel_main(void *arg)
{
	struct fake_tel *t = arg;
	static const char greeting[] =
		"{\"version\":\"DPDK 22.11.11\",\"pid\":1,\"max_output_len\":16384}";

	for (;;) {
		int fd = accept(t->listen_fd, NULL, NULL);
		char buf[1024], reply[1200];
		ssize_t n;

		if (fd < 0)
			return NULL;
		t->connections++;
		send(fd, greeting, sizeof(greeting) - 1, 0);
		while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			const char *a;
			char key[256];

			buf[n] = '\0';
			a = fake_answer(buf);
			if (a == NULL) {
				snprintf(key, sizeof(key), "%.*s", (int)strcspn(buf, ","), buf);
				snprintf(reply, sizeof(reply), "{\"%s\":null}", key);
				a = reply;
			}
			send(fd, a, strlen(a), 0);
		}
		close(fd);
	}
}

static void start_fake_tel(struct fake_tel *t, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	t->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(t->listen_fd >= 0);
	assert_int_equal(bind(t->listen_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(t->listen_fd, 8), 0);
	assert_int_equal(pthread_create(&t->thread, NULL, fake_tel_main, t), 0);
}

static void stop_fake_tel(struct fake_tel *t)
{
	shutdown(t->listen_fd, SHUT_RDWR);
	close(t->listen_fd);
	pthread_join(t->thread, NULL);
}

static void sensor_commands_go_through_telemetry(void **state)
{
	struct fixture *f = *state;
	struct ship_params p = { .conf = &f->conf };
	struct ctl_report r;
	struct ctl_buf b;
	struct fake_tel t = { 0 };
	char *out;

	f->ship = ship_create(&p);
	assert_non_null(f->ship);
	f->env.ship = f->ship;
	start_fake_tel(&t, f->conf.telemetry_socket);

	out = run_cmd(f, "DNSIFT1 status");
	assert_non_null(strstr(out, "\nsensor.state=up\nsensor.version=0.1.0\n"));
	assert_non_null(strstr(out, "\nsensor.workers=2\nsensor.ports.0=net_null0\n"));
	free(out);
	out = run_cmd(f, "DNSIFT1 stats");
	assert_non_null(strstr(out, "ok\nsensor.up=1\nsensor.rx_packets=30\nsensor.records=4\n"
			       "worker.0.rx_packets=10\nworker.1.rx_packets=20\n"));
	free(out);
	out = run_cmd(f, "DNSIFT1 window 10m");
	assert_string_equal(out, "ok\nwindow=600\n");
	free(out);
	out = run_cmd(f, "DNSIFT1 --json rotate");
	assert_string_equal(out, "ok\n{\"sequence\":17}\n");
	free(out);
	out = run_cmd(f, "DNSIFT1 resolvers add 192.0.2.0/24");
	assert_string_equal(out, "ok\nok=1\n");
	free(out);
	out = run_cmd(f, "DNSIFT1 resolvers del 198.51.100.0/24");
	assert_string_equal(out, "error sensor refused: no such resolver\n");
	free(out);
	/* The fake does not know /dnsift/flush: DPDK answers null for unknown commands. */
	out = run_cmd(f, "DNSIFT1 flush");
	assert_string_equal(out, "error sensor: command not registered by the sensor: "
			    "/dnsift/flush\n");
	free(out);

	/* Metrics carry the same numbers as stats. */
	ctl_report_init(&r);
	ctl_collect_stats(&f->env, &r);
	ctl_buf_init(&b, 1 << 20);
	ctl_render_metrics(&r, &b);
	assert_non_null(strstr(b.data, "dnsift_sensor_up 1\ndnsift_sensor_rx_packets 30\n"));
	assert_non_null(strstr(b.data, "dnsift_sensor_worker_rx_packets{worker=\"1\"} 20\n"));
	assert_non_null(strstr(b.data, "dnsift_control_uploads_ok 0\n"));
	ctl_buf_free(&b);
	ctl_report_free(&r);
	stop_fake_tel(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_parse_accepts_version_json_and_args),
		cmocka_unit_test(request_parse_rejects_malformed_input_with_reason),
		cmocka_unit_test(request_parse_rejects_oversized_line),
		cmocka_unit_test(json_reads_telemetry_replies_and_rejects_garbage),
		cmocka_unit_test(report_renders_text_json_and_metrics_alike),
		cmocka_unit_test(buffer_cap_sets_overflow_instead_of_growing),
		cmocka_unit_test(segment_names_follow_the_spool_pattern),
		cmocka_unit_test_setup_teardown(quota_discards_oldest_by_sequence_and_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(commands_answer_ok_or_error_without_a_sensor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(sensor_commands_go_through_telemetry,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
