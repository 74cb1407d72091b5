/* priv_acceptor: the GSSAPI acceptor process (acceptor.h), as the
 * privileged part starts, feeds and replaces it. Its child copies, as
 * root, the keytab and the NTLM hash file into sealed memory files, then
 * becomes the service account (the network process's uid and gid, no
 * supplementary groups) with no_new_privs and an environment of the
 * mechanisms' settings alone, and execs winrmd --role=acceptor: the
 * acceptor never runs as root and holds no descriptor of the files or of
 * the listeners. One that dies is started again after a back-off that
 * doubles while it keeps dying young; the logons it had under way fail
 * (priv_gss.c, priv_credssp.c answer them as a bad token would). One
 * whose keytab or hash file changed (a reload, `winrm user set`) is
 * replaced, so a logon never meets old keys. */
#include "priv/priv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <krb5/krb5.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"

#define ACCEPTOR_CALL_TIMEOUT_MS 30000 /* a hung acceptor is killed */
#define ACCEPTOR_BACKOFF_MIN_MS 100
#define ACCEPTOR_BACKOFF_MAX_MS 10000
#define ACCEPTOR_STABLE_MS 10000 /* lived this long: its death was no crash loop */
#define ACCEPTOR_STOP_WAIT_MS 2000
#define ACCEPTOR_MAX_KEYS 65536 /* keytab entries copied */
#define ACCEPTOR_FIRST_FD 4	/* its memory files, after the channel (fd 3) */

_Static_assert(2 * PRIV_MAX_GSS_CONTEXTS <= IPC_MAX_ACCEPT_SLOTS,
	       "the acceptor has a slot for each Negotiate and each CredSSP handshake");

/* What an acceptor loaded, to tell when it must load again. */
struct file_id {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};
struct acceptor_inputs {
	char keytab[PATH_MAX]; /* its name; "" for krb5's default */
	int winbind;
	struct file_id keytab_id, users_id;
};

struct priv_acceptor {
	struct ipc_endpoint *ep;
	pid_t pid; /* 0: none running */
	uint64_t started_ms;
	uint64_t generation; /* acceptors started: slots of an older one are void */
	uint32_t backoff_ms;
	struct event *restart_ev;
	char *ktname_env; /* KRB5_KTNAME as winrmd found it, for when Keytab is cleared */
	struct acceptor_inputs loaded;
};

static struct priv_acceptor *state(struct priv *p)
{
	if (!p->acceptor && (p->acceptor = calloc(1, sizeof(*p->acceptor)))) {
		const char *env = getenv("KRB5_KTNAME");
		p->acceptor->ktname_env = env ? strdup(env) : NULL;
	}
	return p->acceptor;
}

static void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (!path || stat(path, &st) < 0)
		return;
	id->exists = 1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
}

static int file_id_same(const struct file_id *a, const struct file_id *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The file of a keytab name, or NULL for a type that has none. */
static const char *keytab_file(const char *name)
{
	if (strncmp(name, "FILE:", 5) == 0)
		return name + 5;
	if (strncmp(name, "WRFILE:", 7) == 0)
		return name + 7;
	return name[0] == '/' ? name : NULL;
}

static void ntlm_users_path(const struct priv *p, char out[PATH_MAX])
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", p->config_dir, CONFIG_NTLM_USERS) >= PATH_MAX)
		out[0] = 0;
}

/* Keytab, else what KRB5_KTNAME named when winrmd started, else krb5's
 * default: clearing Keytab on a reload goes back to that. */
static void inputs_now(struct priv *p, struct acceptor_inputs *in)
{
	const char *keytab = p->cfg.service.auth.keytab;
	char users[PATH_MAX];

	memset(in, 0, sizeof(*in));
	if (keytab && *keytab)
		snprintf(in->keytab, sizeof(in->keytab), "%s", keytab);
	else if (p->acceptor->ktname_env)
		snprintf(in->keytab, sizeof(in->keytab), "%s", p->acceptor->ktname_env);
	in->winbind = p->cfg.service.auth.ntlm_winbind;
	file_id_of(in->keytab[0] ? keytab_file(in->keytab) : NULL, &in->keytab_id);
	ntlm_users_path(p, users);
	if (!in->winbind && users[0])
		file_id_of(users, &in->users_id);
}

static int inputs_same(const struct acceptor_inputs *a, const struct acceptor_inputs *b)
{
	return strcmp(a->keytab, b->keytab) == 0 && a->winbind == b->winbind &&
	       file_id_same(&a->keytab_id, &b->keytab_id) &&
	       file_id_same(&a->users_id, &b->users_id);
}

/* ---- the child, as root until it execs ---- */

