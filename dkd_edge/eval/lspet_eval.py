"""Real-pixel evaluation on the fixed LSPET validation split (``dkd_edge.data.lspet``).

Each validation image is letterboxed whole into the model's input, as ``dkd-edge track``
feeds a user's frame, then moved by a seeded synthetic camera (``motion_clip``) over
``frames`` frames. Two figures come from the same clips:

- ``initializer``: the pose initializer on frame 0, i.e. on the letterboxed image itself
  (PCK is invariant to the letterbox's scale and shift, so this is PCK per image);
- ``dkd``: init on frame 0, then the step path with the kernel state fed back, scored on
  every frame.

``paired=True`` adds ``initializer_clips``: the initializer run on every frame of the same
clips. PCK@0.2 is normalised by the max side of the annotated joints' box in each frame;
joints that are not annotated, left the frame or sit under the passing occluder are not
scored.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from dkd_edge.data.lspet import LSPET
from dkd_edge.data.synthetic_motion import letterbox_view, motion_clip, person_box
from dkd_edge.errors import DkdError
from dkd_edge.eval.evaluate import keypoints_from_heatmaps, track_frames
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import DEFAULT_DECODE
from dkd_edge.model.config import DKDConfig
from dkd_edge.model.tracker_fns import TrackerFns
from dkd_edge.preprocess import normalise_nchw

EVAL_SEED = 2011


def lspet_validation_clips(dataset: LSPET, limit: int | None, frames: int, size: int,
                           seed: int = EVAL_SEED):
    """Yields (name, clip dict) for the first ``limit`` images of ``dataset`` (LSPET's
    validation split; all: None)."""
    if frames < 1:
        raise DkdError(f"--lspet-frames must be at least 1, got {frames}")
    items = sorted(dataset.items, key=lambda item: item.name)[:limit]
    for index, item in enumerate(items):
        image = item.load()
        rng = np.random.default_rng([seed, index])
        clip = motion_clip(image, item.joints, item.annotated, size, frames, rng,
                           first_view=letterbox_view(*image.shape[:2], size))
        inside = ((clip["joints"] >= 0) & (clip["joints"] <= size - 1)).all(-1)
        clip["visibility"] = clip["visibility"] & inside
        clip["bbox"] = np.stack([person_box(j, a)
                                 for j, a in zip(clip["joints"], clip["annotated"])])
        yield item.name, clip


def evaluate_lspet(trackers: dict[str, TrackerFns], config: DKDConfig, root,
                   limit: int | None = None, frames: int = 16, paired: bool = False,
                   decode: str = DEFAULT_DECODE, progress: bool = True) -> dict:
    """PCK@0.2 rows (see the module docstring) with per-joint figures and bootstrap
    intervals over images."""
    clip_trackers = {name: fns for name, fns in trackers.items() if fns.step is not None}
    accumulators = {"initializer": PCKAccumulator(),
                    **{name: PCKAccumulator() for name in clip_trackers}}
    if paired and "initializer" in trackers:
        accumulators["initializer_clips"] = PCKAccumulator()
    names = []
    dataset = LSPET(root, "val")
    clips = lspet_validation_clips(dataset, limit, frames, config.input_size)
    total = min(limit or len(dataset), len(dataset))
    for name, clip in tqdm(clips, total=total, desc="eval lspet", unit="image",
                           disable=not progress):
        names.append(name)
        inputs = [normalise_nchw(f, config.mean, config.std) for f in clip["frames"]]
        truth = (clip["joints"], clip["visibility"], clip["bbox"])
        for row, fns in clip_trackers.items():
            points = keypoints_from_heatmaps(track_frames(fns, inputs), config.stride, decode)
            accumulators[row].update(points, *truth)
            if row == "dkd":  # frame 0 is the initializer on the letterboxed image
                accumulators["initializer"].update(points[:1], *(t[:1] for t in truth))
        if "initializer_clips" in accumulators:
            heatmaps = track_frames(trackers["initializer"], inputs)
            accumulators["initializer_clips"].update(
                keypoints_from_heatmaps(heatmaps, config.stride, decode), *truth)
    if not names:
        raise DkdError(f"{root}: no LSPET validation images to evaluate")
    return {
        "images": len(names), "frames_per_clip": frames,
        "pck": {row: acc.groups()["Mean"] for row, acc in accumulators.items()},
        "pck_ci95": {row: [round(v, 2) for v in acc.mean_interval()]
                     for row, acc in accumulators.items()},
        "per_group": {row: acc.groups() for row, acc in accumulators.items()},
        "per_joint": {row: acc.per_joint() for row, acc in accumulators.items()},
        "per_image": {row: [round(v, 2) for v in acc.per_clip()]
                      for row, acc in accumulators.items()},
    }
