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
    """Runs ``model.tflite`` (signatures ``init`` and ``step``), or ``init.tflite`` +
    ``step.tflite`` (one signature each, as the onnx-tf / onnx2tf routes write them).

    Inputs and outputs are matched by name, else by rank (heatmaps are rank 4, kernels
    rank 5); the frame layout follows the model's frame input shape.
    """

    name = "litert"

    def __init__(self, path: str | Path, threads: int | None = 1):
        path = Path(path)
        interpreter_class = load_interpreter_class()
        if path.is_dir() and not (path / "model.tflite").is_file() and \
                (path / "init.tflite").is_file():
            files = {"init": path / "init.tflite", "step": path / "step.tflite"}
        else:
            single = path / "model.tflite" if path.is_dir() else path
            files = {"init": single, "step": single}
        self.runners, self.inputs, self.outputs = {}, {}, {}
        for graph, file in files.items():
            if not file.is_file():
                raise DkdError(f"{file}: missing; convert with `dkd-edge convert --target tflite`")
            try:
                interpreter = interpreter_class(model_path=str(file), num_threads=threads)
                signatures = interpreter.get_signature_list()
            except Exception as exc:
                raise DkdError(f"{file}: LiteRT cannot load it ({str(exc)[:160]}); the file "
                               "may be corrupt: convert again") from exc
            key = graph if graph in signatures else (
                next(iter(signatures)) if len(signatures) == 1 else None)
            if key is None:
                raise DkdError(f"{file}: no {graph!r} signature (has {sorted(signatures)})")
            runner = interpreter.get_signature_runner(key)
            self.runners[graph] = runner
            self.inputs[graph] = runner.get_input_details()
            self.outputs[graph] = runner.get_output_details()
        frame_detail = self._by_rank(self.inputs["init"], "frame", 4)
        self.frame_layout = "NHWC" if frame_detail[1]["shape"][-1] == 3 else "NCHW"
        self.threads = threads

    @staticmethod
    def _by_rank(details: dict, name: str, rank: int) -> tuple[str, dict]:
        if name in details:
            return name, details[name]
        for key, detail in details.items():
            if len(detail["shape"]) == rank:
                return key, detail
        raise DkdError(f"no tensor {name!r} (rank {rank}) among {sorted(details)}")

    def _run(self, graph: str, frame, kernels=None) -> tuple[np.ndarray, np.ndarray]:
        details = self.inputs[graph]
        frame_key, frame_detail = self._by_rank(details, "frame", 4)
        feeds = {frame_key: _quantize(frame, frame_detail)}
        if kernels is not None:
            state_key, state_detail = self._by_rank(details, "kernels", 5)
            feeds[state_key] = _quantize(kernels, state_detail)
        out = self.runners[graph](**feeds)
        outs = self.outputs[graph]
        heat_key, heat_detail = self._by_rank(outs, "heatmaps", 4)
        state_name = "kernels" if graph == "init" else "kernels_out"
        state_key, state_detail = self._by_rank(outs, state_name, 5)
        return (_dequantize(out[heat_key], heat_detail),
                _dequantize(out[state_key], state_detail))

    def init(self, frame):
        return self._run("init", frame)

    def step(self, frame, kernels):
        return self._run("step", frame, kernels)
