#!/bin/sh
# eavesdrop.sh — the third terminal of the chat demo: what someone who can
# see the network reads of the conversation.
#
#   sudo examples/chat/eavesdrop.sh PORT [INTERFACE]     (INTERFACE: lo)
#
# Captures with tshark every TCP segment to or from PORT and prints its
# payload twice: as text (a byte that is not printable shows as '.') and as
# hex. With `chat --plain` the typed lines appear in the text column; with
# encryption only the handshake's protocol name (sent in clear on purpose,
# docs/protocol.md) is readable, and every message is ciphertext that
# changes even when the same line is typed twice. Stop it with Ctrl-C.
#
# Capturing needs root, or a dumpcap allowed to capture (on Debian:
# sudo dpkg-reconfigure wireshark-common, then join the wireshark group).
set -eu

usage() {
    echo "usage: $0 PORT [INTERFACE]    (needs root or capture rights)" >&2
    exit 2
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
port=$1
iface=${2:-lo}
case $port in '' | *[!0-9]*) usage ;; esac

command -v tshark >/dev/null 2>&1 || {
    echo "eavesdrop: tshark is not installed (sudo apt-get install tshark)" >&2
    exit 1
}

echo "eavesdrop: watching TCP port $port on $iface; Ctrl-C stops." >&2

# -l: print each packet at once; -d: show the port's bytes as plain data,
# whatever protocol the port number usually means; desegmentation off: each
# segment shows the bytes it carried. Only segments with a payload are
# printed (the handshake's SYN/ACKs carry none). perl, not awk, turns the
# hex into text: Debian's awk (mawk) waits to fill its input buffer before
# it prints anything, which a live view cannot have.
tshark -i "$iface" -f "tcp port $port" -l -n \
    -d "tcp.port==$port,data" -o tcp.desegment_tcp_streams:FALSE \
    -Y "tcp.len > 0" -T fields -e tcp.srcport -e tcp.dstport -e tcp.len -e tcp.payload |
    PORT=$port perl -ne '
        BEGIN { $| = 1 }                       # print each packet at once
        chomp;
        my ($src, $dst, $len, $hex) = split /\t/;
        my $who = $dst == $ENV{PORT} ? "to the listener  " : "from the listener";
        # text: the bytes themselves, with anything not printable as "."
        (my $text = pack("H*", $hex)) =~ tr/\x20-\x7e/./c;
        $text = substr($text, 0, 160) . "..." if length($text) > 160;
        $hex = substr($hex, 0, 96) . "..." if length($hex) > 96;
        printf "%s  %5d bytes\n    text: %s\n    hex:  %s\n", $who, $len, $text, $hex;
    '
