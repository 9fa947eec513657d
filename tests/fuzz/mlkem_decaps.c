/*
 * mlkem_decaps.c — fuzz target: ML-KEM-768 decapsulation (FIPS 203
 * Algorithms 21 and 18, src/crypto/mlkem.c) on ciphertexts and keys the
 * fuzzer chooses.
 *
 * Input layout:
 *   byte 0, bit 0 = 0: "edit" mode. A fixed key pair (KeyGen from fixed d
 *     and z) and an honest ciphertext for the 32-byte m that follows; then
 *     edits of 3 bytes each until the input ends: a position (2 bytes,
 *     big-endian, modulo 1088 + 2400) and a byte XOR-ed there, into the
 *     ciphertext (positions 0..1087) or the decapsulation key (after).
 *   bit 0 = 1: "raw" mode. dk (2400 bytes) then c (1088 bytes), zeros
 *     once the input ends.
 *
 * Checks, with OpenSSL's SHA3-256 and SHAKE256 as the oracle:
 *   - Decaps refuses (-1, K zeroed) exactly when SHA3-256 of dk's ek
 *     differs from dk's stored hash (FIPS 203 §7.3);
 *   - with the key pair's dk_PKE and ek untouched (z may be edited), the
 *     result is K for the honest ciphertext and J(z || c) = SHAKE256(z ||
 *     c, 32) for any other one: the implicit rejection of Algorithm 18,
 *     lines 7-11 (a different ciphertext that re-encrypts to itself would
 *     be a valid one, which the fuzzer cannot find);
 *   - always: a second call gives the same bytes (nothing uninitialised
 *     or stateful leaks into the result).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/mlkem.h"
#include "fuzz.h"

#define CT SS_MLKEM768_CT_BYTES
#define DK SS_MLKEM768_DK_BYTES
#define EK SS_MLKEM768_EK_BYTES

static void openssl_digest(const char *name, uint8_t *out, size_t out_len, const uint8_t *a,
                           size_t a_len, const uint8_t *b, size_t b_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    FUZZ_CHECK(ctx != NULL && md != NULL, "OpenSSL SHA-3");
    FUZZ_CHECK(EVP_DigestInit_ex(ctx, md, NULL) == 1, "OpenSSL init");
    EVP_DigestUpdate(ctx, a, a_len);
    EVP_DigestUpdate(ctx, b, b_len);
    if (strcmp(name, "SHAKE256") == 0)
        FUZZ_CHECK(EVP_DigestFinalXOF(ctx, out, out_len) == 1, "OpenSSL XOF");
    else
        FUZZ_CHECK(EVP_DigestFinal_ex(ctx, out, NULL) == 1, "OpenSSL final");
    EVP_MD_free(md);
    EVP_MD_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ek[EK], dk0[DK];
    static int have_keys;
    uint8_t *dk = fuzz_alloc(DK), *ct = fuzz_alloc(CT), *ss = fuzz_alloc(32);
    uint8_t honest[CT], k[32], m[32], hash[32], want[32], again[32];
    int dk_pke_or_ek_edited = 0;
    fuzz_input in = fuzz_begin(data, size);

    if (!have_keys) {
        uint8_t d[32], z[32];
        memset(d, 0x11, sizeof d);
        memset(z, 0x22, sizeof z);
        ss_mlkem768_keygen_derand(ek, dk0, d, z);
        have_keys = 1;
    }

    if ((fuzz_u8(&in) & 1) == 0) {
        memcpy(dk, dk0, DK);
        fuzz_fill(&in, m, sizeof m);
        FUZZ_CHECK(ss_mlkem768_encaps_derand(honest, k, ek, m) == 0, "encaps refused the key");
        memcpy(ct, honest, CT);
        while (in.left >= 3) {
            size_t pos = fuzz_u16(&in) % (CT + DK);
            uint8_t x = fuzz_u8(&in);
            if (pos < CT) {
                ct[pos] ^= x;
            } else {
                dk[pos - CT] ^= x;
                if (pos - CT < DK - 64 && x != 0)
                    dk_pke_or_ek_edited = 1;
            }
        }
    } else {
        fuzz_fill(&in, dk, DK);
        fuzz_fill(&in, ct, CT);
        dk_pke_or_ek_edited = 1;
    }

    memset(ss, 0xa5, 32);
    int r = ss_mlkem768_decaps(ss, ct, dk);
    openssl_digest("SHA3-256", hash, 32, dk + 1152, EK, NULL, 0);
    int hash_ok = memcmp(hash, dk + 2336, 32) == 0;
    if (!hash_ok) {
        FUZZ_CHECK(r == -1, "a dk with a wrong hash was accepted");
        static const uint8_t zero[32];
        FUZZ_CHECK(memcmp(ss, zero, 32) == 0, "a refused decaps left bytes");
    } else {
        FUZZ_CHECK(r == 0, "a dk with the right hash was refused");
        if (!dk_pke_or_ek_edited) {
            if (memcmp(ct, honest, CT) == 0)
                memcpy(want, k, 32);
            else
                openssl_digest("SHAKE256", want, 32, dk + 2368, 32, ct, CT);
            FUZZ_CHECK(memcmp(ss, want, 32) == 0, "wrong K or K-bar");
        }
    }
    FUZZ_CHECK(ss_mlkem768_decaps(again, ct, dk) == r, "second call: another status");
    FUZZ_CHECK(memcmp(again, ss, 32) == 0, "second call: other bytes");

    free(dk);
    free(ct);
    free(ss);
    return 0;
}
