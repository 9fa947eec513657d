/*
 * conn.c — the blocking API of conn.h: the loop between a protocol engine
 * (engine.c: SSockets/1 as a state machine with no I/O) and a TCP socket
 * with deadlines (sock.c).
 *
 * Course position: the top of the library.
 *
 *     conn.c   a socket, deadlines, threads; moves bytes both ways
 *       |-- engine.c  which pattern, which frame, which key, what went wrong
 *       |     `-- noise.c, crypto/
 *       `-- sock.c    TCP with deadlines
 *
 * Every call is the same loop: ask the engine what it has to send and write
 * it; ask it how many bytes it wants next, read them from the socket and
 * hand them over; until the engine reports what the call waits for (the
 * handshake done, a message, the peer's close) or an error. The protocol
 * itself, byte by byte, is in engine.c and docs/protocol.md; here are only
 * the socket, the clock and the threads.
 *
 * Deadlines: the handshake has one deadline for the whole exchange,
 * counted from connect() or accept(); ss_recv has io_timeout_ms per call;
 * ss_send, ss_shutdown and ss_close have send_timeout_ms per call (30 s by
 * default, so a peer that stops reading cannot block a sender forever).
 *
 * Non-blocking use (conn.h): the same loop, except that where it would
 * wait it returns SS_WANT_READ or SS_WANT_WRITE, and the caller's event
 * loop calls again when ss_conn_fd(c) is ready.
 *
 * Threads: one thread may be in ss_recv while another is in ss_send or
 * ss_shutdown. The engine is touched only under engine_lock, for the short
 * moment of each engine call; the socket I/O runs outside it. The receiving
 * side writes into the engine's input buffer and the sending side reads its
 * output buffer; each buffer belongs to one side only.
 *
 * Errors: every failure returns -1 or NULL and records an ss_error code
 * (error.h). Any error on an established connection ends it: later calls
 * fail with the same recorded error, and no byte of a frame that failed a
 * check is ever handed out.
 */
/* pipe2() (Linux, glibc): a pipe created close-on-exec in one step. */
#define _GNU_SOURCE

#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../crypto/util.h"
#include "engine_internal.h"
#include "error.h"
#include "fail.h"
#include "keylog.h"
#include "sock.h"

/* handshake_timeout_ms == 0 means this. */
#define DEFAULT_HANDSHAKE_MS 10000
/* send_timeout_ms == 0 (and no io_timeout_ms) means this: long enough for
 * any reader that is merely slow, short enough that a peer which stopped
 * reading does not hold a sender (or ss_close) for ever. */
#define DEFAULT_SEND_MS 30000

struct ss_conn {
    int fd;
    ss_engine *engine;
    int io_timeout_ms;          /* per ss_recv call; -1: none */
    int send_timeout_ms;        /* per ss_send/ss_shutdown/ss_close call; -1: none */
    int handshake_timeout_ms;   /* for the message of a handshake timeout */
    int64_t handshake_deadline; /* the handshake, from connect or accept */
    int established;            /* the handshake has finished (or plain) */
    int nonblocking;            /* return SS_WANT_* instead of waiting */
    int message_done;           /* the last bytes handed out ended a message */
    int peer_closed;            /* the peer's close frame has been handed out */
    /* Non-blocking ss_send: how much of the message being sent is sealed
     * (the caller repeats the call with the same arguments, as OpenSSL's
     * SSL_write wants). */
    const void *tx_msg;
    size_t tx_len, tx_taken;
    int tx_busy;
    /* ss_client_nonblocking, while the TCP connect is under way (addrs is
     * NULL once it is done): the addresses of host, the one tried on fd,
     * and when that one gives way to the next (as in sock.c's blocking
     * connect: half of the time left while more addresses follow). */
    struct addrinfo *addrs;
    const struct addrinfo *addr;
    int64_t addr_deadline;
    char *host;
    uint16_t port;

    pthread_mutex_t engine_lock; /* around every engine call */
    /* The first error that ended the connection. ss_send and ss_recv may
     * both record one from two threads, so the slot has a lock. */
    pthread_mutex_t lock;
    ss_error_slot err;
};

struct ss_listener {
    int fd;
    int wake[2];                /* ss_listener_shutdown writes to wake[1] */
    atomic_int shut;            /* ... after setting this (checked before each accept) */
    uint16_t port;
    ss_config cfg;              /* a copy; the keys it points to are the caller's */
};

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* The accessors take const connections but must lock: locking changes no
 * observable state, and the connection itself was malloc'd non-const. */
static pthread_mutex_t *lock_of(const ss_conn *c)
{
    return (pthread_mutex_t *)&c->lock;
}

static int conn_error_code(const ss_conn *c)
{
    pthread_mutex_lock(lock_of(c));
    int code = c->err.code;
    pthread_mutex_unlock(lock_of(c));
    return code;
}

