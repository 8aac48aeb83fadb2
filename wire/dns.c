/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS message parser: see dns.h. Hot path: no allocation, no memset of the
 * big arrays, one pass over the message.
 */
#include "wire/dns.h"

#include <string.h>

#include "wire/wire_ctx.h"

#define DNS_HEADER_LEN 12
#define DNS_RR_FIXED_LEN 10	/* type, class, ttl, rdlength */

/* Octets a sensor considers ordinary in a label: LDH plus '_' (SRV, DKIM, ...). */
#define LABEL_PLAIN(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || \
			((c) >= 'a' && (c) <= 'z') || (c) == '-' || (c) == '_')

/*
 * One lookup per name octet does both jobs of the copy loop: the low byte is
 * the octet with ASCII A-Z folded, bit 8 is set when the octet is not plain.
 */
#define FOLD(c) ((uint16_t)(((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c)) | \
			    (LABEL_PLAIN(c) ? 0 : 0x100)))
#define FOLD4(c) FOLD(c), FOLD((c) + 1), FOLD((c) + 2), FOLD((c) + 3)
#define FOLD16(c) FOLD4(c), FOLD4((c) + 4), FOLD4((c) + 8), FOLD4((c) + 12)
#define FOLD64(c) FOLD16(c), FOLD16((c) + 16), FOLD16((c) + 32), FOLD16((c) + 48)
static const uint16_t name_fold[256] = {
	FOLD64(0), FOLD64(64), FOLD64(128), FOLD64(192),
};

/*
 * Decompress the name at msg[pos] into dst (at most cap octets), folding
 * ASCII letters to lowercase. The octets of the name itself (up to its end or
 * first pointer) must lie before limit; pointer targets anywhere before the
 * pointer. trunc_err is returned when the name runs into limit. *next gets
 * the offset just past the name as it sits in the message. Returns the name
 * length (1..255) or a negative code.
 */
static int name_unpack(const uint8_t *msg, size_t msg_len, size_t pos, size_t limit,
		       uint8_t *dst, size_t cap, size_t *next, uint32_t *odd_names,
		       bool allow_ptr, int trunc_err)
{
	size_t out = 0;
	size_t cur = pos;
	size_t last_target = 0;
	unsigned hops = 0;
	bool odd = false;

	for (;;) {
		if (cur >= limit)
			return trunc_err;
		uint8_t c = msg[cur];

		if (c == 0) {
			if (out + 1 > cap)
				return -DNSIFT_EDNS_SCRATCH_FULL;
			dst[out++] = 0;
			if (hops == 0)
				*next = cur + 1;
			break;
		}
		if ((c & 0xC0) == 0xC0) {
			if (!allow_ptr)
				return -DNSIFT_EDNS_RDATA_FORMAT;
			if (cur + 1 >= limit)
				return trunc_err;
			size_t target = (size_t)(c & 0x3F) << 8 | msg[cur + 1];

			/*
			 * The first pointer must point before itself; each later
			 * one before the previous target. Targets thus strictly
			 * decrease, so no chain can loop.
			 */
			if (hops == 0) {
				if (target >= cur)
					return -DNSIFT_EDNS_NAME_PTR_FORWARD;
				*next = cur + 2;
			} else if (target >= last_target) {
				return -DNSIFT_EDNS_NAME_PTR_LOOP;
			}
			if (++hops > DNS_NAME_MAX_PTRS)
				return -DNSIFT_EDNS_NAME_PTR_LIMIT;
			last_target = target;
			cur = target;
			/* Past a jump the name may sit anywhere earlier in the message. */
			limit = msg_len;
			continue;
		}
		if (c & 0xC0)
			return -DNSIFT_EDNS_NAME_LABEL_TYPE;
		if (c > limit - cur - 1)
			return trunc_err;
		/* Room for this label and at least the root label after it. */
		if (out + 1 + c + 1 > DNS_NAME_MAX)
			return -DNSIFT_EDNS_NAME_TOO_LONG;
		if (out + 1 + c + 1 > cap)
			return -DNSIFT_EDNS_SCRATCH_FULL;
		const uint8_t *src = msg + cur + 1;
		uint8_t *d = dst + out + 1;
		unsigned flags = 0;

		dst[out] = c;
		for (unsigned i = 0; i < c; i++) {
			uint16_t v = name_fold[src[i]];

			flags |= v;
			d[i] = (uint8_t)v;
		}
		/* A wildcard label "*" is ordinary too. */
		odd |= (flags & 0x100) && !(c == 1 && src[0] == '*');
		out += 1u + c;
		cur += 1u + c;
	}
	*odd_names += odd;
	return (int)out;
}

