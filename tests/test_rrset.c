/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire/rrset: grouping, canonical keys (wire/rrkey.h), hashes, and the
 * bailiwick a message reveals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "wire/dns.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

/* ---- message builder ---------------------------------------------------- */

struct mb {
	size_t n;
	uint8_t b[70000];
};

static void mb_u8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 8);
	mb_u8(m, v & 0xFF);
}

static void mb_bytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(m, ((const uint8_t *)p)[i]);
}

static void mb_name(struct mb *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		mb_u8(m, (unsigned)l);
		mb_bytes(m, s, l);
		s += l + (dot ? 1 : 0);
	}
	mb_u8(m, 0);
}

/* Header and the question "www.example.com" (at offset 12). */
static void mb_start(struct mb *m, unsigned flags, unsigned an, unsigned ns, unsigned ar,
		     unsigned qtype)
{
	m->n = 0;
	mb_u16(m, 0x4242);
	mb_u16(m, flags);
	mb_u16(m, 1);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
	mb_name(m, "www.example.com");
	mb_u16(m, qtype);
	mb_u16(m, 1);
}

/* One RR with an uncompressed owner. */
static void mb_rr(struct mb *m, const char *owner, unsigned type, uint32_t ttl,
		  const void *rdata, size_t rdlen)
{
	mb_name(m, owner);
	mb_u16(m, type);
	mb_u16(m, 1);
	mb_u16(m, ttl >> 16);
	mb_u16(m, ttl & 0xFFFF);
	mb_u16(m, (unsigned)rdlen);
	mb_bytes(m, rdata, rdlen);
}

/* An RR whose rdata is one uncompressed name (NS, CNAME). */
static void mb_rr_name(struct mb *m, const char *owner, unsigned type, const char *target)
{
	struct mb r = { 0 };

	mb_name(&r, target);
	mb_rr(m, owner, type, 300, r.b, r.n);
}

#define RESPONSE 0x8180
#define RESPONSE_AA 0x8580

/* ---- collecting callback ------------------------------------------------ */

struct got {
	unsigned n;
	struct {
		uint8_t key[2048];
		uint32_t key_len;
		uint64_t hash;
		struct rrset_view v;
	} set[64];
	int fail_at;	/* return an error on this call (1-based), 0 = never */
};

static int collect(void *arg, const struct rrset_view *v, const uint8_t *key, uint32_t key_len,
		   uint64_t hash)
{
	struct got *g = arg;

	if (g->fail_at && (int)g->n + 1 == g->fail_at)
		return -DNSIFT_ELIMIT;
	assert_true(g->n < 64);
	assert_true(key_len <= sizeof(g->set[0].key));
	memcpy(g->set[g->n].key, key, key_len);
	g->set[g->n].key_len = key_len;
	g->set[g->n].hash = hash;
	g->set[g->n].v = *v;
	g->set[g->n].v.owner = NULL;	/* valid during the call only */
	g->n++;
	return 0;
}

static struct dns_msg *parse(const struct mb *m)
{
	struct dns_msg *d = malloc(sizeof(*d));

	assert_non_null(d);
	assert_int_equal(dns_parse(m->b, m->n, d), 0);
	return d;
}

static uint8_t keybuf[RRKEY_MAX_LEN];

static int extract(const struct dns_msg *d, struct got *g, const uint8_t *bw, uint8_t bwlen,
		   uint8_t flags, struct rrset_result *res)
{
	struct rrset_params p = {
		.flags = flags, .bailiwick = bw, .bailiwick_len = bwlen,
		.key = keybuf, .key_size = sizeof(keybuf),
	};
	memset(g, 0, sizeof(*g));
	return rrset_extract(d, &p, collect, g, res);
}

static const uint8_t WWW[] = "\3www\7example\3com";
static const uint8_t EXAMPLE[] = "\7example\3com";

/* ---- tests ----------------------------------------------------------------- */

