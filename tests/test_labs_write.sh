#!/bin/sh
# test_labs_write.sh — the "write the attack" labs of docs/labs.md (labs 2
# to 7): for each, the checker docs/labs/write/check.py passes the folded
# solution (docs/labs/solutions/LAB.py) at every step, and fails the
# skeleton (docs/labs/write/LAB.py) at step 1, where its first TODO is.
# Also: each skeleton is its solution with the solution blocks replaced by
# a TODO, so that the two cannot drift apart. POSIX sh, from the top of the
# repository; needs python3 and python3-cryptography (tests/deps.sh).
set -u
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
lab low_order_nk 4 low_order_point
exit $fail
