/*
 * mlkem_ek.c — fuzz target: the ML-KEM-768 encapsulation-key check (FIPS
 * 203 §7.2, the "modulus check", src/crypto/mlkem.c) and encapsulation on
 * the keys it accepts.
 *
 * Input layout:
 *   byte 0, bit 0 = 0: "edit" mode. A fixed valid ek (KeyGen from fixed d
 *     and z), then m (32 bytes), then edits of 3 bytes each until the input
 *     ends: a position (2 bytes, big-endian, modulo 1184) and a byte
 *     XOR-ed there.
 *   bit 0 = 1: "raw" mode. m (32 bytes), then ek (1184 bytes, zeros once
 *     the input ends).
 *
 * Checks, against a model written here from the standard's definition
 * (ByteDecode_12 read bit by bit, Algorithm 6 without the reduction, and
 * every value compared with q):
 *   - ss_mlkem768_check_ek accepts exactly the keys the model accepts, and
 *     ss_mlkem768_encaps_derand returns the same verdict;
 *   - a refused key leaves ciphertext and K all zeros;
 *   - an accepted key encapsulates deterministically (same m, same bytes);
 *     for the unedited key, the fixed dk decapsulates the ciphertext to K.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/mlkem_internal.h"
#include "fuzz.h"

#define CT SS_MLKEM768_CT_BYTES
#define DK SS_MLKEM768_DK_BYTES
#define EK SS_MLKEM768_EK_BYTES

/* Algorithm 6 (ByteDecode_12) by its definition, without "mod q": bit j
 * of value i is bit (12 i + j) of the byte string. 0 if a value is q or
 * more. */
static int model_ek_ok(const uint8_t *ek)
{
    for (unsigned i = 0; i < 3 * 256; i++) {
        unsigned v = 0;
        for (unsigned j = 0; j < 12; j++) {
            unsigned bit = 12 * i + j;
            v |= (unsigned)((ek[bit / 8] >> (bit % 8)) & 1) << j;
        }
        if (v >= 3329)
            return 0;
    }
    return 1;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ek0[EK], dk0[DK];
    static int have_keys;
    uint8_t *ek = fuzz_alloc(EK), *ct = fuzz_alloc(CT), *ss = fuzz_alloc(32);
    uint8_t m[32], ct2[CT], ss2[32];
    fuzz_input in = fuzz_begin(data, size);

    if (!have_keys) {
        uint8_t d[32], z[32];
        memset(d, 0x33, sizeof d);
        memset(z, 0x44, sizeof z);
        ss_mlkem768_keygen_derand(ek0, dk0, d, z);
        have_keys = 1;
    }

    if ((fuzz_u8(&in) & 1) == 0) {
        memcpy(ek, ek0, EK);
        fuzz_fill(&in, m, sizeof m);
        while (in.left >= 3) {
            size_t pos = fuzz_u16(&in) % EK;
            ek[pos] ^= fuzz_u8(&in);
        }
    } else {
        fuzz_fill(&in, m, sizeof m);
        fuzz_fill(&in, ek, EK);
    }

    int want = model_ek_ok(ek) ? 0 : -1;
    FUZZ_CHECK(ss_mlkem768_check_ek(ek) == want, "modulus check disagrees with the model");
    memset(ct, 0xa5, CT);
    memset(ss, 0xa5, 32);
    int r = ss_mlkem768_encaps_derand(ct, ss, ek, m);
    FUZZ_CHECK(r == want, "encaps disagrees with the modulus check");
    if (r != 0) {
        FUZZ_CHECK(all_zero(ct, CT) && all_zero(ss, 32), "a refused encaps left bytes");
    } else {
        FUZZ_CHECK(ss_mlkem768_encaps_derand(ct2, ss2, ek, m) == 0, "second call refused");
        FUZZ_CHECK(memcmp(ct, ct2, CT) == 0 && memcmp(ss, ss2, 32) == 0,
                   "encaps is not deterministic");
        if (memcmp(ek, ek0, EK) == 0) {
            FUZZ_CHECK(ss_mlkem768_decaps(ss2, ct, dk0) == 0, "decaps refused");
            FUZZ_CHECK(memcmp(ss, ss2, 32) == 0, "decaps(encaps) differs");
        }
    }

    free(ek);
    free(ct);
    free(ss);
    return 0;
}
