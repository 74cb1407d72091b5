/* cim_accounts: the local accounts, as Win32_UserAccount and Win32_Group,
 * from the name service (getpwent, getgrent: /etc/passwd and /etc/group,
 * and whatever else nsswitch.conf lists). Windows' local accounts belong
 * to the machine, so Domain is this machine's short name, as
 * Win32_ComputerSystem's Name. SIDs are Samba's for Unix accounts
 * (S-1-22-1-<uid>, S-1-22-2-<gid>), the names Windows sees them by over
 * SMB. Both are keyed by Domain and Name. */
#include "cim/cim_int.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <string.h>
#include <strings.h>

/* Win32_UserAccount.AccountType's UF_NORMAL_ACCOUNT; SIDType's
 * SidTypeUser, and SidTypeAlias, what Windows' local groups are. */
#define ACCOUNT_NORMAL 512
#define SID_TYPE_USER 1
#define SID_TYPE_ALIAS 4
#define SID_UNIX_USERS "S-1-22-1"
#define SID_UNIX_GROUPS "S-1-22-2"
#define NEVER_EXPIRES 99999 /* shadow's maximum age that means no maximum */

static void account(struct cim_instance *inst, const char *host, const char *name)
{
	cim_prop(inst, "Caption", CIM_STRING, "%s\\%s", host, name);
	cim_prop_text(inst, "Description", NULL);
	cim_prop(inst, "Domain", CIM_STRING, "%s", host);
	cim_prop(inst, "LocalAccount", CIM_BOOLEAN, "true");
	cim_prop(inst, "Name", CIM_STRING, "%s", name);
}

/* What the shadow database says of a user, where the caller may read it
 * (root may; a user's host usually may not, and then it and the Status
 * it decides are nil). Locked
 * ("!" before the hash) or past its expiry date is Disabled. */
static void shadow_state(struct cim_instance *inst, const char *name, int *readable)
{
	struct spwd *sp = NULL;
	long today = (long)(time(NULL) / 86400);
	int disabled;

	if (*readable) {
		errno = 0;
		sp = getspnam(name);
		if (!sp && (errno == EACCES || errno == EPERM))
			*readable = 0; /* the same for every other user: stop asking */
	}
	if (!sp) {
		cim_prop_text(inst, "Disabled", NULL);
		cim_prop_text(inst, "PasswordExpires", NULL);
		cim_prop_text(inst, "PasswordRequired", NULL);
		/* Unknown as Disabled is: a Put of the instance a caller got
		 * compares it with root's view, where it is known. */
		cim_prop_text(inst, "Status", NULL);
		return;
	}
	disabled = sp->sp_pwdp[0] == '!' || (sp->sp_expire > 0 && sp->sp_expire <= today);
	cim_prop(inst, "Disabled", CIM_BOOLEAN, "%s", disabled ? "true" : "false");
	cim_prop(inst, "PasswordExpires", CIM_BOOLEAN, "%s",
		 sp->sp_max > 0 && sp->sp_max < NEVER_EXPIRES ? "true" : "false");
	cim_prop(inst, "PasswordRequired", CIM_BOOLEAN, "%s", sp->sp_pwdp[0] ? "true" : "false");
	/* Windows' Status of a disabled account. */
	cim_prop(inst, "Status", CIM_STRING, "%s", disabled ? "Degraded" : "OK");
}

enum err cim_user_accounts(struct cim_set *out)
{
	char host[CIM_MAX_VALUE + 1], full_name[CIM_MAX_VALUE + 1];
	struct passwd *pw;
	int shadow_readable = 1;
	enum err e = ERR_OK;

	cim_host_name(host, sizeof(host));
	setpwent();
	while ((pw = getpwent())) {
		struct cim_instance *inst = cim_set_add(out);
		if (!inst) {
			e = ERR_WSMAN_INTERNAL;
			break;
		}
		/* GECOS: "Full Name,room,phones,other". */
		snprintf(full_name, sizeof(full_name), "%.*s", (int)strcspn(pw->pw_gecos, ","),
			 pw->pw_gecos);
		account(inst, host, pw->pw_name);
		cim_prop(inst, "AccountType", CIM_NUMBER, "%d", ACCOUNT_NORMAL);
		cim_prop_text(inst, "FullName", full_name);
		cim_prop_text(inst, "Lockout", NULL); /* no lockout kept here */
		cim_prop(inst, "SID", CIM_STRING, SID_UNIX_USERS "-%lu", (unsigned long)pw->pw_uid);
		cim_prop(inst, "SIDType", CIM_NUMBER, "%d", SID_TYPE_USER);
		shadow_state(inst, pw->pw_name, &shadow_readable);
	}
	endpwent();
	return e;
}

