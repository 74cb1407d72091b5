/* utf16: UTF-8 to and from UTF-16LE, the wide strings of Windows' APIs
 * (an NTLM password before its hash; every string of the WSMan client API
 * PowerShell calls). Strict both ways: ill-formed UTF-8 (truncated,
 * overlong, surrogates, above U+10FFFF) and unpaired surrogates are
 * ERR_FORMAT. Code units in memory are host order, which is
 * little-endian on every platform PowerShell runs on. */
#ifndef OPENWINRM_UTF16_H
#define OPENWINRM_UTF16_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* UTF-8 s (n bytes) as UTF-16LE bytes into out (2 * n bytes suffice:
 * every UTF-8 byte becomes at most two); the length in bytes in *outlen. */
enum err utf16_from_utf8(const char *s, size_t n, unsigned char *out, size_t *outlen);
/* n code units appended to out as UTF-8 (3 bytes per unit suffice; no
 * NUL is added). */
enum err utf16_to_utf8(const uint16_t *s, size_t n, struct buf *out);
/* Code units before the NUL. */
size_t utf16_len(const uint16_t *s);

#endif
