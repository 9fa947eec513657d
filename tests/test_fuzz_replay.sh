#!/bin/sh
# test_fuzz_replay.sh — every committed fuzz input, replayed (make check).
#
# For each target with a seed corpus in tests/fuzz/corpus/<target>, runs
# $SS_BUILD/fuzz/replay_<target> (the target built with the normal
# compiler and tests/fuzz/replay.c, see tests/fuzz/fuzz.mk) over its seeds
# and its regression inputs (tests/fuzz/regressions/<target>). A crash, an
# abort from one of the target's checks, or a missing binary is a failure.
# This keeps every crash the fuzzer ever found fixed, and every seed valid,
# without clang or libFuzzer. Prints one ok / not ok line per target.
set -u
build=${SS_BUILD:-build}
n=0
bad=0
for corpus in tests/fuzz/corpus/*/; do
    t=$(basename "$corpus")
    n=$((n + 1))
    bin=$build/fuzz/replay_$t
    regressions=tests/fuzz/regressions/$t
    if [ ! -x "$bin" ]; then
        echo "not ok $n - $t: $bin is missing (make tests builds it)"
        bad=1
        continue
    fi
    set -- "$corpus"
    [ -d "$regressions" ] && set -- "$@" "$regressions"
    if out=$("$bin" "$@" 2>&1); then
        echo "ok $n - $t: $(printf '%s\n' "$out" | sed -n 's/^replay: //p') replayed"
    else
        echo "not ok $n - $t:"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
        bad=1
    fi
done
if [ "$n" -eq 0 ]; then
    echo "not ok - no fuzz corpus found in tests/fuzz/corpus"
    exit 1
fi
exit $bad
