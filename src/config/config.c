/* config: the schema of the winrm/config tree (client, privileged part,
 * network process and CLI). Its stored form (DIR/winrm.conf: config_read.c,
 * config_write.c), `winrm set` and Put (config_resource.c), Windows' text
 * form and the XML of WS-Management Get (config_print.c) are all driven by
 * two tables: config_settings[] (the singleton resources: the root,
 * Client, Service, Winrs and their Auth and DefaultPorts) and
 * config_listener_settings[] (one listener). Each row names a setting as
 * Windows does, says where it lives in struct config, its type, default
 * and limits; defaults, parsing, saving, `winrm set`, Put and printing all
 * walk the rows, so adding a setting is adding a row. Rows are in the order
 * Windows' `winrm get winrm/config` prints (docs/protocol-notes.md,
 * "Element order"). The resources of many instances (listeners, plugins,
 * certmappings) each have a table of their own and a row in
 * config_collections[].
 *
 * Read-only settings (MaxProviderRequests, MaxConcurrentOperations,
 * AllowRemoteAccess) are Windows' constants: printed, never stored, and a
 * line or `winrm set` naming them is refused, so an edited file cannot
 * claim a value the service does not have. ListeningOn is known (so that
 * setting it says "read-only" rather than "unknown") and computed where
 * the service runs: only the XML of Get shows it (config_print_xml).
 *
 * Settings openwinrm adds, with WinRM-style names:
 *   Service/AdminGroups       comma list of groups whose members are
 *                             administrators (may run as anyone); default
 *                             those of "sudo,wheel" that exist here.
 *   Service/RemoteUsersGroup  group whose members may use the service
 *                             (besides administrators); "winrm-users".
 *   Service/AllowNoLoginShells  true: accounts whose login shell is
 *                             nologin, false or not in /etc/shells may
 *                             log on too (their commands need no shell
 *                             with WINRS_SKIP_CMD_SHELL); false: refused.
 *   Service/Auth/Keytab       absolute path of the Kerberos keytab the
 *                             service accepts with; empty: the one
 *                             KRB5_KTNAME names, else the system keytab.
 *   Service/Auth/ServicePrincipalNames  acceptor names besides HTTP/<fqdn>,
 *                             "SERVICE/HOST[@REALM]" separated by ',':
 *                             "HTTP/localhost,HTTP/web.example.com".
 *   Service/Auth/NtlmWinbind  true: verify NTLM through Samba's winbind (a
 *                             domain member), not the local hash file
 *                             (CONFIG_NTLM_USERS, `winrm user`).
 *   Service/Auth/TrustedIssuers  absolute path of a PEM file of the CA
 *                             certificates a certmapping's Issuer may name;
 *                             empty: the system's trusted CAs.
 *   Service/PowerShell        absolute path of the pwsh that serves the
 *                             PowerShell endpoints; empty: the usual
 *                             install paths (/usr/bin/pwsh,
 *                             /opt/microsoft/powershell/7/pwsh, ...), then
 *                             PATH.
 *   Service/AuditLogFile      absolute path of a file the privileged part
 *                             appends the audit events to, one JSON object
 *                             a line (root's, 0600, reopened on SIGHUP);
 *                             empty: the journal (else syslog) alone.
 *   Service/MaxConnectionsPerUserPercent  the part of MaxConnections'
 *                             active requests one account may hold, in
 *                             percent (1-100); 50: one account's long
 *                             polls cannot lock the others out.
 *   Client/AllowFreshCredentials, Client/AllowFreshCredentialsWhenNTLMOnly
 *                             the targets the client may send a password
 *                             to with CredSSP, "SERVICE/HOST" separated by
 *                             ',', the host with '*' wildcards (WSMAN/host,
 *                             WSMAN/ followed by *.example.com or by * for
 *                             every host); empty: none. On Windows these are
 *                             the credential delegation policy (GPO) that
 *                             Enable-WSManCredSSP -Role Client
 *                             -DelegateComputer sets; the second one
 *                             applies when only NTLM authenticated the
 *                             server.
 *   These are Linux-only (F_UNLESS_DEFAULT): printed, in text and
 *   XML, only when they differ from their default, so that a fresh
 *   configuration prints exactly Windows' document and clients that
 *   know only Windows' settings never meet them.
 *   Listener CertificateFile, KeyFile: PEM paths of an HTTPS listener's
 *                             certificate chain and private key (Linux has
 *                             no certificate store to take a thumbprint
 *                             from). Relative paths are relative to the
 *                             configuration directory; they are kept as
 *                             written, and the reader (the privileged
 *                             part) resolves them against its directory.
 * The listener Port defaults to Service/DefaultPorts HTTP or HTTPS. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cim/cim.h"
#include "common/log.h"
#include "common/util.h"

static const char *check_url_prefix(const char *v);
static const char *check_thumbprint(const char *v);
static const char *check_group(const char *v);
static const char *check_group_list(const char *v);
static const char *check_account(const char *v);
static const char *check_account_list(const char *v);
static const char *check_absolute_path(const char *v);
static const char *check_principal_list(const char *v);
static const char *check_delegation_list(const char *v);
static const char *check_plugin_name(const char *v);
static const char *check_namespace_sddl(const char *v);

static const char *const bool_names[] = {"false", "true"};
const char *const config_transport_names[] = {"HTTP", "HTTPS"};
static const char *const cbt_names[] = {"None", "Relaxed", "Strict"};
_Static_assert(CONFIG_CBT_NONE == 0 && CONFIG_CBT_RELAXED == 1 && CONFIG_CBT_STRICT == 2,
	       "cbt_names follows enum config_cbt");

/* The tables read best as one row per setting. */
/* clang-format off */
#define C(f) offsetof(struct config, f)
#define L(f) offsetof(struct config_listener, f)
#define BOOL(p, n, off, d, fl) {p, n, T_FLAG, fl, off, d, 0, 0, bool_names, 2, NULL}
#define U32(p, n, off, d, lo, hi, fl) {p, n, T_U32, fl, off, d, lo, hi, NULL, 0, NULL}
#define STR(p, n, off, d, fl, chk) {p, n, T_STR, fl, off, d, 0, 0, NULL, 0, chk}
#define PORT(p, n, off, d, fl) U32(p, n, off, d, 1, 65535, fl)
#define FILTER(p, n, off, d, family) {p, n, T_FILTER, 0, off, d, family, 0, NULL, 0, NULL}
#define SECRET(p, n) {p, n, T_SECRET, 0, 0, NULL, 0, 0, NULL, 0, NULL}

