#!/bin/sh
# test_x25519_table.sh — the committed base-point table
# (src/crypto/x25519_base_table.h) is exactly what its generator
# (tests/gen/x25519_base_table.c) writes: nobody edited it by hand, and a
# change to the generator was followed by a regeneration.
set -u
build=${SS_BUILD:-build}
gen="$build/gen/x25519_base_table"
table=src/crypto/x25519_base_table.h
if [ ! -x "$gen" ]; then
    echo "not ok - $gen missing (make tests builds it)"
    exit 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
if ! "$gen" >"$tmp"; then
    echo "not ok - $gen failed"
    exit 1
fi
if cmp -s "$tmp" "$table"; then
    echo "ok - $table is the generator's output ($(wc -l <"$table") lines)"
else
    echo "not ok - $table differs from the output of $gen:"
    diff "$table" "$tmp" | head -n 20 | sed 's/^/    /'
    echo "    regenerate: $gen > $table"
    exit 1
fi
