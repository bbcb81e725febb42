"""Leeds Sports Pose (Extended): real still images with 14 person-centric joints.

Layout: ``joints.mat`` and ``images/imNNNNN.jpg`` (Johnson & Everingham, CVPR 2011; labels
from Mechanical Turk, noisy). Two label layouts are read:

- LSP Extended: ``joints`` 14 x 3 x N, third row 1 where the joint was annotated;
- the original LSP: ``joints`` 3 x 14 x N, third row 0 where the joint is visible.

The 14 joints (R ankle, R knee, R hip, L hip, L knee, L ankle, R wrist, R elbow, R shoulder,
L shoulder, L elbow, L wrist, neck, head top; the person's own left and right) map onto the
13 ``PENN_JOINTS`` by name: head top stands for the head, the neck is dropped.

Labels whose image is absent are skipped and counted (``skipped``): the data set shared here
holds 9,000 of LSPET's 10,000 images, the rest held back for an independent check.

The fixed validation split: ``VAL_COUNT`` images drawn with ``VAL_SEED`` from the images
present, by file name (``validation_names``). Training never draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dkd_edge.data.matfile import load_mat
from dkd_edge.errors import DatasetError

LSP_JOINTS: tuple[str, ...] = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
    "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
    "left_wrist", "neck", "head_top",
)
# For each of our 13 joints (head, L/R shoulder, L/R elbow, L/R wrist, L/R hip, L/R knee,
# L/R ankle), the LSP joint it is read from.
LSP_TO_OURS: tuple[int, ...] = (13, 9, 8, 10, 7, 11, 6, 3, 2, 4, 1, 5, 0)
VAL_COUNT = 900
VAL_SEED = 20261207
SPLITS = ("train", "val", "all")


@dataclass(frozen=True)
class LspImage:
    """One labelled image: ``joints`` [13, 2] pixels, ``annotated`` [13] bool."""

    name: str
    path: Path
    joints: np.ndarray
    annotated: np.ndarray

    def load(self) -> np.ndarray:
        """The image as uint8 RGB [H, W, 3]."""
        from PIL import Image

        try:
            with Image.open(self.path) as image:
                return np.asarray(image.convert("RGB"))
        except OSError as exc:
            raise DatasetError(f"{self.path}: not a readable image ({exc})") from exc


def read_lsp_joints(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``joints.mat`` of LSP Extended or the original LSP -> (xy [N, 14, 2],
    annotated [N, 14] bool)."""
    data = load_mat(path, ("joints",))
    raw = np.asarray(data["joints"], np.float64)
    if raw.ndim == 3 and raw.shape[:2] == (14, 3):  # LSPET: flag 1 = annotated
        xy = raw[:, :2].transpose(2, 0, 1)
        annotated = raw[:, 2].T > 0.5
    elif raw.ndim == 3 and raw.shape[:2] == (3, 14):  # original LSP: flag 0 = visible
        xy = raw[:2].transpose(2, 1, 0)
        annotated = np.ones(xy.shape[:2], bool)  # LSP labels every joint, hidden ones too
    else:
        raise DatasetError(f"{path}: 'joints' has shape {raw.shape}; expected 14 x 3 x N "
                           "(LSP Extended) or 3 x 14 x N (LSP)")
    annotated &= (xy > 0).all(-1)  # unannotated joints carry coordinates <= 0
    return xy.astype(np.float32), annotated


class LSPET:
    """The labelled images of an LSP / LSP Extended folder whose image files are present.

    Args:
        root: the folder holding ``joints.mat`` and ``images/``.
        split: ``train`` (every present image not in validation), ``val`` or ``all``.
    """

    def __init__(self, root: str | Path, split: str = "all"):
        self.root = Path(root)
        if split not in SPLITS:
            raise DatasetError(f"unknown LSPET split {split!r}: use one of {', '.join(SPLITS)}")
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: LSPET folder not found")
        mat = self.root / "joints.mat"
        if not mat.is_file():
            raise DatasetError(f"{mat}: not found; point --lspet-root at the folder that holds "
                               "joints.mat and images/")
        xy, annotated = read_lsp_joints(mat)
        folder = self.root / "images"
        present = {p.name for p in folder.glob("im*.jpg")} if folder.is_dir() else set()
        items = []
        for index in range(xy.shape[0]):
            name = f"im{index + 1:05d}.jpg" if xy.shape[0] > 2000 else f"im{index + 1:04d}.jpg"
            if name in present:
                order = list(LSP_TO_OURS)
                items.append(LspImage(name, folder / name, xy[index, order],
                                      annotated[index, order]))
        self.labels = xy.shape[0]
        self.skipped = self.labels - len(items)
        if not items:
            raise DatasetError(f"{folder}: none of the {self.labels} labelled images is present")
        validation = validation_names([item.name for item in items])
        self.split = split
        self.items = [item for item in items
                      if split == "all" or (item.name in validation) == (split == "val")]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> LspImage:
        return self.items[index]

    def stats(self) -> dict:
        joints = int(sum(item.annotated.sum() for item in self.items))
        return {"dataset": "lspet", "root": str(self.root), "split": self.split,
                "labels": self.labels, "images": len(self.items), "skipped": self.skipped,
                "joints": joints}


def validation_names(names: list[str], count: int = VAL_COUNT, seed: int = VAL_SEED
                     ) -> set[str]:
    """The fixed validation split: ``count`` names drawn by a seeded draw from the sorted
    names of the images present (all of them when there are fewer)."""
    ordered = sorted(names)
    if len(ordered) <= count:
        return set(ordered)
    chosen = np.random.default_rng(seed).choice(len(ordered), size=count, replace=False)
    return {ordered[i] for i in chosen}

