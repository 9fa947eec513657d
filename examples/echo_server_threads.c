/*
 * echo_server_threads.c — the echo server of echo_server.c, written the
 * other way: one thread per client, each blocked in its own calls. Same
 * command line and behaviour; kept because it shows what the blocking API
 * is good at (code that reads as a straight line) and what it costs.
 *
 *   echo_server_threads [--key FILE] [--max-conns N] [--max-clients N]
 *                       [--handshake-timeout MS] HOST PORT
 *
 *   HOST PORT        where to listen. With PORT 0 the kernel chooses a free
 *                    port; either way the first line on stderr says where:
 *                        echo_server: listening on 127.0.0.1:40123
 *   --key FILE       our static key (from `ssockets genkey`): clients may
 *                    then run NK (they pinned our public key) or XX.
 *                    Without it the server accepts NN only (conn.h).
 *   --max-conns N    at most N clients connected at once (default 256). One
 *                    more is refused: right after its handshake it gets our
 *                    close, so its first ss_recv returns 0 with
 *                    ss_peer_closed() set — an authenticated "no", before
 *                    any echo. (At most MAX_REFUSING refusals run at once;
 *                    beyond that a client is closed without a handshake.)
 *   --max-clients N  stop accepting after N clients have finished their
 *                    handshake, let them finish, then exit (tests use it
 *                    so that the server ends by itself).
 *   --handshake-timeout MS  a client that has not finished its handshake
 *                    MS milliseconds after its arrival is dropped (default:
 *                    the library's, 10 s).
 *                    Without it the server runs until SIGINT or SIGTERM.
 *
 * On SIGINT/SIGTERM it stops accepting, sends every connected client the
 * authenticated close (ss_shutdown: the client sees an orderly end, not a
 * cut stream), waits up to GRACE_MS for them to close in turn, prints a
 * summary line and exits with status 0.
 *
 * Course position: an application, after the last chapter, and the first
 * program here with many peers. It uses only the public API (ssockets.h):
 * ss_listen / ss_accept_deferred / ss_listener_shutdown / ss_listener_close
 * for the listening side, then ss_conn_handshake, ss_recv, ss_message_done,
 * ss_send, ss_shutdown and ss_close per client. tests/net/test_load.c runs
 * it beside a silent client (case threads).
 *
 * ---- One thread per client: why ----
 *
 * Every SSockets call blocks until it is done: ss_accept waits for a client
 * and then runs the whole handshake, ss_recv waits for the next message.
 * A server with many clients needs something that can wait for each of
 * them. The three classic designs:
 *
 *   poll/epoll event loop   one thread watches every socket and does a
 *                           little work on whichever is ready. It needs
 *                           calls that return "would block" instead of
 *                           waiting: SSockets has them (conn.h's
 *                           non-blocking use, over the protocol engine).
 *                           examples/echo_server.c is that design.
 *   process per client      fork() after accept: the strongest isolation (a
 *                           crash or memory bug while serving one client
 *                           cannot touch another client's keys), but a
 *                           process per client costs more to start, and
 *                           shared state — the count of clients, the cap,
 *                           a clean shutdown that reaches everyone — needs
 *                           signals or pipes between processes.
 *   thread per client       each client gets a thread that simply blocks in
 *                           ss_recv and ss_send: the code reads as a
 *                           straight line, "receive a message, send it
 *                           back". conn.h allows different connections in
 *                           different threads. The price: all clients share
 *                           one address space (no isolation), and each
 *                           thread has a stack.
 *
 * Threads are the natural fit for the blocking API, so this server uses
 * them, with three limits a real server needs:
 *
 *   - Stack size. A thread gets 8 MiB of address space for its stack by
 *     default; a handler needs a few KiB (its buffers are on the heap), so
 *     we ask for HANDLER_STACK (256 KiB). Memory per client is then about
 *     1.6 KiB of idle connection (frame buffers only while a frame is in
 *     flight, up to 64 KiB each way), 64 KiB..1 MiB of echo buffer, and a
 *     stack of which a few pages are touched: the stacks and the echo
 *     buffers, not the library, are what limit this design to hundreds of
 *     clients where the event loop holds thousands.
 *   - A cap on clients connected at once (--max-conns): a table of that
 *     many slots. A client that finds no free slot is refused at once
 *     rather than queued, so it learns immediately that it was not served,
 *     and memory stays bounded by the cap.
 *   - Timeouts. A client that sends nothing (or reads nothing) for
 *     IO_TIMEOUT_MS is dropped, so it cannot hold a thread forever.
 *
 * The threads are detached: nobody joins them. Instead each handler, as it
 * ends, frees its slot and signals a condition variable under the server's
 * lock, and the main thread waits on that when it is time to stop. (Joined
 * threads would need the accept loop to reap finished handlers now and
 * then, for a result nobody reads.)
 *
 * Handshakes run in the clients' own threads. ss_accept would run each in
 * the accepting thread, one after another, so a client that connects and
 * says nothing would delay every client behind it until its handshake
 * timed out (10 s by default). ss_accept_deferred returns as soon as a
 * client has connected, before its handshake; the handler runs
 * ss_conn_handshake first, and a silent client holds only its own thread
 * (and its slot) until its deadline. The event-loop server does the same
 * with ss_accept_nonblocking.
 *
 * A slot is therefore taken at arrival, before the handshake. A client
 * that finds every slot taken still gets an authenticated "no": a refusal
 * thread runs its handshake and closes it at once. At most MAX_REFUSING of
 * those run at once (each holds a thread), so a flood of clients past the
 * cap cannot make threads without limit; beyond that they are closed
 * without a word.
 *
 * ---- Who touches what ----
 *
 *   main thread      accepts, admits clients into slots, and at the end
 *                    says goodbye (ss_shutdown) and waits;
 *   one handler      per client: ss_conn_handshake, ss_recv, ss_send, then
 *                    ss_close; the one that completes the max_clients-th
 *                    handshake wakes the main thread (ss_listener_shutdown);
 *   a refuser        per client past the cap: handshake, then ss_close;
 *   signal thread    waits in sigwait() for SIGINT/SIGTERM and starts the
 *                    stop (no signal handler runs at all, so nothing needs
 *                    to be async-signal-safe).
 *
 * conn.h lets one thread call ss_shutdown while another is inside ss_recv,
 * but not while another is inside ss_send (they share the sending
 * buffers). So each slot has a send_lock, held around the handler's
 * ss_send and the main thread's ss_shutdown.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ssockets.h"

#define DEFAULT_MAX_CONNS 256
#define HANDLER_STACK (256 * 1024)
/* The echo buffer starts at 64 KiB (a frame carries at most 65,518 bytes
 * of a message, SS_MAX_FRAGMENT) and doubles as needed. A message longer
 * than MAX_MESSAGE ends the connection: an echo server must hold a whole
 * message before sending it back, and one client must not be able to make
 * it hold without limit. */
