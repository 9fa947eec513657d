"""The API in one process, on loopback: messages keep their boundaries
whatever their size, the properties agree on both sides, threads work (a
chat, a listener with a thread per client), keys saved and loaded are the
peer's view across runs, and raw mode keeps its meaning."""

import io
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
import unittest

from helpers import HOST, Thread, free_port_taken

import ssockets
from ssockets import ClosedError, client, listener, server


def pair(server_kw=None, client_kw=None):
    """(server side, client side) of one connection through a listener."""
    with listener(HOST, 0, **(server_kw or {})) as l:
        t = Thread(l.accept)
        t.start()
        c = client(HOST, l.port, **(client_kw or {}))
        return t.outcome(), c


class Messages(unittest.TestCase):

    def test_sizes_and_boundaries(self):
        s, c = pair()
        with s, c:
            sizes = [0, 1, 65517, 65518, 65519, 3 * 65518 + 7, 0, 10 * 1024 * 1024, 5]
            messages = [os.urandom(n) for n in sizes]
            sender = Thread(lambda: [c.send(m) for m in messages])
            sender.start()
            for m in messages:
                got = s.recv()
                self.assertIsInstance(got, bytes)
                self.assertEqual(len(got), len(m))
                self.assertEqual(got, m)
            sender.outcome()
            self.assertFalse(s.peer_closed)

    def test_empty_message_and_close_are_told_apart(self):
        s, c = pair()
        with s:
            c.send(b"")
            c.close()
            self.assertEqual(s.recv(), b"")
            self.assertFalse(s.peer_closed)
            self.assertEqual(s.recv(), b"")
            self.assertTrue(s.peer_closed)
            self.assertEqual(s.recv(), b"")     # and it stays so

    def test_a_temporary_client_sends_and_closes(self):
        # client(...).send(b"...") as the original allowed: the object goes
        # away at once, and its close frame follows the message.
        with listener(HOST, 0) as l:
            t = Thread(l.accept)
            t.start()
            client(HOST, l.port).send(b"fire and forget")
            with t.outcome() as s:
                self.assertEqual(s.recv(), b"fire and forget")
                self.assertEqual(s.recv(), b"")
                self.assertTrue(s.peer_closed)
        with self.assertRaises(TypeError):
            ssockets.Connection()

    def test_bytes_like_and_str(self):
        s, c = pair()
        with s, c:
            c.send(bytearray(b"abc"))
            c.send(memoryview(b"xyz"))
            self.assertEqual(s.recv(), b"abc")
            self.assertEqual(s.recv(), b"xyz")
            with self.assertRaises(TypeError):
                c.send("text")


class Properties(unittest.TestCase):

    def test_nn(self):
        s, c = pair()
        with s, c:
            for side in (s, c):
                self.assertEqual(side.protocol_name, "Noise_NN_25519_ChaChaPoly_SHA256")
                self.assertIsNone(side.peer_public_key)
            self.assertEqual(s.handshake_hash, c.handshake_hash)
            self.assertEqual(len(s.handshake_hash), 32)
            self.assertNotEqual(s.handshake_hash, bytes(32))

    def test_nk_pinned_server(self):
        kp = ssockets.generate_keypair()
        s, c = pair({"key": kp}, {"peer": kp.public_key})
        with s, c:
            self.assertEqual(c.protocol_name, "Noise_NK_25519_ChaChaPoly_SHA256")
            self.assertEqual(c.peer_public_key, kp.public_key)
            self.assertIsNone(s.peer_public_key)
            self.assertEqual(s.handshake_hash, c.handshake_hash)

    def test_xx_with_allowed_and_peer_text(self):
        skp, ckp = ssockets.generate_keypair(), ssockets.generate_keypair()
        s, c = pair({"key": skp, "allowed": [ckp.public_key_text]},
                    {"key": ckp, "peer": skp.public_key_text})
        with s, c:
            self.assertEqual(s.protocol_name, "Noise_XX_25519_ChaChaPoly_SHA256")
            self.assertEqual(s.peer_public_key, ckp.public_key)
            self.assertEqual(c.peer_public_key, skp.public_key)

    def test_plain(self):
        s, c = pair({"plain": True}, {"plain": True})
        with s, c:
            self.assertEqual(c.protocol_name, "plain")
            self.assertEqual(c.handshake_hash, bytes(32))
            c.send(b"in clear", False)
            self.assertEqual(s.recv(raw=True), b"in clear")
            c.send(b"also", use_encryption_flag_____do_not_set_to_false_unless_you_know_what_you_are_doing=False)
            self.assertEqual(s.recv(), b"also")

    def test_close_twice_and_after(self):
        s, c = pair()
        with s:
            with c:
                self.assertFalse(c.closed)
            self.assertTrue(c.closed)
            c.close()
            with self.assertRaises(ssockets.ClosedError):
                c.send(b"x")
            with self.assertRaises(ssockets.ClosedError):
                c.recv()
            self.assertEqual(s.recv(), b"")
            self.assertIn("closed", repr(c))

    def test_trace_to_callable_and_file(self):
        lines, f = [], io.StringIO()
        s, c = pair({"trace": f}, {"trace": lines.append})
        with s, c:
            c.send(b"hi")
            self.assertEqual(s.recv(), b"hi")
        self.assertTrue(any("MixHash" in l or "DH" in l for l in lines), lines[:5])
        self.assertTrue(f.getvalue().count("\n") > 5)

    def test_timeout(self):
        s, c = pair({"timeout": 0.2})
        with s, c:
            with self.assertRaises(ssockets.TimedOutError):
                s.recv()                         # nothing comes within 0.2 s


