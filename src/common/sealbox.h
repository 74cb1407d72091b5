/* sealbox: a secret one process seals for another that holds the same
 * key, so that a third one can carry it without reading it: AES-256-GCM
 * (OpenSSL), the nonce random, what it is for bound in as associated
 * data. CredSSP's delegated credentials travel so from the privileged
 * part to the user's host through the network process
 * (docs/design.md, "CredSSP"). */
#ifndef OPENWINRM_SEALBOX_H
#define OPENWINRM_SEALBOX_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define SEALBOX_KEY_LEN 32
#define SEALBOX_NONCE_LEN 12
#define SEALBOX_TAG_LEN 16
#define SEALBOX_OVERHEAD (SEALBOX_NONCE_LEN + SEALBOX_TAG_LEN)
/* The associated data of CredSSP's delegated credentials: for the hosts
 * of this uid. */
#define SEALBOX_AAD_FORMAT "winrmd delegated credentials for uid %u"

/* nonce, ciphertext, tag of plain appended to out. */
enum err sealbox_seal(const uint8_t key[SEALBOX_KEY_LEN], const void *aad, size_t aad_len,
		      const uint8_t *plain, size_t len, struct buf *out);
/* The plaintext of sealed appended to plain; ERR_FORMAT if it was not
 * sealed with key for aad (or was changed). */
enum err sealbox_open(const uint8_t key[SEALBOX_KEY_LEN], const void *aad, size_t aad_len,
		      const uint8_t *sealed, size_t len, struct buf *plain);

#endif
