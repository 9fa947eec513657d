"""Python talks to the C command (build/ssockets), in both directions, with
NN (defaults on both sides), NK and XX. The command sends its standard
input as a message, then its close, and prints what it receives."""

import os
import shutil
import subprocess
import tempfile
import unittest

from helpers import (C_ENV, HOST, SSOCKETS, STEP, Thread, closed_port, listening, run_c,
                     start_c_listener, wait_until)

import ssockets
from ssockets import client, listener, server

NN = "Noise_NN_25519_ChaChaPoly_SHA256"
NK = "Noise_NK_25519_ChaChaPoly_SHA256"
XX = "Noise_XX_25519_ChaChaPoly_SHA256"


@unittest.skipUnless(os.access(SSOCKETS, os.X_OK), "the ssockets command is not built")
class WithTheCommand(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-interop.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def c_key(self, name):
        """A key made by `ssockets genkey`: (file, public key text)."""
        path = os.path.join(self.dir, name)
        status, out, err = run_c(["genkey", path])
        self.assertEqual(status, 0, err)
        return path, out.decode().strip().splitlines()[-1]

    # ---- the C command listens, Python connects

    def python_client(self, listen_args, expect, **client_kw):
        p, port = start_c_listener(listen_args, stdin=b"from C\n")
        try:
            with client(HOST, port, **client_kw) as c:
                self.assertEqual(c.protocol_name, expect)
                c.send(b"from Python")
                self.assertEqual(c.recv(), b"from C\n")
                self.assertEqual(c.recv(), b"")
                self.assertTrue(c.peer_closed)
                peer = c.peer_public_key
            out, err = p.communicate(timeout=STEP)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, b"from Python")
        return peer, err.decode()

    def test_c_listens_nn_defaults(self):
        peer, _ = self.python_client([], NN)
        self.assertIsNone(peer)

    def test_c_listens_nk(self):
        key, pub = self.c_key("server.key")
        peer, _ = self.python_client(["--key", key], NK, peer=pub)
        self.assertEqual(peer, ssockets.parse_public_key(pub))

    def test_c_listens_xx(self):
        skey, spub = self.c_key("server.key")
        ckey = os.path.join(self.dir, "client.pem")
        kp = ssockets.generate_keypair()
        kp.save(ckey, pem=True)
        allow = os.path.join(self.dir, "allowed")
        with open(allow, "w") as f:
            f.write("%s  # the Python client\n" % kp.public_key_text)
        peer, err = self.python_client(["--key", skey, "--allow", allow], XX, load_key=True,
                                       key_path=ckey, peer=spub)
        self.assertEqual(peer, ssockets.parse_public_key(spub))
        self.assertIn("peer key %s" % kp.public_key_text, err)   # the C side saw our key

    # ---- Python listens, the C command connects

    def c_client(self, l, expect, connect_args):
        """The C command connects to listener l and sends "from C"; the
        Python side answers in a thread. Returns (Python's view of the peer
        key, the command's status, stdout, stderr)."""
        t = Thread(lambda: self.serve_one(l.accept(), expect))
        t.start()
        status, out, err = run_c(["connect", "--timeout", str(STEP)] + connect_args
                                 + [HOST, str(l.port)], stdin=b"from C")
        return t.outcome(), status, out, err

    def serve_one(self, s, expect):
        with s:
            self.assertEqual(s.protocol_name, expect)
            self.assertEqual(s.recv(), b"from C")
            s.send(b"from Python")
            self.assertEqual(s.recv(), b"")
            return s.peer_public_key

    def test_c_connects_nn_defaults(self):
        port = closed_port()

        def accept():
            s = server(HOST, port)       # the original's server(), defaults
            return s, self.serve_one(s, NN)

        t = Thread(accept)
        t.start()
        wait_until(lambda: listening(port), "the Python server listens")
        status, out, err = run_c(["connect", "--timeout", str(STEP), HOST, str(port)],
                                 stdin=b"from C")
        _, peer = t.outcome()
        self.assertEqual((status, out), (0, b"from Python"), err)
        self.assertIsNone(peer)

    def test_c_connects_nk(self):
        kp = ssockets.generate_keypair()
        with listener(HOST, 0, key=kp) as l:
            _, status, out, err = self.c_client(l, NK, ["--peer", kp.public_key_text])
        self.assertEqual((status, out), (0, b"from Python"), err)
        self.assertIn(NK, err)

    def test_c_connects_xx(self):
        ckey, cpub = self.c_key("client.key")
        spath = os.path.join(self.dir, "server.key")
        ssockets.save_keypair(ssockets.generate_keypair(), spath)   # PEM, like genkey
        with listener(HOST, 0, True, spath, allowed=[cpub]) as l:
            peer, status, out, err = self.c_client(
                l, XX, ["--key", ckey, "--peer", ssockets.public_key(spath)])
        self.assertEqual((status, out), (0, b"from Python"), err)
        self.assertEqual(peer, ssockets.parse_public_key(cpub))

    def test_c_client_refused_by_python_key_check(self):
        ckey, _ = self.c_key("client.key")
        with listener(HOST, 0, key=ssockets.generate_keypair(),
                      allowed=[ssockets.generate_keypair().public_key]) as l:
            t = Thread(l.accept)
            t.start()
            status, _, err = run_c(["connect", "--key", ckey, "--timeout", str(STEP), HOST,
                                    str(l.port)], stdin=b"x")
            with self.assertRaises(ssockets.UnknownClientKeyError):
                t.outcome()
        self.assertEqual(status, 1, err)


