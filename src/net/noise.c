/*
 * noise.c — the Noise handshake: CipherState, SymmetricState and
 * HandshakeState from The Noise Protocol Framework, revision 34 (§5), for
 * exactly six protocols:
 *
 *     Noise_NN_25519_ChaChaPoly_SHA256
 *     Noise_NK_25519_ChaChaPoly_SHA256
 *     Noise_XX_25519_ChaChaPoly_SHA256
 *     Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256
 *     Noise_NKhfs_25519+MLKEM768_ChaChaPoly_SHA256
 *     Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256
 *
 * the last three with the "hfs" modifier of "KEM-based Hybrid Forward
 * Secrecy for Noise" (Trevor Perrin, revision 1, 2018; "hfs" below), with
 * ML-KEM-768 (FIPS 203) as the KEM.
 *
 * Course position: this is where the primitives of src/crypto become a key
 * exchange. Read it beside §5 of the spec; every function below is named
 * after the spec operation it performs. conn.c drives these objects over
 * TCP frames; the tests drive them with the fixed keys of the official Noise
 * test vectors. Course chapter: docs/handshake.md.
 *
 * The three handshake patterns (§7.1, §7.5). "->" is a message from the
 * initiator (client) to the responder (server), "<-" the other way; the
 * line above "..." is a pre-message, a key known before the handshake:
 *
 *     NN:                   NK:                   XX:
 *       -> e                  <- s                  -> e
 *       <- e, ee              ...                   <- e, ee, s, es
 *                             -> e, es              -> s, se
 *                             <- e, ee
 *
 * Their hybrid forms (hfs §5: e1 right after the first e, or after the DH
 * of that message if it has one, so that the KEM public key is encrypted;
 * ekem1 right after the first ee):
 *
 *     NNhfs:                NKhfs:                XXhfs:
 *       -> e, e1              <- s                  -> e, e1
 *       <- e, ee, ekem1       ...                   <- e, ee, ekem1, s, es
 *                             -> e, es, e1          -> s, se
 *                             <- e, ee, ekem1
 *
 * The tokens (§5.3):
 *     e    send a fresh ephemeral public key, in clear, and hash it;
 *     s    send our static public key, encrypted once a key exists;
 *     ee   Diffie-Hellman between the two ephemeral keys,
 *     es   between the initiator's ephemeral and the responder's static key,
 *     se   between the initiator's static and the responder's ephemeral key;
 *          each DH result is fed to MixKey, which derives a new cipher key.
 * and (hfs §4):
 *     e1     send a fresh KEM public key, like s: encrypted once a key
 *            exists (EncryptAndHash);
 *     ekem1  encapsulate to the peer's KEM public key, send the ciphertext
 *            with EncryptAndHash, and MixKey(the KEM's shared secret); the
 *            receiver decapsulates and calls the same MixKey.
 * Every message ends with the payload, encrypted once a key exists.
 *
 * The crypto functions (§12): DH = X25519 (x25519.c, §12.1); ENCRYPT and
 * DECRYPT = ChaCha20-Poly1305 (aead.c) with the nonce 0^32 || LE64(n)
 * (§12.3); HASH = SHA-256 (sha256.c, §12.5); HMAC-HASH = HMAC-SHA256
 * (hmac.c). DHLEN = HASHLEN = 32. The KEM (hfs §3) is ML-KEM-768
 * (mlkem.c): GENERATE_KEM_KEYPAIR = ML-KEM.KeyGen, GENERATE_KEM_CIPHERTEXT
 * = ML-KEM.Encaps, KEM = ML-KEM.Decaps; KEMPUBLICKEYLEN = 1184,
 * KEMCIPHERTEXTLEN = 1088, KEMOUTPUTLEN = 32.
 *
 * Representation: every key, h and ck is a 32-byte string, n a uint64_t;
 * a pattern is a small table of token arrays, one array per message, and a
 * handshake is "which pattern, which role, how many messages done"
 * (msg_index). One write loop and one read loop walk the table.
 *
 * Errors: every function returns SS_OK or the ss_error that says why the
 * handshake must end. A call made at the wrong time (not our turn, after the
 * end) is refused with SS_ERR_ARGUMENT and changes nothing; any failure
 * while processing a message (bad size, failed tag, low-order key, no
 * randomness) wipes the handshake, as §5 says: "If any error is signaled by
 * the DECRYPT() or DH() functions then the handshake has failed and the
 * HandshakeState is deleted."
 *
 * Trace: with a trace callback, every step is reported as one line as it
 * happens, e.g.
 *     initiator -> msg 1 write: token e: e.pub = ca35...
 *     initiator <- msg 2 read: MixKey: ck = 8e95..., k = dc1a...
 * These lines contain secret keys. They exist for learning only.
 */
#include "noise.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../crypto/aead.h"
#include "../crypto/hmac.h"
#include "../crypto/mlkem.h"
#include "../crypto/random.h"
#include "../crypto/sha256.h"
#include "../crypto/util.h"
#include "../crypto/x25519.h"

#define DHLEN 32   /* §12.1: X25519 public keys and DH outputs */
#define HASHLEN 32 /* §12.5: SHA-256 */
#define TAGLEN 16  /* §4.2: a ciphertext is the plaintext plus 16 bytes */
#define KEMPUBLICKEYLEN SS_NOISE_KEM_PUBLIC_LEN      /* hfs §3: ML-KEM-768 ek */
#define KEMCIPHERTEXTLEN SS_NOISE_KEM_CIPHERTEXT_LEN /* ML-KEM-768 ciphertext */
#define KEMOUTPUTLEN SS_NOISE_KEM_OUTPUT_LEN         /* ML-KEM's shared secret */

/* ---------------------------------------------------------------------- */
/* The patterns, as data                                                  */
/* ---------------------------------------------------------------------- */

/* The tokens of a message pattern (§7.1, hfs §4). END closes a message's
 * list. */
enum { END, E, S, EE, ES, SE, E1, EKEM1 };

#define MAX_MESSAGES 3 /* XX has three messages */
#define MAX_TOKENS 5   /* XXhfs's "<- e, ee, ekem1, s, es" has five tokens */

/* The protocol names (§8). Each is exactly HASHLEN = 32 bytes long, which
 * matters in initialize_symmetric() below. */
#define NAME_NN "Noise_NN_25519_ChaChaPoly_SHA256"
#define NAME_NK "Noise_NK_25519_ChaChaPoly_SHA256"
#define NAME_XX "Noise_XX_25519_ChaChaPoly_SHA256"
/* hfs §5: "the DH name section must contain a KEM algorithm name directly
 * following the DH algorithm name, separated by a plus sign". §8 allows
 * only alphanumerics and '/' in a name, hence "MLKEM768" (the name the
 * libp2p drafts use too). These are 44 bytes: longer than HASHLEN. */
