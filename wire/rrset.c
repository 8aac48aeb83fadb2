/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RRset grouping and canonical keys: see rrset.h and rrkey.h.
 *
 * One sort of RR indices by (section, type, class, owner, rdata) makes every
 * RRset a contiguous run with its rdata already in key order and exact
 * duplicates adjacent. Shell sort: in place, no allocation, and for the usual
 * handful of RRs it is plain insertion sort.
 */
#include "wire/rrset.h"

#include <string.h>
#include <xxhash.h>

uint64_t rrkey_hash(const uint8_t *key, size_t len)
{
	return XXH3_64bits(key, len);
}

/* RFC 4034 6.3: left-justified octet strings, the shorter first on a common prefix. */
static int rdata_cmp(const struct dns_rr *a, const struct dns_rr *b)
{
	size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	int c = n ? memcmp(a->rdata, b->rdata, n) : 0;

	if (c)
		return c;
	return (int)a->rdlen - (int)b->rdlen;
}

/* Same (section, type, class, owner): 0; otherwise an arbitrary total order. */
static int group_cmp(const struct dns_rr *a, const struct dns_rr *b)
{
	if (a->section != b->section)
		return (int)a->section - (int)b->section;
	if (a->rrtype != b->rrtype)
		return (int)a->rrtype - (int)b->rrtype;
	if (a->rrclass != b->rrclass)
		return (int)a->rrclass - (int)b->rrclass;
	if (a->owner_len != b->owner_len)
		return (int)a->owner_len - (int)b->owner_len;
	if (a->owner == b->owner)
		return 0;
	return memcmp(a->owner, b->owner, a->owner_len);
}

static int rr_cmp(const struct dns_rr *a, const struct dns_rr *b)
{
	int c = group_cmp(a, b);

	return c ? c : rdata_cmp(a, b);
}

static void sort_rrs(const struct dns_rr *rr, uint16_t *idx, unsigned n)
{
	/* Ciura's gaps; below 4 RRs only the final insertion pass runs. */
	static const unsigned gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned gap = gaps[g];

		if (gap >= n)
			continue;
		for (unsigned i = gap; i < n; i++) {
			uint16_t v = idx[i];
			unsigned j = i;

			while (j >= gap && rr_cmp(&rr[idx[j - gap]], &rr[v]) > 0) {
				idx[j] = idx[j - gap];
				j -= gap;
			}
			idx[j] = v;
		}
	}
}

/* End of the run of idx[start..] sharing one group, and the set's size. */
static unsigned group_end(const struct dns_rr *rr, const uint16_t *idx, unsigned start,
			  unsigned n, size_t *rdata_bytes, unsigned *distinct)
{
	const struct dns_rr *first = &rr[idx[start]];
	const struct dns_rr *prev = first;
	size_t bytes = 2u + first->rdlen;
	unsigned count = 1;
	unsigned end = start + 1;

	for (; end < n; end++) {
		const struct dns_rr *cur = &rr[idx[end]];

		if (group_cmp(first, cur) != 0)
			break;
		if (rdata_cmp(prev, cur) != 0) {
			bytes += 2u + cur->rdlen;
			count++;
		}
		prev = cur;
	}
	*rdata_bytes = bytes;
	*distinct = count;
	return end;
}

/* Key header before the rdata: version, flags, type, class, owner, bailiwick, count. */
static size_t key_fixed_len(const struct dns_rr *rr, const struct rrset_params *p)
{
	return 1 + 1 + 2 + 2 + 1 + (size_t)rr->owner_len + 1 + p->bailiwick_len + 2;
}

static bool set_dropped(const struct dns_rr *first, const struct rrset_params *p)
{
	return !p->keep_out_of_bailiwick &&
	       rrset_out_of_bailiwick(first->owner, first->owner_len, p->bailiwick,
				      p->bailiwick_len);
}