/* Records an error that ends c (c keeps its first one) and sets the
 * thread's last error. Returns -1. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int conn_fail(ss_conn *c, int code, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->lock);
    ss_fail(&c->err, code, "%s", detail);
    pthread_mutex_unlock(&c->lock);
    return -1;
}

/* The layer below (sock.c) records its errors in the thread's
 * last error only; this makes such an error c's error too. Returns -1. */
static int conn_adopt_error(ss_conn *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->err.code == SS_OK)
        c->err = *ss_thread_error();
    pthread_mutex_unlock(&c->lock);
    return -1;
}

/* A call on a connection that has already failed: report the same error
 * again, so ss_last_error(NULL) agrees with ss_last_error(c). */
static int conn_repeat_error(const ss_conn *c)
{
    pthread_mutex_lock(lock_of(c));
    ss_error_slot e = c->err;
    pthread_mutex_unlock(lock_of(c));
    /* The message is "sentence: detail"; ss_fail adds the sentence back. */
    const char *sentence = ss_strerror(e.code);
    size_t n = strlen(sentence);
    if (strncmp(e.message, sentence, n) == 0 && e.message[n] == ':')
        return ss_fail(NULL, e.code, "%s", e.message + n + 2);
    return ss_fail(NULL, e.code, NULL);
}

/* The engine has failed: its error becomes c's, and the thread's. -1. */
static int conn_engine_failed(ss_conn *c)
{
    pthread_mutex_lock(&c->engine_lock);
    ss_error_slot e;
    e.code = ss_engine_error(c->engine);
    snprintf(e.message, sizeof e.message, "%s", ss_engine_error_message(c->engine));
    pthread_mutex_unlock(&c->engine_lock);
    if (e.code == SS_OK)
        return conn_adopt_error(c); /* a caller mistake the engine did not record */
    pthread_mutex_lock(&c->lock);
    if (c->err.code == SS_OK)
        c->err = e;
    pthread_mutex_unlock(&c->lock);
    return conn_repeat_error(c);
}

/* ------------------------------------------------------------------ */
/* Creating and destroying connections                                 */
/* ------------------------------------------------------------------ */

static int send_timeout(const ss_config *cfg)
{
    if (cfg->send_timeout_ms != 0)
        return cfg->send_timeout_ms; /* < 0: wait forever */
    return cfg->io_timeout_ms > 0 ? cfg->io_timeout_ms : DEFAULT_SEND_MS;
}

static int handshake_timeout(const ss_config *cfg)
{
    /* 0: the default; negative: ss_deadline_after gives "no deadline". */
    return cfg->handshake_timeout_ms == 0 ? DEFAULT_HANDSHAKE_MS : cfg->handshake_timeout_ms;
}

/* Takes ownership of fd: on failure it is closed. The engine is a client's
 * (server 0) or a server's; the handshake deadline starts now. */
static ss_conn *conn_new(int fd, int server, const ss_config *cfg)
{
    int64_t deadline = ss_deadline_after(handshake_timeout(cfg));
    ss_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        ss_sock_close(fd);
        ss_fail(NULL, SS_ERR_NOMEM, "allocating a connection");
        return NULL;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        ss_sock_close(fd);
        ss_fail(NULL, SS_ERR_SYSTEM, "pthread_mutex_init");
        return NULL;
    }
    if (pthread_mutex_init(&c->engine_lock, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        ss_sock_close(fd);
        ss_fail(NULL, SS_ERR_SYSTEM, "pthread_mutex_init");
        return NULL;
    }
    c->fd = fd;
    c->io_timeout_ms = cfg->io_timeout_ms > 0 ? cfg->io_timeout_ms : -1;
    c->send_timeout_ms = send_timeout(cfg);
    c->handshake_timeout_ms = handshake_timeout(cfg);
    c->handshake_deadline = deadline;
    c->message_done = 1;
    c->err.code = SS_OK;
    snprintf(c->err.message, sizeof c->err.message, "%s", ss_strerror(SS_OK));
    if (cfg->keepalive_s > 0)
        ss_sock_keepalive(fd, cfg->keepalive_s);
    c->engine = ss_engine_new(server, cfg);
    if (c->engine == NULL) {
        pthread_mutex_destroy(&c->engine_lock);
        pthread_mutex_destroy(&c->lock);
        free(c);
        ss_sock_close(fd);
        return NULL;
    }
    c->established = ss_engine_established(c->engine);
    return c;
}

/* Closes the socket (gracefully when the stream is in a clean state, see
 * ss_sock_finish), wipes every key, counter and buffer, and frees c. */
static void conn_free(ss_conn *c, int graceful)
{
    if (c->addrs != NULL)
        freeaddrinfo(c->addrs);
    free(c->host);
    if (graceful)
        ss_sock_finish(c->fd);
    else
        ss_sock_close(c->fd);
    ss_engine_free(c->engine);
    pthread_mutex_destroy(&c->engine_lock);
    pthread_mutex_destroy(&c->lock);
    ss_wipe(c, sizeof *c);
    free(c);
}

