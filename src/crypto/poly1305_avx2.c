/*
 * poly1305_avx2.c — Poly1305 (RFC 8439 §2.5) over four blocks at once, with
 * AVX2 and precomputed powers of r. The reference, and the function that
 * chooses, are in poly1305.c. Course: docs/performance.md ("Why Poly1305
 * vectorises with powers of r").
 *
 * Why powers of r. The reference runs h = (h + m_i) * r block after block:
 * each multiplication waits for the one before, so one multiplier works
 * and the others idle. Expanding four steps,
 *
 *      h' = (((h + m1) r + m2) r + m3) r + m4) r
 *         = (h + m1) r^4 + m2 r^3 + m3 r^2 + m4 r,
 *
 * and over a long message, block i+4 meets block i's partial sum only
 * through one multiplication by r^4. So four independent accumulators
 * (lanes) H_j, each taking every fourth block, run side by side:
 *
 *      H_j = H_j * r^4 + m_{4k+j}        (j = 0..3, one 64-bit lane each)
 *
 * and at the end h = H_0 r^4 + H_1 r^3 + H_2 r^2 + H_3 r (Goll and Gueron,
 * "Vectorization of Poly1305", 2015; the same idea as Horner's rule
 * split four ways). The loop takes eight blocks per round,
 *
 *      H = H r^8 + M r^4 + M'            (M, M' the next two groups of four)
 *
 * which is two rounds of the above with one carry pass instead of two, and
 * whose product M r^4 does not wait for H.
 *
 * Representation. AVX2's multiplier (VPMULUDQ) takes 32-bit halves and
 * gives 64-bit products, four lanes at once. A 130-bit number is cut into
 * five 26-bit limbs, x = x0 + x1 2^26 + x2 2^52 + x3 2^78 + x4 2^104, and
 * vector k holds limb k of the four lanes. Since 2^130 = 5 (mod p), a
 * product's limb that lands at 2^130 or above comes back multiplied by 5:
 * the precomputed s_k = 5 r_k.
 *
 * PROOF of the bounds. After a carry pass (carry) every limb is below
 * 2^26 + 2^12 (proved there). The accumulator as it enters from the
 * reference has limbs below 2^26 and a top limb below 5 * 2^24 (h[2] <= 4).
 * So limbs of H enter a multiplication below 2^27.01 (a message limb,
 * below 2^26, added); limbs of r^k are below 2^26 + 2^11 (mul26) and of
 * s = 5 r below 2^28.33. Each product is below 2^55.4 and each limb of a
 * round's sum adds ten of them: below 2^59, no overflow of the 64-bit
 * lanes. VPMULUDQ reads the low 32 bits of each lane, and every factor
 * fits in them.
 *
 * Constant time: multiplications, additions, shifts and masks only; the
 * loop runs on the number of blocks, which is public. The constant-time
 * test runs this file under valgrind (SS_CPU=avx2).
 */
#include "poly1305_simd.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#include "util.h"

#define MASK26 0x3ffffffULL

/* ---- scalar helpers, for the powers of r and the final sum ---- */

/* r or h from the reference's 64-bit limbs into five 26-bit limbs. */
static void to_limbs26(uint64_t out[5], uint64_t lo, uint64_t hi, uint64_t top)
{
    out[0] = lo & MASK26;
    out[1] = (lo >> 26) & MASK26;
    out[2] = ((lo >> 52) | (hi << 12)) & MASK26;
    out[3] = (hi >> 14) & MASK26;
    out[4] = (hi >> 40) | (top << 24);
}

/* out = a * b mod p, partially reduced (limbs below 2^26, limb 1 below
 * 2^26 + 2^11), for limbs below 2^27: products below 2^57, five per limb. */
