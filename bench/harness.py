"""What the benchmarks share: fresh-process measurements, peak memory, background load, the machine.

Every benchmark runs each (engine, input, threads) in a fresh interpreter (the benchmark script
itself with ``--worker SPEC``), so imports, caches and allocator state do not leak between runs and
the peak RSS is that run's own.  The parent measures how busy the rest of the machine was while the
child ran and retries a child disturbed by outside work.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

CHILD_TIMEOUT = 1800  # seconds per child; a run this slow is a failure


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def busy_seconds() -> float:
    """CPU seconds spent busy (not idle, not iowait) by the whole machine since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def vpcflow_root() -> str:
    """The directory holding the ``vpcflow`` package this process imports (children use it too)."""
    import vpcflow
    return str(Path(vpcflow.__file__).resolve().parent.parent)


def run_child(script: str, spec: dict, timeout: int = CHILD_TIMEOUT) -> dict:
    """Run ``script --worker SPEC`` in a fresh interpreter; return its dict or {'error': ...}.

    Also measures the background load while the child ran: the machine's busy CPU time
    minus the child's own, divided by the child's wall time (``bg_cores``: how many cores
    other work kept busy on average; 0 on a quiet machine).
    """
    env = dict(os.environ)
    env["POLARS_MAX_THREADS"] = str(spec["threads"])
    env["OMP_NUM_THREADS"] = str(spec["threads"])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [vpcflow_root(), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(spec)]
    busy0, child0, t0 = busy_seconds(), children_cpu(), time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    bg = max(0.0, (busy_seconds() - busy0) - (children_cpu() - child0)) / wall
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-12:]
        return {"error": f"exit {p.returncode}: " + "\n".join(tail)}
    try:
        return {**json.loads(p.stdout.strip().splitlines()[-1]), "bg_cores": round(bg, 2)}
    except (IndexError, json.JSONDecodeError):
        return {"error": f"no result; stdout={p.stdout[-500:]!r} stderr={p.stderr[-500:]!r}"}


def measure(script: str, spec: dict, max_bg: float, tries: int = 3) -> dict:
    """``run_child(spec)``, run again (up to ``tries`` in all) while other work kept more
    than ``max_bg`` cores busy; the fastest try is kept (its RSS and CPU figures with it)."""
    best: dict | None = None
    for n in range(1, tries + 1):
        res = run_child(script, spec)
        if "error" in res:
            return {**res, "tries": n}
        if best is None or res["seconds"] < best["seconds"]:
            best = res
        if res["bg_cores"] <= max_bg:
            break
        time.sleep(5)
    assert best is not None
    return {**best, "tries": n}


def measure_engines(script: str, engines: list[str], threads_list: list[int], spec: dict,
                    max_bg: float) -> list[dict]:
    """:func:`measure` of every engine at every thread count (``spec`` plus ``engine`` and
    ``threads``): one result dict each, tagged with both; errors are printed as they come."""
    runs = []
    for threads in threads_list:
        for engine in engines:
            res = measure(script, {**spec, "engine": engine, "threads": threads}, max_bg)
            runs.append({"engine": engine, "threads": threads, **res})
            if "error" in res:
                print(f"  {engine} t{threads}: ERROR {res['error']}")
    return runs


def version(dist: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cached_data(d: Path, build: Callable[[Path], dict]) -> dict:
    """Generated benchmark data in d, described by d/manifest.json (written last).

    When the manifest is there, it is returned as it is; otherwise d is emptied, ``build(d)`` makes
    the data and returns its description, and that is written as the manifest.
    """
    man = d / "manifest.json"
    if man.exists():
        return json.loads(man.read_text())
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    m = build(d)
    from vpcflow.manifest import write_atomic

    write_atomic(str(man), json.dumps(m).encode())  # a crash never leaves half a manifest
    return m


def machine_info() -> dict:
    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    lscpu = dict(line.split(":", 1) for line in sh(["lscpu"]).splitlines() if ":" in line)
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    import vpcflow
    return {
        "cpu_model": lscpu.get("Model name", "").strip() or platform.processor(),
        "cpus": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "hypervisor": lscpu.get("Hypervisor vendor", "").strip(),
        "mem_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {"vpcflow": vpcflow.__version__, "numpy": version("numpy"),
                     "duckdb": version("duckdb"), "pyarrow": version("pyarrow"),
                     "polars": version("polars")},
        "vpcflow_gzip_backend": vpcflow._core.gzip_backend(),
        "vpcflow_path": vpcflow_root(),
        "vpcflow_git": sh(["git", "-C", vpcflow_root(), "describe", "--always", "--dirty"]),
        "vpcflow_core": file_id(vpcflow._core.__file__),
    }


def file_id(path: str) -> dict:
    """Name, mtime and SHA-256 of a file (which build of the extension was measured)."""
    import hashlib
    st = os.stat(path)
    return {"path": path, "mtime": _dt.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}
