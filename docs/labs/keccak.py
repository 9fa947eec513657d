#!/usr/bin/env python3
"""keccak.py -- SHA-3 from the standard's own algorithms, for docs/sha3.md.

    python3 docs/labs/keccak.py SECTION

A second, independent Keccak: the state as FIPS 202 draws it, A[x][y] a lane
of 64 bits (Python integers), every step written as its algorithm in §3.2,
and the two tables of the C code (ρ's offsets, ι's round constants) computed
here from Algorithms 2 and 5 instead of being copied. Nothing is imported from
SSockets; the sections compare with Python's hashlib and with the Keccak
team's intermediate values in vectors/xkcp.

  tables   ρ's offsets (Algorithm 2) and ι's round constants (Algorithm 5)
  trace    round 0 of Keccak-f[1600] on the padded empty message of SHA3-256,
           the 25 lanes after each step, then the state after all 24 rounds
           beside the Keccak team's file
  sponge   SHA3-256, SHA3-512, SHAKE128 and SHAKE256 of a few messages,
           against hashlib; and the same rate with the other suffix
"""
import hashlib
import sys

W = 64                 # lane size w (b = 25 w = 1600, §3.1)
MASK = (1 << W) - 1


def rot(v, n):
    """The lane v moved n bits along z (left, modulo 64)."""
    n %= W
    return ((v << n) | (v >> (W - n))) & MASK


# ------------------------------------------------------------ the tables

def rho_offsets():
    """Algorithm 2: walk (x, y) -> (y, 2x + 3y) from (1, 0); the t-th lane
    of the walk is rotated by (t + 1)(t + 2)/2."""
    r = [[0] * 5 for _ in range(5)]
    x, y = 1, 0
    for t in range(24):
        r[x][y] = (t + 1) * (t + 2) // 2 % W
        x, y = y, (2 * x + 3 * y) % 5
    return r


def rc(t):
    """Algorithm 5: bit t of the LFSR x^8 + x^6 + x^5 + x^4 + 1 output."""
    if t % 255 == 0:
        return 1
    R = [1, 0, 0, 0, 0, 0, 0, 0]
    for _ in range(t % 255):
        R = [0] + R
        R[0] ^= R[8]
        R[4] ^= R[8]
        R[5] ^= R[8]
        R[6] ^= R[8]
        R = R[:8]
    return R[0]


def round_constant(i):
    """Algorithm 6, step 2-3: RC has bit 2^j - 1 = rc(j + 7i), j = 0..6."""
    return sum(rc(j + 7 * i) << (2 ** j - 1) for j in range(7))


RHO = rho_offsets()
RC = [round_constant(i) for i in range(24)]

# ------------------------------------------------------------ the steps (§3.2)


def theta(A):
    C = [A[x][0] ^ A[x][1] ^ A[x][2] ^ A[x][3] ^ A[x][4] for x in range(5)]
    D = [C[(x - 1) % 5] ^ rot(C[(x + 1) % 5], 1) for x in range(5)]
    return [[A[x][y] ^ D[x] for y in range(5)] for x in range(5)]


def rho(A):
    return [[rot(A[x][y], RHO[x][y]) for y in range(5)] for x in range(5)]


def pi(A):
    return [[A[(x + 3 * y) % 5][x] for y in range(5)] for x in range(5)]


def chi(A):
    return [[A[x][y] ^ (~A[(x + 1) % 5][y] & A[(x + 2) % 5][y] & MASK)
             for y in range(5)] for x in range(5)]


def iota(A, i):
    A = [col[:] for col in A]
    A[0][0] ^= RC[i]
    return A


STEPS = [("θ", theta), ("ρ", rho), ("π", pi), ("χ", chi)]


def keccak_f(A):
    for i in range(24):
        for _, step in STEPS:
            A = step(A)
        A = iota(A, i)
    return A

# ------------------------------------------------------------ state <-> bytes


def from_bytes(s):
    """§3.1.2: lane (x, y) is bytes 8(x + 5y) .. +8 of the state string,
    least significant byte first (§B.1)."""
    return [[int.from_bytes(s[8 * (x + 5 * y):8 * (x + 5 * y) + 8], "little")
             for y in range(5)] for x in range(5)]


