/*
 * keys.h — X25519 key pairs and key files.
 *
 * Text formats read and written:
 *   private keys  OpenSSL's PEM "PRIVATE KEY" (PKCS#8, RFC 8410), as
 *                 `openssl genpkey -algorithm X25519` writes it, so that
 *                 `openssl pkey -in FILE -pubout` reads ours;
 *   public keys   one line of base64 of the 32 raw bytes (as WireGuard's
 *                 wg tool writes them: the line users paste), or PEM
 *                 "PUBLIC KEY" (SubjectPublicKeyInfo).
 * The two kinds cannot be mixed up: a private key where a public key is
 * expected, a public key or a one-line base64 key where a private key is
 * expected, are each refused with a message that says what the file holds
 * and what to pass instead. (ssockets 0.1 wrote private keys as one line of
 * base64 too; such a file is refused with the command that converts it.)
 * Errors are recorded as with every net-layer call (error.h); the message
 * names the file and the reason.
 * Course: docs/cli.md ("Keys"); a key pair is X25519(secret, 9), see
 * docs/x25519.md. Implementation notes: keys.c.
 */
#ifndef SS_KEYS_H
#define SS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "../crypto/export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

typedef struct {
    uint8_t secret_key[32];
    uint8_t public_key[32];
} ss_keypair;

/* Format for ss_keypair_save: PEM, the only one (0 means the same). */
#define SS_KEY_PEM 1
/* Flag for ss_keypair_save: replace an existing file. */
#define SS_KEY_OVERWRITE 0x100

/* Base64 of 32 bytes: 44 characters and a NUL. */
#define SS_KEY_BASE64_LEN 45

/* A fresh key pair from ss_random: 32 random bytes and X25519(them, 9).
 * 0, or -1 (SS_ERR_ARGUMENT for NULL; SS_ERR_RANDOM, kp then wiped). The
 * caller wipes kp when done (ss_keypair_wipe). */
SS_API int ss_keypair_generate(ss_keypair *kp);

/* Copies secret_key into kp and derives kp->public_key = X25519(secret_key,
 * 9). secret_key may be kp->secret_key itself. Cannot fail. */
SS_API void ss_keypair_from_secret(ss_keypair *kp, const uint8_t secret_key[32]);

/* Writes the private key to path as PEM PKCS#8 with mode 0600, atomically
 * (temporary file, fsync, rename). flags: 0 or SS_KEY_PEM, optionally
 * | SS_KEY_OVERWRITE; without it an existing file is an error
 * (SS_ERR_KEY_EXISTS). 0 or -1 (also SS_ERR_ARGUMENT, SS_ERR_SYSTEM). The
 * text form of the key is wiped from memory; a failed save leaves no
 * temporary file behind. */
SS_API int ss_keypair_save(const ss_keypair *kp, const char *path, int flags);

/* Reads a private key file (PEM PKCS#8) and derives the public key. A public
 * key, or one line of base64 (the form of public keys), is refused
 * (SS_ERR_KEY_FILE) with what the file holds and what to pass instead.
 * Refuses a private key file readable or writable by group or others
 * (SS_ERR_KEY_PERMISSIONS), like ssh. 0 or -1; kp is wiped on failure. */
SS_API int ss_keypair_load(ss_keypair *kp, const char *path);

/* Reads a public key file (base64 or PEM SubjectPublicKeyInfo). A private
 * key is refused (SS_ERR_KEY_FILE), saying to pass its public key. Refuses a
 * file that group or others can write (SS_ERR_KEY_PERMISSIONS): whoever can
 * write it chooses whom we trust. 0 or -1 (SS_ERR_ARGUMENT, SS_ERR_KEY_FILE);
 * public_key is zeroed on failure. */
SS_API int ss_public_key_load(uint8_t public_key[32], const char *path);

/* Parses a public key given as text (base64 or PEM). 0 or -1
 * (SS_ERR_ARGUMENT, SS_ERR_KEY_FILE); public_key is zeroed on failure. */
SS_API int ss_public_key_parse(uint8_t public_key[32], const char *text, size_t len);

/* Writes the base64 form of a public key (44 characters), NUL-terminated.
 * Cannot fail. */
SS_API void ss_public_key_format(char out[SS_KEY_BASE64_LEN], const uint8_t public_key[32]);

/* Zeroes a key pair. */
SS_API void ss_keypair_wipe(ss_keypair *kp);

/*
 * ---- Internal (no SS_API: not exported from the shared library) ----
 * The key-file code is built on these; the tests call them directly, since
 * the public functions only ever handle 32-byte keys.
 */

/* A file naming trusted keys (a public key file, the CLI's --allow list),
 * with mode bits `mode` (st_mode): 0, or -1 with SS_ERR_KEY_PERMISSIONS
 * recorded ("key file 'PATH': mode 0664 lets group or others write it")
 * when group or others may write it. */
int ss_trust_file_mode_ok(const char *path, unsigned mode);

/* Reads a private key file written by ssockets 0.1: one line of base64 of
 * the 32 secret bytes, mode 0600 (SS_ERR_KEY_PERMISSIONS otherwise). Only
 * for converting it (`ssockets convert-key`): the caller asserts that the
 * line is a private key, which nothing in the file can show. A PEM file is
 * refused ("already PEM"). 0 or -1; kp is wiped on failure. */
int ss_keypair_load_base64(ss_keypair *kp, const char *path);

/* The largest key file that is read, in bytes. A key is at most 119 bytes
 * in either format; a bigger file is refused before it is read. */
#define SS_KEY_FILE_MAX 4096

/* RFC 4648 §4 base64 (standard alphabet, '=' padding) of in[0..len) into
 * out, which must hold 4 * ((len + 2) / 3) + 1 bytes; NUL-terminated.
 * Returns the number of characters written (without the NUL). Runs in time
 * that depends only on len (keys.c explains how). */
size_t ss_base64_encode(char *out, const uint8_t *in, size_t len);

/* Decodes in[0..in_len), which must be canonical base64 — a multiple of 4
 * characters from the alphabet, '=' only as final padding, unused bits
 * zero; no whitespace — into out[0..out_cap), and sets *out_len. Returns
 * 0, or -1 (*out_len 0; out untouched or wiped) if in is not canonical or
 * the result does not fit in out_cap. No table index and no branch depends
 * on the characters of in, apart from asking whether the last two are '='
 * and the final valid/invalid verdict (keys.c explains why that is safe). */
int ss_base64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                     size_t in_len);

#ifdef __cplusplus
}
#endif

#endif
