/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * upstream: resolver-prefix and DNS-port classification (see upstream.h).
 *
 * Why a linear scan: deployments configure one to a few dozen resolver prefixes,
 * the scan runs only for packets that touch a DNS port, and a compare is two
 * masked 64-bit words, so a flat array beats a trie until the hundreds; the
 * bound is max_prefixes. The table is sorted only so the CLI listing and
 * duplicate checks are stable; lookups do not rely on it.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "dataplane/upstream.h"

struct prefix4 {
	uint32_t addr;	/* host order, host bits zero */
	uint32_t mask;
	uint8_t len;
};

struct prefix6 {
	uint64_t hi, lo;	/* host order, host bits zero */
	uint64_t mask_hi, mask_lo;
	uint8_t len;
};

/* Immutable once published: workers read it without any synchronisation. */
struct upstream_table {
	unsigned int count4;
	unsigned int count6;
	struct prefix4 *v4;
	struct prefix6 *v6;
	/* the arrays follow in the same allocation */
};

struct upstream {
	struct upstream_table *table;		/* RCU-protected */
	pthread_mutex_t update_lock;		/* serialises writers; never taken by workers */
	unsigned int max_prefixes;
	unsigned int count;			/* mirror of table size for any thread */
	uint64_t dns_ports[65536 / 64];		/* immutable after create */
};

/* A parsed prefix, either family, before it goes into a table. */
struct prefix_any {
	int family;
	struct prefix4 p4;
	struct prefix6 p6;
};

static inline bool port_is_dns(const struct upstream *u, uint16_t port)
{
	return (u->dns_ports[port >> 6] >> (port & 63)) & 1;
}

static struct upstream_table *table_alloc(unsigned int count4, unsigned int count6)
{
	size_t size = sizeof(struct upstream_table) + (size_t)count4 * sizeof(struct prefix4) +
		      (size_t)count6 * sizeof(struct prefix6) + sizeof(uint64_t);
	struct upstream_table *t = calloc(1, size);
	uintptr_t p;

	if (t == NULL)
		return NULL;
	t->count4 = count4;
	t->count6 = count6;
	/* prefix6 needs 8-byte alignment; place it first after the header. */
	p = (uintptr_t)(t + 1);
	p = (p + 7) & ~(uintptr_t)7;
	t->v6 = (struct prefix6 *)p;
	t->v4 = (struct prefix4 *)(t->v6 + count6);
	return t;
}

struct upstream *upstream_create(const struct upstream_params *params)
{
	struct upstream *u;
	unsigned int i;

