"""
connection.py -- server, client and listener: the original Python API over
the C library's connections (src/net/conn.h).

    myserver = server("127.0.0.1", 60000)      # listen, accept one client, handshake
    data = myserver.recv()                     # the next whole message
    client("127.0.0.1", 60000).send(b"...")    # one whole message

Which Noise pattern runs is decided by the keys, as in the C library (the
table in conn.h and docs/python.md): without keys NN, with a loaded key pair
XX, with a pinned server key (peer=) NK. Every object also has a key pair of
its own, the one save_keys() writes: the loaded one, or else a fresh one
made for the object, which it proves in a handshake once it is loaded again
(load_key=True, key_path=...). Noise's ephemeral keys are never saved.

How the waiting works: every connection of this package is the C library's
non-blocking one (ss_client_nonblocking, ss_accept_nonblocking), and every
wait happens here, cut into slices of _SLICE_MS: ss_recv_wait for messages
(a timeout that keeps the connection), poll() on ss_conn_fd for a send or a
handshake that waits for the socket, poll() on the listener for accept.
Between two slices Python runs: Ctrl-C is raised there (_Interruptible),
close() or shutdown() from another thread is seen there, and the timeout
of settimeout() is checked there. The GIL is released inside each slice.
"""

import ctypes
import importlib
import math
import os
import select
import signal
import socket
import stat
import threading
import time
import weakref
from types import TracebackType
from typing import (Any, Callable, List, NoReturn, Optional, Tuple, Type, TypeVar, Union,
                    cast)

from . import _lib
from .errors import (ArgumentError, ClosedError, KeyFileError, KeyFileNotFoundError,
                     MessageTooLongError, RawModeError, SSocketsError, TimedOutError,
                     SS_ERR_ARGUMENT, SS_ERR_CLOSED, SS_ERR_KEY_FILE, SS_ERR_KEY_PERMISSIONS,
                     SS_ERR_TIMEOUT, last_error)
from .keys import KeyPair, as_public_key

# The receive buffer a connection keeps between calls; a longer message
# continues in further buffers (_Receiver).
_RECV_BUFFER = 64 * 1024
# The largest chunk a long message is received into.
_CHUNK_MAX = 1 << 20

#: recv()'s default limit on the size of one message (max_size=).
DEFAULT_MAX_SIZE = 16 * 1024 * 1024

# How long one wait in C lasts at most (milliseconds) before Python looks
# again at Ctrl-C and at close()/shutdown() from another thread: the bound
# on how late either is noticed.
_SLICE_MS = 100

_ENCRYPTION_FLAG = "use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing"

#: The type of a public key argument (peer=, allowed=).
PublicKeyLike = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", KeyPair]
Timeout = Optional[float]
#: hybrid=: False (classical), True (propose or accept the hfs form), "only" (a
#: server that refuses classical proposals).
Hybrid = Union[bool, str]
_T = TypeVar("_T")


# ---------------------------------------------------------------- Ctrl-C

# The signal module's C half: the same functions without the enum
# conversions of signal.py, which cost more than a small send() itself.
try:
    _sig: Any = importlib.import_module("_signal")
except ImportError:  # another Python implementation
    _sig = signal
_SIGINT = int(signal.SIGINT)

class _Interruptible:
    """Around a call that may wait in C (for a client, a message, a peer
    that reads). Python runs signal handlers only between bytecodes, so a
    thread waiting in C cannot be interrupted; the waits are therefore cut
    into slices of _SLICE_MS, and between two slices Python runs.

    A KeyboardInterrupt raised by Python's own handler could land between a
    C call that took bytes and the line that stores them, losing them. So
    while the call runs in the main thread with Python's default handler,
    Ctrl-C only sets a flag here, and check() raises KeyboardInterrupt at a
    point where the connection's state is whole (between two slices); the
    handler is restored on the way out. A program with a SIGINT handler of
    its own keeps it (its handler runs between slices)."""

    def __init__(self, armed: bool = True) -> None:
        self.fired = False
        self.saved: Any = None
        self.armed = armed

    def __enter__(self) -> "_Interruptible":
        if self.armed:
            self.armed = False
            self.arm()
        return self

    def arm(self) -> None:
        """Holds Python's SIGINT handler back from now on (once)."""
        if self.armed:
            return
        self.armed = True
        if threading.current_thread() is threading.main_thread():
            try:
                if _sig.getsignal(_SIGINT) is signal.default_int_handler:
                    self.saved = _sig.signal(_SIGINT, self._handler)
            except ValueError:  # not the main interpreter
                self.saved = None

    def _handler(self, signum: int, frame: Any) -> None:
        self.fired = True

    def check(self) -> None:
        if self.fired:
            self.fired = False
            raise KeyboardInterrupt

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self.saved is not None:
            _sig.signal(_SIGINT, self.saved)
        if self.fired:
            raise KeyboardInterrupt


