"""length_extension.py -- lab 3 of docs/labs.md: length extension on
SHA-256(secret || message), and why HMAC stops it.

The target (docs/labs/write/targets.py, PrefixMac) tags a message with
SHA-256(secret || message); the secret is 16 bytes you do not know. From one
message and its tag you produce a longer message, ending with a suffix of
your choice, and its valid tag.
Checked by: python3 docs/labs/write/check.py length_extension YOUR_FILE
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sha256_blocks import compress, state_from_digest, digest_from_state  # noqa: E402

SECRET_LENGTH = 16


def md_padding(length):
    """TODO 1: the bytes SHA-256 appends to a message of `length` bytes
    (FIPS 180-4 §5.1.1): 0x80, zeros up to 56 mod 64, the length in bits
    as 8 big-endian bytes."""
    raise NotImplementedError  # your code here


def extend(digest, length, suffix):
    """TODO 2: SHA-256(X || md_padding(len(X)) || suffix), knowing only
    digest = SHA-256(X) and length = len(X): start from the digest as the
    state, and hash the suffix as if len(X) + padding bytes came before it."""
    raise NotImplementedError  # your code here


def forge(message, tag, suffix):
    """TODO 3: (new_message, new_tag): new_message ends with suffix, and
    new_tag = SHA-256(secret || new_message), without the secret."""
    raise NotImplementedError  # your code here
