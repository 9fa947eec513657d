/*
 * test_sha256.c — SHA-256 (FIPS 180-4 §6.2).
 *
 *  - vectors: NIST CAVP SHA256ShortMsg (65), SHA256LongMsg (64) and
 *    SHA256Monte (100 checkpoints of the SHAVS Monte Carlo procedure), from
 *    vectors/nist/; the three FIPS 180-4 examples ("abc", the 448-bit
 *    message, one million 'a'), from vectors/fips180-4/sha256.txt;
 *  - properties: incremental == one-shot for every split point of messages
 *    of 0..300 bytes (in two pieces, in three pieces, and byte by byte),
 *    final wipes the context, NULL with length 0;
 *  - differential: diff_cases() random messages against OpenSSL's
 *    EVP_Digest(EVP_sha256()), lengths 0..300 plus a few large ones, each
 *    also hashed incrementally in random pieces.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/sha256.h"

/* ---- helpers ---- */

static void openssl_sha256(uint8_t out[32], const uint8_t *msg, size_t len)
{
    static const uint8_t empty[1];
    unsigned int out_len = 0;
    ck_assert_int_eq(EVP_Digest(len > 0 ? msg : empty, len, out, &out_len, EVP_sha256(), NULL),
                     1);
    ck_assert_uint_eq(out_len, 32);
}

/* The message in three pieces: [0, i), [i, j), [j, len). */
static void sha256_three_pieces(uint8_t out[32], const uint8_t *msg, size_t len, size_t i,
                                size_t j)
{
    ss_sha256_ctx ctx;
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, msg, i);
    ss_sha256_update(&ctx, msg + i, j - i);
    ss_sha256_update(&ctx, msg + j, len - j);
    ss_sha256_final(&ctx, out);
}

/* The message cut into random pieces of 0..max_piece bytes (empty updates
 * included). */
static void sha256_random_pieces(uint8_t out[32], const uint8_t *msg, size_t len,
                                 size_t max_piece)
{
    ss_sha256_ctx ctx;
    ss_sha256_init(&ctx);
    size_t done = 0;
    while (done < len) {
        size_t piece = trng_below(max_piece + 1);
        if (piece > len - done)
            piece = len - done;
        ss_sha256_update(&ctx, msg + done, piece);
        done += piece;
    }
    ss_sha256_final(&ctx, out);
}

/* Hash one NIST "Len/Msg/MD" file; Len is in bits, and the Len = 0 record
 * lists Msg = 00, so only Len/8 bytes of Msg are the message. */
static long nist_msg_file(const char *path)
{
    vec_file *vf = vec_open(path);
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        size_t msg_len, md_len;
        long bits = vec_long(&rec, "Len");
        uint8_t *msg = vec_hex(&rec, "Msg", &msg_len);
        uint8_t *want = vec_hex(&rec, "MD", &md_len);
        uint8_t got[32];
        ck_assert_int_eq(bits % 8, 0);
        ck_assert_uint_le((size_t)bits / 8, msg_len);
        ck_assert_uint_eq(md_len, 32);
        ss_sha256(got, msg, (size_t)bits / 8);
        ck_assert_msg(memcmp(got, want, 32) == 0, "%s: Len = %ld differs", path, bits);
        passed++;
        free(msg);
        free(want);
    }
    vec_close(vf);
    return passed;
}

/* ---- NIST CAVP and FIPS 180-4 vectors ---- */

START_TEST(nist_short_msg)
{
    vec_report("NIST CAVP SHA256ShortMsg.rsp", nist_msg_file("nist/SHA256ShortMsg.rsp"), 65);
}
END_TEST

START_TEST(nist_long_msg)
{
    vec_report("NIST CAVP SHA256LongMsg.rsp", nist_msg_file("nist/SHA256LongMsg.rsp"), 64);
}
END_TEST

