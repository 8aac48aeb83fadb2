/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/store_mtbl: every query kind over hand-built records, whose expected answers
 * are written here from the records themselves (the oracle), never read back from
 * the store first.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/store.h"
#include "wire/err.h"

/* ---- helpers --------------------------------------------------------------------- */

struct results {
	char *line[256];
	int n;
};

static int collect(void *arg, const struct db_result *r)
{
	struct results *rs = arg;
	char buf[4096];
	int o;

	o = snprintf(buf, sizeof(buf), "%s %u %s", r->rrname, r->rrtype,
		     r->bailiwick ? r->bailiwick : "-");
	for (unsigned i = 0; i < r->rdata_count; i++)
		o += snprintf(buf + o, sizeof(buf) - (size_t)o, " [%s]", r->rdata[i]);
	snprintf(buf + o, sizeof(buf) - (size_t)o, " %llu %llu %llu",
		 (unsigned long long)r->time_first, (unsigned long long)r->time_last,
		 (unsigned long long)r->count);
	assert_true(rs->n < 256);
	rs->line[rs->n++] = strdup(buf);
	return 0;
}

static void results_free(struct results *rs)
{
	for (int i = 0; i < rs->n; i++)
		free(rs->line[i]);
	rs->n = 0;
}

static bool has_line(const struct results *rs, const char *want)
{
	for (int i = 0; i < rs->n; i++)
		if (strcmp(rs->line[i], want) == 0)
			return true;
	return false;
}

/* Expect exactly the given lines, in any order. */
static void expect_lines(struct results *rs, int n, ...)
{
	va_list ap;

	if (rs->n != n)
		for (int i = 0; i < rs->n; i++)
			fprintf(stderr, "  got: %s\n", rs->line[i]);
	assert_int_equal(rs->n, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *w = va_arg(ap, const char *);

		if (!has_line(rs, w))
			fprintf(stderr, "  missing: %s\n", w);
		assert_true(has_line(rs, w));
	}
	va_end(ap);
	results_free(rs);
}

struct fixture {
	char dir[64];
	struct db_store *s;
};

static struct db_store *open_dir(const char *dir, bool writable)
{
	struct db_store_params p = { .dir = dir, .writable = writable };

