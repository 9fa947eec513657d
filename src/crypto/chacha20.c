/*
 * chacha20.c — the ChaCha20 stream cipher: quarter round, block function and
 * counter-mode encryption, as specified in RFC 8439 §2.1-§2.4 (the IETF
 * variant: 32-bit block counter, 96-bit nonce).
 *
 * Course position: this is the first symmetric primitive of the secure
 * channel. Read util.h first (little-endian loads, ss_wipe); poly1305.c comes
 * next, and aead.c joins the two into ChaCha20-Poly1305, the cipher every
 * Noise transport message goes through. Course chapter: docs/chacha20.md.
 *
 * Representation: the ChaCha state is sixteen 32-bit words (uint32_t), laid
 * out as in §2.3:
 *
 *      cccccccc  cccccccc  cccccccc  cccccccc     c = constant "expand 32-byte k"
 *      kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk     k = key (8 words)
 *      kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk
 *      bbbbbbbb  nnnnnnnn  nnnnnnnn  nnnnnnnn     b = block counter, n = nonce
 *
 * Every byte string (key, nonce, output) is read and written as 32-bit
 * little-endian words (§2.3), through util.h, so the code does not depend on
 * the host's byte order.
 *
 * Why ChaCha20 is easy to make constant-time: it uses only 32-bit additions,
 * XORs and fixed rotations ("ARX"). There are no table look-ups indexed by
 * secret data (the cache-timing weakness of table-based AES) and no branches
 * on the key or the data; the only branches below depend on the length,
 * which is public.
 *
 * Speed: the block function works on a local array with constant indices, so
 * the compiler keeps the 16 words in registers; full 64-byte blocks are
 * XORed a word at a time (the load/store helpers compile to plain 32-bit
 * moves on little-endian machines); only a final partial block goes byte by
 * byte.
 */
#include "chacha20.h"

#include "chacha20_simd.h"
#include "cpu.h"
#include "util.h"

/*
 * §2.1: "<<< n" is a left rotation of a 32-bit word. Here n is always 7, 8,
 * 12 or 16 -- never 0 or 32 -- so both shifts are well defined in C, and
 * compilers turn the expression into one rotate instruction.
 */
static inline uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/*
 * §2.1 and §2.2: the quarter round on the words at indices a, b, c, d of the
 * state. Additions are modulo 2^32, which is exactly what unsigned 32-bit
 * arithmetic does in C (no undefined behaviour on overflow).
 *
 * The indices are always compile-time constants (or test inputs), never
 * secrets, so indexing the array with them leaks nothing.
 */
