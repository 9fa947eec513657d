#!/bin/sh
# test_docs.sh — the docs cannot rot: every reference, command, C example
# and worked-example value in docs/*.md and README.md is checked against the
# code as it is now. Run by tests/run.sh (make check) after everything is
# built, with SS_BUILD set to the build directory, from the repository root.
#
#   sh tests/test_docs.sh                  check docs/*.md and README.md
#   sh tests/test_docs.sh docs/x.md ...    check only these files
#   sh tests/test_docs.sh --update [FILE]  rewrite every output block after
#                                          <!-- doc-test: output-of-previous -->
#                                          with what its command prints now
#                                          (then read the diff before committing)
#
# The conventions (fixed for every docs author; numbers as in the messages):
#
#  1. References. [`ident`](../src/x.c#L10-L20) (or #L10): the file exists,
#     1 <= 10 <= 20 <= its line count, and ident occurs in lines 10..20 (as a
#     whole word when it is an identifier). When ident is defined in that file
#     (a function, a typedef, a table, a macro, a test, a Python def), the
#     range must hold the whole definition, from its first line to its
#     closing brace: then even a one-line shift is caught. (A range may start
#     earlier, at the comment above.) Any other relative link must name
#     an existing file or directory, and an #anchor into a markdown file must
#     match one of its headings (GitHub's rule for heading anchors). A path
#     written in backticks that starts with src/, tests/, docs/, vectors/ or
#     examples/ must exist too. A line number written any other way
#     ("conn.c:120", "noise.c line 40") cannot be checked, so it is refused.
#  2. Every ```sh block runs with `bash -e` from the repository root (stdin
#     /dev/null, 60 s limit, its whole process group stopped afterwards) and
#     must exit 0 (-x is added, so that a failure shows the failing command).
#     A block must not leave files in the repository (scratch goes to mktemp).
#     It runs under bash, the shell a student pastes it into. A program
#     that `make` does not build (build/tests/..., build/ct/...) is built by
#     a `make -s PROGRAM` line in the block itself, so the block works when
#     pasted after `make`. Commands belong in ```sh: a ```bash, ```shell or
#     ```console block would be shown but never run, so it is refused.
#  3. Every ```c block compiles with cc -std=c11 -Wall -Wextra -Wpedantic
#     -Werror -Isrc, and again as C++ with g++ -x c++ -std=c++11 (the same
#     warnings: a C++ program includes the same headers); with an `int main`
#     each build is linked with the static library and run (60 s) and must
#     exit 0. <!-- doc-test: peer "COMMAND" --> right
#     before the block starts COMMAND first and waits for its "listening on"
#     line; the peer is stopped when the program has ended.
#  4. <!-- doc-test: output-of-previous --> before a ```text block: that
#     block must equal, exactly, the standard output of the ```sh (or
#     ```python) block just before it. And no value can sneak past this: every hex string of 16 or
#     more digits outside code blocks and in ```text blocks must appear in a
#     checked output or a command of the same file, or in vectors/ (a fact
#     transcribed from a standard).
#
#  5. Every ```python block runs with python3 from the repository root, with
#     the package python/ssockets importable and using the build's library
#     (60 s, stdin /dev/null, no litter) and must exit 0. A block preceded by
#     <!-- doc-test: python-server --> is started in the background; the next
#     ```python block runs once that server listens on a TCP port, and the
#     server must then end by itself, with status 0.
#
# Commands in the docs say build/...; when SS_BUILD names another build
# directory (make check-asan), build/ is read as $SS_BUILD/ when running them.
#
# Output: one "ok - FILE: counts" or "not ok - FILE:LINE: what" per file and
# problem; exit status 1 if anything failed. python3 does the parsing (it
# is preinstalled where SSockets is built; this script says so if not).
set -u

build=${SS_BUILD:-build}
# The outputs shown in the docs are those of the default configuration:
# `make check-long` (SS_LONG=1) runs more vectors, which the docs do not show.
unset SS_LONG
# A docs block that runs `make check` would run this script again, and so
# on: the inner run does nothing (the outer one reports the slow block).
if [ -n "${SS_DOCS_NESTED:-}" ]; then
    echo "ok - docs: not checked again from inside a docs block"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok - docs: python3 is needed to check the docs (install the python3 package)"
    exit 1
