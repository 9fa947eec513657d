/*
 * test_conn.c — the connection API on loopback: handshakes, messages of
 * every size, and each way a connection can fail.
 *
 * Everything runs on 127.0.0.1 or ::1, on ports the kernel picks
 * (ss_listen(..., 0) + ss_listener_port). The server side runs in a
 * thread; its checks are recorded and asserted by the main thread after
 * pthread_join (Check's assertions are only safe in the test's own thread).
 * Attacks are made by a small proxy thread that parses frames and flips,
 * duplicates, swaps or cuts them, and by raw sockets that speak garbage.
 * Every wait is bounded: connections get handshake and I/O timeouts, raw
 * sockets SO_RCVTIMEO, and each test case a Check timeout. A fixture
 * counts the open file descriptors before and after every test: a leaked
 * socket on any path fails the test.
 */
/* accept4 (the proxy creates its sockets close-on-exec, like the library) */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ssockets.h"

#define HELLO "Hey, whats up server? it's me, the client talking!"
#define REPLY "Not much, client. Your message arrived encrypted and intact."

/* Generous bounds: they only matter when something is broken. */
#define WAIT_MS 20000

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static ss_config test_config(void)
{
    ss_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.handshake_timeout_ms = WAIT_MS;
    cfg.io_timeout_ms = WAIT_MS;
    return cfg;
}

/* Receives one whole message in calls of at most `chunk` bytes. Its
 * length, -1 on error, -2 for the peer's close, -3 if longer than cap. */
static ssize_t recv_message(ss_conn *c, uint8_t *buf, size_t cap, size_t chunk)
{
    size_t got = 0;
    for (;;) {
        size_t want = cap - got < chunk ? cap - got : chunk;
        ssize_t n = ss_recv(c, buf + got, want);
        if (n < 0)
            return -1;
        if (n == 0 && ss_peer_closed(c))
            return -2;
        got += (size_t)n;
        if (ss_message_done(c))
            return (ssize_t)got;
        if (got == cap)
            return -3;
    }
}

/* ------------------------------------------------------------------ */
/* The server thread                                                   */
/* ------------------------------------------------------------------ */

typedef struct server server;
typedef void (*server_script)(server *s, ss_conn *c);

struct server {
    ss_listener *l;
    uint16_t port;
    server_script script; /* runs on the accepted connection, may be NULL */
    const void *arg;
    pthread_t thread;
    /* results, read after join */
    int accept_error;     /* ss_last_error(NULL) if ss_accept failed, else 0 */
    char accept_message[512];
    int failed;
    char why[300];
    int error;            /* an error code a script observed */
    int has_peer_key;
    uint8_t peer_key[32];
    uint8_t hash[32];
    char protocol[64];
    atomic_int done;      /* set last by the server thread */
};

/* Records the first failed check of a script; the main thread asserts. */
#define SCHECK(s, cond)                                                                     \
    do {                                                                                    \
        if (!(cond) && !(s)->failed) {                                                      \
            (s)->failed = 1;                                                                \
            snprintf((s)->why, sizeof (s)->why, "server line %d: %s (%s)", __LINE__, #cond, \
                     ss_last_error_message(NULL));                                          \
        }                                                                                   \
    } while (0)

static void *server_main(void *p)
{
    server *s = p;
    ss_conn *c = ss_accept(s->l);
    if (c == NULL) {
        s->accept_error = ss_last_error(NULL);
        snprintf(s->accept_message, sizeof s->accept_message, "%s", ss_last_error_message(NULL));
    } else {
        const uint8_t *pk = ss_peer_public_key(c);
        s->has_peer_key = pk != NULL;
        if (pk != NULL)
            memcpy(s->peer_key, pk, 32);
        ss_handshake_hash(s->hash, c);
        snprintf(s->protocol, sizeof s->protocol, "%s", ss_protocol_name(c));
        if (s->script != NULL)
            s->script(s, c);
        ss_close(c);
    }
    atomic_store(&s->done, 1);
    return NULL;
}

