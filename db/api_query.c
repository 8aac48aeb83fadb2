/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_query: request path + query string -> struct api_request.
 * Grammar and rules in api_query.h; every reject says what is wrong, because the
 * message is the body of the 400 a user reads (dnsdbq prints its first line).
 */
#define _GNU_SOURCE
#include "db/api_query.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/cof.h"
#include "wire/err.h"

#define PATH_PARTS_MAX 10

static void set_err(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* Bytes of user input quoted in a message: printable ASCII only, cut at 80. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; s[i] != '\0' && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 80) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* ---- percent decoding ------------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long api_percent_decode(const char *src, size_t len, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] == '%') {
			int h, l;
			if (i + 2 >= len)
				return -1;
			h = hexval((unsigned char)src[i + 1]);
			l = hexval((unsigned char)src[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			if (h == 0 && l == 0)
				return -1;
			dst[o++] = (char)(h << 4 | l);
			i += 2;
		} else if (src[i] == '\0') {
			return -1;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	return (long)o;
}

/* ---- names ------------------------------------------------------------------------ */

/* Presentation text to an uncompressed, lowercased wire name. 0 or -1 with err. */
static int name_text_to_wire(const char *s, uint8_t wire[256], size_t *wire_len,
			     char *err, size_t err_size)
{
	size_t n = strlen(s), w = 0;
	uint8_t label[64];
	size_t ll = 0;

	if (n == 0) {
		set_err(err, err_size, "empty name");
		return -1;
	}
	if (n == 1 && s[0] == '.') {
		wire[0] = 0;
		*wire_len = 1;
		return 0;
	}
	for (size_t i = 0; i <= n; i++) {
		int c;
		bool end = (i == n);

		if (!end && s[i] == '\\') {
			if (i + 1 >= n) {
				set_err(err, err_size, "name ends in a lone backslash");
				return -1;
			}
			if (isdigit((unsigned char)s[i + 1])) {
				if (i + 3 >= n || !isdigit((unsigned char)s[i + 2]) ||
				    !isdigit((unsigned char)s[i + 3])) {
					set_err(err, err_size,
						"bad escape in name: \\DDD needs three digits");
					return -1;
				}
				c = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
				if (c > 255) {
					set_err(err, err_size, "bad escape in name: \\%c%c%c is above 255",
						s[i + 1], s[i + 2], s[i + 3]);
					return -1;
				}
				i += 3;
			} else {
				c = (unsigned char)s[i + 1];
				i += 1;
			}
		} else if (end || s[i] == '.') {
			if (end && ll == 0)
				break;		/* absolute name: the trailing dot ended the last label */
			if (ll == 0) {
				set_err(err, err_size, "empty label in name (\"..\" or a leading dot)");
				return -1;
			}
			if (w + 1 + ll + 1 > 255) {
				set_err(err, err_size, "name longer than 255 octets");
				return -1;
			}
			wire[w++] = (uint8_t)ll;
			memcpy(wire + w, label, ll);
			w += ll;
			ll = 0;
			continue;
		} else {
			c = (unsigned char)s[i];
		}
		if (ll == 63) {
			set_err(err, err_size, "label longer than 63 octets");
			return -1;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		label[ll++] = (uint8_t)c;
	}
	if (w + 1 > 255) {
		set_err(err, err_size, "name longer than 255 octets");
		return -1;
	}
	wire[w++] = 0;
	*wire_len = w;
	return 0;
}

int api_name_canonical(const char *text, char *out, size_t out_size, char *err, size_t err_size)
{
	uint8_t wire[256];
	size_t wl;
	int r;

	if (name_text_to_wire(text, wire, &wl, err, err_size) != 0)
		return -1;
	r = name_to_text(wire, wl, out, out_size);
	if (r < 0) {
		set_err(err, err_size, "name too long to render");
		return -1;
	}
	return 0;
}

/*
 * A lookup name with an optional wildcard. "*.x" = below x; "x.*" = right-hand.
 * The '*' of a wildcard must be a whole, unescaped label.
 */
static int wild_name_parse(const char *text, char *out, size_t out_size, enum db_wildcard *wild,
			   char *err, size_t err_size)
{
	size_t n = strlen(text);
	char tmp[1100];
	bool left = false, right = false;
	const char *body = text;

	if (n >= sizeof(tmp)) {
		set_err(err, err_size, "name longer than 255 octets");
		return -1;
	}
	if (strcmp(text, "*") == 0 || strcmp(text, "*.") == 0) {
		set_err(err, err_size, "a wildcard needs a name beside its '*'");
		return -1;
	}
	if (n >= 2 && text[0] == '*' && text[1] == '.') {
		left = true;
		body = text + 2;
	}
	/* right-hand: ends in ".*" or ".*.", the dot unescaped */
	{
		size_t e = n;
		if (e >= 1 && text[e - 1] == '.' && e >= 2 && text[e - 2] == '*')
			e--;	/* "x.*." */
		if (e >= 2 && text[e - 1] == '*' && text[e - 2] == '.') {
			size_t bs = 0;
			for (size_t k = e - 2; k > 0 && text[k - 1] == '\\'; k--)
				bs++;
			if (bs % 2 == 0) {
				right = true;
				memcpy(tmp, body, (size_t)(text + e - 1 - body));
				tmp[text + e - 1 - body] = '\0';	/* keeps the dot before '*' */
				body = tmp;
			}
		}
	}
	if (left && right) {
		set_err(err, err_size, "a name may have a left-hand or a right-hand wildcard, not both");
		return -1;
	}
	if (body[0] == '\0' || strcmp(body, ".") == 0) {
		set_err(err, err_size, "a wildcard needs a name beside its '*'");
		return -1;
	}
	if (api_name_canonical(body, out, out_size, err, err_size) != 0)
		return -1;
	*wild = left ? DB_WILDCARD_LEFT : right ? DB_WILDCARD_RIGHT : DB_WILDCARD_NONE;
	return 0;
}

/* ---- RR types --------------------------------------------------------------------- */

static const char *type_names[65536];	/* rrtype_name() of every type, for the reverse map */
static pthread_once_t type_once = PTHREAD_ONCE_INIT;

static void type_table_init(void)
{
	for (unsigned int t = 0; t < 65536; t++)
		type_names[t] = rrtype_name((uint16_t)t);
}

int api_rrtype_parse(const char *text, uint32_t *out)
{
	if (strcasecmp(text, "ANY") == 0) {
		*out = DB_RRTYPE_ANY;
		return 0;
	}
	if (strcasecmp(text, "ANY-DNSSEC") == 0) {
		*out = DB_RRTYPE_ANY_DNSSEC;
		return 0;
	}
	if (strncasecmp(text, "TYPE", 4) == 0 && text[4] != '\0') {
		unsigned long v = 0;
		size_t i;
		for (i = 4; text[i] != '\0'; i++) {
			if (!isdigit((unsigned char)text[i]) || i > 8)
				return -1;
			v = v * 10 + (unsigned long)(text[i] - '0');
		}
		if (v == 0 || v > 65535)
			return -1;
		*out = (uint32_t)v;
		return 0;
	}
	pthread_once(&type_once, type_table_init);
	for (unsigned int t = 1; t < 65536; t++) {
		if (type_names[t] != NULL && strcasecmp(type_names[t], text) == 0) {
			*out = t;
			return 0;
		}
	}
	return -1;
}

const char *api_rrtype_text(uint16_t rrtype, char *buf, size_t size)
{
	const char *n = rrtype_name(rrtype);

	if (n != NULL)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "TYPE%u", (unsigned int)rrtype);
	return buf;
}

/* ---- addresses -------------------------------------------------------------------- */

static int addr_parse(const char *s, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int api_ip_range_parse(const char *text, int *family, uint8_t lo[16], uint8_t hi[16],
		       char *err, size_t err_size)
{
	char a[64], b[64], sh[128];
	const char *sep;
	size_t n = strlen(text);
	int fa, fb;

	if (n == 0 || n >= sizeof(a) * 2) {
		set_err(err, err_size, "bad address '%s'", shown(text, sh, sizeof(sh)));
		return -1;
	}
	sep = strpbrk(text, ",/-");
	if (sep == NULL) {
		if (n >= sizeof(a) || addr_parse(text, &fa, lo) != 0) {
			set_err(err, err_size, "bad address '%s' (not IPv4 or IPv6)",
				shown(text, sh, sizeof(sh)));
			return -1;
		}
		memcpy(hi, lo, 16);
		*family = fa;
		return 0;
	}
	if ((size_t)(sep - text) >= sizeof(a) || strlen(sep + 1) >= sizeof(b)) {
		set_err(err, err_size, "bad address '%s'", shown(text, sh, sizeof(sh)));
		return -1;
	}
	memcpy(a, text, (size_t)(sep - text));
	a[sep - text] = '\0';
	snprintf(b, sizeof(b), "%s", sep + 1);
	if (addr_parse(a, &fa, lo) != 0) {
		set_err(err, err_size, "bad address '%s' (not IPv4 or IPv6)", shown(a, sh, sizeof(sh)));
		return -1;
	}
	if (*sep == '-') {
		if (addr_parse(b, &fb, hi) != 0) {
			set_err(err, err_size, "bad address '%s' at the end of the range",
				shown(b, sh, sizeof(sh)));
			return -1;
		}
		if (fa != fb) {
			set_err(err, err_size, "range mixes IPv4 and IPv6");
			return -1;
		}
		if (memcmp(lo, hi, fa == AF_INET ? 4 : 16) > 0) {
			set_err(err, err_size, "range start is above its end");
			return -1;
		}
		*family = fa;
		return 0;
	}
	/* prefix length */
	{
		unsigned int bits = fa == AF_INET ? 32 : 128, plen = 0;
		size_t i;
		if (b[0] == '\0') {
			set_err(err, err_size, "missing prefix length after '%c'", *sep);
			return -1;
		}
		for (i = 0; b[i] != '\0'; i++) {
			if (!isdigit((unsigned char)b[i]) || i >= 3) {
				set_err(err, err_size, "bad prefix length '%s'", shown(b, sh, sizeof(sh)));
				return -1;
			}
			plen = plen * 10 + (unsigned int)(b[i] - '0');
		}
		if (plen > bits) {
			set_err(err, err_size, "prefix length %u is above %u for %s", plen, bits,
				fa == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
		memcpy(hi, lo, 16);
		for (unsigned int bit = plen; bit < bits; bit++) {
			lo[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
			hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
		}
		*family = fa;
		return 0;
	}
}

/* ---- hex ------------------------------------------------------------------------- */

static int hex_parse(const char *s, uint8_t **out, size_t *out_len, char *err, size_t err_size)
{
	size_t n = strlen(s);
	uint8_t *b;

	if (n == 0 || n % 2 != 0) {
		set_err(err, err_size, "hex value must have an even, non-zero number of digits");
		return -1;
	}
	if (n / 2 > 65535) {
		set_err(err, err_size, "hex value longer than 65535 octets");
		return -1;
	}
	b = malloc(n / 2 + 1);
	if (b == NULL) {
		set_err(err, err_size, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i += 2) {
		int h = hexval((unsigned char)s[i]), l = hexval((unsigned char)s[i + 1]);
		if (h < 0 || l < 0) {
			free(b);
			set_err(err, err_size, "bad hex digit at position %zu", h < 0 ? i + 1 : i + 2);
			return -1;
		}
		b[i / 2] = (uint8_t)(h << 4 | l);
	}
	*out = b;
	*out_len = n / 2;
	return 0;
}

/* ---- parameters ------------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] == '\0')
		return -1;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "t") == 0 || strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "f") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

enum fence_slot { F_FIRST_BEFORE, F_FIRST_AFTER, F_LAST_BEFORE, F_LAST_AFTER };

static int parse_time(const char *key, const char *v, uint64_t now, uint64_t *out,
		      bool *zero, char *err, size_t err_size)
{
	bool neg = v[0] == '-';
	uint64_t x;
	char sh[128];

	if (parse_u64(v + (neg ? 1 : 0), INT64_MAX, &x) != 0) {
		set_err(err, err_size, "%s must be Unix seconds or a negative relative time, not '%s'",
			key, shown(v, sh, sizeof(sh)));
		return -1;
	}
	if (neg) {
		if (x > now) {
			set_err(err, err_size, "%s=%s reaches before 1970", key, shown(v, sh, sizeof(sh)));
			return -1;
		}
		x = now - x;
	}
	*zero = (x == 0);
	*out = x;
	return 0;
}

struct params_seen {
	bool limit, offset, aggr, max_count, humantime, fence[4];
	bool any_query_param;	/* one that only lookups and summarize take */
};

static int apply_param(struct api_request *r, struct params_seen *seen, const char *k,
		       const char *v, uint64_t now, char *err, size_t err_size)
{
	static const char *const fences[4] = {
		"time_first_before", "time_first_after", "time_last_before", "time_last_after",
	};
	char sh[128];

	if (strcmp(k, "swclient") == 0 || strcmp(k, "version") == 0 || strcmp(k, "id") == 0)
		return 0;
	for (int f = 0; f < 4; f++) {
		uint64_t t;
		bool zero;
		uint64_t *slot;
		if (strcmp(k, fences[f]) != 0)
			continue;
		if (seen->fence[f])
			goto twice;
		seen->fence[f] = true;
		seen->any_query_param = true;
		if (parse_time(k, v, now, &t, &zero, err, err_size) != 0)
			return -1;
		slot = f == F_FIRST_BEFORE ? &r->q.time_first_before :
		       f == F_FIRST_AFTER ? &r->q.time_first_after :
		       f == F_LAST_BEFORE ? &r->q.time_last_before : &r->q.time_last_after;
		/* "after 0" holds for every record, the store's "no fence"; "before 0" for none */
		if (zero && (f == F_FIRST_BEFORE || f == F_LAST_BEFORE))
			r->match_nothing = true;
		*slot = t;
		return 0;
	}
	if (strcmp(k, "limit") == 0) {
		if (seen->limit)
			goto twice;
		seen->limit = seen->any_query_param = true;
		if (parse_u64(v, INT64_MAX, &r->limit) != 0) {
			set_err(err, err_size, "limit must be a non-negative integer, not '%s'",
				shown(v, sh, sizeof(sh)));
			return -1;
		}
		r->limit_given = true;
		return 0;
	}
	if (strcmp(k, "offset") == 0) {
		if (seen->offset)
			goto twice;
		seen->offset = seen->any_query_param = true;
		if (parse_u64(v, INT64_MAX, &r->q.offset) != 0) {
			set_err(err, err_size, "offset must be a non-negative integer, not '%s'",
				shown(v, sh, sizeof(sh)));
			return -1;
		}
		if (r->q.offset > API_OFFSET_MAX) {
			set_err(err, err_size, "offset %llu is above offset_max %llu",
				(unsigned long long)r->q.offset, (unsigned long long)API_OFFSET_MAX);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "max_count") == 0) {
		if (seen->max_count)
			goto twice;
		seen->max_count = seen->any_query_param = true;
		if (parse_u64(v, INT64_MAX, &r->max_count) != 0 || r->max_count == 0) {
			set_err(err, err_size, "max_count must be a positive integer, not '%s'",
				shown(v, sh, sizeof(sh)));
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "aggr") == 0) {
		if (seen->aggr)
			goto twice;
		seen->aggr = seen->any_query_param = true;
		if (parse_bool(v, &r->q.aggregate) != 0) {
			set_err(err, err_size, "aggr must be t or f, not '%s'", shown(v, sh, sizeof(sh)));
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "humantime") == 0) {
		if (seen->humantime)
			goto twice;
		seen->humantime = seen->any_query_param = true;
		if (parse_bool(v, &r->humantime) != 0) {
			set_err(err, err_size, "humantime must be t or f, not '%s'",
				shown(v, sh, sizeof(sh)));
			return -1;
		}
		return 0;
	}
	set_err(err, err_size, "unknown parameter '%s'", shown(k, sh, sizeof(sh)));
	return -1;
twice:
	set_err(err, err_size, "parameter '%s' given twice", k);
	return -1;
}

static int parse_query_string(struct api_request *r, struct params_seen *seen, const char *qs,
			      uint64_t now, char *err, size_t err_size)
{
	size_t n = strlen(qs);
	const char *p = qs, *end = qs + n;
	char sh[128];

	if (n > API_QUERY_STRING_MAX) {
		set_err(err, err_size, "query string longer than %d bytes", API_QUERY_STRING_MAX);
		return -1;
	}
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char k[API_QUERY_STRING_MAX + 1], v[API_QUERY_STRING_MAX + 1];

		if (stop == p) {		/* "&&" or a trailing '&' */
			p = stop + 1;
			continue;
		}
		if (eq == NULL) {
			char raw[API_QUERY_STRING_MAX + 1];
			memcpy(raw, p, (size_t)(stop - p));
			raw[stop - p] = '\0';
			set_err(err, err_size, "parameter '%s' has no value", shown(raw, sh, sizeof(sh)));
			return -1;
		}
		if (api_percent_decode(p, (size_t)(eq - p), k) < 0 ||
		    api_percent_decode(eq + 1, (size_t)(stop - eq - 1), v) < 0) {
			set_err(err, err_size, "bad percent escape in the query string");
			return -1;
		}
		if (k[0] == '\0') {
			set_err(err, err_size, "empty parameter name in the query string");
			return -1;
		}
		if (v[0] == '\0') {
			set_err(err, err_size, "parameter '%s' has an empty value", shown(k, sh, sizeof(sh)));
			return -1;
		}
		if (apply_param(r, seen, k, v, now, err, err_size) != 0)
			return -1;
		p = stop + 1;
	}
	return 0;
}

/* ---- the path --------------------------------------------------------------------- */

static int rrtype_part(const char *s, uint32_t *out, char *err, size_t err_size)
{
	char sh[128];

	if (api_rrtype_parse(s, out) != 0) {
		set_err(err, err_size, "unknown RR type '%s'", shown(s, sh, sizeof(sh)));
		return -1;
	}
	return 0;
}

static int lookup_parse(struct api_request *r, char **part, int nparts, char *err, size_t err_size)
{
	char sh[128];
	const char *kind, *sub;
	int extra;

	if (nparts < 3) {
		set_err(err, err_size, "lookup needs rrset/name|raw/VALUE or rdata/name|ip|raw/VALUE");
		return -1;
	}
	kind = part[0];
	sub = part[1];
	extra = nparts - 3;
	if (strcmp(kind, "rrset") == 0 && (strcmp(sub, "name") == 0 || strcmp(sub, "raw") == 0)) {
		bool raw = sub[0] == 'r';
		r->lookup = raw ? API_LOOKUP_RRSET_RAW : API_LOOKUP_RRSET_NAME;
		r->q.kind = DB_QUERY_RRSET_NAME;
		if (extra > 2) {
			set_err(err, err_size, "too many path parts after rrset/%s (VALUE[/RRTYPE[/BAILIWICK]])", sub);
			return -1;
		}
		if (raw) {
			uint8_t *w;
			size_t wl;
			int n;
			if (hex_parse(part[2], &w, &wl, err, err_size) != 0)
				return -1;
			for (size_t i = 0; i < wl && wl <= 255; ) {	/* lowercase the label bytes */
				uint8_t l = w[i++];
				for (size_t j = 0; j < l && i < wl; j++, i++)
					if (w[i] >= 'A' && w[i] <= 'Z')
						w[i] = (uint8_t)(w[i] + 'a' - 'A');
			}
			n = name_to_text(w, wl, r->name, sizeof(r->name));
			free(w);
			if (n < 0) {
				set_err(err, err_size, "rrset/raw value is not one uncompressed wire-format name");
				return -1;
			}
			r->q.wildcard = DB_WILDCARD_NONE;
		} else if (wild_name_parse(part[2], r->name, sizeof(r->name), &r->q.wildcard,
					   err, err_size) != 0) {
			return -1;
		}
		r->q.name = r->name;
		if (extra >= 1 && rrtype_part(part[3], &r->q.rrtype, err, err_size) != 0)
			return -1;
		if (extra == 2) {
			if (api_name_canonical(part[4], r->bailiwick, sizeof(r->bailiwick), err, err_size) != 0) {
				char m[API_ERROR_MAX];
				snprintf(m, sizeof(m), "bad bailiwick: %s", err);
				set_err(err, err_size, "%s", m);
				return -1;
			}
			r->q.bailiwick = r->bailiwick;
		}
		return 0;
	}
	if (strcmp(kind, "rdata") == 0 && strcmp(sub, "name") == 0) {
		r->lookup = API_LOOKUP_RDATA_NAME;
		r->q.kind = DB_QUERY_RDATA_NAME;
		if (extra > 1) {
			set_err(err, err_size, "too many path parts after rdata/name (NAME[/RRTYPE])");
			return -1;
		}
		if (wild_name_parse(part[2], r->name, sizeof(r->name), &r->q.wildcard, err, err_size) != 0)
			return -1;
		r->q.name = r->name;
		if (extra == 1 && rrtype_part(part[3], &r->q.rrtype, err, err_size) != 0)
			return -1;
		return 0;
	}
	if (strcmp(kind, "rdata") == 0 && strcmp(sub, "ip") == 0) {
		r->lookup = API_LOOKUP_RDATA_IP;
		r->q.kind = DB_QUERY_RDATA_IP;
		if (extra > 0) {
			set_err(err, err_size, "too many path parts after rdata/ip (ADDR, ADDR,PFXLEN or ADDR-ADDR)");
			return -1;
		}
		return api_ip_range_parse(part[2], &r->q.ip_family, r->q.ip_lo, r->q.ip_hi, err, err_size);
	}
	if (strcmp(kind, "rdata") == 0 && strcmp(sub, "raw") == 0) {
		r->lookup = API_LOOKUP_RDATA_RAW;
		r->q.kind = DB_QUERY_RDATA_RAW;
		if (extra > 1) {
			set_err(err, err_size, "too many path parts after rdata/raw (HEX[/RRTYPE])");
			return -1;
		}
		if (hex_parse(part[2], &r->raw, &r->raw_len, err, err_size) != 0)
			return -1;
		if (extra == 1 && rrtype_part(part[3], &r->q.rrtype, err, err_size) != 0)
			return -1;
		if (r->q.rrtype == DB_RRTYPE_ANY_DNSSEC) {
			set_err(err, err_size, "rdata/raw takes one RR type or ANY, not ANY-DNSSEC");
			return -1;
		}
		if (r->q.rrtype != 0 && r->q.rrtype != DB_RRTYPE_ANY) {
			size_t cap = API_RDATA_TEXT_MAX(r->raw_len) + 1;
			r->rdata_text = malloc(cap);
			if (r->rdata_text == NULL) {
				set_err(err, err_size, "out of memory");
				return -1;
			}
			if (rdata_to_text((uint16_t)r->q.rrtype, r->raw, (uint16_t)r->raw_len,
					  r->rdata_text, cap) < 0) {
				set_err(err, err_size, "rdata too long to render");
				return -1;
			}
			r->q.rdata = r->rdata_text;
		} else {
			r->q.rrtype = 0;	/* every type: the runner renders raw once per type */
		}
		return 0;
	}
	{
		char sh2[128];
		set_err(err, err_size,
			"unknown lookup '%s/%s' (rrset/name, rrset/raw, rdata/name, rdata/ip, rdata/raw)",
			shown(kind, sh, sizeof(sh)), shown(sub, sh2, sizeof(sh2)));
	}
	return -1;
}

static int circl_parse(struct api_request *r, const char *value, char *err, size_t err_size)
{
	char e2[API_ERROR_MAX], sh[128];

	r->endpoint = API_EP_CIRCL;
	r->q.aggregate = true;
	if (api_ip_range_parse(value, &r->q.ip_family, r->q.ip_lo, r->q.ip_hi, e2, sizeof(e2)) == 0) {
		r->lookup = API_LOOKUP_RDATA_IP;
		r->q.kind = DB_QUERY_RDATA_IP;
		return 0;
	}
	/* Not an address: a name, asked both ways as CIRCL does (owner, and inside rdata). */
	if (strchr(value, ':') != NULL || strspn(value, "0123456789./,-") == strlen(value)) {
		set_err(err, err_size, "bad address '%s': %s", shown(value, sh, sizeof(sh)), e2);
		return -1;
	}
	if (api_name_canonical(value, r->name, sizeof(r->name), err, err_size) != 0)
		return -1;
	r->lookup = API_LOOKUP_RRSET_NAME;
	r->q.kind = DB_QUERY_RRSET_NAME;
	r->q.name = r->name;
	r->circl_name = true;
	return 0;
}

int api_request_parse(const char *path, const char *query, uint64_t now,
		      struct api_request *out, char *err, size_t err_size)
{
	size_t plen;
	char *buf = NULL, *part[PATH_PARTS_MAX];
	int nparts = 0, rc = -1;
	struct params_seen seen;
	const char *p;
	char sh[128];

	memset(out, 0, sizeof(*out));
	memset(&seen, 0, sizeof(seen));
	out->q.aggregate = true;
	if (path == NULL || path[0] != '/') {
		set_err(err, err_size, "request path must start with '/'");
		return -1;
	}
	plen = strlen(path);
	if (plen > API_PATH_MAX) {
		set_err(err, err_size, "request path longer than %d bytes", API_PATH_MAX);
		return -1;
	}
	buf = malloc(plen + PATH_PARTS_MAX + 1);
	if (buf == NULL) {
		set_err(err, err_size, "out of memory");
		return -1;
	}
	/* Split on '/' first, then decode each part, so "%2F" stays inside its part. */
	p = path + 1;
	{
		char *o = buf;
		while (*p != '\0' || nparts == 0) {
			const char *slash = strchr(p, '/');
			size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
			long d;
			if (nparts == PATH_PARTS_MAX) {
				set_err(err, err_size, "too many path parts");
				goto fail;
			}
			if (n == 0) {
				set_err(err, err_size, "empty path part (a doubled or trailing '/')");
				goto fail;
			}
			d = api_percent_decode(p, n, o);
			if (d < 0) {
				set_err(err, err_size, "bad percent escape in path part %d", nparts + 1);
				goto fail;
			}
			if ((size_t)d != strlen(o)) {
				set_err(err, err_size, "NUL byte in path part %d", nparts + 1);
				goto fail;
			}
			part[nparts++] = o;
			o += d + 1;
			if (slash == NULL)
				break;
			p = slash + 1;
			if (*p == '\0') {
				set_err(err, err_size, "empty path part (a doubled or trailing '/')");
				goto fail;
			}
		}
	}

	if (nparts >= 2 && strcmp(part[0], "pdns") == 0 && strcmp(part[1], "query") == 0) {
		if (nparts == 4 && strspn(part[3], "0123456789") == strlen(part[3])) {
			/* ADDR/PFXLEN sent with a raw '/': join the two parts again */
			part[2][strlen(part[2])] = '/';
			nparts = 3;
		}
		if (nparts != 3) {
			set_err(err, err_size, "CIRCL query is /pdns/query/VALUE (a name, an address or ADDR/PFXLEN)");
			goto fail;
		}
		if (circl_parse(out, part[2], err, err_size) != 0)
			goto fail;
	} else if (nparts >= 3 && strcmp(part[0], "dnsdb") == 0 && strcmp(part[1], "v2") == 0) {
		const char *verb = part[2];
		if (strcmp(verb, "rate_limit") == 0 || strcmp(verb, "ping") == 0) {
			if (nparts != 3) {
				set_err(err, err_size, "/dnsdb/v2/%s takes no further path", verb);
				goto fail;
			}
			out->endpoint = verb[0] == 'r' ? API_EP_RATE_LIMIT : API_EP_PING;
		} else if (strcmp(verb, "lookup") == 0 || strcmp(verb, "summarize") == 0) {
			out->endpoint = verb[0] == 'l' ? API_EP_LOOKUP : API_EP_SUMMARIZE;
			if (lookup_parse(out, part + 3, nparts - 3, err, err_size) != 0)
				goto fail;
		} else {
			set_err(err, err_size, "unknown verb '%s' (lookup, summarize, rate_limit, ping)",
				shown(verb, sh, sizeof(sh)));
			goto fail;
		}
	} else if (nparts >= 1 && strcmp(part[0], "lookup") == 0) {
		set_err(err, err_size, "DNSDB API v1 is not served; use /dnsdb/v2/lookup/...");
		goto fail;
	} else {
		set_err(err, err_size, "unknown path (the API is /dnsdb/v2/... and /pdns/query/...)");
		goto fail;
	}

	if (query != NULL && parse_query_string(out, &seen, query, now, err, err_size) != 0)
		goto fail;
	if (seen.any_query_param && out->endpoint != API_EP_LOOKUP &&
	    out->endpoint != API_EP_SUMMARIZE) {
		set_err(err, err_size, "this endpoint takes no query parameters");
		goto fail;
	}
	if (seen.max_count && out->endpoint != API_EP_SUMMARIZE) {
		set_err(err, err_size, "max_count is only for summarize");
		goto fail;
	}
	rc = 0;
fail:
	free(buf);
	if (rc != 0)
		api_request_clear(out);
	return rc;
}

void api_request_clear(struct api_request *r)
{
	free(r->raw);
	free(r->rdata_text);
	r->raw = NULL;
	r->rdata_text = NULL;
	r->q.rdata = NULL;
}
