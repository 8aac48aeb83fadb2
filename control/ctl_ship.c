/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/ctl_ship.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control/ctl_log.h"
#include "control/ctl_spool.h"
#include "control/ctl_time.h"
#include "wire/err.h"

enum collector_state {
	COLLECTOR_IDLE,
	COLLECTOR_UPLOADING,
	COLLECTOR_BACKOFF,
};

static const char *const state_names[] = { "idle", "uploading", "backoff" };

struct collector {
	const char *url;
	enum collector_state state;
	CURL *easy;
	FILE *body;
	char current[SPOOL_NAME_MAX];	/* segment being uploaded */
	char curl_error[CURL_ERROR_SIZE];
	uint64_t next_retry_ms;		/* monotonic */
	unsigned int consecutive_failures;
	uint64_t shipped, shipped_bytes, failures, resends;
	char last_error[512];
};

struct ship {
	const struct dnsift_conf *conf;
	struct ship_params params;
	struct spool *spool;
	CURLM *multi;
	struct curl_slist *headers;
	struct collector *collectors;
	unsigned int collector_count;
};

/* ---- uploads ---- */

static void abort_upload(struct ship *ship, struct collector *col)
{
	if (col->easy) {
		curl_multi_remove_handle(ship->multi, col->easy);
		curl_easy_cleanup(col->easy);
		col->easy = NULL;
	}
	if (col->body) {
		fclose(col->body);
		col->body = NULL;
	}
	col->current[0] = '\0';
	col->state = COLLECTOR_IDLE;
}

static void schedule_retry(struct ship *ship, struct collector *col)
{
	uint64_t delay = ship->conf->ship_retry_min_ms;
	unsigned int shift = col->consecutive_failures > 0 ? col->consecutive_failures - 1 : 0;

	/* Exponential, capped; "equal jitter" keeps at least half the delay so a dead
	 * collector is not hammered, while spreading many sensors' retries apart. */
	while (shift-- > 0 && delay < ship->conf->ship_retry_max_ms)
		delay *= 2;
	if (delay > ship->conf->ship_retry_max_ms)
		delay = ship->conf->ship_retry_max_ms;
	delay = delay / 2 + (uint64_t)random() % (delay / 2 + 1);
	col->next_retry_ms = ctl_mono_ms() + delay;
	col->state = COLLECTOR_BACKOFF;
}

