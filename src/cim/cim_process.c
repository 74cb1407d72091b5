/* cim_process: Win32_Process, one instance per process this user can see
 * in /proc (under hidepid, their own), from /proc/<pid>/stat, cmdline and
 * exe. What the user may not read (another account's executable) is nil,
 * as WMI leaves what its caller may not open. Its methods Create and
 * Terminate act as the caller. */
#include "cim/cim_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

#define PROC_PATH (sizeof("/proc//cmdline") + NAME_MAX) /* /proc/<pid>/<file> */

/* What /proc/<pid>/stat says of a process (proc(5)'s field numbers). */
struct proc_stat {
	char comm[64];					 /* (2) */
	long ppid;					 /* (4) */
	long session;					 /* (6) */
	unsigned long long minflt, majflt, utime, stime; /* (10) (12) (14) (15) */
	long threads;					 /* (20) */
	unsigned long long start_ticks, vsize;		 /* (22) (23) */
	long long rss_pages;				 /* (24) */
};

static int read_stat(const char *pid, struct proc_stat *st)
{
	char path[PROC_PATH], line[1024], *open, *close;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	/* The name may hold spaces and parentheses: it ends at the last ')'. */
	if (!ok || !(open = strchr(line, '(')) || !(close = strrchr(line, ')')) || close < open)
		return -1;
	snprintf(st->comm, sizeof(st->comm), "%.*s", (int)(close - open - 1), open + 1);
	ok = sscanf(close + 2,
		    "%*c %ld %*d %ld %*d %*d %*u %llu %*u %llu %*u %llu %llu %*d %*d %*d %*d %ld "
		    "%*d %llu %llu %lld",
		    &st->ppid, &st->session, &st->minflt, &st->majflt, &st->utime, &st->stime,
		    &st->threads, &st->start_ticks, &st->vsize, &st->rss_pages);
	return ok == 10 ? 0 : -1;
}

/* The command line, its arguments joined by spaces; "" for a kernel
 * thread (which has none, as Windows' System process). */
static void command_line(const char *pid, char *out, size_t cap)
{
	char path[PROC_PATH];
	size_t n = 0;
	FILE *f;

	*out = 0;
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	if (!(f = fopen(path, "re")))
		return;
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	while (n > 0 && out[n - 1] == 0)
		n--;
	out[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i] == 0)
			out[i] = ' ';
}

static void one_process(struct cim_instance *inst, const char *pid, const struct proc_stat *st,
			const char *host, const char *os_name, time_t boot, long hz, long page)
{
	char path[PROC_PATH], exe[PATH_MAX], cmd[CIM_MAX_VALUE + 1];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	len = readlink(path, exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	command_line(pid, cmd, sizeof(cmd));
	cim_prop(inst, "Caption", CIM_STRING, "%s", st->comm);
	cim_prop_text(inst, "CommandLine", cmd);
	cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_Process");
	if (boot)
		cim_prop_datetime(inst, "CreationDate", boot + (time_t)(st->start_ticks / hz));
	else
		cim_prop_text(inst, "CreationDate", NULL);
	cim_prop(inst, "CSCreationClassName", CIM_STRING, "Win32_ComputerSystem");
	cim_prop(inst, "CSName", CIM_STRING, "%s", host);
	cim_prop(inst, "Description", CIM_STRING, "%s", st->comm);
	cim_prop_text(inst, "ExecutablePath", exe);
	cim_prop(inst, "Handle", CIM_STRING, "%s", pid);
	/* CPU times in 100 ns units, as Windows counts them. */
	cim_prop(inst, "KernelModeTime", CIM_NUMBER, "%llu",
		 st->stime * 10000000ULL / (unsigned long long)hz);
	cim_prop(inst, "Name", CIM_STRING, "%s", st->comm);
	cim_prop(inst, "OSCreationClassName", CIM_STRING, "Win32_OperatingSystem");
	cim_prop(inst, "OSName", CIM_STRING, "%s", os_name);
	cim_prop(inst, "PageFaults", CIM_NUMBER, "%llu", st->minflt + st->majflt);
	cim_prop(inst, "ParentProcessId", CIM_NUMBER, "%ld", st->ppid);
	cim_prop(inst, "ProcessId", CIM_NUMBER, "%s", pid);
	cim_prop(inst, "SessionId", CIM_NUMBER, "%ld", st->session);
	cim_prop(inst, "ThreadCount", CIM_NUMBER, "%ld", st->threads);
	cim_prop(inst, "UserModeTime", CIM_NUMBER, "%llu",
		 st->utime * 10000000ULL / (unsigned long long)hz);
	cim_prop(inst, "VirtualSize", CIM_NUMBER, "%llu", st->vsize);
	cim_prop(inst, "WorkingSetSize", CIM_NUMBER, "%lld", st->rss_pages * page);
}

enum err cim_processes(struct cim_set *out)
{
	char os_name[CIM_MAX_VALUE + 1], host[CIM_MAX_VALUE + 1];
	struct dirent *de;
	time_t boot = (time_t)cim_keyed_number("/proc/stat", "btime");
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	enum err e = ERR_OK;
	DIR *d;

	if (!(d = opendir("/proc")))
		return ERR_WSMAN_INTERNAL;
	if (hz <= 0)
		hz = 100;
	cim_host_name(host, sizeof(host));
	cim_os_name(os_name, sizeof(os_name));
	while ((de = readdir(d))) {
		struct proc_stat st;
		struct cim_instance *inst;
		if (!isdigit((unsigned char)de->d_name[0]) || read_stat(de->d_name, &st) != 0)
			continue; /* not a process, or one that ended meanwhile */
		if (!(inst = cim_set_add(out))) {
			e = ERR_WSMAN_INTERNAL;
			break;
		}
		one_process(inst, de->d_name, &st, host, os_name, boot, hz, page);
	}
	closedir(d);
	return e;
}

/* ---- methods: Create and Terminate, as the calling user ---- */

/* Win32_Process's return values (WMI's documentation of Create and
 * Terminate). */
enum {
	PROCESS_OK = 0,
	PROCESS_ACCESS_DENIED = 2,
	PROCESS_UNKNOWN_FAILURE = 8,
	PROCESS_PATH_NOT_FOUND = 9,
	PROCESS_INVALID_PARAMETER = 21,
};

#define MAX_ARGS 256 /* words of a CommandLine (CIM_MAX_VALUE bytes, so never more) */

int cim_split_command_line(const char *line, char **argv, size_t max, char *buf, size_t cap)
{
	size_t argc = 0, used = 0;
	const char *p = line;

	for (;;) {
		char quote = 0;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (argc + 1 >= max)
			return -1;
		argv[argc++] = buf + used;
		for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			char c = *p;
			if (quote && c == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (c == '\'' || c == '"')) {
				quote = c;
				continue;
			}
			if (c == '\\' && quote != '\'' && p[1])
				c = *++p;
			if (used + 1 >= cap)
				return -1;
			buf[used++] = c;
		}
		if (quote || used + 1 >= cap)
			return -1;
		buf[used++] = 0;
	}
	argv[argc] = NULL;
	return argc ? (int)argc : -1;
}

