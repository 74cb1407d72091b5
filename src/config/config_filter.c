/* config_filter: Service/IPv4Filter and IPv6Filter (client, privileged
 * part, network process and CLI). One parser turns the text into ranges
 * when the setting is read or set, and refuses what it cannot turn; the
 * network process matches every connection it accepts against those
 * ranges, so no text is parsed per connection and nothing the
 * configuration accepts can be read differently there. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <string.h>

#define SPELL_(x) #x
#define SPELL(x) SPELL_(x)

/* One address of a filter, s[0..n); an IPv6 one may be written in brackets. */
static int filter_address(const char *s, size_t n, int family, uint8_t out[16])
{
	char a[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(a))
		return 0;
	memcpy(a, s, n);
	a[n] = 0;
	memset(out, 0, 16);
	return inet_pton(family, a, out) == 1;
}

const char *config_filter_parse(struct config_filter *f, const char *v, int family)
{
	const char *bad =
	    family == AF_INET
		? "must be *, empty, or a comma list of IPv4 addresses and ranges a-b"
		: "must be *, empty, or a comma list of IPv6 addresses and ranges a-b";
	size_t alen = family == AF_INET ? 4 : 16;
	const char *p = v;

	memset(f, 0, sizeof(*f));
	f->family = family;
	if (strcmp(v, "*") == 0) {
		f->any = 1;
		return NULL;
	}
	if (*v == 0)
		return NULL;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n, *dash;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (s == e)
			return "has an empty entry";
		if (f->n == CONFIG_MAX_FILTER_RANGES)
			return "has more than " SPELL(CONFIG_MAX_FILTER_RANGES) " entries";
		dash = memchr(s, '-', (size_t)(e - s));
		if (!filter_address(s, (size_t)((dash ? dash : e) - s), family, f->r[f->n].lo))
			return bad;
		if (!dash)
			memcpy(f->r[f->n].hi, f->r[f->n].lo, 16);
		else if (!filter_address(dash + 1, (size_t)(e - dash - 1), family, f->r[f->n].hi))
			return bad;
		else if (memcmp(f->r[f->n].lo, f->r[f->n].hi, alen) > 0)
			return "has a range whose first address is above its last";
		f->n++;
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

int config_filter_allows(const struct config_filter *f, int family, const void *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (family != f->family)
		return 0;
	if (f->any)
		return 1;
	for (uint32_t i = 0; i < f->n; i++)
		if (memcmp(addr, f->r[i].lo, alen) >= 0 && memcmp(addr, f->r[i].hi, alen) <= 0)
			return 1;
	return 0;
}
