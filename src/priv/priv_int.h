/* priv_int.h: privileged part. The state and internal calls shared by the
 * files of src/priv/: priv.c (start-up, event loop, the network process,
 * signals), priv_pam.c (password verification, authorisation, tokens),
 * priv_gss.c (the acceptor side of Negotiate and Kerberos), priv_credssp.c
 * (CredSSP's), priv_acceptor.c (the process that does their GSSAPI work),
 * priv_host.c
 * (PAM sessions and per-user hosts), priv_listen.c (listening sockets and
 * certificates), priv_config.c (configuration changes asked over the
 * network), priv_files.c (who may have written the configuration). */
#ifndef OPENWINRM_PRIV_INT_H
#define OPENWINRM_PRIV_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <event2/event.h>
#include <gssapi/gssapi.h>
#include <openssl/x509.h>
#include <security/pam_appl.h>

#include "common/buf.h"
#include "common/sealbox.h"
#include "config/config.h"
#include "ipc/ipc.h"
#include "ipc/ipc_endpoint.h"
#include "ipc/ipc_priv.h"
#include "priv/priv.h"

#define PRIV_MAX_PAM_WORKERS 8 /* PAM conversations running at once */
#define PRIV_MAX_PAM_QUEUE 256 /* verifications waiting for a worker; more get IPC_AUTH_BUSY */
/* Refusals held for PAM's failure delay (a timer each, no worker): more
 * are answered at once, the failure counts bounding what that gains. */
#define PRIV_MAX_DELAYED 1024
#define PRIV_THROTTLE_ENTRIES 1024   /* addresses, and accounts, counted at once */
#define PRIV_FAILURE_WINDOW_MS 60000 /* failed logons are counted per minute */
/* The CPU priority of a suspect check's PAM worker (the lowest): a
 * password hash costs tens of milliseconds of CPU. */
#define PRIV_SUSPECT_NICE 19
/* A verification or a host start-up stuck this long (a hung directory
 * server, a PAM module waiting on something) is killed and answered as a
 * failure, so it cannot hold a slot for ever. */
#define PRIV_PAM_TIMEOUT_MS 60000
#define PRIV_HOST_START_TIMEOUT_MS 60000
/* PATH of a host (and of what the privileged part runs as root). */
#define PRIV_USER_PATH "/usr/local/bin:/usr/bin:/bin"
#define PRIV_ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PRIV_MAX_TOKENS 4096 /* accounts remembered for IPC_HOST_OPEN; oldest evicted */
/* Live tokens one account may hold: past that its own oldest goes, so one
 * account's logons, however many, cannot push out the tokens of others. A
 * quarter of the ring, well above MaxConnections' default of 300
 * connections each holding one (and a renewed one for 30 s). */
#define PRIV_MAX_TOKENS_PER_ACCOUNT (PRIV_MAX_TOKENS / 4)
/* A token replaced by IPC_TOKEN_RENEW stays good this much longer (or
 * until it expires, if sooner): the network process may have sent it in
 * requests before it saw the new one, and those are handled in order
 * right after the renewal. It then leaves its slot to the next token
 * (token_issue), so renewals do not crowd the ring. */
#define PRIV_TOKEN_RENEW_GRACE_MS 30000
/* A chain of renewals ends this long after the credential was verified:
 * the connection must then authenticate again. Ten hours is Windows'
 * default maximum lifetime of a Kerberos ticket, which bounds how long a
 * domain logon lasts without the credential. */
#define PRIV_LOGON_MAX_AGE_MS (10ull * 3600 * 1000)
/* A renewal runs PAM's account stack again when the last run is this old,
 * so an account locked, expired or refused by pam_access loses the
 * connections it authenticated within this time, at one PAM run per
 * connection per period of use. */
#define PRIV_ACCOUNT_RECHECK_MS (5 * 60 * 1000)
/* Winrs/MaxConcurrentUsers defaults to 2147483647: this caps the root
 * session processes whatever the setting says. */
#define PRIV_MAX_HOSTS 1024
#define PRIV_MAX_GROUPS 65536 /* NGROUPS_MAX on Linux */
#define PRIV_LISTEN_BACKLOG 511
/* Half-made GSSAPI contexts, one per connection in a handshake; the oldest
 * goes when a new one needs room, and one idle this long is dropped. */
