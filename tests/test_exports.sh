#!/bin/sh
# test_exports.sh — the shared library exports exactly the public API:
# every function declared with SS_API in an installed header, and nothing
# else (internal helpers such as the Noise state machine stay hidden).
set -u
build=${SS_BUILD:-build}
so="$build/libssockets.so"
[ -f "$so" ] || { echo "not ok - $so missing"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Declared: the first "ss_name(" on each line starting with SS_API (the
# function name; a return type like ss_conn * has no parenthesis).
grep -h '^SS_API' src/crypto/*.h src/net/*.h | while IFS= read -r line; do
    printf '%s\n' "$line" | grep -o 'ss_[a-z0-9_]*(' | head -n 1 | tr -d '('
done | sort -u > "$tmp/declared"

nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" { print $3 }' |
    sort -u > "$tmp/exported"

fail=0
if ! cmp -s "$tmp/declared" "$tmp/exported"; then
    echo "not ok - exported symbols differ from the SS_API declarations:"
    diff "$tmp/declared" "$tmp/exported" | sed 's/^/    /'
    fail=1
else
    echo "ok - $(wc -l < "$tmp/exported") exported symbols, exactly the SS_API functions"
fi
if grep -v '^ss_' "$tmp/exported" >/dev/null; then
    echo "not ok - exported symbols without the ss_ prefix"
    fail=1
fi
exit $fail
