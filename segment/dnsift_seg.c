/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-seg: look at segment files without the sensor.
 *
 *   dnsift-seg cat FILE...       print the records (NDJSON), verifying as it goes
 *   dnsift-seg verify FILE...    check everything, one line per file
 *   dnsift-seg info FILE...      head and tail metadata as one JSON object per file
 *   dnsift-seg recover PART OUT  rebuild a valid (recovered) segment from a .part
 *
 * Exit status: 0 all good, 1 a file failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment/seg.h"
#include "wire/err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dnsift-seg cat FILE...\n"
		   "       dnsift-seg verify FILE...\n"
		   "       dnsift-seg info FILE...\n"
		   "       dnsift-seg recover PART OUT\n"
		   "       dnsift-seg --help | --version\n");
}

static void report(const char *path, const struct seg_error *err)
{
	fprintf(stderr, "dnsift-seg: %s: %s [%s]\n", path, err->msg, dnsift_errname(err->code));
}

static int cmd_cat(int argc, char **argv)
{
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_error err;
	int status = 0;

	if (!info)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (seg_cat_file(argv[i], stdout, info, &err) < 0) {
			fflush(stdout);
			report(argv[i], &err);
			status = 1;
		}
	}
	if (fflush(stdout) != 0)
		status = 1;
	free(info);
	return status;
}

static int cmd_verify(int argc, char **argv)
{
	struct seg_info *info = malloc(sizeof(*info));
	struct seg_error err;
	int status = 0;

	if (!info)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (seg_verify_file(argv[i], info, &err) < 0) {
			printf("%s: FAILED: %s [%s]\n", argv[i], err.msg,
			       dnsift_errname(err.code));
			status = 1;
			continue;
		}
		printf("%s: ok sensor_id=%s seq=%" PRIu64 " records=%" PRIu64 " count_sum=%"
		       PRIu64 " recovered=%s\n", argv[i], info->sensor_id, info->seq,
		       info->records, info->count_sum, info->recovered ? "yes" : "no");
	}
	free(info);
	return status;
}

static int cmd_info(int argc, char **argv)
{
	size_t size = 4 * SEG_META_MAX + 4096;
	struct seg_info *info = malloc(sizeof(*info));
	char *out = malloc(size);
	struct seg_error err;
	int status = 0;

	if (!info || !out) {
		free(info);
		free(out);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		if (seg_verify_file(argv[i], info, &err) < 0)
			status = 1;
		if (seg_info_json(info, &err, argv[i], out, size) < 0) {
			fprintf(stderr, "dnsift-seg: %s: metadata too large to print\n", argv[i]);
			status = 1;
			continue;
		}
		puts(out);
	}
	free(info);
	free(out);
	return status;
}

static int cmd_recover(const char *part, const char *out)
{
	struct seg_recover_result res;
	int rc = seg_recover_file(part, out, &res);

	if (rc < 0) {
		fprintf(stderr, "dnsift-seg: recover %s: %s%s%s\n", part, dnsift_strerror(rc),
			rc == -DNSIFT_EIO ? ": " : "", rc == -DNSIFT_EIO ? strerror(errno) : "");
		return 1;
	}
	if (res.complete)
		printf("%s: complete segment, copied to %s (%" PRIu64 " records)\n", part, out,
		       res.records);
	else
		printf("%s: recovered %" PRIu64 " records (count_sum %" PRIu64 ", %" PRIu64
		       " bad lines dropped) into %s; decoding stopped at offset %" PRIu64
		       " of %" PRIu64 ": %s\n", part, res.records, res.count_sum, res.bad_lines, out,
		       res.stop_offset, res.part_bytes, dnsift_strerror(res.stop_code));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("dnsift-seg %s\n", DNSIFT_VERSION);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "cat"))
		return cmd_cat(argc - 2, argv + 2);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 2, argv + 2);
	if (!strcmp(argv[1], "recover") && argc == 4)
		return cmd_recover(argv[2], argv[3]);
	usage(stderr);
	return 2;
}
