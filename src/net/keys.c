/*
 * keys.c — X25519 key pairs and the files that hold them.
 *
 * What it implements:
 *   - key pairs: a random 32-byte secret (ss_random) and its public key
 *     X25519(secret, 9) (RFC 7748 §6.1);
 *   - base64, RFC 4648 §4 (standard alphabet, '=' padding), written and
 *     read without a branch or a table index that depends on the data;
 *   - two text formats for a key: one line of base64 of the 32 raw bytes,
 *     as WireGuard's `wg pubkey` writes it, for public keys only, and
 *     OpenSSL's PEM (RFC 7468): "PRIVATE KEY" holding PKCS#8 (RFC 5958,
 *     RFC 8410 §7) and "PUBLIC KEY" holding SubjectPublicKeyInfo (RFC 5280
 *     §4.1, RFC 8410 §4), both DER-encoded (X.690). Private keys are PEM
 *     only, so that the two kinds can never be mistaken for each other;
 *     ssockets 0.1's one-line private keys are read only to convert them;
 *   - reading key files strictly, with a precise reason for every refusal,
 *     and writing them atomically with mode 0600.
 *
 * Representation: a key is 32 raw bytes everywhere; text is handled in
 * fixed buffers of SS_KEY_FILE_MAX bytes on the stack, wiped before return.
 *
 * Course position: the last piece of the net layer before the connection.
 * Nothing here is new cryptography; it is the plumbing that decides whether
 * the cryptography is used safely. A private key file that others can read,
 * a half-written key after a crash, or a file that is silently misread as a
 * different key would each undo everything the handshake guarantees.
 * Course chapters: docs/cli.md ("Keys") and docs/x25519.md (what a key
 * pair is).
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../crypto/random.h"
#include "../crypto/util.h"
#include "../crypto/x25519.h"
#include "fail.h"

/* Room for one refusal reason; ss_fail puts it after the file name. */
#define WHY_LEN 400

/*
 * Which kind of key a caller expects. A private key is read only from PEM
 * (PKCS#8): one line of base64 is how public keys are written and pasted,
 * so a private key in that form could be a public key handed over by
 * mistake, and nothing in 32 bytes tells the two apart. KEY_PRIVATE_BASE64
 * is the one exception, for converting a file that ssockets 0.1 wrote
 * (ss_keypair_load_base64): the caller has said it is a private key.
 */
enum key_role { KEY_PRIVATE, KEY_PUBLIC, KEY_PRIVATE_BASE64 };

/////////////////////////////////////////////////////////////////////////
/// Base64 without secret-dependent branches or table lookups          ///
/////////////////////////////////////////////////////////////////////////

/*
 * The textbook base64 decoder looks each character up in a 256-entry
 * table. For a private key file that is a problem: the table index is a
 * secret character, and which cache line of the table gets loaded can be
 * observed by another process on the same machine (cache-timing attacks
 * such as Flush+Reload recover table indices this way). The same holds for
 * an if/else chain ("is it a letter? a digit?"), whose branches the CPU
 * predicts and mispredicts visibly.
 *
 * So each character is classified with arithmetic: for every one of the
 * five ranges of the alphabet (A-Z, a-z, 0-9, '+', '/') a mask is computed
 * that is all ones when the character is in the range and zero otherwise,
 * and the results are combined with AND/OR. Every character takes the same
 * instructions whatever its value. A compiler could in principle turn the
 * masks back into branches; the check on that is to run the code under
 * valgrind with the secret marked undefined (the "ctgrind" method): for a
 * key, it reports only the final valid/invalid verdict in the decoder.
 */

/* All ones when lo <= c <= hi, else 0; c, lo, hi in 0..255.
 * c - lo wraps around to a value with bit 31 set exactly when c < lo, and
 * hi - c exactly when c > hi; so bit 31 of their OR is 1 when c is outside
 * the range. Subtracting 1 from that bit gives the mask: 0 - 1 = all ones,
 * 1 - 1 = 0. */
static uint32_t in_range_mask(uint32_t c, uint32_t lo, uint32_t hi)
{
    return (((c - lo) | (hi - c)) >> 31) - 1;
}

/* RFC 4648 §4, Table 1: the character for the 6-bit value v (0..63).
 * Exactly one of the five masks is all ones; the others zero their term
 * (where v - 26 etc. wrap around, the mask hides the garbage). */
static char base64_char(uint32_t v)
{
    uint32_t c = (in_range_mask(v, 0, 25) & (v + 'A')) |
                 (in_range_mask(v, 26, 51) & (v - 26 + 'a')) |
                 (in_range_mask(v, 52, 61) & (v - 52 + '0')) |
                 (in_range_mask(v, 62, 62) & '+') | (in_range_mask(v, 63, 63) & '/');
    return (char)c;
}

/* The inverse of base64_char: the 6-bit value of character c, and *bad is
 * OR-ed with all ones when c is not in the alphabet (the value is then 0).
 * The caller looks at *bad once, after the whole text. */
