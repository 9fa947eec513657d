/*
 * poly1305_avx512.c — Poly1305 (RFC 8439 §2.5) over eight blocks at once,
 * with AVX-512 IFMA's 52-bit multiply-adds, in radix 2^44. The reference,
 * and the function that chooses, are in poly1305.c; the method (powers of
 * r, several accumulators) is poly1305_avx2.c's: read that first. Course:
 * docs/performance.md ("Poly1305 with IFMA").
 *
 * The instructions. VPMADD52LUQ and VPMADD52HUQ multiply, in each of the
 * eight 64-bit lanes of a 512-bit register, two 52-bit numbers (the low 52
 * bits of each operand) into a 104-bit product, and add its low 52 bits
 * (LUQ) or its high 52 bits (HUQ) to a 64-bit accumulator. One pair of
 * instructions is a 52 x 52-bit product; AVX2's VPMULUDQ gives 32 x 32.
 *
 * Representation: three limbs of 44, 44 and 42 bits,
 *
 *      x = x0 + x1 2^44 + x2 2^88          (vector k holds limb k of 8 lanes)
 *
 * nine products per multiplication instead of AVX2's twenty-five, eight
 * lanes instead of four. A product limb at 2^132 = 4 * 2^130 comes back
 * as 4 * 5 = 20 (mod p), hence the precomputed s_k = 20 r_k:
 *
 *      d0 = x0 r0 + x1 s2 + x2 s1          (at 2^0)
 *      d1 = x0 r1 + x1 r0 + x2 s2          (at 2^44)
 *      d2 = x0 r2 + x1 r1 + x2 r0          (at 2^88)
 *
 * Each term is a 104-bit product, added as its low half lo (at the limb's
 * place) and its high half hi at 52 bits above it, i.e. 8 bits above the
 * next limb's place: hi of limb 0 goes into limb 1 times 2^8, hi of limb 1
 * into limb 2 times 2^8, and hi of limb 2, at 2^140 = 2^10 2^130, into
 * limb 0 times 5 * 2^10 (combine).
 *
 * Eight lanes, each an accumulator taking every eighth block. Sixteen
 * blocks per round: H = H r^16 + M r^8 + M', M and M' the next two groups
 * of eight, the two products sharing one carry pass; M r^8 does not wait
 * for H, so its multiply-adds fill the time the chain of H waits. At the
 * end lane j is multiplied by r^(8 - j) and the lanes are summed.
 *
 * PROOF of the bounds. After a carry pass (carry) limbs are below 2^44,
 * 2^44 + 2 and 2^42 (proved there). A message limb is below 2^44
 * (2^41 for the top one, the 2^128 bit included), so H's limbs enter a
 * multiplication below 2^45.01: within the 52 bits the instructions read.
 * Powers of r (mul44) have limbs below 2^44 + 2^12, so s < 20 (2^44 + 2^12)
 * < 2^48.33, also within 52 bits. A product is below 2^45.01 2^48.33 <
 * 2^93.4, so lo < 2^52 and hi < 2^41.4. A round sums six products per
 * limb (two multiplications): lo sums below 2^54.6, hi sums below 2^44;
 * after combine, limbs below 2^54.6 + 5 2^10 2^44 < 2^57. No 64-bit lane
 * overflows.
 *
 * Constant time: multiply-adds, additions, shifts and masks only; the
 * loop runs on the number of blocks, which is public; the permutation
 * indices are constants. Valgrind cannot run AVX-512: docs/security.md
 * says how this file is checked instead (tests/test_avx512_ct.sh reads its
 * machine code).
 */
#include "poly1305_simd.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512IFMA__)
#include <immintrin.h>

#include "util.h"

#define MASK44 0xfffffffffffULL
#define MASK42 0x3ffffffffffULL

/* ---- scalar helpers, for the powers of r and the final sum ---- */

/* The reference's h = h[0] + h[1] 2^64 + h[2] 2^128 (or r, with top 0) in
 * three limbs. With h[2] <= 4, the top limb is below 5 2^40 < 2^43. */
static void to_limbs44(uint64_t out[3], uint64_t lo, uint64_t hi, uint64_t top)
{
    out[0] = lo & MASK44;
    out[1] = ((lo >> 44) | (hi << 20)) & MASK44;
    out[2] = (hi >> 24) | (top << 40);
}

/*
 * out = a b mod p, partially reduced: limbs below 2^44, 2^44 + 2^12, 2^42.
 * PROOF for limbs of a, b below 2^44 + 2^12 (r's are below 2^44): s below
 * 2^48.33, products below 2^92.4, three per sum: below 2^94. Then
 * d2 >> 42 < 2^52 and 5 times it < 2^54.4, so l0 < 2^55 before its carry,
 * and that carry (below 2^11) leaves l1 below 2^44 + 2^11.
 */
