/*
 * test_x25519.c — X25519 (RFC 7748) against the RFC's vectors, every
 * Wycheproof x25519 test, algebraic properties, and OpenSSL's libcrypto.
 *
 * Sources of expected values (never this project's code):
 *   vectors/rfc7748/x25519.txt          RFC 7748 §5.2 and §6.1
 *   vectors/wycheproof/x25519_test.json C2SP/wycheproof testvectors_v1
 * The differential tests use OpenSSL as an independent oracle.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "crypto/x25519.h"
#include "crypto/x25519_fast.h"

static const uint8_t zero32[32];

static void openssl_public_key(uint8_t pk[32], const uint8_t sk[32]);

/* Decodes a field that must hold exactly 32 bytes; caller frees. */
static uint8_t *hex32(const vec_record *rec, const char *name)
{
    size_t len;
    uint8_t *v = vec_hex(rec, name, &len);
    ck_assert_msg(len == 32, "%s: %zu bytes, expected 32", name, len);
    return v;
}

static int in_section(const vec_record *rec, const char *section)
{
    return rec->section != NULL && strcmp(rec->section, section) == 0;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- RFC 7748 ---- */

/* §5.2: the two single vectors. */
START_TEST(rfc7748_single)
{
    vec_file *vf = vec_open("rfc7748/x25519.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        if (!in_section(&rec, "[single]"))
            continue;
        uint8_t *k = hex32(&rec, "Scalar"), *u = hex32(&rec, "U"), *want = hex32(&rec, "Output");
        uint8_t out[32];
        ck_assert_int_eq(ss_x25519(out, k, u), 0);
        ck_assert_mem_eq(out, want, 32);
        passed++;
        free(k);
        free(u);
        free(want);
    }
    vec_close(vf);
    vec_report("RFC 7748 §5.2 X25519", passed, 2);
}
END_TEST

/*
 * §5.2: the iteration test. "For each iteration, set k to be the result
 * of calling the function and u to be the old value of k." The
 * 1,000,000-iteration record is opt-in (SS_LONG=1): it is reported as
 * skipped, and not counted, otherwise.
 */
START_TEST(rfc7748_iterated)
{
    vec_file *vf = vec_open("rfc7748/x25519.txt");
    vec_record rec = {0};
    long records = 0, passed = 0;
    while (vec_next(vf, &rec)) {
        if (!in_section(&rec, "[iterated]"))
            continue;
        records++;
        long n = vec_long(&rec, "Iterations");
        uint8_t *k0 = hex32(&rec, "K"), *u0 = hex32(&rec, "U"), *want = hex32(&rec, "Output");
        if (n > 1000 && !long_tests()) {
            printf("RFC 7748 §5.2 X25519 after %ld iterations: skipped (opt-in, SS_LONG=1)\n", n);
        } else {
            uint8_t k[32], u[32], r[32];
            memcpy(k, k0, 32);
            memcpy(u, u0, 32);
            for (long i = 0; i < n; i++) {
                ss_x25519(r, k, u);
                memcpy(u, k, 32);
                memcpy(k, r, 32);
            }
            ck_assert_msg(memcmp(k, want, 32) == 0, "wrong result after %ld iterations", n);
            passed++;
        }
        free(k0);
        free(u0);
        free(want);
    }
    vec_close(vf);
    ck_assert_int_eq(records, 3);
    vec_report("RFC 7748 §5.2 X25519 iterated", passed, long_tests() ? 3 : 2);
}
END_TEST

/* §6.1: both public keys from the private keys, the shared secret both ways. */
START_TEST(rfc7748_dh)
{
    vec_file *vf = vec_open("rfc7748/x25519.txt");
    vec_record rec = {0};
    long records = 0, passed = 0;
    while (vec_next(vf, &rec)) {
        if (!in_section(&rec, "[dh]"))
            continue;
        records++;
        uint8_t *a = hex32(&rec, "AlicePrivate"), *ka = hex32(&rec, "AlicePublic");
        uint8_t *b = hex32(&rec, "BobPrivate"), *kb = hex32(&rec, "BobPublic");
        uint8_t *k = hex32(&rec, "Shared");
        uint8_t out[32];

        ss_x25519_public_key(out, a);
        ck_assert_mem_eq(out, ka, 32);
        passed++;
        ss_x25519_public_key(out, b);
        ck_assert_mem_eq(out, kb, 32);
        passed++;
        ck_assert_int_eq(ss_x25519(out, a, kb), 0); /* Alice: X25519(a, K_B) */
        ck_assert_mem_eq(out, k, 32);
        passed++;
        ck_assert_int_eq(ss_x25519(out, b, ka), 0); /* Bob: X25519(b, K_A) */
        ck_assert_mem_eq(out, k, 32);
        passed++;

        free(a);
        free(ka);
        free(b);
        free(kb);
        free(k);
    }
    vec_close(vf);
    ck_assert_int_eq(records, 1);
    vec_report("RFC 7748 §6.1 (2 public keys, 2 shared)", passed, 4);
}
END_TEST

/* ---- Wycheproof ---- */

/*
 * Every test of x25519_test.json. The file has only "valid" and
 * "acceptable" results: acceptable ones are low-order or twist points and
 * non-canonical encodings, which RFC 7748 defines an output for. Both must
 * give the listed shared value. Tests flagged ZeroSharedSecret (the
 * listed value is all zeros) must make ss_x25519 return -1 and still
 * write the zeros; every other test must return 0.
 */
START_TEST(wycheproof_all)
{
    json_t *root = wp_load("wycheproof/x25519_test.json");
    long passed = 0, zero_shared = 0, non_canonical = 0;
    size_t gi, ti;
    json_t *group, *test;

    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        ck_assert_str_eq(json_string_value(json_object_get(group, "curve")), "curve25519");
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            long id = (long)json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            size_t pub_len, priv_len, shared_len;
            uint8_t *pub = wp_hex(test, "public", &pub_len);
            uint8_t *priv = wp_hex(test, "private", &priv_len);
            uint8_t *shared = wp_hex(test, "shared", &shared_len);
            uint8_t out[32];

            ck_assert_msg(strcmp(result, "invalid") != 0,
                          "tcId %ld: an invalid X25519 test (none expected in this file)", id);
            ck_assert_msg(pub_len == 32 && priv_len == 32 && shared_len == 32,
                          "tcId %ld: unexpected lengths", id);

            memset(out, 0xa5, sizeof out); /* so "always writes" is checked */
            int ret = ss_x25519(out, priv, pub);
            ck_assert_msg(memcmp(out, shared, 32) == 0, "tcId %ld: wrong shared secret", id);
            if (wp_has_flag(test, "ZeroSharedSecret")) {
                ck_assert_mem_eq(shared, zero32, 32);
                ck_assert_msg(ret == -1, "tcId %ld: all-zero result not reported", id);
                zero_shared++;
            } else {
                ck_assert_msg(ret == 0, "tcId %ld: returned %d", id, ret);
            }
            if (wp_has_flag(test, "NonCanonicalPublic"))
                non_canonical++;
            passed++;
            free(pub);
            free(priv);
            free(shared);
        }
    }
    json_decref(root);
    vec_report("Wycheproof x25519_test.json", passed, 518);
    /* The subsets the RFC's special rules apply to (counts from the file's flags). */
    vec_report("Wycheproof x25519 (ZeroSharedSecret, returned -1)", zero_shared, 31);
    vec_report("Wycheproof x25519 (NonCanonicalPublic)", non_canonical, 19);
}
END_TEST

