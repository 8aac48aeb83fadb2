/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The query API's request parser, renderer, keys and runner (db/api_query.c,
 * db/api_render.c, db/api_keys.c).
 *
 * Oracles:
 *   - the requests are the URLs stock dnsdbq 2.6.4 builds (pdns_dnsdb.c dnsdb_url()
 *     and dnsdbq.c makepath(): curl_escape of the name, "%2A" for '*', "%3A" for
 *     ':', "ADDR,PFXLEN" for -i ADDR/PFXLEN, "?swclient=dnsdbq&version=2.6.4"
 *     first), written out here by hand;
 *   - expected names, types and address ranges are worked out by hand from
 *     RFC 1035 presentation rules and the IANA type registry;
 *   - rendered JSON is parsed back with jansson (the parser dnsdbq itself uses),
 *     never compared with strings the renderer made;
 *   - the runner is checked over a real store (db/store.h) holding records built
 *     here, so the expected results are those records.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "db/api_keys.h"
#include "db/api_query.h"
#include "db/api_render.h"
#include "db/store.h"

#define NOW 1800000000ULL
#define DNSDBQ_QS "swclient=dnsdbq&version=2.6.4"

static struct api_request req;
static char err[API_ERROR_MAX];

static void parse_ok(const char *path, const char *qs)
{
	int r = api_request_parse(path, qs, NOW, &req, err, sizeof(err));
	if (r != 0)
		fail_msg("parse of %s?%s failed: %s", path, qs ? qs : "", err);
}

/* A bad request: rejected, and the message names the problem (contains want). */
static void parse_bad(const char *path, const char *qs, const char *want)
{
	int r = api_request_parse(path, qs, NOW, &req, err, sizeof(err));
	if (r == 0) {
		api_request_clear(&req);
		fail_msg("%s?%s was accepted", path, qs ? qs : "");
	}
	if (strstr(err, want) == NULL)
		fail_msg("%s?%s: message '%s' does not say '%s'", path, qs ? qs : "", err, want);
}

static void ip(int family, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family, text, out), 1);
}

/* ---- what dnsdbq sends ---------------------------------------------------------- */

static void test_dnsdbq_rrset_name_with_type(void **state)
{
	(void)state;
	/* dnsdbq -r www.example.test/A */
	parse_ok("/dnsdb/v2/lookup/rrset/name/www.example.test/A", DNSDBQ_QS);
	assert_int_equal(req.endpoint, API_EP_LOOKUP);
	assert_int_equal(req.lookup, API_LOOKUP_RRSET_NAME);
	assert_int_equal(req.q.kind, DB_QUERY_RRSET_NAME);
	assert_string_equal(req.q.name, "www.example.test.");
	assert_int_equal(req.q.wildcard, DB_WILDCARD_NONE);
	assert_int_equal(req.q.rrtype, 1);
	assert_null(req.q.bailiwick);
	assert_true(req.q.aggregate);
	assert_false(req.limit_given);
	assert_int_equal(req.q.time_first_before + req.q.time_first_after +
			 req.q.time_last_before + req.q.time_last_after, 0);
	api_request_clear(&req);
}

static void test_dnsdbq_left_wildcard_is_percent_2a(void **state)
{
	(void)state;
	/* dnsdbq -r '*.example.test' */
	parse_ok("/dnsdb/v2/lookup/rrset/name/%2A.example.test", DNSDBQ_QS);
	assert_string_equal(req.q.name, "example.test.");
	assert_int_equal(req.q.wildcard, DB_WILDCARD_LEFT);
	assert_int_equal(req.q.rrtype, 0);
	api_request_clear(&req);
	/* dnsdbq -r 'www.example.*' */
	parse_ok("/dnsdb/v2/lookup/rrset/name/www.example.%2A", DNSDBQ_QS);
	assert_string_equal(req.q.name, "www.example.");
	assert_int_equal(req.q.wildcard, DB_WILDCARD_RIGHT);
	api_request_clear(&req);
	/* a '*' that is not a whole leading or trailing label is a literal */
	parse_ok("/dnsdb/v2/lookup/rrset/name/a%2Ab.example.test", DNSDBQ_QS);
	assert_string_equal(req.q.name, "a*b.example.test.");
	assert_int_equal(req.q.wildcard, DB_WILDCARD_NONE);
	api_request_clear(&req);
}

static void test_dnsdbq_rdata_name_ns(void **state)
{
	(void)state;
	/* dnsdbq -n NS1.Example.TEST/NS: names fold to lowercase, become absolute */
	parse_ok("/dnsdb/v2/lookup/rdata/name/NS1.Example.TEST/NS", DNSDBQ_QS);
	assert_int_equal(req.q.kind, DB_QUERY_RDATA_NAME);
	assert_string_equal(req.q.name, "ns1.example.test.");
	assert_int_equal(req.q.rrtype, 2);
	api_request_clear(&req);
}

