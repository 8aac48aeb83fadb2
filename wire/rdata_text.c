/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master-file presentation of canonical rdata (RFC 1035 5.1, each type's RFC,
 * RFC 3597 for everything else), following what kdig (Knot DNS 3.2) prints:
 *
 *   - names absolute with a trailing dot, root ".", label bytes . \ " ( ) ; @ $
 *     and all other punctuation but - _ * / escaped with a backslash, '#' and
 *     bytes < 0x21 (space included) or > 0x7e as \DDD, exactly as kdig;
 *   - character-strings quoted, " and \ backslash-escaped, bytes < 0x20 or
 *     > 0x7e as \DDD;
 *   - hex (DS digest, SSHFP, TLSA, SMIMEA, ZONEMD, NSEC3 salt, RFC 3597, EUI)
 *     in uppercase; base64 (keys, signatures, ECH, DHCID) on one line;
 *   - NSEC3 next hashed owner in lowercase base32hex, the form NSEC3 owner
 *     names take once lowercased;
 *   - SVCB/HTTPS alpn unquoted with RFC 9460 value-list escaping (a comma in
 *     an alpn-id is "\\,", a backslash "\\\\"), unknown keys keyNNNNN="..";
 *   - LOC in the RFC 1876 appendix form "52 22 23.000 N 4 53 32.000 E -2.00m
 *     0.00m 10000.00m 10.00m" (kdig trims zero fractions and doubles spaces;
 *     the RFC form is the one every zone parser reads);
 *   - no trailing spaces (kdig leaves one after CAA and URI);
 *   - RRSIG times read as unsigned seconds (up to 2106), so the text does not
 *     depend on the clock; kdig and dig pick the window around "now", which
 *     only differs for values more than 68 years away from it;
 *   - AAAA per RFC 5952 4.2.3 (of two equal zero runs the first becomes
 *     "::"), as glibc's inet_ntop; kdig shortens the last one.
 *
 * Every renderer reads through a wire_ctx over exactly rdlen octets and must
 * consume all of them; anything else (short, long, a field out of range, a
 * name that is not canonical) falls back to "\# len hex", so a corrupt key
 * can never make this code read outside the rdata.
 *
 * Worst-case output, the basis of TEXT_RDATA_JSON_MAX() (JSON-escaped, i.e.
 * every backslash and quote doubled, per rdata octet consumed):
 *   name label octet: "\\DDD" 5 (the length octet becomes the '.');
 *   character-string octet: "\\DDD" 5, its length octet the quotes and space
 *     "\"\" " 5;
 *   SVCB alpn octet: "\\\\\\\\" 8 (value-list then char-string escaping);
 *   integers: "255 " 4 per octet at most; A 16 per 4; AAAA 40 per 16;
 *   hex 2, base64 4/3 (+ at most 3 of padding per field, which has >= 1
 *   octet), base32hex 8/5 (+ 7);
 *   type bitmap octet: 8 x " TYPEnnnnn" = 80, the largest;
 *   LOC: 16 octets, at most 84 characters;
 *   RFC 3597: 2 per octet plus "\\# 65535 " 10.
 * So 80 per octet plus 10 bounds every type.
 */
#include <string.h>

#include "wire/cof.h"
#include "wire/err.h"
#include "wire/rdata_text.h"
#include "wire/wire_ctx.h"

/* IANA "Resource Record (RR) TYPEs", 2025: every assigned data, meta and QTYPE. */
static const char *const rrtype_names[] = {
	[1] = "A", [2] = "NS", [3] = "MD", [4] = "MF", [5] = "CNAME", [6] = "SOA",
	[7] = "MB", [8] = "MG", [9] = "MR", [10] = "NULL", [11] = "WKS", [12] = "PTR",
	[13] = "HINFO", [14] = "MINFO", [15] = "MX", [16] = "TXT", [17] = "RP",
	[18] = "AFSDB", [19] = "X25", [20] = "ISDN", [21] = "RT", [22] = "NSAP",
	[23] = "NSAP-PTR", [24] = "SIG", [25] = "KEY", [26] = "PX", [27] = "GPOS",
	[28] = "AAAA", [29] = "LOC", [30] = "NXT", [31] = "EID", [32] = "NIMLOC",
	[33] = "SRV", [34] = "ATMA", [35] = "NAPTR", [36] = "KX", [37] = "CERT",
	[38] = "A6", [39] = "DNAME", [40] = "SINK", [41] = "OPT", [42] = "APL",
	[43] = "DS", [44] = "SSHFP", [45] = "IPSECKEY", [46] = "RRSIG", [47] = "NSEC",
	[48] = "DNSKEY", [49] = "DHCID", [50] = "NSEC3", [51] = "NSEC3PARAM",
	[52] = "TLSA", [53] = "SMIMEA", [55] = "HIP", [56] = "NINFO", [57] = "RKEY",
	[58] = "TALINK", [59] = "CDS", [60] = "CDNSKEY", [61] = "OPENPGPKEY",
	[62] = "CSYNC", [63] = "ZONEMD", [64] = "SVCB", [65] = "HTTPS", [66] = "DSYNC",
	[67] = "HHIT", [68] = "BRID",
	[99] = "SPF", [100] = "UINFO", [101] = "UID", [102] = "GID", [103] = "UNSPEC",
	[104] = "NID", [105] = "L32", [106] = "L64", [107] = "LP", [108] = "EUI48",
	[109] = "EUI64", [128] = "NXNAME",
	[249] = "TKEY", [250] = "TSIG", [251] = "IXFR", [252] = "AXFR", [253] = "MAILB",
	[254] = "MAILA", [255] = "ANY", [256] = "URI", [257] = "CAA", [258] = "AVC",
	[259] = "DOA", [260] = "AMTRELAY", [261] = "RESINFO", [262] = "WALLET",
	[263] = "CLA", [264] = "IPN",
};

