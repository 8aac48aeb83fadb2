/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-tracegen: synthetic resolver-upstream DNS traffic as a classic Ethernet pcap,
 * for replay with pktgen-dpdk, tcpreplay or DPDK's net_pcap.
 *
 * The trace is what a tap between a busy recursive resolver and the authoritative
 * servers would see: consistent query/response exchanges over UDP and TCP, IPv4 and
 * IPv6, some 802.1Q-tagged, large answers fragmented at the path MTU. Names follow a
 * Zipf popularity over a fixed universe; every name, zone and server address is a pure
 * function of (seed, name index), and the rdata of an RRset is a pure function of
 * (name, type, version), so a "repeat" (version 0) is byte-identical to the RRset seen
 * before, which is what the sensor's dedup must recognise. Everything comes from one
 * seeded generator: the same options and seed give the same bytes.
 *
 * Single-threaded program; nothing here is shared.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/err.h"
#include "wire/pcap_file.h"

#define LINKTYPE_ETHERNET	1
#define SNAPLEN			65535u
#define MAX_DNS_MSG		4096u	/* largest message built (UDP or TCP) */
#define MAX_FRAME		1600u	/* frames never exceed MTU 1500 + L2 */
#define EXCH_BYTES		(64u * 1024u)
#define EXCH_PKTS		64u
#define MAX_INFLIGHT		1024u
#define RESOLVERS		4u

/* ----------------------------------------------------------------------------------- */
/* Options */

struct opts {
	const char *out;
	uint64_t packets;
	uint64_t seed;
	uint32_t names;
	double zipf;
	double repeat;
	double ipv6;
	double tcp;
	double frag;
	double vlan;
	double dnssec;
	double nxdomain;
	double nodata;
	double referral;
	double edns;
	double ttl_short;
	bool unique;
	uint32_t victims;
	uint32_t inflight;
	uint64_t pps;
	uint64_t start;
	bool quiet;
};

static void opts_defaults(struct opts *o)
{
	*o = (struct opts){
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

/* ----------------------------------------------------------------------------------- */
/* Random numbers: xoshiro256** seeded through splitmix64. */

struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t mix64(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd6e8feb86659fd93ull);
	return splitmix64(&x);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); Lemire's multiply-shift, bias below 2^-32 for our n. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static inline bool rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Pick an index from cumulative weights (last entry is the total). */
static unsigned int rng_weighted(struct rng *r, const unsigned int *cum, unsigned int n)
{
	unsigned int x = rng_below(r, cum[n - 1]);
	unsigned int i = 0;

	while (cum[i] <= x)
		i++;
	return i;
}

/* ----------------------------------------------------------------------------------- */
/*
 * Zipf ranks 1..n by rejection-inversion (Hormann and Derflinger 1996, as in Apache
 * Commons RNG): O(1) per draw without a CDF table, so a 10M-name universe costs nothing.
 */
struct zipf {
	double s, n, h_x1, h_n, skip;
};

static double zipf_helper1(double x)	/* log1p(x)/x, stable near 0 */
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double zipf_helper2(double x)	/* expm1(x)/x, stable near 0 */
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) *
								  (1.0 + 0.25 * x));
}

static double zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);
	return zipf_helper2((1.0 - z->s) * lx) * lx;
}

static double zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double zipf_Hinv(const struct zipf *z, double x)
{
	double t = x * (1.0 - z->s);
	if (t < -1.0)
		t = -1.0;	/* rounding at the boundary */
	return exp(zipf_helper1(t) * x);
}

static void zipf_init(struct zipf *z, uint32_t n, double s)
{
	z->s = s;
	z->n = n;
	z->h_x1 = zipf_H(z, 1.5) - 1.0;
	z->h_n = zipf_H(z, n + 0.5);
	z->skip = 2.0 - zipf_Hinv(z, zipf_H(z, 2.5) - zipf_h(z, 2.0));
}

/* Rank in 1..n; rank 1 is the most popular. */
static uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
	if (z->s <= 0.0)
		return 1 + rng_below(r, (uint32_t)z->n);
	for (;;) {
		double u = z->h_n + rng_unit(r) * (z->h_x1 - z->h_n);
		double x = zipf_Hinv(z, u);
		double k = floor(x + 0.5);
		if (k < 1.0)
			k = 1.0;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->skip || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
			return (uint32_t)k;
	}
}

/* ----------------------------------------------------------------------------------- */
/* Names */

static const char *const words[] = {
	"alpha", "amber", "apex", "apple", "arrow", "atlas", "aurora", "bank", "bay", "beam",
	"bear", "berry", "bird", "blue", "bolt", "book", "box", "bridge", "bright", "buzz",
	"cafe", "camp", "cape", "car", "cat", "cedar", "cell", "chat", "city", "cloud",
	"coast", "code", "coin", "core", "craft", "crest", "cube", "data", "dawn", "deal",
	"deep", "delta", "desk", "dev", "dock", "dot", "dream", "drive", "eagle", "earth",
	"echo", "edge", "elm", "ember", "epic", "fair", "farm", "fast", "fern", "fire",
	"fish", "flex", "flow", "fly", "focus", "forge", "fox", "fresh", "game", "gate",
	"gear", "gem", "glow", "gold", "green", "grid", "grove", "hall", "harbor", "hawk",
	"health", "hill", "home", "hub", "ice", "idea", "info", "iron", "jade", "jet",
	"joy", "key", "kite", "lab", "lake", "land", "leaf", "light", "line", "link",
	"lion", "live", "loop", "lotus", "lucky", "mail", "map", "maple", "mark", "media",
	"meta", "mint", "moon", "motor", "music", "nest", "net", "news", "nova", "oak",
	"ocean", "one", "open", "orbit", "page", "palm", "park", "path", "peak", "pearl",
	"pilot", "pine", "pixel", "planet", "play", "point", "pop", "port", "prime", "pulse",
	"quest", "quick", "radio", "rain", "rapid", "red", "ridge", "ring", "river", "rock",
	"rose", "route", "ruby", "sage", "sail", "salt", "sand", "scope", "sea", "shop",
	"shore", "signal", "silver", "sky", "smart", "snow", "solar", "sound", "spark", "spring",
	"star", "stone", "storm", "stream", "studio", "sun", "swift", "tech", "tide", "tiger",
	"time", "top", "tower", "trail", "tree", "true", "union", "urban", "valley", "vista",
	"wave", "web", "west", "wild", "wind", "wing", "wolf", "wood", "world", "zen",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const hosts[] = {
	"www", "www", "www", "mail", "api", "cdn", "static", "img", "m", "app", "login",
	"smtp", "assets", "media", "edge", "s3", "auth", "shop", "blog", "dev", "vpn",
	"portal", "secure", "video", "update", "sync", "events", "metrics", "ads", "track",
};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))

/* TLDs and a rough weight (share of .com in resolver traffic is about half). */
static const char *const tlds[] = {
	"com", "net", "org", "de", "uk", "jp", "io", "ru", "fr", "nl", "br", "info", "cn",
	"au", "it", "pl", "xyz", "co",
};
static const unsigned int tld_weight[] = {
	460, 110, 70, 60, 45, 35, 30, 30, 25, 20, 20, 15, 15, 15, 15, 15, 10, 10,
};
#define NTLDS (sizeof(tlds) / sizeof(tlds[0]))
static unsigned int tld_cum[NTLDS];

/* Service labels of SRV names. */
static const char *const srv_names[] = {
	"_sip._udp", "_sip._tcp", "_xmpp-client._tcp", "_xmpp-server._tcp", "_ldap._tcp",
	"_kerberos._udp", "_imaps._tcp", "_submission._tcp", "_caldavs._tcp", "_autodiscover._tcp",
};
#define NSRV (sizeof(srv_names) / sizeof(srv_names[0]))

static const char *const providers[] = {
	"dnsmadeeasy", "cloudns", "nsone", "ultradns", "dynect", "gandi", "ovh", "hetzner",
	"route53", "azure-dns", "cloudflare", "domaincontrol",
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* A wire-format name being assembled (uncompressed, lowercase). */
struct name {
	uint8_t b[256];
	uint8_t len;	/* bytes including the root label once finished */
	uint8_t labels;
};

static void name_clear(struct name *n)
{
	n->len = 0;
	n->labels = 0;
}

/* Append one label (no root); silently refuses to exceed 255 octets. */
static void name_label(struct name *n, const char *s, size_t l)
{
	if (l == 0 || l > 63 || n->len + 1 + l + 1 > 255)
		return;
	n->b[n->len++] = (uint8_t)l;
	memcpy(n->b + n->len, s, l);
	n->len += (uint8_t)l;
	n->labels++;
}

static void name_str(struct name *n, const char *s)
{
	name_label(n, s, strlen(s));
}

/* Append a dotted suffix ("in-addr.arpa", "co.uk") label by label. */
static void name_dotted(struct name *n, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		name_label(n, s, l);
		s += l + (dot != NULL);
	}
}

