/*
 * test_engine.c — the protocol engine (src/net/engine.c) with no socket:
 * two engines, a client and a server, joined by byte queues this file
 * moves, so every byte on the "wire" is in the test's hands.
 *
 *   - NN, NK and XX sessions, and their hybrid forms NNhfs, NKhfs and XXhfs
 *     (patterns 3 to 5 below): messages of 0 B to 200 KiB both ways, the
 *     closes, the handshake hash and the peer keys agree; a hybrid-only
 *     server refuses classical proposals;
 *   - memory: an established, idle engine holds at most 16 KiB of heap
 *     (ss_engine_memory), also right after bulk transfers;
 *   - every manipulation of the adversarial network suite
 *     (tests/net/test_adversary.c), at every frame, in both directions,
 *     for each pattern: a flipped bit, a dropped, duplicated or delayed
 *     (reordered) frame, a cut stream and an injected frame. Each must be
 *     detected by an error on one side, and no side may hand out a byte
 *     that was not sent;
 *   - the engine's own contract: input in pieces of every size, back-pressure
 *     while a fragment waits, SS_WANT_WRITE, bytes after the close, errors
 *     that stay;
 *   - batches: handshake flights and transport frames several to a read,
 *     two frames from one ss_engine_send, a frame split at every byte, a
 *     tampered frame inside a batch (the frames before it come out, no
 *     byte of it or of those behind it does).
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "net/engine.h"
#include "net/error.h"

/* A byte queue: one direction of the wire. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} queue;

static void q_push(queue *q, const uint8_t *p, size_t n)
{
    if (q->len + n > q->cap) {
        q->cap = (q->len + n) * 2 + 64;
        q->data = realloc(q->data, q->cap);
        ck_assert_ptr_nonnull(q->data);
    }
    memcpy(q->data + q->len, p, n);
    q->len += n;
}

static void q_pop(queue *q, size_t n)
{
    memmove(q->data, q->data + n, q->len - n);
    q->len -= n;
}

/* What one side received, and what it sent. */
typedef struct {
    ss_engine *e;
    queue in;            /* bytes on their way to this side */
    uint8_t *got;        /* every byte ss_engine_recv handed out */
    size_t got_len, got_cap;
    size_t ends[64];     /* where messages ended in got */
    size_t n_ends;
    int closed;          /* took the peer's close */
    const uint8_t *to_send; /* the messages this side sends, back to back */
    const size_t *sizes;
    size_t n_msgs, msg, taken;
    int close_sent, ended;
    size_t out_frames;   /* frames this side has put out */
} side;

/* The manipulations of tests/net/test_adversary.c, on frame `at` of one
 * direction (frames counted from 0, frame 0 being the protocol name). */
enum manip { M_NONE, M_FLIP, M_DROP, M_DUP, M_DELAY, M_CUT, M_INJECT, M_COUNT };
static const char *const manip_name[M_COUNT] = {"none", "flip", "drop", "duplicate",
                                                "delay", "cut", "inject"};

typedef struct {
    enum manip m;
    int dir;             /* 0: client to server, 1: server to client */
    size_t at;
    int applied;
    uint8_t held[2 + 65535]; /* a delayed frame */
    size_t held_len;
    int cut;             /* the stream in this direction has been cut */
    int reordered;       /* the delayed frame did arrive after a later one */
} attack;

static ss_keypair server_key, client_key;

static void keys_once(void)
{
    static int done;
    if (done)
        return;
    ck_assert_int_eq(ss_keypair_generate(&server_key), 0);
    ck_assert_int_eq(ss_keypair_generate(&client_key), 0);
    done = 1;
}

/* Patterns 0 NN, 1 NK, 2 XX; 3, 4, 5 their hybrid forms (the client
 * proposes hfs, the server accepts both forms). */
#define PATTERNS 6
static void configs(ss_config *client, ss_config *server, int pattern)
{
    keys_once();
    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    if (pattern % 3 >= 1) {
        server->static_key = &server_key;
        client->peer_public_key = server_key.public_key;
    }
    if (pattern % 3 == 2)
        client->static_key = &client_key;
    client->hybrid = pattern >= 3;
}