const struct setting config_settings[] = {
	U32("", "MaxEnvelopeSizekb", C(max_envelope_size_kb), "500", 32, 1039440, 0),
	U32("", "MaxTimeoutms", C(max_timeout_ms), "60000", 500, UINT32_MAX, 0),
	U32("", "MaxBatchItems", C(max_batch_items), "32000", 1, UINT32_MAX, 0),
	U32("", "MaxProviderRequests", C(max_provider_requests), "4294967295", 0, UINT32_MAX, F_RO),
	U32("Client", "NetworkDelayms", C(client.network_delay_ms), "5000", 0, UINT32_MAX, 0),
	STR("Client", "URLPrefix", C(client.url_prefix), "wsman", 0, check_url_prefix),
	BOOL("Client", "AllowUnencrypted", C(client.allow_unencrypted), "false", 0),
	BOOL("Client/Auth", "Basic", C(client.auth.basic), "true", 0),
	BOOL("Client/Auth", "Digest", C(client.auth.digest), "true", 0),
	BOOL("Client/Auth", "Kerberos", C(client.auth.kerberos), "true", 0),
	BOOL("Client/Auth", "Negotiate", C(client.auth.negotiate), "true", 0),
	BOOL("Client/Auth", "Certificate", C(client.auth.certificate), "true", 0),
	BOOL("Client/Auth", "CredSSP", C(client.auth.credssp), "false", 0),
	PORT("Client/DefaultPorts", "HTTP", C(client.default_ports.http), "5985", 0),
	PORT("Client/DefaultPorts", "HTTPS", C(client.default_ports.https), "5986", 0),
	STR("Client", "TrustedHosts", C(client.trusted_hosts), "", 0, NULL),
	STR("Client", "AllowFreshCredentials", C(client.allow_fresh_credentials), "",
	    F_UNLESS_DEFAULT, check_delegation_list),
	STR("Client", "AllowFreshCredentialsWhenNTLMOnly",
	    C(client.allow_fresh_credentials_when_ntlm_only), "", F_UNLESS_DEFAULT,
	    check_delegation_list),
	STR("Service", "RootSDDL", C(service.root_sddl),
	    "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)", 0, NULL),
	U32("Service", "MaxConcurrentOperations", C(service.max_concurrent_operations),
	    "4294967295", 0, UINT32_MAX, F_RO),
	U32("Service", "MaxConcurrentOperationsPerUser",
	    C(service.max_concurrent_operations_per_user), "1500", 0, UINT32_MAX, 0),
	U32("Service", "EnumerationTimeoutms", C(service.enumeration_timeout_ms), "240000", 0,
	    UINT32_MAX, 0),
	U32("Service", "MaxConnections", C(service.max_connections), "300", 1, UINT32_MAX, 0),
	U32("Service", "MaxConnectionsPerUserPercent",
	    C(service.max_connections_per_user_percent), "50", 1, 100, F_UNLESS_DEFAULT),
	U32("Service", "MaxConcurrentLogonsPerSource", C(service.max_concurrent_logons_per_source),
	    "4", 1, 256, F_UNLESS_DEFAULT),
	U32("Service", "MaxConcurrentLogonsPerAccount",
	    C(service.max_concurrent_logons_per_account), "4", 1, 256, F_UNLESS_DEFAULT),
	U32("Service", "MaxLogonFailuresPerSource", C(service.max_logon_failures_per_source), "30",
	    0, UINT32_MAX, F_UNLESS_DEFAULT),
	U32("Service", "MaxLogonFailuresPerAccount", C(service.max_logon_failures_per_account),
	    "10", 0, UINT32_MAX, F_UNLESS_DEFAULT),
	U32("Service", "MaxPacketRetrievalTimeSeconds", C(service.max_packet_retrieval_time_s),
	    "120", 0, UINT32_MAX, 0),
	BOOL("Service", "AllowUnencrypted", C(service.allow_unencrypted), "false", 0),
	BOOL("Service/Auth", "Basic", C(service.auth.basic), "false", 0),
	BOOL("Service/Auth", "Kerberos", C(service.auth.kerberos), "true", 0),
	BOOL("Service/Auth", "Negotiate", C(service.auth.negotiate), "true", 0),
	BOOL("Service/Auth", "Certificate", C(service.auth.certificate), "false", 0),
	BOOL("Service/Auth", "CredSSP", C(service.auth.credssp), "false", 0),
	{"Service/Auth", "CbtHardeningLevel", T_CBT, 0, C(service.auth.cbt_hardening_level),
	 "Relaxed", 0, 0, cbt_names, 3, NULL},
	STR("Service/Auth", "Keytab", C(service.auth.keytab), "", F_UNLESS_DEFAULT,
	    check_absolute_path),
	STR("Service/Auth", "ServicePrincipalNames", C(service.auth.service_principal_names), "",
	    F_UNLESS_DEFAULT, check_principal_list),
	BOOL("Service/Auth", "NtlmWinbind", C(service.auth.ntlm_winbind), "false", F_UNLESS_DEFAULT),
	STR("Service/Auth", "TrustedIssuers", C(service.auth.trusted_issuers), "", F_UNLESS_DEFAULT,
	    check_absolute_path),
	PORT("Service/DefaultPorts", "HTTP", C(service.default_ports.http), "5985", 0),
	PORT("Service/DefaultPorts", "HTTPS", C(service.default_ports.https), "5986", 0),
	FILTER("Service", "IPv4Filter", C(service.ipv4_filter), "*", AF_INET),
	FILTER("Service", "IPv6Filter", C(service.ipv6_filter), "*", AF_INET6),
	BOOL("Service", "EnableCompatibilityHttpListener",
	     C(service.enable_compatibility_http_listener), "false", 0),
	BOOL("Service", "EnableCompatibilityHttpsListener",
	     C(service.enable_compatibility_https_listener), "false", 0),
	STR("Service", "CertificateThumbprint", C(service.certificate_thumbprint), "", 0,
	    check_thumbprint),
	BOOL("Service", "AllowRemoteAccess", C(service.allow_remote_access), "true", F_RO),
	STR("Service", "AdminGroups", C(service.admin_groups), "sudo,wheel", F_DEF_EXISTING,
	    check_group_list),
	STR("Service", "RemoteUsersGroup", C(service.remote_users_group), "winrm-users", 0,
	    check_group),
	BOOL("Service", "AllowNoLoginShells", C(service.allow_no_login_shells), "false",
	     F_UNLESS_DEFAULT),
	STR("Service", "PowerShell", C(service.powershell), "", F_UNLESS_DEFAULT,
	    check_absolute_path),
	STR("Service", "AuditLogFile", C(service.audit_log_file), "", F_UNLESS_DEFAULT,
	    check_absolute_path),
	BOOL("Winrs", "AllowRemoteShellAccess", C(winrs.allow_remote_shell_access), "true", 0),
	U32("Winrs", "IdleTimeout", C(winrs.idle_timeout_ms), "7200000", 60000, UINT32_MAX, 0),
	U32("Winrs", "MaxConcurrentUsers", C(winrs.max_concurrent_users), "2147483647", 0,
	    UINT32_MAX, 0),
	U32("Winrs", "MaxShellRunTime", C(winrs.max_shell_run_time_ms), "2147483647", 0,
	    UINT32_MAX, 0),
	U32("Winrs", "MaxProcessesPerShell", C(winrs.max_processes_per_shell), "2147483647", 0,
	    UINT32_MAX, 0),
	U32("Winrs", "MaxMemoryPerShellMB", C(winrs.max_memory_per_shell_mb), "2147483647", 0,
	    UINT32_MAX, 0),
	U32("Winrs", "MaxShellsPerUser", C(winrs.max_shells_per_user), "30", 0, UINT32_MAX, 0),
};
#define NSETTINGS (sizeof(config_settings) / sizeof(config_settings[0]))
_Static_assert(NSETTINGS <= 64, "config_parse tracks duplicate lines in a uint64_t");
const size_t config_nsettings = NSETTINGS;

