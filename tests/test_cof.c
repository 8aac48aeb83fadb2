/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * COF rendering and rdata presentation (wire/cof.c, wire/rdata_text.c).
 *
 * Expected presentation strings were cross-checked against kdig 3.2 (Knot DNS)
 * reading the same records from a knotd zone on loopback; where dnsift
 * deliberately differs (LOC in the RFC 1876 appendix form, no trailing space
 * after CAA/URI) the comment at the top of rdata_text.c says why.
 *
 * Keys and rdata are built by hand here with a small assembler: a spec is
 * '|'-separated tokens, "u8:N" "u16:N" "u32:N" integers, "n:www.example."
 * a wire name (no escapes; "n:." is the root), "s:text" a character-string,
 * "t:text" bare bytes, "x:0a0b" bare bytes in hex.
 */
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wire/cof.h"
#include "wire/err.h"
#include "wire/rdata_text.h"
#include "wire/rrkey.h"

/* ---- builders ---- */

struct bytes {
	uint8_t b[70000];
	size_t n;
};

static void put_u8(struct bytes *o, unsigned v)
{
	assert_true(o->n < sizeof(o->b));
	o->b[o->n++] = (uint8_t)v;
}

static void put_u16(struct bytes *o, unsigned v)
{
	put_u8(o, v >> 8 & 0xff);
	put_u8(o, v & 0xff);
}

static void put_u32(struct bytes *o, uint32_t v)
{
	put_u16(o, v >> 16);
	put_u16(o, v & 0xffff);
}

static void put_mem(struct bytes *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* Dotted name without escapes to wire format. */
static void put_name(struct bytes *o, const char *s)
{
	if (strcmp(s, ".") != 0) {
		while (*s) {
			const char *dot = strchr(s, '.');
			size_t l = dot ? (size_t)(dot - s) : strlen(s);
			put_u8(o, (unsigned)l);
			put_mem(o, s, l);
			s += l;
			if (*s == '.')
				s++;
		}
	}
	put_u8(o, 0);
}

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	fail_msg("bad hex digit %c", c);
	return 0;
}

static void assemble(struct bytes *o, const char *spec)
{
	char tok[1024];

	o->n = 0;
	while (*spec) {
		const char *bar = strchr(spec, '|');
		size_t l = bar ? (size_t)(bar - spec) : strlen(spec);
		assert_true(l < sizeof(tok));
		memcpy(tok, spec, l);
		tok[l] = '\0';
		spec += l + (bar ? 1 : 0);
		if (!strncmp(tok, "u8:", 3)) {
			put_u8(o, (unsigned)strtoul(tok + 3, NULL, 0));
		} else if (!strncmp(tok, "u16:", 4)) {
			put_u16(o, (unsigned)strtoul(tok + 4, NULL, 0));
		} else if (!strncmp(tok, "u32:", 4)) {
			put_u32(o, (uint32_t)strtoul(tok + 4, NULL, 0));
		} else if (!strncmp(tok, "n:", 2)) {
			put_name(o, tok + 2);
		} else if (!strncmp(tok, "s:", 2)) {
			put_u8(o, (unsigned)strlen(tok + 2));
			put_mem(o, tok + 2, strlen(tok + 2));
		} else if (!strncmp(tok, "t:", 2)) {
			put_mem(o, tok + 2, strlen(tok + 2));
		} else if (!strncmp(tok, "x:", 2)) {
			for (const char *h = tok + 2; h[0] && h[1]; h += 2)
				put_u8(o, hexval(h[0]) << 4 | hexval(h[1]));
		} else {
			fail_msg("bad token %s", tok);
		}
	}
}

/* A key with the given fields and rdata (already sorted by the caller). */
static void build_key(struct bytes *k, uint8_t flags, uint16_t type, uint16_t class,
		      const struct bytes *owner, const struct bytes *bailiwick,
		      const struct bytes *const *rdata, unsigned count)
{
	k->n = 0;
	put_u8(k, RRKEY_VERSION);
	put_u8(k, flags);
	put_u16(k, type);
	put_u16(k, class);
	put_u8(k, (unsigned)owner->n);
	put_mem(k, owner->b, owner->n);
	put_u8(k, bailiwick ? (unsigned)bailiwick->n : 0);
	if (bailiwick)
		put_mem(k, bailiwick->b, bailiwick->n);
	put_u16(k, count);
	for (unsigned i = 0; i < count; i++) {
		put_u16(k, (unsigned)rdata[i]->n);
		put_mem(k, rdata[i]->b, rdata[i]->n);
	}
}

/* Render rdata into a heap buffer of exactly the needed size so ASan sees any overrun. */
static char *present(uint16_t type, const uint8_t *rdata, size_t n)
{
	static char big[1 << 20];
	uint8_t *copy = malloc(n ? n : 1);
	int len;
	char *exact;

	assert_non_null(copy);
	memcpy(copy, rdata, n);
	len = rdata_to_text(type, copy, (uint16_t)n, big, sizeof(big));
	assert_true(len >= 0);
	assert_int_equal(strlen(big), (size_t)len);
	exact = malloc((size_t)len + 1);
	assert_non_null(exact);
	assert_int_equal(rdata_to_text(type, copy, (uint16_t)n, exact, (size_t)len + 1), len);
	assert_string_equal(exact, big);
	/* One byte short: no room for the NUL. */
	if (len > 0) {
		char *shortbuf = malloc((size_t)len);
		assert_non_null(shortbuf);
		assert_int_equal(rdata_to_text(type, copy, (uint16_t)n, shortbuf, (size_t)len),
				 -DNSIFT_ENOSPACE);
		assert_int_equal(shortbuf[len - 1], '\0');
		free(shortbuf);
	}
	free(copy);
	return exact;
}

static void check_rdata(uint16_t type, const char *spec, const char *expected)
{
	static struct bytes rd;
	char *got;

	assemble(&rd, spec);
	got = present(type, rd.b, rd.n);
	if (strcmp(got, expected) != 0)
		fail_msg("type %u spec \"%s\":\n  got      [%s]\n  expected [%s]", type, spec, got,
			 expected);
	free(got);
}

/* ---- presentation of each type ---- */

struct rdata_case {
	uint16_t type;
	const char *spec;
	const char *text;
};

#define LOC_EQ 2147483648u

