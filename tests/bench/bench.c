/*
 * bench.c — the primitives beside libsodium and OpenSSL (make bench).
 *
 * For each figure, rounds alternate: ours, libsodium, OpenSSL, ours, ...
 * Each round runs the operation for about ROUND_MS milliseconds and
 * gives a rate; the median of the rounds is printed with the ratio of ours
 * to each other library (above 1.0: ours is faster). The machine is shared,
 * so alternating rounds and medians matter more than long runs.
 *
 * Output: a table for people on stdout, and one machine-readable line per
 * figure, starting with "BENCH ", e.g.
 *   BENCH primitive=chacha20 size=16384 unit=MB/s ours=... libsodium=... openssl=...
 *
 * Set SS_CPU (see src/crypto/cpu.c) to measure one path. Not a test: no
 * figure here can fail; speed is reported, never asserted.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aead.h"
#include "crypto/chacha20.h"
#include "crypto/cpu.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/mlkem.h"
#include "crypto/mlkem_internal.h"
#include "crypto/poly1305.h"
#include "crypto/sha256.h"
#include "crypto/x25519.h"
#include "paths.h"

#define ROUNDS 7
#define ROUND_MS 60
#define MAX_IMPL 3

static uint8_t *buf_in, *buf_out;
static uint8_t key[32], nonce[12], tag[16], point[32], result[32];
static size_t cur_len;
static volatile uint8_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the operations, one function per (primitive, library) ---- */

typedef void (*op_fn)(void);

static void ours_sha256(void) { ss_sha256(result, buf_in, cur_len); }
static void sodium_sha256(void) { crypto_hash_sha256(result, buf_in, cur_len); }
static void ossl_sha256(void)
{
    unsigned int n = 32;
    EVP_Digest(buf_in, cur_len, result, &n, EVP_sha256(), NULL);
}

static void ours_hmac(void) { ss_hmac_sha256(result, key, 32, buf_in, cur_len); }
static void sodium_hmac(void) { crypto_auth_hmacsha256(result, buf_in, cur_len, key); }
static void ossl_hmac(void)
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, 32, buf_in, cur_len, result, &n);
}

static void ours_hkdf(void) { ss_hkdf_sha256(buf_out, 64, key, 32, point, 32, nonce, 12); }
static void sodium_hkdf(void)
{
    uint8_t prk[32];
    /* libsodium 1.0.18 has no HKDF API: extract and expand by hand with
     * its HMAC, as RFC 5869 §2.2-§2.3 define them (two output blocks). */
    uint8_t t[32 + 12 + 1];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, point, 32);
    crypto_auth_hmacsha256_final(&st, prk);
    memcpy(t, nonce, 12);
    t[12] = 1;
    crypto_auth_hmacsha256_init(&st, prk, 32);
    crypto_auth_hmacsha256_update(&st, t, 13);
    crypto_auth_hmacsha256_final(&st, buf_out);
    crypto_auth_hmacsha256_init(&st, prk, 32);
    crypto_auth_hmacsha256_update(&st, buf_out, 32);
    t[12] = 2;
    crypto_auth_hmacsha256_update(&st, t, 13);
    crypto_auth_hmacsha256_final(&st, buf_out + 32);
}
static EVP_PKEY_CTX *hkdf_ctx;
static void ossl_hkdf(void)
{
    size_t n = 64;
    EVP_PKEY_derive_init(hkdf_ctx);
    EVP_PKEY_CTX_set_hkdf_md(hkdf_ctx, EVP_sha256());
    EVP_PKEY_CTX_set1_hkdf_salt(hkdf_ctx, key, 32);
    EVP_PKEY_CTX_set1_hkdf_key(hkdf_ctx, point, 32);
    EVP_PKEY_CTX_add1_hkdf_info(hkdf_ctx, nonce, 12);
    EVP_PKEY_derive(hkdf_ctx, buf_out, &n);
}

