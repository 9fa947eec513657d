/*
 * sha256.c — SHA-256, FIPS 180-4 §6.2 (Secure Hash Standard, August 2015).
 *
 * Course position: the first chapter. SHA-256 needs nothing but 32-bit
 * additions, rotations and Boolean functions, so it is the gentlest way into
 * the code; and everything after it leans on it: HMAC (hmac.c) keys it, HKDF
 * (hkdf.c) derives keys with that HMAC, and the Noise handshake hashes its
 * transcript with it. Course chapter: docs/sha256.md.
 *
 * What SHA-256 does, in one paragraph. The message is padded (§5.1.1) to a
 * multiple of 512 bits and cut into 64-byte blocks (§5.2.1). A 256-bit state
 * H0..H7 starts from fixed constants (§5.3.3) and every block is mixed into
 * it by the compression function (§6.2.2): the block is expanded into a
 * "message schedule" W0..W63, then 64 rounds update eight working variables
 * a..h, each round adding one schedule word W[t] and one round constant K[t]
 * (§4.2.2). After the last block the state is the digest.
 *
 * Representation. FIPS 180-4 §3.1 and §3.2 define words as 32-bit unsigned
 * integers, addition modulo 2^32, and the big-endian convention: the first
 * byte of a 4-byte group is the most significant byte of the word. uint32_t
 * arithmetic in C is exactly addition modulo 2^32, so the spec's "+" is C's
 * "+" on uint32_t; the byte order is made explicit with ss_load32_be and
 * ss_store32_be (util.h), so the code gives the same digest on any host.
 *
 * Constant time. SHA-256 has no secret-dependent branch and no
 * secret-dependent memory index: the only table, K, is indexed by the round
 * number t, which is the same for every input, and rotations are by fixed
 * amounts. The only branches depend on lengths, which are public. This
 * matters because HMAC feeds keys through this code.
 *
 * Speed. Plain portable C, no SIMD or SHA instructions, and as fast as
 * libsodium's portable SHA-256 (measured with gcc 12 and clang 14 on
 * x86-64, ~300 MB/s). Three choices get it there, each explained where it
 * is made: the working variables stay in registers and the rounds rotate
 * their roles instead of moving them (sha256_round, sha256_blocks); the
 * message schedule is computed eight words at a time next to the rounds that
 * consume them (schedule_words); and sha256_blocks compresses all the whole
 * blocks of an update in one call, hashing them straight from the caller's
 * buffer, so only the ragged ends are copied into the context.
 */
#include "sha256.h"

#include <string.h>

#include "cpu.h"
#include "sha256_simd.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* §4.1.2 and §3.2: the functions of SHA-256, on 32-bit words              */
/* ---------------------------------------------------------------------- */

/* ROTR^n(x) (§3.2): rotate right by n, for 0 < n < 32. Every n used below is
 * a constant between 2 and 25, so neither shift is by 0 or 32 (which would be
 * undefined behaviour in C); compilers turn this pattern into one rotate
 * instruction. */
static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* Ch(x, y, z) = (x AND y) XOR (NOT x AND z): "x chooses" between y and z,
 * bit by bit. Written as z ^ (x & (y ^ z)), the same function with one
 * operation fewer (where x is 1 it gives y, where x is 0 it gives z). */
static inline uint32_t ch(uint32_t x, uint32_t y, uint32_t z)
{
    return z ^ (x & (y ^ z));
}

/* Maj(x, y, z) = (x AND y) XOR (x AND z) XOR (y AND z): the majority vote of
 * each bit position. (x & y) | (z & (x | y)) is the same vote: a bit is 1 when
 * x and y agree on 1, or when z is 1 and at least one of x, y is. */
static inline uint32_t maj(uint32_t x, uint32_t y, uint32_t z)
{
    return (x & y) | (z & (x | y));
}

/* The four sigma functions of §4.1.2 (4.4)-(4.7). The capital ones mix the
 * working variables in each round; the small ones expand the schedule. */
static inline uint32_t big_sigma0(uint32_t x)
{
    return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
}

static inline uint32_t big_sigma1(uint32_t x)
{
    return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
}

static inline uint32_t small_sigma0(uint32_t x)
{
    return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
}

static inline uint32_t small_sigma1(uint32_t x)
{
    return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
}

/* §4.2.2: the 64 round constants K0..K63, the first 32 bits of the
 * fractional parts of the cube roots of the first 64 primes. They are
 * "nothing-up-my-sleeve" numbers: anyone can recompute them, so they hide no
 * designer's trapdoor. Indexed only by the round number t (public). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* §5.3.3: the initial hash value H(0), the first 32 bits of the fractional
 * parts of the square roots of the first 8 primes. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* ---------------------------------------------------------------------- */
/* §6.2.2: the compression function                                        */
/* ---------------------------------------------------------------------- */

