/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/cof_read: a strict, fast reader of one COF record line (the JSON object the
 * sensor writes, wire/cof.h) into a struct db_record.
 *
 * JSON as RFC 8259 says: every string escape (\uXXXX with surrogate pairs becomes
 * UTF-8), numbers, nested values of unknown keys skipped, no control characters in
 * strings, nothing but white space after the object. COF on top: rrname, rrtype,
 * rdata, time_first, time_last and count are required; rrtype and rrclass are a
 * mnemonic or a number; rdata an array of one or more strings; times and count
 * unsigned integers; bailiwick and sensor_id strings; unmatched a boolean. A key
 * given twice is an error. A line that breaks any of this is rejected with a reason
 * ("where: what").
 *
 * Why not a library: jansson parsed about 127k records/s here; this reader is
 * measured by bench/bench_db_ingest.c.
 *
 * Threads: a reader is one thread's; several readers may run at once.
 */
#ifndef DNSIFT_DB_COF_READ_H
#define DNSIFT_DB_COF_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store.h"

struct cof_line {
	struct db_record rec;	/* strings point into the reader; valid until the next read */
	const char *sensor_id;	/* NULL when absent */
	bool unmatched;
};

struct cof_reader;

/* NULL with errno. */
struct cof_reader *cof_reader_create(void);
void cof_reader_free(struct cof_reader *r);

/*
 * Decode one line (a final '\n' is allowed). 0, or -DNSIFT_EDB_COF_SYNTAX (not JSON),
 * -DNSIFT_EDB_COF_FIELD (a COF field missing, repeated, or of the wrong type),
 * -DNSIFT_EDB_RRTYPE (unknown mnemonic), -DNSIFT_ENOMEM; then why (if not NULL) says
 * what and at which byte.
 */
int cof_read_line(struct cof_reader *r, const char *line, size_t len, struct cof_line *out,
		  char *why, size_t why_size);

#endif
