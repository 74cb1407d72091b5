/* loopback: TCP ports on 127.0.0.0/8 for the tests that bind listening
 * sockets. Header-only, as check.h: each such test includes it once. */
#ifndef OPENWINRM_TEST_LOOPBACK_H
#define OPENWINRM_TEST_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* 127.0.0.host:port */
static struct sockaddr_in loopback_addr(int host, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (uint32_t)host)};
	return a;
}

/* A port on 127.0.0.1 nobody listens on now (the kernel's choice). */
static uint16_t loopback_free_port(void)
{
	struct sockaddr_in a = loopback_addr(1, 0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

/* 1 if something listens on 127.0.0.host:port. */
static int loopback_listening(int host, uint16_t port)
{
	struct sockaddr_in a = loopback_addr(host, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

#endif
