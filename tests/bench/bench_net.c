/*
 * bench_net.c — the network figures beside TLS 1.3 (make bench).
 *
 *   handshakes per second   NN, NK, XX and the hybrid NNhfs, NKhfs, XXhfs
 *                           (ML-KEM-768 added) against TLS 1.3 (OpenSSL
 *                           libssl, TLS_CHACHA20_POLY1305_SHA256, X25519, an
 *                           Ed25519 certificate, no session tickets), each a
 *                           fresh TCP connection on loopback, closed at once;
 *   handshake bytes         on the wire, both directions, from the client's
 *                           first byte to the end of the handshake: ours
 *                           counted through two engines (engine.h), TLS 1.3
 *                           through the client socket's BIO counters;
 *   bulk transfer           SS_BENCH_BULK_MIB MiB (default 1024) one way on
 *                           one connection, 64 KiB per send, against TLS 1.3
 *                           and raw TCP (the ceiling);
 *   heap per connection     glibc's allocated bytes (mallinfo2) for 100
 *                           connections, idle after the handshake and busy
 *                           after a 64 KiB message each way, per end;
 *   server RSS              a server process holding 10,000 connections.
 *
 * The same process shape for all: a server thread and a client thread (the
 * caller) in one process. Rounds alternate ours and theirs; medians and the
 * ratio ours / theirs are printed, as a table and as "BENCH " lines. Not a
 * test: nothing here can fail on speed.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "ssockets.h"

#define ROUNDS 5
#define CHUNK 65536

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_net: %s failed\n", what);
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* ---- raw TCP on loopback ---- */