/* Append the labels of a finished wire name m (root included), leaving n unfinished. */
static void name_append(struct name *n, const struct name *m)
{
	size_t l = m->len ? m->len - 1u : 0u;
	if (n->len + l + 1 > 255)
		return;
	memcpy(n->b + n->len, m->b, l);
	n->len += (uint8_t)l;
	n->labels += m->labels;
}

static void name_finish(struct name *n)
{
	n->b[n->len++] = 0;
}

static void name_printf_label(struct name *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void name_printf_label(struct name *n, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int l;

	va_start(ap, fmt);
	l = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (l > 0)
		name_label(n, buf, (size_t)l < sizeof(buf) ? (size_t)l : sizeof(buf) - 1);
}

/* A label shaped like real ones: words, hyphenated words, digits, hex CDN labels. */
static void gen_label(struct name *n, struct rng *r, bool host)
{
	static const char hex[] = "0123456789abcdef";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char buf[64];
	unsigned int k = rng_below(r, 100);
	unsigned int len, i;

	if (host && k < 35) {
		name_str(n, hosts[rng_below(r, NHOSTS)]);
	} else if (k < 55) {
		name_str(n, words[rng_below(r, NWORDS)]);
	} else if (k < 67) {
		name_printf_label(n, "%s-%s", words[rng_below(r, NWORDS)],
				  words[rng_below(r, NWORDS)]);
	} else if (k < 77) {
		name_printf_label(n, "%s%s", words[rng_below(r, NWORDS)],
				  words[rng_below(r, NWORDS)]);
	} else if (k < 87) {
		name_printf_label(n, rng_below(r, 2) ? "%s%u" : "%s-%u",
				  words[rng_below(r, NWORDS)], rng_below(r, 1000));
	} else if (k < 95 && host) {
		/* CDN-style: 8-16 hex digits, or "r3---sn-xxxxxxxx". */
		if (rng_below(r, 3)) {
			len = 8 + rng_below(r, 9);
			for (i = 0; i < len; i++)
				buf[i] = hex[rng_below(r, 16)];
		} else {
			len = (unsigned int)snprintf(buf, sizeof(buf), "r%u---sn-",
						     1 + rng_below(r, 9));
			for (i = 0; i < 8; i++)
				buf[len++] = alnum[rng_below(r, 36)];
		}
		name_label(n, buf, len);
	} else {
		len = 4 + rng_below(r, 8);
		for (i = 0; i < len; i++)
			buf[i] = alnum[rng_below(r, 26 + (i ? 10 : 0))];
		name_label(n, buf, len);
	}
}

/*
 * The universe entry for a name index: a forward name with its zone (the registered
 * domain) and the zone's parent. Everything is derived from (seed, idx) alone.
 */
struct uname {
	struct name fqdn;	/* 2-5 labels */
	struct name zone;	/* registered domain */
	struct name parent;	/* TLD (or co.uk) */
	uint64_t h;		/* identity of the name */
	uint64_t zh;		/* identity of the zone (servers, signing) */
	uint64_t ph;		/* identity of the parent zone */
	uint32_t ttl;
};

static void gen_zone(struct uname *u, struct rng *r)
{
	unsigned int t = rng_weighted(r, tld_cum, NTLDS);

	name_clear(&u->parent);
	if (strcmp(tlds[t], "uk") == 0 || (strcmp(tlds[t], "jp") == 0 && rng_below(r, 2)))
		name_str(&u->parent, "co");
	name_str(&u->parent, tlds[t]);
	name_finish(&u->parent);
	name_clear(&u->zone);
	gen_label(&u->zone, r, false);
	name_append(&u->zone, &u->parent);
	name_finish(&u->zone);
}

static uint64_t name_hash(const struct name *n, uint64_t seed)
{
	uint64_t h = seed ^ 0x2545f4914f6cdd1dull;
	for (unsigned int i = 0; i < n->len; i++)
		h = (h ^ n->b[i]) * 0x100000001b3ull;
	return mix64(h, seed);
}

static const uint32_t ttl_short[] = { 20, 30, 60, 60, 120, 300, 300 };
static const uint32_t ttl_long[] = { 600, 1800, 3600, 3600, 7200, 14400, 86400, 86400 };

static void gen_uname(struct uname *u, uint64_t seed, uint32_t idx, double short_share)
{
	struct rng r;
	unsigned int extra, k;

	rng_seed(&r, mix64(seed, 0x6e616d65ull + idx));
	gen_zone(u, &r);
	name_clear(&u->fqdn);
	k = rng_below(&r, 100);
	extra = k < 25 ? 0 : k < 75 ? 1 : k < 93 ? 2 : 3;
	if (u->zone.labels + extra > 5)
		extra = 5 - u->zone.labels;
	for (unsigned int i = 0; i < extra; i++)
		gen_label(&u->fqdn, &r, i == 0);
	name_append(&u->fqdn, &u->zone);
	name_finish(&u->fqdn);
	u->h = name_hash(&u->fqdn, seed);
	u->zh = name_hash(&u->zone, seed);
	u->ph = name_hash(&u->parent, seed);
	if (rng_chance(&r, short_share))
		u->ttl = ttl_short[rng_below(&r, sizeof(ttl_short) / sizeof(ttl_short[0]))];
	else
		u->ttl = ttl_long[rng_below(&r, sizeof(ttl_long) / sizeof(ttl_long[0]))];
}

/*
 * The reverse name of an address in the documentation and benchmark ranges, so PTR
 * names point back at the same address space the trace uses. Zone: the /24.
 */
static void gen_ptr_uname(struct uname *u, uint64_t seed, uint32_t idx)
{
	uint64_t h = mix64(seed, 0x707472ull + idx);
	unsigned int a, b, c, d = 1 + (unsigned int)(h % 254);

	switch ((h >> 8) % 4) {
	case 0: a = 192; b = 0; c = 2; break;
	case 1: a = 203; b = 0; c = 113; break;
	default: a = 198; b = 18 + (unsigned int)((h >> 16) & 1); c = (h >> 24) & 0xff; break;
	}
	name_clear(&u->parent);
	name_printf_label(&u->parent, "%u", b);
	name_printf_label(&u->parent, "%u", a);
	name_dotted(&u->parent, "in-addr.arpa");
	name_finish(&u->parent);
	name_clear(&u->zone);
	name_printf_label(&u->zone, "%u", c);
	name_append(&u->zone, &u->parent);
	name_finish(&u->zone);
	name_clear(&u->fqdn);
	name_printf_label(&u->fqdn, "%u", d);
	name_append(&u->fqdn, &u->zone);
	name_finish(&u->fqdn);
	u->h = name_hash(&u->fqdn, seed);
	u->zh = name_hash(&u->zone, seed);
	u->ph = name_hash(&u->parent, seed);
	u->ttl = 3600 * (1 + (unsigned int)(h >> 40) % 24);
}

/* name = label(s) + zone, for host names inside a zone (NS, MX, CNAME targets). */
static void name_in_zone(struct name *out, const char *label, unsigned int num,
			 const struct name *zone)
{
	name_clear(out);
	if (num)
		name_printf_label(out, "%s%u", label, num);
	else
		name_str(out, label);
	name_append(out, zone);
	name_finish(out);
}

/* ----------------------------------------------------------------------------------- */
/* DNS message builder with name compression, as authoritative servers do it. */

struct comp_entry {
	const uint8_t *suffix;	/* points into msgb.names */
	uint16_t off;
	uint8_t len;
};

struct msgb {
	uint8_t *p;
	uint32_t len;
	uint32_t cap;
	bool overflow;
	uint16_t counts[4];	/* QD, AN, NS, AR */
	unsigned int ncomp;
	struct comp_entry comp[128];
	uint8_t names[8192];	/* stable copies of names used for compression */
	uint32_t names_used;
};

static void msg_init(struct msgb *m, uint8_t *buf, uint32_t cap)
{
	m->p = buf;
	m->cap = cap;
	m->len = 12;
	m->overflow = cap < 12;
	memset(m->counts, 0, sizeof(m->counts));
	m->ncomp = 0;
	m->names_used = 0;
}

static inline void put8(struct msgb *m, uint8_t v)
{
	if (m->len + 1 > m->cap) {
		m->overflow = true;
		return;
	}
	m->p[m->len++] = v;
}

static inline void put16(struct msgb *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static inline void put32(struct msgb *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static void put_bytes(struct msgb *m, const void *b, size_t l)
{
	if (m->len + l > m->cap) {
		m->overflow = true;
		return;
	}
	memcpy(m->p + m->len, b, l);
	m->len += (uint32_t)l;
}

/* Write a wire name, replacing its longest already-written suffix by a pointer. */
static void put_name(struct msgb *m, const struct name *n, bool compress)
{
	const uint8_t *src = n->b;
	unsigned int len = n->len;

	if (!compress) {
		put_bytes(m, src, len);
		return;
	}
	/* Stable copy so later names can point at this one's suffixes. */
	const uint8_t *copy = src;
	if (m->names_used + len <= sizeof(m->names)) {
		memcpy(m->names + m->names_used, src, len);
		copy = m->names + m->names_used;
		m->names_used += len;
	}
	for (unsigned int i = 0; i < len && src[i] != 0; i += 1u + src[i]) {
		unsigned int sl = len - i;
		for (unsigned int e = 0; e < m->ncomp; e++) {
			if (m->comp[e].len == sl && memcmp(m->comp[e].suffix, src + i, sl) == 0) {
				put16(m, (uint16_t)(0xc000u | m->comp[e].off));
				return;
			}
		}
		if (m->len < 0x3fff && m->ncomp < sizeof(m->comp) / sizeof(m->comp[0]) &&
		    copy != src) {
			m->comp[m->ncomp++] = (struct comp_entry){
				.suffix = copy + i, .off = (uint16_t)m->len, .len = (uint8_t)sl };
		}
		put_bytes(m, src + i, 1u + src[i]);
	}
	put8(m, 0);
}

static void msg_header(struct msgb *m, uint16_t id, uint16_t flags)
{
	if (m->cap < 12)
		return;
	m->p[0] = (uint8_t)(id >> 8);
	m->p[1] = (uint8_t)id;
	m->p[2] = (uint8_t)(flags >> 8);
	m->p[3] = (uint8_t)flags;
}

static void msg_finish(struct msgb *m)
{
	if (m->cap < 12)
		return;
	for (int i = 0; i < 4; i++) {
		m->p[4 + 2 * i] = (uint8_t)(m->counts[i] >> 8);
		m->p[5 + 2 * i] = (uint8_t)m->counts[i];
	}
}

static void msg_question(struct msgb *m, const struct name *qname, uint16_t qtype)
{
	put_name(m, qname, true);
	put16(m, qtype);
	put16(m, 1);
	m->counts[0]++;
}

/* Start an RR; returns the offset of RDLENGTH to patch with rr_end(). */
static uint32_t rr_begin(struct msgb *m, int section, const struct name *owner,
			 uint16_t type, uint32_t ttl)
{
	uint32_t at;

	put_name(m, owner, true);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	at = m->len;
	put16(m, 0);
	m->counts[section]++;
	return at;
}

static void rr_end(struct msgb *m, uint32_t at)
{
	uint32_t rdlen = m->len - at - 2;

	if (m->overflow)
		return;
	m->p[at] = (uint8_t)(rdlen >> 8);
	m->p[at + 1] = (uint8_t)rdlen;
}

/* ----------------------------------------------------------------------------------- */
/* Response content. Every RRset's rdata comes from a generator seeded by its identity. */

enum { SEC_AN = 1, SEC_NS = 2, SEC_AR = 3 };

enum qkind { QK_A, QK_AAAA, QK_HTTPS, QK_PTR, QK_TXT, QK_MX, QK_NS, QK_DS, QK_DNSKEY,
	     QK_SOA, QK_CAA, QK_SRV, QK_CNAME, QK_COUNT };

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
	const struct name *zone;
	uint16_t key_tag;
	uint8_t alg;		/* 13 ECDSAP256SHA256 or 8 RSASHA256 */
	uint32_t inception;
	uint32_t expiration;
};

/* An RRSIG over the RRset (owner, type) just written, with a deterministic signature. */
static void put_rrsig(struct msgb *m, int section, const struct signer *sg,
		      const struct name *owner, uint16_t type, uint32_t ttl, uint64_t id)
{
	struct rng r;
	uint32_t at;
	unsigned int siglen = sg->alg == 13 ? 64 : 256;
	uint8_t labels = owner->labels;

	if (!sg->on)
		return;
	rng_seed(&r, id ^ 0x7273696700000000ull);
	at = rr_begin(m, section, owner, 46, ttl);
	put16(m, type);
	put8(m, sg->alg);
	put8(m, labels);
	put32(m, ttl);
	put32(m, sg->expiration);
	put32(m, sg->inception);
	put16(m, sg->key_tag);
	put_name(m, sg->zone, false);	/* RFC 4034 3.1.7: signer never compressed */
	for (unsigned int i = 0; i < siglen; i += 8) {
		uint64_t v = rng_next(&r);
		put_bytes(m, &v, siglen - i < 8 ? siglen - i : 8);
	}
	rr_end(m, at);
}

static void put_a_addr(struct msgb *m, struct rng *r)
{
	uint32_t k = rng_below(r, 3), v;

	if (k == 0)
		v = 0xc0000200u | (1 + rng_below(r, 254));		/* 192.0.2.0/24 */
	else if (k == 1)
		v = 0xcb007100u | (1 + rng_below(r, 254));		/* 203.0.113.0/24 */
	else
		v = 0xc6120000u | (rng_below(r, 0x20000) | 1);	/* 198.18.0.0/15 */
	put32(m, v);
}

static void put_aaaa_addr(struct msgb *m, struct rng *r)
{
	/* 2001:db8:aXXX::/36 style addresses, clear of the resolver and server ranges. */
	put32(m, 0x20010db8u);
	put32(m, 0xa0000000u | (uint32_t)(rng_next(r) & 0x0fffffffu));
	put32(m, 0);
	put32(m, (uint32_t)rng_below(r, 0x10000) + 1);
}

static void put_txt_string(struct msgb *m, const char *s, size_t l)
{
	if (l > 255)
		l = 255;
	put8(m, (uint8_t)l);
	put_bytes(m, s, l);
}

/* The NS names of a zone: some in-zone (with glue), some at a DNS provider. */
struct nsset {
	struct name ns[4];
	unsigned int n;
	bool in_zone;
};

static void gen_nsset(struct nsset *s, const struct name *zone, uint64_t zh, uint64_t version)
{
	struct rng r;

	rng_seed(&r, mix64(zh, 0x6e73ull + version * 0x10001ull));
	s->n = 2 + rng_below(&r, 3);
	s->in_zone = rng_below(&r, 100) < 55;
	unsigned int p = rng_below(&r, NPROVIDERS), base = rng_below(&r, 60);
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->in_zone) {
			name_in_zone(&s->ns[i], "ns", i + 1, zone);
		} else {
			struct name pz;
			name_clear(&pz);
			name_str(&pz, providers[p]);
			name_str(&pz, (p & 1) ? "net" : "com");
			name_finish(&pz);
			name_in_zone(&s->ns[i], "ns", base + i + 1, &pz);
		}
	}
}

