/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the wire path a worker runs per packet, on real captures held in
 * memory: pkt_decode -> dns_parse -> dns_msg_bailiwick -> rrset_extract (canonical keys
 * and their XXH3 hashes). No I/O, no dedup, no rendering: the per-packet parse cost.
 *
 *   bench_parse [--seconds S] FILE.pcap...
 *
 * For each file: every frame is loaded, then the whole file is processed in passes
 * until S seconds (default 2) have gone by; a decode-only run the same way gives the
 * share of L2-L4. Reported per file: ns per packet (every frame), ns per DNS message
 * (UDP or whole-in-one-segment TCP messages on port 53/5353/5355 that parse), Mpps,
 * and RRsets per second. Single-threaded, one core: multiply by workers for a sensor.
 * A missing file is reported and skipped (exit 77 when none could be read).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/dns.h"
#include "wire/err.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

struct bench_frame {
	uint8_t *data;
	uint32_t len;
};

struct bench_counts {
	uint64_t packets;
	uint64_t messages;	/* parsed DNS messages */
	uint64_t rejects;	/* dns_parse errors */
	uint64_t rrsets;
	uint64_t hash_sum;	/* keeps the compiler from dropping the work */
};

static struct dns_msg bench_msg;
static uint8_t bench_key[RRKEY_MAX_LEN];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int on_rrset(void *arg, const struct rrset_view *v, const uint8_t *key,
		    uint32_t key_len, uint64_t hash)
{
	struct bench_counts *c = arg;

	(void)v;
	(void)key;
	c->rrsets++;
	c->hash_sum += hash ^ key_len;
	return 0;
}

static void parse_message(const uint8_t *msg, size_t len, struct bench_counts *c)
{
	uint8_t bw[DNS_NAME_MAX];
	uint8_t bw_len = 0;
	struct rrset_result res;

	if (dns_parse(msg, len, &bench_msg) < 0) {
		c->rejects++;
		return;
	}
	c->messages++;
	if (dns_msg_bailiwick(&bench_msg, bw, &bw_len) != 0)
		bw_len = 0;
	struct rrset_params p = {
		.bailiwick = bw_len ? bw : NULL,
		.bailiwick_len = bw_len,
		.key = bench_key,
		.key_size = sizeof(bench_key),
	};
	rrset_extract(&bench_msg, &p, on_rrset, c, &res);
}

static int is_dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

static void run_pass(const struct bench_frame *frames, size_t n, uint32_t linktype,
		     int decode_only, struct bench_counts *c)
{
	struct pkt_info pi;

	for (size_t i = 0; i < n; i++) {
		c->packets++;
		if (pkt_decode(frames[i].data, frames[i].len, linktype, &pi) < 0)
			continue;
		c->hash_sum += pi.payload_len;
		if (decode_only || pi.is_fragment || !pi.l4_valid ||
		    (!is_dns_port(pi.src_port) && !is_dns_port(pi.dst_port)))
			continue;
		if (pi.l4_proto == 17) {
			parse_message(pi.payload, pi.payload_len, c);
			continue;
		}
		/* TCP: only messages whole in this segment (no reassembly here). */
		for (size_t off = 0; off + 2 <= pi.payload_len;) {
			size_t mlen = (size_t)pi.payload[off] << 8 | pi.payload[off + 1];

			if (mlen == 0 || mlen > pi.payload_len - off - 2)
				break;
			parse_message(pi.payload + off + 2, mlen, c);
			off += 2 + mlen;
		}
	}
}

/* Passes until min_ns have elapsed; returns the elapsed nanoseconds. */
static uint64_t run_timed(const struct bench_frame *frames, size_t n, uint32_t linktype,
			  int decode_only, uint64_t min_ns, struct bench_counts *c)
{
	uint64_t start = now_ns(), elapsed;

	memset(c, 0, sizeof(*c));
	do {
		run_pass(frames, n, linktype, decode_only, c);
		elapsed = now_ns() - start;
	} while (elapsed < min_ns);
	return elapsed;
}

static void free_frames(struct bench_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(frames[i].data);
	free(frames);
}

static int bench_file(const char *path, double seconds)
{
	int err = 0;
	struct pcap_file *f = pcap_file_open(path, &err);
	struct pcap_record rec;
	struct bench_frame *frames = NULL;
	size_t n = 0, cap = 0;
	int r;

	if (!f) {
		printf("%s: skipped (%s)\n", path, dnsift_strerror(err));
		return -1;
	}
	uint32_t linktype = pcap_file_linktype(f);
	while ((r = pcap_file_next(f, &rec)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			struct bench_frame *nf = realloc(frames, cap * sizeof(*frames));
			if (!nf)
				break;
			frames = nf;
		}
		frames[n].data = malloc(rec.caplen ? rec.caplen : 1);
		if (!frames[n].data)
			break;
		memcpy(frames[n].data, rec.data, rec.caplen);
		frames[n].len = rec.caplen;
		n++;
	}
	pcap_file_close(f);
	if (r != 0 || n == 0) {
		printf("%s: skipped (%s)\n", path, r < 0 ? dnsift_strerror(r) :
		       n == 0 ? "no frames" : "out of memory");
		free_frames(frames, n);
		return -1;
	}

	uint64_t min_ns = (uint64_t)(seconds * 1e9);
	struct bench_counts full, dec;
	run_pass(frames, n, linktype, 0, &full);	/* warm caches and branch predictors */
	uint64_t t_full = run_timed(frames, n, linktype, 0, min_ns, &full);
	uint64_t t_dec = run_timed(frames, n, linktype, 1, min_ns / 4 + 1, &dec);

	double ns_pkt = (double)t_full / (double)full.packets;
	double ns_msg = full.messages ? (double)t_full / (double)full.messages : 0.0;
	double dec_ns_pkt = (double)t_dec / (double)dec.packets;
	uint64_t passes = full.packets / n;

	printf("%s: %zu frames, per pass %" PRIu64 " DNS messages (%" PRIu64
	       " rejected), %" PRIu64 " RRsets; %" PRIu64 " passes in %.2f s\n",
	       path, n, full.messages / passes, full.rejects / passes, full.rrsets / passes,
	       passes, (double)t_full / 1e9);
	printf("  decode+parse+rrset_extract: %.1f ns/packet, %.1f ns/DNS message, "
	       "%.2f Mpps, %.2f M RRsets/s (one core)\n",
	       ns_pkt, ns_msg, 1e3 / ns_pkt, (double)full.rrsets * 1e3 / (double)t_full);
	printf("  pkt_decode alone: %.1f ns/packet (%.0f%% of the total)  [checksum %" PRIx64
	       "]\n", dec_ns_pkt, 100.0 * dec_ns_pkt / ns_pkt, full.hash_sum ^ dec.hash_sum);
	free_frames(frames, n);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = 2.0;
	int i = 1, done = 0;

	if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0) {
		seconds = atof(argv[i + 1]);
		i += 2;
	}
	if (i >= argc || seconds <= 0) {
		fprintf(stderr, "usage: bench_parse [--seconds S] FILE.pcap...\n");
		return 2;
	}
	for (; i < argc; i++)
		if (bench_file(argv[i], seconds) == 0)
			done++;
	return done ? 0 : 77;
}
