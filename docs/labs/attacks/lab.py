"""lab.py -- what the attack labs of docs/labs.md share: start the real
`ssockets` command on loopback, read SSockets/1 frames (2-byte big-endian
length, then the bytes: docs/protocol.md), and relay TCP between two sockets.
Python's standard library only. Every wait is bounded, every process is
stopped at the end.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SS = os.path.join(ROOT, os.environ.get("SS_BUILD", "build"), "ssockets")
KEYS = os.path.join(ROOT, "docs", "keys")


class Lab:
    """A scratch directory with the course's keys (mode 0600) and the
    processes started, stopped by close()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-lab.")
        for name in os.listdir(KEYS):
            if name.endswith(".key"):
                shutil.copy(os.path.join(KEYS, name), self.dir)
                os.chmod(os.path.join(self.dir, name), 0o600)
        self.procs = []

    def key(self, name):
        return os.path.join(self.dir, name + ".key")

    def start(self, name, args, stdin_text=""):
        """Starts `ssockets ARGS` with stdin_text as its input; its stderr
        goes to NAME.err. Returns the process."""
        err = open(os.path.join(self.dir, name + ".err"), "wb")
        out = open(os.path.join(self.dir, name + ".out"), "wb")
        p = subprocess.Popen(["timeout", "20", SS] + args, stdin=subprocess.PIPE,
                             stdout=out, stderr=err)
        p.stdin.write(stdin_text.encode())
        p.stdin.close()
        err.close()
        out.close()
        self.procs.append(p)
        return p

    def listen(self, name, args, stdin_text=""):
        """Starts `ssockets listen ARGS 127.0.0.1 0`; returns its port."""
        self.start(name, ["listen"] + args + ["127.0.0.1", "0"], stdin_text)
        deadline = time.time() + 10
        while time.time() < deadline:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.err(name))
            if m:
                return int(m.group(1))
            time.sleep(0.05)
        raise SystemExit("lab: %s did not start listening:\n%s" % (name, self.err(name)))

    def err(self, name):
        with open(os.path.join(self.dir, name + ".err"), errors="replace") as f:
            return f.read()

    def out(self, name):
        with open(os.path.join(self.dir, name + ".out"), errors="replace") as f:
            return f.read()

    def said(self, name):
        """What NAME reported, warnings and the listening line left out."""
        return [l for l in self.err(name).splitlines()
                if "warning:" not in l and "listening on" not in l]

    def wait(self):
        for p in self.procs:
            try:
                p.wait(timeout=25)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def accept_one():
    """A listening socket on a free loopback port: (socket, port)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(10)
    return s, s.getsockname()[1]


def connect(port):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    return c


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(sock):
    """One frame's bytes (without its length), or None at the end."""
    head = read_exact(sock, 2)
    if head is None:
        return None
    return read_exact(sock, int.from_bytes(head, "big"))


def frame(body):
    return len(body).to_bytes(2, "big") + body


def pump(src, dst, record=None):
    """Copies src to dst until src ends, then half-closes dst."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if record is not None:
                record.append(data)
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(a, b, record_ab=None, record_ba=None):
    """Relays both ways between sockets a and b until both directions end."""
    t = threading.Thread(target=pump, args=(b, a, record_ba))
    t.start()
    pump(a, b, record_ab)
    t.join(timeout=25)
    a.close()
    b.close()