static const struct rdata_case typed_cases[] = {
	{ 1, "x:c0000201", "192.0.2.1" },
	{ 1, "x:00000000", "0.0.0.0" },
	{ 28, "x:20010db8000000000000ffff00000001", "2001:db8::ffff:0:1" },
	{ 28, "x:00000000000000000000ffffc0000201", "::ffff:192.0.2.1" },
	{ 28, "x:00000000000000000000000000000000", "::" },
	{ 2, "n:ns1.example.", "ns1.example." },
	{ 5, "n:.", "." },
	{ 12, "n:1.2.0.192.in-addr.arpa.", "1.2.0.192.in-addr.arpa." },
	{ 39, "n:example.net.", "example.net." },
	{ 7, "n:mb.example.", "mb.example." },
	{ 8, "n:mg.example.", "mg.example." },
	{ 9, "n:mr.example.", "mr.example." },
	{ 3, "n:md.example.", "md.example." },
	{ 4, "n:mf.example.", "mf.example." },
	{ 15, "u16:10|n:mail.example.", "10 mail.example." },
	{ 6, "n:ns1.example.|n:hostmaster.example.|u32:2026112601|u32:7200|u32:3600|"
	     "u32:1209600|u32:300",
	  "ns1.example. hostmaster.example. 2026112601 7200 3600 1209600 300" },
	{ 6, "n:.|n:.|u32:4294967295|u32:0|u32:0|u32:0|u32:0", ". . 4294967295 0 0 0 0" },
	{ 16, "s:hello world|s:|s:a\"b\\c|x:0501ff3b2829",
	  "\"hello world\" \"\" \"a\\\"b\\\\c\" \"\\001\\255;()\"" },
	{ 16, "s:v=spf1 -all", "\"v=spf1 -all\"" },
	{ 99, "s:v=spf1 -all", "\"v=spf1 -all\"" },
	{ 16, "x:00", "\"\"" },
	{ 33, "u16:0|u16:5|u16:5060|n:sip.example.", "0 5 5060 sip.example." },
	{ 35, "u16:100|u16:10|s:U|s:E2U+sip|s:!^.*$!sip:info@example.com!|n:.",
	  "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" ." },
	{ 35, "u16:100|u16:10|s:S|s:SIP+D2U|s:|n:_sip._udp.example.",
	  "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example." },
	{ 257, "u8:0|s:issue|t:letsencrypt.org", "0 issue \"letsencrypt.org\"" },
	{ 257, "u8:128|s:tbs|t:a\"b\\c|x:09", "128 tbs \"a\\\"b\\\\c\\009\"" },
	{ 257, "u8:0|s:iodef", "0 iodef \"\"" },
	{ 43, "u16:12345|u8:13|u8:2|x:0123456789abcdef0123456789ABCDEF0123456789abcdef"
	      "0123456789abcdef",
	  "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" },
	{ 59, "u16:0|u8:0|u8:0|x:00", "0 0 0 00" },
	{ 32768, "u16:20326|u8:8|u8:2|x:e06d44b8", "20326 8 2 E06D44B8" },
	{ 48, "u16:257|u8:3|u8:13|t:testkeydata12345", "257 3 13 dGVzdGtleWRhdGExMjM0NQ==" },
	{ 60, "u16:0|u8:3|u8:0|x:00", "0 3 0 AA==" },
	{ 25, "u16:256|u8:3|u8:5|t:ab", "256 3 5 YWI=" },
	{ 46, "u16:1|u8:13|u8:2|u32:300|u32:1796083200|u32:1795478400|u16:12345|n:example.|"
	      "t:testsignature",
	  "A 13 2 300 20261201000000 20261124000000 12345 example. dGVzdHNpZ25hdHVyZQ==" },
	{ 46, "u16:65280|u8:8|u8:0|u32:0|u32:4294967295|u32:0|u16:0|n:.|x:ff",
	  "TYPE65280 8 0 0 21060207062815 19700101000000 0 . /w==" },
	{ 46, "u16:6|u8:8|u8:1|u32:86400|u32:951782400|u32:1078012800|u16:1|n:org.|x:ffff",
	  "SOA 8 1 86400 20000229000000 20040229000000 1 org. //8=" },
	{ 47, "n:next.example.|x:000762010000000380|x:041b"
	      "000000000000000000000000000000000000000000000000000020|x:ff20"
	      "0000000000000000000000000000000000000000000000000000000000000001",
	  "next.example. A NS SOA MX RRSIG NSEC DNSKEY TYPE1234 TYPE65535" },
	{ 47, "n:.|x:000120", ". NS" },
	{ 50, "u8:1|u8:1|u16:12|x:04aabbccdd|x:14|"
	      "x:174eb2409fe28bcb4887a1836f957f0a8425e27b|x:000722000000000290",
	  "1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA RRSIG DNSKEY NSEC3PARAM" },
	{ 50, "u8:1|u8:0|u16:0|u8:0|x:14|x:174eb2409fe28bcb4887a1836f957f0a8425e27b",
	  "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
	{ 50, "u8:1|u8:0|u16:0|u8:0|x:01ff", "1 0 0 - vs" },
	{ 51, "u8:1|u8:0|u16:10|u8:0", "1 0 10 -" },
	{ 51, "u8:1|u8:0|u16:10|x:020aff", "1 0 10 0AFF" },
	{ 44, "u8:4|u8:2|x:0123456789abcdef", "4 2 0123456789ABCDEF" },
	{ 52, "u8:3|u8:1|u8:1|x:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" },
	{ 53, "u8:3|u8:0|u8:2|x:00ff", "3 0 2 00FF" },
	{ 63, "u32:2026112601|u8:1|u8:1|x:0123456789abcdef0123456789abcdef0123456789abcdef"
	      "0123456789abcdef0123456789abcdef0123456789abcdef",
	  "2026112601 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	  "0123456789ABCDEF0123456789ABCDEF" },
	/* SVCB / HTTPS: the strings kdig prints for the same zone lines. */
	{ 64, "u16:1|n:.|u16:0|u16:4|u16:1|u16:3|u16:1|u16:6|s:h2|s:h3|u16:2|u16:0|"
	      "u16:3|u16:2|u16:8443|u16:4|u16:8|x:c0000201c0000202|u16:5|u16:3|x:000102|"
	      "u16:6|u16:16|x:20010db8000000000000000000000001|u16:667|u16:5|t:hello|"
	      "u16:65000|u16:4|t:a\\\"b",
	  "1 . mandatory=alpn,port alpn=h2,h3 no-default-alpn port=8443 "
	  "ipv4hint=192.0.2.1,192.0.2.2 ech=AAEC ipv6hint=2001:db8::1 key667=\"hello\" "
	  "key65000=\"a\\\\\\\"b\"" },
	{ 65, "u16:0|n:target.example.", "0 target.example." },
	{ 64, "u16:16|n:foo.example.|u16:1|u16:12|s:f\\oo,bar|s:h2|u16:65333|u16:3|t:ex1",
	  "16 foo.example. alpn=f\\\\\\\\oo\\\\,bar,h2 key65333=\"ex1\"" },
	{ 65, "u16:1|n:.|u16:1|u16:4|x:03612062|u16:12|u16:2|x:00ff",
	  "1 . alpn=a\\032b key12=\"\\000\\255\"" },
	{ 65, "u16:1|n:.|u16:7|u16:16|t:/dns-query{?dns}|u16:8|u16:0|u16:9|u16:0",
	  "1 . dohpath=\"/dns-query{?dns}\" ohttp key9" },
	{ 13, "s:PC|s:Linux", "\"PC\" \"Linux\"" },
	{ 17, "n:mbox.example.|n:txt.example.", "mbox.example. txt.example." },
	{ 18, "u16:1|n:afs.example.", "1 afs.example." },
	{ 14, "n:rm.example.|n:em.example.", "rm.example. em.example." },
	{ 36, "u16:10|n:kx.example.", "10 kx.example." },
	{ 26, "u16:10|n:map822.example.|n:mapx400.example.",
	  "10 map822.example. mapx400.example." },
	{ 21, "u16:10|n:rt.example.", "10 rt.example." },
	{ 256, "u16:10|u16:1|t:https://example.com/x y", "10 1 \"https://example.com/x y\"" },
	/* LOC: RFC 1876 appendix form. */
	{ 29, "u8:0|u8:0x00|u8:0x16|u8:0x13|u32:2336026648|u32:2165095648|u32:9999800",
	  "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000.00m 10.00m" },
	{ 29, "u8:0|u8:0x12|u8:0x24|u8:0x13|u32:2299987176|u32:1891577364|u32:9997600",
	  "42 21 43.528 N 71 5 6.284 W -24.00m 1.00m 200.00m 10.00m" },
	{ 29, "u8:0|u8:0x12|u8:0x16|u8:0x13|u32:2147483648|u32:2147483648|u32:10000000",
	  "0 0 0.000 N 0 0 0.000 E 0.00m 1.00m 10000.00m 10.00m" },
	{ 29, "u8:0|u8:0x99|u8:0x99|u8:0x99|u32:2471483648|u32:2795483648|u32:4294967295",
	  "90 0 0.000 N 180 0 0.000 E 42849672.95m 90000000.00m 90000000.00m 90000000.00m" },
	{ 29, "u8:0|u8:0x10|u8:0x01|u8:0x00|u32:1823483648|u32:1499483648|u32:0",
	  "90 0 0.000 S 180 0 0.000 W -100000.00m 0.01m 0.00m 0.00m" },
	/* Other cheap types. */
	{ 62, "u32:66|u16:3|x:000460000008", "66 3 A NS AAAA" },
	{ 49, "x:000201636fc0b8271c82825bb1ac5c41cf5351aa69b4febd94e8f17cdb95000da48c40",
	  "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=" },
	{ 61, "t:test", "dGVzdA==" },
	{ 108, "x:00005e00532a", "00-00-5E-00-53-2A" },
	{ 109, "x:00005eef1000002a", "00-00-5E-EF-10-00-00-2A" },
	{ 104, "u16:10|x:00144fffff20ee64", "10 0014:4FFF:FF20:EE64" },
	{ 106, "u16:10|x:20010db811401000", "10 2001:0DB8:1140:1000" },
	{ 105, "u16:10|x:0a010200", "10 10.1.2.0" },
	{ 107, "u16:10|n:l64-subnet.example.", "10 l64-subnet.example." },
	{ 37, "u16:1|u16:12345|u8:8|t:test", "1 12345 8 dGVzdA==" },
	{ 42, "u16:1|u8:21|u8:3|x:c0a820|u16:1|u8:28|u8:0x83|x:c0a826|u16:2|u8:32|u8:4|"
	      "x:20010db8",
	  "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32" },
	{ 42, "", "" },
	{ 45, "u8:10|u8:1|u8:2|x:c0000226|x:010351537986ed35533b6064478eeeb27b5bd74dae14"
	      "9b6e81ba3a0521af82ab7801",
	  "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==" },
	{ 45, "u8:10|u8:0|u8:2|x:0102", "10 0 2 . AQI=" },
	{ 45, "u8:10|u8:3|u8:2|n:gw.example.|x:0102", "10 3 2 gw.example. AQI=" },
	{ 66, "u16:59|u8:1|u16:5359|n:target.example.", "CDS 1 5359 target.example." },
	{ 19, "s:311061700956", "\"311061700956\"" },
	{ 20, "s:150862028003217|s:004", "\"150862028003217\" \"004\"" },
	{ 27, "s:-32.6882|s:116.8652|s:10.0", "\"-32.6882\" \"116.8652\" \"10.0\"" },
	{ 23, "n:foo.example.", "foo.example." },
};

static void test_rdata_each_type_matches_kdig_presentation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(typed_cases) / sizeof(typed_cases[0]); i++)
		check_rdata(typed_cases[i].type, typed_cases[i].spec, typed_cases[i].text);
}

/* Label bytes . " ( ) ; @ $ \ with a backslash; space, TAB and 0xff as \DDD. */
static void test_name_escapes_special_and_nonprintable_bytes(void **state)
{
	static const uint8_t name[] = { 17, 'a', '.', 'b', '"', 'c', '(', ')', ';', '@', '$', ' ',
					'd', '\\', 'e', '\t', 0xff, 0x7f, 7, 'e', 'x', 'a', 'm',
					'p', 'l', 'e', 0 };
	static const uint8_t upper[] = { 3, 'W', 'w', 'W', 0 };
	char out[256];
	int n;

	(void)state;
	check_rdata(5, "x:11|x:612e62226328293b40242064|x:5c6509ff7f|n:example.",
		    "a\\.b\\\"c\\(\\)\\;\\@\\$\\032d\\\\e\\009\\255\\127.example.");
	/* The rest of ASCII punctuation as kdig prints it ('#' is \035). */
	check_rdata(5, "x:17212325262a2b2c2d2f3a3c3d3e3f5b5d5e5f607b7c7d7e|n:example.",
		    "\\!\\035\\%\\&*\\+\\,-/\\:\\<\\=\\>\\?\\[\\]\\^_\\`"
		    "\\{\\|\\}\\~.example.");
	n = name_to_text(name, sizeof(name), out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	assert_string_equal(out, "a\\.b\\\"c\\(\\)\\;\\@\\$\\032d\\\\e\\009\\255\\127.example.");
	/* Canonical names are lowercase; anything else is shown, not altered. */
	assert_int_equal(name_to_text(upper, sizeof(upper), out, sizeof(out)), 4);
	assert_string_equal(out, "WwW.");
	assert_int_equal(name_to_text((const uint8_t *)"", 1, out, sizeof(out)), 1);
	assert_string_equal(out, ".");
	assert_int_equal(name_to_text(name, sizeof(name), out, 5), -DNSIFT_ENOSPACE);
	assert_int_equal(out[4], '\0');
}

static void test_name_rejects_non_canonical_wire_names(void **state)
{
	uint8_t buf[300];
	char out[2048];

	(void)state;
	/* Missing root label. */
	assert_int_equal(name_to_text((const uint8_t *)"\3www", 4, out, sizeof(out)),
			 -DNSIFT_EFORMAT);
	/* Bytes after the root label. */
	assert_int_equal(name_to_text((const uint8_t *)"\1a\0\0", 4, out, sizeof(out)),
			 -DNSIFT_EFORMAT);
	assert_int_equal(name_to_text((const uint8_t *)"\0\0", 2, out, sizeof(out)),
			 -DNSIFT_EFORMAT);
	/* Compression pointer. */
	assert_int_equal(name_to_text((const uint8_t *)"\xc0\x0c", 2, out, sizeof(out)),
			 -DNSIFT_EFORMAT);
	/* Label of 64. */
	memset(buf, 'a', sizeof(buf));
	buf[0] = 64;
	buf[65] = 0;
	assert_int_equal(name_to_text(buf, 66, out, sizeof(out)), -DNSIFT_EFORMAT);
	/* 256 octets: too long even though every label is fine. */
	for (int i = 0; i < 4; i++)
		buf[i * 64] = 63;
	buf[256] = 0;
	assert_int_equal(name_to_text(buf, 257, out, sizeof(out)), -DNSIFT_EFORMAT);
	/* 255 octets is the maximum and fine: 63+63+63+61 + 4 length octets + root. */
	buf[65] = 'a';
	buf[192] = 61;
	buf[254] = 0;
	assert_int_equal(name_to_text(buf, 255, out, sizeof(out)), 254);
	assert_int_equal(name_to_text(buf, 0, out, sizeof(out)), -DNSIFT_EFORMAT);
}

/* ---- fallbacks ---- */

static const struct rdata_case fallback_cases[] = {
	/* Unknown types are always RFC 3597, uppercase hex. */
	{ 65280, "x:0a000001", "\\# 4 0A000001" },
	{ 65280, "", "\\# 0" },
	{ 10, "x:00ff", "\\# 2 00FF" },
	{ 11, "x:c000020106", "\\# 5 C000020106" },
	/* Wrong length for fixed-size types. */
	{ 1, "x:c00002", "\\# 3 C00002" },
	{ 1, "x:c000020101", "\\# 5 C000020101" },
	{ 1, "", "\\# 0" },
	{ 28, "x:20010db8", "\\# 4 20010DB8" },
	/* Names that are not canonical wire names. */
	{ 2, "x:03777777", "\\# 4 03777777" },
	{ 2, "x:c00c", "\\# 2 C00C" },
	{ 2, "x:00|x:00", "\\# 2 0000" },
	{ 15, "u16:10", "\\# 2 000A" },
	{ 15, "u16:10|x:40", "\\# 3 000A40" },
	/* Short SOA, character-string running past the end, empty TXT. */
	{ 6, "n:a.|n:b.|u32:1|u32:2|u32:3|u32:4",
	  "\\# 22 01610001620000000001000000020000000300000004" },
	{ 16, "x:05616263", "\\# 4 05616263" },
	{ 16, "", "\\# 0" },
	{ 13, "s:PC", "\\# 3 025043" },
	/* NSEC bitmaps: windows out of order, length 0 or > 32, block past the end. */
	{ 47, "n:.|x:01010100010140", "\\# 8 0001010100010140" },
	{ 47, "n:.|x:0000", "\\# 3 000000" },
	{ 47, "n:.|x:0021", "\\# 3 000021" },
	{ 47, "n:.|x:000240", "\\# 4 00000240" },
	/* A block with a trailing zero octet would not read back as the same wire. */
	{ 47, "n:.|x:00024000", "\\# 5 0000024000" },
	/* NSEC3 with an empty hash, NSEC3PARAM salt past the end. */
	{ 50, "u8:1|u8:0|u16:0|u8:0|u8:0", "\\# 6 010000000000" },
	{ 51, "u8:1|u8:0|u16:0|u8:4|x:aa", "\\# 6 0100000004AA" },
	/* Empty digest / key / signature. */
	{ 43, "u16:1|u8:8|u8:2", "\\# 4 00010802" },
	{ 48, "u16:256|u8:3|u8:8", "\\# 4 01000308" },
	{ 46, "u16:1|u8:8|u8:2|u32:0|u32:0|u32:0|u16:0|n:.",
	  "\\# 19 00010802000000000000000000000000000000" },
	/* SVCB: keys not increasing, port of 3 octets, alpn with an empty id, mandatory odd. */
	{ 64, "u16:1|n:.|u16:3|u16:2|u16:1|u16:1|u16:0", "\\# 13 00010000030002000100010000" },
	{ 64, "u16:1|n:.|u16:3|u16:3|x:000001", "\\# 10 00010000030003000001" },
	{ 64, "u16:1|n:.|u16:1|u16:1|x:00", "\\# 8 0001000001000100" },
	{ 64, "u16:1|n:.|u16:0|u16:1|x:00", "\\# 8 0001000000000100" },
	{ 64, "u16:1|n:.|u16:2|u16:1|x:00", "\\# 8 0001000002000100" },
	{ 64, "u16:1|n:.|u16:4|u16:3|x:c00002", "\\# 10 00010000040003C00002" },
	{ 64, "u16:1|n:.|u16:6|u16:4|x:20010db8", "\\# 11 00010000060004" "20010DB8" },
	{ 64, "u16:1|n:.|u16:1|u16:5|x:02683200", "\\# 11 00010000010005" "02683200" },
	{ 64, "u16:1", "\\# 2 0001" },
	/* mandatory: duplicates, listing itself, naming a key that is absent, odd length. */
	{ 64, "u16:1|n:.|u16:0|u16:4|u16:3|u16:3|u16:3|u16:2|u16:1",
	  "\\# 17 000100000000040003000300030002" "0001" },
	{ 64, "u16:1|n:.|u16:0|u16:2|u16:0", "\\# 9 000100000000020000" },
	{ 64, "u16:1|n:.|u16:0|u16:2|u16:3", "\\# 9 000100000000020003" },
	{ 64, "u16:1|n:.|u16:0|u16:3|u16:3|u8:0", "\\# 10 00010000000003000300" },
	/* LOC: version 1, mantissa 10, latitude beyond 90 degrees. */
	{ 29, "u8:1|u8:0|u8:0|u8:0|u32:2147483648|u32:2147483648|u32:10000000",
	  "\\# 16 01000000800000008000000000989680" },
	{ 29, "u8:0|u8:0xa0|u8:0|u8:0|u32:2147483648|u32:2147483648|u32:10000000",
	  "\\# 16 00A00000800000008000000000989680" },
	{ 29, "u8:0|u8:0|u8:0|u8:0|u32:2471483649|u32:2147483648|u32:10000000",
	  "\\# 16 00000000934FD9018000000000989680" },
	/* CAA tag with a non-alphanumeric byte, or empty. */
	{ 257, "u8:0|s:is-sue|t:x", "\\# 9 000669732D73756578" },
	{ 257, "u8:0|u8:0", "\\# 2 0000" },
	/* APL with an unknown family or an address longer than the family's. */
	{ 42, "u16:3|u8:0|u8:0", "\\# 4 00030000" },
	{ 42, "u16:1|u8:8|u8:5|x:0102030405", "\\# 9 0001080501020304" "05" },
	{ 42, "u16:1|u8:33|u8:0", "\\# 4 00012100" },
	/* IPSECKEY with an undefined gateway type. */
	{ 45, "u8:10|u8:4|u8:2", "\\# 3 0A0402" },
	/* URI with an empty target. */
	{ 256, "u16:1|u16:1", "\\# 4 00010001" },
};

static void test_rdata_falls_back_to_rfc3597_when_it_does_not_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fallback_cases) / sizeof(fallback_cases[0]); i++)
		check_rdata(fallback_cases[i].type, fallback_cases[i].spec, fallback_cases[i].text);
}

