"""
ssockets -- encrypted, authenticated sockets, with the API of the original
Python library, over the hand-written C implementation (libssockets.so,
through ctypes; no compiled extension, no third-party module).

The original API, unchanged:

    from ssockets import server            from ssockets import client
    myserver = server("127.0.0.1", 60000)  myclient = client("127.0.0.1", 60000)
    data = myserver.recv()                 myclient.send(b"hello")

and what the C library adds: pinned keys (peer=, allowed=), timeouts that
keep the connection, the handshake trace, a listener for many clients, key
files, exceptions in OSError's family for every failure (errors.py), and
ssockets.aio for asyncio. The guide is docs/python.md.
"""

from .errors import (SSocketsError, ArgumentError, KeyFileError, KeyFileNotFoundError,
                     ConnectionFailedError, ConnectRefusedError, TimedOutError,
                     PatternRefusedError, PeerKeyError, WrongServerKeyError,
                     UnknownClientKeyError, TamperedError, TruncatedError, PeerGoneError,
                     ProtocolError, ClosedError, RawModeError, MessageTooLongError)
from .keys import (KeyPair, generate_keypair, load_keypair, save_keypair, load_public_key,
                   parse_public_key, format_public_key, public_key)
from .connection import Connection, server, client, listener, DEFAULT_MAX_SIZE
from . import _lib
from . import aio  # ssockets.aio: the same connections for asyncio

__version__ = "0.1.0"

#: The path of the C library in use.
library_path = _lib.path

__all__ = [
    "server", "client", "listener", "Connection",
    "KeyPair", "generate_keypair", "load_keypair", "save_keypair", "load_public_key",
    "parse_public_key", "format_public_key", "public_key",
    "SSocketsError", "ArgumentError", "KeyFileError", "KeyFileNotFoundError",
    "ConnectionFailedError", "ConnectRefusedError", "TimedOutError",
    "PatternRefusedError", "PeerKeyError", "WrongServerKeyError", "UnknownClientKeyError",
    "TamperedError", "TruncatedError", "PeerGoneError", "ProtocolError", "ClosedError",
    "RawModeError", "MessageTooLongError", "DEFAULT_MAX_SIZE", "library_path", "aio",
]
