#!/usr/bin/env bash
# tests/legacy/test.sh — see with your own eyes that SSockets encrypts.
#
# The original Python project proved its encryption with this kind of test:
# capture the loopback traffic with tshark, send a marker string in plain
# text (it must show up on the wire), then send it through the encrypted
# connection (it must not). The original was fragile: fixed sleeps, a fixed
# port 60000 ("Address already in use"), and a capture that had silently
# failed made the encrypted half pass. This version is built so that it can
# only pass when it has really looked:
#
#   run 1  --plain        the marker must be found in the capture. This shows
#                         that the capture works at all.
#   run 2  NN, then NK    the marker plus 1 MiB of known text. Passes only if
#                         (a) the receiver got every byte intact,
#                         (b) the capture holds at least as many TCP payload
#                             bytes as were sent (an empty or truncated
#                             capture cannot pass; besides, every capture
#                             must cover its TCP stream without a hole, and
#                             tshark's text form must show every byte),
#                         (c) neither the marker nor ANY 16-byte window of the
#                             known text appears in the captured payloads,
#                             neither in tshark's hex nor in its text form,
#                         and the Noise protocol name sent in clear in frame 0
#                         (docs/protocol.md) is the expected one, so an NK run
#                         really ran NK.
#   run 3  Python         runs 1 and 2 again with the Python package on both
#                         sides (python/tests/peer.py, the command's relay
#                         written with `import ssockets`; its plain mode moves
#                         the bytes with the original API's raw calls): the
#                         marker is seen in plain mode, nothing in NN and NK.
#   self-test             the checks of run 2 applied to a --plain transfer of
#                         the same data must FAIL, through every detector
#                         (hex and text, marker and windows). This proves that
#                         breaking the encryption would be noticed.
#
# usage:  sudo tests/legacy/test.sh [--runs-only | --self-test] [BUILD_DIR]
#         (BUILD_DIR defaults to $SS_BUILD, then build/; by default the runs
#         and then the self-test are done.)
#         SS_KEEP=1 keeps the temporary directory with the captures.
# exit:   0 passed, 1 failed, 77 skipped (tshark missing or no right to
#         capture); with CI=true a skip counts as a failure (exit 1).
#
# Everything is bounded: every process runs under `timeout`, every wait is a
# loop on a condition with a deadline, and tshark stops itself after
# CAPTURE_LIMIT seconds whatever happens. An EXIT trap kills what we started
# (by process id) and removes the temporary directory on every path.

set -u
set -o pipefail

HOST=127.0.0.1
STEP_TIMEOUT=60     # seconds for any one ssockets process
WAIT_LIMIT=20       # seconds for any wait on a condition (server up, tshark up)
CAPTURE_LIMIT=300   # tshark's own safety net: -a duration
TEXT_BYTES=1048576  # 1 MiB of known text in the encrypted runs
MARKER="SSockets capture-test marker: ATTACK AT DAWN, the password is swordfish"
# The known text: one sentence repeated. Printable ASCII with no backslash and
# no newline, so that each of its windows is one grep pattern and tshark's
# text form prints it unchanged. Its length (93) is odd: see self_test.
KNOWN="The quick brown fox jumps over the lazy dog while SSockets encrypts every byte (0123456789). "

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

do_runs=1
do_self=1
build=${SS_BUILD:-build}
while [ $# -gt 0 ]; do
    case $1 in
        --runs-only) do_self=0 ;;
        --self-test) do_runs=0 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "test.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
        *) build=$1 ;;
    esac
    shift
done

# The build directory as given (relative to where we were started, as
# tests/run.sh passes it), else relative to the repository root.
if [ -d "$build" ]; then
    build=$(cd "$build" && pwd)
elif [ -d "$root/$build" ]; then
    build=$(cd "$root/$build" && pwd)
fi
SS=$build/ssockets

# ---------------------------------------------------------------- outcome

fail() { echo "FAIL: $*"; exit 1; }

