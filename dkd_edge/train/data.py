"""Endless streams of training clips: rendered from Penn Action motion, real LSPET images
(single augmented views, or under synthetic camera motion), or a mix of the two."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch.utils.data import IterableDataset

from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import RenderConfig, render_sequence
from dkd_edge.data.sample import PoseSequence
from dkd_edge.errors import DkdError
from dkd_edge.train.augment import mirror_sequence
from dkd_edge.train.sampling import sequence_probabilities
from dkd_edge.train.targets import gaussian_heatmaps, in_frame


def normalise(frames: np.ndarray, mean, std) -> torch.Tensor:
    """uint8 [..., H, W, 3] RGB -> float [..., 3, H, W] normalised with mean/std.

    Channels move first while still uint8, and mean/std apply per channel plane, which is
    several times faster than normalising with a size-3 last axis.
    """
    x = torch.from_numpy(np.ascontiguousarray(frames)).movedim(-1, -3).contiguous().float()
    shape = (3, 1, 1)
    return x.sub_(torch.tensor(mean).view(shape) * 255.0).div_(
        torch.tensor(std).view(shape) * 255.0)


def subsample(sequence: PoseSequence, stride: int) -> PoseSequence:
    """Every ``stride``-th frame: faster motion between consecutive frames."""
    if stride <= 1:
        return sequence
    return replace(sequence, joints=sequence.joints[::stride],
                   visibility=sequence.visibility[::stride], bbox=sequence.bbox[::stride])


class RenderedClips(IterableDataset):
    """Yields dicts of one rendered clip: ``frames`` [T, 3, S, S], ``heatmaps``
    [T, J, S/4, S/4], ``weights`` [T, J], ``joints`` [T, J, 2], ``visibility`` [T, J],
    ``bbox`` [T, 4].

    Args:
        penn_root: Penn Action labels.
        split: which motion to render (train for training).
        clip_len: frames per clip.
        image_size, stride, sigma, mean, std: from the model config.
        seed: stream seed; combine with the process rank for distinct streams.
        resume_step: the optimizer step a resumed run restarts at; a non-zero value draws a
            fresh stream, so a resumed run does not replay the clips it trained on first.
        max_stride: frame subsampling is drawn from 1..max_stride.
        action_weights: ``{action: weight}`` to re-weight which sequences are drawn (see
            ``dkd_edge.train.sampling``); None keeps Penn Action's own mix.
        mirror_prob: probability of reflecting a sequence's motion left to right (labels
            swapped) before it is rendered: poses the train split does not hold.
    """

    def __init__(self, penn_root, split: str, clip_len: int, image_size: int, stride: int,
                 sigma: float, mean, std, seed: int = 0, max_stride: int = 2,
                 action_weights: dict[str, float] | None = None, mirror_prob: float = 0.0,
                 resume_step: int = 0):
        super().__init__()
        self.dataset = PennAction(penn_root, split)
        if len(self.dataset) == 0:
            raise DkdError(f"{penn_root}: no {split} sequences to train on")
        self.clip_len = clip_len
        self.image_size = image_size
        self.stride = stride
        self.sigma = sigma
        self.mean, self.std = mean, std
        self.seed = seed
        self.resume_step = resume_step
        self.max_stride = max_stride
        self.mirror_prob = mirror_prob
        self.render_config = RenderConfig(size=image_size)
        self.probabilities = None
        if action_weights:
            # The parsed labels alone: no PoseSequence (and no frame-folder listing) per sequence.
            actions = [self.dataset.label(seq_id)["action"] for seq_id in self.dataset.ids]
            self.probabilities = sequence_probabilities(actions, action_weights)

    def sample(self, rng: np.random.Generator) -> dict:
        if self.probabilities is None:
            index = int(rng.integers(len(self.dataset)))
        else:
            index = int(rng.choice(len(self.dataset), p=self.probabilities))
        sequence = self.dataset[index]
        sequence = subsample(sequence, int(rng.integers(1, self.max_stride + 1)))
        if self.mirror_prob > 0 and rng.random() < self.mirror_prob:
            sequence = mirror_sequence(sequence)
        clip = render_sequence(sequence, int(rng.integers(2**31)), self.render_config,
                               max_frames=self.clip_len)
        if len(clip.frames) < self.clip_len:  # very short sequences: hold the last frame
            extra = self.clip_len - len(clip.frames)
            for name in ("frames", "joints", "visibility", "drawn", "bbox"):
                value = getattr(clip, name)
                setattr(clip, name, np.concatenate([value, np.repeat(value[-1:], extra, 0)]))
        size = self.image_size // self.stride
        return {
            "frames": normalise(clip.frames, self.mean, self.std),
            "heatmaps": torch.from_numpy(
                gaussian_heatmaps(clip.joints, size, self.stride, self.sigma)),
            "weights": torch.from_numpy(in_frame(clip.joints, self.image_size)),
            "joints": torch.from_numpy(clip.joints),
            "visibility": torch.from_numpy(clip.visibility),
            "bbox": torch.from_numpy(clip.bbox),
        }

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        # Fresh runs keep the stream they always had; a resumed one starts a new one.
        entropy = [self.seed, worker] + ([self.resume_step] if self.resume_step else [])
        rng = np.random.default_rng(entropy)
        while True:
            yield self.sample(rng)


class LspetClips(IterableDataset):
    """Yields the same dicts as ``RenderedClips`` from real LSPET training images.

    ``mode="views"``: ``clip_len`` independent augmented views (the initializer's stage);
    ``mode="motion"``: one image under smooth synthetic camera motion over ``clip_len`` frames
    (``dkd_edge.data.synthetic_motion``). Validation images are never drawn.
    Joints that are not annotated get weight 0.
    """

    def __init__(self, lspet_root, clip_len: int, image_size: int, stride: int, sigma: float,
                 mean, std, mode: str = "views", seed: int = 0, resume_step: int = 0):
        super().__init__()
        from dkd_edge.data.lspet import LSPET

        self.dataset = LSPET(lspet_root, "train")
        self.clip_len, self.image_size, self.stride, self.sigma = (
            clip_len, image_size, stride, sigma)
        self.mean, self.std, self.mode = mean, std, mode
        self.seed, self.resume_step = seed, resume_step

    def sample(self, rng: np.random.Generator) -> dict:
        from dkd_edge.data.synthetic_motion import (
            augmented_view,
            colour_jitter,
            motion_clip,
            person_box,
        )

        item = self.dataset[int(rng.integers(len(self.dataset)))]
        image = item.load()
        size = self.image_size
        if self.mode == "views":
            views = [augmented_view(image, item.joints, item.annotated, size, rng)
                     for _ in range(self.clip_len)]
            frames = np.stack([v[0] for v in views])
            joints = np.stack([v[1] for v in views])
            annotated = np.stack([v[2] for v in views])
            visibility = annotated
        else:
            clip = motion_clip(image, item.joints, item.annotated, size, self.clip_len, rng)
            frames = colour_jitter(clip["frames"], rng)
            joints, annotated, visibility = clip["joints"], clip["annotated"], clip["visibility"]
        weights = in_frame(joints, size) * annotated
        boxes = np.stack([person_box(j, a) for j, a in zip(joints, annotated)])
        return {
            "frames": normalise(frames, self.mean, self.std),
            "heatmaps": torch.from_numpy(
                gaussian_heatmaps(joints, size // self.stride, self.stride, self.sigma)),
            "weights": torch.from_numpy(weights.astype(np.float32)),
            "joints": torch.from_numpy(joints),
            "visibility": torch.from_numpy(visibility),
            "bbox": torch.from_numpy(boxes),
        }

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        entropy = [self.seed, worker, 1] + ([self.resume_step] if self.resume_step else [])
        rng = np.random.default_rng(entropy)
        while True:
            yield self.sample(rng)


class MixedClips(IterableDataset):
    """Draws each clip from ``real`` with probability ``real_prob``, else from ``rendered``."""

    def __init__(self, real: IterableDataset, rendered: IterableDataset, real_prob: float,
                 seed: int = 0):
        super().__init__()
        self.real, self.rendered, self.real_prob, self.seed = real, rendered, real_prob, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info is not None else 0, 2,
                                     self.real.resume_step])
        real, rendered = iter(self.real), iter(self.rendered)
        while True:
            yield next(real) if rng.random() < self.real_prob else next(rendered)
