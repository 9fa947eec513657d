/*
 * frame_recv.c — fuzz target: the transport-frame receiver of the protocol
 * engine (open_fragment and ss_engine_recv in src/net/engine.c) on an
 * established engine, checked against a reference model of
 * docs/protocol.md.
 *
 * The input is turned into the byte stream a peer sends. No socket: the
 * stream is handed to an engine made by the test hook of
 * engine_internal.h (established, receiving with a transport key this file
 * knows) in pieces of several sizes (ss_engine_feed), with the stream's end
 * reported as the peer's FIN would be (ss_engine_input_end), and
 * ss_engine_recv is called, with receive buffers of several sizes, until it
 * fails or reports the peer's close.
 *
 * Input layout:
 *   byte 0     bit 0: 1 = raw mode, 0 = record mode;
 *              bit 1: both frame counters start at 2^64 - 1 - (bits 2..3),
 *                     so the nonce runs out after at most 3 frames
 *   bytes 1-2  four receive-buffer sizes, one per nibble (CAPS[nibble & 7]),
 *              used in turn by successive ss_engine_recv calls
 *   raw mode:    the rest is the peer's byte stream, as is (random bytes
 *                almost never pass a tag: this mode tests the framing and
 *                length checks before it).
 *   record mode: the rest is a list of operations that build the stream,
 *                the way an honest sender with the transport key would,
 *                plus the mistakes of a broken or hostile one:
 *       op % 8   0-2  SEAL len(1) plain[len]     frame = ChaCha20-Poly1305 of
 *                                                 type || body (plain[0] is
 *                                                 the type) under the
 *                                                 sender's counter n; n++
 *                3    BIG size(2) type(1) fill(1) the same with a plaintext of
 *                                                 `size` bytes (at most
 *                                                 65,519): large frames from
 *                                                 small inputs
 *                4    RAW len(1) bytes[len]      appended as they are
 *                5    FLIP back(2) mask(1)       XOR mask (0 means 1) into the
 *                                                 byte `back` bytes before
 *                                                 the end (modulo the length)
 *                6    SKIP delta(1, signed)      n += delta: replayed,
 *                                                 reordered or dropped frames
 *                7    DUP k(1)                   k even: resend the last frame;
 *                                                 k odd: cut k / 2 bytes off
 *                                                 the end
 *   The record mode is the interesting one: its frames pass the tag, so the
 *   fuzzer reaches the type byte, the fragment rules, the close frame and
 *   what follows it.
 *
 * The oracle: model() reads the same bytes the way docs/protocol.md
 * describes, decrypting with OpenSSL instead of the library, and says what
 * a correct receiver delivers: the bodies of the authentic data fragments
 * in order, where each message ends, and how the stream ends (the close
 * frame, or which error). Any difference from what the engine did aborts.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "net/engine.h"
#include "net/engine_internal.h"
#include "net/error.h"
#include "oracle.h"

#define TAG_LEN 16
#define FRAME_MAX 65535                  /* a 2-byte length */
#define PLAIN_MAX (FRAME_MAX - TAG_LEN)  /* type || body of the largest frame */
#define TYPE_LAST 0x00
#define TYPE_MORE 0x01
#define TYPE_CLOSE 0x02
#define TYPE_REFUSED 0x03 /* docs/protocol.md: the server refused our key */

/* The stream is cut here. */
#define WIRE_MAX (256 * 1024)
/* The smallest frame is 2 + 17 bytes, so no stream ends more messages. */
#define ENDS_MAX (WIRE_MAX / (2 + 1 + TAG_LEN) + 1)

/* Receive-buffer sizes: nothing, tiny, around the 16-byte tag, one frame's
 * body exactly (SS_MAX_FRAGMENT), and more than any frame. */
static const size_t CAPS[8] = {0, 1, 3, 16, 17, 1000, SS_MAX_FRAGMENT, 200000};
#define CAP_MAX 200000

/* What a receiver did with a stream, or should have done. */
typedef struct {
    uint8_t data[WIRE_MAX];  /* every byte handed out, in order */
    size_t len;
    size_t ends[ENDS_MAX];   /* offsets in data where a message ended */
    size_t n_ends;
    int closed;              /* the stream ended with the peer's close frame */
    int error;               /* SS_OK after the close frame, else what ended the stream */
} outcome;

static outcome want, got;

static void outcome_reset(outcome *o)
{
    o->len = o->n_ends = 0;
    o->closed = 0;
    o->error = SS_OK;
}

