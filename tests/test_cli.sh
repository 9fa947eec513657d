#!/bin/sh
# test_cli.sh — the `ssockets` command end to end, as a user runs it.
#
# Run by tests/run.sh with SS_BUILD set to the build directory (POSIX sh).
# Prints "ok - ..." or "not ok - ..." per check and exits non-zero if any
# check failed. Every ssockets process runs under `timeout`, so a hang
# becomes a failure, never a stuck `make check`; the temporary directory
# and a server still running are removed on every way out.
#
# Checked: the help and usage errors (exit 2); genkey/pubkey and the key
# file rules (0600, no overwrite, refusals naming the file, exit 3);
# OpenSSL's PEM keys both ways; 1 MiB of random bytes through
# listen/connect byte for byte in NN, NK and XX with --allow, and 1 MiB
# each way at once; --test-ephemeral makes sessions repeatable; wrong,
# unknown and unexpected keys refused; --plain; --fingerprint;
# standard output closed early; the demo script.
. tests/cli_lib.sh

# ---------------------------------------------------------------- helpers of this file
# one_line FILE: exactly one line, "ssockets: ...".
one_line() {
    [ "$(wc -l <"$1")" -eq 1 ] && grep -q '^ssockets: ' "$1"
}

# is_key TEXT: 44 characters of base64 ending in '=' (32 bytes).
is_key() {
    printf '%s\n' "$1" | grep -Eq '^[A-Za-z0-9+/]{43}=$'
}

# ---------------------------------------------------------------- help and usage

# mentions FILE WORD...: FILE contains every WORD.
mentions() {
    file=$1
    shift
    for word in "$@"; do
        grep -q -e "$word" "$file" || return 1
    done
}

"$ss" --help >"$tmp/help" 2>&1
verdict "--help exits 0"
mentions "$tmp/help" "^  listen " "^  connect " "^  genkey " "^  pubkey " "^  convert-key " \
    "^  version "
verdict "--help describes each subcommand"
mentions "$tmp/help" --key --peer --allow --plain --trace --fingerprint --timeout --force NN NK XX \
    "Exit status"
verdict "--help documents every option, the patterns and the exit codes"
for c in listen connect genkey pubkey convert-key version; do
    run "$c" --help
    [ "$s" -eq 0 ] && grep -q "^usage: ssockets $c" "$tmp/out"
    verdict "$c --help exits 0 and shows its usage"
done

version=$(sed -n 's/^VERSION = //p' Makefile)
run --version
[ "$s" -eq 0 ] && [ -n "$version" ] && [ "$(cat "$tmp/out")" = "ssockets $version" ] &&
    run version && [ "$s" -eq 0 ] && [ "$(cat "$tmp/out")" = "ssockets $version" ]
verdict "--version and version print 'ssockets VERSION' (the Makefile's) and exit 0" "$tmp/err"

# usage_error DESCRIPTION ARGS...: exit 2, one line that points to --help.
usage_error() {
    what=$1
    shift
    run "$@"
    [ "$s" -eq 2 ] && one_line "$tmp/err" && grep -q -e '--help' "$tmp/err"
    verdict "usage error, exit 2 and one line: $what" "$tmp/err"
}
usage_error "no command"
usage_error "unknown command" frobnicate
usage_error "unknown option" connect --bogus 127.0.0.1 1
usage_error "missing PORT" connect 127.0.0.1
usage_error "an extra argument" connect 127.0.0.1 1 2
usage_error "a port that is not a number" connect 127.0.0.1 http
usage_error "port 65536" listen 127.0.0.1 65536
usage_error "port 0 for connect" connect 127.0.0.1 0
usage_error "an option without its value" connect 127.0.0.1 1 --key
usage_error "a bad --timeout" connect --timeout soon 127.0.0.1 1
usage_error "--allow is for listen only" connect --allow x 127.0.0.1 1
usage_error "listen --allow without --key" listen --allow x 127.0.0.1 0
usage_error "--plain with a key" connect --plain --peer x 127.0.0.1 1
usage_error "genkey without FILE" genkey
usage_error "pubkey takes no --force" pubkey --force x

