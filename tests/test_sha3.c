/*
 * test_sha3.c — SHA-3 and SHAKE (FIPS 202).
 *
 *  - vectors: the Keccak team's ShortMsgKAT files for SHA3-256, SHA3-512,
 *    SHAKE128 and SHAKE256 (the 256 byte-length messages of each, 0 to 255
 *    bytes; 512 bytes of output for SHAKE), from vectors/xkcp/;
 *  - intermediate values: the Keccak team's KeccakSpongeIntermediateValues
 *    files, step by step: every "Input of permutation" through
 *    ss_keccak_f1600 gives the next "State after permutation"; the sponge
 *    chains them (absorbing never touches the capacity, squeezing changes
 *    nothing between two permutations, every squeezed block is the start of
 *    the state); and for the byte-aligned messages our own sponge's state,
 *    read from the context after every absorbed block and every squeezed
 *    block, is the file's state after that permutation;
 *  - properties: incremental absorb == one-shot at every split point,
 *    squeezing in pieces == one squeeze, final wipes the context, NULL
 *    with length 0;
 *  - differential: diff_cases() random messages per function against
 *    OpenSSL's EVP_sha3_256, EVP_sha3_512, EVP_shake128 and EVP_shake256
 *    (SHAKE output lengths random too), each also absorbed and squeezed in
 *    random pieces.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/sha3.h"

/* ---- the four functions, as a table the tests loop over ---- */

typedef struct {
    const char *name;
    void (*init)(ss_sha3_ctx *ctx);
    size_t rate;    /* bytes, FIPS 202 §6.1, §6.2: 200 - 2 * security/8 */
    size_t out_len; /* digest length; 0 for the XOFs */
    const EVP_MD *(*openssl)(void);
} sha3_fn;

static const sha3_fn fns[] = {
    {"SHA3-256", ss_sha3_256_init, 136, 32, EVP_sha3_256},
    {"SHA3-512", ss_sha3_512_init, 72, 64, EVP_sha3_512},
    {"SHAKE128", ss_shake128_init, 168, 0, EVP_shake128},
    {"SHAKE256", ss_shake256_init, 136, 0, EVP_shake256},
};
enum { SHA3_256, SHA3_512, SHAKE128, SHAKE256 };

/* The one-shot function of fns[f]: out_len must be the digest length for
 * SHA3-256 and SHA3-512. */
static void one_shot(int f, uint8_t *out, size_t out_len, const uint8_t *msg, size_t len)
{
    switch (f) {
    case SHA3_256:
        ck_assert_uint_eq(out_len, 32);
        ss_sha3_256(out, msg, len);
        break;
    case SHA3_512:
        ck_assert_uint_eq(out_len, 64);
        ss_sha3_512(out, msg, len);
        break;
    case SHAKE128:
        ss_shake128(out, out_len, msg, len);
        break;
    default:
        ss_shake256(out, out_len, msg, len);
        break;
    }
}

/* The end of an incremental computation: final for the hashes, one squeeze
 * and a wipe for the XOFs. */
static void finish(int f, uint8_t *out, size_t out_len, ss_sha3_ctx *ctx)
{
    if (f == SHA3_256) {
        ck_assert_uint_eq(out_len, 32);
        ss_sha3_256_final(out, ctx);
    } else if (f == SHA3_512) {
        ck_assert_uint_eq(out_len, 64);
        ss_sha3_512_final(out, ctx);
    } else {
        ss_shake_squeeze(out, out_len, ctx);
        ss_sha3_wipe(ctx);
    }
}

/* The message in three pieces: [0, i), [i, j), [j, len). */
static void three_pieces(int f, uint8_t *out, size_t out_len, const uint8_t *msg, size_t len,
                         size_t i, size_t j)
{
    ss_sha3_ctx ctx;
    fns[f].init(&ctx);
    ss_sha3_absorb(&ctx, msg, i);
    ss_sha3_absorb(&ctx, msg + i, j - i);
    ss_sha3_absorb(&ctx, msg + j, len - j);
    finish(f, out, out_len, &ctx);
}

/* Absorb in random pieces of 0..max_piece bytes, then (for the XOFs)
 * squeeze in random pieces of 0..max_piece bytes. */
