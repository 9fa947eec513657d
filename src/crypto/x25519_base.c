/*
 * x25519_base.c — X25519(k, 9), the public key of a secret k, computed on the
 * twisted Edwards curve edwards25519 with a precomputed table. It must equal
 * the Montgomery ladder of x25519.c (the reference) for every k; x25519.c
 * chooses between the two (ss_x25519_public_key). Course: docs/performance.md
 * ("A table for the base point").
 *
 * Why it is faster. The ladder knows nothing about its point: 255 steps of
 * 10 multiplications, whatever u is. The base point is always the same, so
 * its multiples can be computed once, at build time, and stored: with a
 * table of m * 256^j * B (m = 1..8, j = 0..31), [k]B is a sum of 64 table
 * entries, plus 4 doublings. That is about 64 * 7 + 4 * 8 multiplications
 * instead of about 2,550, and one inversion in both cases. With the
 * inversion and the constant-time reading of the table (below), key
 * generation runs about 2.5 times as fast as the ladder.
 *
 * Why the Edwards curve. Curve25519 (RFC 7748 §4.1) is birationally
 * equivalent to the twisted Edwards curve
 *
 *     -x^2 + y^2 = 1 + d x^2 y^2,   d = -121665 / 121666   (RFC 8032 §5.1)
 *
 * by (u, v) = ((1 + y) / (1 - y), sqrt(-486664) u / x) (RFC 7748 §4.1): the
 * same group, other coordinates. On the Montgomery curve, adding two
 * arbitrary points needs their difference (that is why the ladder keeps
 * [m]P and [m+1]P); on the Edwards curve any two points add with one
 * formula, which has no exceptional case when a (here -1) is a square mod p
 * and d is not (RFC 8032 §5.1.4: "complete"; it also doubles, and adds the
 * neutral element (0, 1)).
 * So a sum of table entries is just a loop of additions. The base point
 * B = (x, 4/5) of RFC 8032 §5.1 maps to u = (1 + 4/5) / (1 - 4/5) = 9, the
 * base point of X25519; only the u-coordinate comes back, and u does not
 * depend on the sign of x, so [k]B and [k](-B) give the same answer.
 *
 * The scalar in signed radix 16. The clamped scalar k < 2^255 is written as
 * 64 digits e[i] with k = sum of e[i] * 16^i, each digit in [-8, 8]
 * (recode_scalar). A negative digit costs nothing: -(x, y) = (-x, y). So the
 * table needs only the multiples 1..8 of each position, not 0..15. And
 *
 *     [k]B = sum over even i of e[i] * 16^i B + 16 * (sum over odd i ...),
 *
 * where 16^(2j) = 256^j: both sums read the same 32 rows of the table
 * (256^j B times 1..8), and the odd one is multiplied by 16 with four
 * doublings. Halving the rows halves the table (30 KiB instead of 60) for
 * those four doublings.
 *
 * Representation. Field elements are those of x25519_field.h (five 51-bit
 * limbs; CARRIED and LOOSE bounds as there). A point is in extended
 * coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, x y = T/Z (RFC 8032
 * §5.1.4). A table entry is an affine point (Z = 1) stored as (y + x,
 * y - x, 2 d x y), the three values the addition formula multiplies by, so
 * the addition with an entry costs 7 multiplications (ge_add_entry).
 *
 * The table (x25519_base_table.h) is generated, never typed in: the program
 * tests/gen/x25519_base_table.c computes it with its own point arithmetic,
 * from y = 4/5 and RFC 8032's rule for x. To regenerate it:
 *
 *     make build/gen/x25519_base_table
 *     build/gen/x25519_base_table > src/crypto/x25519_base_table.h
 *
 * and tests/test_x25519_table.sh fails if the committed table differs from
 * the generator's output, or from the same table computed in Python from
 * the edwards25519 parameters of RFC 7748 §4.1.
 *
 * Side channels. The digits are secret, so which table entry is used must
 * not show: not in a branch, and not in an address either — reading
 * table[j][digit] would touch a cache line that depends on the digit, and
 * cache-timing attacks recover keys from exactly that. select_entry reads
 * all 8 entries of a row, every time, and keeps the wanted one with masks,
 * the same way fe_cswap chooses in the ladder. The row index j is
 * the loop counter, which is public. Every secret temporary (the digits,
 * the points, the selected entries) is wiped before returning; the table is
 * public.
 */
