/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-tracegen: runs the real program (path in argv[1]) and reads its pcap back
 * through the wire library's decoders, so the trace is checked with the same code the
 * sensor uses: frames decode, messages parse, responses echo their query, options do
 * what they say, and the output is a pure function of the seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wire/dns.h"
#include "wire/err.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"

static const char *tracegen;
static char tmpdir[] = "/tmp/test_tracegen.XXXXXX";

/* Run tracegen with printf-formatted arguments; returns its exit status. */
static int run(const char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int run(const char *out, const char *fmt, ...)
{
	char args[512], cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "'%s' -q -o '%s/%s' %s 2>/dev/null", tracegen, tmpdir, out,
		 args);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct pcap_file *open_trace(const char *name)
{
	char path[256];
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	struct pcap_file *f = pcap_file_open(path, &err);
	assert_non_null(f);
	assert_int_equal(pcap_file_linktype(f), PKT_LINKTYPE_ETHERNET);
	return f;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* True when the UDP/TCP checksum of an unfragmented packet verifies. */
static int l4_checksum_ok(const uint8_t *frame, const struct pkt_info *pi)
{
	uint32_t l4len = (uint32_t)(pi->payload - frame) + pi->payload_len - pi->l4_off;
	uint32_t sum = csum_add(0, pi->src_addr, pi->addr_len);

	sum = csum_add(sum, pi->dst_addr, pi->addr_len);
	sum += pi->l4_proto + l4len;
	sum = csum_add(sum, frame + pi->l4_off, l4len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static int is_resolver(const struct pkt_info *pi, const uint8_t *a)
{
	static const uint8_t v6[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53 };
	if (pi->ip_version == 4)
		return a[0] == 198 && a[1] == 51 && a[2] == 100;
	return memcmp(a, v6, 6) == 0;
}

static int is_server(const struct pkt_info *pi, const uint8_t *a)
{
	if (pi->ip_version == 4)
		return a[0] == 198 && (a[1] & 0xfe) == 18;
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8 &&
	       (a[4] & 0xf0) == 0x10;
}

/* Outstanding queries: key (resolver address, port, id) -> question. */
struct pending {
	uint8_t addr[16];
	uint16_t port, id, qtype;
	uint8_t qname[DNS_NAME_MAX];
	uint8_t qname_len;
	int used;
};

#define PENDING_SLOTS 65536
static struct pending pending[PENDING_SLOTS];
static struct dns_msg msg;

static struct pending *pending_find(const uint8_t *addr, uint16_t port, uint16_t id, int create)
{
	unsigned int h = ((unsigned int)port * 40503u ^ id * 2654435761u ^ addr[15] ^
			  (unsigned int)addr[3] << 8) % PENDING_SLOTS;
	for (unsigned int i = 0; i < PENDING_SLOTS; i++, h = (h + 1) % PENDING_SLOTS) {
		struct pending *p = &pending[h];
		if (!p->used) {
			if (!create)
				return NULL;
			memcpy(p->addr, addr, 16);
			p->port = port;
			p->id = id;
			p->used = 1;
			return p;
		}
		/* used == 2: answered; kept so probe chains stay intact. */
		if (p->used == 1 && p->port == port && p->id == id &&
		    memcmp(p->addr, addr, 16) == 0)
			return p;
	}
	return NULL;
}

struct tally {
	unsigned long frames, queries, responses, matched, v6, vlan, frags, tcp, checksum_bad;
	unsigned long nxdomain_with_soa, nxdomain;
	unsigned long frag_datagrams;	/* responses that came fragmented (not parsed here) */
};

/* Account one parsed DNS message travelling client -> server (or back). */
static void account_msg(struct tally *t, const struct pkt_info *pi, uint16_t cport)
{
	if (!msg.qr) {
		struct pending *p = pending_find(pi->src_addr, cport, msg.id, 1);
		assert_non_null(p);
		memcpy(p->qname, msg.qname, msg.qname_len);
		p->qname_len = msg.qname_len;
		p->qtype = msg.qtype;
		t->queries++;
		return;
	}
	t->responses++;
	struct pending *p = pending_find(pi->dst_addr, cport, msg.id, 0);
	assert_non_null(p);	/* every response follows its query */
	assert_int_equal(p->qtype, msg.qtype);
	assert_int_equal(p->qname_len, msg.qname_len);
	assert_memory_equal(p->qname, msg.qname, msg.qname_len);
	p->used = 2;
	t->matched++;
	if (dns_msg_rcode(&msg) == 3) {
		t->nxdomain++;
		for (uint32_t i = 0; i < msg.rr_count; i++)
			if (msg.rr[i].section == DNS_SECTION_AUTHORITY && msg.rr[i].rrtype == 6) {
				t->nxdomain_with_soa++;
				break;
			}
	}
}

/*
 * Read a whole UDP-only trace (unfragmented): decode, check addresses, ports and
 * checksums, parse, and match responses to queries.
 */
static void read_udp_trace(const char *name, struct tally *t)
{
	struct pcap_file *f = open_trace(name);
	struct pcap_record rec;
	struct pkt_info pi;

	memset(pending, 0, sizeof(pending));
	memset(t, 0, sizeof(*t));
	while (pcap_file_next(f, &rec) == 1) {
		t->frames++;
		assert_int_equal(pkt_decode(rec.data, rec.caplen, PKT_LINKTYPE_ETHERNET, &pi), 0);
		t->v6 += pi.ip_version == 6;
		t->vlan += pi.vlan_count > 0;
		if (pi.is_fragment) {
			t->frags++;
			t->frag_datagrams += pi.frag_offset == 0;
			continue;
		}
		assert_int_equal(pi.l4_proto, 17);
		assert_true(pi.l4_valid);
		t->checksum_bad += !l4_checksum_ok(rec.data, &pi);
		int to_server = pi.dst_port == 53;
		assert_true(to_server || pi.src_port == 53);
		assert_true(is_resolver(&pi, to_server ? pi.src_addr : pi.dst_addr));
		assert_true(is_server(&pi, to_server ? pi.dst_addr : pi.src_addr));
		assert_int_equal(dns_parse(pi.payload, pi.payload_len, &msg), 0);
		assert_int_equal(msg.qr, !to_server);
		account_msg(t, &pi, to_server ? pi.src_port : pi.dst_port);
	}
	pcap_file_close(f);
}

static void udp_responses_echo_their_queries_and_checksums_verify(void **state)
{
	struct tally t;

	(void)state;
	assert_int_equal(run("udp.pcap", "-n 20000 --tcp 0 --frag 0 --seed 7"), 0);
	read_udp_trace("udp.pcap", &t);
	assert_true(t.frames >= 20000);
	/* --frag 0 forces no big answers, but a few are big anyway (NS + glue + RSA). */
	assert_int_equal(t.queries, t.responses + t.frag_datagrams);
	assert_true(t.frag_datagrams < t.queries / 100);
	assert_int_equal(t.matched, t.responses);
	assert_int_equal(t.checksum_bad, 0);
	assert_int_equal(t.vlan, 0);
	/* Default IPv6 share is 0.3 of exchanges: loosely bounded, never timed. */
	assert_true(t.v6 > t.frames / 5 && t.v6 < t.frames * 2 / 5);
}

static int files_equal(const char *a, const char *b)
{
	char pa[256], pb[256];
	snprintf(pa, sizeof(pa), "%s/%s", tmpdir, a);
	snprintf(pb, sizeof(pb), "%s/%s", tmpdir, b);
	FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
	int eq = fa && fb;
	while (eq) {
		int ca = fgetc(fa), cb = fgetc(fb);
		if (ca != cb)
			eq = 0;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return eq;
}

static void same_seed_gives_same_bytes_other_seed_differs(void **state)
{
	(void)state;
	assert_int_equal(run("s1a.pcap", "-n 3000 --tcp 0.3 --frag 0.2 --seed 42"), 0);
	assert_int_equal(run("s1b.pcap", "-n 3000 --tcp 0.3 --frag 0.2 --seed 42"), 0);
	assert_int_equal(run("s2.pcap", "-n 3000 --tcp 0.3 --frag 0.2 --seed 43"), 0);
	assert_true(files_equal("s1a.pcap", "s1b.pcap"));
	assert_false(files_equal("s1a.pcap", "s2.pcap"));
}

static void ipv6_and_vlan_shares_are_obeyed(void **state)
{
	struct tally t;

	(void)state;
	assert_int_equal(run("v4.pcap", "-n 4000 --tcp 0 --frag 0 --ipv6 0"), 0);
	read_udp_trace("v4.pcap", &t);
	assert_int_equal(t.v6, 0);
	assert_int_equal(run("v6.pcap", "-n 4000 --tcp 0 --frag 0 --ipv6 1 --vlan 1"), 0);
	read_udp_trace("v6.pcap", &t);
	assert_int_equal(t.v6, t.frames);
	assert_int_equal(t.vlan, t.frames);
	assert_int_equal(t.matched, t.responses);
}

static int cmp_names(const void *a, const void *b)
{
	return memcmp(a, b, DNS_NAME_MAX);
}

static void unique_mode_never_repeats_a_qname_and_nxdomain_carries_soa(void **state)
{
	struct tally t;
	struct pcap_file *f;
	struct pcap_record rec;
	struct pkt_info pi;
	size_t n = 0, cap = 8192;
	uint8_t (*names)[DNS_NAME_MAX] = calloc(cap, DNS_NAME_MAX);

	(void)state;
	assert_non_null(names);
	assert_int_equal(run("attack.pcap", "--preset attack -n 10000"), 0);
	read_udp_trace("attack.pcap", &t);
	assert_true(t.nxdomain > 0);
	assert_int_equal(t.nxdomain, t.responses);
	assert_int_equal(t.nxdomain_with_soa, t.nxdomain);

	f = open_trace("attack.pcap");
	while (pcap_file_next(f, &rec) == 1) {
		assert_int_equal(pkt_decode(rec.data, rec.caplen, PKT_LINKTYPE_ETHERNET, &pi), 0);
		if (pi.dst_port != 53)
			continue;
		assert_int_equal(dns_parse(pi.payload, pi.payload_len, &msg), 0);
		assert_true(n < cap);
		memcpy(names[n++], msg.qname, msg.qname_len);
	}
	pcap_file_close(f);
	qsort(names, n, DNS_NAME_MAX, cmp_names);
	for (size_t i = 1; i < n; i++)
		assert_memory_not_equal(names[i - 1], names[i], DNS_NAME_MAX);
	free(names);
}

/* FNV over the sorted set of answer rdata of the current message. */
static uint64_t answer_set_hash(void)
{
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < msg.rr_count; i++) {
		const struct dns_rr *rr = &msg.rr[i];
		/* The data RRsets only: RRSIGs come and go with the DO bit. */
		if (rr->section != DNS_SECTION_ANSWER || rr->rrtype == 46)
			continue;
		/* Order-independent: sum of per-RR hashes. */
		uint64_t x = 1469598103934665603ull ^ rr->rrtype;
		for (unsigned int k = 0; k < rr->rdlen; k++)
			x = (x ^ rr->rdata[k]) * 1099511628211ull;
		h += x;
	}
	return h;
}

/* Share (percent) of A/AAAA answers whose rdata equals the first answer for that name. */
static unsigned int repeat_percent(const char *name)
{
	struct { uint8_t qname[DNS_NAME_MAX]; uint16_t qtype; uint64_t h; } seen[512];
	unsigned int nseen = 0, same = 0, again = 0;
	struct pcap_file *f = open_trace(name);
	struct pcap_record rec;
	struct pkt_info pi;

	memset(seen, 0, sizeof(seen));
	while (pcap_file_next(f, &rec) == 1) {
		assert_int_equal(pkt_decode(rec.data, rec.caplen, PKT_LINKTYPE_ETHERNET, &pi), 0);
		if (pi.src_port != 53 || pi.is_fragment)
			continue;
		assert_int_equal(dns_parse(pi.payload, pi.payload_len, &msg), 0);
		if (msg.qtype != 1 && msg.qtype != 28)
			continue;
		uint64_t h = answer_set_hash();
		unsigned int i;
		for (i = 0; i < nseen; i++)
			if (seen[i].qtype == msg.qtype && memcmp(seen[i].qname, msg.qname,
								 msg.qname_len) == 0)
				break;
		if (i == nseen) {
			assert_true(nseen < 512);
			memcpy(seen[nseen].qname, msg.qname, msg.qname_len);
			seen[nseen].qtype = msg.qtype;
			seen[nseen++].h = h;
			continue;
		}
		again++;
		same += seen[i].h == h;
	}
	pcap_file_close(f);
	assert_true(again > 100);
	return same * 100 / again;
}

static void repeat_ratio_controls_byte_identical_rrsets(void **state)
{
	static const char common[] = "-n 6000 --names 40 --zipf 0 --tcp 0 --frag 0 --nxdomain 0 "
				     "--nodata 0 --referral 0";
	(void)state;
	assert_int_equal(run("rep1.pcap", "%s --repeat 1", common), 0);
	assert_int_equal(repeat_percent("rep1.pcap"), 100);
	assert_int_equal(run("rep0.pcap", "%s --repeat 0", common), 0);
	assert_true(repeat_percent("rep0.pcap") < 5);
}

/* Reassemble IP fragments (sent in order) and parse what they carry. */
static void large_answers_fragment_and_reassemble(void **state)
{
	static uint8_t dgram[65536];
	struct pcap_file *f;
	struct pcap_record rec;
	struct pkt_info pi;
	uint32_t have = 0, next_off = 0;
	unsigned long datagrams = 0, v6 = 0;

	(void)state;
	assert_int_equal(run("frag.pcap", "-n 4000 --tcp 0 --frag 1 --ipv6 0.5 --inflight 1"), 0);
	f = open_trace("frag.pcap");
	while (pcap_file_next(f, &rec) == 1) {
		assert_int_equal(pkt_decode(rec.data, rec.caplen, PKT_LINKTYPE_ETHERNET, &pi), 0);
		if (!pi.is_fragment)
			continue;
		/* --inflight 1: one exchange at a time, so fragments arrive back to back. */
		assert_int_equal(pi.frag_offset, next_off);
		assert_true(have + pi.payload_len <= sizeof(dgram));
		assert_true(rec.caplen <= 1514 + 4);
		memcpy(dgram + have, pi.payload, pi.payload_len);
		have += pi.payload_len;
		next_off += pi.payload_len;
		if (pi.frag_more)
			continue;
		assert_true(have > 1232);
		assert_int_equal((dgram[4] << 8 | dgram[5]), have);	/* UDP length */
		assert_int_equal(dns_parse(dgram + 8, have - 8, &msg), 0);
		assert_true(msg.qr);
		datagrams++;
		v6 += pi.ip_version == 6;
		have = next_off = 0;
	}
	pcap_file_close(f);
	assert_int_equal(have, 0);
	assert_true(datagrams > 100);
	assert_true(v6 > 0 && v6 < datagrams);
}

/* Follow TCP connections (one at a time) and parse the length-framed messages. */
static void tcp_connections_are_complete_and_length_framed(void **state)
{
	static uint8_t stream[2][65536];
	uint32_t len[2] = { 0, 0 };
	struct pcap_file *f;
	struct pcap_record rec;
	struct pkt_info pi;
	unsigned long conns = 0, msgs = 0, queries = 0;
	int open = 0;

	(void)state;
	assert_int_equal(run("tcp.pcap", "-n 5000 --tcp 1 --inflight 1"), 0);
	f = open_trace("tcp.pcap");
	while (pcap_file_next(f, &rec) == 1) {
		assert_int_equal(pkt_decode(rec.data, rec.caplen, PKT_LINKTYPE_ETHERNET, &pi), 0);
		assert_int_equal(pi.l4_proto, 6);
		assert_true(l4_checksum_ok(rec.data, &pi));
		int dir = pi.src_port == 53;
		if (pi.tcp_flags & PKT_TCP_SYN) {
			if (!dir) {
				assert_false(open);
				open = 1;
				len[0] = len[1] = 0;
			}
			continue;
		}
		if (!open) {
			/* After the client's FIN only the server's FIN and the last ACK. */
			assert_int_equal(pi.payload_len, 0);
			continue;
		}
		assert_true(len[dir] + pi.payload_len <= sizeof(stream[0]));
		memcpy(stream[dir] + len[dir], pi.payload, pi.payload_len);
		len[dir] += pi.payload_len;
		if ((pi.tcp_flags & PKT_TCP_FIN) && dir == 0) {
			/* Client closes after its last answer: both streams are whole messages. */
			for (int d = 0; d < 2; d++) {
				uint32_t at = 0;
				while (at < len[d]) {
					assert_true(at + 2 <= len[d]);
					uint32_t ml = (uint32_t)stream[d][at] << 8 | stream[d][at + 1];
					assert_true(at + 2 + ml <= len[d]);
					assert_int_equal(dns_parse(stream[d] + at + 2, ml, &msg), 0);
					assert_int_equal(msg.qr, d);
					queries += d == 0;
					msgs++;
					at += 2 + ml;
				}
			}
			conns++;
			open = 0;
		}
	}
	pcap_file_close(f);
	assert_true(conns > 100);
	assert_int_equal(msgs, 2 * queries);
}

static void bad_options_are_refused(void **state)
{
	(void)state;
	assert_int_equal(run("bad.pcap", "--repeat 1.5"), 2);
	assert_int_equal(run("bad.pcap", "--preset nosuch"), 2);
	assert_int_equal(run("bad.pcap", "--packets 0"), 2);
	assert_int_equal(run("bad.pcap", "--nxdomain 0.6 --nodata 0.6"), 2);
	assert_int_equal(run("bad.pcap", "--help"), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_responses_echo_their_queries_and_checksums_verify),
		cmocka_unit_test(same_seed_gives_same_bytes_other_seed_differs),
		cmocka_unit_test(ipv6_and_vlan_shares_are_obeyed),
		cmocka_unit_test(unique_mode_never_repeats_a_qname_and_nxdomain_carries_soa),
		cmocka_unit_test(repeat_ratio_controls_byte_identical_rrsets),
		cmocka_unit_test(large_answers_fragment_and_reassemble),
		cmocka_unit_test(tcp_connections_are_complete_and_length_framed),
		cmocka_unit_test(bad_options_are_refused),
	};
	char cmd[128];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: test_tracegen PATH-TO-dnsift-tracegen\n");
		return 2;
	}
	tracegen = argv[1];
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_tracegen: could not remove %s\n", tmpdir);
	return rc;
}