# ---------------------------------------------------------------- keys

run genkey "$tmp/a.key"
pub_a=$(cat "$tmp/out")
[ "$s" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] && is_key "$pub_a"
verdict "genkey exits 0 and prints a 44-character base64 public key" "$tmp/err"
[ "$(ls -l "$tmp/a.key" | cut -c1-10)" = "-rw-------" ]
verdict "genkey writes the key file with mode 0600"
run pubkey "$tmp/a.key"
[ "$s" -eq 0 ] && [ "$(cat "$tmp/out")" = "$pub_a" ]
verdict "pubkey prints the same public key" "$tmp/err"

cp "$tmp/a.key" "$tmp/a.copy"
run genkey "$tmp/a.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "a.key" "$tmp/err" &&
    cmp -s "$tmp/a.key" "$tmp/a.copy"
verdict "genkey refuses to overwrite: exit 3, one line naming the file, file unchanged" "$tmp/err"
run genkey --force "$tmp/a.key"
pub_a=$(cat "$tmp/out")
[ "$s" -eq 0 ] && ! cmp -s "$tmp/a.key" "$tmp/a.copy"
verdict "genkey --force replaces the key" "$tmp/err"
run pubkey "$tmp/a.key"
[ "$s" -eq 0 ] && [ "$(cat "$tmp/out")" = "$pub_a" ]
verdict "  ...and pubkey prints the new public key" "$tmp/err"

cp "$tmp/a.key" "$tmp/open.key"
chmod 644 "$tmp/open.key"
run pubkey "$tmp/open.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "open.key" "$tmp/err"
verdict "pubkey refuses a 0644 private key: exit 3, one line naming the file" "$tmp/err"

printf 'this is not a key\n' >"$tmp/garbage.key"
chmod 600 "$tmp/garbage.key"
run pubkey "$tmp/garbage.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "garbage.key" "$tmp/err"
verdict "pubkey refuses a garbage file: exit 3, one line naming the file" "$tmp/err"

run pubkey "$tmp/missing.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "missing.key" "$tmp/err"
verdict "pubkey on a missing file: exit 3, one line naming the file" "$tmp/err"

# OpenSSL's keys, both ways. OpenSSL's public key is the last 32 bytes of
# its DER SubjectPublicKeyInfo (RFC 8410 §4).
openssl_pub() {
    openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | base64
}
head -n 1 "$tmp/a.key" | grep -q -e '^-----BEGIN PRIVATE KEY-----$' &&
    [ "$(openssl_pub "$tmp/a.key")" = "$pub_a" ]
verdict "genkey writes PEM PKCS#8 by default: openssl pkey -pubout reads it, same public key"

