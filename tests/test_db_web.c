/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of db/web: which paths the page owns, content types, and the
 * answers of db_web_respond through a real libmicrohttpd daemon on a kernel
 * port, read back over a plain socket (files, 304, and every kind of 404).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/web.h"

static void owns_the_root_and_single_file_names_only(void **state)
{
	(void)state;
	assert_true(db_web_owns("/w", "/"));
	assert_true(db_web_owns("/w", "/index.html"));
	assert_true(db_web_owns("/w", "/app.js"));
	assert_true(db_web_owns("/w", "/favicon.svg"));
	assert_true(db_web_owns("/w", "/a_b-c.1"));
	/* the APIs, deeper paths, dot files, escapes: left to the API's own answer */
	assert_false(db_web_owns("/w", "/dnsdb"));
	assert_false(db_web_owns("/w", "/pdns"));
	assert_false(db_web_owns("/w", "/dnsdb/v2/ping"));
	assert_false(db_web_owns("/w", "/pdns/query/x"));
	assert_false(db_web_owns("/w", "/garbage/path"));
	assert_false(db_web_owns("/w", "/web/app.js"));
	assert_false(db_web_owns("/w", "/.."));
	assert_false(db_web_owns("/w", "/.htaccess"));
	assert_false(db_web_owns("/w", "/..%2Fetc%2Fpasswd"));
	assert_false(db_web_owns("/w", "/a%2Fb"));
	assert_false(db_web_owns("/w", "/a b"));
	assert_false(db_web_owns("/w", "//"));
	assert_false(db_web_owns("/w", ""));
	assert_false(db_web_owns("/w", "index.html"));
	assert_false(db_web_owns("/w", NULL));
	/* no page configured: nothing is the page's */
	assert_false(db_web_owns("", "/"));
	assert_false(db_web_owns(NULL, "/"));
	/* the longest name is DB_WEB_NAME_MAX characters */
	char url[DB_WEB_NAME_MAX + 3];
	url[0] = '/';
	memset(url + 1, 'a', DB_WEB_NAME_MAX);
	url[DB_WEB_NAME_MAX + 1] = '\0';
	assert_true(db_web_owns("/w", url));
	url[DB_WEB_NAME_MAX + 1] = 'a';
	url[DB_WEB_NAME_MAX + 2] = '\0';
	assert_false(db_web_owns("/w", url));
}