static void mul26(uint64_t out[5], const uint64_t a[5], const uint64_t b[5])
{
    uint64_t s1 = 5 * b[1], s2 = 5 * b[2], s3 = 5 * b[3], s4 = 5 * b[4];
    uint64_t d0 = a[0] * b[0] + a[1] * s4 + a[2] * s3 + a[3] * s2 + a[4] * s1;
    uint64_t d1 = a[0] * b[1] + a[1] * b[0] + a[2] * s4 + a[3] * s3 + a[4] * s2;
    uint64_t d2 = a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * s4 + a[4] * s3;
    uint64_t d3 = a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * s4;
    uint64_t d4 = a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0];
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    d0 = (d0 & MASK26) + 5 * (d4 >> 26); /* 2^130 = 5 (mod p) */
    out[0] = d0 & MASK26;
    out[1] = (d1 & MASK26) + (d0 >> 26);
    out[2] = d2 & MASK26;
    out[3] = d3 & MASK26;
    out[4] = d4 & MASK26;
}

/* out = a^2 mod p, as mul26(out, a, a) but with each cross product a_i a_j
 * (i != j) computed once and doubled: 15 multiplications instead of 25.
 * The same sums as mul26, so the same bounds. */
static void sqr26(uint64_t out[5], const uint64_t a[5])
{
    uint64_t a0 = 2 * a[0], a1 = 2 * a[1], s3 = 5 * a[3], s4 = 5 * a[4];
    uint64_t d0 = a[0] * a[0] + a1 * s4 + 2 * a[2] * s3;
    uint64_t d1 = a0 * a[1] + 2 * a[2] * s4 + a[3] * s3;
    uint64_t d2 = a0 * a[2] + a[1] * a[1] + 2 * a[3] * s4;
    uint64_t d3 = a0 * a[3] + a1 * a[2] + a[4] * s4;
    uint64_t d4 = a0 * a[4] + a1 * a[3] + a[2] * a[2];
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    d0 = (d0 & MASK26) + 5 * (d4 >> 26); /* 2^130 = 5 (mod p) */
    out[0] = d0 & MASK26;
    out[1] = (d1 & MASK26) + (d0 >> 26);
    out[2] = d2 & MASK26;
    out[3] = d3 & MASK26;
    out[4] = d4 & MASK26;
}

/* ---- the vector part: limb k of the four lanes in v[k] ---- */

/* One vector of four 64-bit lanes holding limb k of four numbers. */
static inline __m256i lanes(uint64_t l0, uint64_t l1, uint64_t l2, uint64_t l3)
{
    return _mm256_set_epi64x((long long)l3, (long long)l2, (long long)l1, (long long)l0);
}

/* The factor of a multiplication: limb k of r in r[k] and 5 r_k in s[k]
 * (s[0] is never needed: limb 0 of h never lands at 2^130). Kept in
 * memory on purpose: VPMULUDQ reads them as operands, which leaves the
 * sixteen vector registers to h and the products. */
struct factor {
    __m256i r[5], s[5];
};

/* Sets f to x in every lane, s = 5 r. */
static void set_factor_all(struct factor *f, const uint64_t x[5])
{
    for (int k = 0; k < 5; k++) {
        f->r[k] = _mm256_set1_epi64x((long long)x[k]);
        f->s[k] = _mm256_set1_epi64x((long long)(5 * x[k]));
    }
}

/* Sets f to a different number in each lane (limb k of xj in lane j). */
static void set_factor(struct factor *f, const uint64_t *x0, const uint64_t *x1,
                       const uint64_t *x2, const uint64_t *x3)
{
    for (int k = 0; k < 5; k++) {
        f->r[k] = lanes(x0[k], x1[k], x2[k], x3[k]);
        f->s[k] = _mm256_add_epi64(f->r[k], _mm256_slli_epi64(f->r[k], 2)); /* 5 r */
    }
}

/*
 * Ends one row of the product below. The empty asm claims to read and
 * change the five sums, so they must be in registers here: the compiler
 * can no longer compute the 25 products of the next rows first (GCC does,
 * and then spills most of them to memory, which costs a fifth of the
 * speed). No instruction is emitted.
 */
static inline void row_done(__m256i *d0, __m256i *d1, __m256i *d2, __m256i *d3, __m256i *d4)
{
    __asm__("" : "+x"(*d0), "+x"(*d1), "+x"(*d2), "+x"(*d3), "+x"(*d4));
}

/*
 * d (+)= x * r mod 2^130 - 5 in each lane, not yet carried: the schoolbook
 * product, where a limb at 2^130 * 2^26k comes back as 5 * 2^26k (hence
 * s). With add, the products are added to d (two products share one carry
 * pass, see ss_poly1305_blocks_avx2).
 */
