/* priv: the privileged part of winrmd (root, or the invoking user when not
 * started as root). It is the only process that reads passwords' verdicts
 * from PAM, decides who a user is and whether they may use WinRM, binds the
 * listening sockets, and starts per-user hosts (PAM session, initgroups,
 * setgid, setuid, exec). It never parses HTTP, XML or TLS, nor a client's
 * GSSAPI tokens (the GSSAPI acceptor's work, acceptor.h). Everything it
 * accepts comes from the network process and the acceptor as the typed
 * messages of ipc_priv.h, checked against the table in ipc.c. */
#ifndef OPENWINRM_PRIV_H
#define OPENWINRM_PRIV_H

/* The PAM stack, /etc/pam.d/winrm, unless --pam-service names another. */
#define PRIV_PAM_SERVICE "winrm"

struct winrmd_opts {
	const char *config_dir;	     /* --config-dir, WINRM_CONFIG_DIR, /etc/winrm */
	const char *service_account; /* --user, "winrmd": the network process's account */
	const char *pam_service;     /* --pam-service; NULL: PRIV_PAM_SERVICE */
	int foreground;
	int debug;
};

/* Runs the service until SIGTERM/SIGINT. Returns the exit status. */
int priv_main(const struct winrmd_opts *opts);

#endif
