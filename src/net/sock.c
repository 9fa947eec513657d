/*
 * sock.c — TCP sockets with deadlines, for conn.c.
 *
 * Course position: the lowest layer of src/net, below conn.c. Nothing
 * here knows about frames, keys or Noise; it moves bytes, and it is where
 * the classic socket pitfalls are dealt with, once:
 *   - "Address already in use" after a restart (the original library's
 *     bug): listeners set SO_REUSEADDR, so a port whose old connections
 *     linger in TIME_WAIT can be bound again at once;
 *   - a write to a vanished peer raises SIGPIPE, which kills the process
 *     by default: every send uses MSG_NOSIGNAL and gets EPIPE instead;
 *   - recv() and send() may move fewer bytes than asked, and a signal may
 *     interrupt them (EINTR): read_full/write_full loop until every byte
 *     has moved;
 *   - a silent peer could block a call forever: every wait goes through
 *     poll() with the time left before a deadline.
 *
 * Design: every socket is non-blocking (SOCK_NONBLOCK). A call first just
 * tries the operation; only when the kernel says EAGAIN ("nothing to read"
 * / "send buffer full") do we sleep in poll() until the socket is ready or
 * the deadline passes. With blocking sockets a single large send() or a
 * connect() could block past any deadline; with this pattern the deadline is
 * honoured everywhere, and the same code serves "no deadline" (poll waits
 * without limit).
 *
 * Every socket is also created close-on-exec (SOCK_CLOEXEC), atomically: a
 * program that forks and execs in another thread cannot inherit it in the
 * instant between socket() and a later fcntl().
 *
 * Spec: POSIX.1-2017 sockets and poll(); Linux accept4(2) and SOCK_CLOEXEC.
 * Course: the layer under docs/protocol.md's frames.
 */
/* accept4() is a GNU/Linux extension; it creates the accepted socket with
 * SOCK_CLOEXEC and SOCK_NONBLOCK in one atomic step. */
#define _GNU_SOURCE

#include "sock.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"

/* ---- deadlines ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ss_deadline_after(int timeout_ms)
{
    if (timeout_ms < 0)
        return SS_NO_DEADLINE;
    return now_ms() + timeout_ms;
}

/* What poll() wants: -1 for "no limit", else the milliseconds left
 * (0 once the deadline has passed, so poll only checks and returns). */
static int remaining_ms(int64_t deadline)
{
    if (deadline == SS_NO_DEADLINE)
        return -1;
    int64_t left = deadline - now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* Sleeps until fd is ready for events, or fails with SS_ERR_TIMEOUT at the
 * deadline. POLLERR and POLLHUP also end the wait: the read or write that
 * follows then reports what happened. Returns what poll() saw (> 0) or -1. */
static int wait_for(int fd, short events, int64_t deadline, const char *what)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r > 0)
            return p.revents;
        if (r == 0)
            return ss_fail(NULL, SS_ERR_TIMEOUT, "%s", what);
        if (errno != EINTR)
            return ss_fail(NULL, SS_ERR_SYSTEM, "poll: %s", strerror(errno));
    }
}

/* ---- addresses ---- */

/* getaddrinfo with AF_UNSPEC returns IPv6 and IPv4 addresses alike, in the
 * order the system prefers (RFC 6724); passive asks for addresses to bind
 * (with host NULL: the wildcard address). AI_ADDRCONFIG is deliberately not
 * used: it hides ::1 on hosts whose only IPv6 address is the loopback. */
static int resolve(struct addrinfo **list, const char *host, uint16_t port, int passive)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);

    int r = getaddrinfo(host, service, &hints, list);
    if (r == 0)
        return 0;
    const char *name = host != NULL ? host : "*";
    if (r == EAI_SYSTEM)
        return ss_fail(NULL, SS_ERR_RESOLVE, "%s: %s", name, strerror(errno));
    if (r == EAI_MEMORY)
        return ss_fail(NULL, SS_ERR_NOMEM, "resolving %s", name);
    return ss_fail(NULL, SS_ERR_RESOLVE, "%s: %s", name, gai_strerror(r));
}

/* The numeric form of an address, for error messages ("::1", "127.0.0.1"). */
static void numeric_host(char *out, size_t cap, const struct addrinfo *ai)
{
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)cap, NULL, 0,
                    NI_NUMERICHOST) != 0)
        snprintf(out, cap, "?");
}

/* Options of every connected socket. TCP_NODELAY turns off Nagle's
 * algorithm, which holds back a small segment while earlier data is
 * unacknowledged: the frame layer already hands each frame to the kernel in
 * one call, so there is nothing to gain from waiting, and a handshake
 * message held back for a delayed ACK would cost up to 40 ms per round.
 * Failure is harmless (only latency), so the result is not checked. */
