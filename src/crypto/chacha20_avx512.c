/*
 * chacha20_avx512.c — ChaCha20 (RFC 8439 §2.3-§2.4) on sixteen blocks at
 * once, with AVX-512's 512-bit vectors, and on 8, 4, 2 or 1 blocks for the
 * last bytes with the 256- and 128-bit forms that AVX-512VL gives the same
 * instructions. Same method as chacha20_avx2.c (read chacha20_sse2.c, then
 * that, first): x[i] holds word i of sixteen consecutive blocks, one 32-bit
 * lane each. Course: docs/performance.md ("ChaCha20 in 512-bit registers").
 *
 * What AVX-512 changes, and why each makes it faster per byte:
 *  - twice the lanes: one VPADDD adds sixteen words;
 *  - a rotate instruction (VPROLD): "<<< n" is one instruction for every n,
 *    where AVX2 needs two shifts and an OR for 12 and 7, a byte shuffle
 *    for 16 and 8. A quarter round is 12 instructions instead of 16;
 *  - 32 vector registers instead of 16: the sixteen state vectors and the
 *    temporaries all stay in registers through the 20 rounds (the AVX2
 *    code must spill some to memory every round);
 *  - masked loads and stores (AVX-512BW): the last, partial group is XORed
 *    straight into the caller's buffer, the mask covering exactly the bytes
 *    that exist, instead of going through a zeroed buffer that must then
 *    be wiped. A masked-off byte is neither read nor written, and cannot
 *    fault.
 *
 * The transposition (xor_16_blocks). After the rounds, lane j of x[i] is
 * word i of block j. Within each 128-bit quarter of the register the 4 x 4
 * transposition of chacha20_sse2.c runs as before (four blocks per
 * quarter, all four quarters at once); then x[4q + j] holds words
 * 4q..4q+3 of block j in quarter 0, of block j + 4 in quarter 1, j + 8 in
 * quarter 2 and j + 12 in quarter 3. VSHUFI32X4 picks 128-bit quarters from
 * two registers: two rounds of it gather the four quarters of one block
 * (from x[j], x[4 + j], x[8 + j], x[12 + j]) into one 64-byte register.
 *
 * Which width for how many bytes (ss_chacha20_xor_avx512): groups of 16
 * blocks (1,024 bytes) while they last; what is left, above 512 bytes, as
 * one more group of 16 (masked); above 256 as 8 blocks in 256-bit
 * registers, above 128 as 4 in 128-bit ones, above 64 as 2 blocks in rows
 * (chacha20_avx2.c's short form), and 1..64 bytes as 1 block in rows. Each
 * computes at most twice the keystream it uses.
 *
 * Constant time: the same additions, XORs and rotations as the reference,
 * on vectors; shuffle patterns are constants; masks and branches depend on
 * the length only, which is public. Valgrind cannot run AVX-512, so
 * tests/ct cannot check this file; docs/security.md says how it is checked
 * (tests/test_avx512_ct.sh reads the machine code).
 */
#include "chacha20_simd.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__) && \
    defined(__AVX512BW__)
#include <immintrin.h>

/* ---- sixteen blocks, one per 32-bit lane of a 512-bit register ---- */

/* Word i of the state in every lane, broadcast straight from memory
 * (VPBROADCASTD with a memory operand, in GCC's code): the key words never
 * pass through a general-purpose register, which tests/test_avx512_ct.sh
 * checks. */
static inline __m512i word16(const uint32_t state[16], int i)
{
    return _mm512_broadcastd_epi32(_mm_loadu_si32(state + i));
}

static inline __m256i word8(const uint32_t state[16], int i)
{
    return _mm256_broadcastd_epi32(_mm_loadu_si32(state + i));
}

static inline __m128i word4(const uint32_t state[16], int i)
{
    return _mm_broadcastd_epi32(_mm_loadu_si32(state + i));
}

/*
 * §2.2: four quarter rounds (a column or a diagonal round), side by side
 * step by step, as in chacha20_avx2.c: q[i] = {a, b, c, d} are the word
 * indices of quarter round i. Each "<<< n" is one VPROLD.
 */
