"""Tracking-error augmentation for the ``dkd`` stage: mirror swaps in the starting heatmaps,
(``perturb_state``) swaps or shifted joints in the state part-way through a rollout, and
(``double_mirror_pairs``) "doubles": one joint's heatmap replaced by its mirror's, so that
both kernels of a left/right pair describe the same limb.

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


def _clips_hit(batch: int, prob: float, kind: str, generator: torch.Generator | None
               ) -> list[int]:
    """The clips (of ``batch``) that get an error of ``kind``, each with ``prob``."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"{kind} probability must lie in [0, 1], got {prob}")
    if prob == 0.0:
        return []
    return torch.nonzero(torch.rand(batch, generator=generator) < prob).flatten().tolist()


def perturb_state(heatmaps: torch.Tensor, prob: float, max_shift: int = 6,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Mid-rollout tracking errors in the heatmaps a step distils its next kernels from.

    Each clip, with probability ``prob``, gets one error: half the time a random left/right
    pair swapped, otherwise one random joint's heatmap shifted by up to ``max_shift`` cells
    in x and y, never by zero (a limb drifting off its joint). The step path is trained on
    the frames that follow, so it learns to pull a drifting state back instead of carrying
    it forward.
    """
    clips = _clips_hit(int(heatmaps.shape[0]), prob, "drift", generator)
    if not clips:
        return heatmaps
    joints = int(heatmaps.shape[1])
    pairs = mirror_pairs()
    out = heatmaps.clone()
    for clip in clips:
        if torch.rand(1, generator=generator).item() < 0.5:
            left, right = pairs[int(torch.randint(len(pairs), (1,), generator=generator))]
            out[clip, left], out[clip, right] = heatmaps[clip, right], heatmaps[clip, left]
        else:
            joint = int(torch.randint(joints, (1,), generator=generator))
            dy, dx = (torch.randint(-max_shift, max_shift + 1, (2,), generator=generator)
                      .tolist())
            if dy == 0 and dx == 0:  # an error, not a no-op
                dy = max_shift
            out[clip, joint] = torch.roll(heatmaps[clip, joint], (dy, dx), dims=(0, 1))
    return out


def double_mirror_pairs(heatmaps: torch.Tensor, prob: float,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """[B, J, h, w] -> a copy where, per clip with ``prob``, one random left/right pair is
    collapsed onto one limb: one side's heatmap (left or right at random) replaced by the other's.

    This is the tracker's most common left/right error (more common than an exchange), which
    neither the swaps nor the shifts reproduce. The loss on the following frames teaches the
    step path to pull the doubled joint back to its own limb.
    """
    clips = _clips_hit(int(heatmaps.shape[0]), prob, "double", generator)
    if not clips:
        return heatmaps
    pairs = mirror_pairs()
    out = heatmaps.clone()
    for clip in clips:
        left, right = pairs[int(torch.randint(len(pairs), (1,), generator=generator))]
        if torch.rand(1, generator=generator).item() < 0.5:
            out[clip, left] = heatmaps[clip, right]
        else:
            out[clip, right] = heatmaps[clip, left]
    return out