const struct setting config_listener_settings[] = {
	STR("", "Address", L(address), NULL, F_KEY, NULL),
	{"", "Transport", T_FLAG, F_KEY, L(https), NULL, 0, 0, config_transport_names, 2, NULL},
	PORT("", "Port", L(port), NULL, F_DEFPORT),
	STR("", "Hostname", L(hostname), "", 0, NULL),
	BOOL("", "Enabled", L(enabled), "true", 0),
	STR("", "URLPrefix", L(url_prefix), "wsman", 0, check_url_prefix),
	STR("", "CertificateThumbprint", L(certificate_thumbprint), "", 0, check_thumbprint),
	{"", "ListeningOn", T_NONE, F_RO, 0, NULL, 0, 0, NULL, 0, NULL},
	STR("", "CertificateFile", L(certificate_file), "", 0, NULL),
	STR("", "KeyFile", L(key_file), "", 0, NULL),
};
#define P(f) offsetof(struct config_plugin, f)
/* Windows' plugin keeps these in its XML (Name, Enabled, RunAsUser,
 * InitializationParameters' configfilepath, Quotas' MaxShellsPerUser); who
 * may connect is its security descriptor there, two lists here. */
static const struct setting config_plugin_settings[] = {
	STR("", "Name", P(name), NULL, F_KEY, check_plugin_name),
	BOOL("", "Enabled", P(enabled), "true", 0),
	STR("", "AllowedUsers", P(allowed_users), "", 0, check_account_list),
	STR("", "AllowedGroups", P(allowed_groups), "", 0, check_group_list),
	STR("", "RunAsUser", P(run_as_user), "", 0, check_account),
	STR("", "ConfigFilePath", P(config_file_path), "", 0, check_absolute_path),
	U32("", "MaxShellsPerUser", P(max_shells_per_user), "30", 1, UINT32_MAX, 0),
};
#define M(f) offsetof(struct config_certmapping, f)
/* MS-WSMV 2.2.4.3 CertMappingType, in its order. Windows requires a
 * Password with UserName and keeps it to log the account on; the
 * privileged part needs none (config.h), so it is write-only here: taken
 * from create, set and Put so that Windows' scripts work, and dropped. */
static const struct setting config_certmapping_settings[] = {
	STR("", "URI", M(uri), NULL, F_KEY, NULL),
	STR("", "Subject", M(subject), NULL, F_KEY, NULL),
	STR("", "Issuer", M(issuer), NULL, F_KEY, NULL),
	STR("", "UserName", M(user_name), "", F_REQUIRED, check_account),
	BOOL("", "Enabled", M(enabled), "true", 0),
	SECRET("", "Password"),
};
#define N(f) offsetof(struct config_namespace, f)
/* WMI's: the namespace's descriptor (GetSD/SetSD of __SystemSecurity, in
 * SDDL) and the RequiresEncryption qualifier of its __SystemSecurity. */
static const struct setting config_namespace_settings[] = {
	STR("", "Name", N(name), NULL, F_KEY, NULL),
	STR("", "Sddl", N(sddl), CIM_DEFAULT_SDDL, F_SD, check_namespace_sddl),
	BOOL("", "RequiresEncryption", N(requires_encryption), "false", 0),
};
/* clang-format on */
#define NNAMESPACE_SETTINGS                                                                        \
	(sizeof(config_namespace_settings) / sizeof(config_namespace_settings[0]))
_Static_assert(CONFIG_MAX_VALUE <= CIM_MAX_SDDL, "a stored Sddl travels whole to the host");
#define NLISTENER_SETTINGS (sizeof(config_listener_settings) / sizeof(config_listener_settings[0]))
_Static_assert(NLISTENER_SETTINGS <= 32, "config_parse tracks listener lines in a uint32_t");
const size_t config_nlistener_settings = NLISTENER_SETTINGS;
#define NPLUGIN_SETTINGS (sizeof(config_plugin_settings) / sizeof(config_plugin_settings[0]))
_Static_assert(NPLUGIN_SETTINGS <= 32, "config_parse tracks instance lines in a uint32_t");
#define NCERTMAPPING_SETTINGS                                                                      \
	(sizeof(config_certmapping_settings) / sizeof(config_certmapping_settings[0]))
_Static_assert(NCERTMAPPING_SETTINGS <= 32, "config_parse tracks instance lines in a uint32_t");

enum err config_fail(struct buf *errmsg, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (!errmsg)
		return ERR_CONFIG;
	if (line)
		(void)buf_putf(errmsg, "line %u: ", line);
	va_start(ap, fmt);
	(void)buf_vputf(errmsg, fmt, ap);
	va_end(ap);
	return ERR_CONFIG;
}

const char *config_quote(char dst[MAX_QUOTE], const char *s, size_t n)
{
	return log_quote(dst, MAX_QUOTE, s, n);
}

static void *field(void *base, const struct setting *s)
{
	return (char *)base + s->off;
}

static const void *cfield(const void *base, const struct setting *s)
{
	return (const char *)base + s->off;
}