#define NAME_NN_HFS "Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256"
#define NAME_NK_HFS "Noise_NKhfs_25519+MLKEM768_ChaChaPoly_SHA256"
#define NAME_XX_HFS "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256"

/*
 * A handshake pattern. The two letters of its name (§7.5) say what each
 * side's static key is: 'N' no static key, 'K' known to the other side
 * before the handshake (a pre-message), 'X' transmitted during it. They are
 * stored here because Initialize needs them: which key pairs to ask for,
 * and which pre-message keys to hash.
 */
typedef struct {
    const char *protocol_name;
    char initiator_static; /* first letter of the pattern name */
    char responder_static; /* second letter */
    int message_count;
    uint8_t messages[MAX_MESSAGES][MAX_TOKENS + 1]; /* each ends with END */
    ss_noise_pattern classical, hybrid; /* the pattern without and with hfs */
} pattern;

static const pattern patterns[] = {
    /* NN:  -> e  /  <- e, ee */
    [SS_NOISE_NN] = {NAME_NN, 'N', 'N', 2, {{E}, {E, EE}}, SS_NOISE_NN, SS_NOISE_NN_HFS},
    /* NK:  <- s  ...  -> e, es  /  <- e, ee */
    [SS_NOISE_NK] = {NAME_NK, 'N', 'K', 2, {{E, ES}, {E, EE}}, SS_NOISE_NK, SS_NOISE_NK_HFS},
    /* XX:  -> e  /  <- e, ee, s, es  /  -> s, se */
    [SS_NOISE_XX] = {NAME_XX, 'X', 'X', 3, {{E}, {E, EE, S, ES}, {S, SE}}, SS_NOISE_XX,
                     SS_NOISE_XX_HFS},
    /* NNhfs:  -> e, e1  /  <- e, ee, ekem1 */
    [SS_NOISE_NN_HFS] = {NAME_NN_HFS, 'N', 'N', 2, {{E, E1}, {E, EE, EKEM1}}, SS_NOISE_NN,
                         SS_NOISE_NN_HFS},
    /* NKhfs:  <- s  ...  -> e, es, e1  /  <- e, ee, ekem1 */
    [SS_NOISE_NK_HFS] = {NAME_NK_HFS, 'N', 'K', 2, {{E, ES, E1}, {E, EE, EKEM1}}, SS_NOISE_NK,
                         SS_NOISE_NK_HFS},
    /* XXhfs:  -> e, e1  /  <- e, ee, ekem1, s, es  /  -> s, se */
    [SS_NOISE_XX_HFS] = {NAME_XX_HFS, 'X', 'X', 3, {{E, E1}, {E, EE, EKEM1, S, ES}, {S, SE}},
                         SS_NOISE_XX, SS_NOISE_XX_HFS},
};

#define PATTERN_COUNT (sizeof patterns / sizeof patterns[0])

/* msg_index of a handshake that failed, was split or was wiped: no
 * message may be written or read any more. */
#define HANDSHAKE_OVER (-1)

/* What the handshake is doing, for the prefix of trace lines. */
enum { PHASE_SETUP, PHASE_WRITE, PHASE_READ, PHASE_SPLIT };

static const pattern *pattern_of(const ss_handshake *hs)
{
    return &patterns[hs->pattern];
}

/* The token list of the message being processed (or next to be). */
static const uint8_t *current_message(const ss_handshake *hs)
{
    return pattern_of(hs)->messages[hs->msg_index];
}

/* 1 while some message remains to be written or read. */
static int in_progress(const ss_handshake *hs)
{
    return hs->msg_index >= 0 && hs->msg_index < pattern_of(hs)->message_count;
}

/* ---------------------------------------------------------------------- */
/* Trace                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Hex digits computed without a table. A lookup "0123456789abcdef"[x] would
 * make the memory address depend on the (secret) nibble; the trace prints
 * the value anyway, but the project's rule (no secret-dependent index) has
 * no exceptions. For a nibble x, (9u - x) >> 8 is 0 when x <= 9 and
 * 0x00ffffff when x >= 10 (9u - x has wrapped around below zero); masked
 * with 39 it adds 0 or 39, and '0' + 10 + 39 = 'a'.
 */
static void to_hex(char out[2 * 32 + 1], const uint8_t v[32])
{
    for (size_t i = 0; i < 2 * 32; i++) {
        unsigned x = (i % 2 == 0) ? v[i / 2] >> 4 : v[i / 2] & 0xfu;
        out[i] = (char)('0' + x + (((9u - x) >> 8) & 39u));
    }
    out[2 * 32] = '\0';
}

/* Reports one line: "<role> <where>: <text>", where is "setup", "end" or
 * the message ("-> msg 1 write"). Does nothing without a trace callback.
 * The format attribute lets the compiler check every call's arguments. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void trace(const ss_handshake *hs, const char *fmt, ...)
{
    char line[512];
    size_t used;
    va_list ap;
    const char *role = hs->initiator ? "initiator" : "responder";
    if (hs->trace == NULL)
        return;
    if (hs->phase == PHASE_WRITE || hs->phase == PHASE_READ) {
        /* §7.1: msg 1, 3, ... (even msg_index) go initiator -> responder. */
        snprintf(line, sizeof line, "%s %s msg %d %s: ", role,
                 hs->msg_index % 2 == 0 ? "->" : "<-", hs->msg_index + 1,
                 hs->phase == PHASE_WRITE ? "write" : "read");
    } else {
        snprintf(line, sizeof line, "%s %s: ", role,
                 hs->phase == PHASE_SPLIT ? "end" : "setup");
    }
    used = strlen(line);
    va_start(ap, fmt);
    vsnprintf(line + used, sizeof line - used, fmt, ap);
    va_end(ap);
    hs->trace(hs->trace_arg, line);
    /* The line may hold a key in hex: it must not linger on the stack. */
    ss_wipe(line, sizeof line);
}

/* "<step>: <name1> = <hex>" or "<step>: <name1> = <hex>, <name2> = <hex>"
 * (name2/v2 NULL for a single value). */
static void trace_values(const ss_handshake *hs, const char *step, const char *name1,
                         const uint8_t v1[32], const char *name2, const uint8_t v2[32])
{
    char hex1[2 * 32 + 1], hex2[2 * 32 + 1];
    if (hs->trace == NULL)
        return; /* do not even format secrets when nobody asked */
    to_hex(hex1, v1);
    if (name2 == NULL) {
        trace(hs, "%s: %s = %s", step, name1, hex1);
    } else {
        to_hex(hex2, v2);
        trace(hs, "%s: %s = %s, %s = %s", step, name1, hex1, name2, hex2);
        ss_wipe(hex2, sizeof hex2);
    }
    ss_wipe(hex1, sizeof hex1);
}