#define PRIV_MAX_GSS_CONTEXTS 1024
/* Handshakes one client address may have under way: more from it take
 * its own oldest slot, so a flood from one address cannot push out the
 * handshakes of others. */
#define PRIV_MAX_HANDSHAKES_PER_SOURCE 64
#define PRIV_GSS_CONTEXT_TTL_MS 60000
/* The network process is restarted when it dies, but, as a service
 * manager's start limit (systemd's StartLimitBurst), not more than this
 * many times within the window: the next death stops the service, so a
 * crash loop does not spin. */
#define PRIV_NET_RESTART_BURST 5
#define PRIV_NET_RESTART_WINDOW_MS 60000

/* One account that passed a password check, named by an unguessable token. */
struct priv_account {
	uint8_t token[IPC_TOKEN_LEN];
	uint64_t expires_ms; /* util_now_ms clock */
	int renewed;	     /* IPC_TOKEN_RENEW replaced it: it cannot be renewed again */
	/* The chain of renewals: when the credential was verified, when PAM's
	 * account stack last admitted the account, and from where and how the
	 * client logged on (PAM_RHOST and the log of the re-check). */
	uint64_t logon_ms, checked_ms;
	char peer[IPC_MAX_PEER + 1];
	char scheme[IPC_MAX_SCHEME + 1];
	char *name; /* canonical, from the passwd entry; NULL if the slot is free */
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;
};

struct priv;

/* An account check that another part of the privileged part waits for: a
 * GSSAPI logon, whose credential GSSAPI verified. done is called exactly
 * once with what to answer (IPC_AUTH_OK, IPC_AUTH_BAD_CREDENTIALS,
 * IPC_AUTH_BUSY) and, unless OK, the verdict for the log line, the same
 * text a password check logs for the same refusal; at shutdown drop frees
 * arg instead, and nothing is answered. */
struct priv_check {
	void (*done)(struct priv *p, void *arg, enum ipc_auth_status status, const char *verdict);
	void (*drop)(void *arg);
	void *arg;
};

/* A password check (Basic), or an account check (check.done set) that
 * runs only PAM's account stack. */
struct priv_auth_req {
	struct priv_auth_req *next;
	uint32_t id;
	struct ipc_auth_password m; /* an account check has no password */
	struct priv_check check;
	int throttled;		/* counted by priv_throttle_admit until done */
	int suspect;		/* priv_throttle_suspect when it was asked */
	struct event *delay_ev; /* a refusal waiting out PAM's failure delay */
	struct priv *p;		/* for delay_ev's callback */
};

/* What one client address or one account has asked of the PAM pool
 * (priv_throttle.c). */
struct priv_tally {
	char key[IPC_MAX_USER + 1]; /* the address or the account; "" when free */
	uint32_t inflight;	    /* password checks waiting or running */
	uint32_t failures;	    /* failed since window_start_ms */
	uint64_t window_start_ms;
};

/* A slot for one PAM verification process. */
struct priv_worker {
	struct priv *p;
	int fd;	   /* read end of the verdict pipe; -1 when the slot is free */
	pid_t pid; /* 0 once reaped */
	struct event *ev;
	struct priv_auth_req *req; /* its password already wiped */
};

/* An administrator's WMI method running as root in a child (priv_cim.c). */
#define PRIV_MAX_ELEVATED 8 /* at once; more are answered busy */
struct priv_elevated {
	struct priv *p;
	uint32_t id;	  /* the request's, to answer */
	struct event *ev; /* watches fd, with the deadline; NULL when the slot is free */
	int fd;		  /* read end of the answer's pipe */
	pid_t pid;	  /* the child, until it has answered */
	struct buf got;	  /* the answer so far */
	char user[IPC_MAX_USER + 1], peer[IPC_MAX_PEER + 1], scheme[IPC_MAX_SCHEME + 1];
	char method[CIM_MAX_NAME + 1];
	char what[1024]; /* "root/cimv2/Win32_Service.StopService(Name=x)" */
};

struct priv_session;

struct priv_socket {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	uint32_t listener; /* index among the enabled listeners */
	int fresh;	   /* bound by the pending reload, not yet committed */
};

