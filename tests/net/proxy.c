/*
 * proxy.c — the attackers of the adversarial network tests (see proxy.h).
 *
 * Course position: test code, above the library. The tests in
 * test_adversary.c put this proxy between a real client and a real server
 * and check that every change it makes to the traffic is detected with the
 * right error (docs/protocol.md §6 "What a receiver checks", §7 "Closing",
 * docs/security.md "The attacker we consider").
 *
 * How the frame proxy works. After accepting the client and connecting to
 * the server, it runs one "pump" per direction (the client-to-server pump
 * in the proxy thread, the other in a second thread, so that a delay in one
 * direction does not hold up the other). A pump reads one frame at a time:
 *
 *     read 2 bytes -> L (big-endian) -> read L bytes -> a frame
 *
 * then looks up whether a plan names this frame (direction, index), builds
 * what goes out instead (nothing, the frame twice, a forged frame and then
 * the frame, ...) and writes it with ONE sendmsg(). One write matters: two
 * frames written together reach the receiver's socket buffer together on
 * loopback, so a receiver that checks "is anything left after the close
 * frame?" sees the duplicate deterministically, not by luck of timing.
 *
 * A stream that ends (FIN or RST) is passed on as a FIN (shutdown SHUT_WR),
 * so the receiver sees exactly what an attacker who cuts the connection
 * would make it see. When the receiver has gone (a write fails), the pump
 * keeps reading and discards, so the sender is never blocked by a full
 * socket buffer: in these tests the side that was not attacked always sees
 * an orderly FIN from the proxy, never a reset, which makes its error
 * deterministic (SS_ERR_TRUNCATED rather than sometimes SS_ERR_PEER_GONE).
 *
 * Bounds: every socket is non-blocking and every wait is a poll() limited by
 * the proxy's end of life (end_ms). Delays are capped at PX_MAX_DELAY_MS.
 * So the proxy thread always ends by itself.
 */
/* accept4 and SOCK_NONBLOCK/SOCK_CLOEXEC in one step (Linux). */
#define _GNU_SOURCE

#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A frame on the wire: 2 length bytes and at most 65,535 body bytes. */
#define WIRE_MAX (2 + 65535)

/* ------------------------------------------------------------------ */
/* Time and bounded socket operations                                  */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Waits until fd is ready for `events` or end_ms has passed: 1 ready (or
 * in error: the next call on fd says which), 0 time is up. */
static int wait_fd(int fd, short events, int64_t end_ms)
{
    for (;;) {
        int64_t left = end_ms - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {fd, events, 0};
        int rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return 1; /* let the caller's recv/send report it */
    }
}

/* Reads up to len bytes, stopping early only at the end of the stream
 * (FIN or RST), an error, or end_ms. Returns the count read. */
static size_t read_full(int fd, uint8_t *buf, size_t len, int64_t end_ms)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            break; /* FIN */
        if (errno == EINTR)
            continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_fd(fd, POLLIN, end_ms))
            break; /* reset, error, or time up */
    }
    return got;
}

/* Writes every byte of iov[0..n) with sendmsg (so a few small parts leave
 * as one segment). 0, or -1 if the receiver is gone or time is up. */
static int send_parts(int fd, struct iovec *iov, int n, int64_t end_ms)
{
    while (n > 0) {
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        ssize_t sent = sendmsg(fd, &mh, MSG_NOSIGNAL); /* no SIGPIPE: EPIPE instead */
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_fd(fd, POLLOUT, end_ms))
                return -1;
            continue;
        }
        /* Skip what went out; keep the rest for the next round. */
        size_t done = (size_t)sent;
        while (n > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

/* Small frames leave at once: without TCP_NODELAY, Nagle's algorithm would
 * hold a small write back until the previous one is acknowledged, adding
 * tens of milliseconds per exchange on loopback. */
static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A non-blocking TCP connection to 127.0.0.1:port, or -1. */
static int connect_loopback(uint16_t port, int64_t end_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int err = 0;
        socklen_t len = sizeof err;
        if (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, end_ms) ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            close(fd);
            return -1;
        }
    }
    no_delay(fd);
    return fd;
}

/* A listening socket on 127.0.0.1, port chosen by the kernel, or -1. */
static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* ------------------------------------------------------------------ */
/* One direction: frames in, manipulated frames out                    */
/* ------------------------------------------------------------------ */

