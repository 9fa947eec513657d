/*
 * common.h — helpers shared by the test programs (not part of the library).
 *
 *  - reading vector files in the NIST ".rsp" style that vectors/ uses:
 *    "Name = value" lines, records separated by blank lines, '#' comments
 *    and '[...]' section lines ignored;
 *  - hex decoding; Wycheproof JSON access (through jansson);
 *  - a seeded pseudo-random generator for property and differential tests
 *    (the seed is printed, SS_SEED=... replays a run);
 *  - the per-source vector counts the test output reports.
 */
#ifndef SS_TEST_COMMON_H
#define SS_TEST_COMMON_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- vector files (paths relative to vectors/, or $SS_VECTORS) ---- */
typedef struct {
    char *name;
    char *value;
} vec_field;

typedef struct {
    vec_field *fields;
    size_t count;
    char *section; /* the last "[...]" line seen before this record, or NULL */
} vec_record;

typedef struct vec_file vec_file;

vec_file *vec_open(const char *relpath);          /* aborts the test if missing */
int vec_next(vec_file *vf, vec_record *rec);      /* 1: a record; 0: end of file */
void vec_close(vec_file *vf);
const char *vec_get(const vec_record *rec, const char *name);        /* NULL if absent */
uint8_t *vec_hex(const vec_record *rec, const char *name, size_t *len); /* malloc; aborts if absent */
/* vec_hex for a field of fixed size (a key, a nonce): aborts unless it has
 * exactly `want` bytes, naming the record's Section. */
uint8_t *vec_hex_len(const vec_record *rec, const char *name, size_t want);
long vec_long(const vec_record *rec, const char *name);              /* aborts if absent */
char *vec_path(const char *relpath);              /* malloc'd full path */

/* 1 when p[0..n) is all zero bytes (a wiped buffer, a refused output). */
int all_zero(const void *p, size_t n);

/* ---- hex ---- */
uint8_t *hex_decode(const char *hex, size_t *len); /* malloc(len or 1); aborts on bad hex */
void hex_encode(char *out, const uint8_t *in, size_t len); /* out: 2*len+1 */

/* ---- Wycheproof (jansson) ---- */
json_t *wp_load(const char *relpath);              /* aborts if missing or invalid */
uint8_t *wp_hex(json_t *obj, const char *field, size_t *len); /* hex string field */
int wp_has_flag(json_t *test, const char *flag);

/* ---- deterministic randomness for property/differential tests ---- */
void trng_seed_from_env(void);                    /* prints the seed once */
uint64_t trng_u64(void);
void trng_bytes(uint8_t *out, size_t len);
size_t trng_below(size_t n);                      /* 0 .. n-1 */
long diff_cases(void);                            /* 10,000, or 1,000,000 with SS_LONG=1 */
int long_tests(void);                             /* 1 when SS_LONG=1 */

/* ---- reporting: "vectors: <source>: N passed" and assert N == expected ---- */
void vec_report(const char *source, long passed, long expected);

/* ---- processes and descriptors (network tests) ---- */
void sleep_ms(long ms);                           /* sleeps ms, resumed after signals */
int count_fds(long pid);                          /* open descriptors of pid (0: this process) */
/* A Check fixture pair: every test must close every descriptor it opens.
 * tcase_add_checked_fixture(tc, fd_setup, fd_teardown). */
void fd_setup(void);
void fd_teardown(void);
/* Deterministic message contents (xorshift32 seeded by seed). */
void fill(uint8_t *buf, size_t len, unsigned seed);

/* Runs a Check suite, returns the process exit status. */
int run_suite(Suite *s);

#endif
