"""ssockets.aio: many clients in one process without threads, asyncio
against the C command both ways, cancellation, close from another task, and
a connect that never blocks the loop. Loopback only; every wait is bounded."""

import asyncio
import os
import socket
import struct
import threading
import unittest

from helpers import HOST, STEP, run_c, start_c_listener

import ssockets
from ssockets import aio


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, STEP * 4))


def frame(kind, body=b""):
    return struct.pack(">H", 1 + len(body)) + bytes([kind]) + body


async def echo(conn):
    async for message in conn:
        await conn.send(message)


class Serve(unittest.TestCase):

    def test_200_clients_echo_100_kib_each(self):
        async def main():
            threads = threading.active_count()
            async with aio.serve(echo, HOST, 0) as server:
                async def one(i):
                    async with aio.connect(HOST, server.port) as c:
                        m = os.urandom(100 * 1024)
                        await c.send(m)
                        got = await c.recv()
                        return got == m, c.protocol_name
                results = await asyncio.gather(*[one(i) for i in range(200)])
                # One process, one thread: no thread per connection (the
                # loop's resolver may have started its executor's threads).
                extra = threading.active_count() - threads
            return results, extra
        results, extra = run(main())
        self.assertEqual(len(results), 200)
        self.assertTrue(all(ok for ok, _ in results))
        self.assertEqual({name for _, name in results}, {"Noise_NN_25519_ChaChaPoly_SHA256"})
        self.assertLess(extra, 200)

    def test_keys_and_iteration(self):
        key = ssockets.generate_keypair()

        async def main():
            async with aio.serve(echo, HOST, 0, key=key) as server:
                async with aio.connect(HOST, server.port, peer=key.public_key) as c:
                    for m in (b"one", b"", b"three" * 30000):
                        await c.send(m)
                        self.assertEqual(await c.recv(), m)
                    self.assertEqual(c.peer_public_key, key.public_key)
                    return c.protocol_name
        self.assertEqual(run(main()), "Noise_NK_25519_ChaChaPoly_SHA256")


class WithTheCommand(unittest.TestCase):

    def test_aio_client_to_c_listener(self):
        d = os.path.join(os.environ.get("TMPDIR", "/tmp"), "ssockets-aio.%d" % os.getpid())
        os.makedirs(d, exist_ok=True)
        self.addCleanup(lambda: [os.remove(os.path.join(d, f)) for f in os.listdir(d)]
                        and os.rmdir(d))
        status, out, err = run_c(["genkey", os.path.join(d, "server.key")])
        self.assertEqual(status, 0, err)
        pub = out.decode().strip()
        p, port = start_c_listener(["--key", os.path.join(d, "server.key")],
                                   stdin=b"hello from C\n")

        async def main():
            async with aio.connect(HOST, port, peer=pub) as c:
                got = await c.recv()
                await c.send(b"hello from asyncio\n")
                return got, c.protocol_name
        got, name = run(main())
        out, err = p.communicate(timeout=STEP)
        self.assertEqual(got, b"hello from C\n")
        self.assertEqual(name, "Noise_NK_25519_ChaChaPoly_SHA256")
        self.assertEqual(out, b"hello from asyncio\n")
        self.assertEqual(p.returncode, 0, err)

    def test_c_client_to_aio_server(self):
        async def main():
            async def handler(conn):
                message = await conn.recv()
                await conn.send(message.upper())
            async with aio.serve(handler, HOST, 0) as server:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(
                    None, run_c, ["connect", "--timeout", str(STEP), HOST, str(server.port)],
                    b"from the c command\n")
        status, out, err = run(main())
        self.assertEqual(status, 0, err)
        self.assertEqual(out, b"FROM THE C COMMAND\n")


class Cancellation(unittest.TestCase):

    def raw_pair(self):
        """A plain aio client facing a raw socket that writes frames by hand."""
        raw = socket.socket()
        raw.bind((HOST, 0))
        raw.listen(1)
        self.addCleanup(raw.close)
        return raw

    def test_cancelled_recv_keeps_the_connection_and_the_message(self):
        raw = self.raw_pair()

        async def main():
            c = await aio.connect(HOST, raw.getsockname()[1], plain=True)
            peer, _ = raw.accept()
            with peer:
                # Nothing yet: wait_for cancels the recv.
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(c.recv(), 0.1)
                # Half a message, then a cancel: kept for the next recv().
                peer.sendall(frame(1, b"first half, "))
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(c.recv(), 0.3)
                peer.sendall(frame(0, b"second half"))
                self.assertEqual(await c.recv(), b"first half, second half")
                # An explicit task.cancel() in the middle of a recv().
                task = asyncio.ensure_future(c.recv())
                await asyncio.sleep(0.05)
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                peer.sendall(frame(0, b"after the cancel") + frame(2))
                self.assertEqual(await c.recv(), b"after the cancel")
                self.assertEqual(await c.recv(), b"")
                self.assertTrue(c.peer_closed)
                await c.close()
        run(main())

    def test_close_from_another_task_wakes_recv(self):
        async def main():
            async def silent(conn):
                await asyncio.sleep(STEP)
            async with aio.serve(silent, HOST, 0) as server:
                c = await aio.connect(HOST, server.port)
                task = asyncio.ensure_future(c.recv())
                await asyncio.sleep(0.1)
                await c.close()
                with self.assertRaises(ssockets.ClosedError):
                    await task
                with self.assertRaises(ssockets.ClosedError):
                    await c.recv()
        run(main())

    def test_connect_does_not_block_the_loop(self):
        # A server that accepts TCP and never answers the handshake: while
        # connect() waits for it, other tasks run; the handshake's deadline
        # ends it with TimedOutError (a TimeoutError).
        raw = self.raw_pair()

        async def main():
            ticks = 0

            async def ticker():
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1
            t = asyncio.ensure_future(ticker())
            with self.assertRaises(TimeoutError):
                await aio.connect(HOST, raw.getsockname()[1], timeout=0.5)
            t.cancel()
            return ticks
        self.assertGreater(run(main()), 0)

    def test_max_size(self):
        async def main():
            async def big(conn):
                await conn.send(b"x" * 5000)
                await asyncio.sleep(STEP)
            async with aio.serve(big, HOST, 0) as server:
                async with aio.connect(HOST, server.port, max_size=4096) as c:
                    with self.assertRaises(ssockets.MessageTooLongError):
                        await c.recv()
                    self.assertTrue(c.closed)
        run(main())


if __name__ == "__main__":
    unittest.main()