/* "<step>: <name> = <hex of the first 32 bytes>... (<len> bytes)", for the
 * KEM's public keys and ciphertexts, too long for one line. */
static void trace_long(const ss_handshake *hs, const char *step, const char *name,
                       const uint8_t *v, size_t len)
{
    char hex[2 * 32 + 1];
    if (hs->trace == NULL)
        return;
    to_hex(hex, v);
    trace(hs, "%s: %s = %s... (%zu bytes)", step, name, hex, len);
}

/* ---------------------------------------------------------------------- */
/* §5.1 CipherState: k, n                                                 */
/* ---------------------------------------------------------------------- */

/* §12.3: the 96-bit ChaCha20-Poly1305 nonce is 32 bits of zeros, then n as
 * a 64-bit little-endian number. */
static void chachapoly_nonce(uint8_t nonce[12], uint64_t n)
{
    memset(nonce, 0, 4);
    ss_store64_le(nonce + 4, n);
}

/* §5.1 InitializeKey(key): k = key, n = 0. */
static void initialize_key(ss_cipher_state *cs, const uint8_t key[32])
{
    memcpy(cs->k, key, 32);
    cs->n = 0;
    cs->has_key = 1;
}

/*
 * §5.1 EncryptWithAd(ad, plaintext) with a key: ENCRYPT(k, n++, ad,
 * plaintext). (Without a key EncryptWithAd returns the plaintext; only the
 * handshake meets that case, in encrypt_and_hash() below. A transport
 * cipher state always has its key, so this function insists on one.)
 * out may equal plaintext.
 */
int ss_cipher_encrypt(ss_cipher_state *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                      const uint8_t *plaintext, size_t len)
{
    uint8_t nonce[12];
    if (cs == NULL || out == NULL || !cs->has_key || (ad == NULL && ad_len != 0) ||
        (plaintext == NULL && len != 0))
        return SS_ERR_ARGUMENT;
    /* §3: a Noise message, ciphertext and tag, is at most 65535 bytes. */
    if (len > SS_NOISE_MAX_MESSAGE - TAGLEN)
        return SS_ERR_ARGUMENT;
    /*
     * §5.1: "The maximum n value (2^64-1) is reserved for other use" (the
     * default REKEY of §4.2 encrypts with it). So n = 2^64-1 means the key
     * is used up. Wrapping to 0 instead would encrypt two messages with
     * the same (key, nonce): their XOR would leak, and the Poly1305 key
     * would repeat, which lets an attacker forge tags.
     */
    if (cs->n == UINT64_MAX)
        return SS_ERR_NONCE_EXHAUSTED;
    chachapoly_nonce(nonce, cs->n);
    if (ss_aead_seal(out, out + len, cs->k, nonce, ad, ad_len, plaintext, len) != 0)
        return SS_ERR_ARGUMENT; /* past RFC 8439's limit: unreachable after §3's */
    cs->n++;
    return SS_OK;
}

/*
 * §5.1 DecryptWithAd(ad, ciphertext) with a key: DECRYPT(k, n++, ad,
 * ciphertext). in = ciphertext || tag. out may equal in.
 */
int ss_cipher_decrypt(ss_cipher_state *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                      const uint8_t *in, size_t in_len)
{
    uint8_t nonce[12];
    size_t len;
    if (cs == NULL || !cs->has_key || (ad == NULL && ad_len != 0) || (in == NULL && in_len != 0))
        return SS_ERR_ARGUMENT;
    /* Too short to hold a tag, or longer than any Noise message (§3). */
    if (in_len < TAGLEN || in_len > SS_NOISE_MAX_MESSAGE)
        return SS_ERR_BAD_FRAME;
    len = in_len - TAGLEN;
    if (out == NULL && len != 0)
        return SS_ERR_ARGUMENT;
    /* §5.1: once n reaches 2^64-1, DecryptWithAd signals an error too. */
    if (cs->n == UINT64_MAX)
        return SS_ERR_NONCE_EXHAUSTED;
    chachapoly_nonce(nonce, cs->n);
    /* ss_aead_open checks the tag in constant time before releasing any
     * plaintext; on failure it zeroes out. §5.1: "If an authentication
     * failure occurs in DECRYPT() then n is not incremented", so a forged
     * message cannot push the receiver's counter out of step. */
    if (ss_aead_open(out, cs->k, nonce, ad, ad_len, in, len, in + len) != 0)
        return SS_ERR_TAMPERED;
    cs->n++;
    return SS_OK;
}

/* ---------------------------------------------------------------------- */
/* §4.3 HKDF and §5.2 SymmetricState: ck, h, and a CipherState            */
/* ---------------------------------------------------------------------- */

/*
 * §4.3 HKDF(chaining_key, input_key_material, 2):
 *     temp_key = HMAC-HASH(chaining_key, input_key_material)
 *     output1  = HMAC-HASH(temp_key, byte(0x01))
 *     output2  = HMAC-HASH(temp_key, output1 || byte(0x02))
 *
 * The three-output form (output3 = HMAC-HASH(temp_key, output2 ||
 * byte(0x03))) serves only MixKeyAndHash, which only pre-shared-key
 * patterns (§9) use; SSockets has none, so it is not written.
 *
 * Why not hkdf.c? §4.3 itself notes that this is RFC 5869 HKDF with the
 * chaining key as salt, empty info and 64 bytes of output, so
 * ss_hkdf_sha256(out, 64, ck, 32, ikm, len, NULL, 0) would give
 * output1 || output2. We spell out §4.3's three lines instead so that each
 * can be checked against the spec by eye, and so that the outputs land
 * directly in ck and k without a 64-byte buffer to split and wipe. The
 * chaining key plays the salt, not the input: it is the secret state that
 * accumulates every DH, and each new DH result is mixed into it.
 *
 * output1 may be the same buffer as chaining_key (MixKey writes the new ck
 * over the old): chaining_key is read only in the first line.
 */
static void hkdf(uint8_t output1[32], uint8_t output2[32], const uint8_t chaining_key[32],
                 const uint8_t *input_key_material, size_t ikm_len)
{
    uint8_t temp_key[HASHLEN];
    uint8_t block[HASHLEN + 1]; /* output1 || byte(0x02) */

    ss_hmac_sha256(temp_key, chaining_key, HASHLEN, input_key_material, ikm_len);
    block[0] = 0x01;
    ss_hmac_sha256(output1, temp_key, HASHLEN, block, 1);
    memcpy(block, output1, HASHLEN);
    block[HASHLEN] = 0x02;
    ss_hmac_sha256(output2, temp_key, HASHLEN, block, sizeof block);

    ss_wipe(temp_key, sizeof temp_key);
    ss_wipe(block, sizeof block);
}