const char *rrtype_name(uint16_t rrtype)
{
	if (rrtype < sizeof(rrtype_names) / sizeof(rrtype_names[0]))
		return rrtype_names[rrtype];
	if (rrtype == 32768)
		return "TA";
	if (rrtype == 32769)
		return "DLV";
	return NULL;
}

enum { RR_A = 1, RR_NS = 2, RR_MD = 3, RR_MF = 4, RR_CNAME = 5, RR_SOA = 6, RR_MB = 7,
	RR_MG = 8, RR_MR = 9, RR_PTR = 12, RR_HINFO = 13, RR_MINFO = 14, RR_MX = 15,
	RR_TXT = 16, RR_RP = 17, RR_AFSDB = 18, RR_X25 = 19, RR_ISDN = 20, RR_RT = 21,
	RR_NSAP_PTR = 23, RR_SIG = 24, RR_KEY = 25, RR_PX = 26, RR_GPOS = 27, RR_AAAA = 28,
	RR_LOC = 29, RR_SRV = 33, RR_NAPTR = 35, RR_KX = 36, RR_CERT = 37, RR_DNAME = 39,
	RR_APL = 42, RR_DS = 43, RR_SSHFP = 44, RR_IPSECKEY = 45, RR_RRSIG = 46,
	RR_NSEC = 47, RR_DNSKEY = 48, RR_DHCID = 49, RR_NSEC3 = 50, RR_NSEC3PARAM = 51,
	RR_TLSA = 52, RR_SMIMEA = 53, RR_NINFO = 56, RR_CDS = 59, RR_CDNSKEY = 60,
	RR_OPENPGPKEY = 61, RR_CSYNC = 62, RR_ZONEMD = 63, RR_SVCB = 64, RR_HTTPS = 65,
	RR_DSYNC = 66, RR_SPF = 99, RR_NID = 104, RR_L32 = 105, RR_L64 = 106, RR_LP = 107,
	RR_EUI48 = 108, RR_EUI64 = 109, RR_URI = 256, RR_CAA = 257, RR_AVC = 258,
	RR_RESINFO = 261, RR_TA = 32768, RR_DLV = 32769 };

int text_out_finish(struct text_out *t, size_t size)
{
	if (size == 0 || t->len > t->cap) {
		if (size)
			t->buf[size - 1] = '\0';
		return -DNSIFT_ENOSPACE;
	}
	t->buf[t->len] = '\0';
	/* Presentation of a 64 KiB rdata is far below INT_MAX; cof_render checks its own. */
	return (int)t->len;
}

void text_str(struct text_out *t, const char *s)
{
	while (*s)
		text_char(t, *s++);
}

void text_u64(struct text_out *t, uint64_t v)
{
	char d[20];
	unsigned n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	text_raw_mem(t, d + n, sizeof(d) - n);
}

/* Exactly two digits, for dates and fixed fractions. */
static void text_2d(struct text_out *t, unsigned v)
{
	text_raw(t, (char)('0' + v / 10 % 10));
	text_raw(t, (char)('0' + v % 10));
}

static void text_ddd(struct text_out *t, uint8_t b)
{
	text_char(t, '\\');
	text_raw(t, (char)('0' + b / 100));
	text_raw(t, (char)('0' + b / 10 % 10));
	text_raw(t, (char)('0' + b % 10));
}

static void text_escaped(struct text_out *t, char c)
{
	text_char(t, '\\');
	text_char(t, c);
}

static const char hex_upper[] = "0123456789ABCDEF";

static void text_hex(struct text_out *t, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		text_raw(t, hex_upper[p[i] >> 4]);
		text_raw(t, hex_upper[p[i] & 0x0f]);
	}
}

static void text_base64(struct text_out *t, const uint8_t *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		text_raw(t, b64[v >> 18]);
		text_raw(t, b64[v >> 12 & 63]);
		text_raw(t, b64[v >> 6 & 63]);
		text_raw(t, b64[v & 63]);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		text_raw(t, b64[v >> 18]);
		text_raw(t, b64[v >> 12 & 63]);
		text_raw_mem(t, "==", 2);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		text_raw(t, b64[v >> 18]);
		text_raw(t, b64[v >> 12 & 63]);
		text_raw(t, b64[v >> 6 & 63]);
		text_raw(t, '=');
	}
}

/* RFC 4648 base32hex without padding, lowercase (RFC 5155 next hashed owner). */
static void text_base32hex(struct text_out *t, const uint8_t *p, size_t n)
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			text_raw(t, b32[acc >> bits & 31]);
		}
	}
	if (bits)
		text_raw(t, b32[acc << (5 - bits) & 31]);
}

