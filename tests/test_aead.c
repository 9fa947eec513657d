/*
 * test_aead.c — ChaCha20-Poly1305 (RFC 8439 §2.6-§2.8).
 *
 *  - vectors: RFC 8439 §2.6.2 and A.4 (Poly1305 key generation, plus the
 *    same step of §2.8.2 and A.5), §2.8.2 and A.5 (the AEAD), from
 *    vectors/rfc8439/; every test of Wycheproof's chacha20_poly1305_test.json
 *    (vectors/wycheproof/, copied unmodified from C2SP/wycheproof
 *    testvectors_v1/chacha20_poly1305_test.json at commit
 *    dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166, last changed in
 *    e0df04e0c033f2d25c5051dd06230336c7822358; Apache-2.0, LICENSE beside it);
 *  - properties: in place == out of place; a flipped bit anywhere in the
 *    ciphertext, tag, nonce, key or AD makes ss_aead_open fail and zero the
 *    plaintext; nothing is written past len; NULL with length 0; a text
 *    longer than §2.8's 2^38 - 64 bytes is refused before anything is read
 *    or written;
 *  - differential: diff_cases() random cases against OpenSSL's
 *    EVP_chacha20_poly1305, lengths 0..1200 plus a few large ones.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/aead.h"
#include "crypto/chacha20.h"

/* ---- helpers ---- */

/* Opens into a buffer pre-filled with 0xa5 and one guard byte past len;
 * checks the guard survives and, on failure, that plaintext is all zeros. */
static int open_checked(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
                        const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t len,
                        const uint8_t tag[16])
{
    memset(pt, 0xa5, len + 1);
    int r = ss_aead_open(pt, key, nonce, ad, ad_len, ct, len, tag);
    ck_assert(r == 0 || r == -1);
    ck_assert_msg(pt[len] == 0xa5, "ss_aead_open wrote past the end");
    if (r != 0)
        ck_assert_msg(all_zero(pt, len), "failed open left non-zero plaintext");
    return r;
}

/* ---- RFC 8439 vectors ---- */

