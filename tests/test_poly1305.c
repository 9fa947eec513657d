/*
 * test_poly1305.c — Poly1305 (RFC 8439 §2.5).
 *
 *  - vectors: RFC 8439 §2.5.2, A.3 #1-#11 (the edge cases of the limb
 *    arithmetic and of the final reduction), and the Poly1305 step of the
 *    AEAD examples §2.8.2 and A.5, from vectors/rfc8439/poly1305.txt;
 *  - properties: incremental == one-shot for every split point of messages
 *    of 0..300 bytes and byte by byte, final wipes the context, the clamped
 *    bits of r are ignored and the others are not, NULL with length 0;
 *  - differential: diff_cases() random cases against OpenSSL's EVP_MAC
 *    "POLY1305", lengths 0..1200 plus a few large ones, and all-ones keys and
 *    messages (the largest limbs).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/poly1305.h"

/* ---- helpers ---- */

static void mac_incremental(uint8_t tag[16], const uint8_t *msg, size_t len,
                            const uint8_t key[32], size_t split)
{
    ss_poly1305_ctx ctx;
    ss_poly1305_init(&ctx, key);
    ss_poly1305_update(&ctx, msg, split);
    ss_poly1305_update(&ctx, msg + split, len - split);
    ss_poly1305_final(&ctx, tag);
}

static void mac_bytewise(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32])
{
    ss_poly1305_ctx ctx;
    ss_poly1305_init(&ctx, key);
    for (size_t i = 0; i < len; i++)
        ss_poly1305_update(&ctx, msg + i, 1);
    ss_poly1305_final(&ctx, tag);
}

/* ---- RFC 8439 vectors ---- */

START_TEST(rfc8439_poly1305)
{
    vec_file *vf = vec_open("rfc8439/poly1305.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        const char *section = vec_get(&rec, "Section");
        size_t key_len, len, tag_len;
        uint8_t *key = vec_hex(&rec, "Key", &key_len);
        uint8_t *msg = vec_hex(&rec, "Msg", &len);
        uint8_t *want = vec_hex(&rec, "Tag", &tag_len);
        ck_assert_ptr_nonnull(section);
        ck_assert_uint_eq(key_len, 32);
        ck_assert_uint_eq(tag_len, 16);

        uint8_t tag[16];
        ss_poly1305(tag, msg, len, key);
        ck_assert_msg(memcmp(tag, want, 16) == 0, "%s: one-shot tag differs", section);
        mac_bytewise(tag, msg, len, key);
        ck_assert_msg(memcmp(tag, want, 16) == 0, "%s: byte-by-byte tag differs", section);
        for (size_t split = 0; split <= len; split++) {
            mac_incremental(tag, msg, len, key, split);
            ck_assert_msg(memcmp(tag, want, 16) == 0, "%s: split at %zu differs", section,
                          split);
        }
        free(key);
        free(msg);
        free(want);
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.5.2, A.3 #1-#11, 2.8.2, A.5 (Poly1305)", passed, 14);
}
END_TEST

/* ---- properties ---- */

START_TEST(incremental_equals_one_shot)
{
    /* Every split point of every length 0..300, and byte by byte. Random
     * keys and messages, plus all-0xff ones (largest limbs, most carries). */
    uint8_t key[32], msg[300], one[16], inc[16];
    long compared = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t len = 0; len <= sizeof msg; len++) {
            if (pass == 0) {
                trng_bytes(key, sizeof key);
                trng_bytes(msg, len);
            } else {
                memset(key, 0xff, sizeof key);
                memset(msg, 0xff, len);
            }
            ss_poly1305(one, msg, len, key);
            for (size_t split = 0; split <= len; split++) {
                mac_incremental(inc, msg, len, key, split);
                ck_assert_msg(memcmp(one, inc, 16) == 0, "len %zu split %zu", len, split);
                compared++;
            }
            mac_bytewise(inc, msg, len, key);
            ck_assert_msg(memcmp(one, inc, 16) == 0, "len %zu byte by byte", len);
        }
    }
    ck_assert_int_eq(compared, 2 * (301 * 302 / 2));
}
END_TEST