/* Canonical rdata under construction: a cursor over the wire rdata and an output. */
struct rdata_build {
	const uint8_t *msg;
	size_t msg_len;
	size_t pos;		/* next wire octet of the rdata */
	size_t end;		/* one past the rdata */
	uint8_t *out;
	size_t out_len;
	size_t out_cap;
	uint32_t *odd_names;
	int err;
};

static inline size_t rd_left(const struct rdata_build *b)
{
	return b->end - b->pos;
}

/* Copy n wire octets; a field that does not fit the rdata is a format error. */
static void rd_copy(struct rdata_build *b, size_t n)
{
	if (b->err)
		return;
	if (n > rd_left(b)) {
		b->err = -DNSIFT_EDNS_RDATA_FORMAT;
		return;
	}
	if (n > b->out_cap - b->out_len) {
		b->err = -DNSIFT_EDNS_SCRATCH_FULL;
		return;
	}
	memcpy(b->out + b->out_len, b->msg + b->pos, n);
	b->out_len += n;
	b->pos += n;
}

static void rd_rest(struct rdata_build *b)
{
	if (!b->err)
		rd_copy(b, rd_left(b));
}

/* One <character-string>: a length octet and that many octets. */
static void rd_string(struct rdata_build *b)
{
	if (b->err)
		return;
	if (rd_left(b) < 1) {
		b->err = -DNSIFT_EDNS_RDATA_FORMAT;
		return;
	}
	rd_copy(b, 1u + b->msg[b->pos]);
}

static uint8_t rd_peek_u8(const struct rdata_build *b, size_t off)
{
	return b->msg[b->pos + off];
}

static void rd_name(struct rdata_build *b, bool allow_ptr)
{
	if (b->err)
		return;
	size_t next = 0;
	size_t cap = b->out_cap - b->out_len;
	int n = name_unpack(b->msg, b->msg_len, b->pos, b->end, b->out + b->out_len,
			    cap < DNS_NAME_MAX ? cap : DNS_NAME_MAX, &next, b->odd_names,
			    allow_ptr, -DNSIFT_EDNS_RDATA_FORMAT);
	if (n < 0) {
		b->err = n;
		return;
	}
	b->out_len += (size_t)n;
	b->pos = next;
}

/* RFC 4034 4.1.2 type bitmap: windows ascending, each 1..32 octets long. */
static void rd_type_bitmap(struct rdata_build *b)
{
	int prev_window = -1;

	while (!b->err && rd_left(b) > 0) {
		if (rd_left(b) < 2) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		uint8_t window = rd_peek_u8(b, 0);
		uint8_t blen = rd_peek_u8(b, 1);

		if ((int)window <= prev_window || blen == 0 || blen > 32) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		prev_window = window;
		rd_copy(b, 2u + blen);
	}
}

/* RFC 9460 2.2: SvcParams are key, length, value, keys strictly increasing. */
static void rd_svc_params(struct rdata_build *b)
{
	long prev_key = -1;

	while (!b->err && rd_left(b) > 0) {
		if (rd_left(b) < 4) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		uint16_t key = wire_get_u16(b->msg + b->pos);
		uint16_t vlen = wire_get_u16(b->msg + b->pos + 2);

		if ((long)key <= prev_key) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		prev_key = key;
		rd_copy(b, 4u + vlen);
	}
}

/* RFC 3123 APL items: family, prefix, N|AFDLENGTH, address part. */
static void rd_apl_items(struct rdata_build *b)
{
	while (!b->err && rd_left(b) > 0) {
		if (rd_left(b) < 4) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		uint16_t family = wire_get_u16(b->msg + b->pos);
		uint8_t prefix = rd_peek_u8(b, 2);
		uint8_t afdlen = rd_peek_u8(b, 3) & 0x7F;
		unsigned max = family == 1 ? 4 : family == 2 ? 16 : 127;

		if (afdlen > max || (family == 1 && prefix > 32) ||
		    (family == 2 && prefix > 128)) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			return;
		}
		rd_copy(b, 4u + afdlen);
	}
}

