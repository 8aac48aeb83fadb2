/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared message and frame writers (bench/gen_msg, bench/gen_frame) that the
 * trace generator and tests build traffic with. The oracles are the wire library's
 * decoder and DNS parser (themselves checked against tshark and hand-built bytes):
 * what the writers build must decode to what was asked for, and what they cannot
 * hold they refuse without writing anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/gen_frame.h"
#include "bench/gen_msg.h"
#include "wire/dns.h"
#include "wire/pkt.h"

#define MAX_CAUGHT 16

/* The frames a writer sent, copied out of the sink. */
struct caught {
	unsigned int n;
	uint32_t len[MAX_CAUGHT];
	uint8_t f[MAX_CAUGHT][GEN_MAX_FRAME + 64];
};

static void catch_frame(void *arg, const uint8_t *frame, uint32_t len)
{
	struct caught *c = arg;

	assert_true(c->n < MAX_CAUGHT);
	assert_true(len <= sizeof(c->f[0]));
	memcpy(c->f[c->n], frame, len);
	c->len[c->n++] = len;
}

static void flow_init(struct gen_flow *fl, bool v6, bool vlan, uint16_t mtu)
{
	static const uint8_t cli4[4] = { 198, 51, 100, 53 }, srv4[4] = { 192, 0, 2, 1 };
	static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x53, [15] = 0x10 };
	static const uint8_t srv6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x10, [15] = 0x53 };

	memset(fl, 0, sizeof(*fl));
	fl->v6 = v6;
	fl->vlan = vlan;
	fl->vid = 300;
	memcpy(fl->cli, v6 ? cli6 : cli4, v6 ? 16 : 4);
	memcpy(fl->srv, v6 ? srv6 : srv4, v6 ? 16 : 4);
	fl->cport = 40001;
	fl->sport = 53;
	fl->mtu = mtu;
	fl->mss = (uint16_t)(mtu - (v6 ? 60 : 40));
	fl->cseq = 1000;
	fl->sseq = 0xfffffff0u;	/* wraps during the test */
}

static void fill(uint8_t *b, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7u);
}

static void udp_datagrams_decode_to_their_flow(void **state)
{
	uint8_t msg[300];

	(void)state;
	fill(msg, sizeof(msg), 1);
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int vlan = 0; vlan <= 1; vlan++) {
			static struct caught c;
			struct gen_frame_writer fw = { .sink = catch_frame, .sink_arg = &c };
			struct gen_flow fl;
			struct pkt_info pi;

			c.n = 0;
			flow_init(&fl, v6, vlan, 1500);
			assert_int_equal(gen_frame_udp(&fw, &fl, true, msg, sizeof(msg)), 0);
			assert_int_equal(c.n, 1);
			assert_int_equal(c.len[0], 14 + (vlan ? 4 : 0) + (v6 ? 40 : 20) + 8 +
					 sizeof(msg));
			assert_int_equal(pkt_decode(c.f[0], c.len[0], PKT_LINKTYPE_ETHERNET, &pi), 0);
			assert_int_equal(pi.ip_version, v6 ? 6 : 4);
			assert_int_equal(pi.l4_proto, 17);
			assert_false(pi.is_fragment);
			assert_memory_equal(pi.src_addr, fl.srv, v6 ? 16 : 4);
			assert_memory_equal(pi.dst_addr, fl.cli, v6 ? 16 : 4);
			assert_int_equal(pi.src_port, 53);
			assert_int_equal(pi.dst_port, 40001);
			assert_int_equal(pi.vlan_count, vlan ? 1 : 0);
			if (vlan)
				assert_int_equal(pi.vlan_id[0], 300);
			assert_int_equal(pi.payload_len, sizeof(msg));
			assert_memory_equal(pi.payload, msg, sizeof(msg));
			assert_int_equal(fw.ipv6_frames, v6 ? 1 : 0);
			assert_int_equal(fw.vlan_frames, vlan ? 1 : 0);
			assert_int_equal(fw.fragments, 0);
		}
	}
}