/* One frame leaves `from` towards `to`, through the attack. */
static void deliver(attack *a, int dir, side *to, const uint8_t *frame, size_t len, size_t index)
{
    if (a->cut && a->dir == dir)
        return;
    if (a->m == M_NONE || a->dir != dir) {
        q_push(&to->in, frame, len);
        return;
    }
    if (a->held_len > 0 && index == a->at + 1) {
        /* The delayed frame arrives after the next one: reordered. */
        q_push(&to->in, frame, len);
        q_push(&to->in, a->held, a->held_len);
        a->held_len = 0;
        a->reordered = 1;
        return;
    }
    if (index != a->at) {
        q_push(&to->in, frame, len);
        return;
    }
    a->applied = 1;
    uint8_t copy[2 + 65535];
    memcpy(copy, frame, len);
    switch (a->m) {
    case M_FLIP:
        /* A bit of the frame's bytes (of its length, if it has none). */
        copy[len > 2 ? 2 + trng_below(len - 2) : 1] ^= (uint8_t)(1u << trng_below(8));
        q_push(&to->in, copy, len);
        break;
    case M_DROP:
        break;
    case M_DUP:
        q_push(&to->in, copy, len);
        q_push(&to->in, copy, len);
        break;
    case M_DELAY:
        memcpy(a->held, copy, len);
        a->held_len = len;
        break;
    case M_CUT:
        q_push(&to->in, copy, len / 2);
        a->cut = 1;
        break;
    case M_INJECT: {
        uint8_t junk[2 + 40];
        junk[0] = 0;
        junk[1] = 40;
        trng_bytes(junk + 2, 40);
        q_push(&to->in, junk, sizeof junk);
        q_push(&to->in, copy, len);
        break;
    }
    default:
        break;
    }
}

static void take_bytes(side *s)
{
    uint8_t buf[70000];
    for (;;) {
        int end;
        ssize_t n = ss_engine_recv(s->e, buf, 1 + trng_below(sizeof buf), &end);
        if (n < 0)
            return;
        if (ss_engine_peer_closed(s->e)) {
            ck_assert_int_eq(n, 0);
            s->closed = 1;
            return;
        }
        if (s->got_len + (size_t)n > s->got_cap) {
            s->got_cap = (s->got_len + (size_t)n) * 2;
            s->got = realloc(s->got, s->got_cap);
            ck_assert_ptr_nonnull(s->got);
        }
        memcpy(s->got + s->got_len, buf, (size_t)n);
        s->got_len += (size_t)n;
        if (end) {
            ck_assert_uint_lt(s->n_ends, 64);
            s->ends[s->n_ends++] = s->got_len;
        }
    }
}

/* The application on one side: send the next fragment, or the close. */
static int send_step(side *s)
{
    if (!ss_engine_established(s->e) || ss_engine_error(s->e) != SS_OK || s->close_sent)
        return 0;
    if (s->msg < s->n_msgs) {
        size_t off = 0;
        for (size_t i = 0; i < s->msg; i++)
            off += s->sizes[i];
        size_t t;
        int rc = ss_engine_send(s->e, s->to_send + off + s->taken, s->sizes[s->msg] - s->taken, &t);
        if (rc != 0)
            return 0; /* SS_WANT_WRITE: the output is not out yet */
        s->taken += t;
        if (s->taken == s->sizes[s->msg]) {
            s->msg++;
            s->taken = 0;
        }
        return 1;
    }
    if (ss_engine_close(s->e) == 0) {
        s->close_sent = 1;
        return 1;
    }
    return 0;
}

/* Moves one side's output onto the wire towards the other. */
static int output_step(side *from, side *to, attack *a, int dir)
{
    size_t len;
    const uint8_t *p = ss_engine_output(from->e, &len);
    if (p == NULL)
        return 0;
    /* Whole frames only: one handshake message (the client's name, then
     * its message 1 once the name is out), or the transport frames of one
     * ss_engine_send, two at most. Each is delivered (or attacked) on its
     * own. */
    static uint8_t out[2 * (2 + 65535)];
    ck_assert_uint_le(len, sizeof out);
    memcpy(out, p, len);
    ss_engine_output_done(from->e, len);
    int frames = 0;
    for (size_t at = 0; at < len; frames++) {
        ck_assert_uint_ge(len - at, 2);
        size_t frame_len = 2 + ((size_t)out[at] << 8 | out[at + 1]);
        ck_assert_uint_le(frame_len, len - at);
        deliver(a, dir, to, out + at, frame_len, from->out_frames++);
        at += frame_len;
    }
    ck_assert_int_le(frames, 2);
    return 1;
}

