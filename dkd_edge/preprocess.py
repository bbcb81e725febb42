"""Frame preprocessing shared by training, evaluation and the torch-free runtime (numpy +
Pillow only): letterbox to the model's square input, normalise, and map keypoints back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square input: ``input = frame * scale + pad``."""

    scale: float
    pad_x: float
    pad_y: float

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Model-input pixel coordinates [..., 2] -> original frame coordinates."""
        points = np.asarray(points, np.float32)
        return (points - np.array([self.pad_x, self.pad_y], np.float32)) / self.scale


def letterbox(frame: np.ndarray, size: int, fill: int = 0) -> tuple[np.ndarray, Letterbox]:
    """Resize an RGB uint8 [H, W, 3] frame to fit ``size`` x ``size``, padding the rest."""
    height, width = frame.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    if (new_w, new_h) == (width, height):
        resized = frame
    else:
        resized = np.asarray(Image.fromarray(frame).resize((new_w, new_h), Image.BILINEAR))
    canvas = np.full((size, size, 3), fill, np.uint8)
    canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    return canvas, Letterbox(new_w / width, float(pad_x), float(pad_y))


def normalise_nchw(frame: np.ndarray, mean, std) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W] as (x / 255 - mean) / std."""
    x = frame.astype(np.float32) * np.float32(1 / 255.0)
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])
