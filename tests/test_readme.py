"""The README's Python examples run, and say what they print."""
from __future__ import annotations

import contextlib
import io
import re

import pytest

from conftest import REPO

pytestmark = pytest.mark.no_asan  # starts other processes, or slow under ASan


def python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_examples():
    assert len(python_blocks()) >= 2


def test_readme_examples_run_and_print_what_they_claim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nclaims = 0
    for block in python_blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {})
        printed = out.getvalue().splitlines()
        # every "print(...)  # -> expected" comment is checked against the output
        claims = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s+#\s*->\s*(.+)", block)]
        for claim in claims:
            claim = claim.split("...")[0].strip()
            assert any(line.startswith(claim) or claim in line for line in printed), (claim, printed)
            nclaims += 1
    assert nclaims >= 4
