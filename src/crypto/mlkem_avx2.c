/*
 * mlkem_avx2.c — the arithmetic of ML-KEM-768 (FIPS 203 §4.3: NTT,
 * NTT^-1, MultiplyNTTs) sixteen coefficients at a time, in AVX2's 256-bit
 * vectors. Read mlkem.c first: every function here computes what its
 * reference does there, on the same representation (256 int16_t in the
 * natural order, canonical in [0, q) at the interface), and the NTTs do
 * exactly the reference's butterflies, so their outputs are equal bit for
 * bit. Chosen by mlkem.c when cpu.c reports AVX2. Course:
 * docs/performance.md ("ML-KEM at vector speed").
 *
 * One Montgomery multiplication, three instructions. The reference's
 * fqmul(a, b) = (a b - t q) / 2^16 with t = a b q^-1 mod 2^16 (signed).
 * Because a b and t q agree in their low 16 bits, the difference of their
 * high halves is that quotient exactly. So, sixteen lanes at once:
 *   VPMULLW  t  = a * (b q^-1 mod 2^16)  (low halves: t, b q^-1 precomputed)
 *   VPMULHW  hi = a * b                  (high halves)
 *   VPMULHW  tq = t * q
 *   VPSUBW   hi - tq
 * -- the same integer as the reference's montgomery_reduce((int32_t)a * b).
 * Barrett's t = (20159 a + 2^25) >> 26 is VPMULHW (the >> 16) then
 * VPMULHRSW by 32 ((x 32 + 2^14) >> 15 = (x + 512) >> 10, the rest of the
 * shift with its rounding), again the same integer.
 *
 * Layout. Vector k holds coefficients 16k .. 16k+15. The NTT layers with
 * len >= 16 pair whole vectors (v[k] with v[k + len/16]); the last three
 * (len = 8, 4, 2) pair coefficients inside a vector. For those, two
 * vectors A, B are shuffled into X (the first of each pair) and Y (the
 * second), the butterflies run on X and Y, and the same shuffle puts
 * them back (each of the three shuffles is its own inverse):
 *   len 8: 128-bit halves    X = [A.lo, B.lo], Y = [A.hi, B.hi] (VPERM2I128)
 *   len 4: 64-bit quarters   VPUNPCKLQDQ / VPUNPCKHQDQ
 *   len 2: 32-bit words      even words / odd words (VMOVSLDUP, VPBLENDD)
 * A pair of coefficients whose zeta differs now sits in one vector, so
 * those layers take their zetas from fwd_zetas / inv_zetas below: the
 * reference's zetas[] rearranged into the lanes of X (the tests compare
 * the outputs with FIPS 203's definitions, which checks every entry).
 *
 * Constant time: arithmetic and fixed shuffles only; the tables are read
 * at fixed addresses. No branch and no index depends on the data.
 */
#include "mlkem_internal.h"
#include "mlkem_simd.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#define Q 3329
#define QINV 62209 /* q^-1 mod 2^16 */

/* zetas[1..15] of mlkem.c: the layers len = 128 .. 16 (entry 0 unused). */
static const int16_t zetas_outer[16] = {
    -1044, -758, -359, -1517, 1493, 1422, 287, 202,
    -171, 622, 1577, 182, 962, -1202, -1474, 1468,
};

/* The zetas of the layers len = 8, 4, 2 for the pair of vectors
 * (2p, 2p + 1), lane by lane as X holds them: forward,
 * fwd_zetas[layer][p][lane] = zetas[128 / len + group of that lane]; the
 * inverse takes the reference's zetas[i--] order, zetas[256 / len - 1 -
 * group]. */
