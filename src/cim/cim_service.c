/* cim_service: Win32_Service (CIM_Service) and its methods StartService,
 * StopService and ChangeStartMode, from the service manager this machine
 * has: systemd
 * over D-Bus (sd-bus) where it is PID 1 (sd_booted), else Debian's
 * System V init scripts (/etc/init.d, as `service` runs them: their
 * status action's exit code for the state, LSB's 0 running and 1 to 3
 * stopped; the links of runlevel 2, Debian's default, for the start
 * mode, changed with update-rc.d). Everything runs as the caller: the bus's policy (polkit) and the
 * scripts' own checks decide what the caller may do, as a WMI provider
 * impersonates its client. The scripts run bounded in time: an
 * enumeration waits LIST_TIMEOUT_MS for all their statuses together, a
 * script that does not answer is "Unknown", and a start or stop runs
 * in a child the host waits for without blocking (cim_pending). */
#include "cim/cim_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "common/util.h"

#define MAX_SERVICES 4096      /* of one answer */
#define STATUS_BATCH 32	       /* init scripts asked for their status at once */
#define STATUS_TIMEOUT_MS 2000 /* one script's status, before a method */
#define LIST_TIMEOUT_MS 4000   /* every script's status, for an enumeration */
#define HEADER_BYTES 8192      /* of a script read for its LSB header */
#define UPDATE_RC_D "/usr/sbin/update-rc.d"

/* Win32_Service's methods' return values (WMI's documentation of the
 * class). */
enum {
	SERVICE_OK = 0,
	SERVICE_NOT_SUPPORTED = 1,
	SERVICE_ACCESS_DENIED = 2,
	SERVICE_CANNOT_ACCEPT_CONTROL = 5,
	SERVICE_REQUEST_TIMEOUT = 7,
	SERVICE_UNKNOWN_FAILURE = 8,
	SERVICE_ALREADY_RUNNING = 10,
	SERVICE_DISABLED = 14,
	SERVICE_INVALID_PARAMETER = 21,
};

enum service_state { STATE_UNKNOWN, STATE_RUNNING, STATE_STOPPED, STATE_STARTING, STATE_STOPPING };
static const char *const state_words[] = {"Unknown", "Running", "Stopped", "Start Pending",
					  "Stop Pending"};

/* What Win32_Service says of one service, whichever the manager. */
struct service {
	char name[CIM_MAX_VALUE + 1];
	char display[CIM_MAX_VALUE + 1];
	char description[CIM_MAX_VALUE + 1];
	char path[CIM_MAX_VALUE + 1];
	char default_start[64]; /* the LSB header's runlevels */
	const char *start_mode; /* "Auto", "Manual", "Disabled" */
	enum service_state state;
	long pid;
	long exit_code;
};

struct services {
	struct service *v;
	size_t n, cap;
};

static struct service *service_add(struct services *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct service *v;
		if (s->n >= MAX_SERVICES || !(v = realloc(s->v, cap * sizeof(*v))))
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].start_mode = "Manual";
	return &s->v[s->n++];
}

static int by_name(const void *a, const void *b)
{
	return strcasecmp(((const struct service *)a)->name, ((const struct service *)b)->name);
}

/* The instances, by name as Windows lists them. */
static enum err emit(struct services *s, struct cim_set *out)
{
	char host[CIM_MAX_VALUE + 1];