static void test_rdata_to_text_reports_nospace_and_terminates(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	char out[16];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(rdata_to_text(1, a, 4, out, 9), -DNSIFT_ENOSPACE);
	assert_int_equal(out[8], '\0');
	assert_int_equal(out[9], 'X');
	assert_int_equal(rdata_to_text(1, a, 4, out, 0), -DNSIFT_ENOSPACE);
	assert_int_equal(rdata_to_text(1, a, 4, out, 10), 9);
	assert_string_equal(out, "192.0.2.1");
}

/* ---- rrtype_name ---- */

static void test_rrtype_name_covers_iana_and_only_iana(void **state)
{
	static const uint16_t assigned[] = { 1, 2, 5, 6, 12, 15, 16, 28, 29, 33, 35, 39, 41, 43,
					     46, 47, 48, 50, 51, 52, 53, 55, 59, 60, 61, 62, 63,
					     64, 65, 99, 108, 109, 249, 250, 251, 252, 255, 256,
					     257, 260, 261, 32768, 32769 };
	static const uint16_t unassigned[] = { 0, 54, 69, 98, 110, 127, 129, 248, 265, 32767,
					       32770, 65280, 65535 };

	(void)state;
	for (size_t i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++)
		assert_non_null(rrtype_name(assigned[i]));
	for (size_t i = 0; i < sizeof(unassigned) / sizeof(unassigned[0]); i++)
		assert_null(rrtype_name(unassigned[i]));
	assert_string_equal(rrtype_name(1), "A");
	assert_string_equal(rrtype_name(23), "NSAP-PTR");
	assert_string_equal(rrtype_name(51), "NSEC3PARAM");
	assert_string_equal(rrtype_name(65), "HTTPS");
	assert_string_equal(rrtype_name(257), "CAA");
	assert_string_equal(rrtype_name(32769), "DLV");
}

