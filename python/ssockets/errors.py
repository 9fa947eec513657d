"""
errors.py -- every failure is an exception carrying the library's code.

The C library records an ss_error code and a message (src/net/error.h);
SSocketsError carries both. The subclasses group the codes by what a caller
does about them: a tampered stream is an attack or a bug, a truncated one a
network cut, a wrong server key a possible impostor, a refused pattern a
configuration mismatch, a timeout a slow or absent peer.

They live in Python's own family, as the socket and ssl modules' do:
SSocketsError is an OSError, a timeout is also a TimeoutError, a refused
connection a ConnectionRefusedError, a cut stream a ConnectionAbortedError,
a vanished peer a ConnectionResetError, a bad argument a ValueError and a
missing key file a FileNotFoundError. So `except OSError` around a network
call catches them, and `except ssockets.TamperedError` still tells them
apart.
"""

import errno as _errno
from typing import Dict, Optional, Type

# The ss_error codes of src/net/error.h, with their values.
SS_OK = 0
SS_ERR_ARGUMENT = 1
SS_ERR_NOMEM = 2
SS_ERR_RANDOM = 3
SS_ERR_SYSTEM = 4
SS_ERR_RESOLVE = 5
SS_ERR_CONNECT = 6
SS_ERR_ADDR_IN_USE = 7
SS_ERR_TIMEOUT = 8
SS_ERR_TRUNCATED = 9
SS_ERR_PEER_GONE = 10
SS_ERR_PATTERN_REFUSED = 11
SS_ERR_BAD_PROTOCOL = 12
SS_ERR_BAD_FRAME = 13
SS_ERR_TAMPERED = 14
SS_ERR_WRONG_SERVER_KEY = 15
SS_ERR_UNKNOWN_CLIENT_KEY = 16
SS_ERR_WRONG_PEER_KEY = 17
SS_ERR_LOW_ORDER_KEY = 18
SS_ERR_BAD_TYPE = 19
SS_ERR_DATA_AFTER_CLOSE = 20
SS_ERR_NONCE_EXHAUSTED = 21
SS_ERR_CLOSED = 22
SS_ERR_KEY_FILE = 23
SS_ERR_KEY_PERMISSIONS = 24
SS_ERR_KEY_EXISTS = 25

# Their names, by value.
CODES = [
    "SS_OK", "SS_ERR_ARGUMENT", "SS_ERR_NOMEM", "SS_ERR_RANDOM", "SS_ERR_SYSTEM",
    "SS_ERR_RESOLVE", "SS_ERR_CONNECT", "SS_ERR_ADDR_IN_USE", "SS_ERR_TIMEOUT",
    "SS_ERR_TRUNCATED", "SS_ERR_PEER_GONE", "SS_ERR_PATTERN_REFUSED", "SS_ERR_BAD_PROTOCOL",
    "SS_ERR_BAD_FRAME", "SS_ERR_TAMPERED", "SS_ERR_WRONG_SERVER_KEY",
    "SS_ERR_UNKNOWN_CLIENT_KEY", "SS_ERR_WRONG_PEER_KEY", "SS_ERR_LOW_ORDER_KEY",
    "SS_ERR_BAD_TYPE", "SS_ERR_DATA_AFTER_CLOSE", "SS_ERR_NONCE_EXHAUSTED", "SS_ERR_CLOSED",
    "SS_ERR_KEY_FILE", "SS_ERR_KEY_PERMISSIONS", "SS_ERR_KEY_EXISTS",
]


class SSocketsError(OSError):
    """Any failure of the library. code: the ss_error number (0 when the
    failure was found by the Python layer alone, e.g. a message longer than
    max_size); name: its symbol ("SS_ERR_TAMPERED"); message: the library's
    message with its detail (also str(e)). errno: the closest errno value
    where there is one (ETIMEDOUT, ECONNREFUSED, ...), else None."""

    #: The errno value of the class, if any (OSError.errno).
    ERRNO: Optional[int] = None

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = CODES[code] if 0 <= code < len(CODES) else "SS_ERR_%d" % code
        self.message = message
        if self.ERRNO is not None:
            self.errno = self.ERRNO
        self.strerror = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (self.__class__, (self.code, self.message))


class ArgumentError(SSocketsError, ValueError):
    """An invalid argument or configuration (SS_ERR_ARGUMENT)."""


class KeyFileError(SSocketsError):
    """A key file is missing, malformed, readable by others or already there."""


class KeyFileNotFoundError(KeyFileError, FileNotFoundError):
    """The key file (or allow list) does not exist."""
    ERRNO = _errno.ENOENT