static void test_key_layout_parses_back(void **state)
{
	(void)state;
	struct mb m;
	struct got g;
	struct rrset_result res;

	mb_start(&m, RESPONSE_AA, 3, 0, 0, 16);
	mb_rr(&m, "www.example.com", 65280, 60, "\x01\x00", 2);
	mb_rr(&m, "www.example.com", 65280, 60, "\x01", 1);
	mb_rr(&m, "www.example.com", 65280, 60, "\x00\xFF", 2);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &g, EXAMPLE, sizeof(EXAMPLE), RRKEY_F_UNMATCHED, &res), 1);
	assert_int_equal(res.sets, 1);
	assert_int_equal(res.rrs, 3);
	struct rrkey_view v;

	assert_int_equal(rrkey_view_init(&v, g.set[0].key, g.set[0].key_len), 0);
	assert_int_equal(v.version, RRKEY_VERSION);
	assert_int_equal(v.flags, RRKEY_F_UNMATCHED);
	assert_int_equal(v.rrtype, 65280);
	assert_int_equal(v.rrclass, 1);
	assert_int_equal(v.owner_len, sizeof(WWW));
	assert_memory_equal(v.owner, WWW, sizeof(WWW));
	assert_int_equal(v.bailiwick_len, sizeof(EXAMPLE));
	assert_memory_equal(v.bailiwick, EXAMPLE, sizeof(EXAMPLE));
	assert_int_equal(v.rdata_count, 3);

	/* Sorted as octet strings, the shorter first on a common prefix. */
	static const struct { uint16_t len; const char *b; } want[] = {
		{ 2, "\x00\xFF" }, { 1, "\x01" }, { 2, "\x01\x00" },
	};
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;

	for (unsigned i = 0; i < 3; i++) {
		assert_true(rrkey_next_rdata(&v, &pos, &rd, &rdlen));
		assert_int_equal(rdlen, want[i].len);
		assert_memory_equal(rd, want[i].b, rdlen);
	}
	assert_false(rrkey_next_rdata(&v, &pos, &rd, &rdlen));
	assert_int_equal(g.set[0].hash, XXH3_64bits(g.set[0].key, g.set[0].key_len));
	assert_int_equal(g.set[0].hash, rrkey_hash(g.set[0].key, g.set[0].key_len));
	/* Exact bytes of the layout in rrkey.h. */
	static const uint8_t exact[] =
		"\x01\x01\xff\x00\x00\x01"
		"\x11\3www\7example\3com\0"
		"\x0d\7example\3com\0"
		"\x00\x03" "\x00\x02\x00\xff" "\x00\x01\x01" "\x00\x02\x01\x00";
	assert_int_equal(g.set[0].key_len, sizeof(exact) - 1);
	assert_memory_equal(g.set[0].key, exact, sizeof(exact) - 1);
	free(d);
}

static void test_unknown_bailiwick_is_length_zero(void **state)
{
	(void)state;
	struct mb m;
	struct got g;

	mb_start(&m, RESPONSE, 1, 0, 0, 1);
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &g, NULL, 0, 0, NULL), 1);
	struct rrkey_view v;

	assert_int_equal(rrkey_view_init(&v, g.set[0].key, g.set[0].key_len), 0);
	assert_null(v.bailiwick);
	assert_int_equal(v.bailiwick_len, 0);
	assert_int_equal(v.flags, 0);
	free(d);
}

static void test_groups_by_section_owner_type_class(void **state)
{
	(void)state;
	struct mb m;
	struct got g;

	mb_start(&m, RESPONSE, 3, 1, 2, 1);
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);
	mb_rr(&m, "WWW.example.com", 1, 60, "\1\2\3\5", 4);	/* same owner once folded */
	mb_rr(&m, "www.example.com", 28, 60, "0123456789abcdef", 16);
	mb_rr_name(&m, "example.com", 2, "ns1.example.com");
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);	/* same set, other section */
	mb_rr(&m, "ns1.example.com", 1, 60, "\1\2\3\6", 4);
	struct dns_msg *d = parse(&m);
	struct rrset_result res;

	assert_int_equal(extract(d, &g, NULL, 0, 0, &res), 5);
	assert_int_equal(res.rrs, 6);
	/* Ordered by section, then type, class, owner. */
	assert_int_equal(g.set[0].v.section, DNS_SECTION_ANSWER);
	assert_int_equal(g.set[0].v.rrtype, 1);
	assert_int_equal(g.set[0].v.rr_count, 2);
	assert_int_equal(g.set[1].v.section, DNS_SECTION_ANSWER);
	assert_int_equal(g.set[1].v.rrtype, 28);
	assert_int_equal(g.set[2].v.section, DNS_SECTION_AUTHORITY);
	assert_int_equal(g.set[2].v.rrtype, 2);
	assert_int_equal(g.set[3].v.section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(g.set[4].v.section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(g.set[3].v.rr_count + g.set[4].v.rr_count, 2);
	/* Every key carries exactly its own distinct rdata. */
	for (unsigned i = 0; i < 5; i++) {
		struct rrkey_view v;

		assert_int_equal(rrkey_view_init(&v, g.set[i].key, g.set[i].key_len), 0);
		assert_int_equal(v.rdata_count, g.set[i].v.rr_count);
	}
	free(d);
}

static void test_duplicates_removed_ttl_not_in_key(void **state)
{
	(void)state;
	struct mb m;
	struct got g1, g2;

	mb_start(&m, RESPONSE, 3, 0, 0, 1);
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);
	mb_rr(&m, "www.example.com", 1, 30, "\1\2\3\4", 4);
	mb_rr(&m, "www.example.com", 1, 90, "\1\2\3\5", 4);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &g1, NULL, 0, 0, NULL), 1);
	assert_int_equal(g1.set[0].v.rr_count, 2);
	assert_int_equal(g1.set[0].v.rr_seen, 3);
	assert_int_equal(g1.set[0].v.min_ttl, 30);
	free(d);

	mb_start(&m, RESPONSE, 2, 0, 0, 1);
	mb_rr(&m, "www.example.com", 1, 86400, "\1\2\3\5", 4);
	mb_rr(&m, "www.example.com", 1, 5, "\1\2\3\4", 4);
	d = parse(&m);
	assert_int_equal(extract(d, &g2, NULL, 0, 0, NULL), 1);
	assert_int_equal(g2.set[0].v.rr_count, 2);
	assert_int_equal(g2.set[0].key_len, g1.set[0].key_len);
	assert_memory_equal(g2.set[0].key, g1.set[0].key, g1.set[0].key_len);
	assert_true(g2.set[0].hash == g1.set[0].hash);
	free(d);
}

