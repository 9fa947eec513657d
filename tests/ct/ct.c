/*
 * ct.c — the constant-time check: every public primitive, and whole Noise
 * handshakes, run under valgrind's memcheck with every secret marked
 * "undefined" (the "ctgrind" method of Adam Langley, 2010; Monocypher and
 * libsecp256k1 run the same kind of program).
 *
 * Course position: the last chapter of the crypto part. Every primitive in
 * src/crypto promises "no branch and no memory address depends on a
 * secret", and each explains in its comments how it keeps the promise
 * (masks instead of ifs, loops whose length is public). This program checks
 * the promise on the machine code the compiler actually produced.
 *
 * The method. Memcheck follows every bit of the program's memory and
 * registers and knows whether it is "defined" (was written from something
 * defined) or "undefined" (e.g. fresh malloc memory). It reports an error
 * when undefined bits decide what the program does next:
 *
 *   - "Conditional jump or move depends on uninitialised value(s)": a
 *     branch decided by them;
 *   - "Use of uninitialised value of size 8": a memory address computed
 *     from them (a table lookup, an array index);
 *   - (also system-call arguments, which this program does not pass).
 *
 * Arithmetic, shifts, XOR, AND, copies — and, on x86-64, conditional moves
 * and divisions — merely PROPAGATE undefinedness to their results,
 * silently (docs/security.md says what that leaves unchecked). And the
 * two reported uses are precisely what constant-time code must never do
 * with a secret: branch on it (the time, the branch predictor and the
 * instruction cache would depend on it) or use it as an address (the data
 * cache would). So if we tell
 * memcheck that the secrets are undefined — VALGRIND_MAKE_MEM_UNDEFINED,
 * which changes the bookkeeping, not the bytes — every use of a secret, or
 * of anything computed from one, in a branch or an address is reported. A
 * run with zero errors means: on the paths this program exercised, the
 * machine code never branched on, or indexed memory with, a secret.
 *
 * What becomes public must be said so. A ciphertext is computed from the
 * key but is sent in clear; a public key is computed from the private key
 * but is published. Before the program itself looks at such a value (to
 * compare it, or to hand it to the other side of a handshake), it calls
 * declassify() — VALGRIND_MAKE_MEM_DEFINED. Every declassify() below is a
 * claim "this value is public by design", and each says why.
 *
 * Two results of the library are public by design although they are
 * computed from secrets, and the library branches on them:
 *
 *   1. ss_aead_open's accept/reject decision. Whether a tag was authentic
 *      is the whole point of checking it; the attacker who sent the message
 *      learns it anyway (the connection goes on or ends). aead.c branches
 *      once on it ("if (result == 0)"), and its callers (noise.c) branch on
 *      the value it returns.
 *   2. ss_x25519's "the result is all zeros" flag. For a clamped scalar (a
 *      multiple of 8, RFC 7748 §5) the result is zero exactly when the
 *      point has small order: a property of the peer's PUBLIC key, not of
 *      our scalar. noise.c branches on it (mix_dh: low-order key, abort).
 *
 * How the test allows those two decisions and nothing else:
 *
 *   - The values RETURNED are declassified by valgrind function wrappers
 *     (below): valgrind redirects every call of ss_aead_open and ss_x25519,
 *     also the calls made inside the library, to a wrapper here that calls
 *     the real function and marks its return value defined. That is the
 *     moment the value becomes public; the library's callers then branch
 *     on a defined value, and nothing is reported there.
 *   - The one branch INSIDE ss_aead_open tests a value that never leaves
 *     the function before the branch, so it cannot be declassified from
 *     here; tests/ct/ct.supp suppresses "Conditional jump" errors whose innermost
 *     function is ss_aead_open itself (not its callees: ChaCha20, Poly1305
 *     and everything else in other files stay fully checked). To show that
 *     the suppression hides exactly that one decision and nothing else,
 *     tests/test_ct.sh also runs the aead_open step WITHOUT the suppression
 *     and requires that every error reported is a conditional jump at one
 *     and the same instruction of ss_aead_open, reached once per call (see
 *     step_aead_open for why both). And the step aead_open_parts
 *     runs what ss_aead_open is made of (the one-time key, the Poly1305 tag
 *     over the received ciphertext, the constant-time comparison, the
 *     decryption) with no suppression at all.
 *
 * What is NOT declassified: every output that stays secret (hashes of
 * secret messages, MACs, keys, DH results, plaintexts) until the program
 * itself compares it, after the library has finished with it.
 *
 * Build: linked against build/libssockets.a, the library exactly as built
 * by `make` (default CFLAGS -O2): the machine code users run, not a debug
 * build. tests/ct/ct.mk also builds a clang copy (build/ct/ct-clang).
 *
 * Usage: ct [step...] runs the named steps (all of them without arguments),
 * printing each name; the exit status is 1 if a functional check failed
 * (e.g. the two ends of a handshake disagree). Valgrind's verdict is read by
 * tests/test_ct.sh; without valgrind the program runs, but proves nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "crypto/aead.h"
#include "crypto/chacha20.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/mlkem.h"
#include "crypto/poly1305.h"
#include "crypto/sha256.h"
#include "crypto/sha3.h"
#include "crypto/mlkem_internal.h"
#include "crypto/util.h"
#include "crypto/x25519.h"
#include "crypto/x25519_fast.h"
#include "net/keys.h"
#include "net/noise.h"

/* The longest message of the loops over lengths: more than two 64-byte
 * blocks (SHA-256, ChaCha20), so every partial-block case runs, and at
 * least nine 16-byte Poly1305 blocks. */
#define MAX_LEN 160

