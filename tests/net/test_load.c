/*
 * test_load.c — many clients at once: examples/echo_server under load.
 *
 * The test starts the real example program, $(BUILD)/examples/echo_server,
 * as a child process (so what is tested is what a user runs, and the
 * server's descriptors and memory can be read from /proc/<pid>), and plays
 * the clients itself, one thread each:
 *
 *   nn_load          CLIENTS (200) clients at once, each: NN handshake, then
 *                    BYTES (1 MiB) echoed in messages of varied sizes —
 *                    empty, tiny, exactly one frame (65,518 bytes), one frame
 *                    plus one byte, anything up to 100 KiB — every echo
 *                    byte-exact and one message per message, read back
 *                    whole or in parts of random sizes; then CYCLES (1,000)
 *                    sequential connect/handshake/close cycles against the
 *                    same listener. Afterwards: no descriptor left open (in
 *                    the server and in this process) and no memory growth
 *                    in the server; the server ends by itself
 *                    (--max-clients) and reports no error.
 *   keyed_load       a quarter of that (50 clients, 256 KiB each) with a
 *                    server key: clients alternate NK and XX (both pin the
 *                    server's key); then clients still
 *                    connected when the server gets SIGTERM each receive
 *                    its authenticated close, and the server exits 0.
 *   refusal          --max-conns 2: a third client is refused with an
 *                    authenticated close; once a client leaves, its slot
 *                    serves the next one.
 *
 *   held             10,000 NN connections open at once on one server
 *                    (RLIMIT_NOFILE raised), each exchanging a message at
 *                    its start and at the end, byte for byte; the server's
 *                    VmRSS stays at or below 256 MiB, and the library's heap
 *                    per idle connection (ss_conn_memory) at or below 16 KiB.
 *   silent           200 well-behaved clients at once, then again beside
 *                    100 silent TCP clients and 100 slowloris clients (one
 *                    byte a second): all served, and the silent ones still
 *                    connected afterwards, so nobody waited for their
 *                    handshake timeout; prints the p99 handshake latency
 *                    of both rounds.
 *   threads          examples/echo_server_threads (a thread per client):
 *                    a client that arrives after a silent one is served,
 *                    and the silent one is still connected afterwards (its
 *                    handshake runs in its own thread, not the accepting
 *                    one).
 *   deadline         --handshake-timeout 2000, both servers: a silent
 *                    client is dropped once its handshake deadline passes
 *                    (the event loop keeps it with
 *                    ss_conn_handshake_time_left, the threaded server in
 *                    the client's thread), while a client that arrived
 *                    after it is served.
 *
 * Connections per second and throughput are printed, never asserted (the
 * machine is shared; a timing assertion would only ever flake).
 *
 * How "no memory growth" is checked without flaking. The server's resident
 * memory (VmRSS) and address space (VmSize) are read after a warm-up that
 * reaches the same peak as the load — CLIENTS connected at once, every
 * buffer at its largest size, every malloc arena and cached thread stack
 * created — and again after the load (CLIENTS x BYTES echoed, then CYCLES
 * connections). A leak grows with the number of connections: one 64 KiB
 * buffer lost per connection is 64 KiB x (CLIENTS + CYCLES) = 75 MiB here,
 * while the bound is MEMORY_GROWTH_MAX_KIB = 16 MiB. A lost block shows in
 * VmSize even if it was never written to, and in VmRSS if it was.
 *
 * One setting makes those readings mean something: glibc's malloc serves
 * big blocks with mmap() only until the first one is freed; it then raises
 * its threshold and serves them from the heap, and freed memory in the
 * middle of the heap is not given back to the system. Measured that way,
 * the whole 200-connection peak (about 51 MiB) sometimes stayed resident
 * after every connection had been freed (2 runs in 12). So the server is
 * started with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536: every
 * block of 64 KiB or more — a connection (256 KiB), an echo buffer — is
 * then a mapping of its own, returned to the system by free(). Over 20
 * runs both readings then moved by less than 0.6 MiB. (Another C library
 * ignores the variable; the bound may then need to be looser.)
 *
 * Under AddressSanitizer the readings mean nothing (freed memory waits in
 * a quarantine), so they are only printed; LeakSanitizer then checks the
 * server at its exit, and a leak makes its exit status non-zero, which
 * fails here.
 *
 * Environment: SS_LOAD_CLIENTS, SS_LOAD_CYCLES, SS_LOAD_KIB (per client)
 * change the sizes (e.g. smaller under sanitizers); SS_VALGRIND=1 (set by
 * `make check-valgrind`) makes them small; SS_ECHO_SERVER names another
 * server program (e.g. a deliberately broken one); SS_SEED replays the
 * message sizes and contents of a run.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ssockets.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define HOST "127.0.0.1"
#define LARGEST_MESSAGE (100 * 1024)
#define CLIENT_STACK (256 * 1024)
#define MEMORY_GROWTH_MAX_KIB (16 * 1024)
/* For the server only; see the top of the file. */
#define MALLOC_TUNABLE "glibc.malloc.mmap_threshold=65536"
/* Generous bounds: they only matter when something is broken. */
#define WAIT_MS 30000
/* The warm-up round: per client, a first message of the largest size (so
 * every buffer reaches its peak) and a few small ones; and some sequential
 * connections. */
#define WARMUP_BYTES (LARGEST_MESSAGE + 4096)
#define WARMUP_CYCLES 50

/* ------------------------------------------------------------------ */
/* Sizes of the run                                                    */
/* ------------------------------------------------------------------ */

static long env_long(const char *name, long fallback, long min, long max)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0')
        return fallback;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s=%s: want a number in %ld..%ld\n", name, text, min, max);
        exit(2);
    }
    return v;
}

