/*
 * test_hkdf.c — HKDF-SHA256 (RFC 5869 §2.2 extract, §2.3 expand).
 *
 *  - vectors: RFC 5869 A.1-A.3 (PRK from extract, OKM from expand and from
 *    the one-call form), from vectors/rfc5869/hkdf_sha256.txt; Wycheproof
 *    hkdf_sha256_test.json, every test: valid ones give the expected OKM,
 *    invalid ones (output size 8161 > 255*32) return -1 and write nothing;
 *  - properties: okm_len 8160 accepted, 8161 (and SIZE_MAX) refused without
 *    writing, a shorter output is a prefix of a longer one, an empty salt
 *    equals 32 zero bytes (RFC 5869 §2.2), NULL with length 0 everywhere;
 *  - differential: diff_cases() random cases against OpenSSL's EVP_KDF
 *    "HKDF" (extract-and-expand, extract-only and expand-only modes), random
 *    salt/IKM/info/output lengths plus a few large inputs and outputs.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/hkdf.h"

/* ---- OpenSSL's HKDF (EVP_KDF "HKDF", OpenSSL 3) ---- */

/* mode is EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, _EXTRACT_ONLY (out_len must
 * be 32; key is the IKM) or _EXPAND_ONLY (key is the PRK). OpenSSL wants
 * non-NULL pointers even for empty strings, so empty ones point at a dummy
 * byte. */
