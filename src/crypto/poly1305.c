/*
 * poly1305.c — the Poly1305 one-time authenticator (RFC 8439 §2.5), one-shot
 * and incremental.
 *
 * Course position: after chacha20.c. Poly1305 is the "P" of the AEAD
 * (aead.c): it produces the 16-byte tag that lets the receiver of a Noise
 * message reject anything an attacker modified. Course chapter:
 * docs/poly1305.md.
 *
 * What it computes (§2.5). The 32-byte key is split into r (16 bytes,
 * "clamped") and s (16 bytes). The message is cut into 16-byte blocks; each
 * block, read as a little-endian number with one extra 1 bit just above its
 * last byte, is added to an accumulator h, and h is multiplied by r modulo
 * the prime p = 2^130 - 5:
 *
 *      h = ((h + block) * r) mod p          for every block
 *      tag = (h + s) mod 2^128
 *
 * That is the evaluation of a polynomial whose coefficients are the message
 * blocks, at the secret point r. Two different messages give two different
 * polynomials, which agree at only a few points r; since r is secret and
 * random, a forger's chance of hitting one is tiny: at most
 * 8 * ceil(len/16) / 2^106 per attempt for a len-byte message.
 * s hides h. This is only secure when each key (r, s) authenticates ONE
 * message: subtracting two tags made with the same key cancels s and leaves
 * a polynomial equation in r, whose few roots an attacker can compute -- and
 * with r and then s, forge any message. aead.c derives a fresh key for every
 * message.
 *
 * Representation: 64-bit limbs with 128-bit products (ss_u128).
 *
 *      r = r0 + r1*2^64                    two 64-bit limbs
 *      h = h0 + h1*2^64 + h2*2^128         two 64-bit limbs and a small top
 *                                          limb, h2 <= 4 between blocks
 *
 * A 130-bit number needs a third word, but that word only ever holds a few
 * bits (h2 <= 6 at most, proved below), so its products are cheap. One
 * multiplication h*r then costs four full 64x64->128 products plus two small
 * ones, against nine for three 44-bit limbs and twenty-five 32x32->64 for
 * five 26-bit limbs. The clamping of r (below) is what makes this work: it keeps r0 and
 * r1 under 2^60, so sums of products stay under 2^126, and makes r1 a
 * multiple of 4, so the reduction constant 5*r1/4 is an exact integer. Every
 * bound is proved where it is used ("PROOF" comments).
 *
 * Constant time: no branch and no memory index depends on r, s, h or the
 * message bytes. The 64x64->128 multiplication is a single MUL instruction on
 * x86-64 (MUL/UMULH on AArch64), whose timing does not depend on the operand
 * values. The final reduction selects with a mask instead of an "if" (see
 * ss_poly1305_final). The only branches are on lengths, which are public.
 */
#include "poly1305.h"

#include "cpu.h"
#include "poly1305_simd.h"
#include "util.h"

/* Fewer whole blocks than this go through the reference (see update):
 * below 28 blocks (448 bytes) the powers of r and the last round over the
 * four lanes cost more than the four lanes save (measured on AMD Zen 1,
 * whose vector unit splits each 256-bit operation in two). */
#define MIN_AVX2_BLOCKS 28

/* The same for the AVX-512 IFMA path (poly1305_avx512.c): its powers of r
 * (up to r^16) and its last round over eight lanes cost about 100 ns, as
 * much as 20 blocks of the reference. Measured on an AMD EPYC of family 26
 * (Zen 5): level with the reference at 24 blocks, ahead from 32; from 28
 * to 31 the AVX2 path takes them (docs/performance.md). */
#define MIN_AVX512_BLOCKS 32