static inline void quarter_round(uint32_t x[16], size_t a, size_t b, size_t c, size_t d)
{
    x[a] += x[b];
    x[d] = rotl32(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = rotl32(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = rotl32(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = rotl32(x[b] ^ x[c], 7);
}

/* Internal, for the tests of §2.1.1 and §2.2.1 (declared in chacha20.h). */
void ss_chacha20_quarter_round(uint32_t state[16], size_t a, size_t b, size_t c, size_t d)
{
    quarter_round(state, a, b, c, d);
}

/* §2.3: constants | key | counter | nonce. */
static void chacha20_init(uint32_t state[16], const uint8_t key[32], uint32_t counter,
                          const uint8_t nonce[12])
{
    /* "expand 32-byte k" read as four little-endian words. These fixed,
     * asymmetric words make sure that no key/nonce choice can give a state
     * with the symmetries the rounds would otherwise preserve (e.g. an
     * all-zero state, which the rounds map to itself). */
    state[0] = 0x61707865;
    state[1] = 0x3320646e;
    state[2] = 0x79622d32;
    state[3] = 0x6b206574;
    for (size_t i = 0; i < 8; i++)
        state[4 + i] = ss_load32_le(key + 4 * i);
    state[12] = counter;
    /* §2.3: word 13 is the first 32 bits of the nonce, word 15 the last. */
    state[13] = ss_load32_le(nonce);
    state[14] = ss_load32_le(nonce + 4);
    state[15] = ss_load32_le(nonce + 8);
}

/*
 * §2.3: the block function on an already built state. out = 20 rounds of
 * state, plus state ("feed-forward").
 *
 * Why add the input at the end? Each round is a permutation: it can be run
 * backwards. Without the addition, anyone holding one keystream block could
 * undo the 20 rounds and read the key straight out of words 4-11. Adding the
 * secret input makes the block function one-way.
 *
 * The working copy x holds key-derived words, so it is wiped before
 * returning; out is the caller's, who wipes it when done with it.
 */
static void chacha20_core(uint32_t out[16], const uint32_t state[16])
{
    uint32_t x[16];
    for (size_t i = 0; i < 16; i++)
        x[i] = state[i];

    /* 20 rounds = 10 "double rounds" (§2.3): a column round, then a
     * diagonal round. The columns mix each key word with a constant, the
     * counter and a nonce word; the diagonals then mix across columns, so
     * after two rounds every word depends on every input word. */
    for (int i = 0; i < 10; i++) {
        quarter_round(x, 0, 4, 8, 12); /* column round */
        quarter_round(x, 1, 5, 9, 13);
        quarter_round(x, 2, 6, 10, 14);
        quarter_round(x, 3, 7, 11, 15);
        quarter_round(x, 0, 5, 10, 15); /* diagonal round */
        quarter_round(x, 1, 6, 11, 12);
        quarter_round(x, 2, 7, 8, 13);
        quarter_round(x, 3, 4, 9, 14);
    }

    for (size_t i = 0; i < 16; i++)
        out[i] = x[i] + state[i];
    ss_wipe(x, sizeof x);
}

/* §2.3: serialize the 16 words in little-endian order. */
static void chacha20_serialize(uint8_t out[64], const uint32_t block[16])
{
    for (size_t i = 0; i < 16; i++)
        ss_store32_le(out + 4 * i, block[i]);
}

void ss_chacha20_block(uint8_t out[64], const uint8_t key[32], uint32_t counter,
                       const uint8_t nonce[12])
{
    uint32_t state[16], block[16];
    chacha20_init(state, key, counter, nonce);
    chacha20_core(block, state);
    chacha20_serialize(out, block);
    /* The state holds the key, the block is keystream: both are secrets. */
    ss_wipe(state, sizeof state);
    ss_wipe(block, sizeof block);
}

/*
 * §2.4: ChaCha20 encryption. Keystream block j is chacha20_block(key,
 * counter + j, nonce); the message is XORed with the concatenated keystream
 * and the unused end of the last block is discarded. Decryption is the same
 * operation. This is the reference: one block at a time.
 *
 * In place (out == in) works because every byte (or word) of in is read
 * before the same position of out is written, and nothing is read again.
 *
 * The counter is a 32-bit word: state[12]++ wraps after 2^32 blocks (256 GiB),
 * which would repeat keystream. The header makes not reaching that the
 * caller's duty (the AEAD refuses longer texts; Noise messages are far
 * smaller).
 */
static void chacha20_xor_ref(uint8_t *out, const uint8_t *in, size_t len, uint32_t state[16])
{
    uint32_t block[16];
    uint8_t tail[64];

    /* Whole 64-byte blocks, XORed word by word. */
    while (len >= 64) {
        chacha20_core(block, state);
        for (size_t i = 0; i < 16; i++)
            ss_store32_le(out + 4 * i, ss_load32_le(in + 4 * i) ^ block[i]);
        state[12]++; /* §2.4: the next block uses counter + 1 */
        out += 64;
        in += 64;
        len -= 64;
    }

    /* The last, partial block: serialize it, use its first len bytes. */
    if (len > 0) {
        chacha20_core(block, state);
        chacha20_serialize(tail, block);
        for (size_t i = 0; i < len; i++)
            out[i] = in[i] ^ tail[i];
    }

    ss_wipe(block, sizeof block);
    ss_wipe(tail, sizeof tail);
}

/*
 * The public function: the same keystream, by the fastest path this CPU
 * runs (cpu.c). The fast paths (chacha20_sse2.c, chacha20_avx2.c) compute
 * 1, 2, 4 or 8 blocks at once; each is tested against the reference above
 * on random inputs (docs/performance.md). Widest first: AVX2 takes whole
 * groups of 8 blocks -- and a last, partial group too when more than 256
 * bytes are left, one group of 8 costing less than two of 4 -- and SSE2
 * the rest. Below MIN_SIMD_LEN bytes a group of 4 would compute mostly
 * unused keystream, and the reference is quicker -- unless the CPU has
 * AVX2, whose two-block form takes up to 128 bytes (a short message, or
 * the AEAD's key block with the first 64 bytes). With AVX-512
 * (chacha20_avx512.c) one call takes every length: 16 blocks at a time,
 * and 8, 4, 2 or 1 for the rest.
 */
#define MIN_SIMD_LEN 128

void ss_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
                     uint32_t counter, const uint8_t nonce[12])
{
    uint32_t state[16];

    /* Nothing to do. Returning here also keeps us from doing pointer
     * arithmetic on out/in, which may be NULL when len is 0. */
    if (len == 0)
        return;

    chacha20_init(state, key, counter, nonce);
#if defined(__x86_64__)
    unsigned cpu = ss_cpu_features();
    if (cpu & SS_CPU_AVX512) {
        ss_chacha20_xor_avx512(out, in, len, state);
        len = 0;
    }
    if ((cpu & SS_CPU_AVX2) && len > 256) {
        size_t n = len % 512 > 256 ? len : len - len % 512;
        ss_chacha20_xor_avx2(out, in, n, state);
        out += n;
        in += n;
        len -= n;
    }
    if ((cpu & SS_CPU_AVX2) && len > 0 && len <= 128) {
        ss_chacha20_xor_avx2_short(out, in, len, state);
        len = 0;
    }
    if ((cpu & SS_CPU_SSE2) && len >= MIN_SIMD_LEN) {
        ss_chacha20_xor_sse2(out, in, len, state);
        len = 0;
    }
#endif
    if (len > 0)
        chacha20_xor_ref(out, in, len, state);
    ss_wipe(state, sizeof state);
}
