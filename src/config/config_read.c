/* config_read: the stored format read (client, privileged part, network
 * process and CLI): config_parse and config_load.
 *
 * Stored format: '#' comment lines, blank lines, and "Path/Name = value"
 * lines ("MaxEnvelopeSizekb = 500", "Service/Auth/Basic = true",
 * "Listener?Address=*+Transport=HTTPS/Port = 5986"). The blanks around
 * '=' are optional; the value is the rest of the line, trimmed, and may be
 * empty. Instances are "Listener?Address=*+Transport=HTTP/Port = 5985",
 * "Plugin?Name=DnsOps/RunAsUser = dnsbot",
 * "Service/CertMapping?Issuer=<hex>+Subject=*+URI=http://x/y/UserName = al";
 * a file with no Plugin line has the two default plugins. A selector's
 * value holds no blank, '+' or '=' (every selector parser refuses them),
 * but may hold '/' (a certmapping's URI): it runs to the next '+', and the
 * last one, with "/Name" after it, to the first blank or '='; the setting
 * name is after the name's last '/'. A line naming a write-only setting
 * (a certmapping's Password) is refused: none is ever stored. An instance
 * lacking a required setting (a certmapping's UserName) is refused. Names,
 * paths and selectors compare
 * case-insensitively; booleans are true/false in any case. A listener
 * exists once any of its lines appears. config_serialize (config_write.c)
 * writes every stored setting, defaults included, and rewriting drops
 * comments. */
#include "config/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct parse_seen {
	uint64_t root;
	/* Per collection and instance, the rows set by a line. */
	uint32_t instance[CONFIG_NCOLLECTIONS][CONFIG_MAX_INSTANCES];
	/* The file names plugins: the default ones are not kept. */
	int plugins;
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The length of "Listener?" or another collection's resource and '?' that
 * the line's name starts with, else 0. */
static size_t instance_prefix(const char *s, size_t n)
{
	for (size_t k = 0; k < config_ncollections; k++) {
		size_t len = strlen(config_collections[k].resource);
		if (n > len && strncasecmp(s, config_collections[k].resource, len) == 0 &&
		    s[len] == '?')
			return len + 1;
	}
	return 0;
}

/* Past "Key=Value+...+Key=Value" at line[k]: each value runs to a '+'
 * and the last (with "/Name" after it) stops at a blank or '='. */
static size_t skip_selectors(const char *line, size_t k, size_t n)
{
	for (;;) {
		while (k < n && !is_blank(line[k]) && line[k] != '=')
			k++;
		if (k == n || line[k] != '=')
			return k;
		for (k++; k < n && !is_blank(line[k]) && line[k] != '=' && line[k] != '+'; k++)
			;
		if (k == n || line[k] != '+')
			return k;
		k++;
	}
}

static enum err parse_line(struct config *c, const char *line, size_t n, unsigned lineno,
			   struct parse_seen *seen, struct buf *errmsg)
{
	char key[MAX_KEY + 1], value[CONFIG_MAX_VALUE + 1], q[MAX_QUOTE];
	size_t i = 0, k;
	const struct setting *s;
	const struct collection *col;
	const char *path, *name, *sel;
	char *slash;
	uint64_t bit;
	uint32_t idx;
	enum err e;

	if (memchr(line, 0, n))
		return config_fail(errmsg, lineno, "NUL byte");
	while (i < n && is_blank(line[i]))
		i++;
	while (n > i && is_blank(line[n - 1]))
		n--;
	if (i == n || line[i] == '#')
		return ERR_OK;
	/* The name ends at a blank or '=', an instance's after its selectors. */
	k = i + instance_prefix(line + i, n - i);
	if (k > i)
		k = skip_selectors(line, k, n);
	while (k < n && !is_blank(line[k]) && line[k] != '=')
		k++;
	if (k - i > MAX_KEY)
		return config_fail(errmsg, lineno, "name longer than %d bytes", MAX_KEY);
	memcpy(key, line + i, k - i);
	key[k - i] = 0;
	while (k < n && is_blank(line[k]))
		k++;
	if (k == n || line[k] != '=')
		return config_fail(errmsg, lineno, "expected \"Path/Name = value\", not \"%s\"",
				   config_quote(q, line + i, n - i));
	for (k++; k < n && is_blank(line[k]); k++)
		;
	if (n - k > CONFIG_MAX_VALUE)
		return config_fail(errmsg, lineno, "%s: value longer than %d bytes",
				   config_quote(q, key, strlen(key)), CONFIG_MAX_VALUE);
	memcpy(value, line + k, n - k);
	value[n - k] = 0;

