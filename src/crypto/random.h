/*
 * random.h — key material from the operating system's CSPRNG, getrandom(2)
 * (Linux man-pages, flags 0). Implementation notes: random.c.
 * Course: where keys come from, docs/x25519.md.
 */
#ifndef SS_RANDOM_H
#define SS_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/* Fills out[0..len) from getrandom(2). Returns 0, or -1 if the kernel could
 * not deliver (out is then zeroed: a caller that ignores the error gets an
 * obviously bad key, never a weak one). */
SS_API int ss_random(uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif
