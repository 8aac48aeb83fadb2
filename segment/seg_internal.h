/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the segment writer, reader and recovery (not installed,
 * not for other modules): the metadata frames and the encoder that turns
 * records into head + LZ4 frame + tail bytes in a memory buffer, which the
 * caller then writes out at its own pace.
 *
 * Threads: all of these work on caller-owned state only (an encoder belongs to
 * one thread at a time); any thread.
 */
#ifndef DNSIFT_SEG_INTERNAL_H
#define DNSIFT_SEG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lz4frame.h>

#include "segment/seg.h"

/*
 * 256 KiB blocks, linked: a flush every second on a quiet sensor makes small
 * blocks, and linking lets each one reference the previous 64 KiB, so the
 * same keys and names are not paid for again. Recovery reads blocks in order
 * anyway (it keeps a prefix), so independent blocks would buy nothing.
 */
#define SEG_LZ4_BLOCK_ID	LZ4F_max256KB
#define SEG_LZ4_BLOCK_SIZE	(256U * 1024U)
#define SEG_SKIP_HDR		8	/* magic + size, both little-endian u32 */
#define SEG_META_CRC		4	/* CRC-32 of the JSON text precedes it */

struct seg_head {
	uint32_t version;
	char sensor_id[SEG_SENSOR_ID_MAX + 1];
	uint64_t seq;
	uint64_t open_time;
	char hostname[SEG_HOSTNAME_MAX + 1];
};

struct seg_tail {
	uint64_t seq;
	uint64_t close_time;
	uint64_t records;
	uint64_t count_sum;
	uint64_t content_bytes;
	bool recovered;
	uint64_t part_bytes;		/* recovered only */
	int stop_code;			/* recovered only */
	const struct seg_counter *drops;
	unsigned n_drops;
};

/* CRC-32 (ISO-HDLC: poly 0xEDB88320 reflected, init and xorout ~0, as zlib). */
uint32_t seg_crc32(const void *data, size_t len);

static inline void seg_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t seg_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Render metadata JSON. Return length or -DNSIFT_ENOSPACE. */
int seg_head_json(const struct seg_head *h, char *out, size_t size);
int seg_tail_json(const struct seg_tail *t, char *out, size_t size);

/*
 * Parse a head payload's JSON (CRC already checked). Returns 0,
 * -DNSIFT_ESEG_MAGIC (not ours), -DNSIFT_ESEG_VERSION or -DNSIFT_EFORMAT.
 */
int seg_head_parse(const char *json, size_t len, struct seg_head *h);
/* Parse a tail payload's JSON into info's tail fields. 0 or -DNSIFT_ESEG_TRAILER. */
int seg_tail_parse(const char *json, size_t len, struct seg_info *info, uint64_t *seq);

/* Parse "count" from a record line (without '\n'). -1 if not one JSON object. */
int seg_record_check(const char *line, size_t len, uint64_t *count);

/* The encoder: everything it produces lands in out[0..out_len). */
struct seg_enc {
	LZ4F_cctx *cctx;
	LZ4F_preferences_t prefs;
	uint8_t *out;
	size_t out_len;
	size_t out_cap;
	uint64_t produced;	/* bytes ever appended to out (file size once all written) */
	uint64_t in_bytes;	/* NDJSON bytes given to the frame */
	uint64_t buffered;	/* estimate of input inside LZ4F not yet in out */
	uint64_t unflushed;	/* input since the last flush */
};

int seg_enc_init(struct seg_enc *e, int level);
void seg_enc_fini(struct seg_enc *e);
/* Reset for a new segment and append the head frame and the LZ4 frame header. */
int seg_enc_begin(struct seg_enc *e, const struct seg_head *h);
int seg_enc_add(struct seg_enc *e, const void *data, size_t len);
int seg_enc_flush(struct seg_enc *e);
/* End the LZ4 frame and append the tail frame. */
int seg_enc_end(struct seg_enc *e, const struct seg_tail *t);
/* Drop n written bytes from the front of out. */
void seg_enc_consume(struct seg_enc *e, size_t n);

/* write() all of buf, retrying EINTR. 0 or -1 with errno. */
int seg_write_all(int fd, const void *buf, size_t len);
/* fsync a directory by path. 0 or -1 with errno. */
int seg_fsync_dir(const char *path);

#endif