	return db_store_open(&p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_db_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->s = open_dir(f->dir, true);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	db_store_close(f->s);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static struct db_record rec(const char *name, uint16_t type, const char *bw,
			    const char *const *rd, unsigned n, uint64_t tf, uint64_t tl, uint64_t c)
{
	struct db_record r = { .rrname = name, .rrtype = type, .rrclass = 1, .bailiwick = bw,
			       .rdata = rd, .rdata_count = n, .time_first = tf, .time_last = tl,
			       .count = c };
	return r;
}

static void add_segment(struct db_batch *b, const char *sid, uint64_t seq)
{
	struct db_segment_meta m = { .sensor_id = sid, .seq = seq, .open_time = 100,
				     .close_time = 200, .records = 1, .count_sum = 1 };

	assert_int_equal(db_batch_add_segment(b, &m), 0);
}

static const char *const A1[] = { "192.0.2.1", "192.0.2.7" };
static const char *const A2[] = { "198.51.100.5" };
static const char *const AAAA1[] = { "2001:db8::1" };
static const char *const NS1[] = { "ns1.example.com.", "ns2.example.net." };
static const char *const MX1[] = { "10 mail.example.com." };
static const char *const SRV1[] = { "0 5 5060 sip.example.com." };
static const char *const SOA1[] = { "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300" };
static const char *const CNAME1[] = { "www.example.com." };
static const char *const TXT1[] = { "\"v=spf1 -all\"" };
static const char *const RRSIG1[] = { "A 13 3 3600 20500101000000 20240101000000 1 example.com. AAAA" };
static const char *const ESC1[] = { "192.0.2.9" };

/* The data set most tests query. */
static void load_basic(struct db_store *s)
{
	struct db_batch *b = db_batch_begin(s);
	struct db_record r[] = {
		rec("www.example.com.", 1, "example.com.", A1, 2, 1000, 2000, 5),
		rec("www.example.com.", 28, "example.com.", AAAA1, 1, 1500, 1600, 2),
		rec("www.example.com.", 46, "example.com.", RRSIG1, 1, 1000, 2000, 5),
		rec("example.com.", 2, "com.", NS1, 2, 500, 900, 3),
		rec("example.com.", 2, "example.com.", NS1, 2, 600, 950, 4),
		rec("example.com.", 15, "example.com.", MX1, 1, 700, 800, 1),
		rec("example.com.", 6, "example.com.", SOA1, 1, 700, 800, 6),
		rec("_sip._udp.example.com.", 33, "example.com.", SRV1, 1, 100, 200, 1),
		rec("alias.example.com.", 5, NULL, CNAME1, 1, 3000, 4000, 7),
		rec("a.b.example.com.", 1, "example.com.", A2, 1, 10, 20, 1),
		rec("xexample.com.", 1, "com.", A2, 1, 30, 40, 1),
		rec("www.example.net.", 1, "example.net.", A2, 1, 50, 60, 1),
		rec("www.example2.com.", 1, "com.", A2, 1, 70, 80, 1),
		rec("www.example.", 1, NULL, A2, 1, 90, 95, 1),
		rec("example.com.", 16, "example.com.", TXT1, 1, 11, 12, 1),
		rec("a\\.dot.example.com.", 1, "example.com.", ESC1, 1, 5, 6, 1),
	};

	assert_non_null(b);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		assert_int_equal(db_batch_add(b, &r[i]), 0);
	add_segment(b, "s1", 1);
	assert_int_equal(db_batch_commit(b), 0);
}

static int query(struct db_store *s, struct db_query *q, struct results *rs)
{
	q->aggregate = true;
	return db_store_query(s, q, collect, rs);
}

/* ---- tests ----------------------------------------------------------------------- */

static void rrset_name_exact_returns_every_type_with_its_triplet(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "www.example.com." };

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 3,
		     "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 5",
		     "www.example.com. 28 example.com. [2001:db8::1] 1500 1600 2",
		     "www.example.com. 46 example.com. [A 13 3 3600 20500101000000 20240101000000 1 example.com. AAAA] 1000 2000 5");
	/* Case and a missing trailing dot do not matter in a query name. */
	q.name = "WWW.Example.COM";
	q.rrtype = 28;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "www.example.com. 28 example.com. [2001:db8::1] 1500 1600 2");
}

static void rrset_type_and_bailiwick_filters(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "example.com.", .rrtype = 2 };

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 2, "example.com. 2 com. [ns1.example.com.] [ns2.example.net.] 500 900 3",
		     "example.com. 2 example.com. [ns1.example.com.] [ns2.example.net.] 600 950 4");
	q.bailiwick = "com.";
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 2 com. [ns1.example.com.] [ns2.example.net.] 500 900 3");
	q.bailiwick = NULL;
	q.rrtype = DB_RRTYPE_ANY;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 5);	/* NS x2, MX, SOA, TXT */
	results_free(&rs);
	q.name = "www.example.com.";
	q.rrtype = DB_RRTYPE_ANY_DNSSEC;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "www.example.com. 46 example.com. [A 13 3 3600 20500101000000 20240101000000 1 example.com. AAAA] 1000 2000 5");
	q.rrtype = 99;	/* SPF: none */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 0);
}

static void left_wildcard_is_strictly_below_on_label_boundaries(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "example.com.",
			      .wildcard = DB_WILDCARD_LEFT, .rrtype = 1 };

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	/* Not example.com. itself, not xexample.com. */
	expect_lines(&rs, 3, "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 5",
		     "a.b.example.com. 1 example.com. [198.51.100.5] 10 20 1",
		     "a\\.dot.example.com. 1 example.com. [192.0.2.9] 5 6 1");
	q.rrtype = 0;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 7);	/* www x3, _sip._udp SRV, alias CNAME, a.b A, a\.dot A */
	for (int i = 0; i < rs.n; i++)
		assert_null(strstr(rs.line[i], "example.com. 2 "));	/* no apex NS */
	results_free(&rs);
}

static void right_wildcard_matches_leading_labels(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "www.example.",
			      .wildcard = DB_WILDCARD_RIGHT, .rrtype = 1 };

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	/* www.example.com and www.example.net; not www.example2.com, not www.example. */
	expect_lines(&rs, 2, "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 5",
		     "www.example.net. 1 example.net. [198.51.100.5] 50 60 1");
}

