/*
 * echo_server.c — a server for thousands of clients at once, in one thread:
 * every message a client sends comes back to it, byte for byte, as one
 * message.
 *
 *   echo_server [--key FILE] [--max-conns N] [--max-clients N]
 *               [--handshake-timeout MS] HOST PORT
 *
 *   HOST PORT        where to listen. With PORT 0 the kernel chooses a free
 *                    port; either way the first line on stderr says where:
 *                        echo_server: listening on 127.0.0.1:40123
 *   --key FILE       our static key (from `ssockets genkey`): clients may
 *                    then run NK (they pinned our public key) or XX.
 *                    Without it the server accepts NN only (conn.h).
 *   --max-conns N    at most N clients connected at once (default 16384,
 *                    and never more than the descriptors allow). One more is
 *                    refused: right after its handshake it gets our close,
 *                    so its first ss_recv returns 0 with ss_peer_closed()
 *                    set — an authenticated "no", before any echo.
 *   --max-clients N  stop accepting after N clients, let them finish, then
 *                    exit (tests use it so that the server ends by itself).
 *                    Without it the server runs until SIGINT or SIGTERM.
 *   --handshake-timeout MS  a client that has not finished its handshake
 *                    MS milliseconds after its arrival is dropped (default:
 *                    the library's, 10 s).
 *
 * On SIGINT/SIGTERM it stops accepting, sends every connected client the
 * authenticated close (ss_shutdown: the client sees an orderly end, not a
 * cut stream), waits up to GRACE_MS for them to close in turn, prints a
 * summary line and exits with status 0.
 *
 * ---- An event loop ----
 *
 * One thread, one epoll instance, and every connection in non-blocking use
 * (conn.h): a call that would wait returns SS_WANT_READ or SS_WANT_WRITE,
 * and the loop calls again when epoll says that connection's socket
 * (ss_conn_fd) is ready. Under the calls, the protocol engine (engine.h)
 * keeps each connection's state: where its handshake is, what part of a
 * frame has arrived. So a client that connects and says nothing, or sends
 * one byte a second, costs one idle entry here and delays nobody:
 * ss_accept_nonblocking hands the connection over before its handshake,
 * and the handshake advances only when its bytes arrive.
 *
 * Per client the loop keeps a small record and, only while a message is
 * being received or echoed, a buffer for it; an idle established
 * connection holds about 1.6 KiB of library memory (ss_conn_memory), so
 * 10,000 clients fit in a few tens of MiB. (The thread-per-client version,
 * examples/echo_server_threads.c, needs a thread stack per client.)
 *
 * Time: the library reads no clock while nothing happens, so the loop
 * keeps the deadlines. Clients whose handshake is unfinished wait in a
 * queue in the order they arrived, which is also the order of their
 * handshake deadlines (one handshake_timeout_ms for all); epoll_wait
 * sleeps at most until the first of them (ss_conn_handshake_time_left),
 * and a client whose time is up is dropped then, on time, without a call
 * into its connection. Every TICK_MS a sweep drops clients silent for
 * IO_TIMEOUT_MS after their handshake.
 *
 * Signals arrive through a signalfd, as one more descriptor in the loop:
 * no handler runs, so nothing needs to be async-signal-safe.
 *
 * Course position: an application, after the last chapter. It uses only
 * the public API (ssockets.h). tests/net/test_load.c runs it under load:
 * hundreds of clients echoing megabytes, thousands held open at once, and
 * silent and slow clients beside well-behaved ones.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ssockets.h"

#define DEFAULT_MAX_CONNS 16384
/* A message longer than MAX_MESSAGE ends the connection: an echo server
 * must hold a whole message before sending it back, and one client must
 * not be able to make it hold without limit. */
#define FIRST_BUFFER 4096
#define MAX_MESSAGE (1024 * 1024)
#define IO_TIMEOUT_MS 60000
/* After our goodbye, how long clients get to close their side. */
#define GRACE_MS 5000
#define TICK_MS 1000
/* A close frame that cannot leave within this long is not waited for. */
#define SEND_TIMEOUT_MS 1000