typedef struct {
    px_proxy *p;
    px_direction dir;
    int from, to;
    uint8_t *frame;   /* the frame just read: 2 length bytes, then the body */
    uint8_t *extra;   /* a forged or rewritten frame */
    uint8_t *held;    /* PX_REORDER: the frame waiting for its successor */
    size_t held_len;
    int holding;
    int cut;          /* we ended the stream toward `to` (PX_TRUNCATE, PX_CUT_INSIDE) */
    int to_gone;      /* a write to `to` failed: forward nothing more, keep draining */
} pump;

static void put_length(uint8_t *wire, size_t len)
{
    wire[0] = (uint8_t)(len >> 8); /* docs/protocol.md §2: big-endian */
    wire[1] = (uint8_t)len;
}

/* splitmix64, for the forged frames: reproducible from the plan's seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The plan for frame `index` of this pump's direction, or -1. */
static int find_plan(const pump *u, size_t index)
{
    for (int i = 0; i < u->p->plan_count; i++)
        if (u->p->plans[i].direction == u->dir && u->p->plans[i].frame >= 0 &&
            (size_t)u->p->plans[i].frame == index)
            return i;
    return -1;
}

static void end_stream(pump *u)
{
    shutdown(u->to, SHUT_WR); /* the receiver reads a FIN where more should be */
}

/* Sends parts (if the receiver is still there). */
static void forward(pump *u, struct iovec *iov, int n)
{
    if (n == 0 || u->cut || u->to_gone)
        return;
    if (send_parts(u->to, iov, n, u->p->end_ms) < 0)
        u->to_gone = 1;
}

/*
 * Carries out plan `i` on the frame in u->frame (body length len): fills
 * iov with what goes out instead, returns the number of parts. The frame
 * may be changed in place.
 */
static int apply_plan(pump *u, int i, size_t len, struct iovec *iov)
{
    const px_plan *plan = &u->p->plans[i];
    uint8_t *body = u->frame + 2;
    size_t wire_len = 2 + len;
    int n = 0;
    u->p->acted[i] = 1;

    switch (plan->action) {
    case PX_PASS:
        break;
    case PX_FLIP: {
        long at = plan->byte < 0 ? (long)len + plan->byte : plan->byte;
        if (at < 0 || (size_t)at >= len) {
            u->p->acted[i] = 0; /* no such byte: report that nothing was done */
            break;
        }
        body[at] ^= (uint8_t)(1u << (plan->bit & 7));
        break;
    }
    case PX_DROP:
        return 0;
    case PX_DUPLICATE:
        iov[n++] = (struct iovec){u->frame, wire_len};
        break;
    case PX_REORDER:
        memcpy(u->held, u->frame, wire_len);
        u->held_len = wire_len;
        u->holding = 1;
        return 0;
    case PX_DELAY:
        sleep_ms(plan->delay_ms < PX_MAX_DELAY_MS ? plan->delay_ms : PX_MAX_DELAY_MS);
        break;
    case PX_TRUNCATE:
        end_stream(u);
        u->cut = 1;
        return 0;
    case PX_CUT_INSIDE:
        iov[0] = (struct iovec){u->frame, 2 + len / 2};
        forward(u, iov, 1);
        end_stream(u);
        u->cut = 1;
        return 0;
    case PX_INJECT: {
        size_t forged = plan->inject_len != 0 ? plan->inject_len : len;
        if (forged > 65535)
            forged = 65535;
        uint64_t state = plan->seed;
        put_length(u->extra, forged);
        for (size_t k = 0; k < forged; k++)
            u->extra[2 + k] = (uint8_t)next_random(&state);
        iov[n++] = (struct iovec){u->extra, 2 + forged};
        break;
    }
    case PX_SHORTEN:
        if (plan->keep < len) {
            put_length(u->frame, plan->keep);
            wire_len = 2 + plan->keep;
        }
        break;
    case PX_REPLACE:
        put_length(u->extra, plan->replacement_len);
        memcpy(u->extra + 2, u->p->replacements[i], plan->replacement_len);
        iov[n++] = (struct iovec){u->extra, 2 + plan->replacement_len};
        return n;
    }
    iov[n++] = (struct iovec){u->frame, wire_len};
    return n;
}

