/* x509_names: see x509_names.h. */
#include "common/x509_names.h"

#include <stdio.h>

#include <openssl/x509v3.h>

void x509_names(X509 *cert, char *out, size_t cap)
{
	GENERAL_NAMES *alt = cert ? X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL) : NULL;
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt) && len + 1 < cap; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(alt, i);
		char ip[64] = "";
		const char *name = NULL;
		if (g->type == GEN_DNS)
			name = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		else if (g->type == GEN_IPADD && g->d.iPAddress->length == 4) {
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
			name = ip;
		}
		if (name)
			len +=
			    (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", name);
	}
	GENERAL_NAMES_free(alt);
	if (!out[0] && cert)
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out,
					  (int)cap);
	if (len >= cap)
		out[cap - 1] = 0;
}
