/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment reader, verifier and .part recovery.
 *
 * One walker serves both: it reads the head frame, then the LZ4 frame block
 * by block, parsing the block headers itself so that each block is handed to
 * LZ4F_decompress only once it is complete in the file, and its output is
 * released only when the whole block decoded and its checksum matched. Strict
 * mode turns the first problem into an error naming it and its offset;
 * recovery mode stops there and keeps what came before.
 */
#define _GNU_SOURCE
#define LZ4F_STATIC_LINKING_ONLY	/* LZ4F_getErrorCode / LZ4F_errorCodes */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>

#include "segment/seg_internal.h"
#include "segment/seg_json.h"
#include "wire/err.h"

#define LZ4_FRAME_MAGIC	0x184D2204U
#define RD_MAX		((4U << 20) + 64)	/* largest LZ4 block plus its header/checksum */

struct rd {
	int fd;
	uint8_t *buf;
	size_t cap;
	size_t pos;		/* unread bytes are buf[pos..len) */
	size_t len;
	uint64_t off;		/* file offset of buf[pos] */
	bool eof;
};

/* Make n bytes readable at pos. Returns how many are (less than n only at EOF), -1 on error. */
static long rd_fill(struct rd *r, size_t n)
{
	if (r->len - r->pos >= n)
		return (long)n;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (n > r->cap) {
		size_t cap = r->cap;
		uint8_t *p;

		while (cap < n)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return -1;
		r->buf = p;
		r->cap = cap;
	}
	while (r->len < n && !r->eof) {
		ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0)
			r->eof = true;
		r->len += (size_t)got;
	}
	return (long)(r->len - r->pos < n ? r->len - r->pos : n);
}

static void rd_skip(struct rd *r, size_t n)
{
	r->pos += n;
	r->off += n;
}

struct walk {
	bool recover;
	seg_record_fn fn;
	void *arg;
	struct seg_info *info;
	struct seg_error *err;
	LZ4F_dctx *dctx;
	uint8_t *dst;
	size_t dst_cap;
	char *line;		/* the incomplete last line */
	size_t line_len;
	size_t line_cap;
	bool skipping;		/* recovery: dropping an overlong line up to its '\n' */
	uint64_t bad_lines;
	uint64_t last_count;	/* count of the line being handed to fn */
	struct seg_head head;
	bool head_ok;
	bool fn_stopped;
};

static int walk_fail(struct walk *w, int code, uint64_t offset, uint64_t record,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int walk_fail(struct walk *w, int code, uint64_t offset, uint64_t record,
		     const char *fmt, ...)
{
	va_list ap;

	w->err->code = code;
	w->err->offset = offset;
	w->err->record = record;
	va_start(ap, fmt);
	vsnprintf(w->err->msg, sizeof(w->err->msg), fmt, ap);
	va_end(ap);
	return code;
}

static int walk_line(struct walk *w, const char *line, size_t len, uint64_t block_off)
{
	uint64_t count;
	uint64_t recno = w->info->lines + 1;

	if (seg_record_check(line, len, &count) < 0) {
		if (w->recover) {
			w->bad_lines++;
			return 0;
		}
		return walk_fail(w, -DNSIFT_ESEG_RECORD, block_off, recno,
				 "record %" PRIu64 " (content offset %" PRIu64
				 ", in block at file offset %" PRIu64 ") is not one JSON object",
				 recno, w->info->content_bytes, block_off);
	}
	w->info->lines++;
	w->info->lines_count_sum += count;
	w->last_count = count;
	if (w->fn && !w->fn_stopped) {
		/* the line buffer always has room for the '\n' it was split on */
		if (w->fn(w->arg, line, len + 1) != 0)
			w->fn_stopped = true;
	}
	return 0;
}

/* Cut decoded content into lines; keeps the unfinished tail line for the next block. */
static int walk_content(struct walk *w, const uint8_t *data, size_t n, uint64_t block_off)
{
	const char *p = (const char *)data, *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t piece = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int rc;

		if (w->skipping) {
			if (nl)
				w->skipping = false;
		} else if (w->line_len + piece + 1 > SEG_LINE_MAX) {
			if (!w->recover)
				return walk_fail(w, -DNSIFT_ESEG_RECORD, block_off,
						 w->info->lines + 1,
						 "record %" PRIu64 " longer than %u bytes",
						 w->info->lines + 1, SEG_LINE_MAX);
			w->bad_lines++;
			w->line_len = 0;
			w->skipping = !nl;
		} else {
			if (w->line_len + piece + 1 > w->line_cap) {
				size_t cap = w->line_cap ? w->line_cap : 4096;
				char *q;

				while (cap < w->line_len + piece + 1)
					cap *= 2;
				q = realloc(w->line, cap);
				if (!q)
					return walk_fail(w, -DNSIFT_ENOMEM, block_off, 0,
							 "out of memory");
				w->line = q;
				w->line_cap = cap;
			}
			memcpy(w->line + w->line_len, p, piece);
			w->line_len += piece;
			if (nl) {
				w->line[w->line_len] = '\n';
				rc = walk_line(w, w->line, w->line_len, block_off);
				w->line_len = 0;
				if (rc < 0)
					return rc;
			}
		}
		w->info->content_bytes += piece + (nl ? 1 : 0);
		p += piece + (nl ? 1 : 0);
	}
	return 0;
}