static void openssl_hkdf(int mode, uint8_t *out, size_t out_len, const uint8_t *salt,
                         size_t salt_len, const uint8_t *key, size_t key_len,
                         const uint8_t *info, size_t info_len)
{
    static uint8_t empty[1];
    OSSL_PARAM params[6];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    key_len ? (void *)key : empty, key_len);
    if (mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY)
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, salt_len ? (void *)salt : empty, salt_len);
    if (mode != EVP_KDF_HKDF_MODE_EXTRACT_ONLY)
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, info_len ? (void *)info : empty, info_len);
    params[n] = OSSL_PARAM_construct_end();

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    ck_assert_ptr_nonnull(kdf);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_KDF_derive(ctx, out, out_len, params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

/* ---- RFC 5869 ---- */

START_TEST(rfc5869)
{
    vec_file *vf = vec_open("rfc5869/hkdf_sha256.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        const char *section = vec_get(&rec, "Section");
        size_t ikm_len, salt_len, info_len, prk_len, okm_len;
        uint8_t *ikm = vec_hex(&rec, "IKM", &ikm_len);
        uint8_t *salt = vec_hex(&rec, "Salt", &salt_len);
        uint8_t *info = vec_hex(&rec, "Info", &info_len);
        uint8_t *want_prk = vec_hex(&rec, "PRK", &prk_len);
        uint8_t *want_okm = vec_hex(&rec, "OKM", &okm_len);
        size_t l = (size_t)vec_long(&rec, "L");
        ck_assert_ptr_nonnull(section);
        ck_assert_uint_eq(prk_len, 32);
        ck_assert_uint_eq(okm_len, l);

        /* A.3 has an empty salt and info: pass NULL for them, as a caller
         * without a salt would. */
        const uint8_t *salt_arg = salt_len ? salt : NULL;
        const uint8_t *info_arg = info_len ? info : NULL;

        uint8_t prk[32];
        uint8_t *okm = malloc(l);
        ck_assert_ptr_nonnull(okm);

        ss_hkdf_sha256_extract(prk, salt_arg, salt_len, ikm, ikm_len);
        ck_assert_msg(memcmp(prk, want_prk, 32) == 0, "RFC 5869 %s: PRK differs", section);

        ck_assert_int_eq(ss_hkdf_sha256_expand(okm, l, prk, 32, info_arg, info_len), 0);
        ck_assert_msg(memcmp(okm, want_okm, l) == 0, "RFC 5869 %s: OKM (expand) differs",
                      section);

        memset(okm, 0, l);
        ck_assert_int_eq(
            ss_hkdf_sha256(okm, l, salt_arg, salt_len, ikm, ikm_len, info_arg, info_len), 0);
        ck_assert_msg(memcmp(okm, want_okm, l) == 0, "RFC 5869 %s: OKM (one call) differs",
                      section);
        passed++;
        free(ikm);
        free(salt);
        free(info);
        free(want_prk);
        free(want_okm);
        free(okm);
    }
    vec_close(vf);
    vec_report("RFC 5869 A.1-A.3 (HKDF-SHA256)", passed, 3);
}
END_TEST

/* ---- Wycheproof ---- */

/*
 * Every test of hkdf_sha256_test.json. "valid" tests must give the expected
 * OKM. The "invalid" ones all ask for 8161 bytes, one more than RFC 5869
 * §2.3 allows (flag SizeTooLarge): ss_hkdf_sha256 must return -1 and leave
 * the output buffer as it was.
 */
START_TEST(wycheproof)
{
    json_t *root = wp_load("wycheproof/hkdf_sha256_test.json");
    json_t *groups = json_object_get(root, "testGroups");
    size_t gi, ti;
    json_t *group, *test;
    long passed = 0, valid = 0, invalid = 0;
    json_array_foreach(groups, gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            json_int_t id = json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            json_int_t size = json_integer_value(json_object_get(test, "size"));
            size_t ikm_len, salt_len, info_len, okm_len;
            uint8_t *ikm = wp_hex(test, "ikm", &ikm_len);
            uint8_t *salt = wp_hex(test, "salt", &salt_len);
            uint8_t *info = wp_hex(test, "info", &info_len);
            uint8_t *want = wp_hex(test, "okm", &okm_len);
            ck_assert_ptr_nonnull(result);
            ck_assert(size >= 0);

            /* One spare byte past the requested size: it must never be
             * written, whatever the outcome. */
            size_t n = (size_t)size;
            uint8_t *okm = malloc(n + 1);
            ck_assert_ptr_nonnull(okm);
            memset(okm, 0xa5, n + 1);
            int rc = ss_hkdf_sha256(okm, n, salt, salt_len, ikm, ikm_len, info, info_len);
            ck_assert_msg(okm[n] == 0xa5, "tcId %lld: wrote past the output", (long long)id);

            if (strcmp(result, "valid") == 0) {
                ck_assert_msg(rc == 0, "tcId %lld: valid case refused", (long long)id);
                ck_assert_uint_eq(okm_len, n);
                ck_assert_msg(memcmp(okm, want, n) == 0, "tcId %lld: OKM differs",
                              (long long)id);
                valid++;
            } else {
                ck_assert_str_eq(result, "invalid"); /* the file has no "acceptable" */
                ck_assert_msg(wp_has_flag(test, "SizeTooLarge"), "tcId %lld", (long long)id);
                ck_assert_msg(rc == -1, "tcId %lld: oversize output accepted", (long long)id);
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(okm[i] == 0xa5, "tcId %lld: refused call wrote output",
                                  (long long)id);
                invalid++;
            }
            passed++;
            free(ikm);
            free(salt);
            free(info);
            free(want);
            free(okm);
        }
    }
    json_decref(root);
    /* The file's own split: 83 valid, 3 invalid (SizeTooLarge). */
    vec_report("Wycheproof hkdf_sha256 valid", valid, 83);
    vec_report("Wycheproof hkdf_sha256 invalid (refused)", invalid, 3);
    vec_report("Wycheproof hkdf_sha256 all tests", passed, 86);
}
END_TEST

/* ---- properties ---- */