/* Everything IPC_CONFIG says about listeners, plus the sockets. */
struct priv_listeners {
	uint32_t nlisteners;
	char *name[IPC_MAX_LISTENERS]; /* "Address=*+Transport=HTTPS" */
	uint32_t https[IPC_MAX_LISTENERS];
	char *url_prefix[IPC_MAX_LISTENERS];
	char *cert_pem[IPC_MAX_LISTENERS];
	char *key_pem[IPC_MAX_LISTENERS];
	size_t key_len[IPC_MAX_LISTENERS];
	uint32_t nsockets;
	struct priv_socket sockets[IPC_MAX_FDS];
};

struct priv {
	const struct winrmd_opts *opts;
	char config_dir[PATH_MAX];
	char pid_file[PATH_MAX];
	int pid_file_written;
	struct config cfg;
	struct priv_listeners listen;

	/* winrmd itself, opened as root at start (priv_exe_open): every role
	 * is executed from it, never by path as the role's account, which
	 * may not reach the file (a tree under /root or in a 0700 directory),
	 * and a package upgrade that replaces the file meanwhile does not
	 * mix versions. Close-on-exec: no role, nor what they run, holds it. */
	int exe_fd;
	int privsep; /* started as root: the network process runs as net_uid */
	uid_t self_uid;
	pid_t self_pid;
	char *self_name; /* single-user mode: the only account that may log in */
	uid_t net_uid;
	gid_t net_gid;

	struct event_base *base;
	struct event *sig_hup, *sig_term, *sig_int, *sig_chld;
	struct ipc_endpoint *net; /* NULL from the network process's loss to its restart */
	pid_t net_pid;		  /* 0 once reaped */
	/* When the network process was last restarted, oldest first from
	 * net_restart_next once all are used (PRIV_NET_RESTART_BURST). */
	uint64_t net_restart_ms[PRIV_NET_RESTART_BURST];
	uint32_t net_restart_next, net_restarts;

	struct priv_worker workers[PRIV_MAX_PAM_WORKERS];
	struct priv_auth_req *queue_head, *queue_tail;
	uint32_t queue_len;
	struct priv_auth_req *delayed; /* refusals waiting out PAM's delay */
	uint32_t ndelayed;
	struct priv_tally throttle_sources[PRIV_THROTTLE_ENTRIES];
	struct priv_tally throttle_accounts[PRIV_THROTTLE_ENTRIES];
	struct priv_account tokens[PRIV_MAX_TOKENS];
	uint32_t token_next; /* the oldest entry, overwritten next */

	struct priv_acceptor *acceptor;		/* priv_acceptor.c's process */
	struct priv_gss *gss;			/* priv_gss.c's handshakes */
	struct priv_credssp *credssp;		/* priv_credssp.c's logons under way */
	struct priv_cert_issuers *cert_issuers; /* priv_cert.c's */

	struct priv_session *sessions;
	uint32_t nsessions;
	struct priv_elevated elevated[PRIV_MAX_ELEVATED];

	int stopping;
	int exit_status;
};

/* A configuration made ready to run: its listeners' sockets bound (or
 * shared with the running configuration where the address is unchanged),
 * certificates read, IPC_CONFIG built. Nothing runs it until commit. */
struct priv_staged {
	struct config cfg;
	struct priv_listeners next;
	struct buf body; /* IPC_CONFIG */
	int fds[IPC_MAX_FDS];
	int nfds;
	int reread; /* SIGHUP: files read at start-up are read again, changed or not */
};

/* priv.c */
/* Stages c (taken: st owns it, or it is freed on error, with errmsg
 * saying why). Start-up, SIGHUP and configuration changes all go through
 * here and priv_stage_commit, so a change takes effect as a reload does. */
enum err priv_stage(struct priv *p, struct config *c, struct priv_staged *st, struct buf *errmsg);
void priv_stage_abort(struct priv_staged *st);
/* Makes st the configuration in force and sends it to the network process. */
void priv_stage_commit(struct priv *p, struct priv_staged *st);
void priv_net_send(struct priv *p, uint32_t type, uint32_t id, const struct buf *body,
		   const int *fds, int nfds);
void priv_stop(struct priv *p, int status);
/* The network process is lost: it is killed, its channel closed, and what
 * the privileged part held for it dropped (its tokens, the checks, the
 * handshakes and the host starts it asked for), so its successor, which is
 * as untrusted, inherits nothing of it. reap restarts it. */
