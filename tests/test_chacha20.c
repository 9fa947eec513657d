/*
 * test_chacha20.c — ChaCha20 (RFC 8439 §2.1-§2.4).
 *
 *  - vectors: RFC 8439 §2.1.1 and §2.2.1 (quarter round), §2.3.2 and A.1
 *    (block function), §2.4.2, the encryption step of §2.8.2, and A.2
 *    (encryption), from vectors/rfc8439/;
 *  - properties: in place == out of place, block == keystream of zeros,
 *    long keystreams == consecutive blocks (across the counter's wrap and
 *    every fast path's group size), splitting a message at block
 *    boundaries, the last counter value,
 *    NULL with length 0;
 *  - differential: diff_cases() random cases against OpenSSL's EVP_chacha20,
 *    lengths 0..2200 plus a few large ones.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/chacha20.h"

/* ---- helpers ---- */

/* Parses n whitespace-separated hex words ("879531e0 c5ecf37d ...") and
 * checks nothing else follows. */
static void parse_words(uint32_t *out, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        ck_assert_msg(end != s, "expected %zu hex words in \"%s\"", n, s);
        ck_assert(v <= 0xffffffffUL);
        out[i] = (uint32_t)v;
        s = end;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    ck_assert_msg(*s == '\0', "trailing text after %zu words: \"%s\"", n, s);
}

static void parse_indices(size_t out[4], const char *s)
{
    for (size_t i = 0; i < 4; i++) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        ck_assert(end != s && v < 16);
        out[i] = (size_t)v;
        s = end;
    }
}

static uint32_t counter_field(const vec_record *rec)
{
    long c = vec_long(rec, "Counter");
    ck_assert(c >= 0 && c <= 0xffffffffL);
    return (uint32_t)c;
}

/* ---- RFC 8439 vectors ---- */

