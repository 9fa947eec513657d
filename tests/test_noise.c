/*
 * test_noise.c — the Noise handshakes NN, NK and XX (25519, ChaChaPoly,
 * SHA256) against the official test vectors of cacophony and snow
 * (vectors/noise/README), then their failure modes: tampered messages,
 * low-order keys, wrong sizes, exhausted nonces, calls out of turn.
 *
 * The vectors fix every key, including the ephemeral ones, through the
 * internal API (ss_handshake_set_ephemeral); every handshake message and
 * transport ciphertext must then be byte-equal to the vector's.
 *
 * The hybrid forms NNhfs, NKhfs and XXhfs (ML-KEM-768) have no official
 * vectors: docs/vectors/noise_hfs_mlkem768.json holds SSockets' own, computed
 * independently in Python (tests/gen/noise_hfs_vectors.py) with the ML-KEM
 * values taken from NIST ACVP; here the C handshake must reproduce every
 * message and every h, ck and k of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "net/noise.h"

#define CACOPHONY "noise/cacophony/cacophony.txt"
#define SNOW "noise/snow/snow.txt"
/* Relative to vectors/: the published file is the one tested. */
#define HFS_VECTORS "../docs/vectors/noise_hfs_mlkem768.json"

static const ss_noise_pattern all_patterns[] = {SS_NOISE_NN, SS_NOISE_NK, SS_NOISE_XX};
static const ss_noise_pattern hybrid_patterns[] = {SS_NOISE_NN_HFS, SS_NOISE_NK_HFS,
                                                   SS_NOISE_XX_HFS};

/* Handshake messages per pattern (§7.5: NN and NK two, XX three; hfs adds
 * tokens, not messages). */
static int handshake_messages(ss_noise_pattern p)
{
    return ss_noise_classical(p) == SS_NOISE_XX ? 3 : 2;
}

/* ---- the two sides of a handshake, set up from a vector ---- */

typedef struct {
    ss_handshake init, resp;
    ss_cipher_state init_send, init_recv, resp_send, resp_recv;
    uint8_t init_h[32], resp_h[32];
} pair;

/* A key pair from the private key in field name; the public key is derived
 * (the vectors give private keys only). */
static void keypair_from_field(ss_keypair *kp, json_t *v, const char *name)
{
    size_t len;
    uint8_t *sk = wp_hex(v, name, &len);
    ck_assert_uint_eq(len, 32);
    memcpy(kp->secret_key, sk, 32);
    ss_x25519_public_key(kp->public_key, kp->secret_key);
    free(sk);
}

static int has_field(json_t *v, const char *name)
{
    return json_object_get(v, name) != NULL;
}

/* Initializes both sides as the vector says; trace may be NULL. */
static void setup_from_vector(pair *p, json_t *v, ss_noise_pattern pat, ss_trace_fn trace,
                              void *trace_arg)
{
    ss_keypair is, rs, ie, re;
    size_t ipro_len, rpro_len, irs_len = 0;
    uint8_t *ipro = wp_hex(v, "init_prologue", &ipro_len);
    uint8_t *rpro = wp_hex(v, "resp_prologue", &rpro_len);
    uint8_t *irs = NULL;
    int has_is = has_field(v, "init_static"), has_rs = has_field(v, "resp_static");

    memset(p, 0, sizeof *p);
    if (has_is)
        keypair_from_field(&is, v, "init_static");
    if (has_rs)
        keypair_from_field(&rs, v, "resp_static");
    if (has_field(v, "init_remote_static")) {
        irs = wp_hex(v, "init_remote_static", &irs_len);
        ck_assert_uint_eq(irs_len, 32);
    }
    ck_assert_int_eq(ss_handshake_init(&p->init, pat, 1, ipro, ipro_len, has_is ? &is : NULL,
                                       irs, trace, trace_arg),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&p->resp, pat, 0, rpro, rpro_len, has_rs ? &rs : NULL,
                                       NULL, trace, trace_arg),
                     SS_OK);
    keypair_from_field(&ie, v, "init_ephemeral");
    keypair_from_field(&re, v, "resp_ephemeral");
    ss_handshake_set_ephemeral(&p->init, &ie);
    ss_handshake_set_ephemeral(&p->resp, &re);
    /* hfs: the initiator's KEM key pair and the responder's encapsulation
     * randomness (docs/vectors/noise_hfs_mlkem768.json). */
    if (has_field(v, "init_ephemeral_kem_dk")) {
        size_t dk_len, m_len;
        uint8_t *dk = wp_hex(v, "init_ephemeral_kem_dk", &dk_len);
        uint8_t *m = wp_hex(v, "resp_kem_encaps_m", &m_len);
        ck_assert_uint_eq(dk_len, SS_NOISE_KEM_SECRET_LEN);
        ck_assert_uint_eq(m_len, 32);
        ss_handshake_set_kem_ephemeral(&p->init, dk);
        ss_handshake_set_kem_randomness(&p->resp, m);
        free(dk);
        free(m);
    }
    free(ipro);
    free(rpro);
    free(irs);
}

/* The vector named exactly name in root, or NULL. */
static json_t *find_vector(json_t *root, const char *name)
{
    json_t *vectors = json_object_get(root, "vectors"), *v, *found = NULL;
    size_t i;
    json_array_foreach(vectors, i, v) {
        const char *pn = json_string_value(json_object_get(v, "protocol_name"));
        if (pn != NULL && strcmp(pn, name) == 0) {
            ck_assert_msg(found == NULL, "two vectors named %s", name);
            found = v;
        }
    }
    return found;
}

/* Writes handshake message i (the initiator writes the even ones) and
 * returns it; the other side does not read it. */
static void write_message(pair *p, int i, uint8_t *out, size_t cap, size_t *len,
                          const uint8_t *payload, size_t payload_len)
{
    ss_handshake *writer = i % 2 == 0 ? &p->init : &p->resp;
    ck_assert(ss_handshake_my_turn(writer));
    ck_assert_int_eq(ss_handshake_write(writer, out, cap, len, payload, payload_len), SS_OK);
}

static ss_handshake *reader_of(pair *p, int i)
{
    return i % 2 == 0 ? &p->resp : &p->init;
}

/* Runs one vector; returns the number of messages checked. */
static long run_vector(json_t *v, ss_noise_pattern pat, ss_trace_fn trace, void *trace_arg)
{
    static uint8_t out[SS_NOISE_MAX_MESSAGE], back[SS_NOISE_MAX_MESSAGE];
    pair p;
    json_t *messages = json_object_get(v, "messages");
    size_t count = json_array_size(messages), out_len, back_len;
    int hs_count = handshake_messages(pat);
    long checked = 0;

    setup_from_vector(&p, v, pat, trace, trace_arg);
    ck_assert_int_gt((int)count, hs_count);
    for (size_t i = 0; i < count; i++) {
        json_t *m = json_array_get(messages, i);
        size_t payload_len, ct_len;
        uint8_t *payload = wp_hex(m, "payload", &payload_len);
        uint8_t *ct = wp_hex(m, "ciphertext", &ct_len);
        /* The initiator sends message 0, then the sides alternate, through
         * the handshake and on into the transport messages. */
        int from_initiator = i % 2 == 0;

        if ((int)i < hs_count) {
            write_message(&p, (int)i, out, sizeof out, &out_len, payload, payload_len);
            ck_assert_uint_eq(out_len, ct_len);
            ck_assert_msg(memcmp(out, ct, ct_len) == 0, "handshake message %zu differs", i);
            ck_assert_int_eq(ss_handshake_read(reader_of(&p, (int)i), back, sizeof back,
                                               &back_len, out, out_len),
                             SS_OK);
            ck_assert_uint_eq(back_len, payload_len);
            ck_assert(payload_len == 0 || memcmp(back, payload, payload_len) == 0);
            if ((int)i == hs_count - 1) {
                ck_assert(ss_handshake_done(&p.init) && ss_handshake_done(&p.resp));
                ss_handshake_split(&p.init, &p.init_send, &p.init_recv, p.init_h);
                ss_handshake_split(&p.resp, &p.resp_send, &p.resp_recv, p.resp_h);
                ck_assert(memcmp(p.init_h, p.resp_h, 32) == 0);
                if (has_field(v, "handshake_hash")) {
                    size_t hlen;
                    uint8_t *hh = wp_hex(v, "handshake_hash", &hlen);
                    ck_assert_uint_eq(hlen, 32);
                    ck_assert_msg(memcmp(p.init_h, hh, 32) == 0, "handshake hash differs");
                    free(hh);
                }
            } else {
                ck_assert(!ss_handshake_done(&p.init) && !ss_handshake_done(&p.resp));
            }
        } else {
            /* Transport (§5): the initiator's first cipher state (its
             * send) pairs with the responder's first (its receive). */
            ss_cipher_state *send = from_initiator ? &p.init_send : &p.resp_send;
            ss_cipher_state *recv = from_initiator ? &p.resp_recv : &p.init_recv;
            ck_assert_uint_eq(ct_len, payload_len + 16);
            ck_assert_int_eq(ss_cipher_encrypt(send, out, NULL, 0, payload, payload_len), SS_OK);
            ck_assert_msg(memcmp(out, ct, ct_len) == 0, "transport message %zu differs", i);
            ck_assert_int_eq(ss_cipher_decrypt(recv, back, NULL, 0, out, ct_len), SS_OK);
            ck_assert(payload_len == 0 || memcmp(back, payload, payload_len) == 0);
        }
        checked++;
        free(payload);
        free(ct);
    }
    return checked;
}

