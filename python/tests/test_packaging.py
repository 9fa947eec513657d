"""`pip install ./python` works in a venv of Debian's python3, offline (no
package index: --no-index, and Debian's setuptools through
--no-build-isolation): its build compiles libssockets.so from the checkout
and ships it inside the package, so the installed package runs a real
exchange with no environment variable, no `make install` and no ldconfig.
(`make install` / `make uninstall` are tested by tests/test_install.sh.)"""

import os
import shutil
import subprocess
import tempfile
import unittest

from helpers import C_ENV, PYDIR, ROOT

DEBIAN_PYTHON = "/usr/bin/python3"
# Run by the installed package, outside the source tree.
EXCHANGE = r"""
import os, threading, ssockets
assert "site-packages" in ssockets.__file__, ssockets.__file__
assert ssockets.library_path == os.path.join(os.path.dirname(ssockets.__file__),
                                             "libssockets.so.0"), ssockets.library_path
l = ssockets.listener("127.0.0.1", 0)
t = threading.Thread(target=lambda: l.accept().send(b"installed and working"))
t.start()
with ssockets.client("127.0.0.1", l.port) as c:
    print(c.recv().decode(), c.protocol_name)
t.join()
"""


def debian_python_can_build():
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        return False
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import venv, ensurepip, setuptools, wheel"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return probe.returncode == 0


# Under CI the packages are installed by tests/deps.sh: a skip there would
# mean the test silently stopped testing, so it fails instead.
@unittest.skipUnless(debian_python_can_build() or os.environ.get("CI") == "true",
                     "needs /usr/bin/python3 with venv, setuptools and wheel (Debian: "
                     "python3-venv python3-setuptools python3-wheel; tests/deps.sh installs them)")
class PipInstall(unittest.TestCase):

    def test_pip_install_in_a_venv(self):
        tmp = tempfile.mkdtemp(prefix="ssockets-pip.")
        self.addCleanup(shutil.rmtree, tmp, True)
        # A copy of the checkout (what the build reads: the package, the C
        # sources and the Makefile), so that the build's litter (build/,
        # *.egg-info) stays out of the source tree.
        checkout = os.path.join(tmp, "checkout")
        src = os.path.join(checkout, "python")
        shutil.copytree(PYDIR, src, ignore=shutil.ignore_patterns(
            "tests", "__pycache__", "build", "*.egg-info", "_installed.py", "*.so*"))
        shutil.copytree(os.path.join(ROOT, "src"), os.path.join(checkout, "src"),
                        ignore=shutil.ignore_patterns("*.o", "*.d"))
        shutil.copy(os.path.join(ROOT, "Makefile"), checkout)
        venv = os.path.join(tmp, "venv")
        subprocess.run([DEBIAN_PYTHON, "-m", "venv", "--system-site-packages", venv],
                       check=True, timeout=120)
        # Without the sanitizer runtime and flags of make check-asan: the
        # build compiles the library with the Makefile's defaults, and the
        # venv's Python loads that one by itself.
        build_env = {k: v for k, v in C_ENV.items()
                     if k not in ("CC", "CFLAGS", "LDFLAGS", "MAKEFLAGS", "MFLAGS")}
        pip = subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--no-index",
                              "--no-build-isolation", "--disable-pip-version-check", src],
                             env=build_env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(pip.returncode, 0, pip.stdout.decode())
        # No help from the environment: the package finds its own library.
        env = {k: v for k, v in C_ENV.items()
               if k not in ("PYTHONPATH", "SSOCKETS_LIBRARY", "LD_LIBRARY_PATH")}
        run = subprocess.run([os.path.join(venv, "bin", "python"), "-c", EXCHANGE], cwd=tmp,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout.decode())
        self.assertEqual(run.stdout.decode(),
                         "installed and working Noise_NN_25519_ChaChaPoly_SHA256\n")


if __name__ == "__main__":
    unittest.main()