static int lz4_code(size_t r)
{
	switch (LZ4F_getErrorCode(r)) {
	case LZ4F_ERROR_blockChecksum_invalid:
	case LZ4F_ERROR_contentChecksum_invalid:
	case LZ4F_ERROR_headerChecksum_invalid:
		return -DNSIFT_ESEG_CHECKSUM;
	default:
		return -DNSIFT_ESEG_LZ4;
	}
}

/* One metadata frame at the reader position: magic, size, CRC, JSON. */
static int walk_meta(struct walk *w, struct rd *r, uint32_t want_magic, const char *what,
		     int missing_code, char *json_out)
{
	uint64_t off = r->off;
	long avail = rd_fill(r, SEG_SKIP_HDR);
	uint32_t magic, size;
	const uint8_t *p;

	if (avail < 0)
		return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
	if (avail == 0)
		return walk_fail(w, missing_code, off, 0, "no %s frame at offset %" PRIu64
				 " (file ends)", what, off);
	if (avail < SEG_SKIP_HDR)
		return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0,
				 "%s frame header truncated at offset %" PRIu64, what, off);
	p = r->buf + r->pos;
	magic = seg_get_le32(p);
	size = seg_get_le32(p + 4);
	if (magic != want_magic) {
		int code = want_magic == SEG_HEAD_MAGIC ? -DNSIFT_ESEG_MAGIC : missing_code;

		return walk_fail(w, code, off, 0, "expected %s frame magic 0x%08X at offset %"
				 PRIu64 ", found 0x%08X%s", what, want_magic, off, magic,
				 magic == LZ4_FRAME_MAGIC ? " (a plain LZ4 frame)" : "");
	}
	if (size < SEG_META_CRC + 2 || size > SEG_META_CRC + SEG_META_MAX)
		return walk_fail(w, -DNSIFT_EFORMAT, off, 0, "%s frame at offset %" PRIu64
				 " has size %" PRIu32 ", outside 6..%u", what, off, size,
				 SEG_META_CRC + SEG_META_MAX);
	avail = rd_fill(r, SEG_SKIP_HDR + size);
	if (avail < 0)
		return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
	if ((size_t)avail < SEG_SKIP_HDR + size)
		return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0, "%s frame at offset %" PRIu64
				 " truncated: needs %" PRIu32 " bytes, file has %ld", what, off,
				 SEG_SKIP_HDR + size, avail);
	p = r->buf + r->pos + SEG_SKIP_HDR;
	if (seg_crc32(p + SEG_META_CRC, size - SEG_META_CRC) != seg_get_le32(p))
		return walk_fail(w, -DNSIFT_ESEG_CHECKSUM, off, 0,
				 "%s frame at offset %" PRIu64 ": metadata CRC-32 mismatch", what, off);
	memcpy(json_out, p + SEG_META_CRC, size - SEG_META_CRC);
	json_out[size - SEG_META_CRC] = '\0';
	rd_skip(r, SEG_SKIP_HDR + size);
	return (int)(size - SEG_META_CRC);
}