typedef struct client client;
struct client {
    ss_conn *conn;
    unsigned long number;   /* 1, 2, 3...: the order of arrival, for logs */
    int established;        /* the handshake has finished */
    int refused;            /* over --max-conns: goodbye right after the handshake */
    int goodbye;            /* our close is due (stop, or refusal) */
    int goodbye_sent;
    uint8_t *buf;           /* the message being received, then echoed */
    size_t cap, len;
    int echoing;            /* buf holds a whole message being sent back */
    uint32_t events;        /* what epoll watches for this client */
    int64_t last_active;    /* ms, for IO_TIMEOUT_MS */
    client *prev, *next;    /* every client, for the sweep and the goodbye */
    client *hs_prev, *hs_next; /* the handshake queue, while not established */
};

static struct {
    int epoll;
    ss_listener *listener;
    int signal_fd;
    client *clients;            /* a doubly linked list */
    client *hs_first, *hs_last; /* unfinished handshakes, oldest first */
    size_t connected;           /* entries in the list */
    size_t established;         /* of them, past the handshake and admitted */
    size_t max_conns;
    unsigned long max_clients;  /* 0: no limit */
    int stopping;
    int64_t stop_deadline;
    unsigned long arrivals;     /* accepted connections */
    unsigned long clients_done; /* handshakes completed (served or refused) */
    unsigned long refused;
    unsigned long failed_handshakes;
    unsigned long errors;       /* connections that ended in an error */
} server;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
    fputs("usage: echo_server [--key FILE] [--max-conns N] [--max-clients N]\n"
          "                   [--handshake-timeout MS] HOST PORT\n"
          "  PORT 0 picks a free port (printed on stderr).\n"
          "  --key FILE       static key: clients use NK or XX (default: NN only)\n"
          "  --max-conns N    clients connected at once; more are refused (default 16384)\n"
          "  --max-clients N  exit after N clients have come and gone\n"
          "  --handshake-timeout MS  drop a client whose handshake takes longer\n",
          stderr);
    exit(2);
}

/* A whole decimal number in [min, max], or exit with a message. */
static unsigned long parse_number(const char *text, unsigned long min, unsigned long max,
                                  const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "echo_server: invalid %s '%s'\n", what, text);
        exit(2);
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Clients: arrival, the watch list, departure                         */
/* ------------------------------------------------------------------ */

/* What epoll reports for this client: reading always (a close or an
 * error must be seen), writing only while output waits. */
static void watch(client *cl, int want_write)
{
    uint32_t events = EPOLLIN | (want_write ? EPOLLOUT : 0);
    if (events == cl->events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = cl};
    epoll_ctl(server.epoll, EPOLL_CTL_MOD, ss_conn_fd(cl->conn), &ev);
    cl->events = events;
}

/* The handshake queue: a client joins at its arrival and leaves when its
 * handshake ends (either way); the oldest is first, so its deadline is the
 * next to pass. */
static void hs_join(client *cl)
{
    cl->hs_prev = server.hs_last;
    if (server.hs_last != NULL)
        server.hs_last->hs_next = cl;
    else
        server.hs_first = cl;
    server.hs_last = cl;
}

static void hs_leave(client *cl)
{
    if (cl->hs_prev != NULL)
        cl->hs_prev->hs_next = cl->hs_next;
    else if (server.hs_first == cl)
        server.hs_first = cl->hs_next;
    if (cl->hs_next != NULL)
        cl->hs_next->hs_prev = cl->hs_prev;
    else if (server.hs_last == cl)
        server.hs_last = cl->hs_prev;
    cl->hs_prev = cl->hs_next = NULL;
}

/* Closes and forgets a client. error: it ended in an error (counted and
 * reported by the caller); a closed connection is dropped abruptly then. */
static void drop(client *cl, int error)
{
    epoll_ctl(server.epoll, EPOLL_CTL_DEL, ss_conn_fd(cl->conn), NULL);
    /* After both closes ss_close sends nothing; otherwise its close frame
     * waits at most SEND_TIMEOUT_MS (the configuration's send_timeout_ms). */
    (void)ss_close(cl->conn);
    if (cl->established && !cl->refused)
        server.established--;
    if (!cl->established)
        hs_leave(cl);
    if (error)
        server.errors++;
    if (cl->prev != NULL)
        cl->prev->next = cl->next;
    else
        server.clients = cl->next;
    if (cl->next != NULL)
        cl->next->prev = cl->prev;
    server.connected--;
    free(cl->buf);
    free(cl);
}

