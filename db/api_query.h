/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_query: one HTTP request of the query API (DNSDB API v2, CIRCL
 * /pdns/query) parsed into what the store is asked (struct db_query) plus what
 * the renderer needs (endpoint, summarize limits).
 *
 * Input is the request path and query string exactly as they arrived (still
 * percent-encoded: serve.c gives libmicrohttpd an identity unescaper so that a
 * "%2F" inside a name stays inside its path part). Each path part and each
 * parameter value is percent-decoded here, strictly: a '%' not followed by two
 * hex digits, or a decoded NUL, is an error.
 *
 * Paths (what dnsdbq 2.6.4 sends, base URL "$DNSDB_SERVER/dnsdb/v2"):
 *   /dnsdb/v2/{lookup,summarize}/rrset/name/NAME[/RRTYPE[/BAILIWICK]]
 *   /dnsdb/v2/{lookup,summarize}/rrset/raw/HEXNAME[/RRTYPE[/BAILIWICK]]
 *   /dnsdb/v2/{lookup,summarize}/rdata/name/NAME[/RRTYPE]
 *   /dnsdb/v2/{lookup,summarize}/rdata/ip/ADDR | ADDR,PFXLEN | ADDR-ADDR
 *   /dnsdb/v2/{lookup,summarize}/rdata/raw/HEXRDATA[/RRTYPE]
 *   /dnsdb/v2/rate_limit, /dnsdb/v2/ping
 *   /pdns/query/VALUE           (CIRCL: a name, an address, or ADDR/PFXLEN)
 * NAME may be "*.NAME" (names strictly below NAME) or "NAME.*" (right-hand).
 * RRTYPE is a mnemonic (any case), "TYPEnnn", "ANY" or "ANY-DNSSEC".
 *
 * Parameters: limit, offset, aggr (t/f), max_count (summarize), humantime (t/f),
 * time_{first,last}_{before,after} (Unix seconds; negative = that many seconds
 * before now). swclient, version and id are client identification and ignored.
 * Anything else, a duplicate, or a bad value is an error.
 *
 * Pure functions, no I/O; any thread.
 */
#ifndef DNSIFT_DB_API_QUERY_H
#define DNSIFT_DB_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/store.h"

#define API_PATH_MAX		8192	/* longest request path accepted (bytes, encoded) */
#define API_QUERY_STRING_MAX	4096	/* longest query string accepted */
#define API_OFFSET_MAX		10000000ULL	/* largest offset (reported by rate_limit) */
#define API_ERROR_MAX		256
/* Room for rdata_to_text() of n octets: 80 per octet is its proven bound (wire/cof.h). */
#define API_RDATA_TEXT_MAX(n)	(80u * (size_t)(n) + 16u)

enum api_endpoint {
	API_EP_LOOKUP,
	API_EP_SUMMARIZE,
	API_EP_RATE_LIMIT,
	API_EP_PING,
	API_EP_CIRCL,		/* /pdns/query/VALUE: COF NDJSON, one line per rdata */
};

enum api_lookup {
	API_LOOKUP_RRSET_NAME,
	API_LOOKUP_RRSET_RAW,
	API_LOOKUP_RDATA_NAME,
	API_LOOKUP_RDATA_IP,
	API_LOOKUP_RDATA_RAW,
};

struct api_request {
	enum api_endpoint endpoint;
	enum api_lookup lookup;		/* LOOKUP / SUMMARIZE */
	/* The store query; its strings point into this struct (name, bailiwick,
	 * rdata_text). For RDATA_RAW without an RRTYPE (or with ANY), q.rrtype is
	 * 0 and q.rdata NULL: the runner renders raw[] once per RR type. */
	struct db_query q;
	bool limit_given;		/* "limit" was in the request (0 = server maximum) */
	uint64_t limit;			/* as requested; the runner clamps it */
	uint64_t max_count;		/* summarize: stop once the count sum reaches it; 0 = none */
	bool humantime;			/* times as ISO 8601 strings instead of integers */
	bool match_nothing;		/* a *_before fence of 0: no record can pass */
	/* CIRCL: besides the rrset lookup of q, also the rdata/name lookup of the name */
	bool circl_name;
	uint8_t *raw;			/* RDATA_RAW: the rdata octets (malloc'ed) */
	size_t raw_len;
	char *rdata_text;		/* RDATA_RAW with a type: presentation (malloc'ed) */
	char name[1024];		/* canonical presentation (see store.h) */
	char bailiwick[1024];
};

/*
 * Parse one request. path is the request path ("/dnsdb/v2/lookup/..."), query
 * the text after '?' (NULL or "" for none), now the current Unix time (for
 * negative time fences). Returns 0, or -1 with a one-line reason in err (for a
 * 400 body). On 0 the caller owns *out and frees it with api_request_clear().
 * On -1 nothing needs freeing.
 */
int api_request_parse(const char *path, const char *query, uint64_t now,
		      struct api_request *out, char *err, size_t err_size);

void api_request_clear(struct api_request *r);

/* ---- helpers, exported for the renderer and the unit tests ------------------------ */

/*
 * Percent-decode src[0..len) into dst (at least len + 1 bytes). Returns the
 * decoded length, or -1 on a bad escape or a decoded NUL byte.
 */
long api_percent_decode(const char *src, size_t len, char *dst);

/*
 * A presentation domain name ("WWW.Example.com", "\046", "a\.b.c.") to the
 * store's canonical form: lowercase, absolute, escapes as the wire library
 * writes them. Returns 0 or -1 with the reason in err.
 */
int api_name_canonical(const char *text, char *out, size_t out_size, char *err, size_t err_size);

/*
 * An RR type: mnemonic (case-insensitive), "TYPEnnn", "ANY" (DB_RRTYPE_ANY) or
 * "ANY-DNSSEC" (DB_RRTYPE_ANY_DNSSEC). Returns 0 or -1.
 */
int api_rrtype_parse(const char *text, uint32_t *out);

/* Mnemonic or "TYPEnnn" of a type, into buf (>= 12 bytes). Returns buf. */
const char *api_rrtype_text(uint16_t rrtype, char *buf, size_t size);

/*
 * "ADDR", "ADDR,PFXLEN", "ADDR/PFXLEN" or "ADDR-ADDR" (IPv4 or IPv6) to an
 * inclusive range. Host bits past a prefix are ignored (the network is meant).
 * Returns 0 or -1 with the reason in err.
 */
int api_ip_range_parse(const char *text, int *family, uint8_t lo[16], uint8_t hi[16],
		       char *err, size_t err_size);

#endif
