/*
 * util.h — small internal helpers every primitive needs (not installed).
 *
 * Course position: read this first (step 1 of the reading order in
 * docs/README.md; the chapters from docs/sha256.md on use every helper).
 * Cryptographic specifications describe byte strings; CPUs work on words.
 * RFC 8439 and RFC 7748 read words little-endian, FIPS 180-4 (SHA-256)
 * big-endian, and the load/store helpers below make that conversion
 * explicit and independent of the host's byte order. The other two helpers
 * are the security-critical ones:
 *
 *   ss_wipe       erases a secret so that it does not linger in memory, in a
 *                 way the optimiser is not allowed to delete;
 *   ss_ct_verify  compares two byte strings (a received tag with the
 *                 expected one) in time that does not depend on where they
 *                 first differ.
 *
 * Everything is static inline: no symbol is created, so nothing here is
 * exported from the shared library.
 */
#ifndef SS_CRYPTO_UTIL_H
#define SS_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * 128-bit products. GCC and Clang provide unsigned __int128 on 64-bit
 * targets; ISO C does not, so -Wpedantic would warn. __extension__ tells
 * the compiler we use the extension on purpose. The field arithmetic of
 * X25519 and Poly1305 multiply 64-bit limbs into these.
 */
__extension__ typedef unsigned __int128 ss_u128;

/* Little-endian loads and stores (RFC 8439 §2.1, RFC 7748 §5). */
static inline uint32_t ss_load32_le(const uint8_t s[4])
{
    return (uint32_t)s[0] | ((uint32_t)s[1] << 8) | ((uint32_t)s[2] << 16) |
           ((uint32_t)s[3] << 24);
}

static inline uint64_t ss_load64_le(const uint8_t s[8])
{
    return (uint64_t)ss_load32_le(s) | ((uint64_t)ss_load32_le(s + 4) << 32);
}

static inline void ss_store32_le(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
}

static inline void ss_store64_le(uint8_t out[8], uint64_t v)
{
    ss_store32_le(out, (uint32_t)v);
    ss_store32_le(out + 4, (uint32_t)(v >> 32));
}

/* Big-endian loads and stores (FIPS 180-4 §3.1: words are big-endian). */
static inline uint32_t ss_load32_be(const uint8_t s[4])
{
    return ((uint32_t)s[0] << 24) | ((uint32_t)s[1] << 16) |
           ((uint32_t)s[2] << 8) | (uint32_t)s[3];
}

static inline void ss_store32_be(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

static inline void ss_store64_be(uint8_t out[8], uint64_t v)
{
    ss_store32_be(out, (uint32_t)(v >> 32));
    ss_store32_be(out + 4, (uint32_t)v);
}

/*
 * ss_wipe: overwrite n bytes at p with zeros, and make sure the compiler
 * keeps the write.
 *
 * Why not plain memset? A buffer that is wiped just before it goes out of
 * scope is never read again, so by the C abstract machine the memset has no
 * observable effect and optimisers remove it ("dead store elimination").
 * The empty asm statement below takes the pointer as an input and declares
 * that it may read or write any memory ("memory" clobber). The compiler
 * cannot see inside it, so it must assume the zeros are read, and the
 * memset stays. This is the technique of Linux's memzero_explicit().
 * Accepts p == NULL when n == 0.
 *
 * Speed: for a fixed size of 96 bytes or more, GCC writes memset inline as
 * REP STOSQ, which on some CPUs (AMD Zen) takes about 30 cycles just to
 * start -- as long as the C library's memset takes to clear 300 bytes with
 * vector stores. The fast paths wipe a few such buffers per call, so a
 * large wipe calls the library's memset through a volatile pointer, which
 * the compiler cannot replace by inline code. Small ones stay inline (a
 * few stores, cheaper than a call).
 */
static inline void ss_wipe(void *p, size_t n)
{
    void *(*volatile library_memset)(void *, int, size_t) = memset;
    if (n == 0)
        return;
    if (n >= 96)
        library_memset(p, 0, n);
    else
        memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/*
 * ss_ct_verify: 0 when a[0..n) == b[0..n), -1 otherwise, in time that
 * depends only on n.
 *
 * memcmp() returns at the first differing byte, so the time it takes tells
 * an attacker how many leading bytes of a forged tag were right; byte by
 * byte, a tag could then be guessed in 16*256 tries instead of 2^128.
 * Here every byte is visited and the differences are OR-ed together; the
 * final 0/-1 is derived arithmetically, without a branch on the data:
 * diff is 0..255, (diff - 1) >> 8 is all ones only when diff was 0.
 */
static inline int ss_ct_verify(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint32_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (uint32_t)(a[i] ^ b[i]);
    /* diff == 0 -> (0 - 1) >> 8 = 0x00FFFFFF, & 1 = 1 -> return 0
     * diff  > 0 -> (diff - 1) >> 8 = 0,        & 1 = 0 -> return -1 */
    return (int)((diff - 1) >> 8 & 1) - 1;
}

#endif
