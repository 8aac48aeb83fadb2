/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/match.h"
#include "dataplane/pipeline.h"
#include "dataplane/tcp_reasm.h"
#include "dataplane/upstream.h"
#include "dataplane/deleg.h"
#include "dedup/dedup.h"
#include "wire/dns.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

#include <xxhash.h>

#define DNS_OPCODE_QUERY 0
#define NS_PER_SEC 1000000000ull
#define FRAG_VERDICTS 1024	/* datagrams whose first fragment's verdict is kept */

/* What a datagram's first fragment was classified as, for its other fragments. */
struct frag_verdict {
	uint64_t tag;		/* hash of (version, addresses, protocol, identification) */
	uint64_t expires_ns;
	enum upstream_class class;
};

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

struct pipeline {
	struct dp_stats stats;		/* first: the hot counters */
	struct pipeline_params params;
	struct match *match;
	struct tcp_reasm *tcp;
	struct deleg *deleg;		/* shared, unless own_deleg */
	bool own_deleg;
	/* Per-message context for the TCP callback and the RRset callback. */
	const struct pkt_info *cur_pi;
	enum upstream_class cur_class;
	uint64_t now_ns;
	uint64_t now_sec;
	uint64_t next_sec_ns;		/* now_sec is recomputed only past this */
	struct dns_msg msg;		/* parse scratch, reused per message */
	uint8_t key[RRKEY_MAX_LEN];	/* RRset key scratch */
	struct frag_verdict frag_verdicts[FRAG_VERDICTS];
};

static void on_tcp_message(void *ctx, const struct tcp_reasm_key *key, const uint8_t *msg,
			   uint16_t len);

struct pipeline *pipeline_create(const struct pipeline_params *params)
{
	struct pipeline *p;