# Keys that cannot be mixed up: the public key where a private key is
# expected, and the reverse, are refused (exit 3, one line) for what they
# are, naming the file, and a public file hears no advice about its mode.
# key_mixup DESCRIPTION PATTERN ARGS...: exit 3, one line, PATTERN, no chmod.
key_mixup() {
    what=$1 pattern=$2
    shift 2
    run "$@"
    [ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q -e "$pattern" "$tmp/err" &&
        ! grep -q chmod "$tmp/err"
    verdict "$what" "$tmp/err"
}
printf '%s\n' "$pub_a" >"$tmp/a.pub" && chmod 644 "$tmp/a.pub"
key_mixup "pubkey on a public key file: says it holds a public key, no chmod advice" \
    "a.pub' holds one line of base64, the form of a public key, but a private key" \
    pubkey "$tmp/a.pub"
chmod 600 "$tmp/a.pub"
key_mixup "  ...and the same after chmod 600 (no different key printed)" \
    "a.pub' holds one line of base64, the form of a public key" pubkey "$tmp/a.pub"
key_mixup "listen --key with a public key file is refused for what it holds" \
    "the form of a public key" listen --key "$tmp/a.pub" 127.0.0.1 0
key_mixup "connect --peer with a private key file: says so and what to pass instead" \
    "a.key': holds a private key (PEM 'PRIVATE KEY'), but a public key is expected.*ssockets pubkey" \
    connect --peer "$tmp/a.key" 127.0.0.1 1
run connect --peer "$(cat "$tmp/a.key")" 127.0.0.1 1
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "holds a private key" "$tmp/err" &&
    ! grep -q "BEGIN" "$tmp/err"
verdict "connect --peer with a private key's text: refused, and the secret is not echoed" "$tmp/err"

# A private key of ssockets 0.1 (one line of base64, mode 0600): refused
# with the command that converts it; convert-key keeps the key. The old
# file is made from OpenSSL's key (its raw 32 bytes, the last of the DER).
openssl genpkey -algorithm X25519 -out "$tmp/old.pem" 2>/dev/null
pub_old=$(openssl_pub "$tmp/old.pem")
openssl pkey -in "$tmp/old.pem" -outform DER 2>/dev/null | tail -c 32 | base64 >"$tmp/old.key"
chmod 600 "$tmp/old.key"
run pubkey "$tmp/old.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "ssockets convert-key '$tmp/old.key'" "$tmp/err"
verdict "a 0.1 private key (base64): exit 3 with the convert-key command" "$tmp/err"
run convert-key "$tmp/old.key"
[ "$s" -eq 0 ] && [ "$(cat "$tmp/out")" = "$pub_old" ] &&
    [ "$(openssl_pub "$tmp/old.key")" = "$pub_old" ] &&
    [ "$(ls -l "$tmp/old.key" | cut -c1-10)" = "-rw-------" ]
verdict "convert-key rewrites it as PEM (0600) with the same key, and prints the public key" \
    "$tmp/err"
run convert-key "$tmp/old.key"
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "already PEM" "$tmp/err"
verdict "  ...and refuses a file that is already PEM" "$tmp/err"
openssl genpkey -algorithm X25519 -out "$tmp/ossl.pem" 2>"$tmp/err" &&
    chmod 600 "$tmp/ossl.pem" &&
    openssl pkey -in "$tmp/ossl.pem" -pubout -out "$tmp/ossl.pub" 2>>"$tmp/err"
verdict "openssl makes an X25519 key pair (PEM)" "$tmp/err"
pub_ossl=$(openssl_pub "$tmp/ossl.pem")
run pubkey "$tmp/ossl.pem"
[ "$s" -eq 0 ] && is_key "$pub_ossl" && [ "$(cat "$tmp/out")" = "$pub_ossl" ]
verdict "an OpenSSL PEM private key is accepted; pubkey agrees with openssl pkey" "$tmp/err"
run genkey --pem "$tmp/pem.key"
pem_pub=$(cat "$tmp/out")
[ "$s" -eq 0 ] && head -n 1 "$tmp/pem.key" | grep -q -e '^-----BEGIN PRIVATE KEY-----' &&
    [ "$(openssl_pub "$tmp/pem.key")" = "$pem_pub" ]
verdict "genkey --pem writes PKCS#8 that openssl reads, with the same public key" "$tmp/err"

# ---------------------------------------------------------------- sessions

head -c 1048576 /dev/urandom >"$tmp/up.bin"
head -c 1048576 /dev/urandom >"$tmp/down.bin"
: >"$tmp/empty"

# The server's key (b), a client's key (c) and a stranger's (d).
pub_b=$("$ss" genkey "$tmp/b.key")
pub_c=$("$ss" genkey "$tmp/c.key")
pub_d=$("$ss" genkey "$tmp/d.key")
printf '%s\n' "$pub_b" >"$tmp/b.pub"

# transferred NAME PROTOCOL: both sides exited 0, both announced PROTOCOL,
# and the server's stdout is the client's input, byte for byte.
transferred() {
    [ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] &&
        grep -q "^ssockets: connected, $2, " "$tmp/$1.serr" &&
        grep -q "^ssockets: connected, $2, " "$tmp/$1.cerr" &&
        cmp -s "$tmp/up.bin" "$tmp/$1.sout"
}

session nn "$tmp/empty" "$tmp/up.bin" --
transferred nn Noise_NN_25519_ChaChaPoly_SHA256
verdict "NN: 1 MiB client -> server arrives byte for byte" "$tmp/nn.serr" "$tmp/nn.cerr"
grep -q "(no peer key)" "$tmp/nn.serr" && grep -q "(no peer key)" "$tmp/nn.cerr"
verdict "NN: neither side has an authenticated peer key"

session duplex "$tmp/down.bin" "$tmp/up.bin" --
transferred duplex Noise_NN_25519_ChaChaPoly_SHA256 && cmp -s "$tmp/down.bin" "$tmp/duplex.cout"
verdict "NN: 1 MiB each way at the same time, both byte for byte" \
    "$tmp/duplex.serr" "$tmp/duplex.cerr"

session nk "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" -- --peer "$pub_b"
transferred nk Noise_NK_25519_ChaChaPoly_SHA256 && grep -q "peer key $pub_b\$" "$tmp/nk.cerr"
verdict "NK (listen --key, connect --peer KEY): 1 MiB byte for byte, server key reported" \
    "$tmp/nk.serr" "$tmp/nk.cerr"

session nkpem "$tmp/empty" "$tmp/up.bin" --key "$tmp/ossl.pem" -- --peer "$tmp/ossl.pub"
transferred nkpem Noise_NK_25519_ChaChaPoly_SHA256
verdict "NK with OpenSSL's keys: listen --key PEM, connect --peer PEM-FILE" \
    "$tmp/nkpem.serr" "$tmp/nkpem.cerr"

{
    echo "# clients allowed to connect"
    echo
    echo "$pub_d  # a stranger, listed too"
    echo "   $pub_c   # the client"
} >"$tmp/allow"
session xx "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" --allow "$tmp/allow" -- \
    --key "$tmp/c.key" --peer "$tmp/b.pub"
transferred xx Noise_XX_25519_ChaChaPoly_SHA256 &&
    grep -q "peer key $pub_c\$" "$tmp/xx.serr" && grep -q "peer key $pub_b\$" "$tmp/xx.cerr"
verdict "XX with --allow (client pins the server with --peer FILE): 1 MiB, both keys reported" \
    "$tmp/xx.serr" "$tmp/xx.cerr"

session plain "$tmp/empty" "$tmp/up.bin" --plain -- --plain
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] && cmp -s "$tmp/up.bin" "$tmp/plain.sout" &&
    grep -q "no encryption" "$tmp/plain.serr" && grep -q "no encryption" "$tmp/plain.cerr"