static int failures;

/* ---------------------------------------------------------------------- */
/* Marking secrets, declassifying results                                 */
/* ---------------------------------------------------------------------- */

/* Tell memcheck that n bytes at p are secret. The bytes keep their values
 * (the computations stay correct and checkable); only memcheck's shadow
 * bookkeeping changes. Outside valgrind the client request does nothing. */
static void secret(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}

/* Tell memcheck that n bytes at p are public from now on. */
static void declassify(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

/* n bytes of a fixed pattern, different for each seed: inputs whose values
 * do not matter to memcheck, but make the functional checks meaningful. */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = 0x9e3779b9u * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u; /* a linear congruential step */
        p[i] = (uint8_t)(x >> 24);
    }
}

/* A functional check, on public (declassified) values only: branching on
 * an undefined value here would itself be reported. */
static void check(int ok, const char *step, const char *what)
{
    if (!ok) {
        printf("ct: %s: FAILED: %s\n", step, what);
        failures++;
    }
}

/* Declassify two results and compare them (the test's own comparison; the
 * library has finished with both). */
static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
    declassify(a, n);
    declassify(b, n);
    return n == 0 || memcmp(a, b, n) == 0;
}

/* ---------------------------------------------------------------------- */
/* The two declassified decisions (see the top of the file)               */
/* ---------------------------------------------------------------------- */

/*
 * Valgrind function wrapping (Valgrind manual §3.3, "Function wrapping"):
 * a function named I_WRAP_SONAME_FNNAME_ZU(NONE, f) replaces f of the main
 * program (an executable has no soname, which valgrind calls "NONE") for
 * every caller; VALGRIND_GET_ORIG_FN and CALL_FN_W_* call the original.
 * Outside valgrind nothing is redirected and these functions never run.
 */

/* Calls of ss_aead_open, and the errors memcheck reported while they ran
 * (VALGRIND_COUNT_ERRORS counts every occurrence, repeats included, but
 * not the suppressed ones). Printed by step_aead_open; see there. */
static unsigned long open_calls, open_errors;

int I_WRAP_SONAME_FNNAME_ZU(NONE, ss_aead_open)(uint8_t *plaintext, const uint8_t key[32],
                                                const uint8_t nonce[12], const uint8_t *ad,
                                                size_t ad_len, const uint8_t *ciphertext,
                                                size_t len, const uint8_t tag[16])
{
    OrigFn fn;
    int accepted;
    unsigned before = VALGRIND_COUNT_ERRORS;
    VALGRIND_GET_ORIG_FN(fn);
    CALL_FN_W_8W(accepted, fn, plaintext, key, nonce, ad, ad_len, ciphertext, len, tag);
    open_errors += VALGRIND_COUNT_ERRORS - before;
    open_calls++;
    /* Public: the sender of the message learns whether it was accepted. */
    declassify(&accepted, sizeof accepted);
    return accepted;
}

int I_WRAP_SONAME_FNNAME_ZU(NONE, ss_x25519)(uint8_t shared[32], const uint8_t scalar[32],
                                             const uint8_t point[32])
{
    OrigFn fn;
    int all_zero;
    VALGRIND_GET_ORIG_FN(fn);
    CALL_FN_W_WWW(all_zero, fn, shared, scalar, point);
    /* Public: for a clamped scalar, "all zeros" depends on the point's
     * order only (RFC 7748 §6.1), and the point is the peer's public key. */
    declassify(&all_zero, sizeof all_zero);
    return all_zero;
}

/* ML-KEM-768's SampleNTT seed, rho || j || i: public by design (rho is
 * the last 32 bytes of ek, published), but computed from the secret d in
 * KeyGen and read from the secret dk in Decaps. SampleNTT's rejection loop
 * branches on SHAKE128(seed) (mlkem.c says why that is allowed): the seed
 * is declassified on entry, the moment it is used as the public value it
 * is. */
void I_WRAP_SONAME_FNNAME_ZU(NONE, ss_mlkem_sample_ntt)(int16_t a[256], const uint8_t seed[34])
{
    OrigFn fn;
    VALGRIND_GET_ORIG_FN(fn);
    declassify(seed, 34);
    CALL_FN_v_WW(fn, a, seed);
}

/* The same for the four-way SampleNTT of the AVX2 path (n seeds,
 * mlkem.c's ss_mlkem_sample_ntt_x4). */
void I_WRAP_SONAME_FNNAME_ZU(NONE, ss_mlkem_sample_ntt_x4)(int16_t a[][256],
                                                           const uint8_t seeds[][34], unsigned n)
{
    OrigFn fn;
    VALGRIND_GET_ORIG_FN(fn);
    declassify(seeds, n * 34);
    CALL_FN_v_WWW(fn, a, seeds, n);
}

/* ML-KEM-768's decapsulation-key check (FIPS 203 §7.3): whether dk's
 * stored H(ek) matches its stored ek says whether the key is well-formed,
 * nothing about its secret part; Decaps branches on it. */