static int under_valgrind(void)
{
    const char *v = getenv("SS_VALGRIND");
    return v != NULL && strcmp(v, "1") == 0;
}

static int load_clients(void)
{
    return (int)env_long("SS_LOAD_CLIENTS", under_valgrind() ? 16 : 200, 1, 2000);
}

static int load_cycles(void)
{
    return (int)env_long("SS_LOAD_CYCLES", under_valgrind() ? 100 : 1000, 0, 1000000);
}

static size_t load_bytes(void)
{
    return (size_t)env_long("SS_LOAD_KIB", under_valgrind() ? 512 : 1024, 1, 1 << 20) * 1024;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A "Vm...:" line of /proc/<pid>/status, in KiB. */
static long vm_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':' &&
            sscanf(line + strlen(field) + 1, "%ld kB", &kib) == 1)
            break;
    fclose(f);
    ck_assert_msg(kib > 0, "no %s in %s", field, path);
    return kib;
}

/* splitmix64: each client has its own small generator (the shared trng_*
 * of common.h is for one thread), seeded from the run's seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void random_bytes(uint64_t *state, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = next_random(state);
        for (size_t j = 0; j < 8 && i + j < len; j++)
            out[i + j] = (uint8_t)(r >> (8 * j));
    }
}

/* ------------------------------------------------------------------ */
/* The server, a child process                                         */
/* ------------------------------------------------------------------ */

typedef struct {
    pid_t pid;
    uint16_t port;
    int exited;             /* reaped by server_wait */
    char dir[96];           /* a private temporary directory: log, key */
    char log[128];          /* the server's stderr */
    const char *program;    /* NULL: echo_server; or another example's name */
} echo_server;

/* SS_ECHO_SERVER, else examples/echo_server beside our own tests/ directory
 * ($(BUILD)/tests/test_load -> $(BUILD)/examples/echo_server); with name,
 * that example instead. */
static void server_program(char *out, size_t cap, const char *name)
{
    const char *env = getenv("SS_ECHO_SERVER");
    if (name == NULL && env != NULL && *env != '\0') {
        snprintf(out, cap, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert_msg(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    int n_out = snprintf(out, cap, "%s/../examples/%s", self,
                         name != NULL ? name : "echo_server");
    ck_assert(n_out > 0 && (size_t)n_out < cap);
}

/* The whole log (NUL-terminated) into buf. */
static void server_log(const echo_server *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(s->log, "r");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Every server's directory lives in base_dir, which an unchecked fixture
 * makes before each test and removes after it. That fixture runs in
 * Check's parent process, so the files go even when a failing test's
 * process ends at once. */
static char base_dir[64];

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        char child[PATH_MAX];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            int n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof child && unlink(child) != 0)
                remove_tree(child); /* a directory */
        }
        closedir(d);
    }
    rmdir(path);
}

static void base_dir_make(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof base_dir, "%s/ss-load-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(base_dir) == NULL) {
        perror("test_load: mkdtemp");
        exit(1);
    }
}

static void base_dir_remove(void)
{
    remove_tree(base_dir);
}

static void server_make_dir(echo_server *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s/server-XXXXXX", base_dir);
    ck_assert_msg(mkdtemp(s->dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(s->log, sizeof s->log, "%s/server.log", s->dir);
}

/* Adds MALLOC_TUNABLE to GLIBC_TUNABLES in our environment. Tunables are
 * read when a program starts, so this changes nothing in this process,
 * only in the servers it starts afterwards. */
static void pin_mmap_threshold(void)
{
    const char *old = getenv("GLIBC_TUNABLES");
    if (old == NULL || *old == '\0') {
        setenv("GLIBC_TUNABLES", MALLOC_TUNABLE, 1);
    } else if (strstr(old, "glibc.malloc.mmap_threshold") == NULL) {
        char both[1024];
        int n = snprintf(both, sizeof both, "%s:%s", old, MALLOC_TUNABLE);
        if (n > 0 && (size_t)n < sizeof both)
            setenv("GLIBC_TUNABLES", both, 1);
    }
}

/* Starts the server with args (NULL-terminated; HOST 0 is appended) and
 * waits for its "listening on HOST:PORT" line. */
static void server_start(echo_server *s, const char *const *args)
{
    char program[PATH_MAX];
    server_program(program, sizeof program, s->program);
    ck_assert_msg(access(program, X_OK) == 0, "no server program %s", program);
    const char *argv[16];
    int argc = 0;
    argv[argc++] = program;
    for (; *args != NULL && argc < 13; args++)
        argv[argc++] = *args;
    argv[argc++] = HOST;
    argv[argc++] = "0";
    argv[argc] = NULL;

    pin_mmap_threshold(); /* before fork: no other thread of ours runs now */
    int log_fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_msg(log_fd >= 0, "%s: %s", s->log, strerror(errno));
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* The child: if this test dies (a Check timeout kills it), the
         * server dies too instead of lingering. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(log_fd, 2);
        /* Nothing else of ours (Check's pipes, say) goes with it, so its
         * descriptor count is its own. */
        for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
            close((int)fd);
        execv(program, (char *const *)argv);
        _exit(127);
    }
    close(log_fd);
    s->pid = pid;

    char log[4096];
    const char *tag = "echo_server: listening on " HOST ":";
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        server_log(s, log, sizeof log);
        const char *at = strstr(log, tag);
        if (at != NULL && strchr(at, '\n') != NULL) {
            s->port = (uint16_t)strtoul(at + strlen(tag), NULL, 10);
            ck_assert_uint_ne(s->port, 0);
            return;
        }
        int status;
        ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "the server exited at once: %s",
                      log);
        sleep_ms(10);
    }
    ck_abort_msg("the server did not start within %d ms: %s", WAIT_MS, log);
}