/*
 * §2.5 clamp: r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, i.e. clear the top
 * four bits of bytes 3, 7, 11, 15 and the bottom two bits of bytes 4, 8, 12.
 * Split into our two 64-bit limbs (bytes 0-7 and 8-15, little-endian):
 *
 *      r0 <= 0x0ffffffc0fffffff  < 2^60
 *      r1 <= 0x0ffffffc0ffffffc  < 2^60, and r1 mod 4 == 0 (byte 8's low bits)
 *
 * Bernstein chose the clamp to make implementations fast (small limbs, fewer
 * carries); the loss of 22 bits of r costs little security.
 */
#define POLY1305_CLAMP_R0 0x0ffffffc0fffffffULL
#define POLY1305_CLAMP_R1 0x0ffffffc0ffffffcULL

void ss_poly1305_init(ss_poly1305_ctx *ctx, const uint8_t key[32])
{
    ctx->r[0] = ss_load64_le(key) & POLY1305_CLAMP_R0;
    ctx->r[1] = ss_load64_le(key + 8) & POLY1305_CLAMP_R1;
    ctx->h[0] = 0; /* §2.5: the accumulator starts at zero */
    ctx->h[1] = 0;
    ctx->h[2] = 0;
    ctx->s[0] = ss_load64_le(key + 16);
    ctx->s[1] = ss_load64_le(key + 24);
    ctx->block_len = 0;
}

/*
 * Absorbs nblocks 16-byte blocks: for each, h = ((h + block + hibit*2^128)
 * * r) mod p, kept only partially reduced (h < 5*2^128, not < p).
 * hibit is 1 for full blocks, whose added 1 bit (§2.5) sits at 2^128; it is
 * 0 for the padded last block, whose 0x01 byte the caller already wrote.
 *
 * Invariant (I), true on entry and on exit (h starts at 0):
 *      h0, h1 < 2^64 (they are uint64_t) and h2 <= 4.
 */
