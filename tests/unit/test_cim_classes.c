/* Unit tests for cim/'s classes beyond the machine and its processes:
 * each provider's instances checked against the same source read
 * another way (df, /proc/net/dev and ioctls, dpkg-query, getent), the
 * dpkg status parser on hostile input, and array properties (repeated
 * elements, kept in order). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "cim/cim_int.h"
#include "common/buf.h"
#include "check.h"

#define MAX_LINES 100000 /* of a command's output read by a test */

/* Every instance of a class, taken page by page as the network process
 * takes them. */
static struct cim_set all_of(const char *class_name)
{
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .access.sddl = CIM_DEFAULT_SDDL,
				  .access.is_admin = 1,
				  .enumerate = 1};
	struct cim_reply *r = calloc(1, sizeof(*r));
	struct cim_snapshots *s = cim_snapshots_new();
	struct cim_set set = {0};
	uint32_t pages = 0;

	snprintf(req.class_name, sizeof(req.class_name), "%s", class_name);
	while (r && s && pages++ < 100000 && cim_instances(s, &req, r) == ERR_OK) {
		for (uint32_t i = 0; i < r->ninstances; i++) {
			struct cim_instance *inst = cim_set_add(&set);
			if (inst)
				*inst = r->instances[i];
		}
		if (!r->snapshot)
			break;
		req.snapshot = r->snapshot;
		req.first = r->first + r->ninstances;
	}
	cim_snapshots_free(s);
	free(r);
	return set;
}

/* A Get by one key; ERR_OK and the instance in *out. */
static enum err get_by(const char *class_name, const char *key, const char *value,
		       struct cim_instance *out)
{
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .access.sddl = CIM_DEFAULT_SDDL,
				  .access.is_admin = 1,
				  .nselectors = 1};
	struct cim_reply *r = calloc(1, sizeof(*r));
	enum err e;
	struct cim_snapshots *s = cim_snapshots_new();

	snprintf(req.class_name, sizeof(req.class_name), "%s", class_name);
	snprintf(req.selectors[0].name, sizeof(req.selectors[0].name), "%s", key);
	snprintf(req.selectors[0].value, sizeof(req.selectors[0].value), "%s", value);
	e = cim_instances(s, &req, r);
	if (e == ERR_OK)
		*out = r->instances[0];
	cim_snapshots_free(s);
	free(r);
	return e;
}

static const struct cim_property *prop(const struct cim_instance *inst, const char *name)
{
	for (uint32_t i = 0; i < inst->nproperties; i++)
		if (strcmp(inst->properties[i].name, name) == 0)
			return &inst->properties[i];
	return NULL;
}

/* A property's text; "(nil)" for nil, "(none)" when absent. */
static const char *val(const struct cim_instance *inst, const char *name)
{
	const struct cim_property *p = prop(inst, name);

	return !p ? "(none)" : p->type == CIM_NULL ? "(nil)" : p->value;
}

/* The elements of an array property, in order, joined by spaces. */
static void elements(const struct cim_instance *inst, const char *name, char *out, size_t cap)
{
	size_t n = 0;

	*out = 0;
	for (uint32_t i = 0; i < inst->nproperties; i++)
		if (strcmp(inst->properties[i].name, name) == 0 &&
		    inst->properties[i].type != CIM_NULL)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? " " : "",
					      inst->properties[i].value);
}

static const struct cim_instance *find(const struct cim_set *set, const char *name,
				       const char *value)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (strcmp(val(&set->v[i], name), value) == 0)
			return &set->v[i];
	return NULL;
}

/* The lines a command prints, each without its newline, in lines[]. */
static size_t command_lines(const char *cmd, char (*lines)[512], size_t max)
{
	FILE *p = popen(cmd, "r");
	char line[512];
	size_t n = 0, seen = 0;

	if (!p)
		return 0;
	while (seen++ < MAX_LINES && fgets(line, sizeof(line), p))
		if (n < max) {
			line[strcspn(line, "\n")] = 0;
			snprintf(lines[n++], sizeof(lines[0]), "%s", line);
		}
	pclose(p);
	return n;
}

