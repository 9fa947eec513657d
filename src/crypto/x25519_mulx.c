/*
 * x25519_mulx.c — X25519 (RFC 7748 §5) with the x86 instructions MULX
 * (BMI2), ADCX and ADOX (ADX). It computes exactly what the reference
 * ladder of x25519.c computes, for every scalar and point; x25519.c chooses
 * between the two (ss_x25519). Course: docs/performance.md ("X25519 with
 * MULX, ADCX and ADOX").
 *
 * What changes: only the numbers. The ladder below is the reference's,
 * step for step, with RFC 7748's names; the field elements are held in
 * FOUR 64-BIT LIMBS ("radix 2^64") instead of five of 51 bits:
 *
 *     f = f[0] + f[1]*2^64 + f[2]*2^128 + f[3]*2^192,   0 <= f < 2^256
 *
 * x25519_field.h explains why portable C prefers 51-bit limbs: with full
 * 64-bit limbs every addition needs a carry chain, and a multiplication
 * sums products that overflow 128 bits. Three instructions remove both
 * costs:
 *   MULX   a 64 x 64 -> 128-bit product that leaves the flags alone, so
 *          products can be computed in the middle of a carry chain;
 *   ADCX   add with carry, reading and writing only the carry flag CF;
 *   ADOX   the same with the overflow flag OF instead.
 * A row of the schoolbook product (one limb of g times the four of f)
 * then adds the four low halves with ADCX and the four high halves with
 * ADOX: two independent carry chains run interleaved, and 16 products
 * (against 25 with five limbs) make the 512-bit product with no 128-bit
 * accumulators at all.
 *
 * Reduction: 2^256 = 2 * 2^255 = 2 * 19 = 38 (mod p). The high half of a
 * product is multiplied by 38 and added to the low half; what passes 2^256
 * again is at most a few bits, multiplied by 38 once more. Elements are
 * kept below 2^256 but not below p (any of the two or three values that
 * represent the same element will do); fe64_tobytes reduces once, at the
 * end.
 *
 * Only fe64_mul and fe64_sq are written in assembly (GCC/Clang extended
 * asm), because C has no way to ask for two carry chains at once; additions
 * and subtractions use the compiler's _addcarry_u64 and _subborrow_u64,
 * which become ADC and SBB. Both asm functions are forced inline: the ladder
 * then saves the registers they use once, not at every call (measured).
 *
 * Constant time. MULX, ADCX, ADOX, ADC, SBB and IMUL run in a time
 * independent of their operands on the CPUs that have them; there is no
 * branch, and every address is a fixed offset from a pointer: nothing
 * depends on the values. The carries that decide whether 38 is added again
 * become masks (0 - carry), never branches. The ladder chooses its points
 * with the masked swap of the reference. tests/ct checks this file under
 * valgrind as it checks the reference (valgrind runs these instructions).
 * Every secret temporary is wiped before returning.
 *
 * The ladder and the inversion chain have the reference's shape, written
 * again on fe64. Sharing one text between the two representations would
 * take macros, or the field operations as function pointers, which the
 * compiler could not inline in the hot loop; the tests hold the two equal
 * instead (every X25519 test runs on both paths, and tests/ct compares
 * them).
 *
 * Compiled with -mbmi2 -madx (the Makefile's SS_ISA_ line); cpu.c allows it
 * when CPUID says BMI2 and ADX. Elsewhere the file compiles to nothing.
 */
#include "x25519_fast.h"

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
#include <immintrin.h>

#include "util.h"

/* An element of GF(2^255 - 19) in four 64-bit limbs, least significant
 * first, any value below 2^256. */
typedef uint64_t fe64[4];

/* RFC 7748 §5: a24 = (486662 - 2) / 4. */
#define A24 121665

/*
 * h = f + 38 * c, for c < 2^58 (38c fits 64 bits): the fold of what lies at
 * 2^256 and above, since 2^256 = 38 (mod p). The addition may carry out of
 * 2^256 once more; then f + 38c - 2^256 < 38 * 2^58 is small, and the
 * second fold of 38 cannot carry. The carry becomes a mask, not a branch.
 */
