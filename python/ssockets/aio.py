"""
aio.py -- SSockets connections for asyncio, in the shape websockets made
familiar:

    async with ssockets.aio.connect("127.0.0.1", port) as conn:
        await conn.send(b"hello")
        reply = await conn.recv()

    async def handler(conn):
        async for message in conn:
            await conn.send(message)

    async with ssockets.aio.serve(handler, "127.0.0.1", 0) as server:
        print(server.port)
        await server.serve_forever()

No thread per connection: every connection is the C library's non-blocking
one (src/net/conn.h: ss_client_nonblocking, ss_accept_nonblocking, and
SS_WANT_READ / SS_WANT_WRITE from each call), and where a call would wait
the coroutine awaits the event loop's add_reader/add_writer on
ss_conn_fd(). The C calls themselves never wait: a handshake step, sealing
or opening a frame. Resolving a name goes to the loop's getaddrinfo (a
thread of the loop's executor), then each address is tried in turn.

Cancellation (a task cancelled while it awaits recv(), or asyncio.wait_for
running out) lands only between two C calls, so it never leaves a frame
half handled:
  - recv(): the connection stays usable; bytes of a message already
    received are kept, and the next recv() returns the message whole;
  - send(): a message already partly sealed stays queued, and the next
    send() (or close()) finishes it first; nothing is spliced;
  - the handshake (connect, or a client of serve): the connection is
    closed.
close() from another task ends a recv() or send() waiting in the first with
ClosedError.
"""

import asyncio
import ctypes
import socket
from types import TracebackType
from typing import (Any, AsyncIterator, Awaitable, Callable, Generator, List, Optional, Set,
                    Type, Union, cast)

from . import _lib
from .connection import (DEFAULT_MAX_SIZE, Hybrid, PublicKeyLike, Timeout, _Config, _Receiver,
                         _CLOSE_WAIT_S, _check_address, _close_handle)
from .errors import (ClosedError, MessageTooLongError, SSocketsError, TimedOutError,
                     SS_ERR_CLOSED, SS_ERR_CONNECT, SS_ERR_TIMEOUT, last_error)

__all__ = ["connect", "serve", "Connection", "Server"]

# The handshake's deadline when timeout= is None (the C default, conn.c).
_HANDSHAKE_DEFAULT_S = 10.0