/*
 * §5.2 InitializeSymmetric(protocol_name): a name of at most HASHLEN bytes
 * becomes h directly, padded with zeros; a longer one is hashed, h =
 * HASH(protocol_name). ck = h; the cipher key is empty. The three
 * classical names are exactly 32 bytes and take the first way; the hfs
 * names, 44 bytes, the second (checked at compile time below).
 */
_Static_assert(sizeof NAME_NN - 1 <= HASHLEN && sizeof NAME_NK - 1 <= HASHLEN &&
                   sizeof NAME_XX - 1 <= HASHLEN,
               "classical protocol names fit in HASHLEN bytes");
_Static_assert(sizeof NAME_NN_HFS - 1 > HASHLEN && sizeof NAME_NN_HFS <= SS_NOISE_NAME_MAX &&
                   sizeof NAME_NK_HFS == sizeof NAME_NN_HFS &&
                   sizeof NAME_XX_HFS == sizeof NAME_NN_HFS,
               "hfs protocol names are hashed, and fit SS_NOISE_NAME_MAX");

static void initialize_symmetric(ss_handshake *hs, const char *protocol_name)
{
    ss_symmetric_state *sym = &hs->sym;
    size_t len = strlen(protocol_name);
    memset(sym->h, 0, HASHLEN);
    if (len <= HASHLEN)
        memcpy(sym->h, protocol_name, len);
    else
        ss_sha256(sym->h, (const uint8_t *)protocol_name, len);
    memcpy(sym->ck, sym->h, HASHLEN);
    ss_wipe(&sym->cs, sizeof sym->cs); /* InitializeKey(empty) */
    trace(hs, "protocol_name = %s", protocol_name);
    trace_values(hs, "InitializeSymmetric", "h = ck", sym->h, NULL, NULL);
}

/* §5.2 MixHash(data): h = HASH(h || data). Hashing the transcript into h,
 * which is then the AD of every encryption, is what makes each ciphertext
 * authenticate everything sent and received before it. */
static void mix_hash(ss_handshake *hs, const uint8_t *data, size_t len)
{
    ss_sha256_ctx ctx;
    ss_sha256_init(&ctx);
    ss_sha256_update(&ctx, hs->sym.h, HASHLEN);
    ss_sha256_update(&ctx, data, len);
    ss_sha256_final(&ctx, hs->sym.h); /* final also wipes ctx */
    trace_values(hs, "MixHash", "h", hs->sym.h, NULL, NULL);
}

/* §5.2 MixKey(input_key_material): ck, temp_k = HKDF(ck, ikm, 2);
 * InitializeKey(temp_k). From here on, payloads and static keys are
 * encrypted (and n restarts at 0 under the new key). */
static void mix_key(ss_handshake *hs, const uint8_t *input_key_material, size_t len)
{
    uint8_t temp_k[32];
    hkdf(hs->sym.ck, temp_k, hs->sym.ck, input_key_material, len);
    initialize_key(&hs->sym.cs, temp_k);
    ss_wipe(temp_k, sizeof temp_k);
    trace_values(hs, "MixKey", "ck", hs->sym.ck, "k", hs->sym.cs.k);
}

/*
 * §5.2 EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext);
 * MixHash(ciphertext). Before the first MixKey there is no key, and §5.1's
 * EncryptWithAd returns the plaintext unchanged: in NN and XX the first
 * payload travels in clear. what names the field for the trace.
 */
static int encrypt_and_hash(ss_handshake *hs, const char *what, uint8_t *out, size_t *out_len,
                            const uint8_t *plaintext, size_t len)
{
    ss_symmetric_state *sym = &hs->sym;
    if (sym->cs.has_key) {
        int rc = ss_cipher_encrypt(&sym->cs, out, sym->h, HASHLEN, plaintext, len);
        if (rc != SS_OK)
            return rc;
        *out_len = len + TAGLEN;
    } else {
        if (len != 0)
            memcpy(out, plaintext, len);
        *out_len = len;
    }
    trace(hs, "EncryptAndHash(%s): %zu bytes -> %zu bytes%s", what, len, *out_len,
          sym->cs.has_key ? " of ciphertext" : " in clear (no key yet)");
    mix_hash(hs, out, *out_len);
    return SS_OK;
}

/*
 * §5.2 DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h,
 * ciphertext); MixHash(ciphertext). The ciphertext is hashed after
 * decryption, because the old h is the AD; so out must not overlap
 * ciphertext. On a failed tag nothing is hashed (the handshake ends).
 */
static int decrypt_and_hash(ss_handshake *hs, const char *what, uint8_t *out, size_t *out_len,
                            const uint8_t *ciphertext, size_t len)
{
    ss_symmetric_state *sym = &hs->sym;
    if (sym->cs.has_key) {
        int rc = ss_cipher_decrypt(&sym->cs, out, sym->h, HASHLEN, ciphertext, len);
        if (rc != SS_OK)
            return rc;
        *out_len = len - TAGLEN;
    } else {
        if (len != 0)
            memcpy(out, ciphertext, len);
        *out_len = len;
    }
    trace(hs, "DecryptAndHash(%s): %zu bytes%s -> %zu bytes", what, len,
          sym->cs.has_key ? " of ciphertext" : " in clear (no key yet)", *out_len);
    mix_hash(hs, ciphertext, len);
    return SS_OK;
}

/* ---------------------------------------------------------------------- */
/* §5.3 HandshakeState: s, e, rs, re, the pattern, and our place in it    */
/* ---------------------------------------------------------------------- */

/* §12.1 GENERATE_KEYPAIR(): 32 random bytes are the private key (X25519
 * clamps them at each use, RFC 7748 §5); the public key is X25519(private,
 * 9), the base point. */
static int generate_keypair(ss_keypair *kp)
{
    if (ss_random(kp->secret_key, sizeof kp->secret_key) != 0)
        return SS_ERR_RANDOM;
    ss_x25519_public_key(kp->public_key, kp->secret_key);
    return SS_OK;
}