def _wait_fd(fd: int, write: bool, ms: int) -> None:
    """Sleeps until fd is readable (or writable), at most ms milliseconds.
    The GIL is released meanwhile (select.poll)."""
    if fd < 0:
        return
    p = select.poll()
    p.register(fd, select.POLLOUT if write else select.POLLIN)
    try:
        p.poll(ms)
    except InterruptedError:
        pass


def _slice(deadline: Optional[float]) -> int:
    """The next wait: a slice, or less when the deadline is nearer (0 once
    it has passed)."""
    if deadline is None:
        return _SLICE_MS
    left = deadline - time.monotonic()
    return max(0, min(_SLICE_MS, int(math.ceil(left * 1000))))


def _drive_handshake(handle: int, guard: _Interruptible, closed: Callable[[], bool]) -> None:
    """Runs the handshake of a non-blocking connection (ss_client_nonblocking,
    ss_accept_nonblocking) to its end, in slices. The C library keeps its
    deadline (timeout=, 10 s by default) and reports SS_ERR_TIMEOUT."""
    while True:
        if closed():
            raise ClosedError(SS_ERR_CLOSED, "closed from another thread during the handshake")
        guard.check()
        rc = _lib.ss_conn_handshake(handle)
        if rc == 0:
            return
        if rc not in (_lib.SS_WANT_READ, _lib.SS_WANT_WRITE):
            raise last_error()
        # The descriptor may change while connecting (one socket per address).
        _wait_fd(_lib.ss_conn_fd(handle), rc == _lib.SS_WANT_WRITE, _SLICE_MS)


def _check_timeout(value: object, what: str, zero: bool) -> Timeout:
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or value != value
            or value < 0 or (value == 0 and not zero)):
        raise ArgumentError(SS_ERR_ARGUMENT, "%s must be a number of seconds %s, or None (no "
                            "limit), not %r" % (what, ">= 0" if zero else "> 0", value))
    return float(value)


def _check_max_size(value: object) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArgumentError(SS_ERR_ARGUMENT, "max_size must be a number of bytes >= 0, or None "
                            "(no limit), not %r" % (value,))
    return value


# ---------------------------------------------------------------- configuration

def _check_alg(alg: object) -> None:
    name = str(alg).lower()
    if name in ("ecdh", "x25519"):
        return
    if name == "rsa":
        raise ArgumentError(SS_ERR_ARGUMENT,
                            "alg='rsa': RSA is not offered. SSockets runs Noise handshakes with "
                            "X25519; X25519 key pairs (load_key=True, key_path=...) play the role "
                            "RSA keys played, and alg='ecdh' (the default) or 'x25519' selects "
                            "them")
    raise ArgumentError(SS_ERR_ARGUMENT, "alg=%r: unknown; 'ecdh' (the default) and 'x25519' "
                        "both mean X25519" % (alg,))


def _check_address(host: object, port: object) -> bytes:
    if not isinstance(host, (str, bytes)):
        raise ArgumentError(SS_ERR_ARGUMENT, "host must be a string, not %s" % type(host).__name__)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ArgumentError(SS_ERR_ARGUMENT, "port must be an integer from 0 to 65535, not %r"
                            % (port,))
    return host.encode("idna") if isinstance(host, str) else host


