#!/bin/sh
# test_install.sh — `make install` puts the libraries, the headers and
# ssockets.pc where a user's build finds them; a program compiled with
# `pkg-config --cflags --libs ssockets` against the installed copy (static
# and shared) runs; the Python package is installed where Debian's python3
# finds it and loads the installed library; `make uninstall` removes every
# installed file. CC,
# CFLAGS and LDFLAGS from the environment (make check-asan) are honoured.
set -u
build=${SS_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fail=1; }

dest="$tmp/root"
prefix=/opt/ssockets
if make --no-print-directory -s BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" install >"$tmp/log" 2>&1; then
    ok "make install DESTDIR=... PREFIX=$prefix"
else
    bad "make install failed:"; sed 's/^/    /' "$tmp/log"; exit 1
fi

for f in lib/libssockets.a lib/libssockets.so lib/libssockets.so.0 lib/pkgconfig/ssockets.pc \
    include/ssockets/ssockets.h include/ssockets/crypto/aead.h include/ssockets/net/conn.h \
    bin/ssockets share/man/man1/ssockets.1 share/bash-completion/completions/ssockets; do
    [ -e "$dest$prefix/$f" ] || bad "installed file missing: $prefix/$f"
done
# Internal headers stay private.
for f in include/ssockets/crypto/util.h include/ssockets/net/noise.h; do
    [ -e "$dest$prefix/$f" ] && bad "internal header installed: $prefix/$f"
done
[ $fail = 0 ] && ok "libraries, public headers, ssockets.pc, the command, its manual page and bash completion are installed"
grep -q "ldconfig\|LD_LIBRARY_PATH" "$tmp/log" &&
    bad "make install with DESTDIR (a staged install) talked of the dynamic linker: $(cat "$tmp/log")"

cat > "$tmp/abc.c" <<'C'
#include <ssockets.h>
#include <stdio.h>
int main(void)
{
    uint8_t d[32];
    ss_sha256(d, (const uint8_t *)"abc", 3);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    return 0;
}
C
# FIPS 180-4 example "abc" (vectors/fips180-4/sha256.txt).
want=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
export PKG_CONFIG_PATH="$dest$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs ssockets) || bad "pkg-config does not find ssockets"
if ${CC:-cc} -std=c11 ${CFLAGS:-} -o "$tmp/abc" "$tmp/abc.c" $flags ${LDFLAGS:-} -Wl,-rpath,"$dest$prefix/lib" 2>"$tmp/cc.log" &&
    [ "$("$tmp/abc")" = "$want" ]; then
    ok "a program built with pkg-config against the shared library runs"
else
    bad "building or running against the installed shared library"; sed 's/^/    /' "$tmp/cc.log"
fi
if ${CC:-cc} -std=c11 ${CFLAGS:-} -o "$tmp/abc-static" "$tmp/abc.c" $(pkg-config --cflags ssockets) ${LDFLAGS:-} \
    "$dest$prefix/lib/libssockets.a" 2>"$tmp/cc.log" && [ "$("$tmp/abc-static")" = "$want" ]; then
    ok "a program built against the installed static library runs"
else
    bad "building or running against the installed static library"; sed 's/^/    /' "$tmp/cc.log"
fi

# The Python package, installed for Debian's python3 (/usr/bin/python3) when
# there is one, else the python3 on PATH, as the Makefile chooses.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
pyinit=$(find "$dest$prefix/lib" -path '*-packages/ssockets/__init__.py' 2>/dev/null | head -n 1)
if [ -n "$pyinit" ] && [ -f "$(dirname "$pyinit")/_installed.py" ]; then
    ok "the Python package is installed (${pyinit#"$dest"})"
else
    bad "the Python package is not installed under $prefix/lib"
fi
# Installed without DESTDIR, the package finds the installed library by
# itself (the directory make install recorded), with no environment help.
p2="$tmp/prefix2"
# A library built with AddressSanitizer (make check-asan) loads into Python
# only behind the sanitizer's runtime (as in tests/test_python.sh).
preload=
if nm -D "$build/libssockets.so" 2>/dev/null | grep -q ' U __asan_init'; then
    preload="LD_PRELOAD=$(${CC:-clang} -print-file-name=libclang_rt.asan-x86_64.so) ASAN_OPTIONS=detect_leaks=0"
