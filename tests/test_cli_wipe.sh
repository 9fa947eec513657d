#!/bin/sh
# test_cli_wipe.sh — the `ssockets` command wipes its relay buffers.
#
# Run by tests/run.sh with SS_BUILD set to the build directory (POSIX sh).
# Prints "ok - ..." or "not ok - ..." per check. Exit: 0 passed, 1 failed,
# 77 skipped (gdb missing or not allowed to trace a program here); with
# CI=true a skip counts as a failure (exit 1).
#
# src/cli/relay.c reads stdin into one static buffer and the peer's
# messages into another, and wipes each message from them once it is sent
# or written: plaintext must not outlive its message. Nothing the program
# prints can show that, so we look at its memory: `ssockets connect` runs under
# gdb, the listener sends one marker and our stdin another, and when the
# session is over (the breakpoint at exit()) gdb dumps both buffers; neither
# marker may be there. The buffers are found by name in the symbol table
# (static locals: gcc calls them buf.N, clang FUNCTION.buf), their runtime
# address from their distance to cli_relay, so no debug information is
# needed. As a control that the dump sees what is there, the sending buffer
# is also dumped when ss_send is called, and must hold our marker then.
set -u

build=${SS_BUILD:-build}
ss=$build/ssockets
T=20 # seconds allowed to any one process

fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }

# skip REASON: exit 77, or fail under CI, where gdb is supposed to work.
skip() {
    echo "# skip: $*"
    if [ "${CI:-}" = true ]; then
        not_ok "CI=true, and under CI a skipped wipe test is a failure"
        exit 1
    fi
    exit 77
}

if [ ! -x "$ss" ]; then
    not_ok "$ss exists (run make first)"
    exit 1
fi
command -v gdb >/dev/null 2>&1 || skip "gdb is not installed (tests/deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-wipe.XXXXXX") || exit 1
spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# gdb_run SCRIPT OUT ARGS...: runs ssockets ARGS under gdb with the
# commands in SCRIPT, stdin from $tmp/cin; gdb's and the program's output
# in OUT. The program is started directly, not through $SHELL, and with
# address randomization left as it is (containers often forbid turning it
# off; the addresses are computed at run time anyway). Both the normal and
# the ASan build (make check-asan) run under gdb this way in about a second.
gdb_run() {
    script=$1 out=$2
    shift 2
    timeout -k 5 $T gdb -nx -batch -ex 'set startup-with-shell off' \
        -ex 'set disable-randomization off' -x "$script" --args "$ss" "$@" \
        <"$tmp/cin" >"$out" 2>&1
}

# Can gdb run a program and stop it here? (A container may forbid ptrace.)
: >"$tmp/cin"
printf 'set pagination off\nbreak exit\nrun\necho TRACED\\n\nkill\n' >"$tmp/probe.gdb"
gdb_run "$tmp/probe.gdb" "$tmp/probe.out" --help
grep -q '^TRACED$' "$tmp/probe.out" ||
    skip "gdb cannot trace a program here: $(grep -i -m 1 -e ptrace -e 'not permitted' -e error "$tmp/probe.out")"

# The two buffers: their size (CHUNK in relay.c) and names from nm.
chunk=$(sed -n 's/^#define CHUNK \([0-9][0-9]*\)$/\1/p' src/cli/relay.c)
nm -S "$ss" >"$tmp/nm" 2>&1
# Symbol names have no spaces: $bufs is split on purpose below.
bufs=$(awk '$3 ~ /^[bBdD]$/ && ($4 ~ /^buf\.[0-9]+$/ || $4 ~ /^(send_stdin|cli_relay)\.buf$/) {
    printf "%s%s", sep, $4; sep = " " }' "$tmp/nm")
base=$(awk '$3 ~ /^[tT]$/ && $4 == "cli_relay" { print $1 }' "$tmp/nm")
# shellcheck disable=SC2086
count=$(printf '%s\n' $bufs | grep -c .)
if [ -z "$chunk" ] || [ -z "$base" ] || [ "$count" -ne 2 ]; then
    not_ok "found the two relay buffers (CHUNK '$chunk', cli_relay '$base', buffers '$bufs')"
    echo "#   the symbols were not found: without them this test could not fail"
    exit 1
