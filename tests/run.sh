#!/bin/sh
# run.sh BUILD — run every test program in BUILD/tests and every
# tests/test_*.sh script, show their output, and end with one summary line
# "tests: N passed, N failed" (Check test cases, plus one per script).
set -u
build=${1:-build}
passed=0
failed=0
failures=""

for t in "$build"/tests/test_*; do
    case $t in *.d|*.o) continue ;; esac
    [ -x "$t" ] || continue
    name=$(basename "$t")
    echo "== $name"
    out=$("$t" 2>&1)
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
    fi
    if [ $status -ne 0 ]; then failures="$failures $name"; fi
    # A program that failed without reporting a failing check still fails.
    if [ $status -ne 0 ] && [ -n "$line" ] && [ "$f" = 0 ] && [ "$e" = 0 ]; then
        failed=$((failed + 1))
    fi
done

for s in tests/test_*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s")
    echo "== $name"
    if SS_BUILD="$build" sh "$s"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $name"
    fi
done

echo
[ -n "$failures" ] && echo "failing:$failures"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
