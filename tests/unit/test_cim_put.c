/* Unit tests for WS-Transfer Put of WMI instances in cim/: the instance
 * read from its envelope (cim_put_parse), the IPC codec of a Put (a call
 * of its own kind), the host's choice of command line (cim_put_command:
 * unchanged properties left alone, read-only ones refused, the setters'
 * usermod options), the GECOS field kept but for the full name, and the
 * host's refusals before anything runs (Provider Write, a class with
 * nothing writable, no such instance). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cim_calls.h"
#include "cim/cim_int.h"
#include "common/buf.h"
#include "ipc/ipc.h"
#include "shell/shell_ops.h"
#include "wsman/wsman.h"

#define WMI CIM_WMI_PREFIX "root/cimv2/"
#define USER WMI "Win32_UserAccount"
#define PUT "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"

/* cim_put_parse of a Put on resource, keys Domain H and Name u, with body. */
static enum err parse(const char *resource, const char *body, struct cim_invoke_request *out)
{
	return cim_call_parse(cim_put_parse, resource, PUT,
			      "<w:Selector Name=\"Domain\">H</w:Selector>"
			      "<w:Selector Name=\"Name\">u</w:Selector>",
			      body, out);
}

static void test_parse(void)
{
	struct cim_invoke_request *r = calloc(1, sizeof(*r));
	struct buf many;

	CHECK("a whole instance, nil properties included",
	      parse(USER,
		    "<p:Win32_UserAccount xmlns:p=\"" USER "\" "
		    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		    "xsi:type=\"p:Win32_UserAccount_Type\"><p:Description xsi:nil=\"true\"/>"
		    "<p:FullName>A &amp; B</p:FullName><p:Name>u</p:Name></p:Win32_UserAccount>",
		    r) == ERR_OK &&
		  r->kind == CIM_CALL_PUT && *r->method == 0 && r->nselectors == 2 &&
		  r->nparameters == 3 && r->parameters[0].type == CIM_NULL &&
		  strcmp(r->parameters[1].value, "A & B") == 0 &&
		  strcmp(r->class_name, "Win32_UserAccount") == 0);
	CHECK("no body", parse(USER, "", r) == ERR_WSMAN_SCHEMA);
	CHECK("another class's element",
	      parse(USER, "<p:Win32_Group xmlns:p=\"" USER "\"><p:Name>u</p:Name></p:Win32_Group>",
		    r) == ERR_WSMAN_SCHEMA);
	CHECK("an array (a repeated property) refused",
	      parse(USER,
		    "<p:Win32_UserAccount xmlns:p=\"" USER "\"><p:FullName>a</p:FullName>"
		    "<p:FullName>b</p:FullName></p:Win32_UserAccount>",
		    r) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	CHECK("an embedded object refused",
	      parse(USER,
		    "<p:Win32_UserAccount xmlns:p=\"" USER "\"><p:FullName><p:x>a</p:x>"
		    "</p:FullName></p:Win32_UserAccount>",
		    r) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	buf_init(&many, 1 << 20);
	buf_putf(&many, "<p:Win32_UserAccount xmlns:p=\"" USER "\">");
	for (int i = 0; i <= CIM_MAX_PROPERTIES; i++)
		buf_putf(&many, "<p:P%d>x</p:P%d>", i, i);
	buf_putf(&many, "</p:Win32_UserAccount>");
	buf_terminate(&many);
	CHECK("more than CIM_MAX_PROPERTIES refused",
	      parse(USER, (const char *)buf_ptr(&many), r) == ERR_WSMAN_WMI_INVALID_PARAMETER);
	buf_clear(&many);
	free(r);
}

static void property(struct cim_property *p, const char *name, enum cim_type type,
		     const char *value)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	snprintf(p->value, sizeof(p->value), "%s", value);
}

/* The seeds of fuzz/corpus/shell_ipc (and ipc_priv) are this encoding,
 * byte for byte. */
static int same_as_seed(const char *name, const struct buf *b)
{
	char path[128];
	uint8_t file[4096];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "fuzz/corpus/shell_ipc/%s", name);
	if ((f = fopen(path, "rb"))) {
		n = fread(file, 1, sizeof(file), f);
		fclose(f);
	}
	return n == buf_len(b) && memcmp(file, buf_ptr(b), n) == 0;
}

