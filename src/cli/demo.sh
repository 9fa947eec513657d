#!/bin/sh
# demo.sh BUILD — what `make demo` runs: one real encrypted exchange on
# loopback between `ssockets listen` and `ssockets connect`, both with
# --trace, and then each side's view of it.
#
# The exchange is the original library's example: the client says
#   Hey, whats up server? it's me, the client talking!
# and the server answers
#   Hello client, the server here: message received, all encrypted.
# Each side's standard input holds its one message. At the end of its input
# a side sends its authenticated close and keeps receiving until the
# peer's close arrives; so the order in which the two messages travel does
# not matter, and both programs end by themselves with status 0.
#
# No fixed port (the listener asks for port 0 and prints the one it got),
# no blind sleeps (we poll for that line, with a limit), every process
# under `timeout`, and the temporary files and the server removed by the
# trap on every way out. Course: docs/cli.md (the command used here).
set -u

build=${1:-build}
ss=$build/ssockets
limit=20 # seconds allowed to each side

client_message="Hey, whats up server? it's me, the client talking!"
server_reply="Hello client, the server here: message received, all encrypted."

if [ ! -x "$ss" ]; then
    echo "demo: $ss not found; run make first" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-demo.XXXXXX") || exit 1
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

printf '%s\n' "$server_reply" >"$tmp/server.in"
printf '%s\n' "$client_message" >"$tmp/client.in"

# 1. The server, on a port the system chooses.
timeout $limit "$ss" listen --trace 127.0.0.1 0 \
    <"$tmp/server.in" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!

# 2. Its first line on stderr says where it listens; wait for it (every
#    50 ms, at most 10 s), or stop if the server has already ended.
port=""
tries=0
while :; do
    port=$(sed -n 's/^ssockets: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/server.err")
    [ -n "$port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null || [ $tries -ge 200 ]; then
        echo "demo: the server did not start:" >&2
        cat "$tmp/server.err" >&2
        exit 1
    fi
    sleep 0.05
    tries=$((tries + 1))
done

# 3. The client: connects, runs the handshake, sends its message.
timeout $limit "$ss" connect --trace 127.0.0.1 "$port" \
    <"$tmp/client.in" >"$tmp/client.out" 2>"$tmp/client.err"
client_status=$?
wait "$server_pid"
server_status=$?
server_pid=""

# show TITLE STATUS STDERR STDOUT: one side's view.
show() {
    echo "==================================================================="
    echo "$1"
    echo "==================================================================="
    echo "--- standard error: the handshake, step by step (--trace) ---"
    cat "$3"
    echo "--- standard output: the message received ---"
    cat "$4"
    echo "--- exit status: $2 ---"
    echo
}
show "THE SERVER'S VIEW   $ss listen --trace 127.0.0.1 0" \
    "$server_status" "$tmp/server.err" "$tmp/server.out"
show "THE CLIENT'S VIEW   $ss connect --trace 127.0.0.1 $port" \
    "$client_status" "$tmp/client.err" "$tmp/client.out"

if [ "$server_status" -ne 0 ] || [ "$client_status" -ne 0 ] ||
    ! cmp -s "$tmp/client.in" "$tmp/server.out" || ! cmp -s "$tmp/server.in" "$tmp/client.out"; then
    echo "demo: FAILED: the exchange did not complete (see above)" >&2
    exit 1
fi
echo "Both messages crossed loopback encrypted, every frame authenticated, and both"
echo "sides ended with their close frame and status 0. Note that NN itself proves"
echo "nobody's identity: someone in the middle could have run one handshake with"
echo "each side. NK and XX pin keys; see '$ss --help'."
