/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame decoder: hand-built frames for every link type, tag, header and reject code,
 * every prefix of every valid frame in an exactly-sized heap buffer (ASan catches a
 * read past caplen), and every record of the shared public captures checked against
 * what tshark sees on port 53.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wire/err.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"

/* ---- frame builders: each writes one layer in front of an already built payload ---- */

#define MAXF 4096

struct frame {
	uint8_t b[MAXF];
	size_t n;
};

static void prepend(struct frame *f, const uint8_t *hdr, size_t n)
{
	assert_true(f->n + n <= MAXF);
	memmove(f->b + n, f->b, f->n);
	memcpy(f->b, hdr, n);
	f->n += n;
}

static void append(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= MAXF);
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A DNS-looking payload of n bytes whose bytes tell their position. */
static void dns_payload(struct frame *f, size_t n)
{
	f->n = 0;
	for (size_t i = 0; i < n; i++)
		f->b[f->n++] = (uint8_t)(0x40 + i);
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t h[8] = { 0 };

	be16(h, sport);
	be16(h + 2, dport);
	be16(h + 4, (uint32_t)(f->n + 8));
	prepend(f, h, sizeof(h));
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, unsigned int opt_words)
{
	uint8_t h[60] = { 0 };
	size_t len = 20 + 4 * opt_words;

	be16(h, sport);
	be16(h + 2, dport);
	be32(h + 4, seq);
	be32(h + 8, ack);
	h[12] = (uint8_t)((len / 4) << 4);
	h[13] = flags;
	be16(h + 14, 65535);
	for (size_t i = 20; i < len; i++)
		h[i] = 1;	/* NOP options */
	prepend(f, h, len);
}

static const uint8_t v4_src[4] = { 198, 51, 100, 7 };
static const uint8_t v4_dst[4] = { 192, 0, 2, 53 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };

/* frag: the flags/offset field as on the wire (MF = 0x2000, offset in 8-byte units). */
static void ipv4(struct frame *f, uint8_t proto, unsigned int opt_words, uint16_t frag, uint16_t id)
{
	uint8_t h[60] = { 0 };
	size_t len = 20 + 4 * opt_words;

	h[0] = (uint8_t)(0x40 | (len / 4));
	be16(h + 2, (uint32_t)(len + f->n));
	be16(h + 4, id);
	be16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, v4_src, 4);
	memcpy(h + 16, v4_dst, 4);
	for (size_t i = 20; i < len; i++)
		h[i] = 1;	/* NOP options */
	prepend(f, h, len);
}

static void ipv6(struct frame *f, uint8_t next)
{
	uint8_t h[40] = { 0 };

	h[0] = 0x60;
	be16(h + 4, (uint32_t)f->n);
	h[6] = next;
	h[7] = 64;
	memcpy(h + 8, v6_src, 16);
	memcpy(h + 24, v6_dst, 16);
	prepend(f, h, sizeof(h));
}

/* Generic extension header (hop-by-hop, routing, destination options): (units+1)*8 bytes. */
static void ip6_ext(struct frame *f, uint8_t next, uint8_t units)
{
	uint8_t h[2048] = { 0 };
	size_t len = ((size_t)units + 1) * 8;

	h[0] = next;
	h[1] = units;
	h[2] = 1;	/* PadN option / routing type 1 */
	h[3] = (uint8_t)(len - 4);
	prepend(f, h, len);
}

static void ip6_ah(struct frame *f, uint8_t next, uint8_t payload_len_field)
{
	uint8_t h[1100] = { 0 };
	size_t len = ((size_t)payload_len_field + 2) * 4;

	h[0] = next;
	h[1] = payload_len_field;
	be32(h + 4, 0x1234);	/* SPI */
	prepend(f, h, len);
}

static void ip6_frag(struct frame *f, uint8_t next, uint16_t offset_bytes, int more, uint32_t id)
{
	uint8_t h[8] = { 0 };

	h[0] = next;
	be16(h + 2, (uint32_t)(offset_bytes | (more ? 1 : 0)));
	be32(h + 4, id);
	prepend(f, h, sizeof(h));
}

static void ether(struct frame *f, uint16_t type, const uint16_t *tpids, const uint16_t *vids,
		  int nvlan)
{
	uint8_t h[14 + 4 * 8] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };
	size_t pos = 12;

	for (int i = 0; i < nvlan; i++) {
		be16(h + pos, tpids[i]);
		be16(h + pos + 2, (uint32_t)(0x2000 | vids[i]));	/* PCP 1 must not leak in */
		pos += 4;
	}
	be16(h + pos, type);
	prepend(f, h, pos + 2);
}

static void eth_plain(struct frame *f, uint16_t type)
{
	ether(f, type, NULL, NULL, 0);
}

/* ---- checks ---- */

static int decode(const struct frame *f, uint32_t linktype, struct pkt_info *pi)
{
	return pkt_decode(f->b, (uint32_t)f->n, linktype, pi);
}

/* Whatever the decoder returns on success must lie inside the frame. */
static void assert_inside(const uint8_t *frame, uint32_t caplen, const struct pkt_info *pi)
{
	assert_true(pi->ip_version == 4 || pi->ip_version == 6);
	assert_int_equal(pi->addr_len, pi->ip_version == 4 ? 4 : 16);
	assert_int_equal(pi->l2_len, pi->l3_off);
	assert_true((uint64_t)pi->l3_off + pi->l3_len <= caplen);
	assert_non_null(pi->payload);
	assert_true(pi->payload >= frame + pi->l3_off);
	assert_true(pi->payload + pi->payload_len <= frame + pi->l3_off + pi->l3_len);
	assert_true(pi->vlan_count <= PKT_MAX_VLANS);
	if (pi->l4_valid) {
		assert_true(pi->l4_proto == 6 || pi->l4_proto == 17);
		assert_true(pi->l4_off > pi->l3_off);
		assert_true((uint32_t)pi->l4_off + (pi->l4_proto == 6 ? 20 : 8) <=
			    (uint32_t)pi->l3_off + pi->l3_len);
	} else {
		assert_true(pi->is_fragment);
		assert_int_equal(pi->l4_off, 0);
		assert_int_equal(pi->src_port, 0);
		assert_int_equal(pi->dst_port, 0);
	}
}

static void assert_ok_at(const struct frame *f, uint32_t linktype, struct pkt_info *pi, int line)
{
	int rc = decode(f, linktype, pi);

	if (rc != 0)
		fail_msg("line %d: decode: %s", line, dnsift_errname(rc));
	assert_inside(f->b, (uint32_t)f->n, pi);
}

