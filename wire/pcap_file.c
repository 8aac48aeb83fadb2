/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic pcap reader and writer (tcpdump.org/manpages/pcap-savefile.5.html).
 *
 * The reader copies each record into one buffer of PCAP_MAX_CAPLEN bytes allocated
 * at open, so a record can never be larger than what was allocated, and every size
 * taken from the file is checked before it is used.
 */
#include "wire/pcap_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/err.h"

#define PCAP_MAGIC_USEC		0xa1b2c3d4u
#define PCAP_MAGIC_NSEC		0xa1b23c4du
#define PCAPNG_MAGIC_SHB	0x0a0d0d0au	/* section header block type: same in both orders */
#define PCAP_FILE_HDR_LEN	24
#define PCAP_REC_HDR_LEN	16
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
/* Upper bits of the link type field carry FCS length flags (LT_LINKTYPE in libpcap). */
#define PCAP_LINKTYPE_MASK	0x03ffffffu

struct pcap_file {
	FILE *fp;
	uint8_t *buf;
	uint64_t offset;	/* file offset of the next record header */
	uint64_t error_offset;
	int error;		/* sticky: 0 or the first negative code */
	bool swapped;
	bool nanosecond;
	uint32_t snaplen;
	uint32_t max_caplen;
	uint32_t linktype;
};

struct pcap_writer {
	FILE *fp;
	uint32_t snaplen;
	bool failed;
};

static uint32_t bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static uint32_t get32(const struct pcap_file *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return f->swapped ? bswap32(v) : v;
}

static uint16_t get16(const struct pcap_file *f, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return f->swapped ? (uint16_t)(v >> 8 | v << 8) : v;
}

static void set_err(int *err, int code)
{
	if (err != NULL)
		*err = code;
}

struct pcap_file *pcap_file_open(const char *path, int *err)
{
	uint8_t hdr[PCAP_FILE_HDR_LEN];
	struct pcap_file *f;
	uint32_t magic;
	size_t got;
	int code;

	set_err(err, 0);
	if (path == NULL) {
		set_err(err, -DNSIFT_EINVAL);
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto nomem;
	f->buf = malloc(PCAP_MAX_CAPLEN);
	if (f->buf == NULL)
		goto nomem;
	f->fp = fopen(path, "rb");
	if (f->fp == NULL) {
		code = -DNSIFT_EIO;
		goto fail_keep_errno;
	}

	got = fread(hdr, 1, sizeof(hdr), f->fp);
	if (got < sizeof(hdr) && ferror(f->fp)) {
		code = -DNSIFT_EIO;
		goto fail_keep_errno;
	}
	if (got >= 4) {
		memcpy(&magic, hdr, sizeof(magic));
		if (magic == PCAPNG_MAGIC_SHB) {
			code = -DNSIFT_EPCAP_PCAPNG;
			goto fail_format;
		}
		if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC) {
			f->swapped = false;
		} else if (bswap32(magic) == PCAP_MAGIC_USEC || bswap32(magic) == PCAP_MAGIC_NSEC) {
			f->swapped = true;
			magic = bswap32(magic);
		} else {
			code = -DNSIFT_EFORMAT;
			goto fail_format;
		}
		f->nanosecond = magic == PCAP_MAGIC_NSEC;
	}
	/* An empty file or a cut header is not a pcap file either. */
	if (got < sizeof(hdr) || get16(f, hdr + 4) != PCAP_VERSION_MAJOR) {
		code = -DNSIFT_EFORMAT;
		goto fail_format;
	}
	f->snaplen = get32(f, hdr + 16);
	f->linktype = get32(f, hdr + 20) & PCAP_LINKTYPE_MASK;
	/* Snaplen 0 or absurd values occur in the wild; the absolute limit still holds. */
	if (f->snaplen == 0 || f->snaplen > PCAP_MAX_CAPLEN - PCAP_SNAPLEN_SLACK)
		f->max_caplen = PCAP_MAX_CAPLEN;
	else
		f->max_caplen = f->snaplen + PCAP_SNAPLEN_SLACK;
	f->offset = PCAP_FILE_HDR_LEN;
	return f;

nomem:
	pcap_file_close(f);
	set_err(err, -DNSIFT_ENOMEM);
	errno = ENOMEM;
	return NULL;
fail_format:
	pcap_file_close(f);
	set_err(err, code);
	errno = EINVAL;
	return NULL;
fail_keep_errno: {
		int saved = errno;

		pcap_file_close(f);
		set_err(err, code);
		errno = saved;
		return NULL;
	}
}

