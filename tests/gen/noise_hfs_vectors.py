#!/usr/bin/env python3
"""noise_hfs_vectors.py -- the hybrid handshakes NNhfs, NKhfs and XXhfs
(Noise rev 34 with the "hfs" modifier, noise_hfs.md revision 1; ML-KEM-768 as
the KEM), computed from scratch, with none of this project's code, and
written as test vectors in the cacophony JSON format:

    python3 tests/gen/noise_hfs_vectors.py > docs/vectors/noise_hfs_mlkem768.json

No official hfs vectors exist for ML-KEM-768, so these are SSockets' own,
checked two ways: this script recomputes every value independently (Python's
hashlib and hmac, X25519 and ChaCha20-Poly1305 from python3-cryptography),
and tests/test_noise.c requires the C handshake to produce every message,
every h, ck and k, and the transport keys exactly as written here.
tests/test_noise_hfs_vectors.sh checks that the committed file is this
script's output.

Where each input comes from (nothing is generated here):
  - X25519 keys, prologues and payloads: the cacophony vectors of the same
    classical pattern (vectors/noise/cacophony/cacophony.txt);
  - ML-KEM-768: this script cannot run ML-KEM, and must not use this
    project's. The initiator's KEM key pair (dk, holding ek), the
    responder's encapsulation randomness m, the ciphertext c and the shared
    secret k are one NIST ACVP encapsulation test each
    (vectors/noise/hfs/acvp_mlkem768_encaps.json): NNhfs tcId 26, NKhfs
    tcId 27, XXhfs tcId 28. ML-KEM.Encaps_internal(ek, m) = (k, c) there,
    and Decaps(dk, c) = k, so whoever runs the handshake with these inputs
    must get exactly these values.
"""
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CACOPHONY = os.path.join(ROOT, "vectors", "noise", "cacophony", "cacophony.txt")
ACVP = os.path.join(ROOT, "vectors", "noise", "hfs", "acvp_mlkem768_encaps.json")

# (name, the cacophony vector it takes its keys from, ACVP tcId, tokens)
PATTERNS = [
    ("NN", 26, [["e", "e1"], ["e", "ee", "ekem1"]]),
    ("NK", 27, [["e", "es", "e1"], ["e", "ee", "ekem1"]]),
    ("XX", 28, [["e", "e1"], ["e", "ee", "ekem1", "s", "es"], ["s", "se"]]),
]
DHLEN, HASHLEN = 32, 32


def public(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def dh(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub))


def hkdf2(ck, ikm):
    """Noise §4.3 HKDF with two outputs."""
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out1 = hmac.new(temp, b"\x01", hashlib.sha256).digest()
    out2 = hmac.new(temp, out1 + b"\x02", hashlib.sha256).digest()
    return out1, out2


class Symmetric:
    """Noise §5.1 and §5.2, recording every h, ck and k as it changes."""

    def __init__(self, name, log):
        self.log = log
        name = name.encode()
        self.h = name.ljust(HASHLEN, b"\0") if len(name) <= HASHLEN else hashlib.sha256(name).digest()
        self.ck = self.h
        self.k = None
        self.n = 0
        log.append({"op": "InitializeSymmetric", "h": self.h.hex()})

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()
        self.log.append({"op": "MixHash", "h": self.h.hex()})

    def mix_key(self, ikm):
        self.ck, self.k = hkdf2(self.ck, ikm)
        self.n = 0
        self.log.append({"op": "MixKey", "ck": self.ck.hex(), "k": self.k.hex()})

    def encrypt_and_hash(self, plaintext):
        if self.k is None:
            out = plaintext
        else:
            out = encrypt(self.k, self.n, self.h, plaintext)
            self.n += 1
        self.mix_hash(out)
        return out

    def decrypt_and_hash(self, ciphertext):
        if self.k is None:
            out = ciphertext
        else:
            out = ChaCha20Poly1305(self.k).decrypt(nonce(self.n), ciphertext, self.h)
            self.n += 1
        self.mix_hash(ciphertext)
        return out

    def split(self):
        k1, k2 = hkdf2(self.ck, b"")
        self.log.append({"op": "Split", "k1": k1.hex(), "k2": k2.hex()})
        return k1, k2


