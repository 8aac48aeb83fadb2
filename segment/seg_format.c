/* SPDX-License-Identifier: BSD-3-Clause */
/* Segment names, metadata frames and the encoder (see docs/segment-format.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "segment/seg_internal.h"
#include "segment/seg_json.h"
#include "wire/err.h"

#define SEG_FORMAT_NAME "dnsift-segment"

/* ---- CRC-32 -------------------------------------------------------------------------- */

uint32_t seg_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xFFFFFFFFU;

	/* Bitwise: it only ever covers a few KiB of metadata per segment. */
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? 0xEDB88320U ^ (crc >> 1) : crc >> 1;
	}
	return crc ^ 0xFFFFFFFFU;
}

/* ---- names --------------------------------------------------------------------------- */

int seg_sensor_id_valid(const char *id)
{
	size_t n = 0;

	if (!id)
		return 0;
	for (; id[n]; n++) {
		char c = id[n];

		if (n >= SEG_SENSOR_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

int seg_name_format(char *out, size_t size, const char *sensor_id, uint64_t seq,
		    uint64_t open_time)
{
	time_t t = (time_t)open_time;
	struct tm tm;
	int n;

	if (!seg_sensor_id_valid(sensor_id) || !gmtime_r(&t, &tm))
		return -DNSIFT_EINVAL;
	n = snprintf(out, size, "%s.%012" PRIu64 ".%04d%02d%02dT%02d%02d%02dZ.ndjson.lz4",
		     sensor_id, seq, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		return -DNSIFT_ENOSPACE;
	return n;
}

static int seg_digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Zero-padded decimal, 1..20 digits, no overflow. */
static int seg_u64_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int seg_name_parse(const char *name, char *sensor_id, uint64_t *seq, uint64_t *open_time)
{
	static const char suffix[] = ".ndjson.lz4";
	const size_t slen = sizeof(suffix) - 1;
	size_t n = strlen(name);
	const char *dot_time, *dot_seq;
	unsigned y, mo, d, h, mi, s;
	struct tm tm;
	uint64_t v;
	size_t idlen;

	if (n > 5 && strcmp(name + n - 5, ".part") == 0)
		n -= 5;
	if (n < slen + 20 || memcmp(name + n - slen, suffix, slen) != 0)
		return -DNSIFT_EFORMAT;
	n -= slen;
	/* the sensor id may contain dots: split from the right */
	dot_time = name + n - 17;
	if (*dot_time != '.')
		return -DNSIFT_EFORMAT;
	if (seg_digits(dot_time + 1, 4, &y) || seg_digits(dot_time + 5, 2, &mo) ||
	    seg_digits(dot_time + 7, 2, &d) || dot_time[9] != 'T' ||
	    seg_digits(dot_time + 10, 2, &h) || seg_digits(dot_time + 12, 2, &mi) ||
	    seg_digits(dot_time + 14, 2, &s) || dot_time[16] != 'Z')
		return -DNSIFT_EFORMAT;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -DNSIFT_EFORMAT;
	for (dot_seq = dot_time - 1; dot_seq > name && *dot_seq != '.'; dot_seq--)
		;
	if (dot_seq <= name || seg_u64_digits(dot_seq + 1, (size_t)(dot_time - dot_seq - 1), &v))
		return -DNSIFT_EFORMAT;
	idlen = (size_t)(dot_seq - name);
	if (idlen > SEG_SENSOR_ID_MAX)
		return -DNSIFT_EFORMAT;
	memcpy(sensor_id, name, idlen);
	sensor_id[idlen] = '\0';
	if (!seg_sensor_id_valid(sensor_id))
		return -DNSIFT_EFORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)s;
	*seq = v;
	*open_time = (uint64_t)timegm(&tm);
	return 0;
}

/* ---- metadata JSON ------------------------------------------------------------------- */

int seg_head_json(const struct seg_head *h, char *out, size_t size)
{
	size_t len;
	int n;

	n = snprintf(out, size, "{\"format\":\"" SEG_FORMAT_NAME "\",\"version\":%" PRIu32
		     ",\"sensor_id\":", h->version);
	if (n < 0 || (size_t)n >= size)
		return -DNSIFT_ENOSPACE;
	len = (size_t)n;
	if (sj_put_string(out, size, &len, h->sensor_id) < 0)
		return -DNSIFT_ENOSPACE;
	n = snprintf(out + len, size - len, ",\"seq\":%" PRIu64 ",\"open_time\":%" PRIu64
		     ",\"hostname\":", h->seq, h->open_time);
	if (n < 0 || (size_t)n >= size - len)
		return -DNSIFT_ENOSPACE;
	len += (size_t)n;
	if (sj_put_string(out, size, &len, h->hostname) < 0 || len + 2 > size)
		return -DNSIFT_ENOSPACE;
	out[len++] = '}';
	out[len] = '\0';
	return (int)len;
}

int seg_tail_json(const struct seg_tail *t, char *out, size_t size)
{
	size_t len, room;
	bool first = true;
	int n;

	n = snprintf(out, size, "{\"seq\":%" PRIu64 ",\"close_time\":%" PRIu64 ",\"records\":%"
		     PRIu64 ",\"count_sum\":%" PRIu64 ",\"content_bytes\":%" PRIu64
		     ",\"recovered\":%s", t->seq, t->close_time, t->records, t->count_sum,
		     t->content_bytes, t->recovered ? "true" : "false");
	if (n < 0 || (size_t)n >= size)
		return -DNSIFT_ENOSPACE;
	len = (size_t)n;
	if (t->recovered) {
		n = snprintf(out + len, size - len, ",\"part_bytes\":%" PRIu64
			     ",\"recovery_stop\":\"%s\"", t->part_bytes,
			     dnsift_errname(t->stop_code));
		if (n < 0 || (size_t)n >= size - len)
			return -DNSIFT_ENOSPACE;
		len += (size_t)n;
	}
	if (len + 16 > size)
		return -DNSIFT_ENOSPACE;
	memcpy(out + len, ",\"drops\":{", 10);
	len += 10;
	/* Keep room for "}}"; a counter that does not fit is left out rather than the segment. */
	room = size - 3;
	for (unsigned i = 0; i < t->n_drops && i < SEG_DROPS_MAX; i++) {
		size_t save = len;
		char num[24];
		bool ok = true;

		if (!t->drops[i].name)
			continue;
		if (!first) {
			if (len + 1 >= room)
				ok = false;
			else
				out[len++] = ',';
		}
		if (ok && sj_put_string(out, room, &len, t->drops[i].name) < 0)
			ok = false;
		if (ok) {
			n = snprintf(num, sizeof(num), ":%" PRIu64, t->drops[i].value);
			if (n < 0 || (size_t)n >= room - len)
				ok = false;
			else
				memcpy(out + len, num, (size_t)n);
		}
		if (!ok) {
			len = save;
			break;
		}
		len += (size_t)n;
		first = false;
	}
	out[len++] = '}';
	out[len++] = '}';
	out[len] = '\0';
	return (int)len;
}

struct head_parse {
	struct seg_head *h;
	int seen;
	int err;
};

enum { HP_FORMAT = 1, HP_VERSION = 2, HP_ID = 4, HP_SEQ = 8, HP_OPEN = 16 };

static int key_is(const char *key, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

static int head_member(void *arg, const char *key, size_t klen, enum sj_type type,
		       const char *val, size_t vlen)
{
	struct head_parse *hp = arg;
	uint64_t v;

	if (key_is(key, klen, "format")) {
		if (type != SJ_STRING || vlen != strlen(SEG_FORMAT_NAME) ||
		    memcmp(val, SEG_FORMAT_NAME, vlen) != 0) {
			hp->err = -DNSIFT_ESEG_MAGIC;
			return -1;
		}
		hp->seen |= HP_FORMAT;
	} else if (key_is(key, klen, "version")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &v) < 0 || v > UINT32_MAX)
			return -1;
		hp->h->version = (uint32_t)v;
		hp->seen |= HP_VERSION;
	} else if (key_is(key, klen, "sensor_id")) {
		if (type != SJ_STRING)
			return -1;
		sj_unescape(val, vlen, hp->h->sensor_id, sizeof(hp->h->sensor_id));
		hp->seen |= HP_ID;
	} else if (key_is(key, klen, "seq")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &hp->h->seq) < 0)
			return -1;
		hp->seen |= HP_SEQ;
	} else if (key_is(key, klen, "open_time")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &hp->h->open_time) < 0)
			return -1;
		hp->seen |= HP_OPEN;
	} else if (key_is(key, klen, "hostname")) {
		if (type != SJ_STRING)
			return -1;
		sj_unescape(val, vlen, hp->h->hostname, sizeof(hp->h->hostname));
	}
	return 0;	/* unknown keys: later minor additions */
}

