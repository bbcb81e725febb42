import numpy as np
import pytest
import scipy.io

from dkd_edge.data.penn_action import PennAction, read_penn_label
from dkd_edge.errors import DatasetError
from dkd_edge.skeleton import FLIP_PAIRS


def test_all_real_label_files_load_with_official_split(penn_root):
    dataset = PennAction(penn_root)
    stats = dataset.stats()
    assert (stats["sequences"], stats["train"], stats["test"]) == (2326, 1258, 1068)
    assert len(PennAction(penn_root, "train")) == 1258
    assert len(PennAction(penn_root, "test")) == 1068
    frames = 0
    for sequence in dataset:
        t = len(sequence)
        assert sequence.joints.shape == (t, 13, 2) and sequence.joints.dtype == np.float32
        assert sequence.visibility.shape == (t, 13) and sequence.visibility.dtype == bool
        assert sequence.bbox.shape == (t, 4) and sequence.bbox.dtype == np.float32
        assert np.isfinite(sequence.joints).all()
        frames += t
    assert frames == stats["frames"] == 163841


def test_short_bbox_quirk_is_padded(penn_root):
    for seq_id in ("1154", "1865"):
        label = read_penn_label(penn_root / "labels" / f"{seq_id}.mat")
        assert label["bbox"].shape[0] == label["joints"].shape[0]
        np.testing.assert_array_equal(label["bbox"][-1], label["bbox"][-2])


def test_integer_typed_files_are_cast(penn_root):
    raw = scipy.io.loadmat(str(penn_root / "labels" / "0001.mat"))
    ints = [
        p for p in sorted((penn_root / "labels").glob("*.mat"))[:400]
        if scipy.io.loadmat(str(p))["x"].dtype != np.float64
    ]
    assert ints, "expected some uint8/uint16 label files among the first 400"
    label = read_penn_label(ints[0])
    assert label["joints"].dtype == np.float32
    assert raw["visibility"].dtype == np.uint8


def test_invisible_joints_keep_visibility_zero(penn_root):
    label = read_penn_label(penn_root / "labels" / "0001.mat")
    raw = scipy.io.loadmat(str(penn_root / "labels" / "0001.mat"))
    person = list(FLIP_PAIRS)  # the file's left/right columns, exchanged
    np.testing.assert_array_equal(label["visibility"], raw["visibility"].astype(bool)[:, person])


def test_labels_are_read_person_centric(penn_root):
    """The file's left_* columns are the person's right: in front views the person's left
    shoulder (as read) lies on the image's right in most frames."""
    from dkd_edge.data.penn_action import PennAction

    dataset = PennAction(penn_root, "train")
    right_of = []
    for seq_id in dataset.ids[::5]:
        label = dataset.label(seq_id)
        if label["pose"] == "front":
            both = label["visibility"][:, 1] & label["visibility"][:, 2]
            right_of.append(label["joints"][both, 1, 0] > label["joints"][both, 2, 0])
    assert np.concatenate(right_of).mean() > 0.9
    raw = scipy.io.loadmat(str(penn_root / "labels" / "0001.mat"))
    label = read_penn_label(penn_root / "labels" / "0001.mat")
    np.testing.assert_allclose(label["joints"][:, 1, 0], raw["x"][:, 2])  # left <- file's right


def test_frames_are_read_when_present(tmp_path, penn_root):
    from PIL import Image

    (tmp_path / "labels").mkdir()
    src = penn_root / "labels" / "0002.mat"
    (tmp_path / "labels" / "0002.mat").write_bytes(src.read_bytes())
    n = len(read_penn_label(src)["joints"])
    (tmp_path / "frames" / "0002").mkdir(parents=True)
    for i in range(1, n + 1):
        frame = Image.new("RGB", (8, 6), (i % 255, 0, 0))
        frame.save(tmp_path / "frames" / "0002" / f"{i:06d}.jpg")
    sequence = PennAction(tmp_path)[0]
    assert sequence.has_frames and len(sequence.frames) == n
    assert sequence.frames[0].shape == (6, 8, 3)


def test_missing_field_names_file_and_field(tmp_path):
    (tmp_path / "labels").mkdir()
    scipy.io.savemat(str(tmp_path / "labels" / "0001.mat"), {"x": np.zeros((2, 13))})
    with pytest.raises(DatasetError, match=r"0001\.mat: missing required field.*y"):
        PennAction(tmp_path, "train")


def test_missing_folder_and_unknown_split(tmp_path, penn_root):
    with pytest.raises(DatasetError, match="not found"):
        PennAction(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no labels/"):
        PennAction(tmp_path)
    with pytest.raises(DatasetError, match="unknown split 'val'"):
        PennAction(penn_root, "val")


def test_corrupt_mat_is_one_clear_error(tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "0001.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(DatasetError, match="0001.mat"):
        PennAction(tmp_path, "test")
