/*
 * test_keys.c — key pairs and key files (src/net/keys.c).
 *
 *  - base64: RFC 4648 §10 and §9 vectors (vectors/rfc4648), every byte
 *    value in every position, non-canonical and malformed texts, and a
 *    differential test against OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock;
 *  - key pairs: the public key is the one OpenSSL derives;
 *  - files: save/load round trips in both formats, mode 0600 whatever the
 *    umask, no overwrite without the flag, and every refusal (permissions,
 *    directory, FIFO, empty, truncated, wrong length, wrong type, garbage,
 *    oversized) with its error code and a message naming the file;
 *  - interoperability with OpenSSL: keys written by libcrypto and by the
 *    `openssl` command are read, ours are read by them.
 *
 * OpenSSL is the oracle here, never the code under test. Each file test
 * works in its own directory made with mkdtemp (Check forks per test).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "net/fail.h"
#include "net/keys.h"

/* RFC 4648 §4, Table 1: the alphabet in value order. */
static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static char dir[64];

static void make_dir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ss_keys_XXXXXX", t != NULL && strlen(t) < 40 ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}

/* dir/name in a static buffer (one of eight, so a test can hold a few). */
static const char *path_of(const char *name)
{
    static char bufs[8][256];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* The number of entries in dir: a leftover temporary file shows here. */
static int count_entries(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Writes a file with exactly this mode (fchmod: the umask cannot interfere). */
static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(close(fd), 0);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    write_file(path, text, strlen(text), mode);
}

static size_t read_whole(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The call returned -1 and recorded code, with a message that names path
 * (when given) and contains needle (when given). */
static void expect_error(int rc, int code, const char *path, const char *needle)
{
    const ss_error_slot *e = ss_thread_error();
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(e->code == code, "error code %d, expected %d (%s)", e->code, code, e->message);
    if (path != NULL)
        ck_assert_msg(strstr(e->message, path) != NULL, "message does not name %s: %s", path,
                      e->message);
    if (needle != NULL)
        ck_assert_msg(strstr(e->message, needle) != NULL, "message lacks '%s': %s", needle,
                      e->message);
}

/* OpenSSL's base64 of in (no newlines), the oracle for our encoder. */
static void openssl_base64(char *out, const uint8_t *in, size_t len)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* OpenSSL's X25519 public key for a secret. */
static void openssl_public(uint8_t pub[32], const uint8_t secret[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, 32);
    size_t n = 32;
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
    ck_assert_uint_eq(n, 32);
    EVP_PKEY_free(k);
}

static EVP_PKEY *openssl_keygen(int type)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
    EVP_PKEY *k = NULL;
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static void openssl_write_private(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0600), 0);
}

static void openssl_write_public(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
    fclose(f);
}

static void openssl_raw(EVP_PKEY *k, uint8_t secret[32], uint8_t pub[32])
{
    size_t n = 32;
    if (secret != NULL) {
        ck_assert_int_eq(EVP_PKEY_get_raw_private_key(k, secret, &n), 1);
        ck_assert_uint_eq(n, 32);
    }
    n = 32;
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
    ck_assert_uint_eq(n, 32);
}

static int have_openssl_command(void)
{
    return system("command -v openssl >/dev/null 2>&1") == 0;
}

