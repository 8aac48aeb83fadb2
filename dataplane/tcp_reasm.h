/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_reasm: per-worker bounded TCP stream reassembly for DNS over TCP
 * (RFC 1035 4.2.2, RFC 7766): every message is prefixed by a 2-octet length,
 * a connection carries several (pipelined) messages, and segments may split
 * anywhere, the length prefix included.
 *
 * Each direction of a connection is its own stream, keyed by the directional
 * 4-tuple. Streams come from a table preallocated at create (max_flows). A
 * stream borrows a reassembly buffer from a preallocated pool only while it
 * holds a partial message or out-of-order data, and gives it back as soon as it
 * is at a message boundary again: with DNS's small messages most streams hold
 * no buffer most of the time, so max_buffers can be far below max_flows.
 *
 * Sequence handling (all arithmetic modulo 2^32):
 *  - SYN sets the ISN: the next expected byte is ISN + 1 (data on a SYN counts).
 *    A SYN with another ISN on a live stream restarts it (counted syn_restart),
 *    except a SYN that arrives just after its own connection's first data (at
 *    most buffer_size bytes behind it), which only records the ISN.
 *  - Data on a stream without a seen SYN (capture started mid-connection, or the
 *    stream was freed): the stream starts at that segment, which is assumed to
 *    start a message (counted midstream).
 *  - In-order data is appended; retransmitted bytes are trimmed (a whole
 *    duplicate is counted retransmit, a partial one overlap_trimmed).
 *  - Out-of-order data that fits in the buffer (the window is the buffer size
 *    minus the in-order bytes held) is stored in place, its range kept in a
 *    small per-stream list (max_pending ranges), and merged when the gap fills.
 *    Beyond the window, or with the range list full, the segment is dropped
 *    (ooo_beyond_window, ooo_pending_full).
 *  - FIN frees the stream once every byte before it has arrived; RST frees it at
 *    once. Complete messages are delivered first; a partial one is counted
 *    (partial_at_close).
 *  - A stream that made no progress for idle_timeout_ns is freed by
 *    tcp_reasm_expire() (counted expired); a stream stuck behind a gap that never
 *    fills is freed the same way, and its next segment starts it again midstream.
 *  - Table full: the least recently progressing stream is EVICTED (counted
 *    evicted) so the new stream is tracked; new streams are never refused.
 *  - Message length 0, or longer than the buffer can hold: counted, the stream is
 *    reset (freed; its next segment starts it again midstream).
 *  - No free buffer when one is needed: counted no_buffer; if the message length
 *    is known its bytes are skipped and the stream stays in step, otherwise the
 *    stream is reset.
 *
 * For each complete message the callback gets (key, message, length), length
 * without the 2-octet prefix. The pointer points into the caller's segment when
 * the message lies wholly inside one in-order segment at a boundary (zero copy),
 * else into the stream's buffer; it is valid only during the callback.
 *
 * Time is "now" in nanoseconds (any monotonic origin, the same per instance).
 * All memory is allocated at create; the hot calls never allocate, lock, log or
 * make system calls. One instance per worker; only that worker calls it.
 */
#ifndef DNSIFT_DATAPLANE_TCP_REASM_H
#define DNSIFT_DATAPLANE_TCP_REASM_H

#include <stdint.h>

#include "wire/err.h"

/* TCP header flag bits, as in the header's flags octet: pass that octet as is. */
#define TCP_REASM_FIN 0x01
#define TCP_REASM_SYN 0x02
#define TCP_REASM_RST 0x04

/* Largest buffer needed: the longest DNS message plus its length prefix. */
#define TCP_REASM_MAX_BUFFER_SIZE (65535u + 2u)

#define TCP_REASM_DEFAULT_MAX_FLOWS (16u * 1024u)
#define TCP_REASM_DEFAULT_MAX_BUFFERS 256u
#define TCP_REASM_DEFAULT_MAX_PENDING 8u
#define TCP_REASM_DEFAULT_IDLE_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)

/*
 * The directional 4-tuple. Addresses: 4 bytes (AF_INET) or 16 (AF_INET6) at the
 * start of the arrays; the key is hashed and compared as raw bytes, so every
 * unused byte and the padding must be zero: fill it with tcp_reasm_key_init().
 */
struct tcp_reasm_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;		/* host byte order */
	uint16_t dport;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t zero[3];
};

/*
 * Called for each complete message. Must not call back into the same instance.
 * Runs on the worker, inside tcp_reasm_segment() (expiry never delivers: a
 * stream freed by timeout holds no complete message).
 */