int I_WRAP_SONAME_FNNAME_ZU(NONE, ss_mlkem768_check_dk)(const uint8_t dk[2400])
{
    OrigFn fn;
    int ok;
    VALGRIND_GET_ORIG_FN(fn);
    CALL_FN_W_W(ok, fn, dk);
    declassify(&ok, sizeof ok);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* util.h: ss_ct_verify, ss_wipe                                          */
/* ---------------------------------------------------------------------- */

static void step_ct_verify(void)
{
    uint8_t a[64], b[64];
    for (size_t n = 0; n <= sizeof a; n++) {
        for (int differ = 0; differ <= 1; differ++) {
            fill(a, sizeof a, 1);
            fill(b, sizeof b, 1);
            if (differ && n > 0)
                b[n - 1] ^= 0x20; /* differ in the last byte */
            secret(a, sizeof a);
            secret(b, sizeof b);
            int r = ss_ct_verify(a, b, n);
            /* The comparison result is what the caller branches on: public. */
            declassify(&r, sizeof r);
            check(r == ((differ && n > 0) ? -1 : 0), "ct_verify", "wrong answer");
        }
    }
}

static void step_wipe(void)
{
    uint8_t buf[128];
    for (size_t n = 0; n <= sizeof buf; n++) {
        fill(buf, sizeof buf, 2);
        secret(buf, sizeof buf);
        ss_wipe(n == 0 ? NULL : buf, n);
        /* No declassify: zeros written by ss_wipe are defined, so this
         * branch on the wiped bytes must not be reported. If the wipe had
         * been optimised away, it would be, and the check would fail. */
        int zero = 1;
        for (size_t i = 0; i < n; i++)
            zero &= buf[i] == 0;
        check(zero, "wipe", "bytes left");
    }
    ss_wipe(NULL, 0); /* NULL with length 0 is accepted */
}

/* ---------------------------------------------------------------------- */
/* SHA-256, HMAC, HKDF                                                    */
/* ---------------------------------------------------------------------- */

/* Incremental hashing in chunks of these sizes, to cross block boundaries
 * in every way. */
static const size_t chunks[] = {1, 7, 63, 64, 65};

static void step_sha256(void)
{
    uint8_t msg[MAX_LEN], one[32], inc[32];
    ss_sha256_ctx ctx;
    for (size_t len = 0; len <= MAX_LEN; len++) {
        fill(msg, len, 3);
        secret(msg, sizeof msg); /* the message: e.g. a transcript with keys */
        ss_sha256(one, len == 0 ? NULL : msg, len);
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            ss_sha256_init(&ctx);
            for (size_t at = 0; at < len; at += chunks[c]) {
                size_t n = len - at < chunks[c] ? len - at : chunks[c];
                ss_sha256_update(&ctx, msg + at, n);
            }
            ss_sha256_final(&ctx, inc);
            check(same(one, inc, 32), "sha256", "incremental differs from one-shot");
        }
    }
}

/* SHA-3 and SHAKE: the message secret (ML-KEM hashes its seeds and keys
 * with them), absorbed in one piece and in chunks that cross the rate at
 * every offset, and squeezed (for SHAKE) in one piece and in chunks. The
 * lengths go past one block of the largest rate (168, SHAKE128) so that
 * absorbing, padding and squeezing all run more than one permutation. */
static void step_sha3(void)
{
    static const size_t sha3_chunks[] = {1, 7, 8, 71, 72, 169};
    uint8_t msg[2 * MAX_LEN + 40], one[96], inc[96], xof[400], xof_inc[400];
    ss_sha3_ctx ctx;
    for (size_t len = 0; len <= sizeof msg; len += 3) {
        fill(msg, len, 11);
        secret(msg, sizeof msg);
        ss_sha3_256(one, len == 0 ? NULL : msg, len);
        ss_sha3_512(one + 32, len == 0 ? NULL : msg, len);
        ss_shake128(xof, 200, len == 0 ? NULL : msg, len);
        ss_shake256(xof + 200, 200, len == 0 ? NULL : msg, len);
        for (size_t c = 0; c < sizeof sha3_chunks / sizeof sha3_chunks[0]; c++) {
            size_t step = sha3_chunks[c];
            ss_sha3_256_init(&ctx);
            for (size_t at = 0; at < len; at += step)
                ss_sha3_absorb(&ctx, msg + at, len - at < step ? len - at : step);
            ss_sha3_256_final(inc, &ctx);
            ss_sha3_512_init(&ctx);
            for (size_t at = 0; at < len; at += step)
                ss_sha3_absorb(&ctx, msg + at, len - at < step ? len - at : step);
            ss_sha3_512_final(inc + 32, &ctx);
            check(same(one, inc, 96), "sha3", "incremental SHA3 differs from one-shot");
            for (int shake = 0; shake < 2; shake++) {
                if (shake == 0)
                    ss_shake128_init(&ctx);
                else
                    ss_shake256_init(&ctx);
                for (size_t at = 0; at < len; at += step)
                    ss_sha3_absorb(&ctx, msg + at, len - at < step ? len - at : step);
                for (size_t at = 0; at < 200; at += step)
                    ss_shake_squeeze(xof_inc + 200 * shake + at, 200 - at < step ? 200 - at : step,
                                     &ctx);
                ss_sha3_wipe(&ctx);
            }
            check(same(xof, xof_inc, 400), "sha3", "SHAKE in pieces differs from one-shot");
        }
    }
}

/* ---------------------------------------------------------------------- */
/* ML-KEM-768                                                             */
/* ---------------------------------------------------------------------- */

/* KeyGen with d and z secret, Encaps with m secret, Decaps with the whole
 * dk secret, of a valid ciphertext and of a corrupted one (the implicit
 * rejection path: same code, K-bar selected by a mask). ek and the
 * ciphertext are published, so they are declassified before being used
 * as public inputs. */
