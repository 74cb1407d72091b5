/* config: the winrm/config tree, its stored form (DIR/winrm.conf),
 * Windows' text form and the XML of WS-Management Get, all driven by two
 * tables: settings[] (the singleton
 * resources: the root, Client, Service, Winrs and their Auth and
 * DefaultPorts) and listener_settings[] (one listener). Each row names a
 * setting as Windows does, says where it lives in struct config, its type,
 * default and limits; defaults, parsing, saving, `winrm set`, Put and
 * printing all walk the rows, so adding a setting is adding a row. Rows are in
 * Windows' print order (section 10.2 of the protocol reference).
 *
 * Stored format: '#' comment lines, blank lines, and "Path/Name = value"
 * lines ("MaxEnvelopeSizekb = 500", "Service/Auth/Basic = true",
 * "Listener?Address=*+Transport=HTTPS/Port = 5986"). The blanks around
 * '=' are optional; the value is the rest of the line, trimmed, and may be
 * empty. Names, paths and listener selectors compare
 * case-insensitively; booleans are true/false in any case. A listener
 * exists once any of its lines appears. config_serialize writes every
 * stored setting, defaults included, and rewriting drops comments.
 *
 * Read-only settings (MaxProviderRequests, MaxConcurrentOperations,
 * AllowRemoteAccess) are Windows' constants: printed, never stored, and a
 * line or `winrm set` naming them is refused, so an edited file cannot
 * claim a value the service does not have. ListeningOn is known (so that
 * setting it says "read-only" rather than "unknown") and computed where
 * the service runs: only the XML of Get shows it (config_print_xml).
 *
 * Text and XML are printed by one walk over the rows (print_block) with two
 * printers, so both show the same settings in the same order and nesting;
 * `winrm set` (config_set) and WS-Transfer Put (config_put) share the
 * lookup and the checks of a value.
 *
 * Settings openwinrm adds, with WinRM-style names:
 *   Service/AdminGroups       comma list of groups whose members are
 *                             administrators (may run as anyone); default
 *                             those of "sudo,wheel" that exist here.
 *   Service/RemoteUsersGroup  group whose members may use the service
 *                             (besides administrators); "winrm-users".
 *   Service/Auth/Keytab       absolute path of the Kerberos keytab the
 *                             service accepts with; empty: the one
 *                             KRB5_KTNAME names, else the system keytab.
 *   Service/Auth/ServicePrincipalNames  acceptor names besides HTTP/<fqdn>,
 *                             "SERVICE/HOST[@REALM]" separated by ',':
 *                             "HTTP/localhost,HTTP/web.example.com".
 *   Service/Auth/NtlmWinbind  true: verify NTLM through Samba's winbind (a
 *                             domain member), not the local hash file
 *                             (CONFIG_NTLM_USERS, `winrm user`).
 *   These three are Linux-only (F_UNLESS_DEFAULT): printed, in text and
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
 * The listener Port defaults to Service/DefaultPorts HTTP or HTTPS.
 *
 * config_set takes a NULL value as winrm's `$null`: empty for text
 * settings, refused for the others. */
#include "config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* A stored line's name: "Listener?Address=IP:<longest IPv6>+Transport=HTTPS/
 * CertificateThumbprint" is under 120 bytes. */
#define MAX_KEY 256
/* "IP:" and an IPv6 address in text. */
#define MAX_ADDRESS (3 + INET6_ADDRSTRLEN)
/* How much of a bad name or value an error message repeats. */
#define MAX_QUOTE 80

enum stype {
	T_FLAG, /* int 0/1, spelled names[0]/names[1] */
	T_CBT,	/* enum config_cbt, spelled names[] */
	T_U32,	/* uint32_t in [min, max] */
	T_STR,	/* char *, never NULL once initialised */
	T_NONE, /* computed by the service, not stored (ListeningOn) */
};

#define F_RO 1u		     /* read-only: printed but never stored or set */
#define F_KEY 2u	     /* a listener selector: fixed by create */
#define F_DEFPORT 4u	     /* default: Service/DefaultPorts for the transport */
#define F_DEF_EXISTING 8u    /* default: the groups of def that exist here */
#define F_UNLESS_DEFAULT 16u /* printed only when not at def (Linux-only settings) */

struct setting {
	const char *path; /* under winrm/config, Windows' capitalisation */
	const char *name;
	enum stype type;
	unsigned flags;
	size_t off;	 /* in struct config, or struct config_listener */
	const char *def; /* default, in text */
	uint32_t min, max;
	const char *const *names;
	unsigned nnames;
	const char *(*check)(const char *v); /* T_STR: NULL, or why v is refused */
};

static const char *check_url_prefix(const char *v);
static const char *check_thumbprint(const char *v);
static const char *check_ipv4_filter(const char *v);
static const char *check_ipv6_filter(const char *v);
static const char *check_group(const char *v);
static const char *check_group_list(const char *v);
static const char *check_absolute_path(const char *v);
static const char *check_principal_list(const char *v);

static const char *const bool_names[] = {"false", "true"};
static const char *const transport_names[] = {"HTTP", "HTTPS"};
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