/*
 * 0 plain, 1 backslash + byte, 2 \DDD. RFC 1035 needs only . \ " ( ) ; @ $
 * escaped; like kdig we escape every punctuation character but - _ * / (and
 * '#' as \035), because Knot's zone parser refuses names with, say, a bare
 * '%' or '|', and an escaped one reads back the same everywhere.
 */
static uint8_t label_class(uint8_t b)
{
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
	    b == '-' || b == '_' || b == '*' || b == '/')
		return 0;
	if (b < 0x21 || b > 0x7e || b == '#')
		return 2;
	return 1;
}

static void text_label_bytes(struct text_out *t, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t run = i;

		/* Copy the common case, a run of letters and digits, in one go. */
		while (run < n && label_class(p[run]) == 0)
			run++;
		if (run > i) {
			text_raw_mem(t, (const char *)p + i, run - i);
			i = run - 1;
			continue;
		}
		switch (label_class(p[i])) {
		case 1:
			text_escaped(t, (char)p[i]);
			break;
		default:
			text_ddd(t, p[i]);
		}
	}
}

int text_name(struct text_out *t, const uint8_t *name, size_t len)
{
	size_t pos = 0;

	if (len == 0 || len > 255)
		return -DNSIFT_EFORMAT;
	if (name[0] == 0) {
		if (len != 1)
			return -DNSIFT_EFORMAT;
		text_raw(t, '.');
		return 0;
	}
	while (pos < len) {
		uint8_t l = name[pos++];
		if (l == 0)
			return pos == len ? 0 : -DNSIFT_EFORMAT;
		/* > 63 also rejects compression pointers, which canonical names never hold. */
		if (l > 63 || l >= len - pos)
			return -DNSIFT_EFORMAT;
		text_label_bytes(t, name + pos, l);
		text_raw(t, '.');
		pos += l;
	}
	return -DNSIFT_EFORMAT;
}

/* Bytes of a character-string (or CAA/URI value) between quotes. */
static void text_quoted_bytes(struct text_out *t, const uint8_t *p, size_t n)
{
	text_char(t, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (b < 0x20 || b > 0x7e)
			text_ddd(t, b);
		else if (b == '"' || b == '\\')
			text_escaped(t, (char)b);
		else
			text_raw(t, (char)b);
	}
	text_char(t, '"');
}

static void text_type(struct text_out *t, uint16_t type)
{
	const char *name = rrtype_name(type);

	if (name) {
		text_str(t, name);
	} else {
		text_raw_mem(t, "TYPE", 4);
		text_u64(t, type);
	}
}

/* ---- field readers: each consumes from c and writes; errors stick in c ---- */

static void rd_u8(struct text_out *t, struct wire_ctx *c)
{
	text_u64(t, wire_ctx_read_u8(c));
}

static void rd_u16(struct text_out *t, struct wire_ctx *c)
{
	text_u64(t, wire_ctx_read_u16(c));
}

static void rd_u32(struct text_out *t, struct wire_ctx *c)
{
	text_u64(t, wire_ctx_read_u32(c));
}

static void rd_name(struct text_out *t, struct wire_ctx *c)
{
	const uint8_t *start = wire_ctx_ptr(c);
	size_t n = 0;
	uint8_t l;

	do {
		if (!wire_ctx_can_read(c, 1))
			return;
		l = wire_ctx_read_u8(c);
		wire_ctx_skip(c, l);
		n += 1u + l;
		if (wire_ctx_error(c) || n > 255) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
	} while (l);
	if (text_name(t, start, n))
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
}

static void rd_charstr(struct text_out *t, struct wire_ctx *c)
{
	uint8_t n = wire_ctx_read_u8(c);
	const uint8_t *p = wire_ctx_ptr(c);

	if (!wire_ctx_can_read(c, n))
		return;
	wire_ctx_skip(c, n);
	text_quoted_bytes(t, p, n);
}

/* One or more character-strings to the end (TXT, SPF, AVC, RESINFO, NINFO). */
static void rd_charstrs(struct text_out *t, struct wire_ctx *c)
{
	rd_charstr(t, c);
	while (wire_ctx_available(c)) {
		text_raw(t, ' ');
		rd_charstr(t, c);
	}
}

static void text_ipv4(struct text_out *t, const uint8_t *p)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			text_raw(t, '.');
		text_u64(t, p[i]);
	}
}

/*
 * RFC 5952 text of an IPv6 address, character for character what glibc's
 * inet_ntop (and so kdig) prints, including its dotted tail for ::a.b.c.d and
 * ::ffff:a.b.c.d; hand-rolled because inet_ntop was half the cost of an AAAA
 * record. The test compares the two over random and edge-case addresses.
 */
static void text_ipv6(struct text_out *t, const uint8_t *p)
{
	static const char hex_lower[] = "0123456789abcdef";
	uint16_t w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = wire_get_u16(p + 2 * i);
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				text_raw(t, ':');
			continue;
		}
		if (i)
			text_raw(t, ':');
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			text_ipv4(t, p + 12);
			return;
		}
		for (int shift = 12, lead = 1; shift >= 0; shift -= 4) {
			unsigned nib = w[i] >> shift & 0xf;
			if (lead && nib == 0 && shift)
				continue;
			lead = 0;
			text_raw(t, hex_lower[nib]);
		}
	}
	if (best >= 0 && best + best_len == 8)
		text_raw(t, ':');
}

static void rd_a(struct text_out *t, struct wire_ctx *c)
{
	if (!wire_ctx_can_read(c, 4))
		return;
	text_ipv4(t, wire_ctx_ptr(c));
	wire_ctx_skip(c, 4);
}

static void rd_aaaa(struct text_out *t, struct wire_ctx *c)
{
	if (!wire_ctx_can_read(c, 16))
		return;
	text_ipv6(t, wire_ctx_ptr(c));
	wire_ctx_skip(c, 16);
}

/* The rest of the rdata as base64; at least one octet (an empty field has no presentation). */
static void rd_base64_rest(struct text_out *t, struct wire_ctx *c)
{
	size_t n = wire_ctx_available(c);

	if (n == 0) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	text_base64(t, wire_ctx_ptr(c), n);
	wire_ctx_skip(c, n);
}

static void rd_hex_rest(struct text_out *t, struct wire_ctx *c)
{
	size_t n = wire_ctx_available(c);

	if (n == 0) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	text_hex(t, wire_ctx_ptr(c), n);
	wire_ctx_skip(c, n);
}

/* RFC 4034 4.1.2 / RFC 5155 / RFC 7477 type bitmap, to the end; each type preceded by a space. */
static void rd_bitmap(struct text_out *t, struct wire_ctx *c)
{
	int last = -1;

	while (wire_ctx_available(c)) {
		uint8_t window = wire_ctx_read_u8(c);
		uint8_t n = wire_ctx_read_u8(c);
		const uint8_t *bits = wire_ctx_ptr(c);

		/* RFC 4034 4.1.2: no empty blocks nor trailing zero octets: the text is exact. */
		if ((int)window <= last || n == 0 || n > 32 || !wire_ctx_can_read(c, n) ||
		    bits[n - 1] == 0) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
		wire_ctx_skip(c, n);
		for (unsigned i = 0; i < n; i++) {
			for (unsigned b = 0; b < 8; b++) {
				if (bits[i] & (0x80u >> b)) {
					text_raw(t, ' ');
					text_type(t, (uint16_t)(window << 8 | i << 3 | b));
				}
			}
		}
		last = window;
	}
}

/* Unix seconds as YYYYMMDDHHMMSS (RFC 4034 3.2), proleptic Gregorian, UTC. */
static void text_time(struct text_out *t, uint32_t secs)
{
	uint32_t days = secs / 86400, rem = secs % 86400;
	/* Howard Hinnant's civil_from_days, unsigned since days >= 0. */
	uint32_t z = days + 719468;
	uint32_t era = z / 146097;
	uint32_t doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t y = yoe + era * 400;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	text_2d(t, y / 100);
	text_2d(t, y % 100);
	text_2d(t, m);
	text_2d(t, d);
	text_2d(t, rem / 3600);
	text_2d(t, rem / 60 % 60);
	text_2d(t, rem % 60);
}

static void rd_time(struct text_out *t, struct wire_ctx *c)
{
	text_time(t, wire_ctx_read_u32(c));
}

/* ---- LOC (RFC 1876) ---- */

static bool loc_size_valid(uint8_t v)
{
	return (v >> 4) <= 9 && (v & 0x0f) <= 9;
}

/* Centimetres as metres with two decimals. */
static void text_cm(struct text_out *t, uint64_t cm)
{
	text_u64(t, cm / 100);
	text_raw(t, '.');
	text_2d(t, (unsigned)(cm % 100));
	text_raw(t, 'm');
}

static void text_loc_size(struct text_out *t, uint8_t v)
{
	uint64_t cm = v >> 4;

	for (unsigned e = v & 0x0f; e; e--)
		cm *= 10;
	text_cm(t, cm);
}

static void text_loc_angle(struct text_out *t, uint32_t raw, char pos, char neg)
{
	uint32_t v = raw >= 0x80000000u ? raw - 0x80000000u : 0x80000000u - raw;

	text_u64(t, v / 3600000);
	v %= 3600000;
	text_raw(t, ' ');
	text_u64(t, v / 60000);
	v %= 60000;
	text_raw(t, ' ');
	text_u64(t, v / 1000);
	text_raw(t, '.');
	text_raw(t, (char)('0' + v % 1000 / 100));
	text_2d(t, v % 100);
	text_raw(t, ' ');
	text_raw(t, raw >= 0x80000000u ? pos : neg);
}

