"""The one sample type that every dataset loader yields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image


class FrameSequence(Sequence):
    """Lazily loaded RGB frames (uint8, H x W x 3) from image files, in frame order."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return FrameSequence(self.paths[index])
        with Image.open(self.paths[index]) as image:
            return np.asarray(image.convert("RGB"))


@dataclass
class PoseSequence:
    """One video clip with per-frame 2D joints.

    Attributes:
        frames: lazily loaded frames; empty when only labels are on disk.
        joints: [T, J, 2] float32 pixel coordinates (x, y).
        visibility: [T, J] bool, True where the joint is annotated as visible.
        bbox: [T, 4] float32 person box as [x1, y1, x2, y2].
        meta: dataset name, sequence id, action, split, image size and the like.
    """

    frames: FrameSequence
    joints: np.ndarray
    visibility: np.ndarray
    bbox: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.joints.shape[0])

    @property
    def has_frames(self) -> bool:
        return len(self.frames) > 0