static int memfd_sealed(int fd)
{
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

/* A keytab file in memory with the entries of the keytab named name ("":
 * krb5's default). A keytab that cannot be read gives one with no entry:
 * Kerberos logons fail, as they would with the file. */
static int keytab_copy(const char *name)
{
	static const uint8_t version[2] = {0x05, 0x02}; /* the file keytab's, version 2 */
	krb5_context k = NULL;
	krb5_keytab from = NULL, to = NULL;
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	char mem[64];
	krb5_error_code e;
	int fd = memfd_create("keytab", MFD_CLOEXEC | MFD_ALLOW_SEALING), n = 0;

	if (fd < 0 || write(fd, version, sizeof(version)) != (ssize_t)sizeof(version))
		return -1;
	snprintf(mem, sizeof(mem), "FILE:/proc/self/fd/%d", fd);
	if ((e = krb5_init_context(&k)) != 0 ||
	    (e = name[0] ? krb5_kt_resolve(k, name, &from) : krb5_kt_default(k, &from)) != 0 ||
	    (e = krb5_kt_resolve(k, mem, &to)) != 0 ||
	    (e = krb5_kt_start_seq_get(k, from, &cursor)) != 0) {
		/* No keytab at all is normal where Kerberos is not set up. */
		if (name[0])
			log_warnx("GSSAPI acceptor: cannot read the keytab %s: %s", name,
				  k ? krb5_get_error_message(k, e) : "no krb5 context");
	} else {
		while (n < ACCEPTOR_MAX_KEYS && krb5_kt_next_entry(k, from, &entry, &cursor) == 0) {
			if ((e = krb5_kt_add_entry(k, to, &entry)) == 0)
				n++;
			krb5_free_keytab_entry_contents(k, &entry);
			if (e)
				break;
		}
		krb5_kt_end_seq_get(k, from, &cursor);
	}
	if (to)
		krb5_kt_close(k, to);
	if (from)
		krb5_kt_close(k, from);
	if (k)
		krb5_free_context(k);
	return memfd_sealed(fd) < 0 ? -1 : fd;
}

/* The NTLM hash file in memory (empty when there is none). */
static int users_copy(const char *path)
{
	char chunk[4096];
	ssize_t n = 0;
	int fd = memfd_create("ntlm_users", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int in = path[0] ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;

	if (fd < 0)
		return -1;
	for (size_t total = 0; in >= 0 && total < NTLM_MAX_FILE; total += (size_t)n) {
		if ((n = read(in, chunk, sizeof(chunk))) <= 0 || write(fd, chunk, (size_t)n) != n)
			break;
	}
	if (in >= 0)
		close(in);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return n < 0 || memfd_sealed(fd) < 0 ? -1 : fd;
}

/* fd moved to the first free number from ACCEPTOR_FIRST_FD, kept across exec. */
static int inheritable(int fd)
{
	int moved = fcntl(fd, F_DUPFD, ACCEPTOR_FIRST_FD);

	close(fd);
	return moved;
}

static void child(struct priv *p, int chan, const struct acceptor_inputs *in)
{
	static const char *const keep[] = {
	    "ASAN_OPTIONS",    "LSAN_OPTIONS",	   "UBSAN_OPTIONS",    "KRB5_CONFIG",
	    "KRB5RCACHEDIR",   "KRB5RCACHETYPE",   "KRB5_KDC_PROFILE", "KRB5_TRACE",
	    "GSS_MECH_CONFIG", "GSSNTLMSSP_DEBUG",
	};
	char users[PATH_MAX], path[64], computer[NTLM_MAX_COMPUTER_NAME + 1];
	int fds[2] = {-1, -1};

	ntlm_users_path(p, users);
	if ((fds[0] = inheritable(keytab_copy(in->keytab))) < 0 ||
	    (!in->winbind && (fds[1] = inheritable(users_copy(users))) < 0))
		priv_child_fail(-1, "GSSAPI acceptor: memory files");
	if (priv_child_env(keep, sizeof(keep) / sizeof(keep[0])) < 0)
		priv_child_fail(-1, "GSSAPI acceptor: environment");
	snprintf(path, sizeof(path), "FILE:/proc/self/fd/%d", fds[0]);
	/* gss-ntlmssp reads these; LM_COMPAT_LEVEL 5: NTLMv2 only, LM and
	 * NTLMv1 responses refused. With winbind, winbind names this host
	 * and its domain and holds the hashes. */
	if (setenv("KRB5_KTNAME", path, 1) < 0 || setenv("LM_COMPAT_LEVEL", "5", 1) < 0)
		priv_child_fail(-1, "GSSAPI acceptor: environment");
	if (fds[1] >= 0) {
		/* The challenge's target name, the domain of the hash entries. */
		ntlm_computer_name(computer);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[1]);
		if (setenv("NTLM_USER_FILE", path, 1) < 0 ||
		    setenv("NETBIOS_COMPUTER_NAME", computer, 1) < 0)
			priv_child_fail(-1, "GSSAPI acceptor: environment");
	}
	if (p->privsep && (setgroups(0, NULL) < 0 || priv_setids(p->net_uid, p->net_gid) < 0))
		priv_child_fail(-1, "GSSAPI acceptor: cannot become the service account");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		priv_child_fail(-1, "GSSAPI acceptor: no_new_privs");
	priv_exec_role(p, "acceptor", p->self_uid, p->self_pid, chan, -1, fds, 2);
}

/* ---- the privileged part's side ---- */

static enum err no_request(void *arg, struct ipc_msg *m)
{
	(void)arg;
	(void)m;
	return ERR_FORMAT; /* ipc_recv lets only answers through from the acceptor */
}

/* Closes the channel: the calls under way are answered as failed. */
static void drop_channel(struct priv_acceptor *a)
{
	struct ipc_endpoint *ep = a->ep;

	if (!ep)
		return;
	a->ep = NULL;
	ipc_endpoint_fail(ep, ERR_IO);
	ipc_endpoint_free(ep);
}

static void lost(void *arg, enum err why)
{
	struct priv *p = arg;
	struct priv_acceptor *a = p->acceptor;

	if (why != ERR_IO)
		log_warnx("GSSAPI acceptor (pid %d) broke the protocol (%s): killing it",
			  (int)a->pid, err_str(why));
	drop_channel(a);
	/* Reaped, then started again (priv_acceptor_reaped). */
	if (a->pid > 0)
		kill(a->pid, SIGKILL);
}

void priv_acceptor_attach(struct priv *p, int fd, pid_t pid)
{
	static const struct ipc_endpoint_ops ops = {no_request, lost};
	struct priv_acceptor *a = p->acceptor;

	a->ep = ipc_endpoint_new(p->base, fd, IPC_ROLE_PRIV, IPC_ROLE_ACCEPTOR, p->net_uid, pid,
				 &ops, p);
	if (!a->ep)
		fatalx("libevent: cannot watch the GSSAPI acceptor");
	a->pid = pid;
	a->started_ms = util_now_ms();
	a->generation++;
}

static void start(struct priv *p)
{
	struct priv_acceptor *a = p->acceptor;
	int sv[2];

	inputs_now(p, &a->loaded);
	if (ipc_socketpair(sv) < 0) {
		log_warn("GSSAPI acceptor: socketpair");
		return;
	}
	pid_t pid = priv_fork();
	if (pid < 0) {
		log_warn("GSSAPI acceptor: fork");
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		child(p, sv[1], &a->loaded);
	}
	close(sv[1]);
	priv_acceptor_attach(p, sv[0], pid);
	log_info("GSSAPI acceptor started: pid %d", (int)pid);
}

/* Ends the running acceptor, which closes on its channel's end; it is
 * reaped as any child. */
static void retire(struct priv_acceptor *a)
{
	drop_channel(a);
	if (a->pid > 0)
		kill(a->pid, SIGTERM);
	a->pid = 0;
}

static void restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct priv *p = arg;
	(void)fd, (void)what;

	if (!p->stopping && !p->acceptor->pid)
		start(p);
}