static void rdata_name_finds_ns_mx_srv_soa_cname(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RDATA_NAME, .name = "ns1.example.com." };

	load_basic(f->s);
	/* NS of two bailiwicks merge into one rdata entry (rdata has no bailiwick); SOA mname. */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 2, "example.com. 2 - [ns1.example.com.] 500 950 7",
		     "example.com. 6 - [ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300] 700 800 6");
	q.rrtype = 2;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 2 - [ns1.example.com.] 500 950 7");
	q.rrtype = 0;
	q.name = "hostmaster.example.com.";	/* SOA rname */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 6 - [ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300] 700 800 6");
	q.name = "mail.example.com.";
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 15 - [10 mail.example.com.] 700 800 1");
	q.name = "sip.example.com.";
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "_sip._udp.example.com. 33 - [0 5 5060 sip.example.com.] 100 200 1");
	q.name = "www.example.com.";
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "alias.example.com. 5 - [www.example.com.] 3000 4000 7");
	/* Left wildcard over rdata names: everything below example.net. */
	q.name = "example.net.";
	q.wildcard = DB_WILDCARD_LEFT;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 2 - [ns2.example.net.] 500 950 7");
	/* Everything below example.com.: the SOA's mname and rname both are, yet it is
	 * one result; the two NS entries of ns1 merged into one. */
	q.name = "example.com.";
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 5, "example.com. 2 - [ns1.example.com.] 500 950 7",
		     "example.com. 6 - [ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300] 700 800 6",
		     "example.com. 15 - [10 mail.example.com.] 700 800 1",
		     "_sip._udp.example.com. 33 - [0 5 5060 sip.example.com.] 100 200 1",
		     "alias.example.com. 5 - [www.example.com.] 3000 4000 7");
	q.name = "hostmaster.";	/* right-hand: only rname matches, still once */
	q.wildcard = DB_WILDCARD_RIGHT;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 6 - [ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300] 700 800 6");
	q.wildcard = DB_WILDCARD_LEFT;
	/* Right wildcard over rdata names. */
	q.name = "ns2.example.";
	q.wildcard = DB_WILDCARD_RIGHT;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 2 - [ns2.example.net.] 500 950 7");
}

static void rdata_ip_ranges_are_inclusive(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RDATA_IP, .ip_family = AF_INET };

	load_basic(f->s);
	inet_pton(AF_INET, "192.0.2.0", q.ip_lo);
	inet_pton(AF_INET, "192.0.2.255", q.ip_hi);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 3, "www.example.com. 1 - [192.0.2.1] 1000 2000 5",
		     "www.example.com. 1 - [192.0.2.7] 1000 2000 5",
		     "a\\.dot.example.com. 1 - [192.0.2.9] 5 6 1");
	inet_pton(AF_INET, "192.0.2.7", q.ip_lo);
	inet_pton(AF_INET, "192.0.2.7", q.ip_hi);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "www.example.com. 1 - [192.0.2.7] 1000 2000 5");
	/* 198.51.100.5 is owned by five names. */
	inet_pton(AF_INET, "198.51.100.5", q.ip_lo);
	inet_pton(AF_INET, "198.51.100.5", q.ip_hi);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 5);
	results_free(&rs);
	q.ip_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::", q.ip_lo);
	inet_pton(AF_INET6, "2001:db8::ffff", q.ip_hi);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "www.example.com. 28 - [2001:db8::1] 1500 1600 2");
	inet_pton(AF_INET6, "2001:db8::2", q.ip_lo);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 0);
	/* lo > hi is a bad query. */
	inet_pton(AF_INET6, "2001:db8::", q.ip_hi);
	assert_int_equal(query(f->s, &q, &rs), -DNSIFT_EINVAL);
}

static void rdata_raw_exact_for_every_index(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RDATA_RAW, .rdata = "\"v=spf1 -all\"", .rrtype = 16 };

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 16 - [\"v=spf1 -all\"] 11 12 1");
	q.rdata = "\"v=spf1\"";	/* a prefix of the rdata is not the rdata */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 0);
	q.rdata = "10 mail.example.com.";
	q.rrtype = 15;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "example.com. 15 - [10 mail.example.com.] 700 800 1");
	q.rdata = "20 mail.example.com.";	/* same exchange, other preference */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	assert_int_equal(rs.n, 0);
	q.rdata = "192.0.2.7";
	q.rrtype = 1;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "www.example.com. 1 - [192.0.2.7] 1000 2000 5");
	q.rrtype = 0;	/* raw needs a type */
	assert_int_equal(query(f->s, &q, &rs), -DNSIFT_EINVAL);
	q.rrtype = DB_RRTYPE_ANY;
	assert_int_equal(query(f->s, &q, &rs), -DNSIFT_EINVAL);
}