class Threads(unittest.TestCase):

    def test_chat_one_thread_reads_one_writes(self):
        s, c = pair()
        n = 200
        with s, c:
            def reader(conn):
                got = []
                while True:
                    m = conn.recv()
                    if m == b"" and conn.peer_closed:
                        return got
                    got.append(m)

            def writer(conn, name):
                for i in range(n):
                    conn.send(b"%s %d" % (name, i))
                conn.shutdown()

            threads = [Thread(reader, s), Thread(reader, c), Thread(writer, s, b"server"),
                       Thread(writer, c, b"client")]
            for t in threads:
                t.start()
            got_s, got_c = threads[0].outcome(), threads[1].outcome()
            threads[2].outcome()
            threads[3].outcome()
        self.assertEqual(got_s, [b"client %d" % i for i in range(n)])
        self.assertEqual(got_c, [b"server %d" % i for i in range(n)])

    def test_many_clients_on_one_listener(self):
        clients = 12
        with listener(HOST, 0) as l:
            def serve(conn):
                with conn:
                    while True:
                        m = conn.recv()
                        if conn.peer_closed:
                            return
                        conn.send(m[::-1])

            def accept_all():
                workers = []
                for _ in range(clients):
                    w = Thread(serve, l.accept())
                    w.start()
                    workers.append(w)
                for w in workers:
                    w.outcome()

            acceptor = Thread(accept_all)
            acceptor.start()

            def one(i):
                with client(HOST, l.port) as c:
                    for k in range(20):
                        m = os.urandom(i * 1000 + k)
                        c.send(m)
                        if c.recv() != m[::-1]:
                            return False
                    return True

            threads = [Thread(one, i) for i in range(clients)]
            for t in threads:
                t.start()
            self.assertEqual([t.outcome() for t in threads], [True] * clients)
            acceptor.outcome()

    def test_close_while_another_thread_receives(self):
        # The peer stays silent: close() from a second thread returns, and
        # the recv() blocked in the first ends with ClosedError (as
        # socket.shutdown wakes a blocked recv); then the connection is
        # closed, with our close frame.
        s, c = pair()
        with s:
            t = Thread(c.recv)
            t.start()
            time.sleep(0.3)             # most likely inside recv() by now
            self.assertTrue(t.is_alive())
            closer = Thread(c.close)
            closer.start()
            closer.outcome(limit=5)
            with self.assertRaises(ClosedError) as e:
                t.outcome(limit=5)
            self.assertIn("closed from another thread", str(e.exception))
            self.assertTrue(c.closed)
            self.assertEqual(s.recv(), b"")
            self.assertTrue(s.peer_closed)

    def test_shutdown_rd_wakes_recv_and_accept(self):
        s, c = pair()
        with s, c:
            t = Thread(c.recv)
            t.start()
            time.sleep(0.3)
            c.shutdown(socket.SHUT_RD)
            with self.assertRaises(ClosedError):
                t.outcome(limit=5)
            with self.assertRaises(ClosedError):
                c.recv()
            c.send(b"still sending")    # the other direction goes on
            self.assertEqual(s.recv(), b"still sending")
        with listener(HOST, 0) as l:
            t = Thread(l.accept)
            t.start()
            time.sleep(0.3)
            closer = Thread(l.close)
            closer.start()
            with self.assertRaises(ClosedError):
                t.outcome(limit=5)
            closer.outcome(limit=5)
            with self.assertRaises(ClosedError):
                l.accept()


