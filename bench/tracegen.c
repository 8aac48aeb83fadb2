/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-tracegen: synthetic resolver-upstream DNS traffic as a classic Ethernet pcap,
 * for replay with pktgen-dpdk, tcpreplay or DPDK's net_pcap.
 *
 * The trace is what a tap between a busy recursive resolver and the authoritative
 * servers would see: consistent query/response exchanges over UDP and TCP, IPv4 and
 * IPv6, some 802.1Q-tagged, large answers fragmented at the path MTU. Names follow a
 * Zipf popularity over a fixed universe; every name, zone and server address is a pure
 * function of (seed, name index), and the rdata of an RRset is a pure function of
 * (name, type, version), so a "repeat" (version 0) is byte-identical to the RRset seen
 * before, which is what the sensor's dedup must recognise. Everything comes from one
 * seeded generator: the same options and seed give the same bytes.
 *
 * The CLI and the write loop; the traffic is built by gen_scenario (exchanges),
 * gen_names (the name universe), gen_rng (random numbers, Zipf), gen_msg (DNS
 * messages) and gen_frame (Ethernet frames).
 *
 * Single-threaded program; nothing here is shared.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/gen_rng.h"
#include "bench/gen_scenario.h"
#include "wire/err.h"
#include "wire/pcap_file.h"

#define LINKTYPE_ETHERNET	1
#define SNAPLEN			65535u

static void usage(FILE *out, const struct gen_opts *d)
{
	fprintf(out,
"usage: dnsift-tracegen [options]\n"
"Writes an Ethernet pcap of resolver-upstream DNS traffic (deterministic for a seed).\n"
"  -o, --output FILE   output pcap (default %s)\n"
"  -n, --packets N     stop after the exchange that reaches N packets (default %" PRIu64 ")\n"
"  -s, --seed N        random seed (default %" PRIu64 ")\n"
"      --names N       name universe size (default %u)\n"
"      --zipf S        Zipf exponent of name popularity, 0 = uniform (default %.2f)\n"
"      --repeat R      probability an answer RRset is the name's stable (already seen)\n"
"                      one rather than fresh rdata, 0..1 (default %.2f)\n"
"      --ipv6 R        share of exchanges over IPv6 (default %.2f)\n"
"      --tcp R         share of exchanges over TCP (handshake, split responses, FIN)\n"
"                      (default %.2f)\n"
"      --frag R        share of exchanges with a large answer, IP-fragmented at MTU\n"
"                      1500/1280 (default %.2f)\n"
"      --vlan R        share of exchanges with an 802.1Q tag (default %.2f)\n"
"      --dnssec R      share of zones that are signed: RRSIGs in answers to DO queries,\n"
"                      NSEC in negative answers, DS in referrals (default %.2f)\n"
"      --nxdomain R    share of NXDOMAIN answers, SOA in authority (default %.2f)\n"
"      --nodata R      share of NODATA answers, SOA in authority (default %.2f)\n"
"      --referral R    share of referrals from the parent zone, NS + glue (default %.2f)\n"
"      --edns R        share of messages with an EDNS OPT record (default %.2f)\n"
"      --ttl-short R   share of names with short TTLs (20-300 s) vs long (600-86400 s)\n"
"                      (default %.2f)\n"
"      --unique        every query name unique (random-subdomain attack) under one of\n"
"                      --victims zones (default off)\n"
"      --victims N     victim zones of --unique (default %u)\n"
"      --inflight N    exchanges interleaved at once, 1..%u (default %u)\n"
"      --pps N         packet rate of the time stamps (default %" PRIu64 ")\n"
"      --start T       Unix time of the first packet (default %" PRIu64 ")\n"
"      --preset NAME   realistic | hotcache | attack | tcpfrag (applied first; other\n"
"                      options override it)\n"
"  -q, --quiet         no summary on stderr\n"
"  -h, --help          this help\n"
"  -V, --version       print the version and exit\n",
		d->out, d->packets, d->seed, d->names, d->zipf, d->repeat, d->ipv6, d->tcp,
		d->frag, d->vlan, d->dnssec, d->nxdomain, d->nodata, d->referral, d->edns,
		d->ttl_short, d->victims, MAX_INFLIGHT, d->inflight, d->pps, d->start);
}