/* Noise §5.1 / §12.3: the nonce is 32 zero bits, then n little-endian. */
static void nonce_of(uint8_t nonce[12], uint64_t n)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* ------------------------------------------------------------------ */
/* The reference model: docs/protocol.md §6 and §7                   */
/* ------------------------------------------------------------------ */

static void model(outcome *o, const uint8_t *wire, size_t len, const uint8_t key[32], uint64_t n)
{
    static uint8_t plain[FRAME_MAX];
    uint8_t nonce[12];
    size_t pos = 0;
    int more = 0; /* the current message continues in the next fragment */
    outcome_reset(o);
    for (;;) {
        /* The end of the stream, at a frame boundary or inside a frame:
         * either way no close frame came. */
        if (len - pos < 2) {
            o->error = SS_ERR_TRUNCATED;
            return;
        }
        size_t frame_len = (size_t)wire[pos] << 8 | wire[pos + 1];
        pos += 2;
        if (len - pos < frame_len) {
            o->error = SS_ERR_TRUNCATED;
            return;
        }
        const uint8_t *frame = wire + pos;
        pos += frame_len;
        if (frame_len < 1 + TAG_LEN) { /* no room for a type byte and a tag */
            o->error = SS_ERR_BAD_FRAME;
            return;
        }
        if (n == UINT64_MAX) { /* Noise §5.1: n = 2^64-1 is never used */
            o->error = SS_ERR_NONCE_EXHAUSTED;
            return;
        }
        size_t plain_len = frame_len - TAG_LEN;
        nonce_of(nonce, n);
        const uint8_t *tag = frame + plain_len;
        if (oracle_aead_open(plain, key, nonce, NULL, 0, frame, plain_len, tag) != 0) {
            o->error = SS_ERR_TAMPERED;
            return;
        }
        n++;
        uint8_t type = plain[0];
        size_t body_len = plain_len - 1;
        /* The receiver is a client: a sealed "refused" frame with its one
         * reason byte ends the connection with the error it names (reason
         * 2: our key is not the one the server pinned; any other: not in
         * its allow-list). */
        if (type == TYPE_REFUSED && body_len == 1) {
            o->error = plain[1] == 2 ? SS_ERR_WRONG_PEER_KEY : SS_ERR_UNKNOWN_CLIENT_KEY;
            return;
        }
        if (type > TYPE_CLOSE) {
            o->error = SS_ERR_BAD_TYPE;
            return;
        }
        if ((type == TYPE_CLOSE && body_len != 0) || (type == TYPE_MORE && body_len == 0)) {
            o->error = SS_ERR_BAD_FRAME;
            return;
        }
        if (type == TYPE_CLOSE) {
            if (more) { /* a message was cut short by the close */
                o->error = SS_ERR_TRUNCATED;
                return;
            }
            /* docs/protocol.md §7: "Any byte after the peer's close frame
             * is SS_ERR_DATA_AFTER_CLOSE". The harness hands the engine
             * every byte of the stream, so it sees them. */
            if (pos < len)
                o->error = SS_ERR_DATA_AFTER_CLOSE;
            else
                o->closed = 1;
            return;
        }
        memcpy(o->data + o->len, plain + 1, body_len);
        o->len += body_len;
        more = type == TYPE_MORE;
        if (!more)
            o->ends[o->n_ends++] = o->len;
    }
}

/* ------------------------------------------------------------------ */
/* The library, driven the way an application would                    */
/* ------------------------------------------------------------------ */

