# load.mk — the load test (tests/net/test_load.c), included by the Makefile.
#
#   $(BUILD)/tests/test_load   plays 200 clients against the real example
#                              server, $(BUILD)/examples/echo_server, which it
#                              starts as a child process (found beside its own
#                              directory, or at $SS_ECHO_SERVER). It is built
#                              like every tests/test_*.c program, and depends
#                              on the server so `make check` builds both.
#                              tests/run.sh runs it with the other programs.

EXTRA_TEST_BIN += $(BUILD)/tests/test_load

$(BUILD)/tests/test_load: tests/net/test_load.c $(BUILD)/tests/common.o $(BUILD)/libssockets.a \
    $(BUILD)/examples/echo_server $(BUILD)/examples/echo_server_threads
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/tests/common.o \
	    $(BUILD)/libssockets.a $(TEST_LIBS)