/* A listener on host, port 0, and a thread that accepts one client. */
static void server_start(server *s, const char *host, const ss_config *cfg, server_script script,
                         const void *arg)
{
    memset(s, 0, sizeof *s);
    s->l = ss_listen(host, 0, cfg);
    ck_assert_msg(s->l != NULL, "ss_listen(%s): %s", host, ss_last_error_message(NULL));
    s->port = ss_listener_port(s->l);
    ck_assert_int_ne(s->port, 0);
    s->script = script;
    s->arg = arg;
    ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

/* Another client on the same listener. */
static void server_again(server *s, server_script script)
{
    ss_listener *l = s->l;
    uint16_t port = s->port;
    memset(s, 0, sizeof *s);
    s->l = l;
    s->port = port;
    s->script = script;
    ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_join(server *s)
{
    ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
    ck_assert_msg(!s->failed, "%s", s->why);
}

static void server_finish(server *s)
{
    server_join(s);
    ss_listener_close(s->l);
    s->l = NULL;
}

static ss_conn *client(const char *host, uint16_t port, const ss_config *cfg)
{
    ss_conn *c = ss_client(host, port, cfg);
    ck_assert_msg(c != NULL, "ss_client: %s", ss_last_error_message(NULL));
    return c;
}

/* ------------------------------------------------------------------ */
/* Raw sockets, for peers that do not follow the protocol              */
/* ------------------------------------------------------------------ */

static void bound_timeouts(int fd)
{
    struct timeval tv = {WAIT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A plain TCP connection to 127.0.0.1:port, or -1 (usable in any thread). */
static int try_raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    bound_timeouts(fd);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int raw_connect(uint16_t port)
{
    int fd = try_raw_connect(port);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* A listening socket nobody accepts on: the kernel still completes TCP
 * handshakes into its backlog, so a client connects and then hears nothing. */
static int raw_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int read_exact(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static void raw_send(int fd, const void *buf, size_t len)
{
    ck_assert_int_eq(write_all(fd, buf, len), 0);
}

/* ------------------------------------------------------------------ */
/* The proxy: forwards a connection, and does one bad thing to one     */
/* client-to-server frame                                              */
/* ------------------------------------------------------------------ */

typedef enum { PASS, FLIP, DUPLICATE, SWAP, CUT, CUT_MIDDLE, SHORTEN } proxy_action;

typedef struct {
    int listen_fd;
    uint16_t port, target;
    proxy_action action;
    int at;                   /* index of the frame acted on (frame 0: the name) */
    int client_fd, server_fd;
    pthread_t thread, pump;
} proxy;

/* Server to client: a plain byte copy. */
static void *proxy_pump(void *p)
{
    proxy *x = p;
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(x->server_fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(x->client_fd, buf, (size_t)n) < 0)
            break;
    }
    shutdown(x->client_fd, SHUT_WR);
    return NULL;
}

static int send_frame(int fd, const uint8_t *body, size_t len)
{
    uint8_t h[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    return write_all(fd, h, 2) == 0 && write_all(fd, body, len) == 0 ? 0 : -1;
}

/* Client to server: frame by frame. */
static void *proxy_main(void *p)
{
    proxy *x = p;
    x->client_fd = accept4(x->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (x->client_fd < 0)
        return NULL;
    bound_timeouts(x->client_fd);
    x->server_fd = try_raw_connect(x->target);
    if (x->server_fd < 0 || pthread_create(&x->pump, NULL, proxy_pump, x) != 0) {
        close(x->client_fd);
        if (x->server_fd >= 0)
            close(x->server_fd);
        return NULL;
    }

    uint8_t *body = malloc(65535), *held = malloc(65535);
    size_t held_len = 0;
    for (int index = 0;; index++) {
        uint8_t h[2];
        if (read_exact(x->client_fd, h, 2) < 0)
            break;
        size_t len = ((size_t)h[0] << 8) | h[1];
        if (read_exact(x->client_fd, body, len) < 0)
            break;
        if (index == x->at) {
            if (x->action == FLIP)
                body[len / 2] ^= 0x04;
            if (x->action == CUT)
                break;
            if (x->action == CUT_MIDDLE) {
                write_all(x->server_fd, h, 2);
                write_all(x->server_fd, body, len / 2);
                break;
            }
            if (x->action == SHORTEN)
                len = 5;
            if (x->action == SWAP) { /* hold it back; send it after the next */
                memcpy(held, body, len);
                held_len = len;
                continue;
            }
        }
        if (send_frame(x->server_fd, body, len) < 0)
            continue; /* the server has gone; keep draining the client */
        if (index == x->at && x->action == DUPLICATE)
            send_frame(x->server_fd, body, len);
        if (index == x->at + 1 && x->action == SWAP)
            send_frame(x->server_fd, held, held_len);
    }
    free(body);
    free(held);
    /* Both ends see the stream stop here, without any close frame. */
    shutdown(x->server_fd, SHUT_RDWR);
    shutdown(x->client_fd, SHUT_RDWR);
    pthread_join(x->pump, NULL);
    close(x->server_fd);
    close(x->client_fd);
    return NULL;
}

static void proxy_start(proxy *x, uint16_t target, proxy_action action, int at)
{
    memset(x, 0, sizeof *x);
    x->listen_fd = raw_listen(&x->port);
    struct timeval tv = {WAIT_MS / 1000, 0}; /* bounds accept() too */
    setsockopt(x->listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    x->target = target;
    x->action = action;
    x->at = at;
    ck_assert_int_eq(pthread_create(&x->thread, NULL, proxy_main, x), 0);
}

static void proxy_finish(proxy *x)
{
    ck_assert_int_eq(pthread_join(x->thread, NULL), 0);
    close(x->listen_fd);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

static ss_keypair server_key, client_key, other_key;

static void make_keys(void)
{
    ck_assert_int_eq(ss_keypair_generate(&server_key), 0);
    ck_assert_int_eq(ss_keypair_generate(&client_key), 0);
    ck_assert_int_eq(ss_keypair_generate(&other_key), 0);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* The original library's new_api test: the server receives then sends,
 * the client sends then receives. */
static void hello_script(server *s, ss_conn *c)
{
    uint8_t buf[256];
    ssize_t n = recv_message(c, buf, sizeof buf, sizeof buf);
    SCHECK(s, n == (ssize_t)strlen(HELLO) && memcmp(buf, HELLO, strlen(HELLO)) == 0);
    SCHECK(s, ss_send(c, REPLY, strlen(REPLY)) == 0);
    /* then the client's authenticated close */
    SCHECK(s, ss_recv(c, buf, sizeof buf) == 0 && ss_peer_closed(c));
}

static void client_hello(ss_conn *c)
{
    uint8_t buf[256];
    ck_assert_int_eq(ss_send(c, HELLO, strlen(HELLO)), 0);
    ssize_t n = recv_message(c, buf, sizeof buf, sizeof buf);
    ck_assert_int_eq(n, (ssize_t)strlen(REPLY));
    ck_assert_mem_eq(buf, REPLY, strlen(REPLY));
}

START_TEST(server_receives_then_sends)
{
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, hello_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    client_hello(c);
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
}
END_TEST

static const size_t sizes[] = {0, 1, SS_MAX_FRAGMENT, SS_MAX_FRAGMENT + 1, 10u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define BIG ((10u << 20) + 1)

static uint8_t *expected[NSIZES];

static void make_messages(void)
{
    for (size_t i = 0; i < NSIZES; i++) {
        expected[i] = malloc(sizes[i] + 1);
        ck_assert_ptr_nonnull(expected[i]);
        fill(expected[i], sizes[i], (unsigned)i);
    }
}

static void free_messages(void)
{
    for (size_t i = 0; i < NSIZES; i++)
        free(expected[i]);
}

/* Each message in ONE call with a large buffer: the whole message comes
 * back, marked done, never merged with the next. Then all are echoed. */
static void sizes_script(server *s, ss_conn *c)
{
    uint8_t *buf = malloc(BIG);
    for (size_t i = 0; i < NSIZES; i++) {
        memset(buf, 0, sizes[i] + 1);
        ssize_t n = ss_recv(c, buf, BIG);
        SCHECK(s, n == (ssize_t)sizes[i]);
        SCHECK(s, ss_message_done(c) && !ss_peer_closed(c));
        SCHECK(s, n < 0 || memcmp(buf, expected[i], sizes[i]) == 0);
    }
    for (size_t i = 0; i < NSIZES; i++)
        SCHECK(s, ss_send(c, expected[i], sizes[i]) == 0);
    SCHECK(s, ss_recv(c, buf, BIG) == 0 && ss_peer_closed(c));
    free(buf);
}

START_TEST(message_sizes)
{
    /* 0, 1, 65,518 (one full fragment), 65,519 (two) and 10 MiB; the
     * client reads the echo 1000 bytes at a time, so partial delivery and
     * ss_message_done are exercised on every size. */
    make_messages();
    ss_config cfg = test_config();
    cfg.io_timeout_ms = 100000;
    server s;
    server_start(&s, "127.0.0.1", &cfg, sizes_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    for (size_t i = 0; i < NSIZES; i++)
        ck_assert_int_eq(ss_send(c, expected[i], sizes[i]), 0);
    uint8_t *buf = malloc(BIG);
    for (size_t i = 0; i < NSIZES; i++) {
        ssize_t n = recv_message(c, buf, BIG, 1000);
        ck_assert_int_eq(n, (ssize_t)sizes[i]);
        ck_assert(memcmp(buf, expected[i], sizes[i]) == 0);
    }
    free(buf);
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
    free_messages();
}
END_TEST

static void partial_script(server *s, ss_conn *c)
{
    SCHECK(s, ss_send(c, "hello world", 11) == 0);
    SCHECK(s, ss_send(c, "abc", 3) == 0);
    SCHECK(s, ss_send(c, "defg", 4) == 0);
    SCHECK(s, ss_send(c, "", 0) == 0);
    SCHECK(s, ss_send(c, "xy", 2) == 0);
    SCHECK(s, ss_shutdown(c) == 0);
    uint8_t b[8];
    SCHECK(s, ss_recv(c, b, sizeof b) == 0 && ss_peer_closed(c));
}

START_TEST(partial_delivery)
{
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, partial_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    uint8_t buf[100];
    /* "hello world" through a 4-byte buffer: 4, 4, 3, done only at the end */
    ck_assert_int_eq(ss_recv(c, buf, 4), 4);
    ck_assert_int_eq(ss_message_done(c), 0);
    ck_assert_mem_eq(buf, "hell", 4);
    ck_assert_int_eq(ss_recv(c, buf, 4), 4);
    ck_assert_int_eq(ss_message_done(c), 0);
    ck_assert_mem_eq(buf, "o wo", 4);
    ck_assert_int_eq(ss_recv(c, buf, 4), 3);
    ck_assert_int_eq(ss_message_done(c), 1);
    ck_assert_mem_eq(buf, "rld", 3);
    /* two short messages and a large buffer: never merged */
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 3);
    ck_assert_int_eq(ss_message_done(c), 1);
    ck_assert_mem_eq(buf, "abc", 3);
    /* a zero-capacity buffer takes nothing and says the message goes on */
    ck_assert_int_eq(ss_recv(c, NULL, 0), 0);
    ck_assert_int_eq(ss_message_done(c), 0);
    ck_assert_int_eq(ss_peer_closed(c), 0);
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 4);
    ck_assert_mem_eq(buf, "defg", 4);
    /* the empty message: 0, done, not a close */
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 0);
    ck_assert_int_eq(ss_message_done(c), 1);
    ck_assert_int_eq(ss_peer_closed(c), 0);
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 2);
    ck_assert_mem_eq(buf, "xy", 2);
    /* the server's close (ss_shutdown); it is still listening to us */
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 0);
    ck_assert_int_eq(ss_peer_closed(c), 1);
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), 0); /* and again */
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
}
END_TEST

#define SMALL_COUNT 1000

static size_t small_message(uint8_t *buf, int i, unsigned side)
{
    size_t len = (size_t)(i % 97);
    fill(buf, len, side * 100000u + (unsigned)i);
    return len;
}

static void small_script(server *s, ss_conn *c)
{
    uint8_t want[128], got[128];
    for (int i = 0; i < SMALL_COUNT && !s->failed; i++) {
        size_t len = small_message(want, i, 2);
        SCHECK(s, ss_send(c, want, len) == 0);
        len = small_message(want, i, 1);
        ssize_t n = recv_message(c, got, sizeof got, sizeof got);
        SCHECK(s, n == (ssize_t)len && memcmp(got, want, len) == 0);
    }
    SCHECK(s, ss_recv(c, got, sizeof got) == 0 && ss_peer_closed(c));
}

START_TEST(thousand_small_messages_interleaved)
{
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, small_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    uint8_t want[128], got[128];
    for (int i = 0; i < SMALL_COUNT; i++) {
        size_t len = small_message(want, i, 1);
        ck_assert_int_eq(ss_send(c, want, len), 0);
        len = small_message(want, i, 2);
        ssize_t n = recv_message(c, got, sizeof got, sizeof got);
        ck_assert_int_eq(n, (ssize_t)len);
        ck_assert(memcmp(got, want, len) == 0);
    }
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Handshake patterns                                                  */
/* ------------------------------------------------------------------ */

/* Runs hello on host with the two configurations and checks what each
 * side learned of the other. */
static void pattern_case(const char *host, const ss_config *scfg, const ss_config *ccfg,
                         const char *name, const uint8_t *server_sees, const uint8_t *client_sees)
{
    server s;
    server_start(&s, host, scfg, hello_script, NULL);
    ss_conn *c = client(host, s.port, ccfg);
    ck_assert_str_eq(ss_protocol_name(c), name);
    const uint8_t *pk = ss_peer_public_key(c);
    if (client_sees == NULL) {
        ck_assert_ptr_null(pk);
    } else {
        ck_assert_ptr_nonnull(pk);
        ck_assert_mem_eq(pk, client_sees, 32);
    }
    uint8_t hash[32], zero[32] = {0};
    ss_handshake_hash(hash, c);
    client_hello(c);
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);

    ck_assert_str_eq(s.protocol, name);
    ck_assert_int_eq(s.has_peer_key, server_sees != NULL);
    if (server_sees != NULL)
        ck_assert_mem_eq(s.peer_key, server_sees, 32);
    /* Both sides end with the same h (channel binding), and it is not 0. */
    ck_assert_mem_eq(s.hash, hash, 32);
    ck_assert(memcmp(hash, zero, 32) != 0);
}

START_TEST(pattern_nn)
{
    ss_config cfg = test_config();
    pattern_case("127.0.0.1", &cfg, &cfg, "Noise_NN_25519_ChaChaPoly_SHA256", NULL, NULL);
}
END_TEST

START_TEST(pattern_nk)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    ccfg.peer_public_key = server_key.public_key;
    pattern_case("127.0.0.1", &scfg, &ccfg, "Noise_NK_25519_ChaChaPoly_SHA256", NULL,
                 server_key.public_key);
}
END_TEST

START_TEST(pattern_xx)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    ccfg.static_key = &client_key;
    /* without pins */
    pattern_case("127.0.0.1", &scfg, &ccfg, "Noise_XX_25519_ChaChaPoly_SHA256",
                 client_key.public_key, server_key.public_key);
    /* the client pins the server, the server pins the client */
    ccfg.peer_public_key = server_key.public_key;
    scfg.peer_public_key = client_key.public_key;
    pattern_case("127.0.0.1", &scfg, &ccfg, "Noise_XX_25519_ChaChaPoly_SHA256",
                 client_key.public_key, server_key.public_key);
    /* the server has an allow-list that includes the client */
    uint8_t allowed[2][32];
    memcpy(allowed[0], other_key.public_key, 32);
    memcpy(allowed[1], client_key.public_key, 32);
    scfg.peer_public_key = NULL;
    scfg.allowed_keys = (const uint8_t(*)[32])allowed;
    scfg.allowed_count = 2;
    pattern_case("127.0.0.1", &scfg, &ccfg, "Noise_XX_25519_ChaChaPoly_SHA256",
                 client_key.public_key, server_key.public_key);
}
END_TEST

START_TEST(ipv6_loopback)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    ccfg.static_key = &client_key;
    ccfg.peer_public_key = server_key.public_key;
    pattern_case("::1", &scfg, &ccfg, "Noise_XX_25519_ChaChaPoly_SHA256", client_key.public_key,
                 server_key.public_key);
}
END_TEST

START_TEST(host_name_resolved)
{
    /* "localhost" goes through getaddrinfo's name lookup. */
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, hello_script, NULL);
    ss_conn *c = client("localhost", s.port, &cfg);
    client_hello(c);
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Keys that do not match                                              */
/* ------------------------------------------------------------------ */

START_TEST(wrong_server_key_nk)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    ccfg.peer_public_key = other_key.public_key; /* pinned: not the server's */
    server s;
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    ck_assert_ptr_null(ss_client("127.0.0.1", s.port, &ccfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_WRONG_SERVER_KEY);
    /* From the server's refusal frame (docs/protocol.md). */
    ck_assert_ptr_nonnull(
        strstr(ss_last_error_message(NULL), "could not authenticate our first"));
    server_finish(&s);
    /* The server could not decrypt message 1, encrypted to another key,
     * and says what that most likely means. */
    ck_assert_int_eq(s.accept_error, SS_ERR_TAMPERED);
    ck_assert_ptr_nonnull(strstr(s.accept_message, "pinned a different server key"));
}
END_TEST

START_TEST(wrong_server_key_xx)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    ccfg.static_key = &client_key;
    ccfg.peer_public_key = other_key.public_key;
    server s;
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    ck_assert_ptr_null(ss_client("127.0.0.1", s.port, &ccfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_WRONG_SERVER_KEY);
    server_finish(&s);
    /* The client stopped before message 3 (its identity stays hidden). */
    ck_assert_int_eq(s.accept_error, SS_ERR_PEER_GONE);
}
END_TEST

START_TEST(unknown_client_key)
{
    make_keys();
    uint8_t allowed[1][32];
    memcpy(allowed[0], other_key.public_key, 32);
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    scfg.allowed_keys = (const uint8_t(*)[32])allowed;
    scfg.allowed_count = 1;
    ccfg.static_key = &client_key;
    server s;
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    /* XX ends with the client's message, so the client learns of the
     * refusal from the server's sealed TYPE_REFUSED frame, on its first
     * receive: not a connection that merely ends without a close. */
    ss_conn *c = client("127.0.0.1", s.port, &ccfg);
    uint8_t buf[16];
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), -1);
    ck_assert_int_eq(ss_last_error(c), SS_ERR_UNKNOWN_CLIENT_KEY);
    ck_assert_ptr_nonnull(strstr(ss_last_error_message(c), "not in the server's allow-list"));
    ss_close(c);
    server_finish(&s);
    ck_assert_int_eq(s.accept_error, SS_ERR_UNKNOWN_CLIENT_KEY);
}
END_TEST

