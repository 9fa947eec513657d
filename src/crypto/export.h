/*
 * export.h — which symbols leave the shared library.
 *
 * The library is compiled with -fvisibility=hidden, so every function is
 * private to libssockets.so unless its declaration carries SS_API. Only the
 * public ss_ functions do; internal helpers shared between files (the Noise
 * state machine, framing, sockets) stay invisible to programs that link the
 * shared library, while tests that link the static archive can still reach
 * them. tests/test_exports.sh checks that the exported list is exactly the
 * SS_API declarations.
 *
 * Spec: the GCC/Clang `visibility` function attribute (GCC manual, "Common
 * Function Attributes"). Course: plumbing, not cryptography; docs/README.md
 * ("Public and internal") explains the split.
 */
#ifndef SS_EXPORT_H
#define SS_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define SS_API __attribute__((visibility("default")))
#else
#define SS_API
#endif

#endif
