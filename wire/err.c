/* SPDX-License-Identifier: BSD-3-Clause */
#include "wire/err.h"

static const char *const err_text[] = {
#define DNSIFT_ERR_TEXT(sym, name, text) [DNSIFT_E##sym] = text,
	DNSIFT_ERRORS(DNSIFT_ERR_TEXT)
#undef DNSIFT_ERR_TEXT
};

static const char *const err_name[] = {
#define DNSIFT_ERR_NAME(sym, name, text) [DNSIFT_E##sym] = #name,
	DNSIFT_ERRORS(DNSIFT_ERR_NAME)
#undef DNSIFT_ERR_NAME
};

static unsigned err_index(int err)
{
	long v = err < 0 ? -(long)err : err;
	return v < DNSIFT_E_COUNT ? (unsigned)v : (unsigned)DNSIFT_E_COUNT;
}

const char *dnsift_strerror(int err)
{
	unsigned i = err_index(err);
	return i < DNSIFT_E_COUNT ? err_text[i] : "unknown error";
}

const char *dnsift_errname(int err)
{
	unsigned i = err_index(err);
	return i < DNSIFT_E_COUNT ? err_name[i] : "unknown";
}
