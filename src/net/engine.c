/*
 * engine.c — SSockets/1 (docs/protocol.md) as a state machine with no I/O:
 * bytes in, bytes out, messages and events out. The API and its contract
 * are in engine.h; conn.c drives it over a socket.
 *
 * Course position: between conn.c (sockets, deadlines) and noise.c (the
 * handshake and cipher states):
 *
 *     conn.c      a socket, deadlines; moves bytes between the two
 *       `-- engine.c   which pattern, which frame, which key, what went wrong
 *             |-- noise.c   the handshake and the cipher states (Noise rev 34 §5)
 *             |     `-- crypto/  X25519, ChaCha20-Poly1305, SHA-256, HKDF
 *             `-- frames: a 2-byte big-endian length, then the bytes
 *
 * Why no I/O. Keeping the protocol apart from the socket (as BearSSL's
 * engine, rustls and Python's h11 do) means the protocol is read in one
 * place without socket code in the way; it can be tested and fuzzed by
 * handing it bytes; and any program can drive it: a blocking loop (conn.c),
 * an epoll loop (examples/echo_server.c), a test.
 *
 * The protocol as it appears on the wire (XX shown; NN and NK have two
 * handshake messages, "-> e" / "<- e, ee" and "-> e, es" / "<- e, ee";
 * the hybrid forms NNhfs, NKhfs and XXhfs have the same frames, with an
 * ML-KEM-768 public key (e1) in message 1 and a ciphertext (ekem1) in
 * message 2):
 *
 *   client                                                      server
 *     | frame 0: "Noise_XX_25519_ChaChaPoly_SHA256" (in clear)     |
 *     |----------------------------------------------------------->| accepts the
 *     | frame 1: handshake message 1      -> e                     | name, or
 *     |----------------------------------------------------------->| refuses
 *     | frame 2: handshake message 2      <- e, ee, s, es          | (below)
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
 *            0x03  refused: the server's last frame when its checks refuse
 *                  the client's authenticated static key (XX, --allow or a
 *                  pinned client key); body: one reason byte, 0x01 not in
 *                  the allow-list, 0x02 not the pinned key. Sealed like
 *                  data, so no one else can forge it.
 *
 *   The refusal frame: a server that refuses before the handshake has a
 *   key (a pattern it does not accept; NK message 1 that fails its tag)
 *   sends, instead of message 2, one frame in clear, then closes:
 *                      "SSockets/1 refused" (18 bytes) || reason (1 byte)
 *                      || for reason 0x01, what the server accepts (ASCII)
 *   reason 0x01: the pattern is not accepted; 0x02: NK message 1 did not
 *   authenticate (the client pinned another key). It is not authenticated:
 *   it only words the client's error, and the connection fails either
 *   way. Message 2 begins with a random ephemeral key, so it is never
 *   taken for one. A peer that closes without answering, or answers with
 *   something else, does not speak SSockets/1.
 *       key: the sender's CipherState from Split(); nonce: 32 zero bits,
 *       then the 64-bit little-endian count of frames sent with that key
 *       (never sent: both sides count); associated data: empty.
 *
 * Following one message through this file (one copy of the plaintext on
 * each side, and one system call per buffer):
 *   ss_engine_send  takes the next fragments, up to two of SS_MAX_FRAGMENT
 *                   bytes, into one fresh output buffer;
 *   seal_frame      puts length || type || body there (the copy), and
 *   ss_cipher_encrypt (noise.c) encrypts type || body in place (nonce from
 *                   n, ss_aead_seal: ChaCha20, then Poly1305) and
 *                   increments n; the caller writes the buffer to the wire.
 *   ... TCP ...
 *   ss_engine_input_buffer offers room for whatever the socket has (several
 *                   frames in one read); ss_engine_input_done counts it in;
 *   process_input   takes the frames one by one, and for each
 *   open_fragment   ss_cipher_decrypt (noise.c) -> ss_aead_open checks the
 *                   tag first and decrypts in place only if it matches;
 *                   then the type byte is checked, and
 *   ss_engine_recv  copies the body into the caller's buffer, as much as fits
 *                   (the copy), and wipes it from the receive buffer.
 *
 * Why the type byte: TCP can be cut by anyone on the path. Without an
 * authenticated "close", a receiver cannot tell a finished conversation
 * from one an attacker cut short (Noise §13, "Session termination"); with
 * it, an end of stream without the close frame is reported as an error
 * (SS_ERR_TRUNCATED), never as a normal end. The "more follows" type keeps
 * message boundaries without a length field: a message is the fragments up
 * to and including a 0x00 one.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto/util.h"
#include "engine_internal.h"
#include "error.h"
#include "fail.h"
#include "noise.h"

/* The prologue, 10 bytes, without a terminating NUL. */
#define PROLOGUE "SSockets/1"
#define PROLOGUE_LEN 10

/* Transport frame types: the first plaintext byte of every frame. */
enum { TYPE_LAST = 0x00, TYPE_MORE = 0x01, TYPE_CLOSE = 0x02, TYPE_REFUSED = 0x03 };
/* The reason byte of a TYPE_REFUSED frame. */
enum { REFUSED_NOT_ALLOWED = 0x01, REFUSED_NOT_PINNED = 0x02 };

/* The refusal frame, in clear, in place of handshake message 2. */
#define REFUSAL_MAGIC "SSockets/1 refused"
#define REFUSAL_MAGIC_LEN 18
enum { REFUSAL_PATTERN = 0x01, REFUSAL_MESSAGE_1 = 0x02 };
/* A first answer longer than this is not SSockets/1 (the longest message
 * 2 is far shorter), and is refused before the rest of it is awaited. */
#define ANSWER_MAX 4096

/* Poly1305 tag appended by ss_cipher_encrypt (RFC 8439 §2.8). */
#define TAG_LEN 16
/* A frame: 2 bytes of length, then at most 65,535 bytes (Noise §3). */
#define FRAME_MAX 65535
/* The largest handshake message SSockets/1 sends (empty payloads): NKhfs
 * message 1, e (32) + encrypted e1 (1184 + 16) + the payload's tag (16) =
 * 1248. (Classically: XX message 2, e (32) + encrypted s (48) + tag = 96.) */
#define HANDSHAKE_OUT_MAX 1248
/* Receive buffer sizes: IN_SMALL holds any handshake message (with its
 * 2-byte length) and a short message whole; IN_LARGE four frames of the
 * largest size (256 KiB), so
 * that one read takes several frames while a stream flows, and a frame
 * cut by the end of a read seldom has to be moved to the front. */
#define IN_SMALL 2048
_Static_assert(2 + HANDSHAKE_OUT_MAX <= IN_SMALL, "a handshake message fits IN_SMALL");
#define IN_LARGE (4 * (2 + FRAME_MAX))

/* Where the engine is. The state says what the next received frame is. */
enum state {
    ST_NAME,      /* server: waiting for frame 0 (NAME_IN in the diagram);
                     client: frame 0 not yet produced (NAME_OUT) */
    ST_HANDSHAKE, /* Noise messages, one per frame */
    ST_OPEN,      /* transport frames (sent_close, peer_closed: the two closes) */
    ST_FAILED     /* an error ended the engine (err says which) */
};

/* What the output buffer holds, for the meaning of a failed write. */
enum out_kind { OUT_NONE, OUT_NAME, OUT_HANDSHAKE, OUT_TRANSPORT };

struct ss_engine {
    enum state state;
    int server;
    int plain;
    ss_config cfg;              /* a copy; the keys it points to are the caller's */
    ss_noise_pattern pattern;