static void check_file(const char *path, long expected_messages)
{
    json_t *root = wp_load(path);
    long vectors = 0, messages = 0;
    char label[128];
    for (size_t i = 0; i < 3; i++) {
        ss_noise_pattern pat = all_patterns[i];
        json_t *v = find_vector(root, ss_noise_protocol_name(pat));
        if (v == NULL)
            continue; /* then the count below fails */
        messages += run_vector(v, pat, NULL, NULL);
        vectors++;
    }
    snprintf(label, sizeof label, "%s (NN, NK, XX)", path);
    vec_report(label, vectors, 3);
    snprintf(label, sizeof label, "%s messages", path);
    vec_report(label, messages, expected_messages);
    json_decref(root);
}

START_TEST(cacophony_vectors)
{
    /* 3 vectors x 6 messages (vectors/noise/README). */
    check_file(CACOPHONY, 18);
}
END_TEST

START_TEST(snow_vectors)
{
    /* NN 4 + NK 4 + XX 5 messages. */
    check_file(SNOW, 13);
}
END_TEST

/* ---- tampering: one flipped bit in any handshake message ---- */

/* Sets up the cacophony vector for pat and processes messages 0..upto-1
 * normally. out receives message upto, written but not read. */
static json_t *replay_until(pair *p, json_t *root, ss_noise_pattern pat, int upto,
                            uint8_t *out, size_t *out_len)
{
    static uint8_t buf[SS_NOISE_MAX_MESSAGE], back[SS_NOISE_MAX_MESSAGE];
    json_t *v = find_vector(root, ss_noise_protocol_name(pat));
    json_t *messages = json_object_get(v, "messages");
    size_t len, back_len;
    ck_assert_ptr_nonnull(v);
    setup_from_vector(p, v, pat, NULL, NULL);
    for (int i = 0; i <= upto; i++) {
        size_t payload_len;
        uint8_t *payload = wp_hex(json_array_get(messages, (size_t)i), "payload", &payload_len);
        uint8_t *dst = i == upto ? out : buf;
        write_message(p, i, dst, SS_NOISE_MAX_MESSAGE, &len, payload, payload_len);
        if (i < upto)
            ck_assert_int_eq(
                ss_handshake_read(reader_of(p, i), back, sizeof back, &back_len, buf, len),
                SS_OK);
        free(payload);
    }
    *out_len = len;
    return json_array_get(messages, (size_t)upto);
}

START_TEST(flipped_bit_fails)
{
    static uint8_t msg[SS_NOISE_MAX_MESSAGE], next[SS_NOISE_MAX_MESSAGE],
        back[SS_NOISE_MAX_MESSAGE];
    json_t *root = wp_load(CACOPHONY);
    long immediate = 0, later = 0;
    for (size_t k = 0; k < 3; k++) {
        ss_noise_pattern pat = all_patterns[k];
        for (int m = 0; m < handshake_messages(pat); m++) {
            /* Only the first message of NN and XX ("-> e") has no key:
             * its payload travels in clear, without a tag. Every other
             * handshake message ends with a tag over h, which covers all
             * of it. */
            int in_clear = m == 0 && pat != SS_NOISE_NK;
            size_t len;
            pair probe;
            replay_until(&probe, root, pat, m, msg, &len);
            ss_handshake_wipe(&probe.init);
            ss_handshake_wipe(&probe.resp);
            for (size_t j = 0; j < len; j++) {
                pair p;
                size_t back_len, next_len;
                replay_until(&p, root, pat, m, msg, &len);
                msg[j] ^= (uint8_t)(1u << (j % 8));
                ss_handshake *reader = reader_of(&p, m);
                int rc = ss_handshake_read(reader, back, sizeof back, &back_len, msg, len);
                if (!in_clear) {
                    ck_assert_int_eq(rc, SS_ERR_TAMPERED);
                    /* The failed reader is wiped and refuses to go on. */
                    ck_assert_int_eq(ss_handshake_write(reader, next, sizeof next, &next_len,
                                                        NULL, 0),
                                     SS_ERR_ARGUMENT);
                    immediate++;
                } else {
                    /* Accepted, but h differs between the sides now (§5.2
                     * MixHash), so the next message, whose payload is
                     * encrypted with h as AD, fails at the first side. */
                    ck_assert_int_eq(rc, SS_OK);
                    write_message(&p, m + 1, next, sizeof next, &next_len, NULL, 0);
                    ck_assert_int_eq(ss_handshake_read(reader_of(&p, m + 1), back, sizeof back,
                                                       &back_len, next, next_len),
                                     SS_ERR_TAMPERED);
                    later++;
                }
                ss_handshake_wipe(&p.init);
                ss_handshake_wipe(&p.resp);
            }
        }
    }
    /* NN msg 1 and XX msg 1 are 48 bytes each in cacophony's vectors (e and
     * a 16-byte payload); every other byte is detected at once. */
    ck_assert_int_eq(later, 48 + 48);
    ck_assert_int_gt(immediate, 0);
    json_decref(root);
}
END_TEST

/* Different prologues (§6): the first encrypted payload fails. */
START_TEST(prologue_mismatch_fails)
{
    uint8_t msg[256], back[256];
    size_t len, back_len;
    ss_handshake i, r;
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_NN, 1, (const uint8_t *)"SSockets/1", 10,
                                       NULL, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_NN, 0, (const uint8_t *)"SSockets/2", 10,
                                       NULL, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&i, back, sizeof back, &back_len, msg, len),
                     SS_ERR_TAMPERED);
    ss_handshake_wipe(&r);
}
END_TEST

/* ---- low-order keys ---- */

static void fixed_keypair(ss_keypair *kp, uint8_t fill)
{
    memset(kp->secret_key, fill, 32);
    ss_x25519_public_key(kp->public_key, kp->secret_key);
}

/* The side that failed is wiped and refuses further messages. */
static void assert_dead(ss_handshake *hs)
{
    uint8_t buf[256];
    size_t len;
    ck_assert(all_zero(hs->e.secret_key, 32) && all_zero(hs->s.secret_key, 32));
    ck_assert(all_zero(hs->sym.ck, 32) && all_zero(hs->sym.cs.k, 32));
    ck_assert(!ss_handshake_my_turn(hs) && !ss_handshake_done(hs));
    ck_assert_int_eq(ss_handshake_write(hs, buf, sizeof buf, &len, NULL, 0), SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_read(hs, buf, sizeof buf, &len, buf, 48), SS_ERR_ARGUMENT);
}