static void poly1305_blocks(ss_poly1305_ctx *ctx, const uint8_t *msg, size_t nblocks,
                            uint64_t hibit)
{
    const uint64_t r0 = ctx->r[0];
    const uint64_t r1 = ctx->r[1];
    /*
     * s1 = 5 * r1 / 4, exact because the clamp made r1 a multiple of 4.
     * PROOF s1 < 2^60 + 2^58 = 1.25 * 2^60 (r1 < 2^60), so s1 < 2^61.
     */
    const uint64_t s1 = r1 + (r1 >> 2);
    uint64_t h0 = ctx->h[0];
    uint64_t h1 = ctx->h[1];
    uint64_t h2 = ctx->h[2];

    while (nblocks > 0) {
        /*
         * 1. h += block. Each 64-bit addition is done in 128 bits so that its
         * carry (0 or 1) is bit 64 of the sum.
         * PROOF after this step h2 <= 4 + 1 (carry out of h1) + 1 (hibit) = 6.
         */
        ss_u128 t = (ss_u128)h0 + ss_load64_le(msg);
        h0 = (uint64_t)t;
        t = (ss_u128)h1 + ss_load64_le(msg + 8) + (uint64_t)(t >> 64);
        h1 = (uint64_t)t;
        h2 += (uint64_t)(t >> 64) + hibit;

        /*
         * 2. h * r, schoolbook, with everything at 2^130 or above folded back
         * down using 2^130 = 5 (mod p):
         *
         *   h*r = h0 r0 + (h0 r1 + h1 r0) 2^64 + (h1 r1 + h2 r0) 2^128
         *         + h2 r1 2^192
         *
         *   h1 r1 2^128 = h1 (r1/4) 2^130        = 5 h1 (r1/4)  = h1 s1
         *   h2 r1 2^192 = h2 (r1/4) 2^130 2^64   = h2 s1 2^64     (mod p)
         *
         * so h*r = d0 + d1 2^64 + d2 2^128 (mod p) with
         *
         *   d0 = h0 r0 + h1 s1
         *   d1 = h0 r1 + h1 r0 + h2 s1
         *   d2 = h2 r0
         *
         * PROOF that nothing overflows (h0, h1 < 2^64, h2 <= 6,
         * r0, r1 < 2^60, s1 < 1.25 * 2^60):
         *   d0 < 2^64 2^60 + 2^64 1.25 2^60 = 2.25 * 2^124 < 2^126
         *   h2 s1 <= 6 * 1.25 * 2^60 = 7.5 * 2^60 < 2^63   (a 64-bit product)
         *   d1 < 2^124 + 2^124 + 2^63 < 2^126
         *   d2 <= 6 * 2^60 < 2^63                        (a 64-bit product)
         * Each sum of two 128-bit products is therefore well below 2^128.
         */
        ss_u128 d0 = (ss_u128)h0 * r0 + (ss_u128)h1 * s1;
        ss_u128 d1 = (ss_u128)h0 * r1 + (ss_u128)h1 * r0 + (h2 * s1);
        uint64_t d2 = h2 * r0;

        /*
         * 3. Carry: bring d0 and d1 back to 64 bits each.
         * PROOF d0 < 2.25 * 2^124, so d0 >> 64 < 2.25 * 2^60 < 2^62, and
         *       d1 < 2^125 + 2^63 + 2^62 < 2^126 after adding it; then
         *       d1 >> 64 < 2^62, so d2 < 6 * 2^60 + 2^62 = 10 * 2^60.
         */
        d1 += (uint64_t)(d0 >> 64);
        h0 = (uint64_t)d0;
        d2 += (uint64_t)(d1 >> 64);
        h1 = (uint64_t)d1;

        /*
         * 4. Partial reduction of the top limb. Now h = h0 + h1 2^64 +
         * d2 2^128. Write d2 = 4q + (d2 mod 4): the part q 2^130 is worth
         * 5q (mod p), so keep d2 mod 4 as h2 and add 5q to h0, where
         * 5q = 4q + q = (d2 with its two low bits cleared) + (d2 >> 2).
         * PROOF 5q <= 1.25 * d2 < 12.5 * 2^60 < 2^64: one word holds it.
         */
        uint64_t q5 = (d2 & ~(uint64_t)3) + (d2 >> 2);
        h2 = d2 & 3;
        t = (ss_u128)h0 + q5;
        h0 = (uint64_t)t;
        t = (ss_u128)h1 + (uint64_t)(t >> 64);
        h1 = (uint64_t)t;
        h2 += (uint64_t)(t >> 64);
        /* PROOF of (I): h2 = (d2 mod 4) + carry <= 3 + 1 = 4. */

        msg += 16;
        nblocks--;
    }

    ctx->h[0] = h0;
    ctx->h[1] = h1;
    ctx->h[2] = h2;
}

void ss_poly1305_update(ss_poly1305_ctx *ctx, const uint8_t *msg, size_t len)
{
    /* msg may be NULL when len is 0: return before touching it. */
    if (len == 0)
        return;

    /* 1. Complete a block left partial by an earlier call. */
    if (ctx->block_len > 0) {
        size_t n = 16 - ctx->block_len;
        if (n > len)
            n = len;
        for (size_t i = 0; i < n; i++)
            ctx->block[ctx->block_len + i] = msg[i];
        ctx->block_len += n;
        msg += n;
        len -= n;
        if (ctx->block_len < 16)
            return;
        poly1305_blocks(ctx, ctx->block, 1, 1);
        ctx->block_len = 0;
    }

    /* 2. Whole blocks straight from the caller's buffer (no copy), sixteen
     * at a time by the AVX-512 path (poly1305_avx512.c) or eight at a time
     * by the AVX2 path (poly1305_avx2.c) when the CPU has it and there are
     * enough of them to pay for computing the powers of r. */
    size_t whole = len / 16;
#if defined(__x86_64__)
    if (whole >= MIN_AVX512_BLOCKS && (ss_cpu_features() & SS_CPU_AVX512)) {
        size_t n = whole - whole % 8;
        ss_poly1305_blocks_avx512(ctx->h, ctx->r, msg, n);
        msg += 16 * n;
        len -= 16 * n;
        whole -= n;
    }
    if (whole >= MIN_AVX2_BLOCKS && (ss_cpu_features() & SS_CPU_AVX2)) {
        size_t n = whole - whole % 4;
        ss_poly1305_blocks_avx2(ctx->h, ctx->r, msg, n);
        msg += 16 * n;
        len -= 16 * n;
        whole -= n;
    }
#endif
    if (whole > 0) {
        poly1305_blocks(ctx, msg, whole, 1);
        msg += 16 * whole;
        len -= 16 * whole;
    }

    /* 3. Keep the rest (0..15 bytes) until more data or final arrives. We
     * cannot absorb it yet: only the LAST block may be short (§2.5), and
     * a later update may still extend it. */
    for (size_t i = 0; i < len; i++)
        ctx->block[i] = msg[i];
    ctx->block_len = len;
}

