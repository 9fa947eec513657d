/*
 * paths.h — what produced a figure of make bench: the CPU's vector
 * extensions and the SS_CPU path (src/crypto/cpu.c) the library took, so
 * that figures from two machines, or from two paths, are never compared
 * blind. Shared by bench.c and bench_net.c; a header of static functions
 * because each is one program.
 */
#ifndef SS_BENCH_PATHS_H
#define SS_BENCH_PATHS_H

#include <stdio.h>
#include <string.h>

#include "crypto/cpu.h"

/* The extensions a fast path could use, as /proc/cpuinfo names them
 * (Linux lists only those the kernel enabled), in out: e.g.
 * "sse2 avx2 avx512f avx512vl avx512bw avx512ifma sha_ni bmi2 adx". */
static void bench_cpu_extensions(char *out, size_t cap)
{
    static const char *const names[] = {"sse2",     "avx2",       "avx512f", "avx512vl",
                                        "avx512bw", "avx512ifma", "sha_ni",  "bmi2",
                                        "adx"};
    char line[8192];
    out[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        snprintf(out, cap, "unknown");
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        line[strcspn(line, "\n")] = ' ';
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char word[32];
            snprintf(word, sizeof word, " %s ", names[i]);
            if (strstr(line, word) != NULL && strlen(out) + strlen(names[i]) + 2 < cap) {
                if (out[0] != '\0')
                    strcat(out, " ");
                strcat(out, names[i]);
            }
        }
        break;
    }
    fclose(f);
}

/* The SS_CPU name of the path that computes a primitive: kind is "sha"
 * (SHA-256, HMAC, HKDF), "chacha" (ChaCha20, the AEAD), "poly"
 * (Poly1305), "x25519" (shared secret), "x25519-base" (public key), or
 * "all" (a connection: every path in use, joined by commas). */
static const char *bench_path(const char *kind)
{
    static char all[64];
    unsigned cpu = ss_cpu_features();
    const char *vec = cpu & SS_CPU_AVX512 ? "avx512"
                      : cpu & SS_CPU_AVX2 ? "avx2"
                      : cpu & SS_CPU_SSE2 ? "sse2"
                                          : "ref";
    if (strcmp(kind, "sha") == 0)
        return cpu & SS_CPU_SHA ? "sha" : "ref";
    if (strcmp(kind, "chacha") == 0)
        return vec;
    if (strcmp(kind, "poly") == 0)
        return strcmp(vec, "sse2") == 0 ? "ref" : vec; /* no SSE2 Poly1305 */
    if (strcmp(kind, "x25519") == 0)
        return cpu & SS_CPU_ADX ? "adx" : "ref";
    if (strcmp(kind, "x25519-base") == 0)
        return cpu & SS_CPU_PORTABLE ? "portable" : cpu & SS_CPU_ADX ? "adx" : "ref";
    snprintf(all, sizeof all, "%s%s%s", vec, cpu & SS_CPU_SHA ? ",sha" : "",
             cpu & SS_CPU_ADX ? ",adx" : "");
    return all;
}

/* The line under each figure, and the same as key=value for BENCH lines. */
static void bench_print_path(const char *kind)
{
    char ext[256];
    bench_cpu_extensions(ext, sizeof ext);
    printf("    (CPU extensions: %s; path: SS_CPU=%s)\n", ext, bench_path(kind));
}

#endif
