/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift XDP prefilter loader: finds the prefilter on an interface by its maps.
 *
 * The PMD, not us, loaded the object, so there is no bpf_object to ask: the kernel's
 * view is the only one. bpf_xdp_query gives the attached program ids (native,
 * generic, offloaded); the program's info gives its map ids; the maps are recognised
 * by name, type and sizes. When libxdp attached it (DPDK 22.11 built with libxdp
 * does), the attached program is libxdp's dispatcher and ours is a component it
 * pins under bpffs as xdp/dispatch-IFINDEX-DISPATCHERID/progN-prog: those are
 * tried too.
 */
#include "bpf/xdp_loader.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dns_prefilter.h"
#include "wire/err.h"

#define LIBXDP_DISPATCHER_NAME	"xdp_dispatcher"
#define PREFILTER_PROG_NAME	"dns_prefilter"
/* A program with more maps than this is not ours (we have four). */
#define PREFILTER_MAX_MAPS	16

struct prefilter_maps {
	int ports_fd;
	int config_fd;
	int stats_fd;
	uint32_t prog_id;
};

static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* libbpf returns -errno; map it onto the project's codes. */
static int code_of_errno(int e)
{
	if (e < 0)
		e = -e;
	switch (e) {
	case EPERM:
	case EACCES:
		return -DNSIFT_EPERM;
	case ENOENT:
	case ENODEV:
		return -DNSIFT_ENOTFOUND;
	case ENOMEM:
		return -DNSIFT_ENOMEM;
	case EEXIST:
	case EBUSY:
		return -DNSIFT_EEXISTS;
	case EINVAL:
	case EOPNOTSUPP:
		return -DNSIFT_EINVAL;
	default:
		return -DNSIFT_EIO;
	}
}

static void maps_init(struct prefilter_maps *m)
{
	m->ports_fd = -1;
	m->config_fd = -1;
	m->stats_fd = -1;
	m->prog_id = 0;
}

static void maps_close(struct prefilter_maps *m)
{
	if (m->ports_fd >= 0)
		close(m->ports_fd);
	if (m->config_fd >= 0)
		close(m->config_fd);
	if (m->stats_fd >= 0)
		close(m->stats_fd);
	maps_init(m);
}

static bool maps_complete(const struct prefilter_maps *m)
{
	return m->ports_fd >= 0 && m->config_fd >= 0 && m->stats_fd >= 0;
}

/* Keep map_fd in *slot if it is the map we expect under that name; else close it. */
static void map_adopt(int map_fd, const struct bpf_map_info *info, struct prefilter_maps *m)
{
	int *slot = NULL;

	if (!strcmp(info->name, DNS_PREFILTER_MAP_PORTS) &&
	    info->type == BPF_MAP_TYPE_ARRAY && info->key_size == 4 &&
	    info->value_size == 1 && info->max_entries == DNS_PREFILTER_PORT_COUNT)
		slot = &m->ports_fd;
	else if (!strcmp(info->name, DNS_PREFILTER_MAP_CONFIG) &&
		 info->type == BPF_MAP_TYPE_ARRAY && info->key_size == 4 &&
		 info->value_size == 4 && info->max_entries >= DNS_PREFILTER_CFG_COUNT)
		slot = &m->config_fd;
	else if (!strcmp(info->name, DNS_PREFILTER_MAP_STATS) &&
		 info->type == BPF_MAP_TYPE_PERCPU_ARRAY && info->key_size == 4 &&
		 info->value_size == 8 && info->max_entries >= DNS_PREFILTER_STAT_COUNT)
		slot = &m->stats_fd;
	if (slot && *slot < 0)
		*slot = map_fd;
	else
		close(map_fd);
}

