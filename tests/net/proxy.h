/*
 * proxy.h — an attacker on the wire, for the adversarial network tests
 * (tests/net/test_adversary.c). Test code only; not part of the library.
 *
 * Two attackers, both running in threads of the test process, on loopback:
 *
 *   px_proxy  a frame-aware TCP proxy. It sits between a real ss_client and
 *             a real ss_listen/ss_accept server, cuts both byte streams into
 *             SSockets/1 frames (a 2-byte big-endian length, then that many
 *             bytes: docs/protocol.md §2), and can do one bad thing to
 *             chosen frames: flip a bit, drop, duplicate, reorder, delay,
 *             truncate the stream, inject a forged frame, or rewrite a
 *             frame. It never holds a key: what it does is what anyone on
 *             the network path can do.
 *
 *   px_mitm   a man in the middle that does hold keys of its own. It runs
 *             its own ss_server toward the real client and its own
 *             ss_client toward the real server, relays every message
 *             between them and keeps a copy of the plaintext it relayed.
 *             Against NN this works (nobody is authenticated); against NK
 *             and XX with a pinned key it must fail.
 *
 * Frames are counted per direction, from 0:
 *
 *   toward the server:  0 the protocol name (frame 0 of the protocol),
 *                       1 handshake message 1, (XX: 2 handshake message 3),
 *                       then the client's transport frames, its close frame
 *   toward the client:  0 handshake message 2, then the server's transport
 *                       frames and its close frame
 *
 * Everything is bounded: every wait is a poll() with the time left before
 * the proxy's end of life, and the proxy thread ends by itself once both
 * streams have ended or that time has passed.
 */
#ifndef SS_TEST_PROXY_H
#define SS_TEST_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ssockets.h"

typedef enum {
    PX_PASS,        /* forward unchanged */
    PX_FLIP,        /* flip bit `bit` of body byte `byte` (byte < 0: counted from the end) */
    PX_DROP,        /* never forward this frame */
    PX_DUPLICATE,   /* forward it twice (in one write, so both copies arrive together) */
    PX_REORDER,     /* hold it back and forward it right after the next frame of the same
                       direction (both in one write); if the stream ends first, it is lost */
    PX_DELAY,       /* forward it delay_ms later (at most PX_MAX_DELAY_MS) */
    PX_TRUNCATE,    /* end the stream in this direction just before this frame (a FIN where
                       the frame should be); everything after it is discarded */
    PX_CUT_INSIDE,  /* forward the length and the first half of the body, then end the stream */
    PX_INJECT,      /* insert a forged frame of random bytes before this one; its length is
                       inject_len, or the length of this frame when inject_len is 0 */
    PX_SHORTEN,     /* forward only the first `keep` bytes of the body (the length adjusted) */
    PX_REPLACE      /* forward `replacement` (replacement_len bytes) as the body instead */
} px_action;

typedef enum { PX_TO_SERVER = 0, PX_TO_CLIENT = 1 } px_direction;

/* PX_DELAY longer than this is cut down to it: the proxy must end by itself. */
#define PX_MAX_DELAY_MS 5000
/* Up to this many manipulations per connection. */
#define PX_MAX_PLANS 4
/* Frame lengths remembered per direction (px_proxy.lengths). */
#define PX_LOG_FRAMES 16

typedef struct {
    px_action action;
    px_direction direction;
    int frame;                   /* index among that direction's frames, from 0 */
    long byte;                   /* PX_FLIP: body byte (negative: -1 is the last byte) */
    int bit;                     /* PX_FLIP: 0..7 */
    int delay_ms;                /* PX_DELAY */
    size_t inject_len;           /* PX_INJECT: 0 means "as long as the frame it precedes" */
    uint64_t seed;               /* PX_INJECT: seed of the forged bytes */
    size_t keep;                 /* PX_SHORTEN: body bytes kept */
    const uint8_t *replacement;  /* PX_REPLACE (copied by px_start) */
    size_t replacement_len;
} px_plan;

typedef struct px_proxy px_proxy;

struct px_proxy {
    uint16_t port;               /* connect the client here (127.0.0.1) */

    /* Results: read them after px_finish. */
    int accepted;                /* a client connected and the server was reached */
    int acted[PX_MAX_PLANS];     /* plan i found its frame and was carried out */
    size_t frames[2];            /* frames seen per direction (PX_TO_SERVER, PX_TO_CLIENT) */
    size_t lengths[2][PX_LOG_FRAMES]; /* L of the first frames seen, per direction */

    /* Private. */
    px_plan plans[PX_MAX_PLANS];
    uint8_t replacements[PX_MAX_PLANS][64];
    int plan_count;
    int listen_fd;
    uint16_t target;
    int64_t end_ms;              /* CLOCK_MONOTONIC ms at which everything stops */
    pthread_t thread;
};

/* Listens on 127.0.0.1 (a port the kernel picks) and starts the proxy
 * thread: it accepts one client, connects to 127.0.0.1:target, forwards
 * frames in both directions carrying out the plans, and ends when both
 * streams have ended or after lifetime_ms. 0, or -1 if no socket or thread
 * could be made (nothing is left open then). */
int px_start(px_proxy *p, uint16_t target, const px_plan *plans, int plan_count, int lifetime_ms);

/* Waits for the proxy thread (bounded by its lifetime) and closes the
 * listening socket. */
void px_finish(px_proxy *p);

/* ---- the man in the middle ---- */

#define PX_MITM_SEEN_MAX 4096

typedef struct {
    uint16_t port;               /* connect the victim client here (127.0.0.1) */

    /* Results: read them after px_mitm_finish. */
    int upstream_error;          /* the MITM's ss_client toward the real server: SS_OK if it
                                    completed its handshake */
    int downstream_error;        /* the MITM's ss_accept toward the victim client */
    int relay_error[2];          /* how each relay direction ended (SS_OK: by a close frame) */
    uint8_t seen[2][PX_MITM_SEEN_MAX]; /* the plaintext relayed, per direction */
    size_t seen_len[2];          /* [PX_TO_SERVER]: what the client sent, [PX_TO_CLIENT]: the server */
    uint8_t downstream_hash[32]; /* ss_handshake_hash of each leg (zero if it failed) */
    uint8_t upstream_hash[32];

    /* Private. */
    ss_listener *listener;
    ss_config toward_server;
    uint16_t target;
    atomic_int waiting_in_accept; /* the thread is inside ss_accept: see px_mitm_finish */
    pthread_t thread;
} px_mitm;

/* Starts the MITM: a listener on 127.0.0.1 configured by toward_client (the
 * MITM's server side, with the MITM's own keys), and a thread that first
 * opens its own connection to the real server at 127.0.0.1:target with
 * toward_server, then accepts the victim, then relays until both sides have
 * closed. The keys the configurations point to must outlive the MITM.
 * 0 or -1. */
int px_mitm_start(px_mitm *m, uint16_t target, const ss_config *toward_client,
                  const ss_config *toward_server);

/* Waits for the MITM thread and closes its listener. If the victim never
 * connected, a short-lived dummy connection releases the waiting accept,
 * so this always returns. */
void px_mitm_finish(px_mitm *m);

#endif
