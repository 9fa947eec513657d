/*
 * cli.h — what the two files of the `ssockets` command share (internal).
 *
 * The command is the top layer of the course: it uses only the public API
 * (ssockets.h) and adds nothing to the protocol. main.c reads the command
 * line, loads the keys and opens the connection; relay.c then moves bytes
 * both ways until both sides have closed. Course chapter: docs/cli.md.
 */
#ifndef SS_CLI_H
#define SS_CLI_H

#include "ssockets.h"

/* Exit codes, documented in `ssockets --help` and docs/cli.md. Scripts can
 * tell a typo (2) from an unusable key (3) from a failed connection (1). */
#define EXIT_CONN 1
#define EXIT_USAGE 2
#define EXIT_KEY 3

/* Prints "ssockets: <message>" on stderr and exits with code. Safe to call
 * from both relay threads at once: the first caller prints and exits, a
 * second one waits until the process is gone, so exactly one line appears. */
_Noreturn void cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Exits with code, saying nothing; safe from both relay threads, as
 * cli_fail. */
_Noreturn void cli_quit(int code);

/* Relays stdin -> c and c -> stdout at the same time, until our side has
 * sent its close (stdin ended) and the peer's close has arrived; then closes
 * c and returns 0. Every failure goes through cli_fail. */
int cli_relay(ss_conn *c);

#endif