static const struct setting settings[] = {
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
	STR("Service", "RootSDDL", C(service.root_sddl),
	    "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)", 0, NULL),
	U32("Service", "MaxConcurrentOperations", C(service.max_concurrent_operations),
	    "4294967295", 0, UINT32_MAX, F_RO),
	U32("Service", "MaxConcurrentOperationsPerUser",
	    C(service.max_concurrent_operations_per_user), "1500", 0, UINT32_MAX, 0),
	U32("Service", "EnumerationTimeoutms", C(service.enumeration_timeout_ms), "240000", 0,
	    UINT32_MAX, 0),
	U32("Service", "MaxConnections", C(service.max_connections), "300", 1, UINT32_MAX, 0),
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
	PORT("Service/DefaultPorts", "HTTP", C(service.default_ports.http), "5985", 0),
	PORT("Service/DefaultPorts", "HTTPS", C(service.default_ports.https), "5986", 0),
	STR("Service", "IPv4Filter", C(service.ipv4_filter), "*", 0, check_ipv4_filter),
	STR("Service", "IPv6Filter", C(service.ipv6_filter), "*", 0, check_ipv6_filter),
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
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
_Static_assert(NSETTINGS <= 64, "config_parse tracks duplicate lines in a uint64_t");

static const struct setting listener_settings[] = {
	STR("", "Address", L(address), NULL, F_KEY, NULL),
	{"", "Transport", T_FLAG, F_KEY, L(https), NULL, 0, 0, transport_names, 2, NULL},
	PORT("", "Port", L(port), NULL, F_DEFPORT),
	STR("", "Hostname", L(hostname), "", 0, NULL),
	BOOL("", "Enabled", L(enabled), "true", 0),
	STR("", "URLPrefix", L(url_prefix), "wsman", 0, check_url_prefix),
	STR("", "CertificateThumbprint", L(certificate_thumbprint), "", 0, check_thumbprint),
	{"", "ListeningOn", T_NONE, F_RO, 0, NULL, 0, 0, NULL, 0, NULL},
	STR("", "CertificateFile", L(certificate_file), "", 0, NULL),
	STR("", "KeyFile", L(key_file), "", 0, NULL),
};
/* clang-format on */
#define NLISTENER_SETTINGS (sizeof(listener_settings) / sizeof(listener_settings[0]))
_Static_assert(NLISTENER_SETTINGS <= 32, "config_parse tracks listener lines in a uint32_t");

union value {
	int choice;
	uint32_t u32;
	char *str;
};

/* A listener's name: canonical Address ("*", "IP:" + inet_ntop) and Transport. */
struct selector {
	char address[MAX_ADDRESS];
	int https;
};

__attribute__((format(printf, 3, 4))) static enum err fail(struct buf *errmsg, unsigned line,
							   const char *fmt, ...)
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

static const char *quote(char dst[MAX_QUOTE], const char *s, size_t n)
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

/* One address of a filter; IPv6 ones may be written in brackets, as the
 * network process's matcher accepts. */
static int filter_address(const char *s, size_t n, int family, unsigned char out[16])
{
	char a[MAX_ADDRESS];

	if (family == AF_INET6 && n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(a))
		return 0;
	memcpy(a, s, n);
	a[n] = 0;
	return inet_pton(family, a, out) == 1;
}

/* "*" (anyone), "" (no one) or a comma list of addresses and ranges a-b;
 * spaces around entries are allowed, the network process trims them. */
static const char *check_filter(const char *v, int family)
{
	const char *bad =
	    family == AF_INET
		? "must be *, empty, or a comma list of IPv4 addresses and ranges a-b"
		: "must be *, empty, or a comma list of IPv6 addresses and ranges a-b";
	size_t alen = family == AF_INET ? 4 : 16;
	const char *p = v;

	if (strcmp(v, "*") == 0 || *v == 0)
		return NULL;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		unsigned char lo[16], hi[16];

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (s == e)
			return "has an empty entry";
		const char *dash = memchr(s, '-', (size_t)(e - s));
		if (!filter_address(s, (size_t)((dash ? dash : e) - s), family, lo))
			return bad;
		if (dash) {
			if (!filter_address(dash + 1, (size_t)(e - dash - 1), family, hi))
				return bad;
			if (memcmp(lo, hi, alen) > 0)
				return "has a range whose first address is above its last";
		}
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

static const char *check_ipv4_filter(const char *v)
{
	return check_filter(v, AF_INET);
}

static const char *check_ipv6_filter(const char *v)
{
	return check_filter(v, AF_INET6);
}

/* Group names as shadow-utils allows them by default (letters, digits,
 * '_', '-', '.', a final '$'), comma-separated without spaces: the
 * privileged part looks each up with getgrnam as written. */
static const char *check_groups(const char *v, int many)
{
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
				return many ? "must be group names separated by ',' (no spaces)"
					    : "must be one group name";
		}
		if (!p[n])
			return NULL;
		if (!many)
			return "must be one group name";
		p += n + 1;
	}
}

static const char *check_group(const char *v)
{
	return check_groups(v, 0);
}

static const char *check_group_list(const char *v)
{
	return check_groups(v, 1);
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

/* ---- values ---- */

/* Parses text for setting s into *out (a new string for T_STR). Only
 * settings that may hold a value get here. */
static enum err value_parse(const struct setting *s, const char *v, union value *out,
			    struct buf *errmsg, unsigned line)
{
	char q[MAX_QUOTE], list[64] = "";
	size_t n = strlen(v);
	uint64_t x;
	const char *why;
	enum err e;

	if (n > CONFIG_MAX_VALUE)
		return fail(errmsg, line, "%s: value longer than %d bytes", s->name,
			    CONFIG_MAX_VALUE);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(errmsg, line, "%s: control character in value \"%s\"", s->name,
				    quote(q, v, n));
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
		return fail(errmsg, line, "%s: \"%s\" must be %s", s->name, quote(q, v, n), list);
	case T_U32:
		if ((e = util_parse_u64(v, UINT32_MAX, &x)) == ERR_FORMAT)
			return fail(errmsg, line, "%s: \"%s\" is not a number", s->name,
				    quote(q, v, n));
		if (e != ERR_OK || x < s->min || x > s->max)
			return fail(errmsg, line, "%s: %s is out of range (%u..%u)", s->name,
				    quote(q, v, n), (unsigned)s->min, (unsigned)s->max);
		out->u32 = (uint32_t)x;
		return ERR_OK;
	case T_STR:
		if (s->check && (why = s->check(v)) != NULL)
			return fail(errmsg, line, "%s: \"%s\" %s", s->name, quote(q, v, n), why);
		if (!(out->str = strdup(v)))
			return ERR_NOMEM;
		return ERR_OK;
	case T_NONE:
		break;
	}
	return fail(errmsg, line, "%s is read-only", s->name);
}

