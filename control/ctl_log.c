/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum ctl_log_level ctl_log_level = CTL_LOG_INFO;

static const char *const level_names[] = { "err", "warn", "info", "debug" };

int ctl_log_parse_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void ctl_log(enum ctl_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > ctl_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dnsift-control: %s: %s\n", level_names[level], line);
}
