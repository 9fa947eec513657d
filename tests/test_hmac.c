/*
 * test_hmac.c — HMAC-SHA256 (RFC 2104 §2).
 *
 *  - vectors: RFC 4231 Test Cases 1-7 (§4.2-§4.8; case 5 truncated to 128
 *    bits), from vectors/rfc4231/hmac_sha256.txt; Wycheproof
 *    hmac_sha256_test.json, every test: valid tags must verify, invalid
 *    (modified) tags must not, truncated-tag groups compare the prefix;
 *  - properties: incremental == one-shot for every split point of messages
 *    of 0..300 bytes (two and three pieces) under keys of several lengths,
 *    a key longer than 64 bytes acts as its SHA-256 (RFC 2104 §2), final
 *    wipes the context, NULL with length 0 for key and message;
 *  - differential: diff_cases() random cases against OpenSSL's HMAC(),
 *    key lengths 0..200, message lengths 0..300 plus a few large ones.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/hmac.h"
#include "crypto/util.h"

/* ---- helpers ---- */

static void openssl_hmac(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
                         size_t len)
{
    /* OpenSSL gives a NULL key a special meaning in some versions; pass a
     * real (empty) buffer instead of NULL. */
    static const uint8_t empty[1];
    unsigned int out_len = 0;
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key_len > 0 ? key : empty, (int)key_len,
                               len > 0 ? msg : empty, len, out, &out_len));
    ck_assert_uint_eq(out_len, 32);
}

/* The message in three pieces: [0, i), [i, j), [j, len). */
static void hmac_three_pieces(uint8_t out[32], const uint8_t *key, size_t key_len,
                              const uint8_t *msg, size_t len, size_t i, size_t j)
{
    ss_hmac_sha256_ctx ctx;
    ss_hmac_sha256_init(&ctx, key, key_len);
    ss_hmac_sha256_update(&ctx, msg, i);
    ss_hmac_sha256_update(&ctx, msg + i, j - i);
    ss_hmac_sha256_update(&ctx, msg + j, len - j);
    ss_hmac_sha256_final(&ctx, out);
}

/* ---- RFC 4231 ---- */

START_TEST(rfc4231)
{
    vec_file *vf = vec_open("rfc4231/hmac_sha256.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        const char *section = vec_get(&rec, "Section");
        size_t key_len, len, mac_len;
        uint8_t *key = vec_hex(&rec, "Key", &key_len);
        uint8_t *msg = vec_hex(&rec, "Data", &len);
        uint8_t *want = vec_hex(&rec, "MAC", &mac_len);
        uint8_t got[32];
        ck_assert_ptr_nonnull(section);

        /* Test Case 5 gives only the first 128 bits of the MAC. */
        size_t compare = 32;
        if (vec_get(&rec, "TruncatedBits") != NULL)
            compare = (size_t)vec_long(&rec, "TruncatedBits") / 8;
        ck_assert_uint_eq(mac_len, compare);

        ss_hmac_sha256(got, key, key_len, msg, len);
        ck_assert_msg(memcmp(got, want, compare) == 0, "RFC 4231 §%s differs", section);
        hmac_three_pieces(got, key, key_len, msg, len, len / 3, len / 2);
        ck_assert_msg(memcmp(got, want, compare) == 0, "RFC 4231 §%s differs (incremental)",
                      section);
        passed++;
        free(key);
        free(msg);
        free(want);
    }
    vec_close(vf);
    vec_report("RFC 4231 4.2-4.8 (HMAC-SHA-256)", passed, 7);
}
END_TEST

/* ---- Wycheproof ---- */

/*
 * Every test of hmac_sha256_test.json. A group's tagSize (bits) says how
 * much of the MAC is transmitted; the verifier computes the full MAC and
 * compares its first tagSize/8 bytes with the test's tag, in constant time.
 * "valid" tests must verify; "invalid" ones (ModifiedTag: a flipped bit
 * anywhere in the tag) must not. A tag of the wrong length never verifies.
 */
