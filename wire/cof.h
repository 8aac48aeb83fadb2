/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * COF rendering: a canonical RRset key (wire/rrkey.h) plus its window
 * statistics become one NDJSON line in the Passive DNS Common Output Format
 * (draft-dulaunoy-dnsop-passive-dns-cof) with DNSDB-compatible names:
 *
 *   {"rrname":"www.example.com.","rrtype":"A","rdata":["192.0.2.1"],
 *    "time_first":1764190000,"time_last":1764190290,"count":41,
 *    "bailiwick":"example.com.","sensor_id":"isp1-fra-01"}
 *
 * Field order is fixed as above; "rrclass" is added after "rrtype" only when the
 * class is not IN ("CS", "CH", "HS", "NONE", "ANY" or a number), "unmatched":true
 * last only when the key carries RRKEY_F_UNMATCHED, bailiwick only when known.
 * "rrtype" is a JSON number when rrtype_name() has no mnemonic. rdata is in key
 * order (canonical wire order, RFC 4034 6.3). The line ends in '\n' and is
 * printable ASCII otherwise: presentation text escapes every other byte as
 * \DDD, and sensor_id bytes < 0x20 or >= 0x7f are written as \u00XX (so a
 * non-ASCII sensor_id reads as Latin-1 rather than being refused).
 */
#ifndef DNSIFT_COF_H
#define DNSIFT_COF_H

#include <stddef.h>
#include <stdint.h>

struct cof_meta {
	uint64_t time_first;	/* Unix seconds, UTC */
	uint64_t time_last;
	uint64_t count;
	const char *sensor_id;	/* NULL or "" = field omitted; JSON-escaped on output */
};

/*
 * Render one record into out (NUL-terminated). Returns the length written
 * (excluding the NUL, including the '\n'), -DNSIFT_EFORMAT for a corrupt key
 * (lengths, version, owner or bailiwick not a wire name, or longer than
 * RRKEY_MAX_LEN; rdata that does not parse as its type is not corrupt, it is
 * shown as RFC 3597), -DNSIFT_ENOSPACE when out_size is too small
 * (cof_render_bound() never is), -DNSIFT_EINVAL for a NULL argument. Nothing
 * is written past out_size; on error out holds "" (a truncated prefix for
 * ENOSPACE). No allocation. Pure function; any thread.
 */
int cof_render(const uint8_t *key, size_t key_len, const struct cof_meta *meta,
	       char *out, size_t out_size);

/*
 * An out_size that is always enough for a key of key_len octets (proof in
 * cof.c): 80 bytes per key octet, because one NSEC type-bitmap octet can
 * print as 8 x " TYPEnnnnn". It is loose for ordinary records (about 4 KiB
 * for a typical A record) and about 20 MiB for RRKEY_MAX_LEN, so a caller
 * sizes one buffer at start-up, or renders into a smaller one and falls back
 * to a bound-sized one on -DNSIFT_ENOSPACE. Any thread.
 */
size_t cof_render_bound(size_t key_len, const char *sensor_id);

/*
 * Presentation format (RFC 1035 master file, RFC 3597 for unknown types) of
 * one canonical rdata, not JSON-escaped, as kdig prints it (details at the top
 * of rdata_text.c). Falls back to "\# len hex" when the rdata does not parse
 * as its type; never reads outside rdata[0..rdlen). Returns the length
 * (excluding the NUL) or -DNSIFT_ENOSPACE (out then holds a NUL-terminated
 * prefix when out_size > 0). Any thread.
 */
int rdata_to_text(uint16_t rrtype, const uint8_t *rdata, uint16_t rdlen, char *out,
		  size_t out_size);

/*
 * Presentation of an uncompressed wire-format name of exactly len octets, with
 * RFC 1035 escapes. Returns the length, -DNSIFT_EFORMAT when it is not one
 * name (labels > 63, over 255 octets, no root label or bytes after it), or
 * -DNSIFT_ENOSPACE. Any thread.
 */
int name_to_text(const uint8_t *name, size_t len, char *out, size_t out_size);

/*
 * IANA mnemonic of an RR type ("A"); NULL for an unassigned type ("TYPE65280"
 * is never returned). Static strings; any thread.
 */
const char *rrtype_name(uint16_t rrtype);

#endif