	cim_host_name(host, sizeof(host));
	if (s->n)
		qsort(s->v, s->n, sizeof(s->v[0]), by_name);
	for (size_t i = 0; i < s->n; i++) {
		const struct service *v = &s->v[i];
		struct cim_instance *inst = cim_set_add(out);
		int running = v->state == STATE_RUNNING;
		if (!inst)
			return ERR_WSMAN_INTERNAL;
		cim_prop(inst, "AcceptPause", CIM_BOOLEAN, "false");
		cim_prop(inst, "AcceptStop", CIM_BOOLEAN, "%s", running ? "true" : "false");
		cim_prop_text(inst, "Caption", v->display);
		cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_Service");
		cim_prop_text(inst, "Description", v->description);
		cim_prop_text(inst, "DisplayName", v->display);
		cim_prop(inst, "ExitCode", CIM_NUMBER, "%ld", v->exit_code);
		cim_prop(inst, "Name", CIM_STRING, "%s", v->name);
		cim_prop_text(inst, "PathName", v->path);
		cim_prop(inst, "ProcessId", CIM_NUMBER, "%ld", running ? v->pid : 0);
		cim_prop(inst, "ServiceType", CIM_STRING, "Own Process");
		cim_prop(inst, "Started", CIM_BOOLEAN, "%s", running ? "true" : "false");
		cim_prop(inst, "StartMode", CIM_STRING, "%s", v->start_mode);
		cim_prop(inst, "State", CIM_STRING, "%s", state_words[v->state]);
		cim_prop(inst, "Status", CIM_STRING, "%s",
			 v->state == STATE_UNKNOWN ? "Unknown" : "OK");
		cim_prop(inst, "SystemCreationClassName", CIM_STRING, "Win32_ComputerSystem");
		cim_prop(inst, "SystemName", CIM_STRING, "%s", host);
	}
	return ERR_OK;
}

/* ---- System V init scripts ---- */

/* What `service --status-all` passes over: not services, or a package
 * manager's leftovers. */
static int is_script_name(const char *name)
{
	static const char *const not_services[] = {"README",   "rc",	    "rcS",  "single",
						   "skeleton", "functions", "halt", "killall"};
	size_t n = strlen(name);

	if (!n || n > NAME_MAX || name[0] == '.' || name[n - 1] == '~' || strchr(name, '/') ||
	    strstr(name, ".dpkg-") || strstr(name, ".ucf-"))
		return 0;
	for (size_t i = 0; i < sizeof(not_services) / sizeof(not_services[0]); i++)
		if (strcmp(name, not_services[i]) == 0)
			return 0;
	return 1;
}

/* root + "/etc/init.d/" + name, if that is a script this user may run. */
static int script_path(const char *root, const char *name, char *out, size_t cap)
{
	struct stat st;

	return is_script_name(name) &&
	       (size_t)snprintf(out, cap, "%s/etc/init.d/%s", root, name) < cap &&
	       stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0;
}

/* The LSB header's Short-Description, Description (their first line) and
 * Default-Start. */
static void lsb_header(const char *path, struct service *s)
{
	static const struct {
		const char *key;
		size_t offset, size;
	} keys[] = {
	    {"# Short-Description:", offsetof(struct service, display), sizeof(s->display)},
	    {"# Description:", offsetof(struct service, description), sizeof(s->description)},
	    {"# Default-Start:", offsetof(struct service, default_start), sizeof(s->default_start)},
	};
	char line[CIM_MAX_VALUE + 64];
	size_t read = 0;
	int inside = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (read < HEADER_BYTES && fgets(line, sizeof(line), f)) {
		read += strlen(line);
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "### BEGIN INIT INFO", 19) == 0)
			inside = 1;
		else if (strncmp(line, "### END INIT INFO", 17) == 0)
			break;
		for (size_t i = 0; inside && i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i].key);
			char *v = line + n, *to = (char *)s + keys[i].offset;
			if (strncmp(line, keys[i].key, n) != 0 || *to)
				continue;
			v += strspn(v, " \t");
			snprintf(to, keys[i].size, "%s", v);
		}
	}
	fclose(f);
	if (!*s->display)
		snprintf(s->display, sizeof(s->display), "%s", s->name);
}

/* Runlevel 2's links: S (started at boot) is Auto, K (update-rc.d
 * disable) Disabled, none Manual. */
