"""``dkd-edge eval``: PCK@0.2 of the initializer, DKD and DKD-QAT on rendered test clips and on
real Sub-JHMDB clips.

Modes, each a pair of functions on normalised frames:
- ``initializer``: the pose initializer on every frame;
- ``dkd``: init on the first frame, then steps with the kernel state fed back;
- ``dkd_qat``: the same with the int8 graphs the converters ship by default (the QAT step
  graph with int8 activations in its encoder's stem; ``init`` with the float weights in
  int8).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from tqdm import tqdm

from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import RenderConfig, RenderedClip, render_sequence
from dkd_edge.data.render_job import pick_evenly
from dkd_edge.data.sample import PoseSequence
from dkd_edge.errors import DkdError
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import DEFAULT_DECODE, decode_heatmaps, heatmap_to_image
from dkd_edge.model.config import DKDConfig
from dkd_edge.model.tracker_fns import FnsBackend, TrackerFns
from dkd_edge.preprocess import letterbox, normalise_nchw
from dkd_edge.runtime.backend import Backend
from dkd_edge.runtime.rollout import rollout

EVAL_SEED = 2019

def rendered_test_clips(penn_root, limit: int, max_frames: int, size: int,
                        seed: int = EVAL_SEED, split: str = "test") -> list[RenderedClip]:
    """Deterministic evaluation clips rendered from test-split motion (or ``split``'s)."""
    dataset = PennAction(penn_root, split)
    if len(dataset) == 0:
        raise DkdError(f"{penn_root}: the {split} split is empty")
    clips = []
    for index in pick_evenly(len(dataset), limit):
        sequence = dataset[index]
        clips.append(render_sequence(sequence, seed * 100_003 + index, RenderConfig(size=size),
                                     max_frames=max_frames, start=0))
    return clips


@torch.no_grad()
def track_frames(fns: TrackerFns, frames: Iterable[np.ndarray]) -> np.ndarray:
    """Run a tracker over normalised [1, 3, S, S] frames -> heatmaps [T, J, h, w]."""
    return rollout(FnsBackend(fns), frames, init_every_frame=fns.step is None).stacked()


def keypoints_from_heatmaps(heatmaps: np.ndarray, stride: int,
                            decode: str = DEFAULT_DECODE) -> np.ndarray:
    coords, _ = decode_heatmaps(heatmaps, decode)
    return heatmap_to_image(coords, stride)


def evaluate_rendered(fns: TrackerFns, clips: list[RenderedClip], config: DKDConfig,
                      progress: bool = True, desc: str = "eval",
                      decode: str = DEFAULT_DECODE,
                      drawn: PCKAccumulator | None = None) -> PCKAccumulator:
    """PCK over the clips' visible joints (``RenderedClip.visibility``). ``drawn``, when
    given, also accumulates the same predictions over every joint drawn in view."""
    acc = PCKAccumulator()
    for clip in tqdm(clips, desc=desc, unit="clip", disable=not progress):
        frames = (normalise_nchw(f, config.mean, config.std) for f in clip.frames)
        points = keypoints_from_heatmaps(track_frames(fns, frames), config.stride, decode)
        acc.update(points, clip.joints, clip.visibility, clip.bbox)
        if drawn is not None:
            drawn.update(points, clip.joints, clip.drawn, clip.bbox)
    return acc


def evaluate_sequences(fns: TrackerFns, sequences: Iterable[PoseSequence], config: DKDConfig,
                       progress: bool = True, desc: str = "eval",
                       decode: str = DEFAULT_DECODE) -> PCKAccumulator:
    """PCK of a torch tracker on real clips with frames (``sequence_pck``)."""
    return sequence_pck(FnsBackend(fns), sequences, config, progress, desc, decode,
                        init_every_frame=fns.step is None)


def sequence_pck(backend: Backend, sequences: Iterable[PoseSequence], config: DKDConfig,
                 progress: bool = False, desc: str = "eval", decode: str = DEFAULT_DECODE,
                 init_every_frame: bool = False) -> PCKAccumulator:
    """PCK on real clips with frames through any backend (an artifact or torch): each frame
    letterboxed in, the closed-loop rollout, keypoints mapped back to the frame."""
    acc = PCKAccumulator()
    for sequence in tqdm(list(sequences), desc=desc, unit="clip", disable=not progress):
        if not sequence.has_frames:
            raise DkdError(f"{sequence.meta.get('id')}: no frames on disk to evaluate")
        boxes, inputs = [], []
        for frame in sequence.frames:
            square, box = letterbox(frame, config.input_size)
            boxes.append(box)
            inputs.append(normalise_nchw(square, config.mean, config.std))
        heatmaps = rollout(backend, inputs, init_every_frame=init_every_frame).stacked()
        points = keypoints_from_heatmaps(heatmaps, config.stride, decode)
        points = np.stack([box.to_frame(p) for box, p in zip(boxes, points)])
        acc.update(points, sequence.joints, sequence.visibility, sequence.bbox)
    return acc