__attribute__((always_inline))
static inline void quarter_rounds_16(__m512i x[16], const int q[4][4])
{
    const int a0 = q[0][0], b0 = q[0][1], c0 = q[0][2], d0 = q[0][3];
    const int a1 = q[1][0], b1 = q[1][1], c1 = q[1][2], d1 = q[1][3];
    const int a2 = q[2][0], b2 = q[2][1], c2 = q[2][2], d2 = q[2][3];
    const int a3 = q[3][0], b3 = q[3][1], c3 = q[3][2], d3 = q[3][3];

    /* a += b; d ^= a; d <<<= 16 */
    x[a0] = _mm512_add_epi32(x[a0], x[b0]);
    x[a1] = _mm512_add_epi32(x[a1], x[b1]);
    x[a2] = _mm512_add_epi32(x[a2], x[b2]);
    x[a3] = _mm512_add_epi32(x[a3], x[b3]);
    x[d0] = _mm512_rol_epi32(_mm512_xor_si512(x[d0], x[a0]), 16);
    x[d1] = _mm512_rol_epi32(_mm512_xor_si512(x[d1], x[a1]), 16);
    x[d2] = _mm512_rol_epi32(_mm512_xor_si512(x[d2], x[a2]), 16);
    x[d3] = _mm512_rol_epi32(_mm512_xor_si512(x[d3], x[a3]), 16);
    /* c += d; b ^= c; b <<<= 12 */
    x[c0] = _mm512_add_epi32(x[c0], x[d0]);
    x[c1] = _mm512_add_epi32(x[c1], x[d1]);
    x[c2] = _mm512_add_epi32(x[c2], x[d2]);
    x[c3] = _mm512_add_epi32(x[c3], x[d3]);
    x[b0] = _mm512_rol_epi32(_mm512_xor_si512(x[b0], x[c0]), 12);
    x[b1] = _mm512_rol_epi32(_mm512_xor_si512(x[b1], x[c1]), 12);
    x[b2] = _mm512_rol_epi32(_mm512_xor_si512(x[b2], x[c2]), 12);
    x[b3] = _mm512_rol_epi32(_mm512_xor_si512(x[b3], x[c3]), 12);
    /* a += b; d ^= a; d <<<= 8 */
    x[a0] = _mm512_add_epi32(x[a0], x[b0]);
    x[a1] = _mm512_add_epi32(x[a1], x[b1]);
    x[a2] = _mm512_add_epi32(x[a2], x[b2]);
    x[a3] = _mm512_add_epi32(x[a3], x[b3]);
    x[d0] = _mm512_rol_epi32(_mm512_xor_si512(x[d0], x[a0]), 8);
    x[d1] = _mm512_rol_epi32(_mm512_xor_si512(x[d1], x[a1]), 8);
    x[d2] = _mm512_rol_epi32(_mm512_xor_si512(x[d2], x[a2]), 8);
    x[d3] = _mm512_rol_epi32(_mm512_xor_si512(x[d3], x[a3]), 8);
    /* c += d; b ^= c; b <<<= 7 */
    x[c0] = _mm512_add_epi32(x[c0], x[d0]);
    x[c1] = _mm512_add_epi32(x[c1], x[d1]);
    x[c2] = _mm512_add_epi32(x[c2], x[d2]);
    x[c3] = _mm512_add_epi32(x[c3], x[d3]);
    x[b0] = _mm512_rol_epi32(_mm512_xor_si512(x[b0], x[c0]), 7);
    x[b1] = _mm512_rol_epi32(_mm512_xor_si512(x[b1], x[c1]), 7);
    x[b2] = _mm512_rol_epi32(_mm512_xor_si512(x[b2], x[c2]), 7);
    x[b3] = _mm512_rol_epi32(_mm512_xor_si512(x[b3], x[c3]), 7);
}

/* §2.3: the quarter rounds of a column round and of a diagonal round. */
static const int columns[4][4] = {{0, 4, 8, 12}, {1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}};
static const int diagonals[4][4] = {{0, 5, 10, 15}, {1, 6, 11, 12}, {2, 7, 8, 13}, {3, 4, 9, 14}};

