/*
 * oracle.c — OpenSSL 3 (libcrypto) versions of the library's primitives,
 * for the differential fuzz targets and frame_recv's reference model.
 *
 * OpenSSL's interfaces take int lengths and dislike NULL pointers even for
 * empty strings; every wrapper below hides that: empty inputs point at a
 * dummy byte, and the targets never pass more than INT_MAX bytes.
 */
#include "oracle.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <string.h>

#include "fuzz.h"

static uint8_t empty[1];

/* A pointer OpenSSL accepts for p[0..len). */
static const uint8_t *nonnull(const uint8_t *p, size_t len)
{
    return len == 0 || p == NULL ? empty : p;
}

void oracle_sha256(uint8_t out[32], const uint8_t *msg, size_t len)
{
    unsigned int n = 0;
    FUZZ_CHECK(EVP_Digest(nonnull(msg, len), len, out, &n, EVP_sha256(), NULL) == 1 && n == 32,
               "OpenSSL EVP_Digest failed");
}

void oracle_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
                        size_t len)
{
    unsigned int n = 0;
    FUZZ_CHECK(HMAC(EVP_sha256(), nonnull(key, key_len), (int)key_len, nonnull(msg, len), len,
                    out, &n) != NULL && n == 32,
               "OpenSSL HMAC failed");
}

/* One EVP_KDF "HKDF" call; mode says which of salt, key and info it uses
 * (key is the IKM, or the PRK for expand-only). 1 on success. */
static int hkdf_call(int mode, uint8_t *out, size_t out_len, const uint8_t *salt,
                     size_t salt_len, const uint8_t *key, size_t key_len, const uint8_t *info,
                     size_t info_len)
{
    static EVP_KDF *kdf;
    OSSL_PARAM params[6];
    size_t n = 0;
    if (kdf == NULL)
        kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    FUZZ_CHECK(kdf != NULL, "OpenSSL has no HKDF");
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    (void *)nonnull(key, key_len), key_len);
    if (mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                        (void *)nonnull(salt, salt_len), salt_len);
    if (mode != EVP_KDF_HKDF_MODE_EXTRACT_ONLY)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                        (void *)nonnull(info, info_len), info_len);
    params[n] = OSSL_PARAM_construct_end();

    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    FUZZ_CHECK(ctx != NULL, "OpenSSL EVP_KDF_CTX_new failed");
    int ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    ERR_clear_error(); /* a refusal leaves a message on OpenSSL's error queue */
    return ok;
}

void oracle_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
                         const uint8_t *ikm, size_t ikm_len)
{
    FUZZ_CHECK(hkdf_call(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, prk, 32, salt, salt_len, ikm, ikm_len,
                         NULL, 0),
               "OpenSSL HKDF-Extract failed");
}

int oracle_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                       const uint8_t *info, size_t info_len)
{
    uint8_t dummy[1];
    return hkdf_call(EVP_KDF_HKDF_MODE_EXPAND_ONLY, okm_len ? okm : dummy, okm_len, NULL, 0,
                     prk, prk_len, info, info_len)
               ? 0
               : -1;
}

int oracle_hkdf(uint8_t *okm, size_t okm_len, const uint8_t *salt, size_t salt_len,
                const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
    uint8_t dummy[1];
    return hkdf_call(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, okm_len ? okm : dummy, okm_len, salt,
                     salt_len, ikm, ikm_len, info, info_len)
               ? 0
               : -1;
}

int oracle_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32])
{
    EVP_PKEY *ours = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
    EVP_PKEY_CTX *ctx = ours != NULL ? EVP_PKEY_CTX_new(ours, NULL) : NULL;
    size_t n = 32;
    FUZZ_CHECK(ours != NULL && theirs != NULL && ctx != NULL, "OpenSSL X25519 key setup failed");
    /* No peer validation: the function under comparison takes any point. */
    FUZZ_CHECK(EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer_ex(ctx, theirs, 0) == 1,
               "OpenSSL X25519 derive setup failed");
    int rc = EVP_PKEY_derive(ctx, shared, &n) == 1 && n == 32 ? 0 : -1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(ours);
    EVP_PKEY_free(theirs);
    ERR_clear_error();
    return rc;
}

