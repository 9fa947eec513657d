/*
 * handshake.c — fuzzing the Noise handshake (src/net/noise.c) through its
 * internal API: ss_handshake_init, _write, _read, _split; and the same
 * handshake through the protocol engine (src/net/engine.c), frames and
 * all (fuzz_engine_handshake, at the end).
 *
 * The side under test ("local") runs NN, NK or XX, or their hybrid forms
 * NNhfs, NKhfs, XXhfs, as initiator or responder; every message it reads
 * comes from the fuzzer ("remote").
 * Everything is deterministic: both sides use the fixed keys of fuzz.h,
 * ephemeral ones included (ss_handshake_set_ephemeral, and for the KEM
 * ss_handshake_set_kem_ephemeral and _set_kem_randomness), so an input means
 * the same handshake every time, and a seed recorded from an honest remote
 * (make_seeds.c) stays valid.
 *
 * Input:  byte 0       pattern = (byte & 15) % 3 (0 NN, 1 NK, 2 XX); bit 4 set:
 *                      its hybrid form (NNhfs, NKhfs, XXhfs; in the engine
 *                      path below, whose KEM keys are random, the classical
 *                      one); bit 5 set:
 *                      local is a protocol engine (src/net/engine.c, see
 *                      fuzz_engine_handshake below) instead of noise.c's
 *                      handshake object; bit 7 set:
 *                      local reads with no room for a payload (the
 *                      "payload does not fit" check); bit 6 set: local
 *                      narrates through a trace callback (the trace lines
 *                      print keys and fuzzer bytes)
 *         then, for each message local reads:
 *                      a 2-byte big-endian length, then that many bytes
 *                      (fewer if the input ends; no bytes at all: stop)
 * Local's own messages carry empty payloads, as in SSockets/1.
 *
 * Checks, besides "no crash, no sanitizer report":
 *   - a failed read returns BAD_FRAME, TAMPERED or LOW_ORDER_KEY, hands out
 *     no payload, and leaves a handshake that refuses every further call
 *     (Noise §5: the HandshakeState is deleted); a failed write only
 *     LOW_ORDER_KEY (the remote's e was a low-order point);
 *   - no forgery. An honest remote, a second ss_handshake holding the
 *     remote keys, follows along ("in step"): it reads local's messages
 *     and, whenever local accepts a remote message, writes the message it
 *     would have sent with the same payload. A message that carries a tag
 *     (every one after the first DH) can only be accepted if it is exactly
 *     that one: the fuzzer knows no private key but the remote's, and
 *     ChaCha20-Poly1305 under one key, nonce and AD has one ciphertext per
 *     plaintext. So an accepted tagged message must equal the honest one,
 *     and local's view of the remote's keys (re, rs) must be the remote
 *     keys. Only the first message of NN and XX has no tag; if the fuzzer
 *     changed it (another e), the honest remote is out of step, and every
 *     later tagged message must fail. The one handshake that may then
 *     still complete is NN as responder: NN authenticates nobody;
 *   - after a handshake with the remote in step: both sides agree on the
 *     handshake hash and can decrypt each other's transport messages.
 */
#include "handshake.h"

#include <string.h>

#include "fuzz.h"
#include "net/engine.h"
#include "net/engine_internal.h"
#include "net/error.h"
#include "net/noise.h"

#define PROLOGUE "SSockets/1" /* as conn.c: Noise §6 */
#define PROLOGUE_LEN 10

static uint8_t msg[SS_NOISE_MAX_MESSAGE];     /* a message written by either side */
static uint8_t payload[SS_NOISE_MAX_MESSAGE]; /* a payload read by either side */

/* A trace callback: every line must be a NUL-terminated string (reading
 * it whole lets AddressSanitizer check that). */
static void consume_line(void *arg, const char *line)
{
    *(size_t *)arg += strlen(line);
}

static size_t traced; /* bytes of trace seen, to give the callback work */

/* Initializes one side: local (the one under test) or remote, with the
 * keys of fuzz.h; s only where the pattern gives this side a static key,
 * the pre-message key only to the NK initiator (noise.h's contract).
 * trace: local narrates its steps. */
