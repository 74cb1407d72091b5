/* ntlm_negotiate: an NTLM NEGOTIATE_MESSAGE without its Version field,
 * made one that gss-ntlmssp reads. MS-NLMP 2.2.1.1 lets a client leave the
 * 8-byte Version out when NTLMSSP_NEGOTIATE_VERSION is clear, and Windows
 * accepts such a message; gss-ntlmssp 1.2 refuses any NEGOTIATE_MESSAGE
 * shorter than the 40-byte header with a Version, as an invalid token.
 * The Ruby WinRM gem's rubyntlm (Vagrant, Chef, test-kitchen: 34 bytes,
 * the workstation at offset 32) and Node's ntlm-client send such messages.
 * These clients send no MIC, which would cover the message as sent. */
#ifndef OPENWINRM_NTLM_NEGOTIATE_H
#define OPENWINRM_NTLM_NEGOTIATE_H

#include <stddef.h>
#include <stdint.h>

#define NTLM_VERSION_LEN 8

/* When in (len bytes) is a raw NEGOTIATE_MESSAGE whose payload starts at
 * offset 32 (no Version), the same message with a zero Version inserted
 * at 32 and the payload's offsets moved by NTLM_VERSION_LEN, in out (cap
 * at least len + NTLM_VERSION_LEN): its length. 0 for anything else,
 * which goes to GSSAPI as it came. */
size_t ntlm_negotiate_with_version(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
