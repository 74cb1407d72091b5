/* winrm: the command-line tool, after Windows' winrm.vbs. Without -r:
 * get, set, create, delete and enumerate work on the local configuration,
 * DIR/winrm.conf, through config.c; with -r: (and for identify and
 * invoke) winrm_remote.c sends them to a service; quickconfig.c sets this
 * machine up.
 * A command applies all its changes to an in-memory copy and saves once,
 * so on any error the file is left as it was; after a change it asks a
 * running winrmd to reload with SIGHUP. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/winrm_cli.h"
#include "common/util.h"
#include "common/version.h"
#include "config/config.h"

#define PID_FILE "winrmd.pid"
#define MAX_MSG 4096	     /* an error message from config.c */
#define MAX_OUTPUT (1 << 20) /* printed configuration */

static const struct {
	const char *name;
	enum verb verb;
} verbs[] = {
    {"get", V_GET},
    {"g", V_GET},
    {"set", V_SET},
    {"s", V_SET},
    {"put", V_SET},
    {"p", V_SET},
    {"create", V_CREATE},
    {"c", V_CREATE},
    {"delete", V_DELETE},
    {"d", V_DELETE},
    {"enumerate", V_ENUMERATE},
    {"e", V_ENUMERATE},
    {"enum", V_ENUMERATE},
    {"invoke", V_INVOKE},
    {"diagnose", V_DIAGNOSE},
    {"i", V_INVOKE},
    {"identify", V_IDENTIFY},
    {"id", V_IDENTIFY},
    {"quickconfig", V_QUICKCONFIG},
    {"qc", V_QUICKCONFIG},
    {"help", V_HELP},
};

struct cmd {
	enum verb verb;
	int https, quiet; /* quickconfig: -transport:https, -quiet */
	const char *dir;
	const char *resource; /* under winrm/config: "", "service/auth", "listener?..." */
	const char *input;    /* the @{...} argument, if any */
};