/* Runs a shell command line; it must succeed. */
static void run(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

/* ------------------------------------------------------------------ */
/* base64                                                              */
/* ------------------------------------------------------------------ */

START_TEST(base64_rfc4648_vectors)
{
    vec_file *vf = vec_open("rfc4648/base64.txt");
    vec_record rec = {0};
    long text_passed = 0, hex_passed = 0;
    while (vec_next(vf, &rec)) {
        const char *input = vec_get(&rec, "Input"), *output = vec_get(&rec, "Output");
        int is_hex = rec.section != NULL && strcmp(rec.section, "[hex]") == 0;
        ck_assert_ptr_nonnull(input);
        ck_assert_ptr_nonnull(output);
        size_t len;
        uint8_t *bytes;
        if (is_hex) {
            bytes = hex_decode(input, &len);
        } else {
            len = strlen(input);
            bytes = (uint8_t *)strdup(input);
        }
        char enc[64];
        uint8_t dec[64];
        size_t dec_len = 99;
        ck_assert_uint_eq(ss_base64_encode(enc, bytes, len), strlen(output));
        ck_assert_str_eq(enc, output);
        ck_assert_int_eq(ss_base64_decode(dec, sizeof dec, &dec_len, output, strlen(output)), 0);
        ck_assert_uint_eq(dec_len, len);
        ck_assert(memcmp(dec, bytes, len) == 0);
        free(bytes);
        if (is_hex)
            hex_passed++;
        else
            text_passed++;
    }
    vec_close(vf);
    vec_report("RFC 4648 §10 base64 test vectors", text_passed, 7);
    vec_report("RFC 4648 §9 base64 examples", hex_passed, 3);
}
END_TEST

START_TEST(base64_every_character_in_every_position)
{
    /* Each byte value c in each of the four positions of "AAAA": accepted
     * exactly when c is in the alphabet, with the value of its place in
     * Table 1. This covers every boundary of the arithmetic ranges
     * ('@' 'A' 'Z' '[', '`' 'a' 'z' '{', '/' '0' '9' ':', '*' '+' ',').
     * '=' in the last position is padding, checked separately. */
    for (int pos = 0; pos < 4; pos++) {
        for (int c = 0; c < 256; c++) {
            if (pos == 3 && c == '=')
                continue;
            char text[4] = {'A', 'A', 'A', 'A'};
            uint8_t out[3] = {0};
            size_t n = 0;
            text[pos] = (char)c;
            const char *where = c != 0 ? strchr(alphabet, c) : NULL;
            int rc = ss_base64_decode(out, sizeof out, &n, text, 4);
            if (where == NULL) {
                ck_assert_msg(rc == -1, "byte 0x%02x accepted at position %d", c, pos);
                continue;
            }
            ck_assert_msg(rc == 0, "'%c' refused at position %d", c, pos);
            ck_assert_uint_eq(n, 3);
            uint32_t group = (uint32_t)out[0] << 16 | (uint32_t)out[1] << 8 | out[2];
            ck_assert_uint_eq(group, (uint32_t)(where - alphabet) << (18 - 6 * pos));
        }
    }
    /* And the encoder maps every 6-bit value to its Table 1 character:
     * bytes 0x00 0x10 0x83 encode to values 0, 1, 2, 3 and so on. */
    for (uint32_t v = 0; v < 64; v++) {
        uint8_t in[3] = {(uint8_t)(v << 2), 0, 0};
        char out[5];
        ss_base64_encode(out, in, 3);
        ck_assert_int_eq(out[0], alphabet[v]);
    }
}
END_TEST

START_TEST(base64_rejects_malformed)
{
    /* RFC 4648 §3.2 (padding), §3.3 (non-alphabet characters, including
     * line breaks and NUL), §3.5 (non-zero pad bits), §5 (the URL-safe
     * alphabet is a different encoding). */
    static const struct {
        const char *text;
        size_t len;
    } bad[] = {
        {"Zg=", 3},        {"Zg", 2},       {"Z", 1},          {"Zm9vY", 5},
        {"Z===", 4},       {"====", 4},     {"Zg=A", 4},       {"=Zg=", 4},
        {"Zg==Zg==", 8},   {"Zh==", 4},     {"Zm9=", 4},       {"Zm9v=", 5},
        {"Zm9v\n", 5},     {"Zm9v\nZm9v", 9}, {" Zm9", 4},     {"Zm9 ", 4},
        {"Zm9-", 4},       {"Zm9_", 4},     {"Zm\0v", 4},      {"Zm9v====", 8},
        {"Zm9.", 4},       {"Zm9\xc3", 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[16];
        size_t n = 99;
        ck_assert_msg(ss_base64_decode(out, sizeof out, &n, bad[i].text, bad[i].len) == -1,
                      "accepted bad base64 #%zu", i);
        ck_assert_uint_eq(n, 0);
    }
}
END_TEST

START_TEST(base64_valid_edge_cases)
{
    uint8_t out[8];
    size_t n = 99;
    /* "Zm8/" decodes to 66 6f 3f: '/' is value 63. */
    ck_assert_int_eq(ss_base64_decode(out, sizeof out, &n, "Zm8/", 4), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(out, "fo?", 3) == 0);
    /* The empty text, also with NULL pointers. */
    ck_assert_int_eq(ss_base64_decode(NULL, 0, &n, NULL, 0), 0);
    ck_assert_uint_eq(n, 0);
    char enc[4] = "xyz";
    ck_assert_uint_eq(ss_base64_encode(enc, NULL, 0), 0);
    ck_assert_str_eq(enc, "");
}
END_TEST

START_TEST(base64_output_capacity)
{
    uint8_t out[8];
    size_t n = 99;
    memset(out, 0xaa, sizeof out);
    /* 6 bytes do not fit in 5: refused, out untouched. */
    ck_assert_int_eq(ss_base64_decode(out, 5, &n, "Zm9vYmFy", 8), -1);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(out[0], 0xaa);
    ck_assert_int_eq(ss_base64_decode(out, 6, &n, "Zm9vYmFy", 8), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert(memcmp(out, "foobar", 6) == 0);
    ck_assert_uint_eq(out[6], 0xaa);
    /* A bad character late in the text: what was decoded before it is
     * wiped, not left behind. */
    memset(out, 0xaa, sizeof out);
    ck_assert_int_eq(ss_base64_decode(out, sizeof out, &n, "Zm9vYm!y", 8), -1);
    ck_assert(all_zero(out, 6));
}
END_TEST

START_TEST(base64_differential_openssl)
{
    /* Random inputs of 0..300 bytes and a few large ones: our encoding
     * equals OpenSSL's, and decodes back (OpenSSL decodes ours too). */
    static uint8_t in[4100], back[4100];
    static char ours[5500], theirs[5500];
    static const size_t large[] = {1023, 1024, 1025, 3072, 4095, 4096};
    long cases = diff_cases();
    trng_seed_from_env();
    for (long i = 0; i < cases + 6; i++) {
        size_t len = i < cases ? trng_below(301) : large[i - cases];
        trng_bytes(in, len);
        size_t n = ss_base64_encode(ours, in, len);
        openssl_base64(theirs, in, len);
        ck_assert_uint_eq(n, strlen(theirs));
        ck_assert_str_eq(ours, theirs);
        size_t back_len = 0;
        ck_assert_int_eq(ss_base64_decode(back, sizeof back, &back_len, ours, n), 0);
        ck_assert_uint_eq(back_len, len);
        ck_assert(memcmp(back, in, len) == 0);
    }
    printf("differential: base64 vs OpenSSL EVP_EncodeBlock: %ld cases\n", cases + 6);
}
END_TEST

/* ------------------------------------------------------------------ */
/* key pairs                                                           */
/* ------------------------------------------------------------------ */

START_TEST(keypair_generate_matches_openssl)
{
    ss_keypair a, b;
    uint8_t pub[32];
    ck_assert_int_eq(ss_keypair_generate(&a), 0);
    ck_assert_int_eq(ss_keypair_generate(&b), 0);
    ck_assert(memcmp(a.secret_key, b.secret_key, 32) != 0);
    openssl_public(pub, a.secret_key);
    ck_assert(memcmp(pub, a.public_key, 32) == 0);
    openssl_public(pub, b.secret_key);
    ck_assert(memcmp(pub, b.public_key, 32) == 0);
}
END_TEST

START_TEST(keypair_from_secret_and_wipe)
{
    ss_keypair kp;
    uint8_t secret[32], pub[32];
    trng_bytes(secret, 32);
    openssl_public(pub, secret);
    ss_keypair_from_secret(&kp, secret);
    ck_assert(memcmp(kp.secret_key, secret, 32) == 0);
    ck_assert(memcmp(kp.public_key, pub, 32) == 0);
    /* In place, as the header allows: set secret_key by hand, then derive. */
    memset(&kp, 0, sizeof kp);
    memcpy(kp.secret_key, secret, 32);
    ss_keypair_from_secret(&kp, kp.secret_key);
    ck_assert(memcmp(kp.public_key, pub, 32) == 0);
    ss_keypair_wipe(&kp);
    ck_assert(all_zero(&kp, sizeof kp));
}
END_TEST

START_TEST(public_key_format_and_parse)
{
    ss_keypair kp;
    char text[SS_KEY_BASE64_LEN], theirs[64], line[64];
    uint8_t pub[32];
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ss_public_key_format(text, kp.public_key);
    openssl_base64(theirs, kp.public_key, 32);
    ck_assert_uint_eq(strlen(text), 44);
    ck_assert_str_eq(text, theirs);
    ck_assert_int_eq(ss_public_key_parse(pub, text, strlen(text)), 0);
    ck_assert(memcmp(pub, kp.public_key, 32) == 0);
    /* As read from a file or a pipe: with its line ending. */
    snprintf(line, sizeof line, " %s\r\n", text);
    ck_assert_int_eq(ss_public_key_parse(pub, line, strlen(line)), 0);
    ck_assert(memcmp(pub, kp.public_key, 32) == 0);
    /* Empty, too short, too long. */
    expect_error(ss_public_key_parse(pub, NULL, 0), SS_ERR_KEY_FILE, "public key", "empty");
    expect_error(ss_public_key_parse(pub, text, 40), SS_ERR_KEY_FILE, NULL, "30 bytes");
    static char huge[SS_KEY_FILE_MAX + 2];
    memset(huge, 'A', sizeof huge);
    expect_error(ss_public_key_parse(pub, huge, sizeof huge), SS_ERR_KEY_FILE, NULL, "too long");
    expect_error(ss_public_key_parse(NULL, text, 44), SS_ERR_ARGUMENT, NULL, NULL);
    ck_assert(all_zero(pub, 32));
}
END_TEST

/* ------------------------------------------------------------------ */
/* saving and loading                                                  */
/* ------------------------------------------------------------------ */

/* Flags 0 writes PEM too: one line of base64 is the form of a public key,
 * so ssockets writes a private key in no other form (keys.h). */
START_TEST(save_default_is_pem)
{
    ss_keypair kp, back;
    char text[256];
    const char *path = path_of("id.key");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, path, 0), 0);
    ck_assert_uint_eq(mode_of(path), 0600);
    ck_assert_uint_eq(read_whole(path, text, sizeof text), 119);
    ck_assert(strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    ck_assert_int_eq(ss_keypair_load(&back, path), 0);
    ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
    ck_assert_int_eq(count_entries(), 1); /* no temporary file left */
}
END_TEST

/* A private key of ssockets 0.1 (one line of base64, mode 0600) is refused
 * where a private key is expected, with the command that converts it; the
 * conversion reader takes it, and only it. */
START_TEST(base64_private_key_refused_with_conversion)
{
    ss_keypair kp, back;
    char b64[80];
    const char *path = path_of("old.key");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    openssl_base64(b64, kp.secret_key, 32);
    strcat(b64, "\n");
    write_text(path, b64, 0600);
    memset(&back, 0xaa, sizeof back);
    expect_error(ss_keypair_load(&back, path), SS_ERR_KEY_FILE, path,
                 "holds one line of base64, the form of a public key, but a private key");
    expect_error(-1, SS_ERR_KEY_FILE, NULL, "ssockets convert-key");
    ck_assert(all_zero(&back, sizeof back));
    ck_assert_int_eq(ss_keypair_load_base64(&back, path), 0);
    ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
    /* Converting: only a file of mode 0600, and never a PEM file. */
    ck_assert_int_eq(chmod(path, 0644), 0);
    expect_error(ss_keypair_load_base64(&back, path), SS_ERR_KEY_PERMISSIONS, path, "0644");
    ck_assert_int_eq(ss_keypair_save(&kp, path_of("new.key"), SS_KEY_PEM), 0);
    expect_error(ss_keypair_load_base64(&back, path_of("new.key")), SS_ERR_KEY_FILE,
                 path_of("new.key"), "already PEM");
    ck_assert(all_zero(&back, sizeof back));
}
END_TEST

/* A public key handed over as a private key, in either of its forms and
 * whatever its mode, is refused for what it is: no advice to chmod it. */
START_TEST(public_key_given_as_private)
{
    ss_keypair kp, back;
    char text[SS_KEY_BASE64_LEN + 1];
    const char *path = path_of("id.pub");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ss_public_key_format(text, kp.public_key);
    strcat(text, "\n");
    static const mode_t modes[] = {0644, 0600};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        write_text(path, text, modes[i]);
        ck_assert_int_eq(chmod(path, modes[i]), 0);
        expect_error(ss_keypair_load(&back, path), SS_ERR_KEY_FILE, path,
                     "the form of a public key");
        ck_assert(strstr(ss_thread_error()->message, "chmod") == NULL);
    }
}
END_TEST

START_TEST(save_load_pem)
{
    ss_keypair kp, back;
    char text[256];
    const char *path = path_of("id.pem");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, path, SS_KEY_PEM), 0);
    ck_assert_uint_eq(mode_of(path), 0600);
    ck_assert_uint_eq(read_whole(path, text, sizeof text), 119);
    ck_assert(strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    ck_assert_str_eq(text + 28 + 65, "-----END PRIVATE KEY-----\n");
    ck_assert_int_eq(ss_keypair_load(&back, path), 0);
    ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
    ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(save_mode_ignores_umask)
{
    /* umask 0 would leave 0600 alone; 0277 would make the creation mode
     * 0400. Either way the key file must end up exactly 0600. */
    static const mode_t masks[] = {0, 022, 077, 0277};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        ss_keypair kp;
        char name[32];
        snprintf(name, sizeof name, "k%zu", i);
        const char *path = path_of(name);
        ck_assert_int_eq(ss_keypair_generate(&kp), 0);
        mode_t old = umask(masks[i]);
        int rc = ss_keypair_save(&kp, path, SS_KEY_PEM);
        umask(old);
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(mode_of(path), 0600);
    }
}
END_TEST