static void mul44(uint64_t out[3], const uint64_t a[3], const uint64_t b[3])
{
    uint64_t s1 = 20 * b[1], s2 = 20 * b[2];
    ss_u128 d0 = (ss_u128)a[0] * b[0] + (ss_u128)a[1] * s2 + (ss_u128)a[2] * s1;
    ss_u128 d1 = (ss_u128)a[0] * b[1] + (ss_u128)a[1] * b[0] + (ss_u128)a[2] * s2;
    ss_u128 d2 = (ss_u128)a[0] * b[2] + (ss_u128)a[1] * b[1] + (ss_u128)a[2] * b[0];
    d1 += (uint64_t)(d0 >> 44);
    d2 += (uint64_t)(d1 >> 44);
    uint64_t l0 = ((uint64_t)d0 & MASK44) + 5 * (uint64_t)(d2 >> 42); /* 2^130 = 5 */
    uint64_t l1 = ((uint64_t)d1 & MASK44) + (l0 >> 44);
    out[0] = l0 & MASK44;
    out[1] = l1;
    out[2] = (uint64_t)d2 & MASK42;
}

/* out = a^2 mod p, as mul44(out, a, a) with each cross product computed
 * once and doubled: six multiplications instead of nine, the same sums,
 * so the same bounds. */
static void sqr44(uint64_t out[3], const uint64_t a[3])
{
    uint64_t a0x2 = 2 * a[0], s1x2 = 40 * a[1], s2 = 20 * a[2];
    ss_u128 d0 = (ss_u128)a[0] * a[0] + (ss_u128)s1x2 * a[2];
    ss_u128 d1 = (ss_u128)a0x2 * a[1] + (ss_u128)a[2] * s2;
    ss_u128 d2 = (ss_u128)a0x2 * a[2] + (ss_u128)a[1] * a[1];
    d1 += (uint64_t)(d0 >> 44);
    d2 += (uint64_t)(d1 >> 44);
    uint64_t l0 = ((uint64_t)d0 & MASK44) + 5 * (uint64_t)(d2 >> 42); /* 2^130 = 5 */
    uint64_t l1 = ((uint64_t)d1 & MASK44) + (l0 >> 44);
    out[0] = l0 & MASK44;
    out[1] = l1;
    out[2] = (uint64_t)d2 & MASK42;
}

/* ---- the vector part: limb k of the eight lanes in v[k] ---- */

/* The factor of a multiplication: limbs r[k] and s[k] = 20 r[k]. */
struct factor {
    __m512i r[3], s[3];
};

/* f = x in every lane. */
static void set_factor_all(struct factor *f, const uint64_t x[3])
{
    for (int k = 0; k < 3; k++) {
        f->r[k] = _mm512_set1_epi64((long long)x[k]);
        f->s[k] = _mm512_set1_epi64((long long)(20 * x[k]));
    }
}

/* f = the number whose limb k in lane j is p[k][j]: each row one load.
 * (Built from eight scattered words, Clang would gather them with
 * VPGATHERQQ, an instruction whose addresses come from a vector, which
 * tests/test_avx512_ct.sh refuses.) */
static void set_factor(struct factor *f, const uint64_t p[3][8])
{
    for (int k = 0; k < 3; k++) {
        f->r[k] = _mm512_loadu_si512(p[k]);
        /* 20 r = 16 r + 4 r */
        f->s[k] = _mm512_add_epi64(_mm512_slli_epi64(f->r[k], 4), _mm512_slli_epi64(f->r[k], 2));
    }
}

/* The low and high halves of the products of one multiplication, per
 * limb, before they are combined. */
struct halves {
    __m512i lo[3], hi[3];
};

/* p (+)= x r: the nine products, each as VPMADD52LUQ and VPMADD52HUQ into
 * the sums of its limb (file comment). p must start at zero or hold the
 * halves of another product (the two products of a round). */