class ConnectionFailedError(SSocketsError):
    """No connection: the name did not resolve, the peer refused, the address
    is taken."""


class ConnectRefusedError(ConnectionFailedError, ConnectionRefusedError):
    """connect() failed: nobody listens there, or the network refused
    (SS_ERR_CONNECT)."""
    ERRNO = _errno.ECONNREFUSED


class TimedOutError(SSocketsError, TimeoutError):
    """The peer did not answer in time (timeout=, settimeout(), or the 10 s
    handshake default). A recv() that times out leaves the connection
    usable: the message that arrives later comes with the next recv()."""
    ERRNO = _errno.ETIMEDOUT


class PatternRefusedError(SSocketsError):
    """The server does not accept the handshake the client proposed (e.g. a
    client without keys, NN, at a server holding a key pair: NK and XX)."""


class PeerKeyError(SSocketsError):
    """The peer's static key is not the expected one."""


class WrongServerKeyError(PeerKeyError):
    """The server's key is not the pinned one (peer=): maybe an impostor."""


class UnknownClientKeyError(PeerKeyError):
    """The client's key is not among the allowed ones, or not the pinned one."""


class TamperedError(SSocketsError):
    """Authentication failed: data modified, replayed, reordered or under a
    wrong key. Nothing of the failed frame reaches the caller."""


class TruncatedError(SSocketsError, ConnectionAbortedError):
    """The stream ended without the peer's authenticated close: someone (or a
    crash) cut the connection."""
    ERRNO = _errno.ECONNABORTED


class PeerGoneError(SSocketsError, ConnectionResetError):
    """The peer closed or reset the connection during the handshake, or a send
    found it gone."""
    ERRNO = _errno.ECONNRESET


class ProtocolError(SSocketsError):
    """The peer broke the protocol: an unknown protocol name, an impossible
    frame, an unknown frame type, data after its close, a low-order key."""


class ClosedError(SSocketsError):
    """The connection has already ended (or was closed by us)."""


class RawModeError(SSocketsError):
    """Clear bytes asked for (recv(raw=True) or send(..., False)) on an
    encrypted connection."""


class MessageTooLongError(SSocketsError):
    """The peer's message is longer than max_size (16 MiB by default): it was
    not buffered past the limit, and the connection is closed (the rest of
    the message is still on its way). Raise max_size, or pass None."""
    ERRNO = _errno.EMSGSIZE

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.name = "MESSAGE_TOO_LONG"


_CLASS_OF: Dict[int, Type[SSocketsError]] = {
    SS_ERR_ARGUMENT: ArgumentError,
    SS_ERR_KEY_FILE: KeyFileError,
    SS_ERR_KEY_PERMISSIONS: KeyFileError,
    SS_ERR_KEY_EXISTS: KeyFileError,
    SS_ERR_RESOLVE: ConnectionFailedError,
    SS_ERR_CONNECT: ConnectRefusedError,
    SS_ERR_ADDR_IN_USE: ConnectionFailedError,
    SS_ERR_TIMEOUT: TimedOutError,
    SS_ERR_PATTERN_REFUSED: PatternRefusedError,
    SS_ERR_WRONG_SERVER_KEY: WrongServerKeyError,
    SS_ERR_UNKNOWN_CLIENT_KEY: UnknownClientKeyError,
    SS_ERR_WRONG_PEER_KEY: UnknownClientKeyError,
    SS_ERR_TAMPERED: TamperedError,
    SS_ERR_TRUNCATED: TruncatedError,
    SS_ERR_PEER_GONE: PeerGoneError,
    SS_ERR_BAD_PROTOCOL: ProtocolError,
    SS_ERR_BAD_FRAME: ProtocolError,
    SS_ERR_BAD_TYPE: ProtocolError,
    SS_ERR_DATA_AFTER_CLOSE: ProtocolError,
    SS_ERR_LOW_ORDER_KEY: ProtocolError,
    SS_ERR_CLOSED: ClosedError,
}


def error_for(code: int, message: str) -> SSocketsError:
    """The exception for a library error code."""
    return _CLASS_OF.get(code, SSocketsError)(code, message)


def last_error() -> SSocketsError:
    """The calling thread's last library error, as an exception. (Every
    failing call records it per thread: error.h.)"""
    from . import _lib
    code = _lib.ss_last_error(None)
    message = _lib.ss_last_error_message(None).decode("utf-8", "replace")
    if code == SS_OK:
        return SSocketsError(SS_ERR_SYSTEM, message or "the library reported no error")
    return error_for(code, message)