static void ours_chacha20(void) { ss_chacha20_xor(buf_out, buf_in, cur_len, key, 1, nonce); }
static void sodium_chacha20(void)
{
    crypto_stream_chacha20_ietf_xor_ic(buf_out, buf_in, cur_len, nonce, 1, key);
}
static EVP_CIPHER_CTX *cipher_ctx;
static void ossl_chacha20(void)
{
    uint8_t iv[16] = {1, 0, 0, 0};
    int n;
    memcpy(iv + 4, nonce, 12);
    EVP_EncryptInit_ex(cipher_ctx, EVP_chacha20(), NULL, key, iv);
    EVP_EncryptUpdate(cipher_ctx, buf_out, &n, buf_in, (int)cur_len);
}

static void ours_poly1305(void) { ss_poly1305(tag, buf_in, cur_len, key); }
static void sodium_poly1305(void) { crypto_onetimeauth_poly1305(tag, buf_in, cur_len, key); }
static EVP_MAC *poly_mac;
static void ossl_poly1305(void)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(poly_mac);
    size_t n;
    EVP_MAC_init(c, key, 32, NULL);
    EVP_MAC_update(c, buf_in, cur_len);
    EVP_MAC_final(c, tag, &n, 16);
    EVP_MAC_CTX_free(c);
}

static void ours_seal(void) { (void)ss_aead_seal(buf_out, tag, key, nonce, NULL, 0, buf_in, cur_len); }
static void sodium_seal(void)
{
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf_out, tag, NULL, buf_in, cur_len, NULL,
                                                       0, NULL, nonce, key);
}
static void ossl_seal(void)
{
    int n;
    EVP_EncryptInit_ex(cipher_ctx, EVP_chacha20_poly1305(), NULL, key, nonce);
    EVP_EncryptUpdate(cipher_ctx, buf_out, &n, buf_in, (int)cur_len);
    EVP_EncryptFinal_ex(cipher_ctx, buf_out + n, &n);
    EVP_CIPHER_CTX_ctrl(cipher_ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
}

/* Open: buf_out holds a valid sealing of buf_in (prepared before). */
static uint8_t open_tag[16];
static void ours_open(void)
{
    sink ^= (uint8_t)ss_aead_open(buf_in, key, nonce, NULL, 0, buf_out, cur_len, open_tag);
}
static void sodium_open(void)
{
    sink ^= (uint8_t)crypto_aead_chacha20poly1305_ietf_decrypt_detached(
        buf_in, NULL, buf_out, cur_len, open_tag, NULL, 0, nonce, key);
}
static void ossl_open(void)
{
    int n;
    EVP_DecryptInit_ex(cipher_ctx, EVP_chacha20_poly1305(), NULL, key, nonce);
    EVP_DecryptUpdate(cipher_ctx, buf_in, &n, buf_out, (int)cur_len);
    EVP_CIPHER_CTX_ctrl(cipher_ctx, EVP_CTRL_AEAD_SET_TAG, 16, open_tag);
    sink ^= (uint8_t)EVP_DecryptFinal_ex(cipher_ctx, buf_in + n, &n);
}

static void ours_x25519(void) { sink ^= (uint8_t)ss_x25519(result, key, point); }
static void sodium_x25519(void) { sink ^= (uint8_t)crypto_scalarmult(result, key, point); }
static EVP_PKEY *ossl_priv, *ossl_peer;
static void ossl_x25519(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(ossl_priv, NULL);
    size_t n = 32;
    EVP_PKEY_derive_init(c);
    EVP_PKEY_derive_set_peer(c, ossl_peer);
    EVP_PKEY_derive(c, result, &n);
    EVP_PKEY_CTX_free(c);
}

static void ours_x25519_base(void) { ss_x25519_public_key(result, key); }
static void sodium_x25519_base(void) { crypto_scalarmult_base(result, key); }
static void ossl_x25519_base(void)
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, key, 32);
    size_t n = 32;
    EVP_PKEY_get_raw_public_key(k, result, &n);
    EVP_PKEY_free(k);
}