static int tcp_listen(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0)
        die("listen");
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static int tcp_connect(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons(port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int tcp_accept(int lfd)
{
    int one = 1, fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ---- TLS 1.3 through libssl ---- */

static SSL_CTX *tls_server_ctx, *tls_client_ctx;

static void tls_setup(void)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!kc || EVP_PKEY_keygen_init(kc) <= 0 || EVP_PKEY_keygen(kc, &pkey) <= 0)
        die("Ed25519 key generation");
    EVP_PKEY_CTX_free(kc);
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, pkey);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, pkey, NULL) <= 0) /* Ed25519 signs without a digest */
        die("certificate signing");

    tls_server_ctx = SSL_CTX_new(TLS_server_method());
    tls_client_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX *both[2] = {tls_server_ctx, tls_client_ctx};
    for (int i = 0; i < 2; i++) {
        SSL_CTX_set_min_proto_version(both[i], TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(both[i], TLS1_3_VERSION);
        SSL_CTX_set_ciphersuites(both[i], "TLS_CHACHA20_POLY1305_SHA256");
        SSL_CTX_set1_groups_list(both[i], "X25519");
        SSL_CTX_set_session_cache_mode(both[i], SSL_SESS_CACHE_OFF);
    }
    SSL_CTX_set_num_tickets(tls_server_ctx, 0);
    if (SSL_CTX_use_certificate(tls_server_ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(tls_server_ctx, pkey) != 1)
        die("TLS server certificate");
    /* The client accepts the self-signed certificate: verification of a
     * chain would add work TLS needs and SSockets' key pinning does not. */
    SSL_CTX_set_verify(tls_client_ctx, SSL_VERIFY_NONE, NULL);
    X509_free(cert);
    EVP_PKEY_free(pkey);
}

/* ---- handshakes per second ---- */

enum impl { OURS_NN, OURS_NK, OURS_XX, OURS_NNHFS, OURS_NKHFS, OURS_XXHFS, TLS13, RAW };
static const char *impl_name[] = {"NN", "NK", "XX", "NNhfs", "NKhfs", "XXhfs", "TLS 1.3",
                                  "raw TCP"};

/* The classical pattern under one of ours (NNhfs -> NN), and whether it is
 * a hybrid one. */
static enum impl classical(enum impl impl)
{
    return impl >= OURS_NNHFS && impl <= OURS_XXHFS ? impl - OURS_NNHFS : impl;
}

static int hybrid(enum impl impl)
{
    return impl >= OURS_NNHFS && impl <= OURS_XXHFS;
}

struct server {
    enum impl impl;
    int count;           /* connections to accept */
    ss_listener *l;      /* ours */
    int lfd;             /* TLS and raw */
    uint16_t port;
    size_t bulk;         /* bytes to receive per connection (0: handshake only) */
};

static ss_keypair server_key, client_key;

static ss_config server_cfg(enum impl impl)
{
    ss_config c = {0};
    if (classical(impl) != OURS_NN)
        c.static_key = &server_key;
    return c;
}

static ss_config client_cfg(enum impl impl)
{
    ss_config c = {0};
    if (classical(impl) == OURS_NK)
        c.peer_public_key = server_key.public_key;
    if (classical(impl) == OURS_XX)
        c.static_key = &client_key;
    c.hybrid = hybrid(impl);
    return c;
}

static void drain_ours(ss_conn *c, size_t bytes, uint8_t *buf)
{
    while (bytes > 0) {
        ssize_t n = ss_recv(c, buf, CHUNK);
        if (n <= 0)
            die("ss_recv");
        bytes -= (size_t)n;
    }
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    uint8_t *buf = malloc(CHUNK);
    for (int i = 0; i < s->count; i++) {
        if (s->impl == TLS13 || s->impl == RAW) {
            int fd = tcp_accept(s->lfd);
            SSL *ssl = NULL;
            if (s->impl == TLS13) {
                ssl = SSL_new(tls_server_ctx);
                SSL_set_fd(ssl, fd);
                if (SSL_accept(ssl) != 1)
                    die("SSL_accept");
            }
            for (size_t left = s->bulk; left > 0;) {
                int n = ssl ? SSL_read(ssl, buf, CHUNK) : (int)recv(fd, buf, CHUNK, 0);
                if (n <= 0)
                    die("server read");
                left -= (size_t)n;
            }
            if (ssl) {
                SSL_set_quiet_shutdown(ssl, 1);
                SSL_free(ssl);
            }
            close(fd);
        } else {
            ss_conn *c = ss_accept(s->l);
            if (c == NULL)
                die("ss_accept");
            drain_ours(c, s->bulk, buf);
            ss_close(c);
        }
    }
    free(buf);
    return NULL;
}

static void server_start(struct server *s, pthread_t *t, enum impl impl, int count, size_t bulk)
{
    s->impl = impl;
    s->count = count;
    s->bulk = bulk;
    if (impl == TLS13 || impl == RAW) {
        s->lfd = tcp_listen(&s->port);
    } else {
        ss_config cfg = server_cfg(impl);
        s->l = ss_listen("127.0.0.1", 0, &cfg);
        if (s->l == NULL)
            die("ss_listen");
        s->port = ss_listener_port(s->l);
    }
    pthread_create(t, NULL, server_main, s);
}

static void server_stop(struct server *s, pthread_t t)
{
    pthread_join(t, NULL);
    if (s->impl == TLS13 || s->impl == RAW)
        close(s->lfd);
    else
        ss_listener_close(s->l);
}

/* One client connection: handshake, send bulk bytes from buf, close. */
static void client_once(enum impl impl, uint16_t port, size_t bulk, const uint8_t *buf)
{
    if (impl == TLS13 || impl == RAW) {
        int fd = tcp_connect(port);
        SSL *ssl = NULL;
        if (impl == TLS13) {
            ssl = SSL_new(tls_client_ctx);
            SSL_set_fd(ssl, fd);
            if (SSL_connect(ssl) != 1)
                die("SSL_connect");
        }
        for (size_t left = bulk; left > 0;) {
            int want = left < CHUNK ? (int)left : CHUNK;
            int n = ssl ? SSL_write(ssl, buf, want) : (int)send(fd, buf, (size_t)want, 0);
            if (n <= 0)
                die("client write");
            left -= (size_t)n;
        }
        if (ssl) {
            SSL_set_quiet_shutdown(ssl, 1);
            SSL_free(ssl);
        }
        close(fd);
    } else {
        ss_config cfg = client_cfg(impl);
        ss_conn *c = ss_client("127.0.0.1", port, &cfg);
        if (c == NULL)
            die("ss_client");
        for (size_t left = bulk; left > 0;) {
            size_t n = left < CHUNK ? left : CHUNK;
            if (ss_send(c, buf, n) != 0)
                die("ss_send");
            left -= n;
        }
        ss_close(c);
    }
}

/* count connections with bulk bytes each; returns connections per second
 * (bulk == 0) or MB/s. */
static double run_round(enum impl impl, int count, size_t bulk, const uint8_t *buf)
{
    struct server s;
    pthread_t t;
    server_start(&s, &t, impl, count, bulk);
    double t0 = now();
    for (int i = 0; i < count; i++)
        client_once(impl, s.port, bulk, buf);
    server_stop(&s, t);
    double dt = now() - t0;
    return bulk == 0 ? count / dt : (double)bulk * count / dt / 1e6;
}

static void print_pair(const char *figure, const char *unit, enum impl a, double va,
                       enum impl b, double vb)
{
    printf("%-28s %10.0f %10.0f %-8s %6.2f  (%s vs %s)\n", figure, va, vb, unit, va / vb,
           impl_name[a], impl_name[b]);
    printf("BENCH network=%s unit=%s ours=%.1f theirs=%.1f theirs_name=\"%s\" ratio=%.3f "
           "path=%s\n",
           figure, unit, va, vb, impl_name[b], va / vb, bench_path("all"));
    bench_print_path("all");
    fflush(stdout);
}

static void handshakes(enum impl ours, int count)
{
    double a[ROUNDS], b[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        a[r] = run_round(ours, count, 0, NULL);
        b[r] = run_round(TLS13, count, 0, NULL);
    }
    char fig[64];
    snprintf(fig, sizeof fig, "handshakes-%s", impl_name[ours]);
    print_pair(fig, "per-s", ours, median(a, ROUNDS), TLS13, median(b, ROUNDS));
}

/* ---- handshake bytes on the wire ---- */

/* Ours: a client and a server engine joined in memory, every byte counted
 * (frame 0, the handshake messages, their 2-byte lengths) until both are
 * established. */
static long ours_handshake_bytes(enum impl impl)
{
    ss_config cc = client_cfg(impl), sc = server_cfg(impl);
    ss_engine *c = ss_engine_new(0, &cc), *s = ss_engine_new(1, &sc);
    long total = 0;
    if (c == NULL || s == NULL)
        die("ss_engine_new");
    while (!ss_engine_established(c) || !ss_engine_established(s)) {
        int moved = 0;
        ss_engine *from[2] = {c, s}, *to[2] = {s, c};
        for (int i = 0; i < 2; i++) {
            size_t len;
            const uint8_t *p = ss_engine_output(from[i], &len);
            if (p == NULL)
                continue;
            if (ss_engine_feed(to[i], p, len) != (ssize_t)len)
                die("ss_engine_feed");
            ss_engine_output_done(from[i], len);
            total += (long)len;
            moved = 1;
        }
        if (!moved)
            die("handshake stalled");
    }
    ss_engine_free(c);
    ss_engine_free(s);
    return total;
}

/* TLS 1.3: what the client's socket BIO wrote and read by the time
 * SSL_connect returned (the server sends no session ticket here). */
static void *tls_accept_one(void *arg)
{
    int *lfd = arg;
    int fd = tcp_accept(*lfd);
    SSL *ssl = SSL_new(tls_server_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1)
        die("SSL_accept");
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static long tls_handshake_bytes(void)
{
    uint16_t port;
    int lfd = tcp_listen(&port);
    pthread_t t;
    pthread_create(&t, NULL, tls_accept_one, &lfd);
    int fd = tcp_connect(port);
    SSL *ssl = SSL_new(tls_client_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1)
        die("SSL_connect");
    long total = (long)(BIO_number_written(SSL_get_wbio(ssl)) +
                        BIO_number_read(SSL_get_rbio(ssl)));
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_free(ssl);
    close(fd);
    pthread_join(t, NULL);
    close(lfd);
    return total;
}

static void handshake_bytes(void)
{
    long tls = tls_handshake_bytes();
    for (enum impl i = OURS_NN; i <= OURS_XXHFS; i++) {
        char fig[64];
        snprintf(fig, sizeof fig, "handshake-bytes-%s", impl_name[i]);
        print_pair(fig, "bytes", i, (double)ours_handshake_bytes(i), TLS13, (double)tls);
    }
}

static void bulk(size_t bytes)
{
    uint8_t *buf = calloc(1, CHUNK);
    double a[3], b[3], c[3];
    for (int r = 0; r < 3; r++) {
        a[r] = run_round(OURS_NN, 1, bytes, buf);
        b[r] = run_round(TLS13, 1, bytes, buf);
        c[r] = run_round(RAW, 1, bytes, buf);
    }
    double ma = median(a, 3), mb = median(b, 3), mc = median(c, 3);
    print_pair("bulk-transfer", "MB/s", OURS_NN, ma, TLS13, mb);
    print_pair("bulk-transfer-vs-raw", "MB/s", OURS_NN, ma, RAW, mc);
    free(buf);
}

/* ---- memory ---- */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* The server ends of the memory figures, in a thread: accept n
 * connections; then, if echo, for each: receive a 64 KiB message and send
 * it back. */
enum { MEM_N = 100 };
static ss_conn *mem_client[MEM_N], *mem_server[MEM_N];

struct mem_server_arg {
    ss_listener *l;
    int echo;
};

static void *mem_server_main(void *arg)
{
    struct mem_server_arg *a = arg;
    uint8_t *buf = malloc(CHUNK);
    for (int i = 0; i < MEM_N && !a->echo; i++)
        if ((mem_server[i] = ss_accept(a->l)) == NULL)
            die("ss_accept");
    for (int i = 0; i < MEM_N && a->echo; i++) {
        drain_ours(mem_server[i], CHUNK, buf);
        if (ss_send(mem_server[i], buf, CHUNK) != 0)
            die("ss_send");
    }
    free(buf);
    return NULL;
}

static void print_memory(const char *figure, const char *unit, double v)
{
    printf("%-28s %10.0f %10s %-8s\n", figure, v, "", unit);
    printf("BENCH memory=%s unit=%s ours=%.0f path=%s\n", figure, unit, v, bench_path("all"));
    bench_print_path("all");
    fflush(stdout);
}

/* Heap per connection end: MEM_N pairs open at once, idle after the
 * handshake, then busy after a 64 KiB message each way (buffers at their
 * working size). Both ends live in this process: the heap grown, divided
 * by 2 * MEM_N. */
static void heap_per_connection(void)
{
    ss_listener *l = ss_listen("127.0.0.1", 0, NULL);
    uint8_t *buf = calloc(1, CHUNK);
    pthread_t t;
    if (l == NULL || buf == NULL)
        die("ss_listen");
    size_t before = heap_in_use();
    struct mem_server_arg a = {l, 0};
    pthread_create(&t, NULL, mem_server_main, &a);
    for (int i = 0; i < MEM_N; i++)
        if ((mem_client[i] = ss_client("127.0.0.1", ss_listener_port(l), NULL)) == NULL)
            die("ss_client");
    pthread_join(t, NULL);
    size_t idle = heap_in_use();

    a.echo = 1;
    pthread_create(&t, NULL, mem_server_main, &a);
    for (int i = 0; i < MEM_N; i++) {
        if (ss_send(mem_client[i], buf, CHUNK) != 0)
            die("ss_send");
        drain_ours(mem_client[i], CHUNK, buf);
    }
    pthread_join(t, NULL);
    size_t busy = heap_in_use();
    print_memory("heap-per-idle-connection", "bytes", (double)(idle - before) / (2 * MEM_N));
    print_memory("heap-per-busy-connection", "bytes", (double)(busy - before) / (2 * MEM_N));
    for (int i = 0; i < MEM_N; i++) {
        ss_close(mem_client[i]);
        ss_close(mem_server[i]);
    }
    free(buf);
    ss_listener_close(l);
}

/* Resident set of this process, from /proc/self/status (VmRSS, in kB). */
static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f != NULL)
        fclose(f);
    return kib;
}