enum err cim_groups(struct cim_set *out)
{
	char host[CIM_MAX_VALUE + 1];
	struct group *gr;
	enum err e = ERR_OK;

	cim_host_name(host, sizeof(host));
	setgrent();
	while ((gr = getgrent())) {
		struct cim_instance *inst = cim_set_add(out);
		if (!inst) {
			e = ERR_WSMAN_INTERNAL;
			break;
		}
		account(inst, host, gr->gr_name);
		cim_prop(inst, "SID", CIM_STRING, SID_UNIX_GROUPS "-%lu",
			 (unsigned long)gr->gr_gid);
		cim_prop(inst, "SIDType", CIM_NUMBER, "%d", SID_TYPE_ALIAS);
		cim_prop(inst, "Status", CIM_STRING, "OK");
	}
	endgrent();
	return e;
}

/* ---- Put: Win32_UserAccount's writable properties, set by usermod(8)
 * as the caller (a user who is not root is refused by it) ---- */

int cim_gecos_with_full_name(const char *gecos, const char *full_name, char *out, size_t cap)
{
	const char *rest = strchr(gecos, ',');
	int n;

	/* ':' would end the passwd field, ',' the full name (usermod checks
	 * only for ':' and newlines; chfn refuses these too). */
	for (const unsigned char *c = (const unsigned char *)full_name; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == ':' || *c == ',')
			return -1;
	n = snprintf(out, cap, "%s%s", full_name, rest ? rest : "");
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* FullName: the GECOS field's first part (-c, the whole field: the rest
 * as it is). */
static enum err set_full_name(const struct cim_instance *now, const char *value,
			      struct cim_command *cmd)
{
	const struct cim_property *name = cim_property(now, "Name");
	struct passwd *pw = name ? getpwnam(name->value) : NULL;
	char gecos[2 * CIM_MAX_VALUE];

	if (!pw)
		return ERR_WSMAN_NO_INSTANCE;
	if (cim_gecos_with_full_name(pw->pw_gecos, value, gecos, sizeof(gecos)) < 0)
		return ERR_WSMAN_WMI_INVALID_PARAMETER;
	return cim_command_add(cmd, "-c") == ERR_OK ? cim_command_add(cmd, gecos)
						    : ERR_WSMAN_INTERNAL;
}

/* Disabled, as shadow_state reads it back: true is Debian's way to
 * disable an account, an expiry date in the past (day 1 of 1970); false
 * clears the expiry date and unlocks a password locked with "!" (where
 * the caller may read the shadow entry: root). */
static enum err set_disabled(const struct cim_instance *now, const char *value,
			     struct cim_command *cmd)
{
	const struct cim_property *name = cim_property(now, "Name");
	struct spwd *sp;
	enum err e;

	if (!name)
		return ERR_WSMAN_INTERNAL;
	if (strcasecmp(value, "true") == 0)
		return cim_command_add(cmd, "--expiredate") == ERR_OK ? cim_command_add(cmd, "1")
								      : ERR_WSMAN_INTERNAL;
	if ((e = cim_command_add(cmd, "--expiredate")) != ERR_OK ||
	    (e = cim_command_add(cmd, "")) != ERR_OK)
		return e;
	sp = getspnam(name->value);
	return sp && sp->sp_pwdp[0] == '!' ? cim_command_add(cmd, "--unlock") : ERR_OK;
}

static const struct cim_writable user_writables[] = {
    {"Disabled", CIM_BOOLEAN, set_disabled},
    {"FullName", CIM_STRING, set_full_name},
};

const struct cim_writables cim_user_writables = {
    "/usr/sbin/usermod",
    "Name",
    user_writables,
    sizeof(user_writables) / sizeof(user_writables[0]),
};