fi
if [ ! -x "$build/ssockets" ] || [ ! -f "$build/libssockets.a" ]; then
    echo "not ok - docs: $build/ssockets and $build/libssockets.a must be built first (make)"
    exit 1
fi

exec python3 - "$build" "$@" <<'PYTHON'
import difflib
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
args = sys.argv[2:]
UPDATE = "--update" in args
files = [a for a in args if a != "--update"]
if not files:
    files = sorted(glob.glob("docs/*.md")) + ["README.md"]

TIMEOUT = 60          # seconds, per sh block, C program or peer
PEER_WAIT = 10        # seconds a peer has to print its "listening on" line
ROOT = os.getcwd()
CC = os.environ.get("CC") or "cc"
CXX = os.environ.get("CXX") or "g++"
# make check-asan builds with sanitizers: a program linked against that
# library needs the same flags (make exports LDFLAGS to its commands).
LDFLAGS = os.environ.get("LDFLAGS", "").split()

failures = 0


def fail(path, line, message):
    global failures
    failures += 1
    print("not ok - %s:%d: %s" % (path, line, message))


def show(text, prefix="#   "):
    for l in text.rstrip("\n").split("\n")[-40:]:
        print(prefix + l)


def for_build(text):
    """Commands say build/...; run them against SS_BUILD."""
    if BUILD == "build":
        return text
    return re.sub(r"(?<![\w./-])build/", BUILD.rstrip("/") + "/", text)


# ---------------------------------------------------------------- parsing

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")


class Block:
    def __init__(self, info, start, lines, directive, directive_line):
        self.info = info            # "sh", "c", "text", "" ...
        self.start = start          # line number of the opening fence
        self.lines = lines          # content lines
        self.directive = directive  # the doc-test directive just before, or None
        self.directive_line = directive_line

    @property
    def text(self):
        return "".join(l + "\n" for l in self.lines)


def parse(path, source):
    """Splits a markdown file into fenced blocks and prose lines (outside
    code blocks and HTML comments)."""
    blocks, prose = [], []          # prose: (line number, text)
    lines = source.split("\n")
    pending = None                  # (directive, line) waiting for its block
    in_comment = False
    i = 0
    while i < len(lines):
        line = lines[i]
        m = None if in_comment else FENCE.match(line)
        if m:
            indent, fence, info = len(m.group(1)), m.group(2), m.group(3).lower()
            start, content, closed = i + 1, [], False
            closing = re.compile(r"^\s*" + re.escape(fence[0]) + "{%d,}\s*$" % len(fence))
            i += 1
            while i < len(lines) and not closing.match(lines[i]):
                l = lines[i]
                # Content is indented like its fence (a block inside a list).
                content.append(l[indent:] if l[:indent].strip() == "" else l)
                i += 1
            if i == len(lines):
                fail(path, start, "this ``` block is never closed")
            directive, dline = pending if pending else (None, 0)
            blocks.append(Block(info, start, content, directive, dline))
            pending = None
            i += 1
            continue
        d = DIRECTIVE.match(line)
        if d and not in_comment:
            if pending:
                fail(path, pending[1], "doc-test directive not followed by a ``` block")
            pending = (d.group(1), i + 1)
            i += 1
            continue
        if "doc-test" in line and "<!--" in line:
            fail(path, i + 1, "malformed doc-test directive (expected <!-- doc-test: ... --> "
                 "alone on its line)")
        if line.strip() and pending:
            fail(path, pending[1], "doc-test directive must come right before its ``` block")
            pending = None
        if in_comment:
            if "-->" not in line:
                i += 1
                continue
            in_comment = False
            line = line.split("-->", 1)[1]
        line = re.sub(r"<!--.*?-->", "", line)
        if "<!--" in line:
            in_comment = True
            line = line.split("<!--", 1)[0]
        prose.append((i + 1, line))
        i += 1
    if pending:
        fail(path, pending[1], "doc-test directive not followed by a ``` block")
    return blocks, prose


# ---------------------------------------------------------------- 1. references

def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path):
    anchors, seen = set(), {}
    try:
        source = open(path, encoding="utf-8").read()
    except OSError:
        return anchors
    in_fence = False
    for line in source.split("\n"):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not in_fence:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            anchors.add(s if n == 0 else "%s-%d" % (s, n))
    return anchors


line_counts = {}


def file_lines(path):
    if path not in line_counts:
        with open(path, encoding="utf-8", errors="replace") as f:
            line_counts[path] = f.read().split("\n")
            if line_counts[path] and line_counts[path][-1] == "":
                line_counts[path].pop()
    return line_counts[path]


