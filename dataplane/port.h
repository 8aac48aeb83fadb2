/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: any DPDK ethdev (PCI NIC, net_af_xdp, net_af_packet, net_pcap, net_ring).
 * Each port gets n RX queues with symmetric RSS when it can, so both directions
 * of an exchange and all fragments of a datagram land on one queue; one queue
 * otherwise. Promiscuous on. Main lcore only, at start-up and teardown.
 */
#ifndef DNSIFT_DP_PORT_H
#define DNSIFT_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

struct dp_port {
	uint16_t port_id;
	uint16_t rx_queues;
	bool rss;		/* symmetric RSS configured */
	bool pcap_file;		/* net_pcap reading a file: offline mode */
	uint32_t linktype;	/* pcap link type of what the port delivers */
	uint64_t file_records;	/* offline: complete records in the file */
	char name[64];
	char driver[32];
};

/*
 * Configure and start port_id with nb_queues RX queues (and one TX queue,
 * which some PMDs insist on). Returns 0 or a negative errno with a message on
 * stderr.
 */
int dp_port_setup(struct dp_port *p, uint16_t port_id, uint16_t nb_queues,
		  struct rte_mempool *pool, uint16_t rx_desc);

/* RX totals as the PMD counts them (ipackets, imissed, ierrors, rx_nombuf). */
struct dp_port_counters {
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
};
int dp_port_counters(const struct dp_port *p, struct dp_port_counters *c);

void dp_port_close(struct dp_port *p);

#endif