START_TEST(save_refuses_overwrite_without_flag)
{
    ss_keypair a, b, back;
    const char *path = path_of("id.key");
    ck_assert_int_eq(ss_keypair_generate(&a), 0);
    ck_assert_int_eq(ss_keypair_generate(&b), 0);
    ck_assert_int_eq(ss_keypair_save(&a, path, 0), 0);
    expect_error(ss_keypair_save(&b, path, 0), SS_ERR_KEY_EXISTS, path, "exists");
    expect_error(ss_keypair_save(&b, path, SS_KEY_PEM), SS_ERR_KEY_EXISTS, path, NULL);
    ck_assert_int_eq(ss_keypair_load(&back, path), 0);
    ck_assert(memcmp(&back, &a, sizeof a) == 0);
    ck_assert_int_eq(count_entries(), 1);
    /* With the flag, replaced (and in the other format). */
    ck_assert_int_eq(ss_keypair_save(&b, path, SS_KEY_PEM | SS_KEY_OVERWRITE), 0);
    ck_assert_int_eq(ss_keypair_load(&back, path), 0);
    ck_assert(memcmp(&back, &b, sizeof b) == 0);
    ck_assert_uint_eq(mode_of(path), 0600);
    ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(save_never_writes_through_a_symlink)
{
    /* A dangling symbolic link planted at the path: without the flag it
     * counts as an existing file, and its target is not created. */
    ss_keypair kp;
    const char *path = path_of("id.key"), *target = path_of("planted");
    ck_assert_int_eq(symlink(target, path), 0);
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    expect_error(ss_keypair_save(&kp, path, 0), SS_ERR_KEY_EXISTS, path, NULL);
    ck_assert_int_eq(access(target, F_OK), -1);
    /* With the flag, the link itself is replaced by a regular file. */
    ck_assert_int_eq(ss_keypair_save(&kp, path, SS_KEY_OVERWRITE), 0);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

START_TEST(save_errors)
{
    ss_keypair kp;
    char missing[300];
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    snprintf(missing, sizeof missing, "%s/no/such/dir/id.key", dir);
    expect_error(ss_keypair_save(&kp, missing, 0), SS_ERR_SYSTEM, missing,
                 strerror(ENOENT));
    expect_error(ss_keypair_save(&kp, path_of("x"), 7), SS_ERR_ARGUMENT, NULL, NULL);
    expect_error(ss_keypair_save(&kp, path_of("x"), SS_KEY_PEM | 0x1000), SS_ERR_ARGUMENT, NULL,
                 NULL);
    expect_error(ss_keypair_save(&kp, NULL, SS_KEY_PEM), SS_ERR_ARGUMENT, NULL, NULL);
    expect_error(ss_keypair_save(NULL, path_of("x"), SS_KEY_PEM), SS_ERR_ARGUMENT, NULL, NULL);
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

START_TEST(load_refuses_loose_permissions)
{
    static const mode_t loose[] = {0644, 0640, 0604, 0660, 0620, 0602, 0666, 0606, 0610, 0601};
    ss_keypair kp, back;
    char mode_text[16];
    const char *path = path_of("id.key");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, path, 0), 0);
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        ck_assert_int_eq(chmod(path, loose[i]), 0);
        memset(&back, 0xaa, sizeof back);
        snprintf(mode_text, sizeof mode_text, "%04o", (unsigned)loose[i]);
        expect_error(ss_keypair_load(&back, path), SS_ERR_KEY_PERMISSIONS, path, mode_text);
        expect_error(-1, SS_ERR_KEY_PERMISSIONS, NULL, "chmod 600");
        ck_assert(all_zero(&back, sizeof back));
    }
    /* Owner-only modes are fine, read-only included. */
    static const mode_t tight[] = {0600, 0400, 0700};
    for (size_t i = 0; i < sizeof tight / sizeof tight[0]; i++) {
        ck_assert_int_eq(chmod(path, tight[i]), 0);
        ck_assert_int_eq(ss_keypair_load(&back, path), 0);
        ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
    }
    /* A public key file may be world-readable. */
    char text[SS_KEY_BASE64_LEN + 1];
    uint8_t pub[32];
    ss_public_key_format(text, kp.public_key);
    strcat(text, "\n");
    write_text(path_of("id.pub"), text, 0644);
    ck_assert_int_eq(ss_public_key_load(pub, path_of("id.pub")), 0);
    ck_assert(memcmp(pub, kp.public_key, 32) == 0);
}
END_TEST

