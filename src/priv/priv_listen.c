/* priv_listen: privileged part. Binds the listening sockets (ports below
 * 1024 need root, and the network process never gets to bind anything) and
 * reads the HTTPS certificates and keys, which the service account cannot
 * read from disk. A reload keeps the sockets whose address is unchanged,
 * so connections waiting in their backlog survive it. */
#include "priv/priv_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"

#define DEFAULT_URL_PREFIX "wsman"

static const char *addr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(s4->sin_port));
	}
	return out;
}

/* Same family, address and port. The transport is not part of the key: it
 * is the network process's business what it speaks on a socket, so a
 * listener that changes from HTTP to HTTPS on the same port keeps its
 * socket instead of failing to bind a second one. */
static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	const struct sockaddr_in *x = (const struct sockaddr_in *)a;
	const struct sockaddr_in *y = (const struct sockaddr_in *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static void set_v4(struct sockaddr_storage *ss, socklen_t *len, const struct in_addr *a,
		   uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr = *a;
	*len = sizeof(*s4);
}

static void set_v6(struct sockaddr_storage *ss, socklen_t *len, const struct in6_addr *a,
		   uint16_t port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_addr = *a;
	*len = sizeof(*s6);
}

/* The addresses a listener's selector names: "*" is every IPv4 and every
 * IPv6 address (two sockets, the IPv6 one IPv6-only, as Windows listens);
 * "IP:a" is one address. Returns how many, or -1. */
static int listener_addrs(const struct config_listener *l, struct sockaddr_storage ss[2],
			  socklen_t len[2], struct buf *errmsg)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (l->port == 0 || l->port > 65535) {
		buf_putf(errmsg, "listener Address=%s: bad port %u", l->address, l->port);
		return -1;
	}
	uint16_t port = (uint16_t)l->port;
	if (strcmp(l->address, "*") == 0) {
		a4.s_addr = htonl(INADDR_ANY);
		set_v4(&ss[0], &len[0], &a4, port);
		set_v6(&ss[1], &len[1], &in6addr_any, port);
		return 2;
	}
	if (strncasecmp(l->address, "IP:", 3) == 0) {
		const char *ip = l->address + 3;
		if (inet_pton(AF_INET, ip, &a4) == 1) {
			set_v4(&ss[0], &len[0], &a4, port);
			return 1;
		}
		if (inet_pton(AF_INET6, ip, &a6) == 1) {
			set_v6(&ss[0], &len[0], &a6, port);
			return 1;
		}
	}
	buf_putf(errmsg, "listener Address=%s: only * and IP:<address> are supported", l->address);
	return -1;
}

/* A listening socket, or -1 with errno set. */
static int bind_one(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, PRIV_LISTEN_BACKLOG) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* A PEM file into a new NUL-terminated string. Relative paths are relative
 * to the configuration directory. */
static char *read_pem(const char *dir, const char *path, const char *what, size_t *outlen,
		      struct buf *errmsg)
{
	char full[PATH_MAX];
	struct buf b;
	char *s = NULL;
	int fd;