#include "x25519_fast.h"

#include "util.h"
#include "x25519_field.h"

/* A table entry: the affine point (x, y) = m * 256^j * B, stored as the
 * three values ge_add_entry multiplies by. Limbs < 2^51 (CARRIED). */
typedef struct {
    fe y_plus_x;  /* y + x */
    fe y_minus_x; /* y - x */
    fe xy2d;      /* 2 * d * x * y */
} ge_entry;

/* base_table[j][m - 1] = m * 256^j * B, for j = 0..31 and m = 1..8. */
#include "x25519_base_table.h"

/* A point in extended coordinates: x = X/Z, y = Y/Z, x * y = T/Z. */
typedef struct {
    fe X, Y, Z, T;
} ge_point;

/* h = f with every limb carried: the value is unchanged, the limbs become
 * CARRIED. Any limbs below 2^64 are within fe_carry_wide's preconditions. */
static void fe_carry(fe h, const fe f)
{
    fe_carry_wide(h, f[0], f[1], f[2], f[3], f[4]);
}

/*
 * f = g when b == 1, f unchanged when b == 0, by the same masked arithmetic
 * as fe_cswap (x25519_field.h explains why a mask and not an if, and why
 * the empty asm). Precondition: b is 0 or 1.
 */
static void fe_cmov(fe f, const fe g, uint64_t b)
{
    uint64_t mask = 0 - b;
    __asm__("" : "+r"(mask)); /* hide mask's two possible values */
    for (int i = 0; i < 5; i++)
        f[i] ^= mask & (f[i] ^ g[i]);
}

/* The neutral element (0, 1): X = 0, Y = 1, Z = 1, T = 0. */
static void ge_neutral(ge_point *h)
{
    fe_0(h->X);
    fe_1(h->Y);
    fe_1(h->Z);
    fe_0(h->T);
}

/*
 * The last step that RFC 8032 §5.1.4's addition and doubling share: the
 * point in extended coordinates from the four values E, F, G, H (LOOSE or
 * CARRIED; the products are CARRIED).
 */
static void ge_from_efgh(ge_point *r, const fe E, const fe F, const fe G, const fe H)
{
    fe_mul(r->X, E, F); /* X3 = E * F */
    fe_mul(r->Y, G, H); /* Y3 = G * H */
    fe_mul(r->T, E, H); /* T3 = E * H */
    fe_mul(r->Z, F, G); /* Z3 = F * G */
}

/*
 * r = p + q, q a table entry (RFC 8032 §5.1.4, "addition", with Z2 = 1 and
 * T2 = x2 y2; the letters are the RFC's). r may be p.
 *
 * Bounds: p's coordinates are CARRIED (products, or the constants 0 and 1).
 * Y1 - X1 and Y1 + X1 are LOOSE; q's values are CARRIED, except xy2d after
 * a negation, which is LOOSE; the products A, B, C are CARRIED. D = 2 Z1 is
 * carried at once, so that D - C and D + C start from CARRIED values and
 * stay LOOSE. E, F, G, H are LOOSE, and only enter fe_mul: the result is
 * CARRIED.
 */