class _Config:
    """An ss_config and every Python object it points to, kept alive
    together (the C side reads them during the handshake, and a listener for
    its whole life)."""

    def __init__(self, *, server: bool, load_key: Optional[bool], key_path: Any, alg: str,
                 key: Any, peer: Any, allowed: Any, timeout: Timeout, plain: bool,
                 trace: Any, max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        _check_alg(alg)
        if load_key is not None and not isinstance(load_key, bool):
            raise ArgumentError(SS_ERR_ARGUMENT, "load_key must be True, False or None, not %r"
                                % (load_key,))
        if load_key and key_path is None:
            raise ArgumentError(SS_ERR_ARGUMENT, "load_key=True but the key path is missing: "
                                "give key_path, the file written by save_keys() or "
                                "`ssockets genkey`")
        if load_key and key is not None:
            raise ArgumentError(SS_ERR_ARGUMENT, "give load_key=True, key_path=... or key=, "
                                "not both")
        self.timeout = _check_timeout(timeout, "timeout", zero=False)
        self.max_size = _check_max_size(max_size)
        self.cfg, self._owner = _lib.new_config()
        self.plain = bool(plain)

        # Our key pair: loaded, given, or made for this object.
        proven = True
        if load_key:
            self.keypair = KeyPair.load(key_path)
        elif isinstance(key, KeyPair):
            self.keypair = key
        elif key is not None:
            self.keypair = KeyPair.load(key)
        else:
            self.keypair = KeyPair.generate()
            # A made-up key is proven only where the pattern needs a server
            # key (a server that checks its clients runs XX).
            proven = server and (peer is not None or allowed is not None)
        if self.plain:
            if load_key or key is not None or peer is not None or allowed is not None:
                raise ArgumentError(SS_ERR_ARGUMENT, "plain=True has no handshake, so it cannot "
                                    "use keys (load_key, key, peer, allowed)")
            proven = False
        if proven:
            self.cfg.static_key = ctypes.pointer(self.keypair._kp)

        if peer is not None:
            self._peer = (ctypes.c_uint8 * 32)(*as_public_key(peer, "peer"))
            self.cfg.peer_public_key = ctypes.cast(self._peer, ctypes.POINTER(ctypes.c_uint8))
        if allowed is not None:
            if not server:
                raise ArgumentError(SS_ERR_ARGUMENT, "allowed= is a server setting: the client "
                                    "keys a server accepts")
            keys = _allowed_keys(allowed)
            self._allowed = ((ctypes.c_uint8 * 32) * len(keys))()
            for i, k in enumerate(keys):
                self._allowed[i][:] = list(k)
            self.cfg.allowed_keys = ctypes.cast(self._allowed, ctypes.POINTER(ctypes.c_uint8 * 32))
            self.cfg.allowed_count = len(keys)
        if self.timeout is not None:
            # The handshake's deadline (C keeps it); the close frame's wait.
            # recv() and send() wait in Python, in slices (settimeout).
            ms = max(1, min(int(self.timeout * 1000), 2 ** 31 - 1))
            self.cfg.handshake_timeout_ms = ms
            self.cfg.io_timeout_ms = ms
        self.cfg.plain = 1 if self.plain else 0
        self.cfg.hybrid = _hybrid_value(hybrid, server, self.plain)
        self.trace = _Trace(trace) if trace is not None else None
        if self.trace is not None:
            self.cfg.trace = self.trace.fn

    def pointer(self) -> Any:
        return ctypes.byref(self.cfg)


# ss_config.hybrid for a server that refuses classical proposals (engine.h).
_SS_HYBRID_ONLY = 2


def _hybrid_value(hybrid: Hybrid, server: bool, plain: bool) -> int:
    """hybrid= (engine.h): a client with True proposes the hfs form of its
    pattern (NNhfs, NKhfs, XXhfs: ML-KEM-768 beside X25519); a server or
    listener accepts both forms, or with "only" the hybrid ones alone."""
    allowed: Tuple[Hybrid, ...] = (False, True)
    if server:
        allowed = (False, True, "only")
    if not any(hybrid is v for v in allowed[:2]) and hybrid not in allowed[2:]:
        raise ArgumentError(SS_ERR_ARGUMENT, "hybrid must be %s, not %r"
                            % (" or ".join(repr(v) for v in allowed), hybrid))
    if plain and hybrid:
        raise ArgumentError(SS_ERR_ARGUMENT, "plain=True has no handshake, so it cannot be hybrid")
    return _SS_HYBRID_ONLY if hybrid == "only" else int(hybrid)


def _allowed_keys(allowed: Any) -> List[bytes]:
    """allowed= as a list of public keys, or the path of a file with one key
    per line ('#' starts a comment), like `ssockets listen --allow FILE`:
    refused, as the command refuses it, when group or others may write it
    (whoever can write the list chooses who may connect)."""
    if isinstance(allowed, (str, os.PathLike)) and os.path.isfile(allowed):
        keys = []
        with open(allowed, encoding="utf-8", errors="replace") as f:
            mode = os.fstat(f.fileno()).st_mode
            if mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise KeyFileError(SS_ERR_KEY_PERMISSIONS, "key file '%s': mode %04o lets group "
                                   "or others write it; chmod go-w it"
                                   % (os.fsdecode(allowed), stat.S_IMODE(mode)))
            for n, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    try:
                        keys.append(as_public_key(line, "allowed"))
                    except KeyFileError:
                        raise KeyFileError(SS_ERR_KEY_FILE, "%s:%d: not a public key (expected 44 "
                                           "characters of base64)" % (allowed, n)) from None
    elif isinstance(allowed, (str, bytes, KeyPair)):
        keys = [as_public_key(allowed, "allowed")]
    else:
        keys = [as_public_key(k, "allowed") for k in allowed]
    if not keys:
        raise ArgumentError(SS_ERR_ARGUMENT, "allowed= holds no key: no client could connect")
    return keys


class _Trace:
    """trace=: a callable given each line, or a file to write the lines to."""

    def __init__(self, target: Any) -> None:
        if hasattr(target, "write"):
            self.out: Callable[[str], Any] = lambda line: target.write(line + "\n")
        elif callable(target):
            self.out = target
        else:
            raise ArgumentError(SS_ERR_ARGUMENT, "trace must be a callable or a file, not %s"
                                % type(target).__name__)
        self.fn = _lib.TRACE_FN(self._line)

    def _line(self, _arg: Any, line: bytes) -> None:
        try:
            self.out(line.decode("utf-8", "replace"))
        except Exception:  # an exception cannot cross into C; drop the line
            pass


# ---------------------------------------------------------------- connections

class _Chunk:
    """A buffer a message is received into, and how much of it is used."""

    __slots__ = ("buf", "used")

    def __init__(self, buf: Any) -> None:
        self.buf = buf
        self.used = 0

    def wipe(self) -> None:
        ctypes.memset(self.buf, 0, self.used)
        self.used = 0


# Buffers of long messages kept (wiped) for the next long message, at most
# this many bytes per connection: fresh memory costs a page fault per page,
# which on some kernels costs more than the rest of recv().
_SPARE_MAX = 4 << 20


class _Receiver:
    """Where recv() puts a message, for the blocking and the asyncio
    connections alike: the connection's own 64 KiB buffer, then, for a long
    message, further buffers of twice the size each (at most 1 MiB), never
    more than max_size in all. A message is never grown by resizing a
    buffer, which would free the old blocks unwiped: every buffer is wiped
    before it is reused or let go. A receive cut short (timeout, Ctrl-C,
    cancellation) leaves the chunks here, and the next one goes on."""

    def __init__(self, max_size: Optional[int]) -> None:
        self.max_size = max_size
        self.chunks: List[_Chunk] = [_Chunk(ctypes.create_string_buffer(_RECV_BUFFER))]
        self.spare: List[Any] = []
        self.total = 0

    def room(self) -> Tuple[int, int]:
        """(address, bytes) of the space for the next bytes of the message;
        0 bytes once the message has reached max_size (a receive of 0 bytes
        then tells whether it ends there: see at_limit)."""
        chunk = self.chunks[-1]
        room = ctypes.sizeof(chunk.buf) - chunk.used
        if self.max_size is not None and self.max_size - self.total <= room:
            return ctypes.addressof(chunk.buf) + chunk.used, self.max_size - self.total
        if room == 0:
            size = min(2 * ctypes.sizeof(chunk.buf), _CHUNK_MAX)
            buf = next((b for b in self.spare if ctypes.sizeof(b) == size), None)
            if buf is not None:
                self.spare.remove(buf)
            else:
                buf = (ctypes.c_char * size)()
            chunk = _Chunk(buf)
            self.chunks.append(chunk)
            return self.room()
        return ctypes.addressof(chunk.buf) + chunk.used, room

    def took(self, n: int) -> None:
        self.chunks[-1].used += n
        self.total += n

    def at_limit(self) -> bool:
        """The message has max_size bytes and does not end there."""
        return self.max_size is not None and self.total >= self.max_size

    def message(self) -> bytes:
        """The message received, as one bytes object (the one copy); every
        buffer wiped."""
        if len(self.chunks) == 1:
            data = ctypes.string_at(self.chunks[0].buf, self.chunks[0].used)
        else:
            data = b"".join([memoryview(c.buf).cast("B")[:c.used] for c in self.chunks])
        self.reset()
        return data

    def reset(self) -> None:
        """Wipes what was received of the message; keeps a few buffers."""
        for c in self.chunks:
            c.wipe()
        kept = sum(ctypes.sizeof(b) for b in self.spare)
        for c in self.chunks[1:]:
            if kept + ctypes.sizeof(c.buf) <= _SPARE_MAX:
                self.spare.append(c.buf)
                kept += ctypes.sizeof(c.buf)
        del self.chunks[1:]
        self.total = 0

    def wipe(self) -> None:
        """Wipes everything and lets the spare buffers go (closing)."""
        self.reset()
        self.spare = []
        ctypes.memset(self.chunks[0].buf, 0, ctypes.sizeof(self.chunks[0].buf))


class _State:
    """What the finalizer needs, without a reference to the Connection."""

    def __init__(self, handle: int, keep: Any, max_size: Optional[int]) -> None:
        self.handle: Optional[int] = handle
        self.keep = keep            # the config, trace callback and key pair
        self.rlock = threading.Lock()
        self.slock = threading.Lock()
        # close() or shutdown(SHUT_RD) from any thread: a recv() waiting in
        # another thread sees it within a slice and raises ClosedError.
        self.closing = False
        self.read_shut = False
        # The message being received (a recv() interrupted by its timeout
        # or Ctrl-C leaves its part here, and the next recv() goes on).
        self.receiver = _Receiver(max_size)
        # A message a send() left half sent (timeout, Ctrl-C): the next
        # send() finishes it first, as the C library wants.
        self.pending: Optional[bytes] = None
        # A whole message received by a recv() that Ctrl-C then interrupted:
        # the next recv() returns it first.
        self.ready: Optional[bytes] = None

    def wipe(self) -> None:
        self.receiver.wipe()


# How long close() waits for its close frame to leave, when the timeout is
# None: the C library's default for sends (conn.c, DEFAULT_SEND_MS).
_CLOSE_WAIT_S = 30.0


def _abort_socket(handle: int) -> None:
    """Ends the TCP stream at once, both ways (shutdown(2) on the
    connection's socket, through a duplicate descriptor), so that the
    ss_close that follows finds nothing it could wait for."""
    fd = _lib.ss_conn_fd(handle)
    if fd < 0:
        return
    try:
        with socket.socket(fileno=os.dup(fd)) as s:
            s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _close_handle(handle: int, wait_s: float, half_sent: bool) -> None:
    """Closes a connection of this package (non-blocking in C): our close
    frame goes out if it can within wait_s (0: only if the socket takes it
    at once), in slices; otherwise, or when a message was left half sent
    (the peer would see a message cut by a close), the stream is ended
    without it, and the peer reports a truncated connection, which is the
    truth. ss_close itself then never waits."""
    try:
        rc = -1 if half_sent else _lib.ss_shutdown(handle)
        deadline = time.monotonic() + wait_s
        while rc == _lib.SS_WANT_WRITE and time.monotonic() < deadline:
            _wait_fd(_lib.ss_conn_fd(handle), True, _slice(deadline))
            rc = _lib.ss_flush(handle)
        if rc != 0:
            _abort_socket(handle)
    finally:
        _lib.ss_close(handle)


def _finalize(state: _State) -> None:
    """Garbage collection or interpreter exit: close the way close() does,
    but never wait. If another thread is still inside a call (a daemon
    thread blocked in recv at exit), only our close frame is sent: freeing
    the connection under that thread is not allowed (conn.h)."""
    if state.handle is None:
        return
    if state.rlock.acquire(blocking=False):
        if state.slock.acquire(blocking=False):
            handle, state.handle = state.handle, None
            if handle is not None:
                _close_handle(handle, 0, state.pending is not None)
            state.wipe()
            state.slock.release()
        state.rlock.release()
    elif state.slock.acquire(blocking=False):
        if state.handle is not None:
            _lib.ss_shutdown(state.handle)
        state.slock.release()


class Connection:
    """An open SSockets connection: what server(), client() and
    listener.accept() return. It behaves like a socket where sockets have
    habits: settimeout()/gettimeout(), fileno(), shutdown(how), close() from
    any thread, Ctrl-C, and exceptions that are OSErrors."""

    _config: _Config
    _state: _State
    _peer_closed: bool
    _timeout: Timeout
    _max_size: Optional[int]

    def __init__(self, *args: Any, **kw: Any) -> None:
        raise TypeError("connections come from server(), client() or listener.accept()")

    def _adopt(self, handle: int, config: _Config) -> None:
        self._config = config
        self._state = _State(handle, config, config.max_size)
        self._peer_closed = False
        self._timeout = config.timeout
        self._max_size = config.max_size
        self._finalizer = weakref.finalize(self, _finalize, self._state)

    def _handle(self) -> int:
        handle = self._state.handle
        if handle is None or self._state.closing:
            raise ClosedError(SS_ERR_CLOSED, "the connection is closed")
        return handle

    # ---- the original API

    def send(self, message: Any, use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing: bool = True) -> None:  # noqa: E501 (the original's name)
        """Sends message (bytes) as one whole message, whatever its length.
        With the flag False the bytes go in clear, which only a connection
        opened with plain=True does. Waits at most the timeout (settimeout)
        for a peer that reads nothing; a message cut short by the timeout
        (or by Ctrl-C) stays queued, and the next send() finishes it first.
        (A KeyboardInterrupt may also come once the message is out.)"""
        encrypt = use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing
        if not encrypt and not self.plain:
            raise RawModeError(SS_ERR_ARGUMENT, _raw_refusal("send(..., %s=False)"
                                                             % _ENCRYPTION_FLAG))
        if isinstance(message, str):
            raise TypeError("send() takes bytes, not str: encode it first, "
                            "e.g. send(text.encode('utf-8'))")
        if not isinstance(message, bytes):
            message = bytes(memoryview(message))
        state = self._state
        # Most sends do not wait: they run without touching the SIGINT
        # handler (two system calls); it is held back once a send waits.
        with state.slock, _Interruptible(armed=False) as guard:
            handle = self._handle()
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            if state.pending is not None:
                guard.arm()
                self._send_whole(handle, state.pending, guard, deadline)
            rc = _lib.ss_send(handle, message, len(message))
            if rc == 0:
                return
            if rc != _lib.SS_WANT_WRITE:
                raise last_error()
            state.pending = message     # partly out: the same call must finish it
            guard.arm()
            self._send_whole(handle, message, guard, deadline)

    def _send_whole(self, handle: int, message: bytes, guard: _Interruptible,
                    deadline: Optional[float]) -> None:
        """The non-blocking ss_send, repeated with the same buffer until the
        message is out; between tries, a slice of waiting for the socket."""
        state = self._state
        while True:
            rc = _lib.ss_send(handle, message, len(message))
            if rc == 0:
                state.pending = None
                return
            if rc != _lib.SS_WANT_WRITE:
                state.pending = None
                raise last_error()
            if state.closing:
                raise ClosedError(SS_ERR_CLOSED, "closed from another thread during send()")
            guard.check()
            wait = _slice(deadline)
            if wait == 0:
                raise TimedOutError(SS_ERR_TIMEOUT, "the peer read nothing for %g s; the rest "
                                    "of the message stays queued (the next send() finishes it)"
                                    % cast(float, self._timeout))
            _wait_fd(_lib.ss_conn_fd(handle), True, wait)

    def recv(self, raw: bool = False) -> bytes:
        """The next whole message, as bytes (b"" for an empty message, and
        after the peer's authenticated close: see peer_closed). A connection
        cut without that close raises TruncatedError. Waits at most the
        timeout (settimeout, timeout=): then TimedOutError, and the
        connection stays usable (a message arriving later comes whole with
        the next recv()). A message longer than max_size raises
        MessageTooLongError. raw=True asks for the bytes in clear, which
        only a plain=True connection has."""
        if raw and not self.plain:
            raise RawModeError(SS_ERR_ARGUMENT, _raw_refusal("recv(raw=True)"))
        state = self._state
        with state.rlock, _Interruptible() as guard:
            handle = self._handle()
            if state.read_shut:
                raise ClosedError(SS_ERR_CLOSED, "shutdown(SHUT_RD): nothing more is received")
            if state.ready is not None:
                data, state.ready = state.ready, None
                return data
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            receiver = state.receiver
            first = True
            while True:
                address, room = receiver.room()
                if not first:
                    if state.closing or state.read_shut:
                        raise ClosedError(SS_ERR_CLOSED, "closed from another thread "
                                          "during recv()")
                    guard.check()
                wait = _slice(deadline)
                if wait == 0 and not first:
                    raise TimedOutError(SS_ERR_TIMEOUT, "no message within %g s (the "
                                        "connection stays usable: recv() again to go on "
                                        "waiting)" % cast(float, self._timeout))
                first = False
                n = _lib.ss_recv_wait(handle, address, room, wait)
                if n == _lib.SS_WANT_READ:
                    continue
                if n < 0:
                    receiver.reset()
                    raise last_error()
                receiver.took(n)
                if _lib.ss_message_done(handle):
                    break
                if receiver.at_limit():
                    self._too_long(handle)
            data = receiver.message()
            if not data and _lib.ss_peer_closed(handle):
                self._peer_closed = True
            if guard.fired:
                # Ctrl-C in the last slice: the message is kept, not lost.
                state.ready = data
                guard.check()
            return data

    def _too_long(self, handle: int) -> NoReturn:
        """The message goes past max_size: what came of it is wiped, and the
        connection is closed (the rest of it is still on its way)."""
        limit = self._max_size
        self._close_now()
        raise MessageTooLongError(0, "the peer's message is longer than max_size=%d bytes: "
                                  "not received, and the connection is closed (raise max_size, "
                                  "or pass max_size=None for no limit)" % cast(int, limit))

    def save_keys(self, path: Any, pem: bool = True) -> None:
        """Writes this object's key pair to path (the private key, from which
        the public key follows), replacing an existing file atomically, with
        mode 0600, as PEM (OpenSSL's PKCS#8), the format `ssockets genkey`
        writes; pem is kept for older callers (PEM is the only format)."""
        self._config.keypair.save(path, pem=pem, overwrite=True)

    def load_keys_from_file(self, path: Any) -> bytes:
        """The bytes of the file at path (a saved key file)."""
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError as e:
            raise KeyFileNotFoundError(SS_ERR_KEY_FILE, "key file '%s': %s"
                                       % (path, e.strerror)) from None
        except OSError as e:
            raise KeyFileError(SS_ERR_KEY_FILE, "key file '%s': %s" % (path, e.strerror)) from None

    # ---- socket habits

    def settimeout(self, timeout: Timeout) -> None:
        """How long recv() and send() wait, in seconds (None: no limit; 0:
        not at all), as socket.settimeout. A timeout raises TimedOutError (a
        TimeoutError) and leaves the connection usable."""
        self._timeout = _check_timeout(timeout, "settimeout()", zero=True)

    def gettimeout(self) -> Timeout:
        """The timeout settimeout() or timeout= set, or None."""
        return self._timeout

    def fileno(self) -> int:
        """The connection's socket, for select/selectors/poll (-1 once
        closed): readable when bytes have arrived. Never read or write it
        directly. As with an ssl socket, a whole message may already wait
        inside the connection while the socket is not readable: a program
        that selects calls recv() with a timeout (settimeout(0)) until it
        raises TimedOutError."""
        handle = self._state.handle
        return int(_lib.ss_conn_fd(handle)) if handle is not None else -1

    def shutdown(self, how: int = socket.SHUT_WR) -> None:
        """socket.SHUT_WR (the default): sends our authenticated close and
        nothing more; recv() keeps working until the peer's close (b"").
        socket.SHUT_RD: recv() ends, from any thread: one waiting in another
        thread raises ClosedError within a fraction of a second, as do later
        calls. socket.SHUT_RDWR: both."""
        if how not in (socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR):
            raise ArgumentError(SS_ERR_ARGUMENT, "shutdown(how): how is socket.SHUT_RD, SHUT_WR "
                                "or SHUT_RDWR, not %r" % (how,))
        state = self._state
        if how in (socket.SHUT_RD, socket.SHUT_RDWR):
            state.read_shut = True
        if how == socket.SHUT_RD:
            return
        with state.slock, _Interruptible() as guard:
            handle = self._handle()
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            rc = _lib.ss_shutdown(handle)
            while rc == _lib.SS_WANT_WRITE:
                guard.check()
                wait = _slice(deadline)
                if wait == 0:
                    raise TimedOutError(SS_ERR_TIMEOUT, "the peer read nothing for %g s"
                                        % cast(float, self._timeout))
                _wait_fd(_lib.ss_conn_fd(handle), True, wait)
                rc = _lib.ss_flush(handle)
            if rc != 0:
                raise last_error()

    def close(self) -> None:
        """Sends our close (if the connection is healthy), closes the socket
        and wipes the keys. Callable from any thread: a recv() or send()
        waiting in another thread ends with ClosedError within a fraction of
        a second, then the connection closes. The close frame waits at most
        the timeout (30 s when it is None) for a peer that reads nothing,
        then the stream is ended without it; so does a message left half
        sent. Calling it twice is harmless."""
        state = self._state
        if state.handle is None:
            return
        state.closing = True
        with state.rlock, state.slock:
            self._close_now(wait=True)

    def _close_now(self, wait: bool = False) -> None:
        """close(), by a thread that holds the locks or needs none."""
        state = self._state
        handle, state.handle = state.handle, None
        state.closing = True
        try:
            if handle is not None:
                # Best effort, like socket.close(): a peer that has gone
                # already learns nothing from an error here, and a peer
                # still reading sees a stream without our close frame and
                # reports it as truncated.
                limit = self._timeout if self._timeout is not None else _CLOSE_WAIT_S
                _close_handle(handle, limit if wait else 0, state.pending is not None)
        finally:
            state.wipe()
            self._finalizer.detach()

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._state.handle is None

    @property
    def peer_closed(self) -> bool:
        """True once the peer's authenticated close has arrived."""
        return self._peer_closed

    @property
    def max_size(self) -> Optional[int]:
        """The longest message recv() accepts, in bytes (None: no limit)."""
        return self._max_size

    @property
    def plain(self) -> bool:
        return self._config.plain

    @property
    def public_key(self) -> bytes:
        """This object's own public key (32 bytes): the one save_keys() saves."""
        return self._config.keypair.public_key

    @property
    def peer_public_key(self) -> Optional[bytes]:
        """The peer's authenticated static public key (32 bytes), or None
        when the pattern authenticates none (NN; NK seen from the server)."""
        p = _lib.ss_peer_public_key(self._handle())
        return ctypes.string_at(p, 32) if p else None

    @property
    def protocol_name(self) -> str:
        """"Noise_XX_25519_ChaChaPoly_SHA256", ... or "plain"."""
        return cast(bytes, _lib.ss_protocol_name(self._handle())).decode("ascii")

    @property
    def handshake_hash(self) -> bytes:
        """The handshake hash h (32 bytes), the same on both sides: channel
        binding. All zeros in plain mode."""
        out = (ctypes.c_uint8 * 32)()
        _lib.ss_handshake_hash(out, self._handle())
        return bytes(out)

    def __repr__(self) -> str:
        if self.closed:
            return "<ssockets connection, closed>"
        return "<ssockets connection %s>" % self.protocol_name


def _raw_refusal(call: str) -> str:
    return ("%s moves bytes in clear, and this connection is encrypted: every byte of an "
            "encrypted SSockets stream is inside an authenticated frame, and the receiver "
            "counts the frames (the nonce), so a clear byte in the stream would be taken as a "
            "forged frame and end the connection. Clear bytes need a connection opened with "
            "plain=True on both sides (for the capture demonstration only)." % call)


def _accept(listener_handle: int, guard: _Interruptible, closed: Callable[[], bool]) -> int:
    """Waits for a client on a listener (in slices) and runs its handshake;
    the new connection's handle (non-blocking in C, as every connection of
    this package: recv and send wait in Python's slices)."""
    out = ctypes.c_void_p()
    fd = _lib.ss_listener_fd(listener_handle)
    while True:
        if closed():
            raise ClosedError(SS_ERR_CLOSED, "the listener is closed")
        guard.check()
        rc = _lib.ss_accept_nonblocking(listener_handle, ctypes.byref(out))
        if rc == 0:
            break
        if rc != _lib.SS_WANT_READ:
            raise last_error()
        _wait_fd(fd, False, _SLICE_MS)
    handle = cast(int, out.value)
    try:
        _drive_handshake(handle, guard, closed)
        guard.check()   # Ctrl-C in the last slice: the new connection goes too
    except BaseException:
        _close_handle(handle, 0, False)
        raise
    return handle


def _listen(h: bytes, port: int, config: _Config) -> int:
    handle = _lib.ss_listen(h, port, config.pointer())
    if not handle:
        raise last_error()
    return cast(int, handle)


class server(Connection):
    """Listens on host:port (SO_REUSEADDR), accepts one client, runs the
    handshake; returns when the channel is ready. Ctrl-C while it waits
    raises KeyboardInterrupt (and frees the port)."""

    def __init__(self, host: Union[str, bytes], port: int, load_key: Optional[bool] = None,
                 key_path: Any = None, alg: str = "ecdh", *, key: Any = None,
                 peer: Optional[PublicKeyLike] = None, allowed: Any = None,
                 timeout: Timeout = None, plain: bool = False, trace: Any = None,
                 max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        h = _check_address(host, port)
        config = _Config(server=True, load_key=load_key, key_path=key_path, alg=alg, key=key,
                         peer=peer, allowed=allowed, timeout=timeout, plain=plain, trace=trace,
                         max_size=max_size, hybrid=hybrid)
        with _Interruptible() as guard:
            lh = _listen(h, port, config)
            try:
                handle = _accept(lh, guard, lambda: False)
            finally:
                _lib.ss_listener_close(lh)  # one client only: free the port at once
        self._adopt(handle, config)


class client(Connection):
    """Connects to host:port and runs the handshake (timeout=: for both,
    10 s by default). Ctrl-C while it waits raises KeyboardInterrupt."""

    def __init__(self, host: Union[str, bytes], port: int, load_key: Optional[bool] = None,
                 key_path: Any = None, alg: str = "ecdh", *, key: Any = None,
                 peer: Optional[PublicKeyLike] = None, timeout: Timeout = None,
                 plain: bool = False, trace: Any = None,
                 max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        h = _check_address(host, port)
        config = _Config(server=False, load_key=load_key, key_path=key_path, alg=alg, key=key,
                         peer=peer, allowed=None, timeout=timeout, plain=plain, trace=trace,
                         max_size=max_size, hybrid=hybrid)
        out = ctypes.c_void_p()
        with _Interruptible() as guard:
            # Resolving the name (getaddrinfo) is the one wait that is not
            # cut into slices: Ctrl-C is seen once it returns.
            if _lib.ss_client_nonblocking(h, port, config.pointer(), ctypes.byref(out)) != 0:
                raise last_error()
            handle = cast(int, out.value)
            try:
                _drive_handshake(handle, guard, lambda: False)
                guard.check()
            except BaseException:
                _close_handle(handle, 0, False)
                raise
        self._adopt(handle, config)


class listener:
    """A listening socket for a server with many clients: accept() returns a
    Connection per client (serve each client in a thread of its own, or use
    ssockets.aio). port 0 picks a free port: see .port. close() or
    shutdown() from another thread wakes a waiting accept() (ClosedError)."""

    def __init__(self, host: Union[str, bytes], port: int, load_key: Optional[bool] = None,
                 key_path: Any = None, alg: str = "ecdh", *, key: Any = None,
                 peer: Optional[PublicKeyLike] = None, allowed: Any = None,
                 timeout: Timeout = None, plain: bool = False, trace: Any = None,
                 max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        h = _check_address(host, port)
        self._config = _Config(server=True, load_key=load_key, key_path=key_path, alg=alg,
                               key=key, peer=peer, allowed=allowed, timeout=timeout,
                               plain=plain, trace=trace, max_size=max_size, hybrid=hybrid)
        self._handle: Optional[int] = _listen(h, port, self._config)
        # accept() may run in several threads at once; close() waits until
        # they have all left before the listener is freed.
        self._idle = threading.Condition()
        self._accepting = 0
        self._closing = False
        self.port: int = _lib.ss_listener_port(self._handle)
        self._finalizer = weakref.finalize(self, _lib.ss_listener_close, self._handle)

    def accept(self) -> Connection:
        """Waits for the next client and runs the handshake. A failed
        handshake raises, and the listener stays usable."""
        with self._idle:
            if self._handle is None or self._closing:
                raise ClosedError(SS_ERR_CLOSED, "the listener is closed")
            listener_handle = self._handle
            self._accepting += 1
        try:
            with _Interruptible() as guard:
                handle = _accept(listener_handle, guard, lambda: self._closing)
        finally:
            with self._idle:
                self._accepting -= 1
                self._idle.notify_all()
        conn = Connection.__new__(Connection)
        conn._adopt(handle, self._config)
        return conn

    def fileno(self) -> int:
        """The listening socket (readable: a client waits), or -1."""
        return int(_lib.ss_listener_fd(self._handle)) if self._handle is not None else -1

    @property
    def public_key(self) -> bytes:
        return self._config.keypair.public_key

    def save_keys(self, path: Any, pem: bool = True) -> None:
        """Writes the listener's key pair, as Connection.save_keys does."""
        self._config.keypair.save(path, pem=pem, overwrite=True)

    def shutdown(self) -> None:
        """Ends accept(), from any thread: one waiting raises ClosedError
        within a fraction of a second, as do later calls."""
        self._closing = True
        if self._handle is not None:
            _lib.ss_listener_shutdown(self._handle)

    def close(self) -> None:
        """Closes the listening socket; accepted connections go on. From
        another thread, a waiting accept() ends first (ClosedError)."""
        self.shutdown()
        with self._idle:
            self._idle.wait_for(lambda: self._accepting == 0)
            if self._handle is not None:
                self._finalizer()
                self._handle = None

    def __enter__(self) -> "listener":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()
