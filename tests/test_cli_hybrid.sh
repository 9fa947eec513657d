#!/bin/sh
# test_cli_hybrid.sh — the command's hybrid (post-quantum) handshakes end to
# end, as a user runs them (the same conventions as test_cli.sh):
#   - connect --hybrid proposes the hfs form of the pattern its key options
#     select (NNhfs, NKhfs, XXhfs); 1 MiB goes through byte for byte;
#   - --classic (and no option: the default) proposes the classical one;
#     the last of --hybrid / --classic wins;
#   - listen accepts both forms; listen --hybrid-only refuses a classical
#     proposal, and both sides say why;
#   - --trace narrates e1 and ekem1; --fingerprint works unchanged;
#   - --help says what the default is; --plain cannot be hybrid.
CLI_TEST_NAME=hybrid
. tests/cli_lib.sh

transferred() {
    [ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] &&
        grep -q "^ssockets: connected, $2, " "$tmp/$1.serr" &&
        grep -q "^ssockets: connected, $2, " "$tmp/$1.cerr" &&
        cmp -s "$tmp/up.bin" "$tmp/$1.sout"
}

hfs() { echo "Noise_$1hfs_25519+MLKEM768_ChaChaPoly_SHA256"; }
classic() { echo "Noise_$1_25519_ChaChaPoly_SHA256"; }

# ---------------------------------------------------------------- help

"$ss" --help >"$tmp/help" 2>&1
grep -q -e "--hybrid" "$tmp/help" && grep -q -e "--hybrid-only" "$tmp/help" &&
    grep -q "NNhfs" "$tmp/help" && grep -q "default is classical" "$tmp/help"
verdict "--help documents --hybrid, --hybrid-only, the hfs patterns and the default"
run connect --help
grep -q -e "--hybrid " "$tmp/out" && grep -q -e "--classic " "$tmp/out" &&
    grep -q "(the default" "$tmp/out"
verdict "connect --help documents --hybrid and --classic, and says which is the default"
run listen --help
grep -q -e "--hybrid-only" "$tmp/out"
verdict "listen --help documents --hybrid-only"
for bad in "connect --hybrid-only" "listen --hybrid" "listen --classic"; do
    # shellcheck disable=SC2086
    run $bad 127.0.0.1 1
    [ "$s" -eq 2 ] && grep -q "unknown option" "$tmp/err"
    verdict "usage error, exit 2: $bad" "$tmp/err"
done
run connect --plain --hybrid 127.0.0.1 1
[ "$s" -eq 2 ] && grep -q "cannot be hybrid" "$tmp/err"
verdict "usage error, exit 2: --plain with --hybrid" "$tmp/err"

# ---------------------------------------------------------------- sessions

head -c 1048576 /dev/urandom >"$tmp/up.bin"
: >"$tmp/empty"
pub_b=$("$ss" genkey "$tmp/b.key")
pub_c=$("$ss" genkey "$tmp/c.key")
printf '%s\n' "$pub_c" >"$tmp/allow"

session nn "$tmp/empty" "$tmp/up.bin" -- --hybrid
transferred nn "$(hfs NN)"
verdict "connect --hybrid: NNhfs, 1 MiB byte for byte" "$tmp/nn.serr" "$tmp/nn.cerr"

session nk "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" -- --hybrid --peer "$pub_b"
transferred nk "$(hfs NK)" && grep -q "peer key $pub_b\$" "$tmp/nk.cerr"
verdict "connect --hybrid --peer: NKhfs, 1 MiB, server key reported" "$tmp/nk.serr" "$tmp/nk.cerr"

session xx "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" --allow "$tmp/allow" --hybrid-only -- \
    --key "$tmp/c.key" --peer "$pub_b" --hybrid
transferred xx "$(hfs XX)" &&
    grep -q "peer key $pub_c\$" "$tmp/xx.serr" && grep -q "peer key $pub_b\$" "$tmp/xx.cerr"
verdict "XXhfs with --allow and listen --hybrid-only: 1 MiB, both keys reported" \
    "$tmp/xx.serr" "$tmp/xx.cerr"