__attribute__((always_inline))
static inline void product(__m256i d[5], const __m256i x[5], const struct factor *f, int add)
{
    const __m256i *r = f->r, *s = f->s;
    /* Row by row: limb i of x times every limb of r goes into the five
     * sums at once. Only x, the sums and a product or two are live, which
     * fits the sixteen vector registers. */
    __m256i d0 = _mm256_mul_epu32(x[0], r[0]);
    __m256i d1 = _mm256_mul_epu32(x[0], r[1]);
    __m256i d2 = _mm256_mul_epu32(x[0], r[2]);
    __m256i d3 = _mm256_mul_epu32(x[0], r[3]);
    __m256i d4 = _mm256_mul_epu32(x[0], r[4]);
    if (add) {
        d0 = _mm256_add_epi64(d0, d[0]);
        d1 = _mm256_add_epi64(d1, d[1]);
        d2 = _mm256_add_epi64(d2, d[2]);
        d3 = _mm256_add_epi64(d3, d[3]);
        d4 = _mm256_add_epi64(d4, d[4]);
    }
    row_done(&d0, &d1, &d2, &d3, &d4);
    d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(x[1], s[4]));
    d1 = _mm256_add_epi64(d1, _mm256_mul_epu32(x[1], r[0]));
    d2 = _mm256_add_epi64(d2, _mm256_mul_epu32(x[1], r[1]));
    d3 = _mm256_add_epi64(d3, _mm256_mul_epu32(x[1], r[2]));
    d4 = _mm256_add_epi64(d4, _mm256_mul_epu32(x[1], r[3]));

    row_done(&d0, &d1, &d2, &d3, &d4);
    d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(x[2], s[3]));
    d1 = _mm256_add_epi64(d1, _mm256_mul_epu32(x[2], s[4]));
    d2 = _mm256_add_epi64(d2, _mm256_mul_epu32(x[2], r[0]));
    d3 = _mm256_add_epi64(d3, _mm256_mul_epu32(x[2], r[1]));
    d4 = _mm256_add_epi64(d4, _mm256_mul_epu32(x[2], r[2]));

    row_done(&d0, &d1, &d2, &d3, &d4);
    d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(x[3], s[2]));
    d1 = _mm256_add_epi64(d1, _mm256_mul_epu32(x[3], s[3]));
    d2 = _mm256_add_epi64(d2, _mm256_mul_epu32(x[3], s[4]));
    d3 = _mm256_add_epi64(d3, _mm256_mul_epu32(x[3], r[0]));
    d4 = _mm256_add_epi64(d4, _mm256_mul_epu32(x[3], r[1]));

    row_done(&d0, &d1, &d2, &d3, &d4);
    d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(x[4], s[1]));
    d1 = _mm256_add_epi64(d1, _mm256_mul_epu32(x[4], s[2]));
    d2 = _mm256_add_epi64(d2, _mm256_mul_epu32(x[4], s[3]));
    d3 = _mm256_add_epi64(d3, _mm256_mul_epu32(x[4], s[4]));
    d4 = _mm256_add_epi64(d4, _mm256_mul_epu32(x[4], r[0]));

    d[0] = d0;
    d[1] = d1;
    d[2] = d2;
    d[3] = d3;
    d[4] = d4;
}

/*
 * One carry pass over the limbs d of a product, into h. It runs as two
 * interleaved chains, 0 -> 1 -> 2 -> 3 and 3 -> 4 -> 0 -> 1, instead of
 * one chain 0 -> 1 -> ... -> 4 -> 0 -> 1: the same number of operations,
 * half the waiting.
 *
 * PROOF of the bounds, for limbs d_k below 2^60 (file comment):
 *   first  d0, d3 masked below 2^26; d1, d4 below 2^60 + 2^34
 *   then   d1 masked, d2 below 2^60 + 2^35; d4 masked, d0 below 2^26 + 5 2^35 < 2^26 + 2^38
 *   then   d2 masked, d3 below 2^26 + 2^35; d0 masked, d1 below 2^26 + 2^12
 *   last   d3 masked, d4 below 2^26 + 2^10
 * so every limb leaves below 2^26 + 2^12, as the next multiplication needs.
 */