START_TEST(three_way_splits)
{
    /* Random three-part splits, so that a partial block is completed by a
     * later update and then followed by whole blocks. */
    uint8_t key[32], msg[300], one[16], inc[16];
    for (int i = 0; i < 5000; i++) {
        size_t len = trng_below(sizeof msg + 1);
        size_t a = trng_below(len + 1);
        size_t b = a + trng_below(len - a + 1);
        trng_bytes(key, sizeof key);
        trng_bytes(msg, len);
        ss_poly1305(one, msg, len, key);
        ss_poly1305_ctx ctx;
        ss_poly1305_init(&ctx, key);
        ss_poly1305_update(&ctx, msg, a);
        ss_poly1305_update(&ctx, msg + a, b - a);
        ss_poly1305_update(&ctx, msg + b, len - b);
        ss_poly1305_final(&ctx, inc);
        ck_assert_msg(memcmp(one, inc, 16) == 0, "len %zu split %zu/%zu", len, a, b);
    }
}
END_TEST

START_TEST(final_wipes_context)
{
    uint8_t key[32], msg[37], tag[16];
    ss_poly1305_ctx ctx, zero;
    memset(&zero, 0, sizeof zero);
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    ss_poly1305_init(&ctx, key);
    ss_poly1305_update(&ctx, msg, sizeof msg); /* leaves a partial block */
    ck_assert(memcmp(&ctx, &zero, sizeof ctx) != 0);
    ss_poly1305_final(&ctx, tag);
    ck_assert_mem_eq((const uint8_t *)&ctx, (const uint8_t *)&zero, sizeof ctx);
}
END_TEST

START_TEST(clamped_bits_are_ignored)
{
    /* §2.5: the clamp clears the top 4 bits of r[3], r[7], r[11], r[15] and
     * the low 2 bits of r[4], r[8], r[12] -- 22 bits. Flipping one of them in
     * the key must not change the tag; flipping any other bit of r must
     * (for a random message of a few blocks, a collision has probability
     * about 2^-100). */
    static const uint8_t clamp_mask[16] = {0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
                                           0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f};
    uint8_t key[32], msg[50], base[16], tag[16];
    int ignored = 0, used = 0;
    trng_bytes(key, sizeof key);
    trng_bytes(msg, sizeof msg);
    ss_poly1305(base, msg, sizeof msg, key);
    for (size_t bit = 0; bit < 128; bit++) {
        uint8_t m = (uint8_t)(1u << (bit % 8));
        key[bit / 8] ^= m;
        ss_poly1305(tag, msg, sizeof msg, key);
        key[bit / 8] ^= m;
        if (clamp_mask[bit / 8] & m) {
            ck_assert_msg(memcmp(tag, base, 16) != 0, "r bit %zu is ignored", bit);
            used++;
        } else {
            ck_assert_msg(memcmp(tag, base, 16) == 0, "clamped r bit %zu changes the tag", bit);
            ignored++;
        }
    }
    ck_assert_int_eq(ignored, 22);
    ck_assert_int_eq(used, 106);
}
END_TEST

START_TEST(empty_message_tag_is_s)
{
    /* §2.5: with no block the accumulator stays 0, so the tag is s. Also:
     * NULL with length 0 is accepted by the one-shot and by update. */
    uint8_t key[32], tag[16], tag2[16];
    trng_bytes(key, sizeof key);
    ss_poly1305(tag, NULL, 0, key);
    ck_assert_mem_eq(tag, key + 16, 16);

    ss_poly1305_ctx ctx;
    ss_poly1305_init(&ctx, key);
    ss_poly1305_update(&ctx, NULL, 0);
    ss_poly1305_final(&ctx, tag2);
    ck_assert_mem_eq(tag2, key + 16, 16);

    /* An empty update between two parts changes nothing. */
    uint8_t msg[40], one[16];
    trng_bytes(msg, sizeof msg);
    ss_poly1305(one, msg, sizeof msg, key);
    ss_poly1305_init(&ctx, key);
    ss_poly1305_update(&ctx, msg, 7);
    ss_poly1305_update(&ctx, NULL, 0);
    ss_poly1305_update(&ctx, msg + 7, sizeof msg - 7);
    ss_poly1305_final(&ctx, tag2);
    ck_assert_mem_eq(one, tag2, 16);
}
END_TEST