static const char *start_mode_of(const char *root, const char *name)
{
	char dir[PATH_MAX];
	const char *mode = "Manual";
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/etc/rc2.d", root);
	if (!(d = opendir(dir)))
		return mode;
	while ((de = readdir(d)))
		if (strlen(de->d_name) > 3 && strcmp(de->d_name + 3, name) == 0) {
			if (de->d_name[0] == 'S') {
				mode = "Auto";
				break;
			}
			if (de->d_name[0] == 'K')
				mode = "Disabled";
		}
	closedir(d);
	return mode;
}

/* The pid in root/run/<name>.pid, Debian's usual place, if it lives. */
static long pid_of(const char *root, const char *name)
{
	char path[PATH_MAX], line[32];
	uint64_t pid;

	snprintf(path, sizeof(path), "%s/run/%s.pid", root, name);
	cim_read_line(path, line, sizeof(line));
	if (util_parse_u64(line, INT32_MAX, &pid) != ERR_OK || pid == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%llu", (unsigned long long)pid);
	return access(path, F_OK) == 0 ? (long)pid : 0;
}

/* LSB's status exit codes: 0 running, 1 dead with a pid file, 2 dead
 * with a lock file, 3 not running; anything else, a script that did not
 * answer in time or could not start is unknown. */
static enum service_state state_of_status(int status)
{
	if (status == -1 || !WIFEXITED(status))
		return STATE_UNKNOWN;
	if (WEXITSTATUS(status) == 0)
		return STATE_RUNNING;
	return WEXITSTATUS(status) <= 3 ? STATE_STOPPED : STATE_UNKNOWN;
}

/* The states of v[0..n), STATUS_BATCH scripts at a time, all within
 * timeout_ms; a script that cannot start is unknown. */
static void statuses(const char *root, struct service *v, size_t n, uint32_t timeout_ms)
{
	uint64_t deadline = util_now_ms() + timeout_ms;

	for (size_t first = 0; first < n; first += STATUS_BATCH) {
		pid_t pids[STATUS_BATCH];
		int status[STATUS_BATCH];
		size_t of[STATUS_BATCH], started = 0, batch = n - first;
		uint64_t now = util_now_ms();
		if (batch > STATUS_BATCH)
			batch = STATUS_BATCH;
		for (size_t i = first; i < first + batch; i++) {
			char path[PATH_MAX], *argv[] = {path, "status", NULL};
			snprintf(path, sizeof(path), "%s/etc/init.d/%s", root, v[i].name);
			v[i].state = STATE_UNKNOWN;
			if ((pids[started] = cim_run_start(argv)) > 0)
				of[started++] = i;
		}
		cim_run_wait(pids, status, started,
			     now < deadline ? (uint32_t)(deadline - now) : 0);
		for (size_t k = 0; k < started; k++)
			v[of[k]].state = state_of_status(status[k]);
	}
}

/* One script's service, but its state. */
static void script_service(const char *root, const char *name, const char *path, struct service *s)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->path, sizeof(s->path), "%s", path);
	lsb_header(path, s);
	s->start_mode = start_mode_of(root, name);
	s->pid = pid_of(root, name);
}

enum err cim_services_initd(const char *root, struct cim_set *out)
{
	struct services s = {0};
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	enum err e = ERR_OK;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/etc/init.d", root);
	if (!(d = opendir(dir)))
		return ERR_OK; /* no init scripts: no services */
	while ((de = readdir(d)) && e == ERR_OK) {
		struct service *v;
		if (!script_path(root, de->d_name, path, sizeof(path)))
			continue;
		if (!(v = service_add(&s)))
			e = ERR_WSMAN_INTERNAL;
		else
			script_service(root, de->d_name, path, v);
	}
	closedir(d);
	if (e == ERR_OK) {
		/* Each status's fresh pid, and the pid files' only if running. */
		statuses(root, s.v, s.n, LIST_TIMEOUT_MS);
		e = emit(&s, out);
	}
	free(s.v);
	return e;
}

/* How a start or stop script ended: LSB's 4 is insufficient privilege;
 * any other failure of a caller that is not root is what the system
 * refused them (a daemon of another account), as WMI's access denied. */