START_TEST(rfc8439_key_generation)
{
    /* §2.6: the one-time key is the first 32 bytes of block 0. */
    vec_file *vf = vec_open("rfc8439/poly1305_keygen.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        uint8_t *key = vec_hex_len(&rec, "Key", 32);
        uint8_t *nonce = vec_hex_len(&rec, "Nonce", 12);
        uint8_t *want = vec_hex_len(&rec, "OneTimeKey", 32);
        uint8_t block[64];
        ss_chacha20_block(block, key, 0, nonce);
        ck_assert_mem_eq(block, want, 32);
        free(key);
        free(nonce);
        free(want);
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.6.2, A.4 #1-#3, 2.8.2, A.5 (key gen)", passed, 6);
}
END_TEST

START_TEST(rfc8439_aead)
{
    vec_file *vf = vec_open("rfc8439/aead.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        const char *section = vec_get(&rec, "Section");
        size_t ad_len, len, ct_len;
        uint8_t *key = vec_hex_len(&rec, "Key", 32);
        uint8_t *nonce = vec_hex_len(&rec, "Nonce", 12);
        uint8_t *ad = vec_hex(&rec, "AAD", &ad_len);
        uint8_t *pt = vec_hex(&rec, "Plaintext", &len);
        uint8_t *ct = vec_hex(&rec, "Ciphertext", &ct_len);
        uint8_t *tag = vec_hex_len(&rec, "Tag", 16);
        ck_assert_ptr_nonnull(section);
        ck_assert_uint_eq(len, ct_len);
        uint8_t *buf = malloc(len + 1);
        uint8_t out_tag[16];
        ck_assert_ptr_nonnull(buf);

        /* Seal, out of place and in place. */
        ss_aead_seal(buf, out_tag, key, nonce, ad, ad_len, pt, len);
        ck_assert_msg(memcmp(buf, ct, len) == 0, "%s: ciphertext", section);
        ck_assert_msg(memcmp(out_tag, tag, 16) == 0, "%s: tag", section);
        memcpy(buf, pt, len);
        ss_aead_seal(buf, out_tag, key, nonce, ad, ad_len, buf, len);
        ck_assert_mem_eq(buf, ct, len);
        ck_assert_mem_eq(out_tag, tag, 16);

        /* Open, out of place and in place. */
        ck_assert_int_eq(open_checked(buf, key, nonce, ad, ad_len, ct, len, tag), 0);
        ck_assert_msg(memcmp(buf, pt, len) == 0, "%s: plaintext", section);
        memcpy(buf, ct, len);
        ck_assert_int_eq(ss_aead_open(buf, key, nonce, ad, ad_len, buf, len, tag), 0);
        ck_assert_mem_eq(buf, pt, len);

        free(key);
        free(nonce);
        free(ad);
        free(pt);
        free(ct);
        free(tag);
        free(buf);
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.8.2, A.5 (AEAD)", passed, 2);
}
END_TEST

/* ---- Wycheproof ---- */

/* One test of the 96-bit-nonce group. Returns 1 for a valid test that
 * sealed and opened, 0 for an invalid one that open rejected. */
static int wycheproof_one(json_t *t)
{
    size_t key_len, iv_len, ad_len, len, ct_len, tag_len;
    long id = (long)json_integer_value(json_object_get(t, "tcId"));
    const char *result = json_string_value(json_object_get(t, "result"));
    uint8_t *key = wp_hex(t, "key", &key_len);
    uint8_t *iv = wp_hex(t, "iv", &iv_len);
    uint8_t *ad = wp_hex(t, "aad", &ad_len);
    uint8_t *msg = wp_hex(t, "msg", &len);
    uint8_t *ct = wp_hex(t, "ct", &ct_len);
    uint8_t *tag = wp_hex(t, "tag", &tag_len);
    ck_assert_ptr_nonnull(result);
    ck_assert_msg(key_len == 32 && iv_len == 12 && tag_len == 16 && ct_len == len,
                  "tcId %ld: sizes outside the group's parameters", id);
    uint8_t *buf = malloc(len + 1);
    ck_assert_ptr_nonnull(buf);
    int valid;

    if (strcmp(result, "valid") == 0) {
        uint8_t out_tag[16];
        ss_aead_seal(buf, out_tag, key, iv, ad, ad_len, msg, len);
        ck_assert_msg(memcmp(buf, ct, len) == 0, "tcId %ld: ciphertext differs", id);
        ck_assert_msg(memcmp(out_tag, tag, 16) == 0, "tcId %ld: tag differs", id);
        ck_assert_msg(open_checked(buf, key, iv, ad, ad_len, ct, len, tag) == 0,
                      "tcId %ld: valid message rejected", id);
        ck_assert_msg(memcmp(buf, msg, len) == 0, "tcId %ld: plaintext differs", id);
        valid = 1;
    } else {
        /* The file has no "acceptable" test for this primitive; anything
         * else than valid must be invalid. */
        ck_assert_msg(strcmp(result, "invalid") == 0, "tcId %ld: result %s", id, result);
        ck_assert_msg(open_checked(buf, key, iv, ad, ad_len, ct, len, tag) == -1,
                      "tcId %ld: invalid message accepted", id);
        valid = 0;
    }
    free(key);
    free(iv);
    free(ad);
    free(msg);
    free(ct);
    free(tag);
    free(buf);
    return valid;
}

START_TEST(wycheproof_chacha20_poly1305)
{
    json_t *root = wp_load("wycheproof/chacha20_poly1305_test.json");
    json_t *groups = json_object_get(root, "testGroups");
    long valid = 0, invalid = 0, bad_nonce_size = 0;
    size_t gi, ti;
    json_t *g, *t;
    ck_assert_ptr_nonnull(groups);

    json_array_foreach(groups, gi, g) {
        long iv_size = (long)json_integer_value(json_object_get(g, "ivSize"));
        ck_assert_int_eq(json_integer_value(json_object_get(g, "keySize")), 256);
        ck_assert_int_eq(json_integer_value(json_object_get(g, "tagSize")), 128);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            if (iv_size != 96) {
                /* Our API takes exactly 12 nonce bytes (RFC 8439 §2.8:
                 * N_MIN = N_MAX = 12), so a test with another nonce size
                 * cannot even be expressed. Wycheproof marks them invalid
                 * (flag InvalidNonceSize); assert that, and count them. */
                size_t iv_len;
                uint8_t *iv = wp_hex(t, "iv", &iv_len);
                ck_assert_int_eq((long)iv_len * 8, iv_size);
                ck_assert_str_eq(json_string_value(json_object_get(t, "result")), "invalid");
                ck_assert(wp_has_flag(t, "InvalidNonceSize"));
                free(iv);
                bad_nonce_size++;
            } else if (wycheproof_one(t)) {
                valid++;
            } else {
                invalid++;
            }
        }
    }
    long total = (long)json_integer_value(json_object_get(root, "numberOfTests"));
    json_decref(root);

    vec_report("Wycheproof chacha20_poly1305 valid", valid, 256);
    vec_report("Wycheproof chacha20_poly1305 invalid (rejected)", invalid, 60);
    vec_report("Wycheproof chacha20_poly1305 rejected by the API (nonce size)", bad_nonce_size,
               9);
    ck_assert_int_eq(total, 325);
    vec_report("Wycheproof chacha20_poly1305 all tests", valid + invalid + bad_nonce_size,
               total);
}
END_TEST

/* ---- properties ---- */

START_TEST(in_place_equals_out_of_place)
{
    static uint8_t pt[70001], a[70001], b[70001], back[70001];
    uint8_t key[32], nonce[12], ad[64], tag_a[16], tag_b[16];
    const size_t large[] = {1000, 70000};
    for (size_t i = 0; i < 301 + sizeof large / sizeof large[0]; i++) {
        size_t len = i < 301 ? i : large[i - 301];
        size_t ad_len = trng_below(sizeof ad + 1);
        trng_bytes(key, sizeof key);
        trng_bytes(nonce, sizeof nonce);
        trng_bytes(ad, ad_len);
        trng_bytes(pt, len);

        ss_aead_seal(a, tag_a, key, nonce, ad, ad_len, pt, len);
        memcpy(b, pt, len);
        ss_aead_seal(b, tag_b, key, nonce, ad, ad_len, b, len);
        ck_assert_mem_eq(a, b, len);
        ck_assert_mem_eq(tag_a, tag_b, 16);

        ck_assert_int_eq(open_checked(back, key, nonce, ad, ad_len, a, len, tag_a), 0);
        ck_assert_mem_eq(back, pt, len);
        ck_assert_int_eq(ss_aead_open(b, key, nonce, ad, ad_len, b, len, tag_b), 0);
        ck_assert_mem_eq(b, pt, len);
    }
}
END_TEST

/* The five inputs an attacker (or a bug) could change. */
enum { F_CT, F_TAG, F_NONCE, F_KEY, F_AD, F_COUNT };

typedef struct {
    uint8_t key[32], nonce[12], tag[16];
    uint8_t *ad, *ct, *pt;
    size_t ad_len, len;
} aead_case;

static void case_new(aead_case *c, size_t ad_len, size_t len)
{
    c->ad_len = ad_len;
    c->len = len;
    c->ad = malloc(ad_len + 1);
    c->ct = malloc(len + 1);
    c->pt = malloc(len + 1);
    ck_assert(c->ad != NULL && c->ct != NULL && c->pt != NULL);
    trng_bytes(c->key, sizeof c->key);
    trng_bytes(c->nonce, sizeof c->nonce);
    trng_bytes(c->ad, ad_len);
    trng_bytes(c->pt, len);
    ss_aead_seal(c->ct, c->tag, c->key, c->nonce, c->ad, ad_len, c->pt, len);
}

static void case_free(aead_case *c)
{
    free(c->ad);
    free(c->ct);
    free(c->pt);
}

static size_t field_bits(const aead_case *c, int f)
{
    switch (f) {
    case F_CT: return 8 * c->len;
    case F_TAG: return 128;
    case F_NONCE: return 96;
    case F_KEY: return 256;
    default: return 8 * c->ad_len;
    }
}

static uint8_t *field_ptr(aead_case *c, int f)
{
    switch (f) {
    case F_CT: return c->ct;
    case F_TAG: return c->tag;
    case F_NONCE: return c->nonce;
    case F_KEY: return c->key;
    default: return c->ad;
    }
}

/* Flips one bit of one input, checks open fails and zeroes the output (out
 * of place, and in place for ciphertext flips), then flips it back. */
static void flip_and_check(aead_case *c, int f, size_t bit)
{
    uint8_t *p = field_ptr(c, f);
    uint8_t *out = malloc(c->len + 1);
    ck_assert_ptr_nonnull(out);
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    ck_assert_msg(open_checked(out, c->key, c->nonce, c->ad, c->ad_len, c->ct, c->len,
                               c->tag) == -1,
                  "flipped bit %zu of input %d accepted (len %zu)", bit, f, c->len);
    if (f == F_CT) {
        memcpy(out, c->ct, c->len);
        ck_assert_int_eq(ss_aead_open(out, c->key, c->nonce, c->ad, c->ad_len, out, c->len,
                                      c->tag),
                         -1);
        ck_assert(all_zero(out, c->len));
    }
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    free(out);
}

START_TEST(flipped_bit_rejected_exhaustive)
{
    /* A short message: every bit of every input. 33 bytes of ciphertext and
     * 13 of AD, so both end in a partial Poly1305 block. */
    aead_case c;
    long checked = 0;
    case_new(&c, 13, 33);
    for (int f = 0; f < F_COUNT; f++) {
        for (size_t bit = 0; bit < field_bits(&c, f); bit++) {
            flip_and_check(&c, f, bit);
            checked++;
        }
    }
    ck_assert_int_eq(checked, 33 * 8 + 128 + 96 + 256 + 13 * 8);
    /* After restoring every bit, the message opens again. */
    uint8_t out[34];
    ck_assert_int_eq(open_checked(out, c.key, c.nonce, c.ad, c.ad_len, c.ct, c.len, c.tag), 0);
    ck_assert_mem_eq(out, c.pt, c.len);
    case_free(&c);
}
END_TEST

START_TEST(flipped_bit_rejected_random)
{
    /* Longer messages: random bit positions in every input. */
    const size_t lens[] = {64, 255, 300, 1000, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        aead_case c;
        case_new(&c, 1 + trng_below(300), lens[i]);
        for (int f = 0; f < F_COUNT; f++) {
            for (int k = 0; k < 40; k++)
                flip_and_check(&c, f, trng_below(field_bits(&c, f)));
        }
        case_free(&c);
    }
}
END_TEST

START_TEST(empty_inputs_and_null)
{
    uint8_t key[32], nonce[12], tag[16], ad[5], pt[5], ct[6];
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    trng_bytes(ad, sizeof ad);
    trng_bytes(pt, sizeof pt);

    /* No AD, no message: only the tag, over the two zero lengths. */
    ss_aead_seal(NULL, tag, key, nonce, NULL, 0, NULL, 0);
    ck_assert_int_eq(ss_aead_open(NULL, key, nonce, NULL, 0, NULL, 0, tag), 0);
    tag[0] ^= 1;
    ck_assert_int_eq(ss_aead_open(NULL, key, nonce, NULL, 0, NULL, 0, tag), -1);

    /* AD only. */
    ss_aead_seal(NULL, tag, key, nonce, ad, sizeof ad, NULL, 0);
    ck_assert_int_eq(ss_aead_open(NULL, key, nonce, ad, sizeof ad, NULL, 0, tag), 0);
    ck_assert_int_eq(ss_aead_open(NULL, key, nonce, NULL, 0, NULL, 0, tag), -1);

    /* Message only. */
    ss_aead_seal(ct, tag, key, nonce, NULL, 0, pt, sizeof pt);
    uint8_t out[6];
    ck_assert_int_eq(open_checked(out, key, nonce, NULL, 0, ct, sizeof pt, tag), 0);
    ck_assert_mem_eq(out, pt, sizeof pt);
    /* The same bytes moved from the message to the AD must not verify
     * (the lengths in the MAC input tell them apart). */
    ck_assert_int_eq(open_checked(out, key, nonce, ct, sizeof pt, NULL, 0, tag), -1);
}
END_TEST

/* ---- differential: OpenSSL ---- */

static void openssl_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
                         const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                         const uint8_t *pt, size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL), 1);
    ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL), 1);
    ck_assert_int_eq(EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce), 1);
    if (ad_len > 0)
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &outl, ad, (int)ad_len), 1);
    if (len > 0) {
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len), 1);
        ck_assert_int_eq(outl, (int)len);
    }
    ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, ct + len, &outl), 1);
    ck_assert_int_eq(outl, 0);
    ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
    EVP_CIPHER_CTX_free(ctx);
}

