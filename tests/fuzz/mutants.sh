#!/bin/sh
# mutants.sh [WORKDIR] [SECONDS] [SCRATCH_SECONDS] — the test of the fuzz
# targets (`make fuzz-mutants`): do they notice a broken library?
#
# Copies the tree (Makefile, src, tests) to WORKDIR (default
# $TMPDIR/ssockets-mutants, emptied first), then for each mutant below:
# changes one line of the library, as a plausible slip would, builds the
# fuzz target(s) that should notice, runs each from its seed corpus for at
# most SECONDS seconds (default 120), and puts the line back. A mutant is
# "caught" when libFuzzer stops with a finding (a harness check, a
# sanitizer report, a crash); the line printed says whether a seed already
# showed it or after how many executions the fuzzer did, and which check
# fired. The script fails if any mutant survives, or if a line to change is
# no longer in the source ("stale": update the mutant).
#
# For information only, each mutant is also fuzzed from an empty corpus for
# SCRATCH_SECONDS (default 30): what the fuzzer finds with no seed at all.
# Some mutants cannot be found that way (a forgery needs a valid handshake
# message to start from, which is what the seeds are for).
#
# The working tree itself is never modified.
set -u
here=$(pwd)
work=${1:-${TMPDIR:-/tmp}/ssockets-mutants}
seconds=${2:-120}
scratch_seconds=${3:-30}
build=build
failures=0

rm -rf "$work"
mkdir -p "$work" && work=$(cd "$work" && pwd) || exit 1
cp -R Makefile src tests "$work"/ || exit 1
cd "$work" || exit 1

# replace FILE OLD NEW: the one line of FILE equal to OLD (indentation
# included) becomes NEW (which must not contain backslashes: awk -v).
replace() {
    count=$(grep -c -F -x -- "$2" "$1")
    if [ "$count" != 1 ]; then
        echo "stale mutant: the line '$2' occurs $count times in $1"
        return 1
    fi
    line=$(grep -n -F -x -- "$2" "$1" | cut -d: -f1)
    awk -v n="$line" -v text="$3" 'NR == n { print text; next } { print }' "$1" >"$1.tmp" &&
        mv "$1.tmp" "$1"
}

