#!/usr/bin/env python3
"""replay_nk.py -- attack 3 of docs/labs.md: replay NK's message 1.

    python3 docs/labs/attacks/replay_nk.py

1. A real NK session: the client pins the server's key and sends "hello"; a
   proxy in the middle relays it untouched and records what the client sent
   (frame 0, frame 1 = handshake message 1, then the transport frames).
2. Later, the attacker, who has no key at all, connects to the server (the
   same server key, a new process, as after a restart) and sends the
   recorded frame 0 and message 1 again. Does the server accept them?
3. Then it sends the recorded "hello" frame too. Is it accepted?
"""
import os
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

l = lab.Lab()
try:
    # 1. The real session, recorded.
    server_port = l.listen("server1", ["--key", l.key("resp_static"), "--timeout", "5"],
                           "hi\n")
    proxy, proxy_port = lab.accept_one()
    recorded = []

    def recorder():
        c, _ = proxy.accept()
        lab.relay(c, lab.connect(server_port), record_ab=recorded)

    t = threading.Thread(target=recorder)
    t.start()
    l.start("client", ["connect", "--peer", os.path.join(lab.KEYS, "resp_static.pub"),
                       "127.0.0.1", str(proxy_port)], "hello\n")
    l.wait()
    t.join(timeout=25)
    proxy.close()
    print("1. the real session: the server received %r" % l.out("server1"))
    data = b"".join(recorded)
    frames = []
    while data:
        n = int.from_bytes(data[:2], "big")
        frames.append(data[2:2 + n])
        data = data[2 + n:]
    print("   the proxy recorded %d frames from the client, of %s bytes"
          % (len(frames), ", ".join(str(len(f)) for f in frames)))

    # 2. The replay, to the same server key.
    server_port = l.listen("server2", ["--key", l.key("resp_static"), "--timeout", "5"])
    s = lab.connect(server_port)
    s.sendall(lab.frame(frames[0]) + lab.frame(frames[1]))
    answer = lab.read_frame(s)
    if answer is None:
        print("2. replayed frame 0 and message 1: the server closed the connection")
    else:
        print("2. replayed frame 0 and message 1: the server answered with handshake "
              "message 2 (%d bytes)" % len(answer))
    # 3. The recorded transport frame ("hello"). Whatever the server sends
    # now (its own close frame, if its input has ended) is read and ignored:
    # what counts is what it says about our frame.
    s.sendall(lab.frame(frames[2]))
    while lab.read_frame(s) is not None:
        pass
    s.close()
    print("3. replayed the \"hello\" frame; the server said:")
    l.wait()
    for line in l.said("server2"):
        print("   server: %s" % line)
finally:
    l.close()
