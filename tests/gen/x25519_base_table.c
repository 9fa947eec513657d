/*
 * x25519_base_table.c — writes src/crypto/x25519_base_table.h, the table of
 * multiples of the base point that src/crypto/x25519_base.c adds up:
 *
 *     base_table[j][m - 1] = m * 256^j * B,   j = 0..31, m = 1..8,
 *
 * each as the affine (y + x, y - x, 2 d x y), fully reduced, in the five
 * 51-bit limbs of src/crypto/x25519_field.h.
 *
 * Usage:
 *     make build/gen/x25519_base_table
 *     build/gen/x25519_base_table > src/crypto/x25519_base_table.h
 * tests/test_x25519_table.sh runs it and compares with the committed file.
 *
 * Where B comes from: RFC 8032 §5.1, "B = (x, 4/5)", x the even ("positive")
 * root. Recovering x from y is RFC 8032 §5.1.3 step 2-4: x^2 = (y^2 - 1) /
 * (d y^2 + 1), a square root by exponentiation to (p + 3) / 8, fixed by
 * sqrt(-1) = 2^((p - 1) / 4) when needed. The program checks what it can
 * before writing anything: x^2 is right, B is on the curve, and B maps to
 * the X25519 base point u = (1 + y) / (1 - y) = 9 (RFC 7748 §4.1).
 *
 * Its point arithmetic is its own, deliberately not the library's: the
 * general addition of RFC 8032 §5.1.4 in projective extended coordinates
 * (both points with any Z), used also for doubling (the formula is
 * complete). So a mistake in the library's mixed addition or doubling is
 * not copied into the table, and the tests that compare the table path
 * with the ladder can catch it. Nothing here is secret: no wiping, and
 * exponentiation by plain square-and-multiply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/x25519_field.h"

typedef struct {
    fe X, Y, Z, T;
} point;

/* f as 32 canonical bytes, for comparisons and parity. */
static void canon(uint8_t s[32], const fe f)
{
    fe_tobytes(s, f);
}

static int fe_equal(const fe f, const fe g)
{
    uint8_t a[32], b[32];
    canon(a, f);
    canon(b, g);
    return memcmp(a, b, 32) == 0;
}

/* h = f reduced to [0, p), limbs < 2^51. f may be LOOSE: it is carried
 * first (fe_mul_small by 1), as fe_tobytes wants. */
static void fe_reduce(fe h, const fe f)
{
    fe c;
    uint8_t s[32];
    fe_mul_small(c, f, 1);
    canon(s, c);
    fe_frombytes(h, s);
}

/* h = a small integer n (< 2^51). */
static void fe_small(fe h, uint64_t n)
{
    fe_0(h);
    h[0] = n;
}

/* h = f^e, e a 256-bit little-endian exponent: square-and-multiply. */
static void fe_pow(fe h, const fe f, const uint8_t e[32])
{
    fe r;
    fe_1(r);
    for (int i = 255; i >= 0; i--) {
        fe_sq(r, r);
        if ((e[i / 8] >> (i % 8)) & 1)
            fe_mul(r, r, f);
    }
    fe_copy(h, r);
}

/* h = -f. */
static void fe_neg(fe h, const fe f)
{
    fe zero, t;
    fe_0(zero);
    fe_sub(t, zero, f);
    fe_reduce(h, t);
}

static void die(const char *what)
{
    fprintf(stderr, "x25519_base_table: %s\n", what);
    exit(1);
}

/* d = -121665 / 121666 (RFC 8032 §5.1). */
static void curve_d(fe d)
{
    fe num, den;
    fe_small(num, 121665);
    fe_neg(num, num);
    fe_small(den, 121666);
    fe_invert(den, den);
    fe_mul(d, num, den);
}

/*
 * r = p + q, RFC 8032 §5.1.4 addition, in full (Z2 and T2 general):
 * A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2), C = T1 2d T2, D = Z1 2 Z2,
 * E = B-A, F = D-C, G = D+C, H = B+A, X3 = EF, Y3 = GH, T3 = EH, Z3 = FG.
 * D = 2 Z1 Z2 is carried (fe_mul_small by 1) before it is added to and
 * subtracted from, so every sum stays LOOSE (the bounds of x25519_field.h).
 */
