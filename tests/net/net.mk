# tests/net — adversarial network tests: a frame-aware attacking proxy, a
# man in the middle, and raw hostile peers against the real library
# (tests/net/test_adversary.c). Included by the Makefile; `make check` builds
# $(BUILD)/tests/test_adversary and tests/run.sh runs it with the others.

NET_TEST_OBJ = $(BUILD)/tests/net/test_adversary.o $(BUILD)/tests/net/proxy.o

$(NET_TEST_OBJ): $(BUILD)/tests/net/%.o: tests/net/%.c tests/net/proxy.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) -Itests -Itests/net -c $< -o $@

$(BUILD)/tests/test_adversary: $(NET_TEST_OBJ) $(BUILD)/tests/common.o $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(NET_TEST_OBJ) $(BUILD)/tests/common.o \
	    $(BUILD)/libssockets.a $(TEST_LIBS)

EXTRA_TEST_BIN += $(BUILD)/tests/test_adversary

-include $(NET_TEST_OBJ:.o=.d)
