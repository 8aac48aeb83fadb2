/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/web: the web search page's static files (index.html, app.js, style.css,
 * favicon.svg), served by dnsift-db serve from a directory (conf db_web_dir).
 *
 * The page holds no data: it asks the same DNSDB API v2 as any client, with
 * the X-API-Key the user types into it. So the files are served without a key,
 * and the API stays behind the key check.
 *
 * Every answer (200, 304, 404) carries the security headers: a
 * Content-Security-Policy that allows script, style, images and fetches from
 * this origin only (no inline script, no eval, no framing),
 * X-Content-Type-Options nosniff, Referrer-Policy no-referrer, and
 * X-Frame-Options DENY for older browsers.
 *
 * Threads: db_web_owns and db_web_respond are reentrant, no globals; any
 * libmicrohttpd thread may call them.
 */
#ifndef DNSIFT_DB_WEB_H
#define DNSIFT_DB_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#define DB_WEB_NAME_MAX		64	/* longest file name served */
#define DB_WEB_FILE_MAX		(4u << 20)	/* larger files are refused (not ours) */

/* The policy the page is written for; exported so the tests compare with it. */
#define DB_WEB_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

/*
 * True when the request path is the page's: "/" or a single path part that can
 * be a file name ([A-Za-z0-9][A-Za-z0-9._-]*, at most DB_WEB_NAME_MAX), other
 * than "dnsdb" and "pdns". Everything else (the APIs, and any deeper path) is
 * left to the API, so a garbage API path still gets the API's 400.
 * web_dir NULL or "" (no page configured): always false.
 */
bool db_web_owns(const char *web_dir, const char *url);

/*
 * Queue the answer for a path db_web_owns accepted: the file (with its content
 * type, an ETag and Cache-Control: no-cache, and 304 to a matching
 * If-None-Match), or a 404 with a plain-text reason (no such file, not a
 * regular file, a symbolic link, too large, or no such web directory). "/" is
 * index.html. Files are opened for each request, so a reinstalled page is
 * served at once. Returns what MHD_queue_response returned, MHD_NO on
 * out-of-memory.
 */
enum MHD_Result db_web_respond(const char *web_dir, struct MHD_Connection *c, const char *url);

/*
 * The content type of a file name by its extension, NULL for one the page does
 * not use (such a file is not served). Exported for the unit test.
 */
const char *db_web_content_type(const char *name);

#endif