int seg_head_parse(const char *json, size_t len, struct seg_head *h)
{
	struct head_parse hp = { .h = h };

	memset(h, 0, sizeof(*h));
	if (sj_object(json, len, head_member, &hp, NULL) < 0)
		return hp.err ? hp.err : -DNSIFT_EFORMAT;
	if (!(hp.seen & HP_FORMAT))
		return -DNSIFT_ESEG_MAGIC;
	if (!(hp.seen & HP_VERSION) || h->version != SEG_FORMAT_VERSION)
		return -DNSIFT_ESEG_VERSION;
	if (hp.seen != (HP_FORMAT | HP_VERSION | HP_ID | HP_SEQ | HP_OPEN))
		return -DNSIFT_EFORMAT;
	return 0;
}

struct tail_parse {
	struct seg_info *info;
	uint64_t *seq;
	int seen;
};

enum { TP_SEQ = 1, TP_CLOSE = 2, TP_RECORDS = 4, TP_SUM = 8, TP_RECOVERED = 16 };

static int tail_member(void *arg, const char *key, size_t klen, enum sj_type type,
		       const char *val, size_t vlen)
{
	struct tail_parse *tp = arg;

	if (key_is(key, klen, "seq")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, tp->seq) < 0)
			return -1;
		tp->seen |= TP_SEQ;
	} else if (key_is(key, klen, "close_time")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &tp->info->close_time) < 0)
			return -1;
		tp->seen |= TP_CLOSE;
	} else if (key_is(key, klen, "records")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &tp->info->records) < 0)
			return -1;
		tp->seen |= TP_RECORDS;
	} else if (key_is(key, klen, "count_sum")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &tp->info->count_sum) < 0)
			return -1;
		tp->seen |= TP_SUM;
	} else if (key_is(key, klen, "recovered")) {
		if (type != SJ_TRUE && type != SJ_FALSE)
			return -1;
		tp->info->recovered = type == SJ_TRUE;
		tp->seen |= TP_RECOVERED;
	} else if (key_is(key, klen, "drops")) {
		if (type != SJ_OBJECT)
			return -1;
	}
	return 0;
}

