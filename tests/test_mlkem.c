/*
 * test_mlkem.c — ML-KEM-768 (FIPS 203) against every official and
 * community vector that applies to the final standard, each building block
 * against an independent computation in this file, and the accumulated
 * test of Go's standard library.
 *
 * Sources of expected values (never this project's code; vectors/mlkem/
 * README says where each file comes from):
 *   vectors/mlkem/acvp/          NIST ACVP-Server, FIPS 203 final
 *   vectors/mlkem/wycheproof/    C2SP/wycheproof testvectors_v1
 *   vectors/mlkem/cctv/          C2SP CCTV (FIPS 203 draft: only what
 *                                starts from an ek, dk, m or c applies)
 *   the accumulated hashes       Go's crypto/mlkem TestAccumulated
 * The building blocks are checked against naive code written here from
 * FIPS 203's definitions (modular arithmetic by `%`, schoolbook
 * polynomial products, bit-by-bit sampling).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/cpu.h"
#include "crypto/mlkem_internal.h"
#include "crypto/sha3.h"
#include "crypto/sha3_simd.h"

#define Q 3329

/* ---------------------------------------------------------------------- */
/* Naive reference arithmetic (definitions of FIPS 203 §4.3)               */
/* ---------------------------------------------------------------------- */

static int32_t modq(int64_t a)
{
    int64_t r = a % Q;
    return (int32_t)(r < 0 ? r + Q : r);
}

static int32_t powq(int32_t b, unsigned e)
{
    int64_t r = 1;
    for (unsigned i = 0; i < e; i++)
        r = r * b % Q;
    return (int32_t)r;
}

static unsigned bitrev7(unsigned i)
{
    unsigned r = 0;
    for (unsigned b = 0; b < 7; b++)
        r |= ((i >> b) & 1) << (6 - b);
    return r;
}

/* NTT by its definition (FIPS 203 eq. 4.8/4.9): f-hat[2i] + f-hat[2i+1] X
 * = f mod (X^2 - zeta^(2 BitRev7(i) + 1)), by evaluating the even and odd
 * parts at gamma_i = zeta^(2 BitRev7(i) + 1): f mod (X^2 - g) =
 * sum f[2j] g^j + X sum f[2j+1] g^j. */
static void naive_ntt(int16_t out[256], const int16_t f[256])
{
    for (unsigned i = 0; i < 128; i++) {
        int32_t g = powq(17, 2 * bitrev7(i) + 1), gj = 1;
        int64_t even = 0, odd = 0;
        for (unsigned j = 0; j < 128; j++) {
            even += (int64_t)f[2 * j] * gj;
            odd += (int64_t)f[2 * j + 1] * gj;
            gj = (int32_t)((int64_t)gj * g % Q);
        }
        out[2 * i] = (int16_t)modq(even);
        out[2 * i + 1] = (int16_t)modq(odd);
    }
}

/* f * g mod (X^256 + 1, q), schoolbook. */
static void naive_mul(int16_t out[256], const int16_t f[256], const int16_t g[256])
{
    int64_t acc[256] = {0};
    for (unsigned i = 0; i < 256; i++)
        for (unsigned j = 0; j < 256; j++) {
            int64_t p = (int64_t)f[i] * g[j];
            if (i + j < 256)
                acc[i + j] += p;
            else
                acc[i + j - 256] -= p; /* X^256 = -1 */
        }
    for (unsigned i = 0; i < 256; i++)
        out[i] = (int16_t)modq(acc[i]);
}

static void random_poly(int16_t f[256])
{
    for (unsigned i = 0; i < 256; i++)
        f[i] = (int16_t)trng_below(Q);
}

/* ---------------------------------------------------------------------- */
/* Building blocks                                                        */
/* ---------------------------------------------------------------------- */

START_TEST(reduce_every_int16)
{
    for (int32_t a = -32768; a <= 32767; a++)
        ck_assert_int_eq(ss_mlkem_reduce((int16_t)a), modq(a));
}
END_TEST

/* The NTT equals its definition; this also checks every entry of the zeta
 * table, which the definition never uses. */
START_TEST(ntt_matches_definition)
{
    int16_t f[256], want[256];
    for (int n = 0; n < 50; n++) {
        random_poly(f);
        if (n == 0)
            for (unsigned i = 0; i < 256; i++)
                f[i] = (int16_t)(i == 1); /* X */
        naive_ntt(want, f);
        ss_mlkem_ntt(f);
        ck_assert_mem_eq(f, want, sizeof f);
    }
    /* Signed input in (-q, 0) as SamplePolyCBD gives. */
    for (unsigned i = 0; i < 256; i++)
        f[i] = (int16_t)(-(int)(trng_below(Q)));
    int16_t canon[256];
    for (unsigned i = 0; i < 256; i++)
        canon[i] = (int16_t)modq(f[i]);
    naive_ntt(want, canon);
    ss_mlkem_ntt(f);
    ck_assert_mem_eq(f, want, sizeof f);
}
END_TEST

START_TEST(inv_ntt_inverts)
{
    int16_t f[256], g[256];
    for (int n = 0; n < 200; n++) {
        random_poly(f);
        memcpy(g, f, sizeof f);
        ss_mlkem_ntt(g);
        ss_mlkem_inv_ntt(g);
        ck_assert_mem_eq(f, g, sizeof f);
    }
}
END_TEST

/* NTT^-1(MultiplyNTTs(NTT f, NTT g)) = f g in R_q: checks the gamma table
 * and BaseCaseMultiply (Algorithms 11, 12) against the schoolbook product. */
START_TEST(multiply_ntts_is_ring_product)
{
    int16_t f[256], g[256], fh[256], gh[256], h[256], want[256];
    for (int n = 0; n < 50; n++) {
        random_poly(f);
        random_poly(g);
        if (n == 0) { /* X^255 * X = X^256 = -1 */
            memset(f, 0, sizeof f);
            memset(g, 0, sizeof g);
            f[255] = 1;
            g[1] = 1;
        }
        memcpy(fh, f, sizeof f);
        memcpy(gh, g, sizeof g);
        ss_mlkem_ntt(fh);
        ss_mlkem_ntt(gh);
        ss_mlkem_multiply_ntts(h, fh, gh);
        ss_mlkem_inv_ntt(h);
        naive_mul(want, f, g);
        ck_assert_mem_eq(h, want, sizeof h);
    }
}
END_TEST

/* Compress_d(x) = round(2^d x / q) mod 2^d, exactly, for every x and d:
 * round(a / b) = floor((2a + b) / (2b)) (halves up). Decompress likewise. */