static uint32_t base64_value(uint32_t c, uint32_t *bad)
{
    uint32_t upper = in_range_mask(c, 'A', 'Z'), lower = in_range_mask(c, 'a', 'z'),
             digit = in_range_mask(c, '0', '9'), plus = in_range_mask(c, '+', '+'),
             slash = in_range_mask(c, '/', '/');
    *bad |= ~(upper | lower | digit | plus | slash);
    return (upper & (c - 'A')) | (lower & (c - 'a' + 26)) | (digit & (c - '0' + 52)) |
           (plus & 62) | (slash & 63);
}

size_t ss_base64_encode(char *out, const uint8_t *in, size_t len)
{
    size_t o = 0;
    /* RFC 4648 §4: each group of 3 bytes (24 bits) becomes 4 characters
     * of 6 bits each, most significant first. */
    for (size_t i = 0; i < len; i += 3) {
        size_t rest = len - i; /* public: depends only on len */
        uint32_t group = (uint32_t)in[i] << 16;
        if (rest > 1)
            group |= (uint32_t)in[i + 1] << 8;
        if (rest > 2)
            group |= in[i + 2];
        out[o++] = base64_char(group >> 18);
        out[o++] = base64_char(group >> 12 & 63);
        /* §4 cases (2) and (3): a final group of 1 or 2 bytes is padded
         * with zero bits to whole characters, then with '=' to 4. */
        out[o++] = rest > 1 ? base64_char(group >> 6 & 63) : '=';
        out[o++] = rest > 2 ? base64_char(group & 63) : '=';
    }
    out[o] = '\0';
    return o;
}

int ss_base64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                     size_t in_len)
{
    *out_len = 0;
    /* §3.2: with padding, an encoding is always whole 4-character groups. */
    if (in_len % 4 != 0)
        return -1;
    if (in_len == 0)
        return 0;
    /* How many '=' end the text: 0, 1 or 2. Apart from the verdict at the
     * end, this is the one place that branches on the characters, and it
     * only asks "is it '='?". For a key the answer is fixed by its length
     * (32 bytes always end in one '='), and for a character of real data
     * it is always "no", so the branch reveals the data's length modulo 3
     * and nothing about its value. */
    size_t pad = 0;
    if (in[in_len - 1] == '=')
        pad = in[in_len - 2] == '=' ? 2 : 1;
    size_t n = in_len / 4 * 3 - pad;
    if (n > out_cap)
        return -1;

    uint32_t bad = 0;
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        size_t pad_here = i + 4 == in_len ? pad : 0;
        uint32_t group = 0;
        for (size_t j = 0; j < 4; j++) {
            /* Padding stands for zero bits; a '=' anywhere else is not in
             * the alphabet and sets bad. */
            uint32_t v = j < 4 - pad_here ? base64_value((unsigned char)in[i + j], &bad) : 0;
            group = group << 6 | v;
        }
        /* §3.5: the bits that padded the last group must be zero, else
         * several texts would decode to the same key ("Zg==" and "Zh=="
         * both to "f"); a strict reader accepts only the canonical one. */
        if (pad_here == 1)
            bad |= group & 0xff;
        else if (pad_here == 2)
            bad |= group & 0xffff;
        out[o++] = (uint8_t)(group >> 16);
        if (o < n)
            out[o++] = (uint8_t)(group >> 8);
        if (o < n)
            out[o++] = (uint8_t)group;
    }
    /* Only now, once, is the verdict looked at: whether the text was
     * valid is all this branch reveals. */
    if (bad != 0) {
        ss_wipe(out, n);
        return -1;
    }
    *out_len = n;
    return 0;
}

/////////////////////////////////////////////////////////////////////////
/// The DER that OpenSSL wraps around an X25519 key                     ///
/////////////////////////////////////////////////////////////////////////

/*
 * DER (X.690) encodes every value as tag, length, contents. The two
 * structures below contain only fixed-size fields, so for X25519 their
 * encodings are a constant prefix followed by the 32 key bytes, and
 * reading them strictly is a comparison with that prefix: any other
 * encoding, even a valid one, is refused rather than half-understood.
 *
 * The algorithm identifier is the object identifier 1.3.101.110, id-X25519
 * (RFC 8410 §3), with no parameters. X.690 §8.19 packs the first two arcs
 * into one byte, 40 * 1 + 3 = 43 = 0x2b, then 101 = 0x65 and 110 = 0x6e
 * (each below 128, so one byte each).
 */

/* RFC 5958 §2 OneAsymmetricKey, version 1 (no public key, no attributes),
 * as RFC 8410 §7 defines it for X25519 and as OpenSSL writes it. */
static const uint8_t pkcs8_x25519_prefix[16] = {
    0x30, 0x2e,                   /* SEQUENCE of 46 bytes: OneAsymmetricKey */
    0x02, 0x01, 0x00,             /*   INTEGER 0: version v1 */
    0x30, 0x05,                   /*   SEQUENCE of 5: AlgorithmIdentifier */
    0x06, 0x03, 0x2b, 0x65, 0x6e, /*     OID 1.3.101.110, id-X25519 */
    0x04, 0x22,                   /*   OCTET STRING of 34: privateKey, which */
    0x04, 0x20,                   /*     holds an OCTET STRING of 32, the key */
};

