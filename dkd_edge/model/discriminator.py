"""The temporal discriminator (training only): real vs predicted heatmap sequences."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TemporalDiscriminator(nn.Module):
    """3D convolutions over [B, T, J, H, W] heatmap sequences -> one realism score each.

    Heatmaps are average-pooled 2x first; time is convolved without striding so that
    jitter and drift between frames, not only per-frame shape, decide the score.
    """

    def __init__(self, num_joints: int, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(num_joints, width, (3, 4, 4), (1, 2, 2), (1, 1, 1)),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv3d(width, width * 2, (3, 4, 4), (1, 2, 2), (1, 1, 1)),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv3d(width * 2, width * 2, (3, 4, 4), (1, 2, 2), (1, 1, 1)),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv3d(width * 2, 1, (3, 3, 3), 1, 1),
        )

    def forward(self, heatmaps: torch.Tensor) -> torch.Tensor:
        b, t, j, h, w = heatmaps.shape
        x = F.avg_pool2d(heatmaps.reshape(b * t, j, h, w), 2).reshape(b, t, j, h // 2, w // 2)
        return self.net(x.transpose(1, 2)).mean(dim=(1, 2, 3, 4))
