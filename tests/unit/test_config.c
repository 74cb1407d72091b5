/* Unit tests for config: Windows' defaults and text format, the stored
 * format's round trip, every refusal, atomic saving, listeners. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "check.h"

/* The text of a buffer as a C string (buffers here are never full). */
static const char *str(struct buf *b)
{
	buf_terminate(b);
	return (const char *)buf_ptr(b);
}

static char *print(const struct config *c, const char *resource)
{
	struct buf out, msg;
	char *s = NULL;

	buf_init(&out, 1 << 20);
	buf_init(&msg, 4096);
	if (config_print_text(c, resource, &out, &msg) == ERR_OK)
		s = strdup(str(&out));
	buf_clear(&out);
	buf_clear(&msg);
	return s;
}

static char *serialize(const struct config *c)
{
	struct buf out;
	char *s = NULL;

	buf_init(&out, 1 << 20);
	if (config_serialize(c, &out) == ERR_OK)
		s = strdup(str(&out));
	buf_clear(&out);
	return s;
}

static int print_is(const struct config *c, const char *resource, const char *want)
{
	char *got = print(c, resource);
	int ok = got && strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got ? got : "(error)");
	free(got);
	return ok;
}

/* The groups of sudo,wheel present here, as config_defaults computes. */
static void admin_groups(char *out, size_t n)
{
	out[0] = 0;
	if (getgrnam("sudo"))
		snprintf(out, n, "sudo");
	if (getgrnam("wheel"))
		snprintf(out + strlen(out), n - strlen(out), "%swheel", *out ? "," : "");
}

static const char client_text[] = "Client\n"
				  "    NetworkDelayms = 5000\n"
				  "    URLPrefix = wsman\n"
				  "    AllowUnencrypted = false\n"
				  "    Auth\n"
				  "        Basic = true\n"
				  "        Digest = true\n"
				  "        Kerberos = true\n"
				  "        Negotiate = true\n"
				  "        Certificate = true\n"
				  "        CredSSP = false\n"
				  "    DefaultPorts\n"
				  "        HTTP = 5985\n"
				  "        HTTPS = 5986\n"
				  "    TrustedHosts\n";

static void test_defaults(void)
{
	struct config c;
	char groups[64], want[8192], line[128];

	CHECK("defaults", config_defaults(&c) == ERR_OK);
	admin_groups(groups, sizeof(groups));
	if (*groups)
		snprintf(line, sizeof(line), "        AdminGroups = %s\n", groups);
	else
		snprintf(line, sizeof(line), "        AdminGroups\n");
	/* Section 10.2, with the issue's Winrs defaults and our additions. */
	snprintf(want, sizeof(want),
		 "Config\n"
		 "    MaxEnvelopeSizekb = 500\n"
		 "    MaxTimeoutms = 60000\n"
		 "    MaxBatchItems = 32000\n"
		 "    MaxProviderRequests = 4294967295\n"
		 "    Client\n"
		 "        NetworkDelayms = 5000\n"
		 "        URLPrefix = wsman\n"
		 "        AllowUnencrypted = false\n"
		 "        Auth\n"
		 "            Basic = true\n"
		 "            Digest = true\n"
		 "            Kerberos = true\n"
		 "            Negotiate = true\n"
		 "            Certificate = true\n"
		 "            CredSSP = false\n"
		 "        DefaultPorts\n"
		 "            HTTP = 5985\n"
		 "            HTTPS = 5986\n"
		 "        TrustedHosts\n"
		 "    Service\n"
		 "        RootSDDL = "
		 "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)\n"
		 "        MaxConcurrentOperations = 4294967295\n"
		 "        MaxConcurrentOperationsPerUser = 1500\n"
		 "        EnumerationTimeoutms = 240000\n"
		 "        MaxConnections = 300\n"
		 "        MaxPacketRetrievalTimeSeconds = 120\n"
		 "        AllowUnencrypted = false\n"
		 "        Auth\n"
		 "            Basic = false\n"
		 "            Kerberos = true\n"
		 "            Negotiate = true\n"
		 "            Certificate = false\n"
		 "            CredSSP = false\n"
		 "            CbtHardeningLevel = Relaxed\n"
		 "        DefaultPorts\n"
		 "            HTTP = 5985\n"
		 "            HTTPS = 5986\n"
		 "        IPv4Filter = *\n"
		 "        IPv6Filter = *\n"
		 "        EnableCompatibilityHttpListener = false\n"
		 "        EnableCompatibilityHttpsListener = false\n"
		 "        CertificateThumbprint\n"
		 "        AllowRemoteAccess = true\n"
		 "%s"
		 "        RemoteUsersGroup = winrm-users\n"
		 "    Winrs\n"
		 "        AllowRemoteShellAccess = true\n"
		 "        IdleTimeout = 7200000\n"
		 "        MaxConcurrentUsers = 2147483647\n"
		 "        MaxShellRunTime = 2147483647\n"
		 "        MaxProcessesPerShell = 2147483647\n"
		 "        MaxMemoryPerShellMB = 2147483647\n"
		 "        MaxShellsPerUser = 30\n",
		 line);
	CHECK("print root: Windows' block with our defaults", print_is(&c, "", want));
	CHECK("print client", print_is(&c, "client", client_text));
	CHECK("print service/auth", print_is(&c, "Service/AUTH",
					     "Auth\n"
					     "    Basic = false\n"
					     "    Kerberos = true\n"
					     "    Negotiate = true\n"
					     "    Certificate = false\n"
					     "    CredSSP = false\n"
					     "    CbtHardeningLevel = Relaxed\n"));
	CHECK("print client/defaultports", print_is(&c, "client/defaultports",
						    "DefaultPorts\n"
						    "    HTTP = 5985\n"
						    "    HTTPS = 5986\n"));
	CHECK("print winrs", print_is(&c, "winrs",
				      "Winrs\n"
				      "    AllowRemoteShellAccess = true\n"
				      "    IdleTimeout = 7200000\n"
				      "    MaxConcurrentUsers = 2147483647\n"
				      "    MaxShellRunTime = 2147483647\n"
				      "    MaxProcessesPerShell = 2147483647\n"
				      "    MaxMemoryPerShellMB = 2147483647\n"
				      "    MaxShellsPerUser = 30\n"));
	CHECK("print no listeners", print_is(&c, "listener", ""));
	CHECK("fields: envelope", c.max_envelope_size_kb == 500 && c.max_timeout_ms == 60000);
	CHECK("fields: winrs", c.winrs.max_shells_per_user == 30 &&
				   c.winrs.idle_timeout_ms == 7200000 &&
				   c.winrs.max_processes_per_shell == 2147483647 &&
				   c.winrs.allow_remote_shell_access == 1);
	CHECK("fields: service", c.service.max_connections == 300 && !c.service.auth.basic &&
				     c.service.auth.negotiate &&
				     c.service.auth.cbt_hardening_level == CONFIG_CBT_RELAXED &&
				     strcmp(c.service.ipv4_filter.text, "*") == 0 &&
				     strcmp(c.service.remote_users_group, "winrm-users") == 0 &&
				     strcmp(c.service.admin_groups, groups) == 0 &&
				     c.service.default_ports.https == 5986);
	CHECK("fields: client", strcmp(c.client.trusted_hosts, "") == 0 &&
				    strcmp(c.client.url_prefix, "wsman") == 0 &&
				    c.client.auth.digest == 1);
	CHECK("no listener", c.nlisteners == 0 && config_listener_at(&c, 0) == NULL);

	struct buf msg;
	buf_init(&msg, 4096);
	struct buf out;
	buf_init(&out, 4096);
	CHECK("print unknown resource",
	      config_print_text(&c, "service/nothing", &out, &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "unknown resource"));
	CHECK("print partial segment is unknown",
	      config_print_text(&c, "serv", &out, &msg) == ERR_CONFIG);
	buf_clear(&out);
	buf_clear(&msg);
	config_clear(&c);
}

/* config_set: refused with want, errmsg holding needle, and c unchanged. */
static int set_refused_with(struct config *c, const char *res, const char *name, const char *value,
			    const char *needle, enum err want)
{
	struct buf msg;
	char *before = serialize(c), *after;
	enum err e;
	int ok;

	buf_init(&msg, 4096);
	e = config_set(c, res, name, value, &msg);
	after = serialize(c);
	ok =
	    e == want && strstr(str(&msg), needle) && before && after && strcmp(before, after) == 0;
	if (!ok)
		fprintf(stderr, "set %s/%s=%s: err %d msg \"%s\"\n", res, name,
			value ? value : "$null", e, str(&msg));
	buf_clear(&msg);
	free(before);
	free(after);
	return ok;
}

static int set_refused(struct config *c, const char *res, const char *name, const char *value,
		       const char *needle)
{
	return set_refused_with(c, res, name, value, needle, ERR_CONFIG);
}

static int set_ok(struct config *c, const char *res, const char *name, const char *value)
{
	struct buf msg;
	enum err e;

	buf_init(&msg, 4096);
	e = config_set(c, res, name, value, &msg);
	if (e != ERR_OK)
		fprintf(stderr, "set %s/%s: %s\n", res, name, str(&msg));
	buf_clear(&msg);
	return e == ERR_OK;
}

