# csrc/rules.mk - C unit tests and fuzzing of the vpcflow core.
#
# Included by the top-level Makefile (paths are relative to the repository
# root), or used directly:  make -f csrc/rules.mk ctest ctest-asan fuzz-smoke
#
#   ctest       build build/ctest/test_core (gcc, -Werror) and run it
#   ctest-asan  the same under AddressSanitizer + UBSan (leak checking on)
#   fuzz        build build/fuzz/fuzz_read (clang libFuzzer + ASan + UBSan)
#               and fuzz a copy of csrc/fuzz/corpus for FUZZ_SECONDS (300)
#   fuzz-smoke  the same binary for 20 seconds; fails on any crash
#
# Everything is built out of tree under build/.  Variables are prefixed CT_
# so that they do not clash with the including Makefile.

CC ?= gcc
# make's built-in default for CC is "cc", which `?=` does not replace
ifeq ($(origin CC),default)
CC := gcc
endif
CT_CLANG ?= clang
FUZZ_SECONDS ?= 300

CT_BUILD := build
CT_CORE_SRCS := $(wildcard csrc/common/*.c) $(wildcard csrc/text/*.c) csrc/codec/codec.c csrc/read/read.c
CT_CORE_HDRS := csrc/vf.h csrc/common/internal.h csrc/text/parse.h
CT_BASE_LIBS := -lzstd -lsnappy -lz
CT_DEFS := -D_GNU_SOURCE
# gzip backends: the fastest present is the default (as setup.py picks it);
# `ctest` also runs the tests against each other one that is installed.
CT_GZIP_ALL := $(if $(wildcard /usr/include/isa-l/igzip_lib.h),isal) zlib
CT_GZIP := $(firstword $(CT_GZIP_ALL))
CT_GZIP_DEFS_isal := -DVF_HAVE_ISAL
CT_GZIP_LIBS_isal := -lisal
CT_DEFS += $(CT_GZIP_DEFS_$(CT_GZIP))
CT_LIBS := $(CT_GZIP_LIBS_$(CT_GZIP)) $(CT_BASE_LIBS)

CT_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -pthread $(CT_DEFS) -Icsrc
CT_ASAN_CFLAGS := -std=c11 -Wall -Wextra -Werror -pthread $(CT_DEFS) -Icsrc \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
CT_FUZZ_CFLAGS := -std=c11 -Wall -Wextra -pthread $(CT_DEFS) -Icsrc \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1

CT_TEST_ASAN := $(CT_BUILD)/ctest-asan/test_core
CT_FUZZ := $(CT_BUILD)/fuzz/fuzz_read
CT_FUZZ_CORPUS := $(CT_BUILD)/fuzz/corpus
CT_FUZZ_ARGS := -timeout=20 -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1 \
	-artifact_prefix=$(CT_BUILD)/fuzz/

.PHONY: ctest ctest-asan fuzz fuzz-smoke ctest-clean

$(CT_BUILD)/ctest/test_core-%: csrc/tests/test_core.c $(CT_CORE_SRCS) $(CT_CORE_HDRS) csrc/rules.mk
	@mkdir -p $(@D)
	$(CC) $(filter-out -DVF_HAVE_%,$(CT_CFLAGS)) $(CT_GZIP_DEFS_$*) -o $@ csrc/tests/test_core.c $(CT_CORE_SRCS) \
		$(CT_GZIP_LIBS_$*) $(CT_BASE_LIBS)

$(CT_TEST_ASAN): csrc/tests/test_core.c $(CT_CORE_SRCS) $(CT_CORE_HDRS) csrc/rules.mk
	@mkdir -p $(@D)
	$(CC) $(CT_ASAN_CFLAGS) -o $@ csrc/tests/test_core.c $(CT_CORE_SRCS) $(CT_LIBS)

ctest: $(foreach g,$(CT_GZIP_ALL),$(CT_BUILD)/ctest/test_core-$(g))
	@set -e; for g in $(CT_GZIP_ALL); do echo "== C unit tests, gzip via $$g"; $(CT_BUILD)/ctest/test_core-$$g; done

ctest-asan: $(CT_TEST_ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(CT_TEST_ASAN)

$(CT_FUZZ): csrc/fuzz/fuzz_read.c $(CT_CORE_SRCS) $(CT_CORE_HDRS) csrc/rules.mk
	@command -v $(CT_CLANG) >/dev/null 2>&1 || { \
		echo "error: '$(CT_CLANG)' not found: fuzzing needs clang with libFuzzer" \
		     "(Debian: apt-get install clang libclang-rt-dev), or set CT_CLANG=clang-NN" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CT_CLANG) $(CT_FUZZ_CFLAGS) -o $@ csrc/fuzz/fuzz_read.c $(CT_CORE_SRCS) $(CT_LIBS)

# fuzz a copy of the seed corpus, so that new inputs never land in csrc/
$(CT_FUZZ_CORPUS): $(wildcard csrc/fuzz/corpus/*)
	@mkdir -p $@
	cp -f csrc/fuzz/corpus/* $@/
	@touch $@

fuzz: $(CT_FUZZ) $(CT_FUZZ_CORPUS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(CT_FUZZ) $(CT_FUZZ_ARGS) -max_total_time=$(FUZZ_SECONDS) $(CT_FUZZ_CORPUS)

fuzz-smoke: $(CT_FUZZ) $(CT_FUZZ_CORPUS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(CT_FUZZ) $(CT_FUZZ_ARGS) -max_total_time=20 $(CT_FUZZ_CORPUS)

ctest-clean:
	rm -rf $(CT_BUILD)/ctest $(CT_BUILD)/ctest-asan $(CT_BUILD)/fuzz
