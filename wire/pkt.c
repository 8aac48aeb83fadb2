/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame decoder. Every layer first proves that the bytes it is about to read lie
 * before its own end (caplen for the link layer, the IP total/payload length from
 * then on), so a read past the capture is impossible whatever the headers claim.
 *
 * Checksums (IPv4 header, UDP, TCP) are deliberately not verified: capture NICs
 * offload or strip them, packets captured on the sending host carry partial
 * checksums, and a passive sensor records what the resolver accepted anyway.
 */
#include "wire/pkt.h"

#include <stddef.h>
#include <string.h>

#include "wire/err.h"
#include "wire/wire_ctx.h"

_Static_assert(sizeof(struct pkt_info) <= 88, "pkt_info grew: the hot path fills one per packet");

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ_9100	0x9100	/* pre-802.1ad vendor QinQ */

#define ETHER_HDR_LEN		14
#define VLAN_TAG_LEN		4
#define SLL_HDR_LEN		16
#define SLL2_HDR_LEN		20
#define NULL_HDR_LEN		4

#define IP4_MIN_HDR		20
#define IP4_MAX_PACKET		65535u
#define IP4_MF			0x2000
#define IP4_OFFSET_MASK		0x1fff

#define IP6_HDR_LEN		40
#define IP6_MAX_PAYLOAD		65535u
#define IP6_FRAG_HDR_LEN	8
#define IP6_EXT_MIN_LEN		8

#define PROTO_HOPOPTS		0
#define PROTO_TCP		6
#define PROTO_UDP		17
#define PROTO_ROUTING		43
#define PROTO_FRAGMENT		44
#define PROTO_AH		51
#define PROTO_DSTOPTS		60

#define UDP_HDR_LEN		8
#define TCP_MIN_HDR		20

/* BSD address families in DLT_NULL/DLT_LOOP headers; AF_INET6 differs per BSD. */
#define BSD_AF_INET		2
#define BSD_AF_INET6_NETBSD	24	/* also OpenBSD */
#define BSD_AF_INET6_FREEBSD	28
#define BSD_AF_INET6_DARWIN	30

static int decode_l4(const uint8_t *frame, uint32_t l4_off, uint32_t len, uint8_t proto,
		     struct pkt_info *out)
{
	const uint8_t *l4 = frame + l4_off;
	uint32_t hdr_len;

	out->l4_proto = proto;
	if (proto == PROTO_UDP) {
		if (len < UDP_HDR_LEN)
			return -DNSIFT_EPKT_UDP_TRUNCATED;
		uint16_t udp_len = wire_get_u16(l4 + 4);
		/*
		 * Longer than the IP payload is a lie; shorter leaves trailing bytes in the
		 * IP payload, which some stacks pad with: the UDP length wins.
		 */
		if (udp_len < UDP_HDR_LEN || udp_len > len)
			return -DNSIFT_EPKT_UDP_LENGTH;
		hdr_len = UDP_HDR_LEN;
		out->payload_len = (uint16_t)(udp_len - UDP_HDR_LEN);
	} else if (proto == PROTO_TCP) {
		if (len < TCP_MIN_HDR)
			return -DNSIFT_EPKT_TCP_TRUNCATED;
		hdr_len = (uint32_t)(l4[12] >> 4) * 4;
		if (hdr_len < TCP_MIN_HDR || hdr_len > len)
			return -DNSIFT_EPKT_TCP_DOFF;
		out->tcp_seq = wire_get_u32(l4 + 4);
		out->tcp_ack = wire_get_u32(l4 + 8);
		out->tcp_flags = l4[13];
		out->payload_len = (uint16_t)(len - hdr_len);
	} else {
		out->l4_proto = 0;
		return -DNSIFT_EPKT_NOT_UDP_TCP;
	}
	out->src_port = wire_get_u16(l4);
	out->dst_port = wire_get_u16(l4 + 2);
	out->l4_off = (uint16_t)l4_off;
	out->l4_valid = 1;
	out->payload = l4 + hdr_len;
	return 0;
}

/*
 * A first fragment carries the start of the L4 header; its length fields describe the
 * reassembled datagram, so only the fixed fields are taken, and only when all of the
 * minimal header is here. payload stays the fragment's data.
 */
static void first_fragment_l4(const uint8_t *frame, uint32_t l4_off, uint32_t len,
			      struct pkt_info *out)
{
	const uint8_t *l4 = frame + l4_off;

