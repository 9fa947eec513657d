/*
 * x25519_field.h — arithmetic in the field GF(p), p = 2^255 - 19, the
 * numbers of Curve25519 (RFC 7748 §4.1). Internal (not installed).
 *
 * Shared by the Montgomery ladder (x25519.c), which is where the course reads
 * it, and by the base-point multiplication on the Edwards curve
 * (x25519_base.c). Everything is static inline: each file gets its own
 * compiled copy, which the compiler can inline, and no symbol is created.
 *
 * Number representation. A field element is an integer modulo p held in
 * FIVE 51-BIT LIMBS, each in a uint64_t ("radix 2^51"):
 *
 *     f = f[0] + f[1]*2^51 + f[2]*2^102 + f[3]*2^153 + f[4]*2^204
 *
 * Why 51 bits and not 64? A 64 x 64-bit product needs 128 bits, and a
 * field multiplication adds up to five such products per result limb;
 * with full 64-bit limbs those sums would overflow 128 bits, and every
 * addition would need a carry chain. With 51-bit limbs each limb keeps 13
 * bits of headroom: additions and subtractions are five independent
 * 64-bit operations with no carries at all, and the five-product sums stay
 * far below 2^128 (the proofs are next to each function). Why not smaller
 * limbs (ten 25.5-bit limbs in 32-bit words, as in the "ref10" code)? On a
 * 64-bit CPU one 64 x 64 -> 128 multiplication does the work of four
 * 32 x 32 -> 64 ones, so five limbs need 25 multiplications where ten need
 * 100. This is the representation of Adam Langley's "curve25519-donna-c64"
 * and of most fast portable implementations. The 128-bit products use the
 * compiler's unsigned __int128 (ss_u128 in util.h).
 *
 * The 2^255 = 19 trick. Since p = 2^255 - 19, we have 2^255 = 19 (mod p).
 * A product of two elements has limbs up to position 8 (2^408); whatever
 * lands at 2^255 or above is folded back by multiplying it by 19. That is
 * why this prime was chosen: reduction costs one small multiplication.
 *
 * Limb bounds (the invariants every function below states and keeps):
 *   CARRIED  every limb < 2^51 + 2^13. Produced by fe_mul, fe_sq,
 *            fe_mul_small, fe_frombytes, and the constants 0 and 1.
 *   LOOSE    every limb < 2^53. Produced by fe_add and fe_sub from
 *            CARRIED inputs. fe_mul, fe_sq and fe_mul_small accept LOOSE
 *            inputs and return CARRIED ones, so the ladder never needs an
 *            extra carry step after an addition or subtraction.
 * An element is not kept fully reduced (in [0, p)) during the computation;
 * only fe_tobytes produces the canonical value, once, at the end.
 */
#ifndef SS_X25519_FIELD_H
#define SS_X25519_FIELD_H

#include <stdint.h>

#include "util.h"

/* The low 51 bits of a word: the value range of one limb after a carry. */
#define MASK51 ((UINT64_C(1) << 51) - 1)

/* An element of GF(2^255 - 19) in five 51-bit limbs, least significant first. */
typedef uint64_t fe[5];

/* ------------------------------------------------------------------------
 * Field arithmetic mod p = 2^255 - 19
 * ------------------------------------------------------------------------ */

static inline void fe_0(fe h)
{
    h[0] = h[1] = h[2] = h[3] = h[4] = 0;
}

static inline void fe_1(fe h)
{
    h[0] = 1;
    h[1] = h[2] = h[3] = h[4] = 0;
}

static inline void fe_copy(fe h, const fe f)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i];
}

/*
 * h = f + g, limb by limb, with no carry.
 * Bound: f and g CARRIED (limbs < 2^51 + 2^13), so each sum is
 * < 2^52 + 2^14 < 2^53: the result is LOOSE, far from 2^64.
 */
static inline void fe_add(fe h, const fe f, const fe g)
{
    h[0] = f[0] + g[0];
    h[1] = f[1] + g[1];
    h[2] = f[2] + g[2];
    h[3] = f[3] + g[3];
    h[4] = f[4] + g[4];
}

