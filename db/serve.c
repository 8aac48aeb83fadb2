/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/serve: dnsift-db serve, the DNSDB API v2 / CIRCL query API over
 * libmicrohttpd (db/serve.h).
 *
 * Threads:
 *   - the caller of db_serve_run: start-up, then every refresh_ms the store
 *     refresh and the keys-file check, until *stop;
 *   - libmicrohttpd's pool (params->threads): parse, authenticate, answer small
 *     requests, and copy streamed bodies to the socket;
 *   - one producer thread per streamed answer: runs the store query and writes
 *     SAF lines into a bounded buffer. When the buffer is full it waits (a slow
 *     reader costs that one thread, never a pool thread); when it is empty the
 *     connection is suspended, so a slow query never holds a pool thread either.
 * Limits against slow or many clients: max_clients connections, a per-address
 * share of them, an idle timeout, a bounded request (path, query string, headers).
 */
#define _GNU_SOURCE
#include "db/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/api_keys.h"
#include "db/api_query.h"
#include "db/api_render.h"
#include "db/store.h"
#include "db/web.h"
#include "wire/err.h"

#define STREAM_BUF		(256 * 1024)	/* bytes a producer runs ahead of its socket */
#define STREAM_WAIT_NS		(2 * 1000000L)	/* a pool thread waits this long for data */
#define CONN_TIMEOUT_S		30		/* idle connection closed after this */
#define CONN_MEMORY		(64 * 1024)	/* request line + headers per connection */

struct server {
	const struct db_serve_params *p;
	struct MHD_Daemon *mhd;
	pthread_rwlock_t keys_lock;
	struct api_keys *keys;			/* NULL: no keys file, any key */
	struct stat keys_st;
	/* producers alive, so shutdown can wait for them before stopping the daemon */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int producers;
	bool stopping;
	struct stream *streams;			/* live streams (for cancel at shutdown) */
};

struct stream {
	struct server *srv;
	struct MHD_Connection *conn;
	struct api_request req;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t space;
	pthread_cond_t data;			/* a write or the end, for a short wait */
	char *buf;
	size_t cap, rpos, avail;
	bool done, cancel, suspended;
	bool linked;				/* on srv->streams */
	struct stream *next, *prev;
};

/* ---- small helpers ------------------------------------------------------------------ */

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("dnsift-db serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("dnsift-db serve: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* Keep the request exactly as sent: api_query.c decodes each path part itself. */
static size_t identity_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned int status,
				    const char *ctype, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned int status,
				     const char *msg)
{
	char body[API_ERROR_MAX + 32];
	int n = snprintf(body, sizeof(body), "Error: %s\n", msg);

	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	return respond_text(c, status, "text/plain; charset=us-ascii", body, (size_t)n);
}

/* ---- streaming ---------------------------------------------------------------------- */