START_TEST(output_length_limit)
{
    /* RFC 5869 §2.3: L <= 255 * HashLen = 8160. */
    enum { MAX = 255 * 32 };
    uint8_t ikm[32], salt[16], info[8], prk[32];
    uint8_t *okm = malloc(MAX + 1), *theirs = malloc(MAX);
    ck_assert(okm != NULL && theirs != NULL);
    trng_bytes(ikm, sizeof ikm);
    trng_bytes(salt, sizeof salt);
    trng_bytes(info, sizeof info);
    trng_bytes(prk, sizeof prk);
    ck_assert_uint_eq(SS_HKDF_SHA256_MAX_OKM, MAX);

    /* 8161 and SIZE_MAX: refused, nothing written. */
    const size_t too_long[] = {MAX + 1, SIZE_MAX};
    for (size_t k = 0; k < 2; k++) {
        memset(okm, 0x5a, MAX + 1);
        ck_assert_int_eq(ss_hkdf_sha256(okm, too_long[k], salt, sizeof salt, ikm, sizeof ikm,
                                        info, sizeof info),
                         -1);
        ck_assert_int_eq(ss_hkdf_sha256_expand(okm, too_long[k], prk, sizeof prk, info,
                                               sizeof info),
                         -1);
        for (size_t i = 0; i <= MAX; i++)
            ck_assert_msg(okm[i] == 0x5a, "refused call wrote byte %zu", i);
    }

    /* 8160: accepted, equal to OpenSSL, and the byte after is untouched. */
    ck_assert_int_eq(
        ss_hkdf_sha256(okm, MAX, salt, sizeof salt, ikm, sizeof ikm, info, sizeof info), 0);
    ck_assert_uint_eq(okm[MAX], 0x5a);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, theirs, MAX, salt, sizeof salt, ikm,
                 sizeof ikm, info, sizeof info);
    ck_assert_mem_eq(okm, theirs, MAX);

    ck_assert_int_eq(ss_hkdf_sha256_expand(okm, MAX, prk, sizeof prk, info, sizeof info), 0);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, theirs, MAX, NULL, 0, prk, sizeof prk, info,
                 sizeof info);
    ck_assert_mem_eq(okm, theirs, MAX);
    free(okm);
    free(theirs);
}
END_TEST

START_TEST(shorter_output_is_prefix)
{
    /* OKM is "the first L octets of T" (RFC 5869 §2.3): asking for fewer
     * bytes must give a prefix of a longer answer, for every L up to 300
     * (every position inside and across the 32-byte blocks T(i)). */
    uint8_t prk[32], info[20], full[300], part[300];
    trng_bytes(prk, sizeof prk);
    trng_bytes(info, sizeof info);
    ck_assert_int_eq(ss_hkdf_sha256_expand(full, sizeof full, prk, sizeof prk, info, sizeof info),
                     0);
    for (size_t l = 0; l <= sizeof full; l++) {
        memset(part, 0, sizeof part);
        ck_assert_int_eq(ss_hkdf_sha256_expand(part, l, prk, sizeof prk, info, sizeof info), 0);
        ck_assert_msg(memcmp(part, full, l) == 0, "L = %zu is not a prefix", l);
        for (size_t i = l; i < sizeof part; i++)
            ck_assert_msg(part[i] == 0, "L = %zu wrote byte %zu", l, i);
    }
}
END_TEST

START_TEST(empty_salt_is_zero_salt)
{
    /* RFC 5869 §2.2: no salt means HashLen zero bytes. */
    uint8_t ikm[40], zeros[32] = {0}, a[32], b[32], c[32];
    trng_bytes(ikm, sizeof ikm);
    ss_hkdf_sha256_extract(a, NULL, 0, ikm, sizeof ikm);
    ss_hkdf_sha256_extract(b, zeros, sizeof zeros, ikm, sizeof ikm);
    ck_assert_mem_eq(a, b, 32);
    /* and a non-empty salt changes the result */
    zeros[0] = 1;
    ss_hkdf_sha256_extract(c, zeros, sizeof zeros, ikm, sizeof ikm);
    ck_assert(memcmp(a, c, 32) != 0);
}
END_TEST

START_TEST(null_with_zero_length)
{
    uint8_t prk[32], want[32], okm[32];

    /* Everything empty: extract of an empty IKM under the zero salt. */
    ss_hkdf_sha256_extract(prk, NULL, 0, NULL, 0);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, want, 32, NULL, 0, NULL, 0, NULL, 0);
    ck_assert_mem_eq(prk, want, 32);

    /* Empty output: returns 0, writes nothing (okm may be NULL). */
    ck_assert_int_eq(ss_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(ss_hkdf_sha256_expand(NULL, 0, prk, sizeof prk, NULL, 0), 0);

    /* Empty info with a real output. */
    ck_assert_int_eq(ss_hkdf_sha256(okm, sizeof okm, NULL, 0, NULL, 0, NULL, 0), 0);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, want, 32, NULL, 0, NULL, 0, NULL, 0);
    ck_assert_mem_eq(okm, want, 32);
}
END_TEST