static void step_mlkem(void)
{
    static uint8_t ek[1184], dk[2400], ct[1088];
    uint8_t d[32], z[32], m[32], k[32], k2[32], k3[32];
    fill(d, 32, 30);
    fill(z, 32, 31);
    fill(m, 32, 32);
    secret(d, 32);
    secret(z, 32);
    ss_mlkem768_keygen_derand(ek, dk, d, z);
    declassify(ek, sizeof ek); /* the public key */

    secret(m, 32);
    int r = ss_mlkem768_encaps_derand(ct, k, ek, m);
    check(r == 0, "mlkem", "encaps refused a valid ek");
    declassify(ct, sizeof ct); /* sent in clear */

    secret(dk, sizeof dk);
    r = ss_mlkem768_decaps(k2, ct, dk);
    check(r == 0, "mlkem", "decaps refused a valid dk");
    check(same(k, k2, 32), "mlkem", "decaps differs from encaps");

    ct[1087] ^= 1; /* implicit rejection */
    secret(dk, sizeof dk);
    r = ss_mlkem768_decaps(k3, ct, dk);
    check(r == 0, "mlkem", "decaps refused a valid dk");
    check(!same(k, k3, 32), "mlkem", "a corrupted ciphertext gave K");
}

static void step_hmac(void)
{
    uint8_t key[MAX_LEN], msg[MAX_LEN], one[32], inc[32];
    ss_hmac_sha256_ctx ctx;
    /* Key lengths 0..MAX_LEN: shorter, equal to and longer than the 64-byte
     * block (longer keys are hashed first, RFC 2104 §2 — a branch on the
     * public length only). */
    for (size_t key_len = 0; key_len <= MAX_LEN; key_len++) {
        size_t len = (key_len * 7) % (MAX_LEN + 1);
        fill(key, sizeof key, 4);
        fill(msg, sizeof msg, 5);
        secret(key, sizeof key);
        secret(msg, sizeof msg);
        ss_hmac_sha256(one, key, key_len, msg, len);
        ss_hmac_sha256_init(&ctx, key, key_len);
        ss_hmac_sha256_update(&ctx, msg, len / 3);
        ss_hmac_sha256_update(&ctx, msg + len / 3, len - len / 3);
        ss_hmac_sha256_final(&ctx, inc);
        check(same(one, inc, 32), "hmac", "incremental differs from one-shot");
    }
}

static void step_hkdf(void)
{
    uint8_t salt[64], ikm[MAX_LEN], info[64], prk[32];
    static uint8_t okm_a[SS_HKDF_SHA256_MAX_OKM], okm_b[SS_HKDF_SHA256_MAX_OKM];
    /* Lengths are public; every byte of ikm, salt, prk, and even info (no
     * reason for HKDF to look at its bytes either), is marked secret. */
    static const size_t okm_lens[] = {0, 1, 31, 32, 33, 64, 100, SS_HKDF_SHA256_MAX_OKM};
    for (size_t k = 0; k < sizeof okm_lens / sizeof okm_lens[0]; k++) {
        size_t okm_len = okm_lens[k];
        size_t ikm_len = (k * 37) % (MAX_LEN + 1);
        size_t salt_len = (k * 11) % (sizeof salt + 1);
        size_t info_len = (k * 13) % (sizeof info + 1);
        fill(salt, sizeof salt, 6);
        fill(ikm, sizeof ikm, 7);
        fill(info, sizeof info, 8);
        secret(salt, sizeof salt);
        secret(ikm, sizeof ikm);
        secret(info, sizeof info);

        ss_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
        /* prk stays secret: it goes straight into expand. */
        int r1 = ss_hkdf_sha256_expand(okm_a, okm_len, prk, sizeof prk, info, info_len);
        int r2 = ss_hkdf_sha256(okm_b, okm_len, salt, salt_len, ikm, ikm_len, info, info_len);
        check(r1 == 0 && r2 == 0, "hkdf", "refused a valid length");
        check(same(okm_a, okm_b, okm_len), "hkdf", "extract+expand differs from one call");
    }
    /* Too long: refused on the public length alone. */
    secret(prk, sizeof prk);
    check(ss_hkdf_sha256_expand(okm_a, SS_HKDF_SHA256_MAX_OKM + 1, prk, sizeof prk, NULL, 0) ==
              -1, "hkdf", "accepted 255*32+1 bytes");
}

/* ---------------------------------------------------------------------- */
/* X25519                                                                 */
/* ---------------------------------------------------------------------- */

static void step_x25519(void)
{
    uint8_t a[32], b[32], pub_a[32], pub_b[32], ab[32], ba[32];
    uint8_t zero_point[32] = {0}, out[32];

    fill(a, 32, 9);
    fill(b, 32, 10);
    secret(a, 32);
    secret(b, 32);
    ss_x25519_public_key(pub_a, a);
    ss_x25519_public_key(pub_b, b);
    /* Public keys are published: public from here on. */
    declassify(pub_a, 32);
    declassify(pub_b, 32);

    /* The shared secret from both ends; the points marked secret too (a
     * peer's key is public, but nothing gives X25519 a reason to branch on
     * the point either, so the stricter check costs nothing). */
    secret(pub_a, 32);
    secret(pub_b, 32);
    check(ss_x25519(ab, a, pub_b) == 0, "x25519", "valid point rejected");
    check(ss_x25519(ba, b, pub_a) == 0, "x25519", "valid point rejected");
    check(same(ab, ba, 32), "x25519", "the two ends disagree");

    /* A low-order point (u = 0): the all-zero result is detected, with the
     * scalar secret and the point secret as well. */
    secret(zero_point, 32);
    check(ss_x25519(out, a, zero_point) == -1, "x25519", "low-order point accepted");

    /* In place: shared may be the point's buffer. */
    memcpy(out, pub_b, 32);
    check(ss_x25519(out, a, out) == 0, "x25519", "valid point rejected (in place)");
    check(same(out, ab, 32), "x25519", "in-place result differs");
}

