"""The LSP / LSP Extended loader on the real data and on the original LSP layout."""

import json

import numpy as np
import pytest
import scipy.io
from click.testing import CliRunner
from PIL import Image

from dkd_edge.cli import cli
from dkd_edge.data.lspet import LSP_JOINTS, LSP_TO_OURS, LSPET, VAL_COUNT
from dkd_edge.errors import DatasetError
from dkd_edge.skeleton import PENN_JOINTS


def test_joint_map_is_by_name():
    for ours, lsp in zip(PENN_JOINTS, LSP_TO_OURS):
        assert LSP_JOINTS[lsp] == ("head_top" if ours == "head" else ours)
    assert "neck" not in [LSP_JOINTS[i] for i in LSP_TO_OURS]


def test_real_lspet_skips_held_back_images_and_splits_fixed(lspet_root):
    everything = LSPET(lspet_root)
    stats = everything.stats()
    assert (stats["labels"], stats["images"], stats["skipped"]) == (10000, 9000, 1000)
    train, val = LSPET(lspet_root, "train"), LSPET(lspet_root, "val")
    assert len(val) == VAL_COUNT and len(train) == 9000 - VAL_COUNT
    assert not {i.name for i in train.items} & {i.name for i in val.items}
    assert [i.name for i in LSPET(lspet_root, "val").items] == [i.name for i in val.items]
    item = val[0]
    image = item.load()
    assert image.ndim == 3 and image.shape[2] == 3
    points = item.joints[item.annotated]
    assert (points >= -5).all() and (points[:, 0] <= image.shape[1] + 5).all()


def _write_lsp(root, joints, sizes):
    (root / "images").mkdir(parents=True)
    scipy.io.savemat(str(root / "joints.mat"), {"joints": joints})
    for index in range(sizes):
        Image.new("RGB", (64, 48)).save(root / "images" / f"im{index + 1:04d}.jpg")


def test_original_lsp_layout_is_read(tmp_path):
    """LSP's 3 x 14 x N with the third row 0 for visible: every joint is labelled."""
    xy = np.random.default_rng(0).uniform(5, 40, (2, 14, 3))
    joints = np.concatenate([xy, np.zeros((1, 14, 3))])
    joints[2, 4, 1] = 1  # hidden, still labelled
    _write_lsp(tmp_path, joints, 3)
    data = LSPET(tmp_path)
    assert len(data) == 3 and data.skipped == 0
    assert data[1].annotated.all()
    np.testing.assert_allclose(data[1].joints[1], xy[:, 9, 1])  # left shoulder <- L shoulder


def test_bad_joints_mat_is_one_line(tmp_path):
    _write_lsp(tmp_path, np.zeros((5, 3, 2)), 2)
    with pytest.raises(DatasetError, match="joints.mat: 'joints' has shape") as info:
        LSPET(tmp_path)
    assert "\n" not in str(info.value)
    with pytest.raises(DatasetError, match="joints.mat: not found"):
        LSPET(tmp_path / "images")


def test_data_stats_cli(lspet_root):
    result = CliRunner().invoke(cli, ["data", "stats", "--lspet-root", str(lspet_root),
                                      "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert (stats["images"], stats["skipped"]) == (9000, 1000) and stats["joints"] > 90000
    missing = CliRunner().invoke(cli, ["data", "stats", "--lspet-root", "/nonexistent"])
    assert missing.exit_code == 2 and "LSPET folder not found" in missing.output


def test_eval_lspet_reports_both_figures_with_intervals(lspet_root):
    from dkd_edge.model.loading import bundled_checkpoint

    args = ["eval", "--checkpoint", str(bundled_checkpoint("dkd-tiny")), "--no-rendered",
            "--no-qat", "--lspet-root", str(lspet_root), "--lspet-limit", "3",
            "--lspet-frames", "4", "--lspet-paired", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lspet = json.loads(result.output)["lspet"]
    assert lspet["images"] == 3 and lspet["frames_per_clip"] == 4
    assert set(lspet["pck"]) == {"initializer", "dkd", "initializer_clips"}
    assert set(lspet["per_joint"]["dkd"]) >= {"left_wrist", "right_ankle", "head"}
    assert len(lspet["pck_ci95"]["dkd"]) == 2 and len(lspet["per_image"]["dkd"]) == 3
    bad = CliRunner().invoke(cli, [*args[:-1], "--lspet-limit", "0"])
    assert bad.exit_code == 2 and "--lspet-limit must be at least 1" in bad.output


def test_penn_action_frames_on_disk_are_evaluated_as_real_video(tmp_path, penn_root):
    """A Penn Action folder with frames/ beside labels/ gets real-video rows (here the frames
    are rendered ones written in the dataset's layout)."""
    from dkd_edge.data.render import RenderConfig
    from dkd_edge.data.render_job import render_penn_split
    from dkd_edge.eval.report import run_eval
    from dkd_edge.model.loading import bundled_checkpoint

    root = tmp_path / "penn"
    render_penn_split(penn_root, "test", root, limit=2, max_frames=5,
                      config=RenderConfig(size=64), progress=False)
    result = run_eval(str(bundled_checkpoint("dkd-tiny")), str(root), 2, 5, with_qat=False,
                      progress=False, rendered=False)
    assert result["penn_real"]["clips"] == 2
    assert 0 <= result["penn_real"]["pck"]["dkd"] <= 100
