/* quickconfig: `winrm quickconfig`, the analogue of Windows' winrm qc and
 * Enable-PSRemoting: the service account and the remote users' group, an
 * HTTP listener on every address (and with -transport:https an HTTPS one
 * with a fresh self-signed certificate), then the service started or
 * reloaded (through systemd when it runs the packaged unit). It says what it will change and asks
 * first (unless -quiet), and changes nothing when all is in place. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <systemd/sd-daemon.h>

#include "cli/winrm_cli.h"
#include "common/tls_binding.h"
#include "common/util.h"
#include "config/config.h"

#define SERVICE_ACCOUNT "winrmd"
#define SERVICE_UNIT "winrmd.service"
#define CERT_FILE "quickconfig-cert.pem"
#define KEY_FILE "quickconfig-key.pem"
#define CERT_DAYS 365
#define MAX_CHANGES 8
#define START_WAIT_MS 10000

extern char **environ;

struct plan {
	int account, group, http, https, start, reload;
	int systemd; /* systemd starts and reloads the service */
	char host[HOST_NAME_MAX + 1];
	const char *group_name;
	uint32_t http_port, https_port;
	pid_t running;
};

/* ---- what is there ---- */

static int has_listener(const struct config *c, int https)
{
	for (uint32_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].https == https && strcmp(c->listeners[i].address, "*") == 0)
			return 1;
	return 0;
}