	if (out->l4_proto == PROTO_UDP && len >= UDP_HDR_LEN) {
		out->l4_valid = 1;
	} else if (out->l4_proto == PROTO_TCP && len >= TCP_MIN_HDR) {
		out->tcp_seq = wire_get_u32(l4 + 4);
		out->tcp_ack = wire_get_u32(l4 + 8);
		out->tcp_flags = l4[13];
		out->l4_valid = 1;
	} else {
		return;
	}
	out->src_port = wire_get_u16(l4);
	out->dst_port = wire_get_u16(l4 + 2);
	out->l4_off = (uint16_t)l4_off;
}

static int decode_ipv4(const uint8_t *frame, uint32_t caplen, uint32_t l3_off,
		       struct pkt_info *out)
{
	const uint8_t *ip = frame + l3_off;
	uint32_t avail = caplen - l3_off;

	if (avail < IP4_MIN_HDR)
		return -DNSIFT_EPKT_IP4_TRUNCATED;
	if (ip[0] >> 4 != 4)
		return -DNSIFT_EPKT_IP4_VERSION;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < IP4_MIN_HDR)
		return -DNSIFT_EPKT_IP4_IHL;
	uint32_t total = wire_get_u16(ip + 2);
	if (total < IP4_MIN_HDR)
		return -DNSIFT_EPKT_IP4_TOTLEN;
	if (ihl > total)
		return -DNSIFT_EPKT_IP4_IHL;
	/* Beyond total length is Ethernet padding or an FCS: ignored. */
	if (total > avail)
		return -DNSIFT_EPKT_IP4_TRUNCATED;

	out->ip_version = 4;
	out->addr_len = 4;
	out->l3_len = total;
	memcpy(out->src_addr, ip + 12, 4);
	memcpy(out->dst_addr, ip + 16, 4);

	uint8_t proto = ip[9];
	uint16_t frag = wire_get_u16(ip + 6);
	uint32_t data_len = total - ihl;
	if (!(frag & (IP4_MF | IP4_OFFSET_MASK)))
		return decode_l4(frame, l3_off + ihl, data_len, proto, out);

	uint32_t frag_offset = (uint32_t)(frag & IP4_OFFSET_MASK) * 8;
	out->is_fragment = 1;
	out->frag_more = (frag & IP4_MF) != 0;
	out->frag_id = wire_get_u16(ip + 4);
	out->frag_offset = (uint16_t)frag_offset;
	/* Reassembly trusts these: every fragment but the last is a non-empty multiple of 8. */
	if (out->frag_more && (data_len == 0 || data_len % 8 != 0))
		return -DNSIFT_EPKT_FRAG_BAD;
	if (frag_offset + total > IP4_MAX_PACKET)
		return -DNSIFT_EPKT_FRAG_BAD;
	if (proto != PROTO_UDP && proto != PROTO_TCP)
		return -DNSIFT_EPKT_NOT_UDP_TCP;
	out->l4_proto = proto;
	out->payload = ip + ihl;
	out->payload_len = (uint16_t)data_len;
	if (frag_offset == 0)
		first_fragment_l4(frame, l3_off + ihl, data_len, out);
	return 0;
}

static int decode_ipv6(const uint8_t *frame, uint32_t caplen, uint32_t l3_off,
		       struct pkt_info *out)
{
	const uint8_t *ip = frame + l3_off;
	uint32_t avail = caplen - l3_off;

	if (avail < IP6_HDR_LEN)
		return -DNSIFT_EPKT_IP6_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return -DNSIFT_EPKT_IP6_VERSION;
	/* Jumbograms (payload length 0 + hop-by-hop option) do not occur on DNS paths. */
	uint32_t end = IP6_HDR_LEN + wire_get_u16(ip + 4);
	if (end > avail)
		return -DNSIFT_EPKT_IP6_TRUNCATED;

	out->ip_version = 6;
	out->addr_len = 16;
	out->l3_len = end;
	memcpy(out->src_addr, ip + 8, 16);
	memcpy(out->dst_addr, ip + 24, 16);

