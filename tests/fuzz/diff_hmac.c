/*
 * diff_hmac.c — fuzz target: HMAC-SHA256 (src/crypto/hmac.c) against
 * OpenSSL, one-shot and incremental.
 *
 * Input: byte 0 = key length (0..255: keys longer than the 64-byte block
 * are hashed first, RFC 2104 §2), the key; a byte k (modulo 8) and k
 * 2-byte chunk lengths for the incremental run (as in diff_sha256.c); the
 * rest is the message.
 */
#include <string.h>

#include "crypto/hmac.h"
#include "fuzz.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    size_t key_len;
    const uint8_t *key = fuzz_bytes(&in, fuzz_u8(&in), &key_len);
    size_t chunks[8], k = fuzz_u8(&in) % 8;
    for (size_t i = 0; i < k; i++)
        chunks[i] = fuzz_u16(&in);
    const uint8_t *msg = in.p;
    size_t len = in.left;

    uint8_t ours[32], theirs[32], pieces[32];
    ss_hmac_sha256(ours, key_len > 0 ? key : NULL, key_len, msg, len);
    oracle_hmac_sha256(theirs, key, key_len, msg, len);
    FUZZ_CHECK(memcmp(ours, theirs, 32) == 0, "HMAC-SHA256 differs from OpenSSL");

    ss_hmac_sha256_ctx ctx;
    size_t pos = 0;
    ss_hmac_sha256_init(&ctx, key, key_len);
    for (size_t i = 0; i < k; i++) {
        size_t n = chunks[i] < len - pos ? chunks[i] : len - pos;
        ss_hmac_sha256_update(&ctx, n > 0 ? msg + pos : NULL, n);
        pos += n;
    }
    ss_hmac_sha256_update(&ctx, msg + pos, len - pos);
    ss_hmac_sha256_final(&ctx, pieces);
    FUZZ_CHECK(memcmp(pieces, theirs, 32) == 0, "incremental HMAC-SHA256 differs from OpenSSL");
    return 0;
}
