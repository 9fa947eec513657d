/*
 * chacha20_avx2.c — ChaCha20 (RFC 8439 §2.3-§2.4) on eight blocks at once,
 * with AVX2's 256-bit vectors. Same method as chacha20_sse2.c (read that
 * first): x[i] holds word i of eight consecutive blocks, one lane each.
 * Course: docs/performance.md.
 *
 * Two things change with the width:
 *  - the rotations by 16 and 8 move whole bytes, so one byte shuffle
 *    (VPSHUFB) does each, instead of two shifts and an OR;
 *  - the transposition: AVX2 shuffles stay inside each 128-bit half, so the
 *    4 x 4 transposition of chacha20_sse2.c runs in both halves at once
 *    (blocks 0-3 in the low halves, blocks 4-7 in the high ones), and
 *    VINSERTI128 / VEXTRACTI128 then pair the halves: the low half of a
 *    vector of words 0-3 with the low half of the matching vector of words
 *    4-7 gives bytes 0-31 of one block.
 *
 * And one thing changes with the number of registers: the quarter rounds
 * of a round run side by side, step by step (quarter_rounds), so that the
 * CPU always has four independent operations at hand.
 *
 * Constant time: as chacha20_sse2.c. The byte-shuffle masks are constants.
 */
#include "chacha20_simd.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#include "util.h"

/* §2.1 "<<< n" for n = 12 and 7: two shifts and an OR. */
static inline __m256i rotl(__m256i x, int n)
{
    return _mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - n));
}

/* "<<< 16" and "<<< 8" move whole bytes: within each 32-bit word, byte k
 * of the result is byte (k - 2) mod 4, resp. (k - 1) mod 4, of the input. */
static inline __m256i rotl16(__m256i x)
{
    const __m256i m = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2,
                                      13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    return _mm256_shuffle_epi8(x, m);
}

static inline __m256i rotl8(__m256i x)
{
    const __m256i m = _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,
                                      14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    return _mm256_shuffle_epi8(x, m);
}

/*
 * §2.2: four quarter rounds (a column round or a diagonal round), side by
 * side step by step: q[i] = {a, b, c, d} are the word indices of quarter
 * round i. The steps are those of the reference's quarter_round; written
 * one quarter round after the other, each step would wait for the one
 * before, and the CPU would have to look 50 instructions ahead to find
 * the independent work of the next quarter round. Interleaved, the four
 * independent steps come together.
 */
__attribute__((always_inline))
static inline void quarter_rounds(__m256i x[16], const int q[4][4])
{
    const int a0 = q[0][0], b0 = q[0][1], c0 = q[0][2], d0 = q[0][3];
    const int a1 = q[1][0], b1 = q[1][1], c1 = q[1][2], d1 = q[1][3];
    const int a2 = q[2][0], b2 = q[2][1], c2 = q[2][2], d2 = q[2][3];
    const int a3 = q[3][0], b3 = q[3][1], c3 = q[3][2], d3 = q[3][3];

    /* a += b; d ^= a; d <<<= 16 */
    x[a0] = _mm256_add_epi32(x[a0], x[b0]);
    x[a1] = _mm256_add_epi32(x[a1], x[b1]);
    x[a2] = _mm256_add_epi32(x[a2], x[b2]);
    x[a3] = _mm256_add_epi32(x[a3], x[b3]);
    x[d0] = rotl16(_mm256_xor_si256(x[d0], x[a0]));
    x[d1] = rotl16(_mm256_xor_si256(x[d1], x[a1]));
    x[d2] = rotl16(_mm256_xor_si256(x[d2], x[a2]));
    x[d3] = rotl16(_mm256_xor_si256(x[d3], x[a3]));
    /* c += d; b ^= c; b <<<= 12 */
    x[c0] = _mm256_add_epi32(x[c0], x[d0]);
    x[c1] = _mm256_add_epi32(x[c1], x[d1]);
    x[c2] = _mm256_add_epi32(x[c2], x[d2]);
    x[c3] = _mm256_add_epi32(x[c3], x[d3]);
    x[b0] = rotl(_mm256_xor_si256(x[b0], x[c0]), 12);
    x[b1] = rotl(_mm256_xor_si256(x[b1], x[c1]), 12);
    x[b2] = rotl(_mm256_xor_si256(x[b2], x[c2]), 12);
    x[b3] = rotl(_mm256_xor_si256(x[b3], x[c3]), 12);
    /* a += b; d ^= a; d <<<= 8 */
    x[a0] = _mm256_add_epi32(x[a0], x[b0]);
    x[a1] = _mm256_add_epi32(x[a1], x[b1]);
    x[a2] = _mm256_add_epi32(x[a2], x[b2]);
    x[a3] = _mm256_add_epi32(x[a3], x[b3]);
    x[d0] = rotl8(_mm256_xor_si256(x[d0], x[a0]));
    x[d1] = rotl8(_mm256_xor_si256(x[d1], x[a1]));
    x[d2] = rotl8(_mm256_xor_si256(x[d2], x[a2]));
    x[d3] = rotl8(_mm256_xor_si256(x[d3], x[a3]));
    /* c += d; b ^= c; b <<<= 7 */
    x[c0] = _mm256_add_epi32(x[c0], x[d0]);
    x[c1] = _mm256_add_epi32(x[c1], x[d1]);
    x[c2] = _mm256_add_epi32(x[c2], x[d2]);
    x[c3] = _mm256_add_epi32(x[c3], x[d3]);
    x[b0] = rotl(_mm256_xor_si256(x[b0], x[c0]), 7);
    x[b1] = rotl(_mm256_xor_si256(x[b1], x[c1]), 7);
    x[b2] = rotl(_mm256_xor_si256(x[b2], x[c2]), 7);
    x[b3] = rotl(_mm256_xor_si256(x[b3], x[c3]), 7);
}

