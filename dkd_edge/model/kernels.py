"""Pose kernels: distilled from (features, heatmaps), matched against the next features.

Both operations are written as matrix products plus k*k static slices of padded tensors
(no ``F.unfold``, no dynamic-filter conv, no softmax), the form that the probes found fully
XNNPACK-delegated in TFLite, compact in Core ML and exact in ONNX.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dkd_edge.model.blocks import ConvBNAct
from dkd_edge.model.config import DKDConfig


def coordinate_channels(size: int) -> torch.Tensor:
    """[1, 3, size, size]: x, y in [-1, 1] and x^2 + y^2."""
    axis = torch.linspace(-1.0, 1.0, size)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x, y, x * x + y * y])[None]


def position_channels(size: int, frequencies: tuple[int, ...]) -> torch.Tensor:
    """[1, 4F, size, size]: cos and sin of f*pi*x and f*pi*y for each frequency f."""
    axis = torch.linspace(-1.0, 1.0, size)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    planes = []
    for f in frequencies:
        planes += [torch.cos(f * torch.pi * x), torch.sin(f * torch.pi * x),
                   torch.cos(f * torch.pi * y), torch.sin(f * torch.pi * y)]
    return torch.stack(planes)[None]


def match_kernels(features: torch.Tensor, kernels: torch.Tensor, batch: int, joints: int,
                  channels: int, k: int, size: int) -> torch.Tensor:
    """Correlate per-joint kernels [B, J, C, k, k] with features [B, C, H, W] -> [B, J, H, W].

    Equal to ``F.conv2d`` of each sample's features with its own kernels (padding k // 2):
    one batched matmul gives every (kernel tap, joint) response, then the k*k taps are
    summed as shifted static slices.
    """
    pad = k // 2
    taps = kernels.permute(0, 3, 4, 1, 2).reshape(batch, k * k * joints, channels)
    flat = features.reshape(batch, channels, size * size)
    responses = torch.bmm(taps, flat).reshape(batch, k * k * joints, size, size)
    responses = F.pad(responses, (pad, pad, pad, pad))
    out = None
    for dy in range(k):
        for dx in range(k):
            tap = (dy * k + dx) * joints
            piece = responses[:, tap:tap + joints, dy:dy + size, dx:dx + size]
            out = piece if out is None else out + piece
    return out


def pool_patches(keys: torch.Tensor, weights: torch.Tensor, batch: int, joints: int,
                 channels: int, k: int, size: int) -> torch.Tensor:
    """Heatmap-weighted k x k feature patches: [B, J, C, k, k].

    ``patch[j, c, dy, dx] = sum_p weights[j, p] * keys[c, p + (dy - k//2, dx - k//2)]``,
    i.e. the features around each joint, weighted by where the joint is.
    """
    pad = k // 2
    padded = F.pad(keys, (pad, pad, pad, pad))
    shifted = [
        padded[:, :, dy:dy + size, dx:dx + size] for dy in range(k) for dx in range(k)
    ]
    stacked = torch.cat(shifted, dim=1).reshape(batch, k * k * channels, size * size)
    pooled = torch.bmm(weights.reshape(batch, joints, size * size), stacked.transpose(1, 2))
    return pooled.reshape(batch, joints, k, k, channels).permute(0, 1, 4, 2, 3)


class KernelDistillator(nn.Module):
    """(features_t, heatmaps_t) -> pose kernels [B, J, C, k, k].

    Keys come from the features and the heatmaps (so a kernel sees its neighbours' joints);
    each joint pools the k x k key patches around it, weighted by its normalised,
    rectified heatmap, then a learned channel mix (with bias) turns patches into kernels.
    """

    def __init__(self, config: DKDConfig):
        super().__init__()
        self.config = config
        appearance = config.appearance_channels
        learned = appearance - config.coord_channels
        self.keys = ConvBNAct(config.encoder_features + config.num_joints, learned, 1)
        self.mix = nn.Linear(appearance, appearance)
        with torch.no_grad():  # start with small kernels: matched heatmaps of order 1
            self.mix.weight.mul_(0.05)
            self.mix.bias.zero_()
        self.register_buffer("coords", coordinate_channels(config.heatmap_size), persistent=False)
        if config.position_channels:
            size = config.heatmap_size
            table = position_channels(size, config.position_frequencies)
            self.register_buffer("positions", table.reshape(-1, size * size).t().contiguous(),
                                 persistent=False)  # [S*S, P]
            self.position_gain = nn.Parameter(
                torch.full((config.position_channels,), 0.5 / len(config.position_frequencies)))

    def forward(self, features: torch.Tensor, heatmaps: torch.Tensor, batch: int) -> torch.Tensor:
        cfg = self.config
        size, joints, channels, k = (cfg.heatmap_size, cfg.num_joints, cfg.appearance_channels,
                                     cfg.kernel_size)
        keys = self.keys(torch.cat([features, heatmaps], dim=1))
        coords = self.coords.expand(batch, 3, size, size)
        keys = torch.cat([keys, coords], dim=1)
        if cfg.pool_threshold:  # keep the peak, drop the diffuse background
            peak = heatmaps.reshape(batch, joints, size * size).amax(dim=2)
            mass = F.relu(heatmaps - cfg.pool_threshold * peak.reshape(batch, joints, 1, 1))
        else:
            mass = F.relu(heatmaps)
        total = mass.reshape(batch, joints, size * size).sum(dim=2).reshape(batch, joints, 1, 1)
        weights = mass / (total + 1e-3)
        patches = pool_patches(keys, weights, batch, joints, channels, k, size)
        taps = patches.permute(0, 1, 3, 4, 2).reshape(batch, joints * k * k, channels)
        kernels = self.mix(taps).reshape(batch, joints, k, k, channels).permute(0, 1, 4, 2, 3)
        if not cfg.position_channels:
            return kernels
        where = torch.matmul(weights.reshape(batch, joints, size * size), self.positions)
        where = (where * self.position_gain).reshape(batch, joints, cfg.position_channels, 1, 1)
        pad = k // 2
        return torch.cat([kernels, F.pad(where, (pad, pad, pad, pad))], dim=2)


class KernelMatcher(nn.Module):
    """Heatmaps_{t+1} from kernels_t matched with features_{t+1} (plus a per-joint bias).

    With position channels, their centre taps add a location prior: a learned sum of
    cosines of the distance to where each joint was.
    """

    def __init__(self, config: DKDConfig):
        super().__init__()
        self.config = config
        learned = config.appearance_channels - config.coord_channels
        self.query = ConvBNAct(config.encoder_features, learned, 1, act=False)
        self.bias = nn.Parameter(torch.zeros(1, config.num_joints, 1, 1))
        self.register_buffer("coords", coordinate_channels(config.heatmap_size), persistent=False)
        if config.position_channels:
            size = config.heatmap_size
            table = position_channels(size, config.position_frequencies)
            self.register_buffer("positions", table.reshape(-1, size * size), persistent=False)
        if config.static_head:
            self.static = nn.Conv2d(config.encoder_features, config.num_joints, 1, bias=False)
            nn.init.zeros_(self.static.weight)

    def forward(self, features: torch.Tensor, kernels: torch.Tensor, batch: int) -> torch.Tensor:
        cfg = self.config
        size = cfg.heatmap_size
        coords = self.coords.expand(batch, 3, size, size)
        query = torch.cat([self.query(features), coords], dim=1)
        appearance, k = cfg.appearance_channels, cfg.kernel_size
        matched = kernels[:, :, :appearance] if cfg.position_channels else kernels
        heatmaps = match_kernels(query, matched, batch, cfg.num_joints, appearance, k, size)
        if cfg.position_channels:  # centre taps only: a location prior
            where = kernels[:, :, appearance:, k // 2, k // 2]
            prior = torch.matmul(where, self.positions)
            heatmaps = heatmaps + prior.reshape(batch, cfg.num_joints, size, size)
        if cfg.static_head:
            heatmaps = heatmaps + self.static(features)
        return heatmaps + self.bias
