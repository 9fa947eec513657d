/*
 * keylog.c — SSOCKETS_KEYLOGFILE: one line of traffic keys per connection
 * (format in keylog.h and docs/protocol.md §14).
 *
 * Course position: beside conn.c, which calls it once, right after Split().
 * It touches secrets only to print them on purpose: the line is built in a
 * local buffer, written with one write() call (with O_APPEND, the kernel
 * places a single write at the end of the file as a whole, so lines from
 * several processes or threads never interleave), and the buffer is wiped.
 */
#define _GNU_SOURCE /* O_CLOEXEC in older libcs */

#include "keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../crypto/util.h"

#define LABEL "SSOCKETS_KEYS"
/* LABEL, three spaces and three 64-digit values, a newline. */
#define LINE_LEN (sizeof LABEL - 1 + 3 * (1 + 64) + 1)

static pthread_once_t warned = PTHREAD_ONCE_INIT;

/* Once per process: whoever reads the file can read these sessions. */
static void warn(void)
{
    fprintf(stderr, "ssockets: warning: SSOCKETS_KEYLOGFILE is set: the keys of every "
                    "connection are written to %s, and anyone who reads it can decrypt "
                    "them\n", getenv("SSOCKETS_KEYLOGFILE"));
}

/* The hex digit of v (0..15), computed, not looked up: the keys are secret,
 * and a table index or a branch on them can be observed through the cache
 * or the branch predictor (keys.c says the same of base64). For v > 9,
 * 9 - v wraps around to a value with bit 31 set, and the mask that makes
 * adds the distance from '0' + 10 (':') to 'a'. */
static char hex_digit(uint32_t v)
{
    uint32_t letter = 0u - ((9 - v) >> 31); /* all ones when v > 9 */
    return (char)(v + '0' + (letter & ('a' - '0' - 10)));
}

static void put_hex(char *out, const uint8_t in[32])
{
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex_digit(in[i] >> 4);
        out[2 * i + 1] = hex_digit(in[i] & 15u);
    }
}

int ss_keylog_wanted(void)
{
    const char *path = getenv("SSOCKETS_KEYLOGFILE");
    return path != NULL && path[0] != '\0';
}

void ss_keylog_session(const uint8_t initiator_e[32], const uint8_t k1[32],
                       const uint8_t k2[32])
{
    if (!ss_keylog_wanted())
        return;
    const char *path = getenv("SSOCKETS_KEYLOGFILE");
    pthread_once(&warned, warn);

    char line[LINE_LEN];
    char *p = line;
    memcpy(p, LABEL, sizeof LABEL - 1);
    p += sizeof LABEL - 1;
    const uint8_t *values[3] = {initiator_e, k1, k2};
    for (int i = 0; i < 3; i++) {
        *p++ = ' ';
        put_hex(p, values[i]);
        p += 64;
    }
    *p = '\n';

    /* 0600: the file holds keys. An existing file keeps its mode. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    ssize_t n = -1;
    int err = 0;
    if (fd >= 0) {
        n = write(fd, line, sizeof line);
        err = errno;
        close(fd);
    } else {
        err = errno;
    }
    ss_wipe(line, sizeof line);
    if (n != (ssize_t)sizeof line)
        fprintf(stderr, "ssockets: warning: could not write the key log %s: %s\n", path,
                n < 0 ? strerror(err) : "short write");
}
