/* priv_endpoint: privileged part. The session configurations
 * (winrm/config/plugin?Name=X) a host is opened for, decided here and
 * nowhere else (docs/design.md, "Session configurations"):
 *
 *   - who may connect: the plugin's AllowedUsers and AllowedGroups, checked
 *     against the account of the verified token (priv_endpoint_admit, in
 *     the loop: a passwd and group lookup);
 *   - which account its PowerShell runs as: RunAsUser, else the user;
 *   - Just Enough Administration: the plugin's .pssc, which pwsh -s on
 *     Unix cannot take as it is (RoleDefinitions, RequiredGroups and
 *     RunAsVirtualAccount are refused there, docs/psrp.md 5), compiled for
 *     the connecting user by a PowerShell script run as root in the
 *     session process before the host starts (priv_endpoint_compile):
 *     RequiredGroups enforced, the RoleDefinitions entries that name the
 *     user or one of the user's groups picked, their role capabilities
 *     (RoleCapabilities found as <module>/RoleCapabilities/<name>.psrc on
 *     root's module path, and RoleCapabilityFiles) merged in, the keys
 *     Unix pwsh refuses dropped, and the result written to a root-owned
 *     file that the host hands to every pwsh as -ConfigurationFile.
 *
 * The script reads data files with Import-PowerShellDataFile, which
 * evaluates no code, so there is no PowerShell data-file parser here;
 * every file it reads (the .pssc, each .psrc) must be root's and writable
 * by root alone, since what they say decides what another account may do
 * as the run-as account. */
#include "priv/priv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "host/psrp_engine.h"

/* Where compiled session files live: DIR/jea, root's, mode 0711. */
#define JEA_DIR "jea"
/* What the script may say on stdout (the roles) and stderr (why). */
#define MAX_SCRIPT_OUTPUT 4096

/* The compiler, run as `pwsh -NoProfile -NonInteractive -Command SCRIPT`
 * with WINRMD_JEA_SOURCE (the .pssc), WINRMD_JEA_USER, WINRMD_JEA_GROUPS
 * (comma list) and WINRMD_JEA_OUTPUT in its environment. Exit 0: written,
 * the roles on stdout; 2: the user is refused (RequiredGroups, no role);
 * 1: the configuration is unusable, why on stderr. */