static void test_seeds(void)
{
	struct cim_invoke_request req = {.kind = CIM_CALL_PUT,
					 .namespace_name = "root/cimv2",
					 .class_name = "Win32_UserAccount",
					 .nselectors = 2,
					 .selectors = {{"Domain", "HOST"}, {"Name", "alice"}},
					 .nparameters = 4,
					 .parameters = {{"FullName", CIM_STRING, "Alice Liddell"},
							{"Disabled", CIM_BOOLEAN, "false"},
							{"SID", CIM_STRING, "S-1-22-1-1000"},
							{"Description", CIM_NULL, ""}},
					 .timeout_ms = CIM_METHOD_TIMEOUT_MS,
					 .access = {.is_admin = 1, .client_ip = "192.0.2.1"}};
	struct cim_invoke_reply rep = {.kind = CIM_CALL_PUT, .class_name = "Win32_UserAccount"};
	struct buf b;

	cim_prop(&rep.output, "Disabled", CIM_BOOLEAN, "false");
	cim_prop(&rep.output, "Domain", CIM_STRING, "HOST");
	cim_prop(&rep.output, "FullName", CIM_STRING, "Alice Liddell");
	cim_prop(&rep.output, "Name", CIM_STRING, "alice");
	cim_prop(&rep.output, "SID", CIM_STRING, "S-1-22-1-1000");
	buf_init(&b, IPC_MAX_MSG);
	CHECK("the Put request seed is the encoding",
	      buf_put_u32(&b, SHELL_CIM_INVOKE) == ERR_OK &&
		  cim_ipc_invoke_encode(&b, &req) == ERR_OK && same_as_seed("cim_put_request", &b));
	buf_reset(&b);
	CHECK("the Put reply seed is the encoding",
	      shell_op_reply_encode(&b, shell_op_at(SHELL_CIM_INVOKE), ERR_OK, &rep) == ERR_OK &&
		  same_as_seed("cim_put_reply", &b));
	buf_clear(&b);
}

static void test_ipc(void)
{
	struct cim_invoke_request req = {.kind = CIM_CALL_PUT,
					 .namespace_name = "root/cimv2",
					 .class_name = "Win32_UserAccount",
					 .nselectors = 1,
					 .selectors = {{"Name", "u"}},
					 .timeout_ms = 1000},
				  *got = calloc(1, sizeof(*got));
	struct cim_invoke_reply rep = {.kind = CIM_CALL_PUT, .class_name = "Win32_UserAccount"},
				*back = calloc(1, sizeof(*back));
	struct buf b;

	for (uint32_t i = 0; i < CIM_MAX_PROPERTIES; i++)
		property(&req.parameters[req.nparameters++], "P", CIM_STRING, "v");
	buf_init(&b, IPC_MAX_MSG);
	CHECK("a Put of CIM_MAX_PROPERTIES round trip",
	      cim_ipc_invoke_encode(&b, &req) == ERR_OK &&
		  cim_ipc_invoke_decode(&b, got) == ERR_OK && memcmp(&req, got, sizeof(req)) == 0);
	buf_reset(&b);
	snprintf(req.method, sizeof(req.method), "Put");
	CHECK("a Put that names a method not encoded",
	      cim_ipc_invoke_encode(&b, &req) == ERR_USAGE);
	req.kind = CIM_CALL_METHOD;
	buf_reset(&b);
	CHECK("a method's CIM_MAX_PROPERTIES parameters not encoded",
	      cim_ipc_invoke_encode(&b, &req) == ERR_USAGE);
	req.kind = 2;
	buf_reset(&b);
	CHECK("an unknown kind not encoded", cim_ipc_invoke_encode(&b, &req) == ERR_USAGE);

	for (uint32_t i = 0; i < CIM_MAX_PROPERTIES; i++)
		cim_prop(&rep.output, "P", CIM_STRING, "v");
	buf_reset(&b);
	CHECK("a Put's reply, a whole instance, round trip",
	      cim_ipc_invoke_reply_encode(&b, &rep) == ERR_OK &&
		  cim_ipc_invoke_reply_decode(&b, back) == ERR_OK && back->kind == CIM_CALL_PUT &&
		  back->output.nproperties == CIM_MAX_PROPERTIES);
	/* A Put's reply bytes with the kind turned into a method's: its
	 * empty method is no name, and is refused. */
	buf_reset(&b);
	CHECK("a method's reply without a method refused",
	      cim_ipc_invoke_reply_encode(&b, &rep) == ERR_OK &&
		  ((uint8_t *)buf_ptr(&b))[3] == CIM_CALL_PUT &&
		  (((uint8_t *)buf_ptr(&b))[3] = CIM_CALL_METHOD) == CIM_CALL_METHOD &&
		  cim_ipc_invoke_reply_decode(&b, back) == ERR_FORMAT);
	buf_clear(&b);
	free(got);
	free(back);
}

