/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_scenario: queries, responses and the frames of each exchange (see gen_scenario.h). */
#include "bench/gen_scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen_msg.h"
#include "bench/gen_names.h"

#define RESOLVERS		4u

/* ---- options ---- */

void gen_opts_defaults(struct gen_opts *o)
{
	*o = (struct gen_opts){
		.out = "dnsift-trace.pcap",
		.packets = 1000000,
		.seed = 1,
		.names = 1000000,
		.zipf = 0.9,
		.repeat = 0.2,
		.ipv6 = 0.3,
		.tcp = 0.02,
		.frag = 0.01,
		.vlan = 0.0,
		.dnssec = 0.5,
		.nxdomain = 0.08,
		.nodata = 0.05,
		.referral = 0.12,
		.edns = 0.9,
		.ttl_short = 0.3,
		.unique = false,
		.victims = 4,
		.inflight = 64,
		.pps = 1000000,
		.start = 1764190000,
	};
}

int gen_apply_preset(struct gen_opts *o, const char *name)
{
	if (strcmp(name, "realistic") == 0) {
		/* The defaults are the realistic mix. */
		return 0;
	}
	if (strcmp(name, "hotcache") == 0) {
		o->names = 20000;
		o->zipf = 1.1;
		o->repeat = 0.97;
		return 0;
	}
	if (strcmp(name, "attack") == 0) {
		o->unique = true;
		o->victims = 3;
		o->nxdomain = 1.0;
		o->nodata = 0.0;
		o->referral = 0.0;
		o->tcp = 0.0;
		o->frag = 0.0;
		return 0;
	}
	if (strcmp(name, "tcpfrag") == 0) {
		o->tcp = 0.5;
		o->frag = 0.3;
		o->ipv6 = 0.5;
		o->vlan = 0.3;
		return 0;
	}
	return -1;
}

/* ---- response content: every RRset's rdata comes from a generator seeded by its identity ---- */

/* Response content. Every RRset's rdata comes from a generator seeded by its identity. */

static const uint16_t qkind_type[QK_COUNT] = {
	1, 28, 65, 12, 16, 15, 2, 43, 48, 6, 257, 33, 5,
};
/*
 * Query type mix of a large validating resolver's upstream, in per mille, rounded from
 * published resolver and TLD statistics: A and AAAA dominate, HTTPS grew with browser
 * support, PTR follows mail and logging. Documented in bench/README.md.
 */
static const unsigned int qkind_permille[QK_COUNT] = {
	440, 220, 80, 60, 40, 30, 25, 25, 20, 20, 10, 15, 15,
};
static unsigned int qkind_cum[QK_COUNT];

struct signer {
	bool on;		/* zone signed and query had DO */
	const struct gen_name *zone;
	uint16_t key_tag;
	uint8_t alg;		/* 13 ECDSAP256SHA256 or 8 RSASHA256 */
	uint32_t inception;
	uint32_t expiration;
};

/* An RRSIG over the RRset (owner, type) just written, with a deterministic signature. */
static void put_rrsig(struct gen_msg *m, int section, const struct signer *sg,
		      const struct gen_name *owner, uint16_t type, uint32_t ttl, uint64_t id)
{
	struct rng r;
	uint32_t at;
	unsigned int siglen = sg->alg == 13 ? 64 : 256;
	uint8_t labels = owner->labels;

	if (!sg->on)
		return;
	rng_seed(&r, id ^ 0x7273696700000000ull);
	at = gen_msg_rr_begin(m, section, owner, 46, ttl);
	gen_msg_u16(m, type);
	gen_msg_u8(m, sg->alg);
	gen_msg_u8(m, labels);
	gen_msg_u32(m, ttl);
	gen_msg_u32(m, sg->expiration);
	gen_msg_u32(m, sg->inception);
	gen_msg_u16(m, sg->key_tag);
	gen_msg_name(m, sg->zone, false);	/* RFC 4034 3.1.7: signer never compressed */
	for (unsigned int i = 0; i < siglen; i += 8) {
		uint64_t v = rng_next(&r);
		gen_msg_bytes(m, &v, siglen - i < 8 ? siglen - i : 8);
	}
	gen_msg_rr_end(m, at);
}

static void put_a_addr(struct gen_msg *m, struct rng *r)
{
	uint32_t k = rng_below(r, 3), v;

	if (k == 0)
		v = 0xc0000200u | (1 + rng_below(r, 254));		/* 192.0.2.0/24 */
	else if (k == 1)
		v = 0xcb007100u | (1 + rng_below(r, 254));		/* 203.0.113.0/24 */
	else
		v = 0xc6120000u | (rng_below(r, 0x20000) | 1);	/* 198.18.0.0/15 */
	gen_msg_u32(m, v);
}

static void put_aaaa_addr(struct gen_msg *m, struct rng *r)
{
	/* 2001:db8:aXXX::/36 style addresses, clear of the resolver and server ranges. */
	gen_msg_u32(m, 0x20010db8u);
	gen_msg_u32(m, 0xa0000000u | (uint32_t)(rng_next(r) & 0x0fffffffu));
	gen_msg_u32(m, 0);
	gen_msg_u32(m, (uint32_t)rng_below(r, 0x10000) + 1);
}

