/*
 * chacha20_simd.h — the ChaCha20 fast paths (internal; no SS_API).
 * The reference, and the public functions that choose among these, are in
 * chacha20.c. Course: docs/performance.md ("What SIMD does to ChaCha20").
 *
 * Each function XORs len bytes (len >= 1) of in with the keystream that
 * starts at the block in state[12], exactly as the reference does, and
 * advances state[12] by the number of blocks used (ceil(len / 64)), wrapping
 * modulo 2^32 like the reference. state is the §2.3 state (constants, key,
 * counter, nonce). out == in is allowed. The functions exist only on x86-64
 * builds; cpu.c says at run time whether the CPU can run them.
 */
#ifndef SS_CHACHA20_SIMD_H
#define SS_CHACHA20_SIMD_H

#include <stddef.h>
#include <stdint.h>

void ss_chacha20_xor_sse2(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16]);
void ss_chacha20_xor_avx2(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16]);
/* The same for 1 <= len <= 128 only (one or two blocks). */
void ss_chacha20_xor_avx2_short(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16]);
/* Any len >= 1: 16, 8, 4, 2 or 1 blocks at a time (AVX-512F, VL and BW). */
void ss_chacha20_xor_avx512(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16]);

#endif
