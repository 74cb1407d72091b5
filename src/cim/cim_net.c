/* cim_net: the network interfaces, as Win32_NetworkAdapter (the device:
 * its link) and Win32_NetworkAdapterConfiguration (its IP settings), one
 * instance of each per interface (if_nameindex), from /sys/class/net/<if>/,
 * getifaddrs, /proc/net/route and ipv6_route, and /etc/resolv.conf. Both
 * are keyed by the interface's index: DeviceID (its text) and Index. */
#include "cim/cim_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ADAPTERS 65536  /* interfaces looked at */
#define MAX_ADDRESSES 8	    /* of one interface: IPAddress and IPSubnet */
#define MAX_ROUTES 64	    /* default routes looked at: DefaultIPGateway */
#define MAX_DNS_SERVERS 3   /* what the resolver uses (resolv.conf(5)'s MAXNS) */
#define MAX_DNS_SEARCH 6    /* DNSDomainSuffixSearchOrder */
#define MAX_FILE_LINES 4096 /* of resolv.conf and the route tables */
#define NET_PATH (sizeof("/sys/class/net//device/driver") + IF_NAMESIZE)

/* An array property's elements (addresses, and DNS names of at most
 * 253 characters). */
struct texts {
	char v[MAX_ADDRESSES][256];
	const char *p[MAX_ADDRESSES];
	size_t n;
};

/* What resolv.conf says, the same for every interface. */
struct resolver {
	struct texts servers, search;
	char domain[CIM_MAX_VALUE + 1];
};

/* One interface as both classes see it. */
struct adapter {
	unsigned index;
	char name[IF_NAMESIZE + 1];
	char mac[CIM_MAX_VALUE + 1];
	char driver[NAME_MAX + 1];
	unsigned long flags, type;
	long mtu, speed;
	int carrier, physical, wireless;
	struct texts addresses, subnets, gateways;
};

static void texts_add(struct texts *t, const char *s)
{
	if (t->n >= MAX_ADDRESSES)
		return;
	snprintf(t->v[t->n], sizeof(t->v[t->n]), "%s", s);
	t->p[t->n] = t->v[t->n];
	t->n++;
}

/* The next word of a line, NUL-terminated in place; "" at its end. */
static char *next_word(char **p)
{
	char *w;

	while (**p && isspace((unsigned char)**p))
		(*p)++;
	w = *p;
	while (**p && !isspace((unsigned char)**p))
		(*p)++;
	if (**p)
		*(*p)++ = 0;
	return w;
}

/* A number from /sys/class/net/<if>/<file>; fallback if unreadable (the
 * speed of a link that is down is EINVAL). */
static long sys_number(const char *ifname, const char *file, int base, long fallback)
{
	char path[NET_PATH + NAME_MAX], line[64], *end;
	long v;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, file);
	cim_read_line(path, line, sizeof(line));
	v = strtol(line, &end, base);
	return *line && end != line ? v : fallback;
}

/* The hardware address, in Windows' form ("02:FC:00:00:00:01"); "" for
 * none or all zeros (the loopback's). */
static void mac_address(const char *ifname, char *out, size_t cap)
{
	char path[NET_PATH];
	int zeros = 1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	cim_read_line(path, out, cap);
	for (char *c = out; *c; c++) {
		*c = (char)toupper((unsigned char)*c);
		zeros &= *c == '0' || *c == ':';
	}
	if (zeros)
		*out = 0;
}