static void add(point *r, const point *p, const point *q, const fe d2)
{
    fe a, b, c, dd, e, f, g, h, t, u;

    fe_sub(t, p->Y, p->X);
    fe_sub(u, q->Y, q->X);
    fe_mul(a, t, u);
    fe_add(t, p->Y, p->X);
    fe_add(u, q->Y, q->X);
    fe_mul(b, t, u);
    fe_mul(c, p->T, d2);
    fe_mul(c, c, q->T);
    fe_mul(dd, p->Z, q->Z);
    fe_add(dd, dd, dd);
    fe_mul_small(dd, dd, 1);
    fe_sub(e, b, a);
    fe_sub(f, dd, c);
    fe_add(g, dd, c);
    fe_add(h, b, a);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* One line of limbs: {0x..., 0x..., 0x..., 0x..., 0x...} */
static void print_fe(const fe f, const char *end)
{
    printf("            {0x%013llx, 0x%013llx, 0x%013llx, 0x%013llx, 0x%013llx}%s\n",
           (unsigned long long)f[0], (unsigned long long)f[1], (unsigned long long)f[2],
           (unsigned long long)f[3], (unsigned long long)f[4], end);
}

/* p as the table wants it: affine (y + x, y - x, 2 d x y), reduced. */
static void print_entry(const point *p, const fe d2, int last)
{
    fe zinv, x, y, ypx, ymx, xy2d;
    fe_invert(zinv, p->Z);
    fe_mul(x, p->X, zinv);
    fe_mul(y, p->Y, zinv);
    fe_add(ypx, y, x);
    fe_reduce(ypx, ypx);
    fe_sub(ymx, y, x);
    fe_reduce(ymx, ymx);
    fe_mul(xy2d, x, y);
    fe_mul(xy2d, xy2d, d2);
    fe_reduce(xy2d, xy2d);
    printf("        {\n");
    print_fe(ypx, ",");
    print_fe(ymx, ",");
    print_fe(xy2d, "");
    printf("        }%s\n", last ? "" : ",");
}

int main(void)
{
    fe d, d2, y, x, x2, num, den, t, one;
    uint8_t s[32];

    curve_d(d);
    fe_add(d2, d, d);
    fe_reduce(d2, d2);
    fe_1(one);

    /* y = 4/5 */
    fe_small(num, 4);
    fe_small(den, 5);
    fe_invert(den, den);
    fe_mul(y, num, den);

    /* RFC 8032 §5.1.3 step 2: x^2 = (y^2 - 1) / (d y^2 + 1) */
    fe_sq(t, y);
    fe_sub(num, t, one);
    fe_mul(den, d, t);
    fe_add(den, den, one);
    fe_invert(den, den);
    fe_mul(x2, num, den);

    /* step 3: candidate x = x2^((p + 3) / 8), (p + 3) / 8 = 2^252 - 2 */
    uint8_t e_sqrt[32], e_i[32];
    memset(e_sqrt, 0xff, 32);
    e_sqrt[0] = 0xfe;
    e_sqrt[31] = 0x0f;
    fe_pow(x, x2, e_sqrt);
    fe_sq(t, x);
    if (!fe_equal(t, x2)) {
        /* x^2 = -x2: multiply by sqrt(-1) = 2^((p - 1) / 4), (p - 1) / 4 = 2^253 - 5 */
        fe two, i;
        memset(e_i, 0xff, 32);
        e_i[0] = 0xfb;
        e_i[31] = 0x1f;
        fe_small(two, 2);
        fe_pow(i, two, e_i);
        fe_sq(t, i);
        fe_neg(num, one);
        if (!fe_equal(t, num))
            die("2^((p - 1) / 4) is not a square root of -1");
        fe_mul(x, x, i);
    }
    fe_sq(t, x);
    if (!fe_equal(t, x2))
        die("no square root: y = 4/5 is not on the curve");
    /* step 4: x "positive" = even (RFC 8032 §5.1.2: the least significant bit) */
    fe_reduce(x, x);
    canon(s, x);
    if (s[0] & 1)
        fe_neg(x, x);

    /* checks: -x^2 + y^2 = 1 + d x^2 y^2, and u = (1 + y) / (1 - y) = 9 */
    {
        fe xx, yy, lhs, rhs, u, nine;
        fe_sq(xx, x);
        fe_sq(yy, y);
        fe_sub(lhs, yy, xx);
        fe_mul(rhs, xx, yy);
        fe_mul(rhs, rhs, d);
        fe_add(rhs, rhs, one);
        if (!fe_equal(lhs, rhs))
            die("B is not on the curve");
        fe_add(num, one, y);
        fe_sub(den, one, y);
        fe_invert(den, den);
        fe_mul(u, num, den);
        fe_small(nine, 9);
        if (!fe_equal(u, nine))
            die("B does not map to u = 9");
    }

    printf("/*\n"
           " * x25519_base_table.h — GENERATED by tests/gen/x25519_base_table.c; do not\n"
           " * edit (src/crypto/x25519_base.c says how to regenerate it, and\n"
           " * tests/test_x25519_table.sh checks that it matches the generator).\n"
           " *\n"
           " * base_table[j][m - 1] = m * 256^j * B (RFC 8032 §5.1), j = 0..31,\n"
           " * m = 1..8, as affine (y + x, y - x, 2 d x y), fully reduced, in five\n"
           " * 51-bit limbs (x25519_field.h). Public data: the same on every machine.\n"
           " */\n"
           "static const ge_entry base_table[32][8] = {\n");

    /* row j: P = 256^j B, then P, 2P, ..., 8P */
    point row, multiple;
    fe_copy(row.X, x);
    fe_copy(row.Y, y);
    fe_1(row.Z);
    fe_mul(row.T, x, y);
    for (int j = 0; j < 32; j++) {
        printf("    {   /* 256^%d B times 1..8 */\n", j);
        multiple = row;
        for (int m = 1; m <= 8; m++) {
            print_entry(&multiple, d2, m == 8);
            add(&multiple, &multiple, &row, d2);
        }
        printf("    }%s\n", j == 31 ? "" : ",");
        for (int k = 0; k < 8; k++) /* 256 = 2^8 */
            add(&row, &row, &row, d2);
    }
    printf("};\n");
    return fflush(stdout) == 0 ? 0 : 1;
}
