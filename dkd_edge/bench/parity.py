"""Parity of an artifact with the torch reference: heatmaps, keypoints, PCK and drift."""

from __future__ import annotations

import numpy as np

from dkd_edge.converters.verify import backend_rollout
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import decode_heatmaps, heatmap_to_image
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.runtime.backend import Backend

DRIFT_MARKS = (1, 30, 300, 1000)
DRIFT_WINDOW = 10


def keypoint_agreement(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """[T, J] bool: decoded keypoints within one heatmap pixel of the reference's."""
    ref, _ = decode_heatmaps(reference)
    got, _ = decode_heatmaps(candidate)
    return np.linalg.norm(ref - got, axis=-1) <= 1.0


def rollout_parity(reference: list[np.ndarray], candidate: list[np.ndarray]) -> dict:
    """Max abs heatmap difference, keypoint agreement, and drift at frames 1/30/300/1000.

    ``drift[f]`` is the keypoint agreement over the ``DRIFT_WINDOW`` frames ending at frame
    f (frame 1 alone), for every mark within the rollout.
    """
    ref = np.concatenate(reference)
    got = np.concatenate(candidate).astype(np.float32)
    if not np.isfinite(got).all():
        return {"max_abs_heatmap": float("inf"), "keypoint_agreement": 0.0,
                "drift": {str(m): 0.0 for m in DRIFT_MARKS if m <= len(reference)}}
    agree = keypoint_agreement(ref, got)
    drift = {}
    for mark in DRIFT_MARKS:
        if mark <= len(reference):
            start = 0 if mark == 1 else max(0, mark - DRIFT_WINDOW)
            drift[str(mark)] = float(agree[start:mark].mean())
    return {"max_abs_heatmap": float(np.abs(ref - got).max()),
            "keypoint_agreement": float(agree.mean()), "drift": drift}


def backend_pck(backend: Backend, clips, config) -> float:
    """Mean PCK@0.2 of an artifact on rendered test clips (init, then steps)."""
    acc = PCKAccumulator()
    for clip in clips:
        frames = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        heatmaps = np.concatenate(backend_rollout(backend, frames))
        coords, _ = decode_heatmaps(heatmaps)
        acc.update(heatmap_to_image(coords, config.stride), clip.joints, clip.visibility,
                   clip.bbox)
    return acc.groups()["Mean"]