void ss_poly1305_final(ss_poly1305_ctx *ctx, uint8_t tag[16])
{
    /* §2.5: a short last block gets its 1 bit as a 0x01 byte just after
     * its data and is zero-padded to 16 bytes; no 2^128 bit then. */
    if (ctx->block_len > 0) {
        ctx->block[ctx->block_len] = 1;
        for (size_t i = ctx->block_len + 1; i < 16; i++)
            ctx->block[i] = 0;
        poly1305_blocks(ctx, ctx->block, 1, 0);
    }

    uint64_t h0 = ctx->h[0];
    uint64_t h1 = ctx->h[1];
    uint64_t h2 = ctx->h[2];

    /*
     * Full reduction mod p. By (I), h < 5 * 2^128 = 2^130 + 2^128 < 2p, so
     * h mod p is either h or h - p. Compute g = h + 5:
     *      h >= p  <=>  h + 5 >= 2^130  <=>  g2 >= 4,
     * and since g2 <= 4 + 1 = 5, that is bit 2 of g2. When h >= p,
     * h - p = g - 2^130, and since the tag keeps only 128 bits, g0 and g1
     * are all we need of it.
     */
    ss_u128 t = (ss_u128)h0 + 5;
    uint64_t g0 = (uint64_t)t;
    t = (ss_u128)h1 + (uint64_t)(t >> 64);
    uint64_t g1 = (uint64_t)t;
    uint64_t g2 = h2 + (uint64_t)(t >> 64);

    /*
     * Select h or g without a branch. "if (h >= p) h = g" would make the
     * running time (and the branch predictor's state) depend on the value of
     * h, which is derived from the secret r; such a leak can be measured
     * from another process or across the network, and each bit it gives away
     * narrows down r. Instead, build a mask: all ones when g2 >= 4, zero
     * otherwise (0 - 1 = 0xff..ff, 0 - 0 = 0), and take each limb from g
     * where the mask is set and from h where it is clear.
     */
    uint64_t mask = 0 - (g2 >> 2);
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);

    /*
     * §2.5: tag = (h + s) mod 2^128. The carry out of the low limb goes
     * into the high limb; the carry out of the high limb is dropped, which
     * is exactly the reduction mod 2^128 (uint64_t addition wraps).
     */
    t = (ss_u128)h0 + ctx->s[0];
    h0 = (uint64_t)t;
    h1 = h1 + ctx->s[1] + (uint64_t)(t >> 64);
    ss_store64_le(tag, h0);
    ss_store64_le(tag + 8, h1);

    /* The context holds r and s (the key) and h: wipe it all. */
    ss_wipe(ctx, sizeof *ctx);
}

void ss_poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32])
{
    ss_poly1305_ctx ctx;
    ss_poly1305_init(&ctx, key);
    ss_poly1305_update(&ctx, msg, len);
    ss_poly1305_final(&ctx, tag); /* wipes ctx */
}