/* RFC 5280 §4.1.2.7 SubjectPublicKeyInfo, RFC 8410 §4. */
static const uint8_t spki_x25519_prefix[12] = {
    0x30, 0x2a,                   /* SEQUENCE of 42 bytes */
    0x30, 0x05,                   /*   SEQUENCE of 5: AlgorithmIdentifier */
    0x06, 0x03, 0x2b, 0x65, 0x6e, /*     OID 1.3.101.110, id-X25519 */
    0x03, 0x21, 0x00,             /*   BIT STRING of 33: 0 unused bits, key */
};

#define PKCS8_X25519_LEN (sizeof pkcs8_x25519_prefix + 32) /* 48 */

/* Algorithms whose keys someone may plausibly hand us instead, so that
 * the refusal can name them. */
static const struct {
    const char *name;
    uint8_t len;
    uint8_t oid[9];
} known_algorithms[] = {
    {"X25519", 3, {0x2b, 0x65, 0x6e}},  /* 1.3.101.110, RFC 8410 */
    {"X448", 3, {0x2b, 0x65, 0x6f}},    /* 1.3.101.111 */
    {"Ed25519", 3, {0x2b, 0x65, 0x70}}, /* 1.3.101.112 */
    {"Ed448", 3, {0x2b, 0x65, 0x71}},   /* 1.3.101.113 */
    {"RSA", 9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}}, /* 1.2.840.113549.1.1.1 */
    {"EC", 7, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}},              /* 1.2.840.10045.2.1 */
    {"DSA", 7, {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01}},             /* 1.2.840.10040.4.1 */
};

/* Reads a DER header at der[*pos]: the expected tag, then the length in
 * short form (one byte below 0x80) or long form (0x81 or 0x82, then one
 * or two length bytes; X.690 §8.1.3). Returns the content length and moves
 * *pos to the content, or -1 if the tag differs or the content would run
 * past len. Used only to name the algorithm of a refused key. */
static long der_header(const uint8_t *der, size_t len, size_t *pos, uint8_t tag)
{
    size_t p = *pos, n;
    if (p + 2 > len || der[p] != tag)
        return -1;
    n = der[p + 1];
    p += 2;
    if (n == 0x81 || n == 0x82) {
        size_t bytes = n & 0x7f;
        if (p + bytes > len)
            return -1;
        n = der[p];
        if (bytes == 2)
            n = n << 8 | der[p + 1];
        p += bytes;
    } else if (n >= 0x80) {
        return -1;
    }
    if (n > len - p)
        return -1;
    *pos = p;
    return (long)n;
}

/* The name of the algorithm in a PKCS#8 (has_version) or SPKI structure:
 * SEQUENCE { [INTEGER version,] SEQUENCE { OID, ... }, ... }. NULL when
 * der is not shaped like one, "an unknown algorithm" for another OID. */
static const char *der_algorithm(const uint8_t *der, size_t len, int has_version)
{
    size_t pos = 0;
    long n;
    if (der_header(der, len, &pos, 0x30) < 0)
        return NULL;
    if (has_version) {
        if ((n = der_header(der, len, &pos, 0x02)) < 0)
            return NULL;
        pos += (size_t)n;
    }
    if (der_header(der, len, &pos, 0x30) < 0 || (n = der_header(der, len, &pos, 0x06)) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof known_algorithms / sizeof known_algorithms[0]; i++) {
        if ((size_t)n == known_algorithms[i].len &&
            memcmp(der + pos, known_algorithms[i].oid, (size_t)n) == 0)
            return known_algorithms[i].name;
    }
    return "an unknown algorithm";
}

/* Takes the key out of a decoded PEM body: exactly the X25519 prefix of
 * the role's structure and 32 bytes. Otherwise a reason into why. */
static int der_take_key(uint8_t key[32], char why[WHY_LEN], const uint8_t *der, size_t len,
                        enum key_role role)
{
    const uint8_t *prefix = role == KEY_PRIVATE ? pkcs8_x25519_prefix : spki_x25519_prefix;
    size_t prefix_len = role == KEY_PRIVATE ? sizeof pkcs8_x25519_prefix
                                            : sizeof spki_x25519_prefix;
    const char *structure = role == KEY_PRIVATE ? "PKCS#8 private key" : "SubjectPublicKeyInfo";

    /* The prefix is public structure; the comparison never reaches the
     * 32 key bytes, so memcmp's early exit tells nothing about them. */
    if (len == prefix_len + 32 && memcmp(der, prefix, prefix_len) == 0) {
        memcpy(key, der + prefix_len, 32);
        return 0;
    }
    const char *alg = der_algorithm(der, len, role == KEY_PRIVATE);
    if (alg == NULL)
        snprintf(why, WHY_LEN, "PEM: not a valid DER %s", structure);
    else if (strcmp(alg, "X25519") != 0)
        snprintf(why, WHY_LEN, "wrong key type: %s, not X25519", alg);
    else
        snprintf(why, WHY_LEN,
                 "PEM: unsupported X25519 %s encoding (%zu bytes; expected the %zu-byte form "
                 "OpenSSL writes)",
                 structure, len, prefix_len + 32);
    return -1;
}

