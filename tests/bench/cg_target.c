/*
 * cg_target.c — one operation, for instruction counts under callgrind
 * (tests/bench/callgrind.sh, part of make bench).
 *
 *   cg_target x25519     one X25519 with a variable point
 *   cg_target x25519base one X25519 public key (the base point u = 9)
 *   cg_target aead16k    one ChaCha20-Poly1305 seal of 16 KiB
 *   cg_target nn         one whole Noise NN handshake, both sides, in
 *                        memory (no sockets: the count is the protocol's)
 *
 * Callgrind collects only between the two CALLGRIND_TOGGLE_COLLECT (run it
 * with --collect-atstart=no), so set-up and exit are not counted.
 * Instruction counts do not depend on the machine's load, which makes them
 * the figure to compare across changes (the committed baseline:
 * tests/bench/callgrind_baseline.txt).
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "crypto/aead.h"
#include "crypto/x25519.h"
#include "net/noise.h"

static uint8_t buf[16384];

static int nn_handshake(void)
{
    ss_handshake init, resp;
    uint8_t msg[256], payload[64];
    size_t len, plen;
    ss_cipher_state s1, r1, s2, r2;
    if (ss_handshake_init(&init, SS_NOISE_NN, 1, NULL, 0, NULL, NULL, NULL, NULL) != 0 ||
        ss_handshake_init(&resp, SS_NOISE_NN, 0, NULL, 0, NULL, NULL, NULL, NULL) != 0)
        return 1;
    /* -> e */
    if (ss_handshake_write(&init, msg, sizeof msg, &len, NULL, 0) != 0 ||
        ss_handshake_read(&resp, payload, sizeof payload, &plen, msg, len) != 0)
        return 1;
    /* <- e, ee */
    if (ss_handshake_write(&resp, msg, sizeof msg, &len, NULL, 0) != 0 ||
        ss_handshake_read(&init, payload, sizeof payload, &plen, msg, len) != 0)
        return 1;
    ss_handshake_split(&init, &s1, &r1, NULL);
    ss_handshake_split(&resp, &s2, &r2, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t key[32] = {1}, point[32] = {9}, out[32], nonce[12] = {0}, tag[16];
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: cg_target x25519|x25519base|aead16k|nn\n");
        return 2;
    }
    CALLGRIND_TOGGLE_COLLECT;
    if (strcmp(argv[1], "x25519") == 0)
        rc = ss_x25519(out, key, point);
    else if (strcmp(argv[1], "x25519base") == 0)
        ss_x25519_public_key(out, key);
    else if (strcmp(argv[1], "aead16k") == 0)
        rc = ss_aead_seal(buf, tag, key, nonce, NULL, 0, buf, sizeof buf);
    else if (strcmp(argv[1], "nn") == 0)
        rc = nn_handshake();
    else
        rc = 2;
    CALLGRIND_TOGGLE_COLLECT;
    return rc;
}
