/*
 * chat.c — two people talk, one eavesdropper watches: the original
 * project's demonstration, on the SSockets C API.
 *
 *   terminal 1   chat [--plain] listen  HOST PORT     (ss_server)
 *   terminal 2   chat [--plain] connect HOST PORT     (ss_client)
 *   terminal 3   examples/chat/eavesdrop.sh PORT      (tshark on the port)
 *
 * Each line typed is sent as one message; each message received is printed
 * as one line, after "peer> ". With --plain (on both sides) the lines cross
 * the network in clear and the eavesdropper reads them; without it the
 * Noise NN handshake runs first and the eavesdropper sees only ciphertext.
 * README.md beside this file walks through it.
 *
 * Course position: an application, after the last chapter. It uses only
 * the public API (ssockets.h): ss_server or ss_client, then ss_send,
 * ss_recv, ss_shutdown and ss_close. What it shows beyond the CLI's relay
 * (src/cli/relay.c) is how a program with a user ends a conversation:
 *
 *   - leaving: Ctrl-D (end of input) or Ctrl-C. Either way we send our
 *     authenticated close (ss_shutdown) and wait for the peer's, so the
 *     peer can tell "they left" from "the line was cut" (an attacker who
 *     cuts the TCP stream cannot forge the close);
 *   - being left: when the peer's close arrives, we close too and exit;
 *   - restarting at once: the library sets SO_REUSEADDR on the listening
 *     socket, so `chat listen` can run again on the same port right away,
 *     with no "Address already in use".
 *
 * Two threads, as in relay.c: the connection hides its socket (reading it
 * behind the library's back would break the framing), so we cannot poll()
 * "stdin or network". The receiver thread blocks in ss_recv; the main
 * thread blocks in poll() on stdin and on a "wake-up" pipe. The receiver
 * (when the peer leaves or the connection fails) and the Ctrl-C handler
 * write one byte into that pipe to wake the main thread: the self-pipe
 * trick, which is the one safe way for a signal handler to say something to
 * the rest of a program. Only the main thread sends, shuts down and closes;
 * only the receiver receives (conn.h allows one thread in each half).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssockets.h"

/* The longest line sent as one message; a longer line is sent in pieces of
 * this size (each a message of its own). */
#define LINE_MAX_BYTES 4096

/* The wake-up pipe: [0] is read by the main thread, [1] written by the
 * receiver and by the signal handler. */
static int wake_pipe[2] = {-1, -1};

/* Why the main thread was woken. `interrupted` is set by the signal
 * handler, which runs in the main thread (the receiver blocks the signals),
 * so the classic volatile sig_atomic_t is enough. The two others are shared
 * by the two threads, and may be read while the other thread writes them:
 * that needs C11 atomics (a plain or volatile int would be a data race). */
static volatile sig_atomic_t interrupted; /* Ctrl-C or SIGTERM */
static atomic_int receiver_done;          /* the receiver thread ended */
static atomic_int we_left;                /* our close went first */
/* Set by the receiver before it ends, read after pthread_join. */
static int receiver_failed;

static void usage(void)
{
    fputs("usage: chat [--plain] listen  HOST PORT   wait for the other side\n"
          "       chat [--plain] connect HOST PORT   join the other side\n"
          "\n"
          "Type a line and press Enter to send it. Ctrl-D or Ctrl-C leaves.\n"
          "--plain (on both sides): no encryption, for the eavesdropping demo.\n",
          stderr);
    exit(2);
}

/* ------------------------------------------------------------------ */
/* Waking the main thread.                                             */
/* ------------------------------------------------------------------ */

static void wake_main(void)
{
    char byte = 1;
    /* write() is async-signal-safe. If the pipe were full, a wake-up is
     * already pending, so a lost byte loses nothing. */
    ssize_t n = write(wake_pipe[1], &byte, 1);
    (void)n;
}