static void test_set(void)
{
	struct config c;
	char long_value[CONFIG_MAX_VALUE + 2];

	config_defaults(&c);
	CHECK("set service/auth Basic", set_ok(&c, "service/auth", "Basic", "true"));
	CHECK("set is case-insensitive", set_ok(&c, "SERVICE/Auth", "credssp", "TRUE"));
	CHECK("set cbt", set_ok(&c, "service/auth", "CbtHardeningLevel", "strict"));
	CHECK("set/print round trip", print_is(&c, "service/auth",
					       "Auth\n"
					       "    Basic = true\n"
					       "    Kerberos = true\n"
					       "    Negotiate = true\n"
					       "    Certificate = false\n"
					       "    CredSSP = true\n"
					       "    CbtHardeningLevel = Strict\n"));
	CHECK("set fields", c.service.auth.basic == 1 && c.service.auth.credssp == 1 &&
				c.service.auth.cbt_hardening_level == CONFIG_CBT_STRICT);
	CHECK("set root",
	      set_ok(&c, "", "MaxEnvelopeSizekb", "8192") && c.max_envelope_size_kb == 8192);
	CHECK("set range ends", set_ok(&c, "", "MaxEnvelopeSizekb", "32") &&
				    set_ok(&c, "", "MaxEnvelopeSizekb", "1039440") &&
				    c.max_envelope_size_kb == 1039440);
	CHECK("set trims blanks", set_ok(&c, "client", "TrustedHosts", "  *.corp,10.0.0.1 ") &&
				      strcmp(c.client.trusted_hosts, "*.corp,10.0.0.1") == 0);
	CHECK("set $null string", set_ok(&c, "client", "TrustedHosts", NULL) &&
				      strcmp(c.client.trusted_hosts, "") == 0);
	CHECK("set filters",
	      set_ok(&c, "service", "IPv4Filter", "10.0.0.1-10.0.0.255, 192.168.1.7") &&
		  set_ok(&c, "service", "IPv6Filter", "[::1],fe80::1-fe80::ff") &&
		  set_ok(&c, "service", "IPv4Filter", "") &&
		  strcmp(c.service.ipv6_filter.text, "[::1],fe80::1-fe80::ff") == 0);
	CHECK("set thumbprint", set_ok(&c, "service", "CertificateThumbprint",
				       "0123456789abcdef0123456789ABCDEF01234567"));
	CHECK("set groups", set_ok(&c, "service", "AdminGroups", "wheel,adm,ops-team") &&
				set_ok(&c, "service", "RemoteUsersGroup", "") &&
				strcmp(c.service.admin_groups, "wheel,adm,ops-team") == 0);
	CHECK("set winrs", set_ok(&c, "winrs", "MaxShellsPerUser", "0") &&
			       set_ok(&c, "winrs", "IdleTimeout", "60000") &&
			       c.winrs.idle_timeout_ms == 60000 &&
			       c.winrs.max_shells_per_user == 0);

	CHECK("refuse envelope too small",
	      set_refused(&c, "", "MaxEnvelopeSizekb", "31", "out of range"));
	CHECK("refuse envelope too big",
	      set_refused(&c, "", "MaxEnvelopeSizekb", "1039441", "out of range"));
	CHECK("refuse timeout < 500", set_refused(&c, "", "MaxTimeoutms", "499", "out of range"));
	CHECK("refuse idle < 60000",
	      set_refused(&c, "winrs", "IdleTimeout", "59999", "out of range"));
	CHECK("refuse u32 overflow",
	      set_refused(&c, "winrs", "MaxShellsPerUser", "4294967296", "out of range"));
	CHECK("refuse not a number",
	      set_refused(&c, "winrs", "MaxShellsPerUser", "12x", "not a number"));
	CHECK("refuse negative",
	      set_refused(&c, "winrs", "MaxShellsPerUser", "-1", "not a number"));
	CHECK("refuse empty number",
	      set_refused(&c, "winrs", "MaxShellsPerUser", "", "not a number"));
	CHECK("refuse port 0",
	      set_refused(&c, "service/defaultports", "HTTP", "0", "out of range"));
	CHECK("refuse port 65536",
	      set_refused(&c, "service/defaultports", "HTTPS", "65536", "out of range"));
	CHECK("refuse bad bool",
	      set_refused(&c, "service", "AllowUnencrypted", "yes", "false or true"));
	CHECK("refuse bad cbt", set_refused(&c, "service/auth", "CbtHardeningLevel", "Loose",
					    "None, Relaxed or Strict"));
	CHECK("refuse url prefix /", set_refused(&c, "client", "URLPrefix", "/wsman", "'/'"));
	CHECK("refuse url prefix trailing /",
	      set_refused(&c, "client", "URLPrefix", "wsman/", "'/'"));
	CHECK("refuse url prefix chars",
	      set_refused(&c, "client", "URLPrefix", "ws-man", "letters"));
	CHECK("refuse url prefix empty", set_refused(&c, "client", "URLPrefix", "", "empty"));
	CHECK("refuse ipv4 filter", set_refused(&c, "service", "IPv4Filter", "10.0.0.256", "IPv4"));
	CHECK("refuse ipv4 filter v6", set_refused(&c, "service", "IPv4Filter", "::1", "IPv4"));
	CHECK("refuse ipv6 filter v4",
	      set_refused(&c, "service", "IPv6Filter", "10.0.0.1", "IPv6"));
	CHECK("refuse filter reversed",
	      set_refused(&c, "service", "IPv4Filter", "10.0.0.9-10.0.0.1", "above"));
	CHECK("refuse filter empty entry",
	      set_refused(&c, "service", "IPv4Filter", "10.0.0.1,", "empty"));
	CHECK("refuse filter * in list",
	      set_refused(&c, "service", "IPv4Filter", "*,10.0.0.1", "IPv4"));
	CHECK("refuse thumbprint",
	      set_refused(&c, "service", "CertificateThumbprint", "abc", "40"));
	CHECK("refuse group list spaces",
	      set_refused(&c, "service", "AdminGroups", "sudo, wheel", "group names"));
	CHECK("refuse group list trailing comma",
	      set_refused(&c, "service", "AdminGroups", "sudo,", "empty group"));
	CHECK("refuse two remote groups",
	      set_refused(&c, "service", "RemoteUsersGroup", "a,b", "one group"));
	CHECK("refuse MaxProviderRequests",
	      set_refused(&c, "", "MaxProviderRequests", "5", "read-only"));
	CHECK("refuse MaxConcurrentOperations",
	      set_refused(&c, "service", "MaxConcurrentOperations", "5", "read-only"));
	CHECK("refuse AllowRemoteAccess",
	      set_refused(&c, "service", "AllowRemoteAccess", "false", "read-only"));
	CHECK("refuse unknown setting", set_refused(&c, "service", "Foo", "1", "unknown setting"));
	CHECK("refuse setting of another resource",
	      set_refused(&c, "service", "Basic", "true", "unknown setting"));
	CHECK("refuse unknown resource",
	      set_refused(&c, "bogus", "Basic", "true", "unknown resource"));
	CHECK("refuse $null for a number", set_refused(&c, "winrs", "IdleTimeout", NULL, "$null"));
	CHECK("refuse control character",
	      set_refused(&c, "client", "TrustedHosts", "a\nb", "control"));
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = 0;
	CHECK("refuse overlong value",
	      set_refused(&c, "client", "TrustedHosts", long_value, "longer than"));
	long_value[CONFIG_MAX_VALUE] = 0;
	CHECK("accept longest value", set_ok(&c, "client", "TrustedHosts", long_value));
	CHECK("refuse listener without selectors",
	      set_refused(&c, "listener", "Port", "1", "Address"));
	CHECK("refuse missing listener: not found",
	      set_refused_with(&c, "listener?Address=*+Transport=HTTP", "Port", "1", "no listener",
			       ERR_NOT_FOUND));
	config_clear(&c);
}

static int parse_refused(const char *text, const char *needle)
{
	struct config c;
	struct buf msg;
	enum err e;
	int ok;

	buf_init(&msg, 4096);
	e = config_parse(&c, text, strlen(text), &msg);
	ok = e == ERR_CONFIG && strstr(str(&msg), needle) && c.nlisteners == 0 &&
	     c.client.url_prefix == NULL;
	if (!ok)
		fprintf(stderr, "parse: err %d msg \"%s\", wanted \"%s\"\n", e, str(&msg), needle);
	config_clear(&c);
	buf_clear(&msg);
	return ok;
}

static void test_parse(void)
{
	struct config c, d;
	struct buf msg;
	char *s1, *s2;
	static const char text[] =
	    "# a comment\r\n"
	    "\n"
	    "   \t\n"
	    "maxenvelopesizekb = 8192\r\n"
	    "Service/Auth/Basic = TRUE\n"
	    "  service/auth/cbthardeninglevel=none\n"
	    "Client/TrustedHosts =\n"
	    "Winrs/MaxShellsPerUser   =   7   \n"
	    "listener?transport=https+address=IP:0:0::1/CertificateFile = /etc/winrm/c d.pem\n"
	    "Listener?Address=IP:::1+Transport=HTTPS/KeyFile = key.pem\n"
	    "Listener?Address=*+Transport=HTTP/Enabled = false\n"
	    "Listener?Address=*+Transport=HTTP/URLPrefix=api/wsman\n"
	    "Service/DefaultPorts/HTTP = 8080\n"
	    "Service/DefaultPorts/HTTPS = 8443";

	buf_init(&msg, 4096);
	CHECK("parse", config_parse(&c, text, strlen(text), &msg) == ERR_OK);
	CHECK("parse values", c.max_envelope_size_kb == 8192 && c.service.auth.basic == 1 &&
				  c.service.auth.cbt_hardening_level == CONFIG_CBT_NONE &&
				  c.winrs.max_shells_per_user == 7 &&
				  strcmp(c.client.trusted_hosts, "") == 0);
	CHECK("parse listeners",
	      c.nlisteners == 2 && strcmp(c.listeners[0].address, "IP:::1") == 0 &&
		  c.listeners[0].https == 1 &&
		  strcmp(c.listeners[0].certificate_file, "/etc/winrm/c d.pem") == 0 &&
		  strcmp(c.listeners[0].key_file, "key.pem") == 0 &&
		  strcmp(c.listeners[1].address, "*") == 0 && c.listeners[1].https == 0 &&
		  c.listeners[1].enabled == 0 &&
		  strcmp(c.listeners[1].url_prefix, "api/wsman") == 0);
	CHECK("listener port defaults to the file's DefaultPorts",
	      c.listeners[0].port == 8443 && c.listeners[1].port == 8080);
	CHECK("listener defaults", c.listeners[0].enabled == 1 &&
				       strcmp(c.listeners[0].url_prefix, "wsman") == 0 &&
				       strcmp(c.listeners[0].hostname, "") == 0);
	CHECK("listener_at skips disabled",
	      config_listener_at(&c, 0) == &c.listeners[0] && config_listener_at(&c, 1) == NULL);

	s1 = serialize(&c);
	CHECK("serialize", s1 != NULL);
	CHECK("serialize has a root line", s1 && strstr(s1, "\nMaxEnvelopeSizekb = 8192\n"));
	CHECK("serialize has a listener line",
	      s1 && strstr(s1, "\nListener?Address=IP:::1+Transport=HTTPS/Port = 8443\n"));
	CHECK("serialize omits read-only",
	      s1 && !strstr(s1, "MaxProviderRequests") && !strstr(s1, "AllowRemoteAccess"));
	CHECK("parse(serialize(c))", s1 && config_parse(&d, s1, strlen(s1), &msg) == ERR_OK);
	s2 = serialize(&d);
	CHECK("serialize round trip", s1 && s2 && strcmp(s1, s2) == 0);
	CHECK("round trip fields",
	      d.nlisteners == 2 && d.listeners[0].port == 8443 &&
		  d.service.auth.cbt_hardening_level == CONFIG_CBT_NONE &&
		  strcmp(d.listeners[0].certificate_file, "/etc/winrm/c d.pem") == 0);
	char *p1 = print(&c, ""), *p2 = print(&d, "");
	CHECK("round trip print", p1 && p2 && strcmp(p1, p2) == 0);
	free(p1);
	free(p2);
	p1 = print(&c, "listener");
	p2 = print(&d, "listener");
	CHECK("round trip listeners", p1 && p2 && strcmp(p1, p2) == 0);
	free(p1);
	free(p2);
	free(s1);
	free(s2);
	config_clear(&c);
	config_clear(&d);

	CHECK("parse empty", config_parse(&c, "", 0, &msg) == ERR_OK && c.max_timeout_ms == 60000);
	config_clear(&c);

	CHECK("refuse unknown name",
	      parse_refused("# x\n\nService/Nope = 1\n", "line 3: unknown setting"));
	CHECK("refuse name at wrong path",
	      parse_refused("Basic = true\n", "line 1: unknown setting"));
	CHECK("refuse bad number", parse_refused("MaxTimeoutms = 5s\n", "line 1: MaxTimeoutms"));
	CHECK("refuse out of range",
	      parse_refused("\nMaxEnvelopeSizekb = 31\n",
			    "line 2: MaxEnvelopeSizekb: 31 is out of range"));
	CHECK("refuse bad bool", parse_refused("Service/AllowUnencrypted = 1\n", "line 1:"));
	CHECK("refuse bad enum",
	      parse_refused("Service/Auth/CbtHardeningLevel = Hard\n", "None, Relaxed or Strict"));
	CHECK("refuse duplicate",
	      parse_refused("MaxTimeoutms = 600\nmaxtimeoutms = 600\n", "line 2: duplicate"));
	CHECK("refuse duplicate listener line",
	      parse_refused("Listener?Address=*+Transport=HTTP/Port = 1\n"
			    "Listener?Transport=http+Address=*/port = 2\n",
			    "line 2: duplicate"));
	CHECK("refuse read-only line",
	      parse_refused("MaxProviderRequests = 4294967295\n", "read-only"));
	CHECK("refuse ListeningOn line",
	      parse_refused("Listener?Address=*+Transport=HTTP/ListeningOn = 1.2.3.4\n",
			    "read-only"));
	CHECK("refuse selector line",
	      parse_refused("Listener?Address=*+Transport=HTTP/Address = *\n", "selector"));
	CHECK("refuse missing =", parse_refused("MaxTimeoutms 600\n", "line 1: expected"));
	CHECK("refuse name with a blank",
	      parse_refused("Client/Trusted Hosts = a\n", "line 1: expected"));
	CHECK("refuse listener name with a blank",
	      parse_refused("Listener?Address=* +Transport=HTTP/Port = 1\n", "line 1: expected"));
	{
		static const char nul[] = "MaxTimeoutms = 600\nMaxBatchItems = 1\0002\n";
		struct config e;
		buf_reset(&msg);
		CHECK("refuse NUL byte",
		      config_parse(&e, nul, sizeof(nul) - 1, &msg) == ERR_CONFIG &&
			  strstr(str(&msg), "line 2: NUL"));
		config_clear(&e);
	}
	CHECK("refuse listener without selectors",
	      parse_refused("Listener/Port = 5\n", "Listener?Address"));
	CHECK("refuse listener bad address",
	      parse_refused("Listener?Address=MAC:00-11+Transport=HTTP/Port = 5\n", "Address"));
	CHECK("refuse listener bad transport",
	      parse_refused("Listener?Address=*+Transport=FTP/Port = 5\n", "Transport"));
	CHECK("refuse listener one selector",
	      parse_refused("Listener?Address=*/Port = 5\n", "all its selectors"));
	CHECK("refuse listener repeated selector",
	      parse_refused("Listener?Address=*+Address=*+Transport=HTTP/Port = 5\n", "repeated"));
	CHECK("refuse unknown listener setting",
	      parse_refused("Listener?Address=*+Transport=HTTP/Colour = red\n",
			    "unknown listener setting"));
	CHECK("refuse listener bad port",
	      parse_refused("Listener?Address=*+Transport=HTTP/Port = 0\n", "out of range"));
	CHECK("refuse listener bad url prefix",
	      parse_refused("Listener?Address=*+Transport=HTTP/URLPrefix = a/\n", "'/'"));

	struct buf big;
	buf_init(&big, 2 * CONFIG_MAX_FILE);
	buf_putf(&big, "Client/TrustedHosts = ");
	for (int i = 0; i <= CONFIG_MAX_VALUE; i++)
		buf_put_u8(&big, 'h');
	buf_putf(&big, "\n");
	CHECK("refuse overlong value line",
	      parse_refused(str(&big), "line 1: Client/TrustedHosts: value longer"));
	buf_reset(&big);
	buf_putf(&big, "MaxTimeoutms = 600\n");
	while (buf_len(&big) <= CONFIG_MAX_FILE)
		buf_putf(&big, "# padding padding padding padding padding padding padding\n");
	CHECK("refuse overlong file", parse_refused(str(&big), "larger than"));
	buf_reset(&big);
	for (int i = 0; i <= CONFIG_MAX_LISTENERS; i++)
		buf_putf(&big, "Listener?Address=IP:10.0.0.%d+Transport=HTTP/Port = 5985\n", i + 1);
	CHECK("refuse too many listeners", parse_refused(str(&big), "line 17: too many listeners"));
	buf_clear(&big);
	buf_clear(&msg);
}

