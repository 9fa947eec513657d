"""generate.py — writes The Illustrated SSockets Connection (index.html).

    python3 docs/illustrated/generate.py [OUT]      (default docs/illustrated/index.html)
    make illustrated                               (the same)

Runs four real sessions, NN, NK, XX and the hybrid XXhfs, and two that the
server refuses (xx-refused: the client's key is not in --allow, answered by
a sealed frame of type 03; nk-refused: NK to a server without a key,
answered by the refusal frame in clear), with docs/keys/session.sh: the real build/ssockets (or $SS_BUILD/ssockets) with
the fixed keys of docs/keys, --test-ephemeral (and for XXhfs --test-kem,
NIST's ACVP ML-KEM-768 test tcId 28) and --trace. Then, for every byte each side sent, it
recomputes the value independently, one Noise or RFC 8439 step at a time,
with build/examples/sstool (the library's primitives on hex arguments),
and compares each result with the value the trace printed and with the
bytes on the wire. ML-KEM values (the KEM key pair, the ciphertext, the
shared secret) are not recomputed: they are read from the ACVP vector
(vectors/noise/hfs) and compared with the trace and the wire. Any difference stops it with an error: the page can only
show values that the real program produced and that the step-by-step
recomputation reproduces. The page shows, for each record, the explanation,
each step with its inputs and outputs, the sstool commands that reproduce
it, and the source lines that compute it (read from src/ as they are now).

The output is one self-contained HTML file (inline CSS and a little inline
JavaScript; no network, no fonts): records are <details> elements, open in
the HTML so that a reader without JavaScript, or a printer, sees everything;
the script closes them for reading on screen and opens them all again for
printing. Values longer than 64 bytes (an ML-KEM key or ciphertext) are
folded the same way: their first 16 bytes, then a fold with all of them. Python standard library only.

The page at a glance: the top shows the sessions side by side, one
arrow per frame from its sender, each a link to its record; each session
opens with an overview (one row per
frame, on its sender's side, each a link to its record) and its key
schedule (every key, the record that makes it and the records it
encrypts, linked both ways); records sit in their sender's lane (client
left, server right); wire bytes are grouped by byte and coloured by field;
the C listings are a second fold inside each record; the page fits 420 px
without sideways scrolling (tests/illustrated/browser.py measures it).

Adding to it. Everything shown comes from Record, Step and Key objects
built by build_pattern from a session's trace; the HTML functions only
render them. A new connection is one more pattern in main()'s list (with
its intro and, in build_pattern, its tokens and its explain_message
texts); a new frame kind is one more entry in TYPES, a CSS class for its
colour (.rec.KIND, .ov-KIND, .gl-KIND) and its explanation in explain_transport.
A refused session is named PATTERN-refused: session.sh expects both sides to
fail, and prints the client's error lines ("client said:"), which the page
quotes; in it only the server's frames after the handshake are shown (what
the client sends before it reads the refusal depends on timing).
"""
import base64
import html
import json
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("SS_BUILD", "build")
SSTOOL = os.path.join(BUILD, "examples", "sstool")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("docs", "illustrated", "index.html")
MESSAGES = {"client": "hello\n", "server": "hi\n"}   # what each side sends
PROLOGUE = b"SSockets/1".hex()
# The sessions, by session.sh's name: the Noise protocol name of each.
NAMES = {"nn": "Noise_NN_25519_ChaChaPoly_SHA256", "nk": "Noise_NK_25519_ChaChaPoly_SHA256",
         "xx": "Noise_XX_25519_ChaChaPoly_SHA256",
         "xxhfs": "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256",
         "xx-refused": "Noise_XX_25519_ChaChaPoly_SHA256",
         "nk-refused": "Noise_NK_25519_ChaChaPoly_SHA256"}
REFUSAL = b"SSockets/1 refused".hex()   # the clear refusal frame's first bytes
REASONS = {1: "not in the allow-list (--allow)", 2: "not the pinned client key (--peer)"}
ACVP = os.path.join("vectors", "noise", "hfs", "acvp_mlkem768_encaps.json")
FOLD = 64     # bytes: a longer value is shown folded (its first 16 bytes, then all)
# The transport frame kinds (protocol.md): type byte -> (what it is, the
# record's kind, i.e. its colour, and the functions that make it). A frame
# of a type not listed here stops the generator: add the kind here, its
# colour (.rec.KIND, .ov-KIND in CSS) and its words in explain_transport.
TYPES = {0: ("data, last fragment", "transport", ["seal_frame"]),
         1: ("data, more fragments follow", "transport", ["seal_frame"]),
         2: ("close", "close", ["ss_engine_close", "seal_frame"]),
         3: ("refused", "refused", ["refuse_sealed", "seal_frame"])}


def fail(msg):
    sys.exit("generate.py: " + msg)


