// SPDX-License-Identifier: (BSD-3-Clause OR GPL-2.0)
/*
 * dnsift XDP prefilter for net_af_xdp ports.
 *
 * At a tap or SPAN port facing a busy resolver most frames are not resolver-upstream
 * DNS. Deciding that here, before the frame costs an AF_XDP copy and a DPDK poll, is
 * the point of this program: frames with a DNS port on either side go to the AF_XDP
 * socket of their RX queue (xsks_map[rx_queue_index]), everything else goes to the
 * host stack (XDP_PASS, so ARP, ND and management keep working) or, when the loader
 * set drop_other, is dropped.
 *
 * What reaches the socket is a superset of what the sensor records: it still applies
 * the resolver rules. So when in doubt this program redirects:
 * - IPv4 fragments, first or not, go to the socket: a non-first fragment has no
 *   ports and the sensor reassembles, so it needs them all.
 * - IPv6 with any extension header (fragment header included) goes to the socket
 *   without walking the chain: the walk would need a loop the verifier must bound,
 *   and the sensor walks it anyway with its own limits.
 *
 * The net_af_xdp PMD (DPDK 22.11, xdp_prog=) loads this object by itself and fills
 * xsks_map; bpf/xdp_loader.c later finds the maps on the interface by name and fills
 * dns_ports and config. Until then config is all zero, which means port 53 only.
 *
 * Build: clang -target bpf -O2 -g -c (no CO-RE needed: only UAPI headers).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dns_prefilter.h"

/* Not in every UAPI if_ether.h, and not worth a header of its own. */
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define DNS_PREFILTER_VLAN_MAX 2
#define IP4_FRAG_MASK 0x3fff	/* MF flag and fragment offset */

struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, DNS_PREFILTER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DNS_PREFILTER_PORT_COUNT);
	__type(key, __u32);
	__type(value, __u8);
} dns_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DNS_PREFILTER_CFG_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DNS_PREFILTER_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* What the parser concluded about one frame. */
enum verdict {
	VERDICT_OTHER,		/* parsed, not DNS (or not IP at all) */
	VERDICT_DNS,		/* a DNS port on either side, or a fragment, or IPv6 ext hdrs */
	VERDICT_PARSE_ERROR,	/* IP, but its headers are truncated or malformed */
};

static __always_inline void count(__u32 stat)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &stat);

	/* Per-CPU: no other writer on this CPU while we run, a plain add is enough. */
	if (c)
		*c += 1;
}

static __always_inline __u32 config_get(__u32 key)
{
	__u32 *v = bpf_map_lookup_elem(&config, &key);

	return v ? *v : 0;
}

static __always_inline int is_dns_port(__u16 port, __u32 ports_configured)
{
	__u32 key = port;
	__u8 *v;

	if (!ports_configured)
		return port == DNS_PREFILTER_DEFAULT_PORT;
	v = bpf_map_lookup_elem(&dns_ports, &key);
	return v && *v;
}

/* l4 points at the UDP or TCP header; both start with source and destination port. */
static __always_inline enum verdict ports_verdict(void *l4, void *end, __u8 proto)
{
	__u32 configured = config_get(DNS_PREFILTER_CFG_PORTS_CONFIGURED);
	__u16 sport, dport;

	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > end)
			return VERDICT_PARSE_ERROR;
		sport = bpf_ntohs(udp->source);
		dport = bpf_ntohs(udp->dest);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > end)
			return VERDICT_PARSE_ERROR;
		sport = bpf_ntohs(tcp->source);
		dport = bpf_ntohs(tcp->dest);
	} else {
		return VERDICT_OTHER;
	}
	if (is_dns_port(dport, configured) || is_dns_port(sport, configured))
		return VERDICT_DNS;
	return VERDICT_OTHER;
}

static __always_inline enum verdict ip4_verdict(void *l3, void *end)
{
	struct iphdr *ip = l3;
	__u32 ihl;

	if ((void *)(ip + 1) > end)
		return VERDICT_PARSE_ERROR;
	if (ip->version != 4)
		return VERDICT_PARSE_ERROR;
	ihl = ip->ihl * 4u;
	if (ihl < sizeof(*ip))
		return VERDICT_PARSE_ERROR;
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)
		return VERDICT_OTHER;
	/* Any fragment of a UDP/TCP datagram: the sensor reassembles, so it gets them all. */
	if (ip->frag_off & bpf_htons(IP4_FRAG_MASK))
		return VERDICT_DNS;
	if (l3 + ihl > end)
		return VERDICT_PARSE_ERROR;
	return ports_verdict(l3 + ihl, end, ip->protocol);
}

static __always_inline enum verdict ip6_verdict(void *l3, void *end)
{
	struct ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > end)
		return VERDICT_PARSE_ERROR;
	if (ip6->version != 6)
		return VERDICT_PARSE_ERROR;
	switch (ip6->nexthdr) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
		return ports_verdict(ip6 + 1, end, ip6->nexthdr);
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
	case 139:	/* HIP */
	case 140:	/* Shim6 */
		/* Not walked here (see top): the sensor decides. */
		return VERDICT_DNS;
	default:
		/* ICMPv6 (ND must keep working), ESP (opaque), no next header, ... */
		return VERDICT_OTHER;
	}
}

static __always_inline enum verdict frame_verdict(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return VERDICT_OTHER;	/* runt: not IP, the host drops it anyway */
	proto = bpf_ntohs(eth->h_proto);
	l3 = eth + 1;
#pragma unroll
	for (i = 0; i < DNS_PREFILTER_VLAN_MAX; i++) {
		struct vlan_tag *tag = l3;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > end)
			return VERDICT_PARSE_ERROR;
		proto = bpf_ntohs(tag->encapsulated_proto);
		l3 = tag + 1;
	}
	if (proto == ETH_P_IP)
		return ip4_verdict(l3, end);
	if (proto == ETH_P_IPV6)
		return ip6_verdict(l3, end);
	/* A third tag: the sensor would not decode it either (vlan_too_deep). */
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return VERDICT_PARSE_ERROR;
	/* ARP, LLDP, ...: not ours. */
	return VERDICT_OTHER;
}

SEC("xdp")
int dns_prefilter(struct xdp_md *ctx)
{
	enum verdict v = frame_verdict(ctx);
	int drop_other = config_get(DNS_PREFILTER_CFG_DROP_OTHER) != 0;
	long action;

	if (v == VERDICT_DNS) {
		/*
		 * The low bits of the flags are the action when the queue has no socket:
		 * XDP_PASS, so the frame is counted as no_socket rather than vanishing.
		 */
		action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
		if (action == XDP_REDIRECT) {
			count(DNS_PREFILTER_STAT_REDIRECTED);
			return XDP_REDIRECT;
		}
		count(DNS_PREFILTER_STAT_NO_SOCKET);
		return drop_other ? XDP_DROP : XDP_PASS;
	}
	if (v == VERDICT_PARSE_ERROR)
		count(DNS_PREFILTER_STAT_PARSE_ERRORS);
	if (drop_other) {
		count(DNS_PREFILTER_STAT_DROPPED);
		return XDP_DROP;
	}
	count(DNS_PREFILTER_STAT_PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
