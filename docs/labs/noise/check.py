#!/usr/bin/env python3
"""check.py -- the checker of the "Noise by hand" lab (docs/labs.md).

    python3 docs/labs/noise/check.py [YOUR_noise_lab.py]

(default: docs/labs/noise/noise_lab.py, the skeleton). Run from the top of
the repository after `make`. It checks, in order, and stops at the first
failure with what it expected:
  0. primitives.py against RFC 8439 §2.8.2 and RFC 7748 §5.2 (not yours);
  1-4. your MixHash, MixKey, EncryptAndHash and Split, one at a time, on the
     values that a real SSockets NN session printed (docs/keys/session.sh);
  5. whole NN, NK and XX handshakes: every message must be, byte for byte,
     what the real program sent on the wire, and the split keys and the
     handshake hash what it traced;
  6. the official Noise test vectors (vectors/noise/cacophony/cacophony.txt)
     for NN, NK and XX: their prologue, payloads and transport messages.
Exit status 0 when everything passes.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import traceback

sys.dont_write_bytecode = True   # no __pycache__ in the repository
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import primitives  # noqa: E402

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "noise_lab.py")
spec = importlib.util.spec_from_file_location("student_noise_lab", path)
lab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab)


def ok(step, what):
    print("ok   %s: %s" % (step, what))


def fail(step, what, hint=None):
    print("FAIL %s: %s" % (step, what))
    if hint:
        print("     hint: %s" % hint)
    sys.exit(1)


def expect(step, what, got, want, hint=None):
    if got != want:
        show = lambda v: v.hex() if isinstance(v, (bytes, bytearray)) else repr(v)
        fail(step, "%s\n     expected %s\n     got      %s" % (what, show(want), show(got)), hint)


def attempt(step, function, *args):
    """Runs one of the student's functions; a TODO or a crash is a failure."""
    try:
        return function(*args)
    except NotImplementedError:
        fail(step, "%s is still a TODO" % function.__qualname__)
    except Exception:   # the student's code: show what went wrong
        fail(step, "%s raised an exception:\n%s" % (function.__qualname__,
                                                      traceback.format_exc(limit=3)))


# ------------------------------------------------------------- 0. primitives
v = open(os.path.join(ROOT, "vectors/rfc8439/aead.txt")).read()
f = dict(re.findall(r"^(\w+) = (\w+)$", v.split("Section = 2.8.2")[1].split("Section =")[0], re.M))
b = {k: bytes.fromhex(x) for k, x in f.items()}
sealed = primitives.rfc8439_seal(b["Key"], b["Nonce"], b["AAD"], b["Plaintext"])
assert sealed == b["Ciphertext"] + b["Tag"], "primitives.py: ChaCha20-Poly1305"
v = open(os.path.join(ROOT, "vectors/rfc7748/x25519.txt")).read()
k, u, out = [bytes.fromhex(re.search(r"^%s = (\w+)$" % n, v, re.M).group(1))
             for n in ("Scalar", "U", "Output")]
assert primitives.x25519(k, u) == out, "primitives.py: X25519"
ok("0", "primitives.py matches RFC 8439 §2.8.2 and RFC 7748 §5.2")


