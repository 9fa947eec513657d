/*
 * sha3_simd.h — four SHAKE128 or SHAKE256 instances at once in AVX2
 * (internal; no SS_API), for ML-KEM's matrix and noise sampling (mlkem.c). Exists only on x86-64
 * builds; cpu.c says at run time whether the CPU can run it.
 * Implementation and notes: sha3x4_avx2.c. Course: docs/performance.md.
 */
#ifndef SS_SHA3_SIMD_H
#define SS_SHA3_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* Four Keccak-f[1600] states side by side: lane x + 5y of instance i is
 * lanes[x + 5y][i] (sha3.c's lane numbering), as one 256-bit vector per
 * lane number. */
typedef struct {
    _Alignas(32) uint64_t lanes[25][4];
} ss_keccak_x4;

#define SS_SHAKE128_RATE 168
#define SS_SHAKE256_RATE 136

/* Starts four SHAKE computations of rate `rate` (SS_SHAKE128_RATE or
 * SS_SHAKE256_RATE) on the inputs in[0..3], each len bytes with len < rate
 * (one block; ML-KEM's inputs are 33 and 34 bytes): absorbs and pads them
 * (FIPS 202 §6.2, pad10*1 after the suffix 1111). */
void ss_shake_x4_absorb_once_avx2(ss_keccak_x4 *s, size_t rate, const uint8_t *const in[4],
                                  size_t len);

/* Squeezes the next nblocks blocks of `rate` bytes of each instance i
 * into out[i] (rate * nblocks bytes each); the first call gives bytes
 * 0.., the next continues. */
void ss_shake_x4_squeeze_blocks_avx2(uint8_t *const out[4], size_t nblocks, size_t rate,
                                     ss_keccak_x4 *s);

#endif
