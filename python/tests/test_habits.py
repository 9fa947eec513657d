"""The habits of Python's socket module, each from a failure a new user hit
(issue 19): a timeout that keeps the connection, Ctrl-C in every blocking
call, close() and shutdown() from another thread, exceptions in OSError's
family, a bounded recv() whose buffers are wiped, and the allow list's mode.
Loopback only; every wait ends by itself."""

import errno
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from helpers import HOST, PYDIR, STEP, Thread, closed_port, script_env

import ssockets
from ssockets import client, listener


def pair(server_kw=None, client_kw=None):
    """(server side, client side) of one connection through a listener."""
    with listener(HOST, 0, **(server_kw or {})) as l:
        t = Thread(l.accept)
        t.start()
        c = client(HOST, l.port, **(client_kw or {}))
        return t.outcome(), c


def raw_plain_server():
    """A plain TCP listener standing for a raw peer: the test writes the
    SSockets/1 frames by hand (plain mode: 2-byte length, type byte, body)."""
    s = socket.socket()
    s.bind((HOST, 0))
    s.listen(1)
    return s


def frame(kind, body=b""):
    return struct.pack(">H", 1 + len(body)) + bytes([kind]) + body


LAST, MORE, CLOSE = 0, 1, 2

# make check-asan runs Python with AddressSanitizer's runtime preloaded
# (tests/test_python.sh): its allocator keeps freed memory in quarantine and
# maps terabytes of shadow, so memory sizes and memory scans mean nothing.
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")


class Timeouts(unittest.TestCase):

    def test_timeout_then_the_late_message_whole(self):
        # timeout=1 and data that comes after 2 s: the first recv() raises
        # TimedOutError (a TimeoutError), the connection stays, and the next
        # recv() returns the late message whole (three frames long).
        s, c = pair(client_kw={"timeout": 0.3})
        with s, c:
            self.assertEqual(c.gettimeout(), 0.3)
            with self.assertRaises(TimeoutError) as e:
                c.recv()
            self.assertIsInstance(e.exception, ssockets.TimedOutError)
            self.assertIn("stays usable", str(e.exception))
            late = os.urandom(3 * 65518 + 5)
            s.send(late)
            c.settimeout(None)
            self.assertEqual(c.recv(), late)
            c.send(b"still talking")
            self.assertEqual(s.recv(), b"still talking")

    def test_timeout_inside_a_frame_and_between_fragments(self):
        # A raw peer cuts a frame, and a message between its fragments,
        # across the deadline: nothing is lost, nothing is merged.
        raw = raw_plain_server()
        with raw:
            c = client(HOST, raw.getsockname()[1], plain=True)
            peer, _ = raw.accept()
            with c, peer:
                c.settimeout(0.2)
                hello = frame(LAST, b"hello")
                peer.sendall(hello[:4])
                with self.assertRaises(ssockets.TimedOutError):
                    c.recv()
                peer.sendall(hello[4:] + frame(MORE, b"ab"))
                self.assertEqual(c.recv(), b"hello")
                with self.assertRaises(ssockets.TimedOutError):
                    c.recv()                            # "ab" came; its end did not
                peer.sendall(frame(LAST, b"cd"))
                self.assertEqual(c.recv(), b"abcd")
                c.settimeout(0)                         # only what is there
                with self.assertRaises(ssockets.TimedOutError):
                    c.recv()
                peer.sendall(frame(CLOSE))
                c.settimeout(5)
                self.assertEqual(c.recv(), b"")
                self.assertTrue(c.peer_closed)

    def test_settimeout_arguments(self):
        s, c = pair()
        with s, c:
            self.assertIsNone(c.gettimeout())
            for bad in (-1, "1", True, float("nan")):
                with self.assertRaises(ValueError):
                    c.settimeout(bad)
            self.assertGreaterEqual(c.fileno(), 0)
        self.assertEqual(c.fileno(), -1)

    def test_fileno_works_with_select(self):
        import selectors
        s, c = pair()
        with s, c, selectors.DefaultSelector() as sel:
            sel.register(c, selectors.EVENT_READ)
            self.assertEqual(sel.select(0.05), [])
            s.send(b"ready")
            self.assertEqual(len(sel.select(STEP)), 1)
            self.assertEqual(c.recv(), b"ready")