int complain(const char *fmt, ...)
{
	va_list ap;

	fputs("winrm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* config.c says what went wrong in msg; only running out of memory leaves it empty. */
static int config_error(const struct buf *msg)
{
	if (buf_len(msg) == 0)
		return complain("out of memory");
	return complain("%.*s", (int)buf_len(msg), (const char *)buf_ptr(msg));
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Windows Remote Management command line tool (openwinrm)\n"
	    "\n"
	    "Usage:\n"
	    "  winrm OPERATION RESOURCE_URI [-SWITCH:VALUE ...] "
	    "[@{KEY=\"VALUE\"[;KEY=\"VALUE\"]...}]\n"
	    "\n"
	    "Operations:\n"
	    "  g[et] URI                     show a resource\n"
	    "  s[et] URI @{KEY=\"VALUE\";...}  change settings of a resource\n"
	    "  c[reate] URI [@{...}]         create an instance (a listener, a plugin, a\n"
	    "                                certmapping)\n"
	    "  d[elete] URI                  delete an instance\n"
	    "  e[numerate] URI               list the instances\n"
	    "  i[nvoke] ACTION URI [@{...}]  run a custom action (remote)\n"
	    "  id[entify]                    ask a service who it is (-r:, default localhost)\n"
	    "  diagnose -r:HOST|URL          why a connection fails, step by step, and the fix\n"
	    "  quickconfig [-transport:https] [-quiet]\n"
	    "                                set this machine up for remote management\n"
	    "  user set NAME [-p:PASSWORD]   let local account NAME log on with NTLM\n"
	    "                                (password prompted when omitted)\n"
	    "  user delete NAME              take NAME's NTLM password away\n"
	    "  user list                     the accounts that have one\n"
	    "\n"
	    "Without -r: get, set, create, delete and enumerate work on the local\n"
	    "configuration (winrm/config...), DIR/" CONFIG_FILE ", DIR from --config-dir,\n"
	    "else $WINRM_CONFIG_DIR, else " CONFIG_DEFAULT_DIR
	    "; a running winrmd picks changes up.\n"
	    "With -r: they are WS-Management requests to the host.\n"
	    "user keeps NT password hashes, never passwords, in DIR/" CONFIG_NTLM_USERS "\n"
	    "(root only), where the service's NTLM reads them.\n"
	    "\n"
	    "Local configuration paths: winrm/config[/client[/auth|/defaultports]|/service[/auth|\n"
	    "/defaultports]|/winrs|/Listener?Address=ADDR+Transport=HTTP|HTTPS|/"
	    "Plugin?Name=NAME|\n"
	    "/service/certmapping?Issuer=THUMBPRINT+Subject=SUBJECT+URI=URI|\n"
	    "/service/namespace?Name=root/cimv2];\n"
	    "ADDR is *, IP:<address>; a plugin is the PowerShell endpoint\n"
	    "http://schemas.microsoft.com/powershell/NAME (Enabled, AllowedUsers, AllowedGroups,\n"
	    "RunAsUser, ConfigFilePath: a .pssc, MaxShellsPerUser); a certmapping lets client\n"
	    "certificates from the CA THUMBPRINT names, naming SUBJECT (or *.domain, *@domain,\n"
	    "*), log on as UserName (required) to the resources URI names (a URI, a prefix\n"
	    "ending in *, or *); a Password is accepted and dropped; a namespace is a WMI\n"
	    "namespace's security (Sddl: its descriptor in SDDL, RequiresEncryption). Other URIs:\n"
	    "full URIs or "
	    "winrm/, wmicimv2/, wmi/, cimv2/, shell/\n"
	    "aliases, selectors as URI?Key=Value+Key=Value.\n"
	    "\n"
	    "Switches:\n"
	    "  -r[emote]:HOST|URL  -u[sername]:USER  -p[assword]:PASS (prompted when omitted)\n"
	    "  -a[uthentication]:None|Basic|Digest|Negotiate|Kerberos|Certificate|CredSSP\n"
	    "  -certificate:PATH (PEM: client certificate, chain, key; HTTPS only)\n"
	    "  -certificatekey:PATH (its unencrypted PEM key, when in another file)\n"
	    "  -un[encrypted]  -[use]ssl  -skipCAcheck  -skipCNcheck  -timeout:MS\n"
	    "  -f[ormat]:#text|xml|pretty  -file:PATH (the request body for create/invoke)\n"
	    "  -filter:EXPR [-dialect:WQL|Selector|URI]  enumerate only what the filter keeps:\n"
	    "      WQL (the default): -filter:\"select * from Win32_Process where Name='sshd'\"\n"
	    "      on wmicimv2/*; Selector: -filter:{KEY=\"VALUE\";...}\n"
	    "  -returnType:Object|EPR|ObjectAndEPR  enumerate the instances, their EPRs\n"
	    "      (what a get takes back as selectors) or both\n"
	    "\n"
	    "The shell strips the quotes of @{Basic=\"true\"}, which winrm accepts; quote the\n"
	    "whole argument when it holds ';' or spaces:\n"
	    "  winrm set winrm/config/service/auth '@{Basic=\"true\";Kerberos=\"true\"}'\n"
	    "set on a WMI instance gets it, changes the named properties and puts it whole:\n"
	    "  winrm set wmicimv2/Win32_UserAccount?Domain=HOST+Name=USER '@{FullName=\"A B\"}' "
	    "-r:HOST\n"
	    "See winrm(1).\n");
}

/* ---- arguments ---- */

static int is_help_switch(const char *a)
{
	return strcmp(a, "-?") == 0 || strcmp(a, "/?") == 0 || strcasecmp(a, "--help") == 0 ||
	       strcasecmp(a, "-help") == 0;
}

/* The part of a resource URI below winrm/config, or NULL for any other. */
static const char *config_resource(const char *uri)
{
	static const char *const prefixes[] = {
	    "winrm/config",
	    "wsman/config",
	    "http://schemas.microsoft.com/wbem/wsman/1/config",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncasecmp(uri, prefixes[i], n) != 0)
			continue;
		if (uri[n] == 0)
			return "";
		if (uri[n] == '/')
			return uri + n + 1;
	}
	return NULL;
}

/* 1 for "listener?...", "plugin?...", "service/certmapping?...",
 * "service/namespace?...": an instance, named by selectors. */
static int is_instance(const char *resource)
{
	char element[CONFIG_MAX_ELEMENT];
	const char *q = strchr(resource, '?');
	char base[64];

	if (!q || (size_t)(q - resource) >= sizeof(base))
		return 0;
	snprintf(base, sizeof(base), "%.*s", (int)(q - resource), resource);
	return config_resource_of(base, element) == CONFIG_RES_COLLECTION;
}

