"""Tracking-error augmentation for the ``dkd`` stage: mirror swaps in the starting heatmaps.

A tracker that has put a limb on its mirror (left wrist on the right wrist) carries that
error forward: the kernels distilled from it describe the wrong limb and the location prior
points at the wrong place. Swapping left/right heatmap channels of the rollout's first frame,
per clip and per pair at random, starts some rollouts from exactly that error, and the loss
on the following frames teaches the step path to recover from it.
"""

from __future__ import annotations

import torch

from dkd_edge.skeleton import FLIP_PAIRS


def mirror_pairs() -> list[tuple[int, int]]:
    """The (left, right) joint index pairs of ``FLIP_PAIRS``, each once."""
    return [(a, b) for a, b in enumerate(FLIP_PAIRS) if a < b]


def swap_mirror_pairs(heatmaps: torch.Tensor, prob: float,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """[B, J, h, w] -> a copy with each left/right pair's channels swapped with ``prob``,
    independently per clip and per pair."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"swap probability must lie in [0, 1], got {prob}")
    if prob == 0.0:
        return heatmaps
    pairs = mirror_pairs()
    swap = torch.rand(heatmaps.shape[0], len(pairs), generator=generator) < prob
    order = torch.arange(heatmaps.shape[1]).repeat(heatmaps.shape[0], 1)
    for index, (left, right) in enumerate(pairs):
        order[swap[:, index], left] = right
        order[swap[:, index], right] = left
    return torch.take_along_dim(heatmaps, order[:, :, None, None].to(heatmaps.device), dim=1)
