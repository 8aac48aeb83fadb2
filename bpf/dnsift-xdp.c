/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift-xdp: the operator's handle on the XDP prefilter of a net_af_xdp port.
 *
 *   dnsift-xdp stats IFACE                  counters, name=value lines
 *   dnsift-xdp show IFACE                   counters, port set, drop_other
 *   dnsift-xdp ports [-d] IFACE PORT...     set the DNS ports (-d: drop non-DNS)
 *   dnsift-xdp attach [-n] IFACE OBJ        load + attach without DPDK (generic
 *                                           mode; -n native), for tests and triage
 *   dnsift-xdp detach IFACE                 remove the XDP program from IFACE
 *
 * Exit status: 0 ok, 1 operation failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/dns_prefilter.h"
#include "bpf/xdp_loader.h"
#include "wire/err.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: dnsift-xdp stats IFACE\n"
	"       dnsift-xdp show IFACE\n"
	"       dnsift-xdp ports [-d] IFACE PORT...   (-d: drop non-DNS frames)\n"
	"       dnsift-xdp attach [-n] IFACE OBJ      (generic XDP; -n: native)\n"
	"       dnsift-xdp detach IFACE\n"
	"       dnsift-xdp --help | --version\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* libbpf's debug chatter is noise to an operator; warnings and errors still show. */
__attribute__((format(printf, 2, 0)))
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int fail(int rc, const char *err)
{
	fprintf(stderr, "dnsift-xdp: error: %s (%s)\n", err[0] ? err : dnsift_strerror(rc),
		dnsift_errname(rc));
	return EXIT_FAILURE;
}

static void print_stats(const struct xdp_prefilter_stats *st)
{
	printf("xdp.redirected=%" PRIu64 "\n", st->redirected);
	printf("xdp.no_socket=%" PRIu64 "\n", st->no_socket);
	printf("xdp.passed=%" PRIu64 "\n", st->passed);
	printf("xdp.dropped=%" PRIu64 "\n", st->dropped);
	printf("xdp.parse_errors=%" PRIu64 "\n", st->parse_errors);
}

static int cmd_stats(int argc, char **argv, bool show)
{
	struct xdp_prefilter_stats st;
	uint16_t *ports = NULL;
	unsigned int n = 0;
	bool configured = false, drop_other = false;
	char err[256] = "";
	int rc;

	if (argc != 1)
		return usage();
	if (!show) {
		rc = xdp_prefilter_stats(argv[0], &st);
		if (rc) {
			/* The short form has no message: ask the long one for it. */
			xdp_prefilter_show(argv[0], &st, NULL, 0, NULL, NULL, NULL, err,
					   sizeof(err));
			return fail(rc, err);
		}
		print_stats(&st);
		return EXIT_SUCCESS;
	}
	ports = calloc(DNS_PREFILTER_PORT_COUNT, sizeof(*ports));
	if (!ports)
		return fail(-DNSIFT_ENOMEM, "");
	rc = xdp_prefilter_show(argv[0], &st, ports, DNS_PREFILTER_PORT_COUNT, &n, &configured,
				&drop_other, err, sizeof(err));
	if (rc) {
		free(ports);
		return fail(rc, err);
	}
	print_stats(&st);
	printf("xdp.drop_other=%d\n", drop_other);
	printf("xdp.ports=");
	if (!configured) {
		/* What the program does before any loader ran, not the raw array. */
		printf("%d (default: not configured)", DNS_PREFILTER_DEFAULT_PORT);
	} else {
		for (unsigned int i = 0; i < n; i++)
			printf("%s%u", i ? " " : "", ports[i]);
	}
	printf("\n");
	free(ports);
	return EXIT_SUCCESS;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int cmd_ports(int argc, char **argv)
{
	uint16_t ports[256];
	unsigned int n = 0;
	bool drop_other = false;
	char err[256] = "";
	int rc;

	if (argc > 0 && !strcmp(argv[0], "-d")) {
		drop_other = true;
		argc--;
		argv++;
	}
	if (argc < 2)
		return usage();
	if (argc - 1 > (int)(sizeof(ports) / sizeof(ports[0]))) {
		fprintf(stderr, "dnsift-xdp: error: at most %zu ports\n",
			sizeof(ports) / sizeof(ports[0]));
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (parse_port(argv[i], &ports[n++])) {
			fprintf(stderr, "dnsift-xdp: error: bad port '%s' (1-65535)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	rc = xdp_prefilter_configure(argv[0], ports, n, drop_other, err, sizeof(err));
	if (rc)
		return fail(rc, err);
	printf("ok %s: %u DNS port(s), non-DNS frames %s\n", argv[0], n,
	       drop_other ? "dropped" : "passed to the host");
	return EXIT_SUCCESS;
}

static int cmd_attach(int argc, char **argv)
{
	enum xdp_prefilter_mode mode = XDP_PREFILTER_MODE_SKB;
	char err[256] = "";
	int rc;

	if (argc > 0 && !strcmp(argv[0], "-n")) {
		mode = XDP_PREFILTER_MODE_DRV;
		argc--;
		argv++;
	}
	if (argc != 2)
		return usage();
	rc = xdp_prefilter_attach(argv[0], argv[1], mode, err, sizeof(err));
	if (rc)
		return fail(rc, err);
	printf("ok %s: %s attached (%s XDP)\n", argv[0], argv[1],
	       mode == XDP_PREFILTER_MODE_DRV ? "native" : "generic");
	return EXIT_SUCCESS;
}

static int cmd_detach(int argc, char **argv)
{
	char err[256] = "";
	int rc;

	if (argc != 1)
		return usage();
	rc = xdp_prefilter_detach(argv[0], err, sizeof(err));
	if (rc)
		return fail(rc, err);
	printf("ok %s: XDP program detached\n", argv[0]);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("dnsift-xdp %s\n", DNSIFT_VERSION);
		return EXIT_SUCCESS;
	}
	libbpf_set_print(libbpf_quiet);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 2, argv + 2, false);
	if (!strcmp(argv[1], "show"))
		return cmd_stats(argc - 2, argv + 2, true);
	if (!strcmp(argv[1], "ports"))
		return cmd_ports(argc - 2, argv + 2);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (!strcmp(argv[1], "detach"))
		return cmd_detach(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return EXIT_SUCCESS;
	}
	return usage();
}