/* Waits until the server's descriptor count is `want` (its handlers close
 * their connections a moment after the clients'), at most WAIT_MS; returns
 * the last count. */
static int server_fds_settle(const echo_server *s, int want)
{
    int n = count_fds((long)s->pid);
    for (int waited = 0; n != want && waited < WAIT_MS; waited += 10) {
        sleep_ms(10);
        n = count_fds((long)s->pid);
    }
    return n;
}

/* Waits for the server to exit (at most WAIT_MS, then it is killed and the
 * test fails); checks the exit status is 0 and its summary line reports
 * `clients` clients, `refused` refusals, no failed handshake, no error. */
static void server_wait(echo_server *s, unsigned long clients, unsigned long refused)
{
    int status = 0;
    pid_t r = 0;
    for (int waited = 0; waited < WAIT_MS && (r = waitpid(s->pid, &status, WNOHANG)) == 0;
         waited += 10)
        sleep_ms(10);
    char log[65536];
    server_log(s, log, sizeof log);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        s->exited = 1;
        ck_abort_msg("the server did not exit within %d ms; its log:\n%s", WAIT_MS, log);
    }
    s->exited = 1;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the server ended with status 0x%x; its log:\n%s", status, log);

    const char *summary = strstr(log, "echo_server: ");
    unsigned long n = 0, nrefused = 0, nfailed = 0, nerrors = 0;
    int found = 0;
    /* The summary is the last line that parses. */
    for (; summary != NULL; summary = strstr(summary + 1, "echo_server: "))
        if (sscanf(summary,
                   "echo_server: %lu clients (%lu refused), %lu failed handshakes, %lu errors", &n,
                   &nrefused, &nfailed, &nerrors) == 4)
            found = 1;
    ck_assert_msg(found, "no summary line in the server's log:\n%s", log);
    ck_assert_msg(n == clients && nrefused == refused && nfailed == 0 && nerrors == 0,
                  "server summary: %lu clients (%lu refused), %lu failed handshakes, %lu errors; "
                  "expected %lu clients (%lu refused), no failure; log:\n%s",
                  n, nrefused, nfailed, nerrors, clients, refused, log);
}

/* Kills the server if it is still there, and removes its directory. */
static void server_cleanup(echo_server *s)
{
    if (s->pid > 0 && !s->exited) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    remove_tree(s->dir);
}

/* ------------------------------------------------------------------ */
/* A client: echo `bytes` bytes in messages of varied sizes            */
/* ------------------------------------------------------------------ */

typedef struct {
    uint16_t port;
    const ss_config *cfg;
    const char *protocol;        /* expected ss_protocol_name */
    const uint8_t *server_key;   /* expected ss_peer_public_key, or NULL */
    size_t bytes;
    size_t first_size;           /* the first message's size, if not 0 */
    uint64_t rng;
    pthread_barrier_t *connected; /* everyone connected before anyone echoes */
    /* results */
    int failed;
    char why[400];
    unsigned long messages;
} client_job;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static int job_fail(client_job *job, const char *fmt, ...)
{
    if (!job->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(job->why, sizeof job->why, fmt, ap);
        va_end(ap);
        job->failed = 1;
    }
    return -1;
}

/* The next message size: empty, tiny, the frame boundary (a message of
 * exactly SS_MAX_FRAGMENT bytes is one frame, one more byte makes two),
 * or anything up to LARGEST_MESSAGE; never more than what is left. */
static size_t next_size(uint64_t *rng, size_t left)
{
    size_t size;
    switch (next_random(rng) % 8) {
    case 0:
        size = 0;
        break;
    case 1:
        size = 1 + next_random(rng) % 16;
        break;
    case 2:
        size = SS_MAX_FRAGMENT;
        break;
    case 3:
        size = SS_MAX_FRAGMENT + 1;
        break;
    default:
        size = 1 + next_random(rng) % LARGEST_MESSAGE;
        break;
    }
    return size < left ? size : left;
}

/* Reads one whole message of `len` bytes and compares it with `sent`. How
 * it is read varies: in one call with a byte to spare, in one call of
 * exactly its size (both times it must come whole, conn.h), or in parts of
 * random sizes (each call but the last reports ss_message_done() == 0).
 * The spare byte would catch two messages merged into one. */
static int receive_echo(client_job *job, ss_conn *c, uint8_t *buf, const uint8_t *sent,
                        size_t len)
{
    unsigned how = (unsigned)(next_random(&job->rng) % 3);
    size_t got = 0;
    for (;;) {
        size_t rest = len - got > 0 ? len - got : 1; /* never ask for 0 bytes */
        size_t want = how == 0   ? len + 1 - got
                      : how == 1 ? rest
                                 : 1 + next_random(&job->rng) % rest;
        ssize_t n = ss_recv(c, buf + got, want);
        if (n < 0)
            return job_fail(job, "message %lu (%zu bytes): ss_recv: %s", job->messages, len,
                            ss_last_error_message(c));
        if (n == 0 && ss_peer_closed(c))
            return job_fail(job, "message %lu (%zu bytes): the server closed instead of "
                                 "echoing", job->messages, len);
        got += (size_t)n;
        if (got > len)
            return job_fail(job, "message %lu: %zu bytes came back for %zu (messages merged?)",
                            job->messages, got, len);
        if (ss_message_done(c))
            break;
        if (got == len)
            return job_fail(job, "message %lu: all %zu bytes came back but the message goes on",
                            job->messages, len);
        if (how != 2)
            return job_fail(job, "message %lu: %zu of %zu bytes came, in a buffer that holds it "
                                 "all", job->messages, got, len);
    }
    if (got != len)
        return job_fail(job, "message %lu: %zu bytes came back for %zu", job->messages, got, len);
    if (len > 0 && memcmp(buf, sent, len) != 0)
        return job_fail(job, "message %lu (%zu bytes): the echo differs from what was sent",
                        job->messages, len);
    return 0;
}