/* Like ssh's StrictModes: a public key file that group or others can write
 * names whom we trust, and someone else may have put their key there. */
START_TEST(public_key_refuses_writable_by_others)
{
    ss_keypair kp;
    uint8_t pub[32];
    char text[SS_KEY_BASE64_LEN + 1], mode_text[16];
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ss_public_key_format(text, kp.public_key);
    strcat(text, "\n");
    const char *path = path_of("peer.pub");
    write_text(path, text, 0644);
    static const mode_t loose[] = {0664, 0646, 0666, 0620, 0602};
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        ck_assert_int_eq(chmod(path, loose[i]), 0);
        memset(pub, 0xaa, sizeof pub);
        snprintf(mode_text, sizeof mode_text, "%04o", (unsigned)loose[i]);
        expect_error(ss_public_key_load(pub, path), SS_ERR_KEY_PERMISSIONS, path, mode_text);
        ck_assert(all_zero(pub, sizeof pub));
    }
    static const mode_t fine[] = {0644, 0444, 0600, 0604};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        ck_assert_int_eq(chmod(path, fine[i]), 0);
        ck_assert_int_eq(ss_public_key_load(pub, path), 0);
        ck_assert(memcmp(pub, kp.public_key, 32) == 0);
    }
}
END_TEST

/* A file system without hard links (FAT, some FUSE and network mounts):
 * link() fails with EPERM or ENOTSUP. This program's own link() stands in
 * for such a file system when link_fails is set (a definition in the
 * program takes precedence over the C library's). */
static int link_fails;

int link(const char *from, const char *to)
{
    if (link_fails != 0) {
        errno = link_fails;
        return -1;
    }
    return linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
}