class Connection:
    """An open SSockets connection in asyncio: what connect() gives and what
    serve() hands to its handler."""

    def __init__(self, handle: int, config: _Config) -> None:
        self._handle: Optional[int] = handle
        self._config = config
        self._max_size = config.max_size
        self._peer_closed = False
        self._receiver = _Receiver(config.max_size)
        self._pending: Optional[bytes] = None
        self._receiving = False
        self._sending = False
        self._waiters: Set["asyncio.Future[None]"] = set()

    # ---- waiting for the socket

    async def _wait(self, write: bool) -> None:
        """Until ss_conn_fd() is writable (or readable), through the loop."""
        handle = self._live()
        loop = asyncio.get_running_loop()
        fd = _lib.ss_conn_fd(handle)
        fut: "asyncio.Future[None]" = loop.create_future()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)

        (loop.add_writer if write else loop.add_reader)(fd, ready)
        self._waiters.add(fut)
        try:
            await fut
        finally:
            self._waiters.discard(fut)
            (loop.remove_writer if write else loop.remove_reader)(fd)
        self._live()

    def _live(self) -> int:
        if self._handle is None:
            raise ClosedError(SS_ERR_CLOSED, "the connection is closed")
        return self._handle

    async def _handshake(self, timeout: Timeout) -> None:
        """Drives the handshake of the non-blocking connection to its end,
        within timeout (or the 10 s default)."""
        async def steps() -> None:
            while True:
                rc = _lib.ss_conn_handshake(self._live())
                if rc == 0:
                    return
                if rc not in (_lib.SS_WANT_READ, _lib.SS_WANT_WRITE):
                    raise last_error()
                await self._wait(rc == _lib.SS_WANT_WRITE)
        limit = timeout if timeout is not None else _HANDSHAKE_DEFAULT_S
        try:
            await asyncio.wait_for(steps(), limit)
        except asyncio.TimeoutError:
            raise TimedOutError(SS_ERR_TIMEOUT, "the handshake did not finish within %g s"
                                % limit) from None

    # ---- messages

    async def send(self, message: Union[bytes, bytearray, memoryview]) -> None:
        """Sends message as one whole message."""
        if isinstance(message, str):
            raise TypeError("send() takes bytes, not str: encode it first")
        data = message if isinstance(message, bytes) else bytes(memoryview(message))
        if self._sending:
            raise RuntimeError("send() is already running in another task on this connection")
        self._sending = True
        try:
            if self._pending is not None:
                await self._send_whole(self._pending)
            self._pending = data
            await self._send_whole(data)
        finally:
            self._sending = False

    async def _send_whole(self, data: bytes) -> None:
        while True:
            rc = _lib.ss_send(self._live(), data, len(data))
            if rc == 0:
                self._pending = None
                return
            if rc != _lib.SS_WANT_WRITE:
                self._pending = None
                raise last_error()
            await self._wait(True)

    async def recv(self) -> bytes:
        """The next whole message (b"" for an empty message, and after the
        peer's close: see peer_closed). A message longer than max_size
        raises MessageTooLongError and closes the connection."""
        if self._receiving:
            raise RuntimeError("recv() is already running in another task on this connection")
        self._receiving = True
        try:
            return await self._recv()
        finally:
            self._receiving = False

    async def _recv(self) -> bytes:
        receiver = self._receiver
        while True:
            address, room = receiver.room()
            handle = self._live()
            n = _lib.ss_recv(handle, address, room)
            if n == _lib.SS_WANT_READ:
                await self._wait(False)
                continue
            if n < 0:
                receiver.reset()
                raise last_error()
            receiver.took(n)
            if _lib.ss_message_done(handle):
                break
            if receiver.at_limit():
                await self._too_long()
        data = receiver.message()
        if not data and _lib.ss_peer_closed(handle):
            self._peer_closed = True
        return data

    async def _too_long(self) -> None:
        limit = self._max_size
        self._abort()
        raise MessageTooLongError(0, "the peer's message is longer than max_size=%d bytes: "
                                  "not received, and the connection is closed" % cast(int, limit))

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[bytes]:
        """Every message until the peer's close."""
        while True:
            message = await self.recv()
            if self._peer_closed:
                return
            yield message

    # ---- closing

    async def close(self) -> None:
        """Sends our close frame (if the connection is healthy), closes the
        socket, wipes the keys. A recv() or send() awaiting in another task
        ends with ClosedError. Calling it twice is harmless."""
        handle = self._handle
        if handle is None:
            return

        async def flush() -> None:
            if self._pending is not None and not self._sending:
                await self._send_whole(self._pending)
            rc = _lib.ss_shutdown(handle)
            while rc == _lib.SS_WANT_WRITE:
                await self._wait(True)
                rc = _lib.ss_flush(handle)
        # A peer that reads nothing holds the close frame at most the
        # timeout (30 s when None); then the stream ends without it.
        limit = self._config.timeout if self._config.timeout is not None else _CLOSE_WAIT_S
        try:
            await asyncio.wait_for(flush(), limit)
        except (SSocketsError, asyncio.TimeoutError):
            pass
        finally:
            self._abort()

    def _abort(self) -> None:
        handle, self._handle = self._handle, None
        for fut in list(self._waiters):
            if not fut.done():
                fut.set_result(None)      # the waiter finds the handle gone: ClosedError
        if handle is not None:
            # The close frame is out already (close()), or goes only if the
            # socket takes it at once: the loop is never blocked here.
            _close_handle(handle, 0, self._pending is not None)
        self._receiver.wipe()

    async def __aenter__(self) -> "Connection":
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        await self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            try:
                _close_handle(handle, 0, self._pending is not None)
            except Exception:  # interpreter exit: the modules may be gone
                pass

    # ---- what the handshake established

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def peer_closed(self) -> bool:
        """True once the peer's authenticated close has arrived."""
        return self._peer_closed

    @property
    def max_size(self) -> Optional[int]:
        return self._max_size

    @property
    def protocol_name(self) -> str:
        return cast(bytes, _lib.ss_protocol_name(self._live())).decode("ascii")

    @property
    def peer_public_key(self) -> Optional[bytes]:
        p = _lib.ss_peer_public_key(self._live())
        return ctypes.string_at(p, 32) if p else None

    @property
    def public_key(self) -> bytes:
        return self._config.keypair.public_key

    @property
    def handshake_hash(self) -> bytes:
        out = (ctypes.c_uint8 * 32)()
        _lib.ss_handshake_hash(out, self._live())
        return bytes(out)

    def fileno(self) -> int:
        return int(_lib.ss_conn_fd(self._handle)) if self._handle is not None else -1

    def __repr__(self) -> str:
        return "<ssockets.aio connection%s>" % (", closed" if self.closed else "")


# ---------------------------------------------------------------- connect