/* ct needs room for len + 1 bytes (EVP_EncryptFinal_ex gets ct + len). */
static void diff_one(uint8_t *pt, uint8_t *ours, uint8_t *theirs, uint8_t *back, size_t len)
{
    uint8_t key[32], nonce[12], ad[300], tag_ours[16], tag_theirs[16];
    size_t ad_len = trng_below(sizeof ad + 1);
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    trng_bytes(ad, ad_len);
    trng_bytes(pt, len);
    ss_aead_seal(ours, tag_ours, key, nonce, ad, ad_len, pt, len);
    openssl_seal(theirs, tag_theirs, key, nonce, ad, ad_len, pt, len);
    ck_assert_msg(memcmp(ours, theirs, len) == 0 && memcmp(tag_ours, tag_theirs, 16) == 0,
                  "AEAD differs from OpenSSL: len %zu ad_len %zu", len, ad_len);
    ck_assert_int_eq(ss_aead_open(back, key, nonce, ad, ad_len, theirs, len, tag_theirs), 0);
    ck_assert_msg(memcmp(back, pt, len) == 0, "open of OpenSSL's output: len %zu", len);
}

/*
 * RFC 8439 §2.8: at most 2^38 - 64 bytes of text. Beyond it the 32-bit block
 * counter would wrap to block 0 (the one-time Poly1305 key) and the
 * keystream would repeat. The refusal comes before any byte is read or
 * written, so the test can claim a huge length over a 64-byte buffer:
 * without the check, seal would run off the end of the buffer and crash.
 */