static int echo_bytes(client_job *job, ss_conn *c)
{
    uint8_t *out = malloc(LARGEST_MESSAGE + 1), *in = malloc(LARGEST_MESSAGE + 1);
    int rc = out != NULL && in != NULL ? 0 : job_fail(job, "out of memory");
    for (size_t left = job->bytes; rc == 0 && left > 0;) {
        size_t len = next_size(&job->rng, left);
        if (job->messages == 0 && job->first_size != 0)
            len = job->first_size < left ? job->first_size : left;
        random_bytes(&job->rng, out, len);
        if (ss_send(c, out, len) != 0)
            rc = job_fail(job, "message %lu (%zu bytes): ss_send: %s", job->messages, len,
                          ss_last_error_message(c));
        else
            rc = receive_echo(job, c, in, out, len);
        left -= len;
        job->messages++;
    }
    free(out);
    free(in);
    return rc;
}

/* Our close, then the server's: both sides see an orderly end. */
static int close_both_ways(client_job *job, ss_conn *c)
{
    uint8_t byte;
    if (ss_shutdown(c) != 0)
        return job_fail(job, "ss_shutdown: %s", ss_last_error_message(c));
    ssize_t n = ss_recv(c, &byte, 1);
    if (n != 0 || !ss_peer_closed(c))
        return job_fail(job, "after our close: ss_recv gave %zd (%s), not the server's close",
                        n, n < 0 ? ss_last_error_message(c) : "data");
    return 0;
}

static void *run_client(void *arg)
{
    client_job *job = arg;
    ss_conn *c = ss_client(HOST, job->port, job->cfg);
    if (c == NULL)
        job_fail(job, "ss_client: %s", ss_last_error_message(NULL));
    else if (strcmp(ss_protocol_name(c), job->protocol) != 0)
        job_fail(job, "protocol %s, expected %s", ss_protocol_name(c), job->protocol);
    else if (job->server_key != NULL &&
             (ss_peer_public_key(c) == NULL ||
              memcmp(ss_peer_public_key(c), job->server_key, 32) != 0))
        job_fail(job, "the server's key is not the expected one");

    /* Every client waits here, connected or not (a failed one must not
     * leave the others waiting), so that all are connected at once. */
    if (job->connected != NULL)
        pthread_barrier_wait(job->connected);
    if (!job->failed && echo_bytes(job, c) == 0)
        close_both_ways(job, c);
    if (c != NULL && ss_close(c) != 0 && !job->failed)
        job_fail(job, "ss_close: %s", ss_last_error_message(NULL));
    return NULL;
}

/* Runs `count` clients at once, each with the configuration and expected
 * protocol of jobs[i] (filled in by the caller), echoing `bytes` each;
 * asserts that every one succeeded; returns the seconds it took. */
static double run_clients(client_job *jobs, int count, uint16_t port, size_t bytes,
                          uint64_t seed)
{
    pthread_t *threads = calloc((size_t)count, sizeof *threads);
    ck_assert_ptr_nonnull(threads);
    pthread_barrier_t connected;
    ck_assert_int_eq(pthread_barrier_init(&connected, NULL, (unsigned)count), 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, CLIENT_STACK);

    double start = now_s();
    for (int i = 0; i < count; i++) {
        jobs[i].port = port;
        jobs[i].bytes = bytes;
        jobs[i].rng = seed ^ (0x100000001b3ULL * (uint64_t)(i + 1));
        jobs[i].connected = &connected;
        int err = pthread_create(&threads[i], &attr, run_client, &jobs[i]);
        ck_assert_msg(err == 0, "pthread_create: %s", strerror(err));
    }
    for (int i = 0; i < count; i++)
        pthread_join(threads[i], NULL);
    double seconds = now_s() - start;

    pthread_attr_destroy(&attr);
    pthread_barrier_destroy(&connected);
    free(threads);
    int failures = 0, first = -1;
    for (int i = 0; i < count; i++)
        if (jobs[i].failed && failures++ == 0)
            first = i;
    ck_assert_msg(failures == 0, "%d of %d clients failed; client %d: %s", failures, count, first,
                  first >= 0 ? jobs[first].why : "");
    return seconds;
}

/* `cycles` sequential connections: connect, handshake, close. Every 100th
 * also echoes one message, to show the server still answers. */
static double run_cycles(uint16_t port, int cycles, const ss_config *cfg)
{
    double start = now_s();
    for (int i = 0; i < cycles; i++) {
        ss_conn *c = ss_client(HOST, port, cfg);
        ck_assert_msg(c != NULL, "cycle %d: ss_client: %s", i, ss_last_error_message(NULL));
        if (i % 100 == 99) {
            char echo[8];
            ck_assert_int_eq(ss_send(c, "cycle", 5), 0);
            ck_assert_int_eq(ss_recv(c, echo, sizeof echo), 5);
            ck_assert_mem_eq(echo, "cycle", 5);
        }
        ck_assert_msg(ss_close(c) == 0, "cycle %d: ss_close: %s", i, ss_last_error_message(NULL));
    }
    return now_s() - start;
}