/* SIGINT (Ctrl-C) and SIGTERM: leave cleanly. The handler only sets a flag
 * and wakes the main thread; the close itself (sending a frame, freeing
 * memory) is not something a signal handler may do. */
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    wake_main();
}

static int install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: the handler runs once, then the default action is back.
     * So a second Ctrl-C ends the program at once, even if the peer never
     * answers our close. No SA_RESTART: poll() returns EINTR at once. */
    sa.sa_flags = SA_RESETHAND;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    /* A closed stdout (chat | head) must give EPIPE, not kill us silently. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The receiver thread: the peer's messages to the screen.             */
/* ------------------------------------------------------------------ */

/* Writes received bytes, replacing control characters by '?'. The peer
 * chooses these bytes: printed raw, an escape sequence could rewrite the
 * screen, change the window title or, on some terminals, worse. Bytes from
 * 0x80 up are kept so that UTF-8 text (accents, emoji) still shows. */
static void print_safely(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int ch = p[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            ch = '?';
        putchar(ch);
    }
}

/* Receives until the peer's close or an error (then receiver_failed). */
static void *receiver(void *arg)
{
    ss_conn *c = arg;
    unsigned char buf[LINE_MAX_BYTES];
    int at_start = 1; /* the next bytes begin a new message */

    for (;;) {
        ssize_t n = ss_recv(c, buf, sizeof buf);
        if (n < 0) {
            /* The stream ended without a close ("truncated"), a frame was
             * tampered with, a timeout...: say precisely what. */
            if (!at_start)
                putchar('\n');
            fprintf(stderr, "\nchat: connection lost: %s\n", ss_last_error_message(c));
            receiver_failed = 1;
            break;
        }
        if (n == 0 && ss_peer_closed(c)) {
            if (!at_start)
                putchar('\n');
            fputs(we_left ? "chat: the other side closed too. Bye.\n"
                          : "\nchat: the other side left the chat (authenticated close).\n",
                  stderr);
            break;
        }
        /* A message longer than buf arrives in several parts: the prefix
         * goes before the first, the newline after the last. */
        if (at_start)
            fputs("peer> ", stdout);
        print_safely(buf, (size_t)n);
        at_start = ss_message_done(c);
        if (at_start)
            putchar('\n');
        fflush(stdout);
    }
    fflush(stdout);
    receiver_done = 1;
    wake_main();
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The main thread: the keyboard to the peer.                          */
/* ------------------------------------------------------------------ */

/* Sends one line (without its newline) as one message. */
static int send_line(ss_conn *c, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--; /* a line typed on a terminal that sends CR LF */
    if (ss_send(c, line, len) != 0) {
        fprintf(stderr, "chat: cannot send: %s\n", ss_last_error_message(c));
        return -1;
    }
    return 0;
}

/* Reads stdin and sends each complete line, until end of input, Ctrl-C,
 * the end of the receiver, or a send error (-1). We read with read(), not
 * fgets(): stdio could keep lines in its buffer where poll() cannot see
 * them. */
static int type_lines(ss_conn *c)
{
    char line[LINE_MAX_BYTES];
    size_t have = 0;
    struct pollfd fds[2] = {
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = wake_pipe[0], .events = POLLIN},
    };

    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue; /* the handler has written to the pipe */
            perror("chat: poll");
            return -1;
        }
        if (interrupted)
            return 0; /* Ctrl-C: leave now, whatever is still in the input */
        if (fds[0].revents == 0) {
            if (fds[1].revents != 0)
                return 0; /* the peer left, or the connection failed */
            continue;
        }
        /* Input that is already here goes out before we leave, even when
         * the peer has just closed: its close means "I will send nothing
         * more", not "I stop reading" (it reads until our close), so a line
         * typed as its close crossed ours still arrives. */

        ssize_t n = read(STDIN_FILENO, line + have, sizeof line - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("chat: reading standard input");
            return -1;
        }
        if (n == 0) { /* Ctrl-D, or the end of a piped file */
            if (have > 0 && send_line(c, line, have) != 0)
                return -1; /* a last line without a newline */
            return 0;
        }
        have += (size_t)n;

        /* Send every complete line, then keep the unfinished rest. */
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (line[i] == '\n') {
                if (send_line(c, line + start, i - start) != 0)
                    return -1;
                start = i + 1;
            }
        }
        memmove(line, line + start, have - start);
        have -= start;
        if (have == sizeof line) { /* a very long line: send this piece */
            if (send_line(c, line, have) != 0)
                return -1;
            have = 0;
        }
    }
}