static int walk_frame(struct walk *w, struct rd *r)
{
	uint64_t off = r->off;
	LZ4F_frameInfo_t fi;
	size_t hsize, consumed, block_max;
	long avail = rd_fill(r, 7);	/* smallest frame header */

	if (avail < 0)
		return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
	if (avail < 7)
		return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0,
				 "LZ4 frame header truncated at offset %" PRIu64, off);
	if (seg_get_le32(r->buf + r->pos) != LZ4_FRAME_MAGIC)
		return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "expected LZ4 frame magic 0x%08X at "
				 "offset %" PRIu64 ", found 0x%08X", LZ4_FRAME_MAGIC, off,
				 seg_get_le32(r->buf + r->pos));
	hsize = LZ4F_headerSize(r->buf + r->pos, (size_t)avail);
	if (LZ4F_isError(hsize))
		return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "bad LZ4 frame header at offset %"
				 PRIu64 ": %s", off, LZ4F_getErrorName(hsize));
	avail = rd_fill(r, hsize);
	if (avail < 0)
		return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
	if ((size_t)avail < hsize)
		return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0,
				 "LZ4 frame header truncated at offset %" PRIu64, off);
	consumed = hsize;
	hsize = LZ4F_getFrameInfo(w->dctx, &fi, r->buf + r->pos, &consumed);
	if (LZ4F_isError(hsize))
		return walk_fail(w, lz4_code(hsize), off, 0, "bad LZ4 frame header at offset %"
				 PRIu64 ": %s", off, LZ4F_getErrorName(hsize));
	if (!w->recover && (fi.blockChecksumFlag != LZ4F_blockChecksumEnabled ||
			    fi.contentChecksumFlag != LZ4F_contentChecksumEnabled))
		return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "LZ4 frame at offset %" PRIu64
				 " lacks block or content checksums", off);
	rd_skip(r, consumed);
	block_max = LZ4F_getBlockSize(fi.blockSizeID);
	if (LZ4F_isError(block_max) || block_max == 0)
		return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "bad LZ4 block size id");
	if (block_max > w->dst_cap) {
		uint8_t *d = realloc(w->dst, block_max);

		if (!d)
			return walk_fail(w, -DNSIFT_ENOMEM, off, 0, "out of memory");
		w->dst = d;
		w->dst_cap = block_max;
	}

	for (;;) {
		const size_t cks = fi.blockChecksumFlag == LZ4F_blockChecksumEnabled ? 4 : 0;
		uint32_t word, bsize;
		size_t total, src_done = 0, out = 0;

		off = r->off;
		avail = rd_fill(r, 4);
		if (avail < 0)
			return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
		if (avail < 4)
			return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0, "LZ4 frame truncated: "
					 "file ends at offset %" PRIu64 " where a block header was "
					 "due", off + (uint64_t)avail);
		word = seg_get_le32(r->buf + r->pos);
		if (word == 0) {
			size_t need = fi.contentChecksumFlag == LZ4F_contentChecksumEnabled ? 8 : 4;
			size_t dsz = 0, ssz = need, rc;

			avail = rd_fill(r, need);
			if (avail < 0)
				return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s",
						 strerror(errno));
			if ((size_t)avail < need)
				return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0, "LZ4 end mark at "
						 "offset %" PRIu64 " truncated", off);
			rc = LZ4F_decompress(w->dctx, w->dst, &dsz, r->buf + r->pos, &ssz, NULL);
			if (LZ4F_isError(rc))
				return walk_fail(w, lz4_code(rc), off, 0, "LZ4 frame ending at offset %"
						 PRIu64 ": %s", off, LZ4F_getErrorName(rc));
			if (rc != 0 || ssz != need)
				return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "LZ4 frame did not end "
						 "at its end mark (offset %" PRIu64 ")", off);
			rd_skip(r, need);
			return 0;
		}
		bsize = word & 0x7FFFFFFFU;
		if (bsize > block_max)
			return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "LZ4 block at offset %" PRIu64
					 " claims %" PRIu32 " bytes, frame maximum is %zu", off, bsize,
					 block_max);
		total = 4 + (size_t)bsize + cks;
		avail = rd_fill(r, total);
		if (avail < 0)
			return walk_fail(w, -DNSIFT_EIO, off, 0, "read error: %s", strerror(errno));
		if ((size_t)avail < total)
			return walk_fail(w, -DNSIFT_ESEG_TRUNCATED, off, 0, "LZ4 block at offset %"
					 PRIu64 " truncated: needs %zu bytes, file has %ld", off,
					 total, avail);
		/* Output counts only once the whole block (and its checksum) went through. */
		while (src_done < total) {
			size_t ssz = total - src_done, dsz = w->dst_cap - out;
			size_t rc = LZ4F_decompress(w->dctx, w->dst + out, &dsz,
						    r->buf + r->pos + src_done, &ssz, NULL);

			if (LZ4F_isError(rc))
				return walk_fail(w, lz4_code(rc), off, 0, "LZ4 block at offset %"
						 PRIu64 ": %s", off, LZ4F_getErrorName(rc));
			src_done += ssz;
			out += dsz;
			if (ssz == 0 && dsz == 0)
				return walk_fail(w, -DNSIFT_ESEG_LZ4, off, 0, "LZ4 block at offset %"
						 PRIu64 " does not decode", off);
		}
		rd_skip(r, total);
		if (walk_content(w, w->dst, out, off) < 0)
			return w->err->code;
	}
}

