/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire/dns: every supported RR type decoded to its canonical form from
 * hand-built messages, and every reject code triggered by a message that
 * breaks exactly one rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/dns.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

/* ---- message builder ---------------------------------------------------- */

/* What a byte is, for the truncation test: the error a cut before it must give. */
enum part { P_HEADER, P_QNAME, P_QFIXED, P_OWNER, P_RRFIXED, P_RDATA };

struct mb {
	size_t n;
	enum part cur;
	uint8_t b[140000];
	uint8_t part[140000];
};

static struct mb *mb_new(void)
{
	struct mb *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

static void mb_u8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->part[m->n] = (uint8_t)m->cur;
	m->b[m->n++] = (uint8_t)v;
}

static void mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 8);
	mb_u8(m, v & 0xFF);
}

static void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, v >> 16);
	mb_u16(m, v & 0xFFFF);
}

static void mb_bytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(m, ((const uint8_t *)p)[i]);
}

static void mb_fill(struct mb *m, unsigned v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(m, v);
}

/* Labels of a dotted name, without the terminating root label. */
static void mb_labels(struct mb *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		mb_u8(m, (unsigned)l);
		mb_bytes(m, s, l);
		s += l + (dot ? 1 : 0);
	}
}

/* A whole uncompressed name; "" or "." is the root. */
static void mb_name(struct mb *m, const char *s)
{
	if (strcmp(s, ".") != 0)
		mb_labels(m, s);
	mb_u8(m, 0);
}

/* Labels, then a compression pointer to off. */
static void mb_name_ptr(struct mb *m, const char *labels, unsigned off)
{
	mb_labels(m, labels);
	mb_u16(m, 0xC000 | off);
}

/* A character-string. */
static void mb_str(struct mb *m, const char *s)
{
	mb_u8(m, (unsigned)strlen(s));
	mb_bytes(m, s, strlen(s));
}

static void mb_header(struct mb *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
		      unsigned ar)
{
	m->n = 0;
	m->cur = P_HEADER;
	mb_u16(m, 0x1234);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
}

/* Question at offset 12: "\7Example\3COM\0" (example.com at 12, com at 20). */
#define OFF_EXAMPLE 12
#define OFF_COM 20
#define FLAGS_RESPONSE 0x8180	/* QR, RD, RA */

static void mb_question(struct mb *m, const char *qname, unsigned qtype)
{
	m->cur = P_QNAME;
	mb_name(m, qname);
	m->cur = P_QFIXED;
	mb_u16(m, qtype);
	mb_u16(m, 1);
}

static void mb_msg(struct mb *m, unsigned qtype, unsigned an, unsigned ns, unsigned ar)
{
	mb_header(m, FLAGS_RESPONSE, 1, an, ns, ar);
	mb_question(m, "Example.COM", qtype);
}

/* RR header after an owner already written; returns where RDLENGTH goes. */
static size_t mb_rr_fixed(struct mb *m, unsigned type, unsigned rrclass, uint32_t ttl)
{
	m->cur = P_RRFIXED;
	mb_u16(m, type);
	mb_u16(m, rrclass);
	mb_u32(m, ttl);
	size_t at = m->n;

	mb_u16(m, 0);
	m->cur = P_RDATA;
	return at;
}

/* Owner 0xC00C (example.com), class IN, TTL 3600. */
static size_t mb_rr(struct mb *m, unsigned type)
{
	m->cur = P_OWNER;
	mb_u16(m, 0xC000 | OFF_EXAMPLE);
	return mb_rr_fixed(m, type, 1, 3600);
}