static void skip_space(char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static int input_error(const struct input *in, const char *p, const char *expected)
{
	return complain("malformed @{...} input at character %zu: expected %s\n"
			"  the form is @{KEY=\"VALUE\"[;KEY=\"VALUE\"]...}, values double-quoted "
			"(quote the whole argument for the shell: '@{Basic=\"true\"}')",
			(size_t)(p - in->text) + 1, expected);
}

/* winrm.vbs: "{" then \s*([\w:]+)\s*=\s*($null|"([^"]*)")\s* separated by
 * ";", then "}" ending the argument; "{}" is empty. A key may come once.
 * Bash strips the quotes of @{Basic="true"}: a value without them is
 * taken as Windows takes the quoted one, up to a space, ';' or '}', which
 * such a value cannot hold. */
int input_parse(const char *arg, struct input *in)
{
	char *p;

	if (!(in->text = strdup(arg)))
		return complain("out of memory");
	p = in->text;
	if (*p++ != '@' || *p++ != '{')
		return input_error(in, in->text, "@{");
	if (strcmp(p, "}") == 0)
		return 0;
	for (;;) {
		char *key, *key_end, *value_end = NULL, sep;
		const char *value;

		skip_space(&p);
		key = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
			p++;
		if (p == key)
			return input_error(in, p, "a setting name");
		key_end = p;
		skip_space(&p);
		if (*p != '=')
			return input_error(in, p, "'=' after the setting name");
		p++;
		*key_end = 0;
		skip_space(&p);
		if (strncasecmp(p, "$null", 5) == 0) {
			value = NULL;
			p += 5;
		} else if (*p == '"') {
			char *close = strchr(p + 1, '"');
			if (!close)
				return input_error(in, in->text + strlen(arg), "the closing '\"'");
			*close = 0;
			value = p + 1;
			p = close + 1;
		} else if (*p && !strchr(";}\"", *p) && !isspace((unsigned char)*p)) {
			value = p;
			p += strcspn(p, ";}\" \t\n");
			value_end = p;
		} else {
			return input_error(in, p, "a value, double-quoted, or $null");
		}
		skip_space(&p);
		sep = *p;
		if (value_end && sep && sep != ';' && sep != '}')
			return input_error(in, p,
					   "';' or '}' (a value with spaces, ';' or '}' must be "
					   "double-quoted)");
		if (value_end)
			*value_end = 0; /* sep keeps what it may overwrite */
		for (size_t i = 0; i < in->n; i++)
			if (strcasecmp(in->pairs[i].key, key) == 0)
				return complain("Multiple matching parameter names not allowed in "
						"@{...}: %s",
						key);
		if (in->n == MAX_INPUT_PAIRS)
			return complain("more than %d settings in @{...}", MAX_INPUT_PAIRS);
		in->pairs[in->n].key = key;
		in->pairs[in->n].value = value;
		in->n++;
		if (sep == ';') {
			p++;
			continue;
		}
		if (sep == '}' && p[1] == 0)
			return 0;
		if (!sep)
			return complain(
			    "@{...} input without its closing '}': the shell ends a command "
			    "at an unquoted ';' and splits words at spaces, so quote the "
			    "whole argument when it holds them: '@{A=\"1\";B=\"2\"}'");
		return input_error(in, p, sep == '}' ? "nothing after '}'" : "';' or '}'");
	}
}

/* ---- the running service ---- */

static ssize_t read_small(const char *path, char *out, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	do
		n = read(fd, out, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n >= 0)
		out[n] = 0;
	return n;
}

/* SIGHUP to the winrmd named by DIR/winrmd.pid, so that it reloads. The
 * process must still be a winrmd: a stale pid file may name a pid that
 * another program has since been given. */
static void notify_service(const char *dir)
{
	char path[PATH_MAX], text[32], comm[32];
	uint64_t pid;
	size_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, PID_FILE) >= sizeof(path) ||
	    read_small(path, text, sizeof(text)) < 0)
		return;
	n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		text[--n] = 0;
	if (util_parse_u64(text, INT32_MAX, &pid) != ERR_OK || pid < 2) {
		complain("warning: %s does not hold a process id", path);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%lu/comm", (unsigned long)pid);
	if (read_small(path, comm, sizeof(comm)) < 0 || strcmp(comm, "winrmd\n") != 0)
		return;
	if (kill((pid_t)pid, SIGHUP) < 0)
		complain("warning: cannot signal winrmd (pid %lu): %s; restart it to apply the "
			 "change",
			 (unsigned long)pid, strerror(errno));
}

