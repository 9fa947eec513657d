/*
 * conn.h — the secure connection: the whole public API of the original
 * library (server, client, send, recv), made authenticated.
 *
 * A connection is a TCP stream on which the SSockets/1 protocol
 * (docs/protocol.md) runs: the client names a Noise protocol, both sides
 * run the Noise handshake, and from then on every message travels in
 * encrypted, authenticated frames.
 *
 * Design: the protocol itself is a state machine that does no I/O
 * (engine.h); a connection is that engine plus a socket and deadlines
 * (conn.c runs the loop between them). The calls below block until they
 * are done or their deadline passes. A program with its own event loop
 * switches a connection to non-blocking use (ss_accept_nonblocking,
 * ss_conn_set_nonblocking): the same calls then return SS_WANT_READ or
 * SS_WANT_WRITE where they would have waited, and the loop calls again
 * when ss_conn_fd(c) is readable or writable (examples/echo_server.c).
 *
 * Memory: an established, idle connection holds about 1.6 KiB of heap
 * (ss_conn_memory); frame buffers are taken while a frame is in flight and
 * given back at once.
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
#include "engine.h"
#include "keys.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

typedef struct ss_conn ss_conn;
typedef struct ss_listener ss_listener;

/* ss_config (the keys, the pattern table, the timeouts), SS_MAX_FRAGMENT
 * and SS_WANT_READ / SS_WANT_WRITE are defined in engine.h, the protocol
 * engine under this API. */

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
 * listener stays usable). The handshake blocks this call (up to
 * handshake_timeout_ms): a server that must not let one slow client delay
 * the next accepts with ss_accept_deferred (a thread per client) or
 * ss_accept_nonblocking (an event loop) instead. After
 * ss_listener_shutdown: NULL, SS_ERR_CLOSED.
 * Out of descriptors (EMFILE, ENFILE): NULL, SS_ERR_SYSTEM, at once (no
 * spinning); the client stays queued in the kernel, and a later call
 * accepts it once descriptors are free. */
SS_API ss_conn *ss_accept(ss_listener *l);
/* Waits for the next client as ss_accept does (woken the same way by
 * ss_listener_shutdown), but returns before the handshake: a blocking
 * connection whose handshake runs at its first ss_conn_handshake,
 * ss_send or ss_recv, in whichever thread calls it, within
 * handshake_timeout_ms of this call. A thread-per-client server accepts
 * this way, so that a client that connects and says nothing holds only its
 * own thread (examples/echo_server_threads.c). NULL on failure, as
 * ss_accept (a handshake failure is reported by that first call instead). */
SS_API ss_conn *ss_accept_deferred(ss_listener *l);
/* Accepts a waiting client without waiting and without running the
 * handshake: *c is a non-blocking connection whose handshake is driven by
 * ss_conn_handshake (or the first ss_send/ss_recv), within handshake_timeout_ms
 * of this call. 0 (*c set), SS_WANT_READ (nobody is waiting: poll
 * ss_listener_fd for reading), or -1 (as ss_accept). */
SS_API int ss_accept_nonblocking(ss_listener *l, ss_conn **c);
/* The listening socket, for poll/epoll (readable: a client waits). */
SS_API int ss_listener_fd(const ss_listener *l);
/* Wakes every ss_accept blocked on l (they return NULL, SS_ERR_CLOSED), and
 * makes later ones fail the same way; the socket stays open until
 * ss_listener_close. Safe from another thread and from a signal handler. */
SS_API void ss_listener_shutdown(ss_listener *l);
/* Closes the listening socket and frees l; connections already accepted
 * are not affected. NULL is accepted. */
SS_API void ss_listener_close(ss_listener *l);

/* Sends one whole message of any length (split into frames as needed).
 * 0 or -1: SS_ERR_ARGUMENT, SS_ERR_CLOSED (after ss_shutdown), or an error
 * that ends the connection (SS_ERR_TIMEOUT, SS_ERR_PEER_GONE,
 * SS_ERR_NONCE_EXHAUSTED, ...). A peer that reads nothing blocks it for at
 * most send_timeout_ms (default: io_timeout_ms, else 30 s), then
 * SS_ERR_TIMEOUT. Each fragment is encrypted in place in the frame buffer:
 * no plaintext copy stays behind.
 * Non-blocking: SS_WANT_WRITE when the socket took only part of it; call
 * again with the same arguments (the same buffer, still holding the
 * message) when ss_conn_fd(c) is writable: 0 once all of it is out. Until
 * then another message is refused (SS_ERR_ARGUMENT): it would be spliced
 * into this one. */
SS_API int ss_send(ss_conn *c, const void *msg, size_t len);

