/*
 * cpu.c — run-time choice of the fast paths.
 *
 * Every primitive has one reference implementation, the one its chapter
 * teaches, which runs on any CPU. Some also have fast paths in files of
 * their own (chacha20_avx2.c, sha256_shani.c, ...), compiled with the
 * instruction-set flags they need. Which one runs is decided here, once:
 *
 *   1. ask the CPU (the CPUID instruction) which extensions it implements;
 *   2. ask the operating system (XGETBV) whether it saves the wide registers
 *      on a context switch -- a CPU with AVX2 under an OS that does not
 *      save the YMM registers must not use them;
 *   3. narrow the result with the environment variable SS_CPU, so that a
 *      test or a benchmark can force any path the machine can run:
 *
 *        SS_CPU=ref            the reference code only
 *        SS_CPU=portable       the reference plus the fast paths in plain C
 *                              (the X25519 base-point table, x25519_base.c)
 *        SS_CPU=sse2           ... plus the SSE2 paths
 *        SS_CPU=avx2           ... plus the AVX2 paths
 *        SS_CPU=avx512         ... plus the AVX-512 paths (ChaCha20 on 16
 *                              blocks, Poly1305 with IFMA)
 *        SS_CPU=sha            the reference plus the SHA-extension path
 *        SS_CPU=adx            the reference plus the MULX/ADCX/ADOX path
 *        SS_CPU=avx2,sha       names can be combined with commas
 *
 *      A level names itself and every level below it (avx512 includes avx2,
 *      which includes sse2, which includes portable), never more than the
 *      CPU has. The SHA
 *      extensions are named on their own because valgrind can run AVX2 but
 *      not them: the valgrind runs use SS_CPU=avx2 and so leave them out.
 *      adx (MULX from BMI2, ADCX and ADOX from ADX) is named on its own too:
 *      scalar instructions, on no vector level; valgrind runs them. An
 *      unknown name is ignored.
 *
 * Spec: Intel 64 and IA-32 Architectures Software Developer's Manual, vol. 2,
 * CPUID (leaf 1 ECX: SSSE3 bit 9, SSE4.1 bit 19, OSXSAVE bit 27, AVX bit 28;
 * leaf 7 EBX: AVX2 bit 5, AVX512F bit 16, BMI2 bit 8, ADX bit 19,
 * AVX512IFMA bit 21, SHA bit 29, AVX512BW bit 30, AVX512VL bit 31) and
 * XGETBV (XCR0 bits 1-2: XMM and YMM state; bits 5-7: the opmask registers
 * k0-k7, the upper halves of ZMM0-15, and ZMM16-31).
 *
 * The AVX-512 paths need all four of F, VL, BW and IFMA (Intel since Ice
 * Lake, AMD since Zen 4) and an OS that saves all of XCR0 bits 1, 2, 5, 6
 * and 7. Valgrind runs no AVX-512 instruction, and its CPUID does not
 * report AVX-512, so under valgrind this path is never chosen.
 *
 * Nothing here is secret: the choice depends on the machine, never on keys
 * or data, so which path runs leaks nothing about them.
 */
#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

/* XCR0, the register in which the OS says which register state it saves.
 * Only valid when CPUID says OSXSAVE. */
static unsigned long long read_xcr0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned detect(void)
{
    /* plain C, and the x86-64 baseline */
    unsigned a, b, c, d, max_leaf, features = SS_CPU_PORTABLE | SS_CPU_SSE2;
    unsigned long long xcr0 = 0;

    max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf < 7 || !__get_cpuid(1, &a, &b, &c, &d))
        return features;
    unsigned leaf1_ecx = c;
    if (leaf1_ecx & (1u << 27)) /* OSXSAVE: XGETBV is usable */
        xcr0 = read_xcr0();
    __cpuid_count(7, 0, a, b, c, d);
    unsigned leaf7_ebx = b;

    int os_ymm = (xcr0 & 0x6) == 0x6; /* XMM and YMM state saved */
    if (os_ymm && (leaf1_ecx & (1u << 28)) && (leaf7_ebx & (1u << 5)))
        features |= SS_CPU_AVX2;
    if ((leaf7_ebx & (1u << 29)) && (leaf1_ecx & (1u << 19)) && (leaf1_ecx & (1u << 9)))
        features |= SS_CPU_SHA;
    if ((leaf7_ebx & (1u << 8)) && (leaf7_ebx & (1u << 19)))
        features |= SS_CPU_ADX;
    /* F (16), IFMA (21), BW (30), VL (31); and XMM, YMM, opmask, ZMM0-15
     * upper halves, ZMM16-31 all saved by the OS (XCR0 0xe6). */
    const unsigned avx512 = (1u << 16) | (1u << 21) | (1u << 30) | (1u << 31);
    int os_zmm = (xcr0 & 0xe6) == 0xe6;
    if ((features & SS_CPU_AVX2) && os_zmm && (leaf7_ebx & avx512) == avx512)
        features |= SS_CPU_AVX512;
    return features;
}
#else
/* Not x86-64 (or not GCC/Clang): the x86 fast paths are compiled out; the
 * plain C ones run anywhere. */
static unsigned detect(void)
{
    return SS_CPU_PORTABLE;
}
#endif

/* SS_CPU, parsed into the extensions it allows. Unset or empty: all. */
static unsigned allowed_by_env(void)
{
    const char *env = getenv("SS_CPU");
    unsigned allowed = 0;
    if (env == NULL || env[0] == '\0')
        return ~0u;
    while (*env != '\0') {
        size_t n = strcspn(env, ",");
        if (n == 8 && strncmp(env, "portable", n) == 0)
            allowed |= SS_CPU_PORTABLE;
        else if (n == 4 && strncmp(env, "sse2", n) == 0)
            allowed |= SS_CPU_PORTABLE | SS_CPU_SSE2;
        else if (n == 4 && strncmp(env, "avx2", n) == 0)
            allowed |= SS_CPU_PORTABLE | SS_CPU_SSE2 | SS_CPU_AVX2;
        else if (n == 6 && strncmp(env, "avx512", n) == 0)
            allowed |= SS_CPU_PORTABLE | SS_CPU_SSE2 | SS_CPU_AVX2 | SS_CPU_AVX512;
        else if (n == 3 && strncmp(env, "sha", n) == 0)
            allowed |= SS_CPU_SHA;
        else if (n == 3 && strncmp(env, "adx", n) == 0)
            allowed |= SS_CPU_ADX;
        /* "ref" (or anything else) adds nothing */
        env += n;
        if (*env == ',')
            env++;
    }
    return allowed;
}

/* The cached answers; 0x80000000 marks "not computed yet". Several threads
 * may compute them at once; they all store the same value, and the atomic
 * makes that race well defined. */
#define NOT_YET 0x80000000u
static _Atomic unsigned detected_cache = NOT_YET;
static _Atomic unsigned features_cache = NOT_YET;

unsigned ss_cpu_detected(void)
{
    unsigned f = atomic_load_explicit(&detected_cache, memory_order_relaxed);
    if (f == NOT_YET) {
        f = detect();
        atomic_store_explicit(&detected_cache, f, memory_order_relaxed);
    }
    return f;
}

unsigned ss_cpu_features(void)
{
    unsigned f = atomic_load_explicit(&features_cache, memory_order_relaxed);
    if (f == NOT_YET) {
        f = ss_cpu_detected() & allowed_by_env();
        atomic_store_explicit(&features_cache, f, memory_order_relaxed);
    }
    return f;
}
