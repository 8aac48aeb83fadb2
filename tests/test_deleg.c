/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/deleg: the delegation chain and the bailiwick rule, on hand-built
 * exchanges. The expected bailiwicks come from the DNS itself (which zone
 * delegated what to whom in the exchanges below), never from the code.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/deleg.h"
#include "wire/dns.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

/* ---- message builder ---------------------------------------------------- */

enum { AN = 1, NS = 2, AR = 3 };

struct rr_spec {
	int section;
	const char *owner;
	uint16_t type;
	const char *rdata;	/* A/AAAA: address; NS/CNAME: name; SOA: "mname rname" */
};

struct mb {
	size_t n;
	uint8_t b[4096];
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

static void mb_name(struct mb *m, const char *s)
{
	if (strcmp(s, ".") == 0) {
		mb_u8(m, 0);
		return;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		mb_u8(m, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			mb_u8(m, (uint8_t)s[i]);
		s += l + (dot ? 1 : 0);
	}
	mb_u8(m, 0);
}

static void mb_rdata(struct mb *r, uint16_t type, const char *text)
{
	uint8_t a[16];

	switch (type) {
	case DNS_TYPE_A:
		assert_int_equal(inet_pton(AF_INET, text, a), 1);
		for (int i = 0; i < 4; i++)
			mb_u8(r, a[i]);
		break;
	case DNS_TYPE_AAAA:
		assert_int_equal(inet_pton(AF_INET6, text, a), 1);
		for (int i = 0; i < 16; i++)
			mb_u8(r, a[i]);
		break;
	case DNS_TYPE_SOA: {
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", text);
		char *sp = strchr(buf, ' ');
		assert_non_null(sp);
		*sp = '\0';
		mb_name(r, buf);
		mb_name(r, sp + 1);
		for (int i = 0; i < 20; i++)
			mb_u8(r, 1);
		break;
	}
	default:	/* NS, CNAME */
		mb_name(r, text);
	}
}

#define FLAG_AA 0x0400
#define NXDOMAIN 3

/* A response to (qname, qtype) with the given RRs, in section order as listed. */
static struct dns_msg *build(unsigned flags, const char *qname, uint16_t qtype,
			     const struct rr_spec *rrs, unsigned nrr)
{
	struct mb m = { 0 };
	unsigned count[4] = { 0 };

	for (unsigned i = 0; i < nrr; i++)
		count[rrs[i].section]++;
	mb_u16(&m, 0x4242);
	mb_u16(&m, 0x8000 | flags);
	mb_u16(&m, 1);
	mb_u16(&m, count[AN]);
	mb_u16(&m, count[NS]);
	mb_u16(&m, count[AR]);
	mb_name(&m, qname);
	mb_u16(&m, qtype);
	mb_u16(&m, 1);
	for (int sec = AN; sec <= AR; sec++) {
		for (unsigned i = 0; i < nrr; i++) {
			struct mb r = { 0 };

			if (rrs[i].section != sec)
				continue;
			mb_rdata(&r, rrs[i].type, rrs[i].rdata);
			mb_name(&m, rrs[i].owner);
			mb_u16(&m, rrs[i].type);
			mb_u16(&m, 1);
			mb_u16(&m, 0);
			mb_u16(&m, 300);
			mb_u16(&m, (unsigned)r.n);
			for (size_t k = 0; k < r.n; k++)
				mb_u8(&m, r.b[k]);
		}
	}
	struct dns_msg *d = malloc(sizeof(*d));
	assert_non_null(d);
	assert_int_equal(dns_parse(m.b, m.n, d), 0);
	return d;
}

/* ---- an exchange, as the pipeline runs it ------------------------------- */

struct result {
	enum deleg_outcome outcome;
	char bailiwick[256];		/* presentation, "" when unknown */
	bool claim_refused;
	unsigned delivered;
	unsigned dropped[4];		/* out of bailiwick, by section */
	char owners[16][256];		/* owners of delivered sets */
};

static void name_text(const uint8_t *w, size_t len, char *out)
{
	size_t o = 0;

	if (len <= 1) {
		strcpy(out, ".");
		return;
	}
	for (size_t i = 0; i < len && w[i]; i += w[i] + 1u) {
		memcpy(out + o, w + i + 1, w[i]);
		o += w[i];
		out[o++] = '.';
	}
	out[o] = '\0';
}

static int collect(void *arg, const struct rrset_view *v, const uint8_t *key, uint32_t key_len,
		   uint64_t hash)
{
	struct result *r = arg;

	(void)key;
	(void)key_len;
	(void)hash;
	if (r->delivered < 16)
		name_text(v->owner, v->owner_len, r->owners[r->delivered]);
	r->delivered++;
	return 0;
}

static bool delivered(const struct result *r, const char *owner)
{
	for (unsigned i = 0; i < r->delivered && i < 16; i++)
		if (strcmp(r->owners[i], owner) == 0)
			return true;
	return false;
}

static uint8_t keybuf[RRKEY_MAX_LEN];

/* Bailiwick, extraction and learning of one matched response from server. */
static struct result exchange(struct deleg *d, const char *server, uint64_t now,
			      struct dns_msg *m)
{
	struct result r;
	struct deleg_verdict v;
	uint8_t addr[16];
	uint8_t alen = strchr(server, ':') ? 16 : 4;

	memset(&r, 0, sizeof(r));
	assert_int_equal(inet_pton(alen == 4 ? AF_INET : AF_INET6, server, addr), 1);
	deleg_bailiwick(d, m, addr, alen, now, &v);
	r.outcome = v.outcome;
	r.claim_refused = v.claim_refused;
	if (v.zone_len)
		name_text(v.zone, v.zone_len, r.bailiwick);
	struct rrset_params p = {
		.bailiwick = v.zone_len ? v.zone : NULL, .bailiwick_len = v.zone_len,
		.key = keybuf, .key_size = sizeof(keybuf),
	};
	struct rrset_result res;
	assert_true(rrset_extract(m, &p, collect, &r, &res) >= 0);
	for (int s = 0; s < 4; s++)
		r.dropped[s] = res.out_of_bailiwick_by_section[s];
	deleg_learn_response(d, m, addr, alen, &v, now);
	free(m);
	return r;
}

static bool serves(struct deleg *d, const char *server, const char *zone, uint64_t now)
{
	uint8_t addr[16];
	uint8_t alen = strchr(server, ':') ? 16 : 4;
	struct mb z = { 0 };

	assert_int_equal(inet_pton(alen == 4 ? AF_INET : AF_INET6, server, addr), 1);
	mb_name(&z, zone);
	return deleg_serves(d, addr, alen, z.b, (uint8_t)z.n, now);
}

#define ROOT "198.51.100.10"
#define TLD "2001:db8:100::20"
#define ROGUE "198.51.100.66"
#define PROV1 "198.51.100.130"
#define PROV2 "198.51.100.131"
#define CORP "198.51.100.140"

static struct deleg *new_table(void)
{
	struct deleg_params p = { .max_pairs = 1024, .max_nameservers = 1024,
				  .max_age_sec = 86400 };
	struct deleg *d = deleg_create(&p);

	assert_non_null(d);
	return d;
}

static char hints_path[64];

static struct deleg *with_hints(void)
{
	struct deleg *d = new_table();
	char err[256];

	assert_int_equal(deleg_load_hints(d, "tests/captures/conf/root.hints", err, sizeof(err)),
			 1);
	assert_true(deleg_has_hints(d));
	return d;
}

#define N(a) (sizeof(a) / sizeof(a[0]))

/* root -> test. -> evil.test. (to the rogue), as a real resolver walks it. */
static void walk_to_evil(struct deleg *d)
{
	static const struct rr_spec priming[] = {
		{ AN, ".", DNS_TYPE_NS, "a.root-servers.test" },
		{ AR, "a.root-servers.test", DNS_TYPE_A, ROOT },
	};
	struct result r = exchange(d, ROOT, 10, build(FLAG_AA, ".", DNS_TYPE_NS, priming,
						      N(priming)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, ".");

	static const struct rr_spec to_tld[] = {
		{ NS, "test", DNS_TYPE_NS, "ns1.nic.test" },
		{ AR, "ns1.nic.test", DNS_TYPE_AAAA, TLD },
	};
	r = exchange(d, ROOT, 10, build(0, "test", DNS_TYPE_A, to_tld, N(to_tld)));
	assert_string_equal(r.bailiwick, ".");
	assert_int_equal(r.delivered, 2);
	assert_true(serves(d, TLD, "test", 10));

	static const struct rr_spec to_evil[] = {
		{ NS, "evil.test", DNS_TYPE_NS, "ns.evil.test" },
		{ AR, "ns.evil.test", DNS_TYPE_A, ROGUE },
	};
	r = exchange(d, TLD, 10, build(0, "evil.test", DNS_TYPE_A, to_evil, N(to_evil)));
	assert_string_equal(r.bailiwick, "test.");
	assert_true(serves(d, ROGUE, "evil.test", 10));
}

/* ---- tests --------------------------------------------------------------- */

static void a_delegated_server_speaks_for_its_zone_only(void **state)
{
	(void)state;
	struct deleg *d = with_hints();

	walk_to_evil(d);
	/* The forgery: ". SOA" and ". NS" in authority, other zones' data in
	 * additional. Only www.evil.test is the rogue's to say. */
	static const struct rr_spec forged[] = {
		{ AN, "www.evil.test", DNS_TYPE_A, "192.0.2.66" },
		{ NS, ".", DNS_TYPE_SOA, "ns.evil.test hostmaster.evil.test" },
		{ NS, ".", DNS_TYPE_NS, "ns.evil.test" },
		{ AR, "www.victim.test", DNS_TYPE_A, "192.0.2.99" },
		{ AR, "ns.evil.test", DNS_TYPE_A, ROGUE },
	};
	struct result r = exchange(d, ROGUE, 11, build(FLAG_AA, "www.evil.test", DNS_TYPE_A,
						       forged, N(forged)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, "evil.test.");
	assert_true(r.claim_refused);
	assert_int_equal(r.delivered, 2);
	assert_true(delivered(&r, "www.evil.test."));
	assert_true(delivered(&r, "ns.evil.test."));
	assert_int_equal(r.dropped[AN], 0);
	assert_int_equal(r.dropped[NS], 2);
	assert_int_equal(r.dropped[AR], 1);
	/* Nothing was learned from the refused claims. */
	assert_false(serves(d, ROGUE, ".", 11));
	assert_false(serves(d, ROGUE, "test", 11));
	assert_false(serves(d, ROGUE, "victim.test", 11));

	/* NXDOMAIN with the TLD's SOA: the SOA is not the rogue's. */
	static const struct rr_spec nx[] = {
		{ NS, "test", DNS_TYPE_SOA, "ns1.nic.test hostmaster.test" },
	};
	r = exchange(d, ROGUE, 12, build(FLAG_AA | NXDOMAIN, "nx.evil.test", DNS_TYPE_A, nx,
					 N(nx)));
	assert_string_equal(r.bailiwick, "evil.test.");
	assert_true(r.claim_refused);
	assert_int_equal(r.delivered, 0);
	assert_int_equal(r.dropped[NS], 1);

	/* A referral-shaped answer for a sibling zone: neither the NS nor any pair for
	 * bank.test is taken; the glue is the rogue's own name, so it is its to say. */
	static const struct rr_spec bank[] = {
		{ NS, "bank.test", DNS_TYPE_NS, "ns.evil.test" },
		{ AR, "ns.evil.test", DNS_TYPE_A, ROGUE },
	};
	r = exchange(d, ROGUE, 13, build(0, "www.evil.test", DNS_TYPE_A, bank, N(bank)));
	assert_string_equal(r.bailiwick, "evil.test.");
	assert_int_equal(r.dropped[NS], 1);
	assert_false(delivered(&r, "bank.test."));
	assert_false(serves(d, ROGUE, "bank.test", 13));
	/* A later answer about bank.test from the rogue finds no chain. */
	static const struct rr_spec bank_a[] = {
		{ AN, "www.bank.test", DNS_TYPE_A, "192.0.2.98" },
	};
	r = exchange(d, ROGUE, 14, build(FLAG_AA, "www.bank.test", DNS_TYPE_A, bank_a,
					 N(bank_a)));
	assert_int_equal(r.outcome, DELEG_UNKNOWN);
	deleg_free(d);
}

static void a_server_cannot_widen_by_delegating_above_itself(void **state)
{
	(void)state;
	struct deleg *d = with_hints();

	walk_to_evil(d);
	/* The rogue "delegates" test. and victim.test to itself, with glue: all refused. */
	static const struct rr_spec up[] = {
		{ NS, "test", DNS_TYPE_NS, "ns.evil.test" },
		{ NS, "victim.test", DNS_TYPE_NS, "ns.victim.test" },
		{ AR, "ns.victim.test", DNS_TYPE_A, ROGUE },
		{ AR, "ns.evil.test", DNS_TYPE_A, ROGUE },
	};
	struct result r = exchange(d, ROGUE, 11, build(0, "www.evil.test", DNS_TYPE_A, up, N(up)));
	assert_string_equal(r.bailiwick, "evil.test.");
	assert_int_equal(r.dropped[NS], 2);
	assert_int_equal(r.dropped[AR], 1);
	assert_false(serves(d, ROGUE, "test", 11));
	assert_false(serves(d, ROGUE, "victim.test", 11));
	/* But a delegation below its own zone is its to make. */
	static const struct rr_spec down[] = {
		{ NS, "sub.evil.test", DNS_TYPE_NS, "ns.sub.evil.test" },
		{ AR, "ns.sub.evil.test", DNS_TYPE_A, "198.51.100.67" },
	};
	r = exchange(d, ROGUE, 12, build(0, "www.sub.evil.test", DNS_TYPE_A, down, N(down)));
	assert_string_equal(r.bailiwick, "evil.test.");
	assert_int_equal(r.delivered, 2);
	assert_true(serves(d, "198.51.100.67", "sub.evil.test", 12));
	deleg_free(d);
}

static void provider_hosted_nameservers_connect_in_either_order(void **state)
{
	(void)state;
	struct deleg *d = with_hints();

	walk_to_evil(d);
	/* net. from the root with glue, provider.net from net. with glue. */
	static const struct rr_spec to_net[] = {
		{ NS, "net", DNS_TYPE_NS, "a.gtld.net" },
		{ AR, "a.gtld.net", DNS_TYPE_A, "198.51.100.120" },
	};
	exchange(d, ROOT, 20, build(0, "net", DNS_TYPE_A, to_net, N(to_net)));
	static const struct rr_spec to_prov[] = {
		{ NS, "provider.net", DNS_TYPE_NS, "ns1.provider.net" },
		{ AR, "ns1.provider.net", DNS_TYPE_A, PROV1 },
	};
	exchange(d, "198.51.100.120", 20, build(0, "provider.net", DNS_TYPE_A, to_prov,
						N(to_prov)));
	/* Order 1: test. delegates shop.test to ns2.provider.net, no glue (it is not in
	 * test.); the address comes later, from provider.net's own server. */
	static const struct rr_spec shop[] = {
		{ NS, "shop.test", DNS_TYPE_NS, "ns2.provider.net" },
	};
	struct result r = exchange(d, TLD, 21, build(0, "shop.test", DNS_TYPE_A, shop, N(shop)));
	assert_string_equal(r.bailiwick, "test.");
	assert_false(serves(d, PROV2, "shop.test", 21));
	static const struct rr_spec ns2[] = {
		{ AN, "ns2.provider.net", DNS_TYPE_A, PROV2 },
	};
	r = exchange(d, PROV1, 22, build(FLAG_AA, "ns2.provider.net", DNS_TYPE_A, ns2, N(ns2)));
	assert_string_equal(r.bailiwick, "provider.net.");
	assert_true(serves(d, PROV2, "shop.test", 22));
	static const struct rr_spec www[] = {
		{ AN, "www.shop.test", DNS_TYPE_CNAME, "shop.cdn.org" },
		{ AN, "shop.cdn.org", DNS_TYPE_A, "192.0.2.5" },
	};
	r = exchange(d, PROV2, 23, build(FLAG_AA, "www.shop.test", DNS_TYPE_A, www, N(www)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, "shop.test.");
	/* The CNAME target lives in another zone: not this server's to say. */
	assert_int_equal(r.delivered, 1);
	assert_int_equal(r.dropped[AN], 1);

	/* Order 2: the address is known first (ns1.provider.net), the delegation of
	 * blog.test to it arrives after. */
	static const struct rr_spec blog[] = {
		{ NS, "blog.test", DNS_TYPE_NS, "ns1.provider.net" },
	};
	exchange(d, TLD, 24, build(0, "blog.test", DNS_TYPE_A, blog, N(blog)));
	assert_true(serves(d, PROV1, "blog.test", 24));
	/* Out-of-zone glue in a referral is not learned: test. cannot say where
	 * provider.net's servers are. */
	static const struct rr_spec bad_glue[] = {
		{ NS, "cake.test", DNS_TYPE_NS, "ns9.provider.net" },
		{ AR, "ns9.provider.net", DNS_TYPE_A, "198.51.100.199" },
	};
	r = exchange(d, TLD, 25, build(0, "cake.test", DNS_TYPE_A, bad_glue, N(bad_glue)));
	assert_int_equal(r.dropped[AR], 1);
	assert_false(serves(d, "198.51.100.199", "cake.test", 25));
	deleg_free(d);
}

static void the_message_narrows_only_inside_the_clamp(void **state)
{
	(void)state;
	struct deleg *d = with_hints();

	walk_to_evil(d);
	static const struct rr_spec corp[] = {
		{ NS, "corp.test", DNS_TYPE_NS, "ns.corp.test" },
		{ AR, "ns.corp.test", DNS_TYPE_A, CORP },
	};
	exchange(d, TLD, 30, build(0, "corp.test", DNS_TYPE_A, corp, N(corp)));
	/* The same server serves the child sub.corp.test: its NODATA says so by SOA. */
	static const struct rr_spec sub_nodata[] = {
		{ NS, "sub.corp.test", DNS_TYPE_SOA, "ns.corp.test hostmaster.corp.test" },
	};
	struct result r = exchange(d, CORP, 31, build(FLAG_AA, "sub.corp.test", DNS_TYPE_A,
						      sub_nodata, N(sub_nodata)));
	assert_int_equal(r.outcome, DELEG_NARROWED);
	assert_string_equal(r.bailiwick, "sub.corp.test.");
	assert_int_equal(r.delivered, 1);
	/* Learned: later answers without an SOA get the child too. */
	static const struct rr_spec www[] = {
		{ AN, "www.sub.corp.test", DNS_TYPE_A, "192.0.2.40" },
	};
	r = exchange(d, CORP, 32, build(FLAG_AA, "www.sub.corp.test", DNS_TYPE_A, www, N(www)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, "sub.corp.test.");
	/* DS of the child is the parent's, even from the server of both. */
	static const struct rr_spec ds_nodata[] = {
		{ NS, "corp.test", DNS_TYPE_SOA, "ns.corp.test hostmaster.corp.test" },
	};
	r = exchange(d, CORP, 33, build(FLAG_AA, "sub.corp.test", DNS_TYPE_DS, ds_nodata,
					N(ds_nodata)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, "corp.test.");
	assert_int_equal(r.delivered, 1);
	/* Without AA an SOA narrows nothing. */
	static const struct rr_spec x_soa[] = {
		{ NS, "x.corp.test", DNS_TYPE_SOA, "ns.corp.test hostmaster.corp.test" },
	};
	r = exchange(d, CORP, 34, build(0, "a.x.corp.test", DNS_TYPE_A, x_soa, N(x_soa)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_string_equal(r.bailiwick, "corp.test.");
	/* An SOA beside the qname (not an ancestor of it) narrows nothing either. */
	static const struct rr_spec beside[] = {
		{ AN, "www.corp.test", DNS_TYPE_A, "192.0.2.41" },
		{ NS, "other.corp.test", DNS_TYPE_SOA, "ns.corp.test hostmaster.corp.test" },
	};
	r = exchange(d, CORP, 35, build(FLAG_AA, "www.corp.test", DNS_TYPE_A, beside,
					N(beside)));
	assert_string_equal(r.bailiwick, "corp.test.");
	/* Narrowing by NS: only when the NS RRset lists this server. */
	static const struct rr_spec ns_other[] = {
		{ AN, "www.dept.corp.test", DNS_TYPE_A, "192.0.2.42" },
		{ NS, "dept.corp.test", DNS_TYPE_NS, "ns.elsewhere.test" },
	};
	r = exchange(d, CORP, 36, build(FLAG_AA, "www.dept.corp.test", DNS_TYPE_A, ns_other,
					N(ns_other)));
	assert_string_equal(r.bailiwick, "corp.test.");
	static const struct rr_spec ns_self[] = {
		{ AN, "www.lab.corp.test", DNS_TYPE_A, "192.0.2.43" },
		{ NS, "lab.corp.test", DNS_TYPE_NS, "ns.corp.test" },
	};
	r = exchange(d, CORP, 37, build(FLAG_AA, "www.lab.corp.test", DNS_TYPE_A, ns_self,
					N(ns_self)));
	assert_int_equal(r.outcome, DELEG_NARROWED);
	assert_string_equal(r.bailiwick, "lab.corp.test.");
	deleg_free(d);
}

static void an_unintroduced_server_teaches_nothing(void **state)
{
	(void)state;
	struct deleg *d = with_hints();

	static const struct rr_spec ref[] = {
		{ NS, "example.test", DNS_TYPE_NS, "ns1.example.test" },
		{ AR, "ns1.example.test", DNS_TYPE_A, "198.51.100.30" },
		{ NS, "test", DNS_TYPE_SOA, "ns1.nic.test hostmaster.test" },
	};
	struct result r = exchange(d, "198.51.100.77", 40, build(0, "www.example.test",
								 DNS_TYPE_A, ref, N(ref)));
	assert_int_equal(r.outcome, DELEG_UNKNOWN);
	assert_string_equal(r.bailiwick, "");
	assert_int_equal(r.delivered, 3);	/* recorded without a bailiwick */
	assert_false(serves(d, "198.51.100.30", "example.test", 40));
	/* With hints, a priming answer from a server that is not a hinted root is unknown. */
	static const struct rr_spec fake_priming[] = {
		{ AN, ".", DNS_TYPE_NS, "a.fake-root.test" },
		{ AR, "a.fake-root.test", DNS_TYPE_A, "198.51.100.77" },
	};
	r = exchange(d, "198.51.100.77", 41, build(FLAG_AA, ".", DNS_TYPE_NS, fake_priming,
						   N(fake_priming)));
	assert_int_equal(r.outcome, DELEG_UNKNOWN);
	assert_false(serves(d, "198.51.100.77", ".", 41));
	deleg_free(d);
}

static void without_hints_the_root_is_learned_from_priming(void **state)
{
	(void)state;
	struct deleg *d = new_table();

	assert_false(deleg_has_hints(d));
	/* A server that does not list itself among the root's servers is not a root. */
	static const struct rr_spec not_self[] = {
		{ AN, ".", DNS_TYPE_NS, "a.root-servers.test" },
		{ AR, "a.root-servers.test", DNS_TYPE_A, ROOT },
	};
	struct result r = exchange(d, "198.51.100.77", 1, build(FLAG_AA, ".", DNS_TYPE_NS,
								not_self, N(not_self)));
	assert_int_equal(r.outcome, DELEG_UNKNOWN);
	/* Not AA: not a priming answer. */
	r = exchange(d, ROOT, 1, build(0, ".", DNS_TYPE_NS, not_self, N(not_self)));
	assert_int_equal(r.outcome, DELEG_UNKNOWN);
	r = exchange(d, ROOT, 2, build(FLAG_AA, ".", DNS_TYPE_NS, not_self, N(not_self)));
	assert_int_equal(r.outcome, DELEG_PRIMING);
	assert_string_equal(r.bailiwick, ".");
	assert_true(serves(d, ROOT, ".", 2));
	/* From then on the root's referrals follow the chain. */
	static const struct rr_spec to_tld[] = {
		{ NS, "test", DNS_TYPE_NS, "ns1.nic.test" },
		{ AR, "ns1.nic.test", DNS_TYPE_AAAA, TLD },
	};
	r = exchange(d, ROOT, 3, build(0, "test", DNS_TYPE_A, to_tld, N(to_tld)));
	assert_int_equal(r.outcome, DELEG_CHAIN);
	assert_true(serves(d, TLD, "test", 3));
	deleg_free(d);
}

static void facts_age_out_unless_refreshed_but_hints_stay(void **state)
{
	(void)state;
	struct deleg *d = with_hints();	/* max_age 86400 */

	walk_to_evil(d);		/* learned at t=10 */
	assert_true(serves(d, ROGUE, "evil.test", 10 + 86400));
	assert_false(serves(d, ROGUE, "evil.test", 10 + 86401));
	assert_true(serves(d, ROOT, ".", 10 + 86401));	/* pinned */
	/* A referral seen again refreshes the pair. */
	static const struct rr_spec to_evil[] = {
		{ NS, "evil.test", DNS_TYPE_NS, "ns.evil.test" },
		{ AR, "ns.evil.test", DNS_TYPE_A, ROGUE },
	};
	exchange(d, TLD, 80000, build(0, "evil.test", DNS_TYPE_A, to_evil, N(to_evil)));
	assert_true(serves(d, ROGUE, "evil.test", 10 + 86401));
	deleg_free(d);
}

static void the_table_is_bounded_and_evicts_the_stalest(void **state)
{
	(void)state;
	struct deleg_params p = { .max_pairs = 64, .max_nameservers = 64, .max_age_sec = 0 };
	struct deleg *d = deleg_create(&p);
	uint8_t zone[] = "\4zone\4test";	/* 11 octets with the root label */

	assert_non_null(d);
	for (unsigned i = 0; i < 640; i++) {
		uint8_t srv[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
		deleg_learn_pair(d, srv, 4, zone, sizeof(zone), i, false);
	}
	const struct deleg_stats *st = deleg_stats(d);
	assert_int_equal(st->pairs_learned, 640);
	assert_true(st->pairs_used <= 64);
	assert_int_equal(st->pairs_used + st->pairs_evicted, 640);
	/* The newest pair is there, the first long gone. */
	uint8_t last[4] = { 198, 18, 2, 127 }, first[4] = { 198, 18, 0, 0 };
	assert_true(deleg_serves(d, last, 4, zone, sizeof(zone), 640));
	assert_false(deleg_serves(d, first, 4, zone, sizeof(zone), 640));
	/* Nameserver names are bounded too. */
	for (unsigned i = 0; i < 640; i++) {
		uint8_t ns[] = "\2ns\4abcd\4test";
		ns[4] = (uint8_t)('a' + i % 26);
		ns[5] = (uint8_t)('a' + i / 26 % 26);
		deleg_learn_ns(d, zone, sizeof(zone), ns, sizeof(ns), i, false);
	}
	assert_true(st->ns_used <= 64);
	assert_int_equal(st->ns_used + st->ns_evicted, st->ns_learned);
	/* Invalid parameters. */
	struct deleg_params bad = { 0 };
	assert_null(deleg_create(&bad));
	assert_null(deleg_create(NULL));
	deleg_free(d);
}

static int write_hints(const char *text)
{
	FILE *f;

	snprintf(hints_path, sizeof(hints_path), "/tmp/dnsift-hints-%d", (int)getpid());
	f = fopen(hints_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return 0;
}

static void root_hints_in_the_named_root_format(void **state)
{
	(void)state;
	struct deleg *d = new_table();
	char err[256];

	/* BIND's named.root shape: TTL, no class, AAAA too, comments, $TTL ignored. */
	write_hints("; comment\n$TTL 3600000\n"
		    ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
		    "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
		    "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
		    ".                        3600000 IN   NS    b.root-servers.net\n"
		    "b.root-servers.net.      IN 3600000   A     170.247.170.2 ; trailing\n");
	assert_int_equal(deleg_load_hints(d, hints_path, err, sizeof(err)), 3);
	assert_true(serves(d, "198.41.0.4", ".", 1));
	assert_true(serves(d, "2001:503:ba3e::2:30", ".", 1));
	assert_true(serves(d, "170.247.170.2", ".", 1));
	assert_false(serves(d, "198.41.0.5", ".", 1));
	deleg_free(d);

	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ ". NS a.root\na.root A 300.1.1.1\n", ":2: bad or too many addresses" },
		{ "test. NS a.root\n", ":1: NS for 'test.'" },
		{ ". NS a.root\na.root MX 10 x\n", ":2: expected OWNER" },
		{ ". NS a.root\na.root TXT x\n", ":2: type TXT not expected" },
		{ "$ORIGIN .\n", ":1: directive $ORIGIN" },
		{ ". NS a.root\nb.root A 192.0.2.1\n", "no address of a root nameserver" },
		{ "", "no address of a root nameserver" },
	};
	for (unsigned i = 0; i < N(bad); i++) {
		d = new_table();
		write_hints(bad[i].text);
		err[0] = '\0';
		assert_int_equal(deleg_load_hints(d, hints_path, err, sizeof(err)),
				 -DNSIFT_ECONFIG);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("hints %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_false(deleg_has_hints(d));
		deleg_free(d);
	}
	unlink(hints_path);
	d = new_table();
	assert_int_equal(deleg_load_hints(d, "/nonexistent/hints", err, sizeof(err)),
			 -DNSIFT_EIO);
	deleg_free(d);
}

/* Two workers learning and looking up at once: no lookup ever finds a pair
 * nobody learned (a torn slot decodes to noise, not to another name's facts). */
struct race {
	struct deleg *d;
	unsigned id;
	unsigned false_hits;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	uint8_t zone[] = "\4zone\4test";

	for (unsigned i = 0; i < 200000; i++) {
		uint8_t ns[] = "\3nsx\4test";
		uint8_t addr[4] = { 10, (uint8_t)r->id, (uint8_t)(i >> 8), (uint8_t)i };
		ns[3] = (uint8_t)('a' + i % 16);
		zone[1] = (uint8_t)('a' + i % 16);
		deleg_learn_ns(r->d, zone, sizeof(zone), ns, sizeof(ns), i, false);
		deleg_learn_addr(r->d, ns, sizeof(ns), addr, 4, i, false);
		/* Addresses in 11.x were never learned by anyone. */
		uint8_t never[4] = { 11, (uint8_t)r->id, (uint8_t)(i >> 8), (uint8_t)i };
		if (deleg_serves(r->d, never, 4, zone, sizeof(zone), i))
			r->false_hits++;
	}
	return NULL;
}

static void concurrent_learners_never_make_a_false_pair(void **state)
{
	(void)state;
	struct deleg_params p = { .max_pairs = 256, .max_nameservers = 64, .max_age_sec = 0 };
	struct deleg *d = deleg_create(&p);
	pthread_t t[2];
	struct race r[2] = { { d, 1, 0 }, { d, 2, 0 } };

	assert_non_null(d);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].false_hits + r[1].false_hits, 0);
	assert_true(deleg_stats(d)->pairs_learned > 0);
	deleg_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_delegated_server_speaks_for_its_zone_only),
		cmocka_unit_test(a_server_cannot_widen_by_delegating_above_itself),
		cmocka_unit_test(provider_hosted_nameservers_connect_in_either_order),
		cmocka_unit_test(the_message_narrows_only_inside_the_clamp),
		cmocka_unit_test(an_unintroduced_server_teaches_nothing),
		cmocka_unit_test(without_hints_the_root_is_learned_from_priming),
		cmocka_unit_test(facts_age_out_unless_refreshed_but_hints_stay),
		cmocka_unit_test(the_table_is_bounded_and_evicts_the_stalest),
		cmocka_unit_test(root_hints_in_the_named_root_format),
		cmocka_unit_test(concurrent_learners_never_make_a_false_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
