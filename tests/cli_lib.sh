# cli_lib.sh — what the shell tests of the command share, sourced by
# tests/test_cli.sh and tests/test_cli_hybrid.sh (POSIX sh): the ok/not ok
# verdicts, a temporary directory removed on every way out, and one
# listen/connect session on a free loopback port with every process under
# `timeout`. CLI_TEST_NAME names the temporary directory.
set -u

build=${SS_BUILD:-build}
ss=$build/ssockets
T=30 # seconds allowed to any one ssockets process

fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }

# COMMANDS; verdict DESCRIPTION [FILE...]: ok if the commands just before
# succeeded ($? on entry); otherwise not ok, followed by the FILEs (the
# stderr of the processes concerned) to explain why.
verdict() {
    if [ $? -eq 0 ]; then
        ok "$1"
        return 0
    fi
    not_ok "$1"
    shift
    for f in "$@"; do
        [ -f "$f" ] && sed "s|^|#   $(basename "$f"): |" "$f"
    done
    return 0
}

if [ ! -x "$ss" ]; then
    not_ok "$ss exists (run make first)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-${CLI_TEST_NAME:-cli}.XXXXXX") || exit 1
spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- helpers

# run ARGS...: runs ssockets ARGS with stdin from /dev/null, stdout in
# $tmp/out, stderr in $tmp/err; its exit status in $s.
run() {
    timeout $T "$ss" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    s=$?
}

# port_of FILE: the port in a "ssockets: listening on 127.0.0.1:PORT" line.
port_of() {
    sed -n 's/^ssockets: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1"
}

# start_server NAME INPUT [OPTIONS...]: starts `ssockets listen OPTIONS
# 127.0.0.1 0` in the background, stdin from INPUT, stdout to
# $tmp/NAME.sout, stderr to $tmp/NAME.serr; sets spid and port. The port is
# read from the "listening on" line, printed before any client can arrive:
# we poll for it every 50 ms, at most 10 s. Returns 1 if it did not come.
start_server() {
    name=$1 input=$2
    shift 2
    : >"$tmp/$name.serr"
    timeout $T "$ss" listen "$@" 127.0.0.1 0 <"$input" >"$tmp/$name.sout" 2>"$tmp/$name.serr" &
    spid=$!
    i=0
    while [ $i -lt 200 ]; do
        port=$(port_of "$tmp/$name.serr")
        [ -n "$port" ] && return 0
        kill -0 "$spid" 2>/dev/null || return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# wait_server: waits for the background server; its exit status in sstatus.
wait_server() {
    wait "$spid"
    sstatus=$?
    spid=""
}

# session NAME SERVER_INPUT CLIENT_INPUT [SERVER_OPTIONS...] -- [CLIENT_OPTIONS...]:
# one listen/connect session. Exit statuses in sstatus and cstatus (99: the
# server did not start); outputs in $tmp/NAME.{sout,serr,cout,cerr}.
session() {
    name=$1 sin=$2 cin=$3
    shift 3
    sopts=""
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sopts="$sopts $1"
        shift
    done
    [ $# -gt 0 ] && shift
    : >"$tmp/$name.cout"
    : >"$tmp/$name.cerr"
    # Our options and paths have no spaces: splitting $sopts is intended.
    # shellcheck disable=SC2086
    if ! start_server "$name" "$sin" $sopts; then
        wait_server
        sstatus=99 cstatus=99
        return
    fi
    timeout $T "$ss" connect "$@" 127.0.0.1 "$port" <"$cin" >"$tmp/$name.cout" 2>"$tmp/$name.cerr"
    cstatus=$?
    wait_server
}