/* ---- string checks ---- */

static const char *check_url_prefix(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return "must not be empty";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '/')
			return "may hold only letters, digits, '_' and '/'";
	if (v[0] == '/' || v[n - 1] == '/')
		return "must not start or end with '/'";
	return NULL;
}

static const char *check_thumbprint(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return NULL;
	if (n != 40)
		return "must be 40 hexadecimal digits (a SHA-1 hash) or empty";
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)v[i]))
			return "must be 40 hexadecimal digits (a SHA-1 hash) or empty";
	return NULL;
}

/* Group names as shadow-utils allows them by default (letters, digits,
 * '_', '-', '.', a final '$'), comma-separated without spaces: the
 * privileged part looks each up with getgrnam as written. */
enum name_kind { GROUP_NAMES, ACCOUNT_NAMES };
static const char *check_groups(const char *v, int many, enum name_kind what)
{
	static const char *const lists[] = {"must be group names separated by ',' (no spaces)",
					    "must be account names separated by ',' (no spaces)"};
	static const char *const ones[] = {"must be one group name", "must be one account name"};
	const char *p = v;

	if (*v == 0)
		return NULL;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n == 0)
			return "has an empty group name";
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];
			if (!isalnum(ch) && ch != '_' && ch != '-' && ch != '.' &&
			    !(ch == '$' && i == n - 1))
				return many ? lists[what] : ones[what];
		}
		if (!p[n])
			return NULL;
		if (!many)
			return ones[what];
		p += n + 1;
	}
}

static const char *check_group(const char *v)
{
	return check_groups(v, 0, GROUP_NAMES);
}

static const char *check_group_list(const char *v)
{
	return check_groups(v, 1, GROUP_NAMES);
}

static const char *check_account(const char *v)
{
	return check_groups(v, 0, ACCOUNT_NAMES);
}

static const char *check_account_list(const char *v)
{
	return check_groups(v, 1, ACCOUNT_NAMES);
}

/* A plugin's name ends a resource URI and names files: letters, digits,
 * '.', '_', '-', not starting with '.'. */
static const char *check_plugin_name(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > CONFIG_MAX_PLUGIN_NAME || v[0] == '.')
		return "must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return "must be 1 to 64 letters, digits, '.', '_' or '-', not starting "
			       "with '.'";
	return NULL;
}

static const char *check_namespace_sddl(const char *v)
{
	struct cim_sd sd;

	return cim_sd_parse(v, &sd);
}

/* A file the privileged part opens whatever its working directory: an
 * absolute path, or empty for "the default". */
static const char *check_absolute_path(const char *v)
{
	if (*v && *v != '/')
		return "must be an absolute path or empty";
	return NULL;
}

/* [A-Za-z0-9] plus the punctuation in extra, at least one character. */
static int is_name_part(const char *s, size_t n, const char *extra)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return 0;
	return 1;
}

/* Kerberos principals SERVICE/HOST[@REALM], comma-separated without
 * spaces: the service imports each as written. */
static const char *check_principal_list(const char *v)
{
	const char *bad = "must be SERVICE/HOST[@REALM] names separated by ',' (no spaces), "
			  "e.g. HTTP/localhost,HTTP/web.example.com";
	const char *p = v;

	if (*v == 0)
		return NULL;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *slash = memchr(p, '/', n), *at, *end = p + n;

		if (!slash)
			return bad;
		at = memchr(slash, '@', (size_t)(end - slash));
		if (!is_name_part(p, (size_t)(slash - p), "-_") ||
		    !is_name_part(slash + 1, (size_t)((at ? at : end) - slash - 1), ".-_") ||
		    (at && !is_name_part(at + 1, (size_t)(end - at - 1), ".-_")))
			return bad;
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* Windows' credential delegation policy: SERVICE/HOST names separated
 * by ',', the host part with '*' wildcards (*.example.com). */
static const char *check_delegation_list(const char *v)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		const char *slash = memchr(p, '/', n);

		if (!slash || slash == p || slash + 1 == p + n || memchr(p, ' ', n))
			return "must be SERVICE/HOST names separated by ',' (no spaces), the host "
			       "with '*' wildcards, e.g. WSMAN/web.example.com,WSMAN/*.corp";
		p += n + (p[n] == ',');
	}
	return NULL;
}

/* ---- values ---- */

enum err config_value_parse(const struct setting *s, const char *v, union value *out,
			    struct buf *errmsg, unsigned line)
{
	char q[MAX_QUOTE], list[64] = "";
	size_t n = strlen(v);
	uint64_t x;
	const char *why;
	char **text;
	enum err e;

	if (n > CONFIG_MAX_VALUE)
		return config_fail(errmsg, line, "%s: value longer than %d bytes", s->name,
				   CONFIG_MAX_VALUE);
	/* Dropped unread, and so never repeated in a message either. */
	if (s->type == T_SECRET)
		return ERR_OK;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return config_fail(errmsg, line, "%s: control character in value \"%s\"",
					   s->name, config_quote(q, v, n));
	switch (s->type) {
	case T_FLAG:
	case T_CBT:
		for (unsigned i = 0; i < s->nnames; i++) {
			if (strcasecmp(v, s->names[i]) == 0) {
				out->choice = (int)i;
				return ERR_OK;
			}
		}
		for (unsigned i = 0, o = 0; i < s->nnames && o < sizeof(list); i++)
			o += (unsigned)snprintf(list + o, sizeof(list) - o, "%s%s",
						i == 0		    ? ""
						: i + 1 < s->nnames ? ", "
								    : " or ",
						s->names[i]);
		return config_fail(errmsg, line, "%s: \"%s\" must be %s", s->name,
				   config_quote(q, v, n), list);
	case T_U32:
		if ((e = util_parse_u64(v, UINT32_MAX, &x)) == ERR_FORMAT)
			return config_fail(errmsg, line, "%s: \"%s\" is not a number", s->name,
					   config_quote(q, v, n));
		if (e != ERR_OK || x < s->min || x > s->max)
			return config_fail(errmsg, line, "%s: %s is out of range (%u..%u)", s->name,
					   config_quote(q, v, n), (unsigned)s->min,
					   (unsigned)s->max);
		out->u32 = (uint32_t)x;
		return ERR_OK;
	case T_STR:
	case T_FILTER:
		if (s->type == T_FILTER)
			why = config_filter_parse(&out->filter, v, (int)s->min);
		else
			why = s->check ? s->check(v) : NULL;
		if (why && (s->flags & F_SD)) {
			config_fail(errmsg, line,
				    "%s: \"%s\" is not a valid security descriptor: it %s "
				    "(0x8033815C, the provided security descriptor is invalid)",
				    s->name, config_quote(q, v, n), why);
			return ERR_WSMAN_INVALID_SD;
		}
		if (why)
			return config_fail(errmsg, line, "%s: \"%s\" %s", s->name,
					   config_quote(q, v, n), why);
		text = s->type == T_FILTER ? &out->filter.text : &out->str;
		return (*text = strdup(v)) ? ERR_OK : ERR_NOMEM;
	case T_NONE:
	case T_SECRET:
		break;
	}
	return config_fail(errmsg, line, "%s is read-only", s->name);
}

