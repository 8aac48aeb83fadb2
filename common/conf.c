/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration file parser. One table describes every key (name, type, where
 * it lives, its range), so parsing, duplicate detection and dumping cannot
 * disagree about what a key is.
 */
#include "common/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "wire/err.h"

/* Where meson installs web/ (common/meson.build defines it from the prefix). */
#ifndef DNSIFT_WEB_DIR
#define DNSIFT_WEB_DIR "/usr/local/share/dnsift/web"
#endif

enum key_type {
	KEY_STRING,	/* char[size] */
	KEY_STRING_LIST,/* char[max][size] + count */
	KEY_U32,	/* uint32_t in [min, max] */
	KEY_U64,	/* uint64_t in [min, max] */
	KEY_SIZE,	/* uint64_t bytes with suffix, in [min, max] */
	KEY_MS,		/* uint32_t milliseconds, bare number = ms */
	KEY_SECONDS,	/* uint32_t seconds, bare number = s */
	KEY_BOOL,
	KEY_CIDR_LIST,
	KEY_PORT_LIST,
	KEY_UNMATCHED,
	KEY_MODE,
	KEY_BAILIWICK_UNKNOWN,
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;		/* of the value (or list) in struct dnsift_conf */
	size_t count_offset;	/* lists: of the unsigned int count */
	size_t size;		/* strings: bytes per element */
	size_t max_items;	/* lists */
	uint64_t min, max;	/* numbers */
	bool allow_empty;	/* strings */
};

#define OFF(f) offsetof(struct dnsift_conf, f)
#define SZ(f) sizeof(((struct dnsift_conf *)0)->f)

#define STR(n, empty) { #n, KEY_STRING, OFF(n), 0, SZ(n), 0, 0, 0, empty }
#define STRLIST(n, cnt, max) { #n, KEY_STRING_LIST, OFF(n), OFF(cnt), SZ(n[0]), max, 0, 0, false }
#define U32(n, lo, hi) { #n, KEY_U32, OFF(n), 0, 0, 0, lo, hi, false }
#define U64(n, lo, hi) { #n, KEY_U64, OFF(n), 0, 0, 0, lo, hi, false }
#define SIZE(n, lo, hi) { #n, KEY_SIZE, OFF(n), 0, 0, 0, lo, hi, false }
#define MS(n, f, lo, hi) { #n, KEY_MS, OFF(f), 0, 0, 0, lo, hi, false }
#define SECS(n, f, lo, hi) { #n, KEY_SECONDS, OFF(f), 0, 0, 0, lo, hi, false }
#define BOOL(n) { #n, KEY_BOOL, OFF(n), 0, 0, 0, 0, 0, false }

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)
#define TIB (1024ULL * GIB)