/* Whether this CPU has BMI2 and ADX, from /proc/cpuinfo (Linux): under
 * valgrind the CPUID instruction does not report them, so cpu.c cannot be
 * asked. */
static int host_has_adx(void)
{
    char line[4096];
    int bmi2 = 0, adx = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        bmi2 = strstr(line, " bmi2") != NULL;
        adx = strstr(line, " adx") != NULL;
        break;
    }
    fclose(f);
    return bmi2 && adx;
}

/*
 * The MULX/ADCX/ADOX ladder (x25519_mulx.c), called directly. Valgrind runs
 * these instructions but its CPUID hides them, so under valgrind cpu.c
 * never chooses this path by itself; calling it here checks its
 * constant-time property all the same. Its result must equal the
 * reference's.
 */
static void step_x25519_mulx(void)
{
#if defined(__x86_64__)
    uint8_t k[32], u[32], want[32], got[32];

    if (!host_has_adx()) {
        printf("ct: x25519_mulx: skipped, this CPU has no BMI2 and ADX\n");
        return;
    }
    fill(k, 32, 11);
    fill(u, 32, 12);
    k[0] &= 248; /* RFC 7748 §5 clamping: the function takes it done */
    k[31] &= 127;
    k[31] |= 64;
    secret(k, 32);
    secret(u, 32);
    check(ss_x25519(want, k, u) == 0, "x25519_mulx", "valid point rejected");
    ss_x25519_ladder_mulx(got, k, u);
    declassify(want, 32);
    declassify(got, 32);
    check(same(got, want, 32), "x25519_mulx", "the MULX ladder differs from ss_x25519");
#else
    printf("ct: x25519_mulx: skipped, not an x86-64 build\n");
#endif
}

/* ---------------------------------------------------------------------- */
/* ChaCha20, Poly1305                                                     */
/* ---------------------------------------------------------------------- */

static void step_chacha20(void)
{
    uint8_t key[32], nonce[12], block[64], zeros[MAX_LEN], in[MAX_LEN], out[MAX_LEN],
        again[MAX_LEN];
    fill(key, 32, 11);
    fill(nonce, 12, 12); /* the nonce and the counter are public */
    secret(key, 32);

    ss_chacha20_block(block, key, 7, nonce);
    /* The keystream is XORed onto zeros: the same 64 bytes. */
    memset(zeros, 0, sizeof zeros);
    ss_chacha20_xor(out, zeros, 64, key, 7, nonce);
    check(same(block, out, 64), "chacha20", "xor of zeros differs from the block");

    for (size_t len = 0; len <= MAX_LEN; len++) {
        fill(in, len, 13);
        secret(in, sizeof in);
        ss_chacha20_xor(out, in, len, key, 1, nonce);
        /* Ciphertext is sent: public. */
        declassify(out, len);
        memcpy(again, out, len);
        ss_chacha20_xor(again, again, len, key, 1, nonce); /* in place */
        check(same(again, in, len), "chacha20", "decryption differs");
    }

    /* Lengths that reach the multi-block fast paths (4 and 8 blocks at a
     * time, src/crypto/chacha20_*.c) and their tails; tests/test_ct.sh runs
     * this program once per path. */
    static const size_t long_lens[] = {255, 256, 511, 512, 1100, 4096 + 17};
    static uint8_t big_in[4096 + 17], big_out[4096 + 17];
    for (size_t k = 0; k < sizeof long_lens / sizeof long_lens[0]; k++) {
        size_t len = long_lens[k];
        fill(big_in, len, 14);
        secret(big_in, len);
        ss_chacha20_xor(big_out, big_in, len, key, 0xfffffff0u, nonce); /* counter wraps */
        declassify(big_out, len);
        ss_chacha20_xor(big_out, big_out, len, key, 0xfffffff0u, nonce);
        check(same(big_out, big_in, len), "chacha20", "long decryption differs");
    }
}

static void step_poly1305(void)
{
    uint8_t key[32], msg[MAX_LEN], one[16], inc[16];
    ss_poly1305_ctx ctx;
    for (size_t len = 0; len <= MAX_LEN; len++) {
        fill(key, 32, 14);
        fill(msg, sizeof msg, 15);
        secret(key, 32);
        secret(msg, sizeof msg);
        ss_poly1305(one, msg, len, key);
        ss_poly1305_init(&ctx, key);
        for (size_t at = 0; at < len; at += 5) /* 5: across 16-byte blocks */
            ss_poly1305_update(&ctx, msg + at, len - at < 5 ? len - at : 5);
        ss_poly1305_final(&ctx, inc);
        check(same(one, inc, 16), "poly1305", "incremental differs from one-shot");
    }

    /* Long enough for the four-block fast path (src/crypto/poly1305_avx2.c,
     * taken by the one-shot call from 28 blocks on), against updates of 15
     * bytes, which always go through the reference. */
    static const size_t long_lens[] = {448, 464, 512, 1000, 4096 + 17};
    static uint8_t big[4096 + 17];
    for (size_t k = 0; k < sizeof long_lens / sizeof long_lens[0]; k++) {
        size_t len = long_lens[k];
        fill(big, len, 16);
        secret(big, len);
        ss_poly1305(one, big, len, key);
        ss_poly1305_init(&ctx, key);
        for (size_t at = 0; at < len; at += 15)
            ss_poly1305_update(&ctx, big + at, len - at < 15 ? len - at : 15);
        ss_poly1305_final(&ctx, inc);
        declassify(one, 16); /* tags are sent: public */
        declassify(inc, 16);
        check(same(one, inc, 16), "poly1305", "long: fast path differs from the reference");
    }
}