def definitions(lines, ident, path):
    """Where ident is defined in the file: (first, last) line spans of a C
    function definition (signature to closing brace), a typedef ending in
    "} ident;", a table "... ident[] = {" to its "};", a #define, a Check
    START_TEST ... END_TEST, or a Python def. Declarations do not count."""
    e = re.escape(ident)
    spans, n = [], len(lines)
    for i, l in enumerate(lines):
        if path.endswith(".py"):
            if re.match(r"^def %s\(" % e, l):
                k = i + 1
                while k < n and (lines[k] == "" or lines[k][:1] in (" ", "\t")):
                    k += 1
                while lines[k - 1] == "":
                    k -= 1
                spans.append((i + 1, k))
            continue
        if re.match(r"^[A-Za-z_][\w \t*]*\b%s\s*\(" % e, l) or \
                re.match(r"^START_TEST\(%s\)" % e, l):
            j = i
            while j < n and not re.search(r"[{;]\s*$", lines[j]):
                j += 1
            if j >= n or lines[j].rstrip().endswith(";"):
                continue  # a prototype
            k = j
            while k < n and not lines[k].startswith(("}", "END_TEST")):
                k += 1
            if k < n:
                spans.append((i + 1, k + 1))
        elif re.match(r"^\}\s*%s\s*;" % e, l):
            j = i
            while j >= 0 and not re.match(r"^typedef\b", lines[j]):
                j -= 1
            if j >= 0:
                spans.append((j + 1, i + 1))
        elif re.match(r"^[A-Za-z_][\w ]*\b%s\s*\[[^\]]*\]\s*=" % e, l):
            k = i
            while k < n and not lines[k].startswith("}"):
                k += 1
            if k < n:
                spans.append((i + 1, k + 1))
        elif re.match(r"^#\s*define\s+%s\b" % e, l):
            k = i
            while k < n - 1 and lines[k].rstrip().endswith("\\"):
                k += 1
            spans.append((i + 1, k + 1))
    return spans