/* ---- operations ---- */

/* HTTPS listeners that are enabled but lack a certificate or key, one bit
 * per listener index. */
static uint32_t https_incomplete(const struct config *c)
{
	uint32_t bits = 0;

	for (uint32_t i = 0; i < c->nlisteners; i++) {
		const struct config_listener *l = &c->listeners[i];
		if (l->https && l->enabled && (!*l->certificate_file || !*l->key_file))
			bits |= 1u << i;
	}
	return bits;
}

static int save(const struct config *c, const char *dir)
{
	enum err e = config_save(c, dir);

	if (e == ERR_LIMIT)
		return complain("the configuration would exceed %d bytes", CONFIG_MAX_FILE);
	if (e != ERR_OK)
		return complain("cannot write %s/%s: %s", dir, CONFIG_FILE,
				e == ERR_IO ? strerror(errno) : err_str(e));
	notify_service(dir);
	return 0;
}

static int print_resource(const struct config *c, const char *resource, struct buf *out,
			  struct buf *msg)
{
	if (config_print_text(c, resource, out, msg) != ERR_OK)
		return config_error(msg);
	fwrite(buf_ptr(out), 1, buf_len(out), stdout);
	return fflush(stdout) == 0 ? 0 : complain("cannot write the output: %s", strerror(errno));
}

/* Windows prints the EPR of the new instance. */
static void print_created(const char *resource)
{
	const char *selectors = strchr(resource, '?') + 1;

	printf("ResourceCreated\n"
	       "    Address = http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous\n"
	       "    ReferenceParameters\n"
	       "        ResourceURI = http://schemas.microsoft.com/wbem/wsman/1/config/");
	for (const char *p = resource; p + 1 < selectors; p++)
		fputc(tolower((unsigned char)*p), stdout);
	printf("\n"
	       "        SelectorSet\n"
	       "            Selector: ");
	for (const char *p = selectors; *p;) {
		size_t n = strcspn(p, "+");
		size_t k = strcspn(p, "=");
		if (k < n)
			printf("%.*s = %.*s", (int)k, p, (int)(n - k - 1), p + k + 1);
		else
			printf("%.*s", (int)n, p);
		p += n;
		if (*p == '+') {
			fputs(", ", stdout);
			p++;
		}
	}
	fputc('\n', stdout);
}

static int run(const struct cmd *cmd, struct config *c, struct input *in, struct buf *msg,
	       struct buf *out)
{
	const char *r = cmd->resource;
	char element[CONFIG_MAX_ELEMENT];
	uint32_t incomplete;

	if (cmd->input && (cmd->verb == V_GET || cmd->verb == V_DELETE || cmd->verb == V_ENUMERATE))
		return complain("input was supplied to an operation that does not accept input");
	if (cmd->verb == V_SET && !cmd->input)
		return complain("no input provided: winrm set URI '@{KEY=\"VALUE\"}'");
	if (cmd->input && input_parse(cmd->input, in) != 0)
		return 1;
	if (cmd->verb == V_SET && in->n == 0)
		return complain("parameter set is empty");
	if ((cmd->verb == V_CREATE || cmd->verb == V_DELETE) && !is_instance(r))
		return complain(
		    "%s works on winrm/config/Listener?Address=...+Transport=..., "
		    "winrm/config/Plugin?Name=... and "
		    "winrm/config/service/certmapping?Issuer=...+Subject=...+URI=... only",
		    cmd->verb == V_CREATE ? "create" : "delete");
	if (cmd->verb == V_ENUMERATE && config_resource_of(r, element) != CONFIG_RES_COLLECTION)
		return complain("enumerate works on winrm/config/listener, winrm/config/plugin, "
				"winrm/config/service/certmapping and "
				"winrm/config/service/namespace only");
	if (config_load(c, cmd->dir, msg) != ERR_OK)
		return config_error(msg);

