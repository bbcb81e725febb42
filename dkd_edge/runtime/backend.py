"""One backend interface for every artifact: ``init(frame)`` and ``step(frame, kernels)``.

Frames are the model-input tensor (already letterboxed and normalised) in the backend's
``frame_layout`` ("NCHW" or "NHWC"); kernels are the state exactly as the previous call
returned it. Both calls return ``(heatmaps [1, J, h, w], kernels)`` as numpy arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from dkd_edge.errors import DkdError


class RuntimeDependencyError(DkdError):
    """An optional interpreter is not installed."""


class Backend(ABC):
    """A loaded artifact that runs the DKD init/step contract."""

    name: str = "backend"
    frame_layout: str = "NCHW"

    @abstractmethod
    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First frame -> (heatmaps, kernels)."""

    @abstractmethod
    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Later frame + previous kernels -> (heatmaps, new kernels)."""

    def to_layout(self, frame_nchw: np.ndarray) -> np.ndarray:
        """Convert an NCHW frame tensor to this backend's layout."""
        if self.frame_layout == "NHWC":
            return np.ascontiguousarray(frame_nchw.transpose(0, 2, 3, 1))
        return frame_nchw
