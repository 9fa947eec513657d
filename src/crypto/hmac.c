/*
 * hmac.c — HMAC-SHA256, RFC 2104 §2 with H = SHA-256 (B = 64, L = 32);
 * test vectors RFC 4231 §4.
 *
 * Course position: the second chapter, after sha256.c. A hash alone is not a
 * MAC: with a Merkle-Damgård hash like SHA-256, SHA-256(key || msg) lets
 * anyone who sees one tag compute the tag of msg || padding || more without
 * the key ("length extension"), because the digest is the complete internal
 * state and hashing can simply continue from it. HMAC closes that door by
 * hashing twice with two different keyed prefixes:
 *
 *     HMAC(K, text) = H((K0 ^ opad) || H((K0 ^ ipad) || text))
 *
 * where K0 is the key padded with zeros to the block size B = 64 bytes (or
 * first hashed when it is longer), ipad is 0x36 and opad 0x5c repeated B
 * times. The outer hash takes only a fixed-length secret-prefixed input, so
 * extending the inner hash gains the attacker nothing. HKDF (hkdf.c) and the
 * Noise handshake are built from this function. Course chapter:
 * docs/hmac.md.
 *
 * Representation. Everything is bytes; the words are SHA-256's business.
 * The context holds two SHA-256 contexts that have already absorbed the
 * 64-byte blocks K0 ^ ipad and K0 ^ opad: the precomputation RFC 2104 §4
 * describes. Each message then costs two compressions fewer than the
 * textbook formula, and HKDF, which MACs many short strings under one key,
 * reuses a keyed context by copying it (hkdf.c).
 *
 * Secrets. K0, the padded blocks, the keyed contexts and the inner digest
 * are all as good as the key (RFC 2104 §4: the precomputed values "need to be
 * treated and protected the same as secret keys"), so each is wiped once it
 * is no longer needed. There is no branch on secret data: the only branch
 * depends on the key's length, which is public.
 */
#include "hmac.h"

#include <string.h>

#include "util.h"

/* RFC 2104 §2: B, the block length of SHA-256 in bytes, and the pads. */
#define HMAC_BLOCK 64
#define IPAD 0x36
#define OPAD 0x5c

void ss_hmac_sha256_init(ss_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len)
{
    uint8_t k0[HMAC_BLOCK] = {0}; /* K0: the key, zero-padded to B bytes */
    uint8_t pad[HMAC_BLOCK];      /* K0 ^ ipad, then K0 ^ opad */

    /* RFC 2104 §2: a key longer than B bytes is first hashed to L = 32
     * bytes; otherwise it is used as is. Either way the zero padding to B
     * bytes (step 1) comes from the initialiser above. memcpy is skipped for
     * an empty key, which may be NULL. */
    if (key_len > HMAC_BLOCK)
        ss_sha256(k0, key, key_len);
    else if (key_len > 0)
        memcpy(k0, key, key_len);

    /* Steps 2-3: the inner hash starts with K0 ^ ipad. */
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k0[i] ^ IPAD;
    ss_sha256_init(&ctx->inner);
    ss_sha256_update(&ctx->inner, pad, HMAC_BLOCK);

    /* Steps 5-6: the outer hash starts with K0 ^ opad. The two pads differ
     * in half their bits, so the inner and outer hashes are keyed
     * differently although there is only one key. */
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k0[i] ^ OPAD;
    ss_sha256_init(&ctx->outer);
    ss_sha256_update(&ctx->outer, pad, HMAC_BLOCK);

    ss_wipe(k0, sizeof k0);
    ss_wipe(pad, sizeof pad);
}

void ss_hmac_sha256_update(ss_hmac_sha256_ctx *ctx, const uint8_t *msg, size_t len)
{
    /* Step 3: the text is appended to the inner hash only. */
    ss_sha256_update(&ctx->inner, msg, len);
}

void ss_hmac_sha256_final(ss_hmac_sha256_ctx *ctx, uint8_t out[32])
{
    uint8_t inner_digest[32];

    /* Step 4: finish the inner hash H((K0 ^ ipad) || text). */
    ss_sha256_final(&ctx->inner, inner_digest);

    /* Steps 6-7: append it to the outer hash and finish that. out is
     * written last, after every input has been read, so out may overlap
     * the key or the message of the one-shot form. */
    ss_sha256_update(&ctx->outer, inner_digest, sizeof inner_digest);
    ss_sha256_final(&ctx->outer, out);

    /* The inner digest is secret: with it, anyone could finish the outer
     * hash of this message. ss_sha256_final already wiped both halves of
     * ctx; wiping the whole struct states the contract here as well. */
    ss_wipe(inner_digest, sizeof inner_digest);
    ss_wipe(ctx, sizeof *ctx);
}

void ss_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
                    size_t len)
{
    ss_hmac_sha256_ctx ctx;
    ss_hmac_sha256_init(&ctx, key, key_len);
    ss_hmac_sha256_update(&ctx, msg, len);
    ss_hmac_sha256_final(&ctx, out); /* also wipes ctx */
}