/*
 * Every case puts the low-order point where the peer's key goes and
 * expects SS_ERR_LOW_ORDER_KEY at the first DH with it. our_secret is the
 * private key the honest side uses for that DH.
 */
static long low_order_cases(const uint8_t point[32], const uint8_t our_secret[32])
{
    uint8_t msg[512], back[512];
    size_t len, back_len;
    ss_handshake i, r;
    ss_keypair bad, ours, is, rs;
    long cases = 0;

    memcpy(bad.public_key, point, 32);
    memset(bad.secret_key, 0x42, 32); /* the attacker's "private key": unused */
    memcpy(ours.secret_key, our_secret, 32);
    ss_x25519_public_key(ours.public_key, ours.secret_key);
    fixed_keypair(&is, 0x11);
    fixed_keypair(&rs, 0x22);

    /* NN and XX: the initiator sends it as e; the responder reads it (no DH
     * yet in "-> e") and fails at "ee" while writing message 2. */
    for (int xx = 0; xx < 2; xx++) {
        ss_noise_pattern pat = xx ? SS_NOISE_XX : SS_NOISE_NN;
        ck_assert_int_eq(ss_handshake_init(&i, pat, 1, NULL, 0, xx ? &is : NULL, NULL, NULL, NULL),
                         SS_OK);
        ck_assert_int_eq(ss_handshake_init(&r, pat, 0, NULL, 0, xx ? &rs : NULL, NULL, NULL, NULL),
                         SS_OK);
        ss_handshake_set_ephemeral(&i, &bad);
        ss_handshake_set_ephemeral(&r, &ours);
        ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
        ck_assert(memcmp(msg, point, 32) == 0);
        ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
        ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, NULL, 0),
                         SS_ERR_LOW_ORDER_KEY);
        assert_dead(&r);
        ss_handshake_wipe(&i);
        cases++;
    }

    /* NK: the responder fails at "es" = DH(s, re) while reading message 1. */
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_NK, 1, NULL, 0, NULL, ours.public_key, NULL,
                                       NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_NK, 0, NULL, 0, &ours, NULL, NULL, NULL),
                     SS_OK);
    ss_handshake_set_ephemeral(&i, &bad);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len),
                     SS_ERR_LOW_ORDER_KEY);
    assert_dead(&r);
    ss_handshake_wipe(&i);
    cases++;

    /* NK: a pinned server key that is a low-order point fails the
     * initiator's own "es" while writing message 1. */
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_NK, 1, NULL, 0, NULL, point, NULL, NULL),
                     SS_OK);
    ss_handshake_set_ephemeral(&i, &ours);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0),
                     SS_ERR_LOW_ORDER_KEY);
    assert_dead(&i);
    cases++;

    /* NN: the responder sends it as e; the initiator fails at "ee" while
     * reading message 2. */
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_NN, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_NN, 0, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_OK);
    ss_handshake_set_ephemeral(&i, &ours);
    ss_handshake_set_ephemeral(&r, &bad);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&i, back, sizeof back, &back_len, msg, len),
                     SS_ERR_LOW_ORDER_KEY);
    assert_dead(&i);
    ss_handshake_wipe(&r);
    cases++;

    /* XX: the responder's static key (sent encrypted in message 2) is the
     * point; the initiator fails at "es" = DH(e, rs). */
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_XX, 1, NULL, 0, &is, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_XX, 0, NULL, 0, &bad, NULL, NULL, NULL),
                     SS_OK);
    ss_handshake_set_ephemeral(&i, &ours);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&i, back, sizeof back, &back_len, msg, len),
                     SS_ERR_LOW_ORDER_KEY);
    assert_dead(&i);
    ss_handshake_wipe(&r);
    cases++;

    /* XX: the initiator's static key (message 3) is the point; the
     * responder fails at "se" = DH(e, rs). */
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_XX, 1, NULL, 0, &bad, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_XX, 0, NULL, 0, &rs, NULL, NULL, NULL),
                     SS_OK);
    ss_handshake_set_ephemeral(&r, &ours);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&i, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len),
                     SS_ERR_LOW_ORDER_KEY);
    assert_dead(&r);
    ss_handshake_wipe(&i);
    cases++;
    return cases;
}

START_TEST(low_order_points_abort)
{
    /* u = 0 and u = 1 have order 2 and 4 (RFC 7748 §6.1 warns of such
     * points); any clamped scalar, a multiple of 8, sends them to the
     * identity, and X25519 outputs zeros. */
    uint8_t zero[32] = {0}, one[32] = {1}, secret[32];
    memset(secret, 0x5a, sizeof secret);
    ck_assert_int_eq(low_order_cases(zero, secret), 7);
    ck_assert_int_eq(low_order_cases(one, secret), 7);
}
END_TEST

START_TEST(wycheproof_zero_shared_secrets_abort)
{
    /* Every Wycheproof X25519 case flagged ZeroSharedSecret: its public
     * key, met with its private key, gives an all-zero result. Each is
     * used as a peer key in all seven positions. */
    json_t *root = wp_load("wycheproof/x25519_test.json");
    json_t *groups = json_object_get(root, "testGroups"), *g, *t;
    size_t gi, ti;
    long used = 0;
    json_array_foreach(groups, gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t plen, slen;
            uint8_t *pub, *priv;
            if (!wp_has_flag(t, "ZeroSharedSecret"))
                continue;
            pub = wp_hex(t, "public", &plen);
            priv = wp_hex(t, "private", &slen);
            ck_assert(plen == 32 && slen == 32);
            ck_assert_int_eq(low_order_cases(pub, priv), 7);
            used++;
            free(pub);
            free(priv);
        }
    }
    vec_report("wycheproof/x25519_test.json ZeroSharedSecret as Noise keys", used, 31);
    json_decref(root);
}
END_TEST

/* ---- sizes ---- */

START_TEST(wrong_sizes_are_bad_frames)
{
    static uint8_t msg[SS_NOISE_MAX_MESSAGE + 1], back[SS_NOISE_MAX_MESSAGE];
    json_t *root = wp_load(CACOPHONY);
    for (size_t k = 0; k < 3; k++) {
        ss_noise_pattern pat = all_patterns[k];
        for (int m = 0; m < handshake_messages(pat); m++) {
            size_t len, back_len, payload_len;
            pair p;
            json_t *vm = replay_until(&p, root, pat, m, msg, &len);
            uint8_t *payload = wp_hex(vm, "payload", &payload_len);
            size_t overhead = len - payload_len; /* keys and tags */
            ss_handshake *reader = reader_of(&p, m);
            ck_assert_uint_gt(payload_len, 0);
            /* One byte short of the keys and tags the pattern requires. */
            ck_assert_int_eq(ss_handshake_read(reader, back, sizeof back, &back_len, msg,
                                               overhead - 1),
                             SS_ERR_BAD_FRAME);
            assert_dead(reader);
            ss_handshake_wipe(&p.init);
            ss_handshake_wipe(&p.resp);

            /* Empty. */
            replay_until(&p, root, pat, m, msg, &len);
            reader = reader_of(&p, m);
            ck_assert_int_eq(ss_handshake_read(reader, back, sizeof back, &back_len, msg, 0),
                             SS_ERR_BAD_FRAME);
            ss_handshake_wipe(&p.init);
            ss_handshake_wipe(&p.resp);

            /* The payload does not fit the reader's buffer. */
            replay_until(&p, root, pat, m, msg, &len);
            reader = reader_of(&p, m);
            ck_assert_int_eq(ss_handshake_read(reader, back, payload_len - 1, &back_len, msg,
                                               len),
                             SS_ERR_BAD_FRAME);
            ss_handshake_wipe(&p.init);
            ss_handshake_wipe(&p.resp);

            /* Longer than any Noise message (§3: 65535 bytes). */
            replay_until(&p, root, pat, m, msg, &len);
            reader = reader_of(&p, m);
            ck_assert_int_eq(ss_handshake_read(reader, back, sizeof back, &back_len, msg,
                                               SS_NOISE_MAX_MESSAGE + 1),
                             SS_ERR_BAD_FRAME);
            ss_handshake_wipe(&p.init);
            ss_handshake_wipe(&p.resp);
            free(payload);
        }
    }
    json_decref(root);
}
END_TEST