static void put_txt_string(struct gen_msg *m, const char *s, size_t l)
{
	if (l > 255)
		l = 255;
	gen_msg_u8(m, (uint8_t)l);
	gen_msg_bytes(m, s, l);
}

/* The NS names of a zone: some in-zone (with glue), some at a DNS provider. */
struct nsset {
	struct gen_name ns[4];
	unsigned int n;
	bool in_zone;
};

static void gen_nsset(struct nsset *s, const struct gen_name *zone, uint64_t zh, uint64_t version)
{
	struct rng r;

	rng_seed(&r, mix64(zh, 0x6e73ull + version * 0x10001ull));
	s->n = 2 + rng_below(&r, 3);
	s->in_zone = rng_below(&r, 100) < 55;
	unsigned int p = rng_below(&r, GEN_NPROVIDERS), base = rng_below(&r, 60);
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->in_zone) {
			gen_name_in_zone(&s->ns[i], "ns", i + 1, zone);
		} else {
			struct gen_name pz;
			gen_name_clear(&pz);
			gen_name_str(&pz, gen_providers[p]);
			gen_name_str(&pz, (p & 1) ? "net" : "com");
			gen_name_finish(&pz);
			gen_name_in_zone(&s->ns[i], "ns", base + i + 1, &pz);
		}
	}
}

/* Glue: one A and, for half the zones, one AAAA per in-zone server name. */
static void put_glue(struct gen_msg *m, const struct nsset *s, uint64_t zh, uint64_t version,
		     uint32_t ttl)
{
	if (!s->in_zone)
		return;
	for (unsigned int i = 0; i < s->n; i++) {
		struct rng r;
		uint32_t at;

		rng_seed(&r, mix64(zh ^ version, 0x676c7565ull + i));
		at = gen_msg_rr_begin(m, GEN_SEC_AR, &s->ns[i], 1, ttl);
		put_a_addr(m, &r);
		gen_msg_rr_end(m, at);
		if (zh & 1) {
			at = gen_msg_rr_begin(m, GEN_SEC_AR, &s->ns[i], 28, ttl);
			put_aaaa_addr(m, &r);
			gen_msg_rr_end(m, at);
		}
	}
}

static void put_nsset(struct gen_msg *m, int section, const struct gen_name *zone,
		      const struct nsset *s, uint32_t ttl)
{
	for (unsigned int i = 0; i < s->n; i++) {
		uint32_t at = gen_msg_rr_begin(m, section, zone, 2, ttl);
		gen_msg_name(m, &s->ns[i], true);
		gen_msg_rr_end(m, at);
	}
}

static void put_soa(struct gen_msg *m, int section, const struct gen_name *zone, uint64_t zh,
		    uint32_t ttl)
{
	struct gen_name mname, rname;
	uint32_t at;

	gen_name_in_zone(&mname, "ns", 1, zone);
	gen_name_in_zone(&rname, (zh & 2) ? "hostmaster" : "dns-admin", 0, zone);
	at = gen_msg_rr_begin(m, section, zone, 6, ttl);
	gen_msg_name(m, &mname, true);
	gen_msg_name(m, &rname, true);
	gen_msg_u32(m, 2025110100u + (uint32_t)(zh % 2600));	/* date-shaped serial */
	gen_msg_u32(m, 7200);
	gen_msg_u32(m, 3600);
	gen_msg_u32(m, 1209600);
	gen_msg_u32(m, (zh & 4) ? 300 : 3600);
	gen_msg_rr_end(m, at);
}

/* NSEC at the apex, as a signed zone's negative answer carries (bitmap: A NS SOA MX TXT
 * AAAA RRSIG NSEC DNSKEY). */
static void put_nsec(struct gen_msg *m, const struct gen_name *zone, uint32_t ttl)
{
	static const uint8_t bitmap[] = { 0x00, 0x07, 0x62, 0x01, 0x80, 0x08, 0x00, 0x03, 0x80 };
	struct gen_name next;
	uint32_t at;

	/* Next name "\\000.zone": the canonical successor of the apex. */
	gen_name_clear(&next);
	gen_name_label(&next, "", 1);
	gen_name_append(&next, zone);
	gen_name_finish(&next);
	at = gen_msg_rr_begin(m, GEN_SEC_NS, zone, 47, ttl);
	gen_msg_name(m, &next, false);
	gen_msg_bytes(m, bitmap, sizeof(bitmap));
	gen_msg_rr_end(m, at);
}
/* ---- frames ---- */

/* The frame writer's sink: append a frame to the exchange being built. */
static void exch_add(void *arg, const uint8_t *f, uint32_t len)
{
	struct exch *e = arg;

	if (e->n >= EXCH_PKTS || e->used + len > EXCH_BYTES) {
		/* Sized for the worst case built here; reaching this is a bug. */
		fprintf(stderr, "dnsift-tracegen: exchange buffer overflow\n");
		exit(1);
	}
	memcpy(e->data + e->used, f, len);
	e->off[e->n] = e->used;
	e->plen[e->n] = (uint16_t)len;
	e->used += len;
	e->n++;
}