	if (params == NULL || (params->dns_port_count > 0 && params->dns_ports == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < params->dns_port_count; i++) {
		if (params->dns_ports[i] == 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->max_prefixes = params->max_prefixes ? params->max_prefixes
					       : UPSTREAM_DEFAULT_MAX_PREFIXES;
	if (params->dns_port_count == 0) {
		u->dns_ports[UPSTREAM_DEFAULT_DNS_PORT >> 6] |=
			1ull << (UPSTREAM_DEFAULT_DNS_PORT & 63);
	} else {
		for (i = 0; i < params->dns_port_count; i++)
			u->dns_ports[params->dns_ports[i] >> 6] |=
				1ull << (params->dns_ports[i] & 63);
	}
	u->table = table_alloc(0, 0);
	if (u->table == NULL) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&u->update_lock, NULL) != 0) {
		free(u->table);
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	return u;
}

void upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	pthread_mutex_destroy(&u->update_lock);
	free(u->table);
	free(u);
}

static uint64_t mask64(unsigned int bits)
{
	if (bits == 0)
		return 0;
	if (bits >= 64)
		return UINT64_MAX;
	return UINT64_MAX << (64 - bits);
}

/* Parse "ADDRESS[/LENGTH]" strictly: no spaces, no signs, no leading junk. */
static int prefix_parse(const char *text, struct prefix_any *out)
{
	char addr_text[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t addr_len;
	unsigned long len = 0;
	bool has_len = false;
	uint8_t raw[16];

	if (text == NULL)
		return -DNSIFT_EUPSTREAM_CIDR;
	slash = strchr(text, '/');
	addr_len = slash ? (size_t)(slash - text) : strlen(text);
	if (addr_len == 0 || addr_len >= sizeof(addr_text))
		return -DNSIFT_EUPSTREAM_CIDR;
	memcpy(addr_text, text, addr_len);
	addr_text[addr_len] = '\0';
	if (slash) {
		const char *d = slash + 1;

		if (*d == '\0' || strlen(d) > 3)
			return -DNSIFT_EUPSTREAM_CIDR;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -DNSIFT_EUPSTREAM_CIDR;
			len = len * 10 + (unsigned long)(*d - '0');
		}
		has_len = true;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr_text, raw) == 1) {
		uint32_t a;

		if (!has_len)
			len = 32;
		if (len > 32)
			return -DNSIFT_EUPSTREAM_CIDR;
		memcpy(&a, raw, 4);
		out->family = AF_INET;
		out->p4.len = (uint8_t)len;
		out->p4.mask = (uint32_t)(mask64((unsigned int)len) >> 32);
		out->p4.addr = be32toh(a);
		if (out->p4.addr & ~out->p4.mask)
			return -DNSIFT_EUPSTREAM_HOST_BITS;
		return 0;
	}
	if (inet_pton(AF_INET6, addr_text, raw) == 1) {
		uint64_t hi, lo;

		if (!has_len)
			len = 128;
		if (len > 128)
			return -DNSIFT_EUPSTREAM_CIDR;
		memcpy(&hi, raw, 8);
		memcpy(&lo, raw + 8, 8);
		out->family = AF_INET6;
		out->p6.len = (uint8_t)len;
		out->p6.hi = be64toh(hi);
		out->p6.lo = be64toh(lo);
		out->p6.mask_hi = mask64((unsigned int)len);
		out->p6.mask_lo = len > 64 ? mask64((unsigned int)len - 64) : 0;
		if ((out->p6.hi & ~out->p6.mask_hi) || (out->p6.lo & ~out->p6.mask_lo))
			return -DNSIFT_EUPSTREAM_HOST_BITS;
		return 0;
	}
	return -DNSIFT_EUPSTREAM_CIDR;
}

static int prefix4_cmp(const struct prefix4 *a, const struct prefix4 *b)
{
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (int)a->len - (int)b->len;
}

static int prefix6_cmp(const struct prefix6 *a, const struct prefix6 *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (int)a->len - (int)b->len;
}

/* Publish next (may be NULL = keep the current table) and free the old one. */
static void table_replace(struct upstream *u, struct upstream_table *next)
{
	struct upstream_table *old = u->table;

	rcu_assign_pointer(u->table, next);
	__atomic_store_n(&u->count, next->count4 + next->count6, __ATOMIC_RELAXED);
	/* Workers may still hold old until their next quiescent state. */
	synchronize_rcu();
	free(old);
}

/*
 * Build a copy of cur with p inserted (insert) or removed (!insert), keeping each
 * family sorted. Returns 0 and *out, or a negative code.
 */
