/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift: the sensor process.
 *
 *   dnsift [-c FILE] [-r PCAP]... [-o SPOOL] [-s KEY=VALUE]... [-p] [-q] [-- EAL ARGS]
 *
 * The main lcore sets up ports, workers, dedup and the segment writer, then
 * does housekeeping (dedup expiry feeding the writer) until a signal or, in
 * offline mode, the end of every capture file. Teardown runs in reverse.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/records.h"
#ifdef DNSIFT_HAVE_XDP_LOADER
#include "bpf/xdp_loader.h"
#endif
#include "dataplane/sensor.h"
#include "dataplane/upstream.h"
#include "dataplane/deleg.h"
#include "dedup/dedup.h"
#include "wire/pkt.h"

#include <pcap/pcap.h>

#define RX_DESC 1024
#define MBUF_CACHE 256
#define MAX_EAL_ARGS 128
#define HOUSEKEEPING_BUDGET 4096	/* dedup entries examined per pass */

struct sensor sensor;

static void on_signal(int sig)
{
	(void)sig;
	sensor.stop = true;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsift [options] [-- EAL arguments]\n"
		"  -c FILE        configuration file (default: built-in defaults)\n"
		"  -r PCAP        offline: read this capture through a net_pcap port and stop\n"
		"                 at its end (repeatable: one port and worker per file)\n"
		"  -o DIR         spool directory (overrides spool_dir)\n"
		"  -s KEY=VALUE   set a configuration key (repeatable, after -c)\n"
		"  -p             also print every record to stdout\n"
		"  -q             no statistics summary at exit\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version and exit\n"
		"EAL arguments come from after '--', else from eal_args in the configuration,\n"
		"else (offline) '--no-huge --no-pci -m 512 --file-prefix dnsift-PID'.\n");
}

/* Split s on blanks into argv (s is modified). */
static int split_args(char *s, char **argv, int max)
{
	int n = 0;
	for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
		argv[n++] = tok;
	return n;
}

static void remove_runtime_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 256];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sensor_sum_stats(struct dp_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sensor.nb_workers; i++)
		if (sensor.workers[i].pipe)
			dp_stats_add(out, pipeline_stats(sensor.workers[i].pipe));
}

/* libpcap hands out DLT_ values; the decoder speaks LINKTYPE_ (the file format's).
 * They differ only for raw IP, where Linux's DLT_RAW is 12 (14 on some BSDs). */
static uint32_t linktype_of_dlt(int dlt)
{
	if (dlt == DLT_RAW || dlt == 14)
		return PKT_LINKTYPE_RAW;
	return (uint32_t)dlt;
}

/*
 * Count the complete records of a capture so offline mode knows its end exactly.
 * Through libpcap, like the net_pcap port that reads it afterwards: classic pcap
 * (either byte order, micro- or nanoseconds) and pcapng alike.
 */
static int inspect_capture(const char *path, uint32_t *linktype, uint64_t *records)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);
	int r;

	if (p == NULL) {
		fprintf(stderr, "dnsift: %s: cannot read the capture: %s\n", path, errbuf);
		return -1;
	}
	*linktype = linktype_of_dlt(pcap_datalink(p));
	*records = 0;
	while ((r = pcap_next_ex(p, &hdr, &data)) == 1)
		(*records)++;
	if (r == PCAP_ERROR)
		fprintf(stderr, "dnsift: %s: %s; the %" PRIu64
			" complete records before it are processed\n", path, pcap_geterr(p),
			*records);
	pcap_close(p);
	return 0;
}

/* Offline: true once every file has been read and every worker has drained. */
static bool offline_done(void)
{
	struct dp_stats total;

	for (unsigned int i = 0; i < sensor.nb_ports; i++) {
		struct dp_port_counters c;
		if (dp_port_counters(&sensor.ports[i], &c) != 0)
			return false;
		/* ierrors also counts libpcap read errors past a truncated tail. */
		if (c.ipackets + c.ierrors + c.rx_nombuf < sensor.ports[i].file_records)
			return false;
	}
	uint64_t ipackets = 0;
	for (unsigned int i = 0; i < sensor.nb_ports; i++) {
		struct dp_port_counters c;
		dp_port_counters(&sensor.ports[i], &c);
		ipackets += c.ipackets;
	}
	sensor_sum_stats(&total);
	return total.rx_packets >= ipackets;
}

