/*
 * mlkem_simd.h — the ML-KEM fast paths (internal; no SS_API). The
 * reference, and the functions of mlkem.c that choose among these, are in
 * mlkem.c; cpu.c says at run time whether the CPU can run them (they exist
 * only on x86-64 builds). Course: docs/performance.md.
 */
#ifndef SS_MLKEM_SIMD_H
#define SS_MLKEM_SIMD_H

#include <stdint.h>

/* ss_mlkem_ntt, exactly: |f[j]| < q in, canonical out. */
void ss_mlkem_ntt_avx2(int16_t f[256]);
/* mlkem.c's inv_ntt_scaled, exactly: |f[j]| < q in, canonical out. */
void ss_mlkem_inv_ntt_avx2(int16_t f[256], int16_t scale);
/* mlkem.c's inner_product of two vectors of k polynomials (a and b hold
 * 256 k coefficients each, canonical): r = the sum of their MultiplyNTTs
 * times 2^-16, |r[j]| < q, equal to the reference's modulo q. */
void ss_mlkem_inner_product_avx2(int16_t r[256], const int16_t *a, const int16_t *b, unsigned k);

#endif
