/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-db: the passive DNS database of the collector side.
 *
 *   dnsift-db [-c FILE] [-d DIR] ingest [--watch] PATH...
 *   dnsift-db [-c FILE] [-d DIR] serve [--listen ADDR:PORT] [--keys FILE]
 *   dnsift-db [-c FILE] [-d DIR] compact [--tiered]
 *   dnsift-db [-c FILE] [-d DIR] stats [--json]
 *   dnsift-db [-c FILE] [-d DIR] dump
 *
 * Single-threaded except serve (libmicrohttpd's threads, db/serve.c). Signal
 * handlers only set a flag.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "db/ingest.h"
#include "db/serve.h"
#include "db/store.h"
#include "wire/cof.h"
#include "wire/err.h"

#ifndef DNSIFT_VERSION
#define DNSIFT_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsift-db [-c FILE] [-d DIR] ingest [--watch] PATH...\n"
		"       dnsift-db [-c FILE] [-d DIR] serve [--listen ADDR:PORT] [--keys FILE]\n"
		"       dnsift-db [-c FILE] [-d DIR] compact [--tiered]\n"
		"       dnsift-db [-c FILE] [-d DIR] stats [--json]\n"
		"       dnsift-db [-c FILE] [-d DIR] dump\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s if present)\n"
		"  -d, --dir DIR       database directory (default: db_dir of the configuration)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"ingest   verify segments (files or directories of *.ndjson.lz4) and add their\n"
		"         records; bad segments go to DIR/quarantine/ with a .reason file.\n"
		"         --watch DIR...: keep watching (inotify and a rescan); a record is\n"
		"         queryable within db_freshness_ms of its segment's arrival.\n"
		"serve    the DNSDB API v2 and CIRCL /pdns/query over HTTP.\n"
		"compact  merge every file into one (--tiered: only full tiers).\n"
		"stats    files, entries, and each sensor's segment book (gaps, duplicates,\n"
		"         recovered segments, drop counters); --json for JSON.\n"
		"dump     every RRset, merged over all files, as COF NDJSON (an export).\n",
		CONF_DEFAULT_PATH);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static struct db_store *open_store(const struct dnsift_conf *conf, bool writable)
{
	struct db_store_params sp = {
		.dir = conf->db_dir,
		.writable = writable,
		.batch_max_entries = conf->db_batch_entries,
		.memory_bytes = conf->db_memory,
		.background_compaction = writable,
	};
	struct db_store *s = db_store_open(&sp);

	if (!s) {
		if (errno == EBUSY)
			fprintf(stderr, "dnsift-db: %s: %s\n", conf->db_dir,
				dnsift_strerror(DNSIFT_EDB_LOCKED));
		else
			fprintf(stderr, "dnsift-db: %s: cannot open the database: %s\n",
				conf->db_dir, strerror(errno));
	}
	return s;
}

/* ---- ingest ---------------------------------------------------------------------- */

static void print_ingest_stats(const struct ingest_stats *st, FILE *out)
{
	fprintf(out,
		"files_seen=%" PRIu64 "\nsegments=%" PRIu64 "\nduplicates=%" PRIu64
		"\nquarantined=%" PRIu64 "\nrecords=%" PRIu64 "\ncount_sum=%" PRIu64
		"\nunmatched=%" PRIu64 "\nbad_records=%" PRIu64 "\nbatches=%" PRIu64
		"\nerrors=%" PRIu64 "\n",
		st->files_seen, st->segments, st->duplicates, st->quarantined, st->records,
		st->count_sum, st->unmatched, st->bad_records, st->batches, st->errors);
	for (int i = 0; i < DNSIFT_E_COUNT; i++)
		if (st->bad_by_reason[i])
			fprintf(out, "bad_records.%s=%" PRIu64 "\n", dnsift_errname(i),
				st->bad_by_reason[i]);
	if (st->compactions_failed)
		fprintf(out, "compactions_failed=%" PRIu64 "\n", st->compactions_failed);
}