# A child blocked in one call; the parent sends SIGINT once it says so.
CHILD = textwrap.dedent("""
    import socket, sys, threading, time, ssockets
    what = sys.argv[1]
    raw = socket.socket(); raw.bind(("127.0.0.1", 0)); raw.listen(1)
    try:
        print("blocking", flush=True)
        if what == "recv":
            l = ssockets.listener("127.0.0.1", 0)
            accepted = []                   # kept, so that it stays open (silent)
            t = threading.Thread(target=lambda: accepted.append(l.accept()), daemon=True)
            t.start()
            c = ssockets.client("127.0.0.1", l.port)
            c.recv()
        elif what == "accept":
            ssockets.listener("127.0.0.1", 0).accept()
        elif what == "connect":
            # The TCP connect succeeds (the kernel's backlog), the
            # handshake's answer never comes.
            ssockets.client("127.0.0.1", raw.getsockname()[1])
        elif what == "server":
            ssockets.server("127.0.0.1", 0)
        elif what == "send":
            # A peer that reads nothing: the socket's buffers fill up.
            l = ssockets.listener("127.0.0.1", 0)
            accepted = []
            t = threading.Thread(target=lambda: accepted.append(l.accept()), daemon=True)
            t.start()
            c = ssockets.client("127.0.0.1", l.port)
            c.send(bytes(256 * 1024 * 1024))
        print("returned", flush=True)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    finally:
        print("finally ran", flush=True)
""")


class CtrlC(unittest.TestCase):

    def interrupt(self, what):
        p = subprocess.Popen([sys.executable, "-c", CHILD, what], env=script_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.assertEqual(p.stdout.readline(), b"blocking\n")
        time.sleep(0.5)                     # inside the call by now, most likely
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=STEP)
        self.assertEqual(out, b"KeyboardInterrupt\nfinally ran\n", err.decode())
        self.assertEqual(p.returncode, 0, err.decode())

    def test_recv(self):
        self.interrupt("recv")

    def test_accept(self):
        self.interrupt("accept")

    def test_connecting(self):
        self.interrupt("connect")

    def test_one_shot_server(self):
        self.interrupt("server")

    def test_send(self):
        self.interrupt("send")

    def test_message_kept_when_ctrl_c_comes_with_it(self):
        # SIGINT lands in the very wait that brings a whole message: the
        # KeyboardInterrupt comes, and the message is not lost with it.
        from ssockets import _lib
        s, c = pair(client_kw={"timeout": STEP})
        with s, c:
            s.send(b"arrived with the interrupt")
            real = _lib.ss_recv_wait

            def interrupted(*args):
                os.kill(os.getpid(), signal.SIGINT)
                return real(*args)
            _lib.ss_recv_wait = interrupted
            try:
                with self.assertRaises(KeyboardInterrupt):
                    c.recv()
            finally:
                _lib.ss_recv_wait = real
            self.assertEqual(c.recv(), b"arrived with the interrupt")
            s.send(b"and the next one")
            self.assertEqual(c.recv(), b"and the next one")

    def test_connection_usable_after_interrupt(self):
        # In this process, the main thread: a SIGINT during recv() raises
        # KeyboardInterrupt, and the message that comes next is received
        # whole by the next recv().
        s, c = pair()
        with s, c:
            timer = Thread(lambda: (time.sleep(0.3), os.kill(os.getpid(), signal.SIGINT)))
            timer.start()
            with self.assertRaises(KeyboardInterrupt):
                c.recv()
            timer.outcome()
            s.send(b"after the interrupt")
            self.assertEqual(c.recv(), b"after the interrupt")