static inline void fe64_fold(fe64 h, const fe64 f, uint64_t c)
{
    unsigned long long t0, t1, t2, t3;
    unsigned char carry;

    carry = _addcarry_u64(0, f[0], 38 * c, &t0);
    carry = _addcarry_u64(carry, f[1], 0, &t1);
    carry = _addcarry_u64(carry, f[2], 0, &t2);
    carry = _addcarry_u64(carry, f[3], 0, &t3);
    h[0] = t0 + ((0 - (uint64_t)carry) & 38);
    h[1] = t1;
    h[2] = t2;
    h[3] = t3;
}

/* h = f + g (mod p): a 256-bit addition, and its carry (2^256) folded back
 * as 38. h may alias f or g. */
static inline void fe64_add(fe64 h, const fe64 f, const fe64 g)
{
    unsigned long long t[4];
    unsigned char carry;
    fe64 s;

    carry = _addcarry_u64(0, f[0], g[0], &t[0]);
    carry = _addcarry_u64(carry, f[1], g[1], &t[1]);
    carry = _addcarry_u64(carry, f[2], g[2], &t[2]);
    carry = _addcarry_u64(carry, f[3], g[3], &t[3]);
    s[0] = t[0];
    s[1] = t[1];
    s[2] = t[2];
    s[3] = t[3];
    fe64_fold(h, s, carry);
}

/*
 * h = f - g (mod p). A borrow out of the top means the limbs hold
 * f - g + 2^256, which is 38 too much (mod p): subtract 38. That can
 * borrow again only if the limbs were below 38; then they wrap to at
 * least 2^256 - 38, and the second subtraction of 38 cannot borrow. Both
 * borrows become masks. h may alias f or g.
 */
static inline void fe64_sub(fe64 h, const fe64 f, const fe64 g)
{
    unsigned long long t0, t1, t2, t3;
    unsigned char borrow;

    borrow = _subborrow_u64(0, f[0], g[0], &t0);
    borrow = _subborrow_u64(borrow, f[1], g[1], &t1);
    borrow = _subborrow_u64(borrow, f[2], g[2], &t2);
    borrow = _subborrow_u64(borrow, f[3], g[3], &t3);
    borrow = _subborrow_u64(0, t0, (0 - (uint64_t)borrow) & 38, &t0);
    borrow = _subborrow_u64(borrow, t1, 0, &t1);
    borrow = _subborrow_u64(borrow, t2, 0, &t2);
    borrow = _subborrow_u64(borrow, t3, 0, &t3);
    h[0] = t0 - ((0 - (uint64_t)borrow) & 38);
    h[1] = t1;
    h[2] = t2;
    h[3] = t3;
}

/*
 * The end of fe64_mul and fe64_sq, the same text in both asm statements:
 * the 512-bit product t0..t7 in r8..r15 becomes t mod 2^256 + 38 * (t >> 256)
 * (2^256 = 38 mod p), stored to h.
 *  - Four products by 38 (RDX = 38), low halves on the ADCX chain, high
 *    halves on the ADOX chain, as in a row of the product. What passes
 *    2^256 (r15: the high half of 38 * t7, below 38, plus the two last
 *    carries) is below 40.
 *  - That top times 38 (< 2^11) is added to t0 and carried through; if it
 *    carries out of 2^256, the limbs are below 2^11, and adding 38 once
 *    more (masked by SBB, which gives 0 or all ones) cannot carry.
 * RBX holds 0 for the additions of a bare carry.
 */