static void read_adapter(struct adapter *a, unsigned index, const char *name)
{
	char path[NET_PATH], target[PATH_MAX];
	ssize_t len;

	memset(a, 0, sizeof(*a));
	a->index = index;
	snprintf(a->name, sizeof(a->name), "%s", name);
	mac_address(name, a->mac, sizeof(a->mac));
	a->flags = (unsigned long)sys_number(name, "flags", 16, 0);
	a->type = (unsigned long)sys_number(name, "type", 10, 0);
	a->mtu = sys_number(name, "mtu", 10, 0);
	a->speed = sys_number(name, "speed", 10, -1);
	/* The link (flags lack IFF_RUNNING; carrier is EINVAL while down). */
	a->carrier = sys_number(name, "carrier", 10, 0) == 1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", name);
	a->physical = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/wireless", name);
	a->wireless = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver", name);
	if ((len = readlink(path, target, sizeof(target) - 1)) > 0) {
		target[len] = 0;
		snprintf(a->driver, sizeof(a->driver), "%.*s", (int)sizeof(a->driver) - 1,
			 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	}
}

/* The length of a netmask's prefix: IPv6's IPSubnet, as Windows gives it. */
static unsigned prefix_length(const unsigned char *mask, size_t bytes)
{
	unsigned n = 0;

	for (size_t i = 0; i < bytes; i++)
		for (int bit = 7; bit >= 0 && (mask[i] >> bit) & 1; bit--)
			n++;
	return n;
}

/* The interface's addresses, IPv4's before IPv6's as Windows lists them
 * (getifaddrs gives each family in turn; an IPv4 alias "eth0:1" is eth0's). */
static void addresses(struct adapter *a, const struct ifaddrs *all)
{
	size_t n = strlen(a->name);

	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0)
		for (const struct ifaddrs *i = all; i; i = i->ifa_next) {
			char text[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
			const void *addr, *netmask;
			if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
			    strncmp(i->ifa_name, a->name, n) != 0 ||
			    (i->ifa_name[n] && i->ifa_name[n] != ':'))
				continue;
			if (family == AF_INET) {
				addr = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
				netmask =
				    i->ifa_netmask
					? &((const struct sockaddr_in *)i->ifa_netmask)->sin_addr
					: NULL;
			} else {
				addr = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
				netmask =
				    i->ifa_netmask
					? &((const struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr
					: NULL;
			}
			if (!inet_ntop(family, addr, text, sizeof(text)))
				continue;
			if (!netmask)
				*mask = 0;
			else if (family == AF_INET)
				inet_ntop(family, netmask, mask, sizeof(mask));
			else
				snprintf(mask, sizeof(mask), "%u", prefix_length(netmask, 16));
			texts_add(&a->addresses, text);
			texts_add(&a->subnets, mask);
		}
}

/* 16 bytes from 32 hex digits (ipv6_route's addresses). */
static int hex_bytes(const char *hex, unsigned char *out, size_t bytes)
{
	if (strlen(hex) != bytes * 2)
		return -1;
	for (size_t i = 0; i < bytes; i++) {
		char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
		if (!isxdigit((unsigned char)two[0]) || !isxdigit((unsigned char)two[1]))
			return -1;
		out[i] = (unsigned char)strtoul(two, NULL, 16);
	}
	return 0;
}

#define ROUTE_UP 0x1
#define ROUTE_GATEWAY 0x2

/* A default route's next hop and the interface it leaves by. */
struct route {
	char ifname[IF_NAMESIZE + 1];
	char hop[INET6_ADDRSTRLEN];
};

struct routes {
	struct route v[MAX_ROUTES];
	size_t n;
};

static void route_add(struct routes *r, const char *ifname, int family, const void *hop)
{
	struct route *x = &r->v[r->n];

	if (r->n < MAX_ROUTES && strlen(ifname) <= IF_NAMESIZE &&
	    inet_ntop(family, hop, x->hop, sizeof(x->hop))) {
		snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
		r->n++;
	}
}

static int is_default_gateway(const char *flags)
{
	return (strtoul(flags, NULL, 16) & (ROUTE_UP | ROUTE_GATEWAY)) ==
	       (ROUTE_UP | ROUTE_GATEWAY);
}

/* The default routes: /proc/net/route ("Iface Destination Gateway Flags
 * ...", addresses as the kernel's u32 in hex) then /proc/net/ipv6_route
 * ("dest plen src splen nexthop metric refcnt use flags iface"), IPv4's
 * first as Windows lists DefaultIPGateway. */
static void default_routes(struct routes *r)
{
	char line[512];
	size_t lines = 0;
	FILE *f;

	r->n = 0;
	if ((f = fopen("/proc/net/route", "re"))) {
		while (lines++ < MAX_FILE_LINES && fgets(line, sizeof(line), f)) {
			char *p = line, *ifname = next_word(&p), *dest = next_word(&p),
			     *gw = next_word(&p), *flags = next_word(&p);
			struct in_addr a;
			if (strcmp(dest, "00000000") != 0 || strlen(gw) != 8 ||
			    !is_default_gateway(flags))
				continue;
			a.s_addr = (in_addr_t)strtoul(gw, NULL, 16);
			route_add(r, ifname, AF_INET, &a);
		}
		fclose(f);
	}
	lines = 0;
	if ((f = fopen("/proc/net/ipv6_route", "re"))) {
		while (lines++ < MAX_FILE_LINES && fgets(line, sizeof(line), f)) {
			char *p = line, *w[10];
			unsigned char dest[16], hop[16];
			for (size_t i = 0; i < 10; i++)
				w[i] = next_word(&p);
			if (hex_bytes(w[0], dest, 16) == 0 && hex_bytes(w[4], hop, 16) == 0 &&
			    strcmp(w[1], "00") == 0 && is_default_gateway(w[8]))
				route_add(r, w[9], AF_INET6, hop);
		}
		fclose(f);
	}
}

/* resolv.conf(5): the name servers the resolver uses, and the search list
 * (the last "domain" or "search" line wins; "domain" is also DNSDomain). */
static void resolver(struct resolver *r)
{
	char line[1024];
	size_t lines = 0;
	FILE *f = fopen("/etc/resolv.conf", "re");

	memset(r, 0, sizeof(*r));
	if (!f)
		return;
	while (lines++ < MAX_FILE_LINES && fgets(line, sizeof(line), f)) {
		char *p = line, *key = next_word(&p), *word;
		if (strcmp(key, "nameserver") == 0 && r->servers.n < MAX_DNS_SERVERS &&
		    *(word = next_word(&p))) {
			texts_add(&r->servers, word);
		} else if (strcmp(key, "domain") == 0 || strcmp(key, "search") == 0) {
			r->search.n = 0;
			*r->domain = 0;
			while (*(word = next_word(&p)) && r->search.n < MAX_DNS_SEARCH)
				texts_add(&r->search, word);
			if (strcmp(key, "domain") == 0 && r->search.n)
				snprintf(r->domain, sizeof(r->domain), "%s", r->search.v[0]);
		}
	}
	fclose(f);
}

/* What describes the device: its driver ("virtio_net", "e1000e"), else
 * (a virtual interface) its name. */
static const char *description(const struct adapter *a)
{
	return *a->driver ? a->driver : a->name;
}

static void caption(struct cim_instance *inst, const struct adapter *a)
{
	/* Windows': "[00000007] Intel(R) 82574L Gigabit Network Connection". */
	cim_prop(inst, "Caption", CIM_STRING, "[%08u] %s", a->index, description(a));
	cim_prop(inst, "Description", CIM_STRING, "%s", description(a));
}

static void adapter_instance(struct cim_instance *inst, const struct adapter *a, const char *host)
{
	int up = (a->flags & IFF_UP) != 0;

	/* AdapterTypeId's words: 0 Ethernet 802.3, 9 Wireless. */
	if (a->wireless || a->type == ARPHRD_IEEE80211) {
		cim_prop(inst, "AdapterType", CIM_STRING, "Wireless");
		cim_prop(inst, "AdapterTypeId", CIM_NUMBER, "9");
	} else if (a->type == ARPHRD_ETHER) {
		cim_prop(inst, "AdapterType", CIM_STRING, "Ethernet 802.3");
		cim_prop(inst, "AdapterTypeId", CIM_NUMBER, "0");
	} else {
		cim_prop_text(inst, "AdapterType", NULL);
		cim_prop_text(inst, "AdapterTypeId", NULL);
	}
	caption(inst, a);
	cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_NetworkAdapter");
	cim_prop(inst, "DeviceID", CIM_STRING, "%u", a->index);
	cim_prop(inst, "Index", CIM_NUMBER, "%u", a->index);
	cim_prop(inst, "InterfaceIndex", CIM_NUMBER, "%u", a->index);
	cim_prop_text(inst, "MACAddress", a->mac);
	cim_prop(inst, "Name", CIM_STRING, "%s", a->name);
	cim_prop(inst, "NetConnectionID", CIM_STRING, "%s", a->name);
	/* NetConnectionStatus: 0 disconnected (down), 2 connected, 7 media
	 * disconnected (up without a carrier). */
	cim_prop(inst, "NetConnectionStatus", CIM_NUMBER, "%d", !up ? 0 : a->carrier ? 2 : 7);
	cim_prop(inst, "NetEnabled", CIM_BOOLEAN, "%s", up ? "true" : "false");
	cim_prop(inst, "PhysicalAdapter", CIM_BOOLEAN, "%s", a->physical ? "true" : "false");
	cim_prop(inst, "ProductName", CIM_STRING, "%s", description(a));
	cim_prop_text(inst, "ServiceName", a->driver);
	/* Bits per second; a link that is down or virtual has none. */
	if (a->speed > 0)
		cim_prop(inst, "Speed", CIM_NUMBER, "%llu",
			 (unsigned long long)a->speed * 1000000ULL);
	else
		cim_prop_text(inst, "Speed", NULL);
	cim_prop(inst, "SystemCreationClassName", CIM_STRING, "Win32_ComputerSystem");
	cim_prop(inst, "SystemName", CIM_STRING, "%s", host);
}

/* An interface without addresses is not IP-enabled, and Windows leaves
 * its IP settings nil; the resolver's settings are every IP-enabled
 * interface's but the loopback's. */
static void configuration_instance(struct cim_instance *inst, const struct adapter *a,
				   const char *host, const struct resolver *r)
{
	int ip = a->addresses.n > 0, dns = ip && !(a->flags & IFF_LOOPBACK);

	caption(inst, a);
	cim_prop_strings(inst, "DefaultIPGateway", a->gateways.p, ip ? a->gateways.n : 0);
	cim_prop_text(inst, "DHCPEnabled", NULL); /* not known here */
	cim_prop_text(inst, "DNSDomain", dns ? r->domain : NULL);
	cim_prop_strings(inst, "DNSDomainSuffixSearchOrder", r->search.p, dns ? r->search.n : 0);
	cim_prop_text(inst, "DNSHostName", ip ? host : NULL);
	cim_prop_strings(inst, "DNSServerSearchOrder", r->servers.p, dns ? r->servers.n : 0);
	cim_prop(inst, "Index", CIM_NUMBER, "%u", a->index);
	cim_prop(inst, "InterfaceIndex", CIM_NUMBER, "%u", a->index);
	cim_prop_strings(inst, "IPAddress", a->addresses.p, a->addresses.n);
	cim_prop(inst, "IPEnabled", CIM_BOOLEAN, "%s", ip ? "true" : "false");
	cim_prop_strings(inst, "IPSubnet", a->subnets.p, a->subnets.n);
	cim_prop_text(inst, "MACAddress", a->mac);
	cim_prop(inst, "MTU", CIM_NUMBER, "%ld", a->mtu);
	cim_prop_text(inst, "ServiceName", a->driver);
}

/* Every interface, in the kernel's order of indexes. */
static enum err each_adapter(struct cim_set *out, int configuration)
{
	struct if_nameindex *names = if_nameindex();
	struct ifaddrs *all = NULL;
	struct adapter *a = malloc(sizeof(*a));
	struct routes *routes = malloc(sizeof(*routes));
	struct resolver *r = malloc(sizeof(*r));
	char host[CIM_MAX_VALUE + 1];
	enum err e = names && a && routes && r ? ERR_OK : ERR_WSMAN_INTERNAL;

	if (e == ERR_OK) {
		if (getifaddrs(&all) != 0)
			all = NULL; /* no addresses known: none given */
		default_routes(routes);
		resolver(r);
		cim_host_name(host, sizeof(host));
	}
	for (size_t i = 0; e == ERR_OK && i < MAX_ADAPTERS && names[i].if_index; i++) {
		struct cim_instance *inst = cim_set_add(out);
		if (!inst) {
			e = ERR_WSMAN_INTERNAL;
			break;
		}
		read_adapter(a, names[i].if_index, names[i].if_name);
		addresses(a, all);
		for (size_t k = 0; k < routes->n; k++)
			if (strcmp(routes->v[k].ifname, a->name) == 0)
				texts_add(&a->gateways, routes->v[k].hop);
		if (configuration)
			configuration_instance(inst, a, host, r);
		else
			adapter_instance(inst, a, host);
	}
	if (all)
		freeifaddrs(all);
	if (names)
		if_freenameindex(names);
	free(a);
	free(routes);
	free(r);
	return e;
}

enum err cim_network_adapters(struct cim_set *out)
{
	return each_adapter(out, 0);
}

enum err cim_network_configurations(struct cim_set *out)
{
	return each_adapter(out, 1);
}
