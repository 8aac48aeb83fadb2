/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_reasm: DNS-over-TCP stream reassembly (see tcp_reasm.h).
 *
 * Layout of a stream's buffer while it has one:
 *
 *   buf[0]                 buf[buf_len]          ranges (out of order)
 *   |<- in-order bytes, starting at a message boundary ->| gap |[r0)| gap |[r1)|
 *
 * buf[0] is always the first byte of the oldest undelivered message (its
 * length prefix); buf[buf_len] is the byte with sequence number next_seq.
 * Out-of-order data is copied to its final offset straight away, so filling a
 * gap only has to extend buf_len over the ranges it reaches: no second pool of
 * segment copies, and the window is simply the room left in the buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <xxhash.h>

#include "dataplane/agelist.h"
#include "dataplane/tcp_reasm.h"

#define NIL UINT32_MAX
#define MAX_PENDING_LIMIT 64u
#define MIN_BUFFER_SIZE 514u	/* a 512-octet message, the classic UDP bound, plus prefix */

struct range {
	uint32_t start;		/* offsets into the buffer, start < end, > buf_len */
	uint32_t end;
};

struct stream {
	struct tcp_reasm_key key;
	uint64_t hash;
	uint64_t last_ns;	/* last progress: SYN, in-order or held data */
	uint32_t next_seq;	/* sequence number of buf[buf_len] */
	uint32_t isn;		/* valid if syn_seen */
	uint32_t fin_seq;	/* valid if fin_seen: sequence number the FIN sits at */
	uint32_t skip;		/* bytes still to discard of a message we could not buffer */
	uint32_t buf_len;
	uint32_t buf;		/* buffer index, or NIL */
	uint32_t chain_next;	/* bucket chain, or free list */
	struct age_link age;	/* progress-ordered list: oldest = least recent */
	uint8_t npending;
	bool syn_seen;
	bool fin_seen;
};

struct tcp_reasm {
	struct tcp_reasm_stats stats;
	struct stream *streams;
	struct range *ranges;	/* max_pending per stream */
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	struct age_list ages;
	unsigned int count;
	unsigned int max_flows;
	unsigned int max_pending;
	uint32_t buffer_size;
	uint8_t *pool;
	uint32_t *buf_free;	/* stack of free buffer indices */
	unsigned int buf_free_count;
	unsigned int max_buffers;
	uint64_t idle_timeout_ns;
	tcp_reasm_message_fn on_message;
	void *ctx;
	unsigned int delivered;	/* in the current call */
};

/* A stream operation either leaves the stream alive or has freed it. */
enum stream_fate { STREAM_ALIVE, STREAM_GONE };

int tcp_reasm_key_init(struct tcp_reasm_key *key, int family, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	size_t alen;

	if (key == NULL || src == NULL || dst == NULL)
		return -DNSIFT_EINVAL;
	if (family == AF_INET)
		alen = 4;
	else if (family == AF_INET6)
		alen = 16;
	else
		return -DNSIFT_EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->src, src, alen);
	memcpy(key->dst, dst, alen);
	key->sport = sport;
	key->dport = dport;
	key->family = (uint8_t)family;
	return 0;
}

struct tcp_reasm *tcp_reasm_create(const struct tcp_reasm_params *params)
{
	struct tcp_reasm *r;
	uint64_t buckets = 1;
	unsigned int i;

