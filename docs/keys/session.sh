#!/bin/sh
# session.sh — one traced SSockets session with the course's fixed keys, for
# the worked examples of docs/handshake.md and docs/protocol.md.
#
#   sh docs/keys/session.sh nn|nk|xx|xxhfs|xx-refused|nk-refused [CLIENT_MESSAGE [SERVER_MESSAGE]]
#
# Starts `ssockets listen` and `ssockets connect` on 127.0.0.1 with --trace
# and --test-ephemeral, the client sends CLIENT_MESSAGE (default "hello"),
# the server SERVER_MESSAGE (default "hi"), both close, and it prints every
# trace line of the client, then every trace line of the server:
#
#   client: SSockets/1: -> frame 0 = protocol name "Noise_NN_..." (32 bytes, in clear)
#   client: wire: sent 0020 4e6f6973655f4e4e...
#   ...
#   server: ...
#
# The keys are the private keys of the Noise test vectors in
# vectors/noise/cacophony/cacophony.txt (see README in this directory):
# the client is the vectors' initiator, the server their responder.
#   nn  no static keys
#   nk  the server has resp_static.key; the client pins resp_static.pub
#   xx  the server has resp_static.key, the client init_static.key
#   xxhfs  as xx, with --hybrid and --test-kem kem_xxhfs.hex: the ML-KEM-768
#       inputs of NIST's ACVP test tcId 28 (the client's e1 key pair, the
#       server's encapsulation randomness; see README)
#   xx-refused  as xx, but the server takes only clients listed in an allow
#       list that holds another key (resp_static.pub): it sends the sealed
#       refused frame (type 0x03) and the client fails, as expected
#   nk-refused  NK proposed to a server without a static key: it answers
#       with the refusal frame in clear and the client fails, as expected
# For the two refused sessions the client's own error lines are printed
# too, after its trace, as "client said: ...".
# With the ephemeral keys fixed too, nothing random is left: every run
# prints the same values. (Only the order of a side's "sent" and "received"
# transport lines may vary: each side sends and receives in two threads.)
#
# Uses $SS_BUILD/ssockets (default build/ssockets); every process is bounded
# by `timeout`; the scratch directory is removed on exit.
set -eu

pattern=${1:?usage: sh docs/keys/session.sh nn|nk|xx|xxhfs|xx-refused|nk-refused [CLIENT_MESSAGE [SERVER_MESSAGE]]}
ss=${SS_BUILD:-build}/ssockets
keys=$(dirname "$0")

d=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-session.XXXXXX")
trap 'rm -rf "$d"' EXIT
# Private key files must not be readable by others (ssockets refuses them,
# as ssh does), and git does not keep a file's mode: use copies, mode 0600.
cp "$keys"/*.key "$d"
chmod 600 "$d"/*.key
printf '%s\n' "${2:-hello}" >"$d/client.in"
printf '%s\n' "${3:-hi}" >"$d/server.in"

case $pattern in
nn) server_keys="" client_keys="" ;;
nk) server_keys="--key $d/resp_static.key" client_keys="--peer $keys/resp_static.pub" ;;
xx) server_keys="--key $d/resp_static.key" client_keys="--key $d/init_static.key" ;;
xxhfs)
    server_keys="--key $d/resp_static.key --test-kem $keys/kem_xxhfs.hex"
    client_keys="--key $d/init_static.key --hybrid --test-kem $keys/kem_xxhfs.hex" ;;
xx-refused)
    cp "$keys/resp_static.pub" "$d/allow"
    server_keys="--key $d/resp_static.key --allow $d/allow"
    client_keys="--key $d/init_static.key" ;;
nk-refused) server_keys="" client_keys="--peer $keys/resp_static.pub" ;;
*) echo "session.sh: unknown pattern '$pattern' (nn, nk, xx, xxhfs, xx-refused or nk-refused)" >&2
   exit 2 ;;
esac

# The server. Port 0 lets the system choose a free port, which the
# "listening on" line then tells (polled every 0.1 s, for at most 10 s).
# The key options are meant to split into words (no spaces in the paths).
# shellcheck disable=SC2086
timeout 20 "$ss" listen --trace $server_keys --test-ephemeral "$d/resp_ephemeral.key" \
    127.0.0.1 0 <"$d/server.in" >"$d/server.out" 2>"$d/server.err" &
server=$!
i=0
until grep -q "listening on" "$d/server.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 100 ] || { cat "$d/server.err" >&2; exit 1; }
    sleep 0.1
done
port=$(sed -n 's/^ssockets: listening on 127\.0\.0\.1://p' "$d/server.err")

# The client. In a refused session both sides must fail (status 1).
# shellcheck disable=SC2086
timeout 20 "$ss" connect --trace $client_keys --test-ephemeral "$d/init_ephemeral.key" \
    127.0.0.1 "$port" <"$d/client.in" >"$d/client.out" 2>"$d/client.err" &&
    client=0 || client=$?
wait "$server" && server=0 || server=$?
case $pattern in
*-refused) want=1 ;;
*) want=0 ;;
esac
[ "$client" = "$want" ] || { cat "$d/client.err" >&2; echo "session.sh: client exit $client" >&2; exit 1; }
[ "$server" = "$want" ] || { cat "$d/server.err" >&2; echo "session.sh: server exit $server" >&2; exit 1; }

sed -n 's/^trace: /client: /p' "$d/client.err"
sed -n 's/^trace: /server: /p' "$d/server.err"
case $pattern in
*-refused) sed -n 's/^ssockets: /client said: /p' "$d/client.err" ;;
esac
