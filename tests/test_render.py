import json

import numpy as np
import pytest
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.data.motion import complete_motion
from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import (
    RenderConfig,
    clip_torso_length,
    facing_per_frame,
    render_sequence,
)


@pytest.fixture(scope="module")
def train_sequence(penn_root):
    return PennAction(penn_root, "train")[10]


def test_render_is_deterministic_and_shaped(train_sequence):
    a = render_sequence(train_sequence, seed=3, max_frames=12)
    b = render_sequence(train_sequence, seed=3, max_frames=12)
    c = render_sequence(train_sequence, seed=4, max_frames=12)
    assert a.frames.shape == (12, 256, 256, 3) and a.frames.dtype == np.uint8
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.joints, b.joints)
    assert not np.array_equal(a.frames, c.frames)
    assert a.joints.shape == (12, 13, 2) and a.bbox.shape == (12, 4)


def test_figure_is_drawn_at_the_joints(train_sequence):
    plain = RenderConfig(occluder_prob=0.0, blur_prob=0.0)
    clip = render_sequence(train_sequence, seed=5, max_frames=8, config=plain)
    empty = render_sequence(train_sequence, seed=5, max_frames=8, config=RenderConfig(
        occluder_prob=0.0, blur_prob=0.0, draw_person=False))
    assert clip.visibility.mean() > 0.8
    changed = []
    for f in range(8):
        for (x, y), visible in zip(clip.joints[f], clip.visibility[f]):
            if visible:
                a = clip.frames[f, int(round(y)), int(round(x))].astype(int)
                b = empty.frames[f, int(round(y)), int(round(x))].astype(int)
                changed.append(np.abs(a - b).sum() > 0)
    assert np.mean(changed) > 0.95  # every visible joint is covered by the drawn body


def test_joints_the_labels_mark_invisible_are_drawn_but_not_scored(train_sequence):
    """PCK's protocol (LSTM Pose Machines, DKD) scores labelled-visible joints only; the
    renderer still draws the others where complete_motion puts them."""
    from dataclasses import replace

    hidden = train_sequence.visibility.copy()
    hidden[:, 5] = False  # the left wrist never labelled
    hidden[::2, 10] = False  # the right knee labelled on every other frame
    plain = RenderConfig(occluder_prob=0.0, blur_prob=0.0)
    clip = render_sequence(replace(train_sequence, visibility=hidden), seed=5, max_frames=8,
                           config=plain, start=0)
    labelled = hidden[:8]
    assert not clip.visibility[:, 5].any()
    assert not clip.visibility[::2, 10].any()
    np.testing.assert_array_equal(clip.visibility, clip.drawn & labelled)
    assert clip.drawn[:, 5].sum() > clip.visibility[:, 5].sum()  # drawn in view, not scored
    assert clip.drawn.mean() > clip.visibility.mean()


def test_side_views_draw_the_side_the_labels_hide_as_the_far_side(penn_root):
    """Penn Action marks the far side's joints invisible far more often: in "left" views
    (the person's left side towards the camera) that is the person's right. The renderer
    shades and draws that side behind."""
    from dkd_edge.data.penn_action import PennAction
    from dkd_edge.data.render import DEPTH_ORDER, FAR_SIDE

    dataset = PennAction(penn_root, "test")
    hidden = {view: np.zeros(2) for view in ("left", "right")}
    for seq_id in dataset.ids:
        label = dataset.label(seq_id)
        if label["pose"] in hidden:
            invisible = ~label["visibility"][:, 1:]
            hidden[label["pose"]] += [invisible[:, 0::2].mean(), invisible[:, 1::2].mean()]
    for view, (left, right) in hidden.items():
        hidden_side = "left" if left > right else "right"
        assert max(left, right) > 2 * min(left, right)
        assert FAR_SIDE[view] == hidden_side
        assert DEPTH_ORDER[view][:2] == (f"{hidden_side}_arm", f"{hidden_side}_leg")
    assert FAR_SIDE == {"left": "right", "right": "left"}


def test_facing_rule_agrees_with_penn_front_and_back_views(penn_root):
    """Re-derived on the person-centric labels: front-view figures face the camera (their
    left shoulder on the image's right), back-view figures face away."""
    from dkd_edge.data.penn_action import PennAction
    from dkd_edge.data.render import clip_torso_length

    dataset = PennAction(penn_root, "test")
    share = {"front": [], "back": []}
    for seq_id in dataset.ids[::4]:
        label = dataset.label(seq_id)
        if label["pose"] in share:
            facing = facing_per_frame(label["joints"], clip_torso_length(label["joints"]))
            share[label["pose"]].append(facing)
    front, back = np.concatenate(share["front"]), np.concatenate(share["back"])
    assert (front == 1).mean() > 0.8 and (front == -1).mean() < 0.1
    assert (back == -1).mean() > 0.5 and (back == 1).mean() < 0.25