int priv_acceptor_reaped(struct priv *p, pid_t pid, int status)
{
	struct priv_acceptor *a = p->acceptor;
	char desc[64];

	if (!a || pid != a->pid || pid <= 0)
		return 0;
	a->pid = 0;
	drop_channel(a);
	if (p->stopping)
		return 1;
	/* Dying young again and again doubles the wait; a life of a while
	 * resets it. */
	if (util_now_ms() - a->started_ms >= ACCEPTOR_STABLE_MS || !a->backoff_ms)
		a->backoff_ms = ACCEPTOR_BACKOFF_MIN_MS;
	else if ((a->backoff_ms *= 2) > ACCEPTOR_BACKOFF_MAX_MS)
		a->backoff_ms = ACCEPTOR_BACKOFF_MAX_MS;
	log_warnx("GSSAPI acceptor (pid %d) %s: starting another in %u ms", (int)pid,
		  priv_wait_status(status, desc, sizeof(desc)), (unsigned)a->backoff_ms);
	struct timeval tv = {a->backoff_ms / 1000, (a->backoff_ms % 1000) * 1000};
	if ((a->restart_ev || (a->restart_ev = evtimer_new(p->base, restart_cb, p))) &&
	    evtimer_add(a->restart_ev, &tv) == 0)
		return 1;
	log_warnx("libevent: cannot time the GSSAPI acceptor's restart: starting it now");
	start(p);
	return 1;
}