/*
 * §6.2.2 step 1 for t = first .. first+7 (16 <= first <= 56):
 *     W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]
 * Each word mixes four earlier ones, so after a few steps every bit of the
 * block influences every schedule word.
 *
 * Why eight words at a time, just before the rounds that use them, rather
 * than all 48 up front as the spec lists them? The rounds form one long
 * chain where each step waits for the previous one, leaving most of the
 * CPU's arithmetic units idle; the schedule words do not depend on the
 * rounds at all. Computed next to the rounds, they fill those idle slots.
 * Measured: about 15-20% faster than computing the schedule first.
 */
static inline void schedule_words(uint32_t w[64], int first)
{
    for (int t = first; t < first + 8; t++)
        w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
}

/*
 * One round of §6.2.2 step 3:
 *     T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]
 *     T2 = Σ0(a) + Maj(a, b, c)
 *     h = g, g = f, f = e, e = d + T1, d = c, c = b, b = a, a = T1 + T2
 * Six of those eight assignments only move values one place down. Instead
 * of moving them, the caller rotates the names (see sha256_blocks), so only
 * the two variables that receive new values are written: the old d becomes
 * the new e (d + T1) and the old h becomes the new a (T1 + T2).
 * kw is K[t] + W[t].
 */
static inline void sha256_round(uint32_t a, uint32_t b, uint32_t c, uint32_t *d, uint32_t e,
                                uint32_t f, uint32_t g, uint32_t *h, uint32_t kw)
{
    uint32_t t1 = *h + big_sigma1(e) + ch(e, f, g) + kw;
    uint32_t t2 = big_sigma0(a) + maj(a, b, c);
    *d += t1;
    *h = t1 + t2;
}

/* Names for the eight working variables of §6.2.2, kept in one array v:
 * v[A] is the spec's a, v[B] its b, and so on. */
enum { A, B, C, D, E, F, G, H };

/*
 * Mix n_blocks consecutive 64-byte blocks into state, one after the other
 * (§6.2.2 steps 1-4 for each block M(i)).
 *
 * The schedule W and the working variables hold message words and values
 * derived from them; when SHA-256 runs inside HMAC or HKDF those are key
 * material, so both are wiped before returning. That is why the working
 * variables are one array v rather than eight separate locals: an array is
 * an object we can name and wipe, and the compiler still keeps its elements
 * in registers during the rounds, because every index is a constant (we
 * checked: the same instruction count either way). Copies the compiler
 * leaves in registers or in its own stack slots are beyond C's reach; what
 * C can erase, we erase. Both arrays are wiped once per call, not once per
 * block: every block overwrites them in full.
 */
static void sha256_blocks(uint32_t state[8], const uint8_t *blocks, size_t n_blocks)
{
    uint32_t w[64]; /* the message schedule W0..W63 */
    uint32_t v[8];  /* the working variables a..h */

    for (; n_blocks > 0; n_blocks--, blocks += 64) {
        /* Step 1, first part: W0..W15 are the block itself, read as
         * big-endian words (§3.1). The other 48 words are derived from
         * these inside the round loop, see schedule_words. */
        for (int t = 0; t < 16; t++)
            w[t] = ss_load32_be(blocks + 4 * t);

        /* Step 2: initialise the working variables a..h with the state. */
        for (int i = 0; i < 8; i++)
            v[i] = state[i];

        /* Step 3: 64 rounds, eight per loop iteration. The spec shifts
         * the eight variables down one place per round (h = g, g = f, ...);
         * here the data stays put and the roles rotate instead: the second
         * call passes the old h as "a", the old a as "b", and so on. After
         * eight rounds every variable is back in its own role, so the loop
         * body repeats. */
        for (int t = 0; t < 64; t += 8) {
            if (t >= 16)
                schedule_words(w, t); /* step 1, just in time: W[t..t+7] */
            sha256_round(v[A], v[B], v[C], &v[D], v[E], v[F], v[G], &v[H], K[t + 0] + w[t + 0]);
            sha256_round(v[H], v[A], v[B], &v[C], v[D], v[E], v[F], &v[G], K[t + 1] + w[t + 1]);
            sha256_round(v[G], v[H], v[A], &v[B], v[C], v[D], v[E], &v[F], K[t + 2] + w[t + 2]);
            sha256_round(v[F], v[G], v[H], &v[A], v[B], v[C], v[D], &v[E], K[t + 3] + w[t + 3]);
            sha256_round(v[E], v[F], v[G], &v[H], v[A], v[B], v[C], &v[D], K[t + 4] + w[t + 4]);
            sha256_round(v[D], v[E], v[F], &v[G], v[H], v[A], v[B], &v[C], K[t + 5] + w[t + 5]);
            sha256_round(v[C], v[D], v[E], &v[F], v[G], v[H], v[A], &v[B], K[t + 6] + w[t + 6]);
            sha256_round(v[B], v[C], v[D], &v[E], v[F], v[G], v[H], &v[A], K[t + 7] + w[t + 7]);
        }

        /* Step 4: the new state is the old one plus the working variables
         * (the "feed-forward"). Without it the compression would be an
         * invertible permutation of the state for a known block, and one
         * could run it backwards from a digest. */
        for (int i = 0; i < 8; i++)
            state[i] += v[i];
    }

    ss_wipe(w, sizeof w);
    ss_wipe(v, sizeof v);
}

