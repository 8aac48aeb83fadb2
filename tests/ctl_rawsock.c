/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper for tests/control_cli.sh: a raw client of a UNIX stream socket,
 * so the tests can send what dnsiftctl never would (garbage, binary, oversized
 * lines, half lines) without depending on nc or socat.
 *
 *   ctl_rawsock SOCKET          send stdin, shut down writing, print the answer
 *   ctl_rawsock -c SOCKET       send stdin, then close without reading
 *   ctl_rawsock -k SOCKET       send stdin, keep the write side open, print the
 *                               answer until the server closes (idle client)
 * Exit status: 0 when the server answered (or -c), 1 on connect/IO failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[65536];
	const char *path;
	int fd, mode = 0;
	ssize_t n;

	if (argc == 3 && (strcmp(argv[1], "-c") == 0 || strcmp(argv[1], "-k") == 0))
		mode = argv[1][1];
	else if (argc != 2)
		return 2;
	path = argv[argc - 1];
	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "ctl_rawsock: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
			/* The server may close early on an oversized line: read what it said. */
			break;
		}
	}
	if (mode == 'c') {
		close(fd);
		return 0;
	}
	if (mode != 'k')
		shutdown(fd, SHUT_WR);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}