static void test_listeners(void)
{
	struct config c;
	struct buf msg;

	config_defaults(&c);
	buf_init(&msg, 4096);
	CHECK("create http",
	      config_listener_create(&c, "Address=*+Transport=HTTP", &msg) == ERR_OK);
	CHECK("create https",
	      config_listener_create(&c, "transport=HTTPS+address=ip:127.0.0.1", &msg) == ERR_OK);
	CHECK("create v6",
	      config_listener_create(&c, "Address=IP:0:0::1+Transport=HTTP", &msg) == ERR_OK);
	CHECK("listener defaults",
	      c.nlisteners == 3 && c.listeners[0].port == 5985 && c.listeners[1].port == 5986 &&
		  c.listeners[1].https && strcmp(c.listeners[1].address, "IP:127.0.0.1") == 0 &&
		  strcmp(c.listeners[2].address, "IP:::1") == 0 && c.listeners[0].enabled &&
		  strcmp(c.listeners[0].url_prefix, "wsman") == 0);
	CHECK("print one listener", print_is(&c, "Listener?Address=*+Transport=HTTP",
					     "Listener\n"
					     "    Address = *\n"
					     "    Transport = HTTP\n"
					     "    Port = 5985\n"
					     "    Hostname\n"
					     "    Enabled = true\n"
					     "    URLPrefix = wsman\n"
					     "    CertificateThumbprint\n"
					     "    CertificateFile\n"
					     "    KeyFile\n"));
	buf_reset(&msg);
	CHECK("refuse duplicate",
	      config_listener_create(&c, "Address=*+Transport=HTTP", &msg) == ERR_EXISTS &&
		  strstr(str(&msg), "already exists"));
	buf_reset(&msg);
	CHECK("refuse duplicate in another spelling",
	      config_listener_create(&c, "Address=IP:::0001+Transport=http", &msg) == ERR_EXISTS);
	CHECK("same address, other transport",
	      config_listener_create(&c, "Address=*+Transport=HTTPS", &msg) == ERR_OK &&
		  c.nlisteners == 4);
	CHECK("set listener",
	      set_ok(&c, "listener?Address=*+Transport=HTTPS", "CertificateFile", "cert.pem") &&
		  set_ok(&c, "LISTENER?transport=https+address=*", "Port", "443") &&
		  set_ok(&c, "listener?Address=*+Transport=HTTPS", "Hostname", "host.example") &&
		  c.listeners[3].port == 443 &&
		  strcmp(c.listeners[3].certificate_file, "cert.pem") == 0);
	CHECK("refuse set selector", set_refused(&c, "listener?Address=*+Transport=HTTPS",
						 "Transport", "HTTP", "selector"));
	CHECK("refuse set ListeningOn", set_refused(&c, "listener?Address=*+Transport=HTTPS",
						    "ListeningOn", "x", "read-only"));
	CHECK("set enabled", set_ok(&c, "listener?Address=*+Transport=HTTP", "Enabled", "false"));
	CHECK("listener_at", config_listener_at(&c, 0) == &c.listeners[1] &&
				 config_listener_at(&c, 2) == &c.listeners[3] &&
				 config_listener_at(&c, 3) == NULL);
	char *all = print(&c, "listener");
	CHECK("enumerate separates with a blank line",
	      all && strstr(all, "    KeyFile\n\nListener\n    Address = IP:127.0.0.1\n"));
	free(all);

	buf_reset(&msg);
	CHECK("delete",
	      config_listener_delete(&c, "Address=IP:127.0.0.1+Transport=HTTPS", &msg) == ERR_OK &&
		  c.nlisteners == 3 && strcmp(c.listeners[1].address, "IP:::1") == 0 &&
		  c.listeners[2].port == 443);
	buf_reset(&msg);
	CHECK("delete missing: not found",
	      config_listener_delete(&c, "Address=IP:127.0.0.1+Transport=HTTPS", &msg) ==
		      ERR_NOT_FOUND &&
		  strstr(str(&msg), "no listener"));
	buf_reset(&msg);
	CHECK("refuse bad address",
	      config_listener_create(&c, "Address=IP:1.2.3+Transport=HTTP", &msg) == ERR_CONFIG);
	CHECK("refuse range address",
	      config_listener_create(&c, "Address=IP:1.2.3.4-1.2.3.9+Transport=HTTP", &msg) ==
		  ERR_CONFIG);
	CHECK("refuse no selectors", config_listener_create(&c, "", &msg) == ERR_CONFIG);
	CHECK("refuse junk selectors",
	      config_listener_create(&c, "Address+Transport", &msg) == ERR_CONFIG);

	char sel[64];
	enum err e = ERR_OK;
	for (int i = 0; e == ERR_OK; i++) {
		snprintf(sel, sizeof(sel), "Address=IP:10.0.0.%d+Transport=HTTP", i + 1);
		e = config_listener_create(&c, sel, &msg);
	}
	CHECK("listener limit", e == ERR_CONFIG && c.nlisteners == CONFIG_MAX_LISTENERS);
	char *s = serialize(&c);
	struct config d;
	CHECK("16 listeners round trip", s && config_parse(&d, s, strlen(s), &msg) == ERR_OK &&
					     d.nlisteners == CONFIG_MAX_LISTENERS);
	free(s);
	config_clear(&d);
	buf_clear(&msg);
	config_clear(&c);
	config_clear(&c); /* freeing twice is harmless */
}

/* ---- the XML of Get, and Put ---- */

static char *print_xml(const struct config *c, const char *resource, enum err *e)
{
	struct buf out, msg;
	char *s = NULL;

	buf_init(&out, 1 << 20);
	buf_init(&msg, 4096);
	*e = config_print_xml(c, resource, &out, &msg);
	if (*e == ERR_OK)
		s = strdup(str(&out));
	buf_clear(&out);
	buf_clear(&msg);
	return s;
}

static int xml_is(const struct config *c, const char *resource, const char *want)
{
	enum err e;
	char *got = print_xml(c, resource, &e);
	int ok = want && got && strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "--- want\n%s\n--- got\n%s\n", want ? want : "(none)",
			got ? got : "(error)");
	free(got);
	return ok;
}