/* A server process (forked, so that its RSS is its own) accepts `count`
 * NN connections and holds them; this process opens them and holds them
 * too, until the server has reported its RSS through a pipe. */
static void server_rss(int count)
{
    struct rlimit rl = {(rlim_t)count + 1024, (rlim_t)count + 1024};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        printf("server-rss: skipped (cannot raise the file limit to %d)\n", count + 1024);
        return;
    }
    ss_listener *l = ss_listen("127.0.0.1", 0, NULL);
    int p[2];
    if (l == NULL || pipe(p) != 0)
        die("ss_listen");
    long before = 0;
    pid_t pid = fork();
    if (pid == 0) {
        ss_conn **held = calloc((size_t)count, sizeof *held);
        close(p[0]);
        before = rss_kib();
        for (int i = 0; i < count; i++)
            if ((held[i] = ss_accept(l)) == NULL)
                _exit(1);
        long v[2] = {before, rss_kib()};
        if (write(p[1], v, sizeof v) != (ssize_t)sizeof v)
            _exit(1);
        _exit(0); /* the kernel closes everything */
    }
    close(p[1]);
    ss_conn **mine = calloc((size_t)count, sizeof *mine);
    double t0 = now();
    for (int i = 0; i < count; i++)
        if ((mine[i] = ss_client("127.0.0.1", ss_listener_port(l), NULL)) == NULL)
            die("ss_client (server RSS)");
    long v[2];
    if (read(p[0], v, sizeof v) != (ssize_t)sizeof v)
        die("server RSS report");
    double dt = now() - t0;
    waitpid(pid, NULL, 0);
    char fig[64];
    snprintf(fig, sizeof fig, "server-rss-%d-connections", count);
    print_memory(fig, "KiB", (double)v[1]);
    print_memory("server-rss-per-connection", "bytes", (double)(v[1] - v[0]) * 1024 / count);
    printf("    (%d handshakes in %.1f s)\n", count, dt);
    for (int i = 0; i < count; i++)
        ss_close(mine[i]);
    free(mine);
    close(p[0]);
    ss_listener_close(l);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : "";
    signal(SIGPIPE, SIG_IGN);
    if (ss_keypair_generate(&server_key) != 0 || ss_keypair_generate(&client_key) != 0)
        die("ss_keypair_generate");
    tls_setup();
    printf("%-28s %10s %10s %-8s %6s\n", "figure", "ours", "theirs", "unit", "ratio");
    if (!*only || strstr("handshakes", only)) {
        handshakes(OURS_NN, 300);
        handshakes(OURS_NK, 300);
        handshakes(OURS_XX, 300);
        handshakes(OURS_NNHFS, 300);
        handshakes(OURS_NKHFS, 300);
        handshakes(OURS_XXHFS, 300);
        handshake_bytes();
    }
    if (!*only || strstr("bulk", only)) {
        const char *mib = getenv("SS_BENCH_BULK_MIB");
        bulk((size_t)(mib ? atoi(mib) : 1024) << 20);
    }
    if (!*only || strstr("memory", only)) {
        heap_per_connection();
        const char *n = getenv("SS_BENCH_CONNECTIONS");
        server_rss(n ? atoi(n) : 10000);
    }
    SSL_CTX_free(tls_server_ctx);
    SSL_CTX_free(tls_client_ctx);
    return 0;
}