	uint8_t next = ip[6];
	uint32_t pos = IP6_HDR_LEN;
	unsigned int ext_count = 0;
	for (;;) {
		uint32_t hdr_len;

		switch (next) {
		case PROTO_UDP:
		case PROTO_TCP:
			if (!out->is_fragment)
				return decode_l4(frame, l3_off + pos, end - pos, next, out);
			out->l4_proto = next;
			first_fragment_l4(frame, l3_off + pos, end - pos, out);
			return 0;
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
		case PROTO_AH:
		case PROTO_FRAGMENT:
			break;
		default:
			return -DNSIFT_EPKT_NOT_UDP_TCP;
		}
		if (ext_count == PKT_MAX_IP6_EXT)
			return -DNSIFT_EPKT_IP6_EXT_DEPTH;
		ext_count++;
		if (end - pos < IP6_EXT_MIN_LEN)
			return -DNSIFT_EPKT_IP6_EXTHDR;
		const uint8_t *ext = ip + pos;
		if (next == PROTO_AH)
			hdr_len = ((uint32_t)ext[1] + 2) * 4;	/* RFC 4302: 32-bit words - 2 */
		else if (next == PROTO_FRAGMENT)
			hdr_len = IP6_FRAG_HDR_LEN;
		else
			hdr_len = ((uint32_t)ext[1] + 1) * 8;
		if (hdr_len > end - pos)
			return -DNSIFT_EPKT_IP6_EXTHDR;

		if (next == PROTO_FRAGMENT) {
			uint16_t off_m = wire_get_u16(ext + 2);
			uint32_t frag_offset = off_m & 0xfff8u;
			uint32_t data_len = end - pos - IP6_FRAG_HDR_LEN;

			/* A second fragment header is nested fragmentation: nobody sends it. */
			if (out->is_fragment)
				return -DNSIFT_EPKT_FRAG_BAD;
			if (frag_offset != 0 || (off_m & 1)) {
				out->is_fragment = 1;
				out->frag_more = off_m & 1;
				out->frag_offset = (uint16_t)frag_offset;
				out->frag_id = wire_get_u32(ext + 4);
				out->frag_hdr_off = (uint16_t)pos;
				out->frag_next_header = ext[0];
				out->payload = ext + IP6_FRAG_HDR_LEN;
				out->payload_len = (uint16_t)data_len;
				if (out->frag_more && (data_len == 0 || data_len % 8 != 0))
					return -DNSIFT_EPKT_FRAG_BAD;
				/* Reassembled payload: unfragmentable headers + offset + data. */
				if (pos - IP6_HDR_LEN + frag_offset + data_len > IP6_MAX_PAYLOAD)
					return -DNSIFT_EPKT_FRAG_BAD;
				if (frag_offset != 0) {
					/* The chain continues in the first fragment; only a
					 * protocol that can carry UDP/TCP is worth keeping. */
					if (ext[0] == PROTO_UDP || ext[0] == PROTO_TCP)
						out->l4_proto = ext[0];
					else if (ext[0] != PROTO_DSTOPTS)
						return -DNSIFT_EPKT_NOT_UDP_TCP;
					return 0;
				}
			}
			/* else an atomic fragment (RFC 6946): a whole packet, decode on */
		}
		next = ext[0];
		pos += hdr_len;
	}
}

static int decode_ip_any(const uint8_t *frame, uint32_t caplen, uint32_t l3_off,
			 struct pkt_info *out)
{
	if (caplen <= l3_off)
		return -DNSIFT_EPKT_NOT_IP;
	switch (frame[l3_off] >> 4) {
	case 4:
		return decode_ipv4(frame, caplen, l3_off, out);
	case 6:
		return decode_ipv6(frame, caplen, l3_off, out);
	default:
		return -DNSIFT_EPKT_NOT_IP;
	}
}

/* Ethernet-style dispatch on an EtherType, through up to PKT_MAX_VLANS tags. */
static int decode_ethertype(const uint8_t *frame, uint32_t caplen, uint32_t off,
			    uint16_t type, struct pkt_info *out)
{
	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	       type == ETHERTYPE_QINQ_9100) {
		if (out->vlan_count == PKT_MAX_VLANS)
			return -DNSIFT_EPKT_VLAN_DEPTH;
		if (caplen - off < VLAN_TAG_LEN)
			return -DNSIFT_EPKT_L2_TRUNCATED;
		out->vlan_id[out->vlan_count++] = wire_get_u16(frame + off) & 0x0fff;
		type = wire_get_u16(frame + off + 2);
		off += VLAN_TAG_LEN;
	}
	out->l2_len = (uint16_t)off;
	out->l3_off = (uint16_t)off;
	if (type == ETHERTYPE_IPV4)
		return decode_ipv4(frame, caplen, off, out);
	if (type == ETHERTYPE_IPV6)
		return decode_ipv6(frame, caplen, off, out);
	return -DNSIFT_EPKT_NOT_IP;
}