static void assert_rc_at(const struct frame *f, uint32_t linktype, int want, int line)
{
	struct pkt_info pi;
	int rc = decode(f, linktype, &pi);

	if (rc != want)
		fail_msg("line %d: decode: got %s, want %s", line, dnsift_errname(rc),
			 dnsift_errname(want));
}

/* Macros so that a failure names the test's line, not the helper's. */
#define assert_ok(f, linktype, pi)	assert_ok_at(f, linktype, pi, __LINE__)
#define assert_rc(f, linktype, want)	assert_rc_at(f, linktype, want, __LINE__)

/* ---- Ethernet, VLAN, IPv4, UDP ---- */

static void ethernet_ipv4_udp_fields(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 29);
	udp(&f, 40000, 53);
	ipv4(&f, 17, 0, 0, 0x1234);
	eth_plain(&f, 0x0800);
	assert_ok(&f, 1, &pi);
	assert_int_equal(pi.l2_len, 14);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l3_len, 20 + 8 + 29);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.ip_version, 4);
	assert_int_equal(pi.addr_len, 4);
	assert_memory_equal(pi.src_addr, v4_src, 4);
	assert_memory_equal(pi.dst_addr, v4_dst, 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(pi.src_addr[i] | pi.dst_addr[i], 0);
	assert_int_equal(pi.l4_proto, 17);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.src_port, 40000);
	assert_int_equal(pi.dst_port, 53);
	assert_ptr_equal(pi.payload, f.b + 42);
	assert_int_equal(pi.payload_len, 29);
	assert_int_equal(pi.payload[0], 0x40);
	assert_false(pi.is_fragment);
	assert_int_equal(pi.vlan_count, 0);
}

static void ethernet_padding_and_fcs_are_trimmed(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;
	const uint8_t pad[22] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

	dns_payload(&f, 4);
	udp(&f, 53, 33333);
	ipv4(&f, 17, 0, 0, 1);
	eth_plain(&f, 0x0800);
	append(&f, pad, sizeof(pad));	/* 60-byte minimum frame plus a 4-byte FCS */
	assert_ok(&f, 1, &pi);
	assert_int_equal(pi.l3_len, 32);
	assert_int_equal(pi.payload_len, 4);
	assert_int_equal(pi.src_port, 53);
}

static void udp_length_shorter_than_ip_payload_wins(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 20);
	udp(&f, 1053, 53);
	be16(f.b + 4, 8 + 12);	/* the last 8 bytes are inside IP but not UDP */
	ipv4(&f, 17, 0, 0, 1);
	assert_ok(&f, 228, &pi);
	assert_int_equal(pi.payload_len, 12);
}

static void vlan_8021q_qinq_and_9100_tags_expose_ids(void **state)
{
	(void)state;
	const uint16_t tpids[5] = { 0x88a8, 0x8100, 0x9100, 0x8100, 0x8100 };
	const uint16_t vids[5] = { 4094, 1, 100, 2048, 7 };

	for (int n = 1; n <= 4; n++) {
		struct frame f;
		struct pkt_info pi;

		dns_payload(&f, 12);
		udp(&f, 5353, 53);
		ipv4(&f, 17, 0, 0, 1);
		ether(&f, 0x0800, tpids + (n == 1 ? 1 : 0), vids + (n == 1 ? 1 : 0), n);
		assert_ok(&f, 1, &pi);
		assert_int_equal(pi.vlan_count, n);
		assert_int_equal(pi.l2_len, 14 + 4 * n);
		assert_int_equal(pi.l3_off, 14 + 4 * n);
		for (int i = 0; i < n; i++)
			assert_int_equal(pi.vlan_id[i], vids[i + (n == 1 ? 1 : 0)]);
		assert_int_equal(pi.dst_port, 53);
	}
	/* each TPID alone */
	for (int i = 0; i < 3; i++) {
		struct frame f;
		struct pkt_info pi;

		dns_payload(&f, 12);
		udp(&f, 5353, 53);
		ipv6(&f, 17);
		ether(&f, 0x86dd, tpids + i, vids + i, 1);
		assert_ok(&f, 1, &pi);
		assert_int_equal(pi.vlan_count, 1);
		assert_int_equal(pi.vlan_id[0], vids[i]);
		assert_int_equal(pi.ip_version, 6);
	}
}

static void fifth_vlan_tag_is_too_deep(void **state)
{
	(void)state;
	const uint16_t tpids[5] = { 0x88a8, 0x8100, 0x8100, 0x8100, 0x8100 };
	const uint16_t vids[5] = { 1, 2, 3, 4, 5 };
	struct frame f;

	dns_payload(&f, 12);
	udp(&f, 5353, 53);
	ipv4(&f, 17, 0, 0, 1);
	ether(&f, 0x0800, tpids, vids, 5);
	assert_rc(&f, 1, -DNSIFT_EPKT_VLAN_DEPTH);
}

static void non_ip_ethertypes_are_not_ip(void **state)
{
	(void)state;
	struct frame f;

	dns_payload(&f, 28);
	eth_plain(&f, 0x0806);	/* ARP */
	assert_rc(&f, 1, -DNSIFT_EPKT_NOT_IP);
	dns_payload(&f, 46);
	eth_plain(&f, 46);	/* 802.3 length field */
	assert_rc(&f, 1, -DNSIFT_EPKT_NOT_IP);
	dns_payload(&f, 46);
	eth_plain(&f, 0x8847);	/* MPLS */
	assert_rc(&f, 1, -DNSIFT_EPKT_NOT_IP);
}

static void short_ethernet_header_is_l2_truncated(void **state)
{
	(void)state;
	struct frame f = { .n = 13 };
	const uint16_t tpid = 0x8100, vid = 5;

	assert_rc(&f, 1, -DNSIFT_EPKT_L2_TRUNCATED);
	f.n = 0;
	ether(&f, 0x0800, &tpid, &vid, 1);
	f.n = 17;	/* the tag is cut */
	assert_rc(&f, 1, -DNSIFT_EPKT_L2_TRUNCATED);
}

static void ipv4_options_are_skipped(void **state)
{
	(void)state;
	for (unsigned int words = 1; words <= 10; words++) {
		struct frame f;
		struct pkt_info pi;

		dns_payload(&f, 33);
		udp(&f, 1, 53);
		ipv4(&f, 17, words, 0, 1);
		eth_plain(&f, 0x0800);
		assert_ok(&f, 1, &pi);
		assert_int_equal(pi.l4_off, 14 + 20 + 4 * words);
		assert_int_equal(pi.payload_len, 33);
		assert_int_equal(pi.payload[0], 0x40);
	}
}

