"""low_order_nk.py -- lab 7 of docs/labs.md: a low-order ephemeral key
in NK (Noise §14, "Misusing public keys as secrets").

The target (docs/labs/write/targets.py, ZeroKeyResponder) keeps its static
public key secret and lets in only clients that "know" it, accepts an
all-zero DH result, and forgets to hash its key into h (NK's pre-message).
You get in without its key: your request is accepted and you read its reply.
Checked by: python3 docs/labs/write/check.py low_order_nk YOUR_FILE
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "write"))
import targets  # noqa: E402,F401  (defines the pattern "NKforgot")
import noise_lab  # noqa: E402


def low_order_point():
    """TODO 1: 32 bytes u such that X25519(k, u) is 32 zero bytes for
    EVERY private key k. (RFC 7748 clamps k to a multiple of 8; which
    points does that send to the point at infinity? The simplest is a
    single number.)"""
    ### SOLUTION
    return bytes(32)          # u = 0: the point of order 2 (0, 0)
    ### END


class Intruder:
    """TODO 2 and 3: an NK initiator that does not know the responder's
    static key."""

    def message1(self, request):
        """TODO 2: NK message 1 carrying `request` as its payload, which the
        responder accepts. Your ephemeral key is low_order_point(); what is
        es then, whatever the responder's key? Hint: HandshakeState's
        dh_token computes the DH; you may replace it."""
        ### SOLUTION
        self.hs = noise_lab.HandshakeState("NKforgot", True, targets.PROLOGUE,
                                           e=(None, low_order_point()))
        self.hs.dh_token = lambda token: bytes(32)     # es and ee: all zeros
        return self.hs.write_message(request)
        ### END

    def read_reply(self, message2, transport):
        """TODO 3: the responder's reply (its first transport message)."""
        ### SOLUTION
        self.hs.read_message(message2)
        _, c2 = self.hs.symmetric.split()
        return c2.decrypt_with_ad(b"", transport)
        ### END