/* The frame writer refuses only what this generator never builds: a bug. */
static void frame_bug(void)
{
	fprintf(stderr, "dnsift-tracegen: frame writer refused a frame\n");
	exit(1);
}

static void emit_udp(struct gen *g, const struct gen_flow *fl, bool from_server,
		     const uint8_t *msg, uint32_t len)
{
	if (gen_frame_udp(&g->fw, fl, from_server, msg, len) != 0)
		frame_bug();
}

static void emit_tcp(struct gen *g, struct gen_flow *fl, bool from_server, uint8_t flags,
		     const uint8_t *data, uint32_t len)
{
	if (gen_frame_tcp(&g->fw, fl, from_server, flags, data, len) != 0)
		frame_bug();
}

/* A length-framed DNS message sent in one or more segments split at random points. */
static void emit_tcp_msg(struct gen *g, struct gen_flow *fl, bool from_server, const uint8_t *msg,
			 uint32_t len, unsigned int max_pieces)
{
	uint8_t buf[2 + GEN_MAX_DNS_MSG];
	uint32_t total = len + 2, at = 0;
	unsigned int pieces = 1 + rng_below(&g->r, max_pieces);

	gen_wr16(buf, (uint16_t)len);
	memcpy(buf + 2, msg, len);
	while (at < total) {
		uint32_t left = total - at, n = left;
		if (pieces > 1) {
			/* Anywhere, including inside the 2-octet length prefix. */
			n = 1 + rng_below(&g->r, left > 1 ? left - 1 : 1);
			pieces--;
		}
		if (n > fl->mss)
			n = fl->mss;
		emit_tcp(g, fl, from_server, at + n == total ? 0x18 : 0x10, buf + at, n);
		at += n;
	}
}

/* ---- one exchange ---- */
/* One exchange */

struct query {
	struct gen_uname u;
	struct gen_name qname;
	enum qkind kind;
	uint16_t qtype;
	uint16_t id;
	bool edns, do_bit, cookie, large;
	uint8_t cookie_cli[8];
	uint64_t version;	/* 0 = the name's stable RRsets, else fresh */
	uint64_t rh;		/* identity of the answer RRsets */
};

static void put_opt(struct gen_msg *m, const struct query *q, bool response)
{
	gen_msg_u8(m, 0);		/* root owner */
	gen_msg_u16(m, 41);
	gen_msg_u16(m, q->large && !response ? 4096 : 1232);
	gen_msg_u32(m, q->do_bit ? 0x00008000u : 0);
	if (!q->cookie) {
		gen_msg_u16(m, 0);
	} else {
		/* COOKIE (RFC 7873): client cookie, and the server's 16 octets in the answer. */
		gen_msg_u16(m, (uint16_t)(4 + (response ? 24 : 8)));
		gen_msg_u16(m, 10);
		gen_msg_u16(m, response ? 24 : 8);
		gen_msg_bytes(m, q->cookie_cli, 8);
		if (response) {
			uint64_t s1 = mix64(q->rh, 1), s2 = mix64(q->rh, 2);
			gen_msg_bytes(m, &s1, 8);
			gen_msg_bytes(m, &s2, 8);
		}
	}
	m->counts[3]++;
}

static void build_query(struct gen_msg *m, const struct query *q)
{
	/* Iterative queries from a resolver: RD clear. */
	gen_msg_header(m, q->id, 0x0000);
	gen_msg_question(m, &q->qname, q->qtype);
	if (q->edns)
		put_opt(m, q, false);
	gen_msg_finish(m);
}

static void signer_for(struct signer *sg, const struct gen *g, const struct query *q,
		       const struct gen_name *zone, uint64_t zh)
{
	sg->on = q->do_bit && (double)(zh % 10000) < g->o.dnssec * 10000.0;
	sg->zone = zone;
	sg->key_tag = (uint16_t)(zh >> 16);
	sg->alg = (zh >> 5) % 4 == 0 ? 8 : 13;
	/* Signatures valid for three weeks around the trace start, staggered per zone. */
	sg->inception = (uint32_t)(g->o.start - 7 * 86400 - (zh >> 20) % 86400);
	sg->expiration = sg->inception + 21 * 86400;
}

