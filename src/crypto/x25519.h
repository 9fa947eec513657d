/*
 * x25519.h — the X25519 function (RFC 7748 §5) and its Diffie-Hellman use
 * (RFC 7748 §6.1). Implementation and course notes: x25519.c.
 * Course: chapter docs/x25519.md.
 */
#ifndef SS_X25519_H
#define SS_X25519_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* shared = X25519(scalar, point): the scalar is clamped (RFC 7748 §5), the
 * point's top bit is ignored. Always writes shared. Returns -1 when the
 * result is all zeros — the peer sent a low-order point, and the "shared"
 * secret would be known to everyone (RFC 7748 §6.1) — else 0. shared may be
 * the same buffer as scalar or point. The clamped copy of the scalar and
 * every field element of the computation are wiped before returning. */
SS_API int ss_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32]);

/* public_key = X25519(secret_key, 9), the base point u = 9. Any 32 bytes
 * are a valid secret_key (they are clamped on a copy). Cannot fail: the
 * result is never all zeros (x25519.c says why). Temporaries are wiped. */
SS_API void ss_x25519_public_key(uint8_t public_key[32], const uint8_t secret_key[32]);

#ifdef __cplusplus
}
#endif

#endif
