/* SPDX-License-Identifier: BSD-3-Clause */
/* Classic pcap reader/writer: every header variant, every way a file can be cut or lie. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wire/err.h"
#include "wire/pcap_file.h"

struct tmp {
	char path[64];
};

static void tmp_path(struct tmp *t)
{
	strcpy(t->path, "/tmp/dnsift-test-pcap-XXXXXX");
	int fd = mkstemp(t->path);
	assert_true(fd >= 0);
	close(fd);
}

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	if (n)
		assert_int_equal(fwrite(b, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* A byte buffer to hand-build files in either byte order. */
struct buf {
	uint8_t b[4096];
	size_t n;
	int big_endian;
};

static void put32(struct buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		int shift = b->big_endian ? 24 - 8 * i : 8 * i;
		b->b[b->n++] = (uint8_t)(v >> shift);
	}
}

static void put16(struct buf *b, uint16_t v)
{
	b->b[b->n++] = (uint8_t)(b->big_endian ? v >> 8 : v);
	b->b[b->n++] = (uint8_t)(b->big_endian ? v : v >> 8);
}

static void file_header(struct buf *b, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
	put32(b, magic);
	put16(b, 2);
	put16(b, 4);
	put32(b, 0);
	put32(b, 0);
	put32(b, snaplen);
	put32(b, linktype);
}

static void record(struct buf *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t origlen,
		   uint8_t fill, uint32_t data_bytes)
{
	put32(b, sec);
	put32(b, frac);
	put32(b, caplen);
	put32(b, origlen);
	memset(b->b + b->n, fill, data_bytes);
	b->n += data_bytes;
}

static struct pcap_file *open_bytes(struct tmp *t, const struct buf *b, int *err)
{
	tmp_path(t);
	write_bytes(t->path, b->b, b->n);
	return pcap_file_open(t->path, err);
}

static void writer_round_trip_keeps_records_and_cuts_at_snaplen(void **state)
{
	(void)state;
	struct tmp t;
	uint8_t frame[300];
	struct pcap_record rec;
	int err = 1;

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	tmp_path(&t);
	struct pcap_writer *w = pcap_writer_open(t.path, 228, 200);
	assert_non_null(w);
	assert_int_equal(pcap_writer_write(w, 1764190000, 123456789, frame, 60), 0);
	assert_int_equal(pcap_writer_write(w, 1764190001, 0, frame, 0), 0);
	assert_int_equal(pcap_writer_write(w, 1764190002, 999999999, frame, 300), 0);
	assert_int_equal(pcap_writer_close(w), 0);

	struct pcap_file *f = pcap_file_open(t.path, &err);
	assert_non_null(f);
	assert_int_equal(err, 0);
	assert_int_equal(pcap_file_linktype(f), 228);
	assert_int_equal(pcap_file_snaplen(f), 200);
	assert_int_equal(pcap_file_is_nanosecond(f), 0);

	assert_int_equal(pcap_file_next(f, &rec), 1);
	assert_int_equal(rec.ts_sec, 1764190000);
	assert_int_equal(rec.ts_nsec, 123456000);	/* microsecond file */
	assert_int_equal(rec.caplen, 60);
	assert_int_equal(rec.origlen, 60);
	assert_memory_equal(rec.data, frame, 60);

	assert_int_equal(pcap_file_next(f, &rec), 1);
	assert_int_equal(rec.caplen, 0);
	assert_int_equal(rec.origlen, 0);

	assert_int_equal(pcap_file_next(f, &rec), 1);
	assert_int_equal(rec.ts_nsec, 999999000);
	assert_int_equal(rec.caplen, 200);
	assert_int_equal(rec.origlen, 300);
	assert_memory_equal(rec.data, frame, 200);

	assert_int_equal(pcap_file_next(f, &rec), 0);
	assert_int_equal(pcap_file_next(f, &rec), 0);	/* EOF stays EOF */
	assert_int_equal(pcap_file_error_offset(f), 0);
	pcap_file_close(f);
	unlink(t.path);
}