/* ---------------------------------------------------------------------- */
/* ChaCha20-Poly1305                                                      */
/* ---------------------------------------------------------------------- */

/* The AEAD inputs of one case: key and plaintext secret; the AD is public
 * in Noise (it is h, or nothing) but is marked secret too, as nothing in
 * the construction has a reason to look at its bytes. */
typedef struct {
    uint8_t key[32], nonce[12], ad[40], pt[MAX_LEN], ct[MAX_LEN], tag[16];
    size_t ad_len, len;
} aead_case;

static void aead_prepare(aead_case *c, size_t len)
{
    c->len = len;
    c->ad_len = len % (sizeof c->ad + 1);
    fill(c->key, 32, 16);
    fill(c->nonce, 12, 17);
    fill(c->ad, sizeof c->ad, 18);
    fill(c->pt, sizeof c->pt, 19);
    secret(c->key, 32);
    secret(c->ad, sizeof c->ad);
    secret(c->pt, sizeof c->pt);
    ss_aead_seal(c->ct, c->tag, c->key, c->nonce, c->ad, c->ad_len, c->pt, len);
    /* Ciphertext and tag are sent: public. */
    declassify(c->ct, len);
    declassify(c->tag, 16);
}

static void step_aead_seal(void)
{
    aead_case c;
    uint8_t buf[MAX_LEN], tag[16];
    for (size_t len = 0; len <= MAX_LEN; len++) {
        aead_prepare(&c, len);
        /* In place gives the same ciphertext and tag. */
        memcpy(buf, c.pt, len);
        ss_aead_seal(buf, tag, c.key, c.nonce, c.ad, c.ad_len, buf, len);
        check(same(buf, c.ct, len) && same(tag, c.tag, 16), "aead_seal", "in place differs");
    }
}

/*
 * ss_aead_open, taken apart: the same four stages as aead.c (RFC 8439
 * §2.8), each with its secrets undefined and NO suppression. This is what
 * the open path computes before its one public decision.
 */
static void step_aead_open_parts(void)
{
    aead_case c;
    uint8_t block[64], expected[16], lengths[16], pt[MAX_LEN];
    static const uint8_t zero_pad[16];
    ss_poly1305_ctx ctx;
    for (size_t len = 0; len <= MAX_LEN; len++) {
        aead_prepare(&c, len);
        /* §2.6: the one-time Poly1305 key, block 0 (secret). */
        ss_chacha20_block(block, c.key, 0, c.nonce);
        /* §2.8: the expected tag over AD and the RECEIVED ciphertext. */
        ss_poly1305_init(&ctx, block);
        ss_poly1305_update(&ctx, c.ad, c.ad_len);
        ss_poly1305_update(&ctx, zero_pad, (16 - c.ad_len % 16) % 16);
        ss_poly1305_update(&ctx, c.ct, len);
        ss_poly1305_update(&ctx, zero_pad, (16 - len % 16) % 16);
        ss_store64_le(lengths, (uint64_t)c.ad_len);
        ss_store64_le(lengths + 8, (uint64_t)len);
        ss_poly1305_update(&ctx, lengths, 16);
        ss_poly1305_final(&ctx, expected);
        /* The comparison, in constant time, with the expected tag secret
         * (it is what a forger wants) and the received one mangled in its
         * last byte every other time. */
        if (len % 2)
            c.tag[15] ^= 1;
        int r = ss_ct_verify(expected, c.tag, 16);
        /* Here ss_aead_open makes its decision: from here on r is public. */
        declassify(&r, sizeof r);
        check(r == (len % 2 ? -1 : 0), "aead_open_parts", "wrong verdict");
        /* The decryption, from counter 1. */
        ss_chacha20_xor(pt, c.ct, len, c.key, 1, c.nonce);
        check(same(pt, c.pt, len), "aead_open_parts", "decryption differs");
    }
}

/*
 * ss_aead_open itself, whole: accepted, forged tag, forged ciphertext. Its
 * one branch on the decision is the only error allowed (ct.supp); the
 * result arrives declassified by the wrapper above.
 *
 * The last line printed is for tests/test_ct.sh's run without ct.supp:
 * there, memcheck must report a single instruction of ss_aead_open, AND
 * one error per call. A single instruction alone is not enough: an
 * early-exit comparison loop ("stop at the first differing byte", the
 * leak ss_ct_verify exists to avoid) is also one branch instruction, but
 * it runs up to 16 times per call, each time on a secret byte.
 */
static void step_aead_open(void)
{
    aead_case c;
    uint8_t pt[MAX_LEN], zeros[MAX_LEN] = {0};
    unsigned long calls = open_calls, errors = open_errors;
    for (size_t len = 0; len <= MAX_LEN; len++) {
        aead_prepare(&c, len);
        check(ss_aead_open(pt, c.key, c.nonce, c.ad, c.ad_len, c.ct, len, c.tag) == 0,
              "aead_open", "authentic message rejected");
        check(same(pt, c.pt, len), "aead_open", "wrong plaintext");

        c.tag[len % 16] ^= 0x01;
        check(ss_aead_open(pt, c.key, c.nonce, c.ad, c.ad_len, c.ct, len, c.tag) == -1,
              "aead_open", "forged tag accepted");
        check(same(pt, zeros, len), "aead_open", "rejected plaintext not zeroed");
        c.tag[len % 16] ^= 0x01;

        if (len > 0) {
            c.ct[len - 1] ^= 0x80;
            memcpy(pt, c.ct, len);
            /* In place, on the forged ciphertext. */
            check(ss_aead_open(pt, c.key, c.nonce, c.ad, c.ad_len, pt, len, c.tag) == -1,
                  "aead_open", "forged ciphertext accepted");
            check(same(pt, zeros, len), "aead_open", "rejected plaintext not zeroed");
        }
    }
    printf("ct: aead_open: %lu calls, %lu errors inside them\n", open_calls - calls,
           open_errors - errors);
}