/* The positive answer RRset(s) for q, with RRSIGs when signed. */
static void put_answer(struct gen_msg *m, const struct query *q,
		       const struct signer *sg)
{
	struct rng r;
	const struct gen_name *owner = &q->qname;
	uint32_t ttl = q->u.ttl, at;
	unsigned int n;
	struct gen_name cname_target, chain[2];

	rng_seed(&r, q->rh);

	/* CNAME chains on host names: in-zone (answer continues) or to a CDN (ends). */
	if ((q->kind == QK_A || q->kind == QK_AAAA || q->kind == QK_HTTPS) &&
	    q->qname.labels > q->u.zone.labels && rng_below(&r, 100) < 22) {
		unsigned int hops = 1 + rng_below(&r, 2);
		for (unsigned int h = 0; h < hops; h++) {
			if (rng_below(&r, 3) == 0) {
				/* CDN target: another zone, so the chain stops here. */
				struct gen_name cdn;
				gen_name_clear(&cname_target);
				gen_label(&cname_target, &r, true);
				gen_name_clear(&cdn);
				gen_name_str(&cdn, gen_words[rng_below(&r, GEN_NWORDS)]);
				gen_name_str(&cdn, "cdn");
				gen_name_str(&cdn, "net");
				gen_name_finish(&cdn);
				gen_name_append(&cname_target, &cdn);
				gen_name_finish(&cname_target);
				at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 5, ttl);
				gen_msg_name(m, &cname_target, true);
				gen_msg_rr_end(m, at);
				put_rrsig(m, GEN_SEC_AN, sg, owner, 5, ttl, q->rh + h);
				return;
			}
			gen_name_clear(&cname_target);
			gen_label(&cname_target, &r, true);
			gen_name_append(&cname_target, &q->u.zone);
			gen_name_finish(&cname_target);
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 5, ttl);
			gen_msg_name(m, &cname_target, true);
			gen_msg_rr_end(m, at);
			put_rrsig(m, GEN_SEC_AN, sg, owner, 5, ttl, q->rh + h);
			/* The next owner must outlive this loop iteration: copy it. */
			chain[h] = cname_target;
			owner = &chain[h];
		}
	}

	switch (q->kind) {
	case QK_A:
		n = q->large ? 90 + rng_below(&r, 60) : 1 + rng_below(&r, 100) / 40;
		for (unsigned int i = 0; i < n; i++) {
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 1, ttl);
			put_a_addr(m, &r);
			gen_msg_rr_end(m, at);
		}
		break;
	case QK_AAAA:
		n = q->large ? 45 + rng_below(&r, 40) : 1 + rng_below(&r, 100) / 50;
		for (unsigned int i = 0; i < n; i++) {
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 28, ttl);
			put_aaaa_addr(m, &r);
			gen_msg_rr_end(m, at);
		}
		break;
	case QK_HTTPS:
		/* ServiceMode, target ".", alpn=h3,h2, ipv4hint (RFC 9460). */
		at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 65, ttl);
		gen_msg_u16(m, 1);
		gen_msg_u8(m, 0);
		gen_msg_u16(m, 1);
		gen_msg_u16(m, 6);
		gen_msg_bytes(m, "\x02h3\x02h2", 6);
		n = 1 + rng_below(&r, 2);
		gen_msg_u16(m, 4);
		gen_msg_u16(m, (uint16_t)(4 * n));
		for (unsigned int i = 0; i < n; i++)
			put_a_addr(m, &r);
		gen_msg_rr_end(m, at);
		break;
	case QK_PTR: {
		struct gen_name host, isp;
		gen_name_clear(&isp);
		gen_name_str(&isp, gen_words[rng_below(&r, GEN_NWORDS)]);
		gen_name_str(&isp, "example");
		gen_name_str(&isp, rng_below(&r, 2) ? "net" : "com");
		gen_name_finish(&isp);
		gen_name_clear(&host);
		gen_name_printf_label(&host, "host-%u-%u", rng_below(&r, 256), rng_below(&r, 256));
		gen_name_append(&host, &isp);
		gen_name_finish(&host);
		at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 12, ttl);
		gen_msg_name(m, &host, true);
		gen_msg_rr_end(m, at);
		break;
	}
	case QK_TXT: {
		char s[256];
		n = q->large ? 12 + rng_below(&r, 8) : 1 + rng_below(&r, 3);
		for (unsigned int i = 0; i < n; i++) {
			int l;
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 16, ttl);
			switch (rng_below(&r, q->large ? 1 : 3)) {
			case 0: {
				/* Site verification tokens, DKIM-ish key material. */
				static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
							  "qrstuvwxyz0123456789+/";
				l = snprintf(s, sizeof(s), "%s-verification=",
					     gen_words[rng_below(&r, GEN_NWORDS)]);
				unsigned int tl = q->large ? 200 : 43;
				for (unsigned int k = 0; k < tl && l < 255; k++)
					s[l++] = b64[rng_below(&r, 64)];
				break;
			}
			case 1:
				l = snprintf(s, sizeof(s), "v=spf1 include:_spf.%s.com ip4:192.0.2.%u "
					     "~all", gen_words[rng_below(&r, GEN_NWORDS)],
					     rng_below(&r, 256));
				break;
			default:
				l = snprintf(s, sizeof(s), "MS=ms%08u", rng_below(&r, 100000000));
				break;
			}
			put_txt_string(m, s, (size_t)l);
			gen_msg_rr_end(m, at);
		}
		break;
	}
	case QK_MX: {
		n = 1 + rng_below(&r, 3);
		bool hosted = rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			struct gen_name mx;
			if (hosted) {
				struct gen_name pz;
				gen_name_clear(&pz);
				gen_name_str(&pz, gen_providers[(q->u.zh >> 8) % GEN_NPROVIDERS]);
				gen_name_str(&pz, "com");
				gen_name_finish(&pz);
				gen_name_in_zone(&mx, "mx", i + 1, &pz);
			} else {
				gen_name_in_zone(&mx, "mail", i ? i + 1 : 0, &q->u.zone);
			}
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 15, ttl);
			gen_msg_u16(m, (uint16_t)(10 * (i + 1)));
			gen_msg_name(m, &mx, true);
			gen_msg_rr_end(m, at);
		}
		break;
	}
	case QK_NS: {
		struct nsset s;
		gen_nsset(&s, &q->u.zone, q->u.zh, q->version);
		put_nsset(m, GEN_SEC_AN, &q->u.zone, &s, 86400 < ttl ? ttl : 86400);
		put_rrsig(m, GEN_SEC_AN, sg, owner, 2, 86400, q->rh);
		put_glue(m, &s, q->u.zh, q->version, 86400);
		return;
	}
	case QK_DS:
		n = 1 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 43, 86400);
			gen_msg_u16(m, (uint16_t)((q->u.zh >> 16) + i));
			gen_msg_u8(m, (q->u.zh >> 5) % 4 == 0 ? 8 : 13);
			gen_msg_u8(m, 2);
			for (unsigned int k = 0; k < 4; k++) {
				uint64_t v = rng_next(&r);
				gen_msg_bytes(m, &v, 8);
			}
			gen_msg_rr_end(m, at);
		}
		put_rrsig(m, GEN_SEC_AN, sg, owner, 43, 86400, q->rh);
		return;
	case QK_DNSKEY: {
		/* KSK + ZSK (+ a rollover key); RSA keys make the big answers. */
		bool rsa = q->large || (q->u.zh >> 5) % 4 == 0;
		n = 2 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int kl = rsa ? (i == 0 ? 260 : 132) : 64;
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 48, 3600);
			gen_msg_u16(m, i == 0 ? 257 : 256);
			gen_msg_u8(m, 3);
			gen_msg_u8(m, rsa ? 8 : 13);
			for (unsigned int k = 0; k < kl; k += 8) {
				uint64_t v = rng_next(&r);
				gen_msg_bytes(m, &v, kl - k < 8 ? kl - k : 8);
			}
			gen_msg_rr_end(m, at);
		}
		if (q->large) {
			struct signer big = *sg;
			big.alg = 8;
			big.on = true;
			put_rrsig(m, GEN_SEC_AN, &big, owner, 48, 3600, q->rh);
			put_rrsig(m, GEN_SEC_AN, &big, owner, 48, 3600, q->rh + 1);
		} else {
			put_rrsig(m, GEN_SEC_AN, sg, owner, 48, 3600, q->rh);
		}
		return;
	}
	case QK_SOA:
		put_soa(m, GEN_SEC_AN, &q->u.zone, q->u.zh ^ q->version, 3600);
		break;
	case QK_CAA: {
		static const char *const cas[] = { "letsencrypt.org", "digicert.com",
						   "sectigo.com", "pki.goog" };
		n = 1 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			const char *ca = cas[rng_below(&r, 4)];
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 257, ttl);
			gen_msg_u8(m, 0);
			gen_msg_u8(m, 5);
			gen_msg_bytes(m, "issue", 5);
			gen_msg_bytes(m, ca, strlen(ca));
			gen_msg_rr_end(m, at);
		}
		break;
	}
	case QK_SRV:
		n = 1 + rng_below(&r, 3);
		for (unsigned int i = 0; i < n; i++) {
			struct gen_name tgt;
			static const uint16_t ports[] = { 5060, 5222, 5269, 389, 88, 993, 587, 443 };
			gen_name_in_zone(&tgt, gen_words[rng_below(&r, GEN_NWORDS)], i + 1, &q->u.zone);
			at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 33, ttl);
			gen_msg_u16(m, (uint16_t)(i * 10));
			gen_msg_u16(m, (uint16_t)(5 + rng_below(&r, 50)));
			gen_msg_u16(m, ports[rng_below(&r, 8)]);
			gen_msg_name(m, &tgt, false);	/* RFC 2782: no compression */
			gen_msg_rr_end(m, at);
		}
		break;
	case QK_CNAME: {
		struct gen_name tgt;
		gen_name_clear(&tgt);
		gen_label(&tgt, &r, true);
		gen_name_append(&tgt, &q->u.zone);
		gen_name_finish(&tgt);
		at = gen_msg_rr_begin(m, GEN_SEC_AN, owner, 5, ttl);
		gen_msg_name(m, &tgt, true);
		gen_msg_rr_end(m, at);
		break;
	}
	case QK_COUNT:
		break;
	}
	put_rrsig(m, GEN_SEC_AN, sg, owner, q->qtype == 5 ? 5 : q->qtype, ttl, q->rh + 7);
}