	switch (cmd->verb) {
	case V_GET:
	case V_ENUMERATE:
		return print_resource(c, r, out, msg);
	case V_DELETE:
		if (config_instance_delete(c, r, msg) != ERR_OK)
			return config_error(msg);
		return save(c, cmd->dir);
	case V_CREATE:
	case V_SET:
		incomplete = https_incomplete(c);
		if (cmd->verb == V_CREATE && config_instance_create(c, r, msg) != ERR_OK)
			return config_error(msg);
		for (size_t i = 0; i < in->n; i++)
			if (config_set(c, r, in->pairs[i].key, in->pairs[i].value, msg) != ERR_OK)
				return config_error(msg);
		if (config_check_required(c, msg) != ERR_OK)
			return config_error(msg);
		/* Refuse only what this command broke, not older problems. */
		if (https_incomplete(c) & ~incomplete)
			return complain(
			    "an enabled HTTPS listener needs CertificateFile and KeyFile "
			    "(PEM files; relative paths are relative to %s)",
			    cmd->dir);
		if (save(c, cmd->dir) != 0)
			return 1;
		if (cmd->verb == V_CREATE) {
			print_created(r);
			return 0;
		}
		return print_resource(c, r, out, msg);
	case V_HELP:
	case V_INVOKE: /* remote_main's */
	case V_IDENTIFY:
	case V_QUICKCONFIG:
	case V_DIAGNOSE:
		break;
	}
	usage(stdout);
	return 0;
}

/* ---- winrm user: the NTLM hashes of local accounts ---- */

static int user_error(const struct buf *msg, const char *fallback)
{
	if (buf_len(msg) == 0)
		return complain("%s", fallback);
	return complain("%.*s", (int)buf_len(msg), (const char *)buf_ptr(msg));
}

static int user_set(const char *dir, const char *name, const char *password, struct buf *msg)
{
	unsigned char hash[NTLM_HASH_LEN];
	const struct passwd *pw;
	enum err e;

	/* gss-ntlmssp maps a verified name to the local account of that name. */
	errno = 0;
	if (!(pw = getpwnam(name)))
		return complain("%s is not a local account%s%s", name, errno ? ": " : "",
				errno ? strerror(errno) : "");
	if (!password) {
		if (!isatty(STDIN_FILENO))
			return complain("no password: give -p:PASSWORD or run on a terminal");
		if (!(password = cli_prompt_password(name)))
			return complain("no password read");
	}
	if (!*password)
		return complain("the password is empty");
	if ((e = ntlm_nt_hash(password, hash)) == ERR_FORMAT)
		return complain("the password is not valid UTF-8");
	if (e != ERR_OK)
		return complain("cannot compute the NT hash: %s (is OpenSSL's legacy provider, "
				"which has MD4, installed?)",
				err_str(e));
	e = ntlm_users_set(dir, name, (uint32_t)pw->pw_uid, hash, time(NULL), msg);
	memset(hash, 0, sizeof(hash));
	return e == ERR_OK ? 0 : user_error(msg, err_str(e));
}

/* winrm user set|delete|list: pos[0] is "user". */
static int user_main(const char *dir, const char *const *pos, size_t npos, const char *password)
{
	static const char usage_line[] =
	    "usage: winrm user set NAME [-p:PASSWORD] | winrm user delete NAME | winrm user list";
	const char *sub = npos > 1 ? pos[1] : "";
	int is_list = strcasecmp(sub, "list") == 0;
	int takes_name = strcasecmp(sub, "set") == 0 || strcasecmp(sub, "delete") == 0;
	struct buf msg, out;
	int rc;

	if (geteuid() != 0)
		return complain("winrm user must run as root: %s/%s is readable by root only", dir,
				CONFIG_NTLM_USERS);
	if (!(is_list && npos == 2) && !(takes_name && npos == 3))
		return complain("%s", usage_line);
	if (password && strcasecmp(sub, "set") != 0)
		return complain("-p: goes with winrm user set only");
	buf_init(&msg, MAX_MSG);
	buf_init(&out, NTLM_MAX_FILE);
	if (strcasecmp(sub, "set") == 0) {
		rc = user_set(dir, pos[2], password, &msg);
	} else if (strcasecmp(sub, "delete") == 0) {
		enum err e = ntlm_users_delete(dir, pos[2], &msg);
		rc = e == ERR_OK ? 0 : user_error(&msg, err_str(e));
	} else {
		enum err e = ntlm_users_list(dir, &out, &msg);
		rc = e == ERR_OK ? 0 : user_error(&msg, err_str(e));
		if (rc == 0 && (fwrite(buf_ptr(&out), 1, buf_len(&out), stdout) != buf_len(&out) ||
				fflush(stdout) != 0))
			rc = complain("cannot write the output: %s", strerror(errno));
	}
	buf_clear(&msg);
	buf_clear(&out);
	return rc;
}