	/* Setting names hold no '/': the name is after the last one. */
	slash = strrchr(key, '/');
	name = slash ? slash + 1 : key;
	if (slash)
		*slash = 0;
	path = slash ? key : "";
	if ((col = config_collection_of(path, &sel))) {
		char canon[MAX_KEY];
		size_t ci = (size_t)(col - config_collections);
		int found;

		if (!sel)
			return config_fail(errmsg, lineno, "a %s line starts %s?%s/", col->noun,
					   col->resource, col->form);
		if ((e = col->selectors_parse(sel, canon, errmsg, lineno)) != ERR_OK)
			return e;
		if (col == CONFIG_PLUGINS && !seen->plugins) {
			while (c->nplugins)
				config_instance_remove(c, col, 0);
			seen->plugins = 1;
		}
		if ((found = config_instance_find(c, col, canon)) >= 0)
			idx = (uint32_t)found;
		else if ((e = config_instance_add(c, col, canon, &idx, errmsg, lineno)) != ERR_OK)
			return e;
		if (!(s = config_lookup(col->settings, col->nsettings, "", name)))
			return config_fail(errmsg, lineno, "unknown %s setting %s", col->noun,
					   config_quote(q, name, strlen(name)));
		if (s->type == T_SECRET)
			return config_fail(errmsg, lineno,
					   "%s is write-only and never stored: remove the line",
					   s->name);
		bit = (uint32_t)1 << (s - col->settings);
		if (seen->instance[ci][idx] & bit)
			return config_fail(errmsg, lineno, "duplicate setting %s for the %s",
					   s->name, col->noun);
		if ((e = config_assign(s, config_instance(c, col, idx), value, errmsg, lineno)) !=
		    ERR_OK)
			return e;
		seen->instance[ci][idx] |= (uint32_t)bit;
		return ERR_OK;
	}
	s = config_lookup(config_settings, config_nsettings, path, name);
	if (slash)
		*slash = '/';
	if (!s)
		return config_fail(errmsg, lineno, "unknown setting %s",
				   config_quote(q, key, strlen(key)));
	bit = (uint64_t)1 << (s - config_settings);
	if (seen->root & bit)
		return config_fail(errmsg, lineno, "duplicate setting %s",
				   config_quote(q, key, strlen(key)));
	if ((e = config_assign(s, c, value, errmsg, lineno)) != ERR_OK)
		return e;
	seen->root |= bit;
	return ERR_OK;
}

enum err config_parse(struct config *c, const char *text, size_t len, struct buf *errmsg)
{
	struct parse_seen seen = {0};
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	enum err e;

	if ((e = config_defaults(c)) != ERR_OK)
		return e;
	if (len > CONFIG_MAX_FILE) {
		config_clear(c);
		return config_fail(errmsg, 0, "file larger than %d bytes", CONFIG_MAX_FILE);
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if ((e = parse_line(c, p, n, ++lineno, &seen, errmsg)) != ERR_OK) {
			config_clear(c);
			return e;
		}
		p += n + (eol != NULL);
	}
	/* A listener without a Port line takes the DefaultPorts of the whole
	 * file, which may come after the listener's lines. */
	for (uint32_t i = 0; i < c->nlisteners; i++) {
		for (size_t k = 0; k < config_nlistener_settings; k++) {
			union value v;
			if (!(config_listener_settings[k].flags & F_DEFPORT) ||
			    (seen.instance[CONFIG_LISTENERS - config_collections][i] & (1u << k)))
				continue;
			v.u32 = config_default_port(c, c->listeners[i].https);
			config_value_store(&config_listener_settings[k], &c->listeners[i], &v);
		}
	}
	if ((e = config_check_required(c, errmsg)) != ERR_OK)
		config_clear(c);
	return e;
}

enum err config_load(struct config *c, const char *dir, struct buf *errmsg)
{
	char path[PATH_MAX];
	struct buf msg;
	char *text;
	size_t len = 0;
	ssize_t r;
	enum err e;
	int fd;

	memset(c, 0, sizeof(*c));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_FILE) >= sizeof(path))
		return config_fail(errmsg, 0, "%s: configuration directory path too long", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return config_defaults(c);
		config_fail(errmsg, 0, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	/* One byte more than allowed, so that config_parse sees an overlong file. */
	if (!(text = malloc(CONFIG_MAX_FILE + 1))) {
		close(fd);
		return ERR_NOMEM;
	}
	do {
		r = read(fd, text + len, CONFIG_MAX_FILE + 1 - len);
		if (r > 0)
			len += (size_t)r;
	} while ((r > 0 && len < CONFIG_MAX_FILE + 1) || (r < 0 && errno == EINTR));
	if (r < 0) {
		config_fail(errmsg, 0, "%s: %s", path, strerror(errno));
		free(text);
		close(fd);
		return ERR_IO;
	}
	close(fd);
	buf_init(&msg, 1024);
	if ((e = config_parse(c, text, len, &msg)) != ERR_OK)
		config_fail(errmsg, 0, "%s: %.*s", path, (int)buf_len(&msg),
			    (const char *)buf_ptr(&msg));
	buf_clear(&msg);
	free(text);
	return e;
}
