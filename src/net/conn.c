/*
 * conn.c — the secure connection: the protocol "SSockets/1" over TCP
 * (byte by byte in docs/protocol.md), behind the API of conn.h.
 *
 * Course position: the top of the library. Everything below comes
 * together here:
 *
 *     conn.c   which pattern, which frame, which key, what went wrong
 *       |-- noise.c   the handshake and the cipher states (Noise rev 34 §5)
 *       |     `-- crypto/  X25519, ChaCha20-Poly1305, SHA-256, HKDF
 *       `-- frame.c   a 2-byte length, then the bytes
 *             `-- sock.c   TCP with deadlines
 *
 * The protocol as it appears on the wire (XX shown; NN and NK have two
 * handshake messages, "-> e" / "<- e, ee" and "-> e, es" / "<- e, ee"):
 *
 *   client                                                      server
 *     | frame 0: "Noise_XX_25519_ChaChaPoly_SHA256" (in clear)     |
 *     |----------------------------------------------------------->| accepts the
 *     | frame 1: handshake message 1      -> e                     | name, or
 *     |----------------------------------------------------------->| closes
 *     | frame 2: handshake message 2      <- e, ee, s, es          |
 *     |<-----------------------------------------------------------|
 *     | frame 3: handshake message 3      -> s, se                 |
 *     |----------------------------------------------------------->|
 *     | transport frames, both ways, in any order, until each      |
 *     | side's close frame                                         |
 *     |<==========================================================>|
 *
 *   Frame 0 travels in clear, but rewriting it gains an attacker nothing:
 *   each side starts h from the name it runs itself (InitializeSymmetric,
 *   Noise §5.2), so if "XX" is replaced by "NN" on the way, the client's
 *   next check (a message length or a tag) fails. A client never ends up
 *   in a pattern it did not propose: there is no downgrade.
 *
 *   Prologue (Noise §6, mixed into h by both sides before message 1): the
 *   10 bytes "SSockets/1". It binds the handshake to this protocol: a
 *   message replayed from another protocol using the same Noise suite
 *   fails its first tag.
 *
 *   every frame        +-------+-------+---------------------------+
 *                      | L, 2 bytes BE | L bytes                   |
 *                      +-------+-------+---------------------------+
 *   a transport frame's L bytes (L = 17 + body length, at most 65,535):
 *                      +----------------------------------+---------+
 *                      | ChaCha20( type || body )         | tag, 16 |
 *                      +----------------------------------+---------+
 *       type 0x00  data, the last (or only) fragment of a message
 *            0x01  data, more fragments of the same message follow
 *            0x02  close: "I will send nothing more" (empty body)
 *       key: the sender's CipherState from Split(); nonce: 32 zero bits,
 *       then the 64-bit little-endian count of frames sent with that key
 *       (never sent: both sides count); associated data: empty.
 *
 * Following one message through this file:
 *   ss_send        splits the message into fragments of at most
 *                  SS_MAX_FRAGMENT bytes;
 *   send_fragment  puts type || body in tx_plain, then
 *   ss_cipher_encrypt (noise.c) builds the nonce from n, calls ss_aead_seal
 *                  (crypto/aead.c: ChaCha20, then Poly1305 over the
 *                  ciphertext) and increments n;
 *   ss_frame_write (frame.c) sends the length and the ciphertext.
 *   ... TCP ...
 *   ss_recv        asks for the next fragment when it has none;
 *   next_fragment  reads one frame (ss_frame_read), and
 *   ss_cipher_decrypt (noise.c) -> ss_aead_open checks the tag first and
 *                  releases the plaintext only if it matches; then the type
 *                  byte is checked, and
 *   ss_recv        copies the body into the caller's buffer, as much as fits.
 *
 * Why the type byte: TCP can be cut by anyone on the path. Without an
 * authenticated "close", a receiver cannot tell a finished conversation
 * from one an attacker cut short (Noise §13, "Session termination"); with
 * it, an end of stream without the close frame is reported as an error
 * (SS_ERR_TRUNCATED), never as a normal end. The "more follows" type keeps message boundaries without a length
 * field: a message is the fragments up to and including a 0x00 one.
 *
 * Errors: every failure returns -1 or NULL and records an ss_error code
 * (error.h). Any error on an established connection ends it: later calls
 * fail with the same recorded error, and no byte of a frame that failed a
 * check is ever handed out.
 */
#include "conn.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto/util.h"
#include "error.h"
#include "fail.h"
#include "frame.h"
#include "keylog.h"
#include "noise.h"
#include "sock.h"

/* The prologue, 10 bytes, without a terminating NUL. */
#define PROLOGUE "SSockets/1"
#define PROLOGUE_LEN 10

/* Transport frame types: the first plaintext byte of every frame. */
enum { TYPE_LAST = 0x00, TYPE_MORE = 0x01, TYPE_CLOSE = 0x02 };