/* Collect our maps from one program. Returns true when all three were found. */
static bool maps_from_prog_fd(int prog_fd, struct prefilter_maps *m)
{
	uint32_t map_ids[PREFILTER_MAX_MAPS];
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PREFILTER_MAX_MAPS;
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	if (info.nr_map_ids > PREFILTER_MAX_MAPS)
		return false;
	for (uint32_t i = 0; i < info.nr_map_ids; i++) {
		struct bpf_map_info map_info;
		uint32_t map_len = sizeof(map_info);
		int map_fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (map_fd < 0)
			continue;
		memset(&map_info, 0, sizeof(map_info));
		if (bpf_obj_get_info_by_fd(map_fd, &map_info, &map_len)) {
			close(map_fd);
			continue;
		}
		map_adopt(map_fd, &map_info, m);
	}
	if (maps_complete(m)) {
		m->prog_id = info.id;
		return true;
	}
	maps_close(m);
	return false;
}

static bool prog_is_dispatcher(int prog_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	/* The kernel keeps 15 characters of a program name. */
	return !strncmp(info.name, LIBXDP_DISPATCHER_NAME, sizeof(info.name) - 1);
}

/* libxdp pins its dispatcher's components: look for ours among them. */
static bool maps_from_dispatcher(int ifindex, uint32_t dispatcher_id, struct prefilter_maps *m)
{
	const char *bpffs = getenv("LIBXDP_BPFFS");
	char dir_path[512];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (!bpffs || !*bpffs)
		bpffs = "/sys/fs/bpf";
	snprintf(dir_path, sizeof(dir_path), "%s/xdp/dispatch-%d-%" PRIu32, bpffs, ifindex,
		 dispatcher_id);
	dir = opendir(dir_path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)) != NULL) {
		char pin[sizeof(dir_path) + 64];
		size_t nlen = strlen(de->d_name);
		int fd;

		if (strncmp(de->d_name, "prog", 4) || nlen < 5 ||
		    strcmp(de->d_name + nlen - 5, "-prog"))
			continue;
		if (snprintf(pin, sizeof(pin), "%s/%s", dir_path, de->d_name) >= (int)sizeof(pin))
			continue;
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		found = maps_from_prog_fd(fd, m);
		close(fd);
	}
	closedir(dir);
	return found;
}

static int ifindex_of(const char *ifname, char *err, size_t errlen)
{
	unsigned int ifindex;

	if (!ifname || !*ifname)
		return set_err(err, errlen, -DNSIFT_EINVAL, "no interface name");
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return set_err(err, errlen, -DNSIFT_ENOTFOUND, "interface %s: %s", ifname,
			       strerror(errno));
	return (int)ifindex;
}

static int find_prefilter(const char *ifname, struct prefilter_maps *m, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	uint32_t ids[3];
	bool any = false;
	int ifindex, rc;

	maps_init(m);
	ifindex = ifindex_of(ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	rc = bpf_xdp_query(ifindex, 0, &q);
	if (rc)
		return set_err(err, errlen, code_of_errno(rc), "%s: cannot query XDP: %s",
			       ifname, strerror(-rc));
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	for (unsigned int i = 0; i < 3; i++) {
		int fd;

		if (!ids[i])
			continue;
		any = true;
		fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0) {
			rc = -errno;
			return set_err(err, errlen, code_of_errno(rc),
				       "%s: XDP program %" PRIu32 ": %s", ifname, ids[i],
				       strerror(-rc));
		}
		if (maps_from_prog_fd(fd, m) ||
		    (prog_is_dispatcher(fd) && maps_from_dispatcher(ifindex, ids[i], m))) {
			close(fd);
			return 0;
		}
		close(fd);
	}
	if (!any)
		return set_err(err, errlen, -DNSIFT_ENOTFOUND,
			       "%s: no XDP program attached (is the net_af_xdp port started "
			       "with xdp_prog=dns_prefilter.bpf.o?)", ifname);
	return set_err(err, errlen, -DNSIFT_ENOTFOUND,
		       "%s: the attached XDP program is not the dnsift prefilter (no %s/%s/%s "
		       "maps)", ifname, DNS_PREFILTER_MAP_PORTS, DNS_PREFILTER_MAP_CONFIG,
		       DNS_PREFILTER_MAP_STATS);
}

static int config_set(int fd, uint32_t key, uint32_t value)
{
	return bpf_map_update_elem(fd, &key, &value, BPF_ANY) ? -errno : 0;
}

static int port_set(int fd, uint32_t port, uint8_t value)
{
	return bpf_map_update_elem(fd, &port, &value, BPF_ANY) ? -errno : 0;
}