void priv_net_gone(struct priv *p);
/* fork() that leaves the child with default signal handlers: libevent's
 * would otherwise forward the child's signals into the parent's loop. */
pid_t priv_fork(void);
/* Closes every descriptor from 3 up except those in keep (at most
 * PRIV_MAX_KEEP_FDS; -1 entries are ignored): for children that run on
 * after fork, and for ourselves at start-up against descriptors leaked by
 * whoever started us. */
#define PRIV_MAX_KEEP_FDS 5
int priv_closefrom(const int *keep, int n);
/* Sets all three gids and uids and checks root cannot be regained. */
int priv_setids(uid_t uid, gid_t gid);
/* The file at path (winrmd: /proc/self/exe) as the descriptor the roles
 * are executed from (priv->exe_fd): O_PATH, close-on-exec, numbered
 * above the roles' channel (fd 3), which priv_exec_role overwrites. -1 on
 * failure. */
int priv_exe_open(const char *path);
/* Execs winrmd (p->exe_fd) in another role with chan as fd 3 and the
 * ninherit (at most 2) descriptors of inherit, numbered above 3, as they
 * are; on failure writes errno to errfd (if >= 0) and exits 127. */
void priv_exec_role(const struct priv *p, const char *role, uid_t peer_uid, pid_t peer_pid,
		    int chan, int errfd, const int *inherit, int ninherit)
    __attribute__((noreturn));
/* Clears the environment but for the n variables named in keep: for a
 * child before it execs another role. 0, or -1. */
#define PRIV_MAX_CHILD_ENV 16
int priv_child_env(const char *const *keep, size_t n);
/* Reports errno through errfd (if >= 0) and exits 127: for a child between
 * fork and exec. */
void priv_child_fail(int errfd, const char *what) __attribute__((noreturn));
const char *priv_wait_status(int status, char *out, size_t len);

/* priv_throttle.c */
/* Whether a password check for user from peer may go to PAM: NULL, and it
 * is counted until priv_throttle_done; else the verdict of its refusal,
 * with *status the answer (IPC_AUTH_BUSY, IPC_AUTH_BAD_CREDENTIALS). */
const char *priv_throttle_admit(struct priv *p, const char *peer, const char *user,
				enum ipc_auth_status *status);
/* 1 if peer or user has failed logons in the current window: its checks
 * go after the others and at PRIV_SUSPECT_NICE. */
int priv_throttle_suspect(struct priv *p, const char *peer, const char *user);
/* A check priv_throttle_admit let through has ended; failed: PAM said no
 * to the password. */
void priv_throttle_done(struct priv *p, const char *peer, const char *user, int failed);

/* priv_pam.c */
/* The PAM service whose stack authenticates, checks accounts and opens
 * hosts' sessions (/etc/pam.d/NAME). */
const char *priv_pam_service(const struct priv *p);
/* The PAM conversation of every handle: answers password prompts with
 * appdata (a password, or NULL for none) and nothing else. */
int priv_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata);
/* Takes m (the password is wiped whatever happens). */
void priv_auth_request(struct priv *p, uint32_t id, struct ipc_auth_password *m);
/* Runs PAM's account management (pam_acct_mgmt: expiry, pam_access, ...)
 * for user in a worker, as a password check does after pam_authenticate,
 * and reports through check (copied). peer and scheme are for PAM_RHOST
 * and the log. done may run before this returns (no passwd entry, queue
 * full). */
void priv_account_check(struct priv *p, const char *user, const char *peer, const char *scheme,
			const struct priv_check *check);
const struct priv_account *priv_token_find(struct priv *p, const uint8_t token[IPC_TOKEN_LEN]);
/* IPC_TOKEN_RENEW: answers it, at once or, when the account's last PAM
 * check is PRIV_ACCOUNT_RECHECK_MS old, after PAM's account stack has run
 * again. A refusal is logged with its reason; a renewal, which a
 * connection in use asks for every few seconds, only at debug level. */
void priv_token_renew_request(struct priv *p, uint32_t id, const struct ipc_token_renew *m);
/* A new token for the account of a live one that was never renewed, if
 * the logon is less than PRIV_LOGON_MAX_AGE_MS old and the account may
 * still connect; the old one stays good for PRIV_TOKEN_RENEW_GRACE_MS at
 * most. account_checked: PAM's account stack has just admitted it. Fills
 * r (zero but the status on a refusal) and name (the account, "" if the
 * token is unknown) and returns the verdict for the log. */
