/*
 * trace.h — the callback through which the handshake narrates itself.
 *
 * When a trace function is configured, every Noise operation is reported
 * as one line of text as it happens (token, MixHash, MixKey, DH, Split,
 * with h, ck and k in hex). This prints secrets; it exists for learning
 * and for reproducing the worked examples in docs/.
 * The operations are those of the Noise Protocol Framework rev 34, §5.
 * Course: docs/handshake.md (its worked examples are trace output).
 */
#ifndef SS_TRACE_H
#define SS_TRACE_H

#ifdef __cplusplus
extern "C" { /* C names and C linkage in a C++ program */
#endif

typedef void (*ss_trace_fn)(void *arg, const char *line);

#ifdef __cplusplus
}
#endif

#endif
