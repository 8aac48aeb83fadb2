/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_render: the bytes the query API sends, and the runner that asks the
 * store for them.
 *
 * SAF (DNSDB API v2 "Streaming API Framing", one JSON object per line):
 *   {"cond":"begin"}
 *   {"obj":{"count":41,"time_first":1764190000,"time_last":1764190290,
 *           "rrname":"www.example.com.","rrtype":"A","bailiwick":"example.com.",
 *           "rdata":["192.0.2.1","192.0.2.7"]}}
 *   {"cond":"succeeded"}   or {"cond":"limited","msg":"..."} / {"cond":"failed","msg":"..."}
 * rdata lookups give "rdata" as one string (as DNSDB does); summarize gives one
 * object {"count","num_results","time_first","time_last"}. CIRCL /pdns/query gives
 * bare COF lines, one per rdata. Strings are JSON-escaped so any byte survives a
 * strict parser (jansson in dnsdbq): '"' '\\' and controls escaped, bytes >= 0x7f
 * as \u00XX (read as Latin-1, never invalid UTF-8).
 *
 * Any thread; a runner call uses only its own buffers.
 */
#ifndef DNSIFT_DB_API_RENDER_H
#define DNSIFT_DB_API_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/api_query.h"
#include "db/store.h"

/* A growable output buffer; after an allocation failure it stays failed (oom). */
struct api_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void api_buf_free(struct api_buf *b);
void api_buf_reset(struct api_buf *b);
void api_buf_put(struct api_buf *b, const char *s, size_t n);
void api_buf_str(struct api_buf *b, const char *s);
void api_buf_u64(struct api_buf *b, uint64_t v);
/* s as a quoted JSON string (escaping as described above). */
void api_buf_json_string(struct api_buf *b, const char *s);

/* One SAF condition line; msg NULL for none. */
void api_render_cond(struct api_buf *b, const char *cond, const char *msg);
/* One lookup result as a SAF line ({"obj":...}\n). */
void api_render_saf_result(struct api_buf *b, const struct db_result *r, bool humantime);
/* One result as CIRCL COF lines (one per rdata). */
void api_render_cof_lines(struct api_buf *b, const struct db_result *r);
/* The rate_limit body: plain JSON, not SAF (dnsdbq -I reads it whole). */
void api_render_rate_limit(struct api_buf *b, uint64_t results_max);

/* Where the runner's bytes go. Return 0 to go on, non-zero to stop (client gone). */
typedef int (*api_sink_fn)(void *arg, const char *data, size_t len);

/*
 * Answer a parsed LOOKUP, SUMMARIZE or CIRCL request from the store, streaming
 * the body to sink as it is made (flushed every few KiB and at the end).
 * result_limit caps the results (DNSDB "limit": absent or 0 means this cap).
 * Returns 0 when the whole body was given to sink (a store error becomes a
 * "failed" line, for CIRCL it ends the body), or -1 when the sink stopped.
 */
int api_run(struct db_store *s, const struct api_request *req, uint64_t result_limit,
	    api_sink_fn sink, void *arg);

#endif
