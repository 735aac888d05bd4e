# vpcflow: the two set-up commands are `make demo` and `make test`.
# Both install what is missing (Debian -dev packages via apt-get when run as
# root, a .venv with the package and its test extras), then run.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CC     ?= gcc

# Debian packages the build and the tests need
DEB_PKGS := gcc make zlib1g-dev libsnappy-dev libzstd-dev libisal-dev liblz4-dev libbrotli-dev zstd clang libclang-rt-14-dev
STAMP    := $(VENV)/.installed
,        := ,

.PHONY: all demo test deps build typecheck pytest pytest-asan ctest ctest-asan fuzz fuzz-smoke bench clean help

all: build

help:
	@echo "make demo        install what is missing, build, run the demo on a generated sample"
	@echo "make test        install what is missing, build, run every test (C, sanitizers, fuzz smoke, pytest)"
	@echo "make bench       run the benchmarks against DuckDB, pyarrow and polars (bench/README.md)"
	@echo "make fuzz        run the libFuzzer target for FUZZ_SECONDS (default 300)"

# ---- system packages --------------------------------------------------------
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

# ---- the virtualenv and the package ------------------------------------------
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/bin/python pyproject.toml setup.py
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -e '.[test]' --config-settings editable_mode=compat
	touch $@

# $(call build_ext,ENV,ARGS,LOG): compile the extension, showing the log only on failure
define build_ext
	@mkdir -p build
	@$(1) $(PY) setup.py -q build_ext $(2) > build/$(3).log 2>&1 || { cat build/$(3).log; exit 1; }
endef

# rebuild the extension in place whenever a C source changed
build: deps $(STAMP)
	$(call build_ext,VPCFLOW_WERROR=1,--inplace,build)
	@$(PY) -c "import vpcflow; print('vpcflow', vpcflow.__version__, 'built; gzip via', vpcflow._core.gzip_backend())"

demo: build
	$(VENV)/bin/vpcflow demo

# ---- tests ------------------------------------------------------------------------
include csrc/rules.mk

# the static type check of the package ([tool.mypy] in pyproject.toml)
typecheck: $(STAMP)
	$(PY) -m mypy

pytest: build
	$(PY) -m pytest -q

# The Python tests again, against an extension built with AddressSanitizer
# + UndefinedBehaviorSanitizer (the binding included): every test but those
# marked no_asan (the ones that start other processes: CLI, notebooks).
ASAN_RT := $(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)
pytest-asan: build
	rm -rf build/asan && mkdir -p build/asan/pkg/vpcflow
	$(call build_ext,VPCFLOW_SANITIZE=address$(,)undefined VPCFLOW_WERROR=1,-b build/asan/pkg -t build/asan/tmp,build-asan)
	find vpcflow -maxdepth 1 -type f ! -name '*.so' -exec cp {} build/asan/pkg/vpcflow/ \;
	# run from build/asan so that neither the repo nor the editable install shadows the sanitized package
	# sanitizer reports go to build/asan/report.* where the runtime honours log_path, and to stderr
	# otherwise: --capture=sys leaves file descriptor 2 alone, so a report that aborts the process
	# (UBSan's halt_on_error exits with status 1) is printed, not lost in pytest's capture file
	cd build/asan && LD_PRELOAD="$(ASAN_RT)" ASAN_OPTIONS=detect_leaks=0:log_path=$(CURDIR)/build/asan/report \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/build/asan/report \
	  PYTHONPATH=pkg VPCFLOW_EXPECT_CORE=/build/asan/pkg/ ../../$(PY) -m pytest -q -p no:cacheprovider --capture=sys \
	  --rootdir=../.. -c ../../pyproject.toml -m "not no_asan" ../../tests \
	  || { cat $(CURDIR)/build/asan/report.* 2>/dev/null; exit 1; }


test: build typecheck ctest ctest-asan fuzz-smoke pytest pytest-asan

bench: build
	$(PIP) install -q -e '.[bench]'
	$(PY) bench/parse.py

clean:
	rm -rf build $(VENV) vpcflow/*.so *.egg-info .pytest_cache .hypothesis