void config_value_store(const struct setting *s, void *base, union value *v)
{
	void *p = field(base, s);

	switch (s->type) {
	case T_FLAG:
		*(int *)p = v->choice;
		break;
	case T_CBT:
		*(enum config_cbt *)p = (enum config_cbt)v->choice;
		break;
	case T_U32:
		*(uint32_t *)p = v->u32;
		break;
	case T_STR:
		free(*(char **)p);
		*(char **)p = v->str;
		break;
	case T_FILTER:
		free(((struct config_filter *)p)->text);
		*(struct config_filter *)p = v->filter;
		break;
	case T_NONE:
	case T_SECRET:
		break;
	}
}

const char *config_value_text(const struct setting *s, const void *base, char num[16])
{
	const void *p = cfield(base, s);
	const char *text;
	unsigned i;

	switch (s->type) {
	case T_FLAG:
		return s->names[*(const int *)p ? 1 : 0];
	case T_CBT:
		i = (unsigned)*(const enum config_cbt *)p;
		return i < s->nnames ? s->names[i] : "";
	case T_U32:
		snprintf(num, 16, "%lu", (unsigned long)*(const uint32_t *)p);
		return num;
	case T_STR:
		return *(char *const *)p ? *(char *const *)p : "";
	case T_FILTER:
		text = ((const struct config_filter *)p)->text;
		return text ? text : "";
	case T_NONE:
	case T_SECRET:
		break;
	}
	return "";
}

enum err config_assign(const struct setting *s, void *base, const char *v, struct buf *errmsg,
		       unsigned line)
{
	union value val;
	enum err e;

	if (s->flags & F_KEY)
		return config_fail(errmsg, line,
				   "%s is a selector: delete the instance and create another",
				   s->name);
	if ((s->flags & F_RO) || s->type == T_NONE)
		return config_fail(errmsg, line, "%s is read-only", s->name);
	if ((e = config_value_parse(s, v, &val, errmsg, line)) != ERR_OK)
		return e;
	config_value_store(s, base, &val);
	return ERR_OK;
}

void config_strings_free(const struct setting *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		char **p = NULL;

		if (t[i].type == T_STR)
			p = field(base, &t[i]);
		else if (t[i].type == T_FILTER)
			p = &((struct config_filter *)field(base, &t[i]))->text;
		if (p) {
			free(*p);
			*p = NULL;
		}
	}
}

const struct setting *config_lookup(const struct setting *t, size_t n, const char *path,
				    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(t[i].path, path) == 0 && strcasecmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* ---- defaults ---- */

/* The comma-list entries of list naming groups that exist on this machine. */
static void existing_groups(const char *list, char *out, size_t outlen)
{
	char name[64];
	size_t o = 0;

	out[0] = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = 0;
			if (getgrnam(name) && o + n + 2 <= outlen)
				o += (size_t)snprintf(out + o, outlen - o, "%s%s", o ? "," : "",
						      name);
		}
		p += n + (p[n] == ',');
	}
}

uint32_t config_default_port(const struct config *c, int https)
{
	return https ? c->service.default_ports.https : c->service.default_ports.http;
}

enum err config_fill_defaults(const struct setting *t, size_t n, void *base, const struct config *c)
{
	for (size_t i = 0; i < n; i++) {
		const struct setting *s = &t[i];
		const struct config_listener *l = base; /* F_DEFPORT rows are listener rows */
		union value v;
		char groups[128];
		const char *def = s->def;
		enum err e;

		if (s->flags & F_DEFPORT) {
			v.u32 = config_default_port(c, l->https);
			config_value_store(s, base, &v);
			continue;
		}
		if (!def)
			continue;
		if (s->flags & F_DEF_EXISTING) {
			existing_groups(def, groups, sizeof(groups));
			def = groups;
		}
		if ((e = config_value_parse(s, def, &v, NULL, 0)) != ERR_OK)
			return e == ERR_NOMEM ? e : ERR_INTERNAL;
		config_value_store(s, base, &v);
	}
	return ERR_OK;
}

/* The session configurations Windows registers (Enable-PSRemoting) and
 * clients ask for by default, open to the accounts that may use cmd. */
static const char *const default_plugins[] = {"Name=Microsoft.PowerShell", "Name=PowerShell.7"};

enum err config_defaults(struct config *c)
{
	uint32_t idx;
	enum err e;

	memset(c, 0, sizeof(*c));
	e = config_fill_defaults(config_settings, NSETTINGS, c, c);
	for (size_t i = 0; e == ERR_OK && i < sizeof(default_plugins) / sizeof(default_plugins[0]);
	     i++)
		e = config_instance_add(c, CONFIG_PLUGINS, default_plugins[i], &idx, NULL, 0);
	/* Every namespace served has its security, Windows' default until set. */
	for (size_t i = 0; e == ERR_OK && cim_namespace_at(i); i++) {
		char canon[MAX_KEY];
		snprintf(canon, sizeof(canon), "Name=%s", cim_namespace_at(i));
		e = config_instance_add(c, CONFIG_NAMESPACES, canon, &idx, NULL, 0);
	}
	if (e != ERR_OK) {
		config_clear(c);
		return e == ERR_NOMEM ? e : ERR_INTERNAL;
	}
	return ERR_OK;
}

void config_clear(struct config *c)
{
	config_strings_free(config_settings, NSETTINGS, c);
	for (size_t k = 0; k < config_ncollections; k++) {
		const struct collection *col = &config_collections[k];
		uint32_t n = *config_instance_count(c, col);
		for (uint32_t i = 0; i < n && i < col->max; i++)
			config_strings_free(col->settings, col->nsettings,
					    config_instance(c, col, i));
	}
	memset(c, 0, sizeof(*c));
}

/* ---- listeners ---- */