static int input_step(side *s)
{
    if (s->in.len == 0 || ss_engine_error(s->e) != SS_OK)
        return 0;
    /* Pieces of random sizes: lengths and bodies split anywhere. */
    size_t piece = 1 + trng_below(s->in.len < 3000 ? s->in.len : 3000);
    ssize_t n = ss_engine_feed(s->e, s->in.data, piece);
    if (n > 0)
        q_pop(&s->in, (size_t)n);
    return n > 0;
}

/* Runs a session as far as it goes under attack a; then, if end_streams,
 * both streams end (each side's FIN). */
static void run_session(side *c, side *s, attack *a, int end_streams)
{
    int quiet = 0;
    for (int round = 0; round < 200000 && quiet < 2; round++) {
        int progress = 0;
        progress |= output_step(c, s, a, 0);
        progress |= output_step(s, c, a, 1);
        progress |= input_step(c);
        progress |= input_step(s);
        take_bytes(c);
        take_bytes(s);
        progress |= send_step(c);
        progress |= send_step(s);
        if (!progress && a->held_len > 0) {
            /* Nothing follows the delayed frame: it arrives last. */
            q_push(a->dir == 0 ? &s->in : &c->in, a->held, a->held_len);
            a->held_len = 0;
            progress = 1;
        }
        quiet = progress ? 0 : quiet + 1;
    }
    if (end_streams) {
        ss_engine_input_end(c->e);
        ss_engine_input_end(s->e);
    }
}

/* Bytes handed out must be a prefix of what the other side sent. */
static void check_authentic(const side *receiver, const side *sender)
{
    size_t total = 0;
    for (size_t i = 0; i < sender->n_msgs; i++)
        total += sender->sizes[i];
    ck_assert_uint_le(receiver->got_len, total);
    ck_assert(receiver->got_len == 0 || memcmp(receiver->got, sender->to_send, receiver->got_len) == 0);
}

static void side_init(side *x, ss_engine *e, const uint8_t *msgs, const size_t *sizes, size_t n)
{
    memset(x, 0, sizeof *x);
    x->e = e;
    x->to_send = msgs;
    x->sizes = sizes;
    x->n_msgs = n;
}

static void side_free(side *x)
{
    ss_engine_free(x->e);
    free(x->in.data);
    free(x->got);
}

static const size_t client_sizes[] = {5, 0, 65518, 65519, 1000};
static const size_t server_sizes[] = {70000, 3};
#define CLIENT_TOTAL (5 + 0 + 65518 + 65519 + 1000)
#define SERVER_TOTAL (70000 + 3)
static uint8_t client_msgs[CLIENT_TOTAL], server_msgs[SERVER_TOTAL];

static void messages_once(void)
{
    fill(client_msgs, sizeof client_msgs, 1);
    fill(server_msgs, sizeof server_msgs, 2);
}

static void new_pair(side *c, side *s, int pattern)
{
    ss_config cc, sc;
    configs(&cc, &sc, pattern);
    ss_engine *ce = ss_engine_new(0, &cc), *se = ss_engine_new(1, &sc);
    ck_assert_ptr_nonnull(ce);
    ck_assert_ptr_nonnull(se);
    side_init(c, ce, client_msgs, client_sizes, 5);
    side_init(s, se, server_msgs, server_sizes, 2);
}