static void random_pieces(int f, uint8_t *out, size_t out_len, const uint8_t *msg, size_t len,
                          size_t max_piece)
{
    ss_sha3_ctx ctx;
    fns[f].init(&ctx);
    for (size_t done = 0; done < len;) {
        size_t piece = trng_below(max_piece + 1);
        if (piece > len - done)
            piece = len - done;
        ss_sha3_absorb(&ctx, msg + done, piece);
        done += piece;
    }
    if (fns[f].out_len != 0) {
        finish(f, out, out_len, &ctx);
        return;
    }
    for (size_t done = 0; done < out_len;) {
        size_t piece = trng_below(max_piece + 1);
        if (piece > out_len - done)
            piece = out_len - done;
        ss_shake_squeeze(out + done, piece, &ctx);
        done += piece;
    }
    ss_sha3_wipe(&ctx);
}

static void openssl_hash(int f, uint8_t *out, size_t out_len, const uint8_t *msg, size_t len)
{
    static const uint8_t empty[1];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_DigestInit_ex(ctx, fns[f].openssl(), NULL), 1);
    ck_assert_int_eq(EVP_DigestUpdate(ctx, len > 0 ? msg : empty, len), 1);
    if (fns[f].out_len != 0) {
        unsigned int n = 0;
        ck_assert_int_eq(EVP_DigestFinal_ex(ctx, out, &n), 1);
        ck_assert_uint_eq(n, out_len);
    } else {
        ck_assert_int_eq(EVP_DigestFinalXOF(ctx, out, out_len), 1);
    }
    EVP_MD_CTX_free(ctx);
}

/* The state string of FIPS 202 §3.1.2 from the lanes: little-endian lanes
 * one after the other (sha3.h, "Representation"). Written byte by byte
 * here, independently of the library's own conversion. */
static void state_bytes(uint8_t out[200], const uint64_t state[25])
{
    for (int i = 0; i < 200; i++)
        out[i] = (uint8_t)(state[i / 8] >> (8 * (i % 8)));
}

static void state_lanes(uint64_t state[25], const uint8_t in[200])
{
    memset(state, 0, 25 * sizeof state[0]);
    for (int i = 0; i < 200; i++)
        state[i / 8] |= (uint64_t)in[i] << (8 * (i % 8));
}

/* ---- the Keccak team's known answers ---- */

/* One ShortMsgKAT file: Len (bits), Msg, and MD or Squeezed. Only records
 * with Len a multiple of 8 are in vectors/xkcp (vectors/xkcp/README); the
 * Len = 0 record lists Msg = 00, so only Len/8 bytes of Msg are the message. */
static long kat_file(int f, const char *path)
{
    vec_file *vf = vec_open(path);
    vec_record rec = {0};
    long passed = 0;
    int xof = fns[f].out_len == 0;
    while (vec_next(vf, &rec)) {
        size_t msg_len, want_len;
        long bits = vec_long(&rec, "Len");
        uint8_t *msg = vec_hex(&rec, "Msg", &msg_len);
        uint8_t *want = vec_hex(&rec, xof ? "Squeezed" : "MD", &want_len);
        uint8_t got[512];
        ck_assert_int_eq(bits % 8, 0);
        ck_assert_uint_le((size_t)bits / 8, msg_len);
        ck_assert_uint_eq(want_len, xof ? 512 : fns[f].out_len);
        size_t len = (size_t)bits / 8;

        one_shot(f, got, want_len, msg, len);
        ck_assert_msg(memcmp(got, want, want_len) == 0, "%s: Len = %ld differs", path, bits);
        memset(got, 0, sizeof got);
        random_pieces(f, got, want_len, msg, len, 200);
        ck_assert_msg(memcmp(got, want, want_len) == 0, "%s: Len = %ld differs (in pieces)",
                      path, bits);
        passed++;
        free(msg);
        free(want);
    }
    vec_close(vf);
    return passed;
}

START_TEST(kat_sha3_256)
{
    vec_report("XKCP ShortMsgKAT_SHA3-256 (byte lengths)",
               kat_file(SHA3_256, "xkcp/ShortMsgKAT_SHA3-256.txt"), 256);
}
END_TEST

START_TEST(kat_sha3_512)
{
    vec_report("XKCP ShortMsgKAT_SHA3-512 (byte lengths)",
               kat_file(SHA3_512, "xkcp/ShortMsgKAT_SHA3-512.txt"), 256);
}
END_TEST

