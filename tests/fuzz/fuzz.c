/*
 * fuzz.c — the helpers of fuzz.h: reading an input, failing loudly, and
 * the fixed keys.
 */
#include "fuzz.h"

#include "crypto/mlkem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fuzz_input fuzz_begin(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, data == NULL ? 0 : size};
    return in;
}

uint8_t fuzz_u8(fuzz_input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

uint16_t fuzz_u16(fuzz_input *in)
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

void fuzz_fill(fuzz_input *in, uint8_t *out, size_t n)
{
    size_t got;
    const uint8_t *p = fuzz_bytes(in, n, &got);
    if (got > 0)
        memcpy(out, p, got);
    memset(out + got, 0, n - got);
}

const uint8_t *fuzz_bytes(fuzz_input *in, size_t n, size_t *got)
{
    const uint8_t *p = in->p;
    *got = n < in->left ? n : in->left;
    in->p += *got;
    in->left -= *got;
    return p;
}

uint8_t *fuzz_alloc(size_t n)
{
    uint8_t *p = malloc(n > 0 ? n : 1);
    FUZZ_CHECK(p != NULL, "out of memory");
    return p;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "\n%s:%d: FUZZ CHECK FAILED: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

/* Arbitrary fixed secrets (any 32 bytes are an X25519 secret key: the
 * scalar is clamped at each use, RFC 7748 §5). */
static const uint8_t local_static_secret[32] = {
    0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
    0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb};
static const uint8_t local_ephemeral_secret[32] = {
    0x1a, 0x04, 0x5f, 0x93, 0xc2, 0x77, 0x30, 0xe8, 0x4b, 0x6d, 0x11, 0xa9, 0x3e, 0xf0, 0x52, 0x0c,
    0x97, 0x28, 0xdb, 0x64, 0x05, 0xba, 0x4e, 0x73, 0x8c, 0x21, 0xf6, 0x39, 0xad, 0x12, 0x6b, 0xc4};
static const uint8_t remote_static_secret[32] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
static const uint8_t remote_ephemeral_secret[32] = {
    0xc3, 0x5e, 0x21, 0x0f, 0x88, 0x4d, 0xb7, 0x16, 0x6a, 0x92, 0xe4, 0x3b, 0x07, 0xd5, 0x7c, 0x41,
    0xfe, 0x2a, 0x63, 0x9b, 0x14, 0xc8, 0x55, 0xe0, 0x3d, 0x86, 0x0b, 0x7f, 0xa2, 0x49, 0xd1, 0x58};
static const uint8_t transport_key[32] = {
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};

const fuzz_keys *fuzz_get_keys(void)
{
    static fuzz_keys keys;
    static int ready;
    if (!ready) {
        ss_keypair_from_secret(&keys.local_static, local_static_secret);
        ss_keypair_from_secret(&keys.local_ephemeral, local_ephemeral_secret);
        ss_keypair_from_secret(&keys.remote_static, remote_static_secret);
        ss_keypair_from_secret(&keys.remote_ephemeral, remote_ephemeral_secret);
        memcpy(keys.transport_key, transport_key, 32);
        /* ML-KEM-768 key pairs from fixed seeds d || z: any 64 bytes do. */
        uint8_t ek[1184], d[32], z[32];
        memset(d, 0x4c, 32);
        memset(z, 0x7a, 32);
        FUZZ_CHECK(ss_mlkem768_keygen_derand(ek, keys.local_kem_dk, d, z) == 0, "KEM keys");
        memset(d, 0x52, 32);
        FUZZ_CHECK(ss_mlkem768_keygen_derand(ek, keys.remote_kem_dk, d, z) == 0, "KEM keys");
        memset(keys.kem_m, 0x6d, 32);
        ready = 1;
    }
    return &keys;
}