static void test_dnsdbq_rdata_ip_prefix_comma(void **state)
{
	uint8_t lo[16], hi[16];
	(void)state;
	/* dnsdbq -i 198.51.100.0/24 sends the prefix after a comma */
	parse_ok("/dnsdb/v2/lookup/rdata/ip/198.51.100.0,24", DNSDBQ_QS);
	assert_int_equal(req.q.kind, DB_QUERY_RDATA_IP);
	assert_int_equal(req.q.ip_family, AF_INET);
	ip(AF_INET, "198.51.100.0", lo);
	ip(AF_INET, "198.51.100.255", hi);
	assert_memory_equal(req.q.ip_lo, lo, 4);
	assert_memory_equal(req.q.ip_hi, hi, 4);
	api_request_clear(&req);
	/* host bits past the prefix are ignored: the network is meant */
	parse_ok("/dnsdb/v2/lookup/rdata/ip/198.51.100.77,25", NULL);
	ip(AF_INET, "198.51.100.0", lo);
	ip(AF_INET, "198.51.100.127", hi);
	assert_memory_equal(req.q.ip_lo, lo, 4);
	assert_memory_equal(req.q.ip_hi, hi, 4);
	api_request_clear(&req);
	/* one address */
	parse_ok("/dnsdb/v2/lookup/rdata/ip/192.0.2.1", NULL);
	ip(AF_INET, "192.0.2.1", lo);
	assert_memory_equal(req.q.ip_lo, lo, 4);
	assert_memory_equal(req.q.ip_hi, lo, 4);
	api_request_clear(&req);
}

static void test_dnsdbq_rdata_ip6_colons_are_percent_3a(void **state)
{
	uint8_t lo[16], hi[16];
	(void)state;
	/* dnsdbq -i 2001:db8:100::/64 */
	parse_ok("/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A100%3A%3A,64", DNSDBQ_QS);
	assert_int_equal(req.q.ip_family, AF_INET6);
	ip(AF_INET6, "2001:db8:100::", lo);
	ip(AF_INET6, "2001:db8:100::ffff:ffff:ffff:ffff", hi);
	assert_memory_equal(req.q.ip_lo, lo, 16);
	assert_memory_equal(req.q.ip_hi, hi, 16);
	api_request_clear(&req);
	/* a range, and ADDR/PFXLEN sent with an encoded slash */
	parse_ok("/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1-2001%3Adb8%3A%3A9", NULL);
	ip(AF_INET6, "2001:db8::1", lo);
	ip(AF_INET6, "2001:db8::9", hi);
	assert_memory_equal(req.q.ip_lo, lo, 16);
	assert_memory_equal(req.q.ip_hi, hi, 16);
	api_request_clear(&req);
	parse_ok("/dnsdb/v2/lookup/rdata/ip/10.0.0.0%2F8", NULL);
	ip(AF_INET, "10.255.255.255", hi);
	assert_memory_equal(req.q.ip_hi, hi, 4);
	api_request_clear(&req);
}

static void test_dnsdbq_rrset_raw_hex_owner(void **state)
{
	(void)state;
	/* dnsdbq -R 03575757076578616d706c650474657374 00/A: "\3WWW\7example\4test\0" */
	parse_ok("/dnsdb/v2/lookup/rrset/raw/03575757076578616d706c65047465737400/A", DNSDBQ_QS);
	assert_int_equal(req.lookup, API_LOOKUP_RRSET_RAW);
	assert_int_equal(req.q.kind, DB_QUERY_RRSET_NAME);
	assert_string_equal(req.q.name, "www.example.test.");
	assert_int_equal(req.q.rrtype, 1);
	api_request_clear(&req);
}

static void test_dnsdbq_rdata_raw_to_presentation(void **state)
{
	(void)state;
	/* dnsdbq -N c0000201/A: 192.0.2.1 */
	parse_ok("/dnsdb/v2/lookup/rdata/raw/c0000201/A", DNSDBQ_QS);
	assert_int_equal(req.q.kind, DB_QUERY_RDATA_RAW);
	assert_int_equal(req.q.rrtype, 1);
	assert_string_equal(req.q.rdata, "192.0.2.1");
	api_request_clear(&req);
}

static void test_rdata_raw_mx_and_untyped(void **state)
{
	(void)state;
	parse_ok("/dnsdb/v2/lookup/rdata/raw/000a046d61696c076578616d706c65047465737400/MX", NULL);
	assert_int_equal(req.q.rrtype, 15);
	assert_string_equal(req.q.rdata, "10 mail.example.test.");
	api_request_clear(&req);
	/* without a type the runner tries every type: raw bytes kept, no rdata text */
	parse_ok("/dnsdb/v2/lookup/rdata/raw/c0000201", NULL);
	assert_int_equal(req.q.rrtype, 0);
	assert_null(req.q.rdata);
	assert_int_equal(req.raw_len, 4);
	assert_memory_equal(req.raw, "\xc0\x00\x02\x01", 4);
	api_request_clear(&req);
}

static void test_bailiwick_and_types(void **state)
{
	uint32_t t;
	(void)state;
	/* dnsdbq -r www.example.test/A/example.test */
	parse_ok("/dnsdb/v2/lookup/rrset/name/www.example.test/A/Example.TEST", DNSDBQ_QS);
	assert_string_equal(req.q.bailiwick, "example.test.");
	api_request_clear(&req);
	/* dnsdbq -r www.example.test -b example.test: "ANY" in the type place */
	parse_ok("/dnsdb/v2/lookup/rrset/name/www.example.test/ANY/example.test", DNSDBQ_QS);
	assert_int_equal(req.q.rrtype, DB_RRTYPE_ANY);
	api_request_clear(&req);
	assert_int_equal(api_rrtype_parse("ANY-DNSSEC", &t), 0);
	assert_int_equal(t, DB_RRTYPE_ANY_DNSSEC);
	assert_int_equal(api_rrtype_parse("any-dnssec", &t), 0);
	assert_int_equal(t, DB_RRTYPE_ANY_DNSSEC);
	assert_int_equal(api_rrtype_parse("aaaa", &t), 0);
	assert_int_equal(t, 28);
	assert_int_equal(api_rrtype_parse("TYPE65", &t), 0);
	assert_int_equal(t, 65);
	assert_int_equal(api_rrtype_parse("type65280", &t), 0);
	assert_int_equal(t, 65280);
	assert_int_equal(api_rrtype_parse("HTTPS", &t), 0);
	assert_int_equal(t, 65);
	assert_int_equal(api_rrtype_parse("NSEC3PARAM", &t), 0);
	assert_int_equal(t, 51);
	assert_int_equal(api_rrtype_parse("TYPE0", &t), -1);
	assert_int_equal(api_rrtype_parse("TYPE65536", &t), -1);
	assert_int_equal(api_rrtype_parse("TYPE", &t), -1);
	assert_int_equal(api_rrtype_parse("BOGUS", &t), -1);
}