/* Receives the next message, or its next part if it is longer than cap:
 *   > 0  bytes written to buf;
 *     0  an empty message, or the peer's authenticated close —
 *        ss_peer_closed(c) tells which;
 *    -1  error (ss_last_error(c)); a TCP end without a close frame is the
 *        error SS_ERR_TRUNCATED, never a 0; bytes already waiting behind
 *        the close frame make the call that meets the close fail with
 *        SS_ERR_DATA_AFTER_CLOSE instead of returning 0. If a message
 *        spanning several frames fails part-way (or its deadline passes),
 *        the authenticated bytes already copied into buf in that call are
 *        returned first, with ss_message_done(c) 0, and the error comes
 *        with the next call.
 *   SS_WANT_READ  (non-blocking use only) nothing has arrived yet.
 * io_timeout_ms bounds each call; a timeout ends the connection. To wait
 * with a timeout and keep the connection, use ss_recv_wait (below), or
 * non-blocking mode: an SS_WANT_READ leaves it intact.
 * Two messages are never merged; after each call ss_message_done(c) says
 * whether the bytes returned end the message (1) or more of it follows (0).
 * A message that spans several frames comes back whole when cap allows.
 * With cap 0 nothing is taken: 0 is returned and ss_message_done(c) is 0
 * unless the next message is empty or the peer has closed. */
SS_API ssize_t ss_recv(ss_conn *c, void *buf, size_t cap);
/* ss_recv with a timeout that does not end the connection, as Python's
 * socket.settimeout has it: waits at most timeout_ms for this call (0: not
 * at all; < 0: no limit), whatever io_timeout_ms and the blocking mode
 * say, and when the time is up returns SS_WANT_READ ("nothing yet"); the
 * connection stays usable and nothing is lost: bytes of a frame that
 * arrived in part stay buffered, and a later call returns the message
 * whole. If the time runs out inside a message that spans several frames,
 * the bytes already copied come back as usual (ss_message_done(c) 0), and
 * the rest with later calls. Every other result as ss_recv. A connection
 * whose handshake has not finished (ss_accept_nonblocking,
 * ss_client_nonblocking) runs it first, with its own deadline and mode. */
SS_API ssize_t ss_recv_wait(ss_conn *c, void *buf, size_t cap, int timeout_ms);
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
 * sent within send_timeout_ms (c is freed either way). NULL is accepted. */
SS_API int ss_close(ss_conn *c);

/* ---- Non-blocking use (an event loop drives the connection) ---- */

/* The counterpart of ss_accept_nonblocking for clients: connects to
 * host:port without waiting for TCP or for the handshake. Resolving host
 * (getaddrinfo) happens in this call and may wait for DNS: pass a numeric
 * address (or resolve in another thread) where that matters. Then the TCP
 * connect is started and *c is a non-blocking connection at once; calls to
 * ss_conn_handshake(c) (or the first ss_send/ss_recv) finish the connect
 * (SS_WANT_WRITE until it is up: poll ss_conn_fd(c) for writing) and drive
 * the handshake (SS_WANT_READ / SS_WANT_WRITE), 0 once it is done. An
 * address that refuses or stays silent gives way to the next address of
 * host, as in ss_client, on a new socket: ss_conn_fd(c) may change from one
 * call to the next while connecting, so watch the descriptor it returns
 * after each call. handshake_timeout_ms counts from this call and covers
 * the connect and the handshake (SS_ERR_TIMEOUT). Returns 0 (*c set), or -1
 * (SS_ERR_ARGUMENT, SS_ERR_RESOLVE, SS_ERR_CONNECT when no address takes a
 * connect at all); later failures (SS_ERR_CONNECT, SS_ERR_TIMEOUT, the
 * handshake's) come from ss_conn_handshake, and then ss_close(c). */
SS_API int ss_client_nonblocking(const char *host, uint16_t port, const ss_config *cfg,
                                 ss_conn **c);
/* The socket to watch: readable after SS_WANT_READ, writable after
 * SS_WANT_WRITE. Never read or write it directly (that would break the
 * framing and the nonces). -1 when c is NULL. */
SS_API int ss_conn_fd(const ss_conn *c);
/* on != 0: ss_conn_handshake, ss_send, ss_recv, ss_shutdown and ss_flush return
 * SS_WANT_READ / SS_WANT_WRITE instead of waiting. 0 or -1. */
SS_API int ss_conn_set_nonblocking(ss_conn *c, int on);
/* Drives the handshake: 0 once it is done, SS_WANT_READ / SS_WANT_WRITE,
 * or -1 (the handshake failed; ss_close(c) then). Blocking mode: runs it to
 * its end. The handshake deadline counts from connect or accept. */
SS_API int ss_conn_handshake(ss_conn *c);
/* Milliseconds left before c's handshake deadline (handshake_timeout_ms
 * from connect or accept); 0 once it has passed; -1 when no deadline
 * applies (the handshake is done, the configuration asked for none, or c is
 * NULL). Reads the clock and nothing else: an event loop waits at most this
 * long (epoll_wait's timeout) and, at 0, closes a client that never
 * finished, without calling into a connection that has nothing to do.
 * Connections accepted with one configuration expire in the order they
 * were accepted, so a loop needs only the oldest one's time left. */
SS_API int ss_conn_handshake_time_left(const ss_conn *c);
/* Writes output still pending after SS_WANT_WRITE from ss_shutdown (or
 * from ss_send, though repeating the ss_send call is what finishes a
 * message): 0 when nothing is left, SS_WANT_WRITE, or -1. */
SS_API int ss_flush(ss_conn *c);
/* Bytes of heap c holds now: the connection, the engine, and any frame
 * buffer in flight. */
SS_API size_t ss_conn_memory(const ss_conn *c);

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

#ifdef __cplusplus
}
#endif

#endif
