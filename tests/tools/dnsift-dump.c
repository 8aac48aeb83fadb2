/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-dump: what the wire library makes of a capture, one line per fact, for the
 * differential test against tshark, the golden tests and the fuzzer's seed corpus.
 * EAL-free: pcap_file -> pkt_decode -> dns_parse (-> rrset_extract -> cof_render).
 *
 *   dnsift-dump [--rrsets] FILE.pcap       text, tab-separated, on stdout
 *   dnsift-dump --corpus DIR FILE.pcap     one fuzzer seed per frame into DIR
 *   dnsift-dump --type-table               "number<TAB>mnemonic" of every named type
 *
 * Default output, columns separated by one tab, frames numbered from 1 as tshark does:
 *   N  msg  udp|tcp  id=ID qr=0|1 opcode=OP rcode=RC qd=.. an=.. ns=.. ar=.. q=NAME/TYPE
 *   N  answer|authority|additional  OWNER  TYPE  RDATA      (rdata_to_text)
 *   N  error  ERRNAME                                       (dns_parse rejected it)
 *   N  pkt-error  ERRNAME                                   (pkt_decode rejected it)
 *   N  skip  fragment|tcp-partial                           (needs reassembly)
 * Only UDP and TCP with port 53, 5353 or 5355 on either side are parsed. A TCP segment
 * is parsed when its payload is one or more whole length-prefixed messages; anything
 * else is part of a message spread over segments, which this tool does not reassemble.
 *
 * --rrsets prints, per parsed message, the "msg" line and then one COF line per RRset
 * (rrset_extract with the bailiwick dns_msg_bailiwick() finds, out-of-bailiwick sets
 * dropped, as the sensor does) prefixed by frame and section; meta is fixed so the
 * output depends on the capture only: time_first = time_last = the frame's timestamp
 * (seconds), count 1, sensor_id "dnsift-dump". Dropped sets give
 * "N  out-of-bailiwick  COUNT".
 *
 * Corpus files are the fuzzers' input format: one selector byte (the link type's index
 * in dump_linktypes[], the table tests/fuzz/fuzz_pkt.c and fuzz_wire.c share) followed
 * by the frame; named by the XXH64 of their content so identical frames collapse.
 *
 * Exit status: 0, 1 when the file cannot be read to its end (message on stderr), 2 for
 * usage. Single-threaded tool.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "wire/cof.h"
#include "wire/dns.h"
#include "wire/err.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"
#include "wire/rrset.h"

/* Keep in this order: the fuzzers' selector byte is an index into it. */
static const uint32_t dump_linktypes[] = {
	PKT_LINKTYPE_NULL, PKT_LINKTYPE_ETHERNET, PKT_LINKTYPE_DLT_RAW1, PKT_LINKTYPE_DLT_RAW2,
	PKT_LINKTYPE_RAW, PKT_LINKTYPE_LOOP, PKT_LINKTYPE_LINUX_SLL, PKT_LINKTYPE_IPV4,
	PKT_LINKTYPE_IPV6, PKT_LINKTYPE_LINUX_SLL2,
};
#define DUMP_NLINKTYPES (sizeof(dump_linktypes) / sizeof(dump_linktypes[0]))

static const char *const section_names[] = { "question", "answer", "authority", "additional" };

/* Presentation of one rdata: 80 chars per octet covers any type (wire/cof.h bound). */
#define TEXT_MAX (80u * 65535u + 16u)

enum dump_mode { DUMP_RECORDS, DUMP_RRSETS, DUMP_CORPUS };

struct dump {
	enum dump_mode mode;
	const char *corpus_dir;
	uint64_t frame;		/* 1-based number of the current frame */
	uint64_t ts_sec;
	uint64_t seeds;
	struct dns_msg msg;	/* 1 MiB+: lives in static storage, not on the stack */
	uint8_t key[RRKEY_MAX_LEN];
	char text[TEXT_MAX];
};

static struct dump dump_state;