/* ---- COF ---- */

static int render(const struct bytes *k, const struct cof_meta *m, char *out, size_t n)
{
	return cof_render(k->b, k->n, m, out, n);
}

static void test_cof_renders_documented_a_record_line(void **state)
{
	static struct bytes owner, bw, r1, r2, key;
	const struct bytes *rd[] = { &r1, &r2 };
	const struct cof_meta m = { 1764190000, 1764190290, 41, "isp1-fra-01" };
	const char *want = "{\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"rdata\":"
			   "[\"192.0.2.1\",\"192.0.2.7\"],\"time_first\":1764190000,"
			   "\"time_last\":1764190290,\"count\":41,\"bailiwick\":\"example.com.\","
			   "\"sensor_id\":\"isp1-fra-01\"}\n";
	char out[1024];

	(void)state;
	assemble(&owner, "n:www.example.com.");
	assemble(&bw, "n:example.com.");
	assemble(&r1, "x:c0000201");
	assemble(&r2, "x:c0000207");
	build_key(&key, 0, 1, 1, &owner, &bw, rd, 2);
	assert_int_equal(render(&key, &m, out, sizeof(out)), (int)strlen(want));
	assert_string_equal(out, want);
	assert_true(cof_render_bound(key.n, m.sensor_id) > strlen(want));
}

