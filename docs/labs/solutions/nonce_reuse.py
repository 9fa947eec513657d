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
    ### SOLUTION
    return xor(c1, c2)
    ### END


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
    ### SOLUTION
    C1, L = poly1305_input(c1)
    C2, _ = poly1305_input(c2)
    T1, T2 = int.from_bytes(t1, "little"), int.from_bytes(t2, "little")
    inverse = pow((C1 - C2) % P1305, P1305 - 2, P1305)
    for wraps in range(-8, 9):
        r2 = (T1 - T2 + wraps * 2**128) * inverse % P1305
        root = pow(r2, (P1305 + 1) // 4, P1305)
        for r in (root, P1305 - root):
            if r * r % P1305 != r2 or r & ~CLAMP:
                continue
            s = (T1 - (C1 * r * r + L * r) % P1305) % 2**128
            if ((C2 * r * r + L * r) % P1305 + s) % 2**128 == T2:
                return r, s
    raise ValueError("no clamped r fits both tags")
    ### END


def forge(known_plaintext, c1, r, s, new_plaintext):
    """TODO 3: (ciphertext, tag) of new_plaintext (16 bytes) that the
    receiver accepts: the keystream from the known pair, then the tag with
    the recovered (r, s)."""
    ### SOLUTION
    c3 = xor(new_plaintext, xor(c1, known_plaintext))
    C3, L = poly1305_input(c3)
    tag = ((C3 * r * r + L * r) % P1305 + s) % 2**128
    return c3, tag.to_bytes(16, "little")
    ### END
