/* config_read: the stored format read (client, privileged part, network
 * process and CLI): config_parse and config_load.
 *
 * Stored format: '#' comment lines, blank lines, and "Path/Name = value"
 * lines ("MaxEnvelopeSizekb = 500", "Service/Auth/Basic = true",
 * "Listener?Address=*+Transport=HTTPS/Port = 5986"). The blanks around
 * '=' are optional; the value is the rest of the line, trimmed, and may be
 * empty. Names, paths and listener selectors compare
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
	uint32_t listener[CONFIG_MAX_LISTENERS];
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static enum err parse_line(struct config *c, const char *line, size_t n, unsigned lineno,
			   struct parse_seen *seen, struct buf *errmsg)
{
	char key[MAX_KEY + 1], value[CONFIG_MAX_VALUE + 1], q[MAX_QUOTE];
	size_t i = 0, k;
	const struct setting *s;
	const char *path, *name;
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
	/* The name ends at a blank or '='; a listener's selectors hold '=' but
	 * end at the first '/'. */
	k = i;
	if (n - i > 9 && strncasecmp(line + i, "listener?", 9) == 0)
		while (k < n && line[k] != '/' && !is_blank(line[k]))
			k++;
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

	/* Selector values (listener addresses) hold no '/': the name is
	 * after the last one. */
	slash = strrchr(key, '/');
	name = slash ? slash + 1 : key;
	if (slash)
		*slash = 0;
	path = slash ? key : "";
	if (config_is_listener_resource(path)) {
		struct selector sel;
		int found;

		if (path[8] != '?')
			return config_fail(
			    errmsg, lineno,
			    "a listener line starts Listener?Address=...+Transport=.../");
		if ((e = config_selectors_parse(path + 9, &sel, errmsg, lineno)) != ERR_OK)
			return e;
		if ((found = config_listener_find(c, &sel)) >= 0)
			idx = (uint32_t)found;
		else if ((e = config_listener_add(c, &sel, &idx, errmsg, lineno)) != ERR_OK)
			return e;
		if (!(s = config_lookup(config_listener_settings, config_nlistener_settings, "",
					name)))
			return config_fail(errmsg, lineno, "unknown listener setting %s",
					   config_quote(q, name, strlen(name)));
		bit = (uint32_t)1 << (s - config_listener_settings);
		if (seen->listener[idx] & bit)
			return config_fail(errmsg, lineno, "duplicate setting %s for the listener",
					   s->name);
		if ((e = config_assign(s, &c->listeners[idx], value, errmsg, lineno)) != ERR_OK)
			return e;
		seen->listener[idx] |= (uint32_t)bit;
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
			    (seen.listener[i] & (1u << k)))
				continue;
			v.u32 = config_default_port(c, c->listeners[i].https);
			config_value_store(&config_listener_settings[k], &c->listeners[i], &v);
		}
	}
	return ERR_OK;
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