/* Lower and upper bound of RDLENGTH for a type; UINT16_MAX as max means none. */
struct rdlen_rule {
	uint16_t min;
	uint16_t max;
};

static struct rdlen_rule rdlen_rule(uint16_t rrtype)
{
	switch (rrtype) {
	case DNS_TYPE_A:
		return (struct rdlen_rule){ 4, 4 };
	case DNS_TYPE_L32: case DNS_TYPE_EUI48:
		return (struct rdlen_rule){ 6, 6 };
	case DNS_TYPE_AAAA:
		return (struct rdlen_rule){ 16, 16 };
	case DNS_TYPE_NID:
	case DNS_TYPE_L64:
		return (struct rdlen_rule){ 10, 10 };
	case DNS_TYPE_EUI64:
		return (struct rdlen_rule){ 8, 8 };
	case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF: case DNS_TYPE_CNAME:
	case DNS_TYPE_MB: case DNS_TYPE_MG: case DNS_TYPE_MR: case DNS_TYPE_PTR:
	case DNS_TYPE_DNAME: case DNS_TYPE_NXT: case DNS_TYPE_NSEC:
		return (struct rdlen_rule){ 1, UINT16_MAX };
	case DNS_TYPE_MINFO: case DNS_TYPE_RP: case DNS_TYPE_TALINK:
		return (struct rdlen_rule){ 2, UINT16_MAX };
	case DNS_TYPE_SOA:
		return (struct rdlen_rule){ 22, UINT16_MAX };
	case DNS_TYPE_MX: case DNS_TYPE_AFSDB: case DNS_TYPE_RT: case DNS_TYPE_KX:
	case DNS_TYPE_LP: case DNS_TYPE_SVCB: case DNS_TYPE_HTTPS:
		return (struct rdlen_rule){ 3, UINT16_MAX };
	case DNS_TYPE_PX:
		return (struct rdlen_rule){ 4, UINT16_MAX };
	case DNS_TYPE_SRV:
		return (struct rdlen_rule){ 7, UINT16_MAX };
	case DNS_TYPE_NAPTR:
		return (struct rdlen_rule){ 8, UINT16_MAX };
	case DNS_TYPE_SIG: case DNS_TYPE_RRSIG:
		return (struct rdlen_rule){ 19, UINT16_MAX };
	case DNS_TYPE_HINFO:
		return (struct rdlen_rule){ 2, UINT16_MAX };
	case DNS_TYPE_GPOS:
		return (struct rdlen_rule){ 3, UINT16_MAX };
	case DNS_TYPE_TXT: case DNS_TYPE_SPF: case DNS_TYPE_X25: case DNS_TYPE_ISDN:
	case DNS_TYPE_LOC: case DNS_TYPE_A6: case DNS_TYPE_DHCID: case DNS_TYPE_OPENPGPKEY:
		return (struct rdlen_rule){ 1, UINT16_MAX };
	case DNS_TYPE_DS: case DNS_TYPE_CDS: case DNS_TYPE_DLV:
	case DNS_TYPE_DNSKEY: case DNS_TYPE_CDNSKEY: case DNS_TYPE_KEY:
	case DNS_TYPE_URI: case DNS_TYPE_HIP:
		return (struct rdlen_rule){ 4, UINT16_MAX };
	case DNS_TYPE_SSHFP:
		return (struct rdlen_rule){ 2, UINT16_MAX };
	case DNS_TYPE_TLSA: case DNS_TYPE_SMIMEA: case DNS_TYPE_CAA: case DNS_TYPE_IPSECKEY:
		return (struct rdlen_rule){ 3, UINT16_MAX };
	case DNS_TYPE_CERT: case DNS_TYPE_WKS: case DNS_TYPE_NSEC3PARAM:
		return (struct rdlen_rule){ 5, UINT16_MAX };
	case DNS_TYPE_CSYNC:
		return (struct rdlen_rule){ 6, UINT16_MAX };
	case DNS_TYPE_NSEC3:
		return (struct rdlen_rule){ 7, UINT16_MAX };
	case DNS_TYPE_ZONEMD:
		/* RFC 8976 2.2.4: the digest is at least 12 octets. */
		return (struct rdlen_rule){ 18, UINT16_MAX };
	default:
		return (struct rdlen_rule){ 0, UINT16_MAX };
	}
}