__attribute__((always_inline))
static inline void product(struct halves *p, const __m512i x[3], const struct factor *f)
{
    const __m512i *r = f->r, *s = f->s;
    p->lo[0] = _mm512_madd52lo_epu64(p->lo[0], x[0], r[0]);
    p->hi[0] = _mm512_madd52hi_epu64(p->hi[0], x[0], r[0]);
    p->lo[1] = _mm512_madd52lo_epu64(p->lo[1], x[0], r[1]);
    p->hi[1] = _mm512_madd52hi_epu64(p->hi[1], x[0], r[1]);
    p->lo[2] = _mm512_madd52lo_epu64(p->lo[2], x[0], r[2]);
    p->hi[2] = _mm512_madd52hi_epu64(p->hi[2], x[0], r[2]);

    p->lo[0] = _mm512_madd52lo_epu64(p->lo[0], x[1], s[2]);
    p->hi[0] = _mm512_madd52hi_epu64(p->hi[0], x[1], s[2]);
    p->lo[1] = _mm512_madd52lo_epu64(p->lo[1], x[1], r[0]);
    p->hi[1] = _mm512_madd52hi_epu64(p->hi[1], x[1], r[0]);
    p->lo[2] = _mm512_madd52lo_epu64(p->lo[2], x[1], r[1]);
    p->hi[2] = _mm512_madd52hi_epu64(p->hi[2], x[1], r[1]);

    p->lo[0] = _mm512_madd52lo_epu64(p->lo[0], x[2], s[1]);
    p->hi[0] = _mm512_madd52hi_epu64(p->hi[0], x[2], s[1]);
    p->lo[1] = _mm512_madd52lo_epu64(p->lo[1], x[2], s[2]);
    p->hi[1] = _mm512_madd52hi_epu64(p->hi[1], x[2], s[2]);
    p->lo[2] = _mm512_madd52lo_epu64(p->lo[2], x[2], r[0]);
    p->hi[2] = _mm512_madd52hi_epu64(p->hi[2], x[2], r[0]);
}

static inline void zero_halves(struct halves *p)
{
    for (int k = 0; k < 3; k++) {
        p->lo[k] = _mm512_setzero_si512();
        p->hi[k] = _mm512_setzero_si512();
    }
}

/*
 * The halves into three limbs, then one carry pass into h.
 *
 * combine: d0 = lo0 + 5 2^10 hi2, d1 = lo1 + 2^8 hi0, d2 = lo2 + 2^8 hi1,
 * each below 2^57 (file comment).
 *
 * PROOF of the carry, for d_k below 2^57: d0 masked to 44 bits, d1 then
 * below 2^57 + 2^13 and masked, d2 below 2^57 + 2^14 and masked to 42 bits,
 * its carry c below 2^15.01 comes back as 5c < 2^17.4 into d0 (below
 * 2^44 + 2^17.4); d0's carry (below 2) into d1 leaves d1 below 2^44 + 2,
 * as the file comment's bound assumes.
 */
__attribute__((always_inline))
static inline void carry(__m512i h[3], const struct halves *p)
{
    const __m512i mask44 = _mm512_set1_epi64((long long)MASK44);
    const __m512i mask42 = _mm512_set1_epi64((long long)MASK42);
    __m512i hi2 = p->hi[2];
    __m512i d0 = _mm512_add_epi64(p->lo[0], _mm512_add_epi64(_mm512_slli_epi64(hi2, 12),
                                                             _mm512_slli_epi64(hi2, 10)));
    __m512i d1 = _mm512_add_epi64(p->lo[1], _mm512_slli_epi64(p->hi[0], 8));
    __m512i d2 = _mm512_add_epi64(p->lo[2], _mm512_slli_epi64(p->hi[1], 8));

    d1 = _mm512_add_epi64(d1, _mm512_srli_epi64(d0, 44));
    d0 = _mm512_and_si512(d0, mask44);
    d2 = _mm512_add_epi64(d2, _mm512_srli_epi64(d1, 44));
    d1 = _mm512_and_si512(d1, mask44);
    __m512i c = _mm512_srli_epi64(d2, 42);
    d2 = _mm512_and_si512(d2, mask42);
    d0 = _mm512_add_epi64(d0, _mm512_add_epi64(c, _mm512_slli_epi64(c, 2))); /* + 5c */
    d1 = _mm512_add_epi64(d1, _mm512_srli_epi64(d0, 44));
    d0 = _mm512_and_si512(d0, mask44);
    h[0] = d0;
    h[1] = d1;
    h[2] = d2;
}

/*
 * The next eight blocks as 44-bit limbs, block j in lane j, each with its
 * 2^128 bit. Two loads give the blocks as (lo0 hi0 lo1 hi1 ...); one
 * VPERMT2Q gathers the eight low halves, another the eight high ones.
 */
static inline void split_blocks(__m512i m[3], const uint8_t *msg)
{
    const __m512i mask44 = _mm512_set1_epi64((long long)MASK44);
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    __m512i a = _mm512_loadu_si512(msg);      /* blocks 0-3 */
    __m512i b = _mm512_loadu_si512(msg + 64); /* blocks 4-7 */
    __m512i lo = _mm512_permutex2var_epi64(a, even, b);
    __m512i hi = _mm512_permutex2var_epi64(a, odd, b);
    m[0] = _mm512_and_si512(lo, mask44);
    m[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 44), _mm512_slli_epi64(hi, 20)),
                            mask44);
    /* §2.5: the 1 bit above each full block, 2^128 = 2^40 2^88. */
    m[2] = _mm512_or_si512(_mm512_srli_epi64(hi, 24), _mm512_set1_epi64(1LL << 40));
}