static void test_names_fold_and_escape(void **state)
{
	char out[1100];
	(void)state;
	assert_int_equal(api_name_canonical("WwW.MiXeD.Example.TEST", out, sizeof(out), err,
					    sizeof(err)), 0);
	assert_string_equal(out, "www.mixed.example.test.");
	assert_int_equal(api_name_canonical(".", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, ".");
	/* \065 is 'A', folded; "\." is a dot inside a label, kept escaped */
	assert_int_equal(api_name_canonical("\\065bc.te\\.st.", out, sizeof(out), err,
					    sizeof(err)), 0);
	assert_string_equal(out, "abc.te\\.st.");
	/* a byte outside printable ASCII comes out as \DDD, as the sensor writes it */
	assert_int_equal(api_name_canonical("a\\255b.test", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "a\\255b.test.");
	/* 63-octet label is the maximum */
	assert_int_equal(api_name_canonical(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
		out, sizeof(out), err, sizeof(err)), 0);
}

static void test_parameters_as_dnsdbq_sends_them(void **state)
{
	(void)state;
	/* dnsdbq -r x.test -l 5 -O 10 -g -A 1700000000 -B 1750000000 (not -c):
	 * "&aggr=f&offset=10&limit=5&time_last_after=...&time_first_before=..." */
	parse_ok("/dnsdb/v2/lookup/rrset/name/x.test",
		 DNSDBQ_QS "&aggr=f&offset=10&limit=5&time_last_after=1700000000"
		 "&time_first_before=1750000000");
	assert_false(req.q.aggregate);
	assert_int_equal(req.q.offset, 10);
	assert_true(req.limit_given);
	assert_int_equal(req.limit, 5);
	assert_int_equal(req.q.time_last_after, 1700000000);
	assert_int_equal(req.q.time_first_before, 1750000000);
	assert_int_equal(req.q.time_first_after, 0);
	assert_int_equal(req.q.time_last_before, 0);
	api_request_clear(&req);
	/* -c: complete (strict) fencing uses the other two */
	parse_ok("/dnsdb/v2/lookup/rrset/name/x.test",
		 DNSDBQ_QS "&time_first_after=1700000000&time_last_before=1750000000");
	assert_int_equal(req.q.time_first_after, 1700000000);
	assert_int_equal(req.q.time_last_before, 1750000000);
	api_request_clear(&req);
	/* negative: relative to now */
	parse_ok("/dnsdb/v2/lookup/rrset/name/x.test", "time_last_after=-3600");
	assert_int_equal(req.q.time_last_after, NOW - 3600);
	api_request_clear(&req);
	/* dnsdbq -V summarize -M 100: max_count; "limit=0" is the server maximum */
	parse_ok("/dnsdb/v2/summarize/rrset/name/x.test", DNSDBQ_QS "&max_count=100&limit=0");
	assert_int_equal(req.endpoint, API_EP_SUMMARIZE);
	assert_int_equal(req.max_count, 100);
	assert_true(req.limit_given);
	assert_int_equal(req.limit, 0);
	api_request_clear(&req);
	/* a before-fence of 0 can hold for no record */
	parse_ok("/dnsdb/v2/lookup/rrset/name/x.test", "time_first_before=0");
	assert_true(req.match_nothing);
	api_request_clear(&req);
	parse_ok("/dnsdb/v2/lookup/rrset/name/x.test", "aggr=true&humantime=t");
	assert_true(req.q.aggregate);
	assert_true(req.humantime);
	api_request_clear(&req);
}

static void test_meta_endpoints_and_circl(void **state)
{
	uint8_t lo[16], hi[16];
	(void)state;
	/* dnsdbq -I */
	parse_ok("/dnsdb/v2/rate_limit", DNSDBQ_QS);
	assert_int_equal(req.endpoint, API_EP_RATE_LIMIT);
	api_request_clear(&req);
	parse_ok("/dnsdb/v2/ping", NULL);
	assert_int_equal(req.endpoint, API_EP_PING);
	api_request_clear(&req);
	parse_ok("/pdns/query/WWW.example.test", NULL);
	assert_int_equal(req.endpoint, API_EP_CIRCL);
	assert_true(req.circl_name);
	assert_string_equal(req.q.name, "www.example.test.");
	api_request_clear(&req);
	parse_ok("/pdns/query/192.0.2.1", NULL);
	assert_int_equal(req.q.kind, DB_QUERY_RDATA_IP);
	assert_false(req.circl_name);
	api_request_clear(&req);
	parse_ok("/pdns/query/192.0.2.0/24", NULL);
	ip(AF_INET, "192.0.2.0", lo);
	ip(AF_INET, "192.0.2.255", hi);
	assert_memory_equal(req.q.ip_lo, lo, 4);
	assert_memory_equal(req.q.ip_hi, hi, 4);
	api_request_clear(&req);
	parse_ok("/pdns/query/2001%3Adb8%3A%3A1", NULL);
	assert_int_equal(req.q.ip_family, AF_INET6);
	api_request_clear(&req);
}

/* ---- bad input: 400 with a message that says what is wrong ---------------------- */

static void test_bad_paths(void **state)
{
	char longpath[API_PATH_MAX + 64];
	(void)state;
	parse_bad("", NULL, "start with '/'");
	parse_bad("/", NULL, "empty path part");
	parse_bad("/foo", NULL, "unknown path");
	parse_bad("/dnsdb/v2", NULL, "unknown path");
	parse_bad("/dnsdb/v2/frobnicate/rrset/name/x", NULL, "unknown verb");
	parse_bad("/dnsdb/v2/lookup/rrset/name/", NULL, "empty path part");
	parse_bad("/dnsdb/v2/lookup//rrset/name/x", NULL, "empty path part");
	parse_bad("/dnsdb/v2/lookup/rrset/name", NULL, "lookup needs");
	parse_bad("/dnsdb/v2/lookup/rrset/bogus/x", NULL, "unknown lookup");
	parse_bad("/dnsdb/v2/lookup/rrset/name/x/A/b.test/extra", NULL, "too many path parts");
	parse_bad("/dnsdb/v2/lookup/rdata/name/x/NS/extra", NULL, "too many path parts");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4/extra", NULL, "too many path parts");
	parse_bad("/dnsdb/v2/rate_limit/x", NULL, "no further path");
	parse_bad("/lookup/rrset/name/x", NULL, "v1 is not served");
	parse_bad("/a/b/c/d/e/f/g/h/i/j/k/l", NULL, "too many path parts");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	parse_bad(longpath, NULL, "longer than");
}

static void test_bad_escapes(void **state)
{
	(void)state;
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%zz.test", NULL, "bad percent escape");
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%2", NULL, "bad percent escape");
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%", NULL, "bad percent escape");
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%00b", NULL, "bad percent escape");
	parse_bad("/dnsdb/v2/lookup/rrset/name/x.test", "limit=%4", "bad percent escape");
	/* name escapes (after percent decoding) */
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%5C", NULL, "lone backslash");
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%5C25", NULL, "three digits");
	parse_bad("/dnsdb/v2/lookup/rrset/name/a%5C256", NULL, "above 255");
}

static void test_bad_names(void **state)
{
	char path[1200];
	(void)state;
	parse_bad("/dnsdb/v2/lookup/rrset/name/a..test", NULL, "empty label");
	parse_bad("/dnsdb/v2/lookup/rrset/name/.test", NULL, "empty label");
	snprintf(path, sizeof(path), "/dnsdb/v2/lookup/rrset/name/%s.test",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	parse_bad(path, NULL, "longer than 63");
	strcpy(path, "/dnsdb/v2/lookup/rrset/name/");
	for (int i = 0; i < 60; i++)
		strcat(path, "abcd.");
	parse_bad(path, NULL, "longer than 255");
	parse_bad("/dnsdb/v2/lookup/rrset/name/%2A", NULL, "wildcard needs a name");
	parse_bad("/dnsdb/v2/lookup/rrset/name/%2A.", NULL, "wildcard needs a name");
	parse_bad("/dnsdb/v2/lookup/rrset/name/%2A.x.%2A", NULL, "not both");
	parse_bad("/dnsdb/v2/lookup/rrset/name/x.test/BOGUS", NULL, "unknown RR type 'BOGUS'");
	parse_bad("/dnsdb/v2/lookup/rrset/name/x.test/A/a..b", NULL, "bad bailiwick");
	parse_bad("/dnsdb/v2/lookup/rrset/raw/abc", NULL, "even");
	parse_bad("/dnsdb/v2/lookup/rrset/raw/zz", NULL, "bad hex digit");
	parse_bad("/dnsdb/v2/lookup/rrset/raw/0577777700", NULL, "not one uncompressed");
	parse_bad("/dnsdb/v2/lookup/rrset/raw/c00c", NULL, "not one uncompressed");
	parse_bad("/dnsdb/v2/lookup/rdata/raw/c0000201/ANY-DNSSEC", NULL, "not ANY-DNSSEC");
	parse_bad("/pdns/query/a..b", NULL, "empty label");
}

static void test_bad_addresses(void **state)
{
	(void)state;
	parse_bad("/dnsdb/v2/lookup/rdata/ip/300.1.1.1", NULL, "bad address");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/example.test", NULL, "bad address");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4,33", NULL, "prefix length 33 is above 32");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/%3A%3A1,129", NULL, "prefix length 129 is above 128");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4,", NULL, "missing prefix length");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4,x", NULL, "bad prefix length");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4,-1", NULL, "bad prefix length");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.9-1.2.3.1", NULL, "start is above its end");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4-%3A%3A1", NULL, "mixes IPv4 and IPv6");
	parse_bad("/dnsdb/v2/lookup/rdata/ip/1.2.3.4-", NULL, "end of the range");
	parse_bad("/pdns/query/300.1.1.1", NULL, "bad address");
	parse_bad("/pdns/query/1.2.3.0/99", NULL, "bad address");
}