static void value_store(const struct setting *s, void *base, union value *v)
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
	case T_NONE:
		break;
	}
}

/* The value of s in text; num holds a formatted number. */
static const char *value_text(const struct setting *s, const void *base, char num[16])
{
	const void *p = cfield(base, s);
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
	case T_NONE:
		break;
	}
	return "";
}

/* Sets s from text (from a file line or `winrm set`), refusing what may
 * not be set. base is unchanged on error. */
static enum err assign(const struct setting *s, void *base, const char *v, struct buf *errmsg,
		       unsigned line)
{
	union value val;
	enum err e;

	if (s->flags & F_KEY)
		return fail(errmsg, line,
			    "%s is a selector of the listener: delete it and create another",
			    s->name);
	if ((s->flags & F_RO) || s->type == T_NONE)
		return fail(errmsg, line, "%s is read-only", s->name);
	if ((e = value_parse(s, v, &val, errmsg, line)) != ERR_OK)
		return e;
	value_store(s, base, &val);
	return ERR_OK;
}

static void strings_free(const struct setting *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].type == T_STR) {
			char **p = field(base, &t[i]);
			free(*p);
			*p = NULL;
		}
	}
}

static const struct setting *lookup(const struct setting *t, size_t n, const char *path,
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

/* A listener's Port when it has no Port line: the service's DefaultPorts. */
static uint32_t default_port(const struct config *c, int https)
{
	return https ? c->service.default_ports.https : c->service.default_ports.http;
}

static enum err set_defaults(const struct setting *t, size_t n, void *base, const struct config *c)
{
	for (size_t i = 0; i < n; i++) {
		const struct setting *s = &t[i];
		const struct config_listener *l = base; /* F_DEFPORT rows are listener rows */
		union value v;
		char groups[128];
		const char *def = s->def;
		enum err e;

		if (s->flags & F_DEFPORT) {
			v.u32 = default_port(c, l->https);
			value_store(s, base, &v);
			continue;
		}
		if (!def)
			continue;
		if (s->flags & F_DEF_EXISTING) {
			existing_groups(def, groups, sizeof(groups));
			def = groups;
		}
		if ((e = value_parse(s, def, &v, NULL, 0)) != ERR_OK)
			return e == ERR_NOMEM ? e : ERR_INTERNAL;
		value_store(s, base, &v);
	}
	return ERR_OK;
}

enum err config_defaults(struct config *c)
{
	enum err e;

	memset(c, 0, sizeof(*c));
	if ((e = set_defaults(settings, NSETTINGS, c, c)) != ERR_OK)
		config_free(c);
	return e;
}

void config_free(struct config *c)
{
	strings_free(settings, NSETTINGS, c);
	for (uint32_t i = 0; i < c->nlisteners && i < CONFIG_MAX_LISTENERS; i++)
		strings_free(listener_settings, NLISTENER_SETTINGS, &c->listeners[i]);
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

/* "Address=*+Transport=HTTPS", keys in any order and case, each once. */
static enum err selectors_parse(const char *sel, struct selector *out, struct buf *errmsg,
				unsigned line)
{
	char q[MAX_QUOTE];
	int have_address = 0, have_transport = 0;
	const char *p = sel;

	for (;;) {
		size_t n = strcspn(p, "+");
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n, vlen = eq ? n - klen - 1 : 0;

		if (!eq)
			return fail(errmsg, line, "listener selector \"%s\" is not Key=Value",
				    quote(q, p, n));
		if (klen == 7 && strncasecmp(p, "Address", 7) == 0 && !have_address) {
			if (address_parse(eq + 1, vlen, out->address) != ERR_OK)
				return fail(errmsg, line,
					    "listener Address \"%s\" is not *, IP:<IPv4 address> "
					    "or IP:<IPv6 address>",
					    quote(q, eq + 1, vlen));
			have_address = 1;
		} else if (klen == 9 && strncasecmp(p, "Transport", 9) == 0 && !have_transport) {
			if (vlen == 4 && strncasecmp(eq + 1, "HTTP", 4) == 0)
				out->https = 0;
			else if (vlen == 5 && strncasecmp(eq + 1, "HTTPS", 5) == 0)
				out->https = 1;
			else
				return fail(errmsg, line,
					    "listener Transport \"%s\" is not HTTP or HTTPS",
					    quote(q, eq + 1, vlen));
			have_transport = 1;
		} else {
			return fail(errmsg, line,
				    "listener selector \"%s\" is unknown or repeated "
				    "(a listener is Address=...+Transport=...)",
				    quote(q, p, klen));
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	if (!have_address || !have_transport)
		return fail(errmsg, line,
			    "a listener needs both selectors: Address=...+Transport=...");
	return ERR_OK;
}

static int listener_find(const struct config *c, const struct selector *sel)
{
	for (uint32_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].https == sel->https &&
		    strcmp(c->listeners[i].address, sel->address) == 0)
			return (int)i;
	return -1;
}

/* Appends a listener with its defaults; its index in *idx. */
static enum err listener_add(struct config *c, const struct selector *sel, uint32_t *idx,
			     struct buf *errmsg, unsigned line)
{
	struct config_listener *l;
	enum err e;

	if (c->nlisteners >= CONFIG_MAX_LISTENERS)
		return fail(errmsg, line, "too many listeners (at most %d)", CONFIG_MAX_LISTENERS);
	l = &c->listeners[c->nlisteners];
	memset(l, 0, sizeof(*l));
	l->https = sel->https;
	if (!(l->address = strdup(sel->address)))
		return ERR_NOMEM;
	if ((e = set_defaults(listener_settings, NLISTENER_SETTINGS, l, c)) != ERR_OK) {
		strings_free(listener_settings, NLISTENER_SETTINGS, l);
		return e;
	}
	*idx = c->nlisteners++;
	return ERR_OK;
}

static int is_listener_resource(const char *r)
{
	return strncasecmp(r, "listener", 8) == 0 && (r[8] == 0 || r[8] == '?');
}

enum err config_listener_create(struct config *c, const char *selectors, struct buf *errmsg)
{
	struct selector sel;
	uint32_t idx;
	enum err e;

	if ((e = selectors_parse(selectors, &sel, errmsg, 0)) != ERR_OK)
		return e;
	if (listener_find(c, &sel) >= 0) {
		fail(errmsg, 0, "the listener Address=%s+Transport=%s already exists", sel.address,
		     transport_names[sel.https]);
		return ERR_EXISTS;
	}
	return listener_add(c, &sel, &idx, errmsg, 0);
}

/* The listener that "Address=...+Transport=..." names: its index in *idx;
 * ERR_CONFIG for malformed selectors, ERR_NOT_FOUND when there is none. */
static enum err listener_named(const struct config *c, const char *selectors, uint32_t *idx,
			       struct buf *errmsg)
{
	struct selector sel;
	enum err e;
	int i;

	if ((e = selectors_parse(selectors, &sel, errmsg, 0)) != ERR_OK)
		return e;
	if ((i = listener_find(c, &sel)) < 0) {
		fail(errmsg, 0, "there is no listener Address=%s+Transport=%s", sel.address,
		     transport_names[sel.https]);
		return ERR_NOT_FOUND;
	}
	*idx = (uint32_t)i;
	return ERR_OK;
}

enum err config_listener_delete(struct config *c, const char *selectors, struct buf *errmsg)
{
	uint32_t i;
	enum err e;

	if ((e = listener_named(c, selectors, &i, errmsg)) != ERR_OK)
		return e;
	strings_free(listener_settings, NLISTENER_SETTINGS, &c->listeners[i]);
	memmove(&c->listeners[i], &c->listeners[i + 1],
		(c->nlisteners - i - 1) * sizeof(c->listeners[0]));
	c->nlisteners--;
	memset(&c->listeners[c->nlisteners], 0, sizeof(c->listeners[0]));
	return ERR_OK;
}

const struct config_listener *config_listener_at(const struct config *c, uint32_t i)
{
	for (uint32_t k = 0; k < c->nlisteners; k++)
		if (c->listeners[k].enabled && i-- == 0)
			return &c->listeners[k];
	return NULL;
}

/* ---- the stored format ---- */

struct parse_seen {
	uint64_t root;
	uint32_t listener[CONFIG_MAX_LISTENERS];
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static enum err parse_line(struct config *c, const char *line, size_t n, unsigned lineno,
			   struct parse_seen *seen, struct buf *errmsg)
{
	char key[MAX_KEY + 1], value[CONFIG_MAX_VALUE + 1], q[MAX_QUOTE];
	size_t i = 0, k;
	const struct setting *s;
	const char *path, *name;
	char *slash;
	uint64_t bit;
	uint32_t idx;
	enum err e;

	if (memchr(line, 0, n))
		return fail(errmsg, lineno, "NUL byte");
	while (i < n && is_blank(line[i]))
		i++;
	while (n > i && is_blank(line[n - 1]))
		n--;
	if (i == n || line[i] == '#')
		return ERR_OK;
	/* The name ends at a blank or '='; a listener's selectors hold '=' but
	 * end at the first '/'. */
	k = i;
	if (n - i > 9 && strncasecmp(line + i, "listener?", 9) == 0)
		while (k < n && line[k] != '/' && !is_blank(line[k]))
			k++;
	while (k < n && !is_blank(line[k]) && line[k] != '=')
		k++;
	if (k - i > MAX_KEY)
		return fail(errmsg, lineno, "name longer than %d bytes", MAX_KEY);
	memcpy(key, line + i, k - i);
	key[k - i] = 0;
	while (k < n && is_blank(line[k]))
		k++;
	if (k == n || line[k] != '=')
		return fail(errmsg, lineno, "expected \"Path/Name = value\", not \"%s\"",
			    quote(q, line + i, n - i));
	for (k++; k < n && is_blank(line[k]); k++)
		;
	if (n - k > CONFIG_MAX_VALUE)
		return fail(errmsg, lineno, "%s: value longer than %d bytes",
			    quote(q, key, strlen(key)), CONFIG_MAX_VALUE);
	memcpy(value, line + k, n - k);
	value[n - k] = 0;

	/* Selector values (listener addresses) hold no '/': the name is
	 * after the last one. */
	slash = strrchr(key, '/');
	name = slash ? slash + 1 : key;
	if (slash)
		*slash = 0;
	path = slash ? key : "";
	if (is_listener_resource(path)) {
		struct selector sel;
		int found;

		if (path[8] != '?')
			return fail(errmsg, lineno,
				    "a listener line starts Listener?Address=...+Transport=.../");
		if ((e = selectors_parse(path + 9, &sel, errmsg, lineno)) != ERR_OK)
			return e;
		if ((found = listener_find(c, &sel)) >= 0)
			idx = (uint32_t)found;
		else if ((e = listener_add(c, &sel, &idx, errmsg, lineno)) != ERR_OK)
			return e;
		if (!(s = lookup(listener_settings, NLISTENER_SETTINGS, "", name)))
			return fail(errmsg, lineno, "unknown listener setting %s",
				    quote(q, name, strlen(name)));
		bit = (uint32_t)1 << (s - listener_settings);
		if (seen->listener[idx] & bit)
			return fail(errmsg, lineno, "duplicate setting %s for the listener",
				    s->name);
		if ((e = assign(s, &c->listeners[idx], value, errmsg, lineno)) != ERR_OK)
			return e;
		seen->listener[idx] |= (uint32_t)bit;
		return ERR_OK;
	}
	s = lookup(settings, NSETTINGS, path, name);
	if (slash)
		*slash = '/';
	if (!s)
		return fail(errmsg, lineno, "unknown setting %s", quote(q, key, strlen(key)));
	bit = (uint64_t)1 << (s - settings);
	if (seen->root & bit)
		return fail(errmsg, lineno, "duplicate setting %s", quote(q, key, strlen(key)));
	if ((e = assign(s, c, value, errmsg, lineno)) != ERR_OK)
		return e;
	seen->root |= bit;
	return ERR_OK;
}

enum err config_parse(struct config *c, const char *text, size_t len, struct buf *errmsg)
{
	struct parse_seen seen = {0};
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	enum err e;

	if ((e = config_defaults(c)) != ERR_OK)
		return e;
	if (len > CONFIG_MAX_FILE) {
		config_free(c);
		return fail(errmsg, 0, "file larger than %d bytes", CONFIG_MAX_FILE);
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if ((e = parse_line(c, p, n, ++lineno, &seen, errmsg)) != ERR_OK) {
			config_free(c);
			return e;
		}
		p += n + (eol != NULL);
	}
	/* A listener without a Port line takes the DefaultPorts of the whole
	 * file, which may come after the listener's lines. */
	for (uint32_t i = 0; i < c->nlisteners; i++) {
		for (size_t k = 0; k < NLISTENER_SETTINGS; k++) {
			union value v;
			if (!(listener_settings[k].flags & F_DEFPORT) ||
			    (seen.listener[i] & (1u << k)))
				continue;
			v.u32 = default_port(c, c->listeners[i].https);
			value_store(&listener_settings[k], &c->listeners[i], &v);
		}
	}
	return ERR_OK;
}

static enum err put_setting(struct buf *out, const char *prefix, const char *name, const char *v)
{
	return buf_putf(out, "%s%s =%s%s\n", prefix, name, *v ? " " : "", v);
}

enum err config_serialize(const struct config *c, struct buf *out)
{
	size_t start = buf_len(out);
	char num[16], prefix[MAX_KEY];
	enum err e;

	if ((e = buf_putf(out, "# openwinrm winrm/config: one \"Path/Name = value\" per line.\n"
			       "# `winrm set` rewrites this file and drops comments.\n")) != ERR_OK)
		return e;
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		if ((s->flags & F_RO) || s->type == T_NONE)
			continue;
		snprintf(prefix, sizeof(prefix), "%s%s", s->path, *s->path ? "/" : "");
		if ((e = put_setting(out, prefix, s->name, value_text(s, c, num))) != ERR_OK)
			return e;
	}
	for (uint32_t i = 0; i < c->nlisteners; i++) {
		const struct config_listener *l = &c->listeners[i];
		snprintf(prefix, sizeof(prefix), "Listener?Address=%s+Transport=%s/", l->address,
			 transport_names[l->https ? 1 : 0]);
		for (size_t k = 0; k < NLISTENER_SETTINGS; k++) {
			const struct setting *s = &listener_settings[k];
			if (s->flags & (F_RO | F_KEY) || s->type == T_NONE)
				continue;
			if ((e = put_setting(out, prefix, s->name, value_text(s, l, num))) !=
			    ERR_OK)
				return e;
		}
	}
	/* config_parse refuses more, so do not write more. */
	return buf_len(out) - start > CONFIG_MAX_FILE ? ERR_LIMIT : ERR_OK;
}

enum err config_load(struct config *c, const char *dir, struct buf *errmsg)
{
	char path[PATH_MAX];
	struct buf msg;
	char *text;
	size_t len = 0;
	ssize_t r;
	enum err e;
	int fd;

	memset(c, 0, sizeof(*c));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_FILE) >= sizeof(path))
		return fail(errmsg, 0, "%s: configuration directory path too long", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return config_defaults(c);
		fail(errmsg, 0, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	/* One byte more than allowed, so that config_parse sees an overlong file. */
	if (!(text = malloc(CONFIG_MAX_FILE + 1))) {
		close(fd);
		return ERR_NOMEM;
	}
	do {
		r = read(fd, text + len, CONFIG_MAX_FILE + 1 - len);
		if (r > 0)
			len += (size_t)r;
	} while ((r > 0 && len < CONFIG_MAX_FILE + 1) || (r < 0 && errno == EINTR));
	if (r < 0) {
		fail(errmsg, 0, "%s: %s", path, strerror(errno));
		free(text);
		close(fd);
		return ERR_IO;
	}
	close(fd);
	buf_init(&msg, 1024);
	if ((e = config_parse(c, text, len, &msg)) != ERR_OK)
		fail(errmsg, 0, "%s: %.*s", path, (int)buf_len(&msg), (const char *)buf_ptr(&msg));
	buf_clear(&msg);
	free(text);
	return e;
}

enum err config_write_file(const char *dir, const char *name, const void *data, size_t len,
			   mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t off = 0;
	int fd = -1, dfd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return ERR_IO;
	}
	/* A temporary file left by a crashed writer with our pid is stale. */
	(void)unlink(tmp);
	/* fchmod: the umask must not narrow (or the creator widen) the mode. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* The rename is durable only once the directory is. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ERR_IO;
	if (fsync(dfd) < 0) {
		saved = errno;
		close(dfd);
		errno = saved;
		return ERR_IO;
	}
	close(dfd);
	return ERR_OK;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	errno = saved;
	return ERR_IO;
}

enum err config_save(const struct config *c, const char *dir)
{
	struct buf out;
	enum err e;
	int saved;

	buf_init(&out, CONFIG_MAX_FILE + 1024);
	if ((e = config_serialize(c, &out)) == ERR_OK)
		e = config_write_file(dir, CONFIG_FILE, buf_ptr(&out), buf_len(&out), 0644);
	saved = errno;
	buf_clear(&out);
	errno = saved;
	return e;
}

/* ---- `winrm set` and Put ---- */

/* The first row under resource ("" is the root), or NULL. */
static const struct setting *section_first(const char *resource)
{
	size_t n = strlen(resource);

	for (size_t i = 0; i < NSETTINGS; i++)
		if (n == 0 || (strncasecmp(settings[i].path, resource, n) == 0 &&
			       (settings[i].path[n] == 0 || settings[i].path[n] == '/')))
			return &settings[i];
	return NULL;
}

/* The element name of a resource plen bytes long whose first row is s:
 * its last segment, spelled as Windows does ("Config" for the root). */
static const char *section_name(const struct setting *s, size_t plen, size_t *len)
{
	const char *h = s->path + plen;

	if (plen == 0) {
		*len = 6;
		return "Config";
	}
	while (h > s->path && h[-1] != '/')
		h--;
	*len = (size_t)(s->path + plen - h);
	return h;
}

enum config_resource config_resource_of(const char *resource, char name[CONFIG_MAX_ELEMENT])
{
	const struct setting *s;
	const char *h;
	size_t n;

	if (is_listener_resource(resource)) {
		if (resource[8])
			return CONFIG_RES_UNKNOWN;
		snprintf(name, CONFIG_MAX_ELEMENT, "Listener");
		return CONFIG_RES_LISTENER;
	}
	if (!(s = section_first(resource)))
		return CONFIG_RES_UNKNOWN;
	h = section_name(s, strlen(resource), &n);
	snprintf(name, CONFIG_MAX_ELEMENT, "%.*s", (int)n, h);
	return CONFIG_RES_SINGLETON;
}

/* The row of setting `name` of resource, and the struct its value lives in. */
static enum err resolve(struct config *c, const char *resource, const char *name,
			const struct setting **s, void **base, struct buf *errmsg)
{
	char q[MAX_QUOTE], qr[MAX_QUOTE];
	uint32_t i;
	enum err e;

	if (is_listener_resource(resource)) {
		if (resource[8] != '?')
			return fail(errmsg, 0,
				    "which listener? Use listener?Address=...+Transport=...");
		if ((e = listener_named(c, resource + 9, &i, errmsg)) != ERR_OK)
			return e;
		*base = &c->listeners[i];
		*s = lookup(listener_settings, NLISTENER_SETTINGS, "", name);
	} else {
		if (!section_first(resource))
			return fail(errmsg, 0, "unknown resource winrm/config/%s",
				    quote(qr, resource, strlen(resource)));
		*base = c;
		*s = lookup(settings, NSETTINGS, resource, name);
	}
	if (!*s)
		return fail(errmsg, 0, "unknown setting %s in winrm/config%s%s",
			    quote(q, name, strlen(name)), *resource ? "/" : "",
			    quote(qr, resource, strlen(resource)));
	return ERR_OK;
}

/* value without the blanks around it, which would not survive the stored
 * format, into v. */
static enum err trim_value(const struct setting *s, const char *value, char v[CONFIG_MAX_VALUE + 1],
			   struct buf *errmsg)
{
	size_t n;

	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n > CONFIG_MAX_VALUE)
		return fail(errmsg, 0, "%s: value longer than %d bytes", s->name, CONFIG_MAX_VALUE);
	memcpy(v, value, n);
	v[n] = 0;
	return ERR_OK;
}

/* Sets s at base from text, NULL being winrm's $null. */
static enum err set_resolved(const struct setting *s, void *base, const char *value,
			     struct buf *errmsg)
{
	char v[CONFIG_MAX_VALUE + 1];
	enum err e;

	if (!value) {
		if (s->type != T_STR)
			return fail(errmsg, 0, "%s: $null is allowed only for text settings",
				    s->name);
		value = "";
	}
	if ((e = trim_value(s, value, v, errmsg)) != ERR_OK)
		return e;
	return assign(s, base, v, errmsg, 0);
}

enum err config_set(struct config *c, const char *resource, const char *name, const char *value,
		    struct buf *errmsg)
{
	const struct setting *s;
	void *base;
	enum err e;

	if ((e = resolve(c, resource, name, &s, &base, errmsg)) != ERR_OK)
		return e;
	return set_resolved(s, base, value, errmsg);
}

/* 1 if text v means the value s has at base. */
static int same_value(const struct setting *s, const void *base, const char *v)
{
	char addr[MAX_ADDRESS], num[16];
	const void *p = cfield(base, s);
	union value val;

	switch (s->type) {
	case T_STR:
		/* A listener's Address: any spelling of the same address. */
		if (s->flags & F_KEY)
			return address_parse(v, strlen(v), addr) == ERR_OK &&
			       strcmp(addr, *(char *const *)p) == 0;
		return strcmp(v, value_text(s, base, num)) == 0;
	case T_FLAG:
		return value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.choice == (*(const int *)p ? 1 : 0);
	case T_CBT:
		return value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.choice == (int)*(const enum config_cbt *)p;
	case T_U32:
		return value_parse(s, v, &val, NULL, 0) == ERR_OK &&
		       val.u32 == *(const uint32_t *)p;
	case T_NONE:
		break;
	}
	return 1;
}

enum err config_put(struct config *c, const char *resource, const struct config_pair *pairs,
		    size_t n, struct buf *errmsg)
{
	char sub[MAX_KEY + 1], v[CONFIG_MAX_VALUE + 1], q[MAX_QUOTE], qr[MAX_QUOTE];
	int listener = is_listener_resource(resource);
	uint64_t seen = 0;

	for (size_t i = 0; i < n; i++) {
		const char *full = pairs[i].name, *slash = strrchr(full, '/');
		const char *res = resource;
		const struct setting *s;
		void *base;
		uint64_t bit;
		enum err e;

		/* A nested element's setting belongs to the sub-resource its
		 * path names; a listener has no nested elements. */
		if (slash) {
			if (listener || (size_t)snprintf(sub, sizeof(sub), "%s%s%.*s", resource,
							 *resource ? "/" : "", (int)(slash - full),
							 full) >= sizeof(sub))
				return fail(errmsg, 0, "unknown setting %s in winrm/config%s%s",
					    quote(q, full, strlen(full)), *resource ? "/" : "",
					    quote(qr, resource, strlen(resource)));
			res = sub;
		}
		if ((e = resolve(c, res, slash ? slash + 1 : full, &s, &base, errmsg)) != ERR_OK)
			return e;
		if (s->type == T_NONE)
			continue;
		bit = (uint64_t)1 << (listener ? s - listener_settings : s - settings);
		if (seen & bit)
			return fail(errmsg, 0, "%s is given twice", s->name);
		seen |= bit;
		if ((s->flags & (F_RO | F_KEY)) && pairs[i].value &&
		    trim_value(s, pairs[i].value, v, NULL) == ERR_OK && same_value(s, base, v))
			continue;
		if ((e = set_resolved(s, base, pairs[i].value, errmsg)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* ---- Windows' text form and the XML of Get: one walk, two printers ---- */

/* What the walk over the rows emits. The two forms differ only here, so
 * they cannot list settings in different orders or nest them differently. */
struct printer {
	struct buf *out;
	char ns[128];	       /* XML: the outermost element's namespace */
	const char *separator; /* between the listeners of "listener" */
	enum err (*open)(struct printer *pr, unsigned level, const char *name, size_t len);
	enum err (*close)(struct printer *pr, const char *name, size_t len);
	enum err (*value)(struct printer *pr, unsigned level, const struct setting *s,
			  const void *base);
};

static unsigned path_depth(const char *path)
{
	unsigned d = *path ? 1 : 0;

	for (; *path; path++)
		d += *path == '/';
	return d;
}

/* Segment k (from 1) of path; its length in *len. */
static const char *path_segment(const char *path, unsigned k, size_t *len)
{
	while (--k > 0)
		path = strchr(path, '/') + 1;
	*len = strcspn(path, "/");
	return path;
}

static unsigned common_depth(const char *a, const char *b)
{
	unsigned d = 0;

	while (*a && *b) {
		size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
		if (na != nb || strncmp(a, b, na) != 0)
			break;
		d++;
		a += na + (a[na] == '/');
		b += nb + (b[nb] == '/');
	}
	return d;
}

/* Closes the nested elements of path deeper than depth `to`. */
static enum err close_to(struct printer *pr, const char *path, unsigned to)
{
	enum err e;

	for (unsigned k = path_depth(path); k > to; k--) {
		size_t len;
		const char *seg = path_segment(path, k, &len);
		if ((e = pr->close(pr, seg, len)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* 1 for a Linux-only setting at its default, which is not printed. */
static int at_hidden_default(const struct setting *s, const void *base)
{
	char num[16];

	return (s->flags & F_UNLESS_DEFAULT) && strcmp(value_text(s, base, num), s->def) == 0;
}

/* Prints the rows of t under prefix (its first plen bytes) as the element
 * header: each setting one level deeper, a nested element opened whenever
 * the rows enter one and closed when they leave it. */
static enum err print_block(const struct setting *t, size_t n, const void *base, const char *prefix,
			    size_t plen, const char *header, size_t hlen, struct printer *pr)
{
	unsigned d0 = plen ? 1 : 0;
	const char *prev = NULL;
	enum err e;

	for (size_t i = 0; i < plen; i++)
		d0 += prefix[i] == '/';
	if ((e = pr->open(pr, 0, header, hlen)) != ERR_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		const struct setting *s = &t[i];
		unsigned d = path_depth(s->path), c;

		if (plen && (strncasecmp(s->path, prefix, plen) != 0 ||
			     (s->path[plen] && s->path[plen] != '/')))
			continue;
		if (at_hidden_default(s, base))
			continue;
		c = prev ? common_depth(prev, s->path) : d0;
		if (prev && (e = close_to(pr, prev, c)) != ERR_OK)
			return e;
		for (unsigned k = c + 1; k <= d; k++) {
			size_t len;
			const char *seg = path_segment(s->path, k, &len);
			if ((e = pr->open(pr, k - d0, seg, len)) != ERR_OK)
				return e;
		}
		if ((e = pr->value(pr, d - d0 + 1, s, base)) != ERR_OK)
			return e;
		prev = s->path;
	}
	if (prev && (e = close_to(pr, prev, d0)) != ERR_OK)
		return e;
	return pr->close(pr, header, hlen);
}

static enum err print_listener(const struct config_listener *l, struct printer *pr)
{
	return print_block(listener_settings, NLISTENER_SETTINGS, l, "", 0, "Listener", 8, pr);
}

static enum err print_resource(const struct config *c, const char *resource, struct printer *pr,
			       struct buf *errmsg)
{
	char q[MAX_QUOTE];
	const struct setting *s;
	size_t plen = strlen(resource), hlen, o;
	const char *header;
	uint32_t i;
	enum err e;

	if (is_listener_resource(resource)) {
		snprintf(pr->ns, sizeof(pr->ns), "%s/listener", CONFIG_URI);
		if (resource[8] == '?') {
			if ((e = listener_named(c, resource + 9, &i, errmsg)) != ERR_OK)
				return e;
			return print_listener(&c->listeners[i], pr);
		}
		for (i = 0; i < c->nlisteners; i++)
			if ((i && (e = buf_put(pr->out, pr->separator, strlen(pr->separator))) !=
				      ERR_OK) ||
			    (e = print_listener(&c->listeners[i], pr)) != ERR_OK)
				return e;
		return ERR_OK;
	}
	if (!(s = section_first(resource)))
		return fail(errmsg, 0, "unknown resource winrm/config/%s",
			    quote(q, resource, plen));
	/* A sub-resource's namespace is its URI, as Windows spells it. */
	o = (size_t)snprintf(pr->ns, sizeof(pr->ns), "%s%s", CONFIG_URI, plen ? "/" : "");
	for (size_t k = 0; k < plen && o + 1 < sizeof(pr->ns); k++)
		pr->ns[o++] = (char)tolower((unsigned char)s->path[k]);
	pr->ns[o] = 0;
	header = section_name(s, plen, &hlen);
	return print_block(settings, NSETTINGS, c, s->path, plen, header, hlen, pr);
}

/* -- the text form -- */

static enum err put_line(struct buf *out, unsigned level, const char *name, size_t nlen,
			 const char *value)
{
	return buf_putf(out, "%*s%.*s%s%s\n", (int)(4 * level), "", (int)nlen, name,
			value && *value ? " = " : "", value ? value : "");
}

static enum err text_open(struct printer *pr, unsigned level, const char *name, size_t len)
{
	return put_line(pr->out, level, name, len, NULL);
}

static enum err text_close(struct printer *pr, const char *name, size_t len)
{
	(void)pr, (void)name, (void)len;
	return ERR_OK;
}

static enum err text_value(struct printer *pr, unsigned level, const struct setting *s,
			   const void *base)
{
	char num[16];

	/* ListeningOn is computed where the listener runs: XML only. */
	if (s->type == T_NONE)
		return ERR_OK;
	return put_line(pr->out, level, s->name, strlen(s->name), value_text(s, base, num));
}

enum err config_print_text(const struct config *c, const char *resource, struct buf *out,
			   struct buf *errmsg)
{
	/* As `winrm enumerate winrm/config/listener`: a blank line between items. */
	struct printer pr = {.out = out,
			     .separator = "\n",
			     .open = text_open,
			     .close = text_close,
			     .value = text_value};

	return print_resource(c, resource, &pr, errmsg);
}

/* -- the XML form -- */

#define MAX_LISTENING_ON 64

static enum err xml_element(struct buf *out, const char *name, const char *value)
{
	enum err e;

	if ((e = buf_putf(out, "<cfg:%s>", name)) != ERR_OK ||
	    (e = util_xml_escape(out, value)) != ERR_OK)
		return e;
	return buf_putf(out, "</cfg:%s>", name);
}

static enum err xml_open(struct printer *pr, unsigned level, const char *name, size_t len)
{
	enum err e;

	if ((e = buf_putf(pr->out, "<cfg:%.*s", (int)len, name)) != ERR_OK ||
	    (level == 0 && (e = buf_putf(pr->out, " xmlns:cfg=\"%s\"", pr->ns)) != ERR_OK))
		return e;
	return buf_put(pr->out, ">", 1);
}

static enum err xml_close(struct printer *pr, const char *name, size_t len)
{
	return buf_putf(pr->out, "</cfg:%.*s>", (int)len, name);
}

struct if_addr {
	unsigned char v6; /* IPv4 sorts first */
	unsigned char a[16];
};

static int if_addr_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct if_addr));
}

/* ListeningOn: the addresses an enabled listener accepts connections on,
 * its own for IP:a, those of the interfaces that are up for "*": IPv4 then
 * IPv6, each ascending, as Windows lists them. IPv6 link-local addresses
 * are left out: without their zone they cannot be used. */
static enum err listening_on(const struct config_listener *l, const char *name, struct buf *out)
{
	struct if_addr addrs[MAX_LISTENING_ON];
	struct ifaddrs *ifs, *ifa;
	char text[INET6_ADDRSTRLEN];
	size_t n = 0;
	enum err e = ERR_OK;

	if (!l->enabled)
		return ERR_OK;
	if (strcmp(l->address, "*") != 0)
		return xml_element(out, name, l->address + 3); /* after "IP:" */
	/* A Get is not worth failing for the list: without it, it is empty. */
	if (getifaddrs(&ifs) < 0)
		return ERR_OK;
	for (ifa = ifs; ifa && n < MAX_LISTENING_ON; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;
		if (!sa || !(ifa->ifa_flags & IFF_UP))
			continue;
		memset(&addrs[n], 0, sizeof(addrs[n]));
		if (sa->sa_family == AF_INET) {
			memcpy(addrs[n].a,
			       &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		} else if (sa->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
			    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			addrs[n].v6 = 1;
			memcpy(addrs[n].a, a6, 16);
		} else {
			continue;
		}
		n++;
	}
	freeifaddrs(ifs);
	qsort(addrs, n, sizeof(addrs[0]), if_addr_cmp);
	for (size_t i = 0; i < n && e == ERR_OK; i++) {
		if (i && if_addr_cmp(&addrs[i], &addrs[i - 1]) == 0)
			continue;
		if (inet_ntop(addrs[i].v6 ? AF_INET6 : AF_INET, addrs[i].a, text, sizeof(text)))
			e = xml_element(out, name, text);
	}
	return e;
}

static enum err xml_value(struct printer *pr, unsigned level, const struct setting *s,
			  const void *base)
{
	char num[16];

	(void)level;
	if (s->type == T_NONE) /* ListeningOn, the only computed row */
		return listening_on(base, s->name, pr->out);
	return xml_element(pr->out, s->name, value_text(s, base, num));
}

enum err config_print_xml(const struct config *c, const char *resource, struct buf *out,
			  struct buf *errmsg)
{
	struct printer pr = {
	    .out = out, .separator = "", .open = xml_open, .close = xml_close, .value = xml_value};

	return print_resource(c, resource, &pr, errmsg);
}
