"""ONNX Runtime backend for ``init.onnx`` / ``step.onnx``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError


def _import_ort():
    try:
        import onnxruntime
    except ImportError as exc:
        raise RuntimeDependencyError(
            "onnxruntime is not installed: pip install 'dkd-edge[runtime]'") from exc
    return onnxruntime


class OnnxBackend(Backend):
    """Runs the two ONNX graphs with ONNX Runtime (CPU by default).

    ``exact_qdq=True`` runs an int8 (QDQ) model as written, dequantize -> float op ->
    quantize (ORT's ``session.disable_quant_qdq``), instead of fusing QDQ groups into ORT's
    integer kernels, whose requantization rounds differently. Converters verify int8 this
    way; the fused kernels are the faster default and their agreement is reported beside it.
    """

    name = "onnxruntime"
    frame_layout = "NCHW"

    def __init__(self, folder: str | Path, threads: int | None = None,
                 providers: list[str] | None = None, exact_qdq: bool = False):
        ort = _import_ort()
        folder = Path(folder)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if exact_qdq:
            options.add_session_config_entry("session.disable_quant_qdq", "1")
        self.exact_qdq = exact_qdq
        self.name = "onnxruntime-exact-qdq" if exact_qdq else "onnxruntime"
        self.sessions = {}
        for graph in ("init", "step"):
            path = folder / f"{graph}.onnx"
            if not path.is_file():
                raise DkdError(f"{path}: missing; convert with `dkd-edge convert --target onnx`")
            try:
                self.sessions[graph] = ort.InferenceSession(
                    str(path), options, providers=providers or ["CPUExecutionProvider"])
            except Exception as exc:
                raise DkdError(f"{path}: ONNX Runtime cannot load it ({str(exc)[:160]}); "
                               "the file may be corrupt: convert again") from exc
        step_inputs = self.sessions["step"].get_inputs()
        self.state_dtype = np.float16 if "float16" in step_inputs[1].type else np.float32

    def init(self, frame):
        heatmaps, kernels = self.sessions["init"].run(["heatmaps", "kernels"], {"frame": frame})
        return heatmaps, kernels

    def step(self, frame, kernels):
        heatmaps, kernels = self.sessions["step"].run(
            ["heatmaps", "kernels_out"], {"frame": frame, "kernels": kernels})
        return heatmaps, kernels
