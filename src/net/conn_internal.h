/*
 * conn_internal.h — a test hook into conn.c (internal; not installed, not
 * exported from the shared library).
 *
 * The fuzzer (tests/fuzz/frame_recv.c) wants to feed ss_recv transport
 * frames encrypted under a key it knows, without running a handshake
 * first: a handshake's keys are random, so no input could ever pass the
 * first tag. This hook builds the connection a finished handshake would
 * have left, with the cipher states given, on an already connected socket.
 * The library itself never calls it.
 *
 * Spec: none of its own (it skips the handshake of docs/protocol.md).
 * Course: not a chapter; read it after conn.c, as part of the tests.
 */
#ifndef SS_CONN_INTERNAL_H
#define SS_CONN_INTERNAL_H

#include "conn.h"
#include "noise.h"

/* Tests only: an established (encrypted) connection on the connected
 * stream socket fd, sending with *send and receiving with *recv (both
 * copied, counters included). Takes ownership of fd (closed on failure,
 * and by ss_close). NULL on failure (SS_ERR_NOMEM, SS_ERR_SYSTEM). */
ss_conn *ss_conn_from_fd_for_tests(int fd, const ss_cipher_state *send,
                                   const ss_cipher_state *recv);

#endif
