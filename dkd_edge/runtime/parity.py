"""How far a rollout is from a reference rollout: the one parity metric used by the
conversion gate and by ``dkd-edge bench``."""

from __future__ import annotations

import numpy as np

from dkd_edge.keypoints import decode_heatmaps

# Tolerances per precision: max abs heatmap error (fp) or keypoint agreement (int8), over a
# closed-loop rollout; the conversion gate, bench's gate column and golden replays use them.
TOLERANCES = {"fp32": {"max_abs_heatmap": 1e-4}, "fp16": {"max_abs_heatmap": 1e-2},
              "int8": {"keypoint_agreement": 0.99}}
DRIFT_MARKS = (1, 30, 300, 1000)
DRIFT_WINDOW = 10


def keypoint_agreement(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """[T, J] bool: decoded keypoints within one heatmap pixel of the reference's."""
    ref, _ = decode_heatmaps(reference)
    got, _ = decode_heatmaps(candidate)
    return np.linalg.norm(ref - got, axis=-1) <= 1.0


def compare_rollouts(reference: list[np.ndarray], candidate: list[np.ndarray]) -> dict:
    """Max abs heatmap difference (overall, first and last frame), keypoint agreement, and
    drift: the agreement over the ``DRIFT_WINDOW`` frames ending at frames 1/30/300/1000
    (frame 1 alone), for every mark within the rollout. Non-finite output fails outright."""
    ref = np.concatenate(reference).astype(np.float32)
    got = np.concatenate(candidate).astype(np.float32)
    frames = len(reference)
    if not np.isfinite(got).all():
        return {"max_abs_heatmap": float("inf"), "keypoint_agreement": 0.0, "frames": frames,
                "drift": {str(m): 0.0 for m in DRIFT_MARKS if m <= frames}}
    agree = keypoint_agreement(ref, got)
    per_frame = np.abs(ref - got).reshape(frames, -1).max(axis=1)
    drift = {}
    for mark in DRIFT_MARKS:
        if mark <= frames:
            start = 0 if mark == 1 else max(0, mark - DRIFT_WINDOW)
            drift[str(mark)] = float(agree[start:mark].mean())
    return {"max_abs_heatmap": float(per_frame.max()), "keypoint_agreement": float(agree.mean()),
            "frames": frames, "max_abs_heatmap_first": float(per_frame[0]),
            "max_abs_heatmap_last": float(per_frame[-1]), "drift": drift}


def within_tolerance(precision: str, parity: dict) -> bool:
    """Whether ``parity`` (from ``compare_rollouts``) meets ``precision``'s tolerance."""
    limits = TOLERANCES[precision]
    if "max_abs_heatmap" in limits:
        return parity["max_abs_heatmap"] <= limits["max_abs_heatmap"]
    return parity["keypoint_agreement"] >= limits["keypoint_agreement"]


def describe_tolerance(precision: str) -> str:
    limits = TOLERANCES[precision]
    if "max_abs_heatmap" in limits:
        return f"max abs heatmap error <= {limits['max_abs_heatmap']:g}"
    return f"keypoint agreement >= {limits['keypoint_agreement']:g}"