enum rkind { RK_ANSWER, RK_NXDOMAIN, RK_NODATA, RK_REFERRAL };

/*
 * The response to q from server zone (authoritative) or its parent (referral, DS).
 * Returns the kind built.
 */
static enum rkind build_response(struct gen *g, struct gen_msg *m, const struct query *q,
				 enum rkind rk)
{
	struct signer sg;
	const struct gen_name *zone = &q->u.zone;
	uint64_t zh = q->u.zh;
	uint16_t flags = 0x8000;	/* QR */

	if (q->kind == QK_DS || rk == RK_REFERRAL) {
		zone = &q->u.parent;
		zh = q->u.ph;
	}
	signer_for(&sg, g, q, zone, zh);
	if (rk != RK_REFERRAL)
		flags |= 0x0400;	/* AA */
	if (rk == RK_NXDOMAIN)
		flags |= 3;
	gen_msg_header(m, q->id, flags);
	gen_msg_question(m, &q->qname, q->qtype);

	switch (rk) {
	case RK_ANSWER:
		put_answer(m, q, &sg);
		/* Some servers still add their NS set (and glue) to every answer. */
		if ((zh >> 12) % 3 == 0 && q->kind != QK_NS && q->kind != QK_DS) {
			struct nsset s;
			/* The zone's own NS set: stable whatever the answer's version. */
			gen_nsset(&s, zone, zh, 0);
			put_nsset(m, GEN_SEC_NS, zone, &s, 86400);
			put_rrsig(m, GEN_SEC_NS, &sg, zone, 2, 86400, zh);
			put_glue(m, &s, zh, 0, 86400);
		}
		break;
	case RK_NXDOMAIN:
	case RK_NODATA:
		put_soa(m, GEN_SEC_NS, zone, zh, 3600);
		put_rrsig(m, GEN_SEC_NS, &sg, zone, 6, 3600, zh);
		if (sg.on) {
			put_nsec(m, zone, 3600);
			put_rrsig(m, GEN_SEC_NS, &sg, zone, 47, 3600, zh + 1);
		}
		break;
	case RK_REFERRAL: {
		struct nsset s;
		struct signer child;
		gen_nsset(&s, &q->u.zone, q->u.zh, q->version);
		put_nsset(m, GEN_SEC_NS, &q->u.zone, &s, 86400);
		signer_for(&child, g, q, &q->u.zone, q->u.zh);
		if (sg.on && child.on) {
			/* Signed delegation: DS of the child, signed by the parent. */
			uint32_t at = gen_msg_rr_begin(m, GEN_SEC_NS, &q->u.zone, 43, 86400);
			struct rng r;
			rng_seed(&r, mix64(q->u.zh, 0x6473ull));
			gen_msg_u16(m, child.key_tag);
			gen_msg_u8(m, child.alg);
			gen_msg_u8(m, 2);
			for (unsigned int k = 0; k < 4; k++) {
				uint64_t v = rng_next(&r);
				gen_msg_bytes(m, &v, 8);
			}
			gen_msg_rr_end(m, at);
			put_rrsig(m, GEN_SEC_NS, &sg, &q->u.zone, 43, 86400, q->u.zh);
		}
		put_glue(m, &s, q->u.zh, q->version, 86400);
		break;
	}
	}
	if (q->edns)
		put_opt(m, q, true);
	gen_msg_finish(m);
	return rk;
}

