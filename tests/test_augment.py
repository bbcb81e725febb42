"""Mirror augmentation of real Penn Action motion: labels swap, the facing convention holds."""

import numpy as np

from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import facing_per_frame
from dkd_edge.train.augment import mirror_sequence
from dkd_edge.train.data import RenderedClips


def _profile_and_frontal(dataset: PennAction):
    poses = {dataset.label(i)["pose"]: i for i in dataset.ids}
    return dataset[dataset.ids.index(poses["left"])], dataset[dataset.ids.index(poses["front"])]


def test_mirror_swaps_labels_and_keeps_facing(penn_root):
    dataset = PennAction(penn_root, "train")
    profile, frontal = _profile_and_frontal(dataset)
    mirrored = mirror_sequence(frontal)
    width = frontal.meta["width"]
    # the left shoulder of the mirror is the right shoulder reflected
    np.testing.assert_allclose(mirrored.joints[:, 1, 0], width - 1 - frontal.joints[:, 2, 0])
    np.testing.assert_array_equal(mirrored.visibility[:, 1], frontal.visibility[:, 2])
    assert (mirrored.bbox[:, 2] >= mirrored.bbox[:, 0]).all()
    torso = 50.0
    np.testing.assert_array_equal(facing_per_frame(mirrored.joints, torso),
                                  facing_per_frame(frontal.joints, torso))
    assert mirror_sequence(profile).meta["pose"] == "right"
    twice = mirror_sequence(mirrored)
    np.testing.assert_allclose(twice.joints, frontal.joints, atol=1e-4)
    assert twice.meta["pose"] == "front" and not twice.meta["mirrored"]


def test_mirror_prob_draws_mirrored_clips(penn_root, monkeypatch):
    import dkd_edge.train.data as data

    drawn = []

    def spy(sequence):
        drawn.append(sequence.meta["id"])
        return mirror_sequence(sequence)

    monkeypatch.setattr(data, "mirror_sequence", spy)
    common = dict(penn_root=penn_root, split="train", clip_len=2, image_size=64, stride=4,
                  sigma=1.0, mean=(0.5,) * 3, std=(0.25,) * 3, seed=5)
    rng = np.random.default_rng(1)
    never, half = RenderedClips(**common), RenderedClips(**common, mirror_prob=0.5)
    never.sample(rng)
    assert drawn == []
    clips = [half.sample(rng) for _ in range(12)]
    assert 2 <= len(drawn) <= 10  # about half of the 12 clips
    assert all(c["frames"].shape == (2, 3, 64, 64) for c in clips)