/* s with the first `from` replaced by `to` (s is freed). */
static char *replace(char *s, const char *from, const char *to)
{
	char *at = s ? strstr(s, from) : NULL, *r;
	size_t n;

	if (!at) {
		free(s);
		return NULL;
	}
	n = strlen(s) - strlen(from) + strlen(to);
	if ((r = malloc(n + 1)))
		snprintf(r, n + 1, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	free(s);
	return r;
}

/* Section 6.2's GetResponse body, verbatim but for its line breaks (Windows
 * writes none). */
static const char windows_config[] =
    "<cfg:Config xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config\">"
    "<cfg:MaxEnvelopeSizekb>150</cfg:MaxEnvelopeSizekb><cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms>"
    "<cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
    "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests>"
    "<cfg:Client><cfg:NetworkDelayms>5000</cfg:NetworkDelayms><cfg:URLPrefix>wsman</cfg:URLPrefix>"
    "<cfg:AllowUnencrypted>false</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>true</cfg:Basic>"
    "<cfg:Digest>true</cfg:Digest><cfg:Kerberos>true</cfg:Kerberos>"
    "<cfg:Negotiate>true</cfg:Negotiate><cfg:Certificate>true</cfg:Certificate>"
    "<cfg:CredSSP>false</cfg:CredSSP></cfg:Auth><cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP>"
    "<cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts><cfg:TrustedHosts></cfg:TrustedHosts>"
    "</cfg:Client><cfg:Service>"
    "<cfg:RootSDDL>O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"
    "</cfg:RootSDDL><cfg:MaxConcurrentOperations>4294967295</cfg:MaxConcurrentOperations>"
    "<cfg:MaxConcurrentOperationsPerUser>1500</cfg:MaxConcurrentOperationsPerUser>"
    "<cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms>"
    "<cfg:MaxConnections>300</cfg:MaxConnections>"
    "<cfg:MaxPacketRetrievalTimeSeconds>120</cfg:MaxPacketRetrievalTimeSeconds>"
    "<cfg:AllowUnencrypted>false</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>true</cfg:Basic>"
    "<cfg:Kerberos>true</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate>"
    "<cfg:Certificate>false</cfg:Certificate><cfg:CredSSP>true</cfg:CredSSP>"
    "<cfg:CbtHardeningLevel>Relaxed</cfg:CbtHardeningLevel></cfg:Auth><cfg:DefaultPorts>"
    "<cfg:HTTP>5985</cfg:HTTP><cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts>"
    "<cfg:IPv4Filter>*</cfg:IPv4Filter><cfg:IPv6Filter>*</cfg:IPv6Filter>"
    "<cfg:EnableCompatibilityHttpListener>false</cfg:EnableCompatibilityHttpListener>"
    "<cfg:EnableCompatibilityHttpsListener>false</cfg:EnableCompatibilityHttpsListener>"
    "<cfg:CertificateThumbprint></cfg:CertificateThumbprint>"
    "<cfg:AllowRemoteAccess>true</cfg:AllowRemoteAccess></cfg:Service><cfg:Winrs>"
    "<cfg:AllowRemoteShellAccess>true</cfg:AllowRemoteShellAccess>"
    "<cfg:IdleTimeout>7200000</cfg:IdleTimeout>"
    "<cfg:MaxConcurrentUsers>2147483647</cfg:MaxConcurrentUsers>"
    "<cfg:MaxShellRunTime>2147483647</cfg:MaxShellRunTime>"
    "<cfg:MaxProcessesPerShell>2147483647</cfg:MaxProcessesPerShell>"
    "<cfg:MaxMemoryPerShellMB>2147483647</cfg:MaxMemoryPerShellMB>"
    "<cfg:MaxShellsPerUser>2147483647</cfg:MaxShellsPerUser></cfg:Winrs></cfg:Config>";

/* The element names of an XML document in order (opening tags only), or
 * the setting and section names of the text form, one per line. */
static char *names_of(const char *doc, int xml)
{
	size_t n = strlen(doc), o = 0;
	char *out = malloc(n + 1);
	const char *p = doc;

	if (!out)
		return NULL;
	while (*p) {
		size_t len;
		if (xml) {
			if (!(p = strstr(p, "<cfg:")))
				break;
			p += 5;
			len = strcspn(p, " >");
		} else {
			p += strspn(p, " ");
			len = strcspn(p, " \n");
		}
		memcpy(out + o, p, len);
		o += len;
		out[o++] = '\n';
		p += len;
		if (!xml)
			p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
	}
	out[o] = 0;
	return out;
}

/* Text and XML name the same settings and sections in the same order. */
static int same_names(const struct config *c, const char *resource)
{
	enum err e;
	char *t = print(c, resource), *x = print_xml(c, resource, &e);
	char *tn = t ? names_of(t, 0) : NULL, *xn = x ? names_of(x, 1) : NULL;
	int ok = tn && xn && strcmp(tn, xn) == 0;

	if (!ok)
		fprintf(stderr, "--- text names\n%s--- XML names\n%s---\n", tn ? tn : "(error)",
			xn ? xn : "(error)");
	free(t);
	free(x);
	free(tn);
	free(xn);
	return ok;
}

static void test_xml(void)
{
	struct config c;
	struct buf msg;
	char groups[64], line[256], name[CONFIG_MAX_ELEMENT];
	char *want, *got;
	enum err e;

	config_defaults(&c);
	buf_init(&msg, 4096);
	admin_groups(groups, sizeof(groups));
	/* What differs from that Windows host: it had MaxEnvelopeSizekb set
	 * to 150 and the service's Basic and CredSSP on; our MaxShellsPerUser
	 * default is 30; our own settings end cfg:Service. */
	want = strdup(windows_config);
	want = replace(want, ">150<", ">500<");
	want = replace(want, "<cfg:Auth><cfg:Basic>true</cfg:Basic><cfg:Kerberos>",
		       "<cfg:Auth><cfg:Basic>false</cfg:Basic><cfg:Kerberos>");
	want = replace(want, "<cfg:CredSSP>true<", "<cfg:CredSSP>false<");
	want = replace(want, "<cfg:MaxShellsPerUser>2147483647<", "<cfg:MaxShellsPerUser>30<");
	snprintf(line, sizeof(line),
		 "<cfg:AdminGroups>%s</cfg:AdminGroups>"
		 "<cfg:RemoteUsersGroup>winrm-users</cfg:RemoteUsersGroup></cfg:Service>",
		 groups);
	want = replace(want, "</cfg:Service>", line);
	CHECK("xml root: section 6.2's document with our defaults", xml_is(&c, "", want));
	free(want);
	CHECK(
	    "xml sub-resource: own root element, namespace = its URI",
	    xml_is(&c, "Service/AUTH",
		   "<cfg:Auth xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config/service/"
		   "auth\"><cfg:Basic>false</cfg:Basic><cfg:Kerberos>true</cfg:Kerberos>"
		   "<cfg:Negotiate>true</cfg:Negotiate><cfg:Certificate>false</cfg:Certificate>"
		   "<cfg:CredSSP>false</cfg:CredSSP><cfg:CbtHardeningLevel>Relaxed</"
		   "cfg:CbtHardeningLevel>"
		   "</cfg:Auth>"));
	got = print_xml(&c, "client", &e);
	CHECK("xml client: nested Auth and DefaultPorts, then TrustedHosts",
	      got &&
		  strstr(got, "<cfg:Client xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/"
			      "config/client\"><cfg:NetworkDelayms>") == got &&
		  strstr(got, "</cfg:DefaultPorts><cfg:TrustedHosts></cfg:TrustedHosts>"
			      "</cfg:Client>"));
	free(got);
	CHECK("text and XML list the same names: root", same_names(&c, ""));
	CHECK("text and XML list the same names: service", same_names(&c, "service"));

	CHECK("set text with markup", set_ok(&c, "client", "TrustedHosts", "a<b&\"c\">"));
	got = print_xml(&c, "client", &e);
	CHECK("xml escapes values",
	      got &&
		  strstr(got, "<cfg:TrustedHosts>a&lt;b&amp;&quot;c&quot;&gt;</cfg:TrustedHosts>"));
	free(got);

	config_listener_create(&c, "Address=IP:127.0.0.1+Transport=HTTP", &msg);
	config_listener_create(&c, "Address=*+Transport=HTTPS", &msg);
	config_listener_create(&c, "Address=IP:::1+Transport=HTTP", &msg);
	set_ok(&c, "listener?Address=IP:::1+Transport=HTTP", "Enabled", "false");
	CHECK("xml listener: section 6.7's shape, ListeningOn its address",
	      xml_is(&c, "Listener?Address=IP:127.0.0.1+Transport=HTTP",
		     "<cfg:Listener xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config/"
		     "listener\"><cfg:Address>IP:127.0.0.1</cfg:Address><cfg:Transport>HTTP"
		     "</cfg:Transport><cfg:Port>5985</cfg:Port><cfg:Hostname></cfg:Hostname>"
		     "<cfg:Enabled>true</cfg:Enabled><cfg:URLPrefix>wsman</cfg:URLPrefix>"
		     "<cfg:CertificateThumbprint></cfg:CertificateThumbprint>"
		     "<cfg:ListeningOn>127.0.0.1</cfg:ListeningOn><cfg:CertificateFile>"
		     "</cfg:CertificateFile><cfg:KeyFile></cfg:KeyFile></cfg:Listener>"));
	got = print_xml(&c, "listener?Address=*+Transport=HTTPS", &e);
	CHECK("xml listener *: every address, loopback included",
	      got && strstr(got, "<cfg:ListeningOn>127.0.0.1</cfg:ListeningOn>"));
	free(got);
	got = print_xml(&c, "listener?Address=IP:::1+Transport=HTTP", &e);
	CHECK("xml disabled listener: listening on nothing", got && !strstr(got, "ListeningOn"));
	free(got);
	CHECK("text and XML list the same names: a disabled listener",
	      same_names(&c, "listener?Address=IP:::1+Transport=HTTP"));
	got = print_xml(&c, "listener", &e);
	CHECK("xml all listeners: one document after another",
	      got && strstr(got, "</cfg:Listener><cfg:Listener xmlns:cfg="));
	free(got);
	got = print_xml(&c, "listener?Address=IP:10.0.0.1+Transport=HTTP", &e);
	CHECK("xml missing listener: not found", !got && e == ERR_NOT_FOUND);
	got = print_xml(&c, "service/nothing", &e);
	CHECK("xml unknown resource", !got && e == ERR_CONFIG);

	CHECK("resource: root",
	      config_resource_of("", name) == CONFIG_RES_SINGLETON && strcmp(name, "Config") == 0);
	CHECK("resource: service/defaultports",
	      config_resource_of("service/DEFAULTPORTS", name) == CONFIG_RES_SINGLETON &&
		  strcmp(name, "DefaultPorts") == 0);
	CHECK("resource: winrs", config_resource_of("winrs", name) == CONFIG_RES_SINGLETON &&
				     strcmp(name, "Winrs") == 0);
	CHECK("resource: listener", config_resource_of("Listener", name) == CONFIG_RES_COLLECTION &&
					strcmp(name, "Listener") == 0);
	CHECK("resource: service/certmapping",
	      config_resource_of("service/CertMapping", name) == CONFIG_RES_COLLECTION &&
		  strcmp(name, "CertMapping") == 0);
	CHECK("resource: unknown",
	      config_resource_of("service/certmappings", name) == CONFIG_RES_UNKNOWN &&
		  config_resource_of("service/nosuch", name) == CONFIG_RES_UNKNOWN &&
		  config_resource_of("listener?Address=*", name) == CONFIG_RES_UNKNOWN &&
		  config_resource_of("servic", name) == CONFIG_RES_UNKNOWN);
	buf_clear(&msg);
	config_clear(&c);
}

/* config_put on a copy of c: the error, errmsg holding needle (when the
 * put fails), and the copy kept in c only on success. */
static enum err put(struct config *c, const char *resource, const struct config_pair *pairs,
		    size_t n, const char *needle)
{
	struct config d;
	struct buf msg;
	char *text = serialize(c);
	enum err e;

	buf_init(&msg, 4096);
	config_parse(&d, text, strlen(text), &msg);
	e = config_put(&d, resource, pairs, n, &msg);
	if (e == ERR_OK) {
		config_clear(c);
		*c = d;
	} else {
		if (!needle || !strstr(str(&msg), needle)) {
			fprintf(stderr, "put %s: \"%s\", wanted \"%s\"\n", resource, str(&msg),
				needle ? needle : "(success)");
			e = ERR_INTERNAL;
		}
		config_clear(&d);
	}
	free(text);
	buf_clear(&msg);
	return e;
}

#define NPAIRS(a) (sizeof(a) / sizeof(a[0]))

static void test_put(void)
{
	struct config c;
	struct buf msg;

	config_defaults(&c);
	buf_init(&msg, 4096);
	/* The root as `winrm set winrm/config` sends it: everything, read-only
	 * settings included, nested sections by path. */
	const struct config_pair root[] = {
	    {"MaxEnvelopeSizekb", "500"},
	    {"MaxProviderRequests", "4294967295"},
	    {"Client/Auth/Basic", "false"},
	    {"Client/TrustedHosts", NULL},
	    {"Service/MaxConcurrentOperations", " 4294967295 "},
	    {"Service/AllowRemoteAccess", "TRUE"},
	    {"Service/Auth/CbtHardeningLevel", "strict"},
	    {"Winrs/MaxShellsPerUser", "5"},
	};
	CHECK("put root", put(&c, "", root, NPAIRS(root), NULL) == ERR_OK &&
			      c.client.auth.basic == 0 && c.winrs.max_shells_per_user == 5 &&
			      c.service.auth.cbt_hardening_level == CONFIG_CBT_STRICT &&
			      strcmp(c.client.trusted_hosts, "") == 0);
	const struct config_pair auth[] = {{"Basic", "true"}, {"Kerberos", "false"}};
	CHECK("put a sub-resource", put(&c, "service/AUTH", auth, NPAIRS(auth), NULL) == ERR_OK &&
					c.service.auth.basic && !c.service.auth.kerberos);
	const struct config_pair service[] = {{"Auth/Negotiate", "false"},
					      {"AllowUnencrypted", "true"}};
	CHECK("put nested under a sub-resource",
	      put(&c, "service", service, NPAIRS(service), NULL) == ERR_OK &&
		  !c.service.auth.negotiate && c.service.allow_unencrypted);

	const struct config_pair unknown[] = {{"MaxShellsPerUser", "3"}, {"Bogus", "1"}};
	CHECK("put unknown setting: refused, nothing kept",
	      put(&c, "winrs", unknown, NPAIRS(unknown),
		  "unknown setting Bogus in winrm/config/winrs") == ERR_CONFIG &&
		  c.winrs.max_shells_per_user == 5);
	const struct config_pair bad[] = {{"MaxShellsPerUser", "x"}};
	CHECK("put bad value",
	      put(&c, "winrs", bad, 1, "MaxShellsPerUser: \"x\" is not a number") == ERR_CONFIG);
	const struct config_pair ro[] = {{"MaxConcurrentOperations", "5"}};
	CHECK("put read-only changed", put(&c, "service", ro, 1, "read-only") == ERR_CONFIG);
	const struct config_pair ro_null[] = {{"AllowRemoteAccess", NULL}};
	CHECK("put read-only $null", put(&c, "service", ro_null, 1, "$null") == ERR_CONFIG);
	const struct config_pair twice[] = {{"Basic", "true"}, {"BASIC", "true"}};
	CHECK("put a setting twice",
	      put(&c, "service/auth", twice, 2, "given twice") == ERR_CONFIG);
	const struct config_pair section[] = {{"Auth", ""}};
	CHECK("put a section as a value",
	      put(&c, "service", section, 1, "unknown setting Auth") == ERR_CONFIG);
	const struct config_pair nowhere[] = {{"Nothing/X", "1"}};
	CHECK("put into an unknown sub-resource",
	      put(&c, "", nowhere, 1, "unknown resource winrm/config/Nothing") == ERR_CONFIG);
	CHECK("put to an unknown resource",
	      put(&c, "service/x", auth, 1, "unknown resource") == ERR_CONFIG);

	config_listener_create(&c, "Address=IP:::1+Transport=HTTP", &msg);
	const struct config_pair listener[] = {
	    {"Address", "IP:0:0::1"}, {"Transport", "http"}, {"Port", "6000"},
	    {"ListeningOn", "::1"},   {"ListeningOn", "x"},  {"Hostname", NULL},
	};
	CHECK("put listener: selectors and ListeningOn sent back unchanged",
	      put(&c, "listener?Address=IP:::1+Transport=HTTP", listener, NPAIRS(listener), NULL) ==
		      ERR_OK &&
		  c.listeners[0].port == 6000);
	const struct config_pair rename[] = {{"Transport", "HTTPS"}};
	CHECK("put listener: a selector changed", put(&c, "listener?Address=IP:::1+Transport=HTTP",
						      rename, 1, "selector") == ERR_CONFIG);
	const struct config_pair nested[] = {{"Auth/Basic", "true"}};
	CHECK("put listener: nothing nested", put(&c, "listener?Address=IP:::1+Transport=HTTP",
						  nested, 1, "unknown setting") == ERR_CONFIG);
	CHECK("put missing listener", put(&c, "listener?Address=*+Transport=HTTP", rename, 1,
					  "no listener") == ERR_NOT_FOUND);
	buf_clear(&msg);
	config_clear(&c);
}

/* Service/Auth's Linux-only settings: absent from the Windows-shaped
 * output at their defaults, shown (text and XML alike) once set. */
static void test_linux_auth(void)
{
	static const char windows_auth[] = "Auth\n"
					   "    Basic = false\n"
					   "    Kerberos = true\n"
					   "    Negotiate = true\n"
					   "    Certificate = false\n"
					   "    CredSSP = false\n"
					   "    CbtHardeningLevel = Relaxed\n";
	struct config c, d;
	struct buf msg;
	char *text, *got;
	enum err e;

	buf_init(&msg, 4096);
	config_defaults(&c);
	CHECK("linux auth: defaults", strcmp(c.service.auth.keytab, "") == 0 &&
					  strcmp(c.service.auth.service_principal_names, "") == 0 &&
					  c.service.auth.ntlm_winbind == 0);
	CHECK("linux auth: hidden at defaults", print_is(&c, "service/auth", windows_auth));
	got = print_xml(&c, "service/auth", &e);
	CHECK("linux auth: hidden from XML at defaults",
	      got && !strstr(got, "Keytab") && !strstr(got, "Ntlm") && !strstr(got, "Principal"));
	free(got);

	CHECK("linux auth: set Keytab",
	      set_ok(&c, "service/auth", "keytab", "/etc/winrm/http.keytab"));
	CHECK("linux auth: set ServicePrincipalNames",
	      set_ok(&c, "Service/Auth", "ServicePrincipalNames",
		     "HTTP/localhost,HTTP/web.example.com@EXAMPLE.COM,host/10.0.0.1"));
	CHECK("linux auth: set NtlmWinbind", set_ok(&c, "service/auth", "NtlmWinbind", "TRUE"));
	CHECK("linux auth: fields",
	      strcmp(c.service.auth.keytab, "/etc/winrm/http.keytab") == 0 &&
		  strcmp(c.service.auth.service_principal_names,
			 "HTTP/localhost,HTTP/web.example.com@EXAMPLE.COM,host/10.0.0.1") == 0 &&
		  c.service.auth.ntlm_winbind == 1);
	CHECK("linux auth: shown once set, after Windows' settings",
	      print_is(&c, "service/auth",
		       "Auth\n"
		       "    Basic = false\n"
		       "    Kerberos = true\n"
		       "    Negotiate = true\n"
		       "    Certificate = false\n"
		       "    CredSSP = false\n"
		       "    CbtHardeningLevel = Relaxed\n"
		       "    Keytab = /etc/winrm/http.keytab\n"
		       "    ServicePrincipalNames = "
		       "HTTP/localhost,HTTP/web.example.com@EXAMPLE.COM,host/10.0.0.1\n"
		       "    NtlmWinbind = true\n"));
	CHECK("linux auth: text and XML list the same names", same_names(&c, "service"));
	got = print_xml(&c, "service/auth", &e);
	CHECK("linux auth: XML once set",
	      got &&
		  strstr(got, "<cfg:CbtHardeningLevel>Relaxed</cfg:CbtHardeningLevel>"
			      "<cfg:Keytab>/etc/winrm/http.keytab</cfg:Keytab>"
			      "<cfg:ServicePrincipalNames>HTTP/localhost,") &&
		  strstr(got, "<cfg:NtlmWinbind>true</cfg:NtlmWinbind></cfg:Auth>"));
	free(got);

	text = serialize(&c);
	CHECK("linux auth: stored",
	      text && strstr(text, "Service/Auth/Keytab = /etc/winrm/http.keytab\n") &&
		  strstr(text, "Service/Auth/NtlmWinbind = true\n"));
	CHECK("linux auth: round trip",
	      text && config_parse(&d, text, strlen(text), &msg) == ERR_OK &&
		  strcmp(d.service.auth.keytab, c.service.auth.keytab) == 0 &&
		  strcmp(d.service.auth.service_principal_names,
			 c.service.auth.service_principal_names) == 0 &&
		  d.service.auth.ntlm_winbind == 1);
	config_clear(&d);
	free(text);

	CHECK("linux auth: relative keytab refused",
	      set_refused(&c, "service/auth", "Keytab", "http.keytab", "absolute path"));
	CHECK("linux auth: bad boolean refused",
	      set_refused(&c, "service/auth", "NtlmWinbind", "maybe", "false or true"));
	static const char *const bad_names[] = {
	    "HTTP",
	    "HTTP/",
	    "/localhost",
	    "HTTP/localhost,",
	    ",HTTP/localhost",
	    "HTTP/a, HTTP/b",
	    "HTTP/a b",
	    "HTTP/a@",
	    "HTTP/a@B@C",
	    "HTTP/a/b",
	    "HT TP/localhost",
	    "HTTP/a;HTTP/b",
	};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		char label[96];
		snprintf(label, sizeof(label), "linux auth: principal list \"%s\" refused",
			 bad_names[i]);
		CHECK(label, set_refused(&c, "service/auth", "ServicePrincipalNames", bad_names[i],
					 "SERVICE/HOST[@REALM]"));
	}
	CHECK("linux auth: parse refuses a relative keytab",
	      parse_refused("Service/Auth/Keytab = krb5.keytab\n", "absolute path"));
	CHECK("linux auth: parse refuses a bad principal list",
	      parse_refused("Service/Auth/ServicePrincipalNames = localhost\n", "SERVICE/HOST"));
	CHECK("linux auth: parse refuses a bad boolean",
	      parse_refused("Service/Auth/NtlmWinbind = yes\n", "false or true"));

	CHECK("linux auth: $null empties",
	      set_ok(&c, "service/auth", "Keytab", NULL) &&
		  set_ok(&c, "service/auth", "ServicePrincipalNames", "") &&
		  set_ok(&c, "service/auth", "NtlmWinbind", "false"));
	CHECK("linux auth: hidden again at defaults", print_is(&c, "service/auth", windows_auth));
	const struct config_pair pairs[] = {{"Auth/Keytab", "/k"}, {"Auth/NtlmWinbind", "true"}};
	CHECK("linux auth: put", put(&c, "service", pairs, 2, NULL) == ERR_OK &&
				     strcmp(c.service.auth.keytab, "/k") == 0 &&
				     c.service.auth.ntlm_winbind == 1);
	buf_clear(&msg);
	config_clear(&c);
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_save_load(void)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[256];
	struct config c, d;
	struct buf msg;
	struct stat st;
	FILE *f;

	buf_init(&msg, 4096);
	CHECK("mkdtemp", mkdtemp(dir) != NULL);
	CHECK("load missing file gives defaults",
	      config_load(&c, dir, &msg) == ERR_OK && c.winrs.max_shells_per_user == 30);
	set_ok(&c, "service", "AllowUnencrypted", "true");
	config_listener_create(&c, "Address=*+Transport=HTTP", &msg);
	mode_t old = umask(077);
	CHECK("save", config_save(&c, dir) == ERR_OK);
	umask(old);
	snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_FILE);
	CHECK("saved mode 0644", stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK("no temporary file left", dir_entries(dir) == 1);
	CHECK("save again", config_save(&c, dir) == ERR_OK && dir_entries(dir) == 1);
	CHECK("load", config_load(&d, dir, &msg) == ERR_OK && d.service.allow_unencrypted == 1 &&
			  d.nlisteners == 1 && d.listeners[0].port == 5985);
	config_clear(&d);

	f = fopen(path, "w");
	fputs("MaxTimeoutms = 600\nWinrs/Bogus = 1\n", f);
	fclose(f);
	buf_reset(&msg);
	CHECK("load names file and line",
	      config_load(&d, dir, &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "winrm.conf: line 2: unknown setting"));
	config_clear(&d);
	CHECK("save to a missing directory fails", config_save(&c, "/nonexistent/dir") == ERR_IO);
	unlink(path);
	rmdir(dir);
	config_clear(&c);
	buf_clear(&msg);
}

