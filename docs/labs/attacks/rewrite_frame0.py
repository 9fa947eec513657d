#!/usr/bin/env python3
"""rewrite_frame0.py -- attack 2 of docs/labs.md: rewrite the protocol name.

    python3 docs/labs/attacks/rewrite_frame0.py

Frame 0, the protocol name, travels in clear. A proxy between a real client
and a real server rewrites it, twice:
  1. the client proposes XX; the proxy turns it into NK (the server holds a
     key, so it accepts both);
  2. the client proposes NN; the proxy turns it into XX.
Then it relays everything else untouched, and prints what each side said.
"""
import os
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402


def attempt(client_args, proposed, rewritten):
    l = lab.Lab()
    try:
        server_port = l.listen("server", ["--key", l.key("resp_static"), "--timeout", "5"])
        proxy, proxy_port = lab.accept_one()

        def attacker():
            c, _ = proxy.accept()
            c.settimeout(10)
            s = lab.connect(server_port)
            name = lab.read_frame(c)
            assert name == proposed.encode(), name
            s.sendall(lab.frame(rewritten.encode()))
            print("proxy: frame 0 rewritten: %s -> %s" % (proposed, rewritten))
            lab.relay(c, s)

        t = threading.Thread(target=attacker)
        t.start()
        l.start("client", ["connect", "--timeout", "5"] + client_args(l) +
                ["127.0.0.1", str(proxy_port)], "hello\n")
        l.wait()
        t.join(timeout=25)
        proxy.close()
        for side in ("client", "server"):
            for line in l.said(side):
                print("%s: %s" % (side, line))
    finally:
        l.close()


print("== 1. XX proposed, NK delivered ==")
attempt(lambda l: ["--key", l.key("init_static"), "--peer", os.path.join(lab.KEYS, "resp_static.pub")],
        "Noise_XX_25519_ChaChaPoly_SHA256", "Noise_NK_25519_ChaChaPoly_SHA256")
print("== 2. NN proposed, XX delivered ==")
attempt(lambda l: [], "Noise_NN_25519_ChaChaPoly_SHA256", "Noise_XX_25519_ChaChaPoly_SHA256")