/* The 4 x 4 transposition of chacha20_sse2.c, in each 128-bit quarter. */
static inline void transpose4_16(__m512i x[4])
{
    __m512i ab_lo = _mm512_unpacklo_epi32(x[0], x[1]);
    __m512i ab_hi = _mm512_unpackhi_epi32(x[0], x[1]);
    __m512i cd_lo = _mm512_unpacklo_epi32(x[2], x[3]);
    __m512i cd_hi = _mm512_unpackhi_epi32(x[2], x[3]);
    x[0] = _mm512_unpacklo_epi64(ab_lo, cd_lo);
    x[1] = _mm512_unpackhi_epi64(ab_lo, cd_lo);
    x[2] = _mm512_unpacklo_epi64(ab_hi, cd_hi);
    x[3] = _mm512_unpackhi_epi64(ab_hi, cd_hi);
}

/*
 * The mask of the first n bytes of a 64-, 32- or 16-byte piece (n may
 * exceed the piece: all ones). n is a length: public.
 */
static inline __mmask64 first_bytes(size_t n)
{
    return n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
}

/* out[0..n) = in[0..n) XOR the first n bytes of k (n <= 64 counts, more
 * means 64). A whole piece takes plain loads and stores. */
static inline void xor64(uint8_t *out, const uint8_t *in, __m512i k, size_t n)
{
    if (n >= 64) {
        _mm512_storeu_si512(out, _mm512_xor_si512(_mm512_loadu_si512(in), k));
    } else {
        __mmask64 m = first_bytes(n);
        _mm512_mask_storeu_epi8(out, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, in), k));
    }
}

static inline void xor32(uint8_t *out, const uint8_t *in, __m256i k, size_t n)
{
    if (n >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)in);
        _mm256_storeu_si256((__m256i *)(void *)out, _mm256_xor_si256(v, k));
    } else {
        __mmask32 m = (__mmask32)first_bytes(n);
        __m256i v = _mm256_maskz_loadu_epi8(m, in);
        _mm256_mask_storeu_epi8(out, m, _mm256_xor_si256(v, k));
    }
}

static inline void xor16(uint8_t *out, const uint8_t *in, __m128i k, size_t n)
{
    if (n >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
        _mm_storeu_si128((__m128i *)(void *)out, _mm_xor_si128(v, k));
    } else {
        __mmask16 m = (__mmask16)first_bytes(n);
        _mm_mask_storeu_epi8(out, m, _mm_xor_si128(_mm_maskz_loadu_epi8(m, in), k));
    }
}

/*
 * out[0..len) = in[0..len) XOR keystream blocks state[12], ..., + 15
 * (counter mod 2^32, as the reference), for 1 <= len <= 1024.
 */
static void xor_16_blocks(uint8_t *out, const uint8_t *in, size_t len, const uint32_t state[16])
{
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i counters = _mm512_add_epi32(word16(state, 12), lanes);
    __m512i x[16];

    /* Unrolled, with constant indices: the compiler keeps all of x in the
     * 32 registers (measured: no load or store inside the rounds). The
     * input words are not kept in registers of their own: the
     * feed-forward reads them again, broadcast from memory, so that the
     * transposition finds enough free registers too. Every loop here is
     * unrolled (the pragmas), or GCC keeps x in memory around them. */
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        x[i] = i == 12 ? counters : word16(state, i);
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
        quarter_rounds_16(x, columns);
        quarter_rounds_16(x, diagonals);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) /* §2.3 feed-forward */
        x[i] = _mm512_add_epi32(x[i], i == 12 ? counters : word16(state, i));
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++)
        transpose4_16(&x[4 * q]);

    /* x[4q + j]: words 4q..4q+3 of blocks j, j+4, j+8, j+12 in its four
     * quarters. First pair quarters 0 and 2 (and 1 and 3) of x[j] and
     * x[4 + j], and of x[8 + j] and x[12 + j]; then pair those. */
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m512i a02 = _mm512_shuffle_i32x4(x[j], x[4 + j], 0x88);      /* q0 q2 of each */
        __m512i a13 = _mm512_shuffle_i32x4(x[j], x[4 + j], 0xdd);      /* q1 q3 of each */
        __m512i b02 = _mm512_shuffle_i32x4(x[8 + j], x[12 + j], 0x88);
        __m512i b13 = _mm512_shuffle_i32x4(x[8 + j], x[12 + j], 0xdd);
        __m512i block[4];
        block[0] = _mm512_shuffle_i32x4(a02, b02, 0x88); /* block j */
        block[1] = _mm512_shuffle_i32x4(a13, b13, 0x88); /* block j + 4 */
        block[2] = _mm512_shuffle_i32x4(a02, b02, 0xdd); /* block j + 8 */
        block[3] = _mm512_shuffle_i32x4(a13, b13, 0xdd); /* block j + 12 */
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            size_t at = 64 * (size_t)(j + 4 * k);
            if (at < len)
                xor64(out + at, in + at, block[k], len - at);
        }
    }
}

/* ---- eight blocks in 256-bit registers, four in 128-bit ones ---- */

__attribute__((always_inline))
static inline void quarter_rounds_8(__m256i x[16], const int q[4][4])
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
    x[d0] = _mm256_rol_epi32(_mm256_xor_si256(x[d0], x[a0]), 16);
    x[d1] = _mm256_rol_epi32(_mm256_xor_si256(x[d1], x[a1]), 16);
    x[d2] = _mm256_rol_epi32(_mm256_xor_si256(x[d2], x[a2]), 16);
    x[d3] = _mm256_rol_epi32(_mm256_xor_si256(x[d3], x[a3]), 16);
    /* c += d; b ^= c; b <<<= 12 */
    x[c0] = _mm256_add_epi32(x[c0], x[d0]);
    x[c1] = _mm256_add_epi32(x[c1], x[d1]);
    x[c2] = _mm256_add_epi32(x[c2], x[d2]);
    x[c3] = _mm256_add_epi32(x[c3], x[d3]);
    x[b0] = _mm256_rol_epi32(_mm256_xor_si256(x[b0], x[c0]), 12);
    x[b1] = _mm256_rol_epi32(_mm256_xor_si256(x[b1], x[c1]), 12);
    x[b2] = _mm256_rol_epi32(_mm256_xor_si256(x[b2], x[c2]), 12);
    x[b3] = _mm256_rol_epi32(_mm256_xor_si256(x[b3], x[c3]), 12);
    /* a += b; d ^= a; d <<<= 8 */
    x[a0] = _mm256_add_epi32(x[a0], x[b0]);
    x[a1] = _mm256_add_epi32(x[a1], x[b1]);
    x[a2] = _mm256_add_epi32(x[a2], x[b2]);
    x[a3] = _mm256_add_epi32(x[a3], x[b3]);
    x[d0] = _mm256_rol_epi32(_mm256_xor_si256(x[d0], x[a0]), 8);
    x[d1] = _mm256_rol_epi32(_mm256_xor_si256(x[d1], x[a1]), 8);
    x[d2] = _mm256_rol_epi32(_mm256_xor_si256(x[d2], x[a2]), 8);
    x[d3] = _mm256_rol_epi32(_mm256_xor_si256(x[d3], x[a3]), 8);
    /* c += d; b ^= c; b <<<= 7 */
    x[c0] = _mm256_add_epi32(x[c0], x[d0]);
    x[c1] = _mm256_add_epi32(x[c1], x[d1]);
    x[c2] = _mm256_add_epi32(x[c2], x[d2]);
    x[c3] = _mm256_add_epi32(x[c3], x[d3]);
    x[b0] = _mm256_rol_epi32(_mm256_xor_si256(x[b0], x[c0]), 7);
    x[b1] = _mm256_rol_epi32(_mm256_xor_si256(x[b1], x[c1]), 7);
    x[b2] = _mm256_rol_epi32(_mm256_xor_si256(x[b2], x[c2]), 7);
    x[b3] = _mm256_rol_epi32(_mm256_xor_si256(x[b3], x[c3]), 7);
}

static inline void transpose4_8(__m256i x[4])
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