START_TEST(save_without_hard_links)
{
    static const int errors[] = {EPERM, ENOTSUP};
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        ss_keypair kp, back;
        char name[32];
        snprintf(name, sizeof name, "nolink%zu.key", i);
        const char *path = path_of(name);
        ck_assert_int_eq(ss_keypair_generate(&kp), 0);
        link_fails = errors[i];
        ck_assert_int_eq(ss_keypair_save(&kp, path, 0), 0);
        ck_assert_int_eq(mode_of(path) & 07777, 0600);
        ck_assert_int_eq(ss_keypair_load(&back, path), 0);
        ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
        /* Still never overwrites, and leaves no temporary file behind. */
        expect_error(ss_keypair_save(&kp, path, SS_KEY_PEM), SS_ERR_KEY_EXISTS, path, "exists");
        link_fails = 0;
        ck_assert_int_eq(count_entries(), (int)i + 1);
    }
}
END_TEST

START_TEST(load_refuses_what_is_not_a_file)
{
    ss_keypair kp;
    uint8_t pub[32];
    char missing[300];
    const char *sub = path_of("sub"), *fifo = path_of("fifo");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    expect_error(ss_keypair_load(&kp, sub), SS_ERR_KEY_FILE, sub, "directory");
    expect_error(ss_public_key_load(pub, sub), SS_ERR_KEY_FILE, sub, "directory");
    /* A FIFO: refused at once, without waiting for a writer (a hang here
     * ends in Check's timeout). */
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    expect_error(ss_keypair_load(&kp, fifo), SS_ERR_KEY_FILE, fifo, "not a regular file");
    expect_error(ss_public_key_load(pub, fifo), SS_ERR_KEY_FILE, fifo, "not a regular file");
    snprintf(missing, sizeof missing, "%s/absent.key", dir);
    expect_error(ss_keypair_load(&kp, missing), SS_ERR_KEY_FILE, missing, strerror(ENOENT));
    expect_error(ss_public_key_load(pub, missing), SS_ERR_KEY_FILE, missing, strerror(ENOENT));
    expect_error(ss_keypair_load(NULL, missing), SS_ERR_ARGUMENT, NULL, NULL);
    expect_error(ss_keypair_load(&kp, NULL), SS_ERR_ARGUMENT, NULL, NULL);
    expect_error(ss_public_key_load(pub, NULL), SS_ERR_ARGUMENT, NULL, NULL);
}
END_TEST

/* Writes text as a private key file (0600) and expects load to fail with
 * SS_ERR_KEY_FILE and a message containing needle; kp is wiped. */
static void expect_bad_private(const void *data, size_t len, const char *needle)
{
    const char *path = path_of("bad.key");
    ss_keypair kp;
    memset(&kp, 0xaa, sizeof kp);
    write_file(path, data, len, 0600);
    expect_error(ss_keypair_load(&kp, path), SS_ERR_KEY_FILE, path, needle);
    ck_assert(all_zero(&kp, sizeof kp));
}

/* The same for a public key file. */
static void expect_bad_public(const void *data, size_t len, const char *needle)
{
    const char *path = path_of("bad.pub");
    uint8_t pub[32];
    memset(pub, 0xaa, sizeof pub);
    write_file(path, data, len, 0644);
    expect_error(ss_public_key_load(pub, path), SS_ERR_KEY_FILE, path, needle);
    ck_assert(all_zero(pub, 32));
}

static void expect_good_private(const char *text, const ss_keypair *kp)
{
    const char *path = path_of("good.key");
    ss_keypair back;
    write_text(path, text, 0600);
    ck_assert_msg(ss_keypair_load(&back, path) == 0, "refused: %s", ss_thread_error()->message);
    ck_assert(memcmp(&back, kp, sizeof back) == 0);
}

START_TEST(load_refuses_broken_base64)
{
    ss_keypair kp;
    uint8_t raw[40];
    char b64[80], text[256];
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    openssl_base64(b64, kp.secret_key, 32);

    expect_bad_private("", 0, "empty");
    expect_bad_private(" \n\r\n\t", 5, "empty");
    /* Truncated: 43 characters (not whole groups), 40 (30 bytes). */
    expect_bad_private(b64, 43, "not base64 or PEM");
    expect_bad_private(b64, 40, "decodes to 30 bytes, expected 32");
    /* Keys of 31 and 33 bytes: valid base64, wrong length. */
    trng_bytes(raw, sizeof raw);
    openssl_base64(text, raw, 31);
    expect_bad_private(text, strlen(text), "decodes to 31 bytes, expected 32");
    openssl_base64(text, raw, 33);
    expect_bad_private(text, strlen(text), "decodes to 33 bytes, expected 32");
    /* Garbage, text and binary. */
    expect_bad_private("hello, world\n", 13, "not base64 or PEM");
    trng_bytes(raw, sizeof raw);
    raw[0] = 'x'; /* not '-', so it is read as base64 */
    expect_bad_private(raw, sizeof raw, "not base64 or PEM");
    /* A NUL inside. */
    memcpy(text, b64, 44);
    text[20] = '\0';
    expect_bad_private(text, 44, "not base64 or PEM");
    /* Two keys, or words around the key, or a space inside it. */
    snprintf(text, sizeof text, "%s\n%s\n", b64, b64);
    expect_bad_private(text, strlen(text), "not base64 or PEM");
    snprintf(text, sizeof text, "PrivateKey = %s\n", b64);
    expect_bad_private(text, strlen(text), "not base64 or PEM");
    snprintf(text, sizeof text, "%.20s %s\n", b64, b64 + 20);
    expect_bad_private(text, strlen(text), "not base64 or PEM");
    /* URL-safe alphabet. */
    snprintf(text, sizeof text, "%s", b64);
    for (char *p = text; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    if (strcmp(text, b64) != 0)
        expect_bad_private(text, strlen(text), "not base64 or PEM");
    /* Non-canonical: the last character before '=' carries 4 key bits and
     * 2 pad bits that must be zero (RFC 4648 §3.5); set one. */
    snprintf(text, sizeof text, "%s", b64);
    text[42] = alphabet[(strchr(alphabet, text[42]) - alphabet) | 1];
    expect_bad_private(text, 44, "not base64 or PEM");
}
END_TEST

START_TEST(load_accepts_whitespace_around)
{
    ss_keypair kp;
    char pem[256], text[300];
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, path_of("src.key"), SS_KEY_PEM), 0);
    size_t n = read_whole(path_of("src.key"), pem, sizeof pem);
    pem[n - 1] = '\0'; /* no final newline at all */
    expect_good_private(pem, &kp);
    snprintf(text, sizeof text, "%s\r\n", pem);
    expect_good_private(text, &kp);
    snprintf(text, sizeof text, "\n  \t%s \t\n\n", pem);
    expect_good_private(text, &kp);
}
END_TEST