    /* The handshake, allocated while it runs. index: the SSockets/1 frame
     * number of the next handshake message (1-based, frame 0 is the name). */
    ss_handshake *hs;
    int index;

    /* After the handshake: the two CipherStates of Split() (Noise §5.2),
     * one per direction, each with its own key and frame counter n. */
    ss_cipher_state send_cs;
    ss_cipher_state recv_cs;
    uint8_t handshake_hash[32];
    uint8_t peer_key[32];       /* the peer's authenticated static key */
    int has_peer_key;
    uint8_t initiator_e[32];    /* for a key log (engine_internal.h) */
    int established;

    /* Output: bytes on their way out: frame 0, a handshake message, or the
     * transport frames of one ss_engine_send (at most two). */
    uint8_t *out;
    size_t out_len, out_pos;
    enum out_kind out_kind;
    int out_index;              /* the handshake message in out */
    int sent_close;
    int traced_send;
    int last_words;             /* out holds a refusal, sent although e failed */

    /* Input: one buffer of in_cap bytes that takes whatever the socket
     * gives, frames back to back. in[in_start .. in_end) are the bytes not
     * used yet: whole frames, then perhaps the start of one. The buffer is
     * allocated when bytes are to be read and freed as soon as it holds
     * none (consume_frame), or when a read finds nothing. next_large: the
     * last buffer was large (a stream flows), so the next one is too. */
    uint8_t *in;
    size_t in_cap, in_start, in_end;
    uint8_t after_close[1];     /* where a byte after the peer's close goes */
    int next_large;
    /* A decrypted fragment waiting for ss_engine_recv: the frame at
     * in_start; in[in_start + 2] is its type, the body is rx_len bytes
     * after it, rx_pos of them taken. */
    int rx_ready;
    size_t rx_pos, rx_len;
    int rx_more;                /* the current message continues in later frames */
    int peer_closed;
    int traced_recv;

    ss_error_slot err;
};

/* ------------------------------------------------------------------ */
/* Errors and trace lines                                              */
/* ------------------------------------------------------------------ */

static void release_in(ss_engine *e);
static void release_hs(ss_engine *e);
static void finish_handshake(ss_engine *e);
static size_t frame_length(const ss_engine *e);
static int seal_fragments(ss_engine *e, uint8_t last_type, const uint8_t *msg, size_t len,
                          size_t *taken);

/* Records the error that ends e (e keeps its first one) and in the
 * thread's last error; wipes what a dead engine must not keep. Returns -1. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int engine_fail(ss_engine *e, int code, const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    ss_fail(&e->err, code, "%s", detail);
    e->state = ST_FAILED;
    /* The handshake state goes at once. The input buffer is left to the
     * input side (process_input) and to ss_engine_free: the sending side
     * may fail while a receiving thread is reading into it (conn.c). */
    release_hs(e);
    return -1;
}

/* A call on an engine that has already failed: report the same error
 * again, so the thread's last error agrees with the engine's. */
static int repeat_error(const ss_engine *e)
{
    const char *sentence = ss_strerror(e->err.code);
    size_t n = strlen(sentence);
    if (strncmp(e->err.message, sentence, n) == 0 && e->err.message[n] == ':')
        return ss_fail(NULL, e->err.code, "%s", e->err.message + n + 2);
    return ss_fail(NULL, e->err.code, NULL);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void trace_line(const ss_engine *e, const char *fmt, ...)
{
    if (e->cfg.trace == NULL)
        return;
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->cfg.trace(e->cfg.trace_arg, line);
}

/* The first transport frame in each direction, for the learner: the nonce
 * is not on the wire, both sides derive it from their frame counters. */
static void trace_first_nonce(const ss_engine *e, const char *direction, uint64_t n)
{
    uint8_t nonce[12] = {0};
    char hex[2 * sizeof nonce + 1];
    if (e->cfg.trace == NULL)
        return; /* nothing to format for */
    ss_store64_le(nonce + 4, n);
    for (size_t i = 0; i < sizeof nonce; i++)
        snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
    trace_line(e,
               "transport: first frame %s: n = %llu, nonce = %s (32 zero bits, then n as "
               "64-bit little-endian; not sent, both sides count), AD empty",
               direction, (unsigned long long)n, hex);
}

/* Every frame as it leaves or arrives, in hex: "wire: sent 0030 bbdb...",
 * the 2-byte big-endian length, then the frame's bytes, exactly what a
 * capture of the TCP stream shows (docs/protocol.md labels each field).
 * Unlike the handshake's lines these bytes are not secret: anyone on the
 * path sees them. Frame 0 and the handshake messages are shown whole (up to
 * HANDSHAKE_OUT_MAX bytes, the largest we send: a hybrid handshake's
 * messages hold over a kilobyte of ML-KEM key or ciphertext), so that a
 * trace holds every byte of the handshake (tools/wireshark/trace2pcap.py
 * rebuilds a capture from it); a longer frame, and any transport frame
 * longer than WIRE_SHOWN bytes, is cut, so that one line stays readable. */
#define WIRE_SHOWN 128
static void trace_wire(const ss_engine *e, const char *direction, const uint8_t *frame,
                       size_t len)
{
    if (e->cfg.trace == NULL)
        return;
    char line[32 + 2 * HANDSHAKE_OUT_MAX];
    size_t limit = e->state == ST_OPEN ? WIRE_SHOWN : HANDSHAKE_OUT_MAX;
    size_t shown = len < limit ? len : limit;
    int at = snprintf(line, sizeof line, "wire: %s %04zx ", direction, len);
    for (size_t i = 0; i < shown; i++)
        snprintf(line + at + 2 * i, 3, "%02x", frame[i]);
    snprintf(line + at + 2 * shown, sizeof line - (size_t)at - 2 * shown, "%s",
             len > shown ? " ..." : "");
    e->cfg.trace(e->cfg.trace_arg, line);
}

/* ------------------------------------------------------------------ */
/* Configuration: which pattern the client proposes, which the server  */
/* accepts (the table in engine.h)                                     */
/* ------------------------------------------------------------------ */

static int client_pattern(ss_noise_pattern *p, const ss_config *cfg)
{
    if (cfg->allowed_keys != NULL || cfg->allowed_count != 0)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "allowed_keys is a server setting");
    if (cfg->plain && (cfg->static_key != NULL || cfg->peer_public_key != NULL ||
                       cfg->test_ephemeral != NULL || cfg->test_kem_dk != NULL ||
                       cfg->test_kem_m != NULL))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot use keys");
    if (cfg->plain && cfg->hybrid)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot be hybrid");
    if (cfg->static_key != NULL)
        *p = SS_NOISE_XX; /* we have a key to prove: both sides authenticate */
    else if (cfg->peer_public_key != NULL)
        *p = SS_NOISE_NK; /* we know the server's key: it is authenticated */
    else
        *p = SS_NOISE_NN; /* nobody is authenticated */
    /* The same pattern with ML-KEM-768 added (hfs): NNhfs, NKhfs, XXhfs. */
    if (cfg->hybrid)
        *p = ss_noise_hybrid(*p);
    return 0;
}

static int check_server_config(const ss_config *cfg)
{
    if (cfg->allowed_count != 0 && cfg->allowed_keys == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "allowed_count without allowed_keys");
    if (cfg->plain && (cfg->static_key != NULL || cfg->peer_public_key != NULL ||
                       cfg->allowed_keys != NULL || cfg->test_ephemeral != NULL ||
                       cfg->test_kem_dk != NULL || cfg->test_kem_m != NULL))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot use keys");
    if (cfg->hybrid < 0 || cfg->hybrid > SS_HYBRID_ONLY)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "hybrid is 0, 1 or SS_HYBRID_ONLY (2)");
    if (cfg->plain && cfg->hybrid == SS_HYBRID_ONLY)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "plain mode has no handshake, so it cannot be hybrid");
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