static const char jea_compiler[] =
    "$ErrorActionPreference = 'Stop'\n"
    /* What Unix pwsh's -ConfigurationFile accepts (DISCFileValidation). */
    "$accepted = 'AliasDefinitions','AssembliesToLoad','Author','CompanyName','Copyright',"
    "'Description','EnvironmentVariables','FormatsToProcess','FunctionDefinitions','GUID',"
    "'LanguageMode','ModulesToImport','MountUserDrive','SchemaVersion','ScriptsToProcess',"
    "'SessionType','TranscriptDirectory','TypesToProcess','UserDriveMaximumSize',"
    "'VisibleAliases','VisibleCmdlets','VariableDefinitions','VisibleExternalCommands',"
    "'VisibleFunctions','VisibleProviders'\n"
    /* What a role adds (a role capability's other keys are its metadata). */
    "$merged = 'AliasDefinitions','AssembliesToLoad','EnvironmentVariables','FormatsToProcess',"
    "'FunctionDefinitions','ModulesToImport','ScriptsToProcess','TypesToProcess',"
    "'VariableDefinitions','VisibleAliases','VisibleCmdlets','VisibleExternalCommands',"
    "'VisibleFunctions','VisibleProviders'\n"
    "$user = $env:WINRMD_JEA_USER\n"
    "$groups = @($env:WINRMD_JEA_GROUPS -split ',' | Where-Object { $_ })\n"
    "function Read-DataFile([string]$path) {\n"
    "  $i = Get-Item -LiteralPath $path -Force\n"
    "  if ($i.User -ne 'root' -or $i.UnixMode[5] -eq 'w' -or $i.UnixMode[8] -eq 'w') {\n"
    "    throw \"$path must be root's and writable by root alone\" }\n"
    "  Import-PowerShellDataFile -LiteralPath $path }\n"
    /* Linux names are case-sensitive. */
    "function Test-Principal([string]$name) { $name -ceq $user -or $groups -ccontains $name }\n"
    "function Test-Required($r) {\n"
    "  if ($r -is [string]) { return Test-Principal $r }\n"
    "  if ($r -is [Collections.IDictionary] -and $r.Count -eq 1) {\n"
    "    if ($r.Contains('And')) { foreach ($x in @($r.And)) {"
    " if (-not (Test-Required $x)) { return $false } }; return $true }\n"
    "    if ($r.Contains('Or')) { foreach ($x in @($r.Or)) {"
    " if (Test-Required $x) { return $true } }; return $false } }\n"
    "  throw \"RequiredGroups: $r is neither a name nor @{And=...} or @{Or=...}\" }\n"
    "function Find-RoleCapability([string]$name) {\n"
    "  foreach ($dir in $env:PSModulePath -split ':' |"
    " Where-Object { $_ -and (Test-Path -LiteralPath $_) }) {\n"
    "    foreach ($m in Get-ChildItem -LiteralPath $dir -Directory) {\n"
    "      foreach ($d in @($m.FullName) + @(Get-ChildItem -LiteralPath $m.FullName -Directory |"
    " ForEach-Object FullName)) {\n"
    "        $p = Join-Path $d \"RoleCapabilities/$name.psrc\"\n"
    "        if (Test-Path -LiteralPath $p) { return $p } } } }\n"
    "  throw \"role capability ${name}: no RoleCapabilities/$name.psrc in a module of "
    "$env:PSModulePath\" }\n"
    "function Add-Capability($into, $cap) {\n"
    "  foreach ($k in $merged) {\n"
    "    if (-not $cap.Contains($k)) { continue }\n"
    "    if ($k -eq 'EnvironmentVariables') { foreach ($e in $cap[$k].Keys) {"
    " $into[$k][$e] = $cap[$k][$e] } }\n"
    "    else { $into[$k] = @($into[$k]) + @($cap[$k]) } } }\n"
    "function ConvertTo-DataText($v) {\n"
    "  if ($null -eq $v) { return '$null' }\n"
    "  if ($v -is [string]) { return \"'\" + $v.Replace(\"'\", \"''\") + \"'\" }\n"
    "  if ($v -is [bool]) { return $(if ($v) { '$true' } else { '$false' }) }\n"
    "  if ($v -is [int] -or $v -is [long]) { return \"$v\" }\n"
    "  if ($v -is [scriptblock]) { $t = $v.ToString().Trim()\n"
    "    return $(if ($t.StartsWith('{')) { $t } else { '{' + $t + '}' }) }\n"
    "  if ($v -is [Collections.IDictionary]) { return '@{' + (($v.Keys | ForEach-Object {"
    " (ConvertTo-DataText ([string]$_)) + ' = ' + (ConvertTo-DataText $v[$_]) }) -join '; ')"
    " + '}' }\n"
    "  if ($v -is [Collections.IEnumerable]) { return '@(' + ((@($v) | ForEach-Object {"
    " ConvertTo-DataText $_ }) -join ', ') + ')' }\n"
    "  throw \"a value of type $($v.GetType().Name) cannot be carried over\" }\n"
    "try {\n"
    "  $pssc = Read-DataFile $env:WINRMD_JEA_SOURCE\n"
    "  if ($pssc.Contains('RequiredGroups') -and -not (Test-Required $pssc.RequiredGroups)) {\n"
    "    [Console]::Error.WriteLine('not in RequiredGroups'); exit 2 }\n"
    "  $out = @{}\n"
    "  foreach ($k in $pssc.Keys) { if ($k -in $accepted) { $out[$k] = $pssc[$k] } }\n"
    "  foreach ($k in $merged) { if (-not $out.Contains($k)) {"
    " $out[$k] = $(if ($k -eq 'EnvironmentVariables') { @{} } else { @() }) } }\n"
    "  $roles = @()\n"
    "  if ($pssc.Contains('RoleDefinitions')) {\n"
    "    foreach ($name in $pssc.RoleDefinitions.Keys) {\n"
    "      if (-not (Test-Principal $name)) { continue }\n"
    "      $roles += $name; $role = $pssc.RoleDefinitions[$name]\n"
    "      foreach ($c in @($role.RoleCapabilities)) { if ($c) {"
    " Add-Capability $out (Read-DataFile (Find-RoleCapability $c)) } }\n"
    "      foreach ($f in @($role.RoleCapabilityFiles)) { if ($f) {"
    " Add-Capability $out (Read-DataFile $f) } }\n"
    "      Add-Capability $out $role }\n"
    "    if (-not $roles) { [Console]::Error.WriteLine('no role definition names the user or "
    "one of its groups'); exit 2 } }\n"
    "  foreach ($k in @($out.Keys)) { if ($k -in $merged -and $out[$k].Count -eq 0) {"
    " $out.Remove($k) } }\n"
    "  $text = \"@{`n\" + (($out.Keys | Sort-Object | ForEach-Object {"
    " \"$_ = \" + (ConvertTo-DataText $out[$_]) }) -join \"`n\") + \"`n}`n\"\n"
    "  [IO.File]::WriteAllText($env:WINRMD_JEA_OUTPUT, $text)\n"
    "  [Console]::Out.WriteLine(($roles -join ',')); exit 0\n"
    "} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }\n";

