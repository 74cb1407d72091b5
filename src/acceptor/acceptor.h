/* acceptor: the GSSAPI acceptor, winrmd's role for the GSSAPI work on
 * unauthenticated bytes (Negotiate, Kerberos, CredSSP's inner context).
 * The privileged part starts it (priv_acceptor.c) as the service account,
 * with no_new_privs, an environment of the mechanisms' settings only, and
 * two descriptors besides its channel: sealed memory copies of the keytab
 * and of the NTLM hash file, which KRB5_KTNAME and NTLM_USER_FILE name
 * through /proc/self/fd. It answers IPC_ACCEPT with what GSSAPI said
 * (IPC_ACCEPTED) and decides nothing: a parser fault here costs the
 * logons under way, not the service, and the privileged part starts
 * another. */
#ifndef OPENWINRM_ACCEPTOR_H
#define OPENWINRM_ACCEPTOR_H

#include <sys/types.h>

/* Serves the privileged part (priv_uid, priv_pid) on fd until it closes
 * the channel. Returns the exit status. */
int acceptor_main(int fd, uid_t priv_uid, pid_t priv_pid);

#endif
