/*
 * engine_internal.h — what the library and its tests need from an engine
 * beyond the public API (internal; not installed, not exported).
 *
 * Course: read after engine.c.
 */
#ifndef SS_ENGINE_INTERNAL_H
#define SS_ENGINE_INTERNAL_H

#include "engine.h"
#include "noise.h"

/* The configuration checks of ss_engine_new without creating an engine
 * (conn.c refuses a bad configuration before it connects). 0 or -1
 * (SS_ERR_ARGUMENT). */
int ss_engine_check_config(int server, const ss_config *cfg);

/* After the handshake (ss_engine_established, not plain): the initiator's
 * ephemeral public key and the two keys of Split(), k1 (initiator to
 * responder) and k2 (responder to initiator), for a key log that lets a
 * capture tool decrypt the session (the keys stay the same for the whole
 * session: SSockets/1 has no rekey). 0, or -1 when there are none (plain
 * mode, handshake not finished). The caller wipes k1 and k2. */
int ss_engine_session_keys(const ss_engine *e, uint8_t initiator_ephemeral[32],
                           uint8_t k1[32], uint8_t k2[32]);

/* Tests only (the transport fuzzer): an established engine with these
 * cipher states (copied, counters included), as a finished NN handshake
 * would have left it. NULL on SS_ERR_NOMEM. */
ss_engine *ss_engine_established_for_tests(const ss_cipher_state *send,
                                           const ss_cipher_state *recv);

#endif
