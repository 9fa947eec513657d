#!/bin/sh
# test_avx512_ct.sh — the constant-time check of the AVX-512 paths, which
# valgrind cannot run (tests/ct runs every other path under memcheck). It
# reads the machine code the compiler produced for chacha20_avx512.c and
# poly1305_avx512.c (objdump -d) and fails on any instruction through which
# a secret could decide a branch or an address (docs/security.md):
#
#   both files:  no gather or scatter (an address computed from a vector);
#                no instruction that turns vector or mask data into flags
#                (VPTEST, KTEST, KORTEST, (U)COMIS, MOVMSK), so no branch
#                can be taken on vector data.
#   ChaCha20:    no move between vector and general-purpose registers in
#                either direction (VMOVD, VMOVQ, VPEXTR, VPINSR, a KMOV from
#                a mask into a GPR, a broadcast from a GPR): the key, the
#                state and the keystream go from memory to vector registers
#                and back to memory only, so branches, CMOVs and addresses,
#                which are computed in general-purpose registers, cannot see
#                them. (KMOV from a GPR into a mask is allowed: that is how
#                the mask of a partial block, from the length, gets there.)
#   Poly1305:    r, h and the lane sums pass through general-purpose
#                registers (the powers of r are computed there), so: no
#                CMOV or SETcc; every conditional branch in
#                ss_poly1305_blocks_avx512, on flags set by CMP/SUB/ADD/
#                TEST/DEC; they are listed for the reader (docs/security.md
#                says what each one tests).
#
# The check is first run on a known leak (a branch on vector data, built
# here), which it must report. Skipped (77) where the objects are not
# AVX-512 builds (another architecture), in sanitizer builds (make
# check-asan: the sanitizers add branches of their own; the code checked is
# the library as make builds it, with GCC by default), or when objdump is
# missing. Clang's code for chacha20_avx512.c does not pass rule 2: it
# moves key words through general-purpose registers on the way to the
# eight-block form (no branch or address uses them, but this check cannot
# prove it), so the check is of GCC's code.
set -u
build=${SS_BUILD:-build}
obj=$build/obj/crypto
command -v objdump >/dev/null 2>&1 || { echo "skip: no objdump"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "skip: no nm"; exit 77; }
for f in chacha20_avx512 poly1305_avx512; do
    [ -f "$obj/$f.o" ] || { echo "skip: $obj/$f.o not built"; exit 77; }
done
if ! objdump -d "$obj/chacha20_avx512.o" | grep -q zmm; then
    echo "skip: the AVX-512 files compiled to nothing here"
    exit 77
fi
if nm "$obj/chacha20_avx512.o" "$obj/poly1305_avx512.o" 2>/dev/null | grep -q -E '__(a|ub|t|m)san'; then
    echo "skip: a sanitizer build (its checks branch on addresses); the plain build is checked"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

# Instructions by which vector data reaches flags or addresses, in any file.
forbidden_all='gather|scatter|vptest|ktest|kortest|comis|movmsk'
cmov_setcc='cmov|set(a|ae|b|be|e|ne|g|ge|l|le|o|no|s|ns|p|np) '
# ... and, for ChaCha20, moves between vector and general-purpose registers.
vector_gpr='vmov[dq] +%[xyz]mm[0-9]+,%[re]|vmov[dq] +%[re][a-z0-9]+,%[xyz]mm|vpextr|vpinsr|kmov[a-z]* +%k[0-7],%[re]|vpbroadcast[bwdq] +%[re]'

# check OBJECT PATTERN WHAT: fail if any instruction of OBJECT matches.
check() {
    found=$(objdump -d --no-show-raw-insn "$1" | grep -E "$2")
    if [ -n "$found" ]; then
        echo "FAIL: $1: $3:"
        printf '%s\n' "$found" | head -n 10
        return 1
    fi
    return 0
}

# 0. The test of the test: a branch on vector data must be reported.
cat >"$tmp/leak.c" <<'EOF'
#include <immintrin.h>
int leak(const int *secret)
{
    __m512i v = _mm512_loadu_si512(secret);
    if (_mm512_test_epi32_mask(v, v)) /* a branch on the secret */
        return 1;
    return 0;
}
EOF
${CC:-cc} -O2 -mavx512f -c "$tmp/leak.c" -o "$tmp/leak.o" || exit 1
if check "$tmp/leak.o" "$forbidden_all" "flags from vector data" >/dev/null; then
    echo "FAIL: the check did not see the branch on vector data in a known leak"
    status=1
else
    echo "ok: a known leak (KORTEST, then a branch) is reported"
fi

# 1. Both files.
for f in chacha20_avx512 poly1305_avx512; do
    check "$obj/$f.o" "$forbidden_all" "vector data into flags or addresses" || status=1
done

# 2. ChaCha20: vector registers and general-purpose registers never meet.
check "$obj/chacha20_avx512.o" "$vector_gpr" "a move between vector and general registers" ||
    status=1

# 3. Poly1305: no CMOV or SETcc; the conditional branches, where they are and what sets their
# flags (the instruction before the jump).
check "$obj/poly1305_avx512.o" "$cmov_setcc" "CMOV or SETcc where secrets are in GPRs" || status=1
objdump -d --no-show-raw-insn "$obj/poly1305_avx512.o" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
    NF >= 2 {
        op = $2
        if (op ~ /^j/ && op != "jmp") {
            print fn, prev_op, prev_args, "->", op
        }
        if (op ~ /^(cmp|sub|add|test|dec|inc|and|or|xor)/) { prev_op = op; prev_args = $3 }
        else if (op !~ /^(mov|lea|vmov|v)/) { prev_op = "(other:" op ")"; prev_args = "" }
    }' >"$tmp/branches"
echo "Poly1305 IFMA, conditional branches (function, flag-setting instruction, jump):"
sed 's/^/    /' "$tmp/branches"
if grep -v '^<ss_poly1305_blocks_avx512>:' "$tmp/branches" | grep -q .; then
    echo "FAIL: a conditional branch outside ss_poly1305_blocks_avx512"
    status=1
fi
if grep -v -E ' (cmp|sub|add|test|dec)[a-z]* ' "$tmp/branches" | grep -q .; then
    echo "FAIL: a conditional branch on flags not set by CMP/SUB/ADD/TEST/DEC"
    status=1
fi

[ $status -eq 0 ] && echo "ok: no secret-dependent branch or address found in the AVX-512 paths"
exit $status