/* Glue: one A and, for half the zones, one AAAA per in-zone server name. */
static void put_glue(struct msgb *m, const struct nsset *s, uint64_t zh, uint64_t version,
		     uint32_t ttl)
{
	if (!s->in_zone)
		return;
	for (unsigned int i = 0; i < s->n; i++) {
		struct rng r;
		uint32_t at;

		rng_seed(&r, mix64(zh ^ version, 0x676c7565ull + i));
		at = rr_begin(m, SEC_AR, &s->ns[i], 1, ttl);
		put_a_addr(m, &r);
		rr_end(m, at);
		if (zh & 1) {
			at = rr_begin(m, SEC_AR, &s->ns[i], 28, ttl);
			put_aaaa_addr(m, &r);
			rr_end(m, at);
		}
	}
}

static void put_nsset(struct msgb *m, int section, const struct name *zone,
		      const struct nsset *s, uint32_t ttl)
{
	for (unsigned int i = 0; i < s->n; i++) {
		uint32_t at = rr_begin(m, section, zone, 2, ttl);
		put_name(m, &s->ns[i], true);
		rr_end(m, at);
	}
}

static void put_soa(struct msgb *m, int section, const struct name *zone, uint64_t zh,
		    uint32_t ttl)
{
	struct name mname, rname;
	uint32_t at;

	name_in_zone(&mname, "ns", 1, zone);
	name_in_zone(&rname, (zh & 2) ? "hostmaster" : "dns-admin", 0, zone);
	at = rr_begin(m, section, zone, 6, ttl);
	put_name(m, &mname, true);
	put_name(m, &rname, true);
	put32(m, 2025110100u + (uint32_t)(zh % 2600));	/* date-shaped serial */
	put32(m, 7200);
	put32(m, 3600);
	put32(m, 1209600);
	put32(m, (zh & 4) ? 300 : 3600);
	rr_end(m, at);
}

