# csrc/rules.mk - C unit tests and fuzzing of the vpcflow core.
#
# Included by the top-level Makefile (paths are relative to the repository
# root), or used directly:  make -f csrc/rules.mk ctest ctest-asan fuzz-smoke
#
#   ctest       build every csrc/tests/test_*.c (gcc, -Werror) against the
#               core and run it, once per gzip backend installed
#   ctest-asan  the same under AddressSanitizer + UBSan (leak checking on)
#   fuzz        build every csrc/fuzz/fuzz_*.c (clang libFuzzer + ASan +
#               UBSan) and fuzz a copy of csrc/fuzz/corpus/NAME for
#               FUZZ_SECONDS (300) each
#   fuzz-smoke  the same binaries for FUZZ_SMOKE_SECONDS (20) each; fails on any crash
#
# New tests and fuzz targets need no change here: a file named
# csrc/tests/test_X.c or csrc/fuzz/fuzz_X.c (corpus in csrc/fuzz/corpus/X/)
# is found and built.  Everything is built out of tree under build/.
# Variables are prefixed CT_ so that they do not clash with the including Makefile.

CC ?= gcc
# make's built-in default for CC is "cc", which `?=` does not replace
ifeq ($(origin CC),default)
CC := gcc
endif
CT_CLANG ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20

CT_BUILD := build
# the core: every C file but the binding, the tests and the fuzz targets
CT_CORE_SRCS := $(sort $(shell find csrc -name '*.c' -not -path 'csrc/py/*' -not -path 'csrc/tests/*' -not -path 'csrc/fuzz/*'))
CT_CORE_HDRS := $(sort $(shell find csrc -name '*.h' -not -path 'csrc/py/*'))
CT_BASE_LIBS := -lzstd -lsnappy -lz -lm
CT_DEFS := -D_GNU_SOURCE
# optional decoders, as setup.py finds them
ifneq ($(wildcard /usr/include/lz4.h),)
CT_DEFS += -DVF_HAVE_LZ4
CT_BASE_LIBS += -llz4
endif
ifneq ($(wildcard /usr/include/brotli/decode.h),)
CT_DEFS += -DVF_HAVE_BROTLI
CT_BASE_LIBS += -lbrotlidec
endif
# gzip backends: the fastest present is the default (as setup.py picks it);
# `ctest` also runs the tests against each other one that is installed.
CT_GZIP_ALL := $(if $(wildcard /usr/include/isa-l/igzip_lib.h),isal) zlib
CT_GZIP := $(firstword $(CT_GZIP_ALL))
CT_GZIP_DEFS_isal := -DVF_HAVE_ISAL
CT_GZIP_LIBS_isal := -lisal
CT_LIBS := $(CT_GZIP_LIBS_$(CT_GZIP)) $(CT_BASE_LIBS)

CT_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -pthread $(CT_DEFS) -Icsrc
CT_ASAN_CFLAGS := -std=c11 -Wall -Wextra -Werror -pthread $(CT_DEFS) $(CT_GZIP_DEFS_$(CT_GZIP)) -Icsrc \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
CT_FUZZ_CFLAGS := -std=c11 -Wall -Wextra -pthread $(CT_DEFS) $(CT_GZIP_DEFS_$(CT_GZIP)) -Icsrc \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1