static void ipv4_header_rejects(void **state)
{
	(void)state;
	struct frame f, good;

	dns_payload(&good, 16);
	udp(&good, 1, 53);
	ipv4(&good, 17, 0, 0, 1);

	f = good;
	f.b[0] = 0x65;
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_VERSION);
	eth_plain(&f, 0x0800);	/* EtherType says v4, header says otherwise */
	assert_rc(&f, 1, -DNSIFT_EPKT_IP4_VERSION);

	f = good;
	f.b[0] = 0x44;
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_IHL);

	f = good;
	f.b[0] = 0x4f;	/* 60-byte header in a 44-byte packet */
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_IHL);

	f = good;
	be16(f.b + 2, 19);
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_TOTLEN);

	f = good;
	be16(f.b + 2, (uint32_t)f.n + 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_TRUNCATED);

	f = good;
	f.n = 19;
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_TRUNCATED);
}

static void ipv4_transport_rejects(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 16);
	ipv4(&f, 1, 0, 0, 1);	/* ICMP */
	assert_rc(&f, 228, -DNSIFT_EPKT_NOT_UDP_TCP);

	dns_payload(&f, 7);
	ipv4(&f, 17, 0, 0, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_UDP_TRUNCATED);

	dns_payload(&f, 16);
	udp(&f, 1, 53);
	be16(f.b + 4, 7);
	ipv4(&f, 17, 0, 0, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_UDP_LENGTH);

	dns_payload(&f, 16);
	udp(&f, 1, 53);
	be16(f.b + 4, 8 + 17);
	ipv4(&f, 17, 0, 0, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_UDP_LENGTH);

	dns_payload(&f, 16);
	udp(&f, 1, 53);
	be16(f.b + 4, 8);	/* empty UDP datagram is legal */
	ipv4(&f, 17, 0, 0, 1);
	assert_ok(&f, 228, &pi);
	assert_int_equal(pi.payload_len, 0);

	dns_payload(&f, 19);
	ipv4(&f, 6, 0, 0, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_TCP_TRUNCATED);
}

static void tcp_fields_and_options(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 51);
	tcp(&f, 53, 41000, 0xdeadbeef, 0x01020304, PKT_TCP_ACK | PKT_TCP_PSH, 3);
	ipv4(&f, 6, 0, 0x4000 /* DF is not a fragment */, 9);
	eth_plain(&f, 0x0800);
	assert_ok(&f, 1, &pi);
	assert_int_equal(pi.l4_proto, 6);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.dst_port, 41000);
	assert_int_equal(pi.tcp_seq, 0xdeadbeef);
	assert_int_equal(pi.tcp_ack, 0x01020304);
	assert_int_equal(pi.tcp_flags, PKT_TCP_ACK | PKT_TCP_PSH);
	assert_int_equal(pi.l4_off, 34);
	assert_ptr_equal(pi.payload, f.b + 34 + 32);
	assert_int_equal(pi.payload_len, 51);
	assert_false(pi.is_fragment);

	dns_payload(&f, 0);
	tcp(&f, 41000, 53, 7, 0, PKT_TCP_SYN, 0);
	ipv6(&f, 6);
	assert_ok(&f, 229, &pi);
	assert_int_equal(pi.tcp_flags, PKT_TCP_SYN);
	assert_int_equal(pi.payload_len, 0);
}

static void tcp_bad_data_offset(void **state)
{
	(void)state;
	struct frame f;

	dns_payload(&f, 8);
	tcp(&f, 53, 1, 1, 1, PKT_TCP_ACK, 0);
	f.b[12] = 4 << 4;
	ipv4(&f, 6, 0, 0, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_TCP_DOFF);

	dns_payload(&f, 8);
	tcp(&f, 53, 1, 1, 1, PKT_TCP_ACK, 0);
	f.b[12] = 8 << 4;	/* 32 bytes claimed, 28 in the segment */
	ipv6(&f, 6);
	assert_rc(&f, 229, -DNSIFT_EPKT_TCP_DOFF);
}

/* ---- IPv4 fragments ---- */

static void ipv4_first_middle_last_fragments(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	/* first: MF, offset 0, UDP header present */
	dns_payload(&f, 32);
	udp(&f, 53, 40001);
	be16(f.b + 4, 3000);	/* length of the whole datagram: not checked here */
	ipv4(&f, 17, 0, 0x2000, 0xbeef);
	eth_plain(&f, 0x0800);
	assert_ok(&f, 1, &pi);
	assert_true(pi.is_fragment);
	assert_true(pi.frag_more);
	assert_int_equal(pi.frag_id, 0xbeef);
	assert_int_equal(pi.frag_offset, 0);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.dst_port, 40001);
	assert_int_equal(pi.l4_off, 34);
	assert_ptr_equal(pi.payload, f.b + 34);	/* fragment data, UDP header included */
	assert_int_equal(pi.payload_len, 40);

	/* middle: MF, offset 40 bytes */
	dns_payload(&f, 16);
	ipv4(&f, 17, 2, 0x2000 | 5, 0xbeef);
	eth_plain(&f, 0x0800);
	assert_ok(&f, 1, &pi);
	assert_true(pi.is_fragment);
	assert_true(pi.frag_more);
	assert_int_equal(pi.frag_offset, 40);
	assert_false(pi.l4_valid);
	assert_int_equal(pi.l4_off, 0);
	assert_int_equal(pi.src_port, 0);
	assert_int_equal(pi.l4_proto, 17);
	assert_ptr_equal(pi.payload, f.b + 14 + 28);
	assert_int_equal(pi.payload_len, 16);
	assert_int_equal(pi.payload[0], 0x40);

	/* last: no MF, offset 56, odd length */
	dns_payload(&f, 13);
	ipv4(&f, 17, 0, 7, 0xbeef);
	assert_ok(&f, 228, &pi);
	assert_true(pi.is_fragment);
	assert_false(pi.frag_more);
	assert_int_equal(pi.frag_offset, 56);
	assert_int_equal(pi.payload_len, 13);
	assert_false(pi.l4_valid);

	/* first fragment of TCP too short for its header: a fragment without ports */
	dns_payload(&f, 16);
	ipv4(&f, 6, 0, 0x2000, 3);
	assert_ok(&f, 228, &pi);
	assert_true(pi.is_fragment);
	assert_false(pi.l4_valid);
	assert_int_equal(pi.l4_proto, 6);

	/* first fragment of TCP with the header */
	dns_payload(&f, 16);
	tcp(&f, 53, 999, 77, 88, PKT_TCP_ACK, 1);
	ipv4(&f, 6, 0, 0x2000, 3);
	assert_ok(&f, 228, &pi);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.tcp_seq, 77);
	assert_int_equal(pi.tcp_ack, 88);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.payload_len, 40);
}

