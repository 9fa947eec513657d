#!/usr/bin/env python3
"""check.py -- the checker of the "write the attack" labs (docs/labs.md,
labs 2 to 7).

    python3 docs/labs/write/check.py LAB [YOUR_FILE]

LAB is nonce_reuse, length_extension, twist_crt, fingerprint, no_es or
low_order_nk; YOUR_FILE defaults to the skeleton docs/labs/write/LAB.py.
Each lab's steps run in order against the broken target of targets.py; the
checker stops at the first failure, says which step and why, with a hint.
Exit status 0 when every step passes.
"""
import hashlib
import importlib.util
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import targets  # noqa: E402
import sha256_blocks as sha  # noqa: E402

LABS = ("nonce_reuse", "length_extension", "twist_crt", "fingerprint", "no_es", "low_order_nk")
if len(sys.argv) not in (2, 3) or sys.argv[1] not in LABS:
    sys.exit("usage: python3 docs/labs/write/check.py %s [YOUR_FILE]" % "|".join(LABS))
LAB = sys.argv[1]
path = sys.argv[2] if len(sys.argv) == 3 else os.path.join(HERE, LAB + ".py")
spec = importlib.util.spec_from_file_location("student_" + LAB, path)
lab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab)


def ok(step, what):
    print("ok   %s: %s" % (step, what))


def fail(step, what, hint=None):
    print("FAIL %s: %s" % (step, what))
    if hint:
        print("     hint: %s" % hint)
    sys.exit(1)


def attempt(step, function, *args, hint=None):
    """Runs one of the student's functions; a TODO or a crash is a failure."""
    try:
        return function(*args)
    except NotImplementedError:
        fail(step, "%s is still a TODO" % function.__qualname__, hint)
    except Exception:
        fail(step, "%s raised an exception:\n%s" % (function.__qualname__,
                                                      traceback.format_exc(limit=3)), hint)


def expect(step, what, got, want, hint=None):
    if got != want:
        show = lambda v: v.hex() if isinstance(v, (bytes, bytearray)) else repr(v)
        fail(step, "%s\n     expected %s\n     got      %s" % (what, show(want), show(got)), hint)


def nonce_reuse():
    sealer = targets.NonceReuseSealer()
    p1, p2 = b"pay alice $10.00", b"pay bob   $20.00"
    (c1, t1), (c2, t2) = sealer.seal(p1), sealer.seal(p2)
    x = attempt("1 XOR", lab.plaintext_xor, c1, c2)
    expect("1 XOR", "the XOR of the two plaintexts", x, bytes(a ^ b for a, b in zip(p1, p2)),
           "one key and one nonce give one keystream: C = P xor keystream")
    ok("1", "c1 xor c2 = p1 xor p2: knowing p1 reveals p2 (%r)"
       % bytes(a ^ b for a, b in zip(x, p1)).decode())
    key = attempt("2 Poly1305 key", lab.recover_poly1305_key, c1, t1, c2, t2,
                  hint="write both tags as polynomials in r; their difference no longer has s")
    expect("2 Poly1305 key", "the one-time key (r, s)", key, sealer.one_time_key(),
           "try each multiple of 2^128 that the final reduction may have removed, "
           "and keep the square root that is clamped")
    ok("2", "Poly1305's one-time key (r, s) recovered from two tags")
    target = b"pay mallory $999"
    forged = attempt("3 forgery", lab.forge, p1, c1, key[0], key[1], target)
    expect("3 forgery", "what the receiver opens", sealer.open(*forged), target,
           "keystream = c1 xor p1; the tag is Poly1305 with your (r, s) over the AEAD's "
           "input (RFC 8439 §2.8)")
    ok("3", "the receiver accepts a message nobody sealed: %r" % target.decode())