/* NSEC at the apex, as a signed zone's negative answer carries (bitmap: A NS SOA MX TXT
 * AAAA RRSIG NSEC DNSKEY). */
static void put_nsec(struct msgb *m, const struct name *zone, uint32_t ttl)
{
	static const uint8_t bitmap[] = { 0x00, 0x07, 0x62, 0x01, 0x80, 0x08, 0x00, 0x03, 0x80 };
	struct name next;
	uint32_t at;

	/* Next name "\\000.zone": the canonical successor of the apex. */
	name_clear(&next);
	name_label(&next, "", 1);
	name_append(&next, zone);
	name_finish(&next);
	at = rr_begin(m, SEC_NS, zone, 47, ttl);
	put_name(m, &next, false);
	put_bytes(m, bitmap, sizeof(bitmap));
	rr_end(m, at);
}

/* ----------------------------------------------------------------------------------- */
/* Generator state */

struct exch {
	uint8_t data[EXCH_BYTES];
	uint32_t off[EXCH_PKTS];
	uint16_t plen[EXCH_PKTS];
	unsigned int n;
	unsigned int next;
	uint32_t used;
};

struct gen {
	struct opts o;
	struct rng r;
	struct zipf zipf;
	uint64_t fresh;		/* version counter of fresh RRsets */
	uint64_t unique_ctr;
	uint32_t ip4_id;
	uint32_t ip6_frag_id;
	struct exch *slots;
	unsigned int nslots;
	/* statistics */
	uint64_t pkts, bytes, exchanges, tcp_exchanges, frags, ipv6_pkts, vlan_pkts;
	uint64_t kind_count[QK_COUNT];
	uint64_t rcode_nx, rcode_nodata, referrals;
	struct {
		uint64_t n, bytes;
	} qsize, rsize;
};

/* Per-exchange L2-L4 context. */
struct flow {
	bool v6, vlan, tcp;
	uint16_t vid;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint16_t mtu;
	uint16_t mss;		/* TCP payload per segment at this MTU */
	uint32_t cseq, sseq;
};