fi
ok "found the two relay buffers in $ss: $bufs"

# dump_commands WHEN: gdb commands that dump each buffer to $tmp/WHEN.NAME.
dump_commands() {
    # shellcheck disable=SC2086
    for name in $bufs; do
        line=$(awk -v n="$name" '$4 == n { print $1, $2 }' "$tmp/nm")
        addr=${line% *} size=${line#* }
        if [ $((0x$size)) -lt "$chunk" ]; then
            printf 'echo SMALL %s\\n\n' "$name"
            continue
        fi
        delta=$((0x$addr - 0x$base))
        echo "dump binary memory $tmp/$1.$name (char*)cli_relay+$delta (char*)cli_relay+$((delta + chunk))"
    done
}

# ---------------------------------------------------------------- a session

peer_marker="peer-to-us-$$-Qx7vLw2"
our_marker="us-to-peer-$$-Kd4mZp9"
printf '%s\n' "$peer_marker" >"$tmp/sin"
printf '%s\n' "$our_marker" >"$tmp/cin"

: >"$tmp/serr"
timeout $T "$ss" listen 127.0.0.1 0 <"$tmp/sin" >"$tmp/sout" 2>"$tmp/serr" &
spid=$!
port=""
i=0
while [ $i -lt 200 ] && [ -z "$port" ]; do
    port=$(sed -n 's/^ssockets: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/serr")
    kill -0 "$spid" 2>/dev/null || break
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    not_ok "the listener starts" && sed 's/^/#   serr: /' "$tmp/serr"
    exit 1
fi

{
    echo "set pagination off"
    echo "set confirm off"
    echo "break ss_send"
    echo "break exit"
    echo "run"
    printf 'echo STOP1\\n\n'
    dump_commands send
    echo "delete 1"
    echo "continue"
    printf 'echo STOP2\\n\n'
    dump_commands end
    echo "kill"
} >"$tmp/session.gdb"
gdb_run "$tmp/session.gdb" "$tmp/gdb.out" connect 127.0.0.1 "$port"
wait "$spid"
sstatus=$?
spid=""

# explain: the outputs behind a failure.
explain() {
    sed 's/^/#   gdb: /' "$tmp/gdb.out"
    sed 's/^/#   listener: /' "$tmp/serr"
}

# The program's stdout is in gdb.out too, between gdb's lines.
what="connect under gdb: both markers went through, it stopped in exit(0)"
if [ "$sstatus" -eq 0 ] && grep -qxF "$our_marker" "$tmp/sout" &&
    grep -qF "$peer_marker" "$tmp/gdb.out" && grep -q STOP2 "$tmp/gdb.out" &&
    grep -q 'exit.*status=0' "$tmp/gdb.out"; then
    ok "$what"
else
    not_ok "$what"
    explain
    exit 1
fi

# holds FILE MARKER: the dump FILE exists and contains MARKER.
holds() {
    [ -f "$1" ] || return 2
    grep -qaF "$2" "$1"
}

# The control: at ss_send our marker is in one of the buffers.
seen=""
# shellcheck disable=SC2086
for name in $bufs; do
    holds "$tmp/send.$name" "$our_marker" && seen=$name
done
if [ -n "$seen" ]; then ok "control: at ss_send the dump of $seen holds our stdin's marker"; else
    not_ok "control: at ss_send a dump holds our stdin's marker"; explain; fi

# shellcheck disable=SC2086
for name in $bufs; do
    if [ ! -f "$tmp/end.$name" ]; then
        not_ok "$name dumped at exit"
        explain
        continue
    fi
    found=""
    holds "$tmp/end.$name" "$our_marker" && found="$found our stdin's marker"
    holds "$tmp/end.$name" "$peer_marker" && found="$found the peer's marker"
    if [ -z "$found" ]; then ok "at exit $name holds neither marker (wiped)"; else
        not_ok "at exit $name still holds:$found (relay buffer not wiped)"; fi
done

exit $fail
