/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_frame: Ethernet/VLAN, IPv4/IPv6, UDP/TCP frames and fragments (see gen_frame.h). */
#include "bench/gen_frame.h"

#include <stddef.h>
#include <string.h>

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const uint8_t mac_resolver[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static const uint8_t mac_router[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0xfe };

/* Ethernet (+802.1Q) header; returns its length. */
static unsigned int put_l2(uint8_t *f, const struct gen_flow *fl, bool from_server)
{
	unsigned int o = 12;

	memcpy(f, from_server ? mac_resolver : mac_router, 6);
	memcpy(f + 6, from_server ? mac_router : mac_resolver, 6);
	if (fl->vlan) {
		gen_wr16(f + o, 0x8100);
		gen_wr16(f + o + 2, fl->vid);
		o += 4;
	}
	gen_wr16(f + o, fl->v6 ? 0x86dd : 0x0800);
	return o + 2;
}

/* IPv4 header without options, TTL 64, header checksum filled in. */
static void put_ip4(uint8_t *ip, uint16_t total, uint16_t id, uint16_t frag, uint8_t proto,
		    const uint8_t *src, const uint8_t *dst)
{
	ip[0] = 0x45;
	ip[1] = 0;
	gen_wr16(ip + 2, total);
	gen_wr16(ip + 4, id);
	gen_wr16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	gen_wr16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	gen_wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
}

/* IPv6 header, hop limit 64. */
static void put_ip6(uint8_t *ip, uint16_t payload, uint8_t next, const uint8_t *src,
		    const uint8_t *dst)
{
	gen_wr32(ip, 0x60000000u);
	gen_wr16(ip + 4, payload);
	ip[6] = next;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

static void send_frame(struct gen_frame_writer *fw, const struct gen_flow *fl, const uint8_t *f,
		       uint32_t len)
{
	fw->sink(fw->sink_arg, f, len);
	if (fl->v6)
		fw->ipv6_frames++;
	if (fl->vlan)
		fw->vlan_frames++;
}

int gen_frame_l4(struct gen_frame_writer *fw, const struct gen_flow *fl, bool from_server,
		 uint8_t proto, uint8_t *l4, uint32_t l4len)
{
	uint8_t f[GEN_MAX_FRAME + 64];
	const uint8_t *src = from_server ? fl->srv : fl->cli;
	const uint8_t *dst = from_server ? fl->cli : fl->srv;
	unsigned int alen = fl->v6 ? 16 : 4;
	unsigned int iphl = fl->v6 ? 40 : 20;
	uint32_t sum = 0;
	unsigned int ck = proto == 17 ? 6 : 16;

	/* The frame buffer holds L2 + one MTU; offsets and lengths are 16-bit fields. */
	if (fl->mtu < GEN_MIN_MTU || fl->mtu > GEN_MAX_MTU || l4len < ck + 2u ||
	    l4len > GEN_MAX_L4 || (proto != 17 && proto != 6))
		return -1;
	/* Transport checksum over the pseudo header and the whole datagram. */
	l4[ck] = l4[ck + 1] = 0;
	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += proto;
	sum += l4len;
	sum = csum_add(sum, l4, l4len);
	uint16_t c = csum_fold(sum);
	if (c == 0 && proto == 17)
		c = 0xffff;
	gen_wr16(l4 + ck, c);

	uint32_t maxpay = fl->mtu - iphl;
	if (l4len <= maxpay) {
		unsigned int o = put_l2(f, fl, from_server);
		uint8_t *ip = f + o;
		if (fl->v6)
			put_ip6(ip, (uint16_t)l4len, proto, src, dst);
		else
			put_ip4(ip, (uint16_t)(20 + l4len), (uint16_t)fw->ip4_id++, 0x4000 /* DF */,
				proto, src, dst);
		memcpy(ip + iphl, l4, l4len);
		send_frame(fw, fl, f, o + iphl + l4len);
		return 0;
	}

	/* Fragments: offsets in 8-octet units, in order, as Linux sends them. */
	uint32_t chunk = fl->v6 ? (fl->mtu - 40u - 8u) & ~7u : (fl->mtu - 20u) & ~7u;
	uint32_t id = fl->v6 ? ++fw->ip6_frag_id : (fw->ip4_id++ & 0xffffu);
	for (uint32_t at = 0; at < l4len; at += chunk) {
		uint32_t n = l4len - at < chunk ? l4len - at : chunk;
		bool more = at + n < l4len;
		unsigned int o = put_l2(f, fl, from_server);
		uint8_t *ip = f + o;
		unsigned int hl;

		if (fl->v6) {
			put_ip6(ip, (uint16_t)(8 + n), 44, src, dst);
			ip[40] = proto;
			ip[41] = 0;
			gen_wr16(ip + 42, (uint16_t)(at | (more ? 1u : 0u)));
			gen_wr32(ip + 44, id);
			hl = 48;
		} else {
			put_ip4(ip, (uint16_t)(20 + n), (uint16_t)id,
				(uint16_t)((more ? 0x2000u : 0u) | (at >> 3)), proto, src, dst);
			hl = 20;
		}
		memcpy(ip + hl, l4 + at, n);
		send_frame(fw, fl, f, o + hl + n);
		fw->fragments++;
	}
	return 0;
}

int gen_frame_udp(struct gen_frame_writer *fw, const struct gen_flow *fl, bool from_server,
		  const uint8_t *msg, uint32_t len)
{
	uint8_t l4[8 + GEN_MAX_DNS_MSG];

	if (len > GEN_MAX_DNS_MSG)
		return -1;
	gen_wr16(l4, from_server ? fl->sport : fl->cport);
	gen_wr16(l4 + 2, from_server ? fl->cport : fl->sport);
	gen_wr16(l4 + 4, (uint16_t)(8 + len));
	memcpy(l4 + 8, msg, len);
	return gen_frame_l4(fw, fl, from_server, 17, l4, 8 + len);
}

int gen_frame_tcp(struct gen_frame_writer *fw, struct gen_flow *fl, bool from_server,
		  uint8_t flags, const uint8_t *data, uint32_t len)
{
	uint8_t l4[24 + GEN_MAX_FRAME];	/* payload <= fl->mss < MTU */
	unsigned int hl = (flags & 0x02) ? 24 : 20;
	uint32_t *seq = from_server ? &fl->sseq : &fl->cseq;
	uint32_t ack = from_server ? fl->cseq : fl->sseq;
	int rc;

	if (len > GEN_MAX_FRAME)
		return -1;
	gen_wr16(l4, from_server ? fl->sport : fl->cport);
	gen_wr16(l4 + 2, from_server ? fl->cport : fl->sport);
	gen_wr32(l4 + 4, *seq);
	gen_wr32(l4 + 8, (flags & 0x10) ? ack : 0);
	l4[12] = (uint8_t)((hl / 4) << 4);
	l4[13] = flags;
	gen_wr16(l4 + 14, 64240);
	gen_wr16(l4 + 16, 0);
	gen_wr16(l4 + 18, 0);
	if (hl == 24) {
		l4[20] = 2;	/* MSS option */
		l4[21] = 4;
		gen_wr16(l4 + 22, fl->mss);
	}
	if (len)
		memcpy(l4 + hl, data, len);
	rc = gen_frame_l4(fw, fl, from_server, 6, l4, hl + len);
	if (rc == 0)
		*seq += len + ((flags & 0x03) ? 1u : 0u);	/* SYN and FIN take a sequence number */
	return rc;
}

