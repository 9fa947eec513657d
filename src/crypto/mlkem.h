/*
 * mlkem.h — ML-KEM-768, the module-lattice key-encapsulation mechanism of
 * FIPS 203 (August 2024, final), parameter set ML-KEM-768 (§8, Table 2:
 * k = 3, eta1 = eta2 = 2, du = 10, dv = 4). Implementation and course notes:
 * mlkem.c. Course: chapter docs/mlkem.md.
 *
 * A KEM has three operations. KeyGen makes a key pair (ek, dk); Encaps,
 * given ek, makes a fresh shared secret K and a ciphertext c that carries
 * it; Decaps, given dk and c, gets K back. Every function returns 0 on
 * success and -1 when an input fails the checks FIPS 203 requires, or when
 * the random source failed; outputs are then all zero bytes, never a
 * partial result.
 *
 * Buffers: outputs may overlap the seeds (d, z, m), and ss may overlap ct or
 * dk; ct and ss must not overlap ek, and ek and dk not each other.
 */
#ifndef SS_MLKEM_H
#define SS_MLKEM_H

#include <stdint.h>

#include "export.h"

#define SS_MLKEM768_EK_BYTES 1184 /* encapsulation key, 384k + 32 (FIPS 203 §8) */
#define SS_MLKEM768_DK_BYTES 2400 /* decapsulation key, 768k + 96 */
#define SS_MLKEM768_CT_BYTES 1088 /* ciphertext, 32(du k + dv) */
#define SS_MLKEM768_SS_BYTES 32   /* shared secret K */
#define SS_MLKEM768_SEED_BYTES 32 /* each of d, z and m */

/* ML-KEM.KeyGen_internal (FIPS 203 Algorithm 16), derandomized: the key
 * pair is a function of the 32-byte seeds d and z (FIPS 203 §3.3: these
 * must come from an approved random source, and d and z are as secret as
 * dk; keep them only if you keep dk). Always returns 0. */
SS_API int ss_mlkem768_keygen_derand(uint8_t ek[1184], uint8_t dk[2400], const uint8_t d[32],
                                     const uint8_t z[32]);

/* ML-KEM.KeyGen (Algorithm 19): d and z from ss_random. Returns -1 (ek and
 * dk zeroed) if the random source failed, else 0. */
SS_API int ss_mlkem768_keygen(uint8_t ek[1184], uint8_t dk[2400]);

/* ML-KEM.Encaps_internal (Algorithm 17), derandomized by the 32-byte
 * message m (secret, use once). First the encapsulation-key check of §7.2:
 * returns -1 (ct and ss zeroed) if a coefficient of ek is not reduced
 * modulo q (the "modulus check"); else ct and the shared secret ss, 0. */
SS_API int ss_mlkem768_encaps_derand(uint8_t ct[1088], uint8_t ss[32], const uint8_t ek[1184],
                                     const uint8_t m[32]);

/* ML-KEM.Encaps (Algorithm 20): m from ss_random. Returns -1 (ct and ss
 * zeroed) if ek fails the modulus check or the random source failed. */
SS_API int ss_mlkem768_encaps(uint8_t ct[1088], uint8_t ss[32], const uint8_t ek[1184]);

/* ML-KEM.Decaps (Algorithm 21 and 18). First the decapsulation-key check of
 * §7.3: returns -1 (ss zeroed) if the hash H(ek) stored in dk does not match
 * the ek stored in dk. Otherwise returns 0 and the shared secret: for a
 * ciphertext that was not made from dk's ek, a pseudo-random K-bar derived
 * from dk's secret z and the ciphertext ("implicit rejection"), which the
 * caller cannot tell apart from a real one without the other side. */
SS_API int ss_mlkem768_decaps(uint8_t ss[32], const uint8_t ct[1088], const uint8_t dk[2400]);

#endif
