"""The quickstart notebook runs headless, every cell, as a user would run it (Debian's nbclient)."""

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]


def test_quickstart_notebook_runs(shared, converted, tmp_path, monkeypatch):
    # The notebook's kernel inherits this environment: the shared data, and a model directory
    # that already holds the weights the session converted (the notebook converts what is missing).
    models = tmp_path / "models"
    models.mkdir()
    (models / "MesoInception_DF.safetensors").symlink_to(converted["meso"])
    monkeypatch.setenv("DFD_SHARED_DIR", str(shared))
    monkeypatch.setenv("DFD_MODEL_DIR", str(models))
    # A kernel that runs this interpreter (the venv with dfd), not whatever "python3" names here.
    spec = tmp_path / "jupyter" / "kernels" / "dfd-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dfd test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = nbformat.read(REPO / "examples/notebooks/quickstart.ipynb", as_version=4)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    # Any failing cell raises CellExecutionError here: the test fails with the cell and its traceback.
    NotebookClient(notebook, timeout=600, kernel_name="dfd-test", resources={"metadata": {"path": str(run_dir)}}).execute()
    outputs = {i: c.get("outputs", []) for i, c in enumerate(notebook.cells) if c.cell_type == "code"}
    assert all(o.get("output_type") != "error" for cell in outputs.values() for o in cell)
    images = [o for cell in outputs.values() for o in cell if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the ROC curve and the heatmap figure
    text = "".join(o.get("text", "") for cell in outputs.values() for o in cell)
    assert "judged " in text and "Verdict(" in text
    assert (run_dir / "submission.csv").read_text().startswith("filename,label\n")
    assert (models / "mtcnn.safetensors").exists()  # converted by the notebook itself
