"""Gaussian heatmap targets (numpy), on the grid of ``dkd_edge.keypoints``."""

from __future__ import annotations

import numpy as np

from dkd_edge.keypoints import image_to_heatmap


def gaussian_heatmaps(joints: np.ndarray, size: int, stride: int, sigma: float) -> np.ndarray:
    """[..., J, 2] image-pixel joints -> [..., J, size, size] Gaussians with peak 1."""
    grid = image_to_heatmap(joints, stride)
    axis = np.arange(size, dtype=np.float32)
    gx = np.exp(-((axis - grid[..., 0:1]) ** 2) / (2 * sigma**2))
    gy = np.exp(-((axis - grid[..., 1:2]) ** 2) / (2 * sigma**2))
    return (gy[..., :, None] * gx[..., None, :]).astype(np.float32)


def in_frame(joints: np.ndarray, image_size: int) -> np.ndarray:
    """[..., J] float weights: 1 for joints inside the frame (occluded ones included)."""
    inside = (joints >= 0).all(-1) & (joints <= image_size - 1).all(-1)
    return inside.astype(np.float32)
