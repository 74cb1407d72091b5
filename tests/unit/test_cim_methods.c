/* Unit tests for WMI's methods in cim/: the method call read from its
 * envelope (cim_invoke_parse), its IPC codecs, the output's XML, the
 * host's half (cim_invoke: the namespace's right, the method tables, the
 * parameters' types, Win32_Process's Create and Terminate as the caller)
 * and Win32_Service from init scripts in a test's own root directory:
 * states, start modes, the bound on slow scripts, StartService and
 * StopService with their return values. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cim_calls.h"
#include "cim/cim_int.h"
#include "common/buf.h"
#include "common/util.h"
#include "ipc/ipc.h"
#include "shell/shell_ops.h"
#include "wsman/wsman.h"

#define WMI CIM_WMI_PREFIX "root/cimv2/"
#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""

/* cim_invoke_parse of the envelope; ERR_FORMAT if the envelope itself
 * does not parse. */
static enum err parse(const char *resource, const char *action, const char *selector,
		      const char *body, struct cim_invoke_request *out)
{
	return cim_call_parse(cim_invoke_parse, resource, action, selector, body, out);
}

static void test_parse(void)
{
	struct cim_invoke_request *r = calloc(1, sizeof(*r));
	char body[4096];

	CHECK("StopService, winrm's shape",
	      parse(WMI "Win32_Service", WMI "Win32_Service/StopService",
		    "<w:Selector Name=\"Name\">spooler</w:Selector>",
		    "<p:StopService_INPUT xmlns:p=\"" WMI "Win32_Service\" " XSI "/>",
		    r) == ERR_OK &&
		  strcmp(r->method, "StopService") == 0 &&
		  strcmp(r->class_name, "Win32_Service") == 0 &&
		  strcmp(r->namespace_name, "root/cimv2") == 0 && r->nselectors == 1 &&
		  strcmp(r->selectors[0].value, "spooler") == 0 && r->nparameters == 0);
	CHECK("Create's parameters, nil as CIM_NULL",
	      parse(WMI "Win32_Process", WMI "Win32_Process/Create", NULL,
		    "<p:Create_INPUT xmlns:p=\"" WMI "Win32_Process\" " XSI
		    "><p:CommandLine> sleep 1 &amp; </p:CommandLine>"
		    "<p:CurrentDirectory xsi:nil=\"true\"/></p:Create_INPUT>",
		    r) == ERR_OK &&
		  r->nparameters == 2 && strcmp(r->parameters[0].name, "CommandLine") == 0 &&
		  r->parameters[0].type == CIM_STRING &&
		  strcmp(r->parameters[0].value, "sleep 1 &") == 0 &&
		  r->parameters[1].type == CIM_NULL);
	CHECK("no body: no parameters",
	      parse(CIM_DMTF_PREFIX "CIM_Service", CIM_DMTF_PREFIX "CIM_Service/StartService",
		    "<w:Selector Name=\"Name\">ssh</w:Selector>", "", r) == ERR_OK &&
		  r->dmtf && r->nparameters == 0 && strcmp(r->method, "StartService") == 0);
	CHECK("the input element named after another method",
	      parse(WMI "Win32_Service", WMI "Win32_Service/StopService", NULL,
		    "<p:StartService_INPUT xmlns:p=\"" WMI "Win32_Service\"/>",
		    r) == ERR_WSMAN_SCHEMA);
	CHECK("the input element in another namespace",
	      parse(WMI "Win32_Service", WMI "Win32_Service/StopService", NULL,
		    "<p:StopService_INPUT xmlns:p=\"urn:other\"/>", r) == ERR_WSMAN_SCHEMA);
	CHECK("an embedded object is not taken",
	      parse(WMI "Win32_Process", WMI "Win32_Process/Create", NULL,
		    "<p:Create_INPUT xmlns:p=\"" WMI "Win32_Process\"><p:ProcessStartupInformation>"
		    "<p:ShowWindow>1</p:ShowWindow></p:ProcessStartupInformation></p:Create_INPUT>",
		    r) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	CHECK("a parameter twice (an array) is not taken",
	      parse(WMI "Win32_Process", WMI "Win32_Process/Create", NULL,
		    "<p:Create_INPUT xmlns:p=\"" WMI
		    "Win32_Process\"><p:CommandLine>a</p:CommandLine>"
		    "<p:commandline>b</p:commandline></p:Create_INPUT>",
		    r) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	snprintf(body, sizeof(body), "<p:X_INPUT xmlns:p=\"" WMI "Win32_Process\">");
	for (int i = 0; i <= CIM_MAX_PARAMETERS; i++)
		snprintf(body + strlen(body), sizeof(body) - strlen(body), "<p:P%d>1</p:P%d>", i,
			 i);
	snprintf(body + strlen(body), sizeof(body) - strlen(body), "</p:X_INPUT>");
	CHECK("more than CIM_MAX_PARAMETERS",
	      parse(WMI "Win32_Process", WMI "Win32_Process/X", NULL, body, r) ==
		  ERR_WSMAN_WMI_INVALID_PARAMETER);
	snprintf(body, sizeof(body),
		 "<p:Create_INPUT xmlns:p=\"" WMI "Win32_Process\"><p:CommandLine>%0*d"
		 "</p:CommandLine></p:Create_INPUT>",
		 CIM_MAX_VALUE + 1, 0);
	CHECK("a value over CIM_MAX_VALUE",
	      parse(WMI "Win32_Process", WMI "Win32_Process/Create", NULL, body, r) ==
		  ERR_WSMAN_WMI_INVALID_PARAMETER);
	CHECK("the action of another class", parse(WMI "Win32_Service", WMI "Win32_Process/Create",
						   NULL, "", r) == ERR_WSMAN_ACTION_NOT_SUPPORTED);
	CHECK("a method that is no name",
	      parse(WMI "Win32_Service", WMI "Win32_Service/Stop-Service", NULL, "", r) ==
		      ERR_WSMAN_ACTION_NOT_SUPPORTED &&
		  parse(WMI "Win32_Service", WMI "Win32_Service/", NULL, "", r) ==
		      ERR_WSMAN_ACTION_NOT_SUPPORTED &&
		  parse(WMI "Win32_Service", WMI "Win32_Service/a/b", NULL, "", r) ==
		      ERR_WSMAN_ACTION_NOT_SUPPORTED);
	CHECK("a key that is no name", parse(WMI "Win32_Service", WMI "Win32_Service/StopService",
					     "<w:Selector Name=\"Na me\">x</w:Selector>", "",
					     r) == ERR_WSMAN_INVALID_SELECTORS);
	free(r);
}

/* The request of fuzz/corpus/shell_ipc/cim_invoke_request. */
static const struct cim_invoke_request sample = {.namespace_name = "root/cimv2",
						 .class_name = "Win32_Service",
						 .method = "StopService",
						 .nselectors = 1,
						 .selectors = {{"Name", "spooler"}},
						 .nparameters = 1,
						 .parameters = {{"Reason", CIM_STRING, "3"}},
						 .timeout_ms = CIM_METHOD_TIMEOUT_MS,
						 .access.remote_users_group = "winrm-users",
						 .access.client_ip = "192.0.2.1"};

static size_t read_seed(const char *name, uint8_t *out, size_t cap)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "fuzz/corpus/shell_ipc/%s", name);
	if (!(f = fopen(path, "rb")))
		return 0;
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}