/* Poly1305 tag appended by ss_cipher_encrypt (RFC 8439 §2.8). */
#define TAG_LEN 16

/* handshake_timeout_ms == 0 means this. */
#define DEFAULT_HANDSHAKE_MS 10000

struct ss_conn {
    int fd;
    int plain;                  /* cfg->plain: frames in clear, no handshake */
    ss_noise_pattern pattern;
    int io_timeout_ms;          /* per ss_send/ss_recv call; -1: none */
    ss_trace_fn trace;
    void *trace_arg;

    /* After the handshake: the two CipherStates of Split() (Noise §5.2),
     * one per direction, each with its own key and frame counter n. */
    ss_cipher_state send_cs;
    ss_cipher_state recv_cs;
    uint8_t handshake_hash[32];
    uint8_t peer_key[32];       /* the peer's authenticated static key */
    int has_peer_key;

    /* Sending side: only ss_send, ss_shutdown and ss_close touch these. */
    int sent_close;
    int traced_send;
    uint8_t tx_plain[SS_FRAME_MAX]; /* type || body of the frame being sent */
    uint8_t tx_wire[SS_FRAME_MAX];  /* its ciphertext and tag */

    /* Receiving side: only ss_recv touches these. */
    int peer_closed;            /* the peer's close frame has arrived */
    int message_done;           /* the last bytes handed out ended a message */
    int rx_more;                /* the current message continues in later frames */
    int traced_recv;
    size_t rx_pos, rx_len;      /* body bytes handed out / held, of rx_plain */
    uint8_t rx_wire[SS_FRAME_MAX];  /* the frame as received */
    uint8_t rx_plain[SS_FRAME_MAX]; /* type || body, after the tag matched */

    /* The first error that ended the connection. ss_send and ss_recv may
     * both record one from two threads, so the slot has a lock. */
    pthread_mutex_t lock;
    ss_error_slot err;
};

struct ss_listener {
    int fd;
    uint16_t port;
    ss_config cfg;              /* a copy; the keys it points to are the caller's */
};

/* ------------------------------------------------------------------ */
/* Errors and trace lines                                              */
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

/* The layers below (frame.c, sock.c) record their errors in the thread's
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

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void trace_line(ss_trace_fn trace, void *arg, const char *fmt, ...)
{
    if (trace == NULL)
        return;
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    trace(arg, line);
}

/* The first transport frame in each direction, for the learner: the nonce
 * is not on the wire, both sides derive it from their frame counters. */
static void trace_first_nonce(const ss_conn *c, const char *direction, uint64_t n)
{
    uint8_t nonce[12] = {0};
    char hex[2 * sizeof nonce + 1];
    ss_store64_le(nonce + 4, n);
    for (size_t i = 0; i < sizeof nonce; i++)
        snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
    trace_line(c->trace, c->trace_arg,
               "transport: first frame %s: n = %llu, nonce = %s (32 zero bits, then n as "
               "64-bit little-endian; not sent, both sides count), AD empty",
               direction, (unsigned long long)n, hex);
}

/* Every frame as it leaves or arrives, in hex: "wire: sent 0030 bbdb...",
 * the 2-byte big-endian length as frame.c writes it, then the frame's
 * bytes, exactly what a capture of the TCP stream shows (docs/protocol.md
 * labels each field). Unlike the handshake's lines these bytes are not
 * secret: anyone on the path sees them. A long frame is cut after its first
 * WIRE_SHOWN bytes, so one line stays readable (and fits trace_line). */
#define WIRE_SHOWN 128
static void trace_wire(const ss_conn *c, const char *direction, const uint8_t *frame,
                       size_t len)
{
    if (c->trace == NULL)
        return;
    char hex[2 * WIRE_SHOWN + 1] = "";
    size_t shown = len < WIRE_SHOWN ? len : WIRE_SHOWN;
    for (size_t i = 0; i < shown; i++)
        snprintf(hex + 2 * i, 3, "%02x", frame[i]);
    trace_line(c->trace, c->trace_arg, "wire: %s %04zx %s%s", direction, len, hex,
               len > shown ? " ..." : "");
}

/* ------------------------------------------------------------------ */
/* Configuration: which pattern the client proposes, which the server  */
/* accepts (the table in conn.h)                                       */
/* ------------------------------------------------------------------ */

static int handshake_timeout(const ss_config *cfg)
{
    /* 0: the default; negative: ss_deadline_after gives "no deadline". */
    return cfg->handshake_timeout_ms == 0 ? DEFAULT_HANDSHAKE_MS : cfg->handshake_timeout_ms;
}

static int client_pattern(ss_noise_pattern *p, const ss_config *cfg)
{
    if (cfg->allowed_keys != NULL || cfg->allowed_count != 0)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "allowed_keys is a server setting");
    if (cfg->plain && (cfg->static_key != NULL || cfg->peer_public_key != NULL ||
                       cfg->test_ephemeral != NULL))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot use keys");
    if (cfg->static_key != NULL)
        *p = SS_NOISE_XX; /* we have a key to prove: both sides authenticate */
    else if (cfg->peer_public_key != NULL)
        *p = SS_NOISE_NK; /* we know the server's key: it is authenticated */
    else
        *p = SS_NOISE_NN; /* nobody is authenticated */
    return 0;
}