__attribute__((always_inline))
static inline void carry(__m256i h[5], const __m256i d[5])
{
    const __m256i mask = _mm256_set1_epi64x((long long)MASK26);
    __m256i d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3], d4 = d[4], c0, c3;
    c0 = _mm256_srli_epi64(d0, 26);
    c3 = _mm256_srli_epi64(d3, 26);
    d0 = _mm256_and_si256(d0, mask);
    d3 = _mm256_and_si256(d3, mask);
    d1 = _mm256_add_epi64(d1, c0);
    d4 = _mm256_add_epi64(d4, c3);

    c0 = _mm256_srli_epi64(d1, 26);
    c3 = _mm256_srli_epi64(d4, 26);
    d1 = _mm256_and_si256(d1, mask);
    d4 = _mm256_and_si256(d4, mask);
    d2 = _mm256_add_epi64(d2, c0);
    d0 = _mm256_add_epi64(d0, _mm256_add_epi64(c3, _mm256_slli_epi64(c3, 2))); /* + 5c */

    c0 = _mm256_srli_epi64(d2, 26);
    c3 = _mm256_srli_epi64(d0, 26);
    d2 = _mm256_and_si256(d2, mask);
    d0 = _mm256_and_si256(d0, mask);
    d3 = _mm256_add_epi64(d3, c0);
    d1 = _mm256_add_epi64(d1, c3);

    c3 = _mm256_srli_epi64(d3, 26);
    d3 = _mm256_and_si256(d3, mask);
    d4 = _mm256_add_epi64(d4, c3);

    h[0] = d0;
    h[1] = d1;
    h[2] = d2;
    h[3] = d3;
    h[4] = d4;
}

/*
 * The next four blocks as 26-bit limbs, each with its 2^128 bit. The lanes
 * take the blocks in the order 0, 2, 1, 3: that is what VPUNPCKLQDQ gives
 * without a lane-crossing permutation (which costs more than the rest on
 * CPUs that split 256-bit operations), and the final powers of r follow it.
 */
static inline void split_blocks(__m256i m[5], const uint8_t *msg)
{
    const __m256i mask = _mm256_set1_epi64x((long long)MASK26);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)msg);        /* lo0 hi0 lo1 hi1 */
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(msg + 32)); /* lo2 hi2 lo3 hi3 */
    __m256i lo = _mm256_unpacklo_epi64(a, b); /* lo0 lo2 lo1 lo3 */
    __m256i hi = _mm256_unpackhi_epi64(a, b); /* hi0 hi2 hi1 hi3 */
    m[0] = _mm256_and_si256(lo, mask);
    m[1] = _mm256_and_si256(_mm256_srli_epi64(lo, 26), mask);
    m[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(lo, 52), _mm256_slli_epi64(hi, 12)),
                            mask);
    m[3] = _mm256_and_si256(_mm256_srli_epi64(hi, 14), mask);
    /* §2.5: the 1 bit above each full block is 2^128 = 2^24 * 2^104. */
    m[4] = _mm256_or_si256(_mm256_srli_epi64(hi, 40), _mm256_set1_epi64x(1LL << 24));
}

static inline void add_limbs(__m256i h[5], const __m256i m[5])
{
    h[0] = _mm256_add_epi64(h[0], m[0]);
    h[1] = _mm256_add_epi64(h[1], m[1]);
    h[2] = _mm256_add_epi64(h[2], m[2]);
    h[3] = _mm256_add_epi64(h[3], m[3]);
    h[4] = _mm256_add_epi64(h[4], m[4]);
}