static const struct key_def key_table[] = {
	STR(sensor_id, false),
	STR(spool_dir, false),
	STR(eal_args, true),
	STRLIST(port, port_count, CONF_MAX_PORTS),
	U32(rx_queues, 1, 128),
	{ "resolver", KEY_CIDR_LIST, OFF(resolver), OFF(resolver_count), 0,
	  CONF_MAX_RESOLVERS, 0, 0, false },
	{ "dns_port", KEY_PORT_LIST, OFF(dns_port), OFF(dns_port_count), 0,
	  CONF_MAX_DNS_PORTS, 1, 65535, false },
	{ "unmatched", KEY_UNMATCHED, OFF(unmatched), 0, 0, 0, 0, 0, false },
	MS(query_timeout_ms, query_timeout_ms, 10, 600000),
	SECS(window, window_s, 1, 7 * 86400),
	BOOL(first_sight),
	U64(dedup_max_entries, 1024, 1ULL << 32),
	SIZE(dedup_max_bytes, 1 * MIB, 1 * TIB),
	U32(tcp_max_flows, 0, 1u << 24),
	U32(frag_max_flows, 0, 1u << 24),
	STR(root_hints, true),
	{ "bailiwick_unknown", KEY_BAILIWICK_UNKNOWN, OFF(bailiwick_unknown), 0, 0, 0, 0, 0, false },
	U32(bailiwick_pairs, 64, 1u << 30),
	U32(bailiwick_nameservers, 64, 1u << 28),
	SECS(bailiwick_max_age, bailiwick_max_age_s, 60, 30 * 86400),
	SIZE(segment_max_bytes, 64 * KIB, 16 * GIB),
	SECS(segment_max_age, segment_max_age_s, 1, 86400),
	MS(segment_flush_ms, segment_flush_ms, 10, 60000),
	STR(cli_socket, false),
	STR(cli_group, true),
	{ "cli_mode", KEY_MODE, OFF(cli_mode), 0, 0, 0, 0, 0, false },
	STR(telemetry_socket, false),
	STRLIST(collector, collector_count, CONF_MAX_COLLECTORS),
	STRLIST(collector_header, collector_header_count, CONF_MAX_HEADERS),
	STR(collector_ca, true),
	STR(collector_cert, true),
	STR(collector_key, true),
	BOOL(collector_insecure),
	MS(ship_retry_min_ms, ship_retry_min_ms, 10, 3600000),
	MS(ship_retry_max_ms, ship_retry_max_ms, 10, 86400000),
	SIZE(spool_quota, 1 * MIB, 1024 * TIB),
	BOOL(spool_keep_sent),
	STR(metrics_listen, true),
	STR(db_dir, false),
	STR(db_listen, false),
	STR(db_keys, true),
	MS(db_freshness, db_freshness_ms, 10, 3600000),
	U64(db_batch_entries, 1000, 1ULL << 32),
	SIZE(db_memory, 16 * MIB, 1 * TIB),
	U64(db_result_limit, 1, 1ULL << 32),
	U32(db_max_clients, 1, 65536),
	U32(db_threads, 1, 256),
	STR(db_web_dir, true),
};

#define KEY_COUNT (sizeof(key_table) / sizeof(key_table[0]))

void conf_init_defaults(struct dnsift_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->sensor_id, sizeof(conf->sensor_id), "dnsift");
	snprintf(conf->spool_dir, sizeof(conf->spool_dir), "/var/spool/dnsift");
	conf->rx_queues = 1;
	conf->dns_port[0] = 53;
	conf->dns_port_count = 1;
	conf->unmatched = CONF_UNMATCHED_DROP;
	conf->query_timeout_ms = 5000;
	conf->window_s = 300;
	conf->first_sight = false;
	conf->dedup_max_entries = 1000000;
	/* Keys with RRSIG rdata run to hundreds of bytes in power-of-two blocks; the
	 * arena is only resident as far as it is used. */
	conf->dedup_max_bytes = 1024 * MIB;
	conf->tcp_max_flows = 4096;
	conf->frag_max_flows = 4096;
	conf->bailiwick_unknown = CONF_BAILIWICK_UNKNOWN_RECORD;
	/* 2 MiB of pairs and 10 MiB of names: the per-response probes stay in cache. */
	conf->bailiwick_pairs = 1u << 17;
	conf->bailiwick_nameservers = 1u << 16;
	conf->bailiwick_max_age_s = 3 * 86400;
	conf->segment_max_bytes = 64 * MIB;
	conf->segment_max_age_s = 60;
	conf->segment_flush_ms = 1000;
	snprintf(conf->cli_socket, sizeof(conf->cli_socket), "/run/dnsift/cli.sock");
	conf->cli_mode = 0660;
	snprintf(conf->telemetry_socket, sizeof(conf->telemetry_socket),
		 "/var/run/dpdk/dnsift/dpdk_telemetry.v2");
	conf->collector_insecure = false;
	conf->ship_retry_min_ms = 1000;
	conf->ship_retry_max_ms = 300000;
	conf->spool_quota = 10 * GIB;
	conf->spool_keep_sent = false;
	snprintf(conf->metrics_listen, sizeof(conf->metrics_listen), "127.0.0.1:9163");
	snprintf(conf->db_dir, sizeof(conf->db_dir), "/var/lib/dnsift/db");
	snprintf(conf->db_listen, sizeof(conf->db_listen), "127.0.0.1:8053");
	conf->db_freshness_ms = 10000;
	conf->db_batch_entries = 4000000;
	conf->db_memory = 1 * GIB;
	conf->db_result_limit = 1000000;
	conf->db_max_clients = 256;
	conf->db_threads = 4;
	snprintf(conf->db_web_dir, sizeof(conf->db_web_dir), "%s", DNSIFT_WEB_DIR);
}