static void ipv4_bad_fragments(void **state)
{
	(void)state;
	struct frame f;

	dns_payload(&f, 13);	/* MF with a length that is not a multiple of 8 */
	ipv4(&f, 17, 0, 0x2000 | 1, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 0);	/* MF with no data */
	ipv4(&f, 17, 0, 0x2000 | 1, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 16);	/* reassembles beyond 65535 */
	ipv4(&f, 17, 0, 0x1fff, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 16);	/* ICMP fragment */
	ipv4(&f, 1, 0, 0x2000 | 1, 1);
	assert_rc(&f, 228, -DNSIFT_EPKT_NOT_UDP_TCP);
}

/* ---- IPv6 ---- */

static void ipv6_udp_fields(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;
	const uint8_t pad[6] = { 0 };

	dns_payload(&f, 45);
	udp(&f, 53, 12345);
	ipv6(&f, 17);
	eth_plain(&f, 0x86dd);
	append(&f, pad, sizeof(pad));
	assert_ok(&f, 1, &pi);
	assert_int_equal(pi.ip_version, 6);
	assert_int_equal(pi.addr_len, 16);
	assert_memory_equal(pi.src_addr, v6_src, 16);
	assert_memory_equal(pi.dst_addr, v6_dst, 16);
	assert_int_equal(pi.l3_len, 40 + 8 + 45);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.payload_len, 45);
	assert_ptr_equal(pi.payload, f.b + 62);
	assert_int_equal(pi.frag_hdr_off, 0);
}

static void ipv6_each_extension_header_is_walked(void **state)
{
	(void)state;
	const uint8_t kinds[] = { 0, 43, 60 };

	for (size_t k = 0; k < sizeof(kinds); k++) {
		for (uint8_t units = 0; units < 4; units++) {
			struct frame f;
			struct pkt_info pi;

			dns_payload(&f, 20);
			udp(&f, 3333, 53);
			ip6_ext(&f, 17, units);
			ipv6(&f, kinds[k]);
			assert_ok(&f, 229, &pi);
			assert_int_equal(pi.l4_off, 40 + (units + 1) * 8);
			assert_int_equal(pi.dst_port, 53);
			assert_int_equal(pi.payload_len, 20);
		}
	}
	/* AH: length in 4-octet units minus 2 (RFC 4302), 12 bytes for the usual ICV-less form */
	for (uint8_t plen = 1; plen < 6; plen++) {
		struct frame f;
		struct pkt_info pi;

		dns_payload(&f, 20);
		udp(&f, 3333, 53);
		ip6_ah(&f, 17, plen);
		ipv6(&f, 51);
		assert_ok(&f, 229, &pi);
		assert_int_equal(pi.l4_off, 40 + (plen + 2) * 4);
		assert_int_equal(pi.payload_len, 20);
	}
	/* all of them in one chain, plus an atomic fragment (RFC 6946: a whole packet) */
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 20);
	tcp(&f, 53, 3333, 1, 2, PKT_TCP_ACK, 0);
	ip6_ext(&f, 6, 1);		/* destination options */
	ip6_ah(&f, 60, 4);
	ip6_frag(&f, 51, 0, 0, 99);	/* atomic */
	ip6_ext(&f, 44, 2);		/* routing */
	ip6_ext(&f, 43, 0);		/* hop-by-hop */
	ipv6(&f, 0);
	assert_ok(&f, 229, &pi);
	assert_false(pi.is_fragment);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.l4_off, 40 + 8 + 24 + 8 + 24 + 16);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.payload_len, 20);
}

static void ipv6_eight_ext_headers_pass_nine_are_too_deep(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	dns_payload(&f, 4);
	udp(&f, 53, 53);
	ip6_ext(&f, 17, 0);
	for (int i = 0; i < 7; i++)
		ip6_ext(&f, 60, 0);
	ipv6(&f, 60);
	assert_ok(&f, 229, &pi);
	assert_int_equal(pi.l4_off, 40 + 64);

	dns_payload(&f, 4);
	udp(&f, 53, 53);
	ip6_ext(&f, 17, 0);
	for (int i = 0; i < 8; i++)
		ip6_ext(&f, 60, 0);
	ipv6(&f, 60);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_EXT_DEPTH);
}

static void ipv6_ext_header_length_is_checked(void **state)
{
	(void)state;
	struct frame f;

	dns_payload(&f, 4);	/* fewer than 8 bytes left for a header */
	ipv6(&f, 0);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_EXTHDR);

	dns_payload(&f, 16);	/* hop-by-hop says 32 bytes, 24 there */
	ip6_ext(&f, 17, 0);
	f.b[1] = 3;
	ipv6(&f, 0);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_EXTHDR);

	dns_payload(&f, 8);	/* AH says 16 bytes, 8 there */
	ip6_ah(&f, 17, 0);
	f.b[1] = 2;
	f.n = 8;
	ipv6(&f, 51);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_EXTHDR);

	dns_payload(&f, 4);	/* fragment header needs 8 */
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_EXTHDR);
}

static void ipv6_header_rejects(void **state)
{
	(void)state;
	struct frame f, good;

	dns_payload(&good, 12);
	udp(&good, 53, 1);
	ipv6(&good, 17);

	f = good;
	f.b[0] = 0x40;
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_VERSION);
	eth_plain(&f, 0x86dd);
	assert_rc(&f, 1, -DNSIFT_EPKT_IP6_VERSION);

	f = good;
	be16(f.b + 4, 21);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_TRUNCATED);

	f = good;
	f.n = 39;
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_TRUNCATED);

	f = good;
	f.b[6] = 58;	/* ICMPv6 */
	assert_rc(&f, 229, -DNSIFT_EPKT_NOT_UDP_TCP);
	f.b[6] = 59;	/* no next header */
	assert_rc(&f, 229, -DNSIFT_EPKT_NOT_UDP_TCP);

	f = good;
	be16(f.b + 40 + 4, 21);	/* UDP longer than the IPv6 payload */
	assert_rc(&f, 229, -DNSIFT_EPKT_UDP_LENGTH);
}