/* winrm OPERATION [ACTION] URI [@{...}] against a service. */
/* A user name without its password: asked for on the terminal, as
 * Windows' winrm asks. 1 (said) when none could be read. */
static int ask_password(struct remote *r)
{
	if (r->session.user && !r->session.password && r->session.auth != WINRM_AUTH_NONE &&
	    !cli_certificate_auth(&r->session, &r->certificate) && isatty(STDIN_FILENO) &&
	    !(r->session.password = cli_prompt_password(r->session.user)))
		return complain("no password read");
	return 0;
}

static int remote_main(const struct cmd *cmd, const char *const *pos, size_t npos, struct remote *r)
{
	struct input in = {0};
	const char *action = NULL, *uri = NULL, *input = NULL;
	size_t at = 1;
	int rc;

	if (cmd->verb == V_INVOKE && npos > at)
		action = pos[at++];
	if (cmd->verb != V_IDENTIFY && npos > at)
		uri = pos[at++];
	if (npos > at && strncmp(pos[at], "@{", 2) == 0)
		input = pos[at++];
	if (npos > at)
		return complain("unexpected argument: %s (type \"winrm -?\" for help)", pos[at]);
	if (cmd->verb == V_INVOKE && (!action || !uri))
		return complain(
		    "invoke needs an action and a resource URI: winrm invoke ACTION URI @{...}");
	if (cmd->verb != V_IDENTIFY && !uri)
		return complain("the resource URI is missing (e.g. winrm/config)");
	if (input && (cmd->verb == V_GET || cmd->verb == V_DELETE || cmd->verb == V_ENUMERATE ||
		      cmd->verb == V_IDENTIFY))
		return complain("input was supplied to an operation that does not accept input");
	if (cmd->verb == V_SET && !input)
		return complain("no input provided: winrm set URI -r:HOST '@{KEY=\"VALUE\"}'");
	if ((r->filter || r->dialect) && cmd->verb != V_ENUMERATE)
		return complain("-filter: and -dialect: go with enumerate");
	if (r->dialect && !r->filter)
		return complain("-dialect: needs a -filter:");
	if (r->mode_given && cmd->verb != V_ENUMERATE)
		return complain("-returnType: goes with enumerate");
	/* winrm help filters: -dialect:selector -filter:{State="Running"} */
	if (r->filter && selector_dialect(r->dialect)) {
		char *hash = malloc(strlen(r->filter) + 2);
		int bad = !hash || r->filter[0] != '{';
		if (hash) {
			hash[0] = '@';
			strcpy(hash + 1, r->filter);
		}
		bad = bad || input_parse(hash, &in) != 0 || in.n == 0;
		free(hash);
		if (bad) {
			free(in.text);
			return complain("a Selector filter is -filter:{KEY=\"VALUE\";...}");
		}
	}
	if (input && input_parse(input, &in) != 0) {
		free(in.text);
		return 1;
	}
	if (!r->session.target)
		r->session.target = "localhost";
	r->session.config_dir = cmd->dir;
	/* Identify without credentials is anonymous, as `winrm id -a:none`. */
	if (cmd->verb == V_IDENTIFY && !r->session.user && !r->certificate.file &&
	    r->session.auth == WINRM_AUTH_DEFAULT)
		r->session.auth = WINRM_AUTH_NONE;
	rc = ask_password(r) ? 1 : remote_run(cmd->verb, action, uri, &in, r);
	free(in.text);
	return rc;
}

static int diagnose_main(const struct cmd *cmd, struct remote *r)
{
	r->session.config_dir = cmd->dir;
	return ask_password(r) ? 1 : diagnose(r);
}

