/*
 * handshake.h — the driver behind the two handshake fuzz targets
 * (handshake_initiator.c, handshake_responder.c) and the seeds
 * make_seeds.c writes for them. handshake.c explains the input format and
 * what is checked.
 */
#ifndef SS_FUZZ_HANDSHAKE_H
#define SS_FUZZ_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

/* Runs one Noise handshake (NN, NK or XX, chosen by the input) with the
 * local side as initiator (initiator = 1) or responder, the peer's
 * messages taken from the input. Aborts on any violated check. */
void fuzz_handshake(const uint8_t *data, size_t size, int initiator);

/* Writes into out (capacity cap) an input for fuzz_handshake in which the
 * peer is honest: it holds the remote keys of fuzz.h and sends payload
 * (may be empty) in each of its messages. pattern_byte is the input's
 * first byte (the pattern and flags, as handshake.c describes). Returns the length. */
size_t fuzz_handshake_seed(uint8_t *out, size_t cap, int initiator, uint8_t pattern_byte,
                           const uint8_t *payload, size_t payload_len);

#endif