CT_TESTS := $(sort $(patsubst csrc/tests/%.c,%,$(wildcard csrc/tests/test_*.c)))
CT_TEST_HDRS := $(wildcard csrc/tests/*.h)
CT_FUZZERS := $(sort $(patsubst csrc/fuzz/fuzz_%.c,%,$(wildcard csrc/fuzz/fuzz_*.c)))
CT_FUZZ_ARGS := -timeout=20 -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1

.PHONY: ctest ctest-asan fuzz fuzz-smoke ctest-clean
.SECONDEXPANSION:
# the core objects and archives are kept between runs
.SECONDARY:

# The core is compiled once per configuration into an archive that every
# test (or fuzz target) of that configuration links: build/obj/<cfg>/libvfcore.a.
# Configurations: ctest-isal, ctest-zlib (gcc -O2), asan (gcc ASan+UBSan),
# fuzz (clang libFuzzer+ASan+UBSan).  Objects depend on every core header.
CT_CFG_FLAGS_ctest-isal := $(CT_CFLAGS) $(CT_GZIP_DEFS_isal)
CT_CFG_FLAGS_ctest-zlib := $(CT_CFLAGS)
CT_CFG_FLAGS_asan := $(CT_ASAN_CFLAGS)
CT_CFG_FLAGS_fuzz := $(CT_FUZZ_CFLAGS)
CT_CFG_CC_ctest-isal := $(CC)
CT_CFG_CC_ctest-zlib := $(CC)
CT_CFG_CC_asan := $(CC)
CT_CFG_CC_fuzz := $(CT_CLANG)
ct_objs = $(patsubst csrc/%.c,$(CT_BUILD)/obj/$(1)/%.o,$(CT_CORE_SRCS))

define CT_CFG_RULES
$(CT_BUILD)/obj/$(1)/%.o: csrc/%.c $(CT_CORE_HDRS) csrc/rules.mk
	@mkdir -p $$(@D)
	$(CT_CFG_CC_$(1)) $(CT_CFG_FLAGS_$(1)) -c -o $$@ $$<
$(CT_BUILD)/obj/$(1)/libvfcore.a: $(call ct_objs,$(1))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach c,ctest-isal ctest-zlib asan fuzz,$(eval $(call CT_CFG_RULES,$(c))))

# build/ctest/<gzip>/<test>
$(CT_BUILD)/ctest/%: $(CT_BUILD)/obj/ctest-$$(firstword $$(subst /, ,$$*))/libvfcore.a $(CT_CORE_HDRS) $(CT_TEST_HDRS) csrc/tests/$$(notdir $$*).c
	@mkdir -p $(@D)
	$(CC) $(CT_CFLAGS) $(CT_GZIP_DEFS_$(patsubst %/,%,$(dir $*))) -o $@ csrc/tests/$(notdir $*).c \
		$(CT_BUILD)/obj/ctest-$(patsubst %/,%,$(dir $*))/libvfcore.a \
		$(CT_GZIP_LIBS_$(patsubst %/,%,$(dir $*))) $(CT_BASE_LIBS)

$(CT_BUILD)/ctest-asan/%: $(CT_BUILD)/obj/asan/libvfcore.a $(CT_CORE_HDRS) $(CT_TEST_HDRS) csrc/tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CT_ASAN_CFLAGS) -o $@ csrc/tests/$*.c $(CT_BUILD)/obj/asan/libvfcore.a $(CT_LIBS)

ctest: $(foreach g,$(CT_GZIP_ALL),$(foreach t,$(CT_TESTS),$(CT_BUILD)/ctest/$(g)/$(t)))
	@set -e; for g in $(CT_GZIP_ALL); do for t in $(CT_TESTS); do \
	  echo "== C unit tests: $$t, gzip via $$g"; $(CT_BUILD)/ctest/$$g/$$t; done; done

ctest-asan: $(foreach t,$(CT_TESTS),$(CT_BUILD)/ctest-asan/$(t))
	@set -e; for t in $(CT_TESTS); do echo "== C unit tests under ASan+UBSan: $$t"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(CT_BUILD)/ctest-asan/$$t; done

$(CT_BUILD)/fuzz/fuzz_%: csrc/fuzz/fuzz_%.c $(CT_BUILD)/obj/fuzz/libvfcore.a $(CT_CORE_HDRS)
	@mkdir -p $(@D)
	$(CT_CLANG) $(CT_FUZZ_CFLAGS) -o $@ $< $(CT_BUILD)/obj/fuzz/libvfcore.a $(CT_LIBS)

$(CT_BUILD)/obj/fuzz/libvfcore.a: | ct-check-clang
.PHONY: ct-check-clang
ct-check-clang:
	@command -v $(CT_CLANG) >/dev/null 2>&1 || { \
		echo "error: '$(CT_CLANG)' not found: fuzzing needs clang with libFuzzer" \
		     "(Debian: apt-get install clang libclang-rt-dev), or set CT_CLANG=clang-NN" >&2; exit 1; }

# fuzz a fresh copy of each seed corpus, so that new inputs never land in csrc/
define CT_FUZZ_RUN
	@set -e; for f in $(CT_FUZZERS); do \
	  echo "== fuzzing $$f for $(1) s"; \
	  rm -rf $(CT_BUILD)/fuzz/corpus-$$f && mkdir -p $(CT_BUILD)/fuzz/corpus-$$f; \
	  if [ -d csrc/fuzz/corpus/$$f ]; then cp -f csrc/fuzz/corpus/$$f/* $(CT_BUILD)/fuzz/corpus-$$f/ 2>/dev/null || true; fi; \
	  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(CT_BUILD)/fuzz/fuzz_$$f $(CT_FUZZ_ARGS) -artifact_prefix=$(CT_BUILD)/fuzz/$$f- \
	    -max_total_time=$(1) $(CT_BUILD)/fuzz/corpus-$$f > $(CT_BUILD)/fuzz/$$f.log 2>&1; \
	  then grep -E "^(Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))" $(CT_BUILD)/fuzz/$$f.log; \
	  else tail -n 60 $(CT_BUILD)/fuzz/$$f.log; echo "fuzz_$$f failed: see $(CT_BUILD)/fuzz/$$f.log"; exit 1; fi; \
	done
endef

fuzz: $(foreach f,$(CT_FUZZERS),$(CT_BUILD)/fuzz/fuzz_$(f))
	$(call CT_FUZZ_RUN,$(FUZZ_SECONDS))

fuzz-smoke: $(foreach f,$(CT_FUZZERS),$(CT_BUILD)/fuzz/fuzz_$(f))
	$(call CT_FUZZ_RUN,$(FUZZ_SMOKE_SECONDS))

ctest-clean:
	rm -rf $(CT_BUILD)/ctest $(CT_BUILD)/ctest-asan $(CT_BUILD)/fuzz $(CT_BUILD)/obj