static enum err script_finished(struct cim_invoke_reply *out, int status, int timed_out)
{
	uint32_t rv = SERVICE_UNKNOWN_FAILURE;

	if (timed_out)
		rv = SERVICE_REQUEST_TIMEOUT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rv = SERVICE_OK;
	else if ((WIFEXITED(status) && WEXITSTATUS(status) == 4) || geteuid() != 0)
		rv = SERVICE_ACCESS_DENIED;
	cim_return(out, rv);
	return ERR_OK;
}

enum err cim_service_control_initd(const char *root, const char *name, int start,
				   const struct cim_call *call, struct cim_invoke_reply *out,
				   struct cim_pending *pending)
{
	struct service s = {0};
	char path[PATH_MAX], *argv[] = {path, start ? "start" : "stop", NULL};

	if (!script_path(root, name, path, sizeof(path)))
		return ERR_WSMAN_NO_INSTANCE;
	script_service(root, name, path, &s);
	statuses(root, &s, 1, STATUS_TIMEOUT_MS);
	/* As the service control manager answers a control it cannot take. */
	if (start && s.state == STATE_RUNNING)
		cim_return(out, SERVICE_ALREADY_RUNNING);
	else if (!start && s.state == STATE_STOPPED)
		cim_return(out, SERVICE_CANNOT_ACCEPT_CONTROL);
	else if (start && strcmp(s.start_mode, "Disabled") == 0)
		cim_return(out, SERVICE_DISABLED);
	else
		cim_run_pending(argv, call, script_finished, SERVICE_UNKNOWN_FAILURE, out, pending);
	return ERR_OK;
}

/* update-rc.d's action that takes a script from one start mode to
 * another: none (or 0 links) is Manual, S links Auto, K links Disabled. */
static const char *update_rc_d_action(const char *from, const char *to)
{
	if (strcmp(to, "Manual") == 0)
		return "remove";
	if (strcmp(from, "Manual") == 0)
		return strcmp(to, "Auto") == 0 ? "defaults" : "defaults-disabled";
	return strcmp(to, "Auto") == 0 ? "enable" : "disable";
}

enum err cim_service_start_mode_initd(const char *root, const char *name, const char *mode,
				      const struct cim_call *call, struct cim_invoke_reply *out,
				      struct cim_pending *pending)
{
	struct service s = {0};
	char path[PATH_MAX], tool[PATH_MAX], force[] = "-f", *argv[5] = {tool}, **arg = argv + 1;
	const char *action;

	if (!script_path(root, name, path, sizeof(path)))
		return ERR_WSMAN_NO_INSTANCE;
	script_service(root, name, path, &s);
	if (!mode) {
		cim_return(out, SERVICE_INVALID_PARAMETER);
		return ERR_OK;
	}
	if (strcmp(s.start_mode, mode) == 0) {
		cim_return(out, SERVICE_OK);
		return ERR_OK;
	}
	/* Links come from the header's runlevels: without them a script
	 * can be neither started at boot nor disabled there. */
	if (strcmp(mode, "Manual") != 0 && !s.default_start[strspn(s.default_start, " \t")]) {
		log_info("WMI Win32_Service: ChangeStartMode(%s) of %s: its LSB header names no "
			 "Default-Start runlevels",
			 mode, name);
		cim_return(out, SERVICE_NOT_SUPPORTED);
		return ERR_OK;
	}
	/* The system's own check, made first: update-rc.d run by a user who
	 * may not write the links says nothing and succeeds at "defaults". */
	snprintf(tool, sizeof(tool), "%s/etc/rc2.d", root);
	if (access(tool, W_OK) != 0) {
		cim_return(out, SERVICE_ACCESS_DENIED);
		return ERR_OK;
	}
	action = update_rc_d_action(s.start_mode, mode);
	snprintf(tool, sizeof(tool), "%s%s", root, UPDATE_RC_D);
	if (strcmp(action, "remove") == 0)
		*arg++ = force; /* the script stays: its links go */
	*arg++ = s.name;
	*arg++ = (char *)action;
	*arg = NULL;
	cim_run_pending(argv, call, script_finished, SERVICE_UNKNOWN_FAILURE, out, pending);
	return ERR_OK;
}