/* ---- value parsers ---- */

int conf_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -DNSIFT_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -DNSIFT_EINVAL;
	*out = v;
	return 0;
}

/* Leading decimal digits into *v; returns the rest of the string or NULL on overflow. */
static const char *parse_number_prefix(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)s[0]))
		return NULL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return NULL;
	*v = n;
	return end;
}

static int mul_checked(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b != 0 && a > UINT64_MAX / b)
		return -DNSIFT_EINVAL;
	*out = a * b;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", KIB }, { "kb", KIB }, { "kib", KIB },
		{ "m", MIB }, { "mb", MIB }, { "mib", MIB },
		{ "g", GIB }, { "gb", GIB }, { "gib", GIB },
		{ "t", TIB }, { "tb", TIB }, { "tib", TIB },
	};
	uint64_t v;
	const char *rest;

	if (s == NULL || (rest = parse_number_prefix(s, &v)) == NULL)
		return -DNSIFT_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(rest, units[i].suffix) == 0)
			return mul_checked(v, units[i].mult, out);
	return -DNSIFT_EINVAL;
}

int conf_parse_duration_ms(const char *s, uint64_t bare_unit_ms, uint64_t *out_ms)
{
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	uint64_t v;
	const char *rest;

	if (s == NULL || (rest = parse_number_prefix(s, &v)) == NULL)
		return -DNSIFT_EINVAL;
	if (*rest == '\0')
		return mul_checked(v, bare_unit_ms, out_ms);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(rest, units[i].suffix) == 0)
			return mul_checked(v, units[i].mult, out_ms);
	return -DNSIFT_EINVAL;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (s == NULL)
		return -DNSIFT_EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -DNSIFT_EINVAL;
}

int conf_parse_cidr(const char *s, struct conf_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	uint64_t len;
	unsigned int max_len, bytes;
	struct conf_cidr c;

	if (s == NULL)
		return -DNSIFT_EINVAL;
	memset(&c, 0, sizeof(c));
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr))
		return -DNSIFT_EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c.addr) == 1) {
		c.family = AF_INET;
		max_len = 32;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.family = AF_INET6;
		max_len = 128;
	} else {
		return -DNSIFT_EINVAL;
	}
	len = max_len;
	if (slash && conf_parse_u64(slash + 1, 0, max_len, &len) != 0)
		return -DNSIFT_EINVAL;
	c.prefix_len = (uint8_t)len;
	/* Host bits set usually means a typo in the prefix length: refuse, as ip(8) does. */
	bytes = max_len / 8;
	for (unsigned int bit = c.prefix_len; bit < bytes * 8; bit++)
		if (c.addr[bit / 8] & (0x80 >> (bit % 8)))
			return -DNSIFT_EINVAL;
	*out = c;
	return 0;
}

const char *conf_format_cidr(const struct conf_cidr *cidr, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(cidr->family, cidr->addr, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, cidr->prefix_len);
	return buf;
}

bool conf_cidr_equal(const struct conf_cidr *a, const struct conf_cidr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->prefix_len == b->prefix_len &&
	       memcmp(a->addr, b->addr, n) == 0;
}

