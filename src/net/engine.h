/*
 * engine.h — the SSockets/1 protocol as a state machine that does no I/O.
 *
 * An engine is one side of one connection: frame 0 (the protocol name), the
 * Noise handshake, transport frames, fragments and the close frame
 * (docs/protocol.md). It never touches a socket and never reads a clock.
 * Bytes received from the peer go in; bytes to put on the wire, decrypted
 * messages and events ("handshake done", "peer closed", an error) come out.
 * Messages to send go in. Whoever owns the socket (conn.c for the blocking
 * API, an event loop, a test, a fuzzer) moves the bytes and keeps the time.
 *
 *                 +--------------------------------------------------+
 *   socket  ----> | ss_engine_input_buffer / ss_engine_input_done    | ---> ss_engine_recv
 *   (bytes in)    |        (or ss_engine_feed)                       |      (messages out)
 *                 |                  ss_engine                        |
 *   socket  <---- | ss_engine_output / ss_engine_output_done         | <--- ss_engine_send,
 *   (bytes out)   |                                                   |      ss_engine_close
 *                 +--------------------------------------------------+
 *
 * The states, drawn in docs/protocol.md (section 13, "The engine"):
 *   client: NAME_OUT -> HANDSHAKE -> OPEN ; any -> FAILED
 *   server: NAME_IN  -> HANDSHAKE -> OPEN ; any -> FAILED
 * and in OPEN two flags: our close sent, the peer's close received.
 *
 * Input: the engine offers room for as many bytes as the socket has, so
 * one read can bring several frames (a small buffer at first, room for four
 * frames of the largest size while a stream flows). It uses the frames one
 * at a time, each authenticated and checked on its own, when a reader
 * taking one frame per read would have: a handshake message once our
 * answer to the previous one has been written, a transport frame when
 * ss_engine_recv asks for the next fragment. It takes no input while a
 * decrypted fragment or a whole frame waits to be used (that is the
 * back-pressure: a peer cannot make it buffer more than one buffer).
 *
 * Output: one buffer waits at a time: frame 0, a handshake message, or the
 * transport frames of one ss_engine_send (two at most, one write). The
 * next handshake message is produced once it has been written, and
 * ss_engine_send refuses with SS_WANT_WRITE until then.
 *
 * Memory: buffers are allocated for frames in flight and freed once they
 * have been delivered or sent, and the receive buffer when a read finds
 * nothing; an established, idle engine holds only its own structure
 * (ss_engine_memory says how much).
 *
 * Errors: any error ends the engine (later calls fail with the same code);
 * each failing call returns -1 and records the error in the engine and in
 * the thread's last error (error.h). No byte of a frame that failed a check
 * is ever handed out.
 *
 * Threads: one engine is used by one thread at a time (conn.c takes a lock
 * around each call).
 *
 * Course: docs/protocol.md ("The engine"); conn.c is the example driver.
 */
#ifndef SS_ENGINE_H
#define SS_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../crypto/export.h"
#include "keys.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

/*
 * Configuration; a NULL ss_config * means "all zero": pattern NN, no keys.
 * The engine uses the keys, trace and plain; the timeouts and socket
 * options are for conn.c, which owns the socket and the clock.
 *
 * Which Noise pattern runs:
 *   client  no static_key, no peer_public_key -> NN
 *           peer_public_key only              -> NK (the server must hold it)
 *           static_key                        -> XX (and if peer_public_key
 *                                                is set, the server's static
 *                                                key must equal it)
 *   server  no static_key   -> accepts NN only
 *           static_key      -> accepts NK and XX
 *           + allowed_keys  -> accepts XX only, from a listed client key
 *           + peer_public_key (XX) -> the client's key must equal it (the
 *                                     server then accepts XX only: NK would
 *                                     let a client skip the check)
 *
 * Hybrid (post-quantum) handshakes, field hybrid: each pattern also has an
 * "hfs" form, NNhfs, NKhfs and XXhfs, which adds an ML-KEM-768 key exchange
 * to the X25519 ones (docs/handshake.md, "Hybrid handshakes"):
 *   client  hybrid 0 -> proposes the classical pattern of the table above
 *           hybrid 1 -> proposes its hfs form
 *   server  hybrid 0 or 1    -> accepts both forms of every pattern it accepts
 *           SS_HYBRID_ONLY   -> accepts the hfs forms only
 */
