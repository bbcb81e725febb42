"""The one closed-loop rollout: ``init`` on the first frame, then ``step`` with the kernel
state fed back, over any ``Backend`` (an artifact's runtime, or torch behind
``dkd_edge.model.tracker_fns.FnsBackend``). Verification, evaluation, benchmarks and
calibration capture all roll out through ``rollout``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from dkd_edge.keypoints import DEFAULT_DECODE, decode_heatmaps
from dkd_edge.runtime.backend import Backend


@dataclass
class Rollout:
    """Per frame: the heatmaps [1, J, h, w] (float32), the state passed *into* the call
    (``None`` for init) and the state it returned."""

    heatmaps: list[np.ndarray] = field(default_factory=list)
    states_in: list[np.ndarray | None] = field(default_factory=list)
    states_out: list[np.ndarray] = field(default_factory=list)

    def stacked(self) -> np.ndarray:
        """[T, J, h, w]."""
        return np.concatenate(self.heatmaps)

    def keypoints(self, decode: str = DEFAULT_DECODE) -> tuple[np.ndarray, np.ndarray]:
        """([T, J, 2] heatmap coordinates, [T, J] scores)."""
        return decode_heatmaps(self.stacked(), decode)


def rollout(backend: Backend, frames: Iterable[np.ndarray], *, init_every_frame: bool = False,
            on_frame: Callable[[], None] | None = None) -> Rollout:
    """Roll ``backend`` over normalised NCHW frames [1, 3, S, S] (converted to the backend's
    layout here). ``init_every_frame`` runs init on every frame (the initializer alone)."""
    result, kernels = Rollout(), None
    for index, frame in enumerate(frames):
        x = backend.to_layout(frame)
        if index == 0 or init_every_frame:
            heatmaps, out = backend.init(x)
            result.states_in.append(None)
        else:
            heatmaps, out = backend.step(x, kernels)
            result.states_in.append(kernels)
        kernels = out
        result.heatmaps.append(np.asarray(heatmaps, np.float32))
        result.states_out.append(np.asarray(out))
        if on_frame is not None:
            on_frame()
    return result
