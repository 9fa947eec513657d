#!/usr/bin/env python3
"""toycurve.py -- elliptic curves from scratch, for the X25519 chapter.

    python3 docs/labs/toycurve.py SECTION

Every number of the "Elliptic curves from scratch" part of docs/x25519.md is
printed by one of these sections (standard library only):

  points   the toy curve v^2 = u^3 + 8u^2 + u over the integers mod 101, every point
  law      the group law (chord and tangent), checked on every pair of points
  orders   the group's order, the cofactor, the prime-order subgroup, the small subgroup
  twist    the u that are on no point of the curve: the twist, and its order
  ladder   the ladder's doubling and differential addition, checked on every pair
  clamp    what multiplying by a multiple of 8 does to a small-order component
  weak     a curve whose twist has small subgroups: the attack that twist security stops
  rfc      the first steps of X25519 on RFC 7748 §6.1's key, and Curve25519's twist order

The toy curve has the shape of Curve25519 (RFC 7748 §4.1): a Montgomery
curve B v^2 = u^3 + A u^2 + u with B = 1, a prime p = 5 (mod 8), A^2 - 4 not a
square, 8 times a prime points, and a twist of 4 times a prime points.
"""
import sys

P, A = 101, 8          # the toy curve: p = 101, A = 8
O = None               # the point at infinity, the group's neutral element