static int walk_file(struct walk *w, int fd)
{
	struct rd r = { .fd = fd, .cap = 1U << 16 };
	struct seg_info *info = w->info;
	uint64_t tail_seq = 0;
	struct stat st;
	int rc;

	if (fstat(fd, &st) == 0)
		info->file_bytes = (uint64_t)st.st_size;
	r.buf = malloc(r.cap);
	if (LZ4F_isError(LZ4F_createDecompressionContext(&w->dctx, LZ4F_VERSION)))
		w->dctx = NULL;
	if (!r.buf || !w->dctx) {
		rc = walk_fail(w, -DNSIFT_ENOMEM, 0, 0, "out of memory");
		goto out;
	}
	rc = walk_meta(w, &r, SEG_HEAD_MAGIC, "head", -DNSIFT_ESEG_TRUNCATED, info->head_json);
	if (rc < 0)
		goto out;
	rc = seg_head_parse(info->head_json, (size_t)rc, &w->head);
	if (rc < 0) {
		walk_fail(w, rc, 0, 0, "head metadata: %s", dnsift_strerror(rc));
		goto out;
	}
	w->head_ok = true;
	info->version = w->head.version;
	memcpy(info->sensor_id, w->head.sensor_id, sizeof(info->sensor_id));
	info->seq = w->head.seq;
	info->open_time = w->head.open_time;
	memcpy(info->hostname, w->head.hostname, sizeof(info->hostname));

	rc = walk_frame(w, &r);
	if (rc < 0)
		goto out;
	if (w->line_len || w->skipping) {
		rc = walk_fail(w, -DNSIFT_ESEG_RECORD, r.off, info->lines + 1,
			       "last record (%" PRIu64 ") does not end in a newline",
			       info->lines + 1);
		goto out;
	}
	rc = walk_meta(w, &r, SEG_TAIL_MAGIC, "tail", -DNSIFT_ESEG_TRAILER, info->tail_json);
	if (rc < 0)
		goto out;
	rc = seg_tail_parse(info->tail_json, (size_t)rc, info, &tail_seq);
	if (rc < 0) {
		walk_fail(w, rc, r.off, 0, "tail metadata is not the expected JSON object");
		goto out;
	}
	info->has_tail = true;
	if (rd_fill(&r, 1) != 0) {
		rc = walk_fail(w, -DNSIFT_ESEG_TRAILER, r.off, 0,
			       "unexpected bytes after the tail frame at offset %" PRIu64, r.off);
		goto out;
	}
	if (tail_seq != info->seq)
		rc = walk_fail(w, -DNSIFT_ESEG_TRAILER, 0, 0, "tail seq %" PRIu64
			       " differs from head seq %" PRIu64, tail_seq, info->seq);
	else if (info->records != info->lines)
		rc = walk_fail(w, -DNSIFT_ESEG_TRAILER, 0, 0, "tail says %" PRIu64
			       " records, the frame holds %" PRIu64, info->records, info->lines);
	else if (info->count_sum != info->lines_count_sum)
		rc = walk_fail(w, -DNSIFT_ESEG_TRAILER, 0, 0, "tail count_sum %" PRIu64
			       " differs from the records' sum of count %" PRIu64,
			       info->count_sum, info->lines_count_sum);
out:
	if (w->dctx)
		LZ4F_freeDecompressionContext(w->dctx);
	w->dctx = NULL;
	free(r.buf);
	free(w->dst);
	free(w->line);
	w->dst = NULL;
	w->line = NULL;
	return rc < 0 ? rc : 0;
}

