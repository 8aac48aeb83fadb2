/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS message parser for a passive sensor.
 *
 * dns_parse() turns one DNS message into a caller-owned struct dns_msg: header,
 * first question, EDNS fields, and every data RR of the answer, authority and
 * additional sections with its owner name and canonical rdata (wire/rrkey.h:
 * names decompressed and lowercased, everything else as received). The
 * structure is fixed-capacity worker scratch reused for every packet: parsing
 * never allocates and never clears the big arrays, it only resets counters.
 *
 * A whole message is rejected on its first error, so a sensor counts exactly
 * one reason (wire/err.h, DNS_*) per bad message. Odd-but-legal content (a
 * label with octets outside letters, digits, '-' and '_') is kept and counted
 * in dns_msg.odd_names, as Suricata flags rather than rejects.
 *
 * Pointers in struct dns_rr and qname point into the dns_msg itself: they are
 * valid until the next dns_parse() on the same structure, and the structure
 * must not be copied by value while they are in use.
 */
#ifndef DNSIFT_DNS_H
#define DNSIFT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/err.h"

/* Most data RRs (all three sections) one message may carry. */
#define DNS_MAX_RRS 2048
/*
 * Decompressed owners and canonical rdata of one message. Ordinary responses
 * use a few KiB (a repeated owner is stored once); a 64 KiB message whose
 * every name is a short pointer into a long name could expand to over 1 MiB,
 * and gets DNS_SCRATCH_FULL instead.
 */
#define DNS_SCRATCH_SIZE (384u * 1024u)
/* Longest uncompressed wire name, root label included (RFC 1035 3.1). */
#define DNS_NAME_MAX 255
/*
 * Compression pointers followed for one name. Legitimate compressors add at
 * least one label per hop, and a name has at most 127 labels.
 */
#define DNS_NAME_MAX_PTRS 128

enum dns_section {
	DNS_SECTION_QUESTION = 0,
	DNS_SECTION_ANSWER = 1,
	DNS_SECTION_AUTHORITY = 2,
	DNS_SECTION_ADDITIONAL = 3,
};

/* RR types the parser treats specially (RFC numbers, host order). */
enum dns_rrtype {
	DNS_TYPE_A = 1, DNS_TYPE_NS = 2, DNS_TYPE_MD = 3, DNS_TYPE_MF = 4,
	DNS_TYPE_CNAME = 5, DNS_TYPE_SOA = 6, DNS_TYPE_MB = 7, DNS_TYPE_MG = 8,
	DNS_TYPE_MR = 9, DNS_TYPE_NULL = 10, DNS_TYPE_WKS = 11, DNS_TYPE_PTR = 12,
	DNS_TYPE_HINFO = 13, DNS_TYPE_MINFO = 14, DNS_TYPE_MX = 15, DNS_TYPE_TXT = 16,
	DNS_TYPE_RP = 17, DNS_TYPE_AFSDB = 18, DNS_TYPE_X25 = 19, DNS_TYPE_ISDN = 20,
	DNS_TYPE_RT = 21, DNS_TYPE_SIG = 24, DNS_TYPE_KEY = 25, DNS_TYPE_PX = 26,
	DNS_TYPE_GPOS = 27, DNS_TYPE_AAAA = 28, DNS_TYPE_LOC = 29, DNS_TYPE_NXT = 30,
	DNS_TYPE_SRV = 33, DNS_TYPE_NAPTR = 35, DNS_TYPE_KX = 36, DNS_TYPE_CERT = 37,
	DNS_TYPE_A6 = 38, DNS_TYPE_DNAME = 39, DNS_TYPE_OPT = 41, DNS_TYPE_APL = 42,
	DNS_TYPE_DS = 43, DNS_TYPE_SSHFP = 44, DNS_TYPE_IPSECKEY = 45, DNS_TYPE_RRSIG = 46,
	DNS_TYPE_NSEC = 47, DNS_TYPE_DNSKEY = 48, DNS_TYPE_DHCID = 49, DNS_TYPE_NSEC3 = 50,
	DNS_TYPE_NSEC3PARAM = 51, DNS_TYPE_TLSA = 52, DNS_TYPE_SMIMEA = 53,
	DNS_TYPE_HIP = 55, DNS_TYPE_TALINK = 58, DNS_TYPE_CDS = 59, DNS_TYPE_CDNSKEY = 60,
	DNS_TYPE_OPENPGPKEY = 61, DNS_TYPE_CSYNC = 62, DNS_TYPE_ZONEMD = 63,
	DNS_TYPE_SVCB = 64, DNS_TYPE_HTTPS = 65, DNS_TYPE_SPF = 99, DNS_TYPE_NID = 104,
	DNS_TYPE_L32 = 105, DNS_TYPE_L64 = 106, DNS_TYPE_LP = 107, DNS_TYPE_EUI48 = 108,
	DNS_TYPE_EUI64 = 109, DNS_TYPE_TKEY = 249, DNS_TYPE_TSIG = 250,
	DNS_TYPE_URI = 256, DNS_TYPE_CAA = 257, DNS_TYPE_DLV = 32769,
};