# A skip is exit 77 (the automake convention for "could not run here").
# Under CI the machine is supposed to be able to capture, so a skip there
# means the test silently stopped testing: that is a failure.
skip() {
    echo "SKIP: $*"
    if [ "${CI:-}" = true ]; then
        echo "FAIL: CI=true, and under CI a skipped capture test is a failure"
        exit 1
    fi
    exit 77
}

# ---------------------------------------------------------------- cleanup

tmp=
pids=()
cleanup() {
    local p deadline=$((SECONDS + 5))
    # SIGTERM first (tshark then closes its file); whatever is still
    # running 5 s later gets SIGKILL, so that cleanup itself cannot hang.
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
            sleep 0.05
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ -n "$tmp" ] && [ "${SS_KEEP:-0}" = 1 ]; then
        echo "(SS_KEEP=1: the captures are kept in $tmp; open them with wireshark)"
    elif [ -n "$tmp" ]; then
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
# A signal ends the script through the EXIT trap above.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# forget PID: it has been waited for, the trap need not kill it.
forget() {
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
    pids=("${keep[@]+"${keep[@]}"}")
}

# wait_bounded PID SECONDS: wait for a process we started; if it is still
# running after SECONDS, kill it. Sets $status to its exit status.
wait_bounded() {
    local pid=$1 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "  (process $pid still running after $2 s: killed)"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    status=$?
    forget "$pid"
}

# wait_for SECONDS PID COMMAND...: poll COMMAND every 50 ms until it
# succeeds (0), PID exits (1) or SECONDS pass (2). Polling on a condition,
# never sleeping for a guessed time.
wait_for() {
    local deadline=$((SECONDS + $1)) pid=$2
    shift 2
    while [ $SECONDS -lt $deadline ]; do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || { "$@" && return 0; return 1; }
        sleep 0.05
    done
    return 2
}

# ---------------------------------------------------------------- helpers

hex_of() { od -An -v -tx1 | tr -d ' \n'; }   # stdin -> lowercase hex, one line
size_of() { wc -c < "$1" | tr -d ' '; }

# ---------------------------------------------------------------- preconditions

[ -x "$SS" ] || fail "$SS not found: build first (make)"
command -v tshark >/dev/null 2>&1 ||
    skip "tshark is not installed ('make check' as root installs it: apt-get install tshark)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-capture.XXXXXX") || fail "mktemp"

# ---------------------------------------------------------------- data

