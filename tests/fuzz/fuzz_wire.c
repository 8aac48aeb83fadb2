/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the whole wire chain, as the sensor runs it on one frame:
 * pkt_decode -> dns_parse -> dns_msg_bailiwick -> rrset_extract -> cof_render.
 *
 * Input: one selector byte, then the frame. selector % 10 picks the link type (the same
 * table as fuzz_pkt.c and dnsift-dump --corpus, so their seeds serve both); bit
 * (selector / 10) & 1 asks rrset_extract to keep out-of-bailiwick sets. Ports are not
 * looked at: every UDP payload, and every TCP payload as length-prefixed messages, goes
 * to the parser, so the fuzzer need not guess port 53.
 *
 * Every output buffer is malloc'd at exactly the size the API promises is enough
 * (cof_render_bound(), 80 characters per rdata octet for rdata_to_text()), so ASan
 * catches a renderer writing one byte past its bound. Contract violations trap:
 *   - a negative return code that is not a -DNSIFT_E* (or a positive one where 0 is
 *     the only success);
 *   - a key that rrkey_view_init() rejects, or whose hash is not rrkey_hash();
 *   - cof_render() failing on a key rrset_extract() built, or a line that is not one
 *     JSON-ish record: starts '{', ends "}\n", strlen() equals the returned length,
 *     no byte < 0x20 or >= 0x7f before the final '\n' (cof.h: printable ASCII);
 *   - rdata_to_text() not fitting its bound, or printing non-printable bytes.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire/cof.h"
#include "wire/dns.h"
#include "wire/err.h"
#include "wire/pcap_file.h"
#include "wire/pkt.h"
#include "wire/rrkey.h"
#include "wire/rrset.h"

static const uint32_t fuzz_linktypes[] = {
	PKT_LINKTYPE_NULL, PKT_LINKTYPE_ETHERNET, PKT_LINKTYPE_DLT_RAW1, PKT_LINKTYPE_DLT_RAW2,
	PKT_LINKTYPE_RAW, PKT_LINKTYPE_LOOP, PKT_LINKTYPE_LINUX_SLL, PKT_LINKTYPE_IPV4,
	PKT_LINKTYPE_IPV6, PKT_LINKTYPE_LINUX_SLL2,
};
#define FUZZ_NLINKTYPES (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))

#define FUZZ_SENSOR_ID "fuzz-\x01\x7f\xe9\"\\"	/* exercises the sensor_id escaping */

static struct dns_msg fuzz_msg;
static uint8_t fuzz_key[RRKEY_MAX_LEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A negative result must be one of ours; lengths and counts are positive. */
static void check_code(int rc)
{
	if (rc <= -DNSIFT_E_COUNT)
		__builtin_trap();
}

static void check_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			__builtin_trap();
}

static int render_one(void *arg, const struct rrset_view *v, const uint8_t *key,
		      uint32_t key_len, uint64_t hash)
{
	struct rrkey_view kv;
	struct cof_meta meta = {
		.time_first = 1764190000,
		.time_last = 1764190290,
		.count = 41,
		.sensor_id = FUZZ_SENSOR_ID,
	};

	(void)arg;
	if (rrkey_view_init(&kv, key, key_len) != 0 || hash != rrkey_hash(key, key_len) ||
	    kv.rrtype != v->rrtype || kv.rdata_count != v->rr_count)
		__builtin_trap();

	size_t size = cof_render_bound(key_len, meta.sensor_id);
	char *line = malloc(size);
	if (!line)
		return -DNSIFT_ENOMEM;
	int r = cof_render(key, key_len, &meta, line, size);
	check_code(r);
	if (r <= 2 || (size_t)r >= size || strlen(line) != (size_t)r || line[0] != '{' ||
	    line[r - 2] != '}' || line[r - 1] != '\n')
		__builtin_trap();
	check_printable(line, (size_t)r - 1);
	free(line);
	return 0;
}

static void check_rdata_text(const struct dns_msg *m)
{
	for (uint32_t i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];
		size_t size = 80u * rr->rdlen + 16u;
		char *text = malloc(size);

		if (!text)
			return;
		int r = rdata_to_text(rr->rrtype, rr->rdata, rr->rdlen, text, size);
		if (r < 0 || (size_t)r >= size || strlen(text) != (size_t)r)
			__builtin_trap();
		check_printable(text, (size_t)r);
		free(text);
	}
}

