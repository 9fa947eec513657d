"""dissect.py — every byte of a traced SSockets session, labelled and checked.

    sh docs/keys/session.sh xx | python3 docs/keys/dissect.py

Reads the output of session.sh (each side's --trace lines) and prints every
frame that each side sent, field by field. Nothing here knows the patterns:
the layout of a handshake message is read from its writer's trace (a
"token e" line is 32 bytes of public key in clear, an "EncryptAndHash ->
48 bytes of ciphertext" is 32 bytes of ciphertext and a 16-byte tag, ...).

Every field is also checked against an independent computation, so that
the listing proves what it labels:
  - an ephemeral key equals the e.pub of its writer's trace;
  - every ciphertext and every tag is recomputed from the key k, the counter
    n and the associated data h taken from the trace, with OpenSSL's
    ChaCha20 and Poly1305 (the `openssl` command), put together as RFC 8439
    §2.8 says: the Poly1305 key is the first 32 bytes of ChaCha20 block 0,
    the message is encrypted from block 1 on, and the tag covers
    AD || pad || ciphertext || pad || len(AD) || len(ciphertext);
  - a transport frame is decrypted the same way, with the transport key of
    Split() (k1 client to server, k2 server to client) and the frame's
    counter, to show its type byte and body.
A mismatch prints "MISMATCH" and makes the exit status 1.
"""
import re
import subprocess
import sys

ok = True