static int hash_is(const char *password, const char *want_hex)
{
	unsigned char hash[NTLM_HASH_LEN];
	char hex[2 * NTLM_HASH_LEN + 1];

	if (ntlm_nt_hash(password, hash) != ERR_OK)
		return 0;
	for (size_t i = 0; i < NTLM_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02X", hash[i]);
	if (strcmp(hex, want_hex) != 0)
		fprintf(stderr, "NT hash of \"%s\": %s, wanted %s\n", password, hex, want_hex);
	return strcmp(hex, want_hex) == 0;
}

static char *read_text(const char *path)
{
	static char text[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	return text;
}

static void test_ntlm_users(void)
{
	static const char line_a[] =
	    "alice:1001:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:A4F49C406510BDCAB6824EE7C30FD852:"
	    "[U          ]:LCT-5F5E1000:\n";
	char computer[NTLM_MAX_COMPUTER_NAME + 1], want[256], prefix[64];
	char dir[] = "/tmp/test_ntlm.XXXXXX", path[256], *text;
	unsigned char hash[NTLM_HASH_LEN];
	struct buf msg, out;
	struct stat st;
	FILE *f;

	/* MS-NLMP 4.2.1; the others from OpenSSL's MD4 over iconv's UTF-16LE. */
	CHECK("nt hash: MS-NLMP vector", hash_is("Password", "A4F49C406510BDCAB6824EE7C30FD852"));
	CHECK("nt hash: empty", hash_is("", "31D6CFE0D16AE931B73C59D7E0C089C0"));
	CHECK(
	    "nt hash: non-ASCII and beyond the BMP (a surrogate pair)",
	    hash_is("p\xc3\xa4ssw\xc3\xb6rd\xf0\x9f\x98\x80", "A395E2E215E896A8EC4B1657B229F081"));
	static const char *const bad_utf8[] = {
	    "caf\xe9",		/* Latin-1 */
	    "\xc0\xaf",		/* overlong '/' */
	    "\xe0\x80\xaf",	/* overlong, three bytes */
	    "\xed\xa0\x80",	/* a UTF-16 surrogate */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "ab\xe2\x82",	/* truncated */
	    "\x80",		/* a lone continuation byte */
	    "\xf8\x88\x80\x80\x80",
	};
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++)
		CHECK("nt hash: invalid UTF-8 refused",
		      ntlm_nt_hash(bad_utf8[i], hash) == ERR_FORMAT);

	buf_init(&msg, 4096);
	buf_init(&out, 4096);
	CHECK("ntlm: mkdtemp", mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_NTLM_USERS);
	CHECK("ntlm: list of no file is empty",
	      ntlm_users_list(dir, &out, &msg) == ERR_OK && buf_len(&out) == 0);
	CHECK("ntlm: delete from no file",
	      ntlm_users_delete(dir, "alice", &msg) == ERR_NOT_FOUND && access(path, F_OK) != 0);
	ntlm_nt_hash("Password", hash);
	mode_t old = umask(0);
	CHECK("ntlm: set", ntlm_users_set(dir, "alice", 1001, hash, 0x5F5E1000, &msg) == ERR_OK);
	umask(old);
	CHECK("ntlm: mode 0600", stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	ntlm_computer_name(computer);
	CHECK("ntlm: the computer name is a NetBIOS name",
	      computer[0] && strlen(computer) <= 15 && !strchr(computer, '.'));
	for (const char *c = computer; *c; c++)
		CHECK("ntlm: the computer name is upper case", !islower((unsigned char)*c));
	snprintf(want, sizeof(want), "%s\\%s", computer, line_a);
	CHECK("ntlm: the smbpasswd line", (text = read_text(path)) && strcmp(text, want) == 0);

	/* Foreign lines (a comment, a last line without '\n') are kept. */
	f = fopen(path, "w");
	fputs("# comment\nalice:1:old\nOTHER\\bob:1002:x", f);
	fclose(f);
	snprintf(prefix, sizeof(prefix), "# comment\n%s\\alice:1001:", computer);
	CHECK("ntlm: set replaces in place",
	      ntlm_users_set(dir, "alice", 1001, hash, 0x5F5E1000, &msg) == ERR_OK &&
		  (text = read_text(path)) && strncmp(text, prefix, strlen(prefix)) == 0 &&
		  strstr(text, ":LCT-5F5E1000:\nOTHER\\bob:1002:x\n") &&
		  strlen(text) == 10 + strlen(want) + 17);
	CHECK("ntlm: set appends", ntlm_users_set(dir, "carol", 7, hash, 1, &msg) == ERR_OK &&
				       (text = read_text(path)) && strstr(text, "\\carol:7:") &&
				       strstr(text, ":LCT-00000001:\n"));
	buf_reset(&out);
	CHECK("ntlm: list", ntlm_users_list(dir, &out, &msg) == ERR_OK &&
				buf_len(&out) == strlen("alice\nbob\ncarol\n") &&
				memcmp(buf_ptr(&out), "alice\nbob\ncarol\n", buf_len(&out)) == 0);
	CHECK("ntlm: delete", ntlm_users_delete(dir, "bob", &msg) == ERR_OK &&
				  (text = read_text(path)) && !strstr(text, "bob"));
	CHECK("ntlm: names compare exactly",
	      ntlm_users_delete(dir, "Alice", &msg) == ERR_NOT_FOUND &&
		  ntlm_users_delete(dir, "alic", &msg) == ERR_NOT_FOUND);
	buf_reset(&msg);
	CHECK("ntlm: a ':' in the name refused",
	      ntlm_users_set(dir, "a:b", 1, hash, 1, &msg) == ERR_CONFIG &&
		  strstr((const char *)buf_ptr(&msg), "':'"));
	CHECK("ntlm: newline, backslash, empty, comment names refused",
	      ntlm_users_set(dir, "a\nb", 1, hash, 1, &msg) == ERR_CONFIG &&
		  ntlm_users_set(dir, "D\\b", 1, hash, 1, &msg) == ERR_CONFIG &&
		  ntlm_users_set(dir, "", 1, hash, 1, &msg) == ERR_CONFIG &&
		  ntlm_users_set(dir, "#x", 1, hash, 1, &msg) == ERR_CONFIG);
	/* A logon is matched to its entry as gss-ntlmssp matches it. */
	char name[NTLM_MAX_NAME + 1];
	uint32_t uid = 0;
	CHECK("ntlm: a logon matches its entry whatever the capitals",
	      ntlm_users_match(dir, "ALICE", name, &uid, &msg) == ERR_OK &&
		  strcmp(name, "alice") == 0 && uid == 1001);
	/* Beyond ASCII, case is the locale's. winrmd, like this test, runs
	 * in the C locale, where ulc_casecmp refuses other bytes: neither
	 * gss-ntlmssp nor the match finds such a name's entry. */
	CHECK("ntlm: beyond ASCII in the C locale, no entry matches",
	      ntlm_users_set(dir, "\xc3\xa9mile", 9, hash, 1, &msg) == ERR_OK &&
		  ntlm_users_match(dir, "\xc3\xa9mile", name, &uid, &msg) == ERR_NOT_FOUND &&
		  ntlm_users_delete(dir, "\xc3\xa9mile", &msg) == ERR_OK);
	CHECK("ntlm: a logon with no entry",
	      ntlm_users_match(dir, "alic", name, &uid, &msg) == ERR_NOT_FOUND);
	buf_reset(&msg);
	CHECK("ntlm: a name that differs from an entry's only in case refused",
	      ntlm_users_set(dir, "Alice", 1002, hash, 1, &msg) == ERR_CONFIG &&
		  strstr((const char *)buf_ptr(&msg), "differs from Alice only in case"));
	f = fopen(path, "a");
	fputs("OTHER\\ALICE:1003:X:Y:[U          ]:LCT-1:\n", f);
	fclose(f);
	buf_reset(&msg);
	CHECK("ntlm: a logon that two entries match is not told apart",
	      ntlm_users_match(dir, "alice", name, &uid, &msg) == ERR_CONFIG &&
		  strstr((const char *)buf_ptr(&msg), "2 entries"));
	ntlm_users_delete(dir, "ALICE", &msg);
	CHECK("ntlm: no temporary file left", dir_entries(dir) == 1);
	CHECK("ntlm: missing directory",
	      ntlm_users_set("/nonexistent/dir", "alice", 1, hash, 1, &msg) == ERR_IO);
	unlink(path);
	rmdir(dir);
	buf_clear(&msg);
	buf_clear(&out);
}

/* Whether f lets a peer at text address a (IPv4 or IPv6) connect. */
static int allows(const struct config_filter *f, const char *a)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, a, bin) == 1)
		return config_filter_allows(f, AF_INET, bin);
	return inet_pton(AF_INET6, a, bin) == 1 && config_filter_allows(f, AF_INET6, bin);
}