def length_extension():
    for n in (0, 3, 55, 56, 64, 119):
        pad = attempt("1 padding", lab.md_padding, n)
        data = bytes(n) + pad if isinstance(pad, bytes) else b""
        if len(data) % 64:
            fail("1 padding", "message of %d bytes + padding = %d bytes, not a multiple of 64"
                 % (n, len(data)), "0x80, then zeros, then 8 bytes of length")
        state = list(sha.IV)
        for i in range(0, len(data), 64):
            state = sha.compress(state, data[i:i + 64])
        expect("1 padding", "SHA-256 of %d zero bytes through your padding" % n,
               sha.digest_from_state(state), hashlib.sha256(bytes(n)).digest(),
               "the length is in bits, big-endian")
    ok("1", "md_padding is SHA-256's padding (lengths 0, 3, 55, 56, 64, 119)")
    x = b"some known prefix of 37 bytes......."
    got = attempt("2 extend", lab.extend, hashlib.sha256(x).digest(), len(x), b";admin=true")
    expect("2 extend", "SHA-256(X || padding || suffix) from SHA-256(X)", got,
           hashlib.sha256(x + lab.md_padding(len(x)) + b";admin=true").digest(),
           "the state is the digest's eight words; the final padding counts every byte "
           "hashed, the first padding included")
    ok("2", "extend continues SHA-256 from a digest alone")
    mac = targets.PrefixMac()
    message = b"user=guest;expires=2030"
    forged = attempt("3 forgery", lab.forge, message, mac.tag(message), b";admin=true")
    if not (forged[0].endswith(b";admin=true") and forged[0].startswith(message)
            and mac.verify(*forged)):
        fail("3 forgery", "the target refused your message and tag",
             "the secret is 16 bytes: extend from len(secret) + len(message)")
    ok("3", "SHA-256(secret || m) accepts %r" % forged[0])
    hmac_mac = targets.HmacMac(mac.secret)
    forged = lab.forge(message, hmac_mac.tag(message), b";admin=true")
    if hmac_mac.verify(*forged):
        fail("4 HMAC", "HMAC accepted an extension: that cannot be")
    ok("4", "the same forgery against HMAC-SHA-256 is refused: the outer hash "
       "H(K xor opad || inner) hides the inner state that extension needs")


def twist_crt():
    got = attempt("1 CRT", lab.crt, [2, 3, 1, 5], [8, 3, 5, 7])
    expect("1 CRT", "crt([2, 3, 1, 5], [8, 3, 5, 7])", got, 306,
           "build x one modulus at a time: x + m*t = a (mod n), t = (a - x) * m^-1 mod n")
    ok("1", "crt([2, 3, 1, 5], [8, 3, 5, 7]) = 306")
    victim = targets.TwistVictim(301)
    sets = attempt("2 residues", lab.small_order_residues, victim)
    want = [{c for c in range(r) if c % r in (301 % r, -301 % r)} for r in (8, 3, 5, 7)]
    expect("2 residues", "the candidates for k mod 8, 3, 5, 7 (k = 301)",
           [set(s) for s in sets], want, "u([c]T) = u([-c]T): keep every c that matches")
    ok("2", "k mod 8, 3, 5 and 7, each up to its sign, from four answers")
    for secret in (5, 88, 301, 419):
        victim = targets.TwistVictim(secret)
        k = attempt("3 whole key", lab.recover_key, victim)
        same = all(victim.answer(u) == targets.TwistVictim(k).answer(u) for u in range(101))
        if not (isinstance(k, int) and 0 < k < 420 and same):
            fail("3 whole key", "secret %d: you returned %r, which answers differently" % (secret, k),
                 "16 CRT combinations; a query of large order rules out all but the key")
        ok("3", "secret %d recovered%s in %d queries" % (
            secret, "" if k == secret else " as the equivalent key %d" % k, victim.queries - 101))


def fingerprint():
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    sys.path.insert(0, os.path.join(HERE, "..", "solutions"))
    import noise_lab
    client = noise_lab.keypair(os.urandom(32))
    responder = X25519PrivateKey.generate()
    r = responder.private_bytes_raw()
    i_hs = noise_lab.HandshakeState("NN", True, targets.PROLOGUE, e=client)
    r_hs = noise_lab.HandshakeState("NN", False, targets.PROLOGUE, e=noise_lab.keypair(r))
    r_hs.read_message(i_hs.write_message(b""))
    i_hs.read_message(r_hs.write_message(b""))
    got = attempt("1 h", lab.nn_hash, client[1], responder)
    expect("1 h", "h after NN's message 2", got, i_hs.symmetric.h,
           "message 2's empty payload is encrypted (a 16-byte tag) and hashed")
    ok("1", "nn_hash is NN's handshake hash")
    server_h = os.urandom(32)                      # the server-side session's h
    for bits in (8, 10):
        target = lab.fingerprint(server_h, bits)
        e, tries = attempt("2 grind", lab.grind, client[1], target, bits)
        if lab.fingerprint(lab.nn_hash(client[1], e), bits) != target:
            fail("2 grind", "the key you returned does not give the target fingerprint")
        ok("2", "%2d-bit fingerprint matched after %d tries" % (bits, tries))
    start = time.time()
    averages = {bits: attempt("3 measure", lab.measure, bits, runs)
                for bits, runs in ((4, 32), (8, 4))}
    per_try = (time.time() - start) / (32 * averages[4] + 4 * averages[8])
    for bits, average in averages.items():
        if not (isinstance(average, (int, float)) and average >= 1):
            fail("3 measure", "measure(%d) returned %r" % (bits, average))
        ok("3", "%d bits: %.0f tries on average (2^%d = %d)" % (bits, average, bits, 2 ** bits))
    print("     at %.0f µs per try: 4 bytes (2^32 tries) take about %.1f hours on this machine; "
          "16 bytes, 2^128 tries, never" % (per_try * 1e6, per_try * 2 ** 32 / 3600))


