/*
 * make_seeds.c — writes the seed corpus of the fuzz targets (`make
 * fuzz-seeds`, into tests/fuzz/corpus/<target>/), except key_parse's seeds,
 * which are key files made by OpenSSL's command line (README.md).
 *
 * Seeds are inputs, not expected values: each starts the fuzzer at a
 * place that random bytes would take long to reach — a valid frame
 * sequence, a complete handshake, an input of the shape a target parses.
 * Where a seed must be valid (frames under the transport key, handshake
 * messages), it is recorded from the library doing the real thing:
 *   - frame_recv raw seeds: the bytes the engine puts out for ss_send and
 *     ss_shutdown, sending with the key frame_recv receives with;
 *   - handshake seeds: the messages of an honest remote (fuzz.h's remote
 *     keys) in a handshake with the local side, as fuzz_handshake replays
 *     them (handshake.c).
 * Everything is deterministic, so running it again writes the same files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "handshake.h"
#include "net/engine.h"
#include "net/engine_internal.h"

static const char *root;

static void write_seed(const char *target, const char *name, const uint8_t *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* A growing byte string, for building inputs. */
typedef struct {
    uint8_t bytes[200000];
    size_t len;
} buffer;

static buffer b;

static void add(const void *p, size_t n)
{
    FUZZ_CHECK(b.len + n <= sizeof b.bytes, "seed too long");
    memcpy(b.bytes + b.len, p, n);
    b.len += n;
}

static void add_byte(uint8_t x)
{
    add(&x, 1);
}

/* Bytes 0, 1, 2, ... (mod 251, so no period of 2^k lines up with blocks). */
static void add_pattern(size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++)
        add_byte((uint8_t)((start + i) % 251));
}

/* ---- frame_recv ---- */

/* Record mode: SEAL with plaintext type || body. */
static void seal(uint8_t type, const char *body)
{
    size_t n = strlen(body);
    add_byte(0);
    add_byte((uint8_t)(1 + n));
    add_byte(type);
    add(body, n);
}

static void frame_seed(const char *name)
{
    write_seed("frame_recv", name, b.bytes, b.len);
    b.len = 0;
}

static void header(uint8_t flags, uint16_t caps)
{
    b.len = 0;
    add_byte(flags);
    add_byte((uint8_t)(caps >> 8));
    add_byte((uint8_t)caps);
}

/* Raw mode: what the library itself sends, as the engine puts it out. */
static void raw_capture(const char *name, uint16_t caps)
{
    const fuzz_keys *k = fuzz_get_keys();
    ss_cipher_state send_cs = {{0}, 0, 1}, recv_cs = {{0}, 0, 1};
    memcpy(send_cs.k, k->transport_key, 32);
    ss_engine *e = ss_engine_established_for_tests(&send_cs, &recv_cs);
    FUZZ_CHECK(e != NULL, "ss_engine_established_for_tests");
    static uint8_t longer[300];
    for (size_t i = 0; i < sizeof longer; i++)
        longer[i] = (uint8_t)(i * 7);
    header(1, caps);
    const struct {
        const void *p;
        size_t len;
    } messages[3] = {{"hello", 5}, {"", 0}, {longer, sizeof longer}};
    for (int i = 0; i <= 3; i++) {
        size_t taken, len;
        int rc = i < 3 ? ss_engine_send(e, messages[i].p, messages[i].len, &taken)
                       : ss_engine_close(e);
        FUZZ_CHECK(rc == 0, "ss_engine_send");
        const uint8_t *out = ss_engine_output(e, &len);
        add(out, len);
        ss_engine_output_done(e, len);
    }
    ss_engine_free(e);
    frame_seed(name);
}