/* What an errno of a failed start or kill answers. */
static uint32_t return_of_errno(int error)
{
	if (error == ENOENT || error == ENOTDIR)
		return PROCESS_PATH_NOT_FOUND;
	if (error == EACCES || error == EPERM)
		return PROCESS_ACCESS_DENIED;
	return PROCESS_UNKNOWN_FAILURE;
}

/* Create(CommandLine, CurrentDirectory): the command line's words run as
 * the caller, with no shell between (as CreateProcess runs it: a shell is
 * "sh -c '...'"), detached from the host, which does not wait for it;
 * ProcessId is its pid. */
static enum err create(const struct cim_call *call, struct cim_invoke_reply *out,
		       struct cim_pending *pending)
{
	char *argv[MAX_ARGS], words[CIM_MAX_VALUE + 1];
	enum cim_run_stage stage;
	int error;
	pid_t pid;

	(void)pending;
	if (!call->in[0] ||
	    cim_split_command_line(call->in[0], argv, MAX_ARGS, words, sizeof(words)) < 0) {
		cim_return(out, PROCESS_INVALID_PARAMETER);
		return ERR_OK;
	}
	if (cim_run_detached(argv, call->in[1], &pid, &error, &stage) != ERR_OK) {
		cim_return(out, stage == CIM_RUN_FORK ? PROCESS_UNKNOWN_FAILURE
						      : return_of_errno(error));
		return ERR_OK;
	}
	cim_prop(&out->output, "ProcessId", CIM_NUMBER, "%d", (int)pid);
	cim_return(out, PROCESS_OK);
	return ERR_OK;
}

/* Terminate(Reason): SIGKILL, as TerminateProcess ends a process at once,
 * sent as the caller: another account's process answers access denied. */
static enum err terminate(const struct cim_call *call, struct cim_invoke_reply *out,
			  struct cim_pending *pending)
{
	char path[PROC_PATH];
	uint64_t pid;

	(void)pending;
	if (util_parse_u64(call->key, INT32_MAX, &pid) != ERR_OK || pid == 0)
		return ERR_WSMAN_NO_INSTANCE;
	snprintf(path, sizeof(path), "/proc/%llu", (unsigned long long)pid);
	/* An instance this user cannot see (hidepid) is none. */
	if (access(path, F_OK) != 0)
		return ERR_WSMAN_NO_INSTANCE;
	cim_return(out, kill((pid_t)pid, SIGKILL) == 0 ? PROCESS_OK : return_of_errno(errno));
	return ERR_OK;
}

static const struct cim_method process_methods[] = {
    {"Create", 0, {{"CommandLine", CIM_STRING}, {"CurrentDirectory", CIM_STRING}}, create},
    {"Terminate", 1, {{"Reason", CIM_NUMBER}}, terminate},
};

const struct cim_methods cim_process_methods = {
    "Handle", process_methods, sizeof(process_methods) / sizeof(process_methods[0])};