START_TEST(wrong_client_key_pinned)
{
    make_keys();
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.static_key = &server_key;
    scfg.peer_public_key = other_key.public_key;
    ccfg.static_key = &client_key;
    server s;
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &ccfg);
    uint8_t buf[16];
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), -1);
    ck_assert_int_eq(ss_last_error(c), SS_ERR_WRONG_PEER_KEY);
    ck_assert_ptr_nonnull(strstr(ss_last_error_message(c), "not the key the server pinned"));
    ss_close(c);
    server_finish(&s);
    ck_assert_int_eq(s.accept_error, SS_ERR_WRONG_PEER_KEY);
}
END_TEST

START_TEST(pattern_refused)
{
    make_keys();
    /* XX proposed to a server without a key (it accepts NN only) */
    ss_config scfg = test_config(), ccfg = test_config();
    ccfg.static_key = &client_key;
    server s;
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    ck_assert_ptr_null(ss_client("127.0.0.1", s.port, &ccfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_PATTERN_REFUSED);
    ck_assert_ptr_nonnull(strstr(ss_last_error_message(NULL), "Noise_XX_25519_ChaChaPoly_SHA256"));
    ck_assert_ptr_nonnull(strstr(ss_last_error_message(NULL), "it accepts only NN"));
    server_finish(&s);
    ck_assert_int_eq(s.accept_error, SS_ERR_PATTERN_REFUSED);

    /* NN proposed to a server with an allow-list (it accepts XX only) */
    uint8_t allowed[1][32];
    memcpy(allowed[0], client_key.public_key, 32);
    scfg.static_key = &server_key;
    scfg.allowed_keys = (const uint8_t(*)[32])allowed;
    scfg.allowed_count = 1;
    ccfg = test_config();
    server_start(&s, "127.0.0.1", &scfg, NULL, NULL);
    ck_assert_ptr_null(ss_client("127.0.0.1", s.port, &ccfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_PATTERN_REFUSED);
    server_finish(&s);
    ck_assert_int_eq(s.accept_error, SS_ERR_PATTERN_REFUSED);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Attacks on transport frames (through the proxy)                     */
/* ------------------------------------------------------------------ */

/* The server receives; each result is kept for the main thread. */
typedef struct {
    ssize_t n[4];
    int err[4];
    int untouched[4]; /* the buffer was left as it was */
    char message[256];
    int conn_error;
} recv_log;

static void logging_script(server *s, ss_conn *c)
{
    recv_log *log = (recv_log *)s->arg;
    uint8_t buf[64];
    for (int i = 0; i < 4; i++) {
        memset(buf, 0xAA, sizeof buf);
        log->n[i] = ss_recv(c, buf, sizeof buf);
        log->err[i] = log->n[i] < 0 ? ss_last_error(NULL) : 0;
        log->untouched[i] = buf[0] == 0xAA && buf[sizeof buf - 1] == 0xAA;
    }
    log->conn_error = ss_last_error(c);
    snprintf(log->message, sizeof log->message, "%s", ss_last_error_message(c));
}

/* NN through the proxy: client-to-server frame 0 is the name, 1 handshake
 * message 1, then the transport frames "one" (2), "two" (3), "three" (4)
 * and the close frame (5). */
static void attack(proxy_action action, int at, recv_log *log)
{
    ss_config cfg = test_config();
    server s;
    memset(log, 0, sizeof *log);
    server_start(&s, "127.0.0.1", &cfg, logging_script, log);
    proxy x;
    proxy_start(&x, s.port, action, at);
    ss_conn *c = client("127.0.0.1", x.port, &cfg);
    /* The client may see the server vanish: results are not checked. */
    ss_send(c, "one", 3);
    ss_send(c, "two", 3);
    ss_send(c, "three", 5);
    ss_close(c);
    server_finish(&s);
    proxy_finish(&x);
}

START_TEST(tampered_frame)
{
    recv_log log;
    attack(FLIP, 3, &log); /* one bit of "two" */
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], -1);
    ck_assert_int_eq(log.err[1], SS_ERR_TAMPERED);
    ck_assert(log.untouched[1]); /* not one byte of the forged frame */
    /* the connection has ended: the same error again */
    ck_assert_int_eq(log.n[2], -1);
    ck_assert_int_eq(log.err[2], SS_ERR_TAMPERED);
    ck_assert(log.untouched[2]);
    ck_assert_int_eq(log.conn_error, SS_ERR_TAMPERED);
}
END_TEST

START_TEST(replayed_frame)
{
    recv_log log;
    attack(DUPLICATE, 2, &log); /* "one" twice */
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], -1);
    ck_assert_int_eq(log.err[1], SS_ERR_TAMPERED);
    ck_assert(log.untouched[1]);
}
END_TEST

