#!/usr/bin/env python3
"""bench_python.py -- the Python package's speed beside the C command's,
measured in the same run, on loopback. Printed, never asserted.

    python3 tests/bench/bench_python.py [BUILD_DIR]      (default: build)

Two figures for each:
  throughput   1 MiB messages through one NN connection. Python: a client
               thread sends, the accepted connection receives, in one
               process. C: `ssockets connect < FILE` to `ssockets listen
               > /dev/null` (the command sends what it reads, in messages
               of at most 64 KiB).
  handshakes   NN connect + handshake + close, one after another. Python:
               client() against a listener in the same process. C: a
               `ssockets listen` / `ssockets connect` pair per handshake, so
               its figure includes starting two processes each time.
And ssockets.aio beside the threaded package, in one process each:
  messages/s   SMALL messages of 1 KiB through one NN connection, one way,
               until the receiver has them all. Threaded: a client thread
               sends, the accepted connection receives. asyncio: aio.connect
               sends, an aio.serve handler receives, on one event loop.
  handshakes   NN connect + handshake + close, one after another: client()
               against a listener, and aio.connect against aio.serve.
Besides the human-readable lines, one machine-readable line per figure:
    bench python throughput_1mib_mib_s 123.4
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
os.environ.setdefault("SSOCKETS_LIBRARY", os.path.join(BUILD, "libssockets.so"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ssockets  # noqa: E402
from ssockets import aio  # noqa: E402

HOST = "127.0.0.1"
SSOCKETS = os.path.join(BUILD, "ssockets")
MIB = 1024 * 1024
MESSAGES = 64          # MiB per throughput run
HANDSHAKES = 200       # Python handshakes; the C command's are fewer (processes)
C_HANDSHAKES = 50
SMALL = 20000          # 1 KiB messages per messages/s run


def python_throughput():
    message = os.urandom(MIB)
    with ssockets.listener(HOST, 0) as l:
        got = []

        def receive():
            with l.accept() as s:
                n = 0
                while True:
                    m = s.recv()
                    if s.peer_closed:
                        break
                    n += len(m)
                got.append(n)

        t = threading.Thread(target=receive)
        t.start()
        with ssockets.client(HOST, l.port) as c:
            start = time.perf_counter()
            for _ in range(MESSAGES):
                c.send(message)
            c.shutdown()
            t.join()
            elapsed = time.perf_counter() - start
    assert got == [MESSAGES * MIB], got
    return MESSAGES / elapsed


def python_handshakes():
    with ssockets.listener(HOST, 0) as l:
        def serve():
            for _ in range(HANDSHAKES):
                l.accept().close()

        t = threading.Thread(target=serve)
        t.start()
        start = time.perf_counter()
        for _ in range(HANDSHAKES):
            ssockets.client(HOST, l.port).close()
        t.join()
        return HANDSHAKES / (time.perf_counter() - start)


def threaded_messages():
    message = os.urandom(1024)
    with ssockets.listener(HOST, 0) as l:
        got = []

        def receive():
            with l.accept() as s:
                n = 0
                for _ in range(SMALL):
                    n += len(s.recv())
                got.append(n)

        t = threading.Thread(target=receive)
        t.start()
        with ssockets.client(HOST, l.port) as c:
            start = time.perf_counter()
            for _ in range(SMALL):
                c.send(message)
            t.join()
            elapsed = time.perf_counter() - start
    assert got == [SMALL * 1024], got
    return SMALL / elapsed


def aio_messages():
    message = os.urandom(1024)

    async def main():
        done = asyncio.get_running_loop().create_future()

        async def receive(conn):
            n = 0
            for _ in range(SMALL):
                n += len(await conn.recv())
            done.set_result(n)

        async with aio.serve(receive, HOST, 0) as server:
            async with aio.connect(HOST, server.port) as c:
                start = time.perf_counter()
                for _ in range(SMALL):
                    await c.send(message)
                n = await done
                elapsed = time.perf_counter() - start
        assert n == SMALL * 1024, n
        return SMALL / elapsed
    return asyncio.run(main())


def aio_handshakes():
    async def main():
        async def nothing(conn):
            await conn.recv()

        async with aio.serve(nothing, HOST, 0) as server:
            start = time.perf_counter()
            for _ in range(HANDSHAKES):
                conn = await aio.connect(HOST, server.port)
                await conn.close()
            return HANDSHAKES / (time.perf_counter() - start)
    return asyncio.run(main())


def c_listener(out):
    p = subprocess.Popen([SSOCKETS, "listen", HOST, "0"], stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.PIPE)
    line = p.stderr.readline()
    if b"listening on" not in line:
        p.kill()
        raise RuntimeError("ssockets listen: %r" % line)
    return p, line.rsplit(b":", 1)[1].strip().decode()


def c_throughput(tmp):
    data = os.path.join(tmp, "data")
    with open(data, "wb") as f:
        for _ in range(MESSAGES):
            f.write(os.urandom(MIB))
    with open(os.devnull, "wb") as null, open(data, "rb") as src:
        p, port = c_listener(null)
        start = time.perf_counter()
        subprocess.run([SSOCKETS, "connect", HOST, port], stdin=src, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=300)
        p.wait(timeout=60)
        elapsed = time.perf_counter() - start
    return MESSAGES / elapsed


def c_handshakes():
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        for _ in range(C_HANDSHAKES):
            p, port = c_listener(null)
            subprocess.run([SSOCKETS, "connect", HOST, port], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           timeout=60)
            p.wait(timeout=60)
    return C_HANDSHAKES / (time.perf_counter() - start)


def main():
    with tempfile.TemporaryDirectory(prefix="ssockets-bench.") as tmp:
        figures = [
            ("python", "throughput_1mib_mib_s", python_throughput()),
            ("c_command", "throughput_mib_s", c_throughput(tmp)),
            ("python", "handshakes_per_s", python_handshakes()),
            ("c_command", "handshakes_per_s", c_handshakes()),
            ("python_threads", "messages_1kib_per_s", threaded_messages()),
            ("python_aio", "messages_1kib_per_s", aio_messages()),
            ("python_aio", "handshakes_per_s", aio_handshakes()),
        ]
    py_t, c_t, py_h, c_h, th_m, aio_m, aio_h = (f[2] for f in figures)
    print("Python package vs the C command (loopback, NN, %s)" % ssockets.library_path)
    print("  throughput, 1 MiB messages: Python %8.1f MiB/s   C command %8.1f MiB/s   "
          "(Python/C %.2f)" % (py_t, c_t, py_t / c_t))
    print("  handshakes per second:      Python %8.1f         C command %8.1f         "
          "(Python/C %.2f; the command starts two processes per handshake)"
          % (py_h, c_h, py_h / c_h))
    print("asyncio (ssockets.aio) vs threads (the same package, one process each)")
    print("  1 KiB messages per second:  asyncio %8.0f        threads %8.0f          "
          "(asyncio/threads %.2f)" % (aio_m, th_m, aio_m / th_m))
    print("  handshakes per second:      asyncio %8.1f        threads %8.1f          "
          "(asyncio/threads %.2f)" % (aio_h, py_h, aio_h / py_h))
    for who, name, value in figures:
        print("bench %s %s %.1f" % (who, name, value))


if __name__ == "__main__":
    main()
