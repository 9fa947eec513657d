/*
 * key_parse.c — fuzz target: the key-text parsers of src/net/keys.c. The
 * whole input is one key text, handed to
 *
 *   ss_base64_decode      the strict (canonical) base64 decoder;
 *   ss_public_key_parse   one base64 line or a PEM "PUBLIC KEY" block;
 *   ss_public_key_load    the same text as a public key file;
 *   ss_keypair_load       the same text as a private key file (mode 0600):
 *                         PEM "PRIVATE KEY" (PKCS#8) only: one base64
 *                         line is the form of a public key and refused.
 *
 * The files are one temporary file, rewritten for every input; on Linux
 * it is unlinked at once and opened again as /proc/self/fd/N, so a crash
 * leaves nothing behind.
 *
 * Checks, against OpenSSL where it can judge:
 *   - base64: decoding succeeds exactly when the text is canonical, i.e.
 *     when it is OpenSSL's EVP_EncodeBlock of some bytes; it then yields
 *     those bytes, encodes back to the text, and fails with one byte too
 *     little room;
 *   - a public key text that is accepted is read the same way by OpenSSL
 *     (PEM_read_bio_PUBKEY: an X25519 key with the same 32 bytes), or, as
 *     base64, is exactly the 44-character form of the key; loading it from
 *     a file gives the same answer as parsing it;
 *   - an accepted private key file is OpenSSL's reading of it
 *     (PEM_read_bio_PrivateKey), or the base64 of the secret key; its public
 *     key is OpenSSL's X25519 public key; a refused one leaves the key pair
 *     zeroed and an error message naming the file.
 * The parser may be stricter than OpenSSL (it refuses what OpenSSL
 * tolerates, such as headers or long lines), never more lenient.
 */
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "net/error.h"
#include "net/keys.h"
#include "oracle.h"

#define TEXT_MAX (2 * SS_KEY_FILE_MAX) /* longer inputs are cut: all are refused anyway */

/* ---- base64 ---- */

/* Is text[0..len) canonical base64, and if so, of which bytes? OpenSSL
 * decodes it (leniently), then the bytes must encode back to the text. */
static int canonical_base64(uint8_t *bytes, size_t *n, const char *text, size_t len)
{
    static uint8_t decoded[TEXT_MAX], encoded[TEXT_MAX + 4];
    size_t pad = 0;
    if (len % 4 != 0)
        return 0;
    if (len == 0) {
        *n = 0;
        return 1;
    }
    int r = EVP_DecodeBlock(decoded, (const uint8_t *)text, (int)len);
    /* EVP_DecodeBlock counts each '=' of padding as a zero byte. */
    while (pad < 2 && text[len - 1 - pad] == '=')
        pad++;
    if (r < 0 || (size_t)r < pad)
        return 0;
    *n = (size_t)r - pad;
    size_t encoded_len = (size_t)EVP_EncodeBlock(encoded, decoded, (int)*n);
    if (encoded_len != len || memcmp(encoded, text, len) != 0)
        return 0;
    memcpy(bytes, decoded, *n);
    return 1;
}

static void check_base64(const char *text, size_t len)
{
    static uint8_t theirs[TEXT_MAX];
    static char again[TEXT_MAX + 4];
    size_t n = 1, want = 0;
    size_t cap = len / 4 * 3;
    /* Exactly cap bytes of room: a write past it is an AddressSanitizer report. */
    uint8_t *ours = fuzz_alloc(cap);
    int ok = ss_base64_decode(ours, cap, &n, text, len) == 0;
    int canonical = canonical_base64(theirs, &want, text, len);
    FUZZ_CHECK(ok == canonical, ok ? "ss_base64_decode accepts non-canonical base64"
                                   : "ss_base64_decode refuses canonical base64");
    if (!ok) {
        FUZZ_CHECK(n == 0, "a refused base64 text has a length");
        free(ours);
        return;
    }
    FUZZ_CHECK(n == want && memcmp(ours, theirs, n) == 0, "base64 decodes to other bytes");
    FUZZ_CHECK(ss_base64_encode(again, ours, n) == len && memcmp(again, text, len) == 0,
               "decoded base64 does not encode back to the text");
    if (n > 0) {
        uint8_t *tight = fuzz_alloc(n - 1);
        FUZZ_CHECK(ss_base64_decode(tight, n - 1, &n, text, len) != 0 && n == 0,
                   "base64 decoded into too little room");
        free(tight);
    }
    free(ours);
}