/* ---- systemd, over D-Bus ---- */

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1.Service"
#define SYSTEMD_TIMEOUT_MS 10000 /* a call of an enumeration */

static sd_bus *systemd_bus(uint32_t timeout_ms)
{
	sd_bus *bus = NULL;

	if (sd_bus_open_system(&bus) < 0)
		return NULL;
	(void)sd_bus_set_method_call_timeout(bus, (uint64_t)timeout_ms * 1000);
	return bus;
}

static enum service_state state_of_active(const char *active)
{
	if (strcmp(active, "active") == 0 || strcmp(active, "reloading") == 0)
		return STATE_RUNNING;
	if (strcmp(active, "inactive") == 0 || strcmp(active, "failed") == 0)
		return STATE_STOPPED;
	if (strcmp(active, "activating") == 0)
		return STATE_STARTING;
	return strcmp(active, "deactivating") == 0 ? STATE_STOPPING : STATE_UNKNOWN;
}

/* UnitFileState: started at boot (enabled) is Auto; masked, which cannot
 * be started at all, Disabled; the rest (disabled, static) Manual. */
static const char *start_mode_of_unit_file(const char *state)
{
	if (strncmp(state, "enabled", 7) == 0)
		return "Auto";
	return strncmp(state, "masked", 6) == 0 ? "Disabled" : "Manual";
}

/* PathName: ExecStart's first command line, its path and arguments. */
static void exec_start(sd_bus *bus, const char *unit_path, char *out, size_t cap)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *program;
	char **argv = NULL;

	if (sd_bus_get_property(bus, SYSTEMD_DEST, unit_path, SYSTEMD_SERVICE, "ExecStart", &err,
				&m, "a(sasbttttuii)") >= 0 &&
	    sd_bus_message_enter_container(m, 'a', "(sasbttttuii)") > 0 &&
	    sd_bus_message_enter_container(m, 'r', "sasbttttuii") > 0 &&
	    sd_bus_message_read(m, "s", &program) > 0 && sd_bus_message_read_strv(m, &argv) >= 0) {
		size_t n = (size_t)snprintf(out, cap, "%s", program);
		for (size_t i = 1; argv && argv[i] && n < cap; i++)
			n += (size_t)snprintf(out + n, cap - n, " %s", argv[i]);
	}
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
}

/* A unit's start mode (GetUnitFileState); Manual when systemd does not say. */
static const char *unit_start_mode_now(sd_bus *bus, const char *unit)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *state, *mode = "Manual";

	if (sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnitFileState",
			       &err, &m, "s", unit) >= 0 &&
	    sd_bus_message_read(m, "s", &state) > 0)
		mode = start_mode_of_unit_file(state);
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	return mode;
}

/* What systemd says of a unit beyond ListUnits': start mode, pid, exit
 * status, command line. */
static void unit_details(sd_bus *bus, const char *unit, const char *unit_path, struct service *s)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint32_t pid = 0;
	int32_t code = 0;

	s->start_mode = unit_start_mode_now(bus, unit);
	if (sd_bus_get_property_trivial(bus, SYSTEMD_DEST, unit_path, SYSTEMD_SERVICE, "MainPID",
					&err, 'u', &pid) >= 0)
		s->pid = (long)pid;
	sd_bus_error_free(&err);
	if (sd_bus_get_property_trivial(bus, SYSTEMD_DEST, unit_path, SYSTEMD_SERVICE,
					"ExecMainStatus", &err, 'i', &code) >= 0)
		s->exit_code = code;
	sd_bus_error_free(&err);
	exec_start(bus, unit_path, s->path, sizeof(s->path));
}

/* The object path of a unit, loaded if it was not (a unit never started
 * is not); NULL for no unit of that name. */
