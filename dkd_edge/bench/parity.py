"""PCK of an artifact on rendered clips (parity itself: ``dkd_edge.runtime.parity``)."""

from __future__ import annotations

from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import decode_heatmaps, heatmap_to_image
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.runtime.backend import Backend
from dkd_edge.runtime.rollout import rollout


def backend_pck(backend: Backend, clips, config) -> float:
    """Mean PCK@0.2 of an artifact on rendered test clips (init, then steps)."""
    acc = PCKAccumulator()
    for clip in clips:
        frames = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        heatmaps = rollout(backend, frames).stacked()
        coords, _ = decode_heatmaps(heatmaps)
        acc.update(heatmap_to_image(coords, config.stride), clip.joints, clip.visibility,
                   clip.bbox)
    return acc.groups()["Mean"]