class ExceptionFamily(unittest.TestCase):

    def test_caught_as_python_exceptions(self):
        with self.assertRaises(ConnectionRefusedError) as e:
            client(HOST, closed_port())
        self.assertIsInstance(e.exception, ssockets.ConnectionFailedError)
        self.assertEqual(e.exception.errno, errno.ECONNREFUSED)
        s, c = pair()
        with s, c:
            c.settimeout(0.05)
            with self.assertRaises(TimeoutError) as e:
                c.recv()
            self.assertEqual(e.exception.errno, errno.ETIMEDOUT)
        with self.assertRaises(ValueError):
            client(HOST, 70000)
        with self.assertRaises(FileNotFoundError) as e:
            ssockets.load_keypair("/nonexistent/server.key")
        self.assertIsInstance(e.exception, ssockets.KeyFileError)
        self.assertEqual(e.exception.filename, "/nonexistent/server.key")
        for cls in (ssockets.TimedOutError, ssockets.TruncatedError, ssockets.PeerGoneError,
                    ssockets.ClosedError, ssockets.TamperedError, ssockets.KeyFileError):
            self.assertTrue(issubclass(cls, OSError), cls)

    def test_cut_stream_is_a_connection_error(self):
        raw = raw_plain_server()
        with raw:
            c = client(HOST, raw.getsockname()[1], plain=True)
            peer, _ = raw.accept()
            peer.sendall(frame(MORE, b"half a message"))
            peer.close()
            with c, self.assertRaises(ConnectionError) as e:
                c.recv()
            self.assertIsInstance(e.exception, ssockets.TruncatedError)
            self.assertIn("truncated", str(e.exception))