static int table_edit(const struct upstream *u, const struct upstream_table *cur,
		      const struct prefix_any *p, bool insert, struct upstream_table **out)
{
	unsigned int n4 = cur->count4, n6 = cur->count6, i, pos = 0;
	bool found = false;
	struct upstream_table *t;

	if (p->family == AF_INET) {
		for (pos = 0; pos < n4; pos++) {
			int c = prefix4_cmp(&cur->v4[pos], &p->p4);

			if (c == 0)
				found = true;
			if (c >= 0)
				break;
		}
	} else {
		for (pos = 0; pos < n6; pos++) {
			int c = prefix6_cmp(&cur->v6[pos], &p->p6);

			if (c == 0)
				found = true;
			if (c >= 0)
				break;
		}
	}
	if (insert && found)
		return -DNSIFT_EEXISTS;
	if (!insert && !found)
		return -DNSIFT_ENOTFOUND;
	if (insert && n4 + n6 >= u->max_prefixes)
		return -DNSIFT_ELIMIT;
	if (p->family == AF_INET)
		n4 = insert ? n4 + 1 : n4 - 1;
	else
		n6 = insert ? n6 + 1 : n6 - 1;
	t = table_alloc(n4, n6);
	if (t == NULL)
		return -DNSIFT_ENOMEM;
	if (p->family == AF_INET) {
		memcpy(t->v6, cur->v6, (size_t)cur->count6 * sizeof(struct prefix6));
		for (i = 0; i < pos; i++)
			t->v4[i] = cur->v4[i];
		if (insert) {
			t->v4[pos] = p->p4;
			for (i = pos; i < cur->count4; i++)
				t->v4[i + 1] = cur->v4[i];
		} else {
			for (i = pos + 1; i < cur->count4; i++)
				t->v4[i - 1] = cur->v4[i];
		}
	} else {
		memcpy(t->v4, cur->v4, (size_t)cur->count4 * sizeof(struct prefix4));
		for (i = 0; i < pos; i++)
			t->v6[i] = cur->v6[i];
		if (insert) {
			t->v6[pos] = p->p6;
			for (i = pos; i < cur->count6; i++)
				t->v6[i + 1] = cur->v6[i];
		} else {
			for (i = pos + 1; i < cur->count6; i++)
				t->v6[i - 1] = cur->v6[i];
		}
	}
	*out = t;
	return 0;
}

static int upstream_update(struct upstream *u, const char *cidr, bool insert)
{
	struct prefix_any p;
	struct upstream_table *next = NULL;
	int rc;

	if (u == NULL)
		return -DNSIFT_EINVAL;
	rc = prefix_parse(cidr, &p);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&u->update_lock);
	/* Only writers replace the table and they hold the lock: a plain read is safe. */
	rc = table_edit(u, u->table, &p, insert, &next);
	if (rc == 0)
		table_replace(u, next);
	pthread_mutex_unlock(&u->update_lock);
	return rc;
}

int upstream_add(struct upstream *u, const char *cidr)
{
	return upstream_update(u, cidr, true);
}

int upstream_del(struct upstream *u, const char *cidr)
{
	return upstream_update(u, cidr, false);
}

int upstream_clear(struct upstream *u)
{
	struct upstream_table *next;

	if (u == NULL)
		return -DNSIFT_EINVAL;
	next = table_alloc(0, 0);
	if (next == NULL)
		return -DNSIFT_ENOMEM;
	pthread_mutex_lock(&u->update_lock);
	table_replace(u, next);
	pthread_mutex_unlock(&u->update_lock);
	return 0;
}

int upstream_list(struct upstream *u, char *buf, size_t size)
{
	const struct upstream_table *t;
	size_t used = 0;
	unsigned int i;
	int rc = 0;

	if (u == NULL || buf == NULL || size == 0)
		return -DNSIFT_EINVAL;
	buf[0] = '\0';
	/* Holding the writer lock keeps the table alive without being an RCU reader. */
	pthread_mutex_lock(&u->update_lock);
	t = u->table;
	for (i = 0; i < t->count4 + t->count6 && rc == 0; i++) {
		char addr[INET6_ADDRSTRLEN];
		uint8_t raw[16];
		unsigned int len;
		int n;

		if (i < t->count4) {
			uint32_t a = htobe32(t->v4[i].addr);

			memcpy(raw, &a, 4);
			inet_ntop(AF_INET, raw, addr, sizeof(addr));
			len = t->v4[i].len;
		} else {
			const struct prefix6 *p = &t->v6[i - t->count4];
			uint64_t hi = htobe64(p->hi), lo = htobe64(p->lo);

			memcpy(raw, &hi, 8);
			memcpy(raw + 8, &lo, 8);
			inet_ntop(AF_INET6, raw, addr, sizeof(addr));
			len = p->len;
		}
		n = snprintf(buf + used, size - used, "%s/%u\n", addr, len);
		if (n < 0 || (size_t)n >= size - used)
			rc = -DNSIFT_ENOSPACE;
		else
			used += (size_t)n;
	}
	pthread_mutex_unlock(&u->update_lock);
	if (rc < 0) {
		buf[0] = '\0';
		return rc;
	}
	return (int)used;
}

