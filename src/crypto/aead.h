/*
 * aead.h — ChaCha20-Poly1305 authenticated encryption (RFC 8439 §2.8).
 * Implementation and course notes: aead.c. Course: chapter docs/aead.md.
 */
#ifndef SS_AEAD_H
#define SS_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* §2.8: the longest plaintext (and ciphertext), 2^38 - 64 bytes = 64 bytes
 * times the 2^32 - 1 block counters 1 .. 2^32-1. One byte more and the 32-bit
 * counter would wrap to block 0, which made the one-time Poly1305 key, and
 * the keystream would repeat. */
#define SS_AEAD_MAX_LEN ((uint64_t)64 * 0xffffffffu)

/* ciphertext = ChaCha20(key, counter 1, nonce) XOR plaintext, and
 * tag = Poly1305 over ad, ciphertext and their lengths (§2.8); returns 0.
 * Returns -1 and writes nothing to ciphertext (the tag is zeroed) when
 * len > SS_AEAD_MAX_LEN. ciphertext == plaintext is allowed. A (key, nonce)
 * pair must never be used twice. Pointers may be NULL when their length is
 * 0. The one-time Poly1305 key and the keystream temporaries are wiped. */
SS_API int ss_aead_seal(uint8_t *ciphertext, uint8_t tag[16], const uint8_t key[32],
                        const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                        const uint8_t *plaintext, size_t len);

/* Returns 0 and writes the plaintext when the tag is authentic; otherwise
 * returns -1 and sets plaintext[0..len) to zeros, so unauthenticated bytes
 * never reach the caller. A ciphertext longer than SS_AEAD_MAX_LEN, which no
 * sender can have sealed, returns -1 and writes nothing. The tag is compared in constant time.
 * plaintext == ciphertext is allowed. The one-time Poly1305 key and the
 * expected tag are wiped on both paths. */
SS_API int ss_aead_open(uint8_t *plaintext, const uint8_t key[32], const uint8_t nonce[12],
                        const uint8_t *ad, size_t ad_len, const uint8_t *ciphertext, size_t len,
                        const uint8_t tag[16]);

#ifdef __cplusplus
}
#endif

#endif
