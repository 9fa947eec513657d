"""
keys.py -- X25519 key pairs and key files, the same files as `ssockets genkey`.

A private key file is an OpenSSL PEM "PRIVATE KEY" (PKCS#8); a public key
is 44 characters of base64 or a PEM "PUBLIC KEY". The two cannot be mixed
up: a public key (or any one line of base64) where a private key is
expected, or a private key where a public one is, raises KeyFileError
saying what the file holds. All parsing and writing is done by the C
library (src/net/keys.c): files are written atomically with mode 0600, and
a private key readable by others is refused, as ssh does.

The secret half of a KeyPair lives in C memory (a ctypes ss_keypair), never
in a Python bytes object, so that it can be wiped: KeyPair.wipe(), or when
the object is collected.
"""

import ctypes
import os
from typing import Any, Union

from . import _lib
from .errors import (ArgumentError, KeyFileError, KeyFileNotFoundError, SSocketsError,
                     SS_ERR_ARGUMENT, SS_ERR_KEY_FILE, last_error)


def _path(path: Any) -> bytes:
    if isinstance(path, bytes):
        return path
    return os.fsencode(os.fspath(path))


def _load_error(path: Any) -> SSocketsError:
    """The library's error for a key file that did not load; a file that
    does not exist is also a FileNotFoundError (with its errno and name)."""
    e = last_error()
    if isinstance(e, KeyFileError) and not os.path.lexists(_path(path)):
        e = KeyFileNotFoundError(e.code, e.message)
        e.filename = os.fsdecode(_path(path))
    return e


class KeyPair:
    """An X25519 key pair. public_key: its 32-byte public key;
    public_key_text: the same in base64, as `ssockets genkey` prints it."""

    def __init__(self) -> None:
        self._kp = _lib.ss_keypair()

    @classmethod
    def generate(cls) -> "KeyPair":
        kp = cls()
        if _lib.ss_keypair_generate(ctypes.byref(kp._kp)) != 0:
            raise last_error()
        return kp

    @classmethod
    def load(cls, path: Any) -> "KeyPair":
        kp = cls()
        if _lib.ss_keypair_load(ctypes.byref(kp._kp), _path(path)) != 0:
            raise _load_error(path)
        return kp

    def save(self, path: Any, pem: bool = True, overwrite: bool = False) -> None:
        """Writes the private key to path as PEM (mode 0600, atomically);
        refuses to replace an existing file unless overwrite. pem is kept
        for older callers: PEM is the only format written."""
        flags = _lib.SS_KEY_PEM
        if overwrite:
            flags |= _lib.SS_KEY_OVERWRITE
        if _lib.ss_keypair_save(ctypes.byref(self._kp), _path(path), flags) != 0:
            raise last_error()

    @property
    def public_key(self) -> bytes:
        return bytes(self._kp.public_key)

    @property
    def public_key_text(self) -> str:
        return format_public_key(self.public_key)

    def wipe(self) -> None:
        _lib.ss_keypair_wipe(ctypes.byref(self._kp))

    def __del__(self) -> None:
        try:
            self.wipe()
        except Exception:
            pass

    def __repr__(self) -> str:
        return "<ssockets.KeyPair public %s>" % self.public_key_text


def generate_keypair() -> KeyPair:
    """A fresh key pair from the kernel's random numbers."""
    return KeyPair.generate()


def load_keypair(path: Any) -> KeyPair:
    """Reads a private key file (PEM) and derives its public key."""
    return KeyPair.load(path)


def save_keypair(keypair: KeyPair, path: Any, pem: bool = True,
                 overwrite: bool = False) -> None:
    """Writes keypair's private key as PEM, like `ssockets genkey [--force]`."""
    keypair.save(path, pem=pem, overwrite=overwrite)


def load_public_key(path: Any) -> bytes:
    """The 32 bytes of a public key file (base64 or PEM)."""
    out = (ctypes.c_uint8 * 32)()
    if _lib.ss_public_key_load(out, _path(path)) != 0:
        raise _load_error(path)
    return bytes(out)


def parse_public_key(text: Union[str, bytes]) -> bytes:
    """The 32 bytes of a public key given as text (base64 or PEM)."""
    if isinstance(text, str):
        text = text.encode("ascii", "replace")
    out = (ctypes.c_uint8 * 32)()
    if _lib.ss_public_key_parse(out, text, len(text)) != 0:
        raise last_error()
    return bytes(out)


def format_public_key(public_key: Any) -> str:
    """The base64 form of a 32-byte public key (44 characters)."""
    public_key = bytes(public_key)
    if len(public_key) != 32:
        raise ArgumentError(SS_ERR_ARGUMENT, "a public key is 32 bytes, not %d" % len(public_key))
    out = ctypes.create_string_buffer(45)
    _lib.ss_public_key_format(out, (ctypes.c_uint8 * 32)(*public_key))
    return out.value.decode("ascii")


def public_key(path: Any) -> str:
    """The public key of the private key file at path, in base64, as
    `ssockets pubkey FILE` prints it."""
    kp = KeyPair.load(path)
    try:
        return kp.public_key_text
    finally:
        kp.wipe()


def as_public_key(key: Any, what: str = "peer") -> bytes:
    """A public key given as 32 bytes, base64 or PEM text, a KeyPair, or the
    path of a public key file (the forms `ssockets --peer` takes) -> bytes."""
    if isinstance(key, KeyPair):
        return key.public_key
    if isinstance(key, (bytes, bytearray, memoryview)) and len(key) == 32:
        return bytes(key)
    if isinstance(key, os.PathLike) or (isinstance(key, str) and os.path.isfile(key)):
        return load_public_key(key)
    if isinstance(key, (str, bytes, bytearray)):
        try:
            return parse_public_key(bytes(key) if not isinstance(key, str) else key.strip())
        except KeyFileError as e:
            raise KeyFileError(SS_ERR_KEY_FILE, "%s=%r: %s" % (what, key, e.message)) from None
    raise ArgumentError(SS_ERR_ARGUMENT, "%s must be a public key (32 bytes, base64 or PEM text, "
                        "or a file), not %s" % (what, type(key).__name__))
