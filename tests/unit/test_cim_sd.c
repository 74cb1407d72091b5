/* Unit tests for namespace security (cim/cim_sd.c, cim/cim_access.c):
 * SDDL admitted and refused as WMI's SetSD admits and refuses it, the
 * trustees a caller here is, the rights a DACL grants read as Windows'
 * AccessCheck reads it (a deny before an allow wins, inherit-only ACEs do
 * not count), and the host's check: encryption, rights, its refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>

#include "cim/cim.h"
#include "check.h"

#define HEAD "O:BAG:BAD:"

static int parses(const char *sddl)
{
	struct cim_sd sd;

	return cim_sd_parse(sddl, &sd) == NULL;
}

/* Refused, with a reason that holds words. */
static int refused(const char *sddl, const char *words)
{
	struct cim_sd sd;
	const char *why = cim_sd_parse(sddl, &sd);

	if (!why || !strstr(why, words)) {
		printf("# %s: %s\n", sddl, why ? why : "(admitted)");
		return 0;
	}
	return 1;
}

static void test_parse(void)
{
	struct cim_sd sd;

	CHECK("the default parses", cim_sd_parse(CIM_DEFAULT_SDDL, &sd) == NULL && sd.naces == 2);
	CHECK("the default: administrators everything, Remote Management Users CC DC WP",
	      sd.aces[0].trustee == CIM_ADMINS && sd.aces[0].rights == CIM_ALL_RIGHTS &&
		  sd.aces[0].flags == CIM_ACE_CONTAINER_INHERIT && !sd.aces[0].deny &&
		  sd.aces[1].trustee == CIM_REMOTE_USERS &&
		  sd.aces[1].rights ==
		      (CIM_ENABLE_ACCOUNT | CIM_EXECUTE_METHODS | CIM_REMOTE_ENABLE));
	CHECK("Windows' own root/cimv2 descriptor parses",
	      cim_sd_parse(HEAD "(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)"
				"(A;CI;CCDCRP;;;AU)",
			   &sd) == NULL &&
		  sd.naces == 4 && sd.aces[1].trustee == CIM_NOBODY &&
		  sd.aces[3].trustee == CIM_EVERYONE &&
		  sd.aces[3].rights ==
		      (CIM_ENABLE_ACCOUNT | CIM_EXECUTE_METHODS | CIM_PROVIDER_WRITE));
	CHECK("Unix SIDs: a user, a group",
	      cim_sd_parse(HEAD "(D;;WP;;;S-1-22-1-1005)(A;;CCWP;;;S-1-22-2-4294967295)", &sd) ==
		      NULL &&
		  sd.aces[0].deny && sd.aces[0].trustee == CIM_UNIX_USER && sd.aces[0].id == 1005 &&
		  sd.aces[1].trustee == CIM_UNIX_GROUP && sd.aces[1].id == 4294967295u);
	CHECK("well-known SIDs by number",
	      cim_sd_parse("O:S-1-5-32-544G:S-1-5-18D:(A;;CC;;;S-1-5-32-544)(A;;CC;;;S-1-5-18)"
			   "(A;;CC;;;S-1-1-0)(A;;CC;;;S-1-5-32-580)(A;;CC;;;S-1-5-21-1-2-3-1000)"
			   "(A;;CC;;;S-1-0x000000000005-32-544)",
			   &sd) == NULL &&
		  sd.aces[0].trustee == CIM_ADMINS && sd.aces[1].trustee == CIM_ROOT &&
		  sd.aces[2].trustee == CIM_EVERYONE && sd.aces[3].trustee == CIM_REMOTE_USERS &&
		  sd.aces[4].trustee == CIM_NOBODY && sd.aces[5].trustee == CIM_ADMINS);
	CHECK("rights in hexadecimal",
	      cim_sd_parse(HEAD "(A;;0x23;;;AU)(A;;0X6003f;;;BA)(A;;;;;WD)", &sd) == NULL &&
		  sd.aces[0].rights == 0x23 && sd.aces[1].rights == CIM_ALL_RIGHTS &&
		  sd.aces[2].rights == 0);
	CHECK("DACL flags, every ACE flag, no ACE at all",
	      parses(HEAD "PAIAR(A;OICINPIOID;CC;;;BA)") && parses(HEAD) && parses("O:SYG:SYD:P"));
	CHECK("aliases with no one here are admitted",
	      parses(HEAD "(A;;CC;;;IU)(A;;CC;;;AN)(A;;CC;;;WR)(A;;CC;;;AA)"));

	CHECK("refused: no owner", refused("G:BAD:(A;;CC;;;BA)", "owner"));
	CHECK("refused: no group", refused("O:BAD:(A;;CC;;;BA)", "group"));
	CHECK("refused: no DACL", refused("O:BAG:BA", "no DACL"));
	CHECK("refused: a null DACL", refused("O:BAG:BAD:NO_ACCESS_CONTROL", "null DACL"));
	CHECK("refused: a SACL", refused(HEAD "(A;;CC;;;BA)S:(AU;FA;CC;;;WD)", "SACL"));
	CHECK("refused: an unknown DACL flag", refused(HEAD "X(A;;CC;;;BA)", "DACL flag"));
	CHECK("refused: object and audit ACE types",
	      refused(HEAD "(OA;;CC;;;BA)", "type") && refused(HEAD "(AU;;CC;;;BA)", "type"));
	CHECK("refused: audit flags in the DACL", refused(HEAD "(A;SA;CC;;;BA)", "flag"));
	CHECK("refused: a generic right", refused(HEAD "(A;;GA;;;BA)", "right WMI") &&
					      refused(HEAD "(A;;0x10000000;;;BA)", "0x6003F"));
	CHECK("refused: a right of files", refused(HEAD "(A;;FA;;;BA)", "right WMI"));
	CHECK("refused: Full Write alone", refused(HEAD "(A;;CCLC;;;BA)", "Full Write") &&
					       refused(HEAD "(A;;LCSW;;;BA)", "Full Write"));
	CHECK("refused: inherit-only without container inherit",
	      refused(HEAD "(A;IO;CC;;;BA)", "inherit-only") && parses(HEAD "(A;CIIO;CC;;;BA)"));
	CHECK("refused: an object GUID",
	      refused(HEAD "(A;;CC;bf967aba-0de6-11d0-a285-00aa003049e2;;BA)", "GUID"));
	CHECK("refused: a resource attribute", refused(HEAD "(A;;CC;;;BA;(x))", "')'"));
	CHECK("refused: an unknown alias, RM", refused(HEAD "(A;;CC;;;XX)", "alias") &&
						   refused(HEAD "(A;;CC;;;RM)", "S-1-5-32-580"));
	CHECK("refused: malformed SIDs",
	      refused(HEAD "(A;;CC;;;S-1-5)", "sub-authority") &&
		  refused(HEAD "(A;;CC;;;S-2-5-1)", "neither a SID") &&
		  refused(HEAD "(A;;CC;;;S-1-5-4294967296)", "below 2^32") &&
		  refused(HEAD "(A;;CC;;;S-1-0x5-32)", "12 digits") &&
		  refused(HEAD "(A;;CC;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)", "15") &&
		  refused(HEAD "(A;;CC;;;s-1-5-18)", "neither a SID"));
	CHECK("refused: lower case, blanks", refused("o:BAG:BAD:", "owner") &&
						 refused(HEAD " (A;;CC;;;BA)", "DACL flag") &&
						 refused(HEAD "(A;;cc;;;BA)", "right WMI"));
	CHECK("refused: an unterminated ACE",
	      refused(HEAD "(A;;CC;;;BA", "')'") && refused(HEAD "(A;;CC", "')'") &&
		  refused(HEAD "(A;", "')'") && refused(HEAD "(", "')'") &&
		  refused(HEAD "(A;;CC)", "GUID") && refused(HEAD "(A)", "type") &&
		  refused(HEAD "(A;)", "too few fields"));
	CHECK("refused: text after the DACL", refused(HEAD "(A;;CC;;;BA)x", "after its DACL"));
	CHECK("refused: a deny after an allow",
	      refused(HEAD "(A;;CC;;;BA)(D;;CC;;;AU)", "canonical order") &&
		  parses(HEAD "(D;;CC;;;AU)(A;;CC;;;BA)(D;ID;CC;;;AU)(A;ID;CC;;;BA)") &&
		  refused(HEAD "(A;ID;CC;;;BA)(A;;CC;;;AU)", "canonical order"));

	char many[CIM_MAX_SDDL + 64];
	int n = snprintf(many, sizeof(many), "%s", HEAD);
	for (int i = 0; i <= CIM_MAX_ACES; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, "(A;;CC;;;WD)");
	CHECK("refused: more than CIM_MAX_ACES ACEs", refused(many, "more than 64"));
	memset(many, 'A', CIM_MAX_SDDL + 1);
	many[CIM_MAX_SDDL + 1] = 0;
	CHECK("refused: longer than CIM_MAX_SDDL", refused(many, "longer than"));
}

