/*
 * diff_poly1305.c — fuzz target: Poly1305 (src/crypto/poly1305.c) against
 * OpenSSL, one-shot and incremental.
 *
 * Input: the one-time key (32 bytes: r, clamped by the function, and s);
 * a byte k (modulo 8) and k 2-byte chunk lengths for the incremental run
 * (so updates split the 16-byte blocks where the fuzzer likes); the rest
 * is the message. Keys and messages that push the accumulator towards
 * 2^130 - 5 (all-ones blocks, r near its clamped maximum) are where limb
 * carries go wrong; the fuzzer finds them from the comparison.
 */
#include <string.h>

#include "crypto/poly1305.h"
#include "fuzz.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    uint8_t key[32];
    fuzz_fill(&in, key, 32);
    size_t chunks[8], k = fuzz_u8(&in) % 8;
    for (size_t i = 0; i < k; i++)
        chunks[i] = fuzz_u16(&in);
    const uint8_t *msg = in.p;
    size_t len = in.left;

    uint8_t ours[16], theirs[16], pieces[16];
    ss_poly1305(ours, len > 0 ? msg : NULL, len, key);
    oracle_poly1305(theirs, msg, len, key);
    FUZZ_CHECK(memcmp(ours, theirs, 16) == 0, "Poly1305 differs from OpenSSL");

    ss_poly1305_ctx ctx;
    size_t pos = 0;
    ss_poly1305_init(&ctx, key);
    for (size_t i = 0; i < k; i++) {
        size_t n = chunks[i] < len - pos ? chunks[i] : len - pos;
        ss_poly1305_update(&ctx, n > 0 ? msg + pos : NULL, n);
        pos += n;
    }
    ss_poly1305_update(&ctx, msg + pos, len - pos);
    ss_poly1305_final(&ctx, pieces);
    FUZZ_CHECK(memcmp(pieces, theirs, 16) == 0, "incremental Poly1305 differs from OpenSSL");
    return 0;
}