static void rd_loc(struct text_out *t, struct wire_ctx *c)
{
	uint8_t version = wire_ctx_read_u8(c);
	uint8_t size = wire_ctx_read_u8(c);
	uint8_t hp = wire_ctx_read_u8(c);
	uint8_t vp = wire_ctx_read_u8(c);
	uint32_t lat = wire_ctx_read_u32(c);
	uint32_t lon = wire_ctx_read_u32(c);
	uint32_t alt = wire_ctx_read_u32(c);
	const uint32_t equator = 0x80000000u, ms90 = 90u * 3600000u, ms180 = 180u * 3600000u;
	const uint32_t alt_ref = 10000000u; /* cm: altitudes count from 100 km below WGS 84 */

	/* Only version 0 is defined; out-of-range angles have no presentation. */
	if (version != 0 || !loc_size_valid(size) || !loc_size_valid(hp) ||
	    !loc_size_valid(vp) || lat < equator - ms90 || lat > equator + ms90 ||
	    lon < equator - ms180 || lon > equator + ms180) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	text_loc_angle(t, lat, 'N', 'S');
	text_raw(t, ' ');
	text_loc_angle(t, lon, 'E', 'W');
	text_raw(t, ' ');
	if (alt < alt_ref) {
		text_raw(t, '-');
		text_cm(t, alt_ref - alt);
	} else {
		text_cm(t, alt - alt_ref);
	}
	text_raw(t, ' ');
	text_loc_size(t, size);
	text_raw(t, ' ');
	text_loc_size(t, hp);
	text_raw(t, ' ');
	text_loc_size(t, vp);
}

/* ---- SVCB / HTTPS (RFC 9460, RFC 9461 dohpath, RFC 9540 ohttp) ---- */

enum { SVC_MANDATORY, SVC_ALPN, SVC_NO_DEFAULT_ALPN, SVC_PORT, SVC_IPV4HINT, SVC_ECH,
	SVC_IPV6HINT, SVC_DOHPATH, SVC_OHTTP, SVC_KNOWN };

static const char *const svc_key_names[SVC_KNOWN] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
	"dohpath", "ohttp",
};

static void text_svc_key(struct text_out *t, uint16_t key)
{
	if (key < SVC_KNOWN) {
		text_str(t, svc_key_names[key]);
	} else {
		text_raw_mem(t, "key", 3);
		text_u64(t, key);
	}
}

/*
 * An alpn-id in an unquoted value-list: the comma and backslash get the
 * value-list escape, which the char-string escaping then doubles (RFC 9460
 * appendix A.1), characters special to the master file get one backslash.
 */
static void text_alpn_id(struct text_out *t, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (b == ',') {
			text_char(t, '\\');
			text_char(t, '\\');
			text_char(t, ',');
		} else if (b == '\\') {
			for (int k = 0; k < 4; k++)
				text_char(t, '\\');
		} else if (b < 0x21 || b > 0x7e) {
			text_ddd(t, b);
		} else if (b == '"' || b == ';' || b == '(' || b == ')') {
			text_escaped(t, (char)b);
		} else {
			text_raw(t, (char)b);
		}
	}
}

/* One SvcParam value of n octets at p; false when it is not valid for its key. */
static bool text_svc_value(struct text_out *t, uint16_t key, const uint8_t *p, uint16_t n)
{
	switch (key) {
	case SVC_MANDATORY:
		/* RFC 9460 8: sorted, no duplicates, never "mandatory" itself. */
		if (n == 0 || n % 2 || wire_get_u16(p) == SVC_MANDATORY)
			return false;
		text_raw(t, '=');
		for (unsigned i = 0; i < n; i += 2) {
			if (i && wire_get_u16(p + i) <= wire_get_u16(p + i - 2))
				return false;
			if (i)
				text_raw(t, ',');
			text_svc_key(t, wire_get_u16(p + i));
		}
		return true;
	case SVC_ALPN:
		if (n == 0)
			return false;
		text_raw(t, '=');
		for (unsigned i = 0; i < n;) {
			uint8_t l = p[i++];
			if (l == 0 || l > n - i)
				return false;
			if (i > 1)
				text_raw(t, ',');
			text_alpn_id(t, p + i, l);
			i += l;
		}
		return true;
	case SVC_NO_DEFAULT_ALPN:
	case SVC_OHTTP:
		return n == 0;
	case SVC_PORT:
		if (n != 2)
			return false;
		text_raw(t, '=');
		text_u64(t, wire_get_u16(p));
		return true;
	case SVC_IPV4HINT:
		if (n == 0 || n % 4)
			return false;
		text_raw(t, '=');
		for (unsigned i = 0; i < n; i += 4) {
			if (i)
				text_raw(t, ',');
			text_ipv4(t, p + i);
		}
		return true;
	case SVC_ECH:
		if (n == 0)
			return false;
		text_raw(t, '=');
		text_base64(t, p, n);
		return true;
	case SVC_IPV6HINT:
		if (n == 0 || n % 16)
			return false;
		text_raw(t, '=');
		for (unsigned i = 0; i < n; i += 16) {
			if (i)
				text_raw(t, ',');
			text_ipv6(t, p + i);
		}
		return true;
	default:
		/* dohpath and unknown keys: an opaque value as a quoted char-string. */
		if (n == 0 && key != SVC_DOHPATH)
			return true;
		text_raw(t, '=');
		text_quoted_bytes(t, p, n);
		return true;
	}
}

/*
 * Every key listed in mandatory must be present (RFC 9460 8). Both lists are
 * strictly increasing by now, so one merge pass checks it in linear time.
 */