const char *priv_token_renew(struct priv *p, const uint8_t token[IPC_TOKEN_LEN],
			     int account_checked, struct ipc_token_renewed *r,
			     char name[IPC_MAX_USER + 1]);
/* 1 if a is an administrator by the configuration in force (root, or a
 * member of Service/AdminGroups): asked at each use, not when the token
 * was issued, so removing someone from AdminGroups takes effect at once. */
int priv_is_admin(struct priv *p, const struct priv_account *a);
/* The account as the passwd database has it (name, uid, gid, home,
 * shell), or 0; priv_account_clear frees it. */
int priv_account_lookup(const char *user, struct priv_account *a);
void priv_account_clear(struct priv_account *a);
/* 1 if shell is one to log in with: listed in /etc/shells (getusershell)
 * and not nologin or false. */
int priv_login_shell(const char *shell);
/* a's groups (getgrouplist) into a new *groups: their number, or -1. */
int priv_account_groups(const struct priv_account *a, gid_t **groups);
/* 1 if one of groups is named in the comma list. */
int priv_in_groups(const char *list, const gid_t *groups, int ngroups);
void priv_auth_reaped(struct priv *p, pid_t pid);
/* Drops every check under way, unanswered, and every token: at shutdown,
 * and when the network process they were for is gone. */
void priv_auth_stop(struct priv *p);
/* The account named user (already authenticated, and admitted by PAM's
 * account stack) that logged on from peer with scheme: looks it up,
 * checks it may connect, issues a token. Fills res (res->user points at
 * name) and returns the verdict for the log. */
const char *priv_auth_admit(struct priv *p, const char *user, const char *peer, const char *scheme,
			    struct ipc_auth_result *res, char name[IPC_MAX_USER + 1]);

/* What a table of handshakes keyed by the network process's connection
 * serial (priv_gss.c, priv_credssp.c) begins each slot with. */
struct priv_slot {
	uint64_t conn;
	uint64_t last_ms; /* 0: free */
	char peer[IPC_MAX_PEER + 1];
};
/* The slot of conn among n slots of size bytes each (each beginning with
 * a struct priv_slot), its use noted; else a new one for peer: free,
 * expired or the oldest, or peer's own oldest when peer already holds
 * per_peer, release()d first (which must leave it zeroed), and *fresh
 * set. Expired slots met on the way are released too. */
void *priv_slot_for(void *slots, size_t n, size_t size, uint64_t conn, const char *peer,
		    size_t per_peer, uint64_t ttl_ms, void (*release)(void *slot), int *fresh);

/* priv_audit.c */
/* The audit event of a logon's verdict (the same text as its log line:
 * "success..." or "failure..."): the account as the client gave it or as
 * it was mapped, the principal (GSSAPI) or certificate it proved, where
 * from and how. Each scheme's logon ends here, so each writes the same. */
void priv_audit_logon(const char *verdict, const char *user, const char *principal,
		      const char *peer, uint32_t peer_port, const char *scheme);
/* A host started for user, running as run_as, asked by m. */
void priv_audit_host_start(const struct priv_account *user, const char *run_as,
			   const struct ipc_host_open *m);
/* A configuration change asked by the account of a token (NULL: unknown),
 * what it asked and what came of it. */
void priv_audit_config_change(const struct priv_account *by, const char *what, const char *outcome);
/* IPC_AUDIT: writes an event the network process reports, tagged as its
 * word; ERR_FORMAT for a kind only the privileged part may report. */
enum err priv_audit_from_net(const struct audit_event *ev);

/* priv_acceptor.c */
/* Starts the GSSAPI acceptor, or another if what it loaded (the keytab,
 * the NTLM hash file, NtlmWinbind) changed or reread is set. */
void priv_acceptor_configure(struct priv *p, int reread);
/* Replaces the acceptor if its keytab or hash file changed on disk
 * (`winrm user set`): before a handshake begins. */
void priv_acceptor_check(struct priv *p);
/* The acceptor's answer to a call: r, or NULL when none came (the
 * acceptor is down, died or hung; it is started again). */
typedef void priv_accepted_fn(struct priv *p, void *arg, struct ipc_accepted *r);
/* Sends m; done runs once with the answer, never before this returns.
 * On an error nothing was sent and done never runs. */