static void arrive(ss_conn *c)
{
    client *cl = calloc(1, sizeof *cl);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = cl};
    if (cl == NULL || epoll_ctl(server.epoll, EPOLL_CTL_ADD, ss_conn_fd(c), &ev) != 0) {
        fprintf(stderr, "echo_server: a client was not accepted: %s\n",
                cl == NULL ? "out of memory" : strerror(errno));
        free(cl);
        ss_close(c);
        return;
    }
    cl->conn = c;
    cl->number = ++server.arrivals;
    cl->events = EPOLLIN;
    cl->last_active = now_ms();
    cl->next = server.clients;
    if (server.clients != NULL)
        server.clients->prev = cl;
    server.clients = cl;
    server.connected++;
    hs_join(cl);
}

/* Stops accepting: no new clients; an attempt is then refused by the
 * kernel rather than left waiting in the backlog. */
static void close_listener(void)
{
    if (server.listener == NULL)
        return;
    epoll_ctl(server.epoll, EPOLL_CTL_DEL, ss_listener_fd(server.listener), NULL);
    ss_listener_close(server.listener);
    server.listener = NULL;
}

/* Takes every waiting client, without waiting and without a handshake. */
static void accept_clients(void)
{
    while (server.listener != NULL) {
        ss_conn *c;
        int rc = ss_accept_nonblocking(server.listener, &c);
        if (rc == SS_WANT_READ)
            return;
        if (rc != 0) {
            /* Out of descriptors (EMFILE): the client stays queued, and
             * accepting again at once would fail the same way. Wait for a
             * departure (or the next tick) before trying again. */
            fprintf(stderr, "echo_server: a client was not accepted: %s\n",
                    ss_last_error_message(NULL));
            struct epoll_event ev = {.events = 0, .data.ptr = NULL};
            epoll_ctl(server.epoll, EPOLL_CTL_MOD, ss_listener_fd(server.listener), &ev);
            return;
        }
        arrive(c);
    }
}

/* ------------------------------------------------------------------ */
/* One client's work, whenever its socket is ready                     */
/* ------------------------------------------------------------------ */

/* A result of a connection call: 1 go on, 0 wait (epoll set), -1 dropped. */
static int outcome(client *cl, int rc, const char *what)
{
    if (rc == 0)
        return 1;
    if (rc == SS_WANT_READ || rc == SS_WANT_WRITE) {
        watch(cl, rc == SS_WANT_WRITE);
        return 0;
    }
    fprintf(stderr, "echo_server: client %lu: %s%s\n", cl->number, what,
            ss_last_error_message(cl->conn));
    drop(cl, 1);
    return -1;
}

static int handshake(client *cl)
{
    int rc = ss_conn_handshake(cl->conn);
    if (rc == -1) {
        fprintf(stderr, "echo_server: a client was not accepted: %s\n",
                ss_last_error_message(cl->conn));
        server.failed_handshakes++;
        drop(cl, 0);
        return -1;
    }
    if (rc != 0)
        return outcome(cl, rc, "");
    hs_leave(cl);
    cl->established = 1;
    server.clients_done++;
    if (server.established >= server.max_conns || server.stopping) {
        /* An authenticated "no": our close right away, no echo. */
        cl->refused = 1;
        cl->goodbye = 1;
        server.refused++;
        fprintf(stderr, "echo_server: client %lu refused: %zu clients already connected\n",
                cl->number, server.max_conns);
    } else {
        server.established++;
    }
    if (server.max_clients != 0 && server.clients_done >= server.max_clients)
        close_listener();
    return 1;
}

/* Sends the echo (again, with the same arguments, after SS_WANT_WRITE). */
static int echo(client *cl)
{
    int rc = ss_send(cl->conn, cl->buf, cl->len);
    if (rc != 0)
        return outcome(cl, rc, "");
    /* Echoed: the buffer goes back, so an idle client holds none. */
    cl->echoing = 0;
    cl->len = 0;
    free(cl->buf);
    cl->buf = NULL;
    cl->cap = 0;
    watch(cl, 0);
    return 1;
}

static int goodbye(client *cl)
{
    int rc = cl->goodbye_sent ? ss_flush(cl->conn) : ss_shutdown(cl->conn);
    cl->goodbye_sent = 1;
    if (rc != 0)
        return outcome(cl, rc, "");
    watch(cl, 0);
    return 1;
}

