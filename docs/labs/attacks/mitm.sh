#!/bin/sh
# mitm.sh — attack 1 of docs/labs.md: a man in the middle, built from two
# ordinary `ssockets` processes, between a real client and a real server.
#
#   sh docs/labs/attacks/mitm.sh nn|nk|xx [--fixed]
#
# The attacker listens for the client (`ssockets listen`), connects to the
# server (`ssockets connect`), and pipes one into the other through `tee`,
# so it sees every byte of plaintext. It relays one line each way (`head`),
# then closes its own input on each side, so that the sessions end cleanly. All three sides run with
# --fingerprint. The client sends "hello from the client", the server "hi
# from the server". Prints what each side reported, what the attacker
# read, and whether the two fingerprints agree.
#   nn  nobody has keys: the attack works, only the fingerprints betray it
#   nk  the client pins the server's key: the attacker cannot answer
#   xx  both have keys and pin each other: the attacker is refused
# --fixed: every ephemeral key comes from docs/keys (--test-ephemeral),
# also the attacker's, so that the output is the same on every run.
#
# Loopback only, ports chosen by the system, every process under timeout.
set -eu

pattern=${1:?usage: sh docs/labs/attacks/mitm.sh nn|nk|xx [--fixed]}
ss=${SS_BUILD:-build}/ssockets
keys=$(dirname "$0")/../../keys
d=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-mitm.XXXXXX")
trap 'rm -rf "$d"' EXIT
# The attacker's own static key is attacker.key, next to this script (a
# lab key, public like the others; ssockets wants private keys mode 0600).
cp "$keys"/*.key "$(dirname "$0")/attacker.key" "$d" && chmod 600 "$d"/*.key
printf 'hello from the client\n' >"$d/client.in"
printf 'hi from the server\n' >"$d/server.in"

fix_c="" fix_s="" fix_a1="" fix_a2=""
if [ "${2:-}" = "--fixed" ]; then
    fix_c="--test-ephemeral $d/init_ephemeral.key"
    fix_s="--test-ephemeral $d/resp_ephemeral.key"
    # Any 32 bytes are a private key: the attacker's two ephemeral keys.
    fix_a1="--test-ephemeral $d/init_static.key"
    fix_a2="--test-ephemeral $d/resp_static.key"
fi
case $pattern in
nn) server_keys="" client_keys="" ;;
nk) server_keys="--key $d/resp_static.key" client_keys="--peer $keys/resp_static.pub" ;;
xx) server_keys="--key $d/resp_static.key --peer $("$ss" pubkey "$d/init_static.key")"
    client_keys="--key $d/init_static.key --peer $keys/resp_static.pub" ;;
*) echo "mitm.sh: unknown pattern '$pattern' (nn, nk or xx)" >&2; exit 2 ;;
esac
# The attacker has no private key of the server or the client: towards the
# client it can only show its own key. Towards the server it uses what is
# public: the server's public key (NK), and its own key (XX).
attacker_keys="" attacker_client_keys=""
case $pattern in
nk) attacker_keys="--key $d/attacker.key" attacker_client_keys="--peer $keys/resp_static.pub" ;;
xx) attacker_keys="--key $d/attacker.key"
    attacker_client_keys="--key $d/attacker.key --peer $keys/resp_static.pub" ;;
esac

wait_port() {   # wait_port FILE: the port of the "listening on" line in FILE
    i=0
    until grep -q 'listening on' "$1" 2>/dev/null; do
        i=$((i + 1)); [ $i -le 100 ] || return 1; sleep 0.1
    done
    sed -n 's/^ssockets: listening on 127.0.0.1://p' "$1"
}

# The server: it sends its line after a moment, so that the client's line
# goes first in the attacker's log.
(sleep 1; cat "$d/server.in") | timeout 20 "$ss" listen --fingerprint $server_keys $fix_s \
    --timeout 5 127.0.0.1 0 >"$d/server.out" 2>"$d/server.err" &
server_port=$(wait_port "$d/server.err")

# The attacker: two ssockets processes joined by two named pipes.
mkfifo "$d/c2s" "$d/s2c"
head -n 1 <"$d/s2c" |
    timeout 20 "$ss" listen --fingerprint $attacker_keys $fix_a2 --timeout 5 127.0.0.1 0 \
    2>"$d/attacker-listen.err" | { tee "$d/read.c2s" >"$d/c2s" || true; } &
head -n 1 <"$d/c2s" |
    timeout 20 "$ss" connect --fingerprint $attacker_client_keys $fix_a1 --timeout 5 \
    127.0.0.1 "$server_port" 2>"$d/attacker-connect.err" |
    { tee "$d/read.s2c" >"$d/s2c" || true; } &
attacker_port=$(wait_port "$d/attacker-listen.err")

# The client believes it is talking to the server.
client_status=0
timeout 20 "$ss" connect --fingerprint $client_keys $fix_c --timeout 5 127.0.0.1 \
    "$attacker_port" <"$d/client.in" >"$d/client.out" 2>"$d/client.err" || client_status=$?
wait || true

show() {   # show NAME FILE: the lines a side wrote, warnings left out
    grep -v 'warning: --test-ephemeral\|listening on' "$2" | sed "s/^/$1: /" || true
}
show "client  " "$d/client.err"
show "server  " "$d/server.err"
show "attacker (facing the client)" "$d/attacker-listen.err"
show "attacker (facing the server)" "$d/attacker-connect.err"
echo "client received: $(cat "$d/client.out")"
echo "server received: $(cat "$d/server.out")"
echo "attacker read, client -> server: $(cat "$d/read.c2s")"
echo "attacker read, server -> client: $(cat "$d/read.s2c")"
fc=$(sed -n 's/^ssockets: fingerprint //p' "$d/client.err")
fs=$(sed -n 's/^ssockets: fingerprint //p' "$d/server.err")
if [ -z "$fc" ] || [ -z "$fs" ]; then
    echo "verdict: no session was established end to end (client exit status $client_status)"
elif [ "$fc" = "$fs" ]; then
    echo "verdict: the fingerprints agree"
else
    echo "verdict: the fingerprints differ: someone is in the middle"
fi