/* ------------------------------------------------------------------ */
/* The loop: engine <-> socket                                         */
/* ------------------------------------------------------------------ */

/* Writes what the engine has to send. deadline SS_NOW: only what the
 * socket takes at once (SS_WANT_WRITE if something is left). 0 or -1. */
static int flush(ss_conn *c, int64_t deadline)
{
    for (;;) {
        size_t len;
        pthread_mutex_lock(&c->engine_lock);
        const uint8_t *p = ss_engine_output(c->engine, &len);
        int failed = ss_engine_error(c->engine) != SS_OK;
        pthread_mutex_unlock(&c->engine_lock);
        if (failed)
            return conn_engine_failed(c);
        if (p == NULL)
            return 0;
        size_t done = len;
        int rc;
        if (deadline == SS_NOW) {
            rc = ss_sock_write_some(c->fd, p, len, &done);
            if (rc == SS_SOCK_AGAIN)
                return SS_WANT_WRITE;
        } else {
            struct iovec iov = {.iov_base = (void *)p, .iov_len = len}; /* only read */
            rc = ss_sock_write_full(c->fd, &iov, 1, deadline);
        }
        pthread_mutex_lock(&c->engine_lock);
        if (rc == 0)
            ss_engine_output_done(c->engine, done);
        else if (rc == SS_SOCK_EOF)
            ss_engine_output_failed(c->engine);
        pthread_mutex_unlock(&c->engine_lock);
        if (rc == SS_SOCK_EOF)
            return conn_engine_failed(c);
        if (rc < 0)
            return conn_adopt_error(c); /* timeout or system error, from sock.c */
    }
}

/* One read into the engine's input buffer, as much as it has room for
 * (several frames, when they are there), handed over. wait_first: the
 * peer cannot have answered yet (we have just written a handshake
 * message), so if the engine wants bytes it does not hold already, sleep
 * in poll() first rather than try a recv() that would only say EAGAIN.
 * 0, -1, or with deadline SS_NOW SS_WANT_READ. soft: a deadline that
 * passes is SS_WANT_READ too, not an error (ss_recv_wait): nothing is lost
 * by it, since the bytes of a frame that came in part stay in the engine's
 * buffer and the next read appends to them. */
static int fill(ss_conn *c, int64_t deadline, int wait_first, int soft)
{
    if (deadline == SS_NOW)
        wait_first = 0; /* non-blocking: always try (an edge-triggered loop needs EAGAIN) */
    for (;;) {
        size_t want, got = 0;
        pthread_mutex_lock(&c->engine_lock);
        uint8_t *p = ss_engine_input_buffer(c->engine, &want);
        int failed = ss_engine_error(c->engine) != SS_OK;
        if (p != NULL && wait_first)
            /* Nothing to read yet: the engine lets an empty buffer go, so
             * none is held while we wait. */
            ss_engine_input_done(c->engine, 0);
        pthread_mutex_unlock(&c->engine_lock);
        if (failed)
            return conn_engine_failed(c);
        if (p == NULL)
            return 0; /* nothing wanted: a fragment waits, or the peer closed */
        if (wait_first) {
            if (ss_sock_wait_readable(c->fd, deadline) < 0) {
                if (soft && ss_last_error(NULL) == SS_ERR_TIMEOUT)
                    return SS_WANT_READ;
                return conn_adopt_error(c);
            }
            wait_first = 0;
            continue;
        }
        int rc = ss_sock_read_some(c->fd, p, want, &got, SS_NOW);
        if (rc == SS_SOCK_AGAIN && deadline == SS_NOW) {
            pthread_mutex_lock(&c->engine_lock);
            ss_engine_input_done(c->engine, 0); /* the empty buffer goes */
            pthread_mutex_unlock(&c->engine_lock);
            return SS_WANT_READ;
        }
        if (rc == SS_SOCK_AGAIN) {
            wait_first = 1; /* the socket said so */
            continue;
        }
        if (rc == -1)
            return conn_adopt_error(c);
        pthread_mutex_lock(&c->engine_lock);
        int r = rc == SS_SOCK_EOF ? ss_engine_input_end(c->engine)
                                  : ss_engine_input_done(c->engine, got);
        pthread_mutex_unlock(&c->engine_lock);
        return r < 0 ? conn_engine_failed(c) : 0;
    }
}

/* How long a server that has refused a client waits for it to hang up. */
#define LAST_WORDS_DRAIN_MS 1000

/* A failed engine may hold its last words: a server's refusal (engine.c,
 * docs/protocol.md), so that the client learns why. They are written as
 * far as the socket takes them before the deadline, whatever happens (the
 * peer may be gone already); the error stays the engine's. Then, when it
 * may block, it ends our direction (FIN) and reads and drops what the
 * client still sends until the client hangs up (at most
 * LAST_WORDS_DRAIN_MS): closing a socket with unread bytes sends a RST
 * (RFC 2525 §2.17), and a client whose send meets that RST could fail on
 * its send before it reads why it was refused. */
