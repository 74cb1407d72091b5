/* cim_access: host. Who may do what in a namespace, in one place: the
 * namespace's security descriptor (cim_sd.c parses it; the network
 * process forwards it from the configuration in force with the request)
 * read as Windows' AccessCheck reads a DACL, for the caller this process
 * is (its uid, its groups after initgroups, and the token's verdict on
 * AdminGroups the network process forwards), and the namespace's
 * RequiresEncryption. */
#include "cim/cim.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_GROUPS 1024 /* of this process, looked at for the ACEs' groups */

static int names(const struct cim_ace *ace, const struct cim_caller *who)
{
	switch ((enum cim_trustee)ace->trustee) {
	case CIM_ADMINS:
		return who->is_admin;
	case CIM_ROOT:
		return who->uid == 0;
	case CIM_EVERYONE:
		return 1;
	case CIM_REMOTE_USERS:
		return who->remote_user;
	case CIM_UNIX_USER:
		return who->uid == ace->id;
	case CIM_UNIX_GROUP:
		for (uint32_t i = 0; i < who->ngids; i++)
			if (who->gids[i] == ace->id)
				return 1;
		return 0;
	case CIM_NOBODY:
		break;
	}
	return 0;
}

uint32_t cim_sd_rights(const struct cim_sd *sd, const struct cim_caller *who)
{
	uint32_t granted = 0, denied = 0;

	for (uint32_t i = 0; i < sd->naces; i++) {
		const struct cim_ace *ace = &sd->aces[i];
		if ((ace->flags & CIM_ACE_INHERIT_ONLY) || !names(ace, who))
			continue;
		if (ace->deny)
			denied |= ace->rights & ~granted;
		else
			granted |= ace->rights & ~denied;
	}
	return granted;
}

const char *cim_right_name(enum cim_right right)
{
	switch (right) {
	case CIM_ENABLE_ACCOUNT:
		return "Enable Account";
	case CIM_EXECUTE_METHODS:
		return "Execute Methods";
	case CIM_FULL_WRITE:
		return "Full Write";
	case CIM_PARTIAL_WRITE:
		return "Partial Write";
	case CIM_PROVIDER_WRITE:
		return "Provider Write";
	case CIM_REMOTE_ENABLE:
		return "Remote Enable";
	case CIM_READ_SECURITY:
		return "Read Security";
	case CIM_EDIT_SECURITY:
		return "Edit Security";
	}
	return "?";
}

/* This process as a caller: gids holds its groups. */
static void caller_of_process(const struct cim_access *access, uint32_t gids[MAX_GROUPS + 1],
			      struct cim_caller *who)
{
	struct group *g = *access->remote_users_group ? getgrnam(access->remote_users_group) : NULL;
	gid_t groups[MAX_GROUPS];
	int n = getgroups(MAX_GROUPS, groups);

	who->uid = (uint32_t)geteuid();
	who->is_admin = access->is_admin != 0;
	who->remote_user = 0;
	who->gids = gids;
	who->ngids = 0;
	gids[who->ngids++] = (uint32_t)getegid();
	for (int i = 0; i < n; i++)
		gids[who->ngids++] = (uint32_t)groups[i];
	for (uint32_t i = 0; g && i < who->ngids; i++)
		who->remote_user |= gids[i] == (uint32_t)g->gr_gid;
}

/* The refusal's log line: who, from where, which namespace, and why. */
static void refused(const char *namespace_name, const char *class_name,
		    const struct cim_access *access, const char *why)
{
	struct passwd *pw = getpwuid(geteuid());

	log_warnx("WMI access denied: user %s from %s on namespace %s (class %s): %s",
		  pw ? pw->pw_name : "?", access->client_ip, namespace_name, class_name, why);
}

enum err cim_namespace_allows(const char *namespace_name, const char *class_name,
			      const struct cim_access *access, uint32_t rights)
{
	uint32_t gids[MAX_GROUPS + 1], granted, missing;
	struct cim_caller who;
	struct cim_sd sd;
	char why[64];

	if (!cim_namespace_served(namespace_name))
		return ERR_WSMAN_WMI_NOT_FOUND;
	/* The seed: "no data is returned unless you use packet privacy";
	 * HTTPS and a sealed message are that here, AllowUnencrypted or not. */
	if (access->requires_encryption && !access->encrypted) {
		refused(namespace_name, class_name, access,
			"the namespace requires encryption (RequiresEncryption) and the "
			"request came unencrypted");
		return ERR_WSMAN_WMI_UNENCRYPTED;
	}
	/* The configuration checked it: only a broken invariant fails here. */
	if (cim_sd_parse(access->sddl, &sd)) {
		refused(namespace_name, class_name, access,
			"its security descriptor does not parse");
		return ERR_WSMAN_WMI_ACCESS_DENIED;
	}
	caller_of_process(access, gids, &who);
	granted = cim_sd_rights(&sd, &who);
	if ((missing = rights & ~granted)) {
		/* The lowest right missing, Enable Account before Remote Enable. */
		snprintf(why, sizeof(why), "no %s",
			 cim_right_name((enum cim_right)(missing & -missing)));
		refused(namespace_name, class_name, access, why);
		return ERR_WSMAN_WMI_ACCESS_DENIED;
	}
	return ERR_OK;
}
