/* cim_sd: the namespaces served, and a namespace's security descriptor
 * in SDDL read and checked (no I/O; the configuration's check of a Put
 * and of the file, and the host's before each access: fuzzed,
 * fuzz/fuzz_cim_sd.c).
 *
 * The grammar is SDDL's (MS-DTYP 2.5.1; Windows' SDDL pages "Security
 * Descriptor String Format", "ACE Strings", "SID Strings"), as
 * ConvertStringSecurityDescriptorToSecurityDescriptor reads it, upper case
 * and without blanks:
 *   O:owner G:group D:flags (type;flags;rights;;;trustee)...
 * and what it admits is what __SystemSecurity.SetSD admits for a
 * namespace: "DACL is missing", "ACE has the WBEM_FULL_WRITE_REP flag set,
 * and the WBEM_PARTIAL_WRITE_REP or WBEM_WRITE_PROVIDER flag is not set",
 * "ACE has the INHERIT_ONLY_ACE flag set without the CONTAINER_INHERIT_ACE
 * flag", "ACE has an unknown access bit set", "ACE has a flag set that is
 * not in the table", "ACE has a type that is not in the table", "The owner
 * and group are missing from the SD" are each refused. Two refusals are
 * ours: a SACL (auditing here is the audit trail's) and ACEs out of
 * canonical order (explicit deny, explicit allow, inherited deny,
 * inherited allow), which Windows' AccessCheck would read in their order,
 * letting an allow written first beat a deny. */
#include "cim/cim.h"

#include <ctype.h>
#include <string.h>

/* The namespaces served. */
static const char *const served[] = {CIM_DEFAULT_NAMESPACE};

const char *cim_namespace_at(size_t i)
{
	return i < sizeof(served) / sizeof(served[0]) ? served[i] : NULL;
}

/* Names compare case-insensitively, '\\' as '/'. */
static int fold(char c)
{
	return c == '\\' ? '/' : tolower((unsigned char)c);
}

const char *cim_namespace_find(const char *name)
{
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		const char *a = name, *b = served[i];
		while (*a && fold(*a) == fold(*b))
			a++, b++;
		if (!*a && !*b)
			return served[i];
	}
	return NULL;
}

int cim_namespace_served(const char *namespace_name)
{
	return cim_namespace_find(namespace_name) != NULL;
}

/* ---- SIDs ---- */

#define MAX_SUB_AUTHORITIES 15 /* SID_MAX_SUB_AUTHORITIES */

struct sid {
	uint64_t authority; /* 48 bits */
	uint32_t n;
	uint32_t sub[MAX_SUB_AUTHORITIES];
};

/* The well-known SIDs that name someone here, by number. */
static const struct {
	struct sid sid;
	enum cim_trustee who;
} known_sids[] = {
    {{5, 2, {32, 544}}, CIM_ADMINS},	   /* BUILTIN\Administrators */
    {{5, 1, {18}}, CIM_ROOT},		   /* Local System */
    {{1, 1, {0}}, CIM_EVERYONE},	   /* Everyone */
    {{5, 1, {11}}, CIM_EVERYONE},	   /* Authenticated Users */
    {{5, 1, {2}}, CIM_EVERYONE},	   /* NETWORK */
    {{5, 2, {32, 545}}, CIM_EVERYONE},	   /* BUILTIN\Users */
    {{5, 2, {32, 580}}, CIM_REMOTE_USERS}, /* BUILTIN\Remote Management Users */
};

/* Windows' SID aliases (sddl.h). These name someone here; the others are
 * accounts and groups Linux has not, which an ACE may name to no effect.
 * "RM" is left out: Windows defines it for the RMS service of Vista and
 * some tools read it as Remote Management Users, so an SD naming it
 * could mean either; spell S-1-5-32-580. */
static const struct {
	char alias[3];
	enum cim_trustee who;
} aliases[] = {
    {"BA", CIM_ADMINS},	  {"SY", CIM_ROOT},	{"LA", CIM_ROOT},     {"WD", CIM_EVERYONE},
    {"AU", CIM_EVERYONE}, {"NU", CIM_EVERYONE}, {"BU", CIM_EVERYONE},
};
static const char nobody_aliases[] = "AA AC AN AO AP BG BO CA CD CG CN CO CY DA DC DD DG DU EA ED "
				     "EK ER ES HA HI IS IU KA LG LS LU LW ME MP MU NO NS OW PA PO "
				     "PS PU RA RC RD RE RO RS RU SA SI SO SS SU UD WR";