def run(args, **kw):
    p = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120, **kw)
    if p.returncode != 0:
        fail("%s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def sstool(*args):
    """Runs sstool; returns (its output, the command as a reader types it)."""
    out = run([SSTOOL] + list(args)).strip()
    shown = ["build/examples/sstool"] + [a if a else '""' for a in args]
    return out, " ".join(shown)


def key_hex(name):
    """The secret of a PEM PKCS#8 key file: the last 32 bytes of its DER
    (RFC 8410 section 7)."""
    with open(os.path.join(ROOT, "docs", "keys", name)) as f:
        body = "".join(l for l in f.read().split("\n") if l and not l.startswith("-----"))
    return base64.b64decode(body)[-32:].hex()


def kem_inputs():
    """The ML-KEM-768 values of the XXhfs session: docs/keys/kem_xxhfs.hex
    (what --test-kem reads: dk, then m), checked against ACVP test tcId 28,
    whose ek, c and k the session must then show."""
    with open(os.path.join(ROOT, "docs", "keys", "kem_xxhfs.hex")) as f:
        raw = "".join(f.read().split())
    with open(os.path.join(ROOT, ACVP)) as f:
        t = [t for t in json.load(f)["tests"] if t["tcId"] == 28][0]
    v = {k: t[k].lower() for k in ("ek", "dk", "m", "c", "k")}
    if raw != v["dk"] + v["m"]:
        fail("docs/keys/kem_xxhfs.hex is not ACVP tcId 28's dk then m")
    # dk = dk_PKE (1152 bytes) || ek || H(ek) || z (FIPS 203 Algorithm 16)
    if v["dk"][2 * 1152:2 * (1152 + 1184)] != v["ek"]:
        fail("ACVP tcId 28: ek is not inside dk")
    return v


# ---------------------------------------------------------------- source excerpts

def function_lines(path, name):
    """(first, last, text) of a C function definition: from its comment to
    its closing brace."""
    lines = open(os.path.join(ROOT, path)).read().split("\n")
    for i, l in enumerate(lines):
        if re.match(r"^[A-Za-z_][\w \t*]*\b%s\(" % re.escape(name), l):
            j = i
            while not re.search(r"[{;]\s*$", lines[j]):
                j += 1
            if lines[j].rstrip().endswith(";"):
                continue
            k = j
            while not lines[k].startswith("}"):
                k += 1
            start = i
            while start > 0 and (lines[start - 1].startswith((" *", "/*")) or
                                 lines[start - 1].startswith(" */")):
                start -= 1
            return start + 1, k + 1, "\n".join(lines[start:k + 1])
    fail("no function %s in %s" % (name, path))


SOURCES = {
    "initialize_symmetric": "src/net/noise.c", "mix_hash": "src/net/noise.c",
    "mix_key": "src/net/noise.c", "hkdf": "src/net/noise.c", "mix_dh": "src/net/noise.c",
    "write_token": "src/net/noise.c", "encrypt_and_hash": "src/net/noise.c",
    "ss_cipher_encrypt": "src/net/noise.c", "chachapoly_nonce": "src/net/noise.c",
    "split": "src/net/noise.c", "produce_name": "src/net/engine.c",
    "seal_frame": "src/net/engine.c", "ss_engine_close": "src/net/engine.c",
    "new_output": "src/net/engine.c", "ss_handshake_init": "src/net/noise.c",
    "kem_public_key": "src/net/noise.c", "write_ekem1": "src/net/noise.c",
    "refuse_sealed": "src/net/engine.c", "refuse_in_clear": "src/net/engine.c",
}


# ---------------------------------------------------------------- one session

class Step:
    """One computation: a name, a formula, inputs and outputs (label,
    hex, from_trace), the commands that reproduce it, and the functions that
    compute it in the source."""

    def __init__(self, name, formula, inputs, outputs, commands, functions):
        self.name, self.formula = name, formula
        self.inputs, self.outputs = inputs, outputs
        self.commands, self.functions = commands, functions


class Record:
    def __init__(self, ident, kind, side, title, fields, explain):
        self.ident, self.kind, self.side, self.title = ident, kind, side, title
        self.fields = fields          # [(css class, label, hex)]
        self.explain = explain        # HTML
        self.steps = []
        self.short = title            # its label in the overview at the top


class Key:
    """One key of the key schedule: where it was made and which records
    encrypt with it (their idents), for the inline key schedule."""

    def __init__(self, name, value, made_in, formula):
        self.name, self.value, self.made_in, self.formula = name, value, made_in, formula
        self.used_by = []


def session(pattern):
    out = run(["sh", "docs/keys/session.sh", pattern, MESSAGES["client"].rstrip("\n"),
               MESSAGES["server"].rstrip("\n")], env=dict(os.environ, SS_BUILD=BUILD))
    lines = {"client": [], "server": [], "client said": []}
    for l in out.split("\n"):
        side, _, rest = l.partition(": ")
        if side in lines:
            lines[side].append(rest)
    lines["said"] = lines.pop("client said")
    return out, lines


def build_pattern(pattern):
    trace_text, lines = session(pattern)
    refused = pattern.endswith("-refused")
    P = pattern.split("-")[0].upper()
    base = P.replace("HFS", "")          # the classical pattern under a hybrid one
    kem = kem_inputs() if base != P else None
    priv = {("client", "e"): key_hex("init_ephemeral.key"),
            ("server", "e"): key_hex("resp_ephemeral.key"),
            ("client", "s"): key_hex("init_static.key") if base == "XX" else None,
            ("server", "s"): key_hex("resp_static.key") if base in ("NK", "XX") else None}
    keyfile = {("client", "e"): "init_ephemeral.key", ("server", "e"): "resp_ephemeral.key",
               ("client", "s"): "init_static.key", ("server", "s"): "resp_static.key"}
    pub = {}
    sent = {side: [re.match(r"wire: sent ([0-9a-f]{4}) ([0-9a-f]*)$", l).groups()
                   for l in lines[side] if l.startswith("wire: sent ")]
            for side in lines}
    state = {"h": None, "ck": None, "k": None, "n": 0, "hn": 0, "key": None, "dh_token": None}
    records = []
    schedule = []                       # Key, in the order they are made
    checked = [0]

    def check(what, got, want):
        if got != want:
            fail("%s %s: recomputed %s, but the trace says %s" % (P, what, got, want))
        checked[0] += 1

    # The key material: the four key files, and their public keys.
    keys = Record(pattern + "-keys", "keys", None, "The keys of this session", [],
                  "<p>Nothing in this session is random: the ephemeral keys come from "
                  "<code>--test-ephemeral</code> files and the static keys from key files, all "
                  "in <code>docs/keys</code> and all taken from the official Noise test vectors. "
                  "<strong>Never use these keys, or <code>--test-ephemeral</code>, for anything "
                  "real</strong>: their private halves are published. A public key is X25519 "
                  "of the private key and the base point 9 (RFC 7748 §6.1).</p>")
    for (side, kind), secret in sorted(priv.items()):
        if secret is None:
            continue
        p, cmd = sstool("x25519-base", secret)
        pub[(side, kind)] = p
        keys.steps.append(Step(
            "%s %s key" % (side, "ephemeral" if kind == "e" else "static"),
            "public = X25519(private, 9)",
            [("private (docs/keys/%s)" % keyfile[(side, kind)], secret, False)],
            [("public", p, True)],
            ["openssl pkey -in docs/keys/%s -outform DER | tail -c 32 | xxd -p -c 32"
             % keyfile[(side, kind)], cmd], []))
    if kem:
        keys.explain += ("<p>The ML-KEM-768 inputs are fixed too, by <code>--test-kem "
                         "docs/keys/kem_xxhfs.hex</code>: the decapsulation key and the "
                         "encapsulation randomness of NIST's ACVP test tcId 28 "
                         "(<code>%s</code>), so that the KEM's outputs below are that test's "
                         "and anyone can check them without running this project's ML-KEM. "
                         "The same warning applies.</p>" % ACVP)
        keys.steps.append(Step(
            "client KEM key pair (e1)",
            "dk = dk_PKE || ek || H(ek) || z (FIPS 203 Algorithm 16): the encapsulation key "
            "ek is bytes 1152 to 2335 of dk",
            [("dk (docs/keys/kem_xxhfs.hex; ACVP tcId 28)", kem["dk"], "acvp")],
            [("ek = e1.pub", kem["ek"], "acvp")], [], []))
        keys.steps.append(Step(
            "server encapsulation randomness",
            "m: the 32 random bytes of ML-KEM.Encaps (FIPS 203 Algorithm 17)",
            [("m (docs/keys/kem_xxhfs.hex; ACVP tcId 28)", kem["m"], "acvp")], [], [], []))
    if pattern == "nk-refused":
        keys.explain += ("<p>Here the server has no static key at all: the client pins "
                         "<code>resp_static.pub</code>, which no server in this session "
                         "holds.</p>")
    records.append(keys)

    # Replays each trace line of the writer of each message, in protocol order.
    def replay(side, rest, rec):
        m = re.search(r"InitializeSymmetric: h = ck = ([0-9a-f]{64})", rest)
        if m:
            name = NAMES[pattern].encode().hex()
            if len(name) == 64:
                h, formula = name, "h0 = ck = protocol name (exactly 32 bytes: no hashing)"
                cmd = "printf %s %s | xxd -p -c 32" % ("%s", NAMES[pattern])
            else:
                h, cmd = sstool("sha256", name)
                formula = ("h0 = ck = SHA-256(protocol name) (longer than 32 bytes: hashed, "
                           "Noise §5.2)")
            check("InitializeSymmetric", h, m.group(1))
            state["h"] = state["ck"] = h
            state["hn"] = 0
            rec.steps.append(Step(
                "InitializeSymmetric", formula,
                [("protocol name", name, False)], [("h0 = ck", h, True)],
                [cmd], ["initialize_symmetric"]))
            return
        m = re.search(r"token e1: e1\.pub = ([0-9a-f]{64})\.\.\. \((\d+) bytes\)$", rest)
        if m:
            check("token e1", kem["ek"][:64], m.group(1))
            check("token e1 length", len(kem["ek"]) // 2, int(m.group(2)))
            state["plain"] = kem["ek"]
            rec.steps.append(Step(
                "token e1", "e1.pub: the encapsulation key ek of the KEM key pair (from "
                "--test-kem: ACVP tcId 28); the trace shows its first 32 bytes",
                [("dk", kem["dk"], "acvp")], [("e1.pub = ek", kem["ek"], "acvp")], [],
                ["write_token", "kem_public_key"]))
            return
        m = re.search(r"EncryptAndHash\(e1\.pub\): (\d+) bytes -> (\d+) bytes in clear", rest)
        if m:
            ek = state.pop("plain")
            state["pending"] = ("e1, in clear", ek)
            rec.fields.append(("e1", "e1: client's ML-KEM-768 encapsulation key, in clear "
                               "(no key yet)", ek))
            rec.steps.append(Step(
                "EncryptAndHash(e1.pub)",
                "no key yet: e1.pub is sent as it is (%s bytes) and hashed" % m.group(2),
                [], [], [], ["encrypt_and_hash"]))
            return
        m = re.search(r"token ekem1: ENCAPS\(re1\): ct = ([0-9a-f]{64})\.\.\. \((\d+) bytes\)$",
                      rest)
        if m:
            check("ekem1 ciphertext", kem["c"][:64], m.group(1))
            check("ekem1 ciphertext length", len(kem["c"]) // 2, int(m.group(2)))
            state["plain"] = kem["c"]
            return
        m = re.search(r"token ekem1: kem_output = ([0-9a-f]{64})$", rest)
        if m:
            check("ekem1 shared secret", kem["k"], m.group(1))
            state["dh"], state["dh_token"] = kem["k"], "ekem1"
            rec.steps.append(Step(
                "token ekem1: Encaps",
                "(kem_output, ct) = ML-KEM-768.Encaps_internal(re1, m) (FIPS 203 Algorithm 17; "
                "m from --test-kem); the values are ACVP tcId 28's, which the trace shows",
                [("re1 = the client's e1.pub", kem["ek"], "acvp"), ("m", kem["m"], "acvp")],
                [("ct (KEM ciphertext)", kem["c"], "acvp"), ("kem_output", kem["k"], True)],
                [], ["write_ekem1"]))
            return
        m = re.search(r"EncryptAndHash\(ct\): (\d+) bytes -> (\d+) bytes of ciphertext", rest)
        if m:
            plaintext = state.pop("plain")
            nonce = "00000000" + state["n"].to_bytes(8, "little").hex()
            ct, cmd = sstool("aead-seal", state["k"], nonce, state["h"], plaintext)
            ad = "h%d" % state["hn"]
            key = state["key"]
            if rec.ident not in key.used_by:
                key.used_by.append(rec.ident)
            rec.steps.append(Step(
                "EncryptAndHash(ct)",
                "ChaCha20-Poly1305 with key %s, nonce n = %d, associated data %s" % (
                    key.name, state["n"], ad),
                [(key.name, state["k"], True), ("nonce (n = %d)" % state["n"], nonce, False),
                 ("AD = %s" % ad, state["h"], True), ("plaintext = ct", plaintext, "acvp")],
                [("ciphertext || tag", ct, False)],
                [cmd], ["encrypt_and_hash", "ss_cipher_encrypt", "chachapoly_nonce"]))
            state["n"] += 1
            state["pending"] = ("encrypted KEM ciphertext", ct)
            rec.fields.append(("kem", "ekem1: the KEM ciphertext, encrypted", ct[:-32]))
            rec.fields.append(("tag", "tag of the KEM ciphertext (Poly1305, AD = %s)" % ad,
                               ct[-32:]))
            return
        if "prologue: 10 bytes" in rest:
            state["pending"] = ("prologue \"SSockets/1\"", PROLOGUE)
            return
        m = re.search(r"pre-message <- s: rs = ([0-9a-f]{64})", rest)
        if m:
            check("pre-message s", pub[("server", "s")], m.group(1))
            state["pending"] = ("the server's static key (NK pre-message)", m.group(1))
            return
        m = re.search(r"token e: e\.pub = ([0-9a-f]{64})", rest)
        if m:
            check("token e", pub[(side, "e")], m.group(1))
            state["pending"] = ("e", m.group(1))
            rec.fields.append(("e", "e: %s's ephemeral public key, in clear" % side, m.group(1)))
            _, cmd = sstool("x25519-base", priv[(side, "e")])
            rec.steps.append(Step(
                "token e", "e.pub = X25519(e.private, 9), sent in clear "
                "(the private key is from --test-ephemeral)",
                [("e.private", priv[(side, "e")], False)], [("e.pub", m.group(1), True)],
                [cmd], ["write_token"]))
            return
        m = re.search(r"MixHash: h = ([0-9a-f]{64})", rest)
        if m:
            label, data = state.pop("pending")
            h, cmd = sstool("sha256", state["h"] + data)
            check("MixHash(%s)" % label, h, m.group(1))
            n = state["hn"]
            rec.steps.append(Step(
                "MixHash(%s)" % label, "h%d = SHA-256(h%d || data)" % (n + 1, n),
                [("h%d" % n, state["h"], True), ("data", data, False)],
                [("h%d" % (n + 1), h, True)], [cmd], ["mix_hash"]))
            state["h"], state["hn"] = h, n + 1
            return
        m = re.search(r"token (ee|es|se|ss): DH\((e|s), r(e|s)\) = ([0-9a-f]{64})", rest)
        if m:
            other = "server" if side == "client" else "client"
            mine, theirs = m.group(2), m.group(3)
            dh, cmd = sstool("x25519", priv[(side, mine)], pub[(other, theirs)])
            check("DH %s" % m.group(1), dh, m.group(4))
            state["dh"], state["dh_token"] = dh, m.group(1)
            rec.steps.append(Step(
                "token %s: DH" % m.group(1),
                "X25519(the %s's %s private key, the %s's %s public key)" % (
                    side, mine, other, theirs),
                [("%s.private (%s)" % (mine, side), priv[(side, mine)], False),
                 ("%s.pub (%s)" % (theirs, other), pub[(other, theirs)], True)],
                [("DH result", dh, True)], [cmd], ["mix_dh"]))
            return
        m = re.search(r"MixKey: ck = ([0-9a-f]{64}), k = ([0-9a-f]{64})", rest)
        if m:
            prk, c1 = sstool("hkdf-extract", state["ck"], state["dh"])
            out, c2 = sstool("hkdf-expand", prk, "", "64")
            check("MixKey ck", out[:64], m.group(1))
            check("MixKey k", out[64:], m.group(2))
            k_name = "k (%s)" % state["dh_token"]
            what = "KEM shared secret" if state["dh_token"] == "ekem1" else "DH result"
            rec.steps.append(Step(
                "MixKey(%s)" % what,
                "temp = HMAC(ck, DH); ck = HMAC(temp, 01); k = HMAC(temp, ck || 02) "
                "(HKDF-Extract, then HKDF-Expand with empty info; n = 0)",
                [("ck", state["ck"], True), (what, state["dh"], True)],
                [("temp (HKDF-Extract)", prk, False), ("ck", out[:64], True),
                 (k_name, out[64:], True)],
                [c1, c2], ["mix_key", "hkdf"]))
            state["ck"], state["k"], state["n"] = out[:64], out[64:], 0
            state["key"] = Key(k_name, out[64:], rec.ident,
                               "MixKey after the %s of token %s" % (
                                   "KEM" if what.startswith("KEM") else "DH", state["dh_token"]))
            schedule.append(state["key"])
            return
        m = re.search(r"token s: s\.pub = ([0-9a-f]{64})", rest)
        if m:
            check("token s", pub[(side, "s")], m.group(1))
            state["plain"] = m.group(1)
            return
        m = re.search(r"EncryptAndHash\((s\.pub|payload)\): (\d+) bytes -> (\d+) bytes( of ciphertext)?",
                      rest)
        if m:
            what = m.group(1)
            plaintext = state.pop("plain") if what == "s.pub" else ""
            if not m.group(4):
                state["pending"] = ("empty payload, in clear", "")
                rec.steps.append(Step(
                    "EncryptAndHash(empty payload)",
                    "no key yet: the payload (empty) is sent as it is, nothing on the wire",
                    [], [], [], ["encrypt_and_hash"]))
                return
            nonce = "00000000" + state["n"].to_bytes(8, "little").hex()
            ct, cmd = sstool("aead-seal", state["k"], nonce, state["h"], plaintext)
            ad = "h%d" % state["hn"]      # each tag binds the transcript so far
            key = state["key"]
            if rec.ident not in key.used_by:
                key.used_by.append(rec.ident)
            rec.steps.append(Step(
                "EncryptAndHash(%s)" % ("s.pub" if plaintext else "empty payload"),
                "ChaCha20-Poly1305 with key %s, nonce n = %d, associated data %s" % (
                    key.name, state["n"], ad),
                [(key.name, state["k"], True), ("nonce (n = %d)" % state["n"], nonce, False),
                 ("AD = %s" % ad, state["h"], True)] +
                ([("plaintext = s.pub", plaintext, True)] if plaintext else
                 [("plaintext", "(empty)", False)]),
                [("ciphertext || tag" if plaintext else "tag", ct, False)],
                [cmd], ["encrypt_and_hash", "ss_cipher_encrypt", "chachapoly_nonce"]))
            state["n"] += 1
            state["pending"] = ("ciphertext", ct)
            if plaintext:
                rec.fields.append(("s", "s: %s's static public key, encrypted" % side, ct[:64]))
                rec.fields.append(("tag", "tag of s (Poly1305, AD = %s)" % ad, ct[64:]))
            else:
                rec.fields.append(("tag", "tag of the empty payload (Poly1305, AD = %s)" % ad,
                                   ct))
            return
        m = re.search(r"Split: k1 = ([0-9a-f]{64}), k2 = ([0-9a-f]{64})", rest)
        if m:
            prk, c1 = sstool("hkdf-extract", state["ck"], "")
            out, c2 = sstool("hkdf-expand", prk, "", "64")
            check("Split k1", out[:64], m.group(1))
            check("Split k2", out[64:], m.group(2))
            rec.steps.append(Step(
                "Split()", "temp = HMAC(ck, empty); k1 = HMAC(temp, 01); k2 = HMAC(temp, k1 || 02)",
                [("ck", state["ck"], True)],
                [("k1: client -> server", out[:64], True), ("k2: server -> client", out[64:], True)],
                [c1, c2], ["split", "hkdf"]))
            state["k1"], state["k2"] = out[:64], out[64:]
            schedule.append(Key("k1", out[:64], rec.ident, "Split: client to server"))
            schedule.append(Key("k2", out[64:], rec.ident, "Split: server to client"))
            return
        m = re.search(r"handshake hash: h = ([0-9a-f]{64})", rest)
        if m:
            check("handshake hash", state["h"], m.group(1))

    def writer_lines(side, prefix):
        return [l for l in lines[side] if prefix in l]

    # Frame 0 and the setup (both sides do it; the client's trace shows it).
    name_hex = sent["client"][0][1]
    f0 = Record(pattern + "-frame0", "name", "client", "Frame 0: the protocol name",
                [("len", "length: %d bytes follow" % int(sent["client"][0][0], 16),
                  sent["client"][0][0]),
                 ("name", "\"%s\" in ASCII, in clear" % bytes.fromhex(name_hex).decode(),
                  name_hex)],
                "<p>The client proposes a pattern by sending its name, in clear, as the first "
                "frame: %s. The server accepts it or answers with a refusal frame, in clear, and "
                "closes the connection (protocol.md §3). "
                "Both sides then start the handshake from the same name, which they hash into "
                "<code>h</code> with the prologue <code>SSockets/1</code>: a name changed on the "
                "way makes the two <code>h</code> differ, and the next tag fails.</p>" % {
                    "NN": "no keys on either side",
                    "NK": "the client pins the server's static key",
                    "XX": "both sides have static keys, sent encrypted",
                    "XXHFS": "XX with ML-KEM-768 added (hfs): the name is 44 bytes"}[P])
    f0.short = "protocol name"
    for l in writer_lines("client", "setup:"):
        replay("client", l, f0)
    f0.steps.append(Step("frame", "2-byte big-endian length, then the bytes",
                         [("name", name_hex, True)],
                         [("frame", sent["client"][0][0] + name_hex, False)], [],
                         ["produce_name", "new_output"]))
    records.append(f0)

    # The handshake messages, each replayed from its writer's trace.
    count = 3 if base == "XX" else 2
    if pattern == "nk-refused":
        count = 1                       # message 1, then the refusal frame
    tokens = {"NN": ["e", "e, ee"], "NK": ["e, es", "e, ee"],
              "XX": ["e", "e, ee, s, es", "s, se"],
              "XXHFS": ["e, e1", "e, ee, ekem1, s, es", "s, se"]}[P]
    index = {"client": 1, "server": 0}
    for msg in range(1, count + 1):
        side = "client" if msg % 2 else "server"
        arrow = "->" if side == "client" else "<-"
        length, body = sent[side][index[side]]
        index[side] += 1
        rec = Record("%s-msg%d" % (pattern, msg), "handshake", side,
                     "Handshake message %d: %s %s" % (msg, arrow, tokens[msg - 1]),
                     [("len", "length: %d bytes follow" % int(length, 16), length)], "")
        for l in writer_lines(side, "msg %d write:" % msg):
            replay(side, l, rec)
        got = "".join(f[2] for f in rec.fields[1:])
        check("message %d bytes" % msg, got, body)
        rec.explain = explain_message(P, msg, side, tokens[msg - 1])
        rec.short = tokens[msg - 1]
        if msg == count:
            for l in writer_lines("client", "end:"):
                replay("client", l, rec)
        records.append(rec)

    if pattern == "nk-refused":
        records.append(refusal_record(pattern, sent["server"][0], P, check,
                                      said(lines)))
        return records, schedule, trace_text, checked[0]

    # Transport frames: whatever each side sent after the handshake, in
    # order. Each is opened with the side's key to learn its type and body
    # (a data frame must carry the message the session sent), then sealed
    # again step by step and compared with the wire.
    # In a refused session only the server's refused frame is shown: what
    # the client sends before it reads the refusal depends on timing.
    for side in ("server",) if refused else ("client", "server"):
        key_name = "k1" if side == "client" else "k2"
        key = state[key_name]
        entry = [k for k in schedule if k.name == key_name][0]
        first = index[side]
        for n, (length, body) in enumerate(sent[side][first:]):
            nonce = "00000000" + n.to_bytes(8, "little").hex()
            pt, _ = sstool("aead-open", key, nonce, "", body)
            t, data = int(pt[:2], 16), bytes.fromhex(pt[2:])
            if t not in TYPES:
                fail("%s %s frame %d has type %02x, which TYPES does not list" % (P, side, n, t))
            what, kind, functions = TYPES[t]
            if kind == "refused" and (len(data) != 1 or data[0] not in REASONS):
                fail("%s refused frame: body %s is not one reason byte" % (P, data.hex()))
            if kind == "transport" and data != MESSAGES[side].encode():
                fail("%s %s frame %d carries %r, not the message sent" % (P, side, n, data))
            ct, cmd = sstool("aead-seal", key, nonce, "", pt)
            check("%s transport frame %d" % (side, n), ct, body)
            title = ("Transport frame: %r" % data.decode() if kind == "transport" else
                     "%s frame (type %02x)" % (what.capitalize(), t))
            ident = "%s-%s-%d" % (pattern, side, n)
            entry.used_by.append(ident)
            rec = Record(ident, kind, side, title,
                         [("len", "length: %d bytes follow" % int(length, 16), length),
                          ("ct", "ChaCha20 ciphertext of type || body", ct[:-32]),
                          ("tag", "tag (Poly1305, AD empty)", ct[-32:])],
                         explain_transport(side, n, t, len(pt) // 2, key_name))
            if kind == "refused":
                rec.explain = explain_refused(data[0], said(lines)) + rec.explain
            rec.steps.append(Step(
                "EncryptWithAd(empty, type || body)",
                "ChaCha20-Poly1305 with %s, nonce n = %d, no associated data" % (key_name, n),
                [(key_name, key, True), ("nonce (n = %d)" % n, nonce, False),
                 ("plaintext: type %02x (%s)%s" % (t, what, (
                     " || reason %02x" % data[0] if kind == "refused" else
                     " || %r" % data.decode(errors="replace")) if data else ""), pt, False)],
                [("ciphertext || tag", ct, False)], [cmd],
                functions + ["ss_cipher_encrypt", "chachapoly_nonce"]))
            rec.short = repr(data.decode()) if kind == "transport" else what
            if kind == "refused":
                rec.steps.append(Step(
                    "the client opens it",
                    "ChaCha20-Poly1305 decryption with k2, nonce n = %d: the tag checks, so only "
                    "the holder of k2 (the server that ran this handshake) sent it" % n,
                    [(key_name, key, True), ("nonce (n = %d)" % n, nonce, False),
                     ("ciphertext || tag", body, False)],
                    [("plaintext: type 03 (refused), reason %02x (%s)" % (data[0], REASONS[data[0]]),
                      pt, False)], ["build/examples/sstool aead-open %s %s \"\" %s" % (
                          key, nonce, body)], []))
            records.append(rec)
    return records, schedule, trace_text, checked[0]


def said(lines):
    """What the client printed (its error lines; not the --test-ephemeral
    and --trace warnings)."""
    return [l for l in lines.get("said", []) if not l.startswith("warning:")]


def explain_refused(reason, client_said):
    return ("<p>The server has checked the client's static key, which message 3 carried, "
            "against its <code>--allow</code> list, and refuses it, because it is %s. The handshake is "
            "complete, so instead of a silent close it sends one last transport frame, sealed "
            "with <code>k2</code> like any other: type <code>03</code> (refused) and one reason "
            "byte, <code>%02x</code>; <code>L</code> = 1 + 1 + 16 = 18 (protocol.md §6). "
            "Nobody on the path can forge it: without <code>k2</code> its tag fails. The "
            "client, which had printed that it was connected, reads it and prints:</p>"
            '<pre class="said">%s</pre>' % (REASONS[reason], reason,
                                            esc("\n".join("ssockets: " + l for l in client_said))))


def refusal_record(pattern, frame, P, check, client_said):
    """The clear refusal frame (protocol.md, "The refusal frame"): the
    server's answer in place of handshake message 2."""
    length, body = frame
    if not body.startswith(REFUSAL):
        fail("%s: the server's answer is not a refusal frame: %s" % (P, body[:40]))
    rest = body[len(REFUSAL):]
    reason, text = rest[:2], rest[2:]
    check("refusal frame length", int(length, 16), len(body) // 2)
    check("refusal frame reason", reason, "01")
    words = bytes.fromhex(text).decode("ascii")
    rec = Record(pattern + "-refusal", "refused", "server", "Refusal frame, in clear",
                 [("len", "length: %d bytes follow" % int(length, 16), length),
                  ("magic", "\"SSockets/1 refused\" in ASCII (18 bytes)", REFUSAL),
                  ("reason", "reason 01: the pattern is not accepted", reason),
                  ("text", "what the server accepts, in ASCII: \"%s\"" % words, text)],
                 "<p>The server has no static key, so it cannot run NK, whose message 1 "
                 "is encrypted to a key it does not have. It answers in place of message 2 "
                 "with a refusal frame, in clear, and closes: <code>SSockets/1 refused</code>, "
                 "the reason byte <code>01</code> (the pattern is not accepted; <code>02</code> "
                 "would say that NK message 1 did not authenticate) and, in ASCII, what it "
                 "accepts. It is not authenticated (there is no key yet), so it only words "
                 "the client's error: the connection fails whatever it says, and a forged one "
                 "can only make a connection fail, which cutting it does too. A real message 2 "
                 "starts with a random ephemeral key, never with these 18 bytes. The client "
                 "prints:</p><pre class=\"said\">%s</pre>"
                 % esc("\n".join("ssockets: " + l for l in client_said)))
    rec.short = "refused"
    rec.steps.append(Step(
        "refusal frame", "L (2 bytes), \"SSockets/1 refused\", reason (1 byte), text",
        [("text", words.encode().hex(), False)],
        [("frame", length + body, False)], [], ["refuse_in_clear"]))
    return rec


def explain_message(P, msg, side, tokens):
    what = {
        ("NN", 1): "The client's ephemeral public key, in clear. No key exists yet, so the "
                   "empty payload adds nothing to the frame, not even a tag.",
        ("NN", 2): "The server's ephemeral key, in clear, then <code>ee</code>: both sides "
                   "compute the same X25519 result from their own ephemeral private key and the "
                   "other's public key, and MixKey turns it into the first key <code>k</code>. "
                   "The tag of the empty payload, under that key with <code>h</code> as "
                   "associated data, proves to the client that the server derived the same key "
                   "and saw the same transcript.",
        ("NK", 1): "The client's ephemeral key, in clear, then <code>es</code>: X25519 of its "
                   "ephemeral private key and the server's pinned static key. Only the real "
                   "server can compute the same result, so only it can check the tag of the "
                   "empty payload that follows.",
        ("NK", 2): "The server's ephemeral key and <code>ee</code>, then the payload's tag "
                   "under the new key: the client now knows that it talks to the holder of the "
                   "pinned key.",
        ("XX", 1): "The client's ephemeral public key, in clear; no key yet, so no tag.",
        ("XX", 2): "The server's ephemeral key, in clear; <code>ee</code> gives a first key, "
                   "under which the server's static key travels encrypted (with its own tag); "
                   "then <code>es</code> mixes in X25519 of the server's static key, and the "
                   "payload's tag proves that the server holds its private half.",
        ("XX", 3): "The client's static key, encrypted under the key from <code>es</code> "
                   "(counter n = 1: n = 0 was used by frame 2's payload), then <code>se</code> "
                   "and the payload's tag, which proves that the client holds its private key. "
                   "After this message both sides call Split().",
        ("XXHFS", 1): "The client's ephemeral X25519 key, then <code>e1</code>: the 1,184-byte "
                      "encapsulation key of a fresh ML-KEM-768 key pair, both in clear (no key "
                      "yet, so no tag either). It is hashed into <code>h</code> like "
                      "<code>e</code>, so changing a byte of it on the way makes the next tag "
                      "fail.",
        ("XXHFS", 2): "As in XX, <code>e</code> and <code>ee</code> first. Then "
                      "<code>ekem1</code>: the server encapsulates to the client's "
                      "<code>e1</code>, sends the 1,088-byte ciphertext encrypted under the key "
                      "from <code>ee</code> (with its tag), and mixes the KEM's shared secret "
                      "into the chaining key: every key from here on depends on both X25519 "
                      "and ML-KEM, so recorded traffic stays secret unless both are broken. "
                      "The static key, <code>es</code> and the payload's tag follow as in XX, "
                      "under the new keys.",
        ("XXHFS", 3): "As in XX: the client's static key, encrypted, then <code>se</code> and "
                      "the payload's tag. ML-KEM adds nothing here: authentication stays "
                      "X25519's. After this message both sides call Split().",
    }[(P, msg)]
    return ("<p>%s</p><p>Tokens <code>%s</code>, written by the %s. Each step below is one "
            "line of the %s's <code>--trace</code>, recomputed with <code>sstool</code>.</p>"
            % (what, html.escape(tokens), side, side))


def explain_transport(side, n, t, plen, key_name):
    other = "server" if side == "client" else "client"
    if t == 2:
        what = ("The close frame: type <code>02</code> and no body, so <code>L</code> = 1 + 16 "
                "= 17. It is authenticated like data, so nobody on the path can forge an end "
                "of the conversation, or hide one: a connection that ends without it is "
                "reported as truncated (protocol.md §7).")
    elif t == 3:
        what = ("Its first byte is the type, <code>03</code>, which only a server may send, "
                "and only as its last frame; a client that reads it ends the connection with "
                "the refusal's error.")
    else:
        what = ("One application message: the type byte <code>00</code> (last fragment) and "
                "the %d bytes of the message, encrypted, then the 16-byte tag: "
                "<code>L</code> = 1 + %d + 16 = %d." % (plen - 1, plen - 1, plen + 16))
    return ("<p>%s</p><p>The %s encrypts with <code>%s</code>; the counter <code>n</code> = %d "
            "is not on the wire: the %s counts frames too, so a dropped, repeated or reordered "
            "frame fails its tag.</p>" % (what, side, key_name, n, other))


# ---------------------------------------------------------------- HTML

CSS = """
:root { --name:#3465a4; --hs:#c17d11; --tr:#2e7d32; --close:#a40000; --keys:#5c3566;
        --refused:#ce5c00; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem;
       margin: 0 auto; padding: 1rem; line-height: 1.45; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.7rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ccc; }
h1, h2, h3, h4, p, dd, td, figcaption { overflow-wrap: anywhere; }
code, pre, .hex { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .85rem; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: .5rem;
      border-radius: 4px; overflow-x: auto; }
nav a { margin-right: 1rem; }
.legend span { display: inline-block; padding: 0 .5rem; margin-right: .4rem; border-radius: 3px;
               color: #fff; }
.legend span.f { color: #1a1a1a; }
p code { white-space: nowrap; }
details.rec { border-left: 6px solid #999; margin: .8rem 0; background: #fafafa; border-radius: 4px; }
details.rec > summary { cursor: pointer; padding: .5rem .7rem; list-style-position: outside; }
details.rec > summary:focus-visible { outline: 3px solid #f57900; }
details.rec > .body { padding: 0 1rem 1rem 1.2rem; }
.rec.name { border-color: var(--name); } .rec.handshake { border-color: var(--hs); }
.rec.transport { border-color: var(--tr); } .rec.close { border-color: var(--close); }
.rec.keys { border-color: var(--keys); } .rec.refused { border-color: var(--refused); }
.dir { font-weight: bold; } .title { font-weight: bold; }
.bytes { display: block; margin-top: .3rem; word-break: break-all; }
.f { padding: 0 .15rem; border-radius: 2px; }
.f.len { background: #d3d7cf; } .f.name { background: #c6dbf5; } .f.e { background: #fce6b6; }
.f.s { background: #e3cbe8; } .f.tag { background: #f6c6c6; } .f.ct { background: #cde8c9; }
.f.e1 { background: #fff3a8; } .f.kem { background: #b9e4e8; }
.f.magic { background: #fcd9b6; } .f.reason { background: #f5b971; } .f.text { background: #e8e2c4; }
details.long > summary { cursor: pointer; }
details.long[open] > summary { color: #555; }
table.io { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
table.io td { border-top: 1px solid #ddd; padding: .15rem .4rem; vertical-align: top; }
table.io td:first-child { width: 13rem; }
table.io td.v { word-break: break-all; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
                font-size: .8rem; }
.step h4 { margin: .6rem 0 .1rem; } .formula { font-style: italic; }
.fields dt { font-family: ui-monospace, monospace; word-break: break-all; font-size: .8rem; }
.fields dd { margin: 0 0 .3rem 1.5rem; }
.controls button { margin-right: .5rem; }
details.rec.lane-client { margin-right: 14%; }
details.rec.lane-server { margin-left: 14%; border-left-width: 0; border-right-style: solid;
                          border-right-width: 6px; }
.lanes { display: flex; justify-content: space-between; font-weight: bold; color: #555;
         border-bottom: 1px dashed #bbb; margin-top: 1rem; }
details.src { margin-top: .8rem; border: 1px solid #ddd; border-radius: 4px; padding: 0 .5rem; }
details.src > summary { cursor: pointer; padding: .3rem 0; }
.overview { border: 1px solid #ddd; border-radius: 4px; padding: .3rem .5rem; margin: .8rem 0; }
.ov-row { display: grid; grid-template-columns: 1fr 2rem 1fr; align-items: center; gap: .3rem;
          padding: .1rem 0; }
.ov-row > a:last-child { text-align: right; }
.ov-head { font-weight: bold; color: #555; }
.ov-head span:last-child { text-align: right; }
.ov-arrow { text-align: center; font-size: 1.3rem; }
.ov-name { color: var(--name); } .ov-handshake { color: var(--hs); }
.ov-transport { color: var(--tr); } .ov-close { color: var(--close); }
.ov-refused { color: var(--refused); }
table.ks { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
table.ks caption { text-align: left; font-weight: bold; }
table.ks th, table.ks td { border-top: 1px solid #ddd; padding: .2rem .4rem; text-align: left;
                           vertical-align: top; }
table.ks .kv { display: block; word-break: break-all; }
table.ks tr:target { background: #fff4c2; }
.keyref { font-size: .9rem; }
.glance { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .6rem;
          margin: .8rem 0; }
.gl-col { border: 1px solid #ddd; border-radius: 4px; padding: .3rem .5rem;
          background: linear-gradient(to right, #999 1px, transparent 1px) left / 1px 100% no-repeat,
                      linear-gradient(to left, #999 1px, transparent 1px) right / 1px 100% no-repeat; }
.gl-title { display: block; font-weight: bold; text-align: center; }
.gl-row { display: block; padding: .05rem .3rem; text-decoration: none; border-bottom: 1px solid #eee; }
.gl-head { display: flex; justify-content: space-between; color: #555; font-size: .85rem; }
a.gl-row.from-client { text-align: left; } a.gl-row.from-server { text-align: right; }
.gl-name { color: var(--name); } .gl-handshake { color: var(--hs); }
.gl-transport { color: var(--tr); } .gl-close { color: var(--close); }
.gl-refused { color: var(--refused); }
@media (max-width: 40rem) {
  body { padding: .5rem; }
  details.rec.lane-client { margin-right: 1.5rem; }
  details.rec.lane-server { margin-left: 1.5rem; }
  details.rec > .body { padding: 0 .5rem .5rem .6rem; }
  table.io td:first-child { width: 6.5rem; }
  table.ks td, table.ks th { display: block; border: 0; padding: .1rem 0; }
  table.ks tr { display: block; border-top: 1px solid #ddd; padding: .2rem 0; }
  table.ks tr:first-child { display: none; }
}
figcaption { font-size: .85rem; color: #555; }
@media print {
  body { max-width: none; font-size: 10pt; } nav, .controls { display: none; }
  details.rec { break-inside: avoid-page; border-left-width: 3px; background: none; }
  pre { background: none; border: 1px solid #ccc; }
}
"""

JS = """
(function () {
  var recs = document.querySelectorAll('details.rec');
  var srcs = document.querySelectorAll('details.src');
  var longs = document.querySelectorAll('details.long');
  for (var j = 0; j < longs.length; j++) longs[j].open = false;  /* folded on screen */
  function all(open) { for (var i = 0; i < recs.length; i++) recs[i].open = open; }
  all(false);  /* without this script every record stays open */
  var c = document.getElementById('controls');
  var b1 = document.createElement('button'); b1.type = 'button'; b1.textContent = 'Open all';
  b1.addEventListener('click', function () { all(true); });
  var b2 = document.createElement('button'); b2.type = 'button'; b2.textContent = 'Close all';
  b2.addEventListener('click', function () { all(false); });
  c.appendChild(b1); c.appendChild(b2);
  window.addEventListener('beforeprint', function () {
    all(true); for (var i = 0; i < srcs.length; i++) srcs[i].open = true;
    for (var j = 0; j < longs.length; j++) longs[j].open = true; });
  function follow() {  /* a link to a record opens it */
    var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === 'DETAILS') t.open = true;
  }
  window.addEventListener('hashchange', follow);
  follow();
})();
"""


def esc(s):
    return html.escape(s, quote=True)


def hex_bytes(h):
    """Hex as the eye reads it: one group per byte."""
    return " ".join(h[i:i + 2] for i in range(0, len(h), 2))


def folded(h, inner, field=None):
    """A value as it is shown: whole, or, longer than FOLD bytes, its first
    16 bytes (in the colour of its field, if it is one) and a fold that
    holds all of them (inner: their HTML)."""
    if len(h) <= 2 * FOLD:
        return inner
    first = hex_bytes(h[:32])
    if field:
        first = '<span class="f %s">%s</span>' % (field, first)
    return ('<details class="long" open><summary>%s &hellip; (%s bytes: open for all)</summary>'
            '%s</details>' % (first, "{:,}".format(len(h) // 2), inner))


def value_class(traced):
    """td class of a value: t from a trace, a from the ACVP vector."""
    return {True: " t", "acvp": " a"}.get(traced, "")


def key_id(pattern, key):
    return "%s-key-%s" % (pattern, re.sub(r"[^a-z0-9]+", "-", key.name).strip("-"))


def lane(rec):
    """Which side's lane a record goes in: its sender's (keys: both)."""
    return rec.side or "both"


def render_record(rec, sources_used, keys_of):
    out = ['<details class="rec %s lane-%s" id="%s" open>' % (rec.kind, lane(rec), rec.ident),
           "<summary>"]
    if rec.side:
        other = "server" if rec.side == "client" else "client"
        out.append('<span class="dir">%s &rarr; %s</span> &middot; ' % (rec.side, other))
    size = sum(len(f[2]) for f in rec.fields) // 2
    out.append('<span class="title">%s</span>%s' % (
        esc(rec.title), " &middot; %d bytes on the wire" % size if size else ""))
    if rec.fields:
        # In the summary a long field shows its first 16 bytes; all of it
        # is under "The bytes".
        out.append('<span class="bytes hex">%s</span>' % " ".join(
            '<span class="f %s" title="%s">%s</span>%s' % (
                c, esc(label), hex_bytes(h[:32] if len(h) > 2 * FOLD else h),
                " &hellip; (%s bytes)" % "{:,}".format(len(h) // 2) if len(h) > 2 * FOLD else "")
            for c, label, h in rec.fields))
    out.append("</summary>")
    out.append('<div class="body">')
    out.append(rec.explain)
    keys = keys_of.get(rec.ident, [])
    if keys:
        out.append('<p class="keyref">Encrypted with %s (in the key schedule above).</p>'
                   % " then ".join('<a href="#%s">%s</a>' % (key_id(pattern, key), esc(key.name))
                                   for pattern, key in keys))
    if rec.fields:
        out.append("<h3>The bytes</h3><dl class=\"fields\">")
        for c, label, h in rec.fields:
            out.append('<dt>%s</dt><dd>%s</dd>' % (folded(
                h, '<span class="f %s">%s</span>' % (c, hex_bytes(h)), c), esc(label)))
        out.append("</dl>")
    if rec.steps:
        out.append("<h3>The calculation</h3>")
    commands, functions = [], []
    for s in rec.steps:
        out.append('<div class="step"><h4>%s</h4><div class="formula">%s</div>'
                   '<table class="io">' % (esc(s.name), esc(s.formula)))
        for io, values in (("in", s.inputs), ("out", s.outputs)):
            for label, value, traced in values:
                cell = folded(value, '<span class="vv">%s</span>' % esc(value)) \
                    if len(value) > 2 * FOLD else esc(value)
                out.append('<tr><td>%s: %s</td><td class="v%s">%s</td></tr>' % (
                    io, esc(label), value_class(traced), cell))
        out.append("</table></div>")
        commands += [c for c in s.commands if c not in commands]
        functions += [f for f in s.functions if f not in functions]
    if commands:
        out.append("<h3>Reproduce it</h3><p>From the top of the repository, after "
                   "<code>make</code>; each command prints the value above:</p><pre>%s</pre>"
                   % esc("\n".join(commands)))
    if functions:
        # The C is a second fold: the record reads without it.
        out.append('<details class="src"><summary>In the source: %s</summary>' % ", ".join(
            "<code>%s</code>" % f for f in functions))
        for f in functions:
            path = SOURCES[f]
            a, b, text = function_lines(path, f)
            sources_used.add((path, a, b))
            out.append('<figure><figcaption><a href="../../%s#L%d-L%d">%s</a>, lines %d&ndash;%d: '
                       '<code>%s</code></figcaption><pre>%s</pre></figure>'
                       % (path, a, b, path, a, b, f, esc(text)))
        out.append("</details>")
    out.append("</div></details>")
    return "\n".join(out)


def render_overview(pattern, records):
    """The session at a glance: one row per frame, on its sender's side,
    each a link to its record."""
    out = ['<div class="overview" aria-label="%s at a glance">' % label(pattern),
           '<div class="ov-row ov-head"><span>client</span><span></span><span>server</span>'
           '</div>']
    for rec in records:
        if not rec.side:
            continue
        size = sum(len(f[2]) for f in rec.fields) // 2
        link = '<a class="ov-%s" href="#%s">%s <small>(%d bytes)</small></a>' % (
            rec.kind, rec.ident, esc(rec.title), size)
        if rec.side == "client":
            cells = (link, '<span class="ov-arrow">&rarr;</span>', "<span></span>")
        else:
            cells = ("<span></span>", '<span class="ov-arrow">&larr;</span>', link)
        out.append('<div class="ov-row">%s%s%s</div>' % cells)
    out.append("</div>")
    return "\n".join(out)


def label(pattern):
    """NN, NK, XX, XXhfs, XX refused, NK refused."""
    return pattern[:2].upper() + pattern[2:].replace("-", " ")


def render_glance(sections):
    """The overview at the top of the page: the three sessions side by
    side, one arrow per frame from its sender, each a link to its record."""
    out = ['<div class="glance">']
    for pattern, records, _ in sections:
        out.append('<div class="gl-col"><a class="gl-title" href="#%s">%s</a>'
                   '<div class="gl-row gl-head"><span>client</span><span>server</span></div>'
                   % (pattern, label(pattern)))
        for rec in records:
            if not rec.side:
                continue
            arrow = ("%s &rarr;" if rec.side == "client" else "&larr; %s") % esc(rec.short)
            out.append('<a class="gl-row gl-%s from-%s" href="#%s">%s</a>'
                       % (rec.kind, rec.side, rec.ident, arrow))
        out.append("</div>")
    out.append("</div>")
    return "\n".join(out)


def render_schedule(pattern, schedule, titles):
    """The key schedule inline: each key, where it is made, what it encrypts."""
    out = ['<table class="ks"><caption>The keys of %s, in the order they are made</caption>'
           '<tr><th>key</th><th>made in</th><th>encrypts</th></tr>' % label(pattern)]
    for key in schedule:
        used = ", ".join('<a href="#%s">%s</a>' % (i, esc(titles[i])) for i in key.used_by)
        out.append('<tr id="%s"><td><strong>%s</strong> <span class="formula">%s</span>'
                   '<span class="hex kv">%s</span></td><td><a href="#%s">%s</a></td>'
                   '<td>%s</td></tr>' % (key_id(pattern, key), esc(key.name), esc(key.formula),
                                         hex_bytes(key.value), key.made_in,
                                         esc(titles[key.made_in]), used or "nothing"))
    out.append("</table>")
    return "\n".join(out)


def main():
    if not os.access(os.path.join(ROOT, SSTOOL), os.X_OK):
        fail("%s is missing: run make first" % SSTOOL)
    sections, total = [], 0
    for pattern in ("nn", "nk", "xx", "xxhfs", "xx-refused", "nk-refused"):
        records, schedule, trace_text, checked = build_pattern(pattern)
        total += checked
        sections.append((pattern, records, schedule))
    used = set()
    body = []
    intro = {
        "nn": "No static keys: encrypted, but nobody is authenticated (protocol.md §1). Two "
              "handshake messages.",
        "nk": "The client pins the server's static public key: the server is authenticated, "
              "the client stays anonymous. Two handshake messages.",
        "xx": "Both sides have static keys and send them encrypted: both are authenticated. "
              "Three handshake messages.",
        "xxhfs": "XX with ML-KEM-768 added (the hfs modifier, docs/handshake.md, \"Hybrid "
                 "handshakes\"): the same authentication, and a key that stays secret unless "
                 "both X25519 and ML-KEM-768 are broken, against a quantum computer that "
                 "records today's traffic. Three handshake messages, two of them over a "
                 "kilobyte; the long values are folded, every byte one click away.",
        "xx-refused": "The XX session again, but the server takes only the client keys of its "
                      "--allow list, which holds another key: it completes the handshake, "
                      "then refuses the client with a sealed frame of type 03 that only it "
                      "could have sent (protocol.md §5 and §6). The three handshake messages "
                      "are byte for byte the XX session's.",
        "nk-refused": "NK proposed to a server that has no static key: the server answers "
                      "message 1 with a refusal frame in clear, in place of message 2 "
                      "(protocol.md §3, \"The refusal frame\"), and the client says that "
                      "the pattern was refused, not that the key is wrong.",
    }
    for pattern, records, schedule in sections:
        titles = {r.ident: r.title for r in records}
        keys_of = {}
        for key in schedule:
            for ident in key.used_by:
                keys_of.setdefault(ident, []).append((pattern, key))
        body.append('<section id="%s"><h2>%s: %s</h2><p>%s</p>'
                    % (pattern, label(pattern), NAMES[pattern], esc(intro[pattern])))
        body.append(render_overview(pattern, records))
        body.append(render_schedule(pattern, schedule, titles))
        body.append("<p>Command: <code>sh docs/keys/session.sh %s hello hi</code> prints both "
                    "sides' traces, from which every value below was checked.</p>" % pattern)
        body.append('<div class="lanes"><span>client</span><span>server</span></div>')
        for rec in records:
            body.append(render_record(rec, used, keys_of))
        body.append("</section>")
    page = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Illustrated SSockets Connection</title>
<style>%(css)s</style>
</head>
<body>
<header>
<h1>The Illustrated SSockets Connection</h1>
<p>Every byte of four real SSockets/1 connections, NN, NK, XX and the hybrid XXhfs, explained
and reproduced, and of two that the server refuses: an XX client whose key is not allowed,
and NK proposed to a server without a key.
Each coloured record is one frame on the wire: open it (click, or Tab and Enter) to see what it
means, the calculation that produced it with its inputs and outputs, the commands that
reproduce each value with this repository's <code>sstool</code>, and the source lines that
compute it. In each session the client sends <code>hello</code> and the server
<code>hi</code>, each followed by a newline, and both close.</p>
<p>This page was generated by <code>make illustrated</code>
(<code>docs/illustrated/generate.py</code>) from real runs of <code>build/ssockets</code> with
<code>--trace</code>, the fixed keys of <code>docs/keys</code>, <code>--test-ephemeral</code> and,
for XXhfs, <code>--test-kem</code> (the ML-KEM-768 inputs of a NIST ACVP test, whose outputs the
session must reproduce);
%(checked)d values were recomputed step by step and compared with the traces and the wire
bytes, and <code>make check</code> regenerates the page and fails if it changed. The wire
format is <a href="../protocol.md">docs/protocol.md</a>; the course starts at
<a href="../README.md">docs/README.md</a>; <a href="../wire.md">Watching the wire</a> shows
the same sessions in tshark and Wireshark.</p>
<p class="legend">Records: <span style="background:var(--keys)">keys</span><span
style="background:var(--name)">frame 0</span><span style="background:var(--hs)">handshake</span><span
style="background:var(--tr)">transport</span><span style="background:var(--close)">close</span><span
style="background:var(--refused)">refused</span>
Bytes: <span class="f len">length</span> <span class="f name">name</span> <span class="f e">ephemeral key</span>
<span class="f s">encrypted static key</span> <span class="f e1">ML-KEM key</span>
<span class="f kem">encrypted ML-KEM ciphertext</span> <span class="f ct">ciphertext</span> <span class="f tag">tag</span>
<span class="f magic">refusal mark</span> <span class="f reason">reason</span> <span class="f text">text</span></p>
%(glance)s
<nav><a href="#nn">NN</a><a href="#nk">NK</a><a href="#xx">XX</a><a href="#xxhfs">XXhfs</a>
<a href="#xx-refused">XX refused</a><a href="#nk-refused">NK refused</a></nav>
<div class="controls" id="controls"></div>
</header>
<main>
%(body)s
</main>
<footer><p>Values marked in the tables come from the traces or, for ML-KEM, from the ACVP
vector; hex is lowercase, first byte first. Nonces are 32 zero bits followed by the counter n as a 64-bit little-endian number
(Noise §12.3).</p></footer>
<script>%(js)s</script>
</body>
</html>
""" % {"css": CSS, "js": JS, "body": "\n".join(body), "checked": total,
       "glance": render_glance(sections)}
    with open(os.path.join(ROOT, OUT) if not os.path.isabs(OUT) else OUT, "w") as f:
        f.write(page)
    print("generate.py: wrote %s (%d values checked against the traces)" % (OUT, total))


main()
