/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dataplane/port.h"
#include "wire/pkt.h"

/*
 * A Toeplitz key made of one repeated 16-bit pattern hashes (a, b) and (b, a)
 * alike, so the RSS spread is symmetric (Woo and Park, "Scalable TCP Session
 * Monitoring with Symmetric Receive-side Scaling").
 */
static uint8_t symmetric_rss_key[52];

int dp_port_setup(struct dp_port *p, uint16_t port_id, uint16_t nb_queues,
		  struct rte_mempool *pool, uint16_t rx_desc)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int ret;

	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	p->linktype = PKT_LINKTYPE_ETHERNET;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0) {
		fprintf(stderr, "dnsift: port %u: cannot get device info: %s\n", port_id,
			strerror(-ret));
		return ret;
	}
	rte_eth_dev_get_name_by_port(port_id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);

	if (nb_queues > info.max_rx_queues) {
		fprintf(stderr, "dnsift: port %s has %u RX queues, %u asked; using %u\n",
			p->name, info.max_rx_queues, nb_queues, info.max_rx_queues);
		nb_queues = info.max_rx_queues;
	}
	if (nb_queues == 0)
		nb_queues = 1;

	memset(&conf, 0, sizeof(conf));
	if (nb_queues > 1 && info.flow_type_rss_offloads != 0) {
		for (size_t i = 0; i < sizeof(symmetric_rss_key); i += 2) {
			symmetric_rss_key[i] = 0x6d;
			symmetric_rss_key[i + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len =
			info.hash_key_size ? info.hash_key_size : 40;
		/* IP only, not L4: the fragments of a datagram carry no ports and must
		 * land on the queue of the datagram's first fragment. */
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV4 |
			 RTE_ETH_RSS_FRAG_IPV6) & info.flow_type_rss_offloads;
		p->rss = conf.rx_adv_conf.rss_conf.rss_hf != 0;
	} else if (nb_queues > 1) {
		fprintf(stderr, "dnsift: port %s (%s) has no RSS: queues are not spread "
			"symmetrically\n", p->name, p->driver);
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;

	ret = rte_eth_dev_configure(port_id, nb_queues, 1, &conf);
	if (ret != 0) {
		fprintf(stderr, "dnsift: port %s: configure failed: %s\n", p->name, strerror(-ret));
		return ret;
	}
	/* Jumbo frames: accept the largest the device takes; chained mbufs carry them. */
	if (info.max_mtu > RTE_ETHER_MTU) {
		uint16_t mtu = info.max_mtu < 9000 ? info.max_mtu : 9000;
		int r = rte_eth_dev_set_mtu(port_id, mtu);
		if (r != 0 && r != -ENOTSUP)
			fprintf(stderr, "dnsift: port %s: cannot set MTU %u (kept default): %s\n",
				p->name, mtu, strerror(-r));
	}
	for (uint16_t q = 0; q < nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, rx_desc, rte_eth_dev_socket_id(port_id),
					     NULL, pool);
		if (ret != 0) {
			fprintf(stderr, "dnsift: port %s: RX queue %u setup failed: %s\n", p->name,
				q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_tx_queue_setup(port_id, 0, 64, rte_eth_dev_socket_id(port_id), NULL);
	if (ret != 0) {
		fprintf(stderr, "dnsift: port %s: TX queue setup failed: %s\n", p->name,
			strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_start(port_id);
	if (ret != 0) {
		fprintf(stderr, "dnsift: port %s: start failed: %s\n", p->name, strerror(-ret));
		return ret;
	}
	ret = rte_eth_promiscuous_enable(port_id);
	if (ret != 0 && ret != -ENOTSUP)
		fprintf(stderr, "dnsift: port %s: promiscuous mode not enabled: %s\n", p->name,
			strerror(-ret));
	p->rx_queues = nb_queues;
	return 0;
}

int dp_port_counters(const struct dp_port *p, struct dp_port_counters *c)
{
	struct rte_eth_stats st;
	int ret = rte_eth_stats_get(p->port_id, &st);

	memset(c, 0, sizeof(*c));
	if (ret != 0)
		return ret;
	c->ipackets = st.ipackets;
	c->ibytes = st.ibytes;
	c->imissed = st.imissed;
	c->ierrors = st.ierrors;
	c->rx_nombuf = st.rx_nombuf;
	return 0;
}

void dp_port_close(struct dp_port *p)
{
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
}
