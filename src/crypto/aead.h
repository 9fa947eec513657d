/*
 * aead.h — ChaCha20-Poly1305 authenticated encryption (RFC 8439 §2.8).
 * Implementation and course notes: aead.c. Course: chapter docs/aead.md.
 */
#ifndef SS_AEAD_H
#define SS_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

/* ciphertext = ChaCha20(key, counter 1, nonce) XOR plaintext, and
 * tag = Poly1305 over ad, ciphertext and their lengths (§2.8).
 * ciphertext == plaintext is allowed. A (key, nonce) pair must never be
 * used twice. Pointers may be NULL when their length is 0. Cannot fail; the
 * one-time Poly1305 key and the keystream temporaries are wiped. */
SS_API void ss_aead_seal(uint8_t *ciphertext, uint8_t tag[16], const uint8_t key[32],
                         const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                         const uint8_t *plaintext, size_t len);

/* Returns 0 and writes the plaintext when the tag is authentic; otherwise
 * returns -1 and sets plaintext[0..len) to zeros, so unauthenticated bytes
 * never reach the caller. The tag is compared in constant time.
 * plaintext == ciphertext is allowed. The one-time Poly1305 key and the
 * expected tag are wiped on both paths. */
SS_API int ss_aead_open(uint8_t *plaintext, const uint8_t key[32], const uint8_t nonce[12],
                        const uint8_t *ad, size_t ad_len, const uint8_t *ciphertext, size_t len,
                        const uint8_t tag[16]);

#endif