typedef struct {
    const ss_keypair *static_key;        /* our long-term key pair, or NULL */
    const uint8_t *peer_public_key;      /* 32 bytes: the pinned peer key, or NULL */
    const uint8_t (*allowed_keys)[32];   /* server: allowed client keys, or NULL */
    size_t allowed_count;
    int handshake_timeout_ms;            /* 0: 10 s; < 0: wait forever */
    int io_timeout_ms;                   /* for ss_recv/ss_send; 0 or < 0: wait forever
                                            (ss_send and ss_close: see send_timeout_ms) */
    ss_trace_fn trace;                   /* narrate the handshake (prints secrets) */
    void *trace_arg;
    int plain;                           /* no handshake, no encryption: the same
                                            frames in clear, for the capture demo only */
    const ss_keypair *test_ephemeral;    /* course and tests only: use this ephemeral
                                            key pair (public half included, e.g. from
                                            ss_keypair_load) instead of a fresh random
                                            one. NEVER in real use: a fixed ephemeral
                                            key destroys forward secrecy and makes every
                                            session identical. NULL: random, as it must be */
    /* Fields added with the engine (appended, so older layouts still match). */
    int send_timeout_ms;                 /* ss_send, ss_shutdown, ss_close: how long a
                                            peer that reads nothing may hold them.
                                            0: io_timeout_ms if > 0, else 30 s;
                                            < 0: wait forever */
    int keepalive_s;                     /* > 0: TCP keepalive, first probe after this
                                            many idle seconds (then every keepalive_s,
                                            dead after 4 unanswered); 0: off */
    /* Field added with the hybrid handshakes (appended, likewise). */
    int hybrid;                          /* the table above: 0 classical, 1 hybrid,
                                            SS_HYBRID_ONLY (server) hybrid only */
    /* Fields added for the course's hybrid examples (appended, likewise).
     * Course and tests only, as test_ephemeral and for the same reasons:
     * NEVER in real use. NULL: random, as it must be. Used only by an hfs
     * pattern; ignored by a classical one. */
    const uint8_t *test_kem_dk;          /* 2,400 bytes: the initiator's ML-KEM-768
                                            decapsulation key for e1 (FIPS 203 dk,
                                            its ek included) instead of a fresh one */
    const uint8_t *test_kem_m;           /* 32 bytes: the responder's encapsulation
                                            randomness m for ekem1 (FIPS 203
                                            Encaps_internal) instead of random bytes */
} ss_config;

/* ss_config.hybrid for a server that refuses classical proposals. */
#define SS_HYBRID_ONLY 2

/* Largest message body carried by one transport frame: 65535 minus the
 * 1-byte type and the 16-byte tag. Longer messages span several frames. */
#define SS_MAX_FRAGMENT 65518

/* "Would block" (the OpenSSL SSL_get_error convention): nothing was done;
 * the call can make progress once more bytes have arrived (READ) or the
 * pending output has been written (WRITE). Never an error of its own. */
#define SS_WANT_READ (-2)
#define SS_WANT_WRITE (-3)

typedef struct ss_engine ss_engine;

/* A new engine for a client (server == 0: it proposes the pattern cfg
 * selects) or a server. cfg is copied; the keys it points to must stay
 * valid while the engine lives. NULL on failure (SS_ERR_ARGUMENT for a
 * configuration the table above forbids, SS_ERR_NOMEM). A client's first
 * output (frame 0) is ready at once. */
SS_API ss_engine *ss_engine_new(int server, const ss_config *cfg);

/* Wipes every key and buffer and frees e. NULL is accepted. */
SS_API void ss_engine_free(ss_engine *e);

/* Where the next received bytes go: *want (> 0) bytes at most, at the
 * returned pointer (read as many as the socket has: several frames are
 * fine). NULL with *want == 0 when the engine takes no input now: a
 * decrypted fragment or a whole frame waits for ss_engine_recv, or the
 * engine has failed.
 * After the peer's close frame any byte is an error (SS_ERR_DATA_AFTER_CLOSE
 * from ss_engine_input_done); a caller that only wants to hear of it need
 * not read further. */
SS_API uint8_t *ss_engine_input_buffer(ss_engine *e, size_t *want);

/* n bytes (at most *want) have been written at the input buffer: processes
 * them (a complete frame is authenticated, decrypted and checked). 0, or
 * -1 when they broke the protocol. n == 0 says a read found nothing: an
 * empty buffer is freed, so a caller that says so before it waits holds
 * no buffer while the connection is idle. */
SS_API int ss_engine_input_done(ss_engine *e, size_t n);

