#!/bin/sh
# test_noise_hfs_vectors.sh — the published hybrid handshake vectors
# (docs/vectors/noise_hfs_mlkem768.json: Noise NNhfs, NKhfs, XXhfs with
# 25519+MLKEM768) are exactly what the independent Python computation
# (tests/gen/noise_hfs_vectors.py: hashlib, hmac, python3-cryptography, the
# ML-KEM values from NIST ACVP) writes. tests/test_noise.c then requires the
# C handshake to reproduce every value in the same file.
set -u
vectors=docs/vectors/noise_hfs_mlkem768.json
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
# Debian's python3, where tests/deps.sh installs python3-cryptography.
if ! /usr/bin/python3 tests/gen/noise_hfs_vectors.py >"$tmp"; then
    echo "not ok - tests/gen/noise_hfs_vectors.py failed"
    exit 1
fi
if cmp -s "$tmp" "$vectors"; then
    echo "ok - $vectors is the independent computation's output"
else
    echo "not ok - $vectors differs from the output of tests/gen/noise_hfs_vectors.py:"
    diff "$vectors" "$tmp" | head -n 20 | sed 's/^/    /'
    echo "    regenerate: python3 tests/gen/noise_hfs_vectors.py > $vectors"
    exit 1
fi