START_TEST(compress_every_value)
{
    for (unsigned d = 1; d <= 10; d++) {
        for (uint32_t x = 0; x < Q; x++) {
            uint32_t want = ((2 * (x << d) + Q) / (2 * Q)) % (1u << d);
            ck_assert_uint_eq(ss_mlkem_compress((uint16_t)x, d), want);
        }
        for (uint32_t y = 0; y < (1u << d); y++) {
            uint32_t want = (2 * Q * y + (1u << d)) / (2u << d);
            ck_assert_uint_eq(ss_mlkem_decompress((uint16_t)y, d), want);
        }
    }
}
END_TEST

/* ByteEncode_d as FIPS 203 defines it: BitsToBytes of the little-endian
 * bits of each integer (Algorithms 3, 5), computed bit by bit. */
START_TEST(byte_encode_decode)
{
    int16_t f[256], g[256];
    uint8_t got[384], want[384];
    for (unsigned d = 1; d <= 12; d++) {
        for (unsigned i = 0; i < 256; i++)
            f[i] = (int16_t)(d == 12 ? trng_below(Q) : trng_below(1u << d));
        memset(want, 0, sizeof want);
        for (unsigned i = 0; i < 256; i++)
            for (unsigned j = 0; j < d; j++)
                want[(i * d + j) / 8] |= (uint8_t)(((f[i] >> j) & 1) << ((i * d + j) % 8));
        ss_mlkem_byte_encode(got, f, d);
        ck_assert_mem_eq(got, want, 32 * d);
        ss_mlkem_byte_decode(g, got, d);
        ck_assert_mem_eq(g, f, sizeof f);
    }
    /* ByteDecode_12 reduces mod q (Algorithm 6, line 3): 0xfff -> 766. */
    memset(got, 0xff, sizeof got);
    ss_mlkem_byte_decode(g, got, 12);
    for (unsigned i = 0; i < 256; i++)
        ck_assert_int_eq(g[i], 4095 - Q);
}
END_TEST

/* SamplePolyCBD_2 (Algorithm 8) bit by bit. */
START_TEST(cbd2_matches_definition)
{
    uint8_t b[128];
    int16_t f[256];
    for (int n = 0; n < 100; n++) {
        trng_bytes(b, sizeof b);
        ss_mlkem_cbd2(f, b);
        for (unsigned i = 0; i < 256; i++) {
            int bit[4];
            for (unsigned j = 0; j < 4; j++)
                bit[j] = (b[(4 * i + j) / 8] >> ((4 * i + j) % 8)) & 1;
            ck_assert_int_eq(f[i], bit[0] + bit[1] - bit[2] - bit[3]);
        }
    }
}
END_TEST

/* SampleNTT (Algorithm 7) from one long SHAKE128 output. */
START_TEST(sample_ntt_matches_definition)
{
    uint8_t seed[34], stream[3 * 168 * 8];
    int16_t a[256];
    for (int n = 0; n < 50; n++) {
        trng_bytes(seed, sizeof seed);
        ss_shake128(stream, sizeof stream, seed, sizeof seed);
        ss_mlkem_sample_ntt(a, seed);
        unsigned j = 0, pos = 0;
        while (j < 256) {
            ck_assert_uint_lt(pos + 3, sizeof stream);
            unsigned d1 = stream[pos] + 256 * (stream[pos + 1] % 16);
            unsigned d2 = stream[pos + 1] / 16 + 16 * stream[pos + 2];
            pos += 3;
            if (d1 < Q)
                ck_assert_int_eq(a[j++], (int)d1);
            if (d2 < Q && j < 256)
                ck_assert_int_eq(a[j++], (int)d2);
        }
    }
}
END_TEST

/* How many bytes of SHAKE128(seed) SampleNTT reads (Algorithm 7, by the
 * definition, on a stream long enough for any seed met in practice). */
static unsigned sample_ntt_bytes(const uint8_t seed[34])
{
    uint8_t stream[3 * 168 * 8];
    ss_shake128(stream, sizeof stream, seed, 34);
    unsigned j = 0, pos = 0;
    while (j < 256 && pos + 3 <= sizeof stream) {
        unsigned d1 = stream[pos] + 256 * (stream[pos + 1] % 16);
        unsigned d2 = stream[pos + 1] / 16 + 16 * stream[pos + 2];
        pos += 3;
        j += d1 < Q;
        j += d2 < Q && j < 256;
    }
    return pos;
}

/* The four-way SampleNTT (four-way SHAKE128, AVX2) gives what n = 1..4
 * calls of the one-way SampleNTT give, itself checked against the
 * definition above. Each round puts in one lane a seed that needs more
 * than the three blocks squeezed first (about 1 seed in 140), so the
 * refill path runs in every lane. Only where the CPU and SS_CPU allow
 * AVX2. */
START_TEST(sample_ntt_x4_matches_one_way)
{
    if (!(ss_cpu_features() & SS_CPU_AVX2)) {
        printf("sample_ntt_x4: skipped, the AVX2 path is not in use\n");
        return;
    }
    uint8_t seeds[4][34];
    int16_t got[4][256], want[256];
    for (int n = 0; n < 40; n++) {
        for (unsigned i = 0; i < 4; i++)
            trng_bytes(seeds[i], 34);
        unsigned lanes = 1 + (unsigned)n % 4, lane = ((unsigned)n / 4) % lanes;
        do
            trng_bytes(seeds[lane], 34);
        while (sample_ntt_bytes(seeds[lane]) <= 3 * 168);
        ss_mlkem_sample_ntt_x4(got, (const uint8_t(*)[34])seeds, lanes);
        for (unsigned i = 0; i < lanes; i++) {
            ss_mlkem_sample_ntt(want, seeds[i]);
            ck_assert_mem_eq(got[i], want, sizeof want);
        }
    }
}
END_TEST

/* Four-way SHAKE128 and SHAKE256 (sha3x4_avx2.c) give, lane by lane, what
 * the one-way ones of sha3.c give (those are checked against FIPS 202's
 * vectors by test_sha3): every one-block input length from 0 to rate - 1,
 * three blocks out, four different inputs at once. AVX2 only. */
START_TEST(shake_x4_matches_one_way)
{
    if (!(ss_cpu_features() & SS_CPU_AVX2)) {
        printf("shake_x4: skipped, the AVX2 path is not in use\n");
        return;
    }
    const size_t rates[2] = {SS_SHAKE128_RATE, SS_SHAKE256_RATE};
    uint8_t in[4][SS_SHAKE128_RATE], got[4][2 * SS_SHAKE128_RATE],
        want[4][3 * SS_SHAKE128_RATE];
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    uint8_t *const outp[4] = {got[0], got[1], got[2], got[3]};
    for (unsigned r = 0; r < 2; r++) {
        size_t rate = rates[r];
        for (size_t len = 0; len < rate; len++) {
            ss_keccak_x4 st;
            trng_bytes((uint8_t *)in, sizeof in);
            for (unsigned i = 0; i < 4; i++) {
                if (rate == SS_SHAKE128_RATE)
                    ss_shake128(want[i], 3 * rate, in[i], len);
                else
                    ss_shake256(want[i], 3 * rate, in[i], len);
            }
            ss_shake_x4_absorb_once_avx2(&st, rate, inp, len);
            ss_shake_x4_squeeze_blocks_avx2(outp, 1, rate, &st);
            for (unsigned i = 0; i < 4; i++)
                ck_assert_mem_eq(got[i], want[i], rate);
            ss_shake_x4_squeeze_blocks_avx2(outp, 2, rate, &st); /* continues */
            for (unsigned i = 0; i < 4; i++)
                ck_assert_mem_eq(got[i], want[i] + rate, 2 * rate);
        }
    }
}
END_TEST

