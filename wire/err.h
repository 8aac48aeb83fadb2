/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift: the one error enum.
 *
 * Every reject, drop and failure in the project has a code here. The list is an
 * X-macro so the enum, the human string and the counter name can never drift
 * apart: counters are named "<group>_<name>" from the second column.
 *
 * Functions return 0 on success and a negative code on failure (-DNSIFT_E...),
 * like the kernel and DPDK do; dnsift_strerror() takes either sign.
 */
#ifndef DNSIFT_ERR_H
#define DNSIFT_ERR_H

#define DNSIFT_ERRORS(X) \
	X(OK,                     ok,                    "success") \
	/* generic */ \
	X(INVAL,                  invalid_argument,      "invalid argument") \
	X(NOMEM,                  no_memory,             "out of memory") \
	X(NOSPACE,                no_space,              "output buffer too small") \
	X(IO,                     io,                    "input/output error") \
	X(FORMAT,                 bad_format,            "malformed input") \
	X(CONFIG,                 config,                "bad configuration") \
	X(LIMIT,                  limit,                 "configured limit reached") \
	X(NOTFOUND,               not_found,             "not found") \
	X(EXISTS,                 exists,                "already exists") \
	X(BUSY,                   busy,                  "consumer busy, retry later") \
	X(PERM,                   permission,            "operation not permitted (needs root or CAP_BPF + CAP_NET_ADMIN)") \
	/* frame decode (wire/pkt) */ \
	X(PKT_LINKTYPE,           unsupported_linktype,  "unsupported link type") \
	X(PKT_L2_TRUNCATED,       l2_truncated,          "link-layer header truncated") \
	X(PKT_VLAN_DEPTH,         vlan_too_deep,         "more VLAN tags than supported") \
	X(PKT_NOT_IP,             not_ip,                "not IPv4 or IPv6") \
	X(PKT_IP4_TRUNCATED,      ip4_truncated,         "IPv4 header or payload truncated") \
	X(PKT_IP4_VERSION,        ip4_bad_version,       "IPv4 version field is not 4") \
	X(PKT_IP4_IHL,            ip4_bad_ihl,           "IPv4 header length below 20 or past the packet") \
	X(PKT_IP4_TOTLEN,         ip4_bad_total_length,  "IPv4 total length smaller than its header") \
	X(PKT_IP6_TRUNCATED,      ip6_truncated,         "IPv6 header or payload truncated") \
	X(PKT_IP6_VERSION,        ip6_bad_version,       "IPv6 version field is not 6") \
	X(PKT_IP6_EXTHDR,         ip6_bad_ext_header,    "IPv6 extension header truncated or malformed") \
	X(PKT_IP6_EXT_DEPTH,      ip6_too_many_ext,      "more IPv6 extension headers than allowed") \
	X(PKT_NOT_UDP_TCP,        not_udp_tcp,           "transport is neither UDP nor TCP") \
	X(PKT_UDP_TRUNCATED,      udp_truncated,         "UDP header or payload truncated") \
	X(PKT_UDP_LENGTH,         udp_bad_length,        "UDP length field inconsistent with IP length") \
	X(PKT_TCP_TRUNCATED,      tcp_truncated,         "TCP header or payload truncated") \
	X(PKT_TCP_DOFF,           tcp_bad_data_offset,   "TCP data offset below 5 or past the segment") \
	X(PKT_FRAG_BAD,           frag_bad,              "IP fragment with inconsistent offset or length") \
	X(PCAP_PCAPNG,            pcapng_unsupported,    "pcapng file: only classic pcap is read (convert: editcap -F pcap)") \
	X(UPSTREAM_CIDR,          bad_cidr,              "resolver prefix is not ADDRESS[/LENGTH] (IPv4 or IPv6)") \
	X(UPSTREAM_HOST_BITS,     cidr_host_bits,        "resolver prefix has address bits set past its length") \
	/* DNS message parse (wire/dns) */ \
	X(DNS_HEADER_TRUNCATED,   header_truncated,      "DNS header shorter than 12 octets") \
	X(DNS_QUESTION_TRUNCATED, question_truncated,    "question section truncated") \
	X(DNS_RR_TRUNCATED,       rr_truncated,          "resource record header truncated") \
	X(DNS_RDATA_TRUNCATED,    rdata_truncated,       "RDATA runs past the message") \
	X(DNS_RDATA_LENGTH,       rdata_bad_length,      "RDLENGTH wrong for the record type") \
	X(DNS_RDATA_FORMAT,       rdata_bad_format,      "RDATA fields do not fill RDLENGTH exactly") \
	X(DNS_NAME_TRUNCATED,     name_truncated,        "domain name runs past the message") \
	X(DNS_NAME_LABEL_TYPE,    name_bad_label_type,   "label type 0x40/0x80 (reserved or obsolete)") \
	X(DNS_NAME_TOO_LONG,      name_too_long,         "domain name longer than 255 octets") \
	X(DNS_NAME_PTR_FORWARD,   name_pointer_forward,  "compression pointer does not point backwards") \
	X(DNS_NAME_PTR_LOOP,      name_pointer_loop,     "compression pointer loops (not before the last target)") \
	X(DNS_NAME_PTR_LIMIT,     name_pointer_limit,    "too many compression pointers in one name") \
	X(DNS_TOO_MANY_RRS,       too_many_rrs,          "more resource records than the parser holds") \
	X(DNS_SCRATCH_FULL,       scratch_full,          "decompressed names and rdata exceed the scratch space") \
	X(DNS_QDCOUNT,            bad_qdcount,           "QDCOUNT is not 1") \
	X(DNS_RRSET_TOO_BIG,      rrset_too_big,         "canonical RRset key exceeds the key buffer") \
	/* segments (segment/) */ \
	X(SEG_MAGIC,              segment_bad_magic,     "not a dnsift segment (bad magic)") \
	X(SEG_VERSION,            segment_bad_version,   "unsupported segment format version") \
	X(SEG_TRUNCATED,          segment_truncated,     "segment truncated") \
	X(SEG_CHECKSUM,           segment_checksum,      "segment checksum mismatch") \
	X(SEG_LZ4,                segment_lz4,           "LZ4 frame error") \
	X(SEG_TRAILER,            segment_trailer,       "segment trailer missing or inconsistent") \
	X(SEG_RECORD,             segment_bad_record,    "segment record is not one JSON object per line") \
	/* database (db/) */ \
	X(DB_COF_SYNTAX,          cof_bad_json,          "record line is not one well-formed JSON object") \
	X(DB_COF_FIELD,           cof_bad_field,         "record field missing, repeated or of the wrong type") \
	X(DB_NAME,                db_bad_name,           "bad domain name") \
	X(DB_RRTYPE,              db_bad_rrtype,         "unknown RR type or class") \
	X(DB_RDATA,               db_bad_rdata,          "bad rdata") \
	X(DB_CORRUPT,             db_corrupt,            "database file unreadable or inconsistent") \
	X(DB_LOCKED,              db_locked,             "database directory is locked by another writer") \
	X(DB_DUPLICATE,           db_duplicate_segment,  "segment already in the database")

enum dnsift_err {
#define DNSIFT_ERR_ENUM(sym, name, text) DNSIFT_E##sym,
	DNSIFT_ERRORS(DNSIFT_ERR_ENUM)
#undef DNSIFT_ERR_ENUM
	DNSIFT_E_COUNT
};

/* Human text for a code (either sign). Never NULL. Any thread. */
const char *dnsift_strerror(int err);
/* Short snake_case name for counters and JSON keys (either sign). Never NULL. */
const char *dnsift_errname(int err);

#endif