/* Decode the variable structure of one rdata into its canonical form. */
static void rdata_canonical(struct rdata_build *b, uint16_t rrtype)
{
	switch (rrtype) {
	case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF: case DNS_TYPE_CNAME:
	case DNS_TYPE_MB: case DNS_TYPE_MG: case DNS_TYPE_MR: case DNS_TYPE_PTR:
	case DNS_TYPE_DNAME:
		rd_name(b, true);
		break;
	case DNS_TYPE_SOA:
		rd_name(b, true);
		rd_name(b, true);
		rd_copy(b, 20);
		break;
	case DNS_TYPE_MINFO: case DNS_TYPE_RP:
		rd_name(b, true);
		rd_name(b, true);
		break;
	case DNS_TYPE_TALINK:
		rd_name(b, false);
		rd_name(b, false);
		break;
	case DNS_TYPE_MX: case DNS_TYPE_AFSDB: case DNS_TYPE_RT: case DNS_TYPE_KX:
		rd_copy(b, 2);
		rd_name(b, true);
		break;
	case DNS_TYPE_LP:
		rd_copy(b, 2);
		rd_name(b, false);
		break;
	case DNS_TYPE_PX:
		rd_copy(b, 2);
		rd_name(b, true);
		rd_name(b, true);
		break;
	case DNS_TYPE_SRV:
		rd_copy(b, 6);
		rd_name(b, true);
		break;
	case DNS_TYPE_NAPTR:
		rd_copy(b, 4);
		rd_string(b);
		rd_string(b);
		rd_string(b);
		rd_name(b, true);
		break;
	case DNS_TYPE_TXT: case DNS_TYPE_SPF:
		while (!b->err && rd_left(b) > 0)
			rd_string(b);
		break;
	case DNS_TYPE_HINFO:
		rd_string(b);
		rd_string(b);
		break;
	case DNS_TYPE_GPOS:
		rd_string(b);
		rd_string(b);
		rd_string(b);
		break;
	case DNS_TYPE_X25:
		rd_string(b);
		break;
	case DNS_TYPE_ISDN:
		rd_string(b);
		if (!b->err && rd_left(b) > 0)
			rd_string(b);
		break;
	case DNS_TYPE_LOC:
		/* Only version 0 has a defined layout (RFC 1876 2). */
		if (rd_peek_u8(b, 0) == 0 && rd_left(b) != 16)
			b->err = -DNSIFT_EDNS_RDATA_LENGTH;
		rd_rest(b);
		break;
	case DNS_TYPE_SIG:
		rd_copy(b, 18);
		rd_name(b, true);
		rd_rest(b);
		break;
	case DNS_TYPE_RRSIG:
		rd_copy(b, 18);
		rd_name(b, false);	/* RFC 4034 3.1.7: never compressed */
		rd_rest(b);
		break;
	case DNS_TYPE_NXT:
		rd_name(b, true);
		rd_rest(b);
		break;
	case DNS_TYPE_NSEC:
		rd_name(b, false);
		rd_type_bitmap(b);
		break;
	case DNS_TYPE_CSYNC:
		rd_copy(b, 6);
		rd_type_bitmap(b);
		break;
	case DNS_TYPE_NSEC3:
		rd_copy(b, 4);
		rd_string(b);	/* salt */
		if (!b->err && (rd_left(b) < 1 || rd_peek_u8(b, 0) == 0))
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;	/* hash is 1+ octets */
		rd_string(b);
		rd_type_bitmap(b);
		break;
	case DNS_TYPE_NSEC3PARAM:
		rd_copy(b, 4);
		rd_string(b);
		break;
	case DNS_TYPE_CAA:
		/* RFC 8659 4.1: tag is 1+ letters and digits. */
		rd_copy(b, 1);
		if (!b->err) {
			uint8_t taglen = rd_peek_u8(b, 0);

			if (taglen == 0 || taglen > rd_left(b) - 1) {
				b->err = -DNSIFT_EDNS_RDATA_FORMAT;
				break;
			}
			for (unsigned i = 0; i < taglen; i++) {
				uint8_t ch = rd_peek_u8(b, 1 + i);

				if (!LABEL_PLAIN(ch) || ch == '-' || ch == '_') {
					b->err = -DNSIFT_EDNS_RDATA_FORMAT;
					break;
				}
			}
		}
		rd_rest(b);
		break;
	case DNS_TYPE_SVCB: case DNS_TYPE_HTTPS:
		rd_copy(b, 2);
		rd_name(b, false);
		rd_svc_params(b);
		break;
	case DNS_TYPE_HIP: {
		/* RFC 8005 5: HIT length, algorithm, PK length, HIT, PK, servers. */
		uint8_t hit_len = rd_peek_u8(b, 0);
		uint16_t pk_len = wire_get_u16(b->msg + b->pos + 2);

		rd_copy(b, 4u + hit_len + pk_len);
		while (!b->err && rd_left(b) > 0)
			rd_name(b, false);
		break;
	}
	case DNS_TYPE_IPSECKEY: {
		/* RFC 4025 2: precedence, gateway type, algorithm, gateway, key. */
		uint8_t gw_type = rd_peek_u8(b, 1);

		rd_copy(b, 3);
		if (gw_type == 1)
			rd_copy(b, 4);
		else if (gw_type == 2)
			rd_copy(b, 16);
		else if (gw_type == 3)
			rd_name(b, false);
		else if (gw_type != 0)
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
		rd_rest(b);
		break;
	}
	case DNS_TYPE_A6: {
		/* RFC 2874 3.1: prefix length, address suffix, prefix name if any. */
		uint8_t plen = rd_peek_u8(b, 0);

		if (plen > 128) {
			b->err = -DNSIFT_EDNS_RDATA_FORMAT;
			break;
		}
		rd_copy(b, 1u + (128u - plen + 7u) / 8u);
		if (plen > 0)
			rd_name(b, true);
		break;
	}
	case DNS_TYPE_APL:
		rd_apl_items(b);
		break;
	default:
		/* Fixed-size, opaque-after-a-minimum and unknown types. */
		rd_rest(b);
		break;
	}
	if (!b->err && rd_left(b) != 0)
		b->err = -DNSIFT_EDNS_RDATA_FORMAT;
}