static void test_cof_optional_fields_and_numeric_type_class(void **state)
{
	static struct bytes owner, r1, key;
	const struct bytes *rd[] = { &r1 };
	struct cof_meta m = { 0, UINT64_MAX, 1, NULL };
	char out[1024];

	(void)state;
	assemble(&owner, "n:.");
	assemble(&r1, "x:0a000001");
	/* Unknown type: a JSON number and RFC 3597 rdata (backslash escaped); class CH. */
	build_key(&key, RRKEY_F_UNMATCHED, 65280, 3, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_string_equal(out, "{\"rrname\":\".\",\"rrtype\":65280,\"rrclass\":\"CH\","
				 "\"rdata\":[\"\\\\# 4 0A000001\"],\"time_first\":0,"
				 "\"time_last\":18446744073709551615,\"count\":1,"
				 "\"unmatched\":true}\n");
	/* Unnamed class: a number; empty sensor_id is omitted like NULL. */
	m.sensor_id = "";
	build_key(&key, 0, 16, 42, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_string_equal(out, "{\"rrname\":\".\",\"rrtype\":\"TXT\",\"rrclass\":42,"
				 "\"rdata\":[\"\\\\# 4 0A000001\"],\"time_first\":0,"
				 "\"time_last\":18446744073709551615,\"count\":1}\n");
	build_key(&key, 0, 1, 254, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"rrclass\":\"NONE\""));
	build_key(&key, 0, 1, 255, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"rrclass\":\"ANY\""));
	build_key(&key, 0, 1, 4, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"rrclass\":\"HS\""));
	build_key(&key, 0, 1, 2, &owner, NULL, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"rrclass\":\"CS\""));
}