static void pick_server(struct gen_flow *fl, uint64_t h)
{
	if (fl->v6) {
		/* 2001:db8:1000::/36 */
		memset(fl->srv, 0, 16);
		gen_wr32(fl->srv, 0x20010db8u);
		gen_wr32(fl->srv + 4, 0x10000000u | (uint32_t)(h & 0x0fffffffu));
		gen_wr16(fl->srv + 14, 0x53);
	} else {
		/* 198.18.0.0/15, host part never .0 or .255 */
		uint32_t a = 0xc6120000u | (uint32_t)((h >> 28) & 0x1ffffu);
		if ((a & 0xff) == 0 || (a & 0xff) == 255)
			a ^= 0x7e;
		gen_wr32(fl->srv, a);
	}
}

static void pick_resolver(struct gen *g, struct gen_flow *fl)
{
	unsigned int i = rng_below(&g->r, RESOLVERS);

	memset(fl->cli, 0, 16);
	if (fl->v6) {
		/* 2001:db8:53::/48 */
		gen_wr32(fl->cli, 0x20010db8u);
		gen_wr16(fl->cli + 4, 0x53);
		gen_wr16(fl->cli + 14, (uint16_t)(0x10 + i));
	} else {
		/* 198.51.100.0/24 */
		gen_wr32(fl->cli, 0xc6336400u | (10 + i));
	}
}

