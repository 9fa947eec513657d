"""check_refusal.py — the server's two refusals (docs/protocol.md), on the
wire and in the dissector, checked independently of both the C code and the
dissector's Lua.

    python3 tests/wireshark/check_refusal.py clear TRACE PDML
    python3 tests/wireshark/check_refusal.py sealed TRACE PDML KEYLOG

TRACE: both sides' --trace lines ("client: ...", "server: ..."); PDML:
`tshark -X lua_script:tools/wireshark/ssockets.lua -r CAPTURE -T pdml` of
the capture that tools/wireshark/trace2pcap.py made from TRACE.

  clear   NK proposed to a server without a key: the server's only frame is
          "SSockets/1 refused" || 0x01 || what it accepts, in clear; the
          dissector shows it as a refusal frame with that reason and text.
  sealed  XX from a client not in the server's --allow list: the server's
          only transport frame, opened here with the key log's k2 and n = 0
          by the `openssl` command (ChaCha20 from block 1; the Poly1305 key
          from block 0; the tag over ciphertext || pad || le64(0) ||
          le64(len), RFC 8439 §2.8), is type 0x03 with the reason byte 0x01;
          the dissector shows the same, its tag checked.
Exits 1 with "not ok - ..." on the first mismatch.
"""
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

mode, trace_path, pdml_path = sys.argv[1:4]


def die(msg):
    print("not ok - refusal (%s): %s" % (mode, msg))
    sys.exit(1)


sent = [bytes.fromhex(m.group(1)) for m in
        re.finditer(r"^server: (?:trace: )?wire: sent [0-9a-f]{4} ([0-9a-f]+)$",
                     open(trace_path).read(), re.M)]
fields = {}
for f in ET.parse(pdml_path).getroot().iter("field"):
    if f.get("name", "").startswith("ssockets."):
        fields.setdefault(f.get("name"), []).append(f.get("show"))


def openssl(args, data):
    return subprocess.run(["openssl"] + args, input=data, stdout=subprocess.PIPE,
                          check=True).stdout


if mode == "clear":
    if len(sent) != 1:
        die("the server sent %d frames, expected its refusal only" % len(sent))
    body = sent[0]
    if not body.startswith(b"SSockets/1 refused") or body[18] != 1:
        die("not a refusal with reason 0x01: %r" % body)
    accepts = body[19:].decode("ascii")
    if fields.get("ssockets.reason") != ["0x01"] or fields.get("ssockets.accepts") != [accepts]:
        die("the dissector shows reason %s, accepts %s; the wire has 0x01, %r"
            % (fields.get("ssockets.reason"), fields.get("ssockets.accepts"), accepts))
    print("ok - refusal frame in clear: reason 0x01, accepts %r, shown as such" % accepts)
else:
    keylog = open(sys.argv[4]).read().split()
    k2 = bytes.fromhex(keylog[3])
    frame = sent[-1]  # after message 2, the server's only transport frame
    ct, tag = frame[:-16], frame[-16:]
    nonce = bytes(12)  # 32 zero bits || le64(n), n = 0
    plain = openssl(["enc", "-chacha20", "-K", k2.hex(), "-iv",
                     (struct.pack("<I", 1) + nonce).hex()], ct)
    poly_key = openssl(["enc", "-chacha20", "-K", k2.hex(), "-iv",
                        (struct.pack("<I", 0) + nonce).hex()], bytes(64))[:32]
    mac_data = ct + bytes(-len(ct) % 16) + struct.pack("<QQ", 0, len(ct))
    want = openssl(["mac", "-macopt", "hexkey:" + poly_key.hex(), "POLY1305"], mac_data)
    if bytes.fromhex(want.decode().strip()) != tag:
        die("the tag of the server's last frame does not check with k2, n = 0")
    if plain != b"\x03\x01":
        die("the server's last frame decrypts to %s, not 03 01" % plain.hex())
    if "0x03" not in fields.get("ssockets.type", []) or \
            fields.get("ssockets.reason") != ["0x01"]:
        die("the dissector shows types %s, reason %s" % (fields.get("ssockets.type"),
                                                          fields.get("ssockets.reason")))
    print("ok - refused frame 0x03, sealed: decrypts to 03 01 with k2 (openssl), tag checks,"
          " shown as such")
