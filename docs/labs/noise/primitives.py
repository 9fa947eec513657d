"""primitives.py -- the four primitives Noise needs, in plain Python (standard
library only), for the "Noise by hand" lab of docs/labs.md. Each is the
algorithm of its RFC written as directly as possible, with no attention to
speed or to timing: a model to compute with, not code to protect secrets.
The chapters of the course explain each one; check.py tests each against its
RFC's vectors before it checks anything of yours.

    sha256(data)                      FIPS 180-4, via hashlib
    hmac_sha256(key, data)            RFC 2104, via hmac
    hkdf(ck, ikm, outputs)            Noise §4.3 (RFC 5869 with ck as salt)
    x25519(k, u), x25519_base(k)      RFC 7748 §5
    aead_encrypt(key, n, ad, plain)   ChaCha20-Poly1305, RFC 8439 §2.8, with
    aead_decrypt(key, n, ad, cipher)  Noise's nonce (§12.3): 4 zero bytes, then
                                      the 64-bit counter n, little-endian
"""
import hashlib
import hmac

HASHLEN = 32
DHLEN = 32


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf(chaining_key, input_key_material, outputs):
    """Noise §4.3: two or three 32-byte outputs."""
    temp_key = hmac_sha256(chaining_key, input_key_material)
    out1 = hmac_sha256(temp_key, b"\x01")
    out2 = hmac_sha256(temp_key, out1 + b"\x02")
    if outputs == 2:
        return out1, out2
    return out1, out2, hmac_sha256(temp_key, out2 + b"\x03")


# ------------------------------------------------------------- X25519

P25519 = 2**255 - 19


def x25519(k, u):
    """RFC 7748 §5: clamp k, run the Montgomery ladder on u (bytes, 32)."""
    k = int.from_bytes(k, "little")
    k = (k & ~7 & ~(1 << 255)) | (1 << 254)
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    p = P25519
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = (x2 + z2) % p, (x2 - z2) % p, (x3 + z3) % p, (x3 - z3) % p
        aa, bb, da, cb = a * a % p, b * b % p, d * a % p, c * b % p
        e = (aa - bb) % p
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def x25519_base(k):
    return x25519(k, (9).to_bytes(32, "little"))


# ------------------------------------------------------------- ChaCha20-Poly1305

def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _quarter_round(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key, counter, nonce):
    """RFC 8439 §2.3: 64 bytes of keystream."""
    words = lambda b: [int.from_bytes(b[i:i + 4], "little") for i in range(0, len(b), 4)]
    state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + words(key) + [counter] + \
        words(nonce)
    s = list(state)
    for _ in range(10):
        _quarter_round(s, 0, 4, 8, 12); _quarter_round(s, 1, 5, 9, 13)
        _quarter_round(s, 2, 6, 10, 14); _quarter_round(s, 3, 7, 11, 15)
        _quarter_round(s, 0, 5, 10, 15); _quarter_round(s, 1, 6, 11, 12)
        _quarter_round(s, 2, 7, 8, 13); _quarter_round(s, 3, 4, 9, 14)
    return b"".join(((x + y) & 0xffffffff).to_bytes(4, "little") for x, y in zip(s, state))


def chacha20_xor(key, counter, nonce, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        block = chacha20_block(key, counter + i // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[i:i + 64], block))
    return bytes(out)


def poly1305(key, msg):
    """RFC 8439 §2.5."""
    r = int.from_bytes(key[:16], "little") & 0x0ffffffc0ffffffc0ffffffc0fffffff
    s = int.from_bytes(key[16:], "little")
    p, acc = 2**130 - 5, 0
    for i in range(0, len(msg), 16):
        block = msg[i:i + 16] + b"\x01"
        acc = (acc + int.from_bytes(block, "little")) * r % p
    return ((acc + s) % 2**128).to_bytes(16, "little")


def _pad16(data):
    return b"\x00" * (-len(data) % 16)


def _aead_tag(key, nonce, ad, ciphertext):
    otk = chacha20_block(key, 0, nonce)[:32]
    mac_data = ad + _pad16(ad) + ciphertext + _pad16(ciphertext) + \
        len(ad).to_bytes(8, "little") + len(ciphertext).to_bytes(8, "little")
    return poly1305(otk, mac_data)


def rfc8439_seal(key, nonce, ad, plaintext):
    ciphertext = chacha20_xor(key, 1, nonce, plaintext)
    return ciphertext + _aead_tag(key, nonce, ad, ciphertext)


def rfc8439_open(key, nonce, ad, sealed):
    """The plaintext, or None if the tag is wrong."""
    ciphertext, tag = sealed[:-16], sealed[-16:]
    if len(sealed) < 16 or not hmac.compare_digest(_aead_tag(key, nonce, ad, ciphertext), tag):
        return None
    return chacha20_xor(key, 1, nonce, ciphertext)


def noise_nonce(n):
    """Noise §12.3: 32 bits of zeros, then n as 64 bits little-endian."""
    return b"\x00" * 4 + n.to_bytes(8, "little")


def aead_encrypt(key, n, ad, plaintext):
    return rfc8439_seal(key, noise_nonce(n), ad, plaintext)


def aead_decrypt(key, n, ad, ciphertext):
    return rfc8439_open(key, noise_nonce(n), ad, ciphertext)