/* Base-36 fixed-width counter: the unique part of a random-subdomain label. */
static void unique_label(struct gen *g, struct gen_name *n)
{
	static const char a36[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char buf[32];
	unsigned int len = 4 + rng_below(&g->r, 8), i;
	uint64_t c = g->unique_ctr++;

	for (i = 0; i < len; i++)
		buf[i] = a36[rng_below(&g->r, 36)];
	for (unsigned int k = 0; k < 8; k++) {
		buf[i++] = a36[c % 36];
		c /= 36;
	}
	gen_name_label(n, buf, i);
}

static void make_query(struct gen *g, struct query *q)
{
	uint32_t rank;

	q->kind = (enum qkind)rng_weighted(&g->r, qkind_cum, QK_COUNT);
	if (g->o.unique) {
		/* Random-subdomain flood: a unique label under one of a few victim zones. */
		rank = 1 + rng_below(&g->r, g->o.victims ? g->o.victims : 1);
		gen_uname(&q->u, g->o.seed, rank - 1, g->o.ttl_short);
		if (q->kind != QK_AAAA && q->kind != QK_TXT && q->kind != QK_HTTPS)
			q->kind = QK_A;
		gen_name_clear(&q->qname);
		unique_label(g, &q->qname);
		gen_name_append(&q->qname, &q->u.zone);
		gen_name_finish(&q->qname);
	} else {
		rank = zipf_draw(&g->zipf, &g->r);
		if (q->kind == QK_PTR)
			gen_ptr_uname(&q->u, g->o.seed, rank - 1);
		else
			gen_uname(&q->u, g->o.seed, rank - 1, g->o.ttl_short);
		switch (q->kind) {
		case QK_NS: case QK_DS: case QK_DNSKEY: case QK_SOA: case QK_CAA: case QK_MX:
			q->qname = q->u.zone;
			break;
		case QK_TXT:
			if (q->u.h & 1) {
				gen_name_clear(&q->qname);
				gen_name_str(&q->qname, "_dmarc");
				gen_name_append(&q->qname, &q->u.zone);
				gen_name_finish(&q->qname);
			} else {
				q->qname = q->u.zone;
			}
			break;
		case QK_SRV:
			gen_name_clear(&q->qname);
			gen_name_dotted(&q->qname, gen_srv_names[q->u.h % GEN_NSRV]);
			gen_name_append(&q->qname, &q->u.zone);
			gen_name_finish(&q->qname);
			break;
		default:
			q->qname = q->u.fqdn;
			break;
		}
	}
	q->qtype = qkind_type[q->kind];
	q->id = (uint16_t)rng_next(&g->r);
	q->edns = rng_chance(&g->r, g->o.edns);
	q->do_bit = q->edns;	/* validating resolvers set DO whenever they use EDNS */
	q->cookie = q->edns && rng_below(&g->r, 2);
	uint64_t ck = rng_next(&g->r);
	memcpy(q->cookie_cli, &ck, 8);
	q->large = false;
	/*
	 * Repeat: the name's stable RRsets (version 0, byte-identical to earlier ones).
	 * Fresh: a version never used before, so the rdata is new.
	 */
	q->version = rng_chance(&g->r, g->o.repeat) ? 0 : ++g->fresh;
	q->rh = mix64(gen_name_hash(&q->qname, g->o.seed) ^ ((uint64_t)q->qtype << 48), q->version);
}

void gen_make_exchange(struct gen *g, struct exch *e)
{
	static uint8_t qbuf[GEN_MAX_DNS_MSG], rbuf[GEN_MAX_DNS_MSG];
	static struct gen_msg qm, rm;
	struct gen_flow fl;
	struct query q;
	unsigned int msgs = 1;
	enum rkind first_rk = RK_ANSWER;

	e->n = e->next = 0;
	e->used = 0;
	g->fw.sink_arg = e;
	memset(&fl, 0, sizeof(fl));
	fl.v6 = rng_chance(&g->r, g->o.ipv6);
	fl.tcp = rng_chance(&g->r, g->o.tcp);
	fl.vlan = rng_chance(&g->r, g->o.vlan);
	fl.vid = (uint16_t)(100 * (1 + rng_below(&g->r, 4)));
	fl.mtu = fl.v6 ? (rng_below(&g->r, 4) ? 1280 : 1500) : (rng_below(&g->r, 4) ? 1500 : 1280);
	fl.mss = (uint16_t)(fl.mtu - (fl.v6 ? 60 : 40));
	pick_resolver(g, &fl);
	fl.cport = (uint16_t)(1024 + rng_below(&g->r, 64512));
	fl.sport = 53;
	if (fl.tcp) {
		msgs = 1 + (rng_below(&g->r, 4) == 0);
		fl.cseq = (uint32_t)rng_next(&g->r);
		fl.sseq = (uint32_t)rng_next(&g->r);
	}
	g->exchanges++;
	g->tcp_exchanges += fl.tcp;

	for (unsigned int k = 0; k < msgs; k++) {
		enum rkind rk = RK_ANSWER;
		double x;

		if (k == 0) {
			make_query(g, &q);
			bool big = rng_chance(&g->r, g->o.frag);
			/* A big answer: a type that really gets big (RSA DNSKEY, TXT, A pools). */
			if (big && !g->o.unique) {
				static const enum qkind bigk[] = { QK_DNSKEY, QK_TXT, QK_A, QK_AAAA };
				q.kind = bigk[rng_below(&g->r, 4)];
				q.qtype = qkind_type[q.kind];
				q.qname = (q.kind == QK_DNSKEY || q.kind == QK_TXT) ? q.u.zone :
										      q.u.fqdn;
				q.rh = mix64(gen_name_hash(&q.qname, g->o.seed) ^
					     ((uint64_t)q.qtype << 48) ^ 0xb16ull, q.version);
				q.large = true;
				q.edns = true;
				q.do_bit = true;
			}
			/* Servers are per zone; a referral or DS answer comes from the parent's. */
			uint64_t sh = (q.kind == QK_DS) ? q.u.ph : q.u.zh;
			x = rng_unit(&g->r);
			if (!q.large && q.kind != QK_DS) {
				if (x < g->o.nxdomain)
					rk = RK_NXDOMAIN;
				else if (x < g->o.nxdomain + g->o.nodata)
					rk = RK_NODATA;
				else if (!g->o.unique && x < g->o.nxdomain + g->o.nodata + g->o.referral)
					rk = RK_REFERRAL;
			}
			if (rk == RK_REFERRAL)
				sh = q.u.ph;
			pick_server(&fl, sh);
			/* The parent's server is asked nothing else about the child here. */
			if (q.kind == QK_DS)
				msgs = 1;
		} else {
			/*
			 * A later message on the same connection: the resolver asks the same
			 * server about the same name, the other address family's type.
			 */
			q.kind = q.kind == QK_A ? QK_AAAA : QK_A;
			q.qtype = qkind_type[q.kind];
			q.id = (uint16_t)rng_next(&g->r);
			q.large = false;
			q.version = rng_chance(&g->r, g->o.repeat) ? 0 : ++g->fresh;
			q.rh = mix64(gen_name_hash(&q.qname, g->o.seed) ^ ((uint64_t)q.qtype << 48),
				     q.version);
			rk = first_rk;
		}
		if (k == 0)
			first_rk = rk;

		/*
		 * The response first: a UDP answer above 1232 octets means the resolver
		 * offered a bigger buffer (4096, as older resolvers do), above 512 that it
		 * used EDNS at all; the query is built to match.
		 */
		gen_msg_init(&rm, rbuf, sizeof(rbuf));
		build_response(g, &rm, &q, rk);
		if (!fl.tcp && !rm.overflow && rm.len > 512 && !q.edns) {
			q.edns = q.do_bit = true;
			gen_msg_init(&rm, rbuf, sizeof(rbuf));
			build_response(g, &rm, &q, rk);
		}
		if (!fl.tcp && rm.len > 1232)
			q.large = true;
		if (rm.overflow) {
			/* Too big for this generator's limit: send it truncated, like a server. */
			gen_msg_init(&rm, rbuf, sizeof(rbuf));
			gen_msg_header(&rm, q.id, 0x8000 | 0x0400 | 0x0200);
			gen_msg_question(&rm, &q.qname, q.qtype);
			if (q.edns)
				put_opt(&rm, &q, true);
			gen_msg_finish(&rm);
		}
		gen_msg_init(&qm, qbuf, sizeof(qbuf));
		build_query(&qm, &q);
		g->kind_count[q.kind]++;
		g->rcode_nx += rk == RK_NXDOMAIN;
		g->rcode_nodata += rk == RK_NODATA;
		g->referrals += rk == RK_REFERRAL;
		g->qsize.n++;
		g->qsize.bytes += qm.len;
		g->rsize.n++;
		g->rsize.bytes += rm.len;

		if (!fl.tcp) {
			emit_udp(g, &fl, false, qbuf, qm.len);
			emit_udp(g, &fl, true, rbuf, rm.len);
			continue;
		}
		if (k == 0) {
			emit_tcp(g, &fl, false, 0x02, NULL, 0);
			emit_tcp(g, &fl, true, 0x12, NULL, 0);
			emit_tcp(g, &fl, false, 0x10, NULL, 0);
		}
		emit_tcp_msg(g, &fl, false, qbuf, qm.len, 1);
		emit_tcp_msg(g, &fl, true, rbuf, rm.len, 3);
		emit_tcp(g, &fl, false, 0x10, NULL, 0);
	}
	if (fl.tcp) {
		emit_tcp(g, &fl, false, 0x11, NULL, 0);
		emit_tcp(g, &fl, true, 0x11, NULL, 0);
		emit_tcp(g, &fl, false, 0x10, NULL, 0);
	}
}

void gen_init(struct gen *g)
{
	unsigned int acc = 0;

	gen_names_init();
	for (unsigned int i = 0; i < QK_COUNT; i++)
		qkind_cum[i] = acc += qkind_permille[i];
	rng_seed(&g->r, g->o.seed);
	zipf_init(&g->zipf, g->o.names, g->o.zipf);
	g->fw.sink = exch_add;
	g->fw.ip4_id = (uint32_t)rng_next(&g->r);
}

const char *gen_qkind_name(enum qkind k)
{
	static const char *const kind_name[QK_COUNT] = {
		"A", "AAAA", "HTTPS", "PTR", "TXT", "MX", "NS", "DS", "DNSKEY", "SOA",
		"CAA", "SRV", "CNAME",
	};
	return (unsigned int)k < QK_COUNT ? kind_name[k] : "?";
}