def nonce(n):
    """Noise §12.3: 32 bits of zeros, then n as 64-bit little-endian."""
    return b"\0" * 4 + n.to_bytes(8, "little")


def encrypt(k, n, ad, plaintext):
    return ChaCha20Poly1305(k).encrypt(nonce(n), plaintext, ad)


def initialize(v, initiator):
    """Noise §5.3 Initialize for one side: the symmetric state with the
    prologue and any pre-message hashed, and that side's keys."""
    log = []
    sym = Symmetric(v["protocol_name"], log)
    sym.mix_hash(bytes.fromhex(v["init_prologue" if initiator else "resp_prologue"]))
    own = "init_static" if initiator else "resp_static"
    s = bytes.fromhex(v[own]) if own in v else None
    e = bytes.fromhex(v["init_ephemeral" if initiator else "resp_ephemeral"])
    rs = bytes.fromhex(v["init_remote_static"]) if initiator and "init_remote_static" in v else None
    if "init_remote_static" in v:  # pre-message "<- s" (NK)
        sym.mix_hash(rs if initiator else public(s))
    return {"sym": sym, "s": s, "e": e, "rs": rs, "re": None, "re1": None, "log": log}


def run(v, kem, tokens):
    """Both sides, message by message; every message is written by one
    side and read by the other, and the two logs must be equal."""
    sides = {initiator: initialize(v, initiator) for initiator in (True, False)}
    ek, dk = bytes.fromhex(kem["ek"]), bytes.fromhex(kem["dk"])
    kem_ct, kem_k = bytes.fromhex(kem["c"]), bytes.fromhex(kem["k"])
    assert dk[1152:1152 + 1184] == ek  # FIPS 203 §7.1: dk holds ek
    out_messages = []
    for i, msg_tokens in enumerate(tokens):
        w = sides[i % 2 == 0]
        r = sides[i % 2 != 0]
        w_init = i % 2 == 0
        payload = bytes.fromhex(v["messages"][i]["payload"])
        msg = b""
        for t in msg_tokens:
            if t == "e":
                msg += public(w["e"])
                w["sym"].mix_hash(public(w["e"]))
            elif t == "s":
                msg += w["sym"].encrypt_and_hash(public(w["s"]))
            elif t == "e1":
                assert w_init  # the initiator's KEM key pair: ACVP's ek and dk
                msg += w["sym"].encrypt_and_hash(ek)
            elif t == "ekem1":
                # GENERATE_KEM_CIPHERTEXT(re1) with ACVP's m: ACVP's c and k
                assert w["re1"] == ek
                msg += w["sym"].encrypt_and_hash(kem_ct)
                w["sym"].mix_key(kem_k)
            else:
                w["sym"].mix_key(dh_token(t, w, w_init))
        msg += w["sym"].encrypt_and_hash(payload)
        # The reader, from the bytes alone.
        pos = 0
        sym = r["sym"]
        for t in msg_tokens:
            tag = 16 if sym.k is not None else 0
            if t == "e":
                r["re"] = msg[pos:pos + DHLEN]
                pos += DHLEN
                sym.mix_hash(r["re"])
            elif t == "s":
                r["rs"] = sym.decrypt_and_hash(msg[pos:pos + DHLEN + tag])
                pos += DHLEN + tag
            elif t == "e1":
                r["re1"] = sym.decrypt_and_hash(msg[pos:pos + 1184 + tag])
                pos += 1184 + tag
            elif t == "ekem1":
                ct = sym.decrypt_and_hash(msg[pos:pos + 1088 + tag])
                pos += 1088 + tag
                assert ct == kem_ct  # KEM(e1, ct) = Decaps(dk, c) = ACVP's k
                sym.mix_key(kem_k)
            else:
                sym.mix_key(dh_token(t, r, not w_init))
        assert sym.decrypt_and_hash(msg[pos:]) == payload
        out_messages.append({"payload": payload.hex(), "ciphertext": msg.hex()})
    # Split, and the transport messages (the rest of cacophony's list).
    k1, k2 = sides[True]["sym"].split()
    assert sides[False]["sym"].split() == (k1, k2)
    assert sides[True]["log"] == sides[False]["log"]
    n = {True: 0, False: 0}
    for i in range(len(tokens), len(v["messages"])):
        from_init = i % 2 == 0
        payload = bytes.fromhex(v["messages"][i]["payload"])
        ct = encrypt(k1 if from_init else k2, n[from_init], b"", payload)
        n[from_init] += 1
        out_messages.append({"payload": payload.hex(), "ciphertext": ct.hex()})
    return out_messages, sides[True]["sym"].h, sides[True]["log"]