static int cmd_ingest(const struct dnsift_conf *conf, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	bool watch = false, quiet = false;
	struct db_store *s;
	struct ingest *in;
	struct ingest_stats st;
	char qdir[CONF_PATH_MAX + 16];
	int opt, rc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+wq", lo, NULL)) != -1) {
		if (opt == 'w')
			watch = true;
		else if (opt == 'q')
			quiet = true;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "dnsift-db ingest: no PATH given\n");
		return 2;
	}
	s = open_store(conf, true);
	if (!s)
		return 1;
	snprintf(qdir, sizeof(qdir), "%s/quarantine", conf->db_dir);
	struct ingest_params ip = {
		.store = s,
		.quarantine_dir = qdir,
		.batch_entries = conf->db_batch_entries,
		.freshness_ms = conf->db_freshness_ms,
		/* The store's compactor thread merges tiers after commits (open_store). */
		.compact = false,
	};

	in = ingest_create(&ip);
	if (!in) {
		db_store_close(s);
		return 1;
	}
	install_signals();
	if (watch) {
		rc = ingest_watch(in, (const char *const *)argv + optind,
				  (unsigned)(argc - optind), &stop_flag);
	} else {
		for (int i = optind; i < argc && rc == 0 && !stop_flag; i++)
			rc = ingest_path(in, argv[i]);
	}
	if (rc == 0)
		rc = ingest_flush(in);
	ingest_get_stats(in, &st);
	if (rc)
		fprintf(stderr, "dnsift-db ingest: %s\n", dnsift_strerror(rc));
	int frc = ingest_free(in);

	if (rc == 0)
		rc = frc;
	if (!quiet)
		print_ingest_stats(&st, stdout);
	db_store_close(s);
	return rc ? 1 : 0;
}

/* ---- serve ----------------------------------------------------------------------- */

static int cmd_serve(const struct dnsift_conf *conf, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "keys", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = conf->db_listen, *keys = conf->db_keys;
	struct db_store *s;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+l:k:", lo, NULL)) != -1) {
		if (opt == 'l')
			listen = optarg;
		else if (opt == 'k')
			keys = optarg;
		else
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "dnsift-db serve: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	s = open_store(conf, false);
	if (!s)
		return 1;
	struct db_serve_params p = {
		.store = s,
		.listen = listen,
		.keys_file = keys,
		.result_limit = conf->db_result_limit,
		.max_clients = conf->db_max_clients,
		.threads = conf->db_threads,
		/* Well inside the freshness budget that ingest keeps half of. */
		.refresh_ms = conf->db_freshness_ms / 4 ? conf->db_freshness_ms / 4 : 1,
		.web_dir = conf->db_web_dir,
	};

	install_signals();
	rc = db_serve_run(&p, &stop_flag);
	db_store_close(s);
	return rc ? 1 : 0;
}

/* ---- compact --------------------------------------------------------------------- */

static int cmd_compact(const struct dnsift_conf *conf, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tiered", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool tiered = false;
	struct db_store *s;
	struct db_store_stats a, b;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+t", lo, NULL)) != -1) {
		if (opt == 't')
			tiered = true;
		else
			return 2;
	}
	if (optind != argc)
		return 2;
	s = open_store(conf, true);
	if (!s)
		return 1;
	db_store_stats(s, &a);
	rc = db_store_compact(s, !tiered);
	db_store_stats(s, &b);
	if (rc)
		fprintf(stderr, "dnsift-db compact: %s\n", dnsift_strerror(rc));
	else
		printf("files_before=%" PRIu64 "\nfiles_after=%" PRIu64 "\nbytes_before=%" PRIu64
		       "\nbytes_after=%" PRIu64 "\nentries_before=%" PRIu64 "\nentries_after=%" PRIu64
		       "\n", a.files, b.files, a.bytes, b.bytes, a.entries, b.entries);
	db_store_close(s);
	return rc ? 1 : 0;
}

/* ---- stats ----------------------------------------------------------------------- */

#define MAX_DROP_NAMES 128
#define MAX_GAP_RANGES 32

struct drop_sum {
	char name[96];		/* as it appears in the tail JSON (escaped) */
	uint64_t value;
};

struct sensor_book {
	char sensor_id[72];
	uint64_t segments, seq_first, seq_last, missing, duplicates, recovered;
	uint64_t records, count_sum;
	uint64_t gap_lo[MAX_GAP_RANGES], gap_hi[MAX_GAP_RANGES];
	unsigned ngaps;
	bool gaps_truncated;
	struct drop_sum drops[MAX_DROP_NAMES];
	unsigned ndrops;
	bool drops_truncated;
};

struct books {
	struct sensor_book *v;
	size_t n, cap;
};

