#!/bin/sh
# test_ct.sh — the constant-time check (tests/ct/ct.c explains the method).
#
# 1. build/ct/ct under valgrind memcheck, every secret marked undefined:
#    zero errors, in particular no "Conditional jump or move depends on
#    uninitialised value(s)" (a branch on a secret) and no "Use of
#    uninitialised value" (a secret used as an address). The one allowed
#    decision, ss_aead_open's accept/reject, is suppressed by tests/ct/ct.supp.
# 2. The aead_open step again WITHOUT the suppression: it must report, and
#    everything it reports must be a conditional jump at one and the same
#    instruction of ss_aead_open, reached exactly once per call (ct counts
#    calls and errors) — so the suppression hides that single decision and
#    nothing else, not even an early-exit comparison loop, which is also a
#    single instruction but runs once per tag byte.
# 3. The same two runs for build/ct/ct-clang (the library built by clang).
# 4. The test of the test: build/ct/leaky's branch on a secret and its
#    secret table index must be reported; its masked versions must not.
set -u
build=${SS_BUILD:-build}
here=$(dirname "$0")
supp="$here/ct/ct.supp"
# Any error makes valgrind exit with this status instead of the program's.
verr=99

if ! command -v valgrind >/dev/null 2>&1; then
    echo "not ok - valgrind is not installed: the constant-time check cannot run"
    echo "         (tests/deps.sh installs it; on Debian: apt-get install valgrind)"
    exit 1
fi

# A sanitizer build (make check-asan) cannot run under valgrind: both want
# to own the process's memory. This check belongs to the plain build.
if nm "$build/ct/ct" 2>/dev/null | grep -Eq '__(asan|ubsan|msan|tsan)_'; then
    echo "ok - constant-time check skipped: $build/ct/ct is built with sanitizers," \
        "which cannot run under valgrind (plain make check runs it)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# run LOG PROGRAM ARGS...: memcheck, quiet (only errors are printed), its
# output and the program's in LOG; sets $status.
run() {
    log=$1
    shift
    valgrind -q --error-exitcode=$verr "$@" >"$log" 2>&1
    status=$?
}

# show LOG: the output, indented, after a "not ok" line.
show() {
    sed 's/^/    /' "$1"
}

# hint LOG: a known way valgrind itself fails, explained.
hint() {
    if grep -q 'unhandled dwarf2 abbrev form' "$1"; then
        echo "    (this valgrind cannot read the DWARF 5 debug info that clang -g writes;"
        echo "     build without -g, or add -gdwarf-4 to CFLAGS)"
    fi
}

# errors LOG: one line per distinct error, "<message>|<address>: <function>",
# from the innermost frame ("at") of each report.
errors() {
    sed -n 's/^==[0-9]*== //p' "$1" | awk '
        /^[A-Z]/ { kind = $0; top = 1; next }
        top && $1 == "at" { print kind "|" $2 " " $3; top = 0 }' | sort -u
}

# check_ct LABEL PROGRAM: runs 1 and 2 above on one build of ct.
check_ct() {
    label=$1
    prog=$2
    if [ ! -x "$prog" ]; then
        echo "not ok - $label: $prog missing (make tests builds it)"
        fail=1
        return
    fi

    run "$tmp/all.log" --suppressions="$supp" "$prog"
    steps=$(grep -c '^ct: [a-z0-9_]*$' "$tmp/all.log")
    if [ "$status" -eq 0 ] && ! grep -q 'uninitialised' "$tmp/all.log"; then
        echo "ok - $label: $steps steps with secrets undefined, no branch or address depends on them"
    else
        if [ "$status" -eq $verr ]; then
            why="valgrind reported errors"
        elif grep -q '^ct: .*FAILED' "$tmp/all.log"; then
            why="a functional check failed"
        else
            why="exit status $status"
        fi
        echo "not ok - $label: $why"
        show "$tmp/all.log"
        hint "$tmp/all.log"
        fail=1
    fi

    run "$tmp/open.log" "$prog" aead_open
    found=$(errors "$tmp/open.log")
    count=$(printf '%s\n' "$found" | grep -c .)
    want='^Conditional jump or move depends on uninitialised value\(s\)\|0x[0-9A-Fa-f]+: ss_aead_open$'
    # "ct: aead_open: N calls, M errors inside them"
    calls=$(sed -n 's/^ct: aead_open: \([0-9]*\) calls, .*/\1/p' "$tmp/open.log")
    inside=$(sed -n 's/^ct: aead_open: .* calls, \([0-9]*\) errors .*/\1/p' "$tmp/open.log")
    if [ "$status" -eq $verr ] && [ "$count" -eq 1 ] &&
        printf '%s\n' "$found" | grep -Eq "$want" &&
        [ -n "$calls" ] && [ "$calls" -gt 0 ] && [ "$inside" = "$calls" ]; then
        echo "ok - $label: unsuppressed, ss_aead_open reports only its accept/reject decision" \
            "(one conditional jump, at ${found#*|}, once in each of $calls calls)"
    else
        echo "not ok - $label: without ct.supp, ss_aead_open should report one conditional" \
            "jump (its decision) once per call; got $count distinct error(s)," \
            "${inside:-?} errors in ${calls:-?} calls, exit status $status"
        show "$tmp/open.log"
        hint "$tmp/open.log"
        fail=1
    fi
}

# Once per code path valgrind can run (SS_CPU: the reference, SSE2, AVX2;
# src/crypto/cpu.c). The SHA-extension path cannot run under valgrind: its
# constant-time argument is in its comments (src/crypto/sha256_shani.c).
for path in $(SS_VALGRIND=1 sh "$here/cpu_paths.sh"); do
    export SS_CPU="$path"
    check_ct "ct ($build/ct/ct, the library as built, SS_CPU=$path)" "$build/ct/ct"

    if [ -e "$build/ct/ct-clang" ] || command -v clang >/dev/null 2>&1; then
        check_ct "ct-clang ($build/ct/ct-clang, the library built by clang, SS_CPU=$path)" \
            "$build/ct/ct-clang"
    else
        echo "ok - ct-clang: skipped, clang is not installed"
    fi
done
unset SS_CPU

# The test of the test.
leaky="$build/ct/leaky"
if [ ! -x "$leaky" ]; then
    echo "not ok - $leaky missing (make tests builds it)"
    exit 1
fi
# expect_leak MODE MESSAGE FUNCTION: valgrind must report MESSAGE in FUNCTION.
expect_leak() {
    run "$tmp/leak.log" "$leaky" "$1"
    if [ "$status" -eq $verr ] && errors "$tmp/leak.log" | grep -q "^$2.*: $3\$"; then
        echo "ok - leaky $1: reported (\"$2\" in $3)"
    else
        echo "not ok - leaky $1: valgrind did not report \"$2\" in $3 (exit status $status)"
        show "$tmp/leak.log"
        fail=1
    fi
}
expect_leak branch "Conditional jump or move depends on uninitialised value" leaky_compare
expect_leak index "Use of uninitialised value of size" leaky_lookup

run "$tmp/leak.log" "$leaky" masked
if [ "$status" -eq 0 ] && ! grep -q 'uninitialised' "$tmp/leak.log"; then
    echo "ok - leaky masked: the constant-time versions are not reported"
else
    echo "not ok - leaky masked: the constant-time versions were reported (exit status $status)"
    show "$tmp/leak.log"
    fail=1
fi

exit $fail
