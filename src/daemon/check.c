/* check: `winrmd --check`, the service's configuration checked as the
 * service will use it, one line per check with what to change (the
 * service-side half of `winrm diagnose`): the configuration, the service
 * account and groups, the configuration directory, each listener (its port
 * free, its certificate and key readable, matching and in date), the
 * keytab against the names the service answers to, the NTLM hash file, the
 * PAM file and PowerShell. Exit status 0 when nothing failed. */
#include "daemon/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <krb5.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/steps.h"
#include "common/util.h"
#include "config/config.h"
#include "host/psrp_engine.h"

#define CERT_EXPIRY_WARNING_DAYS 30

/* The next item of a comma list (util_list_next) as a string in item; 0
 * at the end. An item too long for item is passed over. */
static int next_item(const char **p, char *item, size_t len)
{
	const char *s;
	size_t n;

	while ((s = util_list_next(p, &n)))
		if (n < len) {
			memcpy(item, s, n);
			item[n] = 0;
			return 1;
		}
	return 0;
}

static void check_account(struct steps *s, const char *account)
{
	if (getpwnam(account))
		steps_report(s, "ok", "account", NULL, "the service account %s exists", account);
	else
		steps_report(
		    s, "FAIL", "account",
		    "create it (winrm quickconfig does, or useradd --system --no-create-home "
		    "--shell /usr/sbin/nologin ACCOUNT), or name another with --user",
		    "no service account %s: the network process runs as it", account);
}

static void check_groups(struct steps *s, const struct config *c)
{
	const char *p = c->service.admin_groups ? c->service.admin_groups : "";
	char g[256], fix[512], found[512] = "";

	while (next_item(&p, g, sizeof(g))) {
		size_t n = strlen(found);
		if (getgrnam(g))
			snprintf(found + n, sizeof(found) - n, "%s%s", n ? ", " : "", g);
		else
			steps_report(s, "warn", "groups", NULL,
				     "AdminGroups names %s, which does not exist: it admits no one",
				     g);
	}
	if (found[0])
		steps_report(s, "ok", "groups", NULL, "administrators' groups: %s", found);
	if (getgrnam(c->service.remote_users_group)) {
		steps_report(s, "ok", "groups", NULL, "remote users' group: %s",
			     c->service.remote_users_group);
		return;
	}
	snprintf(fix, sizeof(fix),
		 "create it (groupadd %s; winrm quickconfig does) and add the users who may "
		 "connect, or name another: winrm set winrm/config/service "
		 "@{RemoteUsersGroup=\"GROUP\"}",
		 c->service.remote_users_group);
	steps_report(s, "FAIL", "groups", fix,
		     "the remote users' group %s does not exist: only root and administrators "
		     "can connect",
		     c->service.remote_users_group);
}

/* The configuration directory: root's, writable by nobody else, or anyone
 * who can write there can change who may log on. */
static void check_directory(struct steps *s, const char *dir)
{
	struct stat st;
	char fix[2 * PATH_MAX + 64];

	if (stat(dir, &st) != 0) {
		steps_report(s, errno == ENOENT ? "warn" : "FAIL", "directory",
			     "winrm quickconfig makes it, with a listener", "%s: %s%s", dir,
			     strerror(errno), errno == ENOENT ? ": Windows' defaults apply" : "");
		return;
	}
	snprintf(fix, sizeof(fix), "chown root:root %s && chmod go-w %s", dir, dir);
	if (st.st_uid != 0 || (st.st_mode & 022))
		steps_report(s, "FAIL", "directory", fix,
			     "%s is %s%s: whoever can write there can change who may log on", dir,
			     st.st_uid != 0 ? "not root's" : "",
			     (st.st_mode & 022) ? (st.st_uid != 0 ? " and writable by others"
								  : "writable by others than root")
						: "");
	else
		steps_report(s, "ok", "directory", NULL, "%s is root's, writable by root only",
			     dir);
}

/* Whether the listener's port can be bound now; in use is only a warning,
 * as a running winrmd holds it. */
static void check_port(struct steps *s, const struct config_listener *l)
{
	const char *ip = strncmp(l->address, "IP:", 3) == 0 ? l->address + 3 : NULL;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, rc;

	if (ip && inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)l->port);
		len = sizeof(*v6);
	} else {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)l->port);
		if (ip && inet_pton(AF_INET, ip, &v4->sin_addr) != 1) {
			steps_report(s, "FAIL", "listener", NULL, "%s is not an address",
				     l->address);
			return;
		}
		len = sizeof(*v4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind(fd, (struct sockaddr *)&ss, len);
	if (rc == 0)
		steps_report(s, "ok", "listener", NULL, "%s %s port %u can be opened",
			     l->https ? "HTTPS" : "HTTP", l->address, l->port);
	else if (errno == EADDRINUSE)
		steps_report(
		    s, "warn", "listener",
		    "if winrmd is not running, stop what holds the port (ss -ltnp) or give "
		    "the listener another Port",
		    "%s %s port %u is in use (by winrmd itself, if it runs)",
		    l->https ? "HTTPS" : "HTTP", l->address, l->port);
	else
		steps_report(s, "FAIL", "listener",
			     "give the listener an address this machine has "
			     "(winrm enumerate winrm/config/listener)",
			     "%s %s port %u cannot be opened: %s", l->https ? "HTTPS" : "HTTP",
			     l->address, l->port, strerror(errno));
	close(fd);
}