static void mb_rr_end(struct mb *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

static struct dns_msg *msg_new(void)
{
	struct dns_msg *d = malloc(sizeof(*d));

	assert_non_null(d);
	/* Garbage, not zeros: the parser must not depend on a cleared struct. */
	memset(d, 0xA5, sizeof(*d));
	return d;
}

/* Parse an exactly-sized heap copy so ASan catches any read past the end. */
static int parse_exact(const uint8_t *b, size_t n, struct dns_msg *d)
{
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	if (n)
		memcpy(copy, b, n);
	int rc = dns_parse(copy, n, d);

	free(copy);
	return rc;
}

static int parse_mb(const struct mb *m, struct dns_msg *d)
{
	return parse_exact(m->b, m->n, d);
}

static const uint8_t EXAMPLE_COM[] = "\7example\3com";	/* + NUL = root label */

/* ---- one test per RR type ------------------------------------------------ */

/*
 * Build "Example.COM IN <type>" with one answer (owner 0xC00C) whose rdata
 * fill() writes on the wire and in canonical form into want, then check the
 * parser produced exactly want.
 */
static void check_type(unsigned type, void (*fill)(struct mb *wire, struct mb *want))
{
	struct mb *w = mb_new();
	struct mb *want = mb_new();
	struct dns_msg *d = msg_new();

	mb_msg(w, type, 1, 0, 0);
	size_t at = mb_rr(w, type);

	fill(w, want);
	mb_rr_end(w, at);
	int rc = parse_mb(w, d);

	if (rc != 0)
		fail_msg("type %u: %s", type, dnsift_strerror(rc));
	assert_int_equal(d->rr_count, 1);
	assert_int_equal(d->rr[0].rrtype, type);
	assert_int_equal(d->rr[0].rrclass, 1);
	assert_int_equal(d->rr[0].ttl, 3600);
	assert_int_equal(d->rr[0].section, DNS_SECTION_ANSWER);
	assert_int_equal(d->rr[0].owner_len, sizeof(EXAMPLE_COM));
	assert_memory_equal(d->rr[0].owner, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	assert_int_equal(d->rr[0].rdlen, want->n);
	if (want->n)
		assert_memory_equal(d->rr[0].rdata, want->b, want->n);
	assert_int_equal(d->qname_len, sizeof(EXAMPLE_COM));
	assert_memory_equal(d->qname, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	assert_int_equal(d->qtype, type);
	assert_int_equal(d->trailing, 0);
	free(w);
	free(want);
	free(d);
}

static const uint8_t DIGEST32[32] = { 0xDE, 0xAD, 0xBE, 0xEF, 'A', 'B', 'C', 0xC0, 0x0C };

/* Same octets on the wire and in canonical form. */
static void both(struct mb *w, struct mb *e, const void *p, size_t n)
{
	mb_bytes(w, p, n);
	mb_bytes(e, p, n);
}

static void fill_a(struct mb *w, struct mb *e)
{
	both(w, e, "\xC0\x00\x02\x01", 4);
}

static void fill_aaaa(struct mb *w, struct mb *e)
{
	both(w, e, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
}

/* Single compressed name types: NS, CNAME, MB, MG, MR. */
static void fill_host_ptr(struct mb *w, struct mb *e)
{
	mb_name_ptr(w, "NS1", OFF_EXAMPLE);
	mb_name(e, "ns1.example.com");
}

static void fill_ptr(struct mb *w, struct mb *e)
{
	mb_name(w, "1.2.0.192.IN-ADDR.ARPA");
	mb_name(e, "1.2.0.192.in-addr.arpa");
}

static void fill_dname(struct mb *w, struct mb *e)
{
	mb_u16(w, 0xC000 | OFF_COM);	/* a pointer into the middle of the qname */
	mb_name(e, "com");
}

/* MX, AFSDB, RT, KX: 16-bit preference and a compressed name. */
static void fill_pref_name(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x0a", 2);
	mb_name_ptr(w, "Mail", OFF_EXAMPLE);
	mb_name(e, "mail.example.com");
}

static void fill_soa(struct mb *w, struct mb *e)
{
	mb_name_ptr(w, "NS1", OFF_EXAMPLE);
	mb_name(e, "ns1.example.com");
	mb_name_ptr(w, "HostMaster", OFF_EXAMPLE);
	mb_name(e, "hostmaster.example.com");
	both(w, e, "\x78\x49\x04\x01\0\0\x0e\x10\0\0\x07\x08\0\x12\x75\0\0\0\x0e\x10", 20);
}

static void fill_txt(struct mb *w, struct mb *e)
{
	/* Text keeps its case; an empty string is legal. */
	mb_str(w, "Hello World");
	mb_str(e, "Hello World");
	mb_str(w, "");
	mb_str(e, "");
	mb_str(w, "v=DKIM1; K=rsa");
	mb_str(e, "v=DKIM1; K=rsa");
}

static void fill_spf(struct mb *w, struct mb *e)
{
	mb_str(w, "v=spf1 -ALL");
	mb_str(e, "v=spf1 -ALL");
}

static void fill_srv(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x0a\x00\x05\x13\xc4", 6);
	mb_name_ptr(w, "SIP", OFF_EXAMPLE);
	mb_name(e, "sip.example.com");
}

static void fill_naptr(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x64\x00\x0a", 4);
	mb_str(w, "U");
	mb_str(e, "U");
	mb_str(w, "E2U+sip");
	mb_str(e, "E2U+sip");
	mb_str(w, "!^.*$!sip:Info@Example.com!");
	mb_str(e, "!^.*$!sip:Info@Example.com!");
	mb_name_ptr(w, "_SIP._udp", OFF_EXAMPLE);
	mb_name(e, "_sip._udp.example.com");
}

static void fill_caa(struct mb *w, struct mb *e)
{
	mb_u8(w, 0x80);
	mb_u8(e, 0x80);
	mb_str(w, "issue");
	mb_str(e, "issue");
	both(w, e, "CA.example.NET", 14);
}

static void fill_ds(struct mb *w, struct mb *e)
{
	both(w, e, "\x30\x39\x08\x02", 4);
	both(w, e, DIGEST32, sizeof(DIGEST32));
}

static void fill_dnskey(struct mb *w, struct mb *e)
{
	both(w, e, "\x01\x01\x03\x08", 4);
	both(w, e, DIGEST32, sizeof(DIGEST32));
}

static void fill_rrsig(struct mb *w, struct mb *e)
{
	/* covered A, alg 8, 2 labels, TTL, expiration, inception, key tag */
	both(w, e, "\x00\x01\x08\x02\x00\x00\x0e\x10\x65\x00\x00\x00\x64\x00\x00\x00\x30\x39",
	     18);
	mb_name(w, "EXAMPLE.Com");	/* signer: uncompressed, folded */
	mb_name(e, "example.com");
	both(w, e, DIGEST32, sizeof(DIGEST32));	/* signature: as received */
}

static void fill_nsec(struct mb *w, struct mb *e)
{
	mb_name(w, "Host.EXAMPLE.com");
	mb_name(e, "host.example.com");
	both(w, e, "\x00\x06\x40\x01\x00\x00\x00\x03\x01\x01\x40", 11);
}

static void fill_nsec3(struct mb *w, struct mb *e)
{
	both(w, e, "\x01\x01\x00\x0a\x04\xaa\xbb\xcc\xdd\x14", 10);
	both(w, e, DIGEST32, 20);
	both(w, e, "\x00\x07\x62\x01\x00\x00\x00\x00\x02", 9);
}

static void fill_nsec3param(struct mb *w, struct mb *e)
{
	both(w, e, "\x01\x00\x00\x0a\x04\xaa\xbb\xcc\xdd", 9);
}

static void fill_sshfp(struct mb *w, struct mb *e)
{
	both(w, e, "\x01\x02", 2);
	both(w, e, DIGEST32, 32);
}

static void fill_tlsa(struct mb *w, struct mb *e)
{
	both(w, e, "\x03\x01\x01", 3);
	both(w, e, DIGEST32, 32);
}

static void fill_svcb(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x01", 2);
	mb_name(w, "SVC.Example.com");	/* target: never compressed, folded */
	mb_name(e, "svc.example.com");
	/* alpn="h2,h3", port=8443, in ascending key order */
	both(w, e, "\x00\x01\x00\x06\x02h2\x02h3\x00\x03\x00\x02\x20\xfb", 16);
}

static void fill_https(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x01\x00", 3);	/* priority 1, target "." */
	both(w, e, "\x00\x01\x00\x03\x02h2", 7);
}

static void fill_hinfo(struct mb *w, struct mb *e)
{
	mb_str(w, "INTEL-386");
	mb_str(e, "INTEL-386");
	mb_str(w, "Linux");
	mb_str(e, "Linux");
}

/* RP, MINFO: two compressed names. */
static void fill_two_names(struct mb *w, struct mb *e)
{
	mb_name_ptr(w, "Admin", OFF_EXAMPLE);
	mb_name(e, "admin.example.com");
	mb_name_ptr(w, "INFO", OFF_EXAMPLE);
	mb_name(e, "info.example.com");
}

static void fill_loc(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x12\x16\x13\x89\x17\x2d\xd0\x70\xbe\x15\xf0\x00\x98\x8d\x20", 16);
}

static void fill_uri(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x0a\x00\x01", 4);
	both(w, e, "https://WWW.example.com/", 24);
}

static void fill_zonemd(struct mb *w, struct mb *e)
{
	both(w, e, "\x78\x49\x04\x01\x01\x01", 6);
	both(w, e, DIGEST32, 32);
}

static void fill_px(struct mb *w, struct mb *e)
{
	both(w, e, "\x00\x0a", 2);
	mb_name_ptr(w, "Map822", OFF_EXAMPLE);
	mb_name(e, "map822.example.com");
	mb_name_ptr(w, "MAPX400", OFF_COM);
	mb_name(e, "mapx400.com");
}

static void fill_unknown(struct mb *w, struct mb *e)
{
	/* Opaque: what looks like a name or pointer stays as is. */
	both(w, e, "\xC0\x0C\x03" "ABC\x00", 7);
}

static void fill_ipseckey(struct mb *w, struct mb *e)
{
	both(w, e, "\x0a\x03\x02", 3);
	mb_name(w, "GW.Example.com");
	mb_name(e, "gw.example.com");
	both(w, e, DIGEST32, 8);
}

static void fill_a6(struct mb *w, struct mb *e)
{
	both(w, e, "\x40\0\0\0\0\0\0\0\x01", 9);	/* prefix 64, 8 suffix octets */
	mb_name_ptr(w, "Prefix", OFF_EXAMPLE);
	mb_name(e, "prefix.example.com");
}

#define TYPE_TEST(name, type, fill) \
	static void test_type_##name(void **state) \
	{ \
		(void)state; \
		check_type(type, fill); \
	}

TYPE_TEST(a, DNS_TYPE_A, fill_a)
TYPE_TEST(aaaa, DNS_TYPE_AAAA, fill_aaaa)
TYPE_TEST(ns, DNS_TYPE_NS, fill_host_ptr)
TYPE_TEST(cname, DNS_TYPE_CNAME, fill_host_ptr)
TYPE_TEST(ptr, DNS_TYPE_PTR, fill_ptr)
TYPE_TEST(dname, DNS_TYPE_DNAME, fill_dname)
TYPE_TEST(mx, DNS_TYPE_MX, fill_pref_name)
TYPE_TEST(soa, DNS_TYPE_SOA, fill_soa)
TYPE_TEST(txt, DNS_TYPE_TXT, fill_txt)
TYPE_TEST(spf, DNS_TYPE_SPF, fill_spf)
TYPE_TEST(srv, DNS_TYPE_SRV, fill_srv)
TYPE_TEST(naptr, DNS_TYPE_NAPTR, fill_naptr)
TYPE_TEST(caa, DNS_TYPE_CAA, fill_caa)
TYPE_TEST(ds, DNS_TYPE_DS, fill_ds)
TYPE_TEST(cds, DNS_TYPE_CDS, fill_ds)
TYPE_TEST(dnskey, DNS_TYPE_DNSKEY, fill_dnskey)
TYPE_TEST(cdnskey, DNS_TYPE_CDNSKEY, fill_dnskey)
TYPE_TEST(rrsig, DNS_TYPE_RRSIG, fill_rrsig)
TYPE_TEST(nsec, DNS_TYPE_NSEC, fill_nsec)
TYPE_TEST(nsec3, DNS_TYPE_NSEC3, fill_nsec3)
TYPE_TEST(nsec3param, DNS_TYPE_NSEC3PARAM, fill_nsec3param)
TYPE_TEST(sshfp, DNS_TYPE_SSHFP, fill_sshfp)
TYPE_TEST(tlsa, DNS_TYPE_TLSA, fill_tlsa)
TYPE_TEST(smimea, DNS_TYPE_SMIMEA, fill_tlsa)
TYPE_TEST(svcb, DNS_TYPE_SVCB, fill_svcb)
TYPE_TEST(https, DNS_TYPE_HTTPS, fill_https)
TYPE_TEST(hinfo, DNS_TYPE_HINFO, fill_hinfo)
TYPE_TEST(rp, DNS_TYPE_RP, fill_two_names)
TYPE_TEST(afsdb, DNS_TYPE_AFSDB, fill_pref_name)
TYPE_TEST(loc, DNS_TYPE_LOC, fill_loc)
TYPE_TEST(uri, DNS_TYPE_URI, fill_uri)
TYPE_TEST(zonemd, DNS_TYPE_ZONEMD, fill_zonemd)
TYPE_TEST(minfo, DNS_TYPE_MINFO, fill_two_names)
TYPE_TEST(mb, DNS_TYPE_MB, fill_host_ptr)
TYPE_TEST(mg, DNS_TYPE_MG, fill_host_ptr)
TYPE_TEST(mr, DNS_TYPE_MR, fill_host_ptr)
TYPE_TEST(kx, DNS_TYPE_KX, fill_pref_name)
TYPE_TEST(px, DNS_TYPE_PX, fill_px)
TYPE_TEST(rt, DNS_TYPE_RT, fill_pref_name)
TYPE_TEST(unknown_type_opaque, 65280, fill_unknown)
TYPE_TEST(ipseckey, DNS_TYPE_IPSECKEY, fill_ipseckey)
TYPE_TEST(a6, DNS_TYPE_A6, fill_a6)

/* ---- header, question, decompression ---------------------------------- */

static void test_header_fields_and_edns(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	/* QR AA TC RD RA AD CD, opcode 0, rcode 3 (NXDOMAIN) */
	mb_header(w, 0x8000 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 3, 1, 1, 0,
		  2);
	mb_question(w, "Example.COM", DNS_TYPE_A);
	mb_rr_end(w, mb_rr(w, DNS_TYPE_TKEY));	/* answer: TKEY, skipped */
	w->cur = P_OWNER;
	mb_u8(w, 0);
	/* OPT: udp 1232, ext rcode 1, version 0, DO */
	size_t at = mb_rr_fixed(w, DNS_TYPE_OPT, 1232, 0x01008000);

	mb_bytes(w, "\x00\x0a\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08", 12);	/* cookie */
	mb_rr_end(w, at);
	w->cur = P_OWNER;
	mb_u16(w, 0xC000 | OFF_EXAMPLE);
	at = mb_rr_fixed(w, DNS_TYPE_TSIG, 255, 0);
	mb_name(w, "hmac-sha256");
	mb_fill(w, 0, 16);
	mb_rr_end(w, at);

	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->id, 0x1234);
	assert_true(d->qr && d->aa && d->tc && d->rd && d->ra && d->ad && d->cd);
	assert_int_equal(d->opcode, 0);
	assert_int_equal(d->rcode, 3);
	assert_int_equal(d->qdcount, 1);
	assert_int_equal(d->ancount, 1);
	assert_int_equal(d->nscount, 0);
	assert_int_equal(d->arcount, 2);
	assert_true(d->has_question);
	assert_int_equal(d->qtype, DNS_TYPE_A);
	assert_int_equal(d->qclass, 1);
	assert_int_equal(d->rr_count, 0);
	assert_int_equal(d->skipped_opt, 1);
	assert_int_equal(d->skipped_tsig, 1);
	assert_int_equal(d->skipped_tkey, 1);
	assert_true(d->has_edns);
	assert_true(d->edns_do);
	assert_int_equal(d->edns_udp_size, 1232);
	assert_int_equal(d->edns_version, 0);
	assert_int_equal(d->edns_ext_rcode, 1);
	assert_int_equal(dns_msg_rcode(d), 0x13);
	free(w);
	free(d);
}

static void test_no_edns_fields_cleared_between_messages(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_header(w, FLAGS_RESPONSE, 1, 0, 0, 1);
	mb_question(w, "example.com", DNS_TYPE_A);
	w->cur = P_OWNER;
	mb_u8(w, 0);
	mb_rr_end(w, mb_rr_fixed(w, DNS_TYPE_OPT, 4096, 0x8000));
	assert_int_equal(parse_mb(w, d), 0);
	assert_true(d->has_edns);

	mb_msg(w, DNS_TYPE_A, 0, 0, 0);
	assert_int_equal(parse_mb(w, d), 0);
	assert_false(d->has_edns);
	assert_false(d->edns_do);
	assert_int_equal(d->skipped_opt, 0);
	free(w);
	free(d);
}

static void test_qdcount_zero_and_two_keep_first(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_header(w, FLAGS_RESPONSE, 0, 0, 0, 0);
	assert_int_equal(parse_mb(w, d), 0);
	assert_false(d->has_question);
	assert_int_equal(d->qdcount, 0);

	mb_header(w, FLAGS_RESPONSE, 2, 1, 0, 0);
	mb_question(w, "Example.COM", DNS_TYPE_A);
	w->cur = P_QNAME;
	mb_name_ptr(w, "WWW", OFF_EXAMPLE);
	w->cur = P_QFIXED;
	mb_u16(w, DNS_TYPE_AAAA);
	mb_u16(w, 1);
	size_t at = mb_rr(w, DNS_TYPE_A);

	mb_bytes(w, "\xC0\x00\x02\x01", 4);
	mb_rr_end(w, at);
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->qdcount, 2);
	assert_int_equal(d->qtype, DNS_TYPE_A);
	assert_memory_equal(d->qname, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	assert_int_equal(d->rr_count, 1);
	free(w);
	free(d);
}

static void test_pointers_into_earlier_names_and_rdata(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_msg(w, DNS_TYPE_A, 3, 0, 0);
	/* www.example.com CNAME Target.Example.com (rdata: "Target" + ptr) */
	w->cur = P_OWNER;
	mb_name_ptr(w, "WWW", OFF_EXAMPLE);
	size_t at = mb_rr_fixed(w, DNS_TYPE_CNAME, 1, 300);
	size_t target_off = w->n;

	mb_name_ptr(w, "Target", OFF_EXAMPLE);
	mb_rr_end(w, at);
	/* owner: a pointer into the CNAME's rdata */
	w->cur = P_OWNER;
	mb_u16(w, 0xC000 | (unsigned)target_off);
	at = mb_rr_fixed(w, DNS_TYPE_A, 1, 300);
	mb_bytes(w, "\xC6\x33\x64\x07", 4);
	mb_rr_end(w, at);
	/* owner: a label in front of a pointer to a pointer-ending name */
	w->cur = P_OWNER;
	mb_name_ptr(w, "V6", (unsigned)target_off);
	at = mb_rr_fixed(w, DNS_TYPE_AAAA, 1, 300);
	mb_fill(w, 0x20, 16);
	mb_rr_end(w, at);

	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->rr_count, 3);
	assert_int_equal(d->rr[0].owner_len, 17);
	assert_memory_equal(d->rr[0].owner, "\3www\7example\3com", 17);
	assert_memory_equal(d->rr[0].rdata, "\6target\7example\3com", 20);
	assert_memory_equal(d->rr[1].owner, "\6target\7example\3com", 20);
	assert_int_equal(d->rr[2].owner_len, 23);
	assert_memory_equal(d->rr[2].owner, "\2v6\6target\7example\3com", 23);
	assert_int_equal(d->odd_names, 0);
	free(w);
	free(d);
}

static void test_repeated_owner_pointer_reuses_and_stays_correct(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_msg(w, DNS_TYPE_A, 4, 0, 0);
	size_t at;

	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_A), mb_bytes(w, "\1\2\3\4", 4), at));
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_A), mb_bytes(w, "\1\2\3\5", 4), at));
	w->cur = P_OWNER;
	mb_u16(w, 0xC000 | OFF_COM);
	at = mb_rr_fixed(w, DNS_TYPE_A, 1, 1);
	mb_bytes(w, "\1\2\3\6", 4);
	mb_rr_end(w, at);
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_A), mb_bytes(w, "\1\2\3\7", 4), at));
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->rr_count, 4);
	assert_ptr_equal(d->rr[0].owner, d->rr[1].owner);	/* stored once */
	assert_memory_equal(d->rr[2].owner, "\3com", 5);
	assert_memory_equal(d->rr[3].owner, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	assert_memory_equal(d->rr[3].rdata, "\1\2\3\7", 4);
	free(w);
	free(d);
}