/* Room for more of the message being received. 0 or -1 (dropped). */
static int make_room(client *cl)
{
    if (cl->len < cl->cap)
        return 0;
    if (cl->cap >= MAX_MESSAGE) {
        fprintf(stderr, "echo_server: client %lu: a message longer than %d bytes\n", cl->number,
                MAX_MESSAGE);
        drop(cl, 1);
        return -1;
    }
    size_t cap = cl->cap == 0 ? FIRST_BUFFER : 2 * cl->cap;
    uint8_t *bigger = realloc(cl->buf, cap);
    if (bigger == NULL) {
        fprintf(stderr, "echo_server: client %lu: out of memory\n", cl->number);
        drop(cl, 1);
        return -1;
    }
    cl->buf = bigger;
    cl->cap = cap;
    return 0;
}

/* Everything this client can do now without waiting. */
static void serve(client *cl)
{
    cl->last_active = now_ms();
    if (!cl->established && handshake(cl) <= 0)
        return;
    /* An echo in progress first: messages are answered in order, and
     * nothing more is read until it is out (the client's own back-pressure). */
    if (cl->echoing && echo(cl) <= 0)
        return;
    if (cl->goodbye && (!cl->goodbye_sent || (cl->events & EPOLLOUT)) && goodbye(cl) <= 0)
        return;
    for (;;) {
        if (make_room(cl) < 0)
            return;
        ssize_t n = ss_recv(cl->conn, cl->buf + cl->len, cl->cap - cl->len);
        if (n == SS_WANT_READ)
            return; /* epoll calls again when more arrives */
        if (n < 0) {
            outcome(cl, -1, "");
            return;
        }
        if (n == 0 && cl->len == 0 && ss_peer_closed(cl->conn)) {
            drop(cl, 0); /* the client's close: ss_close answers with ours */
            return;
        }
        cl->len += (size_t)n;
        if (!ss_message_done(cl->conn))
            continue;
        if (cl->goodbye) {
            cl->len = 0; /* after our close, messages are read and dropped */
            continue;
        }
        cl->echoing = 1;
        if (echo(cl) <= 0)
            return;
    }
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* Drops the clients whose handshake deadline has passed, oldest first.
 * Returns how long epoll_wait may sleep before the next one passes (ms), or
 * -1 when no handshake is waiting. */
static int expire_handshakes(void)
{
    while (server.hs_first != NULL) {
        client *cl = server.hs_first;
        int left = ss_conn_handshake_time_left(cl->conn);
        if (left != 0)
            return left;
        fprintf(stderr, "echo_server: a client was not accepted: no handshake within its "
                "deadline\n");
        server.failed_handshakes++;
        drop(cl, 0);
    }
    return -1;
}

/* Every TICK_MS: clients silent for too long, and the end of the grace
 * period. */
static void sweep(void)
{
    int64_t now = now_ms();
    client *next;
    for (client *cl = server.clients; cl != NULL; cl = next) {
        next = cl->next;
        if (cl->established && now - cl->last_active > IO_TIMEOUT_MS) {
            fprintf(stderr, "echo_server: client %lu: silent for %d ms\n", cl->number,
                    IO_TIMEOUT_MS);
            drop(cl, 1);
        } else if (server.stopping && now > server.stop_deadline) {
            drop(cl, 0);
        }
    }
    /* A paused listener (descriptors ran out) tries again. */
    if (server.listener != NULL) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &server.listener};
        epoll_ctl(server.epoll, EPOLL_CTL_MOD, ss_listener_fd(server.listener), &ev);
    }
}

static void stop(int sig)
{
    fprintf(stderr, "echo_server: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.stopping = 1;
    server.stop_deadline = now_ms() + GRACE_MS;
    close_listener();
    client *next;
    for (client *cl = server.clients; cl != NULL; cl = next) {
        next = cl->next;
        if (!cl->established) {
            drop(cl, 0);
            continue;
        }
        cl->goodbye = 1;
        if (!cl->echoing)
            serve(cl);
    }
}

static void run(void)
{
    struct epoll_event events[256];
    int64_t next_tick = now_ms() + TICK_MS;
    for (;;) {
        int handshake_wait = expire_handshakes();
        int done = server.listener == NULL && server.connected == 0;
        if (done)
            return;
        int64_t wait = next_tick - now_ms();
        if (handshake_wait >= 0 && handshake_wait < wait)
            wait = handshake_wait;
        int n = epoll_wait(server.epoll, events, 256, wait < 0 ? 0 : (int)wait);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "echo_server: epoll_wait: %s\n", strerror(errno));
            return;
        }
        int sig = 0;
        for (int i = 0; i < n; i++) {
            void *who = events[i].data.ptr;
            if (who == &server.listener) {
                accept_clients();
            } else if (who == &server.signal_fd) {
                struct signalfd_siginfo info;
                if (read(server.signal_fd, &info, sizeof info) == sizeof info)
                    sig = (int)info.ssi_signo;
            } else {
                /* serve may drop this client; no later event of this batch
                 * names it (epoll reports a descriptor once per call). */
                serve(who);
            }
        }
        /* After the batch: stopping drops clients that later events of the
         * same batch could still name. */
        if (sig != 0 && !server.stopping)
            stop(sig);
        if (now_ms() >= next_tick) {
            sweep();
            next_tick = now_ms() + TICK_MS;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Setting up                                                          */
/* ------------------------------------------------------------------ */

/* Thousands of clients need thousands of descriptors: raise the soft limit
 * to the hard one, and keep --max-conns below what that allows. */
static void raise_descriptor_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return;
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
        server.max_conns + 16 > r.rlim_cur)
        server.max_conns = r.rlim_cur > 32 ? (size_t)r.rlim_cur - 16 : 16;
}