START_TEST(largest_message)
{
    /* NN message 1 is e (32 bytes) and a clear payload: 65503 bytes of
     * payload make exactly 65535 bytes; one more is refused. */
    static uint8_t payload[SS_NOISE_MAX_MESSAGE], msg[SS_NOISE_MAX_MESSAGE + 64],
        back[SS_NOISE_MAX_MESSAGE];
    size_t len, back_len;
    ss_handshake i, r;
    memset(payload, 0x61, sizeof payload);
    ck_assert_int_eq(ss_handshake_init(&i, SS_NOISE_NN, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_NN, 0, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, payload, 65504),
                     SS_ERR_ARGUMENT);
    ck_assert(ss_handshake_my_turn(&i)); /* refused, not failed */
    ck_assert_int_eq(ss_handshake_write(&i, msg, sizeof msg, &len, payload, 65503), SS_OK);
    ck_assert_uint_eq(len, SS_NOISE_MAX_MESSAGE);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert_uint_eq(back_len, 65503);
    ck_assert(memcmp(back, payload, 65503) == 0);
    /* Message 2 (e, ee, encrypted payload): 32 + 16 bytes of overhead. */
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, payload, 65488),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_write(&r, msg, sizeof msg, &len, payload, 65487), SS_OK);
    ck_assert_uint_eq(len, SS_NOISE_MAX_MESSAGE);
    ck_assert_int_eq(ss_handshake_read(&i, back, sizeof back, &back_len, msg, len), SS_OK);
    ck_assert(memcmp(back, payload, 65487) == 0);
    ss_handshake_wipe(&i);
    ss_handshake_wipe(&r);
}
END_TEST

/* ---- cipher states ---- */

static void keyed_pair(ss_cipher_state *a, ss_cipher_state *b)
{
    memset(a, 0, sizeof *a);
    memset(a->k, 0x7e, 32);
    a->has_key = 1;
    *b = *a;
}

START_TEST(nonce_exhausted)
{
    uint8_t msg[64], back[64];
    ss_cipher_state send, recv;
    keyed_pair(&send, &recv);
    /* 2^64-2 is the last nonce used (§5.1: 2^64-1 is reserved). */
    send.n = recv.n = UINT64_MAX - 1;
    ck_assert_int_eq(ss_cipher_encrypt(&send, msg, NULL, 0, (const uint8_t *)"last", 4), SS_OK);
    ck_assert(send.n == UINT64_MAX);
    ck_assert_int_eq(ss_cipher_decrypt(&recv, back, NULL, 0, msg, 20), SS_OK);
    ck_assert(memcmp(back, "last", 4) == 0);
    ck_assert_int_eq(ss_cipher_encrypt(&send, msg, NULL, 0, (const uint8_t *)"more", 4),
                     SS_ERR_NONCE_EXHAUSTED);
    ck_assert(send.n == UINT64_MAX);
    ck_assert_int_eq(ss_cipher_decrypt(&recv, back, NULL, 0, msg, 20), SS_ERR_NONCE_EXHAUSTED);
}
END_TEST

START_TEST(decrypt_failure_keeps_nonce)
{
    uint8_t msg[64], back[64];
    const uint8_t text[] = "attack at dawn";
    ss_cipher_state send, recv;
    keyed_pair(&send, &recv);
    ck_assert_int_eq(ss_cipher_encrypt(&send, msg, NULL, 0, text, sizeof text), SS_OK);
    for (size_t j = 0; j < sizeof text + 16; j++) {
        msg[j] ^= 0x01;
        memset(back, 0xaa, sizeof back);
        ck_assert_int_eq(ss_cipher_decrypt(&recv, back, NULL, 0, msg, sizeof text + 16),
                         SS_ERR_TAMPERED);
        ck_assert(recv.n == 0);
        ck_assert(all_zero(back, sizeof text)); /* nothing unauthenticated */
        msg[j] ^= 0x01;
    }
    /* n did not move, so the genuine message still decrypts. */
    ck_assert_int_eq(ss_cipher_decrypt(&recv, back, NULL, 0, msg, sizeof text + 16), SS_OK);
    ck_assert(memcmp(back, text, sizeof text) == 0 && recv.n == 1);
    /* A replay of it now fails: the receiver expects nonce 1. */
    ck_assert_int_eq(ss_cipher_decrypt(&recv, back, NULL, 0, msg, sizeof text + 16),
                     SS_ERR_TAMPERED);
}
END_TEST

START_TEST(cipher_sizes_and_in_place)
{
    uint8_t buf[SS_NOISE_MAX_MESSAGE + 1], ref[64];
    const uint8_t text[] = "in place";
    ss_cipher_state a, b, c;
    memset(buf, 0, sizeof buf);
    keyed_pair(&a, &b);
    c = a;
    ck_assert_int_eq(ss_cipher_decrypt(&b, buf, NULL, 0, buf, 15), SS_ERR_BAD_FRAME);
    ck_assert_int_eq(ss_cipher_decrypt(&b, buf, NULL, 0, buf, SS_NOISE_MAX_MESSAGE + 1),
                     SS_ERR_BAD_FRAME);
    ck_assert_int_eq(ss_cipher_encrypt(&a, buf, NULL, 0, buf, SS_NOISE_MAX_MESSAGE - 15),
                     SS_ERR_ARGUMENT);
    ck_assert(a.n == 0 && b.n == 0);
    /* In place gives the same bytes as out of place. */
    ck_assert_int_eq(ss_cipher_encrypt(&c, ref, NULL, 0, text, sizeof text), SS_OK);
    memcpy(buf, text, sizeof text);
    ck_assert_int_eq(ss_cipher_encrypt(&a, buf, NULL, 0, buf, sizeof text), SS_OK);
    ck_assert(memcmp(buf, ref, sizeof text + 16) == 0);
    ck_assert_int_eq(ss_cipher_decrypt(&b, buf, NULL, 0, buf, sizeof text + 16), SS_OK);
    ck_assert(memcmp(buf, text, sizeof text) == 0);
    /* Without a key there is nothing to encrypt with. */
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(ss_cipher_encrypt(&c, buf, NULL, 0, text, sizeof text), SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_cipher_decrypt(&c, buf, NULL, 0, ref, sizeof text + 16),
                     SS_ERR_ARGUMENT);
}
END_TEST

/* ---- state, arguments, names ---- */

