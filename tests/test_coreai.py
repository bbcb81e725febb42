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