START_TEST(wycheproof)
{
    json_t *root = wp_load("wycheproof/hmac_sha256_test.json");
    json_t *groups = json_object_get(root, "testGroups");
    size_t gi, ti;
    json_t *group, *test;
    long passed = 0, valid = 0, invalid = 0;
    json_array_foreach(groups, gi, group) {
        json_int_t tag_bits = json_integer_value(json_object_get(group, "tagSize"));
        ck_assert(tag_bits > 0 && tag_bits <= 256 && tag_bits % 8 == 0);
        size_t tag_size = (size_t)tag_bits / 8;
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            json_int_t id = json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            size_t key_len, len, tag_len;
            uint8_t *key = wp_hex(test, "key", &key_len);
            uint8_t *msg = wp_hex(test, "msg", &len);
            uint8_t *tag = wp_hex(test, "tag", &tag_len);
            uint8_t mac[32];
            ck_assert_ptr_nonnull(result);

            ss_hmac_sha256(mac, key, key_len, msg, len);
            int verifies = tag_len == tag_size && ss_ct_verify(mac, tag, tag_size) == 0;

            if (strcmp(result, "valid") == 0) {
                ck_assert_msg(verifies, "Wycheproof tcId %lld: valid tag rejected",
                              (long long)id);
                valid++;
            } else {
                ck_assert_str_eq(result, "invalid"); /* the file has no "acceptable" */
                ck_assert_msg(!verifies, "Wycheproof tcId %lld: invalid tag accepted",
                              (long long)id);
                invalid++;
            }
            passed++;
            free(key);
            free(msg);
            free(tag);
        }
    }
    json_decref(root);
    /* The file's own split: 66 valid, 108 invalid (ModifiedTag). */
    vec_report("Wycheproof hmac_sha256 valid (verified)", valid, 66);
    vec_report("Wycheproof hmac_sha256 invalid (rejected)", invalid, 108);
    vec_report("Wycheproof hmac_sha256 all tests", passed, 174);
}
END_TEST

/* ---- properties ---- */

START_TEST(incremental_every_split)
{
    /* Key lengths around the 64-byte block: empty, short, exactly one
     * block, one byte over (hashed first), and long. */
    const size_t key_lens[] = {0, 20, 64, 65, 200};
    uint8_t key[200], msg[300], want[32], got[32];
    long cases = 0;
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    for (size_t k = 0; k < sizeof key_lens / sizeof key_lens[0]; k++) {
        size_t key_len = key_lens[k];
        for (size_t len = 0; len <= sizeof msg; len++) {
            ss_hmac_sha256(want, key, key_len, msg, len);
            for (size_t i = 0; i <= len; i++) {
                hmac_three_pieces(got, key, key_len, msg, len, i, len);
                ck_assert_msg(memcmp(got, want, 32) == 0, "key %zu len %zu split %zu",
                              key_len, len, i);
                size_t j = i + trng_below(len - i + 1);
                hmac_three_pieces(got, key, key_len, msg, len, i, j);
                ck_assert_msg(memcmp(got, want, 32) == 0, "key %zu len %zu splits %zu %zu",
                              key_len, len, i, j);
                cases += 2;
            }
        }
    }
    ck_assert_int_eq(cases, 5 * 2 * (301 * 302 / 2));
}
END_TEST

START_TEST(long_key_is_hashed)
{
    /* RFC 2104 §2: a key longer than B = 64 bytes is replaced by H(key);
     * a key of exactly 64 bytes is used as is. */
    uint8_t key[200], hashed[32], msg[50], a[32], b[32];
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    for (size_t key_len = 65; key_len <= sizeof key; key_len++) {
        ss_sha256(hashed, key, key_len);
        ss_hmac_sha256(a, key, key_len, msg, sizeof msg);
        ss_hmac_sha256(b, hashed, sizeof hashed, msg, sizeof msg);
        ck_assert_msg(memcmp(a, b, 32) == 0, "key length %zu", key_len);
    }
    ss_sha256(hashed, key, 64);
    ss_hmac_sha256(a, key, 64, msg, sizeof msg);
    ss_hmac_sha256(b, hashed, sizeof hashed, msg, sizeof msg);
    ck_assert(memcmp(a, b, 32) != 0);
}
END_TEST