START_TEST(out_of_turn_is_refused)
{
    static uint8_t msg[SS_NOISE_MAX_MESSAGE], back[SS_NOISE_MAX_MESSAGE];
    json_t *root = wp_load(CACOPHONY);
    json_t *v = find_vector(root, ss_noise_protocol_name(SS_NOISE_XX));
    json_t *m0 = json_array_get(json_object_get(v, "messages"), 0);
    size_t len, back_len, ct_len, payload_len;
    uint8_t *ct = wp_hex(m0, "ciphertext", &ct_len), *payload = wp_hex(m0, "payload", &payload_len);
    pair p;
    setup_from_vector(&p, v, SS_NOISE_XX, NULL, NULL);
    ck_assert(ss_handshake_my_turn(&p.init) && !ss_handshake_my_turn(&p.resp));
    /* The responder may not write first, the initiator not read first. */
    ck_assert_int_eq(ss_handshake_write(&p.resp, msg, sizeof msg, &len, NULL, 0),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_read(&p.init, back, sizeof back, &back_len, ct, ct_len),
                     SS_ERR_ARGUMENT);
    /* Too small a buffer is refused and changes nothing: the next try
     * still produces the vector's message. */
    ck_assert_int_eq(ss_handshake_write(&p.init, msg, ct_len - 1, &len, payload, payload_len),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_write(&p.init, msg, ct_len, &len, payload, payload_len),
                     SS_OK);
    ck_assert(len == ct_len && memcmp(msg, ct, ct_len) == 0);
    /* Now it is the responder's turn to read, not the initiator's to write. */
    ck_assert_int_eq(ss_handshake_write(&p.init, msg, sizeof msg, &len, NULL, 0),
                     SS_ERR_ARGUMENT);
    ck_assert(!ss_handshake_my_turn(&p.init) && !ss_handshake_my_turn(&p.resp));
    ss_handshake_wipe(&p.init);
    ss_handshake_wipe(&p.resp);
    free(ct);
    free(payload);
    json_decref(root);
}
END_TEST

/* A full handshake with random ephemeral keys, as conn.c runs it. */
static void handshake(ss_noise_pattern pat, pair *p, uint8_t first[32])
{
    uint8_t msg[2048], back[2048];
    ss_noise_pattern base = ss_noise_classical(pat);
    size_t len, back_len;
    ss_keypair is, rs;
    ck_assert_int_eq(ss_random(is.secret_key, 32), 0);
    ck_assert_int_eq(ss_random(rs.secret_key, 32), 0);
    ss_x25519_public_key(is.public_key, is.secret_key);
    ss_x25519_public_key(rs.public_key, rs.secret_key);
    memset(p, 0, sizeof *p);
    ck_assert_int_eq(ss_handshake_init(&p->init, pat, 1, (const uint8_t *)"SSockets/1", 10,
                                       base == SS_NOISE_XX ? &is : NULL,
                                       base == SS_NOISE_NK ? rs.public_key : NULL, NULL, NULL),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_init(&p->resp, pat, 0, (const uint8_t *)"SSockets/1", 10,
                                       base == SS_NOISE_NN ? NULL : &rs, NULL, NULL, NULL),
                     SS_OK);
    for (int i = 0; i < handshake_messages(pat); i++) {
        ck_assert(!ss_handshake_done(&p->init) && !ss_handshake_done(&p->resp));
        write_message(p, i, msg, sizeof msg, &len, NULL, 0);
        if (i == 0)
            memcpy(first, msg, 32); /* e */
        ck_assert_int_eq(ss_handshake_read(reader_of(p, i), back, 0, &back_len, msg, len), SS_OK);
        ck_assert_uint_eq(back_len, 0);
    }
    ck_assert(ss_handshake_done(&p->init) && ss_handshake_done(&p->resp));
    /* XX: each side learned the other's static key. */
    if (base == SS_NOISE_XX) {
        ck_assert(memcmp(p->init.rs, rs.public_key, 32) == 0);
        ck_assert(memcmp(p->resp.rs, is.public_key, 32) == 0);
    }
    ss_handshake_split(&p->init, &p->init_send, &p->init_recv, p->init_h);
    ss_handshake_split(&p->resp, &p->resp_send, &p->resp_recv, p->resp_h);
}

START_TEST(random_ephemerals_and_split)
{
    for (size_t k = 0; k < 6; k++) {
        ss_noise_pattern pat = k < 3 ? all_patterns[k] : hybrid_patterns[k - 3];
        uint8_t first1[32], first2[32], msg[64], back[64];
        pair p, q;
        handshake(pat, &p, first1);
        handshake(pat, &q, first2);
        ck_assert(memcmp(first1, first2, 32) != 0); /* fresh e each time */
        ck_assert(memcmp(p.init_h, p.resp_h, 32) == 0);
        /* Split wiped both handshakes; they refuse to go on. */
        assert_dead(&p.init);
        assert_dead(&p.resp);
        /* Both directions work, with the pairing of §5. */
        ck_assert_int_eq(ss_cipher_encrypt(&p.init_send, msg, NULL, 0, (const uint8_t *)"hi", 2),
                         SS_OK);
        ck_assert_int_eq(ss_cipher_decrypt(&p.resp_recv, back, NULL, 0, msg, 18), SS_OK);
        ck_assert_int_eq(ss_cipher_encrypt(&p.resp_send, msg, NULL, 0, (const uint8_t *)"yo", 2),
                         SS_OK);
        ck_assert_int_eq(ss_cipher_decrypt(&p.init_recv, back, NULL, 0, msg, 18), SS_OK);
        ck_assert(memcmp(back, "yo", 2) == 0);
        /* The two directions have different keys. */
        ck_assert(memcmp(p.init_send.k, p.init_recv.k, 32) != 0);
    }
}
END_TEST

/* XX with the initiator's static public key sent in a non-canonical form:
 * bit 255 set, or the value plus p. X25519 computes the same DH results
 * (RFC 7748 §5 ignores bit 255 and reduces mod p), so the responder must
 * see, compare and report the one canonical key. Returns the read result
 * of the last message and the rs the responder ended with. */
static int xx_with_initiator_key(uint8_t rs_out[32], const uint8_t presented[32])
{
    uint8_t msg[512], back[512];
    size_t len, back_len;
    ss_keypair is, rs;
    pair p;
    fixed_keypair(&is, 0x31);
    fixed_keypair(&rs, 0x42);
    memcpy(is.public_key, presented, 32);
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(ss_handshake_init(&p.init, SS_NOISE_XX, 1, (const uint8_t *)"SSockets/1", 10,
                                       &is, NULL, NULL, NULL), SS_OK);
    ck_assert_int_eq(ss_handshake_init(&p.resp, SS_NOISE_XX, 0, (const uint8_t *)"SSockets/1", 10,
                                       &rs, NULL, NULL, NULL), SS_OK);
    int rc = SS_OK;
    for (int i = 0; i < 3 && rc == SS_OK; i++) {
        write_message(&p, i, msg, sizeof msg, &len, NULL, 0);
        rc = ss_handshake_read(reader_of(&p, i), back, 0, &back_len, msg, len);
    }
    memcpy(rs_out, p.resp.rs, 32);
    ss_handshake_wipe(&p.init);
    ss_handshake_wipe(&p.resp);
    return rc;
}

START_TEST(noncanonical_static_keys_canonicalised)
{
    ss_keypair is;
    uint8_t key[32], seen[32];
    fixed_keypair(&is, 0x31);
    ck_assert_int_eq(xx_with_initiator_key(seen, is.public_key), SS_OK);
    ck_assert(memcmp(seen, is.public_key, 32) == 0);
    /* Bit 255 set: the same key for X25519; the responder must report the
     * canonical bytes, so pins and allow-lists see one key, not two. */
    memcpy(key, is.public_key, 32);
    key[31] |= 0x80;
    ck_assert_int_eq(xx_with_initiator_key(seen, key), SS_OK);
    ck_assert(memcmp(seen, is.public_key, 32) == 0);
    /* p itself is 0 for X25519: still refused as a low-order key. */
    static uint8_t top[32];
    memset(top, 0xff, 31);
    top[31] = 0x7f;
    memcpy(key, top, 32);
    key[0] = 0xed;
    ck_assert_int_eq(xx_with_initiator_key(seen, key), SS_ERR_LOW_ORDER_KEY);
}
END_TEST

/* A write that fails inside the s token (the handshake's nonce counter at
 * its end) adds no uninitialised count to the message length (valgrind
 * checks the path under make check-valgrind) and leaves nothing to send. */