static void configure_stream(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Linux copies a listening socket's TCP options, TCP_NODELAY among them,
 * to each connection it accepts: set once on the listener, the option costs
 * no system call per client. Elsewhere each accepted socket sets it. */
#ifdef __linux__
#define ACCEPTED_INHERIT_NODELAY 1
#else
#define ACCEPTED_INHERIT_NODELAY 0
#endif

/* ---- connecting ---- */

/* One connection attempt on a non-blocking socket, in two halves (the
 * non-blocking ss_client_nonblocking of conn.c runs them from an event
 * loop): connect() returns EINPROGRESS at once, the socket becomes writable
 * when the TCP handshake has ended, and SO_ERROR then tells whether it
 * succeeded (0) or why not. */
int ss_sock_connect_start(int *fd_out, const struct addrinfo *ai)
{
    *fd_out = -1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return errno;
    /* EINTR: the attempt goes on in the background (POSIX), wait as usual. */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS &&
        errno != EINTR) {
        int err = errno;
        close(fd);
        return err;
    }
    *fd_out = fd;
    return 0;
}

int ss_sock_connect_finish(int fd, int64_t deadline)
{
    int revents;
    if (deadline == SS_NOW) {
        struct pollfd p = {.fd = fd, .events = POLLOUT, .revents = 0};
        int r;
        do
            r = poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return ss_fail(NULL, SS_ERR_SYSTEM, "poll: %s", strerror(errno));
        if (r == 0)
            return SS_SOCK_AGAIN;
        revents = p.revents;
    } else {
        revents = wait_for(fd, POLLOUT, deadline, "no answer while connecting");
        if (revents < 0)
            return -1;
    }
    /* Writable with no error or hang-up: the connection is up, and
     * SO_ERROR would only say 0. Otherwise it says why it failed. */
    int err = 0;
    if ((revents & (POLLERR | POLLHUP)) != 0) {
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == 0)
            err = ECONNREFUSED; /* a hang-up with no reason recorded */
    }
    if (err == 0)
        configure_stream(fd);
    return err;
}

void ss_sock_address_name(char *out, size_t cap, const struct addrinfo *ai)
{
    numeric_host(out, cap, ai);
}

int ss_sock_resolve(struct addrinfo **list, const char *host, uint16_t port)
{
    return resolve(list, host, port, 0);
}

int ss_sock_connect(int *fd_out, const char *host, uint16_t port, int64_t deadline)
{
    struct addrinfo *list;
    *fd_out = -1;
    if (resolve(&list, host, port, 0) < 0)
        return -1;
    int rc = ss_sock_connect_list(fd_out, list, host, port, deadline);
    freeaddrinfo(list);
    return rc;
}

/* An IPv6 address is shown in brackets, "[::1] port 5006", as the command
 * prints it and takes it: the colons of the address stay apart from the
 * port. */
static const char *open_bracket(const char *host)
{
    return strchr(host, ':') != NULL ? "[" : "";
}

static const char *close_bracket(const char *host)
{
    return strchr(host, ':') != NULL ? "]" : "";
}

int ss_sock_connect_list(int *fd_out, const struct addrinfo *list, const char *host,
                         uint16_t port, int64_t deadline)
{
    *fd_out = -1;

    /* Try each address until one answers; remember why the last one failed.
     * Each address gets a share of the time left: half of it while more
     * addresses follow (the last one gets all that remains), so one address
     * that silently drops packets cannot use up the whole deadline before
     * a working one is tried. */
    int code = SS_ERR_CONNECT, err = 0, timed_out = 0;
    char where[NI_MAXHOST] = "?";
    for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        int64_t share = deadline;
        if (deadline != SS_NO_DEADLINE && ai->ai_next != NULL)
            share = now_ms() + (deadline - now_ms()) / 2;
        else if (deadline == SS_NO_DEADLINE && ai->ai_next != NULL)
            share = now_ms() + SS_CONNECT_TRY_MS;
        int fd;
        int r = ss_sock_connect_start(&fd, ai);
        if (r == 0) {
            r = ss_sock_connect_finish(fd, share);
            if (r == 0) {
                *fd_out = fd;
                break;
            }
            close(fd);
        } else if (r == EMFILE || r == ENFILE || r == ENOBUFS || r == ENOMEM) {
            code = SS_ERR_SYSTEM; /* no socket could be made (socket() failed) */
            err = r;
            continue;
        }
        if (r < 0) {
            timed_out = 1;
            numeric_host(where, sizeof where, ai);
            if (ai->ai_next == NULL)
                break; /* the whole deadline is used up */
            continue;  /* this address's share is: try the next */
        }
        code = SS_ERR_CONNECT;
        err = r;
        numeric_host(where, sizeof where, ai);
    }

    if (*fd_out >= 0)
        return 0;
    if (timed_out && err == 0)
        return ss_fail(NULL, SS_ERR_TIMEOUT, "%s%s%s (%s%s%s) port %u: no answer while connecting",
                       open_bracket(host), host, close_bracket(host), open_bracket(where), where,
                       close_bracket(where), (unsigned)port);
    return ss_fail(NULL, code, "%s%s%s (%s%s%s) port %u: %s", open_bracket(host), host,
                   close_bracket(host), open_bracket(where), where, close_bracket(where),
                   (unsigned)port, strerror(err));
}