/* Producer side: copy into the bounded buffer, waiting while it is full. */
static int stream_sink(void *arg, const char *data, size_t len)
{
	struct stream *st = arg;
	int ret = 0;

	pthread_mutex_lock(&st->lock);
	while (len > 0) {
		size_t room;
		if (st->cancel) {
			ret = -1;
			break;
		}
		if (st->rpos > 0 && st->rpos + st->avail + len > st->cap) {
			memmove(st->buf, st->buf + st->rpos, st->avail);
			st->rpos = 0;
		}
		room = st->cap - st->rpos - st->avail;
		if (room == 0) {
			pthread_cond_wait(&st->space, &st->lock);
			continue;
		}
		if (room > len)
			room = len;
		memcpy(st->buf + st->rpos + st->avail, data, room);
		st->avail += room;
		data += room;
		len -= room;
		pthread_cond_signal(&st->data);
		if (st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->conn);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

static void *producer(void *arg)
{
	struct stream *st = arg;
	struct server *srv = st->srv;

	api_run(srv->p->store, &st->req, srv->p->result_limit, stream_sink, st);
	pthread_mutex_lock(&st->lock);
	st->done = true;
	pthread_cond_signal(&st->data);
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
	pthread_mutex_unlock(&st->lock);
	pthread_mutex_lock(&srv->lock);
	srv->producers--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* libmicrohttpd side (a pool thread): hand over what is there, or suspend. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&st->lock);
	if (st->avail == 0 && !st->done) {
		/* Most answers take well under a millisecond: wait that long on the pool
		 * thread rather than pay a suspend/resume round trip (which costs the
		 * slowest percent of requests about a scheduler tick). */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += STREAM_WAIT_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (st->avail == 0 && !st->done &&
		       pthread_cond_timedwait(&st->data, &st->lock, &until) == 0)
			;
	}
	if (st->avail == 0) {
		if (st->done) {
			pthread_mutex_unlock(&st->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		/* resumed by the producer's next write (under this lock, so never missed) */
		st->suspended = true;
		MHD_suspend_connection(st->conn);
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	n = (ssize_t)(st->avail < max ? st->avail : max);
	memcpy(buf, st->buf + st->rpos, (size_t)n);
	st->rpos += (size_t)n;
	st->avail -= (size_t)n;
	if (st->avail == 0)
		st->rpos = 0;
	pthread_cond_signal(&st->space);
	pthread_mutex_unlock(&st->lock);
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	struct server *srv = st->srv;

	pthread_mutex_lock(&st->lock);
	st->cancel = true;
	pthread_cond_broadcast(&st->space);
	pthread_mutex_unlock(&st->lock);
	if (st->thread_started)
		pthread_join(st->thread, NULL);
	pthread_mutex_lock(&srv->lock);
	if (st->linked) {
		if (st->prev != NULL)
			st->prev->next = st->next;
		else
			srv->streams = st->next;
		if (st->next != NULL)
			st->next->prev = st->prev;
	}
	pthread_mutex_unlock(&srv->lock);
	api_request_clear(&st->req);
	pthread_cond_destroy(&st->space);
	pthread_cond_destroy(&st->data);
	pthread_mutex_destroy(&st->lock);
	free(st->buf);
	free(st);
}

static enum MHD_Result respond_stream(struct server *srv, struct MHD_Connection *c,
				      struct api_request *req)
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (st == NULL || (st->buf = malloc(STREAM_BUF)) == NULL) {
		free(st);
		api_request_clear(req);
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	st->srv = srv;
	st->conn = c;
	st->req = *req;		/* takes ownership of the request's buffers */
	st->req.q.name = req->q.name != NULL ? st->req.name : NULL;
	st->req.q.bailiwick = req->q.bailiwick != NULL ? st->req.bailiwick : NULL;
	st->cap = STREAM_BUF;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->space, NULL);
	pthread_cond_init(&st->data, NULL);

	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->lock);
		stream_free(st);
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
	}
	st->next = srv->streams;
	if (srv->streams != NULL)
		srv->streams->prev = st;
	srv->streams = st;
	st->linked = true;
	srv->producers++;
	pthread_mutex_unlock(&srv->lock);

	if (pthread_create(&st->thread, NULL, producer, st) != 0) {
		pthread_mutex_lock(&srv->lock);
		srv->producers--;
		pthread_cond_broadcast(&srv->idle);
		pthread_mutex_unlock(&srv->lock);
		stream_free(st);
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot start a query thread");
	}
	st->thread_started = true;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, st,
					      stream_free);
	if (r == NULL) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- requests ----------------------------------------------------------------------- */

struct qs_build {
	char buf[API_QUERY_STRING_MAX + 2];
	size_t len;
	bool overflow;
};

static enum MHD_Result qs_add(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	struct qs_build *q = cls;
	int n;

	(void)kind;
	n = snprintf(q->buf + q->len, sizeof(q->buf) - q->len, "%s%s%s%s", q->len ? "&" : "",
		     key, value != NULL ? "=" : "", value != NULL ? value : "");
	if (n < 0 || (size_t)n >= sizeof(q->buf) - q->len) {
		q->overflow = true;
		return MHD_NO;
	}
	q->len += (size_t)n;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct api_request req;
	struct qs_build qs;
	char err[API_ERROR_MAX];
	const char *key;

	static char seen;	/* *con_cls marker: the headers of this request were seen */

	(void)version;
	(void)upload_data;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served");
	/* Answer on the second call, once libmicrohttpd knows the request is complete: a
	 * response queued on the first call makes it close the connection (no keep-alive). */
	if (*con_cls == NULL) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if ((cl != NULL && strcmp(cl, "0") != 0) ||
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
			/* answered now, unread: libmicrohttpd then closes the connection */
			return respond_error(c, MHD_HTTP_BAD_REQUEST, "a GET request carries no body");
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0)
		return MHD_NO;		/* a body nobody announced: drop the connection */
	/* The search page's files hold no data: served without a key (db/web.h). */
	if (db_web_owns(srv->p->web_dir, url))
		return db_web_respond(srv->p->web_dir, c, url);

	key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
	pthread_rwlock_rdlock(&srv->keys_lock);
	if (srv->keys != NULL) {
		bool ok = key != NULL && api_keys_check(srv->keys, key);
		pthread_rwlock_unlock(&srv->keys_lock);
		if (key == NULL)
			return respond_error(c, MHD_HTTP_UNAUTHORIZED, "missing X-API-Key header");
		if (!ok)
			return respond_error(c, MHD_HTTP_FORBIDDEN, "API key not accepted");
	} else {
		pthread_rwlock_unlock(&srv->keys_lock);
	}

	memset(&qs, 0, sizeof(qs));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, qs_add, &qs);
	if (qs.overflow) {
		snprintf(err, sizeof(err), "query string longer than %d bytes", API_QUERY_STRING_MAX);
		return respond_error(c, MHD_HTTP_BAD_REQUEST, err);
	}
	if (api_request_parse(url, qs.buf, (uint64_t)time(NULL), &req, err, sizeof(err)) != 0)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, err);

	switch (req.endpoint) {
	case API_EP_PING: {
		static const char body[] = "{\"ping\":\"ok\"}\n";
		api_request_clear(&req);
		return respond_text(c, MHD_HTTP_OK, "application/json", body, sizeof(body) - 1);
	}
	case API_EP_RATE_LIMIT: {
		struct api_buf b = {0};
		enum MHD_Result ret;
		api_request_clear(&req);
		api_render_rate_limit(&b, srv->p->result_limit);
		if (b.oom) {
			api_buf_free(&b);
			return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
		}
		ret = respond_text(c, MHD_HTTP_OK, "application/json", b.data, b.len);
		api_buf_free(&b);
		return ret;
	}
	default:
		return respond_stream(srv, c, &req);
	}
}