/* Add a flat {"name":N,...} object (the segment tail's drops) to b. */
static void add_drops(struct sensor_book *b, const char *j)
{
	const char *p = j;

	while (p && *p) {
		const char *ks, *ke;
		uint64_t v = 0;

		p = strchr(p, '"');
		if (!p)
			return;
		ks = ++p;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (!*p)
			return;
		ke = p++;
		while (*p == ' ' || *p == ':')
			p++;
		if (*p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		size_t kl = (size_t)(ke - ks);
		unsigned i;

		if (kl >= sizeof(b->drops[0].name))
			continue;
		for (i = 0; i < b->ndrops; i++)
			if (strlen(b->drops[i].name) == kl && memcmp(b->drops[i].name, ks, kl) == 0)
				break;
		if (i == b->ndrops) {
			if (b->ndrops == MAX_DROP_NAMES) {
				b->drops_truncated = true;
				continue;
			}
			memcpy(b->drops[i].name, ks, kl);
			b->drops[i].name[kl] = 0;
			b->drops[i].value = 0;
			b->ndrops++;
		}
		b->drops[i].value += v;
	}
}

static int on_segment(void *arg, const struct db_segment_meta *m)
{
	struct books *bk = arg;
	struct sensor_book *b = bk->n ? &bk->v[bk->n - 1] : NULL;

	if (!b || strcmp(b->sensor_id, m->sensor_id) != 0) {
		if (bk->n == bk->cap) {
			size_t nc = bk->cap ? bk->cap * 2 : 8;
			struct sensor_book *p = realloc(bk->v, nc * sizeof(*p));

			if (!p)
				return 1;
			bk->v = p;
			bk->cap = nc;
		}
		b = &bk->v[bk->n++];
		memset(b, 0, sizeof(*b));
		snprintf(b->sensor_id, sizeof(b->sensor_id), "%s", m->sensor_id);
		b->seq_first = m->seq;
	} else if (m->seq > b->seq_last + 1) {
		/* Segments come in seq order: a jump is a gap. */
		b->missing += m->seq - b->seq_last - 1;
		if (b->ngaps < MAX_GAP_RANGES) {
			b->gap_lo[b->ngaps] = b->seq_last + 1;
			b->gap_hi[b->ngaps++] = m->seq - 1;
		} else {
			b->gaps_truncated = true;
		}
	}
	b->seq_last = m->seq;
	b->segments++;
	b->duplicates += m->duplicates;
	b->recovered += m->recovered;
	b->records += m->records;
	b->count_sum += m->count_sum;
	if (m->drops_json)
		add_drops(b, m->drops_json);
	return 0;
}

static int cmd_stats(const struct dnsift_conf *conf, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct db_store *s;
	struct db_store_stats st;
	struct books bk = { 0 };
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+j", lo, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else
			return 2;
	}
	if (optind != argc)
		return 2;
	s = open_store(conf, false);
	if (!s)
		return 1;
	rc = db_store_stats(s, &st);
	if (rc == 0)
		rc = db_store_segments(s, on_segment, &bk);
	if (rc) {
		fprintf(stderr, "dnsift-db stats: %s\n", dnsift_strerror(rc));
		free(bk.v);
		db_store_close(s);
		return 1;
	}
	if (json) {
		printf("{\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"entries\":%" PRIu64
		       ",\"rrset_entries\":%" PRIu64 ",\"rdata_entries\":%" PRIu64
		       ",\"segments\":%" PRIu64 ",\"sensors\":[",
		       st.files, st.bytes, st.entries, st.rrset_entries, st.rdata_entries,
		       st.segments);
		for (size_t i = 0; i < bk.n; i++) {
			struct sensor_book *b = &bk.v[i];

			printf("%s{\"sensor_id\":\"%s\",\"segments\":%" PRIu64 ",\"seq_first\":%" PRIu64
			       ",\"seq_last\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"gaps\":[",
			       i ? "," : "", b->sensor_id, b->segments, b->seq_first, b->seq_last,
			       b->missing);
			for (unsigned g = 0; g < b->ngaps; g++)
				printf("%s[%" PRIu64 ",%" PRIu64 "]", g ? "," : "", b->gap_lo[g],
				       b->gap_hi[g]);
			printf("],\"gaps_truncated\":%s,\"duplicates\":%" PRIu64 ",\"recovered\":%" PRIu64
			       ",\"records\":%" PRIu64 ",\"count_sum\":%" PRIu64 ",\"drops\":{",
			       b->gaps_truncated ? "true" : "false", b->duplicates, b->recovered,
			       b->records, b->count_sum);
			for (unsigned d = 0; d < b->ndrops; d++)
				printf("%s\"%s\":%" PRIu64, d ? "," : "", b->drops[d].name,
				       b->drops[d].value);
			printf("}}");
		}
		printf("]}\n");
	} else {
		printf("files=%" PRIu64 "\nbytes=%" PRIu64 "\nentries=%" PRIu64
		       "\nrrset_entries=%" PRIu64 "\nrdata_entries=%" PRIu64 "\nsegments=%" PRIu64
		       "\n", st.files, st.bytes, st.entries, st.rrset_entries, st.rdata_entries,
		       st.segments);
		for (size_t i = 0; i < bk.n; i++) {
			struct sensor_book *b = &bk.v[i];
			const char *id = b->sensor_id;

			printf("sensor.%s.segments=%" PRIu64 "\nsensor.%s.seq_first=%" PRIu64
			       "\nsensor.%s.seq_last=%" PRIu64 "\nsensor.%s.missing=%" PRIu64
			       "\nsensor.%s.gaps=",
			       id, b->segments, id, b->seq_first, id, b->seq_last, id, b->missing, id);
			for (unsigned g = 0; g < b->ngaps; g++) {
				if (b->gap_lo[g] == b->gap_hi[g])
					printf("%s%" PRIu64, g ? "," : "", b->gap_lo[g]);
				else
					printf("%s%" PRIu64 "-%" PRIu64, g ? "," : "", b->gap_lo[g],
					       b->gap_hi[g]);
			}
			printf("%s\nsensor.%s.duplicates=%" PRIu64 "\nsensor.%s.recovered=%" PRIu64
			       "\nsensor.%s.records=%" PRIu64 "\nsensor.%s.count_sum=%" PRIu64 "\n",
			       b->gaps_truncated ? ",..." : "", id, b->duplicates, id, b->recovered,
			       id, b->records, id, b->count_sum);
			for (unsigned d = 0; d < b->ndrops; d++)
				printf("sensor.%s.drops.%s=%" PRIu64 "\n", id, b->drops[d].name,
				       b->drops[d].value);
		}
	}
	free(bk.v);
	db_store_close(s);
	return 0;
}