static void test_bad_parameters(void **state)
{
	const char *p = "/dnsdb/v2/lookup/rrset/name/x.test";
	(void)state;
	parse_bad(p, "limit=-1", "limit must be a non-negative integer");
	parse_bad(p, "limit=abc", "limit must be");
	parse_bad(p, "limit=99999999999999999999999", "limit must be");
	parse_bad(p, "limit=1e9", "limit must be");
	parse_bad(p, "limit=", "empty value");
	parse_bad(p, "limit", "has no value");
	parse_bad(p, "offset=-5", "offset must be");
	parse_bad(p, "offset=10000001", "above offset_max");
	parse_bad(p, "limit=1&limit=2", "given twice");
	parse_bad(p, "frobnicate=1", "unknown parameter 'frobnicate'");
	parse_bad(p, "max_count=5", "only for summarize");
	parse_bad("/dnsdb/v2/summarize/rrset/name/x.test", "max_count=0", "positive");
	parse_bad(p, "aggr=maybe", "aggr must be t or f");
	parse_bad(p, "humantime=2", "humantime must be");
	parse_bad(p, "time_first_before=yesterday", "time_first_before must be");
	parse_bad(p, "time_last_after=--5", "time_last_after must be");
	parse_bad(p, "time_last_after=-1800000001", "before 1970");
	parse_bad("/dnsdb/v2/ping", "limit=5", "takes no query parameters");
	parse_bad("/pdns/query/x.test", "limit=5", "takes no query parameters");
}

