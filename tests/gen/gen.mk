# gen.mk — programs that generate committed source files (tests/gen),
# included by the Makefile.
#
#   $(BUILD)/gen/x25519_base_table   writes src/crypto/x25519_base_table.h
#                                    (the X25519 base-point table)
#
# tests/test_x25519_table.sh runs each one and fails if its output differs
# from the committed file; src/crypto/x25519_base.c says how to regenerate.

GEN_SAVED_GOAL := $(.DEFAULT_GOAL)

EXTRA_TEST_BIN += $(BUILD)/gen/x25519_base_table

$(BUILD)/gen/x25519_base_table: tests/gen/x25519_base_table.c src/crypto/x25519_field.h \
    src/crypto/util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ tests/gen/x25519_base_table.c

-include $(BUILD)/gen/*.d

.DEFAULT_GOAL := $(GEN_SAVED_GOAL)
