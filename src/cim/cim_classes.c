/* cim_classes: the classes served, one row each, and the providers that
 * fill their instances from this system's own sources (os-release,
 * uname, /proc, /sys/class/dmi/id). They run in the connecting user's
 * host, so they read what that user may read, as a WMI provider
 * impersonates its caller. */
#include "cim/cim.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* Appends a property; values longer than CIM_MAX_VALUE are cut. */
static void add(struct cim_instance *inst, const char *name, enum cim_type type, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
static void add(struct cim_instance *inst, const char *name, enum cim_type type, const char *fmt,
		...)
{
	struct cim_property *p;
	va_list ap;

	if (inst->nproperties >= CIM_MAX_PROPERTIES)
		return;
	p = &inst->properties[inst->nproperties++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	va_start(ap, fmt);
	vsnprintf(p->value, sizeof(p->value), fmt, ap);
	va_end(ap);
}

/* A string property from a source that may be missing: NULL when it is. */
static void add_text(struct cim_instance *inst, const char *name, const char *value)
{
	if (value && *value)
		add(inst, name, CIM_STRING, "%s", value);
	else
		add(inst, name, CIM_NULL, "%s", "");
}

/* xs:dateTime in local time with its offset, as Windows writes WMI's
 * datetimes ("Z" at offset zero). */
static void add_datetime(struct cim_instance *inst, const char *name, time_t t)
{
	struct tm tm;
	char text[40];
	long off;

	if (!localtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm)) {
		add(inst, name, CIM_NULL, "%s", "");
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		add(inst, name, CIM_DATETIME, "%sZ", text);
	else
		add(inst, name, CIM_DATETIME, "%s%c%02ld:%02ld", text, off < 0 ? '-' : '+',
		    labs(off) / 60, labs(off) % 60);
}

/* The first line of a small file, without its newline; "" if unreadable. */
static void read_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");

	*out = 0;
	if (!f)
		return;
	if (!fgets(out, (int)cap, f))
		*out = 0;
	out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* The number after "key" in a file of "key value" lines (/proc/meminfo's
 * "MemTotal:", /proc/stat's "btime"); 0 if absent. */
static unsigned long long keyed_number(const char *path, const char *key)
{
	unsigned long long v = 0;
	size_t n = strlen(key);
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && isspace((unsigned char)line[n])) {
			v = strtoull(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* os-release's PRETTY_NAME, unquoted (/etc, else /usr/lib, as os-release(5) says). */
static void pretty_name(char *out, size_t cap)
{
	static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
	char line[512];

	*out = 0;
	for (size_t i = 0; i < 2 && !*out; i++) {
		FILE *f = fopen(paths[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *v = line + strlen("PRETTY_NAME=");
			if (strncmp(line, "PRETTY_NAME=", strlen("PRETTY_NAME=")) != 0)
				continue;
			v[strcspn(v, "\n")] = 0;
			if (*v == '"' || *v == '\'') {
				size_t n = strlen(v);
				if (n >= 2 && v[n - 1] == *v)
					v[n - 1] = 0;
				v++;
			}
			size_t n = strlen(v) < cap - 1 ? strlen(v) : cap - 1;
			memcpy(out, v, n); /* a longer name is cut */
			out[n] = 0;
			break;
		}
		fclose(f);
	}
	if (!*out)
		snprintf(out, cap, "Linux");
}

static unsigned count_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += isdigit((unsigned char)de->d_name[0]) != 0;
	closedir(d);
	return n;
}

/* Windows' words for the machine's word size and kind of PC. */
static const char *architecture(const struct utsname *u)
{
	return strstr(u->machine, "64") || strncmp(u->machine, "s390x", 5) == 0 ? "64-bit"
										: "32-bit";
}

static const char *system_type(const struct utsname *u)
{
	if (strcmp(u->machine, "x86_64") == 0)
		return "x64-based PC";
	if (strcmp(u->machine, "aarch64") == 0)
		return "ARM64-based PC";
	if (strlen(u->machine) == 4 && u->machine[0] == 'i' && strcmp(u->machine + 2, "86") == 0)
		return "X86-based PC";
	return u->machine;
}

static enum err operating_system(struct cim_reply *out)
{
	struct cim_instance *inst = &out->instances[out->ninstances++];
	char caption[CIM_MAX_VALUE + 1];
	struct utsname u;
	time_t boot = (time_t)keyed_number("/proc/stat", "btime");

	if (uname(&u) != 0)
		return ERR_WSMAN_INTERNAL;
	pretty_name(caption, sizeof(caption));
	add(inst, "BuildNumber", CIM_STRING, "%s", u.version);
	add(inst, "CSCreationClassName", CIM_STRING, "Win32_ComputerSystem");
	add(inst, "CSName", CIM_STRING, "%s", u.nodename);
	add(inst, "Caption", CIM_STRING, "%s", caption);
	add(inst, "CreationClassName", CIM_STRING, "Win32_OperatingSystem");
	add(inst, "FreePhysicalMemory", CIM_NUMBER, "%llu",
	    keyed_number("/proc/meminfo", "MemAvailable:"));
	if (boot)
		add_datetime(inst, "LastBootUpTime", boot);
	else
		add_text(inst, "LastBootUpTime", NULL);
	add_datetime(inst, "LocalDateTime", time(NULL));
	/* Windows' is "Caption|WindowsDirectory|boot partition". */
	add(inst, "Name", CIM_STRING, "%s|/|", caption);
	add(inst, "NumberOfProcesses", CIM_NUMBER, "%u", count_processes());
	add(inst, "OSArchitecture", CIM_STRING, "%s", architecture(&u));
	add(inst, "OSType", CIM_NUMBER, "36"); /* CIM_OperatingSystem.OSType's LINUX */
	add(inst, "TotalVisibleMemorySize", CIM_NUMBER, "%llu",
	    keyed_number("/proc/meminfo", "MemTotal:"));
	add(inst, "Version", CIM_STRING, "%s", u.release);
	return ERR_OK;
}

/* Physical processors: the distinct "physical id" lines of /proc/cpuinfo
 * (at least one). */
static unsigned count_packages(void)
{
	unsigned long seen[64];
	unsigned n = 0;
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f) {
		while (fgets(line, sizeof(line), f) && n < 64) {
			char *colon;
			unsigned long id;
			unsigned i;
			if (strncmp(line, "physical id", 11) != 0 || !(colon = strchr(line, ':')))
				continue;
			id = strtoul(colon + 1, NULL, 10);
			for (i = 0; i < n && seen[i] != id; i++)
				;
			if (i == n)
				seen[n++] = id;
		}
		fclose(f);
	}
	return n ? n : 1;
}

/* Windows' Domain: the DNS domain of the host's name, else its NIS
 * domain, else WORKGROUP, as a machine in no domain says. */
static void domain_of(const struct utsname *u, char *out, size_t cap)
{
	const char *dot = strchr(u->nodename, '.');

	if (dot && dot[1])
		snprintf(out, cap, "%s", dot + 1);
	else if (*u->domainname && strcmp(u->domainname, "(none)") != 0)
		snprintf(out, cap, "%s", u->domainname);
	else
		snprintf(out, cap, "WORKGROUP");
}

static enum err computer_system(struct cim_reply *out)
{
	struct cim_instance *inst = &out->instances[out->ninstances++];
	char domain[CIM_MAX_VALUE + 1], vendor[CIM_MAX_VALUE + 1], model[CIM_MAX_VALUE + 1];
	struct utsname u;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (uname(&u) != 0)
		return ERR_WSMAN_INTERNAL;
	domain_of(&u, domain, sizeof(domain));
	read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	read_line("/sys/class/dmi/id/product_name", model, sizeof(model));
	u.nodename[strcspn(u.nodename, ".")] = 0;
	add(inst, "Caption", CIM_STRING, "%s", u.nodename);
	add(inst, "CreationClassName", CIM_STRING, "Win32_ComputerSystem");
	add(inst, "DNSHostName", CIM_STRING, "%s", u.nodename);
	add(inst, "Domain", CIM_STRING, "%s", domain);
	add_text(inst, "Manufacturer", vendor);
	add_text(inst, "Model", model);
	add(inst, "Name", CIM_STRING, "%s", u.nodename);
	add(inst, "NumberOfLogicalProcessors", CIM_NUMBER, "%ld", cpus > 0 ? cpus : 1);
	add(inst, "NumberOfProcessors", CIM_NUMBER, "%u", count_packages());
	add(inst, "SystemType", CIM_STRING, "%s", system_type(&u));
	add(inst, "TotalPhysicalMemory", CIM_NUMBER, "%llu",
	    keyed_number("/proc/meminfo", "MemTotal:") * 1024);
	return ERR_OK;
}

/* The classes served: WMI's name, and DMTF's for the CIM class it
 * derives from (which the DMTF URI addresses, and root/cimv2 answers by
 * its Win32_ instances, as WMI does). */
static const struct cim_class {
	const char *name;
	const char *cim_name;
	enum err (*fill)(struct cim_reply *out);
} classes[] = {
    {"Win32_OperatingSystem", "CIM_OperatingSystem", operating_system},
    {"Win32_ComputerSystem", "CIM_ComputerSystem", computer_system},
};

static const struct cim_class *class_find(const char *name, int dmtf, const char **spelling)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (!dmtf && strcasecmp(name, classes[i].name) == 0) {
			*spelling = classes[i].name;
			return &classes[i];
		}
		if (strcasecmp(name, classes[i].cim_name) == 0) {
			*spelling = classes[i].cim_name;
			return &classes[i];
		}
	}
	return NULL;
}

enum err cim_instances(const struct cim_request *req, struct cim_reply *out)
{
	const struct cim_class *c;
	const char *spelling = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = cim_namespace_allows(req, CIM_READ_REMOTELY)) != ERR_OK)
		return e;
	if (!(c = class_find(req->class_name, req->dmtf != 0, &spelling)))
		return ERR_WSMAN_WMI_NOT_FOUND;
	snprintf(out->class_name, sizeof(out->class_name), "%s", spelling);
	return c->fill(out);
}
