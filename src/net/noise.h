/*
 * noise.h — the Noise Protocol Framework objects (Noise spec rev 34, §5),
 * for the suite 25519 / ChaChaPoly / SHA256 and the patterns NN, NK, XX.
 * Internal to the library (not installed); conn.c drives it, and the tests
 * drive it directly with the fixed keys of the Noise test vectors.
 *
 * With the hfs modifier (noise_hfs.md, revision 1, "KEM-based Hybrid
 * Forward Secrecy for Noise") the same three patterns also run as NNhfs,
 * NKhfs and XXhfs, with ML-KEM-768 (FIPS 203, crypto/mlkem.h) as the KEM.
 *
 * Three objects, as in the spec:
 *   ss_cipher_state     k, n                          (§5.1)
 *   ss_symmetric_state  ck, h, and a cipher state     (§5.2)
 *   ss_handshake        s, e, rs, re, the symmetric state, the pattern and
 *                       how far through it we are     (§5.3)
 *
 * Functions return 0 or a positive ss_error code (error.h) saying why the
 * handshake must be aborted.
 * Course: chapter docs/handshake.md. Implementation notes: noise.c.
 */
#ifndef SS_NOISE_H
#define SS_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "keys.h"
#include "trace.h"

typedef enum {
    SS_NOISE_NN,
    SS_NOISE_NK,
    SS_NOISE_XX,
    SS_NOISE_NN_HFS, /* the hybrid forms: tokens e1 and ekem1 added */
    SS_NOISE_NK_HFS,
    SS_NOISE_XX_HFS
} ss_noise_pattern;

/* Longest protocol name we produce or accept, with its NUL
 * ("Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256" is 44 bytes). */
#define SS_NOISE_NAME_MAX 48
/* hfs §3 with ML-KEM-768 (FIPS 203 §8, Table 3): KEMPUBLICKEYLEN (ek),
 * the decapsulation key, KEMCIPHERTEXTLEN and KEMOUTPUTLEN. */
#define SS_NOISE_KEM_PUBLIC_LEN 1184
#define SS_NOISE_KEM_SECRET_LEN 2400
#define SS_NOISE_KEM_CIPHERTEXT_LEN 1088
#define SS_NOISE_KEM_OUTPUT_LEN 32
/* Noise spec §3: every Noise message is at most 65535 bytes. */
#define SS_NOISE_MAX_MESSAGE 65535

typedef struct {
    uint8_t k[32];
    uint64_t n;
    int has_key;
} ss_cipher_state;

typedef struct {
    ss_cipher_state cs;
    uint8_t ck[32];
    uint8_t h[32];
} ss_symmetric_state;

typedef struct {
    ss_symmetric_state sym;
    ss_noise_pattern pattern;
    int initiator;
    int msg_index;            /* index of the next message pattern */
    int phase;                /* noise.c: setup, write, read or split (for trace lines) */
    ss_keypair s, e;          /* our static and ephemeral key pairs */
    int has_s, has_e;
    uint8_t rs[32], re[32];   /* the peer's static and ephemeral keys */
    int has_rs, has_re;
    /* hfs: our KEM key pair e1 (the FIPS 203 decapsulation key, which
     * holds the public key ek) and the peer's KEM public key re1. */
    uint8_t e1_dk[SS_NOISE_KEM_SECRET_LEN];
    uint8_t re1[SS_NOISE_KEM_PUBLIC_LEN];
    int has_e1, has_re1;
    uint8_t test_kem_m[32];   /* tests only: the encapsulation's randomness */
    int has_test_kem_m;
    ss_trace_fn trace;
    void *trace_arg;
} ss_handshake;

/* "Noise_NN_25519_ChaChaPoly_SHA256", ...,
 * "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256". */
const char *ss_noise_protocol_name(ss_noise_pattern p);
/* 1 for NNhfs, NKhfs and XXhfs. */
int ss_noise_is_hybrid(ss_noise_pattern p);
/* The classical pattern under p (NKhfs -> NK; NK -> NK), and p's hybrid
 * form (NK -> NKhfs; NKhfs -> NKhfs). */