/* A filter of n single IPv4 addresses 10.0.0.1, 10.0.0.2, ... */
static void address_list(char *out, size_t len, unsigned n)
{
	size_t o = 0;

	out[0] = 0;
	for (unsigned i = 1; i <= n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s10.0.%u.%u", i > 1 ? "," : "", i / 256,
				      i % 256);
}

static void test_filters(void)
{
	static const char stored[] = "Service/IPv4Filter = 127.0.0.1, 10.1.0.0-10.1.255.255\n"
				     "Service/IPv6Filter = [2001:db8::]-[2001:db8::ffff]\n";
	struct config c;
	struct buf msg;
	char padded[300], list[4096];

	config_defaults(&c);
	CHECK("filter default *: anyone of its family",
	      allows(&c.service.ipv4_filter, "0.0.0.0") &&
		  allows(&c.service.ipv4_filter, "255.255.255.255") &&
		  allows(&c.service.ipv6_filter, "::1") &&
		  allows(&c.service.ipv6_filter, "ffff::1"));
	CHECK("filter: never another family's address",
	      !allows(&c.service.ipv4_filter, "::1") &&
		  !allows(&c.service.ipv6_filter, "10.0.0.1"));

	CHECK("filter list with blanks and a range",
	      set_ok(&c, "service", "IPv4Filter", "10.0.0.1-10.0.0.255, 192.168.1.7"));
	CHECK("filter range ends match", allows(&c.service.ipv4_filter, "10.0.0.1") &&
					     allows(&c.service.ipv4_filter, "10.0.0.255") &&
					     allows(&c.service.ipv4_filter, "10.0.0.128"));
	CHECK("filter outside the range", !allows(&c.service.ipv4_filter, "10.0.0.0") &&
					      !allows(&c.service.ipv4_filter, "10.0.1.0") &&
					      !allows(&c.service.ipv4_filter, "9.255.255.255"));
	CHECK("filter single address", allows(&c.service.ipv4_filter, "192.168.1.7") &&
					   !allows(&c.service.ipv4_filter, "192.168.1.8") &&
					   !allows(&c.service.ipv4_filter, "192.168.1.6"));
	CHECK("filter text kept as written",
	      strcmp(c.service.ipv4_filter.text, "10.0.0.1-10.0.0.255, 192.168.1.7") == 0);

	CHECK("filter IPv6 in brackets and a range",
	      set_ok(&c, "service", "IPv6Filter", "[::1],fe80::1-[fe80::ff]"));
	CHECK("filter IPv6 matches", allows(&c.service.ipv6_filter, "::1") &&
					 allows(&c.service.ipv6_filter, "fe80::1") &&
					 allows(&c.service.ipv6_filter, "fe80::80") &&
					 allows(&c.service.ipv6_filter, "fe80::ff"));
	CHECK("filter IPv6 outside",
	      !allows(&c.service.ipv6_filter, "::2") &&
		  !allows(&c.service.ipv6_filter, "fe80::100") &&
		  !allows(&c.service.ipv6_filter, "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

	CHECK("filter empty: no one", set_ok(&c, "service", "IPv4Filter", "") &&
					  !allows(&c.service.ipv4_filter, "127.0.0.1") &&
					  !allows(&c.service.ipv4_filter, "0.0.0.0"));
	CHECK("filter $null: no one", set_ok(&c, "service", "IPv6Filter", NULL) &&
					  strcmp(c.service.ipv6_filter.text, "") == 0 &&
					  !allows(&c.service.ipv6_filter, "::1"));
	CHECK("filter * again", set_ok(&c, "service", "IPv4Filter", "*") &&
				    allows(&c.service.ipv4_filter, "8.8.8.8"));

	/* The network process's old matcher gave up at an entry of 128 bytes
	 * or more (blanks count) and refused everyone after it; what the
	 * configuration accepts is now what is matched. */
	snprintf(padded, sizeof(padded), "10.0.0.1,%200s", "10.0.0.2");
	CHECK("filter long blank-padded entry", set_ok(&c, "service", "IPv4Filter", padded) &&
						    allows(&c.service.ipv4_filter, "10.0.0.2") &&
						    allows(&c.service.ipv4_filter, "10.0.0.1"));

	address_list(list, sizeof(list), CONFIG_MAX_FILTER_RANGES);
	CHECK("filter at its limit of entries",
	      set_ok(&c, "service", "IPv4Filter", list) &&
		  c.service.ipv4_filter.n == CONFIG_MAX_FILTER_RANGES &&
		  allows(&c.service.ipv4_filter, "10.0.0.1") &&
		  allows(&c.service.ipv4_filter, "10.0.0.64") &&
		  !allows(&c.service.ipv4_filter, "10.0.0.65"));
	address_list(list, sizeof(list), CONFIG_MAX_FILTER_RANGES + 1);
	CHECK("refuse filter over its limit",
	      set_refused(&c, "service", "IPv4Filter", list, "more than 64 entries"));
	CHECK("refusal keeps the ranges in force",
	      allows(&c.service.ipv4_filter, "10.0.0.64") &&
		  !allows(&c.service.ipv4_filter, "10.0.0.65"));
	CHECK("refuse IPv4 in brackets",
	      set_refused(&c, "service", "IPv4Filter", "[10.0.0.1]", "IPv4"));
	CHECK("refuse one bracket", set_refused(&c, "service", "IPv6Filter", "[::1", "IPv6") &&
					set_refused(&c, "service", "IPv6Filter", "::1]", "IPv6"));
	CHECK("refuse a range inside brackets",
	      set_refused(&c, "service", "IPv6Filter", "[::1-::2]", "IPv6"));
	CHECK("refuse blanks around the dash",
	      set_refused(&c, "service", "IPv4Filter", "10.0.0.1 - 10.0.0.2", "IPv4"));
	CHECK("refuse a half range",
	      set_refused(&c, "service", "IPv4Filter", "10.0.0.1-", "IPv4") &&
		  set_refused(&c, "service", "IPv4Filter", "-10.0.0.1", "IPv4"));
	CHECK("refuse an IPv6 zone",
	      set_refused(&c, "service", "IPv6Filter", "fe80::1%eth0", "IPv6"));
	config_clear(&c);

	buf_init(&msg, 4096);
	CHECK("filters from the stored format",
	      config_parse(&c, stored, strlen(stored), &msg) == ERR_OK);
	CHECK("stored filters match", allows(&c.service.ipv4_filter, "127.0.0.1") &&
					  allows(&c.service.ipv4_filter, "10.1.200.3") &&
					  !allows(&c.service.ipv4_filter, "10.2.0.0") &&
					  allows(&c.service.ipv6_filter, "2001:db8::ab") &&
					  !allows(&c.service.ipv6_filter, "2001:db8::1:0"));
	config_clear(&c);
	CHECK("stored filter refused with its line",
	      parse_refused("Service/IPv6Filter = ::1-::0\n", "line 1: IPv6Filter") &&
		  parse_refused("Service/IPv4Filter = 1.2.3.4,,\n", "empty entry"));
	buf_clear(&msg);
}

/* winrm/config/plugin: the PowerShell session configurations. */
static void test_plugins(void)
{
	struct config c, d;
	struct buf msg;
	const struct config_plugin *pl;
	char *text;

	buf_init(&msg, 4096);
	CHECK("defaults: the two endpoints", config_defaults(&c) == ERR_OK && c.nplugins == 2 &&
						 config_plugin_find(&c, "microsoft.powershell") &&
						 config_plugin_find(&c, "PowerShell.7") &&
						 !config_plugin_isolated(&c.plugins[0]));
	CHECK("create",
	      config_instance_create(&c, "plugin?Name=DnsOps", &msg) == ERR_OK && c.nplugins == 3);
	CHECK("create twice", config_instance_create(&c, "Plugin?name=DNSOPS", &msg) == ERR_EXISTS);
	CHECK("refuse a bad name",
	      config_instance_create(&c, "plugin?Name=../x", &msg) == ERR_CONFIG &&
		  config_instance_create(&c, "plugin?Name=", &msg) == ERR_CONFIG &&
		  config_instance_create(&c, "plugin?Address=*", &msg) == ERR_CONFIG);
	set_ok(&c, "plugin?Name=dnsops", "RunAsUser", "dnsbot");
	set_ok(&c, "plugin?Name=DnsOps", "AllowedGroups", "dnsops,netops");
	set_ok(&c, "plugin?Name=DnsOps", "ConfigFilePath", "/etc/winrm/dnsops.pssc");
	buf_reset(&msg);
	CHECK("refuse a relative pssc",
	      config_set(&c, "plugin?Name=DnsOps", "ConfigFilePath", "x.pssc", &msg) == ERR_CONFIG);
	CHECK("refuse two RunAs accounts",
	      config_set(&c, "plugin?Name=DnsOps", "RunAsUser", "a,b", &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "one account name"));
	CHECK("refuse a selector change",
	      config_set(&c, "plugin?Name=DnsOps", "Name", "Other", &msg) == ERR_CONFIG);
	pl = config_plugin_find(&c, "dnsops");
	CHECK("found, isolated", pl && config_plugin_isolated(pl) &&
				     strcmp(pl->run_as_user, "dnsbot") == 0 && pl->enabled);
	text = print(&c, "plugin?Name=DnsOps");
	CHECK("get", text && strstr(text, "PlugInConfiguration\n    Name = DnsOps\n") &&
			 strstr(text, "    AllowedGroups = dnsops,netops\n"));
	free(text);
	text = serialize(&c);
	CHECK("round trip", text && config_parse(&d, text, strlen(text), &msg) == ERR_OK &&
				d.nplugins == 3 && config_plugin_find(&d, "DnsOps") &&
				strcmp(config_plugin_find(&d, "DnsOps")->config_file_path,
				       "/etc/winrm/dnsops.pssc") == 0);
	free(text);
	config_clear(&d);
	CHECK("delete",
	      config_instance_delete(&c, "plugin?Name=Microsoft.PowerShell", &msg) == ERR_OK &&
		  !config_plugin_find(&c, "Microsoft.PowerShell"));
	text = serialize(&c);
	CHECK("a deleted default stays deleted",
	      text && config_parse(&d, text, strlen(text), &msg) == ERR_OK && d.nplugins == 2 &&
		  !config_plugin_find(&d, "Microsoft.PowerShell"));
	free(text);
	config_clear(&d);
	CHECK("delete missing", config_instance_delete(&c, "plugin?Name=Microsoft.PowerShell",
						       &msg) == ERR_NOT_FOUND);
	config_instance_delete(&c, "plugin?Name=PowerShell.7", &msg);
	buf_reset(&msg);
	CHECK("the last one stays",
	      config_instance_delete(&c, "plugin?Name=DnsOps", &msg) == ERR_CONFIG &&
		  c.nplugins == 1 && strstr(str(&msg), "Enabled to false"));
	CHECK("no file lines: the defaults",
	      config_parse(&d, "MaxTimeoutms = 600\n", 19, &msg) == ERR_OK && d.nplugins == 2);
	config_clear(&d);
	buf_reset(&msg);
	CHECK("refuse an unknown plugin setting",
	      config_parse(&d, "Plugin?Name=X/Colour = red\n", 27, &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "unknown plugin setting Colour"));
	config_clear(&c);
	buf_clear(&msg);
}

/* winrm/config/service/certmapping: client certificates mapped to accounts. */
#define ISSUER "0123456789abcdef0123456789abcdef01234567"
#define ISSUER_UC "0123456789ABCDEF0123456789ABCDEF01234567"
#define SHELL_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
#define MAPPING "service/certmapping?Issuer=" ISSUER "+Subject=alice@localhost+URI=" SHELL_URI

static int create_refused(struct config *c, const char *selectors, const char *needle)
{
	char resource[2048];
	struct buf msg;
	enum err e;
	int ok;

	snprintf(resource, sizeof(resource), "service/certmapping?%s", selectors);
	buf_init(&msg, 4096);
	e = config_instance_create(c, resource, &msg);
	ok = e == ERR_CONFIG && strstr(str(&msg), needle);
	if (!ok)
		fprintf(stderr, "create %s: err %d \"%s\", wanted \"%s\"\n", selectors, e,
			str(&msg), needle);
	buf_clear(&msg);
	return ok;
}

static void test_certmappings(void)
{
	struct config c, d;
	struct buf msg;
	char *text, big[700], sel[1024], res[1100];
	enum err e;

	buf_init(&msg, 4096);
	config_defaults(&c);
	CHECK("certmapping: create",
	      config_instance_create(&c, MAPPING, &msg) == ERR_OK && c.ncertmappings == 1 &&
		  strcmp(c.certmappings[0].issuer, ISSUER_UC) == 0 &&
		  strcmp(c.certmappings[0].subject, "alice@localhost") == 0 &&
		  strcmp(c.certmappings[0].uri, SHELL_URI) == 0 && c.certmappings[0].enabled);
	CHECK("certmapping: UserName is required",
	      config_check_required(&c, &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "certmapping Issuer=" ISSUER_UC) &&
		  strstr(str(&msg), "needs a UserName"));
	CHECK("certmapping: set", set_ok(&c, MAPPING, "UserName", "alice") &&
				      set_ok(&c, MAPPING, "Password", "pa\001ss secret") &&
				      set_ok(&c, MAPPING, "Password", NULL) &&
				      config_check_required(&c, NULL) == ERR_OK);
	buf_reset(&msg);
	CHECK("certmapping: the selectors compare case-insensitively",
	      config_instance_create(&c,
				     "Service/CertMapping?uri=" SHELL_URI "+ISSUER=" ISSUER_UC
				     "+subject=ALICE@LOCALHOST",
				     &msg) == ERR_EXISTS &&
		  strstr(str(&msg), "already exists"));
	CHECK("certmapping: refuse a bad UserName",
	      set_refused(&c, MAPPING, "UserName", "a,b", "one account name"));
	CHECK("certmapping: refuse a selector change",
	      set_refused(&c, MAPPING, "Subject", "bob", "selector"));
	CHECK("certmapping: get", print_is(&c, MAPPING,
					   "CertMapping\n"
					   "    URI = " SHELL_URI "\n"
					   "    Subject = alice@localhost\n"
					   "    Issuer = " ISSUER_UC "\n"
					   "    UserName = alice\n"
					   "    Enabled = true\n"
					   "    Password\n"));
	text = print_xml(&c, MAPPING, &e);
	CHECK(
	    "certmapping: XML",
	    e == ERR_OK && text &&
		strcmp(text,
		       "<cfg:CertMapping xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/"
		       "1/config/service/certmapping\"><cfg:URI>" SHELL_URI
		       "</cfg:URI><cfg:Subject>alice@localhost</cfg:Subject><cfg:Issuer>" ISSUER_UC
		       "</cfg:Issuer><cfg:UserName>alice</cfg:UserName><cfg:Enabled>true</"
		       "cfg:Enabled><cfg:Password></cfg:Password></cfg:CertMapping>") == 0);
	free(text);

	/* The stored line's URI holds '/': the setting is after the last one. */
	text = serialize(&c);
	CHECK("certmapping: stored, without a password",
	      text &&
		  strstr(text, "Service/CertMapping?Issuer=" ISSUER_UC
			       "+Subject=alice@localhost+URI=" SHELL_URI "/UserName = alice\n") &&
		  !strstr(text, "Password") && !strstr(text, "secret"));
	CHECK("certmapping: round trip",
	      text && config_parse(&d, text, strlen(text), &msg) == ERR_OK &&
		  d.ncertmappings == 1 && strcmp(d.certmappings[0].uri, SHELL_URI) == 0 &&
		  strcmp(d.certmappings[0].user_name, "alice") == 0 && d.certmappings[0].enabled);
	free(text);
	config_clear(&d);
	{
		/* Hand-edited: any case, no blanks around '=', a prefix URI. */
		static const char edited[] =
		    "service/certmapping?subject=*@example.com+uri=http://x/y/*+issuer=" ISSUER
		    "/username=bob\n"
		    "Service/CertMapping?Issuer=" ISSUER "+Subject=*@example.com+URI=http://x/y/*"
		    "/Enabled=false\n";
		CHECK("certmapping: hand-edited lines",
		      config_parse(&d, edited, strlen(edited), &msg) == ERR_OK &&
			  d.ncertmappings == 1 &&
			  strcmp(d.certmappings[0].uri, "http://x/y/*") == 0 &&
			  strcmp(d.certmappings[0].subject, "*@example.com") == 0 &&
			  strcmp(d.certmappings[0].user_name, "bob") == 0 &&
			  !d.certmappings[0].enabled);
		config_clear(&d);
	}
	CHECK("certmapping: refuse a stored password",
	      parse_refused("Service/CertMapping?Issuer=" ISSUER "+Subject=*+URI=*/UserName = a\n"
			    "Service/CertMapping?Issuer=" ISSUER "+Subject=*+URI=*/Password = pw\n",
			    "line 2: Password is write-only"));
	CHECK("certmapping: refuse a stored one without UserName",
	      parse_refused("Service/CertMapping?Issuer=" ISSUER
			    "+Subject=*+URI=*/Enabled = true\n",
			    "needs a UserName"));
	CHECK("certmapping: refuse a line without selectors",
	      parse_refused("Service/CertMapping/UserName = a\n", "Service/CertMapping?Issuer="));

	CHECK("certmapping: refuse a short Issuer",
	      create_refused(&c, "Issuer=0123+Subject=*+URI=*", "not 40 hexadecimal digits"));
	CHECK("certmapping: refuse a non-hex Issuer",
	      create_refused(&c, "Issuer=0123456789abcdef0123456789abcdef0123456g+Subject=*+URI=*",
			     "not 40 hexadecimal digits"));
	CHECK("certmapping: refuse '*' inside a Subject",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=a*b+URI=*", "first character") &&
		  create_refused(&c, "Issuer=" ISSUER "+Subject=**+URI=*", "first character"));
	CHECK("certmapping: refuse a blank in a Subject",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=a b+URI=*", "blanks"));
	CHECK("certmapping: refuse '*' inside a URI",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=*+URI=http://x/*/y", "last character"));
	CHECK("certmapping: refuse '?' in a URI",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=*+URI=http://x/y?z", "'?'"));
	CHECK("certmapping: refuse a relative URI",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=*+URI=windows/shell", "absolute URI"));
	CHECK("certmapping: refuse a missing selector",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=*", "all its selectors"));
	CHECK(
	    "certmapping: refuse an unknown selector",
	    create_refused(&c, "Issuer=" ISSUER "+Subject=*+URI=*+Name=x", "unknown or repeated"));
	CHECK("certmapping: refuse an empty Subject",
	      create_refused(&c, "Issuer=" ISSUER "+Subject=+URI=*", "1 to 256 bytes"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(sel, sizeof(sel), "Issuer=" ISSUER "+Subject=%.257s+URI=*", big);
	CHECK("certmapping: refuse a long Subject", create_refused(&c, sel, "1 to 256 bytes"));
	snprintf(sel, sizeof(sel), "Issuer=" ISSUER "+Subject=*+URI=http:%.508s", big);
	CHECK("certmapping: refuse a long URI", create_refused(&c, sel, "1 to 512 bytes"));

	/* The longest selectors: stored, read back and found. */
	snprintf(res, sizeof(res),
		 "service/certmapping?Issuer=" ISSUER "+Subject=%.256s+URI=http:%.507s", big, big);
	CHECK("certmapping: the longest selectors",
	      config_instance_create(&c, res, &msg) == ERR_OK && set_ok(&c, res, "UserName", "a"));
	text = serialize(&c);
	CHECK("certmapping: the longest selectors round trip",
	      text && config_parse(&d, text, strlen(text), &msg) == ERR_OK &&
		  d.ncertmappings == 2 && strlen(d.certmappings[1].uri) == 512);
	free(text);
	config_clear(&d);
	CHECK("certmapping: enumerated by its canonical name",
	      config_instance_resource(&c, "service/certmapping", 0, res, sizeof(res)) == ERR_OK &&
		  strcmp(res, "Service/CertMapping?Issuer=" ISSUER_UC
			      "+Subject=alice@localhost+URI=" SHELL_URI) == 0 &&
		  config_instance_check(res) == ERR_OK &&
		  config_instance_check("service/certmapping?Issuer=" ISSUER) == ERR_CONFIG);

	/* Put, as `winrm set -r:` sends the document back. */
	const struct config_pair same[] = {
	    {"URI", "HTTP://SCHEMAS.microsoft.com/wbem/wsman/1/windows/shell/CMD"},
	    {"Subject", "ALICE@localhost"},
	    {"Issuer", ISSUER},
	    {"UserName", "carol"},
	    {"Enabled", "false"},
	    {"Password", "hunter2"}};
	CHECK("certmapping: put", put(&c, MAPPING, same, NPAIRS(same), NULL) == ERR_OK &&
				      strcmp(c.certmappings[0].user_name, "carol") == 0 &&
				      !c.certmappings[0].enabled);
	const struct config_pair moved[] = {{"Subject", "bob@localhost"}};
	CHECK("certmapping: put refuses a selector change",
	      put(&c, MAPPING, moved, NPAIRS(moved), "selector") == ERR_CONFIG);

	CHECK("certmapping: delete",
	      config_instance_delete(&c, MAPPING, &msg) == ERR_OK && c.ncertmappings == 1);
	buf_reset(&msg);
	CHECK("certmapping: delete a missing one",
	      config_instance_delete(&c, MAPPING, &msg) == ERR_NOT_FOUND &&
		  strstr(str(&msg), "there is no certmapping"));
	buf_reset(&msg);
	CHECK("certmapping: get a missing one",
	      config_print_text(&c, MAPPING, &msg, &msg) == ERR_NOT_FOUND);
	for (int i = 0; i < CONFIG_MAX_CERTMAPPINGS + 1; i++) {
		snprintf(res, sizeof(res),
			 "service/certmapping?Issuer=" ISSUER "+Subject=u%d+URI=*", i);
		e = config_instance_create(&c, res, &msg);
		if (e != ERR_OK)
			break;
	}
	CHECK("certmapping: at most CONFIG_MAX_CERTMAPPINGS",
	      e == ERR_CONFIG && c.ncertmappings == CONFIG_MAX_CERTMAPPINGS &&
		  strstr(str(&msg), "too many certmappings"));
	config_clear(&c);
	buf_clear(&msg);
}

/* winrm/config/service/namespace: a WMI namespace's descriptor and
 * RequiresEncryption, one instance per namespace served. */
#define NAMESPACE "service/namespace?Name=root/cimv2"
#define DEFAULT_SD "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCWP;;;S-1-5-32-580)"
static void test_namespaces(void)
{
	struct config c, d;
	struct buf msg;
	char *text, res[256];
	enum err e;

	buf_init(&msg, 4096);
	config_defaults(&c);
	CHECK("namespace: root/cimv2 by default, Windows' descriptor",
	      c.nnamespaces == 1 && strcmp(c.namespaces[0].name, "root/cimv2") == 0 &&
		  strcmp(c.namespaces[0].sddl, DEFAULT_SD) == 0 &&
		  !c.namespaces[0].requires_encryption &&
		  config_namespace_find(&c, "ROOT\\CIMV2") == &c.namespaces[0] &&
		  !config_namespace_find(&c, "root/default"));
	CHECK("namespace: get", print_is(&c, "Service/Namespace?name=root\\cimv2",
					 "Namespace\n"
					 "    Name = root/cimv2\n"
					 "    Sddl = " DEFAULT_SD "\n"
					 "    RequiresEncryption = false\n"));
	text = print_xml(&c, NAMESPACE, &e);
	CHECK("namespace: XML",
	      e == ERR_OK && text &&
		  strcmp(text, "<cfg:Namespace xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/"
			       "1/config/service/namespace\"><cfg:Name>root/cimv2</cfg:Name>"
			       "<cfg:Sddl>" DEFAULT_SD "</cfg:Sddl><cfg:RequiresEncryption>false"
			       "</cfg:RequiresEncryption></cfg:Namespace>") == 0);
	free(text);
	CHECK("namespace: set",
	      set_ok(&c, NAMESPACE, "Sddl", "O:BAG:BAD:(D;;WP;;;S-1-22-1-1005)(A;;CCWP;;;AU)") &&
		  set_ok(&c, NAMESPACE, "RequiresEncryption", "TRUE") &&
		  c.namespaces[0].requires_encryption);
	CHECK("namespace: a malformed Sddl is Windows' invalid descriptor",
	      set_refused_with(&c, NAMESPACE, "Sddl", "O:BAG:BAD:(A;;GA;;;BA)",
			       "not a valid security descriptor: it has an ACE with a right WMI "
			       "namespaces do not have",
			       ERR_WSMAN_INVALID_SD) &&
		  set_refused_with(&c, NAMESPACE, "Sddl", NULL, "does not start with its owner",
				   ERR_WSMAN_INVALID_SD) &&
		  set_refused_with(&c, NAMESPACE, "Sddl",
				   "O:BAG:BAD:(A;;CC;;;AU)(D;;CC;;;S-1-22-1-7)", "canonical order",
				   ERR_WSMAN_INVALID_SD));
	CHECK("namespace: the selector cannot change",
	      set_refused(&c, NAMESPACE, "Name", "root/other", "selector"));
	buf_reset(&msg);
	CHECK("namespace: neither created nor deleted",
	      config_instance_create(&c, "service/namespace?Name=root/default", &msg) ==
		      ERR_CONFIG &&
		  strstr(str(&msg), "cannot be created") &&
		  config_instance_delete(&c, NAMESPACE, &msg) == ERR_CONFIG &&
		  strstr(str(&msg), "cannot be deleted") && c.nnamespaces == 1);
	buf_reset(&msg);
	CHECK("namespace: one not served is no instance",
	      config_set(&c, "service/namespace?Name=root/default", "Sddl", DEFAULT_SD, &msg) ==
		      ERR_CONFIG &&
		  strstr(str(&msg), "not a WMI namespace this service serves (root/cimv2)") &&
		  config_instance_check("service/namespace?Name=root/default") == ERR_CONFIG &&
		  config_instance_check("service/namespace?Name=root\\cimv2") == ERR_OK);
	text = serialize(&c);
	CHECK("namespace: stored",
	      text &&
		  strstr(text, "Service/Namespace?Name=root/cimv2/Sddl = O:BAG:BAD:(D;;WP;;;"
			       "S-1-22-1-1005)(A;;CCWP;;;AU)\n") &&
		  strstr(text, "Service/Namespace?Name=root/cimv2/RequiresEncryption = true\n"));
	CHECK("namespace: round trip",
	      text && config_parse(&d, text, strlen(text), &msg) == ERR_OK && d.nnamespaces == 1 &&
		  d.namespaces[0].requires_encryption &&
		  strcmp(d.namespaces[0].sddl, c.namespaces[0].sddl) == 0);
	free(text);
	config_clear(&d);
	static const char edited[] = "service/namespace?name=ROOT\\CIMV2/requiresencryption=true\n",
			  bad_sd[] = "Service/Namespace?Name=root/cimv2/Sddl = D:(A;;CC;;;BA)\n";
	CHECK("namespace: hand-edited, WMI's spelling",
	      config_parse(&d, edited, strlen(edited), &msg) == ERR_OK && d.nnamespaces == 1 &&
		  d.namespaces[0].requires_encryption &&
		  strcmp(d.namespaces[0].name, "root/cimv2") == 0);
	config_clear(&d);
	buf_reset(&msg);
	CHECK("namespace: a stored malformed Sddl is refused",
	      config_parse(&d, bad_sd, strlen(bad_sd), &msg) != ERR_OK &&
		  strstr(str(&msg), "line 1: Sddl") && strstr(str(&msg), "0x8033815C"));
	CHECK("namespace: a stored one not served is refused",
	      parse_refused("Service/Namespace?Name=root/x/Sddl = " DEFAULT_SD "\n",
			    "not a WMI namespace this service serves"));
	const struct config_pair doc[] = {
	    {"Name", "ROOT/cimv2"}, {"Sddl", DEFAULT_SD}, {"RequiresEncryption", "false"}};
	CHECK("namespace: put", put(&c, NAMESPACE, doc, NPAIRS(doc), NULL) == ERR_OK &&
				    strcmp(c.namespaces[0].sddl, DEFAULT_SD) == 0 &&
				    !c.namespaces[0].requires_encryption);
	CHECK("namespace: enumerated",
	      config_instance_resource(&c, "service/namespace", 0, res, sizeof(res)) == ERR_OK &&
		  strcmp(res, "Service/Namespace?Name=root/cimv2") == 0 &&
		  config_instance_resource(&c, "service/namespace", 1, res, sizeof(res)) ==
		      ERR_NOT_FOUND);
	config_clear(&c);
	buf_clear(&msg);
}

int main(void)
{
	test_defaults();
	test_set();
	test_parse();
	test_filters();
	test_listeners();
	test_xml();
	test_put();
	test_linux_auth();
	test_save_load();
	test_ntlm_users();
	test_plugins();
	test_certmappings();
	test_namespaces();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