class Keys(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-keys.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_saved_keys_are_the_same_public_keys_next_run(self):
        spath, cpath = os.path.join(self.dir, "server.pem"), os.path.join(self.dir, "client.pem")
        open(spath, "w").close()                 # saving over an existing empty file
        s, c = pair()
        with s, c:
            s.save_keys(spath)
            c.save_keys(cpath)
            first = (s.public_key, c.public_key)
            self.assertEqual(stat.S_IMODE(os.stat(spath).st_mode), 0o600)
            self.assertIsNone(s.peer_public_key)    # NN: the keys were not used yet
            self.assertTrue(c.load_keys_from_file(cpath).startswith(b"-----BEGIN PRIVATE KEY"))
        for _ in range(2):                           # two more runs, same keys
            s, c = pair({"load_key": True, "key_path": spath},
                        {"load_key": True, "key_path": cpath})
            with s, c:
                self.assertEqual(s.protocol_name, "Noise_XX_25519_ChaChaPoly_SHA256")
                self.assertEqual(s.peer_public_key, first[1])
                self.assertEqual(c.peer_public_key, first[0])
                self.assertEqual((s.public_key, c.public_key), first)

    def test_save_keys_writes_the_static_key_never_the_ephemeral(self):
        # The trace shows the keys each handshake used: the ephemeral ones
        # (token e) and, in XX, the static ones (token s).
        path = os.path.join(self.dir, "k.pem")
        for loaded in (False, True):
            lines = []
            kw = {"trace": lines.append}
            if loaded:
                kw.update(load_key=True, key_path=path)
                s, c = pair({"key": ssockets.generate_keypair()}, kw)
            else:
                s, c = pair({}, kw)
            with s, c:
                c.save_keys(path)
                saved = ssockets.load_keypair(path).public_key.hex()
                ephemeral = [l.rsplit("= ", 1)[1] for l in lines if "token e:" in l]
                static = [l.rsplit("= ", 1)[1] for l in lines if "token s:" in l]
                self.assertTrue(ephemeral)
                self.assertNotIn(saved, ephemeral)
                self.assertEqual(saved, c.public_key.hex())
                if loaded:      # XX: the key it proved is the one it saves
                    self.assertIn(saved, static)
                    self.assertEqual(s.peer_public_key.hex(), saved)

    def test_save_keys_pem_and_overwrite(self):
        path = os.path.join(self.dir, "k")
        s, c = pair()
        with s, c:
            c.save_keys(path, pem=False)             # PEM all the same: the only format
            with open(path) as f:
                self.assertTrue(f.read().startswith("-----BEGIN PRIVATE KEY-----\n"))
            s.save_keys(path)                        # replaces it
            self.assertEqual(ssockets.load_keypair(path).public_key, s.public_key)
            self.assertEqual(os.listdir(self.dir), ["k"])    # no temporary file left

    def test_load_key_false_is_none_and_x25519(self):
        s, c = pair({"load_key": False, "alg": "x25519"}, {"load_key": False, "key_path": "x"})
        with s, c:
            self.assertEqual(c.protocol_name, "Noise_NN_25519_ChaChaPoly_SHA256")


class RawMode(unittest.TestCase):

    def test_refused_on_encrypted_connections(self):
        s, c = pair()
        with s, c:
            with self.assertRaises(ssockets.RawModeError) as e:
                c.send(b"x", False)
            self.assertIn("authenticated", str(e.exception))
            self.assertIn("plain=True", str(e.exception))
            with self.assertRaises(ssockets.RawModeError):
                s.recv(raw=True)
            # Nothing was sent or taken: the connection still works.
            c.send(b"still fine")
            self.assertEqual(s.recv(), b"still fine")


class Server(unittest.TestCase):

    def test_server_restarts_on_the_same_port(self):
        # SO_REUSEADDR: the port of a server that just closed (with its
        # connection in TIME_WAIT) can be listened on again at once.
        probe = free_port_taken()
        port = probe.getsockname()[1]
        probe.close()
        for round in range(3):
            t = Thread(server, HOST, port)
            t.start()
            for _ in range(500):
                try:
                    c = client(HOST, port)
                    break
                except ssockets.ConnectionFailedError:
                    threading.Event().wait(0.01)
            s = t.outcome()
            with c:
                c.send(b"round %d" % round)
                self.assertEqual(s.recv(), b"round %d" % round)
                s.close()                        # the server closes first: TIME_WAIT on its side


if __name__ == "__main__":
    unittest.main()


class PatternTable(unittest.TestCase):
    """The table of docs/python.md ("Which handshake runs"), cell by cell."""

    def test_every_combination(self):
        skp, ckp = ssockets.generate_keypair(), ssockets.generate_keypair()
        servers = {"none": {}, "key": {"key": skp},
                   "key+allowed": {"key": skp, "allowed": [ckp.public_key]}}
        clients = {"none": {}, "peer": {"peer": skp.public_key}, "key": {"key": ckp},
                   "key+peer": {"key": ckp, "peer": skp.public_key}}
        want = {
            ("none", "none"): "NN", ("none", "key"): None, ("none", "key+allowed"): None,
            ("peer", "none"): None, ("peer", "key"): "NK", ("peer", "key+allowed"): None,
            ("key", "none"): None, ("key", "key"): "XX", ("key", "key+allowed"): "XX",
            ("key+peer", "none"): None, ("key+peer", "key"): "XX",
            ("key+peer", "key+allowed"): "XX",
        }
        for (cname, sname), pattern in sorted(want.items()):
            with self.subTest(client=cname, server=sname):
                with listener(HOST, 0, **servers[sname]) as l:
                    t = Thread(l.accept)
                    t.start()
                    if pattern is None:
                        # The server's refusal frame says it refused the
                        # pattern (docs/protocol.md): not a wrong key.
                        with self.assertRaises(ssockets.PatternRefusedError):
                            client(HOST, l.port, **clients[cname])
                        with self.assertRaises(ssockets.PatternRefusedError):
                            t.outcome()
                        continue
                    with client(HOST, l.port, **clients[cname]) as c, t.outcome() as s:
                        name = "Noise_%s_25519_ChaChaPoly_SHA256" % pattern
                        self.assertEqual((c.protocol_name, s.protocol_name), (name, name))
                        c.send(b"ping")
                        self.assertEqual(s.recv(), b"ping")


class KeyForms(unittest.TestCase):
    """peer= and allowed= take keys as bytes, text, KeyPair or files."""

    def test_files(self):
        d = tempfile.mkdtemp(prefix="ssockets-forms.")
        self.addCleanup(shutil.rmtree, d, True)
        skp, ckp = ssockets.generate_keypair(), ssockets.generate_keypair()
        spub, allow = os.path.join(d, "server.pub"), os.path.join(d, "allowed")
        with open(spub, "w") as f:
            f.write(skp.public_key_text + "\n")
        with open(allow, "w") as f:
            f.write("# clients\n\n%s  # the test client\n" % ckp.public_key_text)
        s, c = pair({"key": skp, "allowed": allow}, {"key": ckp, "peer": spub})
        with s, c:
            self.assertEqual(s.peer_public_key, ckp.public_key)
            self.assertEqual(c.peer_public_key, skp.public_key)


class CtrlC(unittest.TestCase):

    def test_ctrl_c_stops_a_waiting_server(self):
        # Ctrl-C while the main thread waits for a client raises
        # KeyboardInterrupt (test_habits.py catches it); uncaught, Python
        # ends with SIGINT's status, as the C command does.
        import signal
        import subprocess
        import sys
        from helpers import STEP, closed_port, listening, script_env, wait_until
        port = closed_port()
        # A shell runs background jobs with SIGINT ignored, and Python keeps
        # an ignored SIGINT ignored: give the child the default disposition,
        # as a program started from a terminal has.
        p = subprocess.Popen([sys.executable, "-c", "import ssockets; "
                              "ssockets.server('127.0.0.1', %d)" % port], env=script_env(),
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.addCleanup(lambda: p.poll() is None and p.kill())
        wait_until(lambda: listening(port), "the server listens", p)
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=STEP), -signal.SIGINT)