static void test_odd_labels_kept_and_counted(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_header(w, FLAGS_RESPONSE, 1, 3, 0, 0);
	mb_question(w, "Odd Name.example", DNS_TYPE_TXT);	/* space: odd */
	size_t at;
	/* "_dmarc" and "*": ordinary */
	w->cur = P_OWNER;
	mb_name(w, "_DMARC.example");
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_TXT, 1, 1), mb_str(w, "x"), at));
	w->cur = P_OWNER;
	mb_name(w, "*.example");
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_TXT, 1, 1), mb_str(w, "y"), at));
	/* 0xC3 0x84 (UTF-8) kept as is, A folded */
	w->cur = P_OWNER;
	mb_name(w, "\xC3\x84Z.example");
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_TXT, 1, 1), mb_str(w, "z"), at));
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->odd_names, 2);
	assert_memory_equal(d->qname, "\x08odd name\7example", 18);
	assert_memory_equal(d->rr[0].owner, "\6_dmarc\7example", 16);
	assert_memory_equal(d->rr[2].owner, "\3\xC3\x84z\7example", 13);
	free(w);
	free(d);
}

static void test_update_class_none_empty_rdata_accepted(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_header(w, 0x2800, 1, 0, 1, 0);	/* opcode UPDATE */
	mb_question(w, "example.com", 6);
	w->cur = P_OWNER;
	mb_name_ptr(w, "www", OFF_EXAMPLE);
	mb_rr_end(w, mb_rr_fixed(w, DNS_TYPE_A, DNS_CLASS_ANY, 0));
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->opcode, 5);
	assert_int_equal(d->rr_count, 1);
	assert_int_equal(d->rr[0].rdlen, 0);
	assert_int_equal(d->rr[0].section, DNS_SECTION_AUTHORITY);
	free(w);
	free(d);
}

