/*
 * timing.c — attack 4 of docs/labs.md: a measured timing attack on a leaky
 * tag check. NOT library code: a lab program with a deliberate leak.
 *
 *   cc -O2 -Isrc -o timing docs/labs/attacks/timing.c
 *   ./timing [--calls N] [--rounds N] [BYTES]
 *
 * A "verifier" holds a secret 16-byte tag. The attacker may submit guesses
 * and gets only yes/no, but it can time each answer. Two checks:
 *
 *   leaky_check   compares byte by byte and returns at the first difference,
 *                 as a naive memcmp does. The more leading bytes of the
 *                 guess are right, the longer it runs.
 *   ss_ct_verify  the library's check (src/crypto/util.h): it ORs all the
 *                 differences, so it runs the same time for every guess.
 *
 * The attack recovers the tag one byte at a time: for each position, try the
 * 256 values, time many calls with each, keep the slowest. Against
 * leaky_check it finds the first BYTES bytes (default 4; 16 would only take
 * longer); against ss_ct_verify its "recovered" bytes are noise.
 *
 * Making it measurable. One byte comparison costs about one CPU cycle, and
 * finding a one-cycle difference takes many samples. So that the lab ends in
 * a second even on a busy machine, each byte comparison here first does
 * WORK iterations of a loop the compiler must keep (a stand-in for a slow
 * device, such as the Xbox 360 boot loader, whose memcmp of a 16-byte HMAC
 * leaked through its timing: docs/labs.md). The timings are
 * real measurements of real code; only the size of the leak is enlarged.
 * Each measurement is the minimum over --rounds batches (default 9) of
 * --calls calls (default 50): the minimum filters out the batches that an
 * interrupt or another process slowed down. On a loaded machine the signal
 * can drown: then raise --rounds first (more batches, so the minimum is
 * more likely to be a quiet one), then --calls (each batch adds up more of
 * the leak). The program says so when a byte came out wrong. It prints what
 * it measured; nothing here asserts a time, because times depend on the
 * machine.
 */
#define _POSIX_C_SOURCE 199309L
#include "crypto/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG = 16, WORK = 10 };

/* Calls per batch and batches per measurement (--calls, --rounds). */
static int calls = 50, rounds = 9;

static const uint8_t secret_tag[TAG] = {0x3a, 0xc1, 0x5e, 0x07, 0x9b, 0x44, 0xd2, 0x18,
                                        0x6f, 0xe0, 0x21, 0x8c, 0x75, 0xb9, 0x02, 0xfd};

static volatile uint32_t sink;

/* The slow step before each byte comparison (see above). */
static void slow_step(void)
{
    for (uint32_t i = 0; i < WORK; i++)
        sink += i;
}

/* Deliberately leaky: returns at the first differing byte. */
static int leaky_check(const uint8_t a[TAG], const uint8_t b[TAG])
{
    for (int i = 0; i < TAG; i++) {
        slow_step();
        if (a[i] != b[i])
            return -1;
    }
    return 0;
}

/* The same slow step per byte, then the library's constant-time compare:
 * the only difference from leaky_check is the early return. */
static int ct_check(const uint8_t a[TAG], const uint8_t b[TAG])
{
    for (int i = 0; i < TAG; i++)
        slow_step();
    return ss_ct_verify(a, b, TAG);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The fastest of `rounds` batches of `calls` checks of guess, in ns. */
static uint64_t measure(int (*check)(const uint8_t *, const uint8_t *), const uint8_t *guess)
{
    uint64_t best = UINT64_MAX;
    for (int r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        for (int c = 0; c < calls; c++)
            sink += (uint32_t)check(guess, secret_tag);
        uint64_t t = now_ns() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

/* Recovers the first n bytes of the tag through check; prints each step and
 * returns how many bytes came out right. */
static int attack(const char *name, int (*check)(const uint8_t *, const uint8_t *), int n)
{
    uint8_t guess[TAG] = {0};
    int right = 0;
    printf("%s:\n", name);
    for (int pos = 0; pos < n; pos++) {
        uint64_t best = 0, second = 0;
        int best_value = 0;
        for (int v = 0; v < 256; v++) {
            guess[pos] = (uint8_t)v;
            uint64_t t = measure(check, guess);
            if (t > best) {
                second = best;
                best = t;
                best_value = v;
            } else if (t > second) {
                second = t;
            }
        }
        guess[pos] = (uint8_t)best_value;
        right += best_value == secret_tag[pos];
        printf("  byte %d: slowest guess 0x%02x (%llu ns per %d calls; next slowest %llu ns)"
               " -> %s\n", pos, best_value, (unsigned long long)best, calls,
               (unsigned long long)second, best_value == secret_tag[pos] ? "right" : "wrong");
    }
    printf("  %d of %d bytes recovered\n", right, n);
    return right;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: timing [--calls N] [--rounds N] [BYTES]\n"
            "  BYTES       how many bytes of the tag to recover, 1 to %d (default 4)\n"
            "  --calls N   checks per timed batch, 1 to 100000 (default 50)\n"
            "  --rounds N  batches per guess, the fastest kept, 1 to 1000 (default 9)\n"
            "  A weak signal (wrong bytes against leaky_check): raise --rounds, then --calls.\n",
            TAG);
    return 2;
}

/* A whole decimal number in [min, max], or -1. */
static int number(const char *text, int min, int max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || v < min || v > max)
        return -1;
    return (int)v;
}

int main(int argc, char **argv)
{
    int n = 4;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            calls = number(argv[++i], 1, 100000);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = number(argv[++i], 1, 1000);
        else if (argv[i][0] != '-' && i == argc - 1)
            n = number(argv[i], 1, TAG);
        else
            return usage();
        if (calls < 0 || rounds < 0 || n < 0)
            return usage();
    }
    int right = attack("leaky_check (early exit)", leaky_check, n);
    attack("ct_check (ss_ct_verify)", ct_check, n);
    if (right < n)
        printf("The leak drowned in noise for %d of %d bytes (this machine is busy now): run "
               "again with more batches, --rounds %d, or longer ones, --calls %d.\n",
               n - right, n, 3 * rounds, 3 * calls);
    return 0;
}
