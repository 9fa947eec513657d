/*
 * error.h — what went wrong, precisely.
 *
 * Every net-layer function that fails returns NULL or -1 and records one of
 * these codes: on the connection when there is one, and always in a
 * per-thread "last error" (for failures such as ss_client() where no
 * connection exists yet). ss_strerror() gives a fixed sentence for a code;
 * ss_last_error_message() adds detail (a file name, a system error).
 *
 * Spec: the failure modes of SSockets/1 (docs/protocol.md). Course: read
 * with conn.h; docs/cli.md shows how the command reports each failure.
 */
#ifndef SS_ERROR_H
#define SS_ERROR_H

#include "../crypto/export.h"

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

typedef enum {
    SS_OK = 0,
    SS_ERR_ARGUMENT,          /* invalid argument or configuration */
    SS_ERR_NOMEM,             /* out of memory */
    SS_ERR_RANDOM,            /* the kernel gave no random bytes */
    SS_ERR_SYSTEM,            /* an unexpected system call failure */
    SS_ERR_RESOLVE,           /* host name could not be resolved */
    SS_ERR_CONNECT,           /* connection refused or unreachable */
    SS_ERR_ADDR_IN_USE,       /* the listening address is taken */
    SS_ERR_TIMEOUT,           /* the peer did not answer in time */
    SS_ERR_TRUNCATED,         /* the TCP stream ended without a close frame */
    SS_ERR_PEER_GONE,         /* the peer closed or reset the connection (mid-handshake, or a send found it gone) */
    SS_ERR_PATTERN_REFUSED,   /* the server refused the proposed handshake pattern */
    SS_ERR_BAD_PROTOCOL,      /* the peer does not speak SSockets/1 (an unknown protocol name, an answer that is not one) */
    SS_ERR_BAD_FRAME,         /* a frame or handshake message of impossible size */
    SS_ERR_TAMPERED,          /* authentication failed: data modified, replayed or wrong key */
    SS_ERR_WRONG_SERVER_KEY,  /* the server's static key is not the pinned one */
    SS_ERR_UNKNOWN_CLIENT_KEY,/* the client's static key is not allowed */
    SS_ERR_WRONG_PEER_KEY,    /* the client's static key is not the pinned one */
    SS_ERR_LOW_ORDER_KEY,     /* a received key gave an all-zero DH result */
    SS_ERR_BAD_TYPE,          /* unknown transport frame type */
    SS_ERR_DATA_AFTER_CLOSE,  /* a frame arrived after the peer's close */
    SS_ERR_NONCE_EXHAUSTED,   /* 2^64-1 messages sent: the key must not be reused */
    SS_ERR_CLOSED,            /* the connection has already ended */
    SS_ERR_KEY_FILE,          /* a key file is missing, malformed or of the wrong type */
    SS_ERR_KEY_PERMISSIONS,   /* a key others can read, or a trust file others can write */
    SS_ERR_KEY_EXISTS,        /* refusing to overwrite an existing key file */
    SS_ERR_COUNT
} ss_error;

struct ss_conn;

/* The fixed English sentence for a code ("unknown error" when out of range). */
SS_API const char *ss_strerror(int code);

/* The error of connection c, or with c == NULL the calling thread's last
 * error (set by every failing call, including ss_client/ss_server/keys). */
SS_API int ss_last_error(const struct ss_conn *c);

/* Like ss_last_error, but the full message with its detail, e.g.
 * "key file 'id.key': not a key (expected base64 or PEM)". Never NULL. */
SS_API const char *ss_last_error_message(const struct ss_conn *c);

#ifdef __cplusplus
}
#endif

#endif
