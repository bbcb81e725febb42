"""``PoseTracker``: the stateful init/step loop around any backend, torch-free.

    tracker = PoseTracker("runs/export/dkd-small-tflite-fp32")
    for frame in frames:                 # RGB uint8 [H, W, 3]
        result = tracker(frame)
        result.keypoints, result.scores  # [13, 2] in frame pixels, [13]

Policy (after MediaPipe): ``init`` on the first frame, ``step`` afterwards, and
re-initialise every ``reinit_every`` frames, when mean keypoint confidence drops below
``min_confidence``, or when the state is non-finite or its norm leaves
``state_norm_limit`` (the drift guard; by default ``STATE_NORM_FACTOR`` times the largest
state norm that the converter saw on its reference rollout, ``manifest.state.norm_range``).
``tracker.stats.reasons`` counts re-initialisations by reason. Optional One-Euro smoothing of
keypoints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.keypoints import (
    DECODE_METHODS,
    DEFAULT_DECODE,
    decode_heatmaps,
    heatmap_to_image,
)
from dkd_edge.preprocess import letterbox, normalise_nchw
from dkd_edge.runtime.artifact import open_backend
from dkd_edge.runtime.smoothing import OneEuroFilter

STATE_NORM_FACTOR = 4.0


@dataclass
class TrackResult:
    keypoints: np.ndarray  # [J, 2] frame pixels (x, y)
    scores: np.ndarray  # [J] heatmap peak values
    initialized: bool  # this frame ran init
    reason: str | None  # why it re-initialised ("first", "periodic", "confidence", "state")
    latency_ms: float


@dataclass
class TrackerStats:
    frames: int = 0
    inits: int = 0
    reasons: dict = field(default_factory=dict)


def check_policy(reinit_every, min_confidence, state_norm_limit, fps, one_euro) -> None:
    """Refuse tracker settings that would give garbage, in one line each."""
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and np.isfinite(value)

    if not isinstance(reinit_every, int) or isinstance(reinit_every, bool) or reinit_every < 0:
        raise DkdError(f"reinit_every must be 0 (never) or a positive number of frames, got "
                       f"{reinit_every!r}")
    if not number(min_confidence) or min_confidence < 0:
        raise DkdError(f"min_confidence must be 0 or more, got {min_confidence!r}")
    if not number(fps) or fps <= 0:
        raise DkdError(f"fps must be a positive number, got {fps!r}")
    if state_norm_limit not in (None, "auto") and (
            not number(state_norm_limit) or state_norm_limit <= 0):
        raise DkdError(f"state_norm_limit must be 'auto', None or a positive number, got "
                       f"{state_norm_limit!r}")
    if (not isinstance(one_euro, (tuple, list)) or len(one_euro) != 2
            or not all(number(v) and v >= 0 for v in one_euro)):
        raise DkdError(f"one_euro must be (min_cutoff, beta), two numbers >= 0, got {one_euro!r}")


class PoseTracker:
    """Runs an exported DKD artifact over a video, holding the kernel state."""

    def __init__(self, path: str | Path, backend: str | None = None, threads: int | None = 1,
                 reinit_every: int = 0, min_confidence: float = 0.0,
                 state_norm_limit: float | str | None = "auto", smoothing: bool = False,
                 one_euro: tuple[float, float] = (1.0, 0.05), fps: float = 30.0,
                 decode: str = DEFAULT_DECODE):
        if decode not in DECODE_METHODS:
            raise DkdError(f"unknown decode {decode!r}: use one of {', '.join(DECODE_METHODS)}")
        check_policy(reinit_every, min_confidence, state_norm_limit, fps, one_euro)
        self.decode = decode
        self.backend, self.manifest = open_backend(path, backend, threads)
        pre = self.manifest["preprocessing"]
        self.size = int(pre["input_size"][0])
        self.mean, self.std = pre["mean"], pre["std"]
        self.stride = int(self.manifest["heatmaps"]["stride"])
        self.reinit_every = reinit_every
        self.min_confidence = min_confidence
        if state_norm_limit == "auto":
            observed = self.manifest.get("state", {}).get("norm_range", {}).get("max")
            state_norm_limit = STATE_NORM_FACTOR * observed if observed else None
        self.state_norm_limit = state_norm_limit
        self.filter = OneEuroFilter(*one_euro) if smoothing else None
        self.dt = 1.0 / fps
        self.stats = TrackerStats()
        self.reset()

    def reset(self) -> None:
        """Forget the state: the next frame runs ``init``."""
        self._kernels = None
        self._since_init = 0
        if self.filter is not None:
            self.filter.reset()

    def _check(self, frame: np.ndarray) -> np.ndarray:
        try:
            frame = np.asarray(frame)
        except (TypeError, ValueError) as exc:
            raise DkdError(f"frame must be an RGB uint8 array [H, W, 3] ({exc})") from exc
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise DkdError(f"frame must be RGB [H, W, 3], got shape {frame.shape}")
        if frame.shape[0] < 1 or frame.shape[1] < 1:
            raise DkdError(f"frame is empty (shape {frame.shape}); pass an image with pixels")
        if frame.dtype != np.uint8:
            if not np.issubdtype(frame.dtype, np.floating) or frame.dtype.itemsize > 8:
                raise DkdError(f"frame dtype must be uint8 (or float in 0..255), got {frame.dtype}")
            if not np.isfinite(frame).all():
                raise DkdError("frame contains NaN or infinite values")
            if 0.0 < float(frame.max()) <= 1.0:
                raise DkdError("float frame with values in 0..1: multiply by 255 (frames are "
                               "uint8 or float in 0..255)")
            frame = np.clip(frame, 0, 255).astype(np.uint8)
        return frame

    def _reason(self) -> str | None:
        if self._kernels is None:
            return "first"
        if not np.isfinite(self._kernels).all():  # never hand a runtime a blown-up state
            return "state"
        if self.reinit_every and self._since_init >= self.reinit_every:
            return "periodic"
        return None

    def _state_bad(self, kernels: np.ndarray) -> bool:
        if not np.isfinite(kernels).all():
            return True
        if self.state_norm_limit is not None:
            return float(np.linalg.norm(kernels.astype(np.float32))) > self.state_norm_limit
        return False

    def __call__(self, frame: np.ndarray) -> TrackResult:
        frame = self._check(frame)
        start = time.perf_counter()
        square, box = letterbox(frame, self.size)
        x = self.backend.to_layout(normalise_nchw(square, self.mean, self.std))
        reason = self._reason()
        if reason is None:
            heatmaps, kernels = self.backend.step(x, self._kernels)
            coords, scores = decode_heatmaps(np.asarray(heatmaps, np.float32)[0], self.decode)
            if self._state_bad(kernels):
                reason = "state"
            elif self.min_confidence and float(scores.mean()) < self.min_confidence:
                reason = "confidence"
        if reason is not None:
            heatmaps, kernels = self.backend.init(x)
            coords, scores = decode_heatmaps(np.asarray(heatmaps, np.float32)[0], self.decode)
            self._since_init = 0
            self.stats.inits += 1
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
        self._kernels = kernels
        self._since_init += 1
        self.stats.frames += 1
        points = box.to_frame(heatmap_to_image(coords, self.stride))
        if self.filter is not None:
            points = self.filter(points, self.dt)
        latency = 1000 * (time.perf_counter() - start)
        return TrackResult(points, scores, reason is not None, reason, latency)
