/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client of the DPDK telemetry socket (v2 protocol, AF_UNIX SOCK_SEQPACKET) through
 * which the control process reaches the sensor's /dnsift/... commands.
 *
 * The protocol, as DPDK 22.11 lib/telemetry/telemetry.c implements it: on accept
 * the server sends one JSON greeting {"version", "pid", "max_output_len"}; each
 * message the client sends is one command "/path" or "/path,param", answered by
 * one message {"/path": value}. An unknown command is answered with
 * {"/path": null}; when the server already has its maximum number of clients it
 * closes the new connection without a greeting.
 *
 * A session is one connection: opened per operator command, so a sensor restart
 * between commands never leaves a stale connection behind. All calls block for at
 * most the timeout given to ctl_tel_open (the sensor's telemetry thread answers
 * in microseconds; the bound matters only when it is wedged).
 *
 * Threads: a session belongs to the thread that opened it.
 */
#ifndef DNSIFT_CTL_TEL_H
#define DNSIFT_CTL_TEL_H

#include <stddef.h>

#include "control/ctl_json.h"

struct ctl_tel;

/*
 * Connect and read the greeting. NULL on failure with a reason in errbuf
 * ("connect /path: No such file or directory", ...).
 */
struct ctl_tel *ctl_tel_open(const char *path, int timeout_ms, char *errbuf, size_t errlen);
void ctl_tel_close(struct ctl_tel *tel);
/* The greeting's "version" string ("" when absent). */
const char *ctl_tel_server_version(const struct ctl_tel *tel);

/*
 * Send "cmd" (already including ",param" if any) and return the value under the
 * reply's key (a copy the caller frees with ctl_json_free), or NULL with errbuf
 * set. A JSON null value (unknown command) is returned as an error
 * "command not registered by the sensor: cmd".
 */
struct ctl_json *ctl_tel_call(struct ctl_tel *tel, const char *cmd, char *errbuf, size_t errlen);

#endif