/* 1 if name is in the comma list. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* The names of groups, comma-separated, into out; 0, or -1 if too long. */
static int group_names(const gid_t *groups, int n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		struct group *g = getgrgid(groups[i]);
		size_t k = g ? strlen(g->gr_name) : 0;
		if (!g || in_list(out, g->gr_name))
			continue;
		if (o + k + 2 > len)
			return -1;
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", g->gr_name);
	}
	return 0;
}

/* A file that decides what others may do as the run-as account: root's,
 * a regular file, writable by root alone. NULL, or why not. */
static const char *untrusted_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	return priv_files_unsafe(&st, 0, 0);
}

void priv_endpoint_clear(struct priv_endpoint *ep)
{
	priv_account_clear(&ep->run_as);
	memset(ep, 0, sizeof(*ep));
}

enum err priv_endpoint_admit(struct priv *p, const struct priv_account *a, const char *name,
			     struct priv_endpoint *ep, const char **why)
{
	const struct config_plugin *pl = config_plugin_find(&p->cfg, name);
	const char *pwsh;
	gid_t *groups = NULL;
	int n, member;

	memset(ep, 0, sizeof(*ep));
	*why = NULL;
	if (!pl || !pl->enabled) {
		*why = "no such endpoint";
		return ERR_WSMAN_NO_ENDPOINT;
	}
	snprintf(ep->name, sizeof(ep->name), "%s", pl->name);
	if ((n = priv_account_groups(a, &groups)) < 0) {
		*why = "cannot read the user's groups";
		return ERR_WSMAN_INTERNAL;
	}
	member = (!*pl->allowed_users && !*pl->allowed_groups) ||
		 in_list(pl->allowed_users, a->name) ||
		 priv_in_groups(pl->allowed_groups, groups, n);
	if (group_names(groups, n, ep->groups, sizeof(ep->groups)) < 0)
		*why = "the user is in too many groups";
	free(groups);
	if (*why)
		return ERR_WSMAN_ACCESS_DENIED;
	if (!member) {
		*why = "not in the endpoint's AllowedUsers or AllowedGroups";
		return ERR_WSMAN_ACCESS_DENIED;
	}
	if (!priv_account_lookup(*pl->run_as_user ? pl->run_as_user : a->name, &ep->run_as)) {
		*why = "the RunAsUser account does not exist";
		return ERR_WSMAN_ACCESS_DENIED;
	}
	/* Without root (single-user mode) no other account is possible. */
	if (!p->privsep && ep->run_as.uid != p->self_uid) {
		*why = "RunAsUser needs the service to run as root";
		return ERR_WSMAN_ACCESS_DENIED;
	}
	if (*pl->config_file_path) {
		if ((*why = untrusted_file(pl->config_file_path)))
			return ERR_WSMAN_ACCESS_DENIED;
		snprintf(ep->pssc, sizeof(ep->pssc), "%s", pl->config_file_path);
	}
	if (!(pwsh = psrp_engine_pwsh_find(p->cfg.service.powershell)) || *pwsh != '/') {
		*why = "no pwsh (Service/PowerShell)";
		return ERR_WSMAN_NO_PWSH;
	}
	snprintf(ep->pwsh, sizeof(ep->pwsh), "%s", pwsh);
	return ERR_OK;
}

/* Reads what fd gives until EOF or the buffer is full (the rest is
 * drained), within the deadline; the text in out. */
static void read_all(int fd, char *out, size_t len, int timeout_ms)
{
	size_t o = 0;
	char scratch[512];

	out[0] = 0;
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return;
		if (o + 1 < len)
			r = read(fd, out + o, len - o - 1);
		else
			r = read(fd, scratch, sizeof(scratch));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		if (o + 1 < len) {
			o += (size_t)r;
			out[o] = 0;
		}
	}
}