/* §2.3: the quarter rounds of a column round and of a diagonal round. */
static const int columns[4][4] = {{0, 4, 8, 12}, {1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}};
static const int diagonals[4][4] = {{0, 5, 10, 15}, {1, 6, 11, 12}, {2, 7, 8, 13}, {3, 4, 9, 14}};

/* The 4 x 4 transposition of chacha20_sse2.c, in each 128-bit half. */
static inline void transpose4(__m256i x[4])
{
    __m256i ab_lo = _mm256_unpacklo_epi32(x[0], x[1]);
    __m256i ab_hi = _mm256_unpackhi_epi32(x[0], x[1]);
    __m256i cd_lo = _mm256_unpacklo_epi32(x[2], x[3]);
    __m256i cd_hi = _mm256_unpackhi_epi32(x[2], x[3]);
    x[0] = _mm256_unpacklo_epi64(ab_lo, cd_lo);
    x[1] = _mm256_unpackhi_epi64(ab_lo, cd_lo);
    x[2] = _mm256_unpacklo_epi64(ab_hi, cd_hi);
    x[3] = _mm256_unpackhi_epi64(ab_hi, cd_hi);
}

/* The low halves of a and b, as one vector (VINSERTI128). */
static inline __m256i low_halves(__m256i a, __m256i b)
{
    return _mm256_inserti128_si256(a, _mm256_castsi256_si128(b), 1);
}

/* The high halves of a and b, as one vector (VEXTRACTI128, VINSERTI128).
 * VPERM2I128 does either in one instruction, but CPUs that split 256-bit
 * operations in two (AMD Zen 1) run it as eight micro-operations. */
static inline __m256i high_halves(__m256i a, __m256i b)
{
    return _mm256_inserti128_si256(b, _mm256_extracti128_si256(a, 1), 0);
}

static inline void xor32(uint8_t *out, const uint8_t *in, __m256i k)
{
    __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)in);
    _mm256_storeu_si256((__m256i *)(void *)out, _mm256_xor_si256(m, k));
}

/* The sixteen vectors as one object, so that it can be copied whole. */
struct words {
    __m256i w[16];
};

/*
 * The state s (the key's words in every lane) and the keystream x of
 * xor_8_blocks live in memory: an array indexed by a loop variable must.
 * Both are secret, so they are wiped; to pay for that once per call rather
 * than once per 512 bytes, they live in the caller's frame
 * (ss_chacha20_xor_avx2), which wipes them before it returns.
 */
struct workspace {
    struct words s, x;
};

/* out[0..512) = in[0..512) XOR the eight keystream blocks from state[12]. */
static void xor_8_blocks(uint8_t *out, const uint8_t *in, const uint32_t state[16],
                         struct workspace *ws)
{
    /* Lane j counts block counter + j (mod 2^32, as in the reference). */
    const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    __m256i *s = ws->s.w, *x = ws->x.w;
    struct words r;
    for (int i = 0; i < 16; i++)
        s[i] = _mm256_set1_epi32((int)state[i]);
    s[12] = _mm256_add_epi32(s[12], lanes);