static void exch_add(struct exch *e, const uint8_t *f, uint32_t len)
{
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

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static const uint8_t mac_resolver[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static const uint8_t mac_router[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0xfe };

/* Ethernet (+802.1Q) header; returns its length. */
static unsigned int put_l2(uint8_t *f, const struct flow *fl, bool from_server)
{
	unsigned int o = 12;

	memcpy(f, from_server ? mac_resolver : mac_router, 6);
	memcpy(f + 6, from_server ? mac_router : mac_resolver, 6);
	if (fl->vlan) {
		wr16(f + o, 0x8100);
		wr16(f + o + 2, fl->vid);
		o += 4;
	}
	wr16(f + o, fl->v6 ? 0x86dd : 0x0800);
	return o + 2;
}

/*
 * Emit one transport segment (l4 = UDP/TCP header + payload, checksum computed here)
 * as one frame or, when it exceeds the flow's MTU (UDP only), as IP fragments.
 */
static void emit_l4(struct gen *g, struct exch *e, const struct flow *fl, bool from_server,
		    uint8_t proto, uint8_t *l4, uint32_t l4len)
{
	uint8_t f[MAX_FRAME + 64];
	const uint8_t *src = from_server ? fl->srv : fl->cli;
	const uint8_t *dst = from_server ? fl->cli : fl->srv;
	unsigned int alen = fl->v6 ? 16 : 4;
	unsigned int iphl = fl->v6 ? 40 : 20;
	uint32_t sum = 0;
	unsigned int ck = proto == 17 ? 6 : 16;

	/* Transport checksum over the pseudo header and the whole datagram. */
	l4[ck] = l4[ck + 1] = 0;
	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += proto;
	sum += l4len;
	sum = csum_add(sum, l4, l4len);
	uint16_t c = csum_fold(sum);
	if (c == 0 && proto == 17)
		c = 0xffff;
	wr16(l4 + ck, c);

	uint32_t maxpay = fl->mtu - iphl;
	if (l4len <= maxpay) {
		unsigned int o = put_l2(f, fl, from_server);
		uint8_t *ip = f + o;
		if (fl->v6) {
			wr32(ip, 0x60000000u);
			wr16(ip + 4, (uint16_t)l4len);
			ip[6] = proto;
			ip[7] = 64;
			memcpy(ip + 8, src, 16);
			memcpy(ip + 24, dst, 16);
		} else {
			ip[0] = 0x45;
			ip[1] = 0;
			wr16(ip + 2, (uint16_t)(20 + l4len));
			wr16(ip + 4, (uint16_t)g->ip4_id++);
			wr16(ip + 6, 0x4000);	/* DF */
			ip[8] = 64;
			ip[9] = proto;
			wr16(ip + 10, 0);
			memcpy(ip + 12, src, 4);
			memcpy(ip + 16, dst, 4);
			wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		}
		memcpy(ip + iphl, l4, l4len);
		exch_add(e, f, o + iphl + l4len);
		if (fl->v6)
			g->ipv6_pkts++;
		if (fl->vlan)
			g->vlan_pkts++;
		return;
	}

	/* Fragments: offsets in 8-octet units, in order, as Linux sends them. */
	uint32_t chunk = fl->v6 ? (fl->mtu - 40u - 8u) & ~7u : (fl->mtu - 20u) & ~7u;
	uint32_t id = fl->v6 ? ++g->ip6_frag_id : (g->ip4_id++ & 0xffffu);
	for (uint32_t at = 0; at < l4len; at += chunk) {
		uint32_t n = l4len - at < chunk ? l4len - at : chunk;
		bool more = at + n < l4len;
		unsigned int o = put_l2(f, fl, from_server);
		uint8_t *ip = f + o;
		unsigned int hl;

		if (fl->v6) {
			wr32(ip, 0x60000000u);
			wr16(ip + 4, (uint16_t)(8 + n));
			ip[6] = 44;
			ip[7] = 64;
			memcpy(ip + 8, src, 16);
			memcpy(ip + 24, dst, 16);
			ip[40] = proto;
			ip[41] = 0;
			wr16(ip + 42, (uint16_t)(at | (more ? 1u : 0u)));
			wr32(ip + 44, id);
			hl = 48;
		} else {
			ip[0] = 0x45;
			ip[1] = 0;
			wr16(ip + 2, (uint16_t)(20 + n));
			wr16(ip + 4, (uint16_t)id);
			wr16(ip + 6, (uint16_t)((more ? 0x2000u : 0u) | (at >> 3)));
			ip[8] = 64;
			ip[9] = proto;
			wr16(ip + 10, 0);
			memcpy(ip + 12, src, 4);
			memcpy(ip + 16, dst, 4);
			wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
			hl = 20;
		}
		memcpy(ip + hl, l4 + at, n);
		exch_add(e, f, o + hl + n);
		g->frags++;
		if (fl->v6)
			g->ipv6_pkts++;
		if (fl->vlan)
			g->vlan_pkts++;
	}
}

static void emit_udp(struct gen *g, struct exch *e, const struct flow *fl, bool from_server,
		     const uint8_t *msg, uint32_t len)
{
	uint8_t l4[8 + MAX_DNS_MSG];

	wr16(l4, from_server ? fl->sport : fl->cport);
	wr16(l4 + 2, from_server ? fl->cport : fl->sport);
	wr16(l4 + 4, (uint16_t)(8 + len));
	memcpy(l4 + 8, msg, len);
	emit_l4(g, e, fl, from_server, 17, l4, 8 + len);
}

static void emit_tcp(struct gen *g, struct exch *e, struct flow *fl, bool from_server,
		     uint8_t flags, const uint8_t *data, uint32_t len)
{
	uint8_t l4[24 + MAX_FRAME];	/* payload <= fl->mss < MTU */
	unsigned int hl = (flags & 0x02) ? 24 : 20;
	uint32_t *seq = from_server ? &fl->sseq : &fl->cseq;
	uint32_t ack = from_server ? fl->cseq : fl->sseq;

	wr16(l4, from_server ? fl->sport : fl->cport);
	wr16(l4 + 2, from_server ? fl->cport : fl->sport);
	wr32(l4 + 4, *seq);
	wr32(l4 + 8, (flags & 0x10) ? ack : 0);
	l4[12] = (uint8_t)((hl / 4) << 4);
	l4[13] = flags;
	wr16(l4 + 14, 64240);
	wr16(l4 + 16, 0);
	wr16(l4 + 18, 0);
	if (hl == 24) {
		l4[20] = 2;	/* MSS option */
		l4[21] = 4;
		wr16(l4 + 22, fl->mss);
	}
	if (len)
		memcpy(l4 + hl, data, len);
	emit_l4(g, e, fl, from_server, 6, l4, hl + len);
	*seq += len + ((flags & 0x03) ? 1u : 0u);	/* SYN and FIN take a sequence number */
}

/* A length-framed DNS message sent in one or more segments split at random points. */
static void emit_tcp_msg(struct gen *g, struct exch *e, struct flow *fl, bool from_server,
			 const uint8_t *msg, uint32_t len, unsigned int max_pieces)
{
	uint8_t buf[2 + MAX_DNS_MSG];
	uint32_t total = len + 2, at = 0;
	unsigned int pieces = 1 + rng_below(&g->r, max_pieces);

	wr16(buf, (uint16_t)len);
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
		emit_tcp(g, e, fl, from_server, at + n == total ? 0x18 : 0x10, buf + at, n);
		at += n;
	}
}

/* ----------------------------------------------------------------------------------- */
/* One exchange */

struct query {
	struct uname u;
	struct name qname;
	enum qkind kind;
	uint16_t qtype;
	uint16_t id;
	bool edns, do_bit, cookie, large;
	uint8_t cookie_cli[8];
	uint64_t version;	/* 0 = the name's stable RRsets, else fresh */
	uint64_t rh;		/* identity of the answer RRsets */
};

static void put_opt(struct msgb *m, const struct query *q, bool response)
{
	put8(m, 0);		/* root owner */
	put16(m, 41);
	put16(m, q->large && !response ? 4096 : 1232);
	put32(m, q->do_bit ? 0x00008000u : 0);
	if (!q->cookie) {
		put16(m, 0);
	} else {
		/* COOKIE (RFC 7873): client cookie, and the server's 16 octets in the answer. */
		put16(m, (uint16_t)(4 + (response ? 24 : 8)));
		put16(m, 10);
		put16(m, response ? 24 : 8);
		put_bytes(m, q->cookie_cli, 8);
		if (response) {
			uint64_t s1 = mix64(q->rh, 1), s2 = mix64(q->rh, 2);
			put_bytes(m, &s1, 8);
			put_bytes(m, &s2, 8);
		}
	}
	m->counts[3]++;
}

static void build_query(struct msgb *m, const struct query *q)
{
	/* Iterative queries from a resolver: RD clear. */
	msg_header(m, q->id, 0x0000);
	msg_question(m, &q->qname, q->qtype);
	if (q->edns)
		put_opt(m, q, false);
	msg_finish(m);
}

static void signer_for(struct signer *sg, const struct gen *g, const struct query *q,
		       const struct name *zone, uint64_t zh)
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
static void put_answer(struct msgb *m, const struct query *q,
		       const struct signer *sg)
{
	struct rng r;
	const struct name *owner = &q->qname;
	uint32_t ttl = q->u.ttl, at;
	unsigned int n;
	struct name cname_target, chain[2];

	rng_seed(&r, q->rh);

	/* CNAME chains on host names: in-zone (answer continues) or to a CDN (ends). */
	if ((q->kind == QK_A || q->kind == QK_AAAA || q->kind == QK_HTTPS) &&
	    q->qname.labels > q->u.zone.labels && rng_below(&r, 100) < 22) {
		unsigned int hops = 1 + rng_below(&r, 2);
		for (unsigned int h = 0; h < hops; h++) {
			if (rng_below(&r, 3) == 0) {
				/* CDN target: another zone, so the chain stops here. */
				struct name cdn;
				name_clear(&cname_target);
				gen_label(&cname_target, &r, true);
				name_clear(&cdn);
				name_str(&cdn, words[rng_below(&r, NWORDS)]);
				name_str(&cdn, "cdn");
				name_str(&cdn, "net");
				name_finish(&cdn);
				name_append(&cname_target, &cdn);
				name_finish(&cname_target);
				at = rr_begin(m, SEC_AN, owner, 5, ttl);
				put_name(m, &cname_target, true);
				rr_end(m, at);
				put_rrsig(m, SEC_AN, sg, owner, 5, ttl, q->rh + h);
				return;
			}
			name_clear(&cname_target);
			gen_label(&cname_target, &r, true);
			name_append(&cname_target, &q->u.zone);
			name_finish(&cname_target);
			at = rr_begin(m, SEC_AN, owner, 5, ttl);
			put_name(m, &cname_target, true);
			rr_end(m, at);
			put_rrsig(m, SEC_AN, sg, owner, 5, ttl, q->rh + h);
			/* The next owner must outlive this loop iteration: copy it. */
			chain[h] = cname_target;
			owner = &chain[h];
		}
	}

	switch (q->kind) {
	case QK_A:
		n = q->large ? 90 + rng_below(&r, 60) : 1 + rng_below(&r, 100) / 40;
		for (unsigned int i = 0; i < n; i++) {
			at = rr_begin(m, SEC_AN, owner, 1, ttl);
			put_a_addr(m, &r);
			rr_end(m, at);
		}
		break;
	case QK_AAAA:
		n = q->large ? 45 + rng_below(&r, 40) : 1 + rng_below(&r, 100) / 50;
		for (unsigned int i = 0; i < n; i++) {
			at = rr_begin(m, SEC_AN, owner, 28, ttl);
			put_aaaa_addr(m, &r);
			rr_end(m, at);
		}
		break;
	case QK_HTTPS:
		/* ServiceMode, target ".", alpn=h3,h2, ipv4hint (RFC 9460). */
		at = rr_begin(m, SEC_AN, owner, 65, ttl);
		put16(m, 1);
		put8(m, 0);
		put16(m, 1);
		put16(m, 6);
		put_bytes(m, "\x02h3\x02h2", 6);
		n = 1 + rng_below(&r, 2);
		put16(m, 4);
		put16(m, (uint16_t)(4 * n));
		for (unsigned int i = 0; i < n; i++)
			put_a_addr(m, &r);
		rr_end(m, at);
		break;
	case QK_PTR: {
		struct name host, isp;
		name_clear(&isp);
		name_str(&isp, words[rng_below(&r, NWORDS)]);
		name_str(&isp, "example");
		name_str(&isp, rng_below(&r, 2) ? "net" : "com");
		name_finish(&isp);
		name_clear(&host);
		name_printf_label(&host, "host-%u-%u", rng_below(&r, 256), rng_below(&r, 256));
		name_append(&host, &isp);
		name_finish(&host);
		at = rr_begin(m, SEC_AN, owner, 12, ttl);
		put_name(m, &host, true);
		rr_end(m, at);
		break;
	}
	case QK_TXT: {
		char s[256];
		n = q->large ? 12 + rng_below(&r, 8) : 1 + rng_below(&r, 3);
		for (unsigned int i = 0; i < n; i++) {
			int l;
			at = rr_begin(m, SEC_AN, owner, 16, ttl);
			switch (rng_below(&r, q->large ? 1 : 3)) {
			case 0: {
				/* Site verification tokens, DKIM-ish key material. */
				static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
							  "qrstuvwxyz0123456789+/";
				l = snprintf(s, sizeof(s), "%s-verification=",
					     words[rng_below(&r, NWORDS)]);
				unsigned int tl = q->large ? 200 : 43;
				for (unsigned int k = 0; k < tl && l < 255; k++)
					s[l++] = b64[rng_below(&r, 64)];
				break;
			}
			case 1:
				l = snprintf(s, sizeof(s), "v=spf1 include:_spf.%s.com ip4:192.0.2.%u "
					     "~all", words[rng_below(&r, NWORDS)],
					     rng_below(&r, 256));
				break;
			default:
				l = snprintf(s, sizeof(s), "MS=ms%08u", rng_below(&r, 100000000));
				break;
			}
			put_txt_string(m, s, (size_t)l);
			rr_end(m, at);
		}
		break;
	}
	case QK_MX: {
		n = 1 + rng_below(&r, 3);
		bool hosted = rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			struct name mx;
			if (hosted) {
				struct name pz;
				name_clear(&pz);
				name_str(&pz, providers[(q->u.zh >> 8) % NPROVIDERS]);
				name_str(&pz, "com");
				name_finish(&pz);
				name_in_zone(&mx, "mx", i + 1, &pz);
			} else {
				name_in_zone(&mx, "mail", i ? i + 1 : 0, &q->u.zone);
			}
			at = rr_begin(m, SEC_AN, owner, 15, ttl);
			put16(m, (uint16_t)(10 * (i + 1)));
			put_name(m, &mx, true);
			rr_end(m, at);
		}
		break;
	}
	case QK_NS: {
		struct nsset s;
		gen_nsset(&s, &q->u.zone, q->u.zh, q->version);
		put_nsset(m, SEC_AN, &q->u.zone, &s, 86400 < ttl ? ttl : 86400);
		put_rrsig(m, SEC_AN, sg, owner, 2, 86400, q->rh);
		put_glue(m, &s, q->u.zh, q->version, 86400);
		return;
	}
	case QK_DS:
		n = 1 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			at = rr_begin(m, SEC_AN, owner, 43, 86400);
			put16(m, (uint16_t)((q->u.zh >> 16) + i));
			put8(m, (q->u.zh >> 5) % 4 == 0 ? 8 : 13);
			put8(m, 2);
			for (unsigned int k = 0; k < 4; k++) {
				uint64_t v = rng_next(&r);
				put_bytes(m, &v, 8);
			}
			rr_end(m, at);
		}
		put_rrsig(m, SEC_AN, sg, owner, 43, 86400, q->rh);
		return;
	case QK_DNSKEY: {
		/* KSK + ZSK (+ a rollover key); RSA keys make the big answers. */
		bool rsa = q->large || (q->u.zh >> 5) % 4 == 0;
		n = 2 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int kl = rsa ? (i == 0 ? 260 : 132) : 64;
			at = rr_begin(m, SEC_AN, owner, 48, 3600);
			put16(m, i == 0 ? 257 : 256);
			put8(m, 3);
			put8(m, rsa ? 8 : 13);
			for (unsigned int k = 0; k < kl; k += 8) {
				uint64_t v = rng_next(&r);
				put_bytes(m, &v, kl - k < 8 ? kl - k : 8);
			}
			rr_end(m, at);
		}
		if (q->large) {
			struct signer big = *sg;
			big.alg = 8;
			big.on = true;
			put_rrsig(m, SEC_AN, &big, owner, 48, 3600, q->rh);
			put_rrsig(m, SEC_AN, &big, owner, 48, 3600, q->rh + 1);
		} else {
			put_rrsig(m, SEC_AN, sg, owner, 48, 3600, q->rh);
		}
		return;
	}
	case QK_SOA:
		put_soa(m, SEC_AN, &q->u.zone, q->u.zh ^ q->version, 3600);
		break;
	case QK_CAA: {
		static const char *const cas[] = { "letsencrypt.org", "digicert.com",
						   "sectigo.com", "pki.goog" };
		n = 1 + rng_below(&r, 2);
		for (unsigned int i = 0; i < n; i++) {
			const char *ca = cas[rng_below(&r, 4)];
			at = rr_begin(m, SEC_AN, owner, 257, ttl);
			put8(m, 0);
			put8(m, 5);
			put_bytes(m, "issue", 5);
			put_bytes(m, ca, strlen(ca));
			rr_end(m, at);
		}
		break;
	}
	case QK_SRV:
		n = 1 + rng_below(&r, 3);
		for (unsigned int i = 0; i < n; i++) {
			struct name tgt;
			static const uint16_t ports[] = { 5060, 5222, 5269, 389, 88, 993, 587, 443 };
			name_in_zone(&tgt, words[rng_below(&r, NWORDS)], i + 1, &q->u.zone);
			at = rr_begin(m, SEC_AN, owner, 33, ttl);
			put16(m, (uint16_t)(i * 10));
			put16(m, (uint16_t)(5 + rng_below(&r, 50)));
			put16(m, ports[rng_below(&r, 8)]);
			put_name(m, &tgt, false);	/* RFC 2782: no compression */
			rr_end(m, at);
		}
		break;
	case QK_CNAME: {
		struct name tgt;
		name_clear(&tgt);
		gen_label(&tgt, &r, true);
		name_append(&tgt, &q->u.zone);
		name_finish(&tgt);
		at = rr_begin(m, SEC_AN, owner, 5, ttl);
		put_name(m, &tgt, true);
		rr_end(m, at);
		break;
	}
	case QK_COUNT:
		break;
	}
	put_rrsig(m, SEC_AN, sg, owner, q->qtype == 5 ? 5 : q->qtype, ttl, q->rh + 7);
}

