"""hybrid= (the post-quantum handshakes NNhfs, NKhfs and XXhfs: ML-KEM-768
beside X25519) on client, server and listener, on loopback: a hybrid client
runs the hfs form of the pattern its keys select, a listener accepts both
forms, a hybrid-only one (hybrid="only") refuses a classical client, and a
value that means nothing is refused before anything is opened."""

import time
import unittest

from helpers import HOST, Thread, closed_port

import ssockets
from ssockets import client, listener, server

HFS = "Noise_%shfs_25519+MLKEM768_ChaChaPoly_SHA256"


class Hybrid(unittest.TestCase):

    def exchange(self, server_kw, client_kw):
        """(server's protocol name, client's) after one message each way."""
        with listener(HOST, 0, **server_kw) as l:
            t = Thread(l.accept)
            t.start()
            with client(HOST, l.port, **client_kw) as c, t.outcome() as s:
                c.send(b"ping")
                self.assertEqual(s.recv(), b"ping")
                s.send(b"pong")
                self.assertEqual(c.recv(), b"pong")
                self.assertEqual(s.handshake_hash, c.handshake_hash)
                return s.protocol_name, c.protocol_name

    def test_each_pattern_in_its_hybrid_form(self):
        key = ssockets.KeyPair.generate()
        cases = [("NN", {}, {}),
                 ("NK", {"key": key}, {"peer": key.public_key}),
                 ("XX", {"key": key}, {"key": ssockets.KeyPair.generate()})]
        for pattern, server_kw, client_kw in cases:
            names = self.exchange(server_kw, dict(client_kw, hybrid=True))
            self.assertEqual(names, (HFS % pattern,) * 2)
            # The same listener configuration still runs the classical form.
            names = self.exchange(server_kw, client_kw)
            self.assertEqual(names, ("Noise_%s_25519_ChaChaPoly_SHA256" % pattern,) * 2)

    def test_hybrid_only_listener_refuses_a_classical_client(self):
        self.assertEqual(self.exchange({"hybrid": "only"}, {"hybrid": True}), (HFS % "NN",) * 2)
        with listener(HOST, 0, hybrid="only") as l:
            t = Thread(l.accept)
            t.start()
            with self.assertRaises(ssockets.PatternRefusedError) as caught:
                client(HOST, l.port)
            self.assertIn("hybrid-only", str(caught.exception))
            with self.assertRaises(ssockets.PatternRefusedError) as refused:
                t.outcome()
            self.assertIn("hybrid-only", str(refused.exception))

    def test_server_takes_hybrid_too(self):
        port = closed_port()
        t = Thread(lambda: server(HOST, port, hybrid="only"))
        t.start()
        for _ in range(200):  # until the server listens (at most 10 s)
            try:
                c = client(HOST, port, hybrid=True)
                break
            except ssockets.ConnectionFailedError:
                time.sleep(0.05)
        with c, t.outcome() as s:
            self.assertEqual(c.protocol_name, HFS % "NN")
            self.assertEqual(s.protocol_name, HFS % "NN")

    def test_values_that_mean_nothing_are_refused(self):
        for bad in (2, "yes", None, 1.0):
            with self.assertRaises(ssockets.ArgumentError):
                client(HOST, 1, hybrid=bad)
            with self.assertRaises(ssockets.ArgumentError):
                listener(HOST, 0, hybrid=bad)
        with self.assertRaises(ssockets.ArgumentError):
            client(HOST, 1, hybrid="only")  # a server setting
        with self.assertRaises(ssockets.ArgumentError):
            client(HOST, 1, plain=True, hybrid=True)

    def test_asyncio_hybrid(self):
        """ssockets.aio takes hybrid= as client() and listener() do."""
        import asyncio
        import ssockets.aio

        async def main():
            names = []

            async def handler(conn):
                names.append(conn.protocol_name)
                await conn.send(await conn.recv())

            async with ssockets.aio.serve(handler, HOST, 0, hybrid="only") as srv:
                async with ssockets.aio.connect(HOST, srv.port, hybrid=True) as conn:
                    await conn.send(b"ping")
                    self.assertEqual(await conn.recv(), b"ping")
                    names.append(conn.protocol_name)
                with self.assertRaises(ssockets.PatternRefusedError):
                    async with ssockets.aio.connect(HOST, srv.port):
                        pass
            return names

        self.assertEqual(asyncio.run(main()), [HFS % "NN"] * 2)


if __name__ == "__main__":
    unittest.main()
