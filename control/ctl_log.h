/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leveled logging to stderr for the control process (systemd/journald adds the
 * time stamp; we add the level so operators can filter).
 *
 * Threads: any; each message is one write(2)-sized fprintf to unbuffered stderr.
 */
#ifndef DNSIFT_CTL_LOG_H
#define DNSIFT_CTL_LOG_H

enum ctl_log_level {
	CTL_LOG_ERR = 0,
	CTL_LOG_WARN,
	CTL_LOG_INFO,
	CTL_LOG_DEBUG,
};

/* Messages above this level are dropped. Default CTL_LOG_INFO. */
extern enum ctl_log_level ctl_log_level;

/* "err", "warn", "info", "debug" -> level; -1 when unknown. */
int ctl_log_parse_level(const char *s);
void ctl_log(enum ctl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