static void test_cof_json_escapes_names_txt_and_sensor_id(void **state)
{
	static struct bytes owner, r1, r2, key;
	const struct bytes *rd[] = { &r1, &r2 };
	const struct cof_meta m = { 1, 2, 3, "a\"b\\c\n\x01\x7f\xc3\xa9" };
	char out[1024];

	(void)state;
	assemble(&owner, "x:05|t:a\"\\ |x:ff|n:example.");
	assemble(&r1, "s:say \"hi\"\\|x:020aff");
	assemble(&r2, "x:00");
	build_key(&key, 0, 16, 1, &owner, NULL, rd, 2);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);
	assert_string_equal(out,
		"{\"rrname\":\"a\\\\\\\"\\\\\\\\\\\\032\\\\255.example.\",\"rrtype\":\"TXT\","
		"\"rdata\":[\"\\\"say \\\\\\\"hi\\\\\\\"\\\\\\\\\\\" \\\"\\\\010\\\\255\\\"\","
		"\"\\\"\\\"\"],\"time_first\":1,\"time_last\":2,\"count\":3,"
		"\"sensor_id\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3\\u00a9\"}\n");
	/* Every byte of the line is printable ASCII apart from the final newline. */
	for (const char *p = out; *p; p++)
		assert_true((*p >= 0x20 && *p <= 0x7e) || (*p == '\n' && p[1] == '\0'));
}