#define REDUCE_AND_STORE \
    /* t0..t3 += 38 * t4..t7 (2^256 = 38 mod p); RBX = 0 */ \
    "movl $38, %%edx\n\t" \
    "xorl %%ebx, %%ebx\n\t" \
    "mulxq %%r12, %%rax, %%r12\n\t" \
    "adcxq %%rax, %%r8\n\t" \
    "adoxq %%r12, %%r9\n\t" \
    "mulxq %%r13, %%rax, %%r13\n\t" \
    "adcxq %%rax, %%r9\n\t" \
    "adoxq %%r13, %%r10\n\t" \
    "mulxq %%r14, %%rax, %%r14\n\t" \
    "adcxq %%rax, %%r10\n\t" \
    "adoxq %%r14, %%r11\n\t" \
    "mulxq %%r15, %%rax, %%r15\n\t" \
    "adcxq %%rax, %%r11\n\t" \
    "adoxq %%rbx, %%r15\n\t" \
    "adcxq %%rbx, %%r15\n\t" \
    /* the top (< 40) times 38, once more; a last carry adds 38 */ \
    "imulq $38, %%r15, %%r15\n\t" \
    "addq %%r15, %%r8\n\t" \
    "adcq %%rbx, %%r9\n\t" \
    "adcq %%rbx, %%r10\n\t" \
    "adcq %%rbx, %%r11\n\t" \
    "sbbq %%rax, %%rax\n\t" \
    "andq $38, %%rax\n\t" \
    "addq %%rax, %%r8\n\t" \
    "movq %%r8, 0(%[h])\n\t" \
    "movq %%r9, 8(%[h])\n\t" \
    "movq %%r10, 16(%[h])\n\t" \
    "movq %%r11, 24(%[h])\n\t"

/*
 * h = f * g (mod p). h may alias f or g (the result is stored last).
 *
 * 1. The 512-bit product t0..t7 (registers r8..r15), row by row: row i
 *    adds f * g[i] at limb i. RDX holds g[i], the implicit factor of MULX;
 *    MULX f[j] gives lo:hi, lo goes to limb i + j on the ADCX chain (CF),
 *    hi to limb i + j + 1 on the ADOX chain (OF). XOR of a register with
 *    itself clears both flags at the start of a row and gives the row its
 *    new top limb, 0. Neither chain overflows the top limb: after row i the
 *    limbs hold f * (g mod 2^(64(i+1))) < 2^(256 + 64(i+1)), which fits in
 *    limbs 0..i+4, so the last carries always have room.
 * 2. The reduction mod p and the store: REDUCE_AND_STORE, above.
 *
 * Registers: RAX and RBX take the halves of each product; the pointers sit
 * in the registers the compiler chooses among the rest.
 */
static inline __attribute__((always_inline)) void fe64_mul(fe64 h, const fe64 f, const fe64 g)
{
    __asm__ volatile(
        /* row 0: t0..t4 = f * g0 (one chain: nothing to add yet) */
        "movq 0(%[g]), %%rdx\n\t"
        "mulxq 0(%[f]), %%r8, %%r9\n\t"
        "mulxq 8(%[f]), %%rax, %%r10\n\t"
        "addq %%rax, %%r9\n\t"
        "mulxq 16(%[f]), %%rax, %%r11\n\t"
        "adcq %%rax, %%r10\n\t"
        "mulxq 24(%[f]), %%rax, %%r12\n\t"
        "adcq %%rax, %%r11\n\t"
        "adcq $0, %%r12\n\t"

        /* row 1: t1..t5 += f * g1 */
        "movq 8(%[g]), %%rdx\n\t"
        "xorl %%r13d, %%r13d\n\t"
        "mulxq 0(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r9\n\t"
        "adoxq %%rbx, %%r10\n\t"
        "mulxq 8(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r10\n\t"
        "adoxq %%rbx, %%r11\n\t"
        "mulxq 16(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r11\n\t"
        "adoxq %%rbx, %%r12\n\t"
        "mulxq 24(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r12\n\t"
        "adoxq %%rbx, %%r13\n\t"
        "adcq $0, %%r13\n\t"

        /* row 2: t2..t6 += f * g2 */
        "movq 16(%[g]), %%rdx\n\t"
        "xorl %%r14d, %%r14d\n\t"
        "mulxq 0(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r10\n\t"
        "adoxq %%rbx, %%r11\n\t"
        "mulxq 8(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r11\n\t"
        "adoxq %%rbx, %%r12\n\t"
        "mulxq 16(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r12\n\t"
        "adoxq %%rbx, %%r13\n\t"
        "mulxq 24(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r13\n\t"
        "adoxq %%rbx, %%r14\n\t"
        "adcq $0, %%r14\n\t"

        /* row 3: t3..t7 += f * g3 */
        "movq 24(%[g]), %%rdx\n\t"
        "xorl %%r15d, %%r15d\n\t"
        "mulxq 0(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r11\n\t"
        "adoxq %%rbx, %%r12\n\t"
        "mulxq 8(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r12\n\t"
        "adoxq %%rbx, %%r13\n\t"
        "mulxq 16(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r13\n\t"
        "adoxq %%rbx, %%r14\n\t"
        "mulxq 24(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r14\n\t"
        "adoxq %%rbx, %%r15\n\t"
        "adcq $0, %%r15\n\t"

        REDUCE_AND_STORE
        :
        : [h] "r"(h), [f] "r"(f), [g] "r"(g)
        : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc",
          "memory");
}