static void frame_recv_seeds(void)
{
    header(0, 0x5675);
    seal(0x00, "hello");
    seal(0x02, "");
    frame_seed("one_message");

    header(0, 0x1234);
    seal(0x01, "first part, ");
    seal(0x01, "second part, ");
    seal(0x00, "last part");
    seal(0x00, ""); /* an empty message */
    seal(0x02, "");
    frame_seed("fragments");

    header(0, 0x6767);
    add_byte(3); /* BIG: 65,519 bytes of plaintext, "more follows" */
    add_byte(0xff);
    add_byte(0xef);
    add_byte(0x01);
    add_byte('A');
    add_byte(3); /* BIG: the last fragment */
    add_byte(0x10);
    add_byte(0x00);
    add_byte(0x00);
    add_byte('B');
    seal(0x02, "");
    frame_seed("max_frames");

    header(0, 0x7777);
    seal(0x00, "bye");
    seal(0x02, "");
    add_byte(4); /* RAW: bytes after the close frame */
    add_byte(4);
    add("junk", 4);
    frame_seed("data_after_close");

    header(2 | (2 << 2), 0x7777); /* counters start at 2^64 - 3 */
    seal(0x00, "a");
    seal(0x00, "b");
    seal(0x00, "c");
    frame_seed("nonce_exhausted");

    header(0, 0x5555);
    seal(0x00, "hello");
    add_byte(5); /* FLIP a bit of the tag */
    add_byte(0);
    add_byte(3);
    add_byte(0x80);
    seal(0x02, "");
    frame_seed("tampered");

    header(0, 0x5555);
    seal(0x00, "once");
    add_byte(7); /* DUP: the same frame again (a replay) */
    add_byte(0);
    seal(0x02, "");
    frame_seed("replayed");

    header(0, 0x5555);
    seal(0x00, "x");
    add_byte(6); /* SKIP: a frame lost on the way */
    add_byte(1);
    seal(0x00, "y");
    frame_seed("skipped");

    header(0, 0x5555);
    seal(0x03, "unknown type");
    frame_seed("bad_type");

    header(0, 0x5555);
    seal(0x01, "cut");
    seal(0x02, "");
    frame_seed("close_mid_message");

    header(0, 0x5555);
    seal(0x02, "body");
    frame_seed("close_with_body");

    header(0, 0x5555);
    seal(0x01, "");
    frame_seed("empty_more");

    header(0, 0x5555);
    seal(0x00, "no close");
    add_byte(7); /* DUP with k odd: cut the last 5 bytes */
    add_byte(11);
    frame_seed("cut_stream");

    header(1, 0x5555); /* raw: a 5-byte frame, too short for a tag */
    add("\x00\x05hello", 7);
    frame_seed("raw_short_frame");

    raw_capture("raw_capture", 0x7165);
}

/* ---- handshakes ---- */

/* A noise-mode handshake seed turned into an engine-mode one (handshake.c):
 * bit 5 set, and after each message a byte saying where its frame is split
 * (here: between the two length bytes, then after them, and so on). */
static size_t engine_seed(uint8_t *seed, size_t n)
{
    static uint8_t out[3 * (2 + SS_NOISE_MAX_MESSAGE + 1) + 1];
    size_t o = 0, i = 1;
    out[o++] = seed[0] | 0x20;
    for (uint8_t cut = 1; i + 2 <= n; cut++) {
        size_t len = (size_t)seed[i] << 8 | seed[i + 1];
        FUZZ_CHECK(i + 2 + len <= n, "seed: a cut message");
        memcpy(out + o, seed + i, 2 + len);
        o += 2 + len;
        out[o++] = cut;
        i += 2 + len;
    }
    memcpy(seed, out, o);
    return o;
}

static void handshake_seeds(void)
{
    static uint8_t seed[3 * (2 + SS_NOISE_MAX_MESSAGE) + 1];
    static const char *names[3] = {"nn", "nk", "xx"};
    for (int initiator = 0; initiator <= 1; initiator++) {
        const char *target = initiator ? "handshake_initiator" : "handshake_responder";
        for (uint8_t p = 0; p < 3; p++) {
            char name[32];
            size_t n = fuzz_handshake_seed(seed, sizeof seed, initiator, p, NULL, 0);
            write_seed(target, names[p], seed, n);
            n = fuzz_handshake_seed(seed, sizeof seed, initiator, p, (const uint8_t *)"hi", 2);
            snprintf(name, sizeof name, "%s_payload", names[p]);
            write_seed(target, name, seed, n);
        }
        /* The same honest handshakes through the protocol engine (bit 5):
         * each message followed by the point where its frame is split. */
        for (uint8_t p = 0; p < 3; p++) {
            char name[32];
            size_t n = fuzz_handshake_seed(seed, sizeof seed, initiator, p, NULL, 0);
            n = engine_seed(seed, n);
            snprintf(name, sizeof name, "engine_%s", names[p]);
            write_seed(target, name, seed, n);
        }
        /* The hybrid forms (bit 4): NNhfs, NKhfs, XXhfs. */
        static const char *hybrid_names[3] = {"nnhfs", "nkhfs", "xxhfs"};
        for (uint8_t p = 0; p < 3; p++) {
            size_t n = fuzz_handshake_seed(seed, sizeof seed, initiator, 0x10 | p, NULL, 0);
            write_seed(target, hybrid_names[p], seed, n);
        }
        /* XX with the trace on (bit 6); NK with no payload room (bit 7). */
        size_t n = fuzz_handshake_seed(seed, sizeof seed, initiator, 0x40 | 2, NULL, 0);
        write_seed(target, "xx_trace", seed, n);
        n = fuzz_handshake_seed(seed, sizeof seed, initiator, 0x80 | 1, NULL, 0);
        write_seed(target, "nk_no_room", seed, n);
    }
}

/* ---- the differential targets ---- */

static void diff_seed(const char *target, const char *name)
{
    write_seed(target, name, b.bytes, b.len);
    b.len = 0;
}