/* ---- properties ---- */

#define PROPERTY_CASES 200

/* RFC 7748 §6.1: X25519(a, X25519(b, 9)) == X25519(b, X25519(a, 9)). */
START_TEST(dh_commutes)
{
    for (int i = 0; i < PROPERTY_CASES; i++) {
        uint8_t a[32], b[32], ka[32], kb[32], ab[32], ba[32];
        trng_bytes(a, 32);
        trng_bytes(b, 32);
        ss_x25519_public_key(ka, a);
        ss_x25519_public_key(kb, b);
        ck_assert_int_eq(ss_x25519(ab, a, kb), 0);
        ck_assert_int_eq(ss_x25519(ba, b, ka), 0);
        ck_assert_mem_eq(ab, ba, 32);
    }
}
END_TEST

/* ss_x25519_public_key(k) is X25519(k, 9), 9 encoded as in §6.1. */
START_TEST(public_key_is_x25519_of_9)
{
    uint8_t nine[32] = {9};
    for (int i = 0; i < PROPERTY_CASES; i++) {
        uint8_t k[32], pk[32], r[32];
        trng_bytes(k, 32);
        ss_x25519_public_key(pk, k);
        ck_assert_int_eq(ss_x25519(r, k, nine), 0);
        ck_assert_mem_eq(pk, r, 32);
    }
}
END_TEST