static uint64_t run_seed(void)
{
    trng_seed_from_env();
    return trng_u64();
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

START_TEST(nn_load)
{
    int clients = load_clients(), cycles = load_cycles();
    size_t bytes = load_bytes();
    uint64_t seed = run_seed();
    int our_fds = count_fds(0);

    /* Every client of the run, so the server ends by itself after the
     * last: warm-up, load, cycles, and one final echo. */
    unsigned long total = 2 * (unsigned long)clients + WARMUP_CYCLES + (unsigned long)cycles + 1;
    char max_conns[16], max_clients[16];
    snprintf(max_conns, sizeof max_conns, "%d", clients + 8);
    snprintf(max_clients, sizeof max_clients, "%lu", total);
    const char *args[] = {"--max-conns", max_conns, "--max-clients", max_clients, NULL};
    echo_server s;
    server_make_dir(&s);
    server_start(&s, args);
    int server_fds = count_fds((long)s.pid);

    /* NN, and a bound on every wait, so a broken server fails the test
     * instead of hanging it. */
    ss_config nn;
    memset(&nn, 0, sizeof nn);
    nn.io_timeout_ms = WAIT_MS;
    client_job *jobs = calloc((size_t)clients, sizeof *jobs);
    ck_assert_ptr_nonnull(jobs);
    for (int i = 0; i < clients; i++) {
        jobs[i].cfg = &nn;
        jobs[i].protocol = "Noise_NN_25519_ChaChaPoly_SHA256";
    }

    /* Warm-up: the same peak as the load, and a few cycles. */
    for (int i = 0; i < clients; i++)
        jobs[i].first_size = LARGEST_MESSAGE;
    run_clients(jobs, clients, s.port, WARMUP_BYTES, seed);
    run_cycles(s.port, WARMUP_CYCLES, &nn);
    int fds_warm = server_fds_settle(&s, server_fds);
    ck_assert_msg(fds_warm == server_fds,
                  "after the warm-up the server holds %d descriptors, %d at its start",
                  fds_warm, server_fds);
    long rss_before = vm_kib(s.pid, "VmRSS"), vsz_before = vm_kib(s.pid, "VmSize");

    /* The load. */
    memset(jobs, 0, (size_t)clients * sizeof *jobs);
    for (int i = 0; i < clients; i++) {
        jobs[i].cfg = &nn;
        jobs[i].protocol = "Noise_NN_25519_ChaChaPoly_SHA256";
    }
    double echo_s = run_clients(jobs, clients, s.port, bytes, seed + 1);
    unsigned long messages = 0;
    for (int i = 0; i < clients; i++)
        messages += jobs[i].messages;
    double cycle_s = run_cycles(s.port, cycles, &nn);

    double mib = (double)clients * (double)bytes / (1024.0 * 1024.0);
    printf("load: NN, %d clients at once, %.1f MiB echoed in %lu messages: %.2f s, %.1f MiB/s "
           "(each byte encrypted and decrypted twice)\n",
           clients, mib, messages, echo_s, mib / echo_s);
    if (cycles > 0)
        printf("load: NN, %d sequential connect/handshake/close: %.2f s, %.0f connections/s\n",
               cycles, cycle_s, cycles / cycle_s);

    /* Afterwards: the server holds exactly its listener again, and its
     * memory is where the warm-up left it. */
    int fds_after = server_fds_settle(&s, server_fds);
    long rss_after = vm_kib(s.pid, "VmRSS"), vsz_after = vm_kib(s.pid, "VmSize");
    printf("load: server VmRSS %ld KiB after warm-up, %ld KiB after the load (%+ld KiB); "
           "VmSize %+ld KiB; descriptors %d, then %d\n",
           rss_before, rss_after, rss_after - rss_before, vsz_after - vsz_before, server_fds,
           fds_after);
    ck_assert_msg(fds_after == server_fds, "the server holds %d descriptors, %d before the load",
                  fds_after, server_fds);
    if (UNDER_ASAN) {
        printf("load: (AddressSanitizer: memory not compared; LeakSanitizer checks at exit)\n");
    } else {
        ck_assert_msg(rss_after - rss_before <= MEMORY_GROWTH_MAX_KIB,
                      "the server's VmRSS grew by %ld KiB (bound %d KiB): a leak per connection?",
                      rss_after - rss_before, MEMORY_GROWTH_MAX_KIB);
        ck_assert_msg(vsz_after - vsz_before <= MEMORY_GROWTH_MAX_KIB,
                      "the server's VmSize grew by %ld KiB (bound %d KiB): a leak per connection?",
                      vsz_after - vsz_before, MEMORY_GROWTH_MAX_KIB);
    }

    /* The last client; the server then exits by itself. */
    memset(jobs, 0, sizeof *jobs);
    jobs[0].cfg = &nn;
    jobs[0].protocol = "Noise_NN_25519_ChaChaPoly_SHA256";
    run_clients(jobs, 1, s.port, 1000, seed + 2);
    server_wait(&s, total, 0);
    server_cleanup(&s);
    free(jobs);
    ck_assert_int_eq(count_fds(0), our_fds);
}
END_TEST

START_TEST(keyed_load)
{
    int clients = load_clients() / 4 > 2 ? load_clients() / 4 : 2;
    size_t bytes = load_bytes() / 4;
    uint64_t seed = run_seed();
    int our_fds = count_fds(0);

    echo_server s;
    server_make_dir(&s);
    char key_path[128];
    snprintf(key_path, sizeof key_path, "%s/server.key", s.dir);
    ss_keypair server_key, client_key;
    ck_assert_int_eq(ss_keypair_generate(&server_key), 0);
    ck_assert_int_eq(ss_keypair_generate(&client_key), 0);
    ck_assert_int_eq(ss_keypair_save(&server_key, key_path, 0), 0);
    const char *args[] = {"--key", key_path, NULL}; /* ends by SIGTERM */
    server_start(&s, args);
    int server_fds = count_fds((long)s.pid);

    /* NK: the client knows the server's key. XX: both have keys, and the
     * client pins the server's. */
    ss_config nk, xx;
    memset(&nk, 0, sizeof nk);
    nk.peer_public_key = server_key.public_key;
    nk.io_timeout_ms = WAIT_MS;
    xx = nk;
    xx.static_key = &client_key;
    client_job *jobs = calloc((size_t)clients, sizeof *jobs);
    ck_assert_ptr_nonnull(jobs);
    for (int i = 0; i < clients; i++) {
        jobs[i].cfg = i % 2 ? &xx : &nk;
        jobs[i].protocol = i % 2 ? "Noise_XX_25519_ChaChaPoly_SHA256"
                                 : "Noise_NK_25519_ChaChaPoly_SHA256";
        jobs[i].server_key = server_key.public_key;
    }
    double seconds = run_clients(jobs, clients, s.port, bytes, seed);
    double mib = (double)clients * (double)bytes / (1024.0 * 1024.0);
    printf("load: NK and XX, %d clients at once, %.1f MiB echoed: %.2f s, %.1f MiB/s\n", clients,
           mib, seconds, mib / seconds);
    int fds_after = server_fds_settle(&s, server_fds);
    ck_assert_msg(fds_after == server_fds,
                  "after the clients left the server holds %d descriptors, %d at its start",
                  fds_after, server_fds);

    /* SIGTERM with clients connected: each gets the server's
     * authenticated close (not a cut stream), and the server exits 0. */
    enum { IDLE = 4 };
    ss_conn *idle[IDLE];
    for (int i = 0; i < IDLE; i++) {
        idle[i] = ss_client(HOST, s.port, &xx);
        ck_assert_msg(idle[i] != NULL, "ss_client: %s", ss_last_error_message(NULL));
        char echo[4];
        ck_assert_int_eq(ss_send(idle[i], "idle", 4), 0); /* admitted: it echoes */
        ck_assert_int_eq(ss_recv(idle[i], echo, sizeof echo), 4);
    }
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    for (int i = 0; i < IDLE; i++) {
        char byte;
        ssize_t n = ss_recv(idle[i], &byte, 1);
        ck_assert_msg(n == 0 && ss_peer_closed(idle[i]),
                      "client %d: ss_recv gave %zd (%s), not the server's close", i, n,
                      n < 0 ? ss_last_error_message(idle[i]) : "data");
        ck_assert_int_eq(ss_close(idle[i]), 0);
    }
    server_wait(&s, (unsigned long)clients + IDLE, 0);
    server_cleanup(&s);
    ss_keypair_wipe(&server_key);
    ss_keypair_wipe(&client_key);
    free(jobs);
    ck_assert_int_eq(count_fds(0), our_fds);
}
END_TEST

START_TEST(refusal)
{
    int our_fds = count_fds(0);
    const char *args[] = {"--max-conns", "2", "--max-clients", "4", NULL};
    echo_server s;
    server_make_dir(&s);
    server_start(&s, args);
    int server_fds = count_fds((long)s.pid);

    ss_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.io_timeout_ms = WAIT_MS;
    ss_conn *a = ss_client(HOST, s.port, &cfg);
    ss_conn *b = ss_client(HOST, s.port, &cfg);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    char echo[4];
    ck_assert_int_eq(ss_send(a, "a", 1), 0);
    ck_assert_int_eq(ss_recv(a, echo, sizeof echo), 1);
    ck_assert_int_eq(ss_send(b, "b", 1), 0);
    ck_assert_int_eq(ss_recv(b, echo, sizeof echo), 1);

    /* The third: its handshake succeeds (ss_accept runs it before the
     * server can count), then the server's close is all that comes. */
    ss_conn *c = ss_client(HOST, s.port, &cfg);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(ss_recv(c, echo, sizeof echo), 0);
    ck_assert(ss_peer_closed(c));
    ck_assert_int_eq(ss_close(c), 0);

    /* a leaves; once its handler is gone, the fourth client is served. */
    ck_assert_int_eq(ss_close(a), 0);
    int fds_b = server_fds_settle(&s, server_fds + 1);
    ck_assert_msg(fds_b == server_fds + 1,
                  "with one client left the server holds %d descriptors, %d at its start",
                  fds_b, server_fds);
    ss_conn *d = ss_client(HOST, s.port, &cfg);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(ss_send(d, "d", 1), 0);
    ck_assert_int_eq(ss_recv(d, echo, sizeof echo), 1);
    ck_assert_int_eq(echo[0], 'd');
    ck_assert_int_eq(ss_close(d), 0);
    ck_assert_int_eq(ss_close(b), 0);
    server_wait(&s, 4, 1);
    server_cleanup(&s);
    ck_assert_int_eq(count_fds(0), our_fds);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many connections held at once                                       */
/* ------------------------------------------------------------------ */

/* 10,000 (a few seconds: make check runs the full size); 1,000 under
 * AddressSanitizer and 200 under valgrind, where each connection is slow. */
static int held_count(void)
{
    long fallback = under_valgrind() ? 200 : UNDER_ASAN ? 1000 : 10000;
    return (int)env_long("SS_LOAD_HOLD", fallback, 1, 15000);
}

/* Descriptors for n connections in this process (and in the server,
 * which inherits the limit and raises its own). */
static void raise_fd_limit(int n)
{
    struct rlimit r;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &r), 0);
    rlim_t want = (rlim_t)n + 256;
    ck_assert_msg(r.rlim_max == RLIM_INFINITY || r.rlim_max >= want,
                  "RLIMIT_NOFILE hard limit %llu is below the %llu descriptors needed",
                  (unsigned long long)r.rlim_max, (unsigned long long)want);
    if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
        r.rlim_cur = want;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &r), 0);
    }
}