/* Whether the server runs p. The keys decide which patterns (the table in
 * engine.h); each comes in both forms, classical and hfs, unless the
 * server is hybrid-only. */
static int server_accepts(const ss_config *cfg, ss_noise_pattern p)
{
    ss_noise_pattern base = ss_noise_classical(p);
    if (cfg->hybrid == SS_HYBRID_ONLY && !ss_noise_is_hybrid(p))
        return 0;
    if (cfg->static_key == NULL)
        return base == SS_NOISE_NN;
    if (server_checks_clients(cfg))
        /* NK would let a client skip the key check: XX only. */
        return base == SS_NOISE_XX;
    return base == SS_NOISE_NK || base == SS_NOISE_XX;
}

static const char *server_offer(const ss_config *cfg)
{
    if (cfg->hybrid == SS_HYBRID_ONLY) {
        if (cfg->static_key == NULL)
            return "only NNhfs (it is hybrid-only and has no static key)";
        if (server_checks_clients(cfg))
            return "only XXhfs (it is hybrid-only and checks client keys)";
        return "only NKhfs and XXhfs (it is hybrid-only)";
    }
    if (cfg->static_key == NULL)
        return "only NN and NNhfs (it has no static key)";
    if (server_checks_clients(cfg))
        return "only XX and XXhfs (it checks client keys)";
    return "NK, XX, NKhfs and XXhfs";
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
/* Buffers: taken for a frame in flight, given back at once            */
/* ------------------------------------------------------------------ */

static void release_out(ss_engine *e)
{
    if (e->out != NULL) {
        /* Sealed frames and handshake messages are what anyone on the
         * path sees; only plain mode's frames are plaintext. */
        if (e->plain && e->out_kind == OUT_TRANSPORT)
            ss_wipe(e->out, e->out_len);
        free(e->out);
    }
    e->out = NULL;
    e->out_len = e->out_pos = 0;
    e->out_kind = OUT_NONE;
}

/* Drops everything received and not yet used (a failed frame, the end of
 * the engine). Frames already used were wiped when they were; what is left
 * may hold a decrypted fragment, so it is wiped too. */
static void release_in(ss_engine *e)
{
    if (e->in != NULL) {
        ss_wipe(e->in + e->in_start, e->in_end - e->in_start);
        free(e->in);
    }
    e->in = NULL;
    e->in_cap = e->in_start = e->in_end = 0;
    e->rx_ready = 0;
    e->rx_pos = e->rx_len = 0;
}

static void release_hs(ss_engine *e)
{
    if (e->hs != NULL) {
        ss_handshake_wipe(e->hs);
        free(e->hs);
        e->hs = NULL;
    }
}

/* A fresh output buffer with room for the 2-byte length and len bytes;
 * the length is written. NULL (recorded) when memory runs out. */
static uint8_t *new_output(ss_engine *e, size_t len, enum out_kind kind)
{
    uint8_t *p = malloc(2 + len);
    if (p == NULL) {
        engine_fail(e, SS_ERR_NOMEM, "a %zu-byte frame", len);
        return NULL;
    }
    /* The length goes in network byte order (big-endian), high byte first. */
    p[0] = (uint8_t)(len >> 8);
    p[1] = (uint8_t)len;
    e->out = p;
    e->out_len = 2 + len;
    e->out_pos = 0;
    e->out_kind = kind;
    return p + 2;
}

/* ------------------------------------------------------------------ */
/* The handshake                                                       */
/* ------------------------------------------------------------------ */

/* The peer ended the stream (EOF, reset or broken pipe) while we were
 * writing or waiting for handshake message `index`. What that means
 * depends on when it happened. */
static int handshake_peer_gone(ss_engine *e, int index, int writing)
{
    const char *name = ss_noise_protocol_name(e->pattern);
    if (!e->server && index <= 2) {
        /* The server ended the stream before its first answer. An
         * SSockets/1 server answers with message 2 or says why it refuses
         * (the refusal frame), so whatever closes without a word, or after
         * a few bytes that are not a frame, does not speak SSockets/1. */
        size_t seen = e->in_end - e->in_start;
        if (seen >= 2 && frame_length(e) <= ANSWER_MAX)
            /* A frame of a plausible size, cut: message 2 (or a refusal)
             * that did not arrive whole. */
            return engine_fail(e, SS_ERR_TRUNCATED,
                               "the server's first answer was cut after %zu of its %zu bytes",
                               seen - 2, frame_length(e));
        if (seen > 0) {
            char shown[33];
            printable(shown, sizeof shown, e->in + e->in_start, seen);
            return engine_fail(e, SS_ERR_BAD_PROTOCOL,
                               "the server sent %zu bytes (\"%s\") that are not an SSockets/1 "
                               "answer, and closed the connection",
                               seen, shown);
        }
        return engine_fail(e, SS_ERR_PEER_GONE,
                           "closed at once, without answering %s: the peer does not speak "
                           "SSockets/1 (a server of this version answers or says why it "
                           "refuses; one before 0.2, or someone cutting the connection, closes "
                           "like this)",
                           name);
    }
    return engine_fail(e, SS_ERR_PEER_GONE, "while %s handshake message %d of %s",
                       writing ? "sending" : "waiting for", index, name);
}

/* The server refuses before any key exists (receive_name, and NK message 1
 * that fails its tag): the refusal frame, in clear, becomes the last output
 * (sent although e has failed: last_words), then e fails with code and
 * detail. accepts: for REFUSAL_PATTERN, what this server accepts. */
static int refuse_in_clear(ss_engine *e, uint8_t reason, const char *accepts, int code,
                           const char *detail)
{
    size_t extra = accepts != NULL ? strlen(accepts) : 0;
    uint8_t *p = new_output(e, REFUSAL_MAGIC_LEN + 1 + extra, OUT_HANDSHAKE);
    if (p == NULL)
        return -1;
    memcpy(p, REFUSAL_MAGIC, REFUSAL_MAGIC_LEN);
    p[REFUSAL_MAGIC_LEN] = reason;
    if (extra > 0)
        memcpy(p + REFUSAL_MAGIC_LEN + 1, accepts, extra);
    trace_line(e, "SSockets/1: <- refusal frame (in clear): reason 0x%02x", reason);
    trace_wire(e, "sent", p, REFUSAL_MAGIC_LEN + 1 + extra);
    engine_fail(e, code, "%s", detail);
    e->last_words = 1;
    return -1;
}

/* The server refuses the client's authenticated static key (XX, message 3
 * read): the handshake is complete, so Split() gives the keys to seal a
 * TYPE_REFUSED frame with the reason, which only this server could have
 * sent. It becomes the last output, and the session never opens. */
static int refuse_sealed(ss_engine *e, uint8_t reason, int code, const char *detail)
{
    if (e->hs == NULL || !ss_handshake_done(e->hs))
        return engine_fail(e, code, "%s", detail);
    uint8_t body[1] = {reason};
    size_t taken;
    finish_handshake(e);
    e->established = 0;
    trace_line(e, "SSockets/1: <- refused frame (sealed): reason 0x%02x", reason);
    if (seal_fragments(e, TYPE_REFUSED, body, sizeof body, &taken) != 0)
        return -1;
    engine_fail(e, code, "%s", detail);
    e->last_words = 1;
    return -1;
}

/* The client's first answer is a refusal frame: the server's reason words
 * our error (it is not authenticated, and the connection fails either way). */
static int receive_refusal(ss_engine *e, const uint8_t *frame, size_t len)
{
    const char *name = ss_noise_protocol_name(e->pattern);
    char accepts[80];
    uint8_t reason = frame[REFUSAL_MAGIC_LEN];
    printable(accepts, sizeof accepts, frame + REFUSAL_MAGIC_LEN + 1,
              len - REFUSAL_MAGIC_LEN - 1);
    trace_line(e, "SSockets/1: <- refusal frame: reason 0x%02x", reason);
    if (reason == REFUSAL_MESSAGE_1)
        return engine_fail(e, SS_ERR_WRONG_SERVER_KEY,
                           "the server could not authenticate our first %s message, which is "
                           "encrypted to the pinned key: it holds another key (its refusal "
                           "frame, which is not authenticated)",
                           name);
    return engine_fail(e, SS_ERR_PATTERN_REFUSED,
                       "the server refused %s; it accepts %s (its refusal frame, which is not "
                       "authenticated)",
                       name, accepts[0] != '\0' ? accepts : "another pattern");
}

/* XX, client side, after message 2: the server's static key, now known
 * and authenticated, against the pinned one. Checked before message 3,
 * which would reveal our own static key to whoever answered. Public keys
 * are not secret, but a constant-time compare costs nothing here. */
static int check_server_key(ss_engine *e, const uint8_t rs[32])
{
    const ss_config *cfg = &e->cfg;
    if (cfg->peer_public_key == NULL || ss_ct_verify(rs, cfg->peer_public_key, 32) == 0)
        return 0;
    char got[SS_KEY_BASE64_LEN], want[SS_KEY_BASE64_LEN];
    ss_public_key_format(got, rs);
    ss_public_key_format(want, cfg->peer_public_key);
    return engine_fail(e, SS_ERR_WRONG_SERVER_KEY,
                       "the server presented %s, the pinned key is %s", got, want);
}

/* XX, server side, after message 3: the client's static key against the
 * allow-list and the pinned key. */
static int check_client_key(ss_engine *e, const uint8_t rs[32])
{
    const ss_config *cfg = &e->cfg;
    char got[SS_KEY_BASE64_LEN];
    ss_public_key_format(got, rs);
    if (cfg->allowed_keys != NULL) {
        int listed = 0;
        for (size_t i = 0; i < cfg->allowed_count; i++)
            listed |= ss_ct_verify(rs, cfg->allowed_keys[i], 32) == 0;
        if (!listed) {
            char detail[128];
            snprintf(detail, sizeof detail, "%s is not in the allow-list", got);
            return refuse_sealed(e, REFUSED_NOT_ALLOWED, SS_ERR_UNKNOWN_CLIENT_KEY, detail);
        }
    }
    if (cfg->peer_public_key != NULL && ss_ct_verify(rs, cfg->peer_public_key, 32) != 0) {
        char want[SS_KEY_BASE64_LEN], detail[160];
        ss_public_key_format(want, cfg->peer_public_key);
        snprintf(detail, sizeof detail, "the client presented %s, the pinned key is %s", got,
                 want);
        return refuse_sealed(e, REFUSED_NOT_PINNED, SS_ERR_WRONG_PEER_KEY, detail);
    }
    return 0;
}

/* Noise §5.3 Initialize(): the static key for XX (both sides) and for the
 * NK responder; the pinned server key as the pre-message "<- s" for the NK
 * initiator. */
static int start_handshake(ss_engine *e, const char *shown)
{
    const ss_config *cfg = &e->cfg;
    e->hs = malloc(sizeof *e->hs);
    if (e->hs == NULL)
        return engine_fail(e, SS_ERR_NOMEM, "the handshake state");
    const ss_keypair *s;
    const uint8_t *rs = NULL;
    ss_noise_pattern base = ss_noise_classical(e->pattern); /* hfs changes no key */
    if (e->server) {
        s = base == SS_NOISE_NN ? NULL : cfg->static_key;
    } else {
        s = base == SS_NOISE_XX ? cfg->static_key : NULL;
        rs = base == SS_NOISE_NK ? cfg->peer_public_key : NULL;
    }
    int rc = ss_handshake_init(e->hs, e->pattern, !e->server, (const uint8_t *)PROLOGUE,
                               PROLOGUE_LEN, s, rs, cfg->trace, cfg->trace_arg);
    if (rc != 0)
        return engine_fail(e, rc, "starting %s", shown);
    /* Course and tests only (engine.h): a fixed e instead of a random one. */
    ss_handshake_set_ephemeral(e->hs, cfg->test_ephemeral);
    /* Likewise a fixed ML-KEM key pair (e1) and encapsulation randomness
     * (ekem1), for the hybrid worked examples; hfs patterns only. */
    if (ss_noise_is_hybrid(e->pattern)) {
        if (e->server)
            ss_handshake_set_kem_randomness(e->hs, cfg->test_kem_m);
        else
            ss_handshake_set_kem_ephemeral(e->hs, cfg->test_kem_dk);
    }
    /* The server draws its ephemeral key now, on frame 0, while the client
     * computes its own for message 1: the two key generations run side by
     * side instead of one after the other, and a handshake takes one
     * X25519 less of waiting. It costs a client nothing it would not
     * spend anyway: any 32 bytes as message 1 make the server do as much. */
    if (e->server && (rc = ss_handshake_prepare_ephemeral(e->hs)) != 0)
        return engine_fail(e, rc, "starting %s", shown);
    e->state = ST_HANDSHAKE;
    e->index = 1;
    return 0;
}

/* Keeps what outlives the handshake before Split() wipes it: the peer's
 * static key if this pattern authenticated one (NK: the server's, known in
 * advance; XX: received, both sides) and the initiator's ephemeral key (for
 * a key log); then Split() (Noise §5.2): the initiator sends with the first
 * CipherState, the responder with the second (noise.c assigns them). */
static void finish_handshake(ss_engine *e)
{
    ss_handshake *hs = e->hs;
    if (hs->has_rs) {
        memcpy(e->peer_key, hs->rs, 32);
        e->has_peer_key = 1;
    }
    memcpy(e->initiator_e, hs->initiator ? hs->e.public_key : hs->re, 32);
    ss_handshake_split(hs, &e->send_cs, &e->recv_cs, e->handshake_hash);
    release_hs(e);
    e->state = ST_OPEN;
    e->established = 1;
}

/* Frame 0, the client's proposal: the protocol name in clear. */
static int produce_name(ss_engine *e)
{
    const char *name = ss_noise_protocol_name(e->pattern);
    size_t len = strlen(name);
    trace_line(e, "SSockets/1: -> frame 0 = protocol name \"%s\" (%zu bytes, in clear)", name,
               len);
    uint8_t *p = new_output(e, len, OUT_NAME);
    if (p == NULL)
        return -1;
    memcpy(p, name, len);
    trace_wire(e, "sent", p, len);
    return start_handshake(e, name);
}

/* WriteMessage with an empty payload (SSockets/1 sends none), one frame. */
static int produce_handshake_message(ss_engine *e)
{
    uint8_t msg[HANDSHAKE_OUT_MAX];
    size_t len;
    int index = e->index;
    int rc = ss_handshake_write(e->hs, msg, sizeof msg, &len, NULL, 0);
    if (rc != 0)
        return engine_fail(e, rc, "writing handshake message %d", index);
    trace_line(e, "SSockets/1: %s frame %d = handshake message %d (%zu bytes)",
               e->server ? "<-" : "->", index, index, len);
    trace_wire(e, "sent", msg, len);
    uint8_t *p = new_output(e, len, OUT_HANDSHAKE);
    if (p == NULL)
        return -1;
    memcpy(p, msg, len);
    e->out_index = index;
    e->index++;
    if (ss_handshake_done(e->hs))
        finish_handshake(e);
    return 0;
}

/* Produces what is due when the output is empty: the client's frame 0,
 * then each handshake message when it is our turn. */
static void pump(ss_engine *e)
{
    if (e->out != NULL)
        return;
    if (e->state == ST_NAME && !e->server)
        produce_name(e);
    else if (e->state == ST_HANDSHAKE && ss_handshake_my_turn(e->hs))
        produce_handshake_message(e);
}

/* Frame 0 has arrived at the server: which pattern, and do we accept it? */
static int receive_name(ss_engine *e, const uint8_t *name, size_t len)
{
    char shown[SS_NOISE_NAME_MAX];
    trace_wire(e, "received", name, len);
    printable(shown, sizeof shown, name, len);
    if (ss_noise_pattern_from_name(&e->pattern, name, len) != 0)
        return engine_fail(e, SS_ERR_BAD_PROTOCOL, "the client proposed \"%s\"", shown);
    /* Refusing says so (the refusal frame) and what we accept, which
     * reveals no key: only whether we hold one and check clients. */
    if (!server_accepts(&e->cfg, e->pattern)) {
        char detail[160];
        trace_line(e, "SSockets/1: -> frame 0 = \"%s\": refused, this server accepts %s", shown,
                   server_offer(&e->cfg));
        snprintf(detail, sizeof detail, "the client proposed %s; this server accepts %s", shown,
                 server_offer(&e->cfg));
        return refuse_in_clear(e, REFUSAL_PATTERN, server_offer(&e->cfg),
                               SS_ERR_PATTERN_REFUSED, detail);
    }
    trace_line(e, "SSockets/1: -> frame 0 = protocol name \"%s\": accepted", shown);
    return start_handshake(e, shown);
}

/* ReadMessage on one frame; then, if the message revealed the peer's
 * static key (XX), the key checks. */
static int receive_handshake_message(ss_engine *e, const uint8_t *msg, size_t len)
{
    ss_handshake *hs = e->hs;
    int index = e->index;
    /* The client's first answer may be the server's refusal instead. */
    if (!e->server && index == 2 && len > REFUSAL_MAGIC_LEN &&
        memcmp(msg, REFUSAL_MAGIC, REFUSAL_MAGIC_LEN) == 0) {
        trace_wire(e, "received", msg, len);
        return receive_refusal(e, msg, len);
    }
    trace_line(e, "SSockets/1: %s frame %d = handshake message %d (%zu bytes)",
               e->server ? "->" : "<-", index, index, len);
    trace_wire(e, "received", msg, len);

    /* The payload must not overlap msg (noise.h); SSockets/1 payloads are
     * empty, but a peer's may not be, and it must fit to be refused with
     * its size. */
    uint8_t *payload = malloc(len > 0 ? len : 1);
    if (payload == NULL)
        return engine_fail(e, SS_ERR_NOMEM, "handshake message %d", index);
    size_t payload_len;
    int had_rs = hs->has_rs;
    int nk_responder = e->server && ss_noise_classical(e->pattern) == SS_NOISE_NK;
    int rc = ss_handshake_read(hs, payload, len, &payload_len, msg, len);
    ss_wipe(payload, len > 0 ? len : 1);
    free(payload);
    if (rc == SS_ERR_TAMPERED && nk_responder)
        /* NK message 1 is encrypted to our static key (es): a client that
         * pinned another server key produces exactly this failure. */
        return refuse_in_clear(e, REFUSAL_MESSAGE_1, NULL, rc,
                               "handshake message 1 did not authenticate: the client "
                               "probably pinned a different server key");
    if (rc != 0)
        return engine_fail(e, rc, "handshake message %d (%zu bytes)", index, len);
    if (payload_len != 0)
        return engine_fail(e, SS_ERR_BAD_FRAME,
                           "handshake message %d carries a %zu-byte payload; "
                           "SSockets/1 payloads are empty",
                           index, payload_len);
    e->index++;
    if (!had_rs && hs->has_rs) {
        rc = e->server ? check_client_key(e, hs->rs) : check_server_key(e, hs->rs);
        if (rc != 0)
            return rc;
    }
    if (ss_handshake_done(hs))
        finish_handshake(e);
    else
        pump(e); /* our answer, if it is our turn */
    return 0;
}

/* ------------------------------------------------------------------ */
/* Creating and destroying                                             */
/* ------------------------------------------------------------------ */

static ss_engine *engine_alloc(int server, const ss_config *cfg)
{
    ss_engine *e = calloc(1, sizeof *e);
    if (e == NULL) {
        ss_fail(NULL, SS_ERR_NOMEM, "allocating a protocol engine");
        return NULL;
    }
    e->server = server != 0;
    e->cfg = *cfg;
    e->plain = cfg->plain != 0;
    e->state = ST_NAME;
    e->err.code = SS_OK;
    snprintf(e->err.message, sizeof e->err.message, "%s", ss_strerror(SS_OK));
    return e;
}

int ss_engine_check_config(int server, const ss_config *cfg)
{
    ss_noise_pattern pattern;
    return server ? check_server_config(cfg) : client_pattern(&pattern, cfg);
}

ss_engine *ss_engine_new(int server, const ss_config *cfg)
{
    const ss_config none = {0};
    if (cfg == NULL)
        cfg = &none;
    ss_noise_pattern pattern = SS_NOISE_NN;
    if (server ? check_server_config(cfg) < 0 : client_pattern(&pattern, cfg) < 0)
        return NULL;
    ss_engine *e = engine_alloc(server, cfg);
    if (e == NULL)
        return NULL;
    e->pattern = pattern;
    if (e->plain) {
        /* No handshake: transport frames in clear from the start. */
        e->state = ST_OPEN;
        e->established = 1;
    } else if (!e->server) {
        pump(e); /* frame 0 */
    }
    return e;
}

void ss_engine_free(ss_engine *e)
{
    if (e == NULL)
        return;
    release_hs(e);
    release_in(e);
    release_out(e);
    ss_wipe(e, sizeof *e);
    free(e);
}

/* ------------------------------------------------------------------ */
/* Input                                                               */
/* ------------------------------------------------------------------ */

/* Frame 0 holds a name of at most SS_NOISE_NAME_MAX - 1 bytes: a peer
 * announcing 18,245 bytes where a 32-byte name belongs is refused before
 * its body is awaited. */
static int check_length(ss_engine *e, size_t len)
{
    if (e->state == ST_NAME && len > SS_NOISE_NAME_MAX - 1)
        return engine_fail(e, SS_ERR_BAD_PROTOCOL,
                           "frame 0 is longer than any protocol name (not an SSockets/1 client?)");
    /* The client's first answer: "hello\n" or "HTTP/1.1 400" read as a
     * length asks for some 20,000 bytes; say what came instead of waiting. */
    if (!e->server && e->state == ST_HANDSHAKE && e->index == 2 && len > ANSWER_MAX) {
        char shown[33];
        size_t seen = e->in_end - e->in_start;
        printable(shown, sizeof shown, e->in + e->in_start, seen);
        return engine_fail(e, SS_ERR_BAD_PROTOCOL,
                           "the server's answer begins \"%s\" (%zu bytes), which is not an "
                           "SSockets/1 frame",
                           shown, seen);
    }
    return 0;
}

/* A transport frame of len bytes has arrived whole at frame (in e->in):
 * authenticate, decrypt in place and check its type. The body is then
 * frame[1 .. 1 + rx_len). */
static int open_fragment(ss_engine *e, uint8_t *frame, size_t len)
{
    trace_wire(e, "received", frame, len);
    /* Checked once the frame is whole, so a short frame cut by the end of
     * the stream is reported as the cut it is (SS_ERR_TRUNCATED). */
    if (!e->plain && len < 1 + TAG_LEN)
        return engine_fail(e, SS_ERR_BAD_FRAME,
                           "a %zu-byte transport frame (a type byte and a tag need 17)", len);
    if (e->plain && len < 1)
        return engine_fail(e, SS_ERR_BAD_FRAME, "an empty frame (no type byte)");
    size_t plain_len = len;
    if (!e->plain) {
        if (!e->traced_recv) {
            trace_first_nonce(e, "received", e->recv_cs.n);
            e->traced_recv = 1;
        }
        /* DecryptWithAd (Noise §5.1) -> ss_aead_open: the tag is checked
         * before any plaintext is released. The nonce is our count of
         * frames received, so a frame that was modified, replayed,
         * reordered or dropped by someone on the path fails here: its tag
         * was computed under another nonce. */
        uint64_t n = e->recv_cs.n;
        int rc = ss_cipher_decrypt(&e->recv_cs, frame, NULL, 0, frame, len);
        if (rc != 0)
            return engine_fail(e, rc, "transport frame %llu (%zu bytes)", (unsigned long long)n,
                               len);
        plain_len = len - TAG_LEN;
    }
    uint8_t type = frame[0];
    size_t body = plain_len - 1;
    if (type == TYPE_REFUSED && !e->server && body == 1)
        /* Sealed with the server's key: the server itself refused us. */
        return engine_fail(e, frame[1] == REFUSED_NOT_PINNED ? SS_ERR_WRONG_PEER_KEY
                                                             : SS_ERR_UNKNOWN_CLIENT_KEY,
                           "the server refused our static key: %s (its refusal is "
                           "authenticated)",
                           frame[1] == REFUSED_NOT_PINNED ? "it is not the key the server pinned"
                           : frame[1] == REFUSED_NOT_ALLOWED ? "it is not in the server's allow-list"
                                                             : "for an unknown reason");
    if (type > TYPE_CLOSE)
        return engine_fail(e, SS_ERR_BAD_TYPE, "type 0x%02x", type);
    if (type == TYPE_CLOSE && body != 0)
        return engine_fail(e, SS_ERR_BAD_FRAME, "a close frame with a body");
    if (type == TYPE_MORE && body == 0)
        /* An empty "more follows" fragment carries nothing and could be
         * repeated without end; no sender needs one. */
        return engine_fail(e, SS_ERR_BAD_FRAME, "an empty 'more follows' fragment");
    if (type == TYPE_CLOSE) {
        if (e->rx_more)
            return engine_fail(e, SS_ERR_TRUNCATED, "the peer closed in the middle of a message");
        e->peer_closed = 1;
        return 0;
    }
    e->rx_ready = 1;
    e->rx_pos = 0;
    e->rx_len = body;
    return 0;
}

/* The frame at in_start has been used (handshake message read, fragment
 * taken, close frame seen): its bytes go, wiped if they held plaintext,
 * and the buffer goes with the last of them. */
static void consume_frame(ss_engine *e, size_t len)
{
    if (e->state == ST_OPEN || e->state == ST_FAILED)
        ss_wipe(e->in + e->in_start, 2 + len); /* decrypted, or clear in plain mode */
    e->in_start += 2 + len;
    e->rx_ready = 0;
    e->rx_pos = e->rx_len = 0;
    if (e->in_start == e->in_end) {
        /* Empty: no buffer is kept between messages. The next one is as
         * large as this one was (a stream goes on at full speed). */
        e->next_large = e->in_cap == IN_LARGE;
        free(e->in);
        e->in = NULL;
        e->in_cap = e->in_start = e->in_end = 0;
    }
}

/* The length of the frame at in_start, once its 2 bytes are in. */
static size_t frame_length(const ss_engine *e)
{
    return ((size_t)e->in[e->in_start] << 8) | e->in[e->in_start + 1];
}

/* One whole frame of len bytes at in_start: what it is depends on the
 * state. */
static int dispatch_frame(ss_engine *e, size_t len)
{
    uint8_t *frame = e->in + e->in_start + 2;
    int rc;
    switch (e->state) {
    case ST_NAME:
        rc = receive_name(e, frame, len);
        break;
    case ST_HANDSHAKE:
        rc = receive_handshake_message(e, frame, len);
        break;
    case ST_OPEN:
        rc = open_fragment(e, frame, len);
        if (rc == 0 && e->rx_ready)
            return 0; /* kept until the fragment is taken */
        if (rc == 0 && e->in_end - e->in_start > 2 + len)
            /* The close frame came with more bytes behind it. */
            rc = engine_fail(e, SS_ERR_DATA_AFTER_CLOSE, "bytes followed the peer's close frame");
        break;
    default:
        return repeat_error(e);
    }
    if (rc == 0)
        consume_frame(e, len);
    return rc;
}

/* Uses the whole frames at the start of the buffer, one after the other,
 * until a decrypted fragment waits for ss_engine_recv, the peer's close
 * has come, or the rest of a frame is missing. Several frames may have
 * come in one read; each is still authenticated and checked on its own,
 * in order, and at the moment a one-frame-at-a-time reader would have
 * read it: a handshake message only once our answer to the last one has
 * been written (ss_engine_output_done), the frames behind the handshake
 * only when ss_engine_recv asks for them (so a bad first transport frame
 * fails ss_engine_recv, not the handshake that came before it). A failure
 * wipes and frees everything received: no byte of a frame that failed a
 * check stays, nor of the frames behind it. */
static int process_input(ss_engine *e)
{
    while (e->state != ST_FAILED && !e->rx_ready && !e->peer_closed && e->in != NULL &&
           e->in_end - e->in_start >= 2) {
        int handshaking = e->state != ST_OPEN;
        if (handshaking && e->out != NULL)
            return 0; /* our message goes out before the peer's next is read */
        size_t len = frame_length(e);
        if (check_length(e, len) < 0)
            break;
        if (e->in_end - e->in_start < 2 + len)
            return 0; /* the rest of this frame has not arrived */
        if (dispatch_frame(e, len) < 0)
            break;
        if (handshaking && e->state == ST_OPEN)
            return 0; /* transport frames wait for ss_engine_recv */
    }
    if (e->state != ST_FAILED)
        return 0;
    release_in(e);
    return -1;
}

/* 1 when a whole frame waits in the buffer, not yet used. */
static int frame_waiting(const ss_engine *e)
{
    if (e->in == NULL || e->in_end - e->in_start < 2)
        return 0;
    return e->in_end - e->in_start >= 2 + frame_length(e);
}

/* A buffer of cap bytes with the unused bytes moved to its start. 0 or -1
 * (SS_ERR_NOMEM). */
static int input_resize(ss_engine *e, size_t cap)
{
    size_t have = e->in_end - e->in_start;
    uint8_t *p = malloc(cap);
    if (p == NULL)
        return engine_fail(e, SS_ERR_NOMEM, "a %zu-byte receive buffer", cap);
    if (e->in != NULL) {
        memcpy(p, e->in + e->in_start, have);
        ss_wipe(e->in + e->in_start, have); /* clear frames in plain mode */
        free(e->in);
    }
    e->in = p;
    e->in_cap = cap;
    e->in_start = 0;
    e->in_end = have;
    return 0;
}

uint8_t *ss_engine_input_buffer(ss_engine *e, size_t *want)
{
    *want = 0;
    /* No input while a fragment waits to be taken or a whole frame waits
     * to be used (ss_engine_recv uses it): that is the back-pressure, the
     * engine never holds more than one buffer of input. */
    if (e == NULL || e->state == ST_FAILED)
        return NULL;
    /* A handshake message that came with the last one is read now that
     * our answer has gone out. */
    if (e->state != ST_OPEN && frame_waiting(e) && process_input(e) < 0)
        return NULL;
    if (e->rx_ready || frame_waiting(e))
        return NULL;
    if (e->peer_closed) {
        /* Nothing may follow the close frame; a byte that does is taken
         * only to be reported (ss_engine_input_done). */
        *want = 1;
        return e->after_close;
    }
    /* A server takes input from the start; a client once its frame 0 is out
     * (the server says nothing before it). Either way: the input is
     * independent of the output, so nothing more to check. */
    size_t have = e->in_end - e->in_start;
    size_t need = have < 2 ? 2 : 2 + frame_length(e); /* the frame at in_start */
    if (e->in == NULL || need > e->in_cap) {
        size_t cap = e->next_large ? IN_LARGE : IN_SMALL;
        if (need > cap)
            cap = IN_LARGE;
        if (input_resize(e, cap) < 0)
            return NULL;
    } else if (need > e->in_cap - e->in_start) {
        /* The rest of this frame does not fit behind it: move its start
         * (ciphertext, or a partial frame) to the front. */
        memmove(e->in, e->in + e->in_start, have);
        if (e->plain)
            ss_wipe(e->in + have, e->in_start); /* the old copy was in clear */
        e->in_start = 0;
        e->in_end = have;
    }
    *want = e->in_cap - e->in_end;
    return e->in + e->in_end;
}

int ss_engine_input_done(ss_engine *e, size_t n)
{
    if (e == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_input_done: no engine");
    if (e->state == ST_FAILED)
        return repeat_error(e);
    if (n == 0) {
        /* A read that found nothing: the peer is quiet, so an empty buffer
         * is not kept while the caller waits. (The next one is as large:
         * a stream's reader often catches up with its writer.) */
        if (e->in != NULL && e->in_start == e->in_end) {
            free(e->in);
            e->in = NULL;
            e->in_cap = e->in_start = e->in_end = 0;
        }
        return 0;
    }
    if (e->peer_closed)
        return engine_fail(e, SS_ERR_DATA_AFTER_CLOSE, "bytes followed the peer's close frame");
    if (e->in == NULL || n > e->in_cap - e->in_end)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_input_done: more bytes than wanted");
    e->in_end += n;
    return process_input(e);
}

ssize_t ss_engine_feed(ss_engine *e, const uint8_t *in, size_t len)
{
    size_t done = 0;
    if (e == NULL || (in == NULL && len > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_feed: no engine or no bytes");
    if (e->state == ST_FAILED)
        return repeat_error(e);
    while (done < len) {
        size_t want;
        uint8_t *p = ss_engine_input_buffer(e, &want);
        if (p == NULL)
            break;
        size_t n = len - done < want ? len - done : want;
        memcpy(p, in + done, n);
        done += n;
        if (ss_engine_input_done(e, n) < 0)
            return -1;
    }
    return (ssize_t)done;
}

int ss_engine_input_end(ss_engine *e)
{
    if (e == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_input_end: no engine");
    if (e->state == ST_FAILED)
        return repeat_error(e);
    int mid_frame = e->in_end > e->in_start;
    switch (e->state) {
    case ST_NAME:
        if (e->server)
            return engine_fail(e, SS_ERR_PEER_GONE, "the client left before proposing a protocol");
        return engine_fail(e, SS_ERR_PEER_GONE, "the server closed the connection at once");
    case ST_HANDSHAKE:
        return handshake_peer_gone(e, e->index, 0);
    default:
        if (e->peer_closed)
            return 0;
        if (mid_frame)
            return engine_fail(e, SS_ERR_TRUNCATED, "the stream ended in the middle of a frame");
        /* The stream ended cleanly at a frame boundary, but without the
         * authenticated close: anyone on the path could have cut it. */
        return engine_fail(e, SS_ERR_TRUNCATED, "the stream ended with no close frame");
    }
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

const uint8_t *ss_engine_output(ss_engine *e, size_t *len)
{
    *len = 0;
    if (e == NULL || (e->state == ST_FAILED && !(e->last_words && e->out != NULL)))
        return NULL;
    if (e->state == ST_FAILED) { /* a refusal, the last frame */
        *len = e->out_len - e->out_pos;
        return e->out + e->out_pos;
    }
    pump(e);
    if (e->out == NULL)
        return NULL;
    *len = e->out_len - e->out_pos;
    return e->out + e->out_pos;
}

void ss_engine_output_done(ss_engine *e, size_t n)
{
    if (e == NULL || e->out == NULL)
        return;
    if (n > e->out_len - e->out_pos)
        n = e->out_len - e->out_pos;
    e->out_pos += n;
    if (e->out_pos == e->out_len) {
        release_out(e);
        if (e->state != ST_FAILED)
            pump(e);
    }
}

int ss_engine_output_failed(ss_engine *e)
{
    if (e == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_output_failed: no engine");
    if (e->state == ST_FAILED)
        return repeat_error(e);
    switch (e->out_kind) {
    case OUT_NAME:
        return engine_fail(e, SS_ERR_PEER_GONE, "the server closed the connection at once");
    case OUT_HANDSHAKE:
        return handshake_peer_gone(e, e->out_index, 1);
    default:
        return engine_fail(e, SS_ERR_PEER_GONE, "a send found the connection closed by the peer "
                                                "(broken pipe or reset)");
    }
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

/* Transport frames of one call: at most this much message, two frames of
 * the largest size, so that a 64 KiB message (two frames: 65,518 bytes and
 * 18) leaves in one write. */
#define SEND_MAX (2 * SS_MAX_FRAGMENT)

/* One transport frame at p: the length, then type || body encrypted in
 * place with our CipherState (or left in clear in plain mode). body is
 * copied once, into the frame, and encrypted there: the output buffer
 * then holds ciphertext only. Returns the frame's size on the wire, or 0
 * (recorded) when the counter is used up. */
static size_t seal_frame(ss_engine *e, uint8_t *p, uint8_t type, const uint8_t *body, size_t len)
{
    size_t frame_len = 1 + len + (e->plain ? 0 : TAG_LEN);
    /* The length goes in network byte order (big-endian), high byte first. */
    p[0] = (uint8_t)(frame_len >> 8);
    p[1] = (uint8_t)frame_len;
    p[2] = type;
    if (len > 0)
        memcpy(p + 3, body, len);
    if (!e->plain) {
        if (!e->traced_send) {
            trace_first_nonce(e, "sent", e->send_cs.n);
            e->traced_send = 1;
        }
        /* EncryptWithAd(empty AD, type || body) (Noise §5.1): noise.c
         * turns n into the nonce, runs ss_aead_seal and increments n. At
         * n = 2^64-1 it refuses (SS_ERR_NONCE_EXHAUSTED): a nonce must
         * never repeat under one key, so the counter never wraps. */
        int rc = ss_cipher_encrypt(&e->send_cs, p + 2, NULL, 0, p + 2, 1 + len);
        if (rc != 0) {
            ss_wipe(p + 2, 1 + len); /* the plaintext */
            engine_fail(e, rc, "after %llu frames", (unsigned long long)e->send_cs.n);
            return 0;
        }
    }
    trace_wire(e, "sent", p + 2, frame_len);
    return 2 + frame_len;
}

/* The fragments of msg[0..len) that one call sends (at most SEND_MAX
 * bytes of it), sealed back to back in one output buffer; type is the
 * last one's when it ends what the call was given. *taken: the bytes of
 * msg they carry. */
static int seal_fragments(ss_engine *e, uint8_t last_type, const uint8_t *msg, size_t len,
                          size_t *taken)
{
    size_t n = len < SEND_MAX ? len : SEND_MAX;
    size_t frames = n == 0 ? 1 : (n + SS_MAX_FRAGMENT - 1) / SS_MAX_FRAGMENT;
    size_t total = frames * (2 + 1 + (e->plain ? 0 : TAG_LEN)) + n;
    uint8_t *p = malloc(total);
    if (p == NULL)
        return engine_fail(e, SS_ERR_NOMEM, "a %zu-byte frame", total);
    e->out = p;
    e->out_len = total;
    e->out_pos = 0;
    e->out_kind = OUT_TRANSPORT;
    size_t at = 0, done = 0;
    do {
        size_t part = n - done < SS_MAX_FRAGMENT ? n - done : SS_MAX_FRAGMENT;
        /* Every fragment but the message's last says "more follows". */
        uint8_t type = done + part < len ? TYPE_MORE : last_type;
        size_t wrote = seal_frame(e, p + at, type, part > 0 ? msg + done : NULL, part);
        if (wrote == 0) {
            release_out(e); /* the frames before hold ciphertext only */
            return -1;
        }
        at += wrote;
        done += part;
    } while (done < n);
    *taken = n;
    return 0;
}

/* The checks ss_engine_send and ss_engine_close share. */
static int can_send(ss_engine *e, const char *what)
{
    if (e->state == ST_FAILED)
        return repeat_error(e);
    if (!e->established)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "%s before the handshake has finished", what);
    if (e->out != NULL)
        return SS_WANT_WRITE;
    return 0;
}

int ss_engine_send(ss_engine *e, const void *msg, size_t len, size_t *taken)
{
    if (taken != NULL)
        *taken = 0;
    if (e == NULL || taken == NULL || (msg == NULL && len > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_send: no engine or no message");
    int rc = can_send(e, "sending");
    if (rc != 0)
        return rc;
    if (e->sent_close)
        /* A caller mistake, not a failure of the connection: receiving
         * still works, so e's error is left alone. */
        return ss_fail(NULL, SS_ERR_CLOSED, "nothing can be sent after our close frame");
    /* Fragments of SS_MAX_FRAGMENT = 65,535 - 1 (type) - 16 (tag) bytes,
     * the last one marked 0x00. An empty message is one empty 0x00 frame,
     * so the receiver sees it (ss_recv returns 0). */
    return seal_fragments(e, TYPE_LAST, msg, len, taken);
}

int ss_engine_close(ss_engine *e)
{
    if (e == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_close: no engine");
    if (e->sent_close && e->state != ST_FAILED)
        return 0;
    int rc = can_send(e, "closing");
    if (rc != 0)
        return rc;
    /* Our close frame: authenticated like data, so the peer can tell our
     * finished stream from one cut by someone else. Sent at most once. */
    e->sent_close = 1;
    size_t taken;
    return seal_fragments(e, TYPE_CLOSE, NULL, 0, &taken);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */
/* ------------------------------------------------------------------ */

ssize_t ss_engine_recv(ss_engine *e, void *buf, size_t cap, int *end)
{
    if (end != NULL)
        *end = 1;
    if (e == NULL || end == NULL || (buf == NULL && cap > 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_engine_recv: no engine or no buffer");
    if (e->state == ST_FAILED)
        return repeat_error(e);
    /* A whole frame that came with the last one is used now: a fragment
     * to hand out, the close, or an error (no byte of it handed out). */
    if (!e->rx_ready && !e->peer_closed && process_input(e) < 0)
        return -1;
    if (e->peer_closed)
        return 0;
    if (!e->rx_ready) {
        /* Between fragments. Inside a message with no room left, the
         * answer is "0 bytes, more follows" without waiting for the next
         * fragment. */
        if (e->rx_more && cap == 0) {
            *end = 0;
            return 0;
        }
        return SS_WANT_READ;
    }
    /* Hand out as much of the fragment as fits: the one copy of the
     * plaintext, from the receive buffer (where it was decrypted in place,
     * after its tag was checked) to the caller's. */
    const uint8_t *frame = e->in + e->in_start + 2;
    size_t take = e->rx_len - e->rx_pos;
    if (take > cap)
        take = cap;
    if (take > 0) {
        memcpy(buf, frame + 1 + e->rx_pos, take);
        e->rx_pos += take;
    }
    if (e->rx_pos < e->rx_len) {
        *end = 0; /* the buffer is full inside a fragment */
        return (ssize_t)take;
    }
    /* Fragment delivered: wipe and forget it. A 0x00 fragment ends the
     * message. The frames behind it, if one read brought several, are
     * used by the next call. */
    e->rx_more = frame[0] == TYPE_MORE;
    consume_frame(e, frame_length(e));
    *end = !e->rx_more;
    return (ssize_t)take;
}

int ss_engine_peer_closed(const ss_engine *e)
{
    return e != NULL && e->peer_closed;
}

int ss_engine_sent_close(const ss_engine *e)
{
    return e != NULL && e->sent_close;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

int ss_engine_established(const ss_engine *e)
{
    return e != NULL && e->established;
}

int ss_engine_error(const ss_engine *e)
{
    return e != NULL ? e->err.code : SS_ERR_ARGUMENT;
}

const char *ss_engine_error_message(const ss_engine *e)
{
    return e != NULL ? e->err.message : ss_strerror(SS_ERR_ARGUMENT);
}

const uint8_t *ss_engine_peer_public_key(const ss_engine *e)
{
    return e != NULL && e->has_peer_key ? e->peer_key : NULL;
}

const char *ss_engine_protocol_name(const ss_engine *e)
{
    if (e == NULL)
        return NULL;
    return e->plain ? "plain" : ss_noise_protocol_name(e->pattern);
}

void ss_engine_handshake_hash(uint8_t out[32], const ss_engine *e)
{
    if (e != NULL && !e->plain && e->established)
        memcpy(out, e->handshake_hash, 32);
    else
        memset(out, 0, 32);
}

size_t ss_engine_memory(const ss_engine *e)
{
    if (e == NULL)
        return 0;
    return sizeof *e + (e->hs != NULL ? sizeof *e->hs : 0) + e->in_cap + e->out_len;
}

int ss_engine_session_keys(const ss_engine *e, uint8_t initiator_ephemeral[32], uint8_t k1[32],
                           uint8_t k2[32])
{
    if (e == NULL || e->plain || !e->established)
        return -1;
    /* k1 is the initiator's sending key (noise.c's Split pairing). */
    const ss_cipher_state *c1 = e->server ? &e->recv_cs : &e->send_cs;
    const ss_cipher_state *c2 = e->server ? &e->send_cs : &e->recv_cs;
    memcpy(initiator_ephemeral, e->initiator_e, 32);
    memcpy(k1, c1->k, 32);
    memcpy(k2, c2->k, 32);
    return 0;
}

ss_engine *ss_engine_established_for_tests(const ss_cipher_state *send,
                                           const ss_cipher_state *recv)
{
    const ss_config none = {0};
    ss_engine *e = engine_alloc(0, &none);
    if (e == NULL)
        return NULL;
    e->pattern = SS_NOISE_NN;
    e->send_cs = *send;
    e->recv_cs = *recv;
    e->state = ST_OPEN;
    e->established = 1;
    return e;
}
