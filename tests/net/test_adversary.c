/*
 * test_adversary.c — SSockets/1 under attack.
 *
 * docs/security.md describes the attacker: someone on the path who can read,
 * drop, delay, reorder, replay, modify or inject bytes. This program plays
 * that attacker against the real library, on loopback, and checks what the
 * documents promise (docs/protocol.md §6 "What a receiver checks", §7
 * "Closing", §8 "Timeouts", §10 "Errors"):
 *
 *   - every manipulation is detected, by the side it affects, with the
 *     specific error code the protocol gives it;
 *   - no side ever hands its application an altered or extra byte: what it
 *     delivered is a prefix of what was sent, with message boundaries where
 *     the sender put them (and, frame by frame, exactly how much);
 *   - nothing crashes or hangs: every wait is bounded by a handshake or I/O
 *     timeout, the proxy ends by itself, each test case has a Check timeout,
 *     and a fixture checks that no file descriptor is leaked.
 *
 * The attackers (tests/net/proxy.c):
 *   1. a frame-aware proxy that flips, drops, duplicates, reorders, delays,
 *      truncates, forges or rewrites one frame (test "matrix", and a few
 *      targeted tests);
 *   2. a man in the middle with keys of its own: it reads everything on NN
 *      (test nn_is_open_to_mitm, cited by docs/security.md) and fails on NK
 *      and on XX with pinned keys;
 *   3. raw sockets that do not speak the protocol at all, as clients against
 *      a real listener and as servers against a real client.
 *
 * THE EXPECTATION TABLE (test "matrix", data in `matrix[]` below)
 *
 * Each case: a real client sends a 3-frame message A (65,518 + 65,518 +
 * 1,000 bytes) and a 1-frame message B, then its close frame; the server
 * reads up to that close, replies with its own A and B and closes. Frame
 * positions: the name (frame 0), handshake messages m1, m2 (and m3 in XX),
 * the first and the middle frame of A and the close frame, for each
 * direction (c.* client to server, s.* server to client).
 *
 * What each side reports, client / server (the same table, as data, is matrix[]
 * below; the comments there say why):
 *
 *                      NN                      NK                      XX
 * flip       name       PEER_GONE / BAD_PROTO (all three)
 *            m1         TAMPERED / TRUNCATED    WRONG_KEY / TAMPERED    TAMPERED / PEER_GONE
 *            m2         TAMPERED / TRUNCATED    TAMPERED / TRUNCATED    TAMPERED / PEER_GONE
 *            m3         -                       -                       TRUNCATED / TAMPERED
 *            c.first    TRUNCATED / TAMPERED (all three)
 *            c.middle   TRUNCATED / TAMPERED (all three)
 *            c.close    TRUNCATED / TAMPERED (all three)
 *            s.first    TAMPERED / clean (all three)
 *            s.middle   TAMPERED / clean (all three)
 *            s.close    TAMPERED / clean (all three)
 * drop       name       PEER_GONE / BAD_PROTO (all three)
 *            m1         TIMEOUT / PEER_GONE (all three)
 *            m2         TIMEOUT / TRUNCATED     TIMEOUT / TRUNCATED     TIMEOUT / PEER_GONE
 *            m3         -                       -                       TRUNCATED / TAMPERED
 *            c.first    TRUNCATED / TAMPERED (all three)
 *            c.middle   TRUNCATED / TAMPERED (all three)
 *            c.close    TRUNCATED / TIMEOUT (all three)
 *            s.first    TAMPERED / clean (all three)
 *            s.middle   TAMPERED / clean (all three)
 *            s.close    TRUNCATED / clean (all three)
 * duplicate  name       TAMPERED / TAMPERED     PEER_GONE / BAD_FRAME   TAMPERED / BAD_FRAME
 *            m1         TRUNCATED / TAMPERED    TRUNCATED / TAMPERED    TRUNCATED / BAD_FRAME
 *            m2         TAMPERED / clean (all three)
 *            m3         -                       -                       TRUNCATED / TAMPERED
 *            c.first    TRUNCATED / TAMPERED (all three)
 *            c.middle   TRUNCATED / TAMPERED (all three)
 *            c.close    TRUNCATED / AFTER_CLOSE (all three)
 *            s.first    TAMPERED / clean (all three)
 *            s.middle   TAMPERED / clean (all three)
 *            s.close    AFTER_CLOSE / clean (all three)
 * reorder    name       PEER_GONE / BAD_PROTO (all three)
 *            m1         TIMEOUT / PEER_GONE (all three)
 *            m2         TIMEOUT / TRUNCATED     TIMEOUT / TRUNCATED     TIMEOUT / PEER_GONE
 *            m3         -                       -                       TRUNCATED / TAMPERED
 *            c.first    TRUNCATED / TAMPERED (all three)
 *            c.middle   TRUNCATED / TAMPERED (all three)
 *            c.close    TRUNCATED / TAMPERED (all three)
 *            s.first    TAMPERED / clean (all three)
 *            s.middle   TAMPERED / clean (all three)
 *            s.close    TAMPERED / clean (all three)
 * delay      name       clean / clean (all three)
 *            m1         clean / clean (all three)
 *            m2         clean / clean (all three)
 *            m3         -                       -                       clean / clean
 *            c.first    clean / clean (all three)
 *            c.middle   clean / clean (all three)
 *            c.close    clean / clean (all three)
 *            s.first    clean / clean (all three)
 *            s.middle   clean / clean (all three)
 *            s.close    clean / clean (all three)
 * truncate   name       PEER_GONE / PEER_GONE (all three)
 *            m1         PEER_GONE / PEER_GONE (all three)
 *            m2         PEER_GONE / TRUNCATED   PEER_GONE / TRUNCATED   PEER_GONE / PEER_GONE
 *            m3         -                       -                       TRUNCATED / PEER_GONE
 *            c.first    TRUNCATED / TRUNCATED (all three)
 *            c.middle   TRUNCATED / TRUNCATED (all three)
 *            c.close    TRUNCATED / TRUNCATED (all three)
 *            s.first    TRUNCATED / clean (all three)
 *            s.middle   TRUNCATED / clean (all three)
 *            s.close    TRUNCATED / clean (all three)
 * cut inside name       PEER_GONE / PEER_GONE (all three)
 *            m1         PEER_GONE / PEER_GONE (all three)
 *            m2         TRUNCATED / TRUNCATED   TRUNCATED / TRUNCATED   TRUNCATED / PEER_GONE
 *            m3         -                       -                       TRUNCATED / PEER_GONE
 *            c.first    TRUNCATED / TRUNCATED (all three)
 *            c.middle   TRUNCATED / TRUNCATED (all three)
 *            c.close    TRUNCATED / TRUNCATED (all three)
 *            s.first    TRUNCATED / clean (all three)
 *            s.middle   TRUNCATED / clean (all three)
 *            s.close    TRUNCATED / clean (all three)
 * inject     name       PEER_GONE / BAD_PROTO (all three)
 *            m1         TAMPERED / TAMPERED     WRONG_KEY / TAMPERED    TAMPERED / BAD_FRAME
 *            m2         TAMPERED / TRUNCATED    TAMPERED / TRUNCATED    TAMPERED / PEER_GONE
 *            m3         -                       -                       TRUNCATED / TAMPERED
 *            c.first    TRUNCATED / TAMPERED (all three)
 *            c.middle   TRUNCATED / TAMPERED (all three)
 *            c.close    TRUNCATED / TAMPERED (all three)
 *            s.first    TAMPERED / clean (all three)
 *            s.middle   TAMPERED / clean (all three)
 *            s.close    TAMPERED / clean (all three)
 *
 * REFUSED is SS_ERR_PATTERN_REFUSED, WRONG_KEY SS_ERR_WRONG_SERVER_KEY (what an NK client
 * reports from the server's refusal frame after message 1, docs/protocol.md §3), BAD_PROTO
 * SS_ERR_BAD_PROTOCOL, AFTER_CLOSE SS_ERR_DATA_AFTER_CLOSE, the others SS_ERR_<name>;
 * "clean": no error, the conversation ended with the peer's close frame.
 *
 * The rules behind it:
 *   - A transport frame that was changed, dropped, replayed, reordered or
 *     forged fails its tag: the nonce is the receiver's own count of frames
 *     (docs/protocol.md §6), so all five are the same error, TAMPERED.
 *   - A stream cut anywhere after the handshake is TRUNCATED; a close frame
 *     that never comes on a stream that stays open is a TIMEOUT; anything
 *     after a close frame is DATA_AFTER_CLOSE.
 *   - In the handshake, NN and XX message 1 has no tag yet (no key exists),
 *     so the server cannot tell; the client's check of message 2 fails
 *     instead, because both sides hash what they saw (Noise §5.3). A
 *     handshake message that never arrives (dropped, or held back for a
 *     successor that will only be sent after it) is ended by the timeout.
 *   - The side that was not attacked sees its peer abort: TRUNCATED if the
 *     handshake was over for it, PEER_GONE if it was still waiting for a
 *     handshake message: the client waiting for message 2 too, since a
 *     server that fails in silence looks like no SSockets/1 server at all
 *     (a server refuses with words: the refusal frame, docs/protocol.md §3),
 *     or TRUNCATED if the part of message 2 it got was cut.
 *   - Only the delay is not an attack the protocol can see; it is harmless
 *     as long as it stays under the timeouts (test delay_beyond_the_timeout
 *     shows the other case).
 *
 * Delivered bytes (checked in every case, see delivery_for): a side that
 * ended cleanly got both messages; the receiver of an attacked transport
 * frame got exactly the intact frames before it (0 bytes for the first
 * frame, 65,518 for the middle one, both messages for the close; plus the
 * first copy of a duplicated frame; at the close, a reorder leaves only A,
 * since B came after the close); every other side got nothing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "proxy.h"
#include "ssockets.h"

/* Where a timeout is the point of the test: short, so the program is fast.
 * Everywhere else: long, so that a loaded machine never trips a limit; it
 * only matters when something is broken. */
#define SHORT_MS 500      /* a handshake limit where the handshake cannot finish anyway */
#define SHORT_IO_MS 1000  /* an I/O limit where earlier reads must still succeed */
#define LONG_MS 10000
#define PROXY_LIFE_MS 30000
#define DELAY_MS 100      /* "a delay under the timeout" */
#define RAW_WAIT_S 5      /* SO_RCVTIMEO/SO_SNDTIMEO of raw sockets */

