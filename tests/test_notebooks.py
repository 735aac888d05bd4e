"""Every notebook in notebooks/ runs without error; the quickstart shows tables and a chart."""
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
    if path.name == "quickstart.ipynb":
        html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
        assert sum("vpcflow-table" in h for h in html) >= 6      # recipes, pipe queries, lazy queries
        assert any("<td>22</td>" in h or ">22<" in h for h in html)  # rejected TCP by port shows SSH
        pngs = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(pngs) == 1 and len(pngs[0]["data"]["image/png"]) > 5000  # the chart, base64 PNG
        text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        assert "200,000 rows, 0 bad records" in text and "Top talkers by bytes" in text


def test_notebooks_are_stored_without_outputs():
    """Outputs are stripped before committing: the suite makes them, git keeps only the code."""
    nbformat = pytest.importorskip("nbformat")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.get("outputs") and c.get("execution_count") is None, path.name
