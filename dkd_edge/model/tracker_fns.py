"""The torch init/step pair that evaluation, verification and benchmarks roll out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

InitFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
StepFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass
class TrackerFns:
    """The init/step pair to evaluate; ``step=None`` runs init on every frame."""

    init: InitFn
    step: StepFn | None