void priv_acceptor_configure(struct priv *p, int reread)
{
	struct priv_acceptor *a = state(p);
	struct acceptor_inputs now;

	if (!a) {
		log_warnx("out of memory: Negotiate, Kerberos and CredSSP will refuse every logon");
		return;
	}
	inputs_now(p, &now);
	if (a->pid > 0 && !reread && inputs_same(&now, &a->loaded))
		return;
	if (a->pid > 0)
		log_info("GSSAPI acceptor (pid %d): loading the keytab and NTLM hashes again",
			 (int)a->pid);
	else if (a->restart_ev && evtimer_pending(a->restart_ev, NULL))
		return; /* started when its back-off ends */
	retire(a);
	start(p);
}

void priv_acceptor_check(struct priv *p)
{
	struct priv_acceptor *a = p->acceptor;
	struct acceptor_inputs now;

	if (!a || a->pid <= 0)
		return;
	inputs_now(p, &now);
	if (!inputs_same(&now, &a->loaded))
		priv_acceptor_configure(p, 1);
}

void priv_acceptor_slots(struct priv *p, uint64_t *generation, void *slots, size_t n, size_t size,
			 void (*release)(void *slot))
{
	uint64_t now = p->acceptor ? p->acceptor->generation : 0;

	if (*generation == now)
		return;
	for (size_t i = 0; i < n; i++) {
		struct priv_slot *s = (struct priv_slot *)((char *)slots + i * size);
		if (s->last_ms)
			release(s);
	}
	*generation = now;
}

struct acceptor_call {
	struct priv *p;
	priv_accepted_fn *done;
	void *arg;
};

static void answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct acceptor_call *c = arg;
	struct priv_acceptor *a = c->p->acceptor;
	struct ipc_accepted r;

	if (e == ERR_OK && (e = ipc_accepted_decode(&m->body, &r)) != ERR_OK)
		log_warnx("GSSAPI acceptor (pid %d) sent a malformed answer: killing it",
			  (int)a->pid);
	else if (e == ERR_TIMEOUT)
		log_warnx("GSSAPI acceptor (pid %d) did not answer in %d ms: killing it",
			  (int)a->pid, ACCEPTOR_CALL_TIMEOUT_MS);
	if (e == ERR_OK) {
		c->done(c->p, c->arg, &r);
		ipc_accepted_clear(&r);
	} else {
		if (e != ERR_IO && a->pid > 0)
			kill(a->pid, SIGKILL);
		c->done(c->p, c->arg, NULL);
	}
	free(c);
}

enum err priv_acceptor_call(struct priv *p, const struct ipc_accept *m, priv_accepted_fn *done,
			    void *arg)
{
	struct priv_acceptor *a = p->acceptor;
	struct acceptor_call *c;
	struct ipc_call *call;
	struct buf body;
	enum err e = ERR_IO;

	if (!a || !a->ep)
		return ERR_IO;
	if (!(c = malloc(sizeof(*c))))
		return ERR_NOMEM;
	*c = (struct acceptor_call){p, done, arg};
	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if ((e = ipc_accept_encode(&body, m)) == ERR_OK)
		e = ipc_endpoint_call(a->ep, IPC_ACCEPT, &body, ACCEPTOR_CALL_TIMEOUT_MS, answered,
				      c, &call);
	buf_clear(&body);
	if (e != ERR_OK)
		free(c);
	return e;
}

static void released(struct priv *p, void *arg, struct ipc_accepted *r)
{
	(void)p, (void)arg, (void)r;
}

void priv_acceptor_release(struct priv *p, uint32_t slot)
{
	struct ipc_accept m = {.slot = slot, .fresh = 1};

	/* Not sent: the acceptor is gone, and the context with it. */
	(void)priv_acceptor_call(p, &m, released, NULL);
}

pid_t priv_acceptor_pid(const struct priv *p)
{
	return p->acceptor ? p->acceptor->pid : 0;
}

void priv_acceptor_stop(struct priv *p)
{
	struct priv_acceptor *a = p->acceptor;
	struct timespec ms = {0, 10 * 1000 * 1000};

	if (!a)
		return;
	pid_t pid = a->pid;
	retire(a);
	/* As the network process, so that none is left when we are gone. */
	for (int waited = 0; pid > 0 && waited < ACCEPTOR_STOP_WAIT_MS; waited += 10) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			pid = 0;
		else
			nanosleep(&ms, NULL);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (a->restart_ev)
		event_free(a->restart_ev);
	free(a->ktname_env);
	free(a);
	p->acceptor = NULL;
}