static void init_side(ss_handshake *hs, ss_noise_pattern p, int initiator, int local, int trace)
{
    const fuzz_keys *k = fuzz_get_keys();
    const ss_keypair *s = local ? &k->local_static : &k->remote_static;
    const ss_keypair *e = local ? &k->local_ephemeral : &k->remote_ephemeral;
    const uint8_t *peer_s = local ? k->remote_static.public_key : k->local_static.public_key;
    /* Noise §7.5: the initiator has a static key in XX, the responder in NK
     * and XX; only NK's initiator knows the peer's in advance. */
    ss_noise_pattern base = ss_noise_classical(p);
    int has_s = initiator ? base == SS_NOISE_XX : base != SS_NOISE_NN;
    int knows_peer = initiator && base == SS_NOISE_NK;
    int rc = ss_handshake_init(hs, p, initiator, (const uint8_t *)PROLOGUE, PROLOGUE_LEN,
                               has_s ? s : NULL, knows_peer ? peer_s : NULL,
                               trace ? consume_line : NULL, trace ? &traced : NULL);
    FUZZ_CHECK(rc == SS_OK, "ss_handshake_init refused a valid configuration");
    ss_handshake_set_ephemeral(hs, e);
    /* hfs: the initiator's KEM key pair, the responder's encapsulation. */
    if (ss_noise_is_hybrid(p) && initiator)
        ss_handshake_set_kem_ephemeral(hs, local ? k->local_kem_dk : k->remote_kem_dk);
    if (ss_noise_is_hybrid(p) && !initiator)
        ss_handshake_set_kem_randomness(hs, k->kem_m);
}

/* After a failure the handshake must refuse every call (noise.c wipes it). */
static void check_dead(ss_handshake *hs)
{
    size_t len;
    uint8_t byte = 0;
    FUZZ_CHECK(!ss_handshake_my_turn(hs) && !ss_handshake_done(hs),
               "a failed handshake still has a turn or counts as done");
    int write_rc = ss_handshake_write(hs, msg, sizeof msg, &len, NULL, 0);
    int read_rc = ss_handshake_read(hs, payload, sizeof payload, &len, &byte, 1);
    FUZZ_CHECK(write_rc == SS_ERR_ARGUMENT && read_rc == SS_ERR_ARGUMENT,
               "a failed handshake accepts another call");
}

/* Does message `index` (0-based) of pattern p end with a tag? Every
 * message after the first DH token does (§5.2 EncryptAndHash has a key);
 * NN's and XX's first message ("-> e") comes before any DH. */
static int has_tag(ss_noise_pattern p, int index)
{
    return index > 0 || ss_noise_classical(p) == SS_NOISE_NK;
}

/* The end of a completed handshake: with the remote in step, both sides
 * must agree on h and on the transport keys. */
static void check_split(ss_handshake *local, ss_handshake *remote, int in_step)
{
    ss_cipher_state l_send, l_recv, r_send, r_recv;
    uint8_t l_h[32], r_h[32], ping[4 + 16], back[4];
    ss_handshake_split(local, &l_send, &l_recv, l_h);
    if (!in_step)
        return;
    FUZZ_CHECK(ss_handshake_done(remote), "local finished, the honest remote did not");
    ss_handshake_split(remote, &r_send, &r_recv, r_h);
    FUZZ_CHECK(memcmp(l_h, r_h, 32) == 0, "the two sides' handshake hashes differ");
    FUZZ_CHECK(ss_cipher_encrypt(&l_send, ping, NULL, 0, (const uint8_t *)"ping", 4) == SS_OK &&
                   ss_cipher_decrypt(&r_recv, back, NULL, 0, ping, sizeof ping) == SS_OK &&
                   memcmp(back, "ping", 4) == 0,
               "the remote cannot read local's first transport message");
    FUZZ_CHECK(ss_cipher_encrypt(&r_send, ping, NULL, 0, (const uint8_t *)"pong", 4) == SS_OK &&
                   ss_cipher_decrypt(&l_recv, back, NULL, 0, ping, sizeof ping) == SS_OK &&
                   memcmp(back, "pong", 4) == 0,
               "local cannot read the remote's first transport message");
}

static void fuzz_engine_handshake(fuzz_input *in, ss_noise_pattern p, int initiator);

/* The pattern byte 0 names (see the input format above). */
static ss_noise_pattern pattern_of(uint8_t first)
{
    ss_noise_pattern p = (ss_noise_pattern)((first & 0x0f) % 3);
    return (first & 0x10) ? ss_noise_hybrid(p) : p;
}