int seg_read_file(const char *path, seg_record_fn fn, void *arg, struct seg_info *info,
		  struct seg_error *err)
{
	struct seg_info local_info;
	struct seg_error local_err;
	struct walk w;
	int fd, rc;

	if (!info)
		info = &local_info;
	if (!err)
		err = &local_err;
	memset(info, 0, sizeof(*info));
	memset(err, 0, sizeof(*err));
	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.arg = arg;
	w.info = info;
	w.err = err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err->code = -DNSIFT_EIO;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return err->code;
	}
	rc = walk_file(&w, fd);
	close(fd);
	return rc;
}

int seg_verify_file(const char *path, struct seg_info *info, struct seg_error *err)
{
	return seg_read_file(path, NULL, NULL, info, err);
}

static int cat_line(void *arg, const char *line, size_t len)
{
	return fwrite(line, 1, len, arg) == len ? 0 : -1;
}

int seg_cat_file(const char *path, FILE *out, struct seg_info *info, struct seg_error *err)
{
	return seg_read_file(path, cat_line, out, info, err);
}

int seg_info_json(const struct seg_info *info, const struct seg_error *err, const char *path,
		  char *out, size_t size)
{
	bool valid = !err || err->code == 0;
	size_t len = 0;
	int n;

	n = snprintf(out, size, "{\"file\":");
	if (n < 0 || (size_t)n >= size)
		return -DNSIFT_ENOSPACE;
	len = (size_t)n;
	if (sj_put_string(out, size, &len, path ? path : "") < 0)
		return -DNSIFT_ENOSPACE;
	n = snprintf(out + len, size - len, ",\"valid\":%s,\"head\":%s,\"tail\":%s,"
		     "\"file_bytes\":%" PRIu64 ",\"content_bytes\":%" PRIu64 ",\"lines\":%"
		     PRIu64 ",\"lines_count_sum\":%" PRIu64, valid ? "true" : "false",
		     info->head_json[0] ? info->head_json : "null",
		     info->has_tail ? info->tail_json : "null", info->file_bytes,
		     info->content_bytes, info->lines, info->lines_count_sum);
	if (n < 0 || (size_t)n >= size - len)
		return -DNSIFT_ENOSPACE;
	len += (size_t)n;
	if (!valid) {
		n = snprintf(out + len, size - len, ",\"error\":{\"code\":\"%s\",\"offset\":%"
			     PRIu64 ",\"message\":", dnsift_errname(err->code), err->offset);
		if (n < 0 || (size_t)n >= size - len)
			return -DNSIFT_ENOSPACE;
		len += (size_t)n;
		if (sj_put_string(out, size, &len, err->msg) < 0 || len + 2 >= size)
			return -DNSIFT_ENOSPACE;
		out[len++] = '}';
	}
	if (len + 2 > size)
		return -DNSIFT_ENOSPACE;
	out[len++] = '}';
	out[len] = '\0';
	return (int)len;
}

/* ---- recovery ------------------------------------------------------------------------ */

struct recover {
	struct walk *w;
	struct seg_enc enc;
	bool begun;
	struct seg_head head;
	int fd;
	int io_err;		/* errno of a failed write, 0 if none */
	uint64_t records;
	uint64_t count_sum;
};

static int recover_drain(struct recover *rc, size_t keep_below)
{
	if (rc->enc.out_len < keep_below || rc->io_err)
		return rc->io_err ? -1 : 0;
	if (seg_write_all(rc->fd, rc->enc.out, rc->enc.out_len) < 0) {
		rc->io_err = errno;
		return -1;
	}
	seg_enc_consume(&rc->enc, rc->enc.out_len);
	return 0;
}

static int recover_begin(struct recover *rc)
{
	if (rc->begun)
		return 0;
	if (rc->w->head_ok)
		rc->head = rc->w->head;
	if (seg_enc_begin(&rc->enc, &rc->head) < 0)
		return -1;
	rc->begun = true;
	return 0;
}

static int recover_line(void *arg, const char *line, size_t len)
{
	struct recover *rc = arg;

	if (recover_begin(rc) < 0 || seg_enc_add(&rc->enc, line, len) < 0) {
		rc->io_err = ENOMEM;
		return -1;
	}
	rc->records++;
	rc->count_sum += rc->w->last_count;
	return recover_drain(rc, 1U << 20);
}

