"""targets.py -- the deliberately broken targets of the "write the attack"
labs (docs/labs.md, labs 2 to 7). Each one makes exactly one mistake that
the library in src/ does not make; they live here, in docs/labs, and nowhere
else. Python's standard library and the Noise lab's primitives only.

    NonceReuseSealer   ChaCha20-Poly1305 with one key and one nonce for every message
    PrefixMac          tag = SHA-256(secret || message): a hash used as a MAC
    TwistVictim        x-only scalar multiplication of any u it is sent, no check
    NoEsClient         an "NK" client whose first message leaves out the es token
    ZeroKeyResponder   an NK responder that accepts an all-zero DH result and
                       treats its public key as a password
"""
import hashlib
import hmac
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "noise"))
sys.path.insert(0, os.path.join(HERE, "..", "solutions"))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.dont_write_bytecode = True
import primitives  # noqa: E402
import noise_lab  # noqa: E402  (the Noise lab's solution: a complete Noise)
import toycurve  # noqa: E402


# ------------------------------------------------------------- lab 2
class NonceReuseSealer:
    """Seals every message with the same key and the same nonce (the bug:
    a counter that is never incremented). open() is the honest receiver."""

    def __init__(self, key=None):
        self.key = key if key is not None else os.urandom(32)
        self.nonce = bytes(12)

    def seal(self, plaintext):
        sealed = primitives.rfc8439_seal(self.key, self.nonce, b"", plaintext)
        return sealed[:-16], sealed[-16:]                 # ciphertext, tag

    def open(self, ciphertext, tag):
        """The plaintext, or None if the tag is wrong."""
        try:
            return primitives.rfc8439_open(self.key, self.nonce, b"", ciphertext + tag)
        except Exception:
            return None

    def one_time_key(self):
        """For the checker only: Poly1305's (r, s) for this key and nonce,
        r clamped (RFC 8439 §2.5, §2.6)."""
        block = primitives.chacha20_block(self.key, 0, self.nonce)[:32]
        r = int.from_bytes(block[:16], "little") & 0x0ffffffc0ffffffc0ffffffc0fffffff
        return r, int.from_bytes(block[16:], "little")


# ------------------------------------------------------------- lab 3
class PrefixMac:
    """tag = SHA-256(secret || message), the construction HMAC replaces.
    The secret's length is 16 bytes; its value is unknown."""

    def __init__(self, secret=None):
        self.secret = secret if secret is not None else os.urandom(16)

    def tag(self, message):
        return hashlib.sha256(self.secret + message).digest()

    def verify(self, message, tag):
        return hmac.compare_digest(self.tag(message), tag)


class HmacMac(PrefixMac):
    """The same interface with HMAC-SHA-256: what the course uses."""

    def tag(self, message):
        return hmac.new(self.secret, message, hashlib.sha256).digest()


# ------------------------------------------------------------- lab 4
WEAK_A = 100          # toycurve.py's weak curve over p = 101 (section "weak")
KEY_BITS = 9          # the victim's secret is below 2^9 = 512 < lcm of the small orders


class TwistVictim:
    """Computes u([k]Q) for ANY u it is sent, with a fixed secret k, on
    the weak toy curve: X25519's interface on a curve without twist
    security, and a secret that is not a multiple of 8 (no clamping)."""

    def __init__(self, secret):
        self.secret = secret
        self.queries = 0

    def answer(self, u):
        self.queries += 1
        return toycurve.ladder(self.secret, u % toycurve.P, KEY_BITS, WEAK_A)


# ------------------------------------------------------------- labs 6 and 7
PROLOGUE = b"SSockets/1"
# es left out of NK's message 1: the pattern of lab 6's broken client.
noise_lab.PATTERNS["NKnoes"] = (["<- s"], [["e"], ["e", "ee"]])


class NoEsClient:
    """An initiator that pins the server's static key rs, as NK does, but
    runs a pattern without the es token: rs goes into h and nothing else.
    It sends its secret once the handshake completes."""

    def __init__(self, rs, secret=b"the client's password: hunter2"):
        self.secret = secret
        self.hs = noise_lab.HandshakeState("NKnoes", True, PROLOGUE,
                                           e=noise_lab.keypair(os.urandom(32)), rs=rs)

    def message1(self):
        return self.hs.write_message(b"")

    def receive_message2(self, message):
        """Reads message 2 (raises if its tag is wrong), then returns the
        client's first transport message: its secret, sealed with c1."""
        self.hs.read_message(message)
        c1, _ = self.hs.symmetric.split()
        return c1.encrypt_with_ad(b"", self.secret)


class HonestNkClient(NoEsClient):
    """The same client with the real NK pattern (es included), as SSockets' client runs it."""

    def __init__(self, rs, secret=b"the client's password: hunter2"):
        self.secret = secret
        self.hs = noise_lab.HandshakeState("NK", True, PROLOGUE,
                                           e=noise_lab.keypair(os.urandom(32)), rs=rs)


class ZeroKeyResponder:
    """An NK responder with two mistakes. (1) It does not refuse an all-zero
    DH result (Noise §12.1 permits that; SSockets refuses). (2) It forgets
    the pre-message: its static public key never enters h. It then treats
    that public key as a password ("only clients that know my key can talk
    to me"), the misuse Noise §14 warns about. Its key pair is fresh and
    its public key is never shown."""

    def __init__(self, reply=b"welcome, you know my key"):
        self._s = noise_lab.keypair(os.urandom(32))
        self.reply = reply
        self.request = None

    def handshake(self, pre_message_hashed=False):
        hs = noise_lab.HandshakeState("NKforgot", False, PROLOGUE, s=self._s,
                                      e=noise_lab.keypair(os.urandom(32)))
        if pre_message_hashed:                     # what NK requires (§7.1)
            hs.symmetric.mix_hash(self._s[1])
        return hs

    def handle(self, message1, pre_message_hashed=False):
        """Reads NK message 1 (raises if its tag is wrong), records its
        payload as the client's request, and returns message 2 and the reply
        sealed with c2, as (message2, transport)."""
        hs = self.handshake(pre_message_hashed)
        self.request = hs.read_message(message1)
        message2 = hs.write_message(b"")
        _, c2 = hs.symmetric.split()
        return message2, c2.encrypt_with_ad(b"", self.reply)


# NK's messages without its pre-message (the responder's mistake (2));
# the protocol name stays NK's, as the broken implementation would send it.
noise_lab.PATTERNS["NKforgot"] = ([], [["e", "es"], ["e", "ee"]])