/* ---------------------------------------------------------------------- */
/* Key files (net/keys.c)                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Base64 of a secret (keys.c): how ss_keypair_save writes a private key,
 * in both of its formats (PEM is base64 of a DER wrapping of the key). The
 * decoder is not run with secrets here: keys.h documents two branches it
 * makes on purpose (on whether the last two characters are '=', and on
 * the final verdict), which would need their own declassification.
 */
static void step_base64(void)
{
    uint8_t in[MAX_LEN];
    char text[4 * ((MAX_LEN + 2) / 3) + 1];
    for (size_t len = 0; len <= MAX_LEN; len++) {
        fill(in, len, 24);
        secret(in, sizeof in);
        size_t n = ss_base64_encode(text, in, len);
        check(n == 4 * ((len + 2) / 3), "base64", "wrong length");
    }
}

/* ---------------------------------------------------------------------- */
/* Noise handshakes and transport (net/noise.h)                           */
/* ---------------------------------------------------------------------- */

/* A key pair with a secret private half; the public half is computed by
 * the library and then published. */
static void make_keypair(ss_keypair *kp, unsigned seed)
{
    fill(kp->secret_key, 32, seed);
    secret(kp->secret_key, 32);
    ss_x25519_public_key(kp->public_key, kp->secret_key);
    declassify(kp->public_key, 32);
}

/* One transport message from `from` to `to`: plaintext secret, ciphertext
 * declassified as it goes on the wire; then the same frame tampered with,
 * which must be refused with zeros and without advancing the counter. */
static void transport(const char *step, ss_cipher_state *from, ss_cipher_state *to, size_t len,
                      unsigned seed)
{
    static uint8_t pt[1000], wire[1000 + 16], back[1000];
    uint8_t zeros[sizeof back];
    fill(pt, len, seed);
    secret(pt, sizeof pt);
    check(ss_cipher_encrypt(from, wire, NULL, 0, pt, len) == SS_OK, step, "encrypt failed");
    declassify(wire, len + 16);

    wire[len / 2] ^= 0x04; /* a bit flipped on the way */
    check(ss_cipher_decrypt(to, back, NULL, 0, wire, len + 16) == SS_ERR_TAMPERED, step,
          "tampered frame accepted");
    memset(zeros, 0, len);
    check(same(back, zeros, len), step, "tampered frame not zeroed");
    wire[len / 2] ^= 0x04;

    check(ss_cipher_decrypt(to, back, NULL, 0, wire, len + 16) == SS_OK, step,
          "authentic frame refused");
    check(same(back, pt, len), step, "transport plaintext differs");
}

/*
 * A whole handshake of pattern p between an initiator and a responder in
 * this process, then transport both ways with the split keys.
 *
 * Secret: every private key (static and ephemeral: the ephemeral pairs are
 * fixed with ss_handshake_set_ephemeral, as random ones from the kernel
 * would be "defined" for memcheck and so not checked), and every payload.
 * Declassified: public keys (published), and each handshake message as it
 * leaves its writer (it is what travels on the wire). Everything derived
 * inside — DH results, ck, the cipher keys, the writer's h — stays secret.
 *
 * The hybrid forms (hfs) add the KEM: the initiator's ML-KEM key pair e1,
 * generated from secret seeds d and z, its decapsulation key secret but for
 * the public key inside it (dk = dk_PKE || ek || H(ek) || z, FIPS 203
 * §7.1; ek is sent), and the responder's secret encapsulation randomness
 * m; the shared secret they agree on stays secret. (SampleNTT's seed and
 * the key checks' verdicts are public by design: the wrappers above
 * declassify them.) The KEM public key the responder receives is
 * declassified as it arrives (see the loop): in NKhfs it comes out of a
 * decryption under a secret key, but it is a public key.
 */
static void set_kem_secrets(ss_handshake *ini, ss_handshake *res)
{
    uint8_t d[32], z[32], m[32], ek[SS_NOISE_KEM_PUBLIC_LEN], dk[SS_NOISE_KEM_SECRET_LEN];
    fill(d, 32, 24);
    fill(z, 32, 25);
    fill(m, 32, 26);
    secret(d, 32);
    secret(z, 32);
    secret(m, 32);
    check(ss_mlkem768_keygen_derand(ek, dk, d, z) == 0, "kem", "keygen");
    declassify(dk + 1152, SS_NOISE_KEM_PUBLIC_LEN); /* ek, published in e1 */
    ss_handshake_set_kem_ephemeral(ini, dk);
    ss_handshake_set_kem_randomness(res, m);
    ss_wipe(d, 32);
    ss_wipe(z, 32);
    ss_wipe(m, 32);
    ss_wipe(dk, sizeof dk);
}