static int record_error(struct pcap_file *f, int code)
{
	f->error = code;
	f->error_offset = f->offset;
	return code;
}

int pcap_file_next(struct pcap_file *f, struct pcap_record *rec)
{
	uint8_t hdr[PCAP_REC_HDR_LEN];
	size_t got;

	if (f == NULL || rec == NULL)
		return -DNSIFT_EINVAL;
	if (f->error)
		return f->error;

	got = fread(hdr, 1, sizeof(hdr), f->fp);
	if (got < sizeof(hdr)) {
		if (ferror(f->fp))
			return record_error(f, -DNSIFT_EIO);
		if (got == 0)
			return 0;
		return record_error(f, -DNSIFT_EFORMAT);	/* record header cut short */
	}
	uint32_t caplen = get32(f, hdr + 8);
	if (caplen > f->max_caplen)
		return record_error(f, -DNSIFT_EFORMAT);
	if (caplen > 0 && fread(f->buf, 1, caplen, f->fp) != caplen)
		return record_error(f, ferror(f->fp) ? -DNSIFT_EIO : -DNSIFT_EFORMAT);

	uint32_t frac = get32(f, hdr + 4);
	rec->data = f->buf;
	rec->ts_sec = get32(f, hdr);
	rec->ts_nsec = f->nanosecond ? frac : frac * 1000u;
	rec->caplen = caplen;
	rec->origlen = get32(f, hdr + 12);
	f->offset += PCAP_REC_HDR_LEN + (uint64_t)caplen;
	return 1;
}

uint32_t pcap_file_linktype(const struct pcap_file *f)
{
	return f->linktype;
}

uint32_t pcap_file_snaplen(const struct pcap_file *f)
{
	return f->snaplen;
}

int pcap_file_is_nanosecond(const struct pcap_file *f)
{
	return f->nanosecond;
}

uint64_t pcap_file_error_offset(const struct pcap_file *f)
{
	return f->error_offset;
}

void pcap_file_close(struct pcap_file *f)
{
	if (f == NULL)
		return;
	if (f->fp != NULL)
		fclose(f->fp);
	free(f->buf);
	free(f);
}

static bool write_u32s(FILE *fp, const uint32_t *v, size_t n)
{
	return fwrite(v, sizeof(*v), n, fp) == n;
}

struct pcap_writer *pcap_writer_open(const char *path, uint32_t linktype, uint32_t snaplen)
{
	struct pcap_writer *w;

	if (path == NULL || snaplen == 0 || snaplen > PCAP_MAX_CAPLEN) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->snaplen = snaplen;
	w->fp = fopen(path, "wb");
	if (w->fp == NULL) {
		free(w);
		return NULL;
	}
	const uint16_t version[2] = { PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR };
	const uint32_t magic = PCAP_MAGIC_USEC;
	const uint32_t rest[4] = { 0 /* thiszone */, 0 /* sigfigs */, snaplen, linktype };
	if (!write_u32s(w->fp, &magic, 1) || fwrite(version, sizeof(version), 1, w->fp) != 1 ||
	    !write_u32s(w->fp, rest, 4)) {
		int saved = errno ? errno : EIO;

		fclose(w->fp);
		free(w);
		errno = saved;
		return NULL;
	}
	return w;
}

int pcap_writer_write(struct pcap_writer *w, uint64_t ts_sec, uint32_t ts_nsec,
		      const uint8_t *data, uint32_t len)
{
	if (w == NULL || ts_nsec >= 1000000000u || ts_sec > UINT32_MAX || (data == NULL && len))
		return -DNSIFT_EINVAL;
	if (w->failed)
		return -DNSIFT_EIO;

	uint32_t caplen = len < w->snaplen ? len : w->snaplen;
	const uint32_t hdr[4] = { (uint32_t)ts_sec, ts_nsec / 1000u, caplen, len };
	if (!write_u32s(w->fp, hdr, 4) || (caplen && fwrite(data, 1, caplen, w->fp) != caplen)) {
		w->failed = true;
		return -DNSIFT_EIO;
	}
	return 0;
}

int pcap_writer_close(struct pcap_writer *w)
{
	bool failed;

	if (w == NULL)
		return 0;
	failed = w->failed;
	if (fflush(w->fp) != 0 || ferror(w->fp))
		failed = true;
	if (fclose(w->fp) != 0)
		failed = true;
	free(w);
	return failed ? -DNSIFT_EIO : 0;
}
