/*
 * poly1305.h — the Poly1305 one-time authenticator (RFC 8439 §2.5).
 * Implementation and course notes: poly1305.c.
 * Course: chapter docs/poly1305.md.
 */
#ifndef SS_POLY1305_H
#define SS_POLY1305_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* State (representation and bounds: poly1305.c): r, clamped, as two 64-bit
 * limbs; the accumulator h as two 64-bit limbs and a small top limb
 * (h = h[0] + h[1]*2^64 + h[2]*2^128, h[2] <= 4 between blocks); the s half
 * of the key as two 64-bit limbs; and a partial 16-byte block. */
typedef struct {
    uint64_t r[2];
    uint64_t h[3];
    uint64_t s[2];
    uint8_t block[16];
    size_t block_len; /* bytes waiting in block, 0..15 */
} ss_poly1305_ctx;

/* tag = Poly1305(key, msg). The key (r || s, r clamped here) must be used for
 * one message only. msg may be NULL when len is 0. Cannot fail; the
 * internal context, which holds the key, is wiped. */
SS_API void ss_poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32]);

/* Incremental form: init with the one-time key, update with any split of
 * the message (msg may be NULL when len is 0), final writes the tag and
 * wipes ctx. The result equals ss_poly1305 of the concatenation. */
SS_API void ss_poly1305_init(ss_poly1305_ctx *ctx, const uint8_t key[32]);
SS_API void ss_poly1305_update(ss_poly1305_ctx *ctx, const uint8_t *msg, size_t len);
SS_API void ss_poly1305_final(ss_poly1305_ctx *ctx, uint8_t tag[16]);

#ifdef __cplusplus
}
#endif

#endif
