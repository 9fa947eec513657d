/*
 * chacha20_sse2.c — ChaCha20 (RFC 8439 §2.3-§2.4) on four blocks at once,
 * with SSE2's 128-bit vectors. The reference is chacha20.c; this file
 * computes the same keystream, faster. Course: docs/performance.md.
 *
 * Representation: "one lane per block". The sixteen state words become
 * sixteen vectors x[0..15]; lane j of x[i] holds word i of block
 * counter + j (j = 0..3). Then the quarter round of the reference works
 * unchanged, with each + ^ <<< acting on four blocks at once:
 *
 *      x[0]  = ( w0 of block 0 | w0 of block 1 | w0 of block 2 | w0 of block 3 )
 *      ...
 *      x[12] = ( ctr+0         | ctr+1         | ctr+2         | ctr+3         )
 *
 * Only x[12] differs between the lanes. At the end the 4 x 16 words are
 * transposed back, so that each block's 64 bytes come out in order.
 *
 * Constant time: the same ARX operations as the reference, on vectors; no
 * branch or memory index depends on the key or the data (only on len,
 * which is public). Keystream left in memory (the tail buffer) is wiped;
 * vector registers cannot be wiped from C, as in the reference.
 */
#include "chacha20_simd.h"

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>

#include "util.h"

/* §2.1 "<<< n" on four words at once: SSE2 has no vector rotate. */
static inline __m128i rotl(__m128i x, int n)
{
    return _mm_or_si128(_mm_slli_epi32(x, n), _mm_srli_epi32(x, 32 - n));
}

/* §2.1: the quarter round, as in the reference, on four lanes. */
static inline void quarter_round(__m128i *a, __m128i *b, __m128i *c, __m128i *d)
{
    *a = _mm_add_epi32(*a, *b);
    *d = rotl(_mm_xor_si128(*d, *a), 16);
    *c = _mm_add_epi32(*c, *d);
    *b = rotl(_mm_xor_si128(*b, *c), 12);
    *a = _mm_add_epi32(*a, *b);
    *d = rotl(_mm_xor_si128(*d, *a), 8);
    *c = _mm_add_epi32(*c, *d);
    *b = rotl(_mm_xor_si128(*b, *c), 7);
}

/*
 * Transpose four vectors of four words: afterwards x[j] holds lane j of
 * every input, i.e. the words of one block.
 *
 *      ( a0 a1 a2 a3 )        ( a0 b0 c0 d0 )
 *      ( b0 b1 b2 b3 )  --->  ( a1 b1 c1 d1 )
 *      ( c0 c1 c2 c3 )        ( a2 b2 c2 d2 )
 *      ( d0 d1 d2 d3 )        ( a3 b3 c3 d3 )
 */
static inline void transpose4(__m128i x[4])
{
    __m128i ab_lo = _mm_unpacklo_epi32(x[0], x[1]); /* a0 b0 a1 b1 */
    __m128i ab_hi = _mm_unpackhi_epi32(x[0], x[1]); /* a2 b2 a3 b3 */
    __m128i cd_lo = _mm_unpacklo_epi32(x[2], x[3]); /* c0 d0 c1 d1 */
    __m128i cd_hi = _mm_unpackhi_epi32(x[2], x[3]); /* c2 d2 c3 d3 */
    x[0] = _mm_unpacklo_epi64(ab_lo, cd_lo);        /* a0 b0 c0 d0 */
    x[1] = _mm_unpackhi_epi64(ab_lo, cd_lo);        /* a1 b1 c1 d1 */
    x[2] = _mm_unpacklo_epi64(ab_hi, cd_hi);        /* a2 b2 c2 d2 */
    x[3] = _mm_unpackhi_epi64(ab_hi, cd_hi);        /* a3 b3 c3 d3 */
}

/*
 * The state s (the key's words in every lane) and the working copy x of
 * xor_4_blocks are secret, so they are wiped; to pay for that once per
 * call rather than once per 256 bytes, they live in the caller's frame
 * (ss_chacha20_xor_sse2), which wipes them before it returns.
 */
struct workspace {
    __m128i s[16], x[16];
};

/* out[0..256) = in[0..256) XOR the four keystream blocks from state[12]. */
static void xor_4_blocks(uint8_t *out, const uint8_t *in, const uint32_t state[16],
                         struct workspace *ws)
{
    __m128i *s = ws->s, *x = ws->x;
    for (int i = 0; i < 16; i++)
        s[i] = _mm_set1_epi32((int)state[i]);
    /* Lane j counts block counter + j (mod 2^32, as in the reference). */
    s[12] = _mm_add_epi32(s[12], _mm_set_epi32(3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = s[i];

    for (int i = 0; i < 10; i++) {
        quarter_round(&x[0], &x[4], &x[8], &x[12]); /* column round */
        quarter_round(&x[1], &x[5], &x[9], &x[13]);
        quarter_round(&x[2], &x[6], &x[10], &x[14]);
        quarter_round(&x[3], &x[7], &x[11], &x[15]);
        quarter_round(&x[0], &x[5], &x[10], &x[15]); /* diagonal round */
        quarter_round(&x[1], &x[6], &x[11], &x[12]);
        quarter_round(&x[2], &x[7], &x[8], &x[13]);
        quarter_round(&x[3], &x[4], &x[9], &x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] = _mm_add_epi32(x[i], s[i]); /* §2.3 feed-forward */

    /* Words 4q..4q+3 of block j are now in x[4q + j] after transposing
     * each group of four; they go to bytes 64j + 16q. */
    for (int q = 0; q < 4; q++) {
        transpose4(&x[4 * q]);
        for (int j = 0; j < 4; j++) {
            const uint8_t *src = in + 64 * j + 16 * q;
            __m128i m = _mm_loadu_si128((const __m128i *)(const void *)src);
            _mm_storeu_si128((__m128i *)(void *)(out + 64 * j + 16 * q),
                             _mm_xor_si128(m, x[4 * q + j]));
        }
    }
}

void ss_chacha20_xor_sse2(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16])
{
    struct workspace ws;
    while (len >= 256) {
        xor_4_blocks(out, in, state, &ws);
        state[12] += 4;
        out += 256;
        in += 256;
        len -= 256;
    }
    if (len > 0) {
        /* The last 1..255 bytes: through a buffer, four blocks' worth. */
        uint8_t buf[256] = {0};
        for (size_t i = 0; i < len; i++)
            buf[i] = in[i];
        xor_4_blocks(buf, buf, state, &ws);
        for (size_t i = 0; i < len; i++)
            out[i] = buf[i];
        state[12] += (uint32_t)((len + 63) / 64);
        ss_wipe(buf, sizeof buf);
    }
    ss_wipe(&ws, sizeof ws);
}
#endif
