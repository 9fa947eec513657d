/*
 * cpu.h — which fast paths this CPU can run, chosen once at run time.
 * Implementation and notes: cpu.c. Course: docs/performance.md.
 *
 * Internal (no SS_API): the crypto files ask ss_cpu_features() which of
 * their fast paths to take; the tests use it to list the paths to test.
 */
#ifndef SS_CPU_H
#define SS_CPU_H

/* One bit per instruction-set extension a fast path needs. */
#define SS_CPU_SSE2 1u   /* 128-bit integer vectors (every x86-64 CPU) */
#define SS_CPU_AVX2 2u   /* 256-bit integer vectors */
#define SS_CPU_SHA 4u    /* the SHA extensions (SHA256RNDS2, ...) with SSE4.1 */
#define SS_CPU_ADX 16u   /* BMI2 and ADX: MULX, ADCX, ADOX (the X25519 ladder) */
#define SS_CPU_PORTABLE 8u /* fast paths in plain C, any CPU (the X25519 base-point table) */
#define SS_CPU_AVX512 32u /* AVX-512 F, VL, BW and IFMA with the OS saving ZMM and opmask state */

/* The extensions in use: those the CPU and the operating system support,
 * narrowed by the environment variable SS_CPU if it is set (see cpu.c).
 * Computed on the first call; later calls return the same value. */
unsigned ss_cpu_features(void);

/* What the CPU and the operating system support, ignoring SS_CPU. */
unsigned ss_cpu_detected(void);

#endif
