/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/cof_read: lines the sensor writes decode to the fields written here by hand,
 * and every malformed shape is refused with the right code, never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/cof_read.h"
#include "wire/err.h"

static int setup(void **state)
{
	*state = cof_reader_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cof_reader_free(*state);
	return 0;
}

/* Read from an exact-size heap copy, so ASan catches any read past the line. */
static int rd(struct cof_reader *r, const char *s, struct cof_line *out, char *why)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, s, n);
	rc = cof_read_line(r, copy, n, out, why, 200);
	free(copy);
	return rc;
}

static void sensor_line_decodes_every_field(void **state)
{
	struct cof_line l;
	char why[200];
	const char *line = "{\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"rdata\":[\"192.0.2.1\",\"192.0.2.7\"],"
			   "\"time_first\":1764190000,\"time_last\":1764190290,\"count\":41,"
			   "\"bailiwick\":\"example.com.\",\"sensor_id\":\"isp1-fra-01\"}\n";
	size_t n = strlen(line);
	char *copy = malloc(n);

	memcpy(copy, line, n);
	assert_int_equal(cof_read_line(*state, copy, n, &l, why, sizeof(why)), 0);
	assert_string_equal(l.rec.rrname, "www.example.com.");
	assert_int_equal(l.rec.rrtype, 1);
	assert_int_equal(l.rec.rrclass, 1);
	assert_int_equal(l.rec.rdata_count, 2);
	assert_string_equal(l.rec.rdata[0], "192.0.2.1");
	assert_string_equal(l.rec.rdata[1], "192.0.2.7");
	assert_int_equal(l.rec.time_first, 1764190000);
	assert_int_equal(l.rec.time_last, 1764190290);
	assert_int_equal(l.rec.count, 41);
	assert_string_equal(l.rec.bailiwick, "example.com.");
	assert_string_equal(l.sensor_id, "isp1-fra-01");
	assert_false(l.unmatched);
	free(copy);
}

