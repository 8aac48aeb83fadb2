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
 * Field order is fixed as above; "rrclass" is added only when the class is not
 * IN, "unmatched":true only when the key carries RRKEY_F_UNMATCHED, bailiwick
 * only when known. rdata is sorted as the key is. The line ends in '\n'.
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
 * (excluding the NUL, including the '\n'), -DNSIFT_EFORMAT for a corrupt key,
 * -DNSIFT_ENOSPACE when out_size is too small (cof_render_bound() never is).
 * Pure function; any thread.
 */
int cof_render(const uint8_t *key, size_t key_len, const struct cof_meta *meta,
	       char *out, size_t out_size);

/* An out_size that is always enough for a key of key_len octets. */
size_t cof_render_bound(size_t key_len, const char *sensor_id);

/*
 * Presentation format (RFC 1035 master file, RFC 3597 for unknown types) of
 * one canonical rdata, not JSON-escaped. Falls back to "\# len hex" when the
 * rdata does not parse as its type. Returns length or -DNSIFT_ENOSPACE.
 */
int rdata_to_text(uint16_t rrtype, const uint8_t *rdata, uint16_t rdlen, char *out, size_t out_size);

/* Presentation of an uncompressed wire-format name, with RFC 1035 escapes. */
int name_to_text(const uint8_t *name, size_t len, char *out, size_t out_size);

/* Mnemonic of an RR type ("A", "TYPE65280" is NOT returned: NULL when unknown). */
const char *rrtype_name(uint16_t rrtype);

#endif
