/* net: the network process of winrmd, running as the unprivileged service
 * account. It owns every byte from the network: TLS, HTTP, XML, WS-Man,
 * the authentication state of each connection. It asks the privileged part
 * to verify passwords and start hosts, and sends per-user hosts typed
 * shell requests, never XML. It never blocks on another process: requests
 * are matched to replies by id. */
#ifndef OPENWINRM_NET_H
#define OPENWINRM_NET_H

#include <sys/types.h>

/* Runs the network process on the channel to the privileged part (the
 * first IPC_CONFIG message starts the listeners). Returns the exit status. */
int net_main(int priv_fd, uid_t priv_uid, pid_t priv_pid, int foreground, int debug);

#endif
