/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/web: the search page's static files (db/web.h).
 *
 * No path traversal by construction: a path the page owns is one file name of
 * [A-Za-z0-9][A-Za-z0-9._-]* (no '/', no leading '.'), opened with openat()
 * below the web directory with O_NOFOLLOW, and it must be a regular file with
 * a known extension.
 */
#define _GNU_SOURCE
#include "db/web.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".txt", "text/plain; charset=utf-8" },
};

const char *db_web_content_type(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		size_t e = strlen(content_types[i].ext);
		if (n > e && strcmp(name + n - e, content_types[i].ext) == 0)
			return content_types[i].type;
	}
	return NULL;
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

bool db_web_owns(const char *web_dir, const char *url)
{
	const char *name;
	size_t n;

	if (web_dir == NULL || web_dir[0] == '\0' || url == NULL || url[0] != '/')
		return false;
	name = url + 1;
	if (name[0] == '\0')
		return true;
	for (n = 0; name[n] != '\0'; n++)
		if (n >= DB_WEB_NAME_MAX || !name_char(name[n], n == 0))
			return false;
	return strcmp(name, "dnsdb") != 0 && strcmp(name, "pdns") != 0;
}

/* The headers every answer of the page carries, whatever its status. */
static void add_security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", DB_WEB_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

static enum MHD_Result respond_plain(struct MHD_Connection *c, unsigned int status,
				     const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	add_security_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Does an If-None-Match header name this entity tag (or "*")? */
static bool etag_matches(const char *inm, const char *etag)
{
	size_t el = strlen(etag);
	const char *p = inm;

	if (strcmp(inm, "*") == 0)
		return true;
	while ((p = strstr(p, etag)) != NULL) {
		/* whole tags only, optionally weak: W/"..." */
		if (p[el] == '\0' || p[el] == ',' || p[el] == ' ')
			return true;
		p += el;
	}
	return false;
}

enum MHD_Result db_web_respond(const char *web_dir, struct MHD_Connection *c, const char *url)
{
	const char *name = (url[0] == '/' && url[1] != '\0') ? url + 1 : "index.html";
	const char *ctype = db_web_content_type(name);
	const char *inm;
	char etag[64], body[256];
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	int dfd, fd;

	if (!db_web_owns(web_dir, url))
		return respond_plain(c, MHD_HTTP_NOT_FOUND, "Error: not a file of the search page\n");
	if (ctype == NULL)
		return respond_plain(c, MHD_HTTP_NOT_FOUND,
				     "Error: no such file in the search page\n");
	dfd = open(web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(body, sizeof(body),
			 "Error: the search page is not installed (db_web_dir: %s)\n",
			 strerror(errno));
		return respond_plain(c, MHD_HTTP_NOT_FOUND, body);
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(dfd);
	if (fd < 0)
		return respond_plain(c, MHD_HTTP_NOT_FOUND, errno == ELOOP ?
				     "Error: a symbolic link in the search page is not served\n" :
				     "Error: no such file in the search page\n");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > DB_WEB_FILE_MAX) {
		close(fd);
		return respond_plain(c, MHD_HTTP_NOT_FOUND,
				     "Error: not a regular file of at most 4 MiB\n");
	}
	/* Size and modification time: a reinstalled page gets a new tag. */
	snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%lx\"", (uint64_t)st.st_size,
		 (uint64_t)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && etag_matches(inm, etag)) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		add_security_headers(r);
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, r);
		MHD_destroy_response(r);
		return ret;
	}
	/* libmicrohttpd owns fd from here (closed when the response is destroyed). */
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	add_security_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	/* revalidate every time (cheap: 304), so an upgraded page is never stale */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