static void run_pump(pump *u)
{
    size_t *count = &u->p->frames[u->dir];
    for (;;) {
        size_t got = read_full(u->from, u->frame, 2, u->p->end_ms);
        if (got < 2) {
            /* The stream ended at a frame boundary, or after one length byte. */
            struct iovec part = {u->frame, got};
            forward(u, &part, got > 0);
            break;
        }
        size_t len = ((size_t)u->frame[0] << 8) | u->frame[1];
        got = read_full(u->from, u->frame + 2, len, u->p->end_ms);
        size_t index = (*count)++;
        if (index < PX_LOG_FRAMES)
            u->p->lengths[u->dir][index] = len;
        if (got < len) {
            /* The sender stopped inside a frame: pass on what came. */
            struct iovec part = {u->frame, 2 + got};
            forward(u, &part, 1);
            break;
        }

        struct iovec iov[3];
        int n;
        int plan = find_plan(u, index);
        int was_holding = u->holding;
        if (plan >= 0) {
            n = apply_plan(u, plan, len, iov);
        } else {
            iov[0] = (struct iovec){u->frame, 2 + len};
            n = 1;
        }
        if (was_holding) {
            /* PX_REORDER: the held frame goes right after its successor. */
            iov[n++] = (struct iovec){u->held, u->held_len};
            u->holding = 0;
        }
        forward(u, iov, n);
    }
    /* A frame still held has no successor: it is lost, like a drop. */
    u->holding = 0;
    if (!u->cut)
        end_stream(u);
}

static void *pump_main(void *arg)
{
    run_pump(arg);
    return NULL;
}

static int pump_init(pump *u, px_proxy *p, px_direction dir, int from, int to)
{
    memset(u, 0, sizeof *u);
    u->p = p;
    u->dir = dir;
    u->from = from;
    u->to = to;
    u->frame = malloc(WIRE_MAX);
    u->extra = malloc(WIRE_MAX);
    u->held = malloc(WIRE_MAX);
    return u->frame && u->extra && u->held ? 0 : -1;
}

static void pump_free(pump *u)
{
    free(u->frame);
    free(u->extra);
    free(u->held);
}

static void *proxy_main(void *arg)
{
    px_proxy *p = arg;
    if (!wait_fd(p->listen_fd, POLLIN, p->end_ms))
        return NULL; /* nobody came */
    int client = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0)
        return NULL;
    no_delay(client);
    int server = connect_loopback(p->target, p->end_ms);
    if (server < 0) {
        close(client);
        return NULL;
    }
    p->accepted = 1;

    pump up, down;
    pthread_t t;
    memset(&down, 0, sizeof down); /* pump_free(&down) is safe even if up fails */
    if (pump_init(&up, p, PX_TO_SERVER, client, server) == 0 &&
        pump_init(&down, p, PX_TO_CLIENT, server, client) == 0 &&
        pthread_create(&t, NULL, pump_main, &down) == 0) {
        run_pump(&up);
        pthread_join(t, NULL);
    }
    pump_free(&up);
    pump_free(&down);
    close(server);
    close(client);
    return NULL;
}

int px_start(px_proxy *p, uint16_t target, const px_plan *plans, int plan_count, int lifetime_ms)
{
    memset(p, 0, sizeof *p);
    if (plan_count < 0 || plan_count > PX_MAX_PLANS)
        return -1;
    for (int i = 0; i < plan_count; i++) {
        p->plans[i] = plans[i];
        if (plans[i].action == PX_REPLACE) {
            if (plans[i].replacement_len > sizeof p->replacements[i])
                return -1;
            if (plans[i].replacement_len > 0)
                memcpy(p->replacements[i], plans[i].replacement, plans[i].replacement_len);
        }
        p->plans[i].replacement = NULL; /* the copy is used */
    }
    p->plan_count = plan_count;
    p->target = target;
    p->end_ms = now_ms() + lifetime_ms;
    p->listen_fd = listen_loopback(&p->port);
    if (p->listen_fd < 0)
        return -1;
    if (pthread_create(&p->thread, NULL, proxy_main, p) != 0) {
        close(p->listen_fd);
        p->listen_fd = -1;
        return -1;
    }
    return 0;
}

void px_finish(px_proxy *p)
{
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
    p->listen_fd = -1;
}

/* ------------------------------------------------------------------ */
/* The man in the middle                                               */
/* ------------------------------------------------------------------ */