START_TEST(reordered_frames)
{
    recv_log log;
    attack(SWAP, 2, &log); /* "two" before "one" */
    ck_assert_int_eq(log.n[0], -1);
    ck_assert_int_eq(log.err[0], SS_ERR_TAMPERED);
    ck_assert(log.untouched[0]);
}
END_TEST

START_TEST(truncated_stream)
{
    recv_log log;
    attack(CUT, 4, &log); /* "one" and "two" pass, then the stream stops */
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], 3);
    ck_assert_int_eq(log.n[2], -1);
    ck_assert_int_eq(log.err[2], SS_ERR_TRUNCATED);
    ck_assert_int_eq(log.err[3], SS_ERR_TRUNCATED);

    attack(CUT_MIDDLE, 3, &log); /* half of "two" */
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], -1);
    ck_assert_int_eq(log.err[1], SS_ERR_TRUNCATED);
    ck_assert(log.untouched[1]);
    ck_assert_ptr_nonnull(strstr(log.message, "middle of a frame"));
}
END_TEST

START_TEST(short_frame)
{
    recv_log log;
    attack(SHORTEN, 3, &log); /* "two" becomes 5 bytes: no room for a tag */
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], -1);
    ck_assert_int_eq(log.err[1], SS_ERR_BAD_FRAME);
}
END_TEST