enum rkind { RK_ANSWER, RK_NXDOMAIN, RK_NODATA, RK_REFERRAL };

/*
 * The response to q from server zone (authoritative) or its parent (referral, DS).
 * Returns the kind built.
 */
static enum rkind build_response(struct gen *g, struct msgb *m, const struct query *q,
				 enum rkind rk)
{
	struct signer sg;
	const struct name *zone = &q->u.zone;
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
	msg_header(m, q->id, flags);
	msg_question(m, &q->qname, q->qtype);

	switch (rk) {
	case RK_ANSWER:
		put_answer(m, q, &sg);
		/* Some servers still add their NS set (and glue) to every answer. */
		if ((zh >> 12) % 3 == 0 && q->kind != QK_NS && q->kind != QK_DS) {
			struct nsset s;
			/* The zone's own NS set: stable whatever the answer's version. */
			gen_nsset(&s, zone, zh, 0);
			put_nsset(m, SEC_NS, zone, &s, 86400);
			put_rrsig(m, SEC_NS, &sg, zone, 2, 86400, zh);
			put_glue(m, &s, zh, 0, 86400);
		}
		break;
	case RK_NXDOMAIN:
	case RK_NODATA:
		put_soa(m, SEC_NS, zone, zh, 3600);
		put_rrsig(m, SEC_NS, &sg, zone, 6, 3600, zh);
		if (sg.on) {
			put_nsec(m, zone, 3600);
			put_rrsig(m, SEC_NS, &sg, zone, 47, 3600, zh + 1);
		}
		break;
	case RK_REFERRAL: {
		struct nsset s;
		struct signer child;
		gen_nsset(&s, &q->u.zone, q->u.zh, q->version);
		put_nsset(m, SEC_NS, &q->u.zone, &s, 86400);
		signer_for(&child, g, q, &q->u.zone, q->u.zh);
		if (sg.on && child.on) {
			/* Signed delegation: DS of the child, signed by the parent. */
			uint32_t at = rr_begin(m, SEC_NS, &q->u.zone, 43, 86400);
			struct rng r;
			rng_seed(&r, mix64(q->u.zh, 0x6473ull));
			put16(m, child.key_tag);
			put8(m, child.alg);
			put8(m, 2);
			for (unsigned int k = 0; k < 4; k++) {
				uint64_t v = rng_next(&r);
				put_bytes(m, &v, 8);
			}
			rr_end(m, at);
			put_rrsig(m, SEC_NS, &sg, &q->u.zone, 43, 86400, q->u.zh);
		}
		put_glue(m, &s, q->u.zh, q->version, 86400);
		break;
	}
	}
	if (q->edns)
		put_opt(m, q, true);
	msg_finish(m);
	return rk;
}

static void pick_server(struct flow *fl, uint64_t h)
{
	if (fl->v6) {
		/* 2001:db8:1000::/36 */
		memset(fl->srv, 0, 16);
		wr32(fl->srv, 0x20010db8u);
		wr32(fl->srv + 4, 0x10000000u | (uint32_t)(h & 0x0fffffffu));
		wr16(fl->srv + 14, 0x53);
	} else {
		/* 198.18.0.0/15, host part never .0 or .255 */
		uint32_t a = 0xc6120000u | (uint32_t)((h >> 28) & 0x1ffffu);
		if ((a & 0xff) == 0 || (a & 0xff) == 255)
			a ^= 0x7e;
		wr32(fl->srv, a);
	}
}

