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
"""

import ctypes
import os
import signal
import threading
import weakref

from . import _lib
from .errors import (ArgumentError, ClosedError, KeyFileError, RawModeError, SS_ERR_ARGUMENT,
                     SS_ERR_CLOSED, SS_ERR_KEY_FILE, last_error)
from .keys import KeyPair, as_public_key

# The receive buffer a connection keeps between calls; a longer message
# grows it for that call only.
_RECV_BUFFER = 64 * 1024

_ENCRYPTION_FLAG = "use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing"


# ---------------------------------------------------------------- Ctrl-C

class _blocking:
    """Around a call that may block in C for long (waiting for a client, for
    a message). Python runs its SIGINT handler only between bytecodes, so
    Ctrl-C could not stop a main thread blocked in C; while such a call runs
    in the main thread with Python's default handler, Ctrl-C ends the program
    instead, as it ends the C command."""

    def __enter__(self):
        self.saved = None
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self.saved = signal.signal(signal.SIGINT, signal.SIG_DFL)
            except ValueError:
                self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            signal.signal(signal.SIGINT, self.saved)
        return False


# ---------------------------------------------------------------- configuration

def _check_alg(alg):
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


def _check_address(host, port):
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

    def __init__(self, *, server, load_key, key_path, alg, key, peer, allowed, timeout,
                 plain, trace, hybrid=False):
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
                self._allowed[i][:] = k
            self.cfg.allowed_keys = ctypes.cast(self._allowed, ctypes.POINTER(ctypes.c_uint8 * 32))
            self.cfg.allowed_count = len(keys)
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
                raise ArgumentError(SS_ERR_ARGUMENT, "timeout must be a number of seconds > 0, "
                                    "or None (handshake 10 s, then wait forever), not %r"
                                    % (timeout,))
            ms = max(1, min(int(timeout * 1000), 2 ** 31 - 1))
            self.cfg.handshake_timeout_ms = ms
            self.cfg.io_timeout_ms = ms
        self.cfg.plain = 1 if self.plain else 0
        self.cfg.hybrid = _hybrid_value(hybrid, server, self.plain)
        self.trace = _Trace(trace) if trace is not None else None
        if self.trace is not None:
            self.cfg.trace = self.trace.fn

    def pointer(self):
        return ctypes.byref(self.cfg)


# ss_config.hybrid for a server that refuses classical proposals (engine.h).
_SS_HYBRID_ONLY = 2


def _hybrid_value(hybrid, server, plain):
    """hybrid= (engine.h): a client with True proposes the hfs form of its
    pattern (NNhfs, NKhfs, XXhfs: ML-KEM-768 beside X25519); a server or
    listener accepts both forms, or with "only" the hybrid ones alone."""
    allowed = (False, True, "only") if server else (False, True)
    if not any(hybrid is v for v in allowed[:2]) and hybrid not in allowed[2:]:
        raise ArgumentError(SS_ERR_ARGUMENT, "hybrid must be %s, not %r"
                            % (" or ".join(repr(v) for v in allowed), hybrid))
    if plain and hybrid:
        raise ArgumentError(SS_ERR_ARGUMENT, "plain=True has no handshake, so it cannot be hybrid")
    return _SS_HYBRID_ONLY if hybrid == "only" else int(hybrid)


def _allowed_keys(allowed):
    """allowed= as a list of public keys, or the path of a file with one key
    per line ('#' starts a comment), like `ssockets listen --allow FILE`."""
    if isinstance(allowed, (str, os.PathLike)) and os.path.isfile(allowed):
        keys = []
        with open(allowed, encoding="utf-8", errors="replace") as f:
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

    def __init__(self, target):
        if hasattr(target, "write"):
            self.out = lambda line: target.write(line + "\n")
        elif callable(target):
            self.out = target
        else:
            raise ArgumentError(SS_ERR_ARGUMENT, "trace must be a callable or a file, not %s"
                                % type(target).__name__)
        self.fn = _lib.TRACE_FN(self._line)

    def _line(self, _arg, line):
        try:
            self.out(line.decode("utf-8", "replace"))
        except Exception:  # an exception cannot cross into C; drop the line
            pass


# ---------------------------------------------------------------- connections

class _State:
    """What the finalizer needs, without a reference to the Connection."""

    def __init__(self, handle, keep):
        self.handle = handle
        self.keep = keep            # the config, trace callback and key pair
        self.rlock = threading.Lock()
        self.slock = threading.Lock()


def _finalize(state):
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
                _lib.ss_close(handle)
            state.slock.release()
        state.rlock.release()
    elif state.slock.acquire(blocking=False):
        if state.handle is not None:
            _lib.ss_shutdown(state.handle)
        state.slock.release()


class Connection:
    """An open SSockets connection: what server(), client() and
    listener.accept() return."""

    def __init__(self, *args, **kw):
        raise TypeError("connections come from server(), client() or listener.accept()")

    def _adopt(self, handle, config):
        self._config = config
        self._state = _State(handle, config)
        self._peer_closed = False
        self._rbuf = ctypes.create_string_buffer(_RECV_BUFFER)
        self._finalizer = weakref.finalize(self, _finalize, self._state)

    def _handle(self):
        handle = self._state.handle
        if handle is None:
            raise ClosedError(SS_ERR_CLOSED, "the connection is closed")
        return handle

    # ---- the original API

    def send(self, message, use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing=True):  # noqa: E501 (the original's name)
        """Sends message (bytes) as one whole message, whatever its length.
        With the flag False the bytes go in clear, which only a connection
        opened with plain=True does."""
        encrypt = use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing
        if not encrypt and not self.plain:
            raise RawModeError(SS_ERR_ARGUMENT, _raw_refusal("send(..., %s=False)"
                                                             % _ENCRYPTION_FLAG))
        if isinstance(message, str):
            raise TypeError("send() takes bytes, not str: encode it first, "
                            "e.g. send(text.encode('utf-8'))")
        if not isinstance(message, bytes):
            message = bytes(memoryview(message))
        with self._state.slock:
            handle = self._handle()
            if _lib.ss_send(handle, message, len(message)) != 0:
                raise last_error()

    def recv(self, raw=False):
        """The next whole message, as bytes (b"" for an empty message, and
        after the peer's authenticated close: see peer_closed). A connection
        cut without that close raises TruncatedError. raw=True asks for the
        bytes in clear, which only a plain=True connection has."""
        if raw and not self.plain:
            raise RawModeError(SS_ERR_ARGUMENT, _raw_refusal("recv(raw=True)"))
        with self._state.rlock:
            handle = self._handle()
            buf = self._rbuf
            cap = ctypes.sizeof(buf)
            got = 0
            with _blocking():
                while True:
                    n = _lib.ss_recv(handle, ctypes.addressof(buf) + got, cap - got)
                    if n < 0:
                        ctypes.memset(buf, 0, got)
                        raise last_error()
                    got += n
                    if _lib.ss_message_done(handle):
                        break
                    if got == cap:          # a long message: make room for the rest
                        cap *= 2
                        ctypes.resize(buf, cap)
            if got == 0 and _lib.ss_peer_closed(handle):
                self._peer_closed = True
            data = ctypes.string_at(buf, got)
            ctypes.memset(buf, 0, got)      # no copy of the plaintext stays here
            if cap > _RECV_BUFFER:
                self._rbuf = ctypes.create_string_buffer(_RECV_BUFFER)
            return data

    def save_keys(self, path, pem=True):
        """Writes this object's key pair to path (the private key, from which
        the public key follows), replacing an existing file atomically, with
        mode 0600, as PEM (OpenSSL's PKCS#8), the format `ssockets genkey`
        writes; pem is kept for older callers (PEM is the only format)."""
        self._config.keypair.save(path, pem=pem, overwrite=True)

    def load_keys_from_file(self, path):
        """The bytes of the file at path (a saved key file)."""
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            raise KeyFileError(SS_ERR_KEY_FILE, "key file '%s': %s" % (path, e.strerror)) from None

    # ---- beyond the original

    def shutdown(self):
        """Sends our authenticated close and nothing more; recv() keeps
        working until the peer's close (b"")."""
        with self._state.slock:
            if _lib.ss_shutdown(self._handle()) != 0:
                raise last_error()

    def close(self):
        """Sends our close (if the connection is healthy), closes the socket
        and wipes the keys; never raises. If another thread is inside recv(), our close is
        sent first and close() waits for that recv() to end (the peer's
        close ends it). Calling it twice is harmless."""
        state = self._state
        if state.handle is None:
            return
        if not state.rlock.acquire(blocking=False):
            with state.slock:
                if state.handle is not None:
                    _lib.ss_shutdown(state.handle)
            state.rlock.acquire()
        try:
            with state.slock:
                handle, state.handle = state.handle, None
                if handle is not None:
                    # Best effort, like socket.close(): a peer that has gone
                    # already learns nothing from an error here, and a peer
                    # still reading sees a stream without our close frame and
                    # reports it as truncated.
                    _lib.ss_close(handle)
        finally:
            state.rlock.release()
            self._finalizer.detach()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def closed(self):
        return self._state.handle is None

    @property
    def peer_closed(self):
        """True once the peer's authenticated close has arrived."""
        return self._peer_closed

    @property
    def plain(self):
        return self._config.plain

    @property
    def public_key(self):
        """This object's own public key (32 bytes): the one save_keys() saves."""
        return self._config.keypair.public_key

    @property
    def peer_public_key(self):
        """The peer's authenticated static public key (32 bytes), or None
        when the pattern authenticates none (NN; NK seen from the server)."""
        p = _lib.ss_peer_public_key(self._handle())
        return ctypes.string_at(p, 32) if p else None

    @property
    def protocol_name(self):
        """"Noise_XX_25519_ChaChaPoly_SHA256", ... or "plain"."""
        return _lib.ss_protocol_name(self._handle()).decode("ascii")

    @property
    def handshake_hash(self):
        """The handshake hash h (32 bytes), the same on both sides: channel
        binding. All zeros in plain mode."""
        out = (ctypes.c_uint8 * 32)()
        _lib.ss_handshake_hash(out, self._handle())
        return bytes(out)

    def __repr__(self):
        if self.closed:
            return "<ssockets connection, closed>"
        return "<ssockets connection %s>" % self.protocol_name


def _raw_refusal(call):
    return ("%s moves bytes in clear, and this connection is encrypted: every byte of an "
            "encrypted SSockets stream is inside an authenticated frame, and the receiver "
            "counts the frames (the nonce), so a clear byte in the stream would be taken as a "
            "forged frame and end the connection. Clear bytes need a connection opened with "
            "plain=True on both sides (for the capture demonstration only)." % call)


class server(Connection):
    """Listens on host:port (SO_REUSEADDR), accepts one client, runs the
    handshake; returns when the channel is ready."""

    def __init__(self, host, port, load_key=None, key_path=None, alg="ecdh", *, key=None,
                 peer=None, allowed=None, timeout=None, plain=False, trace=None, hybrid=False):
        h = _check_address(host, port)
        config = _Config(server=True, load_key=load_key, key_path=key_path, alg=alg, key=key,
                         peer=peer, allowed=allowed, timeout=timeout, plain=plain, trace=trace,
                         hybrid=hybrid)
        with _blocking():
            handle = _lib.ss_server(h, port, config.pointer())
        if not handle:
            raise last_error()
        self._adopt(handle, config)


class client(Connection):
    """Connects to host:port and runs the handshake."""

    def __init__(self, host, port, load_key=None, key_path=None, alg="ecdh", *, key=None,
                 peer=None, timeout=None, plain=False, trace=None, hybrid=False):
        h = _check_address(host, port)
        config = _Config(server=False, load_key=load_key, key_path=key_path, alg=alg, key=key,
                         peer=peer, allowed=None, timeout=timeout, plain=plain, trace=trace,
                         hybrid=hybrid)
        with _blocking():
            handle = _lib.ss_client(h, port, config.pointer())
        if not handle:
            raise last_error()
        self._adopt(handle, config)


class listener:
    """A listening socket for a server with many clients: accept() returns a
    Connection per client (call it from one thread; serve each client in a
    thread of its own). port 0 picks a free port: see .port."""

    def __init__(self, host, port, load_key=None, key_path=None, alg="ecdh", *, key=None,
                 peer=None, allowed=None, timeout=None, plain=False, trace=None, hybrid=False):
        h = _check_address(host, port)
        self._config = _Config(server=True, load_key=load_key, key_path=key_path, alg=alg,
                               key=key, peer=peer, allowed=allowed, timeout=timeout,
                               plain=plain, trace=trace, hybrid=hybrid)
        self._handle = _lib.ss_listen(h, port, self._config.pointer())
        if not self._handle:
            raise last_error()
        self.port = _lib.ss_listener_port(self._handle)
        self._finalizer = weakref.finalize(self, _lib.ss_listener_close, self._handle)

    def accept(self):
        """Waits for the next client and runs the handshake. A failed
        handshake raises, and the listener stays usable."""
        if self._handle is None:
            raise ClosedError(SS_ERR_CLOSED, "the listener is closed")
        with _blocking():
            handle = _lib.ss_accept(self._handle)
        if not handle:
            raise last_error()
        conn = Connection.__new__(Connection)
        conn._adopt(handle, self._config)
        return conn

    @property
    def public_key(self):
        return self._config.keypair.public_key

    def save_keys(self, path, pem=True):
        """Writes the listener's key pair, as Connection.save_keys does."""
        self._config.keypair.save(path, pem=pem, overwrite=True)

    def close(self):
        """Closes the listening socket; accepted connections go on. Not while
        another thread is inside accept()."""
        if self._handle is not None:
            self._finalizer()
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