static void ipv6_fragments_after_fixed_and_routing_headers(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	/* first fragment right after the fixed header */
	dns_payload(&f, 24);
	udp(&f, 53, 50000);
	be16(f.b + 4, 4000);
	ip6_frag(&f, 17, 0, 1, 0xa0b0c0d0);
	ipv6(&f, 44);
	eth_plain(&f, 0x86dd);
	assert_ok(&f, 1, &pi);
	assert_true(pi.is_fragment);
	assert_true(pi.frag_more);
	assert_int_equal(pi.frag_id, 0xa0b0c0d0);
	assert_int_equal(pi.frag_offset, 0);
	assert_int_equal(pi.frag_hdr_off, 40);
	assert_int_equal(pi.frag_next_header, 17);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.src_port, 53);
	assert_int_equal(pi.l4_off, 14 + 48);
	assert_ptr_equal(pi.payload, f.b + 14 + 48);
	assert_int_equal(pi.payload_len, 32);

	/* non-first fragment after a routing header */
	dns_payload(&f, 21);
	ip6_frag(&f, 17, 1232, 0, 7);
	ip6_ext(&f, 44, 2);
	ipv6(&f, 43);
	assert_ok(&f, 229, &pi);
	assert_true(pi.is_fragment);
	assert_false(pi.frag_more);
	assert_int_equal(pi.frag_offset, 1232);
	assert_int_equal(pi.frag_hdr_off, 40 + 24);
	assert_int_equal(pi.frag_next_header, 17);
	assert_int_equal(pi.l4_proto, 17);
	assert_false(pi.l4_valid);
	assert_int_equal(pi.l4_off, 0);
	assert_ptr_equal(pi.payload, f.b + 40 + 24 + 8);
	assert_int_equal(pi.payload_len, 21);

	/* first fragment after a routing header, destination options after it */
	dns_payload(&f, 20);
	tcp(&f, 2000, 53, 5, 6, PKT_TCP_ACK, 0);
	ip6_ext(&f, 6, 0);
	ip6_frag(&f, 60, 0, 1, 8);
	ip6_ext(&f, 44, 0);
	ipv6(&f, 43);
	assert_ok(&f, 229, &pi);
	assert_true(pi.is_fragment);
	assert_int_equal(pi.frag_hdr_off, 48);
	assert_int_equal(pi.frag_next_header, 60);
	assert_true(pi.l4_valid);
	assert_int_equal(pi.l4_proto, 6);
	assert_int_equal(pi.dst_port, 53);
	assert_int_equal(pi.l4_off, 40 + 8 + 8 + 8);
	assert_int_equal(pi.payload_len, 8 + 20 + 20);

	/* non-first fragment whose data begins with destination options: kept, proto unknown */
	dns_payload(&f, 16);
	ip6_frag(&f, 60, 8, 0, 8);
	ipv6(&f, 44);
	assert_ok(&f, 229, &pi);
	assert_int_equal(pi.l4_proto, 0);
	assert_int_equal(pi.frag_next_header, 60);
}

static void ipv6_bad_fragments(void **state)
{
	(void)state;
	struct frame f;

	dns_payload(&f, 12);	/* M set, length not a multiple of 8 */
	ip6_frag(&f, 17, 8, 1, 1);
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 16);	/* beyond 65535 once reassembled */
	ip6_frag(&f, 17, 65528, 0, 1);
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 16);	/* nested fragment headers */
	ip6_frag(&f, 17, 0, 1, 1);
	ip6_frag(&f, 44, 0, 1, 1);
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_FRAG_BAD);

	dns_payload(&f, 16);	/* non-first fragment of ICMPv6 */
	ip6_frag(&f, 58, 8, 0, 1);
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_NOT_UDP_TCP);

	dns_payload(&f, 16);	/* first fragment of ICMPv6 */
	ip6_frag(&f, 58, 0, 1, 1);
	ipv6(&f, 44);
	assert_rc(&f, 229, -DNSIFT_EPKT_NOT_UDP_TCP);
}

/* ---- link types ---- */

static void v4_udp(struct frame *f)
{
	dns_payload(f, 17);
	udp(f, 4242, 53);
	ipv4(f, 17, 0, 0, 1);
}

static void v6_udp(struct frame *f)
{
	dns_payload(f, 17);
	udp(f, 4242, 53);
	ipv6(f, 17);
}

static void af_header(struct frame *f, uint32_t af, int big_endian)
{
	uint8_t h[4];

	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(af >> (big_endian ? 24 - 8 * i : 8 * i));
	prepend(f, h, 4);
}

static void null_and_loop_accept_every_af_in_both_orders(void **state)
{
	(void)state;
	const uint32_t v6_afs[] = { 24, 28, 30 };
	const uint32_t linktypes[] = { 0, 108 };

	for (int lt = 0; lt < 2; lt++) {
		for (int be = 0; be < 2; be++) {
			struct frame f;
			struct pkt_info pi;

			v4_udp(&f);
			af_header(&f, 2, be);
			assert_ok(&f, linktypes[lt], &pi);
			assert_int_equal(pi.ip_version, 4);
			assert_int_equal(pi.l2_len, 4);
			assert_int_equal(pi.l4_off, 24);
			for (size_t i = 0; i < 3; i++) {
				v6_udp(&f);
				af_header(&f, v6_afs[i], be);
				assert_ok(&f, linktypes[lt], &pi);
				assert_int_equal(pi.ip_version, 6);
				assert_int_equal(pi.l3_off, 4);
			}
			v4_udp(&f);
			af_header(&f, 7, be);	/* AF_NS: not IP */
			assert_rc(&f, linktypes[lt], -DNSIFT_EPKT_NOT_IP);
			v4_udp(&f);
			af_header(&f, 0x01020304, be);
			assert_rc(&f, linktypes[lt], -DNSIFT_EPKT_NOT_IP);
		}
		struct frame f = { .n = 3 };
		assert_rc(&f, linktypes[lt], -DNSIFT_EPKT_L2_TRUNCATED);
	}
}