unsigned int upstream_prefix_count(struct upstream *u)
{
	return __atomic_load_n(&u->count, __ATOMIC_RELAXED);
}

static inline bool in_set4(const struct upstream_table *t, uint32_t a)
{
	unsigned int i;

	for (i = 0; i < t->count4; i++)
		if ((a & t->v4[i].mask) == t->v4[i].addr)
			return true;
	return false;
}

static inline bool in_set6(const struct upstream_table *t, uint64_t hi, uint64_t lo)
{
	unsigned int i;

	for (i = 0; i < t->count6; i++) {
		const struct prefix6 *p = &t->v6[i];

		if ((hi & p->mask_hi) == p->hi && (lo & p->mask_lo) == p->lo)
			return true;
	}
	return false;
}

static inline bool in_set(const struct upstream_table *t, int family, const uint8_t *addr)
{
	if (family == AF_INET) {
		uint32_t a;

		memcpy(&a, addr, 4);
		return in_set4(t, be32toh(a));
	} else {
		uint64_t hi, lo;

		memcpy(&hi, addr, 8);
		memcpy(&lo, addr + 8, 8);
		return in_set6(t, be64toh(hi), be64toh(lo));
	}
}

enum upstream_class upstream_classify(const struct upstream *u, int family, const uint8_t *src,
				      uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	const struct upstream_table *t;
	bool sd = port_is_dns(u, sport), dd = port_is_dns(u, dport);
	bool sr, dr;
	enum upstream_class c;

	if (!sd && !dd)
		return UPSTREAM_OTHER;
	if (family != AF_INET && family != AF_INET6)
		return UPSTREAM_OTHER;
	/* QSBR: the read-side markers are free; they document the critical section. */
	rcu_read_lock();
	t = rcu_dereference(((struct upstream *)u)->table);
	if (t->count4 + t->count6 == 0) {
		rcu_read_unlock();
		return dd ? UPSTREAM_QUERY : UPSTREAM_RESPONSE;
	}
	sr = in_set(t, family, src);
	dr = in_set(t, family, dst);
	rcu_read_unlock();
	if (sd && dd && sr != dr)
		c = UPSTREAM_CLIENT_SIDE;
	else if (sr && dd)
		c = UPSTREAM_QUERY;
	else if (dr && sd)
		c = UPSTREAM_RESPONSE;
	else if (sr || dr)
		c = UPSTREAM_CLIENT_SIDE;
	else
		c = UPSTREAM_FOREIGN;
	return c;
}

enum upstream_class upstream_classify_addrs(const struct upstream *u, int family,
					    const uint8_t *src, const uint8_t *dst)
{
	const struct upstream_table *t;
	enum upstream_class c = UPSTREAM_OTHER;

	if (family != AF_INET && family != AF_INET6)
		return UPSTREAM_OTHER;
	rcu_read_lock();
	t = rcu_dereference(((struct upstream *)u)->table);
	if (t->count4 + t->count6 != 0 && !in_set(t, family, src) && !in_set(t, family, dst))
		c = UPSTREAM_FOREIGN;
	rcu_read_unlock();
	return c;
}

const char *upstream_class_name(enum upstream_class c)
{
	static const char *const names[UPSTREAM_CLASS_COUNT] = {
		[UPSTREAM_OTHER] = "other",
		[UPSTREAM_QUERY] = "query",
		[UPSTREAM_RESPONSE] = "response",
		[UPSTREAM_CLIENT_SIDE] = "client_side",
		[UPSTREAM_FOREIGN] = "foreign",
	};

	if ((unsigned int)c >= UPSTREAM_CLASS_COUNT)
		return "unknown";
	return names[c];
}
