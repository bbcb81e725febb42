"""Turning annotated Penn Action motion into a complete skeleton for every frame.

Penn Action marks occluded or out-of-view joints invisible and parks them at dummy
coordinates. The renderer needs every joint somewhere, so invisible joints are interpolated
in time from the frames where they are visible; joints never visible in a clip are placed
from a standing template fitted (scale and translation) to the joints that are known.
"""

from __future__ import annotations

import numpy as np

# A standing person, x right and y down, in units of body height, origin at the top centre.
TEMPLATE = np.array(
    [
        [0.0, 0.08],                  # head
        [0.12, 0.20], [-0.12, 0.20],  # shoulders (left is image-right for a person facing us)
        [0.15, 0.37], [-0.15, 0.37],  # elbows
        [0.16, 0.52], [-0.16, 0.52],  # wrists
        [0.08, 0.53], [-0.08, 0.53],  # hips
        [0.08, 0.75], [-0.08, 0.75],  # knees
        [0.08, 0.96], [-0.08, 0.96],  # ankles
    ],
    np.float32,
)


def _fit_template(points: np.ndarray, known: np.ndarray, fallback_height: float) -> np.ndarray:
    """Template joints placed by least-squares scale + translation onto the known points."""
    if known.sum() >= 2:
        src = TEMPLATE[known]
        dst = points[known]
        src_c = src - src.mean(0)
        dst_c = dst - dst.mean(0)
        denom = float((src_c**2).sum())
        scale = float((src_c * dst_c).sum()) / denom if denom > 1e-9 else fallback_height
        if not np.isfinite(scale) or scale <= 1e-3:
            scale = fallback_height
        return (TEMPLATE - src.mean(0)) * scale + dst.mean(0)
    if known.sum() == 1:
        j = int(np.flatnonzero(known)[0])
        return (TEMPLATE - TEMPLATE[j]) * fallback_height + points[j]
    return TEMPLATE * fallback_height


def complete_motion(
    joints: np.ndarray, visibility: np.ndarray, fallback_height: float = 100.0
) -> np.ndarray:
    """Fill every invisible joint of a [T, J, 2] sequence with a plausible position."""
    joints = np.asarray(joints, np.float32)
    visibility = np.asarray(visibility, bool)
    frames = joints.shape[0]
    out = joints.copy()
    t = np.arange(frames)
    for j in range(joints.shape[1]):
        seen = visibility[:, j]
        if seen.any() and not seen.all():
            for d in range(2):
                out[:, j, d] = np.interp(t, t[seen], joints[seen, j, d])
    never = ~visibility.any(axis=0)
    if never.any():
        known = ~never
        for f in range(frames):
            fitted = _fit_template(out[f], known, fallback_height)
            out[f, never] = fitted[never]
    return out