static void pick_resolver(struct gen *g, struct flow *fl)
{
	unsigned int i = rng_below(&g->r, RESOLVERS);

	memset(fl->cli, 0, 16);
	if (fl->v6) {
		/* 2001:db8:53::/48 */
		wr32(fl->cli, 0x20010db8u);
		wr16(fl->cli + 4, 0x53);
		wr16(fl->cli + 14, (uint16_t)(0x10 + i));
	} else {
		/* 198.51.100.0/24 */
		wr32(fl->cli, 0xc6336400u | (10 + i));
	}
}

/* Base-36 fixed-width counter: the unique part of a random-subdomain label. */
static void unique_label(struct gen *g, struct name *n)
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
	name_label(n, buf, i);
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
		name_clear(&q->qname);
		unique_label(g, &q->qname);
		name_append(&q->qname, &q->u.zone);
		name_finish(&q->qname);
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
				name_clear(&q->qname);
				name_str(&q->qname, "_dmarc");
				name_append(&q->qname, &q->u.zone);
				name_finish(&q->qname);
			} else {
				q->qname = q->u.zone;
			}
			break;
		case QK_SRV:
			name_clear(&q->qname);
			name_dotted(&q->qname, srv_names[q->u.h % NSRV]);
			name_append(&q->qname, &q->u.zone);
			name_finish(&q->qname);
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
	q->rh = mix64(name_hash(&q->qname, g->o.seed) ^ ((uint64_t)q->qtype << 48), q->version);
}

/* Build every packet of one exchange into e. */
static void make_exchange(struct gen *g, struct exch *e)
{
	static uint8_t qbuf[MAX_DNS_MSG], rbuf[MAX_DNS_MSG];
	static struct msgb qm, rm;
	struct flow fl;
	struct query q;
	unsigned int msgs = 1;
	enum rkind first_rk = RK_ANSWER;

	e->n = e->next = 0;
	e->used = 0;
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
				q.rh = mix64(name_hash(&q.qname, g->o.seed) ^
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
			q.rh = mix64(name_hash(&q.qname, g->o.seed) ^ ((uint64_t)q.qtype << 48),
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
		msg_init(&rm, rbuf, sizeof(rbuf));
		build_response(g, &rm, &q, rk);
		if (!fl.tcp && !rm.overflow && rm.len > 512 && !q.edns) {
			q.edns = q.do_bit = true;
			msg_init(&rm, rbuf, sizeof(rbuf));
			build_response(g, &rm, &q, rk);
		}
		if (!fl.tcp && rm.len > 1232)
			q.large = true;
		if (rm.overflow) {
			/* Too big for this generator's limit: send it truncated, like a server. */
			msg_init(&rm, rbuf, sizeof(rbuf));
			msg_header(&rm, q.id, 0x8000 | 0x0400 | 0x0200);
			msg_question(&rm, &q.qname, q.qtype);
			if (q.edns)
				put_opt(&rm, &q, true);
			msg_finish(&rm);
		}
		msg_init(&qm, qbuf, sizeof(qbuf));
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
			emit_udp(g, e, &fl, false, qbuf, qm.len);
			emit_udp(g, e, &fl, true, rbuf, rm.len);
			continue;
		}
		if (k == 0) {
			emit_tcp(g, e, &fl, false, 0x02, NULL, 0);
			emit_tcp(g, e, &fl, true, 0x12, NULL, 0);
			emit_tcp(g, e, &fl, false, 0x10, NULL, 0);
		}
		emit_tcp_msg(g, e, &fl, false, qbuf, qm.len, 1);
		emit_tcp_msg(g, e, &fl, true, rbuf, rm.len, 3);
		emit_tcp(g, e, &fl, false, 0x10, NULL, 0);
	}
	if (fl.tcp) {
		emit_tcp(g, e, &fl, false, 0x11, NULL, 0);
		emit_tcp(g, e, &fl, true, 0x11, NULL, 0);
		emit_tcp(g, e, &fl, false, 0x10, NULL, 0);
	}
}

/* ----------------------------------------------------------------------------------- */

static void usage(FILE *out, const struct opts *d)
{
	fprintf(out,
"usage: dnsift-tracegen [options]\n"
"Writes an Ethernet pcap of resolver-upstream DNS traffic (deterministic for a seed).\n"
"  -o, --output FILE   output pcap (default %s)\n"
"  -n, --packets N     stop after the exchange that reaches N packets (default %" PRIu64 ")\n"
"  -s, --seed N        random seed (default %" PRIu64 ")\n"
"      --names N       name universe size (default %u)\n"
"      --zipf S        Zipf exponent of name popularity, 0 = uniform (default %.2f)\n"
"      --repeat R      probability an answer RRset is the name's stable (already seen)\n"
"                      one rather than fresh rdata, 0..1 (default %.2f)\n"
"      --ipv6 R        share of exchanges over IPv6 (default %.2f)\n"
"      --tcp R         share of exchanges over TCP (handshake, split responses, FIN)\n"
"                      (default %.2f)\n"
"      --frag R        share of exchanges with a large answer, IP-fragmented at MTU\n"
"                      1500/1280 (default %.2f)\n"
"      --vlan R        share of exchanges with an 802.1Q tag (default %.2f)\n"
"      --dnssec R      share of zones that are signed: RRSIGs in answers to DO queries,\n"
"                      NSEC in negative answers, DS in referrals (default %.2f)\n"
"      --nxdomain R    share of NXDOMAIN answers, SOA in authority (default %.2f)\n"
"      --nodata R      share of NODATA answers, SOA in authority (default %.2f)\n"
"      --referral R    share of referrals from the parent zone, NS + glue (default %.2f)\n"
"      --edns R        share of messages with an EDNS OPT record (default %.2f)\n"
"      --ttl-short R   share of names with short TTLs (20-300 s) vs long (600-86400 s)\n"
"                      (default %.2f)\n"
"      --unique        every query name unique (random-subdomain attack) under one of\n"
"                      --victims zones (default off)\n"
"      --victims N     victim zones of --unique (default %u)\n"
"      --inflight N    exchanges interleaved at once, 1..%u (default %u)\n"
"      --pps N         packet rate of the time stamps (default %" PRIu64 ")\n"
"      --start T       Unix time of the first packet (default %" PRIu64 ")\n"
"      --preset NAME   realistic | hotcache | attack | tcpfrag (applied first; other\n"
"                      options override it)\n"
"  -q, --quiet         no summary on stderr\n"
"  -h, --help          this help\n"
"  -V, --version       print the version and exit\n",
		d->out, d->packets, d->seed, d->names, d->zipf, d->repeat, d->ipv6, d->tcp,
		d->frag, d->vlan, d->dnssec, d->nxdomain, d->nodata, d->referral, d->edns,
		d->ttl_short, d->victims, MAX_INFLIGHT, d->inflight, d->pps, d->start);
}

static int apply_preset(struct opts *o, const char *name)
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