void fuzz_handshake(const uint8_t *data, size_t size, int initiator)
{
    const fuzz_keys *k = fuzz_get_keys();
    fuzz_input in = fuzz_begin(data, size);
    uint8_t first = fuzz_u8(&in);
    ss_noise_pattern p = pattern_of(first);
    if (first & 0x20) {
        fuzz_engine_handshake(&in, ss_noise_classical(p), initiator);
        return;
    }
    size_t room = (first & 0x80) ? 0 : sizeof payload;
    ss_handshake local, remote;
    int in_step = 1; /* the honest remote has seen and sent what local has */

    init_side(&local, p, initiator, 1, (first & 0x40) != 0);
    init_side(&remote, p, !initiator, 0, 0);
    for (int index = 0; !ss_handshake_done(&local); index++) {
        size_t len, got;
        int rc;
        if (ss_handshake_my_turn(&local)) {
            rc = ss_handshake_write(&local, msg, sizeof msg, &len, NULL, 0);
            if (rc != SS_OK) {
                /* ... or, in hfs, a KEM public key failing FIPS 203's
                 * modulus check when ekem1 encapsulates to it. */
                FUZZ_CHECK(rc == SS_ERR_LOW_ORDER_KEY ||
                               (rc == SS_ERR_BAD_FRAME && ss_noise_is_hybrid(p)),
                           "a write failed for another reason than a low-order remote key "
                           "or a malformed KEM key");
                check_dead(&local);
                break;
            }
            if (in_step)
                FUZZ_CHECK(ss_handshake_read(&remote, payload, sizeof payload, &got, msg, len) ==
                                   SS_OK && got == 0,
                           "the honest remote rejects local's message");
            continue;
        }

        if (in.left == 0)
            break; /* the input has no more messages */
        const uint8_t *m = fuzz_bytes(&in, fuzz_u16(&in), &len);
        /* The room ends where the array ends (an overflow is then an
         * AddressSanitizer report). */
        uint8_t *out = payload + sizeof payload - room;
        got = 1;
        rc = ss_handshake_read(&local, out, room, &got, m, len);
        if (rc != SS_OK) {
            FUZZ_CHECK(rc == SS_ERR_BAD_FRAME || rc == SS_ERR_TAMPERED ||
                           rc == SS_ERR_LOW_ORDER_KEY,
                       "a read failed with an unexpected error");
            FUZZ_CHECK(got == 0, "a failed read reported a payload");
            check_dead(&local);
            break;
        }
        FUZZ_CHECK(got <= room, "the payload overflowed its room");
        if (has_tag(p, index)) {
            FUZZ_CHECK(in_step, "FORGERY: a tagged message accepted after the fuzzer "
                                "replaced the remote's ephemeral key");
            FUZZ_CHECK(memcmp(local.re, k->remote_ephemeral.public_key, 32) == 0 &&
                           (!local.has_rs ||
                            memcmp(local.rs, k->remote_static.public_key, 32) == 0),
                       "FORGERY: a tagged message accepted with a key nobody holds");
        }
        if (in_step) {
            /* What the honest remote sends with the same payload. */
            size_t honest_len;
            FUZZ_CHECK(ss_handshake_write(&remote, msg, sizeof msg, &honest_len, out, got) ==
                           SS_OK,
                       "the honest remote cannot write");
            if (honest_len != len || memcmp(msg, m, len) != 0) {
                FUZZ_CHECK(!has_tag(p, index),
                           "FORGERY: an accepted tagged message differs from the only valid one");
                in_step = 0;
            }
        }
    }
    if (ss_handshake_done(&local)) {
        FUZZ_CHECK(in_step || (ss_noise_classical(p) == SS_NOISE_NN && !initiator),
                   "FORGERY: the handshake completed with an impostor");
        check_split(&local, &remote, in_step);
    }
    ss_handshake_wipe(&local);
    ss_handshake_wipe(&remote);
}

size_t fuzz_handshake_seed(uint8_t *out, size_t cap, int initiator, uint8_t pattern_byte,
                           const uint8_t *payload_in, size_t payload_len)
{
    ss_noise_pattern p = pattern_of(pattern_byte);
    ss_handshake local, remote;
    size_t n = 0, len, got;
    FUZZ_CHECK(cap > 0, "no room for a seed");
    out[n++] = pattern_byte;
    init_side(&local, p, initiator, 1, 0);
    init_side(&remote, p, !initiator, 0, 0);
    while (!ss_handshake_done(&local)) {
        if (ss_handshake_my_turn(&local)) {
            FUZZ_CHECK(ss_handshake_write(&local, msg, sizeof msg, &len, NULL, 0) == SS_OK &&
                           ss_handshake_read(&remote, payload, sizeof payload, &got, msg, len) ==
                               SS_OK,
                       "seed: local's message failed");
            continue;
        }
        FUZZ_CHECK(ss_handshake_write(&remote, msg, sizeof msg, &len, payload_in, payload_len) ==
                           SS_OK &&
                       n + 2 + len <= cap,
                   "seed: the remote's message failed");
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
        memcpy(out + n, msg, len);
        n += len;
        FUZZ_CHECK(ss_handshake_read(&local, payload, sizeof payload, &got, msg, len) == SS_OK,
                   "seed: local rejects the honest remote");
    }
    ss_handshake_wipe(&local);
    ss_handshake_wipe(&remote);
    return n;
}