void ss_poly1305_blocks_avx2(uint64_t h[3], const uint64_t r[2], const uint8_t *msg,
                             size_t nblocks)
{
    /* Every secret this function keeps in memory -- powers of r, the
     * accumulator, products, sums, the factors, the lanes of the last
     * round -- in one struct, wiped by one call at the end. Wiped one by
     * one (six calls to memset and five inline wipes), they took about a
     * tenth of the time of Poly1305 over 1 KiB (measured). */
    struct {
        uint64_t r1[5], r2[5], r3[5], r4[5], r8[5]; /* rk = r^k */
        uint64_t h26[5], v[5][4], l[5];
        struct factor f4, f8;
        __m256i a[5], d[5];
    } w;
    __m256i m[5]; /* the message in limbs: public, not wiped */
    uint64_t *r1 = w.r1, *r2 = w.r2, *r3 = w.r3, *r4 = w.r4, *r8 = w.r8;
    uint64_t *h26 = w.h26, *l = w.l;
    struct factor *f4 = &w.f4, *f8 = &w.f8;
    __m256i *a = w.a, *d = w.d;

    /* r, r^2, r^3, r^4 and r^8 once per call; r^3 and r^4 both from r^2,
     * so that they do not wait for each other. */
    to_limbs26(r1, r[0], r[1], 0);
    sqr26(r2, r1);
    mul26(r3, r2, r1);
    sqr26(r4, r2);
    sqr26(r8, r4);

    /* Four lanes, block 4i + j in the lane that split_blocks gives it. The
     * accumulator enters lane 0 (beside block 0), the other lanes start
     * at 0. */
    to_limbs26(h26, h[0], h[1], h[2]);
    for (int k = 0; k < 5; k++)
        a[k] = lanes(h26[k], 0, 0, 0);
    split_blocks(m, msg);
    add_limbs(a, m);
    msg += 64;
    nblocks -= 4;

    /*
     * Eight blocks per round: a = a r^8 + m r^4 + m', where m holds the
     * next four blocks and m' the four after. The two products share one
     * carry pass, and m r^4 does not wait for a. PROOF the sum fits: a's
     * limbs are below 2^26 + 2^12 plus a message limb below 2^26, so below
     * 2^27.01; m's below 2^26; limbs of s below 5 (2^26 + 2^11) < 2^28.33.
     * Each product is below 2^55.4, ten per limb below 2^59 < 2^60 (the
     * bound carry() was proved for).
     */
    set_factor_all(f4, r4);
    set_factor_all(f8, r8);
    for (; nblocks >= 8; nblocks -= 8, msg += 128) {
        split_blocks(m, msg);
        product(d, m, f4, 0);
        product(d, a, f8, 1);
        carry(a, d);
        split_blocks(m, msg + 64);
        add_limbs(a, m);
    }
    if (nblocks == 4) { /* four blocks left over: one round of r^4 */
        product(d, a, f4, 0);
        carry(a, d);
        split_blocks(m, msg);
        add_limbs(a, m);
    }

    /* The end: blocks 0, 1, 2, 3 of the last four, in lanes 0, 2, 1, 3,
     * are multiplied by r^4, r^3, r^2, r, then the lanes are summed. */
    set_factor(f4, r4, r2, r3, r1);
    product(d, a, f4, 0);
    carry(a, d);
    for (int k = 0; k < 5; k++) {
        uint64_t *v = w.v[k];
        _mm256_storeu_si256((__m256i *)(void *)v, a[k]);
        l[k] = v[0] + v[1] + v[2] + v[3]; /* four limbs below 2^27: the sum below 2^29 */
    }

    /* The sum of four lanes can reach 2^132: carry and fold the part at
     * 2^130 and above back (times 5), so that the value is below
     * 2^130 + 2^27 and h[2] = value >> 128 stays <= 4 (invariant (I) of
     * poly1305.c). */
    l[1] += l[0] >> 26;
    l[0] &= MASK26;
    l[2] += l[1] >> 26;
    l[1] &= MASK26;
    l[3] += l[2] >> 26;
    l[2] &= MASK26;
    l[4] += l[3] >> 26;
    l[3] &= MASK26;
    l[0] += 5 * (l[4] >> 26);
    l[4] &= MASK26;
    l[1] += l[0] >> 26;
    l[0] &= MASK26;

    /* Back to the reference's representation; 128-bit arithmetic adds
     * the overlapping limbs exactly. */
    ss_u128 t = (ss_u128)l[0] + ((ss_u128)l[1] << 26) + ((ss_u128)l[2] << 52);
    h[0] = (uint64_t)t;
    t = (t >> 64) + ((ss_u128)l[3] << 14) + ((ss_u128)l[4] << 40);
    h[1] = (uint64_t)t;
    h[2] = (uint64_t)(t >> 64);

    ss_wipe(&w, sizeof w);
}
#endif
