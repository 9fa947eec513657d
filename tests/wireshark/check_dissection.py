"""check_dissection.py — does the dissector's view of a capture agree with
what the two programs said they sent?

    python3 tests/wireshark/check_dissection.py TRACE TSHARK_OUTPUT MODE MARKER

TRACE is the output of docs/keys/session.sh (both sides' --trace lines,
"client: ..." and "server: ..."); TSHARK_OUTPUT is
`tshark -X lua_script:tools/wireshark/ssockets.lua -r CAPTURE -T pdml` (every
field with its full value)
of a capture of that session. MODE is:
  nokeys      no key log: every field equals the trace, and MARKER (which the
              client sent) appears nowhere in the output, as text or as hex
  keys        with the key log: the same, and every transport frame's tag
              checks and MARKER appears as the decrypted body
  tampered    with the key log, one transport frame changed: exactly one
              frame is flagged, and it shows no type and no body
Checks, for every SSockets frame the dissector shows:
  - one block per frame that the trace says was sent, in order per direction;
  - frame 0: the protocol name and its pattern;
  - a handshake message: its fields (e, s, tags), concatenated in the order
    shown, are exactly the bytes of the "wire: sent" line, and each
    ephemeral key is the e.pub of its writer's trace;
  - a transport frame: ciphertext || tag are the bytes of its "wire: sent"
    line (except the tampered one) and the counter n counts from 0.
Prints what it checked; exits 1 on the first mismatch.
"""
import re
import sys
import xml.etree.ElementTree as ET

trace_path, output_path, mode, marker = sys.argv[1:5]


def die(msg):
    print("not ok - dissection (%s): %s" % (mode, msg))
    sys.exit(1)


# ---- the trace: what each side sent, and its ephemeral key
sent = {"client": [], "server": []}
epub = {}
name = None
for line in open(trace_path):
    m = re.match(r"^(client|server): wire: sent [0-9a-f]{4} ([0-9a-f]*)$", line.rstrip("\n"))
    if m:
        sent[m.group(1)].append(m.group(2))
    m = re.match(r"^(client|server): .*write: token e: e\.pub = ([0-9a-f]{64})", line)
    if m:
        epub[m.group(1)] = m.group(2)
    m = re.match(r'^client: SSockets/1: -> frame 0 = protocol name "([^"]+)"', line)
    if m:
        name = m.group(1)
if not name or not sent["client"] or not sent["server"]:
    die("the trace has no protocol name or no frames")
pattern = name.split("_")[1]            # NN, ..., or a hybrid form: NNhfs, ...
messages = 3 if pattern in ("XX", "XXhfs") else 2

# ---- the dissector's output (PDML): one <proto name="ssockets"> per frame
text = open(output_path, encoding="utf-8", errors="replace").read()
try:
    root = ET.fromstring(text)
except ET.ParseError as e:
    die("tshark's PDML does not parse: %s" % e)
blocks = []
for proto in root.iter("proto"):
    if proto.get("name") != "ssockets":
        continue
    fields = [(f.get("name"), f.get("show"), f.get("value")) for f in proto.iter("field")]
    blocks.append({"title": proto.get("showname"), "fields": fields})


def get(block, name, attr="show"):
    return [show if attr == "show" else value for n, show, value in block["fields"]
            if n == "ssockets." + name]


def one(block, name, attr="show"):
    v = get(block, name, attr)
    if len(v) != 1:
        die("%r: expected one ssockets.%s, found %d" % (block["title"], name, len(v)))
    return v[0]


total = len(sent["client"]) + len(sent["server"])
if len(blocks) != total:
    die("%d SSockets frames shown, but the trace sent %d" % (len(blocks), total))

HANDSHAKE_FIELDS = ["ssockets.e", "ssockets.s", "ssockets.s_tag", "ssockets.payload_tag",
                    "ssockets.e1", "ssockets.e1_tag", "ssockets.ekem1", "ssockets.ekem1_tag"]
index = {"client": 0, "server": 0}
counter = {"client": 0, "server": 0}
flagged = 0
checked_handshake = 0
for b in blocks:
    side = "client" if one(b, "direction") == "client -> server" else "server"
    if index[side] >= len(sent[side]):
        die("%r: more frames from the %s than it sent" % (b["title"], side))
    wire = sent[side][index[side]]
    index[side] += 1
    if int(one(b, "frame_len")) != len(wire) // 2:
        die("%r: frame length %s, the trace sent %d bytes" % (b["title"], one(b, "frame_len"),
                                                               len(wire) // 2))
    kind = one(b, "kind")
    if kind.startswith("frame 0"):
        if one(b, "protocol") != name or one(b, "pattern") != pattern:
            die("frame 0 shows %s / %s, the trace %s" % (one(b, "protocol"),
                                                         one(b, "pattern"), name))
        continue
    if kind.startswith("handshake message"):
        got = "".join(v for n, _, v in b["fields"] if n in HANDSHAKE_FIELDS)
        if got != wire:
            die("%r: its fields give %s, the trace sent %s" % (b["title"], got, wire))
        for e in get(b, "e", "value"):
            if e != epub[side]:
                die("%r: e = %s, but the %s's trace says e.pub = %s" % (b["title"], e, side,
                                                                       epub[side]))
        checked_handshake += 1
        continue
    if kind != "transport frame":
        die("%r: unexpected kind %r" % (b["title"], kind))
    if int(one(b, "n")) != counter[side]:
        die("%r: n = %s, expected %d" % (b["title"], one(b, "n"),
                                         counter[side]))
    counter[side] += 1
    got = one(b, "ciphertext", "value") + one(b, "tag", "value")
    ok = get(b, "tag_ok")
    if mode == "nokeys":
        if ok or get(b, "type") or get(b, "body"):
            die("%r: without the key log, a tag check or a plaintext is shown" % b["title"])
    elif ok == ["0"]:
        flagged += 1
        if get(b, "type") or get(b, "body") or get(b, "text"):
            die("%r: a frame whose tag does not check shows a plaintext" % b["title"])
        if mode != "tampered":
            die("%r: the tag does not check" % b["title"])
        continue
    elif ok != ["1"] or not get(b, "type"):
        die("%r: with the key log, no checked tag and type" % b["title"])
    if got != wire:
        die("%r: ciphertext || tag = %s, the trace sent %s" % (b["title"], got, wire))

if checked_handshake != messages:
    die("%d handshake messages shown, %s has %d" % (checked_handshake, pattern, messages))
marker_hex = marker.encode().hex()
flat = re.sub(r"[^0-9a-f]", "", text.lower())
if mode == "nokeys":
    if marker in text or marker_hex in flat:
        die("the marker is in the output, without the key log")
elif mode == "keys":
    texts = [t for b in blocks for t in get(b, "text")]
    if not any(marker in t for t in texts):
        die("the marker is not shown as a decrypted body: %r" % texts)
elif mode == "tampered":
    if flagged != 1:
        die("%d frames flagged, expected exactly 1" % flagged)
print("ok - dissection (%s): %s, %d frames, every field equal to the trace%s" % (
    mode, name, len(blocks),
    {"nokeys": "; no marker without the key log",
     "keys": "; every tag checked and the marker decrypted",
     "tampered": "; the one changed frame flagged, no plaintext shown"}[mode]))