static void raw_link_types_pick_the_version_from_the_header(void **state)
{
	(void)state;
	const uint32_t raws[] = { 101, 12, 14 };

	for (int i = 0; i < 3; i++) {
		struct frame f;
		struct pkt_info pi;

		v4_udp(&f);
		assert_ok(&f, raws[i], &pi);
		assert_int_equal(pi.ip_version, 4);
		assert_int_equal(pi.l2_len, 0);
		assert_int_equal(pi.l4_off, 20);
		v6_udp(&f);
		assert_ok(&f, raws[i], &pi);
		assert_int_equal(pi.ip_version, 6);
		f.b[0] = 0x50;
		assert_rc(&f, raws[i], -DNSIFT_EPKT_NOT_IP);
		f.n = 0;
		assert_rc(&f, raws[i], -DNSIFT_EPKT_NOT_IP);
	}
	struct frame f;
	struct pkt_info pi;

	v4_udp(&f);
	assert_ok(&f, 228, &pi);
	assert_rc(&f, 229, -DNSIFT_EPKT_IP6_VERSION);
	v6_udp(&f);
	assert_ok(&f, 229, &pi);
	assert_rc(&f, 228, -DNSIFT_EPKT_IP4_VERSION);
}

static void linux_cooked_v1_and_v2(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;
	uint8_t sll[16] = { 0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0 };
	uint8_t sll2[20] = { 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1 };

	v4_udp(&f);
	be16(sll + 14, 0x0800);
	prepend(&f, sll, sizeof(sll));
	assert_ok(&f, 113, &pi);
	assert_int_equal(pi.l2_len, 16);
	assert_int_equal(pi.dst_port, 53);

	v6_udp(&f);
	uint8_t tag[4] = { 0, 42, 0x86, 0xdd };
	prepend(&f, tag, 4);
	be16(sll + 14, 0x8100);	/* tag not offloaded by the capturing kernel */
	prepend(&f, sll, sizeof(sll));
	assert_ok(&f, 113, &pi);
	assert_int_equal(pi.vlan_count, 1);
	assert_int_equal(pi.vlan_id[0], 42);
	assert_int_equal(pi.l3_off, 20);

	v6_udp(&f);
	be16(sll2, 0x86dd);
	prepend(&f, sll2, sizeof(sll2));
	assert_ok(&f, 276, &pi);
	assert_int_equal(pi.l2_len, 20);
	assert_int_equal(pi.ip_version, 6);

	be16(f.b, 0x0806);
	assert_rc(&f, 276, -DNSIFT_EPKT_NOT_IP);
	f.n = 19;
	assert_rc(&f, 276, -DNSIFT_EPKT_L2_TRUNCATED);
	f.n = 15;
	assert_rc(&f, 113, -DNSIFT_EPKT_L2_TRUNCATED);
}

static void unknown_link_type_and_null_arguments(void **state)
{
	(void)state;
	struct frame f;
	struct pkt_info pi;

	v4_udp(&f);
	assert_rc(&f, 105, -DNSIFT_EPKT_LINKTYPE);	/* 802.11 */
	assert_rc(&f, 0xffffffffu, -DNSIFT_EPKT_LINKTYPE);
	assert_int_equal(pkt_decode(f.b, (uint32_t)f.n, 101, NULL), -DNSIFT_EINVAL);
	assert_int_equal(pkt_decode(NULL, 0, 101, &pi), -DNSIFT_EINVAL);
}

static void link_type_names(void **state)
{
	(void)state;
	assert_string_equal(pkt_linktype_name(0), "NULL");
	assert_string_equal(pkt_linktype_name(1), "EN10MB");
	assert_string_equal(pkt_linktype_name(12), "RAW");
	assert_string_equal(pkt_linktype_name(14), "RAW");
	assert_string_equal(pkt_linktype_name(101), "RAW");
	assert_string_equal(pkt_linktype_name(108), "LOOP");
	assert_string_equal(pkt_linktype_name(113), "LINUX_SLL");
	assert_string_equal(pkt_linktype_name(228), "IPV4");
	assert_string_equal(pkt_linktype_name(229), "IPV6");
	assert_string_equal(pkt_linktype_name(276), "LINUX_SLL2");
	assert_string_equal(pkt_linktype_name(105), "unknown");
}

/* ---- every prefix of every valid frame ---- */

struct sample {
	struct frame f;
	uint32_t linktype;
};

static size_t build_samples(struct sample *s)
{
	const uint16_t tpids[4] = { 0x88a8, 0x8100, 0x9100, 0x8100 };
	const uint16_t vids[4] = { 10, 20, 30, 40 };
	uint8_t sll[16] = { 0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00 };
	uint8_t sll2[20] = { 0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6 };
	const uint8_t pad[10] = { 0 };
	size_t n = 0;

	v4_udp(&s[n].f);
	eth_plain(&s[n].f, 0x0800);
	s[n++].linktype = 1;

	v4_udp(&s[n].f);
	eth_plain(&s[n].f, 0x0800);
	append(&s[n].f, pad, sizeof(pad));
	s[n++].linktype = 1;

	dns_payload(&s[n].f, 40);
	tcp(&s[n].f, 53, 1, 1, 1, PKT_TCP_ACK, 2);
	ipv4(&s[n].f, 6, 3, 0, 1);
	ether(&s[n].f, 0x0800, tpids, vids, 4);
	s[n++].linktype = 1;

	dns_payload(&s[n].f, 24);	/* v4 first fragment */
	udp(&s[n].f, 53, 1);
	ipv4(&s[n].f, 17, 0, 0x2000, 1);
	ether(&s[n].f, 0x0800, tpids + 1, vids, 1);
	s[n++].linktype = 1;

	dns_payload(&s[n].f, 24);	/* v4 middle fragment */
	ipv4(&s[n].f, 17, 1, 0x2003, 1);
	s[n++].linktype = 228;

	dns_payload(&s[n].f, 36);	/* v6, every ext header, fragment after routing */
	udp(&s[n].f, 53, 2);
	ip6_ext(&s[n].f, 17, 0);
	ip6_ah(&s[n].f, 60, 1);
	ip6_frag(&s[n].f, 51, 0, 1, 5);
	ip6_ext(&s[n].f, 44, 1);
	ip6_ext(&s[n].f, 43, 0);
	ipv6(&s[n].f, 0);
	eth_plain(&s[n].f, 0x86dd);
	s[n++].linktype = 1;

	dns_payload(&s[n].f, 32);	/* v6 non-first fragment */
	ip6_frag(&s[n].f, 17, 64, 1, 5);
	ipv6(&s[n].f, 44);
	s[n++].linktype = 229;

	dns_payload(&s[n].f, 30);
	tcp(&s[n].f, 1, 53, 1, 1, PKT_TCP_ACK, 0);
	ipv6(&s[n].f, 6);
	s[n++].linktype = 101;

	v6_udp(&s[n].f);
	af_header(&s[n].f, 30, 0);
	s[n++].linktype = 0;

	v4_udp(&s[n].f);
	af_header(&s[n].f, 2, 1);
	s[n++].linktype = 108;

	v4_udp(&s[n].f);
	prepend(&s[n].f, sll, sizeof(sll));
	s[n++].linktype = 113;

	v6_udp(&s[n].f);
	prepend(&s[n].f, sll2, sizeof(sll2));
	s[n++].linktype = 276;

	v4_udp(&s[n].f);
	s[n++].linktype = 228;
	return n;
}