session def "$tmp/empty" "$tmp/up.bin" --key "$tmp/b.key" -- --peer "$pub_b"
transferred def "$(classic NK)"
verdict "no option: the classical pattern (NK), accepted by a listener that takes both" \
    "$tmp/def.serr" "$tmp/def.cerr"

session last "$tmp/empty" "$tmp/up.bin" -- --hybrid --classic
transferred last "$(classic NN)"
verdict "--hybrid --classic: the last one wins (NN)" "$tmp/last.serr" "$tmp/last.cerr"

# ---------------------------------------------------------------- refusal

session only "$tmp/empty" "$tmp/up.bin" --hybrid-only -- --classic
[ "$sstatus" -eq 1 ] && [ "$cstatus" -eq 1 ] && [ ! -s "$tmp/only.sout" ] &&
    tail -n 1 "$tmp/only.serr" | grep -q "^ssockets: .*proposed $(classic NN); this server accepts only NNhfs (it is hybrid-only" &&
    tail -n 1 "$tmp/only.cerr" | grep -q "^ssockets: the server refused the handshake pattern .*it accepts only NNhfs (it is hybrid-only"
verdict "listen --hybrid-only refuses a classical client; both sides say why" \
    "$tmp/only.serr" "$tmp/only.cerr"

# ---------------------------------------------------------------- trace, fingerprint

session tr "$tmp/empty" "$tmp/empty" --trace --fingerprint -- --trace --fingerprint --hybrid
fp() { sed -n 's/^ssockets: fingerprint \([0-9a-f ]*\)$/\1/p' "$1" | tr -d ' '; }
h=$(sed -n 's/^trace: initiator end: handshake hash: h = \([0-9a-f]*\)$/\1/p' "$tmp/tr.cerr" | cut -c1-32)
[ "$sstatus" -eq 0 ] && [ "$cstatus" -eq 0 ] && [ ${#h} -eq 32 ] &&
    [ "$(fp "$tmp/tr.cerr")" = "$h" ] && [ "$(fp "$tmp/tr.serr")" = "$h" ]
verdict "--fingerprint with --hybrid: both sides print the first 16 bytes of h" \
    "$tmp/tr.serr" "$tmp/tr.cerr"
for line in \
    "initiator -> msg 1 write: token e1: e1.pub = [0-9a-f]*\.\.\. (1184 bytes)" \
    "initiator -> msg 1 write: EncryptAndHash(e1.pub): 1184 bytes -> 1184 bytes in clear" \
    "responder -> msg 1 read: token e1: re1 = " \
    "responder <- msg 2 write: token ekem1: ENCAPS(re1): ct = [0-9a-f]*\.\.\. (1088 bytes)" \
    "responder <- msg 2 write: token ekem1: kem_output = [0-9a-f]\{64\}$" \
    "responder <- msg 2 write: EncryptAndHash(ct): 1088 bytes -> 1104 bytes of ciphertext" \
    "initiator <- msg 2 read: token ekem1: KEM(e1, ct): kem_output = [0-9a-f]\{64\}$"; do
    grep -q "^trace: $line" "$tmp/tr.cerr" "$tmp/tr.serr"
    verdict "--trace narrates: $line" "$tmp/tr.cerr"
done
# The KEM output the responder encapsulated is the one the initiator
# decapsulated, and the MixKey after it is the same on both sides.
k_r=$(sed -n 's/^trace: responder <- msg 2 write: token ekem1: kem_output = //p' "$tmp/tr.serr")
k_i=$(sed -n 's/^trace: initiator <- msg 2 read: token ekem1: KEM(e1, ct): kem_output = //p' "$tmp/tr.cerr")
[ ${#k_r} -eq 64 ] && [ "$k_r" = "$k_i" ]
verdict "  ...the same kem_output on both sides" "$tmp/tr.serr" "$tmp/tr.cerr"
# Frame sizes on the wire: NNhfs message 1 is 32 + 1184 bytes, message 2
# 32 + 1104 + 16 (the length field in hex, then the frame).
grep -q "^trace: wire: sent 04c0 " "$tmp/tr.cerr" && grep -q "^trace: wire: sent 0480 " "$tmp/tr.serr"
verdict "  ...NNhfs frames: message 1 is 1216 bytes (04c0), message 2 1152 (0480)" \
    "$tmp/tr.cerr" "$tmp/tr.serr"

exit $fail