/*
 * h = f - g (mod p), limb by limb, with no borrow.
 *
 * Limbs are unsigned, so f[i] - g[i] would wrap around when g[i] > f[i].
 * We compute f + 2p - g instead, which is the same element mod p, with 2p
 * written in limbs so that each limb of 2p is larger than any CARRIED limb:
 *
 *     p  = (2^51 - 19) + (2^51 - 1)*2^51 + ... + (2^51 - 1)*2^204
 *          (check: five limbs of 2^51 - 1 make 2^255 - 1, minus 18 more)
 *     2p = (2^52 - 38) + (2^52 - 2)*2^51 + ... + (2^52 - 2)*2^204
 *
 * Proof of no underflow: g is CARRIED, g[i] < 2^51 + 2^13, and
 * 2^51 + 2^13 < 2^52 - 38, so every (2p)[i] - g[i] is positive.
 * Proof of the bound: f is CARRIED too, so
 * f[i] + (2p)[i] - g[i] < (2^51 + 2^13) + 2^52 < 2^53: the result is LOOSE.
 */
static inline void fe_sub(fe h, const fe f, const fe g)
{
    const uint64_t two_p0 = (UINT64_C(1) << 52) - 38; /* limb 0 of 2p */
    const uint64_t two_p1 = (UINT64_C(1) << 52) - 2;  /* limbs 1..4 of 2p */

    h[0] = (f[0] + two_p0) - g[0];
    h[1] = (f[1] + two_p1) - g[1];
    h[2] = (f[2] + two_p1) - g[2];
    h[3] = (f[3] + two_p1) - g[3];
    h[4] = (f[4] + two_p1) - g[4];
}

/*
 * Carry and reduce a wide result r0..r4 (128-bit limbs, r = r0 + r1*2^51
 * + ... + r4*2^204) into a CARRIED element h.
 *
 * Each limb keeps its low 51 bits and passes the rest up to the next one.
 * What leaves the top limb stands for multiples of 2^255 = 19 (mod p), so
 * it re-enters at the bottom multiplied by 19, and one last carry from
 * limb 0 to limb 1 brings limb 0 back under 2^51.
 *
 * Precondition: every ri < 2^113, and r4 < 2^109 (what fe_mul, fe_sq
 * and fe_mul_small produce, see there).
 * Proof that nothing overflows:
 *  - by induction along limbs 0..3: if the incoming carry is < 2^63, the
 *    sum ri + carry < 2^113 + 2^63 < 2^114 fits 128 bits, and the
 *    outgoing carry (the sum >> 51) is < 2^63 again;
 *  - r4 plus its incoming carry is < 2^109 + 2^63 < 2^110, so the carry
 *    c out of the top limb is < 2^59 and 19*c < 2^64 fits a uint64_t;
 *  - h[0] < 2^51 before the fold, and 2^51 + 19*c < 2^51 + 2^63.3 < 2^64;
 *  - the last carry (h[0] >> 51) is < 2^13, so h[1] < 2^51 + 2^13,
 *    every other limb < 2^51: h is CARRIED.
 */
static inline void fe_carry_wide(fe h, ss_u128 r0, ss_u128 r1, ss_u128 r2, ss_u128 r3,
                                 ss_u128 r4)
{
    r1 += r0 >> 51;
    h[0] = (uint64_t)r0 & MASK51;
    r2 += r1 >> 51;
    h[1] = (uint64_t)r1 & MASK51;
    r3 += r2 >> 51;
    h[2] = (uint64_t)r2 & MASK51;
    r4 += r3 >> 51;
    h[3] = (uint64_t)r3 & MASK51;
    uint64_t c = (uint64_t)(r4 >> 51);
    h[4] = (uint64_t)r4 & MASK51;

    /* 2^255 = 19 (mod p): the top carry comes back in at the bottom */
    h[0] += 19 * c;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
}

/*
 * h = f * g (mod p). h may alias f or g (all inputs are read first).
 *
 * Schoolbook multiplication: limb i of f times limb j of g lands at
 * position 2^(51(i+j)). When i + j >= 5 the position is 2^255 * 2^(51(i+j-5)),
 * and 2^255 = 19 (mod p), so the product is added, times 19, to limb
 * i + j - 5. Multiplying g's limbs 1..4 by 19 once up front (g1_19 ...
 * g4_19) saves doing it inside every product.
 *
 * Bound: f and g LOOSE, every limb < 2^53.
 *  - gj_19 = 19 * g[j] < 19 * 2^53 < 2^58: fits a uint64_t;
 *  - every product f[i] * g[j] < 2^106, and every product with a gj_19
 *    is < 19 * 2^106;
 *  - result limb r0 = f0 g0 + 19 (f1 g4 + f2 g3 + f3 g2 + f4 g1) is the
 *    largest: < (1 + 4*19) * 2^106 = 77 * 2^106 < 2^113. The others are
 *    smaller (r1: 2 + 3*19 = 59, r2: 3 + 2*19 = 41, r3: 4 + 19 = 23 times
 *    2^106), and r4 = f0 g4 + f1 g3 + f2 g2 + f3 g1 + f4 g0 has no
 *    factor 19: < 5 * 2^106 < 2^109.
 * These are exactly fe_carry_wide's preconditions, so h is CARRIED.
 */
