"""Sub-JHMDB in its shipped layout.

Files read:
- ``Rename_Images/<action>/<clip>/NNNNN.png``: frames;
- ``joint_positions/<action>/<clip>/joint_positions.mat``: ``pos_img`` (2 x 15 x T pixels);
  ``scale`` and ``viewpoint`` are optional;
- ``sub_splits/<action>_test_split_<1..3>.txt`` (optional): lines ``<video>.avi 1|2`` with
  1 = train and 2 = test.

JHMDB's 15 joints (0-based): 0 neck, 1 belly, 2 face, 3 R shoulder, 4 L shoulder, 5 R hip,
6 L hip, 7 R elbow, 8 L elbow, 9 R knee, 10 L knee, 11 R wrist, 12 L wrist, 13 R ankle,
14 L ankle ("right" is the person's right). They map by name onto our 13 person-centric
joints as ``JHMDB_TO_PENN`` says (left onto left): the head is JHMDB's face; neck and belly
have no joint of ours and are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.data.matfile import load_mat
from dkd_edge.data.sample import FrameSequence, PoseSequence
from dkd_edge.errors import DatasetError

JHMDB_JOINTS: tuple[str, ...] = (
    "neck", "belly", "face",
    "right_shoulder", "left_shoulder", "right_hip", "left_hip",
    "right_elbow", "left_elbow", "right_knee", "left_knee",
    "right_wrist", "left_wrist", "right_ankle", "left_ankle",
)
# For each Penn joint (head, L/R shoulder, L/R elbow, L/R wrist, L/R hip, L/R knee,
# L/R ankle), the JHMDB joint index it comes from.
JHMDB_TO_PENN: tuple[int, ...] = (2, 4, 3, 8, 7, 12, 11, 6, 5, 10, 9, 14, 13)
JHMDB_SPLITS = ("train", "test", "all")


def read_sub_splits(root: Path, split_index: int) -> dict[str, str]:
    """Map clip name -> 'train'/'test' from ``sub_splits/*_test_split_<k>.txt``."""
    assignments: dict[str, str] = {}
    for path in sorted((root / "sub_splits").glob(f"*_test_split_{split_index}.txt")):
        for line_no, line in enumerate(path.read_text().splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ("1", "2"):
                raise DatasetError(f"{path}:{line_no}: expected '<video>.avi 1|2', got {line!r}")
            assignments[Path(parts[0]).stem] = "train" if parts[1] == "1" else "test"
    return assignments


class SubJHMDB:
    """Sub-JHMDB clips under ``root``, mapped to the 13 Penn joints.

    Args:
        root: folder holding ``Rename_Images/`` and ``joint_positions/``.
        split: ``train``, ``test`` or ``all``; train/test need ``sub_splits/``.
        split_index: which of the three official splits (1..3).
    """

    def __init__(self, root: str | Path, split: str | None = "all", split_index: int = 1):
        self.root = Path(root)
        self.split = split or "all"
        if self.split not in JHMDB_SPLITS:
            raise DatasetError(f"unknown split {self.split!r}: use one of train, test, all")
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: JHMDB folder not found")
        joints_dir = self.root / "joint_positions"
        if not joints_dir.is_dir():
            raise DatasetError(
                f"{self.root}: no joint_positions/ folder; point --jhmdb-root at the folder "
                "that holds Rename_Images/ and joint_positions/"
            )
        mats = sorted(joints_dir.glob("*/*/joint_positions.mat"))
        if not mats:
            raise DatasetError(f"{joints_dir}: no <action>/<clip>/joint_positions.mat files")
        self.split_of: dict[str, str] = {}
        if (self.root / "sub_splits").is_dir():
            self.split_of = read_sub_splits(self.root, split_index)
        elif self.split != "all":
            raise DatasetError(
                f"{self.root}: split {self.split!r} needs the sub_splits/ folder, which is absent"
            )
        self.clips = [
            (m.parent.parent.name, m.parent.name)
            for m in mats
            if self.split == "all" or self.split_of.get(m.parent.name) == self.split
        ]

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> PoseSequence:
        action, clip = self.clips[index]
        mat_path = self.root / "joint_positions" / action / clip / "joint_positions.mat"
        data = load_mat(mat_path, ("pos_img",))
        pos = np.asarray(data["pos_img"], np.float32)
        if pos.ndim != 3 or pos.shape[0] != 2 or pos.shape[1] != len(JHMDB_JOINTS):
            raise DatasetError(f"{mat_path}: pos_img must be 2 x 15 x T, got {pos.shape}")
        joints15 = pos.transpose(2, 1, 0)  # [T, 15, 2]
        joints = joints15[:, list(JHMDB_TO_PENN)]
        frame_dir = self.root / "Rename_Images" / action / clip
        paths = sorted(frame_dir.glob("*.png")) if frame_dir.is_dir() else []
        if paths and len(paths) < joints.shape[0]:
            raise DatasetError(
                f"{frame_dir}: {len(paths)} frames but {mat_path.name} has {joints.shape[0]}"
            )
        paths = paths[: joints.shape[0]]
        width, height = 320, 240
        if paths:
            from PIL import Image

            with Image.open(paths[0]) as image:
                width, height = image.size
        inside = (
            (joints[..., 0] >= 0) & (joints[..., 0] < width)
            & (joints[..., 1] >= 0) & (joints[..., 1] < height)
        )
        # Sub-JHMDB has no bbox: the person box is the joints' extent, as in DKD's protocol.
        bbox = np.concatenate([joints15.min(1), joints15.max(1)], axis=1).astype(np.float32)
        meta = {
            "dataset": "sub_jhmdb",
            "id": clip,
            "action": action,
            "split": self.split_of.get(clip),
            "height": height,
            "width": width,
        }
        return PoseSequence(FrameSequence(paths), joints, inside, bbox, meta)

    def stats(self) -> dict:
        frames = 0
        for i in range(len(self)):
            frames += len(self[i])
        return {
            "dataset": "sub_jhmdb",
            "root": str(self.root),
            "split": self.split,
            "clips": len(self),
            "frames": frames,
            "actions": sorted({a for a, _ in self.clips}),
        }