static char *unit_path_of(sd_bus *bus, const char *unit)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *path = NULL;
	char *copy = NULL;

	if (sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit", &err,
			       &m, "s", unit) >= 0 &&
	    sd_bus_message_read(m, "o", &path) > 0)
		copy = strdup(path);
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	return copy;
}

/* A property of a unit as a new string ("" when systemd does not say). */
static char *unit_property(sd_bus *bus, const char *unit_path, const char *name)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char *value = NULL;

	if (sd_bus_get_property_string(bus, SYSTEMD_DEST, unit_path, SYSTEMD_UNIT, name, &err,
				       &value) < 0)
		value = strdup("");
	sd_bus_error_free(&err);
	return value;
}

static int listed(const struct services *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return 1;
	return 0;
}

/* The service unit files systemd has not loaded (installed but never
 * started, or stopped and let go), as Windows lists every installed
 * service: loaded to read their description, state and start mode, as
 * `systemctl status` does. Templates and aliases are no services of
 * their own. */
static enum err unloaded_unit_files(sd_bus *bus, struct services *s)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *file, *state;
	enum err e = ERR_OK;
	int r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
				   "ListUnitFilesByPatterns", &err, &m, "asas", 0, 1, "*.service");

	if (r < 0 || sd_bus_message_enter_container(m, 'a', "(ss)") < 0) {
		log_warnx("WMI Win32_Service: systemd's unit files: %s",
			  err.message ? err.message : strerror(-r));
		e = ERR_WSMAN_INTERNAL;
	}
	while (e == ERR_OK && sd_bus_message_read(m, "(ss)", &file, &state) > 0) {
		const char *unit = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		size_t n = strlen(unit) - strlen(".service");
		char name[CIM_MAX_VALUE + 1], *unit_path, *description, *active;
		struct service *v;
		if (strlen(unit) <= strlen(".service") || unit[n - 1] == '@' ||
		    strcmp(state, "alias") == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)n, unit);
		if (listed(s, name) || !(unit_path = unit_path_of(bus, unit)))
			continue;
		description = unit_property(bus, unit_path, "Description");
		active = unit_property(bus, unit_path, "ActiveState");
		if (!description || !active || !(v = service_add(s))) {
			e = ERR_WSMAN_INTERNAL;
		} else {
			snprintf(v->name, sizeof(v->name), "%s", name);
			snprintf(v->display, sizeof(v->display), "%s",
				 *description ? description : name);
			snprintf(v->description, sizeof(v->description), "%s", description);
			v->state = state_of_active(active);
			unit_details(bus, unit, unit_path, v);
		}
		free(unit_path);
		free(description);
		free(active);
	}
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	return e;
}

/* Every service systemd has, loaded or not, but units whose file is gone. */
static enum err systemd_services(struct cim_set *out)
{
	struct services s = {0};
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = systemd_bus(SYSTEMD_TIMEOUT_MS);
	const char *unit, *description, *load, *active, *sub, *following, *unit_path, *job_type,
	    *job_path;
	uint32_t job_id;
	enum err e = ERR_OK;
	int r;

	if (!bus)
		return ERR_WSMAN_INTERNAL;
	r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
			       "ListUnitsByPatterns", &err, &m, "asas", 0, 1, "*.service");
	if (r < 0 || sd_bus_message_enter_container(m, 'a', "(ssssssouso)") < 0) {
		log_warnx("WMI Win32_Service: systemd's units: %s",
			  err.message ? err.message : strerror(-r));
		e = ERR_WSMAN_INTERNAL;
	}
	while (e == ERR_OK &&
	       sd_bus_message_read(m, "(ssssssouso)", &unit, &description, &load, &active, &sub,
				   &following, &unit_path, &job_id, &job_type, &job_path) > 0) {
		struct service *v;
		size_t n = strlen(unit) - strlen(".service");
		if (strcmp(load, "not-found") == 0)
			continue;
		if (!(v = service_add(&s))) {
			e = ERR_WSMAN_INTERNAL;
			break;
		}
		snprintf(v->name, sizeof(v->name), "%.*s", (int)n, unit);
		snprintf(v->display, sizeof(v->display), "%s", description);
		snprintf(v->description, sizeof(v->description), "%s", description);
		v->state = state_of_active(active);
		unit_details(bus, unit, unit_path, v);
	}
	if (e == ERR_OK)
		e = unloaded_unit_files(bus, &s);
	if (e == ERR_OK)
		e = emit(&s, out);
	free(s.v);
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	sd_bus_flush_close_unref(bus);
	return e;
}