int main(int argc, char **argv)
{
    const char *mode = NULL, *host = NULL, *port_text = NULL;
    ss_config cfg;
    memset(&cfg, 0, sizeof cfg); /* NN, no keys */

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--plain") == 0)
            cfg.plain = 1;
        else if (argv[i][0] == '-')
            usage();
        else if (mode == NULL)
            mode = argv[i];
        else if (host == NULL)
            host = argv[i];
        else if (port_text == NULL)
            port_text = argv[i];
        else
            usage();
    }
    if (port_text == NULL)
        usage();
    char *end;
    long port = strtol(port_text, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "chat: invalid port '%s'\n", port_text);
        return 2;
    }
    if (cfg.plain)
        fputs("chat: WARNING: --plain: no encryption, anyone on the path reads this chat\n",
              stderr);

    /* Connect. ss_server waits for its partner as long as it takes (a
     * person starts the other side); only the handshake that follows has
     * the default 10-second limit. Ctrl-C stops the wait the usual way: our
     * handler is installed only once we are connected. */
    ss_conn *c;
    if (strcmp(mode, "listen") == 0) {
        fprintf(stderr, "chat: waiting for the other side on %s:%ld ...\n", host, port);
        c = ss_server(host, (uint16_t)port, &cfg);
    } else if (strcmp(mode, "connect") == 0) {
        c = ss_client(host, (uint16_t)port, &cfg);
    } else {
        usage();
        return 2;
    }
    if (c == NULL) {
        fprintf(stderr, "chat: %s\n", ss_last_error_message(NULL));
        return 1;
    }
    fprintf(stderr, "chat: connected (%s). Type a line and press Enter;"
                    " Ctrl-D or Ctrl-C leaves.\n",
            ss_protocol_name(c));

    if (pipe(wake_pipe) != 0 || install_signal_handlers() != 0) {
        perror("chat: setting up");
        ss_close(c);
        return 1;
    }

    /* The receiver must not take the signals: blocked while it is created,
     * it inherits the mask, and Ctrl-C always lands in the main thread. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t thread;
    int err = pthread_create(&thread, NULL, receiver, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        fprintf(stderr, "chat: cannot start the receiver: %s\n", strerror(err));
        ss_close(c);
        return 1;
    }

    int status = type_lines(c) == 0 ? 0 : 1;

    /* Leaving: our authenticated close, then wait for the peer's. If the
     * connection has failed, there is nothing to announce and the receiver
     * has already ended. */
    we_left = !receiver_done;
    if (we_left)
        fputs(interrupted ? "\nchat: leaving; waiting for the other side to close"
                            " (Ctrl-C again quits at once)\n"
                          : "chat: leaving; waiting for the other side to close\n",
              stderr);
    if (ss_shutdown(c) != 0 && !receiver_done) {
        fprintf(stderr, "chat: cannot send the close: %s\n", ss_last_error_message(c));
        status = 1;
    }
    pthread_join(thread, NULL);
    if (receiver_failed)
        status = 1;

    /* Both closes exchanged: wipe the keys, free, close the socket. */
    if (ss_close(c) != 0 && status == 0) {
        fprintf(stderr, "chat: %s\n", ss_last_error_message(NULL));
        status = 1;
    }
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return status;
}