static void test_ipc_and_xml(void)
{
	struct cim_invoke_request req = sample, *got = calloc(1, sizeof(*got));
	struct cim_invoke_reply rep = {.class_name = "Win32_Process", .method = "Create"},
				*back = calloc(1, sizeof(*back));
	struct cim_target t;
	struct buf b;
	uint8_t file[1024];
	size_t n;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("request round trip", cim_ipc_invoke_encode(&b, &req) == ERR_OK &&
					cim_ipc_invoke_decode(&b, got) == ERR_OK &&
					memcmp(&req, got, sizeof(req)) == 0);
	buf_reset(&b);
	snprintf(req.method, sizeof(req.method), "Stop<Service");
	CHECK("a method that could not be an element name is refused",
	      cim_ipc_invoke_encode(&b, &req) == ERR_OK &&
		  cim_ipc_invoke_decode(&b, got) == ERR_FORMAT);
	snprintf(req.method, sizeof(req.method), "StopService");
	req.timeout_ms = CIM_METHOD_TIMEOUT_MS + 1;
	buf_reset(&b);
	CHECK("a time over CIM_METHOD_TIMEOUT_MS not encoded",
	      cim_ipc_invoke_encode(&b, &req) == ERR_USAGE);
	req.timeout_ms = 1000;
	req.nparameters = CIM_MAX_PARAMETERS + 1;
	buf_reset(&b);
	CHECK("too many parameters not encoded", cim_ipc_invoke_encode(&b, &req) == ERR_USAGE);
	req.nparameters = 1;
	buf_reset(&b);
	CHECK("trailing bytes refused", cim_ipc_invoke_encode(&b, &req) == ERR_OK &&
					    buf_put_u8(&b, 0) == ERR_OK &&
					    cim_ipc_invoke_decode(&b, got) == ERR_FORMAT);

	cim_prop(&rep.output, "ReturnValue", CIM_NUMBER, "0");
	cim_prop(&rep.output, "ProcessId", CIM_NUMBER, "4242");
	buf_reset(&b);
	CHECK("reply round trip", cim_ipc_invoke_reply_encode(&b, &rep) == ERR_OK &&
				      cim_ipc_invoke_reply_decode(&b, back) == ERR_OK &&
				      back->output.nproperties == 2 &&
				      strcmp(back->method, "Create") == 0 &&
				      strcmp(back->output.properties[1].value, "4242") == 0);
	for (int i = 0; i < CIM_MAX_PARAMETERS; i++)
		cim_prop(&back->output, "More", CIM_STRING, "x");
	buf_reset(&b);
	CHECK("more outputs than CIM_MAX_PARAMETERS not encoded",
	      cim_ipc_invoke_reply_encode(&b, back) == ERR_USAGE);

	/* The seeds of fuzz/corpus/shell_ipc are this layout, byte for byte. */
	n = read_seed("cim_invoke_request", file, sizeof(file));
	buf_reset(&b);
	CHECK("the request seed is the encoding",
	      buf_put_u32(&b, SHELL_CIM_INVOKE) == ERR_OK &&
		  cim_ipc_invoke_encode(&b, &sample) == ERR_OK && n == buf_len(&b) &&
		  memcmp(file, buf_ptr(&b), n) == 0);
	struct cim_invoke_reply seed_reply = {.class_name = "Win32_Process", .method = "Create"};
	cim_prop(&seed_reply.output, "ProcessId", CIM_NUMBER, "4242");
	cim_return(&seed_reply, 0);
	n = read_seed("cim_invoke_reply", file, sizeof(file));
	buf_reset(&b);
	CHECK("the reply seed is the encoding",
	      shell_op_reply_encode(&b, shell_op_at(SHELL_CIM_INVOKE), ERR_OK, &seed_reply) ==
		      ERR_OK &&
		  n == buf_len(&b) && memcmp(file, buf_ptr(&b), n) == 0);

	buf_reset(&b);
	cim_uri_parse(WMI "win32_process", &t);
	CHECK("Create_OUTPUT as Windows writes it",
	      cim_output_xml(&b, &t, &rep) == ERR_OK && buf_terminate(&b) == ERR_OK &&
		  strcmp((const char *)buf_ptr(&b),
			 "<p:Create_OUTPUT xmlns:p=\"" WMI
			 "Win32_Process\" xmlns:cim=\"" CIM_NS_COMMON "\" " XSI
			 " xml:lang=\"en-US\"><p:ProcessId>4242</p:ProcessId>"
			 "<p:ReturnValue>0</p:ReturnValue></p:Create_OUTPUT>") == 0);
	buf_clear(&b);
	free(got);
	free(back);
}

