/*
 * relay.c — the data path of `ssockets listen` and `ssockets connect`:
 * standard input goes to the peer and the peer's messages go to standard
 * output, both at once, as with netcat.
 *
 * Course position: the last chapter (docs/cli.md). Everything here is the
 * public API of conn.h used as an application would use it; no byte of the
 * protocol is visible at this level.
 *
 * Why two threads. A program that must wait for "stdin has data" and "the
 * peer sent something" at the same time would usually poll() both file
 * descriptors. The connection deliberately hides its socket (a caller that
 * read or wrote the stream behind its back would break the framing and the
 * nonces), so each direction gets its own thread, blocked in its own call:
 *
 *     sender thread   read(stdin) -> ss_send        ... EOF -> ss_shutdown
 *     main thread     ss_recv     -> write(stdout)  ... the peer's close
 *
 * The directions are independent, like the two halves of a TCP connection.
 * A close means "I will send nothing more" (docs/protocol.md), not "stop
 * talking to me": a side whose peer has closed keeps sending its input until
 * that ends. So a listener with nothing to say (stdin from /dev/null) closes
 * its half at once and still receives a whole file, and no byte is lost to
 * the order in which the two closes happen to arrive. The session is over
 * when both closes have been exchanged; only then is the connection closed
 * (ss_close wipes the keys and frees it) and the program exits 0.
 *
 * Sharing the connection: ss_send and ss_recv work on separate halves of it
 * (the sending and the receiving CipherState of Noise §5 Split()), and
 * conn.h allows one thread in each. ss_close, which frees everything, runs
 * only after the sender thread has ended. A failure in either thread ends
 * the whole process through cli_fail with one line on stderr.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/util.h"

/* One read of stdin becomes one message of at most 64 KiB (four frames of
 * SS_MAX_FRAGMENT bytes). Large enough that copying a big file is not
 * dominated by per-message work; and read() returns whatever is available
 * without waiting to fill the buffer, so a line typed at a terminal still
 * leaves at once. Each thread has its own buffer; static, since 64 KiB is
 * a lot to put on a thread's stack. */
#define CHUNK 65536

/* A send that found the peer gone (SS_ERR_PEER_GONE) does not end the
 * program at once: the peer may have said why before it left (the server's
 * authenticated refusal of our key, docs/protocol.md), and the receiving
 * side reads that, and reports it. The sender only stops, leaving its
 * reason here, reported if the receiving side ends without one. */
static char send_error[512];

/* Records the sending side's failure: PEER_GONE waits for the receiving
 * side's verdict, anything else ends the program now. */
static void send_failed(ss_conn *c)
{
    if (ss_last_error(c) != SS_ERR_PEER_GONE)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(c));
    snprintf(send_error, sizeof send_error, "%s", ss_last_error_message(c));
}

/* The sender thread: stdin to the peer, then our close. */
static void *send_stdin(void *arg)
{
    ss_conn *c = arg;
    static uint8_t buf[CHUNK];

    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue; /* a signal interrupted the wait; nothing was read */
        if (n < 0)
            cli_fail(EXIT_CONN, "reading standard input: %s", strerror(errno));
        if (n == 0)
            break; /* end of input */
        int rc = ss_send(c, buf, (size_t)n);
        ss_wipe(buf, (size_t)n); /* the plaintext does not outlive its message */
        if (rc != 0) {
            send_failed(c);
            return NULL;
        }
    }
    /* The authenticated close tells the peer that our data is complete: a
     * connection cut by an attacker would instead end in "truncated". */
    if (ss_shutdown(c) != 0)
        send_failed(c);
    return NULL;
}

/* Writes all of p to stdout. write(2) may write less than asked (a pipe
 * that is nearly full) or be interrupted; both just mean "continue". With
 * SIGPIPE ignored (main.c), a reader that went away gives EPIPE here: it
 * wants no more (`ssockets connect ... | head -2`), so we end quietly with
 * status 0, as cat ends when SIGPIPE stops it (the peer sees the stream
 * end without our close: "truncated", which is the truth). Any other
 * write error is reported. */
static void write_stdout(const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            cli_quit(0); /* atexit (main.c) still wipes our key */
        if (n < 0)
            cli_fail(EXIT_CONN, "writing standard output: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

int cli_relay(ss_conn *c)
{
    static uint8_t buf[CHUNK];
    pthread_t sender;

    int err = pthread_create(&sender, NULL, send_stdin, c);
    if (err != 0)
        cli_fail(EXIT_CONN, "cannot start the sending thread: %s", strerror(err));

    /* The receiving half, in this thread. Message boundaries do not matter
     * on stdout (a byte stream), so a message longer than buf simply arrives
     * in several parts, each written as it comes. */
    for (;;) {
        ssize_t n = ss_recv(c, buf, sizeof buf);
        if (n < 0)
            cli_fail(EXIT_CONN, "%s", ss_last_error_message(c));
        if (n == 0 && ss_peer_closed(c))
            break; /* the peer's authenticated close: its data is complete */
        write_stdout(buf, (size_t)n); /* n == 0: an empty message, nothing to write */
        ss_wipe(buf, (size_t)n);      /* decrypted bytes do not linger once written */
    }

    /* Our half ends when stdin does. */
    err = pthread_join(sender, NULL);
    if (err != 0)
        cli_fail(EXIT_CONN, "waiting for the sending thread: %s", strerror(err));
    if (send_error[0] != '\0')
        cli_fail(EXIT_CONN, "%s", send_error);

    /* Both closes are exchanged; ss_close sends nothing more (ss_shutdown
     * already sent ours), closes the socket, wipes the keys, frees c. */
    if (ss_close(c) != 0)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(NULL));
    return 0;
}