static void run_message(const uint8_t *msg, size_t len, int keep_out)
{
	struct dns_msg *m = &fuzz_msg;
	int rc = dns_parse(msg, len, m);

	check_code(rc);
	if (rc > 0)
		__builtin_trap();
	if (rc < 0)
		return;
	if (m->rr_count > DNS_MAX_RRS || m->scratch_used > DNS_SCRATCH_SIZE)
		__builtin_trap();
	check_rdata_text(m);

	uint8_t bw[DNS_NAME_MAX];
	uint8_t bw_len = 0;
	if (dns_msg_bailiwick(m, bw, &bw_len) != 0)
		__builtin_trap();
	struct rrset_params p = {
		.bailiwick = bw_len ? bw : NULL,
		.bailiwick_len = bw_len,
		.flags = keep_out ? RRKEY_F_UNMATCHED : 0,
		.key = fuzz_key,
		.key_size = sizeof(fuzz_key),
		.keep_out_of_bailiwick = keep_out,
	};
	struct rrset_result res;
	rc = rrset_extract(m, &p, render_one, NULL, &res);
	check_code(rc);
	if (rc >= 0 && (uint32_t)rc != res.sets)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;

	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	unsigned sel = data[0];
	int keep_out = (sel / FUZZ_NLINKTYPES) & 1;
	int rc = pkt_decode(data + 1, (uint32_t)(size - 1), fuzz_linktypes[sel % FUZZ_NLINKTYPES],
			    &pi);

	check_code(rc);
	if (rc > 0)
		__builtin_trap();
	if (rc < 0 || pi.is_fragment || !pi.l4_valid)
		return 0;
	if (pi.l4_proto == 17) {
		run_message(pi.payload, pi.payload_len, keep_out);
		return 0;
	}
	/* TCP: the length-prefixed messages that sit whole in this segment. */
	for (size_t off = 0; off + 2 <= pi.payload_len;) {
		size_t mlen = (size_t)pi.payload[off] << 8 | pi.payload[off + 1];

		if (mlen > pi.payload_len - off - 2)
			break;
		run_message(pi.payload + off + 2, mlen, keep_out);
		off += 2 + mlen;
	}
	return 0;
}

#ifdef FUZZ_WIRE_REPLAY
/*
 * Replay driver, built without libFuzzer as the unit test wire_fuzz_replay: runs the
 * checks above on every frame of the given captures (selector = the capture's link
 * type, both bailiwick modes), on the captures listed in a pcaps INDEX.tsv, and on raw
 * inputs (selector byte + frame) such as the files of tests/fuzz/regressions/.
 *
 *   fuzz_wire_replay [--index INDEX.tsv] [FILE.pcap | INPUT | DIR]...
 *
 * Exit 0 when every input passed (a failed check aborts), 77 when nothing was readable.
 */
static uint64_t replay_inputs;

static void replay_raw(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1u << 20];
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	replay_inputs++;
}

static int replay_pcap(const char *path)
{
	static uint8_t buf[1u + PCAP_MAX_CAPLEN];
	struct pcap_record rec;
	struct pcap_file *f = pcap_file_open(path, NULL);
	unsigned sel = FUZZ_NLINKTYPES;

	if (!f)
		return -1;
	for (unsigned i = 0; i < FUZZ_NLINKTYPES; i++)
		if (fuzz_linktypes[i] == pcap_file_linktype(f))
			sel = i;
	while (sel < FUZZ_NLINKTYPES && pcap_file_next(f, &rec) == 1) {
		memcpy(buf + 1, rec.data, rec.caplen);
		for (unsigned keep_out = 0; keep_out < 2; keep_out++) {
			buf[0] = (uint8_t)(sel + keep_out * FUZZ_NLINKTYPES);
			LLVMFuzzerTestOneInput(buf, 1u + rec.caplen);
			replay_inputs++;
		}
	}
	pcap_file_close(f);
	return 0;
}

static void replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char sub[4096];

		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			replay_raw(sub);
		}
		if (d)
			closedir(d);
	} else if (replay_pcap(path) != 0) {
		replay_raw(path);
	}
}

static void replay_index(const char *index)
{
	char dir[4096], line[4096], path[8192];
	FILE *f = fopen(index, "r");
	const char *slash = strrchr(index, '/');

	if (!f) {
		printf("%s: absent, shared captures not replayed\n", index);
		return;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - index) : 1,
		 slash ? index : ".");
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\t\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		replay_pcap(path);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--index") == 0 && i + 1 < argc)
			replay_index(argv[++i]);
		else
			replay_path(argv[i]);
	}
	printf("fuzz_wire_replay: %" PRIu64 " inputs through decode, parse, extract, render\n",
	       replay_inputs);
	return replay_inputs ? 0 : 77;
}
#endif