/* Write 0 to every port not in want[]: one batch call where the kernel has it. */
static int ports_clear_others(int fd, const uint8_t *want)
{
	uint32_t *keys = malloc(DNS_PREFILTER_PORT_COUNT * sizeof(*keys));
	uint8_t *zeros = calloc(DNS_PREFILTER_PORT_COUNT, 1);
	uint32_t n = 0, count;
	int rc = 0;

	if (!keys || !zeros) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t port = 0; port < DNS_PREFILTER_PORT_COUNT; port++)
		if (!want[port])
			keys[n++] = port;
	count = n;
	if (!bpf_map_update_batch(fd, keys, zeros, &count, NULL) && count == n)
		goto out;
	/* Older kernels have no batch ops on arrays: one element at a time. */
	for (uint32_t i = 0; i < n; i++) {
		rc = port_set(fd, keys[i], 0);
		if (rc)
			break;
	}
out:
	free(keys);
	free(zeros);
	return rc;
}

int xdp_prefilter_configure(const char *ifname, const uint16_t *ports, unsigned int n,
			    bool drop_other, char *err, size_t errlen)
{
	struct prefilter_maps m;
	uint8_t *want;
	int rc;

	if (!ports || n == 0)
		return set_err(err, errlen, -DNSIFT_EINVAL, "no DNS ports given");
	for (unsigned int i = 0; i < n; i++)
		if (ports[i] == 0)
			return set_err(err, errlen, -DNSIFT_EINVAL, "port 0 is not a DNS port");
	want = calloc(DNS_PREFILTER_PORT_COUNT, 1);
	if (!want)
		return set_err(err, errlen, -DNSIFT_ENOMEM, "out of memory");
	for (unsigned int i = 0; i < n; i++)
		want[ports[i]] = 1;
	rc = find_prefilter(ifname, &m, err, errlen);
	if (rc)
		goto out;
	/*
	 * Order matters while frames flow: new ports on, then the array switched on, then
	 * old ports off. No wanted port is ever off, and until ports_configured is set the
	 * program still uses port 53 alone.
	 */
	for (unsigned int i = 0; i < n && !rc; i++)
		rc = port_set(m.ports_fd, ports[i], 1);
	if (!rc)
		rc = config_set(m.config_fd, DNS_PREFILTER_CFG_DROP_OTHER, drop_other);
	if (!rc)
		rc = config_set(m.config_fd, DNS_PREFILTER_CFG_PORTS_CONFIGURED, 1);
	if (!rc)
		rc = ports_clear_others(m.ports_fd, want);
	if (rc)
		rc = set_err(err, errlen, code_of_errno(rc), "%s: updating prefilter maps: %s",
			     ifname, strerror(-rc));
	maps_close(&m);
out:
	free(want);
	return rc;
}

