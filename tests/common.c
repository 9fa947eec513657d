/* common.c — see common.h. */
#include "common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct vec_file {
    FILE *f;
    char *path;
    char *section;
    char *line;
    size_t cap;
};

char *vec_path(const char *relpath)
{
    const char *dir = getenv("SS_VECTORS");
    if (dir == NULL)
        dir = "vectors";
    size_t n = strlen(dir) + strlen(relpath) + 2;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s/%s", dir, relpath);
    return p;
}

vec_file *vec_open(const char *relpath)
{
    vec_file *vf = calloc(1, sizeof *vf);
    ck_assert_ptr_nonnull(vf);
    vf->path = vec_path(relpath);
    vf->f = fopen(vf->path, "r");
    ck_assert_msg(vf->f != NULL, "cannot open vector file %s", vf->path);
    return vf;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void record_free(vec_record *rec)
{
    for (size_t i = 0; i < rec->count; i++) {
        free(rec->fields[i].name);
        free(rec->fields[i].value);
    }
    free(rec->fields);
    free(rec->section);
    memset(rec, 0, sizeof *rec);
}

int vec_next(vec_file *vf, vec_record *rec)
{
    record_free(rec);
    ssize_t got;
    while ((got = getline(&vf->line, &vf->cap, vf->f)) >= 0) {
        char *l = trim(vf->line);
        if (*l == '#')
            continue;
        if (*l == '\0') {
            if (rec->count > 0)
                break;
            continue;
        }
        if (*l == '[') {
            free(vf->section);
            vf->section = strdup(l);
            continue;
        }
        char *eq = strchr(l, '=');
        ck_assert_msg(eq != NULL, "%s: line without '=': %s", vf->path, l);
        *eq = '\0';
        rec->fields = realloc(rec->fields, (rec->count + 1) * sizeof *rec->fields);
        ck_assert_ptr_nonnull(rec->fields);
        rec->fields[rec->count].name = strdup(trim(l));
        rec->fields[rec->count].value = strdup(trim(eq + 1));
        rec->count++;
    }
    if (rec->count == 0)
        return 0;
    rec->section = vf->section ? strdup(vf->section) : NULL;
    return 1;
}

void vec_close(vec_file *vf)
{
    fclose(vf->f);
    free(vf->path);
    free(vf->section);
    free(vf->line);
    free(vf);
}

const char *vec_get(const vec_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->count; i++)
        if (strcmp(rec->fields[i].name, name) == 0)
            return rec->fields[i].value;
    return NULL;
}

uint8_t *vec_hex(const vec_record *rec, const char *name, size_t *len)
{
    const char *v = vec_get(rec, name);
    ck_assert_msg(v != NULL, "vector record lacks field %s", name);
    return hex_decode(v, len);
}

uint8_t *vec_hex_len(const vec_record *rec, const char *name, size_t want)
{
    size_t len;
    uint8_t *v = vec_hex(rec, name, &len);
    const char *section = vec_get(rec, "Section");
    ck_assert_msg(len == want, "%s: %s has %zu bytes, expected %zu",
                  section ? section : "(no Section)", name, len, want);
    return v;
}

long vec_long(const vec_record *rec, const char *name)
{
    const char *v = vec_get(rec, name);
    ck_assert_msg(v != NULL, "vector record lacks field %s", name);
    return strtol(v, NULL, 10);
}

int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

uint8_t *hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    ck_assert_msg(n % 2 == 0, "odd-length hex: %.40s", hex);
    uint8_t *out = malloc(n / 2 + 1);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        ck_assert_msg(hi >= 0 && lo >= 0, "bad hex: %.40s", hex);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

void hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

json_t *wp_load(const char *relpath)
{
    char *p = vec_path(relpath);
    json_error_t err;
    json_t *root = json_load_file(p, 0, &err);
    ck_assert_msg(root != NULL, "%s: %s (line %d)", p, err.text, err.line);
    free(p);
    return root;
}

uint8_t *wp_hex(json_t *obj, const char *field, size_t *len)
{
    const char *s = json_string_value(json_object_get(obj, field));
    ck_assert_msg(s != NULL, "Wycheproof object lacks string field %s", field);
    return hex_decode(s, len);
}

int wp_has_flag(json_t *test, const char *flag)
{
    json_t *flags = json_object_get(test, "flags");
    size_t i;
    json_t *v;
    json_array_foreach(flags, i, v) {
        if (strcmp(json_string_value(v), flag) == 0)
            return 1;
    }
    return 0;
}

static uint64_t trng_state;
static int trng_ready;

void trng_seed_from_env(void)
{
    if (trng_ready)
        return;
    const char *s = getenv("SS_SEED");
    trng_state = s ? strtoull(s, NULL, 0) : 0x53536f636b657473ULL;
    printf("random seed: SS_SEED=0x%llx\n", (unsigned long long)trng_state);
    fflush(stdout);
    trng_ready = 1;
}

/* splitmix64: tiny, well-distributed, and reproducible from the seed. */
uint64_t trng_u64(void)
{
    if (!trng_ready)
        trng_seed_from_env();
    uint64_t z = (trng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void trng_bytes(uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)trng_u64();
}

size_t trng_below(size_t n)
{
    return (size_t)(trng_u64() % n);
}

int long_tests(void)
{
    const char *s = getenv("SS_LONG");
    return s != NULL && strcmp(s, "1") == 0;
}

long diff_cases(void)
{
    return long_tests() ? 1000000L : 10000L;
}

void vec_report(const char *source, long passed, long expected)
{
    printf("vectors: %-48s %6ld passed\n", source, passed);
    fflush(stdout);
    ck_assert_msg(passed == expected, "%s: %ld vectors passed, expected %ld", source, passed,
                  expected);
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int count_fds(long pid)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/fd");
    else
        snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "cannot open %s", path);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return pid == 0 ? n - 1 : n; /* our own count includes the directory stream */
}

static int fds_before;

void fd_setup(void)
{
    fds_before = count_fds(0);
}

void fd_teardown(void)
{
    ck_assert_int_eq(count_fds(0), fds_before);
}

void fill(uint8_t *buf, size_t len, unsigned seed)
{
    uint32_t x = 0x9e3779b9u * (seed + 1);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