/*
 * h = f^2 (mod p). h may alias f.
 *
 * A square needs 10 products, not 16: each cross product f[i] f[j] (i < j)
 * appears twice in the schoolbook sum, so it is computed once and the sum
 * of them doubled, then the four squares f[i]^2 are added at limb 2i.
 * 1. The six cross products into t1..t6 (one row per f[i], i = 0..2; the
 *    row of f[1] on two chains, as in fe64_mul). Their sum is below 2^511,
 *    so the top limb never overflows.
 * 2. Doubled: t1..t6 added to themselves, the last carry into t7.
 * 3. The squares, on one ADC chain: f[i]^2 at limbs 2i and 2i + 1. The
 *    whole is f^2 < 2^512: no carry out of t7.
 * 4. REDUCE_AND_STORE, as in fe64_mul.
 */
static inline __attribute__((always_inline)) void fe64_sq(fe64 h, const fe64 f)
{
    __asm__ volatile(
        /* 1. t1..t4 = f0 * (f1, f2, f3) */
        "movq 0(%[f]), %%rdx\n\t"
        "mulxq 8(%[f]), %%r9, %%r10\n\t"
        "mulxq 16(%[f]), %%rax, %%r11\n\t"
        "addq %%rax, %%r10\n\t"
        "mulxq 24(%[f]), %%rax, %%r12\n\t"
        "adcq %%rax, %%r11\n\t"
        "adcq $0, %%r12\n\t"
        /*    t3..t5 += f1 * (f2, f3) */
        "movq 8(%[f]), %%rdx\n\t"
        "xorl %%r13d, %%r13d\n\t"
        "mulxq 16(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r11\n\t"
        "adoxq %%rbx, %%r12\n\t"
        "mulxq 24(%[f]), %%rax, %%rbx\n\t"
        "adcxq %%rax, %%r12\n\t"
        "adoxq %%rbx, %%r13\n\t"
        "adcq $0, %%r13\n\t"
        /*    t5..t6 += f2 * f3 */
        "movq 16(%[f]), %%rdx\n\t"
        "mulxq 24(%[f]), %%rax, %%r14\n\t"
        "addq %%rax, %%r13\n\t"
        "adcq $0, %%r14\n\t"

        /* 2. t1..t7 = 2 * (t1..t6) */
        "xorl %%r15d, %%r15d\n\t"
        "addq %%r9, %%r9\n\t"
        "adcq %%r10, %%r10\n\t"
        "adcq %%r11, %%r11\n\t"
        "adcq %%r12, %%r12\n\t"
        "adcq %%r13, %%r13\n\t"
        "adcq %%r14, %%r14\n\t"
        "adcq $0, %%r15\n\t"

        /* 3. t0..t7 += f0^2, f1^2 * 2^128, f2^2 * 2^256, f3^2 * 2^384 */
        "movq 0(%[f]), %%rdx\n\t"
        "mulxq %%rdx, %%r8, %%rax\n\t"
        "addq %%rax, %%r9\n\t"
        "movq 8(%[f]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rbx\n\t"
        "adcq %%rax, %%r10\n\t"
        "adcq %%rbx, %%r11\n\t"
        "movq 16(%[f]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rbx\n\t"
        "adcq %%rax, %%r12\n\t"
        "adcq %%rbx, %%r13\n\t"
        "movq 24(%[f]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rbx\n\t"
        "adcq %%rax, %%r14\n\t"
        "adcq %%rbx, %%r15\n\t"

        /* 4. */
        REDUCE_AND_STORE
        :
        : [h] "r"(h), [f] "r"(f)
        : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc",
          "memory");
}

