"""Shared by the Python tests: where things are, subprocess environments,
bounded waits, and a frame-aware TCP proxy. Loopback only; every wait ends
by itself."""

import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)                      # python/
ROOT = os.path.dirname(PYDIR)                      # the repository
BUILD = os.path.abspath(os.path.join(ROOT, os.environ.get("SS_BUILD", "build")))
SSOCKETS = os.path.join(BUILD, "ssockets")
LIBRARY = os.environ.get("SSOCKETS_LIBRARY") or os.path.join(BUILD, "libssockets.so")
HOST = "127.0.0.1"
STEP = 30          # seconds: the bound on any one subprocess or wait

# Make `import ssockets` find python/ssockets when run from anywhere.
if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)


# For programs that are not Python (the command, openssl): without the
# sanitizer runtime tests/test_python.sh preloads for Python when the library
# is built with AddressSanitizer (such a command carries its own runtime).
C_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def script_env(**extra):
    """The environment of a Python script run as a user would run it: only
    the import path set (plus the library when the build is not build/)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYDIR
    # With the default build, the package finds build/libssockets.so by
    # itself, as it does in a user's checkout.
    env.pop("SSOCKETS_LIBRARY", None)
    if BUILD != os.path.join(ROOT, "build"):
        env["SSOCKETS_LIBRARY"] = LIBRARY
    env.update(extra)
    return env


def listening(port):
    """Whether some socket is listening on TCP port `port` (from /proc, so
    that checking does not take the one connection a server accepts)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def bindable(port):
    """Whether a server could listen on HOST:port now. The original's fixed
    ports (60000, ...) lie in Linux's range of ephemeral ports, so on a busy
    machine another program's connection may hold one for a while."""
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_until(condition, what, proc=None, limit=STEP):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            out = proc.communicate()[0] if proc.stdout else ""
            raise AssertionError("%s: the process ended (status %s) first: %s"
                                 % (what, proc.returncode, out))
        time.sleep(0.02)
    raise AssertionError("%s: not within %d s" % (what, limit))


def free_port_taken():
    """A listening plain TCP socket on a free loopback port (port 0)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, 0))
    s.listen(8)
    return s


def closed_port():
    """A loopback port where nothing listens (bound, then released)."""
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Thread(threading.Thread):
    """A thread whose exception (or result) the test can see."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args = fn, args
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.fn(*self.args)
        except BaseException as e:  # noqa: B902 (reported to the test)
            self.error = e

    def outcome(self, limit=STEP):
        self.join(limit)
        if self.is_alive():
            raise AssertionError("a thread did not end within %d s" % limit)
        if self.error is not None:
            raise self.error
        return self.result


class Proxy:
    """A TCP proxy on a free loopback port, forwarding to HOST:target.
    It reads the client->server direction frame by frame (2-byte big-endian
    length, then the body: docs/protocol.md) and can damage the frame with
    index `at` (0 is the protocol name): action "flip" flips a bit of its
    last byte, "cut" closes both sides instead of forwarding it."""

    def __init__(self, target, action=None, at=None):
        self.target, self.action, self.at = target, action, at
        self.sock = free_port_taken()
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(STEP)
        try:
            a, _ = self.sock.accept()
        except OSError:
            return
        finally:
            self.sock.close()
        b = socket.create_connection((HOST, self.target), timeout=STEP)
        for s in (a, b):
            s.settimeout(STEP)
        back = threading.Thread(target=self._pipe, args=(b, a), daemon=True)
        back.start()
        try:
            self._frames(a, b)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            back.join(STEP)
            a.close()
            b.close()
            self.done.set()

    @staticmethod
    def _read(s, n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _frames(self, src, dst):
        index = 0
        while True:
            head = self._read(src, 2)
            if head is None:
                return
            body = self._read(src, struct.unpack(">H", head)[0])
            if body is None:
                return
            if index == self.at and self.action == "cut":
                return
            if index == self.at and self.action == "flip":
                body = body[:-1] + bytes([body[-1] ^ 0x01])
            dst.sendall(head + body)
            index += 1

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def run_c(args, stdin=b"", timeout=STEP):
    """Runs the ssockets command to the end; (status, stdout, stderr)."""
    p = subprocess.run([SSOCKETS] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=C_ENV)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def start_c_listener(args, stdin=b""):
    """Starts `ssockets listen ARGS 127.0.0.1 0`; returns (process, port)
    once it prints its listening line."""
    p = subprocess.Popen([SSOCKETS, "listen"] + args + ["--timeout", str(STEP), HOST, "0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=C_ENV)
    p.stdin.write(stdin)
    p.stdin.close()
    p.stdin = None          # so that communicate() does not touch it
    line = b""
    deadline = time.monotonic() + STEP
    while b"listening on" not in line and time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line and p.poll() is not None:
            break
    if b"listening on" not in line:
        p.kill()
        raise AssertionError("ssockets listen did not start: %r" % line)
    return p, int(line.rsplit(b":", 1)[1])
