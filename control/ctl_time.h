/* SPDX-License-Identifier: BSD-3-Clause */
/* Monotonic clock in milliseconds for the control process's timers. Any thread. */
#ifndef DNSIFT_CTL_TIME_H
#define DNSIFT_CTL_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
