/*
 * diff_aead.c — fuzz target: ChaCha20-Poly1305 (src/crypto/aead.c)
 * against OpenSSL: sealing, and the accept/reject decision of opening.
 *
 * Input: key (32 bytes), nonce (12), AD length (1) and the AD, then a
 * tampering (3 bytes: what, where (2, big-endian), and a XOR mask); the
 * rest is the plaintext.
 *   what % 6:  0 nothing           3 flip a bit of the AD
 *              1 flip in the ciphertext 4 flip in the nonce
 *              2 flip in the tag   5 drop the ciphertext's last byte
 *                                    (the tag is then read one byte early)
 *   A mask of 0 counts as 1, so a tampering always changes something.
 *
 * Checks: seal = OpenSSL's seal, also in place; the untouched message
 * opens (also in place) to the plaintext; for the tampered one, ours and
 * OpenSSL's open agree on accept/reject, an accepted message gives the
 * same plaintext, and a rejected one leaves only zeros (aead.h).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "fuzz.h"
#include "oracle.h"

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = fuzz_begin(data, size);
    uint8_t key[32], nonce[12], ad[255];
    size_t ad_len;
    fuzz_fill(&in, key, 32);
    fuzz_fill(&in, nonce, 12);
    const uint8_t *ad_in = fuzz_bytes(&in, fuzz_u8(&in), &ad_len);
    if (ad_len > 0)
        memcpy(ad, ad_in, ad_len);
    uint8_t what = fuzz_u8(&in) % 6;
    size_t where = fuzz_u16(&in);
    uint8_t mask = fuzz_u8(&in);
    mask = mask != 0 ? mask : 1;
    const uint8_t *pt = in.p;
    size_t len = in.left;

    /* sealed = ciphertext || tag, as on the wire. */
    uint8_t *sealed = fuzz_alloc(len + 16), *theirs = fuzz_alloc(len + 16);
    uint8_t *opened = fuzz_alloc(len), *their_pt = fuzz_alloc(len);
    ss_aead_seal(sealed, sealed + len, key, nonce, ad_len ? ad : NULL, ad_len,
                 len ? pt : NULL, len);
    oracle_aead_seal(theirs, theirs + len, key, nonce, ad, ad_len, pt, len);
    FUZZ_CHECK(memcmp(sealed, theirs, len + 16) == 0, "AEAD seal differs from OpenSSL");
    if (len > 0)
        memcpy(theirs, pt, len);
    ss_aead_seal(theirs, theirs + len, key, nonce, ad, ad_len, theirs, len);
    FUZZ_CHECK(memcmp(sealed, theirs, len + 16) == 0, "AEAD seal in place differs");

    FUZZ_CHECK(ss_aead_open(opened, key, nonce, ad, ad_len, sealed, len, sealed + len) == 0 &&
                   memcmp(opened, pt, len) == 0,
               "AEAD open refuses its own seal");
    FUZZ_CHECK(ss_aead_open(theirs, key, nonce, ad, ad_len, theirs, len, theirs + len) == 0 &&
                   memcmp(theirs, pt, len) == 0,
               "AEAD open in place refuses its own seal");

    /* Tamper, then let both judge the same bytes. */
    size_t ct_len = len;
    switch (what) {
    case 1:
        if (len > 0)
            sealed[where % len] ^= mask;
        break;
    case 2:
        sealed[len + where % 16] ^= mask;
        break;
    case 3:
        if (ad_len > 0)
            ad[where % ad_len] ^= mask;
        break;
    case 4:
        nonce[where % 12] ^= mask;
        break;
    case 5:
        if (len > 0)
            ct_len = len - 1;
        break;
    default:
        break;
    }
    int rc = ss_aead_open(opened, key, nonce, ad, ad_len, sealed, ct_len, sealed + ct_len);
    int their_rc = oracle_aead_open(their_pt, key, nonce, ad, ad_len, sealed, ct_len,
                                    sealed + ct_len);
    FUZZ_CHECK(rc == their_rc, rc == 0 ? "AEAD open accepts what OpenSSL rejects"
                                       : "AEAD open rejects what OpenSSL accepts");
    if (rc == 0)
        FUZZ_CHECK(memcmp(opened, their_pt, ct_len) == 0, "AEAD open differs from OpenSSL");
    else
        FUZZ_CHECK(all_zero(opened, ct_len), "a rejected AEAD message left plaintext behind");
    free(sealed);
    free(theirs);
    free(opened);
    free(their_pt);
    return 0;
}
