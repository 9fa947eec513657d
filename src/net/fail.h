/*
 * fail.h — recording errors inside the net layer (internal).
 *
 * Every failure is recorded twice: in the per-thread "last error" that
 * ss_last_error(NULL) reads, and, when the failing object has one, in its
 * own error slot (a connection keeps the first error that ended it, so
 * later calls cannot overwrite the reason).
 * Course: plumbing of the net layer, read with error.c.
 */
#ifndef SS_FAIL_H
#define SS_FAIL_H

#include "error.h"

typedef struct {
    int code;           /* an ss_error */
    char message[512];  /* ss_strerror(code) plus detail */
} ss_error_slot;

/* Records code with a detail formatted like printf (fmt may be NULL: the
 * message is then just ss_strerror(code)) into slot (may be NULL) and the
 * thread's last error. Always returns -1, so callers can write
 * `return ss_fail(&c->err, SS_ERR_TIMEOUT, NULL);`. */
int ss_fail(ss_error_slot *slot, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The calling thread's last error. */
const ss_error_slot *ss_thread_error(void);

#endif
