#!/bin/sh
# test_x25519_table.sh — the committed base-point table
# (src/crypto/x25519_base_table.h):
#   1. is exactly what its generator (tests/gen/x25519_base_table.c) writes:
#      nobody edited it by hand, and a change to the generator was followed
#      by a regeneration;
#   2. holds the right points: every entry is computed again in Python from
#      the parameters RFC 7748 §4.1 prints (vectors/rfc7748/edwards25519.txt),
#      with none of this project's C code.
set -u
build=${SS_BUILD:-build}
gen="$build/gen/x25519_base_table"
table=src/crypto/x25519_base_table.h
if [ ! -x "$gen" ]; then
    echo "not ok - $gen missing (make tests builds it)"
    exit 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
if ! "$gen" >"$tmp"; then
    echo "not ok - $gen failed"
    exit 1
fi
fail=0
if cmp -s "$tmp" "$table"; then
    echo "ok - $table is the generator's output ($(wc -l <"$table") lines)"
else
    echo "not ok - $table differs from the output of $gen:"
    diff "$table" "$tmp" | head -n 20 | sed 's/^/    /'
    echo "    regenerate: $gen > $table"
    fail=1
fi

# 2. Independently of the generator and of every line of C in the library:
# the table computed again in Python from RFC 7748 §4.1's edwards25519
# (vectors/rfc7748/edwards25519.txt), with the affine addition law of the
# twisted Edwards curve (a = -1) and Python's integers.
if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok - python3 is needed for the independent check of $table"
    exit 1
fi
python3 - "$table" vectors/rfc7748/edwards25519.txt <<'PY' || fail=1
import re, sys

table_text = open(sys.argv[1]).read()
params = {}
for line in open(sys.argv[2]):
    m = re.match(r"^(\w+) = (.*)$", line.strip())
    if m:
        params[m.group(1)] = m.group(2)
p = 2**255 - 19
assert params["P"] == "2^255 - 19"
d = int(params["D"])
order = 2**252 + int(params["Order"].split("+ ")[1], 16)
xp, yp, up = int(params["XP"]), int(params["YP"]), int(params["UP"])

def inv(a):
    return pow(a, p - 2, p)

def add(P, Q):
    # -x^2 + y^2 = 1 + d x^2 y^2: x3 = (x1 y2 + y1 x2) / (1 + d x1 x2 y1 y2),
    # y3 = (y1 y2 + x1 x2) / (1 - d x1 x2 y1 y2)
    (x1, y1), (x2, y2) = P, Q
    t = d * x1 * x2 * y1 * y2 % p
    return ((x1 * y2 + y1 * x2) * inv(1 + t) % p, (y1 * y2 + x1 * x2) * inv(1 - t) % p)

def mul(k, P):
    R = (0, 1)
    for bit in bin(k)[2:]:
        R = add(R, R)
        if bit == "1":
            R = add(R, P)
    return R

def check():
    B = (xp, yp)
    assert (-xp * xp + yp * yp - 1 - d * xp * xp * yp * yp) % p == 0, "B is not on the curve"
    assert (1 + yp) * inv(1 - yp) % p == up, "B does not map to u = 9"
    assert mul(order, B) == (0, 1), "B does not have the stated order"

    limbs = [int(x, 16) for x in re.findall(r"0x([0-9a-f]+)", table_text)]
    assert len(limbs) == 32 * 8 * 3 * 5, "the table has %d limbs" % len(limbs)
    assert max(limbs) < 2**51, "a limb of 51 bits or more"

    def value(i):
        v = sum(limbs[i + k] << (51 * k) for k in range(5))
        assert v < p, "an element not reduced below p"
        return v

    row = B
    for j in range(32):
        P = row
        for m in range(1, 9):
            x, y = P
            i = (j * 8 + m - 1) * 15
            want = ((y + x) % p, (y - x) % p, 2 * d * x * y % p)
            got = (value(i), value(i + 5), value(i + 10))
            assert got == want, "entry [%d][%d] (%d * 256^%d B) differs" % (j, m - 1, m, j)
            P = add(P, row)
        row = mul(256, row)
    print("ok - all 256 entries equal m * 256^j * B computed in Python from RFC 7748 §4.1 "
          "(B on the curve, of the stated order, and mapped to u = 9)")

try:
    check()
except AssertionError as e:
    print("not ok - the table, checked in Python against RFC 7748 §4.1: %s" % e)
    sys.exit(1)
PY
exit $fail