START_TEST(failed_s_token_writes_nothing)
{
    uint8_t msg[512], back[512];
    size_t len = 12345, back_len;
    ss_keypair is, rs;
    pair p;
    fixed_keypair(&is, 0x31);
    fixed_keypair(&rs, 0x42);
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(ss_handshake_init(&p.init, SS_NOISE_XX, 1, (const uint8_t *)"SSockets/1", 10,
                                       &is, NULL, NULL, NULL), SS_OK);
    ck_assert_int_eq(ss_handshake_init(&p.resp, SS_NOISE_XX, 0, (const uint8_t *)"SSockets/1", 10,
                                       &rs, NULL, NULL, NULL), SS_OK);
    write_message(&p, 0, msg, sizeof msg, &len, NULL, 0);
    ck_assert_int_eq(ss_handshake_read(&p.resp, back, 0, &back_len, msg, len), SS_OK);
    /* Message 2 ("e, ee, s, es"): its s is encrypted right after ee's
     * MixKey, which resets n, so n cannot be forced there. Written by a
     * copy of the responder whose n is forced: ee resets it, so it works. */
    ss_handshake copy = p.resp;
    copy.sym.cs.n = UINT64_MAX;
    len = 12345;
    ck_assert_int_eq(ss_handshake_write(&copy, msg, sizeof msg, &len, NULL, 0), SS_OK);
    ss_handshake_wipe(&copy);
    /* Message 3 ("s, se") encrypts s under the key of ee/es with no MixKey
     * before it: there n can be forced. */
    ck_assert_int_eq(ss_handshake_read(&p.init, back, 0, &back_len, msg, len), SS_OK);
    p.init.sym.cs.n = UINT64_MAX;
    len = 12345;
    ck_assert_int_eq(ss_handshake_write(&p.init, msg, sizeof msg, &len, NULL, 0),
                     SS_ERR_NONCE_EXHAUSTED);
    ck_assert_uint_eq(len, 0);
    assert_dead(&p.init);
    ss_handshake_wipe(&p.resp);
}
END_TEST

START_TEST(split_before_done_gives_no_keys)
{
    ss_handshake hs;
    ss_cipher_state send, recv;
    uint8_t h[32], buf[64];
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NN, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_OK);
    ss_handshake_split(&hs, &send, &recv, h);
    ck_assert(!send.has_key && !recv.has_key && all_zero(h, 32));
    ck_assert_int_eq(ss_cipher_encrypt(&send, buf, NULL, 0, NULL, 0), SS_ERR_ARGUMENT);
    assert_dead(&hs);
}
END_TEST

START_TEST(init_arguments)
{
    ss_handshake hs;
    ss_keypair s;
    uint8_t rs[32];
    fixed_keypair(&s, 0x33);
    memcpy(rs, s.public_key, 32);
    /* Exactly the keys the pattern uses for this role. */
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_XX, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_XX, 0, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_XX, 1, NULL, 0, &s, rs, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 1, NULL, 0, &s, rs, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 0, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 0, NULL, 0, &s, rs, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NN, 1, NULL, 0, &s, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NN, 0, NULL, 0, NULL, rs, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NN, 1, NULL, 3, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(&hs, (ss_noise_pattern)6, 1, NULL, 0, NULL, NULL, NULL,
                                       NULL),
                     SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_handshake_init(NULL, SS_NOISE_NN, 1, NULL, 0, NULL, NULL, NULL, NULL),
                     SS_ERR_ARGUMENT);
    /* A refused init leaves a handshake that cannot be used. */
    assert_dead(&hs);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 1, NULL, 0, NULL, rs, NULL, NULL), SS_OK);
    ck_assert(ss_handshake_my_turn(&hs));
    ss_handshake_wipe(&hs);
    ck_assert_int_eq(ss_handshake_init(&hs, SS_NOISE_NK, 0, NULL, 0, &s, NULL, NULL, NULL), SS_OK);
    ck_assert(!ss_handshake_my_turn(&hs));
    ss_handshake_wipe(&hs);
    assert_dead(&hs);
}
END_TEST

static int name_ok(const char *s, size_t len, ss_noise_pattern *p)
{
    return ss_noise_pattern_from_name(p, (const uint8_t *)s, len);
}

START_TEST(protocol_names)
{
    static const char *const names[] = {"Noise_NN_25519_ChaChaPoly_SHA256",
                                        "Noise_NK_25519_ChaChaPoly_SHA256",
                                        "Noise_XX_25519_ChaChaPoly_SHA256"};
    static const char *const others[] = {
        "Noise_KK_25519_ChaChaPoly_SHA256",  "Noise_IK_25519_ChaChaPoly_SHA256",
        "Noise_NX_25519_ChaChaPoly_SHA256",  "Noise_NN_25519_AESGCM_SHA256",
        "Noise_NN_448_ChaChaPoly_SHA256",    "Noise_NN_25519_ChaChaPoly_BLAKE2s",
        "Noise_NNpsk0_25519_ChaChaPoly_SHA256", "noise_nn_25519_chachapoly_sha256",
        "NoisePSK_NN_25519_ChaChaPoly_SHA256", ""};
    ss_noise_pattern p;
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        char longer[64];
        ck_assert_str_eq(ss_noise_protocol_name(all_patterns[i]), names[i]);
        ck_assert_int_eq(name_ok(names[i], n, &p), SS_OK);
        ck_assert_int_eq(p, all_patterns[i]);
        /* A prefix, a suffix, a trailing NUL are other names. */
        ck_assert_int_eq(name_ok(names[i], n - 1, &p), SS_ERR_BAD_PROTOCOL);
        snprintf(longer, sizeof longer, "%sX", names[i]);
        ck_assert_int_eq(name_ok(longer, n + 1, &p), SS_ERR_BAD_PROTOCOL);
        ck_assert_int_eq(name_ok(names[i], n + 1, &p), SS_ERR_BAD_PROTOCOL);
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        ck_assert_int_eq(name_ok(others[i], strlen(others[i]), &p), SS_ERR_BAD_PROTOCOL);
    ck_assert_int_eq(ss_noise_pattern_from_name(&p, NULL, 0), SS_ERR_BAD_PROTOCOL);
    ck_assert_ptr_null(ss_noise_protocol_name((ss_noise_pattern)6));
}
END_TEST

/* The hfs names (hfs §5: "25519+MLKEM768"), and their pairing with the
 * classical patterns. */
START_TEST(hybrid_protocol_names)
{
    static const char *const names[] = {"Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256",
                                        "Noise_NKhfs_25519+MLKEM768_ChaChaPoly_SHA256",
                                        "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256"};
    static const char *const others[] = {
        "Noise_NNhfs_25519_ChaChaPoly_SHA256", "Noise_NN_25519+MLKEM768_ChaChaPoly_SHA256",
        "Noise_NNhfs_25519+Kyber1024_ChaChaPoly_SHA256",
        "Noise_NNhfs_25519+ML-KEM-768_ChaChaPoly_SHA256",
        "Noise_XXhfs_25519+MLKEM1024_ChaChaPoly_SHA256",
        "Noise_IKhfs_25519+MLKEM768_ChaChaPoly_SHA256"};
    ss_noise_pattern p;
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        ck_assert_uint_lt(n, SS_NOISE_NAME_MAX);
        ck_assert_str_eq(ss_noise_protocol_name(hybrid_patterns[i]), names[i]);
        ck_assert_int_eq(name_ok(names[i], n, &p), SS_OK);
        ck_assert_int_eq(p, hybrid_patterns[i]);
        ck_assert_int_eq(name_ok(names[i], n - 1, &p), SS_ERR_BAD_PROTOCOL);
        ck_assert(ss_noise_is_hybrid(hybrid_patterns[i]));
        ck_assert(!ss_noise_is_hybrid(all_patterns[i]));
        ck_assert_int_eq(ss_noise_classical(hybrid_patterns[i]), all_patterns[i]);
        ck_assert_int_eq(ss_noise_classical(all_patterns[i]), all_patterns[i]);
        ck_assert_int_eq(ss_noise_hybrid(all_patterns[i]), hybrid_patterns[i]);
        ck_assert_int_eq(ss_noise_hybrid(hybrid_patterns[i]), hybrid_patterns[i]);
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        ck_assert_int_eq(name_ok(others[i], strlen(others[i]), &p), SS_ERR_BAD_PROTOCOL);
}
END_TEST

