# ct.mk — the constant-time check (tests/ct), included by the Makefile.
#
#   $(BUILD)/ct/ct        ct.c linked against $(BUILD)/libssockets.a: the
#                         library exactly as `make` builds it, with the same
#                         $(CC) and $(CFLAGS) (default -O2). That is the
#                         machine code users run, and the code checked; no
#                         flags of its own (-O0 or a sanitizer would produce,
#                         and check, other code). A sanitizer build (make
#                         check-asan) cannot run under valgrind: the test
#                         says so and skips.
#   $(BUILD)/ct/leaky     the test of the test (leaky.c): known leaks that
#                         valgrind must report.
#   $(BUILD)/ct/ct-clang  when clang is installed: the same program with the
#                         whole library compiled again by clang (same CFLAGS,
#                         objects in $(BUILD)/ct/clang/), since a compiler
#                         may turn a mask back into a branch that another
#                         compiler leaves alone.
#
# tests/test_ct.sh runs them under valgrind (make check).

# This fragment is included before the Makefile's `all` rule, and the first
# explicit target make meets becomes the default goal: remember the goal
# as it is now, and restore it at the end, so that a plain `make` still
# means `make all`.
CT_SAVED_GOAL := $(.DEFAULT_GOAL)

CT_CLANG := $(shell command -v clang 2>/dev/null)

EXTRA_TEST_BIN += $(BUILD)/ct/ct $(BUILD)/ct/leaky

$(BUILD)/ct/ct: tests/ct/ct.c $(BUILD)/libssockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ tests/ct/ct.c $(BUILD)/libssockets.a

$(BUILD)/ct/leaky: tests/ct/leaky.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ tests/ct/leaky.c

ifneq ($(CT_CLANG),)
CT_CLANG_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/ct/clang/obj/%.o)

EXTRA_TEST_BIN += $(BUILD)/ct/ct-clang

# With -g, clang 14 writes DWARF 5 debug info, which valgrind 3.19 cannot
# read; ask for DWARF 4 then (debug info never changes the machine code).
CT_CLANG_DWARF := $(if $(filter -g%,$(CFLAGS)),-gdwarf-4)

$(BUILD)/ct/clang/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(CFLAGS) $(SS_ISAFLAGS) $(CT_CLANG_DWARF) $(SS_CPPFLAGS) $(SS_LIBFLAGS) -c $< -o $@

$(BUILD)/ct/clang/libssockets.a: $(CT_CLANG_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ct/ct-clang: tests/ct/ct.c $(BUILD)/ct/clang/libssockets.a
	@mkdir -p $(dir $@)
	clang $(CFLAGS) $(CT_CLANG_DWARF) $(SS_CPPFLAGS) $(LDFLAGS) -o $@ tests/ct/ct.c \
	    $(BUILD)/ct/clang/libssockets.a
endif

-include $(BUILD)/ct/*.d $(BUILD)/ct/clang/obj/*/*.d

.DEFAULT_GOAL := $(CT_SAVED_GOAL)