/* ---- listening ---- */

int ss_sock_listen(int *fd_out, uint16_t *bound_port, const char *host, uint16_t port)
{
    struct addrinfo *list;
    *fd_out = -1;
    if (resolve(&list, host, port, 1) < 0)
        return -1;

    /* The first address that can be bound wins ("localhost" may give ::1
     * and 127.0.0.1; clients try both, so one is enough). */
    int fd = -1, err = 0, in_use = 0;
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* SO_REUSEADDR: a connection of an earlier server on this port may
         * still sit in TIME_WAIT (RFC 9293 §3.6.1, twice the maximum
         * segment lifetime); without the option bind() fails with
         * EADDRINUSE for up to a minute after a restart. It does not allow
         * two live listeners on one port. */
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            if (ACCEPTED_INHERIT_NODELAY)
                configure_stream(fd);
            break;
        }
        err = errno; /* before close() can change errno */
        in_use |= err == EADDRINUSE;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    const char *name = host != NULL ? host : "*";
    const char *open = open_bracket(name), *shut = close_bracket(name);
    /* The sentence already says "address already in use": the detail says
     * what that means and how to see who holds the port, not strerror's
     * same words again. */
    if (fd < 0 && in_use)
        return ss_fail(NULL, SS_ERR_ADDR_IN_USE,
                       "%s%s%s port %u: another process is listening there (see which one with "
                       "'ss -ltnp'), or pick another port (0: any free one)",
                       open, name, shut, (unsigned)port);
    if (fd < 0)
        return ss_fail(NULL, SS_ERR_SYSTEM, "%s%s%s port %u: %s", open, name, shut,
                       (unsigned)port, strerror(err));

    /* Port 0 asked the kernel to choose: read back what it chose. */
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        err = errno;
        close(fd);
        return ss_fail(NULL, SS_ERR_SYSTEM, "getsockname: %s", strerror(err));
    }
    if (addr.ss_family == AF_INET6)
        *bound_port = ntohs(((const struct sockaddr_in6 *)&addr)->sin6_port);
    else
        *bound_port = ntohs(((const struct sockaddr_in *)&addr)->sin_port);
    *fd_out = fd;
    return 0;
}

/* Sleeps until the listener has a client or wake_fd (if >= 0) is readable
 * (ss_listener_shutdown); the latter fails with SS_ERR_CLOSED. */
static int wait_for_client(int listen_fd, int wake_fd, int64_t deadline)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN, .revents = 0},
                              {.fd = wake_fd, .events = POLLIN, .revents = 0}};
        int r = poll(p, wake_fd >= 0 ? 2 : 1, remaining_ms(deadline));
        if (r > 0 && wake_fd >= 0 && p[1].revents != 0)
            return ss_fail(NULL, SS_ERR_CLOSED, "the listener was shut down");
        if (r > 0)
            return 0;
        if (r == 0)
            return ss_fail(NULL, SS_ERR_TIMEOUT, "no client connected");
        if (errno != EINTR)
            return ss_fail(NULL, SS_ERR_SYSTEM, "poll: %s", strerror(errno));
    }
}

int ss_sock_accept(int *fd_out, int listen_fd, int wake_fd, int64_t deadline)
{
    *fd_out = -1;
    for (;;) {
        /* No check of wake_fd before trying: the caller knows whether it
         * shut the listener down (conn.c keeps a flag), which saves a
         * poll() per client; wake_fd only ends a wait. */
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (!ACCEPTED_INHERIT_NODELAY)
                configure_stream(fd);
            *fd_out = fd;
            return 0;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            /* The listener is non-blocking too: if a client resets its
             * connection between poll() saying "readable" and accept(), a
             * blocking accept() would hang; ours returns EAGAIN and waits. */
            if (deadline == SS_NOW)
                return SS_SOCK_AGAIN;
            if (wait_for_client(listen_fd, wake_fd, deadline) < 0)
                return -1;
            break;
        case EINTR:
        case ECONNABORTED: /* a client gave up before we accepted it */
        case EPROTO:
        /* accept(2), Linux notes: errors of the new connection's network
         * are reported here and should be treated like EAGAIN (retry). */
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EOPNOTSUPP:
            break;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            /* Out of descriptors or memory: the client stays queued in the
             * kernel's backlog (accept took nothing), and retrying at once
             * would fail the same way, so neither spin nor drop it: report,
             * and let the caller retry once descriptors are free. */
            return ss_fail(NULL, SS_ERR_SYSTEM,
                           "accept: %s (the client stays queued: call ss_accept again once "
                           "descriptors are free)",
                           strerror(errno));
        default:
            return ss_fail(NULL, SS_ERR_SYSTEM, "accept: %s", strerror(errno));
        }
    }
}