#define DNS_CLASS_IN 1
#define DNS_CLASS_NONE 254
#define DNS_CLASS_ANY 255

/* One data RR. owner/rdata point into dns_msg.scratch. */
struct dns_rr {
	const uint8_t *owner;	/* uncompressed, lowercased wire name */
	const uint8_t *rdata;	/* canonical rdata (wire/rrkey.h) */
	uint32_t ttl;
	uint16_t rrtype;
	uint16_t rrclass;
	uint16_t rdlen;		/* canonical length, may exceed the wire RDLENGTH */
	uint8_t owner_len;	/* 1..255 */
	uint8_t section;	/* enum dns_section */
};

struct dns_msg {
	/* Header (RFC 1035 4.1.1, RFC 2535/4035 AD and CD). */
	uint16_t id;
	uint8_t opcode;
	uint8_t rcode;		/* the 4 header bits; see dns_msg_rcode() */
	bool qr, aa, tc, rd, ra, ad, cd;
	uint16_t qdcount, ancount, nscount, arcount;

	/* First question; has_question is false when QDCOUNT is 0. */
	bool has_question;
	uint8_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname[DNS_NAME_MAX];

	/* EDNS(0), from the first OPT of the additional section (RFC 6891). */
	bool has_edns;
	bool edns_do;
	uint8_t edns_version;
	uint8_t edns_ext_rcode;	/* upper 8 bits of the 12-bit RCODE */
	uint16_t edns_udp_size;

	/* Protocol RRs recognised and not stored (OPT, TSIG, TKEY). */
	uint16_t skipped_opt;
	uint16_t skipped_tsig;
	uint16_t skipped_tkey;
	/* Names (question, owners, rdata) with a label octet outside [A-Za-z0-9_-]. */
	uint32_t odd_names;
	/* Octets after the last RR the counts announce (kept, not an error). */
	uint32_t trailing;

	uint32_t rr_count;	/* entries used in rr[] */
	uint32_t section_rrs[4]; /* stored data RRs per enum dns_section */
	size_t scratch_used;

	struct dns_rr rr[DNS_MAX_RRS];
	uint8_t scratch[DNS_SCRATCH_SIZE];
};

/*
 * Parse one DNS message (the UDP payload, or a TCP message without its length
 * prefix) into out, overwriting what was there. Returns 0 or a negative
 * -DNSIFT_EDNS_* code; on error out holds whatever was parsed before it and
 * must not be used. Never reads outside [msg, msg + len), never allocates.
 * Any thread (out is the caller's, typically one per worker).
 */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out);

/* The full 12-bit RCODE (EDNS extended bits included). Any thread. */
static inline uint16_t dns_msg_rcode(const struct dns_msg *m)
{
	return (uint16_t)((unsigned)m->edns_ext_rcode << 4 | m->rcode);
}

/*
 * True when name is zone or lies below it. Both are uncompressed wire names
 * in canonical (lowercase) form, as dns_parse() produces them. Any thread.
 */
bool dns_name_is_subdomain(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen);

/*
 * The parent of a wire name: a pointer into name itself, and its length
 * through *parent_len. NULL for the root (it has none) or a malformed name.
 * Any thread.
 */
const uint8_t *dns_name_parent(const uint8_t *name, size_t len, size_t *parent_len);

/* Labels of a wire name, the root not counted; -DNSIFT_EFORMAT if malformed. Any thread. */
int dns_name_labels(const uint8_t *name, size_t len);

/*
 * True when the canonical rdata of rrtype contains domain names that
 * dns_parse() decompressed and/or lowercased. Any thread.
 */
bool dns_type_embeds_name(uint16_t rrtype);

#endif