/* ---- mutated requests: no crash, and every answer keeps its invariants ----------- */

static uint64_t mut_state = 0x243F6A8885A308D3ULL;
static unsigned int mut_rand(unsigned int n)
{
	mut_state ^= mut_state << 13;
	mut_state ^= mut_state >> 7;
	mut_state ^= mut_state << 17;
	return (unsigned int)(mut_state % n);
}

static void test_mutated_requests_keep_invariants(void **state)
{
	static const char *const seeds[] = {
		"/dnsdb/v2/lookup/rrset/name/www.example.test/A/example.test",
		"/dnsdb/v2/lookup/rrset/name/%2A.example.test",
		"/dnsdb/v2/summarize/rrset/name/www.example.%2A/ANY-DNSSEC",
		"/dnsdb/v2/lookup/rrset/raw/03575757076578616d706c65047465737400/A",
		"/dnsdb/v2/lookup/rdata/name/ns1.example.test/NS",
		"/dnsdb/v2/lookup/rdata/ip/198.51.100.0,24",
		"/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1-2001%3Adb8%3A%3A9",
		"/dnsdb/v2/lookup/rdata/raw/000a046d61696c076578616d706c65047465737400/MX",
		"/dnsdb/v2/lookup/rdata/raw/c0000201",
		"/pdns/query/192.0.2.0/24",
		"/pdns/query/a\\.b\\065.test",
		"/dnsdb/v2/rate_limit",
	};
	static const char *const qs[] = {
		DNSDBQ_QS "&limit=5&offset=2&aggr=f",
		"time_first_before=-100&time_last_after=1700000000&humantime=t",
		"max_count=10", "", NULL,
	};
	static const char alphabet[] = "%/\\.*,-:0123456789aAfFzZ\x01\x7f\xff&=";
	char path[600], q[300], out[1100], e2[API_ERROR_MAX];
	unsigned int accepted = 0;
	(void)state;

	for (unsigned int iter = 0; iter < 200000; iter++) {
		const char *sp = seeds[mut_rand(sizeof(seeds) / sizeof(seeds[0]))];
		const char *sq = qs[mut_rand(sizeof(qs) / sizeof(qs[0]))];
		size_t n = strlen(sp), m = sq ? strlen(sq) : 0;
		unsigned int edits = 1 + mut_rand(4);

		memcpy(path, sp, n + 1);
		if (sq != NULL)
			memcpy(q, sq, m + 1);
		for (unsigned int e = 0; e < edits; e++) {
			bool in_q = sq != NULL && mut_rand(3) == 0;
			char *b = in_q ? q : path;
			size_t *len = in_q ? &m : &n;
			size_t cap = in_q ? sizeof(q) : sizeof(path);
			size_t at = *len ? mut_rand((unsigned int)*len + 1) : 0;
			switch (mut_rand(4)) {
			case 0:	/* replace */
				if (at < *len)
					b[at] = alphabet[mut_rand(sizeof(alphabet) - 1)];
				break;
			case 1:	/* insert */
				if (*len + 2 < cap) {
					memmove(b + at + 1, b + at, *len - at + 1);
					b[at] = alphabet[mut_rand(sizeof(alphabet) - 1)];
					(*len)++;
				}
				break;
			case 2:	/* truncate */
				b[at] = '\0';
				*len = at;
				break;
			default: /* repeat a run (long labels, long names) */
				for (unsigned int k = 0, r = mut_rand(80); k < r && *len + 2 < cap; k++) {
					memmove(b + at + 1, b + at, *len - at + 1);
					b[at] = 'a';
					(*len)++;
				}
			}
		}
		err[0] = '\0';
		if (api_request_parse(path, sq ? q : NULL, NOW, &req, err, sizeof(err)) != 0) {
			/* a reject always says why, in printable text */
			assert_true(err[0] != '\0');
			for (const char *c = err; *c; c++)
				if (*c < 0x20 || *c >= 0x7f)
					fail_msg("message for %s?%s has byte 0x%02x: %s", path,
						 sq ? q : "", (unsigned char)*c, err);
			continue;
		}
		accepted++;
		if (req.q.name != NULL && req.q.kind != DB_QUERY_RDATA_IP) {
			/* canonical names are a fixed point */
			assert_int_equal(api_name_canonical(req.q.name, out, sizeof(out), e2, sizeof(e2)), 0);
			assert_string_equal(out, req.q.name);
		}
		if (req.q.bailiwick != NULL) {
			assert_int_equal(api_name_canonical(req.q.bailiwick, out, sizeof(out), e2,
							    sizeof(e2)), 0);
			assert_string_equal(out, req.q.bailiwick);
		}
		if (req.q.kind == DB_QUERY_RDATA_IP && req.endpoint != API_EP_RATE_LIMIT &&
		    req.endpoint != API_EP_PING)
			assert_true(memcmp(req.q.ip_lo, req.q.ip_hi,
					   req.q.ip_family == AF_INET ? 4 : 16) <= 0);
		assert_true(req.q.offset <= API_OFFSET_MAX);
		api_request_clear(&req);
	}
	/* the mutations must leave a fair share valid, or the test checks nothing */
	assert_true(accepted > 10000);
}