static void test_trailing_octets_counted_not_rejected(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_msg(w, DNS_TYPE_A, 0, 0, 0);
	mb_fill(w, 0, 3);
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->trailing, 3);
	free(w);
	free(d);
}

static void test_sections_and_counts(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();
	size_t at;

	mb_msg(w, DNS_TYPE_A, 1, 1, 1);
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_A), mb_bytes(w, "\1\2\3\4", 4), at));
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_NS), mb_name_ptr(w, "ns", OFF_EXAMPLE), at));
	w->cur = P_OWNER;
	mb_name_ptr(w, "ns", OFF_EXAMPLE);
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_A, 1, 5), mb_bytes(w, "\1\2\3\5", 4), at));
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->rr[0].section, DNS_SECTION_ANSWER);
	assert_int_equal(d->rr[1].section, DNS_SECTION_AUTHORITY);
	assert_int_equal(d->rr[2].section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(d->section_rrs[DNS_SECTION_ANSWER], 1);
	assert_int_equal(d->section_rrs[DNS_SECTION_AUTHORITY], 1);
	assert_int_equal(d->section_rrs[DNS_SECTION_ADDITIONAL], 1);
	free(w);
	free(d);
}

/* ---- reject codes ------------------------------------------------------ */

static void expect_code(const struct mb *w, int code)
{
	struct dns_msg *d = msg_new();
	int rc = parse_mb(w, d);

	if (rc != code)
		fail_msg("want %s, got %s", dnsift_errname(code), dnsift_errname(rc));
	free(d);
}

static void test_reject_header_truncated(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	mb_header(w, 0, 0, 0, 0, 0);
	for (size_t n = 0; n < 12; n++) {
		struct dns_msg *d = msg_new();

		assert_int_equal(parse_exact(w->b, n, d), -DNSIFT_EDNS_HEADER_TRUNCATED);
		free(d);
	}
	free(w);
}

static void test_reject_question_truncated(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	mb_msg(w, DNS_TYPE_A, 0, 0, 0);
	w->n -= 1;
	expect_code(w, -DNSIFT_EDNS_QUESTION_TRUNCATED);
	free(w);
}

static void test_reject_name_truncated(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	mb_header(w, 0, 1, 0, 0, 0);
	mb_labels(w, "example.com");	/* no root label */
	expect_code(w, -DNSIFT_EDNS_NAME_TRUNCATED);
	mb_header(w, 0, 1, 0, 0, 0);
	mb_u8(w, 0xC0);			/* half a pointer */
	expect_code(w, -DNSIFT_EDNS_NAME_TRUNCATED);
	free(w);
}

static void test_reject_rr_truncated(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	mb_msg(w, DNS_TYPE_A, 1, 0, 0);
	mb_rr(w, DNS_TYPE_A);
	w->n -= 1;		/* RDLENGTH cut in half */
	expect_code(w, -DNSIFT_EDNS_RR_TRUNCATED);
	free(w);
}

static void test_reject_rdata_truncated(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	mb_msg(w, DNS_TYPE_A, 1, 0, 0);
	size_t at = mb_rr(w, DNS_TYPE_A);

	mb_bytes(w, "\1\2\3\4", 4);
	mb_rr_end(w, at);
	w->b[at + 1] = 5;	/* one more than there is */
	expect_code(w, -DNSIFT_EDNS_RDATA_TRUNCATED);
	free(w);
}

/* rdata given as raw octets (names uncompressed or pointing at 12). */
struct bad_rdata {
	uint16_t type;
	uint16_t len;
	const char *bytes;
	int code;
	const char *why;
};

#define ZEROS "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"

