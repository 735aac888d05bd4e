"""Every notebook in notebooks/ runs without error."""
from __future__ import annotations

import pytest

from conftest import REPO

pytestmark = pytest.mark.no_asan  # starts other processes, or slow under ASan

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    # the table renders as HTML in Jupyter
    assert any("text/html" in o.get("data", {}) and "vpcflow-table" in o["data"]["text/html"] for o in outputs)
