#!/bin/sh
# run.sh BUILD — make bench: every figure, as a table for people and one
# "BENCH key=value ..." line per figure for programs (grep '^BENCH').
#
#   1. primitives beside libsodium and OpenSSL (bench_primitives);
#   2. network beside TLS 1.3 and raw TCP, heap per connection, server RSS
#      with 10,000 connections (bench_net);
#   3. peak RSS of the ssockets command piping 100 MiB, both ends;
#   4. instruction counts under callgrind, beside the baseline;
#   5. the Python binding's benchmark, when tests/bench/bench_python.py exists.
set -u
build=${1:-build}
here=$(dirname "$0")

model=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine: ${model:-unknown CPU}, $(nproc) cores, $(uname -sr)"
echo "libraries: libsodium $(pkg-config --modversion libsodium 2>/dev/null)," \
    "OpenSSL $(pkg-config --modversion openssl 2>/dev/null)"
echo "SS_CPU=${SS_CPU:-(unset: the fastest paths)}"
echo

# The line under each figure that bench_primitives and bench_net do not
# print themselves (tests/bench/paths.h prints it for theirs): the CPU's
# vector extensions, and the SS_CPU path the library takes here.
flags=" $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*://') "
extensions=""
for f in sse2 avx2 avx512f avx512vl avx512bw avx512ifma sha_ni bmi2 adx; do
    case $flags in *" $f "*) extensions="$extensions $f" ;; esac
done
paths=$(sh "$here/../cpu_paths.sh" | grep -E '^(sse2|avx2|avx512)$' | tail -n 1)
for p in sha adx; do
    sh "$here/../cpu_paths.sh" | grep -q "^$p\$" && paths="${paths:+$paths,}$p"
done
path_line() {
    echo "    (CPU extensions:${extensions:- none}; path: SS_CPU=${1:-${SS_CPU:-$paths}})"
}

echo "== primitives (ratio > 1: ours is faster)"
"$build/bench/bench_primitives" || exit 1
echo
# ML-KEM has no other library beside it here; its reference path, in the
# same run, is what the fast paths are measured against.
echo "== ML-KEM-768 on the reference path (SS_CPU=ref), beside the figures above"
SS_CPU=ref SS_BENCH_ONLY=mlkem768 "$build/bench/bench_primitives" |
    sed -n -e '/^mlkem768/p' -e 's/^BENCH primitive=\(mlkem768-[a-z-]*\) /BENCH primitive=\1 path=ref /p' ||
    exit 1
echo
echo "== network and memory"
"$build/bench/bench_net" || exit 1
echo

echo "== peak RSS of the ssockets command piping 100 MiB"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(/usr/bin/time -f %M -o "$tmp/listen.rss" "$build/ssockets" listen 127.0.0.1 "$port" \
    </dev/null 2>/dev/null | wc -c >"$tmp/count") &
sleep 0.5 # the listener binds within milliseconds
head -c 104857600 /dev/zero |
    /usr/bin/time -f %M -o "$tmp/connect.rss" "$build/ssockets" connect 127.0.0.1 "$port" \
        2>/dev/null
wait
l=$(tail -n 1 "$tmp/listen.rss")
c=$(tail -n 1 "$tmp/connect.rss")
echo "listen: $l KiB, connect: $c KiB, bytes through: $(cat "$tmp/count")"
echo "BENCH memory=cli-peak-rss-100MiB unit=KiB listen=$l connect=$c"
path_line
echo

echo "== instruction counts (callgrind)"
sh "$here/callgrind.sh" "$build"
path_line "ref and avx2, as each row says (valgrind runs neither AVX-512 nor the SHA extensions)"

if [ -f "$here/bench_python.py" ]; then
    echo
    echo "== Python binding"
    SS_BUILD="$build" python3 "$here/bench_python.py"
    path_line
fi
