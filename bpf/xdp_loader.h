/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift XDP prefilter loader (libbpf, EAL-free).
 *
 * The net_af_xdp PMD loads bpf/dns_prefilter.bpf.o itself when the port's vdev args
 * say xdp_prog=PATH, so this module never owns the bpf_object: it finds the program
 * attached to an interface (directly, or as a component of a libxdp dispatcher, which
 * is how DPDK 22.11 built with libxdp attaches it) and reaches its maps by name.
 *
 * Functions return 0 or a negative -DNSIFT_E... code (wire/err.h); those taking
 * err/errlen also leave a one-line human message there (never NULL-terminated past
 * errlen; err may be NULL when errlen is 0). They make bpf() syscalls, so they need
 * root or CAP_BPF + CAP_NET_ADMIN, and never belong on a dataplane worker.
 */
#ifndef DNSIFT_XDP_LOADER_H
#define DNSIFT_XDP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The prefilter's counters summed over all CPUs (see bpf/dns_prefilter.h). */
struct xdp_prefilter_stats {
	uint64_t redirected;	/* DNS frames handed to an AF_XDP socket */
	uint64_t no_socket;	/* DNS frames whose RX queue had no socket bound */
	uint64_t passed;	/* non-DNS frames given to the host stack */
	uint64_t dropped;	/* non-DNS frames dropped (drop_other set) */
	uint64_t parse_errors;	/* IP frames with bad headers, within passed + dropped */
};

/* Where the program is attached, as the kernel reports it. */
enum xdp_prefilter_mode {
	XDP_PREFILTER_MODE_SKB,		/* generic XDP, any netdev */
	XDP_PREFILTER_MODE_DRV,		/* native, in the driver */
};

/*
 * Fill the prefilter on ifname: ports[0..n-1] become the DNS port set (n >= 1; port
 * 0 is refused), drop_other makes the program XDP_DROP non-DNS frames instead of
 * passing them to the host. Safe while traffic flows: the new ports are switched on
 * before the old ones are switched off, and before the first call only port 53
 * counts. Call after the net_af_xdp port has started (the PMD attaches the program
 * at queue setup). Main thread / control thread; not a dataplane worker.
 */
int xdp_prefilter_configure(const char *ifname, const uint16_t *ports, unsigned int n,
			    bool drop_other, char *err, size_t errlen);

/*
 * Sum the per-CPU counters of the prefilter attached to ifname into *st. Returns 0,
 * -DNSIFT_ENOTFOUND when no prefilter is attached there, or another negative code.
 * Any non-worker thread.
 */
int xdp_prefilter_stats(const char *ifname, struct xdp_prefilter_stats *st);

/*
 * Like xdp_prefilter_stats, with a message, and also reporting the current port
 * set (ports_out[0..*n_ports-1], at most ports_cap of them, ascending) and the
 * drop_other flag; ports_configured is false when no loader filled the set yet (the
 * program then uses port 53 only). Any non-worker thread.
 */
int xdp_prefilter_show(const char *ifname, struct xdp_prefilter_stats *st,
		       uint16_t *ports_out, unsigned int ports_cap, unsigned int *n_ports,
		       bool *ports_configured, bool *drop_other, char *err, size_t errlen);

/*
 * For tests and operators without DPDK: load obj_path and attach its "xdp" program
 * to ifname in the given mode, replacing nothing (fails with -DNSIFT_EEXISTS if a
 * program is already attached). The attachment outlives the calling process; undo
 * it with xdp_prefilter_detach. Main thread.
 */
int xdp_prefilter_attach(const char *ifname, const char *obj_path,
			 enum xdp_prefilter_mode mode, char *err, size_t errlen);

/* Remove whatever XDP program is attached to ifname (any mode). Main thread. */
int xdp_prefilter_detach(const char *ifname, char *err, size_t errlen);

#endif