# ------------------------------------------------------------- the real sessions
def session(pattern):
    r = subprocess.run(["sh", "docs/keys/session.sh", pattern], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit("check.py: docs/keys/session.sh %s failed (did you run make?):\n%s"
                 % (pattern, r.stderr))
    return r.stdout


def traced(text, side, pattern):
    """The first value of side's trace line matching pattern (a regex)."""
    m = re.search(r"^%s: (?:initiator|responder) %s$" % (side, pattern), text, re.M)
    if not m:
        sys.exit("check.py: no trace line %r" % pattern)
    return bytes.fromhex(m.group(1))


def wire(text, side):
    return [bytes.fromhex(m) for m in
            re.findall(r"^%s: wire: sent [0-9a-f]{4} ([0-9a-f]+)$" % side, text, re.M)]


def key(name):
    """The 32 secret bytes of a PEM PKCS#8 key file: the last 32 of its DER
    (RFC 8410 section 7)."""
    import base64
    lines = open(os.path.join(ROOT, "docs/keys/%s.key" % name)).read().splitlines()
    return base64.b64decode("".join(l for l in lines if not l.startswith("-----")))[-32:]


nn = session("nn")
NN = "Noise_NN_25519_ChaChaPoly_SHA256"

# 1. MixHash
st = attempt("1 MixHash", lab.SymmetricState, NN)
attempt("1 MixHash", st.mix_hash, b"SSockets/1")
expect("1 MixHash", "h after MixHash(\"SSockets/1\") from the protocol name", st.h,
       traced(nn, "client", r"setup: MixHash: h = ([0-9a-f]+)"),
       "h = SHA-256(h || data), with the old h first")
ok("1", "MixHash gives the h of the trace after the prologue")

# 2. MixKey
st = lab.SymmetricState(NN)
dh = traced(nn, "client", r"<- msg 2 read: token ee: DH\(e, re\) = ([0-9a-f]+)")
st.cipher.n = 3          # as if an earlier key had encrypted three times
attempt("2 MixKey", st.mix_key, dh)
m = re.search(r"^client: initiator <- msg 2 read: MixKey: ck = (\w+), k = (\w+)$", nn, re.M)
expect("2 MixKey", "ck after MixKey(ee), from ck = the protocol name", st.ck,
       bytes.fromhex(m.group(1)), "ck, temp_k = hkdf(ck, input_key_material, 2)")
expect("2 MixKey", "the cipher key after MixKey", st.cipher.k, bytes.fromhex(m.group(2)))
expect("2 MixKey", "n after MixKey (it was 3 with the previous key)", st.cipher.n, 0,
       "a new key starts a new count")
ok("2", "MixKey gives the ck and k of the trace")

# 3. EncryptAndHash, without a key, then with the key of step 2
st = lab.SymmetricState(NN)
h0 = st.h
c = attempt("3 EncryptAndHash", st.encrypt_and_hash, b"abc")
expect("3 EncryptAndHash", "without a key, the plaintext comes back as it is", c, b"abc")
expect("3 EncryptAndHash", "without a key, h still takes in the 'ciphertext'", st.h,
       primitives.sha256(h0 + b"abc"))
st.cipher.k, st.cipher.n = bytes.fromhex(m.group(2)), 0
st.h = traced(nn, "server", r"<- msg 2 write: MixHash: h = ([0-9a-f]+)")   # after e
frame2 = wire(nn, "server")[0]
c = attempt("3 EncryptAndHash", st.encrypt_and_hash, b"")
expect("3 EncryptAndHash", "the tag of message 2's empty payload (its last 16 bytes on the "
       "wire)", c, frame2[-16:], "the associated data is h, taken before MixHash")
expect("3 EncryptAndHash", "h after the payload",
       st.h, traced(nn, "client", r"end: handshake hash: h = ([0-9a-f]+)"))
expect("3 EncryptAndHash", "n after one encryption", st.cipher.n, 1)
ok("3", "EncryptAndHash gives message 2's tag on the wire and the final h")

# 4. Split, from the last ck of the trace
m = re.search(r"^client: initiator <- msg 2 read: MixKey: ck = (\w+), k = (\w+)$", nn, re.M)
st.ck = bytes.fromhex(m.group(1))
c1, c2 = attempt("4 Split", st.split)
m = re.search(r"^client: initiator end: Split: k1 = (\w+), k2 = (\w+)$", nn, re.M)
expect("4 Split", "k1", c1.k, bytes.fromhex(m.group(1)))
expect("4 Split", "k2", c2.k, bytes.fromhex(m.group(2)))
expect("4 Split", "the counters of the new cipher states", (c1.n, c2.n), (0, 0))
ok("4", "Split gives the k1 and k2 of the trace")


# 5. Whole handshakes against the real program
def handshake(pattern, prologue, ikeys, rkeys, payloads, step, want_messages):
    i = lab.HandshakeState(pattern, True, prologue, **ikeys)
    r = lab.HandshakeState(pattern, False, prologue, **rkeys)
    for number, payload in enumerate(payloads):
        writer, reader = (i, r) if number % 2 == 0 else (r, i)
        msg = attempt(step, writer.write_message, payload)
        expect(step, "%s message %d" % (pattern, number + 1), msg, want_messages[number],
               "tokens in order, then EncryptAndHash(payload); 'e' appends e.pub and "
               "MixHashes it")
        got = reader.read_message(msg)
        expect(step, "%s message %d read back" % (pattern, number + 1), got, payload)
    return i, r


fixed = {"nn": ({}, {}),
         "nk": ({"rs": primitives.x25519_base(key("resp_static"))},
                {"s": lab.keypair(key("resp_static"))}),
         "xx": ({"s": lab.keypair(key("init_static"))}, {"s": lab.keypair(key("resp_static"))})}
for name in ("nn", "nk", "xx"):
    text = nn if name == "nn" else session(name)
    ikeys, rkeys = fixed[name]
    ikeys = dict(ikeys, e=lab.keypair(key("init_ephemeral")))
    rkeys = dict(rkeys, e=lab.keypair(key("resp_ephemeral")))
    sent_c, sent_s = wire(text, "client"), wire(text, "server")
    count = len(lab.PATTERNS[name.upper()][1])
    want = [sent_c[1], sent_s[0], sent_c[2]][:count]     # frame 0 is the name
    i, r = handshake(name.upper(), b"SSockets/1", ikeys, rkeys, [b""] * count, "5 " + name.upper(),
                     want)
    ci1, ci2 = i.symmetric.split()
    m = re.search(r"^client: initiator end: Split: k1 = (\w+), k2 = (\w+)$", text, re.M)
    expect("5 " + name.upper(), "k1, k2 after the handshake", (ci1.k, ci2.k),
           (bytes.fromhex(m.group(1)), bytes.fromhex(m.group(2))))
    expect("5 " + name.upper(), "the handshake hash", i.symmetric.h,
           traced(text, "client", r"end: handshake hash: h = ([0-9a-f]+)"))
    ok("5", "%s: %d messages equal the real session's wire bytes; k1, k2 and h too"
       % (name.upper(), count))

# 6. The cacophony vectors
vectors = json.load(open(os.path.join(ROOT, "vectors/noise/cacophony/cacophony.txt")))["vectors"]
for pattern in ("NN", "NK", "XX"):
    vec = [x for x in vectors if x["protocol_name"] == "Noise_%s_25519_ChaChaPoly_SHA256" % pattern][0]
    hx = lambda field: bytes.fromhex(vec[field]) if vec.get(field) else None
    ikeys = {"e": lab.keypair(hx("init_ephemeral"))}
    rkeys = {"e": lab.keypair(hx("resp_ephemeral"))}
    if hx("init_static"):
        ikeys["s"] = lab.keypair(hx("init_static"))
    if hx("resp_static"):
        rkeys["s"] = lab.keypair(hx("resp_static"))
    if hx("init_remote_static"):
        ikeys["rs"] = hx("init_remote_static")
    count = len(lab.PATTERNS[pattern][1])
    msgs = vec["messages"]
    i, r = handshake(pattern, hx("init_prologue"), ikeys, rkeys,
                     [bytes.fromhex(m["payload"]) for m in msgs[:count]], "6 " + pattern,
                     [bytes.fromhex(m["ciphertext"]) for m in msgs[:count]])
    expect("6 " + pattern, "the handshake hash", i.symmetric.h, hx("handshake_hash"))
    ci = i.symmetric.split()
    cr = r.symmetric.split()
    for number, m in enumerate(msgs[count:]):
        # After the handshake the messages keep alternating.
        initiator_sends = (count + number) % 2 == 0
        cs = ci[0] if initiator_sends else cr[1]
        got = cs.encrypt_with_ad(b"", bytes.fromhex(m["payload"]))
        expect("6 " + pattern, "transport message %d" % (count + number + 1), got,
               bytes.fromhex(m["ciphertext"]))
    ok("6", "cacophony %s: %d handshake and %d transport messages, and the handshake hash"
       % (pattern, count, len(msgs) - count))
print("all steps pass: you have written Noise")
