#!/bin/sh
# test_labs_write.sh — the "write the attack" labs of docs/labs.md (labs 2
# to 7): for each, the checker docs/labs/write/check.py passes the folded
# solution (docs/labs/solutions/LAB.py) at every step, and fails the
# skeleton (docs/labs/write/LAB.py) at step 1, where its first TODO is.
# Also: solutions with one bug fail at the step the bug belongs to (a
# checker that cannot fail at its later steps would prove little); and each skeleton is its solution with the solution blocks replaced by
# a TODO, so that the two cannot drift apart. POSIX sh, from the top of the
# repository after make (lab 7 ends against the real `ssockets listen`);
# needs python3 and python3-cryptography (tests/deps.sh).
set -u
build=${SS_BUILD:-build}
export SS_BUILD="$build"     # lab 7's last step talks to the real server
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-labs-write.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

lab() {   # lab NAME STEPS FIRST-TODO: STEPS ok lines for the solution
    python3 docs/labs/write/check.py "$1" "docs/labs/solutions/$1.py" >"$tmp/out" 2>&1 &&
        grep -q "^all steps pass" "$tmp/out" && [ "$(grep -c '^ok ' "$tmp/out")" -eq "$2" ]
    if [ $? -eq 0 ]; then ok "lab $1: the solution passes all $2 checks"
    else not_ok "lab $1: the solution passes all $2 checks"; sed 's/^/#   /' "$tmp/out"; fi
    ! python3 docs/labs/write/check.py "$1" >"$tmp/out" 2>&1 &&
        grep -q "^FAIL 1 .*: $3 is still a TODO" "$tmp/out"
    if [ $? -eq 0 ]; then ok "lab $1: the skeleton fails at step 1 ($3)"
    else not_ok "lab $1: the skeleton fails at step 1 ($3)"; sed 's/^/#   /' "$tmp/out"; fi
    python3 - "$1" >"$tmp/out" 2>&1 <<'PY'
import re, sys
name = sys.argv[1]
solution = open("docs/labs/solutions/%s.py" % name).read()
skeleton = open("docs/labs/write/%s.py" % name).read()
blank = re.sub(r"( *)### SOLUTION\n.*?\1### END\n",
               lambda m: m.group(1) + "raise NotImplementedError  # your code here\n",
               solution, flags=re.S)
strip = lambda s: [l for l in s.splitlines() if not l.startswith("sys.path.insert")]
assert strip(blank) == strip(skeleton), "skeleton and solution differ outside the TODOs"
PY
    if [ $? -eq 0 ]; then ok "lab $1: the skeleton is the solution with its TODOs blanked"
    else not_ok "lab $1: the skeleton is the solution with its TODOs blanked"; sed 's/^/#   /' "$tmp/out"; fi
}
lab nonce_reuse 3 plaintext_xor
lab length_extension 4 md_padding
lab twist_crt 6 crt
lab fingerprint 5 nn_hash
lab no_es 3 impersonate
lab low_order_nk 5 low_order_point
# mutant LAB STEP "OLD => NEW": the solution with one bug fails at STEP.
mutant() {
    python3 - "$3" "docs/labs/solutions/$1.py" >"$tmp/$1.py" 2>"$tmp/out" <<'PY'
import sys
old, new = sys.argv[1].split(" => ")
source = open(sys.argv[2]).read()
assert old in source, old
sys.stdout.write(source.replace(old, new, 1))
PY
    ! python3 docs/labs/write/check.py "$1" "$tmp/$1.py" >"$tmp/out" 2>&1 &&
        grep -q "^FAIL $2" "$tmp/out"
    if [ $? -eq 0 ]; then ok "lab $1: a solution with one bug fails at step $2"
    else not_ok "lab $1: a solution with one bug fails at step $2"; sed 's/^/#   /' "$tmp/out"; fi
}
mutant nonce_reuse "2 Poly1305 key" "s = (T1 - (C1 * r * r => s = (T2 - (C1 * r * r"
mutant nonce_reuse "3 forgery" "C3, L = poly1305_input(c3) => C3, L = poly1305_input(new_plaintext)"
mutant length_extension "1 padding" "(8 * length).to_bytes(8, \"big\") => (length).to_bytes(8, \"big\")"
mutant length_extension "3 forgery" "length = SECRET_LENGTH + len(message) => length = len(message)"
mutant twist_crt "3 whole key" "probes = [point_of_order(120), point_of_order(84)] => probes = [point_of_order(4)]"
mutant no_es "2 read" "c1, _ = state.symmetric.split() => _, c1 = state.symmetric.split()"
exit $fail
