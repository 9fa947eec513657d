/*
 * aead.c — AEAD_CHACHA20_POLY1305, authenticated encryption with associated
 * data (RFC 8439 §2.6-§2.8).
 *
 * Course position: the last symmetric chapter; it joins chacha20.c
 * (confidentiality) and poly1305.c (integrity). The Noise layer (net/noise.c)
 * encrypts every handshake payload and every transport message with it, the
 * nonce being the 64-bit message counter n. Course chapter: docs/aead.md.
 *
 * The construction, for a 256-bit key and a 96-bit nonce:
 *
 *   1. §2.6 one-time key:  otk = first 32 bytes of chacha20_block(key, 0, nonce)
 *   2. §2.4 encryption:    ciphertext = ChaCha20(key, counter 1, nonce) ^ plaintext
 *   3. §2.8 tag:           tag = Poly1305(otk, AD || pad16(AD) ||
 *                                             ciphertext || pad16(ciphertext) ||
 *                                             le64(len(AD)) || le64(len(ciphertext)))
 *
 * Why block 0 for the key, and encryption from counter 1: one ChaCha20 call
 * per (key, nonce) gives both. Block 0 is used for nothing else, so the
 * Poly1305 key is never also keystream that XORs a message (an attacker who
 * knows or chooses some plaintext would then learn r and s from the
 * ciphertext and could forge). The last 32 bytes of block 0 are discarded.
 *
 * Why the Poly1305 key must be one-time: Poly1305 is only unforgeable when
 * each (r, s) authenticates one message (see poly1305.c); two tags under one
 * key let an attacker solve for r and then forge at will. Deriving otk from
 * the nonce gives a fresh, unpredictable key per message, as long as the
 * caller never reuses a (key, nonce) pair -- which would also reuse the
 * keystream and leak the XOR of the two plaintexts.
 *
 * Why the MAC input looks like that: the tag is over the CIPHERTEXT
 * ("encrypt-then-MAC"), so a receiver can reject a forgery before decrypting
 * anything. The padding aligns the ciphertext to a 16-byte block (keeping
 * the fast path of Poly1305), and the two lengths at the end make the
 * encoding unambiguous: without them, moving bytes from the end of the AD to
 * the start of the ciphertext could keep the same Poly1305 input.
 */
#include "aead.h"

#include "chacha20.h"
#include "poly1305.h"
#include "util.h"

/* Sixteen zero bytes: the source of the pad16 padding. Not secret. */
static const uint8_t zero_pad[16];

/* §2.8: pad16(x) is the number of zero bytes (0..15) that brings len(x) to
 * a multiple of 16. */
static size_t pad16_len(size_t len)
{
    return (16 - len % 16) % 16;
}

/*
 * §2.6: the one-time Poly1305 key is the first 32 bytes of keystream
 * block 0. Computed into ks[0..64) -- and for a text of at most 64 bytes,
 * block 1 too, into ks[64..128): that is the text's whole keystream (§2.8),
 * and one call for both blocks lets a fast path compute them side by side
 * (chacha20_avx2.c's two-block form), which matters for short messages.
 * ks is keystream: secret, wiped by the caller.
 */
static void first_blocks(uint8_t ks[128], const uint8_t key[32], const uint8_t nonce[12],
                         size_t len)
{
    size_t n = len <= 64 ? 128 : 64;
    for (size_t i = 0; i < n; i++)
        ks[i] = 0;
    ss_chacha20_xor(ks, ks, n, key, 0, nonce); /* 0 XOR keystream = keystream */
}

/* §2.8: out = in XOR the keystream from block 1 on. A short text takes it
 * from ks (first_blocks); a longer one is encrypted in one call, so that
 * the wide fast paths get whole groups of eight blocks. In place is fine:
 * each byte is read before the same position is written. */
static void encrypt_text(uint8_t *out, const uint8_t *in, size_t len, const uint8_t ks[128],
                         const uint8_t key[32], const uint8_t nonce[12])
{
    if (len <= 64) {
        for (size_t i = 0; i < len; i++)
            out[i] = in[i] ^ ks[64 + i];
    } else {
        ss_chacha20_xor(out, in, len, key, 1, nonce);
    }
}