class Limits(unittest.TestCase):

    def test_endless_message_refused_within_max_size(self):
        # A raw peer sends "more follows" frames without end (up to 64 MiB
        # here, so that the test ends); the receiver, in a child process,
        # raises MessageTooLongError, and its peak memory grew by less than
        # max_size plus a small constant.
        raw = raw_plain_server()
        child = textwrap.dedent("""
            import sys, ssockets
            def rss(field):
                for line in open("/proc/self/status"):
                    if line.startswith(field):
                        return int(line.split()[1]) * 1024
            c = ssockets.client("127.0.0.1", int(sys.argv[1]), plain=True,
                                max_size=4 * 1024 * 1024)
            before = rss("VmRSS:")
            try:
                c.recv()
                print("no error")
            except ssockets.MessageTooLongError as e:
                print("too long", c.closed, rss("VmHWM:") - before)
        """)
        with raw:
            p = subprocess.Popen([sys.executable, "-c", child, str(raw.getsockname()[1])],
                                 env=script_env(), stdout=subprocess.PIPE)
            self.addCleanup(lambda: p.poll() is None and p.kill())
            raw.settimeout(STEP)
            peer, _ = raw.accept()
            peer.settimeout(STEP)
            body = frame(MORE, b"x" * 65000)
            try:
                for _ in range(64 * 1024 * 1024 // len(body)):
                    peer.sendall(body)
            except OSError:
                pass                                # the receiver gave up: good
            out = p.communicate(timeout=STEP)[0].decode().split()
            peer.close()
        self.assertEqual(out[:3], ["too", "long", "True"], out)
        if not UNDER_ASAN:
            self.assertLess(int(out[3]), 4 * 1024 * 1024 + 8 * 1024 * 1024)

    def test_max_size_exact_and_none(self):
        s, c = pair(client_kw={"max_size": 100000})
        with s, c:
            self.assertEqual(c.max_size, 100000)
            m = os.urandom(100000)
            s.send(m)
            self.assertEqual(c.recv(), m)            # exactly the limit passes
            sender = Thread(s.send, m + b"!")
            sender.start()
            with self.assertRaises(ssockets.MessageTooLongError):
                c.recv()
            self.assertTrue(c.closed)
            sender.outcome()
        s, c = pair(client_kw={"max_size": None})
        with s, c:
            big = os.urandom(20 * 1024 * 1024)        # past the 16 MiB default
            sender = Thread(s.send, big)
            sender.start()
            self.assertEqual(c.recv(), big)
            sender.outcome()
        with self.assertRaises(ValueError):
            client(HOST, 1, max_size=-1)

    @unittest.skipIf(UNDER_ASAN, "AddressSanitizer's shadow memory is too large to scan")
    def test_no_plaintext_copy_left_after_a_long_recv(self):
        # The method of the wipe tests: look for a marker in the memory of
        # the process that received it. A 5 MiB message of markers is
        # received (in several buffers); afterwards the only copies in the
        # whole readable memory of the receiver are those in the bytes
        # object recv() returned.
        child = textwrap.dedent("""
            import re, threading, ssockets
            marker = b"<<PLAINTEXT-MARKER-%08d>>" % 31337
            l = ssockets.listener("127.0.0.1", 0)
            def serve():
                import subprocess, sys
            # The sender is another process: its copies are not ours.
            import subprocess, sys
            sender = subprocess.Popen([sys.executable, "-c",
                "import sys, ssockets; c = ssockets.client('127.0.0.1', int(sys.argv[1])); "
                "c.send(b'<<PLAINTEXT-MARKER-%08d>>' % 31337 * 200000); c.recv(); c.close()",
                str(l.port)])
            c = l.accept()
            data = c.recv()
            assert data == marker * 200000
            c.send(b"done")
            sender.wait()
            def count():
                found = 0
                with open("/proc/self/maps") as maps:
                    regions = [line.split() for line in maps]
                with open("/proc/self/mem", "rb", buffering=0) as mem:
                    for r in regions:
                        special = len(r) > 5 and r[5] in ("[vvar]", "[vsyscall]")
                        if not r[1].startswith("r") or special:
                            continue
                        start, end = (int(x, 16) for x in r[0].split("-"))
                        step = 16 << 20             # overlapping by a marker's length
                        for at in range(start, end, step):
                            try:
                                mem.seek(at)
                                block = mem.read(min(step + len(marker), end - at))
                            except (OSError, ValueError, OverflowError):
                                break
                            found += block[:step + len(marker) - 1].count(marker)
                            del block
                return found
            print(count() - data.count(marker) - 1)   # 1: the marker object itself
        """)
        p = subprocess.run([sys.executable, "-c", child], env=script_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=STEP * 2)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().strip(), "0", "copies of the plaintext left")


class AllowList(unittest.TestCase):

    def test_group_or_other_writable_allow_list_refused(self):
        d = tempfile.mkdtemp(prefix="ssockets-allow.")
        self.addCleanup(lambda: (os.path.exists(path) and os.remove(path), os.rmdir(d)))
        path = os.path.join(d, "allow.txt")
        with open(path, "w") as f:
            f.write(ssockets.generate_keypair().public_key_text + "\n")
        os.chmod(path, 0o666)
        with self.assertRaises(ssockets.KeyFileError) as e:
            listener(HOST, 0, allowed=path)
        self.assertEqual(e.exception.name, "SS_ERR_KEY_PERMISSIONS")
        # The command's message, word for word.
        self.assertEqual(str(e.exception), "key file '%s': mode 0666 lets group or others "
                         "write it; chmod go-w it" % path)
        os.chmod(path, 0o644)
        listener(HOST, 0, allowed=path).close()
        # A pinned-key file: the same rule (the C key loader).
        with open(path, "w") as f:
            f.write(ssockets.generate_keypair().public_key_text + "\n")
        os.chmod(path, 0o620)
        with self.assertRaises(ssockets.KeyFileError) as e:
            client(HOST, closed_port(), peer=path)
        self.assertIn("mode 0620 lets group or others write it", str(e.exception))


if __name__ == "__main__":
    unittest.main()
