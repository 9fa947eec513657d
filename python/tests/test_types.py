"""The package's type hints hold: `mypy --strict` (Debian's mypy) passes on
the package, and on a program that uses the public API the way docs/python.md
shows (so the hints a user's checker sees are the real ones, py.typed
included)."""

import os
import shutil
import subprocess
import tempfile
import unittest

from helpers import C_ENV, PYDIR, STEP

MYPY = shutil.which("mypy") or "/usr/bin/mypy"

USER = '''
import asyncio
from typing import List, Optional
import ssockets
from ssockets import aio

def serve_once(l: ssockets.listener) -> bytes:
    with l.accept() as conn:
        conn.settimeout(2.5)
        t: Optional[float] = conn.gettimeout()
        data: bytes = conn.recv()
        conn.send(data.upper())
        return data

def errors() -> List[str]:
    try:
        ssockets.client("127.0.0.1", 1, timeout=1)
    except ssockets.TimedOutError as e:
        return [e.name, e.message]
    except OSError as e:
        return [str(e)]
    return []

async def talk(port: int) -> bytes:
    async with aio.connect("127.0.0.1", port, max_size=None) as conn:
        await conn.send(b"hi")
        async for message in conn:
            return message
    return b""

async def main() -> None:
    async def handler(conn: aio.Connection) -> None:
        await conn.send(await conn.recv())
    async with aio.serve(handler, "127.0.0.1", 0) as server:
        port: int = server.port
        await talk(port)

kp: ssockets.KeyPair = ssockets.generate_keypair()
text: str = kp.public_key_text
'''


@unittest.skipUnless(os.access(MYPY, os.X_OK) or os.environ.get("CI") == "true",
                     "needs mypy (Debian: mypy; tests/deps.sh installs it)")
class Types(unittest.TestCase):

    def mypy(self, *args):
        cache = tempfile.mkdtemp(prefix="ssockets-mypy.")
        self.addCleanup(shutil.rmtree, cache, True)
        p = subprocess.run([MYPY, "--strict", "--cache-dir", cache, *args], cwd=PYDIR, env=C_ENV,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=STEP * 10)
        return p.returncode, p.stdout.decode()

    def test_package_passes_mypy_strict(self):
        status, out = self.mypy("-p", "ssockets")
        self.assertEqual(status, 0, out)

    def test_a_user_program_type_checks(self):
        d = tempfile.mkdtemp(prefix="ssockets-typed.")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "user.py")
        with open(path, "w") as f:
            f.write(USER)
        status, out = self.mypy(path)
        self.assertEqual(status, 0, out)
        # And a mistake is caught: recv() returns bytes, not str.
        with open(path, "a") as f:
            f.write("def wrong(c: ssockets.Connection) -> str:\n    return c.recv()\n")
        status, out = self.mypy(path)
        self.assertNotEqual(status, 0)
        self.assertIn('Incompatible return value type (got "bytes", expected "str")', out)


if __name__ == "__main__":
    unittest.main()