static int start_upload(struct ship *ship, struct collector *col,
			const struct spool_segment *seg)
{
	char path[PATH_MAX], url[CONF_LONG_MAX + SPOOL_NAME_MAX + 2];
	size_t ulen = strlen(col->url);
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", spool_ready_dir(ship->spool), seg->name);
	col->body = fopen(path, "rb");
	if (col->body == NULL || fstat(fileno(col->body), &st) != 0) {
		snprintf(col->last_error, sizeof(col->last_error), "open %s: %s", seg->name,
			 strerror(errno));
		if (col->body)
			fclose(col->body);
		col->body = NULL;
		return -DNSIFT_EIO;
	}
	snprintf(url, sizeof(url), "%s%s%s", col->url,
		 ulen && col->url[ulen - 1] == '/' ? "" : "/", seg->name);
	col->easy = curl_easy_init();
	if (col->easy == NULL) {
		fclose(col->body);
		col->body = NULL;
		return -DNSIFT_ENOMEM;
	}
	curl_easy_setopt(col->easy, CURLOPT_URL, url);
	curl_easy_setopt(col->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(col->easy, CURLOPT_READDATA, col->body);
	curl_easy_setopt(col->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(col->easy, CURLOPT_PRIVATE, col);
	curl_easy_setopt(col->easy, CURLOPT_ERRORBUFFER, col->curl_error);
	curl_easy_setopt(col->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(col->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(col->easy, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(col->easy, CURLOPT_LOW_SPEED_TIME, (long)ship->params.low_speed_time_s);
	curl_easy_setopt(col->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ship->headers)
		curl_easy_setopt(col->easy, CURLOPT_HTTPHEADER, ship->headers);
	if (ship->conf->collector_ca[0])
		curl_easy_setopt(col->easy, CURLOPT_CAINFO, ship->conf->collector_ca);
	if (ship->conf->collector_cert[0]) {
		curl_easy_setopt(col->easy, CURLOPT_SSLCERT, ship->conf->collector_cert);
		curl_easy_setopt(col->easy, CURLOPT_SSLKEY, ship->conf->collector_key);
	}
	if (ship->conf->collector_insecure) {
		curl_easy_setopt(col->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(col->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	col->curl_error[0] = '\0';
	if (curl_multi_add_handle(ship->multi, col->easy) != CURLM_OK) {
		abort_upload(ship, col);
		return -DNSIFT_ENOMEM;
	}
	/* An inflight marker left by a killed process means this PUT repeats one. */
	if (spool_inflight_begin(ship->spool, seg->name, (unsigned int)(col - ship->collectors)))
		col->resends++;
	snprintf(col->current, sizeof(col->current), "%s", seg->name);
	col->state = COLLECTOR_UPLOADING;
	ctl_log(CTL_LOG_DEBUG, "PUT %s", url);
	return 0;
}

/* The spool forgets a ready/ segment (quota, or removed by hand): stop its uploads. */
static void forget_segment(void *arg, const char *name)
{
	struct ship *ship = arg;

	for (unsigned int c = 0; c < ship->collector_count; c++)
		if (strcmp(ship->collectors[c].current, name) == 0)
			abort_upload(ship, &ship->collectors[c]);
}

/* Give every idle collector whose retry time has come its oldest undelivered segment. */
static void kick(struct ship *ship)
{
	uint64_t now = ctl_mono_ms();

	for (unsigned int c = 0; c < ship->collector_count; c++) {
		struct collector *col = &ship->collectors[c];

		if (col->state == COLLECTOR_UPLOADING)
			continue;
		if (col->state == COLLECTOR_BACKOFF && now < col->next_retry_ms)
			continue;
		col->state = COLLECTOR_IDLE;
		for (size_t i = 0; i < spool_ready_count(ship->spool); i++) {
			const struct spool_segment *seg = spool_ready_at(ship->spool, i);

			if (seg->delivered & (1u << c))
				continue;
			if (start_upload(ship, col, seg) != 0) {
				col->failures++;
				col->consecutive_failures++;
				ctl_log(CTL_LOG_WARN, "collector %s: %s", col->url,
					col->last_error);
				schedule_retry(ship, col);
			}
			break;
		}
	}
}

static void upload_done(struct ship *ship, struct collector *col, CURLcode result)
{
	long status = 0;
	curl_off_t sent = 0;
	struct spool_segment *seg;
	unsigned int c = (unsigned int)(col - ship->collectors);

	curl_easy_getinfo(col->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(col->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
	seg = spool_ready_lookup(ship->spool, col->current);
	if (result == CURLE_OK && status >= 200 && status < 300) {
		col->shipped++;
		col->shipped_bytes += (uint64_t)sent;
		col->consecutive_failures = 0;
		if (seg)
			spool_delivered(ship->spool, seg, c);
		spool_inflight_end(ship->spool, col->current, c);
		ctl_log(CTL_LOG_DEBUG, "collector %s: %s stored (HTTP %ld)", col->url,
			col->current, status);
		abort_upload(ship, col);
		if (seg)
			spool_complete_if_delivered(ship->spool, seg);
		return;
	}
	if (result != CURLE_OK)
		snprintf(col->last_error, sizeof(col->last_error), "%s: %s", col->current,
			 col->curl_error[0] ? col->curl_error : curl_easy_strerror(result));
	else
		snprintf(col->last_error, sizeof(col->last_error), "%s: HTTP status %ld",
			 col->current, status);
	col->failures++;
	col->consecutive_failures++;
	ctl_log(CTL_LOG_WARN, "collector %s: upload failed: %s (failure %u in a row)",
		col->url, col->last_error, col->consecutive_failures);
	abort_upload(ship, col);
	schedule_retry(ship, col);
}

/* ---- life cycle ---- */

struct ship *ship_create(const struct ship_params *params)
{
	const struct dnsift_conf *conf = params->conf;
	struct ship *ship = calloc(1, sizeof(*ship));
	struct spool_params spool_params = { 0 };
	int saved;

	if (ship == NULL)
		return NULL;
	ship->conf = conf;
	ship->params = *params;
	if (ship->params.rescan_interval_ms == 0)
		ship->params.rescan_interval_ms = 10000;
	if (ship->params.low_speed_time_s == 0)
		ship->params.low_speed_time_s = 30;
	spool_params.conf = conf;
	spool_params.rescan_interval_ms = ship->params.rescan_interval_ms;
	spool_params.forget = forget_segment;
	spool_params.forget_arg = ship;
	ship->spool = spool_create(&spool_params);
	if (ship->spool == NULL) {
		saved = errno;
		goto fail;
	}
	ship->multi = curl_multi_init();
	if (ship->multi == NULL) {
		saved = ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < conf->collector_header_count; i++) {
		struct curl_slist *h = curl_slist_append(ship->headers, conf->collector_header[i]);

		if (h == NULL) {
			saved = ENOMEM;
			goto fail;
		}
		ship->headers = h;
	}
	ship->collector_count = conf->collector_count;
	ship->collectors = calloc(conf->collector_count ? conf->collector_count : 1,
				  sizeof(*ship->collectors));
	if (ship->collectors == NULL) {
		saved = ENOMEM;
		goto fail;
	}
	for (unsigned int c = 0; c < ship->collector_count; c++)
		ship->collectors[c].url = conf->collector[c];
	spool_rescan(ship->spool);
	spool_sweep_markers(ship->spool);
	kick(ship);
	return ship;
fail:
	ship_free(ship);
	errno = saved;
	return NULL;
}

void ship_free(struct ship *ship)
{
	if (ship == NULL)
		return;
	for (unsigned int c = 0; c < ship->collector_count && ship->collectors; c++)
		abort_upload(ship, &ship->collectors[c]);
	if (ship->multi)
		curl_multi_cleanup(ship->multi);
	curl_slist_free_all(ship->headers);
	spool_free(ship->spool);
	free(ship->collectors);
	free(ship);
}

int ship_poll(struct ship *ship, struct curl_waitfd *extra, unsigned int extra_count,
	      int timeout_ms)
{
	struct curl_waitfd *fds = extra;
	struct curl_waitfd local[65];
	uint64_t now = ctl_mono_ms(), due = spool_next_rescan_ms(ship->spool);
	unsigned int n = extra_count;
	int running, numfds = 0, queued;
	CURLMsg *msg;
	CURLMcode mc;

	/* The inotify descriptor rides along with the caller's. */
	if (extra_count < sizeof(local) / sizeof(local[0])) {
		memcpy(local, extra, extra_count * sizeof(*extra));
		local[n].fd = spool_event_fd(ship->spool);
		local[n].events = CURL_WAIT_POLLIN;
		local[n].revents = 0;
		n++;
		fds = local;
	}
	for (unsigned int c = 0; c < ship->collector_count; c++)
		if (ship->collectors[c].state == COLLECTOR_BACKOFF &&
		    ship->collectors[c].next_retry_ms < due)
			due = ship->collectors[c].next_retry_ms;
	if (due <= now)
		timeout_ms = 0;
	else if (due - now < (uint64_t)timeout_ms)
		timeout_ms = (int)(due - now);
	mc = curl_multi_poll(ship->multi, fds, n, timeout_ms, &numfds);
	if (mc != CURLM_OK) {
		ctl_log(CTL_LOG_ERR, "curl_multi_poll: %s", curl_multi_strerror(mc));
		return -DNSIFT_EIO;
	}
	if (fds == local) {
		memcpy(extra, local, extra_count * sizeof(*extra));
		if (local[extra_count].revents)
			spool_drain_events(ship->spool);
	} else {
		spool_drain_events(ship->spool);
	}
	curl_multi_perform(ship->multi, &running);
	while ((msg = curl_multi_info_read(ship->multi, &queued)) != NULL) {
		struct collector *col = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&col);
		if (col)
			upload_done(ship, col, msg->data.result);
	}
	if (ctl_mono_ms() >= spool_next_rescan_ms(ship->spool))
		spool_rescan(ship->spool);
	kick(ship);
	return 0;
}

/* ---- reports ---- */

void ship_report_counters(const struct ship *ship, struct ctl_report *r)
{
	uint64_t shipped = 0, bytes = 0, failures = 0, resends = 0;
	struct spool_stats sp;

	for (unsigned int c = 0; c < ship->collector_count; c++) {
		shipped += ship->collectors[c].shipped;
		bytes += ship->collectors[c].shipped_bytes;
		failures += ship->collectors[c].failures;
		resends += ship->collectors[c].resends;
	}
	spool_stats(ship->spool, &sp);
	ctl_report_u64(r, "control.segments_seen", sp.segments_seen);
	ctl_report_u64(r, "control.segments_completed", sp.segments_completed);
	ctl_report_u64(r, "control.uploads_ok", shipped);
	ctl_report_u64(r, "control.uploads_failed", failures);
	ctl_report_u64(r, "control.uploads_resent", resends);
	ctl_report_u64(r, "control.bytes_shipped", bytes);
	ctl_report_u64(r, "control.spool_ready_segments", sp.ready_segments);
	ctl_report_u64(r, "control.spool_ready_bytes", sp.ready_bytes);
	ctl_report_u64(r, "control.spool_sent_segments", sp.sent_segments);
	ctl_report_u64(r, "control.spool_sent_bytes", sp.sent_bytes);
	ctl_report_u64(r, "control.spool_quota_bytes", ship->conf->spool_quota);
	ctl_report_u64(r, "control.discarded_unshipped_segments", sp.discarded_ready);
	ctl_report_u64(r, "control.discarded_unshipped_bytes", sp.discarded_ready_bytes);
	ctl_report_u64(r, "control.discarded_sent_segments", sp.discarded_sent);
	ctl_report_u64(r, "control.discarded_sent_bytes", sp.discarded_sent_bytes);
	ctl_report_u64(r, "control.files_ignored", sp.files_ignored);
	ctl_report_u64(r, "control.inotify_overflows", sp.inotify_overflows);
	ctl_report_u64(r, "control.spool_fs_errors", sp.fs_errors);
}

void ship_rescan(struct ship *ship)
{
	spool_rescan(ship->spool);
}

void ship_report_collectors(const struct ship *ship, struct ctl_report *r)
{
	uint64_t now = ctl_mono_ms();
	char name[64];

	ctl_report_u64(r, "collectors", ship->collector_count);
	for (unsigned int c = 0; c < ship->collector_count; c++) {
		const struct collector *col = &ship->collectors[c];
		uint64_t queued = 0;

		for (size_t i = 0; i < spool_ready_count(ship->spool); i++)
			if (!(spool_ready_at(ship->spool, i)->delivered & (1u << c)))
				queued++;
#define KEY(k) (snprintf(name, sizeof(name), "collector.%u." k, c), name)
		ctl_report_str(r, KEY("url"), col->url);
		ctl_report_str(r, KEY("state"), state_names[col->state]);
		ctl_report_u64(r, KEY("queued"), queued);
		ctl_report_u64(r, KEY("shipped"), col->shipped);
		ctl_report_u64(r, KEY("shipped_bytes"), col->shipped_bytes);
		ctl_report_u64(r, KEY("failures"), col->failures);
		ctl_report_u64(r, KEY("consecutive_failures"), col->consecutive_failures);
		ctl_report_u64(r, KEY("resent"), col->resends);
		ctl_report_u64(r, KEY("next_retry_ms"),
			       col->state == COLLECTOR_BACKOFF && col->next_retry_ms > now ?
			       col->next_retry_ms - now : 0);
		ctl_report_str(r, KEY("current"), col->current);
		ctl_report_str(r, KEY("last_error"), col->last_error);
#undef KEY
	}
}

void ship_report_spool(const struct ship *ship, struct ctl_report *r)
{
	spool_report(ship->spool, r);
}