enum { OPT_NAMES = 256, OPT_ZIPF, OPT_REPEAT, OPT_IPV6, OPT_TCP, OPT_FRAG, OPT_VLAN,
       OPT_DNSSEC, OPT_NXDOMAIN, OPT_NODATA, OPT_REFERRAL, OPT_EDNS, OPT_TTL_SHORT,
       OPT_UNIQUE, OPT_VICTIMS, OPT_INFLIGHT, OPT_PPS, OPT_START, OPT_PRESET };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "packets", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "names", required_argument, NULL, OPT_NAMES },
	{ "zipf", required_argument, NULL, OPT_ZIPF },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "tcp", required_argument, NULL, OPT_TCP },
	{ "frag", required_argument, NULL, OPT_FRAG },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "dnssec", required_argument, NULL, OPT_DNSSEC },
	{ "nxdomain", required_argument, NULL, OPT_NXDOMAIN },
	{ "nodata", required_argument, NULL, OPT_NODATA },
	{ "referral", required_argument, NULL, OPT_REFERRAL },
	{ "edns", required_argument, NULL, OPT_EDNS },
	{ "ttl-short", required_argument, NULL, OPT_TTL_SHORT },
	{ "unique", no_argument, NULL, OPT_UNIQUE },
	{ "victims", required_argument, NULL, OPT_VICTIMS },
	{ "inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "pps", required_argument, NULL, OPT_PPS },
	{ "start", required_argument, NULL, OPT_START },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "dnsift-tracegen: --%s %s: expected an integer in %" PRIu64
			"..%" PRIu64 "\n", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_ratio(const char *opt, const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.0 && v <= max)) {
		fprintf(stderr, "dnsift-tracegen: --%s %s: expected a number in 0..%g\n", opt, s,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	struct gen_opts d;
	uint64_t u;
	int c;

	gen_opts_defaults(&d);
	/* Presets first, so every other option overrides them whatever the order. */
	for (int i = 1; i < argc; i++) {
		const char *p = NULL;
		if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
			p = argv[i + 1];
		else if (strncmp(argv[i], "--preset=", 9) == 0)
			p = argv[i] + 9;
		if (p && gen_apply_preset(o, p) != 0) {
			fprintf(stderr, "dnsift-tracegen: unknown preset '%s' (realistic, hotcache, "
				"attack, tcpfrag)\n", p);
			return 2;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	while ((c = getopt_long(argc, argv, "o:n:s:qhV", long_opts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'n': r = parse_u64("packets", optarg, 1, UINT64_C(1) << 40, &o->packets); break;
		case 's': r = parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed); break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout, &d); exit(0);
		case 'V': printf("dnsift-tracegen %s\n", DNSIFT_VERSION); exit(0);
		case OPT_NAMES:
			r = parse_u64("names", optarg, 1, 100000000, &u);
			o->names = (uint32_t)u;
			break;
		case OPT_ZIPF: r = parse_ratio("zipf", optarg, 10.0, &o->zipf); break;
		case OPT_REPEAT: r = parse_ratio("repeat", optarg, 1.0, &o->repeat); break;
		case OPT_IPV6: r = parse_ratio("ipv6", optarg, 1.0, &o->ipv6); break;
		case OPT_TCP: r = parse_ratio("tcp", optarg, 1.0, &o->tcp); break;
		case OPT_FRAG: r = parse_ratio("frag", optarg, 1.0, &o->frag); break;
		case OPT_VLAN: r = parse_ratio("vlan", optarg, 1.0, &o->vlan); break;
		case OPT_DNSSEC: r = parse_ratio("dnssec", optarg, 1.0, &o->dnssec); break;
		case OPT_NXDOMAIN: r = parse_ratio("nxdomain", optarg, 1.0, &o->nxdomain); break;
		case OPT_NODATA: r = parse_ratio("nodata", optarg, 1.0, &o->nodata); break;
		case OPT_REFERRAL: r = parse_ratio("referral", optarg, 1.0, &o->referral); break;
		case OPT_EDNS: r = parse_ratio("edns", optarg, 1.0, &o->edns); break;
		case OPT_TTL_SHORT: r = parse_ratio("ttl-short", optarg, 1.0, &o->ttl_short); break;
		case OPT_UNIQUE: o->unique = true; break;
		case OPT_VICTIMS:
			r = parse_u64("victims", optarg, 1, 1000000, &u);
			o->victims = (uint32_t)u;
			break;
		case OPT_INFLIGHT:
			r = parse_u64("inflight", optarg, 1, MAX_INFLIGHT, &u);
			o->inflight = (uint32_t)u;
			break;
		case OPT_PPS: r = parse_u64("pps", optarg, 1, 1000000000000ull, &o->pps); break;
		case OPT_START: r = parse_u64("start", optarg, 0, 0xffffffffu - 86400, &o->start);
			break;
		case OPT_PRESET: break;	/* applied above */
		default:
			usage(stderr, &d);
			return 2;
		}
		if (r)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "dnsift-tracegen: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->nxdomain + o->nodata + o->referral > 1.0 + 1e-9) {
		fprintf(stderr, "dnsift-tracegen: --nxdomain + --nodata + --referral exceed 1\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	struct pcap_writer *w;
	struct timespec t0, t1;
	unsigned int active = 0;
	int rc;

	gen_opts_defaults(&g.o);
	rc = parse_args(argc, argv, &g.o);
	if (rc)
		return rc;

	gen_init(&g);
	g.nslots = g.o.inflight;
	g.slots = calloc(g.nslots, sizeof(*g.slots));
	if (g.slots == NULL) {
		fprintf(stderr, "dnsift-tracegen: %s\n", strerror(errno));
		return 1;
	}
	w = pcap_writer_open(g.o.out, LINKTYPE_ETHERNET, SNAPLEN);
	if (w == NULL) {
		fprintf(stderr, "dnsift-tracegen: %s: %s\n", g.o.out, strerror(errno));
		free(g.slots);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/*
	 * Keep up to --inflight exchanges open and emit the next packet of a random one,
	 * so exchanges interleave as on a busy link while each keeps its own order.
	 * New exchanges start until the packets written and queued reach --packets.
	 */
	uint64_t queued = 0;
	for (unsigned int i = 0; i < g.nslots && queued < g.o.packets; i++) {
		gen_make_exchange(&g, &g.slots[i]);
		queued += g.slots[i].n;
		active++;
	}
	rc = 0;
	while (active > 0) {
		unsigned int s = rng_below(&g.r, active);
		struct exch *e = &g.slots[s];
		uint64_t ns = g.pkts * 1000000000ull / g.o.pps;
		int wr = pcap_writer_write(w, g.o.start + ns / 1000000000ull,
					   (uint32_t)(ns % 1000000000ull),
					   e->data + e->off[e->next], e->plen[e->next]);
		if (wr < 0) {
			fprintf(stderr, "dnsift-tracegen: %s: %s\n", g.o.out, dnsift_strerror(wr));
			rc = 1;
			break;
		}
		g.pkts++;
		g.bytes += e->plen[e->next];
		if (++e->next == e->n) {
			if (queued < g.o.packets) {
				gen_make_exchange(&g, e);
				queued += e->n;
			} else {
				/* Keep the open ones packed at the front. */
				active--;
				if (s != active)
					memcpy(e, &g.slots[active], sizeof(*e));
			}
		}
	}
	if (pcap_writer_close(w) != 0 && rc == 0) {
		fprintf(stderr, "dnsift-tracegen: %s: write failed\n", g.o.out);
		rc = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

	if (!g.o.quiet && rc == 0) {
		fprintf(stderr,
			"dnsift-tracegen: %s: packets=%" PRIu64 " bytes=%" PRIu64
			" avg_frame=%.1f exchanges=%" PRIu64 " tcp_exchanges=%" PRIu64
			" fragments=%" PRIu64 " ipv6_packets=%" PRIu64 " vlan_packets=%" PRIu64
			" nxdomain=%" PRIu64 " nodata=%" PRIu64 " referrals=%" PRIu64
			" avg_query=%.1f avg_response=%.1f seconds=%.3f pps=%.0f\n",
			g.o.out, g.pkts, g.bytes, g.pkts ? (double)g.bytes / (double)g.pkts : 0.0,
			g.exchanges, g.tcp_exchanges, g.fw.fragments, g.fw.ipv6_frames, g.fw.vlan_frames,
			g.rcode_nx, g.rcode_nodata, g.referrals,
			g.qsize.n ? (double)g.qsize.bytes / (double)g.qsize.n : 0.0,
			g.rsize.n ? (double)g.rsize.bytes / (double)g.rsize.n : 0.0, secs,
			secs > 0 ? (double)g.pkts / secs : 0.0);
		fprintf(stderr, "dnsift-tracegen: qtypes");
		for (unsigned int i = 0; i < QK_COUNT; i++)
			fprintf(stderr, " %s=%" PRIu64, gen_qkind_name((enum qkind)i), g.kind_count[i]);
		fprintf(stderr, "\n");
	}
	free(g.slots);
	return rc;
}