/*
 * SHAVS §6.4, the Monte Carlo test for SHA-256:
 *
 *     Seed = the file's seed
 *     for j = 0..99:
 *         MD0 = MD1 = MD2 = Seed
 *         for i = 3..1002:
 *             Mi = MD(i-3) || MD(i-2) || MD(i-1);  MDi = SHA-256(Mi)
 *         MDj = Seed = MD1002, compared with checkpoint COUNT = j
 *
 * Each checkpoint depends on every earlier one, so 100 checkpoints are
 * 100,000 chained hashes of 96-byte messages.
 */
START_TEST(nist_monte)
{
    vec_file *vf = vec_open("nist/SHA256Monte.rsp");
    vec_record rec = {0};
    ck_assert_int_eq(vec_next(vf, &rec), 1);
    size_t seed_len;
    uint8_t *seed = vec_hex(&rec, "Seed", &seed_len);
    ck_assert_uint_eq(seed_len, 32);

    uint8_t md[3][32]; /* MD(i-3), MD(i-2), MD(i-1) */
    uint8_t m[96];
    long passed = 0;
    while (vec_next(vf, &rec)) {
        size_t want_len;
        uint8_t *want = vec_hex(&rec, "MD", &want_len);
        ck_assert_uint_eq(want_len, 32);
        ck_assert_int_eq(vec_long(&rec, "COUNT"), passed);
        for (int k = 0; k < 3; k++)
            memcpy(md[k], seed, 32);
        for (int i = 3; i <= 1002; i++) {
            memcpy(m, md[0], 32);
            memcpy(m + 32, md[1], 32);
            memcpy(m + 64, md[2], 32);
            memmove(md[0], md[1], 64);
            ss_sha256(md[2], m, sizeof m);
        }
        memcpy(seed, md[2], 32);
        ck_assert_msg(memcmp(seed, want, 32) == 0, "Monte checkpoint %ld differs", passed);
        passed++;
        free(want);
    }
    vec_close(vf);
    free(seed);
    vec_report("NIST CAVP SHA256Monte.rsp (checkpoints)", passed, 100);
}
END_TEST

START_TEST(fips180_4_examples)
{
    vec_file *vf = vec_open("fips180-4/sha256.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        size_t len, md_len;
        uint8_t *msg;
        if (vec_get(&rec, "Repeat") != NULL) {
            /* One byte repeated Repeat times (the million 'a'). */
            size_t byte_len;
            uint8_t *byte = vec_hex(&rec, "Byte", &byte_len);
            ck_assert_uint_eq(byte_len, 1);
            len = (size_t)vec_long(&rec, "Repeat");
            msg = malloc(len);
            ck_assert_ptr_nonnull(msg);
            memset(msg, byte[0], len);
            free(byte);
        } else {
            msg = vec_hex(&rec, "Msg", &len);
        }
        uint8_t *want = vec_hex(&rec, "MD", &md_len);
        uint8_t got[32];
        ck_assert_uint_eq(md_len, 32);

        ss_sha256(got, msg, len);
        ck_assert_msg(memcmp(got, want, 32) == 0, "%s differs", vec_get(&rec, "Name"));
        /* The same, in uneven pieces across block boundaries. */
        memset(got, 0, sizeof got);
        sha256_random_pieces(got, msg, len, 1000);
        ck_assert_msg(memcmp(got, want, 32) == 0, "%s differs (incremental)",
                      vec_get(&rec, "Name"));
        passed++;
        free(msg);
        free(want);
    }
    vec_close(vf);
    vec_report("FIPS 180-4 examples (as in RFC 6234 8.5)", passed, 3);
}
END_TEST

/* ---- properties ---- */