LINK = re.compile(r"!?\[((?:[^\[\]\n]|\n(?!\n)|\[[^\]\n]*\])*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PATH_IN_CODE = re.compile(r"`((?:src|tests|docs|vectors|examples)/[^`\s]*)`")
LOOSE_LINE_REF = re.compile(
    r"\b[\w./-]+\.(?:c|h|sh|md)(?::\d+|[ \t]+lines?[ \t]+\d+|#L\d+)\b")


def check_references(path, prose):
    """Convention 1. Returns the number of code references checked."""
    here = os.path.dirname(path)
    refs = 0
    # The prose as one text, code blocks blanked, so that a link whose text
    # wraps onto the next line is still found; offsets give line numbers.
    last = prose[-1][0] if prose else 0
    by_line = dict(prose)
    text_all = "\n".join(by_line.get(n, "") for n in range(1, last + 1))

    def line_of(offset):
        return text_all.count("\n", 0, offset) + 1

    for m in LINK.finditer(text_all):
        lineno = line_of(m.start())
        text, target = re.sub(r"\s+", " ", m.group(1)), m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto: — not checked offline
        if target.startswith("#"):
            file_part, anchor = path, target[1:]
        else:
            file_part, _, anchor = target.partition("#")
            file_part = os.path.normpath(os.path.join(here, file_part))
        if os.path.isabs(file_part) or file_part.startswith(".."):
            fail(path, lineno, "link %s leaves the repository" % target)
            continue
        if not os.path.exists(file_part):
            fail(path, lineno, "link %s: %s does not exist" % (target, file_part))
            continue
        lr = re.match(r"^L(\d+)(?:-L(\d+))?$", anchor)
        code = re.match(r"^`([^`]+)`$", text)
        if lr:
            refs += 1
            start = int(lr.group(1))
            end = int(lr.group(2) or start)
            if not os.path.isfile(file_part):
                fail(path, lineno, "%s: a line range needs a file" % target)
                continue
            lines = file_lines(file_part)
            if not 1 <= start <= end <= len(lines):
                fail(path, lineno, "%s: lines %d-%d, but %s has %d lines"
                     % (target, start, end, file_part, len(lines)))
                continue
            if not code:
                fail(path, lineno, "%s: the text of a line reference must be a backticked "
                     "identifier, e.g. [`mix_key`](...), so that it can be checked" % target)
                continue
            ident = code.group(1)
            if IDENT.match(ident):
                found = re.compile(r"\b%s\b" % re.escape(ident))
                ok = any(found.search(l) for l in lines[start - 1:end])
            else:
                ok = any(ident in l for l in lines[start - 1:end])
            spans = definitions(lines, ident, file_part) if IDENT.match(ident) else []
            if ok and spans and not any(start <= a and b <= end for a, b in spans):
                fail(path, lineno, "%s: lines %d-%d do not hold the whole definition of `%s` "
                     "(lines %s)" % (target, start, end, ident,
                                     " or ".join("%d-%d" % sp for sp in spans)))
            if not ok:
                # Say where it went, if it is still in the file.
                where = [str(n + 1) for n, l in enumerate(lines) if ident in l][:5]
                if spans:
                    where_text = " (it is defined in lines %s)" % " or ".join(
                        "%d-%d" % sp for sp in spans)
                elif where:
                    where_text = " (it occurs in lines %s)" % ", ".join(where)
                else:
                    where_text = " (nor anywhere in the file)"
                fail(path, lineno, "%s: `%s` does not occur in lines %d-%d%s"
                     % (target, ident, start, end, where_text))
        elif anchor:
            if file_part.endswith(".md") and anchor.lower() not in anchors_of(file_part):
                fail(path, lineno, "link %s: %s has no heading with the anchor #%s"
                     % (target, file_part, anchor))
    for m in PATH_IN_CODE.finditer(text_all):
        p = m.group(1).rstrip(".,:;)")
        if any(c in p for c in "*?<>[]{}$"):
            continue  # a pattern or a placeholder, not a file
        p = re.sub(r"#L\d+(-L\d+)?$", "", p)
        if not os.path.exists(p):
            fail(path, line_of(m.start()), "`%s` does not exist" % p)
    outside_links = LINK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text_all)
    for m in LOOSE_LINE_REF.finditer(outside_links):
        fail(path, line_of(m.start()), "'%s': a line number that cannot be checked; write "
             "[`identifier`](path#Lstart-Lend) (convention 1)" % m.group(0))
    return refs


# ---------------------------------------------------------------- running

def run_group(argv, stdout, stderr, timeout, **kw):
    """Runs argv in its own process group; afterwards stops whatever it left
    running in that group (a background listener). Returns (status, timed_out)."""
    p = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=stdout,
                         stderr=stderr, start_new_session=True, **kw)
    timed_out = False
    try:
        status = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        status = None
    if timed_out:
        # A polite stop first (make and timeout pass it on), then no choice.
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    return status, timed_out


def env():
    e = dict(os.environ)
    e["SS_BUILD"] = BUILD
    e["SS_DOCS_NESTED"] = "1"
    # A block's `make -s PROGRAM` may run inside make check: it keeps make's
    # command-line variables (BUILD, CC, CFLAGS of make check-asan) but not
    # its flags: -w would print "Entering directory" into the block's
    # output, and the jobserver's descriptors are not passed on.
    flags = e.get("MAKEFLAGS", "")
    assignments = flags[3:] if flags.startswith("-- ") else flags.partition(" -- ")[2]
    e["MAKEFLAGS"] = "--no-print-directory" + (" -- " + assignments if assignments else "")
    e.pop("MFLAGS", None)
    return e