    /*
     * The rounds work on a copy, r, that is only ever indexed by constants,
     * so that the compiler may keep its vectors in registers (indexed by a
     * loop variable, as s is, an array must live in memory). Sixteen
     * vectors and the temporaries of the rotations do not all fit in the
     * sixteen registers, so some go to memory anyway; unrolled, the ten
     * double rounds let the compiler choose which, round by round, instead
     * of storing and reloading a dozen of them at every turn of the loop
     * (a fifth of the speed, measured). GCC and Clang both read the pragma.
     * (What the compiler spills to its own stack slots, C cannot name, and
     * so cannot wipe: that holds for every function of this library.)
     */
    r = ws->s;
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
        quarter_rounds(r.w, columns);
        quarter_rounds(r.w, diagonals);
    }
    ws->x = r;
    for (int i = 0; i < 16; i++)
        x[i] = _mm256_add_epi32(x[i], s[i]); /* §2.3 feed-forward */
    for (int q = 0; q < 4; q++)
        transpose4(&x[4 * q]);

    /* Now x[4q + j] holds words 4q..4q+3 of block j (low half) and of
     * block j + 4 (high half). Block j is the low halves of x[j], x[4 + j],
     * x[8 + j], x[12 + j]; block j + 4 the high halves. */
    for (int j = 0; j < 4; j++) {
        uint8_t *o = out + 64 * j;
        const uint8_t *p = in + 64 * j;
        xor32(o, p, low_halves(x[j], x[4 + j]));
        xor32(o + 32, p + 32, low_halves(x[8 + j], x[12 + j]));
        xor32(o + 256, p + 256, high_halves(x[j], x[4 + j]));
        xor32(o + 288, p + 288, high_halves(x[8 + j], x[12 + j]));
    }
}

/*
 * Short inputs: two blocks in "row" form. Here a vector holds one ROW of
 * the 4 x 4 state of two blocks, block counter in the low half and
 * counter + 1 in the high half:
 *
 *      a = ( w0  w1  w2  w3  | w0  w1  w2  w3  )      constants
 *      b = ( w4  w5  w6  w7  | w4  w5  w6  w7  )      key
 *      c = ( w8  w9  w10 w11 | w8  w9  w10 w11 )      key
 *      d = ( w12 w13 w14 w15 | w12+1 w13 w14 w15 )    counter, nonce
 *
 * A column round is then one quarter round on the four rows (lane i of
 * each row is column i). For the diagonal round, rows b, c and d are
 * rotated by one, two and three words (VPSHUFD), which lines the
 * diagonals up as columns; they are rotated back afterwards. Four vectors
 * instead of sixteen, and no transposition at the end: for one or two
 * blocks, this costs far less than computing eight.
 */
static inline void quarter_round_rows(__m256i *a, __m256i *b, __m256i *c, __m256i *d)
{
    *a = _mm256_add_epi32(*a, *b);
    *d = rotl16(_mm256_xor_si256(*d, *a));
    *c = _mm256_add_epi32(*c, *d);
    *b = rotl(_mm256_xor_si256(*b, *c), 12);
    *a = _mm256_add_epi32(*a, *b);
    *d = rotl8(_mm256_xor_si256(*d, *a));
    *c = _mm256_add_epi32(*c, *d);
    *b = rotl(_mm256_xor_si256(*b, *c), 7);
}

/* A row of the state, in both halves. */
static inline __m256i row(const uint32_t *words)
{
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)words));
}

/* out[0..128) = in[0..128) XOR keystream blocks state[12] and state[12] + 1. */
static void xor_2_blocks(uint8_t *out, const uint8_t *in, const uint32_t state[16])
{
    /* The high half counts the next block (mod 2^32, as the reference). */
    const __m256i next = _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0);
    __m256i a = row(state), b = row(state + 4), c = row(state + 8);
    __m256i d = _mm256_add_epi32(row(state + 12), next);

    for (int i = 0; i < 10; i++) {
        quarter_round_rows(&a, &b, &c, &d); /* column round */
        b = _mm256_shuffle_epi32(b, 0x39);  /* lane i <- word i + 1 */
        c = _mm256_shuffle_epi32(c, 0x4e);  /* lane i <- word i + 2 */
        d = _mm256_shuffle_epi32(d, 0x93);  /* lane i <- word i + 3 */
        quarter_round_rows(&a, &b, &c, &d); /* diagonal round */
        b = _mm256_shuffle_epi32(b, 0x93);
        c = _mm256_shuffle_epi32(c, 0x4e);
        d = _mm256_shuffle_epi32(d, 0x39);
    }
    /* §2.3 feed-forward. */
    a = _mm256_add_epi32(a, row(state));
    b = _mm256_add_epi32(b, row(state + 4));
    c = _mm256_add_epi32(c, row(state + 8));
    d = _mm256_add_epi32(d, _mm256_add_epi32(row(state + 12), next));

    /* Rows a, b are bytes 0-31 of a block, rows c, d bytes 32-63. */
    xor32(out, in, low_halves(a, b));
    xor32(out + 32, in + 32, low_halves(c, d));
    xor32(out + 64, in + 64, high_halves(a, b));
    xor32(out + 96, in + 96, high_halves(c, d));
}

