/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/serve: the query API of dnsift-db (DNSDB API v2 with SAF framing, and the
 * CIRCL /pdns/query), over libmicrohttpd. It sees the database only through
 * db/store.h.
 *
 * Threads: db_serve_run blocks in the calling thread until *stop becomes non-zero
 * (a signal handler sets it); requests are served on libmicrohttpd's threads.
 */
#ifndef DNSIFT_DB_SERVE_H
#define DNSIFT_DB_SERVE_H

#include <signal.h>
#include <stdint.h>

struct db_store;

struct db_serve_params {
	struct db_store *store;		/* open read-only; refreshed while serving */
	const char *listen;		/* "ADDR:PORT" or "[V6ADDR]:PORT" */
	const char *keys_file;		/* NULL or "": no keys, loopback listen only */
	uint64_t result_limit;		/* most results per query (DNSDB "limit" cap) */
	unsigned int max_clients;	/* concurrent connections */
	unsigned int threads;		/* libmicrohttpd worker threads */
	uint32_t refresh_ms;		/* how often the store is refreshed */
	const char *web_dir;		/* the search page's files (db/web.h); NULL or "": none */
};

/* Serve until *stop != 0. 0 on a clean stop; negative -DNSIFT_E... with a message on
 * stderr when it cannot start (bad listen address, non-loopback without keys, bad
 * keys file, port in use). */
int db_serve_run(const struct db_serve_params *p, volatile sig_atomic_t *stop);

#endif