START_TEST(sessions_without_sockets)
{
    static const char *const names[PATTERNS] = {
        "Noise_NN_25519_ChaChaPoly_SHA256",
        "Noise_NK_25519_ChaChaPoly_SHA256",
        "Noise_XX_25519_ChaChaPoly_SHA256",
        "Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256",
        "Noise_NKhfs_25519+MLKEM768_ChaChaPoly_SHA256",
        "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256"};
    messages_once();
    for (int pattern = 0; pattern < PATTERNS; pattern++) {
        side c, s;
        attack none = {.m = M_NONE};
        new_pair(&c, &s, pattern);
        run_session(&c, &s, &none, 1);
        ck_assert_int_eq(ss_engine_error(c.e), SS_OK);
        ck_assert_int_eq(ss_engine_error(s.e), SS_OK);
        ck_assert(c.closed && s.closed);
        ck_assert_uint_eq(s.got_len, CLIENT_TOTAL);
        ck_assert_uint_eq(c.got_len, SERVER_TOTAL);
        check_authentic(&s, &c);
        check_authentic(&c, &s);
        /* Message boundaries: one end per message, in place. */
        ck_assert_uint_eq(s.n_ends, 5);
        ck_assert_uint_eq(s.ends[0], 5);
        ck_assert_uint_eq(s.ends[1], 5);
        ck_assert_uint_eq(s.ends[2], 5 + 65518);
        ck_assert_uint_eq(c.n_ends, 2);
        uint8_t hc[32], hs[32];
        ss_engine_handshake_hash(hc, c.e);
        ss_engine_handshake_hash(hs, s.e);
        ck_assert(memcmp(hc, hs, 32) == 0 && !all_zero(hc, 32));
        ck_assert_str_eq(ss_engine_protocol_name(c.e), names[pattern]);
        ck_assert_str_eq(ss_engine_protocol_name(s.e), names[pattern]);
        if (pattern % 3 >= 1)
            ck_assert(memcmp(ss_engine_peer_public_key(c.e), server_key.public_key, 32) == 0);
        if (pattern % 3 == 2)
            ck_assert(memcmp(ss_engine_peer_public_key(s.e), client_key.public_key, 32) == 0);
        else
            ck_assert_ptr_null(ss_engine_peer_public_key(s.e));
        side_free(&c);
        side_free(&s);
    }
}
END_TEST

START_TEST(idle_memory_at_most_16_kib)
{
    messages_once();
    for (int pattern = 0; pattern < PATTERNS; pattern++) {
        side c, s;
        attack none = {.m = M_NONE};
        new_pair(&c, &s, pattern);
        /* A fresh engine, and one in the middle of its handshake, hold
         * little; frames in flight hold up to 64 KiB each; once idle
         * (everything sent and taken), the frame buffers are given back. */
        ck_assert_uint_le(ss_engine_memory(c.e), 16384);
        c.n_msgs = s.n_msgs = 0; /* handshake only, then idle */
        s.close_sent = c.close_sent = 1;
        run_session(&c, &s, &none, 0);
        ck_assert(ss_engine_established(c.e) && ss_engine_established(s.e));
        size_t idle_c = ss_engine_memory(c.e), idle_s = ss_engine_memory(s.e);
        printf("engine: pattern %d, idle after the handshake: client %zu bytes, server %zu "
               "bytes of heap\n",
               pattern, idle_c, idle_s);
        ck_assert_uint_le(idle_c, 16384);
        ck_assert_uint_le(idle_s, 16384);
        side_free(&c);
        side_free(&s);

        /* After bulk transfers both ways, idle again. */
        new_pair(&c, &s, pattern);
        run_session(&c, &s, &none, 1);
        ck_assert_uint_eq(s.got_len, CLIENT_TOTAL);
        ck_assert_uint_le(ss_engine_memory(c.e), 16384);
        ck_assert_uint_le(ss_engine_memory(s.e), 16384);
        side_free(&c);
        side_free(&s);
    }
}
END_TEST

/* A hybrid-only server (SS_HYBRID_ONLY) runs the hfs form of each pattern
 * and refuses the classical one, with an error that says so on its side;
 * the client learns it from the refusal frame, which names what the server
 * accepts (NK included: a refused pattern is not a wrong key). */