static void run_receiver(outcome *o, ss_engine *e, const size_t caps[4], const uint8_t *wire,
                         size_t wire_len)
{
    /* Each call's buffer ends where this heap block ends, so a byte
     * written past cap is an AddressSanitizer report. */
    static uint8_t *block;
    if (block == NULL)
        block = fuzz_alloc(CAP_MAX);
    /* Every fourth call at least has room (see LLVMFuzzerTestOneInput),
     * and each call either hands out a byte, ends a message, or feeds at
     * least one byte; so this many calls without an end means the engine
     * is stuck. */
    size_t limit = 8 * (wire_len + 16);
    size_t pos = 0;
    int ended = 0;
    outcome_reset(o);
    for (size_t call = 0;; call++) {
        FUZZ_CHECK(call < limit, "the engine makes no progress");
        size_t cap = caps[call % 4];
        uint8_t *buf = block + CAP_MAX - cap;
        int end;
        ssize_t r = ss_engine_recv(e, buf, cap, &end);
        if (r == SS_WANT_READ) {
            FUZZ_CHECK(!ended, "the engine wants bytes after the end of the stream");
            if (pos < wire_len) {
                /* Pieces of the sizes of the receive buffers (plus one, so
                 * never empty): lengths split across calls, frames whole. */
                size_t piece = cap + 1 < wire_len - pos ? cap + 1 : wire_len - pos;
                ssize_t n = ss_engine_feed(e, wire + pos, piece);
                if (n >= 0) {
                    FUZZ_CHECK(n > 0, "the engine took nothing while wanting bytes");
                    pos += (size_t)n;
                    continue;
                }
            } else {
                ended = 1;
                FUZZ_CHECK(ss_engine_input_end(e) == -1, "a stream without a close ended well");
            }
            r = -1;
        }
        if (r < 0) {
            o->error = ss_engine_error(e);
            FUZZ_CHECK(o->error != SS_OK, "the engine failed without an error code");
            FUZZ_CHECK(ss_last_error(NULL) == o->error, "the thread's error differs from e's");
            /* Any error ends the engine: the next call repeats it. */
            FUZZ_CHECK(ss_engine_recv(e, buf, cap, &end) == -1 && ss_engine_error(e) == o->error,
                       "a failed engine did not stay failed");
            return;
        }
        FUZZ_CHECK((size_t)r <= cap, "ss_engine_recv returned more than the buffer holds");
        if (ss_engine_peer_closed(e)) {
            FUZZ_CHECK(r == 0 && end, "the close came with bytes");
            /* The stream must end here: a byte after the close is an error. */
            if (pos < wire_len) {
                FUZZ_CHECK(ss_engine_feed(e, wire + pos, wire_len - pos) == -1,
                           "bytes after the close frame were accepted");
                o->error = ss_engine_error(e);
                return;
            }
            FUZZ_CHECK(ss_engine_input_end(e) == 0, "the end after the close is not clean");
            break;
        }
        FUZZ_CHECK(o->len + (size_t)r <= WIRE_MAX, "more bytes out than went in");
        memcpy(o->data + o->len, buf, (size_t)r);
        o->len += (size_t)r;
        if (end) {
            FUZZ_CHECK(o->n_ends < ENDS_MAX, "more message ends than frames");
            o->ends[o->n_ends++] = o->len;
        }
    }
    o->closed = 1;
    /* The end stays the end: the next call returns 0 again. */
    int end;
    FUZZ_CHECK(ss_engine_recv(e, block, CAP_MAX, &end) == 0 && ss_engine_peer_closed(e) && end,
               "after the close, ss_engine_recv must keep returning 0");
}

static void compare(const outcome *model_says, const outcome *library_did)
{
    if (model_says->error != library_did->error || model_says->closed != library_did->closed)
        fprintf(stderr, "frame_recv: model: error %d (%s), closed %d; engine: error %d (%s), "
                        "closed %d\n",
                model_says->error, ss_strerror(model_says->error), model_says->closed,
                library_did->error, ss_strerror(library_did->error), library_did->closed);
    FUZZ_CHECK(model_says->error == library_did->error, "the stream ended with another error");
    FUZZ_CHECK(model_says->closed == library_did->closed, "close frame accepted by one side only");
    /* Every byte handed out is authentic and in order: a prefix of the
     * model's bytes. It holds every complete message; only when the
     * stream failed may the tail of an unfinished message be missing
     * (the fragment that failed is never handed out). */
    size_t complete = model_says->n_ends > 0 ? model_says->ends[model_says->n_ends - 1] : 0;
    FUZZ_CHECK(library_did->len <= model_says->len &&
                   memcmp(model_says->data, library_did->data, library_did->len) == 0,
               "ss_engine_recv handed out other bytes than the authentic fragments");
    FUZZ_CHECK(library_did->len >= complete, "ss_engine_recv lost bytes of a complete message");
    FUZZ_CHECK(model_says->error != SS_OK || library_did->len == model_says->len,
               "a cleanly closed stream did not deliver every byte");
    FUZZ_CHECK(model_says->n_ends == library_did->n_ends &&
                   memcmp(model_says->ends, library_did->ends,
                          model_says->n_ends * sizeof model_says->ends[0]) == 0,
               "message boundaries differ");
}

/* ------------------------------------------------------------------ */
/* Building the stream (record mode)                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    uint8_t wire[WIRE_MAX];
    size_t len;
    uint64_t n;                  /* the sender's frame counter */
    size_t last_start, last_len; /* the last sealed frame, for DUP */
} sender;

static sender tx;

