/*
 * diff_hkdf.c — fuzz target: HKDF-SHA256 (src/crypto/hkdf.c) against
 * OpenSSL: extract, expand, and both in one call.
 *
 * Input: okm length (2 bytes, modulo 8,200, so that lengths beyond the
 * RFC 5869 limit of 255 * 32 = 8,160 occur); then salt, IKM, info and a
 * PRK for expand alone, each as a length byte and that many bytes.
 *
 * Checks: equal output where OpenSSL computes one; the same refusal above
 * 8,160 bytes, with nothing written; one call = expand(extract). OpenSSL
 * refuses an output of 0 bytes and a PRK shorter than 32 bytes (RFC 5869
 * §2.3 asks for at least HashLen); ours accepts both, which is checked
 * against the one-call form instead.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/hkdf.h"
#include "fuzz.h"
#include "oracle.h"

#define OKM_MAX 8200

/* Is p[0..n) still all `fill`, i.e. untouched? */
static int untouched(const uint8_t *p, size_t n, uint8_t fill)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != fill)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    size_t okm_len = fuzz_u16(&in) % OKM_MAX;
    size_t salt_len, ikm_len, info_len, prk_len;
    const uint8_t *salt = fuzz_bytes(&in, fuzz_u8(&in), &salt_len);
    const uint8_t *ikm = fuzz_bytes(&in, fuzz_u8(&in), &ikm_len);
    const uint8_t *info = fuzz_bytes(&in, fuzz_u8(&in), &info_len);
    const uint8_t *prk_in = fuzz_bytes(&in, fuzz_u8(&in), &prk_len);
    int allowed = okm_len <= SS_HKDF_SHA256_MAX_OKM;
    uint8_t *ours = fuzz_alloc(okm_len), *theirs = fuzz_alloc(okm_len);
    uint8_t *chained = fuzz_alloc(okm_len);

    /* Extract alone. */
    uint8_t prk[32], their_prk[32];
    ss_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
    oracle_hkdf_extract(their_prk, salt, salt_len, ikm, ikm_len);
    FUZZ_CHECK(memcmp(prk, their_prk, 32) == 0, "HKDF-Extract differs from OpenSSL");

    /* Extract and expand in one call. */
    memset(ours, 0xa5, okm_len);
    int rc = ss_hkdf_sha256(ours, okm_len, salt, salt_len, ikm, ikm_len, info, info_len);
    FUZZ_CHECK(rc == (allowed ? 0 : -1), "HKDF accepts or refuses the wrong lengths");
    if (!allowed)
        FUZZ_CHECK(untouched(ours, okm_len, 0xa5), "a refused HKDF request wrote output");
    if (allowed && okm_len > 0) {
        FUZZ_CHECK(oracle_hkdf(theirs, okm_len, salt, salt_len, ikm, ikm_len, info, info_len) ==
                       0,
                   "OpenSSL HKDF refused a valid request");
        FUZZ_CHECK(memcmp(ours, theirs, okm_len) == 0, "HKDF differs from OpenSSL");
    }

    /* Expand of the extracted PRK equals the one call. */
    rc = ss_hkdf_sha256_expand(chained, okm_len, prk, 32, info, info_len);
    FUZZ_CHECK(rc == (allowed ? 0 : -1), "HKDF-Expand accepts or refuses the wrong lengths");
    FUZZ_CHECK(!allowed || memcmp(chained, ours, okm_len) == 0,
               "HKDF differs from Expand(Extract)");

    /* Expand alone, from a PRK the fuzzer chose. */
    memset(ours, 0xa5, okm_len);
    rc = ss_hkdf_sha256_expand(ours, okm_len, prk_len > 0 ? prk_in : NULL, prk_len, info,
                               info_len);
    FUZZ_CHECK(rc == (allowed ? 0 : -1), "HKDF-Expand accepts or refuses the wrong lengths");
    if (!allowed)
        FUZZ_CHECK(untouched(ours, okm_len, 0xa5), "a refused HKDF-Expand wrote output");
    if (allowed && okm_len > 0 && prk_len >= 32) {
        FUZZ_CHECK(oracle_hkdf_expand(theirs, okm_len, prk_in, prk_len, info, info_len) == 0,
                   "OpenSSL HKDF-Expand refused a valid request");
        FUZZ_CHECK(memcmp(ours, theirs, okm_len) == 0, "HKDF-Expand differs from OpenSSL");
    }
    free(ours);
    free(theirs);
    free(chained);
    return 0;
}