static void ge_add_entry(ge_point *r, const ge_point *p, const ge_entry *q)
{
    fe A, B, C, D, E, F, G, H, t;

    fe_sub(t, p->Y, p->X);
    fe_mul(A, t, q->y_minus_x);  /* A = (Y1 - X1) * (Y2 - X2) */
    fe_add(t, p->Y, p->X);
    fe_mul(B, t, q->y_plus_x);   /* B = (Y1 + X1) * (Y2 + X2) */
    fe_mul(C, p->T, q->xy2d);    /* C = T1 * 2 * d * T2 */
    fe_add(D, p->Z, p->Z);
    fe_carry(D, D);              /* D = Z1 * 2 * Z2, Z2 = 1 */
    fe_sub(E, B, A);             /* E = B - A */
    fe_sub(F, D, C);             /* F = D - C */
    fe_add(G, D, C);             /* G = D + C */
    fe_add(H, B, A);             /* H = B + A */
    ge_from_efgh(r, E, F, G, H);

    ss_wipe(A, sizeof A);
    ss_wipe(B, sizeof B);
    ss_wipe(C, sizeof C);
    ss_wipe(D, sizeof D);
    ss_wipe(E, sizeof E);
    ss_wipe(F, sizeof F);
    ss_wipe(G, sizeof G);
    ss_wipe(H, sizeof H);
    ss_wipe(t, sizeof t);
}

/*
 * r = 2p (RFC 8032 §5.1.4, "doubling"; the letters are the RFC's). r may
 * be p. Runs only 4 times per scalar, so the extra carries that keep every
 * sum LOOSE (H, G and C are carried before they are added to or
 * subtracted from) cost nothing that matters.
 */
static void ge_double(ge_point *r, const ge_point *p)
{
    fe A, B, C, E, F, G, H, t;

    fe_sq(A, p->X);              /* A = X1^2 */
    fe_sq(B, p->Y);              /* B = Y1^2 */
    fe_sq(C, p->Z);
    fe_add(C, C, C);
    fe_carry(C, C);              /* C = 2 * Z1^2 */
    fe_add(H, A, B);
    fe_carry(H, H);              /* H = A + B */
    fe_add(t, p->X, p->Y);
    fe_sq(t, t);
    fe_sub(E, H, t);             /* E = H - (X1 + Y1)^2 */
    fe_sub(G, A, B);
    fe_carry(G, G);              /* G = A - B */
    fe_add(F, C, G);             /* F = C + G */
    ge_from_efgh(r, E, F, G, H);

    ss_wipe(A, sizeof A);
    ss_wipe(B, sizeof B);
    ss_wipe(C, sizeof C);
    ss_wipe(E, sizeof E);
    ss_wipe(F, sizeof F);
    ss_wipe(G, sizeof G);
    ss_wipe(H, sizeof H);
    ss_wipe(t, sizeof t);
}

/*
 * The 64 signed radix-16 digits of the clamped scalar e: e = sum of
 * d[i] * 16^i, every d[i] in [-8, 8].
 *
 * First the plain digits, the 64 nibbles, in 0..15. Then, from the bottom
 * up, a digit of 8 or more becomes digit - 16 and passes 1 to the next
 * one: with the incoming carry a digit is in 0..16, carry = (digit + 8) >> 4
 * is 1 exactly when it is 8 or more, and digit - 16 * carry is in [-8, 7].
 * The carry is arithmetic, not a branch: the digits are secret. The top
 * digit takes the last carry: e < 2^255 (clamping cleared bit 255), so its
 * nibble is at most 7, and with the carry at most 8.
 */
static void recode_scalar(int8_t d[64], const uint8_t e[32])
{
    int8_t carry = 0;

    for (int i = 0; i < 32; i++) {
        d[2 * i] = (int8_t)(e[i] & 15);
        d[2 * i + 1] = (int8_t)(e[i] >> 4);
    }
    for (int i = 0; i < 63; i++) {
        d[i] = (int8_t)(d[i] + carry);
        carry = (int8_t)((d[i] + 8) >> 4);
        d[i] = (int8_t)(d[i] - carry * 16);
    }
    d[63] = (int8_t)(d[63] + carry);
    ss_wipe(&carry, sizeof carry);
}

