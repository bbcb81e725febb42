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


def position_table(size: int, frequencies: tuple[int, ...]) -> torch.Tensor:
    """[size, 2F]: cos and sin of f*pi*a for each frequency f, a in [-1, 1] along one axis."""
    axis = torch.linspace(-1.0, 1.0, size)
    columns = []
    for f in frequencies:
        columns += [torch.cos(f * torch.pi * axis), torch.sin(f * torch.pi * axis)]
    return torch.stack(columns, dim=1)


def position_planes(size: int, frequencies: tuple[int, ...]) -> torch.Tensor:
    """[4F, size*size]: per frequency f, cos(f pi x), sin(f pi x), cos(f pi y), sin(f pi y)."""
    table = position_table(size, frequencies)  # [S, 2F]
    planes = []
    for i in range(len(frequencies)):
        along_x = table[:, 2 * i:2 * i + 2].t()[:, None, :].expand(2, size, size)
        along_y = table[:, 2 * i:2 * i + 2].t()[:, :, None].expand(2, size, size)
        planes += [along_x, along_y]
    return torch.cat(planes).reshape(4 * len(frequencies), size * size).contiguous()


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
    if k == 1:  # 1x1 kernels: one matmul, no shifted taps
        return responses
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
    if k == 1:  # 1x1 patches: the keys themselves (a full-range slice would become an
        # `alias` node, which coremltools 9.0 cannot convert)
        stacked = keys.reshape(batch, channels, size * size)
    else:
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
            self.register_buffer("positions", position_table(
                config.heatmap_size, config.position_frequencies), persistent=False)  # [S, 2F]
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
        # Position channels per frequency f: cos/sin(f pi x), cos/sin(f pi y), pooled with the
        # same weights. They are separable, so pool the x and y marginals of the weights.
        freqs = len(cfg.position_frequencies)
        # 2-D matmuls, as in the matcher (where litert-torch turned the batched form into an
        # invalid rank-4 BATCH_MATMUL).
        marginal_x = weights.sum(dim=2).reshape(batch * joints, size)
        marginal_y = weights.sum(dim=3).reshape(batch * joints, size)
        along_x = torch.mm(marginal_x, self.positions).reshape(batch, joints, freqs, 2)
        along_y = torch.mm(marginal_y, self.positions).reshape(batch, joints, freqs, 2)
        where = torch.cat([along_x, along_y], dim=3).reshape(batch, joints, 4 * freqs)
        where = (where * self.position_gain).reshape(batch, joints, cfg.position_channels, 1, 1)
        pad = k // 2
        if pad:
            where = F.pad(where, (pad, pad, pad, pad))
        return torch.cat([kernels, where], dim=2)


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
            self.register_buffer("positions", position_planes(
                config.heatmap_size, config.position_frequencies), persistent=False)  # [4F, S*S]
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
            # One 2-D matmul with the full [4F, S*S] table: litert-torch turns the separable
            # form (two small matmuls + a broadcast add) into an invalid rank-4 BATCH_MATMUL.
            joints = cfg.num_joints
            where = kernels[:, :, appearance:, k // 2, k // 2].reshape(
                batch * joints, cfg.position_channels)
            prior = torch.mm(where, self.positions).reshape(batch, joints, size, size)
            heatmaps = heatmaps + prior
        if cfg.static_head:
            heatmaps = heatmaps + self.static(features)
        return heatmaps + self.bias
