"""no_es.py -- lab 6 of docs/labs.md: a handshake without es, and the
impersonation it allows.

The target (docs/labs/write/targets.py, NoEsClient) pins the server's
static key, as NK does, but its first message is "-> e" instead of
"-> e, es": the server's key goes into h and into nothing else. You play
the server without its private key, complete the handshake, and read the
secret the client sends.
Checked by: python3 docs/labs/write/check.py no_es YOUR_FILE
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "write"))
import targets  # noqa: E402,F401  (defines the pattern "NKnoes")
import noise_lab  # noqa: E402


def impersonate(server_public, message1, pattern="NKnoes"):
    """TODO 1: answer the client's message 1 as the server would, knowing
    only the server's PUBLIC key. Return (message2, state), state being
    whatever read_secret needs. Hint: noise_lab.HandshakeState takes the
    pattern's name; which of the responder's keys does the pattern use?"""
    ### SOLUTION
    hs = noise_lab.HandshakeState(pattern, False, targets.PROLOGUE,
                                  s=(None, server_public),      # no private key
                                  e=noise_lab.keypair(os.urandom(32)))
    hs.read_message(message1)
    return hs.write_message(b""), hs
    ### END


def read_secret(state, transport):
    """TODO 2: the plaintext of the client's first transport message."""
    ### SOLUTION
    c1, _ = state.symmetric.split()
    return c1.decrypt_with_ad(b"", transport)
    ### END