/* The remote switches; 1 if arg was one of them, -1 on a bad value. */
static int remote_switch(const char *a, struct remote *r, int *remote)
{
	const char *v;

	if (cli_switch(a, "r", "remote", &v) || cli_switch(a, "machine", "machine", &v)) {
		if (!v || !*v)
			return complain("-r: needs a host or URL"), -1;
		r->session.target = v;
		*remote = 1;
	} else if (cli_switch(a, "u", "username", &v) && v) {
		r->session.user = v;
	} else if (cli_switch(a, "p", "password", &v) && v) {
		r->session.password = v;
	} else if ((cli_switch(a, "a", "authentication", &v) ||
		    cli_switch(a, "auth", "auth", &v)) &&
		   v) {
		int scheme = winrm_auth_parse(v);
		if (scheme <= 0)
			return complain("unknown authentication scheme '%s' (None, Basic, Digest, "
					"Negotiate, "
					"Kerberos, Certificate, CredSSP)",
					v),
			       -1;
		r->session.auth = (enum winrm_auth)scheme;
	} else if (cli_certificate_switch(a, &r->certificate)) {
		*remote = 1;
	} else if (cli_switch(a, "un", "unencrypted", &v) && !v) {
		r->session.flags |= WINRM_FLAG_NO_ENCRYPTION;
	} else if ((cli_switch(a, "usessl", "usessl", &v) || cli_switch(a, "ssl", "ssl", &v)) &&
		   !v) {
		r->session.flags |= WINRM_FLAG_USE_SSL;
	} else if (cli_switch(a, "skipCAcheck", "skipCAcheck", &v) && !v) {
		r->session.flags |= WINRM_FLAG_SKIP_CA_CHECK;
	} else if (cli_switch(a, "skipCNcheck", "skipCNcheck", &v) && !v) {
		r->session.flags |= WINRM_FLAG_SKIP_CN_CHECK;
	} else if (cli_switch(a, "timeout", "timeout", &v) && v) {
		uint64_t ms;
		if (util_parse_u64(v, UINT32_MAX, &ms) != ERR_OK || ms == 0)
			return complain("-timeout: takes milliseconds, e.g. -timeout:60000"), -1;
		r->session.timeout_ms = (uint32_t)ms;
	} else if ((cli_switch(a, "f", "format", &v)) && v) {
		if (strcasecmp(v, "xml") == 0)
			r->format = WSMAN_TEXT_XML;
		else if (strcasecmp(v, "pretty") == 0)
			r->format = WSMAN_TEXT_PRETTY;
		else if (strcasecmp(v, "#text") == 0 || strcasecmp(v, "text") == 0)
			r->format = WSMAN_TEXT_PLAIN;
		else
			return complain("-format: is #text, xml or pretty"), -1;
	} else if (cli_switch(a, "file", "file", &v) && v) {
		r->file = v;
	} else if (cli_switch(a, "filter", "filter", &v) && v) {
		r->filter = v;
	} else if (cli_switch(a, "dialect", "dialect", &v) && v && *v) {
		r->dialect = v;
	} else if (cli_switch(a, "returntype", "returntype", &v) && v) {
		/* winrm.vbs' words, any case */
		if (strcasecmp(v, "object") == 0)
			r->mode = WINRM_ENUM_OBJECTS;
		else if (strcasecmp(v, "epr") == 0)
			r->mode = WINRM_ENUM_EPRS;
		else if (strcasecmp(v, "objectandepr") == 0)
			r->mode = WINRM_ENUM_OBJECTS_AND_EPRS;
		else
			return complain("-returnType:%s is not a valid option (Object, EPR or "
					"ObjectAndEPR)",
					v),
			       -1;
		r->mode_given = 1;
	} else {
		return 0;
	}
	return 1;
}

