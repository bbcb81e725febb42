"""The Core AI target: one real .aimodel asset with init and step functions, converted with
coreai-torch and run on coreai-core's local runtime (Linux), gated like every target."""

import json

import pytest

from dkd_edge.converters import convert
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime.artifact import open_backend
from dkd_edge.runtime.golden import verify_golden

pytest.importorskip("coreai_torch", reason="pip install 'dkd-edge[coreai]'")
TINY = bundled_checkpoint("dkd-tiny")


def test_asset_has_both_functions_and_passes_gate_and_golden(tmp_path):
    out = tmp_path / "coreai"
    manifest = convert("coreai", out, checkpoint=TINY, progress=False)
    assert "model.aimodel/main.mlirb" in [f["path"] for f in manifest["files"]]
    assert manifest["parity"]["max_abs_heatmap"] <= 1e-4
    assert manifest["parity"]["backend"] == "coreai-local"
    assert "not a device" in manifest["coreai"]["ran_here"]
    backend, manifest = open_backend(out)
    assert verify_golden(backend, out, manifest)["passed"]
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["state"]["name"] == "kernels" and saved["target"] == "coreai"


def test_a_process_that_never_closes_the_backend_exits_cleanly(tmp_path):
    """coreai-core's runtime aborts the process when destroyed during interpreter shutdown;
    the backend closes itself at exit first."""
    import subprocess
    import sys

    out = tmp_path / "coreai"
    convert("coreai", out, checkpoint=TINY, progress=False)
    script = (f"import numpy as np\nfrom dkd_edge.runtime.artifact import open_backend\n"
              f"b, _ = open_backend(r'{out}')\nx = np.zeros((1, 3, 64, 64), np.float32)\n"
              "h, k = b.init(x)\nh, k = b.step(x, k)\nprint('stepped')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-1000:]
    assert "stepped" in done.stdout