def dh_token(t, side, initiator):
    """ee, es, se from one side's point of view (Noise §5.3)."""
    if t == "ee":
        return dh(side["e"], side["re"])
    if t == "es":
        return dh(side["e"], side["rs"]) if initiator else dh(side["s"], side["re"])
    assert t == "se"
    return dh(side["s"], side["re"]) if initiator else dh(side["e"], side["rs"])


def main():
    with open(CACOPHONY) as f:
        cacophony = {v["protocol_name"]: v for v in json.load(f)["vectors"]}
    with open(ACVP) as f:
        acvp = {t["tcId"]: t for t in json.load(f)["tests"]}
    vectors = []
    for pattern, tc, tokens in PATTERNS:
        src = cacophony["Noise_%s_25519_ChaChaPoly_SHA256" % pattern]
        kem = acvp[tc]
        name = "Noise_%shfs_25519+MLKEM768_ChaChaPoly_SHA256" % pattern
        v = {"protocol_name": name}
        for field in ("init_prologue", "init_static", "init_ephemeral", "init_remote_static"):
            if field in src:
                v[field] = src[field]
        v["init_ephemeral_kem_dk"] = kem["dk"].lower()
        v["init_ephemeral_kem_ek"] = kem["ek"].lower()
        for field in ("resp_prologue", "resp_static", "resp_ephemeral"):
            if field in src:
                v[field] = src[field]
        v["resp_kem_encaps_m"] = kem["m"].lower()
        v["kem_ciphertext"] = kem["c"].lower()
        v["kem_shared_secret"] = kem["k"].lower()
        v["kem_source"] = ("NIST ACVP ML-KEM-encapDecap-FIPS203, ML-KEM-768, tgId 2, tcId %d "
                           "(ek, dk, m, c, k)" % tc)
        src_v = dict(src, protocol_name=name)
        messages, h, log = run(src_v, kem, tokens)
        v["messages"] = messages
        v["handshake_hash"] = h.hex()
        v["symmetric_state_trace"] = log
        vectors.append(v)
    doc = {
        "comment": ("Test vectors for Noise NNhfs, NKhfs and XXhfs with X25519, ML-KEM-768, "
                    "ChaChaPoly and SHA256, produced by the SSockets project "
                    "(tests/gen/noise_hfs_vectors.py) and checked as follows: this Python "
                    "script computes every value from scratch (hashlib, hmac, "
                    "python3-cryptography for X25519 and ChaCha20-Poly1305), taking the ML-KEM "
                    "values from NIST ACVP test vectors, never from an ML-KEM implementation; "
                    "SSockets' C handshake (with its own ML-KEM-768) reproduces every message, "
                    "handshake_hash and every entry of symmetric_state_trace (h after "
                    "InitializeSymmetric and each MixHash, ck and k after each MixKey, the "
                    "two Split keys). Not official Noise vectors. Fields beyond cacophony's: "
                    "init_ephemeral_kem_dk (the initiator's e1 as a FIPS 203 decapsulation "
                    "key, which holds ek), init_ephemeral_kem_ek, resp_kem_encaps_m (the "
                    "responder's ML-KEM.Encaps_internal randomness for ekem1), kem_ciphertext "
                    "and kem_shared_secret (what those give), kem_source, "
                    "symmetric_state_trace."),
        "vectors": vectors,
    }
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
