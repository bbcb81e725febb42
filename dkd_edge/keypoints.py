"""Heatmap <-> keypoint geometry (numpy only, shared by training, eval and the runtime).

Convention: heatmap cell (i, j) at stride s covers image pixels whose centres are
``s * i .. s * i + s - 1``; its centre is image coordinate ``s * (i + 0.5) - 0.5``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def heatmap_to_image(coords: np.ndarray, stride: float) -> np.ndarray:
    """Heatmap-grid coordinates -> image pixel coordinates."""
    return (np.asarray(coords, np.float32) + 0.5) * stride - 0.5


def image_to_heatmap(coords: np.ndarray, stride: float) -> np.ndarray:
    """Image pixel coordinates -> heatmap-grid coordinates."""
    return (np.asarray(coords, np.float32) + 0.5) / stride - 0.5


DECODE_METHODS = ("local", "centroid", "argmax")
DEFAULT_DECODE = "local"
# Share of the peak below which cells are ignored by the (global) centroid; chosen on
# rendered train-split clips (docs/decisions/decoding.md).
CENTROID_THRESHOLD = 0.3
# The local centroid: cells below LOCAL_THRESHOLD x peak are ignored, the
# (2 * LOCAL_MODE_RADIUS + 1)^2 box with the most remaining mass is the mode, and the keypoint
# is the centroid of the mass within LOCAL_WINDOW_RADIUS cells (Chebyshev) of it; the window
# was chosen on rendered train-split clips (docs/decisions/decoding.md).
LOCAL_THRESHOLD = 0.05
LOCAL_MODE_RADIUS = 2
LOCAL_WINDOW_RADIUS = 16
DEFAULT_THRESHOLDS = {"local": LOCAL_THRESHOLD, "centroid": CENTROID_THRESHOLD, "argmax": 0.0}


@lru_cache(maxsize=8)
def _cell_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column index of every cell of a flattened [height * width] map (cached: the
    runtime decodes every frame)."""
    grid_y, grid_x = np.divmod(np.arange(height * width, dtype=np.float32), width)
    grid_y.flags.writeable = grid_x.flags.writeable = False
    return grid_y, grid_x


@lru_cache(maxsize=8)
def _band(size: int, radius: int) -> np.ndarray:
    """[size, size] 0/1 matrix with ones where |i - j| <= radius: ``band @ m @ band`` sums
    each cell's (2 * radius + 1)^2 box of ``m`` (zero outside the map)."""
    index = np.arange(size)
    band = (np.abs(index[:, None] - index[None]) <= radius).astype(np.float32)
    band.flags.writeable = False
    return band


def _weighted_centroid(weights: np.ndarray, fallback: np.ndarray, usable: np.ndarray,
                       height: int, width: int) -> np.ndarray:
    """[N, H*W] non-negative weights -> [N, 2] (x, y) centroids; ``fallback`` where a map is
    not ``usable`` or has no weight."""
    total = weights.sum(axis=1)
    usable = usable & (total > 0)
    grid_y, grid_x = _cell_grid(height, width)
    centroid = (np.stack([weights @ grid_x, weights @ grid_y], axis=1)
                / np.where(usable, total, 1.0)[:, None])
    return np.where(usable[:, None], centroid, fallback).astype(np.float32)


def decode_heatmaps(heatmaps: np.ndarray, method: str = DEFAULT_DECODE,
                    threshold: float | None = None,
                    window_radius: int = LOCAL_WINDOW_RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints from heatmaps.

    Each method weights the cells by ``max(h - threshold * peak, 0)`` (``threshold``
    defaults to the method's entry in ``DEFAULT_THRESHOLDS``); a map whose peak is not
    positive falls back to its argmax cell.

    - ``local`` (default): find the ``(2 * LOCAL_MODE_RADIUS + 1)^2`` box with the most
      weight (the mode), then take the centroid of the weight within
      ``window_radius`` cells of it. It keeps what made the centroid better than the
      argmax (a broad response at the joint outweighs a lone spike on a distractor) without
      being pulled toward a second response elsewhere on the map, such as another limb.
    - ``centroid``: the centroid of the weight over the whole map: the same peak-relative
      weights the kernel distillator pools with (the earlier default).
    - ``argmax``: the highest cell with a quarter-pixel step toward the higher neighbour.

    Args:
        heatmaps: [..., J, H, W].
    Returns:
        coords [..., J, 2] as (x, y) on the heatmap grid, and scores [..., J] (peak values).
    """
    if method not in DECODE_METHODS:
        raise ValueError(f"unknown heatmap decode {method!r}: use one of "
                         f"{', '.join(DECODE_METHODS)}")
    if threshold is None:
        threshold = DEFAULT_THRESHOLDS[method]
    heatmaps = np.asarray(heatmaps, np.float32)
    *lead, height, width = heatmaps.shape
    flat = heatmaps.reshape(-1, height * width)
    index = flat.argmax(axis=1)
    scores = flat[np.arange(flat.shape[0]), index]
    ys, xs = np.divmod(index, width)
    coords = np.stack([xs, ys], axis=1).astype(np.float32)
    if method in ("centroid", "local"):
        weights = np.maximum(flat - threshold * np.maximum(scores, 0.0)[:, None], 0.0)
        if method == "local":
            maps = weights.reshape(-1, height, width)
            boxes = _band(height, LOCAL_MODE_RADIUS) @ maps @ _band(width, LOCAL_MODE_RADIUS)
            mode_y, mode_x = np.divmod(boxes.reshape(len(flat), -1).argmax(axis=1), width)
            near_y = np.abs(np.arange(height)[None] - mode_y[:, None]) <= window_radius
            near_x = np.abs(np.arange(width)[None] - mode_x[:, None]) <= window_radius
            weights = (maps * near_y[:, :, None] * near_x[:, None, :]).reshape(len(flat), -1)
        coords = _weighted_centroid(weights, coords, scores > 0, height, width)
        return coords.reshape(*lead, 2), scores.reshape(*lead)
    maps = heatmaps.reshape(-1, height, width)
    rows = np.arange(maps.shape[0])
    inner_x = (xs > 0) & (xs < width - 1)
    inner_y = (ys > 0) & (ys < height - 1)
    xl, xr = np.clip(xs - 1, 0, width - 1), np.clip(xs + 1, 0, width - 1)
    yu, yd = np.clip(ys - 1, 0, height - 1), np.clip(ys + 1, 0, height - 1)
    dx = np.sign(maps[rows, ys, xr] - maps[rows, ys, xl]) * inner_x
    dy = np.sign(maps[rows, yd, xs] - maps[rows, yu, xs]) * inner_y
    coords += 0.25 * np.stack([dx, dy], axis=1)
    return coords.reshape(*lead, 2), scores.reshape(*lead)