START_TEST(rfc8439_quarter_round)
{
    vec_file *vf = vec_open("rfc8439/chacha20_quarter_round.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        const char *section = vec_get(&rec, "Section");
        ck_assert_ptr_nonnull(section);
        if (vec_get(&rec, "In") != NULL) {
            /* §2.1.1: a, b, c, d in, a, b, c, d out. Put them at indices
             * 0..3 of a state and run QUARTERROUND(0, 1, 2, 3). */
            uint32_t state[16] = {0}, want[4];
            parse_words(state, 4, vec_get(&rec, "In"));
            parse_words(want, 4, vec_get(&rec, "Out"));
            ss_chacha20_quarter_round(state, 0, 1, 2, 3);
            ck_assert_msg(memcmp(state, want, sizeof want) == 0, "%s", section);
            for (size_t i = 4; i < 16; i++)
                ck_assert_uint_eq(state[i], 0); /* the other words untouched */
        } else {
            /* §2.2.1: a whole state, QUARTERROUND(Indices). */
            uint32_t state[16], want[16];
            size_t idx[4];
            parse_words(state, 16, vec_get(&rec, "State"));
            parse_indices(idx, vec_get(&rec, "Indices"));
            parse_words(want, 16, vec_get(&rec, "Result"));
            ss_chacha20_quarter_round(state, idx[0], idx[1], idx[2], idx[3]);
            ck_assert_msg(memcmp(state, want, sizeof want) == 0, "%s", section);
        }
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.1.1, 2.2.1 (quarter round)", passed, 2);
}
END_TEST

START_TEST(rfc8439_block)
{
    vec_file *vf = vec_open("rfc8439/chacha20_block.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        uint8_t *key = vec_hex_len(&rec, "Key", 32);
        uint8_t *nonce = vec_hex_len(&rec, "Nonce", 12);
        uint8_t *want = vec_hex_len(&rec, "Block", 64);
        uint8_t out[64];
        ss_chacha20_block(out, key, counter_field(&rec), nonce);
        ck_assert_mem_eq(out, want, 64);
        free(key);
        free(nonce);
        free(want);
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.3.2, A.1 #1-#5 (block function)", passed, 6);
}
END_TEST

START_TEST(rfc8439_encrypt)
{
    vec_file *vf = vec_open("rfc8439/chacha20_encrypt.txt");
    vec_record rec = {0};
    long passed = 0;
    while (vec_next(vf, &rec)) {
        size_t len, ct_len;
        uint8_t *key = vec_hex_len(&rec, "Key", 32);
        uint8_t *nonce = vec_hex_len(&rec, "Nonce", 12);
        uint8_t *pt = vec_hex(&rec, "Plaintext", &len);
        uint8_t *ct = vec_hex(&rec, "Ciphertext", &ct_len);
        uint32_t counter = counter_field(&rec);
        ck_assert_uint_eq(len, ct_len);
        uint8_t *out = malloc(len + 1);
        ck_assert_ptr_nonnull(out);

        /* Encryption, out of place and in place; decryption. */
        ss_chacha20_xor(out, pt, len, key, counter, nonce);
        ck_assert_mem_eq(out, ct, len);
        memcpy(out, pt, len);
        ss_chacha20_xor(out, out, len, key, counter, nonce);
        ck_assert_mem_eq(out, ct, len);
        ss_chacha20_xor(out, ct, len, key, counter, nonce);
        ck_assert_mem_eq(out, pt, len);

        /* Where the RFC prints the keystream: it is the encryption of zeros. */
        if (vec_get(&rec, "Keystream") != NULL) {
            uint8_t *ks = vec_hex_len(&rec, "Keystream", len);
            memset(out, 0, len);
            ss_chacha20_xor(out, out, len, key, counter, nonce);
            ck_assert_mem_eq(out, ks, len);
            free(ks);
        }
        free(key);
        free(nonce);
        free(pt);
        free(ct);
        free(out);
        passed++;
    }
    vec_close(vf);
    vec_report("RFC 8439 2.4.2, 2.8.2, A.2 #1-#3 (encryption)", passed, 5);
}
END_TEST

/* ---- properties ---- */

START_TEST(in_place_equals_out_of_place)
{
    static uint8_t msg[70000], a[70000], b[70000];
    uint8_t key[32], nonce[12];
    const size_t large[] = {1000, 4096, 4097, 70000};
    for (size_t i = 0; i < 301 + sizeof large / sizeof large[0]; i++) {
        size_t len = i < 301 ? i : large[i - 301];
        uint32_t counter = (uint32_t)trng_u64() & 0x7fffffff;
        trng_bytes(key, sizeof key);
        trng_bytes(nonce, sizeof nonce);
        trng_bytes(msg, len);
        ss_chacha20_xor(a, msg, len, key, counter, nonce);
        memcpy(b, msg, len);
        ss_chacha20_xor(b, b, len, key, counter, nonce);
        ck_assert_mem_eq(a, b, len);
        /* and it is an involution: applying it again gives the message */
        ss_chacha20_xor(b, b, len, key, counter, nonce);
        ck_assert_mem_eq(b, msg, len);
    }
}
END_TEST

START_TEST(block_is_keystream)
{
    /* ss_chacha20_block(counter) == ss_chacha20_xor of 64 zero bytes at
     * the same counter, including the last counter value 2^32 - 1. */
    uint8_t key[32], nonce[12], blk[64], ks[64];
    for (int i = 0; i < 200; i++) {
        uint32_t counter = i == 0 ? 0xffffffffu : (uint32_t)trng_u64();
        trng_bytes(key, sizeof key);
        trng_bytes(nonce, sizeof nonce);
        ss_chacha20_block(blk, key, counter, nonce);
        memset(ks, 0, sizeof ks);
        ss_chacha20_xor(ks, ks, sizeof ks, key, counter, nonce);
        ck_assert_mem_eq(blk, ks, 64);
    }
}
END_TEST

START_TEST(long_keystream_is_blocks)
{
    /* The keystream of a long message is the blocks counter, counter + 1,
     * ... of the block function, wrapping modulo 2^32 as §2.4's 32-bit
     * counter does -- also when the wrap falls inside a group of blocks
     * that a fast path (src/crypto/chacha20_*.c) computes at once. The
     * lengths cross every group size (2, 4, 8 and 16 blocks) and tail. */
    static const size_t lens[] = {1,   63,   64,   65,   127,  128,  255,  256,  257,  511, 512,
                                  513, 1023, 1024, 1025, 1100, 1536, 1537, 1601, 2047, 4113};
    static uint8_t ks[4113], want[4113 + 64];
    uint8_t key[32], nonce[12];
    for (int i = 0; i < 8; i++) {
        /* half near the wrap (2^32 - 1 - i), half anywhere */
        uint32_t counter = i < 4 ? 0xffffffffu - (uint32_t)(3 * i) : (uint32_t)trng_u64();
        trng_bytes(key, sizeof key);
        trng_bytes(nonce, sizeof nonce);
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t len = lens[k];
            for (size_t j = 0; 64 * j < len; j++)
                ss_chacha20_block(want + 64 * j, key, counter + (uint32_t)j, nonce);
            memset(ks, 0, len);
            ss_chacha20_xor(ks, ks, len, key, counter, nonce);
            ck_assert_msg(memcmp(ks, want, len) == 0, "len %zu counter %08x", len,
                          (unsigned)counter);
        }
    }
}
END_TEST

START_TEST(split_at_block_boundaries)
{
    /* Encrypting a message in one call equals encrypting its first 64*k
     * bytes, then the rest with the counter advanced by k (§2.4). */
    uint8_t key[32], nonce[12], msg[600], whole[600], parts[600];
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    trng_bytes(msg, sizeof msg);
    const uint32_t counter = 7;
    ss_chacha20_xor(whole, msg, sizeof msg, key, counter, nonce);
    for (size_t k = 0; k * 64 <= sizeof msg; k++) {
        ss_chacha20_xor(parts, msg, 64 * k, key, counter, nonce);
        ss_chacha20_xor(parts + 64 * k, msg + 64 * k, sizeof msg - 64 * k, key,
                        counter + (uint32_t)k, nonce);
        ck_assert_mem_eq(parts, whole, sizeof msg);
    }
    /* Each block of the stream is the block function at counter + j. */
    for (size_t j = 0; j < sizeof msg / 64; j++) {
        uint8_t blk[64];
        ss_chacha20_block(blk, key, counter + (uint32_t)j, nonce);
        for (size_t i = 0; i < 64; i++)
            ck_assert_uint_eq(whole[64 * j + i], (uint8_t)(msg[64 * j + i] ^ blk[i]));
    }
}
END_TEST

START_TEST(different_inputs_different_streams)
{
    /* Changing one bit of the key, the nonce or the counter changes the
     * keystream block (a wrong state layout could ignore a word). */
    uint8_t key[32], nonce[12], base[64], other[64];
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    ss_chacha20_block(base, key, 5, nonce);
    for (size_t bit = 0; bit < 256; bit++) {
        key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ss_chacha20_block(other, key, 5, nonce);
        ck_assert(memcmp(base, other, 64) != 0);
        key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 96; bit++) {
        nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ss_chacha20_block(other, key, 5, nonce);
        ck_assert(memcmp(base, other, 64) != 0);
        nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (unsigned bit = 0; bit < 32; bit++) {
        ss_chacha20_block(other, key, 5u ^ (1u << bit), nonce);
        ck_assert(memcmp(base, other, 64) != 0);
    }
}
END_TEST

START_TEST(null_with_zero_length)
{
    uint8_t key[32] = {1}, nonce[12] = {2}, buf[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    const uint8_t same[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    ss_chacha20_xor(NULL, NULL, 0, key, 0, nonce);
    ss_chacha20_xor(buf, buf, 0, key, 0, nonce); /* length 0 writes nothing */
    ck_assert_mem_eq(buf, same, sizeof buf);
}
END_TEST

/* ---- differential: OpenSSL ---- */

/* OpenSSL's EVP_chacha20 takes a 16-byte IV: the 32-bit block counter
 * (little-endian) followed by the 96-bit nonce, i.e. state words 12-15. */
static void openssl_chacha20(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
                             uint32_t counter, const uint8_t nonce[12])
{
    uint8_t iv[16];
    iv[0] = (uint8_t)counter;
    iv[1] = (uint8_t)(counter >> 8);
    iv[2] = (uint8_t)(counter >> 16);
    iv[3] = (uint8_t)(counter >> 24);
    memcpy(iv + 4, nonce, 12);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv), 1);
    if (len > 0) {
        int outl = 0;
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, out, &outl, in, (int)len), 1);
        ck_assert_int_eq(outl, (int)len);
    }
    EVP_CIPHER_CTX_free(ctx);
}