/*
 * The same handshake through the protocol engine (engine.h), as the
 * library runs it: local is a client engine (initiator) or a server engine
 * configured for pattern p with the keys of fuzz.h; the fuzzer's messages
 * reach it as frames (a 2-byte length, then the message; the server first
 * gets frame 0, the protocol name), fed in pieces. The remote is the same
 * honest ss_handshake as above, with empty payloads (SSockets/1 has no
 * others). Checks: a failed engine stays failed and puts nothing more out;
 * an accepted tagged message is exactly the honest one; a completed
 * handshake agrees with the honest remote on h, on the peer's static key,
 * and on the transport keys (the engine's first data frame decrypts).
 */
static void engine_config(ss_config *cfg, ss_noise_pattern p, int initiator)
{
    const fuzz_keys *k = fuzz_get_keys();
    memset(cfg, 0, sizeof *cfg);
    cfg->test_ephemeral = &k->local_ephemeral;
    if (initiator) {
        if (p == SS_NOISE_NK || p == SS_NOISE_XX)
            cfg->peer_public_key = k->remote_static.public_key;
        if (p == SS_NOISE_XX)
            cfg->static_key = &k->local_static;
    } else if (p != SS_NOISE_NN) {
        cfg->static_key = &k->local_static;
    }
}

/* Takes local's next frame: 1 (its body in msg, *len), 0 if none. */
static int engine_frame(ss_engine *e, size_t *len)
{
    size_t n;
    const uint8_t *out = ss_engine_output(e, &n);
    if (out == NULL)
        return 0;
    FUZZ_CHECK(n >= 2 && n == 2 + ((size_t)out[0] << 8 | out[1]) && n - 2 <= sizeof msg,
               "the engine put out something that is not one frame");
    *len = n - 2;
    memcpy(msg, out + 2, *len);
    ss_engine_output_done(e, n);
    return 1;
}

/* A failed engine puts out nothing more, except a server's last words: one
 * refusal frame (docs/protocol.md, "The refusal frame"), taken here. */
static void engine_check_dead(ss_engine *e, int initiator)
{
    size_t n, taken;
    int end;
    uint8_t byte = 0;
    static const char refused[] = "SSockets/1 refused";
    FUZZ_CHECK(ss_engine_error(e) != SS_OK, "the engine failed without an error code");
    const uint8_t *out = ss_engine_output(e, &n);
    if (out != NULL) {
        FUZZ_CHECK(!initiator && n >= 2 + sizeof refused &&
                       n == 2 + ((size_t)out[0] << 8 | out[1]) &&
                       memcmp(out + 2, refused, sizeof refused - 1) == 0,
                   "a failed engine puts out bytes that are not one refusal frame");
        ss_engine_output_done(e, n);
    }
    FUZZ_CHECK(ss_engine_output(e, &n) == NULL && n == 0, "a failed engine puts bytes out");
    FUZZ_CHECK(ss_engine_feed(e, &byte, 1) == -1 && ss_engine_recv(e, &byte, 1, &end) == -1 &&
                   ss_engine_send(e, &byte, 1, &taken) == -1,
               "a failed engine accepts another call");
}