/* The extremes of the NTTs' and the product's input ranges: every
 * coefficient q - 1, or -(q - 1) (the largest magnitudes the bounds in
 * mlkem.c allow), against the definitions. */
START_TEST(ntt_extreme_inputs)
{
    int16_t f[256], g[256], h[256], want[256], canon[256];
    for (int sign = -1; sign <= 1; sign += 2) {
        for (unsigned i = 0; i < 256; i++) {
            f[i] = (int16_t)(sign * (Q - 1));
            canon[i] = (int16_t)modq(f[i]);
        }
        naive_ntt(want, canon);
        ss_mlkem_ntt(f);
        ck_assert_mem_eq(f, want, sizeof f);
    }
    for (unsigned i = 0; i < 256; i++)
        f[i] = g[i] = Q - 1;
    memcpy(h, f, sizeof h);
    ss_mlkem_ntt(h);
    ss_mlkem_inv_ntt(h);
    ck_assert_mem_eq(h, f, sizeof h);
    /* NTT-domain inputs all q - 1: the product's largest sums */
    ss_mlkem_multiply_ntts(h, f, g);
    ss_mlkem_inv_ntt(h);
    memcpy(canon, f, sizeof canon);
    ss_mlkem_inv_ntt(canon);
    naive_mul(want, canon, canon);
    ck_assert_mem_eq(h, want, sizeof h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Helpers for the KEM tests                                              */
/* ---------------------------------------------------------------------- */

/* The input type checks of FIPS 203 §7.2 and §7.3 (lengths) belong to the
 * caller of this C API, whose arrays have fixed sizes: a byte string of
 * another length cannot become an argument. These wrappers are that
 * caller, so that the vectors with wrong lengths are run, not skipped. */
static int encaps_bytes(uint8_t ct[1088], uint8_t ss[32], const uint8_t *ek, size_t ek_len,
                        const uint8_t m[32])
{
    if (ek_len != SS_MLKEM768_EK_BYTES)
        return -2;
    return ss_mlkem768_encaps_derand(ct, ss, ek, m);
}

static int decaps_bytes(uint8_t ss[32], const uint8_t *ct, size_t ct_len, const uint8_t *dk,
                        size_t dk_len)
{
    if (ct_len != SS_MLKEM768_CT_BYTES || dk_len != SS_MLKEM768_DK_BYTES)
        return -2;
    return ss_mlkem768_decaps(ss, ct, dk);
}

static uint8_t *json_hex(json_t *obj, const char *field, size_t want)
{
    size_t len;
    uint8_t *v = wp_hex(obj, field, &len);
    ck_assert_msg(want == 0 || len == want, "%s: %zu bytes, expected %zu", field, len, want);
    return v;
}

/* ---------------------------------------------------------------------- */
/* NIST ACVP                                                              */
/* ---------------------------------------------------------------------- */

START_TEST(acvp_keygen)
{
    json_t *root = wp_load("mlkem/acvp/ML-KEM-keyGen-FIPS203-768.json");
    long passed = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ek[1184], dk[2400];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        ck_assert_str_eq(json_string_value(json_object_get(group, "parameterSet")), "ML-KEM-768");
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            uint8_t *d = json_hex(test, "d", 32), *z = json_hex(test, "z", 32);
            uint8_t *want_ek = json_hex(test, "ek", 1184), *want_dk = json_hex(test, "dk", 2400);
            ck_assert_int_eq(ss_mlkem768_keygen_derand(ek, dk, d, z), 0);
            ck_assert_mem_eq(ek, want_ek, sizeof ek);
            ck_assert_mem_eq(dk, want_dk, sizeof dk);
            passed++;
            free(d), free(z), free(want_ek), free(want_dk);
        }
    }
    json_decref(root);
    vec_report("ACVP ML-KEM-768 keyGen", passed, 25);
}
END_TEST

START_TEST(acvp_encap_decap)
{
    json_t *root = wp_load("mlkem/acvp/ML-KEM-encapDecap-FIPS203-768.json");
    long enc = 0, dec = 0, dk_checks = 0, ek_checks = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ct[1088], ss[32];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        const char *fn = json_string_value(json_object_get(group, "function"));
        ck_assert_str_eq(json_string_value(json_object_get(group, "parameterSet")), "ML-KEM-768");
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            long id = (long)json_integer_value(json_object_get(test, "tcId"));
            size_t ek_len, dk_len;
            uint8_t *ek = wp_hex(test, "ek", &ek_len), *dk = wp_hex(test, "dk", &dk_len);
            if (strcmp(fn, "encapsulation") == 0) {
                uint8_t *m = json_hex(test, "m", 32), *c = json_hex(test, "c", 1088);
                uint8_t *k = json_hex(test, "k", 32);
                ck_assert_int_eq(encaps_bytes(ct, ss, ek, ek_len, m), 0);
                ck_assert_msg(memcmp(ct, c, 1088) == 0, "tcId %ld: c", id);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: K", id);
                /* and back */
                ck_assert_int_eq(decaps_bytes(ss, c, 1088, dk, dk_len), 0);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: decaps K", id);
                enc++;
                free(m), free(c), free(k);
            } else if (strcmp(fn, "decapsulation") == 0) {
                /* valid ciphertexts and implicit rejections alike: k is the
                 * expected output either way */
                uint8_t *c = json_hex(test, "c", 1088), *k = json_hex(test, "k", 32);
                ck_assert_int_eq(decaps_bytes(ss, c, 1088, dk, dk_len), 0);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: K", id);
                dec++;
                free(c), free(k);
            } else {
                int ok = json_is_true(json_object_get(test, "testPassed"));
                int got;
                if (strcmp(fn, "decapsulationKeyCheck") == 0) {
                    got = dk_len == 2400 && ss_mlkem768_check_dk(dk) == 0;
                    /* and Decaps itself refuses a failing dk */
                    if (!ok && dk_len == 2400) {
                        memset(ct, 0, sizeof ct);
                        ck_assert_int_eq(ss_mlkem768_decaps(ss, ct, dk), -1);
                        ck_assert(all_zero(ss, 32));
                    }
                    dk_checks++;
                } else {
                    ck_assert_str_eq(fn, "encapsulationKeyCheck");
                    got = ek_len == 1184 && ss_mlkem768_check_ek(ek) == 0;
                    ek_checks++;
                }
                ck_assert_msg(got == ok, "tcId %ld (%s): check gave %d, expected %d", id, fn,
                              got, ok);
            }
            free(ek), free(dk);
        }
    }
    json_decref(root);
    vec_report("ACVP ML-KEM-768 encapsulation", enc, 25);
    vec_report("ACVP ML-KEM-768 decapsulation", dec, 10);
    vec_report("ACVP ML-KEM-768 decapsulationKeyCheck", dk_checks, 10);
    vec_report("ACVP ML-KEM-768 encapsulationKeyCheck", ek_checks, 10);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Wycheproof                                                             */