static inline void add_limbs(__m512i h[3], const __m512i m[3])
{
    for (int k = 0; k < 3; k++)
        h[k] = _mm512_add_epi64(h[k], m[k]);
}

void ss_poly1305_blocks_avx512(uint64_t h[3], const uint64_t r[2], const uint8_t *msg,
                               size_t nblocks)
{
    /* Every secret this function keeps in memory, in one struct wiped by
     * one call at the end (as in poly1305_avx2.c). */
    struct {
        uint64_t pw[17][3]; /* pw[k] = r^k, k = 1..8 and 16 */
        uint64_t last[3][8]; /* limb k of r^(8 - j) in last[k][j] */
        uint64_t h44[3], l[3];
        struct factor f8, f16;
        struct halves p;
        __m512i a[3];
    } w;
    __m512i m[3]; /* the message in limbs: public, not wiped */
    uint64_t (*pw)[3] = w.pw;
    __m512i *a = w.a;

    /* r, r^2, ..., r^8 and r^16 once per call: five squarings (the chain
     * r^2, r^4, r^8, r^16, and r^6) and three products, which do not wait
     * for each other once r^4 is there. */
    to_limbs44(pw[1], r[0], r[1], 0);
    sqr44(pw[2], pw[1]);
    mul44(pw[3], pw[2], pw[1]);
    sqr44(pw[4], pw[2]);
    mul44(pw[5], pw[4], pw[1]);
    sqr44(pw[6], pw[3]);
    mul44(pw[7], pw[4], pw[3]);
    sqr44(pw[8], pw[4]);
    sqr44(pw[16], pw[8]);

    /* Eight lanes, block 8i + j in lane j; the accumulator enters lane 0
     * (beside block 0), the other lanes start at 0. */
    to_limbs44(w.h44, h[0], h[1], h[2]);
    for (int k = 0; k < 3; k++)
        a[k] = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)w.h44[k]);
    split_blocks(m, msg);
    add_limbs(a, m);
    msg += 128;
    nblocks -= 8;

    /* Sixteen blocks per round: a = a r^16 + m r^8 + m'. */
    set_factor_all(&w.f8, pw[8]);
    set_factor_all(&w.f16, pw[16]);
    for (; nblocks >= 16; nblocks -= 16, msg += 256) {
        zero_halves(&w.p);
        split_blocks(m, msg);
        product(&w.p, m, &w.f8);
        product(&w.p, a, &w.f16);
        carry(a, &w.p);
        split_blocks(m, msg + 128);
        add_limbs(a, m);
    }
    if (nblocks == 8) { /* eight blocks left over: one round of r^8 */
        zero_halves(&w.p);
        product(&w.p, a, &w.f8);
        carry(a, &w.p);
        split_blocks(m, msg);
        add_limbs(a, m);
    }

    /* The end: lane j holds blocks j, j + 8, ... and is multiplied by
     * r^(8 - j); then the lanes are summed. */
    for (int j = 0; j < 8; j++)
        for (int k = 0; k < 3; k++)
            w.last[k][j] = pw[8 - j][k];
    set_factor(&w.f8, (const uint64_t(*)[8])w.last);
    zero_halves(&w.p);
    product(&w.p, a, &w.f8);
    carry(a, &w.p);
    /* Eight limbs below 2^44 + 2 (2^42 + 1 on top): sums below 2^47. */
    uint64_t *l = w.l;
    for (int k = 0; k < 3; k++)
        l[k] = (uint64_t)_mm512_reduce_add_epi64(a[k]);

    /* Carry, and fold the part at 2^130 and above back (times 5), so that
     * the value is below 2^130 + 2^45 and h[2] = value >> 128 stays <= 4
     * (invariant (I) of poly1305.c). */
    l[1] += l[0] >> 44;
    l[0] &= MASK44;
    l[2] += l[1] >> 44;
    l[1] &= MASK44;
    l[0] += 5 * (l[2] >> 42);
    l[2] &= MASK42;
    l[1] += l[0] >> 44;
    l[0] &= MASK44;

    /* Back to the reference's representation. */
    ss_u128 t = (ss_u128)l[0] + ((ss_u128)l[1] << 44);
    h[0] = (uint64_t)t;
    t = (t >> 64) + ((ss_u128)l[2] << 24);
    h[1] = (uint64_t)t;
    h[2] = (uint64_t)(t >> 64);

    ss_wipe(&w, sizeof w);
}
#endif