static inline void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    ss_u128 r0, r1, r2, r3, r4;

    r0 = (ss_u128)f0 * g0 + (ss_u128)f1 * g4_19 + (ss_u128)f2 * g3_19 +
         (ss_u128)f3 * g2_19 + (ss_u128)f4 * g1_19;
    r1 = (ss_u128)f0 * g1 + (ss_u128)f1 * g0 + (ss_u128)f2 * g4_19 +
         (ss_u128)f3 * g3_19 + (ss_u128)f4 * g2_19;
    r2 = (ss_u128)f0 * g2 + (ss_u128)f1 * g1 + (ss_u128)f2 * g0 +
         (ss_u128)f3 * g4_19 + (ss_u128)f4 * g3_19;
    r3 = (ss_u128)f0 * g3 + (ss_u128)f1 * g2 + (ss_u128)f2 * g1 +
         (ss_u128)f3 * g0 + (ss_u128)f4 * g4_19;
    r4 = (ss_u128)f0 * g4 + (ss_u128)f1 * g3 + (ss_u128)f2 * g2 +
         (ss_u128)f3 * g1 + (ss_u128)f4 * g0;

    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/*
 * h = f^2 (mod p). h may alias f.
 *
 * The same sums as fe_mul with g = f, but f[i] f[j] and f[j] f[i] are
 * equal, so each cross product is computed once and doubled: 15
 * multiplications instead of 25. The squaring dominates the inversion
 * (254 of them), so this matters.
 *
 * Bound: f LOOSE, limbs < 2^53. 2*f[i] < 2^54 and 38*f[i] < 2^59 fit a
 * uint64_t. Each ri is the same sum as in fe_mul with the same total
 * weight (r0: 1 + 2*2*19 = 77 ... r4: 1 + 2*2 = 5, times 2^106), so the
 * bounds of fe_mul hold: ri < 2^113, r4 < 2^109, h is CARRIED.
 */
static inline void fe_sq(fe h, const fe f)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
    uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
    uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    ss_u128 r0, r1, r2, r3, r4;

    /* positions >= 5 carry the factor 19; a doubled cross term 2*19 = 38 */
    r0 = (ss_u128)f0 * f0 + (ss_u128)f1_38 * f4 + (ss_u128)f2_38 * f3;
    r1 = (ss_u128)f0_2 * f1 + (ss_u128)f2_38 * f4 + (ss_u128)f3_19 * f3;
    r2 = (ss_u128)f0_2 * f2 + (ss_u128)f1 * f1 + (ss_u128)f3_38 * f4;
    r3 = (ss_u128)f0_2 * f3 + (ss_u128)f1_2 * f2 + (ss_u128)f4_19 * f4;
    r4 = (ss_u128)f0_2 * f4 + (ss_u128)f1_2 * f3 + (ss_u128)f2 * f2;

    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n): n successive squarings, for the inversion chain. */