static const struct bad_rdata bad_rdata[] = {
	{ DNS_TYPE_A, 3, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "A of 3" },
	{ DNS_TYPE_A, 5, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "A of 5" },
	{ DNS_TYPE_AAAA, 15, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "AAAA of 15" },
	{ DNS_TYPE_AAAA, 4, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "AAAA of 4" },
	{ DNS_TYPE_NS, 0, "", -DNSIFT_EDNS_RDATA_LENGTH, "NS empty" },
	{ DNS_TYPE_MX, 2, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "MX without name" },
	{ DNS_TYPE_SOA, 21, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "SOA of 21" },
	{ DNS_TYPE_SRV, 6, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "SRV without name" },
	{ DNS_TYPE_RRSIG, 18, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "RRSIG without signer" },
	{ DNS_TYPE_DS, 3, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "DS of 3" },
	{ DNS_TYPE_DNSKEY, 3, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "DNSKEY of 3" },
	{ DNS_TYPE_NSEC3, 6, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "NSEC3 of 6" },
	{ DNS_TYPE_NSEC3PARAM, 4, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "NSEC3PARAM of 4" },
	{ DNS_TYPE_TLSA, 2, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "TLSA of 2" },
	{ DNS_TYPE_SSHFP, 1, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "SSHFP of 1" },
	{ DNS_TYPE_CAA, 2, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "CAA of 2" },
	{ DNS_TYPE_TXT, 0, "", -DNSIFT_EDNS_RDATA_LENGTH, "TXT empty" },
	{ DNS_TYPE_ZONEMD, 17, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "ZONEMD digest of 11" },
	{ DNS_TYPE_LOC, 15, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "LOC v0 of 15" },
	{ DNS_TYPE_EUI48, 8, ZEROS, -DNSIFT_EDNS_RDATA_LENGTH, "EUI48 of 8" },
	{ DNS_TYPE_CNAME, 5, "\3www\3", -DNSIFT_EDNS_RDATA_FORMAT, "name crosses rdata end" },
	{ DNS_TYPE_CNAME, 4, "\0\0\0\0", -DNSIFT_EDNS_RDATA_FORMAT, "octets after the name" },
	{ DNS_TYPE_MX, 5, "\0\1\xC0\x0C\0", -DNSIFT_EDNS_RDATA_FORMAT, "octet after MX name" },
	{ DNS_TYPE_SOA, 23, "\0\0" ZEROS, -DNSIFT_EDNS_RDATA_FORMAT, "SOA with 21 fixed" },
	{ DNS_TYPE_TXT, 3, "\3ab", -DNSIFT_EDNS_RDATA_FORMAT, "TXT string overruns" },
	{ DNS_TYPE_HINFO, 4, "\3x86", -DNSIFT_EDNS_RDATA_FORMAT, "HINFO one string" },
	{ DNS_TYPE_HINFO, 5, "\1a\1b\0", -DNSIFT_EDNS_RDATA_FORMAT, "HINFO three strings" },
	{ DNS_TYPE_NAPTR, 9, "\0\1\0\1\0\0\0\0\0", -DNSIFT_EDNS_RDATA_FORMAT, "NAPTR extra" },
	{ DNS_TYPE_NAPTR, 8, "\0\1\0\1\0\0\5\0", -DNSIFT_EDNS_RDATA_FORMAT, "NAPTR short str" },
	{ DNS_TYPE_RRSIG, 20, "\0\1\x08\2" "\0\0\0\0" "\0\0\0\0" "\0\0\0\0" "\0\0\xC0\x0C",
	  -DNSIFT_EDNS_RDATA_FORMAT, "RRSIG compressed signer" },
	{ DNS_TYPE_NSEC, 3, "\0\0\0", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC bitmap no octets" },
	{ DNS_TYPE_NSEC, 5, "\0\0\x21\x40", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC bitmap of 33" },
	{ DNS_TYPE_NSEC, 7, "\0\1\1\x40\0\1\x40", -DNSIFT_EDNS_RDATA_FORMAT,
	  "NSEC windows not ascending" },
	{ DNS_TYPE_NSEC, 4, "\0\0\2\x40", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC bitmap overruns" },
	{ DNS_TYPE_NSEC3, 7, "\1\0\0\1\0\0\0", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC3 empty hash" },
	{ DNS_TYPE_NSEC3, 8, "\1\0\0\1\3\1\1\1", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC3 salt over" },
	{ DNS_TYPE_NSEC3PARAM, 6, "\1\0\0\1\0\0", -DNSIFT_EDNS_RDATA_FORMAT, "NSEC3PARAM extra" },
	{ DNS_TYPE_CAA, 3, "\0\0x", -DNSIFT_EDNS_RDATA_FORMAT, "CAA empty tag" },
	{ DNS_TYPE_CAA, 4, "\0\5iss", -DNSIFT_EDNS_RDATA_FORMAT, "CAA tag overruns" },
	{ DNS_TYPE_CAA, 5, "\0\2i-x", -DNSIFT_EDNS_RDATA_FORMAT, "CAA tag not alnum" },
	{ DNS_TYPE_SVCB, 11, "\0\1\0\0\3\0\0\0\1\0\0", -DNSIFT_EDNS_RDATA_FORMAT,
	  "SVCB keys descending" },
	{ DNS_TYPE_SVCB, 7, "\0\1\0\0\1\0\5", -DNSIFT_EDNS_RDATA_FORMAT, "SVCB value over" },
	{ DNS_TYPE_HTTPS, 4, "\0\1\xC0\x0C", -DNSIFT_EDNS_RDATA_FORMAT, "HTTPS target pointer" },
	{ DNS_TYPE_SRV, 8, "\0\0\0\0\0\0\1a", -DNSIFT_EDNS_RDATA_FORMAT, "SRV name over" },
	{ DNS_TYPE_IPSECKEY, 3, "\1\4\1", -DNSIFT_EDNS_RDATA_FORMAT, "IPSECKEY gateway 4" },
	{ DNS_TYPE_A6, 2, "\x81\0", -DNSIFT_EDNS_RDATA_FORMAT, "A6 prefix 129" },
	{ DNS_TYPE_APL, 5, "\0\1\x21\x01\x0a", -DNSIFT_EDNS_RDATA_FORMAT, "APL v4 prefix 33" },
};

static void test_reject_bad_rdata_per_type(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	for (size_t i = 0; i < sizeof(bad_rdata) / sizeof(bad_rdata[0]); i++) {
		const struct bad_rdata *t = &bad_rdata[i];
		struct dns_msg *d = msg_new();

		mb_msg(w, t->type, 1, 0, 0);
		size_t at = mb_rr(w, t->type);

		mb_bytes(w, t->bytes, t->len);
		mb_rr_end(w, at);
		int rc = parse_mb(w, d);

		if (rc != t->code)
			fail_msg("%s: want %s, got %s", t->why, dnsift_errname(t->code),
				 dnsift_errname(rc));
		free(d);
	}
	free(w);
}

static void test_reject_label_types_0x40_0x80(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	static const uint8_t first[] = { 0x40, 0x41, 0x7F, 0x80, 0xBF };

	for (size_t i = 0; i < sizeof(first); i++) {
		mb_header(w, 0, 1, 0, 0, 0);
		mb_u8(w, first[i]);
		mb_fill(w, 'a', 200);
		mb_u8(w, 0);
		mb_u32(w, 0x00010001);
		expect_code(w, -DNSIFT_EDNS_NAME_LABEL_TYPE);
	}
	/* A "label of 64" can only be written as length octet 0x40. */
	mb_header(w, 0, 1, 0, 0, 0);
	mb_u8(w, 63);
	mb_fill(w, 'a', 63);
	mb_u8(w, 64);
	mb_fill(w, 'b', 64);
	mb_u8(w, 0);
	mb_u32(w, 0x00010001);
	expect_code(w, -DNSIFT_EDNS_NAME_LABEL_TYPE);
	free(w);
}

/* A name of total wire length total (root included) from 63-octet labels. */
static void mb_long_name(struct mb *w, size_t total)
{
	size_t left = total - 1;

	while (left > 0) {
		size_t l = left - 1 > 63 ? 63 : left - 1;

		mb_u8(w, (unsigned)l);
		mb_fill(w, 'A', l);
		left -= 1 + l;
	}
	mb_u8(w, 0);
}

static void test_name_255_accepted_256_rejected(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	mb_header(w, 0, 1, 0, 0, 0);
	mb_long_name(w, 255);
	mb_u32(w, 0x00010001);
	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->qname_len, 255);
	assert_int_equal(d->qname[1], 'a');

	mb_header(w, 0, 1, 0, 0, 0);
	mb_long_name(w, 256);
	mb_u32(w, 0x00010001);
	expect_code(w, -DNSIFT_EDNS_NAME_TOO_LONG);

	/* Too long only once decompressed: 250 octets + "\6abcdef" + pointer. */
	mb_header(w, FLAGS_RESPONSE, 1, 1, 0, 0);
	mb_long_name(w, 250);
	mb_u32(w, 0x00010001);
	w->cur = P_OWNER;
	mb_name_ptr(w, "abcdef", OFF_EXAMPLE);
	size_t at = mb_rr_fixed(w, DNS_TYPE_A, 1, 1);

	mb_bytes(w, "\1\2\3\4", 4);
	mb_rr_end(w, at);
	expect_code(w, -DNSIFT_EDNS_NAME_TOO_LONG);

	/* Same inside rdata. */
	mb_header(w, FLAGS_RESPONSE, 1, 1, 0, 0);
	mb_long_name(w, 250);
	mb_u32(w, 0x00010001);
	at = mb_rr(w, DNS_TYPE_CNAME);
	mb_name_ptr(w, "abcdef", OFF_EXAMPLE);
	mb_rr_end(w, at);
	expect_code(w, -DNSIFT_EDNS_NAME_TOO_LONG);
	free(w);
	free(d);
}

static void test_reject_forward_and_self_pointer(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	/* qname points forward to a valid name after it */
	mb_header(w, 0, 1, 0, 0, 0);
	mb_u16(w, 0xC000 | 18);
	mb_u32(w, 0x00010001);
	mb_name(w, "example.com");
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_FORWARD);
	/* qname points to itself */
	mb_header(w, 0, 1, 0, 0, 0);
	mb_u16(w, 0xC000 | 12);
	mb_u32(w, 0x00010001);
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_FORWARD);
	/* a label, then a pointer to that same pointer */
	mb_header(w, 0, 1, 0, 0, 0);
	mb_labels(w, "a");
	mb_u16(w, 0xC000 | 14);
	mb_u32(w, 0x00010001);
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_FORWARD);
	/* inside rdata: CNAME pointing at its own rdata */
	mb_msg(w, DNS_TYPE_CNAME, 1, 0, 0);
	size_t at = mb_rr(w, DNS_TYPE_CNAME);

	mb_u16(w, 0xC000 | (unsigned)(at + 2));
	mb_rr_end(w, at);
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_FORWARD);
	free(w);
}