START_TEST(hybrid_only_server)
{
    for (int pattern = 0; pattern < PATTERNS; pattern++) {
        ss_config cc, sc;
        side c, s;
        attack none = {.m = M_NONE};
        configs(&cc, &sc, pattern);
        sc.hybrid = SS_HYBRID_ONLY;
        side_init(&c, ss_engine_new(0, &cc), NULL, NULL, 0);
        side_init(&s, ss_engine_new(1, &sc), NULL, NULL, 0);
        ck_assert(c.e != NULL && s.e != NULL);
        c.close_sent = s.close_sent = 1;
        run_session(&c, &s, &none, 0);
        if (pattern >= 3) {
            ck_assert(ss_engine_established(c.e) && ss_engine_established(s.e));
            ck_assert(strstr(ss_engine_protocol_name(s.e), "hfs_25519+MLKEM768") != NULL);
        } else {
            ck_assert_int_eq(ss_engine_error(s.e), SS_ERR_PATTERN_REFUSED);
            ck_assert_msg(strstr(ss_engine_error_message(s.e), "hybrid-only") != NULL, "%s",
                          ss_engine_error_message(s.e));
            ck_assert_int_eq(ss_engine_input_end(c.e), -1);
            ck_assert_int_eq(ss_engine_error(c.e), SS_ERR_PATTERN_REFUSED);
            ck_assert_msg(strstr(ss_engine_error_message(c.e), "hybrid-only") != NULL, "%s",
                          ss_engine_error_message(c.e));
        }
        side_free(&c);
        side_free(&s);
    }
    /* Not a value a server can have; plain mode has no handshake. */
    ss_config bad = {0};
    bad.hybrid = 3;
    ck_assert_ptr_null(ss_engine_new(1, &bad));
    bad.hybrid = 1;
    bad.plain = 1;
    ck_assert_ptr_null(ss_engine_new(0, &bad));
}
END_TEST

/* Frames per direction in an unattacked session of each pattern. */
static void count_frames(int pattern, size_t frames[2])
{
    side c, s;
    attack none = {.m = M_NONE};
    new_pair(&c, &s, pattern);
    run_session(&c, &s, &none, 1);
    frames[0] = c.out_frames;
    frames[1] = s.out_frames;
    side_free(&c);
    side_free(&s);
}

START_TEST(every_manipulation_at_every_frame)
{
    messages_once();
    long cases = 0, reorders = 0;
    for (int pattern = 0; pattern < PATTERNS; pattern++) {
        size_t frames[2];
        count_frames(pattern, frames);
        for (int m = M_FLIP; m < M_COUNT; m++)
            for (int dir = 0; dir < 2; dir++)
                for (size_t at = 0; at < frames[dir]; at++) {
                    if (m == M_DELAY && at + 1 >= frames[dir])
                        continue; /* nothing to reorder it with */
                    side c, s;
                    static attack a;
                    memset(&a, 0, sizeof a);
                    a.m = (enum manip)m;
                    a.dir = dir;
                    a.at = at;
                    new_pair(&c, &s, pattern);
                    run_session(&c, &s, &a, 1);
                    if (m == M_DELAY && !a.reordered) {
                        /* Nothing followed it while it was held (the
                         * sender was waiting for an answer): only delayed,
                         * which is no attack. */
                        side_free(&c);
                        side_free(&s);
                        continue;
                    }
                    int detected =
                        ss_engine_error(c.e) != SS_OK || ss_engine_error(s.e) != SS_OK;
                    ck_assert_msg(a.applied, "pattern %d, %s at frame %zu dir %d: not applied",
                                  pattern, manip_name[m], at, dir);
                    ck_assert_msg(detected, "pattern %d, %s at frame %zu dir %d: undetected",
                                  pattern, manip_name[m], at, dir);
                    check_authentic(&s, &c);
                    check_authentic(&c, &s);
                    side_free(&c);
                    side_free(&s);
                    cases++;
                    reorders += m == M_DELAY;
                }
    }
    printf("engine: %ld manipulated sessions (%ld reorderings), every one detected, no byte "
           "forged\n",
           cases, reorders);
    ck_assert_int_gt(reorders, 10);
}
END_TEST