int seg_tail_parse(const char *json, size_t len, struct seg_info *info, uint64_t *seq)
{
	struct tail_parse tp = { .info = info, .seq = seq };

	if (sj_object(json, len, tail_member, &tp, NULL) < 0 ||
	    tp.seen != (TP_SEQ | TP_CLOSE | TP_RECORDS | TP_SUM | TP_RECOVERED))
		return -DNSIFT_ESEG_TRAILER;
	return 0;
}

struct record_parse {
	uint64_t count;
};

static int record_member(void *arg, const char *key, size_t klen, enum sj_type type,
			 const char *val, size_t vlen)
{
	struct record_parse *rp = arg;

	if (key_is(key, klen, "count")) {
		if (type != SJ_NUMBER || sj_u64(val, vlen, &rp->count) < 0)
			return -1;
	}
	return 0;
}

int seg_record_check(const char *line, size_t len, uint64_t *count)
{
	struct record_parse rp = { .count = 0 };

	if (len < 2 || line[0] != '{' || line[len - 1] != '}')
		return -1;
	if (sj_object(line, len, record_member, &rp, NULL) < 0)
		return -1;
	*count = rp.count;
	return 0;
}

/* ---- encoder ------------------------------------------------------------------------- */

static int enc_reserve(struct seg_enc *e, size_t need)
{
	size_t cap = e->out_cap;
	uint8_t *p;

	if (e->out_len + need <= cap)
		return 0;
	while (cap < e->out_len + need)
		cap *= 2;
	p = realloc(e->out, cap);
	if (!p)
		return -DNSIFT_ENOMEM;
	e->out = p;
	e->out_cap = cap;
	return 0;
}

int seg_enc_init(struct seg_enc *e, int level)
{
	memset(e, 0, sizeof(*e));
	e->prefs.frameInfo.blockSizeID = SEG_LZ4_BLOCK_ID;
	e->prefs.frameInfo.blockMode = LZ4F_blockLinked;
	e->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	e->prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	e->prefs.frameInfo.frameType = LZ4F_frame;
	e->prefs.compressionLevel = level;
	e->prefs.autoFlush = 0;
	if (LZ4F_isError(LZ4F_createCompressionContext(&e->cctx, LZ4F_VERSION)))
		return -DNSIFT_ENOMEM;
	e->out_cap = LZ4F_compressBound(SEG_LZ4_BLOCK_SIZE, &e->prefs) + 2 * SEG_META_MAX + 64;
	e->out = malloc(e->out_cap);
	if (!e->out) {
		LZ4F_freeCompressionContext(e->cctx);
		e->cctx = NULL;
		return -DNSIFT_ENOMEM;
	}
	return 0;
}