static void send_last_words(ss_conn *c, int64_t deadline)
{
    size_t len;
    pthread_mutex_lock(&c->engine_lock);
    const uint8_t *p = ss_engine_output(c->engine, &len);
    pthread_mutex_unlock(&c->engine_lock);
    if (p == NULL)
        return;
    size_t done = len;
    if (deadline == SS_NOW) {
        ss_sock_write_some(c->fd, p, len, &done);
    } else {
        struct iovec iov = {.iov_base = (void *)p, .iov_len = len}; /* only read */
        ss_sock_write_full(c->fd, &iov, 1, deadline);
    }
    pthread_mutex_lock(&c->engine_lock);
    ss_engine_output_done(c->engine, len); /* the buffer goes, sent or not */
    pthread_mutex_unlock(&c->engine_lock);
    if (deadline != SS_NOW && shutdown(c->fd, SHUT_WR) == 0) {
        int64_t until = ss_deadline_after(LAST_WORDS_DRAIN_MS);
        uint8_t scratch[4096]; /* ciphertext or clear refusals: nothing secret */
        size_t got;
        while (ss_sock_read_some(c->fd, scratch, sizeof scratch, &got, until) == 0)
            ;
    }
    conn_engine_failed(c); /* the thread's last error: the engine's again */
}

/* A timeout inside the handshake is reported as such, with its limit. */
static void explain_handshake_timeout(const ss_conn *c)
{
    if (ss_last_error(NULL) == SS_ERR_TIMEOUT)
        ss_fail(NULL, SS_ERR_TIMEOUT, "the handshake did not finish within %d ms",
                c->handshake_timeout_ms);
}

/* Runs once per connection, when its handshake has ended: the one place
 * where the session's keys are handed on, to the key log that
 * SSOCKETS_KEYLOGFILE asks for (keylog.c; docs/protocol.md, "The key
 * log"). Without it no key is copied out; with it, our copies are wiped
 * once written. */
static void handshake_finished(ss_conn *c)
{
    c->established = 1;
    if (!ss_keylog_wanted())
        return;
    uint8_t initiator_e[32], k1[32], k2[32];
    pthread_mutex_lock(&c->engine_lock);
    int have_keys = ss_engine_session_keys(c->engine, initiator_e, k1, k2) == 0;
    pthread_mutex_unlock(&c->engine_lock);
    if (have_keys)
        ss_keylog_session(initiator_e, k1, k2);
    ss_wipe(k1, sizeof k1);
    ss_wipe(k2, sizeof k2);
}

/* ------------------------------------------------------------------ */
/* Connecting without waiting (ss_client_nonblocking)                  */
/* ------------------------------------------------------------------ */

/* fd is connecting to ai: it becomes c's socket, with its share of the time
 * left (as in sock.c: half of it while more addresses follow, 10 s each
 * without a deadline, all of it for the last one). */
static void connect_attempt(ss_conn *c, int fd, const struct addrinfo *ai)
{
    c->fd = fd;
    c->addr = ai;
    int64_t now = ss_deadline_after(0), deadline = c->handshake_deadline;
    c->addr_deadline = deadline;
    if (ai->ai_next != NULL)
        c->addr_deadline = deadline == SS_NO_DEADLINE ? now + SS_CONNECT_TRY_MS
                                                      : now + (deadline - now) / 2;
}

/* The attempt on c->addr has failed (err: its errno; 0: its time ran out):
 * the next address that takes a connect() gets its turn. 0, or -1 when none
 * is left (SS_ERR_CONNECT with the last reason, or SS_ERR_TIMEOUT). */
static int connect_next(ss_conn *c, int err)
{
    char where[NI_MAXHOST];
    ss_sock_address_name(where, sizeof where, c->addr);
    ss_sock_close(c->fd);
    c->fd = -1;
    for (const struct addrinfo *ai = c->addr->ai_next; ai != NULL; ai = ai->ai_next) {
        int fd;
        int r = ss_sock_connect_start(&fd, ai);
        if (r == 0) {
            connect_attempt(c, fd, ai);
            return 0;
        }
        err = r;
        ss_sock_address_name(where, sizeof where, ai);
    }
    if (err == 0)
        return conn_fail(c, SS_ERR_TIMEOUT, "%s (%s) port %u: no answer while connecting",
                         c->host, where, (unsigned)c->port);
    return conn_fail(c, SS_ERR_CONNECT, "%s (%s) port %u: %s", c->host, where, (unsigned)c->port,
                     strerror(err));
}

/* The TCP connect of ss_client_nonblocking, before the handshake: 0 once
 * it is up (the addresses are let go), SS_WANT_WRITE while it is under way
 * (non-blocking mode: the socket turns writable when it ends), or -1. */