/*
 * MixKey(DH(private_key, public_key)), the work of the ee, es and se
 * tokens. token and which only label the trace ("token es", "DH(e, rs)").
 *
 * A public key of small order (its order divides the cofactor 8; u = 0
 * and u = 1 are two such keys, RFC 7748 §7 says why they exist, and
 * Wycheproof's x25519_test.json lists them under ZeroSharedSecret) makes
 * the X25519 result all zeros whatever our private key is. Noise §12.1
 * allows an implementation to detect this and signal an error, but
 * discourages it: it adds complexity and implementation variance and does
 * not improve Noise's security. (It does not: only the peer itself, or an
 * active attacker who replaced a key, can send such a key; a passive
 * observer cannot inject one, and an active attacker in NN already reads
 * everything without it.)
 *
 * SSockets/1 rejects it anyway, as a policy choice, for these reasons:
 * RFC 7748 §6.1 allows the check (MAY); TLS 1.3 requires it for X25519
 * (RFC 8446 §7.4.2), so SSockets behaves like the protocol its users
 * know; a peer that sends a degenerate key fails loudly
 * (SS_ERR_LOW_ORDER_KEY) instead of getting a session keyed by a public
 * value; and Noise §14 warns that invalid keys can make two sessions
 * derive the same secret, so a higher layer that bound itself to the keys
 * rather than to h could be fooled. The branch is on a public fact (the
 * peer chose that key), not on a secret.
 */
static int mix_dh(ss_handshake *hs, const char *token, const char *which,
                  const uint8_t private_key[32], const uint8_t public_key[32])
{
    uint8_t dh[DHLEN];
    int rc = SS_OK;
    int all_zero = ss_x25519(dh, private_key, public_key);
    trace_values(hs, token, which, dh, NULL, NULL);
    if (all_zero != 0)
        rc = SS_ERR_LOW_ORDER_KEY;
    else
        mix_key(hs, dh, sizeof dh);
    ss_wipe(dh, sizeof dh);
    return rc;
}

/*
 * hfs §3 GENERATE_KEM_KEYPAIR() = ML-KEM.KeyGen (FIPS 203 Algorithm 19),
 * unless the tests fixed e1. Only the decapsulation key is kept: FIPS 203
 * §7.1 builds it as dk_PKE || ek || H(ek) || z, so ek is inside it (see
 * kem_public_key). ek is written to ek_out, which the caller discards.
 */
static int generate_kem_keypair(ss_handshake *hs, uint8_t ek_out[KEMPUBLICKEYLEN])
{
    if (ss_mlkem768_keygen(ek_out, hs->e1_dk) != 0)
        return SS_ERR_RANDOM;
    hs->has_e1 = 1;
    return SS_OK;
}

/* Our KEM public key ek, inside the decapsulation key: after dk_PKE, which
 * is 384 k = 1152 bytes for ML-KEM-768 (k = 3; FIPS 203 Algorithm 16,
 * line 3). */
static const uint8_t *kem_public_key(const ss_handshake *hs)
{
    return hs->e1_dk + 384 * 3;
}

/*
 * The sender's half of ekem1 (hfs §4): GENERATE_KEM_CIPHERTEXT(re1) =
 * ML-KEM.Encaps (FIPS 203 Algorithm 20) gives the ciphertext and the KEM
 * output; append EncryptAndHash(ciphertext); MixKey(kem_output). Encaps
 * refuses an ek that fails the modulus check of FIPS 203 §7.2 (a
 * coefficient not below q = 3329): the peer sent a malformed e1. re1 is no
 * longer needed afterwards.
 */
static int write_ekem1(ss_handshake *hs, uint8_t *out, size_t *written)
{
    uint8_t ct[KEMCIPHERTEXTLEN], kem_output[KEMOUTPUTLEN];
    int rc = hs->has_test_kem_m
                 ? ss_mlkem768_encaps_derand(ct, kem_output, hs->re1, hs->test_kem_m)
                 : ss_mlkem768_encaps(ct, kem_output, hs->re1);
    if (rc != 0) {
        trace(hs, "token ekem1: the peer's KEM public key fails the modulus check");
        rc = SS_ERR_BAD_FRAME;
    } else {
        trace_long(hs, "token ekem1", "ENCAPS(re1): ct", ct, sizeof ct);
        trace_values(hs, "token ekem1", "kem_output", kem_output, NULL, NULL);
        rc = encrypt_and_hash(hs, "ct", out, written, ct, sizeof ct);
        if (rc == SS_OK)
            mix_key(hs, kem_output, sizeof kem_output);
    }
    ss_wipe(kem_output, sizeof kem_output);
    ss_wipe(ct, sizeof ct);
    ss_wipe(hs->re1, sizeof hs->re1);
    hs->has_re1 = 0;
    return rc;
}

/*
 * The receiver's half of ekem1 (hfs §4): ct = DecryptAndHash(the next
 * KEMCIPHERTEXTLEN + 16 bytes; ee came before, so a key exists); kem_output
 * = KEM(e1, ct) = ML-KEM.Decaps (FIPS 203 Algorithm 21); MixKey(kem_output).
 * Decaps never fails on a ciphertext: a wrong one gives a pseudo-random
 * output (implicit rejection), and the next tag fails. It refuses only a
 * decapsulation key that fails its hash check (§7.3), which ours cannot
 * unless memory is corrupt. The KEM secret key is wiped here, as soon as
 * it has served: nothing later needs it.
 */
static int read_ekem1(ss_handshake *hs, const uint8_t *msg, size_t len)
{
    uint8_t ct[KEMCIPHERTEXTLEN], kem_output[KEMOUTPUTLEN];
    size_t got;
    int rc = decrypt_and_hash(hs, "ct", ct, &got, msg, len);
    if (rc == SS_OK) {
        trace_long(hs, "token ekem1", "ct", ct, sizeof ct);
        if (ss_mlkem768_decaps(kem_output, ct, hs->e1_dk) != 0) {
            rc = SS_ERR_ARGUMENT;
        } else {
            trace_values(hs, "token ekem1", "KEM(e1, ct): kem_output", kem_output, NULL, NULL);
            mix_key(hs, kem_output, sizeof kem_output);
        }
    }
    ss_wipe(kem_output, sizeof kem_output);
    ss_wipe(ct, sizeof ct);
    ss_wipe(hs->e1_dk, sizeof hs->e1_dk);
    hs->has_e1 = 0;
    return rc;
}

/* The DH tokens (§5.3), the same when writing and reading. The first
 * letter is the initiator's key, the second the responder's, so the roles
 * see the same DH from opposite ends. */