static const int16_t fwd_zetas[3][8][16] = {
    { /* len = 8 */
        {573, 573, 573, 573, 573, 573, 573, 573,
         -1325, -1325, -1325, -1325, -1325, -1325, -1325, -1325},
        {264, 264, 264, 264, 264, 264, 264, 264,
         383, 383, 383, 383, 383, 383, 383, 383},
        {-829, -829, -829, -829, -829, -829, -829, -829,
         1458, 1458, 1458, 1458, 1458, 1458, 1458, 1458},
        {-1602, -1602, -1602, -1602, -1602, -1602, -1602, -1602,
         -130, -130, -130, -130, -130, -130, -130, -130},
        {-681, -681, -681, -681, -681, -681, -681, -681,
         1017, 1017, 1017, 1017, 1017, 1017, 1017, 1017},
        {732, 732, 732, 732, 732, 732, 732, 732,
         608, 608, 608, 608, 608, 608, 608, 608},
        {-1542, -1542, -1542, -1542, -1542, -1542, -1542, -1542,
         411, 411, 411, 411, 411, 411, 411, 411},
        {-205, -205, -205, -205, -205, -205, -205, -205,
         -1571, -1571, -1571, -1571, -1571, -1571, -1571, -1571},
    },
    { /* len = 4 */
        {1223, 1223, 1223, 1223, -552, -552, -552, -552,
         652, 652, 652, 652, 1015, 1015, 1015, 1015},
        {-1293, -1293, -1293, -1293, -282, -282, -282, -282,
         1491, 1491, 1491, 1491, -1544, -1544, -1544, -1544},
        {516, 516, 516, 516, -320, -320, -320, -320,
         -8, -8, -8, -8, -666, -666, -666, -666},
        {-1618, -1618, -1618, -1618, 126, 126, 126, 126,
         -1162, -1162, -1162, -1162, 1469, 1469, 1469, 1469},
        {-853, -853, -853, -853, -271, -271, -271, -271,
         -90, -90, -90, -90, 830, 830, 830, 830},
        {107, 107, 107, 107, -247, -247, -247, -247,
         -1421, -1421, -1421, -1421, -951, -951, -951, -951},
        {-398, -398, -398, -398, -1508, -1508, -1508, -1508,
         961, 961, 961, 961, -725, -725, -725, -725},
        {448, 448, 448, 448, 677, 677, 677, 677,
         -1065, -1065, -1065, -1065, -1275, -1275, -1275, -1275},
    },
    { /* len = 2 */
        {-1103, -1103, -1251, -1251, 430, 430, 871, 871,
         555, 555, 1550, 1550, 843, 843, 105, 105},
        {422, 422, -291, -291, 587, 587, -460, -460,
         177, 177, 1574, 1574, -235, -235, 1653, 1653},
        {-246, -246, -777, -777, 778, 778, 1483, 1483,
         1159, 1159, -602, -602, -147, -147, 1119, 1119},
        {-1590, -1590, 418, 418, 644, 644, 329, 329,
         -872, -872, -156, -156, 349, 349, -75, -75},
        {817, 817, 1322, 1322, 1097, 1097, -1285, -1285,
         603, 603, -1465, -1465, 610, 610, 384, 384},
        {-1215, -1215, -874, -874, -136, -136, 220, 220,
         1218, 1218, -1187, -1187, -1335, -1335, -1659, -1659},
        {-1185, -1185, -1510, -1510, -1530, -1530, -854, -854,
         -1278, -1278, -870, -870, 794, 794, 478, 478},
        {-108, -108, 958, 958, -308, -308, -1460, -1460,
         996, 996, 1522, 1522, 991, 991, 1628, 1628},
    },
};