START_TEST(proxy_passes_intact)
{
    /* The proxy itself changes nothing unless told to. */
    recv_log log;
    attack(PASS, 0, &log);
    ck_assert_int_eq(log.n[0], 3);
    ck_assert_int_eq(log.n[1], 3);
    ck_assert_int_eq(log.n[2], 5);
    ck_assert_int_eq(log.n[3], 0); /* the close frame */
    ck_assert_int_eq(log.conn_error, SS_OK);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Peers that do not speak the protocol                                */
/* ------------------------------------------------------------------ */

START_TEST(garbage_handshake)
{
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, NULL, NULL);

    /* An HTTP request: its first two bytes announce an 18,245-byte name. */
    int fd = raw_connect(s.port);
    raw_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    server_join(&s);
    close(fd);
    ck_assert_msg(s.accept_error == SS_ERR_BAD_PROTOCOL || s.accept_error == SS_ERR_BAD_FRAME,
                  "%s", s.accept_message);

    /* A well-formed frame 0 with a name nobody knows. */
    server_again(&s, NULL);
    fd = raw_connect(s.port);
    raw_send(fd, "\x00\x08SSH-2.0!", 10);
    server_join(&s);
    close(fd);
    ck_assert_int_eq(s.accept_error, SS_ERR_BAD_PROTOCOL);

    /* A good name, then a "handshake message" of the wrong size. */
    server_again(&s, NULL);
    fd = raw_connect(s.port);
    const char *name = "Noise_NN_25519_ChaChaPoly_SHA256";
    uint8_t frame0[2 + 32] = {0, 32};
    memcpy(frame0 + 2, name, 32);
    raw_send(fd, frame0, sizeof frame0);
    raw_send(fd, "\x00\x05junk!", 7);
    server_join(&s);
    close(fd);
    ck_assert_int_eq(s.accept_error, SS_ERR_BAD_FRAME);

    /* A good name, then the ephemeral key 0, a point of small order: the
     * server's ee would be all zeros, a "secret" known to everyone. */
    server_again(&s, NULL);
    fd = raw_connect(s.port);
    uint8_t zero_e[2 + 32] = {0, 32};
    raw_send(fd, frame0, sizeof frame0);
    raw_send(fd, zero_e, sizeof zero_e);
    server_join(&s);
    close(fd);
    ck_assert_int_eq(s.accept_error, SS_ERR_LOW_ORDER_KEY);

    /* A client that connects and leaves at once. */
    server_again(&s, NULL);
    fd = raw_connect(s.port);
    close(fd);
    server_join(&s);
    ck_assert_int_eq(s.accept_error, SS_ERR_PEER_GONE);

    /* After all that, the same listener serves a real client. */
    server_again(&s, hello_script);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    client_hello(c);
    ss_close(c);
    server_finish(&s);
    ck_assert_int_eq(s.accept_error, 0);
}
END_TEST

START_TEST(silent_client_times_out)
{
    ss_config cfg = test_config();
    cfg.handshake_timeout_ms = 300;
    server s;
    server_start(&s, "127.0.0.1", &cfg, NULL, NULL);
    int fd = raw_connect(s.port); /* connects, says nothing */
    server_join(&s);
    close(fd);
    ck_assert_int_eq(s.accept_error, SS_ERR_TIMEOUT);

    /* One byte every 50 ms of a valid frame 0: each byte is progress, but
     * the deadline covers the whole handshake. */
    server_again(&s, NULL);
    fd = raw_connect(s.port);
    uint8_t frame0[2 + 32] = {0, 32};
    memcpy(frame0 + 2, "Noise_NN_25519_ChaChaPoly_SHA256", 32);
    for (size_t i = 0; i < sizeof frame0 && !atomic_load(&s.done); i++) {
        if (write_all(fd, frame0 + i, 1) < 0)
            break;
        sleep_ms(50);
    }
    server_join(&s);
    close(fd);
    ck_assert_int_eq(s.accept_error, SS_ERR_TIMEOUT);
    ss_listener_close(s.l);
}
END_TEST

START_TEST(silent_server_times_out)
{
    uint16_t port;
    int lfd = raw_listen(&port); /* never accepts, never answers */
    ss_config cfg = test_config();
    cfg.handshake_timeout_ms = 300;
    ck_assert_ptr_null(ss_client("127.0.0.1", port, &cfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_TIMEOUT);
    close(lfd);
}
END_TEST

/* A peer that does not speak SSockets/1, in a thread: it reads what the
 * client sent (so that closing sends FIN, not RST), answers with `answer`
 * (n bytes), and closes. The client says so, with what it saw. (A thread,
 * not a child process: under valgrind a forked copy of the test program
 * would report the parent's memory as its own leaks.) */
typedef struct {
    int lfd;
    const char *answer;
    size_t n;
    int ok;
} foreign_peer;

static void *foreign_peer_run(void *arg)
{
    foreign_peer *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    uint8_t buf[256];
    f->ok = fd >= 0 && recv(fd, buf, sizeof buf, 0) > 0 &&
            (f->n == 0 || send(fd, f->answer, f->n, 0) == (ssize_t)f->n);
    if (fd >= 0)
        close(fd);
    return NULL;
}

START_TEST(foreign_server)
{
    static const struct {
        const char *answer;
        size_t n;
        int code;
        const char *said;
    } cases[] = {
        {"hello\n", 6, SS_ERR_BAD_PROTOCOL, "answer begins \"hello?\" (6 bytes)"},
        {"HTTP/1.1 400 Bad Request\r\n\r\n", 28, SS_ERR_BAD_PROTOCOL, "begins \"HTTP/1.1 400"},
        {"", 0, SS_ERR_PEER_GONE, "closed at once"},
        {"\xff", 1, SS_ERR_BAD_PROTOCOL, "sent 1 bytes (\"?\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t port;
        foreign_peer f = {.answer = cases[i].answer, .n = cases[i].n};
        f.lfd = raw_listen(&port);
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, foreign_peer_run, &f), 0);
        ss_config cfg = test_config();
        ck_assert_ptr_null(ss_client("127.0.0.1", port, &cfg));
        ck_assert_int_eq(ss_last_error(NULL), cases[i].code);
        ck_assert_msg(strstr(ss_last_error_message(NULL), "does not speak SSockets/1") != NULL &&
                          strstr(ss_last_error_message(NULL), cases[i].said) != NULL,
                      "case %zu: %s", i, ss_last_error_message(NULL));
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert(f.ok);
        close(f.lfd);
    }
}
END_TEST

