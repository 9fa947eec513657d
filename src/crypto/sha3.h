/*
 * sha3.h — SHA-3 and SHAKE (FIPS 202): the Keccak-f[1600] permutation and
 * the sponge built on it; SHA3-256, SHA3-512, SHAKE128 and SHAKE256, one-shot
 * and incremental. Implementation and course notes: sha3.c. Course: chapter
 * docs/sha3.md. ML-KEM (FIPS 203 §4.1) uses all four.
 *
 * Representation: the 1600-bit state is 25 lanes of 64 bits, lane (x, y) at
 * state[x + 5*y] (FIPS 202 §3.1.2, §3.1.3). A lane holds eight consecutive
 * bytes of the state string in little-endian order: byte 8*i + j of the
 * string is bits 8j..8j+7 of state[i], and within a byte the first bit of
 * the string is the least significant (FIPS 202 §B.1). So a byte string in,
 * a byte string out, on any host.
 */
#ifndef SS_SHA3_H
#define SS_SHA3_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

/* A sponge in progress (FIPS 202 §4). state: the 25 lanes; rate: r/8, the
 * bytes absorbed or squeezed per permutation (136 for SHA3-256 and SHAKE256,
 * 72 for SHA3-512, 168 for SHAKE128); pos: bytes of the current block already
 * absorbed (or, once squeezing, already output); suffix: the domain bits and
 * the first padding bit as one byte (0x06 for SHA-3, 0x1F for SHAKE, §6.1,
 * §6.2, §B.2); squeezing: 0 while absorbing, 1 after the padding. */
typedef struct {
    uint64_t state[25];
    size_t rate;
    size_t pos;
    uint8_t suffix;
    uint8_t squeezing;
} ss_sha3_ctx;

/* Keccak-p[1600, 24] = Keccak-f[1600] (FIPS 202 §3.3, §3.4): the 24 rounds
 * of θ, ρ, π, χ, ι on the state, in place. Cannot fail. */
SS_API void ss_keccak_f1600(uint64_t state[25]);

/* Incremental use: init, absorb any number of times with any split of the
 * message, then either final (SHA3-256, SHA3-512: pads, writes the digest,
 * wipes ctx) or ss_shake_squeeze (SHAKE: the first call pads; later calls
 * continue the same output stream, so squeezing 10 then 20 bytes gives the
 * same 30 bytes as squeezing 30). Absorbing after the first squeeze is not
 * part of FIPS 202 and must not be done. After squeezing, ss_sha3_wipe the
 * context (it may hold a secret seed). absorb accepts in == NULL when len is
 * 0; squeeze accepts out == NULL when out_len is 0. None of them can fail. */
SS_API void ss_sha3_256_init(ss_sha3_ctx *ctx);
SS_API void ss_sha3_512_init(ss_sha3_ctx *ctx);
SS_API void ss_shake128_init(ss_sha3_ctx *ctx);
SS_API void ss_shake256_init(ss_sha3_ctx *ctx);
SS_API void ss_sha3_absorb(ss_sha3_ctx *ctx, const void *in, size_t len);
SS_API void ss_sha3_256_final(uint8_t out[32], ss_sha3_ctx *ctx);
SS_API void ss_sha3_512_final(uint8_t out[64], ss_sha3_ctx *ctx);
SS_API void ss_shake_squeeze(uint8_t *out, size_t out_len, ss_sha3_ctx *ctx);
SS_API void ss_sha3_wipe(ss_sha3_ctx *ctx);

/* One-shot: out = SHA3-256(in), SHA3-512(in), SHAKE128(in, 8*out_len),
 * SHAKE256(in, 8*out_len). in may be NULL when len is 0; out may overlap in
 * (it is written after the last byte of in is read). The internal context is
 * wiped before returning. */
SS_API void ss_sha3_256(uint8_t out[32], const void *in, size_t len);
SS_API void ss_sha3_512(uint8_t out[64], const void *in, size_t len);
SS_API void ss_shake128(uint8_t *out, size_t out_len, const void *in, size_t len);
SS_API void ss_shake256(uint8_t *out, size_t out_len, const void *in, size_t len);

#endif
