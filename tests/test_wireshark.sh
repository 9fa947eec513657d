#!/bin/sh
# test_wireshark.sh — the key log and the Wireshark dissector
# (tools/wireshark/ssockets.lua; course chapter docs/wire.md).
#
#   1. The dissector's ChaCha20 and Poly1305 (Lua) against the RFC 8439
#      vectors in vectors/rfc8439 (tests/wireshark/vectors.lua).
#   2. The key log: with SSOCKETS_KEYLOGFILE unset no file appears; set, each
#      process appends one line per connection, the file has mode 0600, each
#      process warns once on stderr, and the keys are those of the trace.
#   3. Crafted captures (no capture rights needed): an NN and an XX session
#      with the fixed keys of docs/keys, turned into pcap files by
#      tools/wireshark/trace2pcap.py, one frame per segment and cut into
#      7- and 100-byte segments (TCP reassembly), read back through the
#      dissector: every field equals the trace, no marker without the key
#      log, the marker decrypted with it; a capture with one bit flipped in
#      a transport frame has exactly that frame flagged.
#   4. A real capture on lo with tshark, read back the same way (needs the
#      right to capture: root; otherwise exit 77, a failure under CI=true).
#
# Run by tests/run.sh (make check) with SS_BUILD set; exit 0 pass, 1 fail,
# 77 skipped. Every process is bounded by `timeout`.
set -u
build=${SS_BUILD:-build}
ss=$build/ssockets
lua="tools/wireshark/ssockets.lua"
MARKER="SSockets wire-test marker: ATTACK AT DAWN"

fail() { echo "not ok - $*"; exit 1; }
[ -x "$ss" ] || fail "$ss not found: build first (make)"
command -v tshark >/dev/null 2>&1 || fail "tshark is missing (apt-get install tshark)"
command -v lua5.2 >/dev/null 2>&1 || fail "lua5.2 is missing (apt-get install lua5.2)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-wireshark.XXXXXX") || fail "mktemp"
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. vectors
lua5.2 tests/wireshark/vectors.lua || fail "the Lua ChaCha20/Poly1305 disagree with RFC 8439"

# ---------------------------------------------------------------- 2. key log

# wait_listening FILE: the server's "listening on" line, at most 10 s.
wait_listening() {
    i=0
    until grep -q 'listening on' "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "the server did not start: $(cat "$1")"
        sleep 0.1
    done
    sed -n 's/^ssockets: listening on 127\.0\.0\.1://p' "$1"
}

# one_session DIR: a server that serves one NN connection and a client, both
# with --trace, the environment as it is. Output in DIR.
one_session() {
    mkdir -p "$1"
    echo hi | timeout 20 "$ss" listen --trace 127.0.0.1 0 >"$1/server.out" 2>"$1/server.err" &
    spid=$!
    port=$(wait_listening "$1/server.err")
    echo "$MARKER" | timeout 20 "$ss" connect --trace 127.0.0.1 "$port" \
        >"$1/client.out" 2>"$1/client.err" || fail "keylog session: $(cat "$1/client.err")"
    wait "$spid" || fail "keylog session: $(cat "$1/server.err")"
}

log=$tmp/keys.log
unset SSOCKETS_KEYLOGFILE
one_session "$tmp/unset"
[ ! -e "$log" ] || fail "keylog: a file was written with SSOCKETS_KEYLOGFILE unset"
if grep -q KEYLOGFILE "$tmp/unset/client.err" "$tmp/unset/server.err"; then
    fail "keylog: a warning was printed with SSOCKETS_KEYLOGFILE unset"
fi

SSOCKETS_KEYLOGFILE=$log one_session "$tmp/set1"
SSOCKETS_KEYLOGFILE=$log one_session "$tmp/set2"
# Two connections, each logged by both of its processes: 4 lines.
[ "$(wc -l <"$log" | tr -d ' ')" = 4 ] || fail "keylog: expected 4 lines, got: $(cat "$log")"
grep -qvE '^SSOCKETS_KEYS [0-9a-f]{64} [0-9a-f]{64} [0-9a-f]{64}$' "$log" &&
    fail "keylog: a line has not the documented format: $(cat "$log")"
