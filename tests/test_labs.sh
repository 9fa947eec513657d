#!/bin/sh
# test_labs.sh — the labs of docs/labs.md and the programs of docs/labs do
# what the course says they do.
#
# Run by tests/run.sh with SS_BUILD set to the build directory (POSIX sh),
# from the repository root. Prints "ok - ..." or "not ok - ..." per check
# and exits non-zero if any check failed. Checked:
#  - the Noise lab's checker passes the solution, fails the skeleton (at
#    TODO 1), and fails four broken solutions, each at the step its bug
#    belongs to (a checker that cannot fail would prove nothing);
#  - docs/keyschedule.svg is what docs/labs/keyschedule.py draws now;
#  - the toy curve's facts (group law, orders, ladder formulas, twist,
#    RFC 7748 §6.1 public key);
#  - the Python Keccak of docs/sha3.md (its tables, its digests against
#    hashlib and the Keccak team's state) and the toy lattice of
#    docs/mlkem.md (LWE, Regev, the NTT, q = 3329, compression, the
#    chosen-ciphertext attack and what the FO transform leaves of it);
#  - the attacks: the man in the middle reads NN and the fingerprints
#    differ, NK and XX refuse it; both frame-0 rewrites fail; the NK replay
#    is answered but its data refused; the timing lab compiles warning-free,
#    takes its calls and rounds as options and runs (its times are printed,
#    never asserted: they depend on the machine); its usage line is its own.
set -u

build=${SS_BUILD:-build}
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
check() {   # check DESCRIPTION: ok if the commands just before succeeded
    if [ $? -eq 0 ]; then ok "$1"; else not_ok "$1"; [ -f "$tmp/out" ] && sed 's/^/#   /' "$tmp/out"; fi
}

if [ ! -x "$build/ssockets" ]; then
    not_ok "$build/ssockets exists (run make first)"
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-labs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export SS_BUILD="$build"

# ---------------------------------------------------------------- Noise by hand
python3 docs/labs/noise/check.py docs/labs/solutions/noise_lab.py >"$tmp/out" 2>&1 &&
    grep -q "^all steps pass" "$tmp/out" && [ "$(grep -c '^ok ' "$tmp/out")" -eq 11 ]
check "Noise lab: the solution passes all 11 steps of the checker"
! python3 docs/labs/noise/check.py docs/labs/noise/noise_lab.py >"$tmp/out" 2>&1 &&
    grep -q "^FAIL 1 MixHash: SymmetricState.mix_hash is still a TODO" "$tmp/out"
check "Noise lab: the skeleton fails, at TODO 1"

# mutant NAME STEP PYTHON-SUBSTITUTION: the solution with one bug fails at STEP.
mutant() {
    python3 - "$3" docs/labs/solutions/noise_lab.py >"$tmp/mutant.py" <<'PY' 2>"$tmp/out"
import sys
old, new = sys.argv[1].split(" => ")
source = open(sys.argv[2]).read()
assert old in source, old
sys.stdout.write(source.replace(old, new, 1))
PY
    ! python3 docs/labs/noise/check.py "$tmp/mutant.py" >"$tmp/out" 2>&1 &&
        grep -q "^FAIL $2" "$tmp/out"
    check "Noise lab: a solution with $1 fails at step $2"
}
mutant "h and data swapped in MixHash" "1 MixHash" \
    "self.h = sha256(self.h + data) => self.h = sha256(data + self.h)"
mutant "n not reset by MixKey" "2 MixKey" \
    "self.cipher.k, self.cipher.n = temp_k, 0 => self.cipher.k = temp_k"
mutant "the plaintext hashed instead of the ciphertext" "3 EncryptAndHash" \
    "self.mix_hash(ciphertext)
        return ciphertext => self.mix_hash(plaintext)
        return ciphertext"
mutant "k1 and k2 swapped" "4 Split" "c1.k, c2.k = k1, k2 => c1.k, c2.k = k2, k1"
mutant "the ephemeral key not hashed" "5 NN" \
    "message += self.e[1]
                self.symmetric.mix_hash(self.e[1]) => message += self.e[1]"