def is_square(x, p=P):
    x %= p
    return x == 0 or pow(x, (p - 1) // 2, p) == 1


def rhs(u, a=A, p=P):
    return (u * u * u + a * u * u + u) % p


def points(a=A, p=P, b=1):
    """Every affine point of b v^2 = u^3 + a u^2 + u over F_p."""
    inv_b = pow(b, p - 2, p)
    return [(u, v) for u in range(p) for v in range(p) if v * v % p == rhs(u, a, p) * inv_b % p]


def add(P1, P2, a=A, p=P, b=1):
    """The group law of a Montgomery curve (affine, chord and tangent)."""
    if P1 is O:
        return P2
    if P2 is O:
        return P1
    (u1, v1), (u2, v2) = P1, P2
    if u1 == u2 and (v1 + v2) % p == 0:
        return O                                  # P + (-P): a vertical line
    if P1 == P2:
        lam = (3 * u1 * u1 + 2 * a * u1 + 1) * pow(2 * b * v1, p - 2, p) % p   # tangent
    else:
        lam = (v2 - v1) * pow(u2 - u1, p - 2, p) % p                           # chord
    u3 = (b * lam * lam - a - u1 - u2) % p
    return u3, (lam * (u1 - u3) - v1) % p


def mul(k, Q, a=A, p=P, b=1):
    R = O
    for bit in bin(k)[2:]:
        R = add(R, R, a, p, b)
        if bit == "1":
            R = add(R, Q, a, p, b)
    return R


def order(Q, a=A, p=P, b=1):
    k, R = 1, Q
    while R is not O:
        R, k = add(R, Q, a, p, b), k + 1
    return k


def factor(n):
    f, d = [], 2
    while d * d <= n:
        while n % d == 0:
            f.append(d)
            n //= d
        d += 1
    return f + ([n] if n > 1 else [])


def show_point(Q):
    return "O" if Q is O else "(%d, %d)" % Q


# ------------------------------------------------------------- x-only formulas

def xdbl(X, Z, a=A, p=P):
    """Doubling on u = X/Z (see docs/x25519.md): returns (X', Z') of 2Q."""
    a24 = (a + 2) * pow(4, p - 2, p) % p
    s, d = (X + Z) ** 2 % p, (X - Z) ** 2 % p
    e = (s - d) % p                               # = 4XZ
    return s * d % p, e * (d + a24 * e) % p


def xadd(X2, Z2, X3, Z3, X1, Z1, p=P):
    """Differential addition: Q2 + Q3 from Q2, Q3 and Q2 - Q3 = (X1 : Z1)."""
    da = (X3 - Z3) * (X2 + Z2) % p
    cb = (X3 + Z3) * (X2 - Z2) % p
    return Z1 * (da + cb) ** 2 % p, X1 * (da - cb) ** 2 % p


def u_of(X, Z, p=P):
    """X/Z, or 0 for the point at infinity (Z = 0), as X25519 computes it:
    X * Z^(p-2) is 0 when Z is."""
    return X * pow(Z, p - 2, p) % p


def u_or_0(Q):
    return 0 if Q is O else Q[0]


def ladder(k, u, bits, a=A, p=P):
    """RFC 7748's ladder (without the constant-time care), from bit bits-1
    down to 0: (X2 : Z2) = [m]Q, (X3 : Z3) = [m+1]Q."""
    X2, Z2, X3, Z3 = 1, 0, u, 1
    for t in reversed(range(bits)):
        if (k >> t) & 1:
            (X2, Z2), (X3, Z3) = xadd(X2, Z2, X3, Z3, u, 1, p), xdbl(X3, Z3, a, p)
        else:
            (X3, Z3), (X2, Z2) = xadd(X2, Z2, X3, Z3, u, 1, p), xdbl(X2, Z2, a, p)
    return u_of(X2, Z2, p)


# ------------------------------------------------------------- sections

def section_points():
    pts = points()
    print("the toy curve: v^2 = u^3 + %d u^2 + u over the integers mod p = %d" % (A, P))
    print("p mod 8 = %d; A^2 - 4 = %d is %s mod p" % (P % 8, (A * A - 4) % P,
          "a square" if is_square(A * A - 4) else "not a square"))
    print("its %d affine points, plus the point at infinity O:" % len(pts))
    for i in range(0, len(pts), 8):
        print("  " + " ".join("%-10s" % show_point(Q) for Q in pts[i:i + 8]).rstrip())
    print("%d values of u have two points (v and -v), %d have one (v = 0), %d have none"
          % (len({u for u, v in pts if v}), len([1 for u, v in pts if v == 0]),
             P - len({u for u, v in pts})))


def section_law():
    pts = points()
    Q1, Q2 = pts[2], pts[5]
    print("P = %s, Q = %s" % (show_point(Q1), show_point(Q2)))
    print("P + Q = %s (the chord through P and Q meets the curve a third time; "
          "reflect it)" % show_point(add(Q1, Q2)))
    print("P + P = %s (the tangent at P)" % show_point(add(Q1, Q1)))
    print("P + (-P) = %s" % show_point(add(Q1, (Q1[0], -Q1[1] % P))))
    on = all(R is O or R[1] ** 2 % P == rhs(R[0]) for X in pts for Y in pts for R in [add(X, Y)])
    comm = all(add(X, Y) == add(Y, X) for X in pts for Y in pts)
    few = pts[:12] + [O]
    assoc = all(add(add(X, Y), Z) == add(X, add(Y, Z)) for X in few for Y in few for Z in few)
    print("for all %d x %d pairs: the sum is on the curve: %s; P + Q = Q + P: %s"
          % (len(pts) + 1, len(pts) + 1, on, comm))
    print("for %d^3 triples: (P + Q) + R = P + (Q + R): %s" % (len(few), assoc))


def base_point():
    """The prime-order point with the smallest u (as u = 9 for Curve25519)."""
    n = len(points()) + 1
    q = factor(n)[-1]
    for Q in points():
        if order(Q) == q:
            return Q


def section_orders():
    pts = points() + [O]
    n = len(pts)
    q = factor(n)[-1]
    print("the group has n = %d points = %s" % (n, " * ".join(map(str, factor(n)))))
    print("cofactor h = %d, prime subgroup order q = %d" % (n // q, q))
    counts = {}
    for Q in pts:
        counts.setdefault(order(Q), []).append(Q)
    for k in sorted(counts):
        print("  %3d points of order %d%s" % (len(counts[k]), k,
              ": " + " ".join(show_point(Q) for Q in counts[k]) if k <= 8 else ""))
    G = base_point()
    print("base point G = %s, order %d; its multiples [1]G .. [%d]G:" % (show_point(G), q, q))
    print("  " + " ".join(show_point(mul(k, G)) for k in range(1, q + 1)))
    small = [Q for Q in pts if Q is O or 8 % order(Q) == 0]
    print("the small subgroup (order dividing 8): %d points, u in %s"
          % (len(small), sorted({Q[0] for Q in small if Q is not O})))


def section_twist():
    us = {u for u, v in points()}
    off = [u for u in range(P) if u not in us]
    d = next(x for x in range(2, P) if not is_square(x))
    tw = points(b=d)
    n, nt = len(points()) + 1, len(tw) + 1
    print("%d values of u are on no point of the curve, e.g. %s" % (len(off), off[:6]))
    print("for those, u^3 + A u^2 + u is not a square; with a non-square d = %d they are on "
          "the twist" % d)
    print("  d v^2 = u^3 + %d u^2 + u, which has %d points = %s"
          % (A, nt, " * ".join(map(str, factor(nt)))))
    print("curve + twist = %d + %d = %d = 2p + 2" % (n, nt, n + nt))
    ok = all(ladder(k, Q[0], 7) == u_or_0(mul(k, Q, b=d)) for Q in tw for k in range(1, 64))
    print("the ladder never uses B (or d): on every twist point and k = 1..63 it gives "
          "u([k]Q) on the twist: %s" % ok)


def section_ladder():
    pts = points()
    checked = bad = 0
    for Q2 in pts:
        for Q3 in pts:
            diff = add(Q2, (Q3[0], -Q3[1] % P))
            s = add(Q2, Q3)
            if diff is O or diff[0] == 0:
                continue        # the formulas need u(Q2 - Q3) != 0 and a real difference
            got = u_of(*xadd(Q2[0], 1, Q3[0], 1, diff[0], 1))
            checked += 1
            bad += got != u_or_0(s)
    dbl = all(u_of(*xdbl(Q[0], 1)) == u_or_0(add(Q, Q)) for Q in pts)
    # The two steps of the derivation in docs/x25519.md, as identities of
    # polynomials in A, u2, u3: checked at 1,000 random integer points (two
    # different polynomials of degree 6 agree at random points with
    # negligible probability: the Schwartz-Zippel lemma).
    import random
    rng = random.Random(7748)
    ident = True
    for _ in range(1000):
        a, u2, u3 = (rng.randrange(-10**9, 10**9) for _ in range(3))
        f = lambda u: u ** 3 + a * u * u + u
        X = (u2 + u3) * (u2 * u3 + 1) + 2 * a * u2 * u3
        ident &= f(u2) + f(u3) - (a + u2 + u3) * (u2 - u3) ** 2 == X
        ident &= X * X - 4 * f(u2) * f(u3) == (u2 - u3) ** 2 * (u2 * u3 - 1) ** 2
    print("the derivation's two identities, at 1,000 random (A, u2, u3): %s" % ident)
    print("xDBL: u(2Q) from u(Q) alone, on all %d points: %s" % (len(pts), dbl))
    print("xADD: u(Q2 + Q3) from u(Q2), u(Q3) and u(Q2 - Q3), on %d pairs: %d wrong"
          % (checked, bad))
    G = base_point()
    k = 0b1101
    print("the ladder on k = %d = 0b%s from G = %s, bit by bit ([m]G, [m+1]G):"
          % (k, bin(k)[2:], show_point(G)))
    X2, Z2, X3, Z3 = 1, 0, G[0], 1
    m = 0
    for t in reversed(range(4)):
        bit = (k >> t) & 1
        if bit:
            (X2, Z2), (X3, Z3) = xadd(X2, Z2, X3, Z3, G[0], 1), xdbl(X3, Z3)
        else:
            (X3, Z3), (X2, Z2) = xadd(X2, Z2, X3, Z3, G[0], 1), xdbl(X2, Z2)
        m = 2 * m + bit
        print("  bit %d: m = %2d  u([m]G) = %-4s u([m+1]G) = %-4s (affine: %s, %s)"
              % (bit, m, u_of(X2, Z2), u_of(X3, Z3), show_point(mul(m, G)),
                 show_point(mul(m + 1, G))))


def section_clamp():
    G = base_point()
    R = next(Q for Q in points() if order(Q) == 8)
    mixed = add(G, R)
    print("G = %s has order %d; R = %s has order 8; G + R = %s has order %d"
          % (show_point(G), order(G), show_point(R), show_point(mixed), order(mixed)))
    for k in (16, 24, 13, 21):
        print("  k = %2d (k mod 8 = %d): [k](G + R) = %-10s [k]G = %-10s %s"
              % (k, k % 8, show_point(mul(k, mixed)), show_point(mul(k, G)),
                 "equal: R is erased" if mul(k, mixed) == mul(k, G) else
                 "differ: the answer depends on k mod 8"))


def section_weak():
    # A curve of the same p whose twist has small subgroups.
    for a in range(3, P):
        if is_square(a * a - 4):
            continue
        n = len(points(a)) + 1
        nt = 2 * P + 2 - n
        if 3 in factor(nt) and 5 in factor(nt):
            break
    d = next(x for x in range(2, P) if not is_square(x))
    tw = points(a, b=d)
    print("A = %d: the curve has %d points = %s, its twist %d = %s"
          % (a, n, " * ".join(map(str, factor(n))), nt, " * ".join(map(str, factor(nt)))))
    secret = 8 * 11                                      # a clamped-style secret scalar
    print("the victim's secret k = %d; it computes u([k]T) for any u it is sent" % secret)
    for r in sorted(set(f for f in factor(nt) if f > 2)):
        T = next(Q for Q in tw if order(Q, a, b=d) == r)
        out = ladder(secret, T[0], 7, a)
        found = [c for c in range(r) if u_or_0(mul(c, T, a, b=d)) == out]
        print("  the attacker sends u = %d, a twist point of order %d; the answer u = %d "
              "leaves k mod %d in %s (true: %d)" % (T[0], r, out, r, found, secret % r))
    print("(u alone cannot tell [c]T from [-c]T, hence two candidates.) With enough small "
          "orders the Chinese remainder theorem gives k; Curve25519's twist has none: "
          "see 'rfc'")


def is_probable_prime(n):
    if n < 2:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def sqrt25519(x, p):
    """A square root mod p = 5 (mod 8), or None."""
    r = pow(x, (p + 3) // 8, p)
    if r * r % p != x % p:
        r = r * pow(2, (p - 1) // 4, p) % p
    return r if r * r % p == x % p else None


def section_rfc():
    p, a = 2**255 - 19, 486662
    l = 2**252 + 27742317777372353535851937790883648493
    print("Curve25519 (RFC 7748 §4.1): order 8 * l, l = 2^252 + %d" % (l - 2**252))
    tw = 2 * p + 2 - 8 * l
    print("its twist has 2p + 2 - 8l = 4 * %d points" % (tw // 4))
    print("  l prime: %s; twist order / 4 prime: %s (Miller-Rabin, 12 bases); "
          "l has %d bits, the twist's prime %d" % (is_probable_prime(l), is_probable_prime(tw // 4),
                                        l.bit_length(), (tw // 4).bit_length()))
    import math
    print("  Pollard's rho, the best known attack on the discrete log in a group of order l, "
          "needs about sqrt(pi * l / 4) = 2^%.1f group operations"
          % math.log2(math.sqrt(math.pi * l / 4)))
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    k = int.from_bytes(alice, "little")
    k = (k & ~7 & ~(1 << 255)) | (1 << 254)
    print("Alice's private key (RFC 7748 §6.1), clamped: the first 5 of its 255 bits, "
          "from bit 254: %s" % bin(k)[2:7])
    u = 9
    G = (9, sqrt25519(rhs(9, a, p), p))
    X2, Z2, X3, Z3 = 1, 0, u, 1
    m = 0
    for t in range(254, 249, -1):
        bit = (k >> t) & 1
        if bit:
            (X2, Z2), (X3, Z3) = xadd(X2, Z2, X3, Z3, u, 1, p), xdbl(X3, Z3, a, p)
        else:
            (X3, Z3), (X2, Z2) = xadd(X2, Z2, X3, Z3, u, 1, p), xdbl(X2, Z2, a, p)
        m = 2 * m + bit
        affine = mul(m, G, a, p)
        print("bit %d = %d: m = %d" % (t, bit, m))
        print("  x_2 = 0x%x" % X2)
        print("  z_2 = 0x%x" % Z2)
        print("  u([m]9) = x_2/z_2 = 0x%x, the same as the group law gives: %s"
              % (u_of(X2, Z2, p), u_of(X2, Z2, p) == affine[0]))
    full = ladder(k, u, 255, a, p)
    print("after all 255 bits: %s" % full.to_bytes(32, "little").hex())


SECTIONS = {"points": section_points, "law": section_law, "orders": section_orders,
            "twist": section_twist, "ladder": section_ladder, "clamp": section_clamp,
            "weak": section_weak, "rfc": section_rfc}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SECTIONS:
        sys.exit("usage: python3 docs/labs/toycurve.py %s" % "|".join(SECTIONS))
    SECTIONS[sys.argv[1]]()