static const char *type_text(uint16_t type, char buf[16])
{
	const char *name = rrtype_name(type);

	if (name)
		return name;
	snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

static void print_name(const uint8_t *name, size_t len)
{
	char buf[4 * DNS_NAME_MAX + 8];

	if (name_to_text(name, len, buf, sizeof(buf)) < 0)
		fputs("<bad-name>", stdout);
	else
		fputs(buf, stdout);
}

static void print_msg_line(const struct dump *d, const char *proto)
{
	const struct dns_msg *m = &d->msg;
	char tb[16];

	printf("%" PRIu64 "\tmsg\t%s\tid=%u qr=%d opcode=%u rcode=%u qd=%u an=%u ns=%u ar=%u q=",
	       d->frame, proto, m->id, m->qr, m->opcode, dns_msg_rcode(m), m->qdcount,
	       m->ancount, m->nscount, m->arcount);
	if (m->has_question) {
		print_name(m->qname, m->qname_len);
		printf("/%s", type_text(m->qtype, tb));
	} else {
		fputs("-", stdout);
	}
	putchar('\n');
}

static void print_records(struct dump *d)
{
	const struct dns_msg *m = &d->msg;
	char tb[16];

	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];

		printf("%" PRIu64 "\t%s\t", d->frame, section_names[rr->section & 3]);
		print_name(rr->owner, rr->owner_len);
		printf("\t%s\t", type_text(rr->rrtype, tb));
		if (rdata_to_text(rr->rrtype, rr->rdata, rr->rdlen, d->text, sizeof(d->text)) < 0)
			fputs("<rdata-too-long>", stdout);
		else
			fputs(d->text, stdout);
		putchar('\n');
	}
}

static int print_rrset(void *arg, const struct rrset_view *v, const uint8_t *key,
		       uint32_t key_len, uint64_t hash)
{
	struct dump *d = arg;
	struct cof_meta meta = {
		.time_first = d->ts_sec,
		.time_last = d->ts_sec,
		.count = 1,
		.sensor_id = "dnsift-dump",
	};
	size_t size = cof_render_bound(key_len, meta.sensor_id);
	char *line = malloc(size);
	int r;

	(void)hash;
	if (!line)
		return -DNSIFT_ENOMEM;
	r = cof_render(key, key_len, &meta, line, size);
	if (r < 0)
		printf("%" PRIu64 "\t%s\tcof-error\t%s\n", d->frame,
		       section_names[v->section & 3], dnsift_errname(r));
	else
		printf("%" PRIu64 "\t%s\t%s", d->frame, section_names[v->section & 3], line);
	free(line);
	return 0;
}

static void print_rrsets(struct dump *d)
{
	uint8_t bw[DNS_NAME_MAX];
	uint8_t bw_len = 0;
	struct rrset_result res;

	if (dns_msg_bailiwick(&d->msg, bw, &bw_len) != 0)
		bw_len = 0;
	struct rrset_params p = {
		.bailiwick = bw_len ? bw : NULL,
		.bailiwick_len = bw_len,
		.key = d->key,
		.key_size = sizeof(d->key),
	};
	int r = rrset_extract(&d->msg, &p, print_rrset, d, &res);

	if (r < 0)
		printf("%" PRIu64 "\trrset-error\t%s\n", d->frame, dnsift_errname(r));
	if (res.out_of_bailiwick)
		printf("%" PRIu64 "\tout-of-bailiwick\t%u\n", d->frame, res.out_of_bailiwick);
}

static void handle_message(struct dump *d, const uint8_t *msg, size_t len, const char *proto)
{
	int r = dns_parse(msg, len, &d->msg);

	if (r < 0) {
		printf("%" PRIu64 "\terror\t%s\n", d->frame, dnsift_errname(r));
		return;
	}
	print_msg_line(d, proto);
	if (d->mode == DUMP_RRSETS)
		print_rrsets(d);
	else
		print_records(d);
}

static int is_dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* A TCP payload made of whole length-prefixed messages only, or 0. */
static int tcp_whole_messages(const uint8_t *p, size_t len)
{
	int n = 0;

	while (len > 0) {
		if (len < 2)
			return 0;
		size_t mlen = (size_t)p[0] << 8 | p[1];
		if (mlen == 0 || mlen > len - 2)
			return 0;
		p += 2 + mlen;
		len -= 2 + mlen;
		n++;
	}
	return n;
}

