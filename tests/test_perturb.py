"""The dkd stage's mirror-swap augmentation (``dkd_edge.train.perturb``)."""

import pytest
import torch

from dkd_edge.skeleton import FLIP_PAIRS, PENN_JOINTS
from dkd_edge.train.perturb import (
    double_mirror_pairs,
    mirror_pairs,
    perturb_state,
    swap_mirror_pairs,
)


def labelled(batch: int) -> torch.Tensor:
    """[B, J, 2, 2] heatmaps whose channel j holds the value j everywhere."""
    return torch.arange(len(PENN_JOINTS)).float()[None, :, None, None].repeat(batch, 1, 2, 2)


def test_pairs_cover_every_limb_joint_once():
    pairs = mirror_pairs()
    assert len(pairs) == 6
    assert sorted(j for pair in pairs for j in pair) == list(range(1, 13))


def test_probability_one_mirrors_every_pair_and_keeps_the_head():
    out = swap_mirror_pairs(labelled(3), 1.0)
    assert out[:, :, 0, 0].tolist() == [list(map(float, FLIP_PAIRS))] * 3
    assert torch.equal(swap_mirror_pairs(out, 1.0), labelled(3))


def test_probability_zero_changes_nothing():
    assert torch.equal(swap_mirror_pairs(labelled(2), 0.0), labelled(2))


def test_swaps_are_drawn_per_clip_and_per_pair():
    out = swap_mirror_pairs(labelled(64), 0.5, torch.Generator().manual_seed(0))[:, :, 0, 0]
    swapped = out != labelled(64)[:, :, 0, 0]
    assert 0.3 < swapped[:, 1:].float().mean() < 0.7
    assert len({tuple(row.tolist()) for row in swapped}) > 10
    for left, right in mirror_pairs():  # a pair swaps as a whole: both channels or neither
        assert torch.equal(swapped[:, left], swapped[:, right])


def test_a_probability_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="swap probability"):
        swap_mirror_pairs(labelled(1), 1.5)


def test_drift_probability_one_puts_one_error_in_every_clip():
    heatmaps = torch.randn(16, len(PENN_JOINTS), 32, 32, requires_grad=True)
    out = perturb_state(heatmaps, 1.0, generator=torch.Generator().manual_seed(1))
    changed = (out != heatmaps).flatten(2).any(2).sum(1)
    assert changed.min() >= 1 and changed.max() <= 2  # one shifted joint or one swapped pair
    out.sum().backward()  # the rollout's gradients still flow through the edited state
    assert torch.equal(heatmaps.grad, torch.ones_like(heatmaps))


def test_drift_errors_are_mirror_swaps_or_shifts_of_the_same_map():
    heatmaps = torch.randn(32, len(PENN_JOINTS), 16, 16)
    out = perturb_state(heatmaps, 1.0, max_shift=3, generator=torch.Generator().manual_seed(2))
    pairs = {frozenset(pair) for pair in mirror_pairs()}
    for clip in range(32):
        changed = torch.nonzero((out[clip] != heatmaps[clip]).flatten(1).any(1)).flatten()
        if len(changed) == 2:
            assert frozenset(changed.tolist()) in pairs
        else:
            joint = int(changed[0])
            assert any(torch.equal(out[clip, joint], torch.roll(heatmaps[clip, joint], (dy, dx),
                                                                (0, 1)))
                       for dy in range(-3, 4) for dx in range(-3, 4))


def test_drift_probability_zero_changes_nothing_and_bad_values_are_refused():
    heatmaps = torch.randn(2, len(PENN_JOINTS), 8, 8)
    assert perturb_state(heatmaps, 0.0) is heatmaps
    with pytest.raises(ValueError, match="drift probability"):
        perturb_state(heatmaps, -0.1)


def test_double_probability_one_collapses_one_pair_per_clip_onto_one_limb():
    heatmaps = torch.randn(64, len(PENN_JOINTS), 8, 8, requires_grad=True)
    out = double_mirror_pairs(heatmaps, 1.0, torch.Generator().manual_seed(3))
    pairs = dict(mirror_pairs())
    copied_from_right = 0
    for clip in range(64):
        changed = torch.nonzero((out[clip] != heatmaps[clip]).flatten(1).any(1)).flatten()
        assert len(changed) == 1  # one joint of one pair, the other side untouched
        joint = int(changed[0])
        mirror = FLIP_PAIRS[joint]
        assert torch.equal(out[clip, joint], heatmaps[clip, mirror])  # now on its mirror's limb
        copied_from_right += joint in pairs  # the left joint took the right one's map
    assert 16 < copied_from_right < 48  # both directions are drawn
    out.sum().backward()  # gradients reach the source map twice, the overwritten one not at all
    assert set(heatmaps.grad.unique().tolist()) <= {0.0, 1.0, 2.0}


def test_double_probability_zero_changes_nothing_and_bad_values_are_refused():
    heatmaps = torch.randn(2, len(PENN_JOINTS), 8, 8)
    assert double_mirror_pairs(heatmaps, 0.0) is heatmaps
    with pytest.raises(ValueError, match="double probability"):
        double_mirror_pairs(heatmaps, 1.1)