/* The winrmd DIR/winrmd.pid names, if it is still a winrmd. */
static pid_t running_service(const char *dir)
{
	char path[PATH_MAX], text[32] = "", comm[32] = "";
	uint64_t pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/winrmd.pid", dir);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(text, sizeof(text), f))
		text[0] = 0;
	fclose(f);
	text[strcspn(text, "\r\n ")] = 0;
	if (util_parse_u64(text, INT32_MAX, &pid) != ERR_OK || pid < 2)
		return 0;
	snprintf(path, sizeof(path), "/proc/%lu/comm", (unsigned long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strcmp(comm, "winrmd\n") == 0 ? (pid_t)pid : 0;
}

/* The packaged unit (debian/openwinrm.winrmd.service) starts winrmd on
 * the default directory. When systemd is the init system and has that
 * unit, quickconfig starts the service through it, enabled at boot as
 * Windows' winrm qc sets the WinRM service to start automatically, so
 * that winrmd runs under systemd and not beside it. */
static int systemd_runs_service(const char *dir)
{
	static const char *const unit_dirs[] = {"/etc/systemd/system", "/lib/systemd/system",
						"/usr/lib/systemd/system"};
	char path[PATH_MAX];

	if (strcmp(dir, CONFIG_DEFAULT_DIR) != 0 || sd_booted() <= 0)
		return 0;
	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", unit_dirs[i], SERVICE_UNIT);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

/* ---- changing it ---- */

static int run_tool(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return complain("cannot run %s: %s", argv[0], strerror(errno));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return complain("%s: %s", argv[0], strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return complain("%s failed (status %d)", argv[0],
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* Root's: the privileged part reads the key and hands it to the network
 * process over IPC, so no other account needs to read it. */
static int write_pem(const char *dir, const char *name, mode_t mode, X509 *cert, EVP_PKEY *key)
{
	char path[PATH_MAX];
	int fd, ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0 ||
	    fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return complain("cannot write %s: %s", path, strerror(errno));
	}
	ok = cert ? PEM_write_X509(f, cert)
		  : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || !ok)
		return complain("cannot write %s", path);
	return 0;
}

/* A self-signed RSA-2048 certificate for host (CN and DNS name), as
 * Windows makes one; its SHA-1 thumbprint in upper-case hex. */
static int make_certificate(const char *dir, const char *host, char thumb[TLS_THUMBPRINT_HEX + 1])
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	char san[HOST_NAME_MAX + 8];
	int rc = 1;

	snprintf(san, sizeof(san), "DNS:%s", host);
	if (!key || !x || !name || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_int64(X509_get_serialNumber(x), (int64_t)time(NULL)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)host, -1,
					-1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_set_pubkey(x, key))
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/* Server authentication, as Windows' WinRM HTTPS listener requires. */
	const char *ext[][2] = {{"subjectAltName", san},
				{"extendedKeyUsage", "serverAuth"},
				{"keyUsage", "digitalSignature,keyEncipherment"}};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, ext[i][0], ext[i][1]);
		int added = e && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		if (!added)
			goto out;
	}
	if (!X509_sign(x, key, EVP_sha256()) || tls_thumbprint(x, thumb) != 0)
		goto out;
	if (write_pem(dir, KEY_FILE, 0600, NULL, key) == 0 &&
	    write_pem(dir, CERT_FILE, 0644, x, NULL) == 0)
		rc = 0;
out:
	if (rc && !thumb[0])
		complain("cannot make a self-signed certificate");
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* The winrmd to start: $WINRMD, the one beside this winrm, or PATH's. */
static const char *winrmd_path(char *buf, size_t size)
{
	const char *env = getenv("WINRMD");
	ssize_t n;

	if (env && *env)
		return env;
	if ((n = readlink("/proc/self/exe", buf, size - 8)) > 0) {
		buf[n] = 0;
		char *slash = strrchr(buf, '/');
		if (slash) {
			strcpy(slash + 1, "winrmd");
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "winrmd";
}

static int start_service(const char *dir, int systemd)
{
	char exe[PATH_MAX];
	char *argv[] = {(char *)winrmd_path(exe, sizeof(exe)), "--config-dir", (char *)dir, NULL};

	if (run_tool(systemd ? (char *[]){"systemctl", "enable", "--now", SERVICE_UNIT, NULL}
			     : argv) != 0)
		return 1;
	/* It forks into the background (or systemd starts it) and writes its
	 * pid file once up. */
	for (int i = 0; i < START_WAIT_MS / 50; i++) {
		if (running_service(dir))
			return 0;
		usleep(50 * 1000);
	}
	return complain("winrmd did not start within %d s: see the system log",
			START_WAIT_MS / 1000);
}

static int ask(void)
{
	char answer[16] = "";
	FILE *tty = fopen("/dev/tty", "r+");
	FILE *in = tty ? tty : stdin;

	fputs("Make these changes [y/n]? ", tty ? tty : stdout);
	fflush(tty ? tty : stdout);
	if (!fgets(answer, sizeof(answer), in))
		answer[0] = 0;
	if (tty)
		fclose(tty);
	return answer[0] == 'y' || answer[0] == 'Y';
}

int quickconfig(const char *dir, int https, int quiet)
{
	struct plan p = {0};
	struct config c;
	struct buf msg;
	char thumb[TLS_THUMBPRINT_HEX + 1] = "";
	int changes, rc = 1;

	if (geteuid() != 0)
		return complain(
		    "quickconfig must run as root: it creates the service account and group, "
		    "writes %s/%s and starts winrmd",
		    dir, CONFIG_FILE);
	buf_init(&msg, 1024);
	if (config_load(&c, dir, &msg) != ERR_OK) {
		buf_terminate(&msg);
		rc = complain("%s", (const char *)buf_ptr(&msg));
		buf_clear(&msg);
		return rc;
	}
	if (gethostname(p.host, sizeof(p.host)) != 0 || !p.host[0])
		snprintf(p.host, sizeof(p.host), "localhost");
	p.host[sizeof(p.host) - 1] = 0;
	p.group_name = c.service.remote_users_group;
	p.http_port = c.service.default_ports.http;
	p.https_port = c.service.default_ports.https;
	p.account = !getpwnam(SERVICE_ACCOUNT);
	p.group = !getgrnam(p.group_name);
	p.http = !has_listener(&c, 0);
	p.https = https && !has_listener(&c, 1);
	p.running = running_service(dir);
	p.systemd = systemd_runs_service(dir);
	p.start = !p.running;
	changes = p.account + p.group + p.http + p.https;
	p.reload = p.running && (p.http || p.https);
	if (changes == 0 && !p.start) {
		printf("WinRM service is already running on this machine.\n"
		       "WinRM is already set up for remote management on this computer.\n");
		rc = 0;
		goto out;
	}
	printf(
	    "WinRM is not set up to %s on this machine.\nThe following changes must be made:\n\n",
	    changes ? "allow remote access to it for management" : "receive requests");
	if (p.account)
		printf("Create the service account %s, which the network part of winrmd runs as.\n",
		       SERVICE_ACCOUNT);
	if (p.group)
		printf("Create the group %s, whose members may connect remotely.\n", p.group_name);
	if (p.http)
		printf("Create a WinRM listener on HTTP://* (port %u) to accept WS-Man requests to "
		       "any IP on "
		       "this machine.\n",
		       p.http_port);
	if (p.https)
		printf("Create a WinRM listener on HTTPS://* (port %u) with a new self-signed "
		       "certificate for "
		       "%s.\n",
		       p.https_port, p.host);
	if (p.start && p.systemd)
		printf("Start the WinRM service, and at boot (systemctl enable --now %s).\n",
		       SERVICE_UNIT);
	else if (p.start)
		printf("Start the WinRM service (winrmd --config-dir %s).\n", dir);
	if (p.reload)
		printf("Reload the WinRM service.\n");
	putchar('\n');
	if (!quiet && !ask()) {
		printf("No changes were made.\n");
		rc = 0;
		goto out;
	}
	if (p.account &&
	    run_tool((char *[]){"useradd", "--system", "--user-group", "--no-create-home",
				"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
				SERVICE_ACCOUNT, NULL}) != 0)
		goto out;
	if (p.group &&
	    run_tool((char *[]){"groupadd", "--system", (char *)p.group_name, NULL}) != 0)
		goto out;
	if (p.http || p.https) {
		char port[16];
		if (p.https && make_certificate(dir, p.host, thumb) != 0)
			goto out;
		struct {
			int want;
			const char *sel;
			uint32_t port;
		} adds[] = {{p.http, "Address=*+Transport=HTTP", p.http_port},
			    {p.https, "Address=*+Transport=HTTPS", p.https_port}};
		for (size_t i = 0; i < 2; i++) {
			char res[64];
			if (!adds[i].want)
				continue;
			snprintf(res, sizeof(res), "listener?%s", adds[i].sel);
			snprintf(port, sizeof(port), "%u", adds[i].port);
			if (config_listener_create(&c, adds[i].sel, &msg) != ERR_OK ||
			    config_set(&c, res, "Port", port, &msg) != ERR_OK ||
			    (i == 1 &&
			     (config_set(&c, res, "Hostname", p.host, &msg) != ERR_OK ||
			      config_set(&c, res, "CertificateFile", CERT_FILE, &msg) != ERR_OK ||
			      config_set(&c, res, "KeyFile", KEY_FILE, &msg) != ERR_OK ||
			      config_set(&c, res, "CertificateThumbprint", thumb, &msg) !=
				  ERR_OK))) {
				buf_terminate(&msg);
				complain("%s", (const char *)buf_ptr(&msg));
				goto out;
			}
		}
		if (config_save(&c, dir) != ERR_OK) {
			complain("cannot write %s/%s: %s", dir, CONFIG_FILE, strerror(errno));
			goto out;
		}
	}
	if (p.start && start_service(dir, p.systemd) != 0)
		goto out;
	if (p.reload && p.systemd &&
	    run_tool((char *[]){"systemctl", "reload", SERVICE_UNIT, NULL}) != 0)
		goto out;
	if (p.reload && !p.systemd && kill(p.running, SIGHUP) < 0) {
		complain("cannot signal winrmd (pid %d): %s", (int)p.running, strerror(errno));
		goto out;
	}
	printf("WinRM has been updated to receive requests.\n");
	if (changes)
		printf("WinRM has been updated for remote management.\n");
	if (thumb[0])
		printf("CertificateThumbprint = %s\n", thumb);
	/* Negotiate is the clients' default scheme, and NTLM, the one it
	 * uses with a password off a Kerberos realm, needs each local
	 * account's key, which only `winrm user set` gives the service. */
	printf("Local accounts log on with Negotiate (NTLM, the clients' default) once "
	       "`winrm user set NAME` has given the service their key; Basic over HTTPS needs "
	       "none.\n");
	rc = 0;
out:
	config_clear(&c);
	buf_clear(&msg);
	return rc;
}