static void time_fences_follow_dnsdb_semantics(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "example.com.", .rrtype = 2 };

	load_basic(f->s);
	/* NS com.: 500..900; NS example.com.: 600..950 */
	q.time_first_before = 600;	/* strictly before */
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "example.com. 2 com. [ns1.example.com.] [ns2.example.net.] 500 900 3");
	q.time_first_before = 0;
	q.time_first_after = 500;	/* strictly after */
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "example.com. 2 example.com. [ns1.example.com.] [ns2.example.net.] 600 950 4");
	q.time_first_after = 0;
	q.time_last_before = 950;
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "example.com. 2 com. [ns1.example.com.] [ns2.example.net.] 500 900 3");
	q.time_last_before = 0;
	q.time_last_after = 900;
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "example.com. 2 example.com. [ns1.example.com.] [ns2.example.net.] 600 950 4");
	q.time_last_after = 1000;
	assert_int_equal(query(f->s, &q, &rs), 0);
	assert_int_equal(rs.n, 0);
}

static int stop_after_one(void *arg, const struct db_result *r)
{
	(void)r;
	(*(int *)arg)++;
	return 1;
}

static void offset_limit_and_stop(void **state)
{
	struct fixture *f = *state;
	struct results all = { 0 }, rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "example.com.",
			      .wildcard = DB_WILDCARD_LEFT };
	int calls = 0;

	load_basic(f->s);
	assert_int_equal(query(f->s, &q, &all), DB_QUERY_COMPLETE);
	assert_int_equal(all.n, 7);
	q.limit = 3;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_LIMITED);
	assert_int_equal(rs.n, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(rs.line[i], all.line[i]);
	results_free(&rs);
	q.offset = 5;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);	/* only 2 left */
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.line[0], all.line[5]);
	assert_string_equal(rs.line[1], all.line[6]);
	results_free(&rs);
	q.offset = 4;
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);	/* exactly 3 left */
	assert_int_equal(rs.n, 3);
	results_free(&rs);
	q.offset = 0;
	q.limit = 7;	/* the limit equal to the total is complete, not limited */
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	results_free(&rs);
	q.limit = 0;
	q.aggregate = true;
	assert_int_equal(db_store_query(f->s, &q, stop_after_one, &calls), DB_QUERY_STOPPED);
	assert_int_equal(calls, 1);
	results_free(&all);
}