START_TEST(over_long_refused)
{
#if SIZE_MAX > 274877906880u
    uint8_t key[32], nonce[12], buf[64], copy[64], tag[16];
    const size_t too_long[] = {(size_t)SS_AEAD_MAX_LEN + 1, (size_t)SS_AEAD_MAX_LEN + 64,
                               SIZE_MAX};
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    trng_bytes(buf, sizeof buf);
    memcpy(copy, buf, sizeof buf);
    for (size_t i = 0; i < sizeof too_long / sizeof too_long[0]; i++) {
        memset(tag, 0x5a, sizeof tag);
        ck_assert_int_eq(ss_aead_seal(buf, tag, key, nonce, NULL, 0, buf, too_long[i]), -1);
        ck_assert_mem_eq(buf, copy, sizeof buf);
        ck_assert_msg(all_zero(tag, sizeof tag), "a refused seal left a tag");
        memset(tag, 0x5a, sizeof tag);
        ck_assert_int_eq(ss_aead_open(buf, key, nonce, NULL, 0, buf, too_long[i], tag), -1);
        ck_assert_mem_eq(buf, copy, sizeof buf);
    }
    /* The limit itself is 64 * (2^32 - 1): the text may use blocks 1 to
     * 2^32 - 1, and no more. */
    ck_assert_uint_eq(SS_AEAD_MAX_LEN, 274877906880u);
#endif
}
END_TEST