# fuzz TARGET SECONDS [seeds]: runs it, from its seeds or from nothing;
# 0 if it stopped with a finding. Sets took (seconds) and when.
fuzz() {
    corpus=$work/corpus/$1
    artifacts=$work/artifacts/$1
    log=$work/$1.log
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    [ $# -gt 2 ] && cp tests/fuzz/corpus/"$1"/* "$corpus"/
    start=$(date +%s)
    "$build/fuzz/fuzz_$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
    status=$?
    took=$(($(date +%s) - start))
    # libFuzzer numbers its progress lines "#<executions>"; a finding
    # before the "INITED" line came from a seed (or, with no seeds, from
    # the empty input libFuzzer tries first).
    if grep -q INITED "$log"; then
        when="after $(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#') executions, ${took} s"
    elif [ $# -gt 2 ]; then
        when="by a seed"
    else
        when="by the empty input"
    fi
    [ "$status" -ne 0 ] && [ -n "$(ls "$artifacts")" ]
}

# Which check fired, from the log: the harness's message or the
# sanitizer's summary.
finding() {
    grep -m 1 -o 'FUZZ CHECK FAILED: .*\|SUMMARY: [A-Za-z]*: [a-z-]*' "$work/$1.log" | cut -c 1-100
}

# mutant DESCRIPTION FILE OLD NEW TARGET...
mutant() {
    what=$1 file=$2 old=$3 new=$4
    shift 4
    cp "$file" "$file.orig"
    if ! replace "$file" "$old" "$new"; then
        failures=$((failures + 1))
        mv "$file.orig" "$file"
        return
    fi
    for t in "$@"; do
        if ! make -s BUILD="$build" "$build/fuzz/fuzz_$t" >"$work/build.log" 2>&1; then
            echo "MUTANT NOT BUILT ($what): see $work/build.log"
            failures=$((failures + 1))
        elif fuzz "$t" "$seconds" seeds; then
            echo "caught  $t $when: $what"
            echo "        $(finding "$t")"
            if fuzz "$t" "$scratch_seconds"; then
                echo "        from an empty corpus: found $when"
            else
                echo "        from an empty corpus: not found in $scratch_seconds s"
            fi
        else
            echo "MISSED  $t in ${seconds} s: $what"
            failures=$((failures + 1))
        fi
    done
    mv "$file.orig" "$file"
    touch "$file" # newer than its object: the next build restores it
}

echo "mutants: building the unmodified fuzz library in $work"
make -s BUILD="$build" fuzz-build >"$work/build.log" 2>&1 || {
    echo "mutants: the fuzz build failed, see $work/build.log"
    exit 1
}

mutant "poly1305.c: the carry out of h0 + 5q is not added to h1 (partial reduction)" \
    src/crypto/poly1305.c \
    "        t = (ss_u128)h1 + (uint64_t)(t >> 64);" \
    "        t = (ss_u128)h1;" \
    diff_poly1305

mutant "sha256.c: update tops up a partial block to 63 bytes, not 64" \
    src/crypto/sha256.c \
    "        size_t take = 64 - ctx->block_len;" \
    "        size_t take = 63 - ctx->block_len;" \
    diff_sha256

mutant "hmac.c: a key of exactly 64 bytes is hashed first (> became >=)" \
    src/crypto/hmac.c \
    "    if (key_len > HMAC_BLOCK)" \
    "    if (key_len >= HMAC_BLOCK)" \
    diff_hmac

mutant "hkdf.c: the last output block is copied whole (writes past okm)" \
    src/crypto/hkdf.c \
    "        size_t take = okm_len - done < HASH_LEN ? okm_len - done : HASH_LEN;" \
    "        size_t take = HASH_LEN;" \
    diff_hkdf

# The reference ladder decodes the point; on a CPU with BMI2 and ADX the
# fuzzer would otherwise take the MULX ladder (x25519_mulx.c), which has a
# decoder of its own, so this mutant is fuzzed on the reference path.
export SS_CPU=ref
mutant "x25519_field.h: bit 255 of the u-coordinate is not ignored (RFC 7748 §5)" \
    src/crypto/x25519_field.h \
    "    uint64_t w3 = ss_load64_le(s + 24) & ~(UINT64_C(1) << 63); /* §5: ignore bit 255 */" \
    "    uint64_t w3 = ss_load64_le(s + 24);" \
    diff_x25519
unset SS_CPU

# The MULX ladder's own decoder, where the CPU can run that path.
if sh tests/cpu_paths.sh | grep -qx adx; then
    mutant "x25519_mulx.c: bit 255 of the u-coordinate is not ignored (RFC 7748 §5)" \
        src/crypto/x25519_mulx.c \
        "    h[3] = ss_load64_le(s + 24) & ~(UINT64_C(1) << 63); /* §5: ignore bit 255 */" \
        "    h[3] = ss_load64_le(s + 24);" \
        diff_x25519
fi

mutant "x25519_base.c: a negative digit leaves 2dxy unnegated (the point is not -P)" \
    src/crypto/x25519_base.c \
    "    fe_cmov(t->xy2d, minus_xy2d, sign);" \
    "    (void)minus_xy2d;" \
    diff_x25519

mutant "chacha20.c: the block counter is not incremented after a whole block" \
    src/crypto/chacha20.c \
    "        state[12]++; /* §2.4: the next block uses counter + 1 */" \
    "        state[12] += 0;" \
    diff_chacha20

mutant "aead.c: pad16 pads an aligned length with 16 zero bytes instead of none" \
    src/crypto/aead.c \
    "    return (16 - len % 16) % 16;" \
    "    return 16 - len % 16;" \
    diff_aead

mutant "keys.c: base64 no longer requires the unused bits before '=' to be zero" \
    src/net/keys.c \
    "            bad |= group & 0xff;" \
    "            bad |= 0;" \
    key_parse

mutant "engine.c: a transport frame needs only a tag, not a type byte too (off by one)" \
    src/net/engine.c \
    "    if (!e->plain && len < 1 + TAG_LEN)" \
    "    if (!e->plain && len < TAG_LEN)" \
    frame_recv

mutant "engine.c: a close frame with a body is accepted" \
    src/net/engine.c \
    "    if (type == TYPE_CLOSE && body != 0)" \
    "    if (type == TYPE_CLOSE && body > 65536)" \
    frame_recv

mutant "noise.c: a failed tag is ignored when there is associated data (the handshake)" \
    src/net/noise.c \
    "    if (ss_aead_open(out, cs->k, nonce, ad, ad_len, in, len, in + len) != 0)" \
    "    if (ss_aead_open(out, cs->k, nonce, ad, ad_len, in, len, in + len) != 0 && ad_len == 0)" \
    handshake_initiator handshake_responder

cd "$here" || exit 1
if [ "$failures" -ne 0 ]; then
    echo "mutants: $failures missed, stale or unbuilt"
    exit 1
fi
echo "mutants: every mutant was caught"
