/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db/api_render: SAF / COF lines and the query runner (api_render.h).
 */
#define _GNU_SOURCE
#include "db/api_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/cof.h"
#include "wire/err.h"

#define FLUSH_AT 16384	/* bytes buffered before they go to the sink */

/* ---- buffer ---------------------------------------------------------------------- */

void api_buf_free(struct api_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void api_buf_reset(struct api_buf *b)
{
	b->len = 0;
}

static bool buf_room(struct api_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void api_buf_put(struct api_buf *b, const char *s, size_t n)
{
	if (!buf_room(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void api_buf_str(struct api_buf *b, const char *s)
{
	api_buf_put(b, s, strlen(s));
}

void api_buf_u64(struct api_buf *b, uint64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);

	api_buf_put(b, t, (size_t)n);
}

void api_buf_json_string(struct api_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);

	/* worst case 6 output bytes per input byte, plus the quotes */
	if (!buf_room(b, 6 * n + 2))
		return;
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				*o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0';
				*o++ = hex[c >> 4]; *o++ = hex[c & 15];
			} else {
				*o++ = (char)c;
			}
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

/* ---- lines ----------------------------------------------------------------------- */

void api_render_cond(struct api_buf *b, const char *cond, const char *msg)
{
	api_buf_str(b, "{\"cond\":");
	api_buf_json_string(b, cond);
	if (msg != NULL) {
		api_buf_str(b, ",\"msg\":");
		api_buf_json_string(b, msg);
	}
	api_buf_str(b, "}\n");
}

static void put_time(struct api_buf *b, const char *key, uint64_t t, bool human)
{
	api_buf_str(b, key);
	if (human) {
		char s[40];
		struct tm tm;
		time_t tt = (time_t)t;
		if (gmtime_r(&tt, &tm) != NULL &&
		    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) {
			api_buf_json_string(b, s);
			return;
		}
	}
	api_buf_u64(b, t);
}

static const char *class_text(uint16_t c, char *buf, size_t size)
{
	switch (c) {
	case 1: return "IN";
	case 2: return "CS";
	case 3: return "CH";
	case 4: return "HS";
	case 254: return "NONE";
	case 255: return "ANY";
	default:
		snprintf(buf, size, "CLASS%u", (unsigned int)c);
		return buf;
	}
}

/* The fields of one result inside "{...}", DNSDB's order. rdata_index < 0: all. */
static void result_fields(struct api_buf *b, const struct db_result *r, bool human,
			  int rdata_index)
{
	char tb[16], cb[16];

	api_buf_str(b, "\"count\":");
	api_buf_u64(b, r->count);
	put_time(b, ",\"time_first\":", r->time_first, human);
	put_time(b, ",\"time_last\":", r->time_last, human);
	api_buf_str(b, ",\"rrname\":");
	api_buf_json_string(b, r->rrname);
	api_buf_str(b, ",\"rrtype\":");
	api_buf_json_string(b, api_rrtype_text(r->rrtype, tb, sizeof(tb)));
	if (r->rrclass != 1 && r->rrclass != 0) {
		api_buf_str(b, ",\"rrclass\":");
		api_buf_json_string(b, class_text(r->rrclass, cb, sizeof(cb)));
	}
	if (r->bailiwick != NULL && r->bailiwick[0] != '\0') {
		api_buf_str(b, ",\"bailiwick\":");
		api_buf_json_string(b, r->bailiwick);
	}
	api_buf_str(b, ",\"rdata\":");
	if (rdata_index >= 0) {
		api_buf_json_string(b, r->rdata[rdata_index]);
	} else {
		api_buf_put(b, "[", 1);
		for (unsigned int i = 0; i < r->rdata_count; i++) {
			if (i)
				api_buf_put(b, ",", 1);
			api_buf_json_string(b, r->rdata[i]);
		}
		api_buf_put(b, "]", 1);
	}
}

void api_render_saf_result(struct api_buf *b, const struct db_result *r, bool humantime)
{
	api_buf_str(b, "{\"obj\":{");
	/* rdata lookups carry one rdata and no bailiwick: DNSDB gives it as a string */
	result_fields(b, r, humantime, r->bailiwick == NULL && r->rdata_count == 1 ? 0 : -1);
	api_buf_str(b, "}}\n");
}

void api_render_cof_lines(struct api_buf *b, const struct db_result *r)
{
	for (unsigned int i = 0; i < r->rdata_count; i++) {
		api_buf_put(b, "{", 1);
		result_fields(b, r, false, (int)i);
		api_buf_str(b, "}\n");
	}
}

void api_render_rate_limit(struct api_buf *b, uint64_t results_max)
{
	api_buf_str(b, "{\"rate\":{\"reset\":\"n/a\",\"limit\":\"unlimited\",\"remaining\":\"n/a\","
		    "\"results_max\":");
	api_buf_u64(b, results_max);
	api_buf_str(b, ",\"offset_max\":");
	api_buf_u64(b, API_OFFSET_MAX);
	api_buf_str(b, "}}\n");
}

/* ---- runner ---------------------------------------------------------------------- */

struct run {
	const struct api_request *req;
	api_sink_fn sink;
	void *arg;
	struct api_buf out;
	bool sink_stopped;
	/* offset / limit done here when one answer takes several store queries */
	bool self_paged;
	uint64_t skip, left;
	bool limited;
	/* summarize */
	uint64_t count, num_results, time_first, time_last;
	bool max_count_reached;
	uint64_t lines;			/* CIRCL: lines sent, against the cap */
};

static int flush(struct run *r, bool force)
{
	if (r->sink_stopped)
		return -1;
	if (r->out.oom) {
		r->sink_stopped = true;
		return -1;
	}
	if (r->out.len == 0 || (!force && r->out.len < FLUSH_AT))
		return 0;
	if (r->sink(r->arg, r->out.data, r->out.len) != 0) {
		r->sink_stopped = true;
		return -1;
	}
	api_buf_reset(&r->out);
	return 0;
}

static int on_result(void *arg, const struct db_result *res)
{
	struct run *r = arg;

	if (r->self_paged) {
		if (r->skip > 0) {
			r->skip--;
			return 0;
		}
		if (r->left == 0) {
			r->limited = true;	/* one more than the limit exists */
			return 1;
		}
		r->left--;
	}
	switch (r->req->endpoint) {
	case API_EP_SUMMARIZE:
		if (r->num_results == 0 || res->time_first < r->time_first)
			r->time_first = res->time_first;
		if (r->num_results == 0 || res->time_last > r->time_last)
			r->time_last = res->time_last;
		r->num_results++;
		r->count += res->count;
		if (r->req->max_count != 0 && r->count >= r->req->max_count) {
			r->max_count_reached = true;
			return 1;
		}
		return 0;
	case API_EP_CIRCL:
		api_render_cof_lines(&r->out, res);
		break;
	default:
		api_render_saf_result(&r->out, res, r->req->humantime);
		break;
	}
	return flush(r, false) != 0 ? 1 : 0;
}

/* Types an rdata/raw lookup without an RRTYPE tries: every type with a mnemonic
 * that can be data (not the query-only and meta types). */
static bool raw_candidate(unsigned int t)
{
	if (t == 0 || t == 41 || (t >= 249 && t <= 255))
		return false;
	return rrtype_name((uint16_t)t) != NULL;
}

/* One store query, or a loop of them; returns the store's status or a negative error. */
static int run_queries(struct db_store *s, struct run *r, struct db_query q, uint64_t limit)
{
	const struct api_request *req = r->req;
	int st;

	if (req->lookup == API_LOOKUP_RDATA_RAW && req->q.rdata == NULL) {
		size_t cap = API_RDATA_TEXT_MAX(req->raw_len) + 1;
		char *text = malloc(cap);
		if (text == NULL)
			return -DNSIFT_ENOMEM;
		r->self_paged = true;
		r->skip = q.offset;
		r->left = limit;
		q.offset = 0;
		q.limit = 0;
		st = DB_QUERY_COMPLETE;
		for (unsigned int t = 1; t < 65536; t++) {
			if (!raw_candidate(t))
				continue;
			if (rdata_to_text((uint16_t)t, req->raw, (uint16_t)req->raw_len, text, cap) < 0)
				continue;
			q.rrtype = t;
			q.rdata = text;
			st = db_store_query(s, &q, on_result, r);
			if (st != DB_QUERY_COMPLETE)
				break;
		}
		free(text);
		if (st == DB_QUERY_STOPPED && r->limited)
			return DB_QUERY_LIMITED;
		return st;
	}
	if (req->circl_name) {
		/* owner lookup, then the rdata that name appears in: one cap over both */
		r->self_paged = true;
		r->skip = 0;
		r->left = limit;
		q.limit = 0;
		st = db_store_query(s, &q, on_result, r);
		if (st == DB_QUERY_COMPLETE) {
			q.kind = DB_QUERY_RDATA_NAME;
			st = db_store_query(s, &q, on_result, r);
		}
		if (st == DB_QUERY_STOPPED && r->limited)
			return DB_QUERY_LIMITED;
		return st;
	}
	q.limit = limit;
	return db_store_query(s, &q, on_result, r);
}

int api_run(struct db_store *s, const struct api_request *req, uint64_t result_limit,
	    api_sink_fn sink, void *arg)
{
	struct run r;
	struct db_query q = req->q;
	uint64_t limit = result_limit;
	int st = DB_QUERY_COMPLETE;
	bool saf = req->endpoint != API_EP_CIRCL;

	memset(&r, 0, sizeof(r));
	r.req = req;
	r.sink = sink;
	r.arg = arg;
	if (req->limit_given && req->limit != 0 && req->limit < limit)
		limit = req->limit;
	if (saf)
		api_render_cond(&r.out, "begin", NULL);
	if (flush(&r, true) != 0)
		goto stopped;
	if (!req->match_nothing)
		st = run_queries(s, &r, q, limit);
	if (r.sink_stopped)
		goto stopped;
	if (req->endpoint == API_EP_SUMMARIZE && r.num_results > 0 && st >= 0) {
		api_buf_str(&r.out, "{\"obj\":{\"count\":");
		api_buf_u64(&r.out, r.count);
		api_buf_str(&r.out, ",\"num_results\":");
		api_buf_u64(&r.out, r.num_results);
		put_time(&r.out, ",\"time_first\":", r.time_first, req->humantime);
		put_time(&r.out, ",\"time_last\":", r.time_last, req->humantime);
		api_buf_str(&r.out, "}}\n");
	}
	if (saf) {
		if (st < 0)
			api_render_cond(&r.out, "failed", dnsift_strerror(st));
		else if (st == DB_QUERY_LIMITED)
			api_render_cond(&r.out, "limited", "Result limit reached");
		else
			api_render_cond(&r.out, "succeeded", NULL);
	}
	if (flush(&r, true) != 0)
		goto stopped;
	api_buf_free(&r.out);
	return 0;
stopped:
	api_buf_free(&r.out);
	return -1;
}
