/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's EAL-free pipeline on hand-built DNS messages (the oracle), carried in
 * Ethernet/IPv4/UDP frames from the shared frame writer (bench/gen_frame): which DNS
 * messages become RRset observations and which are only counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/gen_frame.h"
#include "dataplane/pipeline.h"
#include "dataplane/upstream.h"
#include "dedup/dedup.h"
#include "wire/pkt.h"

#define OPCODE_QUERY 0
#define OPCODE_NOTIFY 4
#define OPCODE_UPDATE 5

static const uint8_t resolver[4] = { 198, 51, 100, 53 };
static const uint8_t server[4] = { 198, 51, 100, 30 };
static const uint8_t client[4] = { 203, 0, 113, 10 };
static const uint8_t other_a[4] = { 192, 0, 2, 1 };
static const uint8_t other_b[4] = { 192, 0, 2, 2 };

struct fixture {
	struct upstream *up;
	struct dedup *dd;
	struct pipeline *p;
	uint64_t now_ns;
};

static int emit(const struct dedup_record *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

static int setup(void **state)
{
	static struct fixture f;
	struct upstream_params upp = { .max_prefixes = 4 };
	struct dedup_params dp = {
		.workers = 1, .window_sec = 60, .max_entries = 1024, .max_bytes = 4u << 20,
		.emit = emit,
	};

	memset(&f, 0, sizeof(f));
	f.up = upstream_create(&upp);
	assert_non_null(f.up);
	assert_int_equal(upstream_add(f.up, "198.51.100.53/32"), 0);
	dedup_thread_register();
	f.dd = dedup_create(&dp);
	assert_non_null(f.dd);
	struct pipeline_params pp = {
		.worker = 0, .upstream = f.up, .dedup = f.dd,
		.unmatched = PIPELINE_UNMATCHED_DROP,
		.query_timeout_ns = 5000000000ull, .max_queries = 1024,
		.tcp_max_flows = 16, .tcp_timeout_ns = 30000000000ull,
	};
	f.p = pipeline_create(&pp);
	assert_non_null(f.p);
	f.now_ns = 1795734899ull * 1000000000ull;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pipeline_free(f->p);
	dedup_free(f->dd);
	upstream_free(f->up);
	dedup_thread_unregister();
	return 0;
}

static size_t put16(uint8_t *b, size_t o, uint16_t v)
{
	b[o] = (uint8_t)(v >> 8);
	b[o + 1] = (uint8_t)v;
	return o + 2;
}

/* "www.example.test." in wire form */
static size_t put_name(uint8_t *b, size_t o)
{
	static const uint8_t n[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				     4, 't', 'e', 's', 't', 0 };
	memcpy(b + o, n, sizeof(n));
	return o + sizeof(n);
}

/*
 * A DNS message: one question (www.example.test. A IN; for UPDATE this is the zone
 * section), and for a response (or an UPDATE's update section) one A RR 192.0.2.1.
 */
static size_t dns_message(uint8_t *b, uint16_t id, int opcode, int qr, int with_rr)
{
	size_t o = 0;
	o = put16(b, o, id);
	b[o++] = (uint8_t)((qr << 7) | (opcode << 3) | (qr ? 0x04 : 0));	/* AA on answers */
	b[o++] = 0;
	o = put16(b, o, 1);			/* QDCOUNT / ZOCOUNT */
	o = put16(b, o, (uint16_t)with_rr);	/* ANCOUNT / PRCOUNT */
	o = put16(b, o, 0);
	o = put16(b, o, 0);
	o = put_name(b, o);
	o = put16(b, o, 1);
	o = put16(b, o, 1);
	if (with_rr) {
		b[o++] = 0xC0;			/* pointer to the question's name */
		b[o++] = 12;
		o = put16(b, o, 1);
		o = put16(b, o, 1);
		o = put16(b, o, 0);
		o = put16(b, o, 300);
		o = put16(b, o, 4);
		b[o++] = 192; b[o++] = 0; b[o++] = 2; b[o++] = 1;
	}
	return o;
}

/* Every frame the writer builds goes straight through the pipeline, 1 ms apart. */
static void to_pipeline(void *arg, const uint8_t *frame, uint32_t len)
{
	struct fixture *fx = arg;
	struct pkt_info pi;

	assert_int_equal(pipeline_frame(fx->p, frame, len, PKT_LINKTYPE_ETHERNET, fx->now_ns,
					&pi), PIPELINE_DONE);
	fx->now_ns += 1000000;
}

/* The resolver asks, the server answers: one exchange with the given opcode. */
static void exchange(struct fixture *fx, uint16_t id, int opcode)
{
	struct gen_frame_writer fw = { .sink = to_pipeline, .sink_arg = fx };
	struct gen_flow fl = { .cport = 40000, .sport = 53, .mtu = 1500 };
	uint8_t dns[512];
	size_t n;

	memcpy(fl.cli, resolver, sizeof(resolver));
	memcpy(fl.srv, server, sizeof(server));
	n = dns_message(dns, id, opcode, 0, opcode == OPCODE_UPDATE);
	assert_int_equal(gen_frame_udp(&fw, &fl, false, dns, (uint32_t)n), 0);
	n = dns_message(dns, id, opcode, 1, 1);
	assert_int_equal(gen_frame_udp(&fw, &fl, true, dns, (uint32_t)n), 0);
	assert_int_equal(fw.fragments, 0);
}

static void a_query_answer_becomes_one_rrset_observation(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);

	exchange(fx, 0x1234, OPCODE_QUERY);
	assert_int_equal(st->dns_messages, 2);
	assert_int_equal(st->queries, 1);
	assert_int_equal(st->responses_matched, 1);
	assert_int_equal(st->rrsets, 1);
	assert_int_equal(st->dns_not_query, 0);
}

