#!/usr/bin/env python3
"""encodings.py -- docs/x25519.md's claim about equivalent encodings
(Noise §14, "Channel binding"), checked against the real `ssockets listen`:

An NN client written in Python (the Noise lab's solution) connects twice to a
real server: once with its ephemeral public key as X25519 computes it, once
with bit 255 of that key set (the same point: RFC 7748 §5 masks the bit).
The server accepts both; the two sessions have the same chaining key and
transport keys (the server's data opens with them) but different handshake
hashes h. Prints one line per fact; exits non-zero if one is false.
"""
import os
import sys

sys.dont_write_bytecode = True
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "docs", "labs", "noise"))
sys.path.insert(0, os.path.join(ROOT, "docs", "labs", "solutions"))
sys.path.insert(0, os.path.join(ROOT, "docs", "labs", "attacks"))
import lab  # noqa: E402
import noise_lab  # noqa: E402
from primitives import aead_decrypt  # noqa: E402

PRIVATE = bytes(range(1, 33))      # a fixed ephemeral private key (the client's)


def session(public):
    """One NN session with the real server; the client's e.pub sent as
    `public`. Returns (h, ck, the server's first message) or raises."""
    l = lab.Lab()
    try:
        # the server's ephemeral key fixed too (the course's key), so that
        # the two sessions differ only in how the client encodes its e
        port = l.listen("server", ["--test-ephemeral", l.key("resp_ephemeral")],
                        "hello from the server\n")
        sock = lab.connect(port)
        hs = noise_lab.HandshakeState("NN", True, b"SSockets/1", e=(PRIVATE, public))
        sock.sendall(lab.frame(b"Noise_NN_25519_ChaChaPoly_SHA256"))
        sock.sendall(lab.frame(hs.write_message(b"")))
        hs.read_message(lab.read_frame(sock))
        ck = hs.symmetric.ck
        c1, c2 = hs.symmetric.split()
        body = aead_decrypt(c2.k, 0, b"", lab.read_frame(sock))
        sock.close()
        return hs.symmetric.h, ck, body
    finally:
        l.close()


canonical = noise_lab.keypair(PRIVATE)[1]
high = canonical[:31] + bytes([canonical[31] | 0x80])
h1, ck1, m1 = session(canonical)
h2, ck2, m2 = session(high)
facts = [
    ("the server accepts the canonical e and its first message opens", m1 == b"\x00hello from the server\n"),
    ("the server accepts e with bit 255 set and its first message opens", m2 == b"\x00hello from the server\n"),
    ("the two sessions have the same ck (so the same transport keys)", ck1 == ck2),
    ("the two sessions have different handshake hashes h", h1 != h2),
]
for what, true in facts:
    print("%s: %s" % (what, true))
sys.exit(0 if all(t for _, t in facts) else 1)