/* One random case of length len; the counter is random but leaves room for
 * every block (our API forbids wrapping; OpenSSL would carry into the nonce). */
static void diff_one(uint8_t *msg, uint8_t *ours, uint8_t *theirs, size_t len)
{
    uint8_t key[32], nonce[12];
    uint64_t blocks = (len + 63) / 64;
    uint64_t counter = trng_u64() & 0xffffffffu;
    if (trng_below(8) == 0)
        counter = 0x100000000ULL - blocks; /* the very last usable counters */
    if (counter + blocks > 0x100000000ULL)
        counter = 0x100000000ULL - blocks;
    trng_bytes(key, sizeof key);
    trng_bytes(nonce, sizeof nonce);
    trng_bytes(msg, len);
    ss_chacha20_xor(ours, msg, len, key, (uint32_t)counter, nonce);
    openssl_chacha20(theirs, msg, len, key, (uint32_t)counter, nonce);
    ck_assert_msg(memcmp(ours, theirs, len) == 0, "ChaCha20 differs from OpenSSL at length %zu",
                  len);
}

START_TEST(differential_openssl)
{
    const size_t large[] = {70000, 1 << 20};
    size_t cap = 1 << 20;
    uint8_t *msg = malloc(cap), *ours = malloc(cap), *theirs = malloc(cap);
    ck_assert(msg != NULL && ours != NULL && theirs != NULL);
    long n = diff_cases(), done = 0;
    for (long i = 0; i < n; i++, done++)
        /* across 64, 128, 256, 512, 640, 768 (the tails of every path), 1024
         * and 1536 (a group of 16 blocks, then one more, whole or masked) */
        diff_one(msg, ours, theirs, trng_below(2201));
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++, done++)
        diff_one(msg, ours, theirs, large[i]);
    printf("differential: ChaCha20 vs OpenSSL EVP_chacha20: %ld cases agree\n", done);
    fflush(stdout);
    ck_assert_int_eq(done, n + 2);
    free(msg);
    free(ours);
    free(theirs);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("chacha20");

    TCase *tv = tcase_create("rfc8439");
    tcase_add_test(tv, rfc8439_quarter_round);
    tcase_add_test(tv, rfc8439_block);
    tcase_add_test(tv, rfc8439_encrypt);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, in_place_equals_out_of_place);
    tcase_add_test(tp, block_is_keystream);
    tcase_add_test(tp, long_keystream_is_blocks);
    tcase_add_test(tp, split_at_block_boundaries);
    tcase_add_test(tp, different_inputs_different_streams);
    tcase_add_test(tp, null_with_zero_length);
    tcase_set_timeout(tp, 60);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 3600 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
