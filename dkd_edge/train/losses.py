"""Training losses: weighted heatmap MSE and the least-squares adversarial terms."""

from __future__ import annotations

import torch


def heatmap_mse(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over joints of the per-joint mean squared error, scaled by 1000 for readability.

    pred/target: [..., J, H, W]; weights: [..., J] (0 for joints outside the frame).
    """
    per_joint = (pred - target).square().mean(dim=(-1, -2))
    return 1000.0 * (per_joint * weights).sum() / weights.sum().clamp(min=1.0)


def generator_adversarial(score_fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: the generator wants predicted sequences scored as real (1)."""
    return (score_fake - 1.0).square().mean()


def discriminator_loss(score_real: torch.Tensor, score_fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: real sequences toward 1, predicted ones toward 0."""
    return 0.5 * ((score_real - 1.0).square().mean() + score_fake.square().mean())
