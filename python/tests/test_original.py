"""The original library's scripts run verbatim (tests/original/README.md
says where each comes from): each pair runs as two processes in a temporary
directory, with only the import path set, on the original's fixed ports.
The client starts once the server listens (checked in /proc, without
connecting), where the original slept 2 s."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from helpers import HERE, STEP, bindable, listening, script_env, wait_until

import ssockets

ORIGINAL = os.path.join(HERE, "original")
CLIENT_LINE = b"[CLIENT] Sending the following data to the server: \"Hey, whats up server? it's me, the client talking!\"\n"
SERVER_LINE = b"[SERVER] The client sent the following data: \"Hey, whats up server? it's me, the client talking!\"\n"


class OriginalScripts(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ssockets-original.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def pair(self, server_script, client_script, port):
        """Runs the server script, then the client script once the server
        listens; returns their (status, stdout, stderr)."""
        for script in (server_script, client_script):
            shutil.copy(os.path.join(ORIGINAL, script), self.dir)
        for attempt in range(5):
            wait_until(lambda: bindable(port), "port %d stays taken by another program" % port)
            server = subprocess.Popen([sys.executable, os.path.basename(server_script)],
                                      cwd=self.dir, env=script_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            self.addCleanup(lambda: server.poll() is None and server.kill())
            try:
                wait_until(lambda: listening(port), "the server listens on %d" % port, server)
                break
            except AssertionError:
                # Another program's connection took the port between our
                # check and the server's bind: the original's "Address
                # already in use", which is not ours to fix. Try again.
                err = server.communicate(timeout=STEP)[1].decode()
                if "Address already in use" not in err or attempt == 4:
                    raise AssertionError("the server did not start: %s" % err)
        client = subprocess.run([sys.executable, os.path.basename(client_script)], cwd=self.dir,
                                env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=STEP)
        sout, serr = server.communicate(timeout=STEP)
        return ((server.returncode, sout, serr.decode()),
                (client.returncode, client.stdout, client.stderr.decode()))

    def test_readme_example(self):
        (s, sout, serr), (c, cout, cerr) = self.pair("readme_server.py", "readme_client.py", 60000)
        self.assertEqual((s, serr), (0, ""))
        self.assertEqual((c, cerr), (0, ""))
        self.assertEqual(sout, SERVER_LINE)
        self.assertEqual(cout, CLIENT_LINE)

    def test_new_api_server_replies(self):
        (s, sout, serr), (c, cout, cerr) = self.pair("new_api/server_recv_then_send.py",
                                                     "new_api/client_send_then_recv.py", 60000)
        self.assertEqual((s, serr), (0, ""))
        self.assertEqual((c, cerr), (0, ""))
        self.assertEqual(sout, SERVER_LINE + b"[SERVER] Sending the following data to the client: "
                         b"\"Hey, whats up client? it's me, the server talking!\"\n")
        lines = cout.split(b"\n")
        # print(dir(myclient)): the original's methods are all there
        for name in ("send", "recv", "save_keys", "load_keys_from_file"):
            self.assertIn(b"'%s'" % name.encode(), lines[0])
        self.assertEqual(lines[1] + b"\n", CLIENT_LINE)
        self.assertEqual(lines[2], b"[CLIENT] The server sent the following data: "
                         b"\"Hey, whats up client? it's me, the server talking!\"")

    def test_save_keys_then_load_them(self):
        # tests/save_keys/tests.sh: `touch` the key files, save over them...
        for name in ("server_keys.pem", "client_keys.pem"):
            open(os.path.join(self.dir, name), "w").close()
        (s, _, serr), (c, _, cerr) = self.pair("save_keys/s_test2.py", "save_keys/c_test2.py",
                                               60006)
        self.assertEqual((s, serr, c, cerr), (0, "", 0, ""))
        saved = {}
        for name in ("server_keys.pem", "client_keys.pem"):
            path = os.path.join(self.dir, name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, name)
            with open(path, "rb") as f:
                self.assertTrue(f.read().startswith(b"-----BEGIN PRIVATE KEY-----"), name)
            saved[name] = ssockets.load_keypair(path).public_key
        self.assertNotEqual(saved["server_keys.pem"], saved["client_keys.pem"])
        # ... then both sides load them (XX: each proves its saved key).
        (s, _, serr), (c, _, cerr) = self.pair("save_keys/s_test3.py", "save_keys/c_test3.py",
                                               60007)
        self.assertEqual((s, serr, c, cerr), (0, "", 0, ""))


if __name__ == "__main__":
    unittest.main()