static void test_bailiwick_and_flags_change_the_key(void **state)
{
	(void)state;
	struct mb m;
	struct got a, b, c;

	mb_start(&m, RESPONSE, 1, 0, 0, 1);
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &a, NULL, 0, 0, NULL), 1);
	assert_int_equal(extract(d, &b, EXAMPLE, sizeof(EXAMPLE), 0, NULL), 1);
	assert_int_equal(extract(d, &c, NULL, 0, RRKEY_F_UNMATCHED, NULL), 1);
	assert_int_equal(b.set[0].key_len, a.set[0].key_len + sizeof(EXAMPLE));
	assert_true(a.set[0].hash != b.set[0].hash);
	assert_true(a.set[0].hash != c.set[0].hash);
	assert_int_equal(c.set[0].key[1], RRKEY_F_UNMATCHED);
	free(d);
}

/* Build n A records of 3 owners in the order perm[] gives. */
static void build_permuted(struct mb *m, const unsigned *perm, unsigned n)
{
	static const char *const owners[] = { "a.example.com", "b.example.com", "c.Example.com" };

	mb_start(m, RESPONSE, n, 0, 0, 1);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = perm[i];
		uint8_t rd[4] = { 192, 0, (uint8_t)(k / 200), (uint8_t)(k % 200) };

		mb_rr(m, owners[k % 3], 1, 60 + k, rd, 4);
	}
}

static void assert_same_sets(const struct got *x, const struct got *y)
{
	assert_int_equal(x->n, y->n);
	for (unsigned i = 0; i < x->n; i++) {
		assert_int_equal(x->set[i].key_len, y->set[i].key_len);
		assert_memory_equal(x->set[i].key, y->set[i].key, x->set[i].key_len);
		assert_true(x->set[i].hash == y->set[i].hash);
	}
}

static void test_permuted_rrs_give_identical_keys(void **state)
{
	(void)state;
	static struct mb m;
	static struct got base, other;
	unsigned perm[300];

	/* Small sets: every permutation of 4 RRs (insertion sort path). */
	static const unsigned p4[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	for (unsigned p = 0; p < 24; p++) {
		unsigned q[4];

		for (unsigned i = 0; i < 4; i++)
			q[i] = p4[p][i] * 3;	/* all owned by a.example.com */
		build_permuted(&m, q, 4);
		struct dns_msg *d = parse(&m);

		assert_int_equal(extract(d, p ? &other : &base, NULL, 0, 0, NULL), 1);
		if (p)
			assert_same_sets(&base, &other);
		free(d);
	}

	/* 300 RRs over 3 owners, shuffled (shell sort gaps all used). */
	for (unsigned i = 0; i < 300; i++)
		perm[i] = i;
	build_permuted(&m, perm, 300);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &base, NULL, 0, 0, NULL), 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(base.set[i].v.rr_count, 100);
	free(d);
	uint32_t seed = 7;

	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 299; i > 0; i--) {
			seed = seed * 1103515245u + 12345u;
			unsigned j = (seed >> 8) % (i + 1);
			unsigned t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		build_permuted(&m, perm, 300);
		d = parse(&m);
		assert_int_equal(extract(d, &other, NULL, 0, 0, NULL), 3);
		assert_same_sets(&base, &other);
		free(d);
	}
}