static void reads_both_magics_in_both_byte_orders(void **state)
{
	(void)state;
	const uint32_t magics[] = { 0xa1b2c3d4u, 0xa1b23c4du };

	for (int be = 0; be < 2; be++) {
		for (int m = 0; m < 2; m++) {
			struct buf b = { .big_endian = be };
			struct pcap_record rec;
			struct tmp t;
			int err;

			file_header(&b, magics[m], 65535, 1);
			record(&b, 1000, 999999, 3, 70, 0xab, 3);
			record(&b, 1001, 5, 1, 1, 0xcd, 1);
			struct pcap_file *f = open_bytes(&t, &b, &err);
			assert_non_null(f);
			assert_int_equal(pcap_file_linktype(f), 1);
			assert_int_equal(pcap_file_snaplen(f), 65535);
			assert_int_equal(pcap_file_is_nanosecond(f), m);
			assert_int_equal(pcap_file_next(f, &rec), 1);
			assert_int_equal(rec.ts_sec, 1000);
			assert_int_equal(rec.ts_nsec, m ? 999999 : 999999000);
			assert_int_equal(rec.caplen, 3);
			assert_int_equal(rec.origlen, 70);
			assert_int_equal(rec.data[0], 0xab);
			assert_int_equal(rec.data[2], 0xab);
			assert_int_equal(pcap_file_next(f, &rec), 1);
			assert_int_equal(rec.ts_nsec, m ? 5 : 5000);
			assert_int_equal(rec.data[0], 0xcd);
			assert_int_equal(pcap_file_next(f, &rec), 0);
			pcap_file_close(f);
			unlink(t.path);
		}
	}
}

static void fcs_bits_are_masked_from_the_link_type(void **state)
{
	(void)state;
	struct buf b = { 0 };
	struct tmp t;
	int err;

	file_header(&b, 0xa1b2c3d4u, 65535, 0x10000000u | 0x04000000u | 1);
	struct pcap_file *f = open_bytes(&t, &b, &err);
	assert_non_null(f);
	assert_int_equal(pcap_file_linktype(f), 1);
	pcap_file_close(f);
	unlink(t.path);
}

static void expect_open_fails(const uint8_t *bytes, size_t n, int want)
{
	struct tmp t;
	int err = 0;

	tmp_path(&t);
	write_bytes(t.path, bytes, n);
	errno = 0;
	assert_null(pcap_file_open(t.path, &err));
	assert_int_equal(err, want);
	assert_int_equal(errno, EINVAL);
	assert_null(pcap_file_open(t.path, NULL));	/* err is optional */
	unlink(t.path);
}

static void pcapng_is_rejected_with_its_own_code(void **state)
{
	(void)state;
	/* Section header block, little-endian byte-order magic, as Wireshark writes it. */
	const uint8_t shb[] = { 0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
				1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				0x1c, 0, 0, 0 };
	expect_open_fails(shb, sizeof(shb), -DNSIFT_EPCAP_PCAPNG);
	expect_open_fails(shb, 4, -DNSIFT_EPCAP_PCAPNG);
	assert_non_null(strstr(dnsift_strerror(-DNSIFT_EPCAP_PCAPNG), "pcapng"));
}

static void empty_and_foreign_files_are_rejected(void **state)
{
	(void)state;
	const uint8_t junk[24] = "GET / HTTP/1.1\r\nHost: x";
	expect_open_fails(junk, 0, -DNSIFT_EFORMAT);
	expect_open_fails(junk, 3, -DNSIFT_EFORMAT);
	expect_open_fails(junk, sizeof(junk), -DNSIFT_EFORMAT);
}

static void truncated_file_header_is_rejected(void **state)
{
	(void)state;
	struct buf b = { 0 };

	file_header(&b, 0xa1b2c3d4u, 65535, 1);
	for (size_t n = 4; n < 24; n++)
		expect_open_fails(b.b, n, -DNSIFT_EFORMAT);
}

