/* config_print: Windows' text form and the XML of WS-Management Get
 * (network process and CLI), printed by one walk over the rows
 * (print_block) with two printers, so both show the same settings in the
 * same order and nesting. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

/* What the walk over the rows emits. The two forms differ only here, so
 * they cannot list settings in different orders or nest them differently. */
struct printer {
	struct buf *out;
	char ns[128];	       /* XML: the outermost element's namespace */
	const char *separator; /* between the listeners of "listener" */
	enum err (*open)(struct printer *pr, unsigned level, const char *name, size_t len);
	enum err (*close)(struct printer *pr, const char *name, size_t len);
	enum err (*value)(struct printer *pr, unsigned level, const struct setting *s,
			  const void *base);
};

static unsigned path_depth(const char *path)
{
	unsigned d = *path ? 1 : 0;

	for (; *path; path++)
		d += *path == '/';
	return d;
}

/* Segment k (from 1) of path; its length in *len. */
static const char *path_segment(const char *path, unsigned k, size_t *len)
{
	while (--k > 0)
		path = strchr(path, '/') + 1;
	*len = strcspn(path, "/");
	return path;
}

static unsigned common_depth(const char *a, const char *b)
{
	unsigned d = 0;

	while (*a && *b) {
		size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
		if (na != nb || strncmp(a, b, na) != 0)
			break;
		d++;
		a += na + (a[na] == '/');
		b += nb + (b[nb] == '/');
	}
	return d;
}

/* Closes the nested elements of path deeper than depth `to`. */
static enum err close_to(struct printer *pr, const char *path, unsigned to)
{
	enum err e;

	for (unsigned k = path_depth(path); k > to; k--) {
		size_t len;
		const char *seg = path_segment(path, k, &len);
		if ((e = pr->close(pr, seg, len)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* 1 for a Linux-only setting at its default, which is not printed. */
static int at_hidden_default(const struct setting *s, const void *base)
{
	char num[16];

	return (s->flags & F_UNLESS_DEFAULT) &&
	       strcmp(config_value_text(s, base, num), s->def) == 0;
}

/* Prints the rows of t under prefix (its first plen bytes) as the element
 * header: each setting one level deeper, a nested element opened whenever
 * the rows enter one and closed when they leave it. */
static enum err print_block(const struct setting *t, size_t n, const void *base, const char *prefix,
			    size_t plen, const char *header, size_t hlen, struct printer *pr)
{
	unsigned d0 = plen ? 1 : 0;
	const char *prev = NULL;
	enum err e;

	for (size_t i = 0; i < plen; i++)
		d0 += prefix[i] == '/';
	if ((e = pr->open(pr, 0, header, hlen)) != ERR_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		const struct setting *s = &t[i];
		unsigned d = path_depth(s->path), c;

		if (plen && (strncasecmp(s->path, prefix, plen) != 0 ||
			     (s->path[plen] && s->path[plen] != '/')))
			continue;
		if (at_hidden_default(s, base))
			continue;
		c = prev ? common_depth(prev, s->path) : d0;
		if (prev && (e = close_to(pr, prev, c)) != ERR_OK)
			return e;
		for (unsigned k = c + 1; k <= d; k++) {
			size_t len;
			const char *seg = path_segment(s->path, k, &len);
			if ((e = pr->open(pr, k - d0, seg, len)) != ERR_OK)
				return e;
		}
		if ((e = pr->value(pr, d - d0 + 1, s, base)) != ERR_OK)
			return e;
		prev = s->path;
	}
	if (prev && (e = close_to(pr, prev, d0)) != ERR_OK)
		return e;
	return pr->close(pr, header, hlen);
}

static enum err print_instance(const struct collection *k, const void *item, struct printer *pr)
{
	return print_block(k->settings, k->nsettings, item, "", 0, k->element, strlen(k->element),
			   pr);
}

static enum err print_resource(const struct config *c, const char *resource, struct printer *pr,
			       struct buf *errmsg)
{
	char q[MAX_QUOTE];
	const struct setting *s;
	const struct collection *col;
	size_t plen = strlen(resource), hlen, o;
	const char *header, *sel;
	uint32_t i;
	enum err e;

	if ((col = config_collection_of(resource, &sel))) {
		snprintf(pr->ns, sizeof(pr->ns), "%s", col->ns);
		if (sel) {
			if ((e = config_instance_named(c, col, sel, &i, errmsg)) != ERR_OK)
				return e;
			return print_instance(col, config_instance(c, col, i), pr);
		}
		for (i = 0; i < *config_instance_count(c, col); i++)
			if ((i && (e = buf_put(pr->out, pr->separator, strlen(pr->separator))) !=
				      ERR_OK) ||
			    (e = print_instance(col, config_instance(c, col, i), pr)) != ERR_OK)
				return e;
		return ERR_OK;
	}
	if (!(s = config_section_first(resource)))
		return config_fail(errmsg, 0, "unknown resource winrm/config/%s",
				   config_quote(q, resource, plen));
	/* A sub-resource's namespace is its URI, as Windows spells it. */
	o = (size_t)snprintf(pr->ns, sizeof(pr->ns), "%s%s", CONFIG_URI, plen ? "/" : "");
	for (size_t k = 0; k < plen && o + 1 < sizeof(pr->ns); k++)
		pr->ns[o++] = (char)tolower((unsigned char)s->path[k]);
	pr->ns[o] = 0;
	header = config_section_name(s, plen, &hlen);
	return print_block(config_settings, config_nsettings, c, s->path, plen, header, hlen, pr);
}

/* -- the text form -- */

static enum err put_line(struct buf *out, unsigned level, const char *name, size_t nlen,
			 const char *value)
{
	return buf_putf(out, "%*s%.*s%s%s\n", (int)(4 * level), "", (int)nlen, name,
			value && *value ? " = " : "", value ? value : "");
}

static enum err text_open(struct printer *pr, unsigned level, const char *name, size_t len)
{
	return put_line(pr->out, level, name, len, NULL);
}

static enum err text_close(struct printer *pr, const char *name, size_t len)
{
	(void)pr, (void)name, (void)len;
	return ERR_OK;
}

static enum err text_value(struct printer *pr, unsigned level, const struct setting *s,
			   const void *base)
{
	char num[16];

	/* ListeningOn is computed where the listener runs: XML only. */
	if (s->type == T_NONE)
		return ERR_OK;
	return put_line(pr->out, level, s->name, strlen(s->name), config_value_text(s, base, num));
}

enum err config_print_text(const struct config *c, const char *resource, struct buf *out,
			   struct buf *errmsg)
{
	/* As `winrm enumerate winrm/config/listener`: a blank line between items. */
	struct printer pr = {.out = out,
			     .separator = "\n",
			     .open = text_open,
			     .close = text_close,
			     .value = text_value};

	return print_resource(c, resource, &pr, errmsg);
}

/* -- the XML form -- */

#define MAX_LISTENING_ON 64

static enum err xml_element(struct buf *out, const char *name, const char *value)
{
	enum err e;

	if ((e = buf_putf(out, "<cfg:%s>", name)) != ERR_OK ||
	    (e = util_xml_escape(out, value)) != ERR_OK)
		return e;
	return buf_putf(out, "</cfg:%s>", name);
}

static enum err xml_open(struct printer *pr, unsigned level, const char *name, size_t len)
{
	enum err e;

	if ((e = buf_putf(pr->out, "<cfg:%.*s", (int)len, name)) != ERR_OK ||
	    (level == 0 && (e = buf_putf(pr->out, " xmlns:cfg=\"%s\"", pr->ns)) != ERR_OK))
		return e;
	return buf_put(pr->out, ">", 1);
}

static enum err xml_close(struct printer *pr, const char *name, size_t len)
{
	return buf_putf(pr->out, "</cfg:%.*s>", (int)len, name);
}

struct if_addr {
	unsigned char v6; /* IPv4 sorts first */
	unsigned char a[16];
};

static int if_addr_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct if_addr));
}

/* ListeningOn: the addresses an enabled listener accepts connections on,
 * its own for IP:a, those of the interfaces that are up for "*": IPv4 then
 * IPv6, each ascending, as Windows lists them. IPv6 link-local addresses
 * are left out: without their zone they cannot be used. */
static enum err listening_on(const struct config_listener *l, const char *name, struct buf *out)
{
	struct if_addr addrs[MAX_LISTENING_ON];
	struct ifaddrs *ifs, *ifa;
	char text[INET6_ADDRSTRLEN];
	size_t n = 0;
	enum err e = ERR_OK;