void oracle_x25519_public_key(uint8_t public_key[32], const uint8_t secret_key[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret_key, 32);
    size_t n = 32;
    FUZZ_CHECK(k != NULL && EVP_PKEY_get_raw_public_key(k, public_key, &n) == 1 && n == 32,
               "OpenSSL X25519 public key failed");
    EVP_PKEY_free(k);
}

void oracle_chacha20(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
                     uint32_t counter, const uint8_t nonce[12])
{
    /* EVP_chacha20's 16-byte IV is the 32-bit little-endian block counter
     * followed by the 96-bit nonce (RFC 8439 §2.3 state words 12..15). */
    uint8_t iv[16];
    int n = 0;
    for (int i = 0; i < 4; i++)
        iv[i] = (uint8_t)(counter >> (8 * i));
    memcpy(iv + 4, nonce, 12);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    FUZZ_CHECK(ctx != NULL && EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv) == 1,
               "OpenSSL ChaCha20 setup failed");
    if (len > 0)
        FUZZ_CHECK(EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len,
                   "OpenSSL ChaCha20 failed");
    EVP_CIPHER_CTX_free(ctx);
}

void oracle_poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32])
{
    static EVP_MAC *mac;
    size_t n = 0;
    if (mac == NULL)
        mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    FUZZ_CHECK(ctx != NULL && EVP_MAC_init(ctx, key, 32, NULL) == 1,
               "OpenSSL Poly1305 setup failed");
    FUZZ_CHECK(EVP_MAC_update(ctx, nonnull(msg, len), len) == 1 &&
                   EVP_MAC_final(ctx, tag, &n, 16) == 1 && n == 16,
               "OpenSSL Poly1305 failed");
    EVP_MAC_CTX_free(ctx);
}

/* An EVP_chacha20_poly1305 context set up for one message (enc 1: seal,
 * 0: open) with the AD already absorbed. */
static EVP_CIPHER_CTX *aead_begin(int enc, const uint8_t key[32], const uint8_t nonce[12],
                                  const uint8_t *ad, size_t ad_len)
{
    int n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    FUZZ_CHECK(ctx != NULL &&
                   EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL, enc) == 1 &&
                   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
                   EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1,
               "OpenSSL ChaCha20-Poly1305 setup failed");
    if (ad_len > 0)
        FUZZ_CHECK(EVP_CipherUpdate(ctx, NULL, &n, ad, (int)ad_len) == 1,
                   "OpenSSL ChaCha20-Poly1305 AD failed");
    return ctx;
}

void oracle_aead_seal(uint8_t *ciphertext, uint8_t tag[16], const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      const uint8_t *plaintext, size_t len)
{
    uint8_t last[16];
    int n = 0;
    EVP_CIPHER_CTX *ctx = aead_begin(1, key, nonce, ad, ad_len);
    if (len > 0)
        FUZZ_CHECK(EVP_EncryptUpdate(ctx, ciphertext, &n, plaintext, (int)len) == 1 &&
                       (size_t)n == len,
                   "OpenSSL ChaCha20-Poly1305 seal failed");
    FUZZ_CHECK(EVP_EncryptFinal_ex(ctx, last, &n) == 1 && n == 0 &&
                   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1,
               "OpenSSL ChaCha20-Poly1305 tag failed");
    EVP_CIPHER_CTX_free(ctx);
}

int oracle_aead_open(uint8_t *plaintext, const uint8_t key[32], const uint8_t nonce[12],
                     const uint8_t *ad, size_t ad_len, const uint8_t *ciphertext, size_t len,
                     const uint8_t tag[16])
{
    uint8_t last[16];
    int n = 0;
    EVP_CIPHER_CTX *ctx = aead_begin(0, key, nonce, ad, ad_len);
    if (len > 0)
        FUZZ_CHECK(EVP_DecryptUpdate(ctx, plaintext, &n, ciphertext, (int)len) == 1 &&
                       (size_t)n == len,
                   "OpenSSL ChaCha20-Poly1305 open failed");
    FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) == 1,
               "OpenSSL ChaCha20-Poly1305 set tag failed");
    int rc = EVP_DecryptFinal_ex(ctx, last, &n) == 1 ? 0 : -1;
    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}