/*
 * One block in row form on 128-bit vectors: the same rounds as
 * xor_2_blocks with one half. Where a 256-bit operation is split in two
 * (AMD Zen 1 executes each as two 128-bit halves, and its vector shifts on
 * one unit only), the rounds of a lone block, which wait on each other
 * anyway, run faster at this width: one block, alone, costs about a third
 * less than two (measured on Zen 1: the AEAD's key block).
 */
static inline void quarter_round_row(__m128i *a, __m128i *b, __m128i *c, __m128i *d)
{
    const __m128i r16 = _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m128i r8 = _mm_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    *a = _mm_add_epi32(*a, *b);
    *d = _mm_shuffle_epi8(_mm_xor_si128(*d, *a), r16);
    *c = _mm_add_epi32(*c, *d);
    *b = _mm_xor_si128(*b, *c);
    *b = _mm_or_si128(_mm_slli_epi32(*b, 12), _mm_srli_epi32(*b, 20));
    *a = _mm_add_epi32(*a, *b);
    *d = _mm_shuffle_epi8(_mm_xor_si128(*d, *a), r8);
    *c = _mm_add_epi32(*c, *d);
    *b = _mm_xor_si128(*b, *c);
    *b = _mm_or_si128(_mm_slli_epi32(*b, 7), _mm_srli_epi32(*b, 25));
}

/* out[0..64) = in[0..64) XOR keystream block state[12]. */
static void xor_1_block(uint8_t *out, const uint8_t *in, const uint32_t state[16])
{
    const __m128i *st = (const __m128i *)(const void *)state;
    __m128i a = _mm_loadu_si128(st), b = _mm_loadu_si128(st + 1);
    __m128i c = _mm_loadu_si128(st + 2), d = _mm_loadu_si128(st + 3);

    for (int i = 0; i < 10; i++) {
        quarter_round_row(&a, &b, &c, &d); /* column round */
        b = _mm_shuffle_epi32(b, 0x39);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x93);
        quarter_round_row(&a, &b, &c, &d); /* diagonal round */
        b = _mm_shuffle_epi32(b, 0x93);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x39);
    }
    /* §2.3 feed-forward; rows a, b, c, d are bytes 0-15, ..., 48-63. */
    a = _mm_add_epi32(a, _mm_loadu_si128(st));
    b = _mm_add_epi32(b, _mm_loadu_si128(st + 1));
    c = _mm_add_epi32(c, _mm_loadu_si128(st + 2));
    d = _mm_add_epi32(d, _mm_loadu_si128(st + 3));
    const __m128i *p = (const __m128i *)(const void *)in;
    __m128i *o = (__m128i *)(void *)out;
    _mm_storeu_si128(o, _mm_xor_si128(_mm_loadu_si128(p), a));
    _mm_storeu_si128(o + 1, _mm_xor_si128(_mm_loadu_si128(p + 1), b));
    _mm_storeu_si128(o + 2, _mm_xor_si128(_mm_loadu_si128(p + 2), c));
    _mm_storeu_si128(o + 3, _mm_xor_si128(_mm_loadu_si128(p + 3), d));
}

void ss_chacha20_xor_avx2_short(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16])
{
    if (len == 64) {
        xor_1_block(out, in, state);
    } else if (len == 128) {
        xor_2_blocks(out, in, state);
    } else {
        /* 1..127 bytes: through a buffer, two blocks' worth. */
        uint8_t buf[128] = {0};
        for (size_t i = 0; i < len; i++)
            buf[i] = in[i];
        xor_2_blocks(buf, buf, state);
        for (size_t i = 0; i < len; i++)
            out[i] = buf[i];
        ss_wipe(buf, sizeof buf);
    }
    state[12] += (uint32_t)((len + 63) / 64);
}

void ss_chacha20_xor_avx2(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16])
{
    struct workspace ws;
    while (len >= 512) {
        xor_8_blocks(out, in, state, &ws);
        state[12] += 8;
        out += 512;
        in += 512;
        len -= 512;
    }
    if (len > 0) {
        /* The last 1..511 bytes: through a buffer, eight blocks' worth. */
        uint8_t buf[512] = {0};
        for (size_t i = 0; i < len; i++)
            buf[i] = in[i];
        xor_8_blocks(buf, buf, state, &ws);
        for (size_t i = 0; i < len; i++)
            out[i] = buf[i];
        state[12] += (uint32_t)((len + 63) / 64);
        ss_wipe(buf, sizeof buf);
    }
    ss_wipe(&ws, sizeof ws);
}
#endif