static void optional_fields_numbers_and_escapes(void **state)
{
	struct cof_line l;
	char why[200];

	/* rrtype as a number, rrclass CH, unmatched, no bailiwick, escapes of all kinds. */
	assert_int_equal(rd(*state, "{ \"rrname\" : \"a\\\\.b\\u0041.example.\", \"rrtype\":65280,"
				    "\"rrclass\":\"CH\",\"rdata\":[\"\\\"q\\\" \\/ \\u00e9 \\ud83d\\ude00\"],"
				    "\"time_first\":0,\"time_last\":18446744073709551615,\"count\":1,"
				    "\"unmatched\":true}", &l, why), 0);
	assert_string_equal(l.rec.rrname, "a\\.bA.example.");
	assert_int_equal(l.rec.rrtype, 65280);
	assert_int_equal(l.rec.rrclass, 3);
	assert_null(l.rec.bailiwick);
	assert_null(l.sensor_id);
	assert_true(l.unmatched);
	assert_string_equal(l.rec.rdata[0], "\"q\" / \xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(l.rec.time_last, UINT64_MAX);
	/* Mnemonics the sensor writes, TYPEnnn, and rrclass as a number. */
	assert_int_equal(rd(*state, "{\"rrname\":\"x.\",\"rrtype\":\"NSEC3PARAM\",\"rrclass\":4,"
				    "\"rdata\":[\"1 0 0 -\"],\"time_first\":1,\"time_last\":2,\"count\":3}",
			    &l, why), 0);
	assert_int_equal(l.rec.rrtype, 51);
	assert_int_equal(l.rec.rrclass, 4);
	assert_int_equal(rd(*state, "{\"rrname\":\"x.\",\"rrtype\":\"TYPE65280\",\"rdata\":[\"\\\\# 0\"],"
				    "\"time_first\":1,\"time_last\":2,\"count\":3}", &l, why), 0);
	assert_int_equal(l.rec.rrtype, 65280);
	assert_int_equal(rd(*state, "{\"rrname\":\"x.\",\"rrtype\":\"HTTPS\",\"rdata\":[\"1 . alpn=h2\"],"
				    "\"time_first\":1,\"time_last\":2,\"count\":3}", &l, why), 0);
	assert_int_equal(l.rec.rrtype, 65);
}

static void unknown_keys_are_skipped_whatever_their_value(void **state)
{
	struct cof_line l;
	char why[200];

	assert_int_equal(rd(*state, "{\"x\":{\"a\":[1,2.5e-3,{\"b\":null}],\"c\":\"}\"},\"rrname\":\"x.\","
				    "\"y\":[],\"z\":{},\"t\":true,\"f\":false,\"n\":null,\"m\":-0.5E+2,"
				    "\"rrtype\":\"NS\",\"rdata\":[\"ns.x.\"],\"time_first\":1,"
				    "\"time_last\":2,\"count\":3}\r\n", &l, why), 0);
	assert_string_equal(l.rec.rdata[0], "ns.x.");
	assert_int_equal(l.rec.rrtype, 2);
}

struct bad_case {
	const char *line;
	int code;
};

#define OK_TAIL "\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":3"

static void every_malformed_shape_is_refused_with_a_reason(void **state)
{
	static const struct bad_case cases[] = {
		{ "", -DNSIFT_EDB_COF_SYNTAX },
		{ "   ", -DNSIFT_EDB_COF_SYNTAX },
		{ "[]", -DNSIFT_EDB_COF_SYNTAX },
		{ "{", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\"", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\"," OK_TAIL "} x", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\"," OK_TAIL "}}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\"," OK_TAIL ",}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\" \"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{rrname:\"x.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\q.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\u12.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\u12g4.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\ud800.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\ud800\\u0041.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\udc00.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\u0000.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x\t.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x\\", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":01,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":-3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":3.5}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":1e3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":18446744073709551616}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":\"3\"}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":-}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2,\"count\":1.}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[],\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[1],\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"a\" \"b\"],\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"a\",],\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":7,\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"BOGUS\"," OK_TAIL "}", -DNSIFT_EDB_RRTYPE },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"TYPE65536\"," OK_TAIL "}", -DNSIFT_EDB_RRTYPE },
		{ "{\"rrname\":\"x.\",\"rrtype\":65536," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":true," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rrclass\":\"XX\"," OK_TAIL "}", -DNSIFT_EDB_RRTYPE },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"unmatched\":1," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"unmatched\":tru," OK_TAIL "}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"bailiwick\":null," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrname\":\"y.\",\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrtype\":\"A\"," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\"," OK_TAIL "}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"time_first\":1,\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_last\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":2,\"count\":3}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"rrname\":\"x.\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\"],\"time_first\":1,\"time_last\":2}", -DNSIFT_EDB_COF_FIELD },
		{ "{}", -DNSIFT_EDB_COF_FIELD },
		{ "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"x\":[1,,2]}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"x\":nul}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"x\":{\"a\"}}", -DNSIFT_EDB_COF_SYNTAX },
		{ "{\"x\":+1}", -DNSIFT_EDB_COF_SYNTAX },
	};
	char why[200];
	struct cof_line l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = rd(*state, cases[i].line, &l, why);

		if (rc != cases[i].code)
			fprintf(stderr, "case %zu: %s -> %d (%s), want %d\n", i, cases[i].line, rc,
				why, cases[i].code);
		assert_int_equal(rc, cases[i].code);
		assert_true(strlen(why) > 0);	/* a reason, always */
		assert_non_null(strstr(why, "byte "));
	}
}

static void every_prefix_of_a_good_line_is_refused_safely(void **state)
{
	const char *line = "{\"rrname\":\"www.example.com.\",\"rrtype\":\"MX\",\"rdata\":[\"10 mx.example.com.\"],"
			   "\"time_first\":1764190000,\"time_last\":1764190290,\"count\":41,"
			   "\"bailiwick\":\"example.com.\",\"x\":[{\"y\":\"\\u00e9\"}],\"unmatched\":false}";
	size_t n = strlen(line);
	struct cof_line l;
	char why[200];

	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);

		memcpy(copy, line, k);
		assert_true(cof_read_line(*state, copy, k, &l, why, sizeof(why)) < 0);
		free(copy);
	}
	assert_int_equal(rd(*state, line, &l, why), 0);
	assert_int_equal(l.rec.rrtype, 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sensor_line_decodes_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(optional_fields_numbers_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_keys_are_skipped_whatever_their_value, setup, teardown),
		cmocka_unit_test_setup_teardown(every_malformed_shape_is_refused_with_a_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(every_prefix_of_a_good_line_is_refused_safely, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