bool dns_type_embeds_name(uint16_t rrtype)
{
	switch (rrtype) {
	case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF: case DNS_TYPE_CNAME:
	case DNS_TYPE_SOA: case DNS_TYPE_MB: case DNS_TYPE_MG: case DNS_TYPE_MR:
	case DNS_TYPE_PTR: case DNS_TYPE_MINFO: case DNS_TYPE_MX: case DNS_TYPE_RP:
	case DNS_TYPE_AFSDB: case DNS_TYPE_RT: case DNS_TYPE_SIG: case DNS_TYPE_PX:
	case DNS_TYPE_NXT: case DNS_TYPE_NAPTR: case DNS_TYPE_KX: case DNS_TYPE_SRV:
	case DNS_TYPE_DNAME: case DNS_TYPE_A6: case DNS_TYPE_RRSIG: case DNS_TYPE_NSEC:
	case DNS_TYPE_SVCB: case DNS_TYPE_HTTPS: case DNS_TYPE_HIP: case DNS_TYPE_IPSECKEY:
	case DNS_TYPE_TALINK: case DNS_TYPE_LP:
		return true;
	default:
		return false;
	}
}

/* Fold the OPT pseudo-RR into the EDNS fields (RFC 6891 6.1.3). */
static void take_edns(struct dns_msg *m, uint16_t rrclass, uint32_t ttl)
{
	m->has_edns = true;
	m->edns_udp_size = rrclass;
	m->edns_ext_rcode = (uint8_t)(ttl >> 24);
	m->edns_version = (uint8_t)(ttl >> 16);
	m->edns_do = (ttl & 0x8000) != 0;
}