enum err priv_acceptor_call(struct priv *p, const struct ipc_accept *m, priv_accepted_fn *done,
			    void *arg);
/* The context of the acceptor's slot is no longer needed (a CredSSP logon
 * ended, its keys with it): dropped now rather than when the slot is
 * next used. */
void priv_acceptor_release(struct priv *p, uint32_t slot);
/* A table of handshake slots (struct priv_slot first) whose contexts were
 * in an acceptor that is gone: all released, *generation brought up to
 * the running acceptor's. */
void priv_acceptor_slots(struct priv *p, uint64_t *generation, void *slots, size_t n, size_t size,
			 void (*release)(void *slot));
/* The acceptor's channel (fd, of process pid) is in place: priv_acceptor
 * started it, or a test. */
void priv_acceptor_attach(struct priv *p, int fd, pid_t pid);
/* 1 if pid was the acceptor; another is started after a back-off. */
int priv_acceptor_reaped(struct priv *p, pid_t pid, int status);
/* The running acceptor's pid, or 0. */
pid_t priv_acceptor_pid(const struct priv *p);
void priv_acceptor_stop(struct priv *p);

/* priv_gss.c */
/* Takes one Negotiate/Kerberos leg (m is freed) and answers IPC_AUTH_GSS_RESULT. */
void priv_gss_request(struct priv *p, uint32_t id, struct ipc_auth_gss *m);
/* Learns this machine's names, which Kerberos tickets must be for. */
void priv_gss_configure(struct priv *p);
/* "FILE:path" of the store for tickets uid's clients forward, whether or
 * not any arrived yet (the host checks; host.h), or NULL if too long. */
const char *priv_gss_forwarded_tickets(const struct priv *p, uid_t uid, char *out, size_t len);
void priv_gss_stop(struct priv *p);
/* Who an established context authenticated, as the acceptor reported it
 * (r->source, r->target, r->mech): the principal for the log (who), and
 * the local account it maps to, after the checks every GSSAPI logon gets
 * (a Kerberos ticket names this service). NULL when it maps; else the
 * verdict of the refusal, for the log line. */
const char *priv_gss_principal(struct priv *p, const struct ipc_accepted *r,
			       char account[IPC_MAX_USER + 1], char *who, size_t wholen);
/* The account part of an NTLM name the local hash file verified (no
 * winbind): the name as it is with no domain, after "." or this machine's
 * NetBIOS or host name; NULL for another domain, whose accounts are not
 * this machine's. */
const char *priv_gss_ntlm_user(const char *shown);
/* "Kerberos" or "NTLM", for the log: r's mechanism. */
const char *priv_gss_mech_name(const struct ipc_accepted *r);

/* priv_credssp.c */
/* Takes one TSRequest of a CredSSP logon (m is freed) and answers
 * IPC_AUTH_CREDSSP_RESULT, at once or when PAM's account stack has
 * checked the account. */
void priv_credssp_request(struct priv *p, uint32_t id, struct ipc_auth_credssp *m);
void priv_credssp_stop(struct priv *p);
/* The key uid's own hosts open delegated credentials with, made on first
 * use (HOST_ENV_DELEGATION_KEY); 0 when there is none to give. */
int priv_credssp_host_key(struct priv *p, uid_t uid, uint8_t key[SEALBOX_KEY_LEN]);

/* priv_cert.c */
/* What a certificate logon found: the account of the entry that admitted
 * the certificate (else ""), the certificate's subject for the log, and
 * room for a verdict that names the chain's fault. */
struct priv_cert_verdict {
	char account[IPC_MAX_USER + 1];
	char who[256];
	char why[256];
};
/* Takes one IPC_AUTH_CERT (m is freed) and answers IPC_AUTH_CERT_RESULT. */
void priv_cert_request(struct priv *p, uint32_t id, struct ipc_auth_cert *m);
/* The certmapping entry of c that chain (DER certificates, the client's
 * first) and resource uri meet, its issuer found among issuers by
 * thumbprint: NULL with out->account filled, or the verdict of the
 * refusal for the log. Pure: no I/O, no state. */
const char *priv_cert_map(const struct config *c, STACK_OF(X509) * issuers, const uint8_t *chain,
			  size_t chain_len, const char *uri, struct priv_cert_verdict *out);
void priv_cert_stop(struct priv *p);

