"""Training losses: weighted heatmap MSE and the least-squares adversarial terms."""

from __future__ import annotations

import torch


def heatmap_mse(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over joints of the per-joint mean squared error, scaled by 1000 for readability.

    pred/target: [..., J, H, W]; weights: [..., J] (0 for joints outside the frame).
    """
    per_joint = (pred - target).square().mean(dim=(-1, -2))
    return 1000.0 * (per_joint * weights).sum() / weights.sum().clamp(min=1.0)


def heatmap_peak_ce(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor,
                    temperature: float = 0.1) -> torch.Tensor:
    """Spatial cross-entropy between softmax(pred / temperature) over each map and the
    Gaussian target normalised to sum 1 (training only: the exported graphs keep no softmax).

    At temperature 0.1 a peak-1 heatmap on a zero background puts most of the softmax mass
    on its peak, so the term agrees with the MSE's target while rewarding one sharp, correct
    peak and penalising any competing one, which MSE on mostly-zero maps barely does.
    """
    logits = (pred / temperature).flatten(-2)
    dist = target.flatten(-2)
    dist = dist / dist.sum(-1, keepdim=True).clamp(min=1e-6)
    per_joint = -(dist * torch.log_softmax(logits, dim=-1)).sum(-1)
    return (per_joint * weights).sum() / weights.sum().clamp(min=1.0)


def generator_adversarial(score_fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: the generator wants predicted sequences scored as real (1)."""
    return (score_fake - 1.0).square().mean()


def discriminator_loss(score_real: torch.Tensor, score_fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: real sequences toward 1, predicted ones toward 0."""
    return 0.5 * ((score_real - 1.0).square().mean() + score_fake.square().mean())
