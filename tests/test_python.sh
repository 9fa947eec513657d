#!/bin/sh
# test_python.sh — the Python package python/ssockets (the original API over
# libssockets.so): Python's unittest over python/tests, loopback only. The
# original library's scripts run verbatim, Python talks to build/ssockets,
# every exception class is raised by a real failure, the socket habits
# (timeouts, Ctrl-C, close from another thread, max_size, wiping) and
# ssockets.aio hold, `mypy --strict` passes, and `pip install ./python`
# works offline in a venv. Run by tests/run.sh with SS_BUILD set.
set -u
build=${SS_BUILD:-build}
if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok - python3 is needed (Debian: apt-get install python3; tests/deps.sh)"
    exit 1
fi
if [ ! -f "$build/libssockets.so" ] || [ ! -x "$build/ssockets" ]; then
    echo "not ok - $build/libssockets.so and $build/ssockets must be built first (make)"
    exit 1
fi
lib=$(cd "$build" && pwd)/libssockets.so
# A library built with AddressSanitizer (make check-asan) loads into Python
# only behind the sanitizer's runtime; Python's own allocations are not
# ours to judge, so leak checking is off there.
if nm -D "$lib" 2>/dev/null | grep -q ' U __asan_init'; then
    rt=$(${CC:-clang} -print-file-name=libclang_rt.asan-x86_64.so 2>/dev/null)
    if [ ! -f "$rt" ]; then
        echo "not ok - $lib uses AddressSanitizer, and its runtime library was not found"
        exit 1
    fi
    export LD_PRELOAD="$rt" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
export SS_BUILD="$build" SSOCKETS_LIBRARY="$lib" PYTHONDONTWRITEBYTECODE=1
exec python3 -m unittest discover -v -s python/tests -t python/tests