/* ---- rendering, read back by jansson --------------------------------------------- */

static json_t *one_line(const struct api_buf *b)
{
	json_error_t je;
	json_t *j;

	assert_false(b->oom);
	assert_true(b->len > 0);
	assert_int_equal(b->data[b->len - 1], '\n');
	assert_null(memchr(b->data, '\n', b->len - 1));
	j = json_loadb(b->data, b->len, 0, &je);
	if (j == NULL)
		fail_msg("jansson: %s in: %s", je.text, b->data);
	return j;
}

/* What jansson decodes a string of our bytes to: Latin-1 read as code points, UTF-8 out. */
static void latin1_utf8(const char *in, char *out)
{
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (*p < 0x80) {
			*out++ = (char)*p;
		} else {
			*out++ = (char)(0xc0 | (*p >> 6));
			*out++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*out = '\0';
}

static void test_saf_rrset_line_any_bytes(void **state)
{
	/* rdata can hold any byte (a permissive producer, a TXT the sensor kept) */
	const char *rd[] = { "\"quoted\" back\\slash", "ctl\x01\x1f\t\n\r end", "hi\x7f\x80\xff" };
	struct db_result r = {
		.rrname = "txt.example.test.", .rrtype = 16, .rrclass = 1,
		.bailiwick = "example.test.", .rdata = rd, .rdata_count = 3,
		.time_first = 1795734899, .time_last = 1795735000, .count = 41,
	};
	struct api_buf b = {0};
	json_t *j, *o, *a;
	char want[64];
	(void)state;

	api_render_saf_result(&b, &r, false);
	j = one_line(&b);
	o = json_object_get(j, "obj");
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 41);
	assert_int_equal(json_integer_value(json_object_get(o, "time_first")), 1795734899);
	assert_int_equal(json_integer_value(json_object_get(o, "time_last")), 1795735000);
	assert_string_equal(json_string_value(json_object_get(o, "rrname")), "txt.example.test.");
	assert_string_equal(json_string_value(json_object_get(o, "rrtype")), "TXT");
	assert_string_equal(json_string_value(json_object_get(o, "bailiwick")), "example.test.");
	assert_null(json_object_get(o, "rrclass"));
	a = json_object_get(o, "rdata");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 3);
	for (int i = 0; i < 3; i++) {
		latin1_utf8(rd[i], want);
		assert_string_equal(json_string_value(json_array_get(a, (size_t)i)), want);
	}
	json_decref(j);
	api_buf_free(&b);
}

static void test_saf_rdata_line_is_a_string_and_unknown_type(void **state)
{
	const char *rd[] = { "\\# 4 deadbeef" };
	struct db_result r = {
		.rrname = "unknown.example.test.", .rrtype = 65280, .rrclass = 3,
		.bailiwick = NULL, .rdata = rd, .rdata_count = 1,
		.time_first = 1, .time_last = 2, .count = 3,
	};
	struct api_buf b = {0};
	json_t *j, *o;
	(void)state;

	api_render_saf_result(&b, &r, false);
	j = one_line(&b);
	o = json_object_get(j, "obj");
	assert_string_equal(json_string_value(json_object_get(o, "rrtype")), "TYPE65280");
	assert_string_equal(json_string_value(json_object_get(o, "rrclass")), "CH");
	assert_true(json_is_string(json_object_get(o, "rdata")));
	assert_string_equal(json_string_value(json_object_get(o, "rdata")), "\\# 4 deadbeef");
	assert_null(json_object_get(o, "bailiwick"));
	json_decref(j);
	api_buf_reset(&b);
	/* humantime: ISO 8601 UTC; `date -u -d @1795734899 +%FT%TZ` says 2026-11-26T23:14:59Z */
	r.time_first = 1795734899;
	api_render_saf_result(&b, &r, true);
	j = one_line(&b);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "obj"),
							      "time_first")),
			    "2026-11-26T23:14:59Z");
	json_decref(j);
	api_buf_free(&b);
}

static void test_cond_and_cof_lines(void **state)
{
	struct api_buf b = {0};
	json_t *j;
	const char *rd[] = { "192.0.2.1", "192.0.2.7" };
	struct db_result r = {
		.rrname = "www.example.test.", .rrtype = 1, .rrclass = 1,
		.bailiwick = "example.test.", .rdata = rd, .rdata_count = 2,
		.time_first = 10, .time_last = 20, .count = 5,
	};
	char *nl;
	(void)state;

	api_render_cond(&b, "limited", "Result \"limit\" reached");
	j = one_line(&b);
	assert_string_equal(json_string_value(json_object_get(j, "cond")), "limited");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "Result \"limit\" reached");
	json_decref(j);
	api_buf_reset(&b);

	api_render_cof_lines(&b, &r);
	nl = strchr(b.data, '\n');
	assert_non_null(nl);
	for (int i = 0; i < 2; i++) {
		const char *start = i == 0 ? b.data : nl + 1;
		json_error_t je;
		size_t len = i == 0 ? (size_t)(nl - b.data + 1) : strlen(nl + 1);
		j = json_loadb(start, len, 0, &je);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "rdata")), rd[i]);
		assert_string_equal(json_string_value(json_object_get(j, "rrname")), "www.example.test.");
		json_decref(j);
	}
	api_buf_reset(&b);

	api_render_rate_limit(&b, 1000);
	j = one_line(&b);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "rate"),
							    "results_max")), 1000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "rate"), "limit")),
			    "unlimited");
	json_decref(j);
	api_buf_free(&b);
}