/* Data RR store: rdata canonicalised into scratch right after the owner. */
static int store_rr(struct dns_msg *m, const uint8_t *msg, size_t len, size_t rd_pos,
		    uint16_t rdlen_wire, struct dns_rr *rr)
{
	struct rdlen_rule rule = rdlen_rule(rr->rrtype);

	/* RFC 2136 2.4/2.5: class ANY/NONE with empty rdata in UPDATE messages. */
	if (rdlen_wire == 0 && (rr->rrclass == DNS_CLASS_ANY || rr->rrclass == DNS_CLASS_NONE))
		rule.min = 0;
	if (rdlen_wire < rule.min || rdlen_wire > rule.max)
		return -DNSIFT_EDNS_RDATA_LENGTH;

	struct rdata_build b = {
		.msg = msg, .msg_len = len, .pos = rd_pos, .end = rd_pos + rdlen_wire,
		.out = m->scratch + m->scratch_used, .out_len = 0,
		.out_cap = DNS_SCRATCH_SIZE - m->scratch_used, .odd_names = &m->odd_names,
	};
	if (rdlen_wire != 0)
		rdata_canonical(&b, rr->rrtype);
	if (b.err)
		return b.err;
	/* The key stores rdata lengths in 16 bits; expanded names may not fit. */
	if (b.out_len > UINT16_MAX)
		return -DNSIFT_EDNS_RDATA_LENGTH;
	rr->rdata = b.out;
	rr->rdlen = (uint16_t)b.out_len;
	m->scratch_used += b.out_len;
	return 0;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m)
{
	m->rr_count = 0;
	m->scratch_used = 0;
	m->has_question = false;
	m->qname_len = 0;
	m->has_edns = false;
	m->edns_do = false;
	m->edns_version = 0;
	m->edns_ext_rcode = 0;
	m->edns_udp_size = 0;
	m->skipped_opt = m->skipped_tsig = m->skipped_tkey = 0;
	m->odd_names = 0;
	m->trailing = 0;
	m->section_rrs[0] = m->section_rrs[1] = m->section_rrs[2] = m->section_rrs[3] = 0;

	if (len < DNS_HEADER_LEN)
		return -DNSIFT_EDNS_HEADER_TRUNCATED;
	uint16_t flags = wire_get_u16(msg + 2);

	m->id = wire_get_u16(msg);
	m->qr = flags >> 15;
	m->opcode = (flags >> 11) & 0xF;
	m->aa = (flags >> 10) & 1;
	m->tc = (flags >> 9) & 1;
	m->rd = (flags >> 8) & 1;
	m->ra = (flags >> 7) & 1;
	m->ad = (flags >> 5) & 1;
	m->cd = (flags >> 4) & 1;
	m->rcode = flags & 0xF;
	m->qdcount = wire_get_u16(msg + 4);
	m->ancount = wire_get_u16(msg + 6);
	m->nscount = wire_get_u16(msg + 8);
	m->arcount = wire_get_u16(msg + 10);

	size_t pos = DNS_HEADER_LEN;
	int n;

	for (unsigned q = 0; q < m->qdcount; q++) {
		uint8_t other[DNS_NAME_MAX];

		n = name_unpack(msg, len, pos, len, q == 0 ? m->qname : other, DNS_NAME_MAX,
				&pos, &m->odd_names, true, -DNSIFT_EDNS_NAME_TRUNCATED);
		if (n < 0)
			return n;
		if (len - pos < 4)
			return -DNSIFT_EDNS_QUESTION_TRUNCATED;
		if (q == 0) {
			m->has_question = true;
			m->qname_len = (uint8_t)n;
			m->qtype = wire_get_u16(msg + pos);
			m->qclass = wire_get_u16(msg + pos + 2);
		}
		pos += 4;
	}

	/*
	 * Responses repeat one owner through the same pointer (usually 0xC00C):
	 * remember the last stored owner reached through a leading pointer, so
	 * the next identical pointer reuses its bytes. The result depends only on
	 * the target, since the first-hop check is redone here.
	 */
	size_t cache_target = SIZE_MAX;
	const uint8_t *cache_owner = NULL;
	uint8_t cache_len = 0;
	bool cache_odd = false;
	const uint16_t counts[4] = { 0, m->ancount, m->nscount, m->arcount };

	for (unsigned sec = DNS_SECTION_ANSWER; sec <= DNS_SECTION_ADDITIONAL; sec++) {
		for (unsigned i = 0; i < counts[sec]; i++) {
			struct dns_rr rr;
			size_t target = SIZE_MAX;	/* leading pointer's target, if any */
			bool fresh = false;		/* owner just written at scratch_used */
			bool fresh_odd = false;

			if (pos + 1 < len && (msg[pos] & 0xC0) == 0xC0)
				target = (size_t)(msg[pos] & 0x3F) << 8 | msg[pos + 1];
			if (target == cache_target && target < pos) {
				rr.owner = cache_owner;
				rr.owner_len = cache_len;
				m->odd_names += cache_odd;
				pos += 2;
			} else {
				size_t avail = DNS_SCRATCH_SIZE - m->scratch_used;
				uint32_t odd_before = m->odd_names;

				n = name_unpack(msg, len, pos, len, m->scratch + m->scratch_used,
						avail < DNS_NAME_MAX ? avail : DNS_NAME_MAX, &pos,
						&m->odd_names, true, -DNSIFT_EDNS_NAME_TRUNCATED);
				if (n < 0)
					return n;
				rr.owner = m->scratch + m->scratch_used;
				rr.owner_len = (uint8_t)n;
				fresh = true;
				fresh_odd = m->odd_names != odd_before;
			}
			if (len - pos < DNS_RR_FIXED_LEN)
				return -DNSIFT_EDNS_RR_TRUNCATED;
			rr.rrtype = wire_get_u16(msg + pos);
			rr.rrclass = wire_get_u16(msg + pos + 2);
			rr.ttl = wire_get_u32(msg + pos + 4);
			uint16_t rdlen = wire_get_u16(msg + pos + 8);

			pos += DNS_RR_FIXED_LEN;
			if (rdlen > len - pos)
				return -DNSIFT_EDNS_RDATA_TRUNCATED;

			if (rr.rrtype == DNS_TYPE_OPT) {
				if (sec == DNS_SECTION_ADDITIONAL && !m->has_edns)
					take_edns(m, rr.rrclass, rr.ttl);
				m->skipped_opt++;
				pos += rdlen;
				continue;
			}
			if (rr.rrtype == DNS_TYPE_TSIG || rr.rrtype == DNS_TYPE_TKEY) {
				if (rr.rrtype == DNS_TYPE_TSIG)
					m->skipped_tsig++;
				else
					m->skipped_tkey++;
				pos += rdlen;
				continue;
			}
			if (m->rr_count == DNS_MAX_RRS)
				return -DNSIFT_EDNS_TOO_MANY_RRS;
			if (fresh) {
				/* Skipped RRs above leave their owner bytes to be overwritten. */
				m->scratch_used += rr.owner_len;
				if (target != SIZE_MAX) {
					cache_target = target;
					cache_owner = rr.owner;
					cache_len = rr.owner_len;
					cache_odd = fresh_odd;
				}
			}
			n = store_rr(m, msg, len, pos, rdlen, &rr);
			if (n < 0)
				return n;
			pos += rdlen;
			rr.section = (uint8_t)sec;
			m->rr[m->rr_count++] = rr;
			m->section_rrs[sec]++;
		}
	}
	m->trailing = (uint32_t)(len - pos);
	return 0;
}

int dns_name_labels(const uint8_t *name, size_t len)
{
	size_t pos = 0;
	int labels = 0;

	while (pos < len) {
		uint8_t c = name[pos];

		if (c == 0)
			return pos + 1 == len ? labels : -DNSIFT_EFORMAT;
		if (c > 63)
			return -DNSIFT_EFORMAT;
		pos += 1u + c;
		labels++;
	}
	return -DNSIFT_EFORMAT;
}

const uint8_t *dns_name_parent(const uint8_t *name, size_t len, size_t *parent_len)
{
	if (len < 2 || name[0] == 0 || name[0] > 63 || 1u + name[0] >= len)
		return NULL;
	*parent_len = len - 1u - name[0];
	return name + 1 + name[0];
}

bool dns_name_is_subdomain(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen)
{
	size_t pos = 0;

	if (zlen == 0 || zlen > len)
		return false;
	/* Walk label boundaries until the remainder is as long as the zone. */
	while (len - pos > zlen) {
		uint8_t c = name[pos];

		if (c == 0 || c > 63)
			return false;
		pos += 1u + c;
	}
	return len - pos == zlen && memcmp(name + pos, zone, zlen) == 0;
}
