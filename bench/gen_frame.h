/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_frame: an Ethernet frame writer for generators and tests (EAL-free, libc only).
 *
 * Frames are Ethernet, optionally 802.1Q-tagged, carrying IPv4 (DF set, header
 * checksum) or IPv6, then UDP or TCP with a correct transport checksum. A
 * datagram larger than the flow's MTU leaves as IP fragments (IPv4 offsets, or an
 * IPv6 fragment header), in order, as Linux sends them. Every frame goes to the
 * writer's sink as it is built.
 *
 * MAC addresses are fixed (02:00:5e:00:53:01 the resolver, :fe its router); IPv4
 * identifiers and IPv6 fragment identifiers count up from the writer's fields.
 * Used by dnsift-tracegen, whose output is deterministic: the frames written for
 * the same calls must never change.
 *
 * Threads: no shared state; a writer and its flows belong to their caller.
 */
#ifndef DNSIFT_BENCH_GEN_FRAME_H
#define DNSIFT_BENCH_GEN_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#define GEN_MAX_DNS_MSG		4096u	/* largest DNS message gen_frame_udp() takes */
#define GEN_MAX_FRAME		1600u	/* frames never exceed MTU 1500 + L2 */
#define GEN_MIN_MTU		576u
#define GEN_MAX_MTU		1500u
#define GEN_MAX_L4		(8u + GEN_MAX_DNS_MSG)	/* largest datagram gen_frame_l4() takes */

static inline void gen_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void gen_wr32(uint8_t *p, uint32_t v)
{
	gen_wr16(p, (uint16_t)(v >> 16));
	gen_wr16(p + 2, (uint16_t)v);
}

/*
 * One exchange's L2-L4 context: the client (the resolver) and the server, their
 * ports, the path MTU, and for TCP both sequence numbers, which
 * gen_frame_tcp() advances.
 */
struct gen_flow {
	bool v6, vlan, tcp;
	uint16_t vid;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint16_t mtu;
	uint16_t mss;		/* TCP payload per segment at this MTU */
	uint32_t cseq, sseq;
};
/* Receives each frame built; frame is valid only during the call. */
typedef void (*gen_frame_sink)(void *arg, const uint8_t *frame, uint32_t len);

struct gen_frame_writer {
	gen_frame_sink sink;	/* required */
	void *sink_arg;
	uint32_t ip4_id;	/* next IPv4 identification (low 16 bits used) */
	uint32_t ip6_frag_id;	/* last IPv6 fragment identification used */
	uint64_t fragments, ipv6_frames, vlan_frames;	/* counters of frames sent */
};

/*
 * One transport datagram (l4 = UDP or TCP header and payload, l4len bytes; its
 * checksum field is filled in here) from the server (from_server) or the client,
 * as one frame or as fragments when it exceeds fl->mtu. proto is 17 (UDP) or 6
 * (TCP). Returns 0, or -1 (nothing sent) when the MTU is outside
 * GEN_MIN_MTU..GEN_MAX_MTU, l4len outside a header .. GEN_MAX_L4, or proto
 * neither.
 */
int gen_frame_l4(struct gen_frame_writer *fw, const struct gen_flow *fl, bool from_server,
		 uint8_t proto, uint8_t *l4, uint32_t l4len);

/* A UDP datagram carrying msg (len <= GEN_MAX_DNS_MSG). 0, or -1 as gen_frame_l4(). */
int gen_frame_udp(struct gen_frame_writer *fw, const struct gen_flow *fl, bool from_server,
		  const uint8_t *msg, uint32_t len);

/*
 * A TCP segment with flags (0x02 SYN carries an MSS option of fl->mss, 0x10 ACK
 * acknowledges the other side's sequence number) and len <= GEN_MAX_FRAME bytes
 * of data; advances the sender's sequence number (SYN and FIN count one). 0, or
 * -1 as gen_frame_l4() (the sequence number then stays).
 */
int gen_frame_tcp(struct gen_frame_writer *fw, struct gen_flow *fl, bool from_server,
		  uint8_t flags, const uint8_t *data, uint32_t len);

#endif