/*
 * The base-point table (x25519_base.c, on the Edwards curve) against the
 * ladder, called directly, so that this runs whatever SS_CPU says: edge
 * scalars first, whose signed radix-16 digits hit the ends of [-8, 8]
 * (every nibble 0, 7, 8 or 15, so that every carry happens or none does),
 * then random ones. The scalar is clamped here as RFC 7748 §5 says, since
 * the table function takes it clamped.
 */
START_TEST(base_table_equals_ladder)
{
    static const uint8_t patterns[] = {0x00, 0xff, 0x77, 0x88, 0x78, 0x87, 0x80, 0x08,
                                       0x7f, 0xf7, 0x0f, 0xf0, 0x55, 0xaa, 0x01, 0xfe};
    uint8_t nine[32] = {9};
    long n = 0;
    for (int i = 0; i < (int)sizeof patterns + PROPERTY_CASES * 10; i++) {
        uint8_t k[32], table[32], ladder[32];
        if (i < (int)sizeof patterns)
            memset(k, patterns[i], 32);
        else
            trng_bytes(k, 32);
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;
        ss_x25519_base_edwards(table, k);
        ck_assert_int_eq(ss_x25519(ladder, k, nine), 0);
        ck_assert_msg(memcmp(table, ladder, 32) == 0, "case %d: the table and the ladder differ",
                      i);
        n++;
    }
    printf("base-point table vs ladder: %ld/%ld agree (%zu edge scalars)\n", n, n,
           sizeof patterns);
}
END_TEST

/* The same edge scalars, unclamped, through the public function (the table
 * or the ladder, as SS_CPU says) against OpenSSL. */
START_TEST(public_key_edge_scalars)
{
    static const uint8_t patterns[] = {0x00, 0xff, 0x77, 0x88, 0x78, 0x87, 0x80, 0x08,
                                       0x7f, 0xf7, 0x0f, 0xf0, 0x55, 0xaa, 0x01, 0xfe};
    for (size_t i = 0; i < sizeof patterns; i++) {
        uint8_t k[32], ours[32], theirs[32];
        memset(k, patterns[i], 32);
        ss_x25519_public_key(ours, k);
        openssl_public_key(theirs, k);
        ck_assert_msg(memcmp(ours, theirs, 32) == 0, "scalar bytes 0x%02x: public key differs",
                      patterns[i]);
    }
}
END_TEST

/* §5: "implementations of X25519 ... MUST mask the most significant bit". */
START_TEST(top_bit_of_point_ignored)
{
    for (int i = 0; i < PROPERTY_CASES; i++) {
        uint8_t k[32], u[32], r0[32], r1[32];
        trng_bytes(k, 32);
        trng_bytes(u, 32);
        u[31] &= 0x7f;
        int ret0 = ss_x25519(r0, k, u);
        u[31] |= 0x80;
        int ret1 = ss_x25519(r1, k, u);
        ck_assert_int_eq(ret0, ret1);
        ck_assert_mem_eq(r0, r1, 32);
    }
}
END_TEST