/* A datagram over the MTU leaves as in-order fragments that tile it exactly. */
static void large_datagrams_fragment_in_order(void **state)
{
	uint8_t msg[GEN_MAX_DNS_MSG];

	(void)state;
	fill(msg, sizeof(msg), 9);
	for (int v6 = 0; v6 <= 1; v6++) {
		static struct caught c;
		struct gen_frame_writer fw = { .sink = catch_frame, .sink_arg = &c, .ip4_id = 77 };
		struct gen_flow fl;
		uint8_t whole[8 + GEN_MAX_DNS_MSG];
		uint32_t at = 0, id = 0;

		c.n = 0;
		flow_init(&fl, v6, false, 1280);
		assert_int_equal(gen_frame_udp(&fw, &fl, true, msg, sizeof(msg)), 0);
		assert_true(c.n >= 4);
		assert_int_equal(fw.fragments, c.n);
		for (unsigned int i = 0; i < c.n; i++) {
			struct pkt_info pi;

			assert_true(c.len[i] <= 14u + 1280u);
			assert_int_equal(pkt_decode(c.f[i], c.len[i], PKT_LINKTYPE_ETHERNET, &pi), 0);
			assert_true(pi.is_fragment);
			assert_int_equal(pi.frag_offset, at);
			assert_int_equal(pi.frag_more, i + 1 < c.n);
			if (i == 0)
				id = pi.frag_id;
			assert_int_equal(pi.frag_id, id);
			assert_true(at + pi.payload_len <= sizeof(whole));
			memcpy(whole + at, pi.payload, pi.payload_len);
			at += pi.payload_len;
		}
		assert_int_equal(at, 8 + sizeof(msg));
		assert_int_equal(whole[4] << 8 | whole[5], 8 + sizeof(msg));	/* UDP length */
		assert_memory_equal(whole + 8, msg, sizeof(msg));
		if (!v6)
			assert_int_equal(id, 77);
	}
}

/* SYN and FIN take a sequence number, data its length; the MSS option rides on SYN. */
static void tcp_segments_carry_sequence_numbers(void **state)
{
	static struct caught c;
	struct gen_frame_writer fw = { .sink = catch_frame, .sink_arg = &c };
	struct gen_flow fl;
	struct pkt_info pi;
	uint8_t data[100];

	(void)state;
	fill(data, sizeof(data), 3);
	flow_init(&fl, false, false, 1500);
	assert_int_equal(gen_frame_tcp(&fw, &fl, false, PKT_TCP_SYN, NULL, 0), 0);
	assert_int_equal(gen_frame_tcp(&fw, &fl, true, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0), 0);
	assert_int_equal(gen_frame_tcp(&fw, &fl, false, PKT_TCP_ACK | PKT_TCP_PSH, data,
				       sizeof(data)), 0);
	assert_int_equal(gen_frame_tcp(&fw, &fl, true, PKT_TCP_FIN | PKT_TCP_ACK, NULL, 0), 0);
	assert_int_equal(c.n, 4);

	assert_int_equal(pkt_decode(c.f[0], c.len[0], PKT_LINKTYPE_ETHERNET, &pi), 0);
	assert_int_equal(pi.tcp_flags, PKT_TCP_SYN);
	assert_int_equal(pi.tcp_seq, 1000);
	assert_int_equal(pi.payload_len, 0);
	/* 20-byte header + MSS option (kind 2, length 4, fl.mss). */
	const uint8_t *opt = c.f[0] + pi.l4_off + 20;
	assert_int_equal(pi.l4_off + 24, c.len[0]);
	assert_int_equal(opt[0], 2);
	assert_int_equal(opt[1], 4);
	assert_int_equal(opt[2] << 8 | opt[3], 1460);

	assert_int_equal(pkt_decode(c.f[1], c.len[1], PKT_LINKTYPE_ETHERNET, &pi), 0);
	assert_int_equal(pi.tcp_seq, 0xfffffff0u);
	assert_int_equal(pi.tcp_ack, 1001);

	assert_int_equal(pkt_decode(c.f[2], c.len[2], PKT_LINKTYPE_ETHERNET, &pi), 0);
	assert_int_equal(pi.tcp_seq, 1001);
	assert_int_equal(pi.tcp_ack, 0xfffffff1u);
	assert_int_equal(pi.payload_len, sizeof(data));
	assert_memory_equal(pi.payload, data, sizeof(data));

	assert_int_equal(pkt_decode(c.f[3], c.len[3], PKT_LINKTYPE_ETHERNET, &pi), 0);
	assert_int_equal(pi.tcp_seq, 0xfffffff1u);
	assert_int_equal(pi.tcp_ack, 1101);
	assert_int_equal(fl.sseq, 0xfffffff2u);
	assert_int_equal(fl.cseq, 1101);
}

/* What the writer cannot hold is refused with nothing sent and nothing advanced. */
static void writer_refuses_what_it_cannot_hold(void **state)
{
	static struct caught c;
	struct gen_frame_writer fw = { .sink = catch_frame, .sink_arg = &c, .ip4_id = 5 };
	struct gen_flow fl;
	static uint8_t big[GEN_MAX_DNS_MSG + 1];
	uint8_t l4[8] = { 0 };

	(void)state;
	c.n = 0;
	flow_init(&fl, false, false, 9000);	/* a jumbo MTU: frames would not fit */
	assert_int_equal(gen_frame_udp(&fw, &fl, false, big, 10), -1);
	fl.mtu = GEN_MIN_MTU - 1;
	assert_int_equal(gen_frame_udp(&fw, &fl, false, big, 10), -1);
	fl.mtu = 1500;
	assert_int_equal(gen_frame_udp(&fw, &fl, false, big, sizeof(big)), -1);
	assert_int_equal(gen_frame_tcp(&fw, &fl, false, PKT_TCP_ACK, big, GEN_MAX_FRAME + 1), -1);
	assert_int_equal(fl.cseq, 1000);
	assert_int_equal(gen_frame_l4(&fw, &fl, false, 1 /* ICMP */, l4, sizeof(l4)), -1);
	assert_int_equal(gen_frame_l4(&fw, &fl, false, 6, l4, sizeof(l4)), -1);	/* < TCP header */
	assert_int_equal(c.n, 0);
	assert_int_equal(fw.ip4_id, 5);
	/* The limits themselves are accepted. */
	assert_int_equal(gen_frame_udp(&fw, &fl, false, big, GEN_MAX_DNS_MSG), 0);
	fl.mtu = GEN_MIN_MTU;
	c.n = 0;
	assert_int_equal(gen_frame_udp(&fw, &fl, false, big, 10), 0);
	assert_int_equal(c.n, 1);
}

