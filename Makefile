# SSockets — GNU make, in the Monocypher manner: no autotools, no CMake.
#
#   make                 build/libssockets.a, build/libssockets.so, build/ssockets
#   make check           install missing test packages (as root), build, run every test
#   make bench           speed and memory beside libsodium, OpenSSL and TLS 1.3
#                        (tests/bench; opt-in, a few minutes, nothing asserted)
#   make check-long      the slow opt-in tests (RFC 7748 1,000,000 iterations,
#                        1,000,000 differential cases per primitive)
#   make install         PREFIX=/usr/local DESTDIR= (libraries, headers, ssockets.pc,
#                        the command, its manual page ssockets(1) and bash
#                        completion, and the Python package for Debian's python3;
#                        then ldconfig, or the command to run: see
#                        tools/ldconfig_after_install.sh)
#   make illustrated     docs/illustrated/index.html, from real traced sessions (commit it)
#   make uninstall / make clean

CC ?= cc
CFLAGS ?= -std=c11 -O2 -Wall -Wextra -Wpedantic
LDFLAGS ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
LDCONFIG ?= ldconfig
DESTDIR ?=
BUILD ?= build
# The Python package python/ssockets is installed for this interpreter
# (Debian's own python3, not one that may come first on PATH), into its
# dist-packages (Debian) or site-packages under PREFIX; PREFIX=/usr/local
# gives a directory that Debian's python3 searches. Skipped without Python.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
PYTHONDIR ?= $(shell $(PYTHON) -c 'import sys, sysconfig; print("$(PREFIX)/lib/python%d.%d/%s" % (sys.version_info[:2] + ("dist-packages" if "deb_system" in sysconfig.get_scheme_names() else "site-packages",)))' 2>/dev/null)
PY_SRC := $(wildcard python/ssockets/*.py)
# 0.2: private keys are PEM only (docs/cli.md, "Keys"); the close frame
# carries a reason (docs/protocol.md).
VERSION = 0.2.0
SONAME = libssockets.so.0

# Always added: the include root, POSIX/BSD declarations (getaddrinfo,
# getrandom), position-independent code for the shared library, and hidden
# symbols by default (only SS_API functions are exported; see export.h).
SS_CPPFLAGS = -Isrc -D_DEFAULT_SOURCE -MMD -MP
SS_LIBFLAGS = -fPIC -fvisibility=hidden

LIB_SRC := $(wildcard src/crypto/*.c src/net/*.c)

# Fast paths (docs/performance.md) are files of their own, each compiled
# with the instruction-set flags it needs, so that the rest of the library
# stays baseline x86-64; cpu.c decides at run time whether they may run. On
# other machines no flag is added and the files compile to nothing.
# SS_ISAFLAGS is expanded in each compile rule (also tests/*/*.mk), where $<
# is the source file.
ifneq ($(filter x86_64-% amd64-%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
SS_ISA_chacha20_avx2 = -mavx2
SS_ISA_chacha20_avx512 = -mavx512f -mavx512vl -mavx512bw
SS_ISA_poly1305_avx512 = -mavx512f -mavx512vl -mavx512ifma
SS_ISA_mlkem_avx2 = -mavx2
SS_ISA_poly1305_avx2 = -mavx2
SS_ISA_sha3x4_avx2 = -mavx2
SS_ISA_sha256_shani = -msse4.1 -msha
SS_ISA_x25519_mulx = -mbmi2 -madx -fno-tree-vectorize
endif
SS_ISAFLAGS = $(SS_ISA_$(basename $(notdir $<)))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)

PUBLIC_HEADERS = src/ssockets.h \
    src/crypto/export.h src/crypto/sha256.h src/crypto/sha3.h src/crypto/mlkem.h \
    src/crypto/hmac.h src/crypto/hkdf.h \
    src/crypto/x25519.h src/crypto/chacha20.h src/crypto/poly1305.h src/crypto/aead.h \
    src/crypto/random.h src/net/error.h src/net/trace.h src/net/keys.h src/net/engine.h \
    src/net/conn.h

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_LIBS = $(shell pkg-config --libs check) -lcrypto -ljansson -pthread

# Examples: every examples/**/*.c is one program, built against the static
# library exactly as a user would build against the installed one.
EXAMPLE_SRC := $(wildcard examples/*.c examples/*/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:%.c=$(BUILD)/%)

ifneq ($(CLI_SRC),)
CLI_BIN = $(BUILD)/ssockets
endif

# Test suites with their own build rules (tests/ct, tests/fuzz, ...) keep
# them in a fragment beside their sources; a fragment may append programs
# to EXTRA_TEST_BIN, which `make check` builds before running the tests.
EXTRA_TEST_BIN =
.DEFAULT_GOAL := all
include $(sort $(wildcard tests/*/*.mk))

.PHONY: all check check-run check-long check-asan check-valgrind tests install uninstall clean demo \
    illustrated

all: $(BUILD)/libssockets.a $(BUILD)/libssockets.so $(CLI_BIN) $(EXAMPLE_BIN)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_ISAFLAGS) $(SS_CPPFLAGS) $(SS_LIBFLAGS) -c $< -o $@

$(BUILD)/libssockets.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libssockets.so: $(LIB_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) -o $@ $^

# The command prints VERSION (ssockets --version); its objects are rebuilt
# when the Makefile, and so maybe VERSION, changes.
$(CLI_OBJ): SS_CPPFLAGS += -DSS_VERSION='"$(VERSION)"'
$(CLI_OBJ): Makefile

$(BUILD)/ssockets: $(CLI_OBJ) $(BUILD)/libssockets.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libssockets.a -pthread

$(BUILD)/examples/%: examples/%.c $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -D_DEFAULT_SOURCE $(LDFLAGS) -o $@ $< $(BUILD)/libssockets.a -pthread

# Tests link the static archive, so they can reach internal functions
# (e.g. the Noise handshake with fixed ephemeral keys).
$(BUILD)/tests/common.o: tests/common.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(BUILD)/tests/common.o $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/tests/common.o \
	    $(BUILD)/libssockets.a $(TEST_LIBS)

tests: all $(TEST_BIN) $(EXTRA_TEST_BIN)

# check: first make sure the test-only packages are there (tests/deps.sh
# installs them with apt-get when run as root, or names them), then build
# and run in a second make so that pkg-config sees the fresh install.
check:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory check-run

check-run: tests
	@sh tests/run.sh $(BUILD)

check-long:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory tests
	@SS_LONG=1 sh tests/run.sh $(BUILD)

# The same tests under clang's AddressSanitizer and UndefinedBehaviorSanitizer
# (any report aborts the test), in a build directory of their own.
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check-asan:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CC=clang \
	    CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Wpedantic $(ASAN_FLAGS)" \
	    LDFLAGS="$(ASAN_FLAGS)" check-run

# The test programs under valgrind memcheck: zero errors and zero leaks
# (tests/run.sh adds valgrind and runs Check without fork).
check-valgrind:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory tests
	@SS_VALGRIND=1 sh tests/run.sh $(BUILD)

# Written on every install: it holds PREFIX, which may differ from the last
# install's (a file target that only depended on Makefile kept a stale one).
.PHONY: $(BUILD)/ssockets.pc
$(BUILD)/ssockets.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	    'Name: ssockets' 'Description: Encrypted, authenticated sockets (Noise, X25519, ChaCha20-Poly1305), written to be read' \
	    'Version: $(VERSION)' 'Libs: -L$${libdir} -lssockets' 'Cflags: -I$${includedir}/ssockets' > $@

install: all $(BUILD)/ssockets.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/ssockets/crypto $(DESTDIR)$(INCLUDEDIR)/ssockets/net
	install -m 644 $(BUILD)/libssockets.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libssockets.so $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libssockets.so
	for h in $(PUBLIC_HEADERS); do \
	    install -m 644 $$h $(DESTDIR)$(INCLUDEDIR)/ssockets/$${h#src/}; done
	install -m 644 $(BUILD)/ssockets.pc $(DESTDIR)$(PKGCONFIGDIR)/
	if [ -n "$(CLI_BIN)" ]; then install -d $(DESTDIR)$(BINDIR) && \
	    install -m 755 $(CLI_BIN) $(DESTDIR)$(BINDIR)/ssockets; fi
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 man/ssockets.1 $(DESTDIR)$(MANDIR)/man1/ssockets.1
	install -m 644 completion/ssockets.bash $(DESTDIR)$(BASHCOMPDIR)/ssockets
	@# The Python package, and where it finds the library (_installed.py).
	if [ -n "$(PYTHONDIR)" ]; then install -d $(DESTDIR)$(PYTHONDIR)/ssockets && \
	    install -m 644 $(PY_SRC) python/ssockets/py.typed $(DESTDIR)$(PYTHONDIR)/ssockets/ && \
	    printf '%s\n' '# Written by make install: where libssockets.so.0 was installed.' \
	        'LIBDIR = "$(LIBDIR)"' > $(DESTDIR)$(PYTHONDIR)/ssockets/_installed.py; \
	else echo "make install: no $(PYTHON): the Python package is not installed"; fi
	@sh tools/ldconfig_after_install.sh "$(DESTDIR)" "$(LIBDIR)" "$(LDCONFIG)"

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libssockets.a $(DESTDIR)$(LIBDIR)/libssockets.so \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(PKGCONFIGDIR)/ssockets.pc \
	    $(DESTDIR)$(BINDIR)/ssockets $(DESTDIR)$(MANDIR)/man1/ssockets.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/ssockets
	rm -rf $(DESTDIR)$(INCLUDEDIR)/ssockets
	if [ -n "$(PYTHONDIR)" ]; then rm -rf $(DESTDIR)$(PYTHONDIR)/ssockets; fi

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/tests/*.d

# The README's first command: a real encrypted exchange on loopback.
demo: all
	@sh src/cli/demo.sh $(BUILD)

# The Illustrated SSockets Connection: one page, every byte of real NN, NK,
# XX and XXhfs sessions explained and recomputed (tests/test_illustrated.sh checks
# that the committed page equals a fresh one).
illustrated: all
	@SS_BUILD=$(BUILD) python3 docs/illustrated/generate.py docs/illustrated/index.html