static void content_types_are_those_of_the_page_files_only(void **state)
{
	(void)state;
	assert_string_equal(db_web_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(db_web_content_type("app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(db_web_content_type("style.css"), "text/css; charset=utf-8");
	assert_string_equal(db_web_content_type("favicon.svg"), "image/svg+xml");
	assert_string_equal(db_web_content_type("shot.png"), "image/png");
	assert_null(db_web_content_type("meson.build"));
	assert_null(db_web_content_type("keys"));
	assert_null(db_web_content_type(".js"));
	assert_null(db_web_content_type("app.js.orig"));
}

/* ---- through a real daemon ---------------------------------------------------------- */

struct fixture {
	char dir[64];		/* the web directory */
	char outside[80];	/* a file beside it, reached only through a symlink */
	struct MHD_Daemon *mhd;
	uint16_t port;
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct fixture *f = cls;

	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	return db_web_respond(f->dir, c, url);
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[256];
	const union MHD_DaemonInfo *info;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/dnsift-test-web.%d.XXXXXX", (int)getpid());
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->outside, sizeof(f->outside), "%s.secret.txt", f->dir);
	write_file("/", f->outside, "SECRET\n", 7);
	write_file(f->dir, "index.html", "<!doctype html><title>t</title>\n", 32);
	write_file(f->dir, "app.js", "'use strict';\n", 14);
	snprintf(path, sizeof(path), "%s/link.txt", f->dir);
	assert_int_equal(symlink(f->outside, path), 0);
	snprintf(path, sizeof(path), "%s/fifo.txt", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/sub.css", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	/* one byte more than the limit, sparse */
	snprintf(path, sizeof(path), "%s/big.png", f->dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)DB_WEB_FILE_MAX + 1), 0);
	close(fd);

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, f,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	assert_non_null(f->mhd);
	info = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	f->port = info->port;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "index.html", "app.js", "link.txt", "fifo.txt", "big.png" };
	char path[256];

	MHD_stop_daemon(f->mhd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub.css", f->dir);
	rmdir(path);
	rmdir(f->dir);
	unlink(f->outside);
	free(f);
	return 0;
}

/* One HTTP/1.0 request; the whole answer (headers and body) into buf. */
static size_t get(const struct fixture *f, const char *request, char *buf, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	size_t len = 0;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(s, request, strlen(request)), (ssize_t)strlen(request));
	while (len + 1 < size && (n = read(s, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(s);
	return len;
}

static const char *header(const char *resp, const char *name, char *out, size_t size)
{
	char key[96];
	const char *p, *e;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strcasestr(resp, key);
	if (p == NULL)
		return NULL;
	p += strlen(key);
	e = strstr(p, "\r\n");
	snprintf(out, size, "%.*s", (int)(e - p), p);
	return out;
}

static void assert_security_headers(const char *resp)
{
	char v[512];

	assert_non_null(header(resp, "Content-Security-Policy", v, sizeof(v)));
	assert_string_equal(v, DB_WEB_CSP);
	assert_non_null(strstr(v, "script-src 'self'"));
	assert_null(strstr(v, "unsafe"));
	assert_non_null(header(resp, "X-Content-Type-Options", v, sizeof(v)));
	assert_string_equal(v, "nosniff");
	assert_non_null(header(resp, "Referrer-Policy", v, sizeof(v)));
	assert_string_equal(v, "no-referrer");
}

static void serves_files_with_type_etag_and_304(void **state)
{
	struct fixture *f = *state;
	char resp[8192], v[256], req[512], etag[128];

	get(f, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0 || strncmp(resp, "HTTP/1.0 200", 12) == 0);
	assert_security_headers(resp);
	assert_string_equal(header(resp, "Content-Type", v, sizeof(v)), "text/html; charset=utf-8");
	assert_string_equal(header(resp, "Cache-Control", v, sizeof(v)), "no-cache");
	assert_non_null(strstr(resp, "\r\n\r\n<!doctype html><title>t</title>\n"));
	assert_non_null(header(resp, "ETag", etag, sizeof(etag)));
	assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"');

	get(f, "GET /app.js HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	assert_string_equal(header(resp, "Content-Type", v, sizeof(v)), "text/javascript; charset=utf-8");
	assert_non_null(strstr(resp, "\r\n\r\n'use strict';\n"));

	/* the tag alone, in a list, and weak: 304 with the headers and no body */
	const char *prefixes[] = { "", "\"zzz\", ", "W/" };
	for (size_t i = 0; i < 3; i++) {
		char inm[160];
		snprintf(inm, sizeof(inm), "%s%s", prefixes[i], etag);
		snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nIf-None-Match: %s\r\n\r\n", inm);
		get(f, req, resp, sizeof(resp));
		assert_non_null(strstr(resp, " 304 "));
		assert_security_headers(resp);
		assert_null(strstr(resp, "doctype"));
	}
	/* another tag, or a prefix of ours: the file again */
	snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nIf-None-Match: \"%.*s\"\r\n\r\n",
		 (int)strlen(etag) - 3, etag + 1);
	get(f, req, resp, sizeof(resp));
	assert_non_null(strstr(resp, " 200 "));
}

static void refuses_links_fifos_directories_big_files_and_unknown_types(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { "/link.txt", "/fifo.txt", "/sub.css", "/big.png", "/none.js",
				"/keys", "/index.html.bak" };
	char resp[8192], req[256];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", paths[i]);
		get(f, req, resp, sizeof(resp));
		if (strstr(resp, " 404 ") == NULL)
			fail_msg("%s: %.60s", paths[i], resp);
		assert_security_headers(resp);
		assert_null(strstr(resp, "SECRET"));
	}
	/* a path the page does not own, asked of db_web_respond anyway: still a 404 */
	get(f, "GET /a/b HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, " 404 "));
}

static void a_missing_web_directory_is_a_404_that_says_so(void **state)
{
	struct fixture *f = *state;
	char saved[sizeof(f->dir)], resp[4096];

	memcpy(saved, f->dir, sizeof(saved));
	snprintf(f->dir, sizeof(f->dir), "/nonexistent/dnsift-web");
	get(f, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	memcpy(f->dir, saved, sizeof(saved));
	assert_non_null(strstr(resp, " 404 "));
	assert_non_null(strstr(resp, "not installed (db_web_dir"));
	assert_security_headers(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owns_the_root_and_single_file_names_only),
		cmocka_unit_test(content_types_are_those_of_the_page_files_only),
		cmocka_unit_test_setup_teardown(serves_files_with_type_etag_and_304, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_links_fifos_directories_big_files_and_unknown_types,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_missing_web_directory_is_a_404_that_says_so, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
