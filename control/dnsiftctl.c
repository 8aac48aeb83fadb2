/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsiftctl: the operator's client of the dnsift-control CLI socket.
 *
 * Sends "DNSIFT1 [--json] command args...\n", prints the body of an "ok" answer
 * to stdout and the reason of an "error" answer to stderr.
 * Exit status: 0 ok, 1 error answer, 2 usage or configuration error, 3 socket
 * unreachable or the connection failed.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "control/ctl_cli.h"

#define ANSWER_MAX (8u << 20)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsiftctl [-s SOCKET] [-c FILE] [--json] [-t SECONDS] command [args...]\n"
		"  -s SOCKET   control socket (default: cli_socket from the configuration)\n"
		"  -c FILE     configuration file (default %s if it exists)\n"
		"  --json      answer body as one JSON object\n"
		"  -t SECONDS  give up after this long (default 30)\n"
		"  -h, --help  this help;  -V, --version: print the version and exit\n"
		"commands: status, stats, rotate, flush, window [SECONDS],\n"
		"  resolvers list|add CIDR|del CIDR, collectors, spool, version,\n"
		"  telemetry /path[,param], help\n",
		CONF_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *sock_path = NULL, *conf_path = NULL;
	struct dnsift_conf *conf;
	char request[CTL_LINE_MAX + 1], err[640];
	size_t req_len = 0, ans_len = 0;
	char *answer, *nl;
	bool json = false;
	int opt, fd = -1, timeout_s = 30, rc = 2;
	time_t deadline;

	while ((opt = getopt_long(argc, argv, "+s:c:t:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock_path = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			if (timeout_s <= 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("dnsiftctl %s\n", DNSIFT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	conf = malloc(sizeof(*conf));
	answer = malloc(ANSWER_MAX + 1);
	if (conf == NULL || answer == NULL)
		goto out;
	conf_init_defaults(conf);
	if (conf_path == NULL && sock_path == NULL && access(CONF_DEFAULT_PATH, F_OK) == 0)
		conf_path = CONF_DEFAULT_PATH;
	if (conf_path && conf_load_file(conf, conf_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsiftctl: %s\n", err);
		goto out;
	}
	if (sock_path == NULL)
		sock_path = conf->cli_socket;

	req_len = (size_t)snprintf(request, sizeof(request), "%s%s", CTL_PROTO_VERSION,
				   json ? " --json" : "");
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\r\n") != NULL) {
			fprintf(stderr, "dnsiftctl: argument '%s' must be one word\n", argv[i]);
			goto out;
		}
		req_len += (size_t)snprintf(request + req_len, sizeof(request) - req_len, " %s",
					    argv[i]);
		if (req_len >= sizeof(request) - 1) {
			fprintf(stderr, "dnsiftctl: command too long\n");
			goto out;
		}
	}
	request[req_len++] = '\n';

	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "dnsiftctl: socket path too long\n");
		goto out;
	}
	rc = 3;
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "dnsiftctl: cannot reach dnsift-control at %s: %s\n", sock_path,
			strerror(errno));
		goto out;
	}
	if (send(fd, request, req_len, MSG_NOSIGNAL) != (ssize_t)req_len) {
		fprintf(stderr, "dnsiftctl: send: %s\n", strerror(errno));
		goto out;
	}
	deadline = time(NULL) + timeout_s;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		if (time(NULL) > deadline) {
			fprintf(stderr, "dnsiftctl: no answer within %d s\n", timeout_s);
			goto out;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, answer + ans_len, ANSWER_MAX - ans_len, 0);
		if (n < 0) {
			fprintf(stderr, "dnsiftctl: recv: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0 || ans_len + (size_t)n == ANSWER_MAX) {
			ans_len += (size_t)n;
			break;
		}
		ans_len += (size_t)n;
	}
	answer[ans_len] = '\0';
	nl = strchr(answer, '\n');
	if (nl == NULL) {
		fprintf(stderr, "dnsiftctl: incomplete answer from %s\n", sock_path);
		goto out;
	}
	*nl = '\0';
	if (strcmp(answer, "ok") == 0) {
		fputs(nl + 1, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "dnsiftctl: %s\n", answer);
		rc = 1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(answer);
	free(conf);
	return rc;
}