static void test_reject_pointer_loop(void **state)
{
	(void)state;
	struct mb *w = mb_new();

	/* "a" at 12, pointer at 14 back to 12: points backwards, then loops */
	mb_header(w, 0, 1, 0, 0, 0);
	mb_labels(w, "a");
	mb_u16(w, 0xC000 | 12);
	mb_u32(w, 0x00010001);
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_LOOP);
	/*
	 * Opaque rdata "\1c\1d" + pointer to its own "\1d"; an owner pointing at
	 * "\1c" follows it: backwards from the pointer, but not before the
	 * previous target.
	 */
	mb_header(w, FLAGS_RESPONSE, 0, 2, 0, 0);
	w->cur = P_OWNER;
	mb_u8(w, 0);
	size_t at = mb_rr_fixed(w, 65280, 1, 1);
	size_t rd = w->n;

	mb_labels(w, "c.d");
	mb_u16(w, 0xC000 | (unsigned)(rd + 2));
	mb_rr_end(w, at);
	w->cur = P_OWNER;
	mb_u16(w, 0xC000 | (unsigned)rd);
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_A, 1, 1), mb_u32(w, 1), at));
	expect_code(w, -DNSIFT_EDNS_NAME_PTR_LOOP);
	free(w);
}

static void test_pointer_hop_limit(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	for (unsigned hops = DNS_NAME_MAX_PTRS; hops <= DNS_NAME_MAX_PTRS + 1; hops++) {
		/* An opaque RR holds a root label and a chain of pointers, each to
		 * the slot before it; the next owner points at the last slot. */
		mb_msg(w, 65280, 2, 0, 0);
		size_t at = mb_rr(w, 65280);
		size_t root = w->n;

		mb_u8(w, 0);
		for (unsigned i = 0; i < hops - 1; i++)
			mb_u16(w, 0xC000 | (unsigned)(i == 0 ? root : root + 1 + 2 * (i - 1)));
		mb_rr_end(w, at);
		w->cur = P_OWNER;
		mb_u16(w, 0xC000 | (unsigned)(hops == 1 ? root : root + 1 + 2 * (hops - 2)));
		mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_A, 1, 1), mb_u32(w, 1), at));
		int rc = parse_mb(w, d);

		if (hops <= DNS_NAME_MAX_PTRS) {
			assert_int_equal(rc, 0);
			assert_int_equal(d->rr[1].owner_len, 1);
		} else {
			assert_int_equal(rc, -DNSIFT_EDNS_NAME_PTR_LIMIT);
		}
	}
	free(w);
	free(d);
}

static void test_too_many_rrs(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	for (unsigned n = DNS_MAX_RRS; n <= DNS_MAX_RRS + 1; n++) {
		mb_header(w, FLAGS_RESPONSE, 1, n, 0, 1);
		mb_question(w, "Example.COM", DNS_TYPE_A);
		for (unsigned i = 0; i < n; i++) {
			size_t at = mb_rr(w, DNS_TYPE_A);

			mb_u32(w, i);
			mb_rr_end(w, at);
		}
		/* an OPT after the last data RR is not stored, so does not count */
		w->cur = P_OWNER;
		mb_u8(w, 0);
		mb_rr_end(w, mb_rr_fixed(w, DNS_TYPE_OPT, 1232, 0));
		int rc = parse_mb(w, d);

		if (n == DNS_MAX_RRS) {
			assert_int_equal(rc, 0);
			assert_int_equal(d->rr_count, DNS_MAX_RRS);
			assert_true(d->has_edns);
			/* one owner stored for all of them */
			assert_int_equal(d->scratch_used, sizeof(EXAMPLE_COM) + 4u * n);
		} else {
			assert_int_equal(rc, -DNSIFT_EDNS_TOO_MANY_RRS);
		}
	}
	free(w);
	free(d);
}

static void test_scratch_full(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();

	/* CNAMEs whose 2-octet rdata expands to a 250-octet name. */
	assert_true(250u * DNS_MAX_RRS > DNS_SCRATCH_SIZE);
	for (unsigned round = 0; round < 2; round++) {
		unsigned n = round == 0 ? 100 : DNS_MAX_RRS;

		mb_header(w, FLAGS_RESPONSE, 1, n, 0, 0);
		w->cur = P_QNAME;
		mb_long_name(w, 250);
		mb_u32(w, 0x00050001);
		for (unsigned i = 0; i < n; i++) {
			size_t at = mb_rr(w, DNS_TYPE_CNAME);

			mb_u16(w, 0xC000 | OFF_EXAMPLE);
			mb_rr_end(w, at);
		}
		int rc = parse_mb(w, d);

		if (round == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(d->rr[99].rdlen, 250);
		} else {
			assert_int_equal(rc, -DNSIFT_EDNS_SCRATCH_FULL);
		}
	}
	free(w);
	free(d);
}