#define FIRST_BUFFER 65536
#define MAX_MESSAGE (1024 * 1024)
#define IO_TIMEOUT_MS 60000
/* After our goodbye, how long clients get to close their side. */
#define GRACE_MS 5000
/* A failing accept() (e.g. EMFILE, no descriptor left) fails again at once;
 * pausing keeps the loop from spinning until a client leaves. */
#define ACCEPT_PAUSE_MS 100
/* Refusals in progress at most (each is a thread running one handshake). */
#define MAX_REFUSING 16

/* One connected client. A slot is taken at admission and given back by
 * the handler just before it closes the connection (conn is cleared at the
 * same moment, so the main thread never touches a connection being
 * freed). */
typedef struct {
    int in_use;
    int established;            /* the handshake has finished */
    ss_conn *conn;
    unsigned long number;       /* 1, 2, 3...: the order of arrival, for logs */
    int said_goodbye;           /* ss_shutdown sent: echo nothing more */
    pthread_mutex_t send_lock;  /* ss_send (handler) vs ss_shutdown (main) */
} client_slot;

/* Everything shared between the threads, guarded by lock. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t client_left;   /* a handler ended, or a stop was asked */
    client_slot *slots;
    size_t slot_count;
    size_t connected;             /* handlers that have not closed yet */
    size_t refusing;              /* refusal threads running */
    int stopping;                 /* SIGINT/SIGTERM arrived */
    int goodbye_sent;             /* say_goodbye has run */
    ss_listener *listener;        /* for ss_listener_shutdown */
    unsigned long max_clients;    /* 0: no limit */
    unsigned long arrivals;       /* accepted connections, for logs */
    unsigned long clients;        /* handshakes completed (served or refused) */
    unsigned long refused;
    unsigned long failed_handshakes;
    unsigned long errors;         /* connections that ended in an error */
} server = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static void usage(void)
{
    fputs("usage: echo_server_threads [--key FILE] [--max-conns N] [--max-clients N]\n"
          "                           [--handshake-timeout MS] HOST PORT\n"
          "  PORT 0 picks a free port (printed on stderr).\n"
          "  --key FILE       static key: clients use NK or XX (default: NN only)\n"
          "  --max-conns N    clients connected at once; more are refused (default 256)\n"
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
/* A handler: one client, from its first message to its close.         */
/* ------------------------------------------------------------------ */

/* Receives one whole message into *buf (growing it as needed), however
 * many ss_recv calls it takes: a message longer than the space left comes
 * in parts, and ss_message_done says which part is the last. Returns 1 for
 * a message (possibly empty), 0 for the client's close, -1 for an error. */
static int receive_message(ss_conn *c, unsigned long number, uint8_t **buf, size_t *cap,
                           size_t *len)
{
    *len = 0;
    for (;;) {
        if (*len == *cap) {
            /* Never call ss_recv with no room: it would take nothing. */
            if (*cap >= MAX_MESSAGE) {
                fprintf(stderr, "echo_server: client %lu: a message longer than %d bytes\n",
                        number, MAX_MESSAGE);
                return -1;
            }
            uint8_t *bigger = realloc(*buf, 2 * *cap);
            if (bigger == NULL) {
                fprintf(stderr, "echo_server: client %lu: out of memory\n", number);
                return -1;
            }
            *buf = bigger;
            *cap *= 2;
        }
        ssize_t n = ss_recv(c, *buf + *len, *cap - *len);
        if (n < 0) {
            /* Truncated, tampered, timed out...: ss_last_error_message
             * says precisely which. */
            fprintf(stderr, "echo_server: client %lu: %s\n", number, ss_last_error_message(c));
            return -1;
        }
        if (n == 0 && *len == 0 && ss_peer_closed(c))
            return 0; /* the client's authenticated close */
        *len += (size_t)n;
        if (ss_message_done(c))
            return 1; /* the last part: never merged with the next message */
    }
}

/* Sends the echo, unless we have already said goodbye (then the client's
 * remaining messages are read and dropped until its close arrives). */
static int send_echo(client_slot *slot, const uint8_t *msg, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&slot->send_lock);
    if (!slot->said_goodbye && ss_send(slot->conn, msg, len) != 0) {
        fprintf(stderr, "echo_server: client %lu: %s\n", slot->number,
                ss_last_error_message(slot->conn));
        rc = -1;
    }
    pthread_mutex_unlock(&slot->send_lock);
    return rc;
}

/* The echo loop. 0 when the client closed, -1 on an error. */
static int echo_until_close(client_slot *slot)
{
    size_t cap = FIRST_BUFFER, len;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        fprintf(stderr, "echo_server: client %lu: out of memory\n", slot->number);
        return -1;
    }
    int rc;
    while ((rc = receive_message(slot->conn, slot->number, &buf, &cap, &len)) == 1)
        if (send_echo(slot, buf, len) != 0) {
            rc = -1;
            break;
        }
    free(buf);
    return rc;
}

