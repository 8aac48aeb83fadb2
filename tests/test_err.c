/* SPDX-License-Identifier: BSD-3-Clause */
/* The error enum: names become counter names and JSON keys, texts reach operators. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/err.h"

static int is_snake_case(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static void every_code_has_distinct_nonempty_name_and_text(void **state)
{
	(void)state;
	for (int i = 0; i < DNSIFT_E_COUNT; i++) {
		const char *name = dnsift_errname(i);
		const char *text = dnsift_strerror(i);

		assert_non_null(name);
		assert_non_null(text);
		assert_true(strlen(text) > 0);
		assert_true(is_snake_case(name));
		assert_string_not_equal(name, "unknown");
		assert_string_not_equal(text, "unknown error");
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(name, dnsift_errname(j));
			assert_string_not_equal(text, dnsift_strerror(j));
		}
	}
}

static void ok_is_success(void **state)
{
	(void)state;
	assert_int_equal(DNSIFT_EOK, 0);
	assert_string_equal(dnsift_errname(0), "ok");
	assert_string_equal(dnsift_strerror(0), "success");
}

static void sign_does_not_matter(void **state)
{
	(void)state;
	for (int i = 1; i < DNSIFT_E_COUNT; i++) {
		assert_ptr_equal(dnsift_errname(i), dnsift_errname(-i));
		assert_ptr_equal(dnsift_strerror(i), dnsift_strerror(-i));
	}
	assert_string_equal(dnsift_errname(-DNSIFT_EPKT_VLAN_DEPTH), "vlan_too_deep");
	assert_string_equal(dnsift_strerror(DNSIFT_EIO), "input/output error");
}

static void out_of_range_codes_are_unknown_not_crashes(void **state)
{
	(void)state;
	const int bad[] = { DNSIFT_E_COUNT, -DNSIFT_E_COUNT, DNSIFT_E_COUNT + 1, 1000000,
			    -1000000, INT_MAX, INT_MIN, INT_MIN + 1 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(dnsift_errname(bad[i]), "unknown");
		assert_string_equal(dnsift_strerror(bad[i]), "unknown error");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_distinct_nonempty_name_and_text),
		cmocka_unit_test(ok_is_success),
		cmocka_unit_test(sign_does_not_matter),
		cmocka_unit_test(out_of_range_codes_are_unknown_not_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