# ---------------------------------------------------------------- the key schedule
sh docs/keys/session.sh xx >"$tmp/xx" 2>"$tmp/out" &&
    python3 docs/labs/keyschedule.py --svg <"$tmp/xx" >"$tmp/ks.svg" &&
    cmp -s "$tmp/ks.svg" docs/keyschedule.svg
check "docs/keyschedule.svg is what keyschedule.py draws from a session now"
python3 docs/labs/keyschedule.py <"$tmp/xx" >"$tmp/out" &&
    grep -q "sealed with k = .*, n = 1, ad = h6" "$tmp/out" &&
    [ "$(grep -c '^ck[1-9] = ' "$tmp/out")" -eq 3 ]
check "the key schedule: three MixKeys, and msg 3's s is the second use of its key"

# ---------------------------------------------------------------- the toy curve
toy() { python3 docs/labs/toycurve.py "$1" >"$tmp/out" 2>&1; }
toy law && grep -q "the sum is on the curve: True; P + Q = Q + P: True" "$tmp/out" &&
    grep -q "(P + Q) + R = P + (Q + R): True" "$tmp/out"
check "toy curve: the group law is closed, commutative and associative"
toy orders && grep -q "cofactor h = 8, prime subgroup order q = 11" "$tmp/out"
check "toy curve: 8 * 11 points"
toy ladder && grep -q "on all 87 points: True" "$tmp/out" && grep -q ": 0 wrong" "$tmp/out" &&
    grep -q "the derivation's two identities, .*: True" "$tmp/out"
check "toy curve: the ladder's doubling and differential addition match the group law"
toy twist && grep -q "116 points = 2 \* 2 \* 29" "$tmp/out" &&
    grep -q "u(\[k\]Q) on the twist: True" "$tmp/out"
check "toy curve: the twist has 4 * 29 points and the ladder computes on it"
toy weak && grep -q "leaves k mod 7 in \[3, 4\] (true: 4)" "$tmp/out"
check "toy curve: a weak twist leaks k mod 7"
alice_pub=$(sed -n 's/^AlicePublic = //p' vectors/rfc7748/x25519.txt)
toy rfc && grep -q "after all 255 bits: $alice_pub\$" "$tmp/out" &&
    grep -q "l prime: True; twist order / 4 prime: True" "$tmp/out" &&
    [ "$(grep -c 'the same as the group law gives: True' "$tmp/out")" -eq 5 ]
check "toy curve: the ladder on Curve25519 gives RFC 7748 §6.1's public key; l and the twist are prime"

# ---------------------------------------------------------------- SHA-3 and the toy lattice
keccak() { python3 docs/labs/keccak.py "$1" >"$tmp/out" 2>&1; }
keccak sponge && grep -q "of 5 messages (0 to 512 bytes) equal hashlib's: True" "$tmp/out"
check "keccak.py: SHA3-256/512 and SHAKE128/256 equal hashlib's"
keccak trace && grep -q "^all 200 bytes equal: True" "$tmp/out"
check "keccak.py: Keccak-f of the empty SHA3-256 block equals the Keccak team's state"
keccak tables && grep -q "0x8000000080008008" "$tmp/out"
check "keccak.py: the round constants from Algorithm 5"
toylwe() { python3 docs/labs/toylwe.py "$1" >"$tmp/out" 2>&1; }
toylwe lwe && grep -q "those leaving every error in {-1, 0, 1}: \[\[3, 5\]\]" "$tmp/out" &&
    grep -q "without errors, rows 1 and 2 solved by elimination give \[3, 5\]" "$tmp/out"
check "toy LWE: exact equations give s by elimination, the noisy ones only by search"
toylwe regev && grep -q "all 32 decrypt: True" "$tmp/out"
check "toy LWE: Regev's scheme decrypts every bit for every choice of equations"
toylwe ntt && grep -q "inverse NTT \[1, 4, 7, 4, 2, 3, 4, 2\]" "$tmp/out" &&
    grep -q "mod (X^8 + 1): *\[1, 4, 7, 4, 2, 3, 4, 2\]" "$tmp/out"