static int stats_read(int fd, struct xdp_prefilter_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *values;
	uint64_t sum[DNS_PREFILTER_STAT_COUNT] = { 0 };
	int rc = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	values = calloc((size_t)ncpu, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (uint32_t key = 0; key < DNS_PREFILTER_STAT_COUNT; key++) {
		if (bpf_map_lookup_elem(fd, &key, values)) {
			rc = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum[key] += values[cpu];
	}
	free(values);
	if (rc)
		return rc;
	st->redirected = sum[DNS_PREFILTER_STAT_REDIRECTED];
	st->no_socket = sum[DNS_PREFILTER_STAT_NO_SOCKET];
	st->passed = sum[DNS_PREFILTER_STAT_PASSED];
	st->dropped = sum[DNS_PREFILTER_STAT_DROPPED];
	st->parse_errors = sum[DNS_PREFILTER_STAT_PARSE_ERRORS];
	return 0;
}

int xdp_prefilter_stats(const char *ifname, struct xdp_prefilter_stats *st)
{
	return xdp_prefilter_show(ifname, st, NULL, 0, NULL, NULL, NULL, NULL, 0);
}

int xdp_prefilter_show(const char *ifname, struct xdp_prefilter_stats *st,
		       uint16_t *ports_out, unsigned int ports_cap, unsigned int *n_ports,
		       bool *ports_configured, bool *drop_other, char *err, size_t errlen)
{
	struct prefilter_maps m;
	uint32_t key, value;
	int rc;

	if (!st)
		return set_err(err, errlen, -DNSIFT_EINVAL, "no stats buffer");
	rc = find_prefilter(ifname, &m, err, errlen);
	if (rc)
		return rc;
	rc = stats_read(m.stats_fd, st);
	if (!rc && (ports_configured || drop_other)) {
		key = DNS_PREFILTER_CFG_PORTS_CONFIGURED;
		if (bpf_map_lookup_elem(m.config_fd, &key, &value))
			rc = -errno;
		else if (ports_configured)
			*ports_configured = value != 0;
		key = DNS_PREFILTER_CFG_DROP_OTHER;
		if (!rc && bpf_map_lookup_elem(m.config_fd, &key, &value))
			rc = -errno;
		else if (!rc && drop_other)
			*drop_other = value != 0;
	}
	if (!rc && n_ports) {
		*n_ports = 0;
		for (key = 1; key < DNS_PREFILTER_PORT_COUNT && !rc; key++) {
			uint8_t on;

			if (bpf_map_lookup_elem(m.ports_fd, &key, &on))
				rc = -errno;
			else if (on && *n_ports < ports_cap && ports_out)
				ports_out[(*n_ports)++] = (uint16_t)key;
		}
	}
	if (rc)
		rc = set_err(err, errlen, code_of_errno(rc), "%s: reading prefilter maps: %s",
			     ifname, strerror(-rc));
	maps_close(&m);
	return rc;
}

int xdp_prefilter_attach(const char *ifname, const char *obj_path,
			 enum xdp_prefilter_mode mode, char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	uint32_t flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	int ifindex, rc;

	ifindex = ifindex_of(ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	if (!obj_path || !*obj_path)
		return set_err(err, errlen, -DNSIFT_EINVAL, "no BPF object path");
	flags |= mode == XDP_PREFILTER_MODE_DRV ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	obj = bpf_object__open_file(obj_path, NULL);
	rc = libbpf_get_error(obj);
	if (rc)
		return set_err(err, errlen, code_of_errno(rc), "%s: cannot open: %s", obj_path,
			       strerror(-rc));
	rc = bpf_object__load(obj);
	if (rc) {
		rc = set_err(err, errlen, code_of_errno(rc), "%s: cannot load: %s", obj_path,
			     strerror(-rc));
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, PREFILTER_PROG_NAME);
	if (!prog) {
		rc = set_err(err, errlen, -DNSIFT_ENOTFOUND, "%s: no program %s", obj_path,
			     PREFILTER_PROG_NAME);
		goto out;
	}
	rc = bpf_xdp_attach(ifindex, bpf_program__fd(prog), flags, NULL);
	if (rc)
		rc = set_err(err, errlen, code_of_errno(rc), "%s: cannot attach XDP (%s mode): %s",
			     ifname, mode == XDP_PREFILTER_MODE_DRV ? "native" : "generic",
			     rc == -EBUSY || rc == -EEXIST ?
			     "a program is already attached" : strerror(-rc));
out:
	/* The attachment keeps the program and its maps alive without us. */
	bpf_object__close(obj);
	return rc;
}

int xdp_prefilter_detach(const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex, rc;

	ifindex = ifindex_of(ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	rc = bpf_xdp_query(ifindex, 0, &q);
	if (rc)
		return set_err(err, errlen, code_of_errno(rc), "%s: cannot query XDP: %s",
			       ifname, strerror(-rc));
	if (!q.drv_prog_id && !q.skb_prog_id && !q.hw_prog_id)
		return set_err(err, errlen, -DNSIFT_ENOTFOUND, "%s: no XDP program attached",
			       ifname);
	if (q.skb_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	if (!rc && q.drv_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (!rc && q.hw_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_HW_MODE, NULL);
	if (rc)
		return set_err(err, errlen, code_of_errno(rc), "%s: cannot detach XDP: %s",
			       ifname, strerror(-rc));
	return 0;
}
