/* sandbox: no_new_privs and a seccomp filter for the processes that
 * parse what clients send: the network process and the GSSAPI acceptor
 * (sandbox.c says what each keeps). */
#ifndef OPENWINRM_SANDBOX_H
#define OPENWINRM_SANDBOX_H

enum sandbox_role {
	SANDBOX_NET,
	SANDBOX_ACCEPTOR,
};

/* Enters role's sandbox, for good. -1 on failure, logged. */
int sandbox_enter(enum sandbox_role role);

#endif