static bool svc_mandatory_present(const uint8_t *params, size_t len)
{
	const uint8_t *mand = NULL;
	size_t mand_len = 0, pos = 0, m = 0;

	if (len >= 4 && wire_get_u16(params) == SVC_MANDATORY) {
		mand = params + 4;
		mand_len = wire_get_u16(params + 2);
		/* Malformed either way; refuse before reading past the value. */
		if (mand_len > len - 4 || mand_len % 2)
			return false;
	}
	while (m < mand_len && pos + 4 <= len) {
		uint16_t key = wire_get_u16(params + pos);
		if (key == wire_get_u16(mand + m))
			m += 2;
		else if (key > wire_get_u16(mand + m))
			return false;
		pos += 4u + wire_get_u16(params + pos + 2);
	}
	return m >= mand_len;
}

static void rd_svcb(struct text_out *t, struct wire_ctx *c)
{
	const uint8_t *params;
	int last = -1;

	rd_u16(t, c);
	text_raw(t, ' ');
	rd_name(t, c);
	params = wire_ctx_ptr(c);
	if (!wire_ctx_error(c) && !svc_mandatory_present(params, wire_ctx_available(c))) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	while (wire_ctx_available(c)) {
		uint16_t key = wire_ctx_read_u16(c);
		uint16_t n = wire_ctx_read_u16(c);
		const uint8_t *p = wire_ctx_ptr(c);

		/* Keys must be strictly increasing on the wire (RFC 9460 2.2). */
		if ((int)key <= last || !wire_ctx_can_read(c, n)) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
		wire_ctx_skip(c, n);
		text_raw(t, ' ');
		text_svc_key(t, key);
		if (!text_svc_value(t, key, p, n)) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
		last = key;
	}
}

/* ---- the other multi-field types ---- */

static void rd_soa(struct text_out *t, struct wire_ctx *c)
{
	rd_name(t, c);
	text_raw(t, ' ');
	rd_name(t, c);
	for (int i = 0; i < 5; i++) {
		text_raw(t, ' ');
		rd_u32(t, c);
	}
}

static void rd_rrsig(struct text_out *t, struct wire_ctx *c)
{
	text_type(t, wire_ctx_read_u16(c));
	text_raw(t, ' ');
	rd_u8(t, c);		/* algorithm */
	text_raw(t, ' ');
	rd_u8(t, c);		/* labels */
	text_raw(t, ' ');
	rd_u32(t, c);		/* original TTL */
	text_raw(t, ' ');
	rd_time(t, c);		/* expiration */
	text_raw(t, ' ');
	rd_time(t, c);		/* inception */
	text_raw(t, ' ');
	rd_u16(t, c);		/* key tag */
	text_raw(t, ' ');
	rd_name(t, c);
	text_raw(t, ' ');
	rd_base64_rest(t, c);
}

/* DNSKEY flags protocol algorithm, DS key-tag algorithm digest-type: then a space. */
static void rd_u16_u8_u8(struct text_out *t, struct wire_ctx *c)
{
	rd_u16(t, c);
	text_raw(t, ' ');
	rd_u8(t, c);
	text_raw(t, ' ');
	rd_u8(t, c);
	text_raw(t, ' ');
}

static void rd_salt(struct text_out *t, struct wire_ctx *c)
{
	uint8_t n = wire_ctx_read_u8(c);

	if (!wire_ctx_can_read(c, n))
		return;
	if (n == 0)
		text_raw(t, '-');
	else
		text_hex(t, wire_ctx_ptr(c), n);
	wire_ctx_skip(c, n);
}

static void rd_nsec3param(struct text_out *t, struct wire_ctx *c)
{
	rd_u8(t, c);		/* hash algorithm */
	text_raw(t, ' ');
	rd_u8(t, c);		/* flags */
	text_raw(t, ' ');
	rd_u16(t, c);		/* iterations */
	text_raw(t, ' ');
	rd_salt(t, c);
}

static void rd_nsec3(struct text_out *t, struct wire_ctx *c)
{
	uint8_t n;

	rd_nsec3param(t, c);
	text_raw(t, ' ');
	n = wire_ctx_read_u8(c);
	if (n == 0 || !wire_ctx_can_read(c, n)) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	text_base32hex(t, wire_ctx_ptr(c), n);
	wire_ctx_skip(c, n);
	rd_bitmap(t, c);
}

static void rd_naptr(struct text_out *t, struct wire_ctx *c)
{
	rd_u16(t, c);
	text_raw(t, ' ');
	rd_u16(t, c);
	for (int i = 0; i < 3; i++) {
		text_raw(t, ' ');
		rd_charstr(t, c);
	}
	text_raw(t, ' ');
	rd_name(t, c);
}

static void rd_caa(struct text_out *t, struct wire_ctx *c)
{
	uint8_t n;
	const uint8_t *tag;

	rd_u8(t, c);
	text_raw(t, ' ');
	n = wire_ctx_read_u8(c);
	tag = wire_ctx_ptr(c);
	if (n == 0 || !wire_ctx_can_read(c, n)) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	/* RFC 8659 4.1: the tag is letters and digits; anything else has no presentation. */
	for (unsigned i = 0; i < n; i++) {
		uint8_t b = tag[i];
		if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
		text_raw(t, (char)b);
	}
	wire_ctx_skip(c, n);
	text_raw(t, ' ');
	text_quoted_bytes(t, wire_ctx_ptr(c), wire_ctx_available(c));
	wire_ctx_skip(c, wire_ctx_available(c));
}

