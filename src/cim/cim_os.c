/* cim_os: the machine as a whole: Win32_OperatingSystem (with its
 * methods Reboot and Shutdown) and Win32_ComputerSystem, singletons,
 * from os-release, uname, /proc and /sys/class/dmi/id. */
#include "cim/cim_int.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Windows' Name is "Caption|WindowsDirectory|boot partition". */
static void os_name_of(const char *caption, char *out, size_t cap)
{
	snprintf(out, cap, "%s|/|", caption);
}

void cim_os_name(char *out, size_t cap)
{
	char caption[CIM_MAX_VALUE + 1];

	pretty_name(caption, sizeof(caption));
	os_name_of(caption, out, cap);
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

enum err cim_operating_system(struct cim_set *out)
{
	struct cim_instance *inst = cim_set_add(out);
	char caption[CIM_MAX_VALUE + 1], name[CIM_MAX_VALUE + 4], host[CIM_MAX_VALUE + 1];
	struct utsname u;
	time_t boot = (time_t)cim_keyed_number("/proc/stat", "btime");

	if (!inst || uname(&u) != 0)
		return ERR_WSMAN_INTERNAL;
	pretty_name(caption, sizeof(caption));
	cim_host_name(host, sizeof(host));
	cim_prop(inst, "BuildNumber", CIM_STRING, "%s", u.version);
	cim_prop(inst, "CSCreationClassName", CIM_STRING, "Win32_ComputerSystem");
	cim_prop(inst, "CSName", CIM_STRING, "%s", host);
	cim_prop(inst, "Caption", CIM_STRING, "%s", caption);
	cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_OperatingSystem");
	cim_prop(inst, "FreePhysicalMemory", CIM_NUMBER, "%llu",
		 cim_keyed_number("/proc/meminfo", "MemAvailable:"));
	if (boot)
		cim_prop_datetime(inst, "LastBootUpTime", boot);
	else
		cim_prop_text(inst, "LastBootUpTime", NULL);
	cim_prop_datetime(inst, "LocalDateTime", time(NULL));
	os_name_of(caption, name, sizeof(name));
	cim_prop(inst, "Name", CIM_STRING, "%s", name);
	cim_prop(inst, "NumberOfProcesses", CIM_NUMBER, "%u", count_processes());
	cim_prop(inst, "OSArchitecture", CIM_STRING, "%s", architecture(&u));
	cim_prop(inst, "OSType", CIM_NUMBER, "36"); /* CIM_OperatingSystem.OSType's LINUX */
	cim_prop(inst, "TotalVisibleMemorySize", CIM_NUMBER, "%llu",
		 cim_keyed_number("/proc/meminfo", "MemTotal:"));
	cim_prop(inst, "Version", CIM_STRING, "%s", u.release);
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

enum err cim_computer_system(struct cim_set *out)
{
	struct cim_instance *inst = cim_set_add(out);
	char domain[CIM_MAX_VALUE + 1], vendor[CIM_MAX_VALUE + 1], model[CIM_MAX_VALUE + 1],
	    host[CIM_MAX_VALUE + 1];
	struct utsname u;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (!inst || uname(&u) != 0)
		return ERR_WSMAN_INTERNAL;
	domain_of(&u, domain, sizeof(domain));
	cim_read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	cim_read_line("/sys/class/dmi/id/product_name", model, sizeof(model));
	cim_host_name(host, sizeof(host));
	cim_prop(inst, "Caption", CIM_STRING, "%s", host);
	cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_ComputerSystem");
	cim_prop(inst, "DNSHostName", CIM_STRING, "%s", host);
	cim_prop(inst, "Domain", CIM_STRING, "%s", domain);
	cim_prop_text(inst, "Manufacturer", vendor);
	cim_prop_text(inst, "Model", model);
	cim_prop(inst, "Name", CIM_STRING, "%s", host);
	cim_prop(inst, "NumberOfLogicalProcessors", CIM_NUMBER, "%ld", cpus > 0 ? cpus : 1);
	cim_prop(inst, "NumberOfProcessors", CIM_NUMBER, "%u", count_packages());
	cim_prop(inst, "SystemType", CIM_STRING, "%s", system_type(&u));
	cim_prop(inst, "TotalPhysicalMemory", CIM_NUMBER, "%llu",
		 cim_keyed_number("/proc/meminfo", "MemTotal:") * 1024);
	return ERR_OK;
}

/* ---- Reboot and Shutdown ---- */

/* What they answer: 0, or a Win32 error code (WMI's documentation of
 * the methods: "any other number indicates an error"). */
enum {
	POWER_OK = 0,
	POWER_GEN_FAILURE = 31,		 /* ERROR_GEN_FAILURE */
	POWER_TIMEOUT = 1460,		 /* ERROR_TIMEOUT */
	POWER_PRIVILEGE_NOT_HELD = 1314, /* ERROR_PRIVILEGE_NOT_HELD */
};

/* shutdown(8)'s end: a caller who is not root was refused what Windows
 * refuses a caller without SeShutdownPrivilege. */
static enum err power_finished(struct cim_invoke_reply *out, int status, int timed_out)
{
	uint32_t rv = POWER_GEN_FAILURE;

	if (timed_out)
		rv = POWER_TIMEOUT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rv = POWER_OK;
	else if (geteuid() != 0)
		rv = POWER_PRIVILEGE_NOT_HELD;
	cim_return(out, rv);
	return ERR_OK;
}

/* The machine's own shutdown(8), as the caller, as an administrator
 * would type it: systemd's (systemctl: the manager, logind for a caller
 * who is not root, /run/initctl where systemd is not running) or
 * sysvinit's. It answers once the system has the request, as Windows'
 * methods answer before the machine goes down. */
static enum err power(const struct cim_call *call, struct cim_invoke_reply *out,
		      struct cim_pending *pending, const char *how)
{
	char name[CIM_MAX_VALUE + 4], tool[] = "/sbin/shutdown", now[] = "now",
				      *argv[] = {tool, (char *)how, now, NULL};

	cim_os_name(name, sizeof(name));
	if (call->key && strcmp(call->key, name) != 0)
		return ERR_WSMAN_NO_INSTANCE;
	cim_run_pending(argv, call, power_finished, POWER_GEN_FAILURE, out, pending);
	return ERR_OK;
}

static enum err reboot(const struct cim_call *call, struct cim_invoke_reply *out,
		       struct cim_pending *pending)
{
	return power(call, out, pending, "-r");
}

/* Windows' Shutdown leaves the machine safe to power off, and powers it
 * off where it can: shutdown -h (poweroff, unless sysvinit's INIT_HALT
 * says halt). */
static enum err shutdown_os(const struct cim_call *call, struct cim_invoke_reply *out,
			    struct cim_pending *pending)
{
	return power(call, out, pending, "-h");
}

/* Of the one instance: named by its Name, or by nothing, as the
 * singleton's Get and EPR name it. */
static const struct cim_method os_methods[] = {
    {"Reboot", 1, {{0}}, reboot},
    {"Shutdown", 1, {{0}}, shutdown_os},
};

const struct cim_methods cim_os_methods = {"Name", os_methods,
					   sizeof(os_methods) / sizeof(os_methods[0])};