static enum err address_parse(const char *s, size_t n, char out[MAX_ADDRESS])
{
	char a[MAX_ADDRESS], text[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	int family;

	if (n == 1 && s[0] == '*') {
		memcpy(out, "*", 2);
		return ERR_OK;
	}
	if (n <= 3 || strncasecmp(s, "IP:", 3) != 0 || n - 3 >= sizeof(a))
		return ERR_CONFIG;
	memcpy(a, s + 3, n - 3);
	a[n - 3] = 0;
	family = inet_pton(AF_INET, a, bin) == 1 ? AF_INET : AF_INET6;
	if (family == AF_INET6 && inet_pton(AF_INET6, a, bin) != 1)
		return ERR_CONFIG;
	if (!inet_ntop(family, bin, text, sizeof(text)))
		return ERR_CONFIG;
	snprintf(out, MAX_ADDRESS, "IP:%s", text);
	return ERR_OK;
}

/* One selector's value: a view into the selectors' text. */
struct selector_value {
	const char *p;
	size_t n;
};

/* The values of k's selectors in sel ("Key=Value+Key=Value", keys in any
 * order and case), in the order of keys: each key exactly once, no other. */
static enum err selectors_split(const struct collection *k, const char *sel,
				const char *const *keys, size_t nkeys, struct selector_value *out,
				struct buf *errmsg, unsigned line)
{
	char q[MAX_QUOTE];
	unsigned seen = 0;
	const char *p = sel;

	for (;;) {
		size_t n = strcspn(p, "+"), i;
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n;

		if (!eq)
			return config_fail(errmsg, line, "%s selector \"%s\" is not Key=Value",
					   k->noun, config_quote(q, p, n));
		for (i = 0; i < nkeys; i++)
			if (strlen(keys[i]) == klen && strncasecmp(p, keys[i], klen) == 0)
				break;
		if (i == nkeys || (seen & (1u << i)))
			return config_fail(errmsg, line,
					   "%s selector \"%s\" is unknown or repeated (a %s is %s)",
					   k->noun, config_quote(q, p, klen), k->noun, k->form);
		seen |= 1u << i;
		out[i] = (struct selector_value){eq + 1, n - klen - 1};
		if (!p[n])
			break;
		p += n + 1;
	}
	if (seen != (1u << nkeys) - 1)
		return config_fail(errmsg, line, "a %s needs all its selectors: %s", k->noun,
				   k->form);
	return ERR_OK;
}

/* "Address=*+Transport=HTTPS" into the canonical
 * "Address=<address_parse>+Transport=HTTP|HTTPS". */
static enum err listener_selectors_parse(const char *sel, char out[MAX_KEY], struct buf *errmsg,
					 unsigned line)
{
	static const char *const keys[] = {"Address", "Transport"};
	struct selector_value v[2];
	char q[MAX_QUOTE], address[MAX_ADDRESS];
	int https;
	enum err e;

	if ((e = selectors_split(CONFIG_LISTENERS, sel, keys, 2, v, errmsg, line)) != ERR_OK)
		return e;
	if (address_parse(v[0].p, v[0].n, address) != ERR_OK)
		return config_fail(errmsg, line,
				   "listener Address \"%s\" is not *, IP:<IPv4 address> "
				   "or IP:<IPv6 address>",
				   config_quote(q, v[0].p, v[0].n));
	if (v[1].n == 4 && strncasecmp(v[1].p, "HTTP", 4) == 0)
		https = 0;
	else if (v[1].n == 5 && strncasecmp(v[1].p, "HTTPS", 5) == 0)
		https = 1;
	else
		return config_fail(errmsg, line, "listener Transport \"%s\" is not HTTP or HTTPS",
				   config_quote(q, v[1].p, v[1].n));
	snprintf(out, MAX_KEY, "Address=%s+Transport=%s", address, config_transport_names[https]);
	return ERR_OK;
}

static void listener_selectors_of(const void *item, char out[MAX_KEY])
{
	const struct config_listener *l = item;

	snprintf(out, MAX_KEY, "Address=%s+Transport=%s", l->address,
		 config_transport_names[l->https ? 1 : 0]);
}

static enum err listener_init(void *item, const char *canon)
{
	struct config_listener *l = item;
	const char *plus = strchr(canon, '+');

