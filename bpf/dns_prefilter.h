/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift XDP prefilter: what the BPF program and its loader agree on.
 *
 * Included by bpf/dns_prefilter.bpf.c (compiled with clang -target bpf) and by
 * bpf/xdp_loader.c, so it holds only plain constants: no libc, no kernel types.
 *
 * The maps are found by name on the interface (the net_af_xdp PMD loads the object
 * itself, so the loader never holds the bpf_object): keep the names below 16 bytes,
 * the kernel truncates longer ones.
 */
#ifndef DNSIFT_DNS_PREFILTER_H
#define DNSIFT_DNS_PREFILTER_H

/* XSKMAP the PMD fills with one AF_XDP socket per RX queue (name fixed by DPDK). */
#define DNS_PREFILTER_MAP_XSKS		"xsks_map"
/* ARRAY of 65536 u8: non-zero = DNS port. Read only when ports_configured != 0. */
#define DNS_PREFILTER_MAP_PORTS		"dns_ports"
/* ARRAY of u32, indexed by enum dns_prefilter_config. */
#define DNS_PREFILTER_MAP_CONFIG	"config"
/* PERCPU_ARRAY of u64, indexed by enum dns_prefilter_stat. */
#define DNS_PREFILTER_MAP_STATS		"stats"

/* Sizes of the XSKMAP: one entry per RX queue the PMD may bind. */
#define DNS_PREFILTER_MAX_QUEUES	64
#define DNS_PREFILTER_PORT_COUNT	65536
/* The one port that works before any loader ran (the PMD loaded the object alone). */
#define DNS_PREFILTER_DEFAULT_PORT	53

enum dns_prefilter_config {
	/* 0: the dns_ports map is not filled yet, port 53 only; 1: use dns_ports. */
	DNS_PREFILTER_CFG_PORTS_CONFIGURED = 0,
	/* 0: non-DNS frames go to the host stack (XDP_PASS); 1: XDP_DROP them. */
	DNS_PREFILTER_CFG_DROP_OTHER = 1,
	DNS_PREFILTER_CFG_COUNT
};

/*
 * Every frame is counted in exactly one of REDIRECTED, NO_SOCKET, PASSED, DROPPED, so
 * their sum is the frames the program saw. PARSE_ERRORS is a subset of PASSED +
 * DROPPED: IP frames whose headers were truncated or malformed, handled as non-DNS.
 */
enum dns_prefilter_stat {
	DNS_PREFILTER_STAT_REDIRECTED = 0,	/* DNS, handed to the AF_XDP socket */
	DNS_PREFILTER_STAT_NO_SOCKET,		/* DNS, no socket on this queue: passed/dropped */
	DNS_PREFILTER_STAT_PASSED,		/* not DNS, XDP_PASS to the host */
	DNS_PREFILTER_STAT_DROPPED,		/* not DNS, XDP_DROP (drop_other set) */
	DNS_PREFILTER_STAT_PARSE_ERRORS,	/* subset of passed + dropped */
	DNS_PREFILTER_STAT_COUNT
};

#endif