/////////////////////////////////////////////////////////////////////////
/// Reading key text: one base64 line, or one PEM block                 ///
/////////////////////////////////////////////////////////////////////////

/*
 * Which characters the parser may branch on. Splitting text into lines and
 * trimming whitespace asks of each character "is it a newline / a space?".
 * For a character of base64 the answer is always "no", so these branches
 * reveal the layout of the file (where lines end), never the key.
 */

/* RFC 7468 §2: PEM body lines carry 64 base64 characters (the last line
 * may be shorter); OpenSSL writes an X25519 key's body as one line. */
#define PEM_LINE 64
#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_DASHES "-----"
#define PEM_LABEL_MAX 40

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits the next line off the front of *text / *len: *line, *line_len
 * without its "\n" or "\r\n". Returns 0 when no text is left. */
static int next_line(const char **line, size_t *line_len, const char **text, size_t *len)
{
    if (*len == 0)
        return 0;
    const char *nl = memchr(*text, '\n', *len);
    size_t n = nl != NULL ? (size_t)(nl - *text) : *len;
    size_t consumed = nl != NULL ? n + 1 : n;
    *line = *text;
    *line_len = n > 0 && (*text)[n - 1] == '\r' ? n - 1 : n;
    *text += consumed;
    *len -= consumed;
    return 1;
}

/* Does line[0..len) read "<prefix><label>-----"? Sets label[0..] (NUL-
 * terminated). Labels are limited to capitals, digits and spaces (RFC 7468
 * §3 allows more, but no key format uses more), so the label can be quoted
 * in an error message safely. */
static int pem_boundary(char label[PEM_LABEL_MAX + 1], const char *line, size_t len,
                        const char *prefix)
{
    size_t p = strlen(prefix), d = strlen(PEM_DASHES);
    if (len < p + d + 1 || len - p - d > PEM_LABEL_MAX || memcmp(line, prefix, p) != 0 ||
        memcmp(line + len - d, PEM_DASHES, d) != 0)
        return -1;
    size_t n = len - p - d;
    for (size_t i = 0; i < n; i++) {
        char c = line[p + i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' '))
            return -1;
        label[i] = c;
    }
    label[n] = '\0';
    return 0;
}

/* Is label the one for the role? If not, a reason into why. */
static int pem_label_ok(char why[WHY_LEN], const char *label, enum key_role role)
{
    const char *want = role == KEY_PRIVATE ? "PRIVATE KEY" : "PUBLIC KEY";
    if (strcmp(label, want) == 0)
        return 0;
    /* The two mix-ups that matter: each message says what the file holds,
     * what was expected, and what to pass instead. */
    if (role == KEY_PUBLIC && strcmp(label, "PRIVATE KEY") == 0)
        snprintf(why, WHY_LEN, "holds a private key (PEM 'PRIVATE KEY'), but a public key is "
                               "expected here: pass its public key instead, which "
                               "'ssockets pubkey' prints, and keep the private key secret");
    else if (role == KEY_PRIVATE && strcmp(label, "PUBLIC KEY") == 0)
        snprintf(why, WHY_LEN, "holds a public key (PEM 'PUBLIC KEY'), but a private key is "
                               "expected here: pass the private key file that "
                               "'ssockets genkey' or 'openssl genpkey' wrote");
    else if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0)
        snprintf(why, WHY_LEN, "PEM: encrypted private keys are not supported "
                               "(decrypt it with 'openssl pkey')");
    else
        snprintf(why, WHY_LEN, "PEM: a '%s' block is not an X25519 key (expected '%s')", label,
                 want);
    return -1;
}

/* RFC 7468 §3: "-----BEGIN <label>-----", base64 lines, "-----END
 * <label>-----", and nothing else (text has been trimmed). The body lines
 * are joined into body[] and decoded into der[]; both are wiped here. */
static int parse_pem(uint8_t key[32], char why[WHY_LEN], const char *text, size_t len,
                     enum key_role role)
{
    char label[PEM_LABEL_MAX + 1], end_label[PEM_LABEL_MAX + 1];
    char body[SS_KEY_FILE_MAX];
    uint8_t der[SS_KEY_FILE_MAX / 4 * 3];
    size_t body_len = 0, der_len = 0, last_line = PEM_LINE;
    const char *line;
    size_t line_len;
    int rc = -1, ended = 0;