/* The handshake, in the client's own thread, then the count of clients;
 * the max_clients-th wakes the main thread from ss_accept_deferred. 1 when
 * it succeeded, 0 when it failed (reported and counted here). */
static int finish_handshake(ss_conn *c)
{
    if (ss_conn_handshake(c) != 0) {
        fprintf(stderr, "echo_server: a client was not accepted: %s\n",
                ss_last_error_message(NULL));
        pthread_mutex_lock(&server.lock);
        server.failed_handshakes++;
        pthread_mutex_unlock(&server.lock);
        return 0;
    }
    pthread_mutex_lock(&server.lock);
    server.clients++;
    if (server.max_clients != 0 && server.clients == server.max_clients &&
        server.listener != NULL)
        ss_listener_shutdown(server.listener);
    pthread_mutex_unlock(&server.lock);
    return 1;
}

/* A client past the cap: its handshake, so that our close is
 * authenticated, then that close at once. */
static void *refuse_client(void *arg)
{
    ss_conn *c = arg;
    if (finish_handshake(c)) {
        pthread_mutex_lock(&server.lock);
        server.refused++;
        pthread_mutex_unlock(&server.lock);
        fprintf(stderr, "echo_server: a client refused: %zu clients already connected\n",
                server.slot_count);
    }
    (void)ss_close(c);
    pthread_mutex_lock(&server.lock);
    server.refusing--;
    server.connected--;
    pthread_cond_broadcast(&server.client_left);
    pthread_mutex_unlock(&server.lock);
    return NULL;
}