/* §2.8: the tag over AD || pad16 || ciphertext || pad16 || le64 lengths. */
static void aead_tag(uint8_t tag[16], const uint8_t otk[32], const uint8_t *ad, size_t ad_len,
                     const uint8_t *ciphertext, size_t len)
{
    ss_poly1305_ctx ctx;
    uint8_t lengths[16];

    ss_poly1305_init(&ctx, otk);
    ss_poly1305_update(&ctx, ad, ad_len);
    ss_poly1305_update(&ctx, zero_pad, pad16_len(ad_len));
    ss_poly1305_update(&ctx, ciphertext, len);
    ss_poly1305_update(&ctx, zero_pad, pad16_len(len));
    /* §2.8: both lengths in bytes, as 64-bit little-endian integers. */
    ss_store64_le(lengths, (uint64_t)ad_len);
    ss_store64_le(lengths + 8, (uint64_t)len);
    ss_poly1305_update(&ctx, lengths, sizeof lengths);
    ss_poly1305_final(&ctx, tag); /* also wipes ctx (it held otk) */
}

/*
 * §2.8: at most 2^38 - 64 bytes of text. The keystream for the text starts at
 * block 1 and the counter is 32 bits, so block 2^32 - 1 is the last one; the
 * next would be block 0 again: the one-time Poly1305 key would be XORed into
 * the text, and then the whole keystream would repeat. (The AD has its own
 * limit, 2^64 - 1 bytes, which a size_t cannot exceed.) The comparison is
 * done in 64 bits so that it also compiles where size_t is 32 bits wide.
 */
static int aead_len_ok(size_t len)
{
    return (uint64_t)len <= SS_AEAD_MAX_LEN;
}

int ss_aead_seal(uint8_t *ciphertext, uint8_t tag[16], const uint8_t key[32],
                 const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *plaintext, size_t len)
{
    uint8_t ks[128]; /* block 0: the one-time key in its first 32 bytes */

    if (!aead_len_ok(len)) {
        ss_wipe(tag, 16); /* a caller that ignores -1 sends no valid tag */
        return -1;
    }
    first_blocks(ks, key, nonce, len);
    /* §2.8: encrypt from counter 1 (block 0 went to the key). */
    encrypt_text(ciphertext, plaintext, len, ks, key, nonce);
    /* The MAC reads the ciphertext we just wrote. */
    aead_tag(tag, ks, ad, ad_len, ciphertext, len);

    ss_wipe(ks, sizeof ks);
    return 0;
}

/*
 * Opening, in the only safe order:
 *
 *   1. compute the expected tag over AD and the RECEIVED ciphertext;
 *   2. compare it with the received tag in constant time;
 *   3. decrypt only if they match; otherwise zero the output.
 *
 * Why never release unauthenticated plaintext: a caller that gets bytes out
 * of a failed open may act on them (parse them, log them, answer them), and
 * an attacker who flips ciphertext bits flips the same plaintext bits --
 * ChaCha20 alone is malleable. Reactions to such tampered plaintexts are how
 * padding-oracle-style attacks read secrets. So on failure the caller gets
 * -1 and a buffer of zeros, never a guess.
 *
 * In place (plaintext == ciphertext) works because step 1 has finished
 * reading the ciphertext before step 3 writes anything.
 *
 * Why ss_ct_verify and not memcmp: memcmp stops at the first differing byte,
 * so its running time tells a forger how many leading tag bytes were right,
 * letting the tag be found byte by byte (16 * 256 tries instead of 2^128).
 *
 * The "if" on the comparison result is not a secret-dependent branch: the
 * result is returned to the caller anyway, and an attacker sees whether the
 * message was accepted.
 *
 * A ciphertext longer than §2.8 allows cannot come from a correct sender; it
 * is refused before anything is read or written (the caller's buffer may not
 * really be that long, so it is not zeroed either).
 */
int ss_aead_open(uint8_t *plaintext, const uint8_t key[32], const uint8_t nonce[12],
                 const uint8_t *ad, size_t ad_len, const uint8_t *ciphertext, size_t len,
                 const uint8_t tag[16])
{
    uint8_t ks[128]; /* block 0: the one-time key in its first 32 bytes */
    uint8_t expected[16];

    if (!aead_len_ok(len))
        return -1;
    /* A short text's keystream is computed here too, but only applied in
     * step 3, after the tag matched. */
    first_blocks(ks, key, nonce, len);
    aead_tag(expected, ks, ad, ad_len, ciphertext, len);
    int result = ss_ct_verify(expected, tag, 16);

    if (result == 0)
        encrypt_text(plaintext, ciphertext, len, ks, key, nonce);
    else
        ss_wipe(plaintext, len); /* accepts NULL when len is 0 */

    /* The expected tag is secret too: it is the answer a forger wants. */
    ss_wipe(ks, sizeof ks);
    ss_wipe(expected, sizeof expected);
    return result;
}
