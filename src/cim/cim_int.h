/* cim_int: inside src/cim, the host's half. A class's provider appends
 * its instances to a set, a property at a time; cim_classes.c holds the
 * table of classes and keeps each answer until its pages are taken. */
#ifndef OPENWINRM_CIM_INT_H
#define OPENWINRM_CIM_INT_H

#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "cim/cim.h"

/* A class's instances as its provider found them. */
struct cim_set {
	struct cim_instance *v;
	uint32_t n, cap;
};

/* A new instance, empty, at the end of s; NULL past CIM_MAX_SET_INSTANCES
 * or without memory (the provider stops there and says so). */
struct cim_instance *cim_set_add(struct cim_set *s);
void cim_set_free(struct cim_set *s);

/* Appends a property; values longer than CIM_MAX_VALUE are cut, and a
 * property past CIM_MAX_PROPERTIES is dropped. */
void cim_prop(struct cim_instance *inst, const char *name, enum cim_type type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A string property from a source that may be missing: nil when it is. */
void cim_prop_text(struct cim_instance *inst, const char *name, const char *value);
/* An array of strings: the name repeated, one element each, in order
 * (cim_instance_xml keeps them so); nil when there are none, as WMI
 * writes an empty array. */
void cim_prop_strings(struct cim_instance *inst, const char *name, const char *const *v, size_t n);
/* xs:dateTime in local time with its offset, as Windows writes WMI's
 * datetimes ("Z" at offset zero). */
void cim_prop_datetime(struct cim_instance *inst, const char *name, time_t t);

/* The first line of a small file, without its newline; "" if unreadable. */
void cim_read_line(const char *path, char *out, size_t cap);
/* The number after "key" in a file of "key value" lines (/proc/meminfo's
 * "MemTotal:", /proc/stat's "btime"); 0 if absent. */
unsigned long long cim_keyed_number(const char *path, const char *key);

/* This machine's short name (its DNS host name's first label), which
 * CSName, SystemName and local accounts' Domain are. */
void cim_host_name(char *out, size_t cap);

/* Win32_OperatingSystem's Name, which other classes' OSName repeat:
 * Windows' is "Caption|WindowsDirectory|boot partition". */
void cim_os_name(char *out, size_t cap);

/* ---- the providers, one per class (cim_classes.c's table) ---- */
enum err cim_operating_system(struct cim_set *out);
enum err cim_computer_system(struct cim_set *out);
enum err cim_processes(struct cim_set *out);
enum err cim_logical_disks(struct cim_set *out);
enum err cim_network_adapters(struct cim_set *out);
enum err cim_network_configurations(struct cim_set *out);
enum err cim_products(struct cim_set *out);
enum err cim_user_accounts(struct cim_set *out);
enum err cim_groups(struct cim_set *out);

/* Win32_Product's instances from a dpkg status file (deb822 stanzas; a
 * field's line longer than 4 KiB is cut, input past 512 MiB ignored),
 * InstallDate from the file lists in info_dir. */
enum err cim_dpkg_packages(FILE *status, const char *info_dir, struct cim_set *out);
enum err cim_services(struct cim_set *out);

/* ---- methods: a table per class, a row and a handler per method ---- */

/* A declared input parameter. */
struct cim_parameter {
	const char *name;
	enum cim_type type; /* CIM_STRING, CIM_NUMBER (a uint32) or CIM_BOOLEAN */
};

/* What a method's handler gets: the instance's key value (NULL for a
 * method of the class, and for a singleton's called without it), and its input parameters in the
 * order of its row, each checked against its declared type, NULL where absent or nil; and the time
 * it has (ms) before the client's operation times out. */
struct cim_call {
	const char *key;
	const char *in[CIM_MAX_PARAMETERS];
	uint32_t timeout_ms;
};

/* A handler fills out's output parameters, ReturnValue among them
 * (cim_return), or leaves ReturnValue to pending->finish (cim.h). It
 * returns an error (a fault) only for what WMI refuses before the
 * provider acts: ERR_WSMAN_NO_INSTANCE for a key of no instance. */
typedef enum err cim_method_fn(const struct cim_call *call, struct cim_invoke_reply *out,
			       struct cim_pending *pending);

struct cim_method {
	const char *name;
	int of_instance;			     /* called on an instance, named by its key */
	struct cim_parameter in[CIM_MAX_PARAMETERS]; /* up to the first without a name */
	cim_method_fn *run;
};

/* A class's methods, and the key property its instances are named by. */
struct cim_methods {
	const char *key;
	const struct cim_method *v;
	size_t n;
};
extern const struct cim_methods cim_os_methods;
extern const struct cim_methods cim_process_methods;
extern const struct cim_methods cim_service_methods;

/* Appends ReturnValue, the uint32 every WMI method answers. */
void cim_return(struct cim_invoke_reply *out, uint32_t value);

/* ---- Put: a table per class of its writable properties, a row and a
 * setter per property ---- */

/* A command line being built: words copied into words, argv NULL-terminated. */
#define CIM_MAX_COMMAND_WORDS 16
struct cim_command {
	char *argv[CIM_MAX_COMMAND_WORDS + 1];
	size_t argc;
	char words[4 * CIM_MAX_VALUE];
	size_t used;
};
/* Appends word; ERR_WSMAN_INTERNAL when the line is full. */
enum err cim_command_add(struct cim_command *cmd, const char *word);

/* A writable property's setter: the options of its class's tool that
 * make the property value, for the instance as it is now, appended to
 * cmd. ERR_WSMAN_WMI_INVALID_PARAMETER for a value the
 * property cannot take. */
typedef enum err cim_setter_fn(const struct cim_instance *now, const char *value,
			       struct cim_command *cmd);
struct cim_writable {
	const char *name;
	enum cim_type type; /* CIM_STRING or CIM_BOOLEAN */
	cim_setter_fn *set;
};
/* A class's writable properties and the tool that changes an instance:
 * its command line is the tool, the options of each property changed (in
 * the table's order), "--" and the value of the instance's key property. */
struct cim_writables {
	const char *tool; /* an absolute path */
	const char *key;
	const struct cim_writable *v;
	size_t n;
};
extern const struct cim_writables cim_user_writables;

/* The command line that makes the instance now what a Put sent
 * (sent[0..nsent)): a property sent as it is now (the same text, a
 * boolean's case aside) or nil (not given, as WMI's providers take it)
 * is left alone; one changed must be a
 * writable one, of its type (ERR_WSMAN_WMI_READ_ONLY for a property of
 * the instance that is not; ERR_WSMAN_WMI_INVALID_PARAMETER for one it
 * does not have or a value of the wrong type). *changes: how many
 * properties change (0: cmd is empty, nothing to run). */
enum err cim_put_command(const struct cim_writables *w, const struct cim_instance *now,
			 const struct cim_property *sent, uint32_t nsent, struct cim_command *cmd,
			 uint32_t *changes);
/* GECOS with its first field (the full name) replaced by full_name, the
 * others (room, phones, other) kept; -1 for a name that cannot be one
 * (':' ',' or a control character) or too long for out. */
int cim_gecos_with_full_name(const char *gecos, const char *full_name, char *out, size_t cap);

/* ---- children: init scripts, created processes (cim_run.c) ---- */

/* Starts argv[0], an absolute path, with argv: its own session and
 * process group, stdin, stdout and stderr on /dev/null, no other
 * descriptor, default signals, and the environment `service` gives an
 * init script (PATH and LANG alone). The pid, or -1 (errno set). */
pid_t cim_run_start(char *const argv[]);
/* A method's work as a child, argv as cim_run_start takes it, that the
 * host waits for at most the call's time: pending filled, finish to give
 * the ReturnValue from its end; a child that cannot start answers
 * failure at once. */
void cim_run_pending(char *const argv[], const struct cim_call *call, cim_finish_fn *finish,
		     uint32_t failure, struct cim_invoke_reply *out, struct cim_pending *pending);
/* Waits for the n children, at most timeout_ms for them all: status[i]
 * as waitpid gives it, or -1 for one still running at the deadline,
 * whose process group is then killed and which is reaped. */
void cim_run_wait(const pid_t *pids, int *status, size_t n, uint32_t timeout_ms);

/* The step of a detached start that failed. */
enum cim_run_stage { CIM_RUN_FORK = 1, CIM_RUN_CHDIR, CIM_RUN_EXEC };
/* Starts argv (argv[0] looked up in PATH) as a process of its own, not a
 * child of this one once this returns: its own session, stdio on
 * /dev/null, no other descriptor, in dir (NULL: the home directory),
 * with this process's environment. ERR_OK and its pid; else the errno
 * and the step that failed. */
enum err cim_run_detached(char *const argv[], const char *dir, pid_t *pid, int *error,
			  enum cim_run_stage *stage);

/* ---- the providers' insides, for their unit tests ---- */

/* Win32_Service from the System V init scripts under root (root +
 * "/etc/init.d", the links of root + "/etc/rc2.d"): "" for the system's,
 * another directory for a test's. */
enum err cim_services_initd(const char *root, struct cim_set *out);
/* StartService (start 1) or StopService (0) of the init script name under
 * root, as cim_method_fn. */
enum err cim_service_control_initd(const char *root, const char *name, int start,
				   const struct cim_call *call, struct cim_invoke_reply *out,
				   struct cim_pending *pending);
/* ChangeStartMode of the init script name under root to mode ("Auto",
 * "Manual" or "Disabled"; NULL for a parameter that names none), with
 * root + "/usr/sbin/update-rc.d", as cim_method_fn. */
enum err cim_service_start_mode_initd(const char *root, const char *name, const char *mode,
				      const struct cim_call *call, struct cim_invoke_reply *out,
				      struct cim_pending *pending);
/* CommandLine split into words as a shell without expansions would:
 * blanks separate, '...' and "..." group, a backslash takes the next
 * character literally (but inside '...'). Writes at most max - 1
 * pointers into argv (NULL-terminated) and the words into buf (size
 * cap); -1 for unbalanced quotes, no word, or too many or too long. */
int cim_split_command_line(const char *line, char **argv, size_t max, char *buf, size_t cap);

#endif