    if (!next_line(&line, &line_len, &text, &len) ||
        pem_boundary(label, line, line_len, PEM_BEGIN) != 0) {
        snprintf(why, WHY_LEN, "PEM: the first line is not '-----BEGIN <label>-----'");
        goto done;
    }
    /* Decide on the label before the body is decoded: a private key handed
     * to the public-key reader is refused without ever being decoded. */
    if (pem_label_ok(why, label, role) != 0)
        goto done;
    while (next_line(&line, &line_len, &text, &len)) {
        if (line_len >= strlen(PEM_END) && memcmp(line, PEM_END, strlen(PEM_END)) == 0) {
            ended = 1;
            break;
        }
        /* RFC 7468 §3 (strict form): only the last line may be short. */
        if (line_len == 0 || line_len > PEM_LINE || last_line != PEM_LINE ||
            body_len + line_len > sizeof body) {
            snprintf(why, WHY_LEN, "PEM: malformed body (lines of 1 to %d base64 characters, "
                     "all but the last of %d)", PEM_LINE, PEM_LINE);
            goto done;
        }
        memcpy(body + body_len, line, line_len);
        body_len += line_len;
        last_line = line_len;
    }
    if (!ended || pem_boundary(end_label, line, line_len, PEM_END) != 0 ||
        strcmp(label, end_label) != 0) {
        snprintf(why, WHY_LEN, "PEM: no '-----END %s-----' line", label);
        goto done;
    }
    if (len != 0) {
        snprintf(why, WHY_LEN, "PEM: text after the END line");
        goto done;
    }
    if (ss_base64_decode(der, sizeof der, &der_len, body, body_len) != 0) {
        snprintf(why, WHY_LEN, "PEM: the body is not valid base64");
        goto done;
    }
    rc = der_take_key(key, why, der, der_len, role);
done:
    ss_wipe(body, sizeof body);
    ss_wipe(der, sizeof der);
    return rc;
}

/* parse_key's answer for one line of base64 of 32 bytes where a private
 * key is expected: no reason in why, the caller explains (it knows the
 * file's name, which the advice repeats). */
#define BASE64_NOT_PRIVATE (-2)

/* Parses a key of the given role from text[0..len) (len <= SS_KEY_FILE_MAX):
 * whitespace around it is ignored; what remains must be exactly one base64
 * line of 32 bytes or one PEM block (for KEY_PRIVATE only PEM, for
 * KEY_PRIVATE_BASE64 only base64). 0, or -1 with a reason in why, or
 * BASE64_NOT_PRIVATE. */
static int parse_key(uint8_t key[32], char why[WHY_LEN], const char *text, size_t len,
                     enum key_role role)
{
    while (len > 0 && is_space(text[0])) {
        text++;
        len--;
    }
    while (len > 0 && is_space(text[len - 1]))
        len--;
    if (len == 0) {
        snprintf(why, WHY_LEN, "is empty");
        return -1;
    }
    /* A base64 character is never '-', so this comparison stops at the
     * first byte of a base64 key and tells nothing about it. */
    if (len >= strlen(PEM_DASHES) && memcmp(text, PEM_DASHES, strlen(PEM_DASHES)) == 0) {
        if (role == KEY_PRIVATE_BASE64) {
            snprintf(why, WHY_LEN, "is already PEM: nothing to convert");
            return -1;
        }
        return parse_pem(key, why, text, len, role);
    }

    uint8_t raw[SS_KEY_FILE_MAX / 4 * 3];
    size_t n = 0;
    int rc = -1;
    if (ss_base64_decode(raw, sizeof raw, &n, text, len) != 0)
        snprintf(why, WHY_LEN,
                 "not base64 or PEM (%zu characters; a base64 key is one line of 44)", len);
    else if (n != 32)
        snprintf(why, WHY_LEN, "base64 decodes to %zu bytes, expected 32", n);
    else if (role == KEY_PRIVATE)
        rc = BASE64_NOT_PRIVATE; /* the caller words it, with the file's name */
    else {
        memcpy(key, raw, 32);
        rc = 0;
    }
    ss_wipe(raw, sizeof raw);
    return rc;
}

/////////////////////////////////////////////////////////////////////////
/// Key pairs                                                           ///
/////////////////////////////////////////////////////////////////////////