START_TEST(contract)
{
    messages_once();
    side c, s;
    attack none = {.m = M_NONE};
    new_pair(&c, &s, 0);
    /* Before the handshake: nothing can be sent. */
    size_t t;
    ck_assert_int_eq(ss_engine_send(c.e, "x", 1, &t), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_engine_error(c.e), SS_OK); /* a caller mistake ends nothing */
    c.n_msgs = s.n_msgs = 0;
    c.close_sent = s.close_sent = 1;
    run_session(&c, &s, &none, 0);
    /* SS_WANT_WRITE while a frame waits. */
    ck_assert_int_eq(ss_engine_send(c.e, "ab", 2, &t), 0);
    ck_assert_uint_eq(t, 2);
    ck_assert_int_eq(ss_engine_send(c.e, "cd", 2, &t), SS_WANT_WRITE);
    ck_assert_uint_eq(t, 0);
    size_t len;
    const uint8_t *p = ss_engine_output(c.e, &len);
    uint8_t frame[64];
    memcpy(frame, p, len);
    ss_engine_output_done(c.e, len);
    /* Back-pressure: with a fragment waiting, the server takes no input. */
    ck_assert_int_eq(ss_engine_feed(s.e, frame, len), (ssize_t)len);
    ck_assert_int_eq(ss_engine_feed(s.e, frame, len), 0);
    size_t want;
    ck_assert_ptr_null(ss_engine_input_buffer(s.e, &want));
    ck_assert_uint_eq(want, 0);
    /* cap 0 takes nothing; then the fragment one byte at a time. */
    int end;
    char b[4];
    ck_assert_int_eq(ss_engine_recv(s.e, b, 0, &end), 0);
    ck_assert_int_eq(end, 0);
    ck_assert_int_eq(ss_engine_recv(s.e, b, 1, &end), 1);
    ck_assert_int_eq(end, 0);
    ck_assert_int_eq(ss_engine_recv(s.e, b + 1, 1, &end), 1);
    ck_assert_int_eq(end, 1);
    ck_assert(memcmp(b, "ab", 2) == 0);
    ck_assert_int_eq(ss_engine_recv(s.e, b, 4, &end), SS_WANT_READ);
    /* The close, then a byte after it: SS_ERR_DATA_AFTER_CLOSE. */
    ck_assert_int_eq(ss_engine_close(c.e), 0);
    p = ss_engine_output(c.e, &len);
    memcpy(frame, p, len);
    frame[len] = 0x00;
    ss_engine_output_done(c.e, len);
    ck_assert_int_eq(ss_engine_feed(s.e, frame, len + 1), -1);
    ck_assert_int_eq(ss_engine_error(s.e), SS_ERR_DATA_AFTER_CLOSE);
    /* An error stays: every later call repeats it. */
    ck_assert_int_eq(ss_engine_recv(s.e, b, 4, &end), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_DATA_AFTER_CLOSE);
    ck_assert_int_eq(ss_engine_send(s.e, "x", 1, &t), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_DATA_AFTER_CLOSE);
    /* After our close: SS_ERR_CLOSED, which ends nothing. */
    ck_assert_int_eq(ss_engine_send(c.e, "x", 1, &t), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_CLOSED);
    ck_assert_int_eq(ss_engine_error(c.e), SS_OK);
    side_free(&c);
    side_free(&s);

    /* A server refuses a name it does not offer, and a frame 0 too long
     * for any name before its body arrives. */
    ss_config sc = {0};
    ss_engine *e = ss_engine_new(1, &sc);
    static const uint8_t xx[] = "\x00\x20Noise_XX_25519_ChaChaPoly_SHA256";
    ck_assert_int_eq(ss_engine_feed(e, xx, sizeof xx - 1), -1);
    ck_assert_int_eq(ss_engine_error(e), SS_ERR_PATTERN_REFUSED);
    ss_engine_free(e);
    e = ss_engine_new(1, &sc);
    static const uint8_t big[] = {0x47, 0x45}; /* "GE": an HTTP request */
    ck_assert_int_eq(ss_engine_feed(e, big, 2), -1);
    ck_assert_int_eq(ss_engine_error(e), SS_ERR_BAD_PROTOCOL);
    ss_engine_free(e);
    /* A bad configuration is refused at creation. */
    sc.allowed_count = 1;
    ck_assert_ptr_null(ss_engine_new(1, &sc));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
}
END_TEST

/* Appends everything e has to send to wire[*len..] (cap bytes in all). */
static void take_output(ss_engine *e, uint8_t *wire, size_t *len, size_t cap)
{
    size_t n;
    const uint8_t *p;
    while ((p = ss_engine_output(e, &n)) != NULL) {
        ck_assert_uint_le(*len + n, cap);
        memcpy(wire + *len, p, n);
        *len += n;
        ss_engine_output_done(e, n);
    }
}

