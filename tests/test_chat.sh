#!/bin/sh
# test_chat.sh — examples/chat (issue: the two-terminal chat) leaves and
# restarts cleanly: EOF on either side ends both with an authenticated
# close, Ctrl-C (SIGINT) does the same, and a new `chat listen` on the same
# port right after works (no "Address already in use").
set -u
build=${SS_BUILD:-build}
chat="$build/examples/chat/chat"
[ -x "$chat" ] || { echo "not ok - $chat missing"; exit 1; }
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fail=1; }

# wait_for FILE TEXT: bounded wait (10 s) until FILE contains TEXT.
wait_for() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || return 1
        sleep 0.1
    done
}

# A port that is free now (chat takes a fixed port, like the original).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# 1. Both sides type a line and reach end of input.
printf 'hi from the listener\n' | timeout 20 "$chat" listen 127.0.0.1 "$port" >"$tmp/l.out" 2>"$tmp/l.err" &
lpid=$!; pids="$pids $lpid"
wait_for "$tmp/l.err" "waiting for the other side" || bad "the listener did not start"
printf 'hi from the client\n' | timeout 20 "$chat" connect 127.0.0.1 "$port" >"$tmp/c.out" 2>"$tmp/c.err"
cstatus=$?
wait "$lpid"; lstatus=$?
if [ $cstatus = 0 ] && [ $lstatus = 0 ] &&
    grep -q '^peer> hi from the client$' "$tmp/l.out" &&
    grep -q '^peer> hi from the listener$' "$tmp/c.out"; then
    ok "EOF on both sides: each line arrives, both exit 0"
else
    bad "EOF exchange (listener $lstatus, client $cstatus)"
    sed 's/^/    /' "$tmp/l.err" "$tmp/c.err"
fi

# 2. Restart on the same port at once; the client leaves with Ctrl-C while
#    its input is still open; the listener sees an authenticated close.
rm -f "$tmp/l.err" "$tmp/c.err"
sleep 30 | timeout 20 "$chat" listen 127.0.0.1 "$port" >"$tmp/l.out" 2>"$tmp/l.err" &
lpid=$!; pids="$pids $lpid"
if wait_for "$tmp/l.err" "waiting for the other side"; then
    ok "chat listen restarts on the same port at once"
else
    bad "restart on the same port"; sed 's/^/    /' "$tmp/l.err"
fi
sleep 30 | timeout 20 "$chat" connect 127.0.0.1 "$port" >"$tmp/c.out" 2>"$tmp/c.err" &
cpid=$!; pids="$pids $cpid"
wait_for "$tmp/c.err" "connected" || bad "the client did not connect"
wait_for "$tmp/l.err" "connected" || bad "the listener did not see the client"
# $cpid is the pipeline's last process: timeout; signal the chat under it.
chat_pid=$(pgrep -P "$cpid" -f 'chat connect' | head -n 1)
kill -INT "${chat_pid:-$cpid}"
wait "$cpid"; cstatus=$?
wait "$lpid"; lstatus=$?
if [ $cstatus = 0 ] && [ $lstatus = 0 ] && ! grep -q 'connection lost' "$tmp/l.err"; then
    ok "Ctrl-C on the client: both exit 0, the listener saw a close, not a cut"
else
    bad "Ctrl-C (listener $lstatus, client $cstatus)"
    sed 's/^/    /' "$tmp/l.err" "$tmp/c.err"
fi
exit $fail
