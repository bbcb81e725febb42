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

from dkd_edge.converters.graphs import Int8Recipe, build_export_graphs
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
        recipe = None
        if like is not None:
            from dkd_edge.runtime.artifact import read_manifest

            manifest = read_manifest(Path(like))
            recipe = Int8Recipe.from_manifest(manifest)
            if recipe is None:
                raise DkdError(f"{like} is a {manifest['precision']} artifact: `like` is for "
                               "int8 artifacts; use quantized=False for float ones")
        elif quantized:
            if not data.get("qat"):
                raise DkdError("this checkpoint has no QAT graphs: train `--stage qat` or use "
                               "quantized=False")
            recipe = Int8Recipe("qat", init="int8")
        if recipe is not None:
            fns = torch_reference(model.cpu(), data, recipe, "cpu")
            self.device = "cpu"  # the int8 reference graphs run on the CPU
            self._init, self._step = fns.init, fns.step
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


def torch_reference(model, data, recipe: Int8Recipe | None, device: str) -> TrackerFns:
    """The torch model an artifact is compared with: the float model on ``device``, or the
    torch int8 graphs ``recipe`` describes (``Int8Recipe.from_manifest`` for an artifact),
    built by the same function that builds the graphs convert exports."""
    if recipe is None:
        strict_float32(device)
        model = model.to(device)

        def to(x):
            return x.to(device)

        return TrackerFns(lambda x: tuple(t.cpu() for t in model.init(to(x))),
                          lambda x, k: tuple(t.cpu() for t in model.step(to(x), to(k))))
    return build_export_graphs(model.cpu(), data, "int8", recipe).reference