/* quickconfig's switches, as remote_switch. */
static int quickconfig_switch(const char *a, struct cmd *cmd)
{
	const char *v;

	if (cli_switch(a, "transport", "transport", &v) && v) {
		if (strcasecmp(v, "https") != 0 && strcasecmp(v, "http") != 0)
			return complain("-transport: is http or https"), -1;
		cmd->https = strcasecmp(v, "https") == 0;
	} else if (cli_switch(a, "q", "quiet", &v) && !v) {
		cmd->quiet = 1;
	} else if (cli_switch(a, "force", "force", &v) && !v) {
		/* Windows' -force skips the network-profile check: none here. */
	} else {
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct cmd cmd = {0};
	struct input in = {0};
	struct config c = {0};
	struct remote remote = {.format = WSMAN_TEXT_PLAIN};
	struct buf msg, out;
	const char *pos[4];
	size_t npos = 0;
	int help = 0, found = 0, is_remote = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int sw;

		if (strcmp(a, "--config-dir") == 0) {
			if (++i == argc)
				return complain("--config-dir needs a directory");
			cmd.dir = argv[i];
		} else if (strncmp(a, "--config-dir=", 13) == 0) {
			cmd.dir = a + 13;
		} else if (is_help_switch(a)) {
			help = 1;
		} else if (strcmp(a, "--version") == 0) {
			printf("winrm (openwinrm) %s\n", OPENWINRM_VERSION);
			return 0;
		} else if (a[0] == '-' && ((sw = remote_switch(a, &remote, &is_remote)) != 0 ||
					   (sw = quickconfig_switch(a, &cmd)) != 0)) {
			if (sw < 0)
				return 1;
		} else if (a[0] == '-') {
			return complain("unknown switch: %s (type \"winrm -?\" for help)", a);
		} else if (npos == sizeof(pos) / sizeof(pos[0])) {
			return complain("unexpected argument: %s (type \"winrm -?\" for help)", a);
		} else {
			pos[npos++] = a;
		}
	}
	if (help || npos == 0) {
		usage(help ? stdout : stderr);
		return help ? 0 : 1;
	}
	if (!cmd.dir) {
		cmd.dir = getenv("WINRM_CONFIG_DIR");
		if (!cmd.dir || !*cmd.dir)
			cmd.dir = CONFIG_DEFAULT_DIR;
	}
	/* Not a WS-Management operation: only -p: of the switches applies. */
	if (strcasecmp(pos[0], "user") == 0) {
		if (is_remote || remote.session.user || remote.session.auth ||
		    remote.certificate.file || remote.session.flags || remote.session.timeout_ms ||
		    remote.file || remote.filter || remote.dialect || remote.mode_given ||
		    cmd.https || cmd.quiet)
			return complain(
			    "winrm user works on this machine and takes only -p:PASSWORD");
		return user_main(cmd.dir, pos, npos, remote.session.password);
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]) && !found; i++) {
		if (strcasecmp(pos[0], verbs[i].name) == 0) {
			cmd.verb = verbs[i].verb;
			found = 1;
		}
	}
	if (!found)
		return complain("unknown operation name: %s (type \"winrm -?\" for help)", pos[0]);
	if (cmd.verb == V_HELP) {
		usage(stdout);
		return 0;
	}
	if (cmd.verb == V_DIAGNOSE)
		return npos > 1 ? complain("diagnose takes no argument but its switches: winrm "
					   "diagnose -r:HOST|URL [-u: -p: -a: ...]")
				: diagnose_main(&cmd, &remote);
	if (cmd.verb == V_QUICKCONFIG)
		return is_remote ? complain("quickconfig works on this machine only (no -r:)")
				 : quickconfig(cmd.dir, cmd.https, cmd.quiet);
	/* Identify and invoke talk to a service, the local one by default. */
	if (is_remote || cmd.verb == V_IDENTIFY || cmd.verb == V_INVOKE)
		return remote_main(&cmd, pos, npos, &remote);
	if (npos < 2)
		return complain("the resource URI is missing (e.g. winrm/config)");
	if (remote.filter || remote.dialect)
		return complain("-filter: and -dialect: go with enumerate on a service (-r:)");
	if (remote.mode_given)
		return complain("-returnType: goes with enumerate on a service (-r:)");
	if (!(cmd.resource = config_resource(pos[1])))
		return complain("unsupported resource URI %s: only winrm/config resources are "
				"managed locally (use -r: for others)",
				pos[1]);
	if (npos > 3)
		return complain("unexpected argument: %s (type \"winrm -?\" for help)", pos[3]);
	if (npos == 3) {
		if (strncmp(pos[2], "@{", 2) != 0)
			return complain("unexpected argument: %s (input is @{KEY=\"VALUE\";...})",
					pos[2]);
		cmd.input = pos[2];
	}

	buf_init(&msg, MAX_MSG);
	buf_init(&out, MAX_OUTPUT);
	rc = run(&cmd, &c, &in, &msg, &out);
	config_clear(&c);
	buf_clear(&msg);
	buf_clear(&out);
	free(in.text);
	return rc;
}
