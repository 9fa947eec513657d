#!/bin/sh
# run.sh BUILD — run every test program in BUILD/tests and every
# tests/test_*.sh script, show their output, and end with one summary line
# "tests: N passed, N failed, N skipped" (Check test cases, plus one per
# script or other program; a script that exits 77 was skipped). The crypto
# tests run once more on each code path the CPU can run (tests/cpu_paths.sh).
#
# SS_VALGRIND=1 runs the test programs under valgrind memcheck instead
# (any error or leak fails the program) and Check without fork, so the
# leak check sees the tests themselves; the shell scripts are not run then
# (they drive build/ssockets and tshark, not the test programs).
set -u
build=${1:-build}
runner=""
if [ "${SS_VALGRIND:-}" = 1 ]; then
    runner="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all"
    runner="$runner --errors-for-leak-kinds=all"
    export CK_FORK=no
fi
passed=0
failed=0
skipped=0
failures=""

# run_program LABEL PROGRAM [ARG...]: run one test program (under the
# runner), show its output, and add its Check results to the counts.
run_program() {
    name=$1
    shift
    echo "== $name"
    out=$($runner "$@" 2>&1)
    status=$?
    printf '%s\n' "$out"
    # Check prints e.g. "100%: Checks: 12, Failures: 0, Errors: 0"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
    elif [ $status -ne 0 ]; then
        failed=$((failed + 1))
    else
        passed=$((passed + 1)) # a program without Check (a replay) passed
    fi
    if [ $status -ne 0 ]; then failures="$failures $name"; fi
    # A program that failed without reporting a failing check still fails.
    if [ $status -ne 0 ] && [ -n "$line" ] && [ "$f" = 0 ] && [ "$e" = 0 ]; then
        failed=$((failed + 1))
    fi
}

for t in "$build"/tests/test_*; do
    case $t in *.d|*.o) continue ;; esac
    [ -x "$t" ] || continue
    run_program "$(basename "$t")" "$t"
done

# Every crypto test program (vectors, properties, differential) and every
# differential fuzz replay again on each other code path this CPU can run
# (SS_CPU, src/crypto/cpu.c; docs/performance.md). The runs above used the
# default choice, the fastest path; these force the reference and each
# fast path in turn, with the tests of the primitives that path changes
# (X25519's base-point table is in every path but ref and adx, so the ref
# run tests the reference ladder alone, and the adx run the MULX ladder for
# both key generation and shared secrets). Under valgrind,
# only the paths valgrind can run, and only the test programs.
for path in $(sh tests/cpu_paths.sh); do
    case $path in
    ref) primitives="sha256 sha3 mlkem hmac hkdf x25519 chacha20 poly1305 aead" ;;
    sse2) primitives="chacha20 aead" ;;
    avx2) primitives="chacha20 poly1305 aead mlkem" ;;
    avx512) primitives="chacha20 poly1305 aead mlkem" ;;
    sha) primitives="sha256 hmac hkdf" ;;
    adx) primitives="x25519" ;;
    *) primitives="" ;;
    esac
    export SS_CPU="$path"
    for t in $primitives; do
        [ -x "$build/tests/test_$t" ] &&
            run_program "test_$t SS_CPU=$path" "$build/tests/test_$t"
        # The replays are not built for leak checking (their OpenSSL oracle
        # keeps its providers loaded): not under valgrind, as before.
        r=$build/fuzz/replay_diff_$t
        [ -x "$r" ] && [ -z "$runner" ] || continue
        set -- "tests/fuzz/corpus/diff_$t"
        [ -d "tests/fuzz/regressions/diff_$t" ] && set -- "$@" "tests/fuzz/regressions/diff_$t"
        run_program "replay_diff_$t SS_CPU=$path" "$r" "$@"
    done
done
unset SS_CPU

for s in tests/test_*.sh; do
    [ -f "$s" ] || continue
    [ -n "$runner" ] && continue
    name=$(basename "$s")
    echo "== $name"
    SS_BUILD="$build" sh "$s"
    case $? in
    0) passed=$((passed + 1)) ;;
    77) # the script could not run here (e.g. no capture rights); it says
        # why, and under CI=true it fails instead of skipping
        skipped=$((skipped + 1))
        echo "skipped: $name" ;;
    *) failed=$((failed + 1))
       failures="$failures $name" ;;
    esac
done

echo
[ -n "$failures" ] && echo "failing:$failures"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