static void short_host(char *out, size_t cap)
{
	struct utsname u;

	uname(&u);
	snprintf(out, cap, "%.*s", (int)strcspn(u.nodename, "."), u.nodename);
}

/* ---- arrays ---- */

static void test_arrays(void)
{
	static const char *const addresses[] = {"192.0.2.7", "2001:db8::7", "fe80::7"};
	struct cim_instance *inst = calloc(1, sizeof(*inst));
	struct cim_target t;
	struct buf b;
	char got[256];

	/* Names before and after, so a sort that is not stable could move
	 * the elements. */
	for (int i = 0; i < 12; i++)
		cim_prop(inst, i % 2 ? "Zeta" : "Alpha", CIM_NUMBER, "%d", i);
	cim_prop_strings(inst, "IPAddress", addresses, 3);
	cim_prop_strings(inst, "DNSServerSearchOrder", addresses, 0);
	elements(inst, "IPAddress", got, sizeof(got));
	CHECK("an array: its elements in order", strcmp(got, "192.0.2.7 2001:db8::7 fe80::7") == 0);
	CHECK("an empty array: nil", prop(inst, "DNSServerSearchOrder") &&
					 prop(inst, "DNSServerSearchOrder")->type == CIM_NULL);
	buf_init(&b, 65536);
	cim_uri_parse(CIM_WMI_PREFIX "root/cimv2/Win32_NetworkAdapterConfiguration", &t);
	CHECK("xml written",
	      cim_instance_xml(&b, &t, "Win32_NetworkAdapterConfiguration", inst) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK);
	const char *x = (const char *)buf_ptr(&b);
	CHECK("repeated elements, in order, together",
	      strstr(x, "<p:IPAddress>192.0.2.7</p:IPAddress><p:IPAddress>2001:db8::7</p:IPAddress>"
			"<p:IPAddress>fe80::7</p:IPAddress>") != NULL);
	CHECK("the repeats of a scalar-looking name keep their order too",
	      strstr(x, "<p:Alpha>0</p:Alpha><p:Alpha>2</p:Alpha><p:Alpha>4</p:Alpha>") != NULL &&
		  strstr(x, "<p:Zeta>9</p:Zeta><p:Zeta>11</p:Zeta>") != NULL);
	CHECK("nil empty array", strstr(x, "<p:DNSServerSearchOrder xsi:nil=\"true\"/>") != NULL);
	buf_clear(&b);
	free(inst);
}

/* ---- Win32_LogicalDisk ---- */

/* The file system type of the mount at dir, from /proc/self/mountinfo
 * (the type is after the " - " separator). */
static void mountinfo_type(const char *dir, char *out, size_t cap)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	*out = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[5], *p = line, *sep = strstr(line, " - ");
		for (int i = 0; i < 5; i++) {
			fields[i] = p;
			p += strcspn(p, " ");
			if (*p)
				*p++ = 0;
		}
		if (sep && strcmp(fields[4], dir) == 0)
			snprintf(out, cap, "%.*s", (int)strcspn(sep + 3, " "), sep + 3);
	}
	if (f)
		fclose(f);
}