static void every_prefix_is_an_error_or_the_same_decode(void **state)
{
	(void)state;
	static struct sample samples[16];
	size_t count = build_samples(samples);

	for (size_t s = 0; s < count; s++) {
		const struct frame *f = &samples[s].f;
		struct pkt_info full, pi;

		assert_ok(f, samples[s].linktype, &full);
		for (size_t len = 0; len <= f->n; len++) {
			/* exactly sized, so ASan reports any read at or past caplen */
			uint8_t *copy = malloc(len ? len : 1);

			assert_non_null(copy);
			memcpy(copy, f->b, len);
			int rc = pkt_decode(copy, (uint32_t)len, samples[s].linktype, &pi);
			if (rc == 0) {
				/* only Ethernet padding may be cut without changing the packet */
				assert_inside(copy, (uint32_t)len, &pi);
				assert_int_equal(pi.payload - copy, full.payload - f->b);
				assert_int_equal(pi.payload_len, full.payload_len);
				assert_int_equal(pi.l3_len, full.l3_len);
				assert_int_equal(pi.l4_off, full.l4_off);
				assert_int_equal(pi.src_port, full.src_port);
				assert_true(len >= (size_t)full.l3_off + full.l3_len);
			} else {
				assert_true(rc < 0 && rc > -DNSIFT_E_COUNT);
				assert_true(len < (size_t)full.l3_off + full.l3_len);
			}
			free(copy);
		}
	}
}

/* ---- the shared public captures ---- */