/*
 * t = digit * (row's point), digit in [-8, 8], row = base_table[j], in
 * constant time: all 8 entries are read, whatever the digit.
 *
 * sign is the top bit of the digit, |digit| = (digit ^ -sign) + sign (two's
 * complement negation when sign is 1). For m = 1..8, (|digit| ^ m) - 1
 * wraps around to all ones, top bit 1, exactly when |digit| = m: so
 * mask[m - 1] is all ones for the wanted entry and 0 for the seven others.
 * Each limb of t is then the OR of the masked limbs of the 8 entries: the
 * wanted one, ORed with zeros. (This reads each table word once, and is
 * about twice as fast as eight masked exchanges into t.)
 *
 * A digit 0 selects no entry, and t must be the neutral entry
 * (y + x, y - x, 2dxy) = (1, 1, 0): is_zero, the same test with m = 0,
 * puts the two 1s in. Last, a negative digit negates the point: (-x, y)
 * exchanges y + x and y - x and negates 2dxy (0 - xy2d, LOOSE).
 */
static void select_entry(ge_entry *t, const ge_entry row[8], int8_t digit)
{
    uint64_t d = (uint64_t)(int64_t)digit;
    uint64_t sign = d >> 63;
    uint64_t abs = (d ^ (0 - sign)) + sign;
    uint64_t is_zero = (abs - 1) >> 63;
    uint64_t mask[8];
    fe zero, minus_xy2d;

    for (int m = 0; m < 8; m++) {
        mask[m] = 0 - (((abs ^ (uint64_t)(m + 1)) - 1) >> 63);
        __asm__("" : "+r"(mask[m])); /* hide its two possible values */
    }
    for (int i = 0; i < 5; i++) {
        uint64_t y_plus_x = 0, y_minus_x = 0, xy2d = 0;
        for (int m = 0; m < 8; m++) {
            y_plus_x |= mask[m] & row[m].y_plus_x[i];
            y_minus_x |= mask[m] & row[m].y_minus_x[i];
            xy2d |= mask[m] & row[m].xy2d[i];
        }
        t->y_plus_x[i] = y_plus_x;
        t->y_minus_x[i] = y_minus_x;
        t->xy2d[i] = xy2d;
    }
    t->y_plus_x[0] |= is_zero;
    t->y_minus_x[0] |= is_zero;

    fe_cswap(t->y_plus_x, t->y_minus_x, sign);
    fe_0(zero);
    fe_sub(minus_xy2d, zero, t->xy2d);
    fe_cmov(t->xy2d, minus_xy2d, sign);

    ss_wipe(&d, sizeof d);
    ss_wipe(&sign, sizeof sign);
    ss_wipe(&abs, sizeof abs);
    ss_wipe(&is_zero, sizeof is_zero);
    ss_wipe(mask, sizeof mask);
    ss_wipe(minus_xy2d, sizeof minus_xy2d);
}

void ss_x25519_base_edwards(uint8_t u[32], const uint8_t e[32])
{
    int8_t digit[64];
    ge_point h;
    ge_entry t;
    fe num, den;

    recode_scalar(digit, e);

    /* h = sum over j of digit[2j + 1] * 256^j B: the odd positions */
    ge_neutral(&h);
    for (int j = 0; j < 32; j++) {
        select_entry(&t, base_table[j], digit[2 * j + 1]);
        ge_add_entry(&h, &h, &t);
    }

    /* h = 16 h: the odd positions are 16^(2j + 1) = 16 * 256^j */
    ge_double(&h, &h);
    ge_double(&h, &h);
    ge_double(&h, &h);
    ge_double(&h, &h);

    /* h += sum over j of digit[2j] * 256^j B: the even positions */
    for (int j = 0; j < 32; j++) {
        select_entry(&t, base_table[j], digit[2 * j]);
        ge_add_entry(&h, &h, &t);
    }

    /* RFC 7748 §4.1: u = (1 + y) / (1 - y), and with y = Y/Z that is
     * (Z + Y) / (Z - Y). Z - Y is never 0: that would mean y = 1, the
     * neutral element, and [k]B is never neutral for a clamped k
     * (ss_x25519_public_key says why). */
    fe_add(num, h.Z, h.Y);
    fe_sub(den, h.Z, h.Y);
    fe_invert(den, den);
    fe_mul(num, num, den);
    fe_tobytes(u, num);

    ss_wipe(digit, sizeof digit);
    ss_wipe(&h, sizeof h);
    ss_wipe(&t, sizeof t);
    ss_wipe(num, sizeof num);
    ss_wipe(den, sizeof den);
}