static void test_logical_disks(void)
{
	static char targets[256][512];
	struct cim_set set = all_of("Win32_LogicalDisk");
	size_t n = command_lines("df --output=target 2>/dev/null | tail -n +2", targets, 256);
	const struct cim_instance *root = find(&set, "DeviceID", "/");
	struct cim_instance got;
	struct statvfs vfs;
	char type[64], host[256];
	size_t matched = 0;

	CHECK("df lists some file systems", n > 0);
	for (size_t i = 0; i < n; i++)
		matched += find(&set, "DeviceID", targets[i]) != NULL;
	CHECK("the disks are df's mount points, each once", matched == n && set.n == n);
	short_host(host, sizeof(host));
	CHECK("the root file system among them", root != NULL);
	if (root && statvfs("/", &vfs) == 0) {
		char size[32];
		mountinfo_type("/", type, sizeof(type));
		snprintf(size, sizeof(size), "%llu",
			 (unsigned long long)vfs.f_blocks * vfs.f_frsize);
		CHECK("Size: statvfs's blocks", strcmp(val(root, "Size"), size) == 0);
		CHECK("FreeSpace within Size",
		      prop(root, "FreeSpace")->type == CIM_NUMBER &&
			  strtoull(val(root, "FreeSpace"), NULL, 10) <= strtoull(size, NULL, 10));
		CHECK("FileSystem: mountinfo's type", strcmp(val(root, "FileSystem"), type) == 0);
		CHECK("local: DriveType 3, no ProviderName",
		      strcmp(val(root, "DriveType"), "3") == 0 &&
			  strcmp(val(root, "ProviderName"), "(nil)") == 0);
		CHECK("SystemName, Name, Caption", strcmp(val(root, "SystemName"), host) == 0 &&
						       strcmp(val(root, "Name"), "/") == 0 &&
						       strcmp(val(root, "Caption"), "/") == 0);
	}
	CHECK("get by DeviceID", get_by("Win32_LogicalDisk", "DeviceID", "/", &got) == ERR_OK &&
				     strcmp(val(&got, "Name"), "/") == 0);
	CHECK("get of a directory that is no mount point",
	      get_by("Win32_LogicalDisk", "DeviceID", "/no/such/mount", &got) ==
		  ERR_WSMAN_NO_INSTANCE);
	CHECK("no pseudo file system", !find(&set, "FileSystem", "proc") &&
					   !find(&set, "FileSystem", "sysfs") &&
					   !find(&set, "FileSystem", "devpts"));
	cim_set_free(&set);
	set = all_of("CIM_LogicalDisk");
	CHECK("DMTF's name answers", find(&set, "DeviceID", "/") != NULL);
	cim_set_free(&set);
}

/* ---- Win32_NetworkAdapter, Win32_NetworkAdapterConfiguration ---- */

static void test_network(void)
{
	static char dev[256][512];
	struct cim_set adapters = all_of("Win32_NetworkAdapter");
	struct cim_set configs = all_of("Win32_NetworkAdapterConfiguration");
	/* /proc/net/dev: two header lines, then "name: counters". */
	size_t n = command_lines("tail -n +3 /proc/net/dev", dev, 256), matched = 0;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);
	char got[1024];

	for (size_t i = 0; i < n; i++) {
		char *name = dev[i] + strspn(dev[i], " ");
		name[strcspn(name, ":")] = 0;
		const struct cim_instance *a = find(&adapters, "Name", name);
		struct ifreq ifr = {0};
		char mtu[32], index[32];
		if (!a)
			continue;
		matched++;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		snprintf(index, sizeof(index), "%u", if_nametoindex(name));
		const struct cim_instance *c = find(&configs, "Index", index);
		if (ioctl(sock, SIOCGIFMTU, &ifr) == 0) {
			snprintf(mtu, sizeof(mtu), "%d", ifr.ifr_mtu);
			CHECK("MTU: the ioctl's", c && strcmp(val(c, "MTU"), mtu) == 0);
		}
		CHECK("DeviceID and Index: the interface's index",
		      strcmp(val(a, "DeviceID"), index) == 0 &&
			  strcmp(val(a, "Index"), index) == 0);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0)
			CHECK("NetEnabled: IFF_UP",
			      strcmp(val(a, "NetEnabled"),
				     ifr.ifr_flags & IFF_UP ? "true" : "false") == 0);
		if (ioctl(sock, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == 1) {
			const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
			char mac[32];
			snprintf(mac, sizeof(mac), "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1],
				 m[2], m[3], m[4], m[5]);
			CHECK("MACAddress: the ioctl's, Windows' form",
			      strcmp(val(a, "MACAddress"), mac) == 0 &&
				  strcmp(val(a, "AdapterType"), "Ethernet 802.3") == 0 &&
				  (!c || strcmp(val(c, "MACAddress"), mac) == 0));
		}
		if (c && ioctl(sock, SIOCGIFADDR, &ifr) == 0) {
			char addr[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr, addr,
				  sizeof(addr));
			elements(c, "IPAddress", got, sizeof(got));
			CHECK("IPAddress: the ioctl's address first",
			      strncmp(got, addr, strlen(addr)) == 0 &&
				  strcmp(val(c, "IPEnabled"), "true") == 0);
		}
	}
	CHECK("an adapter and a configuration per interface of /proc/net/dev",
	      n > 0 && matched == n && adapters.n == n && configs.n == n);
	const struct cim_instance *lo = find(&configs, "Description", "lo");
	char subnets[1024];
	if (lo) {
		elements(lo, "IPAddress", got, sizeof(got));
		elements(lo, "IPSubnet", subnets, sizeof(subnets));
	}
	CHECK("the loopback: 127.0.0.1 of 255.0.0.0, no DNS servers",
	      lo && strncmp(got, "127.0.0.1", 9) == 0 && strncmp(subnets, "255.0.0.0", 9) == 0 &&
		  strcmp(val(lo, "DNSServerSearchOrder"), "(nil)") == 0 &&
		  strcmp(val(lo, "DHCPEnabled"), "(nil)") == 0);
	struct cim_instance one;
	CHECK("get a configuration by Index",
	      get_by("Win32_NetworkAdapterConfiguration", "Index", "1", &one) == ERR_OK &&
		  strcmp(val(&one, "Index"), "1") == 0);
	CHECK("get an adapter by DeviceID",
	      get_by("Win32_NetworkAdapter", "DeviceID", "1", &one) == ERR_OK &&
		  strcmp(val(&one, "InterfaceIndex"), "1") == 0);
	if (sock >= 0)
		close(sock);
	cim_set_free(&adapters);
	cim_set_free(&configs);
}