[ "$(stat -c %a "$log")" = 600 ] || fail "keylog: mode $(stat -c %a "$log"), not 600"
for run in set1 set2; do
    for side in client server; do
        n=$(grep -c 'warning: SSOCKETS_KEYLOGFILE is set' "$tmp/$run/$side.err")
        [ "$n" = 1 ] || fail "keylog: the $side printed the warning $n times, not once"
    done
    # The line names the session by the client's e and holds k1, k2 of Split.
    e=$(sed -n 's/^trace: initiator -> msg 1 write: token e: e\.pub = //p' "$tmp/$run/client.err")
    split=$(sed -n 's/^trace: initiator end: Split: k1 = \([0-9a-f]*\), k2 = \([0-9a-f]*\)$/\1 \2/p' \
        "$tmp/$run/client.err")
    [ -n "$e" ] && [ -n "$split" ] || fail "keylog: no e.pub or Split in the trace"
    [ "$(grep -c "^SSOCKETS_KEYS $e $split\$" "$log")" = 2 ] ||
        fail "keylog: the log does not hold '$e $split' once per side"
done
echo "ok - keylog: nothing when unset; 1 line per connection and process, mode 0600," \
    "one warning per process, keys equal to the trace"

# Only a file of our own is written: not through a symbolic link (O_NOFOLLOW),
# not a file that group or others can read. Then nothing is written, each
# process warns once with the reason, and the connection goes on.
# refused_keylog NAME REASON: a session with SSOCKETS_KEYLOGFILE=$tmp/NAME.
refused_keylog() {
    SSOCKETS_KEYLOGFILE=$tmp/$1 one_session "$tmp/refused-$1"
    for side in client server; do
        n=$(grep -c "warning: SSOCKETS_KEYLOGFILE: nothing written to $tmp/$1: $2" \
            "$tmp/refused-$1/$side.err")
        [ "$n" = 1 ] || fail "keylog $1: the $side warned $n times that '$2', not once"
        ! grep -q "KEYLOGFILE is set" "$tmp/refused-$1/$side.err" ||
            fail "keylog $1: the $side says the keys are written"
    done
}
: >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/link.log"
refused_keylog link.log "it is a symbolic link"
[ ! -s "$tmp/victim" ] || fail "keylog: written through a symbolic link"
: >"$tmp/open.log" && chmod 644 "$tmp/open.log"
refused_keylog open.log "group or others can read or write it"
[ ! -s "$tmp/open.log" ] || fail "keylog: written to a file others can read"
echo "ok - keylog: not through a symbolic link, not to a file others can read;" \
    "one warning per process with the reason, and the session goes on"

# ---------------------------------------------------------------- 3. crafted captures

# dissect CAPTURE [KEYLOG]: the dissector's full view of CAPTURE.
dissect() {
    if [ -n "${2:-}" ]; then
        set -- "$1" -o "ssockets.keylog_file:$2"
    else
        set -- "$1"
    fi
    capture=$1
    shift
    timeout 60 tshark -X "lua_script:$lua" "$@" -r "$capture" -T pdml 2>"$tmp/tshark.err" ||
        fail "tshark could not read $capture: $(cat "$tmp/tshark.err")"
    if grep -qiE 'lua|error|bug' "$tmp/tshark.err"; then
        fail "tshark complained: $(grep -v '^Running as' "$tmp/tshark.err")"
    fi
}

# check NAME TRACE CAPTURE MODE [KEYLOG]
check() {
    dissect "$3" "${5:-}" >"$tmp/$1.txt"
    python3 tests/wireshark/check_dissection.py "$2" "$tmp/$1.txt" "$4" "$MARKER" ||
        fail "$1 (see above)"
}

for p in nn xx; do
    SSOCKETS_KEYLOGFILE=$tmp/$p.keys sh docs/keys/session.sh "$p" "$MARKER" hi \
        >"$tmp/$p.trace" 2>"$tmp/$p.session.err" ||
        fail "session.sh $p: $(cat "$tmp/$p.session.err")"
    for seg in 0 7 100; do
        python3 tools/wireshark/trace2pcap.py --segment-size $seg "$tmp/$p-$seg.pcap" \
            <"$tmp/$p.trace" || fail "trace2pcap"
        check "$p-$seg-nokeys" "$tmp/$p.trace" "$tmp/$p-$seg.pcap" nokeys
        check "$p-$seg-keys" "$tmp/$p.trace" "$tmp/$p-$seg.pcap" keys "$tmp/$p.keys"
    done
    # Flip a bit of the client's first transport frame (after frame 0 and
    # the handshake messages).
    first=$(( $(grep -q '_XX_' "$tmp/$p.trace" && echo 3 || echo 2) + 1 ))
    python3 tools/wireshark/trace2pcap.py --flip "$first:3" "$tmp/$p-flip.pcap" \
        <"$tmp/$p.trace" || fail "trace2pcap --flip"
    check "$p-tampered" "$tmp/$p.trace" "$tmp/$p-flip.pcap" tampered "$tmp/$p.keys"
done

# Plain mode (--plain: no frame 0, no encryption) is found by port, the
# preference ssockets.port (default 5000; here moved to 6000): type and body.
pd=$tmp/plain
mkdir -p "$pd"
timeout 20 "$ss" listen --plain --trace 127.0.0.1 0 </dev/null >/dev/null 2>"$pd/server.err" &
port=$(wait_listening "$pd/server.err")
printf '%s\n' "$MARKER" | timeout 20 "$ss" connect --plain --trace 127.0.0.1 "$port" \
    >/dev/null 2>"$pd/client.err" || fail "plain session: $(cat "$pd/client.err")"
wait
sed -n 's/^trace: /client: /p' "$pd/client.err" >"$pd/trace"
sed -n 's/^trace: /server: /p' "$pd/server.err" >>"$pd/trace"
python3 tools/wireshark/trace2pcap.py --server-port 6000 "$pd/plain.pcap" <"$pd/trace" ||
    fail "trace2pcap (plain)"
got=$(timeout 60 tshark -X "lua_script:$lua" -o ssockets.port:6000 -r "$pd/plain.pcap" \
    -Y 'ssockets.plain' -T fields -e ssockets.type -e ssockets.text 2>/dev/null | tr '\t\n' '|;')
[ "$got" = "0x00|$MARKER\\n;0x02|;0x02|;" ] || fail "plain mode on port 6000: got '$got'"
n=$(timeout 60 tshark -X "lua_script:$lua" -r "$pd/plain.pcap" -Y ssockets 2>/dev/null | wc -l)
[ "$n" = 0 ] || fail "plain mode: port 6000 decoded without the preference ($n packets)"
echo "ok - plain mode: type and body, on the port of the preference ssockets.port only"

# Installed as a plugin (the personal plugins folder, which Wireshark reads
# too), without -X: found, and its fields registered.
home=$tmp/home
mkdir -p "$home/.local/lib/wireshark/plugins"
cp "$lua" "$home/.local/lib/wireshark/plugins/"
HOME=$home timeout 60 tshark -G plugins 2>/dev/null | grep -q '^ssockets\.lua' ||
    fail "tshark does not list ssockets.lua from the personal plugins folder"
n=$(HOME=$home timeout 60 tshark -r "$tmp/xx-0.pcap" -Y ssockets 2>/dev/null | wc -l)
[ "$n" = 8 ] || fail "as a plugin: $n SSockets packets, expected 8"
HOME=$home timeout 60 tshark -G fields 2>/dev/null | cut -f3 >"$tmp/fields"
for f in frame_len protocol pattern e s s_tag payload_tag n ciphertext tag tag_ok type body; do
    grep -qx "ssockets.$f" "$tmp/fields" || fail "field ssockets.$f is not registered"
done
echo "ok - as a plugin in the personal plugins folder: loaded, fields registered"