static int dh_token(ss_handshake *hs, int token)
{
    int initiator = hs->initiator;
    switch (token) {
    case EE:
        /* ee */
        return mix_dh(hs, "token ee", "DH(e, re)", hs->e.secret_key, hs->re);
    case ES:
        /* es */
        return initiator ? mix_dh(hs, "token es", "DH(e, rs)", hs->e.secret_key, hs->rs)
                         : mix_dh(hs, "token es", "DH(s, re)", hs->s.secret_key, hs->re);
    default:
        /* se */
        return initiator ? mix_dh(hs, "token se", "DH(s, re)", hs->s.secret_key, hs->re)
                         : mix_dh(hs, "token se", "DH(e, rs)", hs->e.secret_key, hs->rs);
    }
}

/* One token of WriteMessage (§5.3); out + *pos is where its bytes go. */
static int write_token(ss_handshake *hs, int token, uint8_t *out, size_t *pos)
{
    size_t written = 0; /* stays 0 when encrypt_and_hash fails */
    int rc;
    switch (token) {
    case E:
        /* e: e = GENERATE_KEYPAIR() (unless the tests fixed it); append
         * e.public_key; MixHash(e.public_key). */
        if (!hs->has_e) {
            rc = generate_keypair(&hs->e);
            if (rc != SS_OK)
                return rc;
            hs->has_e = 1;
        }
        memcpy(out + *pos, hs->e.public_key, DHLEN);
        *pos += DHLEN;
        trace_values(hs, "token e", "e.pub", hs->e.public_key, NULL, NULL);
        mix_hash(hs, hs->e.public_key, DHLEN);
        return SS_OK;
    case S:
        /* s: append EncryptAndHash(s.public_key). */
        trace_values(hs, "token s", "s.pub", hs->s.public_key, NULL, NULL);
        rc = encrypt_and_hash(hs, "s.pub", out + *pos, &written, hs->s.public_key, DHLEN);
        if (rc == SS_OK)
            *pos += written;
        return rc;
    case E1: {
        /* e1: e1 = GENERATE_KEM_KEYPAIR() (unless the tests fixed it);
         * append EncryptAndHash(e1.public_key), "as if it was a static DH
         * public key" (hfs §4). */
        uint8_t ek[KEMPUBLICKEYLEN];
        if (!hs->has_e1 && (rc = generate_kem_keypair(hs, ek)) != SS_OK)
            return rc;
        trace_long(hs, "token e1", "e1.pub", kem_public_key(hs), KEMPUBLICKEYLEN);
        rc = encrypt_and_hash(hs, "e1.pub", out + *pos, &written, kem_public_key(hs),
                              KEMPUBLICKEYLEN);
        if (rc == SS_OK)
            *pos += written;
        return rc;
    }
    case EKEM1:
        /* ekem1: ENCAPS(re1), append EncryptAndHash(ct), MixKey(kem_output). */
        rc = write_ekem1(hs, out + *pos, &written);
        if (rc == SS_OK)
            *pos += written;
        return rc;
    default:
        return dh_token(hs, token);
    }
}

/*
 * RFC 7748 §5: X25519 ignores bit 255 of a public key and reduces the rest
 * mod p = 2^255 - 19. So one private key has several byte strings that act
 * as its public key: k, k with bit 255 set, and for k < 19 also k + p. Pins,
 * allow-lists and ss_peer_public_key compare bytes, so a peer could present
 * a "different" key that is really the same one. A received static key is
 * therefore brought to its one canonical form, the value X25519 actually
 * uses, before anything compares, hashes into a report or returns it (the
 * transcript hash h keeps the bytes as sent: it must match the peer's).
 * Written without branches on the key's bytes, like every other key
 * operation here: a received static key is public, but the constant-time
 * check (tests/ct) treats the whole handshake input as secret.
 */
static void canonicalise_key(uint8_t k[32])
{
    k[31] &= 0x7f;
    /* Now below 2^255; >= p exactly when bytes 31..1 are 7f ff .. ff and
     * byte 0 is at least 0xed (p's low byte, little-endian). Then k - p is
     * byte 0 minus 0xed, the other bytes zero. */
    uint32_t differ = (uint32_t)(k[31] ^ 0x7f);
    for (int i = 1; i < 31; i++)
        differ |= (uint32_t)(k[i] ^ 0xff);
    uint32_t pattern = (differ - 1) >> 31;                 /* 1 iff differ == 0 */
    uint32_t at_least = 1 ^ (((uint32_t)k[0] - 0xed) >> 31); /* 1 iff k[0] >= 0xed */
    uint8_t mask = (uint8_t)(0u - (pattern & at_least));
    k[0] = (uint8_t)(k[0] - (0xed & mask));
    for (int i = 1; i < 32; i++)
        k[i] &= (uint8_t)~mask;
}

/* One token of ReadMessage (§5.3), reading from msg + *pos. */
static int read_token(ss_handshake *hs, int token, const uint8_t *msg, size_t *pos)
{
    size_t len, got;
    int rc;
    switch (token) {
    case E:
        /* e: re = the next DHLEN bytes; MixHash(re). */
        memcpy(hs->re, msg + *pos, DHLEN);
        hs->has_re = 1;
        *pos += DHLEN;
        trace_values(hs, "token e", "re", hs->re, NULL, NULL);
        mix_hash(hs, hs->re, DHLEN);
        return SS_OK;
    case S:
        /* s: rs = DecryptAndHash(the next DHLEN + 16 bytes if a key is
         * set, else DHLEN bytes). */
        len = DHLEN + (hs->sym.cs.has_key ? TAGLEN : 0);
        rc = decrypt_and_hash(hs, "s", hs->rs, &got, msg + *pos, len);
        if (rc != SS_OK)
            return rc;
        canonicalise_key(hs->rs);
        hs->has_rs = 1;
        *pos += len;
        trace_values(hs, "token s", "rs", hs->rs, NULL, NULL);
        return SS_OK;
    case E1:
        /* e1: re1 = DecryptAndHash(the next KEMPUBLICKEYLEN bytes, + 16 if
         * a key is set), as for s. Its validity (FIPS 203 §7.2) is checked
         * by ENCAPS when ekem1 is written. */
        len = KEMPUBLICKEYLEN + (hs->sym.cs.has_key ? TAGLEN : 0);
        rc = decrypt_and_hash(hs, "e1", hs->re1, &got, msg + *pos, len);
        if (rc != SS_OK)
            return rc;
        hs->has_re1 = 1;
        *pos += len;
        trace_long(hs, "token e1", "re1", hs->re1, KEMPUBLICKEYLEN);
        return SS_OK;
    case EKEM1:
        /* ekem1: ct = DecryptAndHash(...); MixKey(KEM(e1, ct)). */
        len = KEMCIPHERTEXTLEN + (hs->sym.cs.has_key ? TAGLEN : 0);
        rc = read_ekem1(hs, msg + *pos, len);
        if (rc == SS_OK)
            *pos += len;
        return rc;
    default:
        return dh_token(hs, token);
    }
}

