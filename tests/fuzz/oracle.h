/*
 * oracle.h — the other side of every comparison the fuzz targets make:
 * the same functions as src/crypto, computed by OpenSSL's libcrypto (the
 * test-side oracle; the library itself never links it).
 *
 * Each function takes the arguments of its ss_ counterpart. A failure of
 * OpenSSL itself (out of memory, an algorithm missing) is a broken test
 * setup, not a finding: it stops the target with fuzz_fail.
 */
#ifndef SS_FUZZ_ORACLE_H
#define SS_FUZZ_ORACLE_H

#include <stddef.h>
#include <stdint.h>

void oracle_sha256(uint8_t out[32], const uint8_t *msg, size_t len);

void oracle_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
                        size_t len);

/* HKDF-SHA256 (EVP_KDF "HKDF"). The expand forms return 0, or -1 when
 * OpenSSL refuses the request (okm_len 0 or above 255 * 32, or a PRK
 * shorter than 32 bytes, which RFC 5869 §2.3 does not allow). */
void oracle_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
                         const uint8_t *ikm, size_t ikm_len);
int oracle_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                       const uint8_t *info, size_t info_len);
int oracle_hkdf(uint8_t *okm, size_t okm_len, const uint8_t *salt, size_t salt_len,
                const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len);

/* X25519 (EVP_PKEY_X25519). Returns 0, or -1 when OpenSSL refuses the
 * result because it is all zeros (a low-order point, RFC 7748 §6.1). */
int oracle_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32]);
void oracle_x25519_public_key(uint8_t public_key[32], const uint8_t secret_key[32]);

/* ChaCha20 (EVP_chacha20), keystream from block `counter`. */
void oracle_chacha20(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
                     uint32_t counter, const uint8_t nonce[12]);

/* Poly1305 (EVP_MAC "POLY1305"). */
void oracle_poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32]);

/* ChaCha20-Poly1305 (EVP_chacha20_poly1305). open returns 0 when the tag
 * is authentic, -1 otherwise. */
void oracle_aead_seal(uint8_t *ciphertext, uint8_t tag[16], const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      const uint8_t *plaintext, size_t len);
int oracle_aead_open(uint8_t *plaintext, const uint8_t key[32], const uint8_t nonce[12],
                     const uint8_t *ad, size_t ad_len, const uint8_t *ciphertext, size_t len,
                     const uint8_t tag[16]);

#endif
