/* psrp_words: libwinrm's messages in PowerShell's words. libwinrm says
 * what to change with winrs' switches (-u:USER -p:PASSWORD, -a:Kerberos,
 * -usessl); someone who typed Invoke-Command needs the parameter of
 * Invoke-Command, New-PSSession and Enter-PSSession that does the same.
 * One row per switch, the longer forms first. */
#include "psrpclient/psrp_int.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *winrs, *powershell;
} words[] = {
    {"-u:USER -p:PASSWORD", "-Credential"},
    {"-p:PASSWORD", "-Credential with the password"},
    {"-a:None", "no authentication"},
    {"-a:Negotiate", "-Authentication Negotiate"},
    {"-a:Kerberos", "-Authentication Kerberos"},
    {"-a:Basic", "-Authentication Basic"},
    {"-a:Digest", "-Authentication Digest"},
    {"-a:CredSSP", "-Authentication Credssp"},
    {"-a:", "-Authentication"},
    {"-usessl", "-UseSSL"},
    {"-unencrypted", "-SessionOption (New-PSSessionOption -NoEncryption)"},
    {"-skipCAcheck", "-SessionOption (New-PSSessionOption -SkipCACheck)"},
    {"-skipCNcheck", "-SessionOption (New-PSSessionOption -SkipCNCheck)"},
    /* A certificate's key, which -CertificateThumbprint finds beside its
     * NAME.pem (psrp_certificate.c) rather than in -certificatekey: */
    {"-out KEY.pem) and give that with -certificatekey:KEY.pem",
     "-out NAME.key, beside the certificate's NAME.pem, where libpsrpclient looks for it)"},
    {"give the key's file with -certificatekey:PATH",
     "put the key in it, or beside it as NAME.key for NAME.pem"},
};

/* PowerShell quotes every @{...} of a WSMan message itself, for its own
 * parser (ParseEscapeWSManErrorMessage: "@{" becomes "'@{" and "}"
 * becomes "}'"), so the quotes libwinrm puts around one for sh would come
 * out doubled. The length of the sh-quoted '@{...}' at p, or 0. */
static size_t quoted_hashtable_at(const char *p)
{
	const char *end;

	if (strncmp(p, "'@{", 3) != 0 || !(end = strstr(p + 3, "}'")))
		return 0;
	return (size_t)(end + 2 - p);
}

/* The row whose winrs words start at p, or -1. */
static int row_at(const char *p)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(p, words[i].winrs, strlen(words[i].winrs)) == 0)
			return (int)i;
	return -1;
}

char *psrp_powershell_words(const char *message)
{
	size_t cap = 1, len = 0;
	char *out;

	/* The longest text it can become: every byte a longest replacement. */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].powershell) > cap)
			cap = strlen(words[i].powershell);
	if (!(out = malloc(cap * strlen(message) + 1)))
		return NULL;
	for (const char *p = message; *p;) {
		/* a switch starts a word: "-a:" in "re-a:" is no switch */
		int word_start = p == message || p[-1] == ' ' || p[-1] == '(';
		int row = word_start ? row_at(p) : -1;
		size_t quoted = word_start ? quoted_hashtable_at(p) : 0;
		if (quoted) {
			memcpy(out + len, p + 1, quoted - 2);
			len += quoted - 2;
			p += quoted;
			continue;
		}
		if (row < 0) {
			out[len++] = *p++;
			continue;
		}
		memcpy(out + len, words[row].powershell, strlen(words[row].powershell));
		len += strlen(words[row].powershell);
		p += strlen(words[row].winrs);
	}
	out[len] = 0;
	return out;
}