int conf_parse_mode(const char *s, mode_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || s[0] == '\0')
		return -DNSIFT_EINVAL;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return -DNSIFT_EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno != 0 || *end != '\0' || v > 07777)
		return -DNSIFT_EINVAL;
	*out = (mode_t)v;
	return 0;
}

/* ---- key handling ---- */

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strcmp(key_table[i].name, name) == 0)
			return &key_table[i];
	return NULL;
}

static const char *expected_text(const struct key_def *k, char *buf, size_t len)
{
	switch (k->type) {
	case KEY_STRING:
	case KEY_STRING_LIST:
		snprintf(buf, len, "a %sstring shorter than %zu bytes",
			 k->allow_empty ? "" : "non-empty ", k->size);
		break;
	case KEY_U32:
	case KEY_U64:
		snprintf(buf, len, "an integer from %llu to %llu",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	case KEY_SIZE:
		snprintf(buf, len, "a size from %llu to %llu bytes (suffix K, M, G, T allowed)",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	case KEY_MS:
		snprintf(buf, len, "a duration from %llu to %llu ms (bare number = ms; "
			 "suffix ms, s, m, h, d allowed)",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	case KEY_SECONDS:
		snprintf(buf, len, "a whole number of seconds from %llu to %llu (bare number "
			 "= s; suffix s, m, h, d allowed)",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	case KEY_BOOL:
		snprintf(buf, len, "yes or no");
		break;
	case KEY_CIDR_LIST:
		snprintf(buf, len, "an IPv4 or IPv6 address or prefix like 192.0.2.0/24 "
			 "(no host bits set)");
		break;
	case KEY_PORT_LIST:
		snprintf(buf, len, "a port number from 1 to 65535");
		break;
	case KEY_UNMATCHED:
	case KEY_BAILIWICK_UNKNOWN:
		snprintf(buf, len, "drop or record");
		break;
	case KEY_MODE:
		snprintf(buf, len, "an octal file mode like 0660");
		break;
	}
	return buf;
}

/*
 * Apply one value. replace_list: first occurrence of a repeatable key in this
 * source, which replaces the default list rather than appending to it.
 */
static int apply_key(struct dnsift_conf *conf, const struct key_def *k, const char *value,
		     bool replace_list, char *errbuf, size_t errlen)
{
	char *base = (char *)conf + k->offset;
	unsigned int *count = (unsigned int *)((char *)conf + k->count_offset);
	char expect[160];
	uint64_t v;
	int rc = 0;

	if (k->type == KEY_STRING_LIST || k->type == KEY_CIDR_LIST || k->type == KEY_PORT_LIST) {
		if (replace_list)
			*count = 0;
		if (*count >= k->max_items) {
			snprintf(errbuf, errlen, "key '%s': more than %zu values", k->name,
				 k->max_items);
			return -DNSIFT_ECONFIG;
		}
	}

	switch (k->type) {
	case KEY_STRING:
		if ((!k->allow_empty && value[0] == '\0') || strlen(value) >= k->size)
			rc = -DNSIFT_EINVAL;
		else
			snprintf(base, k->size, "%s", value);
		break;
	case KEY_STRING_LIST:
		if (value[0] == '\0' || strlen(value) >= k->size)
			rc = -DNSIFT_EINVAL;
		else
			snprintf(base + (size_t)*count * k->size, k->size, "%s", value);
		break;
	case KEY_U32:
		rc = conf_parse_u64(value, k->min, k->max, &v);
		if (rc == 0)
			*(uint32_t *)base = (uint32_t)v;
		break;
	case KEY_U64:
		rc = conf_parse_u64(value, k->min, k->max, &v);
		if (rc == 0)
			*(uint64_t *)base = v;
		break;
	case KEY_SIZE:
		rc = conf_parse_size(value, &v);
		if (rc == 0 && (v < k->min || v > k->max))
			rc = -DNSIFT_EINVAL;
		if (rc == 0)
			*(uint64_t *)base = v;
		break;
	case KEY_MS:
		rc = conf_parse_duration_ms(value, 1, &v);
		if (rc == 0 && (v < k->min || v > k->max))
			rc = -DNSIFT_EINVAL;
		if (rc == 0)
			*(uint32_t *)base = (uint32_t)v;
		break;
	case KEY_SECONDS:
		rc = conf_parse_duration_ms(value, 1000, &v);
		if (rc == 0 && (v % 1000 != 0 || v / 1000 < k->min || v / 1000 > k->max))
			rc = -DNSIFT_EINVAL;
		if (rc == 0)
			*(uint32_t *)base = (uint32_t)(v / 1000);
		break;
	case KEY_BOOL:
		rc = conf_parse_bool(value, (bool *)base);
		break;
	case KEY_CIDR_LIST: {
		struct conf_cidr c;

		rc = conf_parse_cidr(value, &c);
		if (rc == 0)
			((struct conf_cidr *)base)[*count] = c;
		break;
	}
	case KEY_PORT_LIST:
		rc = conf_parse_u64(value, k->min, k->max, &v);
		if (rc == 0)
			((uint16_t *)base)[*count] = (uint16_t)v;
		break;
	case KEY_UNMATCHED:
		if (strcmp(value, "drop") == 0)
			*(enum conf_unmatched *)base = CONF_UNMATCHED_DROP;
		else if (strcmp(value, "record") == 0)
			*(enum conf_unmatched *)base = CONF_UNMATCHED_RECORD;
		else
			rc = -DNSIFT_EINVAL;
		break;
	case KEY_MODE:
		rc = conf_parse_mode(value, (mode_t *)base);
		break;
	case KEY_BAILIWICK_UNKNOWN:
		if (strcmp(value, "record") == 0)
			*(enum conf_bailiwick_unknown *)base = CONF_BAILIWICK_UNKNOWN_RECORD;
		else if (strcmp(value, "drop") == 0)
			*(enum conf_bailiwick_unknown *)base = CONF_BAILIWICK_UNKNOWN_DROP;
		else
			rc = -DNSIFT_EINVAL;
		break;
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "key '%s': bad value '%.200s': expected %s", k->name,
			 value, expected_text(k, expect, sizeof(expect)));
		return -DNSIFT_ECONFIG;
	}
	if (k->type == KEY_STRING_LIST || k->type == KEY_CIDR_LIST || k->type == KEY_PORT_LIST)
		(*count)++;
	return 0;
}

int conf_set(struct dnsift_conf *conf, const char *key, const char *value,
	     char *errbuf, size_t errlen)
{
	const struct key_def *k = find_key(key);

	if (k == NULL) {
		snprintf(errbuf, errlen, "unknown key '%.100s'", key);
		return -DNSIFT_ECONFIG;
	}
	return apply_key(conf, k, value, false, errbuf, errlen);
}

int conf_validate(const struct dnsift_conf *conf, char *errbuf, size_t errlen)
{
	if (conf->ship_retry_min_ms > conf->ship_retry_max_ms) {
		snprintf(errbuf, errlen, "ship_retry_min_ms (%u) is larger than "
			 "ship_retry_max_ms (%u)", conf->ship_retry_min_ms,
			 conf->ship_retry_max_ms);
		return -DNSIFT_ECONFIG;
	}
	if ((conf->collector_cert[0] == '\0') != (conf->collector_key[0] == '\0')) {
		snprintf(errbuf, errlen, "collector_cert and collector_key must be set together");
		return -DNSIFT_ECONFIG;
	}
	for (const char *p = conf->sensor_id; *p; p++) {
		/* The sensor id is part of segment file names: keep it a safe file name. */
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			snprintf(errbuf, errlen, "sensor_id '%s': only letters, digits, '-' "
				 "and '_' are allowed", conf->sensor_id);
			return -DNSIFT_ECONFIG;
		}
	}
	for (unsigned int i = 0; i < conf->collector_count; i++) {
		if (strncmp(conf->collector[i], "http://", 7) != 0 &&
		    strncmp(conf->collector[i], "https://", 8) != 0) {
			snprintf(errbuf, errlen, "collector '%.200s': only http:// and "
				 "https:// URLs are supported", conf->collector[i]);
			return -DNSIFT_ECONFIG;
		}
	}
	for (unsigned int i = 0; i < conf->collector_header_count; i++) {
		const char *colon = strchr(conf->collector_header[i], ':');

		if (colon == NULL || colon == conf->collector_header[i] ||
		    strpbrk(conf->collector_header[i], "\r\n") != NULL) {
			snprintf(errbuf, errlen, "collector_header '%.200s': expected "
				 "'Name: value'", conf->collector_header[i]);
			return -DNSIFT_ECONFIG;
		}
	}
	return 0;
}

/* ---- file parsing ---- */

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/*
 * Split "value  # comment" or "\"quoted value\" # comment" in place.
 * Returns the value or NULL with a message.
 */
static char *parse_value(char *s, const char **why)
{
	char *p;

	s = trim(s);
	if (*s == '"') {
		char *close = strchr(s + 1, '"');

		if (close == NULL) {
			*why = "unterminated quoted value";
			return NULL;
		}
		*close = '\0';
		p = trim(close + 1);
		if (*p != '\0' && *p != '#') {
			*why = "text after the quoted value";
			return NULL;
		}
		return s + 1;
	}
	for (p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	return trim(s);
}

static int parse_text(struct dnsift_conf *conf, char *text, const char *name,
		      char *errbuf, size_t errlen)
{
	bool seen[KEY_COUNT] = { false };
	char msg[512];
	unsigned int lineno = 0;
	char *line = text;

	while (line != NULL) {
		char *next = strchr(line, '\n');
		char *key, *value, *eq;
		const char *why = NULL;
		const struct key_def *k;
		size_t idx;
		int rc;

		if (next)
			*next++ = '\0';
		lineno++;
		key = trim(line);
		line = next;
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(errbuf, errlen, "%s:%u: expected 'key = value'", name, lineno);
			return -DNSIFT_ECONFIG;
		}
		*eq = '\0';
		key = trim(key);
		value = parse_value(eq + 1, &why);
		if (value == NULL) {
			snprintf(errbuf, errlen, "%s:%u: %s", name, lineno, why);
			return -DNSIFT_ECONFIG;
		}
		k = find_key(key);
		if (k == NULL) {
			snprintf(errbuf, errlen, "%s:%u: unknown key '%.100s'", name, lineno, key);
			return -DNSIFT_ECONFIG;
		}
		idx = (size_t)(k - key_table);
		if (seen[idx] && k->type != KEY_STRING_LIST && k->type != KEY_CIDR_LIST &&
		    k->type != KEY_PORT_LIST) {
			snprintf(errbuf, errlen, "%s:%u: key '%s' given twice (only list keys "
				 "repeat)", name, lineno, key);
			return -DNSIFT_ECONFIG;
		}
		rc = apply_key(conf, k, value, !seen[idx], msg, sizeof(msg));
		if (rc != 0) {
			snprintf(errbuf, errlen, "%s:%u: %s", name, lineno, msg);
			return rc;
		}
		seen[idx] = true;
	}
	if (conf_validate(conf, msg, sizeof(msg)) != 0) {
		snprintf(errbuf, errlen, "%s: %s", name, msg);
		return -DNSIFT_ECONFIG;
	}
	return 0;
}

int conf_load_string(struct dnsift_conf *conf, const char *text, const char *name,
		     char *errbuf, size_t errlen)
{
	char *copy = strdup(text);
	int rc;

	if (copy == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", name);
		return -DNSIFT_ENOMEM;
	}
	rc = parse_text(conf, copy, name, errbuf, errlen);
	free(copy);
	return rc;
}

int conf_load_file(struct dnsift_conf *conf, const char *path, char *errbuf, size_t errlen)
{
	/* A config file is small; a cap keeps a wrong path (a disk image) from eating memory. */
	const size_t max_size = 1 << 20;
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	if (f == NULL) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -DNSIFT_EIO;
	}
	buf = malloc(max_size + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return -DNSIFT_ENOMEM;
	}
	n = fread(buf, 1, max_size + 1, f);
	if (ferror(f) || n > max_size) {
		snprintf(errbuf, errlen, "%s: %s", path,
			 ferror(f) ? "read error" : "larger than 1 MiB");
		fclose(f);
		free(buf);
		return -DNSIFT_EIO;
	}
	fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(errbuf, errlen, "%s: contains a NUL byte (not a text file)", path);
		free(buf);
		return -DNSIFT_ECONFIG;
	}
	rc = parse_text(conf, buf, path, errbuf, errlen);
	free(buf);
	return rc;
}