int ss_keypair_generate(ss_keypair *kp)
{
    if (kp == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_keypair_generate: NULL argument");
    /* Any 32 random bytes are a valid secret: X25519 clamps the scalar
     * itself (RFC 7748 §5), so the raw bytes are stored, as OpenSSL does. */
    if (ss_random(kp->secret_key, sizeof kp->secret_key) != 0) {
        ss_keypair_wipe(kp);
        return ss_fail(NULL, SS_ERR_RANDOM, NULL);
    }
    ss_x25519_public_key(kp->public_key, kp->secret_key);
    return 0;
}

void ss_keypair_from_secret(ss_keypair *kp, const uint8_t secret_key[32])
{
    /* memmove: the header invites ss_keypair_from_secret(kp, kp->secret_key). */
    memmove(kp->secret_key, secret_key, sizeof kp->secret_key);
    ss_x25519_public_key(kp->public_key, kp->secret_key);
}

void ss_keypair_wipe(ss_keypair *kp)
{
    ss_wipe(kp, sizeof *kp);
}

void ss_public_key_format(char out[SS_KEY_BASE64_LEN], const uint8_t public_key[32])
{
    ss_base64_encode(out, public_key, 32);
}

/////////////////////////////////////////////////////////////////////////
/// Key files                                                           ///
/////////////////////////////////////////////////////////////////////////

/* Records a failure about a key file (path) or key text (path NULL). */
static int key_fail(const char *path, int code, const char *why)
{
    if (path == NULL)
        return ss_fail(NULL, code, "public key text: %s", why);
    return ss_fail(NULL, code, "key file '%s': %s", path, why);
}

/* Records a failed system call on a key file, with the system's reason. */
static int key_fail_errno(const char *path, int code, const char *what, int err)
{
    return ss_fail(NULL, code, "key file '%s': %s: %s", path, what, strerror(err));
}

/* Reads all of path into buf[0..SS_KEY_FILE_MAX), refusing what cannot
 * be a key file before reading it, and, for a public key, a file that
 * group or others may write; *mode is the file's st_mode. A private key's
 * permissions are checked once its content shows it is one (private_mode_ok):
 * a public key handed over by mistake must hear that, not "chmod 600".
 * 0 or -1 (recorded). */
static int read_key_file(char buf[SS_KEY_FILE_MAX], size_t *len, unsigned *mode,
                         const char *path, enum key_role role)
{
    char why[WHY_LEN];
    struct stat st;
    int rc = -1;
    *len = 0;

    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer forever (on a regular file the flag changes nothing).
     * O_NOCTTY: a terminal is never made our controlling terminal. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return key_fail_errno(path, SS_ERR_KEY_FILE, "cannot open", errno);
    /* fstat on the open descriptor, not stat on the name: the checks then
     * apply to the very file we read, even if the name is swapped. */
    if (fstat(fd, &st) != 0) {
        key_fail_errno(path, SS_ERR_SYSTEM, "cannot stat", errno);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        key_fail(path, SS_ERR_KEY_FILE,
                 S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
        goto done;
    }
    *mode = (unsigned)st.st_mode;
    /* A public key says whom we trust: others may read it, but one that
     * others can write may have been replaced by theirs (ssh's StrictModes
     * refuses such files too). */
    if (role == KEY_PUBLIC && ss_trust_file_mode_ok(path, st.st_mode) != 0)
        goto done;
    if (st.st_size > SS_KEY_FILE_MAX) {
        snprintf(why, sizeof why, "is too large (%lld bytes; a key file has at most %d)",
                 (long long)st.st_size, SS_KEY_FILE_MAX);
        key_fail(path, SS_ERR_KEY_FILE, why);
        goto done;
    }
    /* read() may return less than asked (and EINTR on a signal); loop to
     * the end of the file, or one byte past the limit if it grew. */
    for (;;) {
        char extra;
        char *dst = *len < SS_KEY_FILE_MAX ? buf + *len : &extra;
        size_t room = *len < SS_KEY_FILE_MAX ? SS_KEY_FILE_MAX - *len : 1;
        ssize_t got = read(fd, dst, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            key_fail_errno(path, SS_ERR_KEY_FILE, "cannot read", errno);
            goto done;
        }
        if (got == 0)
            break;
        if (dst == &extra) {
            snprintf(why, sizeof why, "is too large (more than %d bytes)", SS_KEY_FILE_MAX);
            key_fail(path, SS_ERR_KEY_FILE, why);
            goto done;
        }
        *len += (size_t)got;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

/* Like ssh: a private key others can read is no longer private, and one
 * others can write may have been replaced. Refuse rather than use it, and
 * say how to fix it. 0 or -1 (recorded). */
static int private_mode_ok(const char *path, unsigned mode)
{
    if ((mode & 077) == 0)
        return 0;
    char why[WHY_LEN];
    snprintf(why, sizeof why, "mode %04o gives group or others access; chmod 600 it",
             mode & 07777);
    return key_fail(path, SS_ERR_KEY_PERMISSIONS, why);
}

int ss_trust_file_mode_ok(const char *path, unsigned mode)
{
    if ((mode & 022) == 0)
        return 0;
    char why[WHY_LEN];
    snprintf(why, sizeof why, "mode %04o lets group or others write it; chmod go-w it",
             mode & 07777);
    return key_fail(path, SS_ERR_KEY_PERMISSIONS, why);
}

/* ss_keypair_load and ss_keypair_load_base64: read, parse as role, then
 * check the permissions of what turned out to be a private key. */
static int load_private(ss_keypair *kp, const char *path, enum key_role role)
{
    char text[SS_KEY_FILE_MAX], why[WHY_LEN];
    uint8_t secret[32];
    size_t len;
    unsigned mode = 0;
    int rc = -1, parsed;

    if (kp == NULL || path == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_keypair_load: NULL argument");
    ss_keypair_wipe(kp); /* so that it is zero on every failure below */
    if (read_key_file(text, &len, &mode, path, role) != 0)
        goto done;
    parsed = parse_key(secret, why, text, len, role);
    if (parsed == BASE64_NOT_PRIVATE) {
        /* Which kind was found, which was expected, what to do. */
        ss_fail(NULL, SS_ERR_KEY_FILE,
                "key file '%s' holds one line of base64, the form of a public key, but a "
                "private key (PEM 'PRIVATE KEY') is expected here: if it is a public key, pass "
                "the private key file instead; if it is a private key written by ssockets 0.1, "
                "convert it once with: ssockets convert-key '%s'",
                path, path);
        goto done;
    }
    if (parsed != 0) {
        key_fail(path, SS_ERR_KEY_FILE, why);
        goto done;
    }
    if (private_mode_ok(path, mode) != 0)
        goto done;
    ss_keypair_from_secret(kp, secret);
    rc = 0;
done:
    ss_wipe(text, sizeof text);
    ss_wipe(secret, sizeof secret);
    return rc;
}

int ss_keypair_load(ss_keypair *kp, const char *path)
{
    return load_private(kp, path, KEY_PRIVATE);
}

int ss_keypair_load_base64(ss_keypair *kp, const char *path)
{
    return load_private(kp, path, KEY_PRIVATE_BASE64);
}

int ss_public_key_load(uint8_t public_key[32], const char *path)
{
    char text[SS_KEY_FILE_MAX], why[WHY_LEN];
    size_t len;
    unsigned mode;

    if (public_key == NULL || path == NULL)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_public_key_load: NULL argument");
    memset(public_key, 0, 32);
    /* A public key is no secret: group or others may read its file. */
    if (read_key_file(text, &len, &mode, path, KEY_PUBLIC) != 0)
        return -1;
    /* The file could still hold a private key (the parser refuses it),
     * so the buffer is wiped all the same. */
    int rc = parse_key(public_key, why, text, len, KEY_PUBLIC);
    ss_wipe(text, sizeof text);
    if (rc != 0)
        return key_fail(path, SS_ERR_KEY_FILE, why);
    return 0;
}

int ss_public_key_parse(uint8_t public_key[32], const char *text, size_t len)
{
    char why[WHY_LEN];

    if (public_key == NULL || (text == NULL && len != 0))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_public_key_parse: NULL argument");
    memset(public_key, 0, 32);
    if (len > SS_KEY_FILE_MAX) {
        snprintf(why, sizeof why, "is too long (%zu characters)", len);
        return key_fail(NULL, SS_ERR_KEY_FILE, why);
    }
    if (parse_key(public_key, why, len == 0 ? "" : text, len, KEY_PUBLIC) != 0)
        return key_fail(NULL, SS_ERR_KEY_FILE, why);
    return 0;
}

/* ---- writing ---- */

/* A PEM key file, as OpenSSL writes it: "-----BEGIN PRIVATE KEY-----\n",
 * the 64 base64 characters of the 48-byte DER and "\n", then
 * "-----END PRIVATE KEY-----\n": 28 + 65 + 26 = 119 bytes. */
#define PEM_PRIVATE_LEN 119

/* Returns the length of the text (NUL not counted). */
static size_t format_pem_private(char out[PEM_PRIVATE_LEN + 1], const uint8_t secret[32])
{
    static const char begin[] = PEM_BEGIN "PRIVATE KEY" PEM_DASHES "\n";
    static const char end[] = "\n" PEM_END "PRIVATE KEY" PEM_DASHES "\n";
    uint8_t der[PKCS8_X25519_LEN];
    size_t n = 0;

    memcpy(der, pkcs8_x25519_prefix, sizeof pkcs8_x25519_prefix);
    memcpy(der + sizeof pkcs8_x25519_prefix, secret, 32);
    memcpy(out, begin, sizeof begin - 1);
    n = sizeof begin - 1;
    n += ss_base64_encode(out + n, der, sizeof der); /* 48 bytes: one 64-character line */
    memcpy(out + n, end, sizeof end);                /* with its NUL */
    n += sizeof end - 1;
    ss_wipe(der, sizeof der);
    return n;
}

/* Writes all of data[0..len) to fd, across short writes and EINTR. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, data, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -1;
        data += put;
        len -= (size_t)put;
    }
    return 0;
}

/* Length of the suffix ".<16 hex digits>.tmp" of a temporary file name. */
#define TMP_SUFFIX_LEN 21

/*
 * Creates "<path>.<16 random hex digits>.tmp" — beside path, so that it is
 * on the same file system and rename()/link() can move it into place —
 * and returns its descriptor, or -1 (recorded).
 *
 * O_CREAT | O_EXCL fails if the name exists, even as a symbolic link, so
 * no one can make us write the key through a link they planted; the random
 * name keeps them from guessing it in advance. Mode 0600 from the first
 * instant: the file never exists with looser permissions. (mkstemp() would
 * do the same but cannot ask for O_CLOEXEC, which keeps the descriptor out
 * of programs a threaded caller starts meanwhile.)
 */
static int create_temp(char *tmp, size_t cap, const char *path)
{
    static const char hex[] = "0123456789abcdef";
    for (int attempt = 0; attempt < 16; attempt++) {
        uint8_t r[8];
        char name[17];
        if (ss_random(r, sizeof r) != 0)
            return ss_fail(NULL, SS_ERR_RANDOM, "key file '%s': naming a temporary file", path);
        for (size_t i = 0; i < sizeof r; i++) {
            name[2 * i] = hex[r[i] >> 4];
            name[2 * i + 1] = hex[r[i] & 15];
        }
        name[16] = '\0';
        snprintf(tmp, cap, "%s.%s.tmp", path, name);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return key_fail_errno(path, SS_ERR_SYSTEM, "cannot create a file beside it", errno);
    }
    return key_fail(path, SS_ERR_SYSTEM, "cannot create a temporary file beside it");
}

/* fsync()s the directory holding path: a rename or link is a change to
 * the directory, and is only on disk once the directory is. */
static int sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir == NULL)
        return ss_fail(NULL, SS_ERR_NOMEM, NULL);
    memcpy(dir, slash == NULL ? "." : path, n);
    dir[n] = '\0';

    int rc = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* EINVAL: a file system that cannot sync directories; nothing to do. */
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
        rc = key_fail_errno(path, SS_ERR_SYSTEM, "syncing its directory", errno);
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/*
 * "Create path from tmp, but never overwrite" where link() is not
 * supported: first claim the name with O_CREAT | O_EXCL, which fails with
 * EEXIST if anyone else has it (the refusal stays race-free), then rename()
 * the full temporary file over our own empty placeholder in one step. A
 * crash between the two leaves an empty file at path, never a partial key.
 */
static int place_without_link(const char *tmp, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return key_fail(path, SS_ERR_KEY_EXISTS, "already exists (refusing to overwrite it)");
        return key_fail_errno(path, SS_ERR_SYSTEM, "cannot create", errno);
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(path); /* our placeholder, empty */
        return key_fail_errno(path, SS_ERR_SYSTEM, "cannot create", err);
    }
    return 0;
}

/*
 * Puts data at path so that, whatever happens (crash, power cut, a full
 * disk), path either does not change or holds all of data:
 *   1. write a temporary file beside it, fsync it (the data is on disk);
 *   2. move it into place in one step: rename() replaces an existing file
 *      atomically; link() instead fails with EEXIST if path exists, so
 *      "do not overwrite" holds even against another program creating the
 *      file at the same moment (checking first and then renaming would
 *      leave a gap between the check and the rename);
 *   3. fsync the directory, so the new name is on disk too.
 * On every failure the temporary file is removed.
 */
static int write_atomically(const char *path, const char *data, size_t len, int overwrite)
{
    size_t cap = strlen(path) + TMP_SUFFIX_LEN + 1;
    char *tmp = malloc(cap);
    int fd = -1, tmp_exists = 0, rc = -1;

    if (tmp == NULL)
        return ss_fail(NULL, SS_ERR_NOMEM, NULL);
    if ((fd = create_temp(tmp, cap, path)) < 0)
        goto done;
    tmp_exists = 1;
    /* The umask may have taken bits away from 0600 at creation; set the
     * mode explicitly so the file is exactly 0600 whatever the umask. */
    if (fchmod(fd, 0600) != 0) {
        key_fail_errno(path, SS_ERR_SYSTEM, "setting mode 0600", errno);
        goto done;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        key_fail_errno(path, SS_ERR_SYSTEM, "writing", errno);
        goto done;
    }
    int closed = close(fd);
    fd = -1;
    if (closed != 0) {
        key_fail_errno(path, SS_ERR_SYSTEM, "writing", errno);
        goto done;
    }
    if (overwrite) {
        if (rename(tmp, path) != 0) {
            key_fail_errno(path, SS_ERR_SYSTEM, "cannot replace", errno);
            goto done;
        }
        tmp_exists = 0;
    } else if (link(tmp, path) != 0) {
        int err = errno;
        if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP) {
            /* No hard links on this file system (FAT, some FUSE and
             * network mounts): the fallback below, still race-free. */
            if (place_without_link(tmp, path) != 0)
                goto done;
            tmp_exists = 0;
        } else {
            if (err == EEXIST)
                key_fail(path, SS_ERR_KEY_EXISTS, "already exists (refusing to overwrite it)");
            else
                key_fail_errno(path, SS_ERR_SYSTEM, "cannot create", err);
            goto done;
        }
    } else {
        /* The key now has two names; drop the temporary one before the
         * directory is synced, so a crash cannot leave a stray copy. */
        unlink(tmp);
        tmp_exists = 0;
    }
    rc = sync_parent_dir(path);
done:
    if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlink(tmp);
    free(tmp);
    return rc;
}

int ss_keypair_save(const ss_keypair *kp, const char *path, int flags)
{
    int format = flags & ~SS_KEY_OVERWRITE;
    char text[PEM_PRIVATE_LEN + 1];
    struct stat st;

    /* 0 and SS_KEY_PEM both mean PEM: the one form of a private key that
     * cannot be taken for a public key (enum key_role above). */
    if (kp == NULL || path == NULL || (format != 0 && format != SS_KEY_PEM))
        return ss_fail(NULL, SS_ERR_ARGUMENT, "ss_keypair_save: NULL argument or bad flags");
    /* A quick answer before any secret touches the disk; link() in
     * write_atomically is what makes the refusal race-free. */
    if (!(flags & SS_KEY_OVERWRITE) && lstat(path, &st) == 0)
        return key_fail(path, SS_ERR_KEY_EXISTS, "already exists (refusing to overwrite it)");
    size_t len = format_pem_private(text, kp->secret_key);
    int rc = write_atomically(path, text, len, flags & SS_KEY_OVERWRITE);
    ss_wipe(text, sizeof text);
    return rc;
}