/* out[0..len) = in XOR blocks state[12] .. + 7, for 1 <= len <= 512. The
 * pairing of halves at the end is chacha20_avx2.c's xor_8_blocks. */
static void xor_8_blocks(uint8_t *out, const uint8_t *in, size_t len, const uint32_t state[16])
{
    const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    __m256i s[16], x[16];
    for (int i = 0; i < 16; i++)
        s[i] = word8(state, i);
    s[12] = _mm256_add_epi32(s[12], lanes);
    for (int i = 0; i < 16; i++)
        x[i] = s[i];
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
        quarter_rounds_8(x, columns);
        quarter_rounds_8(x, diagonals);
    }
    for (int i = 0; i < 16; i++)
        x[i] = _mm256_add_epi32(x[i], s[i]);
    for (int q = 0; q < 4; q++)
        transpose4_8(&x[4 * q]);

    /* x[4q + j]: words 4q..4q+3 of block j (low half), block j + 4 (high). */
    for (int j = 0; j < 4; j++) {
        __m256i lo = _mm256_permute2x128_si256(x[j], x[4 + j], 0x20);
        __m256i lo2 = _mm256_permute2x128_si256(x[8 + j], x[12 + j], 0x20);
        __m256i hi = _mm256_permute2x128_si256(x[j], x[4 + j], 0x31);
        __m256i hi2 = _mm256_permute2x128_si256(x[8 + j], x[12 + j], 0x31);
        size_t at = 64 * (size_t)j, at4 = at + 256;
        if (at < len) {
            xor32(out + at, in + at, lo, len - at);
            if (at + 32 < len)
                xor32(out + at + 32, in + at + 32, lo2, len - at - 32);
        }
        if (at4 < len) {
            xor32(out + at4, in + at4, hi, len - at4);
            if (at4 + 32 < len)
                xor32(out + at4 + 32, in + at4 + 32, hi2, len - at4 - 32);
        }
    }
}

__attribute__((always_inline))
static inline void quarter_rounds_4(__m128i x[16], const int q[4][4])
{
    const int a0 = q[0][0], b0 = q[0][1], c0 = q[0][2], d0 = q[0][3];
    const int a1 = q[1][0], b1 = q[1][1], c1 = q[1][2], d1 = q[1][3];
    const int a2 = q[2][0], b2 = q[2][1], c2 = q[2][2], d2 = q[2][3];
    const int a3 = q[3][0], b3 = q[3][1], c3 = q[3][2], d3 = q[3][3];

    /* a += b; d ^= a; d <<<= 16 */
    x[a0] = _mm_add_epi32(x[a0], x[b0]);
    x[a1] = _mm_add_epi32(x[a1], x[b1]);
    x[a2] = _mm_add_epi32(x[a2], x[b2]);
    x[a3] = _mm_add_epi32(x[a3], x[b3]);
    x[d0] = _mm_rol_epi32(_mm_xor_si128(x[d0], x[a0]), 16);
    x[d1] = _mm_rol_epi32(_mm_xor_si128(x[d1], x[a1]), 16);
    x[d2] = _mm_rol_epi32(_mm_xor_si128(x[d2], x[a2]), 16);
    x[d3] = _mm_rol_epi32(_mm_xor_si128(x[d3], x[a3]), 16);
    /* c += d; b ^= c; b <<<= 12 */
    x[c0] = _mm_add_epi32(x[c0], x[d0]);
    x[c1] = _mm_add_epi32(x[c1], x[d1]);
    x[c2] = _mm_add_epi32(x[c2], x[d2]);
    x[c3] = _mm_add_epi32(x[c3], x[d3]);
    x[b0] = _mm_rol_epi32(_mm_xor_si128(x[b0], x[c0]), 12);
    x[b1] = _mm_rol_epi32(_mm_xor_si128(x[b1], x[c1]), 12);
    x[b2] = _mm_rol_epi32(_mm_xor_si128(x[b2], x[c2]), 12);
    x[b3] = _mm_rol_epi32(_mm_xor_si128(x[b3], x[c3]), 12);
    /* a += b; d ^= a; d <<<= 8 */
    x[a0] = _mm_add_epi32(x[a0], x[b0]);
    x[a1] = _mm_add_epi32(x[a1], x[b1]);
    x[a2] = _mm_add_epi32(x[a2], x[b2]);
    x[a3] = _mm_add_epi32(x[a3], x[b3]);
    x[d0] = _mm_rol_epi32(_mm_xor_si128(x[d0], x[a0]), 8);
    x[d1] = _mm_rol_epi32(_mm_xor_si128(x[d1], x[a1]), 8);
    x[d2] = _mm_rol_epi32(_mm_xor_si128(x[d2], x[a2]), 8);
    x[d3] = _mm_rol_epi32(_mm_xor_si128(x[d3], x[a3]), 8);
    /* c += d; b ^= c; b <<<= 7 */
    x[c0] = _mm_add_epi32(x[c0], x[d0]);
    x[c1] = _mm_add_epi32(x[c1], x[d1]);
    x[c2] = _mm_add_epi32(x[c2], x[d2]);
    x[c3] = _mm_add_epi32(x[c3], x[d3]);
    x[b0] = _mm_rol_epi32(_mm_xor_si128(x[b0], x[c0]), 7);
    x[b1] = _mm_rol_epi32(_mm_xor_si128(x[b1], x[c1]), 7);
    x[b2] = _mm_rol_epi32(_mm_xor_si128(x[b2], x[c2]), 7);
    x[b3] = _mm_rol_epi32(_mm_xor_si128(x[b3], x[c3]), 7);
}