/* ---- dump ---- */

static void dump_size(FILE *out, const char *name, uint64_t v)
{
	if (v != 0 && v % GIB == 0)
		fprintf(out, "%s = %lluG\n", name, (unsigned long long)(v / GIB));
	else if (v != 0 && v % MIB == 0)
		fprintf(out, "%s = %lluM\n", name, (unsigned long long)(v / MIB));
	else if (v != 0 && v % KIB == 0)
		fprintf(out, "%s = %lluK\n", name, (unsigned long long)(v / KIB));
	else
		fprintf(out, "%s = %llu\n", name, (unsigned long long)v);
}

void conf_dump(const struct dnsift_conf *conf, FILE *out)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct key_def *k = &key_table[i];
		const char *base = (const char *)conf + k->offset;
		unsigned int count = k->count_offset ?
			*(const unsigned int *)((const char *)conf + k->count_offset) : 0;
		char buf[64];

		switch (k->type) {
		case KEY_STRING:
			fprintf(out, "%s = \"%s\"\n", k->name, base);
			break;
		case KEY_STRING_LIST:
			for (unsigned int j = 0; j < count; j++)
				fprintf(out, "%s = \"%s\"\n", k->name, base + j * k->size);
			break;
		case KEY_U32:
		case KEY_MS:
			fprintf(out, "%s = %u\n", k->name, *(const uint32_t *)base);
			break;
		case KEY_SECONDS:
			fprintf(out, "%s = %us\n", k->name, *(const uint32_t *)base);
			break;
		case KEY_U64:
			fprintf(out, "%s = %llu\n", k->name,
				(unsigned long long)*(const uint64_t *)base);
			break;
		case KEY_SIZE:
			dump_size(out, k->name, *(const uint64_t *)base);
			break;
		case KEY_BOOL:
			fprintf(out, "%s = %s\n", k->name, *(const bool *)base ? "yes" : "no");
			break;
		case KEY_CIDR_LIST:
			for (unsigned int j = 0; j < count; j++)
				fprintf(out, "%s = %s\n", k->name,
					conf_format_cidr((const struct conf_cidr *)base + j, buf,
							 sizeof(buf)));
			break;
		case KEY_PORT_LIST:
			for (unsigned int j = 0; j < count; j++)
				fprintf(out, "%s = %u\n", k->name, ((const uint16_t *)base)[j]);
			break;
		case KEY_UNMATCHED:
			fprintf(out, "%s = %s\n", k->name,
				*(const enum conf_unmatched *)base == CONF_UNMATCHED_RECORD ?
				"record" : "drop");
			break;
		case KEY_MODE:
			fprintf(out, "%s = %04o\n", k->name, (unsigned int)*(const mode_t *)base);
			break;
		case KEY_BAILIWICK_UNKNOWN:
			fprintf(out, "%s = %s\n", k->name,
				*(const enum conf_bailiwick_unknown *)base ==
						CONF_BAILIWICK_UNKNOWN_DROP ? "drop" : "record");
			break;
		}
	}
}
