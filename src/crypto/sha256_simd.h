/*
 * sha256_simd.h — the SHA-256 fast path (internal; no SS_API). The
 * reference, and the function that chooses, are in sha256.c.
 *
 * ss_sha256_blocks_shani compresses n_blocks 64-byte blocks into state
 * (§6.2.2), exactly as the reference sha256_blocks does, with the SHA
 * extensions; k is the table of round constants K (§4.2.2). Only on x86-64
 * builds; cpu.c says whether the CPU has the instructions.
 */
#ifndef SS_SHA256_SIMD_H
#define SS_SHA256_SIMD_H

#include <stddef.h>
#include <stdint.h>

void ss_sha256_blocks_shani(uint32_t state[8], const uint8_t *blocks, size_t n_blocks,
                            const uint32_t k[64]);

#endif