	/* canon is listener_selectors_parse's: "Address=A+Transport=T". */
	if (!(l->address = strndup(canon + 8, (size_t)(plus - canon - 8))))
		return ERR_NOMEM;
	l->https = strcmp(plus + 11, "HTTPS") == 0;
	return ERR_OK;
}

/* ---- instances named by their Name alone: plugins, namespaces ---- */

/* Both keep their Name first. */
_Static_assert(offsetof(struct config_plugin, name) == 0 &&
		   offsetof(struct config_namespace, name) == 0,
	       "a Name-selected instance starts with its name");

/* A Name's canonical spelling, or NULL and why not. */
typedef const char *name_check_fn(const char *text, const char **why);

/* "Name=X" into "Name=" and check's spelling of X (at most max bytes). */
static enum err name_selector_parse(const struct collection *k, name_check_fn *check, size_t max,
				    const char *sel, char out[MAX_KEY], struct buf *errmsg,
				    unsigned line)
{
	static const char *const keys[] = {"Name"};
	struct selector_value name;
	char q[MAX_QUOTE], text[MAX_KEY];
	const char *canon, *why = NULL;
	enum err e;

	if ((e = selectors_split(k, sel, keys, 1, &name, errmsg, line)) != ERR_OK)
		return e;
	/* One byte more than a name may have, for check to refuse. */
	snprintf(text, max + 2, "%.*s", (int)name.n, name.p);
	if (!(canon = check(text, &why)))
		return config_fail(errmsg, line, "%s Name \"%s\" %s", k->noun,
				   config_quote(q, name.p, name.n), why);
	snprintf(out, MAX_KEY, "Name=%s", canon);
	return ERR_OK;
}

static void name_selectors_of(const void *item, char out[MAX_KEY])
{
	snprintf(out, MAX_KEY, "Name=%s", *(char *const *)item);
}

static enum err name_init(void *item, const char *canon)
{
	return (*(char **)item = strdup(canon + 5)) ? ERR_OK : ERR_NOMEM;
}

static const char *plugin_name(const char *text, const char **why)
{
	return (*why = check_plugin_name(text)) ? NULL : text;
}

static enum err plugin_selectors_parse(const char *sel, char out[MAX_KEY], struct buf *errmsg,
				       unsigned line)
{
	return name_selector_parse(CONFIG_PLUGINS, plugin_name, CONFIG_MAX_PLUGIN_NAME, sel, out,
				   errmsg, line);
}

/* A namespace served, as cim_namespace_find spells it ("root\\CIMV2" is root/cimv2). */
static const char *namespace_name(const char *text, const char **why)
{
	const char *served = cim_namespace_find(text);

	*why = "is not a WMI namespace this service serves (" CIM_DEFAULT_NAMESPACE ")";
	return served;
}

static enum err namespace_selectors_parse(const char *sel, char out[MAX_KEY], struct buf *errmsg,
					  unsigned line)
{
	return name_selector_parse(CONFIG_NAMESPACES, namespace_name, CIM_MAX_NAMESPACE, sel, out,
				   errmsg, line);
}

const struct config_plugin *config_plugin_find(const struct config *c, const char *name)
{
	for (uint32_t i = 0; i < c->nplugins; i++)
		if (strcasecmp(c->plugins[i].name, name) == 0)
			return &c->plugins[i];
	return NULL;
}

int config_plugin_isolated(const struct config_plugin *p)
{
	return *p->allowed_users || *p->allowed_groups || *p->run_as_user || *p->config_file_path;
}

/* ---- certmappings ---- */

/* A Subject or URI selector. The stored format ends a line's name at a
 * blank and splits selectors at '+' and '=' (config_read.c), and MS-WSMV
 * 3.1.4.1.29.3 says a URI "MUST not contain any internal white space or
 * the '?' character": no blank, control character, '=' or '?'. Either may
 * hold one '*': a Subject first ("*", "*.example.com", "*@example.com"), a
 * URI last (a prefix such as "http://x/shell*", or "*" alone). A URI is
 * otherwise absolute (it starts with a scheme). */
enum star_at { STAR_FIRST, STAR_LAST };
static const char *check_pattern(const char *v, size_t n, enum star_at at)
{
	const char *star = memchr(v, '*', n), *colon = memchr(v, ':', n);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch <= ' ' || ch == 0x7f || ch == '=' || ch == '?')
			return "may not hold blanks, control characters, '=' or '?'";
	}
	if (star && (memchr(star + 1, '*', n - (size_t)(star - v) - 1) ||
		     star != (at == STAR_FIRST ? v : v + n - 1)))
		return at == STAR_FIRST ? "may hold one '*', as its first character"
					: "may hold one '*', as its last character";
	if (at == STAR_LAST && !(n == 1 && star) &&
	    !(colon && colon > v && isalpha((unsigned char)v[0]) &&
	      is_name_part(v, (size_t)(colon - v), ".-")))
		return "must be *, an absolute URI (scheme:...) or a prefix of one ending in *";
	return NULL;
}

/* "Issuer=<40 hex>+Subject=S+URI=U" (keys in any order and case) into the
 * canonical "Issuer=<40 HEX>+Subject=S+URI=U". */
static enum err certmapping_selectors_parse(const char *sel, char out[MAX_KEY], struct buf *errmsg,
					    unsigned line)
{
	static const char *const keys[] = {"Issuer", "Subject", "URI"};
	static const struct {
		size_t max;
		enum star_at at;
	} patterns[] = {{0, STAR_FIRST},
			{CONFIG_MAX_CERTMAPPING_SUBJECT, STAR_FIRST},
			{CONFIG_MAX_CERTMAPPING_URI, STAR_LAST}};
	struct selector_value v[3];
	char q[MAX_QUOTE], issuer[41];
	const char *why;
	enum err e;

	if ((e = selectors_split(CONFIG_CERTMAPPINGS, sel, keys, 3, v, errmsg, line)) != ERR_OK)
		return e;
	snprintf(issuer, sizeof(issuer), "%.*s", (int)v[0].n, v[0].p);
	if (v[0].n != 40 || check_thumbprint(issuer))
		return config_fail(errmsg, line,
				   "certmapping Issuer \"%s\" is not 40 hexadecimal digits (the "
				   "SHA-1 thumbprint of the issuing CA's certificate)",
				   config_quote(q, v[0].p, v[0].n));
	for (char *h = issuer; *h; h++)
		*h = (char)toupper((unsigned char)*h);
	for (size_t i = 1; i < 3; i++) {
		if (v[i].n == 0 || v[i].n > patterns[i].max)
			return config_fail(errmsg, line, "certmapping %s must be 1 to %zu bytes",
					   keys[i], patterns[i].max);
		if ((why = check_pattern(v[i].p, v[i].n, patterns[i].at)))
			return config_fail(errmsg, line, "certmapping %s \"%s\" %s", keys[i],
					   config_quote(q, v[i].p, v[i].n), why);
	}
	snprintf(out, MAX_KEY, "Issuer=%s+Subject=%.*s+URI=%.*s", issuer, (int)v[1].n, v[1].p,
		 (int)v[2].n, v[2].p);
	return ERR_OK;
}

static void certmapping_selectors_of(const void *item, char out[MAX_KEY])
{
	const struct config_certmapping *m = item;

	snprintf(out, MAX_KEY, "Issuer=%s+Subject=%s+URI=%s", m->issuer, m->subject, m->uri);
}

static enum err certmapping_init(void *item, const char *canon)
{
	struct config_certmapping *m = item;
	/* canon is certmapping_selectors_parse's, and its Subject holds no '+'. */
	const char *subject = canon + strlen("Issuer=") + 40 + strlen("+Subject=");
	const char *end = strchr(subject, '+');

	if (!(m->issuer = strndup(canon + strlen("Issuer="), 40)) ||
	    !(m->subject = strndup(subject, (size_t)(end - subject))) ||
	    !(m->uri = strdup(end + strlen("+URI="))))
		return ERR_NOMEM;
	return ERR_OK;
}

const struct config_namespace *config_namespace_find(const struct config *c, const char *name)
{
	const char *served = cim_namespace_find(name);

	for (uint32_t i = 0; served && i < c->nnamespaces; i++)
		if (strcmp(c->namespaces[i].name, served) == 0)
			return &c->namespaces[i];
	return NULL;
}

enum err config_check_required(const struct config *c, struct buf *errmsg)
{
	for (size_t k = 0; k < config_ncollections; k++) {
		const struct collection *col = &config_collections[k];
		for (uint32_t i = 0; i < *config_instance_count(c, col); i++) {
			const void *item = config_instance(c, col, i);
			for (size_t r = 0; r < col->nsettings; r++) {
				const struct setting *s = &col->settings[r];
				char sel[MAX_KEY], num[16];

				if (!(s->flags & F_REQUIRED) || *config_value_text(s, item, num))
					continue;
				col->selectors_of(item, sel);
				return config_fail(errmsg, 0, "the %s %s needs a %s", col->noun,
						   sel, s->name);
			}
		}
	}
	return ERR_OK;
}