static int check_server_config(const ss_config *cfg)
{
    if (cfg->allowed_count != 0 && cfg->allowed_keys == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "allowed_count without allowed_keys");
    if (cfg->plain && (cfg->static_key != NULL || cfg->peer_public_key != NULL ||
                       cfg->allowed_keys != NULL || cfg->test_ephemeral != NULL))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot use keys");
    /* Only XX shows the server a client key, and XX needs a server key. */
    if (cfg->static_key == NULL && (cfg->allowed_keys != NULL || cfg->peer_public_key != NULL))
        return ss_fail(NULL, SS_ERR_ARGUMENT,
                       "checking client keys needs XX, so the server needs its static_key");
    return 0;
}

static int server_checks_clients(const ss_config *cfg)
{
    return cfg->allowed_keys != NULL || cfg->peer_public_key != NULL;
}

static int server_accepts(const ss_config *cfg, ss_noise_pattern p)
{
    if (cfg->static_key == NULL)
        return p == SS_NOISE_NN;
    if (server_checks_clients(cfg))
        /* NK would let a client skip the key check: XX only. */
        return p == SS_NOISE_XX;
    return p == SS_NOISE_NK || p == SS_NOISE_XX;
}

static const char *server_offer(const ss_config *cfg)
{
    if (cfg->static_key == NULL)
        return "only NN (it has no static key)";
    if (server_checks_clients(cfg))
        return "only XX (it checks client keys)";
    return "NK and XX";
}

