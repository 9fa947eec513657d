/*
 * poly1305_simd.h — the Poly1305 fast path (internal; no SS_API). The
 * reference, and the function that chooses, are in poly1305.c.
 *
 * ss_poly1305_blocks_avx2 absorbs nblocks full 16-byte blocks (nblocks a
 * multiple of 4, at least 4) into the accumulator h, exactly as the
 * reference poly1305_blocks(ctx, msg, nblocks, 1) does: h and r in the
 * reference's representation (h = h[0] + h[1]*2^64 + h[2]*2^128 with
 * h[2] <= 4 on entry and on exit; r clamped, two 64-bit limbs). Only on
 * x86-64 builds; cpu.c says whether the CPU has AVX2.
 */
#ifndef SS_POLY1305_SIMD_H
#define SS_POLY1305_SIMD_H

#include <stddef.h>
#include <stdint.h>

void ss_poly1305_blocks_avx2(uint64_t h[3], const uint64_t r[2], const uint8_t *msg,
                             size_t nblocks);

/* The same with AVX-512 IFMA (poly1305_avx512.c), for nblocks a multiple
 * of 8, at least 8. */
void ss_poly1305_blocks_avx512(uint64_t h[3], const uint64_t r[2], const uint8_t *msg,
                               size_t nblocks);

#endif
