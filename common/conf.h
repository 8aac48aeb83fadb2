/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift configuration: one file read by the sensor and the control process.
 *
 * Format: "key = value" lines, '#' starts a comment at the start of a line or
 * after whitespace, a value may be double-quoted to keep a '#' or surrounding
 * blanks. Keys marked "repeatable" build a list: the first occurrence in a file
 * replaces the default list, later ones append. Any other key may appear once
 * per file. Every key has a default, so no file is needed at all.
 *
 * The struct is public and typed (not opaque, unlike most modules) because it is
 * a plain value both processes read field by field after loading; nothing in it
 * needs a destructor. EAL-free: this builds and is tested without DPDK.
 *
 * Threads: load and parse functions touch only their arguments, so any thread may
 * call them; a loaded struct is read-only afterwards and may be shared.
 */
#ifndef DNSIFT_CONF_H
#define DNSIFT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CONF_DEFAULT_PATH "/etc/dnsift/dnsift.conf"

#define CONF_NAME_MAX 64	/* sensor_id, cli_group: bytes incl. NUL */
#define CONF_PATH_MAX 512	/* paths and small strings incl. NUL */
#define CONF_LONG_MAX 2048	/* eal_args, URLs, headers, port specs incl. NUL */
#define CONF_MAX_PORTS 16
#define CONF_MAX_RESOLVERS 256
#define CONF_MAX_DNS_PORTS 16
#define CONF_MAX_COLLECTORS 16
#define CONF_MAX_HEADERS 16

/* An IPv4 or IPv6 prefix; host bits are always zero. */
struct conf_cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 uses the first 4 bytes */
	uint8_t prefix_len;	/* 0..32 or 0..128 */
};

enum conf_unmatched {
	CONF_UNMATCHED_DROP = 0,
	CONF_UNMATCHED_RECORD,
};

enum conf_bailiwick_unknown {
	CONF_BAILIWICK_UNKNOWN_RECORD = 0,	/* record without a bailiwick */
	CONF_BAILIWICK_UNKNOWN_DROP,
};

struct dnsift_conf {
	/* identity and spool */
	char sensor_id[CONF_NAME_MAX];
	char spool_dir[CONF_PATH_MAX];

	/* dataplane */
	char eal_args[CONF_LONG_MAX];
	char port[CONF_MAX_PORTS][CONF_LONG_MAX];	/* repeatable */
	unsigned int port_count;
	uint32_t rx_queues;
	struct conf_cidr resolver[CONF_MAX_RESOLVERS];	/* repeatable */
	unsigned int resolver_count;
	uint16_t dns_port[CONF_MAX_DNS_PORTS];		/* repeatable */
	unsigned int dns_port_count;
	enum conf_unmatched unmatched;
	uint32_t query_timeout_ms;
	uint32_t window_s;
	bool first_sight;
	uint64_t dedup_max_entries;
	uint64_t dedup_max_bytes;
	uint32_t tcp_max_flows;
	uint32_t frag_max_flows;
	char root_hints[CONF_PATH_MAX];		/* "" = learn the root from priming */
	enum conf_bailiwick_unknown bailiwick_unknown;
	uint32_t bailiwick_pairs;		/* delegation table: (server, zone) pairs */
	uint32_t bailiwick_nameservers;		/* delegation table: nameserver names */
	uint32_t bailiwick_max_age_s;		/* unrefreshed delegation facts expire */

	/* segment writer */
	uint64_t segment_max_bytes;
	uint32_t segment_max_age_s;
	uint32_t segment_flush_ms;

	/* control process */
	char cli_socket[CONF_PATH_MAX];
	char cli_group[CONF_NAME_MAX];	/* "" = leave the group alone */
	mode_t cli_mode;
	char telemetry_socket[CONF_PATH_MAX];
	char collector[CONF_MAX_COLLECTORS][CONF_LONG_MAX];		/* repeatable */
	unsigned int collector_count;
	char collector_header[CONF_MAX_HEADERS][CONF_LONG_MAX];	/* repeatable */
	unsigned int collector_header_count;
	char collector_ca[CONF_PATH_MAX];	/* "" = system trust store */
	char collector_cert[CONF_PATH_MAX];
	char collector_key[CONF_PATH_MAX];
	bool collector_insecure;
	uint32_t ship_retry_min_ms;
	uint32_t ship_retry_max_ms;
	uint64_t spool_quota;
	bool spool_keep_sent;
	char metrics_listen[CONF_PATH_MAX];	/* "" = no metrics endpoint */