/* A unit's name as systemd admits it (unit_name_is_valid's characters). */
static int is_unit_name(const char *name)
{
	size_t n = strlen(name);

	return n && n < 256 - sizeof(".service") &&
	       strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") == n;
}

/* The return value of a manager's call that answered r and err: the
 * bus's policy (polkit) refuses a caller who may not. */
static uint32_t call_result(int r, const sd_bus_error *err, const char *method, const char *unit)
{
	uint32_t rv = SERVICE_UNKNOWN_FAILURE;

	if (r >= 0)
		return SERVICE_OK;
	if (sd_bus_error_has_names(err, SD_BUS_ERROR_ACCESS_DENIED,
				   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
		rv = SERVICE_ACCESS_DENIED;
	else if (r == -ETIMEDOUT ||
		 sd_bus_error_has_names(err, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY))
		rv = SERVICE_REQUEST_TIMEOUT;
	log_info("WMI Win32_Service: %s of %s: %s", method, unit,
		 err->name ? err->name : strerror(-r));
	return rv;
}

/* StartUnit or StopUnit in mode "replace", as `systemctl start` asks:
 * the job is queued and the call answers, as the service control manager
 * answers a control. */
static uint32_t unit_control(sd_bus *bus, const char *unit, int start)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *method = start ? "StartUnit" : "StopUnit";
	int r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, method, &err,
				   &m, "ss", unit, "replace");
	uint32_t rv = call_result(r, &err, method, unit);

	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	return rv;
}

/* A unit-file call on the unit alone, persistent (runtime false), and
 * with force false where the method takes it. */
static uint32_t unit_file_call(sd_bus *bus, const char *method, const char *unit, int takes_force)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r = takes_force ? sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
						 method, &err, &m, "asbb", 1, unit, 0, 0)
			    : sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
						 method, &err, &m, "asb", 1, unit, 0);
	uint32_t rv = call_result(r, &err, method, unit);

	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
	return rv;
}

/* What `systemctl enable`, `disable` and `mask` do: Auto is enabled,
 * Manual neither enabled nor masked, Disabled masked (it cannot start);
 * then the manager reloads, as systemctl has it do. */
static uint32_t unit_start_mode(sd_bus *bus, const char *unit, const char *from, const char *to)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint32_t rv = SERVICE_OK;
	int r;

	if (strcmp(from, to) == 0)
		return SERVICE_OK;
	if (strcmp(from, "Disabled") == 0)
		rv = unit_file_call(bus, "UnmaskUnitFiles", unit, 0);
	if (rv == SERVICE_OK && strcmp(to, "Auto") == 0)
		rv = unit_file_call(bus, "EnableUnitFiles", unit, 1);
	else if (rv == SERVICE_OK && strcmp(to, "Manual") == 0 && strcmp(from, "Auto") == 0)
		rv = unit_file_call(bus, "DisableUnitFiles", unit, 0);
	else if (rv == SERVICE_OK && strcmp(to, "Disabled") == 0)
		rv = unit_file_call(bus, "MaskUnitFiles", unit, 1);
	if (rv == SERVICE_OK) {
		r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload",
				       &err, NULL, NULL);
		rv = call_result(r, &err, "Reload", unit);
	}
	sd_bus_error_free(&err);
	return rv;
}

/* StartService (start 1) or StopService (0) of a unit; or, with
 * changes_mode, ChangeStartMode to mode (NULL: not a mode WMI has). */