/* Housekeeping clock: offline, the oldest worker's packet time; live, now. */
static uint64_t housekeeping_now_ns(void)
{
	if (!sensor.offline)
		return sensor_now_ns(rte_rdtsc());
	uint64_t min = UINT64_MAX;
	for (unsigned int i = 0; i < sensor.nb_workers; i++) {
		uint64_t c = atomic_load_explicit(&sensor.workers[i].clock_ns,
						  memory_order_acquire);
		if (c && c < min)
			min = c;
	}
	return min == UINT64_MAX ? 0 : min;
}

static void print_counter(void *arg, const char *name, uint64_t value)
{
	fprintf(arg, "  %-32s %" PRIu64 "\n", name, value);
}

static void print_summary(FILE *out)
{
	struct dp_stats t;

	sensor_sum_stats(&t);
	fprintf(out, "dnsift: totals over %u worker(s)\n", sensor.nb_workers);
	dp_stats_foreach(&t, 0, print_counter, out);
	for (unsigned int i = 0; i < sensor.nb_workers; i++)
		pipeline_foreach_module_counter(sensor.workers[i].pipe, print_counter, out);
	records_foreach_counter(print_counter, out);
	deleg_foreach_counter(sensor.deleg, print_counter, out);
	for (unsigned int i = 0; i < sensor.nb_ports; i++) {
		struct dp_port_counters c;
		if (dp_port_counters(&sensor.ports[i], &c) == 0)
			fprintf(out, "  port %s: ipackets=%" PRIu64 " imissed=%" PRIu64
				" ierrors=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
				sensor.ports[i].name, c.ipackets, c.imissed, c.ierrors,
				c.rx_nombuf);
	}
	uint64_t in = t.rx_packets + t.frag_datagrams;
	uint64_t out_sum = t.frag_absorbed + t.frag_unsupported + t.not_dns + t.foreign +
			   t.client_side + t.tcp_segments + t.udp_dns + t.oversize;
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		out_sum += t.decode_reject[i];
	fprintf(out, "dnsift: accounting: %" PRIu64 " frames+datagrams in, %" PRIu64
		" accounted for%s\n", in, out_sum, in == out_sum ? "" : "  (MISMATCH)");
}

/*
 * A net_af_xdp port whose spec names our prefilter (xdp_prog=...dns_prefilter...)
 * gets the configured DNS ports written into the program's map, so the kernel
 * hands only DNS to the socket. Main lcore, after the port started.
 */
static void configure_prefilter(const struct dp_port *p)
{
#ifdef DNSIFT_HAVE_XDP_LOADER
	for (unsigned int i = 0; i < sensor.conf.port_count; i++) {
		const char *spec = sensor.conf.port[i];
		size_t name_len = strcspn(spec, ",");
		const char *iface = strstr(spec, "iface=");
		char ifname[64], err[256];

		if (strncmp(spec, p->name, name_len) != 0 || p->name[name_len] != '\0' ||
		    strncmp(spec, "net_af_xdp", 10) != 0 || strstr(spec, "xdp_prog=") == NULL ||
		    iface == NULL)
			continue;
		snprintf(ifname, sizeof(ifname), "%.*s", (int)strcspn(iface + 6, ","), iface + 6);
		if (xdp_prefilter_configure(ifname, sensor.conf.dns_port,
					    sensor.conf.dns_port_count, false, err,
					    sizeof(err)) == 0)
			fprintf(stderr, "dnsift: port %s: XDP prefilter on %s passes %u DNS "
				"port(s) to the socket\n", p->name, ifname,
				sensor.conf.dns_port_count);
		else
			fprintf(stderr, "dnsift: port %s: XDP prefilter on %s not configured "
				"(only port 53 goes to the socket): %s\n", p->name, ifname, err);
	}
#else
	(void)p;
#endif
}

