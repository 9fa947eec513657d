#!/bin/sh
# test_exports.sh — the shared library exports exactly the public API:
# every function declared with SS_API in an installed header, and nothing
# else (internal helpers such as the Noise state machine stay hidden); and a
# C++ program can call every one of them (extern "C" in every header).
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
# C++: a program compiled by g++ includes <ssockets.h> and takes the
# address of every declared function; it links against the library only if
# each declaration has C linkage (the headers' extern "C"), since a C++
# name is mangled and the library exports none.
if command -v g++ >/dev/null 2>&1; then
    {
        echo '#include <stdint.h>'
        echo '#include <ssockets.h>'
        echo 'int main() {'
        echo '    volatile uintptr_t sink = 0; /* every address is really taken */'
        sed 's/.*/    sink = reinterpret_cast<uintptr_t>(\&&);/' "$tmp/declared"
        echo '    return sink == 0;'
        echo '}'
    } > "$tmp/all.cc"
    if g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Isrc -o "$tmp/all" "$tmp/all.cc" \
        "$build/libssockets.a" -pthread ${LDFLAGS:-} > "$tmp/gxx.out" 2>&1; then
        echo "ok - a C++ program links every one of the $(wc -l < "$tmp/declared") functions"
    else
        echo "not ok - the headers in C++ (g++ -std=c++11) do not link every function:"
        grep -E 'undefined reference|error' "$tmp/gxx.out" | head -n 20 | sed 's/^/    /'
        fail=1
    fi
else
    echo "not ok - g++ is needed to check the headers in C++ (install the g++ package)"
    fail=1
fi
exit $fail
