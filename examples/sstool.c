/*
 * sstool.c — run one SSockets primitive on hex input, from the shell.
 *
 * Course position: the workbench of the chapters docs/sha256.md to
 * docs/aead.md, and of docs/sha3.md. Each chapter's exercises compute a value by hand (Python's
 * integers, its hmac module, openssl) and compare it with what our code
 * gives; this program is how the shell reaches our code. It uses only the
 * public API (ssockets.h), exactly as any program linked with the library.
 *
 *   sstool sha256        MSG                        -> digest     (32 bytes)
 *   sstool hmac          KEY MSG                    -> MAC        (32 bytes)
 *   sstool hkdf-extract  SALT IKM                   -> PRK        (32 bytes)
 *   sstool hkdf-expand   PRK INFO LENGTH            -> OKM        (LENGTH bytes)
 *   sstool x25519        SCALAR U                   -> shared     (32 bytes)
 *   sstool x25519-base   SCALAR                     -> public key (32 bytes)
 *   sstool chacha20      KEY NONCE COUNTER INPUT    -> INPUT xor keystream
 *   sstool poly1305      KEY MSG                    -> tag        (16 bytes)
 *   sstool aead-seal     KEY NONCE AD PLAINTEXT     -> ciphertext || tag
 *   sstool aead-open     KEY NONCE AD CIPHERTEXT_TAG -> plaintext
 *   sstool sha3-256      MSG                        -> digest     (32 bytes)
 *   sstool sha3-512      MSG                        -> digest     (64 bytes)
 *   sstool shake128      MSG LENGTH                 -> output     (LENGTH bytes)
 *   sstool shake256      MSG LENGTH                 -> output     (LENGTH bytes)
 *   sstool keccak-f1600  STATE                      -> Keccak-f[1600](STATE) (200 bytes)
 *
 * (STATE is the state string of FIPS 202 §3.1.2, as the Keccak team's
 * intermediate-value files print it.) Every argument is hex (spaces and newlines inside it are ignored, "" is
 * the empty string) except LENGTH and COUNTER, which are decimal. The
 * result is printed as one line of lowercase hex.
 *
 * Exit status: 0 success; 1 the primitive refused (x25519: all-zero
 * result; aead-open: the tag does not match; hkdf-expand: LENGTH over
 * 8160), and then nothing is printed on standard output; 2 usage error.
 *
 * A teaching tool, not a key-handling one: arguments are visible to every
 * user of the machine (ps), so never give it a key that protects anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssockets.h"

/* A byte string decoded from one hex argument. */
typedef struct {
    uint8_t *bytes;
    size_t len;
} bytes;

static const char usage[] =
    "usage: sstool sha256 MSG | hmac KEY MSG | hkdf-extract SALT IKM\n"
    "     | hkdf-expand PRK INFO LENGTH | x25519 SCALAR U | x25519-base SCALAR\n"
    "     | chacha20 KEY NONCE COUNTER INPUT | poly1305 KEY MSG\n"
    "     | aead-seal KEY NONCE AD PLAINTEXT | aead-open KEY NONCE AD CIPHERTEXT_TAG\n"
    "     | sha3-256 MSG | sha3-512 MSG | shake128 MSG LENGTH | shake256 MSG LENGTH\n"
    "     | keccak-f1600 STATE\n"
    "(hex arguments; LENGTH and COUNTER decimal)\n";

/* Every buffer this program allocates, freed by free_all at exit (also
 * when fail() ends the program), so that sanitizer runs stay clean. */
static void *allocated[8];
static size_t n_allocated;

static void free_all(void)
{
    while (n_allocated > 0)
        free(allocated[--n_allocated]);
}

static _Noreturn void fail(int status, const char *what, const char *arg)
{
    if (arg != NULL)
        fprintf(stderr, "sstool: %s: '%s'\n", what, arg);
    else
        fprintf(stderr, "sstool: %s\n", what);
    if (status == 2)
        fputs(usage, stderr);
    exit(status);
}