/* ---- dump ------------------------------------------------------------------------ */

static void json_str(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			putc(c, out);
	}
	putc('"', out);
}

static int dump_one(void *arg, const struct db_result *r)
{
	FILE *out = arg;
	const char *tn = rrtype_name(r->rrtype);

	fputs("{\"rrname\":", out);
	json_str(out, r->rrname);
	if (tn) {
		fputs(",\"rrtype\":", out);
		json_str(out, tn);
	} else {
		fprintf(out, ",\"rrtype\":%u", r->rrtype);
	}
	if (r->rrclass != 1)
		fprintf(out, ",\"rrclass\":%u", r->rrclass);
	fputs(",\"rdata\":[", out);
	for (unsigned i = 0; i < r->rdata_count; i++) {
		if (i)
			putc(',', out);
		json_str(out, r->rdata[i]);
	}
	fprintf(out, "],\"time_first\":%" PRIu64 ",\"time_last\":%" PRIu64 ",\"count\":%" PRIu64,
		r->time_first, r->time_last, r->count);
	if (r->bailiwick) {
		fputs(",\"bailiwick\":", out);
		json_str(out, r->bailiwick);
	}
	fputs("}\n", out);
	return ferror(out) ? 1 : 0;
}

static int cmd_dump(const struct dnsift_conf *conf, int argc, char **argv)
{
	struct db_store *s;
	int rc;

	(void)argv;
	if (argc != 1)
		return 2;
	s = open_store(conf, false);
	if (!s)
		return 1;
	/* The root's RRsets, then every name below the root. */
	struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = ".", .aggregate = true };

	rc = db_store_query(s, &q, dump_one, stdout);
	if (rc >= 0 && rc != DB_QUERY_STOPPED) {
		q.wildcard = DB_WILDCARD_LEFT;
		rc = db_store_query(s, &q, dump_one, stdout);
	}
	db_store_close(s);
	if (fflush(stdout) != 0 || rc == DB_QUERY_STOPPED) {
		fprintf(stderr, "dnsift-db dump: write error\n");
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "dnsift-db dump: %s\n", dnsift_strerror(rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dnsift_conf *conf = malloc(sizeof(*conf));
	const char *conf_path = NULL, *dir = NULL, *cmd;
	char err[640];
	int opt, rc = 2;

	if (!conf)
		return 1;
	conf_init_defaults(conf);
	while ((opt = getopt_long(argc, argv, "+c:d:hV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			free(conf);
			return 0;
		case 'V':
			printf("dnsift-db %s\n", DNSIFT_VERSION);
			free(conf);
			return 0;
		default:
			usage(stderr);
			free(conf);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		free(conf);
		return 2;
	}
	if (!conf_path && access(CONF_DEFAULT_PATH, F_OK) == 0)
		conf_path = CONF_DEFAULT_PATH;
	if (conf_path && conf_load_file(conf, conf_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsift-db: %s\n", err);
		free(conf);
		return 2;
	}
	if (dir && conf_set(conf, "db_dir", dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsift-db: -d: %s\n", err);
		free(conf);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "ingest") == 0)
		rc = cmd_ingest(conf, argc, argv);
	else if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(conf, argc, argv);
	else if (strcmp(cmd, "compact") == 0)
		rc = cmd_compact(conf, argc, argv);
	else if (strcmp(cmd, "stats") == 0)
		rc = cmd_stats(conf, argc, argv);
	else if (strcmp(cmd, "dump") == 0)
		rc = cmd_dump(conf, argc, argv);
	else
		fprintf(stderr, "dnsift-db: unknown command '%s' (ingest, serve, compact, stats)\n",
			cmd);
	if (rc == 2)
		usage(stderr);
	free(conf);
	return rc;
}