static void test_gecos(void)
{
	char out[64];

	CHECK("the full name replaced, room and phones kept",
	      cim_gecos_with_full_name("Old Name,12,555,556,x", "New", out, sizeof(out)) == 0 &&
		  strcmp(out, "New,12,555,556,x") == 0);
	CHECK("a GECOS of the full name alone",
	      cim_gecos_with_full_name("Old", "New Name", out, sizeof(out)) == 0 &&
		  strcmp(out, "New Name") == 0);
	CHECK("an empty full name", cim_gecos_with_full_name("Old,1", "", out, sizeof(out)) == 0 &&
					strcmp(out, ",1") == 0);
	CHECK("':' refused", cim_gecos_with_full_name("Old", "a:b", out, sizeof(out)) == -1);
	CHECK("',' refused", cim_gecos_with_full_name("Old", "a,b", out, sizeof(out)) == -1);
	CHECK("a newline refused", cim_gecos_with_full_name("Old", "a\nb", out, sizeof(out)) == -1);
	CHECK("too long for out", cim_gecos_with_full_name("Old,1234567890", "New", out, 8) == -1);
}

/* The instance of the account name as Win32_UserAccount's provider has it. */
static int account(const char *name, struct cim_instance *out)
{
	struct cim_set set = {0};
	int found = 0;

	cim_user_accounts(&set);
	for (uint32_t i = 0; i < set.n && !found; i++) {
		const struct cim_property *p = cim_property(&set.v[i], "Name");
		if (p && strcmp(p->value, name) == 0) {
			*out = set.v[i];
			found = 1;
		}
	}
	cim_set_free(&set);
	return found;
}

/* The command line as one string, words between '|'. */
static const char *line_of(const struct cim_command *cmd, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < cmd->argc && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", cmd->argv[i]);
	return out;
}

/* 1 if sent[0..n) to now is changes properties changed by the command
 * line want (words between '|'). */
static int command_is(const struct cim_instance *now, const struct cim_property *sent, uint32_t n,
		      struct cim_command *cmd, uint32_t changes, const char *want)
{
	char line[1024];
	uint32_t got = 0;

	return cim_put_command(&cim_user_writables, now, sent, n, cmd, &got) == ERR_OK &&
	       got == changes && strcmp(line_of(cmd, line, sizeof(line)), want) == 0;
}

/* One property sent, refused before anything runs. */
static const struct {
	const char *what, *name, *value;
	enum err want;
} refusals[] = {
    {"Disabled not a boolean", "Disabled", "maybe", ERR_WSMAN_WMI_INVALID_PARAMETER},
    {"a read-only property changed", "SID", "S-1-5-18", ERR_WSMAN_WMI_READ_ONLY},
    {"a key changed is a read-only property changed", "Name", "toor", ERR_WSMAN_WMI_READ_ONLY},
    {"a property the class does not have", "NoSuchProperty", "x", ERR_WSMAN_WMI_INVALID_PARAMETER},
    {"a full name that would break the passwd line", "FullName", "a:b",
     ERR_WSMAN_WMI_INVALID_PARAMETER},
};

