/*
 * sha256.h — SHA-256 (FIPS 180-4 §6.2), one-shot and incremental.
 * Implementation and course notes: sha256.c. Course: chapter docs/sha256.md.
 */
#ifndef SS_SHA256_H
#define SS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* Running state: the eight working words H0..H7, the total length so far,
 * and up to 63 bytes that do not yet fill a 64-byte block. */
typedef struct {
    uint32_t state[8];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[64];
    size_t block_len;   /* bytes waiting in block, 0..63 */
} ss_sha256_ctx;

/* out = SHA-256(msg[0..len)). msg may be NULL when len is 0; out may overlap
 * msg (it is written after the last byte of msg is read). Cannot fail; the
 * internal context is wiped before returning. */
SS_API void ss_sha256(uint8_t out[32], const uint8_t *msg, size_t len);

/* Incremental use: init, then update any number of times with any split of
 * the message, then final. The result equals ss_sha256 of the concatenation.
 * final writes the digest and wipes ctx (it may hold secret data, e.g. an
 * HMAC key block); init it again before reuse. update accepts msg == NULL
 * when len is 0. None of the three can fail. */
SS_API void ss_sha256_init(ss_sha256_ctx *ctx);
SS_API void ss_sha256_update(ss_sha256_ctx *ctx, const uint8_t *msg, size_t len);
SS_API void ss_sha256_final(ss_sha256_ctx *ctx, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif
