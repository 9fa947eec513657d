#!/bin/sh
# test_wireshark_hybrid.sh — the dissector (tools/wireshark/ssockets.lua) on
# hybrid sessions, NNhfs and XXhfs: a traced session of the command
# (connect --hybrid) with a key log, turned into pcap files by
# tools/wireshark/trace2pcap.py (one frame per segment, and 100-byte
# segments: each hybrid handshake message spans a dozen of them), read back
# through the dissector by tests/wireshark/check_dissection.py, as
# tests/test_wireshark.sh does for NN and XX: frame 0 names the hfs pattern,
# every handshake field (e, the KEM public key e1, the KEM ciphertext ekem1,
# s, the tags) put together is the frame the trace sent, no plaintext
# without the key log, the marker decrypted with it; with one bit flipped
# in a transport frame, exactly that frame is flagged.
#
# Run by tests/run.sh with SS_BUILD set; exit 0 pass, 1 fail. Every process
# is bounded by `timeout`; no capture rights needed.
set -u
build=${SS_BUILD:-build}
ss=$build/ssockets
lua="tools/wireshark/ssockets.lua"
MARKER="SSockets wire-test marker: ATTACK AT DAWN"

fail() { echo "not ok - $*"; exit 1; }
[ -x "$ss" ] || fail "$ss not found: build first (make)"
command -v tshark >/dev/null 2>&1 || fail "tshark is missing (apt-get install tshark)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-wireshark-hfs.XXXXXX") || fail "mktemp"
spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp docs/keys/*.key "$tmp" && chmod 600 "$tmp"/*.key

# session PATTERN: a traced hybrid session (nn: no keys; xx: the course's
# static keys), both sides' trace lines as "client: ..." / "server: ...",
# in $tmp/PATTERN.trace; the key log in $tmp/PATTERN.keys.
session() {
    sopts="" copts="--hybrid"
    if [ "$1" = xx ]; then
        sopts="--key $tmp/resp_static.key --hybrid-only"
        copts="$copts --key $tmp/init_static.key"
    fi
    echo hi >"$tmp/server.in"
    # shellcheck disable=SC2086
    SSOCKETS_KEYLOGFILE=$tmp/$1.keys timeout 20 "$ss" listen --trace $sopts 127.0.0.1 0 \
        <"$tmp/server.in" >/dev/null 2>"$tmp/server.err" &
    spid=$!
    i=0
    until grep -q 'listening on' "$tmp/server.err" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "the server did not start: $(cat "$tmp/server.err")"
        sleep 0.1
    done
    port=$(sed -n 's/^ssockets: listening on 127\.0\.0\.1://p' "$tmp/server.err")
    # shellcheck disable=SC2086
    printf '%s\n' "$MARKER" | SSOCKETS_KEYLOGFILE=$tmp/$1.keys timeout 20 "$ss" connect --trace \
        $copts 127.0.0.1 "$port" >/dev/null 2>"$tmp/client.err" ||
        fail "$1 session: $(cat "$tmp/client.err")"
    wait "$spid" || fail "$1 session: the server: $(cat "$tmp/server.err")"
    spid=""
    {
        sed -n 's/^trace: /client: /p' "$tmp/client.err"
        sed -n 's/^trace: /server: /p' "$tmp/server.err"
    } >"$tmp/$1.trace"
}

# check NAME TRACE CAPTURE MODE [KEYLOG]
check() {
    if [ -n "${5:-}" ]; then
        set -- "$1" "$2" "$3" "$4" -o "ssockets.keylog_file:$5"
    fi
    name=$1 trace=$2 capture=$3 mode=$4
    shift 4
    timeout 60 tshark -X "lua_script:$lua" "$@" -r "$capture" -T pdml >"$tmp/$name.txt" \
        2>"$tmp/tshark.err" || fail "tshark could not read $capture: $(cat "$tmp/tshark.err")"
    if grep -qiE 'lua|error|bug' "$tmp/tshark.err"; then
        fail "tshark complained: $(grep -v '^Running as' "$tmp/tshark.err")"
    fi
    python3 tests/wireshark/check_dissection.py "$trace" "$tmp/$name.txt" "$mode" "$MARKER" ||
        fail "$name (see above)"
}

for p in nn xx; do
    session "$p"
    grep -q "^client: SSockets/1: -> frame 0 = protocol name \"Noise_$(echo $p | tr a-z A-Z)hfs_25519+MLKEM768_ChaChaPoly_SHA256\"" \
        "$tmp/$p.trace" || fail "$p: the client did not propose the hybrid pattern"
    for seg in 0 100; do
        python3 tools/wireshark/trace2pcap.py --segment-size $seg "$tmp/$p-$seg.pcap" \
            <"$tmp/$p.trace" || fail "trace2pcap"
        check "$p-$seg-nokeys" "$tmp/$p.trace" "$tmp/$p-$seg.pcap" nokeys
        check "$p-$seg-keys" "$tmp/$p.trace" "$tmp/$p-$seg.pcap" keys "$tmp/$p.keys"
    done
    # The client's first transport frame: after frame 0 and the handshake.
    first=$( [ "$p" = xx ] && echo 4 || echo 3)
    python3 tools/wireshark/trace2pcap.py --flip "$first:3" "$tmp/$p-flip.pcap" \
        <"$tmp/$p.trace" || fail "trace2pcap --flip"
    check "$p-tampered" "$tmp/$p.trace" "$tmp/$p-flip.pcap" tampered "$tmp/$p.keys"
done

# The hfs fields are registered and can be filtered on: e1 in message 1 of
# both sessions, ekem1 in message 2.
for p in nn xx; do
    got=$(timeout 60 tshark -X "lua_script:$lua" -r "$tmp/$p-0.pcap" \
        -Y 'ssockets.e1 || ssockets.ekem1' -T fields -e ssockets.msg -e ssockets.pattern \
        2>/dev/null | tr '\t\n' ' ;')
    [ "$got" = "1 ;2 ;" ] || fail "$p: filter on ssockets.e1 || ssockets.ekem1: got '$got'"
done
echo "ok - display filters on ssockets.e1 and ssockets.ekem1"
exit 0
