"""fingerprint.py -- lab 5 of docs/labs.md: a short fingerprint, ground
down by a man in the middle.

Two people compare the first bytes of their handshake hashes h (what
`ssockets --fingerprint` prints, 16 bytes of it). A man in the middle runs
one NN handshake with the server (its h is then fixed) and one with the
client, in which it is the responder: it chooses its ephemeral key after
seeing the client's, and can try again and again, offline, until the
client's fingerprint equals the server's. Here the fingerprint is the
first `bits` bits of h; you measure how the work grows with its length.
Checked by: python3 docs/labs/write/check.py fingerprint YOUR_FILE
"""
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

NAME = b"Noise_NN_25519_ChaChaPoly_SHA256"     # 32 bytes: h = ck = the name
PROLOGUE = b"SSockets/1"
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def sha256(data):
    return hashlib.sha256(data).digest()


def hkdf2(ck, ikm):
    """Noise's HKDF with two outputs (§4.3)."""
    prk = hmac.new(ck, ikm, hashlib.sha256).digest()
    t1 = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    return t1, hmac.new(prk, t1 + b"\x02", hashlib.sha256).digest()


def fingerprint(h, bits):
    """The first `bits` bits of h, as an integer."""
    return int.from_bytes(h, "big") >> (256 - bits)


def nn_hash(client_e_public, responder_e_private):
    """TODO 1: the handshake hash h after message 2 of an NN handshake with
    empty payloads (SSockets/1's prologue), as the client computes it, when
    the responder's ephemeral private key is responder_e_private (an
    X25519PrivateKey). Follow Noise §5: h = ck = NAME; MixHash(prologue);
    MixHash(client e); MixHash(empty payload); MixHash(responder e); MixKey(ee);
    EncryptAndHash(empty payload): a 16-byte tag, n = 0, AD = h."""
    ### SOLUTION
    h = sha256(NAME + PROLOGUE)          # NAME is 32 bytes: h0 = NAME
    h = sha256(h + client_e_public)
    h = sha256(h)                        # message 1's empty payload, no key yet
    responder_public = responder_e_private.public_key().public_bytes(*RAW)
    h = sha256(h + responder_public)
    ee = responder_e_private.exchange(X25519PublicKey.from_public_bytes(client_e_public))
    _, k = hkdf2(NAME, ee)
    tag = ChaCha20Poly1305(k).encrypt(bytes(12), b"", h)
    return sha256(h + tag)
    ### END


def grind(client_e_public, target, bits):
    """TODO 2: try fresh responder ephemeral keys until the client's
    fingerprint (the first `bits` bits of nn_hash) equals target. Return
    (the private key, the number of tries)."""
    ### SOLUTION
    tries = 0
    while True:
        tries += 1
        e = X25519PrivateKey.generate()
        if fingerprint(nn_hash(client_e_public, e), bits) == target:
            return e, tries
    ### END


def measure(bits, runs):
    """TODO 3: the average number of tries grind needs for a `bits`-bit
    fingerprint, over `runs` runs, each with a fresh client key and a fresh
    random target."""
    ### SOLUTION
    total = 0
    for _ in range(runs):
        client = X25519PrivateKey.generate().public_key().public_bytes(*RAW)
        target = int.from_bytes(os.urandom(32), "big") >> (256 - bits)
        total += grind(client, target, bits)[1]
    return total / runs
    ### END