verdict "--plain: 1 MiB byte for byte, and both sides warn that nothing is encrypted" \
    "$tmp/plain.serr" "$tmp/plain.cerr"

# --test-ephemeral (the course's worked examples): with every key fixed, two
# XX sessions narrate the same handshake, value for value; without it the
# ephemeral keys, and so every value after them, change. The Noise lines are
# compared (the transport lines of a side come from two threads).
"$ss" genkey "$tmp/e_client.key" >/dev/null && "$ss" genkey "$tmp/e_server.key" >/dev/null
noise_lines() {
    grep -E '^trace: (initiator|responder) ' "$1"
}
fixed_session() {
    session "$1" "$tmp/empty" "$tmp/empty" --trace --key "$tmp/b.key" \
        --test-ephemeral "$tmp/e_server.key" -- \
        --trace --key "$tmp/c.key" --test-ephemeral "$tmp/e_client.key"
}
fixed_session fixed1
s1=$sstatus c1=$cstatus
fixed_session fixed2
[ "$s1" -eq 0 ] && [ "$c1" -eq 0 ] && [ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] &&
    [ "$(noise_lines "$tmp/fixed1.cerr" | wc -l)" -gt 20 ] &&
    noise_lines "$tmp/fixed1.cerr" >"$tmp/fixed1.c" && noise_lines "$tmp/fixed2.cerr" >"$tmp/fixed2.c" &&
    noise_lines "$tmp/fixed1.serr" >"$tmp/fixed1.s" && noise_lines "$tmp/fixed2.serr" >"$tmp/fixed2.s" &&
    cmp -s "$tmp/fixed1.c" "$tmp/fixed2.c" && cmp -s "$tmp/fixed1.s" "$tmp/fixed2.s" &&
    grep -q "^ssockets: warning: --test-ephemeral" "$tmp/fixed1.serr" &&
    grep -q "^ssockets: warning: --test-ephemeral" "$tmp/fixed1.cerr"
