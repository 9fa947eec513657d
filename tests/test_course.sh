#!/bin/sh
# test_course.sh — facts of the course that a reader could get wrong and a
# program can recompute (issue 22's errors, each guarded where it can be):
#  - x25519.md: the sign of DA − CB, checked as a polynomial identity (at
#    random points mod a large prime) against the formula the chapter prints;
#  - x25519.md: ten limbs of 26 and 25 bits make 255 (the "25.5-bit" limbs
#    of x25519_field.h), and the chapter no longer says "26-bit";
#  - x25519.md: u, u with bit 255 set, and u + p give one shared secret
#    (build/examples/sstool), and the real server accepts an ephemeral key
#    with bit 255 set: same ck, different h (tests/course/encodings.py);
#  - protocol.md: in the XX -> NK rewrite the *server's* length check fails
#    first (rewrite_frame0.py: the server reports message 1's length, the
#    client only a closed connection);
#  - noise.c's trace example lines are lines a real NN session traces;
#  - handshake.md and security.md: an XX client without a pin hands its
#    static key to whatever server answers (here the course's attacker key);
#  - docs/keyschedule.svg: no arrow of the ck or h chain (nor its head)
#    crosses a label (text boxes estimated from the monospace font's advance).
# Run by tests/run.sh with SS_BUILD (POSIX sh), from the repository root.
set -u
build=${SS_BUILD:-build}
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
check() { if [ $? -eq 0 ]; then ok "$1"; else not_ok "$1"; [ -f "$tmp/out" ] && sed 's/^/#   /' "$tmp/out"; fi; }
if [ ! -x "$build/ssockets" ] || [ ! -x "$build/examples/sstool" ]; then
    not_ok "$build/ssockets and $build/examples/sstool exist (run make first)"
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-course.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export SS_BUILD="$build"

# ------------------------------------------------ DA − CB, as the chapter prints it
formula=$(grep -o 'DA − CB = 2([^)]*)' docs/x25519.md | head -n 1)
python3 - "$formula" >"$tmp/out" 2>&1 <<'PY'
import random, sys
f = sys.argv[1]                                  # e.g. "DA − CB = 2(X₃Z₂ − X₂Z₃)"
terms = f.split("2(")[1].rstrip(")").replace("₂", "2").replace("₃", "3").split(" − ")
p = 2**255 - 19
for _ in range(100):
    v = {n: random.randrange(p) for n in ("X2", "Z2", "X3", "Z3")}
    da = (v["X3"] - v["Z3"]) * (v["X2"] + v["Z2"])
    cb = (v["X3"] + v["Z3"]) * (v["X2"] - v["Z2"])
    prod = lambda t: v[t[:2]] * v[t[2:]]
    assert (da - cb - 2 * (prod(terms[0]) - prod(terms[1]))) % p == 0, f
print("identity holds:", f)
PY
check "x25519.md: the printed DA − CB = 2(...) is the identity, sign included"

# ------------------------------------------------ the limbs
python3 -c 'assert 5 * 26 + 5 * 25 == 255 and (5 * 26 + 5 * 25) / 10 == 25.5' &&
    grep -q "5 × 26 + 5 × 25 = 255" docs/x25519.md && ! grep -q "26-bit ones" docs/x25519.md &&
    grep -q "ten 25.5-bit limbs" src/crypto/x25519_field.h
check "x25519.md and x25519_field.h agree: ten limbs of 25.5 bits on average"

# ------------------------------------------------ equivalent encodings
sstool=$build/examples/sstool
k=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a   # RFC 7748 §6.1's Alice
u=0900000000000000000000000000000000000000000000000000000000000000
u_high=0900000000000000000000000000000000000000000000000000000000000080
u_plus_p=f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f
python3 -c "assert int.from_bytes(bytes.fromhex('$u_plus_p'), 'little') == 9 + 2**255 - 19" &&
    a=$("$sstool" x25519 $k $u) && b=$("$sstool" x25519 $k $u_high) &&
    c=$("$sstool" x25519 $k $u_plus_p) && [ "$a" = "$b" ] && [ "$a" = "$c" ] &&
    [ "$a" = "$(sed -n 's/^AlicePublic = //p' vectors/rfc7748/x25519.txt)" ]
check "x25519.md: u = 9, 9 with bit 255 set, and 9 + p give one result (RFC 7748 §6.1's public key)"
python3 tests/course/encodings.py >"$tmp/out" 2>&1 && ! grep -q ": False" "$tmp/out"
check "x25519.md: the real server accepts an ephemeral key with bit 255 set: same ck, other h"