/* One message and its echo, byte for byte. */
static void exchange(ss_conn *c, const char *what, int i)
{
    char msg[64], back[64];
    int len = snprintf(msg, sizeof msg, "%s %d", what, i);
    ck_assert_int_eq(ss_send(c, msg, (size_t)len), 0);
    ssize_t n = ss_recv(c, back, sizeof back);
    ck_assert_msg(n == len && ss_message_done(c) && memcmp(msg, back, (size_t)len) == 0,
                  "connection %d: the echo of '%s' differs (%zd bytes)", i, msg, n);
}

START_TEST(held_connections)
{
    int count = held_count();
    raise_fd_limit(count);
    char max_clients[32];
    snprintf(max_clients, sizeof max_clients, "%d", count);
    const char *args[] = {"--max-clients", max_clients, NULL};
    echo_server s;
    server_make_dir(&s);
    server_start(&s, args);

    ss_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.io_timeout_ms = WAIT_MS;
    ss_conn **conns = calloc((size_t)count, sizeof *conns);
    ck_assert_ptr_nonnull(conns);
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        conns[i] = ss_client(HOST, s.port, &cfg);
        ck_assert_msg(conns[i] != NULL, "connection %d: %s", i, ss_last_error_message(NULL));
        exchange(conns[i], "hello from", i);
    }
    double t1 = now_s();
    /* All of them open at once: the server holds a descriptor for each. */
    int server_fds = count_fds((long)s.pid);
    long rss = vm_kib(s.pid, "VmRSS");
    size_t heap = ss_conn_memory(conns[0]);
    printf("load: %d NN connections held at once by one echo_server process: opened and "
           "echoed in %.2f s; server descriptors %d, VmRSS %ld KiB (%.1f KiB per connection); "
           "library heap per idle connection %zu bytes\n",
           count, t1 - t0, server_fds, rss, (double)rss / count, heap);
    ck_assert_int_ge(server_fds, count);
    ck_assert_msg(rss <= 256 * 1024, "server VmRSS %ld KiB with %d connections (> 256 MiB)",
                  rss, count);
    ck_assert_uint_le(heap, 16 * 1024);
    for (int i = 0; i < count; i++) {
        exchange(conns[i], "goodbye from", i);
        ck_assert_int_eq(ss_close(conns[i]), 0);
    }
    free(conns);
    server_wait(&s, (unsigned long)count, 0);
    server_cleanup(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Silent and slow clients delay nobody                                */
/* ------------------------------------------------------------------ */

typedef struct {
    uint16_t port;
    double latency;          /* seconds from ss_client's call to its return */
    int failed;
    char why[300];
} quick_job;

static void *quick_client(void *arg)
{
    quick_job *job = arg;
    ss_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.io_timeout_ms = WAIT_MS;
    double t0 = now_s();
    ss_conn *c = ss_client(HOST, job->port, &cfg);
    job->latency = now_s() - t0;
    if (c == NULL) {
        job->failed = 1;
        snprintf(job->why, sizeof job->why, "%s", ss_last_error_message(NULL));
        return NULL;
    }
    char back[16];
    if (ss_send(c, "ping", 4) != 0 || ss_recv(c, back, sizeof back) != 4 ||
        memcmp(back, "ping", 4) != 0) {
        job->failed = 1;
        snprintf(job->why, sizeof job->why, "echo: %s", ss_last_error_message(c));
    }
    if (ss_close(c) != 0 && !job->failed) {
        job->failed = 1;
        snprintf(job->why, sizeof job->why, "close: %s", ss_last_error_message(NULL));
    }
    return NULL;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* n well-behaved clients at once; returns the p99 handshake latency. */
static double quick_round(uint16_t port, int n)
{
    quick_job *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    double *lat = calloc((size_t)n, sizeof *lat);
    ck_assert(jobs != NULL && threads != NULL && lat != NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, CLIENT_STACK);
    for (int i = 0; i < n; i++) {
        jobs[i].port = port;
        ck_assert_int_eq(pthread_create(&threads[i], &attr, quick_client, &jobs[i]), 0);
    }
    pthread_attr_destroy(&attr);
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(!jobs[i].failed, "well-behaved client %d: %s", i, jobs[i].why);
        lat[i] = jobs[i].latency;
    }
    qsort(lat, (size_t)n, sizeof *lat, compare_double);
    double p99 = lat[(size_t)(0.99 * (n - 1))];
    free(jobs);
    free(threads);
    free(lat);
    return p99;
}

/* A plain TCP connection to the server that says nothing (yet). */
static int raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s",
                  strerror(errno));
    return fd;
}