/* ---- what OpenSSL reads ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The text without surrounding whitespace, as keys.c sees it. */
static void trim(const char **text, size_t *len)
{
    while (*len > 0 && is_space((*text)[0])) {
        (*text)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*text)[*len - 1]))
        (*len)--;
}

static int is_pem(const char *text, size_t len)
{
    return len >= 5 && memcmp(text, "-----", 5) == 0;
}

/* OpenSSL's reading of a PEM text: the 32 raw bytes of an X25519 public
 * (private = 0) or private key. 0, or -1 if OpenSSL refuses it. */
static int openssl_pem(uint8_t key[32], const char *text, size_t len, int private)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    FUZZ_CHECK(bio != NULL, "BIO_new_mem_buf failed");
    EVP_PKEY *k = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                          : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    size_t n = 32;
    int rc = -1;
    if (k != NULL && EVP_PKEY_get_id(k) == EVP_PKEY_X25519 &&
        (private ? EVP_PKEY_get_raw_private_key(k, key, &n)
                 : EVP_PKEY_get_raw_public_key(k, key, &n)) == 1 &&
        n == 32)
        rc = 0;
    EVP_PKEY_free(k);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* An accepted text must be what OpenSSL reads (PEM) or the base64 of the
 * key (one line). */
static void check_accepted(const uint8_t key[32], const char *text, size_t len, int private)
{
    uint8_t theirs[32];
    trim(&text, &len);
    if (is_pem(text, len)) {
        FUZZ_CHECK(openssl_pem(theirs, text, len, private) == 0,
                   "a PEM key accepted here is refused by OpenSSL");
        FUZZ_CHECK(memcmp(key, theirs, 32) == 0, "a PEM key reads differently in OpenSSL");
    } else {
        char b64[SS_KEY_BASE64_LEN];
        FUZZ_CHECK(!private, "one line of base64 was accepted as a private key");
        ss_base64_encode(b64, key, 32);
        FUZZ_CHECK(len == 44 && memcmp(b64, text, 44) == 0,
                   "an accepted base64 key is not the 44-character form of its bytes");
    }
}

/* ---- files ---- */

static char path[64];

/* The key file, created once (mode 0600, from mkstemp). */
static int key_file(void)
{
    static int fd = -1;
    if (fd >= 0)
        return fd;
    const char *dir = getenv("TMPDIR");
    char name[256];
    snprintf(name, sizeof name, "%s/ss-fuzz-key-XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(name);
    FUZZ_CHECK(fd >= 0, "mkstemp failed");
    /* Linux: reach the file through /proc and let it vanish with us. */
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (access(path, R_OK) == 0)
        unlink(name);
    else
        snprintf(path, sizeof path, "%.63s", name);
    return fd;
}

static void write_key_file(const uint8_t *data, size_t size)
{
    int fd = key_file();
    FUZZ_CHECK(ftruncate(fd, 0) == 0 &&
                   (size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size),
               "cannot write the key file");
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[TEXT_MAX];
    size_t len = size < TEXT_MAX ? size : TEXT_MAX;
    if (len > 0)
        memcpy(text, data, len);

    check_base64(text, len);

    /* The public key, as text and as a file. */
    uint8_t key[32], from_file[32];
    int parsed = ss_public_key_parse(key, text, len) == 0;
    if (parsed)
        check_accepted(key, text, len, 0);
    write_key_file((const uint8_t *)text, len);
    int loaded = ss_public_key_load(from_file, path) == 0;
    FUZZ_CHECK(parsed == loaded, "a public key parses and loads differently");
    FUZZ_CHECK(!parsed || memcmp(key, from_file, 32) == 0, "a public key file reads differently");

    /* The private key file. */
    ss_keypair kp;
    if (ss_keypair_load(&kp, path) == 0) {
        uint8_t pub[32];
        check_accepted(kp.secret_key, text, len, 1);
        oracle_x25519_public_key(pub, kp.secret_key);
        FUZZ_CHECK(memcmp(pub, kp.public_key, 32) == 0,
                   "the loaded key pair's public key is wrong");
    } else {
        FUZZ_CHECK(all_zero(&kp, sizeof kp), "a refused key file left key material behind");
        FUZZ_CHECK(strstr(ss_last_error_message(NULL), path) != NULL,
                   "a refused key file's message does not name the file");
    }
    ss_keypair_wipe(&kp);
    return 0;
}