static void merge_across_batches_and_within_one(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "m.example.com." };
	struct db_batch *b;
	struct db_record r1 = rec("m.example.com.", 1, "example.com.", A2, 1, 100, 200, 3);
	struct db_record r2 = rec("m.example.com.", 1, "example.com.", A2, 1, 50, 150, 4);
	struct db_record r3 = rec("m.example.com.", 1, "example.com.", A2, 1, 120, 300, 10);

	b = db_batch_begin(f->s);
	assert_int_equal(db_batch_add(b, &r1), 0);
	assert_int_equal(db_batch_add(b, &r2), 0);	/* same RRset, same batch */
	add_segment(b, "s1", 1);
	assert_int_equal(db_batch_commit(b), 0);
	b = db_batch_begin(f->s);
	assert_int_equal(db_batch_add(b, &r3), 0);
	add_segment(b, "s1", 2);
	assert_int_equal(db_batch_commit(b), 0);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "m.example.com. 1 example.com. [198.51.100.5] 50 300 17");
	/* Not aggregated: one result per file. */
	q.aggregate = false;
	assert_int_equal(db_store_query(f->s, &q, collect, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 2, "m.example.com. 1 example.com. [198.51.100.5] 50 200 7",
		     "m.example.com. 1 example.com. [198.51.100.5] 120 300 10");
	/* The rdata index merges the same way. */
	struct db_query qi = { .kind = DB_QUERY_RDATA_IP, .ip_family = AF_INET };

	inet_pton(AF_INET, "198.51.100.5", qi.ip_lo);
	memcpy(qi.ip_hi, qi.ip_lo, 4);
	assert_int_equal(query(f->s, &qi, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "m.example.com. 1 - [198.51.100.5] 50 300 17");
	/* Compaction keeps the answer and leaves one file. */
	struct db_store_stats st;

	assert_int_equal(db_store_stats(f->s, &st), 0);
	assert_int_equal(st.files, 2);
	assert_int_equal(db_store_compact(f->s, true), 0);
	assert_int_equal(db_store_stats(f->s, &st), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.rrset_entries, 1);
	assert_int_equal(st.rdata_entries, 1);
	assert_int_equal(query(f->s, &q, &rs), DB_QUERY_COMPLETE);
	expect_lines(&rs, 1, "m.example.com. 1 example.com. [198.51.100.5] 50 300 17");
}

struct seglist {
	char line[16][128];
	int n;
};

static int on_seg(void *arg, const struct db_segment_meta *m)
{
	struct seglist *l = arg;

	snprintf(l->line[l->n++], 128, "%s %llu %llu %s %llu", m->sensor_id,
		 (unsigned long long)m->seq, (unsigned long long)m->records,
		 m->drops_json ? m->drops_json : "-", (unsigned long long)m->duplicates);
	return 0;
}

static void segments_are_committed_with_the_batch_and_survive_reopen(void **state)
{
	struct fixture *f = *state;
	struct db_batch *b = db_batch_begin(f->s);
	struct db_record r = rec("x.example.com.", 1, NULL, A2, 1, 1, 2, 1);
	struct db_segment_meta m = { .sensor_id = "isp1-fra-01", .seq = 7, .records = 1,
				     .count_sum = 1, .drops_json = "{\"rx_nombuf\":3}" };
	struct seglist l = { 0 };

	assert_false(db_store_has_segment(f->s, "isp1-fra-01", 7));
	assert_int_equal(db_batch_add(b, &r), 0);
	assert_int_equal(db_batch_add_segment(b, &m), 0);
	m.seq = 9;
	m.drops_json = NULL;
	assert_int_equal(db_batch_add_segment(b, &m), 0);
	/* Not visible before commit. */
	assert_false(db_store_has_segment(f->s, "isp1-fra-01", 7));
	assert_int_equal(db_batch_commit(b), 0);
	assert_true(db_store_has_segment(f->s, "isp1-fra-01", 7));
	assert_true(db_store_has_segment(f->s, "isp1-fra-01", 9));
	assert_false(db_store_has_segment(f->s, "isp1-fra-01", 8));
	assert_false(db_store_has_segment(f->s, "isp1-fra-0", 7));
	/* A duplicate count goes into the book of its segment. */
	b = db_batch_begin(f->s);
	assert_int_equal(db_batch_add_duplicate(b, "isp1-fra-01", 7), 0);
	assert_int_equal(db_batch_add_duplicate(b, "isp1-fra-01", 7), 0);
	assert_int_equal(db_batch_commit(b), 0);
	b = db_batch_begin(f->s);
	assert_int_equal(db_batch_add_duplicate(b, "isp1-fra-01", 7), 0);
	assert_int_equal(db_batch_commit(b), 0);
	db_store_close(f->s);
	f->s = open_dir(f->dir, false);
	assert_non_null(f->s);
	assert_true(db_store_has_segment(f->s, "isp1-fra-01", 7));
	assert_int_equal(db_store_segments(f->s, on_seg, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.line[0], "isp1-fra-01 7 1 {\"rx_nombuf\":3} 3");
	assert_string_equal(l.line[1], "isp1-fra-01 9 1 - 0");
}

static void rollback_drops_what_was_added_after_the_mark(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_batch *b = db_batch_begin(f->s);
	struct db_batch_mark mk;
	struct db_record keep = rec("keep.example.com.", 1, NULL, A2, 1, 1, 2, 1);
	struct db_record drop = rec("drop.example.com.", 1, NULL, A2, 1, 1, 2, 1);
	struct db_query q = { .kind = DB_QUERY_RDATA_IP, .ip_family = AF_INET };

	assert_int_equal(db_batch_add(b, &keep), 0);
	db_batch_mark(b, &mk);
	/* Enough entries to spill into further arena chunks. */
	for (int i = 0; i < 200000; i++)
		assert_int_equal(db_batch_add(b, &drop), 0);
	add_segment(b, "bad", 1);
	db_batch_rollback(b, &mk);
	add_segment(b, "good", 1);
	assert_int_equal(db_batch_commit(b), 0);
	inet_pton(AF_INET, "198.51.100.5", q.ip_lo);
	memcpy(q.ip_hi, q.ip_lo, 4);
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "keep.example.com. 1 - [198.51.100.5] 1 2 1");
	assert_false(db_store_has_segment(f->s, "bad", 1));
	assert_true(db_store_has_segment(f->s, "good", 1));
}

static void bad_records_are_refused_whole(void **state)
{
	struct fixture *f = *state;
	struct db_batch *b = db_batch_begin(f->s);
	static const char *const empty_rd[] = { NULL };
	struct db_record r;

	r = rec("a..example.com.", 1, NULL, A2, 1, 1, 2, 1);
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_NAME);
	r = rec("a.example.com.", 1, "bad\\", A2, 1, 1, 2, 1);
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_NAME);
	r = rec("0123456789012345678901234567890123456789012345678901234567890123.com.", 1, NULL,
		A2, 1, 1, 2, 1);	/* a 64-octet label */
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_NAME);
	r = rec("a.example.com.", 1, NULL, A2, 0, 1, 2, 1);
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_RDATA);
	r = rec("a.example.com.", 1, NULL, empty_rd, 1, 1, 2, 1);
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_RDATA);
	assert_int_equal(db_batch_entries(b), 0);
	db_batch_abort(b);
	/* A 255-octet name is the longest there is; 256 is refused. */
	char name[300];
	size_t o = 0;

	for (int i = 0; i < 4; i++) {
		memset(name + o, 'a', 62);
		o += 62;
		name[o++] = '.';
	}
	name[o] = 0;	/* 4 x 63 + root = 253 octets */
	b = db_batch_begin(f->s);
	r = rec(name, 1, NULL, A2, 1, 1, 2, 1);
	assert_int_equal(db_batch_add(b, &r), 0);
	memmove(name + 2, name, o + 1);
	name[0] = 'b';
	name[1] = '.';	/* 255 */
	assert_int_equal(db_batch_add(b, &r), 0);
	memmove(name + 1, name, o + 3);
	name[0] = 'c';	/* label "cb": 256 */
	assert_int_equal(db_batch_add(b, &r), -DNSIFT_EDB_NAME);
	db_batch_abort(b);
}