/* ---- trace ---- */

typedef struct {
    char *text;
    size_t len, cap;
    long lines;
} trace_log;

static void collect(void *arg, const char *line)
{
    trace_log *log = arg;
    size_t n = strlen(line);
    ck_assert(strchr(line, '\n') == NULL); /* one line per call */
    if (log->len + n + 2 > log->cap) {
        log->cap = 2 * (log->len + n + 2);
        log->text = realloc(log->text, log->cap);
        ck_assert_ptr_nonnull(log->text);
    }
    memcpy(log->text + log->len, line, n);
    log->len += n;
    log->text[log->len++] = '\n';
    log->text[log->len] = '\0';
    log->lines++;
}

static int has_line(const trace_log *log, const char *text)
{
    return strstr(log->text, text) != NULL;
}

START_TEST(trace_reports_every_step)
{
    json_t *root = wp_load(CACOPHONY);
    for (size_t k = 0; k < 3; k++) {
        ss_noise_pattern pat = all_patterns[k];
        json_t *v = find_vector(root, ss_noise_protocol_name(pat));
        trace_log log = {0};
        ss_keypair ie;
        char hex[65], want[160];
        size_t hlen;
        uint8_t *hh = wp_hex(v, "handshake_hash", &hlen);
        /* Tracing does not change a single byte: the vector still passes. */
        ck_assert_int_eq(run_vector(v, pat, collect, &log), 6);
        ck_assert_int_gt(log.lines, 20);
        ck_assert(has_line(&log, "initiator setup: protocol_name = "));
        ck_assert(has_line(&log, ss_noise_protocol_name(pat)));
        ck_assert(has_line(&log, "responder setup: InitializeSymmetric: h = ck = "));
        ck_assert(has_line(&log, "MixHash: h = "));
        ck_assert(has_line(&log, "MixKey: ck = "));
        ck_assert(has_line(&log, "responder <- msg 2 write: token ee: DH(e, re) = "));
        ck_assert(has_line(&log, "initiator <- msg 2 read: token ee: DH(e, re) = "));
        ck_assert(has_line(&log, "EncryptAndHash(payload)"));
        ck_assert(has_line(&log, "DecryptAndHash(payload)"));
        ck_assert(has_line(&log, "initiator end: Split: k1 = "));
        ck_assert(has_line(&log, "responder end: Split: k1 = "));
        /* The initiator's e.pub, in the line of its token. */
        keypair_from_field(&ie, v, "init_ephemeral");
        hex_encode(hex, ie.public_key, 32);
        snprintf(want, sizeof want, "initiator -> msg 1 write: token e: e.pub = %s\n", hex);
        ck_assert_msg(has_line(&log, want), "missing: %s", want);
        snprintf(want, sizeof want, "responder -> msg 1 read: token e: re = %s\n", hex);
        ck_assert_msg(has_line(&log, want), "missing: %s", want);
        /* The vector's handshake hash, as the last MixHash and at Split. */
        hex_encode(hex, hh, 32);
        snprintf(want, sizeof want, "initiator end: handshake hash: h = %s\n", hex);
        ck_assert_msg(has_line(&log, want), "missing: %s", want);
        if (pat == SS_NOISE_NK) {
            ck_assert(has_line(&log, "initiator setup: pre-message <- s: rs = "));
            ck_assert(has_line(&log, "initiator -> msg 1 write: token es: DH(e, rs) = "));
            ck_assert(has_line(&log, "responder -> msg 1 read: token es: DH(s, re) = "));
        }
        if (pat == SS_NOISE_XX) {
            ck_assert(has_line(&log, "responder <- msg 2 write: token s: s.pub = "));
            ck_assert(has_line(&log, "initiator <- msg 2 read: token s: rs = "));
            ck_assert(has_line(&log, "initiator -> msg 3 write: token se: DH(s, re) = "));
            ck_assert(has_line(&log, "responder -> msg 3 read: token se: DH(e, rs) = "));
        }
        free(hh);
        free(log.text);
    }
    json_decref(root);
}
END_TEST

/* ---- hfs: the published vectors, and what the KEM tokens must do ---- */

/* The symmetric state as the trace reports it, one side at a time:
 * "InitializeSymmetric: h = ck = ...", "MixHash: h = ...", "MixKey: ck =
 * ..., k = ...", "Split: k1 = ..., k2 = ...", in order. */
#define STATE_LINES 32
typedef struct {
    char lines[2][STATE_LINES][2 * 64 + 40]; /* [0] initiator, [1] responder */
    int count[2];
} state_log;

static void collect_state(void *arg, const char *line)
{
    static const char *const ops[] = {": InitializeSymmetric: ", ": MixHash: ", ": MixKey: ",
                                      ": Split: "};
    state_log *log = arg;
    int side = strncmp(line, "initiator ", 10) == 0 ? 0 : 1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const char *at = strstr(line, ops[i]);
        if (at == NULL)
            continue;
        ck_assert_int_lt(log->count[side], STATE_LINES);
        snprintf(log->lines[side][log->count[side]++], sizeof log->lines[0][0], "%s", at + 2);
    }
}

/* The vector's symmetric_state_trace entry i, in the trace's words. */
static void expected_state(char *out, size_t cap, json_t *entry)
{
    const char *op = json_string_value(json_object_get(entry, "op"));
#define FIELD(name) json_string_value(json_object_get(entry, name))
    if (strcmp(op, "InitializeSymmetric") == 0)
        snprintf(out, cap, "InitializeSymmetric: h = ck = %s", FIELD("h"));
    else if (strcmp(op, "MixHash") == 0)
        snprintf(out, cap, "MixHash: h = %s", FIELD("h"));
    else if (strcmp(op, "MixKey") == 0)
        snprintf(out, cap, "MixKey: ck = %s, k = %s", FIELD("ck"), FIELD("k"));
    else
        snprintf(out, cap, "Split: k1 = %s, k2 = %s", FIELD("k1"), FIELD("k2"));
#undef FIELD
}

START_TEST(hybrid_vectors)
{
    json_t *root = wp_load(HFS_VECTORS);
    long vectors = 0, messages = 0, states = 0;
    for (size_t k = 0; k < 3; k++) {
        ss_noise_pattern pat = hybrid_patterns[k];
        json_t *v = find_vector(root, ss_noise_protocol_name(pat));
        json_t *trace = json_object_get(v, "symmetric_state_trace");
        static state_log log;
        ck_assert_ptr_nonnull(v);
        memset(&log, 0, sizeof log);
        /* Every message, the handshake hash and the transport messages. */
        messages += run_vector(v, pat, collect_state, &log);
        vectors++;
        /* Every h, ck and k, on both sides, in order. */
        for (int side = 0; side < 2; side++) {
            ck_assert_int_eq(log.count[side], (int)json_array_size(trace));
            for (int i = 0; i < log.count[side]; i++) {
                char want[sizeof log.lines[0][0]];
                expected_state(want, sizeof want, json_array_get(trace, (size_t)i));
                ck_assert_msg(strcmp(log.lines[side][i], want) == 0,
                              "%s, %s, step %d:\n got  %s\n want %s",
                              ss_noise_protocol_name(pat), side ? "responder" : "initiator", i,
                              log.lines[side][i], want);
                states++;
            }
        }
    }
    vec_report("noise_hfs_mlkem768.json (NNhfs, NKhfs, XXhfs)", vectors, 3);
    vec_report("noise_hfs_mlkem768.json messages", messages, 18);
    /* 11 + 13 + 16 states, on both sides. */
    vec_report("noise_hfs_mlkem768.json h, ck, k", states, 2 * (11 + 13 + 16));
    json_decref(root);
}
END_TEST