/* priv_endpoint.c: a session configuration's host, for one connecting
 * user. */
#define PRIV_MAX_GROUP_LIST 4096
struct priv_endpoint {
	char name[IPC_MAX_ENDPOINT + 1];
	struct priv_account run_as;	  /* RunAsUser, else the connecting user */
	char pssc[PATH_MAX];		  /* ConfigFilePath, "" for none */
	char pwsh[PATH_MAX];		  /* the pwsh the host runs */
	char groups[PRIV_MAX_GROUP_LIST]; /* the connecting user's, comma-separated */
	/* Filled by priv_endpoint_compile: DIR/jea/<name>.<pid>.pssc, and the
	 * RoleDefinitions entries that applied, comma-separated. */
	char compiled[PATH_MAX];
	char roles[1024];
};
/* May account a use endpoint name, and as whom? ERR_OK with *ep filled
 * (free with priv_endpoint_clear, also after a refusal), else the fault
 * to answer (ERR_WSMAN_ACCESS_DENIED, ERR_WSMAN_NO_ENDPOINT, ...) with
 * *why for the log. */
enum err priv_endpoint_admit(struct priv *p, const struct priv_account *a, const char *name,
			     struct priv_endpoint *ep, const char **why);
void priv_endpoint_clear(struct priv_endpoint *ep);
/* In the session process, as root, before the host starts: compiles
 * ep->pssc (if any) for user into ep->compiled. ERR_WSMAN_ACCESS_DENIED
 * when RequiredGroups or RoleDefinitions refuse the user; any other error
 * when the configuration cannot be used (logged). */
enum err priv_endpoint_compile(const char *config_dir, const char *user, struct priv_endpoint *ep);

/* priv_host.c */
void priv_host_open(struct priv *p, uint32_t id, const struct ipc_host_open *m);
/* 1 if pid was a session process. */
int priv_host_reaped(struct priv *p, pid_t pid, int status);
/* The network process is gone, and with it the other end of every host's
 * channel: the hosts running see it close and end (their commands with
 * them); the starts under way are answered to nobody, and their hosts
 * find their channel closed as they start. */
void priv_host_net_gone(struct priv *p);
void priv_host_stop(struct priv *p);

/* priv_config.c */
/* IPC_CONFIG_CHANGE: applies m (still the caller's) and answers
 * IPC_CONFIG_RESULT to request id. */
void priv_config_change(struct priv *p, uint32_t id, const struct ipc_config_change *m);

/* priv_cim.c */
/* IPC_CIM_INVOKE: runs m's method as root for an administrator's token
 * and answers IPC_CIM_INVOKED to request id (at once when refused, else
 * when the child has answered or was killed past its time). */
void priv_cim_invoke(struct priv *p, uint32_t id, struct ipc_cim_invoke *m);
/* The network process is gone, or the service stops: the children are
 * killed and their answers dropped (the next network process reuses
 * request ids). */
void priv_cim_stop(struct priv *p);

/* priv_files.c */
/* ERR_OK if the configuration directory, the files of c the privileged
 * part reads and the directories above them are root's (or, in
 * single-user mode, the invoking user's) and writable by their owner
 * alone; else ERR_CONFIG with errmsg naming the path and the problem. */
enum err priv_files_check(const struct priv *p, const struct config *c, struct buf *errmsg);
/* Why st is unsafe for a file or directory the configuration comes from,
 * owned by root or owner (a directory above it, if above: there a sticky
 * bit makes writable by all safe), or NULL. Pure. */
const char *priv_files_unsafe(const struct stat *st, uid_t owner, int above);

/* priv_listen.c */
/* Computes the sockets and certificates for c into next, reusing the open
 * sockets of cur whose address is unchanged and binding the others. cur is
 * untouched; on error next holds nothing and errmsg says why. */
enum err priv_listen_prepare(const struct config *c, const char *config_dir,
			     const struct priv_listeners *cur, struct priv_listeners *next,
			     struct buf *errmsg);
/* Undoes a prepare that will not be used: closes only what it bound. */
void priv_listen_abort(struct priv_listeners *next);
/* Makes next current: closes the sockets of cur that next does not reuse. */
void priv_listen_commit(struct priv_listeners *cur, struct priv_listeners *next);
void priv_listen_clear(struct priv_listeners *l);

#endif
