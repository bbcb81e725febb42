"""Penn Action in its shipped layout: ``labels/NNNN.mat`` and ``frames/NNNN/NNNNNN.jpg``.

Quirks handled (see ``shared/data/README.md``):
- numeric fields are float64 in most files but uint8/uint16 in some: everything is cast;
- sequences 1154 and 1865 have one bbox row fewer than frames: the last row is repeated;
- invisible joints sit at dummy coordinates near (0.75, 0.75): they keep visibility 0;
- some visible joints lie outside the image: kept as annotated;
- **left and right are the person's opposite in the label files**: the columns labelled
  ``left_*`` hold the person's right side (in front views the labelled left shoulder lies on
  the image's left in 96 % of frames; see ``shared/data/README.md``). ``read_penn_label``
  exchanges each left/right pair, so every array it returns is person-centric in
  ``PENN_JOINTS`` order: ``left_wrist`` is the person's left wrist.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dkd_edge.data.matfile import load_mat, scalar, text
from dkd_edge.data.sample import FrameSequence, PoseSequence
from dkd_edge.errors import DatasetError
from dkd_edge.skeleton import FLIP_PAIRS

REQUIRED_FIELDS = ("x", "y", "visibility", "train")
SPLITS = ("train", "test", "all")


def check_split(split: str | None) -> str:
    """Normalise a split name; unknown names raise a DatasetError."""
    split = split or "all"
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return split


def _bbox_from_joints(joints: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    boxes = np.zeros((joints.shape[0], 4), np.float32)
    for t in range(joints.shape[0]):
        points = joints[t][visibility[t]] if visibility[t].any() else joints[t]
        boxes[t] = [*points.min(0), *points.max(0)]
    return boxes


def read_penn_label(path: Path) -> dict:
    """Read one Penn Action label file into plain arrays, quirks repaired, joints in
    person-centric ``PENN_JOINTS`` order (the file's left/right columns exchanged)."""
    data = load_mat(path, REQUIRED_FIELDS)
    x = np.asarray(data["x"], np.float32)
    y = np.asarray(data["y"], np.float32)
    vis = np.asarray(data["visibility"])
    if x.ndim != 2 or x.shape != y.shape or vis.shape != x.shape:
        raise DatasetError(
            f"{path}: x, y and visibility must all be nframes x 13, got "
            f"{x.shape}, {y.shape}, {vis.shape}"
        )
    # The files' left_* columns are the person's right: exchange each pair (module docstring).
    person = list(FLIP_PAIRS)
    joints = np.stack([x, y], axis=-1)[:, person]
    visibility = vis.astype(bool)[:, person]
    n = joints.shape[0]
    if "bbox" in data and np.asarray(data["bbox"]).size:
        bbox = np.asarray(data["bbox"], np.float32).reshape(-1, 4)
        if bbox.shape[0] < n:  # short bbox arrays: repeat the last box
            pad = np.repeat(bbox[-1:], n - bbox.shape[0], axis=0)
            bbox = np.concatenate([bbox, pad], axis=0)
        bbox = bbox[:n]
    else:
        bbox = _bbox_from_joints(joints, visibility)
    train_flag = int(scalar(data["train"]))
    dims = np.asarray(data.get("dimensions", np.zeros(3))).ravel().astype(int)
    return {
        "joints": joints,
        "visibility": visibility,
        "bbox": bbox,
        "split": "train" if train_flag == 1 else "test",
        "action": text(data.get("action", [])),
        "pose": text(data.get("pose", [])),
        "height": int(dims[0]) if dims.size >= 2 else 0,
        "width": int(dims[1]) if dims.size >= 2 else 0,
    }


class PennAction:
    """Penn Action sequences under ``root`` (which holds ``labels/`` and maybe ``frames/``).

    Args:
        root: dataset folder.
        split: ``train`` (train flag 1), ``test`` (flag -1) or ``all``.
    """

    def __init__(self, root: str | Path, split: str | None = "all"):
        self.root = Path(root)
        self.split = check_split(split)
        self.labels_dir = self.root / "labels"
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: Penn Action folder not found")
        if not self.labels_dir.is_dir():
            raise DatasetError(
                f"{self.root}: no labels/ folder; point --penn-root at the folder that holds "
                "labels/NNNN.mat (and frames/NNNN/ if you have them)"
            )
        self._all_ids = sorted(p.stem for p in self.labels_dir.glob("*.mat"))
        if not self._all_ids:
            raise DatasetError(f"{self.labels_dir}: no .mat label files")
        self._cache: dict[str, dict] = {}
        if self.split == "all":
            self.ids = list(self._all_ids)
        else:
            self.ids = [i for i in self._all_ids if self.label(i)["split"] == self.split]

    def label(self, seq_id: str) -> dict:
        """The parsed label arrays of one sequence (cached)."""
        if seq_id not in self._cache:
            self._cache[seq_id] = read_penn_label(self.labels_dir / f"{seq_id}.mat")
        return self._cache[seq_id]

    def frame_paths(self, seq_id: str) -> list[Path]:
        folder = self.root / "frames" / seq_id
        return sorted(folder.glob("*.jpg")) if folder.is_dir() else []

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[PoseSequence]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> PoseSequence:
        seq_id = self.ids[index]
        label = self.label(seq_id)
        paths = self.frame_paths(seq_id)
        if paths and len(paths) != label["joints"].shape[0]:
            raise DatasetError(
                f"{self.root / 'frames' / seq_id}: {len(paths)} frames but the label file has "
                f"{label['joints'].shape[0]}"
            )
        meta = {k: label[k] for k in ("split", "action", "pose", "height", "width")}
        meta.update(dataset="penn_action", id=seq_id)
        return PoseSequence(
            frames=FrameSequence(paths),
            joints=label["joints"],
            visibility=label["visibility"],
            bbox=label["bbox"],
            meta=meta,
        )

    def stats(self) -> dict:
        """Counts over the whole dataset, whatever the selected split."""
        splits = [self.label(i)["split"] for i in self._all_ids]
        frames = sum(self.label(i)["joints"].shape[0] for i in self.ids)
        with_frames = sum(1 for i in self.ids if self.frame_paths(i))
        return {
            "dataset": "penn_action",
            "root": str(self.root),
            "split": self.split,
            "sequences": len(self._all_ids),
            "train": splits.count("train"),
            "test": splits.count("test"),
            "selected": len(self.ids),
            "frames": int(frames),
            "sequences_with_frames": with_frames,
        }
