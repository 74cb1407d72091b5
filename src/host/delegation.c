/* delegation: a CredSSP logon's credentials in the user's host (host
 * role only); see delegation.h. MIT's GSSAPI does the Kerberos work
 * (gss_acquire_cred_with_password: the AS exchange; gss_store_cred_into:
 * the cache), gss-ntlmssp reads the NTLM file itself. */
#include "host/delegation.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <linux/magic.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/sealbox.h"
#include "common/util.h"
#include "host/spawn.h"

#define MEMORY_DIR "/dev/shm"
#define FALLBACK_DIR "/tmp" /* for the ticket cache only */
#define PATH_LEN 128

struct delegation {
	struct event_base *base;
	int has_key;
	uint8_t key[SEALBOX_KEY_LEN]; /* opens what the privileged part sealed for us */
	char *krb5_config;	      /* KRB5_CONFIG for the TGT request, or NULL */
	char ccache[PATH_LEN];	      /* the ticket cache's path, "" for none */
	int ntlm_fd;		      /* the memfd of gss-ntlmssp's user file, or -1 */
	pid_t tgt_pid;		      /* the child asking the KDC, 0 if none */
	int tgt_fd;		      /* its pipe, which closes when it ends; -1 if none */
	struct event *tgt_done;
};

/* What the client delegated, once opened. */
struct creds {
	char *domain, *user, *password;
};

static void creds_clear(struct creds *c)
{
	free(c->domain);
	free(c->user);
	if (c->password)
		OPENSSL_cleanse(c->password, strlen(c->password));
	free(c->password);
	memset(c, 0, sizeof(*c));
}

static int hex_key(const char *hex, uint8_t key[SEALBOX_KEY_LEN])
{
	if (!hex || strlen(hex) != 2 * SEALBOX_KEY_LEN)
		return 0;
	for (size_t i = 0; i < SEALBOX_KEY_LEN; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		key[i] = (uint8_t)v;
	}
	return 1;
}

struct delegation *delegation_new(struct event_base *base, const char *krb5_config,
				  const char *key_hex)
{
	struct delegation *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base = base;
	d->tgt_fd = d->ntlm_fd = -1;
	d->has_key = hex_key(key_hex, d->key);
	if (krb5_config && !(d->krb5_config = strdup(krb5_config))) {
		free(d);
		return NULL;
	}
	return d;
}

