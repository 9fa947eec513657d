"""twist_crt.py -- lab 4 of docs/labs.md: the whole key from small
subgroups, with the Chinese remainder theorem.

The target (docs/labs/write/targets.py, TwistVictim) returns u([k]Q) for any
u you send, on toycurve.py's weak curve (A = 100, p = 101), with a secret k
in [1, 419] that is not clamped. Section "weak" of toycurve.py stopped at
residues; here you finish the attack.
Checked by: python3 docs/labs/write/check.py twist_crt YOUR_FILE
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import toycurve  # noqa: E402
from toycurve import P, points, order, mul, u_or_0, is_square  # noqa: E402,F401

A = 100                                                     # the weak curve
TWIST_D = next(x for x in range(2, P) if not is_square(x))  # the twist: d v^2 = ...
MODULI = (8, 3, 5, 7)       # small orders: 8, 3 and 5 on the curve, 7 on the twist
BOUND = 420                 # the secret is in [1, BOUND - 1]; 2 * BOUND = lcm(MODULI)


def crt(residues, moduli):
    """TODO 1: the x in [0, product of moduli) with x = residues[i] mod
    moduli[i] for every i (the moduli are pairwise coprime)."""
    ### SOLUTION
    x, m = 0, 1
    for a, n in zip(residues, moduli):
        # x + m*t = a (mod n)  =>  t = (a - x) * m^-1 (mod n)
        t = (a - x) * pow(m, -1, n) % n
        x, m = x + m * t, m * n
    return x % m
    ### END


def point_of_order(r):
    """A point of order r on the curve (b = 1) or on its twist (b = TWIST_D),
    as (point, b). Given."""
    for b in (1, TWIST_D):
        for Q in points(A, b=b):
            if order(Q, A, b=b) == r:
                return Q, b
    raise ValueError("no point of order %d" % r)


def small_order_residues(victim):
    """TODO 2: for each r of MODULI, send the u of a point T of order r and
    return the list of the sets {c in [0, r) : u([c]T) = the answer}: the
    possible values of k mod r (two of them, c and r - c, because u cannot
    tell [c]T from [-c]T; one when c = 0 or 2c = r)."""
    ### SOLUTION
    result = []
    for r in MODULI:
        T, b = point_of_order(r)
        answer = victim.answer(T[0])
        result.append({c for c in range(r) if u_or_0(mul(c, T, A, b=b)) == answer})
    return result
    ### END


def recover_key(victim):
    """TODO 3: the victim's whole secret k. Combine one candidate per
    modulus with crt (there are 2^4 combinations); keep the ones below
    BOUND, and tell them apart with two more queries: the u of a point of
    the largest order on the curve (120) and on the twist (84), compared
    with what each candidate would answer. (Two candidates that pass both
    answer every u alike: every point's order divides 120 or 84, and u
    cannot tell Q from -Q. Such a key is as good as the secret; return
    the smallest.)"""
    ### SOLUTION
    import itertools
    options = small_order_residues(victim)
    probes = [point_of_order(120), point_of_order(84)]
    answers = [victim.answer(Q[0]) for Q, _ in probes]
    found = [k for k in sorted({crt(c, MODULI) for c in itertools.product(*options)})
             if 0 < k < BOUND and all(u_or_0(mul(k, Q, A, b=b)) == a
                                      for (Q, b), a in zip(probes, answers))]
    return found[0]
    ### END