/* The messages of every matrix case (per side: [0] client, [1] server). */
#define FRAG SS_MAX_FRAGMENT           /* 65,518: one full transport frame */
#define LEN_A (2 * FRAG + 1000)        /* three frames: 0x01, 0x01, 0x00 */
#define LEN_B 50                       /* one frame */
#define TOTAL (LEN_A + LEN_B)
static uint8_t sent_a[2][LEN_A], sent_b[2][LEN_B];

/* Short names for the expectation table. */
#define CLEAN SS_OK                    /* the side ended normally */
#define TAMPERED SS_ERR_TAMPERED
#define TRUNCATED SS_ERR_TRUNCATED
#define GONE SS_ERR_PEER_GONE
#define REFUSED SS_ERR_PATTERN_REFUSED
#define WRONG_KEY SS_ERR_WRONG_SERVER_KEY
#define BAD_PROTO SS_ERR_BAD_PROTOCOL
#define BAD_FRAME SS_ERR_BAD_FRAME
#define TIMEOUT SS_ERR_TIMEOUT
#define AFTER_CLOSE SS_ERR_DATA_AFTER_CLOSE
#define LOW_ORDER SS_ERR_LOW_ORDER_KEY

/* Small helpers (sleep_ms, count_fds, fd_setup/fd_teardown, fill) are
 * shared with the other network tests in tests/common.c. */

/* ------------------------------------------------------------------ */
/* What one side saw                                                   */
/* ------------------------------------------------------------------ */

#define LOG_CAP (TOTAL + FRAG) /* room for an attack that adds bytes */
#define MAX_ENDS 4

typedef struct {
    int error;                 /* the first error this side reported, CLEAN if none */
    char message[256];         /* its ss_last_error_message */
    int peer_closed;           /* the peer's authenticated close arrived */
    uint8_t *data;             /* every byte ss_recv returned, in order */
    size_t got;
    size_t ends[MAX_ENDS];     /* offsets in data where ss_message_done said "end" */
    int nends;
    int overflow;              /* more messages or bytes than anyone sent */
    uint8_t hash[32];          /* ss_handshake_hash, if the handshake finished */
} side_log;

static void log_init(side_log *l)
{
    memset(l, 0, sizeof *l);
    l->data = malloc(LOG_CAP);
    ck_assert_ptr_nonnull(l->data);
}

static void log_reset(side_log *l)
{
    uint8_t *data = l->data;
    memset(l, 0, sizeof *l);
    l->data = data;
}

static void log_free(side_log *l)
{
    free(l->data);
    l->data = NULL;
}

/* Keeps the first error: the one that ended the side. Every failing call
 * sets the thread's last error, so this is right after any call. */
static void log_last_error(side_log *l)
{
    if (l->error != CLEAN)
        return;
    l->error = ss_last_error(NULL);
    snprintf(l->message, sizeof l->message, "%s", ss_last_error_message(NULL));
}

/* For failure messages: what the side reported. */
static const char *said(const side_log *l)
{
    return l->error == CLEAN ? "no error" : l->message;
}

/* Receives until the peer's close or an error. Each call asks for at most
 * one full fragment, so what is delivered before an error is exactly the
 * intact frames (ss_recv returns -1 for a call in which a frame fails, even
 * if earlier bytes of the same call were good). */
static void receive_all(ss_conn *c, side_log *l)
{
    for (;;) {
        if (l->got == LOG_CAP) {
            l->overflow = 1;
            return;
        }
        size_t want = LOG_CAP - l->got < FRAG ? LOG_CAP - l->got : FRAG;
        ssize_t n = ss_recv(c, l->data + l->got, want);
        if (n < 0) {
            log_last_error(l);
            return;
        }
        if (n == 0 && ss_peer_closed(c)) {
            l->peer_closed = 1;
            /* One more look: any byte after the close frame is an attack
             * (SS_ERR_DATA_AFTER_CLOSE); after a clean close this is 0. */
            uint8_t one;
            if (ss_recv(c, &one, 1) < 0)
                log_last_error(l);
            return;
        }
        l->got += (size_t)n;
        if (ss_message_done(c)) {
            if (l->nends == MAX_ENDS) {
                l->overflow = 1;
                return;
            }
            l->ends[l->nends++] = l->got;
        }
    }
}

static void send_messages(ss_conn *c, side_log *l, int side)
{
    if (ss_send(c, sent_a[side], LEN_A) < 0 || ss_send(c, sent_b[side], LEN_B) < 0)
        log_last_error(l);
}

/* The client: A, B, its close (ss_shutdown), then the server's reply. */
static void client_exchange(ss_conn *c, side_log *l)
{
    ss_handshake_hash(l->hash, c);
    send_messages(c, l, 0);
    if (l->error == CLEAN && ss_shutdown(c) < 0)
        log_last_error(l);
    if (l->error == CLEAN)
        receive_all(c, l);
}

/* The server: everything up to the client's close, then A, B (and its close
 * in ss_close). */
static void server_exchange(ss_conn *c, side_log *l)
{
    receive_all(c, l);
    if (l->error == CLEAN && l->peer_closed && !l->overflow)
        send_messages(c, l, 1);
}

/* What a side delivered, against what the other side sent: exactly
 * `expected` bytes, every one as sent, messages ending where they ended. */
static void check_delivery(const side_log *l, int sender, size_t expected, const char *who,
                           const char *what)
{
    static const size_t bounds[2] = {LEN_A, TOTAL};
    ck_assert_msg(!l->overflow, "%s: the %s received more than was sent", what, who);
    ck_assert_msg(l->got == expected, "%s: the %s delivered %zu bytes, expected %zu", what, who,
                  l->got, (size_t)expected);
    size_t in_a = l->got < LEN_A ? l->got : LEN_A;
    ck_assert_msg(memcmp(l->data, sent_a[sender], in_a) == 0 &&
                      (l->got <= LEN_A ||
                       memcmp(l->data + LEN_A, sent_b[sender], l->got - LEN_A) == 0),
                  "%s: the %s delivered altered bytes", what, who);
    ck_assert_msg(l->nends <= 2, "%s: the %s saw %d messages", what, who, l->nends);
    for (int i = 0; i < l->nends; i++)
        ck_assert_msg(l->ends[i] == bounds[i], "%s: the %s saw a message end at %zu, not %zu",
                      what, who, l->ends[i], bounds[i]);
    ck_assert_msg(l->nends == 2 || l->got < bounds[l->nends],
                  "%s: the %s got a whole message without its end", what, who);
}

/* ------------------------------------------------------------------ */
/* A real server in a thread                                           */
/* ------------------------------------------------------------------ */

typedef void (*script_fn)(ss_conn *c, side_log *l);

typedef struct {
    ss_listener *l;
    uint16_t port;
    script_fn script;          /* runs on the accepted connection (may be NULL) */
    side_log *log;             /* results; read after server_join */
    pthread_t thread;
    atomic_int done;
} server;

static void *server_main(void *arg)
{
    server *s = arg;
    ss_conn *c = ss_accept(s->l);
    if (c == NULL) {
        log_last_error(s->log);
    } else {
        ss_handshake_hash(s->log->hash, c);
        if (s->script != NULL)
            s->script(c, s->log);
        if (ss_close(c) < 0)
            log_last_error(s->log);
    }
    atomic_store(&s->done, 1);
    return NULL;
}

static void server_open(server *s, const ss_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->l = ss_listen("127.0.0.1", 0, cfg);
    ck_assert_msg(s->l != NULL, "ss_listen: %s", ss_last_error_message(NULL));
    s->port = ss_listener_port(s->l);
}