/* A received protocol name is untrusted bytes: show printable ASCII only. */
static void printable(char *out, size_t cap, const uint8_t *in, size_t len)
{
    size_t i;
    for (i = 0; i < len && i + 1 < cap; i++)
        out[i] = (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"') ? (char)in[i] : '?';
    out[i] = '\0';
}

/* ------------------------------------------------------------------ */
/* Creating and destroying connections                                 */
/* ------------------------------------------------------------------ */

/* Takes ownership of fd: on failure it is closed. */
static ss_conn *conn_new(int fd, const ss_config *cfg)
{
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
    c->fd = fd;
    c->plain = cfg->plain != 0;
    c->io_timeout_ms = cfg->io_timeout_ms > 0 ? cfg->io_timeout_ms : -1;
    c->trace = cfg->trace;
    c->trace_arg = cfg->trace_arg;
    c->message_done = 1;
    c->err.code = SS_OK;
    snprintf(c->err.message, sizeof c->err.message, "%s", ss_strerror(SS_OK));
    return c;
}

/* Closes the socket (gracefully when the stream is in a clean state, see
 * ss_sock_finish), wipes every key, counter and buffer, and frees c. */
static void conn_free(ss_conn *c, int graceful)
{
    if (graceful)
        ss_sock_finish(c->fd);
    else
        ss_sock_close(c->fd);
    pthread_mutex_destroy(&c->lock);
    ss_wipe(c, sizeof *c);
    free(c);
}

/* ------------------------------------------------------------------ */
/* The handshake                                                       */
/* ------------------------------------------------------------------ */

/* The peer ended the stream (EOF, reset or broken pipe) while we were
 * writing or waiting for handshake message `index` (1-based). What that
 * means depends on when it happened. */
static int handshake_peer_gone(const ss_handshake *hs, int index, int writing)
{
    const char *name = ss_noise_protocol_name(hs->pattern);
    if (hs->initiator && index <= 2) {
        /* The server closed before its first handshake message. In NK,
         * message 1 is already encrypted to the pinned key (token es): a
         * server holding another key fails its tag and hangs up — after
         * our first message, just as here. */
        if (hs->pattern == SS_NOISE_NK && index == 2)
            return ss_fail(NULL, SS_ERR_WRONG_SERVER_KEY,
                           "the server closed the connection after our first handshake "
                           "message, which is what a server whose key differs from the "
                           "pinned one does (a server that refuses %s closes the same way)",
                           name);
        return ss_fail(NULL, SS_ERR_PATTERN_REFUSED,
                       "the server refused %s or expects another pattern "
                       "(it closed the connection)",
                       name);
    }
    return ss_fail(NULL, SS_ERR_PEER_GONE, "while %s handshake message %d of %s",
                   writing ? "sending" : "waiting for", index, name);
}

/* XX, client side, after message 2: the server's static key, now known
 * and authenticated, against the pinned one. Checked before message 3,
 * which would reveal our own static key to whoever answered. Public keys
 * are not secret, but a constant-time compare costs nothing here. */
static int check_server_key(const ss_config *cfg, const uint8_t rs[32])
{
    if (cfg->peer_public_key == NULL || ss_ct_verify(rs, cfg->peer_public_key, 32) == 0)
        return 0;
    char got[SS_KEY_BASE64_LEN], want[SS_KEY_BASE64_LEN];
    ss_public_key_format(got, rs);
    ss_public_key_format(want, cfg->peer_public_key);
    return ss_fail(NULL, SS_ERR_WRONG_SERVER_KEY, "the server presented %s, the pinned key is %s",
                   got, want);
}

/* XX, server side, after message 3: the client's static key against the
 * allow-list and the pinned key. */
static int check_client_key(const ss_config *cfg, const uint8_t rs[32])
{
    char got[SS_KEY_BASE64_LEN];
    ss_public_key_format(got, rs);
    if (cfg->allowed_keys != NULL) {
        int listed = 0;
        for (size_t i = 0; i < cfg->allowed_count; i++)
            listed |= ss_ct_verify(rs, cfg->allowed_keys[i], 32) == 0;
        if (!listed)
            return ss_fail(NULL, SS_ERR_UNKNOWN_CLIENT_KEY, "%s is not in the allow-list", got);
    }
    if (cfg->peer_public_key != NULL && ss_ct_verify(rs, cfg->peer_public_key, 32) != 0) {
        char want[SS_KEY_BASE64_LEN];
        ss_public_key_format(want, cfg->peer_public_key);
        return ss_fail(NULL, SS_ERR_WRONG_PEER_KEY, "the client presented %s, the pinned key is %s",
                       got, want);
    }
    return 0;
}

/* WriteMessage with an empty payload (SSockets/1 sends none), one frame. */
static int send_handshake_message(ss_conn *c, ss_handshake *hs, int index, int64_t deadline)
{
    size_t len;
    int rc = ss_handshake_write(hs, c->tx_wire, sizeof c->tx_wire, &len, NULL, 0);
    if (rc != 0)
        return ss_fail(NULL, rc, "writing handshake message %d", index);
    trace_line(c->trace, c->trace_arg, "SSockets/1: %s frame %d = handshake message %d (%zu bytes)",
               hs->initiator ? "->" : "<-", index, index, len);
    trace_wire(c, "sent", c->tx_wire, len);
    rc = ss_frame_write(c->fd, c->tx_wire, len, deadline);
    if (rc == SS_FRAME_EOF)
        return handshake_peer_gone(hs, index, 1);
    return rc < 0 ? -1 : 0;
}

/* One frame, then ReadMessage; then, if the message revealed the peer's
 * static key (XX), the key checks. */
static int receive_handshake_message(ss_conn *c, ss_handshake *hs, const ss_config *cfg,
                                     int index, int64_t deadline)
{
    size_t len, payload_len;
    int rc = ss_frame_read(c->fd, c->rx_wire, sizeof c->rx_wire, &len, deadline);
    if (rc == SS_FRAME_EOF || rc == SS_FRAME_CUT)
        return handshake_peer_gone(hs, index, 0);
    if (rc < 0)
        return -1;
    trace_line(c->trace, c->trace_arg, "SSockets/1: %s frame %d = handshake message %d (%zu bytes)",
               hs->initiator ? "<-" : "->", index, index, len);
    trace_wire(c, "received", c->rx_wire, len);

    /* A failed ReadMessage wipes hs (noise.c), so what the error message
     * needs to know about the handshake is read before. */
    int had_rs = hs->has_rs;
    int nk_responder = !hs->initiator && hs->pattern == SS_NOISE_NK;
    rc = ss_handshake_read(hs, c->rx_plain, sizeof c->rx_plain, &payload_len, c->rx_wire, len);
    if (rc == SS_ERR_TAMPERED && nk_responder)
        /* NK message 1 is encrypted to our static key (es): a client that
         * pinned another server key produces exactly this failure. */
        return ss_fail(NULL, rc, "handshake message 1 did not authenticate: the client "
                                 "probably pinned a different server key");
    if (rc != 0)
        return ss_fail(NULL, rc, "handshake message %d (%zu bytes)", index, len);
    if (payload_len != 0)
        return ss_fail(NULL, SS_ERR_BAD_FRAME, "handshake message %d carries a %zu-byte payload; "
                       "SSockets/1 payloads are empty", index, payload_len);

    if (!had_rs && hs->has_rs)
        return hs->initiator ? check_server_key(cfg, hs->rs) : check_client_key(cfg, hs->rs);
    return 0;
}

/* Runs every message of the pattern, one frame each, then Split(). The
 * deadline covers the whole exchange. */
static int run_handshake(ss_conn *c, ss_handshake *hs, const ss_config *cfg, int64_t deadline)
{
    for (int index = 1; !ss_handshake_done(hs); index++) {
        int rc = ss_handshake_my_turn(hs)
                     ? send_handshake_message(c, hs, index, deadline)
                     : receive_handshake_message(c, hs, cfg, index, deadline);
        if (rc < 0)
            return -1;
    }
    /* Keep what outlives the handshake before Split() wipes hs: the
     * pattern, and the peer's static key if this pattern authenticated one
     * (NK: the server's, known in advance; XX: received, both sides). */
    c->pattern = hs->pattern;
    if (hs->has_rs) {
        memcpy(c->peer_key, hs->rs, 32);
        c->has_peer_key = 1;
    }
    /* Noise §5.2 Split(): the initiator sends with the first CipherState,
     * the responder with the second (noise.c assigns them by role). */
    int initiator = hs->initiator;
    uint8_t initiator_e[32]; /* names the session in the key log */
    memcpy(initiator_e, initiator ? hs->e.public_key : hs->re, 32);
    ss_handshake_split(hs, &c->send_cs, &c->recv_cs, c->handshake_hash);
    ss_keylog_session(initiator_e, initiator ? c->send_cs.k : c->recv_cs.k,
                      initiator ? c->recv_cs.k : c->send_cs.k); /* SSOCKETS_KEYLOGFILE */
    return 0;
}

/* A timeout inside the handshake is reported as such, with its limit. */
static void explain_handshake_timeout(const ss_config *cfg)
{
    if (ss_last_error(NULL) == SS_ERR_TIMEOUT)
        ss_fail(NULL, SS_ERR_TIMEOUT, "the handshake did not finish within %d ms",
                handshake_timeout(cfg));
}

static int client_handshake(ss_conn *c, ss_noise_pattern pattern, const ss_config *cfg,
                            int64_t deadline)
{
    /* Frame 0: our proposal, the protocol name in clear. */
    const char *name = ss_noise_protocol_name(pattern);
    trace_line(c->trace, c->trace_arg,
               "SSockets/1: -> frame 0 = protocol name \"%s\" (%zu bytes, in clear)", name,
               strlen(name));
    trace_wire(c, "sent", (const uint8_t *)name, strlen(name));
    int rc = ss_frame_write(c->fd, (const uint8_t *)name, strlen(name), deadline);
    if (rc == SS_FRAME_EOF)
        return ss_fail(NULL, SS_ERR_PEER_GONE, "the server closed the connection at once");
    if (rc < 0)
        return -1;

    /* Noise §5.3 Initialize(): our static key for XX, the pinned server
     * key as the pre-message "<- s" for NK. */
    ss_handshake hs;
    rc = ss_handshake_init(&hs, pattern, 1, (const uint8_t *)PROLOGUE, PROLOGUE_LEN,
                           pattern == SS_NOISE_XX ? cfg->static_key : NULL,
                           pattern == SS_NOISE_NK ? cfg->peer_public_key : NULL, c->trace,
                           c->trace_arg);
    if (rc != 0) {
        rc = ss_fail(NULL, rc, "starting %s", name);
    } else {
        /* Course and tests only (conn.h): a fixed e instead of a random one. */
        ss_handshake_set_ephemeral(&hs, cfg->test_ephemeral);
        rc = run_handshake(c, &hs, cfg, deadline);
    }
    ss_handshake_wipe(&hs); /* on every path: e, s and ck must not linger */
    return rc;
}

static int server_handshake(ss_conn *c, const ss_config *cfg, int64_t deadline)
{
    /* Frame 0: the client's proposal. Names are at most
     * SS_NOISE_NAME_MAX - 1 bytes; a longer frame is refused unread. */
    uint8_t name[SS_NOISE_NAME_MAX];
    char shown[SS_NOISE_NAME_MAX];
    size_t len;
    int rc = ss_frame_read(c->fd, name, sizeof name - 1, &len, deadline);
    if (rc == SS_FRAME_EOF || rc == SS_FRAME_CUT)
        return ss_fail(NULL, SS_ERR_PEER_GONE, "the client left before proposing a protocol");
    if (rc < 0 && ss_last_error(NULL) == SS_ERR_BAD_FRAME)
        return ss_fail(NULL, SS_ERR_BAD_PROTOCOL,
                       "frame 0 is longer than any protocol name (not an SSockets/1 client?)");
    if (rc < 0)
        return -1;
    trace_wire(c, "received", name, len);
    printable(shown, sizeof shown, name, len);

    ss_noise_pattern pattern;
    if (ss_noise_pattern_from_name(&pattern, name, len) != 0)
        return ss_fail(NULL, SS_ERR_BAD_PROTOCOL, "the client proposed \"%s\"", shown);
    /* Refusing is simply closing: nothing about us is revealed. */
    if (!server_accepts(cfg, pattern)) {
        trace_line(c->trace, c->trace_arg,
                   "SSockets/1: -> frame 0 = \"%s\": refused, this server accepts %s", shown,
                   server_offer(cfg));
        return ss_fail(NULL, SS_ERR_PATTERN_REFUSED, "the client proposed %s; this server accepts %s",
                       shown, server_offer(cfg));
    }
    trace_line(c->trace, c->trace_arg, "SSockets/1: -> frame 0 = protocol name \"%s\": accepted",
               shown);

    ss_handshake hs;
    rc = ss_handshake_init(&hs, pattern, 0, (const uint8_t *)PROLOGUE, PROLOGUE_LEN,
                           pattern == SS_NOISE_NN ? NULL : cfg->static_key, NULL, c->trace,
                           c->trace_arg);
    if (rc != 0) {
        rc = ss_fail(NULL, rc, "starting %s", shown);
    } else {
        ss_handshake_set_ephemeral(&hs, cfg->test_ephemeral); /* NULL: random, as it must be */
        rc = run_handshake(c, &hs, cfg, deadline);
    }
    ss_handshake_wipe(&hs);
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
    ss_noise_pattern pattern = SS_NOISE_NN;
    if (host == NULL) {
        ss_fail(NULL, SS_ERR_ARGUMENT, "no host to connect to");
        return NULL;
    }
    if (client_pattern(&pattern, cfg) < 0)
        return NULL;

    /* One deadline for connecting and the whole handshake. */
    int64_t deadline = ss_deadline_after(handshake_timeout(cfg));
    int fd;
    if (ss_sock_connect(&fd, host, port, deadline) < 0)
        return NULL;
    ss_conn *c = conn_new(fd, cfg);
    if (c == NULL)
        return NULL;
    if (!c->plain && client_handshake(c, pattern, cfg, deadline) < 0) {
        explain_handshake_timeout(cfg);
        conn_free(c, 0);
        return NULL;
    }
    return c;
}

ss_listener *ss_listen(const char *host, uint16_t port, const ss_config *cfg)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    if (check_server_config(cfg) < 0)
        return NULL;
    ss_listener *l = calloc(1, sizeof *l);
    if (l == NULL) {
        ss_fail(NULL, SS_ERR_NOMEM, "allocating a listener");
        return NULL;
    }
    if (ss_sock_listen(&l->fd, &l->port, host, port) < 0) {
        free(l);
        return NULL;
    }
    l->cfg = *cfg;
    return l;
}