/* ML-KEM-768 (FIPS 203). Neither Debian's libsodium (1.0.18) nor OpenSSL
 * 3.0 has it, so these figures stand alone (ours_only below). */
static uint8_t mlkem_ek[1184], mlkem_dk[2400], mlkem_ct[1088];
static void ours_mlkem_keygen(void) { (void)ss_mlkem768_keygen_derand(mlkem_ek, mlkem_dk, key, point); }
static void ours_mlkem_encaps(void) { (void)ss_mlkem768_encaps_derand(mlkem_ct, result, mlkem_ek, key); }
static void ours_mlkem_decaps(void) { (void)ss_mlkem768_decaps(result, mlkem_ct, mlkem_dk); }

/* Its steps, each on the path SS_CPU chooses (docs/performance.md, "ML-KEM
 * at vector speed"): the NTT, its inverse, MultiplyNTTs, and a row of
 * A-hat (three SampleNTT: four-way SHAKE128 with AVX2, else one by one).
 * Canonical polynomials in, canonical out, so each can run on its own
 * output. */
static int16_t mlkem_f[256], mlkem_g[256], mlkem_row[3][256];
static uint8_t mlkem_seeds[3][34];
static void ours_mlkem_ntt(void) { ss_mlkem_ntt(mlkem_f); }
static void ours_mlkem_inv_ntt(void) { ss_mlkem_inv_ntt(mlkem_f); }
static void ours_mlkem_mul(void) { ss_mlkem_multiply_ntts(mlkem_f, mlkem_f, mlkem_g); }
static void ours_mlkem_row(void)
{
#if defined(__x86_64__)
    if (ss_cpu_features() & SS_CPU_AVX2) {
        ss_mlkem_sample_ntt_x4(mlkem_row, (const uint8_t(*)[34])mlkem_seeds, 3);
        return;
    }
#endif
    for (unsigned j = 0; j < 3; j++)
        ss_mlkem_sample_ntt(mlkem_row[j], mlkem_seeds[j]);
}

/* ---- measuring ---- */

/* Runs op for about ROUND_MS ms; returns operations per second. */
static double round_rate(op_fn op)
{
    long n = 0, batch = 1;
    double t0 = now(), t;
    do {
        for (long i = 0; i < batch; i++)
            op();
        n += batch;
        if (batch < 1 << 20)
            batch *= 2;
        t = now();
    } while (t - t0 < ROUND_MS / 1000.0);
    return (double)n / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Which kind of path (paths.h) computes the figure called name. */
static const char *kind_of(const char *name)
{
    if (strncmp(name, "sha256", 6) == 0 || strncmp(name, "hmac", 4) == 0 ||
        strncmp(name, "hkdf", 4) == 0)
        return "sha";
    if (strcmp(name, "poly1305") == 0)
        return "poly";
    if (strcmp(name, "x25519") == 0 || strcmp(name, "x25519-base") == 0)
        return name;
    return "chacha"; /* ChaCha20 and the AEAD (whose Poly1305 takes the same level) */
}

static const char *impl_names[MAX_IMPL] = {"ours", "libsodium", "openssl"};

/* One figure: alternate the implementations for ROUNDS rounds, print the
 * medians. bytes > 0: MB/s of bytes per operation; bytes == 0: ops/s. */
static void figure(const char *name, size_t bytes, op_fn impl[MAX_IMPL])
{
    double rates[MAX_IMPL][ROUNDS], med[MAX_IMPL];
    cur_len = bytes;
    for (int i = 0; i < MAX_IMPL; i++)
        impl[i](); /* warm-up: first-touch pages, lazy initialisation */
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < MAX_IMPL; i++)
            rates[i][r] = round_rate(impl[i]);
    for (int i = 0; i < MAX_IMPL; i++) {
        qsort(rates[i], ROUNDS, sizeof(double), cmp_double);
        med[i] = rates[i][ROUNDS / 2];
        if (bytes > 0)
            med[i] = med[i] * (double)bytes / 1e6;
    }
    const char *unit = bytes > 0 ? "MB/s" : "op/s";
    char label[64];
    if (bytes >= 1 << 20)
        snprintf(label, sizeof label, "%s %zu MiB", name, bytes >> 20);
    else if (bytes >= 1024)
        snprintf(label, sizeof label, "%s %zu KiB", name, bytes >> 10);
    else if (bytes > 0)
        snprintf(label, sizeof label, "%s %zu B", name, bytes);
    else
        snprintf(label, sizeof label, "%s", name);
    printf("%-24s %10.0f %10.0f %10.0f %4s   %5.2f  %5.2f\n", label, med[0], med[1], med[2], unit,
           med[0] / med[1], med[0] / med[2]);
    printf("BENCH primitive=%s size=%zu unit=%s", name, bytes, unit);
    for (int i = 0; i < MAX_IMPL; i++)
        printf(" %s=%.1f", impl_names[i], med[i]);
    printf(" ratio_libsodium=%.3f ratio_openssl=%.3f path=%s\n", med[0] / med[1],
           med[0] / med[2], bench_path(kind_of(name)));
    bench_print_path(kind_of(name));
    fflush(stdout);
}

