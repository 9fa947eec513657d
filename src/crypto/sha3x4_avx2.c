/*
 * sha3x4_avx2.c — Keccak-f[1600] on four states at once with AVX2, and
 * four-way SHAKE128 and SHAKE256 on top of it (FIPS 202 §3.3, §4, §6.2). Read sha3.c
 * first: the rounds here are its θ ρ π χ ι, step for step, on 256-bit
 * vectors whose four 64-bit lanes are the same lane of four independent
 * states. Every Keccak step is the same operation on every state (no
 * lane of one state ever meets a lane of another), so four states cost
 * the instructions of one: XOR, AND-NOT (VPANDN: χ's NOT and AND in one),
 * and the rotations as two shifts and an OR (AVX2 has no 64-bit rotate).
 *
 * Used by ML-KEM (mlkem.c) to sample the matrix A-hat: its nine
 * polynomials each come from SHAKE128 of a 34-byte seed, and three of them
 * (a row) are computed together; and its noise, SHAKE256 of 33 bytes per
 * polynomial, three or four at once. Course: docs/performance.md.
 *
 * Constant time: as sha3.c; fixed rotations and lane positions, branches
 * on lengths only.
 */
#include "sha3_simd.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>
#include <string.h>

#include "util.h"

/* sha3.c's tables: ρ's offsets, lane x + 5y, and ι's round constants. */
static const unsigned rho_offsets[25] = {
    0,  1,  62, 28, 27, /* y = 0 */
    36, 44, 6,  55, 20, /* y = 1 */
    3,  10, 43, 25, 39, /* y = 2 */
    41, 45, 15, 21, 8,  /* y = 3 */
    18, 2,  61, 56, 14, /* y = 4 */
};

static const uint64_t round_constants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

static inline __m256i rotl64(__m256i v, unsigned n)
{
    /* n = 0 (lane 0) shifts right by 64, which VPSRLQ defines as 0 */
    return _mm256_or_si256(_mm256_slli_epi64(v, (int)n), _mm256_srli_epi64(v, (int)(64 - n)));
}

/* One round, sha3.c's order: θ, then ρ and π together (π only moves
 * lanes, so each lane is rotated on its way to its new place:
 * B[x, y] = rotl(A[x + 3y, x], offset of that source lane)), then χ on the
 * rows of B, then ι. */
static inline void round_x4(__m256i a[25], uint64_t rc)
{
    __m256i c[5], d[5], b[25];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++)
        c[x] = _mm256_xor_si256(_mm256_xor_si256(a[x], a[x + 5]),
                                _mm256_xor_si256(_mm256_xor_si256(a[x + 10], a[x + 15]), a[x + 20]));
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++)
        d[x] = _mm256_xor_si256(c[(x + 4) % 5], rotl64(c[(x + 1) % 5], 1));
#pragma GCC unroll 5
    for (int y = 0; y < 5; y++)
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++) {
            int src = (x + 3 * y) % 5 + 5 * x;
            b[x + 5 * y] = rotl64(_mm256_xor_si256(a[src], d[src % 5]), rho_offsets[src]);
        }
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5)
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++)
            a[y + x] = _mm256_xor_si256(b[y + x],
                                        _mm256_andnot_si256(b[y + (x + 1) % 5], b[y + (x + 2) % 5]));
    a[0] = _mm256_xor_si256(a[0], _mm256_set1_epi64x((long long)rc));
}

static void keccak_f1600_x4(ss_keccak_x4 *s)
{
    __m256i a[25];
    for (int i = 0; i < 25; i++)
        a[i] = _mm256_load_si256((const __m256i *)(const void *)s->lanes[i]);
    for (int round = 0; round < 24; round++)
        round_x4(a, round_constants[round]);
    for (int i = 0; i < 25; i++)
        _mm256_store_si256((__m256i *)(void *)s->lanes[i], a[i]);
}

void ss_shake_x4_absorb_once_avx2(ss_keccak_x4 *s, size_t rate, const uint8_t *const in[4],
                                  size_t len)
{
    uint8_t block[SS_SHAKE128_RATE]; /* the larger rate */
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 4; i++) {
        /* §6.2 and §B.2: SHAKE's suffix 1111, then pad10*1: bytes 0x1f
         * after the input and 0x80 at the end of the block */
        memset(block, 0, sizeof block);
        memcpy(block, in[i], len);
        block[len] = 0x1f;
        block[rate - 1] |= 0x80;
        for (size_t x = 0; x < rate / 8; x++)
            s->lanes[x][i] = ss_load64_le(block + 8 * x);
    }
    ss_wipe(block, sizeof block); /* ML-KEM's noise seeds are secret */
}

void ss_shake_x4_squeeze_blocks_avx2(uint8_t *const out[4], size_t nblocks, size_t rate,
                                     ss_keccak_x4 *s)
{
    for (size_t n = 0; n < nblocks; n++) {
        keccak_f1600_x4(s);
        for (int i = 0; i < 4; i++)
            for (size_t x = 0; x < rate / 8; x++)
                ss_store64_le(out[i] + rate * n + 8 * x, s->lanes[x][i]);
    }
}
#endif
