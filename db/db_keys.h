/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/db_keys: the MTBL key layout of the passive DNS database (docs/db-format.md),
 * shared by store_mtbl.c and its tests. Internal to db/: the API sees db/store.h only.
 *
 * Pure functions over caller buffers; any thread.
 */
#ifndef DNSIFT_DB_KEYS_H
#define DNSIFT_DB_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entry type, the first key byte. Data entries sort before the bookkeeping ones. */
enum db_entry_type {
	DB_ET_RRSET = 0x01,		/* rev(rrname) rrtype rrclass bw rdata-set -> triplet */
	DB_ET_RRSET_NAME_FWD = 0x02,	/* fwd(rrname) rrtype -> empty */
	DB_ET_RDATA_NAME = 0x03,	/* rev(name) rrtype rev(rrname) rdata -> triplet */
	DB_ET_RDATA_NAME_FWD = 0x04,	/* fwd(name) rrtype -> empty */
	DB_ET_RDATA_IP4 = 0x05,		/* addr(4) rev(rrname) -> triplet */
	DB_ET_RDATA_IP6 = 0x06,		/* addr(16) rev(rrname) -> triplet */
	DB_ET_RDATA_OTHER = 0x07,	/* rrtype varint-len rdata rev(rrname) -> triplet */
	DB_ET_FILE_STATS = 0xFD,	/* "stats" -> varints rrset, rdata entries of this file */
	DB_ET_REPLACES = 0xFE,		/* file name -> empty: this file replaces that one */
	DB_ET_SEGMENT = 0xFF,		/* sensor_id 0 seq(8 BE) [+ 'd'] -> meta [dup count] */
};

#define DB_NAME_WIRE_MAX 255

/*
 * Presentation name (escapes \X and \DDD, trailing dot optional, "." the root) to
 * forward wire form, lowercased. n is the length of s. Returns the wire length
 * (>= 1, the root label included) or -DNSIFT_EDB_NAME.
 */
int db_name_to_wire(const char *s, size_t n, uint8_t wire[DB_NAME_WIRE_MAX]);

/* Forward wire name to label-reversed form; the same length, ending in 0. */
void db_wire_reverse(const uint8_t *wire, size_t len, uint8_t *out);

/*
 * Length of the label-reversed (or forward) name at p (0-terminated labels), at most
 * max bytes; 0 when it is not a well-formed name within max.
 */
size_t db_rname_len(const uint8_t *p, size_t max);

/* Label-reversed name back to presentation; returns the length or negative. */
int db_rname_to_text(const uint8_t *rev, size_t len, char *out, size_t size);

/*
 * The name inside rdata that the RDATA_NAME index holds for rrtype (NS, CNAME, DNAME,
 * PTR, MX, SRV, SOA (two), SVCB, HTTPS). Finds up to two names in the presentation
 * string; returns how many (0: not a name type, or the rdata does not parse), each as
 * [start, start+len) of rdata.
 */
unsigned db_rdata_names(uint16_t rrtype, const char *rdata, size_t len, size_t start[2],
			size_t nlen[2]);

/* LEB128 varints. put returns the bytes written (<= 10); get 0 on malformed input. */
size_t db_varint_put(uint8_t *p, uint64_t v);
size_t db_varint_get(const uint8_t *p, size_t len, uint64_t *v);

/* rrtype mnemonic ("A", "TYPE65280") to number; -1 when unknown. Any thread. */
int db_rrtype_from_text(const char *s, size_t n);

#endif