static uint32_t rights_of(const char *sddl, const struct cim_caller *who)
{
	struct cim_sd sd;

	return cim_sd_parse(sddl, &sd) ? 0xffffffffu : cim_sd_rights(&sd, who);
}

static void test_rights(void)
{
	const uint32_t gids[] = {100, 1005};
	struct cim_caller admin = {.uid = 1000, .is_admin = 1},
			  remote = {.uid = 1001, .remote_user = 1, .gids = gids, .ngids = 2},
			  other = {.uid = 1002}, root = {.uid = 0, .is_admin = 1};

	CHECK("default: an administrator, everything",
	      rights_of(CIM_DEFAULT_SDDL, &admin) == CIM_ALL_RIGHTS);
	CHECK("default: a remote user, Enable Account, Execute Methods, Remote Enable",
	      rights_of(CIM_DEFAULT_SDDL, &remote) == (CIM_READ_REMOTELY | CIM_EXECUTE_METHODS));
	CHECK("default: anyone else, nothing", rights_of(CIM_DEFAULT_SDDL, &other) == 0);
	CHECK("a deny before an allow wins",
	      rights_of(HEAD "(D;;WP;;;S-1-22-1-1001)(A;;CCDCWP;;;S-1-5-32-580)", &remote) ==
		  (CIM_ENABLE_ACCOUNT | CIM_EXECUTE_METHODS));
	CHECK("a deny of a group the caller has",
	      rights_of(HEAD "(D;;CC;;;S-1-22-2-1005)(A;;CCWP;;;WD)", &remote) ==
		      CIM_REMOTE_ENABLE &&
		  rights_of(HEAD "(D;;CC;;;S-1-22-2-1005)(A;;CCWP;;;WD)", &other) ==
		      CIM_READ_REMOTELY);
	CHECK("an allowed user by uid, a group by gid",
	      rights_of(HEAD "(A;;CCWP;;;S-1-22-1-1002)", &other) == CIM_READ_REMOTELY &&
		  rights_of(HEAD "(A;;CC;;;S-1-22-2-100)", &remote) == CIM_ENABLE_ACCOUNT &&
		  rights_of(HEAD "(A;;CC;;;S-1-22-2-100)", &other) == 0);
	CHECK("inherited ACEs count after the explicit ones",
	      rights_of(HEAD "(A;;CC;;;WD)(D;ID;CCWP;;;WD)(A;ID;WP;;;WD)", &other) ==
		  CIM_ENABLE_ACCOUNT);
	CHECK("an inherit-only ACE is for child namespaces",
	      rights_of(HEAD "(A;CIIO;CCWP;;;WD)", &other) == 0);
	CHECK("SY is root, BA is the token's verdict",
	      rights_of(HEAD "(A;;CC;;;SY)", &root) == CIM_ENABLE_ACCOUNT &&
		  rights_of(HEAD "(A;;CC;;;SY)", &admin) == 0 &&
		  rights_of(HEAD "(A;;WP;;;BA)", &admin) == CIM_REMOTE_ENABLE);
	CHECK("a SID no one has here", rights_of(HEAD "(A;;CCWP;;;NS)", &other) == 0);
	CHECK("right names",
	      strcmp(cim_right_name(CIM_REMOTE_ENABLE), "Remote Enable") == 0 &&
		  strcmp(cim_right_name(CIM_EXECUTE_METHODS), "Execute Methods") == 0);
}

