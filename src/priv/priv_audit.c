/* priv_audit: privileged part. The audit events it writes for itself
 * (logons, host starts, configuration changes) and those the network
 * process reports (IPC_AUDIT), which it checks before writing. */
#include <string.h>

#include "audit/audit.h"
#include "priv/priv_int.h"

void priv_audit_logon(const char *verdict, const char *user, const char *principal,
		      const char *peer, uint32_t peer_port, const char *scheme)
{
	struct audit_event ev;

	/* Every verdict of a logon begins "success" or "failure" (priv_pam.c). */
	audit_event_init(&ev,
			 strncmp(verdict, "success", 7) == 0 ? AUDIT_LOGON : AUDIT_LOGON_FAILED);
	AUDIT_SET(&ev, reason, verdict);
	AUDIT_SET(&ev, user, user);
	AUDIT_SET(&ev, principal, principal);
	AUDIT_SET(&ev, source_address, peer);
	ev.source_port = peer_port;
	AUDIT_SET(&ev, scheme, scheme);
	audit_write(&ev, AUDIT_FROM_PRIV);
}

void priv_audit_host_start(const struct priv_account *user, const char *run_as,
			   const struct ipc_host_open *m)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_HOST_START);
	AUDIT_SET(&ev, user, user->name);
	AUDIT_SET(&ev, run_as, run_as);
	AUDIT_SET(&ev, endpoint, m->endpoint);
	AUDIT_SET(&ev, source_address, m->peer);
	AUDIT_SET(&ev, scheme, m->scheme);
	audit_write(&ev, AUDIT_FROM_PRIV);
}

void priv_audit_config_change(const struct priv_account *by, const char *what, const char *outcome)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_CONFIG_CHANGE);
	AUDIT_SET(&ev, user, by ? by->name : "-");
	if (by) {
		AUDIT_SET(&ev, source_address, by->peer);
		AUDIT_SET(&ev, scheme, by->scheme);
	}
	AUDIT_SET(&ev, action, what);
	AUDIT_SET(&ev, reason, outcome);
	audit_write(&ev, AUDIT_FROM_PRIV);
}

enum err priv_audit_from_net(const struct audit_event *ev)
{
	/* What the network process sees in requests and replies; logons,
	 * host starts and changes are the privileged part's own word. */
	switch (ev->kind) {
	case AUDIT_SHELL_START:
	case AUDIT_SHELL_END:
	case AUDIT_COMMAND_START:
	case AUDIT_COMMAND_END:
	case AUDIT_PS_SESSION_START:
	case AUDIT_PS_SESSION_END:
	case AUDIT_REFUSAL:
		audit_write(ev, AUDIT_FROM_NET);
		return ERR_OK;
	default:
		return ERR_FORMAT;
	}
}
