/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore: burst RX from its one queue, IP fragment reassembly with
 * rte_ip_frag, everything else in the EAL-free pipeline. No malloc, no
 * syscall, no lock, no log on this path.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "dataplane/sensor.h"
#include "dedup/dedup.h"

#define BURST 32
#define PREFETCH_AHEAD 3
#define EXPIRE_EVERY 64		/* loops between timeout scans */
#define EXPIRE_BUDGET 32	/* entries per scan and per table */
#define IDLE_LOOPS_OFFLINE 256	/* empty polls before going QSBR-offline */
/* Frames in chained mbufs are copied into this for decoding: jumbo plus slack. */
#define LINEAR_MAX (64u * 1024u + 512u)

struct worker_scratch {
	uint8_t linear[LINEAR_MAX];
} __rte_cache_aligned;

void *worker_scratch_alloc(int socket)
{
	return rte_zmalloc_socket("dnsift_worker_scratch", sizeof(struct worker_scratch),
				  RTE_CACHE_LINE_SIZE, socket);
}

static int ts_offset = -1;
static uint64_t ts_flag;

/* Contiguous view of a frame: the mbuf's own data, or a copy in scratch. */
static const uint8_t *frame_bytes(struct rte_mbuf *m, struct worker_scratch *s, uint32_t *len)
{
	*len = rte_pktmbuf_pkt_len(m);
	if (likely(m->nb_segs == 1))
		return rte_pktmbuf_mtod(m, const uint8_t *);
	if (*len > LINEAR_MAX)
		return NULL;
	return rte_pktmbuf_read(m, 0, *len, s->linear);
}

/*
 * Hand one fragment to rte_ip_frag. Returns a reassembled datagram (a new
 * chain the caller frees) or NULL; the fragment itself now belongs to the
 * table, or to the death row.
 */
static struct rte_mbuf *reassemble(struct worker *w, struct rte_ip_frag_death_row *dr,
				   struct rte_mbuf *m, const struct pkt_info *pi,
				   uint64_t now_ns)
{
	struct dp_stats *st = pipeline_stats(w->pipe);
	uint32_t ip_end = (uint32_t)pi->l3_off + pi->l3_len;

	/* Ethernet padding must not become datagram bytes. */
	if (rte_pktmbuf_pkt_len(m) > ip_end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - ip_end));
	m->l2_len = pi->l3_off;
	if (pi->ip_version == 4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								   pi->l3_off);
		m->l3_len = (ip->version_ihl & 0x0f) * 4u;
		st->frag_absorbed++;
		return rte_ipv4_frag_reassemble_packet(w->frag_tbl, dr, m, now_ns, ip);
	}
	if (pi->frag_hdr_off != sizeof(struct rte_ipv6_hdr)) {
		/* rte_ip_frag only handles a fragment header right after the fixed one. */
		st->frag_unsupported++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);
	m->l3_len = sizeof(*ip6) + sizeof(struct rte_ipv6_fragment_ext);
	st->frag_absorbed++;
	return rte_ipv6_frag_reassemble_packet(w->frag_tbl, dr, m, now_ns, ip6,
					       (struct rte_ipv6_fragment_ext *)(ip6 + 1));
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	const struct dp_port *port = &sensor.ports[w->port_index];
	struct dp_stats *st = pipeline_stats(w->pipe);
	struct rte_mbuf *bufs[BURST];
	struct rte_mbuf *done[BURST];
	struct rte_ip_frag_death_row dr = { .cnt = 0 };
	struct worker_scratch *scratch = w->scratch;
	struct pkt_info pi;
	unsigned int idle_loops = 0, loops = 0;
	bool online = true;
	uint64_t now_ns = sensor_now_ns(rte_rdtsc());

	if (scratch == NULL) {
		atomic_store(&w->exited, true);
		return -EINVAL;
	}
	if (ts_offset < 0 && rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) != 0)
		ts_offset = -1;
	dedup_thread_register();

	while (!sensor.stop) {
		uint16_t nb = rte_eth_rx_burst(port->port_id, w->queue, bufs, BURST);

		if (nb == 0) {
			dedup_quiescent();
			atomic_store_explicit(&w->idle, true, memory_order_release);
			if (online && ++idle_loops > IDLE_LOOPS_OFFLINE) {
				/* An idle worker must not hold back grace periods. */
				dedup_thread_offline();
				online = false;
			}
			if (!port->pcap_file)
				atomic_store_explicit(&w->clock_ns, sensor_now_ns(rte_rdtsc()),
						      memory_order_relaxed);
			rte_pause();
			continue;
		}
		if (!online) {
			dedup_thread_online();
			online = true;
		}
		idle_loops = 0;
		atomic_store_explicit(&w->idle, false, memory_order_relaxed);
		if (!port->pcap_file)
			now_ns = sensor_now_ns(rte_rdtsc());

		unsigned int nb_done = 0;
		for (unsigned int i = 0; i < nb && i < PREFETCH_AHEAD; i++)
			rte_prefetch0(rte_pktmbuf_mtod(bufs[i], void *));
		for (unsigned int i = 0; i < nb; i++) {
			struct rte_mbuf *m = bufs[i];
			const uint8_t *frame;
			uint32_t len;

			if (i + PREFETCH_AHEAD < nb)
				rte_prefetch0(rte_pktmbuf_mtod(bufs[i + PREFETCH_AHEAD], void *));
			if (ts_offset >= 0 && (m->ol_flags & ts_flag))
				now_ns = *RTE_MBUF_DYNFIELD(m, ts_offset, rte_mbuf_timestamp_t *) *
					 1000u; /* net_pcap stamps microseconds */
			if (unlikely(m->nb_segs > 1))
				st->rx_multiseg++;
			frame = frame_bytes(m, scratch, &len);
			if (unlikely(frame == NULL)) {
				st->rx_packets++;
				st->rx_bytes += len;
				st->oversize++;
				done[nb_done++] = m;
				continue;
			}
			if (pipeline_frame(w->pipe, frame, len, port->linktype, now_ns, &pi) ==
			    PIPELINE_DONE) {
				done[nb_done++] = m;
				continue;
			}
			struct rte_mbuf *whole = reassemble(w, &dr, m, &pi, now_ns);
			if (whole != NULL) {
				frame = frame_bytes(whole, scratch, &len);
				if (frame == NULL) {
					st->frag_datagrams++;
					st->oversize++;
				} else
					pipeline_datagram(w->pipe, frame, len, port->linktype,
							  now_ns);
				rte_pktmbuf_free(whole);
			}
		}
		if (nb_done)
			rte_pktmbuf_free_bulk(done, nb_done);
		if (dr.cnt)
			rte_ip_frag_free_death_row(&dr, PREFETCH_AHEAD);
		atomic_store_explicit(&w->clock_ns, now_ns, memory_order_release);
		if (++loops % EXPIRE_EVERY == 0)
			pipeline_expire(w->pipe, now_ns, EXPIRE_BUDGET);
		dedup_quiescent();
	}
	if (!online)
		dedup_thread_online();
	dedup_thread_unregister();
	atomic_store(&w->exited, true);
	return 0;
}
