/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_tel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* DPDK's own default; the greeting tells the real value. */
#define TEL_DEFAULT_OUTPUT_LEN (16 * 1024)
#define TEL_MAX_OUTPUT_LEN (4 * 1024 * 1024)

struct ctl_tel {
	int fd;
	size_t max_output_len;
	char version[64];
	char *rx;
};

static ssize_t tel_recv(struct ctl_tel *tel, char *errbuf, size_t errlen)
{
	ssize_t n;

	do {
		n = recv(tel->fd, tel->rx, tel->max_output_len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(errbuf, errlen, "telemetry read: %s",
			 errno == EAGAIN ? "timed out" : strerror(errno));
		return -1;
	}
	if (n == 0) {
		snprintf(errbuf, errlen, "telemetry socket closed by the sensor (too many "
			 "telemetry clients?)");
		return -1;
	}
	return n;
}

struct ctl_tel *ctl_tel_open(const char *path, int timeout_ms, char *errbuf, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	struct ctl_tel *tel;
	struct ctl_json *greeting;
	const struct ctl_json *v;
	uint64_t max_len;
	ssize_t n;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errlen, "telemetry socket path too long: %s", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	tel = calloc(1, sizeof(*tel));
	if (tel == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	/* The greeting itself is small; a full-size buffer comes once its size is known. */
	tel->max_output_len = TEL_DEFAULT_OUTPUT_LEN;
	tel->rx = malloc(tel->max_output_len + 1);
	tel->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tel->rx == NULL || tel->fd < 0) {
		snprintf(errbuf, errlen, "telemetry socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(tel->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(tel->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(tel->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(errbuf, errlen, "connect %s: %s", path, strerror(errno));
		goto fail;
	}
	n = tel_recv(tel, errbuf, errlen);
	if (n < 0)
		goto fail;
	greeting = ctl_json_parse(tel->rx, (size_t)n);
	if (greeting == NULL) {
		snprintf(errbuf, errlen, "telemetry greeting is not JSON");
		goto fail;
	}
	v = ctl_json_get(greeting, "version");
	if (v && v->type == CTL_JSON_STRING)
		snprintf(tel->version, sizeof(tel->version), "%s", v->text);
	if (ctl_json_u64(ctl_json_get(greeting, "max_output_len"), &max_len) &&
	    max_len > tel->max_output_len && max_len <= TEL_MAX_OUTPUT_LEN) {
		char *rx = realloc(tel->rx, max_len + 1);

		if (rx == NULL) {
			ctl_json_free(greeting);
			snprintf(errbuf, errlen, "out of memory");
			goto fail;
		}
		tel->rx = rx;
		tel->max_output_len = max_len;
	}
	ctl_json_free(greeting);
	return tel;
fail:
	ctl_tel_close(tel);
	return NULL;
}

void ctl_tel_close(struct ctl_tel *tel)
{
	if (tel == NULL)
		return;
	if (tel->fd >= 0)
		close(tel->fd);
	free(tel->rx);
	free(tel);
}

const char *ctl_tel_server_version(const struct ctl_tel *tel)
{
	return tel->version;
}

struct ctl_json *ctl_tel_call(struct ctl_tel *tel, const char *cmd, char *errbuf, size_t errlen)
{
	struct ctl_json *reply, *value;
	const char *key_end;
	size_t key_len;
	ssize_t n;

	n = send(tel->fd, cmd, strlen(cmd), MSG_NOSIGNAL);
	if (n < 0) {
		snprintf(errbuf, errlen, "telemetry write: %s", strerror(errno));
		return NULL;
	}
	n = tel_recv(tel, errbuf, errlen);
	if (n < 0)
		return NULL;
	reply = ctl_json_parse(tel->rx, (size_t)n);
	if (reply == NULL || reply->type != CTL_JSON_OBJECT || reply->count != 1) {
		ctl_json_free(reply);
		snprintf(errbuf, errlen, "telemetry reply to %s is not a one-key JSON object",
			 cmd);
		return NULL;
	}
	/* The reply is keyed by the command without its parameter. */
	key_end = strchr(cmd, ',');
	key_len = key_end ? (size_t)(key_end - cmd) : strlen(cmd);
	if (strlen(reply->keys[0]) != key_len || strncmp(reply->keys[0], cmd, key_len) != 0 ||
	    reply->items[0].type == CTL_JSON_NULL) {
		snprintf(errbuf, errlen, "command not registered by the sensor: %.*s",
			 (int)key_len, cmd);
		ctl_json_free(reply);
		return NULL;
	}
	/* Hand the child out as its own document: move it, then free the shell. */
	value = malloc(sizeof(*value));
	if (value == NULL) {
		ctl_json_free(reply);
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	*value = reply->items[0];
	free(reply->keys[0]);
	free(reply->items);
	free(reply->keys);
	free(reply->text);
	free(reply);
	return value;
}