static const char *pcap_dir(void)
{
	static const char *const candidates[] = { "../shared/pcaps", "/work/shared/pcaps" };
	const char *env = getenv("DNSIFT_PCAPS");

	if (env != NULL && *env)
		return env;
	for (size_t i = 0; i < 2; i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/INDEX.tsv", candidates[i]);
		if (access(p, R_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

struct decoded {
	const char *file;
	unsigned int record;	/* 1-based, as tshark numbers frames */
	int rc;
	int l4_valid;
	uint8_t l4_proto;
	uint16_t sport, dport;
};

static int tshark_available(void)
{
	return system("tshark -v >/dev/null 2>&1") == 0 &&
	       system("mergecap -v >/dev/null 2>&1") == 0;
}

static int ip_layers(const char *protocols)
{
	int n = 0;
	char buf[512];

	snprintf(buf, sizeof(buf), ":%s:", protocols);
	for (char *p = buf; (p = strstr(p, ":ip")) != NULL; p++)
		if (strncmp(p, ":ip:", 4) == 0 || strncmp(p, ":ipv6:", 6) == 0)
			n++;
	return n;
}

/* Split a line on tabs, keeping empty fields (tshark -T fields emits them). */
static int split_tabs(char *line, char **fields, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		fields[n++] = line;
		char *tab = strchr(line, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

/* "53" -> 53; "" or several values ("53,4789": nested layers) -> -1. */
static long one_port(const char *s)
{
	char *end;

	if (*s == '\0' || strchr(s, ',') != NULL)
		return -1;
	long v = strtol(s, &end, 10);
	return *end == '\0' ? v : -1;
}

/*
 * Every frame tshark dissects as DNS with port 53 on one side, over exactly one IP
 * layer and one UDP or TCP header (no tunnels, no ICMP-quoted packets), must decode
 * with port 53 on one side. `merged` is all captures concatenated by mergecap -a, so
 * tshark starts once (per file it takes 20 s) and frame N is d[N - 1].
 * Returns the number of frames compared.
 */
static unsigned int compare_with_tshark(const char *merged, const struct decoded *d, size_t n,
					unsigned int *mismatches, unsigned int *nested)
{
	char cmd[1024];
	char line[2048];
	unsigned int compared = 0;

	/* No IP reassembly: tshark would report DNS on the last fragment, we on the first. */
	int clen = snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y dns "
		 "-T fields -E separator=/t -e frame.number -e frame.protocols -e udp.srcport "
		 "-e udp.dstport -e tcp.srcport -e tcp.dstport 2>/dev/null", merged);
	assert_true(clen > 0 && (size_t)clen < sizeof(cmd));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *fl[6];

		if (split_tabs(line, fl, 6) != 6)
			continue;
		long frame_no = strtol(fl[0], NULL, 10);
		long ports[4] = { one_port(fl[2]), one_port(fl[3]), one_port(fl[4]),
				  one_port(fl[5]) };
		int is_udp = ports[0] >= 0 && ports[1] >= 0 && *fl[4] == '\0';
		int is_tcp = ports[2] >= 0 && ports[3] >= 0 && *fl[2] == '\0';

		if (ip_layers(fl[1]) != 1 || !(is_udp || is_tcp)) {
			(*nested)++;	/* VXLAN, ICMP quoting a DNS packet, ... */
			continue;
		}
		long sport = is_udp ? ports[0] : ports[2];
		long dport = is_udp ? ports[1] : ports[3];
		if (sport != 53 && dport != 53)
			continue;	/* mDNS, LLMNR, DNS on odd ports */
		assert_true(frame_no >= 1 && (size_t)frame_no <= n);
		const struct decoded *r = &d[frame_no - 1];
		compared++;
		if (r->rc != 0 || !r->l4_valid || r->l4_proto != (is_udp ? 17 : 6) ||
		    r->sport != sport || r->dport != dport) {
			print_message("%s record %u: tshark %s %ld->%ld, decoder %s %u %u->%u\n",
				      r->file, r->record, is_udp ? "udp" : "tcp", sport, dport,
				      dnsift_errname(r->rc), r->l4_proto, r->sport, r->dport);
			(*mismatches)++;
		}
	}
	assert_int_equal(pclose(p), 0);
	return compared;
}

/* Decode every record of one capture, appending to *d. Returns the record count. */
static size_t decode_capture(const char *path, const char *name, struct decoded **d, size_t *n,
			     size_t *cap, unsigned int *by_code)
{
	struct pcap_record rec;
	size_t records = 0;
	int err, rc;

	struct pcap_file *f = pcap_file_open(path, &err);
	if (f == NULL)
		fail_msg("%s: %s", path, dnsift_strerror(err));
	while ((rc = pcap_file_next(f, &rec)) == 1) {
		struct pkt_info pi;

		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*d = realloc(*d, *cap * sizeof(**d));
			assert_non_null(*d);
		}
		/* exactly sized copy: the reader's large buffer would hide overreads */
		uint8_t *copy = malloc(rec.caplen ? rec.caplen : 1);
		assert_non_null(copy);
		memcpy(copy, rec.data, rec.caplen);
		int drc = pkt_decode(copy, rec.caplen, pcap_file_linktype(f), &pi);
		if (drc == 0)
			assert_inside(copy, rec.caplen, &pi);
		else
			assert_true(drc < 0 && drc > -DNSIFT_E_COUNT);
		by_code[-drc]++;
		(*d)[(*n)++] = (struct decoded){ .rc = drc, .l4_valid = pi.l4_valid,
						 .l4_proto = pi.l4_proto, .sport = pi.src_port,
						 .dport = pi.dst_port, .file = name,
						 .record = (unsigned int)++records };
		free(copy);
	}
	if (rc != 0)
		fail_msg("%s: %s at byte %llu", path, dnsift_strerror(rc),
			 (unsigned long long)pcap_file_error_offset(f));
	pcap_file_close(f);
	return records;
}

static void every_shared_capture_decodes_and_port_53_matches_tshark(void **state)
{
	(void)state;
	const char *dir = pcap_dir();
	char path[1024], line[4096];
	unsigned int files = 0, compared = 0, mismatches = 0, nested = 0;
	unsigned int by_code[DNSIFT_E_COUNT] = { 0 };
	struct decoded *d = NULL;
	size_t n = 0, cap = 0;
	char *names[512];
	size_t cmd_len = 64;

	if (dir == NULL) {
		print_message("shared captures not found (../shared/pcaps, /work/shared/pcaps, "
			      "$DNSIFT_PCAPS): skipped\n");
		skip();
		return;
	}
	int ilen = snprintf(path, sizeof(path), "%s/INDEX.tsv", dir);
	assert_true(ilen > 0 && (size_t)ilen < sizeof(path));
	FILE *index = fopen(path, "r");
	assert_non_null(index);
	assert_non_null(fgets(line, sizeof(line), index));	/* column names */
	while (fgets(line, sizeof(line), index) != NULL) {
		char *fl[2];

		split_tabs(line, fl, 2);
		assert_true(files < sizeof(names) / sizeof(names[0]));
		int plen = snprintf(path, sizeof(path), "%s/%s", dir, fl[0]);
		assert_true(plen > 0 && (size_t)plen < sizeof(path));
		assert_null(strchr(path, '\''));	/* paths go into a shell command */
		names[files] = strdup(path);
		assert_non_null(names[files]);
		cmd_len += (size_t)plen + 3;
		decode_capture(path, names[files], &d, &n, &cap, by_code);
		files++;
	}
	fclose(index);
	assert_true(files > 0);

	if (tshark_available()) {
		char merged[] = "/tmp/dnsift-test-pkt-XXXXXX";
		int fd = mkstemp(merged);
		assert_true(fd >= 0);
		close(fd);
		char *cmd = malloc(cmd_len + sizeof(merged) + 64);
		assert_non_null(cmd);
		size_t pos = (size_t)sprintf(cmd, "mergecap -F pcapng -a -w '%s'", merged);
		for (unsigned int i = 0; i < files; i++)
			pos += (size_t)sprintf(cmd + pos, " '%s'", names[i]);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		compared = compare_with_tshark(merged, d, n, &mismatches, &nested);
		unlink(merged);
		assert_true(compared > 0);
	} else {
		print_message("tshark/mergecap not installed: decoding only, no comparison\n");
	}

	print_message("%u captures, %zu records, %u port-53 DNS frames compared with tshark, "
		      "%u mismatches, %u DNS frames inside tunnels/ICMP not compared\n", files,
		      n, compared, mismatches, nested);
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		if (by_code[i])
			print_message("  %-24s %u\n", dnsift_errname(i), by_code[i]);
	for (unsigned int i = 0; i < files; i++)
		free(names[i]);
	free(d);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ethernet_ipv4_udp_fields),
		cmocka_unit_test(ethernet_padding_and_fcs_are_trimmed),
		cmocka_unit_test(udp_length_shorter_than_ip_payload_wins),
		cmocka_unit_test(vlan_8021q_qinq_and_9100_tags_expose_ids),
		cmocka_unit_test(fifth_vlan_tag_is_too_deep),
		cmocka_unit_test(non_ip_ethertypes_are_not_ip),
		cmocka_unit_test(short_ethernet_header_is_l2_truncated),
		cmocka_unit_test(ipv4_options_are_skipped),
		cmocka_unit_test(ipv4_header_rejects),
		cmocka_unit_test(ipv4_transport_rejects),
		cmocka_unit_test(tcp_fields_and_options),
		cmocka_unit_test(tcp_bad_data_offset),
		cmocka_unit_test(ipv4_first_middle_last_fragments),
		cmocka_unit_test(ipv4_bad_fragments),
		cmocka_unit_test(ipv6_udp_fields),
		cmocka_unit_test(ipv6_each_extension_header_is_walked),
		cmocka_unit_test(ipv6_eight_ext_headers_pass_nine_are_too_deep),
		cmocka_unit_test(ipv6_ext_header_length_is_checked),
		cmocka_unit_test(ipv6_header_rejects),
		cmocka_unit_test(ipv6_fragments_after_fixed_and_routing_headers),
		cmocka_unit_test(ipv6_bad_fragments),
		cmocka_unit_test(null_and_loop_accept_every_af_in_both_orders),
		cmocka_unit_test(raw_link_types_pick_the_version_from_the_header),
		cmocka_unit_test(linux_cooked_v1_and_v2),
		cmocka_unit_test(unknown_link_type_and_null_arguments),
		cmocka_unit_test(link_type_names),
		cmocka_unit_test(every_prefix_is_an_error_or_the_same_decode),
		cmocka_unit_test(every_shared_capture_decodes_and_port_53_matches_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
