/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-control: ships spool segments, keeps the spool under quota, serves the
 * operator CLI socket and the metrics endpoint.
 *
 * One thread, one poll loop. libcurl's multi interface runs the uploads inside
 * curl_multi_poll(), which also waits on our own descriptors (signalfd, CLI
 * listener and clients, metrics listener and clients, inotify), so uploads,
 * CLI answers and spool events interleave without locks. The one blocking step is
 * a call to the sensor's telemetry socket while answering a command; it is
 * bounded by a short timeout and the sensor answers from its own telemetry
 * thread in microseconds, so it never holds the loop up in practice. Every other
 * descriptor is non-blocking, every client has a buffer cap and a deadline.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/conf.h"
#include "control/ctl_cli.h"
#include "control/ctl_log.h"
#include "control/ctl_ship.h"
#include "control/ctl_time.h"
#include "wire/err.h"

#define MAX_CLIENTS 48		/* CLI plus metrics, at once; more are refused */
#define CLIENT_TIMEOUT_MS 10000
#define ANSWER_CAP (4u << 20)
#define HTTP_REQUEST_MAX 4096

struct client {
	int fd;
	bool metrics;
	bool writing;
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	struct ctl_buf out;
	size_t out_off;
	uint64_t deadline_ms;
};

struct control {
	struct dnsift_conf conf;
	struct ctl_env env;
	struct ship *ship;
	int signal_fd;
	int cli_fd;
	int metrics_fd;
	struct client clients[MAX_CLIENTS];
	unsigned int client_count;
	bool stop;
};

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int open_cli_socket(const struct dnsift_conf *conf)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, probe;

	if (strlen(conf->cli_socket) >= sizeof(sun.sun_path)) {
		ctl_log(CTL_LOG_ERR, "cli_socket path too long: %s", conf->cli_socket);
		return -1;
	}
	memcpy(sun.sun_path, conf->cli_socket, strlen(conf->cli_socket) + 1);
	if (mkdir_parent(conf->cli_socket) != 0) {
		ctl_log(CTL_LOG_ERR, "cannot create the directory of %s: %s", conf->cli_socket,
			strerror(errno));
		return -1;
	}
	/* A socket file that still answers belongs to a running dnsift-control. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		ctl_log(CTL_LOG_ERR, "%s is in use: is another dnsift-control running?",
			conf->cli_socket);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(conf->cli_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Bind with no access at all, then open it up: no window where anyone may connect. */
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old_umask);
		ctl_log(CTL_LOG_ERR, "bind %s: %s", conf->cli_socket, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (conf->cli_group[0]) {
		struct group *gr = getgrnam(conf->cli_group);

		if (gr == NULL || chown(conf->cli_socket, (uid_t)-1, gr->gr_gid) != 0) {
			ctl_log(CTL_LOG_ERR, "cli_group '%s': %s", conf->cli_group,
				gr == NULL ? "no such group" : strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (chmod(conf->cli_socket, conf->cli_mode) != 0 || listen(fd, 64) != 0) {
		ctl_log(CTL_LOG_ERR, "%s: %s", conf->cli_socket, strerror(errno));
		close(fd);
		return -1;
	}
	ctl_log(CTL_LOG_INFO, "CLI socket %s (mode %04o%s%s)", conf->cli_socket,
		(unsigned int)conf->cli_mode, conf->cli_group[0] ? ", group " : "",
		conf->cli_group);
	return fd;
}

/* "host:port" or "[v6]:port" -> listening TCP socket; -1 on error. */
static int open_metrics_socket(const char *spec)
{
	char host[256];
	const char *port;
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *res = NULL;
	int fd, one = 1, rc;

	if (spec[0] == '[') {
		const char *close_br = strchr(spec, ']');

		if (close_br == NULL || close_br[1] != ':')
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(close_br - spec - 1), spec + 1);
		port = close_br + 2;
	} else {
		const char *colon = strrchr(spec, ':');

		if (colon == NULL)
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		port = colon + 1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0) {
		ctl_log(CTL_LOG_ERR, "metrics_listen '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 16) != 0) {
		ctl_log(CTL_LOG_ERR, "metrics_listen '%s': %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	ctl_log(CTL_LOG_INFO, "metrics on http://%s/metrics", spec);
	return fd;
bad:
	ctl_log(CTL_LOG_ERR, "metrics_listen '%s': expected host:port or [v6addr]:port", spec);
	return -1;
}

/* ---- clients ---- */

static void client_close(struct control *ctl, unsigned int i)
{
	close(ctl->clients[i].fd);
	ctl_buf_free(&ctl->clients[i].out);
	ctl->clients[i] = ctl->clients[--ctl->client_count];
}

static void accept_clients(struct control *ctl, int listen_fd, bool metrics)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0)
			return;
		if (!metrics)
			ctl->env.counters.connections++;
		if (ctl->client_count == MAX_CLIENTS) {
			static const char busy[] = "error too many clients, try again\n";
			static const char busy_http[] = "HTTP/1.0 503 Service Unavailable\r\n\r\n";

			ctl->env.counters.rejected_busy++;
			if (send(fd, metrics ? busy_http : busy,
				 metrics ? sizeof(busy_http) - 1 : sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				ctl_log(CTL_LOG_DEBUG, "busy answer lost: %s", strerror(errno));
			close(fd);
			continue;
		}
		c = &ctl->clients[ctl->client_count++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->metrics = metrics;
		c->deadline_ms = ctl_mono_ms() + CLIENT_TIMEOUT_MS;
		ctl_buf_init(&c->out, ANSWER_CAP);
	}
}

static void answer_cli(struct control *ctl, struct client *c, size_t line_len)
{
	struct ctl_request *req = malloc(sizeof(*req));
	char why[160];

	if (req == NULL) {
		ctl_answer_error(&ctl->env, &c->out, "out of memory");
	} else if (ctl_request_parse(c->in, line_len, req, why, sizeof(why)) != 0) {
		ctl->env.counters.requests++;
		ctl_answer_error(&ctl->env, &c->out, why);
	} else {
		ctl_execute(&ctl->env, req, &c->out);
	}
	free(req);
	if (c->out.overflow) {
		ctl_buf_reset(&c->out);
		ctl_answer_error(&ctl->env, &c->out, "answer too large");
	}
	c->writing = true;
	c->deadline_ms = ctl_mono_ms() + CLIENT_TIMEOUT_MS;
}

static void answer_metrics(struct control *ctl, struct client *c)
{
	struct ctl_report r;
	struct ctl_buf body;

	ctl->env.counters.metrics_requests++;
	c->writing = true;
	c->deadline_ms = ctl_mono_ms() + CLIENT_TIMEOUT_MS;
	if (strncmp(c->in, "GET ", 4) != 0 && strncmp(c->in, "HEAD ", 5) != 0) {
		ctl_buf_printf(&c->out, "HTTP/1.0 405 Method Not Allowed\r\nAllow: GET\r\n"
			       "Content-Length: 0\r\n\r\n");
		return;
	}
	if (strncmp(c->in + 4, "/metrics ", 9) != 0 && strncmp(c->in + 4, "/metrics\r", 9) != 0) {
		ctl_buf_printf(&c->out, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 10\r\n\r\nnot found\n");
		return;
	}
	ctl_report_init(&r);
	ctl_buf_init(&body, ANSWER_CAP - 256);
	ctl_collect_stats(&ctl->env, &r);
	ctl_render_metrics(&r, &body);
	ctl_report_free(&r);
	ctl_buf_printf(&c->out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		       "Content-Length: %zu\r\n\r\n", body.len);
	if (body.len)
		ctl_buf_append(&c->out, body.data, body.len);
	ctl_buf_free(&body);
}

/* Returns false when the client is finished and must be closed. */
static bool client_read(struct control *ctl, struct client *c)
{
	size_t room = CTL_LINE_MAX - c->in_len;
	ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
	char *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		/* A line without its newline, then end of input: answer it anyway. */
		if (c->in_len == 0 || c->metrics) {
			ctl->env.counters.dropped_incomplete++;
			return false;
		}
		c->in[c->in_len] = '\0';
		answer_cli(ctl, c, c->in_len);
		return true;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (c->metrics) {
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
			answer_metrics(ctl, c);
		else if (c->in_len >= HTTP_REQUEST_MAX)
			return false;
		return true;
	}
	nl = memchr(c->in, '\n', c->in_len);
	if (nl != NULL) {
		answer_cli(ctl, c, (size_t)(nl - c->in) + 1);
	} else if (c->in_len >= CTL_LINE_MAX) {
		ctl->env.counters.requests++;
		ctl_answer_error(&ctl->env, &c->out, "line too long (limit 4096 bytes)");
		c->writing = true;
	}
	return true;
}

static bool client_write(struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
	}
	return false;	/* all written: one request per connection */
}

static void handle_signal(struct control *ctl)
{
	struct signalfd_siginfo si;

	while (read(ctl->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			ctl_log(CTL_LOG_INFO, "SIGHUP: rescanning the spool (configuration "
				"changes need a restart)");
			ship_rescan(ctl->ship);
		} else {
			ctl_log(CTL_LOG_INFO, "signal %u: shutting down", si.ssi_signo);
			ctl->stop = true;
		}
	}
}

static int run(struct control *ctl)
{
	struct curl_waitfd fds[3 + MAX_CLIENTS];

	while (!ctl->stop) {
		unsigned int n = 0, first_client;
		uint64_t now = ctl_mono_ms(), next = now + 1000;
		unsigned int i;

		fds[n++] = (struct curl_waitfd){ .fd = ctl->signal_fd, .events = CURL_WAIT_POLLIN };
		fds[n++] = (struct curl_waitfd){ .fd = ctl->cli_fd, .events = CURL_WAIT_POLLIN };
		if (ctl->metrics_fd >= 0)
			fds[n++] = (struct curl_waitfd){ .fd = ctl->metrics_fd,
							 .events = CURL_WAIT_POLLIN };
		first_client = n;
		for (i = 0; i < ctl->client_count; i++) {
			struct client *c = &ctl->clients[i];

			fds[n++] = (struct curl_waitfd){ .fd = c->fd,
				.events = c->writing ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN };
			if (c->deadline_ms < next)
				next = c->deadline_ms;
		}
		if (ship_poll(ctl->ship, fds, n, next > now ? (int)(next - now) : 0) != 0)
			return -1;
		if (fds[0].revents)
			handle_signal(ctl);
		/* Clients first: accepting may reorder the array. Walk backwards so closing
		 * (which moves the last client into the hole) never skips one. */
		now = ctl_mono_ms();
		for (i = ctl->client_count; i-- > 0;) {
			struct client *c = &ctl->clients[i];
			short ev = fds[first_client + i].revents;
			bool keep = true;

			if (!c->writing && (ev & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI)))
				keep = client_read(ctl, c);
			/* Try the answer at once; POLLOUT covers what does not fit now. */
			if (keep && c->writing)
				keep = client_write(c);
			if (keep && now >= c->deadline_ms) {
				ctl->env.counters.timeouts++;
				keep = false;
			}
			if (!keep)
				client_close(ctl, i);
		}
		if (fds[1].revents)
			accept_clients(ctl, ctl->cli_fd, false);
		if (ctl->metrics_fd >= 0 && fds[2].revents)
			accept_clients(ctl, ctl->metrics_fd, true);
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsift-control [-c FILE] [-o key=value]... [-l err|warn|info|debug]\n"
		"                      [--dump-config]\n"
		"  -c FILE         configuration file (default %s if it exists)\n"
		"  -o key=value    override one configuration key\n"
		"  -l LEVEL        log level (default info)\n"
		"  --dump-config   print the effective configuration and exit\n"
		"  -h, --help      this help\n"
		"  -V, --version   print the version and exit\n",
		CONF_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct control *ctl = calloc(1, sizeof(*ctl));
	const char *conf_path = NULL;
	bool dump = false;
	char err[640];
	sigset_t mask;
	int opt, rc = 1;
	struct ship_params sp = { 0 };

	if (ctl == NULL)
		return 1;
	conf_init_defaults(&ctl->conf);
	ctl->cli_fd = ctl->metrics_fd = ctl->signal_fd = -1;
	/* -o overrides are applied after the file, so collect them first. */
	while ((opt = getopt_long(argc, argv, "c:o:l:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'o':
		case 'D':
			if (opt == 'D')
				dump = true;
			break;
		case 'l':
			if (ctl_log_parse_level(optarg) < 0) {
				usage(stderr);
				rc = 2;
				goto out;
			}
			ctl_log_level = (enum ctl_log_level)ctl_log_parse_level(optarg);
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("dnsift-control %s\n", DNSIFT_VERSION);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind != argc) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (conf_path == NULL && access(CONF_DEFAULT_PATH, F_OK) == 0)
		conf_path = CONF_DEFAULT_PATH;
	if (conf_path && conf_load_file(&ctl->conf, conf_path, err, sizeof(err)) != 0) {
		ctl_log(CTL_LOG_ERR, "%s", err);
		goto out;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:l:hV", longopts, NULL)) != -1) {
		char *eq;

		if (opt != 'o')
			continue;
		eq = strchr(optarg, '=');
		if (eq == NULL) {
			ctl_log(CTL_LOG_ERR, "-o %s: expected key=value", optarg);
			rc = 2;
			goto out;
		}
		*eq = '\0';
		if (conf_set(&ctl->conf, optarg, eq + 1, err, sizeof(err)) != 0) {
			ctl_log(CTL_LOG_ERR, "-o: %s", err);
			rc = 2;
			goto out;
		}
	}
	if (conf_validate(&ctl->conf, err, sizeof(err)) != 0) {
		ctl_log(CTL_LOG_ERR, "%s", err);
		rc = 2;
		goto out;
	}
	if (dump) {
		conf_dump(&ctl->conf, stdout);
		rc = 0;
		goto out;
	}

	srandom((unsigned int)(time(NULL) ^ getpid()));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		ctl_log(CTL_LOG_ERR, "curl_global_init failed");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ctl->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctl->signal_fd < 0)
		goto out;
	ctl->cli_fd = open_cli_socket(&ctl->conf);
	if (ctl->cli_fd < 0)
		goto out;
	if (ctl->conf.metrics_listen[0]) {
		ctl->metrics_fd = open_metrics_socket(ctl->conf.metrics_listen);
		if (ctl->metrics_fd < 0)
			goto out;
	}
	sp.conf = &ctl->conf;
	sp.rescan_interval_ms = 10000;
	sp.low_speed_time_s = 30;
	ctl->ship = ship_create(&sp);
	if (ctl->ship == NULL)
		goto out;
	ctl->env.conf = &ctl->conf;
	ctl->env.ship = ctl->ship;
	ctl->env.started_ms = ctl_mono_ms();
	ctl->env.telemetry_timeout_ms = 2000;
	ctl_log(CTL_LOG_INFO, "started: spool %s, %u collector(s), quota %" PRIu64 " bytes",
		ctl->conf.spool_dir, ctl->conf.collector_count, ctl->conf.spool_quota);
	rc = run(ctl) == 0 ? 0 : 1;
out:
	while (ctl->client_count > 0)
		client_close(ctl, ctl->client_count - 1);
	ship_free(ctl->ship);
	if (ctl->metrics_fd >= 0)
		close(ctl->metrics_fd);
	if (ctl->cli_fd >= 0) {
		close(ctl->cli_fd);
		unlink(ctl->conf.cli_socket);
	}
	if (ctl->signal_fd >= 0)
		close(ctl->signal_fd);
	curl_global_cleanup();
	free(ctl);
	return rc;
}
