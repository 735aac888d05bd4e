"""Shared fixtures: where the reference data lives."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: ../shared beside the repository (samples/, parquet-testing/); VPCFLOW_SHARED overrides.
SHARED = Path(os.environ.get("VPCFLOW_SHARED", REPO.parent / "shared"))
SAMPLES = SHARED / "samples"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"reference samples not found at {SAMPLES} (set VPCFLOW_SHARED)")
    return SAMPLES


def pytest_sessionstart(session) -> None:
    """With VPCFLOW_EXPECT_CORE set (make pytest-asan), fail unless that build is the one imported."""
    want = os.environ.get("VPCFLOW_EXPECT_CORE")
    if want:
        import vpcflow

        got = vpcflow._core.__file__
        if want not in got:
            raise pytest.UsageError(f"expected the extension under {want!r}, imported {got!r}")
