"""The torch reference model behind the runtime's backend interface (outside ``runtime/``,
which never imports torch).

    backend = TorchReferenceBackend()                    # bundled dkd-small, float, CPU
    backend = TorchReferenceBackend(ckpt, device="cuda") # the "GPU model"
    backend = TorchReferenceBackend(ckpt, quantized=True)  # the torch int8 (QAT) graphs
    backend = TorchReferenceBackend(ckpt, like="out/onnx")  # ... as that int8 artifact has
                                                          # them (scope, weight bits, PTQ)
    heatmaps, kernels = backend.init(frame)              # numpy in, numpy out

It is what artifacts are compared against: the same ``init`` / ``step`` contract as the
ONNX Runtime, LiteRT and Core ML backends, so a loop written against one runs on all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dkd_edge.device import strict_float32
from dkd_edge.errors import DkdError
from dkd_edge.model.tracker_fns import TrackerFns
from dkd_edge.runtime.backend import Backend


class TorchReferenceBackend(Backend):
    """A DKD checkpoint run by torch; float on ``device``, or its int8 QAT graphs on CPU."""

    frame_layout = "NCHW"

    def __init__(self, checkpoint: str | Path | None = None, device: str = "cpu",
                 quantized: bool = False, like: str | Path | None = None):
        """``like``: an int8 artifact folder; the reference is then the torch int8 model
        edited as its manifest says (float init, int8 scope, weight bits, PTQ set)."""
        from dkd_edge.device import resolve_device
        from dkd_edge.model.loading import load_model

        model, self.config, data = load_model(checkpoint)
        self.device = resolve_device(device)
        if like is not None:
            from dkd_edge.runtime.artifact import read_manifest

            manifest = read_manifest(Path(like))
            if not manifest.get("quantization"):
                raise DkdError(f"{like} is a {manifest['precision']} artifact: `like` is for "
                               "int8 artifacts; use quantized=False for float ones")
            fns = torch_reference(model.cpu(), data, manifest["quantization"], "cpu", manifest)
            self.device = "cpu"
            self._init, self._step = fns.init, fns.step
            self.name = "torch-int8"
        elif quantized:
            if not data.get("qat"):
                raise DkdError("this checkpoint has no QAT graphs: train `--stage qat` or use "
                               "quantized=False")
            from dkd_edge.quant.qat import quantized_graphs

            init, step = quantized_graphs(model.cpu(), data["qat"])
            self.device = "cpu"  # the int8 reference graphs run on the CPU
            self._init, self._step = (lambda x: init(x)), (lambda x, k: step(x, k))
            self.name = "torch-int8"
        else:
            strict_float32(self.device)
            model = model.to(self.device).eval()
            self._init, self._step = model.init, model.step
            self.name = f"torch-{self.device}"

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self.device)

    @torch.no_grad()
    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        heatmaps, kernels = self._init(self._tensor(frame))
        return heatmaps.float().cpu().numpy(), kernels.float().cpu().numpy()

    @torch.no_grad()
    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        heatmaps, kernels = self._step(self._tensor(frame), self._tensor(kernels))
        return heatmaps.float().cpu().numpy(), kernels.float().cpu().numpy()


def _int8_reference(model, init, step, manifest: dict | None) -> TrackerFns:
    """The torch int8 graphs; an artifact whose init stayed float gets the float init, and
    the step graph is narrowed to the artifact's ``int8_scope``."""
    from dkd_edge.quant.scope import apply_scope

    int8_graphs = (manifest or {}).get("int8_graphs", ["init", "step"])
    step = apply_scope(step, (manifest or {}).get("int8_scope", "encoder"))
    init_fn = (lambda x: tuple(init(x))) if "init" in int8_graphs else (lambda x: model.init(x))
    return TrackerFns(init_fn, lambda x, k: tuple(step(x, k)))


def torch_reference(model, data, quantization: str | None, device: str,
                    manifest: dict | None = None) -> TrackerFns:
    """The torch model an artifact is compared with: the float model, or the torch int8
    graphs (QAT or PTQ) edited as the artifact's manifest says (float init, int8 scope,
    weight bits)."""
    if quantization is None:
        strict_float32(device)
        model = model.to(device)

        def to(x):
            return x.to(device)

        return TrackerFns(lambda x: tuple(t.cpu() for t in model.init(to(x))),
                          lambda x, k: tuple(t.cpu() for t in model.step(to(x), to(k))))
    bits = int((manifest or {}).get("int8_weight_bits", 8))
    if quantization == "qat":
        from dkd_edge.quant.qat import quantized_graphs

        init, step = quantized_graphs(model.cpu(), data["qat"], weight_bits=bits)
        return _int8_reference(model, init, step, manifest)
    if quantization == "ptq":
        from dkd_edge.calibration.ptq import quantized_ptq_graphs
        from dkd_edge.runtime.artifact import sha256

        record = (manifest or {}).get("calibration") or {}
        path = Path(record.get("path", ""))
        if not record or not path.is_file():
            raise DkdError(f"this int8 artifact was calibrated on {record.get('path')!r}, "
                           "which is gone: bench needs that set to rebuild the torch PTQ "
                           "reference (recreate it and convert again)")
        if sha256(path) != record["sha256"]:
            raise DkdError(f"{path} changed since the artifact was converted: convert again")
        init, step = quantized_ptq_graphs(model.cpu(), path, weight_bits=bits)
        return _int8_reference(model, init, step, manifest)
    raise DkdError(f"no torch reference for {quantization!r} artifacts")