START_TEST(kat_shake128)
{
    vec_report("XKCP ShortMsgKAT_SHAKE128 (byte lengths)",
               kat_file(SHAKE128, "xkcp/ShortMsgKAT_SHAKE128.txt"), 256);
}
END_TEST

START_TEST(kat_shake256)
{
    vec_report("XKCP ShortMsgKAT_SHAKE256 (byte lengths)",
               kat_file(SHAKE256, "xkcp/ShortMsgKAT_SHAKE256.txt"), 256);
}
END_TEST

/* ---- the Keccak team's intermediate values ---- */

/*
 * A KeccakSpongeIntermediateValues file is a sequence of examples, each
 * starting with a "+++ Example ... +++" line; inside, a label line ending
 * in ':' is followed by one line of hex bytes separated by spaces (or by
 * nothing, for the empty message), and "--- Switching to squeezing phase
 * ---" separates absorbing from squeezing. One example, as read here:
 */
#define MAX_PERMS 16
typedef struct {
    size_t msg_bits;          /* count of "Input message (in bits)" */
    uint8_t msg[256];         /* "Input message (last byte aligned on LSB)" */
    size_t msg_len;
    size_t perms;             /* permutations listed */
    uint8_t in[MAX_PERMS][200];  /* "Input of permutation" */
    uint8_t out[MAX_PERMS][200]; /* "State after permutation" */
    int squeezing[MAX_PERMS]; /* the permutation came after the switch */
    uint8_t squeezed[2048];   /* every "Squeezed block", concatenated */
    size_t squeezed_len;
    size_t squeezed_after[MAX_PERMS]; /* squeezed_len when permutation k ran */
} example;

/* Hex bytes "A7 FF C6 ..." into out; returns the count (aborts past max). */
static size_t hex_bytes(uint8_t *out, size_t max, const char *line)
{
    size_t n = 0;
    unsigned b;
    int used;
    while (sscanf(line, " %2x%n", &b, &used) == 1) {
        ck_assert_uint_lt(n, max);
        out[n++] = (uint8_t)b;
        line += used;
    }
    return n;
}

/* Reads the next example from f; 0 at the end of the file. */
static int next_example(FILE *f, example *ex)
{
    char *line = NULL, *value = NULL;
    size_t cap = 0, vcap = 0;
    int started = 0, squeezing = 0;
    long at;
    memset(ex, 0, sizeof *ex);
    for (;;) {
        at = ftell(f);
        if (getline(&line, &cap, f) < 0)
            break;
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "+++", 3) == 0) {
            if (started) { /* the next example: leave it for the next call */
                fseek(f, at, SEEK_SET);
                break;
            }
            started = 1;
            continue;
        }
        if (strncmp(line, "--- Switching to squeezing", 26) == 0)
            squeezing = 1;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != ':')
            continue;
        /* a label: its value is the next line */
        ck_assert_int_ge(getline(&value, &vcap, f), 0);
        if (strcmp(line, "Input message (last byte aligned on LSB):") == 0) {
            ex->msg_len = hex_bytes(ex->msg, sizeof ex->msg, value);
        } else if (strcmp(line, "Input message (in bits):") == 0) {
            uint8_t bits[2048];
            ex->msg_bits = hex_bytes(bits, sizeof bits, value);
        } else if (strcmp(line, "Input of permutation:") == 0) {
            ck_assert_uint_lt(ex->perms, MAX_PERMS);
            ck_assert_uint_eq(hex_bytes(ex->in[ex->perms], 200, value), 200);
        } else if (strcmp(line, "State after permutation:") == 0) {
            ck_assert_uint_eq(hex_bytes(ex->out[ex->perms], 200, value), 200);
            ex->squeezing[ex->perms] = squeezing;
            ex->squeezed_after[ex->perms] = ex->squeezed_len;
            ex->perms++;
        } else if (strncmp(line, "Squeezed block", 14) == 0) {
            ex->squeezed_len += hex_bytes(ex->squeezed + ex->squeezed_len,
                                          sizeof ex->squeezed - ex->squeezed_len, value);
        }
    }
    free(line);
    free(value);
    return started;
}