/* Decimal digits into *v, at most max; the count read (0: none or too big). */
static size_t decimal(const char *p, uint64_t max, uint64_t *v)
{
	size_t n = 0;

	*v = 0;
	while (p[n] >= '0' && p[n] <= '9') {
		*v = *v * 10 + (uint64_t)(p[n] - '0');
		if (*v > max || ++n > 20)
			return 0;
	}
	return n;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static unsigned hex_value(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* MS-DTYP 2.4.2.1: "S-1-" IdentifierAuthority 1*15("-" SubAuthority),
 * the authority in decimal below 2^32 or as "0x" and 12 hex digits. */
static const char *sid_parse(const char **pp, struct sid *out)
{
	const char *p = *pp;
	uint64_t v;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "S-1-", 4) != 0)
		return "has a trustee that is neither a SID (S-1-...) nor an SDDL alias (BA, "
		       "AU...)";
	p += 4;
	if (p[0] == '0' && p[1] == 'x') {
		for (n = 0; n < 12; n++) {
			if (!is_hex(p[2 + n]))
				return "has a SID whose hexadecimal authority is not 0x and 12 "
				       "digits";
			out->authority = out->authority << 4 | hex_value(p[2 + n]);
		}
		p += 14;
	} else {
		if (!(n = decimal(p, UINT32_MAX, &out->authority)))
			return "has a SID whose authority is not a number below 2^32";
		p += n;
	}
	while (*p == '-') {
		if (out->n == MAX_SUB_AUTHORITIES)
			return "has a SID of more than 15 sub-authorities";
		if (!(n = decimal(p + 1, UINT32_MAX, &v)))
			return "has a SID whose sub-authority is not a number below 2^32";
		out->sub[out->n++] = (uint32_t)v;
		p += 1 + n;
	}
	if (out->n == 0)
		return "has a SID without a sub-authority";
	*pp = p;
	return NULL;
}

/* A trustee (an owner's, a group's, an ACE's): an alias or a SID. */
static const char *trustee_parse(const char **pp, struct cim_ace *ace)
{
	const char *p = *pp, *why;
	struct sid s;

	ace->trustee = CIM_NOBODY;
	if (p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z') {
		*pp = p + 2;
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (memcmp(p, aliases[i].alias, 2) == 0) {
				ace->trustee = (uint8_t)aliases[i].who;
				return NULL;
			}
		for (const char *a = nobody_aliases; *a; a += a[2] ? 3 : 2)
			if (memcmp(p, a, 2) == 0)
				return NULL;
		return "has an SDDL alias Windows does not define (or RM, which is ambiguous: "
		       "spell S-1-5-32-580)";
	}
	if ((why = sid_parse(pp, &s)))
		return why;
	/* Samba's Unix SIDs: S-1-22-1-UID, S-1-22-2-GID. */
	if (s.authority == 22 && s.n == 2 && (s.sub[0] == 1 || s.sub[0] == 2)) {
		ace->trustee = s.sub[0] == 1 ? CIM_UNIX_USER : CIM_UNIX_GROUP;
		ace->id = s.sub[1];
		return NULL;
	}
	for (size_t i = 0; i < sizeof(known_sids) / sizeof(known_sids[0]); i++)
		if (known_sids[i].sid.authority == s.authority && known_sids[i].sid.n == s.n &&
		    memcmp(known_sids[i].sid.sub, s.sub, s.n * sizeof(s.sub[0])) == 0)
			ace->trustee = (uint8_t)known_sids[i].who;
	return NULL;
}

/* ---- ACEs ---- */

static const struct {
	char code[3];
	uint32_t bit;
} right_codes[] =
    {
	{"CC", CIM_ENABLE_ACCOUNT}, {"DC", CIM_EXECUTE_METHODS}, {"LC", CIM_FULL_WRITE},
	{"SW", CIM_PARTIAL_WRITE},  {"RP", CIM_PROVIDER_WRITE},	 {"WP", CIM_REMOTE_ENABLE},
	{"RC", CIM_READ_SECURITY},  {"WD", CIM_EDIT_SECURITY},
},
  flag_codes[] = {
      {"OI", CIM_ACE_OBJECT_INHERIT}, {"CI", CIM_ACE_CONTAINER_INHERIT},
      {"NP", CIM_ACE_NO_PROPAGATE},   {"IO", CIM_ACE_INHERIT_ONLY},
      {"ID", CIM_ACE_INHERITED},
};

/* Two-letter codes up to the field's end (';', or the ACE's ')') into *bits. */
static int codes_parse(const char **pp, const void *table, size_t n, uint32_t *bits)
{
	const struct {
		char code[3];
		uint32_t bit;
	} *t = table;
	const char *p = *pp;

	for (*bits = 0; *p != ';' && *p != ')';) {
		size_t i;
		for (i = 0; i < n && !(p[0] && p[1] && memcmp(p, t[i].code, 2) == 0); i++)
			;
		if (i == n)
			return -1;
		*bits |= t[i].bit;
		p += 2;
	}
	*pp = p;
	return 0;
}

static const char *rights_parse(const char **pp, uint32_t *rights)
{
	const char *p = *pp;
	uint64_t v = 0;
	size_t n = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (p += 2; n < 8 && is_hex(p[n]); n++)
			v = v << 4 | hex_value(p[n]);
		if (n == 0 || p[n] != ';')
			return "has an ACE whose hexadecimal rights are not 0x and 1 to 8 digits";
		if (v & ~(uint64_t)CIM_ALL_RIGHTS)
			return "has an ACE with rights WMI namespaces do not have (theirs are "
			       "within "
			       "0x6003F)";
		*rights = (uint32_t)v;
		*pp = p + n;
		return NULL;
	}
	if (codes_parse(pp, right_codes, sizeof(right_codes) / sizeof(right_codes[0]), rights))
		return "has an ACE with a right WMI namespaces do not have (theirs are CC Enable "
		       "Account, DC Execute Methods, LC Full Write, SW Partial Write, RP Provider "
		       "Write, WP Remote Enable, RC Read Security, WD Edit Security)";
	return NULL;
}

