/*
 * handshake_responder.c — fuzz target: the Noise handshake (NN, NK, XX)
 * with the side under test as responder (the server), every initiator
 * message from the fuzzer. Input format and checks: handshake.c.
 */
#include "fuzz.h"
#include "handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_handshake(data, size, 0);
    return 0;
}