/* Cycles of one call of op, the fewest of 1,000 (the time-stamp counter
 * on x86-64, which counts at the nominal frequency; 0 elsewhere). */
static double cycles(op_fn op)
{
#if defined(__x86_64__)
    unsigned long long best = ~0ULL;
    for (int i = 0; i < 1000; i++) {
        unsigned lo, hi, lo2, hi2;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        op();
        __asm__ __volatile__("rdtsc" : "=a"(lo2), "=d"(hi2));
        unsigned long long c = (((unsigned long long)hi2 << 32) | lo2) -
                               (((unsigned long long)hi << 32) | lo);
        if (c < best)
            best = c;
    }
    return (double)best;
#else
    (void)op;
    return 0;
#endif
}

/* A figure without a comparison: the median of ROUNDS rounds in op/s, and
 * the cycles of one operation. */
static void ours_only(const char *name, op_fn op)
{
    double rates[ROUNDS];
    op(); /* warm-up */
    for (int r = 0; r < ROUNDS; r++)
        rates[r] = round_rate(op);
    qsort(rates, ROUNDS, sizeof(double), cmp_double);
    double c = cycles(op);
    printf("%-24s %10.0f %10s %10s op/s   (%.0f cycles)\n", name, rates[ROUNDS / 2], "-", "-", c);
    printf("BENCH primitive=%s size=0 unit=op/s ours=%.1f cycles=%.0f\n", name, rates[ROUNDS / 2],
           c);
    fflush(stdout);
}

int main(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "bench: libsodium failed to initialise\n");
        return 1;
    }
    const size_t big = 1 << 20;
    buf_in = malloc(big + 64);
    buf_out = malloc(big + 64);
    if (buf_in == NULL || buf_out == NULL)
        return 1;
    randombytes_buf(buf_in, big);
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(point, sizeof point);
    point[31] &= 0x7f;
    cipher_ctx = EVP_CIPHER_CTX_new();
    hkdf_ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    poly_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
    ossl_priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, key, 32);
    ossl_peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
    if (!cipher_ctx || !hkdf_ctx || !poly_mac || !ossl_priv || !ossl_peer) {
        fprintf(stderr, "bench: OpenSSL set-up failed\n");
        return 1;
    }

    unsigned cpu = ss_cpu_features();
    printf("primitives (SS_CPU paths in use:%s%s%s%s%s%s%s), medians of %d alternating rounds\n",
           cpu == 0 ? " ref" : "", cpu & SS_CPU_PORTABLE ? " portable" : "",
           cpu & SS_CPU_SSE2 ? " sse2" : "", cpu & SS_CPU_AVX2 ? " avx2" : "",
           cpu & SS_CPU_AVX512 ? " avx512" : "", cpu & SS_CPU_SHA ? " sha" : "",
           cpu & SS_CPU_ADX ? " adx" : "", ROUNDS);
    printf("%-24s %10s %10s %10s %4s   %5s  %5s\n", "figure", "ours", "libsodium", "openssl", "",
           "/sod", "/ossl");

    const char *only = getenv("SS_BENCH_ONLY"); /* e.g. "aead" while tuning */