def python_env():
    """Convention 5: what a Python user has after `make`: the package on the
    import path, the library of this build."""
    e = env()
    lib = os.path.abspath(os.path.join(BUILD, "libssockets.so"))
    e["PYTHONPATH"] = os.path.join(ROOT, "python")
    e["SSOCKETS_LIBRARY"] = lib
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    # A library built with AddressSanitizer (make check-asan) loads into
    # Python only behind the sanitizer's runtime.
    nm = subprocess.run(["nm", "-D", lib], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if re.search(rb" U __asan_init\b", nm.stdout):
        rt = subprocess.run([os.environ.get("CC") or "clang",
                             "-print-file-name=libclang_rt.asan-x86_64.so"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        e["LD_PRELOAD"] = rt.stdout.decode().strip()
        e["ASAN_OPTIONS"] = "detect_leaks=0"
    return e


def listens(pid):
    """Whether process pid has a TCP socket in the LISTEN state."""
    try:
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "0A" and fields[9] in inodes:
                        return True
        except OSError:
            pass
    return False


def start_python_server(path, block, scratch):
    """Convention 5: a python-server block, in the background, until it
    listens. Returns (process, its output file) or (None, None)."""
    script = os.path.join(scratch, "server.py")
    with open(script, "w") as f:
        f.write(block.text)
    out_path = os.path.join(scratch, "server.out")
    deadline = time.time() + TIMEOUT      # Python starts slowly on a loaded machine
    while True:
        out = open(out_path, "wb")
        p = subprocess.Popen([sys.executable, script], cwd=ROOT, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                             env=python_env())
        out.close()
        while time.time() < deadline:
            if listens(p.pid):
                return p, out_path
            if p.poll() is not None:
                break
            time.sleep(0.02)
        # A fixed port (the original examples use 60000) lies in Linux's
        # range of ephemeral ports: another program's connection may hold it
        # for a moment on a busy machine. Try again until PEER_WAIT is over.
        if p.poll() is None or time.time() >= deadline or \
                "Address already in use" not in open(out_path, errors="replace").read():
            break
        time.sleep(0.2)
    fail(path, block.start, "python-server block did not start listening (%s)" % (
        "still running" if p.poll() is None else "exited %d" % p.returncode))
    show(open(out_path, errors="replace").read())
    stop_peer(p)
    return None, None


def run_python(path, block, scratch, server=None):
    """Convention 5. Returns the block's stdout, or None if it failed."""
    script = os.path.join(scratch, "block.py")
    with open(script, "w") as f:
        f.write(block.text)
    out_path, err_path = os.path.join(scratch, "out"), os.path.join(scratch, "err")
    before = tree_entries()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        status, timed_out = run_group([sys.executable, script], out, err, TIMEOUT,
                                      env=python_env())
    ok = not timed_out and status == 0
    if server is not None:
        p, server_out = server
        try:
            p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        if p.poll() != 0:
            fail(path, block.start, "the python-server block before this one %s" % (
                "did not end" if p.poll() is None else "exited %d" % p.poll()))
            show(open(server_out, errors="replace").read())
        stop_peer(p)
    check_litter(path, block, before)
    return block_output(path, block, "python", not ok, timed_out, status, out_path, err_path)


def block_output(path, block, kind, failed, timed_out, status, out_path, err_path):
    """A block's stdout; or, when it failed, None after reporting how, with
    what it printed."""
    out = open(out_path, encoding="utf-8", errors="replace").read()
    err = open(err_path, encoding="utf-8", errors="replace").read()
    if not failed:
        return out
    fail(path, block.start, "%s block %s" % (kind, "did not end within %d s" % TIMEOUT
                                             if timed_out else "exited %d" % status))
    if out:
        print("#   stdout:")
        show(out)
    if err:
        print("#   stderr:")
        show(err)
    return None


def tree_entries():
    """What the repository root holds, to notice a block's litter."""
    return set(os.listdir("."))


def check_litter(path, block, before):
    """Blocks run in the repository root, so scratch files must go to mktemp.
    New files are reported, not removed: they could be someone else's."""
    new = sorted(tree_entries() - before)
    if new:
        fail(path, block.start, "the block left %s in the repository; use mktemp for "
             "scratch files (then delete these)" % ", ".join(new))


def run_sh(path, block, scratch):
    """Convention 2. Returns the block's stdout, or None if it failed."""
    script = os.path.join(scratch, "block.sh")
    with open(script, "w") as f:
        f.write(for_build(block.text))
    out_path, err_path = os.path.join(scratch, "out"), os.path.join(scratch, "err")
    before = tree_entries()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        # -x only adds the commands to stderr, which is shown on failure.
        status, timed_out = run_group(["bash", "-e", "-x", script], out, err, TIMEOUT,
                                       env=env())
    check_litter(path, block, before)
    return block_output(path, block, "sh", timed_out or status != 0, timed_out, status,
                        out_path, err_path)


# What `make` (all) builds: the library, the command and the examples.
# Anything else under build/ that a block runs is built by the block itself.
NOT_BUILT_BY_MAKE = re.compile(r"\bbuild/(?:tests|ct|bench|gen|fuzz)/[\w./-]+")


def check_built(path, block):
    """Convention 2: a reader pastes a block after `make`, so a program that
    `make` does not build is named in a `make` command of the block first."""
    made = set()
    for line in block.lines:
        m = re.match(r"^\s*make\b(.*)$", line)
        if m:
            made.update(m.group(1).split("#")[0].split())
    for t in sorted(set(NOT_BUILT_BY_MAKE.findall(block.text))):
        if t not in made:
            fail(path, block.start, "%s is not built by `make`: begin the block with "
                 "`make -s %s` (convention 2)" % (t, t))


def start_peer(path, block, command, scratch):
    err_path = os.path.join(scratch, "peer.err")
    err = open(err_path, "wb")
    p = subprocess.Popen(["sh", "-c", for_build(command)], cwd=ROOT, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                         env=env())
    err.close()
    deadline = time.time() + PEER_WAIT
    while time.time() < deadline:
        if "listening on" in open(err_path, errors="replace").read():
            return p, err_path
        if p.poll() is not None:
            break
        time.sleep(0.05)
    fail(path, block.directive_line, "peer %r did not print its \"listening on\" line" % command)
    show(open(err_path, errors="replace").read())
    stop_peer(p)
    return None, err_path


def stop_peer(p):
    """The peer usually ends with the session; give it a moment, then stop it."""
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def run_c(path, block, scratch):
    """Convention 3: as C, then as C++ (g++: the headers' extern "C")."""
    for compiler in ([CC, "-std=c11"], [CXX, "-x", "c++", "-std=c++11"]):
        if not run_c_as(path, block, scratch, compiler):
            return


def run_c_as(path, block, scratch, compiler):
    """Compiles the block with compiler (a list: the command and its
    language flags) and runs it if it has a main. False if it failed."""
    src = os.path.join(scratch, "example.c")
    with open(src, "w") as f:
        f.write(block.text)
    has_main = re.search(r"\bint\s+main\s*\(", block.text) is not None
    exe = os.path.join(scratch, "example")
    flags = compiler + ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Isrc"]
    if has_main:
        argv = flags + [src, "-x", "none", os.path.join(BUILD, "libssockets.a"), "-pthread"] + \
            LDFLAGS + ["-o", exe]
    else:
        argv = flags + ["-c", src, "-o", exe + ".o"]
    try:
        cc = subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except FileNotFoundError:
        fail(path, block.start, "c block: %s is not installed" % compiler[0])
        return False
    except subprocess.TimeoutExpired:
        fail(path, block.start, "c block: the compiler did not end within %d s" % TIMEOUT)
        return False
    if cc.returncode != 0:
        fail(path, block.start, "c block does not compile: %s" % " ".join(argv))
        show(cc.stdout.decode(errors="replace").replace(src, "(block)"))
        return False
    if not has_main:
        return True
    peer = None
    m = re.match(r'^peer\s+"(.*)"$', block.directive or "")
    if m:
        peer, _ = start_peer(path, block, m.group(1), scratch)
        if peer is None:
            return False
    out_path = os.path.join(scratch, "c.out")
    before = tree_entries()
    with open(out_path, "wb") as out:
        status, timed_out = run_group([exe], out, subprocess.STDOUT, TIMEOUT, env=env())
    if peer is not None:
        stop_peer(peer)
    check_litter(path, block, before)
    if timed_out or status != 0:
        fail(path, block.start, "c program (%s) %s" % (
            compiler[0], "did not end within %d s" % TIMEOUT if timed_out
            else "exited %d" % status))
        show(open(out_path, errors="replace").read())
        return False
    return True


# ---------------------------------------------------------------- 4. values

HEX = re.compile(r"\b[0-9a-fA-F]{16,}\b")
vector_text = None


def in_vectors(value):
    global vector_text
    if vector_text is None:
        parts = []
        for dirpath, _, names in os.walk("vectors"):
            for n in names:
                try:
                    parts.append(open(os.path.join(dirpath, n), errors="replace").read())
                except OSError:
                    pass
        vector_text = re.sub(r"\s+", "", "\n".join(parts)).lower()
    return value.lower() in vector_text


def check_values(path, blocks, prose, checked):
    """Every long hex value shown must come from a checked output, a command
    or the vectors."""
    known = "".join(checked).lower()
    known += "".join(b.text for b in blocks if b.info in ("sh", "c")).lower()
    shown = [(n, l) for n, l in prose]
    for b in blocks:
        if b.info == "text" and b.directive != "output-of-previous":
            shown += [(b.start + 1 + k, l) for k, l in enumerate(b.lines)]
    for lineno, line in shown:
        for m in HEX.finditer(line):
            v = m.group(0)
            if v.lower() not in known and not in_vectors(v):
                fail(path, lineno, "%s...: a value that no command here produces and no "
                     "vector file holds; show it in an output block (convention 4)" % v[:16])


# ---------------------------------------------------------------- one file

def check_file(path):
    before = failures
    try:
        source = open(path, encoding="utf-8").read()
    except OSError as e:
        fail(path, 0, "cannot read: %s" % e)
        return
    blocks, prose = parse(path, source)
    refs = check_references(path, prose)
    counts = {"sh": 0, "c": 0, "python": 0, "output": 0}
    server = None                 # a python-server block waiting for its client
    checked = []
    updates = []                  # (block, new text) for --update
    last_sh_out = None            # stdout of the sh block just before, if it ran
    previous = None
    with tempfile.TemporaryDirectory(prefix="ssockets-docs.") as scratch:
        for b in blocks:
            if b.directive is not None:
                if b.directive == "output-of-previous":
                    if b.info != "text":
                        fail(path, b.directive_line, "output-of-previous must precede a "
                             "```text block, not ```%s" % b.info)
                    elif previous is None or previous.info not in ("sh", "python"):
                        fail(path, b.directive_line, "output-of-previous: the block before "
                             "must be a ```sh or ```python block")
                    elif last_sh_out is not None:
                        counts["output"] += 1
                        want = b.text
                        if UPDATE:
                            updates.append((b, last_sh_out))
                            checked.append(last_sh_out)
                        elif last_sh_out != want:
                            fail(path, b.start, "output differs from what the command above "
                                 "(line %d) prints now (convention 4); --- doc, +++ now:"
                                 % previous.start)
                            for l in list(difflib.unified_diff(
                                    want.split("\n"), last_sh_out.split("\n"),
                                    "doc", "now", lineterm="", n=1))[:60]:
                                print("#   " + l)
                        else:
                            checked.append(want)
                elif re.match(r'^peer\s+"(.*)"$', b.directive):
                    if b.info != "c":
                        fail(path, b.directive_line, "a peer directive must precede a ```c block")
                elif b.directive == "python-server":
                    if b.info != "python":
                        fail(path, b.directive_line, "python-server must precede a ```python "
                             "block")
                else:
                    fail(path, b.directive_line, "unknown doc-test directive %r" % b.directive)
            if server is not None and b.info != "python":
                fail(path, b.start, "a python-server block must be followed by the ```python "
                     "block that connects to it")
                stop_peer(server[0])
                server = None
            if b.info == "python" and b.directive == "python-server":
                counts["python"] += 1
                p, out = start_python_server(path, b, scratch)
                server = (p, out) if p is not None else None
                last_sh_out = None
            elif b.info == "python":
                counts["python"] += 1
                last_sh_out = run_python(path, b, scratch, server)
                server = None
            elif b.info == "sh":
                counts["sh"] += 1
                check_built(path, b)
                last_sh_out = run_sh(path, b, scratch)
            elif b.info == "c":
                counts["c"] += 1
                run_c(path, b, scratch)
            elif b.info in ("bash", "shell", "console", "shell-session", "zsh", "terminal"):
                fail(path, b.start, "```%s: commands go in ```sh blocks, which are run; output "
                     "in ```text (convention 2)" % b.info)
            previous = b
        if server is not None:
            fail(path, len(source.split("\n")), "a python-server block has no client block after it")
            stop_peer(server[0])
    if UPDATE and updates:
        lines = source.split("\n")
        for b, new in reversed(updates):
            body = new[:-1].split("\n") if new.endswith("\n") else new.split("\n")
            if new == "":
                body = []
            lines[b.start:b.start + len(b.lines)] = body
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        print("# %s: %d output blocks rewritten" % (path, len(updates)))
    check_values(path, blocks, prose, checked)
    if failures == before:
        print("ok - %s: %d references, %d sh blocks, %d c blocks, %d python blocks, %d outputs "
              "compared" % (path, refs, counts["sh"], counts["c"], counts["python"],
                            counts["output"]))


start = time.time()
for path in files:
    t = time.time()
    check_file(path)
    if time.time() - t > 30:
        print("# %s took %.0f s" % (path, time.time() - t))
print("# docs checked in %.1f s" % (time.time() - start))
sys.exit(1 if failures else 0)
PYTHON