START_TEST(load_size_limits)
{
    ss_keypair kp, back;
    char pem[256];
    static char text[SS_KEY_FILE_MAX + 1];
    const char *path = path_of("big.key");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, path_of("src.key"), SS_KEY_PEM), 0);
    size_t n = read_whole(path_of("src.key"), pem, sizeof pem);
    /* Exactly SS_KEY_FILE_MAX bytes: the key and trailing spaces, read. */
    memset(text, ' ', sizeof text);
    memcpy(text, pem, n);
    write_file(path, text, SS_KEY_FILE_MAX, 0600);
    ck_assert_int_eq(ss_keypair_load(&back, path), 0);
    ck_assert(memcmp(&back, &kp, sizeof kp) == 0);
    /* One byte more: refused before reading. */
    expect_bad_private(text, SS_KEY_FILE_MAX + 1, "too large");
    /* 1 MiB. */
    char *big = malloc(1 << 20);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', 1 << 20);
    expect_bad_private(big, 1 << 20, "too large (1048576 bytes");
    expect_bad_public(big, 1 << 20, "too large");
    free(big);
    /* A file whose size fstat cannot tell: Linux's /proc files report 0
     * bytes. The reading itself must stop at the limit. */
    uint8_t pk[32];
    if (access("/proc/self/smaps", R_OK) == 0)
        expect_error(ss_public_key_load(pk, "/proc/self/smaps"), SS_ERR_KEY_FILE,
                     "/proc/self/smaps", "more than 4096 bytes");
}
END_TEST

START_TEST(load_refuses_broken_pem)
{
    ss_keypair kp;
    char b64[80], body[80], text[512];
    uint8_t der[48];
    /* Build a PEM by hand from the RFC 8410 §7 layout, to damage it. */
    static const uint8_t prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                       0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    memcpy(der, prefix, 16);
    memcpy(der + 16, kp.secret_key, 32);
    openssl_base64(body, der, 48);
    ck_assert_uint_eq(strlen(body), 64);
    openssl_base64(b64, kp.secret_key, 32);

    /* The intact file, with LF and with CRLF, and blank lines around. */
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
             body);
    expect_good_private(text, &kp);
    snprintf(text, sizeof text,
             "\r\n-----BEGIN PRIVATE KEY-----\r\n%s\r\n-----END PRIVATE KEY-----\r\n\r\n", body);
    expect_good_private(text, &kp);

    /* Damaged. */
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%s\n", body);
    expect_bad_private(text, strlen(text), "no '-----END PRIVATE KEY-----' line");
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%s\n-----END PUBLIC KEY-----\n",
             body);
    expect_bad_private(text, strlen(text), "END");
    snprintf(text, sizeof text,
             "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\ntrailing\n", body);
    expect_bad_private(text, strlen(text), "after the END line");
    snprintf(text, sizeof text,
             "comment\n-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", body);
    expect_bad_private(text, strlen(text), "not base64 or PEM");
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%.40s\n-----END PRIVATE KEY-----\n",
             body);
    expect_bad_private(text, strlen(text), "PEM");
    snprintf(text, sizeof text,
             "-----BEGIN PRIVATE KEY-----\n%.32s\n%s\n-----END PRIVATE KEY-----\n", body,
             body + 32);
    expect_bad_private(text, strlen(text), "malformed body");
    snprintf(text, sizeof text,
             "-----BEGIN PRIVATE KEY-----\n\n%s\n-----END PRIVATE KEY-----\n", body);
    expect_bad_private(text, strlen(text), "malformed body");
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%.63s!\n-----END PRIVATE KEY-----\n",
             body);
    expect_bad_private(text, strlen(text), "not valid base64");
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY----\n%s\n-----END PRIVATE KEY-----\n",
             body);
    expect_bad_private(text, strlen(text), "first line");
    snprintf(text, sizeof text,
             "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n", body);
    expect_bad_private(text, strlen(text), "'OPENSSH PRIVATE KEY' block is not an X25519 key");
    /* A raw 32-byte key alone inside PEM armour: not DER at all. */
    uint8_t ones[32];
    memset(ones, 1, sizeof ones);
    openssl_base64(b64, ones, 32);
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
             b64);
    expect_bad_private(text, strlen(text), "PEM: not a valid DER PKCS#8 private key");
    /* One DER byte changed: the version INTEGER 0 -> 1 (a v2 key that
     * lacks its public key). */
    der[4] = 0x01;
    openssl_base64(body, der, 48);
    snprintf(text, sizeof text, "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
             body);
    expect_bad_private(text, strlen(text), "unsupported X25519 PKCS#8");
}
END_TEST