ss_noise_pattern ss_noise_classical(ss_noise_pattern p);
ss_noise_pattern ss_noise_hybrid(ss_noise_pattern p);
/* Parses a received protocol name (not NUL-terminated). 0 or SS_ERR_BAD_PROTOCOL. */
int ss_noise_pattern_from_name(ss_noise_pattern *p, const uint8_t *name, size_t len);

/* Initialize (§5.3): s is our static key pair (required for XX, and for the
 * NK responder), rs the pre-known remote static key (NK initiator), else
 * NULL. trace may be NULL. 0 or SS_ERR_ARGUMENT. */
int ss_handshake_init(ss_handshake *hs, ss_noise_pattern p, int initiator,
                      const uint8_t *prologue, size_t prologue_len,
                      const ss_keypair *s, const uint8_t *rs,
                      ss_trace_fn trace, void *trace_arg);

/* Tests only: use this ephemeral key pair instead of a random one. */
void ss_handshake_set_ephemeral(ss_handshake *hs, const ss_keypair *e);
/* Tests only (hfs): the initiator's KEM key pair e1, as a FIPS 203
 * decapsulation key (ek is inside it), instead of a random one; and the
 * responder's 32 bytes of encapsulation randomness m for ekem1. */
void ss_handshake_set_kem_ephemeral(ss_handshake *hs, const uint8_t dk[SS_NOISE_KEM_SECRET_LEN]);
void ss_handshake_set_kem_randomness(ss_handshake *hs, const uint8_t m[32]);

/* GENERATE_KEYPAIR() for our ephemeral key ahead of the message that
 * sends it (a responder calls it while the initiator is still computing
 * message 1, so the two key generations run at the same time). Does
 * nothing when e is already set. 0 or SS_ERR_RANDOM. */
int ss_handshake_prepare_ephemeral(ss_handshake *hs);

/* WriteMessage (§5.3): writes the next handshake message, with payload,
 * into out (capacity cap), its length in *out_len. SS_ERR_BAD_FRAME when
 * the peer's KEM public key (hfs, received in e1) fails FIPS 203's
 * modulus check as ekem1 encapsulates to it. */
int ss_handshake_write(ss_handshake *hs, uint8_t *out, size_t cap, size_t *out_len,
                       const uint8_t *payload, size_t payload_len);

/* ReadMessage (§5.3): processes a received handshake message; the payload
 * goes to payload (capacity cap), its length in *payload_len. Errors:
 * SS_ERR_BAD_FRAME (wrong length), SS_ERR_TAMPERED (a tag failed),
 * SS_ERR_LOW_ORDER_KEY (an all-zero DH result). */
int ss_handshake_read(ss_handshake *hs, uint8_t *payload, size_t cap, size_t *payload_len,
                      const uint8_t *msg, size_t msg_len);

/* 1 when it is our turn to write, 0 when we must read. */
int ss_handshake_my_turn(const ss_handshake *hs);
/* 1 once every message of the pattern has been processed. */
int ss_handshake_done(const ss_handshake *hs);

/* Split (§5.2) after the last message: the initiator sends with the first
 * cipher state and receives with the second, the responder the opposite.
 * Copies h into handshake_hash (may be NULL) and wipes hs. */
void ss_handshake_split(ss_handshake *hs, ss_cipher_state *send, ss_cipher_state *recv,
                        uint8_t handshake_hash[32]);

/* Wipes every secret in hs (on abort). */
void ss_handshake_wipe(ss_handshake *hs);

/* EncryptWithAd (§5.1) with the transport nonce: out = ciphertext || tag
 * (len + 16 bytes). SS_ERR_NONCE_EXHAUSTED when n reached 2^64-1. */
int ss_cipher_encrypt(ss_cipher_state *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                      const uint8_t *plaintext, size_t len);

/* DecryptWithAd (§5.1): in is ciphertext || tag, in_len >= 16; writes
 * in_len - 16 bytes. SS_ERR_TAMPERED when the tag fails (n is then not
 * advanced and out is zeroed), SS_ERR_BAD_FRAME when in_len < 16. */
int ss_cipher_decrypt(ss_cipher_state *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                      const uint8_t *in, size_t in_len);

#endif
