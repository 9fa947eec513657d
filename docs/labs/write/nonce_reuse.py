"""nonce_reuse.py -- lab 2 of docs/labs.md: nonce reuse in ChaCha20-Poly1305.

The target (docs/labs/write/targets.py, NonceReuseSealer) seals every
message with one key and one nonce. You see two 16-byte messages sealed
(one of which you know), and you forge a third that its receiver accepts.
Checked by: python3 docs/labs/write/check.py nonce_reuse YOUR_FILE
"""
P1305 = 2**130 - 5
CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffff


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def plaintext_xor(c1, c2):
    """TODO 1: the XOR of the two plaintexts, from the two ciphertexts
    alone (same key, same nonce: same keystream)."""
    raise NotImplementedError  # your code here


def poly1305_input(ciphertext):
    """The value Poly1305 accumulates for a 16-byte ciphertext and empty AD,
    as a function of r: acc = C * r^2 + L * r (mod p), where C and L are the
    two 17-byte blocks (RFC 8439 §2.8: ciphertext, then the lengths)."""
    c = int.from_bytes(ciphertext + b"\x01", "little")
    lengths = int.from_bytes((0).to_bytes(8, "little") + (16).to_bytes(8, "little") + b"\x01",
                             "little")
    return c, lengths


def recover_poly1305_key(c1, t1, c2, t2):
    """TODO 2: Poly1305's one-time key (r, s) as integers, from two 16-byte
    ciphertexts and their tags. tag = (C*r^2 + L*r mod p  +  s) mod 2^128,
    with the same r and s for both. Subtract: s cancels, r^2 remains, up to
    the few multiples of 2^128 that the final "mod 2^128" removed. Then a
    square root mod p (p = 3 mod 4: x^((p+1)/4)), and r must be clamped."""
    raise NotImplementedError  # your code here


def forge(known_plaintext, c1, r, s, new_plaintext):
    """TODO 3: (ciphertext, tag) of new_plaintext (16 bytes) that the
    receiver accepts: the keystream from the known pair, then the tag with
    the recovered (r, s)."""
    raise NotImplementedError  # your code here