static int decode_null(const uint8_t *frame, uint32_t caplen, struct pkt_info *out)
{
	if (caplen < NULL_HDR_LEN)
		return -DNSIFT_EPKT_L2_TRUNCATED;
	/*
	 * DLT_NULL stores the AF in the capturing host's order, DLT_LOOP in network
	 * order, and files travel between hosts: every AF value is below 256, so the
	 * order whose value is small is the right one.
	 */
	uint32_t af = wire_get_u32(frame);
	if (af > 0xff)
		af = (uint32_t)frame[0] | (uint32_t)frame[1] << 8 | (uint32_t)frame[2] << 16 |
		     (uint32_t)frame[3] << 24;
	out->l2_len = NULL_HDR_LEN;
	out->l3_off = NULL_HDR_LEN;
	switch (af) {
	case BSD_AF_INET:
		return decode_ipv4(frame, caplen, NULL_HDR_LEN, out);
	case BSD_AF_INET6_NETBSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return decode_ipv6(frame, caplen, NULL_HDR_LEN, out);
	default:
		return -DNSIFT_EPKT_NOT_IP;
	}
}

int pkt_decode(const uint8_t *frame, uint32_t caplen, uint32_t linktype, struct pkt_info *out)
{
	if (out == NULL)
		return -DNSIFT_EINVAL;
	memset(out, 0, sizeof(*out));
	if (frame == NULL)
		return -DNSIFT_EINVAL;

	switch (linktype) {
	case PKT_LINKTYPE_ETHERNET:
		if (caplen < ETHER_HDR_LEN)
			return -DNSIFT_EPKT_L2_TRUNCATED;
		return decode_ethertype(frame, caplen, ETHER_HDR_LEN, wire_get_u16(frame + 12),
					out);
	case PKT_LINKTYPE_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes, protocol */
		if (caplen < SLL_HDR_LEN)
			return -DNSIFT_EPKT_L2_TRUNCATED;
		return decode_ethertype(frame, caplen, SLL_HDR_LEN, wire_get_u16(frame + 14), out);
	case PKT_LINKTYPE_LINUX_SLL2:
		/* protocol first, then reserved, ifindex, ARPHRD, type, address */
		if (caplen < SLL2_HDR_LEN)
			return -DNSIFT_EPKT_L2_TRUNCATED;
		return decode_ethertype(frame, caplen, SLL2_HDR_LEN, wire_get_u16(frame), out);
	case PKT_LINKTYPE_NULL:
	case PKT_LINKTYPE_LOOP:
		return decode_null(frame, caplen, out);
	case PKT_LINKTYPE_RAW:
	case PKT_LINKTYPE_DLT_RAW1:
	case PKT_LINKTYPE_DLT_RAW2:
		return decode_ip_any(frame, caplen, 0, out);
	case PKT_LINKTYPE_IPV4:
		return decode_ipv4(frame, caplen, 0, out);
	case PKT_LINKTYPE_IPV6:
		return decode_ipv6(frame, caplen, 0, out);
	default:
		return -DNSIFT_EPKT_LINKTYPE;
	}
}

const char *pkt_linktype_name(uint32_t linktype)
{
	switch (linktype) {
	case PKT_LINKTYPE_NULL:
		return "NULL";
	case PKT_LINKTYPE_ETHERNET:
		return "EN10MB";
	case PKT_LINKTYPE_DLT_RAW1:
	case PKT_LINKTYPE_DLT_RAW2:
	case PKT_LINKTYPE_RAW:
		return "RAW";
	case PKT_LINKTYPE_LOOP:
		return "LOOP";
	case PKT_LINKTYPE_LINUX_SLL:
		return "LINUX_SLL";
	case PKT_LINKTYPE_IPV4:
		return "IPV4";
	case PKT_LINKTYPE_IPV6:
		return "IPV6";
	case PKT_LINKTYPE_LINUX_SLL2:
		return "LINUX_SLL2";
	default:
		return "unknown";
	}
}