/* h = f^(2^n): n successive squarings. */
static void fe64_sq_n(fe64 h, const fe64 f, int n)
{
    fe64_sq(h, f);
    for (int i = 1; i < n; i++)
        fe64_sq(h, h);
}

/*
 * h = g + f * k, for k < 2^32 (here a24): the ladder's AA + a24 * E in one
 * pass. Each limb f[i] k + g[i] + carry is below 2^96 + 2^65: no overflow
 * of 128 bits. The top limb (below 2^33) is folded back as 38 * top.
 */
static inline void fe64_mul_small_add(fe64 h, const fe64 f, uint32_t k, const fe64 g)
{
    ss_u128 p0 = (ss_u128)f[0] * k + g[0];
    ss_u128 p1 = (ss_u128)f[1] * k + g[1] + (uint64_t)(p0 >> 64);
    ss_u128 p2 = (ss_u128)f[2] * k + g[2] + (uint64_t)(p1 >> 64);
    ss_u128 p3 = (ss_u128)f[3] * k + g[3] + (uint64_t)(p2 >> 64);
    fe64 s = {(uint64_t)p0, (uint64_t)p1, (uint64_t)p2, (uint64_t)p3};
    fe64_fold(h, s, (uint64_t)(p3 >> 64));
}

/*
 * h = f^-1 = f^(p - 2) (mod p): the reference's addition chain (fe_invert
 * in x25519_field.h explains it), 254 squarings and 11 multiplications.
 */
static void fe64_invert(fe64 h, const fe64 f)
{
    fe64 t2, t9, t11, run5, run10, run20, run50, run100, t;

    fe64_sq(t2, f);               /* t2    = f^2 */
    fe64_sq_n(t, t2, 2);          /* t     = f^8 */
    fe64_mul(t9, t, f);           /* t9    = f^9 */
    fe64_mul(t11, t9, t2);        /* t11   = f^11 */
    fe64_sq(t, t11);              /* t     = f^22 */
    fe64_mul(run5, t, t9);        /* run5  = f^(2^5 - 1) */
    fe64_sq_n(t, run5, 5);        /* t     = f^(2^10 - 2^5) */
    fe64_mul(run10, t, run5);     /* run10 = f^(2^10 - 1) */
    fe64_sq_n(t, run10, 10);      /* t     = f^(2^20 - 2^10) */
    fe64_mul(run20, t, run10);    /* run20 = f^(2^20 - 1) */
    fe64_sq_n(t, run20, 20);      /* t     = f^(2^40 - 2^20) */
    fe64_mul(t, t, run20);        /* t     = f^(2^40 - 1) */
    fe64_sq_n(t, t, 10);          /* t     = f^(2^50 - 2^10) */
    fe64_mul(run50, t, run10);    /* run50 = f^(2^50 - 1) */
    fe64_sq_n(t, run50, 50);      /* t     = f^(2^100 - 2^50) */
    fe64_mul(run100, t, run50);   /* run100= f^(2^100 - 1) */
    fe64_sq_n(t, run100, 100);    /* t     = f^(2^200 - 2^100) */
    fe64_mul(t, t, run100);       /* t     = f^(2^200 - 1) */
    fe64_sq_n(t, t, 50);          /* t     = f^(2^250 - 2^50) */
    fe64_mul(t, t, run50);        /* t     = f^(2^250 - 1) */
    fe64_sq_n(t, t, 5);           /* t     = f^(2^255 - 2^5) */
    fe64_mul(h, t, t11);          /* h     = f^(2^255 - 21) = f^(p - 2) */

    ss_wipe(t2, sizeof t2);
    ss_wipe(t9, sizeof t9);
    ss_wipe(t11, sizeof t11);
    ss_wipe(run5, sizeof run5);
    ss_wipe(run10, sizeof run10);
    ss_wipe(run20, sizeof run20);
    ss_wipe(run50, sizeof run50);
    ss_wipe(run100, sizeof run100);
    ss_wipe(t, sizeof t);
}