static void unsupported_major_version_is_rejected(void **state)
{
	(void)state;
	struct buf b = { 0 };

	file_header(&b, 0xa1b2c3d4u, 65535, 1);
	b.b[4] = 3;
	expect_open_fails(b.b, b.n, -DNSIFT_EFORMAT);
}

static void missing_file_is_an_io_error_with_errno(void **state)
{
	(void)state;
	int err = 0;

	errno = 0;
	assert_null(pcap_file_open("/nonexistent/dnsift/none.pcap", &err));
	assert_int_equal(err, -DNSIFT_EIO);
	assert_int_equal(errno, ENOENT);
	err = 0;
	assert_null(pcap_file_open(NULL, &err));
	assert_int_equal(err, -DNSIFT_EINVAL);
}

static void header_only_file_is_a_clean_eof(void **state)
{
	(void)state;
	struct buf b = { 0 };
	struct pcap_record rec;
	struct tmp t;
	int err;

	file_header(&b, 0xa1b2c3d4u, 65535, 1);
	struct pcap_file *f = open_bytes(&t, &b, &err);
	assert_non_null(f);
	assert_int_equal(pcap_file_next(f, &rec), 0);
	pcap_file_close(f);
	unlink(t.path);
}

/* One good record then `tail` cut at every length: an error at the right offset, sticky. */
static void truncated_record_header_and_data_give_format_error_with_offset(void **state)
{
	(void)state;
	struct buf good = { 0 };

	file_header(&good, 0xa1b2c3d4u, 65535, 1);
	record(&good, 1, 2, 10, 10, 0x11, 10);
	size_t good_len = good.n;
	record(&good, 3, 4, 20, 20, 0x22, 20);

	for (size_t cut = good_len + 1; cut < good.n; cut++) {
		struct buf b = good;
		struct pcap_record rec;
		struct tmp t;
		int err;

		b.n = cut;
		struct pcap_file *f = open_bytes(&t, &b, &err);
		assert_non_null(f);
		assert_int_equal(pcap_file_next(f, &rec), 1);
		assert_int_equal(rec.caplen, 10);
		assert_int_equal(pcap_file_next(f, &rec), -DNSIFT_EFORMAT);
		assert_int_equal(pcap_file_error_offset(f), good_len);
		assert_int_equal(pcap_file_next(f, &rec), -DNSIFT_EFORMAT);
		pcap_file_close(f);
		unlink(t.path);
	}
}

static void expect_record_rejected(uint32_t snaplen, uint32_t caplen)
{
	struct buf b = { 0 };
	struct pcap_record rec;
	struct tmp t;
	int err;

	file_header(&b, 0xa1b2c3d4u, snaplen, 1);
	record(&b, 1, 2, 4, 4, 0x33, 4);
	record(&b, 1, 2, caplen, caplen, 0x44, 8);	/* the file ends long before caplen */
	struct pcap_file *f = open_bytes(&t, &b, &err);
	assert_non_null(f);
	assert_int_equal(pcap_file_next(f, &rec), 1);
	assert_int_equal(pcap_file_next(f, &rec), -DNSIFT_EFORMAT);
	assert_int_equal(pcap_file_error_offset(f), 24 + 16 + 4);
	pcap_file_close(f);
	unlink(t.path);
}

static void oversized_caplen_is_a_format_error_not_an_allocation(void **state)
{
	(void)state;
	expect_record_rejected(65535, PCAP_MAX_CAPLEN + 1);
	expect_record_rejected(0, PCAP_MAX_CAPLEN + 1);
	expect_record_rejected(0xffffffffu, 0xffffffffu);
	expect_record_rejected(100, 100 + PCAP_SNAPLEN_SLACK + 1);
	expect_record_rejected(1500, 65535);
}