static inline void transpose4_4(__m128i x[4])
{
    __m128i ab_lo = _mm_unpacklo_epi32(x[0], x[1]);
    __m128i ab_hi = _mm_unpackhi_epi32(x[0], x[1]);
    __m128i cd_lo = _mm_unpacklo_epi32(x[2], x[3]);
    __m128i cd_hi = _mm_unpackhi_epi32(x[2], x[3]);
    x[0] = _mm_unpacklo_epi64(ab_lo, cd_lo);
    x[1] = _mm_unpackhi_epi64(ab_lo, cd_lo);
    x[2] = _mm_unpacklo_epi64(ab_hi, cd_hi);
    x[3] = _mm_unpackhi_epi64(ab_hi, cd_hi);
}

/* out[0..len) = in XOR blocks state[12] .. + 3, for 1 <= len <= 256. */
static void xor_4_blocks(uint8_t *out, const uint8_t *in, size_t len, const uint32_t state[16])
{
    __m128i s[16], x[16];
    for (int i = 0; i < 16; i++)
        s[i] = word4(state, i);
    s[12] = _mm_add_epi32(s[12], _mm_set_epi32(3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = s[i];
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
        quarter_rounds_4(x, columns);
        quarter_rounds_4(x, diagonals);
    }
    for (int i = 0; i < 16; i++)
        x[i] = _mm_add_epi32(x[i], s[i]);
    for (int q = 0; q < 4; q++)
        transpose4_4(&x[4 * q]);
    /* x[4q + j]: words 4q..4q+3 of block j. */
    for (int j = 0; j < 4; j++)
        for (int q = 0; q < 4; q++) {
            size_t at = 64 * (size_t)j + 16 * (size_t)q;
            if (at < len)
                xor16(out + at, in + at, x[4 * q + j], len - at);
        }
}

/* ---- one or two blocks in rows (chacha20_avx2.c's short form) ---- */

/* §2.2 on the four rows a, b, c, d: a column round of up to two blocks. */
static inline void quarter_round_rows(__m256i *a, __m256i *b, __m256i *c, __m256i *d)
{
    *a = _mm256_add_epi32(*a, *b);
    *d = _mm256_rol_epi32(_mm256_xor_si256(*d, *a), 16);
    *c = _mm256_add_epi32(*c, *d);
    *b = _mm256_rol_epi32(_mm256_xor_si256(*b, *c), 12);
    *a = _mm256_add_epi32(*a, *b);
    *d = _mm256_rol_epi32(_mm256_xor_si256(*d, *a), 8);
    *c = _mm256_add_epi32(*c, *d);
    *b = _mm256_rol_epi32(_mm256_xor_si256(*b, *c), 7);
}

static inline __m256i row(const uint32_t *words)
{
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)words));
}