/* Convenience for callers holding bytes already (tests, fuzzers): copies as
 * much of in[0..len) as the engine takes now, through the two calls above.
 * Returns how many bytes were taken (fewer than len when the engine waits
 * for ss_engine_recv to take a decrypted fragment), or -1 on error. */
SS_API ssize_t ss_engine_feed(ss_engine *e, const uint8_t *in, size_t len);

/* The peer ended the byte stream (end of file or reset), found by a read
 * into the input buffer (so no whole frame waits). 0 if that is a
 * normal end (after the peer's close frame), else -1 with the error it
 * means at this point: SS_ERR_TRUNCATED, SS_ERR_PEER_GONE or, for a client
 * whose server hung up during the handshake, SS_ERR_PATTERN_REFUSED or
 * SS_ERR_WRONG_SERVER_KEY. */
SS_API int ss_engine_input_end(ss_engine *e);

/* Bytes waiting to go on the wire: a pointer and *len; NULL with *len == 0
 * when there are none. Valid until the next call on e. */
SS_API const uint8_t *ss_engine_output(ss_engine *e, size_t *len);

/* n bytes of the output have been written. Once all of it has, its buffer
 * is freed and the next frame (if any) is produced. */
SS_API void ss_engine_output_done(ss_engine *e, size_t n);

/* The peer could not be written to (broken pipe or reset): records what
 * that means at this point and returns -1. */
SS_API int ss_engine_output_failed(ss_engine *e);

/* 1 once the handshake is over (Split done) and its last message has been
 * produced; transport frames may then be sent and received. Plain mode: 1
 * from the start. */
SS_API int ss_engine_established(const ss_engine *e);

/* Seals the next fragments of a message into one output buffer: the first
 * min(len, 2 * SS_MAX_FRAGMENT) bytes of msg as frames of at most
 * SS_MAX_FRAGMENT bytes, each marked "more follows" but the message's
 * last. *taken is set to the bytes consumed; call again with msg + *taken while bytes
 * remain (an empty message is one call with len 0). 0, SS_WANT_WRITE
 * (output is still waiting: write it first; nothing taken), or -1
 * (SS_ERR_ARGUMENT before the handshake has finished, SS_ERR_CLOSED after
 * ss_engine_close — which does not end the engine — SS_ERR_NONCE_EXHAUSTED).
 * The plaintext is encrypted in place in the output buffer: no copy of it
 * stays behind. */
SS_API int ss_engine_send(ss_engine *e, const void *msg, size_t len, size_t *taken);

/* Queues our close frame (once; later calls do nothing). 0, SS_WANT_WRITE
 * or -1. */
SS_API int ss_engine_close(ss_engine *e);

/* Takes decrypted bytes of the current message, at most cap:
 *   >= 0  bytes copied to buf; *end is 1 when they end the message (an
 *         empty message: 0 bytes, *end 1), 0 when more of it follows;
 *         0 with *end 1 and ss_engine_peer_closed(e): the peer's close;
 *   SS_WANT_READ  no decrypted bytes are waiting: feed more input;
 *   -1    the engine has failed.
 * Two messages are never merged into one call. With cap 0 nothing is taken
 * and 0 is returned (*end as for the bytes that would come next). */
SS_API ssize_t ss_engine_recv(ss_engine *e, void *buf, size_t cap, int *end);

/* 1 once the peer's authenticated close frame has been taken, else 0. */
SS_API int ss_engine_peer_closed(const ss_engine *e);
/* 1 once our close frame has been queued. */
SS_API int ss_engine_sent_close(const ss_engine *e);

/* The first error that ended e (SS_OK while healthy) and its message. */
SS_API int ss_engine_error(const ss_engine *e);
SS_API const char *ss_engine_error_message(const ss_engine *e);

/* After the handshake: the peer's authenticated static key (NULL when the
 * pattern gives none), the protocol name ("plain" in plain mode), the
 * handshake hash (zeros in plain mode). */
SS_API const uint8_t *ss_engine_peer_public_key(const ss_engine *e);
SS_API const char *ss_engine_protocol_name(const ss_engine *e);
SS_API void ss_engine_handshake_hash(uint8_t out[32], const ss_engine *e);

/* Bytes of heap e holds right now (its structure, the handshake state while
 * it lasts, and the frame buffers in flight). */
SS_API size_t ss_engine_memory(const ss_engine *e);

#ifdef __cplusplus
}
#endif

#endif