START_TEST(load_refuses_v2_pkcs8)
{
    /* RFC 5958 version 2 with the optional public key ([1] IMPLICIT BIT
     * STRING) is valid PKCS#8 for X25519, but not the form OpenSSL writes;
     * refused by name rather than half-read. 83 bytes: 30 51 | 02 01 01 |
     * 30 05 06 03 2b 65 6e | 04 22 04 20 <32> | 81 21 00 <32>. */
    ss_keypair kp;
    uint8_t der[83];
    char body[128], text[512];
    static const uint8_t head[16] = {0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06,
                                     0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    memcpy(der, head, 16);
    memcpy(der + 16, kp.secret_key, 32);
    der[48] = 0x81;
    der[49] = 0x21;
    der[50] = 0x00;
    memcpy(der + 51, kp.public_key, 32);
    openssl_base64(body, der, sizeof der); /* 112 characters: two lines, 64 + 48 */
    snprintf(text, sizeof text,
             "-----BEGIN PRIVATE KEY-----\n%.64s\n%s\n-----END PRIVATE KEY-----\n", body,
             body + 64);
    expect_bad_private(text, strlen(text), "unsupported X25519 PKCS#8 private key encoding");
    expect_bad_private(text, strlen(text), "83 bytes");
}
END_TEST

START_TEST(public_and_private_not_confused)
{
    EVP_PKEY *k = openssl_keygen(EVP_PKEY_X25519);
    const char *priv = path_of("x.pem"), *pub = path_of("x.pub.pem");
    char text[512];
    ss_keypair kp;
    uint8_t pk[32];
    openssl_write_private(priv, k);
    openssl_write_public(pub, k);
    /* Given as a private key, a public key file is refused for what it
     * holds, whatever its mode: no advice to chmod a public key. */
    static const mode_t modes[] = {0644, 0600};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(chmod(pub, modes[i]), 0);
        memset(&kp, 0xaa, sizeof kp);
        expect_error(ss_keypair_load(&kp, pub), SS_ERR_KEY_FILE, pub,
                     "holds a public key (PEM 'PUBLIC KEY'), but a private key is expected");
        expect_error(-1, SS_ERR_KEY_FILE, NULL, "pass the private key file");
        ck_assert(strstr(ss_thread_error()->message, "chmod") == NULL);
        ck_assert(all_zero(&kp, sizeof kp));
    }
    expect_error(ss_public_key_load(pk, priv), SS_ERR_KEY_FILE, priv,
                 "holds a private key (PEM 'PRIVATE KEY'), but a public key is expected");
    expect_error(-1, SS_ERR_KEY_FILE, NULL, "ssockets pubkey");
    size_t n = read_whole(priv, text, sizeof text);
    expect_error(ss_public_key_parse(pk, text, n), SS_ERR_KEY_FILE, "public key text",
                 "holds a private key");
    EVP_PKEY_free(k);
}
END_TEST

START_TEST(wrong_key_types_named)
{
    /* PKCS#8 and SPKI files of other algorithms, written by libcrypto:
     * refused as the wrong key type, naming the algorithm. */
    static const struct {
        int type;
        const char *name;
    } others[] = {
        {EVP_PKEY_ED25519, "Ed25519"}, {EVP_PKEY_X448, "X448"}, {EVP_PKEY_ED448, "Ed448"}};
    const char *priv = path_of("o.pem"), *pub = path_of("o.pub.pem");
    ss_keypair kp;
    uint8_t pk[32];
    char needle[64];
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        EVP_PKEY *k = openssl_keygen(others[i].type);
        openssl_write_private(priv, k);
        openssl_write_public(pub, k);
        snprintf(needle, sizeof needle, "wrong key type: %s, not X25519", others[i].name);
        expect_error(ss_keypair_load(&kp, priv), SS_ERR_KEY_FILE, priv, needle);
        expect_error(ss_public_key_load(pk, pub), SS_ERR_KEY_FILE, pub, needle);
        EVP_PKEY_free(k);
    }
    /* RSA and EC keys (long-form DER lengths in the RSA case). */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    ck_assert_ptr_nonnull(rsa);
    openssl_write_private(priv, rsa);
    openssl_write_public(pub, rsa);
    expect_error(ss_keypair_load(&kp, priv), SS_ERR_KEY_FILE, priv, "wrong key type: RSA");
    expect_error(ss_public_key_load(pk, pub), SS_ERR_KEY_FILE, pub, "wrong key type: RSA");
    /* Encrypted PKCS#8. */
    FILE *f = fopen(priv, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(
        PEM_write_PKCS8PrivateKey(f, rsa, EVP_aes_128_cbc(), "pass", 4, NULL, NULL), 1);
    fclose(f);
    expect_error(ss_keypair_load(&kp, priv), SS_ERR_KEY_FILE, priv, "encrypted");
    EVP_PKEY_free(rsa);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ck_assert_ptr_nonnull(ec);
    openssl_write_private(priv, ec);
    openssl_write_public(pub, ec);
    expect_error(ss_keypair_load(&kp, priv), SS_ERR_KEY_FILE, priv, "wrong key type: EC");
    expect_error(ss_public_key_load(pk, pub), SS_ERR_KEY_FILE, pub, "wrong key type: EC");
    EVP_PKEY_free(ec);
}
END_TEST

/* ------------------------------------------------------------------ */
/* OpenSSL interoperability                                            */
/* ------------------------------------------------------------------ */

START_TEST(reads_libcrypto_keys)
{
    /* Keys generated and written by libcrypto (EVP_PKEY_keygen,
     * PEM_write_PrivateKey, PEM_write_PUBKEY): we read the same raw
     * private key and derive the public key OpenSSL reports. */
    for (int i = 0; i < 20; i++) {
        EVP_PKEY *k = openssl_keygen(EVP_PKEY_X25519);
        uint8_t secret[32], pub[32], pk[32];
        ss_keypair kp;
        const char *priv = path_of("o.pem"), *pubpath = path_of("o.pub.pem");
        openssl_raw(k, secret, pub);
        openssl_write_private(priv, k);
        openssl_write_public(pubpath, k);
        ck_assert_int_eq(ss_keypair_load(&kp, priv), 0);
        ck_assert(memcmp(kp.secret_key, secret, 32) == 0);
        ck_assert(memcmp(kp.public_key, pub, 32) == 0);
        ck_assert_int_eq(ss_public_key_load(pk, pubpath), 0);
        ck_assert(memcmp(pk, pub, 32) == 0);
        EVP_PKEY_free(k);
    }
}
END_TEST

