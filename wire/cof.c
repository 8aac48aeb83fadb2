/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * COF rendering: one canonical RRset key plus its window statistics become one
 * NDJSON line (see wire/cof.h for the field order).
 *
 * The record is written in one pass straight into the caller's buffer through
 * the JSON-mode text writer (wire/rdata_text.h): no scratch copy and no
 * allocation, since this runs for every expired record on the housekeeping
 * thread. Presentation text is printable ASCII by construction, so escaping
 * '"' and '\' is all JSON needs there; sensor_id is operator input and gets a
 * full JSON escape (control bytes and bytes >= 0x80 as \u00XX, i.e. read as
 * Latin-1, so the line stays valid UTF-8 whatever the configuration holds).
 */
#include <limits.h>
#include <string.h>

#include "wire/cof.h"
#include "wire/err.h"
#include "wire/rdata_text.h"
#include "wire/rrkey.h"

static const char *rrclass_name(uint16_t rrclass)
{
	switch (rrclass) {
	case 2:
		return "CS";
	case 3:
		return "CH";
	case 4:
		return "HS";
	case 254:
		return "NONE";
	case 255:
		return "ANY";
	default:
		return NULL;
	}
}

static void json_sensor_id(struct text_out *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		uint8_t b = (uint8_t)*s;
		if (b < 0x20 || b >= 0x7f) {
			text_raw_mem(t, "\\u00", 4);
			text_raw(t, hex[b >> 4]);
			text_raw(t, hex[b & 0x0f]);
		} else {
			text_char(t, (char)b);
		}
	}
}

#define LIT(t, s) text_raw_mem((t), (s), sizeof(s) - 1)

int cof_render(const uint8_t *key, size_t key_len, const struct cof_meta *meta, char *out,
	       size_t out_size)
{
	struct rrkey_view v;
	struct text_out t;
	const uint8_t *rdata;
	const char *name;
	uint16_t rdlen;
	size_t pos = 0;

	if (!key || !meta || !out)
		return -DNSIFT_EINVAL;
	if (out_size)
		out[0] = '\0';
	/* Past RRKEY_MAX_LEN no wire path built it, and the length could outgrow an int. */
	if (key_len > RRKEY_MAX_LEN || rrkey_view_init(&v, key, key_len))
		return -DNSIFT_EFORMAT;
	text_out_init(&t, out, out_size, true);

	LIT(&t, "{\"rrname\":\"");
	if (text_name(&t, v.owner, v.owner_len))
		goto corrupt;
	LIT(&t, "\",\"rrtype\":");
	name = rrtype_name(v.rrtype);
	if (name) {
		text_raw(&t, '"');
		text_str(&t, name);
		text_raw(&t, '"');
	} else {
		text_u64(&t, v.rrtype);
	}
	if (v.rrclass != 1) {
		LIT(&t, ",\"rrclass\":");
		name = rrclass_name(v.rrclass);
		if (name) {
			text_raw(&t, '"');
			text_str(&t, name);
			text_raw(&t, '"');
		} else {
			text_u64(&t, v.rrclass);
		}
	}
	LIT(&t, ",\"rdata\":[");
	while (rrkey_next_rdata(&v, &pos, &rdata, &rdlen)) {
		if (rdata != v.rdata + 2)
			text_raw(&t, ',');
		text_raw(&t, '"');
		text_rdata(&t, v.rrtype, rdata, rdlen);
		text_raw(&t, '"');
	}
	LIT(&t, "],\"time_first\":");
	text_u64(&t, meta->time_first);
	LIT(&t, ",\"time_last\":");
	text_u64(&t, meta->time_last);
	LIT(&t, ",\"count\":");
	text_u64(&t, meta->count);
	if (v.bailiwick) {
		LIT(&t, ",\"bailiwick\":\"");
		if (text_name(&t, v.bailiwick, v.bailiwick_len))
			goto corrupt;
		text_raw(&t, '"');
	}
	if (meta->sensor_id && meta->sensor_id[0]) {
		LIT(&t, ",\"sensor_id\":\"");
		json_sensor_id(&t, meta->sensor_id);
		text_raw(&t, '"');
	}
	if (v.flags & RRKEY_F_UNMATCHED)
		LIT(&t, ",\"unmatched\":true");
	LIT(&t, "}\n");
	if (t.len > INT_MAX)
		return -DNSIFT_ENOSPACE;
	return text_out_finish(&t, out_size);

corrupt:
	if (out_size)
		out[0] = '\0';
	return -DNSIFT_EFORMAT;
}

/*
 * Why this is an upper bound. A key of key_len octets holds 9 octets of fixed
 * fields, the owner (L1), the bailiwick (L2) and the rdata area (R, each
 * rdata n_i plus its 2-octet length), so L1 + L2 + R <= key_len. The output is
 *   - fixed JSON text: 11 + 11 + 10 + 15 + 13 + 9 + 14 + 1 + 14 + 1 + 17 + 2
 *     = 118 characters (every key and quote the line can hold), the NUL 1;
 *   - rrtype <= 12 ("\"NSEC3PARAM\""), rrclass 11 + 6 ("\"NONE\"");
 *   - three 64-bit numbers, <= 20 digits each;
 *   - a name of L octets: each label of n octets gives at most n JSON-escaped
 *     \DDD (5 characters) and one '.', so <= 5 (n + 1); the root label gives
 *     "." only for the root name: <= 5 L in all;
 *   - each rdata: its text, <= TEXT_RDATA_JSON_MAX(n_i) = 80 n_i + 10
 *     (rdata_text.c), two quotes and a comma: 80 n_i + 13 <= 80 (n_i + 2),
 *     so <= 80 R for the whole array;
 *   - sensor_id: <= 6 characters ("\u00XX") per byte.
 * 118 + 1 + 12 + 17 + 60 = 208 <= 256, and 5 (L1 + L2) + 80 R <= 80 key_len.
 * Keys longer than RRKEY_MAX_LEN are refused by cof_render, so clamping them
 * keeps the product from overflowing.
 */
size_t cof_render_bound(size_t key_len, const char *sensor_id)
{
	size_t sid = sensor_id ? strlen(sensor_id) : 0;

	if (key_len > RRKEY_MAX_LEN)
		key_len = RRKEY_MAX_LEN;
	return 256u + 80u * key_len + 6u * sid;
}