int main(int argc, char **argv)
{
    const char *key_file = NULL, *host = NULL, *port_text = NULL;
    server.max_conns = DEFAULT_MAX_CONNS;
    ss_config cfg;
    memset(&cfg, 0, sizeof cfg); /* NN, default handshake timeout */

    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--key") == 0 && value != NULL)
            key_file = argv[++i];
        else if (strcmp(argv[i], "--max-conns") == 0 && value != NULL)
            server.max_conns = parse_number(argv[++i], 1, 1000000, "--max-conns");
        else if (strcmp(argv[i], "--max-clients") == 0 && value != NULL)
            server.max_clients = parse_number(argv[++i], 1, 1000000000, "--max-clients");
        else if (strcmp(argv[i], "--handshake-timeout") == 0 && value != NULL)
            cfg.handshake_timeout_ms =
                (int)parse_number(argv[++i], 1, 3600000, "--handshake-timeout");
        else if (argv[i][0] == '-')
            usage();
        else if (host == NULL)
            host = argv[i];
        else if (port_text == NULL)
            port_text = argv[i];
        else
            usage();
    }
    if (port_text == NULL)
        usage();
    uint16_t port = (uint16_t)parse_number(port_text, 0, 65535, "port");
    raise_descriptor_limit();

    cfg.send_timeout_ms = SEND_TIMEOUT_MS;
    ss_keypair key;
    memset(&key, 0, sizeof key);
    if (key_file != NULL) {
        if (ss_keypair_load(&key, key_file) != 0) {
            fprintf(stderr, "echo_server: %s\n", ss_last_error_message(NULL));
            return 1;
        }
        cfg.static_key = &key; /* NK and XX */
    }

    /* SIGINT and SIGTERM are blocked and read from a descriptor instead. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    server.signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    server.epoll = epoll_create1(EPOLL_CLOEXEC);
    server.listener = ss_listen(host, port, &cfg);
    if (server.listener == NULL || server.signal_fd < 0 || server.epoll < 0) {
        fprintf(stderr, "echo_server: %s\n",
                server.listener == NULL ? ss_last_error_message(NULL) : strerror(errno));
        ss_listener_close(server.listener);
        ss_keypair_wipe(&key);
        return 1;
    }
    /* An IPv6 address goes in brackets, so the port stays readable. */
    int v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "echo_server: listening on %s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
            (unsigned)ss_listener_port(server.listener));
    if (key_file != NULL) {
        char text[SS_KEY_BASE64_LEN];
        ss_public_key_format(text, key.public_key);
        fprintf(stderr, "echo_server: public key %s (clients: NK or XX)\n", text);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &server.listener};
    epoll_ctl(server.epoll, EPOLL_CTL_ADD, ss_listener_fd(server.listener), &ev);
    ev.data.ptr = &server.signal_fd;
    epoll_ctl(server.epoll, EPOLL_CTL_ADD, server.signal_fd, &ev);

    run();

    size_t left = server.connected;
    while (server.clients != NULL)
        drop(server.clients, 0);
    fprintf(stderr,
            "echo_server: %lu clients (%lu refused), %lu failed handshakes, %lu errors%s\n",
            server.clients_done, server.refused, server.failed_handshakes, server.errors,
            left > 0 ? "; some clients did not close in time" : "");
    close(server.epoll);
    close(server.signal_fd);
    ss_keypair_wipe(&key);
    return 0;
}
