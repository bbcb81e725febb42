"""The DKD model: initializer on the first frame, then encoder + kernels on every later frame.

    init(frame)           -> heatmaps_0 = initializer(frame)
                             kernels_0  = distill(encoder(frame), heatmaps_0)
    step(frame, kernels)  -> features   = encoder(frame)
                             heatmaps   = match(kernels, features)
                             kernels'   = distill(features, heatmaps)

Frames are normalised RGB [B, 3, S, S] (see ``DKDConfig.preprocessing``); heatmaps are
[B, J, S/4, S/4]; kernels are [B, J, C, k, k].
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from dkd_edge.model.config import DKDConfig
from dkd_edge.model.kernels import KernelDistillator, KernelMatcher
from dkd_edge.model.networks import FrameEncoder, build_initializer


class DKD(nn.Module):
    """Pose initializer, frame encoder, kernel distillator and matcher."""

    def __init__(self, config: DKDConfig):
        super().__init__()
        self.config = config
        self.initializer = build_initializer(config)
        self.encoder = FrameEncoder(config)
        self.distillator = KernelDistillator(config)
        self.matcher = KernelMatcher(config)

    def init(self, frame: torch.Tensor, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        heatmaps = self.initializer(frame)
        kernels = self.distillator(self.encoder(frame), heatmaps, batch)
        return heatmaps, kernels

    def step(self, frame: torch.Tensor, kernels: torch.Tensor, batch: int = 1
             ) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(frame)
        heatmaps = self.matcher(features, kernels, batch)
        return heatmaps, self.distillator(features, heatmaps, batch)

    def rollout(self, frames: torch.Tensor, first_heatmaps: torch.Tensor | None = None,
                perturb_state: Callable[[torch.Tensor], torch.Tensor] | None = None
                ) -> torch.Tensor:
        """Run a clip [B, T, 3, S, S] -> heatmaps [B, T, J, S/4, S/4] (frame 0 from init).

        ``first_heatmaps`` replaces the initializer's output on frame 0 (e.g. a frozen
        initializer's, computed without gradients). ``perturb_state`` (training only) edits
        the heatmaps that each step's next kernels are distilled from, not the outputs.
        """
        batch, steps = int(frames.shape[0]), int(frames.shape[1])
        if first_heatmaps is None:
            first_heatmaps = self.initializer(frames[:, 0])
        kernels = self.distillator(self.encoder(frames[:, 0]), first_heatmaps, batch)
        outputs = [first_heatmaps]
        for t in range(1, steps):
            if perturb_state is None:
                heatmaps, kernels = self.step(frames[:, t], kernels, batch)
            else:
                features = self.encoder(frames[:, t])
                heatmaps = self.matcher(features, kernels, batch)
                kernels = self.distillator(features, perturb_state(heatmaps), batch)
            outputs.append(heatmaps)
        return torch.stack(outputs, dim=1)


class InitGraph(nn.Module):
    """Exportable ``init(frame) -> (heatmaps, kernels)`` at batch 1."""

    def __init__(self, model: DKD):
        super().__init__()
        self.model = model

    def forward(self, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.init(frame, 1)


class StepGraph(nn.Module):
    """Exportable ``step(frame, kernels) -> (heatmaps, kernels_out)`` at batch 1."""

    def __init__(self, model: DKD):
        super().__init__()
        self.model = model

    def forward(self, frame: torch.Tensor, kernels: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.step(frame, kernels, 1)
