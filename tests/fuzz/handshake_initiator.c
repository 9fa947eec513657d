/*
 * handshake_initiator.c — fuzz target: the Noise handshake (NN, NK, XX)
 * with the side under test as initiator (the client), every responder
 * message from the fuzzer. Input format and checks: handshake.c.
 */
#include "fuzz.h"
#include "handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_handshake(data, size, 1);
    return 0;
}
