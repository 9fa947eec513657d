"""The ctypes mirror of ss_config (_lib.py) matches src/net/engine.h: the same
fields in the same order, at the same offsets, as the C compiler lays them
out. When engine.h gains a field, this test names it, and _lib.ss_config is
the one place to add it."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from helpers import C_ENV, ROOT, STEP

from ssockets import _lib

CONFIG_H = os.path.join(ROOT, "src", "net", "engine.h")


def c_fields():
    """The field names of ss_config, in order, read from engine.h."""
    with open(CONFIG_H) as f:
        text = f.read()
    body = re.search(r"typedef struct \{(.*?)\} ss_config;", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = []
    for decl in body.split(";")[:-1]:
        m = (re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)          # const uint8_t (*name)[32]
             or re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", decl))   # type name, type name[N]
        names.append(m.group(1))
    return names


class ConfigLayout(unittest.TestCase):

    def test_same_fields(self):
        mirrored = [name for name, _ in _lib.ss_config._fields_]
        self.assertEqual(mirrored, c_fields(), "update _lib.ss_config to match engine.h")

    @unittest.skipUnless(shutil.which(os.environ.get("CC") or "cc"), "no C compiler")
    def test_same_offsets(self):
        fields = [name for name, _ in _lib.ss_config._fields_]
        prog = ("#include <stddef.h>\n#include <stdio.h>\n#include \"net/conn.h\"\n"
                "int main(void)\n{\n")
        prog += '    printf("%zu\\n", sizeof(ss_config));\n'
        for name in fields:
            prog += '    printf("%%zu\\n", offsetof(ss_config, %s));\n' % name
        prog += "    return 0;\n}\n"
        d = tempfile.mkdtemp(prefix="ssockets-layout.")
        self.addCleanup(shutil.rmtree, d, True)
        with open(os.path.join(d, "layout.c"), "w") as f:
            f.write(prog)
        # No sanitizer flags: only the layout is asked for.
        subprocess.run([os.environ.get("CC") or "cc", "-std=c11", "-I", os.path.join(ROOT, "src"),
                        "-o", os.path.join(d, "layout"), os.path.join(d, "layout.c")],
                       check=True, timeout=STEP, env=C_ENV)
        out = subprocess.run([os.path.join(d, "layout")], stdout=subprocess.PIPE, check=True,
                             env=C_ENV, timeout=STEP).stdout.decode().split()
        import ctypes
        self.assertEqual(int(out[0]), ctypes.sizeof(_lib.ss_config))
        self.assertEqual([int(x) for x in out[1:]],
                         [getattr(_lib.ss_config, name).offset for name in fields])


if __name__ == "__main__":
    unittest.main()
