/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_names: labels, names and zones derived from (seed, index) (see gen_names.h). */
#include "bench/gen_names.h"

#include <stdio.h>
#include <string.h>

const char *const gen_words[GEN_NWORDS] = {
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
const char *const gen_srv_names[GEN_NSRV] = {
	"_sip._udp", "_sip._tcp", "_xmpp-client._tcp", "_xmpp-server._tcp", "_ldap._tcp",
	"_kerberos._udp", "_imaps._tcp", "_submission._tcp", "_caldavs._tcp", "_autodiscover._tcp",
};

const char *const gen_providers[GEN_NPROVIDERS] = {
	"dnsmadeeasy", "cloudns", "nsone", "ultradns", "dynect", "gandi", "ovh", "hetzner",
	"route53", "azure-dns", "cloudflare", "domaincontrol",
};


void gen_names_init(void)
{
	unsigned int acc = 0;

	for (unsigned int i = 0; i < NTLDS; i++)
		tld_cum[i] = acc += tld_weight[i];
}

void gen_label(struct gen_name *n, struct rng *r, bool host)
{
	static const char hex[] = "0123456789abcdef";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char buf[64];
	unsigned int k = rng_below(r, 100);
	unsigned int len, i;

	if (host && k < 35) {
		gen_name_str(n, hosts[rng_below(r, NHOSTS)]);
	} else if (k < 55) {
		gen_name_str(n, gen_words[rng_below(r, GEN_NWORDS)]);
	} else if (k < 67) {
		gen_name_printf_label(n, "%s-%s", gen_words[rng_below(r, GEN_NWORDS)],
				  gen_words[rng_below(r, GEN_NWORDS)]);
	} else if (k < 77) {
		gen_name_printf_label(n, "%s%s", gen_words[rng_below(r, GEN_NWORDS)],
				  gen_words[rng_below(r, GEN_NWORDS)]);
	} else if (k < 87) {
		gen_name_printf_label(n, rng_below(r, 2) ? "%s%u" : "%s-%u",
				  gen_words[rng_below(r, GEN_NWORDS)], rng_below(r, 1000));
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
		gen_name_label(n, buf, len);
	} else {
		len = 4 + rng_below(r, 8);
		for (i = 0; i < len; i++)
			buf[i] = alnum[rng_below(r, 26 + (i ? 10 : 0))];
		gen_name_label(n, buf, len);
	}
}


static void gen_zone(struct gen_uname *u, struct rng *r)
{
	unsigned int t = rng_weighted(r, tld_cum, NTLDS);

	gen_name_clear(&u->parent);
	if (strcmp(tlds[t], "uk") == 0 || (strcmp(tlds[t], "jp") == 0 && rng_below(r, 2)))
		gen_name_str(&u->parent, "co");
	gen_name_str(&u->parent, tlds[t]);
	gen_name_finish(&u->parent);
	gen_name_clear(&u->zone);
	gen_label(&u->zone, r, false);
	gen_name_append(&u->zone, &u->parent);
	gen_name_finish(&u->zone);
}

uint64_t gen_name_hash(const struct gen_name *n, uint64_t seed)
{
	uint64_t h = seed ^ 0x2545f4914f6cdd1dull;
	for (unsigned int i = 0; i < n->len; i++)
		h = (h ^ n->b[i]) * 0x100000001b3ull;
	return mix64(h, seed);
}

static const uint32_t ttl_short[] = { 20, 30, 60, 60, 120, 300, 300 };
static const uint32_t ttl_long[] = { 600, 1800, 3600, 3600, 7200, 14400, 86400, 86400 };

void gen_uname(struct gen_uname *u, uint64_t seed, uint32_t idx, double short_share)
{
	struct rng r;
	unsigned int extra, k;

	rng_seed(&r, mix64(seed, 0x6e616d65ull + idx));
	gen_zone(u, &r);
	gen_name_clear(&u->fqdn);
	k = rng_below(&r, 100);
	extra = k < 25 ? 0 : k < 75 ? 1 : k < 93 ? 2 : 3;
	if (u->zone.labels + extra > 5)
		extra = 5 - u->zone.labels;
	for (unsigned int i = 0; i < extra; i++)
		gen_label(&u->fqdn, &r, i == 0);
	gen_name_append(&u->fqdn, &u->zone);
	gen_name_finish(&u->fqdn);
	u->h = gen_name_hash(&u->fqdn, seed);
	u->zh = gen_name_hash(&u->zone, seed);
	u->ph = gen_name_hash(&u->parent, seed);
	if (rng_chance(&r, short_share))
		u->ttl = ttl_short[rng_below(&r, sizeof(ttl_short) / sizeof(ttl_short[0]))];
	else
		u->ttl = ttl_long[rng_below(&r, sizeof(ttl_long) / sizeof(ttl_long[0]))];
}

/*
 * The reverse name of an address in the documentation and benchmark ranges, so PTR
 * names point back at the same address space the trace uses. Zone: the /24.
 */
void gen_ptr_uname(struct gen_uname *u, uint64_t seed, uint32_t idx)
{
	uint64_t h = mix64(seed, 0x707472ull + idx);
	unsigned int a, b, c, d = 1 + (unsigned int)(h % 254);

	switch ((h >> 8) % 4) {
	case 0: a = 192; b = 0; c = 2; break;
	case 1: a = 203; b = 0; c = 113; break;
	default: a = 198; b = 18 + (unsigned int)((h >> 16) & 1); c = (h >> 24) & 0xff; break;
	}
	gen_name_clear(&u->parent);
	gen_name_printf_label(&u->parent, "%u", b);
	gen_name_printf_label(&u->parent, "%u", a);
	gen_name_dotted(&u->parent, "in-addr.arpa");
	gen_name_finish(&u->parent);
	gen_name_clear(&u->zone);
	gen_name_printf_label(&u->zone, "%u", c);
	gen_name_append(&u->zone, &u->parent);
	gen_name_finish(&u->zone);
	gen_name_clear(&u->fqdn);
	gen_name_printf_label(&u->fqdn, "%u", d);
	gen_name_append(&u->fqdn, &u->zone);
	gen_name_finish(&u->fqdn);
	u->h = gen_name_hash(&u->fqdn, seed);
	u->zh = gen_name_hash(&u->zone, seed);
	u->ph = gen_name_hash(&u->parent, seed);
	u->ttl = 3600 * (1 + (unsigned int)(h >> 40) % 24);
}

/* name = label(s) + zone, for host names inside a zone (NS, MX, CNAME targets). */
void gen_name_in_zone(struct gen_name *out, const char *label, unsigned int num,
			 const struct gen_name *zone)
{
	gen_name_clear(out);
	if (num)
		gen_name_printf_label(out, "%s%u", label, num);
	else
		gen_name_str(out, label);
	gen_name_append(out, zone);
	gen_name_finish(out);
}