START_TEST(incremental_every_split)
{
    /* Every length 0..300 crosses 0 to 4 block boundaries and puts the
     * padding in every position of the last block (including the case
     * where the length no longer fits and an extra block is needed). */
    uint8_t msg[300], want[32], got[32];
    trng_bytes(msg, sizeof msg);
    long cases = 0;
    for (size_t len = 0; len <= sizeof msg; len++) {
        ss_sha256(want, msg, len);
        for (size_t i = 0; i <= len; i++) {
            /* two pieces, split at i */
            sha256_three_pieces(got, msg, len, i, len);
            ck_assert_msg(memcmp(got, want, 32) == 0, "len %zu split %zu", len, i);
            /* three pieces: split at i and at a random j >= i */
            size_t j = i + trng_below(len - i + 1);
            sha256_three_pieces(got, msg, len, i, j);
            ck_assert_msg(memcmp(got, want, 32) == 0, "len %zu splits %zu %zu", len, i, j);
            cases += 2;
        }
        /* byte by byte (pieces of 0 or 1 byte) */
        sha256_random_pieces(got, msg, len, 1);
        ck_assert_msg(memcmp(got, want, 32) == 0, "len %zu byte by byte", len);
    }
    ck_assert_int_eq(cases, 2 * (301 * 302 / 2));
}
END_TEST

START_TEST(final_wipes_context)
{
    ss_sha256_ctx ctx, zero;
    uint8_t msg[100], out[32];
    memset(&zero, 0, sizeof zero);
    trng_bytes(msg, sizeof msg);
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, msg, sizeof msg); /* leaves 36 bytes buffered */
    ss_sha256_final(&ctx, out);
    ck_assert_mem_eq(&ctx, &zero, sizeof ctx);
}
END_TEST

START_TEST(null_with_zero_length)
{
    uint8_t empty[1] = {0}, want[32], got[32];
    openssl_sha256(want, empty, 0);

    ss_sha256(got, NULL, 0);
    ck_assert_mem_eq(got, want, 32);

    ss_sha256_ctx ctx;
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, NULL, 0);
    ss_sha256_final(&ctx, got);
    ck_assert_mem_eq(got, want, 32);

    /* An empty update in the middle of a message changes nothing. */
    uint8_t msg[70];
    trng_bytes(msg, sizeof msg);
    ss_sha256(want, msg, sizeof msg);
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, msg, 10);
    ss_sha256_update(&ctx, NULL, 0);
    ss_sha256_update(&ctx, msg + 10, sizeof msg - 10);
    ss_sha256_final(&ctx, got);
    ck_assert_mem_eq(got, want, 32);
}
END_TEST

/* ---- differential: OpenSSL ---- */

static void diff_one(uint8_t *msg, size_t len)
{
    uint8_t ours[32], pieces[32], theirs[32];
    trng_bytes(msg, len);
    ss_sha256(ours, msg, len);
    sha256_random_pieces(pieces, msg, len, len < 300 ? 80 : 20000);
    openssl_sha256(theirs, msg, len);
    ck_assert_msg(memcmp(ours, theirs, 32) == 0, "SHA-256 differs from OpenSSL at length %zu",
                  len);
    ck_assert_msg(memcmp(pieces, theirs, 32) == 0,
                  "incremental SHA-256 differs from OpenSSL at length %zu", len);
}

START_TEST(differential_openssl)
{
    /* A few large messages: about 100 KB, 1 MiB, and odd sizes near them
     * so the tail is a partial block. */
    const size_t large[] = {100000, 102407, 1 << 20, (1 << 20) + 55};
    size_t cap = (1 << 20) + 64;
    uint8_t *msg = malloc(cap);
    ck_assert_ptr_nonnull(msg);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++)
        diff_one(msg, trng_below(301));
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++, done++)
        diff_one(msg, large[i]);
    printf("differential: SHA-256 vs OpenSSL EVP_sha256: %ld cases agree\n", done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 4);
    free(msg);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("sha256");

    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, nist_short_msg);
    tcase_add_test(tv, nist_long_msg);
    tcase_add_test(tv, nist_monte);
    tcase_add_test(tv, fips180_4_examples);
    tcase_set_timeout(tv, 60);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, incremental_every_split);
    tcase_add_test(tp, final_wipes_context);
    tcase_add_test(tp, null_with_zero_length);
    tcase_set_timeout(tp, 60);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