START_TEST(libcrypto_reads_our_keys)
{
    /* Our PEM files, read by PEM_read_PrivateKey: an X25519 key with the
     * same raw private and public keys. */
    for (int i = 0; i < 20; i++) {
        ss_keypair kp;
        uint8_t secret[32], pub[32];
        const char *path = path_of("ours.pem");
        ck_assert_int_eq(ss_keypair_generate(&kp), 0);
        ck_assert_int_eq(ss_keypair_save(&kp, path, SS_KEY_PEM | SS_KEY_OVERWRITE), 0);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(EVP_PKEY_get_id(k), EVP_PKEY_X25519);
        openssl_raw(k, secret, pub);
        ck_assert(memcmp(secret, kp.secret_key, 32) == 0);
        ck_assert(memcmp(pub, kp.public_key, 32) == 0);
        /* Its public half, written by libcrypto, reads back as ours. */
        uint8_t pk[32];
        openssl_write_public(path_of("ours.pub.pem"), k);
        f = fopen(path_of("ours.pub.pem"), "r");
        ck_assert_ptr_nonnull(f);
        EVP_PKEY *p = PEM_read_PUBKEY(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_ptr_nonnull(p);
        openssl_raw(p, NULL, pub);
        ck_assert(memcmp(pub, kp.public_key, 32) == 0);
        ck_assert_int_eq(ss_public_key_load(pk, path_of("ours.pub.pem")), 0);
        ck_assert(memcmp(pk, kp.public_key, 32) == 0);
        EVP_PKEY_free(p);
        EVP_PKEY_free(k);
    }
}
END_TEST

START_TEST(openssl_command_both_ways)
{
    if (!have_openssl_command()) {
        printf("openssl command not found: command-line interoperability not tested\n");
        return;
    }
    char cmd[1024], theirs[256];
    const char *key = path_of("gen.pem"), *pub = path_of("gen.pub.pem");
    ss_keypair kp;
    uint8_t pk[32];

    /* openssl genpkey -> our loader; openssl pkey -pubout -> ours too. */
    snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm X25519 -out '%s' 2>/dev/null", key);
    run(cmd);
    ck_assert_int_eq(chmod(key, 0600), 0);
    snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -pubout -out '%s' 2>/dev/null", key, pub);
    run(cmd);
    ck_assert_int_eq(ss_keypair_load(&kp, key), 0);
    ck_assert_int_eq(ss_public_key_load(pk, pub), 0);
    ck_assert(memcmp(pk, kp.public_key, 32) == 0);
    /* Cross-check the raw bytes through libcrypto's reading of the file. */
    FILE *f = fopen(key, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(k);
    uint8_t secret[32], raw_pub[32];
    openssl_raw(k, secret, raw_pub);
    ck_assert(memcmp(secret, kp.secret_key, 32) == 0);
    ck_assert(memcmp(raw_pub, kp.public_key, 32) == 0);
    EVP_PKEY_free(k);

    /* Our PEM file -> openssl pkey: it accepts it and prints the public
     * key we derive (compared as PEM text, which holds the same DER). */
    const char *ours = path_of("ours.pem"), *ours_pub_pem = path_of("ours.pub.pem");
    ck_assert_int_eq(ss_keypair_generate(&kp), 0);
    ck_assert_int_eq(ss_keypair_save(&kp, ours, SS_KEY_PEM), 0);
    snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -pubout -out '%s' 2>/dev/null", ours,
             ours_pub_pem);
    run(cmd);
    ck_assert_int_eq(ss_public_key_load(pk, ours_pub_pem), 0);
    ck_assert(memcmp(pk, kp.public_key, 32) == 0);
    /* And `openssl pkey -text` shows that key in its "pub:" hex dump. */
    snprintf(cmd, sizeof cmd,
             "openssl pkey -in '%s' -noout -text 2>/dev/null | tr -d ' :\\n' > '%s'", ours,
             path_of("ours.txt"));
    run(cmd);
    read_whole(path_of("ours.txt"), theirs, sizeof theirs);
    char hex[65];
    hex_encode(hex, kp.public_key, 32);
    ck_assert_msg(strstr(theirs, hex) != NULL, "openssl -text: %s", theirs);

    /* An Ed25519 key from the command line is the wrong type. */
    snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ED25519 -out '%s' 2>/dev/null",
             path_of("ed.pem"));
    run(cmd);
    ck_assert_int_eq(chmod(path_of("ed.pem"), 0600), 0);
    expect_error(ss_keypair_load(&kp, path_of("ed.pem")), SS_ERR_KEY_FILE, "ed.pem",
                 "wrong key type: Ed25519");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keys");

    TCase *b64 = tcase_create("base64");
    tcase_add_test(b64, base64_rfc4648_vectors);
    tcase_add_test(b64, base64_every_character_in_every_position);
    tcase_add_test(b64, base64_rejects_malformed);
    tcase_add_test(b64, base64_valid_edge_cases);
    tcase_add_test(b64, base64_output_capacity);
    tcase_add_test(b64, base64_differential_openssl);
    tcase_set_timeout(b64, 60);
    suite_add_tcase(s, b64);

    TCase *pairs = tcase_create("keypair");
    tcase_add_test(pairs, keypair_generate_matches_openssl);
    tcase_add_test(pairs, keypair_from_secret_and_wipe);
    tcase_add_test(pairs, public_key_format_and_parse);
    suite_add_tcase(s, pairs);

    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, make_dir, remove_dir);
    tcase_add_test(files, save_default_is_pem);
    tcase_add_test(files, base64_private_key_refused_with_conversion);
    tcase_add_test(files, public_key_given_as_private);
    tcase_add_test(files, save_load_pem);
    tcase_add_test(files, save_mode_ignores_umask);
    tcase_add_test(files, save_refuses_overwrite_without_flag);
    tcase_add_test(files, save_never_writes_through_a_symlink);
    tcase_add_test(files, save_errors);
    tcase_add_test(files, load_refuses_loose_permissions);
    tcase_add_test(files, public_key_refuses_writable_by_others);
    tcase_add_test(files, save_without_hard_links);
    tcase_add_test(files, load_refuses_what_is_not_a_file);
    tcase_add_test(files, load_refuses_broken_base64);
    tcase_add_test(files, load_accepts_whitespace_around);
    tcase_add_test(files, load_size_limits);
    tcase_add_test(files, load_refuses_broken_pem);
    tcase_add_test(files, load_refuses_v2_pkcs8);
    tcase_add_test(files, public_and_private_not_confused);
    tcase_add_test(files, wrong_key_types_named);
    tcase_set_timeout(files, 30);
    suite_add_tcase(s, files);

    TCase *interop = tcase_create("openssl");
    tcase_add_checked_fixture(interop, make_dir, remove_dir);
    tcase_add_test(interop, reads_libcrypto_keys);
    tcase_add_test(interop, libcrypto_reads_our_keys);
    tcase_add_test(interop, openssl_command_both_ways);
    tcase_set_timeout(interop, 60);
    suite_add_tcase(s, interop);

    return run_suite(s);
}
