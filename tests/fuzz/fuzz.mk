# fuzz.mk — the fuzz targets (tests/fuzz), included by the Makefile.
#
#   make fuzz        builds every target with clang's libFuzzer, AddressSanitizer
#                    and UndefinedBehaviorSanitizer, and runs each for FUZZ_TIME
#                    seconds (default 60) on a fresh copy of its seed corpus and
#                    regression inputs, in $(BUILD)/fuzz/corpus/<target>. Any
#                    crash, leak, sanitizer report, harness check (a mismatch
#                    with OpenSSL or the reference model) or timeout fails; a
#                    summary table ends the run (tests/fuzz/run.sh).
#   make fuzz-ci     the same with FUZZ_TIME=30 (CI).
#   make fuzz-mutants  the test of the targets (tests/fuzz/mutants.sh): one
#                    deliberately broken library line at a time, in a copy of
#                    the tree under $(BUILD)/mutants; each must be caught within
#                    MUTANT_TIME seconds (default 120); each is also fuzzed
#                    from an empty corpus for MUTANT_SCRATCH_TIME (default 30)
#                    seconds, for information.
#   make check       builds $(BUILD)/fuzz/replay_<target>: the same target
#                    compiled with the normal $(CC) and $(CFLAGS) and
#                    tests/fuzz/replay.c's main(); tests/test_fuzz_replay.sh runs
#                    it on every committed seed and regression input.
#
# Variables: FUZZ_TIME (seconds per target), FUZZ_CC (clang), FUZZ_TARGETS (a
# subset, e.g. make fuzz FUZZ_TARGETS="frame_recv diff_aead").
#
# In the fuzz build the library itself is compiled again with coverage
# instrumentation (-fsanitize=fuzzer-no-link) and the sanitizers, into
# $(BUILD)/fuzz/obj: libFuzzer is guided by the edges it reaches in
# src/, not only in the harness.

# This fragment is included before the Makefile's `all` rule, and the first
# explicit target make meets becomes the default goal: remember the goal as
# it is now and restore it at the end, so that a plain `make` still means
# `make all`.
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_TARGETS ?= frame_recv handshake_responder handshake_initiator key_parse \
    diff_sha256 diff_hmac diff_hkdf diff_x25519 diff_chacha20 diff_poly1305 diff_aead \
    mlkem_decaps mlkem_ek
FUZZ_TIME ?= 60
MUTANT_TIME ?= 120
MUTANT_SCRATCH_TIME ?= 30
FUZZ_CC ?= clang
FUZZ_DIR = $(BUILD)/fuzz

# Shared by every target: input reading and fixed keys, the OpenSSL
# oracle, the handshake driver.
FUZZ_SUPPORT = tests/fuzz/fuzz.c tests/fuzz/oracle.c tests/fuzz/handshake.c
FUZZ_HEADERS = $(wildcard tests/fuzz/*.h src/*/*.h)
FUZZ_CPPFLAGS = -Isrc -Itests/fuzz -D_DEFAULT_SOURCE
FUZZ_LIBS = -lcrypto -pthread

# ---- replay build, for make check ----

FUZZ_REPLAY_BIN = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%)
EXTRA_TEST_BIN += $(FUZZ_REPLAY_BIN)

$(FUZZ_DIR)/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(FUZZ_SUPPORT) $(FUZZ_HEADERS) \
        $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FUZZ_CPPFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_SUPPORT) \
	    $(BUILD)/libssockets.a $(FUZZ_LIBS)

# ---- libFuzzer build, for make fuzz ----

FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -O1 -g -Wall -Wextra -Wpedantic $(FUZZ_SANITIZE)
FUZZ_LIB_OBJ = $(LIB_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SS_ISAFLAGS) -fsanitize=fuzzer-no-link $(SS_CPPFLAGS) -c $< -o $@

$(FUZZ_DIR)/libssockets-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/%.c $(FUZZ_SUPPORT) $(FUZZ_HEADERS) $(FUZZ_DIR)/libssockets-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_CPPFLAGS) -o $@ $< $(FUZZ_SUPPORT) \
	    $(FUZZ_DIR)/libssockets-fuzz.a $(FUZZ_LIBS)

# The seed generator (make_seeds.c; see tests/fuzz/README.md). It writes
# into tests/fuzz/corpus, so it only runs when asked for.
$(FUZZ_DIR)/make_seeds: tests/fuzz/make_seeds.c $(FUZZ_SUPPORT) $(FUZZ_HEADERS) \
        $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FUZZ_CPPFLAGS) $(LDFLAGS) -o $@ tests/fuzz/make_seeds.c $(FUZZ_SUPPORT) \
	    $(BUILD)/libssockets.a $(FUZZ_LIBS)

.PHONY: fuzz fuzz-run fuzz-ci fuzz-build fuzz-seeds fuzz-mutants

fuzz:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory fuzz-run

fuzz-build: $(FUZZ_BIN)

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=30

fuzz-seeds: $(FUZZ_DIR)/make_seeds
	$(FUZZ_DIR)/make_seeds tests/fuzz/corpus

fuzz-mutants:
	@sh tests/deps.sh
	@sh tests/fuzz/mutants.sh $(BUILD)/mutants $(MUTANT_TIME) $(MUTANT_SCRATCH_TIME)

-include $(FUZZ_DIR)/obj/*/*.d

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
