/* x509_names: the names a certificate is for, as people read them in a
 * message ("a, b": its DNS and IPv4 alternative names, else its subject's
 * common name), for the client's refusals and `winrm diagnose`. */
#ifndef OPENWINRM_X509_NAMES_H
#define OPENWINRM_X509_NAMES_H

#include <stddef.h>

#include <openssl/x509.h>

/* Into out (cap bytes, always terminated; "" for none or no cert). */
void x509_names(X509 *cert, char *out, size_t cap);

#endif