# The fields can be filtered on.
n=$(timeout 60 tshark -X "lua_script:$lua" -r "$tmp/xx-0.pcap" -Y 'ssockets.pattern == "XX" || ssockets.e || ssockets.tag' \
    2>/dev/null | wc -l | tr -d ' ')
[ "$n" = 7 ] || fail "filter on ssockets.pattern/e/tag: $n packets, expected 7"
echo "ok - display filters on ssockets.* fields"

# The server's refusals (docs/protocol.md): the refusal frame in clear (NK
# to a server without a key) and the sealed refused frame 0x03 (XX from a
# client that is not in --allow), each turned into a capture and checked by
# tests/wireshark/check_refusal.py against the wire bytes, the second
# decrypted there with openssl and the key log.
rd=$tmp/refusals
mkdir -p "$rd"
"$ss" genkey "$rd/server.key" >"$rd/server.pub" && "$ss" genkey "$rd/client.key" >/dev/null &&
    "$ss" genkey "$rd/other.key" >"$rd/allow" || fail "genkey"
# refused_session NAME "LISTEN OPTIONS" "CONNECT OPTIONS": traced, key log in NAME.keys.
refused_session() {
    # shellcheck disable=SC2086
    SSOCKETS_KEYLOGFILE=$rd/$1.keys timeout 20 "$ss" listen --trace $2 127.0.0.1 0 \
        </dev/null >/dev/null 2>"$rd/$1.server.err" &
    port=$(wait_listening "$rd/$1.server.err")
    # shellcheck disable=SC2086
    SSOCKETS_KEYLOGFILE=$rd/$1.keys timeout 20 "$ss" connect --trace $3 127.0.0.1 "$port" \
        </dev/null >/dev/null 2>"$rd/$1.client.err" && fail "$1: the client was not refused"
    wait
    { sed -n 's/^trace: /client: /p' "$rd/$1.client.err"
      sed -n 's/^trace: /server: /p' "$rd/$1.server.err"; } >"$rd/$1.trace"
    python3 tools/wireshark/trace2pcap.py "$rd/$1.pcap" <"$rd/$1.trace" || fail "trace2pcap $1"
}
refused_session clear "" "--peer $(cat "$rd/server.pub")"
dissect "$rd/clear.pcap" >"$rd/clear.pdml"
python3 tests/wireshark/check_refusal.py clear "$rd/clear.trace" "$rd/clear.pdml" || exit 1
refused_session sealed "--key $rd/server.key --allow $rd/allow" "--key $rd/client.key"
dissect "$rd/sealed.pcap" "$rd/sealed.keys" >"$rd/sealed.pdml"
python3 tests/wireshark/check_refusal.py sealed "$rd/sealed.trace" "$rd/sealed.pdml" \
    "$rd/sealed.keys" || exit 1

# The key log is parsed once, and again only when it changes, not once per
# frame: a capture of 3,000 transport frames of a session the log does not
# hold, with a key log of 3,000 lines, is parsed a few times whatever the
# number of frames (when the preference is set, and at each ss.init, which
# tshark runs before reading), counted with SSOCKETS_DISSECTOR_STATS; parsed
# again for every frame without a key, it was 3,000 times and two minutes.
kd=$tmp/keylog-parses
mkdir -p "$kd"
python3 - "$kd" <<'END'
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "keys.log"), "w") as f:
    for i in range(3000):
        f.write("SSOCKETS_KEYS %064x %064x %064x\n" % (i, i + 1, i + 2))
with open(os.path.join(d, "trace"), "w") as f:
    name = b"Noise_NN_25519_ChaChaPoly_SHA256"
    f.write("client: wire: sent %04x %s\n" % (len(name), name.hex()))
    f.write("client: wire: sent 0020 %s\n" % os.urandom(32).hex())
    f.write("server: wire: sent 0030 %s\n" % os.urandom(48).hex())
    for i in range(3000):
        f.write("client: wire: sent 0017 %s\n" % os.urandom(23).hex())
