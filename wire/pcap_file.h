/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic pcap files: a reader (both byte orders, microsecond and nanosecond
 * timestamps) for tests, benchmarks and trace replay, and a writer (microsecond,
 * host byte order) for tests and the trace generator.
 *
 * pcapng is not read: it is detected and rejected with -DNSIFT_EPCAP_PCAPNG so the
 * operator learns to convert it (editcap -F pcap in.pcapng out.pcap).
 *
 * A reader or writer belongs to one thread at a time; nothing here is for the
 * dataplane's hot path (it uses stdio).
 */
#ifndef DNSIFT_PCAP_FILE_H
#define DNSIFT_PCAP_FILE_H

#include <stdint.h>

/* Largest caplen accepted (libpcap's MAXIMUM_SNAPLEN); larger is a corrupt file. */
#define PCAP_MAX_CAPLEN		262144u
/*
 * A record's caplen may exceed the file's snaplen by this much: some writers count
 * the snaplen at the IP layer and add the link header, or store a snaplen smaller
 * than what they then write. More than that is a corrupt record header.
 */
#define PCAP_SNAPLEN_SLACK	256u

struct pcap_file;

struct pcap_record {
	const uint8_t *data;	/* caplen bytes, owned by the reader, valid until the next call */
	uint64_t ts_sec;
	uint32_t ts_nsec;	/* nanoseconds, whatever the file's resolution */
	uint32_t caplen;
	uint32_t origlen;	/* length on the wire */
};

/*
 * Open a pcap file and read its header. Returns NULL on failure with *err set to
 * -DNSIFT_EIO (open/read failed; errno from the C library), -DNSIFT_EFORMAT (not a
 * classic pcap file, or truncated header; errno EINVAL), -DNSIFT_EPCAP_PCAPNG
 * (pcapng; errno EINVAL) or -DNSIFT_ENOMEM. err may be NULL. Any thread.
 */
struct pcap_file *pcap_file_open(const char *path, int *err);

/*
 * Read the next record into *rec. Returns 1 (a record), 0 (clean end of file) or a
 * negative code: -DNSIFT_EFORMAT for a record header or data cut short by the end of
 * the file, or a caplen above PCAP_MAX_CAPLEN or the snaplen (+ slack); -DNSIFT_EIO
 * for a read error. After an error every further call returns the same error and
 * pcap_file_error_offset() tells where it is. The reader's thread.
 */
int pcap_file_next(struct pcap_file *f, struct pcap_record *rec);

/* Link type from the file header (LINKTYPE_*, FCS bits masked off). The reader's thread. */
uint32_t pcap_file_linktype(const struct pcap_file *f);

/* Snaplen from the file header. The reader's thread. */
uint32_t pcap_file_snaplen(const struct pcap_file *f);

/* Nanosecond (1) or microsecond (0) timestamps. The reader's thread. */
int pcap_file_is_nanosecond(const struct pcap_file *f);

/*
 * Byte offset in the file of the record header that failed, for a message such as
 * "file.pcap: malformed input at byte 4242"; 0 before any error. The reader's thread.
 */
uint64_t pcap_file_error_offset(const struct pcap_file *f);

/* Close and free; NULL is fine. The reader's thread. */
void pcap_file_close(struct pcap_file *f);

struct pcap_writer;

/*
 * Create (truncate) a microsecond pcap file in host byte order and write its header.
 * Returns NULL with errno set on failure (EINVAL for snaplen 0 or above
 * PCAP_MAX_CAPLEN). Any thread; the writer then belongs to it.
 */
struct pcap_writer *pcap_writer_open(const char *path, uint32_t linktype, uint32_t snaplen);

/*
 * Append one record; frames longer than snaplen are cut to snaplen with the full
 * length kept as origlen, like a capture would. ts_nsec is rounded down to
 * microseconds. Returns 0, -DNSIFT_EINVAL (ts_nsec >= 1e9, ts_sec beyond 32 bits,
 * NULL data with len) or -DNSIFT_EIO (write failed; sticky). The writer's thread.
 */
int pcap_writer_write(struct pcap_writer *w, uint64_t ts_sec, uint32_t ts_nsec,
		      const uint8_t *data, uint32_t len);

/*
 * Flush, close and free. Returns 0, or -DNSIFT_EIO if any write, the flush or the
 * close failed (the file is then incomplete). NULL is fine. The writer's thread.
 */
int pcap_writer_close(struct pcap_writer *w);

#endif
