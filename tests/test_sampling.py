"""Action-weighted sampling of training sequences (``--action-weights``)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.errors import DkdError
from dkd_edge.train.data import RenderedClips
from dkd_edge.train.sampling import (
    load_action_weights,
    sequence_probabilities,
    weights_from_errors,
)


def test_equal_weights_keep_the_mix_and_weights_shift_it():
    actions = ["situp"] * 2 + ["golf_swing"] * 8
    assert np.allclose(sequence_probabilities(actions, {}), 0.1)
    p = sequence_probabilities(actions, {"situp": 4.0})
    assert p[:2].sum() == pytest.approx(8 / 16)  # 2 x 4 against 8 x 1
    assert p.sum() == pytest.approx(1.0)
    with pytest.raises(DkdError, match="unknown actions sit_up"):
        sequence_probabilities(actions, {"sit_up": 2.0})


def test_bad_weight_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text("{not json")
    with pytest.raises(DkdError, match="not JSON"):
        load_action_weights(bad)
    bad.write_text(json.dumps({"situp": -1}))
    with pytest.raises(DkdError, match="must be a positive number"):
        load_action_weights(bad)
    with pytest.raises(DkdError, match="not found"):
        load_action_weights(tmp_path / "missing.json")
    bad.write_text(json.dumps({"weights": {"situp": 2}, "pck": {}}))  # the script's own format
    assert load_action_weights(bad) == {"situp": 2.0}
    result = CliRunner().invoke(cli, ["train", "--config", "dkd-tiny", "--stage", "dkd",
                                      "--action-weights", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "action-weights file not found" in result.output


def test_weighted_stream_draws_the_weighted_action(penn_root):
    common = dict(penn_root=penn_root, split="train", clip_len=2, image_size=64, stride=4,
                  sigma=1.0, mean=(0.5,) * 3, std=(0.25,) * 3, seed=3)
    natural = RenderedClips(**common)
    weighted = RenderedClips(**common, action_weights={"situp": 1000.0})
    actions = [natural.dataset[i].meta["action"] for i in range(len(natural.dataset))]
    situp = np.array([a == "situp" for a in actions])
    assert natural.probabilities is None
    assert 0.02 < situp.mean() < 0.1  # Penn Action's own share of sit-ups
    assert weighted.probabilities[situp].sum() > 0.97
    clip = weighted.sample(np.random.default_rng(0))
    assert clip["frames"].shape == (2, 3, 64, 64)


def test_weights_follow_the_errors_and_stay_clipped():
    errors = {"situp": 40.0, "squat": 10.0, "jump_rope": 1.0}  # mean error 17
    weights = weights_from_errors(errors, power=0.5)
    assert weights["situp"] == pytest.approx((40 / 17) ** 0.5, abs=1e-3)
    assert weights["situp"] > weights["squat"] > weights["jump_rope"] == 0.5  # clipped low
    assert weights_from_errors(errors, power=0.0) == {a: 1.0 for a in errors}
    assert weights_from_errors(errors, power=3.0)["situp"] == 3.0  # clipped high


def test_a_resumed_stream_draws_fresh_clips(penn_root):
    common = dict(penn_root=penn_root, split="train", clip_len=2, image_size=64, stride=4,
                  sigma=1.0, mean=(0.5,) * 3, std=(0.25,) * 3, seed=3)

    def first_clips(**extra):
        stream = iter(RenderedClips(**common, **extra))
        return [next(stream)["joints"] for _ in range(3)]

    fresh, again = first_clips(), first_clips(resume_step=0)
    resumed, resumed_again = first_clips(resume_step=100), first_clips(resume_step=100)
    assert all(np.array_equal(a, b) for a, b in zip(fresh, again))  # fresh runs unchanged
    assert all(np.array_equal(a, b) for a, b in zip(resumed, resumed_again))  # reproducible
    assert not any(np.array_equal(a, b) for a, b in zip(fresh, resumed))
