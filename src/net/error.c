/*
 * error.c — error codes, their sentences, and the per-thread last error.
 *
 * Course position: the "bad input gets a clear error" rule of the project.
 * A secure channel that fails must say why — "tampered frame" and "wrong
 * server key" call for very different reactions — without ever handing the
 * caller data that failed authentication. Course: with conn.c
 * (docs/protocol.md lists the failures; docs/cli.md their exit codes).
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

static const char *const sentences[SS_ERR_COUNT] = {
    [SS_OK] = "success",
    [SS_ERR_ARGUMENT] = "invalid argument or configuration",
    [SS_ERR_NOMEM] = "out of memory",
    [SS_ERR_RANDOM] = "the kernel could not provide random bytes",
    [SS_ERR_SYSTEM] = "system call failed",
    [SS_ERR_RESOLVE] = "host name could not be resolved",
    [SS_ERR_CONNECT] = "connection refused or host unreachable",
    [SS_ERR_ADDR_IN_USE] = "address already in use",
    [SS_ERR_TIMEOUT] = "timed out waiting for the peer",
    [SS_ERR_TRUNCATED] = "connection truncated",
    [SS_ERR_PEER_GONE] = "the peer closed or reset the connection",
    [SS_ERR_PATTERN_REFUSED] = "the server refused the handshake pattern (it expects another)",
    [SS_ERR_BAD_PROTOCOL] = "the peer does not speak SSockets/1",
    [SS_ERR_BAD_FRAME] = "malformed frame or handshake message",
    [SS_ERR_TAMPERED] = "authentication failed: data was modified, replayed or keyed wrongly",
    [SS_ERR_WRONG_SERVER_KEY] = "the server's static key is not the pinned key",
    [SS_ERR_UNKNOWN_CLIENT_KEY] = "the client's static key is not allowed",
    [SS_ERR_WRONG_PEER_KEY] = "the client's static key is not the pinned key",
    [SS_ERR_LOW_ORDER_KEY] = "the peer sent a low-order key (all-zero Diffie-Hellman result)",
    [SS_ERR_BAD_TYPE] = "unknown transport frame type",
    [SS_ERR_DATA_AFTER_CLOSE] = "data arrived after the peer's close",
    [SS_ERR_NONCE_EXHAUSTED] = "nonce space exhausted: 2^64-1 frames sent with one key",
    [SS_ERR_CLOSED] = "the connection has already ended",
    [SS_ERR_KEY_FILE] = "not a valid key file",
    [SS_ERR_KEY_PERMISSIONS] = "key file permissions are unsafe",
    [SS_ERR_KEY_EXISTS] = "key file already exists",
};

const char *ss_strerror(int code)
{
    if (code < 0 || code >= SS_ERR_COUNT || sentences[code] == NULL)
        return "unknown error";
    return sentences[code];
}

/* C11 _Thread_local: each thread sees its own last error, so a server
 * handling clients in threads does not mix up their failures. */
static _Thread_local ss_error_slot thread_error;

int ss_fail(ss_error_slot *slot, int code, const char *fmt, ...)
{
    ss_error_slot e;
    e.code = code;
    int n = snprintf(e.message, sizeof e.message, "%s", ss_strerror(code));
    if (fmt != NULL && n > 0 && (size_t)n < sizeof e.message) {
        va_list ap;
        va_start(ap, fmt);
        snprintf(e.message + n, sizeof e.message - (size_t)n, ": ");
        vsnprintf(e.message + n + 2, sizeof e.message - (size_t)n - 2, fmt, ap);
        va_end(ap);
    }
    thread_error = e;
    if (slot != NULL && slot->code == SS_OK)
        *slot = e;
    return -1;
}

const ss_error_slot *ss_thread_error(void)
{
    return &thread_error;
}