static void quiet_script(server *s, ss_conn *c)
{
    /* Sends nothing; waits for the client, which gives up and drops. */
    uint8_t buf[8];
    SCHECK(s, ss_recv(c, buf, sizeof buf) == -1);
    s->error = ss_last_error(c);
}

START_TEST(recv_times_out)
{
    ss_config scfg = test_config(), ccfg = test_config();
    ccfg.io_timeout_ms = 200;
    server s;
    server_start(&s, "127.0.0.1", &scfg, quiet_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &ccfg);
    uint8_t buf[8];
    ck_assert_int_eq(ss_recv(c, buf, sizeof buf), -1);
    ck_assert_int_eq(ss_last_error(c), SS_ERR_TIMEOUT);
    /* a failed connection sends no close frame: the server sees a cut */
    ck_assert_int_eq(ss_send(c, "x", 1), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_TIMEOUT);
    ss_close(c);
    server_finish(&s);
    ck_assert_int_eq(s.error, SS_ERR_TRUNCATED);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sockets: restart, SIGPIPE, errors                                   */
/* ------------------------------------------------------------------ */

static void server_closes_first_script(server *s, ss_conn *c)
{
    uint8_t buf[256];
    SCHECK(s, recv_message(c, buf, sizeof buf, sizeof buf) == (ssize_t)strlen(HELLO));
    SCHECK(s, recv_message(c, buf, sizeof buf, sizeof buf) == -2); /* client's close */
    SCHECK(s, ss_send(c, REPLY, strlen(REPLY)) == 0);
    /* Returning closes: our FIN goes first and the client, having sent its
     * close frame already, sends nothing more but its FIN. This side's
     * socket then waits in TIME_WAIT on the listening port. */
}

START_TEST(listener_restarts_on_same_port)
{
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, server_closes_first_script, NULL);
    uint16_t port = s.port;
    ss_conn *c = client("127.0.0.1", port, &cfg);
    uint8_t buf[256];
    ck_assert_int_eq(ss_send(c, HELLO, strlen(HELLO)), 0);
    ck_assert_int_eq(ss_shutdown(c), 0);
    ck_assert_int_eq(recv_message(c, buf, sizeof buf, sizeof buf), (ssize_t)strlen(REPLY));
    ck_assert_int_eq(recv_message(c, buf, sizeof buf, sizeof buf), -2);
    server_join(&s);
    ss_close(c);

    /* Two live listeners on one port: refused, with the right error. */
    ck_assert_ptr_null(ss_listen("127.0.0.1", port, &cfg));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ADDR_IN_USE);

    /* Closed and reopened at once: no "Address already in use". */
    ss_listener_close(s.l);
    ss_listener *l = ss_listen("127.0.0.1", port, &cfg);
    ck_assert_msg(l != NULL, "%s", ss_last_error_message(NULL));
    ck_assert_int_eq(ss_listener_port(l), port);
    s.l = l;
    server_again(&s, hello_script);
    c = client("127.0.0.1", port, &cfg);
    client_hello(c);
    ss_close(c);
    server_finish(&s);
}
END_TEST

typedef struct {
    uint16_t port;
    int ok;
    char message[256];
} one_shot;

static void *one_shot_server(void *p)
{
    one_shot *o = p;
    ss_config cfg = test_config();
    ss_conn *c = ss_server("127.0.0.1", o->port, &cfg);
    if (c == NULL) {
        snprintf(o->message, sizeof o->message, "%s", ss_last_error_message(NULL));
        return NULL;
    }
    uint8_t buf[256];
    o->ok = ss_recv(c, buf, sizeof buf) == (ssize_t)strlen(HELLO) &&
            ss_send(c, REPLY, strlen(REPLY)) == 0;
    ss_close(c);
    return NULL;
}

START_TEST(one_shot_server_api)
{
    /* ss_server needs a known port: borrow a free one from the kernel. */
    ss_listener *l = ss_listen("127.0.0.1", 0, NULL);
    ck_assert_ptr_nonnull(l);
    one_shot o = {ss_listener_port(l), 0, ""};
    ss_listener_close(l);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, one_shot_server, &o), 0);
    ss_conn *c = NULL;
    ss_config cfg = test_config();
    for (int i = 0; i < 500 && c == NULL; i++) { /* until the thread listens */
        c = ss_client("127.0.0.1", o.port, &cfg);
        if (c == NULL) {
            ck_assert_int_eq(ss_last_error(NULL), SS_ERR_CONNECT);
            sleep_ms(10);
        }
    }
    ck_assert_ptr_nonnull(c);
    client_hello(c);
    ss_close(c);
    pthread_join(t, NULL);
    ck_assert_msg(o.ok, "%s", o.message);
}
END_TEST

static void close_at_once_script(server *s, ss_conn *c)
{
    (void)s;
    (void)c;
}

START_TEST(no_sigpipe)
{
    /* The default action of SIGPIPE is to kill the process: make sure it
     * is in force, then write to a peer that has gone. */
    signal(SIGPIPE, SIG_DFL);
    ss_config cfg = test_config();
    server s;
    server_start(&s, "127.0.0.1", &cfg, close_at_once_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    server_finish(&s);
    static uint8_t block[65536];
    int rc = 0;
    for (int i = 0; i < 2000 && rc == 0; i++)
        rc = ss_send(c, block, sizeof block);
    ck_assert_int_eq(rc, -1); /* and we are still alive */
    ck_assert_int_eq(ss_last_error(c), SS_ERR_PEER_GONE);
    ss_close(c);
}
END_TEST

START_TEST(connect_errors)
{
    /* A port nobody listens on. */
    ss_listener *l = ss_listen("127.0.0.1", 0, NULL);
    ck_assert_ptr_nonnull(l);
    uint16_t port = ss_listener_port(l);
    ss_listener_close(l);
    ck_assert_ptr_null(ss_client("127.0.0.1", port, NULL));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_CONNECT);
    ck_assert_ptr_null(ss_client("::1", port, NULL));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_CONNECT);
    /* A name that cannot exist (RFC 6761: .invalid). */
    ck_assert_ptr_null(ss_client("no-such-host.invalid", port, NULL));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_RESOLVE);
    ck_assert_ptr_null(ss_listen("no-such-host.invalid", 0, NULL));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_RESOLVE);
}
END_TEST