typedef void (*tcp_reasm_message_fn)(void *ctx, const struct tcp_reasm_key *key,
				     const uint8_t *msg, uint16_t len);

struct tcp_reasm_params {
	unsigned int max_flows;		/* streams (one per direction); 0 = default */
	unsigned int max_buffers;	/* buffer pool: total budget is max_buffers * buffer_size */
	unsigned int buffer_size;	/* per stream, 514..65537; 0 = 65537 (any DNS message) */
	unsigned int max_pending;	/* out-of-order ranges per stream, 1..64; 0 = default */
	uint64_t idle_timeout_ns;	/* free a stream without progress after this; 0 = 30 s */
	tcp_reasm_message_fn on_message;	/* required */
	void *ctx;			/* passed to on_message */
};

/*
 * Counters. Written only by the owning worker, read by the telemetry thread:
 * plain aligned u64 stores are atomic on x86-64, so a reader sees each counter
 * whole (maybe a little stale). Sum over workers at read time.
 */
#define TCP_REASM_STATS(X) \
	X(segments,            "segments offered") \
	X(messages,            "complete messages delivered") \
	X(messages_zero_copy,  "of which delivered straight from the segment") \
	X(streams_created,     "streams started") \
	X(midstream,           "streams started without a SYN (boundary assumed)") \
	X(syn_restart,         "SYN with a new ISN restarted a live stream") \
	X(retransmit,          "segments wholly before the next expected byte") \
	X(overlap_trimmed,     "segments partly before the next expected byte, trimmed") \
	X(ooo_held,            "out-of-order segments stored until the gap fills") \
	X(ooo_beyond_window,   "out-of-order segments past the buffer: dropped") \
	X(ooo_pending_full,    "out-of-order segments past max_pending ranges: dropped") \
	X(no_buffer,           "buffer pool empty when a stream needed one") \
	X(skipped_bytes,       "bytes of messages skipped for lack of a buffer") \
	X(bad_length_zero,     "message length 0: stream reset") \
	X(bad_length_too_big,  "message length past buffer_size: stream reset") \
	X(closed_fin,          "streams freed by FIN") \
	X(closed_rst,          "streams freed by RST") \
	X(partial_at_close,    "streams freed holding an incomplete message") \
	X(expired,             "streams freed after idle_timeout") \
	X(evicted,             "streams evicted because the table was full") \
	X(ignored_no_stream,   "segments without data for an unknown stream")

struct tcp_reasm_stats {
#define TCP_REASM_STATS_FIELD(name, text) uint64_t name;
	TCP_REASM_STATS(TCP_REASM_STATS_FIELD)
#undef TCP_REASM_STATS_FIELD
};

struct tcp_reasm;

/*
 * Zero key and fill it. family AF_INET (4-byte addresses, network order) or
 * AF_INET6 (16 bytes); ports in host byte order. 0 or -DNSIFT_EINVAL. Any thread.
 */
int tcp_reasm_key_init(struct tcp_reasm_key *key, int family, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport);

/* NULL with errno (EINVAL, ENOMEM). Any thread, before the worker starts. */
struct tcp_reasm *tcp_reasm_create(const struct tcp_reasm_params *params);
/* Free everything; streams in flight are dropped uncounted. NULL is fine. */
void tcp_reasm_free(struct tcp_reasm *r);

/*
 * Feed one TCP segment (seq and flags from its header, payload after the TCP
 * header, may be empty). Returns the number of messages delivered (>= 0), or
 * -DNSIFT_EINVAL for a NULL key / payload with len > 0. Drops are counted, not
 * returned. Owning worker only.
 */
int tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_reasm_key *key, uint32_t seq,
		      uint8_t flags, const uint8_t *payload, uint32_t len, uint64_t now_ns);

/*
 * Free up to budget streams that made no progress for idle_timeout_ns, oldest
 * first (counted expired, and partial_at_close if holding a partial message).
 * Returns how many were freed. Owning worker only, from its poll loop.
 */
unsigned int tcp_reasm_expire(struct tcp_reasm *r, uint64_t now_ns, unsigned int budget);

/* Streams and buffers in use now. Owning worker only. */
unsigned int tcp_reasm_stream_count(const struct tcp_reasm *r);
unsigned int tcp_reasm_buffers_in_use(const struct tcp_reasm *r);

/* The counters (live; see struct tcp_reasm_stats). Any thread. */
const struct tcp_reasm_stats *tcp_reasm_stats(const struct tcp_reasm *r);

#endif