static const int16_t inv_zetas[3][8][16] = {
    { /* len = 8 */
        {-1571, -1571, -1571, -1571, -1571, -1571, -1571, -1571,
         -205, -205, -205, -205, -205, -205, -205, -205},
        {411, 411, 411, 411, 411, 411, 411, 411,
         -1542, -1542, -1542, -1542, -1542, -1542, -1542, -1542},
        {608, 608, 608, 608, 608, 608, 608, 608,
         732, 732, 732, 732, 732, 732, 732, 732},
        {1017, 1017, 1017, 1017, 1017, 1017, 1017, 1017,
         -681, -681, -681, -681, -681, -681, -681, -681},
        {-130, -130, -130, -130, -130, -130, -130, -130,
         -1602, -1602, -1602, -1602, -1602, -1602, -1602, -1602},
        {1458, 1458, 1458, 1458, 1458, 1458, 1458, 1458,
         -829, -829, -829, -829, -829, -829, -829, -829},
        {383, 383, 383, 383, 383, 383, 383, 383,
         264, 264, 264, 264, 264, 264, 264, 264},
        {-1325, -1325, -1325, -1325, -1325, -1325, -1325, -1325,
         573, 573, 573, 573, 573, 573, 573, 573},
    },
    { /* len = 4 */
        {-1275, -1275, -1275, -1275, -1065, -1065, -1065, -1065,
         677, 677, 677, 677, 448, 448, 448, 448},
        {-725, -725, -725, -725, 961, 961, 961, 961,
         -1508, -1508, -1508, -1508, -398, -398, -398, -398},
        {-951, -951, -951, -951, -1421, -1421, -1421, -1421,
         -247, -247, -247, -247, 107, 107, 107, 107},
        {830, 830, 830, 830, -90, -90, -90, -90,
         -271, -271, -271, -271, -853, -853, -853, -853},
        {1469, 1469, 1469, 1469, -1162, -1162, -1162, -1162,
         126, 126, 126, 126, -1618, -1618, -1618, -1618},
        {-666, -666, -666, -666, -8, -8, -8, -8,
         -320, -320, -320, -320, 516, 516, 516, 516},
        {-1544, -1544, -1544, -1544, 1491, 1491, 1491, 1491,
         -282, -282, -282, -282, -1293, -1293, -1293, -1293},
        {1015, 1015, 1015, 1015, 652, 652, 652, 652,
         -552, -552, -552, -552, 1223, 1223, 1223, 1223},
    },
    { /* len = 2 */
        {1628, 1628, 991, 991, 1522, 1522, 996, 996,
         -1460, -1460, -308, -308, 958, 958, -108, -108},
        {478, 478, 794, 794, -870, -870, -1278, -1278,
         -854, -854, -1530, -1530, -1510, -1510, -1185, -1185},
        {-1659, -1659, -1335, -1335, -1187, -1187, 1218, 1218,
         220, 220, -136, -136, -874, -874, -1215, -1215},
        {384, 384, 610, 610, -1465, -1465, 603, 603,
         -1285, -1285, 1097, 1097, 1322, 1322, 817, 817},
        {-75, -75, 349, 349, -156, -156, -872, -872,
         329, 329, 644, 644, 418, 418, -1590, -1590},
        {1119, 1119, -147, -147, -602, -602, 1159, 1159,
         1483, 1483, 778, 778, -777, -777, -246, -246},
        {1653, 1653, -235, -235, 1574, 1574, 177, 177,
         -460, -460, 587, 587, -291, -291, 422, 422},
        {105, 105, 843, 843, 1550, 1550, 555, 555,
         871, 871, 430, 430, -1251, -1251, -1103, -1103},
    },
};

/* a * b * 2^-16 mod q, |result| < q: the reference's fqmul, lane by lane;
 * bqinv = b * q^-1 mod 2^16. */
static inline __m256i fqmul(__m256i a, __m256i b, __m256i bqinv)
{
    __m256i t = _mm256_mullo_epi16(a, bqinv);
    __m256i hi = _mm256_mulhi_epi16(a, b);
    return _mm256_sub_epi16(hi, _mm256_mulhi_epi16(t, _mm256_set1_epi16(Q)));
}

/* The reference's barrett_reduce: a mod q in [-(q-1)/2, (q-1)/2]. */
static inline __m256i barrett_reduce(__m256i a)
{
    __m256i t = _mm256_mulhi_epi16(a, _mm256_set1_epi16(20159));
    t = _mm256_mulhrs_epi16(t, _mm256_set1_epi16(32));
    return _mm256_sub_epi16(a, _mm256_mullo_epi16(t, _mm256_set1_epi16(Q)));
}

/* Adds q to the negative lanes: a >> 15 is all ones exactly there. */
static inline __m256i caddq(__m256i a)
{
    return _mm256_add_epi16(a, _mm256_and_si256(_mm256_srai_epi16(a, 15), _mm256_set1_epi16(Q)));
}