/*
 * The size of the next message with a payload of payload_len bytes: its
 * public keys, then the payload (§3); a field encrypted under a key grows
 * by TAGLEN. A key exists once the first DH token has run (MixKey), so the
 * pattern alone says which fields are encrypted — there is nothing to
 * parse in a Noise message, only to count.
 */
static size_t message_size(const ss_handshake *hs, size_t payload_len)
{
    const uint8_t *tokens = current_message(hs);
    int has_key = hs->sym.cs.has_key;
    size_t size = 0;
    for (int i = 0; tokens[i] != END; i++) {
        switch (tokens[i]) {
        case E:
            size += DHLEN; /* always in clear */
            break;
        case S:
            size += DHLEN + (has_key ? TAGLEN : 0);
            break;
        case E1:
            size += KEMPUBLICKEYLEN + (has_key ? TAGLEN : 0);
            break;
        case EKEM1:
            size += KEMCIPHERTEXTLEN + (has_key ? TAGLEN : 0);
            has_key = 1; /* then MixKey(kem_output) */
            break;
        default:
            has_key = 1; /* ee, es, se call MixKey */
        }
    }
    return size + payload_len + (has_key ? TAGLEN : 0);
}

/* The end of WriteMessage/ReadMessage: on success, move to the next
 * message; on failure, end the handshake (§5: the HandshakeState is
 * deleted). */
static int finish_message(ss_handshake *hs, int rc, size_t *out_len, size_t len)
{
    if (rc != SS_OK) {
        trace(hs, "abort: %s", ss_strerror(rc));
        ss_handshake_wipe(hs);
        return rc;
    }
    hs->msg_index++;
    *out_len = len;
    return SS_OK;
}

const char *ss_noise_protocol_name(ss_noise_pattern p)
{
    if ((size_t)p >= PATTERN_COUNT)
        return NULL;
    return patterns[p].protocol_name;
}

int ss_noise_is_hybrid(ss_noise_pattern p)
{
    return (size_t)p < PATTERN_COUNT && patterns[p].hybrid == p;
}

ss_noise_pattern ss_noise_classical(ss_noise_pattern p)
{
    return (size_t)p < PATTERN_COUNT ? patterns[p].classical : p;
}

ss_noise_pattern ss_noise_hybrid(ss_noise_pattern p)
{
    return (size_t)p < PATTERN_COUNT ? patterns[p].hybrid : p;
}

int ss_noise_pattern_from_name(ss_noise_pattern *p, const uint8_t *name, size_t len)
{
    if (p == NULL || (name == NULL && len != 0))
        return SS_ERR_BAD_PROTOCOL;
    for (size_t i = 0; i < PATTERN_COUNT; i++) {
        const char *known = patterns[i].protocol_name;
        /* The whole name, byte for byte: no prefix, no trailing bytes. */
        if (len == strlen(known) && memcmp(name, known, len) == 0) {
            *p = (ss_noise_pattern)i;
            return SS_OK;
        }
    }
    return SS_ERR_BAD_PROTOCOL;
}

/*
 * §5.3 Initialize(handshake_pattern, initiator, prologue, s, e, rs, re).
 * s is required exactly when our letter of the pattern name is not 'N',
 * rs exactly when the peer's letter is 'K' (a pre-message); anything else
 * is a configuration mistake and refused, e.g. a pinned key passed to XX,
 * where it would silently not be checked.
 */
int ss_handshake_init(ss_handshake *hs, ss_noise_pattern p, int initiator,
                      const uint8_t *prologue, size_t prologue_len,
                      const ss_keypair *s, const uint8_t *rs,
                      ss_trace_fn trace_fn, void *trace_arg)
{
    const pattern *pat;
    char ours, theirs;
    if (hs == NULL)
        return SS_ERR_ARGUMENT;
    ss_wipe(hs, sizeof *hs);
    hs->msg_index = HANDSHAKE_OVER; /* unusable unless we get to the end */
    if ((size_t)p >= PATTERN_COUNT || (prologue == NULL && prologue_len != 0))
        return SS_ERR_ARGUMENT;
    pat = &patterns[p];
    ours = initiator ? pat->initiator_static : pat->responder_static;
    theirs = initiator ? pat->responder_static : pat->initiator_static;
    if ((s != NULL) != (ours != 'N') || (rs != NULL) != (theirs == 'K'))
        return SS_ERR_ARGUMENT;

    hs->pattern = p;
    hs->initiator = initiator ? 1 : 0;
    hs->trace = trace_fn;
    hs->trace_arg = trace_arg;
    hs->phase = PHASE_SETUP;

    initialize_symmetric(hs, pat->protocol_name);
    /* §6: both sides hash the prologue; if they saw different prologues,
     * the first encrypted message fails to decrypt. */
    trace(hs, "prologue: %zu bytes", prologue_len);
    mix_hash(hs, prologue, prologue_len);

    if (s != NULL) {
        hs->s = *s;
        hs->has_s = 1;
    }
    if (rs != NULL) {
        memcpy(hs->rs, rs, DHLEN);
        hs->has_rs = 1;
    }
    /* §7.1 pre-message "<- s" (NK): both sides hash the responder's static
     * public key, the initiator from its pinned copy. */
    if (pat->responder_static == 'K') {
        const uint8_t *key = initiator ? hs->rs : hs->s.public_key;
        trace_values(hs, "pre-message <- s", initiator ? "rs" : "s.pub", key, NULL, NULL);
        mix_hash(hs, key, DHLEN);
    }
    hs->msg_index = 0;
    return SS_OK;
}

void ss_handshake_set_ephemeral(ss_handshake *hs, const ss_keypair *e)
{
    if (hs == NULL || e == NULL)
        return;
    /* Taken as given, public half included: the tests use this to send a
     * low-order "public key" on purpose. */
    hs->e = *e;
    hs->has_e = 1;
}

void ss_handshake_set_kem_ephemeral(ss_handshake *hs, const uint8_t dk[SS_NOISE_KEM_SECRET_LEN])
{
    if (hs == NULL || dk == NULL)
        return;
    memcpy(hs->e1_dk, dk, SS_NOISE_KEM_SECRET_LEN);
    hs->has_e1 = 1;
}

void ss_handshake_set_kem_randomness(ss_handshake *hs, const uint8_t m[32])
{
    if (hs == NULL || m == NULL)
        return;
    memcpy(hs->test_kem_m, m, 32);
    hs->has_test_kem_m = 1;
}