static void test_cof_rejects_corrupt_keys(void **state)
{
	static struct bytes owner, bw, r1, key, bad;
	const struct bytes *rd[] = { &r1 };
	const struct cof_meta m = { 1, 2, 3, "s" };
	char out[1024];

	(void)state;
	assemble(&owner, "n:www.example.");
	assemble(&bw, "n:example.");
	assemble(&r1, "x:c0000201");
	build_key(&key, 0, 1, 1, &owner, &bw, rd, 1);
	assert_true(render(&key, &m, out, sizeof(out)) > 0);

	/* Every truncation of a valid key is refused and leaves an empty string. */
	for (size_t n = 0; n < key.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, key.b, n);
		memset(out, 'X', sizeof(out));
		assert_int_equal(cof_render(copy, n, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
		assert_int_equal(out[0], '\0');
		free(copy);
	}
	/* Trailing garbage, wrong version, zero-length owner, zero rdata. */
	bad = key;
	bad.b[bad.n++] = 0;
	assert_int_equal(render(&bad, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
	bad = key;
	bad.b[0] = 2;
	assert_int_equal(render(&bad, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
	build_key(&bad, 0, 1, 1, &owner, &bw, rd, 0);
	bad.b[bad.n - 1] = 0;
	assert_int_equal(render(&bad, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
	/* Owner and bailiwick must be wire names; the view only checks lengths. */
	assemble(&bad, "x:03777777");
	build_key(&key, 0, 1, 1, &bad, &bw, rd, 1);
	assert_int_equal(render(&key, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
	assemble(&bad, "x:c00c");
	build_key(&key, 0, 1, 1, &owner, &bad, rd, 1);
	assert_int_equal(render(&key, &m, out, sizeof(out)), -DNSIFT_EFORMAT);
	assert_int_equal(out[0], '\0');
	/* Larger than any key the wire path builds. */
	assert_int_equal(cof_render(key.b, RRKEY_MAX_LEN + 1, &m, out, sizeof(out)),
			 -DNSIFT_EFORMAT);
	assert_int_equal(cof_render(NULL, 0, &m, out, sizeof(out)), -DNSIFT_EINVAL);
	assert_int_equal(cof_render(key.b, key.n, NULL, out, sizeof(out)), -DNSIFT_EINVAL);
}

/* ---- the bound ---- */

/* The longest owner: 255 octets, every label byte a \DDD. */
static void worst_name(struct bytes *o)
{
	o->n = 0;
	for (int l = 0; l < 4; l++) {
		unsigned len = l < 3 ? 63 : 61;
		put_u8(o, len);
		for (unsigned i = 0; i < len; i++)
			put_u8(o, 0xff);
	}
	put_u8(o, 0);
	assert_int_equal(o->n, 255);
}

/* Render into a heap buffer of exactly out_size, with a canary after it. */
static int render_guarded(const struct bytes *k, const struct cof_meta *m, size_t out_size,
			  char **text)
{
	char *buf = malloc(out_size + 16);
	int rc;

	assert_non_null(buf);
	memset(buf, 0x5a, out_size + 16);
	rc = cof_render(k->b, k->n, m, buf, out_size);
	for (size_t i = out_size; i < out_size + 16; i++)
		assert_int_equal((unsigned char)buf[i], 0x5a);
	if (rc >= 0)
		assert_int_equal(buf[rc], '\0');
	else if (out_size)
		assert_int_equal(buf[out_size - 1] == '\0' || buf[0] == '\0', 1);
	if (text)
		*text = buf;
	else
		free(buf);
	return rc;
}

static void check_bound(const struct bytes *k, const struct cof_meta *m)
{
	size_t bound = cof_render_bound(k->n, m->sensor_id);
	char *text;
	int need = render_guarded(k, m, bound, &text);

	assert_true(need > 0);
	assert_true((size_t)need < bound);
	assert_int_equal(strlen(text), (size_t)need);
	free(text);
	/* Exactly enough (the NUL included), then one byte short. */
	assert_int_equal(render_guarded(k, m, (size_t)need + 1, NULL), need);
	assert_int_equal(render_guarded(k, m, (size_t)need, NULL), -DNSIFT_ENOSPACE);
	assert_int_equal(render_guarded(k, m, 1, NULL), -DNSIFT_ENOSPACE);
	assert_int_equal(render_guarded(k, m, 0, NULL), -DNSIFT_ENOSPACE);
}

static void test_cof_bound_holds_for_worst_case_keys(void **state)
{
	static struct bytes owner, bw, key, r[8];
	const struct bytes *rd[8];
	char sid[200];
	struct cof_meta m = { UINT64_MAX, UINT64_MAX, UINT64_MAX, sid };

	(void)state;
	memset(sid, 0xff, sizeof(sid) - 1);
	sid[sizeof(sid) - 1] = '\0';
	worst_name(&owner);
	worst_name(&bw);
	for (int i = 0; i < 8; i++)
		rd[i] = &r[i];

	/* NSEC with full bitmaps in windows >= 39: the largest text per octet. */
	for (int i = 0; i < 4; i++) {
		r[i].n = 0;
		put_u8(&r[i], 0);
		for (unsigned w = 200 + (unsigned)i * 10; w < 206 + (unsigned)i * 10; w++) {
			put_u8(&r[i], w);
			put_u8(&r[i], 32);
			for (int b = 0; b < 32; b++)
				put_u8(&r[i], 0xff);
		}
	}
	build_key(&key, RRKEY_F_UNMATCHED, 47, 254, &owner, &bw, rd, 4);
	check_bound(&key, &m);

	/*
	 * A key that is almost all bitmap (every type of windows 40..255, all
	 * "TYPEnnnnn"): 75 characters per key octet, so the bound is within 7%.
	 */
	assemble(&bw, "n:.");
	r[0].n = 0;
	put_u8(&r[0], 0);
	for (unsigned w = 40; w < 256; w++) {
		put_u8(&r[0], w);
		put_u8(&r[0], 32);
		for (int b = 0; b < 32; b++)
			put_u8(&r[0], 0xff);
	}
	build_key(&key, 0, 47, 1, &bw, NULL, rd, 1);
	check_bound(&key, &m);
	assert_true(render_guarded(&key, &m, cof_render_bound(key.n, sid), NULL) >
		    (int)(cof_render_bound(key.n, sid) * 93 / 100));
	worst_name(&bw);

	/* TXT of empty strings and of \DDD bytes, escaped twice over. */
	for (int i = 0; i < 3; i++) {
		r[i].n = 0;
		for (int j = 0; j < 2000; j++) {
			put_u8(&r[i], i == 0 ? 0 : 1);
			if (i)
				put_u8(&r[i], i == 1 ? '"' : 0x80);
		}
	}
	build_key(&key, 0, 16, 1, &owner, &bw, rd, 3);
	check_bound(&key, &m);

	/* SVCB alpn of backslashes (8 characters an octet in JSON), unknown type hex. */
	assemble(&r[0], "u16:1|n:.|u16:1|u16:1024");
	for (int j = 0; j < 4; j++) {
		put_u8(&r[0], 255);
		for (int b = 0; b < 255; b++)
			put_u8(&r[0], '\\');
	}
	build_key(&key, 0, 64, 1, &owner, &bw, rd, 1);
	check_bound(&key, &m);
	r[0].n = 65535;
	memset(r[0].b, 0xee, r[0].n);
	build_key(&key, 0, 65280, 1, &owner, NULL, rd, 1);
	check_bound(&key, &m);

	/* A typical record too, with every buffer size from 0 up: never a byte past out_size. */
	assemble(&owner, "n:www.example.com.");
	assemble(&r[0], "x:c0000201");
	build_key(&key, 0, 1, 1, &owner, NULL, rd, 1);
	m.sensor_id = "isp1";
	check_bound(&key, &m);
	for (size_t n = 0; n < 200; n++) {
		int rc = render_guarded(&key, &m, n, NULL);
		assert_true(rc == -DNSIFT_ENOSPACE || (rc > 0 && (size_t)rc < n));
	}
}

/* ---- properties over random rdata ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Random and mutated rdata of every implemented type: no read outside the
 * rdata (exact-size heap copies under ASan), printable ASCII only, and the
 * JSON form within TEXT_RDATA_JSON_MAX, the basis of cof_render_bound.
 */
static void test_rdata_random_input_is_bounded_and_printable(void **state)
{
	static const uint16_t types[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18,
					  19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 33, 35, 36, 37,
					  39, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 56,
					  59, 60, 61, 62, 63, 64, 65, 66, 99, 104, 105, 106, 107,
					  108, 109, 256, 257, 258, 261, 32768, 32769, 65280 };
	static char text[1 << 21], json[1 << 21];

	(void)state;
	for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
		for (int iter = 0; iter < 3000; iter++) {
			uint16_t n;
			uint8_t *rd;
			struct text_out t;
			int len;

			/* Short noise, mutated typed cases, and dense bitmaps in high windows. */
			if (iter % 3 == 0) {
				static struct bytes b;
				const struct rdata_case *c =
					&typed_cases[rng() % (sizeof(typed_cases) /
							      sizeof(typed_cases[0]))];
				assemble(&b, c->spec);
				n = (uint16_t)b.n;
				rd = malloc(n ? n : 1);
				assert_non_null(rd);
				memcpy(rd, b.b, n);
				if (n && rng() % 2)
					rd[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
				if (n && rng() % 4 == 0)
					n = (uint16_t)(rng() % n);
			} else {
				n = (uint16_t)(rng() % (iter % 7 == 0 ? 2000 : 40));
				rd = malloc(n ? n : 1);
				assert_non_null(rd);
				for (unsigned i = 0; i < n; i++)
					rd[i] = iter % 5 == 0 ? 0xff : (uint8_t)rng();
				if (iter % 5 == 0 && n > 2) {
					rd[0] = 0;	/* root next name, then one window */
					rd[1] = (uint8_t)(200 + rng() % 56);
					rd[2] = (uint8_t)(n - 3 <= 32 ? n - 3 : 32);
				}
			}
			len = rdata_to_text(types[ti], rd, n, text, sizeof(text));
			assert_true(len >= 0);
			for (int i = 0; i < len; i++)
				assert_true(text[i] >= 0x20 && text[i] <= 0x7e);
			text_out_init(&t, json, sizeof(json), true);
			text_rdata(&t, types[ti], rd, n);
			assert_true(t.len <= TEXT_RDATA_JSON_MAX(n));
			assert_true(t.len >= (size_t)len);
			free(rd);
		}
	}
}

/* AAAA is hand-rolled; glibc's inet_ntop (what kdig uses) is the oracle. */
static void test_aaaa_matches_inet_ntop(void **state)
{
	static const char *const edge[] = {
		"::", "::1", "1::", "::ffff:192.0.2.1", "::192.0.2.1", "::ffff:0:1",
		"1:0:0:1:0:0:0:1", "1:0:0:1:0:0:1:1", "0:0:1::", "1:2:3:4:5:6:7:8",
		"1:0:2:3:4:5:6:7", "::1:0:0:0:0", "fe80::", "2001:db8::ffff:0:1", "::2:0:0",
		"0:0:0:0:0:1:0:0", "::ffff:0:0", "::1:ffff:1:2", "ffff::ffff:1.2.3.4",
	};
	char want[INET6_ADDRSTRLEN], got[64];
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]) + 20000; i++) {
		if (i < sizeof(edge) / sizeof(edge[0])) {
			assert_int_equal(inet_pton(AF_INET6, edge[i], a), 1);
		} else {
			/* Mostly zero groups, so runs, ties and the dotted forms all come up. */
			for (int g = 0; g < 8; g++) {
				uint16_t w = rng() % 3 ? 0 : (rng() % 4 ? 1 : (uint16_t)rng());
				if (g == 5 && rng() % 4 == 0)
					w = 0xffff;
				a[2 * g] = (uint8_t)(w >> 8);
				a[2 * g + 1] = (uint8_t)w;
			}
		}
		assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		assert_int_equal(rdata_to_text(28, a, 16, got, sizeof(got)), (int)strlen(want));
		assert_string_equal(got, want);
	}
}

/* ---- an independent JSON parser: jq ---- */

static void test_cof_lines_parse_with_jq_and_round_trip_rdata(void **state)
{
	char dir[] = "/tmp/dnsift-test-cof-XXXXXX";
	char lines[512], expect[512], cmd[2048];
	static char out[1 << 16], pres[1 << 16], owner_text[1024];
	static struct bytes owner, bw, r1, key;
	const struct bytes *rd[] = { &r1 };
	/* jq prints the decoded sensor_id as UTF-8: U+0001 and U+00E9 (from the byte 0xe9). */
	const struct cof_meta m = { 1, 2, 3, "sensor \"\\\x01\xe9" };
	const char *sensor_utf8 = "sensor \"\\\x01\xc3\xa9";
	size_t count = 0;
	FILE *fl, *fe;
	int rc;

	(void)state;
	if (system("command -v jq >/dev/null 2>&1") != 0) {
		print_message("jq not installed: JSON round trip skipped\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(lines, sizeof(lines), "%s/lines.ndjson", dir);
	snprintf(expect, sizeof(expect), "%s/expected.txt", dir);
	fl = fopen(lines, "w");
	fe = fopen(expect, "w");
	assert_non_null(fl);
	assert_non_null(fe);
	assemble(&owner, "x:07|t:a\"b\\c |x:01|n:example.");
	assert_true(name_to_text(owner.b, owner.n, owner_text, sizeof(owner_text)) > 0);
	assemble(&bw, "n:example.");
	for (size_t i = 0; i < sizeof(typed_cases) / sizeof(typed_cases[0]); i++, count++) {
		assemble(&r1, typed_cases[i].spec);
		build_key(&key, (uint8_t)(i % 2), typed_cases[i].type, 1, &owner, &bw, rd, 1);
		assert_true(render(&key, &m, out, sizeof(out)) > 0);
		fputs(out, fl);
		assert_true(rdata_to_text(typed_cases[i].type, r1.b, (uint16_t)r1.n, pres,
					  sizeof(pres)) >= 0);
		fprintf(fe, "%s\n%s\n%s\n", owner_text, pres, sensor_utf8);
	}
	for (size_t i = 0; i < sizeof(fallback_cases) / sizeof(fallback_cases[0]); i++, count++) {
		assemble(&r1, fallback_cases[i].spec);
		build_key(&key, 0, fallback_cases[i].type, 3, &owner, NULL, rd, 1);
		assert_true(render(&key, &m, out, sizeof(out)) > 0);
		fputs(out, fl);
		fprintf(fe, "%s\n%s\n%s\n", owner_text, fallback_cases[i].text, sensor_utf8);
	}
	fclose(fl);
	fclose(fe);
	/* One JSON object per line, and the decoded strings are the presentation text. */
	snprintf(cmd, sizeof(cmd),
		 "jq -e -s 'length == %zu and all(.[]; type == \"object\")' %s >/dev/null && "
		 "jq -r '.rrname, .rdata[0], .sensor_id' %s | cmp -s - %s",
		 count, lines, lines, expect);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("jq rejected or mis-decoded rendered lines (kept in %s): %d", dir, rc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rdata_each_type_matches_kdig_presentation),
		cmocka_unit_test(test_name_escapes_special_and_nonprintable_bytes),
		cmocka_unit_test(test_name_rejects_non_canonical_wire_names),
		cmocka_unit_test(test_rdata_falls_back_to_rfc3597_when_it_does_not_parse),
		cmocka_unit_test(test_rdata_to_text_reports_nospace_and_terminates),
		cmocka_unit_test(test_rrtype_name_covers_iana_and_only_iana),
		cmocka_unit_test(test_cof_renders_documented_a_record_line),
		cmocka_unit_test(test_cof_optional_fields_and_numeric_type_class),
		cmocka_unit_test(test_cof_json_escapes_names_txt_and_sensor_id),
		cmocka_unit_test(test_cof_rejects_corrupt_keys),
		cmocka_unit_test(test_cof_bound_holds_for_worst_case_keys),
		cmocka_unit_test(test_rdata_random_input_is_bounded_and_printable),
		cmocka_unit_test(test_aaaa_matches_inet_ntop),
		cmocka_unit_test(test_cof_lines_parse_with_jq_and_round_trip_rdata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