	if (!path || !*path) {
		buf_putf(errmsg, "no %s", what);
		return NULL;
	}
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, path) >= sizeof(full)) {
		buf_putf(errmsg, "%s %s: path too long", what, path);
		return NULL;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		buf_putf(errmsg, "%s %s: %s", what, full, strerror(errno));
		return NULL;
	}
	/* One byte over the limit tells a file at the limit from a longer one. */
	buf_init(&b, IPC_MAX_PEM + 1);
	for (;;) {
		uint8_t *space;
		size_t room = IPC_MAX_PEM + 1 - buf_len(&b);
		if (room == 0)
			break;
		if (buf_reserve(&b, room, &space) != ERR_OK) {
			buf_putf(errmsg, "%s %s: out of memory", what, full);
			goto out;
		}
		ssize_t n = read(fd, space, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_putf(errmsg, "%s %s: %s", what, full, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		buf_commit(&b, (size_t)n);
	}
	if (buf_len(&b) > IPC_MAX_PEM) {
		buf_putf(errmsg, "%s %s: larger than %u bytes", what, full, (unsigned)IPC_MAX_PEM);
		goto out;
	}
	if (buf_len(&b) == 0 || memchr(buf_ptr(&b), 0, buf_len(&b))) {
		buf_putf(errmsg, "%s %s: not a PEM file", what, full);
		goto out;
	}
	s = malloc(buf_len(&b) + 1);
	if (!s) {
		buf_putf(errmsg, "%s %s: out of memory", what, full);
		goto out;
	}
	memcpy(s, buf_ptr(&b), buf_len(&b));
	s[buf_len(&b)] = 0;
	*outlen = buf_len(&b);
out:
	close(fd);
	buf_clear(&b);
	return s;
}

static void free_strings(struct priv_listeners *l)
{
	for (uint32_t i = 0; i < IPC_MAX_LISTENERS; i++) {
		free(l->name[i]);
		free(l->url_prefix[i]);
		free(l->cert_pem[i]);
		if (l->key_pem[i]) {
			OPENSSL_cleanse(l->key_pem[i], l->key_len[i]);
			free(l->key_pem[i]);
		}
	}
}

/* Takes one socket for addr into next: the one cur already has, or a new one. */
static enum err add_socket(struct priv_listeners *next, const struct priv_listeners *cur,
			   const struct sockaddr_storage *ss, socklen_t len, uint32_t listener,
			   int wildcard_v6, struct buf *errmsg)
{
	char a[INET6_ADDRSTRLEN + 16];
	struct priv_socket *s;

	for (uint32_t i = 0; i < next->nsockets; i++) {
		if (same_addr(&next->sockets[i].addr, ss)) {
			buf_putf(errmsg, "two listeners on %s", addr_str(ss, a, sizeof(a)));
			return ERR_CONFIG;
		}
	}
	if (next->nsockets == IPC_MAX_FDS) {
		buf_putf(errmsg, "more than %d listening sockets", IPC_MAX_FDS);
		return ERR_LIMIT;
	}
	s = &next->sockets[next->nsockets];
	s->addr = *ss;
	s->addrlen = len;
	s->listener = listener;
	for (uint32_t i = 0; i < cur->nsockets; i++) {
		if (same_addr(&cur->sockets[i].addr, ss)) {
			s->fd = cur->sockets[i].fd;
			s->fresh = 0;
			next->nsockets++;
			return ERR_OK;
		}
	}
	s->fd = bind_one(ss, len);
	if (s->fd < 0) {
		/* A kernel without IPv6 still serves "*" on IPv4. */
		if (wildcard_v6 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
			log_debug("no IPv6: listening on IPv4 only for %s",
				  addr_str(ss, a, sizeof(a)));
			return ERR_OK;
		}
		buf_putf(errmsg, "cannot listen on %s: %s", addr_str(ss, a, sizeof(a)),
			 strerror(errno));
		return ERR_IO;
	}
	s->fresh = 1;
	next->nsockets++;
	return ERR_OK;
}

static enum err prepare_listener(struct priv_listeners *next, const struct priv_listeners *cur,
				 const struct config_listener *l, uint32_t i, const char *dir,
				 struct buf *errmsg)
{
	struct sockaddr_storage ss[2];
	socklen_t len[2];
	const char *prefix = l->url_prefix && *l->url_prefix ? l->url_prefix : DEFAULT_URL_PREFIX;
	enum err e;

	if (asprintf(&next->name[i], "Address=%s+Transport=%s", l->address,
		     l->https ? "HTTPS" : "HTTP") < 0) {
		next->name[i] = NULL;
		return ERR_NOMEM;
	}
	next->https[i] = l->https ? 1 : 0;
	if (!(next->url_prefix[i] = strdup(prefix)))
		return ERR_NOMEM;
	if (l->https) {
		size_t certlen;
		next->cert_pem[i] =
		    read_pem(dir, l->certificate_file, "CertificateFile", &certlen, errmsg);
		if (!next->cert_pem[i])
			return ERR_CONFIG;
		next->key_pem[i] = read_pem(dir, l->key_file, "KeyFile", &next->key_len[i], errmsg);
		if (!next->key_pem[i])
			return ERR_CONFIG;
	}
	int n = listener_addrs(l, ss, len, errmsg);
	if (n < 0)
		return ERR_CONFIG;
	for (int k = 0; k < n; k++) {
		int wildcard_v6 = n == 2 && ss[k].ss_family == AF_INET6;
		if ((e = add_socket(next, cur, &ss[k], len[k], i, wildcard_v6, errmsg)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

enum err priv_listen_prepare(const struct config *c, const char *config_dir,
			     const struct priv_listeners *cur, struct priv_listeners *next,
			     struct buf *errmsg)
{
	const struct config_listener *l;
	enum err e = ERR_OK;

	memset(next, 0, sizeof(*next));
	for (uint32_t i = 0; (l = config_listener_at(c, i)) != NULL; i++) {
		if (i == IPC_MAX_LISTENERS) {
			buf_putf(errmsg, "more than %d listeners", IPC_MAX_LISTENERS);
			e = ERR_LIMIT;
			break;
		}
		next->nlisteners = i + 1;
		if ((e = prepare_listener(next, cur, l, i, config_dir, errmsg)) != ERR_OK) {
			buf_putf(errmsg, " (listener Address=%s+Transport=%s)", l->address,
				 l->https ? "HTTPS" : "HTTP");
			break;
		}
	}
	if (e != ERR_OK)
		priv_listen_abort(next);
	return e;
}

void priv_listen_abort(struct priv_listeners *next)
{
	for (uint32_t i = 0; i < next->nsockets; i++)
		if (next->sockets[i].fresh)
			close(next->sockets[i].fd);
	free_strings(next);
	memset(next, 0, sizeof(*next));
}

void priv_listen_commit(struct priv_listeners *cur, struct priv_listeners *next)
{
	char a[INET6_ADDRSTRLEN + 16];

	for (uint32_t i = 0; i < cur->nsockets; i++) {
		int kept = 0;
		for (uint32_t k = 0; k < next->nsockets && !kept; k++)
			kept = next->sockets[k].fd == cur->sockets[i].fd;
		if (!kept) {
			log_info("no longer listening on %s",
				 addr_str(&cur->sockets[i].addr, a, sizeof(a)));
			close(cur->sockets[i].fd);
		}
	}
	for (uint32_t k = 0; k < next->nsockets; k++) {
		if (next->sockets[k].fresh)
			log_info("listening on %s", addr_str(&next->sockets[k].addr, a, sizeof(a)));
		next->sockets[k].fresh = 0;
	}
	free_strings(cur);
	*cur = *next;
	memset(next, 0, sizeof(*next));
}

void priv_listen_clear(struct priv_listeners *l)
{
	for (uint32_t i = 0; i < l->nsockets; i++)
		close(l->sockets[i].fd);
	free_strings(l);
	memset(l, 0, sizeof(*l));
}
