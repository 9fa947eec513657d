/*
 * hmac.h — HMAC-SHA256 (RFC 2104 §2; test vectors RFC 4231 §4).
 * Implementation and course notes: hmac.c. Course: chapter docs/hmac.md.
 */
#ifndef SS_HMAC_H
#define SS_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "sha256.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* inner = SHA-256 state after absorbing (K ^ ipad); outer the same with
 * opad. Both are secret: they are as good as the key. */
typedef struct {
    ss_sha256_ctx inner;
    ss_sha256_ctx outer;
} ss_hmac_sha256_ctx;

/* out = HMAC-SHA256(key, msg). Any key length; keys longer than 64 bytes are
 * hashed first (RFC 2104 §2). key/msg may be NULL when their length is 0;
 * out may overlap key or msg (it is written last). Cannot fail. Every
 * key-derived temporary (padded key, keyed states, inner digest) is wiped. */
SS_API void ss_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                           const uint8_t *msg, size_t len);

/* Incremental form. init keys ctx (the key itself is not kept, but ctx is as
 * secret as the key); update appends message bytes (msg may be NULL when len
 * is 0); final writes the MAC and wipes ctx. A context abandoned before
 * final still holds key material: the caller must erase it. */
SS_API void ss_hmac_sha256_init(ss_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len);
SS_API void ss_hmac_sha256_update(ss_hmac_sha256_ctx *ctx, const uint8_t *msg, size_t len);
SS_API void ss_hmac_sha256_final(ss_hmac_sha256_ctx *ctx, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif
