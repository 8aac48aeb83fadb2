/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the database's record path: one input is one record line;
 * cof_read_line decodes it and, when it is a COF record, db_batch_add builds every
 * index key of it into a real batch of a real store (a temp directory), which is
 * committed and queried back every few thousand inputs.
 *
 * The input is copied into a buffer of exactly its size, so ASan catches a read past
 * the line. Contract violations trap:
 *   - a return code other than 0 or a -DNSIFT_EDB_COF_* / -DNSIFT_EDB_RRTYPE;
 *   - an error without a reason, or a success without rrname or rdata;
 *   - db_batch_add or db_store_query returning a code outside the database group;
 *   - a record that was added and is not found again by its name after the commit.
 *
 * Seeds: the record lines of the bundled golden files, tests/captures/NAME.records.golden
 * (scripts/fuzz.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/cof_read.h"
#include "db/store.h"
#include "wire/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cof_reader *reader;
static struct db_store *store;
static struct db_batch *batch;
static unsigned added;
static char last_name[1100];

static char dir[] = "/tmp/fuzz_cof_read.XXXXXX";

/* Leave nothing behind: the store's files and its directory. */
static void cleanup(void)
{
	char cmd[64];

	db_batch_abort(batch);
	db_store_close(store);
	cof_reader_free(reader);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_cof_read: could not remove %s\n", dir);
}

static void setup(void)
{
	struct db_store_params p = { .writable = true };

	reader = cof_reader_create();
	if (!mkdtemp(dir))
		abort();
	p.dir = dir;
	store = db_store_open(&p);
	if (!reader || !store)
		abort();
	atexit(cleanup);
}

static int found(void *arg, const struct db_result *r)
{
	(void)r;
	*(int *)arg = 1;
	return 1;
}

static bool is_db_error(int rc)
{
	return rc == -DNSIFT_EDB_NAME || rc == -DNSIFT_EDB_RDATA || rc == -DNSIFT_EINVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cof_line l;
	char why[200];
	char *copy;
	int rc;

	if (!reader)
		setup();
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rc = cof_read_line(reader, copy, size, &l, why, sizeof(why));
	if (rc != 0 && rc != -DNSIFT_EDB_COF_SYNTAX && rc != -DNSIFT_EDB_COF_FIELD &&
	    rc != -DNSIFT_EDB_RRTYPE)
		__builtin_trap();
	if (rc != 0 && why[0] == 0)
		__builtin_trap();
	if (rc == 0) {
		if (!l.rec.rrname || l.rec.rdata_count == 0 || !l.rec.rdata)
			__builtin_trap();
		for (unsigned i = 0; i < l.rec.rdata_count; i++)
			(void)strlen(l.rec.rdata[i]);
		if (!batch)
			batch = db_batch_begin(store);
		if (!batch)
			abort();
		int ar = db_batch_add(batch, &l.rec);

		if (ar != 0 && !is_db_error(ar))
			__builtin_trap();
		if (ar == 0) {
			added++;
			snprintf(last_name, sizeof(last_name), "%s", l.rec.rrname);
		}
		if (added >= 2000) {
			struct db_segment_meta m = { .sensor_id = "fuzz", .seq = added };

			if (db_batch_add_segment(batch, &m) != 0 || db_batch_commit(batch) != 0)
				__builtin_trap();
			batch = NULL;
			added = 0;
			/* The last record added must be found by its owner name. */
			struct db_query q = { .kind = DB_QUERY_RRSET_NAME, .name = last_name,
					      .aggregate = true };
			int hit = 0, qr = db_store_query(store, &q, found, &hit);

			if (qr < 0 || !hit)
				__builtin_trap();
			if (db_store_compact(store, true) != 0)
				__builtin_trap();
		}
	}
	free(copy);
	return 0;
}