	if (params == NULL || params->on_message == NULL ||
	    (params->buffer_size != 0 && (params->buffer_size < MIN_BUFFER_SIZE ||
					  params->buffer_size > TCP_REASM_MAX_BUFFER_SIZE)) ||
	    params->max_pending > MAX_PENDING_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->max_flows = params->max_flows ? params->max_flows : TCP_REASM_DEFAULT_MAX_FLOWS;
	r->max_buffers = params->max_buffers ? params->max_buffers
					     : TCP_REASM_DEFAULT_MAX_BUFFERS;
	r->buffer_size = params->buffer_size ? params->buffer_size : TCP_REASM_MAX_BUFFER_SIZE;
	r->max_pending = params->max_pending ? params->max_pending
					     : TCP_REASM_DEFAULT_MAX_PENDING;
	r->idle_timeout_ns = params->idle_timeout_ns ? params->idle_timeout_ns
						     : TCP_REASM_DEFAULT_IDLE_TIMEOUT_NS;
	r->on_message = params->on_message;
	r->ctx = params->ctx;
	if (r->max_flows >= NIL / 2 || r->max_buffers >= NIL / 2) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	while (buckets < r->max_flows)
		buckets <<= 1;
	r->bucket_mask = (uint32_t)(buckets - 1);
	r->streams = calloc(r->max_flows, sizeof(*r->streams));
	r->ranges = calloc((size_t)r->max_flows * r->max_pending, sizeof(*r->ranges));
	r->buckets = malloc(buckets * sizeof(*r->buckets));
	r->pool = malloc((size_t)r->max_buffers * r->buffer_size);
	r->buf_free = malloc((size_t)r->max_buffers * sizeof(*r->buf_free));
	if (r->streams == NULL || r->ranges == NULL || r->buckets == NULL || r->pool == NULL ||
	    r->buf_free == NULL) {
		tcp_reasm_free(r);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < buckets; i++)
		r->buckets[i] = NIL;
	for (i = 0; i < r->max_flows; i++)
		r->streams[i].chain_next = i + 1 < r->max_flows ? i + 1 : NIL;
	r->free_head = 0;
	age_list_init(&r->ages);
	/* Hand out low indices first: the pool's cold end stays untouched. */
	for (i = 0; i < r->max_buffers; i++)
		r->buf_free[i] = r->max_buffers - 1 - i;
	r->buf_free_count = r->max_buffers;
	return r;
}

void tcp_reasm_free(struct tcp_reasm *r)
{
	if (r == NULL)
		return;
	free(r->streams);
	free(r->ranges);
	free(r->buckets);
	free(r->pool);
	free(r->buf_free);
	free(r);
}

static inline uint32_t stream_index(const struct tcp_reasm *r, const struct stream *s)
{
	return (uint32_t)(s - r->streams);
}

static inline uint8_t *stream_buf(const struct tcp_reasm *r, const struct stream *s)
{
	return r->pool + (size_t)s->buf * r->buffer_size;
}

static inline struct range *stream_ranges(const struct tcp_reasm *r, const struct stream *s)
{
	return r->ranges + (size_t)stream_index(r, s) * r->max_pending;
}

static inline uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static bool buffer_acquire(struct tcp_reasm *r, struct stream *s)
{
	if (r->buf_free_count == 0) {
		r->stats.no_buffer++;
		return false;
	}
	s->buf = r->buf_free[--r->buf_free_count];
	s->buf_len = 0;
	s->npending = 0;
	return true;
}

static void buffer_release(struct tcp_reasm *r, struct stream *s)
{
	if (s->buf == NIL)
		return;
	r->buf_free[r->buf_free_count++] = s->buf;
	s->buf = NIL;
	s->buf_len = 0;
	s->npending = 0;
}

static void age_unlink(struct tcp_reasm *r, uint32_t i)
{
	age_list_unlink(&r->ages, &r->streams[0].age, sizeof(r->streams[0]), i);
}

static void age_append(struct tcp_reasm *r, uint32_t i)
{
	age_list_append(&r->ages, &r->streams[0].age, sizeof(r->streams[0]), i);
}

static void stream_progress(struct tcp_reasm *r, struct stream *s, uint64_t now_ns)
{
	uint32_t i = stream_index(r, s);

	s->last_ns = now_ns;
	if (r->ages.newest != i) {
		age_unlink(r, i);
		age_append(r, i);
	}
}

/* Free a stream, counting an incomplete message it still held. */
static void stream_release(struct tcp_reasm *r, struct stream *s)
{
	uint32_t i = stream_index(r, s);
	uint32_t *link = &r->buckets[s->hash & r->bucket_mask];

	if (s->buf_len > 0 || s->npending > 0 || s->skip > 0)
		r->stats.partial_at_close++;
	buffer_release(r, s);
	while (*link != i)
		link = &r->streams[*link].chain_next;
	*link = s->chain_next;
	age_unlink(r, i);
	s->chain_next = r->free_head;
	r->free_head = i;
	r->count--;
}

static struct stream *stream_lookup(struct tcp_reasm *r, const struct tcp_reasm_key *key,
				    uint64_t hash)
{
	uint32_t i = r->buckets[hash & r->bucket_mask];

	while (i != NIL) {
		struct stream *s = &r->streams[i];

		if (s->hash == hash && memcmp(&s->key, key, sizeof(*key)) == 0)
			return s;
		i = s->chain_next;
	}
	return NULL;
}

static struct stream *stream_new(struct tcp_reasm *r, const struct tcp_reasm_key *key,
				 uint64_t hash, uint64_t now_ns)
{
	struct stream *s;
	uint32_t i, *bucket;

	if (r->free_head == NIL) {
		/* Full: the least recently progressing stream makes room. */
		stream_release(r, &r->streams[r->ages.oldest]);
		r->stats.evicted++;
	}
	i = r->free_head;
	s = &r->streams[i];
	r->free_head = s->chain_next;
	memset(s, 0, sizeof(*s));
	s->key = *key;
	s->hash = hash;
	s->buf = NIL;
	s->last_ns = now_ns;
	bucket = &r->buckets[hash & r->bucket_mask];
	s->chain_next = *bucket;
	*bucket = i;
	age_append(r, i);
	r->count++;
	r->stats.streams_created++;
	return s;
}

/* Forget all data of a live stream, keeping its slot (a SYN restart). */
static void stream_clear(struct tcp_reasm *r, struct stream *s)
{
	if (s->buf_len > 0 || s->npending > 0 || s->skip > 0)
		r->stats.partial_at_close++;
	buffer_release(r, s);
	s->skip = 0;
	s->fin_seen = false;
}

static void deliver(struct tcp_reasm *r, const struct stream *s, const uint8_t *msg,
		    uint16_t len, bool zero_copy)
{
	r->stats.messages++;
	if (zero_copy)
		r->stats.messages_zero_copy++;
	r->delivered++;
	r->on_message(r->ctx, &s->key, msg, len);
}

/* Returns true (and counts it) if a message length cannot be reassembled. */
static bool length_bad(struct tcp_reasm *r, uint16_t mlen)
{
	if (mlen == 0) {
		r->stats.bad_length_zero++;
		return true;
	}
	if ((uint32_t)mlen + 2 > r->buffer_size) {
		r->stats.bad_length_too_big++;
		return true;
	}
	return false;
}

/* Deliver every complete message at the buffer's head, then compact it. */
static enum stream_fate buffer_drain(struct tcp_reasm *r, struct stream *s)
{
	uint8_t *buf = stream_buf(r, s);
	struct range *ranges = stream_ranges(r, s);
	uint32_t off = 0, tail;
	unsigned int k;