static void escaped_names_round_trip(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_batch *b = db_batch_begin(f->s);
	struct db_record r = rec("a\\032b.\\\\x.example.com.", 1, NULL, A2, 1, 1, 2, 1);
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "a\\032b.\\\\x.example.com." };

	assert_int_equal(db_batch_add(b, &r), 0);
	add_segment(b, "s", 1);
	assert_int_equal(db_batch_commit(b), 0);
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "a\\032b.\\\\x.example.com. 1 - [198.51.100.5] 1 2 1");
	q.name = "\\097\\032B.\\\\X.EXAMPLE.com";	/* the same name spelled otherwise */
	assert_int_equal(query(f->s, &q, &rs), 0);
	assert_int_equal(rs.n, 1);
	results_free(&rs);
}

static void reader_sees_commits_after_refresh_and_writer_is_exclusive(void **state)
{
	struct fixture *f = *state;
	struct db_store *rd = open_dir(f->dir, false), *w2;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "www.example.com.",
			      .rrtype = 1 };

	assert_non_null(rd);
	w2 = open_dir(f->dir, true);
	assert_null(w2);	/* one writer per directory */
	load_basic(f->s);
	assert_int_equal(query(rd, &q, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(db_store_refresh(rd), 0);
	assert_int_equal(query(rd, &q, &rs), 0);
	assert_int_equal(rs.n, 1);
	results_free(&rs);
	/* A compaction in the writer: the reader's refresh sees the merged file only. */
	load_basic(f->s);
	assert_int_equal(db_store_compact(f->s, true), 0);
	assert_int_equal(db_store_refresh(rd), 0);
	assert_int_equal(query(rd, &q, &rs), 0);
	expect_lines(&rs, 1, "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 10");
	db_store_close(rd);
}

static void tiered_compaction_merges_full_tiers_only(void **state)
{
	struct fixture *f = *state;
	struct db_store_stats st;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "t.example.com." };

	for (int i = 0; i < 3; i++) {
		struct db_batch *b = db_batch_begin(f->s);
		struct db_record r = rec("t.example.com.", 1, NULL, A2, 1, 10 + (uint64_t)i,
					 20 + (uint64_t)i, 1);

		assert_int_equal(db_batch_add(b, &r), 0);
		add_segment(b, "t", (uint64_t)i);
		assert_int_equal(db_batch_commit(b), 0);
	}
	assert_int_equal(db_store_compact(f->s, false), 0);
	assert_int_equal(db_store_stats(f->s, &st), 0);
	assert_int_equal(st.files, 3);	/* fewer than the fan-in: left alone */
	struct db_batch *b = db_batch_begin(f->s);
	struct db_record r = rec("t.example.com.", 1, NULL, A2, 1, 5, 50, 1);

	assert_int_equal(db_batch_add(b, &r), 0);
	add_segment(b, "t", 3);
	assert_int_equal(db_batch_commit(b), 0);
	assert_int_equal(db_store_compact(f->s, false), 0);
	assert_int_equal(db_store_stats(f->s, &st), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.segments, 4);
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "t.example.com. 1 - [198.51.100.5] 5 50 4");
}