END
python3 tools/wireshark/trace2pcap.py "$kd/long.pcap" <"$kd/trace" || fail "trace2pcap (long)"
SSOCKETS_DISSECTOR_STATS=1 timeout 300 tshark -X "lua_script:$lua" \
    -o "ssockets.keylog_file:$kd/keys.log" -r "$kd/long.pcap" >"$kd/out" 2>"$kd/err" ||
    fail "tshark on 3,000 frames: $(cat "$kd/err")"
frames=$(grep -c "transport n=" "$kd/out")
parses=$(grep -c "^ssockets.lua: key log parsed" "$kd/err")
[ "$frames" = 3000 ] && [ "$parses" -ge 1 ] && [ "$parses" -le 3 ] ||
    fail "key log: parsed $parses times for $frames transport frames (expected 1 to 3)"
echo "ok - the key log (3,000 lines) is parsed $parses times for 3,000 frames, not once per frame"

# ---------------------------------------------------------------- 4. a real capture

# capture_session PATTERN DIR: docs/keys/session.sh's session, captured on lo.
skip() {
    echo "skipped: $*"
    if [ "${CI:-}" = true ]; then
        echo "not ok - CI=true, and under CI a skipped capture is a failure"
        exit 1
    fi
    exit 77
}
d=$tmp/real
mkdir -p "$d"
cp docs/keys/*.key "$d" && chmod 600 "$d"/*.key
echo hi >"$d/server.in"
printf '%s\n' "$MARKER" >"$d/client.in"
SSOCKETS_KEYLOGFILE=$d/keys timeout 30 "$ss" listen --trace --key "$d/resp_static.key" \
    --test-ephemeral "$d/resp_ephemeral.key" 127.0.0.1 0 <"$d/server.in" >/dev/null 2>"$d/server.err" &
spid=$!
pids="$spid"
port=$(wait_listening "$d/server.err")
timeout 40 tshark -i lo -f "tcp port $port or udp port $port" -a duration:40 -w "$d/capture.pcapng" \
    -P -l -T fields -e udp.payload >"$d/tshark.out" 2>"$d/tshark.err" &
tpid=$!
pids="$spid $tpid"
# tshark is capturing once a UDP probe to the port shows up in its output.
probe() { # probe WORD: send WORD until tshark prints it (at most 15 s)
    hex=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')
    i=0
    until grep -q "$hex" "$d/tshark.out" 2>/dev/null; do
        kill -0 "$tpid" 2>/dev/null || return 1
        i=$((i + 1))
        [ $i -le 150 ] || return 1
        python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("127.0.0.1", int(sys.argv[2])))' "$1" "$port"
        sleep 0.1
    done
}
if ! probe ssockets-probe-start; then
    if grep -qiE "permission|not permitted|couldn't run" "$d/tshark.err"; then
        skip "parts 1-3 passed; no right to capture on lo (run as root): $(head -n 3 "$d/tshark.err")"
    fi
    fail "tshark did not start capturing: $(cat "$d/tshark.err")"
fi
SSOCKETS_KEYLOGFILE=$d/keys timeout 30 "$ss" connect --trace --key "$d/init_static.key" \
    --test-ephemeral "$d/init_ephemeral.key" 127.0.0.1 "$port" <"$d/client.in" >/dev/null \
    2>"$d/client.err" || fail "captured session: the client: $(cat "$d/client.err")"
wait "$spid" || fail "captured session: the server: $(cat "$d/server.err")"
probe ssockets-probe-end || fail "tshark stopped capturing early: $(cat "$d/tshark.err")"
kill "$tpid" 2>/dev/null
wait "$tpid"
pids=""
{
    sed -n 's/^trace: /client: /p' "$d/client.err"
    sed -n 's/^trace: /server: /p' "$d/server.err"
} >"$d/trace"
check real-nokeys "$d/trace" "$d/capture.pcapng" nokeys
check real-keys "$d/trace" "$d/capture.pcapng" keys "$d/keys"
echo "ok - a real XX session captured on lo with tshark, read back through the dissector"
exit 0
