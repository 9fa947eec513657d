"""Every exception class raised by a real failure: a bad key file, a wrong
pin, a tampered or cut stream (through a proxy), a refused pattern, a
silent peer, a closed port, hostile raw peers, a missing library, bad
arguments. Each carries the library's code and message."""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

from helpers import HOST, PYDIR, STEP, Proxy, Thread, closed_port, free_port_taken

import ssockets
from ssockets import client, listener, server
from ssockets import errors


class Base(unittest.TestCase):

    def assertError(self, cls, code, fn, *args, **kw):
        with self.assertRaises(cls) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIsInstance(e, ssockets.SSocketsError)
        self.assertEqual(e.name, code, "%s: %s" % (e.name, e.message))
        self.assertEqual(e.code, getattr(errors, code))
        self.assertEqual(str(e), e.message)
        self.assertTrue(e.message)
        return e


class KeyFiles(Base):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-errors.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_bad_key_file(self):
        path = os.path.join(self.dir, "bad.key")
        with open(path, "w") as f:
            f.write("this is not a key\n")
        os.chmod(path, 0o600)
        e = self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", client, HOST, closed_port(),
                             True, path)
        self.assertIn("bad.key", e.message)

    def test_missing_and_readable_by_others(self):
        path = os.path.join(self.dir, "k")
        self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", ssockets.load_keypair, path)
        ssockets.generate_keypair().save(path)
        os.chmod(path, 0o644)
        self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_PERMISSIONS", server, HOST, 0,
                         True, path)

    def test_genkey_refuses_to_overwrite(self):
        path = os.path.join(self.dir, "k")
        ssockets.save_keypair(ssockets.generate_keypair(), path)
        self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_EXISTS", ssockets.save_keypair,
                         ssockets.generate_keypair(), path)

    def test_public_and_private_not_mixed_up(self):
        kp = ssockets.generate_keypair()
        priv, pub = os.path.join(self.dir, "id.key"), os.path.join(self.dir, "id.pub")
        kp.save(priv)
        with open(pub, "w") as f:
            f.write(kp.public_key_text + "\n")
        for mode in (0o644, 0o600):       # a public key is never read as a secret
            os.chmod(pub, mode)
            e = self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", ssockets.load_keypair,
                                 pub)
            self.assertIn("id.pub' holds one line of base64, the form of a public key", e.message)
            self.assertNotIn("chmod", e.message)
        e = self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", ssockets.load_public_key,
                             priv)
        self.assertIn("id.key': holds a private key", e.message)
        e = self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", client, HOST, closed_port(),
                             peer=priv)
        self.assertIn("holds a private key", e.message)

    def test_bad_peer_key(self):
        self.assertError(ssockets.KeyFileError, "SS_ERR_KEY_FILE", client, HOST, closed_port(),
                         peer="not base64 at all")


class Arguments(Base):

    def test_rsa(self):
        with self.assertRaises(ValueError) as cm:
            client(HOST, closed_port(), alg="rsa")
        self.assertIn("RSA is not offered", str(cm.exception))
        self.assertIn("X25519", str(cm.exception))
        self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", server, HOST, 0, None, None,
                         "rsa")

    def test_load_key_without_path_fails_before_connecting(self):
        # If the client tried to connect, the closed port would give
        # ConnectionFailedError; if the server tried to listen, the taken
        # port would.
        e = self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", client, HOST,
                             closed_port(), True)
        self.assertIn("key path is missing", e.message)
        taken = free_port_taken()
        self.addCleanup(taken.close)
        e = self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", server, HOST,
                             taken.getsockname()[1], load_key=True)
        self.assertIn("key path is missing", e.message)

    def test_other_arguments(self):
        self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", client, HOST, 70000)
        self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", client, HOST, 1, alg="dsa")
        self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", client, HOST, 1, timeout=0)
        self.assertError(ssockets.ArgumentError, "SS_ERR_ARGUMENT", client, HOST, 1,
                         plain=True, peer=bytes(32))