/*
 * Checks one file; returns the number of permutations checked. Every
 * example: (1) each listed permutation, input to output, with
 * ss_keccak_f1600; (2) the chaining of the sponge: absorbing XORs into the
 * rate only, so the capacity part of the next permutation's input equals the
 * previous output's; squeezing XORs nothing, so the next input is the
 * previous output; and every squeezed block is the first bytes of the state
 * after the permutation before it. (3) For a message of whole bytes, our
 * sponge itself: the state in the context after each absorbed block, after
 * the padding and after each further squeezed block is the file's.
 */
static long intermediate_file(int f, const char *relpath, long *examples, long *sponge_runs)
{
    char *path = vec_path(relpath);
    FILE *file = fopen(path, "r");
    ck_assert_msg(file != NULL, "cannot open %s", path);
    example *ex = malloc(sizeof *ex);
    ck_assert_ptr_nonnull(ex);
    size_t rate = fns[f].rate;
    long perms = 0;
    while (next_example(file, ex)) {
        ck_assert_uint_gt(ex->perms, 0);
        (*examples)++;
        /* (1) the permutation, step by step */
        for (size_t k = 0; k < ex->perms; k++) {
            uint64_t state[25];
            uint8_t got[200];
            state_lanes(state, ex->in[k]);
            ss_keccak_f1600(state);
            state_bytes(got, state);
            ck_assert_msg(memcmp(got, ex->out[k], 200) == 0,
                          "%s: example %ld, permutation %zu differs", relpath, *examples, k + 1);
            perms++;
        }
        /* (2) the sponge's chaining, and the first input: zero state
         * XOR the first block, so its capacity is zero */
        static const uint8_t zero[200];
        ck_assert(memcmp(ex->in[0] + rate, zero, 200 - rate) == 0);
        for (size_t k = 1; k < ex->perms; k++) {
            if (ex->squeezing[k])
                ck_assert_msg(memcmp(ex->in[k], ex->out[k - 1], 200) == 0,
                              "%s: example %ld: squeezing changed the state", relpath,
                              *examples);
            else
                ck_assert_msg(memcmp(ex->in[k] + rate, ex->out[k - 1] + rate, 200 - rate) == 0,
                              "%s: example %ld: absorbing touched the capacity", relpath,
                              *examples);
        }
        for (size_t k = 0; k < ex->perms; k++) {
            if (!ex->squeezing[k])
                continue;
            size_t from = ex->squeezed_after[k];
            size_t end = k + 1 < ex->perms ? ex->squeezed_after[k + 1] : ex->squeezed_len;
            ck_assert_uint_le(end - from, rate);
            ck_assert(memcmp(ex->squeezed + from, ex->out[k], end - from) == 0);
        }
        /* (3) our sponge, for whole-byte messages */
        if (ex->msg_bits % 8 == 0) {
            size_t len = ex->msg_bits / 8, k = 0;
            uint8_t got[200], out[2048];
            ck_assert_uint_eq(ex->msg_len, len);
            ss_sha3_ctx ctx;
            fns[f].init(&ctx);
            for (size_t done = 0; done + rate <= len; done += rate, k++) {
                ss_sha3_absorb(&ctx, ex->msg + done, rate);
                state_bytes(got, ctx.state);
                ck_assert_msg(memcmp(got, ex->out[k], 200) == 0,
                              "%s: example %ld: state after block %zu differs", relpath,
                              *examples, k + 1);
            }
            ss_sha3_absorb(&ctx, ex->msg + k * rate, len - k * rate);
            /* The padding's permutation, then one per further block. */
            for (size_t done = 0; done < ex->squeezed_len; done += rate, k++) {
                size_t n = ex->squeezed_len - done < rate ? ex->squeezed_len - done : rate;
                ss_shake_squeeze(out + done, n, &ctx);
                state_bytes(got, ctx.state);
                ck_assert_uint_lt(k, ex->perms);
                ck_assert_msg(memcmp(got, ex->out[k], 200) == 0,
                              "%s: example %ld: state after permutation %zu differs", relpath,
                              *examples, k + 1);
            }
            ck_assert_uint_eq(k, ex->perms);
            ck_assert(memcmp(out, ex->squeezed, ex->squeezed_len) == 0);
            ss_sha3_wipe(&ctx);
            (*sponge_runs)++;
        }
    }
    free(ex);
    fclose(file);
    free(path);
    return perms;
}

