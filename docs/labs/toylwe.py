#!/usr/bin/env python3
"""toylwe.py -- lattices and ML-KEM from scratch, for docs/mlkem.md.

    python3 docs/labs/toylwe.py SECTION

Every number of docs/mlkem.md's toy examples is printed by one of these
sections (standard library only; nothing is taken from SSockets' C code):

  lwe       learning with errors by hand: q = 13, a secret of 2 numbers, 4
            noisy equations; exact equations are solved by elimination,
            noisy ones are not, and brute force is what remains
  regev     one bit encrypted with those equations (Regev's scheme), and why
            it decrypts: the errors stay below q/4
  ring      the ring Z_q[X]/(X^n + 1): multiplication wraps X^n to -1
  ntt       the number-theoretic transform on a toy ring (q = 17, n = 8):
            evaluate at the 8 roots of X^8 + 1, multiply pointwise, come back
  q3329     ML-KEM's q = 3329: 17 is a primitive 256th root of unity, there is
            no 512th, so X^256 + 1 splits into 128 factors of degree 2
  compress  Compress_d and Decompress_d (FIPS 203 §4.2.1), their error, and the
            division-free formula that avoids KyberSlash
  cca       a decryption oracle recovers the toy secret in a few dozen queries;
            the Fujisaki-Okamoto transform with implicit rejection stops it
"""
import hashlib
import itertools
import math
import sys

# ------------------------------------------------------------ the toy LWE instance

Q = 13                                  # the modulus
S = [3, 5]                              # the secret
A = [[11, 7], [4, 2], [8, 1], [7, 7]]   # public random coefficients, one row per equation
E = [1, -1, 0, 1]                       # small secret errors, each in {-1, 0, 1}


def dot(u, v, q=Q):
    return sum(a * b for a, b in zip(u, v)) % q


def centred(x, q=Q):
    """x mod q as a number between -q/2 and q/2: "how far from 0"."""
    x %= q
    return x - q if x > q // 2 else x


B = [(dot(row, S) + e) % Q for row, e in zip(A, E)]


def solve2(rows, rhs, q=Q):
    """Solves two linear equations in two unknowns mod q (Cramer's rule)."""
    (a, b), (c, d) = rows
    det = (a * d - b * c) % q
    inv = pow(det, q - 2, q)
    return [(rhs[0] * d - b * rhs[1]) * inv % q, (a * rhs[1] - rhs[0] * c) * inv % q]


def section_lwe():
    print("q = %d, secret s = %s, errors e = %s" % (Q, S, E))
    for row, e, b in zip(A, E, B):
        print("  %2d*s0 + %2d*s1 + (%2d) = %2d  (mod %d)" % (row[0], row[1], e, b, Q))
    exact = [dot(row, S) for row in A]
    print("without errors, rows 1 and 2 solved by elimination give", solve2(A[:2], exact[:2]))
    print("with errors, the same elimination gives              ", solve2(A[:2], B[:2]))
    fits = [list(c) for c in itertools.product(range(Q), repeat=2)
            if all(abs(centred(b - dot(row, c))) <= 1 for row, b in zip(A, B))]
    print("brute force: of %d candidates, those leaving every error in {-1, 0, 1}: %s"
          % (Q * Q, fits))
    print("ML-KEM-768's secret has 3 * 256 = 768 numbers mod 3329: about 2^%d candidates"
          % int(768 * math.log2(3329)))