/* ---------------------------------------------------------------------- */

START_TEST(wycheproof_keygen_seed)
{
    json_t *root = wp_load("mlkem/wycheproof/mlkem_768_keygen_seed_test.json");
    long passed = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ek[1184], dk[2400];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            ck_assert_str_eq(json_string_value(json_object_get(test, "result")), "valid");
            uint8_t *seed = json_hex(test, "seed", 64);
            uint8_t *want_ek = json_hex(test, "ek", 1184), *want_dk = json_hex(test, "dk", 2400);
            ck_assert_int_eq(ss_mlkem768_keygen_derand(ek, dk, seed, seed + 32), 0);
            ck_assert_mem_eq(ek, want_ek, sizeof ek);
            ck_assert_mem_eq(dk, want_dk, sizeof dk);
            passed++;
            free(seed), free(want_ek), free(want_dk);
        }
    }
    json_decref(root);
    vec_report("Wycheproof mlkem_768_keygen_seed_test.json", passed, 100);
}
END_TEST

/* Decapsulation from a 64-byte seed: KeyGen(seed) must give ek, then
 * Decaps(c) must give K. Invalid tests have a seed or a ciphertext of the
 * wrong length (the type checks): refused by decaps_bytes. */
START_TEST(wycheproof_decaps)
{
    json_t *root = wp_load("mlkem/wycheproof/mlkem_768_test.json");
    long valid = 0, invalid = 0, strcmp_flag = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ek[1184], dk[2400], ss[32];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            long id = (long)json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            size_t seed_len, c_len;
            uint8_t *seed = wp_hex(test, "seed", &seed_len), *c = wp_hex(test, "c", &c_len);
            int r = -2;
            if (seed_len == 64) {
                ck_assert_int_eq(ss_mlkem768_keygen_derand(ek, dk, seed, seed + 32), 0);
                size_t want_len;
                uint8_t *want_ek = wp_hex(test, "ek", &want_len);
                if (want_len == 1184)
                    ck_assert_msg(memcmp(ek, want_ek, 1184) == 0, "tcId %ld: ek", id);
                free(want_ek);
                r = decaps_bytes(ss, c, c_len, dk, sizeof dk);
            }
            if (strcmp(result, "valid") == 0) {
                uint8_t *k = json_hex(test, "K", 32);
                ck_assert_msg(r == 0, "tcId %ld: refused", id);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: K", id);
                free(k);
                valid++;
                strcmp_flag += wp_has_flag(test, "Strcmp");
            } else {
                ck_assert_str_eq(result, "invalid");
                ck_assert_msg(r != 0, "tcId %ld: invalid test accepted", id);
                invalid++;
            }
            free(seed), free(c);
        }
    }
    json_decref(root);
    vec_report("Wycheproof mlkem_768_test.json (valid)", valid, 153);
    vec_report("Wycheproof mlkem_768_test.json (invalid, refused)", invalid, 40);
    vec_report("Wycheproof mlkem_768_test.json (Strcmp)", strcmp_flag, 1);
}
END_TEST

START_TEST(wycheproof_encaps)
{
    json_t *root = wp_load("mlkem/wycheproof/mlkem_768_encaps_test.json");
    long valid = 0, invalid = 0, modulus = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ct[1088], ss[32];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            long id = (long)json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            size_t ek_len;
            uint8_t *ek = wp_hex(test, "ek", &ek_len), *m = json_hex(test, "m", 32);
            memset(ct, 0xa5, sizeof ct);
            memset(ss, 0xa5, sizeof ss);
            int r = encaps_bytes(ct, ss, ek, ek_len, m);
            if (strcmp(result, "valid") == 0) {
                uint8_t *c = json_hex(test, "c", 1088), *k = json_hex(test, "K", 32);
                ck_assert_msg(r == 0, "tcId %ld: refused", id);
                ck_assert_msg(memcmp(ct, c, 1088) == 0, "tcId %ld: c", id);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: K", id);
                free(c), free(k);
                valid++;
            } else {
                ck_assert_str_eq(result, "invalid");
                ck_assert_msg(r != 0, "tcId %ld: invalid ek accepted", id);
                if (r == -1) /* refused by the library: outputs zeroed */
                    ck_assert(all_zero(ct, sizeof ct) && all_zero(ss, sizeof ss));
                if (wp_has_flag(test, "ModulusOverflow"))
                    modulus++;
                invalid++;
            }
            free(ek), free(m);
        }
    }
    json_decref(root);
    vec_report("Wycheproof mlkem_768_encaps_test.json (valid)", valid, 133);
    vec_report("Wycheproof mlkem_768_encaps_test.json (invalid, refused)", invalid, 132);
    vec_report("Wycheproof mlkem_768_encaps_test.json (ModulusOverflow)", modulus, 12);
}
END_TEST

START_TEST(wycheproof_semi_expanded_decaps)
{
    json_t *root = wp_load("mlkem/wycheproof/mlkem_768_semi_expanded_decaps_test.json");
    long valid = 0, invalid = 0, bad_key = 0;
    size_t gi, ti;
    json_t *group, *test;
    uint8_t ss[32];
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            long id = (long)json_integer_value(json_object_get(test, "tcId"));
            const char *result = json_string_value(json_object_get(test, "result"));
            size_t dk_len, c_len;
            uint8_t *dk = wp_hex(test, "dk", &dk_len), *c = wp_hex(test, "c", &c_len);
            memset(ss, 0xa5, sizeof ss);
            int r = decaps_bytes(ss, c, c_len, dk, dk_len);
            if (strcmp(result, "valid") == 0) {
                uint8_t *k = json_hex(test, "K", 32);
                ck_assert_msg(r == 0, "tcId %ld: refused", id);
                ck_assert_msg(memcmp(ss, k, 32) == 0, "tcId %ld: K", id);
                free(k);
                valid++;
            } else {
                ck_assert_msg(r != 0, "tcId %ld: invalid test accepted", id);
                if (wp_has_flag(test, "InvalidDecapsulationKey")) {
                    ck_assert_int_eq(r, -1); /* the hash check of §7.3 */
                    ck_assert(all_zero(ss, sizeof ss));
                    bad_key++;
                }
                invalid++;
            }
            free(dk), free(c);
        }
    }
    json_decref(root);
    vec_report("Wycheproof mlkem_768_semi_expanded_decaps (valid)", valid, 3);
    vec_report("Wycheproof mlkem_768_semi_expanded_decaps (invalid)", invalid, 6);
    vec_report("Wycheproof semi_expanded (InvalidDecapsulationKey)", bad_key, 2);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* C2SP CCTV (what applies to FIPS 203 final: see vectors/mlkem/README)    */