/* Hands wire[0..len) to e in one ss_engine_input_done where it fits (the
 * way one recv() brings several frames). Returns the bytes taken. */
static size_t one_read(ss_engine *e, const uint8_t *wire, size_t len)
{
    size_t want;
    uint8_t *in = ss_engine_input_buffer(e, &want);
    if (in == NULL)
        return 0;
    size_t n = len < want ? len : want;
    memcpy(in, wire, n);
    ck_assert_int_eq(ss_engine_input_done(e, n), 0);
    return n;
}

/* The record layer in batches: whole flights of handshake messages in one
 * read; one ss_engine_send sealing two frames; several frames in one read,
 * used one at a time; a frame split across reads at every byte; a
 * tampered frame in the middle of a batch. */
START_TEST(batches)
{
    static uint8_t wire[4 * (2 + 65535)];
    size_t len = 0, got, t, want;
    int end;
    ss_config cc, sc;
    configs(&cc, &sc, 2); /* XX: three handshake messages */
    ss_engine *c = ss_engine_new(0, &cc), *s = ss_engine_new(1, &sc);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(s);

    /* Frame 0 and message 1 in one read: the server answers message 1. */
    take_output(c, wire, &len, sizeof wire);
    ck_assert_uint_eq(len, (2 + 32) + (2 + 32));
    ck_assert_uint_eq(one_read(s, wire, len), len);
    len = 0;
    take_output(s, wire, &len, sizeof wire);
    ck_assert_uint_eq(len, 2 + 96);
    ck_assert_uint_eq(one_read(c, wire, len), len);
    /* Message 3 and a first transport frame in one read: the handshake
     * ends, the frame waits for ss_engine_recv, not for more input. */
    ck_assert(ss_engine_established(c));
    len = 0;
    take_output(c, wire, &len, sizeof wire);
    ck_assert_int_eq(ss_engine_send(c, "first", 5, &t), 0);
    take_output(c, wire, &len, sizeof wire);
    ck_assert_uint_eq(one_read(s, wire, len), len);
    ck_assert(ss_engine_established(s));
    ck_assert_ptr_null(ss_engine_input_buffer(s, &want));
    char small[16];
    ck_assert_int_eq(ss_engine_recv(s, small, sizeof small, &end), 5);
    ck_assert(end && memcmp(small, "first", 5) == 0);
    size_t idle = ss_engine_memory(s);

    /* One call seals two full frames ("more follows" both); the rest of
     * the message is one more frame. */
    size_t big = 2 * SS_MAX_FRAGMENT + 5;
    uint8_t *msg = malloc(big), *back = malloc(big);
    ck_assert(msg != NULL && back != NULL);
    fill(msg, big, 3);
    len = 0;
    ck_assert_int_eq(ss_engine_send(c, msg, big, &t), 0);
    ck_assert_uint_eq(t, 2 * SS_MAX_FRAGMENT);
    size_t out_len;
    ck_assert_ptr_nonnull(ss_engine_output(c, &out_len));
    ck_assert_uint_eq(out_len, 2 * (2 + 65535));
    take_output(c, wire, &len, sizeof wire);
    ck_assert_int_eq(ss_engine_send(c, msg + t, big - t, &t), 0);
    ck_assert_uint_eq(t, 5);
    take_output(c, wire, &len, sizeof wire);
    /* Three short messages and the close behind it. */
    static const char *const words[3] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ss_engine_send(c, words[i], strlen(words[i]), &t), 0);
        take_output(c, wire, &len, sizeof wire);
    }
    ck_assert_int_eq(ss_engine_close(c), 0);
    take_output(c, wire, &len, sizeof wire);

    /* Read as a socket would give it: as much as the engine has room for,
     * then every message that is whole, before the next read. */
    size_t fed = 0, reads = 0;
    got = 0;
    int word = 0;
    while (!ss_engine_peer_closed(s)) {
        ck_assert_uint_lt(reads, 16);
        fed += one_read(s, wire + fed, len - fed);
        reads++;
        for (;;) {
            ssize_t n = got < big ? ss_engine_recv(s, back + got, big - got, &end)
                                  : ss_engine_recv(s, small, sizeof small, &end);
            if (n == SS_WANT_READ || ss_engine_peer_closed(s))
                break;
            ck_assert_int_ge(n, 0);
            if (got < big) {
                got += (size_t)n;
                ck_assert_int_eq(end, got == big);
            } else {
                ck_assert(end && word < 3);
                ck_assert_int_eq(n, (ssize_t)strlen(words[word]));
                ck_assert(memcmp(small, words[word], (size_t)n) == 0);
                word++;
            }
        }
    }
    ck_assert_uint_eq(fed, len);
    ck_assert_uint_eq(got, big);
    ck_assert(memcmp(back, msg, big) == 0);
    ck_assert_int_eq(word, 3);
    /* Three reads: the buffer holds two large frames; the small frames
     * behind them came in one read with the end of the third. */
    ck_assert_uint_le(reads, 3);
    ck_assert_int_eq(ss_engine_error(s), SS_OK);
    /* Everything used: the receive buffer is gone. */
    ck_assert_uint_eq(ss_engine_memory(s), idle);
    ss_engine_free(c);
    ss_engine_free(s);

    /* The same three short messages, one byte per read, then all in one
     * read with the second frame's tag spoiled. */
    for (int tamper = 0; tamper < 2; tamper++) {
        configs(&cc, &sc, 0);
        c = ss_engine_new(0, &cc);
        s = ss_engine_new(1, &sc);
        for (int i = 0; i < 3; i++) {
            len = 0;
            take_output(c, wire, &len, sizeof wire);
            ck_assert_int_eq(ss_engine_feed(s, wire, len), (ssize_t)len);
            len = 0;
            take_output(s, wire, &len, sizeof wire);
            ck_assert_int_eq(ss_engine_feed(c, wire, len), (ssize_t)len);
        }
        ck_assert(ss_engine_established(c) && ss_engine_established(s));
        len = 0;
        size_t second = 0;
        for (int i = 0; i < 3; i++) {
            if (i == 1)
                second = len;
            ck_assert_int_eq(ss_engine_send(c, words[i], strlen(words[i]), &t), 0);
            take_output(c, wire, &len, sizeof wire);
        }
        word = 0;
        if (!tamper) {
            for (size_t i = 0; i < len; i++) {
                ck_assert_int_eq(ss_engine_feed(s, wire + i, 1), 1);
                ssize_t n;
                while ((n = ss_engine_recv(s, small, sizeof small, &end)) >= 0) {
                    ck_assert(end && memcmp(small, words[word], strlen(words[word])) == 0);
                    word++;
                }
            }
            ck_assert_int_eq(word, 3);
        } else {
            wire[len - 1 - (2 + 1 + 5 + 16)] ^= 0x80; /* the tag's last byte of "two" */
            ck_assert_uint_eq(second, 2 + 1 + 3 + 16);
            ck_assert_uint_eq(one_read(s, wire, len), len);
            /* "one" is authentic and comes out; "two" fails, and nothing
             * of it or of "three" behind it is handed out, ever. */
            memset(small, 0, sizeof small);
            ck_assert_int_eq(ss_engine_recv(s, small, sizeof small, &end), 3);
            ck_assert(memcmp(small, "one", 3) == 0);
            memset(small, 0, sizeof small);
            ck_assert_int_eq(ss_engine_recv(s, small, sizeof small, &end), -1);
            ck_assert_int_eq(ss_engine_error(s), SS_ERR_TAMPERED);
            ck_assert_int_eq(ss_engine_recv(s, small, sizeof small, &end), -1);
            ck_assert(all_zero((const uint8_t *)small, sizeof small));
            ck_assert_ptr_null(ss_engine_input_buffer(s, &want));
            ck_assert_uint_le(ss_engine_memory(s), idle);
        }
        ss_engine_free(c);
        ss_engine_free(s);
    }
    free(msg);
    free(back);
}
END_TEST

int main(void)
{
    trng_seed_from_env();
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, sessions_without_sockets);
    tcase_add_test(tc, idle_memory_at_most_16_kib);
    tcase_add_test(tc, hybrid_only_server);
    tcase_add_test(tc, contract);
    tcase_add_test(tc, batches);
    tcase_add_test(tc, every_manipulation_at_every_frame);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