static inline void fe_sq_n(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

/*
 * h = f * k for a small constant k < 2^17 (here a24 = 121665).
 *
 * Cheaper than fe_mul: five products, no cross terms.
 * Bound: f LOOSE (limbs < 2^53), so each product is < 2^70, well under
 * fe_carry_wide's preconditions (ri < 2^109); h is CARRIED.
 */
static inline void fe_mul_small(fe h, const fe f, uint32_t k)
{
    fe_carry_wide(h, (ss_u128)f[0] * k, (ss_u128)f[1] * k, (ss_u128)f[2] * k,
                  (ss_u128)f[3] * k, (ss_u128)f[4] * k);
}

/*
 * h = f^-1 (mod p), by Fermat's little theorem: f^(p-1) = 1 for f != 0,
 * so f^(p-2) is the inverse. (For f = 0 this gives 0, which is what
 * RFC 7748 §5 wants: "x_2 * (z_2^(p - 2))" is then 0.)
 *
 * Why not the extended Euclidean algorithm? Its number of steps depends
 * on the value, which is secret here; exponentiation by a fixed, public
 * exponent does the same operations for every input.
 *
 * p - 2 = 2^255 - 21. In binary that is 250 one bits followed by 01011.
 * The addition chain below builds f^(2^k - 1) for growing k (a run of k
 * one bits), each from smaller runs, and then appends 01011 (= 11):
 *     f^(2^255 - 21) = (f^(2^250 - 1))^(2^5) * f^11
 * since (2^250 - 1) * 2^5 + 11 = 2^255 - 32 + 11 = 2^255 - 21.
 * It costs 254 squarings and 11 multiplications. Comments give the
 * exponent each variable holds.
 *
 * Precondition: f CARRIED or LOOSE. Result CARRIED.
 */
static inline void fe_invert(fe h, const fe f)
{
    fe t2, t9, t11, run5, run10, run20, run50, run100, t;

    fe_sq(t2, f);               /* t2    = f^2 */
    fe_sq_n(t, t2, 2);          /* t     = f^8 */
    fe_mul(t9, t, f);           /* t9    = f^9 */
    fe_mul(t11, t9, t2);        /* t11   = f^11 */
    fe_sq(t, t11);              /* t     = f^22 */
    fe_mul(run5, t, t9);        /* run5  = f^31      = f^(2^5 - 1) */
    fe_sq_n(t, run5, 5);        /* t     = f^(2^10 - 2^5) */
    fe_mul(run10, t, run5);     /* run10 = f^(2^10 - 1) */
    fe_sq_n(t, run10, 10);      /* t     = f^(2^20 - 2^10) */
    fe_mul(run20, t, run10);    /* run20 = f^(2^20 - 1) */
    fe_sq_n(t, run20, 20);      /* t     = f^(2^40 - 2^20) */
    fe_mul(t, t, run20);        /* t     = f^(2^40 - 1) */
    fe_sq_n(t, t, 10);          /* t     = f^(2^50 - 2^10) */
    fe_mul(run50, t, run10);    /* run50 = f^(2^50 - 1) */
    fe_sq_n(t, run50, 50);      /* t     = f^(2^100 - 2^50) */
    fe_mul(run100, t, run50);   /* run100= f^(2^100 - 1) */
    fe_sq_n(t, run100, 100);    /* t     = f^(2^200 - 2^100) */
    fe_mul(t, t, run100);       /* t     = f^(2^200 - 1) */
    fe_sq_n(t, t, 50);          /* t     = f^(2^250 - 2^50) */
    fe_mul(t, t, run50);        /* t     = f^(2^250 - 1) */
    fe_sq_n(t, t, 5);           /* t     = f^(2^255 - 2^5) */
    fe_mul(h, t, t11);          /* h     = f^(2^255 - 21) = f^(p - 2) */

    /* powers of a secret element are secret too */
    ss_wipe(t2, sizeof(fe));
    ss_wipe(t9, sizeof(fe));
    ss_wipe(t11, sizeof(fe));
    ss_wipe(run5, sizeof(fe));
    ss_wipe(run10, sizeof(fe));
    ss_wipe(run20, sizeof(fe));
    ss_wipe(run50, sizeof(fe));
    ss_wipe(run100, sizeof(fe));
    ss_wipe(t, sizeof(fe));
}

/*
 * RFC 7748 §5, decodeUCoordinate: 32 bytes little-endian -> element.
 *
 * "Implementations MUST mask the most significant bit in the final byte"
 * — bit 255 is ignored, so the value read is < 2^255. Values from p to
 * 2^255 - 1 ("non-canonical") are accepted as they are: every operation
 * below works modulo p, so they behave exactly as their reduction mod p,
 * which is what §5 requires, and fe_tobytes reduces the final result.
 *
 * The 255 bits are cut into 51-bit limbs across the four 64-bit words:
 * limb 1 takes the top 13 bits of word 0 and the low 38 of word 1, and so
 * on. Every limb is < 2^51: the result is CARRIED.
 */
static inline void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t w0 = ss_load64_le(s);
    uint64_t w1 = ss_load64_le(s + 8);
    uint64_t w2 = ss_load64_le(s + 16);
    uint64_t w3 = ss_load64_le(s + 24) & ~(UINT64_C(1) << 63); /* §5: ignore bit 255 */

    h[0] = w0 & MASK51;                        /* bits   0.. 50 */
    h[1] = ((w0 >> 51) | (w1 << 13)) & MASK51; /* bits  51..101 */
    h[2] = ((w1 >> 38) | (w2 << 26)) & MASK51; /* bits 102..152 */
    h[3] = ((w2 >> 25) | (w3 << 39)) & MASK51; /* bits 153..203 */
    h[4] = w3 >> 12;                           /* bits 204..254 */
}