/* ---------------------------------------------------------------------- */

/* The CCTV files are "name = value" lines; a name may repeat (the
 * intermediate file has two "r" and two "dk"): nth picks the occurrence. */
static char *cctv_value(const char *file, const char *name, int nth)
{
    char *path = vec_path(file);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *line = NULL, *found = NULL;
    size_t cap = 0;
    size_t nlen = strlen(name);
    while (getline(&line, &cap, f) >= 0) {
        if (strncmp(line, name, nlen) == 0 && strncmp(line + nlen, " = ", 3) == 0 &&
            nth-- == 0) {
            found = strdup(line + nlen + 3);
            found[strcspn(found, "\r\n")] = '\0';
            break;
        }
    }
    free(line);
    fclose(f);
    ck_assert_msg(found != NULL, "%s: no %s", path, name);
    free(path);
    return found;
}

static uint8_t *cctv_hex(const char *file, const char *name, int nth, size_t want)
{
    char *s = cctv_value(file, name, nth);
    size_t len;
    uint8_t *v = hex_decode(s, &len);
    ck_assert_msg(len == want, "%s: %s has %zu bytes, expected %zu", file, name, len, want);
    free(s);
    return v;
}

/* "{1, 2, 3, ...}" of 256 decimal coefficients. */
static void cctv_coeffs(int16_t out[256], const char *file, const char *name)
{
    char *s = cctv_value(file, name, 0), *p = s + 1;
    for (unsigned i = 0; i < 256; i++) {
        out[i] = (int16_t)strtol(p, &p, 10);
        p += strspn(p, ", }");
    }
    free(s);
}

#define INTER "mlkem/cctv/intermediate-ML-KEM-768.txt"

/* ByteEncode_12 of a vector of canonical polynomials. */
static void encode_vec(uint8_t *out, int16_t v[][256], unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        ss_mlkem_byte_encode(out + 384 * i, v[i], 12);
}

static void add_mod(int16_t a[256], const int16_t b[256])
{
    for (unsigned i = 0; i < 256; i++)
        a[i] = (int16_t)modq(a[i] + b[i]);
}

/* K-PKE.Encrypt (Algorithm 14) step by step with the building blocks, and
 * ML-KEM.Encaps and Decaps whole, on CCTV's ek, dk, m: every intermediate
 * value of its ML-KEM.Encaps, K-PKE.Encrypt and K-PKE.Decrypt sections. */