int ss_handshake_prepare_ephemeral(ss_handshake *hs)
{
    if (hs == NULL)
        return SS_ERR_ARGUMENT;
    /* §5.3 WriteMessage's "e" token calls GENERATE_KEYPAIR(); the key pair
     * depends on nothing received, so it may be drawn before the message
     * is written. write_token then finds has_e set and uses it. */
    if (hs->has_e)
        return SS_OK;
    int rc = generate_keypair(&hs->e);
    if (rc != SS_OK)
        return rc;
    hs->has_e = 1;
    return SS_OK;
}

int ss_handshake_my_turn(const ss_handshake *hs)
{
    /* §7.1: the initiator sends the first message, then they alternate. */
    return hs != NULL && in_progress(hs) && (hs->msg_index % 2 == 0) == (hs->initiator != 0);
}

int ss_handshake_done(const ss_handshake *hs)
{
    return hs != NULL && hs->msg_index >= 0 && hs->msg_index == pattern_of(hs)->message_count;
}

/* §5.3 WriteMessage(payload, message_buffer). */
int ss_handshake_write(ss_handshake *hs, uint8_t *out, size_t cap, size_t *out_len,
                       const uint8_t *payload, size_t payload_len)
{
    const uint8_t *tokens;
    size_t size, pos = 0, written = 0;
    int rc = SS_OK;
    if (hs == NULL || out_len == NULL || (payload == NULL && payload_len != 0))
        return SS_ERR_ARGUMENT;
    *out_len = 0;
    /* Explicit state: only the side whose turn it is writes, and nothing
     * is written after the last message. */
    if (!ss_handshake_my_turn(hs) || payload_len > SS_NOISE_MAX_MESSAGE)
        return SS_ERR_ARGUMENT;
    size = message_size(hs, payload_len);
    if (size > SS_NOISE_MAX_MESSAGE || size > cap || out == NULL)
        return SS_ERR_ARGUMENT;

    hs->phase = PHASE_WRITE;
    tokens = current_message(hs);
    for (int i = 0; rc == SS_OK && tokens[i] != END; i++)
        rc = write_token(hs, tokens[i], out, &pos);
    /* Every message ends with EncryptAndHash(payload). */
    if (rc == SS_OK)
        rc = encrypt_and_hash(hs, "payload", out + pos, &written, payload, payload_len);
    if (rc != SS_OK)
        ss_wipe(out, size); /* no half-built message to send by mistake */
    return finish_message(hs, rc, out_len, pos + written);
}

/* §5.3 ReadMessage(message, payload_buffer). payload must not overlap
 * msg (see decrypt_and_hash). */
int ss_handshake_read(ss_handshake *hs, uint8_t *payload, size_t cap, size_t *payload_len,
                      const uint8_t *msg, size_t msg_len)
{
    const uint8_t *tokens;
    size_t overhead, pos = 0, got = 0;
    int rc = SS_OK;
    if (hs == NULL || payload_len == NULL || (msg == NULL && msg_len != 0) ||
        (payload == NULL && cap != 0))
        return SS_ERR_ARGUMENT;
    *payload_len = 0;
    /* Explicit state: read only when it is the peer's turn to have written. */
    if (!in_progress(hs) || ss_handshake_my_turn(hs))
        return SS_ERR_ARGUMENT;

    hs->phase = PHASE_READ;
    /* The message must hold the pattern's keys and tags (§3), and no more
     * than 65535 bytes; what remains is the payload, which must fit. */
    overhead = message_size(hs, 0);
    if (msg_len > SS_NOISE_MAX_MESSAGE || msg_len < overhead || msg_len - overhead > cap) {
        trace(hs, "a message of %zu bytes cannot be this message (keys and tags: %zu bytes, "
                  "payload room: %zu bytes)", msg_len, overhead, cap);
        rc = SS_ERR_BAD_FRAME;
    }
    tokens = current_message(hs);
    for (int i = 0; rc == SS_OK && tokens[i] != END; i++)
        rc = read_token(hs, tokens[i], msg, &pos);
    /* Every message ends with the payload: DecryptAndHash(the rest). */
    if (rc == SS_OK)
        rc = decrypt_and_hash(hs, "payload", payload, &got, msg + pos, msg_len - pos);
    return finish_message(hs, rc, payload_len, got);
}

/* §5.2 Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2);
 * c1.InitializeKey(temp_k1); c2.InitializeKey(temp_k2). */
static void split(ss_handshake *hs, ss_cipher_state *c1, ss_cipher_state *c2)
{
    uint8_t temp_k1[32], temp_k2[32];
    hkdf(temp_k1, temp_k2, hs->sym.ck, NULL, 0);
    initialize_key(c1, temp_k1);
    initialize_key(c2, temp_k2);
    trace_values(hs, "Split", "k1", temp_k1, "k2", temp_k2);
    ss_wipe(temp_k1, sizeof temp_k1);
    ss_wipe(temp_k2, sizeof temp_k2);
}

/*
 * After the last message: Split, and hand each side its two cipher states.
 * §5: c1 encrypts from initiator to responder, c2 the other way. The
 * handshake hash h (§11.2) is handed out for channel binding; everything
 * else in hs is wiped. Called before the handshake is done, it wipes hs and
 * leaves send/recv without a key, which ss_cipher_encrypt/decrypt refuse.
 */
void ss_handshake_split(ss_handshake *hs, ss_cipher_state *send, ss_cipher_state *recv,
                        uint8_t handshake_hash[32])
{
    if (send != NULL)
        ss_wipe(send, sizeof *send);
    if (recv != NULL)
        ss_wipe(recv, sizeof *recv);
    if (handshake_hash != NULL)
        memset(handshake_hash, 0, 32);
    if (hs == NULL)
        return;
    if (ss_handshake_done(hs) && send != NULL && recv != NULL) {
        hs->phase = PHASE_SPLIT;
        if (hs->initiator)
            split(hs, send, recv);
        else
            split(hs, recv, send);
        trace(hs, "the initiator sends with k1 and receives with k2, the responder the opposite");
        if (handshake_hash != NULL)
            memcpy(handshake_hash, hs->sym.h, HASHLEN);
        trace_values(hs, "handshake hash", "h", hs->sym.h, NULL, NULL);
    }
    ss_handshake_wipe(hs);
}

/* Wipes s, e, ck, k and everything else; the handshake cannot be used
 * again (msg_index is HANDSHAKE_OVER, so every write/read is refused). */
void ss_handshake_wipe(ss_handshake *hs)
{
    if (hs == NULL)
        return;
    ss_wipe(hs, sizeof *hs);
    hs->msg_index = HANDSHAKE_OVER;
}
