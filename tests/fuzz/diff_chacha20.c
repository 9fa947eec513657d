/*
 * diff_chacha20.c — fuzz target: ChaCha20 (src/crypto/chacha20.c) against
 * OpenSSL.
 *
 * Input: key (32 bytes), nonce (12), block counter (4, little-endian);
 * the rest is the message. chacha20.h asks the caller to keep the 32-bit
 * counter from wrapping, so a counter too close to 2^32 for the message is
 * lowered until the last block is 2^32 - 1 (the edge itself is tested).
 *
 * Checks: the same output, also in place (out == in); the first keystream
 * block (ss_chacha20_block) is OpenSSL's encryption of 64 zero bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/chacha20.h"
#include "fuzz.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    uint8_t key[32], nonce[12], c[4];
    fuzz_fill(&in, key, 32);
    fuzz_fill(&in, nonce, 12);
    fuzz_fill(&in, c, 4);
    uint32_t counter = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
                       (uint32_t)c[3] << 24;
    const uint8_t *msg = in.p;
    size_t len = in.left;
    uint64_t blocks = (len + 63) / 64;
    if (blocks > 0 && counter > UINT64_C(0x100000000) - blocks)
        counter = (uint32_t)(UINT64_C(0x100000000) - blocks);

    uint8_t *ours = fuzz_alloc(len), *theirs = fuzz_alloc(len), *inplace = fuzz_alloc(len);
    ss_chacha20_xor(ours, len > 0 ? msg : NULL, len, key, counter, nonce);
    oracle_chacha20(theirs, msg, len, key, counter, nonce);
    FUZZ_CHECK(memcmp(ours, theirs, len) == 0, "ChaCha20 differs from OpenSSL");
    if (len > 0)
        memcpy(inplace, msg, len);
    ss_chacha20_xor(inplace, inplace, len, key, counter, nonce);
    FUZZ_CHECK(memcmp(inplace, theirs, len) == 0, "ChaCha20 in place differs");

    static const uint8_t zero[64];
    uint8_t block[64], stream[64];
    ss_chacha20_block(block, key, counter, nonce);
    oracle_chacha20(stream, zero, 64, key, counter, nonce);
    FUZZ_CHECK(memcmp(block, stream, 64) == 0, "ChaCha20 block differs from OpenSSL");
    free(ours);
    free(theirs);
    free(inplace);
    return 0;
}
