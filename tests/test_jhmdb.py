import numpy as np
import pytest
import scipy.io

from dkd_edge.data.jhmdb import JHMDB_TO_PENN, SubJHMDB
from dkd_edge.errors import DatasetError


def test_real_clip_loads_and_maps_to_penn_order(jhmdb_root):
    dataset = SubJHMDB(jhmdb_root)
    assert len(dataset) == 1
    clip = dataset[0]
    assert len(clip) == 40 and len(clip.frames) == 40
    assert clip.frames[0].shape == (240, 320, 3)
    assert clip.joints.shape == (40, 13, 2)
    raw = scipy.io.loadmat(str(
        jhmdb_root / "joint_positions" / clip.meta["action"] / clip.meta["id"]
        / "joint_positions.mat"
    ))["pos_img"]
    # Penn head <- JHMDB face (index 2); Penn left shoulder <- JHMDB left shoulder (4).
    np.testing.assert_allclose(clip.joints[0, 0], raw[:, 2, 0])
    np.testing.assert_allclose(clip.joints[5, 1], raw[:, 4, 5])
    np.testing.assert_allclose(clip.joints[:, 12], raw[:, 13, :].T)  # R ankle
    # The head is above the ankles in an upright clip.
    assert (clip.joints[:, 0, 1] < clip.joints[:, 11, 1]).all()
    assert clip.meta["split"] is None
    assert dataset.stats()["frames"] == 40


def test_mapping_is_a_permutation_of_13_distinct_joints():
    assert len(set(JHMDB_TO_PENN)) == 13 and 0 not in JHMDB_TO_PENN and 1 not in JHMDB_TO_PENN


def test_sub_splits_are_read(tmp_path, jhmdb_root):
    import shutil

    shutil.copytree(jhmdb_root, tmp_path / "j")
    clip = next((tmp_path / "j" / "joint_positions" / "catch").iterdir()).name
    (tmp_path / "j" / "sub_splits").mkdir()
    (tmp_path / "j" / "sub_splits" / "catch_test_split_1.txt").write_text(f"{clip}.avi 2\n")
    assert len(SubJHMDB(tmp_path / "j", "test")) == 1
    assert len(SubJHMDB(tmp_path / "j", "train")) == 0
    assert SubJHMDB(tmp_path / "j", "test")[0].meta["split"] == "test"


def test_split_without_sub_splits_and_bad_pos_img(tmp_path, jhmdb_root):
    with pytest.raises(DatasetError, match="sub_splits"):
        SubJHMDB(jhmdb_root, "train")
    folder = tmp_path / "joint_positions" / "a" / "c"
    folder.mkdir(parents=True)
    scipy.io.savemat(str(folder / "joint_positions.mat"), {"pos_world": np.zeros((2, 15, 3))})
    with pytest.raises(DatasetError, match="missing required field.*pos_img"):
        SubJHMDB(tmp_path)[0]