START_TEST(intermediate_values)
{
    static const struct {
        int f;
        const char *path;
        long perms;
    } files[] = {
        {SHA3_256, "xkcp/KeccakSpongeIntermediateValues_SHA3-256.txt", 11},
        {SHAKE128, "xkcp/KeccakSpongeIntermediateValues_SHAKE128.txt", 32},
        {SHAKE256, "xkcp/KeccakSpongeIntermediateValues_SHAKE256.txt", 32},
    };
    long perms = 0, examples = 0, sponge_runs = 0, want = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        long n = intermediate_file(files[i].f, files[i].path, &examples, &sponge_runs);
        ck_assert_int_eq(n, files[i].perms);
        perms += n;
        want += files[i].perms;
    }
    /* 7 messages per file: 0, 5, 30, 1600, 1605, 1630 and 2008 bits; the
     * sponge runs on the three of whole bytes */
    ck_assert_int_eq(examples, 21);
    ck_assert_int_eq(sponge_runs, 9);
    vec_report("XKCP KeccakSpongeIntermediateValues (permutations)", perms, want);
}
END_TEST

/* ---- properties ---- */

START_TEST(incremental_every_split)
{
    /* Lengths up to 350 cross 0 to 4 block boundaries for every rate (72,
     * 136, 168) and end at every position of a block, including exactly
     * at its end (the padding then starts a block of its own). */
    uint8_t msg[350], want[64], got[64];
    trng_bytes(msg, sizeof msg);
    for (int f = 0; f < 4; f++) {
        size_t out_len = fns[f].out_len != 0 ? fns[f].out_len : 64;
        long cases = 0;
        for (size_t len = 0; len <= sizeof msg; len++) {
            one_shot(f, want, out_len, msg, len);
            for (size_t i = 0; i <= len; i++) {
                three_pieces(f, got, out_len, msg, len, i, len);
                ck_assert_msg(memcmp(got, want, out_len) == 0, "%s len %zu split %zu",
                              fns[f].name, len, i);
                size_t j = i + trng_below(len - i + 1);
                three_pieces(f, got, out_len, msg, len, i, j);
                ck_assert_msg(memcmp(got, want, out_len) == 0, "%s len %zu splits %zu %zu",
                              fns[f].name, len, i, j);
                cases += 2;
            }
            random_pieces(f, got, out_len, msg, len, 1); /* byte by byte */
            ck_assert_msg(memcmp(got, want, out_len) == 0, "%s len %zu byte by byte",
                          fns[f].name, len);
        }
        ck_assert_int_eq(cases, 2 * (351 * 352 / 2));
    }
}
END_TEST

START_TEST(squeeze_in_pieces)
{
    /* 600 bytes: more than three SHAKE256 blocks; every split point in
     * two squeezes, then random pieces (empty ones included). */
    uint8_t msg[40], want[600], got[600];
    trng_bytes(msg, sizeof msg);
    for (int f = SHAKE128; f <= SHAKE256; f++) {
        one_shot(f, want, sizeof want, msg, sizeof msg);
        for (size_t i = 0; i <= sizeof want; i++) {
            ss_sha3_ctx ctx;
            fns[f].init(&ctx);
            ss_sha3_absorb(&ctx, msg, sizeof msg);
            ss_shake_squeeze(got, i, &ctx);
            ss_shake_squeeze(got + i, sizeof got - i, &ctx);
            ss_sha3_wipe(&ctx);
            ck_assert_msg(memcmp(got, want, sizeof want) == 0, "%s squeeze split at %zu",
                          fns[f].name, i);
        }
        for (int r = 0; r < 200; r++) {
            memset(got, 0, sizeof got);
            random_pieces(f, got, sizeof got, msg, sizeof msg, 1 + trng_below(300));
            ck_assert_msg(memcmp(got, want, sizeof want) == 0, "%s squeeze in random pieces",
                          fns[f].name);
        }
        /* a prefix of a longer output is the shorter output */
        for (size_t n = 0; n <= sizeof want; n += 37) {
            memset(got, 0, sizeof got);
            one_shot(f, got, n, msg, sizeof msg);
            ck_assert(memcmp(got, want, n) == 0);
            ck_assert(all_zero(got + n, sizeof got - n));
        }
    }
}
END_TEST

