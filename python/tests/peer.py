"""peer.py -- the ssockets command's relay, written with the Python package,
for the capture test (tests/legacy/test.sh runs its transfers with it too):

    python3 peer.py listen  [--plain] [--key FILE] [--peer KEY] [--timeout S] HOST PORT
    python3 peer.py connect [--plain] [--key FILE] [--peer KEY] [--timeout S] HOST PORT

As with the command: the listener prints "ssockets: listening on HOST:PORT"
on stderr; standard input is sent in messages of at most 64 KiB, then our
close; the peer's messages go to standard output until its close. Exit 0
when both sides closed cleanly, 1 on any error. In plain mode the bytes are
moved with the original's raw calls (send(..., False), recv(raw=True)).
"""

import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ssockets  # noqa: E402


def main():
    p = argparse.ArgumentParser(prog="peer.py")
    p.add_argument("mode", choices=["listen", "connect"])
    p.add_argument("--plain", action="store_true")
    p.add_argument("--key")
    p.add_argument("--peer")
    p.add_argument("--timeout", type=float)
    p.add_argument("host")
    p.add_argument("port", type=int)
    a = p.parse_args()
    kw = {"plain": a.plain, "peer": a.peer, "timeout": a.timeout or None}
    if a.key:
        kw.update(load_key=True, key_path=a.key)
    try:
        if a.mode == "listen":
            with ssockets.listener(a.host, a.port, **kw) as l:
                print("ssockets: listening on %s:%d" % (a.host, l.port), file=sys.stderr,
                      flush=True)
                conn = l.accept()
        else:
            conn = ssockets.client(a.host, a.port, **kw)
        print("ssockets: connected, %s" % conn.protocol_name, file=sys.stderr, flush=True)
        with conn:
            relay(conn, a.plain)
    except ssockets.SSocketsError as e:
        print("ssockets: %s" % e, file=sys.stderr)
        return 1
    return 0


def relay(conn, plain):
    failure = []

    def send_stdin():
        try:
            while True:
                chunk = os.read(0, 65536)
                if not chunk:
                    break
                conn.send(chunk, not plain)     # plain: the original's raw send
            conn.shutdown()
        except ssockets.SSocketsError as e:
            failure.append(e)

    sender = threading.Thread(target=send_stdin, daemon=True)
    sender.start()
    out = sys.stdout.buffer
    while True:
        message = conn.recv(raw=plain)
        if not message and conn.peer_closed:
            break
        out.write(message)
        out.flush()
    sender.join()
    if failure:
        raise failure[0]


if __name__ == "__main__":
    sys.exit(main())
