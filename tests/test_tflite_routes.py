"""The --via onnx-tf / onnx2tf routes, run where their separate environment exists."""

import os

import pytest

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint

TINY = bundled_checkpoint("dkd-tiny")
ROUTES = {"onnx-tf": "DKD_ONNX_TF_PYTHON", "onnx2tf": "DKD_ONNX2TF_PYTHON"}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_route_converts_within_tolerance(tmp_path, route, precision):
    python = os.environ.get(ROUTES[route])
    if not python:
        pytest.skip(f"{ROUTES[route]} is not set: no separate {route} environment here "
                    "(docs/tflite_routes.md)")
    manifest = convert("tflite", tmp_path / "out", ConvertOptions(
        precision=precision, via=route, via_python=python), checkpoint=TINY, progress=False)
    limit = 1e-4 if precision == "fp32" else 1e-2
    assert manifest["parity"]["max_abs_heatmap"] <= limit
    assert [f["path"] for f in manifest["files"]] == ["init.tflite", "step.tflite"]


def test_route_without_environment_is_one_clear_error(tmp_path):
    with pytest.raises(DkdError, match="separate Python environment"):
        convert("tflite", tmp_path / "o", ConvertOptions(via="onnx-tf", via_python=None),
                checkpoint=TINY, progress=False)
    with pytest.raises(DkdError, match="int8 uses the default"):
        convert("tflite", tmp_path / "o", ConvertOptions(precision="int8", via="onnx-tf",
                                                         via_python="python3"),
                checkpoint=TINY, progress=False)