static void caplen_within_snaplen_slack_is_read(void **state)
{
	(void)state;
	struct buf b = { 0 };
	struct pcap_record rec;
	struct tmp t;
	int err;

	file_header(&b, 0xa1b2c3d4u, 64, 1);
	record(&b, 1, 2, 64 + PCAP_SNAPLEN_SLACK, 1000, 0x55, 64 + PCAP_SNAPLEN_SLACK);
	struct pcap_file *f = open_bytes(&t, &b, &err);
	assert_non_null(f);
	assert_int_equal(pcap_file_next(f, &rec), 1);
	assert_int_equal(rec.caplen, 64 + PCAP_SNAPLEN_SLACK);
	assert_int_equal(rec.data[rec.caplen - 1], 0x55);
	assert_int_equal(pcap_file_next(f, &rec), 0);
	pcap_file_close(f);
	unlink(t.path);
}

static void writer_rejects_bad_arguments(void **state)
{
	(void)state;
	struct tmp t;
	uint8_t x = 0;

	tmp_path(&t);
	errno = 0;
	assert_null(pcap_writer_open(t.path, 1, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(pcap_writer_open(t.path, 1, PCAP_MAX_CAPLEN + 1));
	assert_null(pcap_writer_open("/nonexistent/dnsift/out.pcap", 1, 100));
	assert_int_equal(errno, ENOENT);

	struct pcap_writer *w = pcap_writer_open(t.path, 1, 100);
	assert_non_null(w);
	assert_int_equal(pcap_writer_write(w, 1, 1000000000u, &x, 1), -DNSIFT_EINVAL);
	assert_int_equal(pcap_writer_write(w, 1ull << 32, 0, &x, 1), -DNSIFT_EINVAL);
	assert_int_equal(pcap_writer_write(w, 1, 0, NULL, 1), -DNSIFT_EINVAL);
	assert_int_equal(pcap_writer_write(NULL, 1, 0, &x, 1), -DNSIFT_EINVAL);
	assert_int_equal(pcap_writer_close(w), 0);
	assert_int_equal(pcap_writer_close(NULL), 0);
	unlink(t.path);
}

static void writer_close_reports_a_failed_write(void **state)
{
	(void)state;
	uint8_t frame[1500] = { 0 };

	if (access("/dev/full", W_OK) != 0) {
		skip();
		return;
	}
	/* /dev/full accepts the open and fails every flush with ENOSPC. */
	struct pcap_writer *w = pcap_writer_open("/dev/full", 1, 1500);
	assert_non_null(w);
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = pcap_writer_write(w, 1, 0, frame, sizeof(frame));
	assert_int_equal(rc, -DNSIFT_EIO);	/* 150 KB overflow any stdio buffer */
	assert_int_equal(pcap_writer_write(w, 1, 0, frame, 10), -DNSIFT_EIO);
	assert_int_equal(pcap_writer_close(w), -DNSIFT_EIO);

	w = pcap_writer_open("/dev/full", 1, 1500);
	assert_non_null(w);
	assert_int_equal(pcap_writer_write(w, 1, 0, frame, 10), 0);	/* still buffered */
	assert_int_equal(pcap_writer_close(w), -DNSIFT_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_round_trip_keeps_records_and_cuts_at_snaplen),
		cmocka_unit_test(reads_both_magics_in_both_byte_orders),
		cmocka_unit_test(fcs_bits_are_masked_from_the_link_type),
		cmocka_unit_test(pcapng_is_rejected_with_its_own_code),
		cmocka_unit_test(empty_and_foreign_files_are_rejected),
		cmocka_unit_test(truncated_file_header_is_rejected),
		cmocka_unit_test(unsupported_major_version_is_rejected),
		cmocka_unit_test(missing_file_is_an_io_error_with_errno),
		cmocka_unit_test(header_only_file_is_a_clean_eof),
		cmocka_unit_test(truncated_record_header_and_data_give_format_error_with_offset),
		cmocka_unit_test(oversized_caplen_is_a_format_error_not_an_allocation),
		cmocka_unit_test(caplen_within_snaplen_slack_is_read),
		cmocka_unit_test(writer_rejects_bad_arguments),
		cmocka_unit_test(writer_close_reports_a_failed_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