uint16_t ss_listener_port(const ss_listener *l)
{
    return l != NULL ? l->port : 0;
}

void ss_listener_close(ss_listener *l)
{
    if (l == NULL)
        return;
    ss_sock_close(l->fd);
    free(l);
}

/* The server's half of ss_accept/ss_server, on an accepted socket. */
static ss_conn *serve(int fd, const ss_config *cfg)
{
    /* The deadline starts at accept: a client that connects and stays
     * silent, or sends one byte per second, is cut off when it expires,
     * and the next client gets its turn. */
    int64_t deadline = ss_deadline_after(handshake_timeout(cfg));
    ss_conn *c = conn_new(fd, cfg);
    if (c == NULL)
        return NULL;
    if (!c->plain && server_handshake(c, cfg, deadline) < 0) {
        explain_handshake_timeout(cfg);
        conn_free(c, 0);
        return NULL;
    }
    return c;
}

ss_conn *ss_accept(ss_listener *l)
{
    int fd;
    if (l == NULL) {
        ss_fail(NULL, SS_ERR_ARGUMENT, "no listener");
        return NULL;
    }
    /* Waiting for a client has no deadline: that is a server's job. A
     * failure after this point concerns this client only; the listening
     * socket is untouched and the next ss_accept works. */
    if (ss_sock_accept(&fd, l->fd, SS_NO_DEADLINE) < 0)
        return NULL;
    return serve(fd, &l->cfg);
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
    int rc = ss_sock_accept(&fd, l->fd, SS_NO_DEADLINE);
    ss_listener_close(l); /* one client only: free the port at once */
    return rc < 0 ? NULL : serve(fd, cfg);
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

/* One transport frame on its way out: type || body, encrypted with our
 * CipherState (or in clear in plain mode), then framed. */
static int send_fragment(ss_conn *c, uint8_t type, const uint8_t *body, size_t len,
                         int64_t deadline)
{
    c->tx_plain[0] = type;
    if (len > 0)
        memcpy(c->tx_plain + 1, body, len);
    const uint8_t *frame = c->tx_plain;
    size_t frame_len = 1 + len;

    if (!c->plain) {
        if (!c->traced_send) {
            trace_first_nonce(c, "sent", c->send_cs.n);
            c->traced_send = 1;
        }
        /* EncryptWithAd(empty AD, type || body) (Noise §5.1): noise.c
         * turns n into the nonce, runs ss_aead_seal and increments n. At
         * n = 2^64-1 it refuses (SS_ERR_NONCE_EXHAUSTED): a nonce must
         * never repeat under one key, so the counter never wraps. */
        int rc = ss_cipher_encrypt(&c->send_cs, c->tx_wire, NULL, 0, c->tx_plain, 1 + len);
        if (rc != 0) {
            ss_wipe(c->tx_plain, 1 + len);
            return conn_fail(c, rc, "after %llu frames", (unsigned long long)c->send_cs.n);
        }
        frame = c->tx_wire;
        frame_len = 1 + len + TAG_LEN;
    }

    trace_wire(c, "sent", frame, frame_len);
    int rc = ss_frame_write(c->fd, frame, frame_len, deadline);
    ss_wipe(c->tx_plain, 1 + len); /* no copy of the plaintext lingers here */
    if (rc == SS_FRAME_EOF)
        return conn_fail(c, SS_ERR_PEER_GONE, "a send found the connection closed by the peer "
                                              "(broken pipe or reset)");
    if (rc < 0)
        return conn_adopt_error(c);
    return 0;
}

int ss_send(ss_conn *c, const void *msg, size_t len)
{
    if (c == NULL || (msg == NULL && len > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_send: no connection or no message");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    if (c->sent_close)
        /* A caller mistake, not a failure of the connection: receiving
         * still works, so c's error is left alone. */
        return ss_fail(NULL, SS_ERR_CLOSED, "nothing can be sent after our close frame");

    /* io_timeout_ms bounds the whole call, however many frames it takes. */
    int64_t deadline = ss_deadline_after(c->io_timeout_ms);
    const uint8_t *p = msg;
    size_t left = len;
    for (;;) {
        /* Fragments of SS_MAX_FRAGMENT = 65,535 - 1 (type) - 16 (tag)
         * bytes, the last one marked 0x00. An empty message is one empty
         * 0x00 frame, so the receiver sees it (ss_recv returns 0). */
        int more = left > SS_MAX_FRAGMENT;
        size_t n = more ? SS_MAX_FRAGMENT : left;
        if (send_fragment(c, more ? TYPE_MORE : TYPE_LAST, p, n, deadline) < 0)
            return -1;
        if (!more)
            return 0;
        p += n;
        left -= n;
    }
}

/* Our close frame: authenticated like data, so the peer can tell our
 * finished stream from one cut by someone else. Sent at most once. */
static int send_close(ss_conn *c)
{
    c->sent_close = 1;
    return send_fragment(c, TYPE_CLOSE, NULL, 0, ss_deadline_after(c->io_timeout_ms));
}

int ss_shutdown(ss_conn *c)
{
    if (c == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_shutdown: no connection");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    return c->sent_close ? 0 : send_close(c);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */
/* ------------------------------------------------------------------ */

/* Forgets a fragment that failed a check, so no byte of it is handed out. */
static void drop_fragment(ss_conn *c)
{
    ss_wipe(c->rx_plain, sizeof c->rx_plain);
    c->rx_pos = c->rx_len = 0;
}

/* Reads the next transport frame, authenticates and decrypts it into
 * rx_plain, and checks its type; the body is then rx_plain[1..1+rx_len). */
static int next_fragment(ss_conn *c, uint8_t *type, int64_t deadline)
{
    size_t len;
    uint8_t *in = c->plain ? c->rx_plain : c->rx_wire;
    int rc = ss_frame_read(c->fd, in, SS_FRAME_MAX, &len, deadline);
    if (rc == SS_FRAME_EOF)
        /* The stream ended cleanly at a frame boundary, but without the
         * authenticated close: anyone on the path could have cut it. */
        return conn_fail(c, SS_ERR_TRUNCATED, "the stream ended with no close frame");
    if (rc == SS_FRAME_CUT)
        return conn_fail(c, SS_ERR_TRUNCATED, "the stream ended in the middle of a frame");
    if (rc < 0)
        return conn_adopt_error(c);
    trace_wire(c, "received", in, len);

    size_t plain_len = len;
    if (!c->plain) {
        if (len < 1 + TAG_LEN)
            return conn_fail(c, SS_ERR_BAD_FRAME,
                             "a %zu-byte transport frame (a type byte and a tag need 17)", len);
        if (!c->traced_recv) {
            trace_first_nonce(c, "received", c->recv_cs.n);
            c->traced_recv = 1;
        }
        /* DecryptWithAd (Noise §5.1) -> ss_aead_open: the tag is checked
         * before any plaintext is released. The nonce is our count of
         * frames received, so a frame that was modified, replayed,
         * reordered or dropped by someone on the path fails here: its tag
         * was computed under another nonce. */
        uint64_t n = c->recv_cs.n;
        rc = ss_cipher_decrypt(&c->recv_cs, c->rx_plain, NULL, 0, c->rx_wire, len);
        if (rc != 0) {
            drop_fragment(c);
            return conn_fail(c, rc, "transport frame %llu (%zu bytes)", (unsigned long long)n,
                             len);
        }
        plain_len = len - TAG_LEN;
    } else if (len < 1) {
        return conn_fail(c, SS_ERR_BAD_FRAME, "an empty frame (no type byte)");
    }

    *type = c->rx_plain[0];
    c->rx_pos = 0;
    c->rx_len = plain_len - 1;
    if (*type > TYPE_CLOSE) {
        drop_fragment(c);
        return conn_fail(c, SS_ERR_BAD_TYPE, "type 0x%02x", *type);
    }
    if (*type == TYPE_CLOSE && c->rx_len != 0) {
        drop_fragment(c);
        return conn_fail(c, SS_ERR_BAD_FRAME, "a close frame with a body");
    }
    if (*type == TYPE_MORE && c->rx_len == 0) {
        /* An empty "more follows" fragment carries nothing and could be
         * repeated without end; no sender needs one. */
        return conn_fail(c, SS_ERR_BAD_FRAME, "an empty 'more follows' fragment");
    }
    return 0;
}

/* After the peer's close, nothing more may arrive. Whatever the peer sends
 * next (end of stream aside) is a protocol violation; a check that does
 * not wait, so a peer that keeps its side open does not block us. */
static ssize_t after_close(ss_conn *c)
{
    c->message_done = 1;
    if (ss_sock_has_data(c->fd))
        return conn_fail(c, SS_ERR_DATA_AFTER_CLOSE, "bytes followed the peer's close frame");
    return 0;
}

ssize_t ss_recv(ss_conn *c, void *buf, size_t cap)
{
    if (c == NULL || (buf == NULL && cap > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_recv: no connection or no buffer");
    if (conn_error_code(c) != SS_OK)
        return conn_repeat_error(c);
    if (c->peer_closed)
        return after_close(c);
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX; /* the count must fit the return type */

    int64_t deadline = ss_deadline_after(c->io_timeout_ms);
    uint8_t *out = buf;
    size_t got = 0;
    for (;;) {
        if (c->rx_pos == c->rx_len) {
            /* The current fragment is used up (or there is none). If the
             * message goes on but the caller's buffer is full, stop here:
             * the rest comes with the next call. */
            if (c->rx_more && got == cap) {
                c->message_done = 0;
                return (ssize_t)got;
            }
            uint8_t type = 0;
            if (next_fragment(c, &type, deadline) < 0)
                return -1;
            if (type == TYPE_CLOSE) {
                if (c->rx_more)
                    return conn_fail(c, SS_ERR_TRUNCATED,
                                     "the peer closed in the middle of a message");
                c->peer_closed = 1;
                return after_close(c); /* 0: the authenticated end */
            }
            c->rx_more = type == TYPE_MORE;
        }

        /* Hand out as much of the fragment as fits. */
        size_t take = c->rx_len - c->rx_pos;
        if (take > cap - got)
            take = cap - got;
        if (take > 0) {
            memcpy(out + got, c->rx_plain + 1 + c->rx_pos, take);
            got += take;
            c->rx_pos += take;
        }
        if (c->rx_pos < c->rx_len) {
            c->message_done = 0; /* buffer full inside a fragment */
            return (ssize_t)got;
        }
        ss_wipe(c->rx_plain, 1 + c->rx_len); /* fragment delivered: forget it */
        if (!c->rx_more) {
            /* A 0x00 fragment ends the message; never merge with the next. */
            c->message_done = 1;
            return (ssize_t)got;
        }
    }
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
    int healthy = conn_error_code(c) == SS_OK;
    if (healthy && !c->sent_close)
        rc = send_close(c);
    /* A failed connection is dropped abruptly: the peer sees no close
     * frame and reports the stream as truncated, which it is. */
    conn_free(c, healthy && rc == 0);
    return rc;
}

const uint8_t *ss_peer_public_key(const ss_conn *c)
{
    return c != NULL && c->has_peer_key ? c->peer_key : NULL;
}

const char *ss_protocol_name(const ss_conn *c)
{
    if (c == NULL)
        return NULL;
    return c->plain ? "plain" : ss_noise_protocol_name(c->pattern);
}

void ss_handshake_hash(uint8_t out[32], const ss_conn *c)
{
    if (c != NULL && !c->plain)
        memcpy(out, c->handshake_hash, 32);
    else
        memset(out, 0, 32);
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

/* ------------------------------------------------------------------ */
/* Test hook (tests/fuzz/frame_recv.c): not part of the API            */
/* ------------------------------------------------------------------ */

/* Included here, beside the one function it declares, so the compiler
 * checks the definition against the prototype the fuzzer uses. */
#include "conn_internal.h"

/* The connection a finished handshake would leave (run_handshake, then
 * Split), but with cipher states the caller knows, so that a fuzzer can
 * reach the transport-frame checks of ss_recv. Never called by the
 * library; conn_internal.h is not installed. */
ss_conn *ss_conn_from_fd_for_tests(int fd, const ss_cipher_state *send,
                                   const ss_cipher_state *recv)
{
    const ss_config none = {0};
    ss_conn *c = conn_new(fd, &none);
    if (c == NULL)
        return NULL;
    c->pattern = SS_NOISE_NN;
    c->send_cs = *send;
    c->recv_cs = *recv;
    return c;
}