# ------------------------------------------------ protocol.md: who fails first
python3 docs/labs/attacks/rewrite_frame0.py >"$tmp/out" 2>&1 &&
    sed -n '/== 1\./,/== 2\./p' "$tmp/out" >"$tmp/one" &&
    grep -q "^server: ssockets: malformed frame or handshake message: handshake message 1 (32 bytes)" "$tmp/one" &&
    grep -Eq "^client: .*(closed the connection|closed at once)" "$tmp/one" &&
    grep -q "XX rewritten to NK fails at the \*server\*" docs/protocol.md
check "protocol.md: in the XX -> NK rewrite the server's length check fails first"

# ------------------------------------------------ noise.c's trace example
sh docs/keys/session.sh nn >"$tmp/nn" 2>&1 &&
    e=$(sed -n 's/^ \*     initiator -> msg 1 write: token e: e.pub = \([0-9a-f]*\)\.\.\.$/\1/p' src/net/noise.c) &&
    ck=$(sed -n 's/^ \*     initiator <- msg 2 read: MixKey: ck = \([0-9a-f]*\)\.\.\., k = \([0-9a-f]*\)\.\.\.$/\1 \2/p' src/net/noise.c) &&
    [ -n "$e" ] && [ -n "$ck" ] &&
    grep -q "^client: initiator -> msg 1 write: token e: e.pub = $e" "$tmp/nn" &&
    grep -q "^client: initiator <- msg 2 read: MixKey: ck = ${ck% *}[0-9a-f]*, k = ${ck#* }" "$tmp/nn"
check "noise.c: the trace example's lines (e.pub, MixKey) are what a real NN session traces"

# ------------------------------------------------ unpinned XX and identity hiding
cp docs/labs/attacks/attacker.key "$tmp/attacker.key" && cp docs/keys/init_static.key "$tmp/client.key" &&
    chmod 600 "$tmp/attacker.key" "$tmp/client.key" &&
    { timeout 20 "$build/ssockets" listen --key "$tmp/attacker.key" 127.0.0.1 0 \
        </dev/null >/dev/null 2>"$tmp/server.err" & } &&
    port="" && i=0 && while [ -z "$port" ] && [ $i -lt 100 ]; do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server.err"); i=$((i + 1)); sleep 0.1
    done && [ -n "$port" ] &&
    echo hello | timeout 20 "$build/ssockets" connect --key "$tmp/client.key" 127.0.0.1 "$port" \
        >/dev/null 2>"$tmp/out" && wait &&
    client_pub=$("$build/ssockets" pubkey "$tmp/client.key") && [ -n "$client_pub" ] &&
    grep -q "connected, Noise_XX_25519_ChaChaPoly_SHA256, peer key $client_pub" "$tmp/server.err"
check "XX without a pin: the client's static key goes to whatever server answers"

# ------------------------------------------------ the key schedule's arrows
python3 - docs/keyschedule.svg >"$tmp/out" 2>&1 <<'PY'
import re, sys, html
svg = open(sys.argv[1]).read()
size = float(re.search(r'font-size="(\d+)"', svg).group(1))
advance = 0.6 * size           # a monospace glyph is about 0.6 em wide
texts = [(float(x), float(y), html.unescape(t)) for x, y, t in
         re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg)]
arrows = [tuple(map(float, a)) for a in re.findall(
    r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"[^>]*marker-end', svg)]
assert len(arrows) >= 10, "the chains' arrows"
bad = []
for x1, y1, x2, y2 in arrows:
    for tx, ty, t in texts:
        # the text's box: [tx, tx + advance * len] x [ty - size, ty + 3];
        # the arrow's: its line, widened by the head's half-width (4) and
        # lengthened by the head's length (8, drawn back from y2).
        if (tx - 4 <= x1 <= tx + advance * len(t) + 4 and
                min(y1, y2 - 8) <= ty + 3 and ty - size <= max(y1, y2)):
            bad.append("arrow at x=%g, y=%g..%g crosses %r" % (x1, y1, y2, t))
print("\n".join(bad) or "%d arrows, %d labels, no crossing" % (len(arrows), len(texts)))
sys.exit(1 if bad else 0)
PY
check "docs/keyschedule.svg: no arrow of the chains crosses a label"

exit $fail