class connect:
    """connect(host, port, ...) with the keyword arguments of client():
    `await connect(...)` gives a Connection, and `async with connect(...) as
    conn` closes it at the end."""

    def __init__(self, host: Union[str, bytes], port: int, load_key: Optional[bool] = None,
                 key_path: Any = None, alg: str = "ecdh", *, key: Any = None,
                 peer: Optional[PublicKeyLike] = None, timeout: Timeout = None,
                 plain: bool = False, trace: Any = None,
                 max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        _check_address(host, port)
        self._host = host.decode("idna") if isinstance(host, bytes) else host
        self._port = port
        self._config = _Config(server=False, load_key=load_key, key_path=key_path, alg=alg,
                               key=key, peer=peer, allowed=None, timeout=timeout, plain=plain,
                               trace=trace, max_size=max_size, hybrid=hybrid)
        self._conn: Optional[Connection] = None

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            from .errors import SS_ERR_RESOLVE, error_for
            raise error_for(SS_ERR_RESOLVE, "%s: %s" % (self._host, e.strerror)) from None
        addresses: List[str] = []
        for info in infos:
            if info[4][0] not in addresses:
                addresses.append(str(info[4][0]))
        error: Optional[BaseException] = None
        for address in addresses:
            out = ctypes.c_void_p()
            if _lib.ss_client_nonblocking(address.encode("ascii"), self._port,
                                          self._config.pointer(), ctypes.byref(out)) != 0:
                error = last_error()
                continue
            conn = Connection(cast(int, out.value), self._config)
            try:
                await conn._handshake(self._config.timeout)
                return conn
            except BaseException as e:
                conn._abort()
                if not isinstance(e, SSocketsError) or e.code != SS_ERR_CONNECT:
                    raise
                error = e
        assert error is not None
        raise error

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._connect().__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._connect()
        return self._conn

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self._conn is not None:
            await self._conn.close()


# ---------------------------------------------------------------- serve

Handler = Callable[[Connection], Awaitable[Any]]


class Server:
    """A listening server: one task per client, no thread. port: the bound
    port."""

    def __init__(self, handler: Handler, listener_handle: int, config: _Config) -> None:
        self._handler = handler
        self._listener: Optional[int] = listener_handle
        self._config = config
        self.port: int = _lib.ss_listener_port(listener_handle)
        self._fd = _lib.ss_listener_fd(listener_handle)
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._loop = asyncio.get_running_loop()
        self._closed: "asyncio.Future[None]" = self._loop.create_future()
        self._loop.add_reader(self._fd, self._accept)

    def _accept(self) -> None:
        """The listener is readable: take every waiting client (no
        handshake yet: each runs in its own task)."""
        while self._listener is not None:
            out = ctypes.c_void_p()
            rc = _lib.ss_accept_nonblocking(self._listener, ctypes.byref(out))
            if rc == _lib.SS_WANT_READ:
                return
            if rc != 0:
                # Out of descriptors (or memory): the client stays queued and
                # the listener readable; try again in a while, not at once
                # (that would spin).
                self._loop.remove_reader(self._fd)
                self._loop.call_later(0.1, self._resume)
                return
            conn = Connection(cast(int, out.value), self._config)
            task = self._loop.create_task(self._serve(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _resume(self) -> None:
        if self._listener is not None:
            self._loop.add_reader(self._fd, self._accept)

    async def _serve(self, conn: Connection) -> None:
        try:
            await conn._handshake(self._config.timeout)
        except (SSocketsError, asyncio.CancelledError):
            conn._abort()       # a client whose handshake failed: dropped
            return
        try:
            await self._handler(conn)
        except (SSocketsError, asyncio.CancelledError):
            pass                # the connection ended under the handler
        except Exception as e:  # a bug in the handler: said, as asyncio says it
            self._loop.call_exception_handler({"message": "ssockets.aio: the connection "
                                               "handler raised", "exception": e})
        finally:
            await conn.close()

    async def serve_forever(self) -> None:
        """Serves until close()."""
        await asyncio.shield(self._closed)

    def close(self) -> None:
        """Stops accepting, and cancels the clients' tasks (each connection
        is closed)."""
        if self._listener is None:
            return
        self._loop.remove_reader(self._fd)
        _lib.ss_listener_close(self._listener)
        self._listener = None
        for task in list(self._tasks):
            task.cancel()
        if not self._closed.done():
            self._closed.set_result(None)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def public_key(self) -> bytes:
        return self._config.keypair.public_key


class serve:
    """serve(handler, host, port, ...) with the keyword arguments of
    listener(): handler(conn) is a coroutine run for each client once its
    handshake is done; the connection is closed when it returns.
    `async with serve(...) as server` closes the server at the end."""

    def __init__(self, handler: Handler, host: Union[str, bytes], port: int,
                 load_key: Optional[bool] = None, key_path: Any = None, alg: str = "ecdh", *,
                 key: Any = None, peer: Optional[PublicKeyLike] = None, allowed: Any = None,
                 timeout: Timeout = None, plain: bool = False, trace: Any = None,
                 max_size: Optional[int] = DEFAULT_MAX_SIZE,
                 hybrid: Hybrid = False) -> None:
        self._handler = handler
        self._host = _check_address(host, port)
        self._port = port
        self._config = _Config(server=True, load_key=load_key, key_path=key_path, alg=alg,
                               key=key, peer=peer, allowed=allowed, timeout=timeout,
                               plain=plain, trace=trace, max_size=max_size, hybrid=hybrid)
        self._server: Optional[Server] = None

    async def _start(self) -> Server:
        handle = _lib.ss_listen(self._host, self._port, self._config.pointer())
        if not handle:
            raise last_error()
        return Server(self._handler, cast(int, handle), self._config)

    def __await__(self) -> Generator[Any, None, Server]:
        return self._start().__await__()

    async def __aenter__(self) -> Server:
        self._server = await self._start()
        return self._server

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