/* Appends what fits under WIRE_MAX. */
static void put(sender *s, const uint8_t *p, size_t n)
{
    if (n > WIRE_MAX - s->len)
        n = WIRE_MAX - s->len;
    memmove(s->wire + s->len, p, n);
    s->len += n;
}

static void seal_frame(sender *s, const uint8_t key[32], const uint8_t *plain, size_t len)
{
    static uint8_t frame[2 + FRAME_MAX];
    uint8_t nonce[12];
    size_t frame_len = len + TAG_LEN; /* len <= PLAIN_MAX, so this fits 16 bits */
    frame[0] = (uint8_t)(frame_len >> 8);
    frame[1] = (uint8_t)frame_len;
    nonce_of(nonce, s->n++);
    oracle_aead_seal(frame + 2, frame + 2 + len, key, nonce, NULL, 0, plain, len);
    s->last_start = s->len;
    put(s, frame, 2 + frame_len);
    s->last_len = s->len - s->last_start;
}

static void build_records(sender *s, fuzz_input *in, const uint8_t key[32])
{
    static uint8_t plain[PLAIN_MAX];
    size_t n;
    while (in->left > 0 && s->len < WIRE_MAX) {
        switch (fuzz_u8(in) % 8) {
        case 0:
        case 1:
        case 2: { /* SEAL */
            const uint8_t *p = fuzz_bytes(in, fuzz_u8(in), &n);
            seal_frame(s, key, p, n);
            break;
        }
        case 3: { /* BIG */
            size_t size = fuzz_u16(in) % (PLAIN_MAX + 1);
            uint8_t type = fuzz_u8(in), fill = fuzz_u8(in);
            if (size > 0) {
                plain[0] = type;
                memset(plain + 1, fill, size - 1);
            }
            seal_frame(s, key, plain, size);
            break;
        }
        case 4: { /* RAW */
            const uint8_t *p = fuzz_bytes(in, fuzz_u8(in), &n);
            put(s, p, n);
            break;
        }
        case 5: { /* FLIP */
            size_t back = fuzz_u16(in);
            uint8_t mask = fuzz_u8(in);
            if (s->len > 0)
                s->wire[s->len - 1 - back % s->len] ^= mask != 0 ? mask : 1;
            break;
        }
        case 6: /* SKIP */
            s->n += (uint64_t)(int64_t)(int8_t)fuzz_u8(in);
            break;
        default: { /* DUP */
            uint8_t k = fuzz_u8(in);
            if (k % 2 == 0 && s->last_len > 0 && s->last_start + s->last_len <= s->len)
                put(s, s->wire + s->last_start, s->last_len);
            else if (k % 2 == 1)
                s->len -= k / 2 < s->len ? k / 2 : s->len;
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ */
/* One input                                                           */
/* ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_keys *keys = fuzz_get_keys();
    fuzz_input in = fuzz_begin(data, size);
    uint8_t flags = fuzz_u8(&in);
    uint16_t cap_bits = fuzz_u16(&in);
    size_t caps[4];
    for (int i = 0; i < 4; i++)
        caps[i] = CAPS[(cap_bits >> (4 * i)) & 7];
    if (caps[0] == 0 && caps[1] == 0 && caps[2] == 0 && caps[3] == 0)
        caps[3] = 1; /* some call must have room, or nothing can progress */
    uint64_t first_n = (flags & 2) ? UINT64_MAX - ((flags >> 2) & 3) : 0;

    /* The peer's stream. */
    tx.len = tx.last_start = tx.last_len = 0;
    tx.n = first_n;
    if (flags & 1) {
        size_t n;
        const uint8_t *p = fuzz_bytes(&in, WIRE_MAX, &n);
        put(&tx, p, n);
    } else {
        build_records(&tx, &in, keys->transport_key);
    }

    /* The engine: it receives with the transport key (from first_n) and
     * sends with another (it sends nothing here). */
    ss_cipher_state send_cs = {{0}, first_n, 1}, recv_cs = {{0}, first_n, 1};
    memcpy(send_cs.k, keys->remote_static.public_key, 32); /* any other key */
    memcpy(recv_cs.k, keys->transport_key, 32);
    ss_engine *e = ss_engine_established_for_tests(&send_cs, &recv_cs);
    FUZZ_CHECK(e != NULL, "ss_engine_established_for_tests failed");

    /* What the receiver should do with exactly these bytes. */
    model(&want, tx.wire, tx.len, keys->transport_key, first_n);
    run_receiver(&got, e, caps, tx.wire, tx.len);
    compare(&want, &got);

    ss_engine_free(e);
    return 0;
}