/* RFC 7748 §5, decodeUCoordinate: four little-endian words, bit 255
 * masked. Non-canonical values (p to 2^255 - 1) are kept as they are:
 * every operation works modulo p. */
static void fe64_frombytes(fe64 h, const uint8_t s[32])
{
    h[0] = ss_load64_le(s);
    h[1] = ss_load64_le(s + 8);
    h[2] = ss_load64_le(s + 16);
    h[3] = ss_load64_le(s + 24) & ~(UINT64_C(1) << 63); /* §5: ignore bit 255 */
}

/*
 * RFC 7748 §5, encodeUCoordinate: the canonical value in [0, p), as in
 * the reference's fe_tobytes, without a branch:
 *  1. fold bit 255: v = (f mod 2^255) + 19 * (f >> 255) < 2^255 + 19;
 *  2. v >= p exactly when v + 19 reaches 2^255: q = bit 255 of v + 19;
 *  3. v - q p = v + 19 q - q 2^255: add 19 q, clear bit 255.
 */
static void fe64_tobytes(uint8_t s[32], const fe64 f)
{
    unsigned long long t0, t1, t2, t3, u0, u1, u2, u3;
    unsigned char carry;
    const uint64_t top = UINT64_C(1) << 63;

    /* 1 */
    carry = _addcarry_u64(0, f[0], 19 * (f[3] >> 63), &t0);
    carry = _addcarry_u64(carry, f[1], 0, &t1);
    carry = _addcarry_u64(carry, f[2], 0, &t2);
    (void)_addcarry_u64(carry, f[3] & ~top, 0, &t3);

    /* 2 */
    carry = _addcarry_u64(0, t0, 19, &u0);
    carry = _addcarry_u64(carry, t1, 0, &u1);
    carry = _addcarry_u64(carry, t2, 0, &u2);
    (void)_addcarry_u64(carry, t3, 0, &u3);
    uint64_t q = u3 >> 63;

    /* 3 */
    carry = _addcarry_u64(0, t0, 19 * q, &t0);
    carry = _addcarry_u64(carry, t1, 0, &t1);
    carry = _addcarry_u64(carry, t2, 0, &t2);
    (void)_addcarry_u64(carry, t3, 0, &t3);
    t3 &= ~top;

    ss_store64_le(s, t0);
    ss_store64_le(s + 8, t1);
    ss_store64_le(s + 16, t2);
    ss_store64_le(s + 24, t3);

    ss_wipe(&t0, sizeof t0);
    ss_wipe(&t1, sizeof t1);
    ss_wipe(&t2, sizeof t2);
    ss_wipe(&t3, sizeof t3);
    ss_wipe(&u0, sizeof u0);
    ss_wipe(&u1, sizeof u1);
    ss_wipe(&u2, sizeof u2);
    ss_wipe(&u3, sizeof u3);
    ss_wipe(&q, sizeof q);
}

/* The reference's masked swap (fe_cswap in x25519_field.h says why a mask,
 * and why the empty asm), on four limbs. Precondition: swap is 0 or 1. */
static inline void fe64_cswap(fe64 f, fe64 g, uint64_t swap)
{
    uint64_t mask = 0 - swap;
    __asm__("" : "+r"(mask)); /* hide mask's two possible values */
    for (int i = 0; i < 4; i++) {
        uint64_t d = mask & (f[i] ^ g[i]);
        f[i] ^= d;
        g[i] ^= d;
    }
}