class Connections(Base):

    def test_connection_failed(self):
        self.assertError(ssockets.ConnectionFailedError, "SS_ERR_CONNECT", client, HOST,
                         closed_port())
        taken = free_port_taken()
        self.addCleanup(taken.close)
        self.assertError(ssockets.ConnectionFailedError, "SS_ERR_ADDR_IN_USE", listener, HOST,
                         taken.getsockname()[1])

    def test_timeout(self):
        # A TCP peer that accepts (the kernel does) and never answers.
        silent = free_port_taken()
        self.addCleanup(silent.close)
        self.assertError(ssockets.TimedOutError, "SS_ERR_TIMEOUT", client, HOST,
                         silent.getsockname()[1], timeout=0.3)

    def test_refused_pattern(self):
        with listener(HOST, 0, key=ssockets.generate_keypair()) as l:
            t = Thread(l.accept)
            t.start()
            # No keys: NN, which a server holding a key pair does not accept.
            e = self.assertError(ssockets.PatternRefusedError, "SS_ERR_PATTERN_REFUSED", client,
                                 HOST, l.port)
            self.assertIn("NN", e.message)
            with self.assertRaises(ssockets.PatternRefusedError):
                t.outcome()

    def test_wrong_pin(self):
        with listener(HOST, 0, key=ssockets.generate_keypair()) as l:
            t = Thread(l.accept)
            t.start()
            other = ssockets.generate_keypair().public_key
            self.assertError(ssockets.WrongServerKeyError, "SS_ERR_WRONG_SERVER_KEY", client,
                             HOST, l.port, peer=other)
            with self.assertRaises(ssockets.SSocketsError):
                t.outcome()
            # The listener stays usable: the right pin connects.
            t = Thread(l.accept)
            t.start()
            with client(HOST, l.port, peer=l.public_key) as c, t.outcome() as s:
                c.send(b"ok")
                self.assertEqual(s.recv(), b"ok")

    def test_wrong_pin_xx_and_unknown_client(self):
        skp, ckp = ssockets.generate_keypair(), ssockets.generate_keypair()
        with listener(HOST, 0, key=skp, allowed=[ssockets.generate_keypair().public_key]) as l:
            t = Thread(l.accept)
            t.start()
            # The client's part of XX ends with its third message; it learns
            # of the refusal from the server's sealed refused frame
            # (docs/protocol.md), on its first receive.
            with client(HOST, l.port, key=ckp) as c:
                e = self.assertError(ssockets.UnknownClientKeyError, "SS_ERR_UNKNOWN_CLIENT_KEY",
                                     c.recv)
                self.assertIn("the server refused our static key", e.message)
            self.assertError(ssockets.UnknownClientKeyError, "SS_ERR_UNKNOWN_CLIENT_KEY",
                             t.outcome)
        with listener(HOST, 0, key=skp) as l:
            t = Thread(l.accept)
            t.start()
            self.assertError(ssockets.WrongServerKeyError, "SS_ERR_WRONG_SERVER_KEY", client,
                             HOST, l.port, key=ckp, peer=ckp.public_key)
            with self.assertRaises(ssockets.SSocketsError):
                t.outcome()

    def through_proxy(self, action):
        """A client -> proxy -> listener connection (NN) whose first
        transport frame from the client (frame 2, after the protocol name
        and the handshake message) the proxy damages."""
        with listener(HOST, 0) as l:
            proxy = Proxy(l.port, action, at=2)
            t = Thread(l.accept)
            t.start()
            c = client(HOST, proxy.port, timeout=STEP)
            s = t.outcome()
            self.addCleanup(c.close)
            self.addCleanup(s.close)
            c.send(b"attack at dawn")
            return s

    def test_tampered(self):
        s = self.through_proxy("flip")
        self.assertError(ssockets.TamperedError, "SS_ERR_TAMPERED", s.recv)
        # The failure ends the connection: the next call says so again.
        self.assertError(ssockets.TamperedError, "SS_ERR_TAMPERED", s.recv)

    def test_truncated(self):
        s = self.through_proxy("cut")
        self.assertError(ssockets.TruncatedError, "SS_ERR_TRUNCATED", s.recv)

    def test_hostile_raw_peers(self):
        with listener(HOST, 0) as l:
            # An unknown protocol name.
            t = Thread(l.accept)
            t.start()
            with socket.create_connection((HOST, l.port), timeout=STEP) as raw:
                name = b"Noise_ZZ_25519_ChaChaPoly_SHA256"
                raw.sendall(struct.pack(">H", len(name)) + name)
                self.assertError(ssockets.ProtocolError, "SS_ERR_BAD_PROTOCOL", t.outcome)
            # A peer that leaves in the middle of the handshake.
            t = Thread(l.accept)
            t.start()
            with socket.create_connection((HOST, l.port), timeout=STEP) as raw:
                name = b"Noise_NN_25519_ChaChaPoly_SHA256"
                raw.sendall(struct.pack(">H", len(name)) + name)
            self.assertError(ssockets.PeerGoneError, "SS_ERR_PEER_GONE", t.outcome)

    def test_closed(self):
        with listener(HOST, 0) as l:
            t = Thread(l.accept)
            t.start()
            with client(HOST, l.port) as c, t.outcome() as s:
                c.shutdown()
                self.assertError(ssockets.ClosedError, "SS_ERR_CLOSED", c.send, b"late")
                self.assertEqual(s.recv(), b"")
        self.assertError(ssockets.ClosedError, "SS_ERR_CLOSED", l.accept)