fi
if make --no-print-directory -s BUILD="$build" PREFIX="$p2" LDCONFIG=false install >"$tmp/log" 2>&1; then
    # Not a directory the dynamic linker searches: it says what to use, and
    # does not run ldconfig (LDCONFIG=false would have failed make).
    grep -q "LD_LIBRARY_PATH=$p2/lib" "$tmp/log" &&
        ok "make install into a prefix the linker does not search prints the LD_LIBRARY_PATH" ||
        bad "make install PREFIX=$p2 did not print LD_LIBRARY_PATH=$p2/lib: $(cat "$tmp/log")"
    pydir=$(dirname "$(dirname "$(find "$p2/lib" -path '*-packages/ssockets/__init__.py' | head -n 1)")")
    got=$(cd "$tmp" && env -u SSOCKETS_LIBRARY -u LD_LIBRARY_PATH $preload PYTHONPATH="$pydir" "$python" -c '
import threading, ssockets
l = ssockets.listener("127.0.0.1", 0)
t = threading.Thread(target=lambda: l.accept().send(b"ok"))
t.start()
with ssockets.client("127.0.0.1", l.port) as c:
    print(c.recv().decode(), ssockets.library_path)
t.join()' 2>&1)
    if [ "$got" = "ok $p2/lib/libssockets.so.0" ]; then
        ok "the installed Python package loads the installed library and connects"
    else
        bad "the installed Python package: $got"
    fi
    # Two installed copies: another prefix whose library the dynamic linker
    # finds first (LD_LIBRARY_PATH). The package installed with $p2 still
    # loads $p2's library, the one it was installed with.
    p1="$tmp/prefix1"
    if make --no-print-directory -s BUILD="$build" PREFIX="$p1" install >"$tmp/log" 2>&1; then
        got=$(cd "$tmp" && env -u SSOCKETS_LIBRARY $preload LD_LIBRARY_PATH="$p1/lib" \
            PYTHONPATH="$pydir" "$python" -c 'import ssockets; print(ssockets.library_path)' 2>&1)
        if [ "$got" = "$p2/lib/libssockets.so.0" ]; then
            ok "with two installed copies, the package loads the library of its own prefix"
        else
            bad "with two installed copies, the package of $p2 loaded: $got"
        fi
        make --no-print-directory -s BUILD="$build" PREFIX="$p1" uninstall >"$tmp/log" 2>&1
    else
        bad "make install PREFIX=$p1 failed:"; sed 's/^/    /' "$tmp/log"
    fi
    make --no-print-directory -s BUILD="$build" PREFIX="$p2" uninstall >"$tmp/log" 2>&1
    left=$(find "$p2" -type f -o -type l)
    [ -z "$left" ] || { bad "make uninstall (PREFIX=$p2) left:"; echo "$left" | sed 's/^/    /'; }
else
    bad "make install PREFIX=$p2 failed:"; sed 's/^/    /' "$tmp/log"
fi
# With the default PREFIX=/usr/local (staged under DESTDIR), the package
# lands in a directory that Debian's python3 searches.
d3="$tmp/root3"
if make --no-print-directory -s BUILD="$build" DESTDIR="$d3" PREFIX=/usr/local install >"$tmp/log" 2>&1; then
    pydir=$(dirname "$(dirname "$(find "$d3/usr/local/lib" -path '*-packages/ssockets/__init__.py' | head -n 1)")")
    pydir=${pydir#"$d3"}
    if "$python" -c 'import sys; sys.exit(0 if sys.argv[1] in sys.path else 1)' "$pydir"; then
        ok "PREFIX=/usr/local installs the Python package in $pydir, on $python's path"
    else
        bad "PREFIX=/usr/local installs the Python package in $pydir, not on $python's path"
    fi
    make --no-print-directory -s BUILD="$build" DESTDIR="$d3" PREFIX=/usr/local uninstall >"$tmp/log" 2>&1
    left=$(find "$d3" -type f -o -type l)
    [ -z "$left" ] || { bad "make uninstall (PREFIX=/usr/local) left:"; echo "$left" | sed 's/^/    /'; }
else
    bad "make install DESTDIR=... PREFIX=/usr/local failed:"; sed 's/^/    /' "$tmp/log"
fi

# A prefix the dynamic linker searches (SS_LINKER_DIRS stands for the
# linker's list, LDCONFIG for ldconfig, so that the system is not touched):
# as root, make install runs ldconfig; otherwise it says to.
p4="$tmp/prefix4"
if SS_LINKER_DIRS="/lib $p4/lib" make --no-print-directory -s BUILD="$build" PREFIX="$p4" \
    LDCONFIG="touch $tmp/ldconfig-ran" install >"$tmp/log" 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        [ -e "$tmp/ldconfig-ran" ] && grep -q "ran touch" "$tmp/log" &&
            ok "make install as root into a prefix the linker searches runs ldconfig" ||
            bad "make install as root into a linker directory did not run ldconfig: $(cat "$tmp/log")"
    else
        [ ! -e "$tmp/ldconfig-ran" ] && grep -q "sudo ldconfig" "$tmp/log" &&
            ok "make install (not root) into a prefix the linker searches says: sudo ldconfig" ||
            bad "make install (not root) into a linker directory: $(cat "$tmp/log")"
    fi
    make --no-print-directory -s BUILD="$build" PREFIX="$p4" uninstall >/dev/null 2>&1
else
    bad "make install PREFIX=$p4 failed:"; sed 's/^/    /' "$tmp/log"
fi

make --no-print-directory -s BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" uninstall >"$tmp/log" 2>&1
left=$(find "$dest" -type f -o -type l)
if [ -z "$left" ]; then
    ok "make uninstall removes every installed file"
else
    bad "make uninstall left:"; echo "$left" | sed 's/^/    /'
fi
exit $fail