/* ---- truncation everywhere ---------------------------------------------- */

static void test_every_prefix_of_a_valid_message_is_rejected(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();
	size_t at;

	mb_msg(w, DNS_TYPE_MX, 2, 1, 2);
	at = mb_rr(w, DNS_TYPE_MX);
	mb_u16(w, 10);
	mb_name_ptr(w, "Mail", OFF_EXAMPLE);
	mb_rr_end(w, at);
	at = mb_rr(w, DNS_TYPE_RRSIG);
	mb_bytes(w, "\x00\x0f\x08\x02\x00\x00\x0e\x10\x65\x00\x00\x00\x64\x00\x00\x00\x30\x39",
		 18);
	mb_name(w, "example.com");
	mb_bytes(w, DIGEST32, 32);
	mb_rr_end(w, at);
	at = mb_rr(w, DNS_TYPE_SOA);
	mb_name_ptr(w, "ns1", OFF_EXAMPLE);
	mb_name_ptr(w, "hostmaster", OFF_EXAMPLE);
	mb_fill(w, 7, 20);
	mb_rr_end(w, at);
	w->cur = P_OWNER;
	mb_name_ptr(w, "mail", OFF_EXAMPLE);
	mb_rr_end(w, (at = mb_rr_fixed(w, DNS_TYPE_A, 1, 60), mb_u32(w, 0xC0000201), at));
	w->cur = P_OWNER;
	mb_u8(w, 0);
	at = mb_rr_fixed(w, DNS_TYPE_OPT, 1232, 0x8000);
	mb_bytes(w, "\x00\x0a\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08", 12);
	mb_rr_end(w, at);

	assert_int_equal(parse_mb(w, d), 0);
	assert_int_equal(d->rr_count, 4);
	static const int code[] = {
		[P_HEADER] = -DNSIFT_EDNS_HEADER_TRUNCATED,
		[P_QNAME] = -DNSIFT_EDNS_NAME_TRUNCATED,
		[P_QFIXED] = -DNSIFT_EDNS_QUESTION_TRUNCATED,
		[P_OWNER] = -DNSIFT_EDNS_NAME_TRUNCATED,
		[P_RRFIXED] = -DNSIFT_EDNS_RR_TRUNCATED,
		[P_RDATA] = -DNSIFT_EDNS_RDATA_TRUNCATED,
	};
	for (size_t n = 0; n < w->n; n++) {
		int rc = parse_exact(w->b, n, d);
		/* Cutting before byte n reports the part byte n belongs to. */
		int want = code[w->part[n]];

		if (rc != want)
			fail_msg("prefix %zu: want %s, got %s", n, dnsift_errname(want),
				 dnsift_errname(rc));
	}
	free(w);
	free(d);
}

/* Random corruption of a valid message: any outcome but a crash or overread. */
static void test_mutated_messages_never_overread(void **state)
{
	(void)state;
	struct mb *w = mb_new();
	struct dns_msg *d = msg_new();
	uint8_t buf[512];
	uint32_t seed = 12345;
	size_t at;

	mb_msg(w, DNS_TYPE_SOA, 2, 1, 0);
	struct mb *unused = mb_new();

	at = mb_rr(w, DNS_TYPE_SOA);
	fill_soa(w, unused);
	mb_rr_end(w, at);
	free(unused);
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_SVCB), mb_u16(w, 1), mb_name(w, "x.example"),
		      mb_bytes(w, "\x00\x01\x00\x03\x02h2", 7), at));
	mb_rr_end(w, (at = mb_rr(w, DNS_TYPE_NSEC), mb_name(w, "b.example"),
		      mb_bytes(w, "\x00\x01\x40", 3), at));
	assert_int_equal(parse_mb(w, d), 0);
	assert_true(w->n <= sizeof(buf));
	unsigned accepted = 0;

	for (unsigned iter = 0; iter < 20000; iter++) {
		size_t n = w->n;

		memcpy(buf, w->b, n);
		for (unsigned k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[12 + (seed >> 8) % (n - 12)] = (uint8_t)(seed >> 20);
		}
		int rc = parse_exact(buf, n, d);

		assert_true(rc <= 0 && -rc < DNSIFT_E_COUNT);
		if (rc == 0) {
			accepted++;
			for (unsigned i = 0; i < d->rr_count; i++) {
				assert_true(d->rr[i].owner_len >= 1);
				assert_int_equal(d->rr[i].owner[d->rr[i].owner_len - 1], 0);
			}
		}
	}
	print_message("mutations accepted: %u of 20000\n", accepted);
	free(w);
	free(d);
}


/* ---- public captures ------------------------------------------------------ */

#define PCAP_DIR_DEFAULT "/work/shared/pcaps"

struct capture_stats {
	unsigned payloads;
	unsigned accepted;
	unsigned rejected;
	unsigned rrs;
	unsigned reasons[DNSIFT_E_COUNT];
};

static bool dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* Every key rrset_extract() builds must split back into its own fields. */
static int check_key(void *arg, const struct rrset_view *v, const uint8_t *key,
		     uint32_t key_len, uint64_t hash)
{
	struct rrkey_view kv;

	(void)arg;
	assert_int_equal(rrkey_view_init(&kv, key, key_len), 0);
	assert_int_equal(kv.rrtype, v->rrtype);
	assert_int_equal(kv.rdata_count, v->rr_count);
	assert_int_equal(kv.owner_len, v->owner_len);
	assert_memory_equal(kv.owner, v->owner, v->owner_len);
	assert_true(hash == rrkey_hash(key, key_len));
	return 0;
}

static uint8_t capture_key[RRKEY_MAX_LEN];

/* True when a TCP segment is exactly a run of whole length-prefixed messages. */
static bool tcp_whole_messages(const uint8_t *p, size_t left)
{
	while (left >= 2) {
		size_t n = (size_t)(p[0] << 8 | p[1]);

		if (n > left - 2)
			return false;
		p += 2 + n;
		left -= 2 + n;
	}
	return left == 0;
}

/*
 * Every unfragmented UDP payload on a DNS port, and every TCP segment made of
 * whole messages (no reassembly here: that is the dataplane's). A file the
 * index does not call malformed must parse without a single reject.
 */
static void parse_capture(const char *path, struct dns_msg *d, struct capture_stats *st,
			  bool may_reject)
{
	int err = 0;
	struct pcap_file *f = pcap_file_open(path, &err);

	if (!f) {
		print_message("  %s: not opened (%s)\n", path, dnsift_errname(err));
		return;
	}
	uint32_t linktype = pcap_file_linktype(f);
	struct pcap_record rec;
	struct pkt_info pi;

	while (pcap_file_next(f, &rec) == 1) {
		if (pkt_decode(rec.data, rec.caplen, linktype, &pi) != 0 || pi.is_fragment ||
		    !pi.l4_valid || !(dns_port(pi.src_port) || dns_port(pi.dst_port)) ||
		    pi.payload_len == 0)
			continue;
		const uint8_t *p = pi.payload;
		size_t left = pi.payload_len;

		if (pi.l4_proto == 6 && !tcp_whole_messages(p, left))
			continue;

		while (left > 0) {
			size_t n = left;

			if (pi.l4_proto == 6) {
				n = (size_t)(p[0] << 8 | p[1]);
				p += 2;
				left -= 2;
			}
			int rc = parse_exact(p, n, d);

			st->payloads++;
			if (rc == 0) {
				struct rrset_params rp = { .key = capture_key,
							   .key_size = sizeof(capture_key) };
				struct rrset_result res;

				st->accepted++;
				st->rrs += d->rr_count;
				assert_true(rrset_extract(d, &rp, check_key, NULL, &res) >= 0);
				assert_int_equal(res.rrs, d->rr_count);
			} else {
				st->rejected++;
				st->reasons[-rc]++;
				print_message("  %s: %s\n", path, dnsift_errname(rc));
				if (!may_reject)
					fail_msg("%s is not marked malformed", path);
			}
			p += n;
			left -= n;
		}
	}
	pcap_file_close(f);
}