/* Cooley-Tukey (Algorithm 9, lines 7-9): (a, b) <- (a + zeta b, a - zeta b). */
static inline void ct_butterfly(__m256i *a, __m256i *b, __m256i zeta)
{
    __m256i t = fqmul(*b, zeta, _mm256_mullo_epi16(zeta, _mm256_set1_epi16((int16_t)QINV)));
    *b = _mm256_sub_epi16(*a, t);
    *a = _mm256_add_epi16(*a, t);
}

/* Gentleman-Sande (Algorithm 10, lines 7-9):
 * (a, b) <- (barrett(a + b), zeta (b - a)). */
static inline void gs_butterfly(__m256i *a, __m256i *b, __m256i zeta)
{
    __m256i t = *a;
    *a = barrett_reduce(_mm256_add_epi16(t, *b));
    *b = fqmul(_mm256_sub_epi16(*b, t), zeta,
               _mm256_mullo_epi16(zeta, _mm256_set1_epi16((int16_t)QINV)));
}

/* The three in-vector shuffles of the header: (A, B) -> (X, Y), and
 * applied to (X, Y), back to (A, B). */
static inline void shuffle128(__m256i *a, __m256i *b)
{
    __m256i x = _mm256_permute2x128_si256(*a, *b, 0x20);
    __m256i y = _mm256_permute2x128_si256(*a, *b, 0x31);
    *a = x;
    *b = y;
}

static inline void shuffle64(__m256i *a, __m256i *b)
{
    __m256i x = _mm256_unpacklo_epi64(*a, *b);
    __m256i y = _mm256_unpackhi_epi64(*a, *b);
    *a = x;
    *b = y;
}

static inline void shuffle32(__m256i *a, __m256i *b)
{
    __m256i bdup = _mm256_castps_si256(_mm256_moveldup_ps(_mm256_castsi256_ps(*b)));
    __m256i x = _mm256_blend_epi32(*a, bdup, 0xaa);
    __m256i y = _mm256_blend_epi32(_mm256_srli_epi64(*a, 32), *b, 0xaa);
    *a = x;
    *b = y;
}

static inline void shuffle(unsigned layer, __m256i *a, __m256i *b)
{
    if (layer == 0)
        shuffle128(a, b);
    else if (layer == 1)
        shuffle64(a, b);
    else
        shuffle32(a, b);
}