static void a_replaced_file_left_by_a_crash_is_ignored_and_removed(void **state)
{
	struct fixture *f = *state;
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "www.example.com.", .rrtype = 1 };
	char src[128], dst[128], keep[128];

	/* Two batch files, copied aside, then compacted; put the inputs back, as a kill -9
	 * between the rename of the merged file and the unlink of its inputs leaves them. */
	load_basic(f->s);
	load_basic(f->s);
	for (int i = 0; i < 2; i++) {
		snprintf(src, sizeof(src), "%s/%016d.mtbl", f->dir, i);
		snprintf(keep, sizeof(keep), "%s/keep%d", f->dir, i);
		assert_int_equal(link(src, keep), 0);
	}
	assert_int_equal(db_store_compact(f->s, true), 0);
	db_store_close(f->s);
	for (int i = 0; i < 2; i++) {
		snprintf(keep, sizeof(keep), "%s/keep%d", f->dir, i);
		snprintf(dst, sizeof(dst), "%s/%016d.mtbl", f->dir, i);
		assert_int_equal(rename(keep, dst), 0);
	}
	/* Also a half-written file. */
	snprintf(dst, sizeof(dst), "%s/%016d.mtbl.tmp", f->dir, 7);
	FILE *t = fopen(dst, "w");

	fputs("partial", t);
	fclose(t);
	/* A reader never counts both. */
	struct db_store *rd = open_dir(f->dir, false);

	assert_int_equal(query(rd, &q, &rs), 0);
	expect_lines(&rs, 1, "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 10");
	db_store_close(rd);
	/* The writer's open removes them. */
	f->s = open_dir(f->dir, true);
	assert_non_null(f->s);
	snprintf(dst, sizeof(dst), "%s/%016d.mtbl", f->dir, 0);
	assert_int_not_equal(access(dst, F_OK), 0);
	snprintf(dst, sizeof(dst), "%s/%016d.mtbl.tmp", f->dir, 7);
	assert_int_not_equal(access(dst, F_OK), 0);
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "www.example.com. 1 example.com. [192.0.2.1] [192.0.2.7] 1000 2000 10");
}

