/*
 * sock.h — TCP sockets the way the rest of the net layer wants them
 * (internal; not installed).
 *
 * Everything here is plain POSIX: getaddrinfo, socket, connect, bind,
 * listen, accept, recv, sendmsg, poll. What this layer adds is the care
 * every caller would otherwise have to repeat:
 *   - IPv4 and IPv6 alike (whatever getaddrinfo returns);
 *   - deadlines: an absolute time after which a whole operation gives up;
 *   - EINTR retried, short reads and writes completed;
 *   - no SIGPIPE (MSG_NOSIGNAL), no fd leaked to exec'd programs
 *     (SOCK_CLOEXEC), no fd leaked on any error path;
 *   - a peer that closed the stream reported as a distinct value, because
 *     what it means ("truncated", "refused", "gone") depends on the caller.
 *
 * Error convention: a function that fails returns -1 and records the reason
 * with ss_fail(NULL, ...) in the calling thread's last error (fail.h); the
 * caller copies it into its connection if it has one. SS_SOCK_EOF is not an
 * error by itself and records nothing.
 *
 * Spec: POSIX.1-2017 (socket, connect, poll, send with MSG_NOSIGNAL) and
 * Linux accept4(2). Course: the lowest layer under docs/protocol.md's
 * frames; implementation notes in sock.c.
 */
#ifndef SS_SOCK_H
#define SS_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The peer ended the stream: an orderly end (FIN), a reset (RST), or, when
 * writing, a broken pipe. To us all three mean "the peer is gone". */
#define SS_SOCK_EOF (-2)

/* A deadline is an absolute time in milliseconds on CLOCK_MONOTONIC (which
 * never jumps when the wall clock is changed), or SS_NO_DEADLINE. Using one
 * deadline for a whole operation, instead of a timeout per system call,
 * means a peer that sends one byte per second cannot stretch a 10-second
 * limit forever. */
#define SS_NO_DEADLINE (-1)

/* "Do not wait at all": the calls that take it return SS_SOCK_AGAIN where
 * they would have waited (the non-blocking mode of conn.c). */
#define SS_NOW (-2)
/* Nothing can be done without waiting (EAGAIN). Not an error; records nothing. */
#define SS_SOCK_AGAIN (-3)
/* With no deadline, how long each address of several may try before the
 * next one gets its turn (the last address waits without limit). */
#define SS_CONNECT_TRY_MS 10000

/* now + timeout_ms; a negative timeout gives SS_NO_DEADLINE. */
int64_t ss_deadline_after(int timeout_ms);

/* Resolves host (a name, an IPv4 or an IPv6 address) and connects to the
 * first address that answers, trying each in getaddrinfo's order, each
 * with a share of the time left (half of it while more addresses follow),
 * so one silent address does not keep a working one from being tried. The
 * socket is non-blocking, close-on-exec, with TCP_NODELAY. 0 or -1
 * (SS_ERR_RESOLVE, SS_ERR_CONNECT, SS_ERR_TIMEOUT, SS_ERR_SYSTEM). */
int ss_sock_connect(int *fd, const char *host, uint16_t port, int64_t deadline);

/* The connecting half of ss_sock_connect, on addresses already resolved
 * (list, in the order to try; host and port only name them in errors).
 * The tests use it to put a silent address ahead of a working one. */
struct addrinfo;
int ss_sock_connect_list(int *fd, const struct addrinfo *list, const char *host, uint16_t port,
                         int64_t deadline);

/* getaddrinfo for a client: host's addresses for port, in the order to try
 * (freeaddrinfo them). 0 or -1 (SS_ERR_RESOLVE, SS_ERR_NOMEM). */
int ss_sock_resolve(struct addrinfo **list, const char *host, uint16_t port);

/* The two halves of one attempt, for a connect that must not wait (conn.c's
 * ss_client_nonblocking). ss_sock_connect_start: a new non-blocking,
 * close-on-exec socket, connect() started: 0 (*fd set; connected or under
 * way), or the errno value (> 0) that refused it at once (no socket left
 * open). ss_sock_connect_finish: waits until deadline (SS_NOW: not at all)
 * for the attempt on fd to end: 0 (connected, TCP_NODELAY set),
 * SS_SOCK_AGAIN (SS_NOW only: still under way), -1 (SS_ERR_TIMEOUT or
 * SS_ERR_SYSTEM recorded), or the errno value (> 0) that ended it. */
int ss_sock_connect_start(int *fd, const struct addrinfo *ai);
int ss_sock_connect_finish(int fd, int64_t deadline);
/* The numeric form of ai's address ("::1", "127.0.0.1"), for messages. */
void ss_sock_address_name(char *out, size_t cap, const struct addrinfo *ai);

/* Binds and listens on host:port (host NULL: every local address), with
 * SO_REUSEADDR. port 0 lets the kernel choose; *bound_port tells which.
 * 0 or -1 (SS_ERR_RESOLVE, SS_ERR_ADDR_IN_USE, SS_ERR_SYSTEM). */
int ss_sock_listen(int *fd, uint16_t *bound_port, const char *host, uint16_t port);

/* Accepts one connection on a listening socket, configured like those of
 * ss_sock_connect. wake_fd (or -1): once readable, a wait ends with
 * SS_ERR_CLOSED (a client already queued is still accepted: the caller
 * checks first whether it shut the listener down). deadline SS_NOW: SS_SOCK_AGAIN instead of waiting. 0 or
 * -1 (SS_ERR_TIMEOUT, SS_ERR_CLOSED, SS_ERR_SYSTEM; on EMFILE/ENFILE the
 * client stays queued in the kernel and a later call can take it). */
int ss_sock_accept(int *fd, int listen_fd, int wake_fd, int64_t deadline);

/* One recv(): at least one byte (0, *got set), SS_SOCK_EOF, -1
 * (SS_ERR_TIMEOUT, SS_ERR_SYSTEM), or with deadline SS_NOW SS_SOCK_AGAIN
 * when nothing is there yet. */
int ss_sock_read_some(int fd, void *buf, size_t len, size_t *got, int64_t deadline);

/* Sleeps until fd has bytes (or an end of stream) to read: 0, or -1
 * (SS_ERR_TIMEOUT, SS_ERR_SYSTEM). For a read that is known to find nothing
 * yet, this saves the recv() that would only say EAGAIN. */
int ss_sock_wait_readable(int fd, int64_t deadline);

/* One send() that never waits: 0 (*done bytes went), SS_SOCK_AGAIN,
 * SS_SOCK_EOF or -1 (SS_ERR_SYSTEM). */
int ss_sock_write_some(int fd, const void *buf, size_t len, size_t *done);

/* Turns on TCP keepalive: probes after idle_s idle seconds, then every
 * idle_s seconds, 4 at most. Failures are ignored (only liveness is lost). */
void ss_sock_keepalive(int fd, int idle_s);

/* Writes every byte of iov[0..iovcnt) (the array is modified as it is
 * consumed). 0, -1 (SS_ERR_TIMEOUT, SS_ERR_SYSTEM) or SS_SOCK_EOF. */
int ss_sock_write_full(int fd, struct iovec *iov, int iovcnt, int64_t deadline);

/* 1 if bytes (or more than an end of stream) are waiting to be read right
 * now, 0 otherwise. Never blocks, never consumes anything. */
int ss_sock_has_data(int fd);

/* Ends our direction of the stream and closes fd without destroying data
 * still on its way to the peer (see sock.c). */
void ss_sock_finish(int fd);

/* Closes fd at once (error paths). fd < 0 is ignored. */
void ss_sock_close(int fd);

#endif
