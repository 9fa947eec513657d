/*
 * diff_sha256.c — fuzz target: SHA-256 (src/crypto/sha256.c) against
 * OpenSSL, one-shot and incremental.
 *
 * Input: byte 0 = k (modulo 8), then k 2-byte big-endian chunk lengths;
 * the rest is the message. The incremental run feeds the message in those
 * chunks (cut to what is left, empty ones as NULL), then the remainder, so
 * the fuzzer chooses where updates split the 64-byte blocks.
 */
#include <string.h>

#include "crypto/sha256.h"
#include "fuzz.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    size_t chunks[8], k = fuzz_u8(&in) % 8;
    for (size_t i = 0; i < k; i++)
        chunks[i] = fuzz_u16(&in);
    const uint8_t *msg = in.p;
    size_t len = in.left;

    uint8_t ours[32], theirs[32], pieces[32];
    ss_sha256(ours, msg, len);
    oracle_sha256(theirs, msg, len);
    FUZZ_CHECK(memcmp(ours, theirs, 32) == 0, "SHA-256 differs from OpenSSL");

    ss_sha256_ctx ctx;
    size_t pos = 0;
    ss_sha256_init(&ctx);
    for (size_t i = 0; i < k; i++) {
        size_t n = chunks[i] < len - pos ? chunks[i] : len - pos;
        ss_sha256_update(&ctx, n > 0 ? msg + pos : NULL, n);
        pos += n;
    }
    ss_sha256_update(&ctx, msg + pos, len - pos);
    ss_sha256_final(&ctx, pieces);
    FUZZ_CHECK(memcmp(pieces, theirs, 32) == 0, "incremental SHA-256 differs from OpenSSL");
    return 0;
}