static void large_batch_sorts_and_merges_exactly(void **state)
{
	struct fixture *f = *state;
	struct db_batch *b = db_batch_begin(f->s);
	struct db_store_stats st;
	char name[64];
	const char *rd[1];
	char ip[32];

	/* 50000 names x 2 sightings each, in an order unlike the key order. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 50000; i++) {
			int k = (i * 7919) % 50000;

			snprintf(name, sizeof(name), "h%d.z%d.example.", k, k % 97);
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", k >> 16, (k >> 8) & 255, k & 255);
			rd[0] = ip;
			struct db_record r = rec(name, 1, NULL, rd, 1, 100 + (uint64_t)pass,
						 200 + (uint64_t)pass, 1);

			assert_int_equal(db_batch_add(b, &r), 0);
		}
	add_segment(b, "big", 1);
	assert_int_equal(db_batch_commit(b), 0);
	assert_int_equal(db_store_stats(f->s, &st), 0);
	assert_int_equal(st.rrset_entries, 50000);
	assert_int_equal(st.rdata_entries, 50000);
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "h4242.z71.example." };

	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "h4242.z71.example. 1 - [10.0.16.146] 100 201 2");
	/* Every name of zone z5: k % 97 == 5 for k < 50000. */
	q.name = "z5.example.";
	q.wildcard = DB_WILDCARD_LEFT;
	int n = 0;

	for (int k = 0; k < 50000; k++)
		n += k % 97 == 5;
	q.limit = 0;
	q.aggregate = true;
	int count = 0;

	assert_int_equal(db_store_query(f->s, &q, stop_after_one, &count), DB_QUERY_STOPPED);
	struct db_query q2 = q;

	count = 0;
	q2.offset = (uint64_t)n - 1;	/* the last one exists, one past it does not */
	assert_int_equal(db_store_query(f->s, &q2, stop_after_one, &count), DB_QUERY_STOPPED);
	q2.offset = (uint64_t)n;
	assert_int_equal(db_store_query(f->s, &q2, stop_after_one, &count), DB_QUERY_COMPLETE);
}

static void async_commits_overlap_the_next_batch_and_sync_reports(void **state)
{
	struct fixture *f = *state;
	struct db_store_params p = { .dir = f->dir, .writable = true, .batch_max_entries = 10,
				     .background_compaction = true };
	struct results rs = { 0 };
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = "y.example.com." };

	db_store_close(f->s);
	f->s = db_store_open(&p);
	assert_non_null(f->s);
	for (uint64_t i = 0; i < 12; i++) {
		struct db_batch *b = db_batch_begin(f->s);	/* while the previous one commits */
		struct db_record r = rec("y.example.com.", 1, NULL, A2, 1, 100 - i, 200 + i, 1);

		assert_non_null(b);
		assert_false(db_batch_full(b));
		for (int k = 0; k < 4; k++)
			assert_int_equal(db_batch_add(b, &r), 0);
		assert_true(db_batch_full(b));	/* 4 records x 3 entries (RRSET, FWD, IP4) >= 10 */
		add_segment(b, "async", i);
		assert_int_equal(db_batch_commit_async(b), 0);
	}
	assert_int_equal(db_store_sync(f->s), 0);
	for (uint64_t i = 0; i < 12; i++)
		assert_true(db_store_has_segment(f->s, "async", i));
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "y.example.com. 1 - [198.51.100.5] 89 211 48");
	/* The compactor thread merges the tiers (12 batches, fan-in 4) on its own; wait
	 * for it (bounded), then the data must be unchanged. */
	struct db_store_stats st;

	for (int i = 0; i < 600; i++) {
		assert_int_equal(db_store_stats(f->s, &st), 0);
		if (st.files < 4)
			break;
		usleep(50000);
	}
	assert_true(st.files < 4);
	assert_int_equal(st.segments, 12);
	assert_int_equal(query(f->s, &q, &rs), 0);
	expect_lines(&rs, 1, "y.example.com. 1 - [198.51.100.5] 89 211 48");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rrset_name_exact_returns_every_type_with_its_triplet, setup, teardown),
		cmocka_unit_test_setup_teardown(rrset_type_and_bailiwick_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(left_wildcard_is_strictly_below_on_label_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(right_wildcard_matches_leading_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(rdata_name_finds_ns_mx_srv_soa_cname, setup, teardown),
		cmocka_unit_test_setup_teardown(rdata_ip_ranges_are_inclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(rdata_raw_exact_for_every_index, setup, teardown),
		cmocka_unit_test_setup_teardown(time_fences_follow_dnsdb_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(offset_limit_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_across_batches_and_within_one, setup, teardown),
		cmocka_unit_test_setup_teardown(segments_are_committed_with_the_batch_and_survive_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_drops_what_was_added_after_the_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_records_are_refused_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(escaped_names_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(reader_sees_commits_after_refresh_and_writer_is_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(tiered_compaction_merges_full_tiers_only, setup, teardown),
		cmocka_unit_test_setup_teardown(a_replaced_file_left_by_a_crash_is_ignored_and_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(large_batch_sorts_and_merges_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(async_commits_overlap_the_next_batch_and_sync_reports, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
