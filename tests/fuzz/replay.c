/*
 * replay.c — main() for the replay build of a fuzz target: runs its
 * LLVMFuzzerTestOneInput once on every file named on the command line, and
 * on every file in every directory named there (one level; names starting
 * with '.' and README files are skipped).
 *
 * This is how `make check` runs the committed seed corpus and every
 * regression input (tests/test_fuzz_replay.sh), with the normal compiler
 * and without libFuzzer. A target that finds a disagreement aborts, and a
 * memory error crashes (or, in `make check-asan`, is reported by the
 * sanitizer), so the exit status says whether every input passed.
 *
 * Each input is copied into a buffer of exactly its size, as libFuzzer
 * does, so that a read past its end is a real overflow.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads the whole file into a malloc'd buffer of exactly its size (one
 * byte for an empty file, so that malloc(0) is never asked). */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap *= 2);
        if (bigger == NULL)
            free(buf);
        buf = bigger;
    }
    int failed = ferror(f);
    fclose(f);
    if (buf == NULL || failed) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(n > 0 ? n : 1);
    if (exact != NULL && n > 0)
        memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

/* Runs the target on one file. 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
    size_t len = 0;
    uint8_t *data = read_file(path, &len);
    if (data == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int skipped(const char *name)
{
    return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

int main(int argc, char **argv)
{
    long inputs = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad |= replay_file(argv[i]) != 0;
            inputs++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (dir == NULL) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            bad = 1;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            char path[4096];
            if (skipped(e->d_name))
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            bad |= replay_file(path) != 0;
            inputs++;
        }
        closedir(dir);
    }
    printf("replay: %ld inputs\n", inputs);
    return bad;
}
