/*
 * x25519_fast.h — the X25519 fast paths (internal; no SS_API). The
 * reference, and the functions that choose, are in x25519.c.
 *
 * ss_x25519_base_edwards writes u = X25519(e, 9) for a scalar e that is
 * already clamped (RFC 7748 §5), with the Edwards curve and a precomputed
 * table (x25519_base.c). Plain C: every CPU can run it.
 *
 * ss_x25519_ladder_mulx writes out = X25519(e, point), e already clamped,
 * with the reference's ladder on four 64-bit limbs and the MULX, ADCX and
 * ADOX instructions (x25519_mulx.c). Only on x86-64 builds; cpu.c says
 * whether the CPU has the instructions.
 */
#ifndef SS_X25519_FAST_H
#define SS_X25519_FAST_H

#include <stdint.h>

void ss_x25519_base_edwards(uint8_t u[32], const uint8_t e[32]);
void ss_x25519_ladder_mulx(uint8_t out[32], const uint8_t e[32], const uint8_t point[32]);

#endif
