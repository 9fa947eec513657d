/*
 * ssockets.h — everything public in SSockets, in the order of the course:
 * hashing, key derivation, the curve, the cipher and MAC, then the network
 * layer built on them: the protocol engine (no I/O) and the connection. Course map (reading order, chapter per file):
 * docs/README.md.
 */
#ifndef SSOCKETS_H
#define SSOCKETS_H

#include "crypto/sha256.h"
#include "crypto/sha3.h"
#include "crypto/mlkem.h"
#include "crypto/hmac.h"
#include "crypto/hkdf.h"
#include "crypto/x25519.h"
#include "crypto/chacha20.h"
#include "crypto/poly1305.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "net/error.h"
#include "net/keys.h"
#include "net/engine.h"
#include "net/conn.h"

#endif