	if (!l->enabled)
		return ERR_OK;
	if (strcmp(l->address, "*") != 0)
		return xml_element(out, name, l->address + 3); /* after "IP:" */
	/* A Get is not worth failing for the list: without it, it is empty. */
	if (getifaddrs(&ifs) < 0)
		return ERR_OK;
	for (ifa = ifs; ifa && n < MAX_LISTENING_ON; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;
		if (!sa || !(ifa->ifa_flags & IFF_UP))
			continue;
		memset(&addrs[n], 0, sizeof(addrs[n]));
		if (sa->sa_family == AF_INET) {
			memcpy(addrs[n].a,
			       &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		} else if (sa->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
			    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			addrs[n].v6 = 1;
			memcpy(addrs[n].a, a6, 16);
		} else {
			continue;
		}
		n++;
	}
	freeifaddrs(ifs);
	qsort(addrs, n, sizeof(addrs[0]), if_addr_cmp);
	for (size_t i = 0; i < n && e == ERR_OK; i++) {
		if (i && if_addr_cmp(&addrs[i], &addrs[i - 1]) == 0)
			continue;
		if (inet_ntop(addrs[i].v6 ? AF_INET6 : AF_INET, addrs[i].a, text, sizeof(text)))
			e = xml_element(out, name, text);
	}
	return e;
}

static enum err xml_value(struct printer *pr, unsigned level, const struct setting *s,
			  const void *base)
{
	char num[16];

	(void)level;
	if (s->type == T_NONE) /* ListeningOn, the only computed row */
		return listening_on(base, s->name, pr->out);
	return xml_element(pr->out, s->name, config_value_text(s, base, num));
}

enum err config_print_xml(const struct config *c, const char *resource, struct buf *out,
			  struct buf *errmsg)
{
	struct printer pr = {
	    .out = out, .separator = "", .open = xml_open, .close = xml_close, .value = xml_value};

	return print_resource(c, resource, &pr, errmsg);
}