/* Ends the TGT request under way, if any. */
static void stop_child(struct delegation *d)
{
	if (d->tgt_pid > 0) {
		kill(d->tgt_pid, SIGKILL);
		while (waitpid(d->tgt_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	d->tgt_pid = 0;
	if (d->tgt_done)
		event_free(d->tgt_done);
	d->tgt_done = NULL;
	if (d->tgt_fd >= 0)
		close(d->tgt_fd);
	d->tgt_fd = -1;
}

static int memory_backed(const char *dir)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* A new empty file of ours, mode 0600, named after what it holds. */
static int new_file(const char *dir, const char *what, char path[PATH_LEN])
{
	int fd;

	if (snprintf(path, PATH_LEN, "%s/%s_winrmd_%u_XXXXXX", dir, what, (unsigned)getuid()) >=
	    PATH_LEN)
		return -1;
	if ((fd = mkstemp(path)) < 0) {
		log_warn("host: cannot create %s", path);
		path[0] = 0;
	}
	return fd;
}

/* Removes a file of ours and the variable naming it (prefix, then the
 * path), which is ours only while it names that file. */
static void remove_file(char path[PATH_LEN], const char *variable, const char *prefix)
{
	char value[PATH_LEN + 8];
	const char *now = getenv(variable);

	if (!path[0])
		return;
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("host: cannot remove %s", path);
	snprintf(value, sizeof(value), "%s%s", prefix, path);
	if (now && strcmp(now, value) == 0)
		unsetenv(variable);
	path[0] = 0;
}

void delegation_forget(struct delegation *d)
{
	if (!d)
		return;
	stop_child(d);
	remove_file(d->ccache, "KRB5CCNAME", "FILE:");
	if (d->ntlm_fd >= 0) {
		spawn_inherit(-1);
		unsetenv("NTLM_USER_FILE");
		close(d->ntlm_fd); /* the last reference but the commands' frees it */
		d->ntlm_fd = -1;
	}
}

void delegation_free(struct delegation *d)
{
	delegation_forget(d);
	if (d) {
		OPENSSL_cleanse(d->key, sizeof(d->key));
		free(d->krb5_config);
	}
	free(d);
}

/* Does krb5 know a realm (krb5.conf's default_realm)? Without one there
 * is no realm to ask, and krb5 would spend seconds looking for one in
 * the DNS on every logon. */
static int realm_configured(const char *krb5_config)
{
	krb5_context k;
	char *realm = NULL, *theirs = getenv("KRB5_CONFIG") ? strdup(getenv("KRB5_CONFIG")) : NULL;
	int known, made;

	/* krb5 reads KRB5_CONFIG when it makes a context: the service's, for
	 * this one only; the commands keep their own. */
	if (krb5_config)
		setenv("KRB5_CONFIG", krb5_config, 1);
	made = krb5_init_context(&k) == 0;
	if (theirs)
		setenv("KRB5_CONFIG", theirs, 1);
	else
		unsetenv("KRB5_CONFIG");
	free(theirs);
	if (!made)
		return 0;
	known = krb5_get_default_realm(k, &realm) == 0;
	krb5_free_default_realm(k, realm);
	krb5_free_context(k);
	return known;
}

/* The principal to ask a TGT for: "alice@REALM" as given, "alice" with a
 * DNS domain as that realm, else the name alone, which krb5 completes
 * with its default realm. */
static void principal(const struct creds *c, char *out, size_t len)
{
	const char *dom = c->domain;

	if (!strchr(c->user, '@') && dom && strchr(dom, '.')) {
		size_t n = (size_t)snprintf(out, len, "%s@", c->user);
		for (size_t i = 0; dom[i] && n + 1 < len; i++)
			out[n++] = (char)(dom[i] >= 'a' && dom[i] <= 'z' ? dom[i] - 32 : dom[i]);
		out[n < len ? n : len - 1] = 0;
	} else {
		snprintf(out, len, "%s", c->user);
	}
}

static void why_not(const char *what, OM_uint32 major, OM_uint32 minor)
{
	OM_uint32 m, ctx = 0;
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;

	if (gss_display_status(&m, minor ? minor : major, minor ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
			       (gss_OID)gss_mech_krb5, &ctx, &text) == GSS_S_COMPLETE) {
		log_info("host: no Kerberos ticket from the delegated credentials (%s): %.*s", what,
			 (int)text.length, (const char *)text.value);
		gss_release_buffer(&m, &text);
	}
}

/* The child's work: the TGT with the password (the AS exchange with the
 * KDC, which may take seconds), stored in a private file then renamed
 * over the cache's reserved name, so that a command never reads half a
 * cache. Exits 0 when the cache is in place. */
static void __attribute__((noreturn))
tgt_child(const struct delegation *d, struct creds *c, const char *dir)
{
	char name[512], staged[PATH_LEN], ccname[PATH_LEN + 8];
	gss_buffer_desc nb, pw = {strlen(c->password), c->password};
	gss_name_t n = GSS_C_NO_NAME;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_OID_set_desc krb5 = {1, (gss_OID)gss_mech_krb5};
	gss_key_value_element_desc el = {"ccache", ccname};
	gss_key_value_set_desc store = {1, &el};
	OM_uint32 major, minor;
	int fd, ok = 0;

	/* The service's krb5.conf, in this child only. */
	if (d->krb5_config)
		setenv("KRB5_CONFIG", d->krb5_config, 1);
	principal(c, name, sizeof(name));
	nb.value = name;
	nb.length = strlen(name);
	major = gss_import_name(&minor, &nb, GSS_C_NT_USER_NAME, &n);
	if (!GSS_ERROR(major))
		major = gss_acquire_cred_with_password(&minor, n, &pw, GSS_C_INDEFINITE, &krb5,
						       GSS_C_INITIATE, &cred, NULL, NULL);
	OPENSSL_cleanse(c->password, strlen(c->password));
	if (!GSS_ERROR(major) && (fd = new_file(dir, ".krb5cc", staged)) >= 0) {
		close(fd);
		snprintf(ccname, sizeof(ccname), "FILE:%s", staged);
		major = gss_store_cred_into(&minor, cred, GSS_C_INITIATE, (gss_OID)gss_mech_krb5, 1,
					    1, &store, NULL, NULL);
		ok = !GSS_ERROR(major) && rename(staged, d->ccache) == 0;
		if (!ok)
			unlink(staged);
	}
	if (ok)
		log_info("host: Kerberos ticket for %s from the delegated credentials in %s", name,
			 d->ccache);
	else
		why_not(name, major, minor);
	_exit(ok ? 0 : 1);
}

/* The child has ended (its pipe closed): without a ticket, the reserved
 * cache goes. */
static void tgt_ended(evutil_socket_t fd, short what, void *arg)
{
	struct delegation *d = arg;
	int status = 0;

	(void)fd, (void)what;
	while (waitpid(d->tgt_pid, &status, 0) < 0 && errno == EINTR)
		;
	d->tgt_pid = 0;
	event_free(d->tgt_done);
	d->tgt_done = NULL;
	close(d->tgt_fd);
	d->tgt_fd = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		remove_file(d->ccache, "KRB5CCNAME", "FILE:");
}

/* Asks for a TGT with the password in a child, so that the host goes on
 * serving meanwhile: KRB5CCNAME names the cache at once, and the ticket
 * lands in it when the KDC has answered. */
static void get_tgt(struct delegation *d, struct creds *c)
{
	char ccname[PATH_LEN + 8];
	const char *dir = memory_backed(MEMORY_DIR) ? MEMORY_DIR : FALLBACK_DIR;
	int fd, p[2];

	if (!realm_configured(d->krb5_config)) {
		log_debug("host: no Kerberos realm configured: no ticket from the delegated "
			  "credentials");
		return;
	}
	if ((fd = new_file(dir, "krb5cc", d->ccache)) < 0)
		return;
	close(fd);
	snprintf(ccname, sizeof(ccname), "FILE:%s", d->ccache);
	if (pipe2(p, O_CLOEXEC) < 0 || setenv("KRB5CCNAME", ccname, 1) < 0) {
		log_warn("host: cannot ask for a Kerberos ticket");
		remove_file(d->ccache, "KRB5CCNAME", "FILE:");
		return;
	}
	if ((d->tgt_pid = fork()) == 0) {
		close(p[0]);
		tgt_child(d, c, dir);
	}
	close(p[1]);
	d->tgt_fd = p[0];
	if (d->tgt_pid < 0 ||
	    !(d->tgt_done = event_new(d->base, d->tgt_fd, EV_READ, tgt_ended, d)) ||
	    event_add(d->tgt_done, NULL) < 0) {
		log_warn("host: cannot ask for a Kerberos ticket");
		stop_child(d);
		remove_file(d->ccache, "KRB5CCNAME", "FILE:");
	}
}

/* gss-ntlmssp's user file ("DOMAIN:USER:PASSWORD") in a sealed memfd:
 * memory of ours, never a file system, which every command started from
 * now on gets at SPAWN_INHERITED_FD and NTLM_USER_FILE names as
 * /proc/self/fd/N. */
static void offer_ntlm(struct delegation *d, const struct creds *c)
{
	char path[32];
	struct buf line;
	int fd, ok;

	if (strchr(c->domain, ':') || strchr(c->user, ':') || strchr(c->password, '\n') ||
	    (fd = memfd_create("winrmd-delegated-ntlm", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return;
	/* Composed in a buffer of ours, which buf_clear wipes. */
	buf_init(&line, 3 * SHELL_MAX_STRING);
	ok = buf_putf(&line, "%s:%s:%s\n", c->domain, c->user, c->password) == ERR_OK &&
	     write(fd, buf_ptr(&line), buf_len(&line)) == (ssize_t)buf_len(&line) &&
	     fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
	buf_clear(&line);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", SPAWN_INHERITED_FD);
	if (!ok || setenv("NTLM_USER_FILE", path, 1) < 0) {
		close(fd);
		return;
	}
	d->ntlm_fd = fd;
	spawn_inherit(fd);
	log_info("host: NTLM credentials for %s from the delegated credentials, in memory",
		 c->user);
}

/* The credentials the privileged part sealed for this host, opened. */
static int open_sealed(const struct delegation *d, const char *text, struct creds *c)
{
	struct buf sealed, plain;
	char aad[64];
	int ok;

	buf_init(&sealed, 8192);
	buf_init(&plain, 8192);
	snprintf(aad, sizeof(aad), SEALBOX_AAD_FORMAT, (unsigned)getuid());
	ok = d->has_key && util_b64_decode(&sealed, text, strlen(text)) == ERR_OK &&
	     sealbox_open(d->key, aad, strlen(aad), buf_ptr(&sealed), buf_len(&sealed), &plain) ==
		 ERR_OK &&
	     buf_get_cstring(&plain, &c->domain, SHELL_MAX_STRING) == ERR_OK &&
	     buf_get_cstring(&plain, &c->user, SHELL_MAX_STRING) == ERR_OK &&
	     buf_get_cstring(&plain, &c->password, SHELL_MAX_STRING) == ERR_OK;
	buf_clear(&sealed);
	buf_clear(&plain);
	if (!ok) {
		creds_clear(c);
		log_warnx("host: delegated credentials that do not open with this host's key: "
			  "ignored");
	}
	return ok;
}

void delegation_take(struct delegation *d, struct shell_create_req *create)
{
	struct creds c = {0};

	if (!create->delegated)
		return;
	if (d && open_sealed(d, create->delegated, &c)) {
		delegation_forget(d);
		get_tgt(d, &c);
		offer_ntlm(d, &c);
	}
	creds_clear(&c);
	free(create->delegated);
	create->delegated = NULL;
}