/* Sizes on the wire (hfs §4 with ML-KEM-768; docs/protocol.md section 5;
 * one byte less is a bad frame), the KEM secret wiped as soon as ekem1 has been read, and re1 once the
 * encapsulation is done. */
START_TEST(hybrid_sizes_and_wipes)
{
    static const size_t sizes[3][3] = {{32 + 1184, 32 + 1104 + 16, 0},
                                       {32 + 1200 + 16, 32 + 1104 + 16, 0},
                                       {32 + 1184, 32 + 1104 + 48 + 16, 48 + 16}};
    for (size_t k = 0; k < 3; k++) {
        ss_noise_pattern pat = hybrid_patterns[k];
        uint8_t msg[2048], back[16];
        size_t len, back_len;
        ss_keypair is, rs;
        pair p;
        ss_noise_pattern base = ss_noise_classical(pat);
        fixed_keypair(&is, 0x31);
        fixed_keypair(&rs, 0x42);
        memset(&p, 0, sizeof p);
        ck_assert_int_eq(ss_handshake_init(&p.init, pat, 1, NULL, 0,
                                           base == SS_NOISE_XX ? &is : NULL,
                                           base == SS_NOISE_NK ? rs.public_key : NULL, NULL,
                                           NULL),
                         SS_OK);
        ck_assert_int_eq(ss_handshake_init(&p.resp, pat, 0, NULL, 0,
                                           base == SS_NOISE_NN ? NULL : &rs, NULL, NULL, NULL),
                         SS_OK);
        for (int i = 0; i < handshake_messages(pat); i++) {
            write_message(&p, i, msg, sizeof msg, &len, NULL, 0);
            ck_assert_uint_eq(len, sizes[k][i]);
            /* One byte short cannot hold the keys and tags: refused
             * before any token is processed, on a copy of the reader. */
            ss_handshake probe = *reader_of(&p, i);
            ck_assert_int_eq(ss_handshake_read(&probe, back, sizeof back, &back_len, msg, len - 1),
                             SS_ERR_BAD_FRAME);
            ss_handshake_wipe(&probe);
            if (i == 0) {
                ck_assert(p.init.has_e1 && !all_zero(p.init.e1_dk, sizeof p.init.e1_dk));
            }
            ck_assert_int_eq(ss_handshake_read(reader_of(&p, i), back, sizeof back, &back_len,
                                               msg, len),
                             SS_OK);
            if (i == 0) {
                ck_assert(p.resp.has_re1);
            } else if (i == 1) {
                /* The responder encapsulated (and forgot re1); the
                 * initiator decapsulated and wiped its KEM secret key. */
                ck_assert(!p.resp.has_re1 && all_zero(p.resp.re1, sizeof p.resp.re1));
                ck_assert(!p.init.has_e1 && all_zero(p.init.e1_dk, sizeof p.init.e1_dk));
            }
        }
        ck_assert(ss_handshake_done(&p.init) && ss_handshake_done(&p.resp));
        ck_assert(memcmp(p.init.sym.h, p.resp.sym.h, 32) == 0);
        ck_assert(memcmp(p.init.sym.ck, p.resp.sym.ck, 32) == 0);
        ss_handshake_wipe(&p.init);
        ss_handshake_wipe(&p.resp);
    }
}
END_TEST

/* NNhfs with the KEM public key of message 1 (sent in clear: no key yet)
 * changed: a coefficient of 4095, not below q = 3329, fails FIPS 203's
 * modulus check when the responder encapsulates (SS_ERR_BAD_FRAME, and no
 * message 2); any other change to e1 or to the ciphertext of message 2
 * fails a tag. */
START_TEST(hybrid_tampering)
{
    for (int what = 0; what < 3; what++) {
        uint8_t msg[2048], back[16];
        size_t len, back_len;
        pair p;
        memset(&p, 0, sizeof p);
        ck_assert_int_eq(ss_handshake_init(&p.init, SS_NOISE_NN_HFS, 1, NULL, 0, NULL, NULL,
                                           NULL, NULL),
                         SS_OK);
        ck_assert_int_eq(ss_handshake_init(&p.resp, SS_NOISE_NN_HFS, 0, NULL, 0, NULL, NULL,
                                           NULL, NULL),
                         SS_OK);
        write_message(&p, 0, msg, sizeof msg, &len, NULL, 0);
        if (what == 0) {
            msg[32] = 0xff; /* the first 12-bit coefficient of t-hat: 4095 */
            msg[33] |= 0x0f;
        } else if (what == 1) {
            msg[32 + 600] ^= 0x10; /* inside e1 */
        }
        ck_assert_int_eq(ss_handshake_read(&p.resp, back, sizeof back, &back_len, msg, len),
                         SS_OK);
        if (what == 0) {
            ck_assert_int_eq(ss_handshake_write(&p.resp, msg, sizeof msg, &len, NULL, 0),
                             SS_ERR_BAD_FRAME);
            ck_assert_uint_eq(len, 0);
            assert_dead(&p.resp);
        } else {
            write_message(&p, 1, msg, sizeof msg, &len, NULL, 0);
            if (what == 2)
                msg[32 + 500] ^= 0x01; /* inside the encrypted ciphertext */
            ck_assert_int_eq(ss_handshake_read(&p.init, back, sizeof back, &back_len, msg, len),
                             SS_ERR_TAMPERED);
            assert_dead(&p.init);
            ck_assert(all_zero(p.init.e1_dk, sizeof p.init.e1_dk));
        }
        ss_handshake_wipe(&p.init);
        ss_handshake_wipe(&p.resp);
    }
}
END_TEST

START_TEST(trace_reports_abort)
{
    trace_log log = {0};
    uint8_t msg[16] = {0}, back[16];
    size_t len;
    ss_handshake r;
    ck_assert_int_eq(ss_handshake_init(&r, SS_NOISE_NN, 0, NULL, 0, NULL, NULL, collect, &log),
                     SS_OK);
    ck_assert_int_eq(ss_handshake_read(&r, back, sizeof back, &len, msg, sizeof msg),
                     SS_ERR_BAD_FRAME);
    ck_assert(has_line(&log, "responder -> msg 1 read: abort: "));
    free(log.text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noise");
    TCase *vec = tcase_create("vectors");
    TCase *neg = tcase_create("failures");
    TCase *api = tcase_create("api");
    tcase_set_timeout(vec, 60);
    tcase_set_timeout(neg, 300);
    tcase_add_test(vec, cacophony_vectors);
    tcase_add_test(vec, snow_vectors);
    tcase_add_test(vec, hybrid_vectors);
    tcase_add_test(neg, hybrid_sizes_and_wipes);
    tcase_add_test(neg, hybrid_tampering);
    tcase_add_test(neg, flipped_bit_fails);
    tcase_add_test(neg, prologue_mismatch_fails);
    tcase_add_test(neg, low_order_points_abort);
    tcase_add_test(neg, wycheproof_zero_shared_secrets_abort);
    tcase_add_test(neg, wrong_sizes_are_bad_frames);
    tcase_add_test(neg, largest_message);
    tcase_add_test(neg, nonce_exhausted);
    tcase_add_test(neg, decrypt_failure_keeps_nonce);
    tcase_add_test(neg, cipher_sizes_and_in_place);
    tcase_add_test(api, out_of_turn_is_refused);
    tcase_add_test(api, random_ephemerals_and_split);
    tcase_add_test(neg, noncanonical_static_keys_canonicalised);
    tcase_add_test(neg, failed_s_token_writes_nothing);
    tcase_add_test(api, split_before_done_gives_no_keys);
    tcase_add_test(api, init_arguments);
    tcase_add_test(api, protocol_names);
    tcase_add_test(api, hybrid_protocol_names);
    tcase_add_test(api, trace_reports_every_step);
    tcase_add_test(api, trace_reports_abort);
    suite_add_tcase(s, vec);
    suite_add_tcase(s, neg);
    suite_add_tcase(s, api);
    return run_suite(s);
}