static void test_key_too_big_calls_nothing(void **state)
{
	(void)state;
	struct mb m;
	struct got g;
	struct rrset_result res;

	mb_start(&m, RESPONSE, 2, 0, 1, 1);
	mb_rr(&m, "a.example.com", 1, 60, "\1\2\3\4", 4);
	mb_rr(&m, "a.example.com", 1, 60, "\1\2\3\5", 4);
	mb_rr(&m, "b.example.com", 1, 60, "\1\2\3\6", 4);
	struct dns_msg *d = parse(&m);
	/* header 7 + owner 15 + bailiwick 1 + count 2 + 2 x (2 + 4) = 37 */
	struct rrset_params p = { .key = keybuf, .key_size = 36 };

	memset(&g, 0, sizeof(g));
	assert_int_equal(rrset_extract(d, &p, collect, &g, &res), -DNSIFT_EDNS_RRSET_TOO_BIG);
	assert_int_equal(g.n, 0);
	assert_int_equal(res.sets, 0);
	p.key_size = 37;
	assert_int_equal(rrset_extract(d, &p, collect, &g, &res), 2);
	assert_int_equal(g.set[0].key_len, 37);
	free(d);
}

static void test_callback_error_stops_extraction(void **state)
{
	(void)state;
	struct mb m;
	struct got g;
	struct rrset_result res;

	mb_start(&m, RESPONSE, 3, 0, 0, 1);
	mb_rr(&m, "a.example.com", 1, 60, "\1\2\3\4", 4);
	mb_rr(&m, "b.example.com", 1, 60, "\1\2\3\5", 4);
	mb_rr(&m, "c.example.com", 1, 60, "\1\2\3\6", 4);
	struct dns_msg *d = parse(&m);
	struct rrset_params p = { .key = keybuf, .key_size = sizeof(keybuf) };

	memset(&g, 0, sizeof(g));
	g.fail_at = 2;
	assert_int_equal(rrset_extract(d, &p, collect, &g, &res), -DNSIFT_ELIMIT);
	assert_int_equal(g.n, 1);
	assert_int_equal(res.sets, 1);
	p.key = NULL;
	assert_int_equal(rrset_extract(d, &p, collect, &g, &res), -DNSIFT_EINVAL);
	free(d);
}

static void expect_bailiwick(const struct mb *m, const uint8_t *want, uint8_t want_len,
			     enum dns_bailiwick_source want_source)
{
	struct dns_msg *d = parse(m);
	uint8_t bw[DNS_NAME_MAX], bw2[DNS_NAME_MAX];
	uint8_t len = 99, len2 = 99;
	enum dns_bailiwick_source source = 99;

	assert_int_equal(dns_msg_bailiwick(d, bw, &len), 0);
	assert_int_equal(len, want_len);
	if (want_len)
		assert_memory_equal(bw, want, want_len);
	/* The variant that names its rule agrees, and names the right one. */
	assert_int_equal(dns_msg_bailiwick_from(d, bw2, &len2, &source), 0);
	assert_int_equal(len2, want_len);
	assert_int_equal(source, want_source);
	if (want_len)
		assert_memory_equal(bw2, want, want_len);
	free(d);
}

static void test_bailiwick_from_soa_referral_or_unknown(void **state)
{
	(void)state;
	struct mb m;
	uint8_t soa[64];

	/* NXDOMAIN: SOA example.com in authority -> example.com */
	struct mb r = { 0 };

	mb_name(&r, "ns1.example.com");
	mb_name(&r, "hostmaster.example.com");
	for (int i = 0; i < 20; i++)
		mb_u8(&r, 1);
	memcpy(soa, r.b, r.n);
	mb_start(&m, 0x8583, 0, 1, 0, 1);
	mb_rr(&m, "example.com", 6, 300, soa, r.n);
	expect_bailiwick(&m, EXAMPLE, sizeof(EXAMPLE), DNS_BAILIWICK_SOA);

	/* SOA of an unrelated zone tells nothing */
	mb_start(&m, 0x8583, 0, 1, 0, 1);
	mb_rr(&m, "example.net", 6, 300, soa, r.n);
	expect_bailiwick(&m, NULL, 0, DNS_BAILIWICK_UNKNOWN);

	/* Referral from com: NS example.com, not AA, no answers -> com */
	mb_start(&m, 0x8000, 0, 2, 1, 1);
	mb_rr_name(&m, "example.com", 2, "ns1.example.com");
	mb_rr_name(&m, "example.com", 2, "ns2.example.net");
	mb_rr(&m, "ns1.example.com", 1, 60, "\1\2\3\4", 4);
	expect_bailiwick(&m, (const uint8_t *)"\3com", 5, DNS_BAILIWICK_REFERRAL);

	/* The same with AA set is not a referral */
	m.b[2] |= 0x04;
	expect_bailiwick(&m, NULL, 0, DNS_BAILIWICK_UNKNOWN);

	/* NS for a sibling zone is not a delegation toward the qname */
	mb_start(&m, 0x8000, 0, 1, 0, 1);
	mb_rr_name(&m, "example.org", 2, "ns1.example.org");
	expect_bailiwick(&m, NULL, 0, DNS_BAILIWICK_UNKNOWN);

	/* Plain answer: unknown */
	mb_start(&m, RESPONSE_AA, 1, 0, 0, 1);
	mb_rr(&m, "www.example.com", 1, 60, "\1\2\3\4", 4);
	expect_bailiwick(&m, NULL, 0, DNS_BAILIWICK_UNKNOWN);
}