static void name_of(struct gen_name *n, const char *dotted)
{
	gen_name_clear(n);
	gen_name_dotted(n, dotted);
	gen_name_finish(n);
}

/* A message with repeated names parses to the same question and RRs, compressed. */
static void messages_parse_back_and_compress_names(void **state)
{
	static struct gen_msg m;
	static struct dns_msg d;
	struct gen_name q, ns1;
	uint8_t buf[512];
	uint32_t at;
	static const uint8_t a[4] = { 192, 0, 2, 7 };
	static const uint8_t ns1_wire[] = { 3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l',
					    'e', 4, 't', 'e', 's', 't', 0 };

	(void)state;
	name_of(&q, "example.test");
	name_of(&ns1, "ns1.example.test");
	gen_msg_init(&m, buf, sizeof(buf));
	gen_msg_header(&m, 0xbeef, 0x8400);	/* QR AA */
	gen_msg_question(&m, &q, 2);
	at = gen_msg_rr_begin(&m, GEN_SEC_AN, &q, 2, 3600);
	gen_msg_name(&m, &ns1, true);
	gen_msg_rr_end(&m, at);
	at = gen_msg_rr_begin(&m, GEN_SEC_AR, &ns1, 1, 300);
	gen_msg_bytes(&m, a, sizeof(a));
	gen_msg_rr_end(&m, at);
	gen_msg_finish(&m);
	assert_false(m.overflow);
	/* Header 12, question 14 + 4; the rest of the names are pointers: 2 + 10 + 6 (ns1 +
	 * pointer), 2 + 10 + 4. */
	assert_int_equal(m.len, 12 + 18 + 18 + 16);

	assert_int_equal(dns_parse(buf, m.len, &d), 0);
	assert_int_equal(d.id, 0xbeef);
	assert_true(d.qr);
	assert_true(d.aa);
	assert_int_equal(d.qdcount, 1);
	assert_int_equal(d.ancount, 1);
	assert_int_equal(d.nscount, 0);
	assert_int_equal(d.arcount, 1);
	assert_int_equal(d.qtype, 2);
	assert_int_equal(d.qclass, 1);
	assert_int_equal(d.rr_count, 2);
	assert_int_equal(d.rr[0].rrtype, 2);
	assert_int_equal(d.rr[0].ttl, 3600);
	assert_int_equal(d.rr[0].rdlen, sizeof(ns1_wire));
	assert_memory_equal(d.rr[0].rdata, ns1_wire, sizeof(ns1_wire));
	assert_int_equal(d.rr[1].rrtype, 1);
	assert_int_equal(d.rr[1].owner_len, sizeof(ns1_wire));
	assert_memory_equal(d.rr[1].owner, ns1_wire, sizeof(ns1_wire));
	assert_memory_equal(d.rr[1].rdata, a, sizeof(a));
}

/* Writes past the buffer are dropped and flagged, never made. */
static void overflow_is_flagged_and_bounded(void **state)
{
	static struct gen_msg m;
	struct gen_name q;
	uint8_t buf[40 + 8];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	name_of(&q, "a-rather-long-label-for-a-small-buffer.example.test");
	gen_msg_init(&m, buf, 40);
	gen_msg_header(&m, 1, 0);
	gen_msg_question(&m, &q, 1);
	gen_msg_finish(&m);
	assert_true(m.overflow);
	assert_true(m.len <= 40);
	for (size_t i = 40; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
	/* Too small even for a header. */
	gen_msg_init(&m, buf, 11);
	assert_true(m.overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_datagrams_decode_to_their_flow),
		cmocka_unit_test(large_datagrams_fragment_in_order),
		cmocka_unit_test(tcp_segments_carry_sequence_numbers),
		cmocka_unit_test(writer_refuses_what_it_cannot_hold),
		cmocka_unit_test(messages_parse_back_and_compress_names),
		cmocka_unit_test(overflow_is_flagged_and_bounded),
	};
	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