/* One ss_accept on the listener, in a new thread. */
static void server_again(server *s, script_fn script, side_log *log)
{
    s->script = script;
    s->log = log;
    log_reset(log);
    atomic_store(&s->done, 0);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_start(server *s, const ss_config *cfg, script_fn script, side_log *log)
{
    server_open(s, cfg);
    server_again(s, script, log);
}

static void server_join(server *s)
{
    ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
}

static void server_stop(server *s)
{
    ss_listener_close(s->l);
    s->l = NULL;
}

/* ------------------------------------------------------------------ */
/* Keys and the three patterns                                         */
/* ------------------------------------------------------------------ */

enum { NN, NK, XX, PATTERNS };
static const char *const pattern_names[PATTERNS] = {"NN", "NK", "XX"};

static ss_keypair server_key, client_key, attacker_key;
static uint8_t allowed[1][32]; /* the server's allow-list: the client's key */

static ss_config base_config(void)
{
    ss_config c;
    memset(&c, 0, sizeof c);
    c.handshake_timeout_ms = LONG_MS;
    c.io_timeout_ms = LONG_MS;
    return c;
}

/* Each pattern at its strongest: NK pins the server key; XX pins it too,
 * and the server only lets the client's key in. */
static ss_config client_config(int pattern)
{
    ss_config c = base_config();
    if (pattern == NK)
        c.peer_public_key = server_key.public_key;
    if (pattern == XX) {
        c.static_key = &client_key;
        c.peer_public_key = server_key.public_key;
    }
    return c;
}

static ss_config server_config(int pattern)
{
    ss_config c = base_config();
    if (pattern != NN)
        c.static_key = &server_key;
    if (pattern == XX) {
        c.allowed_keys = (const uint8_t(*)[32])allowed;
        c.allowed_count = 1;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* One proxied conversation                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    char what[200];
    ss_config client, server;
    px_plan plans[PX_MAX_PLANS];
    int plan_count;
    int client_error, server_error;
    size_t client_gets, server_gets;  /* bytes each must have delivered */
} scenario;

/* Runs a client and a server through the proxy and checks the outcome.
 * The proxy's observations are copied to *seen if it is not NULL. */
static void run_scenario(const scenario *sc, px_proxy *seen)
{
    side_log cl, sv;
    log_init(&cl);
    log_init(&sv);
    server s;
    server_start(&s, &sc->server, server_exchange, &sv);
    px_proxy x;
    ck_assert_int_eq(px_start(&x, s.port, sc->plans, sc->plan_count, PROXY_LIFE_MS), 0);

    ss_conn *c = ss_client("127.0.0.1", x.port, &sc->client);
    if (c == NULL) {
        log_last_error(&cl);
    } else {
        client_exchange(c, &cl);
        if (ss_close(c) < 0)
            log_last_error(&cl);
    }
    server_join(&s);
    server_stop(&s);
    px_finish(&x);

    ck_assert_msg(x.accepted, "%s: the proxy saw no connection", sc->what);
    for (int i = 0; i < sc->plan_count; i++)
        ck_assert_msg(x.acted[i], "%s: the proxy never reached its frame (plan %d)", sc->what, i);
    ck_assert_msg(cl.error == sc->client_error, "%s: client: \"%s\", expected \"%s\"", sc->what,
                  said(&cl), ss_strerror(sc->client_error));
    ck_assert_msg(sv.error == sc->server_error, "%s: server: \"%s\", expected \"%s\"", sc->what,
                  said(&sv), ss_strerror(sc->server_error));
    /* "No error" must mean the conversation really ended: by a close frame. */
    ck_assert_msg(cl.error != CLEAN || cl.peer_closed, "%s: the client saw no close", sc->what);
    ck_assert_msg(sv.error != CLEAN || sv.peer_closed, "%s: the server saw no close", sc->what);
    check_delivery(&cl, 1, sc->client_gets, "client", sc->what);
    check_delivery(&sv, 0, sc->server_gets, "server", sc->what);
    if (seen != NULL)
        *seen = x;
    log_free(&cl);
    log_free(&sv);
}

/* ------------------------------------------------------------------ */
/* The matrix                                                          */
/* ------------------------------------------------------------------ */

enum {
    P_NAME,     /* frame 0, the protocol name */
    P_M1,       /* handshake message 1 (client to server) */
    P_M2,       /* handshake message 2 (server to client) */
    P_M3,       /* handshake message 3 (XX only) */
    P_C_FIRST,  /* the client's message A: first of its three frames */
    P_C_MIDDLE, /* ... the middle one */
    P_C_CLOSE,  /* the client's close frame */
    P_S_FIRST,  /* the same for the server's reply */
    P_S_MIDDLE,
    P_S_CLOSE,
    POSITIONS
};

static const char *const position_names[POSITIONS] = {
    "the protocol name (frame 0)", "handshake message 1", "handshake message 2",
    "handshake message 3", "the client's first transport frame", "the client's middle frame",
    "the client's close frame", "the server's first transport frame", "the server's middle frame",
    "the server's close frame",
};

static const char *const action_names[] = {
    "pass", "flip a bit in", "drop", "duplicate", "reorder", "delay", "truncate at",
    "cut inside", "inject a forged frame before", "shorten", "replace",
};

typedef struct {
    int client, server;
} outcome;

typedef struct {
    px_action action;
    int position;
    outcome o[PATTERNS];
} row;

#define NA {-1, -1} /* handshake message 3 exists only in XX */
#define ALL3(c, s) {{c, s}, {c, s}, {c, s}}

/* The expectation table: {client error, server error} for NN, NK, XX. */
static const row matrix[] = {
    /* Flip one bit. The name must be exact: the server refuses it and
     * closes; the client reads the close as a refusal (NK: as a key
     * mismatch, docs/protocol.md §3). NN and XX message 1 carry no tag, so
     * the server goes on with a wrong e, and the client's check of message
     * 2 fails: the two sides hashed different bytes. NK message 1 already
     * has a tag. From then on every frame has one. */
    {PX_FLIP, P_NAME, {{GONE, BAD_PROTO}, {GONE, BAD_PROTO}, {GONE, BAD_PROTO}}},
    {PX_FLIP, P_M1, {{TAMPERED, TRUNCATED}, {WRONG_KEY, TAMPERED}, {TAMPERED, GONE}}},
    {PX_FLIP, P_M2, {{TAMPERED, TRUNCATED}, {TAMPERED, TRUNCATED}, {TAMPERED, GONE}}},
    {PX_FLIP, P_M3, {NA, NA, {TRUNCATED, TAMPERED}}},
    {PX_FLIP, P_C_FIRST, ALL3(TRUNCATED, TAMPERED)},
    {PX_FLIP, P_C_MIDDLE, ALL3(TRUNCATED, TAMPERED)},
    {PX_FLIP, P_C_CLOSE, ALL3(TRUNCATED, TAMPERED)},
    {PX_FLIP, P_S_FIRST, ALL3(TAMPERED, CLEAN)},
    {PX_FLIP, P_S_MIDDLE, ALL3(TAMPERED, CLEAN)},
    {PX_FLIP, P_S_CLOSE, ALL3(TAMPERED, CLEAN)},

    /* Drop. Without the name, message 1 is read as a name. A lost
     * handshake message leaves both sides waiting: the client's handshake
     * timeout ends it (the server then sees the client leave). A lost
     * message 3 makes the first transport frame arrive as message 3: its
     * encrypted s fails. A lost transport frame shifts every nonce after
     * it. The client's close frame, dropped while the client keeps its
     * stream open for the reply, is never replaced by anything: the server's
     * I/O timeout ends the wait. The server's, dropped, is followed by the
     * server's FIN: truncation. */
    {PX_DROP, P_NAME, {{GONE, BAD_PROTO}, {GONE, BAD_PROTO}, {GONE, BAD_PROTO}}},
    {PX_DROP, P_M1, ALL3(TIMEOUT, GONE)},
    {PX_DROP, P_M2, {{TIMEOUT, TRUNCATED}, {TIMEOUT, TRUNCATED}, {TIMEOUT, GONE}}},
    {PX_DROP, P_M3, {NA, NA, {TRUNCATED, TAMPERED}}},
    {PX_DROP, P_C_FIRST, ALL3(TRUNCATED, TAMPERED)},
    {PX_DROP, P_C_MIDDLE, ALL3(TRUNCATED, TAMPERED)},
    {PX_DROP, P_C_CLOSE, ALL3(TRUNCATED, TIMEOUT)},
    {PX_DROP, P_S_FIRST, ALL3(TAMPERED, CLEAN)},
    {PX_DROP, P_S_MIDDLE, ALL3(TAMPERED, CLEAN)},
    {PX_DROP, P_S_CLOSE, ALL3(TRUNCATED, CLEAN)},

    /* Duplicate. A second name is read as message 1: NN and XX take its 32
     * bytes for an ephemeral key (the client's check of message 2 fails),
     * NK finds 32 bytes where it needs 48. The real message 1 then arrives
     * where the next message belongs: as a transport frame (NN: its tag
     * fails) or as message 3 (XX: 32 bytes, not 64). A replayed handshake
     * message fails the same way. A replayed transport frame has the wrong
     * nonce; a replayed close frame is data after the close. */
    {PX_DUPLICATE, P_NAME, {{TAMPERED, TAMPERED}, {GONE, BAD_FRAME}, {TAMPERED, BAD_FRAME}}},
    {PX_DUPLICATE, P_M1, {{TRUNCATED, TAMPERED}, {TRUNCATED, TAMPERED}, {TRUNCATED, BAD_FRAME}}},
    {PX_DUPLICATE, P_M2, ALL3(TAMPERED, CLEAN)},
    {PX_DUPLICATE, P_M3, {NA, NA, {TRUNCATED, TAMPERED}}},
    {PX_DUPLICATE, P_C_FIRST, ALL3(TRUNCATED, TAMPERED)},
    {PX_DUPLICATE, P_C_MIDDLE, ALL3(TRUNCATED, TAMPERED)},
    {PX_DUPLICATE, P_C_CLOSE, ALL3(TRUNCATED, AFTER_CLOSE)},
    {PX_DUPLICATE, P_S_FIRST, ALL3(TAMPERED, CLEAN)},
    {PX_DUPLICATE, P_S_MIDDLE, ALL3(TAMPERED, CLEAN)},
    {PX_DUPLICATE, P_S_CLOSE, ALL3(AFTER_CLOSE, CLEAN)},

    /* Reorder: the frame is sent after its successor. Messages 1 and 2
     * have no successor until they are answered, so holding them back is a
     * drop (the timeout). At the close position, the close frame overtakes
     * the last data frame (B). */
    {PX_REORDER, P_NAME, {{GONE, BAD_PROTO}, {GONE, BAD_PROTO}, {GONE, BAD_PROTO}}},
    {PX_REORDER, P_M1, ALL3(TIMEOUT, GONE)},
    {PX_REORDER, P_M2, {{TIMEOUT, TRUNCATED}, {TIMEOUT, TRUNCATED}, {TIMEOUT, GONE}}},
    {PX_REORDER, P_M3, {NA, NA, {TRUNCATED, TAMPERED}}},
    {PX_REORDER, P_C_FIRST, ALL3(TRUNCATED, TAMPERED)},
    {PX_REORDER, P_C_MIDDLE, ALL3(TRUNCATED, TAMPERED)},
    {PX_REORDER, P_C_CLOSE, ALL3(TRUNCATED, TAMPERED)},
    {PX_REORDER, P_S_FIRST, ALL3(TAMPERED, CLEAN)},
    {PX_REORDER, P_S_MIDDLE, ALL3(TAMPERED, CLEAN)},
    {PX_REORDER, P_S_CLOSE, ALL3(TAMPERED, CLEAN)},

    /* Delay (100 ms, every limit is 10 s): not detectable and not an
     * attack on integrity; a network may always be slow. Everything
     * arrives, both sides end cleanly. */
    {PX_DELAY, P_NAME, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_M1, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_M2, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_M3, {NA, NA, {CLEAN, CLEAN}}},
    {PX_DELAY, P_C_FIRST, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_C_MIDDLE, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_C_CLOSE, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_S_FIRST, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_S_MIDDLE, ALL3(CLEAN, CLEAN)},
    {PX_DELAY, P_S_CLOSE, ALL3(CLEAN, CLEAN)},

    /* Truncate: the stream ends where the frame should be. Before the end
     * of its handshake a side reads that as the peer leaving (the client,
     * waiting for message 2, as a refusal: it cannot tell a cut from a
     * server that closed on purpose); after it, as TRUNCATED. */
    {PX_TRUNCATE, P_NAME, {{GONE, GONE}, {GONE, GONE}, {GONE, GONE}}},
    {PX_TRUNCATE, P_M1, {{GONE, GONE}, {GONE, GONE}, {GONE, GONE}}},
    {PX_TRUNCATE, P_M2, {{GONE, TRUNCATED}, {GONE, TRUNCATED}, {GONE, GONE}}},
    {PX_TRUNCATE, P_M3, {NA, NA, {TRUNCATED, GONE}}},
    {PX_TRUNCATE, P_C_FIRST, ALL3(TRUNCATED, TRUNCATED)},
    {PX_TRUNCATE, P_C_MIDDLE, ALL3(TRUNCATED, TRUNCATED)},
    {PX_TRUNCATE, P_C_CLOSE, ALL3(TRUNCATED, TRUNCATED)},
    {PX_TRUNCATE, P_S_FIRST, ALL3(TRUNCATED, CLEAN)},
    {PX_TRUNCATE, P_S_MIDDLE, ALL3(TRUNCATED, CLEAN)},
    {PX_TRUNCATE, P_S_CLOSE, ALL3(TRUNCATED, CLEAN)},

    /* Cut inside: the length and half the frame, then the end. The same
     * verdicts as a cut between frames. */
    {PX_CUT_INSIDE, P_NAME, {{GONE, GONE}, {GONE, GONE}, {GONE, GONE}}},
    {PX_CUT_INSIDE, P_M1, {{GONE, GONE}, {GONE, GONE}, {GONE, GONE}}},
    {PX_CUT_INSIDE, P_M2, {{TRUNCATED, TRUNCATED}, {TRUNCATED, TRUNCATED}, {TRUNCATED, GONE}}},
    {PX_CUT_INSIDE, P_M3, {NA, NA, {TRUNCATED, GONE}}},
    {PX_CUT_INSIDE, P_C_FIRST, ALL3(TRUNCATED, TRUNCATED)},
    {PX_CUT_INSIDE, P_C_MIDDLE, ALL3(TRUNCATED, TRUNCATED)},
    {PX_CUT_INSIDE, P_C_CLOSE, ALL3(TRUNCATED, TRUNCATED)},
    {PX_CUT_INSIDE, P_S_FIRST, ALL3(TRUNCATED, CLEAN)},
    {PX_CUT_INSIDE, P_S_MIDDLE, ALL3(TRUNCATED, CLEAN)},
    {PX_CUT_INSIDE, P_S_CLOSE, ALL3(TRUNCATED, CLEAN)},

    /* Inject a forged frame of random bytes, exactly as long as the real
     * one (so no length check can catch it: only cryptography can). Before
     * NN or XX message 1 it is accepted as an ephemeral key (nothing can
     * authenticate that message), and the client's check of message 2
     * fails; the real message 1 then arrives where the next message
     * belongs. Everywhere else the forged tag fails. */
    {PX_INJECT, P_NAME, {{GONE, BAD_PROTO}, {GONE, BAD_PROTO}, {GONE, BAD_PROTO}}},
    {PX_INJECT, P_M1, {{TAMPERED, TAMPERED}, {WRONG_KEY, TAMPERED}, {TAMPERED, BAD_FRAME}}},
    {PX_INJECT, P_M2, {{TAMPERED, TRUNCATED}, {TAMPERED, TRUNCATED}, {TAMPERED, GONE}}},
    {PX_INJECT, P_M3, {NA, NA, {TRUNCATED, TAMPERED}}},
    {PX_INJECT, P_C_FIRST, ALL3(TRUNCATED, TAMPERED)},
    {PX_INJECT, P_C_MIDDLE, ALL3(TRUNCATED, TAMPERED)},
    {PX_INJECT, P_C_CLOSE, ALL3(TRUNCATED, TAMPERED)},
    {PX_INJECT, P_S_FIRST, ALL3(TAMPERED, CLEAN)},
    {PX_INJECT, P_S_MIDDLE, ALL3(TAMPERED, CLEAN)},
    {PX_INJECT, P_S_CLOSE, ALL3(TAMPERED, CLEAN)},
};
#define MATRIX_ROWS (sizeof matrix / sizeof matrix[0])

/* The (row, pattern) pairs that exist: the loop test's index runs over them. */
static struct {
    int row, pattern;
} cases[MATRIX_ROWS * PATTERNS];
static int case_count;

static void list_cases(void)
{
    for (size_t r = 0; r < MATRIX_ROWS; r++)
        for (int p = 0; p < PATTERNS; p++)
            if (matrix[r].o[p].client >= 0) {
                cases[case_count].row = (int)r;
                cases[case_count].pattern = p;
                case_count++;
            }
}

/* Which frame a position is, and which bytes a flip changes. */
static px_plan plan_for(const row *r, int pattern, uint64_t seed)
{
    px_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.action = r->action;
    plan.delay_ms = DELAY_MS;
    plan.seed = seed;
    /* Client-to-server frames before the first transport frame: the name
     * and message 1, and message 3 in XX. Transport frames in each
     * direction: A (3 frames), B, the close frame. */
    int base = pattern == XX ? 3 : 2;
    int close_offset = r->action == PX_REORDER ? 3 : 4; /* reorder: B, overtaken by the close */
    switch (r->position) {
    case P_NAME:
        plan.direction = PX_TO_SERVER, plan.frame = 0;
        plan.byte = 6, plan.bit = 0; /* "Noise_NN..." -> "Noise_ON...", "XX" -> "YX" */
        break;
    case P_M1:
        plan.direction = PX_TO_SERVER, plan.frame = 1;
        plan.byte = 5, plan.bit = 2; /* inside e */
        break;
    case P_M2:
        plan.direction = PX_TO_CLIENT, plan.frame = 0;
        plan.byte = -1, plan.bit = 7; /* the last byte of the tag */
        break;
    case P_M3:
        plan.direction = PX_TO_SERVER, plan.frame = 2;
        plan.byte = 3, plan.bit = 4; /* inside the encrypted s */
        break;
    case P_C_FIRST:
    case P_S_FIRST:
        plan.frame = r->position == P_C_FIRST ? base : 1;
        /* The encrypted type byte: 0x01 "more follows" would become 0x00
         * "last", splitting the message, if it were not authenticated. */
        plan.byte = 0, plan.bit = 0;
        break;
    case P_C_MIDDLE:
    case P_S_MIDDLE:
        plan.frame = (r->position == P_C_MIDDLE ? base : 1) + 1;
        plan.byte = 30000, plan.bit = 3; /* in the body */
        break;
    case P_C_CLOSE:
    case P_S_CLOSE:
        plan.frame = (r->position == P_C_CLOSE ? base : 1) + close_offset;
        plan.byte = 0, plan.bit = 1; /* 0x02 "close" would become 0x00, an empty message */
        break;
    }
    if (r->position >= P_C_FIRST)
        plan.direction = r->position >= P_S_FIRST ? PX_TO_CLIENT : PX_TO_SERVER;
    return plan;
}

/* Bytes the receiver (0 client, 1 server) must have delivered: see the
 * file comment. */
static size_t delivery_for(const row *r, int receiver, int code)
{
    if (code == CLEAN)
        return TOTAL;
    int attacked = r->position >= P_S_FIRST ? 0 : r->position >= P_C_FIRST ? 1 : -1;
    if (receiver != attacked)
        return 0;
    switch ((r->position - P_C_FIRST) % 3) {
    case 0: /* first frame of A: nothing before it, or one copy of it */
        return r->action == PX_DUPLICATE ? FRAG : 0;
    case 1: /* middle frame: the first frame of A, and a first copy of it */
        return r->action == PX_DUPLICATE ? 2 * FRAG : FRAG;
    default: /* close frame: everything (reorder: B came after the close) */
        return r->action == PX_REORDER ? LEN_A : TOTAL;
    }
}

static void scenario_for_row(scenario *sc, const row *r, int pattern, uint64_t seed)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->what, sizeof sc->what, "%s: %s %s", pattern_names[pattern],
             action_names[r->action], position_names[r->position]);
    sc->client = client_config(pattern);
    sc->server = server_config(pattern);
    sc->plans[0] = plan_for(r, pattern, seed);
    sc->plan_count = 1;
    sc->client_error = r->o[pattern].client;
    sc->server_error = r->o[pattern].server;
    /* A short limit only where the timeout is the expected verdict. */
    if (sc->client_error == TIMEOUT)
        sc->client.handshake_timeout_ms = SHORT_MS;
    if (sc->server_error == TIMEOUT)
        sc->server.io_timeout_ms = SHORT_IO_MS;
    sc->client_gets = delivery_for(r, 0, sc->client_error);
    sc->server_gets = delivery_for(r, 1, sc->server_error);
}

