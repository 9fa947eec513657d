"""noise_lab.py -- Noise by hand: NN, NK and XX in about 150 lines.

The lab of docs/labs.md ("Noise by hand"). Copy this file, fill in each
TODO in order, and after each one run the checker on your copy:

    cp docs/labs/noise/noise_lab.py /tmp/noise_lab.py
    python3 docs/labs/noise/check.py /tmp/noise_lab.py

The checker tries your functions one by one against the values of a real
SSockets session (docs/keys/session.sh, with the course's fixed keys), then
whole handshakes against the bytes the real program sent, then against the
official Noise test vectors (vectors/noise/cacophony). It stops at the first
difference and says what it expected.

The names follow the Noise specification, revision 34 (section numbers in
the comments); the primitives come from primitives.py, next to this file
(next to the original: a copy elsewhere finds it through check.py).
Solutions: docs/labs/solutions/noise_lab.py; try first.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from primitives import DHLEN, HASHLEN, aead_decrypt, aead_encrypt, hkdf, sha256, x25519, \
    x25519_base  # noqa: E402


class CipherState:
    """§5.1: a key k (or None) and a counter n."""

    def __init__(self):
        self.k = None
        self.n = 0

    def encrypt_with_ad(self, ad, plaintext):
        if self.k is None:
            return plaintext
        ciphertext = aead_encrypt(self.k, self.n, ad, plaintext)
        self.n += 1
        return ciphertext

    def decrypt_with_ad(self, ad, ciphertext):
        if self.k is None:
            return ciphertext
        plaintext = aead_decrypt(self.k, self.n, ad, ciphertext)
        if plaintext is None:
            raise ValueError("bad tag")
        self.n += 1
        return plaintext


class SymmetricState:
    """§5.2: the chaining key ck, the handshake hash h, and a CipherState."""

    def __init__(self, protocol_name):
        # InitializeSymmetric: a name of at most 32 bytes is padded with
        # zeros, a longer one hashed. ck starts equal to h.
        name = protocol_name.encode()
        self.h = name.ljust(HASHLEN, b"\x00") if len(name) <= HASHLEN else sha256(name)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_hash(self, data):
        """TODO 1 (§5.2 MixHash): h = HASH(h || data)."""
        raise NotImplementedError("TODO")

    def mix_key(self, input_key_material):
        """TODO 2 (§5.2 MixKey): ck, temp_k = HKDF(ck, input_key_material, 2);
        the CipherState gets the key temp_k and its n starts again at 0."""
        raise NotImplementedError("TODO")

    def encrypt_and_hash(self, plaintext):
        """TODO 3 (§5.2 EncryptAndHash): encrypt with h as associated data
        (in clear when there is no key yet), then MixHash the ciphertext.
        Returns the ciphertext. decrypt_and_hash below is its mirror."""
        raise NotImplementedError("TODO")

    def decrypt_and_hash(self, ciphertext):
        plaintext = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self):
        """TODO 4 (§5.2 Split): k1, k2 = HKDF(ck, empty, 2); returns two
        CipherStates keyed k1 (initiator to responder) and k2, n = 0."""
        raise NotImplementedError("TODO")


# §7: the patterns SSockets uses: pre-messages, then the message patterns.
PATTERNS = {
    "NN": ([], [["e"], ["e", "ee"]]),
    "NK": (["<- s"], [["e", "es"], ["e", "ee"]]),
    "XX": ([], [["e"], ["e", "ee", "s", "es"], ["s", "se"]]),
}


class HandshakeState:
    """§5.3. s and e are key pairs (private, public); rs and re public keys.
    e may be given (fixed, as the test vectors and --test-ephemeral do)."""

    def __init__(self, pattern, initiator, prologue, s=None, e=None, rs=None):
        self.symmetric = SymmetricState("Noise_%s_25519_ChaChaPoly_SHA256" % pattern)
        self.symmetric.mix_hash(prologue)
        self.initiator = initiator
        self.s, self.e, self.rs, self.re = s, e, rs, None
        pre, self.messages = PATTERNS[pattern]
        for token in pre:          # only "<- s" here: the responder's static key
            self.symmetric.mix_hash(self.rs if initiator else self.s[1])
        self.index = 0             # which message comes next

    def dh_token(self, token):
        """The DH of token ee, es, se or ss: the first letter names the
        initiator's key, the second the responder's (§7.1)."""
        mine, theirs = (token[0], token[1]) if self.initiator else (token[1], token[0])
        private = (self.e if mine == "e" else self.s)[0]
        public = self.re if theirs == "e" else self.rs
        return x25519(private, public)

    def write_message(self, payload):
        """TODO 5 (§5.3 WriteMessage): for each token of the next message:
          "e":  self.e is already set (fixed); append e.pub, MixHash(e.pub)
          "s":  append EncryptAndHash(s.pub)
          "ee", "es", "se": MixKey(self.dh_token(token))
        then append EncryptAndHash(payload). Move on to the next message
        (self.index) and return the message's bytes."""
        raise NotImplementedError("TODO")

    def read_message(self, message):
        """§5.3 ReadMessage, the mirror of write_message; returns the payload."""
        for token in self.messages[self.index]:
            if token == "e":
                self.re, message = message[:DHLEN], message[DHLEN:]
                self.symmetric.mix_hash(self.re)
            elif token == "s":
                size = DHLEN + (16 if self.symmetric.cipher.k is not None else 0)
                self.rs = self.symmetric.decrypt_and_hash(message[:size])
                message = message[size:]
            else:
                self.symmetric.mix_key(self.dh_token(token))
        payload = self.symmetric.decrypt_and_hash(message)
        self.index += 1
        return payload

    def finished(self):
        return self.index == len(self.messages)


def keypair(private):
    return private, x25519_base(private)