/* The first line of s, without its end. */
static void first_line(char *s)
{
	s[strcspn(s, "\r\n")] = 0;
}

/* The compiler's child: root, a clean environment, stdout and stderr to
 * the pipes. */
static void __attribute__((noreturn))
compiler_run(const struct priv_endpoint *ep, const char *user, const char *output, int out, int err)
{
	char *argv[] = {
	    (char *)ep->pwsh,	  "-NoLogo", "-NoProfile", "-NonInteractive", "-Command",
	    (char *)jea_compiler, NULL};
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(1);
	if (clearenv() != 0 || setenv("PATH", PRIV_ROOT_PATH, 1) < 0 ||
	    setenv("HOME", "/root", 1) < 0 || setenv("POWERSHELL_TELEMETRY_OPTOUT", "1", 1) < 0 ||
	    setenv("POWERSHELL_UPDATECHECK", "Off", 1) < 0 ||
	    setenv("DOTNET_CLI_TELEMETRY_OPTOUT", "1", 1) < 0 ||
	    setenv("WINRMD_JEA_SOURCE", ep->pssc, 1) < 0 ||
	    setenv("WINRMD_JEA_USER", user, 1) < 0 ||
	    setenv("WINRMD_JEA_GROUPS", ep->groups, 1) < 0 ||
	    setenv("WINRMD_JEA_OUTPUT", output, 1) < 0)
		_exit(1);
	execv(ep->pwsh, argv);
	_exit(127);
}

/* DIR/jea, made root's 0711 if missing; -1 if it is anything else. */
static int jea_dir(const char *config_dir, char *out, size_t len)
{
	struct stat st;

	if ((size_t)snprintf(out, len, "%s/%s", config_dir, JEA_DIR) >= len)
		return -1;
	if (mkdir(out, 0711) < 0 && errno != EEXIST)
		return -1;
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -1;
	return 0;
}

enum err priv_endpoint_compile(const char *config_dir, const char *user, struct priv_endpoint *ep)
{
	char dir[PATH_MAX], out_text[MAX_SCRIPT_OUTPUT], err_text[MAX_SCRIPT_OUTPUT];
	int out[2], err[2], status = 0;
	pid_t pid;

	if (!*ep->pssc)
		return ERR_OK;
	if (jea_dir(config_dir, dir, sizeof(dir)) < 0 ||
	    (size_t)snprintf(ep->compiled, sizeof(ep->compiled), "%s/%s.%ld.pssc", dir, ep->name,
			     (long)getpid()) >= sizeof(ep->compiled)) {
		log_warnx(
		    "endpoint %s: %s/%s must be a directory of root's, writable by root alone",
		    ep->name, config_dir, JEA_DIR);
		ep->compiled[0] = 0;
		return ERR_WSMAN_INTERNAL;
	}
	(void)unlink(ep->compiled);
	if (pipe2(out, O_CLOEXEC) < 0)
		return ERR_WSMAN_INTERNAL;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return ERR_WSMAN_INTERNAL;
	}
	if ((pid = fork()) == 0)
		compiler_run(ep, user, ep->compiled, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	/* The session process has nothing else to do meanwhile; its own
	 * start deadline (PRIV_HOST_START_TIMEOUT_MS) bounds the wait. */
	read_all(out[0], out_text, sizeof(out_text), PRIV_HOST_START_TIMEOUT_MS);
	read_all(err[0], err_text, sizeof(err_text), 1000);
	close(out[0]);
	close(err[0]);
	if (pid < 0)
		return ERR_WSMAN_INTERNAL;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	first_line(out_text);
	first_line(err_text);
	/* pwsh wrote it under the service's umask: the run-as account reads it. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && chmod(ep->compiled, 0644) == 0 &&
	    !untrusted_file(ep->compiled)) {
		snprintf(ep->roles, sizeof(ep->roles), "%.1000s", out_text);
		return ERR_OK;
	}
	(void)unlink(ep->compiled);
	ep->compiled[0] = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		log_warnx("endpoint %s: %s refused: %s", ep->name, user, err_text);
		return ERR_WSMAN_ACCESS_DENIED;
	}
	log_warnx("endpoint %s: %s cannot be used: %s", ep->name, ep->pssc,
		  *err_text ? err_text : "pwsh failed");
	return ERR_WSMAN_INTERNAL;
}