def test_facing_follows_the_persons_left_right_axis():
    joints = np.zeros((3, 13, 2), np.float32)
    joints[:, :, 1] = np.arange(13) * 10
    joints[0, [1, 7], 0], joints[0, [2, 8], 0] = 10, -10  # left on the image's right: facing us
    joints[1, [1, 7], 0], joints[1, [2, 8], 0] = -10, 10  # mirrored: seen from behind
    joints[2, [1, 7], 0], joints[2, [2, 8], 0] = 1, -1  # edge-on
    facing = np.concatenate([facing_per_frame(joints[[k] * 5], torso_len=60.0) for k in range(3)])
    assert facing.reshape(3, 5)[:, 2].tolist() == [1, -1, 0]


def test_clip_torso_length_is_the_median_neck_to_hip_kept_to_the_figure():
    joints = np.zeros((4, 13, 2), np.float32)
    joints[:, :, 1] = np.linspace(0, 200, 13)  # a figure 200 px tall
    joints[:, [1, 2], 1], joints[:, [7, 8], 1] = 40, 100  # shoulders to hips: 60 px
    assert clip_torso_length(joints) == 60.0
    joints[:, [7, 8], 1] = 45  # a squashed torso is kept to 18 % of the height
    assert np.isclose(clip_torso_length(joints), 36.0)
    assert clip_torso_length(np.zeros((2, 13, 2), np.float32)) == 20.0  # no figure at all


def test_facing_cues_only_touch_the_head_and_feet(train_sequence):
    plain = dict(occluder_prob=0.0, blur_prob=0.0)
    cued = render_sequence(train_sequence, seed=5, max_frames=8, config=RenderConfig(**plain))
    bare = render_sequence(train_sequence, seed=5, max_frames=8,
                           config=RenderConfig(**plain, facing_cues=False))
    np.testing.assert_array_equal(cued.joints, bare.joints)
    assert cued.meta["facing_cues"] and not bare.meta["facing_cues"]
    changed = np.abs(cued.frames.astype(int) - bare.frames.astype(int)).sum(-1) > 0
    assert changed.any()
    torso = np.linalg.norm(cued.joints[:, [1, 2]].mean(1) - cued.joints[:, [7, 8]].mean(1), axis=-1)
    ys, xs = np.mgrid[0:256, 0:256]
    for f in range(8):
        near = np.zeros((256, 256), bool)
        for joint in (0, 11, 12):  # head, ankles
            x, y = cued.joints[f, joint]
            near |= (xs - x) ** 2 + (ys - y) ** 2 <= (0.6 * torso[f]) ** 2
        assert not (changed[f] & ~near).any()


def test_complete_motion_fills_invisible_joints():
    joints = np.zeros((3, 13, 2), np.float32)
    vis = np.ones((3, 13), bool)
    joints[:, :, 1] = np.arange(13) * 10
    joints[0, 5] = [0, 50]
    joints[2, 5] = [20, 50]
    joints[1, 5] = [0.75, 0.75]  # Penn's dummy coordinates for an invisible joint
    vis[1, 5] = False
    vis[:, 12] = False  # never visible: placed from the template
    done = complete_motion(joints, vis)
    np.testing.assert_allclose(done[1, 5], [10, 50])
    assert np.isfinite(done).all() and done[0, 12, 1] > done[0, 0, 1]


def test_render_cli_round_trip(tmp_path, penn_root):
    out = tmp_path / "rendered"
    runner = CliRunner()
    result = runner.invoke(cli, [
        "data", "render", "--penn-root", str(penn_root), "--split", "test", "--limit", "2",
        "--max-frames", "6", "--seed", "1", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "frames").iterdir()) == sorted(
        p.stem for p in (out / "labels").iterdir())
    stats = runner.invoke(cli, ["data", "stats", "--penn-root", str(out), "--json"])
    counts = json.loads(stats.output)
    assert counts["sequences"] == 2 and counts["test"] == 2 and counts["frames"] == 12
    dataset = PennAction(out, "test")
    sequence = dataset[0]
    assert sequence.has_frames and sequence.frames[0].shape == (256, 256, 3)
    assert sequence.joints.shape == (6, 13, 2)
    # Re-rendering the same motion gives the same ground truth as was written.
    source = PennAction(penn_root, "test")
    original = source[source.ids.index(sequence.meta["id"])]
    from dkd_edge.data.render_job import clip_seed

    again = render_sequence(original, clip_seed(1, sequence.meta["id"]), max_frames=6)
    np.testing.assert_allclose(sequence.joints, again.joints, atol=1e-4)
    # An existing output folder is refused without --force.
    again_cli = runner.invoke(cli, [
        "data", "render", "--penn-root", str(penn_root), "--split", "test", "--limit", "1",
        "--out", str(out),
    ])
    assert again_cli.exit_code == 2 and "exists" in again_cli.output
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_errors_are_one_line(tmp_path, penn_root):
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "render", "--penn-root", str(penn_root),
                                 "--split", "val", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    expected = "Error: unknown split 'val': use one of train, test, all"
    assert result.output.strip().splitlines() == [expected]
    result = runner.invoke(cli, ["data", "stats", "--penn-root", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "Traceback" not in result.output