/* ---- differential: OpenSSL ---- */

static void diff_one(size_t salt_len, size_t ikm_len, size_t info_len, size_t okm_len,
                     uint8_t *salt, uint8_t *ikm, uint8_t *info, uint8_t *ours, uint8_t *theirs)
{
    trng_bytes(salt, salt_len);
    trng_bytes(ikm, ikm_len);
    trng_bytes(info, info_len);

    /* extract and expand in one call */
    ck_assert_int_eq(
        ss_hkdf_sha256(ours, okm_len, salt, salt_len, ikm, ikm_len, info, info_len), 0);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, theirs, okm_len, salt, salt_len, ikm,
                 ikm_len, info, info_len);
    ck_assert_msg(memcmp(ours, theirs, okm_len) == 0,
                  "HKDF differs from OpenSSL: salt %zu, ikm %zu, info %zu, okm %zu", salt_len,
                  ikm_len, info_len, okm_len);

    /* extract only */
    uint8_t prk[32], their_prk[32];
    ss_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, their_prk, 32, salt, salt_len, ikm, ikm_len,
                 NULL, 0);
    ck_assert_msg(memcmp(prk, their_prk, 32) == 0,
                  "HKDF-Extract differs from OpenSSL: salt %zu, ikm %zu", salt_len, ikm_len);

    /* expand only, from a random PRK of 32..131 bytes (RFC 5869 §2.3: "at
     * least HashLen octets"; OpenSSL refuses shorter ones, ours takes any
     * length since the PRK is just an HMAC key) */
    uint8_t rand_prk[131];
    size_t prk_len = 32 + trng_below(100);
    trng_bytes(rand_prk, prk_len);
    ck_assert_int_eq(ss_hkdf_sha256_expand(ours, okm_len, rand_prk, prk_len, info, info_len), 0);
    openssl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, theirs, okm_len, NULL, 0, rand_prk, prk_len,
                 info, info_len);
    ck_assert_msg(memcmp(ours, theirs, okm_len) == 0,
                  "HKDF-Expand differs from OpenSSL: prk %zu, info %zu, okm %zu", prk_len,
                  info_len, okm_len);
}

START_TEST(differential_openssl)
{
    const size_t big = 100000, max_okm = 255 * 32;
    uint8_t *salt = malloc(big), *ikm = malloc(big), *info = malloc(big);
    uint8_t *ours = malloc(max_okm), *theirs = malloc(max_okm);
    ck_assert(salt && ikm && info && ours && theirs);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++)
        /* salt 0..100, IKM and info 0..300, output 1..300 bytes (OpenSSL
         * refuses an empty output; ours is tested above) */
        diff_one(trng_below(101), trng_below(301), trng_below(301), 1 + trng_below(300), salt,
                 ikm, info, ours, theirs);
    /* A few large ones: 100 KB salt or IKM, 32 KiB info (the most
     * OpenSSL 3.0's HKDF accepts), and outputs up to the 8160-byte maximum. */
    diff_one(big, 32, 10, 42, salt, ikm, info, ours, theirs);
    diff_one(16, big, 10, 42, salt, ikm, info, ours, theirs);
    diff_one(16, 32, 32 * 1024, 42, salt, ikm, info, ours, theirs);
    diff_one(32, 32, 32, 4097, salt, ikm, info, ours, theirs);
    diff_one(0, 22, 0, max_okm, salt, ikm, info, ours, theirs);
    done += 5;
    printf("differential: HKDF-SHA256 vs OpenSSL EVP_KDF HKDF: %ld cases agree "
           "(each: extract+expand, extract only, expand only)\n",
           done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 5);
    free(salt);
    free(ikm);
    free(info);
    free(ours);
    free(theirs);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("hkdf");

    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, rfc5869);
    tcase_add_test(tv, wycheproof);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, output_length_limit);
    tcase_add_test(tp, shorter_output_is_prefix);
    tcase_add_test(tp, empty_salt_is_zero_salt);
    tcase_add_test(tp, null_with_zero_length);
    tcase_set_timeout(tp, 60);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
