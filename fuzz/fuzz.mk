# Fuzzing.  Included by the top Makefile.
#
#   make fuzz [FUZZ_TIME=60] [FUZZ_TARGETS="iomem config"]
#       builds every target with clang -fsanitize=fuzzer,address,undefined
#       and runs each for FUZZ_TIME seconds, one after the other, starting
#       from the committed corpus fuzz/corpus/<target>/ (new inputs go to
#       $(B)/fuzz/corpus/<target>, crashes to $(B)/fuzz/artifacts/).
#       Commit every crasher under fuzz/corpus/<target>/ with its fix.
#   make fuzz-replay
#       every committed corpus file through its target once, built with
#       $(CC) and ASan+UBSan and a plain main() (fuzz/replay.c): needs no
#       libFuzzer runtime.  Part of `make check`.

FUZZ_TARGETS ?= iomem zoneinfo sysfs_attr classification config control \
	udev_rules plan_add
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_B := $(B)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_LIB_SRCS := $(LIB_SRCS)
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:src/%.c=$(FUZZ_B)/obj/%.o)
FUZZ_HDRS := fuzz/fuzz.h tests/unit/simtree.h

.PHONY: fuzz fuzz-build fuzz-replay

$(FUZZ_B)/obj $(FUZZ_B)/corpus $(FUZZ_B)/artifacts:
	mkdir -p $@

# libFuzzer builds: the library instrumented for coverage, too.
$(FUZZ_B)/obj/%.o: src/%.c $(HDRS) | $(FUZZ_B)/obj
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
		-c -o $@ $<
$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJS) $(FUZZ_HDRS) $(HDRS)
	$(FUZZ_CC) $(BASE_CFLAGS) -Itests/unit -O1 -g -fsanitize=fuzzer \
		$(FUZZ_SAN) -o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS)

# Replay builds: $(CC) with the sanitized library of the unit tests.
$(FUZZ_B)/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(LIB_OBJS_ASAN) $(FUZZ_HDRS) \
		$(HDRS) | $(FUZZ_B)/obj
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< \
		fuzz/replay.c $(LIB_OBJS_ASAN) $(PKG_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)

fuzz: fuzz-build | $(FUZZ_B)/corpus $(FUZZ_B)/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus/$$t; \
		echo "== fuzz $$t for $(FUZZ_TIME) s"; \
		$(FUZZ_B)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 \
			-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_B)/artifacts/$$t- \
			$(FUZZ_B)/corpus/$$t fuzz/corpus/$$t; \
	done

fuzz-replay: $(FUZZ_TARGETS:%=$(FUZZ_B)/replay_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		$(FUZZ_B)/replay_$$t fuzz/corpus/$$t; done

CHECK_TARGETS += fuzz-replay