	if (params == NULL || params->upstream == NULL) {
		errno = EINVAL;
		return NULL;
	}
	/* Page-aligned: the struct is large and its head is hot. */
	if (posix_memalign((void **)&p, 4096, sizeof(*p)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, offsetof(struct pipeline, msg));
	memset(p->frag_verdicts, 0, sizeof(p->frag_verdicts));
	p->params = *params;
	struct match_params mp = {
		.max_entries = params->max_queries,
		.query_timeout_ns = params->query_timeout_ns,
	};
	p->match = match_create(&mp);
	struct tcp_reasm_params tp = {
		.max_flows = params->tcp_max_flows,
		.idle_timeout_ns = params->tcp_timeout_ns,
		.on_message = on_tcp_message,
		.ctx = p,
	};
	p->tcp = tcp_reasm_create(&tp);
	p->deleg = params->deleg;
	if (p->deleg == NULL) {
		struct deleg_params dp = {
			.max_pairs = 65536, .max_nameservers = 16384, .max_age_sec = 3 * 86400,
		};
		p->deleg = deleg_create(&dp);
		p->own_deleg = true;
	}
	if (p->match == NULL || p->tcp == NULL || p->deleg == NULL) {
		int e = errno;
		pipeline_free(p);
		errno = e ? e : ENOMEM;
		return NULL;
	}
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	match_free(p->match);
	tcp_reasm_free(p->tcp);
	if (p->own_deleg)
		deleg_free(p->deleg);
	free(p);
}

struct dp_stats *pipeline_stats(struct pipeline *p)
{
	return &p->stats;
}

static inline void set_clock(struct pipeline *p, uint64_t now_ns)
{
	p->now_ns = now_ns;
	/* One division per second of traffic rather than one per packet. */
	if (unlikely(now_ns >= p->next_sec_ns || now_ns + NS_PER_SEC < p->next_sec_ns)) {
		p->now_sec = now_ns / NS_PER_SEC;
		p->next_sec_ns = (p->now_sec + 1) * NS_PER_SEC;
	}
}

static int on_rrset(void *arg, const struct rrset_view *v, const uint8_t *key,
		    uint32_t key_len, uint64_t hash)
{
	struct pipeline *p = arg;

	(void)v;
	p->stats.rrsets++;
	if (p->params.dedup == NULL)
		return 0;
	int r = dedup_observe(p->params.dedup, p->params.worker, key, key_len, hash, p->now_sec);
	if (likely(r == DEDUP_HIT))
		p->stats.dedup_hits++;
	else if (r == DEDUP_NEW)
		p->stats.dedup_new++;
	else if (r == DEDUP_OVERFLOW)
		p->stats.dedup_overflow++;
	else
		p->stats.dedup_rejected++;
	return 0;
}

static void match_packet_init(struct match_packet *mp, const struct pkt_info *pi,
			      const struct dns_msg *m)
{
	mp->family = pi->ip_version == 4 ? AF_INET : AF_INET6;
	mp->transport = pi->l4_proto;
	mp->src = pi->src_addr;
	mp->dst = pi->dst_addr;
	mp->sport = pi->src_port;
	mp->dport = pi->dst_port;
	mp->id = m->id;
	mp->qtype = m->qtype;
	mp->qclass = m->qclass;
	mp->qname_len = m->qname_len;
	mp->qname = m->qname;
}

/* One DNS message, from a UDP datagram or a TCP stream. */
static void process_message(struct pipeline *p, const uint8_t *data, size_t len)
{
	struct dns_msg *m = &p->msg;
	struct match_packet mp;
	struct match_key mk;
	int r;

	p->stats.dns_messages++;
	/* The opcode is in the fixed header: a NOTIFY or UPDATE (whose zone and update
	 * sections do not follow QUERY's rules) is counted before it is parsed. */
	if (unlikely(len >= 12 && ((data[2] >> 3) & 0xF) != DNS_OPCODE_QUERY)) {
		p->stats.dns_not_query++;
		return;
	}
	r = dns_parse(data, len, m);
	if (unlikely(r < 0)) {
		p->stats.parse_reject[-r < DNSIFT_E_COUNT ? -r : DNSIFT_EFORMAT]++;
		return;
	}
	if (unlikely(!m->has_question)) {
		p->stats.dns_other++;
		return;
	}
	match_packet_init(&mp, p->cur_pi, m);
	if (p->cur_class == UPSTREAM_QUERY) {
		if (m->qr) {
			p->stats.dns_other++;
			return;
		}
		p->stats.queries++;
		if (match_key_from_packet(&mk, &mp, MATCH_DIR_QUERY) == 0)
			match_query(p->match, &mk, p->now_ns);
		return;
	}
	/* UPSTREAM_RESPONSE */
	if (!m->qr) {
		p->stats.dns_other++;
		return;
	}
	uint8_t flags = 0;
	if (match_key_from_packet(&mk, &mp, MATCH_DIR_RESPONSE) == 0 &&
	    match_response(p->match, &mk, p->now_ns, NULL) == 1) {
		p->stats.responses_matched++;
	} else {
		p->stats.responses_unmatched++;
		if (p->params.unmatched == PIPELINE_UNMATCHED_DROP)
			return;
		p->stats.unmatched_recorded++;
		flags = RRKEY_F_UNMATCHED;
	}
	if (m->tc) {
		/* A truncated answer holds partial RRsets; the TCP retry has them whole. */
		p->stats.truncated_responses++;
		return;
	}
	/*
	 * The bailiwick: the deepest zone the delegation chain says this server
	 * serves, narrowed only by evidence inside it (dataplane/deleg.h).
	 */
	const struct pkt_info *pi = p->cur_pi;
	struct deleg_verdict v;
	deleg_bailiwick(p->deleg, m, pi->src_addr, pi->addr_len, p->now_sec, &v);
	p->stats.deleg_lookups += v.lookups;
	p->stats.deleg_hits += v.hits;
	if (v.claim_refused)
		p->stats.bailiwick_claim_refused++;
	switch (v.outcome) {
	case DELEG_CHAIN:
		p->stats.bailiwick_chain++;
		break;
	case DELEG_NARROWED:
		p->stats.bailiwick_narrowed++;
		break;
	case DELEG_PRIMING:
		p->stats.bailiwick_priming++;
		break;
	default:
		p->stats.bailiwick_unknown++;
		if (p->params.bailiwick_unknown == PIPELINE_BAILIWICK_UNKNOWN_DROP) {
			p->stats.bailiwick_unknown_dropped++;
			return;
		}
		break;
	}
	const uint8_t *bw = v.zone;
	uint8_t bw_len = v.zone_len;
	struct rrset_params rp = {
		.bailiwick = bw_len ? bw : NULL,
		.bailiwick_len = bw_len,
		.flags = flags,
		.key = p->key,
		.key_size = sizeof(p->key),
	};
	struct rrset_result res;
	r = rrset_extract(m, &rp, on_rrset, p, &res);
	p->stats.rrsets_out_of_bailiwick += res.out_of_bailiwick;
	p->stats.rrsets_out_of_bailiwick_answer +=
		res.out_of_bailiwick_by_section[DNS_SECTION_ANSWER];
	p->stats.rrsets_out_of_bailiwick_authority +=
		res.out_of_bailiwick_by_section[DNS_SECTION_AUTHORITY];
	p->stats.rrsets_out_of_bailiwick_additional +=
		res.out_of_bailiwick_by_section[DNS_SECTION_ADDITIONAL];
	if (r < 0) {
		p->stats.rrset_errors++;
		return;
	}
	/* Only matched responses teach, and only what lies inside their bailiwick. */
	if (flags == 0)
		deleg_learn_response(p->deleg, m, pi->src_addr, pi->addr_len, &v, p->now_sec);
}

static void on_tcp_message(void *ctx, const struct tcp_reasm_key *key, const uint8_t *msg,
			   uint16_t len)
{
	struct pipeline *p = ctx;

	(void)key;
	p->stats.tcp_messages++;
	process_message(p, msg, len);
}

/* Classify and process a decoded, unfragmented packet. */
static void process_l4(struct pipeline *p, const struct pkt_info *pi)
{
	int family = pi->ip_version == 4 ? AF_INET : AF_INET6;
	enum upstream_class c = upstream_classify(p->params.upstream, family, pi->src_addr,
						  pi->src_port, pi->dst_addr, pi->dst_port);

	switch (c) {
	case UPSTREAM_QUERY:
	case UPSTREAM_RESPONSE:
		break;
	case UPSTREAM_CLIENT_SIDE:
		p->stats.client_side++;
		return;
	case UPSTREAM_FOREIGN:
		p->stats.foreign++;
		return;
	default:
		p->stats.not_dns++;
		return;
	}
	p->cur_pi = pi;
	p->cur_class = c;
	if (pi->l4_proto == 17) {
		p->stats.udp_dns++;
		process_message(p, pi->payload, pi->payload_len);
		return;
	}
	p->stats.tcp_segments++;
	struct tcp_reasm_key tk;
	if (tcp_reasm_key_init(&tk, family, pi->src_addr, pi->src_port, pi->dst_addr,
			       pi->dst_port) == 0)
		tcp_reasm_segment(p->tcp, &tk, pi->tcp_seq,
				  pi->tcp_flags & (TCP_REASM_FIN | TCP_REASM_SYN | TCP_REASM_RST),
				  pi->payload, pi->payload_len, p->now_ns);
}

/* One datagram's identity: its fragments share it (RFC 791 / RFC 8200). */
static uint64_t frag_tag(const struct pkt_info *pi)
{
	struct {
		uint8_t src[16], dst[16];
		uint32_t id;
		uint8_t version, proto;
	} __attribute__((packed)) k;

	memcpy(k.src, pi->src_addr, sizeof(k.src));
	memcpy(k.dst, pi->dst_addr, sizeof(k.dst));
	k.id = pi->frag_id;
	k.version = pi->ip_version;
	k.proto = pi->l4_proto;
	return XXH3_64bits(&k, sizeof(k)) | 1;	/* 0 marks an empty slot */
}

/* Classify a fragment before it reaches the reassembly table (see pipeline.h). */
static enum pipeline_verdict classify_fragment(struct pipeline *p, const struct pkt_info *pi)
{
	int family = pi->ip_version == 4 ? AF_INET : AF_INET6;
	uint64_t tag = frag_tag(pi);
	struct frag_verdict *v = &p->frag_verdicts[tag & (FRAG_VERDICTS - 1)];
	enum upstream_class c;

