/*
 * mlkem_internal.h — the building blocks of ML-KEM-768 (mlkem.c), not
 * installed and not exported (no SS_API). Declared for the unit tests,
 * which check each FIPS 203 algorithm on its own (exhaustively where the
 * domain is small), and for the constant-time test, which needs the entry
 * of SampleNTT and the key check (tests/ct/ct.c says why).
 * A polynomial is 256 coefficients; "canonical" means each is in [0, q).
 */
#ifndef SS_MLKEM_INTERNAL_H
#define SS_MLKEM_INTERNAL_H

#include <stdint.h>

#include "mlkem.h"

#define SS_MLKEM_Q 3329
#define SS_MLKEM_N 256

/* SampleNTT (Algorithm 7): the NTT-domain polynomial of the matrix A-hat
 * from seed = rho || j || i (34 bytes, public). Canonical output. */
void ss_mlkem_sample_ntt(int16_t a[256], const uint8_t seed[34]);
/* The same for n = 1..4 seeds at once: a[i] from seeds[i] (AVX2: call
 * only when ss_cpu_features() has SS_CPU_AVX2; x86-64 builds only). */
void ss_mlkem_sample_ntt_x4(int16_t a[][256], const uint8_t seeds[][34], unsigned n);
/* SamplePolyCBD_2 (Algorithm 8, eta = 2) on 128 bytes: coefficients in
 * [-2, 2] (signed representatives, not canonical). */
void ss_mlkem_cbd2(int16_t f[256], const uint8_t b[128]);
/* Any int16_t to its representative modulo q in [0, q). */
int16_t ss_mlkem_reduce(int16_t a);
/* NTT (Algorithm 9) and NTT^-1 (Algorithm 10), in place, on input with
 * |f[j]| < q; canonical output. */
void ss_mlkem_ntt(int16_t f[256]);
void ss_mlkem_inv_ntt(int16_t f[256]);
/* MultiplyNTTs (Algorithm 11) on canonical inputs: canonical h. */
/* The constants of MultiplyNTTs (Algorithm 11, line 2), in Montgomery form:
 * the reference and the AVX2 path read the same table (mlkem.c). */
extern const int16_t ss_mlkem_gammas[128];

void ss_mlkem_multiply_ntts(int16_t h[256], const int16_t f[256], const int16_t g[256]);
/* Compress_d and Decompress_d (§4.2.1), for x in [0, q), y < 2^d and
 * 1 <= d <= 10 (ML-KEM-768's are 1, 4 and 10). */
uint16_t ss_mlkem_compress(uint16_t x, unsigned d);
uint16_t ss_mlkem_decompress(uint16_t y, unsigned d);
/* ByteEncode_d / ByteDecode_d (Algorithms 5 and 6), d in 1..12: 32d bytes.
 * Encode takes coefficients in [0, 2^d) (canonical for d = 12); decode
 * reduces modulo q for d = 12 (Algorithm 6's "mod m"). */
void ss_mlkem_byte_encode(uint8_t *out, const int16_t f[256], unsigned d);
void ss_mlkem_byte_decode(int16_t f[256], const uint8_t *in, unsigned d);
/* The encapsulation-key check of §7.2 (modulus check): 0 if every
 * coefficient of ek is below q, else -1. */
int ss_mlkem768_check_ek(const uint8_t ek[1184]);
/* The decapsulation-key check of §7.3 (hash check): 0 if H(ek) stored in
 * dk matches the ek stored in dk, else -1. */
int ss_mlkem768_check_dk(const uint8_t dk[2400]);

#endif
