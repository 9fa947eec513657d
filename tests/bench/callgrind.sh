#!/bin/sh
# callgrind.sh BUILD — instruction counts of one X25519 (a shared secret, and a
# public key from the base point), one 16 KiB AEAD seal and one NN handshake
# (tests/bench/cg_target.c) under valgrind's callgrind,
# on the reference (SS_CPU=ref) and on the fast paths valgrind can run
# (SS_CPU=avx2), beside the committed baseline (callgrind_baseline.txt).
# Counts do not depend on the machine's load; a change shows as a percentage.
#
# SS_BENCH_UPDATE_BASELINE=1 rewrites the baseline with this run's counts.
set -u
build=${1:-build}
here=$(dirname "$0")
baseline="$here/callgrind_baseline.txt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: skipped, valgrind is not installed"
    exit 0
fi

printf '%-22s %14s %14s %8s\n' "instructions" "this run" "baseline" "change"
: >"$tmp/new"
for path in ref avx2; do
    for op in x25519 x25519base aead16k nn; do
        SS_CPU=$path valgrind --tool=callgrind --collect-atstart=no \
            --callgrind-out-file="$tmp/cg.out" "$build/bench/cg_target" "$op" >/dev/null 2>&1 || {
            echo "callgrind: $op (SS_CPU=$path) failed"
            continue
        }
        n=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/cg.out")
        echo "$op $path $n" >>"$tmp/new"
        base=$(awk -v o="$op" -v p="$path" '$1 == o && $2 == p { print $3 }' "$baseline" 2>/dev/null)
        if [ -n "$base" ]; then
            change=$(awk -v a="$n" -v b="$base" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }')
        else
            base="-"
            change="-"
        fi
        printf '%-22s %14s %14s %8s\n' "$op SS_CPU=$path" "$n" "$base" "$change"
        echo "BENCH callgrind=$op path=$path instructions=$n baseline=$base"
    done
done
if [ "${SS_BENCH_UPDATE_BASELINE:-}" = 1 ]; then
    {
        echo "# Instruction counts (callgrind) of tests/bench/cg_target.c: operation, SS_CPU, count."
        echo "# Written by SS_BENCH_UPDATE_BASELINE=1 make bench; compared by tests/bench/callgrind.sh."
        cat "$tmp/new"
    } >"$baseline"
    echo "callgrind: baseline rewritten ($baseline)"
fi
