"""LiteRT backend: one ``.tflite`` with ``init`` and ``step`` signatures.

The interpreter is ``ai_edge_litert`` (XNNPACK on by default), falling back to
``tflite_runtime``. Full-integer models take an int8 frame: it is quantized here with the
signature's own scale and zero point, and int8 outputs are dequantized.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError


def load_interpreter_class():
    """``Interpreter`` from ai_edge_litert, else from tflite_runtime."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as exc:
            raise RuntimeDependencyError(
                "no LiteRT interpreter: pip install 'dkd-edge[runtime]' (ai-edge-litert) "
                "or tflite-runtime") from exc
    return Interpreter


def _quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = detail["dtype"]
    if dtype in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)
    return np.asarray(x, dtype=dtype)


def _dequantize(x: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        return (x.astype(np.float32) - zero) * np.float32(scale)
    return x


class LiteRTBackend(Backend):
    """Runs ``model.tflite`` through its ``init`` / ``step`` signature runners."""

    name = "litert"
    frame_layout = "NHWC"

    def __init__(self, path: str | Path, threads: int | None = 1):
        path = Path(path)
        if path.is_dir():
            path = path / "model.tflite"
        if not path.is_file():
            raise DkdError(f"{path}: missing; convert with `dkd-edge convert --target tflite`")
        interpreter_class = load_interpreter_class()
        try:
            self.interpreter = interpreter_class(model_path=str(path), num_threads=threads)
            signatures = self.interpreter.get_signature_list()
        except Exception as exc:
            raise DkdError(f"{path}: LiteRT cannot load it ({str(exc)[:160]}); the file may "
                           "be corrupt: convert again") from exc
        if not {"init", "step"} <= set(signatures):
            raise DkdError(f"{path}: needs 'init' and 'step' signatures, has {sorted(signatures)}")
        self.runners = {name: self.interpreter.get_signature_runner(name)
                        for name in ("init", "step")}
        self.inputs = {n: r.get_input_details() for n, r in self.runners.items()}
        self.outputs = {n: r.get_output_details() for n, r in self.runners.items()}
        self.threads = threads

    def _run(self, graph: str, feeds: dict) -> dict:
        details = self.inputs[graph]
        out = self.runners[graph](**{k: _quantize(v, details[k]) for k, v in feeds.items()})
        return {k: _dequantize(v, self.outputs[graph][k]) for k, v in out.items()}

    def init(self, frame):
        out = self._run("init", {"frame": frame})
        return out["heatmaps"], out["kernels"]

    def step(self, frame, kernels):
        out = self._run("step", {"frame": frame, "kernels": kernels})
        return out["heatmaps"], out["kernels_out"]