def encrypt_bit(bit, r):
    """Regev: add up the equations chosen by r (0 or 1 each) and hide the bit
    in the right-hand side, as 0 or round(q/2)."""
    u = [sum(ri * row[j] for ri, row in zip(r, A)) % Q for j in range(2)]
    v = (sum(ri * b for ri, b in zip(r, B)) + bit * ((Q + 1) // 2)) % Q
    return u, v


def decrypt_bit(u, v, s=S):
    """v - <u, s> is the bit times round(q/2) plus the sum of the chosen
    errors: 1 when closer to q/2 than to 0."""
    w = (v - dot(u, s)) % Q
    return int(abs(centred(w)) > Q // 4), w


def section_regev():
    r = [1, 1, 0, 1]
    print("choose equations r = %s (rows 1, 2 and 4)" % r)
    for bit in (0, 1):
        u, v = encrypt_bit(bit, r)
        got, w = decrypt_bit(u, v)
        noise = sum(ri * e for ri, e in zip(r, E))
        print("bit %d: ciphertext u = %s, v = %2d; v - <u, s> = %2d = %d*7 + (%d) -> decrypts to %d"
              % (bit, u, v, w, bit, noise, got))
    worst = max(abs(sum(ri * e for ri, e in zip(rr, E)))
                for rr in itertools.product((0, 1), repeat=4))
    right = all(decrypt_bit(*encrypt_bit(bit, list(rr)))[0] == bit
                for bit in (0, 1) for rr in itertools.product((0, 1), repeat=4))
    print("every r and bit: the summed error is at most %d < q/4 = %.2f; all 32 decrypt: %s"
          % (worst, Q / 4, right))

# ------------------------------------------------------------ rings and the NTT


def ring_mul(f, g, q):
    """f * g in Z_q[X]/(X^n + 1): schoolbook, with X^n = -1."""
    n = len(f)
    h = [0] * n
    for i in range(n):
        for j in range(n):
            k, sign = (i + j) % n, (1 if i + j < n else -1)
            h[k] = (h[k] + sign * f[i] * g[j]) % q
    return h


def section_ring():
    q, f, g = 17, [1, 2, 3, 4], [5, 0, 0, 1]
    print("in Z_17[X]/(X^4 + 1): f = 1 + 2X + 3X^2 + 4X^3, g = 5 + X^3")
    print("  X^3 * X^3 = X^6 = X^4 * X^2 = -X^2: the product wraps with a minus sign")
    print("  f * g =", " + ".join("%d X^%d" % (c, i) for i, c in enumerate(ring_mul(f, g, q))))


def ntt(f, zeta, q):
    """Evaluates f at the n roots of X^n + 1: zeta^(2i+1), i = 0..n-1."""
    n = len(f)
    return [sum(c * pow(zeta, (2 * i + 1) * j, q) for j, c in enumerate(f)) % q for i in range(n)]


def inv_ntt(F, zeta, q):
    """Interpolates back: f_j = n^-1 * sum_i F_i * zeta^-(2i+1)j."""
    n = len(F)
    n_inv, z_inv = pow(n, q - 2, q), pow(zeta, q - 2, q)
    return [n_inv * sum(c * pow(z_inv, (2 * i + 1) * j, q) for i, c in enumerate(F)) % q
            for j in range(n)]


def section_ntt():
    q, n, zeta = 17, 8, 3
    print("q = %d, n = %d: q - 1 = 16 = 2n, and zeta = %d has order %d (3^8 = %d = -1 mod 17)"
          % (q, n, zeta, next(k for k in range(1, q) if pow(zeta, k, q) == 1), pow(zeta, 8, q)))
    roots = [pow(zeta, 2 * i + 1, q) for i in range(n)]
    print("the roots of X^8 + 1: zeta^1, zeta^3, ..., zeta^15 =", roots,
          "; each r^8 = -1:", all(pow(r, 8, q) == q - 1 for r in roots))
    f, g = [1, 2, 3, 4, 0, 0, 0, 0], [5, 0, 0, 1, 0, 0, 0, 2]
    F, G = ntt(f, zeta, q), ntt(g, zeta, q)
    H = [a * b % q for a, b in zip(F, G)]
    print("f =", f, "-> NTT", F)
    print("g =", g, "-> NTT", G)
    print("pointwise product", H, "-> inverse NTT", inv_ntt(H, zeta, q))
    print("schoolbook f * g mod (X^8 + 1):            ", ring_mul(f, g, q))
    print("8 products instead of 64; with the fast NTT, n log n work instead of n^2")


def bitrev7(i):
    return int("{:07b}".format(i)[::-1], 2)


def poly_mul_plain(f, g, q):
    h = [0] * (len(f) + len(g) - 1)
    for i, a in enumerate(f):
        for j, b in enumerate(g):
            h[i + j] = (h[i + j] + a * b) % q
    return h


def section_q3329():
    q, zeta = 3329, 17
    order = next(k for k in range(1, q) if pow(zeta, k, q) == 1)
    print("q = 3329 is prime: %s; q - 1 = %d = 2^8 * 13"
          % (all(q % d for d in range(2, 58)), q - 1))
    print("17 has order %d mod q; 17^128 mod q = %d = -1" % (order, pow(zeta, 128, q)))
    print("a root of X^256 + 1 would need order 512, and 512 does not divide 3328: %s"
          % ((q - 1) % 512 != 0))
    gammas = [pow(zeta, 2 * bitrev7(i) + 1, q) for i in range(128)]
    product = [1]
    for g in gammas:
        product = poly_mul_plain(product, [(-g) % q, 0, 1], q)    # times (X^2 - gamma)
    print("the 128 factors X^2 - 17^(2 BitRev7(i) + 1), multiplied out, give X^256 + 1: %s"
          % (product == [1] + [0] * 255 + [1]))
    print("first gammas (FIPS 203 Appendix A):", gammas[:6])

# ------------------------------------------------------------ compression


def compress(x, d, q=3329):
    """FIPS 203 (4.7): round(2^d / q * x) mod 2^d, exactly (rounding half up)."""
    return ((x << d) * 2 + q) // (2 * q) % (1 << d)


def decompress(y, d, q=3329):
    """FIPS 203 (4.8): round(q / 2^d * y)."""
    return (y * q * 2 + (1 << d)) // (1 << (d + 1))


def section_compress():
    q = 3329
    for d in (1, 4, 10):
        worst = max(abs(centred(decompress(compress(x, d), d) - x, q)) for x in range(q))
        print("d = %2d: Compress(1000) = %4d, Decompress of it = %4d; worst error %3d"
              " (round(q / 2^(d+1)) = %d)"
              % (d, compress(1000, d), decompress(compress(1000, d), d), worst,
                 (q * 2 + (1 << (d + 1))) // (1 << (d + 2))))
    print("d = 1 is the message bit: 0 for x near 0, 1 for x near q/2 = 1664.5:",
          [compress(x, 1) for x in (0, 832, 833, 1664, 2496, 2497, 3328)])
    fast = lambda x, d: ((((x << d) + 1665) * 1290167) >> 32) & ((1 << d) - 1)
    for d in (1, 4, 10, 11):
        wrong = sum(fast(x, d) != compress(x, d) for x in range(q))
        print("division-free ((x << d) + 1665) * 1290167 >> 32, d = %2d: %d of 3329 values wrong"
              % (d, wrong))

# ------------------------------------------------------------ chosen ciphertexts


def G(*parts):
    return hashlib.sha3_512(b"".join(bytes(str(p), "ascii") + b"|" for p in parts)).digest()


def r_from(seed):
    """Deterministic 'random' choice of equations from a hash (as ML-KEM's r)."""
    return [seed[i] & 1 for i in range(4)]


def fo_encaps(m):
    """(K, r) = G(m || H(ek)); c = Encrypt(ek, m, r)."""
    kr = G("m", m, "ek", A, B)
    return encrypt_bit(m, r_from(kr[32:])), kr[:32]


def fo_decaps(c, z=b"toy z"):
    """m' = Decrypt(c); (K', r') = G(m' || H(ek)); re-encrypt; if c' != c
    return J(z || c) (implicit rejection), else K'."""
    m = decrypt_bit(*c)[0]
    kr = G("m", m, "ek", A, B)
    if encrypt_bit(m, r_from(kr[32:])) != c:
        return hashlib.shake_256(z + repr(c).encode()).digest(32), False
    return kr[:32], True


def section_cca():
    # The attacker's ciphertexts: u = k * (unit vector j), v = 3. Decryption
    # computes 3 - k * s_j and says whether it is nearer q/2 than 0: a bit
    # about s_j that depends on k.
    crafted = [(([k, 0] if j == 0 else [0, k]), 3) for j in (0, 1) for k in range(1, Q)]

    def learn(oracle):
        cands = [set(range(Q)), set(range(Q))]
        for (u, v) in crafted:
            j = 0 if u[1] == 0 else 1
            bit = oracle((u, v))
            if bit is None:
                continue
            cands[j] = {c for c in cands[j]
                        if decrypt_bit(u, v, [c, c])[0] == bit}
        return cands

    # Without FO: the KEM's key is a hash of the decrypted bit, and the
    # attacker, who can hash 0 and 1 too, reads the bit off the key.
    keys = {hashlib.sha3_256(bytes([b])).digest(): b for b in (0, 1)}
    plain = learn(lambda c: keys[hashlib.sha3_256(bytes([decrypt_bit(*c)[0]])).digest()])
    print("without FO: %d crafted ciphertexts; candidates left for s0: %s, for s1: %s"
          % (len(crafted), sorted(plain[0]), sorted(plain[1])))
    # With FO: every crafted ciphertext fails the re-encryption check, and
    # the key returned is J(z || c): the attacker sees neither 0 nor 1.
    results = [fo_decaps(c) for c in crafted]
    passed = sum(ok for _, ok in results)
    fo = learn(lambda c: keys.get(fo_decaps(c)[0]))
    print("with FO: %d of %d crafted ciphertexts pass the re-encryption check;"
          " candidates left: %d for s0, %d for s1" % (passed, len(crafted), len(fo[0]), len(fo[1])))
    c, k = fo_encaps(1)
    print("an honest ciphertext still works: decaps gives the sender's key: %s"
          % (fo_decaps(c) == (k, True)))


SECTIONS = {"lwe": section_lwe, "regev": section_regev, "ring": section_ring,
            "ntt": section_ntt, "q3329": section_q3329, "compress": section_compress,
            "cca": section_cca}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SECTIONS:
        sys.exit("usage: toylwe.py " + "|".join(SECTIONS))
    SECTIONS[sys.argv[1]]()