static int connect_progress(ss_conn *c)
{
    for (;;) {
        int r = ss_sock_connect_finish(c->fd, c->nonblocking ? SS_NOW : c->addr_deadline);
        if (r == 0) {
            freeaddrinfo(c->addrs);
            c->addrs = NULL;
            c->addr = NULL;
            return 0;
        }
        if (r == SS_SOCK_AGAIN) {
            if (c->addr_deadline == SS_NO_DEADLINE || ss_deadline_after(0) < c->addr_deadline)
                return SS_WANT_WRITE;
            r = 0; /* this address's share of the time is up */
        } else if (r == -1) {
            if (ss_last_error(NULL) != SS_ERR_TIMEOUT)
                return conn_adopt_error(c);
            r = 0;
        }
        if (connect_next(c, r) < 0)
            return -1;
    }
}

/* Runs the handshake to its end (blocking) or as far as the socket allows
 * (non-blocking: SS_WANT_READ / SS_WANT_WRITE). 0 or -1. */
static int drive_handshake(ss_conn *c)
{
    int64_t deadline = c->handshake_deadline;
    if (c->nonblocking) {
        if (deadline != SS_NO_DEADLINE && ss_deadline_after(0) > deadline) {
            ss_fail(NULL, SS_ERR_TIMEOUT, NULL);
            explain_handshake_timeout(c);
            return conn_adopt_error(c);
        }
        deadline = SS_NOW;
    }
    if (c->addrs != NULL) {
        int rc = connect_progress(c);
        if (rc != 0)
            return rc;
    }
    for (;;) {
        size_t len;
        pthread_mutex_lock(&c->engine_lock);
        int writing = ss_engine_output(c->engine, &len) != NULL;
        pthread_mutex_unlock(&c->engine_lock);
        int rc = flush(c, deadline);
        if (rc != 0)
            return rc;
        pthread_mutex_lock(&c->engine_lock);
        int done = ss_engine_established(c->engine);
        pthread_mutex_unlock(&c->engine_lock);
        if (done) {
            handshake_finished(c);
            return 0;
        }
        /* After our message the answer takes the peer at least one X25519:
         * no use trying to read before waiting. */
        rc = fill(c, deadline, writing, 0);
        if (rc < 0)
            send_last_words(c, deadline);
        if (rc != 0)
            return rc;
    }
}

/* The handshake of a new connection, blocking; on failure c is freed. */
static ss_conn *handshake_or_free(ss_conn *c)
{
    if (c == NULL)
        return NULL;
    if (!c->established && drive_handshake(c) < 0) {
        pthread_mutex_lock(&c->lock);
        ss_error_slot e = c->err;
        pthread_mutex_unlock(&c->lock);
        /* The thread's error says why; c itself goes. */
        if (e.code == SS_ERR_TIMEOUT)
            explain_handshake_timeout(c);
        conn_free(c, 0);
        return NULL;
    }
    return c;
}

/* Before any transport call: a connection accepted without its handshake
 * (ss_accept_nonblocking) finishes it first. 0, -1 or SS_WANT_*. */
static int ensure_handshake(ss_conn *c)
{
    if (c->established)
        return 0;
    int rc = drive_handshake(c);
    if (rc == -1 && ss_last_error(NULL) == SS_ERR_TIMEOUT)
        explain_handshake_timeout(c);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Setting up connections: client, listener, server                    */
/* ------------------------------------------------------------------ */

ss_conn *ss_client(const char *host, uint16_t port, const ss_config *cfg)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    if (host == NULL) {
        ss_fail(NULL, SS_ERR_ARGUMENT, "no host to connect to");
        return NULL;
    }
    if (ss_engine_check_config(0, cfg) < 0)
        return NULL;
    /* One deadline for connecting and the whole handshake. */
    int64_t deadline = ss_deadline_after(handshake_timeout(cfg));
    int fd;
    if (ss_sock_connect(&fd, host, port, deadline) < 0)
        return NULL;
    ss_conn *c = conn_new(fd, 0, cfg);
    if (c != NULL)
        c->handshake_deadline = deadline;
    return handshake_or_free(c);
}

int ss_client_nonblocking(const char *host, uint16_t port, const ss_config *cfg, ss_conn **out)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    if (out != NULL)
        *out = NULL;
    if (host == NULL || out == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_client_nonblocking: no host or no result");
    if (ss_engine_check_config(0, cfg) < 0)
        return -1;
    struct addrinfo *list;
    if (ss_sock_resolve(&list, host, port) < 0) /* getaddrinfo: may wait (conn.h) */
        return -1;
    /* The first address that takes a connect() (one that refuses at once,
     * say ::1 on a host without IPv6, gives way to the next). */
    int fd = -1, err = 0;
    char where[NI_MAXHOST] = "?";
    const struct addrinfo *ai;
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        err = ss_sock_connect_start(&fd, ai);
        if (err == 0)
            break;
        ss_sock_address_name(where, sizeof where, ai);
    }
    if (ai == NULL) {
        freeaddrinfo(list);
        return ss_fail(NULL, SS_ERR_CONNECT, "%s (%s) port %u: %s", host, where, (unsigned)port,
                       strerror(err));
    }
    ss_conn *c = conn_new(fd, 0, cfg); /* the handshake deadline starts now */
    char *name = strdup(host);
    if (c == NULL || name == NULL) {
        free(name);
        freeaddrinfo(list);
        if (c != NULL)
            conn_free(c, 0);
        return c == NULL ? -1 : ss_fail(NULL, SS_ERR_NOMEM, "allocating a connection");
    }
    c->host = name;
    c->port = port;
    c->addrs = list;
    c->nonblocking = 1;
    connect_attempt(c, fd, ai);
    *out = c;
    return 0;
}

