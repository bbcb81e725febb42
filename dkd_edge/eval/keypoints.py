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


DECODE_METHODS = ("centroid", "argmax")
DEFAULT_DECODE = "centroid"
# Share of the peak below which cells are ignored by the centroid. Chosen on rendered
# *train*-split clips (16 clips x 60 frames; bundled v3.1, float): 0.2 / 0.3 / 0.4 / 0.5 / 0.7
# gave DKD 73.1 / 73.6 / 73.6 / 73.3 / 71.2 and initializer 77.4 / 77.7 / 77.6 / 77.4 / 75.9
# PCK@0.2 (argmax: 65.8 and 72.5). See docs/MODEL_CARD.md, "Decoding".
CENTROID_THRESHOLD = 0.3


@lru_cache(maxsize=8)
def _cell_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column index of every cell of a flattened [height * width] map (cached: the
    runtime decodes every frame)."""
    grid_y, grid_x = np.divmod(np.arange(height * width, dtype=np.float32), width)
    grid_y.flags.writeable = grid_x.flags.writeable = False
    return grid_y, grid_x


def decode_heatmaps(heatmaps: np.ndarray, method: str = DEFAULT_DECODE,
                    threshold: float = CENTROID_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints from heatmaps.

    ``centroid`` (default): the mean cell position weighted by ``max(h - threshold * peak,
    0)`` over the whole map: the same peak-relative weights the kernel distillator pools
    with. It follows where most of the mass is, so a lone spike on a distractor does not
    win over a broad response at the joint; a map whose peak is not positive falls back to
    its argmax cell. ``argmax``: the highest cell with a quarter-pixel step toward the higher
    neighbour.

    Args:
        heatmaps: [..., J, H, W].
    Returns:
        coords [..., J, 2] as (x, y) on the heatmap grid, and scores [..., J] (peak values).
    """
    if method not in DECODE_METHODS:
        raise ValueError(f"unknown heatmap decode {method!r}: use one of "
                         f"{', '.join(DECODE_METHODS)}")
    heatmaps = np.asarray(heatmaps, np.float32)
    *lead, height, width = heatmaps.shape
    flat = heatmaps.reshape(-1, height * width)
    index = flat.argmax(axis=1)
    scores = flat[np.arange(flat.shape[0]), index]
    ys, xs = np.divmod(index, width)
    coords = np.stack([xs, ys], axis=1).astype(np.float32)
    if method == "centroid":
        weights = np.maximum(flat - threshold * np.maximum(scores, 0.0)[:, None], 0.0)
        total = weights.sum(axis=1)
        grid_y, grid_x = _cell_grid(height, width)
        usable = (scores > 0) & (total > 0)
        safe = np.where(usable, total, 1.0)
        centroid = np.stack([weights @ grid_x, weights @ grid_y], axis=1) / safe[:, None]
        coords = np.where(usable[:, None], centroid, coords).astype(np.float32)
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