/* The host's check, as this test process (root, in its own group). */
static void test_allows(void)
{
	struct cim_request req = {.namespace_name = "ROOT\\CIMv2",
				  .class_name = "Win32_OperatingSystem",
				  .access.client_ip = "192.0.2.1",
				  .access.sddl = CIM_DEFAULT_SDDL};
	struct group *own = getgrgid(getegid());

	CHECK("served namespaces",
	      cim_namespace_served("root/cimv2") &&
		  strcmp(cim_namespace_find("Root\\CimV2"), "root/cimv2") == 0 &&
		  !cim_namespace_find("root/cimv") && !cim_namespace_find("root/cimv22") &&
		  cim_namespace_at(1) == NULL);
	CHECK("in no group: denied",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_ACCESS_DENIED);
	if (own)
		snprintf(req.access.remote_users_group, sizeof(req.access.remote_users_group), "%s",
			 own->gr_name);
	CHECK("a remote user reads and may call methods",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY | CIM_EXECUTE_METHODS) == ERR_OK);
	CHECK("... but has not Full Write",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_FULL_WRITE) == ERR_WSMAN_WMI_ACCESS_DENIED);
	snprintf(req.access.sddl, sizeof(req.access.sddl), HEAD "(A;;CC;;;S-1-5-32-580)");
	CHECK("without Remote Enable: denied",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_ACCESS_DENIED);
	snprintf(req.access.sddl, sizeof(req.access.sddl),
		 HEAD "(D;;WP;;;S-1-22-1-%u)(A;;CCWP;;;WD)", (unsigned)geteuid());
	CHECK("denied by uid",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_ACCESS_DENIED);
	snprintf(req.access.sddl, sizeof(req.access.sddl), HEAD "(A;;CCWP;;;S-1-22-2-%u)",
		 (unsigned)getegid());
	CHECK("allowed by the primary group",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_OK);
	req.access.requires_encryption = 1;
	CHECK("RequiresEncryption: unencrypted refused",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_UNENCRYPTED);
	req.access.encrypted = 1;
	CHECK("RequiresEncryption: encrypted served",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_OK);
	snprintf(req.access.sddl, sizeof(req.access.sddl), "garbage");
	CHECK("a descriptor that does not parse: denied",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_ACCESS_DENIED);
	snprintf(req.namespace_name, sizeof(req.namespace_name), "root/default");
	CHECK("a namespace not served",
	      cim_namespace_allows(req.namespace_name, req.class_name, &req.access,
				   CIM_READ_REMOTELY) == ERR_WSMAN_WMI_NOT_FOUND);
}

int main(void)
{
	test_parse();
	test_rights();
	test_allows();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