/* ---- keys --------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_keys_file(void **state)
{
	char dir[] = "/tmp/test_db_api_keys.XXXXXX", path[256];
	struct api_keys *k;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys", dir);
	write_file(path, "# analysts\n\n  alpha-key-1  Alice\nbeta2\r\n\tgamma # Carol\n");
	k = api_keys_load(path, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(api_keys_count(k), 3);
	assert_true(api_keys_check(k, "alpha-key-1"));
	assert_true(api_keys_check(k, "beta2"));
	assert_true(api_keys_check(k, "gamma"));
	assert_false(api_keys_check(k, "alpha-key-"));
	assert_false(api_keys_check(k, "alpha-key-12"));
	assert_false(api_keys_check(k, "Alice"));
	assert_false(api_keys_check(k, ""));
	assert_false(api_keys_check(k, "# analysts"));
	api_keys_free(k);

	write_file(path, "# nothing here\n\n");
	assert_null(api_keys_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "no keys"));
	write_file(path, "ok\nbad\x01key\n");
	assert_null(api_keys_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	assert_null(api_keys_load(path, err, sizeof(err)));
	rmdir(dir);
}

/* ---- the runner over a real store ----------------------------------------------------- */

struct capture {
	struct api_buf all;
	unsigned int calls;
	unsigned int stop_after;	/* 0: never */
};

static int capture_sink(void *arg, const char *data, size_t len)
{
	struct capture *c = arg;

	api_buf_put(&c->all, data, len);
	c->calls++;
	return c->stop_after != 0 && c->calls >= c->stop_after;
}

/* The SAF lines of a body, parsed; returns how many. */
static size_t saf_lines(const char *body, json_t **lines, size_t max)
{
	size_t n = 0;
	const char *p = body;

	while (*p != '\0' && n < max) {
		const char *nl = strchr(p, '\n');
		json_error_t je;
		assert_non_null(nl);
		lines[n] = json_loadb(p, (size_t)(nl - p), 0, &je);
		if (lines[n] == NULL)
			fail_msg("line %zu not JSON: %s", n, je.text);
		n++;
		p = nl + 1;
	}
	return n;
}

static char store_dir[] = "/tmp/test_db_api_store.XXXXXX";
static struct db_store *store;