static int setup_workers(void)
{
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);

	for (unsigned int p = 0; p < sensor.nb_ports; p++) {
		for (uint16_t q = 0; q < sensor.ports[p].rx_queues; q++) {
			struct worker *w = &sensor.workers[sensor.nb_workers];
			if (lcore >= RTE_MAX_LCORE || sensor.nb_workers >= SENSOR_MAX_WORKERS) {
				fprintf(stderr, "dnsift: %u RX queue(s) need as many worker lcores "
					"besides the main one; give more with -l/--lcores\n",
					sensor.nb_workers + 1);
				return -1;
			}
			struct pipeline_params pp = {
				.worker = sensor.nb_workers,
				.upstream = sensor.upstream,
				.dedup = sensor.dedup,
				.unmatched = sensor.conf.unmatched == CONF_UNMATCHED_RECORD ?
						     PIPELINE_UNMATCHED_RECORD :
						     PIPELINE_UNMATCHED_DROP,
				.query_timeout_ns = (uint64_t)sensor.conf.query_timeout_ms * 1000000ull,
				.max_queries = 65536,
				.tcp_max_flows = sensor.conf.tcp_max_flows,
				.tcp_timeout_ns = 30ull * 1000000000ull,
				.deleg = sensor.deleg,
				.bailiwick_unknown = sensor.conf.bailiwick_unknown ==
							     CONF_BAILIWICK_UNKNOWN_DROP ?
						     PIPELINE_BAILIWICK_UNKNOWN_DROP :
						     PIPELINE_BAILIWICK_UNKNOWN_RECORD,
			};
			w->pipe = pipeline_create(&pp);
			if (w->pipe == NULL) {
				fprintf(stderr, "dnsift: worker %u: %s\n", sensor.nb_workers,
					strerror(errno));
				return -1;
			}
			/* Timestamps are nanoseconds (packet time offline), so max_cycles is too. */
			uint32_t flows = sensor.conf.frag_max_flows;
			w->frag_tbl = rte_ip_frag_table_create(flows, 16, flows,
							       PIPELINE_FRAG_TIMEOUT_NS,
							       rte_lcore_to_socket_id(lcore));
			if (w->frag_tbl == NULL) {
				fprintf(stderr, "dnsift: worker %u: fragment table of %u flows: "
					"no DPDK memory left (raise -m or the hugepages, or lower "
					"frag_max_flows)\n", sensor.nb_workers, flows);
				return -1;
			}
			w->scratch = worker_scratch_alloc((int)rte_lcore_to_socket_id(lcore));
			if (w->scratch == NULL) {
				fprintf(stderr, "dnsift: worker %u: no DPDK memory for its "
					"frame buffer (raise -m or the hugepages)\n",
					sensor.nb_workers);
				rte_ip_frag_table_destroy(w->frag_tbl);
				pipeline_free(w->pipe);
				return -1;
			}
			w->port_index = (uint16_t)p;
			w->queue = q;
			w->lcore = lcore;
			sensor.nb_workers++;
			lcore = rte_get_next_lcore(lcore, 1, 0);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char eal_buf[CONF_LONG_MAX];
	static char vdev_args[SENSOR_MAX_PORTS][CONF_LONG_MAX + 64];
	const char *conf_path = NULL, *spool = NULL;
	const char *pcaps[SENSOR_MAX_PORTS];
	const char *sets[64];
	unsigned int nb_pcaps = 0, nb_sets = 0;
	bool quiet = false;
	int rc = 1;
	char errbuf[512];
	int opt, ret;

	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "read", required_argument, NULL, 'r' },
		{ "spool", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, 's' },
		{ "print", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	conf_init_defaults(&sensor.conf);
	while ((opt = getopt_long(argc, argv, "c:r:o:s:pqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'r':
			if (nb_pcaps == SENSOR_MAX_PORTS) {
				fprintf(stderr, "dnsift: at most %d captures\n", SENSOR_MAX_PORTS);
				return 2;
			}
			pcaps[nb_pcaps++] = optarg;
			break;
		case 'o': spool = optarg; break;
		case 's':
			if (nb_sets == 64) {
				fprintf(stderr, "dnsift: too many -s\n");
				return 2;
			}
			sets[nb_sets++] = optarg;
			break;
		case 'p': sensor.print_records = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dnsift %s\n", DNSIFT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (conf_path && conf_load_file(&sensor.conf, conf_path, errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "dnsift: %s\n", errbuf);
		return 2;
	}
	for (unsigned int i = 0; i < nb_sets; i++) {
		char key[128];
		const char *eq = strchr(sets[i], '=');
		if (eq == NULL || (size_t)(eq - sets[i]) >= sizeof(key)) {
			fprintf(stderr, "dnsift: -s %s: expected KEY=VALUE\n", sets[i]);
			return 2;
		}
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = '\0';
		if (conf_set(&sensor.conf, key, eq + 1, errbuf, sizeof(errbuf)) != 0) {
			fprintf(stderr, "dnsift: -s %s: %s\n", sets[i], errbuf);
			return 2;
		}
	}
	if (spool && conf_set(&sensor.conf, "spool_dir", spool, errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "dnsift: -o %s: %s\n", spool, errbuf);
		return 2;
	}
	if (conf_validate(&sensor.conf, errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "dnsift: %s\n", errbuf);
		return 2;
	}
	if (nb_pcaps == 0 && sensor.conf.port_count == 0) {
		fprintf(stderr, "dnsift: no input: give -r PCAP or 'port' in the configuration\n");
		usage(stderr);
		return 2;
	}
	sensor.offline = nb_pcaps > 0;
	/* Read each capture once before DPDK opens it: a clear error now, and the
	 * exact record count that tells offline mode where the input ends. */
	uint32_t pcap_linktype[SENSOR_MAX_PORTS];
	uint64_t pcap_records[SENSOR_MAX_PORTS];
	for (unsigned int i = 0; i < nb_pcaps; i++)
		if (inspect_capture(pcaps[i], &pcap_linktype[i], &pcap_records[i]) != 0)
			return 1;

	/* EAL arguments: after "--", else eal_args, else offline defaults. */
	char *eal_argv[MAX_EAL_ARGS];
	int eal_argc = 0;
	char prefix_arg[64];
	eal_argv[eal_argc++] = argv[0];
	if (optind < argc && strcmp(argv[optind - 1], "--") == 0) {
		for (int i = optind; i < argc && eal_argc < MAX_EAL_ARGS - 2 * SENSOR_MAX_PORTS - 2; i++)
			eal_argv[eal_argc++] = argv[i];
	} else if (sensor.conf.eal_args[0]) {
		snprintf(eal_buf, sizeof(eal_buf), "%s", sensor.conf.eal_args);
		eal_argc += split_args(eal_buf, eal_argv + eal_argc,
				       MAX_EAL_ARGS - 2 * SENSOR_MAX_PORTS - 2);
	} else if (sensor.offline) {
		static char dflt[] = "--no-huge --no-pci -m 512 --log-level=*:warning";
		eal_argc += split_args(dflt, eal_argv + eal_argc, 8);
	}
	/* The control process finds the telemetry socket under the file prefix. */
	bool has_prefix = false, own_prefix = false;
	for (int i = 1; i < eal_argc; i++)
		if (strncmp(eal_argv[i], "--file-prefix", 13) == 0)
			has_prefix = true;
	if (!has_prefix) {
		if (sensor.offline) {
			snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=dnsift-%d", getpid());
			own_prefix = true;
		} else {
			snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=dnsift");
		}
		eal_argv[eal_argc++] = prefix_arg;
	}
	for (unsigned int i = 0; i < nb_pcaps; i++) {
		snprintf(vdev_args[i], sizeof(vdev_args[i]), "net_pcap_dnsift%u,rx_pcap=%s", i,
			 pcaps[i]);
		eal_argv[eal_argc++] = (char *)"--vdev";
		eal_argv[eal_argc++] = vdev_args[i];
	}
	for (unsigned int i = 0; i < sensor.conf.port_count && nb_pcaps == 0; i++) {
		/* Virtual devices by driver name; anything else is a PCI address. */
		eal_argv[eal_argc++] = strncmp(sensor.conf.port[i], "net_", 4) == 0 ?
					       (char *)"--vdev" : (char *)"-a";
		eal_argv[eal_argc++] = sensor.conf.port[i];
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "dnsift: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	char runtime_dir[PATH_MAX];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	sensor.tsc_hz = rte_get_tsc_hz();
	sensor.tsc_base = rte_rdtsc();
	sensor.wall_base_ns = wall_ns();
	sensor.start_ns = sensor.wall_base_ns;

	/* Upstream rules. */
	struct upstream_params up = {
		.max_prefixes = CONF_MAX_RESOLVERS,
		.dns_ports = sensor.conf.dns_port,
		.dns_port_count = sensor.conf.dns_port_count,
	};
	sensor.upstream = upstream_create(&up);
	if (sensor.upstream == NULL) {
		fprintf(stderr, "dnsift: upstream rules: %s\n", strerror(errno));
		goto fail_eal;
	}
	for (unsigned int i = 0; i < sensor.conf.resolver_count; i++) {
		char cidr[64];
		conf_format_cidr(&sensor.conf.resolver[i], cidr, sizeof(cidr));
		ret = upstream_add(sensor.upstream, cidr);
		if (ret < 0) {
			fprintf(stderr, "dnsift: resolver %s: %s\n", cidr, dnsift_strerror(ret));
			goto fail_upstream;
		}
	}
	if (sensor.conf.resolver_count == 0)
		fprintf(stderr, "dnsift: no resolver configured: every query to a DNS port "
			"is treated as upstream\n");

	/* The delegation table behind every bailiwick (dataplane/deleg.h). */
	struct deleg_params dlp = {
		.max_pairs = sensor.conf.bailiwick_pairs,
		.max_nameservers = sensor.conf.bailiwick_nameservers,
		.max_age_sec = sensor.conf.bailiwick_max_age_s,
	};
	sensor.deleg = deleg_create(&dlp);
	if (sensor.deleg == NULL) {
		fprintf(stderr, "dnsift: delegation table: %s\n", strerror(errno));
		goto fail_upstream;
	}
	if (sensor.conf.root_hints[0] != '\0') {
		char herr[512];
		ret = deleg_load_hints(sensor.deleg, sensor.conf.root_hints, herr, sizeof(herr));
		if (ret < 0) {
			fprintf(stderr, "dnsift: root_hints: %s\n", herr);
			goto fail_upstream;
		}
		fprintf(stderr, "dnsift: bailiwick: root from %s (%d root server address(es))\n",
			sensor.conf.root_hints, ret);
	} else {
		fprintf(stderr, "dnsift: bailiwick: no root_hints; the root servers are learned "
			"from priming answers (. NS), trusted on first use\n");
	}
	if (sensor.conf.bailiwick_unknown == CONF_BAILIWICK_UNKNOWN_DROP)
		fprintf(stderr, "dnsift: bailiwick_unknown = drop: responses from servers no "
			"known delegation covers are counted and not recorded\n");

	/* Dedup, then the record path (segment writer), so records have somewhere to go. */
	if (records_setup(&sensor) != 0)
		goto fail_upstream;

	/* Ports. Offline, each capture is one port with one queue. */
	uint16_t port_id;
	unsigned int nb_mbufs = 0;
	RTE_ETH_FOREACH_DEV(port_id) {
		if (sensor.nb_ports == SENSOR_MAX_PORTS)
			break;
		sensor.nb_ports++;
		nb_mbufs += (sensor.offline ? 1 : sensor.conf.rx_queues) *
			    (RX_DESC + 2 * 32 + 16 * 8);
	}
	if (sensor.nb_ports == 0) {
		fprintf(stderr, "dnsift: no ports (check the port / -r arguments)\n");
		goto fail_records;
	}
	/* net_pcap with infinite_rx=1 keeps the whole file in mbufs of this pool. */
	for (unsigned int i = 0; i < sensor.conf.port_count && nb_pcaps == 0; i++) {
		const char *spec = sensor.conf.port[i], *file = strstr(spec, "rx_pcap=");
		char path[PATH_MAX];
		uint32_t lt;
		uint64_t n;

		if (strncmp(spec, "net_pcap", 8) != 0 || file == NULL ||
		    strstr(spec, "infinite_rx=1") == NULL)
			continue;
		file += 8;
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(file, ","), file);
		if (inspect_capture(path, &lt, &n) == 0)
			nb_mbufs += (unsigned int)(n < UINT32_MAX / 2 ? n : UINT32_MAX / 2);
	}
	/* Fragments held in reassembly tables need mbufs too. */
	nb_mbufs += sensor.conf.frag_max_flows * 4u + MBUF_CACHE * (rte_lcore_count() + 1);
	struct rte_mempool *pool = rte_pktmbuf_pool_create("dnsift_mbufs", nb_mbufs, MBUF_CACHE,
							   0, RTE_MBUF_DEFAULT_BUF_SIZE,
							   rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "dnsift: mbuf pool of %u: %s\n", nb_mbufs,
			rte_strerror(rte_errno));
		goto fail_records;
	}
	unsigned int pi = 0;
	RTE_ETH_FOREACH_DEV(port_id) {
		if (pi == sensor.nb_ports)
			break;
		struct dp_port *p = &sensor.ports[pi];
		if (dp_port_setup(p, port_id, sensor.offline ? 1 : (uint16_t)sensor.conf.rx_queues,
				  pool, RX_DESC) != 0)
			goto fail_ports;
		if (sensor.offline) {
			p->pcap_file = true;
			p->linktype = pcap_linktype[pi];
			p->file_records = pcap_records[pi];
		}
		configure_prefilter(p);
		fprintf(stderr, "dnsift: port %s (%s): %u RX queue(s)%s, link type %s\n",
			p->name, p->driver, p->rx_queues, p->rss ? ", symmetric RSS" : "",
			pkt_linktype_name(p->linktype));
		pi++;
	}
	if (setup_workers() != 0)
		goto fail_workers;
	if (telemetry_register() != 0)
		fprintf(stderr, "dnsift: telemetry commands not registered\n");

	bool worker_failed = false;
	for (unsigned int i = 0; i < sensor.nb_workers; i++) {
		ret = rte_eal_remote_launch(worker_main, &sensor.workers[i],
					    sensor.workers[i].lcore);
		if (ret != 0) {
			fprintf(stderr, "dnsift: cannot launch worker on lcore %u\n",
				sensor.workers[i].lcore);
			sensor.stop = true;
			worker_failed = true;
			break;
		}
	}
	fprintf(stderr, "dnsift: %u worker(s) running; sensor_id %s, window %us%s\n",
		sensor.nb_workers, sensor.conf.sensor_id, sensor.conf.window_s,
		sensor.offline ? ", offline (stops at end of input)" : "");

	/* Housekeeping on the main lcore: it may sleep; workers never do. A worker
	 * that returns while the sensor runs (it could not start) stops the sensor:
	 * offline, its port would otherwise never reach the end of its input. */
	while (!sensor.stop) {
		unsigned int n = records_housekeeping(housekeeping_now_ns(), HOUSEKEEPING_BUDGET);
		if (sensor.offline && offline_done())
			break;
		for (unsigned int i = 0; i < sensor.nb_workers; i++)
			if (atomic_load(&sensor.workers[i].exited))
				worker_failed = true;
		if (worker_failed)
			break;
		if (n < HOUSEKEEPING_BUDGET)
			usleep(1000);
	}
	sensor.stop = true;
	for (unsigned int i = 0; i < sensor.nb_workers; i++) {
		int wrc = rte_eal_wait_lcore(sensor.workers[i].lcore);
		if (wrc != 0) {
			fprintf(stderr, "dnsift: worker %u on lcore %u failed: %s\n", i,
				sensor.workers[i].lcore, strerror(-wrc));
			worker_failed = true;
		}
	}
	/* Nothing a telemetry handler reads may be freed or torn down from here on. */
	telemetry_close();
	/* Every live entry becomes a record, then the writer drains and rotates. */
	records_shutdown();
	if (!quiet)
		print_summary(stderr);
	rc = worker_failed ? 1 : 0;

fail_workers:
	for (unsigned int i = 0; i < sensor.nb_workers; i++) {
		rte_ip_frag_table_destroy(sensor.workers[i].frag_tbl);
		pipeline_free(sensor.workers[i].pipe);
		rte_free(sensor.workers[i].scratch);
	}
fail_ports:
	for (unsigned int i = 0; i < pi; i++)
		dp_port_close(&sensor.ports[i]);
fail_records:
	records_free();
fail_upstream:
	deleg_free(sensor.deleg);
	upstream_free(sensor.upstream);
fail_eal:
	rte_eal_cleanup();
	/* A prefix of our own making (offline runs) leaves no runtime directory behind. */
	if (own_prefix)
		remove_runtime_dir(runtime_dir);
	return rc;
}