static void handle_frame(struct dump *d, const uint8_t *frame, uint32_t caplen,
			 uint32_t linktype)
{
	struct pkt_info pi;
	int r = pkt_decode(frame, caplen, linktype, &pi);

	if (r < 0) {
		printf("%" PRIu64 "\tpkt-error\t%s\n", d->frame, dnsift_errname(r));
		return;
	}
	if (pi.is_fragment) {
		if (pi.l4_valid && (is_dns_port(pi.src_port) || is_dns_port(pi.dst_port)))
			printf("%" PRIu64 "\tskip\tfragment\n", d->frame);
		return;
	}
	if (!pi.l4_valid || (!is_dns_port(pi.src_port) && !is_dns_port(pi.dst_port)))
		return;
	if (pi.l4_proto == 17) {
		handle_message(d, pi.payload, pi.payload_len, "udp");
		return;
	}
	if (pi.payload_len == 0)
		return;
	if (!tcp_whole_messages(pi.payload, pi.payload_len)) {
		printf("%" PRIu64 "\tskip\ttcp-partial\n", d->frame);
		return;
	}
	for (size_t off = 0; off < pi.payload_len;) {
		size_t mlen = (size_t)pi.payload[off] << 8 | pi.payload[off + 1];

		handle_message(d, pi.payload + off + 2, mlen, "tcp");
		off += 2 + mlen;
	}
}

static int write_seed(struct dump *d, unsigned selector, const uint8_t *frame, uint32_t caplen)
{
	char path[4096];
	uint8_t sel = (uint8_t)selector;
	XXH64_state_t *h = XXH64_createState();
	FILE *f;

	if (!h)
		return -1;
	XXH64_reset(h, 0);
	XXH64_update(h, &sel, 1);
	XXH64_update(h, frame, caplen);
	snprintf(path, sizeof(path), "%s/seed-%016" PRIx64, d->corpus_dir,
		 (uint64_t)XXH64_digest(h));
	XXH64_freeState(h);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "dnsift-dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(&sel, 1, 1, f) != 1 || fwrite(frame, 1, caplen, f) != caplen) {
		fclose(f);
		fprintf(stderr, "dnsift-dump: %s: write failed\n", path);
		return -1;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "dnsift-dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	d->seeds++;
	return 0;
}

static int dump_file(struct dump *d, const char *path)
{
	struct pcap_record rec;
	int err = 0;
	struct pcap_file *f = pcap_file_open(path, &err);
	unsigned selector = DUMP_NLINKTYPES;
	int r;

	if (!f) {
		fprintf(stderr, "dnsift-dump: %s: %s\n", path, dnsift_strerror(err));
		return 1;
	}
	uint32_t linktype = pcap_file_linktype(f);
	for (unsigned i = 0; i < DUMP_NLINKTYPES; i++)
		if (dump_linktypes[i] == linktype)
			selector = i;
	if (d->mode == DUMP_CORPUS && selector == DUMP_NLINKTYPES)
		fprintf(stderr, "dnsift-dump: %s: link type %u has no fuzzer selector, skipped\n",
			path, linktype);
	d->frame = 0;
	while ((r = pcap_file_next(f, &rec)) == 1) {
		d->frame++;
		d->ts_sec = rec.ts_sec;
		if (d->mode != DUMP_CORPUS) {
			handle_frame(d, rec.data, rec.caplen, linktype);
		} else if (selector < DUMP_NLINKTYPES &&
			   write_seed(d, selector, rec.data, rec.caplen) < 0) {
			pcap_file_close(f);
			return 1;
		}
	}
	if (r < 0)
		fprintf(stderr, "dnsift-dump: %s: %s at byte %" PRIu64 "\n", path,
			dnsift_strerror(r), pcap_file_error_offset(f));
	pcap_file_close(f);
	return r < 0;
}

static void usage(void)
{
	fputs("usage: dnsift-dump [--rrsets] FILE.pcap...\n"
	      "       dnsift-dump --corpus DIR FILE.pcap...\n"
	      "       dnsift-dump --type-table\n", stderr);
}

int main(int argc, char **argv)
{
	struct dump *d = &dump_state;
	int i = 1, status = 0;

	d->mode = DUMP_RECORDS;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--rrsets") == 0) {
			d->mode = DUMP_RRSETS;
		} else if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) {
			d->mode = DUMP_CORPUS;
			d->corpus_dir = argv[++i];
		} else if (strcmp(argv[i], "--type-table") == 0) {
			for (unsigned t = 0; t <= UINT16_MAX; t++)
				if (rrtype_name((uint16_t)t))
					printf("%u\t%s\n", t, rrtype_name((uint16_t)t));
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (i == argc) {
		usage();
		return 2;
	}
	for (; i < argc; i++)
		status |= dump_file(d, argv[i]);
	if (d->mode == DUMP_CORPUS)
		fprintf(stderr, "dnsift-dump: %" PRIu64 " seed(s) in %s\n", d->seeds,
			d->corpus_dir);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}