static inline __m256i load(const int16_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static inline void store(int16_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

void ss_mlkem_ntt_avx2(int16_t f[256])
{
    __m256i v[16];
    for (unsigned k = 0; k < 16; k++)
        v[k] = load(f + 16 * k);
    /* len = 128, 64, 32, 16: butterflies between vectors; group g of a
     * layer takes zetas[128 / len + g], as the reference's i++ does. */
    for (unsigned len = 128; len >= 16; len >>= 1) {
        unsigned d = len / 16; /* distance in vectors */
        for (unsigned k = 0; k < 16; k++)
            if ((k & d) == 0)
                ct_butterfly(&v[k], &v[k + d],
                             _mm256_set1_epi16(zetas_outer[128 / len + k / (2 * d)]));
    }
    /* len = 8, 4, 2: inside the vectors. */
    for (unsigned p = 0; p < 8; p++)
        for (unsigned layer = 0; layer < 3; layer++) {
            shuffle(layer, &v[2 * p], &v[2 * p + 1]);
            ct_butterfly(&v[2 * p], &v[2 * p + 1], load(fwd_zetas[layer][p]));
            shuffle(layer, &v[2 * p], &v[2 * p + 1]);
        }
    for (unsigned k = 0; k < 16; k++)
        store(f + 16 * k, caddq(barrett_reduce(v[k])));
}

void ss_mlkem_inv_ntt_avx2(int16_t f[256], int16_t scale)
{
    __m256i v[16];
    for (unsigned k = 0; k < 16; k++)
        v[k] = load(f + 16 * k);
    /* len = 2, 4, 8: inside the vectors. */
    for (unsigned p = 0; p < 8; p++)
        for (unsigned layer = 3; layer-- > 0;) {
            shuffle(layer, &v[2 * p], &v[2 * p + 1]);
            gs_butterfly(&v[2 * p], &v[2 * p + 1], load(inv_zetas[layer][p]));
            shuffle(layer, &v[2 * p], &v[2 * p + 1]);
        }
    /* len = 16 .. 128: group g takes zetas[256 / len - 1 - g] (i--). */
    for (unsigned len = 16; len <= 128; len <<= 1) {
        unsigned d = len / 16;
        for (unsigned k = 0; k < 16; k++)
            if ((k & d) == 0)
                gs_butterfly(&v[k], &v[k + d],
                             _mm256_set1_epi16(zetas_outer[256 / len - 1 - k / (2 * d)]));
    }
    /* line 14, with the scale of mlkem.c's inv_ntt_scaled */
    __m256i s = _mm256_set1_epi16(scale);
    __m256i sqinv = _mm256_mullo_epi16(s, _mm256_set1_epi16((int16_t)QINV));
    for (unsigned k = 0; k < 16; k++)
        store(f + 16 * k, caddq(fqmul(v[k], s, sqinv)));
}

/*
 * Montgomery reduction of eight 32-bit sums (the reference's
 * montgomery_reduce, |c| < q 2^15): t = c q^-1 mod 2^16 in the low half of
 * each 32-bit lane (VPMULLW; the high halves' products are ignored), t q
 * by VPMADDWD against (q, 0) pairs, then (c - t q) >> 16. |result| < q.
 */
static inline __m256i montgomery_reduce32(__m256i c)
{
    __m256i t = _mm256_mullo_epi16(c, _mm256_set1_epi16((int16_t)QINV));
    __m256i tq = _mm256_madd_epi16(t, _mm256_set1_epi32(Q));
    return _mm256_srai_epi32(_mm256_sub_epi32(c, tq), 16);
}

/*
 * The inner product of mlkem.c's inner_product(): sum over the k pairs of
 * polynomials (a + 256 i, b + 256 i) of MultiplyNTTs, times 2^-16 mod q,
 * |r| < q. Inputs canonical. For a degree-1 pair (a0, a1), (b0, b1),
 * VPMADDWD gives a0 x0 + a1 x1 in one 32-bit lane, so
 *   c0 = a0 b0 + a1 (b1 gamma)   from b' = (b0, fqmul(b1, gamma)),
 *   c1 = a0 b1 + a1 b0           from b swapped within each pair.
 * The same sum as the reference's modulo q (there fqmul(a1, b1) gamma; the
 * representative may differ), with the same bounds: each product below
 * q^2 in magnitude, so below 6 q^2 < q 2^15 for k = 3 before the single
 * reduction. Eight pairs per vector.
 */
void ss_mlkem_inner_product_avx2(int16_t r[256], const int16_t *a, const int16_t *b, unsigned k)
{
    const __m256i qinv = _mm256_set1_epi16((int16_t)QINV);
    for (unsigned v = 0; v < 16; v++) {
        /* ss_mlkem_gammas[8v .. 8v+7] (mlkem.c) into the odd (b1) lanes */
        __m128i g8 = _mm_loadu_si128((const __m128i *)(const void *)(ss_mlkem_gammas + 8 * v));
        __m256i g = _mm256_slli_epi32(_mm256_cvtepi16_epi32(g8), 16);
        __m256i gqinv = _mm256_mullo_epi16(g, qinv);
        __m256i c0 = _mm256_setzero_si256(), c1 = _mm256_setzero_si256();
        for (unsigned i = 0; i < k; i++) {
            __m256i x = load(a + 256 * i + 16 * v), y = load(b + 256 * i + 16 * v);
            __m256i yg = _mm256_blend_epi16(y, fqmul(y, g, gqinv), 0xaa);
            __m256i ys = _mm256_or_si256(_mm256_slli_epi32(y, 16), _mm256_srli_epi32(y, 16));
            c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x, yg));
            c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x, ys));
        }
        __m256i r0 = montgomery_reduce32(c0), r1 = montgomery_reduce32(c1);
        store(r + 16 * v, _mm256_blend_epi16(r0, _mm256_slli_epi32(r1, 16), 0xaa));
    }
}

#endif