static void fuzz_engine_handshake(fuzz_input *in, ss_noise_pattern p, int initiator)
{
    const fuzz_keys *k = fuzz_get_keys();
    ss_config cfg;
    engine_config(&cfg, p, initiator);
    ss_engine *e = ss_engine_new(!initiator, &cfg);
    FUZZ_CHECK(e != NULL, "ss_engine_new refused a valid configuration");
    ss_handshake remote;
    init_side(&remote, p, !initiator, 0, 0);
    int in_step = 1;
    size_t len, got;
    const char *name = ss_noise_protocol_name(p);
    if (initiator) {
        FUZZ_CHECK(engine_frame(e, &len) && len == strlen(name) && memcmp(msg, name, len) == 0,
                   "the client's frame 0 is not its protocol name");
    } else {
        uint8_t frame0[2 + SS_NOISE_NAME_MAX];
        frame0[0] = 0;
        frame0[1] = (uint8_t)strlen(name);
        memcpy(frame0 + 2, name, strlen(name));
        FUZZ_CHECK(ss_engine_feed(e, frame0, 2 + strlen(name)) == (ssize_t)(2 + strlen(name)),
                   "the server refused the protocol name it accepts");
    }
    for (int index = 0; !ss_engine_established(e); index++) {
        if (engine_frame(e, &len)) {
            /* Local's message: the honest remote reads it. */
            if (in_step)
                FUZZ_CHECK(ss_handshake_read(&remote, payload, sizeof payload, &got, msg, len) ==
                                   SS_OK && got == 0,
                           "the honest remote rejects the engine's message");
            continue;
        }
        if (ss_engine_error(e) != SS_OK) {
            engine_check_dead(e, initiator);
            break;
        }
        if (in->left == 0)
            break;
        size_t mlen;
        const uint8_t *m = fuzz_bytes(in, fuzz_u16(in), &mlen);
        static uint8_t frame[2 + SS_NOISE_MAX_MESSAGE];
        frame[0] = (uint8_t)(mlen >> 8);
        frame[1] = (uint8_t)mlen;
        memcpy(frame + 2, m, mlen);
        /* In two pieces: the length split from the body at a point the
         * input chooses. */
        size_t cut = in->left > 0 ? fuzz_u8(in) % (mlen + 3) : 0;
        ssize_t fed = ss_engine_feed(e, frame, cut);
        if (fed == (ssize_t)cut)
            fed = ss_engine_feed(e, frame + cut, 2 + mlen - cut);
        if (fed < 0) {
            int rc = ss_engine_error(e);
            /* A client also takes the server's answer for a refusal frame
             * (in clear, by design only the words of its error) or for a
             * peer that does not speak SSockets/1. */
            FUZZ_CHECK(rc == SS_ERR_BAD_FRAME || rc == SS_ERR_TAMPERED ||
                           rc == SS_ERR_LOW_ORDER_KEY ||
                           (initiator && (rc == SS_ERR_PATTERN_REFUSED ||
                                          rc == SS_ERR_WRONG_SERVER_KEY ||
                                          rc == SS_ERR_BAD_PROTOCOL)),
                       "a handshake message failed with an unexpected error");
            engine_check_dead(e, initiator);
            break;
        }
        if (has_tag(p, index))
            FUZZ_CHECK(in_step, "FORGERY: a tagged message accepted after the fuzzer "
                                "replaced the remote's ephemeral key");
        if (in_step) {
            size_t honest_len;
            FUZZ_CHECK(ss_handshake_write(&remote, msg, sizeof msg, &honest_len, NULL, 0) ==
                           SS_OK,
                       "the honest remote cannot write");
            if (honest_len != mlen || memcmp(msg, m, mlen) != 0) {
                FUZZ_CHECK(!has_tag(p, index),
                           "FORGERY: an accepted tagged message differs from the only valid one");
                in_step = 0;
            }
        }
    }
    /* The engine's last message (if it wrote the last one) goes to the remote. */
    while (in_step && ss_engine_established(e) && engine_frame(e, &len))
        FUZZ_CHECK(ss_handshake_read(&remote, payload, sizeof payload, &got, msg, len) == SS_OK,
                   "the honest remote rejects the engine's last message");
    if (ss_engine_established(e)) {
        FUZZ_CHECK(in_step || (p == SS_NOISE_NN && !initiator),
                   "FORGERY: the handshake completed with an impostor");
        if (in_step) {
            FUZZ_CHECK(ss_handshake_done(&remote), "the engine finished, the remote did not");
            ss_cipher_state r_send, r_recv;
            uint8_t l_h[32], r_h[32], back[8];
            ss_handshake_split(&remote, &r_send, &r_recv, r_h);
            ss_engine_handshake_hash(l_h, e);
            FUZZ_CHECK(memcmp(l_h, r_h, 32) == 0, "the two sides' handshake hashes differ");
            const uint8_t *peer = ss_engine_peer_public_key(e);
            FUZZ_CHECK(p == SS_NOISE_NN || (!initiator && p == SS_NOISE_NK)
                           ? peer == NULL
                           : peer != NULL && memcmp(peer, k->remote_static.public_key, 32) == 0,
                       "the engine reports another peer key than the remote's");
            size_t taken;
            FUZZ_CHECK(ss_engine_send(e, "ping", 4, &taken) == 0 && engine_frame(e, &len) &&
                           len == 1 + 4 + 16 &&
                           ss_cipher_decrypt(&r_recv, back, NULL, 0, msg, len) == SS_OK &&
                           back[0] == 0x00 && memcmp(back + 1, "ping", 4) == 0,
                       "the remote cannot read the engine's first transport frame");
        }
    }
    ss_engine_free(e);
    ss_handshake_wipe(&remote);
}