def openssl(args, data):
    return subprocess.run(["openssl"] + args, input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def chacha20(key, counter, nonce, data):
    """RFC 8439 §2.4 with the 32-bit block counter `counter`; OpenSSL's IV is
    the counter (4 bytes, little-endian) followed by the 12-byte nonce."""
    iv = counter.to_bytes(4, "little") + nonce
    return openssl(["enc", "-chacha20", "-K", key.hex(), "-iv", iv.hex()], data)


def aead_seal(key, n, ad, plaintext):
    """ChaCha20-Poly1305 (RFC 8439 §2.8) with Noise's nonce for counter n
    (Noise §12.3: 32 zero bits, then n as 64-bit little-endian)."""
    nonce = bytes(4) + n.to_bytes(8, "little")
    poly_key = chacha20(key, 0, nonce, bytes(32))
    ct = chacha20(key, 1, nonce, plaintext)
    pad = lambda b: bytes(-len(b) % 16)
    mac_data = ad + pad(ad) + ct + pad(ct) + len(ad).to_bytes(8, "little") + \
        len(ct).to_bytes(8, "little")
    tag = bytes.fromhex(openssl(["mac", "-macopt", "hexkey:" + poly_key.hex(), "POLY1305"],
                                mac_data).decode().strip())
    return ct, tag


def field(hexstr, label):
    for i in range(0, len(hexstr), 64):
        print("  " + hexstr[i:i + 64])
    print("      " + label)


def verdict(same):
    global ok
    ok = ok and same
    return "checked" if same else "MISMATCH"


# ---- read both traces: what each side wrote, message by message ----

sides = {"client": [], "server": []}
for line in sys.stdin:
    side, _, rest = line.rstrip("\n").partition(": ")
    if side in sides:
        sides[side].append(rest)

frames = []        # (number or None, side, description, hex, fields)
transport = {}
for side, lines in sides.items():
    h = k = None
    n = 0
    message = None            # the handshake message being written
    pending = []              # the fields it has so far
    tokens = []
    last_pub = None
    number = None
    for rest in lines:
        m = re.search(r"(?:InitializeSymmetric: h = ck|MixHash: h) = ([0-9a-f]{64})", rest)
        if m:
            h = bytes.fromhex(m.group(1))
        m = re.search(r"MixKey: ck = [0-9a-f]{64}, k = ([0-9a-f]{64})", rest)
        if m:
            k, n = bytes.fromhex(m.group(1)), 0
        m = re.search(r"(?:->|<-) msg (\d) write: token (\w+)", rest)
        if m:
            tokens.append(m.group(2))
        m = re.search(r"write: token e: e\.pub = ([0-9a-f]{64})", rest)
        if m:
            pending.append(("e", m.group(1), None))
        m = re.search(r"write: token s: s\.pub = ([0-9a-f]{64})", rest)
        if m:
            last_pub = bytes.fromhex(m.group(1))
        m = re.search(r"write: EncryptAndHash\((\S+)\): (\d+) bytes -> (\d+) bytes( of ciphertext)?",
                      rest)
        if m:
            what = m.group(1)
            plaintext = last_pub if what == "s.pub" else b""
            if m.group(4):
                pending.append((what, None, aead_seal(k, n, h, plaintext) + (n,)))
                n += 1
            elif plaintext:
                pending.append((what + " in clear", plaintext.hex(), None))
        if re.search(r"read: DecryptAndHash\(\S+\): \d+ bytes of ciphertext", rest):
            n += 1  # the reader's counter moves too: both sides count
        m = re.search(r"Split: k1 = ([0-9a-f]{64}), k2 = ([0-9a-f]{64})", rest)
        if m:
            keys = [bytes.fromhex(m.group(1)), bytes.fromhex(m.group(2))]
            transport[side] = [keys[0] if side == "client" else keys[1], 0]
        m = re.match(r"SSockets/1: (->|<-) frame (\d+) = (.*)", rest)
        if m:
            number = int(m.group(2))
            message = m.group(3)
        if rest.startswith("wire: received "):
            number = None  # the frame line above was about this one
        m = re.match(r"wire: sent ([0-9a-f]{4}) ([0-9a-f]*)$", rest)
        if m:
            if number is None:
                frames.append((None, side, None, m.group(1), m.group(2)))
            else:
                frames.append((number, side, (message, tokens, pending), m.group(1), m.group(2)))
            number, pending, tokens = None, [], []

# ---- print: the handshake frames in protocol order, then each side's transport ----

def show_handshake(number, side, info, length, body):
    message, tokens, fields = info
    other = "server" if side == "client" else "client"
    if number == 0:
        print("frame 0, client -> server: the protocol name (%d bytes)" % (2 + len(body) // 2))
        field(length, "length: %d bytes follow" % int(length, 16))
        field(body, '"%s", in ASCII, in clear' % bytes.fromhex(body).decode())
        return
    print('frame %d, %s -> %s: %s, "%s" (%d bytes)' % (
        number, side, other, re.sub(r" \(\d+ bytes\)", "", message),
        ", ".join(tokens), 2 + len(body) // 2))
    field(length, "length: %d bytes follow" % int(length, 16))
    pos = 0
    for name, clear, sealed in fields:
        if clear is not None:
            got = body[pos:pos + len(clear)]
            what = "e: the %s's ephemeral public key, in clear" % side if name == "e" else name
            field(got, "%s (= e.pub in its trace: %s)" % (what, verdict(got == clear)))
            pos += len(clear)
            continue
        ct, tag, n = sealed
        if ct:
            got = body[pos:pos + 2 * len(ct)]
            field(got, "s: the %s's static public key, encrypted: ChaCha20 with k, n = %d "
                  "(OpenSSL: %s)" % (side, n, verdict(got == ct.hex())))
            pos += 2 * len(ct)
        got = body[pos:pos + 32]
        field(got, "tag of %s: Poly1305, key k, n = %d, AD = h (OpenSSL: %s)" % (
            "s" if ct else "the empty payload", n, verdict(got == tag.hex())))
        pos += 32
    if pos != len(body):
        print("      MISMATCH: %d bytes left over" % ((len(body) - pos) // 2))
        verdict(False)


TYPES = {0: "data, last fragment", 1: "data, more follows", 2: "close", 3: "refused"}


def show_transport(side, count, length, body):
    key, n = transport[side]
    transport[side][1] += 1
    other = "server" if side == "client" else "client"
    data = bytes.fromhex(body)
    ct, tag = data[:-16], data[-16:]
    plaintext = chacha20(key, 1, bytes(4) + n.to_bytes(8, "little"), ct)
    _, expected = aead_seal(key, n, b"", plaintext)
    kind = TYPES.get(plaintext[0], "unknown type")
    print("%s -> %s, transport frame %d (%d bytes)" % (side, other, count, 2 + len(data)))
    field(length, "length: %d bytes follow" % int(length, 16))
    field(ct.hex(), "ChaCha20 of type || body with %s, n = %d; decrypted: %02x (%s)%s" % (
        "k1" if side == "client" else "k2", n, plaintext[0], kind,
        " || " + plaintext[1:].hex() + " " + repr(plaintext[1:].decode(errors="replace"))
        if len(plaintext) > 1 else ""))
    field(tag.hex(), "tag: Poly1305, AD empty (OpenSSL: %s)" % verdict(tag == expected))


for number, side, info, length, body in sorted(
        (f for f in frames if f[0] is not None), key=lambda f: f[0]):
    show_handshake(number, side, info, length, body)
for side in ("client", "server"):
    count = 0
    for number, s, info, length, body in frames:
        if s == side and number is None:
            count += 1
            show_transport(side, count, length, body)
sys.exit(0 if ok else 1)