static void rd_uri(struct text_out *t, struct wire_ctx *c)
{
	rd_u16(t, c);
	text_raw(t, ' ');
	rd_u16(t, c);
	text_raw(t, ' ');
	/* RFC 7553: the target is the rest of the rdata, not a length-prefixed string. */
	if (wire_ctx_available(c) == 0) {
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	text_quoted_bytes(t, wire_ctx_ptr(c), wire_ctx_available(c));
	wire_ctx_skip(c, wire_ctx_available(c));
}

static void rd_ipseckey(struct text_out *t, struct wire_ctx *c)
{
	uint8_t gw_type;

	rd_u8(t, c);		/* precedence */
	text_raw(t, ' ');
	gw_type = wire_ctx_read_u8(c);
	text_u64(t, gw_type);
	text_raw(t, ' ');
	rd_u8(t, c);		/* algorithm */
	text_raw(t, ' ');
	switch (gw_type) {
	case 0:
		text_raw(t, '.');
		break;
	case 1:
		rd_a(t, c);
		break;
	case 2:
		rd_aaaa(t, c);
		break;
	case 3:
		rd_name(t, c);
		break;
	default:
		wire_ctx_set_error(c, -DNSIFT_EFORMAT);
		return;
	}
	if (wire_ctx_available(c)) {
		text_raw(t, ' ');
		rd_base64_rest(t, c);
	}
}

/* RFC 3123 address prefix list: [!]afi:address/prefix ... */
static void rd_apl(struct text_out *t, struct wire_ctx *c)
{
	bool first = true;

	while (wire_ctx_available(c)) {
		uint16_t afi = wire_ctx_read_u16(c);
		uint8_t prefix = wire_ctx_read_u8(c);
		uint8_t nlen = wire_ctx_read_u8(c);
		uint8_t addr[16] = { 0 };
		unsigned alen = afi == 1 ? 4 : 16;

		if ((afi != 1 && afi != 2) || prefix > alen * 8 || (nlen & 0x7f) > alen ||
		    !wire_ctx_can_read(c, nlen & 0x7f)) {
			wire_ctx_set_error(c, -DNSIFT_EFORMAT);
			return;
		}
		wire_ctx_read(c, addr, nlen & 0x7f);
		if (!first)
			text_raw(t, ' ');
		first = false;
		if (nlen & 0x80)
			text_raw(t, '!');
		text_u64(t, afi);
		text_raw(t, ':');
		if (afi == 1)
			text_ipv4(t, addr);
		else
			text_ipv6(t, addr);
		text_raw(t, '/');
		text_u64(t, prefix);
	}
}

static void rd_eui(struct text_out *t, struct wire_ctx *c, unsigned n)
{
	const uint8_t *p = wire_ctx_ptr(c);

	if (!wire_ctx_can_read(c, n))
		return;
	wire_ctx_skip(c, n);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			text_raw(t, '-');
		text_hex(t, p + i, 1);
	}
}

/* RFC 6742 NID / L64 locator: four groups of four hex digits. */
static void rd_locator64(struct text_out *t, struct wire_ctx *c)
{
	const uint8_t *p = wire_ctx_ptr(c);

	if (!wire_ctx_can_read(c, 8))
		return;
	wire_ctx_skip(c, 8);
	for (unsigned i = 0; i < 8; i += 2) {
		if (i)
			text_raw(t, ':');
		text_hex(t, p + i, 2);
	}
}

