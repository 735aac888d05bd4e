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
