"""TFLite through ONNX in a separate Python environment: ``--via onnx-tf`` or ``--via onnx2tf``.

onnx-tf (the route the original design names) installs only beside TensorFlow 2.15 with
numpy < 2, and reads ONNX opset <= 12, which only torch's TorchScript exporter still
writes; onnx2tf pins TensorFlow 2.19. Neither fits the dkd-edge environment, so the ONNX
files are written here and ``via_scripts/onnx_to_tflite.py`` runs in the other Python,
given by ``--via-python`` or ``DKD_VIA_PYTHON``. Set-up: ``docs/tflite_routes.md``.

Output: ``init.tflite`` and ``step.tflite`` (two files: these routes convert one graph per
model). fp32 and fp16 only; int8 goes through the default litert-torch route.
"""

from __future__ import annotations

import subprocess
import tempfile
import warnings
from pathlib import Path

from dkd_edge.converters.base import IO_NAMES
from dkd_edge.errors import DkdError

SCRIPT = Path(__file__).with_name("via_scripts") / "onnx_to_tflite.py"
ROUTE_MODULES = {"onnx-tf": "onnx_tf", "onnx2tf": "onnx2tf"}
ROUTE_OPSET = {"onnx-tf": 12, "onnx2tf": 18}


def check_python(route: str, python: str | None) -> str:
    if not python:
        raise DkdError(f"--via {route} runs in a separate Python environment: create it as "
                       "docs/tflite_routes.md says, then pass --via-python PATH or set "
                       "DKD_VIA_PYTHON")
    probe = subprocess.run([python, "-c", f"import {ROUTE_MODULES[route]}, tensorflow"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise DkdError(f"{python} cannot import {ROUTE_MODULES[route]} and tensorflow: "
                       "install them there (docs/tflite_routes.md)")
    return python


def _export_onnx(graphs, folder: Path, opset: int) -> None:
    import torch

    examples = graphs.examples
    modules = {"init": graphs.init, "step": graphs.step}
    for graph in ("init", "step"):
        inputs, outputs = IO_NAMES[graph]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(modules[graph], examples[graph], str(folder / f"{graph}.onnx"),
                              dynamo=opset >= 18, opset_version=opset,
                              input_names=list(inputs), output_names=list(outputs))


def export_via(graphs, folder: Path, options, metadata: dict) -> list[str]:
    route = options.via
    if graphs.precision == "int8":
        raise DkdError(f"--via {route} makes fp32 and fp16 only; int8 uses the default "
                       "litert-torch route (drop --via)")
    python = check_python(route, options.via_python)
    with tempfile.TemporaryDirectory() as work:
        _export_onnx(graphs, Path(work), ROUTE_OPSET[route])
        done = subprocess.run([python, str(SCRIPT), route, graphs.precision, work, str(folder)],
                              capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise DkdError(f"--via {route} failed in {python}: {last}")
    import json

    from dkd_edge.runtime.tflite_metadata import add_metadata_buffer

    names = []
    for graph in ("init", "step"):
        path = folder / f"{graph}.tflite"
        add_metadata_buffer(path, "dkd_edge", json.dumps({**metadata, "dkd_edge.route": route,
                                                          "dkd_edge.graph": graph}).encode())
        names.append(path.name)
    return names