enum { OPT_NAMES = 256, OPT_ZIPF, OPT_REPEAT, OPT_IPV6, OPT_TCP, OPT_FRAG, OPT_VLAN,
       OPT_DNSSEC, OPT_NXDOMAIN, OPT_NODATA, OPT_REFERRAL, OPT_EDNS, OPT_TTL_SHORT,
       OPT_UNIQUE, OPT_VICTIMS, OPT_INFLIGHT, OPT_PPS, OPT_START, OPT_PRESET };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "packets", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "names", required_argument, NULL, OPT_NAMES },
	{ "zipf", required_argument, NULL, OPT_ZIPF },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "tcp", required_argument, NULL, OPT_TCP },
	{ "frag", required_argument, NULL, OPT_FRAG },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "dnssec", required_argument, NULL, OPT_DNSSEC },
	{ "nxdomain", required_argument, NULL, OPT_NXDOMAIN },
	{ "nodata", required_argument, NULL, OPT_NODATA },
	{ "referral", required_argument, NULL, OPT_REFERRAL },
	{ "edns", required_argument, NULL, OPT_EDNS },
	{ "ttl-short", required_argument, NULL, OPT_TTL_SHORT },
	{ "unique", no_argument, NULL, OPT_UNIQUE },
	{ "victims", required_argument, NULL, OPT_VICTIMS },
	{ "inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "pps", required_argument, NULL, OPT_PPS },
	{ "start", required_argument, NULL, OPT_START },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "dnsift-tracegen: --%s %s: expected an integer in %" PRIu64
			"..%" PRIu64 "\n", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_ratio(const char *opt, const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.0 && v <= max)) {
		fprintf(stderr, "dnsift-tracegen: --%s %s: expected a number in 0..%g\n", opt, s,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct opts d;
	uint64_t u;
	int c;

	opts_defaults(&d);
	/* Presets first, so every other option overrides them whatever the order. */
	for (int i = 1; i < argc; i++) {
		const char *p = NULL;
		if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
			p = argv[i + 1];
		else if (strncmp(argv[i], "--preset=", 9) == 0)
			p = argv[i] + 9;
		if (p && apply_preset(o, p) != 0) {
			fprintf(stderr, "dnsift-tracegen: unknown preset '%s' (realistic, hotcache, "
				"attack, tcpfrag)\n", p);
			return 2;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	while ((c = getopt_long(argc, argv, "o:n:s:qhV", long_opts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'n': r = parse_u64("packets", optarg, 1, UINT64_C(1) << 40, &o->packets); break;
		case 's': r = parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed); break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout, &d); exit(0);
		case 'V': printf("dnsift-tracegen %s\n", DNSIFT_VERSION); exit(0);
		case OPT_NAMES:
			r = parse_u64("names", optarg, 1, 100000000, &u);
			o->names = (uint32_t)u;
			break;
		case OPT_ZIPF: r = parse_ratio("zipf", optarg, 10.0, &o->zipf); break;
		case OPT_REPEAT: r = parse_ratio("repeat", optarg, 1.0, &o->repeat); break;
		case OPT_IPV6: r = parse_ratio("ipv6", optarg, 1.0, &o->ipv6); break;
		case OPT_TCP: r = parse_ratio("tcp", optarg, 1.0, &o->tcp); break;
		case OPT_FRAG: r = parse_ratio("frag", optarg, 1.0, &o->frag); break;
		case OPT_VLAN: r = parse_ratio("vlan", optarg, 1.0, &o->vlan); break;
		case OPT_DNSSEC: r = parse_ratio("dnssec", optarg, 1.0, &o->dnssec); break;
		case OPT_NXDOMAIN: r = parse_ratio("nxdomain", optarg, 1.0, &o->nxdomain); break;
		case OPT_NODATA: r = parse_ratio("nodata", optarg, 1.0, &o->nodata); break;
		case OPT_REFERRAL: r = parse_ratio("referral", optarg, 1.0, &o->referral); break;
		case OPT_EDNS: r = parse_ratio("edns", optarg, 1.0, &o->edns); break;
		case OPT_TTL_SHORT: r = parse_ratio("ttl-short", optarg, 1.0, &o->ttl_short); break;
		case OPT_UNIQUE: o->unique = true; break;
		case OPT_VICTIMS:
			r = parse_u64("victims", optarg, 1, 1000000, &u);
			o->victims = (uint32_t)u;
			break;
		case OPT_INFLIGHT:
			r = parse_u64("inflight", optarg, 1, MAX_INFLIGHT, &u);
			o->inflight = (uint32_t)u;
			break;
		case OPT_PPS: r = parse_u64("pps", optarg, 1, 1000000000000ull, &o->pps); break;
		case OPT_START: r = parse_u64("start", optarg, 0, 0xffffffffu - 86400, &o->start);
			break;
		case OPT_PRESET: break;	/* applied above */
		default:
			usage(stderr, &d);
			return 2;
		}
		if (r)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "dnsift-tracegen: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->nxdomain + o->nodata + o->referral > 1.0 + 1e-9) {
		fprintf(stderr, "dnsift-tracegen: --nxdomain + --nodata + --referral exceed 1\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	struct pcap_writer *w;
	struct timespec t0, t1;
	unsigned int active = 0;
	int rc;

	opts_defaults(&g.o);
	rc = parse_args(argc, argv, &g.o);
	if (rc)
		return rc;

	unsigned int acc = 0;
	for (unsigned int i = 0; i < NTLDS; i++)
		tld_cum[i] = acc += tld_weight[i];
	acc = 0;
	for (unsigned int i = 0; i < QK_COUNT; i++)
		qkind_cum[i] = acc += qkind_permille[i];

	rng_seed(&g.r, g.o.seed);
	zipf_init(&g.zipf, g.o.names, g.o.zipf);
	g.ip4_id = (uint32_t)rng_next(&g.r);
	g.nslots = g.o.inflight;
	g.slots = calloc(g.nslots, sizeof(*g.slots));
	if (g.slots == NULL) {
		fprintf(stderr, "dnsift-tracegen: %s\n", strerror(errno));
		return 1;
	}
	w = pcap_writer_open(g.o.out, LINKTYPE_ETHERNET, SNAPLEN);
	if (w == NULL) {
		fprintf(stderr, "dnsift-tracegen: %s: %s\n", g.o.out, strerror(errno));
		free(g.slots);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/*
	 * Keep up to --inflight exchanges open and emit the next packet of a random one,
	 * so exchanges interleave as on a busy link while each keeps its own order.
	 * New exchanges start until the packets written and queued reach --packets.
	 */
	uint64_t queued = 0;
	for (unsigned int i = 0; i < g.nslots && queued < g.o.packets; i++) {
		make_exchange(&g, &g.slots[i]);
		queued += g.slots[i].n;
		active++;
	}
	rc = 0;
	while (active > 0) {
		unsigned int s = rng_below(&g.r, active);
		struct exch *e = &g.slots[s];
		uint64_t ns = g.pkts * 1000000000ull / g.o.pps;
		int wr = pcap_writer_write(w, g.o.start + ns / 1000000000ull,
					   (uint32_t)(ns % 1000000000ull),
					   e->data + e->off[e->next], e->plen[e->next]);
		if (wr < 0) {
			fprintf(stderr, "dnsift-tracegen: %s: %s\n", g.o.out, dnsift_strerror(wr));
			rc = 1;
			break;
		}
		g.pkts++;
		g.bytes += e->plen[e->next];
		if (++e->next == e->n) {
			if (queued < g.o.packets) {
				make_exchange(&g, e);
				queued += e->n;
			} else {
				/* Keep the open ones packed at the front. */
				active--;
				if (s != active)
					memcpy(e, &g.slots[active], sizeof(*e));
			}
		}
	}
	if (pcap_writer_close(w) != 0 && rc == 0) {
		fprintf(stderr, "dnsift-tracegen: %s: write failed\n", g.o.out);
		rc = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

	if (!g.o.quiet && rc == 0) {
		fprintf(stderr,
			"dnsift-tracegen: %s: packets=%" PRIu64 " bytes=%" PRIu64
			" avg_frame=%.1f exchanges=%" PRIu64 " tcp_exchanges=%" PRIu64
			" fragments=%" PRIu64 " ipv6_packets=%" PRIu64 " vlan_packets=%" PRIu64
			" nxdomain=%" PRIu64 " nodata=%" PRIu64 " referrals=%" PRIu64
			" avg_query=%.1f avg_response=%.1f seconds=%.3f pps=%.0f\n",
			g.o.out, g.pkts, g.bytes, g.pkts ? (double)g.bytes / (double)g.pkts : 0.0,
			g.exchanges, g.tcp_exchanges, g.frags, g.ipv6_pkts, g.vlan_pkts,
			g.rcode_nx, g.rcode_nodata, g.referrals,
			g.qsize.n ? (double)g.qsize.bytes / (double)g.qsize.n : 0.0,
			g.rsize.n ? (double)g.rsize.bytes / (double)g.rsize.n : 0.0, secs,
			secs > 0 ? (double)g.pkts / secs : 0.0);
		static const char *const kind_name[QK_COUNT] = {
			"A", "AAAA", "HTTPS", "PTR", "TXT", "MX", "NS", "DS", "DNSKEY", "SOA",
			"CAA", "SRV", "CNAME",
		};
		fprintf(stderr, "dnsift-tracegen: qtypes");
		for (unsigned int i = 0; i < QK_COUNT; i++)
			fprintf(stderr, " %s=%" PRIu64, kind_name[i], g.kind_count[i]);
		fprintf(stderr, "\n");
	}
	free(g.slots);
	return rc;
}
