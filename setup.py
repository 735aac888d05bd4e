"""Build the vpcflow._core extension from csrc/.

The C core links the system zlib, snappy and zstd (Debian: zlib1g-dev,
libsnappy-dev, libzstd-dev), and liblz4 and libbrotlidec when their headers
are found (liblz4-dev, libbrotli-dev), only to read Parquet pages other
writers compressed with LZ4/LZ4_RAW or BROTLI.  For gzip it uses ISA-L's igzip when its
header is found (libisal-dev): it decodes flow logs about 2.5-2.8x faster
than zlib, on par with libdeflate (bench/README.md), and unlike libdeflate
it streams, so a file is parsed a few MiB at a time; zlib otherwise.  VPCFLOW_NO_ISAL=1 builds with zlib alone.  VPCFLOW_SANITIZE=address,undefined builds with the
sanitizers (used by `make test-asan`).
"""
from __future__ import annotations

import os
import sys
from glob import glob
from pathlib import Path

import numpy
from setuptools import Extension, setup

HERE = Path(__file__).parent


def _have_header(name: str) -> bool:
    dirs = ["/usr/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu"]
    dirs += [d for d in os.environ.get("CPATH", "").split(":") if d]
    return any(Path(d, name).exists() for d in dirs)


sources = sorted(glob("csrc/**/*.c", recursive=True))
sources = [s for s in sources if "/tests/" not in s and "/fuzz/" not in s]

define_macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
libraries = ["z", "snappy", "zstd", "m"]  # m: bloom filter sizing, variance and correlation
# gzip: ISA-L's igzip if present (fastest), else zlib alone.
if _have_header("isa-l/igzip_lib.h") and not os.environ.get("VPCFLOW_NO_ISAL"):
    define_macros.append(("VF_HAVE_ISAL", "1"))
    libraries.append("isal")
# Parquet pages from other writers: LZ4/LZ4_RAW (liblz4-dev) and BROTLI
# (libbrotli-dev) read when their headers are here; vpcflow writes neither.
if _have_header("lz4.h"):
    define_macros.append(("VF_HAVE_LZ4", "1"))
    libraries.append("lz4")
if _have_header("brotli/decode.h"):
    define_macros.append(("VF_HAVE_BROTLI", "1"))
    libraries.append("brotlidec")

extra_compile_args = ["-std=c11", "-O3", "-Wall", "-Wextra", "-fvisibility=hidden", "-D_GNU_SOURCE"]
extra_link_args: list[str] = ["-pthread"]
sanitize = os.environ.get("VPCFLOW_SANITIZE")
if sanitize:
    extra_compile_args += [f"-fsanitize={sanitize}", "-fno-omit-frame-pointer", "-O1", "-g"]
    extra_link_args += [f"-fsanitize={sanitize}"]
if os.environ.get("VPCFLOW_WERROR"):
    extra_compile_args.append("-Werror")

if sys.platform != "linux":  # pragma: no cover - Linux is the supported platform
    extra_compile_args.remove("-D_GNU_SOURCE")

setup(
    ext_modules=[
        Extension(
            "vpcflow._core",
            sources=sources,
            include_dirs=[numpy.get_include(), "csrc"],
            define_macros=define_macros,
            libraries=libraries,
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args,
        )
    ],
)