/* 1 while the server has not closed fd (nothing to read, no end). */
static int still_open(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The slowloris clients: one byte of a valid frame 0 per second each. */
typedef struct {
    int *fds;
    int n;
    volatile int stop;
} slow_job;

static void *slowloris(void *arg)
{
    slow_job *job = arg;
    static const char frame0[] = "\x00\x20Noise_NN_25519_ChaChaPoly_SHA256";
    for (size_t byte = 0; !job->stop && byte < sizeof frame0 - 1; byte++) {
        for (int i = 0; i < job->n; i++)
            (void)send(job->fds[i], frame0 + byte, 1, MSG_NOSIGNAL);
        for (int t = 0; t < 10 && !job->stop; t++)
            sleep_ms(100);
    }
    return NULL;
}

START_TEST(silent_clients_delay_nobody)
{
    int good = under_valgrind() ? 20 : 200, silent = under_valgrind() ? 10 : 100;
    raise_fd_limit(good + 2 * silent);
    const char *args[] = {NULL};
    echo_server s;
    server_make_dir(&s);
    server_start(&s, args);

    double p99_alone = quick_round(s.port, good);

    int *silent_fds = calloc((size_t)silent, sizeof *silent_fds);
    int *slow_fds = calloc((size_t)silent, sizeof *slow_fds);
    ck_assert(silent_fds != NULL && slow_fds != NULL);
    for (int i = 0; i < silent; i++) {
        silent_fds[i] = raw_connect(s.port);
        slow_fds[i] = raw_connect(s.port);
    }
    slow_job slow = {.fds = slow_fds, .n = silent, .stop = 0};
    pthread_t slow_thread;
    ck_assert_int_eq(pthread_create(&slow_thread, NULL, slowloris, &slow), 0);
    double p99_crowded = quick_round(s.port, good);
    /* Had any well-behaved client waited for a silent client's handshake
     * timeout, that timeout would have passed, and the server would have
     * closed the silent clients by now. They are all still connected. */
    int open_silent = 0, open_slow = 0;
    for (int i = 0; i < silent; i++) {
        open_silent += still_open(silent_fds[i]);
        open_slow += still_open(slow_fds[i]);
    }
    slow.stop = 1;
    pthread_join(slow_thread, NULL);
    printf("load: p99 handshake latency of %d well-behaved clients: %.1f ms alone, %.1f ms "
           "beside %d silent and %d slowloris clients (still connected after: %d and %d)\n",
           good, 1000 * p99_alone, 1000 * p99_crowded, silent, silent, open_silent, open_slow);
    ck_assert_int_eq(open_silent, silent);
    ck_assert_int_eq(open_slow, silent);
    for (int i = 0; i < silent; i++) {
        close(silent_fds[i]);
        close(slow_fds[i]);
    }
    free(silent_fds);
    free(slow_fds);

    /* The silent clients' handshakes fail as they leave; the server then
     * stops on SIGTERM and exits 0. */
    kill(s.pid, SIGTERM);
    int status = 0;
    pid_t r = 0;
    for (int waited = 0; waited < WAIT_MS && (r = waitpid(s.pid, &status, WNOHANG)) == 0;
         waited += 10)
        sleep_ms(10);
    s.exited = r == s.pid;
    ck_assert_msg(r == s.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the server did not exit cleanly on SIGTERM (status 0x%x)", status);
    server_cleanup(&s);
}
END_TEST

START_TEST(threads_silent_client)
{
    const char *args[] = {NULL};
    echo_server s;
    server_make_dir(&s);
    s.program = "echo_server_threads";
    server_start(&s, args);
    int silent = raw_connect(s.port);
    /* ss_accept would run the silent client's handshake in the accepting
     * thread, and this client would be served only once it timed out
     * (10 s), which closes the silent one first. */
    quick_round(s.port, 3);
    ck_assert_msg(still_open(silent), "the silent client was closed before the others were "
                  "served: the accepting thread waited for its handshake");
    close(silent);
    kill(s.pid, SIGTERM);
    int status = 0;
    pid_t r = 0;
    for (int waited = 0; waited < WAIT_MS && (r = waitpid(s.pid, &status, WNOHANG)) == 0;
         waited += 10)
        sleep_ms(10);
    s.exited = r == s.pid;
    ck_assert_msg(r == s.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the server did not exit cleanly on SIGTERM (status 0x%x)", status);
    server_cleanup(&s);
}
END_TEST

START_TEST(handshake_deadline)
{
    /* Both servers: the event loop keeps the deadline itself
     * (ss_conn_handshake_time_left), the threaded one in each client's
     * thread (the library's own deadline, inside ss_conn_handshake). */
    static const struct {
        const char *program, *says;
    } servers[] = {{NULL, "no handshake within its deadline"},
                   {"echo_server_threads", "the handshake did not finish within 2000 ms"}};
    const char *args[] = {"--handshake-timeout", "2000", NULL};
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        echo_server s;
        server_make_dir(&s);
        s.program = servers[i].program;
        server_start(&s, args);
        int silent = raw_connect(s.port);
        /* Served while the silent client waits. */
        ck_assert_double_ge(quick_round(s.port, 1), 0);
        /* Then the server closes the silent one: the end of its stream (no
         * timing asserted: the bound is only there so that a bug cannot hang). */
        struct pollfd p = {.fd = silent, .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
        char byte;
        ck_assert_int_eq(recv(silent, &byte, 1, 0), 0);
        close(silent);
        char log[4096];
        server_log(&s, log, sizeof log);
        ck_assert_msg(strstr(log, servers[i].says) != NULL,
                      "the server's log does not say why:\n%s", log);
        kill(s.pid, SIGTERM);
        int status = 0;
        pid_t r = 0;
        for (int waited = 0; waited < WAIT_MS && (r = waitpid(s.pid, &status, WNOHANG)) == 0;
             waited += 10)
            sleep_ms(10);
        s.exited = r == s.pid;
        ck_assert_msg(r == s.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "the server did not exit cleanly on SIGTERM (status 0x%x)", status);
        server_cleanup(&s);
    }
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    /* One case each (CK_RUN_CASE=nn runs one alone). The timeout is
     * generous: the whole program takes seconds, and the bound only
     * matters when something hangs. */
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {{"nn", nn_load},
                 {"keyed", keyed_load},
                 {"refusal", refusal},
                 {"held", held_connections},
                 {"silent", silent_clients_delay_nobody},
                 {"threads", threads_silent_client},
                 {"deadline", handshake_deadline}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 300);
        tcase_add_unchecked_fixture(tc, base_dir_make, base_dir_remove);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    /* Line by line: the figures of a test that then fails still show (a
     * failing Check test ends its process without flushing stdio). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    return run_suite(load_suite());
}
