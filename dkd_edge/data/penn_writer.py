"""Writing clips in the Penn Action layout: ``frames/NNNN/NNNNNN.jpg`` + ``labels/NNNN.mat``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from dkd_edge.data.render import RenderedClip
from dkd_edge.skeleton import FLIP_PAIRS


def write_penn_clip(
    root: Path, seq_id: str, clip: RenderedClip, split: str, action: str, pose: str,
    quality: int = 92,
) -> None:
    """Write one clip with label fields shaped as the real dataset ships them, left and
    right in the dataset's own (exchanged) columns, so ``read_penn_label`` reads it back
    person-centric."""
    frames_dir = root / "frames" / seq_id
    frames_dir.mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(clip.frames, start=1):
        Image.fromarray(frame).save(frames_dir / f"{index:06d}.jpg", quality=quality)
    count, height, width = clip.frames.shape[:3]
    columns = list(FLIP_PAIRS)  # person-centric -> Penn Action's own left/right columns
    joints, visibility = clip.joints[:, columns], clip.visibility[:, columns]
    scipy.io.savemat(
        str(root / "labels" / f"{seq_id}.mat"),
        {
            "action": action,
            "pose": pose,
            "x": joints[..., 0].astype(np.float64),
            "y": joints[..., 1].astype(np.float64),
            "visibility": visibility.astype(np.uint8),
            "train": np.array([[1 if split == "train" else -1]], np.int32),
            "bbox": clip.bbox.astype(np.float64),
            "dimensions": np.array([[height, width, count]], np.uint16),
            "nframes": np.array([[count]], np.uint16),
        },
    )