static void handshake(const char *step, ss_noise_pattern p)
{
    ss_keypair i_s, r_s, i_e, r_e;
    static ss_handshake ini, res;
    ss_cipher_state i_send, i_recv, r_send, r_recv;
    uint8_t i_h[32], r_h[32], k1[32], k2[32];
    static uint8_t payload[100], msg[2048], got[2048];
    size_t msg_len, got_len;
    ss_noise_pattern base = ss_noise_classical(p);
    int has_is = base == SS_NOISE_XX, has_rs = base != SS_NOISE_NN;

    make_keypair(&i_s, 20);
    make_keypair(&r_s, 21);
    make_keypair(&i_e, 22);
    make_keypair(&r_e, 23);

    check(ss_handshake_init(&ini, p, 1, (const uint8_t *)"ct", 2, has_is ? &i_s : NULL,
                            base == SS_NOISE_NK ? r_s.public_key : NULL, NULL, NULL) == SS_OK,
          step, "initiator init");
    check(ss_handshake_init(&res, p, 0, (const uint8_t *)"ct", 2, has_rs ? &r_s : NULL, NULL,
                            NULL, NULL) == SS_OK,
          step, "responder init");
    ss_handshake_set_ephemeral(&ini, &i_e);
    ss_handshake_set_ephemeral(&res, &r_e);
    if (ss_noise_is_hybrid(p))
        set_kem_secrets(&ini, &res);

    for (unsigned m = 0; !ss_handshake_done(&ini) && m < 3; m++) {
        ss_handshake *writer = ss_handshake_my_turn(&ini) ? &ini : &res;
        ss_handshake *reader = writer == &ini ? &res : &ini;
        size_t payload_len = 10 + 40 * m;
        fill(payload, payload_len, 30 + m);
        secret(payload, sizeof payload);
        check(ss_handshake_write(writer, msg, sizeof msg, &msg_len, payload, payload_len) ==
                  SS_OK, step, "write failed");
        /* On the wire: public. */
        declassify(msg, msg_len);
        check(ss_handshake_read(reader, got, sizeof got, &got_len, msg, msg_len) == SS_OK, step,
              "read failed");
        if (res.has_re1)
            declassify(res.re1, sizeof res.re1); /* a public key (set_kem_secrets) */
        check(got_len == payload_len && same(got, payload, payload_len), step,
              "payload differs");
    }
    check(ss_handshake_done(&ini) && ss_handshake_done(&res), step, "not done");

    ss_handshake_split(&ini, &i_send, &i_recv, i_h);
    ss_handshake_split(&res, &r_send, &r_recv, r_h);
    /* h is the transcript hash (public for the reader, who hashed what it
     * received; secret-derived for the writer, who hashed what it
     * encrypted); handed out for channel binding, compared here. */
    check(same(i_h, r_h, 32), step, "handshake hashes differ");
    /* The split keys: derived from the DH results, so already undefined;
     * marked once more to state it. Copies are compared. */
    secret(i_send.k, 32);
    secret(i_recv.k, 32);
    secret(r_send.k, 32);
    secret(r_recv.k, 32);
    memcpy(k1, i_send.k, 32);
    memcpy(k2, r_recv.k, 32);
    check(same(k1, k2, 32), step, "initiator->responder keys differ");
    memcpy(k1, r_send.k, 32);
    memcpy(k2, i_recv.k, 32);
    check(same(k1, k2, 32), step, "responder->initiator keys differ");

    static const size_t lens[] = {0, 1, 63, 64, 65, 1000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        transport(step, &i_send, &r_recv, lens[i], 40 + (unsigned)i);
        transport(step, &r_send, &i_recv, lens[i], 50 + (unsigned)i);
    }
    ss_keypair_wipe(&i_s);
    ss_keypair_wipe(&r_s);
    ss_keypair_wipe(&i_e);
    ss_keypair_wipe(&r_e);
}

static void step_noise_nn(void)
{
    handshake("noise_nn", SS_NOISE_NN);
}

static void step_noise_nk(void)
{
    handshake("noise_nk", SS_NOISE_NK);
}

static void step_noise_xx(void)
{
    handshake("noise_xx", SS_NOISE_XX);
}

static void step_noise_nnhfs(void)
{
    handshake("noise_nnhfs", SS_NOISE_NN_HFS);
}

static void step_noise_nkhfs(void)
{
    handshake("noise_nkhfs", SS_NOISE_NK_HFS);
}

static void step_noise_xxhfs(void)
{
    handshake("noise_xxhfs", SS_NOISE_XX_HFS);
}

/* ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} steps[] = {
    {"ct_verify", step_ct_verify},
    {"wipe", step_wipe},
    {"sha256", step_sha256},
    {"sha3", step_sha3},
    {"mlkem", step_mlkem},
    {"hmac", step_hmac},
    {"hkdf", step_hkdf},
    {"x25519", step_x25519},
    {"x25519_mulx", step_x25519_mulx},
    {"chacha20", step_chacha20},
    {"poly1305", step_poly1305},
    {"aead_seal", step_aead_seal},
    {"aead_open_parts", step_aead_open_parts},
    {"aead_open", step_aead_open},
    {"base64", step_base64},
    {"noise_nn", step_noise_nn},
    {"noise_nk", step_noise_nk},
    {"noise_xx", step_noise_xx},
    {"noise_nnhfs", step_noise_nnhfs},
    {"noise_nkhfs", step_noise_nkhfs},
    {"noise_xxhfs", step_noise_xxhfs},
};

#define STEP_COUNT (sizeof steps / sizeof steps[0])

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int ran = 0;
    if (!RUNNING_ON_VALGRIND)
        printf("ct: not under valgrind: the steps run, but nothing is checked\n");
    for (size_t i = 0; i < STEP_COUNT; i++) {
        if (!wanted(steps[i].name, argc, argv))
            continue;
        printf("ct: %s\n", steps[i].name);
        fflush(stdout); /* the name before any valgrind report about it */
        steps[i].run();
        ran++;
    }
    if (ran == 0 || ran < argc - 1) {
        fprintf(stderr, "ct: unknown step name\n");
        return 2;
    }
    return failures == 0 ? 0 : 1;
}