/*
 * The Montgomery ladder of RFC 7748 §5: the reference's ladder (x25519.c,
 * where the invariant is explained), on fe64, with the same operations and
 * the RFC's names. No bounds to track here: every operation takes and
 * returns any value below 2^256.
 *
 * One difference: the order of a step. The RFC lists each product right
 * after what it needs (A, AA, B, BB, E, ...); here the four additions and
 * subtractions come first, then products that do not depend on each other
 * sit side by side (DA and CB, AA and BB, the two squares of DA + CB and
 * DA - CB), so that the processor, which looks a few dozen instructions
 * ahead, can run one while the other waits for its carries. Measured on the
 * machine this was written on: 10 % faster than the RFC's order. The
 * reference keeps the RFC's order, for reading.
 */
void ss_x25519_ladder_mulx(uint8_t out[32], const uint8_t e[32], const uint8_t point[32])
{
    fe64 x_1, x_2, z_2, x_3, z_3;
    fe64 A, AA, B, BB, E, C, D, DA, CB, sum, dif, tmp;
    uint64_t swap = 0;

    fe64_frombytes(x_1, point);
    x_2[0] = 1;
    x_2[1] = x_2[2] = x_2[3] = 0;
    z_2[0] = z_2[1] = z_2[2] = z_2[3] = 0;
    for (int i = 0; i < 4; i++)
        x_3[i] = x_1[i];
    z_3[0] = 1;
    z_3[1] = z_3[2] = z_3[3] = 0;

    for (int t = 254; t >= 0; t--) {
        uint64_t k_t = (uint64_t)(e[t >> 3] >> (t & 7)) & 1;
        swap ^= k_t;
        fe64_cswap(x_2, x_3, swap);
        fe64_cswap(z_2, z_3, swap);
        swap = k_t;

        fe64_add(A, x_2, z_2);     /* A  = x_2 + z_2 */
        fe64_sub(B, x_2, z_2);     /* B  = x_2 - z_2 */
        fe64_add(C, x_3, z_3);     /* C  = x_3 + z_3 */
        fe64_sub(D, x_3, z_3);     /* D  = x_3 - z_3 */
        fe64_mul(DA, D, A);        /* DA = D * A */
        fe64_mul(CB, C, B);        /* CB = C * B */
        fe64_sq(AA, A);            /* AA = A^2 */
        fe64_sq(BB, B);            /* BB = B^2 */
        fe64_add(sum, DA, CB);
        fe64_sub(dif, DA, CB);
        fe64_sq(x_3, sum);         /* x_3 = (DA + CB)^2 */
        fe64_sq(dif, dif);
        fe64_sub(E, AA, BB);       /* E  = AA - BB */
        fe64_mul(x_2, AA, BB);     /* x_2 = AA * BB */
        fe64_mul(z_3, x_1, dif);   /* z_3 = x_1 * (DA - CB)^2 */
        fe64_mul_small_add(tmp, E, A24, AA);
        fe64_mul(z_2, E, tmp);     /* z_2 = E * (AA + a24 * E) */
    }
    fe64_cswap(x_2, x_3, swap);
    fe64_cswap(z_2, z_3, swap);

    /* Return x_2 * (z_2^(p - 2)) */
    fe64_invert(tmp, z_2);
    fe64_mul(x_2, x_2, tmp);
    fe64_tobytes(out, x_2);

    ss_wipe(x_1, sizeof x_1);
    ss_wipe(x_2, sizeof x_2);
    ss_wipe(z_2, sizeof z_2);
    ss_wipe(x_3, sizeof x_3);
    ss_wipe(z_3, sizeof z_3);
    ss_wipe(A, sizeof A);
    ss_wipe(AA, sizeof AA);
    ss_wipe(B, sizeof B);
    ss_wipe(BB, sizeof BB);
    ss_wipe(E, sizeof E);
    ss_wipe(C, sizeof C);
    ss_wipe(D, sizeof D);
    ss_wipe(DA, sizeof DA);
    ss_wipe(CB, sizeof CB);
    ss_wipe(sum, sizeof sum);
    ss_wipe(dif, sizeof dif);
    ss_wipe(tmp, sizeof tmp);
    ss_wipe(&swap, sizeof swap);
}
#endif