/* malloc that remembers the block for free_all; len 0 is allowed. */
static void *alloc(size_t len)
{
    if (n_allocated == sizeof allocated / sizeof allocated[0])
        fail(1, "too many buffers", NULL);
    void *p = malloc(len + 1); /* +1: malloc(0) may return NULL */
    if (p == NULL)
        fail(1, "out of memory", NULL);
    allocated[n_allocated++] = p;
    return p;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a hex argument, skipping whitespace, so that "$(xxd -p FILE)"
 * (one line per 30 bytes) can be passed as it is. */
static bytes from_hex(const char *text)
{
    size_t n = strlen(text);
    bytes b = {alloc(n / 2), 0};
    int high = -1; /* first digit of a pair, or -1 */
    for (size_t i = 0; i < n; i++) {
        if (strchr(" \t\n\r", text[i]) != NULL)
            continue;
        int d = hex_digit(text[i]);
        if (d < 0)
            fail(2, "not hex", text);
        if (high < 0) {
            high = d;
        } else {
            b.bytes[b.len++] = (uint8_t)(high << 4 | d);
            high = -1;
        }
    }
    if (high >= 0)
        fail(2, "odd number of hex digits", text);
    return b;
}

/* A hex argument that must be exactly n bytes long (keys, nonces). */
static bytes from_hex_n(const char *text, size_t n)
{
    bytes b = from_hex(text);
    if (b.len != n) {
        fprintf(stderr, "sstool: expected %zu bytes, got %zu: '%s'\n", n, b.len, text);
        exit(2);
    }
    return b;
}

/* A decimal argument no larger than max. */
static unsigned long from_decimal(const char *text, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v > max)
        fail(2, "not a decimal number in range", text);
    return v;
}

static void print_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    printf("\n");
}

/* argv[0] is the command; n is how many arguments it takes. */
static void need(int argc, int n)
{
    if (argc != n + 1)
        fail(2, "wrong number of arguments", NULL);
}