/*
 * RFC 7748 §5, encodeUCoordinate: element -> the canonical 32 bytes of its
 * value in [0, p), little-endian, bit 255 zero.
 *
 * The limbs may represent any value below about 2^255 + 2^217, possibly
 * >= p, so the element must be fully reduced first — in constant time,
 * since it is the shared secret. No "if (h >= p) h -= p":
 *
 *  1. Carry once: limbs 1..4 < 2^51, and the top carry c folds back as
 *     19*c. With h CARRIED (limbs < 2^51 + 2^13), c <= 1, so limb 0
 *     < 2^51 + 19 and the value v < 2^255 + 19 < 2p.
 *  2. v is in [0, 2p), so v mod p is v - q*p with q = 1 when v >= p and
 *     q = 0 otherwise. v >= p exactly when v + 19 >= 2^255, that is when
 *     adding 19 carries out of bit 255. That carry is computed, without a
 *     branch, by propagating (h[0] + 19) >> 51 through the limbs. It is
 *     0 or 1 because v + 19 < 2^256.
 *  3. v - q*p = v + 19q - q*2^255: add 19q, carry through, and drop what
 *     passes bit 255 by masking the top limb to 51 bits.
 * Then the five 51-bit limbs are packed into four 64-bit words.
 *
 * Precondition: f CARRIED. f is not modified; the copy is wiped.
 */
static inline void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    fe_copy(h, f);

    /* 1. one carry pass: limbs 1..4 < 2^51, limb 0 < 2^51 + 19 */
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
    h[2] += h[1] >> 51;
    h[1] &= MASK51;
    h[3] += h[2] >> 51;
    h[2] &= MASK51;
    h[4] += h[3] >> 51;
    h[3] &= MASK51;
    h[0] += 19 * (h[4] >> 51);
    h[4] &= MASK51;

    /* 2. q = 1 iff v >= p, i.e. iff v + 19 reaches 2^255 */
    uint64_t q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;

    /* 3. v - q*p = v + 19q - q*2^255: add 19q, carry, drop bit 255 */
    h[0] += 19 * q;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
    h[2] += h[1] >> 51;
    h[1] &= MASK51;
    h[3] += h[2] >> 51;
    h[2] &= MASK51;
    h[4] += h[3] >> 51;
    h[3] &= MASK51;
    h[4] &= MASK51; /* the carry out of bit 255 is the q*2^255 subtracted */

    /* pack 5 x 51 bits into 4 x 64 bits, little-endian (RFC 7748 §5) */
    ss_store64_le(s, h[0] | (h[1] << 51));
    ss_store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
    ss_store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
    ss_store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));

    ss_wipe(h, sizeof h);
}

/*
 * Conditional swap: exchange f and g when swap == 1, leave them when
 * swap == 0 — in the same time, with the same memory accesses, either way
 * (RFC 7748 §5, "cswap").
 *
 * Why a mask and not "if (swap) { exchange }"? swap is a bit of the
 * secret scalar. A branch on it makes the processor do different work for
 * a 0 and a 1: the time differs, the branch predictor and instruction
 * cache keep a trace another process can measure, and 255 such branches
 * spell out the private key. Even choosing by index, "point[swap]", is a
 * leak: the address touched depends on the secret, and cache-timing
 * attacks read addresses.
 *
 * So the choice is made by arithmetic. mask = 0 - swap is all zeros
 * (swap = 0) or all ones (swap = 1). d = mask & (f ^ g) is then either 0
 * or f ^ g, and f ^= d, g ^= d either changes nothing or exchanges the
 * two (f ^ (f ^ g) = g). The same instructions run on the same addresses
 * for both values of swap.
 *
 * Can the compiler undo this? It may. The optimiser sees that mask can
 * only be 0 or all ones, and nothing in C forbids it from turning
 * "mask & x" back into "swap ? x : 0", as a conditional move or as a
 * branch; compilers have been seen doing exactly that to masked code,
 * especially when the condition comes from a comparison or a bool.
 * Conditional moves are constant time on current x86 and ARM, branches are
 * not, and the C standard promises neither. The defences here:
 *  - swap is a uint64_t computed by shifts and ANDs of scalar bytes,
 *    never a comparison result or a bool;
 *  - mask passes through an empty asm statement that claims to modify it
 *    ("+r"). The compiler cannot see inside, so after it mask may hold any
 *    value, and the 0-or-all-ones knowledge that would justify a branch is
 *    gone. It costs nothing: no instruction is emitted;
 *  - the result is checked, not trusted: tests/test_ct.sh runs the library
 *    under valgrind with the secret bytes marked undefined, which reports
 *    any branch or memory index that depends on them.
 *
 * Precondition: swap is 0 or 1.
 */
static inline void fe_cswap(fe f, fe g, uint64_t swap)
{
    uint64_t mask = 0 - swap;
    __asm__("" : "+r"(mask)); /* hide mask's two possible values (above) */
    for (int i = 0; i < 5; i++) {
        uint64_t d = mask & (f[i] ^ g[i]);
        f[i] ^= d;
        g[i] ^= d;
    }
}

#endif