def to_bytes(A):
    return b"".join(A[i % 5][i // 5].to_bytes(8, "little") for i in range(25))

# ------------------------------------------------------------ the sponge (§4, §5.1, §6)


def sponge(msg, rate, suffix, out_len):
    """KECCAK[c] with the domain bits and pad10*1 as one suffix byte
    (§B.2): the suffix after the message, 0x80 in the last byte of the rate."""
    padded = bytearray(msg) + bytes([suffix])
    padded += bytes(-len(padded) % rate)
    padded[-1] |= 0x80
    A = from_bytes(bytes(200))
    for k in range(0, len(padded), rate):
        block = padded[k:k + rate] + bytes(200 - rate)
        A = keccak_f(from_bytes(bytes(a ^ b for a, b in zip(to_bytes(A), block))))
    out = b""
    while len(out) < out_len:
        out += to_bytes(A)[:rate]
        A = keccak_f(A)
    return out[:out_len]


def sha3_256(m): return sponge(m, 136, 0x06, 32)
def sha3_512(m): return sponge(m, 72, 0x06, 64)
def shake128(m, n): return sponge(m, 168, 0x1F, n)
def shake256(m, n): return sponge(m, 136, 0x1F, n)

# ------------------------------------------------------------ sections


def grid(A):
    """The lanes as FIPS 202 Figure 2 numbers them: one line per y (0 at
    the top here), x = 0..4 from left to right; a zero lane is '.'."""
    for y in range(5):
        print("  y=%d  " % y + " ".join(
            ("%016x" % A[x][y]) if A[x][y] else "%16s" % "." for x in range(5)))


def section_tables():
    print("ρ offsets r[x][y] (Algorithm 2), one line per y:")
    for y in range(5):
        print("  y=%d " % y + " ".join("%2d" % RHO[x][y] for x in range(5)))
    print("ι round constants (Algorithm 5):")
    for i in range(0, 24, 4):
        print("  " + " ".join("0x%016x" % RC[j] for j in range(i, i + 4)))


def xkcp_empty_message():
    """The first example of the Keccak team's SHA3-256 file: the empty
    message, its permutation input and output (200 bytes each)."""
    lines = open("vectors/xkcp/KeccakSpongeIntermediateValues_SHA3-256.txt").read().split("\n")
    get = lambda label: bytes.fromhex(lines[lines.index(label) + 1])
    return get("Input of permutation:"), get("State after permutation:")


def section_trace():
    block_in, block_out = xkcp_empty_message()
    A = from_bytes(block_in)
    print("SHA3-256 of the empty message: the one block to permute is the suffix")
    print("0x06 in byte 0 and 0x80 in byte 135, the last byte of the 136-byte rate:")
    grid(A)
    for name, step in STEPS:
        A = step(A)
        print("round 0, after %s:" % name)
        grid(A)
    A = iota(A, 0)
    print("round 0, after ι (RC[0] = 0x%016x):" % RC[0])
    grid(A)
    for i in range(1, 24):
        for _, step in STEPS:
            A = step(A)
        A = iota(A, i)
    out = to_bytes(A)
    print("after 24 rounds, the first 32 bytes (the digest):", out[:32].hex())
    print("the Keccak team's state after the permutation:    ", block_out[:32].hex())
    print("all 200 bytes equal:", out == block_out)
    print("hashlib.sha3_256(b''):                            ",
          hashlib.sha3_256(b"").hexdigest())


def section_sponge():
    msgs = [b"", b"abc", bytes(135), bytes(136), bytes(range(256)) * 2]
    ok = True
    for m in msgs:
        ok &= sha3_256(m) == hashlib.sha3_256(m).digest()
        ok &= sha3_512(m) == hashlib.sha3_512(m).digest()
        ok &= shake128(m, 300) == hashlib.shake_128(m).digest(300)
        ok &= shake256(m, 300) == hashlib.shake_256(m).digest(300)
    print("SHA3-256, SHA3-512, SHAKE128, SHAKE256 of %d messages (0 to 512 bytes)"
          " equal hashlib's: %s" % (len(msgs), ok))
    m = b"abc"
    print("rate 136, suffix 0x06 (SHA3-256):     ", sponge(m, 136, 0x06, 32).hex())
    print("rate 136, suffix 0x1F (SHAKE256, 32): ", sponge(m, 136, 0x1F, 32).hex())
    print("hashlib.shake_256(b'abc'), 32 bytes:  ", hashlib.shake_256(m).hexdigest(32))


SECTIONS = {"tables": section_tables, "trace": section_trace, "sponge": section_sponge}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SECTIONS:
        sys.exit("usage: keccak.py " + "|".join(SECTIONS))
    SECTIONS[sys.argv[1]]()