class Codes(unittest.TestCase):

    def test_codes_mirror_error_h(self):
        # errors.py lists the ss_error enum of src/net/error.h by hand: the
        # same names, in the same order, and the library knows each of them.
        with open(os.path.join(os.path.dirname(PYDIR), "src", "net", "error.h")) as f:
            text = f.read()
        enum = text[text.index("typedef enum {"):text.index("} ss_error;")]
        names = re.findall(r"^\s*(SS_[A-Z_]+)", enum, re.M)
        self.assertEqual(names[-1], "SS_ERR_COUNT")
        self.assertEqual(errors.CODES, names[:-1])
        for code, name in enumerate(errors.CODES):
            self.assertEqual(getattr(errors, name), code)
        from ssockets import _lib
        unknown = _lib.ss_strerror(len(errors.CODES))
        self.assertEqual(unknown, b"unknown error")
        for code in range(len(errors.CODES)):
            self.assertNotEqual(_lib.ss_strerror(code), unknown)


class Library(unittest.TestCase):

    def test_missing_library(self):
        # A copy of the package outside the source tree, with a library
        # path that does not exist: the ImportError says what was tried and
        # how to build it.
        # (Asked in a fresh process: this one has the library loaded, and the
        # dynamic linker would answer with it.)
        probe = subprocess.run([sys.executable, "-c", "import ctypes; "
                                "ctypes.CDLL('libssockets.so.0')"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=STEP)
        if probe.returncode == 0:
            self.skipTest("an installed libssockets.so.0 is loadable here, so the library "
                          "cannot be missing")
        tmp = tempfile.mkdtemp(prefix="ssockets-nolib.")
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(os.path.join(PYDIR, "ssockets"), os.path.join(tmp, "ssockets"),
                        ignore=shutil.ignore_patterns("__pycache__", "_installed.py"))
        env = dict(os.environ, PYTHONPATH=tmp, SSOCKETS_LIBRARY=os.path.join(tmp, "nowhere.so"))
        p = subprocess.run([sys.executable, "-c", "import ssockets"], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=STEP)
        err = p.stderr.decode()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ImportError: ssockets: cannot load the C library", err)
        self.assertIn("nowhere.so ($SSOCKETS_LIBRARY)", err)
        self.assertIn("libssockets.so.0 (the dynamic linker's search)", err)
        self.assertIn("SSOCKETS_LIBRARY names a file that does not load", err)
        # Without the variable, outside a checkout and with no library of
        # its own: the one next step is reinstalling with pip from a checkout.
        env.pop("SSOCKETS_LIBRARY")
        p = subprocess.run([sys.executable, "-c", "import ssockets"], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=STEP)
        err = p.stderr.decode()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("pip install ./python", err)


if __name__ == "__main__":
    unittest.main()
