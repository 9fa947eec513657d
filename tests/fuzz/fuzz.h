/*
 * fuzz.h — what the fuzz targets in tests/fuzz share (test code, not part
 * of the library).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput, the function
 * libFuzzer calls with every input it tries. The same file is built twice
 * (fuzz.mk): with clang's libFuzzer and sanitizers for `make fuzz`, and
 * with the normal compiler and replay.c's main() for `make check`, which
 * runs it on every committed seed and regression input.
 *
 * A target either returns 0 or stops the process: a crash or a sanitizer
 * report, or fuzz_fail() when one of its own checks finds a disagreement
 * (with OpenSSL, with a reference model, or between two ways of computing
 * the same thing). libFuzzer treats the abort as a crash and saves the
 * input that caused it.
 */
#ifndef SS_FUZZ_H
#define SS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "net/keys.h"

/* The entry point every target defines (libFuzzer's interface). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reading an input from the front ----
 * Targets take their parameters (lengths, modes, keys) from the input
 * before the data itself. Past the end, every read yields zeros, so any
 * input, even an empty one, means something; the mutator can then grow it
 * one byte at a time. */
typedef struct {
    const uint8_t *p;
    size_t left;
} fuzz_input;

fuzz_input fuzz_begin(const uint8_t *data, size_t size);
/* One byte; 0 past the end. */
uint8_t fuzz_u8(fuzz_input *in);
/* Two bytes, big-endian; 0 past the end. */
uint16_t fuzz_u16(fuzz_input *in);
/* Fills out[0..n) from the input, with zeros once it runs out. */
void fuzz_fill(fuzz_input *in, uint8_t *out, size_t n);
/* Up to n bytes in place (fewer at the end): returns a pointer to them
 * and their count in *got. */
const uint8_t *fuzz_bytes(fuzz_input *in, size_t n, size_t *got);

/* A heap buffer of exactly n bytes (malloc(1) for n = 0); aborts if
 * memory runs out. Outputs go in buffers of their exact size, so that a
 * write past the end is an AddressSanitizer report rather than a silent
 * scribble into a larger array. */
uint8_t *fuzz_alloc(size_t n);

/* ---- stopping on a disagreement ---- */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void fuzz_fail(const char *file, int line, const char *what);

/* Checks cond; if it is false, prints where and what, and aborts. */
#define FUZZ_CHECK(cond, what) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, (what)))

/* ---- fixed keys ----
 * Fuzzing needs determinism: the same input must take the same path every
 * time, so nothing here is random. The handshake targets play "local" (the
 * side under test) against a fuzzer-controlled "remote"; the seeds were
 * made by an honest remote holding the remote keys (make_seeds.c). */
typedef struct {
    ss_keypair local_static, local_ephemeral;
    ss_keypair remote_static, remote_ephemeral;
    uint8_t transport_key[32]; /* frame_recv: the peer's sending key */
    /* The hybrid patterns (hfs): each side's ML-KEM-768 key pair as a
     * decapsulation key (used when that side is the initiator), and the
     * encapsulation randomness (the responder's). */
    uint8_t local_kem_dk[2400], remote_kem_dk[2400], kem_m[32];
} fuzz_keys;

/* The keys, public halves derived on first use. */
const fuzz_keys *fuzz_get_keys(void);

#endif