/* out[0..len) = in XOR blocks state[12] and + 1, for 1 <= len <= 128:
 * block state[12] in the low halves, the next in the high ones. */
static void xor_2_blocks(uint8_t *out, const uint8_t *in, size_t len, const uint32_t state[16])
{
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
    a = _mm256_add_epi32(a, row(state));
    b = _mm256_add_epi32(b, row(state + 4));
    c = _mm256_add_epi32(c, row(state + 8));
    d = _mm256_add_epi32(d, _mm256_add_epi32(row(state + 12), next));
    /* Rows a, b: bytes 0-31 of a block; c, d: bytes 32-63. */
    xor32(out, in, _mm256_permute2x128_si256(a, b, 0x20), len);
    if (len > 32)
        xor32(out + 32, in + 32, _mm256_permute2x128_si256(c, d, 0x20), len - 32);
    if (len > 64)
        xor32(out + 64, in + 64, _mm256_permute2x128_si256(a, b, 0x31), len - 64);
    if (len > 96)
        xor32(out + 96, in + 96, _mm256_permute2x128_si256(c, d, 0x31), len - 96);
}

static inline void quarter_round_row(__m128i *a, __m128i *b, __m128i *c, __m128i *d)
{
    *a = _mm_add_epi32(*a, *b);
    *d = _mm_rol_epi32(_mm_xor_si128(*d, *a), 16);
    *c = _mm_add_epi32(*c, *d);
    *b = _mm_rol_epi32(_mm_xor_si128(*b, *c), 12);
    *a = _mm_add_epi32(*a, *b);
    *d = _mm_rol_epi32(_mm_xor_si128(*d, *a), 8);
    *c = _mm_add_epi32(*c, *d);
    *b = _mm_rol_epi32(_mm_xor_si128(*b, *c), 7);
}

/* out[0..len) = in XOR block state[12], for 1 <= len <= 64: the rows of
 * one block in 128-bit registers, whose rounds wait on each other anyway
 * (the AEAD's key block). */
static void xor_1_block(uint8_t *out, const uint8_t *in, size_t len, const uint32_t state[16])
{
    const __m128i *st = (const __m128i *)(const void *)state;
    __m128i a = _mm_loadu_si128(st), b = _mm_loadu_si128(st + 1);
    __m128i c = _mm_loadu_si128(st + 2), d = _mm_loadu_si128(st + 3);
    for (int i = 0; i < 10; i++) {
        quarter_round_row(&a, &b, &c, &d);
        b = _mm_shuffle_epi32(b, 0x39);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x93);
        quarter_round_row(&a, &b, &c, &d);
        b = _mm_shuffle_epi32(b, 0x93);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x39);
    }
    __m128i row_ks[4];
    row_ks[0] = _mm_add_epi32(a, _mm_loadu_si128(st));
    row_ks[1] = _mm_add_epi32(b, _mm_loadu_si128(st + 1));
    row_ks[2] = _mm_add_epi32(c, _mm_loadu_si128(st + 2));
    row_ks[3] = _mm_add_epi32(d, _mm_loadu_si128(st + 3));
    for (size_t q = 0; q < 4 && 16 * q < len; q++)
        xor16(out + 16 * q, in + 16 * q, row_ks[q], len - 16 * q);
}

void ss_chacha20_xor_avx512(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16])
{
    while (len > 0) {
        size_t n; /* the bytes this step takes */
        if (len > 512) {
            n = len < 1024 ? len : 1024;
            xor_16_blocks(out, in, n, state);
        } else if (len > 256) {
            n = len;
            xor_8_blocks(out, in, n, state);
        } else if (len > 128) {
            n = len;
            xor_4_blocks(out, in, n, state);
        } else if (len > 64) {
            n = len;
            xor_2_blocks(out, in, n, state);
        } else {
            n = len;
            xor_1_block(out, in, n, state);
        }
        state[12] += (uint32_t)((n + 63) / 64);
        out += n;
        in += n;
        len -= n;
    }
}
#endif