/* ---- moving bytes ---- */

int ss_sock_read_some(int fd, void *buf, size_t len, size_t *got, int64_t deadline)
{
    *got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n > 0) {
            *got = (size_t)n;
            return 0;
        }
        if (n == 0)
            return SS_SOCK_EOF; /* the peer's FIN */
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (deadline == SS_NOW)
                return SS_SOCK_AGAIN;
            if (wait_for(fd, POLLIN, deadline, "nothing arrived before the deadline") < 0)
                return -1;
            continue;
        }
        if (errno == ECONNRESET)
            return SS_SOCK_EOF; /* the peer's RST */
        return ss_fail(NULL, SS_ERR_SYSTEM, "recv: %s", strerror(errno));
    }
}

int ss_sock_wait_readable(int fd, int64_t deadline)
{
    return wait_for(fd, POLLIN, deadline, "nothing arrived before the deadline") < 0 ? -1 : 0;
}

int ss_sock_write_some(int fd, const void *buf, size_t len, size_t *done)
{
    *done = 0;
    for (;;) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) {
            *done = (size_t)n;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return SS_SOCK_AGAIN;
        if (errno == EPIPE || errno == ECONNRESET)
            return SS_SOCK_EOF;
        return ss_fail(NULL, SS_ERR_SYSTEM, "send: %s", strerror(errno));
    }
}

void ss_sock_keepalive(int fd, int idle_s)
{
    /* RFC 1122 §4.2.3.6: keep-alives are off unless asked for. After
     * idle_s seconds without traffic the kernel sends a probe, then one
     * every idle_s seconds; after 4 unanswered probes the connection is
     * reset, so a blocked ss_recv on a vanished peer ends. */
    int one = 1, count = 4;
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle_s, sizeof idle_s);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

/* Drops the first n bytes of an iovec array that sendmsg() has sent. */
static void consume(struct iovec **iov, int *iovcnt, size_t n)
{
    while (n > 0) {
        if (n >= (*iov)->iov_len) {
            n -= (*iov)->iov_len;
            (*iov)++;
            (*iovcnt)--;
        } else {
            (*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            n = 0;
        }
    }
}

int ss_sock_write_full(int fd, struct iovec *iov, int iovcnt, int64_t deadline)
{
    while (iovcnt > 0) {
        if (iov->iov_len == 0) {
            iov++;
            iovcnt--;
            continue;
        }
        /* sendmsg() rather than write(): it takes several pieces in one call
         * (a frame's length and its body leave together) and it takes
         * MSG_NOSIGNAL: a peer that has gone gives EPIPE, not SIGPIPE, whose
         * default action would kill the whole program. */
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)iovcnt;
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            consume(&iov, &iovcnt, (size_t)n); /* a short write: send the rest */
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_for(fd, POLLOUT, deadline, "the peer read nothing before the deadline") < 0)
                return -1;
            continue;
        }
        if (errno == EPIPE || errno == ECONNRESET)
            return SS_SOCK_EOF;
        return ss_fail(NULL, SS_ERR_SYSTEM, "send: %s", strerror(errno));
    }
    return 0;
}

int ss_sock_has_data(int fd)
{
    uint8_t byte;
    ssize_t n;
    do
        n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n > 0;
}

/* ---- closing ---- */

void ss_sock_finish(int fd)
{
    if (fd < 0)
        return;
    /* SHUT_WR: the kernel sends FIN after everything already queued. */
    (void)shutdown(fd, SHUT_WR);
    /* A close() while received bytes lie unread makes the kernel answer
     * with RST instead of FIN (RFC 2525 §2.17), and a RST discards what we
     * queued but the network has not yet delivered: the end of our last
     * message could be lost. So first drain what has already arrived
     * (without waiting; at most 1 MiB, so a peer that keeps sending cannot
     * keep us here). */
    uint8_t sink[4096];
    for (int i = 0; i < 256; i++) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == (ssize_t)sizeof sink || (n < 0 && errno == EINTR))
            continue;
        break; /* empty (or a short read: it took all there was) */
    }
    close(fd);
}

void ss_sock_close(int fd)
{
    /* On Linux close() releases the descriptor even when it reports EINTR,
     * so it must never be retried (the number may already be reused). */
    if (fd >= 0)
        close(fd);
}