/* The compression the rest of this file calls: the SHA extensions
 * (sha256_shani.c) when cpu.c allows them, else the reference above. */
static void compress(uint32_t state[8], const uint8_t *blocks, size_t n_blocks)
{
#if defined(__x86_64__)
    if (ss_cpu_features() & SS_CPU_SHA) {
        ss_sha256_blocks_shani(state, blocks, n_blocks, K);
        return;
    }
#endif
    sha256_blocks(state, blocks, n_blocks);
}

/* ---------------------------------------------------------------------- */
/* The incremental interface                                               */
/* ---------------------------------------------------------------------- */

void ss_sha256_init(ss_sha256_ctx *ctx)
{
    /* §5.3.3: start from H(0); nothing hashed, nothing buffered. The
     * buffer itself needs no clearing: a byte of it is only read after
     * update or final has written it. */
    memcpy(ctx->state, H0, sizeof H0);
    ctx->total_len = 0;
    ctx->block_len = 0;
}

void ss_sha256_update(ss_sha256_ctx *ctx, const uint8_t *msg, size_t len)
{
    /* An empty update changes nothing. Returning early also keeps msg ==
     * NULL away from memcpy, which may not be called with NULL even for 0
     * bytes (C11 §7.24.1). */
    if (len == 0)
        return;

    /* The length goes into the padding (§5.1.1) modulo 2^64 bits; FIPS
     * 180-4 only defines SHA-256 for messages shorter than 2^64 bits
     * (2 exbibytes), so the count cannot wrap for a valid input. */
    ctx->total_len += len;

    /* 1. Top up a partially filled block from the previous call. */
    if (ctx->block_len > 0) {
        size_t take = 64 - ctx->block_len;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->block_len, msg, take);
        ctx->block_len += take;
        msg += take;
        len -= take;
        if (ctx->block_len < 64)
            return; /* still not full: all input consumed */
        compress(ctx->state, ctx->block, 1);
        ctx->block_len = 0;
    }

    /* 2. Hash whole blocks straight from the caller's buffer, no copy. */
    size_t n_blocks = len / 64;
    if (n_blocks > 0) {
        compress(ctx->state, msg, n_blocks);
        msg += 64 * n_blocks;
        len -= 64 * n_blocks;
    }

    /* 3. Keep the remaining 0..63 bytes for the next update or final. */
    if (len > 0) {
        memcpy(ctx->block, msg, len);
        ctx->block_len = len;
    }
}

void ss_sha256_final(ss_sha256_ctx *ctx, uint8_t out[32])
{
    /* §5.1.1 padding of an l-bit message: append the bit "1", then k zero
     * bits with l + 1 + k = 448 (mod 512), then l as a 64-bit big-endian
     * integer. For a byte-oriented message the "1" bit and the first seven
     * zero bits are the byte 0x80, and the total is a whole number of
     * blocks. The 0x80 is the standard's convention for where the message
     * ends; it is the 64-bit length at the end that tells "abc" from "abc"
     * followed by a zero byte (their padded forms differ in it) and makes
     * sure no padded message is a suffix of another ("Merkle-Damgard
     * strengthening"), which the proof that collisions of the whole hash
     * need collisions of the compression function relies on. */
    uint64_t bit_len = ctx->total_len * 8;
    size_t n = ctx->block_len; /* 0..63, so there is room for the 0x80 */

    ctx->block[n++] = 0x80;
    if (n > 56) {
        /* No room left for the 8 length bytes in this block: fill it with
         * zeros, compress it, and put the length in one more block. */
        memset(ctx->block + n, 0, 64 - n);
        compress(ctx->state, ctx->block, 1);
        n = 0;
    }
    memset(ctx->block + n, 0, 56 - n);
    ss_store64_be(ctx->block + 56, bit_len);
    compress(ctx->state, ctx->block, 1);

    /* §6.2.2: the digest is H0 || H1 || ... || H7, each word big-endian. */
    for (int i = 0; i < 8; i++)
        ss_store32_be(out + 4 * i, ctx->state[i]);

    /* The state and buffer can be secret (inside HMAC they are keyed), and
     * a finished context must not be reused by mistake: erase it all. */
    ss_wipe(ctx, sizeof *ctx);
}

void ss_sha256(uint8_t out[32], const uint8_t *msg, size_t len)
{
    ss_sha256_ctx ctx;
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, msg, len);
    ss_sha256_final(&ctx, out); /* also wipes ctx */
}