/* ---- Win32_Product ---- */

static struct cim_set parse(const char *text, const char *info_dir)
{
	struct cim_set set = {0};
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	if (f) {
		cim_dpkg_packages(f, info_dir, &set);
		fclose(f);
	}
	return set;
}

static void test_dpkg_parser(void)
{
	char dir[] = "/tmp/owt-dpkg-XXXXXX", path[64];
	struct utimbuf when = {.actime = 1700000000, .modtime = 1700000000};
	struct tm tm;
	char date[16];
	int fd;

	if (!mkdtemp(dir)) {
		CHECK("temporary info dir", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/plain.list", dir);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0)
		close(fd);
	utime(path, &when);
	localtime_r(&when.modtime, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);

	struct cim_set set = parse("Package: plain\n"
				   "Status: install ok installed\n"
				   "Architecture: amd64\n"
				   "Maintainer: Someone <s@example.org>\n"
				   "Version: 1:2.3-4\n"
				   "Description: a plain package\n"
				   " with a longer description\n"
				   " .\n"
				   " Package: not-a-field\n"
				   "\n"
				   "package: lower\n"
				   "STATUS: install ok half-configured\n"
				   "architecture: all\n"
				   "\n"
				   "Package: gone\n"
				   "Status: deinstall ok config-files\n"
				   "\n"
				   "Package: purged\n"
				   "Status: purge ok not-installed\n"
				   "\n"
				   "Status: install ok installed\n"
				   "Version: no package field\n"
				   "\n\n\n"
				   "Package: last\r\n"
				   "Status: install ok triggers-pending\r\n"
				   "Architecture: i386",
				   dir);
	const struct cim_instance *p = find(&set, "Name", "plain");
	CHECK("installed packages only: plain, lower, last",
	      set.n == 3 && p && find(&set, "Name", "lower") && find(&set, "Name", "last"));
	CHECK("fields", p && strcmp(val(p, "Version"), "1:2.3-4") == 0 &&
			    strcmp(val(p, "Vendor"), "Someone <s@example.org>") == 0 &&
			    strcmp(val(p, "Description"), "a plain package") == 0 &&
			    strcmp(val(p, "IdentifyingNumber"), "plain:amd64") == 0 &&
			    strcmp(val(p, "InstallState"), "5") == 0);
	CHECK("InstallDate: the file list's time", p && strcmp(val(p, "InstallDate"), date) == 0);
	p = find(&set, "Name", "lower");
	CHECK("field names any case; half-configured: bad configuration (-6); no list: nil",
	      p && strcmp(val(p, "InstallState"), "-6") == 0 &&
		  strcmp(val(p, "IdentifyingNumber"), "lower:all") == 0 &&
		  strcmp(val(p, "InstallDate"), "(nil)") == 0 &&
		  strcmp(val(p, "Version"), "(nil)") == 0);
	p = find(&set, "Name", "last");
	CHECK("CRLF and no newline at the end",
	      p && strcmp(val(p, "IdentifyingNumber"), "last:i386") == 0 &&
		  strcmp(val(p, "InstallState"), "5") == 0);
	cim_set_free(&set);

	/* A field longer than a line buffer, then more fields: the value is
	 * cut, what follows still read. */
	size_t big = 3 * 4096 + 77;
	char *text = malloc(big + 256);
	int n = snprintf(text, 256, "Package: long\nStatus: install ok installed\nDescription: ");
	memset(text + n, 'x', big);
	snprintf(text + n + big, 256, "\nVersion: 9\nArchitecture: all\n");
	set = parse(text, dir);
	p = set.n == 1 ? &set.v[0] : NULL;
	CHECK("a long line: cut, the next fields read",
	      p && strlen(val(p, "Description")) == CIM_MAX_VALUE &&
		  strcmp(val(p, "Version"), "9") == 0 &&
		  strcmp(val(p, "IdentifyingNumber"), "long:all") == 0);
	cim_set_free(&set);
	/* A name so long its key would be cut: not listed (found by fuzzing). */
	n = snprintf(text, 256, "Package: ");
	memset(text + n, 'n', 300);
	snprintf(text + n + 300, 256, "\nStatus: install ok installed\nArchitecture: all\n");
	set = parse(text, dir);
	CHECK("a name whose key would not fit: left out", set.n == 0);
	cim_set_free(&set);
	/* Garbage: no colon, NULs, a lone "Status:" field. */
	static const char garbage[] = "Package\nStatus:\n:\n\x01\x02:\n\nPackage: x\nStatus: a\n";
	set = parse(garbage, dir);
	CHECK("garbage: nothing installed", set.n == 0);
	cim_set_free(&set);
	free(text);
	unlink(path);
	rmdir(dir);
}

static void test_products(void)
{
	static char lines[8192][512];
	struct cim_set set = all_of("Win32_Product");
	size_t n = command_lines("dpkg-query -W -f='${db:Status-Status} ${Package} "
				 "${Architecture} ${Version}\\n' 2>/dev/null",
				 lines, 8192);
	size_t installed = 0, same = 0;

	for (size_t i = 0; i < n; i++) {
		char state[64], key[600], *p = lines[i], *name, *arch;
		snprintf(state, sizeof(state), "%.*s", (int)strcspn(p, " "), p);
		if (strcmp(state, "installed") != 0)
			continue;
		installed++;
		name = p + strcspn(p, " ") + 1;
		arch = name + strcspn(name, " ");
		*arch++ = 0;
		char *version = arch + strcspn(arch, " ");
		*version++ = 0;
		snprintf(key, sizeof(key), "%s:%s", name, arch);
		const struct cim_instance *inst = find(&set, "IdentifyingNumber", key);
		same += inst && strcmp(val(inst, "Version"), version) == 0 &&
			strcmp(val(inst, "Name"), name) == 0;
	}
	CHECK("dpkg-query's installed packages, each with its version",
	      installed > 0 && same == installed && set.n >= installed);
	struct cim_instance got;
	CHECK("get by IdentifyingNumber",
	      set.n &&
		  get_by("Win32_Product", "IdentifyingNumber", val(&set.v[0], "IdentifyingNumber"),
			 &got) == ERR_OK &&
		  strcmp(val(&got, "Name"), val(&set.v[0], "Name")) == 0);
	cim_set_free(&set);
	set = all_of("CIM_Product");
	CHECK("DMTF's name answers", set.n >= installed);
	cim_set_free(&set);
}

/* ---- Win32_UserAccount, Win32_Group ---- */

static void test_accounts(void)
{
	static char lines[4096][512];
	struct cim_set users = all_of("Win32_UserAccount"), groups = all_of("Win32_Group");
	size_t npw = command_lines("getent passwd", lines, 4096), ngr;
	struct passwd *root = getpwuid(0);
	char host[256], caption[300];
	const struct cim_instance *u;

	short_host(host, sizeof(host));
	CHECK("a user account per getent passwd line", npw > 0 && users.n == npw);
	ngr = command_lines("getent group", lines, 4096);
	CHECK("a group per getent group line", ngr > 0 && groups.n == ngr);
	u = root ? find(&users, "Name", root->pw_name) : NULL;
	snprintf(caption, sizeof(caption), "%s\\%s", host, root ? root->pw_name : "");
	CHECK("root's account", u && strcmp(val(u, "SID"), "S-1-22-1-0") == 0 &&
				    strcmp(val(u, "Domain"), host) == 0 &&
				    strcmp(val(u, "Caption"), caption) == 0 &&
				    strcmp(val(u, "SIDType"), "1") == 0 &&
				    strcmp(val(u, "AccountType"), "512") == 0 &&
				    strcmp(val(u, "LocalAccount"), "true") == 0 &&
				    strcmp(val(u, "Lockout"), "(nil)") == 0);
	if (u && root) {
		char full[256];
		snprintf(full, sizeof(full), "%.*s", (int)strcspn(root->pw_gecos, ","),
			 root->pw_gecos);
		CHECK("FullName: GECOS's first field",
		      strcmp(val(u, "FullName"), *full ? full : "(nil)") == 0);
		CHECK("Disabled from shadow only where it is readable",
		      (access("/etc/shadow", R_OK) == 0) ==
			  (prop(u, "Disabled")->type == CIM_BOOLEAN));
	}
	const struct cim_instance *g = find(&groups, "SID", "S-1-22-2-0");
	CHECK("gid 0's group: an alias (4)",
	      g && strcmp(val(g, "SIDType"), "4") == 0 && strcmp(val(g, "Domain"), host) == 0);
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .class_name = "Win32_UserAccount",
				  .access.sddl = CIM_DEFAULT_SDDL,
				  .access.is_admin = 1,
				  .nselectors = 2,
				  .selectors = {{"Domain", ""}, {"Name", "root"}}};
	struct cim_reply *r = calloc(1, sizeof(*r));
	struct cim_snapshots *s = cim_snapshots_new();
	snprintf(req.selectors[0].value, sizeof(req.selectors[0].value), "%s", host);
	CHECK("get by Domain and Name",
	      cim_instances(s, &req, r) == ERR_OK &&
		  strcmp(val(&r->instances[0], "SID"), "S-1-22-1-0") == 0);
	snprintf(req.selectors[0].value, sizeof(req.selectors[0].value), "OTHERDOMAIN");
	CHECK("another domain's root: none", cim_instances(s, &req, r) == ERR_WSMAN_NO_INSTANCE);
	req.dmtf = 1;
	CHECK("no DMTF name: not found by the DMTF URI",
	      cim_instances(s, &req, r) == ERR_WSMAN_WMI_NOT_FOUND);
	snprintf(req.class_name, sizeof(req.class_name), "%s", "");
	req.dmtf = 0;
	CHECK("an empty class name is no class",
	      cim_instances(s, &req, r) == ERR_WSMAN_WMI_NOT_FOUND);
	cim_snapshots_free(s);
	free(r);
	cim_set_free(&users);
	cim_set_free(&groups);
}

int main(void)
{
	test_arrays();
	test_logical_disks();
	test_network();
	test_dpkg_parser();
	test_products();
	test_accounts();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