static enum err systemd_control(const char *name, int start, int changes_mode, const char *mode,
				const struct cim_call *call, struct cim_invoke_reply *out)
{
	sd_bus *bus;
	char unit[256], *unit_path, *load = NULL, *active = NULL;
	enum service_state state;
	enum err e = ERR_OK;

	if (!is_unit_name(name))
		return ERR_WSMAN_NO_INSTANCE;
	snprintf(unit, sizeof(unit), "%s.service", name);
	if (!(bus = systemd_bus(call->timeout_ms ? call->timeout_ms : 1))) {
		cim_return(out, SERVICE_UNKNOWN_FAILURE);
		return ERR_OK;
	}
	if (!(unit_path = unit_path_of(bus, unit)) ||
	    !(load = unit_property(bus, unit_path, "LoadState")) ||
	    !(active = unit_property(bus, unit_path, "ActiveState"))) {
		e = unit_path ? ERR_NOMEM : ERR_WSMAN_NO_INSTANCE;
	} else if (strcmp(load, "not-found") == 0) {
		e = ERR_WSMAN_NO_INSTANCE;
	} else {
		/* As the service control manager answers a control it cannot take. */
		state = state_of_active(active);
		if (changes_mode && !mode)
			cim_return(out, SERVICE_INVALID_PARAMETER);
		else if (changes_mode)
			cim_return(
			    out, unit_start_mode(bus, unit, unit_start_mode_now(bus, unit), mode));
		else if (start && state == STATE_RUNNING)
			cim_return(out, SERVICE_ALREADY_RUNNING);
		else if (!start && state == STATE_STOPPED)
			cim_return(out, SERVICE_CANNOT_ACCEPT_CONTROL);
		else if (start && strcmp(load, "masked") == 0)
			cim_return(out, SERVICE_DISABLED);
		else
			cim_return(out, unit_control(bus, unit, start));
	}
	sd_bus_flush_close_unref(bus);
	free(unit_path);
	free(load);
	free(active);
	return e;
}

/* ---- the class ---- */

enum err cim_services(struct cim_set *out)
{
	return sd_booted() > 0 ? systemd_services(out) : cim_services_initd("", out);
}

static enum err control(const struct cim_call *call, struct cim_invoke_reply *out,
			struct cim_pending *pending, int start)
{
	if (sd_booted() > 0)
		return systemd_control(call->key, start, 0, NULL, call, out);
	return cim_service_control_initd("", call->key, start, call, out, pending);
}

static enum err start_service(const struct cim_call *call, struct cim_invoke_reply *out,
			      struct cim_pending *pending)
{
	return control(call, out, pending, 1);
}

static enum err stop_service(const struct cim_call *call, struct cim_invoke_reply *out,
			     struct cim_pending *pending)
{
	return control(call, out, pending, 0);
}

/* ChangeStartMode's StartMode as WMI names the modes, and as the class's
 * StartMode property says them; Boot and System are for drivers only. */
static const char *start_mode_named(const char *name)
{
	static const char *const modes[][2] = {
	    {"Automatic", "Auto"}, {"Manual", "Manual"}, {"Disabled", "Disabled"}};

	for (size_t i = 0; name && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcasecmp(name, modes[i][0]) == 0)
			return modes[i][1];
	return NULL;
}

static enum err change_start_mode(const struct cim_call *call, struct cim_invoke_reply *out,
				  struct cim_pending *pending)
{
	const char *mode = start_mode_named(call->in[0]);

	if (sd_booted() > 0)
		return systemd_control(call->key, 0, 1, mode, call, out);
	return cim_service_start_mode_initd("", call->key, mode, call, out, pending);
}

static const struct cim_method service_methods[] = {
    {"StartService", 1, {{0}}, start_service},
    {"StopService", 1, {{0}}, stop_service},
    {"ChangeStartMode", 1, {{"StartMode", CIM_STRING}}, change_start_mode},
};

const struct cim_methods cim_service_methods = {
    "Name", service_methods, sizeof(service_methods) / sizeof(service_methods[0])};
