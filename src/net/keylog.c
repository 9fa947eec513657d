/*
 * keylog.c — SSOCKETS_KEYLOGFILE: one line of traffic keys per connection
 * (format in keylog.h and docs/protocol.md §14).
 *
 * Course position: beside conn.c, which calls it once, right after Split().
 * It touches secrets only to print them on purpose: the line is built in a
 * local buffer, written with one write() call (with O_APPEND, the kernel
 * places a single write at the end of the file as a whole, so lines from
 * several processes or threads never interleave), and the buffer is wiped.
 *
 * The file holds keys, so only a file that is the user's own is written: it
 * is opened with O_NOFOLLOW (a symbolic link planted at the path is not
 * followed to someone else's file), and then it must be a regular file,
 * owned by us, that group and others can neither read nor write (a new
 * file is created with mode 0600). Otherwise nothing is written, a warning
 * says why, once per process, and the connection goes on: the key log is
 * a debugging aid, never a reason to fail a connection.
 */
#define _GNU_SOURCE /* O_CLOEXEC in older libcs */

#include "keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../crypto/util.h"

#define LABEL "SSOCKETS_KEYS"
/* LABEL, three spaces and three 64-digit values, a newline. */
#define LINE_LEN (sizeof LABEL - 1 + 3 * (1 + 64) + 1)

static pthread_once_t warned = PTHREAD_ONCE_INIT;
static pthread_once_t refused_once = PTHREAD_ONCE_INIT;
static char refused_why[160]; /* set before refused_once runs */

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

/* Once per process: the key log was not written, and why. */
static void warn_refused(void)
{
    fprintf(stderr, "ssockets: warning: SSOCKETS_KEYLOGFILE: nothing written to %s: %s\n",
            getenv("SSOCKETS_KEYLOGFILE"), refused_why);
}

/* Opens the key log for appending if it is ours alone (see the top); -1
 * with the reason in refused_why otherwise. */
static int open_own_file(const char *path)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        snprintf(refused_why, sizeof refused_why, "%s",
                 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        return -1;
    }
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "it is not a regular file";
    else if (st.st_uid != geteuid())
        why = "it belongs to another user";
    else if ((st.st_mode & 077) != 0)
        why = "group or others can read or write it (chmod 600 it)";
    if (why == NULL)
        return fd;
    snprintf(refused_why, sizeof refused_why, "%s", why);
    close(fd);
    return -1;
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
    int fd = open_own_file(path);
    if (fd < 0) {
        pthread_once(&refused_once, warn_refused);
        return;
    }
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

    ssize_t n = write(fd, line, sizeof line);
    int err = errno;
    close(fd);
    ss_wipe(line, sizeof line);
    if (n != (ssize_t)sizeof line)
        fprintf(stderr, "ssockets: warning: could not write the key log %s: %s\n", path,
                n < 0 ? strerror(err) : "short write");
}