	while (s->buf_len - off >= 2) {
		uint16_t mlen = load_be16(buf + off);

		if (length_bad(r, mlen)) {
			stream_release(r, s);
			return STREAM_GONE;
		}
		if (s->buf_len - off < 2u + mlen)
			break;
		deliver(r, s, buf + off + 2, mlen, false);
		off += 2u + mlen;
	}
	if (off == 0)
		return STREAM_ALIVE;
	tail = s->npending ? ranges[s->npending - 1].end : s->buf_len;
	memmove(buf, buf + off, tail - off);
	s->buf_len -= off;
	for (k = 0; k < s->npending; k++) {
		ranges[k].start -= off;
		ranges[k].end -= off;
	}
	if (s->buf_len == 0 && s->npending == 0)
		buffer_release(r, s);
	return STREAM_ALIVE;
}

/* Extend the in-order bytes over out-of-order ranges they now reach. */
static void absorb_ranges(struct tcp_reasm *r, struct stream *s)
{
	struct range *ranges = stream_ranges(r, s);
	unsigned int k = 0;

	while (k < s->npending && ranges[k].start <= s->buf_len) {
		if (ranges[k].end > s->buf_len) {
			s->next_seq += ranges[k].end - s->buf_len;
			s->buf_len = ranges[k].end;
		}
		k++;
	}
	if (k > 0) {
		memmove(ranges, ranges + k, (s->npending - k) * sizeof(*ranges));
		s->npending = (uint8_t)(s->npending - k);
	}
}

/* Data starting at next_seq. */
static enum stream_fate in_order(struct tcp_reasm *r, struct stream *s, uint32_t seq,
				 const uint8_t *p, uint32_t n)
{
	while (n > 0) {
		int32_t d = (int32_t)(seq - s->next_seq);
		uint32_t k;

		if (d < 0) {
			/* Bytes an absorbed out-of-order range already supplied. */
			uint32_t behind = 0u - (uint32_t)d;	/* d may be INT32_MIN */

			k = behind < n ? behind : n;
			p += k;
			n -= k;
			seq += k;
			continue;
		}
		if (s->skip > 0) {
			k = s->skip < n ? s->skip : n;
			s->skip -= k;
			r->stats.skipped_bytes += k;
			s->next_seq += k;
			seq += k;
			p += k;
			n -= k;
			continue;
		}
		if (s->buf == NIL) {
			/* At a boundary with nothing held: deliver from the segment. */
			uint16_t mlen = 0;

			if (n >= 2) {
				mlen = load_be16(p);
				if (length_bad(r, mlen)) {
					stream_release(r, s);
					return STREAM_GONE;
				}
				if (n >= 2u + mlen) {
					deliver(r, s, p + 2, mlen, true);
					k = 2u + mlen;
					s->next_seq += k;
					seq += k;
					p += k;
					n -= k;
					continue;
				}
			}
			if (!buffer_acquire(r, s)) {
				if (n < 2) {
					/* Not even the length is known: cannot stay in step. */
					stream_release(r, s);
					return STREAM_GONE;
				}
				s->skip = 2u + mlen;
				continue;
			}
		}
		k = r->buffer_size - s->buf_len;
		if (k > n)
			k = n;
		memcpy(stream_buf(r, s) + s->buf_len, p, k);
		s->buf_len += k;
		s->next_seq += k;
		seq += k;
		p += k;
		n -= k;
		absorb_ranges(r, s);
		if (buffer_drain(r, s) == STREAM_GONE)
			return STREAM_GONE;
	}
	return STREAM_ALIVE;
}

/* Data starting d > 0 bytes past next_seq: hold it in place if it fits. */
static bool out_of_order(struct tcp_reasm *r, struct stream *s, uint32_t d, const uint8_t *p,
			 uint32_t n)
{
	struct range *ranges;
	uint64_t start64 = (uint64_t)s->buf_len + d;
	uint32_t start, end;
	unsigned int first, last, after;

	if (s->skip > 0) {
		/* Still discarding a message for want of a buffer: nowhere to put it. */
		r->stats.no_buffer++;
		return false;
	}
	if (start64 + n > r->buffer_size) {
		r->stats.ooo_beyond_window++;
		return false;
	}
	start = (uint32_t)start64;
	end = start + n;
	if (s->buf == NIL && !buffer_acquire(r, s))
		return false;
	ranges = stream_ranges(r, s);
	/* ranges[first..last) touch or overlap [start, end) and merge with it. */
	for (first = 0; first < s->npending && ranges[first].end < start; first++)
		;
	for (last = first; last < s->npending && ranges[last].start <= end; last++)
		;
	after = s->npending - (last - first) + 1;
	if (after > r->max_pending) {
		r->stats.ooo_pending_full++;
		if (s->buf_len == 0 && s->npending == 0)
			buffer_release(r, s);
		return false;
	}
	memcpy(stream_buf(r, s) + start, p, n);
	if (last > first) {
		if (ranges[first].start < start)
			start = ranges[first].start;
		if (ranges[last - 1].end > end)
			end = ranges[last - 1].end;
	}
	/* Replace ranges[first..last) by the one merged range. */
	memmove(ranges + first + 1, ranges + last, (s->npending - last) * sizeof(*ranges));
	ranges[first].start = start;
	ranges[first].end = end;
	/* Still sorted: the merged range sits where its parts were. */
	s->npending = (uint8_t)after;
	r->stats.ooo_held++;
	return true;
}

int tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_reasm_key *key, uint32_t seq,
		      uint8_t flags, const uint8_t *payload, uint32_t len, uint64_t now_ns)
{
	struct stream *s;
	uint64_t hash;
	uint32_t dseq = seq, end_seq;

	if (key == NULL || (payload == NULL && len > 0))
		return -DNSIFT_EINVAL;
	r->stats.segments++;
	r->delivered = 0;
	hash = XXH3_64bits(key, sizeof(*key));
	s = stream_lookup(r, key, hash);
	if (flags & TCP_REASM_RST) {
		/* Abort: whatever is complete was delivered when it completed. */
		if (s != NULL) {
			stream_release(r, s);
			r->stats.closed_rst++;
		}
		return 0;
	}
	if (flags & TCP_REASM_SYN) {
		/* SYN occupies one sequence number; data on it (TFO) follows. */
		dseq = seq + 1;
		if (s == NULL) {
			s = stream_new(r, key, hash, now_ns);
		} else if (!s->syn_seen && s->next_seq - dseq <= r->buffer_size) {
			/*
			 * The SYN of a stream started midstream, overtaken by its first
			 * data: same connection, keep the data; only learn the ISN.
			 */
			s->syn_seen = true;
			s->isn = seq;
			goto data;
		} else if (!s->syn_seen || s->isn != seq) {
			stream_clear(r, s);
			r->stats.syn_restart++;
		} else {
			/* A retransmitted SYN: its data, if any, is trimmed below. */
			goto data;
		}
		s->syn_seen = true;
		s->isn = seq;
		s->next_seq = dseq;
		stream_progress(r, s, now_ns);
	} else if (s == NULL) {
		if (len == 0) {
			r->stats.ignored_no_stream++;
			return 0;
		}
		s = stream_new(r, key, hash, now_ns);
		s->next_seq = seq;
		r->stats.midstream++;
	}
data:
	end_seq = dseq + len;
	if (len > 0) {
		int32_t d = (int32_t)(dseq - s->next_seq);

		if (d < 0) {
			/* Negate in unsigned arithmetic: d may be INT32_MIN (2^31 behind). */
			uint32_t trim = 0u - (uint32_t)d;

			if (trim >= len) {
				r->stats.retransmit++;
				len = 0;
			} else {
				r->stats.overlap_trimmed++;
				payload += trim;
				len -= trim;
				dseq += trim;
				d = 0;
			}
		}
		if (len > 0 && d == 0) {
			stream_progress(r, s, now_ns);
			if (in_order(r, s, dseq, payload, len) == STREAM_GONE)
				return (int)r->delivered;
		} else if (len > 0 && out_of_order(r, s, (uint32_t)d, payload, len)) {
			stream_progress(r, s, now_ns);
		}
	}
	if (flags & TCP_REASM_FIN) {
		s->fin_seen = true;
		s->fin_seq = end_seq;
	}
	if (s->fin_seen && s->next_seq == s->fin_seq) {
		stream_release(r, s);
		r->stats.closed_fin++;
	}
	return (int)r->delivered;
}

unsigned int tcp_reasm_expire(struct tcp_reasm *r, uint64_t now_ns, unsigned int budget)
{
	unsigned int done = 0;

	while (done < budget && r->ages.oldest != NIL) {
		struct stream *s = &r->streams[r->ages.oldest];

		/* Progress order: the first stream still in time ends the scan. */
		if (now_ns < s->last_ns || now_ns - s->last_ns < r->idle_timeout_ns)
			break;
		stream_release(r, s);
		r->stats.expired++;
		done++;
	}
	return done;
}

unsigned int tcp_reasm_stream_count(const struct tcp_reasm *r)
{
	return r->count;
}

unsigned int tcp_reasm_buffers_in_use(const struct tcp_reasm *r)
{
	return r->max_buffers - r->buf_free_count;
}

const struct tcp_reasm_stats *tcp_reasm_stats(const struct tcp_reasm *r)
{
	return &r->stats;
}