int rrset_extract(const struct dns_msg *msg, const struct rrset_params *params, rrset_fn fn,
		  void *arg, struct rrset_result *res)
{
	struct rrset_result local;
	uint16_t idx[DNS_MAX_RRS];
	unsigned n;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!msg || !params || !params->key || !fn || msg->rr_count > DNS_MAX_RRS ||
	    (params->bailiwick_len && !params->bailiwick))
		return -DNSIFT_EINVAL;
	n = msg->rr_count;
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		idx[i] = (uint16_t)i;
	if (n > 1)
		sort_rrs(msg->rr, idx, n);

	/*
	 * Size every kept set first so one that cannot fit rejects the message
	 * whole. Skipped when even all RRs in one key would fit: a key holds one
	 * owner and bailiwick, and rdata no larger than what the parser stored.
	 */
	size_t bound = 1 + 1 + 2 + 2 + 1 + DNS_NAME_MAX + 1 + DNS_NAME_MAX + 2 + 2u * n +
		       msg->scratch_used;

	for (unsigned start = 0; bound > params->key_size && start < n;) {
		const struct dns_rr *first = &msg->rr[idx[start]];
		size_t bytes;
		unsigned distinct;
		unsigned end = group_end(msg->rr, idx, start, n, &bytes, &distinct);

		if (!set_dropped(first, params) &&
		    key_fixed_len(first, params) + bytes > params->key_size)
			return -DNSIFT_EDNS_RRSET_TOO_BIG;
		start = end;
	}

	for (unsigned start = 0; start < n;) {
		const struct dns_rr *first = &msg->rr[idx[start]];
		const struct dns_rr *prev = NULL;
		uint8_t *key = params->key;
		uint8_t *k = key;
		uint8_t *count_at;
		uint16_t distinct = 0;
		uint32_t min_ttl = UINT32_MAX;
		unsigned end = start;
		bool out = rrset_out_of_bailiwick(first->owner, first->owner_len,
						  params->bailiwick, params->bailiwick_len);

		if (out && !params->keep_out_of_bailiwick) {
			size_t bytes;
			unsigned d;

			res->out_of_bailiwick++;
			res->out_of_bailiwick_by_section[first->section & 3]++;
			start = group_end(msg->rr, idx, start, n, &bytes, &d);
			continue;
		}
		*k++ = RRKEY_VERSION;
		*k++ = params->flags;
		wire_put_u16(k, first->rrtype);
		wire_put_u16(k + 2, first->rrclass);
		k += 4;
		*k++ = first->owner_len;
		memcpy(k, first->owner, first->owner_len);
		k += first->owner_len;
		*k++ = params->bailiwick_len;
		if (params->bailiwick_len)
			memcpy(k, params->bailiwick, params->bailiwick_len);
		k += params->bailiwick_len;
		count_at = k;
		k += 2;
		for (; end < n; end++) {
			const struct dns_rr *cur = &msg->rr[idx[end]];

			if (cur != first && group_cmp(first, cur) != 0)
				break;
			if (cur->ttl < min_ttl)
				min_ttl = cur->ttl;
			if (prev && rdata_cmp(prev, cur) == 0)
				continue;
			wire_put_u16(k, cur->rdlen);
			if (cur->rdlen)
				memcpy(k + 2, cur->rdata, cur->rdlen);
			k += 2u + cur->rdlen;
			distinct++;
			prev = cur;
		}
		wire_put_u16(count_at, distinct);

		struct rrset_view v = {
			.section = first->section,
			.rrtype = first->rrtype,
			.rrclass = first->rrclass,
			.owner = first->owner,
			.owner_len = first->owner_len,
			.rr_count = distinct,
			.rr_seen = (uint16_t)(end - start),
			.min_ttl = min_ttl,
			.out_of_bailiwick = out,
		};
		uint32_t key_len = (uint32_t)(k - key);

		if (out) {
			res->out_of_bailiwick++;
			res->out_of_bailiwick_by_section[first->section & 3]++;
		}
		int rc = fn(arg, &v, key, key_len, rrkey_hash(key, key_len));

		if (rc < 0)
			return rc;
		res->sets++;
		res->rrs += v.rr_seen;
		start = end;
	}
	return (int)res->sets;
}

bool rrset_out_of_bailiwick(const uint8_t *owner, size_t owner_len,
			    const uint8_t *bailiwick, size_t bailiwick_len)
{
	if (bailiwick_len == 0 || !bailiwick)
		return false;
	return !dns_name_is_subdomain(owner, owner_len, bailiwick, bailiwick_len);
}

int dns_msg_bailiwick(const struct dns_msg *msg, uint8_t out[DNS_NAME_MAX], uint8_t *len)
{
	return dns_msg_bailiwick_from(msg, out, len, NULL);
}

int dns_msg_bailiwick_from(const struct dns_msg *msg, uint8_t out[DNS_NAME_MAX], uint8_t *len,
			   enum dns_bailiwick_source *source)
{
	enum dns_bailiwick_source ignored;

	if (!source)
		source = &ignored;
	*source = DNS_BAILIWICK_UNKNOWN;
	if (!msg || !out || !len)
		return -DNSIFT_EINVAL;
	*len = 0;
	if (!msg->has_question)
		return 0;

	for (unsigned i = 0; i < msg->rr_count; i++) {
		const struct dns_rr *rr = &msg->rr[i];

		if (rr->section == DNS_SECTION_AUTHORITY && rr->rrtype == DNS_TYPE_SOA &&
		    dns_name_is_subdomain(msg->qname, msg->qname_len, rr->owner, rr->owner_len)) {
			memcpy(out, rr->owner, rr->owner_len);
			*len = rr->owner_len;
			*source = DNS_BAILIWICK_SOA;
			return 0;
		}
	}
	if (msg->section_rrs[DNS_SECTION_ANSWER] != 0 || msg->aa)
		return 0;
	for (unsigned i = 0; i < msg->rr_count; i++) {
		const struct dns_rr *rr = &msg->rr[i];
		const uint8_t *parent;
		size_t parent_len;

		if (rr->section != DNS_SECTION_AUTHORITY || rr->rrtype != DNS_TYPE_NS ||
		    !dns_name_is_subdomain(msg->qname, msg->qname_len, rr->owner, rr->owner_len))
			continue;
		parent = dns_name_parent(rr->owner, rr->owner_len, &parent_len);
		if (!parent)
			return 0;	/* a root referral names no delegating zone */
		memcpy(out, parent, parent_len);
		*len = (uint8_t)parent_len;
		*source = DNS_BAILIWICK_REFERRAL;
		return 0;
	}
	return 0;
}
