/*
 * sha256_shani.c — the SHA-256 compression function (FIPS 180-4 §6.2.2) with
 * the x86 SHA extensions. The reference, and the function that chooses
 * between the two, are in sha256.c. Course: docs/performance.md ("What the
 * SHA extensions compute").
 *
 * What the instructions do (Intel SDM vol. 2, SHA256RNDS2, SHA256MSG1,
 * SHA256MSG2):
 *
 *  - SHA256RNDS2 runs TWO rounds of §6.2.2 step 3 in hardware: it takes the
 *    eight working variables split over two registers, as (A, B, E, F) and
 *    (C, D, G, H), and two words K[t] + W[t] in the low half of a third
 *    register, and returns the new (A, B, E, F). The (C, D, G, H) of the
 *    next two rounds are the old (A, B, E, F) -- the spec's "h = g, g = f,
 *    ..., b = a" shift -- so the two registers simply swap roles each call.
 *  - SHA256MSG1 and SHA256MSG2 compute the message schedule (§6.2.2 step
 *    1) four words at a time: MSG1 adds sigma0 of the next words, MSG2 adds
 *    sigma1 of the words two places back (which is why it needs the words
 *    it has just produced).
 *
 * Representation: __m128i vectors of four 32-bit words; the state is
 * reordered from (a, b, c, d), (e, f, g, h) into the (A, B, E, F), (C, D,
 * G, H) layout the instructions expect, on entry, and back on exit. The
 * message words are big-endian (§3.1): a byte shuffle swaps each word.
 *
 * Why it is arranged this way (docs/performance.md): the 32 SHA256RNDS2 of
 * a block form one chain, each waiting for the one before, and that chain
 * is the whole cost. Everything else has to fit beside it. So the 64 rounds
 * are unrolled with every index a constant, the message schedule is
 * computed four words at a time just before the rounds that use them (the
 * CPU runs it in the shadow of the chain), only the last sixteen words are
 * kept, in four registers, and the state stays in two registers from the
 * first block to the last.
 *
 * Constant time: valgrind cannot run these instructions, so tests/ct does
 * not cover this file. The argument: SHA256RNDS2, SHA256MSG1/2, PADDD,
 * PSHUFB/PSHUFD with constant selectors, PALIGNR and PBLENDW with constant
 * immediates all run in a time independent of their operands; there is no
 * branch except on the number of blocks, and every memory address depends
 * only on the block and round numbers -- as in the reference. Its
 * correctness is tested against the same vectors and, on random inputs,
 * against OpenSSL.
 *
 * Wiping: the reference wipes its W[] and working variables, which live in
 * memory. Here the schedule words and the state exist only in registers
 * (checked in the output of gcc and clang at -O2: the only stack slots
 * hold the constants K), so there is no copy in memory to wipe.
 */
#include "sha256_simd.h"

#if defined(__x86_64__) && defined(__SHA__) && defined(__SSE4_1__)
#include <immintrin.h>

/* K[4i .. 4i+3]: constants, not secrets. */
static inline __m128i load_k(const uint32_t k[64], int i)
{
    return _mm_loadu_si128((const __m128i *)(const void *)(k + 4 * i));
}

/* §6.2.2 step 3, four rounds t .. t+3: kw holds K[t] + W[t] .. K[t+3] +
 * W[t+3]. Each SHA256RNDS2 takes its two words from the low half of kw, so
 * the second call gets the high half shuffled down. */
static inline void four_rounds(__m128i *abef, __m128i *cdgh, __m128i kw)
{
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, kw);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(kw, 0x0e));
}

/* §6.2.2 step 1, four words at once: W[t] .. W[t+3] from the sixteen
 * before them, which are w16 = W[t-16 .. t-13], w12, w8 and w4 = W[t-4 ..
 * t-1]:  W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]. */
static inline __m128i schedule(__m128i w16, __m128i w12, __m128i w8, __m128i w4)
{
    /* W[t-16] + sigma0(W[t-15]) */
    __m128i t = _mm_sha256msg1_epu32(w16, w12);
    /* + W[t-7]: words t-7 .. t-4, straddling w8 and w4 */
    t = _mm_add_epi32(t, _mm_alignr_epi8(w4, w8, 4));
    /* + sigma1(W[t-2]) */
    return _mm_sha256msg2_epu32(t, w4);
}

void ss_sha256_blocks_shani(uint32_t state[8], const uint8_t *blocks, size_t n_blocks,
                            const uint32_t k[64])
{
    /* Swaps the bytes of each 32-bit word: big-endian words in (§3.1). */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);

    /* (a, b, c, d), (e, f, g, h) -> (A, B, E, F), (C, D, G, H). In a vector
     * the first word is the lowest lane, and the instructions want A in the
     * highest: so ABEF means lanes (F, E, B, A). */
    __m128i abcd = _mm_loadu_si128((const __m128i *)(const void *)state);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(const void *)(state + 4));
    __m128i badc = _mm_shuffle_epi32(abcd, 0xb1);  /* lanes b a d c */
    __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);  /* lanes h g f e */
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);    /* lanes f e b a */
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0); /* lanes h g d c */

    /* The state stays in these two registers from block to block: it is
     * read once above and written once below. */
    for (; n_blocks > 0; n_blocks--, blocks += 64) {
        __m128i abef_in = abef, cdgh_in = cdgh;
        /* The schedule needs only the last sixteen words, W[t-16 .. t-1]:
         * w[i % 4] holds W[4i .. 4i+3] until the rounds are past it. Both
         * loops are unrolled, so every index is a constant and w is four
         * registers, not memory. */
        __m128i w[4];

        /* §6.2.2 step 1, t = 0..15: W[t] is the block. Step 3: rounds 0..15. */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            w[i] = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(blocks + 16 * i)), bswap);
            four_rounds(&abef, &cdgh, _mm_add_epi32(w[i], load_k(k, i)));
        }
        /* Rounds 16..63, each four schedule words computed just before the
         * rounds that use them, so the schedule runs beside the rounds. */
#pragma GCC unroll 12
        for (int i = 4; i < 16; i++) {
            w[i % 4] = schedule(w[i % 4], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
            four_rounds(&abef, &cdgh, _mm_add_epi32(w[i % 4], load_k(k, i)));
        }

        /* Step 4: the feed-forward. */
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }

    /* (A, B, E, F), (C, D, G, H) -> (a, b, c, d), (e, f, g, h). */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b); /* lanes a b e f */
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1); /* lanes c d g h */
    abcd = _mm_blend_epi16(feba, dchg, 0xf0);    /* lanes a b c d */
    efgh = _mm_alignr_epi8(dchg, feba, 8);       /* lanes e f g h */
    _mm_storeu_si128((__m128i *)(void *)state, abcd);
    _mm_storeu_si128((__m128i *)(void *)(state + 4), efgh);
}
#endif