def no_es():
    server = targets.noise_lab.keypair(os.urandom(32))
    client = targets.NoEsClient(server[1])
    got = attempt("1 impersonate", lab.impersonate, server[1], client.message1())
    try:
        transport = client.receive_message2(got[0])
    except Exception:
        fail("1 impersonate", "the client refused your message 2",
             "the responder's pattern is e, ee: which key of the server does it use?")
    ok("1", "the client accepted you as the server, without the server's private key")
    secret = attempt("2 read", lab.read_secret, got[1], transport)
    expect("2 read", "the client's secret", secret, client.secret, "split() gives c1 first")
    ok("2", "read the client's secret: %r" % secret.decode())
    honest = targets.HonestNkClient(server[1])
    try:
        message2, _ = lab.impersonate(server[1], honest.message1(), "NK")
        honest.receive_message2(message2)
    except Exception:
        ok("3", "with es, as in NK, the same impersonation fails: the fake server "
           "cannot compute DH(e, s)")
        return
    fail("3", "the honest NK client accepted the impersonation: that cannot be")


def low_order_nk():
    point = attempt("1 point", lab.low_order_point)
    for _ in range(3):
        expect("1 point", "X25519(random k, your u)",
               targets.primitives.x25519(os.urandom(32), point), bytes(32),
               "a point whose order divides 8; u = 0 is one")
    ok("1", "X25519(k, %s...) = 0 for random k: a low-order point" % point.hex()[:8])
    responder = targets.ZeroKeyResponder()
    intruder = lab.Intruder()
    request = b"GET /secret-area"
    message1 = attempt("2 message 1", intruder.message1, request)
    try:
        message2, transport = responder.handle(message1)
    except Exception:
        fail("2 message 1", "the responder refused your message 1",
             "es = DH(s, your e) is 32 zero bytes, whatever s is")
    expect("2 message 1", "the request the responder received", responder.request, request)
    ok("2", "the responder accepted a client that never knew its key")
    reply = attempt("3 reply", intruder.read_reply, message2, transport)
    expect("3 reply", "the responder's reply", reply, responder.reply,
           "ee is all zeros too: every key of the session is known to you")
    ok("3", "read its reply: %r" % reply.decode())
    try:
        responder.handle(lab.Intruder().message1(request), pre_message_hashed=True)
        fail("4", "accepted with the pre-message hashed: that cannot be")
    except Exception:
        ok("4", "had the responder hashed its key into h (NK's pre-message), the tag "
           "would have failed: h, not the DH, is what binds its key")
    said = real_nk_server_says(lab.Intruder().message1(request))
    if "low-order key" not in said:
        fail("5", "the real server did not refuse the low-order key; it said:\n%s" % said)
    ok("5", "the real `ssockets listen` refuses the same message 1 before any tag: "
       "the peer sent a low-order key")


def real_nk_server_says(message1):
    """Sends frame 0 (NK) and message1 to a real `ssockets listen --key`;
    returns what the server reported on stderr."""
    sys.path.insert(0, os.path.join(HERE, "..", "attacks"))
    import lab as attacks_lab
    l = attacks_lab.Lab()
    try:
        port = l.listen("server", ["--key", l.key("resp_static")])
        sock = attacks_lab.connect(port)
        sock.sendall(attacks_lab.frame(b"Noise_NK_25519_ChaChaPoly_SHA256"))
        sock.sendall(attacks_lab.frame(message1))
        attacks_lab.read_frame(sock)          # the server closes: None
        sock.close()
        l.wait()
        return "\n".join(l.said("server"))
    finally:
        l.close()


globals()[LAB]()
print("all steps pass")