/* ---- start-up ----------------------------------------------------------------------- */

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, char *host,
			size_t host_size)
{
	const char *colon;
	size_t hl;
	char *end;
	unsigned long port;

	if (s == NULL || s[0] == '\0')
		return -1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= host_size)
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= host_size || memchr(s, ':', hl) != NULL)
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (colon[1] == '\0')
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535 || colon[1] == '-' || colon[1] == '+')
		return -1;
	memset(ss, 0, sizeof(*ss));
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		if (s[0] != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			*sl = sizeof(*a4);
			return 0;
		}
		if (s[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			*sl = sizeof(*a6);
			return 0;
		}
	}
	return -1;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
			return a6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

/* Reload the keys file when it changed; a bad new file keeps the old keys. */
static void keys_check_reload(struct server *srv)
{
	struct stat st;
	struct api_keys *k, *old;
	char err[512];
	const char *path = srv->p->keys_file;

	if (path == NULL || path[0] == '\0')
		return;
	if (stat(path, &st) != 0) {
		return;
	}
	if (st.st_ino == srv->keys_st.st_ino && st.st_size == srv->keys_st.st_size &&
	    st.st_mtim.tv_sec == srv->keys_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == srv->keys_st.st_mtim.tv_nsec)
		return;
	srv->keys_st = st;
	k = api_keys_load(path, err, sizeof(err));
	if (k == NULL) {
		logf_("keys file changed but is not usable, keeping the old keys: %s", err);
		return;
	}
	pthread_rwlock_wrlock(&srv->keys_lock);
	old = srv->keys;
	srv->keys = k;
	pthread_rwlock_unlock(&srv->keys_lock);
	api_keys_free(old);
	logf_("keys file reloaded: %zu keys", api_keys_count(k));
}