check "toy NTT: the pointwise product comes back as the ring product"
toylwe q3329 && grep -q "17 has order 256 mod q" "$tmp/out" &&
    grep -q "give X^256 + 1: True" "$tmp/out"
check "q = 3329: 17 is a primitive 256th root, X^256 + 1 splits into 128 quadratics"
toylwe compress && grep -q "d = 10: 0 of 3329 values wrong" "$tmp/out" &&
    grep -q "worst error 832 (round(q / 2^(d+1)) = 832)" "$tmp/out"
check "toy compression: the error bound, and the division-free formula for d <= 10"
toylwe cca && grep -q "candidates left for s0: \[3\], for s1: \[5\]" "$tmp/out" &&
    grep -q "0 of 24 crafted ciphertexts pass" "$tmp/out" &&
    grep -q "decaps gives the sender's key: True" "$tmp/out"
check "toy FO: a decryption oracle gives the secret away; re-encryption stops it"

# ---------------------------------------------------------------- the attacks
sh docs/labs/attacks/mitm.sh nn >"$tmp/out" 2>&1 &&
    grep -q "^attacker read, client -> server: hello from the client" "$tmp/out" &&
    grep -q "^attacker read, server -> client: hi from the server" "$tmp/out" &&
    grep -q "^verdict: the fingerprints differ" "$tmp/out"
check "attack 1: a man in the middle reads NN; the fingerprints differ"
sh docs/labs/attacks/mitm.sh nk >"$tmp/out" 2>&1 &&
    grep -q "^client  : ssockets: the server's static key is not the pinned key" "$tmp/out" &&
    grep -q "^attacker read, client -> server: \$" "$tmp/out"
check "attack 1: NK: the client refuses the man in the middle, which reads nothing of it"
sh docs/labs/attacks/mitm.sh xx >"$tmp/out" 2>&1 &&
    grep -q "^client  : ssockets: the server's static key is not the pinned key" "$tmp/out" &&
    grep -q "^server  : ssockets: the client's static key is not the pinned key" "$tmp/out"
check "attack 1: XX: both sides refuse the man in the middle"
python3 docs/labs/attacks/rewrite_frame0.py >"$tmp/out" 2>&1 &&
    [ "$(grep -c '^proxy: frame 0 rewritten' "$tmp/out")" -eq 2 ] &&
    ! grep -q "^client: ssockets: connected" "$tmp/out" &&
    grep -q "^server: ssockets: malformed frame" "$tmp/out" &&
    grep -q "^client: ssockets: authentication failed" "$tmp/out"
check "attack 2: both frame-0 rewrites fail (a length, then a tag)"
python3 docs/labs/attacks/replay_nk.py >"$tmp/out" 2>&1 &&
    grep -q "the server answered with handshake message 2 (48 bytes)" "$tmp/out" &&
    grep -q "server: ssockets: authentication failed: .*transport frame 0" "$tmp/out"
check "attack 3: a replayed NK message 1 is answered; the replayed data is refused"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -Isrc -o "$tmp/timing" \
    docs/labs/attacks/timing.c >"$tmp/out" 2>&1 &&
    "$tmp/timing" --calls 20 --rounds 3 1 >"$tmp/out" 2>&1 &&
    [ "$(grep -c 'per 20 calls' "$tmp/out")" -eq 2 ] &&
    [ "$(grep -c 'bytes recovered' "$tmp/out")" -eq 2 ] && {
        "$tmp/timing" 17 >/dev/null 2>"$tmp/err"; [ $? -eq 2 ]; } &&
    [ "$(head -n 1 "$tmp/err")" = "usage: timing [--calls N] [--rounds N] [BYTES]" ] &&
    grep -q 'raise --rounds, then --calls' "$tmp/err" && {
        "$tmp/timing" --rounds 0 >/dev/null 2>&1; [ $? -eq 2 ]; }
check "attack 4: the timing lab compiles warning-free, takes --calls and --rounds, runs and prints its measurements; its usage says what to raise"
sed 's/^/#   /' "$tmp/out"

exit $fail