static int copy_file(int in, int out)
{
	uint8_t buf[1 << 16];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (seg_write_all(out, buf, (size_t)n) < 0)
			return -1;
	}
}

int seg_recover_file(const char *part_path, const char *out_path,
		     struct seg_recover_result *res)
{
	struct seg_recover_result local_res;
	struct seg_info *info = NULL;
	struct seg_error err;
	struct recover rc;
	struct walk w;
	char tmp[4096], base[SEG_NAME_MAX + 1], dir[4096];
	struct stat st;
	int in_fd = -1, ret = -DNSIFT_EIO, saved = 0;
	bool named;

	if (!res)
		res = &local_res;
	memset(res, 0, sizeof(*res));
	memset(&rc, 0, sizeof(rc));
	rc.fd = -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", out_path) >= sizeof(tmp) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", out_path) >= sizeof(dir))
		return -DNSIFT_EINVAL;
	snprintf(base, sizeof(base), "%s", strrchr(part_path, '/') ? strrchr(part_path, '/') + 1
		 : part_path);
	named = seg_name_parse(base, rc.head.sensor_id, &rc.head.seq, &rc.head.open_time) == 0;
	rc.head.version = SEG_FORMAT_VERSION;

	info = calloc(1, sizeof(*info));
	if (!info || seg_enc_init(&rc.enc, 0) < 0) {
		free(info);
		return -DNSIFT_ENOMEM;
	}
	in_fd = open(part_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0 || fstat(in_fd, &st) < 0)
		goto io_fail;
	res->part_bytes = (uint64_t)st.st_size;
	rc.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (rc.fd < 0)
		goto io_fail;

	/* A part that is a whole valid segment (crash between tail and rename) stays as is. */
	if (seg_verify_file(part_path, info, &err) == 0) {
		res->complete = true;
		res->records = info->lines;
		res->count_sum = info->lines_count_sum;
		if (copy_file(in_fd, rc.fd) < 0)
			goto io_fail;
	} else {
		struct seg_tail tail;

		memset(&w, 0, sizeof(w));
		memset(info, 0, sizeof(*info));
		w.recover = true;
		w.fn = recover_line;
		w.arg = &rc;
		w.info = info;
		w.err = &err;
		rc.w = &w;
		walk_file(&w, in_fd);
		if (rc.io_err) {
			errno = rc.io_err;
			goto io_fail;
		}
		if (!w.head_ok && !named) {
			ret = -DNSIFT_EFORMAT;
			goto fail;
		}
		if (recover_begin(&rc) < 0)
			goto nomem;
		memset(&tail, 0, sizeof(tail));
		tail.seq = rc.head.seq;
		tail.close_time = (uint64_t)st.st_mtime;
		tail.records = rc.records;
		tail.count_sum = rc.count_sum;
		tail.content_bytes = rc.enc.in_bytes;
		tail.recovered = true;
		tail.part_bytes = res->part_bytes;
		tail.stop_code = err.code;
		if (seg_enc_end(&rc.enc, &tail) < 0)
			goto nomem;
		if (recover_drain(&rc, 0) < 0) {
			errno = rc.io_err;
			goto io_fail;
		}
		res->records = rc.records;
		res->count_sum = rc.count_sum;
		res->bad_lines = w.bad_lines;
		res->stop_code = err.code;
		res->stop_offset = err.offset;
	}
	if (fsync(rc.fd) < 0)
		goto io_fail;
	if (close(rc.fd) < 0) {
		rc.fd = -1;
		goto io_fail;
	}
	rc.fd = -1;
	if (rename(tmp, out_path) < 0)
		goto io_fail;
	seg_fsync_dir(dirname(dir));
	ret = 0;
	goto done;
nomem:
	ret = -DNSIFT_ENOMEM;
	goto fail;
io_fail:
	ret = -DNSIFT_EIO;
fail:
	saved = errno;
	if (rc.fd >= 0)
		close(rc.fd);
	unlink(tmp);
	errno = saved;
done:
	if (in_fd >= 0)
		close(in_fd);
	seg_enc_fini(&rc.enc);
	free(info);
	if (ret < 0)
		errno = saved;
	return ret;
}