/* Render rdata as its type into t; 0, or negative when it does not parse as that type. */
static int text_rdata_typed(struct text_out *t, uint16_t rrtype, struct wire_ctx *c)
{
	switch (rrtype) {
	case RR_A:
		rd_a(t, c);
		break;
	case RR_AAAA:
		rd_aaaa(t, c);
		break;
	case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_MB: case RR_MG:
	case RR_MR: case RR_PTR: case RR_DNAME: case RR_NSAP_PTR:
		rd_name(t, c);
		break;
	case RR_MX: case RR_AFSDB: case RR_RT: case RR_KX: case RR_LP:
		rd_u16(t, c);
		text_raw(t, ' ');
		rd_name(t, c);
		break;
	case RR_MINFO: case RR_RP:
		rd_name(t, c);
		text_raw(t, ' ');
		rd_name(t, c);
		break;
	case RR_PX:
		rd_u16(t, c);
		text_raw(t, ' ');
		rd_name(t, c);
		text_raw(t, ' ');
		rd_name(t, c);
		break;
	case RR_SRV:
		for (int i = 0; i < 3; i++) {
			rd_u16(t, c);
			text_raw(t, ' ');
		}
		rd_name(t, c);
		break;
	case RR_SOA:
		rd_soa(t, c);
		break;
	case RR_TXT: case RR_SPF: case RR_AVC: case RR_RESINFO: case RR_NINFO:
		rd_charstrs(t, c);
		break;
	case RR_HINFO:
		rd_charstr(t, c);
		text_raw(t, ' ');
		rd_charstr(t, c);
		break;
	case RR_X25:
		rd_charstr(t, c);
		break;
	case RR_ISDN:
		rd_charstr(t, c);
		if (wire_ctx_available(c)) {
			text_raw(t, ' ');
			rd_charstr(t, c);
		}
		break;
	case RR_GPOS:
		rd_charstr(t, c);
		text_raw(t, ' ');
		rd_charstr(t, c);
		text_raw(t, ' ');
		rd_charstr(t, c);
		break;
	case RR_NAPTR:
		rd_naptr(t, c);
		break;
	case RR_CAA:
		rd_caa(t, c);
		break;
	case RR_URI:
		rd_uri(t, c);
		break;
	case RR_DS: case RR_CDS: case RR_TA: case RR_DLV:
		rd_u16_u8_u8(t, c);
		rd_hex_rest(t, c);
		break;
	case RR_DNSKEY: case RR_CDNSKEY: case RR_KEY:
		rd_u16_u8_u8(t, c);
		rd_base64_rest(t, c);
		break;
	case RR_CERT:
		rd_u16(t, c);		/* certificate type */
		text_raw(t, ' ');
		rd_u16(t, c);		/* key tag */
		text_raw(t, ' ');
		rd_u8(t, c);		/* algorithm */
		text_raw(t, ' ');
		rd_base64_rest(t, c);
		break;
	case RR_RRSIG: case RR_SIG:
		rd_rrsig(t, c);
		break;
	case RR_NSEC:
		rd_name(t, c);
		rd_bitmap(t, c);
		break;
	case RR_NSEC3:
		rd_nsec3(t, c);
		break;
	case RR_NSEC3PARAM:
		rd_nsec3param(t, c);
		break;
	case RR_CSYNC:
		rd_u32(t, c);
		text_raw(t, ' ');
		rd_u16(t, c);
		rd_bitmap(t, c);
		break;
	case RR_SSHFP:
		rd_u8(t, c);
		text_raw(t, ' ');
		rd_u8(t, c);
		text_raw(t, ' ');
		rd_hex_rest(t, c);
		break;
	case RR_TLSA: case RR_SMIMEA:
		for (int i = 0; i < 3; i++) {
			rd_u8(t, c);
			text_raw(t, ' ');
		}
		rd_hex_rest(t, c);
		break;
	case RR_ZONEMD:
		rd_u32(t, c);
		text_raw(t, ' ');
		rd_u8(t, c);
		text_raw(t, ' ');
		rd_u8(t, c);
		text_raw(t, ' ');
		rd_hex_rest(t, c);
		break;
	case RR_SVCB: case RR_HTTPS:
		rd_svcb(t, c);
		break;
	case RR_LOC:
		rd_loc(t, c);
		break;
	case RR_DHCID: case RR_OPENPGPKEY:
		rd_base64_rest(t, c);
		break;
	case RR_IPSECKEY:
		rd_ipseckey(t, c);
		break;
	case RR_APL:
		rd_apl(t, c);
		break;
	case RR_DSYNC:
		text_type(t, wire_ctx_read_u16(c));
		text_raw(t, ' ');
		rd_u8(t, c);
		text_raw(t, ' ');
		rd_u16(t, c);
		text_raw(t, ' ');
		rd_name(t, c);
		break;
	case RR_EUI48:
		rd_eui(t, c, 6);
		break;
	case RR_EUI64:
		rd_eui(t, c, 8);
		break;
	case RR_NID: case RR_L64:
		rd_u16(t, c);
		text_raw(t, ' ');
		rd_locator64(t, c);
		break;
	case RR_L32:
		rd_u16(t, c);
		text_raw(t, ' ');
		rd_a(t, c);
		break;
	default:
		return -DNSIFT_ENOTFOUND;
	}
	if (wire_ctx_error(c))
		return wire_ctx_error(c);
	/* Octets left over mean the rdata is not this type. */
	return wire_ctx_available(c) ? -DNSIFT_EFORMAT : 0;
}

static void text_rdata_generic(struct text_out *t, const uint8_t *rdata, uint16_t rdlen)
{
	text_char(t, '\\');
	text_raw_mem(t, "# ", 2);
	text_u64(t, rdlen);
	if (rdlen) {
		text_raw(t, ' ');
		text_hex(t, rdata, rdlen);
	}
}

void text_rdata(struct text_out *t, uint16_t rrtype, const uint8_t *rdata, uint16_t rdlen)
{
	struct wire_ctx c = wire_ctx_init(rdata, rdlen, -DNSIFT_EFORMAT);
	size_t mark = t->len;

	if (text_rdata_typed(t, rrtype, &c) == 0)
		return;
	/* Not this type after all (or a type we have no form for): start over as RFC 3597. */
	t->len = mark;
	text_rdata_generic(t, rdata, rdlen);
}

int rdata_to_text(uint16_t rrtype, const uint8_t *rdata, uint16_t rdlen, char *out,
		  size_t out_size)
{
	struct text_out t;

	text_out_init(&t, out, out_size, false);
	text_rdata(&t, rrtype, rdata, rdlen);
	return text_out_finish(&t, out_size);
}

int name_to_text(const uint8_t *name, size_t len, char *out, size_t out_size)
{
	struct text_out t;
	int rc;

	text_out_init(&t, out, out_size, false);
	rc = text_name(&t, name, len);
	if (rc) {
		if (out_size)
			out[0] = '\0';
		return rc;
	}
	return text_out_finish(&t, out_size);
}
