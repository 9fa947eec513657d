#!/bin/sh
# run.sh DIR SECONDS TARGET... — `make fuzz`: run each libFuzzer target
# DIR/fuzz_<target> for SECONDS seconds, one after the other, and print a
# summary. Exits 1 if any target failed.
#
# Each target starts from a fresh copy of its committed seeds and
# regression inputs (tests/fuzz/corpus/<target>, tests/fuzz/regressions/
# <target>) in DIR/corpus/<target>; what the fuzzer adds stays there for
# a look afterwards (copy the interesting ones into the committed corpus by
# hand). A failure is any non-zero exit of libFuzzer (a crash, an abort from
# a harness check, a sanitizer report, a leak, a timeout, running out of
# memory) or any file in DIR/artifacts/<target>; the log is
# DIR/logs/<target>.log, and the input that failed is in the artifacts
# directory: replay it with DIR/fuzz_<target> FILE, then commit it to
# tests/fuzz/regressions/<target>/.
set -u
dir=$1
seconds=$2
shift 2

failed=""
summary=""
for t in "$@"; do
    bin=$dir/fuzz_$t
    corpus=$dir/corpus/$t
    artifacts=$dir/artifacts/$t
    log=$dir/logs/$t.log
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts" "$dir/logs"
    for src in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
        [ -d "$src" ] || continue
        for f in "$src"/*; do
            case $(basename "$f") in README*) continue ;; esac
            [ -f "$f" ] && cp "$f" "$corpus/"
        done
    done
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"

    echo "== fuzz $t: $seconds s"
    # -timeout: one input running 10 s is a hang. -rss_limit_mb: a leak
    # that grows without end. -print_final_stats: the execution count.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" $dict "$corpus" >"$log" 2>&1
    status=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    units=$(ls "$corpus" | wc -l | tr -d ' ')
    found=$(ls "$artifacts" | wc -l | tr -d ' ')
    if [ "$status" -eq 0 ] && [ "$found" -eq 0 ]; then
        result=ok
    else
        result=FAILED
        failed="$failed $t"
        echo "fuzz $t FAILED (exit $status); end of $log:"
        tail -n 40 "$log"
        ls "$artifacts" | sed "s|^|  artifact: $artifacts/|"
    fi
    summary="$summary$(printf '%-22s %6s s %12s execs %8s/s  cov %6s  corpus %6s  %s' \
        "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$units" "$result")
"
done

echo
echo "fuzz summary (logs in $dir/logs):"
printf '%s' "$summary"
if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed"
    exit 1
fi
echo "fuzz: every target ($#) ran $seconds s without a finding"