static void test_command(void)
{
	struct cim_instance *now = calloc(1, sizeof(*now));
	struct cim_property sent[4];
	struct cim_command *cmd = calloc(1, sizeof(*cmd));
	struct passwd *pw = getpwnam("root");
	char line[1024], want[512];
	const char *rest = pw ? strchr(pw->pw_gecos, ',') : NULL;
	uint32_t changes = 0;

	CHECK("root is an account of Win32_UserAccount", account("root", now));
	/* The whole instance as it is: nothing to run. */
	CHECK("the instance as it is: nothing changes",
	      cim_put_command(&cim_user_writables, now, now->properties, now->nproperties, cmd,
			      &changes) == ERR_OK &&
		  changes == 0 && cmd->argc == 0);
	property(&sent[0], "fullname", CIM_STRING, "Charlie Root");
	property(&sent[1], "Name", CIM_STRING, "root");
	snprintf(want, sizeof(want), "/usr/sbin/usermod|-c|Charlie Root%s|--|root",
		 rest ? rest : "");
	CHECK("FullName: usermod -c with the other GECOS fields",
	      command_is(now, sent, 2, cmd, 1, want));
	property(&sent[1], "Disabled", CIM_BOOLEAN, "TRUE");
	snprintf(want, sizeof(want), "/usr/sbin/usermod|--expiredate|1|-c|Charlie Root%s|--|root",
		 rest ? rest : "");
	CHECK("Disabled true and FullName: one usermod, in the table's order",
	      command_is(now, sent, 2, cmd, 2, want));
	property(&sent[0], "Disabled", CIM_BOOLEAN, "false");
	CHECK("Disabled false: the expiry date cleared",
	      cim_put_command(&cim_user_writables, now, sent, 1, cmd, &changes) == ERR_OK &&
		  (changes == 0 || strncmp(line_of(cmd, line, sizeof(line)),
					   "/usr/sbin/usermod|--expiredate||", 32) == 0));
	property(&sent[0], "Disabled", CIM_BOOLEAN, "maybe");
	CHECK("Disabled not a boolean",
	      cim_put_command(&cim_user_writables, now, sent, 1, cmd, &changes) ==
		  ERR_WSMAN_WMI_INVALID_PARAMETER);
	property(&sent[0], "Disabled", CIM_NULL, "");
	property(&sent[1], "SID", CIM_NULL, "");
	CHECK("nil is a property not given, writable or not",
	      cim_put_command(&cim_user_writables, now, sent, 2, cmd, &changes) == ERR_OK &&
		  changes == 0);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		property(&sent[0], refusals[i].name, CIM_STRING, refusals[i].value);
		CHECK(refusals[i].what, cim_put_command(&cim_user_writables, now, sent, 1, cmd,
							&changes) == refusals[i].want);
	}
	free(now);
	free(cmd);
}

/* A Put for cim_invoke, as an administrator, of the account name. */
static void put_call(struct cim_invoke_request *r, const char *class_name, const char *name)
{
	char host[CIM_MAX_VALUE + 1];

	cim_host_name(host, sizeof(host));
	memset(r, 0, sizeof(*r));
	r->kind = CIM_CALL_PUT;
	snprintf(r->namespace_name, sizeof(r->namespace_name), "root/cimv2");
	snprintf(r->class_name, sizeof(r->class_name), "%s", class_name);
	snprintf(r->access.client_ip, sizeof(r->access.client_ip), "192.0.2.1");
	snprintf(r->access.sddl, sizeof(r->access.sddl), "%s", CIM_DEFAULT_SDDL);
	r->access.is_admin = 1;
	r->timeout_ms = 5000;
	r->nselectors = 2;
	snprintf(r->selectors[0].name, CIM_MAX_NAME + 1, "Domain");
	snprintf(r->selectors[0].value, CIM_MAX_VALUE + 1, "%s", host);
	snprintf(r->selectors[1].name, CIM_MAX_NAME + 1, "Name");
	snprintf(r->selectors[1].value, CIM_MAX_VALUE + 1, "%s", name);
}

static void test_host(void)
{
	struct cim_invoke_request *r = calloc(1, sizeof(*r));
	struct cim_invoke_reply *out = calloc(1, sizeof(*out));
	struct cim_instance *now = calloc(1, sizeof(*now));
	struct cim_pending pending;

	put_call(r, "Win32_UserAccount", "root");
	snprintf(r->access.sddl, sizeof(r->access.sddl), "O:BAG:BAD:(A;CI;CCDCSWWPRCWD;;;BA)");
	CHECK("without Provider Write: access denied",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_ACCESS_DENIED && !pending.pid);
	put_call(r, "Win32_Group", "root");
	CHECK("a class with nothing writable",
	      cim_invoke(r, out, &pending) == ERR_WSMAN_WMI_NOT_CAPABLE && !pending.pid);
	put_call(r, "Win32_UserAccount", "owt_no_such_account");
	CHECK("no such account", cim_invoke(r, out, &pending) == ERR_WSMAN_NO_INSTANCE);
	put_call(r, "Win32_UserAccount", "root");
	account("root", now);
	memcpy(r->parameters, now->properties, sizeof(now->properties[0]) * now->nproperties);
	r->nparameters = now->nproperties;
	CHECK("the instance sent back as it is: answered at once, nothing run",
	      cim_invoke(r, out, &pending) == ERR_OK && !pending.pid && out->kind == CIM_CALL_PUT &&
		  strcmp(out->class_name, "Win32_UserAccount") == 0 &&
		  memcmp(&out->output, now, sizeof(*now)) == 0);
	free(r);
	free(out);
	free(now);
}

int main(void)
{
	test_parse();
	test_ipc();
	test_seeds();
	test_gecos();
	test_command();
	test_host();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