static void test_out_of_bailiwick_sets_dropped_and_counted(void **state)
{
	(void)state;
	struct mb m;
	struct got g;
	struct rrset_result res;
	const uint8_t com[] = "\3com";

	assert_true(rrset_out_of_bailiwick((const uint8_t *)"\7example\3net", 13, com, 5));
	assert_false(rrset_out_of_bailiwick(WWW, sizeof(WWW), com, 5));
	assert_false(rrset_out_of_bailiwick(EXAMPLE, sizeof(EXAMPLE), EXAMPLE, sizeof(EXAMPLE)));
	assert_false(rrset_out_of_bailiwick(EXAMPLE, sizeof(EXAMPLE), NULL, 0));

	/* Referral from com with poisoned glue for a .net name. */
	mb_start(&m, 0x8000, 0, 1, 2, 1);
	mb_rr_name(&m, "example.com", 2, "ns.example.net");
	mb_rr(&m, "ns1.example.com", 1, 60, "\1\2\3\4", 4);
	mb_rr(&m, "ns.example.net", 1, 60, "\6\6\6\6", 4);
	struct dns_msg *d = parse(&m);
	uint8_t bw[DNS_NAME_MAX];
	uint8_t bwlen;

	assert_int_equal(dns_msg_bailiwick(d, bw, &bwlen), 0);
	assert_int_equal(bwlen, 5);
	assert_int_equal(extract(d, &g, bw, bwlen, 0, &res), 2);
	assert_int_equal(res.out_of_bailiwick, 1);
	for (unsigned i = 0; i < g.n; i++)
		assert_false(g.set[i].v.out_of_bailiwick);

	/* keep_out_of_bailiwick delivers it, flagged, and still counts it. */
	struct rrset_params p = { .key = keybuf, .key_size = sizeof(keybuf), .bailiwick = bw,
				  .bailiwick_len = bwlen, .keep_out_of_bailiwick = true };
	memset(&g, 0, sizeof(g));
	assert_int_equal(rrset_extract(d, &p, collect, &g, &res), 3);
	assert_int_equal(res.out_of_bailiwick, 1);
	unsigned flagged = 0;

	for (unsigned i = 0; i < g.n; i++)
		flagged += g.set[i].v.out_of_bailiwick;
	assert_int_equal(flagged, 1);
	free(d);
}

static void test_empty_message_gives_no_sets(void **state)
{
	(void)state;
	struct mb m;
	struct got g;
	struct rrset_result res;

	mb_start(&m, RESPONSE, 0, 0, 0, 1);
	struct dns_msg *d = parse(&m);

	assert_int_equal(extract(d, &g, NULL, 0, 0, &res), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(res.sets, 0);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_layout_parses_back),
		cmocka_unit_test(test_unknown_bailiwick_is_length_zero),
		cmocka_unit_test(test_groups_by_section_owner_type_class),
		cmocka_unit_test(test_duplicates_removed_ttl_not_in_key),
		cmocka_unit_test(test_bailiwick_and_flags_change_the_key),
		cmocka_unit_test(test_permuted_rrs_give_identical_keys),
		cmocka_unit_test(test_key_too_big_calls_nothing),
		cmocka_unit_test(test_callback_error_stops_extraction),
		cmocka_unit_test(test_bailiwick_from_soa_referral_or_unknown),
		cmocka_unit_test(test_out_of_bailiwick_sets_dropped_and_counted),
		cmocka_unit_test(test_empty_message_gives_no_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