# The plain run sends the marker alone; the encrypted runs send the marker
# and then TEXT_BYTES of the known text, built by doubling a string.
printf '%s\n' "$MARKER" > "$tmp/marker.in"
text=$KNOWN
while [ ${#text} -lt $TEXT_BYTES ]; do text=$text$text; done
{ printf '%s\n' "$MARKER"; printf '%s' "$text" | head -c $TEXT_BYTES; } > "$tmp/big.in"
unset text

# The forbidden patterns. The known text repeats with period P = ${#KNOWN},
# so although 1 MiB has a million 16-byte windows, only P of them are
# distinct: the window at offset i equals the one at i + P. The windows
# starting at 0..P-1 of KNOWN+KNOWN are therefore every window of the text.
# Each is written once as text (for tshark's text form) and once as hex
# (for tshark's hex form of tcp.payload).
period=${#KNOWN}
[ $((period % 2)) = 1 ] || fail "the known text must have an odd length (see self_test)"
twice=$KNOWN$KNOWN
twice_hex=$(printf '%s' "$twice" | hex_of)
: > "$tmp/windows.txt"
: > "$tmp/windows.hex"
for ((i = 0; i < period; i++)); do
    printf '%s\n' "${twice:i:16}" >> "$tmp/windows.txt"
    printf '%s\n' "${twice_hex:2*i:32}" >> "$tmp/windows.hex"
done
sort -u -o "$tmp/windows.txt" "$tmp/windows.txt"
sort -u -o "$tmp/windows.hex" "$tmp/windows.hex"
nwin=$(wc -l < "$tmp/windows.txt" | tr -d ' ')
marker_hex=$(printf '%s' "$MARKER" | hex_of)

# ---------------------------------------------------------------- one captured transfer

# tshark_trouble MESSAGE: tshark failed to capture. Missing rights are a
# skip (the machine cannot run this test), anything else a failure.
tshark_trouble() {
    local err=$dir/tshark.err
    if grep -qiE "permission to capture|not permitted|sufficient permissions|couldn't run .*dumpcap" "$err"; then
        skip "no right to capture on lo: run as root (sudo $0), or let dumpcap" \
            "capture (sudo dpkg-reconfigure wireshark-common). tshark said:" \
            "$(grep -iE -m1 "permission to capture|not permitted|couldn't run" "$err")"
    fi
    fail "$1: $(grep -v '^Running as' "$err" | tail -n 5)"
}

# capture_transfer NAME INPUT [ARGS...]: one ssockets transfer under capture.
# ARGS go to both sides; SERVER_ARGS and CLIENT_ARGS (arrays) to one side.
# The client sends INPUT; the server's stdout is saved in $dir/received.
# Afterwards $dir holds the capture and what tshark printed of it:
#   packets    one line per TCP segment with payload: srcport, seq, len, hex
#   wire.hex   every captured payload byte, in hex, in capture order
#   wire.txt   the payloads as tshark prints them as text (follow stream)
capture_transfer() {
    local name=$1 input=$2 port tpid spid cpid line probe i
    shift 2
    dir=$tmp/$name
    mkdir -p "$dir"

    # 1. The server first, on port 0: the kernel picks a free port and the
    #    listening socket holds it, so no other program can take it between
    #    our choice and its use (no fixed port, no race, no "in use").
    #    stdin is /dev/null: at its EOF the server sends its close and keeps
    #    receiving until the client's close.
    timeout $STEP_TIMEOUT "${LISTEN[@]}" "$@" "${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}" \
        --timeout $STEP_TIMEOUT "$HOST" 0 \
        < /dev/null > "$dir/received" 2> "$dir/server.err" &
    spid=$!
    pids+=("$spid")
    server_port() { grep -qs "listening on $HOST:[0-9]" "$dir/server.err"; }
    wait_for $WAIT_LIMIT "$spid" server_port ||
        fail "$name: the server did not start: $(cat "$dir/server.err")"
    line=$(grep -m1 "listening on $HOST:" "$dir/server.err")
    port=${line##*:}
    port=${port//[^0-9]/}

    # 2. tshark on lo, filtered on that port only (TCP for the transfer, UDP
    #    for our probes). It writes the capture file and also prints, for
    #    each packet as it arrives (-P -l), the UDP payload, which is how we
    #    see our probes go through.
    tshark -i lo -f "tcp port $port or udp port $port" -B 32 \
        -a duration:$CAPTURE_LIMIT -w "$dir/capture.pcapng" \
        -P -l -T fields -e udp.payload \
        > "$dir/tshark.out" 2> "$dir/tshark.err" &
    tpid=$!
    pids+=("$tpid")

    # 3. Wait until tshark really captures. "Capturing on 'Loopback" only
    #    says that dumpcap opened the interface; what we need is that a
    #    packet sent now is recorded. So we send small UDP probes to our
    #    port (nobody listens there; the datagram still crosses lo and
    #    matches the filter), one every 50 ms, until tshark prints one back.
    #    From then on every packet on the port is captured.
    #    (tshark prints "Capturing on" even when it is about to fail for
    #    lack of rights, so that line alone proves nothing.)
    capturing() { grep -qs "Capturing on" "$dir/tshark.err"; }
    wait_for $WAIT_LIMIT "$tpid" capturing ||
        tshark_trouble "$name: tshark did not start capturing"
    probe=$(printf 'ssockets-probe-start' | hex_of)
    saw_start_probe() {
        { echo ssockets-probe-start > "/dev/udp/$HOST/$port"; } 2>/dev/null
        grep -qs "$probe" "$dir/tshark.out"
    }
    wait_for $WAIT_LIMIT "$tpid" saw_start_probe ||
        tshark_trouble "$name: tshark did not record our probe packets"

    # 4. The transfer. The client's stdin is the input; both sides are bounded.
    timeout $STEP_TIMEOUT "${CONNECT[@]}" "$@" "${CLIENT_ARGS[@]+"${CLIENT_ARGS[@]}"}" \
        --timeout $STEP_TIMEOUT "$HOST" "$port" \
        < "$input" > "$dir/client.out" 2> "$dir/client.err" &
    cpid=$!
    pids+=("$cpid")
    wait_bounded "$cpid" $((STEP_TIMEOUT + 5))
    client_status=$status
    wait_bounded "$spid" $((STEP_TIMEOUT + 5))
    server_status=$status

    # 5. Stop the capture deterministically. A last probe, sent after both
    #    programs have exited, is the last packet on the port: once tshark
    #    prints it, every packet of the transfer has been written. Then
    #    SIGTERM (tshark handles it like Ctrl-C: it closes the file and
    #    exits; SIGINT could be ignored in a background job of a script).
    probe=$(printf 'ssockets-probe-end' | hex_of)
    saw_end_probe() {
        { echo ssockets-probe-end > "/dev/udp/$HOST/$port"; } 2>/dev/null
        grep -qs "$probe" "$dir/tshark.out"
    }
    wait_for $WAIT_LIMIT "$tpid" saw_end_probe ||
        fail "$name: tshark stopped capturing before the end: $(cat "$dir/tshark.err")"
    kill -TERM "$tpid" 2>/dev/null
    wait_bounded "$tpid" $WAIT_LIMIT
    [ -s "$dir/capture.pcapng" ] || fail "$name: tshark wrote no capture file"

    [ "$client_status" -eq 0 ] ||
        fail "$name: the client failed (exit $client_status): $(cat "$dir/client.err")"
    [ "$server_status" -eq 0 ] ||
        fail "$name: the server failed (exit $server_status): $(cat "$dir/server.err")"

    # 6. What the wire showed, in the two forms tshark prints payloads in.
    #    Hex: the tcp.payload field of every segment. The port is decoded as
    #    plain "data", so no other dissector can claim the bytes, and TCP
    #    reassembly is off, so each segment's payload appears in the segment
    #    that carried it (a retransmitted segment appears twice: more bytes
    #    to search, never fewer).
    tshark -r "$dir/capture.pcapng" -d "tcp.port==$port,data" \
        -o tcp.desegment_tcp_streams:FALSE -Y "tcp.len > 0" \
        -T fields -e tcp.srcport -e tcp.seq -e tcp.len -e tcp.payload \
        > "$dir/packets" 2> "$dir/read.err" ||
        fail "$name: tshark could not read the capture: $(cat "$dir/read.err")"
    cut -f4 "$dir/packets" | tr -d '\n' > "$dir/wire.hex"
    wire_port=$port
    wire_bytes=$(( $(size_of "$dir/wire.hex") / 2 ))
    wire_segments=$(wc -l < "$dir/packets" | tr -d ' ')
    # tcp.len counts what TCP carried, the hex what was captured: if they
    # differ, the capture was cut short (snap length) and we would be
    # checking less than what went over the wire.
    local tcp_len_sum holes
    tcp_len_sum=$(awk -F '\t' '{ n += $3 } END { print n + 0 }' "$dir/packets")
    [ "$wire_bytes" -eq "$tcp_len_sum" ] ||
        fail "$name: captured $wire_bytes payload bytes but TCP carried $tcp_len_sum"
    # The stream itself, each byte counted once: the sequence numbers
    # (relative: the first data byte of each direction is number 1) show
    # how far each direction went and whether any stretch of it is missing
    # from the capture.
    read -r stream_bytes holes < <(stream_coverage "$dir/packets")
    [ "$holes" -eq 0 ] ||
        fail "$name: the capture misses $holes stretches of the TCP stream"

    #    Text: "Follow TCP Stream" in ASCII, the eavesdropper's classic view:
    #    each direction's bytes in order, one character per byte (a byte
    #    that is not printable shows as '.', a newline stays a newline).
    tshark -r "$dir/capture.pcapng" -q -z follow,tcp,ascii,0 \
        > "$dir/follow" 2> "$dir/read.err" ||
        fail "$name: tshark could not follow the stream: $(cat "$dir/read.err")"
    follow_to_text "$dir/follow" "$dir/follow.count" > "$dir/wire.txt" ||
        fail "$name: could not parse tshark's follow output"
    # The text form must cover every byte of the stream, or a leak could
    # hide in the part it misses.
    [ "$(cat "$dir/follow.count")" -eq "$stream_bytes" ] ||
        fail "$name: tshark's text form has $(cat "$dir/follow.count") characters," \
            "the stream $stream_bytes bytes"
}

# stream_coverage PACKETS: from the srcport, seq, len columns, prints
# "BYTES HOLES": the bytes of both directions of the stream (the union of
# the segments' ranges) and the number of gaps in that union.
stream_coverage() {
    cut -f1-3 "$1" | sort -k1,1n -k2,2n | awk -F '\t' '
        $1 != dir { if (dir != "") total += end - 1; dir = $1; end = 1 }
        {
            if ($2 > end) holes++          # bytes end..$2-1 were never captured
            if ($2 + $3 > end) end = $2 + $3
        }
        END { if (dir != "") total += end - 1; print total + 0, holes + 0 }'
}

# follow_to_text FILE COUNTFILE: tshark's follow,tcp,ascii output -> two
# lines, the client's text then the server's, with the data's own newlines
# shown as '.' so that a window cut by one is still a window; the number of
# bytes shown goes to COUNTFILE. tshark prints each chunk as a line "LENGTH"
# (indented by a tab for the server's side), the LENGTH characters, and a
# newline. Chunks of one direction are joined, so a window split between two
# TCP segments is still found.
follow_to_text() {
    awk -v countfile="$2" '
        function add(s) { if (side) srv = srv s; else cli = cli s }
        want < 0 && /^\t?[0-9]+$/ {          # a chunk header: its length
            side = ($0 ~ /^\t/); want = $0 + 0; got = 0; first = 1; next
        }
        want < 0 { next }                     # ===, Follow:, Filter:, Node
        {
            if (!first) { add("."); got++ }   # the newline inside the data
            add($0); got += length($0); first = 0
            if (got == want) { total += want; want = -1 }
            else if (got > want) { bad = 1; exit }
        }
        BEGIN { want = -1 }
        END {
            if (bad || want >= 0) exit 1
            print cli; print srv
            print total + 0 > countfile
        }' "$1"
}

# describe_wire: one line about the capture just read.
describe_wire() {
    local extra=""
    [ "$wire_bytes" -gt "$stream_bytes" ] &&
        extra=" (and $((wire_bytes - stream_bytes)) bytes sent again by TCP)"
    echo "  wire: $wire_segments TCP segments with payload; the stream carried" \
        "$stream_bytes bytes$extra. The first segments:"
}

# show_wire N: the first N segments with payload, as a learner would read
# them in Wireshark: direction, length, the first 32 bytes in hex.
show_wire() {
    awk -F '\t' -v port="$wire_port" -v n="$1" '
        NR > n { exit }
        {
            dir = ($1 == port) ? "server -> client" : "client -> server"
            hex = substr($4, 1, 64)
            if (length($4) > 64) hex = hex "..."
            printf "    %s %6d B  %s\n", dir, $3, hex
        }' "$dir/packets"
}

# ---------------------------------------------------------------- the checks

# check_encrypted INPUT PROTOCOL: the checks of an encrypted run on
# the transfer just captured. Prints one line per failed check and returns
# 1 if any failed. Also sets leak_* to what each detector found, for the
# self-test.
check_encrypted() {
    local input=$1 protocol=$2 bad=0 sent proto_hex
    sent=$(size_of "$input")
    leak_hex_marker=0 leak_text_marker=0 leak_hex_windows=0 leak_text_windows=0

    # (a) the receiver got everything, byte for byte
    intact=0
    if cmp -s "$input" "$dir/received"; then
        intact=1
    else
        echo "  x (a) received $(size_of "$dir/received") bytes, not the $sent sent (or they differ)"
        bad=1
    fi

    # (b) at least as many payload bytes on the wire as were sent (each
    #     byte of the stream counted once): an empty or partial capture
    #     cannot hide anything
    enough=0
    if [ "$stream_bytes" -ge "$sent" ]; then
        enough=1
    else
        echo "  x (b) only $stream_bytes payload bytes captured, fewer than the $sent sent"
        bad=1
    fi

    # (c) nothing readable: the marker, and every distinct 16-byte window of
    #     the known text, in hex and in text. grep -F matches all patterns
    #     in one pass. (A hex pattern could also match across a byte
    #     boundary, at an odd offset: that could only add a false alarm.)
    grep -qF "$marker_hex" "$dir/wire.hex" && leak_hex_marker=1
    grep -qF "$MARKER" "$dir/wire.txt" && leak_text_marker=1
    leak_hex_windows=$(grep -oF -f "$tmp/windows.hex" "$dir/wire.hex" | sort -u | wc -l | tr -d ' ')
    leak_text_windows=$(grep -oF -f "$tmp/windows.txt" "$dir/wire.txt" | sort -u | wc -l | tr -d ' ')
    if [ $leak_hex_marker = 1 ] || [ $leak_text_marker = 1 ]; then
        echo "  x (c) the marker is on the wire (hex: $leak_hex_marker, text: $leak_text_marker)"
        bad=1
    fi
    if [ "$leak_hex_windows" != 0 ] || [ "$leak_text_windows" != 0 ]; then
        echo "  x (c) known-text windows on the wire: $leak_hex_windows in hex, $leak_text_windows in text"
        bad=1
    fi

    # The handshake that ran is the one asked for: frame 0 carries the
    # protocol name in clear (SSockets/1, docs/protocol.md). (The self-test
    # passes no name: a plain transfer has no handshake.)
    proto_hex=$(printf '%s' "$protocol" | hex_of)
    if [ -n "$protocol" ] && ! grep -qF "$proto_hex" "$dir/wire.hex"; then
        echo "  x the wire does not show the protocol name $protocol"
        bad=1
    fi
    return $bad
}

# ---------------------------------------------------------------- the runs

SERVER_ARGS=()
CLIENT_ARGS=()
# The programs on both ends: the command, or (run 3, SIDE=python-) the same
# relay written with the Python package.
LISTEN=("$SS" listen)
CONNECT=("$SS" connect)
SIDE=
RUN1="run 1"
RUN2="run 2"

use_python() {
    command -v python3 >/dev/null 2>&1 ||
        fail "python3 is needed for the Python runs (apt-get install python3)"
    local py=(env PYTHONPATH="$root/python" SSOCKETS_LIBRARY="$build/libssockets.so")
    # A library built with AddressSanitizer loads into Python only behind
    # the sanitizer's runtime (as in tests/test_python.sh).
    if nm -D "$build/libssockets.so" 2>/dev/null | grep -q ' U __asan_init'; then
        py+=(LD_PRELOAD="$(${CC:-clang} -print-file-name=libclang_rt.asan-x86_64.so)"
             ASAN_OPTIONS=detect_leaks=0)
    fi
    py+=(python3 "$root/python/tests/peer.py")
    LISTEN=("${py[@]}" listen)
    CONNECT=("${py[@]}" connect)
    SIDE=python-
    RUN1="run 3 (Python) 1"
    RUN2="run 3 (Python) 2"
}

run_plain() {
    echo "== $RUN1: --plain (no encryption): the marker must be on the wire"
    echo "  sent: \"$MARKER\" ($(size_of "$tmp/marker.in") bytes)"
    capture_transfer "${SIDE}plain" "$tmp/marker.in" --plain
    describe_wire
    show_wire 4
    cmp -s "$tmp/marker.in" "$dir/received" || fail "${SIDE}plain: the receiver did not get the marker"
    grep -qF "$marker_hex" "$dir/wire.hex" || fail "${SIDE}plain: the marker is NOT in the capture (hex): the capture does not work"
    grep -qF "$MARKER" "$dir/wire.txt" || fail "${SIDE}plain: the marker is NOT in the capture (text): the capture does not work"
    echo "  wire, as text: ...$(grep -oF "$MARKER" "$dir/wire.txt" | head -n 1)..."
    echo "PASS ${SIDE}plain: the marker was found on the wire in hex and in text: the capture works"
}

# run_encrypted PATTERN: NN, or NK with a fresh server key.
run_encrypted() {
    local pattern=$1 pub
    local protocol="Noise_${pattern}_25519_ChaChaPoly_SHA256"
    SERVER_ARGS=()
    CLIENT_ARGS=()
    if [ "$pattern" = NK ]; then
        pub=$(timeout $STEP_TIMEOUT "$SS" genkey "$tmp/${SIDE}server.key" 2> "$tmp/genkey.err") ||
            fail "ssockets genkey: $(cat "$tmp/genkey.err")"
        pub=$(printf '%s\n' "$pub" | tail -n 1)
        SERVER_ARGS=(--key "$tmp/${SIDE}server.key")
        CLIENT_ARGS=(--peer "$pub")
    fi
    echo "== $RUN2 ($pattern): encrypted: nothing readable may be on the wire"
    echo "  sent: the marker + $TEXT_BYTES bytes of \"${KNOWN:0:40}...\" repeated" \
        "($(size_of "$tmp/big.in") bytes; $nwin distinct 16-byte windows)"
    capture_transfer "$SIDE$pattern" "$tmp/big.in"
    describe_wire
    show_wire 6
    if check_encrypted "$tmp/big.in" "$protocol"; then
        echo "PASS $SIDE$pattern: received intact; $stream_bytes payload bytes captured >= $(size_of "$tmp/big.in") sent;" \
            "no marker and none of the $nwin windows in hex or text; protocol $protocol"
    else
        fail "$SIDE$pattern: the encrypted run leaked or lost data (see above)"
    fi
    SERVER_ARGS=()
    CLIENT_ARGS=()
}

# The test of the test: the same data as run 2, sent with --plain, must be
# caught by check_encrypted, and by each of its detectors.
self_test() {
    echo "== self-test: run 2's checks on a --plain transfer must fail"
    capture_transfer selftest "$tmp/big.in" --plain
    describe_wire
    show_wire 3
    if check_encrypted "$tmp/big.in" "" > "$dir/check.out"; then
        fail "self-test: the checks PASSED on unencrypted traffic: they cannot detect a leak"
    fi
    sed 's/^/  (expected) /' "$dir/check.out"
    if [ "$intact" != 1 ] || [ "$enough" != 1 ]; then
        fail "self-test: the plain transfer itself went wrong, so it proves nothing"
    fi
    [ "$leak_hex_marker" = 1 ] || fail "self-test: the hex check missed the marker"
    [ "$leak_text_marker" = 1 ] || fail "self-test: the text check missed the marker"
    # Every distinct window must be found. grep -o reports non-overlapping
    # matches: after a match at text offset k the next one is at k + 16, so
    # the windows reported are k, k+16, k+32, ... modulo the period. As the
    # period is odd, 16 and the period are coprime and these cover every
    # window of the period well within 1 MiB.
    [ "$leak_hex_windows" = "$nwin" ] ||
        fail "self-test: the hex check found $leak_hex_windows of the $nwin windows"
    [ "$leak_text_windows" = "$nwin" ] ||
        fail "self-test: the text check found $leak_text_windows of the $nwin windows"
    echo "PASS self-test: breaking the encryption is detected (marker and all $nwin windows, in hex and in text)"
}

if [ $do_runs = 1 ]; then
    run_plain
    run_encrypted NN
    run_encrypted NK
    use_python
    run_plain
    run_encrypted NN
    run_encrypted NK
    LISTEN=("$SS" listen)
    CONNECT=("$SS" connect)
    SIDE=
fi
if [ $do_self = 1 ]; then
    self_test
fi
exit 0