ss_listener *ss_listen(const char *host, uint16_t port, const ss_config *cfg)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    if (ss_engine_check_config(1, cfg) < 0)
        return NULL;
    ss_listener *l = calloc(1, sizeof *l);
    if (l == NULL) {
        ss_fail(NULL, SS_ERR_NOMEM, "allocating a listener");
        return NULL;
    }
    /* The wake-up pipe of ss_listener_shutdown: a blocked ss_accept polls
     * it beside the listening socket. */
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        ss_fail(NULL, SS_ERR_SYSTEM, "pipe: %s", strerror(errno));
        free(l);
        return NULL;
    }
    if (ss_sock_listen(&l->fd, &l->port, host, port) < 0) {
        close(l->wake[0]);
        close(l->wake[1]);
        free(l);
        return NULL;
    }
    l->cfg = *cfg;
    atomic_init(&l->shut, 0);
    return l;
}

uint16_t ss_listener_port(const ss_listener *l)
{
    return l != NULL ? l->port : 0;
}

int ss_listener_fd(const ss_listener *l)
{
    return l != NULL ? l->fd : -1;
}

void ss_listener_shutdown(ss_listener *l)
{
    if (l == NULL)
        return;
    /* One byte is enough; it is never read, so every later ss_accept sees
     * it too. write() is async-signal-safe: a signal handler may call this. */
    const char byte = 1;
    ssize_t n;
    atomic_store(&l->shut, 1); /* lock-free, so async-signal-safe too */
    do
        n = write(l->wake[1], &byte, 1);
    while (n < 0 && errno == EINTR);
}

void ss_listener_close(ss_listener *l)
{
    if (l == NULL)
        return;
    ss_sock_close(l->fd);
    ss_sock_close(l->wake[0]);
    ss_sock_close(l->wake[1]);
    free(l);
}

ss_conn *ss_accept(ss_listener *l)
{
    return handshake_or_free(ss_accept_deferred(l));
}

ss_conn *ss_accept_deferred(ss_listener *l)
{
    int fd;
    if (l == NULL) {
        ss_fail(NULL, SS_ERR_ARGUMENT, "no listener");
        return NULL;
    }
    /* Waiting for a client has no deadline: that is a server's job (or
     * ss_listener_shutdown's). A failure after this point concerns this
     * client only; the listening socket is untouched and the next
     * ss_accept works. The handshake deadline starts at accept: a client
     * that connects and stays silent, or sends one byte per second, is cut
     * off when it expires. */
    if (atomic_load(&l->shut)) {
        ss_fail(NULL, SS_ERR_CLOSED, "the listener was shut down");
        return NULL;
    }
    if (ss_sock_accept(&fd, l->fd, l->wake[0], SS_NO_DEADLINE) < 0)
        return NULL;
    return conn_new(fd, 1, &l->cfg);
}

int ss_accept_nonblocking(ss_listener *l, ss_conn **out)
{
    int fd;
    if (out != NULL)
        *out = NULL;
    if (l == NULL || out == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_accept_nonblocking: no listener or no result");
    if (atomic_load(&l->shut))
        return ss_fail(NULL, SS_ERR_CLOSED, "the listener was shut down");
    int rc = ss_sock_accept(&fd, l->fd, l->wake[0], SS_NOW);
    if (rc == SS_SOCK_AGAIN)
        return SS_WANT_READ;
    if (rc < 0)
        return -1;
    ss_conn *c = conn_new(fd, 1, &l->cfg);
    if (c == NULL)
        return -1;
    c->nonblocking = 1;
    *out = c;
    return 0;
}

ss_conn *ss_server(const char *host, uint16_t port, const ss_config *cfg)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    ss_listener *l = ss_listen(host, port, cfg);
    if (l == NULL)
        return NULL;
    int fd;
    int rc = ss_sock_accept(&fd, l->fd, -1, SS_NO_DEADLINE);
    ss_listener_close(l); /* one client only: free the port at once */
    return rc < 0 ? NULL : handshake_or_free(conn_new(fd, 1, cfg));
}

/* ------------------------------------------------------------------ */
/* Non-blocking use                                                    */
/* ------------------------------------------------------------------ */

