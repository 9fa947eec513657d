/*
 * diff_x25519.c — fuzz target: X25519 (src/crypto/x25519.c) against
 * OpenSSL, on any scalar and any 32-byte point (low-order points,
 * non-canonical u >= p and a set top bit included).
 *
 * Input: the scalar (32 bytes), then the point (32 bytes); missing bytes
 * are zeros.
 *
 * Checks: the same shared secret; the all-zero result (a low-order point)
 * refused by both (ours returns -1 and writes zeros, OpenSSL's derive
 * fails); the same result in place (shared == point, shared == scalar, as
 * x25519.h allows); the same public key for the scalar.
 */
#include <string.h>

#include "crypto/x25519.h"
#include "fuzz.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    uint8_t scalar[32], point[32], ours[32], theirs[32], inplace[32];
    fuzz_fill(&in, scalar, 32);
    fuzz_fill(&in, point, 32);

    int rc = ss_x25519(ours, scalar, point);
    int their_rc = oracle_x25519(theirs, scalar, point);
    FUZZ_CHECK(rc == their_rc, "X25519 and OpenSSL disagree on a low-order point");
    if (rc == 0) {
        FUZZ_CHECK(memcmp(ours, theirs, 32) == 0, "X25519 differs from OpenSSL");
    } else {
        static const uint8_t zero[32];
        FUZZ_CHECK(memcmp(ours, zero, 32) == 0, "a refused X25519 result is not all zeros");
    }

    memcpy(inplace, point, 32);
    FUZZ_CHECK(ss_x25519(inplace, scalar, inplace) == rc && memcmp(inplace, ours, 32) == 0,
               "X25519 with shared == point differs");
    memcpy(inplace, scalar, 32);
    FUZZ_CHECK(ss_x25519(inplace, inplace, point) == rc && memcmp(inplace, ours, 32) == 0,
               "X25519 with shared == scalar differs");

    ss_x25519_public_key(ours, scalar);
    oracle_x25519_public_key(theirs, scalar);
    FUZZ_CHECK(memcmp(ours, theirs, 32) == 0, "X25519 public key differs from OpenSSL");
    return 0;
}