static void *read_pem(const char *dir, const char *file, int key)
{
	char path[PATH_MAX];
	FILE *f;
	void *x;

	if (file[0] == '/')
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!(f = fopen(path, "r")))
		return NULL;
	x = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
		: (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static void check_certificate(struct steps *s, const char *dir, const struct config_listener *l)
{
	X509 *cert = l->certificate_file ? read_pem(dir, l->certificate_file, 0) : NULL;
	EVP_PKEY *key = l->key_file ? read_pem(dir, l->key_file, 1) : NULL;
	const char *renew = "make a new certificate and key (winrm quickconfig -transport:https "
			    "makes a self-signed one) and name them: winrm set "
			    "winrm/config/Listener?Address=*+Transport=HTTPS "
			    "@{CertificateFile=\"cert.pem\";KeyFile=\"key.pem\"}";
	int days = 0, secs = 0;

	if (!cert || !key)
		steps_report(s, "FAIL", "certificate", renew,
			     "HTTPS %s: cannot read the %s (%s): not there, unreadable or not PEM",
			     l->address, !cert ? "certificate" : "key",
			     !cert ? (l->certificate_file ? l->certificate_file : "none named")
				   : (l->key_file ? l->key_file : "none named"));
	else if (X509_check_private_key(cert, key) != 1)
		steps_report(s, "FAIL", "certificate", renew,
			     "HTTPS %s: the key %s is not the certificate %s's", l->address,
			     l->key_file, l->certificate_file);
	else if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) &&
		 (days < 0 || (days == 0 && secs < 0)))
		steps_report(s, "FAIL", "certificate", renew,
			     "HTTPS %s: the certificate %s expired %d days ago", l->address,
			     l->certificate_file, -days);
	else if (days < CERT_EXPIRY_WARNING_DAYS)
		steps_report(s, "warn", "certificate", renew,
			     "HTTPS %s: the certificate %s expires in %d days", l->address,
			     l->certificate_file, days);
	else
		steps_report(s, "ok", "certificate", NULL,
			     "HTTPS %s: %s and its key match, valid %d more days", l->address,
			     l->certificate_file, days);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* "HTTP/name" of each key in the keytab, comma-separated, into out;
 * -1 when it cannot be read. */
static int keytab_services(krb5_context ctx, krb5_keytab kt, char *out, size_t len)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	size_t n = 0;

	out[0] = 0;
	if (krb5_kt_start_seq_get(ctx, kt, &cur) != 0)
		return -1;
	while (krb5_kt_next_entry(ctx, kt, &e, &cur) == 0) {
		char *name = NULL, item[300];
		if (krb5_unparse_name_flags(ctx, e.principal, KRB5_PRINCIPAL_UNPARSE_NO_REALM,
					    &name) == 0) {
			snprintf(item, sizeof(item), ",%s,", name);
			if (n < len && !strstr(out, item))
				n += (size_t)snprintf(out + n, len - n, "%s", n ? item + 1 : item);
		}
		krb5_free_unparsed_name(ctx, name);
		krb5_free_keytab_entry_contents(ctx, &e);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
	return 0;
}

/* HTTP/<this host's canonical name> into out; 0 when it has none. */
static int host_spn(char *out, size_t len)
{
	char host[256];

	util_fqdn(host, sizeof(host));
	if (!host[0])
		return 0;
	snprintf(out, len, "HTTP/%s", host);
	return 1;
}

/* 1 (reported with verdict) when held, the keytab's names, lacks spn. */
static int keytab_lacks(struct steps *s, const char *held, const char *keytab, const char *spn,
			const char *verdict)
{
	char want[310], fix[1024];

	snprintf(want, sizeof(want), ",%s,", spn);
	if (strcasestr(held, want))
		return 0;
	snprintf(fix, sizeof(fix),
		 "add its key (kadmin: ktadd -k %s %s), or take the name out of "
		 "ServicePrincipalNames",
		 keytab, spn);
	steps_report(s, verdict, "keytab", fix,
		     "the service answers to %s, but %s holds no key for it: its tickets will be "
		     "refused",
		     spn, keytab);
	return 1;
}

static void check_keytab(struct steps *s, const struct config *c)
{
	const struct config_auth_service *a = &c->service.auth;
	krb5_context ctx;
	krb5_keytab kt = NULL;
	char name[PATH_MAX] = "", held[4096], spn[300];
	const char *p = a->service_principal_names ? a->service_principal_names : "";
	int missing = 0;

	if (!a->kerberos && !a->negotiate)
		return;
	if (krb5_init_context(&ctx) != 0)
		return;
	if (a->keytab && *a->keytab)
		krb5_kt_resolve(ctx, a->keytab, &kt);
	else
		krb5_kt_default(ctx, &kt);
	if (kt)
		krb5_kt_get_name(ctx, kt, name, sizeof(name));
	if (!kt || keytab_services(ctx, kt, held, sizeof(held)) != 0 || !held[0]) {
		steps_report(s, "warn", "keytab",
			     "for Kerberos logons, put the service's keys there (kadmin: ktadd -k "
			     "FILE HTTP/NAME) and name it: winrm set winrm/config/service/auth "
			     "@{Keytab=\"FILE\"}; Negotiate still works with NTLM",
			     "%s holds no keys: Kerberos logons will fail",
			     name[0] ? name : "the keytab");
	} else {
		while (next_item(&p, spn, sizeof(spn)))
			missing |= keytab_lacks(s, held, name, spn, "FAIL");
		/* HTTP/<this host's name> is always among the names it answers to. */
		if (host_spn(spn, sizeof(spn)))
			missing |= keytab_lacks(s, held, name, spn, "warn");
		if (!missing)
			steps_report(s, "ok", "keytab", NULL, "%s holds keys for %.*s", name,
				     (int)(strlen(held) > 2 ? strlen(held) - 2 : 0), held + 1);
	}
	if (kt)
		krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
}

/* The NTLM hash file: root's and readable by root only (its hashes log
 * on as the users they belong to). */
static void check_ntlm_users(struct steps *s, const struct config *c, const char *dir)
{
	char path[PATH_MAX], fix[2 * PATH_MAX + 64];
	struct stat st;

	if (!c->service.auth.negotiate || c->service.auth.ntlm_winbind)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_NTLM_USERS);
	if (stat(path, &st) != 0) {
		steps_report(s, "warn", "ntlm",
			     "give each local account that logs on with Negotiate its key: winrm "
			     "user set NAME (Basic over HTTPS needs none)",
			     "no %s: NTLM (Negotiate with a password) admits no local account",
			     path);
		return;
	}
	snprintf(fix, sizeof(fix), "chown root:root %s && chmod 600 %s", path, path);
	if (st.st_uid != 0 || (st.st_mode & 077))
		steps_report(s, "FAIL", "ntlm", fix,
			     "%s is %s (mode %03o): its hashes log on as their users", path,
			     st.st_uid != 0 ? "not root's" : "readable by others than root",
			     (unsigned)(st.st_mode & 0777));
	else
		steps_report(s, "ok", "ntlm", NULL, "%s is root's, mode %03o", path,
			     (unsigned)(st.st_mode & 0777));
}

static void check_pam(struct steps *s, const char *service)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/etc/pam.d/%s", service);
	if (access(path, R_OK) == 0)
		steps_report(s, "ok", "pam", NULL, "%s is there", path);
	else
		steps_report(
		    s, "FAIL", "pam",
		    "install it (the package does; in a development tree, scripts/bootstrap "
		    "build copies data/pam.d/winrm), or name another stack with "
		    "--pam-service",
		    "%s: %s: every logon will be refused", path, strerror(errno));
}

static void check_powershell(struct steps *s, const struct config *c)
{
	const char *pwsh = psrp_engine_pwsh_find(c->service.powershell);

	if (pwsh && access(pwsh, X_OK) == 0)
		steps_report(s, "ok", "powershell", NULL, "%s for the PowerShell endpoints", pwsh);
	else
		steps_report(s, "warn", "powershell",
			     "install PowerShell (dotnet tool install PowerShell --tool-path "
			     "/opt/pwsh) or name it: winrm set winrm/config/service "
			     "@{PowerShell=\"/path/to/pwsh\"}",
			     "%s: PowerShell remoting will be refused",
			     pwsh ? "the configured pwsh is not executable" : "no pwsh found");
}

int check_service(const char *dir, const char *account, const char *pam_service)
{
	struct steps s = {0};
	struct config c;
	struct buf msg;

	buf_init(&msg, 4096);
	if (config_load(&c, dir, &msg) != ERR_OK) {
		buf_terminate(&msg);
		steps_report(&s, "FAIL", "config", "correct it with winrm set (see winrm(1))", "%s",
			     (const char *)buf_ptr(&msg));
		buf_clear(&msg);
		return 1;
	}
	buf_clear(&msg);
	steps_report(&s, "ok", "config", NULL, "%s/winrm.conf reads", dir);
	check_account(&s, account);
	check_groups(&s, &c);
	check_directory(&s, dir);
	for (uint32_t i = 0; i < c.nlisteners; i++) {
		const struct config_listener *l = &c.listeners[i];
		if (!l->enabled)
			continue;
		check_port(&s, l);
		if (l->https)
			check_certificate(&s, dir, l);
	}
	if (c.nlisteners == 0)
		steps_report(&s, "warn", "listener", "winrm quickconfig makes one",
			     "no listener: the service takes no connection");
	check_keytab(&s, &c);
	check_ntlm_users(&s, &c, dir);
	check_pam(&s, pam_service);
	check_powershell(&s, &c);
	config_clear(&c);
	printf("%s\n", s.failures ? "check: see the FAIL lines above" : "check: nothing failed");
	return s.failures ? 1 : 0;
}
