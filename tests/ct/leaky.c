/*
 * leaky.c — the test of the test: two classic timing leaks, which the
 * method of ct.c must report, and their constant-time repairs, which it
 * must not. Built only as the program build/ct/leaky, never into the
 * library.
 *
 *   leaky branch   compares a secret tag the memcmp way, returning at the
 *                  first difference: a branch on secret bytes. The time
 *                  tells a forger how many leading bytes were right.
 *   leaky index    looks secret bytes up in a 256-byte table (an S-box): a
 *                  memory address computed from a secret. Cache timing
 *                  tells which table lines were touched (the classic
 *                  attack on table-based AES).
 *   leaky masked   both jobs done without either leak: differences ORed
 *                  together, and the table scanned whole with a mask
 *                  selecting the wanted entry.
 *
 * tests/test_ct.sh requires valgrind to report the first two (a
 * conditional jump, and a use of an undefined value as an address) and to
 * report nothing for the third: the method detects leaks, and does not
 * report everything.
 *
 * noinline keeps each function a function of its own, so the report names
 * it, and keeps the compiler from folding the fixed inputs into constants.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

/* The table: any 256 bytes will do; these are a fixed permutation. */
static uint8_t table[256];

/* Leak 1: an early exit at the first differing byte. */
__attribute__((noinline)) int leaky_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return -1;
    return 0;
}

/* Leak 2: a table lookup at a secret index. */
__attribute__((noinline)) void leaky_lookup(uint8_t *out, const uint8_t *secret, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = table[secret[i]];
}

/* Repair 1: every byte visited, the answer derived arithmetically (as
 * ss_ct_verify does). */
__attribute__((noinline)) int masked_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint32_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (uint32_t)(a[i] ^ b[i]);
    return (int)((diff - 1) >> 8 & 1) - 1;
}

/* Repair 2: read all 256 entries, keep the one whose index matches. The
 * mask is all ones when j == s: (j ^ s) is 0 only then, and 0 - 1 wraps
 * to all ones; the addresses read are the same for every s. */
__attribute__((noinline)) void masked_lookup(uint8_t *out, const uint8_t *secret, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t s = secret[i], v = 0;
        for (uint32_t j = 0; j < 256; j++) {
            uint32_t mask = (((j ^ s) - 1) >> 8) & 0xffu; /* 0xff iff j == s */
            v |= table[j] & mask;
        }
        out[i] = (uint8_t)v;
    }
}

int main(int argc, char **argv)
{
    uint8_t key[16], tag[16], out[16];
    const char *mode = argc > 1 ? argv[1] : "";
    int r;

    for (int i = 0; i < 256; i++)
        table[i] = (uint8_t)(i * 167 + 13); /* 167 is odd: a permutation */
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)(i * 29 + 1);
        tag[i] = key[i];
    }
    tag[15] ^= 1;
    (void)VALGRIND_MAKE_MEM_UNDEFINED(key, sizeof key);

    if (strcmp(mode, "branch") == 0) {
        r = leaky_compare(key, tag, sizeof key);
    } else if (strcmp(mode, "index") == 0) {
        leaky_lookup(out, key, sizeof key);
        r = out[0];
    } else if (strcmp(mode, "masked") == 0) {
        r = masked_compare(key, tag, sizeof key);
        masked_lookup(out, key, sizeof key);
        r += out[0];
    } else {
        fprintf(stderr, "usage: leaky branch|index|masked\n");
        return 2;
    }
    /* The results are declassified before printing, so that printf's own
     * work is not what gets reported. */
    (void)VALGRIND_MAKE_MEM_DEFINED(&r, sizeof r);
    printf("leaky %s: %d\n", mode, r);
    return 0;
}