	if (pi->frag_offset == 0 && pi->l4_valid) {
		c = upstream_classify(p->params.upstream, family, pi->src_addr, pi->src_port,
				      pi->dst_addr, pi->dst_port);
		v->tag = tag;
		v->class = c;
		v->expires_ns = p->now_ns + PIPELINE_FRAG_TIMEOUT_NS;
	} else if (v->tag == tag && v->expires_ns > p->now_ns) {
		c = v->class;
	} else {
		c = upstream_classify_addrs(p->params.upstream, family, pi->src_addr,
					    pi->dst_addr);
		if (c == UPSTREAM_OTHER) {
			p->stats.frag_unclassified++;
			return PIPELINE_FRAGMENT;
		}
	}
	switch (c) {
	case UPSTREAM_QUERY:
	case UPSTREAM_RESPONSE:
		return PIPELINE_FRAGMENT;
	case UPSTREAM_CLIENT_SIDE:
		p->stats.client_side++;
		break;
	case UPSTREAM_FOREIGN:
		p->stats.foreign++;
		break;
	default:
		p->stats.not_dns++;
		break;
	}
	return PIPELINE_DONE;
}

enum pipeline_verdict pipeline_frame(struct pipeline *p, const uint8_t *frame, uint32_t len,
				     uint32_t linktype, uint64_t now_ns, struct pkt_info *pi)
{
	int r;

	p->stats.rx_packets++;
	p->stats.rx_bytes += len;
	set_clock(p, now_ns);
	r = pkt_decode(frame, len, linktype, pi);
	if (unlikely(r < 0)) {
		p->stats.decode_reject[-r < DNSIFT_E_COUNT ? -r : DNSIFT_EFORMAT]++;
		return PIPELINE_DONE;
	}
	if (unlikely(pi->is_fragment)) {
		p->stats.frag_fragments++;
		return classify_fragment(p, pi);
	}
	process_l4(p, pi);
	return PIPELINE_DONE;
}

void pipeline_datagram(struct pipeline *p, const uint8_t *frame, uint32_t len,
		       uint32_t linktype, uint64_t now_ns)
{
	struct pkt_info pi;
	int r;

	p->stats.frag_datagrams++;
	set_clock(p, now_ns);
	r = pkt_decode(frame, len, linktype, &pi);
	if (r < 0) {
		p->stats.decode_reject[-r < DNSIFT_E_COUNT ? -r : DNSIFT_EFORMAT]++;
		return;
	}
	if (pi.is_fragment) {
		/* Reassembly hands back whole datagrams; this one is not. */
		p->stats.decode_reject[DNSIFT_EPKT_FRAG_BAD]++;
		return;
	}
	process_l4(p, &pi);
}

void pipeline_expire(struct pipeline *p, uint64_t now_ns, unsigned int budget)
{
	match_expire(p->match, now_ns, budget);
	tcp_reasm_expire(p->tcp, now_ns, budget);
}

void pipeline_foreach_module_counter(struct pipeline *p,
				     void (*fn)(void *arg, const char *name, uint64_t value),
				     void *arg)
{
	const struct match_stats *ms = match_stats(p->match);
	const struct tcp_reasm_stats *ts = tcp_reasm_stats(p->tcp);

#define PIPE_MATCH(name, text) fn(arg, "match_" #name, ms->name);
	MATCH_STATS(PIPE_MATCH)
#undef PIPE_MATCH
#define PIPE_TCP(name, text) fn(arg, "tcp_reasm_" #name, ts->name);
	TCP_REASM_STATS(PIPE_TCP)
#undef PIPE_TCP

}