START_TEST(matrix_case)
{
    const row *r = &matrix[cases[_i].row];
    scenario sc;
    scenario_for_row(&sc, r, cases[_i].pattern, 0x5353000000000000ULL + (uint64_t)_i);
    run_scenario(&sc, NULL);
}
END_TEST

static const row *find_row(px_action action, int position)
{
    for (size_t r = 0; r < MATRIX_ROWS; r++)
        if (matrix[r].action == action && matrix[r].position == position)
            return &matrix[r];
    ck_abort_msg("no row");
    return NULL;
}

START_TEST(every_handshake_byte_flipped)
{
    /* The matrix flips one chosen bit per handshake message; here every
     * byte of every handshake message is flipped in turn (bit = byte mod
     * 8), with the verdicts of the matrix's flip rows. It includes bit 255
     * of each ephemeral key (byte 31, bit 7), which X25519 ignores (RFC 7748
     * §5): the DH result is unchanged, but the key is hashed into h as
     * received, so the flip is still caught. */
    static const size_t sizes[PATTERNS][3] = {{32, 48, 0}, {48, 48, 0}, {32, 96, 64}};
    int runs = 0;
    for (int p = 0; p < PATTERNS; p++)
        for (int m = 0; m < 3 && sizes[p][m] > 0; m++)
            for (size_t b = 0; b < sizes[p][m]; b++) {
                scenario sc;
                scenario_for_row(&sc, find_row(PX_FLIP, P_M1 + m), p, 0);
                sc.plans[0].byte = (long)b;
                sc.plans[0].bit = (int)(b % 8);
                snprintf(sc.what, sizeof sc.what, "%s: bit %zu of byte %zu of handshake message %d",
                         pattern_names[p], b % 8, b, m + 1);
                run_scenario(&sc, NULL);
                runs++;
            }
    ck_assert_int_eq(runs, 32 + 48 + 48 + 48 + 32 + 96 + 64);
}
END_TEST