START_TEST(differential_openssl)
{
    const size_t large[] = {70000, 1 << 20};
    const size_t cap = (1 << 20) + 1;
    uint8_t *pt = malloc(cap), *ours = malloc(cap), *theirs = malloc(cap), *back = malloc(cap);
    ck_assert(pt != NULL && ours != NULL && theirs != NULL && back != NULL);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++)
        /* across 64 and 256, and the text of 512 to 1,088 bytes where the
         * AVX-512 paths change form (ChaCha20's group of 16 blocks from
         * counter 1, Poly1305's IFMA path from 32 blocks) */
        diff_one(pt, ours, theirs, back, trng_below(1201));
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++, done++)
        diff_one(pt, ours, theirs, back, large[i]);
    printf("differential: ChaCha20-Poly1305 vs OpenSSL EVP_chacha20_poly1305: %ld cases agree\n",
           done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 2);
    free(pt);
    free(ours);
    free(theirs);
    free(back);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("aead");

    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, rfc8439_key_generation);
    tcase_add_test(tv, rfc8439_aead);
    tcase_add_test(tv, wycheproof_chacha20_poly1305);
    tcase_set_timeout(tv, 60);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, in_place_equals_out_of_place);
    tcase_add_test(tp, flipped_bit_rejected_exhaustive);
    tcase_add_test(tp, flipped_bit_rejected_random);
    tcase_add_test(tp, empty_inputs_and_null);
    tcase_add_test(tp, over_long_refused);
    tcase_set_timeout(tp, 120);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