START_TEST(final_wipes_context)
{
    ss_hmac_sha256_ctx ctx, zero;
    uint8_t key[32], msg[100], out[32];
    memset(&zero, 0, sizeof zero);
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    ss_hmac_sha256_init(&ctx, key, sizeof key);
    ss_hmac_sha256_update(&ctx, msg, sizeof msg);
    ss_hmac_sha256_final(&ctx, out);
    ck_assert_mem_eq(&ctx, &zero, sizeof ctx);
}
END_TEST

START_TEST(null_with_zero_length)
{
    uint8_t key[32], msg[40], want[32], got[32];
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);

    /* empty key, empty message */
    openssl_hmac(want, NULL, 0, NULL, 0);
    ss_hmac_sha256(got, NULL, 0, NULL, 0);
    ck_assert_mem_eq(got, want, 32);

    /* empty key, real message; real key, empty message */
    openssl_hmac(want, NULL, 0, msg, sizeof msg);
    ss_hmac_sha256(got, NULL, 0, msg, sizeof msg);
    ck_assert_mem_eq(got, want, 32);
    openssl_hmac(want, key, sizeof key, NULL, 0);
    ss_hmac_sha256(got, key, sizeof key, NULL, 0);
    ck_assert_mem_eq(got, want, 32);

    /* incremental, with an empty update */
    ss_hmac_sha256_ctx ctx;
    ss_hmac_sha256_init(&ctx, NULL, 0);
    ss_hmac_sha256_update(&ctx, NULL, 0);
    ss_hmac_sha256_final(&ctx, got);
    openssl_hmac(want, NULL, 0, NULL, 0);
    ck_assert_mem_eq(got, want, 32);
}
END_TEST

START_TEST(output_may_overlap_inputs)
{
    /* The one-shot form reads key and message before writing out
     * (hmac.c), so out may be the key or the message buffer. */
    uint8_t key[40], msg[40], want[32], buf[40];
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    ss_hmac_sha256(want, key, sizeof key, msg, sizeof msg);
    memcpy(buf, key, sizeof buf);
    ss_hmac_sha256(buf, buf, sizeof buf, msg, sizeof msg);
    ck_assert_mem_eq(buf, want, 32);
    memcpy(buf, msg, sizeof buf);
    ss_hmac_sha256(buf, key, sizeof key, buf, sizeof buf);
    ck_assert_mem_eq(buf, want, 32);
}
END_TEST

/* ---- differential: OpenSSL ---- */

static void diff_one(uint8_t *key, size_t key_len, uint8_t *msg, size_t len)
{
    uint8_t ours[32], pieces[32], theirs[32];
    trng_bytes(key, key_len);
    trng_bytes(msg, len);
    size_t i = trng_below(len + 1);
    size_t j = i + trng_below(len - i + 1);
    ss_hmac_sha256(ours, key, key_len, msg, len);
    hmac_three_pieces(pieces, key, key_len, msg, len, i, j);
    openssl_hmac(theirs, key, key_len, msg, len);
    ck_assert_msg(memcmp(ours, theirs, 32) == 0,
                  "HMAC-SHA256 differs from OpenSSL at key length %zu, length %zu", key_len, len);
    ck_assert_msg(memcmp(pieces, theirs, 32) == 0,
                  "incremental HMAC-SHA256 differs from OpenSSL at key length %zu, length %zu",
                  key_len, len);
}

START_TEST(differential_openssl)
{
    const size_t large[] = {100000, 100003, 1 << 20};
    size_t cap = 1 << 20;
    uint8_t key[200];
    uint8_t *msg = malloc(cap);
    ck_assert_ptr_nonnull(msg);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++)
        diff_one(key, trng_below(201), msg, trng_below(301));
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++, done++)
        diff_one(key, trng_below(201), msg, large[i]);
    printf("differential: HMAC-SHA256 vs OpenSSL HMAC(): %ld cases agree\n", done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 3);
    free(msg);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("hmac");

    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, rfc4231);
    tcase_add_test(tv, wycheproof);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, incremental_every_split);
    tcase_add_test(tp, long_key_is_hashed);
    tcase_add_test(tp, final_wipes_context);
    tcase_add_test(tp, null_with_zero_length);
    tcase_add_test(tp, output_may_overlap_inputs);
    tcase_set_timeout(tp, 120);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