int ss_conn_fd(const ss_conn *c)
{
    return c != NULL ? c->fd : -1;
}

int ss_conn_set_nonblocking(ss_conn *c, int on)
{
    if (c == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_conn_set_nonblocking: no connection");
    c->nonblocking = on != 0;
    return 0;
}

int ss_conn_handshake(ss_conn *c)
{
    if (c == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_conn_handshake: no connection");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    return ensure_handshake(c);
}

int ss_conn_handshake_time_left(const ss_conn *c)
{
    if (c == NULL || c->established || c->handshake_deadline == SS_NO_DEADLINE)
        return -1;
    int64_t left = c->handshake_deadline - ss_deadline_after(0);
    /* handshake_timeout_ms is an int, so the time left fits in one. */
    return left > 0 ? (int)left : 0;
}

int ss_flush(ss_conn *c)
{
    if (c == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_flush: no connection");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    int rc = ensure_handshake(c);
    if (rc != 0)
        return rc;
    return flush(c, c->nonblocking ? SS_NOW : ss_deadline_after(c->send_timeout_ms));
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

int ss_send(ss_conn *c, const void *msg, size_t len)
{
    if (c == NULL || (msg == NULL && len > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_send: no connection or no message");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    int rc = ensure_handshake(c);
    if (rc != 0)
        return rc;
    /* send_timeout_ms bounds the whole call, however many frames it takes. */
    int64_t deadline = c->nonblocking ? SS_NOW : ss_deadline_after(c->send_timeout_ms);
    /* A non-blocking call repeated after SS_WANT_WRITE goes on where the
     * last one stopped (same arguments, as with OpenSSL's SSL_write). A
     * different message while one is half sealed would be spliced into it
     * on the wire, so it is refused. */
    int repeat = c->tx_busy && c->tx_msg == msg && c->tx_len == len;
    if (c->tx_busy && !repeat && c->tx_taken < c->tx_len)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_send: the last message is half sent; call "
                                              "ss_send again with the same arguments");
    size_t taken = repeat ? c->tx_taken : 0;
    c->tx_busy = repeat; /* set again below once a fragment of it is sealed */
    c->tx_msg = msg;
    c->tx_len = len;
    for (;;) {
        rc = flush(c, deadline); /* the output must be empty for the next fragment */
        if (rc != 0)
            break;
        if (repeat && taken == len) {
            c->tx_busy = 0; /* a repeated call whose message is all out */
            return 0;
        }
        size_t t;
        pthread_mutex_lock(&c->engine_lock);
        const uint8_t *rest = msg != NULL ? (const uint8_t *)msg + taken : NULL;
        rc = ss_engine_send(c->engine, rest, len - taken, &t);
        int failed = ss_engine_error(c->engine) != SS_OK;
        pthread_mutex_unlock(&c->engine_lock);
        if (rc == -1)
            return failed ? conn_engine_failed(c) : -1; /* -1 alone: SS_ERR_CLOSED */
        taken += t;
        c->tx_busy = 1;
        if (taken == len) {
            /* The last fragment is sealed; it leaves with this flush. */
            rc = flush(c, deadline);
            if (rc == 0)
                c->tx_busy = 0;
            break;
        }
    }
    c->tx_taken = taken;
    if (rc == -1)
        c->tx_busy = 0;
    return rc;
}

/* Our close frame, then written out. */
static int send_close(ss_conn *c)
{
    pthread_mutex_lock(&c->engine_lock);
    int rc = ss_engine_close(c->engine);
    pthread_mutex_unlock(&c->engine_lock);
    if (rc == -1)
        return conn_engine_failed(c);
    int64_t deadline = c->nonblocking ? SS_NOW : ss_deadline_after(c->send_timeout_ms);
    if (rc == SS_WANT_WRITE) {
        /* Earlier output first (a non-blocking send left some). */
        rc = flush(c, deadline);
        if (rc != 0)
            return rc;
        return send_close(c);
    }
    return flush(c, deadline);
}

int ss_shutdown(ss_conn *c)
{
    if (c == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_shutdown: no connection");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    int rc = ensure_handshake(c);
    if (rc != 0)
        return rc;
    return send_close(c);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */
/* ------------------------------------------------------------------ */

/* After the peer's close, nothing more may arrive. Whatever the peer sends
 * next (end of stream aside) is a protocol violation; a check that does
 * not wait, so a peer that keeps its side open does not block us. */
static ssize_t after_close(ss_conn *c)
{
    c->message_done = 1;
    c->peer_closed = 1;
    if (ss_sock_has_data(c->fd))
        return conn_fail(c, SS_ERR_DATA_AFTER_CLOSE, "bytes followed the peer's close frame");
    return 0;
}

/* ss_recv and ss_recv_wait: waits at most timeout_ms once the handshake
 * is done (0: not at all, < 0: no limit); soft: a deadline that passes is
 * SS_WANT_READ (the connection goes on), else SS_ERR_TIMEOUT (it ends). */
static ssize_t recv_within(ss_conn *c, void *buf, size_t cap, int timeout_ms, int soft)
{
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    int rc = ensure_handshake(c);
    if (rc != 0)
        return rc;
    if (c->peer_closed)
        return after_close(c);
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX; /* the count must fit the return type */

    int64_t deadline = timeout_ms == 0 ? SS_NOW : ss_deadline_after(timeout_ms);
    uint8_t *out = buf;
    size_t got = 0;
    for (;;) {
        int end;
        pthread_mutex_lock(&c->engine_lock);
        ssize_t n = ss_engine_recv(c->engine, out != NULL ? out + got : NULL, cap - got, &end);
        int closed = ss_engine_peer_closed(c->engine);
        pthread_mutex_unlock(&c->engine_lock);
        if (n == -1 && got > 0) {
            /* The next frame failed its check (several can come in one
             * read). The bytes of this message already copied are
             * authentic: they come first, the error with the next call. */
            c->message_done = 0;
            return (ssize_t)got;
        }
        if (n == -1)
            return conn_engine_failed(c);
        if (n >= 0) {
            if (closed)
                return after_close(c); /* 0: the authenticated end */
            got += (size_t)n;
            if (end || got == cap) {
                /* A message ends here, or the buffer is full: never merge
                 * two messages, never wait with a full buffer. */
                c->message_done = end;
                return (ssize_t)got;
            }
            continue; /* the message goes on in the next fragment */
        }
        rc = fill(c, deadline, 0, soft);
        if (rc != 0) {
            /* Bytes of this message already copied are authentic: they are
             * returned first, and the error (or "would block") comes with
             * the next call (conn.h). */
            if (got > 0) {
                c->message_done = 0;
                return (ssize_t)got;
            }
            return rc;
        }
    }
}

ssize_t ss_recv(ss_conn *c, void *buf, size_t cap)
{
    if (c == NULL || (buf == NULL && cap > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_recv: no connection or no buffer");
    return recv_within(c, buf, cap, c->nonblocking ? 0 : c->io_timeout_ms, 0);
}

ssize_t ss_recv_wait(ss_conn *c, void *buf, size_t cap, int timeout_ms)
{
    if (c == NULL || (buf == NULL && cap > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_recv_wait: no connection or no buffer");
    /* The handshake of a connection that has not finished it keeps its own
     * deadline and mode (ensure_handshake); timeout_ms is for the message. */
    return recv_within(c, buf, cap, timeout_ms, 1);
}

int ss_message_done(const ss_conn *c)
{
    return c != NULL ? c->message_done : 1;
}

int ss_peer_closed(const ss_conn *c)
{
    return c != NULL ? c->peer_closed : 0;
}

/* ------------------------------------------------------------------ */
/* Closing and queries                                                 */
/* ------------------------------------------------------------------ */

int ss_close(ss_conn *c)
{
    if (c == NULL)
        return 0;
    int rc = 0;
    int healthy = conn_error_code(c) == SS_OK && c->established;
    if (healthy) {
        /* A non-blocking connection gets the same bounded wait here: the
         * close frame is the last thing it will ever send. */
        c->nonblocking = 0;
        pthread_mutex_lock(&c->engine_lock);
        int closed = ss_engine_sent_close(c->engine);
        pthread_mutex_unlock(&c->engine_lock);
        rc = closed ? flush(c, ss_deadline_after(c->send_timeout_ms)) : send_close(c);
    }
    /* A failed connection is dropped abruptly: the peer sees no close
     * frame and reports the stream as truncated, which it is. */
    conn_free(c, healthy && rc == 0);
    return rc == 0 ? 0 : -1;
}

const uint8_t *ss_peer_public_key(const ss_conn *c)
{
    return c != NULL && c->established ? ss_engine_peer_public_key(c->engine) : NULL;
}

const char *ss_protocol_name(const ss_conn *c)
{
    return c != NULL ? ss_engine_protocol_name(c->engine) : NULL;
}

void ss_handshake_hash(uint8_t out[32], const ss_conn *c)
{
    ss_engine_handshake_hash(out, c != NULL ? c->engine : NULL);
}

int ss_last_error(const ss_conn *c)
{
    return c != NULL ? conn_error_code(c) : ss_thread_error()->code;
}

const char *ss_last_error_message(const ss_conn *c)
{
    if (c == NULL)
        return ss_thread_error()->message;
    /* The slot is written once, by the first error, under the lock;
     * taking the lock here makes that write visible to this thread. */
    pthread_mutex_lock(lock_of(c));
    const char *message = c->err.message;
    pthread_mutex_unlock(lock_of(c));
    return message;
}

size_t ss_conn_memory(const ss_conn *c)
{
    if (c == NULL)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&c->engine_lock);
    size_t n = sizeof *c + ss_engine_memory(c->engine);
    pthread_mutex_unlock((pthread_mutex_t *)&c->engine_lock);
    return n;
}
