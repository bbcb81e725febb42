"""Heatmap <-> keypoint geometry (numpy only, shared by training, eval and the runtime).

Convention: heatmap cell (i, j) at stride s covers image pixels whose centres are
``s * i .. s * i + s - 1``; its centre is image coordinate ``s * (i + 0.5) - 0.5``.
"""

from __future__ import annotations

import numpy as np


def heatmap_to_image(coords: np.ndarray, stride: float) -> np.ndarray:
    """Heatmap-grid coordinates -> image pixel coordinates."""
    return (np.asarray(coords, np.float32) + 0.5) * stride - 0.5


def image_to_heatmap(coords: np.ndarray, stride: float) -> np.ndarray:
    """Image pixel coordinates -> heatmap-grid coordinates."""
    return (np.asarray(coords, np.float32) + 0.5) / stride - 0.5


def decode_heatmaps(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Argmax with quarter-pixel refinement toward the higher neighbour.

    Args:
        heatmaps: [..., J, H, W].
    Returns:
        coords [..., J, 2] as (x, y) on the heatmap grid, and scores [..., J] (peak values).
    """
    heatmaps = np.asarray(heatmaps, np.float32)
    *lead, height, width = heatmaps.shape
    flat = heatmaps.reshape(-1, height * width)
    index = flat.argmax(axis=1)
    scores = flat[np.arange(flat.shape[0]), index]
    ys, xs = np.divmod(index, width)
    maps = heatmaps.reshape(-1, height, width)
    rows = np.arange(maps.shape[0])
    coords = np.stack([xs, ys], axis=1).astype(np.float32)
    inner_x = (xs > 0) & (xs < width - 1)
    inner_y = (ys > 0) & (ys < height - 1)
    xl, xr = np.clip(xs - 1, 0, width - 1), np.clip(xs + 1, 0, width - 1)
    yu, yd = np.clip(ys - 1, 0, height - 1), np.clip(ys + 1, 0, height - 1)
    dx = np.sign(maps[rows, ys, xr] - maps[rows, ys, xl]) * inner_x
    dy = np.sign(maps[rows, yd, xs] - maps[rows, yu, xs]) * inner_y
    coords += 0.25 * np.stack([dx, dy], axis=1)
    return coords.reshape(*lead, 2), scores.reshape(*lead)