#define WANT(n) (only == NULL || strstr(n, only) != NULL)
    op_fn sha[] = {ours_sha256, sodium_sha256, ossl_sha256};
    op_fn hmac[] = {ours_hmac, sodium_hmac, ossl_hmac};
    op_fn hkdf[] = {ours_hkdf, sodium_hkdf, ossl_hkdf};
    op_fn chacha[] = {ours_chacha20, sodium_chacha20, ossl_chacha20};
    op_fn poly[] = {ours_poly1305, sodium_poly1305, ossl_poly1305};
    op_fn seal[] = {ours_seal, sodium_seal, ossl_seal};
    op_fn open[] = {ours_open, sodium_open, ossl_open};
    op_fn x[] = {ours_x25519, sodium_x25519, ossl_x25519};
    op_fn xb[] = {ours_x25519_base, sodium_x25519_base, ossl_x25519_base};
    const size_t sha_sizes[] = {64, 1024, 1 << 20}, hmac_sizes[] = {64, 1024};
    const size_t aead_sizes[] = {64, 1024, 16384, 1 << 20};
    if (WANT("sha256"))
        for (size_t i = 0; i < 3; i++)
            figure("sha256", sha_sizes[i], sha);
    if (WANT("hmac"))
        for (size_t i = 0; i < 2; i++)
            figure("hmac-sha256", hmac_sizes[i], hmac);
    if (WANT("hkdf"))
        figure("hkdf-sha256-64B", 0, hkdf);
    if (WANT("chacha20"))
        figure("chacha20", 16384, chacha);
    if (WANT("poly1305"))
        figure("poly1305", 16384, poly);
    for (size_t i = 0; i < 4; i++) {
        if (WANT("aead-seal"))
            figure("aead-seal", aead_sizes[i], seal);
        if (WANT("aead-open")) {
            cur_len = aead_sizes[i];
            ss_aead_seal(buf_out, open_tag, key, nonce, NULL, 0, buf_in, cur_len);
            figure("aead-open", aead_sizes[i], open);
        }
    }
    if (WANT("x25519")) {
        figure("x25519", 0, x);
        figure("x25519-base", 0, xb);
    }
    if (WANT("mlkem768")) {
        ours_mlkem_keygen();
        ours_mlkem_encaps();
        ours_only("mlkem768-keygen", ours_mlkem_keygen);
        ours_only("mlkem768-encaps", ours_mlkem_encaps);
        ours_only("mlkem768-decaps", ours_mlkem_decaps);
        for (unsigned i = 0; i < 256; i++) {
            mlkem_f[i] = (int16_t)(key[i % 32] * 13 % 3329);
            mlkem_g[i] = (int16_t)(point[i % 32] * 13 % 3329);
        }
        for (unsigned j = 0; j < 3; j++) {
            memcpy(mlkem_seeds[j], key, 32);
            mlkem_seeds[j][32] = (uint8_t)j;
            mlkem_seeds[j][33] = 0;
        }
        ours_only("mlkem768-ntt", ours_mlkem_ntt);
        ours_only("mlkem768-inv-ntt", ours_mlkem_inv_ntt);
        ours_only("mlkem768-multiply-ntts", ours_mlkem_mul);
        ours_only("mlkem768-matrix-row", ours_mlkem_row);
    }
    EVP_CIPHER_CTX_free(cipher_ctx);
    EVP_PKEY_CTX_free(hkdf_ctx);
    EVP_MAC_free(poly_mac);
    EVP_PKEY_free(ossl_priv);
    EVP_PKEY_free(ossl_peer);
    free(buf_in);
    free(buf_out);
    return 0;
}