static void notify_and_update_are_counted_and_never_recorded(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);

	exchange(fx, 0x2222, OPCODE_NOTIFY);
	exchange(fx, 0x3333, OPCODE_UPDATE);
	assert_int_equal(st->dns_messages, 4);
	assert_int_equal(st->dns_not_query, 4);
	assert_int_equal(st->queries, 0);
	assert_int_equal(st->responses_matched + st->responses_unmatched, 0);
	assert_int_equal(st->rrsets, 0);
	/* The message identity: every message has one outcome. */
	uint64_t rejects = 0;
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		rejects += st->parse_reject[i];
	assert_int_equal(st->dns_messages, rejects + st->queries + st->responses_matched +
						   st->responses_unmatched + st->dns_other +
						   st->dns_not_query);
}

/*
 * One IPv4 fragment of a UDP datagram with identification id: the first
 * (offset 0, MF) carries the UDP header and 24 payload bytes, the second
 * (offset 32, last) 16 more bytes. Wire bytes built here, by hand.
 */
static uint32_t fragment(uint8_t *f, const uint8_t *src, uint16_t sport, const uint8_t *dst,
			 uint16_t dport, uint16_t id, int first)
{
	size_t data = first ? 8 + 24 : 16;
	memset(f, 0, 20 + data);
	f[0] = 0x45;
	put16(f, 2, (uint16_t)(20 + data));
	put16(f, 4, id);
	put16(f, 6, first ? 0x2000 : (uint16_t)(32 / 8));	/* MF | offset in 8-octet units */
	f[8] = 64;
	f[9] = 17;
	memcpy(f + 12, src, 4);
	memcpy(f + 16, dst, 4);
	if (first) {
		put16(f, 20, sport);
		put16(f, 22, dport);
		put16(f, 24, 8 + 24 + 16);	/* the whole datagram's UDP length */
	}
	return (uint32_t)(20 + data);
}

static enum pipeline_verdict feed(struct fixture *fx, const uint8_t *f, uint32_t len)
{
	struct pkt_info pi;
	return pipeline_frame(fx->p, f, len, PKT_LINKTYPE_RAW, fx->now_ns, &pi);
}

static void client_side_fragments_never_reach_reassembly(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);
	uint8_t f[128];

	/* The resolver answering its client: a fragmented response from port 53. */
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0101, 1)),
			 PIPELINE_DONE);
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0101, 0)),
			 PIPELINE_DONE);
	assert_int_equal(st->frag_fragments, 2);
	assert_int_equal(st->client_side, 2);
	assert_int_equal(st->frag_unclassified, 0);
}

static void upstream_fragments_go_to_reassembly(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);
	uint8_t f[128];

	assert_int_equal(feed(fx, f, fragment(f, server, 53, resolver, 40000, 0x0202, 1)),
			 PIPELINE_FRAGMENT);
	assert_int_equal(feed(fx, f, fragment(f, server, 53, resolver, 40000, 0x0202, 0)),
			 PIPELINE_FRAGMENT);
	assert_int_equal(st->client_side + st->foreign + st->not_dns, 0);
	assert_int_equal(st->frag_unclassified, 0);
}

static void foreign_and_unknown_fragments_are_told_apart(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);
	uint8_t f[128];

	/* Neither end is a resolver: dropped on the addresses alone. */
	assert_int_equal(feed(fx, f, fragment(f, other_a, 53, other_b, 4444, 0x0303, 0)),
			 PIPELINE_DONE);
	assert_int_equal(st->foreign, 1);
	/* A later fragment before its first: the resolver is one end, ports unknown. */
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0404, 0)),
			 PIPELINE_FRAGMENT);
	assert_int_equal(st->frag_unclassified, 1);
	/* A different datagram (another identification) does not inherit a verdict. */
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0101, 1)),
			 PIPELINE_DONE);
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0505, 0)),
			 PIPELINE_FRAGMENT);
	assert_int_equal(st->frag_unclassified, 2);
}

/* A first fragment's verdict lives as long as the reassembly table holds fragments. */
static void a_verdict_expires_with_the_reassembly_timeout(void **state)
{
	struct fixture *fx = *state;
	const struct dp_stats *st = pipeline_stats(fx->p);
	uint8_t f[128];

	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0606, 1)),
			 PIPELINE_DONE);
	fx->now_ns += PIPELINE_FRAG_TIMEOUT_NS + 1;
	assert_int_equal(feed(fx, f, fragment(f, resolver, 53, client, 5555, 0x0606, 0)),
			 PIPELINE_FRAGMENT);
	assert_int_equal(st->frag_unclassified, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_query_answer_becomes_one_rrset_observation,
						setup, teardown),
		cmocka_unit_test_setup_teardown(notify_and_update_are_counted_and_never_recorded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(client_side_fragments_never_reach_reassembly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(upstream_fragments_go_to_reassembly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_and_unknown_fragments_are_told_apart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_verdict_expires_with_the_reassembly_timeout,
						setup, teardown),
	};
	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
