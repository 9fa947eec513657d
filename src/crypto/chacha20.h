/*
 * chacha20.h — the ChaCha20 block function and stream cipher
 * (RFC 8439 §2.1-§2.4). Implementation and course notes: chacha20.c.
 * Course: chapter docs/chacha20.md.
 */
#ifndef SS_CHACHA20_H
#define SS_CHACHA20_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* out = the 64-byte keystream block for (key, counter, nonce), §2.3.
 * Cannot fail. out is keystream, a secret the caller wipes; the internal
 * state copies (which hold the key) are wiped here. */
SS_API void ss_chacha20_block(uint8_t out[64], const uint8_t key[32], uint32_t counter,
                              const uint8_t nonce[12]);

/* out = in XOR keystream starting at block `counter` (§2.4). out == in is
 * allowed (in-place); in/out may be NULL when len is 0. The caller keeps
 * len <= 64 * (2^32 - counter): the 32-bit counter must not wrap. Cannot
 * fail; the state and keystream temporaries are wiped. */
SS_API void ss_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
                            uint32_t counter, const uint8_t nonce[12]);

/* ---- internal, for tests (not SS_API: hidden in the shared library) ----
 * One quarter round (§2.1) on the words at indices a, b, c, d (each 0..15)
 * of state, as in QUARTERROUND(a, b, c, d) of §2.2. Exposed only so that the
 * tests can run the RFC's §2.1.1 and §2.2.1 vectors. */
void ss_chacha20_quarter_round(uint32_t state[16], size_t a, size_t b, size_t c, size_t d);

#ifdef __cplusplus
}
#endif

#endif