/* A request for cim_invoke, as an administrator. */
static void call(struct cim_invoke_request *r, const char *class_name, const char *method,
		 const char *key_name, const char *key)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->namespace_name, sizeof(r->namespace_name), "root/cimv2");
	snprintf(r->class_name, sizeof(r->class_name), "%s", class_name);
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->access.client_ip, sizeof(r->access.client_ip), "192.0.2.1");
	snprintf(r->access.sddl, sizeof(r->access.sddl), "%s", CIM_DEFAULT_SDDL);
	r->access.is_admin = 1;
	r->timeout_ms = 5000;
	if (key) {
		r->nselectors = 1;
		snprintf(r->selectors[0].name, CIM_MAX_NAME + 1, "%s", key_name);
		snprintf(r->selectors[0].value, CIM_MAX_VALUE + 1, "%s", key);
	}
}

static void parameter(struct cim_invoke_request *r, const char *name, enum cim_type type,
		      const char *value)
{
	struct cim_property *p = &r->parameters[r->nparameters++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	snprintf(p->value, sizeof(p->value), "%s", value);
}

static const char *output(const struct cim_invoke_reply *out, const char *name)
{
	for (uint32_t i = 0; i < out->output.nproperties; i++)
		if (strcmp(out->output.properties[i].name, name) == 0)
			return out->output.properties[i].value;
	return "";
}

/* The one-letter state of a process ('Z' for a zombie), 0 for none. */
static char process_state(pid_t pid)
{
	char path[64], line[512], *close;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	cim_read_line(path, line, sizeof(line));
	return (close = strrchr(line, ')')) && close[1] ? close[2] : 0;
}

/* Waits (at most 5 s) until pid is gone or a zombie no one reaps. */
static int ends(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		char st = process_state(pid);
		if (!st || st == 'Z')
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_invoke(void)
{
	struct cim_invoke_request *r = calloc(1, sizeof(*r));
	struct cim_invoke_reply *out = calloc(1, sizeof(*out));
	struct cim_pending pending;
	char handle[32], path[64], cmdline[64] = "";
	pid_t sleeper, created;

	call(r, "Win32_Process", "Create", NULL, NULL);
	r->access.is_admin = 0;
	snprintf(r->access.remote_users_group, sizeof(r->access.remote_users_group),
		 "owt_no_such_group_%d", (int)getpid());
	CHECK("without Execute Methods: access denied",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_ACCESS_DENIED);
	call(r, "Win32_NoSuchClass", "Create", NULL, NULL);
	CHECK("unknown class", cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_NOT_FOUND);
	call(r, "Win32_OperatingSystem", "Create", NULL, NULL);
	CHECK("a class without methods",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_ACTION_NOT_SUPPORTED);
	call(r, "Win32_Process", "Explode", NULL, NULL);
	CHECK("unknown method", cim_invoke(r, out, &pending) == ERR_WSMAN_ACTION_NOT_SUPPORTED);
	call(r, "Win32_Process", "Create", NULL, NULL);
	parameter(r, "NoSuchParameter", CIM_STRING, "x");
	CHECK("a parameter the method does not take",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	call(r, "Win32_Process", "Create", NULL, NULL);
	CHECK("Create without CommandLine: 21", cim_invoke(r, out, &pending) == ERR_OK &&
						    strcmp(output(out, "ReturnValue"), "21") == 0 &&
						    !pending.pid);
	parameter(r, "CommandLine", CIM_STRING, "owt-no-such-program-anywhere");
	CHECK("Create of no such program: 9", cim_invoke(r, out, &pending) == ERR_OK &&
						  strcmp(output(out, "ReturnValue"), "9") == 0);
	call(r, "Win32_Process", "create", NULL, NULL);
	parameter(r, "commandline", CIM_STRING, "sleep 61.5");
	parameter(r, "CurrentDirectory", CIM_STRING, "/owt/no/such/directory");
	CHECK("Create in no such directory: 9", cim_invoke(r, out, &pending) == ERR_OK &&
						    strcmp(output(out, "ReturnValue"), "9") == 0);
	r->nparameters = 1;
	parameter(r, "CurrentDirectory", CIM_STRING, "/tmp");
	CHECK("Create, any case: 0 and the process's id",
	      cim_invoke(r, out, &pending) == ERR_OK && strcmp(out->method, "Create") == 0 &&
		  strcmp(out->class_name, "Win32_Process") == 0 &&
		  strcmp(output(out, "ReturnValue"), "0") == 0 &&
		  atoi(output(out, "ProcessId")) > 0);
	created = atoi(output(out, "ProcessId"));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)created);
	for (int i = 0; i < 200 && strcmp(cmdline, "sleep") != 0; i++) {
		usleep(10000); /* until its exec shows */
		cim_read_line(path, cmdline, sizeof(cmdline));
	}
	CHECK("the process runs the command line", strcmp(cmdline, "sleep") == 0);
	CHECK("detached: not this process's child",
	      waitpid(created, NULL, WNOHANG) < 0 && errno == ECHILD);

	snprintf(handle, sizeof(handle), "%d", (int)created);
	call(r, "Win32_Process", "Terminate", "Handle", NULL);
	CHECK("Terminate without its key",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_INVALID_SELECTORS);
	call(r, "Win32_Process", "Terminate", "Name", handle);
	CHECK("Terminate by another property",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_INVALID_SELECTORS);
	call(r, "Win32_Process", "Terminate", "Handle", handle);
	parameter(r, "Reason", CIM_STRING, "soon");
	CHECK("a Reason that is no uint32",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	call(r, "Win32_Process", "Terminate", "Handle", "owt");
	CHECK("Terminate of no such handle", cim_invoke(r, out, &pending) == ERR_WSMAN_NO_INSTANCE);
	call(r, "Win32_Process", "Terminate", "handle", handle);
	parameter(r, "Reason", CIM_NUMBER, "1");
	CHECK("Terminate: 0, and the process ends",
	      cim_invoke(r, out, &pending) == ERR_OK &&
		  strcmp(output(out, "ReturnValue"), "0") == 0 && ends(created));

	/* As another account, a process of this one's: access denied. */
	if ((sleeper = fork()) == 0) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	struct passwd *nobody = getpwnam("nobody");
	int rc = -1;
	pid_t as_nobody = nobody && geteuid() == 0 ? fork() : -1;
	if (as_nobody == 0) {
		snprintf(handle, sizeof(handle), "%d", (int)sleeper);
		call(r, "Win32_Process", "Terminate", "Handle", handle);
		if (setgroups(0, NULL) != 0 || setgid(nobody->pw_gid) != 0 ||
		    setuid(nobody->pw_uid) != 0)
			_exit(3);
		_exit(cim_invoke(r, out, &pending) == ERR_OK &&
			      strcmp(output(out, "ReturnValue"), "2") == 0
			  ? 0
			  : 1);
	}
	if (as_nobody > 0)
		waitpid(as_nobody, &rc, 0);
	CHECK("Terminate of another account's process: 2, and it lives",
	      geteuid() != 0 ||
		  (WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && waitpid(sleeper, NULL, WNOHANG) == 0));
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	free(r);
	free(out);
}

static void test_split(void)
{
	char *argv[8], buf[64];

	CHECK("words", cim_split_command_line("  a  bb\tc ", argv, 8, buf, sizeof(buf)) == 3 &&
			   strcmp(argv[1], "bb") == 0 && !argv[3]);
	CHECK("quotes and escapes", cim_split_command_line("sh -c 'echo \"$x\" \\y' \"a b\"c \\ d",
							   argv, 8, buf, sizeof(buf)) == 5 &&
					strcmp(argv[2], "echo \"$x\" \\y") == 0 &&
					strcmp(argv[3], "a bc") == 0 && strcmp(argv[4], " d") == 0);
	CHECK("unbalanced quote", cim_split_command_line("a 'b", argv, 8, buf, sizeof(buf)) < 0);
	CHECK("no word", cim_split_command_line("   ", argv, 8, buf, sizeof(buf)) < 0);
	CHECK("too many words",
	      cim_split_command_line("1 2 3 4 5 6 7 8", argv, 8, buf, sizeof(buf)) < 0);
	CHECK("too long", cim_split_command_line("0123456789012345678901234567890123456789"
						 "0123456789012345678901234567890123456789",
						 argv, 8, buf, sizeof(buf)) < 0);
}

/* ---- Win32_Service from init scripts in a directory of the test's ---- */

static char root[64];

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

/* An LSB script: status from a state file; stop refused (LSB's 4) while
 * ROOT/deny exists; a hang action that never ends. */
static void script(const char *name, const char *description)
{
	char text[2048], rel[128];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n"
		 "# Default-Start: 2 3 4 5\n"
		 "# Short-Description: %s\n# Description: What the unit tests start and stop\n"
		 "#  (a second line)\n### END INIT INFO\n"
		 "S=%s/%s.state\n"
		 "case \"$1\" in\n"
		 "status) [ -f \"$S\" ] && exit 0; exit 3 ;;\n"
		 "start) touch \"$S\" ;;\n"
		 "stop) [ -f %s/deny ] && exit 4; rm -f \"$S\" ;;\n"
		 "hang) exec sleep 30 ;;\n"
		 "*) exit 2 ;;\nesac\n",
		 name, description, root, name, root);
	snprintf(rel, sizeof(rel), "etc/init.d/%s", name);
	write_file(rel, text, 0755);
}

/* The instance of set named name. */
static const struct cim_instance *find(const struct cim_set *set, const char *name)
{
	for (uint32_t i = 0; i < set->n; i++)
		for (uint32_t k = 0; k < set->v[i].nproperties; k++)
			if (strcmp(set->v[i].properties[k].name, "Name") == 0 &&
			    strcmp(set->v[i].properties[k].value, name) == 0)
				return &set->v[i];
	return NULL;
}

/* The instances of the test's root, and the one named name. */
static const struct cim_instance *service(struct cim_set *set, const char *name)
{
	cim_set_free(set);
	cim_services_initd(root, set);
	return find(set, name);
}

static const char *prop(const struct cim_instance *inst, const char *name)
{
	for (uint32_t i = 0; inst && i < inst->nproperties; i++)
		if (strcmp(inst->properties[i].name, name) == 0)
			return inst->properties[i].value;
	return "";
}

/* StartService (start) or StopService of name: its ReturnValue, after
 * waiting for its script as the host does. */
static const char *control(const char *name, int start, struct cim_invoke_reply *out)
{
	struct cim_call c = {.key = name, .timeout_ms = 5000};
	struct cim_pending pending = {0};
	int status;

	memset(out, 0, sizeof(*out));
	if (cim_service_control_initd(root, name, start, &c, out, &pending) != ERR_OK)
		return "fault";
	if (pending.pid) {
		cim_run_wait(&pending.pid, &status, 1, pending.timeout_ms);
		cim_pending_finish(&pending, out, status, status == -1);
	}
	return output(out, "ReturnValue");
}

/* ChangeStartMode of name to mode: its ReturnValue, and in args the
 * arguments update-rc.d (the test's, which records them) was run with,
 * "" if it was not. */
static const char *start_mode(const char *name, const char *mode, char *args, size_t cap,
			      struct cim_invoke_reply *out)
{
	struct cim_call c = {.key = name, .timeout_ms = 5000};
	struct cim_pending pending = {0};
	char path[256];
	int status;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/update-rc.d.args", root);
	unlink(path);
	if (cim_service_start_mode_initd(root, name, mode, &c, out, &pending) != ERR_OK)
		return "fault";
	if (pending.pid) {
		cim_run_wait(&pending.pid, &status, 1, pending.timeout_ms);
		cim_pending_finish(&pending, out, status, status == -1);
	}
	cim_read_line(path, args, cap);
	return output(out, "ReturnValue");
}

/* What ChangeStartMode asks of update-rc.d, from each mode to each. */
static void test_start_modes(struct cim_invoke_reply *out)
{
	char args[256], text[512];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho \"$*\" > %s/update-rc.d.args\n[ ! -f %s/update-rc.d.fails ]\n",
		 root, root);
	write_file("usr/sbin/update-rc.d", text, 0755);
	write_file("etc/init.d/owt_bare",
		   "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: owt_bare\n### END INIT INFO\n"
		   "exit 3\n",
		   0755);
	static const struct {
		const char *what, *name, *mode, *return_value, *args;
	} cases[] = {
	    {"Manual to Auto: defaults", "owt_manual", "Auto", "0", "owt_manual defaults"},
	    {"Manual to Disabled", "owt_manual", "Disabled", "0", "owt_manual defaults-disabled"},
	    {"Auto to Disabled: disable", "owt_auto", "Disabled", "0", "owt_auto disable"},
	    {"Auto to Manual: the links go, the script stays", "owt_auto", "Manual", "0",
	     "-f owt_auto remove"},
	    {"Disabled to Auto: enable", "owt_off", "Auto", "0", "owt_off enable"},
	    {"the mode it has: 0, nothing run", "owt_off", "Disabled", "0", ""},
	    {"not a mode of a service: 21, nothing run", "owt_auto", NULL, "21", ""},
	    {"no Default-Start: 1 (Not Supported)", "owt_bare", "Auto", "1", ""},
	    {"no Default-Start, to Manual: 0", "owt_bare", "Manual", "0", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(cases[i].what,
		      strcmp(start_mode(cases[i].name, cases[i].mode, args, sizeof(args), out),
			     cases[i].return_value) == 0 &&
			  strcmp(args, cases[i].args) == 0);
	CHECK("no such service: a fault, first",
	      strcmp(start_mode("owt_none", NULL, args, sizeof(args), out), "fault") == 0 &&
		  strcmp(start_mode("../owt_auto", "Auto", args, sizeof(args), out), "fault") == 0);
	write_file("update-rc.d.fails", "", 0644);
	CHECK("update-rc.d fails (as root): 8",
	      strcmp(start_mode("owt_auto", "Manual", args, sizeof(args), out), "8") == 0);
}

static void test_services(void)
{
	struct cim_set set = {0};
	struct cim_invoke_reply *out = calloc(1, sizeof(*out));
	const struct cim_instance *s;
	char path[128];
	uint64_t started;

	snprintf(root, sizeof(root), "/tmp/owt_cim_services_%d", (int)getpid());
	mkdir(root, 0755);
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/init.d", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/rc2.d", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/run", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/usr", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/usr/sbin", root);
	mkdir(path, 0755);
	script("owt_auto", "An automatic test service");
	script("owt_manual", "A manual test service");
	script("owt_off", "A disabled test service");
	write_file("etc/init.d/owt_slow",
		   "#!/bin/sh\n[ \"$1\" = status ] && exec sleep 30\nexit 0\n", 0755);
	write_file("etc/init.d/README", "not a service\n", 0755);
	write_file("etc/init.d/owt_auto.dpkg-old", "#!/bin/sh\nexit 0\n", 0755);
	write_file("etc/init.d/owt_not_executable", "#!/bin/sh\nexit 0\n", 0644);
	write_file("etc/rc2.d/S01owt_auto", "", 0644);
	write_file("etc/rc2.d/K01owt_off", "", 0644);
	write_file("owt_auto.state", "", 0644);
	snprintf(path, sizeof(path), "%d\n", (int)getpid());
	write_file("run/owt_auto.pid", path, 0644);

	started = util_now_ms();
	s = service(&set, "owt_slow");
	CHECK("enumerated within its bound, a script that hangs and all",
	      util_now_ms() - started < 4000 + 2000);
	CHECK("a script that does not answer: Unknown",
	      strcmp(prop(s, "State"), "Unknown") == 0 &&
		  strcmp(prop(s, "Status"), "Unknown") == 0 &&
		  strcmp(prop(s, "DisplayName"), "owt_slow") == 0);
	CHECK("only the services", set.n == 4 && !find(&set, "README") &&
				       !find(&set, "owt_auto.dpkg-old") &&
				       !find(&set, "owt_not_executable"));
	snprintf(path, sizeof(path), "%s/etc/init.d/owt_slow", root);
	unlink(path); /* the rest need not wait for it */
	s = find(&set, "owt_auto");
	snprintf(path, sizeof(path), "%d", (int)getpid());
	CHECK("a running service",
	      strcmp(prop(s, "State"), "Running") == 0 && strcmp(prop(s, "Started"), "true") == 0 &&
		  strcmp(prop(s, "AcceptStop"), "true") == 0 &&
		  strcmp(prop(s, "StartMode"), "Auto") == 0 &&
		  strcmp(prop(s, "ProcessId"), path) == 0 && strcmp(prop(s, "Status"), "OK") == 0);
	CHECK("names from the LSB header",
	      strcmp(prop(s, "DisplayName"), "An automatic test service") == 0 &&
		  strcmp(prop(s, "Caption"), "An automatic test service") == 0 &&
		  strcmp(prop(s, "Description"), "What the unit tests start and stop") == 0 &&
		  strstr(prop(s, "PathName"), "/etc/init.d/owt_auto") &&
		  strcmp(prop(s, "ServiceType"), "Own Process") == 0 &&
		  strcmp(prop(s, "CreationClassName"), "Win32_Service") == 0);
	s = find(&set, "owt_manual");
	CHECK("a stopped manual service", strcmp(prop(s, "State"), "Stopped") == 0 &&
					      strcmp(prop(s, "Started"), "false") == 0 &&
					      strcmp(prop(s, "StartMode"), "Manual") == 0 &&
					      strcmp(prop(s, "ProcessId"), "0") == 0);
	s = find(&set, "owt_off");
	CHECK("a disabled service", strcmp(prop(s, "StartMode"), "Disabled") == 0);

	CHECK("StartService: 0", strcmp(control("owt_manual", 1, out), "0") == 0 &&
				     strcmp(out->output.properties[0].name, "ReturnValue") == 0);
	CHECK("then running", strcmp(prop(service(&set, "owt_manual"), "State"), "Running") == 0);
	CHECK("StartService of a running service: 10",
	      strcmp(control("owt_manual", 1, out), "10") == 0);
	CHECK("StopService: 0",
	      strcmp(control("owt_manual", 0, out), "0") == 0 &&
		  strcmp(prop(service(&set, "owt_manual"), "State"), "Stopped") == 0);
	CHECK("StopService of a stopped service: 5",
	      strcmp(control("owt_manual", 0, out), "5") == 0);
	CHECK("StartService of a disabled service: 14",
	      strcmp(control("owt_off", 1, out), "14") == 0);
	write_file("deny", "", 0644);
	CHECK("a stop the script refuses (LSB 4): 2, still running",
	      strcmp(control("owt_auto", 0, out), "2") == 0 &&
		  strcmp(prop(service(&set, "owt_auto"), "State"), "Running") == 0);
	CHECK("no such service", strcmp(control("owt_none", 0, out), "fault") == 0 &&
				     strcmp(control("../owt_auto", 0, out), "fault") == 0 &&
				     strcmp(control("README", 0, out), "fault") == 0);
	char script_path[256], *argv[] = {script_path, "hang", NULL};
	int status = 0;
	pid_t hung;
	snprintf(script_path, sizeof(script_path), "%s/etc/init.d/owt_manual", root);
	hung = cim_run_start(argv);
	started = util_now_ms();
	cim_run_wait(&hung, &status, 1, 300);
	CHECK("a script past its deadline is killed and reaped",
	      hung > 0 && status == -1 && util_now_ms() - started < 2000 && kill(hung, 0) < 0 &&
		  errno == ESRCH);
	struct cim_call c = {.key = "owt_manual", .timeout_ms = 5000};
	struct cim_pending pending = {0};
	memset(out, 0, sizeof(*out));
	if (cim_service_control_initd(root, "owt_manual", 1, &c, out, &pending) == ERR_OK &&
	    pending.pid > 0) {
		cim_run_wait(&pending.pid, &status, 1, 5000);
		cim_pending_finish(&pending, out, 0, 1);
	}
	CHECK("a script past its time answers 7", strcmp(output(out, "ReturnValue"), "7") == 0);
	test_start_modes(out);

	cim_set_free(&set);
	free(out);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", root);
	CHECK("cleaned up", system(rm) == 0);
}

int main(void)
{
	test_parse();
	test_ipc_and_xml();
	test_invoke();
	test_split();
	test_services();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
