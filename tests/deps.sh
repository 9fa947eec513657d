#!/bin/sh
# deps.sh — make sure everything `make check` and `make bench` need is installed.
#
# On Debian as root, missing packages are installed with apt-get, and we say
# which. Anywhere else we stop and print the exact packages to install.
# Package (Debian name) : how we detect it
set -u

missing=""
want() { # want PACKAGE TEST...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}

want make          command -v make
want gcc           command -v gcc
want g++           command -v g++   # the headers in C++ (test_exports.sh, test_docs.sh)
want clang         command -v clang
want pkgconf       command -v pkg-config
want check         pkg-config --exists check
want libssl-dev    pkg-config --exists libcrypto
want libjansson-dev pkg-config --exists jansson
want libsodium-dev pkg-config --exists libsodium # make bench: the other library
want time          test -x /usr/bin/time    # make bench: peak RSS of the command
want openssl       command -v openssl
want tshark        command -v tshark
want lua5.2        command -v lua5.2    # the Wireshark dissector's crypto vs RFC 8439
want chromium      command -v chromium  # the Illustrated Connection, in a real browser
want chromium-driver command -v chromedriver
want python3-selenium /usr/bin/python3 -c 'import selenium'
want xxd           command -v xxd       # the docs' exercises show bytes with it
want python3       command -v python3   # the docs checker and exercises
want python3-cryptography /usr/bin/python3 -c 'from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305' # hfs vectors recomputed, the write-the-attack labs
want procps        command -v pgrep     # the chat test finds the chat under timeout
want gdb           command -v gdb       # the CLI's relay buffers are wiped (its memory at exit)
want man-db        command -v man       # the manual page renders (tests/test_man.sh)
want groff-base    command -v groff
# The Python package's install test: a venv of Debian's python3 and an
# offline `pip install --no-build-isolation` with Debian's setuptools.
want python3-venv  /usr/bin/python3 -c 'import venv, ensurepip'
want python3-setuptools /usr/bin/python3 -c 'import setuptools'
want python3-wheel /usr/bin/python3 -c 'import wheel'
want mypy          command -v mypy      # the Python package's type hints (mypy --strict)
want valgrind      command -v valgrind
# clang's sanitizer and libFuzzer runtimes (make check-asan, make fuzz); the
# package carries clang's major version (Debian 12: libclang-rt-14-dev).
clang_major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
want "libclang-rt-${clang_major:-14}-dev" \
    sh -c 'test -e "$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a"'

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing test packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null &&
        apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "deps: apt-get install failed for:$missing" >&2
        exit 1
    }
    exit 0
fi

echo "deps: missing packages:$missing" >&2
echo "deps: on Debian/Ubuntu run:  sudo apt-get install$missing" >&2
echo "deps: (or run 'make check' as root to have them installed)" >&2
exit 1
