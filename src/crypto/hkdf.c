/*
 * hkdf.c — HKDF with HMAC-SHA256, RFC 5869: §2.2 extract, §2.3 expand
 * (HashLen = 32); test vectors RFC 5869 Appendix A.1-A.3.
 *
 * Course position: the third chapter, after sha256.c and hmac.c. HKDF is
 * where "a shared secret" becomes "keys": the Noise handshake
 * (src/net/noise.c) turns every Diffie-Hellman result into cipher keys
 * with it. Noise §4.3 defines its HKDF as exactly this function with the
 * chaining key as salt, empty info and 64 bytes of output; noise.c writes
 * those HMAC calls out itself (its hkdf() says why); an exercise in
 * docs/hkdf.md checks that both give the same bytes. Course chapter:
 * docs/hkdf.md.
 *
 * Why two steps, extract then expand (RFC 5869 §1, §3.3)? They solve two
 * different problems, and a KDF that mixes them up is easy to misuse.
 *
 *   - Extract: PRK = HMAC(salt, IKM). Input keying material is rarely a
 *     uniformly random string. An X25519 shared secret, for instance, is an
 *     encoded curve point: its top bit is always zero and only points of
 *     one subgroup occur, so it is far from 32 uniformly random bytes, and
 *     an attacker may know or even influence part of it. Keying a cipher
 *     with it directly would rest the cipher's security on an input that
 *     does not meet the cipher's assumptions. Extract "concentrates"
 *     whatever entropy IKM has into a short pseudorandom key; the salt
 *     (public, ideally random) acts as the seed of this randomness
 *     extractor. RFC 5869 §3.3: when IKM is a Diffie-Hellman value, extract
 *     SHOULD NOT be skipped.
 *
 *   - Expand: OKM = T(1) | T(2) | ..., T(i) = HMAC(PRK, T(i-1) | info | i).
 *     From one pseudorandom key it stretches as many output bytes as the
 *     protocol needs (two cipher keys, say), each block computationally
 *     independent of the others, and binds them to a context through
 *     `info` (RFC 5869 §3.2): different info strings give unrelated keys
 *     from the same PRK, so a key derived for one purpose can never be
 *     replayed as the key for another.
 *
 * Keeping the steps apart lets each have a clean security argument (see
 * the HKDF paper cited by RFC 5869): extract needs HMAC to be a good
 * extractor, expand only needs it to be a pseudorandom function.
 *
 * Representation: byte strings throughout; all arithmetic is inside HMAC.
 * Output length: the block counter i is a single byte and T(0) is not
 * output, so at most 255 blocks of 32 bytes exist (RFC 5869 §2.3,
 * L <= 255*HashLen). A longer request is refused (returns -1, writes
 * nothing) rather than letting the counter byte wrap to 0, which the spec
 * does not define; Wycheproof tests for exactly this bug ("SizeTooLarge").
 *
 * Secrets: PRK, each T(i), and the HMAC contexts keyed with PRK are wiped
 * before returning. No branch depends on secret data, only on lengths.
 */
#include "hkdf.h"

#include <string.h>

#include "hmac.h"
#include "util.h"

/* HashLen of SHA-256 (RFC 5869 §2.2). */
#define HASH_LEN 32

void ss_hkdf_sha256_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
                            const uint8_t *ikm, size_t ikm_len)
{
    /* RFC 5869 §2.2: "if not provided, [salt] is set to a string of HashLen
     * zeros". HMAC would zero-pad an empty key to those same bytes anyway
     * (RFC 2104 §2, step 1), so this only spells out the spec's rule. */
    static const uint8_t zero_salt[HASH_LEN] = {0};
    if (salt_len == 0) {
        salt = zero_salt;
        salt_len = sizeof zero_salt;
    }

    /* PRK = HMAC-Hash(salt, IKM): note that the public salt is the HMAC
     * *key* and the secret IKM the *message* (RFC 5869 §2.1). That is how
     * an extractor works: a random seed, independent of the source, selects
     * the function that condenses the source's entropy. */
    ss_hmac_sha256(prk, salt, salt_len, ikm, ikm_len);
}

int ss_hkdf_sha256_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                          const uint8_t *info, size_t info_len)
{
    /* RFC 5869 §2.3: L <= 255*HashLen. Checked before anything is written,
     * so a refused call leaves okm untouched. */
    if (okm_len > SS_HKDF_SHA256_MAX_OKM)
        return -1;

    /* Every T(i) is an HMAC under the same key PRK. Keying HMAC costs two
     * SHA-256 compressions (hmac.c), so it is done once here and the keyed
     * context is copied for each block instead of re-keyed. */
    ss_hmac_sha256_ctx keyed, ctx;
    ss_hmac_sha256_init(&keyed, prk, prk_len);

    uint8_t t[HASH_LEN]; /* T(i-1) on entry to each iteration, then T(i) */
    size_t t_len = 0;    /* T(0) is the empty string */
    size_t done = 0;

    /* N = ceil(L / HashLen) iterations, i = 1..N; N <= 255 by the check
     * above, so i always fits the single counter byte. */
    for (unsigned i = 1; done < okm_len; i++) {
        uint8_t counter = (uint8_t)i;

        /* T(i) = HMAC-Hash(PRK, T(i-1) | info | i) */
        ctx = keyed;
        ss_hmac_sha256_update(&ctx, t, t_len);
        ss_hmac_sha256_update(&ctx, info, info_len);
        ss_hmac_sha256_update(&ctx, &counter, 1);
        ss_hmac_sha256_final(&ctx, t); /* also wipes ctx */
        t_len = HASH_LEN;

        /* OKM = first L octets of T(1) | T(2) | ...: the last block may
         * be cut short. */
        size_t take = okm_len - done < HASH_LEN ? okm_len - done : HASH_LEN;
        memcpy(okm + done, t, take);
        done += take;
    }

    /* The keyed context is as good as PRK itself (RFC 2104 §4), and the
     * last T(i) may hold output bytes beyond L that the caller never asked
     * for; both are secret. */
    ss_wipe(&keyed, sizeof keyed);
    ss_wipe(t, sizeof t);
    return 0;
}

int ss_hkdf_sha256(uint8_t *okm, size_t okm_len, const uint8_t *salt, size_t salt_len,
                   const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
    /* Refuse an oversize request before extracting: nothing to compute,
     * nothing written. */
    if (okm_len > SS_HKDF_SHA256_MAX_OKM)
        return -1;

    uint8_t prk[HASH_LEN];
    ss_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
    int result = ss_hkdf_sha256_expand(okm, okm_len, prk, sizeof prk, info, info_len);

    /* PRK is the key every output byte derives from: wipe it. */
    ss_wipe(prk, sizeof prk);
    return result;
}
