/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker counters. One writer each (the worker's lcore); the telemetry
 * thread and the main lcore read them and sum at read time. On x86-64 an
 * aligned u64 store is atomic, so a reader sees each counter whole (maybe one
 * burst stale), which is all a counter needs.
 *
 * Accounting identity (checked at exit and by the tests):
 *   rx_packets + frag_datagrams ==
 *       sum(decode rejects) + frag_absorbed + frag_unsupported + not_dns +
 *       foreign + client_side + tcp_segments + udp_dns + oversize
 * Every packet received, and every datagram reassembly produced, ends in
 * exactly one of those outcomes. DNS messages (from UDP datagrams and from TCP
 * reassembly) have their own identity:
 *   dns_messages == sum(parse rejects) + queries + responses_matched +
 *                   responses_unmatched + dns_other + dns_not_query
 * where truncated responses are counted among the matched/unmatched ones too.
 */
#ifndef DNSIFT_DP_STATS_H
#define DNSIFT_DP_STATS_H

#include <stdint.h>

#include "wire/err.h"

/* Plain counters: X(name, help). Order is the order of printing. */
#define DP_COUNTERS(X) \
	X(rx_packets,          "frames taken from the RX queue") \
	X(rx_bytes,            "bytes of those frames") \
	X(rx_multiseg,         "frames that arrived in chained mbufs") \
	X(oversize,            "frames too big for the linearisation buffer (dropped)") \
	X(frag_fragments,      "IP fragments seen (then in frag_absorbed, or dropped before reassembly as client_side, foreign or not_dns)") \
	X(frag_unclassified,   "fragments reassembled without a verdict (their first fragment not seen yet)") \
	X(frag_absorbed,       "fragments handed to reassembly") \
	X(frag_datagrams,      "datagrams rebuilt by reassembly") \
	X(frag_unsupported,    "IPv6 fragments behind other extension headers (dropped)") \
	X(not_dns,             "IP packets not on a DNS port") \
	X(foreign,             "DNS with no configured resolver on either end (dropped)") \
	X(client_side,         "DNS where the resolver is the server (dropped unparsed)") \
	X(udp_dns,             "UDP datagrams carrying upstream DNS") \
	X(tcp_segments,        "TCP segments on upstream DNS connections") \
	X(tcp_messages,        "DNS messages rebuilt from TCP streams") \
	X(dns_messages,        "DNS messages parsed (UDP + TCP)") \
	X(queries,             "upstream queries (remembered for matching)") \
	X(responses_matched,   "responses that matched an outstanding query") \
	X(responses_unmatched, "responses without an outstanding query") \
	X(unmatched_recorded,  "unmatched responses recorded with the unmatched flag") \
	X(truncated_responses, "responses with TC=1 (partial; the TCP retry is recorded)") \
	X(dns_other,           "messages in the wrong direction for their QR bit, or without a question") \
	X(dns_not_query,       "messages whose opcode is not QUERY (NOTIFY, UPDATE, ...): never recorded") \
	X(bailiwick_chain,     "responses whose bailiwick is the deepest zone the delegation chain says their server serves") \
	X(bailiwick_narrowed,  "responses whose SOA/NS narrowed the chain's zone to one below it that their server serves") \
	X(bailiwick_priming,   "priming answers taken as the root's (no root_hints)") \
	X(bailiwick_unknown,   "responses from a server no known delegation covers (no bailiwick)") \
	X(bailiwick_unknown_dropped, "of those, dropped unrecorded (bailiwick_unknown = drop)") \
	X(bailiwick_claim_refused, "responses whose SOA/NS claimed a zone above or beside their bailiwick (ignored)") \
	X(deleg_lookups,       "(server, zone) probes of the delegation table") \
	X(deleg_hits,          "probes that found a live pair") \
	X(rrsets,              "RRset observations handed to dedup") \
	X(rrsets_out_of_bailiwick, "RRsets outside the answering zone (dropped, nothing learned)") \
	X(rrsets_out_of_bailiwick_answer, "of those, in the answer section") \
	X(rrsets_out_of_bailiwick_authority, "of those, in the authority section") \
	X(rrsets_out_of_bailiwick_additional, "of those, in the additional section") \
	X(rrset_errors,        "RRsets that could not be keyed (too big)") \
	X(dedup_new,           "observations that created a dedup entry") \
	X(dedup_hits,          "observations that hit a live dedup entry") \
	X(dedup_overflow,      "observations emitted at once because dedup memory was full") \
	X(dedup_rejected,      "observations dedup could not take (memory and overflow ring full)")

struct dp_stats {
#define DP_STATS_FIELD(name, help) uint64_t name;
	DP_COUNTERS(DP_STATS_FIELD)
#undef DP_STATS_FIELD
	uint64_t decode_reject[DNSIFT_E_COUNT];	/* frame decode, by reason */
	uint64_t parse_reject[DNSIFT_E_COUNT];	/* DNS parse, by reason */
};

/* Sum b into a. Any thread. */
void dp_stats_add(struct dp_stats *a, const struct dp_stats *b);

/* Call fn for every counter with a stable name ("decode_ip4_truncated", ...).
 * Zero-valued reject reasons are skipped unless all is set. */
void dp_stats_foreach(const struct dp_stats *s, int all,
		      void (*fn)(void *arg, const char *name, uint64_t value), void *arg);

#endif