/* "(type;flags;rights;;;trustee)" at *pp. */
static const char *ace_parse(const char **pp, struct cim_ace *ace)
{
	const char *p = *pp + 1, *why;
	uint32_t flags;

	memset(ace, 0, sizeof(*ace));
	if (!strchr(p, ')'))
		return "has an ACE that does not end with ')'";
	if ((p[0] != 'A' && p[0] != 'D') || p[1] != ';')
		return "has an ACE whose type is not A (allow) or D (deny), the two a WMI "
		       "namespace takes";
	ace->deny = p[0] == 'D';
	p += 2;
	if (codes_parse(&p, flag_codes, sizeof(flag_codes) / sizeof(flag_codes[0]), &flags))
		return "has an ACE with a flag WMI namespaces do not take (theirs are CI, OI, NP, "
		       "IO "
		       "and ID)";
	ace->flags = (uint8_t)flags;
	if (*p++ != ';')
		return "has an ACE of too few fields: a WMI namespace takes "
		       "(type;flags;rights;;;trustee)";
	if ((why = rights_parse(&p, &ace->rights)))
		return why;
	if (strncmp(p, ";;;", 3) != 0)
		return "has an ACE with an object GUID or of too few fields: a WMI namespace "
		       "takes (type;flags;rights;;;trustee)";
	p += 3;
	if ((why = trustee_parse(&p, ace)))
		return why;
	if (*p != ')')
		return "has an ACE that does not end with ')' after its trustee";
	if ((ace->rights & CIM_FULL_WRITE) &&
	    (ace->rights & (CIM_PARTIAL_WRITE | CIM_PROVIDER_WRITE)) !=
		(CIM_PARTIAL_WRITE | CIM_PROVIDER_WRITE))
		return "has an ACE with Full Write (LC) but not Partial Write (SW) and Provider "
		       "Write (RP), which WMI refuses";
	if ((ace->flags & CIM_ACE_INHERIT_ONLY) && !(ace->flags & CIM_ACE_CONTAINER_INHERIT))
		return "has an inherit-only ACE (IO) without container inherit (CI), which WMI "
		       "refuses";
	*pp = p + 1;
	return NULL;
}

/* Canonical order's rank: explicit deny, explicit allow, inherited deny,
 * inherited allow. */
static int rank(const struct cim_ace *a)
{
	return (a->flags & CIM_ACE_INHERITED ? 2 : 0) + (a->deny ? 0 : 1);
}

const char *cim_sd_parse(const char *sddl, struct cim_sd *out)
{
	static const char *const dacl_flags[] = {"P", "AI", "AR"};
	const char *p = sddl, *why;
	struct cim_ace ignored; /* the owner and the group name no one's rights */

	memset(out, 0, sizeof(*out));
	if (strlen(sddl) > CIM_MAX_SDDL)
		return "is longer than 4096 bytes";
	if (strncmp(p, "O:", 2) != 0)
		return "does not start with its owner (O:), and WMI requires an owner and a group";
	p += 2;
	if ((why = trustee_parse(&p, &ignored)))
		return why;
	if (strncmp(p, "G:", 2) != 0)
		return "has no group (G:) after its owner, and WMI requires one";
	p += 2;
	if ((why = trustee_parse(&p, &ignored)))
		return why;
	if (strncmp(p, "D:", 2) != 0)
		return "has no DACL (D:) after its group, and WMI requires one";
	for (p += 2; *p && *p != '(' && strncmp(p, "S:", 2) != 0;) {
		size_t i;
		if (strncmp(p, "NO_ACCESS_CONTROL", 17) == 0)
			return "has a null DACL (NO_ACCESS_CONTROL), which WMI refuses";
		for (i = 0; i < 3 && strncmp(p, dacl_flags[i], strlen(dacl_flags[i])) != 0; i++)
			;
		if (i == 3)
			return "has a DACL flag other than P, AI and AR";
		p += strlen(dacl_flags[i]);
	}
	while (*p == '(') {
		if (out->naces == CIM_MAX_ACES)
			return "has more than 64 ACEs";
		if ((why = ace_parse(&p, &out->aces[out->naces])))
			return why;
		if (out->naces && rank(&out->aces[out->naces]) < rank(&out->aces[out->naces - 1]))
			return "has its ACEs out of canonical order (explicit deny ACEs first, "
			       "then "
			       "explicit allow, then inherited (ID) deny, then inherited allow)";
		out->naces++;
	}
	if (strncmp(p, "S:", 2) == 0)
		return "has a SACL (S:), which a namespace's descriptor has not here (the audit "
		       "trail records refusals)";
	if (*p)
		return "has text after its DACL that is not an ACE";
	return NULL;
}