/* k chunk lengths, as diff_sha256/hmac/poly1305 read them. */
static void add_chunks(size_t k, const uint16_t *lens)
{
    add_byte((uint8_t)k);
    for (size_t i = 0; i < k; i++) {
        add_byte((uint8_t)(lens[i] >> 8));
        add_byte((uint8_t)lens[i]);
    }
}

static void diff_seeds(void)
{
    static const uint16_t cuts[3] = {1, 63, 64};
    static const uint16_t small_cuts[4] = {0, 15, 1, 16};

    /* SHA-256: empty, "abc", block edges, chunked. */
    add_chunks(0, NULL);
    diff_seed("diff_sha256", "empty");
    add_chunks(0, NULL);
    add("abc", 3);
    diff_seed("diff_sha256", "abc");
    add_chunks(0, NULL);
    add_pattern(55, 0); /* the longest message with padding in one block */
    diff_seed("diff_sha256", "len55");
    add_chunks(3, cuts);
    add_pattern(300, 7);
    diff_seed("diff_sha256", "chunked300");

    /* HMAC: no key, a 32-byte key, a key longer than the block. */
    add_byte(0);
    add_chunks(0, NULL);
    add("message", 7);
    diff_seed("diff_hmac", "no_key");
    add_byte(32);
    add_pattern(32, 1);
    add_chunks(3, cuts);
    add_pattern(200, 3);
    diff_seed("diff_hmac", "key32");
    add_byte(131);
    add_pattern(131, 5);
    add_chunks(0, NULL);
    add_pattern(64, 9);
    diff_seed("diff_hmac", "long_key");

    /* HKDF: okm length, then salt, ikm, info, prk (length byte + bytes). */
    add_byte(0);
    add_byte(42);
    add_byte(13);
    add_pattern(13, 0);
    add_byte(22);
    add_pattern(22, 11);
    add_byte(10);
    add_pattern(10, 0xf0);
    add_byte(32);
    add_pattern(32, 77);
    diff_seed("diff_hkdf", "okm42");
    add_byte(0x1f);
    add_byte(0xe0); /* 8,160: the largest allowed */
    add_byte(0);
    add_byte(0);
    add_byte(0);
    add_byte(40);
    add_pattern(40, 3);
    diff_seed("diff_hkdf", "okm8160");
    add_byte(0x1f);
    add_byte(0xe1); /* 8,161: one too many */
    diff_seed("diff_hkdf", "okm8161");

    /* X25519: a scalar and a point; u = 0, u = 1, u = 9, u = p (non-canonical), top bit set. */
    static const uint8_t small_u[3] = {0, 1, 9};
    for (int i = 0; i < 3; i++) {
        char name[16];
        add_pattern(32, 42);
        add_byte(small_u[i]);
        for (int j = 1; j < 32; j++)
            add_byte(0);
        snprintf(name, sizeof name, "u%d", small_u[i]);
        diff_seed("diff_x25519", name);
    }
    add_pattern(32, 42);
    add_byte(0xed);
    for (int j = 1; j < 31; j++)
        add_byte(0xff);
    add_byte(0x7f);
    diff_seed("diff_x25519", "u_p");
    add_pattern(32, 42);
    add_pattern(31, 100);
    add_byte(0xff);
    diff_seed("diff_x25519", "top_bit");

    /* ChaCha20: key, nonce, counter (LE), message. */
    add_pattern(32, 0);
    add_pattern(12, 50);
    add("\x01\x00\x00\x00", 4);
    add_pattern(114, 9);
    diff_seed("diff_chacha20", "counter1");
    add_pattern(32, 0);
    add_pattern(12, 50);
    add("\xff\xff\xff\xff", 4); /* the last block before the counter wraps */
    add_pattern(64, 9);
    diff_seed("diff_chacha20", "counter_max");

    /* Poly1305: key, chunks, message; and an all-ones stress case. */
    add_pattern(32, 0x85);
    add_chunks(4, small_cuts);
    add("Cryptographic Forum Research Group", 34);
    diff_seed("diff_poly1305", "forum");
    for (int j = 0; j < 32; j++)
        add_byte(0xff);
    add_chunks(0, NULL);
    for (int j = 0; j < 64; j++)
        add_byte(0xff);
    diff_seed("diff_poly1305", "all_ones");

    /* AEAD: key, nonce, AD, tampering (what, where, mask), plaintext. */
    for (uint8_t what = 0; what < 6; what++) {
        char name[16];
        add_pattern(32, 0x80);
        add_pattern(12, 7);
        add_byte(12);
        add_pattern(12, 0x50);
        add_byte(what);
        add_byte(0);
        add_byte(5);
        add_byte(0x01);
        add_pattern(114, 33);
        snprintf(name, sizeof name, "tamper%u", what);
        diff_seed("diff_aead", name);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        perror(root);
        return 1;
    }
    frame_recv_seeds();
    handshake_seeds();
    diff_seeds();
    printf("seeds written to %s\n", root);
    return 0;
}