/* Longest message the MITM relays (the tests send short ones). */
#define RELAY_MAX (1u << 20)

typedef struct {
    px_mitm *m;
    ss_conn *from, *to;
    int dir;
} relay;

/* Copies whole messages from one leg to the other, keeping a copy of what
 * it read: the attacker sees plaintext because each leg is a real session
 * whose keys it holds. A close frame is passed on as our own close. */
static void run_relay(relay *r)
{
    uint8_t *msg = malloc(RELAY_MAX);
    int result = SS_ERR_NOMEM;
    while (msg != NULL) {
        size_t len = 0;
        int closed = 0;
        for (;;) {
            ssize_t n = ss_recv(r->from, msg + len, RELAY_MAX - len);
            if (n < 0) {
                result = ss_last_error(r->from);
                goto out;
            }
            if (n == 0 && ss_peer_closed(r->from)) {
                closed = 1;
                break;
            }
            len += (size_t)n;
            if (ss_message_done(r->from))
                break;
            if (len == RELAY_MAX) {
                result = SS_ERR_ARGUMENT;
                goto out;
            }
        }
        if (closed) {
            result = ss_shutdown(r->to) == 0 ? SS_OK : ss_last_error(NULL);
            goto out;
        }
        size_t room = PX_MITM_SEEN_MAX - r->m->seen_len[r->dir];
        size_t keep = len < room ? len : room;
        memcpy(r->m->seen[r->dir] + r->m->seen_len[r->dir], msg, keep);
        r->m->seen_len[r->dir] += keep;
        if (ss_send(r->to, msg, len) < 0) {
            result = ss_last_error(NULL);
            goto out;
        }
    }
out:
    r->m->relay_error[r->dir] = result;
    free(msg);
}

static void *relay_main(void *arg)
{
    run_relay(arg);
    return NULL;
}

static void *mitm_main(void *arg)
{
    px_mitm *m = arg;
    /* First the real server, as an ordinary client with the MITM's own
     * configuration; then the victim, with the MITM's own server keys. */
    ss_conn *up = ss_client("127.0.0.1", m->target, &m->toward_server);
    m->upstream_error = up != NULL ? SS_OK : ss_last_error(NULL);
    ss_conn *down = ss_accept(m->listener);
    m->downstream_error = down != NULL ? SS_OK : ss_last_error(NULL);
    atomic_store(&m->waiting_in_accept, 0);
    if (up != NULL)
        ss_handshake_hash(m->upstream_hash, up);
    if (down != NULL)
        ss_handshake_hash(m->downstream_hash, down);

    m->relay_error[0] = m->relay_error[1] = SS_ERR_CLOSED; /* "never relayed" */
    if (up != NULL && down != NULL) {
        relay to_server = {m, down, up, PX_TO_SERVER};
        relay to_client = {m, up, down, PX_TO_CLIENT};
        pthread_t t;
        if (pthread_create(&t, NULL, relay_main, &to_server) == 0) {
            run_relay(&to_client);
            pthread_join(t, NULL);
        }
    }
    ss_close(down);
    ss_close(up);
    return NULL;
}

int px_mitm_start(px_mitm *m, uint16_t target, const ss_config *toward_client,
                  const ss_config *toward_server)
{
    memset(m, 0, sizeof *m);
    m->listener = ss_listen("127.0.0.1", 0, toward_client);
    if (m->listener == NULL)
        return -1;
    m->port = ss_listener_port(m->listener);
    m->toward_server = *toward_server;
    m->target = target;
    atomic_store(&m->waiting_in_accept, 1);
    if (pthread_create(&m->thread, NULL, mitm_main, m) != 0) {
        ss_listener_close(m->listener);
        m->listener = NULL;
        return -1;
    }
    return 0;
}

void px_mitm_finish(px_mitm *m)
{
    /* ss_accept waits without a deadline. If the victim never came (a
     * broken test), a connection that closes at once ends that wait: the
     * handshake then fails with SS_ERR_PEER_GONE. If the victim did come,
     * the extra connection just waits in the backlog and is dropped with
     * the listener. */
    if (atomic_load(&m->waiting_in_accept)) {
        int fd = connect_loopback(m->port, now_ms() + 1000);
        if (fd >= 0)
            close(fd);
    }
    pthread_join(m->thread, NULL);
    ss_listener_close(m->listener);
    m->listener = NULL;
}
