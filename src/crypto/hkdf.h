/*
 * hkdf.h — HKDF with HMAC-SHA256 (RFC 5869 §2.2 extract, §2.3 expand).
 * Implementation and course notes: hkdf.c. Course: chapter docs/hkdf.md.
 */
#ifndef SS_HKDF_H
#define SS_HKDF_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* Largest output RFC 5869 §2.3 allows: 255 blocks of HashLen = 32 bytes. */
#define SS_HKDF_SHA256_MAX_OKM (255u * 32u)

/* prk = HMAC-SHA256(salt, ikm). A NULL/empty salt means 32 zero bytes
 * (RFC 5869 §2.2); ikm may be NULL when ikm_len is 0. Cannot fail. prk is a
 * secret key: the caller wipes it when done. */
SS_API void ss_hkdf_sha256_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
                                   const uint8_t *ikm, size_t ikm_len);

/* okm = T(1) | T(2) | ... truncated to okm_len (RFC 5869 §2.3), with prk as
 * the HMAC key (normally the 32 bytes from extract). Returns -1 (writing
 * nothing) when okm_len > 255*32, else 0. okm/info may be NULL when their
 * length is 0. The keyed HMAC state and every T(i) are wiped. */
SS_API int ss_hkdf_sha256_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                                 const uint8_t *info, size_t info_len);

/* Extract then expand in one call; same return values as expand (an
 * oversize request is refused before anything is computed). The
 * intermediate PRK is wiped. */
SS_API int ss_hkdf_sha256(uint8_t *okm, size_t okm_len, const uint8_t *salt, size_t salt_len,
                          const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len);

#ifdef __cplusplus
}
#endif

#endif