/* After the handshake: the slot counts as established, so the main thread's
 * goodbye reaches it; if that goodbye has already gone to the others, the
 * handler says it itself. */
static void join_established(client_slot *slot)
{
    pthread_mutex_lock(&server.lock);
    slot->established = 1;
    int late = server.goodbye_sent;
    pthread_mutex_unlock(&server.lock);
    if (late) {
        pthread_mutex_lock(&slot->send_lock);
        (void)ss_shutdown(slot->conn);
        slot->said_goodbye = 1;
        pthread_mutex_unlock(&slot->send_lock);
    }
}

static void *serve_client(void *arg)
{
    client_slot *slot = arg;
    int rc = 0;
    if (finish_handshake(slot->conn)) {
        join_established(slot);
        rc = echo_until_close(slot);
    }

    /* Leave the table first: the main thread's goodbye can no longer
     * reach the connection (ss_close must run alone), and the slot is free
     * for the next client before our socket closes. Only after the close
     * do we stop counting as connected, so the main thread, which waits
     * for that count to reach 0, cannot exit while our close frame is
     * still on its way. */
    pthread_mutex_lock(&server.lock);
    ss_conn *c = slot->conn;
    slot->conn = NULL;
    slot->in_use = 0;
    slot->established = 0;
    pthread_mutex_unlock(&server.lock);

    /* After the client's close, ss_close answers with ours. It may report
     * a failure if the client has already gone completely; that is no
     * error of the conversation, which ended properly. */
    (void)ss_close(c);

    pthread_mutex_lock(&server.lock);
    server.connected--;
    if (rc != 0)
        server.errors++;
    pthread_cond_broadcast(&server.client_left);
    pthread_mutex_unlock(&server.lock);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The main thread: admitting clients, and the end.                    */
/* ------------------------------------------------------------------ */

/* Gives c (its handshake still to come) a slot and a thread, or a
 * refusal thread, or, past MAX_REFUSING refusals at once, the door. */
static void admit(ss_conn *c, const pthread_attr_t *attr)
{
    client_slot *slot = NULL;
    int refusing = 0;
    pthread_mutex_lock(&server.lock);
    unsigned long number = ++server.arrivals;
    for (size_t i = 0; i < server.slot_count && slot == NULL; i++)
        if (!server.slots[i].in_use)
            slot = &server.slots[i];
    if (slot != NULL) {
        slot->in_use = 1;
        slot->established = 0;
        slot->conn = c;
        slot->number = number;
        slot->said_goodbye = 0;
        server.connected++;
    } else if (server.refusing < MAX_REFUSING) {
        refusing = 1;
        server.refusing++;
        server.connected++;
    } else {
        server.refused++;
    }
    pthread_mutex_unlock(&server.lock);

    if (slot == NULL && !refusing) {
        fprintf(stderr, "echo_server: client %lu closed: %zu clients connected and %d being "
                "refused\n", number, server.slot_count, MAX_REFUSING);
        ss_close(c);
        return;
    }
    pthread_t thread;
    int err = slot != NULL ? pthread_create(&thread, attr, serve_client, slot)
                           : pthread_create(&thread, attr, refuse_client, c);
    if (err != 0) {
        /* EAGAIN: the system's thread limit. Close this client too. */
        fprintf(stderr, "echo_server: client %lu closed: no thread: %s\n", number,
                strerror(err));
        pthread_mutex_lock(&server.lock);
        if (slot != NULL) {
            slot->in_use = 0;
            slot->conn = NULL;
        } else {
            server.refusing--;
        }
        server.connected--;
        server.refused++;
        pthread_mutex_unlock(&server.lock);
        ss_close(c);
    }
}

static int stop_requested(void)
{
    pthread_mutex_lock(&server.lock);
    int stopping = server.stopping;
    pthread_mutex_unlock(&server.lock);
    return stopping;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Accepts until a stop is asked or max_clients have finished their
 * handshake (either wakes us with ss_listener_shutdown: SS_ERR_CLOSED).
 * ss_accept_deferred returns before the handshake, so a client that says
 * nothing never holds this loop. */
static void accept_clients(const pthread_attr_t *attr)
{
    for (;;) {
        ss_conn *c = ss_accept_deferred(server.listener);
        if (stop_requested()) {
            ss_close(c); /* NULL (woken by the shutdown), or a client who came too late */
            return;
        }
        if (c == NULL) {
            /* A failed accept() (SS_ERR_SYSTEM, e.g. no descriptor left)
             * would fail again at once: pause. */
            int code = ss_last_error(NULL);
            if (code == SS_ERR_CLOSED)
                return;
            fprintf(stderr, "echo_server: a client was not accepted: %s\n",
                    ss_last_error_message(NULL));
            if (code == SS_ERR_SYSTEM)
                sleep_ms(ACCEPT_PAUSE_MS);
            continue;
        }
        admit(c, attr);
    }
}

/* Our close to every established client ("I will send nothing more");
 * each handler then reads until the client's close. A handler still in
 * its handshake says it itself when it ends (join_established). Called
 * with server.lock held, so no slot changes meanwhile. */
static void say_goodbye(void)
{
    server.goodbye_sent = 1;
    for (size_t i = 0; i < server.slot_count; i++) {
        client_slot *slot = &server.slots[i];
        if (slot->conn == NULL || !slot->established)
            continue;
        pthread_mutex_lock(&slot->send_lock);
        (void)ss_shutdown(slot->conn); /* a failure ends that client anyway */
        slot->said_goodbye = 1;
        pthread_mutex_unlock(&slot->send_lock);
    }
}

/* Waits until every client has gone. Clients normally leave when they
 * like; once a stop is asked (now, or while we wait), they get our goodbye
 * and GRACE_MS to close. Returns the number still connected. */
static size_t wait_for_clients(void)
{
    struct timespec deadline;
    int goodbye_sent = 0;
    pthread_mutex_lock(&server.lock);
    while (server.connected > 0) {
        if (server.stopping && !goodbye_sent) {
            say_goodbye();
            goodbye_sent = 1;
            clock_gettime(CLOCK_MONOTONIC, &deadline);
            deadline.tv_sec += GRACE_MS / 1000;
        }
        if (!goodbye_sent)
            pthread_cond_wait(&server.client_left, &server.lock);
        else if (pthread_cond_timedwait(&server.client_left, &server.lock, &deadline) ==
                 ETIMEDOUT)
            break;
    }
    size_t left = server.connected;
    pthread_mutex_unlock(&server.lock);
    return left;
}

/* ------------------------------------------------------------------ */
/* Signals                                                             */
/* ------------------------------------------------------------------ */

static void *wait_for_signal(void *arg)
{
    const sigset_t *set = arg;
    int sig;
    if (sigwait(set, &sig) != 0)
        return NULL;
    fprintf(stderr, "echo_server: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    pthread_mutex_lock(&server.lock);
    server.stopping = 1;
    pthread_cond_broadcast(&server.client_left); /* if main is already waiting */
    /* Wakes the main thread from ss_accept_deferred (under the lock: the
     * main thread closes the listener under it too). */
    if (server.listener != NULL)
        ss_listener_shutdown(server.listener);
    pthread_mutex_unlock(&server.lock);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Setting up                                                          */
/* ------------------------------------------------------------------ */

static int make_slots(size_t count)
{
    server.slots = calloc(count, sizeof *server.slots);
    if (server.slots == NULL)
        return -1;
    server.slot_count = count;
    for (size_t i = 0; i < count; i++)
        pthread_mutex_init(&server.slots[i].send_lock, NULL);
    /* The grace period is measured on CLOCK_MONOTONIC, which a change of
     * the wall clock cannot move. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&server.client_left, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

static void free_slots(void)
{
    for (size_t i = 0; i < server.slot_count; i++)
        pthread_mutex_destroy(&server.slots[i].send_lock);
    free(server.slots);
    pthread_cond_destroy(&server.client_left);
}

int main(int argc, char **argv)
{
    const char *key_file = NULL, *host = NULL, *port_text = NULL;
    unsigned long max_conns = DEFAULT_MAX_CONNS;
    ss_config cfg;
    memset(&cfg, 0, sizeof cfg); /* NN, default handshake timeout */

    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--key") == 0 && value != NULL)
            key_file = argv[++i];
        else if (strcmp(argv[i], "--max-conns") == 0 && value != NULL)
            max_conns = parse_number(argv[++i], 1, 100000, "--max-conns");
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

    cfg.io_timeout_ms = IO_TIMEOUT_MS;
    ss_keypair key;
    if (key_file != NULL) {
        if (ss_keypair_load(&key, key_file) != 0) {
            fprintf(stderr, "echo_server: %s\n", ss_last_error_message(NULL));
            return 1;
        }
        cfg.static_key = &key; /* NK and XX */
    }

    /* Block SIGINT and SIGTERM before any thread exists: every thread
     * inherits the mask, so the signals stay pending until the signal
     * thread takes them with sigwait(). */
    static sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    ss_listener *l = ss_listen(host, port, &cfg);
    if (l == NULL || make_slots(max_conns) != 0) {
        fprintf(stderr, "echo_server: %s\n",
                l == NULL ? ss_last_error_message(NULL) : "out of memory");
        ss_listener_close(l);
        ss_keypair_wipe(&key);
        return 1;
    }
    server.listener = l;
    uint16_t listen_port = ss_listener_port(l);
    /* An IPv6 address goes in brackets, so the port stays readable. */
    int v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "echo_server: listening on %s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
            (unsigned)listen_port);
    if (key_file != NULL) {
        char text[SS_KEY_BASE64_LEN];
        ss_public_key_format(text, key.public_key);
        fprintf(stderr, "echo_server: public key %s (clients: NK or XX)\n", text);
    }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, HANDLER_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t signal_thread;
    int err = pthread_create(&signal_thread, &attr, wait_for_signal, &stop_signals);
    if (err != 0) {
        fprintf(stderr, "echo_server: cannot start the signal thread: %s\n", strerror(err));
        ss_listener_close(l);
        ss_keypair_wipe(&key);
        return 1;
    }

    accept_clients(&attr);
    /* No new clients from here on: a connection attempt is refused by the
     * kernel rather than left waiting in the backlog. */
    pthread_mutex_lock(&server.lock);
    server.listener = NULL;
    pthread_mutex_unlock(&server.lock);
    ss_listener_close(l);
    size_t left = wait_for_clients();

    pthread_mutex_lock(&server.lock);
    fprintf(stderr,
            "echo_server: %lu clients (%lu refused), %lu failed handshakes, %lu errors%s\n",
            server.clients, server.refused, server.failed_handshakes, server.errors,
            left > 0 ? "; some clients did not close in time" : "");
    pthread_mutex_unlock(&server.lock);
    if (left == 0)
        free_slots(); /* else handlers still hold slots; exit frees everything */
    pthread_attr_destroy(&attr);
    ss_keypair_wipe(&key);
    return 0;
}