START_TEST(cctv_intermediate)
{
    uint8_t *ek = cctv_hex(INTER, "ek", 0, 1184), *dk = cctv_hex(INTER, "dk", 0, 2400);
    uint8_t *m = cctv_hex(INTER, "m", 0, 32), *want_k = cctv_hex(INTER, "K", 0, 32);
    uint8_t *want_r = cctv_hex(INTER, "r", 0, 32);
    uint8_t buf[9 * 384], g_in[64], k_r[64], prf_in[33], prf[128];
    int16_t a[9][256], r[3][256], e1[3][256], e2[1][256], u[3][256], v[1][256], t[3][256];
    int16_t tmp[256], coeffs[256];
    long checked = 0;

    /* Algorithm 17, line 1: (K, r) <- G(m || H(ek)) */
    memcpy(g_in, m, 32);
    ss_sha3_256(g_in + 32, ek, 1184);
    ss_sha3_512(k_r, g_in, 64);
    ck_assert_mem_eq(k_r, want_k, 32);
    ck_assert_mem_eq(k_r + 32, want_r, 32);
    checked += 2;

    /* mu = Decompress_1(ByteDecode_1(m)) */
    ss_mlkem_byte_decode(tmp, m, 1);
    for (unsigned i = 0; i < 256; i++)
        tmp[i] = (int16_t)ss_mlkem_decompress((uint16_t)tmp[i], 1);
    ss_mlkem_byte_encode(buf, tmp, 12);
    uint8_t *want = cctv_hex(INTER, "μ", 0, 384);
    ck_assert_mem_eq(buf, want, 384);
    free(want), checked++;

    /* A^T[i, j] = SampleNTT(rho || i || j) */
    uint8_t seed[34];
    memcpy(seed, ek + 1152, 32);
    for (unsigned i = 0; i < 3; i++)
        for (unsigned j = 0; j < 3; j++) {
            seed[32] = (uint8_t)i;
            seed[33] = (uint8_t)j;
            ss_mlkem_sample_ntt(a[3 * i + j], seed);
        }
    encode_vec(buf, a, 9);
    want = cctv_hex(INTER, "A^T", 0, 9 * 384);
    ck_assert_mem_eq(buf, want, 9 * 384);
    free(want), checked++;

    /* r, e1, e2 <- SamplePolyCBD_2(PRF_2(r, N)), N = 0..6 */
    memcpy(prf_in, k_r + 32, 32);
    for (unsigned n = 0; n < 7; n++) {
        int16_t *p = n < 3 ? r[n] : n < 6 ? e1[n - 3] : e2[0];
        prf_in[32] = (uint8_t)n;
        ss_shake256(prf, sizeof prf, prf_in, sizeof prf_in);
        ss_mlkem_cbd2(p, prf);
        for (unsigned i = 0; i < 256; i++)
            p[i] = (int16_t)modq(p[i]);
    }
    encode_vec(buf, r, 3);
    want = cctv_hex(INTER, "r", 1, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want);
    encode_vec(buf, e1, 3);
    want = cctv_hex(INTER, "e1", 0, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want);
    encode_vec(buf, e2, 1);
    want = cctv_hex(INTER, "e2", 0, 384);
    ck_assert_mem_eq(buf, want, 384);
    free(want), checked += 3;

    for (unsigned i = 0; i < 3; i++)
        ss_mlkem_ntt(r[i]);
    encode_vec(buf, r, 3);
    want = cctv_hex(INTER, "NTT(r)", 0, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want), checked++;

    /* u = NTT^-1(A^T o r-hat) + e1 */
    for (unsigned i = 0; i < 3; i++) {
        memset(u[i], 0, sizeof u[i]);
        for (unsigned j = 0; j < 3; j++) {
            ss_mlkem_multiply_ntts(tmp, a[3 * i + j], r[j]);
            add_mod(u[i], tmp);
        }
        ss_mlkem_inv_ntt(u[i]);
        add_mod(u[i], e1[i]);
    }
    encode_vec(buf, u, 3);
    want = cctv_hex(INTER, "u", 0, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want);
    cctv_coeffs(coeffs, INTER, "u[0]");
    ck_assert_mem_eq(coeffs, u[0], sizeof coeffs);
    cctv_coeffs(coeffs, INTER, "compress(u[0])");
    for (unsigned i = 0; i < 256; i++)
        ck_assert_int_eq(ss_mlkem_compress((uint16_t)u[0][i], 10), coeffs[i]);
    checked += 3;

    /* v = NTT^-1(t-hat^T o r-hat) + e2 + mu */
    for (unsigned i = 0; i < 3; i++)
        ss_mlkem_byte_decode(t[i], ek + 384 * i, 12);
    memset(v[0], 0, sizeof v[0]);
    for (unsigned j = 0; j < 3; j++) {
        ss_mlkem_multiply_ntts(tmp, t[j], r[j]);
        add_mod(v[0], tmp);
    }
    ss_mlkem_inv_ntt(v[0]);
    add_mod(v[0], e2[0]);
    ss_mlkem_byte_decode(tmp, m, 1);
    for (unsigned i = 0; i < 256; i++)
        tmp[i] = (int16_t)ss_mlkem_decompress((uint16_t)tmp[i], 1);
    add_mod(v[0], tmp);
    cctv_coeffs(coeffs, INTER, "v");
    ck_assert_mem_eq(coeffs, v[0], sizeof coeffs);
    cctv_coeffs(coeffs, INTER, "compress(v)");
    for (unsigned i = 0; i < 256; i++)
        ck_assert_int_eq(ss_mlkem_compress((uint16_t)v[0][i], 4), coeffs[i]);
    checked += 2;

    /* c1, c2, c: from the building blocks, then from Encaps itself */
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned j = 0; j < 256; j++)
            tmp[j] = (int16_t)ss_mlkem_compress((uint16_t)u[i][j], 10);
        ss_mlkem_byte_encode(buf + 320 * i, tmp, 10);
    }
    for (unsigned j = 0; j < 256; j++)
        tmp[j] = (int16_t)ss_mlkem_compress((uint16_t)v[0][j], 4);
    ss_mlkem_byte_encode(buf + 960, tmp, 4);
    want = cctv_hex(INTER, "c1", 0, 960);
    ck_assert_mem_eq(buf, want, 960);
    free(want);
    want = cctv_hex(INTER, "c2", 0, 128);
    ck_assert_mem_eq(buf + 960, want, 128);
    free(want);
    uint8_t *want_c = cctv_hex(INTER, "c", 0, 1088);
    ck_assert_mem_eq(buf, want_c, 1088);
    uint8_t ct[1088], ss[32];
    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, ss, ek, m), 0);
    ck_assert_mem_eq(ct, want_c, 1088);
    ck_assert_mem_eq(ss, want_k, 32);
    checked += 4;

    /* K-PKE.Decrypt: u^d, NTT(u^d), v^d, w; then Decaps whole */
    for (unsigned i = 0; i < 3; i++) {
        ss_mlkem_byte_decode(u[i], want_c + 320 * i, 10);
        for (unsigned j = 0; j < 256; j++)
            u[i][j] = (int16_t)ss_mlkem_decompress((uint16_t)u[i][j], 10);
    }
    encode_vec(buf, u, 3);
    want = cctv_hex(INTER, "uᵈ", 0, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want);
    for (unsigned i = 0; i < 3; i++)
        ss_mlkem_ntt(u[i]);
    encode_vec(buf, u, 3);
    want = cctv_hex(INTER, "NTT(uᵈ)", 0, 3 * 384);
    ck_assert_mem_eq(buf, want, 3 * 384);
    free(want);
    ss_mlkem_byte_decode(v[0], want_c + 960, 4);
    for (unsigned j = 0; j < 256; j++)
        v[0][j] = (int16_t)ss_mlkem_decompress((uint16_t)v[0][j], 4);
    encode_vec(buf, v, 1);
    want = cctv_hex(INTER, "vᵈ", 0, 384);
    ck_assert_mem_eq(buf, want, 384);
    free(want);
    int16_t w[256] = {0};
    for (unsigned i = 0; i < 3; i++) {
        ss_mlkem_byte_decode(t[i], dk + 384 * i, 12); /* s-hat */
        ss_mlkem_multiply_ntts(tmp, t[i], u[i]);
        add_mod(w, tmp);
    }
    ss_mlkem_inv_ntt(w);
    for (unsigned j = 0; j < 256; j++)
        w[j] = (int16_t)modq(v[0][j] - w[j]);
    ss_mlkem_byte_encode(buf, w, 12);
    want = cctv_hex(INTER, "w", 0, 384);
    ck_assert_mem_eq(buf, want, 384);
    free(want);
    ck_assert_int_eq(ss_mlkem768_decaps(ss, want_c, dk), 0);
    ck_assert_mem_eq(ss, want_k, 32);
    checked += 5;

    free(ek), free(dk), free(m), free(want_k), free(want_r), free(want_c);
    vec_report("CCTV intermediate ML-KEM-768 (Encaps, Decrypt values)", checked, 22);
}
END_TEST

/* The unlucky vector: its ek needs an unusually long SHAKE128 stream in
 * SampleNTT. (Its d and z are for the draft's KeyGen: not used.) */
START_TEST(cctv_unlucky)
{
    const char *file = "mlkem/cctv/unluckysample-ML-KEM-768.txt";
    uint8_t *ek = cctv_hex(file, "ek", 0, 1184), *m = cctv_hex(file, "m", 0, 32);
    uint8_t *k = cctv_hex(file, "K", 0, 32), *c = cctv_hex(file, "c", 0, 1088);
    uint8_t ct[1088], ss[32];
    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, ss, ek, m), 0);
    ck_assert_mem_eq(ct, c, 1088);
    ck_assert_mem_eq(ss, k, 32);
    /* and its dk, which is consistent with its ek whatever KeyGen made it */
    uint8_t *dk = cctv_hex(file, "dk", 0, 2400);
    ck_assert_int_eq(ss_mlkem768_decaps(ss, c, dk), 0);
    ck_assert_mem_eq(ss, k, 32);
    free(ek), free(m), free(k), free(c), free(dk);
    vec_report("CCTV unluckysample ML-KEM-768", 2, 2);
}
END_TEST