void seg_enc_fini(struct seg_enc *e)
{
	if (e->cctx)
		LZ4F_freeCompressionContext(e->cctx);
	free(e->out);
	memset(e, 0, sizeof(*e));
}

static void enc_append(struct seg_enc *e, const void *p, size_t n)
{
	memcpy(e->out + e->out_len, p, n);
	e->out_len += n;
	e->produced += n;
}

/* magic, size, CRC-32 of json, json */
static int enc_meta(struct seg_enc *e, uint32_t magic, const char *json, size_t len)
{
	uint8_t hdr[SEG_SKIP_HDR + SEG_META_CRC];
	int rc = enc_reserve(e, sizeof(hdr) + len);

	if (rc < 0)
		return rc;
	seg_put_le32(hdr, magic);
	seg_put_le32(hdr + 4, (uint32_t)(SEG_META_CRC + len));
	seg_put_le32(hdr + 8, seg_crc32(json, len));
	enc_append(e, hdr, sizeof(hdr));
	enc_append(e, json, len);
	return 0;
}

int seg_enc_begin(struct seg_enc *e, const struct seg_head *h)
{
	char json[SEG_META_MAX + 1];
	int n = seg_head_json(h, json, sizeof(json));
	size_t r;

	if (n < 0)
		return n;
	e->produced = 0;
	e->in_bytes = 0;
	e->buffered = 0;
	e->unflushed = 0;
	if ((n = enc_meta(e, SEG_HEAD_MAGIC, json, (size_t)n)) < 0)
		return n;
	if ((n = enc_reserve(e, LZ4F_HEADER_SIZE_MAX)) < 0)
		return n;
	r = LZ4F_compressBegin(e->cctx, e->out + e->out_len, e->out_cap - e->out_len, &e->prefs);
	if (LZ4F_isError(r))
		return -DNSIFT_ESEG_LZ4;
	e->out_len += r;
	e->produced += r;
	return 0;
}

int seg_enc_add(struct seg_enc *e, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		size_t chunk = len < SEG_LZ4_BLOCK_SIZE ? len : SEG_LZ4_BLOCK_SIZE;
		int rc = enc_reserve(e, LZ4F_compressBound(chunk, &e->prefs));
		size_t r;

		if (rc < 0)
			return rc;
		r = LZ4F_compressUpdate(e->cctx, e->out + e->out_len, e->out_cap - e->out_len, p,
					chunk, NULL);
		if (LZ4F_isError(r))
			return -DNSIFT_ESEG_LZ4;
		e->out_len += r;
		e->produced += r;
		/* LZ4F keeps (buffered + chunk) mod block size bytes for the next block */
		e->buffered = (e->buffered + chunk) % SEG_LZ4_BLOCK_SIZE;
		e->in_bytes += chunk;
		e->unflushed += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int seg_enc_flush(struct seg_enc *e)
{
	int rc = enc_reserve(e, LZ4F_compressBound(0, &e->prefs));
	size_t r;

	if (rc < 0)
		return rc;
	r = LZ4F_flush(e->cctx, e->out + e->out_len, e->out_cap - e->out_len, NULL);
	if (LZ4F_isError(r))
		return -DNSIFT_ESEG_LZ4;
	e->out_len += r;
	e->produced += r;
	e->buffered = 0;
	e->unflushed = 0;
	return 0;
}

int seg_enc_end(struct seg_enc *e, const struct seg_tail *t)
{
	char json[SEG_META_MAX + 1];
	int rc = enc_reserve(e, LZ4F_compressBound(0, &e->prefs) + 8);
	size_t r;

	if (rc < 0)
		return rc;
	r = LZ4F_compressEnd(e->cctx, e->out + e->out_len, e->out_cap - e->out_len, NULL);
	if (LZ4F_isError(r))
		return -DNSIFT_ESEG_LZ4;
	e->out_len += r;
	e->produced += r;
	e->buffered = 0;
	e->unflushed = 0;
	rc = seg_tail_json(t, json, sizeof(json));
	if (rc < 0)
		return rc;
	return enc_meta(e, SEG_TAIL_MAGIC, json, (size_t)rc);
}

void seg_enc_consume(struct seg_enc *e, size_t n)
{
	if (n >= e->out_len) {
		e->out_len = 0;
		return;
	}
	memmove(e->out, e->out + n, e->out_len - n);
	e->out_len -= n;
}

/* ---- small I/O helpers --------------------------------------------------------------- */

int seg_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int seg_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