int main(int argc, char **argv)
{
    atexit(free_all);
    if (argc < 2)
        fail(2, "no command", NULL);
    const char *cmd = argv[1];
    argc--;
    argv++; /* from here argv[0] is the command, argv[1] its first argument */

    uint8_t out[64];
    if (strcmp(cmd, "sha256") == 0) {
        need(argc, 1);
        bytes msg = from_hex(argv[1]);
        ss_sha256(out, msg.bytes, msg.len);
        print_hex(out, 32);
    } else if (strcmp(cmd, "hmac") == 0) {
        need(argc, 2);
        bytes key = from_hex(argv[1]), msg = from_hex(argv[2]);
        ss_hmac_sha256(out, key.bytes, key.len, msg.bytes, msg.len);
        print_hex(out, 32);
    } else if (strcmp(cmd, "hkdf-extract") == 0) {
        need(argc, 2);
        bytes salt = from_hex(argv[1]), ikm = from_hex(argv[2]);
        ss_hkdf_sha256_extract(out, salt.bytes, salt.len, ikm.bytes, ikm.len);
        print_hex(out, 32);
    } else if (strcmp(cmd, "hkdf-expand") == 0) {
        need(argc, 3);
        bytes prk = from_hex(argv[1]), info = from_hex(argv[2]);
        /* Any LENGTH up to 65535 is passed on: the library itself must
         * refuse what RFC 5869 forbids (more than 255 * 32 bytes). */
        size_t len = from_decimal(argv[3], 65535);
        uint8_t *okm = alloc(len);
        if (ss_hkdf_sha256_expand(okm, len, prk.bytes, prk.len, info.bytes, info.len) != 0)
            fail(1, "hkdf-expand refused: LENGTH is over 255 * 32 = 8160 bytes", NULL);
        print_hex(okm, len);
    } else if (strcmp(cmd, "x25519") == 0) {
        need(argc, 2);
        bytes scalar = from_hex_n(argv[1], 32), u = from_hex_n(argv[2], 32);
        if (ss_x25519(out, scalar.bytes, u.bytes) != 0)
            fail(1, "x25519 refused: the result is all zeros (a low-order point)", NULL);
        print_hex(out, 32);
    } else if (strcmp(cmd, "x25519-base") == 0) {
        need(argc, 1);
        bytes scalar = from_hex_n(argv[1], 32);
        ss_x25519_public_key(out, scalar.bytes);
        print_hex(out, 32);
    } else if (strcmp(cmd, "chacha20") == 0) {
        need(argc, 4);
        bytes key = from_hex_n(argv[1], 32), nonce = from_hex_n(argv[2], 12);
        uint32_t counter = (uint32_t)from_decimal(argv[3], 0xffffffff);
        bytes in = from_hex(argv[4]);
        ss_chacha20_xor(in.bytes, in.bytes, in.len, key.bytes, counter, nonce.bytes);
        print_hex(in.bytes, in.len);
    } else if (strcmp(cmd, "poly1305") == 0) {
        need(argc, 2);
        bytes key = from_hex_n(argv[1], 32), msg = from_hex(argv[2]);
        ss_poly1305(out, msg.bytes, msg.len, key.bytes);
        print_hex(out, 16);
    } else if (strcmp(cmd, "aead-seal") == 0) {
        need(argc, 4);
        bytes key = from_hex_n(argv[1], 32), nonce = from_hex_n(argv[2], 12);
        bytes ad = from_hex(argv[3]), text = from_hex(argv[4]);
        if (ss_aead_seal(text.bytes, out, key.bytes, nonce.bytes, ad.bytes, ad.len, text.bytes,
                         text.len) != 0)
            fail(1, "aead-seal refused: the text is longer than RFC 8439 allows", NULL);
        /* Printed as the Noise layer sends it: ciphertext, then the tag. */
        for (size_t i = 0; i < text.len; i++)
            printf("%02x", text.bytes[i]);
        print_hex(out, 16);
    } else if (strcmp(cmd, "aead-open") == 0) {
        need(argc, 4);
        bytes key = from_hex_n(argv[1], 32), nonce = from_hex_n(argv[2], 12);
        bytes ad = from_hex(argv[3]), sealed = from_hex(argv[4]);
        if (sealed.len < 16)
            fail(2, "CIPHERTEXT_TAG is shorter than a 16-byte tag", argv[4]);
        size_t len = sealed.len - 16;
        if (ss_aead_open(sealed.bytes, key.bytes, nonce.bytes, ad.bytes, ad.len, sealed.bytes,
                         len, sealed.bytes + len) != 0)
            fail(1, "aead-open refused: authentication failed (nothing decrypted)", NULL);
        print_hex(sealed.bytes, len);
    } else if (strcmp(cmd, "sha3-256") == 0) {
        need(argc, 1);
        bytes msg = from_hex(argv[1]);
        ss_sha3_256(out, msg.bytes, msg.len);
        print_hex(out, 32);
    } else if (strcmp(cmd, "sha3-512") == 0) {
        need(argc, 1);
        bytes msg = from_hex(argv[1]);
        ss_sha3_512(out, msg.bytes, msg.len);
        print_hex(out, 64);
    } else if (strcmp(cmd, "shake128") == 0 || strcmp(cmd, "shake256") == 0) {
        need(argc, 2);
        bytes msg = from_hex(argv[1]);
        size_t len = from_decimal(argv[2], 65535);
        uint8_t *xof = alloc(len);
        if (strcmp(cmd, "shake128") == 0)
            ss_shake128(xof, len, msg.bytes, msg.len);
        else
            ss_shake256(xof, len, msg.bytes, msg.len);
        print_hex(xof, len);
    } else if (strcmp(cmd, "keccak-f1600") == 0) {
        need(argc, 1);
        bytes state = from_hex_n(argv[1], 200);
        /* The state string's lanes, little-endian (FIPS 202 §3.1.2, §B.1). */
        uint64_t lanes[25] = {0};
        for (size_t i = 0; i < 200; i++)
            lanes[i / 8] |= (uint64_t)state.bytes[i] << (8 * (i % 8));
        ss_keccak_f1600(lanes);
        for (size_t i = 0; i < 200; i++)
            state.bytes[i] = (uint8_t)(lanes[i / 8] >> (8 * (i % 8)));
        print_hex(state.bytes, 200);
    } else {
        fail(2, "unknown command", cmd);
    }
    return 0; /* free_all runs at exit */
}