/* The strcmp vector: c's re-encryption differs from c after a zero byte. */
START_TEST(cctv_strcmp)
{
    const char *file = "mlkem/cctv/strcmp-ML-KEM-768.txt";
    uint8_t *dk = cctv_hex(file, "dk", 0, 2400), *c = cctv_hex(file, "c", 0, 1088);
    uint8_t *k = cctv_hex(file, "K", 0, 32), ss[32];
    ck_assert_int_eq(ss_mlkem768_decaps(ss, c, dk), 0);
    ck_assert_mem_eq(ss, k, 32);
    free(dk), free(c), free(k);
    vec_report("CCTV strcmp ML-KEM-768", 1, 1);
}
END_TEST

/* Every invalid key of modulus/: refused by the check and by Encaps. */
START_TEST(cctv_modulus)
{
    char *path = vec_path("mlkem/cctv/modulus-ML-KEM-768.txt.gz");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "cannot run %s", cmd);
    char *line = NULL;
    size_t cap = 0;
    long refused = 0;
    uint8_t m[32] = {0}, ct[1088], ss[32];
    while (getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        size_t len;
        uint8_t *ek = hex_decode(line, &len);
        ck_assert_uint_eq(len, 1184);
        ck_assert_int_eq(ss_mlkem768_check_ek(ek), -1);
        memset(ss, 0xa5, sizeof ss);
        ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, ss, ek, m), -1);
        ck_assert(all_zero(ct, sizeof ct) && all_zero(ss, sizeof ss));
        free(ek);
        refused++;
    }
    free(line);
    ck_assert_int_eq(pclose(f), 0);
    free(path);
    vec_report("CCTV modulus ML-KEM-768 (refused)", refused, 780);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The accumulated test (Go's crypto/mlkem TestAccumulated, FIPS 203 final) */
/* ---------------------------------------------------------------------- */

static void accumulated(long n, const char *expected_hex)
{
    ss_sha3_ctx in, out;
    uint8_t seed[64], m[32], ek[1184], dk[2400], ct[1088], k[32], k2[32], got[32];
    char hex[65];
    ss_shake128_init(&in);  /* inputs: SHAKE128 of the empty string */
    ss_shake128_init(&out); /* outputs: absorbed, then 32 bytes squeezed */
    for (long i = 0; i < n; i++) {
        ss_shake_squeeze(seed, sizeof seed, &in);
        ck_assert_int_eq(ss_mlkem768_keygen_derand(ek, dk, seed, seed + 32), 0);
        ss_sha3_absorb(&out, ek, sizeof ek);
        ss_shake_squeeze(m, sizeof m, &in);
        ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, k, ek, m), 0);
        ss_sha3_absorb(&out, ct, sizeof ct);
        ss_sha3_absorb(&out, k, sizeof k);
        ck_assert_int_eq(ss_mlkem768_decaps(k2, ct, dk), 0);
        ck_assert_msg(memcmp(k, k2, 32) == 0, "test %ld: Decaps(Encaps) differs", i);
        ss_shake_squeeze(ct, sizeof ct, &in); /* a random ciphertext */
        ck_assert_int_eq(ss_mlkem768_decaps(k2, ct, dk), 0);
        ss_sha3_absorb(&out, k2, sizeof k2);
    }
    ss_shake_squeeze(got, sizeof got, &out);
    hex_encode(hex, got, sizeof got);
    printf("accumulated ML-KEM-768, %ld tests: %s\n", n, hex);
    ck_assert_str_eq(hex, expected_hex);
}

START_TEST(accumulated_100)
{
    accumulated(100, "1114b1b6699ed191734fa339376afa7e285c9e6acf6ff0177d346696ce564415");
}
END_TEST

START_TEST(accumulated_10000)
{
    /* Under valgrind (make check-valgrind) 10,000 tests take minutes for
     * nothing memcheck needs: the 100-test run goes through the same code.
     * make check runs all 10,000. */
    const char *vg = getenv("SS_VALGRIND");
    if (vg != NULL && strcmp(vg, "1") == 0) {
        printf("accumulated ML-KEM-768, 10,000 tests: skipped under valgrind (100 ran)\n");
        return;
    }
    accumulated(10000, "8a518cc63da366322a8e7a818c7a0d63483cb3528d34a4cf42f35d5ad73f22fc");
}
END_TEST

START_TEST(accumulated_1000000)
{
    if (!long_tests()) {
        printf("accumulated ML-KEM-768, 1,000,000 tests: skipped (opt-in, SS_LONG=1)\n");
        return;
    }
    accumulated(1000000, "424bf8f0e8ae99b78d788a6e2e8e9cdaf9773fc0c08a6f433507cb559edfd0f0");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Properties                                                             */
/* ---------------------------------------------------------------------- */

/* Implicit rejection: a ciphertext changed in any one byte (first, middle,
 * last) decapsulates to K-bar = J(z || c) (Algorithm 18, line 7), computed
 * here from dk's last 32 bytes with SHAKE256. */
START_TEST(implicit_rejection)
{
    uint8_t ek[1184], dk[2400], ct[1088], k[32], k2[32], kbar[32], d[32], z[32], m[32];
    uint8_t zc[32 + 1088];
    static const size_t where[] = {0, 1, 543, 959, 960, 1087};
    trng_bytes(d, 32);
    trng_bytes(z, 32);
    trng_bytes(m, 32);
    ss_mlkem768_keygen_derand(ek, dk, d, z);
    ck_assert_mem_eq(dk + 2368, z, 32);
    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, k, ek, m), 0);
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        ct[where[w]] ^= 0x01;
        memcpy(zc, z, 32);
        memcpy(zc + 32, ct, 1088);
        ss_shake256(kbar, 32, zc, sizeof zc);
        ck_assert_int_eq(ss_mlkem768_decaps(k2, ct, dk), 0);
        ck_assert_mem_eq(k2, kbar, 32);
        ck_assert_mem_ne(k2, k, 32);
        ct[where[w]] ^= 0x01;
    }
    ck_assert_int_eq(ss_mlkem768_decaps(k2, ct, dk), 0);
    ck_assert_mem_eq(k2, k, 32);
}
END_TEST

/* The random forms agree with themselves and write fresh values. */
START_TEST(random_round_trip)
{
    static uint8_t ek[1184], dk[2400], ek2[1184], dk2[2400];
    uint8_t ct[1088], ct2[1088], k[32], k2[32], k3[32];
    ck_assert_int_eq(ss_mlkem768_keygen(ek, dk), 0);
    ck_assert_int_eq(ss_mlkem768_keygen(ek2, dk2), 0);
    ck_assert_mem_ne(ek, ek2, 1184);
    ck_assert_int_eq(ss_mlkem768_check_ek(ek), 0);
    ck_assert_int_eq(ss_mlkem768_check_dk(dk), 0);
    ck_assert_int_eq(ss_mlkem768_encaps(ct, k, ek), 0);
    ck_assert_int_eq(ss_mlkem768_encaps(ct2, k2, ek), 0);
    ck_assert_mem_ne(k, k2, 32);
    ck_assert_int_eq(ss_mlkem768_decaps(k3, ct, dk), 0);
    ck_assert_mem_eq(k, k3, 32);
    ck_assert_int_eq(ss_mlkem768_decaps(k3, ct2, dk), 0);
    ck_assert_mem_eq(k2, k3, 32);
}
END_TEST