START_TEST(proxy_sees_the_documented_frames)
{
    /* The proxy changes nothing unless told to, and the frames it sees have
     * the sizes docs/protocol.md gives: the 32-byte name, the handshake
     * messages (NN 32/48, NK 48/48, XX 32/96/64), then per direction
     * 65,535 + 65,535 + 1,017 (A: 1 type byte + body + 16-byte tag), 67 (B)
     * and 17 (the close frame). */
    static const size_t handshake[PATTERNS][2][2] = {
        {{32, 0}, {48, 0}}, {{48, 0}, {48, 0}}, {{32, 64}, {96, 0}}};
    static const size_t transport[5] = {65535, 65535, 1017, 67, 17};
    for (int p = 0; p < PATTERNS; p++) {
        scenario sc;
        memset(&sc, 0, sizeof sc);
        snprintf(sc.what, sizeof sc.what, "%s through a passive proxy", pattern_names[p]);
        sc.client = client_config(p);
        sc.server = server_config(p);
        sc.plans[0].action = PX_PASS; /* acted on frame 0: proves the proxy saw it */
        sc.plan_count = 1;
        sc.client_gets = sc.server_gets = TOTAL;
        px_proxy seen;
        run_scenario(&sc, &seen);

        size_t want[2][PX_LOG_FRAMES], n[2] = {0, 0};
        want[PX_TO_SERVER][n[0]++] = 32; /* the name */
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < 2; k++)
                if (handshake[p][d][k] > 0)
                    want[d][n[d]++] = handshake[p][d][k];
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < 5; k++)
                want[d][n[d]++] = transport[k];
        for (int d = 0; d < 2; d++) {
            ck_assert_uint_eq(seen.frames[d], n[d]);
            for (size_t k = 0; k < n[d]; k++)
                ck_assert_msg(seen.lengths[d][k] == want[d][k], "%s: direction %d frame %zu: %zu "
                              "bytes, expected %zu", pattern_names[p], d, k, seen.lengths[d][k],
                              want[d][k]);
        }
    }
}
END_TEST

START_TEST(delay_beyond_the_timeout)
{
    /* The other side of "a delay is harmless": held back longer than the
     * waiting side's limit, it ends in SS_ERR_TIMEOUT there. */
    struct {
        int pattern, position, client_hs, client_io, server_io, delay, client_error,
            server_error;
        size_t client_gets, server_gets;
    } cases2[] = {
        /* message 2 late: the client's handshake limit */
        {NN, P_M2, SHORT_MS, LONG_MS, LONG_MS, 2 * SHORT_MS, TIMEOUT, TRUNCATED, 0, 0},
        {XX, P_M2, SHORT_MS, LONG_MS, LONG_MS, 2 * SHORT_MS, TIMEOUT, GONE, 0, 0},
        /* the middle of the client's message late: the server's I/O limit */
        {NK, P_C_MIDDLE, LONG_MS, LONG_MS, SHORT_IO_MS, 2 * SHORT_IO_MS, TRUNCATED, TIMEOUT, 0,
         FRAG},
        /* the server's reply late: the client's I/O limit */
        {NN, P_S_FIRST, LONG_MS, SHORT_IO_MS, LONG_MS, 2 * SHORT_IO_MS, TIMEOUT, CLEAN, 0, TOTAL},
    };
    for (size_t i = 0; i < sizeof cases2 / sizeof cases2[0]; i++) {
        scenario sc;
        scenario_for_row(&sc, find_row(PX_DELAY, cases2[i].position), cases2[i].pattern, 0);
        sc.plans[0].delay_ms = cases2[i].delay;
        snprintf(sc.what, sizeof sc.what, "%s: %s delayed past the limit",
                 pattern_names[cases2[i].pattern], position_names[cases2[i].position]);
        sc.client.handshake_timeout_ms = cases2[i].client_hs;
        sc.client.io_timeout_ms = cases2[i].client_io;
        sc.server.io_timeout_ms = cases2[i].server_io;
        sc.client_error = cases2[i].client_error;
        sc.server_error = cases2[i].server_error;
        sc.client_gets = cases2[i].client_gets;
        sc.server_gets = cases2[i].server_gets;
        run_scenario(&sc, NULL);
    }
}
END_TEST