/* §5 decodeScalar25519: bits 0, 1, 2, 254 and 255 of the scalar do not matter. */
START_TEST(scalar_is_clamped)
{
    for (int i = 0; i < PROPERTY_CASES; i++) {
        uint8_t k[32], u[32], r0[32], r1[32];
        trng_bytes(k, 32);
        trng_bytes(u, 32);
        ss_x25519(r0, k, u);
        k[0] ^= (uint8_t)(1 + trng_below(7)); /* some of bits 0..2 */
        k[31] ^= (uint8_t)(0x40 * (1 + trng_below(3))); /* some of bits 254, 255 */
        ss_x25519(r1, k, u);
        ck_assert_mem_eq(r0, r1, 32);
    }
}
END_TEST

/*
 * §5: "Implementations MUST accept non-canonical values and process them as
 * if they had been reduced modulo the field prime." For u = 0..18, u + p
 * (and u + p + 2^255, whose top bit is then masked) is < 2^256 and encodes
 * the same element. (Wycheproof's NonCanonicalPublic tests check the
 * values; this checks the rule for every non-canonical encoding.)
 */
START_TEST(non_canonical_point_reduced)
{
    uint8_t k[32];
    trng_bytes(k, 32);
    for (int u = 0; u < 19; u++) {
        uint8_t canon[32] = {0}, noncanon[32], r0[32], r1[32], r2[32];
        canon[0] = (uint8_t)u;
        /* p + u = 2^255 - 19 + u: byte 0 = 0xed + u, then 0xff..., top 0x7f */
        memset(noncanon, 0xff, 32);
        noncanon[0] = (uint8_t)(0xed + u);
        noncanon[31] = 0x7f;
        int ret0 = ss_x25519(r0, k, canon);
        int ret1 = ss_x25519(r1, k, noncanon);
        noncanon[31] = 0xff;
        int ret2 = ss_x25519(r2, k, noncanon);
        ck_assert_int_eq(ret0, ret1);
        ck_assert_int_eq(ret0, ret2);
        ck_assert_mem_eq(r0, r1, 32);
        ck_assert_mem_eq(r0, r2, 32);
        /* u = 0 and u = 1 are points of order 2 and 4: the result is 0 */
        if (u <= 1) {
            ck_assert_int_eq(ret0, -1);
            ck_assert_mem_eq(r0, zero32, 32);
        }
    }
}
END_TEST

/* shared may be the same buffer as point or scalar: both are decoded first. */
START_TEST(output_may_alias_inputs)
{
    for (int i = 0; i < PROPERTY_CASES; i++) {
        uint8_t k[32], u[32], want[32], buf[32];
        trng_bytes(k, 32);
        trng_bytes(u, 32);
        ss_x25519(want, k, u);
        memcpy(buf, u, 32);
        ss_x25519(buf, k, buf);
        ck_assert_mem_eq(buf, want, 32);
        memcpy(buf, k, 32);
        ss_x25519(buf, buf, u);
        ck_assert_mem_eq(buf, want, 32);
    }
}
END_TEST

/* ---- differential: OpenSSL libcrypto as an independent oracle ---- */

static void openssl_public_key(uint8_t pk[32], const uint8_t sk[32])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    ck_assert_ptr_nonnull(key);
    size_t len = 32;
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(key, pk, &len), 1);
    ck_assert_uint_eq(len, 32);
    EVP_PKEY_free(key);
}

/* Returns 1 and writes shared, or 0 when OpenSSL refuses (it rejects an
 * all-zero result instead of returning it). */
