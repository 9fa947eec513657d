"""Building the wheel of `pip install ./python`: the package, plus the C
library compiled from this checkout and shipped inside the package
(ssockets/libssockets.so.0, as PyNaCl ships libsodium), so that the
installed package needs no `make install`, no ldconfig and no environment
variable. Offline: the compiler, make and the setuptools already installed
(pip's --no-build-isolation); nothing is fetched.

The library is built by the checkout's Makefile into a directory of the
wheel build (BUILD=...), so the checkout's own build/ is left alone."""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SONAME = "libssockets.so.0"


class BuildWithLibrary(build_py):
    """build_py, then libssockets.so from ../src into the built package."""

    def run(self):
        super().run()
        if not (os.path.exists(os.path.join(ROOT, "src", "ssockets.h"))
                and os.path.exists(os.path.join(ROOT, "Makefile"))):
            raise SystemExit("ssockets: the C library is built from the checkout this directory "
                             "belongs to, and %s holds no src/ssockets.h and Makefile: run pip "
                             "install on the python/ directory of an SSockets checkout" % ROOT)
        out = os.path.abspath(os.path.join(self.build_lib, "ssockets"))
        work = os.path.abspath(os.path.join(os.path.dirname(self.build_lib), "ssockets-lib"))
        os.makedirs(out, exist_ok=True)
        make = os.environ.get("MAKE", "make")
        # Not a sub-make of whatever make runs pip (make check-asan passes
        # its BUILD and sanitizer flags down that way): the library shipped
        # is built with the Makefile's defaults (CC and CFLAGS from the
        # environment are honoured).
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
        subprocess.run([make, "-C", ROOT, "--no-print-directory", "BUILD=" + work,
                        os.path.join(work, "libssockets.so")], check=True, env=env)
        shutil.copyfile(os.path.join(work, "libssockets.so"), os.path.join(out, SONAME))
        os.chmod(os.path.join(out, SONAME), 0o755)


class BinaryDistribution(Distribution):
    """The wheel holds a compiled library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
