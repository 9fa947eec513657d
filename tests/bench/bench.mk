# bench.mk — make bench (tests/bench), included by the Makefile.
#
#   make bench       the primitives beside libsodium and OpenSSL, the network
#                    beside TLS 1.3 (OpenSSL libssl), memory, and instruction
#                    counts under callgrind (tests/bench/run.sh). Opt-in, not
#                    part of make check: it takes a few minutes and its
#                    figures are reported, never asserted.
#
# SS_CPU=ref|portable|sse2|avx2|avx512|sha|adx (src/crypto/cpu.c) measures one path;
# SS_BENCH_BULK_MIB (default 1024) sizes the bulk transfer;
# SS_BENCH_CONNECTIONS (default 10000) the connections the server holds.

BENCH_SAVED_GOAL := $(.DEFAULT_GOAL)

BENCH_DIR = $(BUILD)/bench
BENCH_BIN = $(BENCH_DIR)/bench_primitives $(BENCH_DIR)/bench_net $(BENCH_DIR)/cg_target

.PHONY: bench bench-run

bench:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(BENCH_BIN)
	@sh tests/bench/run.sh $(BUILD)

$(BENCH_DIR)/bench_primitives: tests/bench/bench.c $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libssockets.a \
	    $(shell pkg-config --libs libsodium) -lcrypto

$(BENCH_DIR)/bench_net: tests/bench/bench_net.c $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libssockets.a -lssl -lcrypto \
	    -pthread

$(BENCH_DIR)/cg_target: tests/bench/cg_target.c $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libssockets.a

-include $(BENCH_DIR)/*.d

.DEFAULT_GOAL := $(BENCH_SAVED_GOAL)
