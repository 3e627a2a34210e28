# libFuzzer targets and sanitizer builds.  Included at the end of
# the top Makefile, so BUILD, LIB_OBJS, SKELS, PKG_CFLAGS and PKG_LIBS are
# already defined.  Everything is built with clang into $(BUILD)/fuzz/ and
# $(BUILD)/asan/, never mixed with the gcc objects in $(BUILD)/.
#
#   make fuzz-build     the fuzzers, $(BUILD)/fuzz/fuzz_*
#   make fuzz           each fuzzer for FUZZ_SECONDS on a copy of the corpus
#   make fuzz-replay    each fuzzer over tests/fuzz/corpus only (CI: seconds)
#   make sanitize       the unit tests under ASan+UBSan, TAP output

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
ASAN_DIR     := $(BUILD)/asan

FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
ASAN_TESTS := $(patsubst tests/unit/%.c,$(ASAN_DIR)/tests/%,$(wildcard tests/unit/test_*.c))

# The top Makefile's CFLAGS carry gcc-only -Werror expectations; these are
# clang's, with frame pointers for readable stacks.  UBSan never recovers:
# a report must be a crash libFuzzer (and the test runner) can see.
FUZZ_BASE_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -D_GNU_SOURCE \
	-Ibpf -I$(BUILD) -Iuserspace -Iloader $(PKG_CFLAGS)
FUZZ_SAN     := address,undefined
FUZZ_CFLAGS  := $(FUZZ_BASE_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -fno-sanitize-recover=all
FUZZ_LDFLAGS := -fsanitize=fuzzer,$(FUZZ_SAN)
ASAN_CFLAGS  := $(FUZZ_BASE_CFLAGS) -fsanitize=$(FUZZ_SAN) -fno-sanitize-recover=all
FUZZ_LDLIBS  := $(PKG_LIBS) $(OPENSSL_LIBS) -lpthread -lm

# every daemon object but main.o, rebuilt with the sanitizers
FUZZ_LIB_OBJS := $(patsubst $(BUILD)/%.o,$(FUZZ_DIR)/obj/%.o,$(LIB_OBJS))
ASAN_LIB_OBJS := $(patsubst $(BUILD)/%.o,$(ASAN_DIR)/obj/%.o,$(LIB_OBJS))
FUZZ_HDRS := $(wildcard bpf/*.h userspace/*.h loader/*.h)

# libFuzzer options: fd 1 and 2 closed while fuzzing (options_parse and the
# key loader print on every bad input; sanitizer reports still get through)
FUZZ_RUN_OPTS ?= -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz-build fuzz fuzz-replay sanitize
# named only in pattern rules, they would be deleted as intermediates
.SECONDARY: $(FUZZ_LIB_OBJS) $(ASAN_LIB_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c $(SKELS) $(FUZZ_HDRS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(ASAN_DIR)/obj/%.o: %.c $(SKELS) $(FUZZ_HDRS)
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(ASAN_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(wildcard tests/bpf/*.h) $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -Itests/bpf $< $(FUZZ_LIB_OBJS) $(FUZZ_LDFLAGS) -o $@ $(FUZZ_LDLIBS)

# the differential target loads the program with the BPF suites' fixture
$(FUZZ_DIR)/fuzz_xdp_diff: tests/fuzz/fuzz_xdp_diff.c tests/bpf/fixture.c tests/fuzz/fuzz_util.h \
		$(wildcard tests/bpf/*.h) $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -Itests/bpf $< tests/bpf/fixture.c $(FUZZ_LIB_OBJS) \
		$(FUZZ_LDFLAGS) -o $@ $(FUZZ_LDLIBS)

$(ASAN_DIR)/tests/%: tests/unit/%.c $(ASAN_LIB_OBJS)
	$(call msg,ASAN-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(ASAN_CFLAGS) $< $(ASAN_LIB_OBJS) -o $@ $(UNIT_LDFLAGS_$*) $(FUZZ_LDLIBS) -lcmocka

fuzz-build: $(FUZZ_BINS)

# A bounded run per target on a scratch copy of the corpus (new inputs land
# there, not in the repository); crashes go to $(FUZZ_DIR)/artifacts/.
# Every target runs even when one crashes; the goal fails if any did.
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/artifacts; failed=""; \
	for f in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_DIR)/corpus/$$f; mkdir -p $(FUZZ_DIR)/corpus/$$f; \
		cp tests/fuzz/corpus/$$f/* $(FUZZ_DIR)/corpus/$$f/ 2>/dev/null; \
		echo "# fuzz: $$f for $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$f.dict ] && dict=-dict=tests/fuzz/$$f.dict; \
		./$(FUZZ_DIR)/$$f $(FUZZ_RUN_OPTS) $$dict -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$f- \
			$(FUZZ_DIR)/corpus/$$f >$(FUZZ_DIR)/$$f.log 2>&1 || failed="$$failed $$f"; \
		grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' \
			$(FUZZ_DIR)/$$f.log | sed 's/^/#   /'; \
	done; \
	if [ -n "$$failed" ]; then \
		for f in $$failed; do echo "not ok - $$f crashed, see $(FUZZ_DIR)/$$f.log"; \
			grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|Assertion|deadly signal' \
				$(FUZZ_DIR)/$$f.log; done; \
		ls $(FUZZ_DIR)/artifacts/; exit 1; \
	fi; echo "fuzz: no crash in $(FUZZ_NAMES)"

# Every seed once: a regression test, seconds long.
fuzz-replay: fuzz-build
	@failed=0; for f in $(FUZZ_NAMES); do \
		if ./$(FUZZ_DIR)/$$f -runs=0 tests/fuzz/corpus/$$f >$(FUZZ_DIR)/$$f.replay.log 2>&1; then \
			echo "ok - $$f replays $$(ls tests/fuzz/corpus/$$f | wc -l) seeds"; \
		else \
			echo "not ok - $$f crashed on its corpus"; tail -30 $(FUZZ_DIR)/$$f.replay.log; \
			failed=$$((failed + 1)); \
		fi; \
	done; [ $$failed -eq 0 ]

# The unit tests, built by clang with ASan+UBSan, in TAP like tests/run.sh.
sanitize: $(ASAN_TESTS)
	@passed=0; failed=0; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	export ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}; \
	export UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1}; \
	for t in $(ASAN_TESTS); do \
		out=$$(./$$t 2>&1); rc=$$?; printf '%s\n' "$$out" | sed 's/^/#   /'; \
		ok=$$(printf '%s\n' "$$out" | grep -c '^ok '); \
		nok=$$(printf '%s\n' "$$out" | grep -c '^not ok '); \
		if [ $$rc -eq 0 ] && [ $$nok -eq 0 ] && [ $$ok -gt 0 ]; then \
			echo "ok - $$(basename $$t) under ASan+UBSan ($$ok checks)"; passed=$$((passed + 1)); \
		else \
			echo "not ok - $$(basename $$t) under ASan+UBSan: $$nok of $$((ok + nok)) failed, status $$rc"; \
			failed=$$((failed + 1)); fi; \
	done; echo "# $$passed suites passed, $$failed failed under the sanitizers"; [ $$failed -eq 0 ]
