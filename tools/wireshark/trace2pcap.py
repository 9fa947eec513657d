"""trace2pcap.py — a capture file made from a traced session, for the
dissector's tests and the course (docs/wire.md).

    sh docs/keys/session.sh nn hello hi | python3 tools/wireshark/trace2pcap.py OUT.pcap
        [--segment-size N] [--flip FRAME:BYTE] [--client-port P] [--server-port P]

Reads the "wire: sent LLLL HEX" lines of both sides' --trace output (the
output of docs/keys/session.sh) and writes a classic pcap file (LINKTYPE_RAW,
IPv4) of one TCP connection 127.0.0.1:client-port -> 127.0.0.1:server-port
carrying exactly those bytes: a three-way handshake, the frames, and a FIN
from each side. Packets are ordered as the protocol orders them (frame 0,
the handshake messages in turn, then the client's transport frames, then the
server's); time stamps are fixed, so the same session always gives the same
file, byte for byte. A real capture (tests/test_wireshark.sh, as root) shows
the same bytes with real timing.

  --segment-size N   cut each run of consecutive frames in one direction into
                     TCP segments of N bytes, so that frames straddle segments
                     and segments hold several frames (default: one frame per
                     segment)
  --flip FRAME:BYTE  flip the lowest bit of byte BYTE (0 = the first byte
                     after the length) of frame number FRAME in the order
                     above (0 = frame 0): a tampered capture
"""
import argparse
import re
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_tcp(src_port, dst_port, seq, ack, flags, payload, ident):
    addr = bytes([127, 0, 0, 1])
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = addr + addr + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), ident, 0x4000,
                     64, 6, 0, addr, addr)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp + payload


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--segment-size", type=int, default=0)
    ap.add_argument("--flip", default=None)
    ap.add_argument("--client-port", type=int, default=40000)
    ap.add_argument("--server-port", type=int, default=5000)
    args = ap.parse_args()

    sent = {"client": [], "server": []}
    for line in sys.stdin:
        m = re.match(r"^(client|server): (?:trace: )?wire: sent ([0-9a-f]{4}) ([0-9a-f]*)( \.\.\.)?$",
                     line.rstrip("\n"))
        if not m:
            continue
        if m.group(4):
            sys.exit("trace2pcap: a frame of %d bytes was cut in the trace; use shorter messages"
                     % int(m.group(2), 16))
        sent[m.group(1)].append(bytes.fromhex(m.group(2) + m.group(3)))
    if not sent["client"]:
        sys.exit("trace2pcap: no 'client: wire: sent' lines on standard input")

    # The protocol's order: frame 0 and the handshake messages alternate
    # (client: frame 0 and message 1, server: message 2, client: message 3
    # in XX), then each side's transport frames.
    c, s = sent["client"], sent["server"]
    name = c[0][2:].decode("ascii", "replace")
    # XX and XXhfs have three handshake messages, the other patterns two.
    messages = 3 if re.match(r"Noise_XX(hfs)?_", name) else 2 if name.startswith("Noise_") else 0
    order = []                         # (side, frame)
    if messages:
        order += [("client", c[0]), ("client", c[1]), ("server", s[0])]
        ci, si = 2, 1
        if messages == 3:
            order.append(("client", c[2]))
            ci = 3
    else:
        ci, si = 0, 0
    order += [("client", f) for f in c[ci:]] + [("server", f) for f in s[si:]]

    if args.flip:
        number, byte = (int(x) for x in args.flip.split(":"))
        side, frame = order[number]
        frame = bytearray(frame)
        frame[2 + byte] ^= 1
        order[number] = (side, bytes(frame))

    # Runs of consecutive frames in one direction, cut into segments.
    flights = []
    for side, frame in order:
        if flights and flights[-1][0] == side and args.segment_size:
            flights[-1][1].append(frame)
        else:
            flights.append((side, [frame]))
    segments = []
    for side, frames in flights:
        data = b"".join(frames)
        size = args.segment_size or len(data)
        for i in range(0, len(data), size):
            segments.append((side, data[i:i + size]))

    cp, sp = args.client_port, args.server_port
    seq = {"client": 1000, "server": 5000}
    packets = []

    def send(side, flags, payload=b""):
        other = "server" if side == "client" else "client"
        ports = (cp, sp) if side == "client" else (sp, cp)
        ack = seq[other] if flags != 0x02 else 0
        packets.append(ipv4_tcp(ports[0], ports[1], seq[side], ack, flags, payload,
                                len(packets) + 1))
        seq[side] += len(payload) + (1 if flags & 0x03 else 0)  # SYN and FIN count one

    send("client", 0x02)                     # SYN
    send("server", 0x12)                     # SYN, ACK
    send("client", 0x10)                     # ACK
    for side, payload in segments:
        send(side, 0x18, payload)            # PSH, ACK
    send("client", 0x11)                     # FIN, ACK
    send("server", 0x11)
    send("client", 0x10)

    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, p in enumerate(packets):
            f.write(struct.pack("<IIII", 1800000000, 1000 * i, len(p), len(p)) + p)


main()