static int store_setup(void **state)
{
	struct db_store_params p = { .writable = true };
	struct db_batch *b;
	const char *www[] = { "192.0.2.1", "192.0.2.7" };
	const char *ns[] = { "ns1.example.test.", "ns2.example.test." };
	const char *mx[] = { "10 mail.example.test." };
	const char *other[] = { "198.51.100.30" };
	struct db_record recs[] = {
		{ "www.example.test.", 1, 1, "example.test.", www, 2, 1000, 2000, 5 },
		{ "example.test.", 2, 1, "test.", ns, 2, 1500, 2500, 3 },
		{ "example.test.", 15, 1, "example.test.", mx, 1, 3000, 4000, 7 },
		{ "ns1.example.test.", 1, 1, "example.test.", other, 1, 100, 200, 1 },
	};
	(void)state;

	if (mkdtemp(store_dir) == NULL)
		return -1;
	p.dir = store_dir;
	store = db_store_open(&p);
	if (store == NULL)
		return -1;
	b = db_batch_begin(store);
	if (b == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		if (db_batch_add(b, &recs[i]) != 0)
			return -1;
	return db_batch_commit(b) == 0 ? 0 : -1;
}

static int store_teardown(void **state)
{
	char cmd[128];
	(void)state;
	db_store_close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", store_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t run(const char *path, const char *qs, uint64_t cap, json_t **lines, size_t max)
{
	struct capture c = {0};
	size_t n;

	parse_ok(path, qs);
	assert_int_equal(api_run(store, &req, cap, capture_sink, &c), 0);
	api_request_clear(&req);
	n = saf_lines(c.all.data, lines, max);
	api_buf_free(&c.all);
	return n;
}

static const char *cond(json_t *j)
{
	return json_string_value(json_object_get(j, "cond"));
}

static void free_lines(json_t **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(l[i]);
}

static void test_run_lookup_framing(void **state)
{
	json_t *l[16], *o;
	size_t n;
	(void)state;

	n = run("/dnsdb/v2/lookup/rrset/name/www.example.test/A", DNSDBQ_QS, 100, l, 16);
	assert_int_equal(n, 3);
	assert_string_equal(cond(l[0]), "begin");
	o = json_object_get(l[1], "obj");
	assert_string_equal(json_string_value(json_object_get(o, "rrname")), "www.example.test.");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 5);
	assert_int_equal(json_array_size(json_object_get(o, "rdata")), 2);
	assert_string_equal(cond(l[2]), "succeeded");
	free_lines(l, n);

	/* nothing found: begin, succeeded, no obj (DNSDB v2: 200 and no rows) */
	n = run("/dnsdb/v2/lookup/rrset/name/nowhere.test", NULL, 100, l, 16);
	assert_int_equal(n, 2);
	assert_string_equal(cond(l[0]), "begin");
	assert_string_equal(cond(l[1]), "succeeded");
	free_lines(l, n);

	/* ANY below example.test. = 2 owners (www, ns1); at example.test. there are 2 more */
	n = run("/dnsdb/v2/lookup/rrset/name/%2A.example.test", NULL, 100, l, 16);
	assert_int_equal(n, 4);
	free_lines(l, n);
	n = run("/dnsdb/v2/lookup/rrset/name/example.test", NULL, 100, l, 16);
	assert_int_equal(n, 4);
	free_lines(l, n);
}

static void test_run_limits(void **state)
{
	json_t *l[16];
	size_t n;
	(void)state;

	/* 2 RRsets at example.test. (NS, MX); limit 1 -> one obj and "limited" */
	n = run("/dnsdb/v2/lookup/rrset/name/example.test", "limit=1", 100, l, 16);
	assert_int_equal(n, 3);
	assert_string_equal(cond(l[2]), "limited");
	assert_non_null(json_object_get(l[2], "msg"));
	free_lines(l, n);
	/* the server cap wins over a larger limit */
	n = run("/dnsdb/v2/lookup/rrset/name/example.test", "limit=50", 1, l, 16);
	assert_int_equal(n, 3);
	assert_string_equal(cond(l[2]), "limited");
	free_lines(l, n);
	/* a before-fence of 0: nothing */
	n = run("/dnsdb/v2/lookup/rrset/name/example.test", "time_first_before=0", 100, l, 16);
	assert_int_equal(n, 2);
	assert_string_equal(cond(l[1]), "succeeded");
	free_lines(l, n);
}

static void test_run_rdata_and_summarize(void **state)
{
	json_t *l[16], *o;
	size_t n;
	(void)state;

	/* rdata/name: the NS RRset's 2 NS rdata hold ns1; result rdata is a string */
	n = run("/dnsdb/v2/lookup/rdata/name/ns1.example.test/NS", NULL, 100, l, 16);
	assert_int_equal(n, 3);
	o = json_object_get(l[1], "obj");
	assert_string_equal(json_string_value(json_object_get(o, "rrname")), "example.test.");
	assert_string_equal(json_string_value(json_object_get(o, "rdata")), "ns1.example.test.");
	free_lines(l, n);

	/* rdata/raw without a type finds the A record 192.0.2.1 */
	n = run("/dnsdb/v2/lookup/rdata/raw/c0000201", NULL, 100, l, 16);
	assert_int_equal(n, 3);
	o = json_object_get(l[1], "obj");
	assert_string_equal(json_string_value(json_object_get(o, "rrname")), "www.example.test.");
	assert_string_equal(json_string_value(json_object_get(o, "rrtype")), "A");
	free_lines(l, n);

	/* summarize the 2 RRsets below example.test. (www A: 5, 1000..2000; ns1 A: 1, 100..200) */
	n = run("/dnsdb/v2/summarize/rrset/name/%2A.example.test", NULL, 100, l, 16);
	assert_int_equal(n, 3);
	o = json_object_get(l[1], "obj");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 5 + 1);
	assert_int_equal(json_integer_value(json_object_get(o, "num_results")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "time_first")), 100);
	assert_int_equal(json_integer_value(json_object_get(o, "time_last")), 2000);
	free_lines(l, n);
}

static void test_run_sink_stop(void **state)
{
	struct capture c = { .stop_after = 1 };
	(void)state;

	parse_ok("/dnsdb/v2/lookup/rrset/name/www.example.test", NULL);
	assert_int_equal(api_run(store, &req, 100, capture_sink, &c), -1);
	api_request_clear(&req);
	api_buf_free(&c.all);
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_dnsdbq_rrset_name_with_type),
		cmocka_unit_test(test_dnsdbq_left_wildcard_is_percent_2a),
		cmocka_unit_test(test_dnsdbq_rdata_name_ns),
		cmocka_unit_test(test_dnsdbq_rdata_ip_prefix_comma),
		cmocka_unit_test(test_dnsdbq_rdata_ip6_colons_are_percent_3a),
		cmocka_unit_test(test_dnsdbq_rrset_raw_hex_owner),
		cmocka_unit_test(test_dnsdbq_rdata_raw_to_presentation),
		cmocka_unit_test(test_rdata_raw_mx_and_untyped),
		cmocka_unit_test(test_bailiwick_and_types),
		cmocka_unit_test(test_names_fold_and_escape),
		cmocka_unit_test(test_parameters_as_dnsdbq_sends_them),
		cmocka_unit_test(test_meta_endpoints_and_circl),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_bad_escapes),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_mutated_requests_keep_invariants),
		cmocka_unit_test(test_saf_rrset_line_any_bytes),
		cmocka_unit_test(test_saf_rdata_line_is_a_string_and_unknown_type),
		cmocka_unit_test(test_cond_and_cof_lines),
		cmocka_unit_test(test_keys_file),
	};
	const struct CMUnitTest runner[] = {
		cmocka_unit_test(test_run_lookup_framing),
		cmocka_unit_test(test_run_limits),
		cmocka_unit_test(test_run_rdata_and_summarize),
		cmocka_unit_test(test_run_sink_stop),
	};
	int failed = cmocka_run_group_tests_name("db_api_parse_render", parse, NULL, NULL);

	failed += cmocka_run_group_tests_name("db_api_runner", runner, store_setup, store_teardown);
	return failed;
}
