/*
 * conn.h — the secure connection: the whole public API of the original
 * library (server, client, send, recv), made authenticated.
 *
 * A connection is a TCP stream on which the SSockets/1 protocol
 * (docs/protocol.md) runs: the client names a Noise protocol, both sides
 * run the Noise handshake, and from then on every message travels in
 * encrypted, authenticated frames.
 *
 * Threads: different connections may be used in different threads. On one
 * connection, one thread may be inside ss_recv while another calls ss_send
 * or ss_shutdown (they use separate buffers and cipher states); ss_close
 * must run alone.
 *
 * Course: docs/protocol.md (the wire, byte by byte), docs/handshake.md (the
 * handshake this API runs), docs/cli.md (an application built on it).
 */
#ifndef SS_CONN_H
#define SS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../crypto/export.h"
#include "keys.h"
#include "trace.h"

typedef struct ss_conn ss_conn;
typedef struct ss_listener ss_listener;

/*
 * Configuration; a NULL ss_config * means "all zero": pattern NN, no keys.
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
 */
typedef struct {
    const ss_keypair *static_key;        /* our long-term key pair, or NULL */
    const uint8_t *peer_public_key;      /* 32 bytes: the pinned peer key, or NULL */
    const uint8_t (*allowed_keys)[32];   /* server: allowed client keys, or NULL */
    size_t allowed_count;
    int handshake_timeout_ms;            /* 0: 10 s; < 0: wait forever */
    int io_timeout_ms;                   /* for ss_recv/ss_send; 0 or < 0: wait forever */
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
} ss_config;

/* Largest message body carried by one transport frame: 65535 minus the
 * 1-byte type and the 16-byte tag. Longer messages span several frames. */
#define SS_MAX_FRAGMENT 65518

/* Connects to host:port (IPv4 or IPv6, names resolved with getaddrinfo)
 * and runs the handshake. NULL on failure; ss_last_error(NULL) says why:
 * SS_ERR_ARGUMENT, SS_ERR_RESOLVE, SS_ERR_CONNECT, SS_ERR_TIMEOUT, or a
 * handshake failure (SS_ERR_PATTERN_REFUSED, SS_ERR_WRONG_SERVER_KEY,
 * SS_ERR_TAMPERED, SS_ERR_LOW_ORDER_KEY, ...). The handshake state
 * (ephemeral keys, chaining key) is wiped on every path. */
SS_API ss_conn *ss_client(const char *host, uint16_t port, const ss_config *cfg);

/* Listens on host:port, accepts one client, closes the listener, and runs the
 * handshake. NULL on failure. */
SS_API ss_conn *ss_server(const char *host, uint16_t port, const ss_config *cfg);

/* A listener for servers with many clients. port 0 picks a free port;
 * ss_listener_port tells which. SO_REUSEADDR is set, so a restarted server
 * can bind again at once. cfg is copied (the keys it points to must stay
 * valid while the listener lives). */
SS_API ss_listener *ss_listen(const char *host, uint16_t port, const ss_config *cfg);
/* The port l is bound to (0 when l is NULL). */
SS_API uint16_t ss_listener_port(const ss_listener *l);
/* Accepts the next client and runs the handshake; NULL on failure (the
 * listener stays usable). */
SS_API ss_conn *ss_accept(ss_listener *l);
/* Closes the listening socket and frees l; connections already accepted
 * are not affected. NULL is accepted. */
SS_API void ss_listener_close(ss_listener *l);

/* Sends one whole message of any length (split into frames as needed).
 * 0 or -1: SS_ERR_ARGUMENT, SS_ERR_CLOSED (after ss_shutdown), or an error
 * that ends the connection (SS_ERR_TIMEOUT, SS_ERR_PEER_GONE,
 * SS_ERR_NONCE_EXHAUSTED, ...). The library's copy of each plaintext
 * fragment is wiped once it is encrypted and sent. */
SS_API int ss_send(ss_conn *c, const void *msg, size_t len);

/* Receives the next message, or its next part if it is longer than cap:
 *   > 0  bytes written to buf;
 *     0  an empty message, or the peer's authenticated close —
 *        ss_peer_closed(c) tells which;
 *    -1  error (ss_last_error(c)); a TCP end without a close frame is the
 *        error SS_ERR_TRUNCATED, never a 0; bytes already waiting behind
 *        the close frame make the call that meets the close fail with
 *        SS_ERR_DATA_AFTER_CLOSE instead of returning 0. If a message
 *        spanning several frames fails part-way, the call returns -1 and
 *        the part of it copied into buf in that call must be discarded.
 * Two messages are never merged; after each call ss_message_done(c) says
 * whether the bytes returned end the message (1) or more of it follows (0).
 * A message that spans several frames comes back whole when cap allows.
 * With cap 0 nothing is taken: 0 is returned and ss_message_done(c) is 0
 * unless the next message is empty or the peer has closed. */
SS_API ssize_t ss_recv(ss_conn *c, void *buf, size_t cap);
/* 1 when the bytes the last ss_recv returned end their message (also when
 * c is NULL), 0 when more of that message follows. */
SS_API int ss_message_done(const ss_conn *c);
/* 1 once the peer's authenticated close frame has been received, else 0. */
SS_API int ss_peer_closed(const ss_conn *c);

/* Half-close: sends the authenticated close frame ("I will send nothing
 * more"); ss_send fails afterwards, ss_recv keeps working until the peer's
 * close. Lets a program announce the end of its input and still read the
 * reply (the CLI at stdin EOF). 0 or -1. Calling it twice is harmless. */
SS_API int ss_shutdown(ss_conn *c);

/* Sends the close frame (if the connection is healthy), closes the socket,
 * wipes every key and frees c. 0, or -1 if the close frame could not be
 * sent (c is freed either way). NULL is accepted. */
SS_API int ss_close(ss_conn *c);

/* The peer's authenticated static public key (NK: the server's, XX: both),
 * or NULL when the pattern gives none. Points into c: valid until
 * ss_close(c). */
SS_API const uint8_t *ss_peer_public_key(const ss_conn *c);

/* "Noise_XX_25519_ChaChaPoly_SHA256", or "plain"; NULL when c is NULL.
 * A static string. */
SS_API const char *ss_protocol_name(const ss_conn *c);

/* The handshake hash h after the handshake (channel binding), 32 bytes;
 * all zeros in plain mode or when c is NULL. */
SS_API void ss_handshake_hash(uint8_t out[32], const ss_conn *c);

#endif