int db_serve_run(const struct db_serve_params *p, volatile sig_atomic_t *stop)
{
	struct server srv;
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[128], err[512];
	unsigned int flags, per_ip, threads;
	const union MHD_DaemonInfo *info;
	uint16_t port;
	bool with_keys = p->keys_file != NULL && p->keys_file[0] != '\0';
	int rc = 0;

	if (p->store == NULL || p->result_limit == 0) {
		logf_("no store, or a result limit of 0");
		return -DNSIFT_EINVAL;
	}
	if (parse_listen(p->listen, &ss, &sl, host, sizeof(host)) != 0) {
		logf_("bad listen address '%s' (ADDR:PORT or [V6ADDR]:PORT)",
		      p->listen != NULL ? p->listen : "");
		return -DNSIFT_ECONFIG;
	}
	if (!with_keys && !is_loopback(&ss)) {
		logf_("refusing to listen on %s without a keys file: give --keys FILE, "
		      "or listen on a loopback address", p->listen);
		return -DNSIFT_ECONFIG;
	}
	memset(&srv, 0, sizeof(srv));
	srv.p = p;
	pthread_rwlock_init(&srv.keys_lock, NULL);
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	if (with_keys) {
		if (stat(p->keys_file, &srv.keys_st) != 0) {
			logf_("keys file %s: %s", p->keys_file, strerror(errno));
			rc = -DNSIFT_ECONFIG;
			goto out;
		}
		srv.keys = api_keys_load(p->keys_file, err, sizeof(err));
		if (srv.keys == NULL) {
			logf_("%s", err);
			rc = -DNSIFT_ECONFIG;
			goto out;
		}
	}

	threads = p->threads > 0 ? p->threads : 1;
	per_ip = p->max_clients / 4;
	if (per_ip < (p->max_clients < 16 ? p->max_clients : 16))
		per_ip = p->max_clients < 16 ? p->max_clients : 16;
	if (per_ip == 0)
		per_ip = 1;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv.mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_UNESCAPE_CALLBACK, identity_unescape, NULL,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(p->max_clients > 0 ? p->max_clients : 1),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
		MHD_OPTION_END);
	if (srv.mhd == NULL) {
		logf_("cannot listen on %s (address in use, or not this host's)", p->listen);
		rc = -DNSIFT_EIO;
		goto out;
	}
	info = MHD_get_daemon_info(srv.mhd, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL ? info->port : 0;
	/* One line on stdout, so a script that listened on port 0 learns the port. */
	printf("dnsift-db serve: listening on %s%s%s:%u, %s, %u threads, %u clients (%u per address)\n",
	       ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
	       (unsigned int)port,
	       with_keys ? "API keys required" : "no keys file (loopback only, any key)",
	       threads, p->max_clients, per_ip);
	fflush(stdout);

	while (!*stop) {
		uint32_t ms = p->refresh_ms > 0 ? p->refresh_ms : 1000, slept = 0;
		while (slept < ms && !*stop) {
			uint32_t step = ms - slept < 100 ? ms - slept : 100;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000L };
			nanosleep(&ts, NULL);
			slept += step;
		}
		if (*stop)
			break;
		int r = db_store_refresh(p->store);
		if (r < 0)
			logf_("store refresh failed: %s", dnsift_strerror(r));
		keys_check_reload(&srv);
	}

	/* Cancel the producers and let them resume their connections before the daemon
	 * goes: a resume after MHD_stop_daemon would touch freed memory. */
	pthread_mutex_lock(&srv.lock);
	srv.stopping = true;
	for (struct stream *st = srv.streams; st != NULL; st = st->next) {
		pthread_mutex_lock(&st->lock);
		st->cancel = true;
		pthread_cond_broadcast(&st->space);
		pthread_mutex_unlock(&st->lock);
	}
	while (srv.producers > 0)
		pthread_cond_wait(&srv.idle, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	MHD_stop_daemon(srv.mhd);
out:
	api_keys_free(srv.keys);
	pthread_cond_destroy(&srv.idle);
	pthread_mutex_destroy(&srv.lock);
	pthread_rwlock_destroy(&srv.keys_lock);
	return rc;
}