static void test_public_captures_parse_and_key_without_overread(void **state)
{
	(void)state;
	const char *dir = getenv("DNSIFT_PCAP_DIR") ? getenv("DNSIFT_PCAP_DIR") : PCAP_DIR_DEFAULT;
	char path[4096];
	char line[2048];

	snprintf(path, sizeof(path), "%s/INDEX.tsv", dir);
	FILE *idx = fopen(path, "r");

	if (!idx) {
		print_message("public captures not found at %s: skipped\n", dir);
		skip();
	}
	struct dns_msg *d = msg_new();
	struct capture_stats st = { 0 };
	unsigned files = 0;

	while (fgets(line, sizeof(line), idx)) {
		char *tab = strchr(line, '\t');

		if (!tab || strncmp(line, "file\t", 5) == 0)
			continue;
		*tab = 0;
		/* Notes (last column) name deliberately broken captures. */
		char *notes = strrchr(tab + 1, '\t');
		bool may_reject = notes && (strstr(notes, "malformed") ||
					    strstr(notes, "compression-pointer-edge"));

		snprintf(path, sizeof(path), "%s/%s", dir, line);
		files++;
		parse_capture(path, d, &st, may_reject);
	}
	fclose(idx);
	print_message("%u files: %u DNS payloads, %u accepted (%u RRs), %u rejected\n", files,
		      st.payloads, st.accepted, st.rrs, st.rejected);
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		if (st.reasons[i])
			print_message("  %-24s %u\n", dnsift_errname(i), st.reasons[i]);
	assert_true(files > 0);
	assert_true(st.accepted > 0);
	free(d);
}

/* ---- name helpers -------------------------------------------------------- */

static void test_name_helpers(void **state)
{
	(void)state;
	const uint8_t *www = (const uint8_t *)"\3www\7example\3com";
	size_t plen = 0;
	const uint8_t *p = dns_name_parent(www, 17, &plen);

	assert_ptr_equal(p, www + 4);
	assert_int_equal(plen, 13);
	p = dns_name_parent(p, plen, &plen);
	assert_int_equal(plen, 5);
	p = dns_name_parent(p, plen, &plen);
	assert_int_equal(plen, 1);
	assert_null(dns_name_parent(p, plen, &plen));

	assert_true(dns_name_is_subdomain(www, 17, EXAMPLE_COM, 13));
	assert_true(dns_name_is_subdomain(www, 17, www, 17));
	assert_true(dns_name_is_subdomain(www, 17, (const uint8_t *)"", 1));
	assert_false(dns_name_is_subdomain(EXAMPLE_COM, 13, www, 17));
	/* a suffix that is not on a label boundary */
	assert_false(dns_name_is_subdomain((const uint8_t *)"\3bad\7example\3com", 17,
					   (const uint8_t *)"\3ple\3com", 9));
	assert_false(dns_name_is_subdomain((const uint8_t *)"\7xample2\3com", 13, EXAMPLE_COM,
					   13));
	assert_int_equal(dns_name_labels(www, 17), 3);
	assert_int_equal(dns_name_labels((const uint8_t *)"", 1), 0);
	assert_int_equal(dns_name_labels(www, 16), -DNSIFT_EFORMAT);

	assert_true(dns_type_embeds_name(DNS_TYPE_MX));
	assert_true(dns_type_embeds_name(DNS_TYPE_RRSIG));
	assert_true(dns_type_embeds_name(DNS_TYPE_HTTPS));
	assert_false(dns_type_embeds_name(DNS_TYPE_A));
	assert_false(dns_type_embeds_name(DNS_TYPE_TXT));
	assert_false(dns_type_embeds_name(65280));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_a),
		cmocka_unit_test(test_type_aaaa),
		cmocka_unit_test(test_type_ns),
		cmocka_unit_test(test_type_cname),
		cmocka_unit_test(test_type_ptr),
		cmocka_unit_test(test_type_dname),
		cmocka_unit_test(test_type_mx),
		cmocka_unit_test(test_type_soa),
		cmocka_unit_test(test_type_txt),
		cmocka_unit_test(test_type_spf),
		cmocka_unit_test(test_type_srv),
		cmocka_unit_test(test_type_naptr),
		cmocka_unit_test(test_type_caa),
		cmocka_unit_test(test_type_ds),
		cmocka_unit_test(test_type_cds),
		cmocka_unit_test(test_type_dnskey),
		cmocka_unit_test(test_type_cdnskey),
		cmocka_unit_test(test_type_rrsig),
		cmocka_unit_test(test_type_nsec),
		cmocka_unit_test(test_type_nsec3),
		cmocka_unit_test(test_type_nsec3param),
		cmocka_unit_test(test_type_sshfp),
		cmocka_unit_test(test_type_tlsa),
		cmocka_unit_test(test_type_smimea),
		cmocka_unit_test(test_type_svcb),
		cmocka_unit_test(test_type_https),
		cmocka_unit_test(test_type_hinfo),
		cmocka_unit_test(test_type_rp),
		cmocka_unit_test(test_type_afsdb),
		cmocka_unit_test(test_type_loc),
		cmocka_unit_test(test_type_uri),
		cmocka_unit_test(test_type_zonemd),
		cmocka_unit_test(test_type_minfo),
		cmocka_unit_test(test_type_mb),
		cmocka_unit_test(test_type_mg),
		cmocka_unit_test(test_type_mr),
		cmocka_unit_test(test_type_kx),
		cmocka_unit_test(test_type_px),
		cmocka_unit_test(test_type_rt),
		cmocka_unit_test(test_type_unknown_type_opaque),
		cmocka_unit_test(test_type_ipseckey),
		cmocka_unit_test(test_type_a6),
		cmocka_unit_test(test_header_fields_and_edns),
		cmocka_unit_test(test_no_edns_fields_cleared_between_messages),
		cmocka_unit_test(test_qdcount_zero_and_two_keep_first),
		cmocka_unit_test(test_pointers_into_earlier_names_and_rdata),
		cmocka_unit_test(test_repeated_owner_pointer_reuses_and_stays_correct),
		cmocka_unit_test(test_odd_labels_kept_and_counted),
		cmocka_unit_test(test_update_class_none_empty_rdata_accepted),
		cmocka_unit_test(test_trailing_octets_counted_not_rejected),
		cmocka_unit_test(test_sections_and_counts),
		cmocka_unit_test(test_reject_header_truncated),
		cmocka_unit_test(test_reject_question_truncated),
		cmocka_unit_test(test_reject_name_truncated),
		cmocka_unit_test(test_reject_rr_truncated),
		cmocka_unit_test(test_reject_rdata_truncated),
		cmocka_unit_test(test_reject_bad_rdata_per_type),
		cmocka_unit_test(test_reject_label_types_0x40_0x80),
		cmocka_unit_test(test_name_255_accepted_256_rejected),
		cmocka_unit_test(test_reject_forward_and_self_pointer),
		cmocka_unit_test(test_reject_pointer_loop),
		cmocka_unit_test(test_pointer_hop_limit),
		cmocka_unit_test(test_too_many_rrs),
		cmocka_unit_test(test_scratch_full),
		cmocka_unit_test(test_every_prefix_of_a_valid_message_is_rejected),
		cmocka_unit_test(test_mutated_messages_never_overread),
		cmocka_unit_test(test_name_helpers),
		cmocka_unit_test(test_public_captures_parse_and_key_without_overread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