	/* passive DNS database (dnsift-db) */
	char db_dir[CONF_PATH_MAX];		/* database directory */
	char db_listen[CONF_PATH_MAX];		/* serve: ADDR:PORT ([v6]:PORT) */
	char db_keys[CONF_PATH_MAX];		/* serve: API keys file; "" = loopback only, any key */
	uint32_t db_freshness_ms;		/* ingest --watch: a batch closes at this age */
	uint64_t db_batch_entries;		/* ingest: a batch closes at this many entries */
	uint64_t db_memory;			/* ingest: sort memory per batch */
	uint64_t db_result_limit;		/* serve: most results one query returns */
	uint32_t db_max_clients;		/* serve: concurrent connections */
	uint32_t db_threads;			/* serve: worker threads */
	char db_web_dir[CONF_PATH_MAX];		/* serve: the search page's files; "" = no page */
};

/* Fill every field with its default. */
void conf_init_defaults(struct dnsift_conf *conf);

/*
 * Read a file on top of the current contents of conf (normally defaults).
 * Returns 0, -DNSIFT_EIO (cannot open or read) or -DNSIFT_ECONFIG; on failure
 * errbuf holds "file:line: message" and conf may be partly updated.
 */
int conf_load_file(struct dnsift_conf *conf, const char *path, char *errbuf, size_t errlen);

/* As conf_load_file, from a NUL-terminated string; name is used in messages. */
int conf_load_string(struct dnsift_conf *conf, const char *text, const char *name,
		     char *errbuf, size_t errlen);

/*
 * Set one key as if it were a line of its own file (repeatable keys append).
 * For command-line overrides. Returns 0 or -DNSIFT_ECONFIG with "message" in errbuf.
 */
int conf_set(struct dnsift_conf *conf, const char *key, const char *value,
	     char *errbuf, size_t errlen);

/*
 * Cross-key checks (ship_retry_min_ms <= ship_retry_max_ms, ...). conf_load_*
 * call it; call it again after conf_set. 0 or -DNSIFT_ECONFIG with a message.
 */
int conf_validate(const struct dnsift_conf *conf, char *errbuf, size_t errlen);

/* Write the effective configuration in file syntax, e.g. for "--dump-config". */
void conf_dump(const struct dnsift_conf *conf, FILE *out);

/*
 * Value parsers shared with the CLI. All return 0 or -DNSIFT_EINVAL, accept no
 * leading/trailing garbage, and never overflow silently.
 */
/* Unsigned decimal within [min, max]. */
int conf_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Bytes with an optional K/M/G/T suffix (powers of 1024, "KiB"/"KB" also taken). */
int conf_parse_size(const char *s, uint64_t *out);
/*
 * A duration with an optional ms/s/m/h/d suffix; a bare number is in units of
 * bare_unit_ms (1 for "_ms" keys, 1000 for keys in seconds). Result in ms.
 */
int conf_parse_duration_ms(const char *s, uint64_t bare_unit_ms, uint64_t *out_ms);
/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int conf_parse_bool(const char *s, bool *out);
/* "192.0.2.0/24", "2001:db8::/32", or a bare address (a host prefix). Host bits
 * past the prefix must be zero. */
int conf_parse_cidr(const char *s, struct conf_cidr *out);
/* Presentation form "addr/len" into buf (at least 50 bytes). Returns buf. */
const char *conf_format_cidr(const struct conf_cidr *cidr, char *buf, size_t len);
/* Same family, length and address. */
bool conf_cidr_equal(const struct conf_cidr *a, const struct conf_cidr *b);
/* An octal file mode 0..07777 ("0660", "660"). */
int conf_parse_mode(const char *s, mode_t *out);

#endif