/* ---- differential: OpenSSL ---- */

static EVP_MAC *openssl_poly1305_mac;

static void openssl_poly1305(uint8_t tag[16], const uint8_t *msg, size_t len,
                             const uint8_t key[32])
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(openssl_poly1305_mac);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_MAC_init(ctx, key, 32, NULL), 1);
    if (len > 0)
        ck_assert_int_eq(EVP_MAC_update(ctx, msg, len), 1);
    size_t outl = 0;
    ck_assert_int_eq(EVP_MAC_final(ctx, tag, &outl, 16), 1);
    ck_assert_uint_eq(outl, 16);
    EVP_MAC_CTX_free(ctx);
}

/*
 * kind 0: random key and message; 1: all-ones key and message; 2: random
 * key with an all-ones message; 3: all-ones r with a random message;
 * 4: a tiny r (1..15) with 16-byte blocks that are each all-ones, all-zeros
 * or random. With a tiny r the accumulator barely moves between blocks, so
 * long runs of all-ones blocks drive h to just below 2^130 and through the
 * rare carries (h0 + 5q overflowing into an all-ones h1 and on into h2)
 * that random inputs reach with probability about 2^-64.
 */
static void diff_one(uint8_t *msg, size_t len, int kind)
{
    uint8_t key[32], ours[16], theirs[16];
    trng_bytes(key, sizeof key);
    trng_bytes(msg, len);
    if (kind == 1 || kind == 3)
        memset(key, 0xff, 16);
    if (kind == 1)
        memset(key + 16, 0xff, 16);
    if (kind == 1 || kind == 2)
        memset(msg, 0xff, len);
    if (kind == 4) {
        memset(key, 0, 16);
        key[0] = (uint8_t)(1 + trng_below(15));
        for (size_t i = 0; i < len; i += 16) {
            size_t n = len - i < 16 ? len - i : 16;
            size_t pick = trng_below(4); /* all-ones twice as often */
            if (pick < 2)
                memset(msg + i, 0xff, n);
            else if (pick == 2)
                memset(msg + i, 0, n);
        }
    }
    ss_poly1305(ours, msg, len, key);
    openssl_poly1305(theirs, msg, len, key);
    ck_assert_msg(memcmp(ours, theirs, 16) == 0, "Poly1305 differs from OpenSSL: len %zu kind %d",
                  len, kind);
}

START_TEST(differential_openssl)
{
    openssl_poly1305_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
    ck_assert_ptr_nonnull(openssl_poly1305_mac);
    const size_t large[] = {70000, 1 << 20};
    uint8_t *msg = malloc(1 << 20);
    ck_assert_ptr_nonnull(msg);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++) {
        /* one case in 4 uses the extreme inputs of kinds 1-4 */
        int kind = trng_below(4) == 0 ? 1 + (int)trng_below(4) : 0;
        /* 0..75 blocks: every AVX2 round count (from 28 blocks, groups of
         * 8 and 4) and every AVX-512 one (from 32, groups of 16 and 8) */
        diff_one(msg, trng_below(1201), kind);
    }
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        diff_one(msg, large[i], 0);
        diff_one(msg, large[i], 1);
        diff_one(msg, large[i], 4);
        done += 3;
    }
    printf("differential: Poly1305 vs OpenSSL EVP_MAC POLY1305: %ld cases agree\n", done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 6);
    free(msg);
    EVP_MAC_free(openssl_poly1305_mac);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("poly1305");

    TCase *tv = tcase_create("rfc8439");
    tcase_add_test(tv, rfc8439_poly1305);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, incremental_equals_one_shot);
    tcase_add_test(tp, three_way_splits);
    tcase_add_test(tp, final_wipes_context);
    tcase_add_test(tp, clamped_bits_are_ignored);
    tcase_add_test(tp, empty_message_tag_is_s);
    tcase_set_timeout(tp, 60);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
