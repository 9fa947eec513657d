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
 * Constant time: valgrind cannot run these instructions, so tests/ct does
 * not cover this file. The argument: SHA256RNDS2, SHA256MSG1/2, PADDD,
 * PSHUFB/PSHUFD with constant selectors, PALIGNR and PBLENDW with constant
 * immediates all run in a time independent of their operands; there is no
 * branch except on the number of blocks, and no memory index except the
 * round number -- the same as the reference. Its correctness is tested
 * against the same vectors and, on random inputs, against OpenSSL.
 */
#include "sha256_simd.h"

#if defined(__x86_64__) && defined(__SHA__) && defined(__SSE4_1__)
#include <immintrin.h>

#include "util.h"

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
    __m128i w[16];                                    /* W[4i .. 4i+3] in w[i] */

    for (; n_blocks > 0; n_blocks--, blocks += 64) {
        __m128i abef_in = abef, cdgh_in = cdgh;

        /* §6.2.2 step 1: W0..W15 are the block; W16..W63 from them:
         * W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]. */
        for (int i = 0; i < 4; i++)
            w[i] = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(blocks + 16 * i)), bswap);
        for (int i = 4; i < 16; i++) {
            /* W[t-16] + sigma0(W[t-15]) */
            __m128i t = _mm_sha256msg1_epu32(w[i - 4], w[i - 3]);
            /* + W[t-7]: words 4i-7 .. 4i-4, straddling w[i-2] and w[i-1] */
            t = _mm_add_epi32(t, _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
            /* + sigma1(W[t-2]) */
            w[i] = _mm_sha256msg2_epu32(t, w[i - 1]);
        }

        /* Step 3: 64 rounds, four per iteration, two per instruction. */
        for (int i = 0; i < 16; i++) {
            __m128i kw = _mm_add_epi32(
                w[i], _mm_loadu_si128((const __m128i *)(const void *)(k + 4 * i)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, kw);
            /* The next two K + W words into the low half. */
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(kw, 0x0e));
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
    /* As in the reference: the schedule can be key material (HMAC). */
    ss_wipe(w, sizeof w);
}
#endif
