/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame decoder: link layer, IPv4/IPv6 (options, extension headers, fragments), UDP/TCP.
 *
 * pkt_decode() fills one struct pkt_info per frame with offsets into the frame and
 * the fields the dataplane needs to steer it (fragment reassembly, TCP reassembly,
 * DNS parse). It never allocates, never copies the payload and never reads a byte
 * at or past caplen. It is a pure function: any thread may call it, concurrently,
 * as long as each caller owns its struct pkt_info.
 */
#ifndef DNSIFT_PKT_H
#define DNSIFT_PKT_H

#include <stdint.h>

/* pcap LINKTYPE_ values the decoder understands (tcpdump.org/linktypes.html). */
#define PKT_LINKTYPE_NULL	0	/* BSD loopback: 4-byte AF, capturing host's order */
#define PKT_LINKTYPE_ETHERNET	1
#define PKT_LINKTYPE_DLT_RAW1	12	/* DLT_RAW on most BSDs: raw IPv4 or IPv6 */
#define PKT_LINKTYPE_DLT_RAW2	14	/* DLT_RAW on BSD/OS */
#define PKT_LINKTYPE_RAW	101	/* raw IPv4 or IPv6, version from the first nibble */
#define PKT_LINKTYPE_LOOP	108	/* OpenBSD loopback: 4-byte AF, network order */
#define PKT_LINKTYPE_LINUX_SLL	113
#define PKT_LINKTYPE_IPV4	228
#define PKT_LINKTYPE_IPV6	229
#define PKT_LINKTYPE_LINUX_SLL2	276

/* Tags beyond this many (802.1Q, 802.1ad, 0x9100) give -DNSIFT_EPKT_VLAN_DEPTH. */
#define PKT_MAX_VLANS		4
/* IPv6 extension headers walked before -DNSIFT_EPKT_IP6_EXT_DEPTH. */
#define PKT_MAX_IP6_EXT		8

/* TCP flag bits as in the header's flags byte. */
#define PKT_TCP_FIN		0x01
#define PKT_TCP_SYN		0x02
#define PKT_TCP_RST		0x04
#define PKT_TCP_PSH		0x08
#define PKT_TCP_ACK		0x10
#define PKT_TCP_URG		0x20

/*
 * One decoded frame. Offsets count from the first byte of the frame. Fields that do
 * not apply are zero. 88 bytes: the hot path fills one per packet.
 *
 * Fragments (IPv4 MF or offset != 0; IPv6 fragment header with M or offset != 0):
 * is_fragment is set and payload/payload_len are the fragment's data (what follows the
 * IPv4 header or the IPv6 fragment header), which is what reassembly stores. A first
 * fragment (offset 0) also has l4_valid, ports and TCP fields when the whole minimal L4
 * header (UDP 8, TCP 20 bytes) sits in it; its UDP length and TCP data offset describe
 * the reassembled datagram and are not checked. A non-first fragment has no L4 header:
 * l4_valid, l4_off, ports and TCP fields stay zero. An IPv6 "atomic fragment" (offset 0,
 * M clear, RFC 6946) is a whole packet and is decoded as one (is_fragment clear).
 */
struct pkt_info {
	const uint8_t *payload;		/* UDP/TCP payload or fragment data, inside the frame */
	uint8_t src_addr[16];		/* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst_addr[16];
	uint32_t l3_len;		/* IP packet length per its header (padding trimmed) */
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint32_t frag_id;		/* IPv4: 16-bit identification; IPv6: 32-bit */
	uint16_t l2_len;		/* link header incl. VLAN tags (as rte_mbuf l2_len) */
	uint16_t l3_off;		/* start of the IP header */
	uint16_t l4_off;		/* start of the UDP/TCP header, 0 when l4_valid is clear */
	uint16_t payload_len;
	uint16_t src_port;		/* host byte order */
	uint16_t dst_port;
	uint16_t frag_offset;		/* fragment offset in bytes */
	uint16_t frag_hdr_off;		/* IPv6: fragment header offset from the IPv6 header (40 =
					 * right after the fixed header, what DPDK reassembles) */
	uint16_t vlan_id[PKT_MAX_VLANS];	/* 12-bit VIDs, outermost first */
	uint8_t ip_version;		/* 4 or 6 */
	uint8_t addr_len;		/* 4 or 16 */
	uint8_t l4_proto;		/* 6 or 17; for a fragment the protocol of its data,
					 * 0 if an IPv6 one starts with destination options */
	uint8_t tcp_flags;		/* PKT_TCP_* */
	uint8_t vlan_count;
	uint8_t frag_next_header;	/* IPv6: next header field of the fragment header */
	uint8_t is_fragment : 1;
	uint8_t frag_more : 1;		/* IPv4 MF / IPv6 M */
	uint8_t l4_valid : 1;		/* ports (and TCP seq/ack/flags) are filled */
};

/*
 * Decode one frame of the given pcap link type. Returns 0 with *out filled, or a
 * negative -DNSIFT_EPKT_* code (or -DNSIFT_EINVAL for NULL pointers); on error *out
 * holds whatever was decoded before the failing layer (useful for counters only).
 * Checksums are not verified: capture NICs and taps offload or strip them, and a
 * sensor records what the resolver saw rather than judging it. Any thread.
 */
int pkt_decode(const uint8_t *frame, uint32_t caplen, uint32_t linktype, struct pkt_info *out);

/* libpcap-style name of a link type ("EN10MB", "LINUX_SLL2", ...) or "unknown". Any thread. */
const char *pkt_linktype_name(uint32_t linktype);

#endif
