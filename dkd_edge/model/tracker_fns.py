"""The torch init/step pair that evaluation, verification and benchmarks roll out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dkd_edge.runtime.backend import Backend

InitFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
StepFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass
class TrackerFns:
    """The init/step pair to evaluate; ``step=None`` runs init on every frame."""

    init: InitFn
    step: StepFn | None


class FnsBackend(Backend):
    """A ``TrackerFns`` pair (torch) behind the runtime's ``Backend`` interface, so torch
    references roll out through the same ``dkd_edge.runtime.rollout.rollout`` as artifacts.
    ``step=None`` (the initializer alone) runs init on every frame."""

    name = "torch"

    def __init__(self, fns: TrackerFns):
        self.fns = fns

    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            heatmaps, kernels = self.fns.init(torch.from_numpy(frame))
        return _numpy(heatmaps), _numpy(kernels)

    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.fns.step is None:
            return self.init(frame)
        with torch.no_grad():
            heatmaps, out = self.fns.step(torch.from_numpy(frame), torch.from_numpy(kernels))
        return _numpy(heatmaps), _numpy(out)


def _numpy(tensor) -> np.ndarray:
    """float32 numpy of a tensor (None stays None: the initializer alone has no state)."""
    if tensor is None:
        return np.zeros((1,), np.float32)
    return tensor.detach().float().cpu().numpy()