START_TEST(name_rewrite_cannot_downgrade)
{
    /* Frame 0 is in clear, so an attacker can rewrite it. docs/protocol.md
     * §3: each side starts h from the name it runs, so the client's next
     * check fails and it never ends up in a pattern it did not propose. */
    static const char nn_name[] = "Noise_NN_25519_ChaChaPoly_SHA256";
    static const char xx_name[] = "Noise_XX_25519_ChaChaPoly_SHA256";
    scenario sc;

    /* XX client (pinning the server) -> "NN", toward a server that speaks
     * only NN and so would accept: the server answers with a 48-byte NN
     * message 2 where XX needs 96 (e, s, tags). */
    memset(&sc, 0, sizeof sc);
    snprintf(sc.what, sizeof sc.what, "XX rewritten to NN");
    sc.client = client_config(XX);
    sc.server = server_config(NN);
    sc.plans[0] = (px_plan){.action = PX_REPLACE, .direction = PX_TO_SERVER, .frame = 0,
                            .replacement = (const uint8_t *)nn_name, .replacement_len = 32};
    sc.plan_count = 1;
    sc.client_error = BAD_FRAME;
    sc.server_error = TRUNCATED; /* its NN handshake ended; then the client left */
    run_scenario(&sc, NULL);

    /* NK -> "XX": the server reads NK's 48-byte message 1 as XX's 32-byte
     * one plus a 16-byte payload, which SSockets/1 forbids. */
    memset(&sc, 0, sizeof sc);
    snprintf(sc.what, sizeof sc.what, "NK rewritten to XX");
    sc.client = client_config(NK);
    sc.server = server_config(NK);
    sc.plans[0] = (px_plan){.action = PX_REPLACE, .direction = PX_TO_SERVER, .frame = 0,
                            .replacement = (const uint8_t *)xx_name, .replacement_len = 32};
    sc.plan_count = 1;
    sc.client_error = GONE; /* the server fails in silence: no refusal frame */
    sc.server_error = BAD_FRAME;
    run_scenario(&sc, NULL);

    /* NK -> "NN", and message 1 cut to its 32-byte e, so that every length
     * fits NN: the NN server answers with a well-formed message 2 (48
     * bytes, as NK's). Only the hash catches it: the client's h holds the
     * NK name and the pinned key, and its ck the es result, so the tag of
     * message 2 fails. */
    memset(&sc, 0, sizeof sc);
    snprintf(sc.what, sizeof sc.what, "NK rewritten to NN, message 1 cut to fit");
    sc.client = client_config(NK);
    sc.server = server_config(NN);
    sc.plans[0] = (px_plan){.action = PX_REPLACE, .direction = PX_TO_SERVER, .frame = 0,
                            .replacement = (const uint8_t *)nn_name, .replacement_len = 32};
    sc.plans[1] = (px_plan){.action = PX_SHORTEN, .direction = PX_TO_SERVER, .frame = 1,
                            .keep = 32};
    sc.plan_count = 2;
    sc.client_error = TAMPERED;
    sc.server_error = TRUNCATED;
    run_scenario(&sc, NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The man in the middle                                               */
/* ------------------------------------------------------------------ */

#define SECRET_C "client: the vault code is 4711"
#define SECRET_S "server: noted, the vault opens at dawn"

typedef struct {
    side_log client, server;
    px_mitm m;
    int client_saw_key;        /* the victim's ss_peer_public_key after its handshake */
    uint8_t client_peer_key[32];
} mitm_run;

/* The real server: reads the client's message up to its close, answers. */
static void secret_server(ss_conn *c, side_log *l)
{
    receive_all(c, l);
    if (l->error == CLEAN && l->got == strlen(SECRET_C) &&
        memcmp(l->data, SECRET_C, l->got) == 0 && ss_send(c, SECRET_S, strlen(SECRET_S)) < 0)
        log_last_error(l);
}

/* The victim client connects to the MITM, believing it is the server. */
static void run_mitm(mitm_run *r, const ss_config *client, const ss_config *server_cfg,
                     const ss_config *toward_client, const ss_config *toward_server)
{
    memset(r, 0, sizeof *r);
    log_init(&r->client);
    log_init(&r->server);
    server s;
    server_start(&s, server_cfg, secret_server, &r->server);
    ck_assert_int_eq(px_mitm_start(&r->m, s.port, toward_client, toward_server), 0);
    ss_conn *c = ss_client("127.0.0.1", r->m.port, client);
    if (c == NULL) {
        log_last_error(&r->client);
    } else {
        ss_handshake_hash(r->client.hash, c);
        const uint8_t *pk = ss_peer_public_key(c);
        r->client_saw_key = pk != NULL;
        if (pk != NULL)
            memcpy(r->client_peer_key, pk, 32);
        if (ss_send(c, SECRET_C, strlen(SECRET_C)) < 0 || ss_shutdown(c) < 0)
            log_last_error(&r->client);
        else
            receive_all(c, &r->client);
        ss_close(c);
    }
    px_mitm_finish(&r->m);
    server_join(&s);
    server_stop(&s);
}

static void mitm_free(mitm_run *r)
{
    log_free(&r->client);
    log_free(&r->server);
}

START_TEST(nn_is_open_to_mitm)
{
    /* NN authenticates nobody (docs/security.md): the attacker runs one NN
     * handshake with the client and another with the server, relays, and
     * reads both directions, while both ends see a perfect conversation. */
    ss_config plain = base_config();
    mitm_run r;
    run_mitm(&r, &plain, &plain, &plain, &plain);

    ck_assert_int_eq(r.m.upstream_error, CLEAN);
    ck_assert_int_eq(r.m.downstream_error, CLEAN);
    /* Both ends: no error, the right reply, an authenticated close. */
    ck_assert_msg(r.client.error == CLEAN, "client: %s", said(&r.client));
    ck_assert_msg(r.server.error == CLEAN, "server: %s", said(&r.server));
    ck_assert(r.client.peer_closed && r.server.peer_closed);
    ck_assert_uint_eq(r.server.got, strlen(SECRET_C));
    ck_assert_mem_eq(r.server.data, SECRET_C, strlen(SECRET_C));
    ck_assert_uint_eq(r.client.got, strlen(SECRET_S));
    ck_assert_mem_eq(r.client.data, SECRET_S, strlen(SECRET_S));
    /* ... and the attacker read both secrets. */
    ck_assert_uint_eq(r.m.seen_len[PX_TO_SERVER], strlen(SECRET_C));
    ck_assert_mem_eq(r.m.seen[PX_TO_SERVER], SECRET_C, strlen(SECRET_C));
    ck_assert_uint_eq(r.m.seen_len[PX_TO_CLIENT], strlen(SECRET_S));
    ck_assert_mem_eq(r.m.seen[PX_TO_CLIENT], SECRET_S, strlen(SECRET_S));
    ck_assert_int_eq(r.m.relay_error[PX_TO_SERVER], CLEAN);
    ck_assert_int_eq(r.m.relay_error[PX_TO_CLIENT], CLEAN);
    /* The one trace it leaves: two different sessions, so the two ends'
     * handshake hashes differ (each equals one of the attacker's). Comparing
     * them over another channel (Noise §11.2, channel binding) would reveal
     * the attack; NN itself never does. */
    ck_assert(memcmp(r.client.hash, r.server.hash, 32) != 0);
    ck_assert_mem_eq(r.client.hash, r.m.downstream_hash, 32);
    ck_assert_mem_eq(r.server.hash, r.m.upstream_hash, 32);
    mitm_free(&r);
}
END_TEST

START_TEST(nk_mitm_is_detected)
{
    /* The client pins the real server key. The attacker can still reach
     * the server (NK authenticates no client, and the server key is
     * public), but toward the client it has only its own key: message 1 is
     * encrypted to the pinned key (es), the attacker cannot read it, and the
     * client sees its "server" hang up. */
    ss_config client = client_config(NK), server_cfg = server_config(NK);
    ss_config toward_client = base_config(), toward_server = client_config(NK);
    toward_client.static_key = &attacker_key;
    mitm_run r;
    run_mitm(&r, &client, &server_cfg, &toward_client, &toward_server);

    ck_assert_msg(r.client.error == WRONG_KEY, "client: %s", said(&r.client));
    ck_assert_int_eq(r.m.downstream_error, TAMPERED);
    ck_assert_int_eq(r.m.upstream_error, CLEAN);
    ck_assert_uint_eq(r.m.seen_len[PX_TO_SERVER], 0);
    ck_assert_uint_eq(r.m.seen_len[PX_TO_CLIENT], 0);
    /* The server met an anonymous client that said nothing and left. */
    ck_assert_int_eq(r.server.error, CLEAN);
    ck_assert_uint_eq(r.server.got, 0);
    ck_assert_uint_eq(r.client.got, 0);
    mitm_free(&r);
}
END_TEST

START_TEST(xx_mitm_is_detected)
{
    /* XX with both checks: the client pins the server key, the server lets
     * only the client's key in. The attacker has neither private key. The
     * client sees the attacker's key in message 2 and stops before message
     * 3 (its own identity is never sent); the server sees the attacker's
     * key in message 3 and refuses it. Nothing is relayed. */
    ss_config client = client_config(XX), server_cfg = server_config(XX);
    ss_config mitm_keys = base_config();
    mitm_keys.static_key = &attacker_key;
    mitm_run r;
    run_mitm(&r, &client, &server_cfg, &mitm_keys, &mitm_keys);

    ck_assert_msg(r.client.error == WRONG_KEY, "client: %s", said(&r.client));
    ck_assert_msg(r.server.error == SS_ERR_UNKNOWN_CLIENT_KEY, "server: %s", said(&r.server));
    ck_assert_int_eq(r.m.downstream_error, GONE);
    ck_assert_uint_eq(r.m.seen_len[PX_TO_SERVER], 0);
    ck_assert_uint_eq(r.m.seen_len[PX_TO_CLIENT], 0);
    mitm_free(&r);

    /* The same with one pinned client key instead of a list. */
    server_cfg.allowed_keys = NULL;
    server_cfg.allowed_count = 0;
    server_cfg.peer_public_key = client_key.public_key;
    run_mitm(&r, &client, &server_cfg, &mitm_keys, &mitm_keys);
    ck_assert_msg(r.client.error == WRONG_KEY, "client: %s", said(&r.client));
    ck_assert_msg(r.server.error == SS_ERR_WRONG_PEER_KEY, "server: %s", said(&r.server));
    ck_assert_uint_eq(r.m.seen_len[PX_TO_SERVER] + r.m.seen_len[PX_TO_CLIENT], 0);
    mitm_free(&r);
}
END_TEST

START_TEST(xx_allow_list_alone_protects_only_the_server)
{
    /* Each side's check protects that side. With an allow-list on the
     * server but no pin on the client, the server refuses the attacker and
     * nothing of the server's reaches it; but the client accepts whatever
     * server key it is shown (docs/security.md: "as weak as NN ... on the
     * first contact"), so what the client sends is read. */
    ss_config client = client_config(XX), server_cfg = server_config(XX);
    client.peer_public_key = NULL;
    ss_config mitm_keys = base_config();
    mitm_keys.static_key = &attacker_key;
    mitm_run r;
    run_mitm(&r, &client, &server_cfg, &mitm_keys, &mitm_keys);

    ck_assert_msg(r.server.error == SS_ERR_UNKNOWN_CLIENT_KEY, "server: %s", said(&r.server));
    ck_assert_uint_eq(r.m.seen_len[PX_TO_CLIENT], 0);       /* the server is safe */
    ck_assert_uint_eq(r.m.seen_len[PX_TO_SERVER], strlen(SECRET_C)); /* the client is not */
    ck_assert_mem_eq(r.m.seen[PX_TO_SERVER], SECRET_C, strlen(SECRET_C));
    ck_assert_uint_eq(r.client.got, 0); /* and it never hears from the real server */
    /* The "server key" the client authenticated is the attacker's; with
     * nothing to compare it to, the client could not know. */
    ck_assert(r.client_saw_key);
    ck_assert_mem_eq(r.client_peer_key, attacker_key.public_key, 32);
    mitm_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Raw sockets: peers that do not follow the protocol                  */
/* ------------------------------------------------------------------ */

static void raw_timeouts(int fd)
{
    struct timeval tv = {RAW_WAIT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    raw_timeouts(fd);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_exact(int fd, uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A frame: the 2-byte big-endian length, then the body. */
static int write_frame(int fd, const void *body, size_t len)
{
    uint8_t h[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    return write_all(fd, h, 2) == 0 && write_all(fd, body, len) == 0 ? 0 : -1;
}

static void raw_frame(int fd, const void *body, size_t len)
{
    ck_assert_int_eq(write_frame(fd, body, len), 0);
}

/* After the server is done with a connection: it must have closed it (a
 * FIN or a reset, not an open socket left behind). */
static void assert_closed_by_server(int fd)
{
    uint8_t b[256];
    ssize_t n;
    do
        n = recv(fd, b, sizeof b, 0);
    while (n > 0 || (n < 0 && errno == EINTR));
    ck_assert_msg(n == 0 || errno == ECONNRESET, "the server left the connection open");
}

static const char *const names[PATTERNS] = {"Noise_NN_25519_ChaChaPoly_SHA256",
                                            "Noise_NK_25519_ChaChaPoly_SHA256",
                                            "Noise_XX_25519_ChaChaPoly_SHA256"};

/* A well-behaved client still gets through (after each hostile peer). */
static void good_client_is_served(server *s, int pattern)
{
    side_log cl, sv;
    log_init(&cl);
    log_init(&sv);
    server_again(s, server_exchange, &sv);
    ss_config cfg = client_config(pattern);
    ss_conn *c = ss_client("127.0.0.1", s->port, &cfg);
    ck_assert_msg(c != NULL, "good client: %s", ss_last_error_message(NULL));
    client_exchange(c, &cl);
    ss_close(c);
    server_join(s);
    ck_assert_msg(cl.error == CLEAN, "good client: %s", said(&cl));
    ck_assert_msg(sv.error == CLEAN, "server of the good client: %s", said(&sv));
    check_delivery(&cl, 1, TOTAL, "client", "good client");
    check_delivery(&sv, 0, TOTAL, "server", "good client");
    log_free(&cl);
    log_free(&sv);
}

/* The server's verdict on one raw connection. */
static void expect_server(server *s, int expected, const char *what)
{
    server_join(s);
    ck_assert_msg(s->log->error == expected, "%s: server: \"%s\", expected \"%s\"", what,
                  said(s->log), ss_strerror(expected));
}

START_TEST(random_bytes)
{
    ss_config keyed = server_config(NK), open_cfg = server_config(NN);
    side_log log;
    log_init(&log);
    server s;
    server_open(&s, &keyed);
    uint8_t junk[256];

    /* Random bytes from the first byte on: whatever length the first two
     * announce, it is no protocol name. */
    for (int i = 0; i < 20; i++) {
        server_again(&s, receive_all, &log);
        int fd = raw_connect(s.port);
        trng_bytes(junk, sizeof junk);
        ck_assert_int_eq(write_all(fd, junk, sizeof junk), 0);
        expect_server(&s, BAD_PROTO, "random bytes");
        close(fd);
    }
    /* A good name, then a random message 1 of the right size: NK's tag
     * fails. XX's message 1 (a bare e) cannot be checked, so the server
     * answers with message 2; a random message 3 then fails. */
    server_again(&s, receive_all, &log);
    int fd = raw_connect(s.port);
    raw_frame(fd, names[NK], 32);
    trng_bytes(junk, 48);
    raw_frame(fd, junk, 48);
    expect_server(&s, TAMPERED, "NK, random message 1");
    close(fd);

    server_again(&s, receive_all, &log);
    fd = raw_connect(s.port);
    raw_frame(fd, names[XX], 32);
    trng_bytes(junk, 32 + 64);
    raw_frame(fd, junk, 32);
    raw_frame(fd, junk + 32, 64);
    expect_server(&s, TAMPERED, "XX, random message 3");
    close(fd);
    good_client_is_served(&s, NK);
    good_client_is_served(&s, XX);
    server_stop(&s);

    /* NN: a random message 1 IS a valid ephemeral key, and the handshake
     * completes (nobody is authenticated). Random bytes after it still
     * cannot pass for a transport frame. */
    server_open(&s, &open_cfg);
    server_again(&s, receive_all, &log);
    fd = raw_connect(s.port);
    raw_frame(fd, names[NN], 32);
    trng_bytes(junk, 32 + 100);
    raw_frame(fd, junk, 32);
    uint8_t reply[2 + 48];
    ck_assert_int_eq(read_exact(fd, reply, sizeof reply), 0); /* message 2 came */
    raw_frame(fd, junk + 32, 100);
    expect_server(&s, TAMPERED, "NN, a random transport frame");
    ck_assert_uint_eq(log.got, 0);
    close(fd);
    good_client_is_served(&s, NN);
    server_stop(&s);
    log_free(&log);
}
END_TEST

START_TEST(length_prefix_without_body)
{
    ss_config cfg = server_config(NN);
    cfg.handshake_timeout_ms = SHORT_MS;
    side_log log;
    log_init(&log);
    server s;
    server_open(&s, &cfg);

    /* "32 bytes follow", then the peer closes: it left. */
    server_again(&s, NULL, &log);
    int fd = raw_connect(s.port);
    ck_assert_int_eq(write_all(fd, "\x00\x20", 2), 0);
    close(fd);
    expect_server(&s, GONE, "length of frame 0, then close");

    /* ... then the peer stays, silent: the handshake timeout ends it, and
     * the server really closes the connection. */
    server_again(&s, NULL, &log);
    fd = raw_connect(s.port);
    ck_assert_int_eq(write_all(fd, "\x00\x20", 2), 0);
    expect_server(&s, TIMEOUT, "length of frame 0, then silence");
    assert_closed_by_server(fd);
    close(fd);

    /* The same for message 1, after a good name. */
    server_again(&s, NULL, &log);
    fd = raw_connect(s.port);
    raw_frame(fd, names[NN], 32);
    ck_assert_int_eq(write_all(fd, "\x00\x20", 2), 0);
    close(fd);
    expect_server(&s, GONE, "length of message 1, then close");

    server_again(&s, NULL, &log);
    fd = raw_connect(s.port);
    raw_frame(fd, names[NN], 32);
    ck_assert_int_eq(write_all(fd, "\x00\x20", 2), 0);
    expect_server(&s, TIMEOUT, "length of message 1, then silence");
    assert_closed_by_server(fd);
    close(fd);

    /* 65,535 bytes announced for frame 0: refused before any is awaited
     * (a name is at most 47 bytes), so no timeout is needed. */
    server_again(&s, NULL, &log);
    fd = raw_connect(s.port);
    ck_assert_int_eq(write_all(fd, "\xff\xff", 2), 0);
    expect_server(&s, BAD_PROTO, "length 65535 for frame 0, then silence");
    close(fd);

    good_client_is_served(&s, NN);
    server_stop(&s);
    log_free(&log);
}
END_TEST

START_TEST(unknown_protocol_names)
{
    static const struct {
        const char *name;
        size_t len;
    } unknown[] = {
        {"Noise_IK_25519_ChaChaPoly_SHA256", 32},  /* a Noise pattern SSockets does not run */
        {"Noise_NN_25519_AESGCM_SHA256", 28},      /* another cipher */
        {"Noise_NN_448_ChaChaPoly_BLAKE2b", 31},   /* another DH and hash */
        {"noise_nn_25519_chachapoly_sha256", 32},  /* case matters */
        {"Noise_NN_25519_ChaChaPoly_SHA256\0", 33}, /* a C string's NUL */
        {"Noise_NN_25519_ChaChaPoly_SHA25", 31},   /* a prefix */
        {"Noise_NN_25519_ChaChaPoly_SHA256 ", 33}, /* trailing bytes */
        {"", 0},                                   /* empty */
        {"SSockets/1", 10},                        /* the prologue is not a name */
        {"Noise_NNhfs_25519+Kyber1024_ChaChaPoly_SHA256", 45}, /* another KEM */
        {"Noise_NNhfs_25519_ChaChaPoly_SHA256", 35},           /* hfs without a KEM name */
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47}, /* the longest frame 0 read */
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 48}, /* one more: refused unread */
    };
    ss_config cfg = server_config(NK);
    side_log log;
    log_init(&log);
    server s;
    server_open(&s, &cfg);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        server_again(&s, NULL, &log);
        int fd = raw_connect(s.port);
        raw_frame(fd, unknown[i].name, unknown[i].len);
        char what[80];
        snprintf(what, sizeof what, "name %zu (%zu bytes)", i, unknown[i].len);
        expect_server(&s, BAD_PROTO, what);
        close(fd);
    }
    /* The contrast: a known name this server does not accept is a refusal,
     * not an unknown protocol (a keyed server does not run NN). */
    server_again(&s, NULL, &log);
    int fd = raw_connect(s.port);
    raw_frame(fd, names[NN], 32);
    expect_server(&s, REFUSED, "NN to a keyed server");
    close(fd);
    good_client_is_served(&s, NK);
    server_stop(&s);
    log_free(&log);
}
END_TEST

/* The public keys of every Wycheproof X25519 test flagged ZeroSharedSecret
 * (vectors/wycheproof/x25519_test.json): points of small order, for which
 * X25519 gives all zeros whatever the private key (RFC 7748 §6.1). */
#define WYCHEPROOF_ZERO_SHARED 31
static size_t low_order_points(uint8_t out[][32], size_t cap)
{
    json_t *root = wp_load("wycheproof/x25519_test.json");
    size_t n = 0, gi, ti;
    json_t *group, *test;
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        json_array_foreach(json_object_get(group, "tests"), ti, test) {
            if (!wp_has_flag(test, "ZeroSharedSecret"))
                continue;
            size_t len;
            uint8_t *pub = wp_hex(test, "public", &len);
            ck_assert_uint_eq(len, 32);
            ck_assert_uint_lt(n, cap);
            memcpy(out[n++], pub, 32);
            free(pub);
        }
    }
    json_decref(root);
    return n;
}

START_TEST(low_order_ephemeral_keys)
{
    /* Each point as the ephemeral key of message 1, to NN, NK and XX: the
     * server's first DH with it (NK: es when reading; NN and XX: ee when
     * writing message 2) is all zeros, and the server stops with
     * SS_ERR_LOW_ORDER_KEY instead of keying a session with a value
     * everybody knows. */
    static uint8_t points[64][32];
    size_t count = low_order_points(points, 64);
    ck_assert_uint_eq(count, WYCHEPROOF_ZERO_SHARED);
    ss_config open_cfg = server_config(NN), keyed = server_config(NK);
    side_log log;
    log_init(&log);
    server open_srv, keyed_srv;
    server_open(&open_srv, &open_cfg);
    server_open(&keyed_srv, &keyed);
    long passed = 0;
    for (size_t i = 0; i < count; i++)
        for (int p = 0; p < PATTERNS; p++) {
            server *s = p == NN ? &open_srv : &keyed_srv;
            server_again(s, NULL, &log);
            int fd = raw_connect(s->port);
            uint8_t m1[48] = {0};      /* NK: e, then a 16-byte "tag" */
            memcpy(m1, points[i], 32);
            raw_frame(fd, names[p], 32);
            raw_frame(fd, m1, p == NK ? 48 : 32);
            server_join(s);
            close(fd);
            ck_assert_msg(log.error == LOW_ORDER, "point %zu, %s: %s", i, pattern_names[p],
                          said(&log));
            passed++;
        }
    vec_report("Wycheproof x25519 ZeroSharedSecret keys as NN/NK/XX message 1", passed,
               WYCHEPROOF_ZERO_SHARED * PATTERNS);
    good_client_is_served(&open_srv, NN);
    good_client_is_served(&keyed_srv, XX);
    server_stop(&open_srv);
    server_stop(&keyed_srv);
    log_free(&log);
}
END_TEST

START_TEST(silent_peer_times_out)
{
    /* Connects and says nothing; or says a name and then nothing; or, in
     * XX, its message 1 and then nothing (the server waits for message 3).
     * The handshake timeout ends each, and the server closes the socket. */
    ss_config cfg = server_config(NK);
    cfg.handshake_timeout_ms = SHORT_MS;
    side_log log;
    log_init(&log);
    server s;
    server_open(&s, &cfg);
    for (int step = 0; step < 3; step++) {
        server_again(&s, NULL, &log);
        int fd = raw_connect(s.port);
        if (step >= 1)
            raw_frame(fd, names[XX], 32);
        if (step >= 2) {
            uint8_t e[32];
            trng_bytes(e, sizeof e);
            raw_frame(fd, e, sizeof e);
        }
        expect_server(&s, TIMEOUT, step == 0 ? "silent" : step == 1 ? "silent after the name"
                                                                    : "silent after message 1");
        assert_closed_by_server(fd);
        close(fd);
    }
    good_client_is_served(&s, XX);
    server_stop(&s);
    log_free(&log);
}
END_TEST

START_TEST(slowloris_is_cut_off)
{
    /* One byte every 200 ms of a valid NN client (name and message 1: 68
     * bytes, 13.6 s at that pace) against a 1-second handshake limit. Each
     * byte is progress, but the limit covers the whole handshake (one
     * deadline, docs/protocol.md §8), so the server gives up before even
     * frame 0 (34 bytes, 6.8 s) is through. A limit per read, or one that
     * each byte renews, would let the peer go on (or end much later). */
    ss_config cfg = server_config(NN);
    cfg.handshake_timeout_ms = 1000;
    side_log log;
    log_init(&log);
    server s;
    server_start(&s, &cfg, NULL, &log);
    uint8_t hello[68];
    hello[0] = 0, hello[1] = 32;
    memcpy(hello + 2, names[NN], 32);
    hello[34] = 0, hello[35] = 32;
    trng_bytes(hello + 36, 32);
    int fd = raw_connect(s.port);
    size_t sent = 0;
    while (sent < sizeof hello && !atomic_load(&s.done)) {
        if (write_all(fd, hello + sent, 1) < 0)
            break;
        sent++;
        sleep_ms(200);
    }
    expect_server(&s, TIMEOUT, "one byte per 200 ms");
    ck_assert_msg(sent < 34, "the server waited for %zu bytes of frame 0", sent);
    close(fd);
    good_client_is_served(&s, NN);
    server_stop(&s);
    log_free(&log);
}
END_TEST

/* ---- hostile servers, toward a real client ---- */

typedef struct {
    int listen_fd;
    uint16_t port;
    uint8_t reply[128];     /* the bytes sent once frame 0 and message 1 are read */
    size_t reply_len;
    int slow_ms;            /* > 0: one byte of the reply per slow_ms */
    int close_at_once;      /* close right after the reply; else wait for the client to leave */
    uint8_t name[48];       /* what the client proposed */
    size_t name_len;
    int heard;              /* frame 0 and message 1 were read */
    size_t sent;            /* bytes of the reply sent */
    pthread_t thread;
} hostile_server;

/* Reads one frame of at most cap bytes; its length, or -1. */
static long read_frame(int fd, uint8_t *buf, size_t cap)
{
    uint8_t h[2];
    if (read_exact(fd, h, 2) < 0)
        return -1;
    size_t len = ((size_t)h[0] << 8) | h[1];
    if (len > cap || read_exact(fd, buf, len) < 0)
        return -1;
    return (long)len;
}

static void *hostile_main(void *arg)
{
    hostile_server *h = arg;
    struct pollfd pfd = {h->listen_fd, POLLIN, 0};
    if (poll(&pfd, 1, RAW_WAIT_S * 1000) != 1)
        return NULL;
    int fd = accept(h->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    raw_timeouts(fd);
    uint8_t m1[64];
    long n = read_frame(fd, h->name, sizeof h->name);
    if (n >= 0 && read_frame(fd, m1, sizeof m1) >= 0) {
        h->name_len = (size_t)n;
        h->heard = 1;
        if (h->slow_ms > 0) {
            /* One byte, then wait; stop when the client has gone. */
            for (size_t i = 0; i < h->reply_len; i++) {
                struct pollfd q = {fd, POLLIN, 0};
                if (poll(&q, 1, h->slow_ms) != 0 || write_all(fd, h->reply + i, 1) < 0)
                    break;
                h->sent++;
            }
        } else if (h->reply_len > 0 && write_all(fd, h->reply, h->reply_len) == 0) {
            h->sent = h->reply_len;
        }
        if (!h->close_at_once) {
            /* Wait (bounded) until the client has made up its mind and left. */
            uint8_t sink[256];
            while (recv(fd, sink, sizeof sink, 0) > 0)
                ;
        }
    }
    close(fd);
    return NULL;
}

static void hostile_start(hostile_server *h)
{
    h->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(h->listen_fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(h->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(h->listen_fd, 4), 0);
    ck_assert_int_eq(getsockname(h->listen_fd, (struct sockaddr *)&a, &len), 0);
    h->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&h->thread, NULL, hostile_main, h), 0);
}

/* Sets up the reply as a frame of `len` body bytes. */
static void reply_frame(hostile_server *h, const uint8_t *body, size_t len)
{
    h->reply[0] = (uint8_t)(len >> 8);
    h->reply[1] = (uint8_t)len;
    memcpy(h->reply + 2, body, len);
    h->reply_len = 2 + len;
}

/* A real client of `pattern` against the hostile server h (already set
 * up): ss_client must fail with `expected`. */
static void against_hostile_server(hostile_server *h, int pattern, int hs_timeout, int expected,
                                   const char *what)
{
    hostile_start(h);
    ss_config cfg = client_config(pattern);
    cfg.handshake_timeout_ms = hs_timeout;
    ss_conn *c = ss_client("127.0.0.1", h->port, &cfg);
    int code = c == NULL ? ss_last_error(NULL) : CLEAN;
    char message[256];
    snprintf(message, sizeof message, "%s", c == NULL ? ss_last_error_message(NULL) : "none");
    ss_close(c);
    ck_assert_int_eq(pthread_join(h->thread, NULL), 0);
    close(h->listen_fd);
    ck_assert_msg(h->heard, "%s, %s: the hostile server did not hear the client", what,
                  pattern_names[pattern]);
    ck_assert_uint_eq(h->name_len, 32);
    ck_assert_mem_eq(h->name, names[pattern], 32);
    ck_assert_msg(code == expected, "%s, %s: client: \"%s\", expected \"%s\"", what,
                  pattern_names[pattern], c == NULL ? message : "connected",
                  ss_strerror(expected));
}

START_TEST(hostile_servers)
{
    static uint8_t points[64][32];
    ck_assert_uint_eq(low_order_points(points, 64), WYCHEPROOF_ZERO_SHARED);
    static const size_t m2_size[PATTERNS] = {48, 48, 96};
    for (int p = 0; p < PATTERNS; p++) {
        /* The client's verdict when the server hangs up before message 2
         * without a word: an SSockets/1 server would have said why
         * (docs/protocol.md §3), so the peer does not speak it. */
        int hung_up = GONE;
        hostile_server h;
        uint8_t body[128];

        /* Garbage the right size for message 2: its tag fails. */
        memset(&h, 0, sizeof h);
        trng_bytes(body, m2_size[p]);
        reply_frame(&h, body, m2_size[p]);
        against_hostile_server(&h, p, LONG_MS, TAMPERED, "random message 2");

        /* Garbage that is not even a whole frame (it announces more than
         * comes), then the end: to the client, a server that hung up. */
        memset(&h, 0, sizeof h);
        trng_bytes(h.reply, 100);
        h.reply[0] |= 0x80; /* at least 32,768 bytes announced */
        h.reply_len = 100;
        h.close_at_once = 1;
        against_hostile_server(&h, p, LONG_MS, BAD_PROTO, "random bytes, then close");

        /* Accepts, reads, answers nothing: the handshake timeout. */
        memset(&h, 0, sizeof h);
        against_hostile_server(&h, p, SHORT_MS, TIMEOUT, "silent server");

        /* A length and no body, then the end. */
        memset(&h, 0, sizeof h);
        h.reply[0] = 0, h.reply[1] = (uint8_t)m2_size[p];
        h.reply_len = 2;
        h.close_at_once = 1;
        against_hostile_server(&h, p, LONG_MS, TRUNCATED, "length of message 2, then close");

        /* A frame that announces 65,535 bytes and never sends them: no
         * answer of SSockets/1 is that long, so the client does not wait. */
        memset(&h, 0, sizeof h);
        h.reply[0] = 0xff, h.reply[1] = 0xff;
        h.reply_len = 2;
        against_hostile_server(&h, p, SHORT_MS, BAD_PROTO, "length 65535, then silence");

        /* Well-formed frames of the wrong size: one byte short, and empty. */
        memset(&h, 0, sizeof h);
        trng_bytes(body, m2_size[p]);
        reply_frame(&h, body, m2_size[p] - 1);
        against_hostile_server(&h, p, LONG_MS, BAD_FRAME, "message 2 one byte short");
        memset(&h, 0, sizeof h);
        reply_frame(&h, body, 0);
        against_hostile_server(&h, p, LONG_MS, BAD_FRAME, "empty message 2");

        /* A low-order ephemeral key in message 2 (u = 0, u = 1 and a point
         * of order 8, from the Wycheproof list): the client's ee is zero. */
        for (int k = 0; k < 3; k++) {
            memset(&h, 0, sizeof h);
            memset(body, 0, sizeof body);
            memcpy(body, points[k], 32);
            reply_frame(&h, body, m2_size[p]);
            against_hostile_server(&h, p, LONG_MS, LOW_ORDER, "low-order e in message 2");
        }

        /* Reads the client's messages and closes: a refusal. */
        memset(&h, 0, sizeof h);
        h.close_at_once = 1;
        against_hostile_server(&h, p, LONG_MS, hung_up, "closes after message 1");
    }

    /* A slowloris server: a right-sized message 2, one byte per 200 ms,
     * against a 1-second handshake limit. */
    hostile_server h;
    memset(&h, 0, sizeof h);
    uint8_t body[48];
    trng_bytes(body, sizeof body);
    reply_frame(&h, body, sizeof body);
    h.slow_ms = 200;
    against_hostile_server(&h, NN, 1000, TIMEOUT, "one byte of message 2 per 200 ms");
    /* The client gave up long before the 50 bytes (10 s at that pace). */
    ck_assert_msg(h.sent < 25, "the client waited for %zu bytes", h.sent);
}
END_TEST

/* ------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name, int seconds)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
    tcase_set_timeout(tc, seconds);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    trng_seed_from_env();
    if (ss_keypair_generate(&server_key) != 0 || ss_keypair_generate(&client_key) != 0 ||
        ss_keypair_generate(&attacker_key) != 0)
        return 1;
    memcpy(allowed[0], client_key.public_key, 32);
    for (int side = 0; side < 2; side++) {
        fill(sent_a[side], LEN_A, 10u + (unsigned)side);
        fill(sent_b[side], LEN_B, 20u + (unsigned)side);
    }
    list_cases();

    Suite *s = suite_create("adversary");
    TCase *tc = tcase(s, "proxy", 60);
    tcase_add_test(tc, proxy_sees_the_documented_frames);
    tc = tcase(s, "matrix", 30);
    tcase_add_loop_test(tc, matrix_case, 0, case_count);
    tc = tcase(s, "targeted", 60);
    tcase_add_test(tc, every_handshake_byte_flipped);
    tcase_add_test(tc, delay_beyond_the_timeout);
    tcase_add_test(tc, name_rewrite_cannot_downgrade);
    tc = tcase(s, "man in the middle", 30);
    tcase_add_test(tc, nn_is_open_to_mitm);
    tcase_add_test(tc, nk_mitm_is_detected);
    tcase_add_test(tc, xx_mitm_is_detected);
    tcase_add_test(tc, xx_allow_list_alone_protects_only_the_server);
    tc = tcase(s, "hostile peers", 60);
    tcase_add_test(tc, random_bytes);
    tcase_add_test(tc, length_prefix_without_body);
    tcase_add_test(tc, unknown_protocol_names);
    tcase_add_test(tc, low_order_ephemeral_keys);
    tcase_add_test(tc, silent_peer_times_out);
    tcase_add_test(tc, slowloris_is_cut_off);
    tcase_add_test(tc, hostile_servers);
    return run_suite(s);
}