class KeyFiles(unittest.TestCase):
    """The key helpers read and write the files of `ssockets genkey`, in
    base64 and in OpenSSL PEM; OpenSSL itself is the outside witness."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-keyfiles.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    @unittest.skipUnless(os.access(SSOCKETS, os.X_OK), "the ssockets command is not built")
    def test_same_files_as_genkey(self):
        for pem in (False, True):
            cfile = os.path.join(self.dir, "c%d" % pem)
            status, out, err = run_c(["genkey"] + (["--pem"] if pem else []) + [cfile])
            self.assertEqual(status, 0, err)
            cpub = out.decode().strip().splitlines()[-1]
            self.assertEqual(ssockets.public_key(cfile), cpub)
            self.assertEqual(ssockets.load_keypair(cfile).public_key_text, cpub)
            pfile = os.path.join(self.dir, "p%d" % pem)
            kp = ssockets.generate_keypair()
            ssockets.save_keypair(kp, pfile, pem=pem)
            status, out, err = run_c(["pubkey", pfile])
            self.assertEqual((status, out.decode().strip()), (0, kp.public_key_text), err)
            with open(pfile) as f:
                text = f.read()
            self.assertTrue(text.startswith("-----BEGIN PRIVATE KEY-----"))
            self.assertEqual(os.stat(pfile).st_mode & 0o777, 0o600)

    @unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
    def test_openssl_keys(self):
        key = os.path.join(self.dir, "openssl.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "X25519", "-out", key], check=True,
                       timeout=STEP, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=C_ENV)
        os.chmod(key, 0o600)
        der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                             check=True, timeout=STEP, stdout=subprocess.PIPE, env=C_ENV).stdout
        pem = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], check=True,
                             timeout=STEP, stdout=subprocess.PIPE, env=C_ENV).stdout
        # The public key OpenSSL derives is the one we derive.
        self.assertEqual(ssockets.load_keypair(key).public_key, der[-32:])
        self.assertEqual(ssockets.parse_public_key(pem.decode()), der[-32:])
        pub = os.path.join(self.dir, "openssl.pub")
        with open(pub, "wb") as f:
            f.write(pem)
        self.assertEqual(ssockets.load_public_key(pub), der[-32:])
        # And OpenSSL reads the PEM we write, finding the same public key.
        ours = os.path.join(self.dir, "ours.pem")
        kp = ssockets.generate_keypair()
        kp.save(ours, pem=True)
        der = subprocess.run(["openssl", "pkey", "-in", ours, "-pubout", "-outform", "DER"],
                             check=True, timeout=STEP, stdout=subprocess.PIPE, env=C_ENV).stdout
        self.assertEqual(der[-32:], kp.public_key)
        self.assertEqual(ssockets.format_public_key(der[-32:]), kp.public_key_text)


if __name__ == "__main__":
    unittest.main()