/* ---- collections ---- */

const struct collection config_collections[CONFIG_NCOLLECTIONS] = {
    {"Listener", "listener", "Listener", CONFIG_URI "/listener", "Address=...+Transport=...",
     config_listener_settings, NLISTENER_SETTINGS, C(listeners), C(nlisteners),
     sizeof(struct config_listener), CONFIG_MAX_LISTENERS, listener_selectors_parse,
     listener_selectors_of, listener_init, NULL},
    /* Windows' plugin document is its own XML (attributes, nested
     * InitializationParameters, Resources); this one is a flat document
     * like a listener's, in the resource's namespace. */
    {"Plugin", "plugin", "PlugInConfiguration", CONFIG_URI "/plugin", "Name=...",
     config_plugin_settings, NPLUGIN_SETTINGS, C(plugins), C(nplugins),
     sizeof(struct config_plugin), CONFIG_MAX_PLUGINS, plugin_selectors_parse, name_selectors_of,
     name_init, NULL},
    /* MS-WSMV 2.2.4.3: cert:CertMapping, in the resource's namespace. */
    {"Service/CertMapping", "certmapping", "CertMapping", CONFIG_URI "/service/certmapping",
     "Issuer=...+Subject=...+URI=...", config_certmapping_settings, NCERTMAPPING_SETTINGS,
     C(certmappings), C(ncertmappings), sizeof(struct config_certmapping), CONFIG_MAX_CERTMAPPINGS,
     certmapping_selectors_parse, certmapping_selectors_of, certmapping_init, NULL},
    {"Service/Namespace", "namespace", "Namespace", CONFIG_URI "/service/namespace", "Name=...",
     config_namespace_settings, NNAMESPACE_SETTINGS, C(namespaces), C(nnamespaces),
     sizeof(struct config_namespace), CONFIG_MAX_NAMESPACES, namespace_selectors_parse,
     name_selectors_of, name_init,
     "the namespaces are the service's own, one instance each: set their Sddl and "
     "RequiresEncryption"},
};
const size_t config_ncollections = sizeof(config_collections) / sizeof(config_collections[0]);
_Static_assert(sizeof("Issuer=+Subject=+URI=") - 1 + 40 + CONFIG_MAX_CERTMAPPING_SUBJECT +
		       CONFIG_MAX_CERTMAPPING_URI <=
		   CONFIG_MAX_SELECTOR_TEXT,
	       "a certmapping's selectors fit CONFIG_MAX_SELECTOR_TEXT");
_Static_assert(CONFIG_MAX_LISTENERS <= CONFIG_MAX_INSTANCES &&
		   CONFIG_MAX_PLUGINS <= CONFIG_MAX_INSTANCES &&
		   CONFIG_MAX_CERTMAPPINGS <= CONFIG_MAX_INSTANCES &&
		   CONFIG_MAX_NAMESPACES <= CONFIG_MAX_INSTANCES,
	       "config_parse tracks instances in CONFIG_MAX_INSTANCES slots");

const struct collection *config_collection_of(const char *r, const char **sel)
{
	for (size_t k = 0; k < config_ncollections; k++) {
		size_t n = strlen(config_collections[k].resource);
		if (strncasecmp(r, config_collections[k].resource, n) == 0 &&
		    (r[n] == 0 || r[n] == '?')) {
			*sel = r[n] ? r + n + 1 : NULL;
			return &config_collections[k];
		}
	}
	*sel = NULL;
	return NULL;
}

void *config_instance(const struct config *c, const struct collection *k, uint32_t i)
{
	return (char *)c + k->items_off + i * k->item_size;
}

uint32_t *config_instance_count(const struct config *c, const struct collection *k)
{
	return (uint32_t *)((char *)c + k->count_off);
}

int config_instance_find(const struct config *c, const struct collection *k, const char *canon)
{
	char have[MAX_KEY];

	for (uint32_t i = 0; i < *config_instance_count(c, k); i++) {
		k->selectors_of(config_instance(c, k, i), have);
		if (strcasecmp(have, canon) == 0)
			return (int)i;
	}
	return -1;
}

enum err config_instance_add(struct config *c, const struct collection *k, const char *canon,
			     uint32_t *idx, struct buf *errmsg, unsigned line)
{
	uint32_t *n = config_instance_count(c, k);
	void *item;
	enum err e;

	if (*n >= k->max)
		return config_fail(errmsg, line, "too many %ss (at most %u)", k->noun,
				   (unsigned)k->max);
	item = config_instance(c, k, *n);
	memset(item, 0, k->item_size);
	if ((e = k->init(item, canon)) != ERR_OK ||
	    (e = config_fill_defaults(k->settings, k->nsettings, item, c)) != ERR_OK) {
		config_strings_free(k->settings, k->nsettings, item);
		return e;
	}
	*idx = (*n)++;
	return ERR_OK;
}

void config_instance_remove(struct config *c, const struct collection *k, uint32_t i)
{
	uint32_t *n = config_instance_count(c, k);

	config_strings_free(k->settings, k->nsettings, config_instance(c, k, i));
	memmove(config_instance(c, k, i), config_instance(c, k, i + 1),
		(*n - i - 1) * k->item_size);
	(*n)--;
	memset(config_instance(c, k, *n), 0, k->item_size);
}

/* ---- a value as Put repeats it ---- */

int config_value_same(const struct setting *s, const void *base, const char *v)
{
	char addr[MAX_ADDRESS], num[16];
	const void *p = cfield(base, s);
	union value val;

	switch (s->type) {
	case T_STR:
	case T_FILTER:
		/* A selector: a plugin's Name in any case, a listener's Address
		 * in any spelling of the same address. */
		if (s->flags & F_KEY)
			return strcasecmp(v, *(char *const *)p) == 0 ||
			       (address_parse(v, strlen(v), addr) == ERR_OK &&
				strcmp(addr, *(char *const *)p) == 0);
		return strcmp(v, config_value_text(s, base, num)) == 0;
	case T_FLAG:
		return config_value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.choice == (*(const int *)p ? 1 : 0);
	case T_CBT:
		return config_value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.choice == (int)*(const enum config_cbt *)p;
	case T_U32:
		return config_value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.u32 == *(const uint32_t *)p;
	case T_NONE:
	case T_SECRET:
		break;
	}
	return 1;
}