START_TEST(null_and_bad_arguments)
{
    make_keys();
    uint8_t buf[4], hash[32];
    ck_assert_int_eq(ss_close(NULL), 0);
    ss_listener_close(NULL);
    ck_assert_int_eq(ss_send(NULL, "x", 1), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_recv(NULL, buf, sizeof buf), -1);
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    ck_assert_int_eq(ss_shutdown(NULL), -1);
    ck_assert_ptr_null(ss_accept(NULL));
    ck_assert_ptr_null(ss_client(NULL, 1, NULL));
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    ck_assert_ptr_null(ss_peer_public_key(NULL));
    ck_assert_ptr_null(ss_protocol_name(NULL));
    ck_assert_int_eq(ss_message_done(NULL), 1);
    ck_assert_int_eq(ss_peer_closed(NULL), 0);
    ck_assert_int_eq(ss_listener_port(NULL), 0);
    ss_handshake_hash(hash, NULL);
    ck_assert_ptr_nonnull(ss_last_error_message(NULL));

    /* Configurations that cannot work are refused up front. */
    uint8_t allowed[1][32] = {{0}};
    ss_config cfg = test_config();
    cfg.allowed_keys = (const uint8_t(*)[32])allowed;
    cfg.allowed_count = 1;
    ck_assert_ptr_null(ss_listen("127.0.0.1", 0, &cfg)); /* allow-list without a key */
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    ck_assert_ptr_null(ss_client("127.0.0.1", 1, &cfg)); /* allow-list is server-side */
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
    cfg = test_config();
    cfg.plain = 1;
    cfg.static_key = &client_key;
    ck_assert_ptr_null(ss_client("127.0.0.1", 1, &cfg)); /* plain has no handshake */
    ck_assert_int_eq(ss_last_error(NULL), SS_ERR_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Plain mode and the frame types, seen from a raw peer                */
/* ------------------------------------------------------------------ */

static void plain_sender_script(server *s, ss_conn *c)
{
    SCHECK(s, ss_send(c, "hello", 5) == 0);
}

START_TEST(plain_mode)
{
    ss_config cfg = test_config();
    cfg.plain = 1;
    /* library to library */
    server s;
    server_start(&s, "127.0.0.1", &cfg, hello_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    ck_assert_str_eq(ss_protocol_name(c), "plain");
    ck_assert_ptr_null(ss_peer_public_key(c));
    client_hello(c);
    ss_close(c);
    server_finish(&s);
    ck_assert_str_eq(s.protocol, "plain");

    /* On the wire: the same frames as encrypted mode, in clear, with no
     * name frame and no handshake: "hello" as 00 06 | 00 'hello', then
     * the close frame 00 01 | 02. */
    server_start(&s, "127.0.0.1", &cfg, plain_sender_script, NULL);
    int fd = raw_connect(s.port);
    uint8_t wire[11];
    ck_assert_int_eq(read_exact(fd, wire, sizeof wire), 0);
    ck_assert_mem_eq(wire, "\x00\x06\x00hello\x00\x01\x02", 11);
    server_finish(&s);
    close(fd);
}
END_TEST

typedef struct {
    const char *bytes; /* what the raw peer sends */
    size_t len;
    int close_after;   /* then ends the stream */
    int expected;      /* the error ss_recv must report */
} violation;

static void violation_script(server *s, ss_conn *c)
{
    uint8_t buf[64];
    /* Valid frames before the violation are received normally; a close
     * frame returns 0 until whatever follows it is seen. */
    for (int i = 0; i < 500; i++) {
        ssize_t n = ss_recv(c, buf, sizeof buf);
        if (n < 0)
            break;
        if (n == 0 && ss_peer_closed(c))
            sleep_ms(10);
    }
    s->error = ss_last_error(c);
}

START_TEST(frame_type_violations)
{
    static const violation cases[] = {
        {"\x00\x01\x07", 3, 0, SS_ERR_BAD_TYPE},             /* type 7 */
        {"\x00\x02\x02x", 4, 0, SS_ERR_BAD_FRAME},           /* close with a body */
        {"\x00\x00", 2, 0, SS_ERR_BAD_FRAME},                /* no type byte */
        {"\x00\x01\x01", 3, 0, SS_ERR_BAD_FRAME},            /* empty "more" */
        {"\x00\x01\x02\x00\x02\x00x", 7, 0, SS_ERR_DATA_AFTER_CLOSE},
        {"\x00\x02\x01" "a\x00\x01\x02", 7, 0, SS_ERR_TRUNCATED}, /* close inside a message */
        {"\x00\x02\x00" "a", 4, 1, SS_ERR_TRUNCATED},        /* no close frame */
        {"\x00\x09\x00" "a", 4, 1, SS_ERR_TRUNCATED},        /* frame cut short */
    };
    ss_config cfg = test_config();
    cfg.plain = 1;
    server s;
    server_start(&s, "127.0.0.1", &cfg, violation_script, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (i > 0)
            server_again(&s, violation_script);
        int fd = raw_connect(s.port);
        raw_send(fd, cases[i].bytes, cases[i].len);
        if (cases[i].close_after)
            shutdown(fd, SHUT_WR);
        server_join(&s);
        close(fd);
        ck_assert_msg(s.error == cases[i].expected, "case %zu: got %d (%s)", i, s.error,
                      ss_strerror(s.error));
    }
    ss_listener_close(s.l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Trace                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    char text[65536];
    size_t len;
} trace_log;

static void collect(void *arg, const char *line)
{
    trace_log *t = arg;
    int n = snprintf(t->text + t->len, sizeof t->text - t->len, "%s\n", line);
    if (n > 0 && (size_t)n < sizeof t->text - t->len)
        t->len += (size_t)n;
}

START_TEST(trace_narrates)
{
    static trace_log client_trace, server_trace;
    memset(&client_trace, 0, sizeof client_trace);
    memset(&server_trace, 0, sizeof server_trace);
    ss_config scfg = test_config(), ccfg = test_config();
    scfg.trace = collect;
    scfg.trace_arg = &server_trace;
    ccfg.trace = collect;
    ccfg.trace_arg = &client_trace;
    server s;
    server_start(&s, "127.0.0.1", &scfg, hello_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &ccfg);
    client_hello(c);
    ss_close(c);
    server_finish(&s);
    const char *name = "protocol name \"Noise_NN_25519_ChaChaPoly_SHA256\"";
    ck_assert_ptr_nonnull(strstr(client_trace.text, name));
    ck_assert_ptr_nonnull(strstr(server_trace.text, name));
    ck_assert_ptr_nonnull(strstr(server_trace.text, "accepted"));
    ck_assert_ptr_nonnull(strstr(client_trace.text, "handshake message 2 (48 bytes)"));
    ck_assert_ptr_nonnull(strstr(client_trace.text, "first frame sent: n = 0, nonce = "
                                                    "000000000000000000000000"));
    ck_assert_ptr_nonnull(strstr(server_trace.text, "first frame received: n = 0"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define PARALLEL 6

typedef struct {
    uint16_t port;
    int ok;
    char message[256];
} parallel_client;

static void echo_many_script(server *s, ss_conn *c)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv_message(c, buf, sizeof buf, sizeof buf);
        if (n == -2)
            break;
        SCHECK(s, n >= 0);
        if (n < 0 || ss_send(c, buf, (size_t)n) < 0)
            break;
    }
}

static void *parallel_client_main(void *p)
{
    parallel_client *pc = p;
    ss_config cfg = test_config();
    cfg.static_key = &client_key;
    cfg.peer_public_key = server_key.public_key;
    ss_conn *c = ss_client("127.0.0.1", pc->port, &cfg);
    if (c == NULL) {
        snprintf(pc->message, sizeof pc->message, "%s", ss_last_error_message(NULL));
        return NULL;
    }
    uint8_t want[4096], got[4096];
    pc->ok = 1;
    for (int i = 0; i < 50 && pc->ok; i++) {
        size_t len = (size_t)(i * 81) % sizeof want;
        fill(want, len, (unsigned)(i + 1000 * pc->port));
        pc->ok = ss_send(c, want, len) == 0 &&
                 recv_message(c, got, sizeof got, sizeof got) == (ssize_t)len &&
                 memcmp(got, want, len) == 0;
        if (!pc->ok)
            snprintf(pc->message, sizeof pc->message, "%s", ss_last_error_message(c));
    }
    ss_close(c);
    return NULL;
}

START_TEST(parallel_connections)
{
    /* PARALLEL servers accept on one listener while PARALLEL clients
     * connect: no state is shared between connections. */
    make_keys();
    ss_config scfg = test_config();
    scfg.static_key = &server_key;
    static server servers[PARALLEL];
    static parallel_client clients[PARALLEL];
    pthread_t threads[PARALLEL];
    server_start(&servers[0], "127.0.0.1", &scfg, echo_many_script, NULL);
    for (int i = 1; i < PARALLEL; i++) {
        servers[i].l = servers[0].l;
        servers[i].port = servers[0].port;
        server_again(&servers[i], echo_many_script);
    }
    for (int i = 0; i < PARALLEL; i++) {
        clients[i].port = servers[0].port;
        clients[i].ok = 0;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, parallel_client_main, &clients[i]), 0);
    }
    for (int i = 0; i < PARALLEL; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(clients[i].ok, "client %d: %s", i, clients[i].message);
    }
    for (int i = 0; i < PARALLEL; i++) {
        server_join(&servers[i]);
        ck_assert_int_eq(servers[i].accept_error, 0);
    }
    ss_listener_close(servers[0].l);
}
END_TEST

#define DUPLEX_COUNT 60

typedef struct {
    ss_conn *c;
    unsigned side;
    int ok;
} duplex_sender;

static size_t duplex_message(uint8_t *buf, int i, unsigned side)
{
    size_t len = (size_t)(i * 2749) % 150000;
    fill(buf, len, side * 7919u + (unsigned)i);
    return len;
}

/* Sends DUPLEX_COUNT messages, then the close frame, while the other
 * thread of the same side keeps receiving. */
static void *duplex_send_main(void *p)
{
    duplex_sender *d = p;
    uint8_t *buf = malloc(150000);
    d->ok = 1;
    for (int i = 0; i < DUPLEX_COUNT && d->ok; i++)
        d->ok = ss_send(d->c, buf, duplex_message(buf, i, d->side)) == 0;
    d->ok = d->ok && ss_shutdown(d->c) == 0;
    /* after our close: nothing more can be sent, receiving goes on */
    d->ok = d->ok && ss_send(d->c, "x", 1) == -1 && ss_last_error(NULL) == SS_ERR_CLOSED;
    free(buf);
    return NULL;
}

/* Receives everything the other side sends, up to its close. */
static int duplex_receive(ss_conn *c, unsigned side)
{
    uint8_t *want = malloc(150000), *got = malloc(150000);
    int ok = 1;
    for (int i = 0; i < DUPLEX_COUNT && ok; i++) {
        size_t len = duplex_message(want, i, side);
        ok = recv_message(c, got, 150000, 40000) == (ssize_t)len && memcmp(got, want, len) == 0;
    }
    ok = ok && recv_message(c, got, 150000, 150000) == -2;
    free(want);
    free(got);
    return ok;
}

static void duplex_script(server *s, ss_conn *c)
{
    duplex_sender d = {c, 2, 0};
    pthread_t t;
    SCHECK(s, pthread_create(&t, NULL, duplex_send_main, &d) == 0);
    SCHECK(s, duplex_receive(c, 1));
    pthread_join(t, NULL);
    SCHECK(s, d.ok);
}

START_TEST(full_duplex_on_one_connection)
{
    /* Each side sends from one thread while another receives, as the CLI
     * does; then each half-closes with ss_shutdown. */
    ss_config cfg = test_config();
    cfg.io_timeout_ms = 60000;
    server s;
    server_start(&s, "127.0.0.1", &cfg, duplex_script, NULL);
    ss_conn *c = client("127.0.0.1", s.port, &cfg);
    duplex_sender d = {c, 1, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, duplex_send_main, &d), 0);
    int received = duplex_receive(c, 2);
    pthread_join(t, NULL);
    ck_assert(received);
    ck_assert(d.ok);
    ck_assert_int_eq(ss_close(c), 0);
    server_finish(&s);
}
END_TEST

/* ------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase(s, "messages");
    tcase_add_test(tc, server_receives_then_sends);
    tcase_add_test(tc, message_sizes);
    tcase_add_test(tc, partial_delivery);
    tcase_add_test(tc, thousand_small_messages_interleaved);
    tc = tcase(s, "patterns");
    tcase_add_test(tc, pattern_nn);
    tcase_add_test(tc, pattern_nk);
    tcase_add_test(tc, pattern_xx);
    tcase_add_test(tc, ipv6_loopback);
    tcase_add_test(tc, host_name_resolved);
    tc = tcase(s, "keys");
    tcase_add_test(tc, wrong_server_key_nk);
    tcase_add_test(tc, wrong_server_key_xx);
    tcase_add_test(tc, unknown_client_key);
    tcase_add_test(tc, wrong_client_key_pinned);
    tcase_add_test(tc, pattern_refused);
    tc = tcase(s, "attacks");
    tcase_add_test(tc, proxy_passes_intact);
    tcase_add_test(tc, tampered_frame);
    tcase_add_test(tc, replayed_frame);
    tcase_add_test(tc, reordered_frames);
    tcase_add_test(tc, truncated_stream);
    tcase_add_test(tc, short_frame);
    tc = tcase(s, "bad peers");
    tcase_add_test(tc, garbage_handshake);
    tcase_add_test(tc, silent_client_times_out);
    tcase_add_test(tc, silent_server_times_out);
    tcase_add_test(tc, foreign_server);
    tcase_add_test(tc, recv_times_out);
    tc = tcase(s, "sockets");
    tcase_add_test(tc, listener_restarts_on_same_port);
    tcase_add_test(tc, one_shot_server_api);
    tcase_add_test(tc, no_sigpipe);
    tcase_add_test(tc, connect_errors);
    tcase_add_test(tc, null_and_bad_arguments);
    tc = tcase(s, "plain");
    tcase_add_test(tc, plain_mode);
    tcase_add_test(tc, frame_type_violations);
    tc = tcase(s, "trace and threads");
    tcase_add_test(tc, trace_narrates);
    tcase_add_test(tc, parallel_connections);
    tcase_add_test(tc, full_duplex_on_one_connection);
    return run_suite(s);
}