verdict "--test-ephemeral: two XX sessions trace identical handshakes; both sides warn" \
    "$tmp/fixed1.serr" "$tmp/fixed1.cerr" "$tmp/fixed2.serr" "$tmp/fixed2.cerr"
session random "$tmp/empty" "$tmp/empty" --trace --key "$tmp/b.key" -- --trace --key "$tmp/c.key"
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] &&
    noise_lines "$tmp/random.cerr" >"$tmp/random.c" && ! cmp -s "$tmp/fixed1.c" "$tmp/random.c" &&
    ! grep -q "test-ephemeral" "$tmp/random.cerr"
verdict "  ...and without it the handshake values differ (random ephemeral keys)" \
    "$tmp/random.serr" "$tmp/random.cerr"
# The e the client sent is the public key of its --test-ephemeral file.
e_hex=$("$ss" pubkey "$tmp/e_client.key" | base64 -d | od -An -tx1 | tr -d ' \n')
[ ${#e_hex} -eq 64 ] && grep -q "^trace: initiator -> msg 1 write: token e: e.pub = $e_hex\$" \
    "$tmp/fixed1.cerr"
verdict "  ...and the client's e is the public key of its --test-ephemeral file" "$tmp/fixed1.cerr"
usage_error "--plain with --test-ephemeral" connect --plain --test-ephemeral x 127.0.0.1 1

# --test-kem (the course's hybrid examples): with docs/keys/kem_xxhfs.hex,
# NIST's ACVP ML-KEM-768 test tcId 28 (dk then m), the client's e1 is that
# test's ek, sent whole in message 1, and the server's ekem1 gives that
# test's ciphertext and shared secret; both sides warn. The expected values
# are read from the vector file, not computed here.
acvp() { # acvp FIELD: tcId 28's FIELD in lower-case hex
    python3 -c 'import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tests"] if t["tcId"] == 28][0]
print(t[sys.argv[2]].lower())' vectors/noise/hfs/acvp_mlkem768_encaps.json "$1"
}
kem=docs/keys/kem_xxhfs.hex
session kem "$tmp/empty" "$tmp/empty" --trace --key "$tmp/b.key" --test-kem "$kem" -- \
    --trace --key "$tmp/c.key" --hybrid --test-kem "$kem"
ek=$(acvp ek) ct=$(acvp c) k=$(acvp k)
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] && [ ${#ek} -eq 2368 ] &&
    grep -q "^trace: wire: sent 04c0 [0-9a-f]\{64\}$ek\$" "$tmp/kem.cerr" &&
    grep -q "^trace: responder <- msg 2 write: token ekem1: ENCAPS(re1): ct = $(echo "$ct" |
        cut -c1-64)\.\.\. (1088 bytes)\$" "$tmp/kem.serr" &&
    grep -q "^trace: responder <- msg 2 write: token ekem1: kem_output = $k\$" "$tmp/kem.serr" &&
    grep -q "^trace: initiator <- msg 2 read: token ekem1: KEM(e1, ct): kem_output = $k\$" \
        "$tmp/kem.cerr" &&
    grep -q "^ssockets: warning: --test-kem" "$tmp/kem.serr" &&
    grep -q "^ssockets: warning: --test-kem" "$tmp/kem.cerr"
verdict "--test-kem: XXhfs with ACVP tcId 28's ek, ciphertext and shared secret; both warn" \
    "$tmp/kem.serr" "$tmp/kem.cerr"
printf '00\n' >"$tmp/short.hex"
printf 'zz%04860d\n' 0 >"$tmp/nothex.hex"
for bad in short nothex; do
    run connect --hybrid --test-kem "$tmp/$bad.hex" 127.0.0.1 1
    [ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q -e "--test-kem: .*$bad.hex: " "$tmp/err"
    verdict "--test-kem refuses a file that is not 2,432 bytes of hex ($bad), exit 3" "$tmp/err"
done
usage_error "--plain with --test-kem" connect --plain --test-kem x 127.0.0.1 1

# --fingerprint: both sides print the same first 16 bytes of h, and they
# are the handshake hash that the trace prints at the end.
fingerprint_of() {
    sed -n 's/^ssockets: fingerprint \([0-9a-f ]*\)$/\1/p' "$1" | tr -d ' '
}
session fp "$tmp/empty" "$tmp/empty" --fingerprint --trace -- --fingerprint
h_traced=$(sed -n 's/^trace: responder end: handshake hash: h = //p' "$tmp/fp.serr" | cut -c1-32)
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] && [ ${#h_traced} -eq 32 ] &&
    [ "$(fingerprint_of "$tmp/fp.serr")" = "$h_traced" ] &&
    [ "$(fingerprint_of "$tmp/fp.cerr")" = "$h_traced" ]
verdict "--fingerprint: both sides print the first 16 bytes of the handshake hash h" \
    "$tmp/fp.serr" "$tmp/fp.cerr"
session fp2 "$tmp/empty" "$tmp/empty" --fingerprint -- --fingerprint
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] && [ -n "$(fingerprint_of "$tmp/fp2.cerr")" ] &&
    [ "$(fingerprint_of "$tmp/fp2.cerr")" != "$(fingerprint_of "$tmp/fp.cerr")" ]
verdict "  ...and another session has another fingerprint" "$tmp/fp2.serr" "$tmp/fp2.cerr"
usage_error "--plain with --fingerprint" listen --plain --fingerprint 127.0.0.1 0

# ---------------------------------------------------------------- refusals

# refused NAME SIDE TEXT: both sides failed (exit 1), nothing reached the
# server's stdout, and SIDE (serr or cerr) ended with one line saying TEXT.
refused() {
    [ "$sstatus" -eq 1 ] && [ "$cstatus" -eq 1 ] && [ ! -s "$tmp/$1.sout" ] &&
        tail -n 1 "$tmp/$1.$2" | grep -q "^ssockets: .*$3"
}

session wrongnk "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" -- --peer "$pub_d"
refused wrongnk cerr "server's static key is not the pinned key: the server could not authenticate our first"
verdict "NK with a wrong --peer key fails; the server's refusal says our first message failed" \
    "$tmp/wrongnk.serr" "$tmp/wrongnk.cerr"

session wrongxx "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" -- --key "$tmp/c.key" --peer "$pub_d"
refused wrongxx cerr "server's static key is not the pinned key"
verdict "XX with a wrong --peer key fails: the server's key is not the pinned key" \
    "$tmp/wrongxx.serr" "$tmp/wrongxx.cerr"

printf '%s\n' "$pub_d" >"$tmp/allow.d"
session unknown "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" --allow "$tmp/allow.d" -- \
    --key "$tmp/c.key"
refused unknown serr "not allowed" &&
    tail -n 1 "$tmp/unknown.cerr" | grep -q "^ssockets: the client's static key is not allowed: the server refused our static key: it is not in the server's allow-list (its refusal is authenticated)" &&
    ! grep -q truncated "$tmp/unknown.cerr"
verdict "a client key missing from --allow is refused; both sides say so (the client from the server's sealed refusal)" \
    "$tmp/unknown.serr" "$tmp/unknown.cerr"

session pinned "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" --peer "$pub_d" -- --key "$tmp/c.key"
refused pinned serr "not the pinned key" &&
    tail -n 1 "$tmp/pinned.cerr" | grep -q "the server refused our static key: it is not the key the server pinned"
verdict "listen --peer KEY refuses another client key; the client learns it from the server" \
    "$tmp/pinned.serr" "$tmp/pinned.cerr"

# NK against a listener without a key: the server's refusal frame says it
# refused the pattern, and what it accepts; nothing suggests an impostor.
session mismatch "$tmp/empty" "$tmp/up.bin" -- --peer "$pub_b"
refused mismatch serr "refused the handshake pattern" &&
    tail -n 1 "$tmp/mismatch.cerr" | grep -q "the server refused Noise_NK_25519_ChaChaPoly_SHA256; it accepts only NN" &&
    ! grep -q "pinned" "$tmp/mismatch.cerr"
verdict "NK against a listener without a key: the client says the server refused the pattern" \
    "$tmp/mismatch.serr" "$tmp/mismatch.cerr"

# Peers that do not speak SSockets/1: one that says hello, an HTTP server
# (it answers the bytes it got with a 400), one that closes at once.
cat >"$tmp/fake.py" <<'END'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.recv(4096)  # what the client sent: closing then sends FIN, not RST
if sys.argv[1] == "http":
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
elif sys.argv[1] == "hello":
    c.sendall(b"hello\n")
c.close()
END
# foreign NAME PATTERN WHAT: connect to fake.py NAME; exit 1, one line, PATTERN.
foreign() {
    : >"$tmp/fake.port"
    timeout $T python3 "$tmp/fake.py" "$1" >"$tmp/fake.port" &
    fpid=$!
    i=0
    while [ ! -s "$tmp/fake.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    run connect 127.0.0.1 "$(cat "$tmp/fake.port")"
    wait "$fpid"
    [ "$s" -eq 1 ] && one_line "$tmp/err" && grep -q -e "$2" "$tmp/err"
    verdict "a peer that $3: 'does not speak SSockets/1', with what it saw" "$tmp/err"
}
foreign hello 'the peer does not speak SSockets/1: the server.s answer begins "hello?" (6 bytes)' \
    "prints hello"
foreign http 'the peer does not speak SSockets/1: the server.s answer begins "HTTP/1.1 400' \
    "is an HTTP server"
foreign closed 'closed at once, without answering Noise_NN_25519_ChaChaPoly_SHA256: the peer does not speak SSockets/1' \
    "closes at once"

# A port another listener holds: said once, with what to do.
timeout $T "$ss" listen 127.0.0.1 0 </dev/null >/dev/null 2>"$tmp/held.err" &
hpid=$!
i=0
while [ -z "$(port_of "$tmp/held.err")" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
run listen 127.0.0.1 "$(port_of "$tmp/held.err")"
kill "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
[ "$s" -eq 1 ] && one_line "$tmp/err" && grep -q "ss -ltnp" "$tmp/err" &&
    [ "$(grep -o -i "address already in use" "$tmp/err" | wc -l)" -eq 1 ]
verdict "a port in use: exit 1, one line, 'in use' said once, with 'ss -ltnp'" "$tmp/err"

# IPv6 in brackets, as the command prints it: listen [::1] 0, connect [::1] PORT.
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    : >"$tmp/v6.serr"
    timeout $T "$ss" listen "[::1]" 0 <"$tmp/empty" >"$tmp/v6.sout" 2>"$tmp/v6.serr" &
    spid=$!
    i=0
    while ! grep -q "listening on" "$tmp/v6.serr" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    v6port=$(sed -n 's/^ssockets: listening on \[::1\]:\([0-9]*\)$/\1/p' "$tmp/v6.serr")
    echo "over IPv6" | timeout $T "$ss" connect "[::1]" "$v6port" >/dev/null 2>"$tmp/v6.cerr"
    cstatus=$?
    wait_server
    [ -n "$v6port" ] && [ "$cstatus" -eq 0 ] && [ "$sstatus" -eq 0 ] &&
        [ "$(cat "$tmp/v6.sout")" = "over IPv6" ]
    verdict "IPv6 in brackets: listen [::1] 0 prints [::1]:PORT, connect [::1] PORT works" \
        "$tmp/v6.serr" "$tmp/v6.cerr"
    run connect "[::1]" 1
    [ "$s" -eq 1 ] && grep -q "\[::1\] (\[::1\]) port 1" "$tmp/err"
    verdict "  ...and an error names the IPv6 address in brackets" "$tmp/err"
else
    echo "ok - IPv6 in brackets: skipped, no IPv6 loopback here"
fi
usage_error "brackets around an IPv4 address" connect "[127.0.0.1]" 1

printf '# one good key, then a bad line\n%s\nnot-a-key\n' "$pub_c" >"$tmp/allow.bad"
run listen --key "$tmp/b.key" --allow "$tmp/allow.bad" 127.0.0.1 0
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "allow.bad:3:" "$tmp/err"
verdict "a bad line in --allow: exit 3, one line naming FILE:LINE" "$tmp/err"

# Trust files others can write are refused like loose private keys (StrictModes).
printf '%s\n' "$pub_c" >"$tmp/allow.open" && chmod 0666 "$tmp/allow.open"
run listen --key "$tmp/b.key" --allow "$tmp/allow.open" 127.0.0.1 0
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "allow.open.*0666.*write" "$tmp/err"
verdict "--allow FILE writable by others: exit 3, one line naming the file and mode" "$tmp/err"
printf '%s\n' "$pub_b" >"$tmp/peer.open" && chmod 0664 "$tmp/peer.open"
run connect --peer "$tmp/peer.open" 127.0.0.1 1
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "peer.open.*0664.*write" "$tmp/err"
verdict "--peer FILE writable by group: exit 3, one line naming the file and mode" "$tmp/err"

run connect --peer "not-a-key" 127.0.0.1 1
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "not-a-key" "$tmp/err"
verdict "--peer that is neither a key nor a file: exit 3, one line" "$tmp/err"

run listen --key "$tmp/open.key" 127.0.0.1 0
[ "$s" -eq 3 ] && one_line "$tmp/err" && grep -q "open.key" "$tmp/err"
verdict "listen --key with a 0644 key file: exit 3, one line naming the file" "$tmp/err"

# The last session's listener has ended, so nothing listens on its port.
run connect 127.0.0.1 "$port"
[ "$s" -eq 1 ] && one_line "$tmp/err"
verdict "connect to a port where nobody listens: exit 1, one line" "$tmp/err"

# The reader of the listener's stdout leaves after 10 bytes, as `| head`
# does: the listener ends quietly with status 0, as cat does. (The client
# may succeed: the listener had already sent its close, and the kernel may
# have taken all of the client's data before the failure.)
mkfifo "$tmp/epipe.sout"
head -c 10 <"$tmp/epipe.sout" >/dev/null &
hpid=$!
if start_server epipe "$tmp/empty"; then
    timeout $T "$ss" connect 127.0.0.1 "$port" <"$tmp/up.bin" >/dev/null 2>"$tmp/epipe.cerr"
    cstatus=$?
    wait_server
else
    wait_server
    sstatus=99 cstatus=99
fi
wait "$hpid"
[ "$sstatus" -eq 0 ] && [ "$cstatus" -ne 99 ] && ! grep -q "standard output" "$tmp/epipe.serr"
verdict "stdout closed early (| head): the listener ends quietly with status 0" \
    "$tmp/epipe.serr" "$tmp/epipe.cerr"

# The same on the client's side: connect ... | head -n 2.
seq 1 200000 >"$tmp/lines"
mkfifo "$tmp/head.fifo"
if start_server head "$tmp/lines"; then
    head -n 2 <"$tmp/head.fifo" >"$tmp/head.out" &
    hpid=$!
    timeout $T "$ss" connect 127.0.0.1 "$port" </dev/null >"$tmp/head.fifo" 2>"$tmp/head.cerr"
    cstatus=$?
    wait "$hpid"
    wait_server
else
    wait_server
    cstatus=99
fi
[ "$cstatus" -eq 0 ] && [ "$(cat "$tmp/head.out")" = "$(printf '1\n2')" ] &&
    ! grep -q "standard output" "$tmp/head.cerr"
verdict "connect ... | head -n 2: the client ends quietly with status 0" "$tmp/head.cerr"

# ---------------------------------------------------------------- the demo

timeout 60 sh src/cli/demo.sh "$build" >"$tmp/demo.out" 2>&1 &&
    grep -qF "Hey, whats up server? it's me, the client talking!" "$tmp/demo.out" &&
    grep -qF "Hello client, the server here: message received, all encrypted." "$tmp/demo.out" &&
    grep -q "^trace: " "$tmp/demo.out"
verdict "the demo script runs by itself, traces the handshake, shows both messages" \
    "$tmp/demo.out"

exit $fail