static int openssl_shared(uint8_t shared[32], const uint8_t sk[32], const uint8_t peer[32])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    EVP_PKEY *peer_key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(peer_key);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    ck_assert_ptr_nonnull(ctx);
    size_t len = 32;
    int ok = EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer_key) == 1 &&
             EVP_PKEY_derive(ctx, shared, &len) == 1 && len == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer_key);
    EVP_PKEY_free(key);
    return ok;
}

START_TEST(differential_public_key)
{
    long n = diff_cases(), agree = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++) {
        uint8_t sk[32], ours[32], theirs[32];
        trng_bytes(sk, 32);
        ss_x25519_public_key(ours, sk);
        openssl_public_key(theirs, sk);
        ck_assert_msg(memcmp(ours, theirs, 32) == 0, "case %ld: public key differs", i);
        agree++;
    }
    ck_assert_int_eq(agree, n);
    printf("differential vs OpenSSL: x25519 public keys %ld/%ld agree (%.2f s)\n", agree, n,
           seconds_since(&start));
}
END_TEST

/*
 * Random scalars against random 32-byte points: half of them lie on the
 * twist, half have the top bit set, a few are non-canonical — all defined
 * by RFC 7748 §5 and computed alike by OpenSSL. A random point is of low
 * order with probability about 2^-250, so an OpenSSL refusal is not
 * expected; if one happens, ours must have returned -1 and all zeros.
 */
START_TEST(differential_shared)
{
    long n = diff_cases(), agree = 0, refused = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++) {
        uint8_t sk[32], peer[32], ours[32], theirs[32];
        trng_bytes(sk, 32);
        trng_bytes(peer, 32);
        int ret = ss_x25519(ours, sk, peer);
        if (openssl_shared(theirs, sk, peer)) {
            ck_assert_msg(memcmp(ours, theirs, 32) == 0, "case %ld: shared secret differs", i);
            ck_assert_msg(ret == 0, "case %ld: returned %d", i, ret);
            agree++;
        } else {
            ck_assert_msg(ret == -1 && memcmp(ours, zero32, 32) == 0,
                          "case %ld: OpenSSL refused but the result is not zero", i);
            refused++;
        }
    }
    ck_assert_int_eq(agree + refused, n);
    printf("differential vs OpenSSL: x25519 shared secrets %ld/%ld agree, %ld all-zero "
           "(%.2f s)\n",
           agree, n, refused, seconds_since(&start));
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("x25519");

    /* The timeouts guard against hangs only; the slow opt-in runs
     * (SS_LONG=1: 1,000,000 iterations, 1,000,000 differential cases)
     * and sanitizer builds need far more than Check's 4-second default. */
    double slow = long_tests() ? 7200 : 600;

    TCase *rfc = tcase_create("rfc7748");
    tcase_set_timeout(rfc, slow);
    tcase_add_test(rfc, rfc7748_single);
    tcase_add_test(rfc, rfc7748_iterated);
    tcase_add_test(rfc, rfc7748_dh);
    suite_add_tcase(s, rfc);

    TCase *wp = tcase_create("wycheproof");
    tcase_set_timeout(wp, 60);
    tcase_add_test(wp, wycheproof_all);
    suite_add_tcase(s, wp);

    TCase *prop = tcase_create("properties");
    tcase_set_timeout(prop, 60);
    tcase_add_test(prop, dh_commutes);
    tcase_add_test(prop, public_key_is_x25519_of_9);
    tcase_add_test(prop, base_table_equals_ladder);
    tcase_add_test(prop, public_key_edge_scalars);
    tcase_add_test(prop, top_bit_of_point_ignored);
    tcase_add_test(prop, scalar_is_clamped);
    tcase_add_test(prop, non_canonical_point_reduced);
    tcase_add_test(prop, output_may_alias_inputs);
    suite_add_tcase(s, prop);

    TCase *diff = tcase_create("differential");
    tcase_set_timeout(diff, slow);
    tcase_add_test(diff, differential_public_key);
    tcase_add_test(diff, differential_shared);
    suite_add_tcase(s, diff);

    return run_suite(s);
}