START_TEST(final_wipes_context)
{
    ss_sha3_ctx ctx, zero;
    uint8_t msg[100], out[64];
    memset(&zero, 0, sizeof zero);
    trng_bytes(msg, sizeof msg);
    ss_sha3_256_init(&ctx);
    ss_sha3_absorb(&ctx, msg, sizeof msg);
    ss_sha3_256_final(out, &ctx);
    ck_assert_mem_eq(&ctx, &zero, sizeof ctx);
    ss_sha3_512_init(&ctx);
    ss_sha3_absorb(&ctx, msg, sizeof msg);
    ss_sha3_512_final(out, &ctx);
    ck_assert_mem_eq(&ctx, &zero, sizeof ctx);
    ss_shake128_init(&ctx);
    ss_sha3_absorb(&ctx, msg, sizeof msg);
    ss_shake_squeeze(out, sizeof out, &ctx);
    ss_sha3_wipe(&ctx);
    ck_assert_mem_eq(&ctx, &zero, sizeof ctx);
}
END_TEST

START_TEST(null_with_zero_length)
{
    for (int f = 0; f < 4; f++) {
        uint8_t want[64], got[64];
        size_t out_len = fns[f].out_len != 0 ? fns[f].out_len : 64;
        openssl_hash(f, want, out_len, NULL, 0);
        one_shot(f, got, out_len, NULL, 0);
        ck_assert_mem_eq(got, want, out_len);
        ss_sha3_ctx ctx;
        fns[f].init(&ctx);
        ss_sha3_absorb(&ctx, NULL, 0);
        if (fns[f].out_len == 0)
            ss_shake_squeeze(NULL, 0, &ctx); /* pads; no output yet */
        finish(f, got, out_len, &ctx);
        ck_assert_mem_eq(got, want, out_len);
    }
    uint8_t none[1] = {0xaa};
    ss_shake128(none, 0, NULL, 0); /* nothing written */
    ck_assert_uint_eq(none[0], 0xaa);
}
END_TEST

/* ---- differential: OpenSSL ---- */

START_TEST(differential_openssl)
{
    enum { MAX_MSG = 600, MAX_OUT = 600 };
    uint8_t msg[MAX_MSG], ours[MAX_OUT], pieces[MAX_OUT], theirs[MAX_OUT];
    long n = diff_cases();
    for (int f = 0; f < 4; f++) {
        long done = 0;
        for (long i = 0; i < n; i++, done++) {
            size_t len = trng_below(MAX_MSG + 1);
            size_t out_len = fns[f].out_len != 0 ? fns[f].out_len : trng_below(MAX_OUT + 1);
            trng_bytes(msg, len);
            one_shot(f, ours, out_len, msg, len);
            random_pieces(f, pieces, out_len, msg, len, 1 + trng_below(200));
            openssl_hash(f, theirs, out_len, msg, len);
            ck_assert_msg(memcmp(ours, theirs, out_len) == 0,
                          "%s differs from OpenSSL: message %zu bytes, output %zu bytes",
                          fns[f].name, len, out_len);
            ck_assert_msg(memcmp(pieces, theirs, out_len) == 0,
                          "%s in pieces differs from OpenSSL: message %zu bytes, output %zu",
                          fns[f].name, len, out_len);
        }
        printf("differential: %s vs OpenSSL EVP: %ld cases agree\n", fns[f].name, done);
        fflush(stdout);
        ck_assert_int_eq(done, n);
    }
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("sha3");

    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, kat_sha3_256);
    tcase_add_test(tv, kat_sha3_512);
    tcase_add_test(tv, kat_shake128);
    tcase_add_test(tv, kat_shake256);
    tcase_add_test(tv, intermediate_values);
    tcase_set_timeout(tv, 60);
    suite_add_tcase(s, tv);

    TCase *tp = tcase_create("properties");
    tcase_add_test(tp, incremental_every_split);
    tcase_add_test(tp, squeeze_in_pieces);
    tcase_add_test(tp, final_wipes_context);
    tcase_add_test(tp, null_with_zero_length);
    tcase_set_timeout(tp, 120);
    suite_add_tcase(s, tp);

    TCase *td = tcase_create("differential");
    tcase_add_test(td, differential_openssl);
    tcase_set_timeout(td, long_tests() ? 7200 : 120);
    suite_add_tcase(s, td);

    return run_suite(s);
}