/* The hash check catches a change anywhere in dk's ek or in h; a change in
 * dk_PKE or z passes the check (FIPS 203 §7.3 checks only ek and h). */
START_TEST(dk_check_positions)
{
    static uint8_t ek[1184], dk[2400];
    uint8_t d[32] = {1}, z[32] = {2}, ct[1088] = {0}, ss[32];
    ss_mlkem768_keygen_derand(ek, dk, d, z);
    for (size_t i = 0; i < 2400; i += 7) {
        dk[i] ^= 0x80;
        int want = (i >= 1152 && i < 2368) ? -1 : 0;
        ck_assert_msg(ss_mlkem768_check_dk(dk) == want, "byte %zu", i);
        ck_assert_int_eq(ss_mlkem768_decaps(ss, ct, dk), want);
        dk[i] ^= 0x80;
    }
    /* ek's modulus check: the largest valid value, q - 1, passes, q fails. */
    uint8_t e[1184];
    memset(e, 0, sizeof e);
    e[0] = (Q - 1) & 0xff;
    e[1] = (Q - 1) >> 8;
    ck_assert_int_eq(ss_mlkem768_check_ek(e), 0);
    e[0] = Q & 0xff;
    e[1] = Q >> 8;
    ck_assert_int_eq(ss_mlkem768_check_ek(e), -1);
    memset(e, 0, sizeof e);
    e[1150] = (uint8_t)(Q << 4); /* the last 12-bit value */
    e[1151] = (uint8_t)(Q >> 4);
    ck_assert_int_eq(ss_mlkem768_check_ek(e), -1);
    memset(e + 1152, 0xff, 32); /* rho is not checked */
    e[1150] = e[1151] = 0;
    ck_assert_int_eq(ss_mlkem768_check_ek(e), 0);
}
END_TEST

/* The overlaps mlkem.h allows: outputs over the seeds, ss over ct or dk. */
START_TEST(outputs_may_overlap_inputs)
{
    static uint8_t ek[1184], dk[2400], ek2[1184], dk2[2400], ct[1088], ct2[1088];
    uint8_t d[32], z[32], m[32], k[32], k2[32];
    trng_bytes(d, 32);
    trng_bytes(z, 32);
    trng_bytes(m, 32);
    ss_mlkem768_keygen_derand(ek, dk, d, z);
    memcpy(dk2, d, 32); /* d and z inside dk's buffer */
    memcpy(dk2 + 2368, z, 32);
    ss_mlkem768_keygen_derand(ek2, dk2, dk2, dk2 + 2368);
    ck_assert_mem_eq(ek, ek2, sizeof ek);
    ck_assert_mem_eq(dk, dk2, sizeof dk);
    memcpy(ek2, d, 32); /* d inside ek's buffer */
    ss_mlkem768_keygen_derand(ek2, dk2, ek2, z);
    ck_assert_mem_eq(ek, ek2, sizeof ek);

    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct, k, ek, m), 0);
    memcpy(k2, m, 32); /* m in ss's buffer */
    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct2, k2, ek, k2), 0);
    ck_assert_mem_eq(ct, ct2, sizeof ct);
    ck_assert_mem_eq(k, k2, 32);
    memcpy(ct2, m, 32); /* m in ct's buffer */
    ck_assert_int_eq(ss_mlkem768_encaps_derand(ct2, k2, ek, ct2), 0);
    ck_assert_mem_eq(ct, ct2, sizeof ct);

    memcpy(ct2, ct, sizeof ct); /* ss over the ciphertext */
    ck_assert_int_eq(ss_mlkem768_decaps(ct2, ct2, dk), 0);
    ck_assert_mem_eq(ct2, k, 32);
    ct[5] ^= 1; /* and on the rejection path */
    ck_assert_int_eq(ss_mlkem768_decaps(k2, ct, dk), 0);
    memcpy(ct2, ct, sizeof ct);
    ck_assert_int_eq(ss_mlkem768_decaps(ct2, ct2, dk), 0);
    ck_assert_mem_eq(ct2, k2, 32);
    memcpy(dk2, dk, sizeof dk); /* ss over dk's z */
    ck_assert_int_eq(ss_mlkem768_decaps(dk2 + 2368, ct, dk2), 0);
    ck_assert_mem_eq(dk2 + 2368, k2, 32);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("mlkem");
    double slow = long_tests() ? 7200 : 600;

    TCase *blocks = tcase_create("building blocks");
    tcase_set_timeout(blocks, 60);
    tcase_add_test(blocks, reduce_every_int16);
    tcase_add_test(blocks, ntt_matches_definition);
    tcase_add_test(blocks, inv_ntt_inverts);
    tcase_add_test(blocks, multiply_ntts_is_ring_product);
    tcase_add_test(blocks, compress_every_value);
    tcase_add_test(blocks, byte_encode_decode);
    tcase_add_test(blocks, cbd2_matches_definition);
    tcase_add_test(blocks, sample_ntt_matches_definition);
    tcase_add_test(blocks, sample_ntt_x4_matches_one_way);
    tcase_add_test(blocks, shake_x4_matches_one_way);
    tcase_add_test(blocks, ntt_extreme_inputs);
    suite_add_tcase(s, blocks);

    TCase *vec = tcase_create("vectors");
    tcase_set_timeout(vec, 120);
    tcase_add_test(vec, acvp_keygen);
    tcase_add_test(vec, acvp_encap_decap);
    tcase_add_test(vec, wycheproof_keygen_seed);
    tcase_add_test(vec, wycheproof_decaps);
    tcase_add_test(vec, wycheproof_encaps);
    tcase_add_test(vec, wycheproof_semi_expanded_decaps);
    tcase_add_test(vec, cctv_intermediate);
    tcase_add_test(vec, cctv_unlucky);
    tcase_add_test(vec, cctv_strcmp);
    tcase_add_test(vec, cctv_modulus);
    suite_add_tcase(s, vec);

    TCase *acc = tcase_create("accumulated");
    tcase_set_timeout(acc, slow);
    tcase_add_test(acc, accumulated_100);
    tcase_add_test(acc, accumulated_10000);
    tcase_add_test(acc, accumulated_1000000);
    suite_add_tcase(s, acc);

    TCase *prop = tcase_create("properties");
    tcase_set_timeout(prop, 60);
    tcase_add_test(prop, implicit_rejection);
    tcase_add_test(prop, random_round_trip);
    tcase_add_test(prop, dk_check_positions);
    tcase_add_test(prop, outputs_may_overlap_inputs);
    suite_add_tcase(s, prop);

    return run_suite(s);
}
